//! Madoguchi's desktop engine: everything the window can do, without the window.
//!
//! The Tauri app wraps these functions in commands and adds nothing of its own, so each
//! capability here is tested on a real SQLite file with no display. `desk` holds the state;
//! each capability module adds its own `impl Desk` and its own error enum.

pub mod applications;
pub mod calls;
pub mod code_check;
pub mod desk;
pub mod error;
pub mod export;
pub mod flags;
pub mod history;
pub mod keychain;
pub mod letters;
pub mod lookup;
pub mod mail;
pub mod memory;
pub mod outbox;
pub mod outreach;
pub mod prefecture;
pub mod proxy;
pub mod queue;
pub mod records;
pub mod registry;
pub mod retention;
pub mod settings;
pub mod store;
pub mod sync;
pub mod triage;
pub mod vault;
pub mod vocabulary;

pub use desk::Desk;
pub use error::UiError;
pub use store::{Store, StoreError};
