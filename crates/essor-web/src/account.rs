//! Accounts on the web: sign-up with e-mail confirmation, sign-in (password, then the second
//! factor for staff; or single sign-on), sign-out, password reset and change, the second factor,
//! the account page, the export and deletion of one's data.
//!
//! Messages never say whether an address has an account (sign-in, reset, sign-up answer the
//! same whatever the address). Sessions are renewed at every sign-in and password change.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use essor_auth::oidc::VerifiedIdentity;
use essor_auth::password::Verification;
use essor_auth::{
    NewPassword, OidcClient, PasswordHash, Passwords, PendingLogin, RecoveryCodes, Token,
    TokenHash, Totp, TotpSecret,
};
use essor_domain::access::{Role, SecondFactor};
use essor_domain::dates::format_date;
use essor_mail::{
    Compose, EmailConfirmation, Link, Mail, Mailbox, Mailer, Notification, PasswordChanged,
    PasswordReset, Site,
};
use essor_store::accounts::{Account, AccountError, NewAccount, TokenPurpose};
use serde::Deserialize;

use crate::access::CurrentUser;
use crate::audit::{self, Actor};
use crate::error::{AppError, error_page};
use crate::layout::Layout;
use crate::{AppState, cookies, csrf};

/// What accounts need beyond the store: mail, password hashing, single sign-on, cookies.
pub struct AccountConfig {
    pub site: Site,
    pub mailer: Mailer,
    pub passwords: Passwords,
    pub oidc: Option<Arc<OidcClient>>,
    /// Cookies marked `Secure` (essor served over HTTPS).
    pub secure_cookies: bool,
    pub session_hours: i64,
    pub token_hours: i64,
    /// Accounts never confirmed are erased after this many days.
    pub unconfirmed_days: i64,
    /// Entries of the audit trail are kept this many years.
    pub audit_years: i64,
}

impl AccountConfig {
    /// Defaults: sessions of 12 hours, links valid 24 hours, unconfirmed accounts kept 30 days.
    #[must_use]
    pub fn new(site: Site, mailer: Mailer, passwords: Passwords) -> Self {
        Self {
            site,
            mailer,
            passwords,
            oidc: None,
            secure_cookies: false,
            session_hours: 12,
            token_hours: 24,
            unconfirmed_days: 30,
            audit_years: 10,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

pub(crate) struct Field {
    pub label: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    pub autocomplete: Option<&'static str>,
    pub value: String,
    pub help: Option<&'static str>,
    pub error: Option<String>,
    pub required: bool,
}

impl Field {
    fn new(label: &'static str, name: &'static str, kind: &'static str) -> Self {
        Self {
            label,
            name,
            kind,
            autocomplete: None,
            value: String::new(),
            help: None,
            error: None,
            required: true,
        }
    }

    fn autocomplete(mut self, value: &'static str) -> Self {
        self.autocomplete = Some(value);
        self
    }

    fn value(mut self, value: &str) -> Self {
        value.clone_into(&mut self.value);
        self
    }

    fn help(mut self, help: &'static str) -> Self {
        self.help = Some(help);
        self
    }
}

pub(crate) struct FormSpec {
    pub heading: &'static str,
    pub intro: Vec<String>,
    pub notice: Option<String>,
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    pub fields: Vec<Field>,
    pub submit: &'static str,
    pub links: Vec<(&'static str, &'static str)>,
    /// The single sign-on provider's name and start URL.
    pub sso: Option<(String, String)>,
}

pub(crate) struct FormError {
    pub field: Option<&'static str>,
    pub message: String,
}

#[derive(Template)]
#[template(path = "account/form.html")]
struct FormPage {
    layout: Layout,
    form: FormSpec,
    errors: Vec<FormError>,
    csrf: String,
}

#[derive(Template)]
#[template(path = "account/message.html")]
struct MessagePage {
    layout: Layout,
    heading: &'static str,
    paragraphs: Vec<String>,
    link: Option<(&'static str, &'static str)>,
}

/// A page that must not be cached nor shown in another site's frame.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn with_cookies(
    mut response: Response,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Response {
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

async fn render_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    form: FormSpec,
    errors: Vec<FormError>,
) -> Result<Response, AppError> {
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let mut form = form;
    // Field errors are shown beside their field, and all of them in the summary at the top.
    for error in &errors {
        if let Some(name) = error.field
            && let Some(field) = form.fields.iter_mut().find(|f| f.name == name)
        {
            field.error = Some(error.message.clone());
        }
    }
    let page = FormPage {
        layout: crate::page_layout(state, "").await?,
        form,
        errors,
        csrf,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

async fn message(
    state: &AppState,
    heading: &'static str,
    paragraphs: Vec<String>,
    link: Option<(&'static str, &'static str)>,
) -> Result<Response, AppError> {
    let page = MessagePage {
        layout: crate::page_layout(state, "").await?,
        heading,
        paragraphs,
        link,
    };
    Ok(private(Html(page.render()?).into_response()))
}

/// A local path to go to after signing in: only paths of this site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.contains(['\r', '\n']) =>
        {
            path.to_owned()
        }
        _ => "/compte".to_owned(),
    }
}

fn mailbox(account_email: &str, name: &str) -> Option<Mailbox> {
    let address = account_email.parse().ok()?;
    Some(Mailbox::new(Some(name.to_owned()), address))
}

/// Sends a mail; a failure is logged (without the mail's content) and not shown to the user, so
/// that the answer does not reveal whether the address has an account.
pub(crate) async fn send(
    state: &AppState,
    to: &str,
    name: &str,
    mail: Result<Mail, essor_mail::MailError>,
) {
    let Some(to) = mailbox(to, name) else {
        tracing::warn!("adresse électronique inutilisable pour l’envoi");
        return;
    };
    match mail {
        Ok(mail) => {
            if let Err(e) = state.accounts.mailer.send(&to, &mail).await {
                tracing::error!(error = %e, "envoi du courriel impossible");
            }
        }
        Err(e) => tracing::error!(error = %e, "courriel impossible à composer"),
    }
}

/// Whether signing in to this account asks for the second factor: its roles require one, or the
/// person set one up.
fn second_factor_due(account: &Account) -> bool {
    account.roles.iter().any(|r| r.requires_second_factor()) || account.totp_secret.is_some()
}

/// Opens a session in the given second-factor state; returns its cookie.
async fn open_session(
    state: &AppState,
    account: i64,
    second_factor: SecondFactor,
) -> Result<HeaderValue, AppError> {
    let (token, hash) = Token::generate();
    let now = Utc::now();
    let hours = state.accounts.session_hours;
    state
        .store
        .create_session(
            &hash.to_hex(),
            account,
            second_factor,
            now,
            now + Duration::hours(hours),
        )
        .await?;
    Ok(cookies::set(
        cookies::SESSION,
        token.as_str(),
        Some(hours * 3600),
        state.accounts.secure_cookies,
    ))
}

/// Signs in: the previous session of the browser ends, a new one starts (waiting for the second
/// factor when it is due).
async fn start_session(
    state: &AppState,
    account: &Account,
    previous: Option<&str>,
) -> Result<HeaderValue, AppError> {
    if let Some(previous) = previous {
        state.store.delete_session(previous).await?;
    }
    let second_factor = if second_factor_due(account) {
        SecondFactor::Pending
    } else {
        SecondFactor::NotRequired
    };
    let cookie = open_session(state, account.id, second_factor).await?;
    state.store.record_login(account.id, Utc::now()).await?;
    Ok(cookie)
}

/// Where to go once signed in: the second factor first when the session waits for it.
fn after_sign_in(account: &Account, next: &str) -> String {
    if second_factor_due(account) {
        format!(
            "/connexion/code?suite={}",
            percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
        )
    } else {
        next.to_owned()
    }
}

/// Checks a password off the async threads (Argon2id takes tens of milliseconds by design). An
/// account without a usable hash costs the same time as one with, so timing reveals nothing.
async fn verify_password(
    state: &AppState,
    candidate: &str,
    stored: Option<String>,
) -> Result<Verification, AppError> {
    let passwords = state.accounts.passwords.clone();
    let candidate = candidate.to_owned();
    tokio::task::spawn_blocking(move || match stored.as_deref().map(PasswordHash::parse) {
        Some(Ok(stored)) => passwords.verify(&candidate, &stored),
        _ => Ok(passwords.verify_unknown_account(&candidate)),
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))
}

async fn hash_password(state: &AppState, password: NewPassword) -> Result<PasswordHash, AppError> {
    let passwords = state.accounts.passwords.clone();
    tokio::task::spawn_blocking(move || passwords.hash(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Sign-in

#[derive(Deserialize, Default)]
pub(crate) struct NextQuery {
    suite: Option<String>,
}

fn sign_in_form(state: &AppState, email: &str, next: &str) -> FormSpec {
    FormSpec {
        heading: "Se connecter",
        intro: Vec::new(),
        notice: None,
        action: "/connexion".into(),
        hidden: vec![("suite", next.to_owned())],
        fields: vec![
            Field::new("Adresse électronique", "email", "email")
                .autocomplete("email")
                .value(email)
                .help("Format attendu : nom@domaine.fr"),
            Field::new("Mot de passe", "password", "password").autocomplete("current-password"),
        ],
        submit: "Se connecter",
        links: vec![
            ("/mot-de-passe-oublie", "Mot de passe oublié ?"),
            ("/inscription", "Créer un compte"),
        ],
        sso: state.accounts.oidc.as_ref().map(|c| {
            (
                c.display_name().to_owned(),
                format!(
                    "/connexion/sso?suite={}",
                    percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
                ),
            )
        }),
    }
}

pub(crate) async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(query.suite.as_deref());
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        sign_in_form(&state, "", &next),
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    suite: Option<String>,
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.suite.as_deref());
    let account = state.store.account_by_email(&form.email).await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let verified = verify_password(&state, &form.password, stored).await?;
    let Some(account) = account.filter(|_| verified.is_valid()) else {
        audit::record(
            &state,
            Actor::Anonymous,
            "auth.login_failed",
            "account",
            "",
            None,
        )
        .await;
        let errors = vec![FormError {
            field: None,
            message: "Adresse électronique ou mot de passe incorrect.".into(),
        }];
        return render_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            sign_in_form(&state, &form.email, &next),
            errors,
        )
        .await;
    };
    if let Verification::Valid { rehash: Some(new) } = &verified {
        // Parameters changed since the hash was made: store it again, keeping the session.
        sqlx_free_rehash(&state, account.id, new).await?;
    }
    if !account.is_verified() {
        return message(
            &state,
            "Adresse électronique à confirmer",
            vec![
                "Votre compte n’est pas encore actif : ouvrez le lien du message que nous vous avons envoyé à la création du compte.".into(),
                "Vous ne le trouvez pas ? Demandez un nouveau lien en choisissant « Mot de passe oublié » : le lien reçu confirmera aussi votre adresse.".into(),
            ],
            Some(("/mot-de-passe-oublie", "Recevoir un nouveau lien")),
        ).await;
    }
    let cookie = start_session(&state, &account, user.session_hash.as_deref()).await?;
    audit::record(
        &state,
        Actor::Account(account.id),
        "auth.login",
        "account",
        &account.id.to_string(),
        None,
    )
    .await;
    let response = Redirect::to(&after_sign_in(&account, &next)).into_response();
    Ok(with_cookies(response, [cookie]))
}

/// A password verified with older parameters is hashed again without ending sessions.
async fn sqlx_free_rehash(
    state: &AppState,
    account: i64,
    hash: &PasswordHash,
) -> Result<(), AppError> {
    state.store.rehash_password(account, hash.as_str()).await?;
    Ok(())
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
) -> Result<Response, AppError> {
    if let Some(hash) = &user.session_hash {
        state.store.delete_session(hash).await?;
    }
    if let Some(id) = user.principal.account {
        audit::record(
            &state,
            Actor::Account(id),
            "auth.logout",
            "account",
            &id.to_string(),
            None,
        )
        .await;
    }
    let response = Redirect::to("/").into_response();
    Ok(with_cookies(
        response,
        [cookies::clear(
            cookies::SESSION,
            state.accounts.secure_cookies,
        )],
    ))
}

// ---------------------------------------------------------------------------------------------
// Sign-up and confirmation

fn sign_up_form(name: &str, email: &str) -> FormSpec {
    FormSpec {
        heading: "Créer un compte",
        intro: vec![
            "Un compte vous permet d’agir pour votre structure : compléter sa fiche de l’annuaire, déposer une demande de soutien et la suivre.".into(),
        ],
        notice: None,
        action: "/inscription".into(),
        hidden: Vec::new(),
        fields: vec![
            Field::new("Prénom et nom", "name", "text")
                .autocomplete("name")
                .value(name),
            Field::new("Adresse électronique", "email", "email")
                .autocomplete("email")
                .value(email)
                .help("Format attendu : nom@domaine.fr. Nous y enverrons un lien pour confirmer l’adresse."),
            Field::new("Mot de passe", "password", "password")
                .autocomplete("new-password")
                .help("12 caractères au moins. Une phrase de passe facile à retenir convient très bien."),
            Field::new("Confirmation du mot de passe", "password_confirmation", "password")
                .autocomplete("new-password"),
        ],
        submit: "Créer mon compte",
        links: vec![("/connexion", "J’ai déjà un compte")],
        sso: None,
    }
}

pub(crate) async fn sign_up_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        sign_up_form("", ""),
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct SignUpForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

/// A plausible e-mail address: something@domain.tld, no spaces, within 254 characters.
fn valid_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.parse::<essor_mail::Mailbox>().is_ok()
        && email
            .rsplit_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

pub(crate) async fn sign_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignUpForm>,
) -> Result<Response, AppError> {
    let name = form.name.trim();
    let email = form.email.trim().to_lowercase();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(FormError {
            field: Some("name"),
            message: "Prénom et nom : indiquez votre nom (120 caractères au plus).".into(),
        });
    }
    if !valid_email(&email) {
        errors.push(FormError {
            field: Some("email"),
            message: "Adresse électronique : saisissez une adresse au format nom@domaine.fr."
                .into(),
        });
    }
    let password = match NewPassword::parse(&form.password, &email) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FormError {
                field: Some("password"),
                message: e.to_string(),
            });
            None
        }
    };
    if form.password != form.password_confirmation {
        errors.push(FormError {
            field: Some("password_confirmation"),
            message: "Confirmation du mot de passe : les deux mots de passe diffèrent.".into(),
        });
    }
    let (Some(password), true) = (password, errors.is_empty()) else {
        return render_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            sign_up_form(name, &form.email),
            errors,
        )
        .await;
    };
    let hash = hash_password(&state, password).await?;
    let created = state
        .store
        .create_account(&NewAccount {
            email: &email,
            display_name: name,
            password_hash: Some(hash.as_str()),
            email_verified: false,
            roles: &[],
        })
        .await;
    match created {
        Ok(account) => {
            audit::record(
                &state,
                Actor::Account(account.id),
                "account.created",
                "account",
                &account.id.to_string(),
                None,
            )
            .await;
            send_confirmation(&state, &account).await?;
        }
        Err(AccountError::EmailTaken) => {
            // Same answer as for a new address; the owner of the address is told by mail.
            let mail = Notification {
                name: None,
                subject: "Tentative de création de compte".into(),
                paragraphs: vec![
                    "Quelqu’un (peut-être vous) a voulu créer un compte avec cette adresse, qui en a déjà un.".into(),
                    "Si c’était vous, connectez-vous ou demandez un nouveau mot de passe. Sinon, vous pouvez ignorer ce message.".into(),
                ],
                link: Some(Link {
                    label: "Se connecter".into(),
                    url: state.accounts.site.link("/connexion", &[]),
                }),
            }
            .compose(&state.accounts.site);
            send(&state, &email, name, mail).await;
        }
        Err(AccountError::Store(e)) => return Err(e.into()),
        Err(AccountError::NotFound) => return Err(AppError::NotFound),
    }
    message(
        &state,
        "Vérifiez votre messagerie",
        vec![format!(
            "Si l’adresse {email} peut être utilisée, un message vient d’y être envoyé avec un lien pour confirmer votre compte. Le lien est valable {} heures.",
            state.accounts.token_hours
        )],
        Some(("/connexion", "Aller à la page de connexion")),
    ).await
}

async fn send_confirmation(state: &AppState, account: &Account) -> Result<(), AppError> {
    let (token, hash) = Token::generate();
    let expires_at = Utc::now() + Duration::hours(state.accounts.token_hours);
    state
        .store
        .create_token(
            &hash.to_hex(),
            account.id,
            TokenPurpose::ConfirmEmail,
            expires_at,
        )
        .await?;
    let mail = EmailConfirmation {
        name: Some(account.display_name.clone()),
        link: state
            .accounts
            .site
            .link("/inscription/confirmation", &[("jeton", token.as_str())]),
        expires_at,
    }
    .compose(&state.accounts.site);
    send(state, &account.email, &account.display_name, mail).await;
    Ok(())
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    jeton: Option<String>,
}

pub(crate) async fn confirm_email(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let account = match query.jeton.as_deref() {
        Some(token) => {
            state
                .store
                .consume_token(
                    &TokenHash::of(token).to_hex(),
                    TokenPurpose::ConfirmEmail,
                    now,
                )
                .await?
        }
        None => None,
    };
    let Some(id) = account else {
        return invalid_link(&state).await;
    };
    state
        .store
        .mark_email_verified(id, now)
        .await
        .map_err(account_error)?;
    audit::record(
        &state,
        Actor::Account(id),
        "account.email_confirmed",
        "account",
        &id.to_string(),
        None,
    )
    .await;
    message(
        &state,
        "Adresse confirmée",
        vec!["Votre adresse électronique est confirmée : vous pouvez vous connecter.".into()],
        Some(("/connexion", "Se connecter")),
    )
    .await
}

async fn invalid_link(state: &AppState) -> Result<Response, AppError> {
    let mut response = message(
        state,
        "Lien invalide ou expiré",
        vec![
            "Ce lien a déjà servi ou n’est plus valable. Vous pouvez en demander un nouveau."
                .into(),
        ],
        Some(("/mot-de-passe-oublie", "Recevoir un nouveau lien")),
    )
    .await?;
    *response.status_mut() = StatusCode::GONE;
    Ok(response)
}

fn account_error(e: AccountError) -> AppError {
    match e {
        AccountError::Store(e) => e.into(),
        AccountError::NotFound => AppError::NotFound,
        AccountError::EmailTaken => AppError::Internal("adresse déjà utilisée".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Password reset and change

fn forgot_form(email: &str) -> FormSpec {
    FormSpec {
        heading: "Mot de passe oublié",
        intro: vec!["Indiquez l’adresse de votre compte : nous y enverrons un lien pour choisir un nouveau mot de passe.".into()],
        notice: None,
        action: "/mot-de-passe-oublie".into(),
        hidden: Vec::new(),
        fields: vec![Field::new("Adresse électronique", "email", "email")
            .autocomplete("email")
            .value(email)
            .help("Format attendu : nom@domaine.fr")],
        submit: "Recevoir un lien",
        links: vec![("/connexion", "Revenir à la connexion")],
        sso: None,
    }
}

pub(crate) async fn forgot_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        forgot_form(""),
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    #[serde(default)]
    email: String,
}

pub(crate) async fn forgot(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    let email = form.email.trim().to_lowercase();
    if !valid_email(&email) {
        return render_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            forgot_form(&form.email),
            vec![FormError {
                field: Some("email"),
                message: "Adresse électronique : saisissez une adresse au format nom@domaine.fr."
                    .into(),
            }],
        )
        .await;
    }
    if let Some(account) = state.store.account_by_email(&email).await? {
        let (token, hash) = Token::generate();
        let expires_at = Utc::now() + Duration::hours(1);
        state
            .store
            .create_token(
                &hash.to_hex(),
                account.id,
                TokenPurpose::ResetPassword,
                expires_at,
            )
            .await?;
        let mail = PasswordReset {
            name: Some(account.display_name.clone()),
            link: state
                .accounts
                .site
                .link("/mot-de-passe/nouveau", &[("jeton", token.as_str())]),
            expires_at,
        }
        .compose(&state.accounts.site);
        send(&state, &account.email, &account.display_name, mail).await;
    }
    message(
        &state,
        "Vérifiez votre messagerie",
        vec![format!(
            "Si un compte existe avec l’adresse {email}, un message vient d’y être envoyé avec un lien pour choisir un nouveau mot de passe. Le lien est valable une heure et ne sert qu’une fois."
        )],
        None,
    ).await
}

fn reset_form(token: &str) -> FormSpec {
    FormSpec {
        heading: "Choisir un nouveau mot de passe",
        intro: Vec::new(),
        notice: None,
        action: "/mot-de-passe/nouveau".into(),
        hidden: vec![("jeton", token.to_owned())],
        fields: vec![
            Field::new("Nouveau mot de passe", "password", "password")
                .autocomplete("new-password")
                .help("12 caractères au moins."),
            Field::new(
                "Confirmation du mot de passe",
                "password_confirmation",
                "password",
            )
            .autocomplete("new-password"),
        ],
        submit: "Enregistrer le mot de passe",
        links: Vec::new(),
        sso: None,
    }
}

pub(crate) async fn reset_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let token = query.jeton.unwrap_or_default();
    let mut response = render_form(
        &state,
        &headers,
        StatusCode::OK,
        reset_form(&token),
        Vec::new(),
    )
    .await?;
    // The token is in the URL: do not send it to other sites.
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

pub(crate) async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let hash = TokenHash::of(&form.jeton).to_hex();
    // The token is checked before the password so that a used link says so at once; it is
    // consumed only with a valid password.
    let mut errors = Vec::new();
    if form.password != form.password_confirmation {
        errors.push(FormError {
            field: Some("password_confirmation"),
            message: "Confirmation du mot de passe : les deux mots de passe diffèrent.".into(),
        });
    }
    let password = match NewPassword::parse(&form.password, "") {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FormError {
                field: Some("password"),
                message: e.to_string(),
            });
            None
        }
    };
    let (Some(password), true) = (password, errors.is_empty()) else {
        return render_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            reset_form(&form.jeton),
            errors,
        )
        .await;
    };
    let now = Utc::now();
    let Some(id) = state
        .store
        .consume_token(&hash, TokenPurpose::ResetPassword, now)
        .await?
    else {
        return invalid_link(&state).await;
    };
    let Some(account) = state.store.account(id).await? else {
        return invalid_link(&state).await;
    };
    if NewPassword::parse(&form.password, &account.email).is_err() {
        // The e-mail was not known when the rules were checked; the link is spent, so a new
        // one is sent at once.
        return message(
            &state,
            "Mot de passe refusé",
            vec!["Le mot de passe ne doit pas être votre adresse électronique. Demandez un nouveau lien et choisissez-en un autre.".into()],
            Some(("/mot-de-passe-oublie", "Recevoir un nouveau lien")),
        ).await;
    }
    let new_hash = hash_password(&state, password).await?;
    state
        .store
        .set_password(id, new_hash.as_str())
        .await
        .map_err(account_error)?;
    // Opening the link proves the address too.
    state
        .store
        .mark_email_verified(id, now)
        .await
        .map_err(account_error)?;
    audit::record(
        &state,
        Actor::Account(id),
        "auth.password_reset",
        "account",
        &id.to_string(),
        None,
    )
    .await;
    password_changed_mail(&state, &account).await;
    message(
        &state,
        "Mot de passe enregistré",
        vec!["Votre nouveau mot de passe est enregistré ; toutes vos sessions ouvertes ont été fermées.".into()],
        Some(("/connexion", "Se connecter")),
    ).await
}

async fn password_changed_mail(state: &AppState, account: &Account) {
    let mail = PasswordChanged {
        name: Some(account.display_name.clone()),
        changed_at: Utc::now(),
        reset_request_link: state.accounts.site.link("/mot-de-passe-oublie", &[]),
    }
    .compose(&state.accounts.site);
    send(state, &account.email, &account.display_name, mail).await;
}

fn change_form() -> FormSpec {
    FormSpec {
        heading: "Changer de mot de passe",
        intro: Vec::new(),
        notice: None,
        action: "/compte/mot-de-passe".into(),
        hidden: Vec::new(),
        fields: vec![
            Field::new("Mot de passe actuel", "current", "password")
                .autocomplete("current-password"),
            Field::new("Nouveau mot de passe", "password", "password")
                .autocomplete("new-password")
                .help("12 caractères au moins."),
            Field::new(
                "Confirmation du nouveau mot de passe",
                "password_confirmation",
                "password",
            )
            .autocomplete("new-password"),
        ],
        submit: "Changer de mot de passe",
        links: vec![("/compte", "Revenir à mon compte")],
        sso: None,
    }
}

pub(crate) async fn change_password_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    render_form(&state, &headers, StatusCode::OK, change_form(), Vec::new()).await
}

#[derive(Deserialize)]
pub(crate) struct ChangeForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

async fn signed_in_account(state: &AppState, user: &CurrentUser) -> Result<Account, AppError> {
    let id = user.principal.account.ok_or(AppError::NotFound)?;
    state.store.account(id).await?.ok_or(AppError::NotFound)
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &user).await?;
    let mut errors = Vec::new();
    let current_ok = account.password_hash.is_some()
        && verify_password(&state, &form.current, account.password_hash.clone())
            .await?
            .is_valid();
    if !current_ok {
        errors.push(FormError {
            field: Some("current"),
            message: "Mot de passe actuel : il est incorrect.".into(),
        });
    }
    let password = match NewPassword::parse(&form.password, &account.email) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FormError {
                field: Some("password"),
                message: e.to_string(),
            });
            None
        }
    };
    if form.password != form.password_confirmation {
        errors.push(FormError {
            field: Some("password_confirmation"),
            message: "Confirmation du nouveau mot de passe : les deux mots de passe diffèrent."
                .into(),
        });
    }
    let (Some(password), true) = (password, errors.is_empty()) else {
        return render_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            change_form(),
            errors,
        )
        .await;
    };
    let hash = hash_password(&state, password).await?;
    // Ends every session, this one included; a fresh one keeps the person signed in.
    state
        .store
        .set_password(account.id, hash.as_str())
        .await
        .map_err(account_error)?;
    let second_factor = user
        .principal
        .second_factor
        .unwrap_or(SecondFactor::NotRequired);
    let cookie = open_session(&state, account.id, second_factor).await?;
    audit::record(
        &state,
        Actor::Account(account.id),
        "auth.password_changed",
        "account",
        &account.id.to_string(),
        None,
    )
    .await;
    password_changed_mail(&state, &account).await;

    Ok(with_cookies(
        Redirect::to("/compte?fait=mot-de-passe").into_response(),
        [cookie],
    ))
}

// ---------------------------------------------------------------------------------------------
// Second factor

fn code_form(next: &str) -> FormSpec {
    FormSpec {
        heading: "Code de vérification",
        intro: vec!["Saisissez le code à six chiffres de votre application d’authentification, ou l’un de vos codes de secours.".into()],
        notice: None,
        action: "/connexion/code".into(),
        hidden: vec![("suite", next.to_owned())],
        fields: vec![Field::new("Code", "code", "text").autocomplete("one-time-code")],
        submit: "Valider",
        links: Vec::new(),
        sso: None,
    }
}

pub(crate) async fn code_page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(query.suite.as_deref());
    if user.principal.second_factor != Some(SecondFactor::Pending) {
        return Ok(Redirect::to(&next).into_response());
    }
    let account = signed_in_account(&state, &user).await?;
    if account.totp_secret.is_none() {
        return Ok(Redirect::to(&format!(
            "/compte/double-authentification?suite={}",
            percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
        ))
        .into_response());
    }
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        code_form(&next),
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    code: String,
    suite: Option<String>,
}

fn unix_now() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

pub(crate) async fn code(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.suite.as_deref());
    let account = signed_in_account(&state, &user).await?;
    let Some(session) = user.session_hash.as_deref() else {
        return Ok(error_page(StatusCode::FORBIDDEN));
    };
    let Some(secret) = account.totp_secret.as_deref() else {
        return Ok(Redirect::to("/compte/double-authentification").into_response());
    };
    let totp = TotpSecret::from_base32(secret)
        .and_then(|s| Totp::new(&s, &account.email))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let last = account.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let accepted = if let Ok(step) = totp.verify(&form.code, unix_now(), last) {
        state
            .store
            .accept_totp_step(account.id, i64::try_from(step).unwrap_or(i64::MAX))
            .await?
    } else {
        {
            let typed = essor_auth::RecoveryCode::parse(&form.code);
            match typed {
                Some(code) => {
                    let redeemed = state
                        .store
                        .use_recovery_code(account.id, &code.hash().to_hex(), Utc::now())
                        .await?;
                    if redeemed {
                        audit::record(
                            &state,
                            Actor::Account(account.id),
                            "auth.recovery_code_used",
                            "account",
                            &account.id.to_string(),
                            None,
                        )
                        .await;
                    }
                    redeemed
                }
                None => false,
            }
        }
    };
    if !accepted {
        audit::record(
            &state,
            Actor::Account(account.id),
            "auth.second_factor_failed",
            "account",
            &account.id.to_string(),
            None,
        )
        .await;
        return render_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            code_form(&next),
            vec![FormError {
                field: Some("code"),
                message: "Code : il est incorrect, a expiré ou a déjà servi.".into(),
            }],
        )
        .await;
    }
    state
        .store
        .set_session_second_factor(session, SecondFactor::Done)
        .await?;
    audit::record(
        &state,
        Actor::Account(account.id),
        "auth.second_factor",
        "account",
        &account.id.to_string(),
        None,
    )
    .await;
    Ok(Redirect::to(&next).into_response())
}

#[derive(Template)]
#[template(path = "account/totp.html")]
struct TotpPage {
    layout: Layout,
    email: String,
    secret: String,
    secret_grouped: String,
    qr_data_uri: String,
    error: Option<String>,
    csrf: String,
}

#[derive(Template)]
#[template(path = "account/recovery.html")]
struct RecoveryPage {
    layout: Layout,
    codes: Vec<String>,
    next: String,
}

async fn totp_page(
    state: &AppState,
    headers: &HeaderMap,
    account: &Account,
    secret: &TotpSecret,
    error: Option<String>,
) -> Result<Response, AppError> {
    let totp = Totp::new(secret, &account.email).map_err(|e| AppError::Internal(e.to_string()))?;
    let svg = totp
        .qr_svg()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let encoded = secret.to_base32();
    let grouped = encoded
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = TotpPage {
        layout: crate::page_layout(state, "").await?,
        email: account.email.clone(),
        secret: encoded,
        secret_grouped: grouped,
        qr_data_uri: format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        ),
        error,
        csrf,
    };
    Ok(private(with_cookies(
        (status, Html(page.render()?)).into_response(),
        cookie,
    )))
}

pub(crate) async fn totp_setup_page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &user).await?;
    // Setting up again, while a factor exists, needs the session to have given it.
    if account.totp_secret.is_some() && user.principal.second_factor == Some(SecondFactor::Pending)
    {
        return Ok(Redirect::to("/connexion/code").into_response());
    }
    totp_page(&state, &headers, &account, &TotpSecret::generate(), None).await
}

#[derive(Deserialize)]
pub(crate) struct TotpForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
    suite: Option<String>,
}

pub(crate) async fn totp_setup(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(form): Form<TotpForm>,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &user).await?;
    if account.totp_secret.is_some() && user.principal.second_factor == Some(SecondFactor::Pending)
    {
        return Ok(Redirect::to("/connexion/code").into_response());
    }
    let Ok(secret) = TotpSecret::from_base32(&form.secret) else {
        return Ok(error_page(StatusCode::BAD_REQUEST));
    };
    let totp = Totp::new(&secret, &account.email).map_err(|e| AppError::Internal(e.to_string()))?;
    let Ok(step) = totp.verify(&form.code, unix_now(), None) else {
        return totp_page(
            &state,
            &headers,
            &account,
            &secret,
            Some("Code à six chiffres : il est incorrect ou a expiré. Vérifiez l’heure de votre téléphone et saisissez le code affiché.".into()),
        ).await;
    };
    state
        .store
        .set_totp(account.id, Some(&secret.to_base32()))
        .await
        .map_err(account_error)?;
    state
        .store
        .accept_totp_step(account.id, i64::try_from(step).unwrap_or(i64::MAX))
        .await?;
    let (codes, hashes) = RecoveryCodes::generate();
    let hashes: Vec<String> = hashes.hashes().iter().map(TokenHash::to_hex).collect();
    state
        .store
        .replace_recovery_codes(account.id, &hashes)
        .await?;
    if let Some(session) = user.session_hash.as_deref() {
        state
            .store
            .set_session_second_factor(session, SecondFactor::Done)
            .await?;
    }
    audit::record(
        &state,
        Actor::Account(account.id),
        "auth.second_factor_enabled",
        "account",
        &account.id.to_string(),
        None,
    )
    .await;
    let page = RecoveryPage {
        layout: crate::page_layout(&state, "").await?,
        codes: codes.iter().map(ToString::to_string).collect(),
        next: safe_next(form.suite.as_deref()),
    };
    Ok(private(Html(page.render()?).into_response()))
}

// ---------------------------------------------------------------------------------------------
// The account page, export, deletion

#[derive(Template)]
#[template(path = "account/home.html")]
#[allow(clippy::struct_excessive_bools)] // the page's yes/no facts, read by the template
struct HomePage {
    layout: Layout,
    notice: Option<&'static str>,
    name: String,
    email: String,
    verified: bool,
    roles: Vec<&'static str>,
    created: String,
    last_login: Option<String>,
    structures: Vec<(String, bool)>,
    has_password: bool,
    totp: bool,
    totp_required: bool,
    recovery_left: u32,
    identities: Vec<String>,
    back_office: Vec<(&'static str, &'static str)>,
    csrf: String,
}

#[derive(Deserialize)]
pub(crate) struct DoneQuery {
    fait: Option<String>,
}

fn date_of(at: DateTime<Utc>) -> String {
    format_date(at.date_naive())
}

pub(crate) async fn home(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &user).await?;
    let structures = state
        .store
        .memberships(account.id)
        .await?
        .into_iter()
        .map(|m| (m.siren.as_str().to_owned(), m.owner))
        .collect();
    let identities = state
        .store
        .oidc_identities(account.id)
        .await?
        .into_iter()
        .map(|i| match &state.accounts.oidc {
            Some(c) if c.issuer() == i.issuer => c.display_name().to_owned(),
            _ => i.issuer,
        })
        .collect();
    let mut back_office = Vec::new();
    let principal = &user.principal;
    if principal.decide(&essor_domain::access::Permission::ReadAudit)
        == essor_domain::access::Decision::Allow
    {
        back_office.push(("/administration/journal", "Journal d’audit"));
    }
    if principal.decide(&essor_domain::access::Permission::BackOffice)
        == essor_domain::access::Decision::Allow
    {
        back_office.push((
            "/administration/annuaire",
            "Annuaire : revendications, propositions et modifications",
        ));
        back_office.push(("/administration/dossiers", "Dossiers de subvention"));
    }
    if principal.decide(&essor_domain::access::Permission::ManageAccounts)
        == essor_domain::access::Decision::Allow
    {
        back_office.push(("/administration/comptes", "Comptes et rôles"));
    }
    if principal.decide(&essor_domain::access::Permission::ConfigureTerritory)
        == essor_domain::access::Decision::Allow
    {
        back_office.push(("/administration/webhooks", "Webhooks des dossiers"));
    }
    let (csrf, cookie) = csrf::token(&headers, state.accounts.secure_cookies);
    let page = HomePage {
        layout: crate::page_layout(&state, "/compte").await?,
        notice: match done.fait.as_deref() {
            Some("mot-de-passe") => Some("Votre mot de passe a été changé."),
            _ => None,
        },
        name: account.display_name.clone(),
        email: account.email.clone(),
        verified: account.is_verified(),
        roles: account.roles.iter().map(|r| r.label()).collect(),
        created: date_of(account.created_at),
        last_login: account.last_login_at.map(date_of),
        structures,
        has_password: account.password_hash.is_some(),
        totp: account.totp_secret.is_some(),
        totp_required: account.roles.iter().any(|r| r.requires_second_factor()),
        recovery_left: state.store.remaining_recovery_codes(account.id).await?,
        identities,
        back_office,
        csrf,
    };
    Ok(private(with_cookies(
        Html(page.render()?).into_response(),
        cookie,
    )))
}

/// Everything held about the signed-in person, as JSON.
pub(crate) async fn export(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &user).await?;
    let memberships = state.store.memberships(account.id).await?;
    let sessions = state.store.sessions_of(account.id).await?;
    let identities = state.store.oidc_identities(account.id).await?;
    let claims = state.store.claims_of_account(account.id).await?;
    let proposals = state.store.manual_actors_of_account(account.id).await?;
    audit::record(
        &state,
        Actor::Account(account.id),
        "account.data_exported",
        "account",
        &account.id.to_string(),
        None,
    )
    .await;
    let events = audit::of_account(&state, account.id).await?;
    let document = serde_json::json!({
        "exporte_le": Utc::now().to_rfc3339(),
        "compte": {
            "numero": account.id,
            "adresse_electronique": account.email,
            "nom": account.display_name,
            "adresse_confirmee_le": account.email_verified_at.map(|d| d.to_rfc3339()),
            "cree_le": account.created_at.to_rfc3339(),
            "derniere_connexion": account.last_login_at.map(|d| d.to_rfc3339()),
            "mot_de_passe": if account.password_hash.is_some() { "défini (conservé sous forme d’empreinte Argon2id)" } else { "aucun" },
            "double_authentification": account.totp_secret.is_some(),
            "roles": account.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
        },
        "structures": memberships.iter().map(|m| serde_json::json!({
            "siren": m.siren.as_str(),
            "responsable": m.owner,
            "depuis": m.created_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "sessions": sessions.iter().map(|s| serde_json::json!({
            "ouverte_le": s.created_at.to_rfc3339(),
            "derniere_activite": s.last_seen_at.to_rfc3339(),
            "expire_le": s.expires_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "identites_externes": identities.iter().map(|i| serde_json::json!({
            "fournisseur": i.issuer,
            "identifiant": i.subject,
            "depuis": i.created_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "revendications_de_fiches": claims.iter().map(|c| serde_json::json!({
            "siret": c.siret,
            "message": c.message,
            "etat": c.status.label(),
            "le": c.created_at.to_rfc3339(),
            "motif": c.reason,
        })).collect::<Vec<_>>(),
        "acteurs_proposes": proposals.iter().map(|p| serde_json::json!({
            "nom": p.name,
            "commune": p.commune,
            "message": p.message,
            "etat": p.status.label(),
            "le": p.created_at.to_rfc3339(),
            "motif": p.reason,
        })).collect::<Vec<_>>(),
        "journal_d_audit": events,
    });
    let body =
        serde_json::to_string_pretty(&document).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mes-donnees-essor.json\"",
            ),
        ],
        body,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn delete_form(has_password: bool) -> FormSpec {
    let field = if has_password {
        Field::new("Mot de passe", "password", "password").autocomplete("current-password")
    } else {
        Field::new("Pour confirmer, saisissez SUPPRIMER", "password", "text")
    };
    FormSpec {
        heading: "Supprimer mon compte",
        intro: vec![
            "La suppression efface votre adresse, votre nom, votre mot de passe, vos sessions et vos liens avec les structures. Elle est définitive.".into(),
            "Les décisions et paiements qui concernent une structure restent attachés à la structure, sans votre nom : l’administration doit les conserver.".into(),
        ],
        notice: None,
        action: "/compte/suppression".into(),
        hidden: Vec::new(),
        fields: vec![field],
        submit: "Supprimer définitivement mon compte",
        links: vec![("/compte", "Revenir à mon compte")],
        sso: None,
    }
}

pub(crate) async fn delete_page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &user).await?;
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        delete_form(account.password_hash.is_some()),
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    password: String,
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &user).await?;
    let confirmed = if account.password_hash.is_some() {
        verify_password(&state, &form.password, account.password_hash.clone())
            .await?
            .is_valid()
    } else {
        form.password.trim() == "SUPPRIMER"
    };
    if !confirmed {
        let message = if account.password_hash.is_some() {
            "Mot de passe : il est incorrect."
        } else {
            "Confirmation : saisissez SUPPRIMER en majuscules."
        };
        return render_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            delete_form(account.password_hash.is_some()),
            vec![FormError {
                field: Some("password"),
                message: message.into(),
            }],
        )
        .await;
    }
    state.store.delete_account(account.id).await?;
    audit::record(
        &state,
        Actor::Account(account.id),
        "account.deleted",
        "account",
        &account.id.to_string(),
        None,
    )
    .await;
    let response = message(
        &state,
        "Compte supprimé",
        vec!["Votre compte et vos données personnelles ont été effacés.".into()],
        Some(("/", "Revenir à l’accueil")),
    )
    .await?;
    Ok(with_cookies(
        response,
        [cookies::clear(
            cookies::SESSION,
            state.accounts.secure_cookies,
        )],
    ))
}

#[derive(Template)]
#[template(path = "account/personal_data.html")]
struct PersonalDataPage {
    layout: Layout,
    unconfirmed_days: i64,
    session_hours: i64,
    audit_years: i64,
}

pub(crate) async fn personal_data(State(state): State<AppState>) -> Result<Response, AppError> {
    let page = PersonalDataPage {
        layout: crate::page_layout(&state, "/donnees-personnelles").await?,
        unconfirmed_days: state.accounts.unconfirmed_days,
        session_hours: state.accounts.session_hours,
        audit_years: state.accounts.audit_years,
    };
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Single sign-on

pub(crate) async fn sso_start(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    let Some(client) = state.accounts.oidc.clone() else {
        return Ok(error_page(StatusCode::NOT_FOUND));
    };
    let redirect = state.accounts.site.link("/connexion/sso/retour", &[]);
    let (url, pending) = client
        .begin(redirect.as_str())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let round_trip = SsoRoundTrip {
        pending,
        next: safe_next(query.suite.as_deref()),
    };
    let value = serde_json::to_vec(&round_trip).map_err(|e| AppError::Internal(e.to_string()))?;
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value);
    let cookie = cookies::set(
        cookies::OIDC,
        &value,
        Some(600),
        state.accounts.secure_cookies,
    );
    Ok(with_cookies(
        Redirect::to(url.as_str()).into_response(),
        [cookie],
    ))
}

#[derive(serde::Serialize, Deserialize)]
struct SsoRoundTrip {
    pending: PendingLogin,
    next: String,
}

#[derive(Deserialize)]
pub(crate) struct SsoReturn {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub(crate) async fn sso_return(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Query(query): Query<SsoReturn>,
) -> Result<Response, AppError> {
    let Some(client) = state.accounts.oidc.clone() else {
        return Ok(error_page(StatusCode::NOT_FOUND));
    };
    let clear = cookies::clear(cookies::OIDC, state.accounts.secure_cookies);
    let round_trip = cookies::get(&headers, cookies::OIDC)
        .and_then(|v| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .ok()
        })
        .and_then(|v| serde_json::from_slice::<SsoRoundTrip>(&v).ok());
    let (Some(round_trip), Some(code), Some(returned_state), None) =
        (round_trip, query.code, query.state, query.error)
    else {
        return sso_failed(&state, client.display_name(), clear).await;
    };
    let identity = match client
        .complete(round_trip.pending, &code, &returned_state)
        .await
    {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(error = %e, "connexion par fournisseur d’identité refusée");
            return sso_failed(&state, client.display_name(), clear).await;
        }
    };
    let Some(account) = account_for_identity(&state, &client, &identity).await? else {
        return sso_failed(&state, client.display_name(), clear).await;
    };
    let cookie = start_session(&state, &account, user.session_hash.as_deref()).await?;
    audit::record(
        &state,
        Actor::Account(account.id),
        "auth.login",
        "account",
        &account.id.to_string(),
        Some(serde_json::json!({ "fournisseur": client.issuer() })),
    )
    .await;
    let response = Redirect::to(&after_sign_in(&account, &round_trip.next)).into_response();
    Ok(with_cookies(response, [cookie, clear]))
}

async fn sso_failed(
    state: &AppState,
    provider: &str,
    clear: HeaderValue,
) -> Result<Response, AppError> {
    let mut response = message(
        state,
        "Connexion impossible",
        vec![format!(
            "La connexion avec {provider} n’a pas abouti. Vous pouvez réessayer."
        )],
        Some(("/connexion", "Revenir à la connexion")),
    )
    .await?;
    *response.status_mut() = StatusCode::BAD_REQUEST;
    Ok(with_cookies(response, [clear]))
}

/// The account of an identity: already linked, or linked now to the account with the same
/// verified address, or created.
async fn account_for_identity(
    state: &AppState,
    client: &OidcClient,
    identity: &VerifiedIdentity,
) -> Result<Option<Account>, AppError> {
    if let Some(account) = state
        .store
        .account_by_oidc(&identity.issuer, &identity.subject)
        .await?
    {
        return Ok(Some(account));
    }
    // Linking by e-mail only when the provider vouches for the address.
    let Some(email) = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
    else {
        return Ok(None);
    };
    let account = if let Some(account) = state.store.account_by_email(email).await? {
        {
            if !account.is_verified() {
                state
                    .store
                    .mark_email_verified(account.id, Utc::now())
                    .await
                    .map_err(account_error)?;
            }
            account
        }
    } else {
        {
            let name = [
                identity.given_name.as_deref(),
                identity.family_name.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            let name = if name.trim().is_empty() {
                email.to_owned()
            } else {
                name
            };
            state
                .store
                .create_account(&NewAccount {
                    email,
                    display_name: &name,
                    password_hash: None,
                    email_verified: true,
                    roles: &[] as &[Role],
                })
                .await
                .map_err(account_error)?
        }
    };
    state
        .store
        .link_oidc(&identity.issuer, &identity.subject, account.id)
        .await?;
    audit::record(
        state,
        Actor::Account(account.id),
        "auth.identity_linked",
        "account",
        &account.id.to_string(),
        Some(serde_json::json!({ "fournisseur": client.issuer() })),
    )
    .await;
    Ok(state.store.account(account.id).await?)
}
