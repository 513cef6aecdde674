//! essor's storage.
//!
//! [`Store`] speaks domain types. It has two implementations, [`SqliteStore`] (the embedded
//! default) and [`PostgresStore`]; the backend is chosen once, from the database URL. Both share
//! the SQL written in the subset the two databases understand (see `common.rs`); only what
//! really differs is written per backend. Migrations live in `migrations/sqlite` and
//! `migrations/postgres`, with identical versions.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod committees;
mod common;
pub mod demo;
pub mod directory;
pub mod dossiers;
mod fact_blocks;
pub mod funding;
pub mod instruction;
pub mod observatory;
mod postgres;
pub mod reports;
pub mod seed;
mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use essor_domain::Plan;
use essor_domain::panorama::{FactRow, FactTable, Source};
use essor_domain::plan::Key;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "adresse de base de données non reconnue : « {0} » (attendu : sqlite:CHEMIN ou postgres://…)"
    )]
    UnsupportedUrl(String),
    #[error("connexion à la base de données impossible : {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration de la base de données impossible : {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("erreur de la base de données : {0}")]
    Database(#[from] sqlx::Error),
    #[error("donnée illisible dans la base ({what}) : {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("le territoire « {0} » n’est pas configuré")]
    UnknownTerritory(String),
    #[error("le dossier de données « {path} » ne peut pas être créé : {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// Where the data lives, decided once from the configured URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    SqliteFile(PathBuf),
    Postgres(String),
}

impl DatabaseTarget {
    /// `sqlite:PATH`, `sqlite://PATH` or `postgres://…` / `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError::UnsupportedUrl(redact_url(url)));
            }
            Ok(Self::SqliteFile(PathBuf::from(path)))
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// What can be logged: the password of a PostgreSQL URL is hidden.
    #[must_use]
    pub fn redacted(&self) -> String {
        match self {
            Self::SqliteFile(path) => format!("sqlite:{}", path.display()),
            Self::Postgres(url) => redact_url(url),
        }
    }
}

/// Hides the password of a URL (`postgres://user:secret@host/db` → `postgres://user:***@host/db`).
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

/// Opens the store the target names. Does not migrate: call [`Store::migrate`].
pub async fn open(target: &DatabaseTarget) -> Result<Arc<dyn Store>> {
    match target {
        DatabaseTarget::SqliteFile(path) => Ok(Arc::new(SqliteStore::open(path).await?)),
        DatabaseTarget::Postgres(url) => Ok(Arc::new(PostgresStore::connect(url).await?)),
    }
}

/// A territory the deployment serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredTerritory {
    /// As `epci:200040715`.
    pub reference: String,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
}

/// A territory to configure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTerritory {
    pub reference: String,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub is_default: bool,
}

/// One line of the list of a territory's plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    pub key: Key,
    pub territory: String,
    pub title: String,
    pub period_start: i32,
    pub period_end: i32,
    pub updated_at: DateTime<Utc>,
}

/// One imported SIRENE stock, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotSummary {
    pub id: i64,
    pub imported_at: DateTime<Utc>,
    pub establishments_file: String,
    pub units_file: String,
    pub perimeter: String,
    pub synthetic: bool,
    /// The import report, as JSON.
    pub report: serde_json::Value,
}

impl SnapshotSummary {
    /// The panorama's `source` for this snapshot.
    #[must_use]
    pub fn source(&self) -> Source {
        Source {
            establishments_file: self.establishments_file.clone(),
            units_file: self.units_file.clone(),
            imported_at: self
                .imported_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            synthetic: self.synthetic,
        }
    }
}

/// An ESS establishment kept by an import: its keys, and its record as JSON (the directory
/// reads it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstablishmentRow {
    pub siret: String,
    pub siren: String,
    pub commune: String,
    pub active: bool,
    pub record: String,
}

impl EstablishmentRow {
    /// The row of an import's record: its keys, and the record as JSON.
    pub fn of(
        record: &essor_domain::establishment::EstablishmentRecord,
    ) -> serde_json::Result<Self> {
        Ok(Self {
            siret: record.siret.clone(),
            siren: record.siren.clone(),
            commune: record.commune.clone(),
            active: record.active,
            record: serde_json::to_string(record)?,
        })
    }
}

/// What an import hands to the store, written whole or not at all.
pub struct NewSnapshot<'a> {
    pub establishments_file: &'a str,
    pub units_file: &'a str,
    pub synthetic: bool,
    pub report: &'a serde_json::Value,
    pub facts: &'a FactTable,
    pub establishments: &'a [EstablishmentRow],
}

/// A migration as recorded by both backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
}

/// Everything essor keeps, in domain terms.
#[async_trait]
pub trait Store:
    accounts::Accounts
    + audit::AuditLog
    + committees::Committees
    + directory::Directory
    + dossiers::Dossiers
    + reports::Reports
    + api::Api
    + instruction::Instruction
    + demo::DemoDossiers
    + funding::Funding
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// The migrations this build knows, in order.
    fn known_migrations(&self) -> Vec<MigrationInfo>;

    /// Applies the migrations not yet applied; returns how many were applied.
    async fn migrate(&self) -> Result<usize>;

    /// The versions already applied to the database.
    async fn applied_migrations(&self) -> Result<Vec<i64>>;

    /// Answers when the database does.
    async fn ping(&self) -> Result<()>;

    async fn meta(&self, key: &str) -> Result<Option<String>>;
    async fn set_meta(&self, key: &str, value: &str) -> Result<()>;

    /// Adds a territory, or updates its name; when `is_default`, it becomes the only default.
    async fn save_territory(&self, territory: &NewTerritory) -> Result<ConfiguredTerritory>;
    async fn territories(&self) -> Result<Vec<ConfiguredTerritory>>;
    async fn default_territory(&self) -> Result<Option<ConfiguredTerritory>>;

    /// Stores a whole plan, replacing any plan with the same key, in one transaction.
    /// The plan's territory must be configured.
    async fn save_plan(&self, plan: &Plan) -> Result<()>;
    async fn plan(&self, key: &Key) -> Result<Option<Plan>>;
    /// The plans of a territory, most recent period first.
    async fn plans(&self, territory: &str) -> Result<Vec<PlanSummary>>;
    /// The plan of a territory whose period ends last.
    async fn current_plan(&self, territory: &str) -> Result<Option<Plan>>;

    /// Stores an import in one transaction: until it commits, readers see the previous
    /// snapshot, and a crash or kill leaves it untouched.
    async fn save_snapshot(&self, snapshot: &NewSnapshot<'_>) -> Result<SnapshotSummary>;
    /// Every snapshot, most recent first.
    async fn snapshots(&self) -> Result<Vec<SnapshotSummary>>;
    async fn snapshot(&self, id: i64) -> Result<Option<SnapshotSummary>>;
    async fn latest_snapshot(&self) -> Result<Option<SnapshotSummary>>;
    /// The aggregates of a snapshot for the given commune (or arrondissement) codes.
    async fn snapshot_facts(&self, id: i64, communes: &[String]) -> Result<Vec<FactRow>>;
    /// The ESS establishments a snapshot kept, for the given commune codes.
    async fn snapshot_establishments(
        &self,
        id: i64,
        communes: &[String],
    ) -> Result<Vec<EstablishmentRow>>;
    /// Removes a snapshot and everything it holds.
    async fn delete_snapshot(&self, id: i64) -> Result<bool>;

    /// Closes the connections, waiting for running queries.
    async fn close(&self);
}

fn migration_infos(migrator: &sqlx::migrate::Migrator) -> Vec<MigrationInfo> {
    migrator
        .iter()
        .map(|m| MigrationInfo {
            version: m.version,
            description: m.description.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_url("postgres://essor:s3cret@db.example:5432/essor?sslmode=require"),
            "postgres://essor:***@db.example:5432/essor?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/essor"),
            "postgres://postgres@127.0.0.1/essor"
        );
        let target = DatabaseTarget::parse("postgresql://a:b@h/d").unwrap();
        assert_eq!(target.redacted(), "postgresql://a:***@h/d");
    }

    #[test]
    fn the_backend_is_chosen_from_the_url_scheme() {
        assert_eq!(
            DatabaseTarget::parse("sqlite:essor-data/essor.sqlite3").unwrap(),
            DatabaseTarget::SqliteFile(PathBuf::from("essor-data/essor.sqlite3"))
        );
        assert_eq!(
            DatabaseTarget::parse("sqlite:///var/lib/essor/db.sqlite3?mode=rwc").unwrap(),
            DatabaseTarget::SqliteFile(PathBuf::from("/var/lib/essor/db.sqlite3"))
        );
        assert!(matches!(
            DatabaseTarget::parse("postgres://x/y"),
            Ok(DatabaseTarget::Postgres(_))
        ));
        let err = DatabaseTarget::parse("mysql://root:pw@localhost/essor").unwrap_err();
        assert!(err.to_string().contains("mysql://root:***@localhost/essor"));
    }
}
