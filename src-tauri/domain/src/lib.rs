//! Madoguchi's domain rules, shared by the desktop and the central server.
//!
//! Pure functions and types only: no files, no network, no clock. Everything here is what
//! 医療機能情報提供制度 / 薬局機能情報提供制度 fixes regardless of where the code runs.

pub mod api;
pub mod application;
pub mod call;
pub mod contact;
pub mod delivery;
pub mod era;
pub mod error;
pub mod form;
pub mod free_mail;
pub mod institution;
pub mod insurance_code;
pub mod mail_health;
pub mod municipality;
pub mod notice;
pub mod outreach;
pub mod postal;
pub mod postal_region;
pub mod practice;
pub mod prefecture;
pub mod reminder;
pub mod status_page;
mod text;
pub mod triage;
pub mod worklist;

pub use application::{Action, ApplicationStatus, RejectReason, ReturnReason, TransitionError};
pub use delivery::{BounceCategory, Delivery, DeliveryEvent, DeliveryState};
pub use error::{Code, Coded};
pub use form::{ApplicationForm, ValidForm};
pub use institution::{InstitutionKind, ScoreTable};
pub use insurance_code::{CodeContext, CodeError, InsuranceCode, Suggestion};
pub use municipality::{MunicipalityCode, MunicipalityCodeError};
pub use notice::NoticeKind;
pub use postal::{PostalCode, PostalCodeError};
pub use prefecture::{Prefecture, PrefectureError};
