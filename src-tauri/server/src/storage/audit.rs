//! 監査記録の書き出し: one prefecture's trail over a period — officers' decisions, what became
//! of each notice, and the operators' own actions (officers' tokens, restores, retention) —
//! as rows a prefecture's auditor can read. Codes and states only: no form value, no note, no
//! relay words (which repeat addresses).

use async_trait::async_trait;

use super::error::Result;

/// One line of the trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    pub at: String,
    /// `decision`, `delivery` or `admin`.
    pub kind: String,
    pub application_id: Option<i64>,
    pub notice_id: Option<i64>,
    pub officer_id: Option<i64>,
    pub desk: Option<String>,
    pub from_status: Option<String>,
    /// A decision's new status, a notice's delivery state, or the admin action.
    pub to: String,
    /// A decision's reason code, a bounce's category, or what the operator did.
    pub detail: Option<String>,
}

#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// `prefecture`'s trail from `from` (inclusive) to `to` (exclusive), RFC 3339 bounds, in
    /// time order; operators' actions for every prefecture are included.
    async fn audit_trail(&self, prefecture: &str, from: &str, to: &str) -> Result<Vec<AuditRow>>;
}

pub(super) type AuditRaw = (
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
);

/// [`AuditTrail`] for both databases (see `sql`).
macro_rules! audit_sql {
    ($storage:ty, $db:ty) => {
        #[async_trait]
        impl AuditTrail for $storage {
            async fn audit_trail(&self, prefecture: &str, from: &str, to: &str) -> Result<Vec<AuditRow>> {
                let rows: Vec<AuditRaw> = sqlx::query_as(
                    "SELECT at, 'decision' AS kind, CAST(application_id AS BIGINT) AS application_id,
                            CAST(NULL AS BIGINT) AS notice_id, CAST(officer_id AS BIGINT) AS officer_id,
                            desk, from_status, to_status, reason
                       FROM audit WHERE prefecture = $1 AND at >= $2 AND at < $3
                     UNION ALL
                     SELECT d.at, 'delivery', CAST(n.application_id AS BIGINT), CAST(d.notice_id AS BIGINT),
                            CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), d.state, d.event
                       FROM delivery_audit d JOIN notices n ON n.id = d.notice_id
                      WHERE d.prefecture = $1 AND d.at >= $2 AND d.at < $3
                     UNION ALL
                     SELECT at, 'admin', CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
                            CAST(NULL AS TEXT), CAST(NULL AS TEXT), action, detail
                       FROM admin_audit WHERE (prefecture = $1 OR prefecture IS NULL) AND at >= $2 AND at < $3
                     ORDER BY 1, 2",
                )
                .bind(prefecture)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(at, kind, application_id, notice_id, officer_id, desk, from_status, to, detail)| {
                        // A delivery event: its category and codes, never the relay's words.
                        let detail = match (kind.as_str(), detail) {
                            ("delivery", Some(event)) => {
                                let event: String = event;
                                let e: DeliveryEvent = from_json(&event)?;
                                let category = e.category.map(|c| name_of(&c));
                                let code = e.smtp_code.map(|c| c.to_string());
                                let parts: Vec<String> = [category, code, e.enhanced_status].into_iter().flatten().collect();
                                (!parts.is_empty()).then(|| parts.join(" "))
                            }
                            (_, detail) => detail,
                        };
                        Ok(AuditRow { at, kind, application_id, notice_id, officer_id, desk, from_status, to, detail })
                    })
                    .collect()
            }
        }
    };
}

pub(super) use audit_sql;
