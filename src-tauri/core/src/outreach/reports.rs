//! 報告状況の取り込み: the file G-MIS lets a prefecture download of who has reported, read
//! (`madoguchi_registry::report`) and matched to the registry — by insurance code, or by the
//! 機関コード of an account the desk holds. All or nothing: one bad row (unknown, another
//! prefecture's, listed twice, a scheme without a 定期報告期間) and nothing is written. The
//! rows stay on this desk; nothing of them is sent to the server.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use chrono::{DateTime, Utc};
use madoguchi_domain::practice::Scheme;
use madoguchi_domain::{Code, Coded, Prefecture};
use madoguchi_registry::report::{read_reports, ReportRow, ReportRowError};
use madoguchi_registry::ImportError;
use serde::Serialize;

use super::scheme_key;
use crate::store::{Store, StoreError};

/// The largest file read: G-MIS's download for the largest prefecture is a few MB.
pub const MAX_REPORT_BYTES: u64 = 64 << 20;
/// Bad rows named in the error; the rest are counted.
const ROWS_SHOWN: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read the file: {0}")]
    Read(std::io::Error),
    #[error("the file is over {MAX_REPORT_BYTES} bytes")]
    TooLarge,
    #[error("not a 報告状況 file: {0}")]
    Format(String),
    #[error("{} bad rows, nothing imported", .0.len())]
    Rows(Vec<ReportRowError>),
    #[error("no rows")]
    Empty,
    #[error("{0} is on the network")]
    NetworkPath(String),
    #[error("{0} is not a CSV file")]
    NotCsv(String),
    #[error("the desk has no prefecture")]
    NoPrefecture,
}

impl Coded for ReportError {
    fn code(&self) -> Code {
        match self {
            Self::Store(e) => e.code(),
            Self::Read(_) => Code::ImportRead,
            Self::TooLarge => Code::ReportTooLarge,
            Self::Format(_) => Code::ReportFormat,
            Self::Rows(_) => Code::ReportRows,
            Self::Empty => Code::ReportEmpty,
            Self::NetworkPath(_) => Code::ImportNetworkPath,
            Self::NotCsv(_) => Code::ImportNotCsv,
            Self::NoPrefecture => Code::CallPrefecture,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::Rows(rows) => {
                let mut lines: Vec<String> =
                    rows.iter().take(ROWS_SHOWN).map(ReportRowError::message_ja).collect();
                if rows.len() > ROWS_SHOWN {
                    lines.push(format!("ほか{}行", rows.len() - ROWS_SHOWN));
                }
                format!("{}\n{}", self.code().message_ja(), lines.join("\n"))
            }
            _ => self.code().message_ja().to_owned(),
        }
    }
}

impl From<ImportError> for ReportError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Io(e) => Self::Read(e),
            other => Self::Format(other.to_string()),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReportImport {
    pub file_name: String,
    pub encoding: String,
    pub rows: u64,
    pub reported: u64,
    pub not_reported: u64,
    /// The schemes and periods (first day) the file replaced.
    pub periods: Vec<(Scheme, String)>,
}

/// Who an account is, for a row that gives only its 機関コード.
struct Known {
    /// The prefecture's open registry rows by insurance code, and the names of those without.
    codes: HashSet<String>,
    names: HashSet<String>,
    /// Accounts by 機関コード: their insurance code, or their name (助産所).
    accounts: HashMap<String, (Option<String>, String)>,
}

impl Store {
    /// Imports `prefecture`'s 報告状況 from `reader`: every row good, or nothing written.
    pub async fn import_reports<R: Read + Send + 'static>(
        &self,
        reader: R,
        file_name: &str,
        prefecture: Prefecture,
        now: DateTime<Utc>,
    ) -> Result<ReportImport, ReportError> {
        let file = tokio::task::spawn_blocking(move || {
            let mut limited = reader.take(MAX_REPORT_BYTES + 1);
            let mut bytes = Vec::new();
            limited.read_to_end(&mut bytes).map_err(ReportError::Read)?;
            if bytes.len() as u64 > MAX_REPORT_BYTES {
                return Err(ReportError::TooLarge);
            }
            Ok(read_reports(&bytes[..])?)
        })
        .await
        .map_err(|e| ReportError::Read(std::io::Error::other(e)))??;
        let practice = self.settings_of(prefecture).await?.map(|s| s.practice_in_force());
        let period = |s: Scheme| practice.as_ref().and_then(|p| p.period(s)).map(|w| w.starts);
        let known = self.known(prefecture).await?;
        let mut errors = Vec::new();
        let mut seen: HashMap<(Scheme, String), u64> = HashMap::new();
        let mut good = Vec::new();
        for row in file.rows {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let fail = |message: String| ReportRowError { line: row.line, message };
            let Some(starts) = period(row.scheme) else {
                errors.push(fail(format!(
                    "{}の定期報告期間が設定されていません（設定の「都道府県の運用」）",
                    row.scheme.report_ja()
                )));
                continue;
            };
            let key = match known.institution(&row, prefecture) {
                Ok(key) => key,
                Err(message) => {
                    errors.push(fail(message));
                    continue;
                }
            };
            if let Some(first) = seen.insert((row.scheme, key.clone()), row.line) {
                errors.push(fail(format!("{first}行目と同じ機関・制度の行です")));
                continue;
            }
            good.push((row, key, starts.to_string()));
        }
        if !errors.is_empty() {
            log::warn!("報告状況 {file_name}: {} bad rows, nothing imported", errors.len());
            return Err(ReportError::Rows(errors));
        }
        if good.is_empty() {
            return Err(ReportError::Empty);
        }
        let mut periods: Vec<(Scheme, String)> =
            good.iter().map(|(r, _, p)| (r.scheme, p.clone())).collect();
        periods.sort();
        periods.dedup();
        let mut tx = self.pool().begin().await.map_err(StoreError::from)?;
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO report_imports (prefecture, file_name, encoding, imported_at, rows_read)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )
        .bind(prefecture.code())
        .bind(file_name)
        .bind(file.encoding)
        .bind(now.to_rfc3339())
        .bind(good.len() as i64)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        // A later download supersedes the earlier one for the same scheme and period.
        for (scheme, period) in &periods {
            sqlx::query(
                "DELETE FROM reports WHERE prefecture = ?1 AND scheme = ?2 AND period = ?3",
            )
            .bind(prefecture.code())
            .bind(scheme_key(*scheme))
            .bind(period)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        }
        for chunk in good.chunks(500) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO reports (prefecture, scheme, period, institution, institution_code,
                 reported, reported_on, import_id) ",
            );
            q.push_values(chunk, |mut b, (row, key, period)| {
                b.push_bind(prefecture.code())
                    .push_bind(scheme_key(row.scheme))
                    .push_bind(period)
                    .push_bind(key)
                    .push_bind(&row.institution_code)
                    .push_bind(row.reported)
                    .push_bind(row.reported_on.map(|d| d.to_string()))
                    .push_bind(import_id);
            });
            q.build().execute(&mut *tx).await.map_err(StoreError::from)?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        let reported = good.iter().filter(|(r, _, _)| r.reported).count() as u64;
        log::info!("報告状況 {file_name}: {} rows imported ({reported} reported)", good.len());
        Ok(ReportImport {
            file_name: file_name.to_owned(),
            encoding: file.encoding.to_owned(),
            rows: good.len() as u64,
            reported,
            not_reported: good.len() as u64 - reported,
            periods,
        })
    }

    async fn known(&self, prefecture: Prefecture) -> Result<Known, StoreError> {
        let rows: Vec<(Option<String>, String)> = sqlx::query_as(
            "SELECT insurance_code, name FROM institutions
             WHERE prefecture = ?1 AND closed_import_id IS NULL",
        )
        .bind(prefecture.code())
        .fetch_all(self.pool())
        .await?;
        let (mut codes, mut names) = (HashSet::new(), HashSet::new());
        for (code, name) in rows {
            match code {
                Some(c) => codes.insert(c),
                None => names.insert(name),
            };
        }
        let accounts: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT institution_code, insurance_code, json_extract(payload, '$.institution_name')
             FROM accounts",
        )
        .fetch_all(self.pool())
        .await?;
        let accounts = accounts
            .into_iter()
            .map(|(code, insurance, name)| (code, (insurance, name.unwrap_or_default())))
            .collect();
        Ok(Known { codes, names, accounts })
    }
}

impl Known {
    /// The key a row's institution is kept under, or why it cannot be placed.
    fn institution(&self, row: &ReportRow, prefecture: Prefecture) -> Result<String, String> {
        let by_account = || {
            let code = row.institution_code.as_deref().unwrap_or_default();
            self.accounts.get(code).ok_or_else(|| {
                format!("機関コード「{code}」のアカウントがこの端末にありません（同期してからもう一度取り込んでください）")
            })
        };
        let insurance = match (&row.insurance_code, &row.institution_code) {
            (Some(code), _) => Some(code.digits()),
            (None, _) => by_account()?.0.clone(),
        };
        match insurance {
            Some(code) => {
                let theirs = code.get(..2).and_then(|p| p.parse::<Prefecture>().ok());
                if let Some(other) = theirs.filter(|p| *p != prefecture) {
                    return Err(format!(
                        "保険医療機関コード「{code}」は{}の機関です（この端末は{}）",
                        other.name_ja(),
                        prefecture.name_ja()
                    ));
                }
                if !self.codes.contains(&code) {
                    return Err(format!("保険医療機関コード「{code}」が台帳にありません（台帳を取り込み直してください）"));
                }
                Ok(code)
            }
            None => {
                let name = &by_account()?.1;
                if !self.names.contains(name) {
                    return Err(format!(
                        "機関「{name}」が台帳にありません（台帳を取り込み直してください）"
                    ));
                }
                Ok(format!("name:{name}"))
            }
        }
    }
}

impl crate::desk::Desk {
    /// Imports a 報告状況 file the officer chose: a CSV on this PC (a network share is copied
    /// first, as for the registry), its size told before a byte is read.
    pub async fn import_reports_file(
        &self,
        path: &std::path::Path,
    ) -> Result<ReportImport, ReportError> {
        use crate::registry::{local_csv, NotLocalCsv};
        let shown = || path.display().to_string();
        match local_csv(path) {
            Err(NotLocalCsv::Network) => return Err(ReportError::NetworkPath(shown())),
            Err(NotLocalCsv::NotCsv) => return Err(ReportError::NotCsv(shown())),
            Ok(()) => {}
        }
        let size = std::fs::metadata(path).map_err(ReportError::Read)?.len();
        if size > MAX_REPORT_BYTES {
            return Err(ReportError::TooLarge);
        }
        let prefecture =
            self.store().desk_settings().await?.prefecture.ok_or(ReportError::NoPrefecture)?;
        let file = std::fs::File::open(path).map_err(ReportError::Read)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("報告状況.csv").to_owned();
        self.store().import_reports(file, &name, prefecture, Utc::now()).await
    }
}
