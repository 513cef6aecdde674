//! The follow-up of an accepted dossier on the web: the structure writes and submits its
//! intermediate and final reports (activity, actual jobs, the financial report against the
//! application's budget); staff set their due dates, accept them or send them back with a
//! reason, then evaluate the project once the final report is received. The report pages sit
//! under the dossier's path, so the route guard lets in only the applying structure's members
//! and staff; staff's forms are under `/administration/`.

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use essor_domain::Money;
use essor_domain::actor::FieldError;
use essor_domain::dates::{format_date, parse_date};
use essor_domain::dossier::{Party, State as DossierState};
use essor_domain::reports::{
    Achievement, Evaluation, FinancialReport, ReportAction, ReportContent, ReportKind, ReportLine,
    ReportStatus, may_evaluate, step,
};
use essor_store::dossiers::Dossier;
use essor_store::reports::StoredReport;

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::error::AppError;
use crate::layout::Layout;
use crate::profiles::{account_id, all, field, is_staff};
use crate::{AppState, csrf, page_layout};

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn is_member(user: &CurrentUser, siren: &str) -> bool {
    user.principal
        .structures
        .iter()
        .any(|s| s.as_str() == siren)
}

async fn dossier_of(state: &AppState, id: i64) -> Result<Dossier, AppError> {
    state.store.dossier(id).await?.ok_or(AppError::NotFound)
}

/// A report's due date: the one staff set, or the default after the decision.
fn due_of(dossier: &Dossier, kind: ReportKind, stored: Option<&StoredReport>) -> Option<NaiveDate> {
    stored
        .and_then(|r| r.due_on)
        .or_else(|| dossier.decided_at.map(|d| kind.default_due(d.date_naive())))
}

fn project_title(dossier: &Dossier) -> String {
    if dossier.application.title.is_empty() {
        format!("Dossier n° {}", dossier.id)
    } else {
        dossier.application.title.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// The panel on the dossier's page

/// One report in the dossier's panel.
pub(crate) struct ReportSummary {
    pub code: &'static str,
    pub label: &'static str,
    pub due: String,
    pub status: &'static str,
    pub overdue: bool,
}

/// The follow-up of an accepted dossier, as its page shows it (`dossier_reports.html`).
pub(crate) struct ReportsPanel {
    pub reports: Vec<ReportSummary>,
    /// The evaluation's achievement, for staff, once recorded.
    pub evaluation: Option<&'static str>,
}

/// The panel of a dossier's page: `None` unless the dossier is accepted. Staff also see
/// whether the project is evaluated.
pub(crate) async fn panel(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
) -> Result<Option<ReportsPanel>, AppError> {
    if dossier.state != DossierState::Accepted {
        return Ok(None);
    }
    let stored = state.store.reports_of(dossier.id).await?;
    let today = Utc::now().date_naive();
    let reports = ReportKind::ALL
        .iter()
        .map(|kind| {
            let found = stored.iter().find(|r| r.kind == *kind);
            let status = found.map_or(ReportStatus::Draft, |r| r.status);
            let due = due_of(dossier, *kind, found);
            ReportSummary {
                code: kind.code(),
                label: kind.label(),
                due: due.map(format_date).unwrap_or_default(),
                status: status.label(),
                overdue: !status.received() && due.is_some_and(|d| d < today),
            }
        })
        .collect();
    let evaluation = if is_staff(user) {
        state
            .store
            .evaluation(dossier.id)
            .await?
            .map(|e| e.evaluation.achievement.label())
    } else {
        None
    };
    Ok(Some(ReportsPanel {
        reports,
        evaluation,
    }))
}

// ---------------------------------------------------------------------------------------------
// A report's page

struct LineView {
    n: usize,
    label: String,
    planned: String,
    /// As typed in the form.
    input: String,
    actual: String,
    gap: String,
}

struct TotalsView {
    planned: String,
    actual: String,
    gap: String,
}

fn plain(amount: Money) -> String {
    amount.to_string().trim_end_matches(" €").to_owned()
}

fn line_views(lines: &[ReportLine], typed: Option<&[String]>) -> Vec<LineView> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineView {
            n: i + 1,
            label: l.label.clone(),
            planned: l.planned.to_string(),
            input: typed.and_then(|t| t.get(i).cloned()).unwrap_or_else(|| {
                if l.actual == Money::ZERO {
                    String::new()
                } else {
                    plain(l.actual)
                }
            }),
            actual: l.actual.to_string(),
            gap: l.gap().to_string(),
        })
        .collect()
}

fn totals_view(totals: essor_domain::reports::Totals) -> TotalsView {
    TotalsView {
        planned: totals.planned.to_string(),
        actual: totals.actual.to_string(),
        gap: totals.gap().to_string(),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    layout: Layout,
    csrf: String,
    dossier_id: i64,
    project: String,
    kind_code: &'static str,
    kind_label: &'static str,
    due: String,
    status_label: &'static str,
    return_reason: Option<String>,
    editable: bool,
    reviewable: bool,
    activity: String,
    jobs_created: String,
    jobs_consolidated: String,
    expenses: Vec<LineView>,
    resources: Vec<LineView>,
    expenses_totals: TotalsView,
    resources_totals: TotalsView,
    balance: String,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

crate::profiles::form_errors!(ReportPage);

/// The content to show: what was stored, laid on the application's budget lines (the budget is
/// frozen once the dossier is accepted; a line stored but gone from the budget is dropped).
fn content_on_budget(dossier: &Dossier, stored: Option<&StoredReport>) -> ReportContent {
    let mut content = stored.map(|r| r.content.clone()).unwrap_or_default();
    let actual = |lines: &[ReportLine]| lines.iter().map(|l| l.actual).collect::<Vec<_>>();
    content.financial = FinancialReport::against(
        &dossier.application.budget,
        &actual(&content.financial.expenses),
        &actual(&content.financial.resources),
    );
    content
}

/// What the form typed, when it could not be saved.
struct Typed {
    activity: String,
    jobs_created: String,
    jobs_consolidated: String,
    expenses: Vec<String>,
    resources: Vec<String>,
}

#[allow(clippy::too_many_arguments)] // the page's inputs, each needed
async fn report_page(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    dossier: &Dossier,
    kind: ReportKind,
    typed: Option<(Typed, ReportContent)>,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    if dossier.state != DossierState::Accepted {
        return Err(AppError::NotFound);
    }
    let stored = state.store.reports_of(dossier.id).await?;
    let found = stored.iter().find(|r| r.kind == kind);
    let status = found.map_or(ReportStatus::Draft, |r| r.status);
    let staff = is_staff(user);
    let (typed, content) = match typed {
        Some((typed, content)) => (Some(typed), content),
        None => (None, content_on_budget(dossier, found)),
    };
    let financial = &content.financial;
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ReportPage {
        layout: page_layout(state, "").await?,
        csrf,
        dossier_id: dossier.id,
        project: project_title(dossier),
        kind_code: kind.code(),
        kind_label: kind.label(),
        due: due_of(dossier, kind, found)
            .map(format_date)
            .unwrap_or_default(),
        status_label: status.label(),
        return_reason: found
            .filter(|r| r.status == ReportStatus::Returned)
            .and_then(|r| r.return_reason.clone()),
        editable: is_member(user, &dossier.siren) && status.editable(),
        reviewable: staff && status == ReportStatus::Submitted,
        activity: typed
            .as_ref()
            .map_or_else(|| content.activity.clone(), |t| t.activity.clone()),
        jobs_created: typed.as_ref().map_or_else(
            || content.jobs_created.to_string(),
            |t| t.jobs_created.clone(),
        ),
        jobs_consolidated: typed.as_ref().map_or_else(
            || content.jobs_consolidated.to_string(),
            |t| t.jobs_consolidated.clone(),
        ),
        expenses: line_views(
            &financial.expenses,
            typed.as_ref().map(|t| t.expenses.as_slice()),
        ),
        resources: line_views(
            &financial.resources,
            typed.as_ref().map(|t| t.resources.as_slice()),
        ),
        expenses_totals: totals_view(financial.expenses_totals()),
        resources_totals: totals_view(financial.resources_totals()),
        balance: financial.balance().to_string(),
        errors,
        notice,
    };
    Ok(csrf::form_page(status_code, page.render()?, cookie))
}

fn kind_of(raw: &str) -> Result<ReportKind, AppError> {
    ReportKind::parse(raw).ok_or(AppError::NotFound)
}

/// `GET /dossiers/{dossier}/rapports/{kind}`: the report, as a form for the structure while it
/// may write it, read-only otherwise (with staff's review form once submitted).
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path((id, kind)): Path<(i64, String)>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    let dossier = dossier_of(&state, id).await?;
    let notice = match query.get("fait").map(String::as_str) {
        Some("enregistre") => Some("Le rapport est enregistré ; transmettez-le quand il est prêt."),
        Some("transmis") => Some("Le rapport est transmis à l’équipe de la collectivité."),
        Some("examine") => {
            Some("L’examen du rapport est enregistré ; la structure en est informée.")
        }
        _ => None,
    };
    report_page(
        &state,
        &user,
        &headers,
        &dossier,
        kind,
        None,
        Vec::new(),
        notice,
    )
    .await
}

/// Reads the report form against the budget's lines; the errors of the values that cannot be
/// read, each naming its field.
fn content_from_form(
    fields: &[(String, String)],
    dossier: &Dossier,
) -> (Typed, ReportContent, Vec<FieldError>) {
    let mut errors = Vec::new();
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
    let amounts = |side: &str, title: &str, n: usize, errors: &mut Vec<FieldError>| {
        let mut typed = Vec::with_capacity(n);
        let mut amounts = Vec::with_capacity(n);
        for i in 1..=n {
            let name = format!("{side}_{i}");
            let raw = field(fields, &name).trim().to_owned();
            let amount = if raw.is_empty() {
                Money::ZERO
            } else {
                Money::parse(&raw).unwrap_or_else(|e| {
                    errors.push(error(&name, format!("{title}, ligne {i} : {e}.")));
                    Money::ZERO
                })
            };
            typed.push(raw);
            amounts.push(amount);
        }
        (typed, amounts)
    };
    let budget = &dossier.application.budget;
    let (typed_expenses, expenses) = amounts(
        "depense",
        "Dépenses réalisées",
        budget.expenses.len(),
        &mut errors,
    );
    let (typed_resources, resources) = amounts(
        "ressource",
        "Ressources obtenues",
        budget.resources.len(),
        &mut errors,
    );
    let content = ReportContent {
        activity: field(fields, "activite").trim().to_owned(),
        jobs_created: count("emplois_crees", "Emplois créés", &mut errors),
        jobs_consolidated: count("emplois_consolides", "Emplois consolidés", &mut errors),
        financial: FinancialReport::against(budget, &expenses, &resources),
    };
    let typed = Typed {
        activity: field(fields, "activite").to_owned(),
        jobs_created: field(fields, "emplois_crees").to_owned(),
        jobs_consolidated: field(fields, "emplois_consolides").to_owned(),
        expenses: typed_expenses,
        resources: typed_resources,
    };
    (typed, content, errors)
}

/// `POST /dossiers/{dossier}/rapports/{kind}`: the structure saves its report, and submits it
/// when `envoi=transmettre`. Members of the structure only.
pub(crate) async fn save(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path((id, kind)): Path<(i64, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    let dossier = dossier_of(&state, id).await?;
    if !is_member(&user, &dossier.siren) {
        return Err(AppError::Forbidden);
    }
    if dossier.state != DossierState::Accepted {
        return Err(AppError::NotFound);
    }
    let submit = field(&fields, "envoi") == "transmettre";
    let (typed, content, mut errors) = content_from_form(&fields, &dossier);
    let status = state
        .store
        .reports_of(id)
        .await?
        .into_iter()
        .find(|r| r.kind == kind)
        .map_or(ReportStatus::Draft, |r| r.status);
    if errors.is_empty() && submit {
        let action = ReportAction::Submit {
            problems: content.problems(),
        };
        if let Err(e) = step(status, &action, Party::Applicant) {
            errors.push(error("envoi", e.to_string()));
        }
    } else if errors.is_empty() && !status.editable() {
        errors.push(error(
            "envoi",
            format!(
                "Ce rapport est {} : il ne peut plus être modifié.",
                status.label()
            ),
        ));
    }
    if !errors.is_empty() {
        return report_page(
            &state,
            &user,
            &headers,
            &dossier,
            kind,
            Some((typed, content)),
            errors,
            None,
        )
        .await;
    }
    let Some(saved) = state
        .store
        .save_report(id, kind, &content, submit, Utc::now())
        .await?
    else {
        let errors = vec![error(
            "envoi",
            "Le rapport a changé entre-temps : rechargez la page.",
        )];
        return report_page(
            &state,
            &user,
            &headers,
            &dossier,
            kind,
            Some((typed, content)),
            errors,
            None,
        )
        .await;
    };
    if submit {
        tell_submitted(&state, &user, &dossier, &saved).await?;
    }
    let done = if submit { "transmis" } else { "enregistre" };
    Ok(Redirect::to(&format!(
        "/dossiers/{id}/rapports/{}?fait={done}",
        kind.code()
    ))
    .into_response())
}

/// A report submitted: the audit trail, and a mail to the dossier's staff (see
/// [`crate::dossiers::tell_staff`]).
async fn tell_submitted(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
    saved: &StoredReport,
) -> Result<(), AppError> {
    let financial = &saved.content.financial;
    audit::record(
        state,
        AuditActor::Account(account_id(user)?),
        "report.submitted",
        "dossier",
        &dossier.id.to_string(),
        Some(serde_json::json!({
            "report": saved.kind.code(),
            "jobs_created": saved.content.jobs_created,
            "jobs_consolidated": saved.content.jobs_consolidated,
            "expenses_actual_cents": financial.expenses_totals().actual.cents(),
            "resources_actual_cents": financial.resources_totals().actual.cents(),
        })),
    )
    .await;
    let message = format!(
        "La structure a transmis son {} : il attend votre examen.",
        saved.kind.label()
    );
    let path = format!("/dossiers/{}/rapports/{}", dossier.id, saved.kind.code());
    crate::dossiers::tell_staff(state, dossier, "rapport transmis", &message, Some(&path)).await
}

/// `POST /administration/dossiers/{id}/rapports/{kind}/examen`: staff accept a submitted report
/// (`decision=accepter`) or send it back (`decision=renvoyer`) with a reason (`motif`); the
/// structure is told by mail.
pub(crate) async fn review(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path((id, kind)): Path<(i64, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    let dossier = dossier_of(&state, id).await?;
    let status = state
        .store
        .reports_of(id)
        .await?
        .into_iter()
        .find(|r| r.kind == kind)
        .map_or(ReportStatus::Draft, |r| r.status);
    let reason = field(&fields, "motif").trim().to_owned();
    let action = match field(&fields, "decision") {
        "accepter" => ReportAction::Accept,
        "renvoyer" => ReportAction::Return {
            reason: reason.clone(),
        },
        _ => {
            let errors = vec![error(
                "decision",
                "Examen : choisissez d’accepter ou de renvoyer.",
            )];
            return report_page(&state, &user, &headers, &dossier, kind, None, errors, None).await;
        }
    };
    let to = match step(status, &action, Party::Staff) {
        Ok(to) => to,
        Err(e) => {
            let field_name = if matches!(action, ReportAction::Return { .. }) {
                "motif"
            } else {
                "decision"
            };
            let errors = vec![error(field_name, e.to_string())];
            return report_page(&state, &user, &headers, &dossier, kind, None, errors, None).await;
        }
    };
    let account = account_id(&user)?;
    let reason = (to == ReportStatus::Returned).then_some(reason);
    if state
        .store
        .review_report(id, kind, to, reason.as_deref(), Some(account), Utc::now())
        .await?
        .is_none()
    {
        let errors = vec![error(
            "decision",
            "Le rapport a changé entre-temps : rechargez la page.",
        )];
        return report_page(&state, &user, &headers, &dossier, kind, None, errors, None).await;
    }
    audit::record(
        &state,
        AuditActor::Account(account),
        &format!("report.{}", action.code()),
        "dossier",
        &id.to_string(),
        Some(serde_json::json!({ "report": kind.code(), "to": to.code() })),
    )
    .await;
    let message = match &reason {
        Some(reason) => format!(
            "Votre {} est renvoyé pour compléments : {reason}",
            kind.label()
        ),
        None => format!("Votre {} est reçu et accepté.", kind.label()),
    };
    crate::dossiers::notify(&state, &dossier, &message).await?;
    Ok(Redirect::to(&format!(
        "/dossiers/{id}/rapports/{}?fait=examine",
        kind.code()
    ))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// Staff's follow-up page: due dates and evaluation

#[derive(Template)]
#[template(path = "dossier_followup.html")]
struct FollowUpPage {
    layout: Layout,
    csrf: String,
    dossier_id: i64,
    project: String,
    /// (code, label, due as ISO for the date field, status)
    reports: Vec<(&'static str, &'static str, String, &'static str)>,
    /// The final report is received: the evaluation may be recorded.
    can_evaluate: bool,
    evaluated: Option<String>,
    jobs_created: String,
    jobs_consolidated: String,
    expected: String,
    outcomes: String,
    achievement: String,
    achievements: Vec<(&'static str, &'static str)>,
    /// (key, title, checked)
    themes: Vec<(String, String, bool)>,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

crate::profiles::form_errors!(FollowUpPage);

#[allow(clippy::too_many_lines)] // the page's view, field by field
async fn followup_page(
    state: &AppState,
    headers: &HeaderMap,
    dossier: &Dossier,
    typed: Option<&[(String, String)]>,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    if dossier.state != DossierState::Accepted {
        return Err(AppError::NotFound);
    }
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let stored = state.store.reports_of(dossier.id).await?;
    let final_report = stored.iter().find(|r| r.kind == ReportKind::Final);
    let evaluation = state.store.evaluation(dossier.id).await?;
    let reports = ReportKind::ALL
        .iter()
        .map(|kind| {
            let found = stored.iter().find(|r| r.kind == *kind);
            (
                kind.code(),
                kind.label(),
                due_of(dossier, *kind, found)
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                found.map_or(ReportStatus::Draft, |r| r.status).label(),
            )
        })
        .collect();
    // The form starts from the evaluation recorded, else from the final report's figures and
    // the application's themes.
    let (created, consolidated, outcomes, achievement, themes) = match (&evaluation, typed) {
        (_, Some(t)) => (
            field(t, "emplois_crees").to_owned(),
            field(t, "emplois_consolides").to_owned(),
            field(t, "resultats").to_owned(),
            field(t, "atteinte").to_owned(),
            all(t, "themes").map(str::to_owned).collect::<Vec<_>>(),
        ),
        (Some(e), None) => (
            e.evaluation.jobs_created.to_string(),
            e.evaluation.jobs_consolidated.to_string(),
            e.evaluation.outcomes.clone(),
            e.evaluation.achievement.code().to_owned(),
            e.evaluation
                .themes
                .iter()
                .map(ToString::to_string)
                .collect(),
        ),
        (None, None) => (
            final_report.map_or_else(String::new, |r| r.content.jobs_created.to_string()),
            final_report.map_or_else(String::new, |r| r.content.jobs_consolidated.to_string()),
            String::new(),
            String::new(),
            dossier
                .application
                .themes
                .iter()
                .map(ToString::to_string)
                .collect(),
        ),
    };
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FollowUpPage {
        layout: page_layout(state, "").await?,
        csrf,
        dossier_id: dossier.id,
        project: project_title(dossier),
        reports,
        can_evaluate: may_evaluate(final_report.map(|r| r.status)).is_ok(),
        evaluated: evaluation.as_ref().map(|e| {
            format!(
                "{}, le {}",
                e.evaluation.achievement.label(),
                format_date(e.evaluated_at.date_naive())
            )
        }),
        jobs_created: created,
        jobs_consolidated: consolidated,
        expected: format!(
            "{} créé(s), {} consolidé(s)",
            dossier.application.jobs_created, dossier.application.jobs_consolidated
        ),
        outcomes,
        achievement,
        achievements: Achievement::ALL
            .iter()
            .map(|a| (a.code(), a.label()))
            .collect(),
        themes: context
            .plan
            .themes
            .iter()
            .map(|t| {
                let key = t.key.to_string();
                let checked = themes.contains(&key);
                (key, t.title.clone(), checked)
            })
            .collect(),
        errors,
        notice,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `GET /administration/dossiers/{id}/suivi`: the reports' due dates and the evaluation.
pub(crate) async fn followup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    let notice = match query.get("fait").map(String::as_str) {
        Some("echeances") => Some("Les échéances des rapports sont enregistrées."),
        Some("evaluation") => Some("L’évaluation est enregistrée."),
        _ => None,
    };
    followup_page(&state, &headers, &dossier, None, Vec::new(), notice).await
}

/// `POST /administration/dossiers/{id}/rapports/echeances`: the due dates of both reports.
pub(crate) async fn set_dues(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    if dossier.state != DossierState::Accepted {
        return Err(AppError::NotFound);
    }
    let mut errors = Vec::new();
    let mut date = |name: &str, label: &str| match parse_date(field(&fields, name)) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(error(name, format!("{label} : {e}.")));
            None
        }
    };
    let intermediate = date(
        "echeance_intermediaire",
        "Échéance du rapport intermédiaire",
    );
    let final_report = date("echeance_final", "Échéance du rapport final");
    if let (Some(i), Some(f)) = (intermediate, final_report)
        && f < i
    {
        errors.push(error(
            "echeance_final",
            "Échéance du rapport final : elle ne peut précéder celle du rapport intermédiaire.",
        ));
    }
    let (Some(intermediate), Some(final_report)) = (intermediate, final_report) else {
        return followup_page(&state, &headers, &dossier, None, errors, None).await;
    };
    if !errors.is_empty() {
        return followup_page(&state, &headers, &dossier, None, errors, None).await;
    }
    state
        .store
        .set_report_dues(id, intermediate, final_report)
        .await?;
    audit::record(
        &state,
        AuditActor::Account(account_id(&user)?),
        "report.due_dates_set",
        "dossier",
        &id.to_string(),
        Some(serde_json::json!({
            "intermediate": intermediate.to_string(),
            "final": final_report.to_string(),
        })),
    )
    .await;
    Ok(Redirect::to(&format!(
        "/administration/dossiers/{id}/suivi?fait=echeances"
    ))
    .into_response())
}

/// `POST /administration/dossiers/{id}/evaluation`: the chargée de mission's evaluation, once
/// the final report is received.
pub(crate) async fn evaluate(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, id).await?;
    if dossier.state != DossierState::Accepted {
        return Err(AppError::NotFound);
    }
    let final_status = state
        .store
        .reports_of(id)
        .await?
        .into_iter()
        .find(|r| r.kind == ReportKind::Final)
        .map(|r| r.status);
    let mut errors = Vec::new();
    if let Err(e) = may_evaluate(final_status) {
        errors.push(error("resultats", e.to_string()));
    }
    let mut count = |name: &str, label: &str| {
        field(&fields, name)
            .trim()
            .parse::<u32>()
            .unwrap_or_else(|_| {
                errors.push(error(
                    name,
                    format!("{label} : un nombre entier, par exemple 2."),
                ));
                0
            })
    };
    let jobs_created = count("emplois_crees", "Emplois créés retenus");
    let jobs_consolidated = count("emplois_consolides", "Emplois consolidés retenus");
    let achievement = Achievement::parse(field(&fields, "atteinte"));
    if achievement.is_none() {
        errors.push(error(
            "atteinte",
            "Atteinte des objectifs : choisissez une réponse.",
        ));
    }
    let evaluation = Evaluation {
        jobs_created,
        jobs_consolidated,
        outcomes: field(&fields, "resultats").trim().to_owned(),
        achievement: achievement.unwrap_or(Achievement::NotReached),
        themes: all(&fields, "themes")
            .filter_map(|k| essor_domain::plan::Key::parse(k).ok())
            .collect(),
    };
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    for problem in evaluation.problems(&context.plan) {
        let name = if problem.starts_with("Résultats") {
            "resultats"
        } else {
            "themes"
        };
        errors.push(error(name, problem));
    }
    if !errors.is_empty() {
        return followup_page(&state, &headers, &dossier, Some(&fields), errors, None).await;
    }
    let account = account_id(&user)?;
    state
        .store
        .save_evaluation(id, &evaluation, Some(account), Utc::now())
        .await?;
    audit::record(
        &state,
        AuditActor::Account(account),
        "evaluation.recorded",
        "dossier",
        &id.to_string(),
        Some(serde_json::json!({
            "jobs_created": evaluation.jobs_created,
            "jobs_consolidated": evaluation.jobs_consolidated,
            "achievement": evaluation.achievement.code(),
        })),
    )
    .await;
    Ok(Redirect::to(&format!(
        "/administration/dossiers/{id}/suivi?fait=evaluation"
    ))
    .into_response())
}
