//! essor's web application: the router, its pages and its static assets.
//!
//! [`router`] is what `essor serve` runs and what the tests call through `oneshot`. Pages are
//! rendered on the server from askama templates (auto-escaped) and work without JavaScript.

mod assets;
mod charts;
mod error;
mod layout;
mod map;
mod observatory;
mod pages;
mod site;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use essor_domain::referential::Referential;
use essor_store::Store;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub referential: &'static Referential,
    site: Arc<site::SiteCache>,
}

impl AppState {
    #[must_use]
    pub fn new(store: Arc<dyn Store>, referential: &'static Referential) -> Self {
        Self {
            store,
            referential,
            site: Arc::default(),
        }
    }

    /// To call after a change of the default territory or its plan: public pages are rendered
    /// again on their next request.
    pub fn site_changed(&self) {
        self.site.invalidate();
    }
}

/// Largest request body accepted (forms; uploads will have their own limits).
const MAX_BODY_BYTES: usize = 1024 * 1024;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// The whole application.
pub fn router(state: AppState) -> Router {
    let security_headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ));

    Router::new()
        .route("/", get(pages::home))
        .route("/plan", get(pages::plan))
        .route("/instances", get(pages::committees))
        .route("/partenaires", get(pages::partners))
        .route("/territoire", get(pages::territory))
        .route("/plan-du-site", get(pages::sitemap))
        .route("/accessibilite", get(pages::accessibility))
        .route("/sources", get(pages::sources))
        .route("/observatoire", get(observatory::page))
        .route(
            "/observatoire/panorama.json",
            get(observatory::json_download),
        )
        .route("/observatoire/panorama.csv", get(observatory::csv_download))
        .route("/api/v1/panorama", get(observatory::api))
        .route("/healthz", get(healthz))
        .route("/static/{name}", get(assets::serve))
        .fallback(pages::not_found)
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(CatchPanicLayer::custom(error::panic_response))
                .layer(security_headers)
                .layer(CompressionLayer::new())
                .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    Duration::from_secs(30),
                )),
        )
        .with_state(state)
}

/// Liveness: answers `ok` without touching the database, so it stays a trivial route.
async fn healthz() -> &'static str {
    "ok"
}
