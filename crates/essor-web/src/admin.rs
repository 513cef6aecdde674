//! Administration of accounts: the list of accounts and their roles, and changing roles.

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use essor_domain::access::Role;
use essor_domain::dates::format_date;

use crate::access::CurrentUser;
use crate::audit::{self, Actor};
use crate::error::{AppError, error_page};
use crate::{AppState, csrf, page_layout};

struct AccountRowView {
    id: i64,
    name: String,
    email: String,
    verified: bool,
    totp: bool,
    created: String,
    roles: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AccountsPage {
    layout: crate::layout::Layout,
    accounts: Vec<AccountRowView>,
    csrf: String,
}

pub(crate) async fn accounts(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let accounts = state
        .store
        .accounts()
        .await?
        .into_iter()
        .map(|a| AccountRowView {
            id: a.id,
            name: a.display_name,
            email: a.email,
            verified: a.email_verified_at.is_some(),
            totp: a.totp_secret.is_some(),
            created: format_date(a.created_at.date_naive()),
            roles: Role::ALL
                .into_iter()
                .map(|r| (r.code(), r.label(), a.roles.contains(&r)))
                .collect(),
        })
        .collect();
    let (csrf, cookie) = csrf::token(&headers, state.accounts.secure_cookies);
    let page = AccountsPage {
        layout: page_layout(&state, "").await?,
        accounts,
        csrf,
    };
    Ok(csrf::form_page(StatusCode::OK, page.render()?, cookie))
}

/// `POST /administration/comptes/{id}/roles`: the checked roles replace the account's.
pub(crate) async fn set_roles(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut roles = Vec::new();
    for (name, value) in &fields {
        if name == "role" {
            match Role::parse(value) {
                Ok(role) => roles.push(role),
                Err(_) => return Ok(error_page(StatusCode::BAD_REQUEST)),
            }
        }
    }
    roles.sort();
    roles.dedup();
    let Some(before) = state.store.account(id).await? else {
        return Ok(error_page(StatusCode::NOT_FOUND));
    };
    // An administrator cannot remove their own administration by mistake.
    if user.principal.account == Some(id) && !roles.contains(&Role::Administrator) {
        return Ok(error_page(StatusCode::BAD_REQUEST));
    }
    state
        .store
        .set_roles(id, &roles)
        .await
        .map_err(|e| match e {
            essor_store::accounts::AccountError::Store(e) => AppError::Store(e),
            other => AppError::Internal(other.to_string()),
        })?;
    let codes = |roles: &[Role]| roles.iter().map(|r| r.code()).collect::<Vec<_>>();
    let actor = user
        .principal
        .account
        .map_or(Actor::Anonymous, Actor::Account);
    audit::record(
        &state,
        actor,
        "user.role_changed",
        "account",
        &id.to_string(),
        Some(serde_json::json!({ "avant": codes(&before.roles), "apres": codes(&roles) })),
    )
    .await;
    Ok(Redirect::to("/administration/comptes").into_response())
}
