//! The web application through `oneshot`: every public page, the error pages, the assets.

mod accounts;
mod api;
mod committees;
mod directory;
mod dossiers;
mod funding;
mod instruction;
mod matrix;
mod observatory;
mod opendata;
mod pages;
mod profiles;
mod reports;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use essor_domain::referential::Referential;
use essor_store::{PostgresStore, SqliteStore, Store};
use essor_web::{AppState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The application on a fresh database, as on first start.
pub async fn app() -> Router {
    router(seeded_state().await)
}

/// A fresh, migrated store: an in-memory SQLite database; or, when `ESSOR_TEST_DATABASE_URL`
/// is set, a PostgreSQL database of its own, so that the web layer is tested on both backends
/// (the CI runs the workspace's tests once without it, once with it).
pub async fn fresh_store() -> Arc<dyn Store> {
    let store: Arc<dyn Store> = match std::env::var("ESSOR_TEST_DATABASE_URL") {
        Ok(admin_url) => Arc::new(
            PostgresStore::connect(&throwaway_database(&admin_url).await)
                .await
                .expect("connect to the test's PostgreSQL database"),
        ),
        Err(_) => Arc::new(SqliteStore::in_memory().await.unwrap()),
    };
    store.migrate().await.unwrap();
    store
}

/// Test databases are named after their process: those of processes that have ended are
/// dropped when the next one starts.
const DATABASE_PREFIX: &str = "essor_web_test_";

/// A new PostgreSQL database for one test; its URL.
async fn throwaway_database(admin_url: &str) -> String {
    use sqlx::Connection;
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    static CLEANED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect with ESSOR_TEST_DATABASE_URL");
    // Once per process (a test starting meanwhile only creates its own).
    if !CLEANED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        let names: Vec<(String,)> =
            sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE $1")
                .bind(format!("{DATABASE_PREFIX}%"))
                .fetch_all(&mut admin)
                .await
                .expect("list the test databases");
        for (name,) in names {
            let pid = name[DATABASE_PREFIX.len()..]
                .split('_')
                .next()
                .unwrap_or("");
            if std::path::Path::new(&format!("/proc/{pid}")).exists() {
                continue;
            }
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .expect("drop an earlier test database");
        }
    }
    let name = format!(
        "{DATABASE_PREFIX}{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create the test's database");
    admin.close().await.ok();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    format!("{base}/{name}")
}

/// The state of an application on a fresh database, as on first start.
pub async fn seeded_state() -> AppState {
    let store = accounts::store().await;
    AppState::new(
        store,
        Referential::embedded(),
        account_config(outbox_mailer()),
    )
}

/// Account settings for tests: cheap password hashing (debug builds are slow), links under
/// `http://essor.test/`.
#[must_use]
pub fn account_config(mailer: essor_mail::Mailer) -> essor_web::AccountConfig {
    let site = essor_mail::Site::new(
        essor_mail::PublicUrl::parse("http://essor.test/").unwrap(),
        "essor",
    );
    let passwords = essor_auth::Passwords::new(essor_auth::password::PasswordParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    essor_web::AccountConfig::new(site, mailer, passwords)
}

/// A mailer writing into a folder that lives as long as the test process.
#[must_use]
pub fn outbox_mailer() -> essor_mail::Mailer {
    let dir = std::env::temp_dir().join(format!("essor-web-tests-outbox-{}", std::process::id()));
    essor_mail::Mailer::outbox(dir, "essor <essor@essor.test>".parse().unwrap())
}

/// An application whose database was never set up.
pub async fn empty_app() -> Router {
    router(AppState::new(
        fresh_store().await,
        Referential::embedded(),
        account_config(outbox_mailer()),
    ))
}

pub struct Page {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

pub async fn get(app: &Router, path: &str) -> Page {
    get_with(app, path, &[]).await
}

/// A GET with extra request headers.
pub async fn get_with(app: &Router, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Page {
        status,
        content_type,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
