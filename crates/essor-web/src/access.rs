//! The one gate every route goes through.
//!
//! The router is built only from [`routes`]: each entry names its method, its path and what it
//! needs ([`Need`]), and [`crate::router`] wraps every handler in [`guard`], which asks the
//! domain's policy ([`Principal::decide`]). A route cannot be added without saying what it needs,
//! and the test of the authorisation matrix walks the same table.
//!
//! The person behind a request is resolved once, by [`resolve`], from the session cookie, or,
//! on the API's paths, from a personal API token (`Authorization: Bearer …`; see
//! [`crate::api_tokens`]).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use essor_domain::access::{Decision, Permission, Principal, SecondFactor};
use essor_domain::{Siren, Siret};

use crate::AppState;
use crate::cookies;
use crate::error::error_page;

/// What a route needs, as declared in the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A fixed permission.
    Permission(StaticPermission),
    /// Acting for the structure whose SIREN is the path's `{siren}` parameter, or the SIREN of
    /// its `{siret}` parameter, or the structure of its `{dossier}`.
    ActForPathSiren,
}

/// The permissions a route can name without looking at the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticPermission {
    Public,
    SecondFactorStep,
    OwnAccount,
    ReadAudit,
    BackOffice,
    ServiceDesk,
    CommitteeFiles,
    ManageAccounts,
    ConfigureTerritory,
}

impl StaticPermission {
    #[must_use]
    pub fn permission(self) -> Permission {
        match self {
            Self::Public => Permission::Public,
            Self::SecondFactorStep => Permission::SecondFactorStep,
            Self::OwnAccount => Permission::OwnAccount,
            Self::ReadAudit => Permission::ReadAudit,
            Self::BackOffice => Permission::BackOffice,
            Self::ServiceDesk => Permission::ServiceDesk,
            Self::CommitteeFiles => Permission::CommitteeFiles,
            Self::ManageAccounts => Permission::ManageAccounts,
            Self::ConfigureTerritory => Permission::ConfigureTerritory,
        }
    }
}

/// One entry of the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
    /// Attempts limited per client address and minute.
    pub rate_limited: bool,
}

impl RouteSpec {
    /// The permission this route needs for a request at `path` (the matched URL's path). The
    /// structure of an actor added by hand is read from the store for signed-in people only:
    /// whatever it is, an anonymous visitor is asked to sign in.
    async fn permission_for(
        &self,
        state: &AppState,
        principal: &Principal,
        path: &str,
    ) -> Option<Permission> {
        match self.need {
            Need::Permission(p) => Some(p.permission()),
            Need::ActForPathSiren => match path_structure(self.path, path)? {
                PathStructure::Siren(siren) => Some(Permission::ActFor(siren)),
                PathStructure::AddedActor(_) | PathStructure::Dossier(_)
                    if !principal.is_signed_in() =>
                {
                    Some(Permission::BackOffice)
                }
                PathStructure::AddedActor(id) => Some(added_actor_permission(state, id).await),
                PathStructure::Dossier(id) => Some(dossier_permission(state, id).await),
            },
        }
    }
}

/// Whose the `{siren}` or `{siret}` segment of a path is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathStructure {
    Siren(Siren),
    /// An actor added by hand (`m<id>`): its structure, if any, is in the store.
    AddedActor(i64),
    /// A funding dossier (`{dossier}`): its structure is in the store.
    Dossier(i64),
}

fn path_structure(pattern: &str, path: &str) -> Option<PathStructure> {
    pattern
        .split('/')
        .zip(path.split('/'))
        .find_map(|(p, value)| match p {
            "{siren}" => Siren::parse(value).ok().map(PathStructure::Siren),
            "{dossier}" => value.parse().ok().map(PathStructure::Dossier),
            "{siret}" => match Siret::parse(value) {
                Ok(siret) => Some(PathStructure::Siren(siret.siren())),
                Err(_) => value
                    .strip_prefix('m')
                    .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|id| id.parse().ok())
                    .map(PathStructure::AddedActor),
            },
            _ => None,
        })
}

/// Acting for the structure an actor added by hand belongs to; staff's only when it belongs to
/// none (or is unknown, or the store cannot tell).
async fn added_actor_permission(state: &AppState, id: i64) -> Permission {
    let siren = match state.store.manual_actor(id).await {
        Ok(actor) => actor.and_then(|a| a.siren),
        Err(e) => {
            tracing::warn!(error = %e, "acteur ajouté à la main illisible");
            None
        }
    };
    siren
        .and_then(|s| Siren::parse(&s).ok())
        .map_or(Permission::BackOffice, Permission::ActFor)
}

/// Acting for the structure that applied with a dossier; staff's only when the dossier is
/// unknown (or the store cannot tell), so that nobody else learns whether it exists.
async fn dossier_permission(state: &AppState, id: i64) -> Permission {
    let siren = match state.store.dossier(id).await {
        Ok(dossier) => dossier.map(|d| d.siren),
        Err(e) => {
            tracing::warn!(error = %e, "dossier illisible");
            None
        }
    };
    siren
        .and_then(|s| Siren::parse(&s).ok())
        .map_or(Permission::BackOffice, Permission::ActFor)
}

/// Who is behind the request, put in the request's extensions by [`resolve`].
#[derive(Debug, Clone, Default)]
pub struct CurrentUser {
    pub principal: Principal,
    /// The hash of the session token, for signing out and the second factor.
    pub session_hash: Option<String>,
    /// The API token the request came with (its id), when it came with one rather than a
    /// session.
    pub api_token: Option<i64>,
}

/// Resolves the session cookie into a [`CurrentUser`]. Anonymous requests touch no database.
pub(crate) async fn resolve(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(bearer) = crate::api_tokens::bearer(&request).map(str::to_owned) {
        // The token alone says who acts: a session cookie sent along is ignored (see
        // `api_tokens`), and a token that is not valid is refused, never replaced by it.
        return match crate::api_tokens::principal_of(&state, &bearer, request.uri().path()).await {
            Ok(user) => {
                request.extensions_mut().insert(user);
                next.run(request).await
            }
            Err(refused) => refused,
        };
    }
    let token = cookies::get(request.headers(), cookies::SESSION);
    let mut user = CurrentUser::default();
    if let Some(token) = token {
        let hash = essor_auth::TokenHash::of(&token).to_hex();
        match principal_of(&state, &hash).await {
            Ok(Some(principal)) => {
                user = CurrentUser {
                    principal,
                    session_hash: Some(hash),
                    api_token: None,
                };
            }
            Ok(None) => {}
            Err(e) => return crate::AppError::from(e).into_response(),
        }
    }
    request.extensions_mut().insert(user);
    next.run(request).await
}

async fn principal_of(
    state: &AppState,
    hash: &str,
) -> Result<Option<Principal>, essor_store::StoreError> {
    let now = Utc::now();
    let Some(session) = state.store.session(hash, now).await? else {
        return Ok(None);
    };
    let Some(account) = state.store.account(session.account_id).await? else {
        return Ok(None);
    };
    let structures = state
        .store
        .memberships(account.id)
        .await?
        .into_iter()
        .map(|m| m.siren)
        .collect();
    // Seen-at is kept to the minute: one write per minute of activity, not per request.
    if (now - session.last_seen_at).num_seconds() >= 60 {
        state.store.touch_session(hash, now).await?;
    }
    let mut principal = Principal {
        account: Some(account.id),
        roles: account.roles,
        structures,
        second_factor: Some(session.second_factor),
    };
    // Roles that need a second factor, given after the session started (by an administrator),
    // count only after signing in again with it.
    if principal.needs_second_factor() && session.second_factor == SecondFactor::NotRequired {
        principal.second_factor = Some(SecondFactor::Pending);
    }
    Ok(Some(principal))
}

/// The gate of one route: the policy's decision for the current user.
pub(crate) async fn guard(
    state: AppState,
    spec: RouteSpec,
    request: Request,
    next: Next,
) -> Response {
    let user = request
        .extensions()
        .get::<CurrentUser>()
        .cloned()
        .unwrap_or_default();
    let Some(permission) = spec
        .permission_for(&state, &user.principal, request.uri().path())
        .await
    else {
        if request.uri().path().starts_with("/api/") {
            return crate::api::error_response(StatusCode::NOT_FOUND, "id", "Dossier introuvable.");
        }
        return error_page(StatusCode::NOT_FOUND);
    };
    // The API answers in JSON, with 401 rather than a redirection to the sign-in page.
    if request.uri().path().starts_with("/api/") {
        return match user.principal.decide(&permission) {
            Decision::Allow => next.run(request).await,
            decision => crate::api::refused(decision),
        };
    }
    match user.principal.decide(&permission) {
        Decision::Allow => next.run(request).await,
        Decision::SignIn => {
            let target = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            if request.method() == Method::GET || request.method() == Method::HEAD {
                let location = format!(
                    "/connexion?suite={}",
                    percent_encoding::utf8_percent_encode(
                        &target,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                );
                Redirect::to(&location).into_response()
            } else {
                let mut response = error_page(StatusCode::UNAUTHORIZED);
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
        }
        Decision::SecondFactor => Redirect::to("/connexion/code").into_response(),
        Decision::Deny => error_page(StatusCode::FORBIDDEN),
    }
}

/// Every route of the application, with what it needs. [`crate::router`] builds the router
/// from this table only.
#[must_use]
pub fn routes() -> Vec<RouteSpec> {
    crate::route_table()
        .into_iter()
        .map(|(spec, _)| spec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_structure_of_a_path_comes_from_its_siren_its_siret_or_an_added_actor() {
        let siren = Siren::parse("732829320").unwrap();
        assert_eq!(
            path_structure("/structures/{siren}", "/structures/732829320"),
            Some(PathStructure::Siren(siren.clone()))
        );
        assert_eq!(
            path_structure(
                "/acteurs/{siret}/modifier",
                "/acteurs/73282932000074/modifier"
            ),
            Some(PathStructure::Siren(siren))
        );
        assert_eq!(
            path_structure("/acteurs/{siret}/modifier", "/acteurs/m42/modifier"),
            Some(PathStructure::AddedActor(42))
        );
        assert_eq!(
            path_structure("/dossiers/{dossier}", "/dossiers/7"),
            Some(PathStructure::Dossier(7))
        );
        assert_eq!(path_structure("/dossiers/{dossier}", "/dossiers/7x"), None);
        for path in [
            "/acteurs/m/modifier",
            "/acteurs/m4x/modifier",
            "/acteurs/73282932000075/modifier",
            "/acteurs/ressourcerie/modifier",
        ] {
            assert_eq!(
                path_structure("/acteurs/{siret}/modifier", path),
                None,
                "{path}"
            );
        }
    }
}
