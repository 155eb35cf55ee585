//! 機関検索: finding an institution from whatever the caller has — a code with a slip, a name
//! said aloud, a reading, an address, a postal code, a phone number. The index (`index`) is
//! built in memory from the store's registry; `hit` is what a search answers.

mod hit;
pub mod index;
mod postings;

use madoguchi_domain::Code;
use madoguchi_domain::{Coded, Prefecture};

pub use hit::{Hit, InstitutionRow, MatchReason, SearchContext, SearchResult};
pub use index::LookupIndex;

use crate::desk::Desk;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("the lookup index is still being built")]
    IndexNotReady,
}

impl Coded for LookupError {
    fn code(&self) -> Code {
        match self {
            Self::IndexNotReady => Code::LookupNotReady,
        }
    }
}

impl Store {
    /// Every institution, open and closed, for the lookup index.
    pub async fn lookup_rows(&self) -> Result<Vec<InstitutionRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, source, source_key, insurance_code, kind, name, kana, prefecture, postal_code,
                    address, phone, closed_import_id IS NOT NULL AS closed
             FROM institutions",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The index for this desk, its prefecture (from 設定) ranked first.
    pub async fn lookup_index(&self) -> Result<LookupIndex, StoreError> {
        let home: Option<Prefecture> = self.desk_settings().await?.prefecture;
        Ok(LookupIndex::build(self.lookup_rows().await?, home))
    }
}

impl Desk {
    /// 機関検索 over the index as last built.
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResult, LookupError> {
        let index = self.built_index().ok_or(LookupError::IndexNotReady)?;
        Ok(index.search(query, SearchContext { limit: limit.clamp(1, 200) }))
    }
}
