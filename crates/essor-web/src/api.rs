//! The JSON API of the dossiers' life cycle, under `/api/v1/dossiers`: what the web pages of
//! `crate::dossiers` do, for software. Requests act as a person (a personal API token, see
//! `crate::api_tokens`, or a session), through the same route guard and policy as the pages;
//! applications are read by the web form's own code, and every step goes through
//! `crate::dossiers::apply` and `staff_transition`, so the API cannot do what the pages refuse.
//!
//! Errors are JSON: `{"message": "…", "erreurs": [{"champ": "…", "message": "…"}]}`, in French,
//! each naming its field. A step the state machine (or the envelope) refuses is 409, a request
//! that cannot be read 422, a dossier out of reach 403 or 404, a missing or invalid token 401.
//! Amounts are read as text (`"12 000,00"`) or as a whole number of cents (`1200000`), and
//! written as `{"centimes": 1200000, "texte": "12 000,00 €"}`: never a float.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Utc};
use essor_domain::Money;
use essor_domain::access::Decision as AccessDecision;
use essor_domain::actor::FieldError;
use essor_domain::dossier::{Application, INSTRUCTION_CHECKS, Party, State as DossierState};
use essor_store::dossiers::{Dossier, DossierEvent, EventKind};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::access::CurrentUser;
use crate::error::AppError;
use crate::profiles::{account_id, is_staff};

// ---------------------------------------------------------------------------------------------
// Errors

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A JSON error naming its fields.
pub(crate) fn errors_response(status: StatusCode, errors: &[FieldError]) -> Response {
    let message = errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let body = json!({
        "message": message,
        "erreurs": errors
            .iter()
            .map(|e| json!({"champ": e.field, "message": e.message}))
            .collect::<Vec<_>>(),
    });
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer realm=\"essor\""),
        );
    }
    response
}

pub(crate) fn error_response(status: StatusCode, field: &str, message: &str) -> Response {
    errors_response(status, &[field_error(field, message)])
}

/// The JSON answer of an error of the application; causes are logged, never shown.
pub(crate) fn app_error(error: AppError) -> Response {
    match error {
        AppError::NotFound => {
            error_response(StatusCode::NOT_FOUND, "dossier", "Dossier introuvable.")
        }
        AppError::Forbidden => error_response(
            StatusCode::FORBIDDEN,
            "dossier",
            "Vous n’avez pas le droit d’effectuer cette action sur ce dossier.",
        ),
        other => {
            tracing::error!(error = %other, "API request failed");
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "serveur",
                "Le service ne peut pas répondre pour le moment ; réessayez dans quelques minutes.",
            )
        }
    }
}

/// The route guard's refusal, in JSON.
pub(crate) fn refused(decision: AccessDecision) -> Response {
    match decision {
        AccessDecision::SignIn => error_response(
            StatusCode::UNAUTHORIZED,
            "authorization",
            "Authentification nécessaire : envoyez un jeton d’API valide dans l’en-tête \
             Authorization: Bearer ….",
        ),
        AccessDecision::SecondFactor => error_response(
            StatusCode::FORBIDDEN,
            "authorization",
            "Vos rôles demandent la double authentification : créez un nouveau jeton depuis une \
             session qui l’a validée.",
        ),
        AccessDecision::Allow | AccessDecision::Deny => error_response(
            StatusCode::FORBIDDEN,
            "authorization",
            "Vous n’avez pas le droit d’effectuer cette action.",
        ),
    }
}

/// What a handler returns when it cannot answer.
pub(crate) enum ApiError {
    App(AppError),
    Fields(StatusCode, Vec<FieldError>),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<essor_store::StoreError> for ApiError {
    fn from(e: essor_store::StoreError) -> Self {
        Self::App(AppError::from(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::App(e) => app_error(e),
            Self::Fields(status, errors) => errors_response(status, &errors),
        }
    }
}

fn unprocessable(errors: Vec<FieldError>) -> ApiError {
    ApiError::Fields(StatusCode::UNPROCESSABLE_ENTITY, errors)
}

fn conflict(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Fields(StatusCode::CONFLICT, vec![field_error(field, message)])
}

// ---------------------------------------------------------------------------------------------
// Reading JSON

/// The body as a JSON object (an empty body is an empty object).
fn object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(unprocessable(vec![field_error(
            "corps",
            "Corps de la requête : un objet JSON est attendu ({…}).",
        )])),
        Err(e) => Err(unprocessable(vec![field_error(
            "corps",
            format!(
                "Corps de la requête : JSON illisible (ligne {}, colonne {}).",
                e.line(),
                e.column()
            ),
        )])),
    }
}

/// Refuses the keys a request does not know.
fn known_keys(map: &Map<String, Value>, known: &[&str], errors: &mut Vec<FieldError>) {
    for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(field_error(key, format!("{key} : champ inconnu.")));
    }
}

fn text(map: &Map<String, Value>, key: &str, errors: &mut Vec<FieldError>) -> String {
    match map.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            errors.push(field_error(
                key,
                format!("{key} : du texte est attendu (entre guillemets)."),
            ));
            String::new()
        }
    }
}

fn texts(map: &Map<String, Value>, key: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    match map.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(_) => {
            errors.push(field_error(
                key,
                format!("{key} : une liste de textes est attendue ([\"…\", \"…\"])."),
            ));
            Vec::new()
        }
    }
}

/// A number as the form would have it typed: an integer, or text.
fn count(map: &Map<String, Value>, key: &str, errors: &mut Vec<FieldError>) -> String {
    match map.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            errors.push(field_error(
                key,
                format!("{key} : un nombre entier positif est attendu, par exemple 2."),
            ));
            String::new()
        }
    }
}

/// An amount as the form would have it typed: text (`"12 000,50"`) or a whole number of cents.
fn amount(value: Option<&Value>, key: &str, errors: &mut Vec<FieldError>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => {
            if let Some(cents) = n.as_i64() {
                Money::from_cents(cents).to_string()
            } else {
                errors.push(field_error(
                    key,
                    format!(
                        "{key} : un montant en centimes est un nombre entier (1200000 pour \
                         12 000,00 €), ou du texte (\"12 000,00\")."
                    ),
                ));
                String::new()
            }
        }
        Some(_) => {
            errors.push(field_error(
                key,
                format!("{key} : un montant est attendu, \"12 000,00\" ou 1200000 (centimes)."),
            ));
            String::new()
        }
    }
}

fn flag(map: &Map<String, Value>, key: &str, errors: &mut Vec<FieldError>) -> bool {
    match map.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(field_error(
                key,
                format!("{key} : true ou false est attendu."),
            ));
            false
        }
    }
}

const APPLICATION_KEYS: [&str; 13] = [
    "titre",
    "resume",
    "description",
    "communes",
    "quartiers",
    "axe",
    "themes",
    "emplois_crees",
    "emplois_consolides",
    "montant_demande",
    "depenses",
    "ressources",
    "cofinanceurs",
];

/// The application of a JSON object, as the web form's fields, so that the form's own code
/// reads and checks it.
fn application_fields(
    map: &Map<String, Value>,
    errors: &mut Vec<FieldError>,
) -> Vec<(String, String)> {
    known_keys(map, &APPLICATION_KEYS, errors);
    let mut fields = Vec::new();
    for key in ["titre", "resume", "description", "axe"] {
        fields.push((key.to_owned(), text(map, key, errors)));
    }
    for key in ["communes", "quartiers", "themes"] {
        for value in texts(map, key, errors) {
            fields.push((key.to_owned(), value));
        }
    }
    for key in ["emplois_crees", "emplois_consolides"] {
        fields.push((key.to_owned(), count(map, key, errors)));
    }
    fields.push((
        "montant_demande".to_owned(),
        amount(map.get("montant_demande"), "montant_demande", errors),
    ));
    for side in ["depenses", "ressources"] {
        let lines = match map.get(side) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(lines)) => lines.clone(),
            Some(_) => {
                errors.push(field_error(
                    side,
                    format!("{side} : une liste de lignes est attendue ([{{\"libelle\": …, \"montant\": …}}])."),
                ));
                Vec::new()
            }
        };
        if lines.len() > crate::dossiers::BUDGET_ROWS {
            errors.push(field_error(
                side,
                format!("{side} : {} lignes au plus.", crate::dossiers::BUDGET_ROWS),
            ));
        }
        for (n, line) in (1..).zip(lines.iter().take(crate::dossiers::BUDGET_ROWS)) {
            let path = format!("{side}[{}]", n - 1);
            let Value::Object(line) = line else {
                errors.push(field_error(
                    &path,
                    format!("{path} : un objet {{\"libelle\": …, \"montant\": …}} est attendu."),
                ));
                continue;
            };
            known_keys(line, &["libelle", "montant"], errors);
            fields.push((format!("{side}_{n}_libelle"), text(line, "libelle", errors)));
            fields.push((
                format!("{side}_{n}_montant"),
                amount(line.get("montant"), &format!("{path}.montant"), errors),
            ));
        }
    }
    fields.push((
        "cofinanceurs".to_owned(),
        texts(map, "cofinanceurs", errors).join("\n"),
    ));
    fields
}

/// The JSON name of a field of the web form (`depenses_2_montant` → `depenses[1].montant`).
fn json_field(form_field: &str) -> String {
    for side in ["depenses", "ressources"] {
        if let Some(rest) = form_field
            .strip_prefix(side)
            .and_then(|r| r.strip_prefix('_'))
            && let Some((n, part)) = rest.split_once('_')
            && let Ok(n) = n.parse::<usize>()
        {
            return format!("{side}[{}].{part}", n.saturating_sub(1));
        }
    }
    form_field.to_owned()
}

// ---------------------------------------------------------------------------------------------
// Writing JSON

fn money(amount: Money) -> Value {
    json!({"centimes": amount.cents(), "texte": amount.to_string()})
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn application_json(application: &Application) -> Value {
    let lines = |lines: &[essor_domain::funding::BudgetLine]| {
        lines
            .iter()
            .map(|l| json!({"libelle": l.label, "montant": money(l.amount)}))
            .collect::<Vec<_>>()
    };
    json!({
        "titre": application.title,
        "resume": application.summary,
        "description": application.description,
        "communes": application.communes,
        "quartiers": application.districts.iter().map(|d| d.code()).collect::<Vec<_>>(),
        "axe": application.axis.as_ref().map(ToString::to_string),
        "themes": application.themes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "emplois_crees": application.jobs_created,
        "emplois_consolides": application.jobs_consolidated,
        "montant_demande": money(application.asked),
        "depenses": lines(&application.budget.expenses),
        "ressources": lines(&application.budget.resources),
        "cofinanceurs": application.cofinancers,
    })
}

fn summary_json(dossier: &Dossier) -> Value {
    json!({
        "id": dossier.id,
        "siret": dossier.siret,
        "siren": dossier.siren,
        "annee": dossier.year,
        "etat": dossier.state.code(),
        "etat_libelle": dossier.state.label(),
        "titre": dossier.application.title,
        "montant_demande": money(dossier.application.asked),
        "montant_accorde": dossier.granted.map(money),
        "mis_a_jour_le": time(dossier.updated_at),
    })
}

async fn dossier_json(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
) -> Result<Value, ApiError> {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let missing = dossier
        .application
        .checklist(&context.plan, |code| context.territory.contains(code));
    let mut value = json!({
        "id": dossier.id,
        "siret": dossier.siret,
        "siren": dossier.siren,
        "annee": dossier.year,
        "etat": dossier.state.code(),
        "etat_libelle": dossier.state.label(),
        "demande": application_json(&dossier.application),
        "manquant": missing,
        "montant_accorde": dossier.granted.map(money),
        "cree_le": time(dossier.created_at),
        "mis_a_jour_le": time(dossier.updated_at),
        "depose_le": dossier.submitted_at.map(time),
        "decide_le": dossier.decided_at.map(time),
        "convention_signee_le": dossier.agreement_signed_on.map(|d| d.to_string()),
    });
    if is_staff(user) {
        value["controles"] = json!(dossier.checks);
        value["etapes_possibles"] = json!(
            crate::dossiers::staff_actions(dossier.state)
                .into_iter()
                .map(|(code, _)| code)
                .collect::<Vec<_>>()
        );
    }
    Ok(value)
}

fn event_json(event: &DossierEvent) -> Value {
    json!({
        "id": event.id,
        "type": match event.kind {
            EventKind::Transition => "etape",
            EventKind::Message => "message",
            EventKind::Note => "note",
        },
        "de": event.from.map(DossierState::code),
        "vers": event.to.map(DossierState::code),
        "texte": event.body,
        "le": time(event.created_at),
    })
}

fn ok(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, axum::Json(value)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn dossier_of(state: &AppState, id: i64) -> Result<Dossier, ApiError> {
    Ok(state.store.dossier(id).await?.ok_or(AppError::NotFound)?)
}

fn member_only(user: &CurrentUser, dossier: &Dossier) -> Result<(), ApiError> {
    if crate::dossiers::is_member(user, &dossier.siren) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

/// `GET /api/v1/dossiers?etat=`: the dossiers of the caller's structures (for staff, all),
/// in a state or all.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let only = match query.get("etat").map(String::as_str) {
        None | Some("") => None,
        Some(code) => Some(DossierState::parse(code).ok_or_else(|| {
            unprocessable(vec![field_error(
                "etat",
                format!(
                    "etat : « {code} » n’est pas un état de dossier ({}).",
                    DossierState::ALL.map(DossierState::code).join(", ")
                ),
            )])
        })?),
    };
    let dossiers = if is_staff(&user) {
        state.store.dossiers(only).await?
    } else {
        let mut mine = Vec::new();
        for siren in &user.principal.structures {
            mine.extend(
                state
                    .store
                    .dossiers_of_structure(siren.as_str())
                    .await?
                    .into_iter()
                    .filter(|d| only.is_none_or(|s| d.state == s)),
            );
        }
        mine
    };
    let items: Vec<Value> = dossiers.iter().map(summary_json).collect();
    Ok(ok(StatusCode::OK, &json!({"dossiers": items})))
}

/// `POST /api/v1/dossiers` `{"siret": …, "annee": …, "titre": …}`: starts a draft for one of
/// the caller's structure's establishments in the directory, as the web form does.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let map = object(&body)?;
    let mut errors = Vec::new();
    known_keys(&map, &["siret", "annee", "titre"], &mut errors);
    let raw_siret = text(&map, "siret", &mut errors);
    let title = text(&map, "titre", &mut errors).trim().to_owned();
    let this_year = Utc::now().year();
    let year = match map.get("annee") {
        None | Some(Value::Null) => this_year,
        Some(Value::Number(n)) => match n.as_i64().and_then(|y| i32::try_from(y).ok()) {
            Some(y) if y == this_year || y == this_year + 1 => y,
            _ => {
                errors.push(field_error(
                    "annee",
                    format!(
                        "annee : {this_year} ou {} (l’enveloppe de l’année).",
                        this_year + 1
                    ),
                ));
                this_year
            }
        },
        Some(_) => {
            errors.push(field_error(
                "annee",
                "annee : un nombre est attendu, par exemple 2026.",
            ));
            this_year
        }
    };
    if title.chars().count() > essor_domain::dossier::MAX_TITLE {
        errors.push(field_error("titre", "titre : 200 caractères au plus."));
    }
    let siret = match crate::dossiers::applicant_siret(&state, &user, &raw_siret).await? {
        Ok(siret) => Some(siret),
        Err(message) => {
            errors.push(field_error("siret", format!("siret : {message}")));
            None
        }
    };
    let Some(siret) = siret.filter(|_| errors.is_empty()) else {
        return Err(unprocessable(errors));
    };
    let dossier = crate::dossiers::start_dossier(&state, &user, &siret, year, &title).await?;
    let mut response = ok(
        StatusCode::CREATED,
        &dossier_json(&state, &user, &dossier).await?,
    );
    if let Ok(location) = format!("/api/v1/dossiers/{}", dossier.id).parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `GET /api/v1/dossiers/{dossier}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let dossier = dossier_of(&state, id).await?;
    Ok(ok(
        StatusCode::OK,
        &dossier_json(&state, &user, &dossier).await?,
    ))
}

/// `POST /api/v1/dossiers/{dossier}/demande`: replaces the application, read and checked by
/// the web form's code, while the applicant may edit it.
pub(crate) async fn replace_application(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let dossier = dossier_of(&state, id).await?;
    member_only(&user, &dossier)?;
    let map = object(&body)?;
    let mut errors = Vec::new();
    let fields = application_fields(&map, &mut errors);
    let (application, form_errors) = crate::dossiers::application_from_form(&fields);
    errors.extend(form_errors.into_iter().map(|e| FieldError {
        field: json_field(&e.field),
        message: e.message,
    }));
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    let Some(saved) = state.store.save_application(id, &application).await? else {
        return Err(conflict(
            "etat",
            format!(
                "Le dossier est {} : il ne peut plus être modifié.",
                dossier.state.label()
            ),
        ));
    };
    Ok(ok(
        StatusCode::OK,
        &dossier_json(&state, &user, &saved).await?,
    ))
}

/// `POST /api/v1/dossiers/{dossier}/depot`: the applicant submits the draft, or sends the
/// corrections asked for; staff are told, as through the web form.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let dossier = dossier_of(&state, id).await?;
    member_only(&user, &dossier)?;
    let action = crate::dossiers::submission(&state, &dossier).await?;
    match crate::dossiers::apply(
        &state,
        &user,
        &dossier,
        &action,
        Party::Applicant,
        crate::dossiers::Along::Alone,
        None,
    )
    .await?
    {
        Ok(recorded) => {
            crate::dossiers::tell_staff_submitted(&state, &dossier, &action).await?;
            Ok(ok(
                StatusCode::OK,
                &dossier_json(&state, &user, &recorded).await?,
            ))
        }
        Err(message) => Err(conflict("etat", message)),
    }
}

/// `GET /api/v1/dossiers/{dossier}/messages`: the thread (the applicant's view leaves staff's
/// private notes out).
pub(crate) async fn thread(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let dossier = dossier_of(&state, id).await?;
    let events = state
        .store
        .dossier_events(dossier.id, !is_staff(&user))
        .await?;
    let items: Vec<Value> = events.iter().map(event_json).collect();
    Ok(ok(StatusCode::OK, &json!({"messages": items})))
}

/// `POST /api/v1/dossiers/{dossier}/messages` `{"texte": …, "interne": false}`: a message in
/// the thread (a private note, for staff, with `"interne": true`).
pub(crate) async fn post_message(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let dossier = dossier_of(&state, id).await?;
    let map = object(&body)?;
    let mut errors = Vec::new();
    known_keys(&map, &["texte", "interne"], &mut errors);
    let text_body = text(&map, "texte", &mut errors).trim().to_owned();
    let note = flag(&map, "interne", &mut errors);
    if note && !is_staff(&user) {
        return Err(AppError::Forbidden.into());
    }
    if text_body.is_empty() || text_body.chars().count() > crate::dossiers::MAX_MESSAGE {
        errors.push(field_error(
            "texte",
            "texte : écrivez le message (5 000 caractères au plus).",
        ));
    }
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    let kind = if note {
        EventKind::Note
    } else {
        EventKind::Message
    };
    let event = state
        .store
        .add_dossier_event(id, kind, &text_body, Some(account_id(&user)?))
        .await?;
    crate::dossiers::tell_of_message(&state, &user, &dossier, &text_body, note).await?;
    Ok(ok(StatusCode::CREATED, &event_json(&event)))
}

const STEP_KEYS: [&str; 5] = ["action", "montant", "motif", "texte", "depasser"];

/// `POST /api/v1/dossiers/{id}/etapes` `{"action": …, "montant": …, "motif": …, "texte": …,
/// "depasser": false}`: a staff step, through the web's own code (the state machine, the
/// instruction checks, the envelope and the administrator's override).
pub(crate) async fn step(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let dossier = dossier_of(&state, id).await?;
    let map = object(&body)?;
    let mut errors = Vec::new();
    known_keys(&map, &STEP_KEYS, &mut errors);
    let action = text(&map, "action", &mut errors);
    let fields = vec![
        ("action".to_owned(), action.clone()),
        (
            "montant".to_owned(),
            amount(map.get("montant"), "montant", &mut errors),
        ),
        (
            "motif_correction".to_owned(),
            text(&map, "motif", &mut errors),
        ),
        ("texte".to_owned(), text(&map, "texte", &mut errors)),
    ];
    let override_asked = flag(&map, "depasser", &mut errors);
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    let (action, granted) = match crate::dossiers::staff_action(&fields, &dossier) {
        Ok(found) => found,
        Err(e) => {
            let field = if e.field == "motif_correction" {
                "motif".to_owned()
            } else {
                e.field
            };
            let message = if field == "action" {
                format!(
                    "action : choisissez une étape parmi {}.",
                    [
                        "instruire",
                        "correction",
                        "avis",
                        "reprendre",
                        "comite",
                        "accepter",
                        "refuser",
                        "classer",
                        "rouvrir"
                    ]
                    .join(", ")
                )
            } else {
                e.message
            };
            return Err(unprocessable(vec![FieldError { field, message }]));
        }
    };
    match crate::dossiers::staff_transition(
        &state,
        &user,
        &dossier,
        &action,
        granted,
        override_asked,
    )
    .await?
    {
        Ok(recorded) => Ok(ok(
            StatusCode::OK,
            &dossier_json(&state, &user, &recorded).await?,
        )),
        Err(e) => Err(ApiError::Fields(StatusCode::CONFLICT, vec![e])),
    }
}

/// `POST /api/v1/dossiers/{id}/controles` `{"controles": ["eligibilite", …]}`: the instruction
/// checks made (replacing the earlier list).
pub(crate) async fn set_checks(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let map = object(&body)?;
    let mut errors = Vec::new();
    known_keys(&map, &["controles"], &mut errors);
    let asked = texts(&map, "controles", &mut errors);
    for unknown in asked
        .iter()
        .filter(|c| !INSTRUCTION_CHECKS.iter().any(|(key, _)| key == c))
    {
        errors.push(field_error(
            "controles",
            format!(
                "controles : « {unknown} » n’est pas un contrôle d’instruction ({}).",
                INSTRUCTION_CHECKS.map(|(key, _)| key).join(", ")
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    let checks: Vec<String> = INSTRUCTION_CHECKS
        .iter()
        .filter(|(key, _)| asked.iter().any(|c| c == key))
        .map(|(key, _)| (*key).to_owned())
        .collect();
    if !state.store.set_instruction_checks(id, &checks).await? {
        return Err(AppError::NotFound.into());
    }
    Ok(ok(StatusCode::OK, &json!({"controles": checks})))
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

/// Adds the dossiers' API (paths, schemas, the bearer scheme) to the `OpenAPI` document of
/// `/api/openapi.json`.
#[allow(clippy::too_many_lines)] // one description, read as one
pub(crate) fn extend_openapi(doc: &mut Value) {
    let error = json!({"description": "Erreur", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}});
    let dossier = json!({"description": "Le dossier", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dossier"}}}});
    let secured = json!([{"jeton": []}]);
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let body = |schema: &str| json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    let refusals = |extra: &[(&str, &str)]| {
        let mut responses = json!({
            "401": {"description": "Jeton absent, inconnu, expiré ou révoqué", "content": error["content"].clone()},
            "403": {"description": "Dossier d’une autre structure, ou action réservée à l’équipe", "content": error["content"].clone()},
            "404": {"description": "Dossier inconnu (pour l’équipe)", "content": error["content"].clone()},
        });
        for (code, what) in extra {
            responses[*code] = json!({"description": what, "content": error["content"].clone()});
        }
        responses
    };
    let with = |mut responses: Value, code: &str, answer: &Value| {
        responses[code] = answer.clone();
        responses
    };
    let paths = json!({
        "/api/v1/dossiers": {
            "get": {
                "summary": "Les dossiers de vos structures (tous, pour l’équipe)",
                "security": secured,
                "parameters": [{"name": "etat", "in": "query", "required": false, "schema": {"type": "string", "enum": DossierState::ALL.map(DossierState::code)}}],
                "responses": with(refusals(&[("422", "État inconnu")]), "200", &json!({"description": "Liste", "content": {"application/json": {"schema": {"type": "object", "properties": {"dossiers": {"type": "array", "items": {"$ref": "#/components/schemas/DossierResume"}}}}}}})),
            },
            "post": {
                "summary": "Commencer un brouillon pour un établissement de votre structure",
                "security": secured,
                "requestBody": body("NouveauDossier"),
                "responses": with(refusals(&[("422", "Champ invalide (siret, annee, titre)"), ("429", "Trop de tentatives")]), "201", &dossier),
            },
        },
        "/api/v1/dossiers/{id}": {"get": {
            "summary": "Un dossier", "security": secured, "parameters": [id],
            "responses": with(refusals(&[]), "200", &dossier),
        }},
        "/api/v1/dossiers/{id}/demande": {"post": {
            "summary": "Remplacer la demande (brouillon ou correction demandée), vérifiée comme le formulaire du site",
            "security": secured, "parameters": [id], "requestBody": body("Demande"),
            "responses": with(refusals(&[("409", "Le dossier ne peut plus être modifié"), ("422", "Champ invalide, nommé")]), "200", &dossier),
        }},
        "/api/v1/dossiers/{id}/depot": {"post": {
            "summary": "Déposer le dossier, ou renvoyer les corrections demandées",
            "security": secured, "parameters": [id],
            "responses": with(refusals(&[("409", "Refusé par la machine à états (dossier incomplet, mauvais état), message en français")]), "200", &dossier),
        }},
        "/api/v1/dossiers/{id}/messages": {
            "get": {
                "summary": "Le fil du dossier (sans les notes internes pour le porteur)",
                "security": secured, "parameters": [id],
                "responses": with(refusals(&[]), "200", &json!({"description": "Fil", "content": {"application/json": {"schema": {"type": "object", "properties": {"messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}}}}}})),
            },
            "post": {
                "summary": "Écrire dans le fil (une note interne pour l’équipe)",
                "security": secured, "parameters": [id], "requestBody": body("NouveauMessage"),
                "responses": with(refusals(&[("422", "Message vide ou trop long")]), "201", &json!({"description": "Le message", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}})),
            },
        },
        "/api/v1/dossiers/{id}/etapes": {"post": {
            "summary": "Une étape de l’instruction (équipe) : la machine à états, les contrôles, l’enveloppe de l’année",
            "security": secured, "parameters": [id], "requestBody": body("Etape"),
            "responses": with(refusals(&[("409", "Refusée par la machine à états ou l’enveloppe, message en français"), ("422", "Champ invalide, nommé")]), "200", &dossier),
        }},
        "/api/v1/dossiers/{id}/controles": {"post": {
            "summary": "Les contrôles d’instruction faits (équipe), remplaçant la liste précédente",
            "security": secured, "parameters": [id], "requestBody": body("Controles"),
            "responses": with(refusals(&[("422", "Contrôle inconnu")]), "200", &json!({"description": "Les contrôles enregistrés", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Controles"}}}})),
        }},
    });
    let money = json!({"type": "object", "properties": {"centimes": {"type": "integer"}, "texte": {"type": "string", "examples": ["12 000,00 €"]}}});
    let amount_in = json!({"oneOf": [{"type": "string", "examples": ["12 000,00"]}, {"type": "integer", "description": "en centimes"}]});
    let line_in = json!({"type": "object", "properties": {"libelle": {"type": "string"}, "montant": amount_in}});
    let schemas = json!({
        "Erreur": {"type": "object", "required": ["message", "erreurs"], "properties": {
            "message": {"type": "string"},
            "erreurs": {"type": "array", "items": {"type": "object", "properties": {"champ": {"type": "string"}, "message": {"type": "string"}}}},
        }},
        "Montant": money,
        "NouveauDossier": {"type": "object", "required": ["siret"], "properties": {
            "siret": {"type": "string", "pattern": "^[0-9]{14}$"},
            "annee": {"type": "integer", "description": "Année de l’enveloppe : l’année en cours (par défaut) ou la suivante"},
            "titre": {"type": "string", "maxLength": essor_domain::dossier::MAX_TITLE},
        }},
        "Demande": {"type": "object", "properties": {
            "titre": {"type": "string"}, "resume": {"type": "string"}, "description": {"type": "string"},
            "communes": {"type": "array", "items": {"type": "string"}, "description": "Codes INSEE"},
            "quartiers": {"type": "array", "items": {"type": "string", "enum": ["qpv", "npnru"]}},
            "axe": {"type": ["string", "null"]}, "themes": {"type": "array", "items": {"type": "string"}},
            "emplois_crees": {"type": "integer"}, "emplois_consolides": {"type": "integer"},
            "montant_demande": amount_in,
            "depenses": {"type": "array", "maxItems": crate::dossiers::BUDGET_ROWS, "items": line_in},
            "ressources": {"type": "array", "maxItems": crate::dossiers::BUDGET_ROWS, "items": line_in},
            "cofinanceurs": {"type": "array", "items": {"type": "string"}},
        }},
        "DossierResume": {"type": "object", "properties": {
            "id": {"type": "integer"}, "siret": {"type": "string"}, "siren": {"type": "string"},
            "annee": {"type": "integer"}, "etat": {"type": "string"}, "etat_libelle": {"type": "string"},
            "titre": {"type": "string"}, "montant_demande": {"$ref": "#/components/schemas/Montant"},
            "montant_accorde": {"oneOf": [{"$ref": "#/components/schemas/Montant"}, {"type": "null"}]},
            "mis_a_jour_le": {"type": "string", "format": "date-time"},
        }},
        "Dossier": {"type": "object", "properties": {
            "id": {"type": "integer"}, "siret": {"type": "string"}, "siren": {"type": "string"},
            "annee": {"type": "integer"}, "etat": {"type": "string"}, "etat_libelle": {"type": "string"},
            "demande": {"type": "object", "description": "La demande, montants au format Montant"},
            "manquant": {"type": "array", "items": {"type": "string"}, "description": "Ce qui manque avant le dépôt"},
            "montant_accorde": {"oneOf": [{"$ref": "#/components/schemas/Montant"}, {"type": "null"}]},
            "cree_le": {"type": "string", "format": "date-time"}, "mis_a_jour_le": {"type": "string", "format": "date-time"},
            "depose_le": {"type": ["string", "null"], "format": "date-time"}, "decide_le": {"type": ["string", "null"], "format": "date-time"},
            "convention_signee_le": {"type": ["string", "null"], "format": "date"},
            "controles": {"type": "array", "items": {"type": "string"}, "description": "Équipe seulement"},
            "etapes_possibles": {"type": "array", "items": {"type": "string"}, "description": "Équipe seulement"},
        }},
        "Message": {"type": "object", "properties": {
            "id": {"type": "integer"}, "type": {"type": "string", "enum": ["etape", "message", "note"]},
            "de": {"type": ["string", "null"]}, "vers": {"type": ["string", "null"]},
            "texte": {"type": "string"}, "le": {"type": "string", "format": "date-time"},
        }},
        "NouveauMessage": {"type": "object", "required": ["texte"], "properties": {
            "texte": {"type": "string", "maxLength": crate::dossiers::MAX_MESSAGE},
            "interne": {"type": "boolean", "description": "Note interne (équipe seulement)"},
        }},
        "Etape": {"type": "object", "required": ["action"], "properties": {
            "action": {"type": "string", "enum": ["instruire", "correction", "avis", "reprendre", "comite", "accepter", "refuser", "classer", "rouvrir"]},
            "montant": amount_in,
            "motif": {"type": "string", "enum": ["incorrect", "incomplet", "perime"], "description": "Pour une correction"},
            "texte": {"type": "string", "description": "Message de la correction, motivation du refus ou du classement"},
            "depasser": {"type": "boolean", "description": "Dépasser l’enveloppe (administrateur seulement)"},
        }},
        "Controles": {"type": "object", "properties": {
            "controles": {"type": "array", "items": {"type": "string", "enum": INSTRUCTION_CHECKS.map(|(key, _)| key)}},
        }},
    });
    if let (Some(all), Value::Object(new)) = (doc["paths"].as_object_mut(), paths) {
        all.extend(new);
    }
    if let (Some(all), Value::Object(new)) = (doc["components"]["schemas"].as_object_mut(), schemas)
    {
        all.extend(new);
    }
    doc["components"]["securitySchemes"] = json!({"jeton": {
        "type": "http", "scheme": "bearer",
        "description": "Jeton d’API personnel, créé sur la page « Mon compte › Jetons d’API » ; il agit avec les droits de son compte, sur /api/ seulement.",
    }});
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_s_fields_are_named_as_in_the_json() {
        assert_eq!(json_field("depenses_2_montant"), "depenses[1].montant");
        assert_eq!(json_field("ressources_1_libelle"), "ressources[0].libelle");
        assert_eq!(json_field("emplois_crees"), "emplois_crees");
    }

    #[test]
    fn amounts_are_read_as_text_or_cents_never_as_floats() {
        let mut errors = Vec::new();
        let cents = amount(Some(&json!(1_200_050)), "montant", &mut errors);
        assert_eq!(Money::parse(&cents).unwrap(), Money::from_cents(1_200_050));
        assert_eq!(
            amount(Some(&json!("12 000,50")), "montant", &mut errors),
            "12 000,50"
        );
        assert!(errors.is_empty());
        amount(Some(&json!(12.5)), "montant", &mut errors);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "montant");
    }

    #[test]
    fn unknown_keys_are_named() {
        let map = object(&Bytes::from_static(b"{\"titre\": \"x\", \"budget\": 3}"))
            .ok()
            .unwrap();
        let mut errors = Vec::new();
        application_fields(&map, &mut errors);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "budget");
        assert!(errors[0].message.contains("champ inconnu"));
    }
}
