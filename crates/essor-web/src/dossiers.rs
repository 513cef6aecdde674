//! Funding dossiers on the web: a structure applies (a draft it completes, a checklist, the
//! submission), staff instruct and decide through the state machine of
//! `essor_domain::dossier`, and both write in the dossier's thread (staff also keep private
//! notes). Every route reaching a dossier goes through the route guard, which lets in the
//! members of the structure that applied, and staff.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Utc};
use essor_domain::access::Role;
use essor_domain::actor::FieldError;
use essor_domain::dates::format_datetime;
use essor_domain::dossier::{
    Action, Application, CorrectionReason, Decision, District, INSTRUCTION_CHECKS, Party,
    State as DossierState, transition, unchecked,
};
use essor_domain::funding::{self, BudgetLine, Commitment, Consumption};
use essor_domain::{Money, Siret};
use essor_mail::Compose as _;
use essor_store::committees::{DecidedStep, DecisionRecorded, ItemDecisionRecord};
use essor_store::dossiers::{Dossier, EventKind, NewDossier};

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::error::AppError;
use crate::layout::Layout;
use crate::profiles::{account_id, all, field, is_staff};
use crate::{AppState, csrf, page_layout};

/// Budget lines the form shows on each side (filled ones, then blank ones up to this).
pub(crate) const BUDGET_ROWS: usize = 8;
/// Longest message or note, in characters.
pub(crate) const MAX_MESSAGE: usize = 5_000;

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Whether the person acts for the structure as one of its members (not only as staff).
pub(crate) fn is_member(user: &CurrentUser, siren: &str) -> bool {
    user.principal
        .structures
        .iter()
        .any(|s| s.as_str() == siren)
}

// ---------------------------------------------------------------------------------------------
// The applicant's list

struct DossierRow {
    id: i64,
    title: String,
    structure: String,
    state: &'static str,
    asked: String,
    updated: String,
}

impl DossierRow {
    fn of(dossier: &Dossier, structure: String) -> Self {
        Self {
            id: dossier.id,
            title: if dossier.application.title.is_empty() {
                "(sans titre)".to_owned()
            } else {
                dossier.application.title.clone()
            },
            structure,
            state: dossier.state.label(),
            asked: dossier.application.asked.to_string(),
            updated: format_datetime(dossier.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "dossiers.html")]
struct ListPage {
    layout: Layout,
    csrf: String,
    rows: Vec<DossierRow>,
    /// The establishments an account may apply for: SIRET and label.
    establishments: Vec<(String, String)>,
    has_structures: bool,
    siret: String,
    title: String,
    errors: Vec<FieldError>,
}

crate::profiles::form_errors!(ListPage);

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    fields: &[(String, String)],
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let (_, actors) = state.directory(false).await?;
    let mut rows = Vec::new();
    let mut establishments = Vec::new();
    for siren in &user.principal.structures {
        let mut mine: Vec<_> = actors
            .values()
            .filter(|a| a.siren == siren.as_str() && !a.is_manual())
            .collect();
        mine.sort_by(|a, b| (!a.head_office, &a.siret).cmp(&(!b.head_office, &b.siret)));
        let structure = mine
            .first()
            .map_or_else(|| format!("SIREN {siren}"), |a| a.name.clone());
        for dossier in state.store.dossiers_of_structure(siren.as_str()).await? {
            rows.push(DossierRow::of(&dossier, structure.clone()));
        }
        establishments.extend(mine.into_iter().map(|a| {
            (
                a.siret.clone(),
                format!("{}, {} (SIRET {})", a.name, a.commune_name, a.siret),
            )
        }));
    }
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        layout: page_layout(state, "").await?,
        csrf,
        rows,
        establishments,
        has_structures: !user.principal.structures.is_empty(),
        siret: field(fields, "siret").to_owned(),
        title: field(fields, "titre").trim().to_owned(),
        errors,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `GET /dossiers`: the dossiers of the structures the account acts for, and a new one.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    list_page(&state, &user, &headers, &[], Vec::new()).await
}

/// `POST /dossiers`: starts a draft for one of the structure's establishments in the directory
/// (the ESS establishments of the last SIRENE import). Only the structure's members apply:
/// staff instruct.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let title = field(&fields, "titre").trim();
    let mut errors = Vec::new();
    let siret = match applicant_siret(&state, &user, field(&fields, "siret")).await? {
        Ok(siret) => Some(siret),
        Err(message) => {
            errors.push(error("siret", format!("Établissement : {message}")));
            None
        }
    };
    if title.is_empty() || title.chars().count() > essor_domain::dossier::MAX_TITLE {
        errors.push(error(
            "titre",
            "Titre du projet : indiquez-le (200 caractères au plus).",
        ));
    }
    let Some(siret) = siret.filter(|_| errors.is_empty()) else {
        return list_page(&state, &user, &headers, &fields, errors).await;
    };
    let dossier = start_dossier(&state, &user, &siret, Utc::now().year(), title).await?;
    Ok(Redirect::to(&format!("/dossiers/{}", dossier.id)).into_response())
}

/// The establishment a signed-in account applies for (`raw`, a SIRET): one of the territory's
/// ESS establishments imported from SIRENE, of a structure the account acts for.
/// `Ok(Err(reason))` otherwise, in French, for the caller to put after its field's name.
pub(crate) async fn applicant_siret(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
) -> Result<Result<Siret, String>, AppError> {
    let siret = match Siret::parse(raw.trim()) {
        Ok(siret) => siret,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let (_, actors) = state.directory(false).await?;
    let known = actors
        .get(siret.as_str())
        .is_some_and(|a| !a.is_manual() && a.siren == siret.siren().as_str());
    Ok(if !known {
        Err(
            "il doit être l’un des établissements de l’ESS du territoire importés du \
             répertoire SIRENE."
                .to_owned(),
        )
    } else if !is_member(user, siret.siren().as_str()) {
        Err(
            "vous n’agissez pas pour cette structure ; revendiquez d’abord sa fiche dans \
             l’annuaire."
                .to_owned(),
        )
    } else {
        Ok(siret)
    })
}

/// Starts a draft for `siret` (checked by [`applicant_siret`]) in the envelope of `year`, and
/// writes it to the audit trail.
pub(crate) async fn start_dossier(
    state: &AppState,
    user: &CurrentUser,
    siret: &Siret,
    year: i32,
    title: &str,
) -> Result<Dossier, AppError> {
    let account = account_id(user)?;
    let application = Application {
        title: title.to_owned(),
        ..Application::default()
    };
    let dossier = state
        .store
        .create_dossier(&NewDossier {
            siret: siret.as_str(),
            siren: siret.siren().as_str(),
            year,
            application: &application,
            created_by: Some(account),
        })
        .await?;
    audit::record(
        state,
        AuditActor::Account(account),
        "dossier.created",
        "dossier",
        &dossier.id.to_string(),
        None,
    )
    .await;
    Ok(dossier)
}

// ---------------------------------------------------------------------------------------------
// One dossier

struct EventView {
    id: i64,
    when: String,
    kind: &'static str,
    body: String,
    note: bool,
}

struct BudgetRow {
    n: usize,
    label: String,
    amount: String,
}

fn budget_rows(lines: &[BudgetLine]) -> Vec<BudgetRow> {
    (1..=BUDGET_ROWS.max(lines.len() + 2))
        .map(|n| {
            let line = lines.get(n - 1);
            BudgetRow {
                n,
                label: line.map(|l| l.label.clone()).unwrap_or_default(),
                amount: line
                    .map(|l| l.amount.to_string().trim_end_matches(" €").to_owned())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// What the form shows: the application as saved, or as typed when it could not be.
struct FormValues {
    title: String,
    summary: String,
    description: String,
    communes: Vec<String>,
    districts: Vec<String>,
    axis: String,
    themes: Vec<String>,
    jobs_created: String,
    jobs_consolidated: String,
    asked: String,
    expenses: Vec<BudgetRow>,
    resources: Vec<BudgetRow>,
    cofinancers: String,
}

impl FormValues {
    fn of(application: &Application) -> Self {
        Self {
            title: application.title.clone(),
            summary: application.summary.clone(),
            description: application.description.clone(),
            communes: application.communes.clone(),
            districts: application
                .districts
                .iter()
                .map(|d| d.code().to_owned())
                .collect(),
            axis: application
                .axis
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            themes: application.themes.iter().map(ToString::to_string).collect(),
            jobs_created: application.jobs_created.to_string(),
            jobs_consolidated: application.jobs_consolidated.to_string(),
            asked: if application.asked == Money::ZERO {
                String::new()
            } else {
                application
                    .asked
                    .to_string()
                    .trim_end_matches(" €")
                    .to_owned()
            },
            expenses: budget_rows(&application.budget.expenses),
            resources: budget_rows(&application.budget.resources),
            cofinancers: application.cofinancers.join("\n"),
        }
    }

    fn typed(fields: &[(String, String)]) -> Self {
        let rows = |side: &str| {
            (1..=BUDGET_ROWS)
                .map(|n| BudgetRow {
                    n,
                    label: field(fields, &format!("{side}_{n}_libelle")).to_owned(),
                    amount: field(fields, &format!("{side}_{n}_montant")).to_owned(),
                })
                .collect()
        };
        Self {
            title: field(fields, "titre").to_owned(),
            summary: field(fields, "resume").to_owned(),
            description: field(fields, "description").to_owned(),
            communes: all(fields, "communes").map(str::to_owned).collect(),
            districts: all(fields, "quartiers").map(str::to_owned).collect(),
            axis: field(fields, "axe").to_owned(),
            themes: all(fields, "themes").map(str::to_owned).collect(),
            jobs_created: field(fields, "emplois_crees").to_owned(),
            jobs_consolidated: field(fields, "emplois_consolides").to_owned(),
            asked: field(fields, "montant_demande").to_owned(),
            expenses: rows("depenses"),
            resources: rows("ressources"),
            cofinancers: field(fields, "cofinanceurs").to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "dossier.html")]
struct DossierPage {
    layout: Layout,
    csrf: String,
    dossier: Dossier,
    state_label: &'static str,
    structure: String,
    staff: bool,
    administrator: bool,
    editable: bool,
    form: FormValues,
    checklist: Vec<String>,
    events: Vec<EventView>,
    communes: Vec<(String, String)>,
    axes: Vec<(String, String)>,
    themes: Vec<(String, String)>,
    districts: Vec<(String, &'static str)>,
    reasons: Vec<(&'static str, &'static str)>,
    /// The staff actions the dossier's state allows: value and label.
    actions: Vec<(&'static str, &'static str)>,
    /// The instruction checks: key, label, made.
    checks: Vec<(&'static str, &'static str, bool)>,
    /// The envelope of the dossier's year: committed and left, in words.
    envelope: Option<String>,
    /// The reports and evaluation of an accepted dossier.
    reports: Option<crate::reports::ReportsPanel>,
    /// The committee sessions the dossier went to (`dossier_committees.html`).
    committees: crate::committees::DossierCommittees,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
    /// Opinions, assignment and labels (`dossier_instruction.html`).
    instruction: crate::instruction::Panel,
    /// Whether it is demonstration data, and how its subsidy is published as open data.
    opendata: crate::opendata::DossierOpenData,
    /// Documents, the agreement, the schedule and the payments.
    funding: crate::funding::FundingView,
}

crate::profiles::form_errors!(DossierPage);

pub(crate) async fn dossier_of(state: &AppState, id: i64) -> Result<Dossier, AppError> {
    state.store.dossier(id).await?.ok_or(AppError::NotFound)
}

/// The staff actions a state allows, in the order the page lists them: the domain's table of
/// who does what from which state decides (an action's fields do not matter here).
pub(crate) fn staff_actions(dossier_state: DossierState) -> Vec<(&'static str, &'static str)> {
    let decision = Action::Decide {
        decision: Decision::Refuse {
            motivation: String::new(),
        },
        unchecked: Vec::new(),
    };
    let forms = [
        ("instruire", "Mettre en instruction", Action::Instruct),
        (
            "correction",
            "Demander une correction au porteur",
            Action::RequestCorrection {
                reason: CorrectionReason::Incomplete,
                message: String::new(),
            },
        ),
        ("avis", "Demander des avis", Action::RequestOpinions),
        ("reprendre", "Reprendre l’instruction", Action::Resume),
        (
            "comite",
            "Inscrire à l’ordre du jour du comité",
            Action::PutOnAgenda {
                unchecked: Vec::new(),
            },
        ),
        (
            "accepter",
            "Enregistrer l’accord du comité",
            decision.clone(),
        ),
        ("refuser", "Enregistrer le refus du comité", decision),
        ("rouvrir", "Retirer la décision et rouvrir", Action::Reopen),
        (
            "classer",
            "Classer sans suite",
            Action::Close {
                motivation: String::new(),
            },
        ),
    ];
    forms
        .into_iter()
        .filter(|(_, _, action)| {
            action.party() == Party::Staff && action.from_states().contains(&dossier_state)
        })
        .map(|(value, label, _)| (value, label))
        .collect()
}

/// The envelope of a year in the plan of the site, if it has one.
async fn envelope_of(state: &AppState, year: i32) -> Result<Option<Money>, AppError> {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    Ok(context
        .plan
        .budgets
        .iter()
        .find(|b| b.year == year)
        .map(|b| b.amount))
}

pub(crate) async fn envelope_line(state: &AppState, year: i32) -> Result<Option<String>, AppError> {
    let Some(envelope) = envelope_of(state, year).await? else {
        return Ok(None);
    };
    let committed = state.store.committed(year).await?;
    let left = if committed < envelope {
        envelope - committed
    } else {
        Money::ZERO
    };
    Ok(Some(format!(
        "Enveloppe {year} : {envelope} ; engagé {committed} ; reste {left}."
    )))
}

/// A dossier's thread as shown: staff see the private notes, the applicant does not.
async fn event_views(
    state: &AppState,
    dossier: i64,
    staff: bool,
) -> Result<Vec<EventView>, AppError> {
    Ok(state
        .store
        .dossier_events(dossier, !staff)
        .await?
        .into_iter()
        .map(|e| EventView {
            id: e.id,
            when: format_datetime(e.created_at),
            kind: match e.kind {
                EventKind::Transition => "Étape",
                EventKind::Message => "Message",
                EventKind::Note => "Note interne",
            },
            note: e.kind == EventKind::Note,
            body: e.body,
        })
        .collect())
}

pub(crate) async fn dossier_page(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    dossier: Dossier,
    typed: Option<&[(String, String)]>,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let (_, actors) = state.directory(false).await?;
    let staff = is_staff(user);
    let editable = is_member(user, &dossier.siren)
        && matches!(
            dossier.state,
            DossierState::Draft | DossierState::CorrectionRequested
        );
    let checklist = dossier
        .application
        .checklist(&context.plan, |code| context.territory.contains(code));
    let events = event_views(state, dossier.id, staff).await?;
    let structure = actors
        .get(&dossier.siret)
        .map_or_else(|| format!("SIRET {}", dossier.siret), |a| a.name.clone());
    let envelope = if staff {
        envelope_line(state, dossier.year).await?
    } else {
        None
    };
    let instruction = crate::instruction::panel(state, user, &dossier).await?;
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DossierPage {
        layout: page_layout(state, "").await?,
        csrf,
        state_label: dossier.state.label(),
        structure,
        staff,
        administrator: user.principal.has(Role::Administrator),
        editable,
        form: typed.map_or_else(|| FormValues::of(&dossier.application), FormValues::typed),
        checklist,
        events,
        communes: context
            .territory
            .communes
            .iter()
            .map(|c| (c.code.to_string(), c.name.clone()))
            .collect(),
        axes: context
            .plan
            .axes
            .iter()
            .map(|a| (a.key.to_string(), a.title.clone()))
            .collect(),
        themes: context
            .plan
            .themes
            .iter()
            .map(|t| (t.key.to_string(), t.title.clone()))
            .collect(),
        districts: District::ALL
            .iter()
            .map(|d| (d.code().to_owned(), d.label()))
            .collect(),
        reasons: CorrectionReason::ALL
            .iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        actions: if staff {
            staff_actions(dossier.state)
        } else {
            Vec::new()
        },
        checks: INSTRUCTION_CHECKS
            .iter()
            .map(|(key, label)| (*key, *label, dossier.checks.iter().any(|c| c == key)))
            .collect(),
        envelope,
        reports: crate::reports::panel(state, user, &dossier).await?,
        committees: crate::committees::for_dossier(state, dossier.id, staff).await?,
        errors,
        notice,
        instruction,
        opendata: crate::opendata::for_dossier(state, &dossier).await?,
        funding: crate::funding::view(state, user, &dossier).await?,
        dossier,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `GET /dossiers/{dossier}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    let notice = match query.get("fait").map(String::as_str) {
        Some("enregistre") => Some("La demande est enregistrée."),
        Some("depose") => Some("Le dossier est déposé : l’équipe de la collectivité l’instruit."),
        Some("message") => Some("Le message est ajouté au fil du dossier."),
        Some("etape") => Some("L’étape est enregistrée ; le porteur en est informé."),
        Some("controles") => Some("Les contrôles d’instruction sont enregistrés."),
        Some("piece") => Some("La pièce est ajoutée au dossier."),
        Some("piece-retiree") => Some("La pièce est retirée du dossier."),
        Some("convention") => Some("La convention est générée : elle est à faire signer."),
        Some("convention-signee") => Some("La convention signée et sa date sont enregistrées."),
        Some("echeancier") => Some("L’échéancier des versements est enregistré."),
        Some("versement") => Some("Le versement est enregistré."),
        Some(code) => crate::instruction::notice(code),
        None => None,
    };
    dossier_page(&state, &user, &headers, dossier, None, Vec::new(), notice).await
}

/// Reads the application form; the errors of the values that cannot be read.
pub(crate) fn application_from_form(fields: &[(String, String)]) -> (Application, Vec<FieldError>) {
    let mut errors = Vec::new();
    let key = |raw: &str| essor_domain::plan::Key::parse(raw).ok();
    let count = |name: &str, label: &str, errors: &mut Vec<FieldError>| {
        let raw = field(fields, name).trim();
        if raw.is_empty() {
            return 0;
        }
        raw.parse::<u32>().unwrap_or_else(|_| {
            errors.push(error(
                name,
                format!("{label} : un nombre entier, par exemple 2."),
            ));
            0
        })
    };
    let money = |name: &str, label: &str, errors: &mut Vec<FieldError>| {
        let raw = field(fields, name).trim();
        if raw.is_empty() {
            return Money::ZERO;
        }
        Money::parse(raw).unwrap_or_else(|e| {
            errors.push(error(name, format!("{label} : {e}.")));
            Money::ZERO
        })
    };
    let lines = |side: &str, title: &str, errors: &mut Vec<FieldError>| {
        let mut lines = Vec::new();
        for n in 1..=BUDGET_ROWS {
            let label = field(fields, &format!("{side}_{n}_libelle")).trim();
            let amount_name = format!("{side}_{n}_montant");
            if label.is_empty() && field(fields, &amount_name).trim().is_empty() {
                continue;
            }
            let amount = money(&amount_name, &format!("{title}, ligne {n}"), errors);
            lines.push(BudgetLine {
                label: label.to_owned(),
                amount,
            });
        }
        lines
    };
    let expenses = lines("depenses", "Dépenses", &mut errors);
    let resources = lines("ressources", "Ressources", &mut errors);
    let application = Application {
        title: field(fields, "titre").trim().to_owned(),
        summary: field(fields, "resume").trim().to_owned(),
        description: field(fields, "description").trim().to_owned(),
        communes: all(fields, "communes").map(str::to_owned).collect(),
        districts: all(fields, "quartiers")
            .filter_map(|code| District::ALL.into_iter().find(|d| d.code() == code))
            .collect(),
        axis: key(field(fields, "axe")),
        themes: all(fields, "themes").filter_map(key).collect(),
        jobs_created: count("emplois_crees", "Emplois créés", &mut errors),
        jobs_consolidated: count("emplois_consolides", "Emplois consolidés", &mut errors),
        budget: funding::Budget {
            expenses,
            resources,
        },
        asked: money("montant_demande", "Montant demandé", &mut errors),
        cofinancers: field(fields, "cofinanceurs")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    (application, errors)
}

/// `POST /dossiers/{dossier}`: saves the application, for a member, while it can be edited.
pub(crate) async fn save(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    if !is_member(&user, &dossier.siren) {
        return Err(AppError::Forbidden);
    }
    let (application, errors) = application_from_form(&fields);
    if !errors.is_empty() {
        return dossier_page(
            &state,
            &user,
            &headers,
            dossier,
            Some(&fields),
            errors,
            None,
        )
        .await;
    }
    if state
        .store
        .save_application(id, &application)
        .await?
        .is_some()
    {
        return Ok(Redirect::to(&format!("/dossiers/{id}?fait=enregistre")).into_response());
    }
    let errors = vec![error(
        "titre",
        format!(
            "Le dossier est {} : il ne peut plus être modifié.",
            dossier.state.label()
        ),
    )];
    dossier_page(
        &state,
        &user,
        &headers,
        dossier,
        Some(&fields),
        errors,
        None,
    )
    .await
}

/// What a step is recorded with.
#[derive(Clone, Copy)]
pub(crate) enum Along<'a> {
    /// Nothing: the step alone.
    Alone,
    /// The decision on a committee's agenda item (its id), written in the same transaction.
    AgendaDecision(i64, &'a ItemDecisionRecord<'a>),
}

/// Checks and records a transition (with what goes `along` with it), writes it to the audit
/// trail and tells the applicant. `Ok(Err(message))` when the state machine refuses it or the
/// dossier (or the agenda item) changed meanwhile.
pub(crate) async fn apply(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
    action: &Action,
    party: Party,
    along: Along<'_>,
    granted: Option<Money>,
) -> Result<Result<Dossier, String>, AppError> {
    const MOVED: &str = "Le dossier a changé entre-temps : rechargez la page.";
    let step = match transition(dossier.state, action, party) {
        Ok(step) => step,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let account = account_id(user)?;
    let recorded = match along {
        Along::Alone => state
            .store
            .record_transition(dossier.id, &step, granted, Some(account), Utc::now())
            .await?
            .ok_or(MOVED),
        Along::AgendaDecision(item, decision) => {
            let step = DecidedStep {
                dossier: dossier.id,
                transition: &step,
                granted,
            };
            match state
                .store
                .record_agenda_decision(item, decision, Some(&step))
                .await?
            {
                DecisionRecorded::Recorded(Some(recorded)) => Ok(*recorded),
                DecisionRecorded::Recorded(None) | DecisionRecorded::DossierMoved => Err(MOVED),
                DecisionRecorded::ItemClosed => Err(
                    "une décision a été enregistrée entre-temps, ou la séance est tenue ; \
                     rechargez la page.",
                ),
            }
        }
    };
    let recorded = match recorded {
        Ok(recorded) => recorded,
        Err(message) => return Ok(Err(message.to_owned())),
    };
    audit::record(
        state,
        AuditActor::Account(account),
        &format!("dossier.{}", action.code()),
        "dossier",
        &dossier.id.to_string(),
        Some(serde_json::json!({
            "from": step.from.code(),
            "to": step.to.code(),
            "granted_cents": granted.map(Money::cents),
        })),
    )
    .await;
    state.webhooks.wake();
    notify(state, &recorded, &step.message).await?;
    Ok(Ok(recorded))
}

/// Tells the dossier's creator of a step.
pub(crate) async fn notify(
    state: &AppState,
    dossier: &Dossier,
    message: &str,
) -> Result<(), AppError> {
    let about = dossier.state.label();
    tell(state, dossier.created_by, dossier, about, message, None).await
}

/// Tells `to` (the dossier's creator, or the chargée de mission it is assigned to) by mail of
/// `message`, the subject naming the dossier and what it is `about`, with a link to the
/// dossier (or to `path`). Nothing when there is nobody to tell.
pub(crate) async fn tell(
    state: &AppState,
    to: Option<i64>,
    dossier: &Dossier,
    about: &str,
    message: &str,
    path: Option<&str>,
) -> Result<(), AppError> {
    let Some(id) = to else {
        return Ok(());
    };
    if let Some(account) = state.store.account(id).await? {
        tell_account(state, &account, dossier, about, message, path).await;
    }
    Ok(())
}

/// [`tell`], the account at hand.
async fn tell_account(
    state: &AppState,
    account: &essor_store::accounts::Account,
    dossier: &Dossier,
    about: &str,
    message: &str,
    path: Option<&str>,
) {
    let title = if dossier.application.title.is_empty() {
        format!("n° {}", dossier.id)
    } else {
        format!("« {} »", dossier.application.title)
    };
    let own = dossier.created_by == Some(account.id);
    let mail = essor_mail::Notification {
        name: Some(account.display_name.clone()),
        subject: if own {
            format!("Votre dossier {title} : {about}")
        } else {
            format!("Dossier {title} : {about}")
        },
        paragraphs: vec![message.to_owned()],
        link: Some(essor_mail::Link {
            label: "Voir le dossier".to_owned(),
            url: state
                .accounts
                .site
                .link(path.unwrap_or(&format!("/dossiers/{}", dossier.id)), &[]),
        }),
    }
    .compose(&state.accounts.site);
    crate::account::send(state, &account.email, &account.display_name, mail).await;
}

/// Tells the staff of `dossier` by mail (see [`tell`]): the chargée de mission it is assigned
/// to, or every chargée de mission while it is assigned to nobody, so that nothing the
/// structure sends waits unseen.
pub(crate) async fn tell_staff(
    state: &AppState,
    dossier: &Dossier,
    about: &str,
    message: &str,
    path: Option<&str>,
) -> Result<(), AppError> {
    if dossier.assigned_to.is_some() {
        return tell(state, dossier.assigned_to, dossier, about, message, path).await;
    }
    for account in crate::instruction::chargees(state).await? {
        tell_account(state, &account, dossier, about, message, path).await;
    }
    Ok(())
}

/// The applicant's submission of `dossier` (the web form and the API): the first one, or the
/// corrections asked for sent back, with what the application still lacks.
pub(crate) async fn submission(state: &AppState, dossier: &Dossier) -> Result<Action, AppError> {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let missing = dossier
        .application
        .checklist(&context.plan, |code| context.territory.contains(code));
    Ok(if dossier.state == DossierState::CorrectionRequested {
        Action::SendCorrections { missing }
    } else {
        Action::Submit { missing }
    })
}

/// Tells the dossier's staff of the structure's `submission` (see [`submission`]).
pub(crate) async fn tell_staff_submitted(
    state: &AppState,
    dossier: &Dossier,
    submission: &Action,
) -> Result<(), AppError> {
    let (about, message) = if matches!(submission, Action::SendCorrections { .. }) {
        (
            "corrections envoyées",
            "La structure a envoyé les corrections demandées : le dossier attend la reprise de \
             son instruction.",
        )
    } else {
        (
            "dossier déposé",
            "La structure a déposé son dossier : il attend son instruction.",
        )
    };
    tell_staff(state, dossier, about, message, None).await
}

/// Tells of a message `body` written in the dossier's thread by `user` (the web form and the
/// API): a staff's message tells the structure, the structure's tells the staff, a `note`
/// nobody.
pub(crate) async fn tell_of_message(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
    body: &str,
    note: bool,
) -> Result<(), AppError> {
    if note {
        return Ok(());
    }
    if is_staff(user) {
        return notify(state, dossier, body).await;
    }
    let message = format!("La structure a écrit dans le fil du dossier : « {body} »");
    tell_staff(state, dossier, "nouveau message", &message, None).await
}

/// `POST /dossiers/{dossier}/deposer`: the applicant submits the draft, or sends the
/// corrections asked for; staff are told (see [`tell_staff`]).
pub(crate) async fn submit(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    if !is_member(&user, &dossier.siren) {
        return Err(AppError::Forbidden);
    }
    let action = submission(&state, &dossier).await?;
    match apply(
        &state,
        &user,
        &dossier,
        &action,
        Party::Applicant,
        Along::Alone,
        None,
    )
    .await?
    {
        Ok(_) => {
            tell_staff_submitted(&state, &dossier, &action).await?;
            Ok(Redirect::to(&format!("/dossiers/{id}?fait=depose")).into_response())
        }
        Err(message) => {
            let errors = vec![error("depot", message)];
            dossier_page(&state, &user, &headers, dossier, None, errors, None).await
        }
    }
}

/// `POST /dossiers/{dossier}/messages`: a message in the dossier's thread, with an optional
/// attachment (`piece_jointe`, a multipart form then).
pub(crate) async fn message(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    let (fields, upload) = match crate::funding::message_form(&state, request).await? {
        Ok(read) => read,
        Err(e) => return dossier_page(&state, &user, &headers, dossier, None, vec![e], None).await,
    };
    let body = field(&fields, "message").trim();
    let note = field(&fields, "interne") == "1";
    if note && !is_staff(&user) {
        return Err(AppError::Forbidden);
    }
    if body.is_empty() || body.chars().count() > MAX_MESSAGE {
        let errors = vec![error(
            "message",
            "Message : écrivez-le (5 000 caractères au plus).",
        )];
        return dossier_page(&state, &user, &headers, dossier, None, errors, None).await;
    }
    if let Some(upload) = upload {
        let checked = if note {
            Err(error(
                "piece_jointe",
                "Pièce jointe : une note interne n’en porte pas ; envoyez-la dans un message.",
            ))
        } else {
            upload
                .check("Pièce jointe")
                .map_err(|e| error("piece_jointe", e.to_string()))
        };
        let file = match checked {
            Ok(file) => file,
            Err(e) => {
                return dossier_page(&state, &user, &headers, dossier, None, vec![e], None).await;
            }
        };
        crate::funding::add_message_with_attachment(&state, &user, &dossier, body, &file, &upload)
            .await?;
    } else {
        let kind = if note {
            EventKind::Note
        } else {
            EventKind::Message
        };
        state
            .store
            .add_dossier_event(id, kind, body, Some(account_id(&user)?))
            .await?;
    }
    tell_of_message(&state, &user, &dossier, body, note).await?;
    Ok(Redirect::to(&format!("/dossiers/{id}?fait=message")).into_response())
}

/// The action a staff form asks for, with its guards' inputs.
pub(crate) fn staff_action(
    fields: &[(String, String)],
    dossier: &Dossier,
) -> Result<(Action, Option<Money>), FieldError> {
    let text = |name: &str| field(fields, name).trim().to_owned();
    let action = match field(fields, "action") {
        "instruire" => Action::Instruct,
        "correction" => Action::RequestCorrection {
            reason: CorrectionReason::parse(field(fields, "motif_correction")).ok_or_else(
                || error("motif_correction", "Motif : choisissez pourquoi corriger."),
            )?,
            message: text("texte"),
        },
        "avis" => Action::RequestOpinions,
        "reprendre" => Action::Resume,
        "comite" => Action::PutOnAgenda {
            unchecked: unchecked(&dossier.checks),
        },
        "accepter" => {
            let amount = Money::parse(field(fields, "montant").trim())
                .map_err(|e| error("montant", format!("Montant accordé : {e}.")))?;
            return Ok((
                Action::Decide {
                    decision: Decision::Accept {
                        amount,
                        asked: dossier.application.asked,
                    },
                    unchecked: unchecked(&dossier.checks),
                },
                Some(amount),
            ));
        }
        "refuser" => Action::Decide {
            decision: Decision::Refuse {
                motivation: text("texte"),
            },
            unchecked: unchecked(&dossier.checks),
        },
        "classer" => Action::Close {
            motivation: text("texte"),
        },
        "rouvrir" => Action::Reopen,
        _ => return Err(error("action", "Action : choisissez une étape.")),
    };
    Ok((action, None))
}

/// `POST /administration/dossiers/{id}/etapes`: a staff step; an acceptance is checked against
/// the year's envelope (beyond it only for an administrator who says so).
pub(crate) async fn staff_step(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    let (action, granted) = match staff_action(&fields, &dossier) {
        Ok(found) => found,
        Err(e) => return dossier_page(&state, &user, &headers, dossier, None, vec![e], None).await,
    };
    let override_asked = field(&fields, "depasser") == "1";
    match staff_transition(&state, &user, &dossier, &action, granted, override_asked).await? {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{id}?fait=etape")).into_response()),
        Err(e) => dossier_page(&state, &user, &headers, dossier, None, vec![e], None).await,
    }
}

/// A step taken by staff: an acceptance (`granted`) is first checked against the year's
/// envelope, beyond it only for an administrator who asks to (`override_asked`, audited as
/// `dossier.envelope_overridden`); then the transition is checked, recorded, audited and told
/// to the applicant. `Ok(Err(_))` names the field at fault (`montant` or `action`) with the
/// reason, when the envelope or the state machine refuses the step.
pub(crate) async fn staff_transition(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
    action: &Action,
    granted: Option<Money>,
    override_asked: bool,
) -> Result<Result<Dossier, FieldError>, AppError> {
    staff_transition_along(
        state,
        user,
        dossier,
        action,
        Along::Alone,
        granted,
        override_asked,
    )
    .await
}

/// [`staff_transition`], with what the step is recorded `along` with.
pub(crate) async fn staff_transition_along(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
    action: &Action,
    along: Along<'_>,
    granted: Option<Money>,
    override_asked: bool,
) -> Result<Result<Dossier, FieldError>, AppError> {
    let mut overridden = None;
    let mut axis_overridden = None;
    if let Some(amount) = granted {
        let envelope = envelope_of(state, dossier.year).await?;
        let consumed = Consumption {
            committed: state.store.committed(dossier.year).await?,
            paid: Money::ZERO,
        };
        let override_asked = override_asked && user.principal.has(Role::Administrator);
        match funding::commit(dossier.year, envelope, consumed, amount, override_asked) {
            Ok(Commitment::Within { .. }) => {}
            Ok(Commitment::Overridden { beyond }) => overridden = Some(beyond),
            Err(e) => return Ok(Err(error("montant", e.to_string()))),
        }
        match crate::steering::check_axis_envelope(state, dossier, amount, override_asked).await? {
            Ok(beyond) => axis_overridden = beyond,
            Err(e) => return Ok(Err(e)),
        }
    }
    match apply(state, user, dossier, action, Party::Staff, along, granted).await? {
        Ok(recorded) => {
            if let Some(beyond) = overridden {
                audit::record(
                    state,
                    AuditActor::Account(account_id(user)?),
                    "dossier.envelope_overridden",
                    "dossier",
                    &dossier.id.to_string(),
                    Some(serde_json::json!({
                        "year": dossier.year,
                        "beyond_cents": beyond.cents(),
                    })),
                )
                .await;
            }
            if let Some(beyond) = axis_overridden {
                crate::steering::audit_axis_override(state, user, dossier, beyond).await?;
            }
            Ok(Ok(recorded))
        }
        Err(message) => Ok(Err(error("action", message))),
    }
}

/// `POST /administration/dossiers/{id}/controles`: the instruction checks made (`controles`,
/// repeated), all needed before the committee.
pub(crate) async fn set_checks(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let checks: Vec<String> = INSTRUCTION_CHECKS
        .iter()
        .filter(|(key, _)| all(&fields, "controles").any(|c| c == *key))
        .map(|(key, _)| (*key).to_owned())
        .collect();
    if !state.store.set_instruction_checks(id, &checks).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to(&format!("/dossiers/{id}?fait=controles")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Exports

/// A cell of an export.
pub(crate) enum Cell {
    Text(String),
    Money(Option<Money>),
    Count(u32),
}

/// What the columns of an export read besides the dossier: names from the directory and the
/// plan.
pub(crate) struct Names {
    pub(crate) actors: crate::directory::Actors,
    pub(crate) context: std::sync::Arc<crate::site::SiteContext>,
    pub(crate) referential: &'static essor_domain::referential::Referential,
}

impl Names {
    fn structure(&self, dossier: &Dossier) -> String {
        self.actors
            .get(&dossier.siret)
            .map_or_else(String::new, |a| a.name.clone())
    }

    fn axis(&self, dossier: &Dossier) -> String {
        dossier
            .application
            .axis
            .as_ref()
            .and_then(|key| self.context.plan.axis(key))
            .map_or_else(String::new, |a| a.title.clone())
    }

    fn themes(&self, dossier: &Dossier) -> String {
        dossier
            .application
            .themes
            .iter()
            .filter_map(|key| self.context.plan.theme(key))
            .map(|t| t.title.clone())
            .collect::<Vec<_>>()
            .join(" ; ")
    }

    fn communes(&self, dossier: &Dossier) -> String {
        dossier
            .application
            .communes
            .iter()
            .map(|code| crate::directory::commune_name(self.referential, code))
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

pub(crate) type Read = fn(&Dossier, &Names) -> Cell;

/// The columns an export may have: key (in the query), label (in the file), value.
pub(crate) const EXPORT_COLUMNS: [(&str, &str, Read); 17] = [
    ("numero", "N°", |d, _| {
        Cell::Count(u32::try_from(d.id).unwrap_or(u32::MAX))
    }),
    ("structure", "Structure", |d, n| Cell::Text(n.structure(d))),
    ("siret", "SIRET", |d, _| Cell::Text(d.siret.clone())),
    ("projet", "Projet", |d, _| {
        Cell::Text(d.application.title.clone())
    }),
    ("etat", "État", |d, _| {
        Cell::Text(d.state.label().to_owned())
    }),
    ("annee", "Année de l’enveloppe", |d, _| {
        Cell::Count(u32::try_from(d.year).unwrap_or_default())
    }),
    ("montant_demande", "Montant demandé (€)", |d, _| {
        Cell::Money(Some(d.application.asked))
    }),
    ("montant_accorde", "Montant accordé (€)", |d, _| {
        Cell::Money(d.granted)
    }),
    ("axe", "Axe du plan", |d, n| Cell::Text(n.axis(d))),
    ("themes", "Thèmes", |d, n| Cell::Text(n.themes(d))),
    ("communes", "Communes", |d, n| Cell::Text(n.communes(d))),
    ("quartiers", "Quartiers", |d, _| {
        Cell::Text(
            d.application
                .districts
                .iter()
                .map(|q| q.code().to_uppercase())
                .collect::<Vec<_>>()
                .join(" ; "),
        )
    }),
    ("emplois_crees", "Emplois créés (prévus)", |d, _| {
        Cell::Count(d.application.jobs_created)
    }),
    (
        "emplois_consolides",
        "Emplois consolidés (prévus)",
        |d, _| Cell::Count(d.application.jobs_consolidated),
    ),
    ("depose_le", "Déposé le", |d, _| {
        Cell::Text(
            d.submitted_at
                .map(|t| essor_domain::dates::format_date(t.date_naive()))
                .unwrap_or_default(),
        )
    }),
    ("decide_le", "Décidé le", |d, _| {
        Cell::Text(
            d.decided_at
                .map(|t| essor_domain::dates::format_date(t.date_naive()))
                .unwrap_or_default(),
        )
    }),
    ("cofinanceurs", "Cofinanceurs", |d, _| {
        Cell::Text(d.application.cofinancers.join(" ; "))
    }),
];

/// The columns shown by default.
pub(crate) const DEFAULT_COLUMNS: [&str; 8] = [
    "numero",
    "structure",
    "projet",
    "etat",
    "annee",
    "montant_demande",
    "montant_accorde",
    "axe",
];

/// `GET /administration/dossiers/export?format=csv|xlsx&etat=&colonnes=…`: the dossiers (of a
/// state, or all), with the columns chosen (the default ones when none is).
pub(crate) async fn export(
    State(state): State<AppState>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let chosen: Vec<&str> = all(&pairs, "colonnes").collect();
    let columns: Vec<&(&str, &str, Read)> = EXPORT_COLUMNS
        .iter()
        .filter(|(key, _, _)| {
            if chosen.is_empty() {
                DEFAULT_COLUMNS.contains(key)
            } else {
                chosen.contains(key)
            }
        })
        .collect();
    let only = DossierState::parse(field(&pairs, "etat"));
    let (context, actors) = state.directory(false).await?;
    let names = Names {
        actors,
        context,
        referential: state.referential,
    };
    let dossiers = state.store.dossiers(only).await?;
    let rows: Vec<Vec<Cell>> = dossiers
        .iter()
        .map(|d| columns.iter().map(|(_, _, read)| read(d, &names)).collect())
        .collect();
    let labels: Vec<&str> = columns.iter().map(|(_, label, _)| *label).collect();
    let name = format!(
        "dossiers-{}",
        only.map_or("tous", essor_domain::dossier::State::code)
    );
    if field(&pairs, "format") == "xlsx" {
        let bytes = xlsx(&labels, &rows).map_err(|e| AppError::Internal(e.to_string()))?;
        return Ok(download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{name}.xlsx"),
            bytes,
        ));
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| AppError::Internal(e.to_string());
    writer.write_record(&labels).map_err(failed)?;
    for row in &rows {
        let record: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(text) => spreadsheet_safe(text),
                // Machine-readable: a point before the cents, no thousands separator.
                Cell::Money(amount) => amount.map_or_else(String::new, |m| {
                    let cents = m.cents();
                    format!("{}.{:02}", cents / 100, (cents % 100).abs())
                }),
                Cell::Count(n) => n.to_string(),
            })
            .collect();
        writer.write_record(&record).map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("{name}.csv"),
        bytes,
    ))
}

/// A text cell that a spreadsheet opening the CSV will not take for a formula: what applicants
/// wrote starting with `=`, `+`, `-`, `@` or a control character gets a leading apostrophe.
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn download(content_type: &'static str, file: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{file}\"");
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A workbook of one sheet: bold headers, amounts as numbers in euros, counts as numbers.
fn xlsx(labels: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Dossiers")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let euros = rust_xlsxwriter::Format::new().set_num_format("#,##0.00\\ \"€\"");
    for (col, label) in (0u16..).zip(labels) {
        sheet.write_string_with_format(0, col, *label, &bold)?;
    }
    for (row, cells) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(row, col, text)?;
                }
                Cell::Money(Some(amount)) => {
                    // A spreadsheet's numbers are binary floating point: exact for any amount
                    // in cents below 2^53, and only written, never computed with.
                    #[allow(clippy::cast_precision_loss)]
                    let value = amount.cents() as f64 / 100.0;
                    sheet.write_number_with_format(row, col, value, &euros)?;
                }
                Cell::Money(None) => {}
                Cell::Count(n) => {
                    sheet.write_number(row, col, f64::from(*n))?;
                }
            }
        }
    }
    sheet.autofit();
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staff_forms_offer_what_the_state_machine_allows() {
        let values = |state| {
            staff_actions(state)
                .into_iter()
                .map(|(value, _)| value)
                .collect::<Vec<_>>()
        };
        assert!(values(DossierState::Draft).is_empty());
        assert_eq!(values(DossierState::Submitted), ["instruire", "classer"]);
        assert_eq!(
            values(DossierState::UnderInstruction),
            ["correction", "avis", "comite", "classer"]
        );
        assert_eq!(
            values(DossierState::OnAgenda),
            ["accepter", "refuser", "classer"]
        );
        assert_eq!(values(DossierState::CorrectionRequested), ["classer"]);
        assert_eq!(values(DossierState::Closed), ["rouvrir"]);
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_defused() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+33 4 76"), "'+33 4 76");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Atelier - vélo"), "Atelier - vélo");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
