//! 審査: officers' decisions applied in one transaction each on its own, under idempotency keys
//! whose first answer every repeat gets again.

use async_trait::async_trait;
use madoguchi_domain::api::DecisionRequest;
use rand::Rng;

use super::error::Result;
use super::officers::Officer;
use crate::decisions::DecisionError;

/// One decision to apply: the application, what was asked, and the key it was asked under.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub id: i64,
    pub request: &'a DecisionRequest,
    pub key: &'a str,
    pub request_hash: String,
}

/// What a decision request came to: the first answer to its idempotency key, replayed for
/// every repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

pub(super) fn random_login_id() -> String {
    let mut rng = rand::thread_rng();
    format!("GM{:08}", rng.gen_range(0..100_000_000u32))
}

pub(super) fn random_password_link() -> String {
    let token: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(28)
        .map(char::from)
        .collect();
    format!("https://www.med-login.mhlw.go.jp/login?c={token}")
}

#[async_trait]
pub trait Decisions: Send + Sync {
    /// Applies decisions in order, in one transaction, each on its own: idempotency key,
    /// version check, state machine, account, notice, audit and changes. Each answer (success
    /// or refusal) is stored under its key, bound to its request (`request_hash`: its path and
    /// body); the key again with another request is refused. A refusal does not stop the ones
    /// after it. `public_url` starts a 差戻し mail's resubmission link.
    async fn decide(
        &self,
        officer: &Officer,
        decisions: &[Decision<'_>],
        public_url: &str,
        now: &str,
    ) -> Result<Vec<std::result::Result<Answer, DecisionError>>>;
    /// Forgets stored idempotent answers older than `before` (desks retry within minutes).
    async fn prune_idempotency(&self, before: &str) -> Result<usize>;
}

/// [`Decisions`] for both databases (see `sql`).
macro_rules! decisions_sql {
    ($storage:ty, $db:ty) => {
        /// A login ID no account holds: eight random digits collide now and then (one in a
        /// hundred million per pair), so each is looked up first.
        async fn free_login_id(tx: &mut sqlx::Transaction<'static, $db>) -> Result<String> {
            for _ in 0..16 {
                let candidate = random_login_id();
                let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE login_id = $1")
                    .bind(&candidate)
                    .fetch_optional(&mut **tx)
                    .await?;
                if taken.is_none() {
                    return Ok(candidate);
                }
            }
            Err(StorageError::Corrupt("no free login ID after 16 tries".into()))
        }

        /// One decision inside the caller's write transaction (see [`Decisions::decide`]).
        async fn decide_one(
            tx: &mut sqlx::Transaction<'static, $db>,
            officer: &Officer,
            decision: &Decision<'_>,
            public_url: &str,
            now: &str,
        ) -> Result<std::result::Result<Answer, DecisionError>> {
            let Decision { id, request, key, request_hash } = decision;
            let (id, request_hash) = (*id, request_hash.as_str());
            let claimed = sqlx::query(
                "INSERT INTO idempotency (officer_id, key, status, body, request_hash, created_at)
                 VALUES ($1, $2, 0, '', $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(officer.id)
            .bind(key)
            .bind(request_hash)
            .bind(now)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                // A repeat: the first answer, never a second decision — if it is the same request.
                let (status, body, first): (i64, String, String) = sqlx::query_as(
                    "SELECT status, body, request_hash FROM idempotency WHERE officer_id = $1 AND key = $2",
                )
                .bind(officer.id)
                .bind(key)
                .fetch_one(&mut **tx)
                .await?;
                // (Keys stored before requests were bound have no hash: taken as theirs.)
                if !first.is_empty() && first != request_hash {
                    return Ok(Err(DecisionError::KeyReused));
                }
                return Ok(Ok(Answer { status: status as u16, body }));
            }
            let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1 AND prefecture = $2 AND confirmed_at IS NOT NULL");
            let current: Option<ApplicationRow> =
                sqlx::query_as(&sql).bind(id).bind(officer.prefecture.code()).fetch_optional(&mut **tx).await?;
            let outcome = match current.map(ApplicationRow::into_application).transpose()? {
                None => Err(DecisionError::NotFound(id)),
                Some(current) => {
                    // A review start needs neither the institution's account nor the
                    // window's contact: only approvals read the one, mails the other.
                    let existing: Option<String> = if request.action.approves() {
                        sqlx::query_scalar(
                            "SELECT login_id FROM accounts
                             WHERE (insurance_code IS NOT NULL AND insurance_code = $1)
                                OR (prefecture = $2 AND institution_code = $3)
                             ORDER BY id LIMIT 1",
                        )
                        .bind(insurance_digits(&current.form))
                        .bind(current.prefecture.code())
                        .bind(current.form.institution_code.trim())
                        .fetch_optional(&mut **tx)
                        .await?
                    } else {
                        None
                    };
                    let settings: Option<String> = if request.action.mails() {
                        sqlx::query_scalar("SELECT payload FROM records WHERE kind = 'prefecture_settings' AND id = $1")
                            .bind(current.prefecture.code())
                            .fetch_optional(&mut **tx)
                            .await?
                    } else {
                        None
                    };
                    let settings = match settings.as_deref().map(from_json::<Entity>).transpose()? {
                        Some(Entity::PrefectureSettings(p)) => Some(p),
                        _ => None,
                    };
                    let context = Context {
                        existing_login: existing.as_deref(),
                        contact: settings.as_ref().and_then(|s| s.contact.as_ref()),
                        public_url,
                    };
                    let login_id = if request.action.approves() { free_login_id(tx).await? } else { String::new() };
                    let issued = || login_id.clone();
                    let issue = Issue {
                        login_id: &issued,
                        password_link: &random_password_link,
                        resubmit_token: &crate::tokens::random_token,
                    };
                    decisions::plan(&current, request, &context, &issue, now).map(|plan| (current, plan))
                }
            };
            let (current, plan) = match outcome {
                Ok(ok) => ok,
                Err(refusal) => {
                    remember(tx, officer.id, key, refusal.status(), &to_json(&refusal.to_api())).await?;
                    return Ok(Err(refusal));
                }
            };
            let next = &plan.next;
            let updated = sqlx::query(
                "UPDATE applications SET status = $1, version = $2, updated_at = $3, login_id = $4,
                     return_reason = $5, reject_reason = $6, note = $7
                 WHERE id = $8 AND version = $9",
            )
            .bind(name_of(&next.status))
            .bind(next.version)
            .bind(&next.updated_at)
            .bind(&next.login_id)
            .bind(next.return_reason.map(|r| name_of(&r)))
            .bind(next.reject_reason.map(|r| name_of(&r)))
            .bind(&next.note)
            .bind(next.id)
            .bind(current.version)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StorageError::Corrupt(format!("application {id} changed under a held write lock")));
            }
            if let Some(token) = &plan.resubmit_token {
                let expires = chrono::DateTime::parse_from_rfc3339(now)
                    .map_err(|e| StorageError::Corrupt(format!("decision time {now}: {e}")))?
                    + chrono::Duration::days(notice::RESUBMIT_DAYS);
                sqlx::query("UPDATE applications SET resubmit_token_hash = $1, resubmit_expires_at = $2 WHERE id = $3")
                    .bind(crate::tokens::token_hash(token))
                    .bind(crate::clock::stamp(expires.with_timezone(&chrono::Utc)))
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            if let Some(login_id) = &plan.new_account {
                let insurance = insurance_digits(&current.form);
                let account: AccountRow = sqlx::query_as(
                    "INSERT INTO accounts (prefecture, institution_code, insurance_code, institution_name, login_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     RETURNING id, prefecture, institution_code, insurance_code, institution_name, login_id, created_at",
                )
                .bind(next.prefecture.code())
                .bind(next.form.institution_code.trim())
                .bind(&insurance)
                .bind(next.form.name.trim())
                .bind(login_id)
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
                change(tx, next.prefecture, &Entity::Account(account.into_account()?)).await?;
                if let Some(code) = &insurance {
                    mark_account(tx, code).await?;
                }
            }
            let notice = match &plan.notice {
                None => None,
                Some(n) => {
                    let sql = format!(
                        "INSERT INTO notices (application_id, prefecture, kind, to_address, subject, body, created_at, delivery, desk_body)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {NOTICE_COLUMNS}"
                    );
                    let row: NoticeRow = sqlx::query_as(&sql)
                    .bind(next.id)
                    .bind(next.prefecture.code())
                    .bind(name_of(&n.kind))
                    .bind(&n.to)
                    .bind(&n.subject)
                    .bind(&n.body)
                    .bind(now)
                    .bind(to_json(&Delivery::queued(now)))
                    .bind(&n.desk_body)
                    .fetch_one(&mut **tx)
                    .await?;
                    let notice = row.into_notice()?;
                    change(tx, next.prefecture, &Entity::Notice(notice.clone())).await?;
                    Some(notice)
                }
            };
            audit_row(tx, next, Some(officer.id), &request.desk, Some(current.status), plan.reason.as_deref()).await?;
            change(tx, next.prefecture, &Entity::Application(next.clone())).await?;
            let body = to_json(&DecisionResponse { application: next.clone(), notice });
            remember(tx, officer.id, key, 200, &body).await?;
            Ok(Ok(Answer { status: 200, body }))
        }

        /// Stores the answer to an idempotency key: every repeat of the key gets it again.
        async fn remember(tx: &mut sqlx::Transaction<'static, $db>, officer: i64, key: &str, status: u16, body: &str) -> Result<()> {
            sqlx::query("UPDATE idempotency SET status = $1, body = $2 WHERE officer_id = $3 AND key = $4")
                .bind(i64::from(status))
                .bind(body)
                .bind(officer)
                .bind(key)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        #[async_trait]
        impl Decisions for $storage {
            async fn decide(
                &self,
                officer: &Officer,
                decisions: &[Decision<'_>],
                public_url: &str,
                now: &str,
            ) -> Result<Vec<std::result::Result<Answer, DecisionError>>> {
                let (_writer, mut tx) = self.write_within(officer.prefecture).await?;
                let mut answers = Vec::with_capacity(decisions.len());
                for decision in decisions {
                    answers.push(decide_one(&mut tx, officer, decision, public_url, now).await?);
                }
                tx.commit().await?;
                Ok(answers)
            }

            async fn prune_idempotency(&self, before: &str) -> Result<usize> {
                let (_writer, mut tx) = self.write().await?;
                let pruned = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
                    .bind(before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(pruned as usize)
            }
        }
    };
}

pub(super) use decisions_sql;
