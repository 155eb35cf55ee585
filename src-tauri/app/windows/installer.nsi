; 窓口 Madoguchi — the desk's installer for Windows, built by `cargo xtask windows` (makensis).
; Per user: no administrator rights (officers' PCs rarely grant them), installed under
; %LOCALAPPDATA%\Programs\Madoguchi with a Start-menu entry and an entry in アプリと機能.
; Running a newer installer over an installed one updates it in place. The uninstaller removes
; the program only: the officer's data (%LOCALAPPDATA%\jp.madoguchi.desk) and the keychain
; entries (Windows 資格情報マネージャー) stay, so a reinstall finds its store again.
; Works offline: nothing is downloaded at build or install time.
;
; makensis -DSRC=<folder with the three files> -DOUT=<installer.exe> -DVERSION=<x.y.z> -DICON=<icon.ico>

; 64-bit, like the desk itself (and Wine without its 32-bit half runs it).
Target amd64-unicode
!include "MUI2.nsh"
!include "LogicLib.nsh"

!ifndef SRC
  !error "SRC (the folder with madoguchi.exe, madoguchi-server.exe and WebView2Loader.dll) is not set"
!endif
!ifndef OUT
  !define OUT "madoguchi-setup.exe"
!endif
!ifndef VERSION
  !define VERSION "0.0.0"
!endif

!define PRODUCT "窓口 Madoguchi"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Madoguchi"
; Microsoft Edge WebView2 Runtime (Evergreen): registered per machine or per user.
!define WEBVIEW2_KEY "Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

Name "${PRODUCT}"
OutFile "${OUT}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\Madoguchi"
InstallDirRegKey HKCU "Software\Madoguchi" "InstallDir"
SetCompressor /SOLID lzma
ManifestDPIAware true
BrandingText "${PRODUCT} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=1041 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=1041 "FileDescription" "${PRODUCT} インストーラー"
VIAddVersionKey /LANG=1041 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1041 "LegalCopyright" "MIT License"

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_FINISHPAGE_RUN "$INSTDIR\madoguchi.exe"
!define MUI_FINISHPAGE_RUN_TEXT "窓口 Madoguchi を起動する"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Japanese"

Var WebView2

; The window needs the WebView2 runtime (part of Windows 10 and 11). Without it, say what to ask
; the IT staff for — nothing is fetched from the internet — and install anyway: the server
; tools work without it, and the desk opens once the runtime is there.
Function .onInit
  ReadRegStr $WebView2 HKLM "SOFTWARE\WOW6432Node\${WEBVIEW2_KEY}" "pv"
  ${If} $WebView2 == ""
  ${OrIf} $WebView2 == "0.0.0.0"
    ReadRegStr $WebView2 HKLM "SOFTWARE\${WEBVIEW2_KEY}" "pv"
  ${EndIf}
  ${If} $WebView2 == ""
  ${OrIf} $WebView2 == "0.0.0.0"
    ReadRegStr $WebView2 HKCU "Software\${WEBVIEW2_KEY}" "pv"
  ${EndIf}
  ${If} $WebView2 == ""
  ${OrIf} $WebView2 == "0.0.0.0"
    MessageBox MB_ICONEXCLAMATION|MB_OK "このパソコンには「Microsoft Edge WebView2 ランタイム」が見つかりません。窓口 Madoguchi の画面の表示に必要です。$\r$\n$\r$\n情報システムのご担当者に、「Microsoft Edge WebView2 ランタイム（Evergreen スタンドアロン インストーラー x64）」のインストールをご依頼ください。インターネットに接続できない環境でも、そのインストーラーで導入できます。$\r$\n$\r$\nインストールはこのまま続けます。" /SD IDOK
  ${EndIf}
FunctionEnd

Section "窓口 Madoguchi" Main
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${SRC}\madoguchi.exe"
  File "${SRC}\madoguchi-server.exe"
  File "${SRC}\WebView2Loader.dll"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\madoguchi.exe"
  WriteRegStr HKCU "Software\Madoguchi" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Madoguchi"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\madoguchi.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

; The program goes; the officer's data and keychain entries stay.
Section "Uninstall"
  Delete "$INSTDIR\madoguchi.exe"
  Delete "$INSTDIR\madoguchi-server.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\Madoguchi"
SectionEnd
