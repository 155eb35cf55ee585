// The webview's only way to the core: Tauri commands, each granted in capabilities/main.json.
import { invoke } from '@tauri-apps/api/core';

/** Every failure arrives with a stable code (quoted to support) and a Japanese sentence. */
export type UiError = { code: string; message: string };

export type Prefecture = { code: string; name: string };

export type CodeView = {
  digits: string;
  parts: string;
  prefecture_code: string;
  prefecture_name: string;
  table_name: string;
};

export type CodeCheck =
  | { status: 'valid'; code: CodeView }
  | { status: 'invalid'; error: UiError; suggestions: { code: CodeView; edit: string }[] };

export type DeskSettings = { prefecture: string | null };

/** Turns whatever a rejected command gave into a UiError the screen can show. */
export function asUiError(e: unknown): UiError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return e as UiError;
  }
  return { code: 'E-UI-UNEXPECTED', message: '予期しないエラーが発生しました。もう一度お試しください。' };
}

export const api = {
  listPrefectures: () => invoke<Prefecture[]>('list_prefectures'),
  checkInsuranceCode: (input: string, prefecture: string | null) =>
    invoke<CodeCheck>('check_insurance_code', { input, prefecture }),
  getSettings: () => invoke<DeskSettings>('get_settings'),
  saveSettings: (settings: DeskSettings) => invoke<void>('save_settings', { settings }),
};
