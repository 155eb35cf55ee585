//! 機関台帳の取り込み: reading the institution lists the prefecture works from, and folding
//! Japanese text so that what a caller says matches what the list prints.
//!
//! Shared by the desk (`madoguchi-core`) and the central server: one importer, one folding.

pub mod diff;
pub mod fold;
pub mod report;
pub mod source;

pub use diff::{Change, ChangeKind, Snapshot};
pub use source::{ImportError, InstitutionRecord, Records, RowError, Source};
