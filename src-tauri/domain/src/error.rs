//! Errors that cross to the officer carry a stable code and a Japanese sentence.

/// An error the UI can branch on (by [`Coded::code`]) and show (by [`Coded::message_ja`]).
///
/// Codes are stable identifiers such as `E-CODE-CHECK`: support staff quote them, the UI
/// matches on them, and they never change meaning once released.
pub trait Coded: std::error::Error {
    /// Stable machine code, e.g. `E-CODE-CHECK`.
    fn code(&self) -> &'static str;
    /// A sentence the officer can act on, in Japanese.
    fn message_ja(&self) -> String;
}
