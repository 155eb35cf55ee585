//! カバー状況: the prefecture's registry against the accounts and applications the desk holds —
//! each open institution's standing (see the domain's `outreach`), counted by 機関区分 and
//! municipality. An institution listed by two sources under one insurance code counts once;
//! a 助産所 (no insurance code) is matched to an account by its name.

use std::collections::{HashMap, HashSet};

use madoguchi_domain::outreach::{class_of, municipality_of, tally, Coverage, Standing};
use madoguchi_domain::{ApplicationStatus, InstitutionKind, Prefecture};

use crate::store::{Store, StoreError};

/// kind, insurance code, municipality code, address, name, whether an account has the code.
type RegistryRow = (Option<String>, Option<String>, Option<String>, String, String, bool);

impl Store {
    /// The coverage of `prefecture`'s open registry rows.
    pub async fn coverage(&self, prefecture: Prefecture) -> Result<Coverage, StoreError> {
        let code = prefecture.code();
        // Accounts without an insurance code (助産所) are matched by name; the rest by index.
        let by_name: HashSet<String> = sqlx::query_scalar::<_, Option<String>>(
            "SELECT json_extract(payload, '$.institution_name') FROM accounts
             WHERE insurance_code IS NULL",
        )
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .flatten()
        .collect();
        let applications: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT status, json_extract(payload, '$.form.insurance_code') FROM applications
             WHERE prefecture = ?1",
        )
        .bind(&code)
        .fetch_all(self.pool())
        .await?;
        let mut statuses: HashMap<String, Vec<ApplicationStatus>> = HashMap::new();
        for (status, insurance_code) in applications {
            let status = serde_json::from_value(serde_json::Value::String(status))?;
            if let Some(c) = insurance_code {
                statuses.entry(c).or_default().push(status);
            }
        }
        // A row whose kind the list tells first, so an institution listed twice is counted
        // under its kind.
        let rows: Vec<RegistryRow> = sqlx::query_as(
            "SELECT kind, insurance_code, municipality_code, address, name,
                    EXISTS (SELECT 1 FROM accounts a WHERE a.insurance_code = i.insurance_code)
             FROM institutions i
             WHERE prefecture = ?1 AND closed_import_id IS NULL ORDER BY kind IS NULL, id",
        )
        .bind(&code)
        .fetch_all(self.pool())
        .await?;
        let mut seen = HashSet::new();
        let counted = rows.into_iter().filter_map(
            |(kind, insurance_code, municipality, address, name, account)| {
                if let Some(c) = &insurance_code {
                    if !seen.insert(c.clone()) {
                        return None;
                    }
                }
                let kind = kind.as_deref().and_then(InstitutionKind::from_key);
                let (key, label) = class_of(kind, insurance_code.as_deref());
                let has_account = account || (insurance_code.is_none() && by_name.contains(&name));
                let held = insurance_code.as_ref().and_then(|c| statuses.get(c));
                let standing = Standing::of(has_account, held.into_iter().flatten().copied());
                // The municipality by its code where the list gives one, else by the name the
                // address begins with (a 厚生局 list gives none).
                let name = municipality_of(&address);
                Some((key, label, municipality.unwrap_or_else(|| name.clone()), name, standing))
            },
        );
        Ok(tally(counted.collect::<Vec<_>>()))
    }
}
