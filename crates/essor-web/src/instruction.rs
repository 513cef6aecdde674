//! The staff's instruction besides the state machine: opinions asked of partners (an e-mail
//! invitation whose link, carrying a random token, opens the form without an account; reminders
//! before and after the deadline), the assignment to a *chargée de mission*, labels, and the
//! dashboard of dossiers with its filters, saved columns and batch actions.
//!
//! A confidential opinion reaches staff only: the applicant's page lists the shared opinions
//! given, nothing else, and no export of the applicant's carries opinions.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use essor_auth::{Token, TokenHash};
use essor_domain::access::Role;
use essor_domain::actor::FieldError;
use essor_domain::dates::{format_date, format_datetime, parse_date};
use essor_domain::dossier::State as DossierState;
use essor_domain::instruction::{
    MAX_TEXT, Reminder, ReminderState, Verdict, label_name, link_expires_on, link_open,
    reminder_due,
};
use essor_mail::Compose as _;
use essor_store::dossiers::{Dossier, EventKind};
use essor_store::instruction::{NewOpinionRequest, OpinionRequest};

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::dossiers::{Cell, DEFAULT_COLUMNS, EXPORT_COLUMNS, Names};
use crate::error::AppError;
use crate::layout::Layout;
use crate::profiles::{account_id, all, field, is_staff};
use crate::{AppState, csrf, page_layout};

/// Days given to answer by default.
const DEFAULT_DAYS: u64 = 15;
/// Longest name, organisation or address, in characters.
const MAX_SHORT: usize = 200;

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn title_of(dossier: &Dossier) -> String {
    if dossier.application.title.is_empty() {
        format!("Dossier n° {}", dossier.id)
    } else {
        dossier.application.title.clone()
    }
}

/// The accounts of the *chargées de mission*.
pub(crate) async fn chargees(
    state: &AppState,
) -> Result<Vec<essor_store::accounts::Account>, AppError> {
    Ok(state
        .store
        .accounts()
        .await?
        .into_iter()
        .filter(|a| a.roles.contains(&Role::ChargeDeMission))
        .collect())
}

/// The *chargées de mission* one can assign a dossier to: id and name.
async fn assignable(state: &AppState) -> Result<Vec<(i64, String)>, AppError> {
    Ok(chargees(state)
        .await?
        .into_iter()
        .map(|a| (a.id, a.display_name))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// On the dossier's page

/// An opinion as the dossier's page shows it.
pub(crate) struct OpinionView {
    pub(crate) id: i64,
    pub(crate) who: String,
    pub(crate) question: String,
    pub(crate) deadline: String,
    pub(crate) confidential: bool,
    pub(crate) verdict: Option<&'static str>,
    pub(crate) text: String,
    pub(crate) answered: String,
    pub(crate) overdue: bool,
    pub(crate) sent: String,
}

impl OpinionView {
    fn of(request: &OpinionRequest, today: NaiveDate) -> Self {
        Self {
            id: request.id,
            who: if request.organisation.is_empty() {
                request.name.clone()
            } else {
                format!("{} ({})", request.name, request.organisation)
            },
            question: request.question.clone(),
            deadline: format_date(request.deadline),
            confidential: request.confidential,
            verdict: request.answer.as_ref().map(|a| a.verdict.label()),
            text: request
                .answer
                .as_ref()
                .map(|a| a.text.clone())
                .unwrap_or_default(),
            answered: request
                .answer
                .as_ref()
                .map(|a| format_datetime(a.at))
                .unwrap_or_default(),
            overdue: request.answer.is_none() && today > request.deadline,
            sent: format_datetime(request.last_sent_at),
        }
    }
}

/// The part of a dossier's page this module fills: opinions (the shared ones given, for the
/// applicant), and for staff the invitation form, the assignment and the labels.
pub(crate) struct Panel {
    pub(crate) opinions: Vec<OpinionView>,
    pub(crate) partners: Vec<String>,
    pub(crate) assignees: Vec<(i64, String, bool)>,
    pub(crate) assigned: Option<String>,
    pub(crate) labels: Vec<(i64, String, bool)>,
    pub(crate) default_deadline: String,
    pub(crate) may_invite: bool,
}

/// Whether opinions may be asked on a dossier in this state: while it is instructed.
fn may_invite(state: DossierState) -> bool {
    matches!(
        state,
        DossierState::Submitted | DossierState::UnderInstruction | DossierState::OpinionsRequested
    )
}

/// Builds the panel for the person reading the page.
pub(crate) async fn panel(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
) -> Result<Panel, AppError> {
    let today = Utc::now().date_naive();
    let staff = is_staff(user);
    let opinions = state
        .store
        .opinion_requests(dossier.id)
        .await?
        .iter()
        // The applicant reads the shared opinions given, never a confidential one.
        .filter(|r| staff || (!r.confidential && r.answer.is_some()))
        .map(|r| OpinionView::of(r, today))
        .collect();
    if !staff {
        return Ok(Panel {
            opinions,
            partners: Vec::new(),
            assignees: Vec::new(),
            assigned: None,
            labels: Vec::new(),
            default_deadline: String::new(),
            may_invite: false,
        });
    }
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let assignees: Vec<(i64, String, bool)> = assignable(state)
        .await?
        .into_iter()
        .map(|(id, name)| (id, name, dossier.assigned_to == Some(id)))
        .collect();
    let assigned = match dossier.assigned_to {
        None => None,
        Some(id) => Some(
            state
                .store
                .account(id)
                .await?
                .map_or_else(|| format!("compte n° {id}"), |a| a.display_name),
        ),
    };
    let on: HashSet<i64> = state
        .store
        .dossier_labels(dossier.id)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    let labels = state
        .store
        .labels()
        .await?
        .into_iter()
        .map(|l| (l.id, l.name, on.contains(&l.id)))
        .collect();
    Ok(Panel {
        opinions,
        partners: context
            .plan
            .partners
            .iter()
            .map(|p| p.name.clone())
            .collect(),
        assignees,
        assigned,
        labels,
        default_deadline: today
            .checked_add_days(Days::new(DEFAULT_DAYS))
            .unwrap_or(today)
            .format("%Y-%m-%d")
            .to_string(),
        may_invite: may_invite(dossier.state),
    })
}

async fn dossier_of(state: &AppState, id: i64) -> Result<Dossier, AppError> {
    state.store.dossier(id).await?.ok_or(AppError::NotFound)
}

fn done(id: i64, what: &str) -> Response {
    Redirect::to(&format!("/dossiers/{id}?fait={what}")).into_response()
}

/// What an invitation form holds, once read.
struct Invitation {
    name: String,
    organisation: String,
    email: String,
    question: String,
    deadline: NaiveDate,
    confidential: bool,
}

fn invitation_from_form(
    fields: &[(String, String)],
    today: NaiveDate,
) -> Result<Invitation, Vec<FieldError>> {
    let text = |name: &str| field(fields, name).trim().to_owned();
    let mut errors = Vec::new();
    let name = text("avis_nom");
    if name.is_empty() || name.chars().count() > MAX_SHORT {
        errors.push(error(
            "avis_nom",
            "Nom de la personne sollicitée : indiquez-le (200 caractères au plus).",
        ));
    }
    let organisation = text("avis_organisation");
    if organisation.chars().count() > MAX_SHORT {
        errors.push(error(
            "avis_organisation",
            "Organisme : 200 caractères au plus.",
        ));
    }
    let email = text("avis_courriel").to_lowercase();
    if email.parse::<essor_mail::Mailbox>().is_err() || !email.contains('@') {
        errors.push(error(
            "avis_courriel",
            "Adresse électronique : une adresse valide, par exemple prenom.nom@region.fr.",
        ));
    }
    let question = text("avis_question");
    if question.is_empty() || question.chars().count() > MAX_TEXT {
        errors.push(error(
            "avis_question",
            "Question posée : écrivez-la (5 000 caractères au plus).",
        ));
    }
    let deadline = match parse_date(field(fields, "avis_echeance")) {
        Ok(date) if date >= today => Some(date),
        Ok(_) => {
            errors.push(error(
                "avis_echeance",
                "Date limite de réponse : elle ne peut pas être passée.",
            ));
            None
        }
        Err(e) => {
            errors.push(error(
                "avis_echeance",
                format!("Date limite de réponse : {e}."),
            ));
            None
        }
    };
    match deadline {
        Some(deadline) if errors.is_empty() => Ok(Invitation {
            name,
            organisation,
            email,
            question,
            deadline,
            confidential: field(fields, "avis_confidentiel") == "1",
        }),
        _ => Err(errors),
    }
}

/// The mail carrying an invitation's link (the first one, a reminder or a resend).
fn invitation_mail(
    state: &AppState,
    request: &OpinionRequest,
    dossier: &Dossier,
    structure: &str,
    token: &Token,
    reminder: Option<Reminder>,
) -> Result<essor_mail::Mail, essor_mail::MailError> {
    let title = title_of(dossier);
    let mut paragraphs = Vec::new();
    let subject = match reminder {
        None => {
            paragraphs.push(format!(
                "La Métropole sollicite votre avis sur le dossier de subvention « {title} » \
                 présenté par {structure}."
            ));
            format!("Demande d’avis sur le dossier « {title} »")
        }
        Some(Reminder::Soon) => {
            paragraphs.push(format!(
                "Nous attendons encore votre avis sur le dossier « {title} » présenté par \
                 {structure} : la date limite approche."
            ));
            format!("Rappel : votre avis sur le dossier « {title} »")
        }
        Some(Reminder::Overdue) => {
            paragraphs.push(format!(
                "La date limite de votre avis sur le dossier « {title} » présenté par \
                 {structure} est passée ; il reste utile à l’instruction si vous pouvez le \
                 donner rapidement."
            ));
            format!("Relance : votre avis sur le dossier « {title} »")
        }
    };
    paragraphs.push(format!("La question posée : {}", request.question));
    paragraphs.push(format!(
        "Merci de répondre avant le {}. Aucun compte n’est nécessaire : le lien ci-dessous \
         ouvre le dossier et le formulaire d’avis ; il fonctionne jusqu’au {} et remplace \
         celui de tout courriel précédent.",
        format_date(request.deadline),
        format_date(link_expires_on(request.deadline)),
    ));
    paragraphs.push(if request.confidential {
        "Votre avis restera confidentiel : seule l’équipe de la collectivité le lira.".to_owned()
    } else {
        "Votre avis sera communiqué à la structure qui porte le projet.".to_owned()
    });
    essor_mail::Notification {
        name: Some(request.name.clone()),
        subject,
        paragraphs,
        link: Some(essor_mail::Link {
            label: "Donner mon avis".to_owned(),
            url: state
                .accounts
                .site
                .link("/avis", &[("jeton", token.as_str())]),
        }),
    }
    .compose(&state.accounts.site)
}

/// Sends an invitation's mail; `false` when it could not go (logged, without its content).
async fn send_invitation(
    state: &AppState,
    request: &OpinionRequest,
    dossier: &Dossier,
    token: &Token,
    reminder: Option<Reminder>,
) -> Result<bool, AppError> {
    let (_, actors) = state.directory(false).await?;
    let structure = actors
        .get(&dossier.siret)
        .map_or_else(|| format!("SIRET {}", dossier.siret), |a| a.name.clone());
    let Ok(address) = request.email.parse() else {
        tracing::warn!(
            request = request.id,
            "adresse de la personne sollicitée inutilisable"
        );
        return Ok(false);
    };
    let to = essor_mail::Mailbox::new(Some(request.name.clone()), address);
    let mail = match invitation_mail(state, request, dossier, &structure, token, reminder) {
        Ok(mail) => mail,
        Err(e) => {
            tracing::error!(error = %e, "courriel de demande d’avis impossible à composer");
            return Ok(false);
        }
    };
    match state.accounts.mailer.send(&to, &mail).await {
        Ok(_) => Ok(true),
        Err(e) => {
            tracing::error!(error = %e, request = request.id, "envoi de la demande d’avis impossible");
            Ok(false)
        }
    }
}

/// `POST /administration/dossiers/{id}/avis`: invites a person to give an opinion.
pub(crate) async fn invite(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    let now = Utc::now();
    let invitation = match invitation_from_form(&fields, now.date_naive()) {
        Ok(invitation) if may_invite(dossier.state) => invitation,
        Ok(_) => {
            let errors = vec![error(
                "avis_nom",
                format!(
                    "Le dossier est {} : on ne demande plus d’avis.",
                    dossier.state.label()
                ),
            )];
            return crate::dossiers::dossier_page(
                &state, &user, &headers, dossier, None, errors, None,
            )
            .await;
        }
        Err(errors) => {
            return crate::dossiers::dossier_page(
                &state, &user, &headers, dossier, None, errors, None,
            )
            .await;
        }
    };
    let account = account_id(&user)?;
    let (token, hash) = Token::generate();
    let request = state
        .store
        .create_opinion_request(&NewOpinionRequest {
            dossier: id,
            token_hash: &hash.to_hex(),
            name: &invitation.name,
            organisation: &invitation.organisation,
            email: &invitation.email,
            question: &invitation.question,
            deadline: invitation.deadline,
            confidential: invitation.confidential,
            requested_by: Some(account),
            at: now,
        })
        .await?;
    audit::record(
        &state,
        AuditActor::Account(account),
        "dossier.opinion_invited",
        "dossier",
        &id.to_string(),
        Some(serde_json::json!({
            "request": request.id,
            "deadline": invitation.deadline.to_string(),
            "confidential": invitation.confidential,
        })),
    )
    .await;
    let sent = send_invitation(&state, &request, &dossier, &token, None).await?;
    Ok(done(id, if sent { "avis" } else { "avis_non_envoye" }))
}

/// `POST /administration/avis/{id}/relancer`: staff send an unanswered invitation again (with a
/// new link; the old one stops working).
pub(crate) async fn resend(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let request = state
        .store
        .opinion_request(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let dossier = dossier_of(&state, request.dossier).await?;
    let (token, hash) = Token::generate();
    if !state
        .store
        .renew_opinion_token(id, &hash.to_hex(), Utc::now())
        .await?
    {
        return Ok(done(dossier.id, "avis_deja_donne"));
    }
    audit::record(
        &state,
        AuditActor::Account(account_id(&user)?),
        "dossier.opinion_reminded",
        "dossier",
        &dossier.id.to_string(),
        Some(serde_json::json!({ "request": id, "reminder": "manuelle" })),
    )
    .await;
    let sent = send_invitation(&state, &request, &dossier, &token, Some(Reminder::Soon)).await?;
    Ok(done(
        dossier.id,
        if sent { "relance" } else { "avis_non_envoye" },
    ))
}

/// What a run of the reminders did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderReport {
    /// Reminders sent.
    pub sent: usize,
    /// Reminders due whose mail could not go (tried again on the next run).
    pub failed: usize,
}

/// Sends the reminders due on `now`'s day to the people who have not given the opinion asked
/// (a few days before the deadline, then once it has passed), each once: the store records a
/// reminder before its mail goes, and gives it back if the mail fails. Only dossiers still
/// waiting for opinions are reminded of.
pub async fn send_reminders(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<ReminderReport, AppError> {
    let today = now.date_naive();
    let mut report = ReminderReport::default();
    for request in state.store.unanswered_opinion_requests().await? {
        let due = reminder_due(
            ReminderState {
                deadline: request.deadline,
                answered: request.answer.is_some(),
                reminded_soon: request.reminded_soon_at.is_some(),
                reminded_overdue: request.reminded_overdue_at.is_some(),
            },
            request.requested_at.date_naive(),
            today,
        );
        let Some(reminder) = due else { continue };
        let Some(dossier) = state.store.dossier(request.dossier).await? else {
            continue;
        };
        if dossier.state != DossierState::OpinionsRequested {
            continue;
        }
        let (token, hash) = Token::generate();
        if !state
            .store
            .claim_reminder(request.id, reminder, &hash.to_hex(), now)
            .await?
        {
            continue;
        }
        if send_invitation(state, &request, &dossier, &token, Some(reminder)).await? {
            report.sent += 1;
            audit::record(
                state,
                AuditActor::Anonymous,
                "dossier.opinion_reminded",
                "dossier",
                &dossier.id.to_string(),
                Some(serde_json::json!({ "request": request.id, "reminder": reminder.code() })),
            )
            .await;
        } else {
            report.failed += 1;
            state.store.release_reminder(request.id, reminder).await?;
        }
    }
    Ok(report)
}

/// `POST /administration/dossiers/{id}/assignation`: assigns the dossier (`compte`, empty for
/// nobody) to a *chargée de mission*.
pub(crate) async fn assign(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    let to = assignee(&state, field(&fields, "compte")).await?;
    assign_one(&state, &user, &dossier, to).await?;
    Ok(done(id, "assignation"))
}

/// The account a form names to assign to: `None` for nobody; an error for an account that is
/// not a *chargée de mission*.
async fn assignee(state: &AppState, raw: &str) -> Result<Option<i64>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let id: i64 = raw.trim().parse().map_err(|_| AppError::NotFound)?;
    if assignable(state).await?.iter().any(|(a, _)| *a == id) {
        Ok(Some(id))
    } else {
        Err(AppError::NotFound)
    }
}

async fn assign_one(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
    to: Option<i64>,
) -> Result<(), AppError> {
    state.store.assign_dossier(dossier.id, to).await?;
    audit::record(
        state,
        AuditActor::Account(account_id(user)?),
        "dossier.assigned",
        "dossier",
        &dossier.id.to_string(),
        Some(serde_json::json!({ "from": dossier.assigned_to, "to": to })),
    )
    .await;
    Ok(())
}

/// `POST /administration/dossiers/{id}/etiquettes`: the dossier's labels (`etiquettes`,
/// repeated), and a new one (`nouvelle_etiquette`).
pub(crate) async fn set_labels(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    let mut wanted: HashSet<i64> = all(&fields, "etiquettes")
        .filter_map(|v| v.parse().ok())
        .collect();
    let new = field(&fields, "nouvelle_etiquette");
    if !new.trim().is_empty() {
        match label_name(new) {
            Ok(name) => {
                wanted.insert(state.store.ensure_label(&name).await?.id);
            }
            Err(e) => {
                let errors = vec![error("nouvelle_etiquette", e.to_string())];
                return crate::dossiers::dossier_page(
                    &state, &user, &headers, dossier, None, errors, None,
                )
                .await;
            }
        }
    }
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for label in state.store.labels().await? {
        let on = wanted.contains(&label.id);
        if state.store.set_dossier_label(id, label.id, on).await? {
            if on {
                added.push(label.name);
            } else {
                removed.push(label.name);
            }
        }
    }
    if !added.is_empty() || !removed.is_empty() {
        audit::record(
            &state,
            AuditActor::Account(account_id(&user)?),
            "dossier.labels_changed",
            "dossier",
            &id.to_string(),
            Some(serde_json::json!({ "added": added, "removed": removed })),
        )
        .await;
    }
    Ok(done(id, "etiquettes"))
}

/// The notices of this module's redirects (`?fait=`).
pub(crate) fn notice(code: &str) -> Option<&'static str> {
    match code {
        "avis" => Some("La demande d’avis est envoyée par courriel."),
        "avis_non_envoye" => Some(
            "La demande d’avis est enregistrée, mais le courriel n’a pas pu partir : \
             renvoyez-le plus tard.",
        ),
        "avis_deja_donne" => Some("Cet avis est déjà donné : rien n’est renvoyé."),
        "relance" => Some("La demande d’avis est renvoyée, avec un nouveau lien."),
        "assignation" => Some("L’assignation du dossier est enregistrée."),
        "etiquettes" => Some("Les étiquettes du dossier sont enregistrées."),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The partner's page

/// What the opinion page shows of its invitation.
enum Opening {
    /// No token: the page was opened otherwise than from the mail.
    Missing,
    /// Unknown or replaced token.
    Invalid,
    Expired,
    Closed(&'static str),
    Answered,
    Open,
}

#[derive(Template)]
#[template(path = "opinion.html")]
struct OpinionPage {
    layout: Layout,
    csrf: String,
    token: String,
    open: bool,
    message: Option<String>,
    thanks: bool,
    who: String,
    question: String,
    deadline: String,
    confidential: bool,
    title: String,
    structure: String,
    summary: String,
    description: String,
    asked: String,
    axis: String,
    communes: String,
    cofinancers: String,
    expenses: Vec<(String, String)>,
    resources: Vec<(String, String)>,
    verdicts: Vec<(&'static str, &'static str, bool)>,
    text: String,
    errors: Vec<FieldError>,
}

crate::profiles::form_errors!(OpinionPage);

async fn opening(
    state: &AppState,
    token: &str,
) -> Result<(Opening, Option<(OpinionRequest, Dossier)>), AppError> {
    if token.is_empty() {
        return Ok((Opening::Missing, None));
    }
    let hash = TokenHash::of(token).to_hex();
    let Some(request) = state.store.opinion_request_by_token(&hash).await? else {
        return Ok((Opening::Invalid, None));
    };
    let Some(dossier) = state.store.dossier(request.dossier).await? else {
        return Ok((Opening::Invalid, None));
    };
    let opening = if request.answer.is_some() {
        Opening::Answered
    } else if !link_open(request.deadline, Utc::now().date_naive()) {
        Opening::Expired
    } else if dossier.state.is_decided() {
        Opening::Closed(dossier.state.label())
    } else {
        Opening::Open
    };
    Ok((opening, Some((request, dossier))))
}

#[allow(clippy::too_many_arguments)] // the page's parts, each from its own source
async fn opinion_page(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    opening: &Opening,
    found: Option<(OpinionRequest, Dossier)>,
    typed: Option<&[(String, String)]>,
    errors: Vec<FieldError>,
    thanks: bool,
) -> Result<Response, AppError> {
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let message = match opening {
        Opening::Missing => Some(
            "Cette page s’ouvre depuis le lien du courriel par lequel la collectivité vous \
             demande un avis sur un dossier de subvention."
                .to_owned(),
        ),
        Opening::Invalid => Some(
            "Ce lien n’est pas valide : il a peut-être été remplacé par celui d’un courriel \
             plus récent. Demandez un nouveau lien à l’équipe de la collectivité."
                .to_owned(),
        ),
        Opening::Expired => Some(
            "Ce lien a expiré. Si vous souhaitez encore donner votre avis, demandez un \
             nouveau lien à l’équipe de la collectivité."
                .to_owned(),
        ),
        Opening::Closed(label) => Some(format!(
            "Le dossier est {label} : il n’attend plus d’avis. Merci de votre disponibilité."
        )),
        Opening::Answered if !thanks => Some("Votre avis est déjà enregistré. Merci !".to_owned()),
        Opening::Answered | Opening::Open => None,
    };
    let status = match opening {
        Opening::Invalid => StatusCode::NOT_FOUND,
        Opening::Expired | Opening::Closed(_) => StatusCode::GONE,
        _ if !errors.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let open = matches!(opening, Opening::Open);
    let mut page = OpinionPage {
        layout: page_layout(state, "").await?,
        csrf,
        token: token.to_owned(),
        open,
        message,
        thanks,
        who: String::new(),
        question: String::new(),
        deadline: String::new(),
        confidential: false,
        title: String::new(),
        structure: String::new(),
        summary: String::new(),
        description: String::new(),
        asked: String::new(),
        axis: String::new(),
        communes: String::new(),
        cofinancers: String::new(),
        expenses: Vec::new(),
        resources: Vec::new(),
        verdicts: Vec::new(),
        text: typed
            .map(|f| field(f, "avis").to_owned())
            .unwrap_or_default(),
        errors,
    };
    // The dossier is shown only while the link opens the form.
    if let (true, Some((request, dossier))) = (open, found) {
        show_dossier(state, &mut page, &request, &dossier, typed).await?;
    }
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// Fills the opinion page with what the partner needs of the dossier.
async fn show_dossier(
    state: &AppState,
    page: &mut OpinionPage,
    request: &OpinionRequest,
    dossier: &Dossier,
    typed: Option<&[(String, String)]>,
) -> Result<(), AppError> {
    let (context, actors) = state.directory(false).await?;
    let chosen = typed
        .map(|f| field(f, "verdict").to_owned())
        .unwrap_or_default();
    page.who.clone_from(&request.name);
    page.question.clone_from(&request.question);
    page.deadline = format_date(request.deadline);
    page.confidential = request.confidential;
    page.title = title_of(dossier);
    page.structure = actors
        .get(&dossier.siret)
        .map_or_else(|| format!("SIRET {}", dossier.siret), |a| a.name.clone());
    let application = &dossier.application;
    page.summary.clone_from(&application.summary);
    page.description.clone_from(&application.description);
    page.asked = application.asked.to_string();
    page.axis = application
        .axis
        .as_ref()
        .and_then(|k| context.plan.axis(k))
        .map(|a| a.title.clone())
        .unwrap_or_default();
    page.communes = application
        .communes
        .iter()
        .map(|c| crate::directory::commune_name(state.referential, c))
        .collect::<Vec<_>>()
        .join(", ");
    page.cofinancers = application.cofinancers.join(", ");
    let lines = |lines: &[essor_domain::funding::BudgetLine]| {
        lines
            .iter()
            .map(|l| (l.label.clone(), l.amount.to_string()))
            .collect()
    };
    page.expenses = lines(&application.budget.expenses);
    page.resources = lines(&application.budget.resources);
    page.verdicts = Verdict::ALL
        .iter()
        .map(|v| (v.code(), v.label(), v.code() == chosen))
        .collect();
    Ok(())
}

/// `GET /avis?jeton=`: the dossier as the invited partner needs it, and the opinion form.
pub(crate) async fn opinion_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let token = query.get("jeton").map_or("", String::as_str);
    let (opening, found) = opening(&state, token).await?;
    opinion_page(
        &state,
        &headers,
        token,
        &opening,
        found,
        None,
        Vec::new(),
        false,
    )
    .await
}

/// `POST /avis`: the partner's opinion (`verdict`, `avis`), recorded once.
pub(crate) async fn give_opinion(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let token = field(&fields, "jeton").to_owned();
    let (opening, found) = opening(&state, &token).await?;
    let Some((request, dossier)) = found.filter(|_| matches!(opening, Opening::Open)) else {
        return opinion_page(
            &state,
            &headers,
            &token,
            &opening,
            None,
            None,
            Vec::new(),
            false,
        )
        .await;
    };
    let verdict = Verdict::parse(field(&fields, "verdict"));
    let text = field(&fields, "avis").trim();
    let mut errors = Vec::new();
    if verdict.is_none() {
        errors.push(error(
            "verdict",
            "Avis : choisissez favorable, réservé ou défavorable.",
        ));
    }
    if text.chars().count() > MAX_TEXT
        || (text.is_empty() && verdict.is_some_and(|v| v != Verdict::Favourable))
    {
        errors.push(error(
            "avis",
            "Motivation : expliquez un avis réservé ou défavorable (5 000 caractères au plus).",
        ));
    }
    let Some(verdict) = verdict.filter(|_| errors.is_empty()) else {
        return opinion_page(
            &state,
            &headers,
            &token,
            &opening,
            Some((request, dossier)),
            Some(&fields),
            errors,
            false,
        )
        .await;
    };
    let now = Utc::now();
    if state
        .store
        .answer_opinion(request.id, verdict, text, now)
        .await?
    {
        audit::record(
            &state,
            AuditActor::Anonymous,
            "dossier.opinion_given",
            "dossier",
            &dossier.id.to_string(),
            Some(serde_json::json!({ "request": request.id, "verdict": verdict.code() })),
        )
        .await;
        // Staff see it arrive in the thread; the opinion itself stays on the page, where the
        // applicant reads only the shared ones.
        let note = format!(
            "Avis reçu de {}{} : {}.",
            request.name,
            if request.organisation.is_empty() {
                String::new()
            } else {
                format!(" ({})", request.organisation)
            },
            verdict.label().to_lowercase()
        );
        state
            .store
            .add_dossier_event(dossier.id, EventKind::Note, &note, None)
            .await?;
    }
    opinion_page(
        &state,
        &headers,
        &token,
        &Opening::Answered,
        None,
        None,
        Vec::new(),
        true,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The dashboard

/// The dashboard's filters, as they stay in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Filters {
    /// `None`: every state.
    state: Option<DossierState>,
    year: Option<i32>,
    axis: String,
    /// `moi`, `aucun` or an account's number.
    assigned: String,
    label: Option<i64>,
    text: String,
}

impl Filters {
    /// Reads the query; without `etat`, the dossiers waiting for staff (submitted) are shown.
    fn read(pairs: &[(String, String)]) -> Self {
        let has_state = pairs.iter().any(|(k, _)| k == "etat");
        Self {
            state: if has_state {
                DossierState::parse(field(pairs, "etat"))
            } else {
                Some(DossierState::Submitted)
            },
            year: field(pairs, "annee").trim().parse().ok(),
            axis: field(pairs, "axe").trim().to_owned(),
            assigned: field(pairs, "assigne").trim().to_owned(),
            label: field(pairs, "etiquette").trim().parse().ok(),
            text: field(pairs, "q").trim().to_owned(),
        }
    }

    /// The query string of these filters, with another state.
    fn query_with_state(&self, state: Option<DossierState>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("etat", state.map_or("tous", DossierState::code));
        if let Some(year) = self.year {
            query.append_pair("annee", &year.to_string());
        }
        if !self.axis.is_empty() {
            query.append_pair("axe", &self.axis);
        }
        if !self.assigned.is_empty() {
            query.append_pair("assigne", &self.assigned);
        }
        if let Some(label) = self.label {
            query.append_pair("etiquette", &label.to_string());
        }
        if !self.text.is_empty() {
            query.append_pair("q", &self.text);
        }
        query.finish()
    }

    fn query(&self) -> String {
        self.query_with_state(self.state)
    }

    fn keeps(
        &self,
        dossier: &Dossier,
        structure: &str,
        me: Option<i64>,
        labels: &HashSet<(i64, i64)>,
    ) -> bool {
        let assigned = match self.assigned.as_str() {
            "" => true,
            "moi" => me.is_some() && dossier.assigned_to == me,
            "aucun" => dossier.assigned_to.is_none(),
            id => id.parse::<i64>().ok() == dossier.assigned_to,
        };
        let text = self.text.to_lowercase();
        self.state.is_none_or(|s| dossier.state == s)
            && self.year.is_none_or(|y| dossier.year == y)
            && (self.axis.is_empty()
                || dossier
                    .application
                    .axis
                    .as_ref()
                    .is_some_and(|a| a.to_string() == self.axis))
            && assigned
            && self.label.is_none_or(|l| labels.contains(&(dossier.id, l)))
            && (text.is_empty()
                || dossier.application.title.to_lowercase().contains(&text)
                || structure.to_lowercase().contains(&text))
    }
}

/// A cell as the dashboard shows it.
fn shown(cell: &Cell) -> (String, bool) {
    match cell {
        Cell::Text(text) => (text.clone(), false),
        Cell::Money(amount) => (amount.map(|m| m.to_string()).unwrap_or_default(), true),
        Cell::Count(n) => (n.to_string(), true),
    }
}

struct DashboardRow {
    id: i64,
    title: String,
    /// The chosen columns: text, numeric.
    cells: Vec<(String, bool)>,
    assigned: String,
    labels: String,
}

/// The batch steps: value and label (decisions stay one by one, each with its amount or
/// motivation).
const BATCH_STEPS: [(&str, &str); 5] = [
    ("instruire", "Mettre en instruction"),
    ("avis", "Demander des avis"),
    ("reprendre", "Reprendre l’instruction"),
    ("comite", "Inscrire à l’ordre du jour du comité"),
    ("classer", "Classer sans suite (motivation requise)"),
];

#[derive(Template)]
#[template(path = "dossiers_dashboard.html")]
struct DashboardPage {
    layout: Layout,
    csrf: String,
    rows: Vec<DashboardRow>,
    /// Each state: code, label, count, shown, link's query.
    states: Vec<(&'static str, &'static str, usize, bool, String)>,
    all_states_query: String,
    all_shown: bool,
    shown: String,
    envelope: Option<String>,
    /// Chosen columns' labels (besides the fixed ones).
    headers: Vec<&'static str>,
    /// Every column: key, label, chosen.
    columns: Vec<(&'static str, &'static str, bool)>,
    years: Vec<(i32, bool)>,
    axes: Vec<(String, String, bool)>,
    assignees: Vec<(String, String, bool)>,
    labels: Vec<(i64, String, bool)>,
    text: String,
    query: String,
    /// Dossiers waiting for opinions whose opinions are all in: id, title.
    opinions_in: Vec<(i64, String)>,
    steps: [(&'static str, &'static str); 5],
    accounts: Vec<(i64, String)>,
    /// The export's link's query for the state shown.
    export_state: &'static str,
}

/// The columns an account chose, or the default ones.
async fn chosen_columns(state: &AppState, account: i64) -> Result<Vec<String>, AppError> {
    Ok(state
        .store
        .dashboard_columns(account)
        .await?
        .unwrap_or_else(|| DEFAULT_COLUMNS.iter().map(|c| (*c).to_owned()).collect()))
}

/// `GET /administration/dossiers?etat=&annee=&axe=&assigne=&etiquette=&q=`: the dossiers the
/// filters keep (the submitted ones by default), with the columns the account chose.
#[allow(clippy::too_many_lines)] // one page, its parts listed in order
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let filters = Filters::read(&pairs);
    let me = user.principal.account;
    let (context, actors) = state.directory(false).await?;
    let all_dossiers = state.store.dossiers(None).await?;
    let links: HashSet<(i64, i64)> = state.store.label_links().await?.into_iter().collect();
    let labels = state.store.labels().await?;
    let label_names: HashMap<i64, String> = labels.iter().map(|l| (l.id, l.name.clone())).collect();
    let accounts = assignable(&state).await?;
    let account_names: HashMap<i64, String> = accounts.iter().cloned().collect();
    let chosen = chosen_columns(&state, account_id(&user)?).await?;
    let columns: Vec<_> = EXPORT_COLUMNS
        .iter()
        .filter(|(key, _, _)| *key != "projet" && chosen.iter().any(|c| c == key))
        .collect();
    let names = Names {
        actors: actors.clone(),
        context: std::sync::Arc::clone(&context),
        referential: state.referential,
    };
    let structure_of = |d: &Dossier| {
        actors
            .get(&d.siret)
            .map_or_else(|| format!("SIRET {}", d.siret), |a| a.name.clone())
    };
    // The state links count what the other filters keep.
    let others = Filters {
        state: None,
        ..filters.clone()
    };
    let kept_by_others: Vec<&Dossier> = all_dossiers
        .iter()
        .filter(|d| others.keeps(d, &structure_of(d), me, &links))
        .collect();
    let states = DossierState::ALL
        .iter()
        .map(|s| {
            (
                s.code(),
                s.label(),
                kept_by_others.iter().filter(|d| d.state == *s).count(),
                filters.state == Some(*s),
                filters.query_with_state(Some(*s)),
            )
        })
        .collect();
    let rows = kept_by_others
        .iter()
        .filter(|d| filters.state.is_none_or(|s| d.state == s))
        .map(|d| {
            let mut on: Vec<&str> = links
                .iter()
                .filter(|(dossier, _)| *dossier == d.id)
                .filter_map(|(_, l)| label_names.get(l).map(String::as_str))
                .collect();
            on.sort_unstable();
            DashboardRow {
                id: d.id,
                title: title_of(d),
                cells: columns
                    .iter()
                    .map(|(_, _, read)| shown(&read(d, &names)))
                    .collect(),
                assigned: d
                    .assigned_to
                    .map(|a| {
                        account_names
                            .get(&a)
                            .cloned()
                            .unwrap_or_else(|| format!("compte n° {a}"))
                    })
                    .unwrap_or_default(),
                labels: on.join(", "),
            }
        })
        .collect();
    let counts = state.store.opinion_counts().await?;
    let opinions_in = all_dossiers
        .iter()
        .filter(|d| d.state == DossierState::OpinionsRequested)
        .filter(|d| {
            counts
                .iter()
                .any(|(id, total, answered)| *id == d.id && total == answered && *total > 0)
        })
        .map(|d| (d.id, title_of(d)))
        .collect();
    let mut years: Vec<i32> = all_dossiers.iter().map(|d| d.year).collect();
    years.push(Utc::now().year());
    years.sort_unstable();
    years.dedup();
    let mut assignees = vec![
        (
            "moi".to_owned(),
            "mes dossiers".to_owned(),
            filters.assigned == "moi",
        ),
        (
            "aucun".to_owned(),
            "non assignés".to_owned(),
            filters.assigned == "aucun",
        ),
    ];
    assignees.extend(accounts.iter().map(|(id, name)| {
        (
            id.to_string(),
            name.clone(),
            filters.assigned == id.to_string(),
        )
    }));
    let (csrf, cookie) = csrf::token(&headers, state.accounts.secure_cookies);
    let page = DashboardPage {
        layout: page_layout(&state, "").await?,
        csrf,
        rows,
        states,
        all_states_query: filters.query_with_state(None),
        all_shown: filters.state.is_none(),
        shown: filters
            .state
            .map_or_else(|| "tous les états".to_owned(), |s| s.label().to_owned()),
        envelope: crate::dossiers::envelope_line(&state, Utc::now().year()).await?,
        headers: columns.iter().map(|(_, label, _)| *label).collect(),
        columns: EXPORT_COLUMNS
            .iter()
            .map(|(key, label, _)| (*key, *label, chosen.iter().any(|c| c == key)))
            .collect(),
        years: years
            .into_iter()
            .rev()
            .map(|y| (y, filters.year == Some(y)))
            .collect(),
        axes: context
            .plan
            .axes
            .iter()
            .map(|a| {
                let key = a.key.to_string();
                let on = key == filters.axis;
                (key, a.title.clone(), on)
            })
            .collect(),
        assignees,
        labels: labels
            .iter()
            .map(|l| (l.id, l.name.clone(), filters.label == Some(l.id)))
            .collect(),
        text: filters.text.clone(),
        query: filters.query(),
        opinions_in,
        steps: BATCH_STEPS,
        accounts,
        export_state: filters.state.map_or("", DossierState::code),
    };
    Ok(csrf::form_page(StatusCode::OK, page.render()?, cookie))
}

/// Where to go back to after a dashboard form: the dashboard with the filters it had.
fn back_to_dashboard(fields: &[(String, String)]) -> String {
    let query = field(fields, "retour");
    // Only a query string of the dashboard's own is followed.
    let safe = query
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "=&%+-_.~".contains(c));
    if safe && !query.is_empty() {
        format!("/administration/dossiers?{query}")
    } else {
        "/administration/dossiers".to_owned()
    }
}

/// `POST /administration/dossiers/colonnes`: the columns the account wants on its dashboard
/// (`colonnes`, repeated; the default ones when none).
pub(crate) async fn save_columns(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let chosen: Vec<String> = EXPORT_COLUMNS
        .iter()
        .filter(|(key, _, _)| all(&fields, "colonnes").any(|c| c == *key))
        .map(|(key, _, _)| (*key).to_owned())
        .collect();
    let chosen = if chosen.is_empty() {
        DEFAULT_COLUMNS.iter().map(|c| (*c).to_owned()).collect()
    } else {
        chosen
    };
    state
        .store
        .save_dashboard_columns(account_id(&user)?, &chosen)
        .await?;
    Ok(Redirect::to(&back_to_dashboard(&fields)).into_response())
}

/// What a batch does to each dossier selected.
enum Operation {
    Assign(Option<i64>),
    /// A label (id, name), put on or taken off.
    Label(i64, String, bool),
    /// The step named by the form's `action`.
    Step,
}

/// The outcome of a batch action on one dossier.
struct Outcome {
    id: i64,
    title: String,
    done: bool,
    detail: String,
}

#[derive(Template)]
#[template(path = "dossiers_batch.html")]
struct BatchPage {
    layout: Layout,
    what: String,
    done_count: usize,
    outcomes: Vec<Outcome>,
    back: String,
    error: Option<String>,
}

async fn batch_page(
    state: &AppState,
    what: String,
    outcomes: Vec<Outcome>,
    error: Option<String>,
    back: String,
) -> Result<Response, AppError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = BatchPage {
        layout: page_layout(state, "").await?,
        what,
        done_count: outcomes.iter().filter(|o| o.done).count(),
        outcomes,
        back,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `POST /administration/dossiers/lot`: one action on the dossiers selected (`dossiers`,
/// repeated): `operation` = `assigner` (`compte`), `etiqueter` or `retirer_etiquette`
/// (`etiquette`, or a new one in `nouvelle_etiquette`), `etape` (`action`, `texte`). Each step
/// goes through the same checks as on the dossier's page; the page says, per dossier, what was
/// done and what was refused, and why.
#[allow(clippy::too_many_lines)] // one operation per arm
pub(crate) async fn batch(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let back = back_to_dashboard(&fields);
    let ids: Vec<i64> = all(&fields, "dossiers")
        .filter_map(|v| v.parse().ok())
        .collect();
    let render = |what: String, outcomes: Vec<Outcome>, error: Option<String>| {
        batch_page(&state, what, outcomes, error, back.clone())
    };
    if ids.is_empty() {
        return render(
            "Action groupée".to_owned(),
            Vec::new(),
            Some("Dossiers : cochez au moins un dossier dans le tableau.".to_owned()),
        )
        .await;
    }
    let operation = match field(&fields, "operation") {
        "assigner" => match assignee(&state, field(&fields, "compte")).await {
            Ok(to) => Operation::Assign(to),
            Err(_) => {
                return render(
                    "Assignation".to_owned(),
                    Vec::new(),
                    Some("Chargée de mission : choisissez-la dans la liste.".to_owned()),
                )
                .await;
            }
        },
        op @ ("etiqueter" | "retirer_etiquette") => {
            let new = field(&fields, "nouvelle_etiquette");
            let label = if new.trim().is_empty() {
                let wanted: Option<i64> = field(&fields, "etiquette").parse().ok();
                state
                    .store
                    .labels()
                    .await?
                    .into_iter()
                    .find(|l| Some(l.id) == wanted)
            } else {
                match label_name(new) {
                    Ok(name) => Some(state.store.ensure_label(&name).await?),
                    Err(e) => {
                        return render("Étiquette".to_owned(), Vec::new(), Some(e.to_string()))
                            .await;
                    }
                }
            };
            let Some(label) = label else {
                return render(
                    "Étiquette".to_owned(),
                    Vec::new(),
                    Some("Étiquette : choisissez-la, ou nommez-en une nouvelle.".to_owned()),
                )
                .await;
            };
            Operation::Label(label.id, label.name, op == "etiqueter")
        }
        "etape"
            if BATCH_STEPS
                .iter()
                .any(|(v, _)| *v == field(&fields, "action")) =>
        {
            Operation::Step
        }
        _ => {
            return render(
                "Action groupée".to_owned(),
                Vec::new(),
                Some("Action : choisissez ce qu’il faut faire des dossiers cochés.".to_owned()),
            )
            .await;
        }
    };
    let what = match &operation {
        Operation::Assign(Some(to)) => format!(
            "Assignation à {}",
            state
                .store
                .account(*to)
                .await?
                .map_or_else(|| format!("compte n° {to}"), |a| a.display_name)
        ),
        Operation::Assign(None) => "Assignation retirée".to_owned(),
        Operation::Label(_, name, true) => format!("Étiquette « {name} » ajoutée"),
        Operation::Label(_, name, false) => format!("Étiquette « {name} » retirée"),
        Operation::Step => BATCH_STEPS
            .iter()
            .find(|(v, _)| *v == field(&fields, "action"))
            .map_or_else(String::new, |(_, label)| format!("Étape : {label}")),
    };
    let account = account_id(&user)?;
    let mut outcomes = Vec::new();
    for id in ids {
        let Some(dossier) = state.store.dossier(id).await? else {
            outcomes.push(Outcome {
                id,
                title: String::new(),
                done: false,
                detail: "dossier introuvable".to_owned(),
            });
            continue;
        };
        let title = title_of(&dossier);
        let (done, detail) = match &operation {
            Operation::Assign(to) => {
                assign_one(&state, &user, &dossier, *to).await?;
                (true, "assigné".to_owned())
            }
            Operation::Label(label, name, on) => {
                let changed = state.store.set_dossier_label(id, *label, *on).await?;
                if changed {
                    let key = if *on { "added" } else { "removed" };
                    audit::record(
                        &state,
                        AuditActor::Account(account),
                        "dossier.labels_changed",
                        "dossier",
                        &id.to_string(),
                        Some(serde_json::json!({ key: [name] })),
                    )
                    .await;
                }
                let detail = match (changed, on) {
                    (true, true) => "étiquette ajoutée",
                    (true, false) => "étiquette retirée",
                    (false, true) => "l’étiquette y était déjà",
                    (false, false) => "l’étiquette n’y était pas",
                };
                (true, detail.to_owned())
            }
            Operation::Step => match crate::dossiers::staff_action(&fields, &dossier) {
                Err(e) => (false, e.message),
                Ok((action, granted)) => {
                    match crate::dossiers::staff_transition(
                        &state, &user, &dossier, &action, granted, false,
                    )
                    .await?
                    {
                        Ok(recorded) => (true, format!("désormais {}", recorded.state.label())),
                        Err(e) => (false, e.message),
                    }
                }
            },
        };
        outcomes.push(Outcome {
            id,
            title,
            done,
            detail,
        });
    }
    render(what, outcomes, None).await
}
