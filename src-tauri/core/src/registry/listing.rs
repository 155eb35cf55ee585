//! 台帳照合: what the registry lists for the applications being flagged — the institutions
//! under each one's insurance code, and the open 助産所 of each prefecture a 助産所 applies
//! from — read from the store in a few statements for a whole queue (the lookup index keeps
//! no rows).

use std::collections::HashMap;

use madoguchi_domain::api::Application;
use madoguchi_domain::{InstitutionKind, InsuranceCode, Prefecture};
use madoguchi_registry::fold::split_name;

use crate::lookup::hit::InstitutionRow;
use crate::store::{Store, StoreError};

/// The registry's rows for some applications.
#[derive(Debug)]
pub struct Listing {
    /// Per insurance code asked about, its rows: open before closed, then as the lookup ranks
    /// names (shorter distinctive name first).
    by_code: HashMap<String, Vec<InstitutionRow>>,
    /// The open 助産所 of each prefecture asked about; None when the registry lists no 助産所
    /// at all (医療情報ネット's list not imported).
    maternity_homes: Option<HashMap<String, Vec<InstitutionRow>>>,
}

impl Listing {
    /// The institutions listed under a 10-digit insurance code; None for a code this listing
    /// was not read for.
    pub fn by_insurance_code(&self, digits: &str) -> Option<&[InstitutionRow]> {
        self.by_code.get(digits).map(Vec::as_slice)
    }

    /// The open 助産所 of `prefecture` whose distinctive name contains `name`'s or is contained
    /// in it; None when the registry lists no 助産所 at all.
    pub fn maternity_homes_named(
        &self,
        prefecture: Prefecture,
        name: &str,
    ) -> Option<Vec<&InstitutionRow>> {
        let homes = self.maternity_homes.as_ref()?;
        let ours = split_name(name).distinctive;
        let named = |row: &&InstitutionRow| {
            let theirs = split_name(&row.name).distinctive;
            !ours.is_empty() && (theirs.contains(&ours) || ours.contains(&theirs))
        };
        Some(homes.get(&prefecture.code()).into_iter().flatten().filter(named).collect())
    }
}

/// The application's insurance code, when it has one whose check digit holds, read as its
/// form was (a short code takes the 点数表 of the institution's kind).
pub(crate) fn checked_code(app: &Application) -> Option<InsuranceCode> {
    let text = app.form.insurance_code.as_deref().map(str::trim).filter(|c| !c.is_empty())?;
    InsuranceCode::parse_for(text, app.form.kind, Some(app.prefecture)).ok()
}

impl Store {
    /// The listing for `apps`; None while the registry is empty (nothing imported yet), when
    /// no registry check can be made.
    pub async fn listing<'a>(
        &self,
        apps: impl IntoIterator<Item = &'a Application>,
    ) -> Result<Option<Listing>, StoreError> {
        let listed: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM institutions)")
            .fetch_one(self.pool())
            .await?;
        if !listed {
            return Ok(None);
        }
        let (mut codes, mut prefectures) = (Vec::new(), Vec::new());
        for app in apps {
            match checked_code(app) {
                Some(code) => codes.push(code.digits()),
                None if app.form.kind == InstitutionKind::MaternityHome => {
                    prefectures.push(app.prefecture.code())
                }
                None => {}
            }
        }
        let mut by_code: HashMap<String, Vec<InstitutionRow>> =
            codes.iter().map(|c| (c.clone(), Vec::new())).collect();
        let rows: Vec<InstitutionRow> = sqlx::query_as(&format!(
            "SELECT {} FROM institutions
             WHERE insurance_code IN (SELECT value FROM json_each(?1))",
            InstitutionRow::COLUMNS
        ))
        .bind(serde_json::to_string(&codes).expect("strings"))
        .fetch_all(self.pool())
        .await?;
        for row in rows {
            let code = row.insurance_code.clone().unwrap_or_default();
            by_code.entry(code).or_default().push(row);
        }
        for rows in by_code.values_mut() {
            rows.sort_by_cached_key(|r| {
                let main = split_name(&r.name).distinctive;
                (r.closed, main.chars().count(), main, r.id)
            });
        }

        let maternity = InstitutionKind::MaternityHome.key();
        let any_home: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM institutions WHERE kind = ?1)")
                .bind(maternity)
                .fetch_one(self.pool())
                .await?;
        let maternity_homes = if any_home {
            let rows: Vec<InstitutionRow> = sqlx::query_as(&format!(
                "SELECT {} FROM institutions
                 WHERE kind = ?1 AND closed_import_id IS NULL
                   AND prefecture IN (SELECT value FROM json_each(?2))
                 ORDER BY id",
                InstitutionRow::COLUMNS
            ))
            .bind(maternity)
            .bind(serde_json::to_string(&prefectures).expect("strings"))
            .fetch_all(self.pool())
            .await?;
            let mut homes: HashMap<String, Vec<InstitutionRow>> = HashMap::new();
            for row in rows {
                homes.entry(row.prefecture.clone()).or_default().push(row);
            }
            Some(homes)
        } else {
            None
        };
        Ok(Some(Listing { by_code, maternity_homes }))
    }
}
