//! Personal API tokens: a signed-in person creates, names, lists and revokes them on their
//! account pages; a request to the API with `Authorization: Bearer <token>` then acts as that
//! account, with its roles and structures, through the same policy as the web.
//!
//! - The token is shown once, on the page that creates it; only its SHA-256 is stored
//!   (`essor_auth::Token`), like sessions. It expires (30, 90 or 365 days) and its last use is
//!   kept, to the minute.
//! - Tokens work on the API's paths (`/api/…`) only: a token cannot change a password, delete
//!   an account or create more tokens, which all need a session.
//! - A bearer request's identity comes from its token only. A session cookie sent along is
//!   ignored, and a token that is unknown, expired or revoked gets 401 without falling back to
//!   the cookie. This is what makes it safe to exempt bearer requests from the CSRF check: a
//!   browser never adds an `Authorization` header by itself (a script of another site would
//!   need a CORS preflight, which essor never grants), and the one ambient credential a forged
//!   request could borrow, the cookie, is not read.
//! - Roles needing a second factor: a token can only be created from a session that gave it,
//!   and a token made before such a role was granted does not carry the role's permissions
//!   (like a session, it would have to be made again).

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use essor_domain::access::{Principal, SecondFactor};
use essor_domain::actor::FieldError;
use essor_domain::dates::{format_date, format_datetime};
use essor_store::api::{ApiToken, NewApiToken};

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::error::AppError;
use crate::layout::Layout;
use crate::profiles::{account_id, field};
use crate::{AppState, csrf, page_layout};

/// Longest token name, in characters.
const MAX_NAME: usize = 100;
/// The lifetimes offered, in days.
const LIFETIMES: [i64; 3] = [30, 90, 365];
const DEFAULT_LIFETIME: i64 = 90;

/// The token of a request's `Authorization: Bearer …` header, if it has one.
pub(crate) fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The person a bearer token acts for, or the JSON answer refusing it.
pub(crate) async fn principal_of(
    state: &AppState,
    token: &str,
    path: &str,
) -> Result<CurrentUser, Response> {
    if !path.starts_with("/api/") {
        return Err(crate::api::error_response(
            StatusCode::UNAUTHORIZED,
            "authorization",
            "Les jetons d’API ne servent que pour l’API (/api/…) ; les pages demandent une \
             connexion.",
        ));
    }
    let invalid = || {
        crate::api::error_response(
            StatusCode::UNAUTHORIZED,
            "authorization",
            "Jeton d’API inconnu, expiré ou révoqué.",
        )
    };
    let unavailable = |e: essor_store::StoreError| crate::api::app_error(AppError::from(e));
    let now = Utc::now();
    let hash = essor_auth::TokenHash::of(token).to_hex();
    let Some(found) = state
        .store
        .api_token_by_hash(&hash, now)
        .await
        .map_err(unavailable)?
    else {
        return Err(invalid());
    };
    let Some(account) = state
        .store
        .account(found.account_id)
        .await
        .map_err(unavailable)?
    else {
        return Err(invalid());
    };
    let structures = state
        .store
        .memberships(account.id)
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|m| m.siren)
        .collect();
    // The last use is kept to the minute: one write per minute of use, not per request.
    if found
        .last_used_at
        .is_none_or(|at| (now - at).num_seconds() >= 60)
    {
        state
            .store
            .touch_api_token(found.id, now)
            .await
            .map_err(unavailable)?;
    }
    let mut principal = Principal {
        account: Some(account.id),
        roles: account.roles,
        structures,
        second_factor: Some(found.second_factor),
    };
    if principal.needs_second_factor() && found.second_factor != SecondFactor::Done {
        principal.second_factor = Some(SecondFactor::Pending);
    }
    Ok(CurrentUser {
        principal,
        session_hash: None,
        api_token: Some(found.id),
    })
}

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    expires: String,
    last_used: String,
    /// « actif », « expiré » or « révoqué le … ».
    status: String,
    active: bool,
}

impl TokenRow {
    fn of(token: &ApiToken, now: chrono::DateTime<Utc>) -> Self {
        let (status, active) = match token.revoked_at {
            Some(at) => (
                format!("révoqué le {}", format_date(at.date_naive())),
                false,
            ),
            None if token.expires_at <= now => ("expiré".to_owned(), false),
            None => ("actif".to_owned(), true),
        };
        Self {
            id: token.id,
            name: token.name.clone(),
            created: format_date(token.created_at.date_naive()),
            expires: format_date(token.expires_at.date_naive()),
            last_used: token
                .last_used_at
                .map_or_else(|| "jamais".to_owned(), format_datetime),
            status,
            active,
        }
    }
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    layout: Layout,
    csrf: String,
    rows: Vec<TokenRow>,
    /// The token just created, shown this once.
    created: Option<String>,
    name: String,
    lifetimes: Vec<(i64, bool)>,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

crate::profiles::form_errors!(TokensPage);

struct Shown {
    created: Option<String>,
    name: String,
    lifetime: i64,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

async fn tokens_page(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    shown: Shown,
) -> Result<Response, AppError> {
    let account = account_id(user)?;
    let now = Utc::now();
    let rows = state
        .store
        .api_tokens(account)
        .await?
        .iter()
        .map(|t| TokenRow::of(t, now))
        .collect();
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if shown.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TokensPage {
        layout: page_layout(state, "/compte").await?,
        csrf,
        rows,
        created: shown.created,
        name: shown.name,
        lifetimes: LIFETIMES
            .iter()
            .map(|d| (*d, *d == shown.lifetime))
            .collect(),
        errors: shown.errors,
        notice: shown.notice,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// Tokens are managed from a session only, never with a token.
fn session_only(user: &CurrentUser) -> Result<(), AppError> {
    if user.api_token.is_some() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// `GET /compte/jetons`: the account's tokens and the form to create one.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    session_only(&user)?;
    let notice = match query.get("fait").map(String::as_str) {
        Some("revoque") => Some("Le jeton est révoqué : il ne donne plus accès à l’API."),
        _ => None,
    };
    let shown = Shown {
        created: None,
        name: String::new(),
        lifetime: DEFAULT_LIFETIME,
        errors: Vec::new(),
        notice,
    };
    tokens_page(&state, &user, &headers, shown).await
}

/// `POST /compte/jetons`: creates a token (`nom`, `duree` in days) and shows it, once.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    session_only(&user)?;
    let account = account_id(&user)?;
    let name = field(&fields, "nom").trim().to_owned();
    let lifetime = field(&fields, "duree").parse::<i64>().ok();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        errors.push(FieldError {
            field: "nom".to_owned(),
            message: "Nom du jeton : indiquez à quoi il sert (100 caractères au plus).".to_owned(),
        });
    }
    let lifetime = if let Some(days) = lifetime.filter(|d| LIFETIMES.contains(d)) {
        days
    } else {
        errors.push(FieldError {
            field: "duree".to_owned(),
            message: "Durée de validité : choisissez 30, 90 ou 365 jours.".to_owned(),
        });
        DEFAULT_LIFETIME
    };
    // The policy already holds a session waiting for its second factor; a session of a role
    // that needs one and did not give it cannot exist. Checked here all the same, since the
    // token outlives the session.
    let second_factor = user
        .principal
        .second_factor
        .unwrap_or(SecondFactor::NotRequired);
    if user.principal.needs_second_factor() && second_factor != SecondFactor::Done {
        return Err(AppError::Forbidden);
    }
    if !errors.is_empty() {
        let shown = Shown {
            created: None,
            name,
            lifetime,
            errors,
            notice: None,
        };
        return tokens_page(&state, &user, &headers, shown).await;
    }
    let (token, hash) = essor_auth::Token::generate();
    let now = Utc::now();
    let created = state
        .store
        .create_api_token(&NewApiToken {
            token_hash: &hash.to_hex(),
            account_id: account,
            name: &name,
            second_factor: if second_factor == SecondFactor::Done {
                SecondFactor::Done
            } else {
                SecondFactor::NotRequired
            },
            created_at: now,
            expires_at: now + Duration::days(lifetime),
        })
        .await?;
    audit::record(
        &state,
        AuditActor::Account(account),
        "api_token.created",
        "api_token",
        &created.id.to_string(),
        Some(serde_json::json!({
            "expires_at": created.expires_at.to_rfc3339(),
        })),
    )
    .await;
    let shown = Shown {
        created: Some(token.as_str().to_owned()),
        name: String::new(),
        lifetime: DEFAULT_LIFETIME,
        errors: Vec::new(),
        notice: None,
    };
    tokens_page(&state, &user, &headers, shown).await
}

/// `POST /compte/jetons/{id}/revoquer`: revokes one of the account's tokens.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    session_only(&user)?;
    let account = account_id(&user)?;
    if !state
        .store
        .revoke_api_token(account, id, Utc::now())
        .await?
    {
        return Err(AppError::NotFound);
    }
    audit::record(
        &state,
        AuditActor::Account(account),
        "api_token.revoked",
        "api_token",
        &id.to_string(),
        None,
    )
    .await;
    Ok(Redirect::to("/compte/jetons?fait=revoque").into_response())
}
