use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use essor_store::accounts::NewAccount;
use essor_store::{PostgresStore, SqliteStore, Store};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// A confirmed account without a password nor roles; its id.
pub async fn account(store: &dyn Store, email: &str) -> i64 {
    store
        .create_account(&NewAccount {
            email,
            display_name: "Camille Martin",
            password_hash: None,
            email_verified: true,
            roles: &[],
        })
        .await
        .unwrap()
        .id
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Runs `test` against a fresh, migrated store of every available backend. A PostgreSQL
/// database is created for the run and dropped after, even when the test fails.
pub async fn each_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary folder");
    let sqlite: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("essor.sqlite3"))
            .await
            .expect("open SQLite"),
    );
    sqlite.migrate().await.expect("migrate SQLite");
    run_guarded("SQLite", test(Arc::clone(&sqlite))).await;
    sqlite.close().await;

    let Ok(admin_url) = std::env::var("ESSOR_TEST_DATABASE_URL") else {
        return;
    };
    let db = ThrowawayDatabase::create(&admin_url).await;
    let postgres: Arc<dyn Store> = Arc::new(
        PostgresStore::connect(&db.url)
            .await
            .expect("connect to the throwaway PostgreSQL database"),
    );
    postgres.migrate().await.expect("migrate PostgreSQL");
    let outcome = tokio::spawn(test(Arc::clone(&postgres))).await;
    postgres.close().await;
    db.drop().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn run_guarded(backend: &str, fut: impl Future<Output = ()> + Send + 'static) {
    if let Err(e) = tokio::spawn(AssertUnwindSafe(fut)).await {
        eprintln!("contract test failed on {backend}");
        std::panic::resume_unwind(e.into_panic());
    }
}

pub struct ThrowawayDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl ThrowawayDatabase {
    pub async fn create(admin_url: &str) -> Self {
        let name = format!(
            "essor_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        let mut admin = PgConnection::connect(admin_url)
            .await
            .expect("connect with ESSOR_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }

    pub async fn drop(self) {
        let mut admin = PgConnection::connect(&self.admin_url)
            .await
            .expect("connect with ESSOR_TEST_DATABASE_URL");
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .expect("drop the test database");
        admin.close().await.ok();
    }
}
