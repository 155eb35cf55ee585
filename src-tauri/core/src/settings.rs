//! 設定: the desk's own settings, kept in the local store.

use chrono::Utc;
use madoguchi_domain::Prefecture;
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

/// What a desk is configured with. The server token is not here: it lives in the OS keychain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskSettings {
    /// The prefecture this desk serves; it completes 7-digit codes and scopes every list.
    pub prefecture: Option<Prefecture>,
}

impl Store {
    pub async fn desk_settings(&self) -> Result<DeskSettings, StoreError> {
        let row: Option<Option<String>> =
            sqlx::query_scalar("SELECT prefecture FROM desk_settings WHERE id = 1")
                .fetch_optional(self.pool())
                .await?;
        // The CHECK constraint keeps the column to 01..47, so parsing cannot fail on our own data.
        let prefecture = row.flatten().and_then(|p| p.parse().ok());
        Ok(DeskSettings { prefecture })
    }

    pub async fn save_desk_settings(&self, s: &DeskSettings) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO desk_settings (id, prefecture, updated_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET prefecture = excluded.prefecture, updated_at = excluded.updated_at",
        )
        .bind(s.prefecture.map(|p| p.code()))
        .bind(Utc::now().to_rfc3339())
        .execute(self.pool())
        .await?;
        log::info!("desk settings saved: prefecture {:?}", s.prefecture.map(|p| p.code()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settings_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.db");
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.desk_settings().await.unwrap(), DeskSettings::default());
        let tokyo = DeskSettings { prefecture: Some("13".parse().unwrap()) };
        store.save_desk_settings(&tokyo).await.unwrap();
        let osaka = DeskSettings { prefecture: Some("27".parse().unwrap()) };
        store.save_desk_settings(&osaka).await.unwrap();
        store.pool().close().await;
        let again = Store::open(&path).await.unwrap();
        assert_eq!(again.desk_settings().await.unwrap(), osaka);
    }

    #[tokio::test]
    async fn the_schema_refuses_a_prefecture_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
        let bad = sqlx::query("INSERT INTO desk_settings (id, prefecture, updated_at) VALUES (1, '48', 'x')")
            .execute(store.pool())
            .await;
        assert!(bad.is_err());
    }
}
