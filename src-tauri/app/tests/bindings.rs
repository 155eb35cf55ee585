//! The window's TypeScript types (`ui/src/lib/bindings.ts`) are generated from the Rust types
//! that cross the IPC, and its `Command` union from the one command list. A Rust change that
//! the file does not reflect fails here (and the file is rewritten, ready to commit), so the
//! window's types cannot drift from what the commands send.

use std::path::Path;

use ts_rs::{Config, TS};

use madoguchi_core::calls::{CallLinks, CallStats, CallsOverview, Disclosed, IdentityChecks};
use madoguchi_core::code_check::{CodeCheck, CodeView, SuggestionView};
use madoguchi_core::export::{CsvEncoding, ExportReport};
use madoguchi_core::flags::Flag;
use madoguchi_core::history::History;
use madoguchi_core::letters::LetterReport;
use madoguchi_core::lookup::{Hit, InstitutionRow, MatchReason, SearchResult};
use madoguchi_core::mail::{DeliveryStep, MailFacts, NoticeView};
use madoguchi_core::outbox::OutboxEntry;
use madoguchi_core::outreach::reminders::MailedReport;
use madoguchi_core::outreach::reports::ReportImport;
use madoguchi_core::outreach::worklist::{
    EntryState, ReasonKind, StateCounts, WorkEntry, Worklist, WorklistFilter,
};
use madoguchi_core::outreach::{Breakdown, CoverageEntry, CoverageFilter};
use madoguchi_core::prefecture::{HomeArea, PrefectureDraft};
use madoguchi_core::proxy::ProxyOutcome;
use madoguchi_core::queue::{
    AgeBucket, BulkOutcome, BulkRefusal, NoticePreview, PageRequest, QueueFilter, QueueItem,
    QueuePage, QueuePosition, QueueRow, QueueSort, SavedView,
};
use madoguchi_core::registry::{
    ImportProgress, ImportReport, ImportSummary, InstitutionDetail, RegistryStatus, SkippedRow,
};
use madoguchi_core::retention::RetentionView;
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::sync::{DiagnosisStep, SyncOverview, SyncReport};
use madoguchi_core::triage::{FaqHit, ReportingView};
use madoguchi_core::vocabulary::{PrefectureView, Vocabulary};
use madoguchi_core::UiError;
use madoguchi_domain::api::{
    Application, AuditEntry, CallInstitution, CallRecord, CallState, CallStep, Disclosure,
    FieldError, PrefectureSettings, Receipt, SubmittedBy, WindowContact,
};
use madoguchi_domain::delivery::{BounceCategory, MailFact};
use madoguchi_domain::mail_health::{DomainTally, MailHealth, MailTally};
use madoguchi_domain::outreach::{Coverage, CoverageRow, CoverageWeek, Standing, StandingCounts};
use madoguchi_domain::practice::{
    HealthCentre, Practice, ReportingAnswer, ReportingWindow, Scheme, SchemePeriod, Timing, Topic,
    When,
};
use madoguchi_domain::reminder::{Filled, ReminderKind, ReminderTemplate};
use madoguchi_domain::status_page::StatusPageUse;
use madoguchi_domain::triage::{Choice, Link, Node, NodeKind, Outcome, Overrides, Tree};
use madoguchi_domain::worklist::{
    ContactAttempt, ContactChannel, ContactOutcome, ContactRecord, Reason,
};
use madoguchi_domain::{
    Action, ApplicationForm, ApplicationStatus, Code, InstitutionKind, Prefecture, RejectReason,
    ReturnReason,
};
use madoguchi_domain::{DeliveryState, NoticeKind};
use madoguchi_registry::diff::{Change, ChangeKind};

/// One declaration: its name, its TypeScript, and the names it refers to.
struct Declared {
    name: String,
    decl: String,
    uses: Vec<String>,
}

fn declared<T: TS + 'static>(cfg: &Config) -> Declared {
    Declared {
        name: T::ident(cfg),
        decl: format!("export {}", T::decl(cfg)),
        uses: T::dependencies(cfg).into_iter().map(|d| d.ts_name).collect(),
    }
}

macro_rules! declarations {
    ($cfg:expr; $($ty:ty),* $(,)?) => { vec![$(declared::<$ty>($cfg)),*] };
}

fn generate() -> (String, Vec<String>) {
    // Ids and counts are JSON numbers, well inside a double's exact range.
    let cfg = &Config::new().with_large_int("number");
    let mut all = declarations![cfg;
        Code, UiError, Prefecture, PrefectureView, Vocabulary, DeskSettings,
        CodeView, SuggestionView, CodeCheck,
        InstitutionRow, MatchReason, Hit, SearchResult, InstitutionDetail, RegistryStatus,
        ImportSummary, ImportProgress, ImportReport, SkippedRow, Change, ChangeKind,
        SyncOverview, SyncReport, DiagnosisStep, MailHealth, MailTally, DomainTally,
        ApplicationStatus, InstitutionKind, SubmittedBy, Action, ReturnReason, RejectReason,
        ApplicationForm, Application, Flag, QueueRow, QueueFilter, QueueSort, QueueItem, QueuePage,
        QueuePosition, PageRequest,
        AgeBucket, SavedView, NoticePreview, BulkOutcome, BulkRefusal, CsvEncoding, ExportReport,
        FieldError, Receipt, ProxyOutcome, AuditEntry, OutboxEntry, History,
        NoticeView, DeliveryStep, DeliveryState, NoticeKind, MailFacts,
        Tree, Node, NodeKind, Choice, Link, MailFact, Outcome, Overrides, ReportingWindow, ReportingAnswer,
        ReportingView, FaqHit, PrefectureSettings, WindowContact, PrefectureDraft, HomeArea, Practice,
        HealthCentre, SchemePeriod, Scheme, Topic, When,
        CallRecord, CallState, CallStep, CallInstitution, Disclosure, CallLinks, IdentityChecks,
        Disclosed, CallsOverview, CallStats, RetentionView,
        Timing, Coverage, CoverageRow, StandingCounts, CoverageWeek, Standing, Breakdown,
        CoverageFilter, CoverageEntry, ReportImport, WorkEntry, Worklist, WorklistFilter,
        EntryState, ReasonKind, StateCounts, Reason, ContactRecord, ContactAttempt,
        ContactChannel, ContactOutcome, BounceCategory, ReminderTemplate, ReminderKind, Filled,
        LetterReport, MailedReport, StatusPageUse,
    ];
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = all.iter().map(|d| d.name.as_str()).collect();
    let missing = all
        .iter()
        .flat_map(|d| d.uses.iter().filter(|u| !names.contains(&u.as_str())))
        .map(|u| u.to_owned())
        .collect();
    let commands: Vec<String> = madoguchi_app::COMMANDS.iter().map(|c| format!("'{c}'")).collect();
    let mut text = String::from(
        "// Generated from the Rust types by src-tauri/app/tests/bindings.rs: do not edit.\n\
         // `cargo test -p madoguchi-app --test bindings` rewrites it after a Rust change.\n\n",
    );
    text += &format!(
        "/** Every command the window may call. */\nexport type Command = {};\n",
        commands.join(" | ")
    );
    for d in &all {
        text += &format!("\n{}\n", d.decl);
    }
    (text, missing)
}

#[test]
fn the_windows_types_are_generated_from_the_rust_ones() {
    let (text, missing) = generate();
    assert!(missing.is_empty(), "types used but not generated: {missing:?}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != text {
        std::fs::write(&path, &text).unwrap();
        panic!("{} was stale and has been rewritten: check it and commit it", path.display());
    }
}

#[test]
fn the_bindings_carry_every_code_and_command() {
    let (text, _) = generate();
    assert!(text.contains("'E-CODE-CHECK'") && text.contains("'FLAG-DUPLICATE'"));
    assert!(text.contains("'decide'") && text.contains("'calls_overview'"));
    // Ids are numbers in JSON, not bigint.
    assert!(!text.contains("bigint"), "{text}");
}
