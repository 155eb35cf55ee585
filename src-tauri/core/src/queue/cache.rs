//! The queue's working set: every application read, flagged and folded once, kept until the
//! store or the lookup index changes, so a filter runs over memory and not over SQLite. A
//! line keeps what the list shows and filters by, not the whole form: the detail and the
//! export read the form from the store when they need it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{Application, Notice, SubmittedBy};
use madoguchi_domain::{ApplicationStatus, InstitutionKind};
use madoguchi_registry::fold::fold;

use crate::flags::{flags, Flag, FlagContext, OpenApplications};
use crate::mail::delivery_flag;
use crate::store::{Store, StoreError};

/// An application as read, flagged and folded once; filters run over these. The cache holds
/// them oldest first (the store's order by reception), which is the default sort.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub id: i64,
    pub name: String,
    pub kind: InstitutionKind,
    pub submitted_by: SubmittedBy,
    pub resubmission: bool,
    /// The server's status, and this desk's unsent one over it.
    server: ApplicationStatus,
    pub local: Option<ApplicationStatus>,
    pub flags: Vec<Flag>,
    received: Option<DateTime<Utc>>,
    /// For 管轄 (the area filter).
    pub address: String,
    /// Name, reading, email and codes, folded as the lookup folds.
    folded: String,
    /// Phone, insurance and postal digits, for digit searches.
    digits: String,
    pub kana: String,
}

fn prepare(
    application: Application,
    local: Option<ApplicationStatus>,
    ctx: &FlagContext,
    latest_notice: Option<&Notice>,
) -> Prepared {
    let status = local.unwrap_or(application.status);
    let mut flags = if status.is_final() { Vec::new() } else { flags(&application, ctx) };
    flags.extend(latest_notice.and_then(delivery_flag));
    let received =
        DateTime::parse_from_rfc3339(&application.received_at).ok().map(|d| d.with_timezone(&Utc));
    let f = application.form;
    let insurance = f.insurance_code.as_deref().unwrap_or("");
    let folded =
        [&f.name, &f.kana, &f.email, &f.institution_code, insurance].map(fold).join("\u{1f}");
    let digits = [&f.phone, insurance, &f.postal_code]
        .map(|t| t.chars().filter(char::is_ascii_digit).collect::<String>())
        .join("-");
    Prepared {
        id: application.id,
        kind: f.kind,
        submitted_by: application.submitted_by,
        resubmission: application.resubmission_of.is_some(),
        server: application.status,
        local,
        flags,
        received,
        kana: fold(&f.kana),
        folded,
        digits,
        address: f.address,
        name: f.name,
    }
}

impl Prepared {
    /// What the desk shows: the server's status with this desk's unsent actions applied.
    pub fn status(&self) -> ApplicationStatus {
        self.local.unwrap_or(self.server)
    }

    pub fn age_minutes(&self, now: DateTime<Utc>) -> i64 {
        self.received.map_or(0, |r| (now - r).num_minutes().max(0))
    }

    /// Whether the folded query is in the name, reading, mail or codes, or (four digits or
    /// more) in the phone, insurance or postal digits.
    pub fn matches_text(&self, folded: &str) -> bool {
        let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
        self.folded.contains(folded) || (digits.len() >= 4 && self.digits.contains(&digits))
    }
}

/// What the rows were prepared from: the store's generation (bumped by triggers on every
/// change to applications and accounts) and the registry's last import.
type CacheKey = (i64, Option<i64>);

/// The queue as last prepared, shared by every reader of one desk.
#[derive(Debug, Default)]
pub struct QueueCache(Mutex<Option<(CacheKey, Arc<Vec<Prepared>>)>>);

impl QueueCache {
    /// Every application read and flagged, from the cache while nothing changed.
    pub(crate) async fn prepared(&self, store: &Store) -> Result<Arc<Vec<Prepared>>, StoreError> {
        let generation: i64 = sqlx::query_scalar("SELECT n FROM queue_generation WHERE id = 1")
            .fetch_one(store.pool())
            .await?;
        let import: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM registry_imports")
            .fetch_one(store.pool())
            .await?;
        let key = (generation, import);
        if let Some((_, rows)) = self.0.lock().expect("queue cache").as_ref().filter(|c| c.0 == key)
        {
            return Ok(rows.clone());
        }
        let all = store.applications().await?;
        let accounts = store.known_accounts().await?;
        let open = OpenApplications::new(all.iter().map(|(a, _)| a));
        let listing = store.listing(all.iter().map(|(a, _)| a)).await?;
        let ctx = FlagContext { registry: listing.as_ref(), accounts: &accounts, open: &open };
        let notices = store.latest_notices().await?;
        let rows: Arc<Vec<Prepared>> = Arc::new(
            all.into_iter()
                .map(|(app, local)| {
                    let notice = notices.get(&app.id);
                    prepare(app, local, &ctx, notice)
                })
                .collect(),
        );
        // The previous lines, when no reader holds them any more, go with the replaced entry.
        let replaced = self.0.lock().expect("queue cache").replace((key, rows.clone()));
        drop(replaced);
        // The applications, accounts and listing read to prepare them are freed: give it back.
        crate::memory::give_back();
        Ok(rows)
    }
}
