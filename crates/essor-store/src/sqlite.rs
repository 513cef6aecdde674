//! The embedded default: one SQLite file, in WAL mode, with foreign keys enforced.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::accounts::impl_accounts;
use crate::common::impl_store;
use crate::{Backend, Result, StoreError};

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    const MIGRATIONS_TABLE_EXISTS: &'static str = "SELECT EXISTS (SELECT 1 FROM sqlite_master \
         WHERE type = 'table' AND name = '_sqlx_migrations')";

    /// Opens (and creates if needed) the database file and its folder.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::DataDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        Self::with_options(options).await
    }

    /// A private database in memory, for tests.
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(StoreError::Connect)?
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        Ok(Self { pool })
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        Ok(Self { pool })
    }
}

impl_store!(SqliteStore, Backend::Sqlite);
crate::audit::impl_audit_log!(SqliteStore, sqlx::Sqlite);
impl_accounts!(SqliteStore);
crate::directory::impl_directory!(SqliteStore);
crate::dossiers::impl_dossiers!(SqliteStore, sqlx::Sqlite);
crate::reports::impl_reports!(SqliteStore);
crate::committees::impl_committees!(SqliteStore);
crate::api::impl_api!(SqliteStore);
crate::instruction::impl_instruction!(SqliteStore);
crate::demo::impl_demo_dossiers!(SqliteStore, sqlx::Sqlite);
crate::funding::impl_funding!(SqliteStore, sqlx::Sqlite);
