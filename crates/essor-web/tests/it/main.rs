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
use essor_store::seed::ensure_reference_data;
use essor_store::{SqliteStore, Store};
use essor_web::{AppState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The application on a fresh database, as on first start.
pub async fn app() -> Router {
    router(seeded_state().await)
}

/// The state of an application on a fresh database, as on first start.
pub async fn seeded_state() -> AppState {
    let store = SqliteStore::in_memory().await.unwrap();
    store.migrate().await.unwrap();
    ensure_reference_data(&store, Referential::embedded())
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
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
    let store = SqliteStore::in_memory().await.unwrap();
    store.migrate().await.unwrap();
    router(AppState::new(
        Arc::new(store),
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
