//! 受付: applications entering — from a desk, from the public page held for their 疎通確認, and
//! 再申請 through a 差戻し mail's link — and unconfirmed ones purged when their link expires.

use async_trait::async_trait;
use madoguchi_domain::api::{Application, Receipt, SubmittedBy};
use madoguchi_domain::{ApplicationForm, Prefecture, ValidForm};

use super::error::Result;

/// At most this many applications wait for their 疎通確認 at one address: the check mail
/// cannot be sent to a stranger's address over and over.
pub const PENDING_PER_ADDRESS: i64 = 3;

/// What holding an application from the internet came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Held, its 疎通確認 mail queued.
    Held(Receipt),
    /// The same institution already has one pending with the same address.
    Duplicate,
    /// [`PENDING_PER_ADDRESS`] applications already wait for that address's check.
    AddressBusy,
}

/// The 疎通確認 of one application: the hashed one-time token, its expiry, and the link and
/// status page its mail names (the mail is written once the application has its number).
#[derive(Debug, Clone)]
pub struct AddressCheck {
    pub token_hash: String,
    pub expires_at: String,
    link: String,
    status_page: String,
}

impl AddressCheck {
    /// A new 疎通確認: a fresh one-time token (only its hash kept), valid for
    /// `ADDRESS_CHECK_HOURS`, whose link opens `public_url`'s confirmation page.
    pub fn new(public_url: &str) -> Self {
        use madoguchi_domain::notice::ADDRESS_CHECK_HOURS;
        let token = crate::tokens::random_token();
        let expires = chrono::Utc::now() + chrono::Duration::hours(ADDRESS_CHECK_HOURS);
        Self {
            token_hash: crate::tokens::token_hash(&token),
            expires_at: crate::clock::stamp(expires),
            link: format!("{public_url}/apply/confirm?t={token}"),
            status_page: format!("{public_url}{}", madoguchi_domain::status_page::PATH),
        }
    }

    /// Subject and body of the mail for application `id`.
    pub(super) fn mail(&self, id: i64) -> (String, String) {
        madoguchi_domain::notice::address_check(&self.link, id, &self.status_page)
    }
}

/// What opening a 疎通確認 link came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    Confirmed(Receipt),
    /// Expired, used already, or never issued: the same answer for each.
    Unusable,
}

/// How a new application enters: at once, or held for its 疎通確認 (`held`), and whom it
/// was entered by, whether its address is known to reach them, what it corrects.
pub(super) struct Entry<'a> {
    pub(super) by: SubmittedBy,
    pub(super) held: Option<&'a AddressCheck>,
    pub(super) verified: bool,
    pub(super) resubmission_of: Option<i64>,
}

#[async_trait]
pub trait Intake: Send + Sync {
    /// Stores a validated application and its first change and audit rows.
    async fn submit(
        &self,
        form: &ApplicationForm,
        valid: &ValidForm,
        by: SubmittedBy,
        now: &str,
    ) -> Result<Receipt>;
    /// Stores an application from the open internet, unconfirmed: out of the feed and the
    /// officers' reach until [`Intake::confirm_address`], with its 疎通確認 mail queued.
    /// A resubmission names the returned application it corrects: once confirmed, it ends it.
    async fn submit_unconfirmed(
        &self,
        form: &ApplicationForm,
        valid: &ValidForm,
        check: &AddressCheck,
        resubmission_of: Option<i64>,
        now: &str,
    ) -> Result<Held>;
    /// The returned application whose 差戻し mail carried the link token hashing to
    /// `token_hash`, while the link is good (not expired, not yet resubmitted).
    async fn returned_by_token(&self, token_hash: &str, now: &str) -> Result<Option<Application>>;
    /// 再申請 to the same address the 差戻し mail reached (so already verified): the corrected
    /// application enters the queue linked to the returned one, which ends as 再申請済み, in
    /// one transaction. `None`: the link is no longer good, or the form left the prefecture.
    async fn resubmit(
        &self,
        token_hash: &str,
        form: &ApplicationForm,
        valid: &ValidForm,
        now: &str,
    ) -> Result<Option<Receipt>>;
    /// Opens the 疎通確認 link whose token hashes to `token_hash`: the application enters the
    /// feed, marked address-verified. The link works once, until it expires.
    async fn confirm_address(&self, token_hash: &str, now: &str) -> Result<Confirmation>;
    /// The application a usable 疎通確認 link (token hashing to `token_hash`) would confirm,
    /// and its prefecture; read without the write lock, changing nothing.
    async fn pending_confirmation(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<(i64, Prefecture)>>;
    /// Deletes unconfirmed applications whose link expired before `now`, with their mail.
    async fn purge_unconfirmed(&self, now: &str) -> Result<usize>;
}

/// [`Intake`] for both databases (see `sql`).
macro_rules! intake_sql {
    ($storage:ty, $db:ty) => {
        /// Stores a new application as `entry` says and returns it as the feed will show it.
        async fn insert_application(
            tx: &mut sqlx::Transaction<'static, $db>,
            form: &ApplicationForm,
            prefecture: Prefecture,
            entry: &Entry<'_>,
            now: &str,
        ) -> Result<Application> {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO applications (prefecture, status, version, form, submitted_by, received_at, updated_at,
                     confirmed_at, address_verified, confirm_token_hash, confirm_expires_at, resubmission_of, email_key)
                 VALUES ($1, 'submitted', 1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(prefecture.code())
            .bind(to_json(form))
            .bind(name_of(&entry.by))
            .bind(now)
            .bind(entry.held.is_none().then_some(now))
            .bind(entry.verified)
            .bind(entry.held.map(|c| c.token_hash.as_str()))
            .bind(entry.held.map(|c| c.expires_at.as_str()))
            .bind(entry.resubmission_of)
            .bind(email_key(&form.email))
            .fetch_one(&mut **tx)
            .await?;
            Ok(Application {
                id,
                prefecture,
                status: ApplicationStatus::Submitted,
                version: 1,
                form: form.clone(),
                submitted_by: entry.by,
                received_at: now.to_owned(),
                updated_at: now.to_owned(),
                login_id: None,
                return_reason: None,
                reject_reason: None,
                note: None,
                address_verified: entry.verified,
                resubmission_of: entry.resubmission_of,
                resubmitted_as: None,
                status_page: Default::default(),
            })
        }

        /// Ends returned application `returned` as 再申請済み, replaced by `successor`; its
        /// link stops working. Nothing if it is no longer returned (another came first).
        async fn close_returned(tx: &mut sqlx::Transaction<'static, $db>, returned: i64, successor: i64, now: &str) -> Result<()> {
            let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1 AND status = 'returned_for_correction'");
            let Some(row) = sqlx::query_as::<_, ApplicationRow>(&sql).bind(returned).fetch_optional(&mut **tx).await? else {
                return Ok(());
            };
            let mut app = row.into_application()?;
            let from = app.status;
            app.status = from.apply(madoguchi_domain::Action::Resubmit).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            app.version += 1;
            app.updated_at = now.to_owned();
            app.resubmitted_as = Some(successor);
            sqlx::query(
                "UPDATE applications SET status = $1, version = $2, updated_at = $3, resubmitted_as = $4,
                     resubmit_token_hash = NULL WHERE id = $5",
            )
            .bind(name_of(&app.status))
            .bind(app.version)
            .bind(now)
            .bind(successor)
            .bind(returned)
            .execute(&mut **tx)
            .await?;
            audit_row(tx, &app, None, "intake", Some(from), Some(&format!("再申請（受付番号 {successor}）"))).await?;
            change(tx, app.prefecture, &Entity::Application(app)).await?;
            Ok(())
        }

        #[async_trait]
        impl Intake for $storage {
            async fn submit(&self, form: &ApplicationForm, valid: &ValidForm, by: SubmittedBy, now: &str) -> Result<Receipt> {
                let (_writer, mut tx) = self.write().await?;
                let entry = Entry { by, held: None, verified: false, resubmission_of: None };
                let app = insert_application(&mut tx, form, valid.prefecture, &entry, now).await?;
                let id = app.id;
                audit_row(&mut tx, &app, None, "intake", None, None).await?;
                change(&mut tx, app.prefecture, &Entity::Application(app)).await?;
                tx.commit().await?;
                Ok(Receipt { id, prefecture: valid.prefecture, received_at: now.to_owned() })
            }

            async fn submit_unconfirmed(
                &self,
                form: &ApplicationForm,
                valid: &ValidForm,
                check: &AddressCheck,
                resubmission_of: Option<i64>,
                now: &str,
            ) -> Result<Held> {
                let (_writer, mut tx) = self.write().await?;
                // The same institution (by insurance code, else 機関コード) with the same address,
                // still waiting for its link or for a decision: not a second application.
                let email = form.email.trim().to_lowercase();
                let key = insurance_digits(form);
                let sql = format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications WHERE prefecture = $1 AND email_key = $3
                     AND ((confirmed_at IS NULL AND confirm_expires_at > $2) OR status IN ('submitted', 'in_review'))"
                );
                let open: Vec<ApplicationRow> = sqlx::query_as(&sql)
                    .bind(valid.prefecture.code())
                    .bind(now)
                    .bind(email_key(&form.email))
                    .fetch_all(&mut *tx)
                    .await?;
                for row in open {
                    let app = row.into_application()?;
                    let same_institution = match (&key, insurance_digits(&app.form)) {
                        (Some(a), Some(b)) => *a == b,
                        _ => app.form.institution_code.trim() == form.institution_code.trim(),
                    };
                    if same_institution && app.form.email.trim().to_lowercase() == email {
                        return Ok(Held::Duplicate);
                    }
                }
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM applications WHERE email_key = $1 AND confirmed_at IS NULL AND confirm_expires_at > $2",
                )
                .bind(email_key(&form.email))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                if waiting >= PENDING_PER_ADDRESS {
                    return Ok(Held::AddressBusy);
                }
                let entry = Entry { by: SubmittedBy::Institution, held: Some(check), verified: false, resubmission_of };
                let id = insert_application(&mut tx, form, valid.prefecture, &entry, now).await?.id;
                let (subject, body) = check.mail(id);
                sqlx::query(
                    "INSERT INTO notices (application_id, prefecture, kind, to_address, subject, body, created_at, delivery)
                     VALUES ($1, $2, 'address_check', $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(valid.prefecture.code())
                .bind(form.email.trim())
                .bind(subject)
                .bind(body)
                .bind(now)
                .bind(to_json(&Delivery::queued(now)))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Held::Held(Receipt { id, prefecture: valid.prefecture, received_at: now.to_owned() }))
            }

            async fn returned_by_token(&self, token_hash: &str, now: &str) -> Result<Option<Application>> {
                let sql = format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications WHERE resubmit_token_hash = $1
                     AND resubmit_expires_at > $2 AND status = 'returned_for_correction'"
                );
                let row: Option<ApplicationRow> =
                    sqlx::query_as(&sql).bind(token_hash).bind(now).fetch_optional(&self.pool).await?;
                row.map(ApplicationRow::into_application).transpose()
            }

            async fn resubmit(&self, token_hash: &str, form: &ApplicationForm, valid: &ValidForm, now: &str) -> Result<Option<Receipt>> {
                let (_writer, mut tx) = self.write().await?;
                let returned: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM applications WHERE resubmit_token_hash = $1
                     AND resubmit_expires_at > $2 AND status = 'returned_for_correction' AND prefecture = $3",
                )
                .bind(token_hash)
                .bind(now)
                .bind(valid.prefecture.code())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(returned) = returned else { return Ok(None) };
                let entry = Entry { by: SubmittedBy::Institution, held: None, verified: true, resubmission_of: Some(returned) };
                let app = insert_application(&mut tx, form, valid.prefecture, &entry, now).await?;
                let id = app.id;
                close_returned(&mut tx, returned, id, now).await?;
                let reason = format!("再申請（差戻しの受付番号 {returned}）");
                audit_row(&mut tx, &app, None, "intake", None, Some(&reason)).await?;
                change(&mut tx, app.prefecture, &Entity::Application(app)).await?;
                tx.commit().await?;
                Ok(Some(Receipt { id, prefecture: valid.prefecture, received_at: now.to_owned() }))
            }

            async fn pending_confirmation(&self, token_hash: &str, now: &str) -> Result<Option<(i64, Prefecture)>> {
                let row: Option<(i64, String)> = sqlx::query_as(
                    "SELECT id, prefecture FROM applications WHERE confirm_token_hash = $1 AND confirmed_at IS NULL AND confirm_expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id, p)| Ok((id, p.parse().map_err(|_| StorageError::Corrupt(format!("prefecture {p:?}")))?)))
                    .transpose()
            }

            async fn confirm_address(&self, token_hash: &str, now: &str) -> Result<Confirmation> {
                // A guessed or spent link is answered without the write lock.
                if self.pending_confirmation(token_hash, now).await?.is_none() {
                    return Ok(Confirmation::Unusable);
                }
                let (_writer, mut tx) = self.write().await?;
                let sql = format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications
                     WHERE confirm_token_hash = $1 AND confirmed_at IS NULL AND confirm_expires_at > $2"
                );
                let Some(row) = sqlx::query_as::<_, ApplicationRow>(&sql).bind(token_hash).bind(now).fetch_optional(&mut *tx).await? else {
                    return Ok(Confirmation::Unusable);
                };
                let mut app = row.into_application()?;
                sqlx::query(
                    "UPDATE applications SET confirmed_at = $1, address_verified = $2, confirm_token_hash = NULL WHERE id = $3",
                )
                .bind(now)
                .bind(true)
                .bind(app.id)
                .execute(&mut *tx)
                .await?;
                app.address_verified = true;
                if let Some(returned) = app.resubmission_of {
                    close_returned(&mut tx, returned, app.id, now).await?;
                }
                audit_row(&mut tx, &app, None, "intake", None, Some("メールアドレス確認済み")).await?;
                change(&mut tx, app.prefecture, &Entity::Application(app.clone())).await?;
                tx.commit().await?;
                Ok(Confirmation::Confirmed(Receipt { id: app.id, prefecture: app.prefecture, received_at: app.received_at }))
            }

            async fn purge_unconfirmed(&self, now: &str) -> Result<usize> {
                let (_writer, mut tx) = self.write().await?;
                let lapsed: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT id, prefecture, form FROM applications WHERE confirmed_at IS NULL AND confirm_expires_at <= $1",
                )
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
                let mut ids = Vec::with_capacity(lapsed.len());
                for (id, prefecture, form) in lapsed {
                    // The prefecture hears which institution applied and was not reached;
                    // nothing the applicant typed beyond the institution stays.
                    let form: ApplicationForm = from_json(&form)?;
                    let prefecture: Prefecture = prefecture.parse().map_err(|_| StorageError::Corrupt(format!("prefecture of {id}")))?;
                    let check = madoguchi_domain::api::LapsedCheck {
                        id,
                        prefecture,
                        kind: form.kind,
                        institution_name: form.name.trim().to_owned(),
                        insurance_code: insurance_digits(&form),
                        lapsed_at: now.to_owned(),
                    };
                    change(&mut tx, prefecture, &Entity::Lapsed(check)).await?;
                    ids.push(id);
                }
                for id in &ids {
                    for sql in [
                        "UPDATE inbound_mail SET notice_id = NULL WHERE notice_id IN (SELECT id FROM notices WHERE application_id = $1)",
                        "DELETE FROM delivery_audit WHERE notice_id IN (SELECT id FROM notices WHERE application_id = $1)",
                        "DELETE FROM notices WHERE application_id = $1",
                        "DELETE FROM audit WHERE application_id = $1",
                        "DELETE FROM applications WHERE id = $1",
                    ] {
                        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(ids.len())
            }
        }
    };
}

pub(super) use intake_sql;
