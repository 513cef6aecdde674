//! PostgreSQL, for deployments that outgrow one machine.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::accounts::impl_accounts;
use crate::common::impl_store;
use crate::{Backend, Result, StoreError};

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    const MIGRATIONS_TABLE_EXISTS: &'static str = "SELECT EXISTS (SELECT 1 FROM \
         information_schema.tables WHERE table_schema = current_schema() \
         AND table_name = '_sqlx_migrations')";

    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(StoreError::Connect)?;
        Ok(Self { pool })
    }
}

impl_store!(PostgresStore, Backend::Postgres);
crate::audit::impl_audit_log!(PostgresStore, sqlx::Postgres);
impl_accounts!(PostgresStore);
crate::directory::impl_directory!(PostgresStore);
crate::dossiers::impl_dossiers!(PostgresStore, sqlx::Postgres);
crate::reports::impl_reports!(PostgresStore);
crate::committees::impl_committees!(PostgresStore);
crate::api::impl_api!(PostgresStore);
crate::instruction::impl_instruction!(PostgresStore);
crate::demo::impl_demo_dossiers!(PostgresStore, sqlx::Postgres);
crate::funding::impl_funding!(PostgresStore, sqlx::Postgres);
