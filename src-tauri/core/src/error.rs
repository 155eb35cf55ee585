//! The one error shape the UI sees: a stable code to branch on and a Japanese sentence.

use madoguchi_domain::{Code, Coded};
use serde::Serialize;

/// What crosses to the webview when something fails. The precise cause goes to the log, never
/// to the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UiError {
    /// Stable code such as `E-CODE-CHECK`, quoted to support and matched by the UI.
    pub code: Code,
    /// What the officer reads, in Japanese.
    pub message: String,
}

impl UiError {
    /// The UI's view of `e`, without logging: for expected outcomes such as a mistyped code.
    pub fn quiet(e: &impl Coded) -> Self {
        Self { code: e.code(), message: e.message_ja() }
    }
}

/// Every failure that reaches the officer is logged with its code and full detail.
impl<E: Coded> From<E> for UiError {
    fn from(e: E) -> Self {
        log::warn!("{}: {e}", e.code());
        Self::quiet(&e)
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}
