//! The plan's committees at work, in the back office: members, sessions, the agenda built from
//! the dossiers ready for decision, the committee's file (a printable page and a PDF), the
//! decisions recorded in session and the minutes. Every state change of a dossier goes through
//! [`crate::dossiers::staff_transition`] (the state machine, the envelope and the
//! administrator's override); this module only records what the committee said on top of it.
//!
//! Limits: committee members read nothing here yet (an account is not linked to the committees
//! it sits on, so the back-office permission is required); the decision on an item is recorded
//! just after the dossier's transition, not in the same database transaction (the transition
//! belongs to the dossiers' store): should the second write fail, the dossier keeps its
//! decision and the item shows none, and staff record it again.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Utc};
use essor_domain::Money;
use essor_domain::access::Role;
use essor_domain::actor::FieldError;
use essor_domain::committee::{
    ItemDecision, MAX_MINUTES, MAX_TEXT, MemberFields, MemberRole, MinutesInput, MinutesItem,
    SessionFields, SessionStatus, draft_minutes, long_text,
};
use essor_domain::dates::{format_date, format_date_long};
use essor_domain::dossier::{Action, INSTRUCTION_CHECKS, State as DossierState, unchecked};
use essor_store::committees::{
    AgendaChange, AgendaItem, CommitteeMember, CommitteeSession, DecisionRecorded, HeldChange,
    ItemDecisionRecord, NewCommitteeMember, SessionDetails,
};
use essor_store::dossiers::Dossier;

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::dossiers::Along;
use crate::error::AppError;
use crate::layout::Layout;
use crate::profiles::{account_id, all, field};
use crate::{AppState, csrf, page_layout};

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

/// Money typed back into a form: `8 000,00` (no euro sign).
fn money_input(amount: Option<Money>) -> String {
    amount.map_or_else(String::new, |m| {
        m.to_string().trim_end_matches(" €").to_owned()
    })
}

async fn audit_event(
    state: &AppState,
    user: &CurrentUser,
    action: &str,
    kind: &str,
    id: i64,
    after: Option<serde_json::Value>,
) -> Result<(), AppError> {
    audit::record(
        state,
        AuditActor::Account(account_id(user)?),
        action,
        kind,
        &id.to_string(),
        after,
    )
    .await;
    Ok(())
}

/// The plan and the directory's names, which pages read besides the store.
struct Names {
    context: std::sync::Arc<crate::site::SiteContext>,
    actors: crate::directory::Actors,
}

impl Names {
    async fn load(state: &AppState) -> Result<Self, AppError> {
        let (context, actors) = state.directory(false).await?;
        Ok(Self { context, actors })
    }

    fn committee(&self, key: &str) -> String {
        self.context
            .plan
            .committees
            .iter()
            .find(|c| c.key.as_str() == key)
            .map_or_else(|| key.to_owned(), |c| c.name.clone())
    }

    fn structure(&self, dossier: &Dossier) -> String {
        self.actors
            .get(&dossier.siret)
            .map_or_else(|| format!("SIRET {}", dossier.siret), |a| a.name.clone())
    }

    fn committees(&self) -> Vec<(String, String)> {
        self.context
            .plan
            .committees
            .iter()
            .map(|c| (c.key.to_string(), c.name.clone()))
            .collect()
    }
}

fn title_of(dossier: &Dossier) -> String {
    if dossier.application.title.is_empty() {
        format!("Dossier n° {}", dossier.id)
    } else {
        dossier.application.title.clone()
    }
}

async fn session_of(state: &AppState, id: i64) -> Result<CommitteeSession, AppError> {
    state
        .store
        .committee_session(id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The item of a session's agenda, or 404 (an item of another session included).
async fn item_of(state: &AppState, session: i64, item: i64) -> Result<AgendaItem, AppError> {
    state
        .store
        .agenda_item(item)
        .await?
        .filter(|i| i.session == session)
        .ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------------------------------------
// Sessions

struct SessionRow {
    id: i64,
    committee: String,
    date: String,
    place: String,
    status: &'static str,
    items: usize,
}

#[derive(Template)]
#[template(path = "committees.html")]
struct SessionsPage {
    layout: Layout,
    csrf: String,
    sessions: Vec<SessionRow>,
    committees: Vec<(String, String)>,
    committee: String,
    date: String,
    place: String,
    errors: Vec<FieldError>,
}

crate::profiles::form_errors!(SessionsPage);

async fn sessions_page(
    state: &AppState,
    headers: &HeaderMap,
    fields: &[(String, String)],
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let names = Names::load(state).await?;
    let mut sessions = Vec::new();
    for s in state.store.committee_sessions().await? {
        sessions.push(SessionRow {
            id: s.id,
            committee: names.committee(&s.committee),
            date: format_date(s.date),
            place: s.place,
            status: s.status.label(),
            items: state.store.agenda(s.id).await?.len(),
        });
    }
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SessionsPage {
        layout: page_layout(state, "").await?,
        csrf,
        sessions,
        committees: names.committees(),
        committee: field(fields, "comite").to_owned(),
        date: field(fields, "date").to_owned(),
        place: field(fields, "lieu").to_owned(),
        errors,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `GET /administration/comites`: the sessions, the latest first, and a new one.
pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    sessions_page(&state, &headers, &[], Vec::new()).await
}

/// `POST /administration/comites`: plans a session.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let names = Names::load(&state).await?;
    let details = match SessionFields::parse(
        &names.context.plan,
        field(&fields, "comite"),
        field(&fields, "date"),
        field(&fields, "lieu"),
    ) {
        Ok(details) => details,
        Err(errors) => return sessions_page(&state, &headers, &fields, errors).await,
    };
    let session = state
        .store
        .create_committee_session(
            &SessionDetails {
                committee: &details.committee,
                date: details.date,
                place: &details.place,
            },
            Some(account_id(&user)?),
        )
        .await?;
    audit_event(
        &state,
        &user,
        "committee.session_created",
        "committee_session",
        session.id,
        Some(serde_json::json!({
            "committee": session.committee,
            "date": session.date.to_string(),
        })),
    )
    .await?;
    Ok(Redirect::to(&format!("/administration/comites/{}", session.id)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Members

struct MemberView {
    id: i64,
    name: String,
    quality: String,
    role: &'static str,
}

struct CommitteeMembers {
    key: String,
    name: String,
    composition: String,
    members: Vec<MemberView>,
    former: Vec<MemberView>,
}

fn member_view(m: &CommitteeMember) -> MemberView {
    MemberView {
        id: m.id,
        name: m.name.clone(),
        quality: m.quality.clone(),
        role: m.role.label(),
    }
}

#[derive(Template)]
#[template(path = "committee_members.html")]
struct MembersPage {
    layout: Layout,
    csrf: String,
    committees: Vec<CommitteeMembers>,
    roles: Vec<(&'static str, &'static str)>,
    committee: String,
    name: String,
    quality: String,
    role: String,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

crate::profiles::form_errors!(MembersPage);

async fn members_page(
    state: &AppState,
    headers: &HeaderMap,
    fields: &[(String, String)],
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let names = Names::load(state).await?;
    let everyone = state.store.committee_members(None, true).await?;
    let committees = names
        .context
        .plan
        .committees
        .iter()
        .map(|c| {
            let of = |active: bool| {
                everyone
                    .iter()
                    .filter(|m| m.committee == c.key.as_str() && m.active == active)
                    .map(member_view)
                    .collect()
            };
            CommitteeMembers {
                key: c.key.to_string(),
                name: c.name.clone(),
                composition: c.composition.clone(),
                members: of(true),
                former: of(false),
            }
        })
        .collect();
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MembersPage {
        layout: page_layout(state, "").await?,
        csrf,
        committees,
        roles: MemberRole::ALL
            .iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        committee: field(fields, "comite").to_owned(),
        name: field(fields, "nom").to_owned(),
        quality: field(fields, "qualite").to_owned(),
        role: field(fields, "role").to_owned(),
        errors,
        notice,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `GET /administration/comites/membres`: the members of each committee.
pub(crate) async fn members(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let notice = match query.get("fait").map(String::as_str) {
        Some("ajoute") => Some("Le membre est ajouté au comité."),
        Some("retire") => Some("Le membre ne siège plus au comité."),
        _ => None,
    };
    members_page(&state, &headers, &[], Vec::new(), notice).await
}

/// `POST /administration/comites/membres`: a new member of a committee.
pub(crate) async fn add_member(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let names = Names::load(&state).await?;
    let member = match MemberFields::parse(
        &names.context.plan,
        field(&fields, "comite"),
        field(&fields, "nom"),
        field(&fields, "qualite"),
        field(&fields, "role"),
    ) {
        Ok(member) => member,
        Err(errors) => return members_page(&state, &headers, &fields, errors, None).await,
    };
    let added = state
        .store
        .add_committee_member(&NewCommitteeMember {
            committee: &member.committee,
            name: &member.name,
            quality: &member.quality,
            role: member.role,
        })
        .await?;
    audit_event(
        &state,
        &user,
        "committee.member_added",
        "committee_member",
        added.id,
        Some(serde_json::json!({ "committee": added.committee, "role": added.role.code() })),
    )
    .await?;
    Ok(Redirect::to("/administration/comites/membres?fait=ajoute").into_response())
}

/// `POST /administration/comites/membres/{id}/retirer`: the member no longer sits on the
/// committee (the sessions they attended keep them).
pub(crate) async fn remove_member(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    if !state.store.set_committee_member_active(id, false).await? {
        return Err(AppError::NotFound);
    }
    audit_event(
        &state,
        &user,
        "committee.member_removed",
        "committee_member",
        id,
        None,
    )
    .await?;
    Ok(Redirect::to("/administration/comites/membres?fait=retire").into_response())
}

// ---------------------------------------------------------------------------------------------
// One session

struct SessionView {
    id: i64,
    committee: String,
    committee_key: String,
    date: String,
    date_long: String,
    date_input: String,
    place: String,
    status: &'static str,
    held: bool,
}

impl SessionView {
    fn of(session: &CommitteeSession, names: &Names) -> Self {
        Self {
            id: session.id,
            committee: names.committee(&session.committee),
            committee_key: session.committee.clone(),
            date: format_date(session.date),
            date_long: format_date_long(session.date),
            date_input: session.date.format("%Y-%m-%d").to_string(),
            place: session.place.clone(),
            status: session.status.label(),
            held: session.status == SessionStatus::Held,
        }
    }
}

struct ItemView {
    id: i64,
    dossier: i64,
    title: String,
    structure: String,
    asked: String,
    state: &'static str,
    first: bool,
    last: bool,
    proposal: String,
    proposed: String,
    decided: bool,
    outcome: String,
    amount: String,
    decision_text: String,
    /// The instruction checks not made (a decision needs them all).
    unchecked: Vec<String>,
    /// The decision form's values: as typed when the form comes back with errors.
    choice: Choice,
}

/// An undecided item's decision, as its form shows it.
struct Choice {
    issue: String,
    amount: String,
    text: String,
}

/// What the session's page shows as the user typed (or asked) it instead of what is stored.
#[derive(Default)]
struct Typed<'a> {
    minutes: Option<String>,
    decisions: Option<&'a [(String, String)]>,
}

struct Attendee {
    id: i64,
    name: String,
    quality: String,
    role: &'static str,
    present: bool,
}

#[derive(Template)]
#[template(path = "committee_session.html")]
struct SessionPage {
    layout: Layout,
    csrf: String,
    session: SessionView,
    committees: Vec<(String, String)>,
    attendees: Vec<Attendee>,
    items: Vec<ItemView>,
    undecided: usize,
    /// Dossiers that may go on the agenda: id and label.
    candidates: Vec<(i64, String)>,
    minutes: String,
    administrator: bool,
    errors: Vec<FieldError>,
    notice: Option<String>,
}

crate::profiles::form_errors!(SessionPage);

/// The dossiers staff may put on an agenda: on the committee's agenda already (ready for
/// decision) or still under instruction, and waiting on no other agenda.
async fn candidates(state: &AppState, names: &Names) -> Result<Vec<(i64, String)>, AppError> {
    let waiting: Vec<i64> = state
        .store
        .pending_agenda_dossiers()
        .await?
        .into_iter()
        .map(|(dossier, _)| dossier)
        .collect();
    let mut found = Vec::new();
    for wanted in [
        DossierState::OnAgenda,
        DossierState::OpinionsRequested,
        DossierState::UnderInstruction,
    ] {
        for d in state.store.dossiers(Some(wanted)).await? {
            if waiting.contains(&d.id) {
                continue;
            }
            found.push((
                d.id,
                format!(
                    "n° {} : {} ({}, {} demandés) — {}",
                    d.id,
                    title_of(&d),
                    names.structure(&d),
                    d.application.asked,
                    d.state.label()
                ),
            ));
        }
    }
    Ok(found)
}

async fn item_views(
    state: &AppState,
    names: &Names,
    agenda: &[AgendaItem],
    typed: Option<&[(String, String)]>,
) -> Result<Vec<ItemView>, AppError> {
    let mut items = Vec::new();
    for (n, item) in agenda.iter().enumerate() {
        let Some(dossier) = state.store.dossier(item.dossier).await? else {
            continue;
        };
        items.push(ItemView {
            id: item.id,
            dossier: dossier.id,
            title: title_of(&dossier),
            structure: names.structure(&dossier),
            asked: dossier.application.asked.to_string(),
            state: dossier.state.label(),
            first: n == 0,
            last: n + 1 == agenda.len(),
            proposal: item.proposal.clone(),
            proposed: money_input(item.proposed),
            decided: item.outcome.is_some(),
            outcome: item
                .outcome
                .map_or_else(String::new, |o| o.label().to_owned()),
            amount: item.amount.map_or_else(String::new, |m| m.to_string()),
            decision_text: item.decision_text.clone(),
            unchecked: unchecked(&dossier.checks),
            choice: match typed {
                Some(fields) => Choice {
                    issue: field(fields, &format!("d_{}_issue", item.id)).to_owned(),
                    amount: field(fields, &format!("d_{}_montant", item.id)).to_owned(),
                    text: field(fields, &format!("d_{}_texte", item.id)).to_owned(),
                },
                None => Choice {
                    issue: String::new(),
                    amount: money_input(item.proposed),
                    text: String::new(),
                },
            },
        });
    }
    Ok(items)
}

async fn session_page(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    session: &CommitteeSession,
    typed: Typed<'_>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let names = Names::load(state).await?;
    let present = state.store.attendance(session.id).await?;
    let attendees = state
        .store
        .committee_members(Some(&session.committee), true)
        .await?
        .into_iter()
        .filter(|m| m.active || present.contains(&m.id))
        .map(|m| Attendee {
            present: present.contains(&m.id),
            id: m.id,
            name: m.name,
            quality: m.quality,
            role: m.role.label(),
        })
        .collect();
    let agenda = state.store.agenda(session.id).await?;
    let items = item_views(state, &names, &agenda, typed.decisions).await?;
    let held = session.status == SessionStatus::Held;
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SessionPage {
        layout: page_layout(state, "").await?,
        csrf,
        session: SessionView::of(session, &names),
        committees: names.committees(),
        attendees,
        undecided: items.iter().filter(|i| !i.decided).count(),
        items,
        candidates: if held {
            Vec::new()
        } else {
            candidates(state, &names).await?
        },
        minutes: typed.minutes.unwrap_or_else(|| session.minutes.clone()),
        administrator: user.principal.has(Role::Administrator),
        errors,
        notice,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// The session's page again, with what a form got wrong.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    session: &CommitteeSession,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    session_page(
        state,
        user,
        headers,
        session,
        Typed::default(),
        errors,
        None,
    )
    .await
}

/// `GET /administration/comites/{session}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    let notice = match query.get("fait").map(String::as_str) {
        Some("seance") => Some("La séance est enregistrée."),
        Some("presences") => Some("Les présences sont enregistrées."),
        Some("ordre") => Some("L’ordre du jour est mis à jour."),
        Some("proposition") => Some("La proposition est enregistrée."),
        Some("decisions") => {
            Some("Les décisions sont enregistrées ; les porteurs en sont informés.")
        }
        Some("proces-verbal") => Some("Le procès-verbal est enregistré."),
        Some("tenue") => {
            Some("La séance est close : ses décisions et son procès-verbal ne changent plus.")
        }
        _ => None,
    };
    session_page(
        &state,
        &user,
        &headers,
        &session,
        Typed::default(),
        Vec::new(),
        notice.map(str::to_owned),
    )
    .await
}

/// A form refused because the session is held.
fn held_error() -> FieldError {
    error(
        "seance",
        "La séance est tenue : ses présences, son ordre du jour, ses décisions et son \
         procès-verbal ne peuvent plus changer.",
    )
}

/// `POST /administration/comites/{session}`: the committee, date or place of a planned
/// session.
pub(crate) async fn update(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    let names = Names::load(&state).await?;
    let details = match SessionFields::parse(
        &names.context.plan,
        field(&fields, "comite"),
        field(&fields, "date"),
        field(&fields, "lieu"),
    ) {
        Ok(details) => details,
        Err(errors) => {
            return refused(&state, &user, &headers, &session, errors).await;
        }
    };
    let Some(updated) = state
        .store
        .update_committee_session(
            id,
            &SessionDetails {
                committee: &details.committee,
                date: details.date,
                place: &details.place,
            },
        )
        .await?
    else {
        return refused(&state, &user, &headers, &session, vec![held_error()]).await;
    };
    audit_event(
        &state,
        &user,
        "committee.session_updated",
        "committee_session",
        id,
        Some(serde_json::json!({
            "committee": updated.committee,
            "date": updated.date.to_string(),
        })),
    )
    .await?;
    Ok(Redirect::to(&format!("/administration/comites/{id}?fait=seance")).into_response())
}

/// `POST /administration/comites/{session}/presences`: who attended (`presents`, repeated).
pub(crate) async fn attendance(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    let members: Vec<i64> = state
        .store
        .committee_members(Some(&session.committee), true)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let present: Vec<i64> = all(&fields, "presents")
        .filter_map(|raw| raw.parse().ok())
        .filter(|id| members.contains(id))
        .collect();
    if !state.store.set_attendance(id, &present).await? {
        return refused(&state, &user, &headers, &session, vec![held_error()]).await;
    }
    audit_event(
        &state,
        &user,
        "committee.attendance_recorded",
        "committee_session",
        id,
        Some(serde_json::json!({ "present": present.len() })),
    )
    .await?;
    Ok(Redirect::to(&format!("/administration/comites/{id}?fait=presences")).into_response())
}

/// `POST /administration/comites/{session}/ordre-du-jour`: puts a dossier (`dossier`) last on
/// the agenda. A dossier still under instruction goes on the committee's agenda through the
/// state machine first (its instruction checks must be made).
pub(crate) async fn add_item(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    let refuse = |message: String| vec![error("dossier", format!("Dossier : {message}"))];
    if session.status == SessionStatus::Held {
        return refused(&state, &user, &headers, &session, vec![held_error()]).await;
    }
    let dossier = match field(&fields, "dossier").trim().parse::<i64>() {
        Ok(number) => state.store.dossier(number).await?,
        Err(_) => None,
    };
    let Some(dossier) = dossier else {
        let errors = refuse("choisissez un dossier de la liste.".to_owned());
        return refused(&state, &user, &headers, &session, errors).await;
    };
    if let Some((_, other)) = state
        .store
        .pending_agenda_dossiers()
        .await?
        .into_iter()
        .find(|(d, _)| *d == dossier.id)
    {
        let errors = refuse(format!(
            "« {} » attend déjà une décision à l’ordre du jour de la séance n° {other}.",
            title_of(&dossier)
        ));
        return refused(&state, &user, &headers, &session, errors).await;
    }
    match dossier.state {
        DossierState::OnAgenda => {}
        DossierState::UnderInstruction | DossierState::OpinionsRequested => {
            let action = Action::PutOnAgenda {
                unchecked: unchecked(&dossier.checks),
            };
            if let Err(e) =
                crate::dossiers::staff_transition(&state, &user, &dossier, &action, None, false)
                    .await?
            {
                let errors = refuse(format!("« {} » : {}", title_of(&dossier), e.message));
                return refused(&state, &user, &headers, &session, errors).await;
            }
        }
        other => {
            let errors = refuse(format!(
                "« {} » est {} : seuls les dossiers en instruction ou prêts pour le comité \
                 s’inscrivent à l’ordre du jour.",
                title_of(&dossier),
                other.label()
            ));
            return refused(&state, &user, &headers, &session, errors).await;
        }
    }
    match state.store.add_to_agenda(id, dossier.id).await? {
        AgendaChange::Added(item) => {
            audit_event(
                &state,
                &user,
                "committee.agenda_added",
                "dossier",
                dossier.id,
                Some(serde_json::json!({ "session": id, "item": item.id })),
            )
            .await?;
            Ok(Redirect::to(&format!("/administration/comites/{id}?fait=ordre")).into_response())
        }
        AgendaChange::SessionNotOpen => {
            refused(&state, &user, &headers, &session, vec![held_error()]).await
        }
        AgendaChange::AlreadyOnAgenda { session: other } => {
            let errors = refuse(format!(
                "« {} » attend déjà une décision à l’ordre du jour de la séance n° {other}.",
                title_of(&dossier)
            ));
            refused(&state, &user, &headers, &session, errors).await
        }
    }
}

/// `POST /administration/comites/{session}/ordre-du-jour/{item}/retirer`: takes an undecided
/// dossier off the agenda (it stays ready for another session).
pub(crate) async fn remove_item(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path((id, item)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    let found = item_of(&state, id, item).await?;
    if !state.store.remove_from_agenda(item).await? {
        let errors = vec![error(
            "ordre-du-jour",
            "Ordre du jour : un dossier décidé, ou d’une séance tenue, reste à l’ordre du jour.",
        )];
        return refused(&state, &user, &headers, &session, errors).await;
    }
    audit_event(
        &state,
        &user,
        "committee.agenda_removed",
        "dossier",
        found.dossier,
        Some(serde_json::json!({ "session": id })),
    )
    .await?;
    Ok(Redirect::to(&format!("/administration/comites/{id}?fait=ordre")).into_response())
}

/// `POST /administration/comites/{session}/ordre-du-jour/{item}/deplacer`: one rank up
/// (`sens=haut`) or down.
pub(crate) async fn move_item(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path((id, item)): Path<(i64, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    item_of(&state, id, item).await?;
    let up = field(&fields, "sens") == "haut";
    if !state.store.move_agenda_item(item, up).await? && session.status == SessionStatus::Held {
        return refused(&state, &user, &headers, &session, vec![held_error()]).await;
    }
    Ok(Redirect::to(&format!("/administration/comites/{id}?fait=ordre")).into_response())
}

/// `POST /administration/comites/{session}/ordre-du-jour/{item}/proposition`: the instructing
/// staff's proposal or opinion (`proposition`) and the amount proposed (`montant_propose`).
pub(crate) async fn proposal(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path((id, item)): Path<(i64, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    item_of(&state, id, item).await?;
    let prefix = format!("p_{item}");
    let mut errors = Vec::new();
    let text = long_text(
        &format!("{prefix}_texte"),
        "Proposition",
        field(&fields, "proposition"),
        MAX_TEXT,
    )
    .unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    let raw = field(&fields, "montant_propose").trim();
    let proposed = if raw.is_empty() {
        None
    } else {
        match Money::parse(raw) {
            Ok(amount) if amount > Money::ZERO => Some(amount),
            Ok(_) => {
                errors.push(error(
                    &format!("{prefix}_montant"),
                    "Montant proposé : il doit être positif.",
                ));
                None
            }
            Err(e) => {
                errors.push(error(
                    &format!("{prefix}_montant"),
                    format!("Montant proposé : {e}."),
                ));
                None
            }
        }
    };
    if !errors.is_empty() {
        return refused(&state, &user, &headers, &session, errors).await;
    }
    if !state
        .store
        .set_agenda_proposal(item, &text, proposed)
        .await?
    {
        let errors = vec![error(
            &format!("{prefix}_texte"),
            "Proposition : le dossier est décidé, ou la séance tenue ; elle ne change plus.",
        )];
        return refused(&state, &user, &headers, &session, errors).await;
    }
    audit_event(
        &state,
        &user,
        "committee.proposal_recorded",
        "committee_session",
        id,
        Some(serde_json::json!({
            "item": item,
            "proposed_cents": proposed.map(Money::cents),
        })),
    )
    .await?;
    Ok(Redirect::to(&format!("/administration/comites/{id}?fait=proposition")).into_response())
}

/// `POST /administration/comites/{session}/decisions`: the decisions taken in session, one per
/// agenda item (`d_{item}_issue`: accepte, refuse or ajourne; `d_{item}_montant`;
/// `d_{item}_texte`: conditions or motivation). Each is checked and applied in turn: an
/// acceptance or a refusal moves the dossier through the state machine (an acceptance within
/// the year's envelope, beyond it only for an administrator who ticks `depasser`); a
/// postponement leaves it ready for a later session. Errors name the dossier.
#[allow(clippy::too_many_lines)] // one pass over the items, each with its checks
pub(crate) async fn decisions(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    if session.status == SessionStatus::Held {
        return refused(&state, &user, &headers, &session, vec![held_error()]).await;
    }
    let override_asked = field(&fields, "depasser") == "1";
    let account = account_id(&user)?;
    let mut errors = Vec::new();
    let mut recorded = 0;
    for item in state.store.agenda(id).await? {
        if item.outcome.is_some() {
            continue;
        }
        let prefix = format!("d_{}", item.id);
        let Some(dossier) = state.store.dossier(item.dossier).await? else {
            continue;
        };
        let name = title_of(&dossier);
        let decision = match ItemDecision::parse(
            &prefix,
            field(&fields, &format!("{prefix}_issue")),
            field(&fields, &format!("{prefix}_montant")),
            field(&fields, &format!("{prefix}_texte")),
        ) {
            Ok(Some(decision)) => decision,
            Ok(None) => continue,
            Err(e) => {
                errors.push(error(&e.field, format!("« {name} » : {}", e.message)));
                continue;
            }
        };
        let record = ItemDecisionRecord {
            outcome: decision.outcome(),
            amount: decision.amount(),
            text: decision.text(),
            by: Some(account),
            at: Utc::now(),
        };
        // The dossier's step and the item's decision are written together, or not at all.
        let written = if let Some(chosen) = decision.dossier_decision(dossier.application.asked) {
            let action = Action::Decide {
                decision: chosen,
                unchecked: unchecked(&dossier.checks),
            };
            crate::dossiers::staff_transition_along(
                &state,
                &user,
                &dossier,
                &action,
                Along::AgendaDecision(item.id, &record),
                decision.amount(),
                override_asked,
            )
            .await?
            .map(|_| ())
        } else {
            match state
                .store
                .record_agenda_decision(item.id, &record, None)
                .await?
            {
                DecisionRecorded::Recorded(_) => Ok(()),
                DecisionRecorded::ItemClosed | DecisionRecorded::DossierMoved => Err(error(
                    "action",
                    "une décision a été enregistrée entre-temps, ou la séance est tenue ; \
                     rechargez la page.",
                )),
            }
        };
        if let Err(e) = written {
            let at = if e.field == "montant" {
                format!("{prefix}_montant")
            } else {
                format!("{prefix}_issue")
            };
            errors.push(error(&at, format!("« {name} » : {}", e.message)));
            continue;
        }
        recorded += 1;
        audit_event(
            &state,
            &user,
            "committee.decision_recorded",
            "dossier",
            dossier.id,
            Some(serde_json::json!({
                "session": id,
                "outcome": decision.outcome().code(),
                "amount_cents": decision.amount().map(Money::cents),
            })),
        )
        .await?;
        if !decision.text().is_empty() {
            let label = match &decision {
                ItemDecision::Accept { .. } => "Conditions fixées par le comité",
                ItemDecision::Refuse { .. } => "Motivation du comité",
                ItemDecision::Postpone { .. } => "Le comité a ajourné sa décision",
            };
            state
                .store
                .add_dossier_event(
                    dossier.id,
                    essor_store::dossiers::EventKind::Message,
                    &format!("{label} : {}", decision.text()),
                    Some(account),
                )
                .await?;
        }
    }
    if errors.is_empty() {
        return Ok(
            Redirect::to(&format!("/administration/comites/{id}?fait=decisions")).into_response(),
        );
    }
    let notice = (recorded > 0).then(|| {
        format!(
            "{recorded} décision{} enregistrée{} ; les autres sont à corriger.",
            plural(recorded),
            plural(recorded)
        )
    });
    let typed = Typed {
        minutes: None,
        decisions: Some(&fields),
    };
    session_page(&state, &user, &headers, &session, typed, errors, notice).await
}

/// What the minutes are drafted from.
async fn minutes_input(
    state: &AppState,
    names: &Names,
    session: &CommitteeSession,
) -> Result<MinutesInput, AppError> {
    let present = state.store.attendance(session.id).await?;
    let members = state
        .store
        .committee_members(Some(&session.committee), true)
        .await?;
    let (here, away): (Vec<_>, Vec<_>) = members
        .into_iter()
        .filter(|m| m.active || present.contains(&m.id))
        .partition(|m| present.contains(&m.id));
    let person = |m: CommitteeMember| (m.name, m.quality);
    let mut items = Vec::new();
    for item in state.store.agenda(session.id).await? {
        let Some(dossier) = state.store.dossier(item.dossier).await? else {
            continue;
        };
        items.push(MinutesItem {
            title: title_of(&dossier),
            structure: names.structure(&dossier),
            asked: dossier.application.asked,
            outcome: item.outcome,
            amount: item.amount,
            text: item.decision_text,
        });
    }
    Ok(MinutesInput {
        committee: names.committee(&session.committee),
        date: session.date,
        place: session.place.clone(),
        present: here.into_iter().map(person).collect(),
        absent: away.into_iter().map(person).collect(),
        items,
    })
}

/// `POST /administration/comites/{session}/proces-verbal`: saves the minutes
/// (`proces_verbal`), or, with `action=brouillon`, shows a draft written from the attendance
/// and the decisions, to edit before saving.
pub(crate) async fn minutes(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    if session.status == SessionStatus::Held {
        return refused(&state, &user, &headers, &session, vec![held_error()]).await;
    }
    if field(&fields, "action") == "brouillon" {
        let names = Names::load(&state).await?;
        let draft = draft_minutes(&minutes_input(&state, &names, &session).await?);
        let notice = Some(
            "Un brouillon du procès-verbal est proposé ci-dessous : relisez-le, puis enregistrez-le."
                .to_owned(),
        );
        return session_page(
            &state,
            &user,
            &headers,
            &session,
            Typed {
                minutes: Some(draft),
                decisions: None,
            },
            Vec::new(),
            notice,
        )
        .await;
    }
    let typed = field(&fields, "proces_verbal");
    let text = match long_text("proces_verbal", "Procès-verbal", typed, MAX_MINUTES) {
        Ok(text) => text,
        Err(e) => {
            return session_page(
                &state,
                &user,
                &headers,
                &session,
                Typed {
                    minutes: Some(typed.to_owned()),
                    decisions: None,
                },
                vec![e],
                None,
            )
            .await;
        }
    };
    if !state.store.set_minutes(id, &text).await? {
        return refused(&state, &user, &headers, &session, vec![held_error()]).await;
    }
    audit_event(
        &state,
        &user,
        "committee.minutes_saved",
        "committee_session",
        id,
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/administration/comites/{id}?fait=proces-verbal")).into_response())
}

/// `POST /administration/comites/{session}/tenue`: the session is held; once every item of its
/// agenda is decided, its decisions and minutes become read-only.
pub(crate) async fn mark_held(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    match state.store.mark_session_held(id, Utc::now()).await? {
        HeldChange::Held(_) => {
            audit_event(
                &state,
                &user,
                "committee.session_held",
                "committee_session",
                id,
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/administration/comites/{id}?fait=tenue")).into_response())
        }
        HeldChange::NotOpen => refused(&state, &user, &headers, &session, vec![held_error()]).await,
        HeldChange::Undecided(dossiers) => {
            let mut titles = Vec::new();
            for d in dossiers {
                if let Some(dossier) = state.store.dossier(d).await? {
                    titles.push(format!("« {} »", title_of(&dossier)));
                }
            }
            let errors = vec![error(
                "tenue",
                format!(
                    "Séance tenue : enregistrez d’abord une décision (accord, refus ou \
                     ajournement) pour {}.",
                    titles.join(", ")
                ),
            )];
            refused(&state, &user, &headers, &session, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The committee's file and the minutes, to print

struct BudgetLineView {
    label: String,
    amount: String,
}

struct FileItem {
    n: usize,
    dossier: i64,
    title: String,
    structure: String,
    siret: String,
    summary: String,
    axis: String,
    themes: String,
    communes: String,
    jobs: String,
    asked: String,
    cofinancers: String,
    expenses: Vec<BudgetLineView>,
    resources: Vec<BudgetLineView>,
    total_expenses: String,
    total_resources: String,
    /// Each instruction check: label, made.
    checks: Vec<(&'static str, bool)>,
    proposal: String,
    proposed: String,
    decision: String,
}

struct FileView {
    session: SessionView,
    members: Vec<Attendee>,
    envelope: Option<String>,
    total_asked: String,
    items: Vec<FileItem>,
    authority: String,
}

async fn file_view(state: &AppState, session: &CommitteeSession) -> Result<FileView, AppError> {
    let names = Names::load(state).await?;
    let plan = &names.context.plan;
    let present = state.store.attendance(session.id).await?;
    let members = state
        .store
        .committee_members(Some(&session.committee), true)
        .await?
        .into_iter()
        .filter(|m| m.active || present.contains(&m.id))
        .map(|m| Attendee {
            present: present.contains(&m.id),
            id: m.id,
            name: m.name,
            quality: m.quality,
            role: m.role.label(),
        })
        .collect();
    let mut items = Vec::new();
    let mut total_asked = Money::ZERO;
    for (n, item) in (1..).zip(state.store.agenda(session.id).await?) {
        let Some(dossier) = state.store.dossier(item.dossier).await? else {
            continue;
        };
        total_asked = total_asked + dossier.application.asked;
        items.push(file_item(n, &item, &dossier, &names, state.referential));
    }
    let year = session.date.year();
    let envelope = match plan.budgets.iter().find(|b| b.year == year) {
        Some(budget) => {
            let committed = state.store.committed(year).await?;
            let left = if committed < budget.amount {
                budget.amount - committed
            } else {
                Money::ZERO
            };
            Some(format!(
                "Enveloppe {year} : {} ; déjà engagé {committed} ; reste {left}.",
                budget.amount
            ))
        }
        None => None,
    };
    Ok(FileView {
        session: SessionView::of(session, &names),
        members,
        envelope,
        total_asked: total_asked.to_string(),
        items,
        authority: names.context.territory.name.clone(),
    })
}

/// One dossier of the committee's file.
fn file_item(
    n: usize,
    item: &AgendaItem,
    dossier: &Dossier,
    names: &Names,
    referential: &essor_domain::referential::Referential,
) -> FileItem {
    let plan = &names.context.plan;
    let a = &dossier.application;
    let lines = |lines: &[essor_domain::funding::BudgetLine]| -> Vec<BudgetLineView> {
        lines
            .iter()
            .map(|l| BudgetLineView {
                label: l.label.clone(),
                amount: l.amount.to_string(),
            })
            .collect()
    };
    FileItem {
        n,
        dossier: dossier.id,
        title: title_of(dossier),
        structure: names.structure(dossier),
        siret: dossier.siret.clone(),
        summary: a.summary.clone(),
        axis: a
            .axis
            .as_ref()
            .and_then(|k| plan.axis(k))
            .map_or_else(|| "non indiqué".to_owned(), |x| x.title.clone()),
        themes: a
            .themes
            .iter()
            .filter_map(|k| plan.theme(k))
            .map(|t| t.title.clone())
            .collect::<Vec<_>>()
            .join(", "),
        communes: a
            .communes
            .iter()
            .map(|c| crate::directory::commune_name(referential, c))
            .collect::<Vec<_>>()
            .join(", "),
        jobs: format!(
            "{} créé(s), {} consolidé(s)",
            a.jobs_created, a.jobs_consolidated
        ),
        asked: a.asked.to_string(),
        cofinancers: a.cofinancers.join(", "),
        expenses: lines(&a.budget.expenses),
        resources: lines(&a.budget.resources),
        total_expenses: a.budget.total_expenses().to_string(),
        total_resources: a.budget.total_resources().to_string(),
        checks: INSTRUCTION_CHECKS
            .iter()
            .map(|(key, label)| (*label, dossier.checks.iter().any(|c| c == key)))
            .collect(),
        proposal: item.proposal.clone(),
        proposed: item.proposed.map_or_else(String::new, |m| m.to_string()),
        decision: match (item.outcome, item.amount) {
            (Some(o), Some(amount)) => format!("{} : {amount}", o.label()),
            (Some(o), None) => o.label().to_owned(),
            (None, _) => String::new(),
        },
    }
}

#[derive(Template)]
#[template(path = "committee_file.html")]
struct FilePage {
    layout: Layout,
    file: FileView,
}

/// `GET /administration/comites/{session}/dossier-de-seance`: the committee's file, to print.
pub(crate) async fn file(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    let page = FilePage {
        layout: page_layout(&state, "").await?,
        file: file_view(&state, &session).await?,
    };
    Ok(axum::response::Html(page.render()?).into_response())
}

/// The pages of one dossier in the committee's file.
fn item_blocks(i: &FileItem) -> Vec<essor_pdf::Block> {
    use essor_pdf::Block;
    let mut blocks = Vec::new();
    blocks.push(Block::PageBreak);
    blocks.push(Block::Heading {
        level: 2,
        text: format!("{}. {}", i.n, i.title),
    });
    let mut fields = vec![
        ("Structure".to_owned(), i.structure.clone()),
        ("SIRET".to_owned(), i.siret.clone()),
        ("Dossier".to_owned(), format!("n° {}", i.dossier)),
        ("Axe du plan".to_owned(), i.axis.clone()),
        ("Thèmes".to_owned(), i.themes.clone()),
        ("Communes".to_owned(), i.communes.clone()),
        ("Emplois prévus".to_owned(), i.jobs.clone()),
        ("Montant demandé".to_owned(), i.asked.clone()),
        ("Cofinanceurs".to_owned(), i.cofinancers.clone()),
    ];
    fields.retain(|(_, value)| !value.is_empty());
    blocks.push(Block::Fields(fields));
    if !i.summary.is_empty() {
        blocks.push(Block::Heading {
            level: 3,
            text: "Résumé du projet".to_owned(),
        });
        blocks.push(Block::Paragraph(i.summary.clone()));
    }
    blocks.push(Block::Heading {
        level: 3,
        text: "Budget prévisionnel".to_owned(),
    });
    let mut rows: Vec<Vec<String>> = Vec::new();
    for l in &i.expenses {
        rows.push(vec![
            "Dépense".to_owned(),
            l.label.clone(),
            l.amount.clone(),
        ]);
    }
    rows.push(vec![
        "Dépenses".to_owned(),
        "Total".to_owned(),
        i.total_expenses.clone(),
    ]);
    for l in &i.resources {
        rows.push(vec![
            "Ressource".to_owned(),
            l.label.clone(),
            l.amount.clone(),
        ]);
    }
    rows.push(vec![
        "Ressources".to_owned(),
        "Total".to_owned(),
        i.total_resources.clone(),
    ]);
    blocks.push(Block::Table {
        header: vec![
            "Poste".to_owned(),
            "Intitulé".to_owned(),
            "Montant".to_owned(),
        ],
        rows,
        numeric: vec![false, false, true],
    });
    blocks.push(Block::Heading {
        level: 3,
        text: "Contrôles d’instruction".to_owned(),
    });
    blocks.push(Block::List(
        i.checks
            .iter()
            .map(|(label, made)| {
                format!("{label} : {}", if *made { "fait" } else { "non renseigné" })
            })
            .collect(),
    ));
    blocks.push(Block::Heading {
        level: 3,
        text: "Proposition de l’instruction".to_owned(),
    });
    let mut proposal = if i.proposal.is_empty() {
        "Pas de proposition écrite.".to_owned()
    } else {
        i.proposal.clone()
    };
    if !i.proposed.is_empty() {
        proposal = format!("{proposal}\nMontant proposé : {}", i.proposed);
    }
    blocks.push(Block::Paragraph(proposal));
    if !i.decision.is_empty() {
        blocks.push(Block::Fields(vec![(
            "Décision du comité".to_owned(),
            i.decision.clone(),
        )]));
    }
    blocks
}

fn file_document(file: &FileView) -> essor_pdf::Document {
    use essor_pdf::Block;
    let s = &file.session;
    let title = format!("Dossier de séance : {} du {}", s.committee, s.date_long);
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: title.clone(),
        },
        Block::Fields(vec![
            ("Comité".to_owned(), s.committee.clone()),
            ("Date".to_owned(), s.date.clone()),
            ("Lieu".to_owned(), s.place.clone()),
            ("Séance".to_owned(), s.status.to_owned()),
            (
                "Dossiers à l’ordre du jour".to_owned(),
                file.items.len().to_string(),
            ),
            ("Total demandé".to_owned(), file.total_asked.clone()),
        ]),
    ];
    if let Some(envelope) = &file.envelope {
        blocks.push(Block::Paragraph(envelope.clone()));
    }
    blocks.push(Block::Heading {
        level: 2,
        text: "Membres du comité".to_owned(),
    });
    if file.members.is_empty() {
        blocks.push(Block::Paragraph("Aucun membre enregistré.".to_owned()));
    } else {
        blocks.push(Block::List(
            file.members
                .iter()
                .map(|m| {
                    let presence = if s.held {
                        if m.present {
                            " — présent·e"
                        } else {
                            " — absent·e"
                        }
                    } else {
                        ""
                    };
                    format!("{}, {} ({}){presence}", m.name, m.quality, m.role)
                })
                .collect(),
        ));
    }
    blocks.push(Block::Heading {
        level: 2,
        text: "Ordre du jour".to_owned(),
    });
    if file.items.is_empty() {
        blocks.push(Block::Paragraph("Aucun dossier inscrit.".to_owned()));
    } else {
        blocks.push(Block::Table {
            header: vec![
                "N°".to_owned(),
                "Projet".to_owned(),
                "Structure".to_owned(),
                "Demandé".to_owned(),
                "Proposé".to_owned(),
            ],
            rows: file
                .items
                .iter()
                .map(|i| {
                    vec![
                        i.n.to_string(),
                        i.title.clone(),
                        i.structure.clone(),
                        i.asked.clone(),
                        i.proposed.clone(),
                    ]
                })
                .collect(),
            numeric: vec![true, false, false, true, true],
        });
    }
    for i in &file.items {
        blocks.extend(item_blocks(i));
    }
    essor_pdf::Document {
        title,
        author: file.authority.clone(),
        footer: format!(
            "{} — dossier de séance du {} — document de travail",
            s.committee, s.date
        ),
        blocks,
    }
}

/// `GET /administration/comites/{session}/dossier-de-seance.pdf`: the committee's file as a
/// PDF.
pub(crate) async fn file_pdf(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    let file = file_view(&state, &session).await?;
    let bytes =
        essor_pdf::render(&file_document(&file)).map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("dossier-de-seance-{}-{}.pdf", session.date, session.id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "committee_minutes.html")]
struct MinutesPage {
    layout: Layout,
    session: SessionView,
    minutes: String,
}

/// `GET /administration/comites/{session}/proces-verbal`: the minutes, to print.
pub(crate) async fn minutes_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let session = session_of(&state, id).await?;
    let names = Names::load(&state).await?;
    let page = MinutesPage {
        layout: page_layout(&state, "").await?,
        session: SessionView::of(&session, &names),
        minutes: session.minutes.clone(),
    };
    Ok(axum::response::Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// On the dossier's page

pub(crate) struct DossierSessionView {
    pub session: i64,
    pub committee: String,
    pub date: String,
    pub held: bool,
    /// The decision, in words, once taken.
    pub outcome: Option<&'static str>,
    pub amount: Option<String>,
    pub decision_text: String,
    /// Staff's proposal (shown to staff only).
    pub proposal: String,
}

/// The sessions a dossier was on, for its page.
pub(crate) struct DossierCommittees {
    pub items: Vec<DossierSessionView>,
}

/// The sessions a dossier went to, and what they decided. Staff's proposals are left out for
/// the applicant (`staff` false).
pub(crate) async fn for_dossier(
    state: &AppState,
    dossier: i64,
    staff: bool,
) -> Result<DossierCommittees, AppError> {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let mut items = Vec::new();
    for item in state.store.agenda_items_of_dossier(dossier).await? {
        let Some(session) = state.store.committee_session(item.session).await? else {
            continue;
        };
        items.push(DossierSessionView {
            session: session.id,
            committee: context
                .plan
                .committees
                .iter()
                .find(|c| c.key.as_str() == session.committee)
                .map_or_else(|| session.committee.clone(), |c| c.name.clone()),
            date: format_date(session.date),
            held: session.status == SessionStatus::Held,
            outcome: item.outcome.map(essor_domain::committee::Outcome::label),
            amount: item.amount.map(|m| m.to_string()),
            decision_text: item.decision_text,
            proposal: if staff { item.proposal } else { String::new() },
        });
    }
    Ok(DossierCommittees { items })
}
