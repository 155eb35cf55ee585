//! 設定: the desk's own settings, kept in the local store. The server token is not among them:
//! it lives in the OS keychain (see `keychain`).

use chrono::Utc;
use madoguchi_domain::Prefecture;
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct DeskSettings {
    /// The prefecture this desk serves; it completes 7-digit codes and ranks the lookup.
    pub prefecture: Option<Prefecture>,
    /// The central server, `https://…`.
    pub server_url: Option<String>,
    /// A PEM file with the root CA the prefecture's network uses, if not a public one.
    pub ca_cert_path: Option<String>,
    /// An HTTP proxy, `http://proxy.example:8080`.
    pub proxy_url: Option<String>,
    /// This PC's name in the audit trail (e.g. 医療政策課-3).
    pub desk_name: Option<String>,
    /// The 保健所 this desk belongs to, by its name in the prefecture's practice: the queue
    /// opens on the municipalities it covers.
    pub health_centre: Option<String>,
}

type Row = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn blank_to_none(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Store {
    pub async fn desk_settings(&self) -> Result<DeskSettings, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT prefecture, server_url, ca_cert_path, proxy_url, desk_name, health_centre
             FROM desk_settings WHERE id = 1",
        )
        .fetch_optional(self.pool())
        .await?;
        let Some((prefecture, server_url, ca_cert_path, proxy_url, desk_name, health_centre)) = row
        else {
            return Ok(DeskSettings::default());
        };
        // The CHECK constraint keeps the column to 01..47, so parsing cannot fail on our own data.
        let prefecture = prefecture.and_then(|p| p.parse().ok());
        Ok(DeskSettings {
            prefecture,
            server_url,
            ca_cert_path,
            proxy_url,
            desk_name,
            health_centre,
        })
    }

    pub async fn save_desk_settings(&self, s: &DeskSettings) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO desk_settings (id, prefecture, server_url, ca_cert_path, proxy_url, desk_name,
                 health_centre, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET prefecture = excluded.prefecture, server_url = excluded.server_url,
                 ca_cert_path = excluded.ca_cert_path, proxy_url = excluded.proxy_url,
                 desk_name = excluded.desk_name, health_centre = excluded.health_centre,
                 updated_at = excluded.updated_at",
        )
        .bind(s.prefecture.map(|p| p.code()))
        .bind(blank_to_none(&s.server_url))
        .bind(blank_to_none(&s.ca_cert_path))
        .bind(blank_to_none(&s.proxy_url))
        .bind(blank_to_none(&s.desk_name))
        .bind(blank_to_none(&s.health_centre))
        .bind(Utc::now().to_rfc3339())
        .execute(self.pool())
        .await?;
        log::info!(
            "desk settings saved: prefecture {:?}, server {:?}",
            s.prefecture.map(|p| p.code()),
            blank_to_none(&s.server_url)
        );
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
        let tokyo = DeskSettings { prefecture: Some("13".parse().unwrap()), ..Default::default() };
        store.save_desk_settings(&tokyo).await.unwrap();
        let osaka = DeskSettings {
            prefecture: Some("27".parse().unwrap()),
            server_url: Some("https://central.example.lg.jp".into()),
            desk_name: Some("  ".into()),
            ..Default::default()
        };
        store.save_desk_settings(&osaka).await.unwrap();
        store.pool().close().await;
        let again = Store::open(&path).await.unwrap();
        let loaded = again.desk_settings().await.unwrap();
        assert_eq!(loaded.prefecture, osaka.prefecture);
        assert_eq!(loaded.server_url, osaka.server_url);
        assert_eq!(loaded.desk_name, None, "blank is none");
    }

    #[tokio::test]
    async fn the_schema_refuses_a_prefecture_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
        let bad = sqlx::query(
            "INSERT INTO desk_settings (id, prefecture, updated_at) VALUES (1, '48', 'x')",
        )
        .execute(store.pool())
        .await;
        assert!(bad.is_err());
    }
}
