//! カバー状況: the prefecture's registry against the accounts, applications and 報告状況 the
//! desk holds — each open institution's standing (see the domain's `outreach`), counted by
//! 機関区分, municipality and 保健所 area, with the list behind every number. An institution
//! listed by two sources under one insurance code counts once; a 助産所 (no insurance code)
//! is matched to an account by its name. The counting runs in SQL: a prefecture holds up to
//! ≈40k institutions and the window asks for it whenever the view opens.

pub mod contacts;
mod facts;
pub mod listing;
pub mod reminders;
pub mod reports;
pub mod worklist;

use chrono::{Datelike, NaiveDate};
use madoguchi_domain::api::PrefectureSettings;
use std::collections::HashMap;

use madoguchi_domain::outreach::{
    class_number, class_of, municipality_of, scheme_of, tally, Counted, Coverage, CoverageWeek,
    Standing, StandingCounts, CLASSES,
};
use madoguchi_domain::practice::Scheme;
use madoguchi_domain::{InstitutionKind, Prefecture};
use serde::{Deserialize, Serialize};
use sqlx::Sqlite;

use crate::records::RecordKind;
use crate::store::{Store, StoreError};

/// The breakdowns a coverage row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    Kind,
    Municipality,
    HealthCentre,
}

/// Which institutions to list: those behind one number of the coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CoverageFilter {
    /// A row of a breakdown, by its key; none is the whole prefecture.
    pub row: Option<(Breakdown, String)>,
    pub standing: Option<Standing>,
    /// 報告済 (true) or 未報告 (false) for the current period.
    pub reported: Option<bool>,
}

/// One institution behind a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CoverageEntry {
    pub registry_id: i64,
    pub name: String,
    pub insurance_code: Option<String>,
    pub class_label: String,
    /// The scheme it reports under.
    pub scheme: Scheme,
    pub municipality: String,
    pub postal_code: Option<String>,
    pub address: String,
    pub phone: Option<String>,
    pub standing: Standing,
    pub reported: bool,
}

/// The SQL CASE giving the scheme a row's class reports under (`scheme_of`).
fn scheme_sql() -> String {
    let arms: Vec<String> = CLASSES
        .iter()
        .enumerate()
        .map(|(n, c)| format!("WHEN {n} THEN '{}'", scheme_key(scheme_of(c.0))))
        .collect();
    format!("CASE r.class {} END", arms.join(" "))
}

pub(crate) fn scheme_key(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Medical => "medical",
        Scheme::Pharmacy => "pharmacy",
        Scheme::Kakaritsuke => "kakaritsuke",
    }
}

/// Every institution counted in prefecture ?1, with its standing (its account and the rank of
/// its applications are kept on the row by the store's triggers) and whether it reported in
/// the period ?2 (医療機能情報) or ?3 (薬局機能情報).
pub(super) fn standings_sql() -> String {
    format!(
        "SELECT r.id, r.insurance_code, r.name, r.postal_code, r.address, r.phone, r.class, r.place,
                CASE WHEN r.has_account OR (r.insurance_code IS NULL AND r.name IN (
                         SELECT json_extract(payload, '$.institution_name') FROM accounts
                         WHERE insurance_code IS NULL))
                     THEN 0 ELSE coalesce(r.application_rank, {none}) END AS standing,
                EXISTS (
                    SELECT 1 FROM reports p
                    WHERE p.prefecture = ?1 AND p.scheme = {scheme}
                      AND p.period = CASE {scheme} WHEN 'medical' THEN ?2 WHEN 'pharmacy' THEN ?3 END
                      AND p.institution = coalesce(r.insurance_code, 'name:' || r.name)
                      AND p.reported = 1) AS reported
         FROM institutions r WHERE r.prefecture = ?1 AND r.counted = 1",
        scheme = scheme_sql(),
        none = Standing::NotApplied.rank(),
    )
}

/// The current 定期報告期間 of each scheme the coverage reads reports for, by its first day.
pub(crate) fn periods(settings: Option<&PrefectureSettings>) -> [Option<String>; 2] {
    let practice = settings.map(PrefectureSettings::practice_in_force).unwrap_or_default();
    [Scheme::Medical, Scheme::Pharmacy].map(|s| practice.period(s).map(|w| w.starts.to_string()))
}

impl Store {
    /// The prefecture's settings as this desk holds them, whichever prefecture the desk is set to.
    pub(crate) async fn settings_of(
        &self,
        prefecture: Prefecture,
    ) -> Result<Option<PrefectureSettings>, StoreError> {
        let record = self.record(RecordKind::PrefectureSettings, &prefecture.code()).await?;
        record.map(|(payload, _)| Ok(serde_json::from_str(&payload)?)).transpose()
    }

    /// The coverage of `prefecture`'s open registry rows, recorded as this week's point of
    /// the trend (`today`, the desk's date).
    pub async fn coverage(
        &self,
        prefecture: Prefecture,
        today: NaiveDate,
    ) -> Result<Coverage, StoreError> {
        let settings = self.settings_of(prefecture).await?;
        let [medical, pharmacy] = periods(settings.as_ref());
        let code = prefecture.code();
        let places = self.place_names(prefecture).await?;
        let groups: Vec<(i64, Option<i64>, i64, bool, i64)> = sqlx::query_as(&format!(
            "SELECT class, place, standing, reported, count(*) FROM ({}) GROUP BY 1, 2, 3, 4",
            standings_sql()
        ))
        .bind(&code)
        .bind(&medical)
        .bind(&pharmacy)
        .fetch_all(self.pool())
        .await?;
        let counted = groups.into_iter().map(|(class, place, standing, reported, count)| {
            let place_name = place.and_then(|p| places.get(&p)).cloned().unwrap_or_default();
            Ok(Counted {
                class: class_numbered(class),
                place_key: place.map(|p| p.to_string()).unwrap_or_default(),
                place_name,
                standing: standing_ranked(standing)?,
                reported,
                count,
            })
        });
        let practice = settings.as_ref().map(|s| s.practice.clone()).unwrap_or_default();
        let mut coverage = tally(counted.collect::<Result<Vec<_>, StoreError>>()?, &practice);
        for (scheme, period) in [(Scheme::Medical, &medical), (Scheme::Pharmacy, &pharmacy)] {
            if let Some(period) = period {
                coverage.reports_known |= self.reports_known(prefecture, scheme, period).await?;
            }
        }
        coverage.trend = self.record_week(prefecture, today, &coverage.total).await?;
        Ok(coverage)
    }

    /// Keeps `counts` as `today`'s week's point and returns the last 26 weeks, oldest first.
    /// Written only when the week's point changes: opening the view is a read.
    async fn record_week(
        &self,
        prefecture: Prefecture,
        today: NaiveDate,
        c: &StandingCounts,
    ) -> Result<Vec<CoverageWeek>, StoreError> {
        let week = today.iso_week();
        let week = format!("{}-W{:02}", week.year(), week.week());
        let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT week, account, applying, returned, not_applied, reported FROM (
                 SELECT * FROM coverage_weeks WHERE prefecture = ?1 ORDER BY week DESC LIMIT 26)
             ORDER BY week",
        )
        .bind(prefecture.code())
        .fetch_all(self.pool())
        .await?;
        let mut weeks: Vec<CoverageWeek> = rows
            .into_iter()
            .map(|(week, account, applying, returned, not_applied, reported)| CoverageWeek {
                week,
                counts: StandingCounts { account, applying, returned, not_applied, reported },
            })
            .collect();
        let this = CoverageWeek { week, counts: *c };
        if weeks.last() == Some(&this) {
            return Ok(weeks);
        }
        sqlx::query(
            "INSERT INTO coverage_weeks (prefecture, week, account, applying, returned, not_applied, reported)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (prefecture, week) DO UPDATE SET account = excluded.account,
                 applying = excluded.applying, returned = excluded.returned,
                 not_applied = excluded.not_applied, reported = excluded.reported",
        )
        .bind(prefecture.code())
        .bind(&this.week)
        .bind(c.account)
        .bind(c.applying)
        .bind(c.returned)
        .bind(c.not_applied)
        .bind(c.reported)
        .execute(self.pool())
        .await?;
        weeks.retain(|w| w.week != this.week);
        weeks.push(this);
        if weeks.len() > 26 {
            weeks.remove(0);
        }
        Ok(weeks)
    }

    /// The names of `prefecture`'s places by id.
    pub(super) async fn place_names(
        &self,
        prefecture: Prefecture,
    ) -> Result<HashMap<i64, String>, StoreError> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM places WHERE prefecture = ?1")
                .bind(prefecture.code())
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// Places the rows imported before places were kept (once, on opening).
    pub(crate) async fn place_unplaced(&self) -> Result<(), StoreError> {
        type Unplaced = (i64, String, String, Option<String>, Option<String>);
        let rows: Vec<Unplaced> = sqlx::query_as(
            "SELECT id, prefecture, address, kind, insurance_code FROM institutions WHERE place IS NULL",
        )
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        let named: Vec<Option<(Prefecture, String)>> = rows
            .iter()
            .map(|(_, p, a, _, _)| p.parse::<Prefecture>().ok().map(|p| (p, municipality_of(a))))
            .collect();
        let mut places = Places::default();
        let names = named.iter().flatten().map(|(p, m)| (*p, m.as_str()));
        place_ids(&mut tx, &mut places, names).await?;
        for (row, named) in rows.iter().zip(&named) {
            let kind = row.3.as_deref().and_then(InstitutionKind::from_key);
            sqlx::query("UPDATE institutions SET place = ?1, class = ?2 WHERE id = ?3")
                .bind(named.as_ref().and_then(|(p, m)| places.get(*p, m)))
                .bind(class_number(class_of(kind, row.4.as_deref()).0) as i64)
                .bind(row.0)
                .execute(&mut *tx)
                .await?;
        }
        recount(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Places (prefecture, municipality name) by id, as far as known; asked by a borrowed name,
/// so an imported row costs no copy of its municipality.
#[derive(Debug, Default)]
pub(crate) struct Places(HashMap<Prefecture, HashMap<String, i64>>);

impl Places {
    pub(crate) fn get(&self, prefecture: Prefecture, name: &str) -> Option<i64> {
        self.0.get(&prefecture)?.get(name).copied()
    }
}

/// Adds to `ids` the ids of places (prefecture, municipality name), made where new. An import
/// keeps one `ids` for the whole file: a municipality is asked for once, not once per batch.
pub(crate) async fn place_ids<'a>(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    ids: &mut Places,
    names: impl Iterator<Item = (Prefecture, &'a str)>,
) -> Result<(), sqlx::Error> {
    for (prefecture, name) in names {
        if ids.get(prefecture, name).is_some() {
            continue;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO places (prefecture, name) VALUES (?1, ?2)
             ON CONFLICT (prefecture, name) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(prefecture.code())
        .bind(name)
        .fetch_one(&mut **tx)
        .await?;
        ids.0.entry(prefecture).or_default().insert(name.to_owned(), id);
    }
    Ok(())
}

/// Marks the one row counted for each open institution: of the open rows with one insurance
/// code, the one whose list tells its kind (then the first imported); every open row without a
/// code (a 助産所) counts.
pub(crate) async fn recount(tx: &mut sqlx::Transaction<'_, Sqlite>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE institutions SET counted = new.counted FROM (
             SELECT id, CASE WHEN closed_import_id IS NOT NULL THEN 0
                             WHEN insurance_code IS NULL THEN 1
                             ELSE row_number() OVER (
                                 PARTITION BY insurance_code, closed_import_id IS NULL
                                 ORDER BY kind IS NULL, id) = 1 END AS counted
             FROM institutions) AS new
         WHERE institutions.id = new.id AND institutions.counted <> new.counted",
    )
    .execute(&mut **tx)
    .await?;
    // Rows new to the registry, or given another code, take their standing (later changes to
    // accounts and applications are kept by the triggers).
    sqlx::query(
        "UPDATE institutions SET has_account = new.has_account, application_rank = new.rank FROM (
             SELECT i.id,
                    EXISTS (SELECT 1 FROM accounts a WHERE a.insurance_code = i.insurance_code) AS has_account,
                    (SELECT rank FROM application_ranks r WHERE r.insurance_code = +i.insurance_code) AS rank
             FROM institutions i WHERE i.insurance_code IS NOT NULL) AS new
         WHERE institutions.id = new.id
           AND (institutions.has_account <> new.has_account OR institutions.application_rank IS NOT new.rank)",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A class as the store numbers it, with its label.
pub(super) fn class_numbered(n: i64) -> (&'static str, &'static str) {
    CLASSES.get(n as usize).copied().unwrap_or(CLASSES[CLASSES.len() - 1])
}

pub(super) fn standing_ranked(rank: i64) -> Result<Standing, StoreError> {
    Standing::from_rank(rank).ok_or_else(|| StoreError::Corrupt(format!("standing {rank}")))
}

#[cfg(test)]
mod tests {
    use madoguchi_domain::outreach::Standing;
    use madoguchi_domain::ApplicationStatus;

    use crate::store::Store;

    /// The migration's `application_ranks` ranks every status as the domain's `Standing::of`.
    #[tokio::test]
    async fn the_stores_ranks_are_the_domains_standings() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
        for (n, status) in ApplicationStatus::ALL.into_iter().enumerate() {
            let code = format!("13100000{n:02}");
            let payload = serde_json::json!({ "form": { "insurance_code": code } }).to_string();
            sqlx::query("INSERT INTO applications (id, prefecture, status, version, payload, received_at, updated_at) VALUES (?1, '13', ?2, 1, ?3, '', '')")
                .bind(n as i64)
                .bind(status.key())
                .bind(payload)
                .execute(store.pool())
                .await
                .unwrap();
            let rank: i64 =
                sqlx::query_scalar("SELECT rank FROM application_ranks WHERE insurance_code = ?1")
                    .bind(&code)
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            assert_eq!(rank, Standing::of(false, [status]).rank(), "{status:?}");
        }
    }
}
