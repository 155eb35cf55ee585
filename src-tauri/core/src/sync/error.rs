//! Why a sync, a connection or a call to the server failed, in the officer's words.

use madoguchi_domain::Coded;

use crate::keychain::KeychainError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no server configured")]
    NotConfigured,
    #[error(
        "server URL {0:?} must be https:// (plain http only to this PC in a development build)"
    )]
    InsecureUrl(String),
    #[error("bad sync settings: {0}")]
    Config(String),
    #[error("server unreachable: {0}")]
    Offline(String),
    #[error("server error {0}")]
    Server(u16),
    #[error("token refused")]
    Unauthorised,
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error("cannot read the CA file {0}: {1}")]
    CaFile(String, std::io::Error),
    #[error("no application {0} on this desk")]
    UnknownApplication(i64),
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for SyncError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "E-SYNC-NOT-CONFIGURED",
            Self::InsecureUrl(_) => "E-SYNC-HTTP",
            Self::Config(_) => "E-SYNC-CONFIG",
            Self::Offline(_) => "E-SYNC-OFFLINE",
            Self::Server(_) => "E-SYNC-5XX",
            Self::Unauthorised => "E-SYNC-401",
            Self::Protocol(_) => "E-SYNC-PROTOCOL",
            Self::Store(e) => e.code(),
            Self::Keychain(e) => e.code(),
            Self::CaFile(..) => "E-SYNC-CA-FILE",
            Self::UnknownApplication(_) => "E-APP-NOT-FOUND",
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::NotConfigured => "中央サーバーが設定されていません。設定でサーバーのURLとトークンを登録してください。".into(),
            Self::InsecureUrl(_) => "サーバーのURLは https:// で始めてください。暗号化されない接続は使えません。".into(),
            Self::Config(e) => format!("同期の設定に誤りがあります（{e}）。設定を確認してください。"),
            Self::Offline(_) => "中央サーバーにつながりません。操作はこの端末に保存され、つながったときに送信されます。".into(),
            Self::Server(_) => "中央サーバーで問題が起きています。操作はこの端末に保存され、後で再送されます。".into(),
            Self::Unauthorised => "中央サーバーが接続トークンを受け付けません。設定でトークンを登録し直してください。".into(),
            Self::Protocol(_) => "中央サーバーの応答を読み取れませんでした。サポートへご連絡ください。".into(),
            Self::Store(e) => e.message_ja(),
            Self::Keychain(e) => e.message_ja(),
            Self::CaFile(path, _) => format!(
                "ルート証明書ファイル「{path}」を読めません。設定のパスを確認してください。"
            ),
            Self::UnknownApplication(_) => "この申請はこの端末にありません。同期してからもう一度お試しください。".into(),
        }
    }
}
