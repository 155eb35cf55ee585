//! Errors that cross to the officer carry a stable code and a Japanese sentence.
//!
//! [`Code`] is the one list of every code the desk, the server and the window can show, each
//! with its Japanese sentence: an error whose message has no detail of its own says exactly
//! that sentence, and one with detail (the digit typed, the file name) says it in its own
//! `message_ja`. Support staff quote the codes and the window branches on them, so a code
//! never changes meaning once released; the window's TypeScript union is generated from here.

use serde::{Serialize, Serializer};

/// An error the UI can branch on (by [`Coded::code`]) and show (by [`Coded::message_ja`]).
pub trait Coded: std::error::Error {
    /// Stable machine code, e.g. `E-CODE-CHECK`.
    fn code(&self) -> Code;
    /// A sentence the officer can act on, in Japanese: the code's own unless overridden.
    fn message_ja(&self) -> String {
        self.code().message_ja().to_owned()
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $ja:literal;)*) => {
        /// Every error and flag code, in one place.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* $name,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The code as quoted and sent: `E-CODE-CHECK`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $code,)*
                }
            }

            /// What the officer reads when nothing more precise is said.
            pub const fn message_ja(self) -> &'static str {
                match self {
                    $(Code::$name => $ja,)*
                }
            }
        }
    };
}

codes! {
    // 保険医療機関コード
    CodeEmpty = "E-CODE-EMPTY", "保険医療機関コードを入力してください。";
    CodeChar = "E-CODE-CHAR", "コードに使えない文字が含まれています。数字と区切り（- , 空白）だけで入力してください。";
    CodeLength = "E-CODE-LENGTH", "保険医療機関コードは10桁、9桁または7桁で入力してください。";
    CodePrefRequired = "E-CODE-PREF-REQUIRED", "このコードには都道府県の指定が必要です。都道府県を選んでから確認してください。";
    CodePref = "E-CODE-PREF", "先頭2桁が都道府県コード（01〜47）ではありません。";
    CodeTable = "E-CODE-TABLE", "点数表番号は 1（医科）・3（歯科）・4（調剤）のいずれかです。";
    CodeCheck = "E-CODE-CHECK", "検証番号（最後の1桁）が合いません。入力の誤りがないかご確認ください。";
    // 郵便番号・全国地方公共団体コード・都道府県
    PostalFormat = "E-POSTAL-FORMAT", "郵便番号は7桁の数字（例: 100-8916）で入力してください。";
    MuniFormat = "E-MUNI-FORMAT", "全国地方公共団体コードは6桁（検査数字なしなら5桁）の数字で入力してください。";
    MuniPref = "E-MUNI-PREF", "全国地方公共団体コードの先頭2桁が都道府県コードではありません。";
    MuniCheck = "E-MUNI-CHECK", "全国地方公共団体コードの検査数字が合いません。";
    PrefUnknown = "E-PREF-UNKNOWN", "都道府県コードは01（北海道）〜47（沖縄県）で指定してください。";
    // 申請フォーム（項目ごと）
    Form = "E-FORM", "入力内容に誤りがあります。各項目の説明を確認してください。";
    FormRequired = "E-FORM-REQUIRED", "必須の項目が入力されていません。";
    FormTooLong = "E-FORM-TOO-LONG", "入力が長すぎます。";
    FormControl = "E-FORM-CONTROL", "使えない制御文字が含まれています。";
    FormInstitutionCode = "E-FORM-INSTITUTION-CODE", "機関コードは半角英数字で入力してください。";
    FormKana = "E-FORM-KANA", "フリガナは全角カタカナで入力してください。";
    FormPhone = "E-FORM-PHONE", "電話番号は0から始まる10桁または11桁で入力してください。";
    FormEmail = "E-FORM-EMAIL", "メールアドレスの形式が正しくありません。";
    FormAddressPref = "E-FORM-ADDRESS-PREF", "住所は都道府県名から入力してください。";
    FormCodePref = "E-FORM-CODE-PREF", "保険医療機関コードの都道府県と住所の都道府県が一致しません。";
    // 申請の状態と判定
    AppTransition = "E-APP-TRANSITION", "この申請の今の状態では、その操作はできません。最新の状態を確認してください。";
    AppNotFound = "E-APP-NOT-FOUND", "この申請は見つかりません。同期してからもう一度お試しください。";
    AppAccountExists = "E-APP-ACCOUNT-EXISTS", "この機関には既存のG-MISアカウントがあります。「承認（既存アカウント）」を選んでください。";
    AppAddressBusy = "E-APP-ADDRESS-BUSY", "このメールアドレスには、確認を待っている申請がすでにいくつもあります。届いている確認のメールのURLを開くか、24時間たってからもう一度申請してください。";
    AppPending = "E-APP-PENDING", "同じ機関・同じメールアドレスの申請をすでに受け付けています。確認メールのURLを開いたうえで、審査をお待ちください。";
    AppResubmitLink = "E-APP-RESUBMIT-LINK", "この再申請用のURLは使えません。期限（30日）が過ぎたか、すでに再申請が届いています。";
    FormResubmitPrefecture = "E-FORM-RESUBMIT-PREFECTURE", "再申請では、ほかの都道府県の住所には変えられません。移転した場合は、新規ユーザ登録申請の画面から申請してください。";
    AppNoAccount = "E-APP-NO-ACCOUNT", "この機関の既存アカウントが見つかりません。「承認（新規アカウント発行）」を選んでください。";
    // トラブル対応・定期報告・対応記録
    TriageParse = "E-TRIAGE-PARSE", "トラブル対応の手順ファイルを読み取れません。サポートへご連絡ください。";
    TriageInvalid = "E-TRIAGE-INVALID", "トラブル対応の手順に誤りがあります。";
    ReportingWindow = "E-REPORTING-WINDOW", "定期報告期間の開始日は終了日以前にしてください。";
    CallNotFound = "E-CALL-NOT-FOUND", "この対応記録は見つかりません。";
    CallFinished = "E-CALL-FINISHED", "この対応は終了しています。新しい対応を始めてください。";
    CallPaused = "E-CALL-PAUSED", "この対応は保留中です。再開してから操作してください。";
    CallChoice = "E-CALL-CHOICE", "その番号の回答はありません。";
    CallPrefecture = "E-CALL-PREFECTURE", "設定で担当の都道府県を選んでから操作してください。";
    DiscloseChecks = "E-DISCLOSE-CHECKS", "本人確認（登録の電話番号・メールアドレス・担当者名）がすべて確認済みになるまで、ログインIDは表示できません。";
    DiscloseInstitution = "E-DISCLOSE-INSTITUTION", "先に、対応中の機関を機関検索で選んでください。";
    DiscloseNoAccount = "E-DISCLOSE-NO-ACCOUNT", "この機関のアカウントはこの端末に届いていません。同期してからもう一度お試しください。";
    // 端末のデータ・台帳・検索・出力
    StoreOpen = "E-STORE-OPEN", "ローカルデータベースを開けませんでした。ディスクの空き容量と権限を確認し、アプリを再起動してください。";
    StoreMigrate = "E-STORE-MIGRATE", "ローカルデータベースの更新に失敗しました。データは変更されていません。サポートへご連絡ください。";
    StoreQuery = "E-STORE-QUERY", "ローカルデータベースの読み書きに失敗しました。もう一度お試しください。";
    StoreKey = "E-STORE-KEY", "保存データの鍵をOSの資格情報ストアで読み書きできませんでした。Windowsにサインインし直してから起動し、直らなければシステム担当者へご連絡ください。";
    StoreCorrupt = "E-STORE-CORRUPT", "ローカルデータベースの内容を読み取れませんでした。「最初から同期し直す」を試し、直らなければサポートへご連絡ください。";
    ImportRead = "E-IMPORT-READ", "ファイルを読み込めませんでした。ファイルが開かれていないか、場所が正しいか確認してください。";
    ImportFormat = "E-IMPORT-FORMAT", "このファイルの形式が分かりません。厚生局のコード内容別医療機関一覧（5列・見出しなし）か、医療情報ネットの施設情報CSVを選んでください。";
    ImportNaviiKind = "E-IMPORT-NAVII-KIND", "医療情報ネットの施設情報CSVですが、病院・診療所・歯科診療所・助産所・薬局のどのファイルか分かりません。ダウンロードしたときのファイル名（01-1_hospital_facility_info_… など）に戻すか、ファイル名に「病院」「診療所」「歯科」「助産所」「薬局」のどれかを入れてから取り込んでください。";
    ImportEmpty = "E-IMPORT-EMPTY", "取り込める行が1行もありませんでした。台帳は変更していません。";
    ImportCancelled = "E-IMPORT-CANCELLED", "取り込みを中止しました。台帳は変更していません。";
    ImportNotCsv = "E-IMPORT-NOT-CSV", "CSVファイル（拡張子 .csv）を選んでください。";
    ImportNetworkPath = "E-IMPORT-NETWORK-PATH", "ネットワーク上の場所（\\\\サーバー\\共有）のファイルは取り込めません。パソコンにコピーしてから選んでください。";
    ImportNotChosen = "E-IMPORT-NOT-CHOSEN", "取り込むファイルは「ファイルを選ぶ」から選んでください。";
    ImportBusy = "E-IMPORT-BUSY", "ほかの取り込みが実行中です。終わってからもう一度お試しください。";
    ContactNoEntry = "E-CONTACT-NO-ENTRY", "この要連絡の項目は一覧にありません（対応済みになったか、データが更新されました）。一覧を開き直してください。";
    ContactTaken = "E-CONTACT-TAKEN", "ほかの端末がこの機関に連絡中です。重ねて連絡しないよう、その端末の担当者に確認してください。";
    ContactNote = "E-CONTACT-NOTE", "連絡のメモは500文字までにしてください。";
    LetterFont = "E-LETTER-FONT", "日本語のフォントが見つからないため、文書を作れませんでした。設定で日本語フォント（.ttf / .ttc）の場所を指定してください。";
    LetterMake = "E-LETTER-MAKE", "文書を作れませんでした。もう一度お試しください。直らなければサポートへご連絡ください。";
    LetterEmpty = "E-LETTER-EMPTY", "文書を作る機関を選んでください。";
    LetterContact = "E-LETTER-CONTACT", "窓口の連絡先が設定されていないため、文書・メールを作れません。都道府県の設定で窓口の連絡先を入力してください。";
    ReportTooLarge = "E-REPORT-TOO-LARGE", "ファイルが大きすぎます（64MBまで）。G-MISからダウンロードした報告状況のCSVを選んでください。何も変更していません。";
    ReportFormat = "E-REPORT-FORMAT", "報告状況のファイルとして読めません。見出し行に「機関コード」か「保険医療機関コード」、「制度」、「状況」の列が必要です（「報告日」は任意）。";
    ReportRows = "E-REPORT-ROWS", "正しくない行があるため取り込みませんでした。何も変更していません。行を直してからもう一度取り込んでください。";
    ReportEmpty = "E-REPORT-EMPTY", "報告状況の行が1行もありませんでした。何も変更していません。";
    LookupNotReady = "E-LOOKUP-NOT-READY", "機関検索の準備中です。数秒後にもう一度お試しください。";
    LookupNotFound = "E-LOOKUP-NOT-FOUND", "この機関は台帳にありません。台帳が取り込み直された可能性があります。";
    ExportWrite = "E-EXPORT-WRITE", "保存できませんでした。ファイルが Excel などで開かれていないか、保存先の権限を確認してください。";
    ViewName = "E-VIEW-NAME", "ビューの名前を入力してください。";
    // 同期と接続
    SyncNotConfigured = "E-SYNC-NOT-CONFIGURED", "中央サーバーが設定されていません。設定でサーバーのURLとトークンを登録してください。";
    SyncHttp = "E-SYNC-HTTP", "サーバーのURLは https:// で始めてください。暗号化されない接続は使えません。";
    SyncConfig = "E-SYNC-CONFIG", "同期の設定に誤りがあります。設定を確認してください。";
    SyncCaFile = "E-SYNC-CA-FILE", "ルート証明書ファイルを読めません。設定のパスを確認してください。";
    SyncCertificate = "E-SYNC-CERTIFICATE", "中央サーバーの証明書を信頼できません。操作はこの端末に保存されています。県のルート証明書（設定のルート証明書ファイル、またはWindowsの証明書ストア）を情報システム担当にご確認ください。";
    SyncOffline = "E-SYNC-OFFLINE", "中央サーバーにつながりません。操作はこの端末に保存され、つながったときに送信されます。";
    Sync5xx = "E-SYNC-5XX", "中央サーバーで問題が起きています。操作はこの端末に保存され、後で再送されます。";
    SyncBusy = "E-SYNC-BUSY", "中央サーバーが混み合っています。操作はこの端末に保存され、少し待って自動で再送されます。";
    Sync401 = "E-SYNC-401", "中央サーバーが接続トークンを受け付けません。設定でトークンを登録し直してください。";
    Sync409 = "E-SYNC-409", "この申請は確認後に別の窓口で更新されています。最新の内容を確認してください。";
    SyncProtocol = "E-SYNC-PROTOCOL", "中央サーバーの応答を読み取れませんでした。サポートへご連絡ください。";
    SyncRefused = "E-SYNC-REFUSED", "中央サーバーがこの操作を受け付けませんでした。";
    SyncDependent = "E-SYNC-DEPENDENT", "先に行った操作がサーバーに受け付けられなかったため、この操作は送信していません。最新の状態を確認してください。";
    KeychainEmpty = "E-KEYCHAIN-EMPTY", "このサーバーの接続トークンが登録されていません。設定で登録してください。";
    KeychainUnavailable = "E-KEYCHAIN-UNAVAILABLE", "OSの資格情報ストア（Windows の資格情報マネージャー、Linux の Secret Service）を使えません。ログインし直すか、管理者に確認してください。";
    // 中央サーバーのAPI
    Auth = "E-AUTH", "認証できませんでした。設定のサーバー接続情報（トークン）を確認してください。";
    AuthPrefecture = "E-AUTH-PREFECTURE", "担当する都道府県のものだけを扱えます。";
    ApiBody = "E-API-BODY", "送信された内容を読み取れませんでした。";
    ApiRate = "E-API-RATE", "申請が集中しています。しばらく待ってからもう一度送信してください。";
    ApiBusy = "E-API-BUSY", "ただいま混み合っています。しばらく待ってからもう一度送信してください。";
    ApiTimeout = "E-API-TIMEOUT", "時間内に処理できませんでした。もう一度送信してください。";
    ApiIdempotencyReused = "E-API-IDEMPOTENCY-REUSED", "この Idempotency-Key は別の操作にすでに使われています。操作ごとに新しいキーを使ってください。";
    ApiIdempotency = "E-API-IDEMPOTENCY", "Idempotency-Key ヘッダーが必要です。";
    ApiQuery = "E-API-QUERY", "検索条件が正しくありません。";
    ApiCall = "E-API-CALL", "対応記録の内容が正しくありません。";
    ApiContact = "E-API-CONTACT", "連絡記録の内容が正しくありません。";
    ApiReminders = "E-API-REMINDERS", "お知らせメールの内容が正しくありません（1回500件まで、件名200文字・本文4000文字まで）。";
    PrefContact = "E-PREF-CONTACT", "窓口の連絡先は、窓口名と、電話番号（0から始まる10桁または11桁）またはメールアドレスを入力してください。";
    PrefReminders = "E-PREF-REMINDERS", "報告依頼・督促・申請のお願いの文面を確認してください（件名200文字・本文4000文字まで、使える差込は {機関名} {制度} {報告} {報告期限} {窓口名} {窓口の連絡先}）。";
    PrefPractice = "E-PREF-PRACTICE", "都道府県の運用の設定に誤りがあります。";
    RetentionDays = "E-RETENTION-DAYS", "保存期間は1日から3650日の間で指定してください。";
    RecordStale = "E-RECORD-STALE", "ほかの窓口が先にこの記録を更新しました。";
    ApiNotFound = "E-API-NOT-FOUND", "そのAPIはありません。";
    ServerStorage = "E-SERVER-STORAGE", "サーバーで一時的な問題が起きました。しばらくしてからもう一度お試しください。";
    // 画面だけのもの
    UiClipboard = "E-UI-CLIPBOARD", "クリップボードにコピーできませんでした。コードを選択してコピーしてください。";
    UiUnexpected = "E-UI-UNEXPECTED", "予期しないエラーが発生しました。もう一度お試しください。";
    // 検証フラグ（申請キュー）
    FlagCodeCheck = "FLAG-CODE-CHECK", "保険医療機関コードの検証番号が合いません。";
    FlagCodeMissing = "FLAG-CODE-MISSING", "保険医療機関コードが入力されていません。";
    FlagKindTable = "FLAG-KIND-TABLE", "機関区分と保険医療機関コードの点数表が合いません。";
    FlagCodeUnknown = "FLAG-CODE-UNKNOWN", "保険医療機関コードが台帳にありません（開設直後か、コードの誤りの可能性）。";
    FlagMaternityUnlisted = "FLAG-MATERNITY-UNLISTED", "助産所が台帳にありません。";
    FlagNameMismatch = "FLAG-NAME-MISMATCH", "名称が台帳と一致しません。";
    FlagAddressMismatch = "FLAG-ADDRESS-MISMATCH", "住所が台帳と異なります。";
    FlagInstitutionCode = "FLAG-INSTITUTION-CODE", "機関コードが未入力か、形式が正しくありません。";
    FlagDuplicate = "FLAG-DUPLICATE", "同じ機関の未処理の申請がほかにもあります。";
    FlagAccountExists = "FLAG-ACCOUNT-EXISTS", "この機関には既存のG-MISアカウントがあります。「承認（既存アカウント）」で処理してください。";
    FlagEmail = "FLAG-EMAIL", "メールアドレスの形式が正しくありません。";
    FlagEmailUnverified = "FLAG-EMAIL-UNVERIFIED", "メールアドレスの疎通確認がされていません。一括承認の対象外です。";
    FlagEmailTypo = "FLAG-EMAIL-TYPO", "メールアドレスのドメインが誤っている可能性があります。";
    FlagPhone = "FLAG-PHONE", "電話番号の形式が正しくありません（0から始まる10桁または11桁）。";
    FlagPostal = "FLAG-POSTAL", "郵便番号が7桁ではありません。";
    FlagPostalPrefecture = "FLAG-POSTAL-PREFECTURE", "郵便番号が住所の都道府県のものではありません。";
    FlagMailUndelivered = "FLAG-MAIL-UNDELIVERED", "通知メールが届いていません（不達・送信失敗）。";
    FlagEmailUnrelated = "FLAG-EMAIL-UNRELATED", "メールアドレスが機関のものと確かめられません（フリーメール、またはこれまでと別のドメイン）。一括承認の対象外です。";
}

impl Code {
    /// The code named `s`, if it is one of ours.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// In TypeScript, the union of every code: the window's `switch` on a code is checked.
impl ts_rs::TS for Code {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &ts_rs::Config) -> String {
        "ErrorCode".into()
    }

    fn inline(_: &ts_rs::Config) -> String {
        let codes: Vec<String> = Self::ALL.iter().map(|c| format!("'{c}'")).collect();
        codes.join(" | ")
    }

    fn decl(cfg: &ts_rs::Config) -> String {
        format!("type ErrorCode = {};", Self::inline(cfg))
    }

    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        Self::decl(cfg)
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Code> for String {
    fn eq(&self, other: &Code) -> bool {
        self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_well_formed_and_say_something() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.starts_with("E-") || s.starts_with("FLAG-"), "{s}");
            assert!(s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'));
            assert!(code.message_ja().ends_with('。') || code.message_ja().ends_with('）'), "{s}");
            assert_eq!(Code::parse(s), Some(*code));
        }
        assert_eq!(Code::parse("E-NOT-OURS"), None);
    }
}
