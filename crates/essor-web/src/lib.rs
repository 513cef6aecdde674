//! essor's web application: the router, its pages and its static assets.
//!
//! [`router`] is what `essor serve` runs and what the tests call through `oneshot`. Pages are
//! rendered on the server from askama templates (auto-escaped) and work without JavaScript.

#![recursion_limit = "256"]

pub mod access;
pub mod account;
mod actors;
mod admin;
mod api;
mod api_tokens;
mod assets;
mod audit;
mod charts;
mod committees;
mod cookies;
mod csrf;
pub mod directory;
mod dossiers;
mod error;
mod funding;
pub mod instruction;
mod layout;
mod map;
mod new_actors;
mod observatory;
pub mod opendata;
mod pages;
mod profiles;
pub mod ratelimit;
mod reports;
mod site;
mod steering;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{MethodRouter, get, post};
use essor_domain::referential::Referential;
use essor_store::Store;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use access::{Need, RouteSpec, StaticPermission};
pub use account::AccountConfig;
pub use error::AppError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub referential: &'static Referential,
    pub accounts: Arc<AccountConfig>,
    pub limiter: ratelimit::Limiter,
    site: Arc<site::SiteCache>,
    /// The directory's actors and search index.
    pub catalogue: Arc<directory::Catalogue>,
    pub map: Arc<MapSettings>,
    /// The webhooks' settings, and the wake-up call of their dispatcher.
    pub webhooks: Arc<webhooks::Webhooks>,
    /// The SIRET of the authority granting subsidies, named in the open data (`idAttribuant`);
    /// when `None`, the one essor knows for the default territory.
    pub grantor_siret: Option<essor_domain::Siret>,
    /// The open-data file of the subsidies, as last served.
    pub(crate) subsidies: Arc<opendata::SubsidiesFiles>,
}

/// The background of the directory's map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapSettings {
    /// A tile server's URL template (`https://tiles.example.fr/{z}/{x}/{y}.png`); without one
    /// the map draws the communes' contours only.
    pub tiles_url: Option<String>,
    /// The tiles' attribution, shown on the map.
    pub attribution: String,
}

impl AppState {
    #[must_use]
    pub fn new(
        store: Arc<dyn Store>,
        referential: &'static Referential,
        accounts: AccountConfig,
    ) -> Self {
        Self {
            store,
            referential,
            accounts: Arc::new(accounts),
            limiter: ratelimit::Limiter::default(),
            site: Arc::default(),
            catalogue: Arc::new(directory::Catalogue::in_memory()),
            map: Arc::default(),
            webhooks: Arc::default(),
            grantor_siret: None,
            subsidies: Arc::default(),
        }
    }

    #[must_use]
    pub fn with_webhooks(mut self, settings: webhooks::WebhookSettings) -> Self {
        self.webhooks = Arc::new(webhooks::Webhooks::new(settings));
        self
    }

    /// Replaces the directory's catalogue (the server keeps its index in the data folder).
    #[must_use]
    pub fn with_catalogue(mut self, catalogue: directory::Catalogue) -> Self {
        self.catalogue = Arc::new(catalogue);
        self
    }

    #[must_use]
    pub fn with_map(mut self, map: MapSettings) -> Self {
        self.map = Arc::new(map);
        self
    }

    /// Names the SIRET of the authority granting subsidies in the open data.
    #[must_use]
    pub fn with_grantor_siret(mut self, siret: Option<essor_domain::Siret>) -> Self {
        self.grantor_siret = siret;
        self
    }

    /// The site context and the directory's actors, brought up to date (see
    /// [`directory::Catalogue::refresh`]).
    pub(crate) async fn directory(
        &self,
        force: bool,
    ) -> Result<(Arc<site::SiteContext>, directory::Actors), AppError> {
        let context = if force {
            self.site
                .checked_context(self.store.as_ref(), self.referential)
                .await?
        } else {
            self.site
                .context(self.store.as_ref(), self.referential)
                .await?
        };
        self.catalogue
            .refresh(self.store.as_ref(), self.referential, &context, force)
            .await?;
        Ok((context, self.catalogue.actors()))
    }

    /// Brings the directory up to date with the store now (at start, after an import or a
    /// profile change made by this process).
    pub async fn refresh_directory(&self) -> Result<(), AppError> {
        self.directory(true).await.map(|_| ())
    }

    /// Replaces the rate limiter (the `attempts_per_minute` setting; tests use a tight one).
    #[must_use]
    pub fn with_limiter(mut self, limiter: ratelimit::Limiter) -> Self {
        self.limiter = limiter;
        self
    }

    /// To call after a change of the default territory or its plan: public pages are rendered
    /// again on their next request.
    pub fn site_changed(&self) {
        self.site.invalidate();
    }
}

/// Largest request body accepted for forms; the image and document uploads raise their own
/// limit, up to [`MAX_UPLOAD_BYTES`], which no request may exceed.
const MAX_BODY_BYTES: usize = 1024 * 1024;
const MAX_UPLOAD_BYTES: usize = if funding::UPLOAD_LIMIT > profiles::MAX_IMAGE_BYTES + 64 * 1024 {
    funding::UPLOAD_LIMIT
} else {
    profiles::MAX_IMAGE_BYTES + 64 * 1024
};

/// The content security policy: everything from essor itself, images also from `extra_images`
/// (the map's tile server), framed by `frame_ancestors` (`'none'`, or `*` for the widget, the
/// only page other sites may frame).
pub(crate) fn content_security_policy(extra_images: &str, frame_ancestors: &str) -> HeaderValue {
    let images = if extra_images.is_empty() {
        String::new()
    } else {
        format!(" {extra_images}")
    };
    let policy = format!(
        "default-src 'self'; img-src 'self' data:{images}; style-src 'self'; \
         script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors {frame_ancestors}"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'self'"))
}

/// `X-Frame-Options: DENY` on every response, except those whose policy lets others frame them.
async fn frame_options(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    let frameable = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .is_some_and(|v| v.as_bytes().ends_with(b"frame-ancestors *"));
    if !frameable {
        response.headers_mut().insert(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        );
    }
    response
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let security_headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            content_security_policy("", "'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(from_fn(frame_options));

    let mut router = Router::new();
    for (spec, handler) in route_table() {
        let limited = spec.rate_limited;
        let mut handler = handler.route_layer(from_fn_with_state(
            state.clone(),
            move |State(state): State<AppState>, request, next| {
                access::guard(state, spec, request, next)
            },
        ));
        if limited {
            let shared = state.limiter.clone();
            handler = handler.route_layer(from_fn(move |request, next| {
                ratelimit::limit(shared.clone(), request, next)
            }));
        }
        router = router.route(spec.path, handler);
    }
    router
        .fallback(pages::not_found)
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(CatchPanicLayer::custom(error::panic_response))
                .layer(security_headers)
                // Pages the site keeps come compressed already (`site::CachedPage`, with
                // `Content-Encoding`), and this layer lets them pass; it compresses the others.
                .layer(CompressionLayer::new())
                .layer(from_fn(csrf::verify))
                .layer(from_fn_with_state(state.clone(), access::resolve))
                .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BYTES))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    Duration::from_secs(30),
                )),
        )
        .with_state(state)
}

/// Every route: method, path, what it needs, whether it is rate-limited, and its handler. The
/// router is built from this table only, and the test of the authorisation matrix walks it.
#[allow(clippy::too_many_lines)] // one line per route reads best as one list
pub(crate) fn route_table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use StaticPermission::{
        BackOffice, ConfigureTerritory, ManageAccounts, OwnAccount, Public, ReadAudit,
        SecondFactorStep,
    };
    let spec = |method: &'static str, path: &'static str, need: StaticPermission| RouteSpec {
        method,
        path,
        need: Need::Permission(need),
        rate_limited: false,
    };
    let acting = |method: &'static str, path: &'static str| RouteSpec {
        method,
        path,
        need: Need::ActForPathSiren,
        rate_limited: false,
    };
    let limited = |path: &'static str, need: StaticPermission| RouteSpec {
        method: "POST",
        path,
        need: Need::Permission(need),
        rate_limited: true,
    };
    vec![
        (spec("GET", "/", Public), get(pages::home)),
        (spec("GET", "/plan", Public), get(pages::plan)),
        (spec("GET", "/instances", Public), get(pages::committees)),
        (spec("GET", "/partenaires", Public), get(pages::partners)),
        (spec("GET", "/territoire", Public), get(pages::territory)),
        (spec("GET", "/plan-du-site", Public), get(pages::sitemap)),
        (
            spec("GET", "/accessibilite", Public),
            get(pages::accessibility),
        ),
        (spec("GET", "/sources", Public), get(pages::sources)),
        (
            spec("GET", "/donnees-personnelles", Public),
            get(account::personal_data),
        ),
        (spec("GET", "/observatoire", Public), get(observatory::page)),
        (
            spec("GET", "/observatoire/panorama.json", Public),
            get(observatory::json_download),
        ),
        (
            spec("GET", "/observatoire/panorama.csv", Public),
            get(observatory::csv_download),
        ),
        (
            spec("GET", "/api/v1/panorama", Public),
            get(observatory::api),
        ),
        // Directory
        (spec("GET", "/acteurs", Public), get(actors::search_page)),
        (spec("GET", "/acteurs/carte", Public), get(actors::map_page)),
        (
            spec("GET", "/acteurs/carte.geojson", Public),
            get(actors::map_points),
        ),
        (
            spec("GET", "/acteurs/proposer", OwnAccount),
            get(new_actors::proposal_form),
        ),
        (
            limited("/acteurs/proposer", OwnAccount),
            post(new_actors::propose),
        ),
        (
            spec("GET", "/acteurs/{siret}", Public),
            get(actors::actor_page),
        ),
        (
            spec("GET", "/acteurs/{siret}/revendiquer", OwnAccount),
            get(profiles::claim_page),
        ),
        (
            spec("POST", "/acteurs/{siret}/revendiquer", OwnAccount),
            post(profiles::claim),
        ),
        (
            acting("GET", "/acteurs/{siret}/modifier"),
            get(profiles::edit_form),
        ),
        (
            acting("POST", "/acteurs/{siret}/modifier"),
            post(profiles::edit),
        ),
        (
            acting("POST", "/acteurs/{siret}/images"),
            post(profiles::upload_image).route_layer(axum::extract::DefaultBodyLimit::max(
                profiles::MAX_IMAGE_BYTES + 64 * 1024,
            )),
        ),
        (
            acting("POST", "/acteurs/{siret}/images/{id}/retirer"),
            post(profiles::remove_image),
        ),
        (
            spec("GET", "/acteurs/{siret}/images/{id}", Public),
            get(profiles::image),
        ),
        (
            spec("GET", "/acteurs/{siret}/historique", BackOffice),
            get(profiles::history),
        ),
        (
            spec(
                "POST",
                "/acteurs/{siret}/historique/{id}/retablir",
                BackOffice,
            ),
            post(profiles::restore),
        ),
        (
            spec("GET", "/administration/annuaire", BackOffice),
            get(profiles::review_page),
        ),
        (
            spec("GET", "/administration/annuaire/nouvel-acteur", BackOffice),
            get(new_actors::staff_form),
        ),
        (
            spec("POST", "/administration/annuaire/nouvel-acteur", BackOffice),
            post(new_actors::staff_create),
        ),
        (
            spec(
                "POST",
                "/administration/annuaire/revendications/{id}",
                BackOffice,
            ),
            post(profiles::decide_claim),
        ),
        (
            spec(
                "POST",
                "/administration/annuaire/propositions/{id}",
                BackOffice,
            ),
            post(new_actors::decide),
        ),
        (
            spec(
                "POST",
                "/administration/annuaire/modifications/{id}/relue",
                BackOffice,
            ),
            post(profiles::mark_reviewed),
        ),
        // Project support
        (spec("GET", "/dossiers", OwnAccount), get(dossiers::list)),
        (limited("/dossiers", OwnAccount), post(dossiers::create)),
        (acting("GET", "/dossiers/{dossier}"), get(dossiers::show)),
        (acting("POST", "/dossiers/{dossier}"), post(dossiers::save)),
        (
            acting("POST", "/dossiers/{dossier}/deposer"),
            post(dossiers::submit),
        ),
        (
            acting("POST", "/dossiers/{dossier}/messages"),
            post(dossiers::message)
                .route_layer(axum::extract::DefaultBodyLimit::max(funding::UPLOAD_LIMIT)),
        ),
        (
            acting("POST", "/dossiers/{dossier}/documents"),
            post(funding::upload_piece)
                .route_layer(axum::extract::DefaultBodyLimit::max(funding::UPLOAD_LIMIT)),
        ),
        (
            acting("GET", "/dossiers/{dossier}/documents/{document}"),
            get(funding::download),
        ),
        (
            acting("POST", "/dossiers/{dossier}/documents/{document}/retirer"),
            post(funding::remove_piece),
        ),
        (
            spec("GET", "/administration/convention", ConfigureTerritory),
            get(funding::template_page),
        ),
        (
            spec("POST", "/administration/convention", ConfigureTerritory),
            post(funding::save_template),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/convention",
                BackOffice,
            ),
            post(funding::generate_agreement),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/convention/signee",
                BackOffice,
            ),
            post(funding::upload_signed)
                .route_layer(axum::extract::DefaultBodyLimit::max(funding::UPLOAD_LIMIT)),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/echeancier",
                BackOffice,
            ),
            post(funding::set_schedule),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/versements",
                BackOffice,
            ),
            post(funding::record_payment),
        ),
        (
            spec("GET", "/administration/dossiers", BackOffice),
            get(instruction::dashboard),
        ),
        (
            spec("GET", "/administration/dossiers/export", BackOffice),
            get(dossiers::export),
        ),
        (
            spec("POST", "/administration/dossiers/{id}/etapes", BackOffice),
            post(dossiers::staff_step),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/controles",
                BackOffice,
            ),
            post(dossiers::set_checks),
        ),
        // The dossiers' API (a personal token or a session; JSON in and out)
        (spec("GET", "/api/v1/dossiers", OwnAccount), get(api::list)),
        (limited("/api/v1/dossiers", OwnAccount), post(api::create)),
        (acting("GET", "/api/v1/dossiers/{dossier}"), get(api::show)),
        (
            acting("POST", "/api/v1/dossiers/{dossier}/demande"),
            post(api::replace_application),
        ),
        (
            acting("POST", "/api/v1/dossiers/{dossier}/depot"),
            post(api::submit),
        ),
        (
            acting("GET", "/api/v1/dossiers/{dossier}/messages"),
            get(api::thread),
        ),
        (
            acting("POST", "/api/v1/dossiers/{dossier}/messages"),
            post(api::post_message),
        ),
        (
            spec("POST", "/api/v1/dossiers/{id}/etapes", BackOffice),
            post(api::step),
        ),
        (
            spec("POST", "/api/v1/dossiers/{id}/controles", BackOffice),
            post(api::set_checks),
        ),
        (
            spec("GET", "/administration/webhooks", ConfigureTerritory),
            get(webhooks::page),
        ),
        (
            spec("POST", "/administration/webhooks", ConfigureTerritory),
            post(webhooks::create),
        ),
        (
            spec(
                "POST",
                "/administration/webhooks/{id}/etat",
                ConfigureTerritory,
            ),
            post(webhooks::set_active),
        ),
        // Committees
        (
            spec("GET", "/administration/comites", BackOffice),
            get(committees::list),
        ),
        (
            spec("POST", "/administration/comites", BackOffice),
            post(committees::create),
        ),
        (
            spec("GET", "/administration/comites/membres", BackOffice),
            get(committees::members),
        ),
        (
            spec("POST", "/administration/comites/membres", BackOffice),
            post(committees::add_member),
        ),
        (
            spec(
                "POST",
                "/administration/comites/membres/{id}/retirer",
                BackOffice,
            ),
            post(committees::remove_member),
        ),
        (
            spec("GET", "/administration/comites/{session}", BackOffice),
            get(committees::show),
        ),
        (
            spec("POST", "/administration/comites/{session}", BackOffice),
            post(committees::update),
        ),
        (
            spec(
                "POST",
                "/administration/comites/{session}/presences",
                BackOffice,
            ),
            post(committees::attendance),
        ),
        (
            spec(
                "POST",
                "/administration/comites/{session}/ordre-du-jour",
                BackOffice,
            ),
            post(committees::add_item),
        ),
        (
            spec(
                "POST",
                "/administration/comites/{session}/ordre-du-jour/{item}/retirer",
                BackOffice,
            ),
            post(committees::remove_item),
        ),
        (
            spec(
                "POST",
                "/administration/comites/{session}/ordre-du-jour/{item}/deplacer",
                BackOffice,
            ),
            post(committees::move_item),
        ),
        (
            spec(
                "POST",
                "/administration/comites/{session}/ordre-du-jour/{item}/proposition",
                BackOffice,
            ),
            post(committees::proposal),
        ),
        (
            spec(
                "POST",
                "/administration/comites/{session}/decisions",
                BackOffice,
            ),
            post(committees::decisions),
        ),
        (
            spec(
                "GET",
                "/administration/comites/{session}/proces-verbal",
                BackOffice,
            ),
            get(committees::minutes_page),
        ),
        (
            spec(
                "POST",
                "/administration/comites/{session}/proces-verbal",
                BackOffice,
            ),
            post(committees::minutes),
        ),
        (
            spec(
                "POST",
                "/administration/comites/{session}/tenue",
                BackOffice,
            ),
            post(committees::mark_held),
        ),
        (
            spec(
                "GET",
                "/administration/comites/{session}/dossier-de-seance",
                BackOffice,
            ),
            get(committees::file),
        ),
        (
            spec(
                "GET",
                "/administration/comites/{session}/dossier-de-seance.pdf",
                BackOffice,
            ),
            get(committees::file_pdf),
        ),
        // Reports, evaluation, envelope and indicators
        (
            acting("GET", "/dossiers/{dossier}/rapports/{kind}"),
            get(reports::show),
        ),
        (
            acting("POST", "/dossiers/{dossier}/rapports/{kind}"),
            post(reports::save),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/rapports/{kind}/examen",
                BackOffice,
            ),
            post(reports::review),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/rapports/echeances",
                BackOffice,
            ),
            post(reports::set_dues),
        ),
        (
            spec(
                "GET",
                "/administration/dossiers/{dossier}/suivi",
                BackOffice,
            ),
            get(reports::followup),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/evaluation",
                BackOffice,
            ),
            post(reports::evaluate),
        ),
        (
            spec("GET", "/administration/enveloppe", BackOffice),
            get(steering::envelope_page),
        ),
        (
            spec("GET", "/administration/indicateurs", BackOffice),
            get(steering::indicators_page),
        ),
        (
            spec("POST", "/administration/dossiers/colonnes", BackOffice),
            post(instruction::save_columns),
        ),
        (
            spec("POST", "/administration/dossiers/lot", BackOffice),
            post(instruction::batch),
        ),
        (
            spec("POST", "/administration/dossiers/{id}/avis", BackOffice),
            post(instruction::invite),
        ),
        (
            spec("POST", "/administration/avis/{id}/relancer", BackOffice),
            post(instruction::resend),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/assignation",
                BackOffice,
            ),
            post(instruction::assign),
        ),
        (
            spec(
                "POST",
                "/administration/dossiers/{id}/etiquettes",
                BackOffice,
            ),
            post(instruction::set_labels),
        ),
        (spec("GET", "/avis", Public), get(instruction::opinion_form)),
        (limited("/avis", Public), post(instruction::give_opinion)),
        (
            spec("GET", "/territoire/communes.geojson", Public),
            get(actors::contours),
        ),
        (spec("GET", "/widget/acteurs", Public), get(actors::widget)),
        (
            spec("GET", "/api/v1/acteurs", Public),
            get(actors::api_search),
        ),
        (
            spec("GET", "/api/v1/acteurs/{siret}", Public),
            get(actors::api_actor),
        ),
        (
            spec("GET", "/api/openapi.json", Public),
            get(actors::openapi),
        ),
        (
            spec("GET", "/opendata/acteurs.csv", Public),
            get(actors::export_csv),
        ),
        (
            spec("GET", "/opendata/acteurs.json", Public),
            get(actors::export_json),
        ),
        (
            spec("GET", "/opendata/subventions.csv", Public),
            get(opendata::csv_download),
        ),
        (spec("GET", "/healthz", Public), get(healthz)),
        (spec("GET", "/static/{name}", Public), get(assets::serve)),
        // Accounts
        (
            spec("GET", "/connexion", Public),
            get(account::sign_in_page),
        ),
        (limited("/connexion", Public), post(account::sign_in)),
        (
            spec("GET", "/connexion/sso", Public),
            get(account::sso_start),
        ),
        (
            spec("GET", "/connexion/sso/retour", Public),
            get(account::sso_return),
        ),
        (
            spec("GET", "/connexion/code", SecondFactorStep),
            get(account::code_page),
        ),
        (
            limited("/connexion/code", SecondFactorStep),
            post(account::code),
        ),
        (
            spec("POST", "/deconnexion", SecondFactorStep),
            post(account::sign_out),
        ),
        (
            spec("GET", "/inscription", Public),
            get(account::sign_up_page),
        ),
        (limited("/inscription", Public), post(account::sign_up)),
        (
            spec("GET", "/inscription/confirmation", Public),
            get(account::confirm_email),
        ),
        (
            spec("GET", "/mot-de-passe-oublie", Public),
            get(account::forgot_page),
        ),
        (
            limited("/mot-de-passe-oublie", Public),
            post(account::forgot),
        ),
        (
            spec("GET", "/mot-de-passe/nouveau", Public),
            get(account::reset_page),
        ),
        (
            limited("/mot-de-passe/nouveau", Public),
            post(account::reset),
        ),
        (spec("GET", "/compte", OwnAccount), get(account::home)),
        (
            spec("GET", "/compte/mot-de-passe", OwnAccount),
            get(account::change_password_page),
        ),
        (
            limited("/compte/mot-de-passe", OwnAccount),
            post(account::change_password),
        ),
        (
            spec("GET", "/compte/double-authentification", SecondFactorStep),
            get(account::totp_setup_page),
        ),
        (
            limited("/compte/double-authentification", SecondFactorStep),
            post(account::totp_setup),
        ),
        (
            spec("GET", "/compte/jetons", OwnAccount),
            get(api_tokens::page),
        ),
        (
            limited("/compte/jetons", OwnAccount),
            post(api_tokens::create),
        ),
        (
            spec("POST", "/compte/jetons/{id}/revoquer", OwnAccount),
            post(api_tokens::revoke),
        ),
        (
            spec("GET", "/compte/donnees.json", OwnAccount),
            get(account::export),
        ),
        (
            spec("GET", "/compte/suppression", OwnAccount),
            get(account::delete_page),
        ),
        (
            limited("/compte/suppression", OwnAccount),
            post(account::delete),
        ),
        // Administration
        (
            spec("GET", "/administration/journal", ReadAudit),
            get(audit::journal),
        ),
        (
            spec("GET", "/administration/comptes", ManageAccounts),
            get(admin::accounts),
        ),
        (
            spec("POST", "/administration/comptes/{id}/roles", ManageAccounts),
            post(admin::set_roles),
        ),
    ]
}

/// The frame of a page: the default territory's name and the navigation.
pub(crate) async fn page_layout(state: &AppState, path: &str) -> Result<layout::Layout, AppError> {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    Ok(layout::Layout::new(&context.territory.name, path))
}

/// Liveness: answers `ok` without touching the database, so it stays a trivial route.
async fn healthz() -> &'static str {
    "ok"
}
