//! Why a sync, a connection or a call to the server failed, in the officer's words.

use madoguchi_domain::Code;
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
    /// The server's certificate is not signed by a CA this PC trusts (the prefecture's CA
    /// neither in 設定 nor in the system's store): retrying will not help until IT acts.
    #[error("server certificate not trusted: {0}")]
    Untrusted(String),
    #[error("server error {0}")]
    Server(u16),
    /// 408 or 429: try again, after the server's Retry-After when it gives one.
    #[error("server busy ({0}), retry after {1:?}")]
    Busy(u16, Option<std::time::Duration>),
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

impl SyncError {
    /// Whether trying again later may succeed: the server away, failing, busy, or answered
    /// by something that is not the server (a proxy's page).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Offline(_) | Self::Server(_) | Self::Busy(..) | Self::Protocol(_))
    }
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for SyncError {
    fn code(&self) -> Code {
        match self {
            Self::NotConfigured => Code::SyncNotConfigured,
            Self::InsecureUrl(_) => Code::SyncHttp,
            Self::Config(_) => Code::SyncConfig,
            Self::Offline(_) => Code::SyncOffline,
            Self::Untrusted(_) => Code::SyncCertificate,
            Self::Server(_) => Code::Sync5xx,
            Self::Busy(..) => Code::SyncBusy,
            Self::Unauthorised => Code::Sync401,
            Self::Protocol(_) => Code::SyncProtocol,
            Self::Store(e) => e.code(),
            Self::Keychain(e) => e.code(),
            Self::CaFile(..) => Code::SyncCaFile,
            Self::UnknownApplication(_) => Code::AppNotFound,
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Config(e) => {
                format!("同期の設定に誤りがあります（{e}）。設定を確認してください。")
            }
            Self::Store(e) => e.message_ja(),
            Self::Keychain(e) => e.message_ja(),
            Self::CaFile(path, _) => format!(
                "ルート証明書ファイル「{path}」を読めません。設定のパスを確認してください。"
            ),
            _ => self.code().message_ja().into(),
        }
    }
}
