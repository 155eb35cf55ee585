//! 記録: what desks upload whole (calls, the prefecture's settings, 連絡記録), versioned, into
//! the feed.

use async_trait::async_trait;
use madoguchi_domain::api::Entity;
use madoguchi_domain::Prefecture;

use super::error::Result;

/// A record desks upload whole: which table row it is, and the feed entry it becomes.
#[derive(Debug, Clone)]
pub struct Record {
    pub kind: &'static str,
    pub id: String,
    pub entity: Entity,
}

impl Record {
    pub fn call(call: madoguchi_domain::api::CallRecord) -> Self {
        Self { kind: "call", id: call.id.clone(), entity: Entity::Call(call) }
    }

    pub fn prefecture_settings(settings: madoguchi_domain::api::PrefectureSettings) -> Self {
        Self {
            kind: "prefecture_settings",
            id: settings.prefecture.code(),
            entity: Entity::PrefectureSettings(settings),
        }
    }

    pub fn contact(contact: madoguchi_domain::worklist::ContactRecord) -> Self {
        Self { kind: "contact", id: contact.id.clone(), entity: Entity::Contact(contact) }
    }

    /// The version the desk's change was made on.
    pub fn base_version(&self) -> i64 {
        match &self.entity {
            Entity::Call(c) => c.version,
            Entity::PrefectureSettings(p) => p.version,
            Entity::Contact(c) => c.version,
            _ => 0,
        }
    }

    /// The record as stored at `version`.
    pub fn at_version(&self, version: i64) -> Entity {
        let mut entity = self.entity.clone();
        match &mut entity {
            Entity::Call(c) => c.version = version,
            Entity::PrefectureSettings(p) => p.version = version,
            Entity::Contact(c) => c.version = version,
            _ => {}
        }
        entity
    }
}

/// What [`Records::put_record`] came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutRecord {
    /// Held at this version (stored now, or the same copy was already there).
    Held(i64),
    /// Made on an older version: the server's copy, to build on.
    Stale(Box<Entity>),
    /// The id is another prefecture's record.
    OtherPrefecture,
}

#[async_trait]
pub trait Records: Send + Sync {
    /// Stores a whole record (a call, the prefecture's settings) made on the version the
    /// server holds, as the next version; a stored one enters the feed. Another prefecture's
    /// record and a change made on an older version change nothing.
    async fn put_record(&self, prefecture: Prefecture, record: &Record) -> Result<PutRecord>;
    /// The prefecture's settings as its desks last stored them, if any.
    async fn prefecture_settings(
        &self,
        prefecture: Prefecture,
    ) -> Result<Option<madoguchi_domain::api::PrefectureSettings>>;
}

/// [`Records`] for both databases (see `sql`).
macro_rules! records_sql {
    ($storage:ty, $db:ty) => {
        #[async_trait]
        impl Records for $storage {
            async fn put_record(&self, prefecture: Prefecture, record: &Record) -> Result<PutRecord> {
                let (_writer, mut tx) = self.write_within(prefecture).await?;
                let held: Option<(String, String, i64)> = sqlx::query_as(
                    "SELECT prefecture, payload, version FROM records WHERE kind = $1 AND id = $2",
                )
                .bind(record.kind)
                .bind(&record.id)
                .fetch_optional(&mut *tx)
                .await?;
                let version = match &held {
                    Some((owner, ..)) if *owner != prefecture.code() => {
                        return Ok(PutRecord::OtherPrefecture)
                    }
                    // The same copy again (a retry after a lost answer): already held.
                    Some((_, payload, v)) if *payload == to_json(&record.at_version(*v)) => {
                        return Ok(PutRecord::Held(*v))
                    }
                    Some((_, payload, v)) if *v != record.base_version() => {
                        return Ok(PutRecord::Stale(Box::new(from_json(payload)?)))
                    }
                    Some((.., v)) => v + 1,
                    None => 1,
                };
                let entity = record.at_version(version);
                sqlx::query(
                    "INSERT INTO records (kind, id, prefecture, payload, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at,
                         version = excluded.version",
                )
                .bind(record.kind)
                .bind(&record.id)
                .bind(prefecture.code())
                .bind(to_json(&entity))
                .bind(crate::clock::now())
                .bind(version)
                .execute(&mut *tx)
                .await?;
                change(&mut tx, prefecture, &entity).await?;
                tx.commit().await?;
                Ok(PutRecord::Held(version))
            }

            async fn prefecture_settings(
                &self,
                prefecture: Prefecture,
            ) -> Result<Option<madoguchi_domain::api::PrefectureSettings>> {
                let payload: Option<String> = sqlx::query_scalar(
                    "SELECT payload FROM records WHERE kind = 'prefecture_settings' AND id = $1",
                )
                .bind(prefecture.code())
                .fetch_optional(&self.pool)
                .await?;
                Ok(match payload.as_deref().map(from_json::<Entity>).transpose()? {
                    Some(Entity::PrefectureSettings(p)) => Some(p),
                    _ => None,
                })
            }
        }
    };
}

pub(super) use records_sql;
