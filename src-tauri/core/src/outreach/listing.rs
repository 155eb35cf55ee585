//! The list behind every number of カバー状況: the institutions of one breakdown row, one
//! standing, reported or not — for the window, and as CSV for Excel (UTF-8 with BOM or
//! Shift_JIS, as every export here).

use std::collections::HashMap;
use std::path::Path;

use madoguchi_domain::outreach::{class_number, scheme_of, Coverage, Standing, NO_HEALTH_CENTRE};
use madoguchi_domain::Prefecture;

use super::{
    class_numbered, periods, standing_ranked, standings_sql, Breakdown, CoverageEntry,
    CoverageFilter,
};
use crate::desk::Desk;
use crate::export::{self, CsvEncoding, ExportReport, Table};
use crate::outreach::worklist::{today, WorklistError};
use crate::store::{Store, StoreError};

impl Store {
    /// The institutions behind one number of the coverage, by name.
    pub async fn coverage_list(
        &self,
        prefecture: Prefecture,
        filter: &CoverageFilter,
    ) -> Result<Vec<CoverageEntry>, StoreError> {
        let settings = self.settings_of(prefecture).await?;
        let [medical, pharmacy] = periods(settings.as_ref());
        let practice = settings.map(|s| s.practice).unwrap_or_default();
        let places = self.place_names(prefecture).await?;
        // A 保健所's area is the places the practice puts under it.
        let (test, value) = match &filter.row {
            None => ("1", String::new()),
            Some((Breakdown::Kind, key)) => ("class = ?4", class_number(key).to_string()),
            Some((Breakdown::Municipality, key)) => ("place = ?4", key.clone()),
            Some((Breakdown::HealthCentre, centre)) => {
                let under: Vec<i64> = places
                    .iter()
                    .filter(|(_, name)| {
                        let c = practice.health_centre_for(name).map(|c| c.contact.name.trim());
                        c.unwrap_or(NO_HEALTH_CENTRE) == centre
                    })
                    .map(|(id, _)| *id)
                    .collect();
                ("place IN (SELECT value FROM json_each(?4))", serde_json::to_string(&under)?)
            }
        };
        let rows: Vec<ListedRow> = sqlx::query_as(&format!(
            "SELECT id, name, insurance_code, class, place, postal_code, address, phone, standing, reported
             FROM ({}) WHERE {test} AND (?5 IS NULL OR standing = ?5) AND (?6 IS NULL OR reported = ?6)
             ORDER BY standing DESC, place, name, id",
            standings_sql()
        ))
        .bind(prefecture.code())
        .bind(&medical)
        .bind(&pharmacy)
        .bind(&value)
        .bind(filter.standing.map(Standing::rank))
        .bind(filter.reported)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(|r| r.entry(&places)).collect()
    }
}

#[derive(sqlx::FromRow)]
struct ListedRow {
    id: i64,
    name: String,
    insurance_code: Option<String>,
    class: i64,
    place: Option<i64>,
    postal_code: Option<String>,
    address: String,
    phone: Option<String>,
    standing: i64,
    reported: bool,
}

impl ListedRow {
    fn entry(self, places: &HashMap<i64, String>) -> Result<CoverageEntry, StoreError> {
        Ok(CoverageEntry {
            registry_id: self.id,
            name: self.name,
            insurance_code: self.insurance_code,
            class_label: class_numbered(self.class).1.to_owned(),
            scheme: scheme_of(class_numbered(self.class).0),
            municipality: self.place.and_then(|p| places.get(&p)).cloned().unwrap_or_default(),
            postal_code: self.postal_code,
            address: self.address,
            phone: self.phone,
            standing: standing_ranked(self.standing)?,
            reported: self.reported,
        })
    }
}

impl Desk {
    /// カバー状況 of the desk's prefecture today (JST).
    pub async fn coverage(&self) -> Result<Coverage, WorklistError> {
        let prefecture = self.outreach_prefecture().await?;
        Ok(self.store().coverage(prefecture, today()).await?)
    }

    pub async fn coverage_list(
        &self,
        filter: &CoverageFilter,
    ) -> Result<Vec<CoverageEntry>, WorklistError> {
        let prefecture = self.outreach_prefecture().await?;
        Ok(self.store().coverage_list(prefecture, filter).await?)
    }

    /// The list behind a number, as CSV for Excel.
    pub async fn export_coverage_list(
        &self,
        filter: &CoverageFilter,
        encoding: CsvEncoding,
        path: &Path,
    ) -> Result<ExportReport, WorklistError> {
        let rows = self.coverage_list(filter).await?;
        let table = Table {
            header: vec![
                "機関名",
                "保険医療機関コード",
                "機関区分",
                "市区町村",
                "郵便番号",
                "住所",
                "電話番号",
                "状況",
                "報告",
            ],
            rows: rows
                .into_iter()
                .map(|e| {
                    vec![
                        e.name,
                        e.insurance_code.unwrap_or_default(),
                        e.class_label,
                        e.municipality,
                        e.postal_code.unwrap_or_default(),
                        e.address,
                        e.phone.unwrap_or_default(),
                        e.standing.name_ja().to_owned(),
                        if e.reported { "報告済" } else { "未報告" }.to_owned(),
                    ]
                })
                .collect(),
        };
        Ok(export::write(&table, encoding, path)?)
    }
}
