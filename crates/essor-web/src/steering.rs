//! Steering pages for staff: the year's envelope (committed, paid, left, by axis and theme,
//! with a chart and its data) and the plan's indicators computed from the dossiers and their
//! evaluations; and the check of an acceptance against its axis's envelope, which
//! `dossiers::staff_transition` calls beside the year's.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Utc};
use essor_domain::Money;
use essor_domain::actor::FieldError;
use essor_domain::dossier::State as DossierState;
use essor_domain::funding::Commitment;
use essor_domain::plan::Plan;
use essor_domain::steering::{self, Funded, Line};
use essor_store::dossiers::Dossier;
use svg::Document;
use svg::node::element::{Group, Rectangle, Text, Title};

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::error::AppError;
use crate::layout::Layout;
use crate::{AppState, page_layout};

/// The accepted dossiers as steering sees them, with their evaluations and payments.
async fn funded(state: &AppState) -> Result<Vec<Funded>, AppError> {
    let paid: HashMap<i64, Money> = state.store.paid_by_dossier().await?.into_iter().collect();
    let evaluations: HashMap<i64, essor_domain::reports::Evaluation> = state
        .store
        .evaluations()
        .await?
        .into_iter()
        .map(|e| (e.dossier, e.evaluation))
        .collect();
    Ok(state
        .store
        .dossiers(Some(DossierState::Accepted))
        .await?
        .iter()
        .map(|d| funded_of(d, evaluations.get(&d.id), paid.get(&d.id).copied()))
        .collect())
}

fn funded_of(
    dossier: &Dossier,
    evaluation: Option<&essor_domain::reports::Evaluation>,
    paid: Option<Money>,
) -> Funded {
    Funded {
        year: dossier.year,
        granted: dossier.granted.unwrap_or(Money::ZERO),
        paid: paid.unwrap_or(Money::ZERO),
        axis: dossier.application.axis.clone(),
        themes: evaluation.map_or_else(|| dossier.application.themes.clone(), |e| e.themes.clone()),
        expected_created: dossier.application.jobs_created,
        expected_consolidated: dossier.application.jobs_consolidated,
        retained: evaluation.map(|e| (e.jobs_created, e.jobs_consolidated)),
    }
}

// ---------------------------------------------------------------------------------------------
// The axis envelope of an acceptance

/// Checks an acceptance of `amount` against the envelope of the dossier's axis for its year,
/// when the plan gives that axis one (`override_by_administrator` already checked for the
/// role). `Ok(Ok(Some(beyond)))` when an administrator's override takes it beyond, to be audited
/// with [`audit_axis_override`] once the step is recorded.
pub(crate) async fn check_axis_envelope(
    state: &AppState,
    dossier: &Dossier,
    amount: Money,
    override_by_administrator: bool,
) -> Result<Result<Option<Money>, FieldError>, AppError> {
    let Some(axis) = dossier.application.axis.as_ref() else {
        return Ok(Ok(None));
    };
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let envelope = context
        .plan
        .budgets
        .iter()
        .find(|b| b.year == dossier.year)
        .and_then(|b| b.of_axis(axis));
    if envelope.is_none() {
        return Ok(Ok(None));
    }
    let committed: Money = state
        .store
        .dossiers(Some(DossierState::Accepted))
        .await?
        .iter()
        .filter(|d| d.year == dossier.year && d.application.axis.as_ref() == Some(axis))
        .filter_map(|d| d.granted)
        .sum();
    let name = context.plan.axis(axis).map_or_else(
        || axis.to_string(),
        |a| format!("Axe {} : {}", a.number, a.title),
    );
    match steering::commit_in_axis(
        dossier.year,
        &name,
        envelope,
        committed,
        amount,
        override_by_administrator,
    ) {
        Ok(Some(Commitment::Overridden { beyond })) => Ok(Ok(Some(beyond))),
        Ok(_) => Ok(Ok(None)),
        Err(e) => Ok(Err(FieldError {
            field: "montant".to_owned(),
            message: e.to_string(),
        })),
    }
}

/// Writes an administrator's override of an axis envelope to the audit trail.
pub(crate) async fn audit_axis_override(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
    beyond: Money,
) -> Result<(), AppError> {
    audit::record(
        state,
        AuditActor::Account(crate::profiles::account_id(user)?),
        "dossier.axis_envelope_overridden",
        "dossier",
        &dossier.id.to_string(),
        Some(serde_json::json!({
            "year": dossier.year,
            "axis": dossier.application.axis.as_ref().map(ToString::to_string),
            "beyond_cents": beyond.cents(),
        })),
    )
    .await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The envelope page

const COMMITTED_COLOUR: &str = "#00515f";
const LEFT_COLOUR: &str = "#d9e6e8";
const OVER_COLOUR: &str = "#b34700";
const TEXT_COLOUR: &str = "#1e1e1e";

/// One bar of the envelope chart: committed against an envelope, when there is one.
struct EnvelopeBar {
    label: String,
    committed: Money,
    envelope: Option<Money>,
}

/// Horizontal bars, one per axis: the part committed (dark), what is left of the axis's
/// envelope (light), beyond it (orange). Lengths are computed in integer cents, scaled to the
/// largest of the envelopes and commitments.
fn envelope_chart(bars: &[EnvelopeBar], labelled_by: &str) -> String {
    const ROW: i64 = 30;
    const LABEL_WIDTH: i64 = 330;
    const BAR_SPACE: i64 = 300;
    let width = LABEL_WIDTH + BAR_SPACE + 130;
    let height = ROW * i64::try_from(bars.len()).unwrap_or(0) + 8;
    let max = bars
        .iter()
        .map(|b| b.committed.cents().max(b.envelope.map_or(0, Money::cents)))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |m: Money| {
        i64::try_from(i128::from(m.cents().max(0)) * i128::from(BAR_SPACE) / i128::from(max))
            .unwrap_or(BAR_SPACE)
    };
    let mut doc = Document::new()
        .set("viewBox", (0, 0, width, height))
        .set("width", "100%")
        .set("role", "img")
        .set("aria-labelledby", labelled_by)
        .set("class", "graphique");
    for (i, bar) in (0_i64..).zip(bars) {
        let y = ROW * i + 4;
        let committed = scale(bar.committed);
        let envelope = bar.envelope.map(scale);
        let shown = match bar.envelope {
            Some(e) => format!("{} sur {}", bar.committed.format_euros(), e.format_euros()),
            None => bar.committed.format_euros(),
        };
        let mut group = Group::new()
            .add(Title::new(format!("{} : engagé {shown}", bar.label)))
            .add(
                Text::new(essor_domain::text::ellipsis(&bar.label, 42))
                    .set("x", LABEL_WIDTH - 8)
                    .set("y", y + 17)
                    .set("text-anchor", "end")
                    .set("font-size", 13)
                    .set("fill", TEXT_COLOUR),
            );
        if let Some(envelope) = envelope {
            group = group.add(
                Rectangle::new()
                    .set("x", LABEL_WIDTH)
                    .set("y", y + 3)
                    .set("width", envelope.max(1))
                    .set("height", ROW - 12)
                    .set("fill", LEFT_COLOUR),
            );
        }
        let within = envelope.map_or(committed, |e| committed.min(e));
        group = group.add(
            Rectangle::new()
                .set("x", LABEL_WIDTH)
                .set("y", y + 3)
                .set("width", within.max(1))
                .set("height", ROW - 12)
                .set("fill", COMMITTED_COLOUR),
        );
        if let Some(envelope) = envelope.filter(|e| committed > *e) {
            group = group.add(
                Rectangle::new()
                    .set("x", LABEL_WIDTH + envelope)
                    .set("y", y + 3)
                    .set("width", committed - envelope)
                    .set("height", ROW - 12)
                    .set("fill", OVER_COLOUR),
            );
        }
        let end = committed.max(envelope.unwrap_or(0));
        group = group.add(
            Text::new(shown)
                .set("x", LABEL_WIDTH + end + 6)
                .set("y", y + 17)
                .set("font-size", 13)
                .set("fill", TEXT_COLOUR),
        );
        doc = doc.add(group);
    }
    doc.to_string()
}

struct AxisRow {
    label: String,
    envelope: String,
    committed: String,
    paid: String,
    left: String,
    projects: u32,
}

struct ThemeRow {
    label: String,
    committed: String,
    paid: String,
    projects: u32,
}

#[derive(Template)]
#[template(path = "envelope.html")]
struct EnvelopePage {
    layout: Layout,
    year: i32,
    years: Vec<(i32, bool)>,
    envelope: Option<String>,
    scope: String,
    committed: String,
    paid: String,
    left: Option<String>,
    over: bool,
    projects: u32,
    axes: Vec<AxisRow>,
    axis_split: bool,
    themes: Vec<ThemeRow>,
    chart: String,
}

/// The years a page may show: those with an envelope or a dossier, and the current one.
fn years_known(plan: &Plan, projects: &[Funded], shown: i32) -> Vec<(i32, bool)> {
    let mut years: BTreeSet<i32> = plan.budgets.iter().map(|b| b.year).collect();
    years.extend(projects.iter().map(|p| p.year));
    years.insert(Utc::now().year());
    years.insert(shown);
    years.into_iter().rev().map(|y| (y, y == shown)).collect()
}

fn year_asked(query: &HashMap<String, String>) -> i32 {
    query
        .get("annee")
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| (1990..=2200).contains(y))
        .unwrap_or_else(|| Utc::now().year())
}

/// `GET /administration/enveloppe?annee=Y`: the year's envelope, committed, paid and left, by
/// axis and theme.
pub(crate) async fn envelope_page(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let year = year_asked(&query);
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let plan = &context.plan;
    let projects = funded(&state).await?;
    let budget = plan.budgets.iter().find(|b| b.year == year);
    let committed = state.store.committed(year).await?;
    let paid = state.store.paid(year).await?;
    let axis_budgets = steering::axis_budgets(plan, &projects, year);
    let chart = envelope_chart(
        &axis_budgets
            .iter()
            .map(|a| EnvelopeBar {
                label: a.line.label.clone(),
                committed: a.line.figures.granted,
                envelope: a.envelope,
            })
            .collect::<Vec<_>>(),
        "legende-axes",
    );
    let themes = steering::by_theme(plan, steering::of_year(&projects, year))
        .into_iter()
        .map(|l: Line| ThemeRow {
            label: l.label,
            committed: l.figures.granted.to_string(),
            paid: l.figures.paid.to_string(),
            projects: l.figures.projects,
        })
        .collect();
    let page = EnvelopePage {
        layout: page_layout(&state, "").await?,
        year,
        years: years_known(plan, &projects, year),
        envelope: budget.map(|b| b.amount.to_string()),
        scope: budget.map(|b| b.scope.clone()).unwrap_or_default(),
        committed: committed.to_string(),
        paid: paid.to_string(),
        left: budget.map(|b| (b.amount - committed).to_string()),
        over: budget.is_some_and(|b| committed > b.amount),
        projects: steering::total(steering::of_year(&projects, year)).projects,
        axis_split: budget.is_some_and(|b| !b.axes.is_empty()),
        axes: axis_budgets
            .into_iter()
            .map(|a| AxisRow {
                label: a.line.label,
                envelope: a.envelope.map(|e| e.to_string()).unwrap_or_default(),
                committed: a.line.figures.granted.to_string(),
                paid: a.line.figures.paid.to_string(),
                left: a.left.map(|l| l.to_string()).unwrap_or_default(),
                projects: a.line.figures.projects,
            })
            .collect(),
        themes,
        chart,
    };
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// The indicators page

struct ReadingRow {
    title: String,
    value: String,
    target: String,
    percent: String,
    expected: String,
    source: String,
}

struct FiguresRow {
    label: String,
    projects: u32,
    granted: String,
    expected_created: u32,
    retained_created: u32,
    expected_consolidated: u32,
    retained_consolidated: u32,
    evaluated: u32,
}

fn figures_row(label: String, f: &steering::Figures) -> FiguresRow {
    FiguresRow {
        label,
        projects: f.projects,
        granted: f.granted.to_string(),
        expected_created: f.expected_created,
        retained_created: f.retained_created,
        expected_consolidated: f.expected_consolidated,
        retained_consolidated: f.retained_consolidated,
        evaluated: f.evaluated,
    }
}

#[derive(Template)]
#[template(path = "steering.html")]
struct SteeringPage {
    layout: Layout,
    year: i32,
    years: Vec<(i32, bool)>,
    readings: Vec<ReadingRow>,
    by_year: Vec<FiguresRow>,
    by_axis: Vec<FiguresRow>,
    by_theme: Vec<FiguresRow>,
}

/// `GET /administration/indicateurs?annee=Y`: the plan's indicators for a year, the figures of
/// every year, and the year's by axis and theme.
pub(crate) async fn indicators_page(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let year = year_asked(&query);
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let plan = &context.plan;
    let projects = funded(&state).await?;
    let readings = steering::readings(plan, &projects, year)
        .into_iter()
        .map(|r| ReadingRow {
            value: r.value.to_string(),
            target: r.target.map_or_else(
                || "aucune cible dans le plan".to_owned(),
                |t| {
                    if r.indicator.approximate {
                        format!("environ {t}")
                    } else {
                        t.to_string()
                    }
                },
            ),
            percent: r
                .percent_of_target()
                .map(|p| format!("{p} %"))
                .unwrap_or_default(),
            expected: r.expected.map_or_else(String::new, |e| {
                format!(
                    "{e} prévu(s) à la demande ; {} projet(s) évalué(s) sur {}",
                    r.evaluated, r.projects
                )
            }),
            source: r.indicator.source,
            title: r.indicator.title,
        })
        .collect();
    let years: BTreeSet<i32> = projects.iter().map(|p| p.year).collect();
    let by_year = years
        .iter()
        .rev()
        .map(|y| {
            figures_row(
                y.to_string(),
                &steering::total(steering::of_year(&projects, *y)),
            )
        })
        .collect();
    let lines = |lines: Vec<Line>| {
        lines
            .into_iter()
            .map(|l| figures_row(l.label, &l.figures))
            .collect()
    };
    let page = SteeringPage {
        layout: page_layout(&state, "").await?,
        year,
        years: years_known(plan, &projects, year),
        readings,
        by_year,
        by_axis: lines(steering::by_axis(plan, steering::of_year(&projects, year))),
        by_theme: lines(steering::by_theme(plan, steering::of_year(&projects, year))),
    };
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_chart_draws_committed_left_and_beyond_in_integer_lengths() {
        let svg = envelope_chart(
            &[
                EnvelopeBar {
                    label: "Axe 1 <entrepreneuriat>".into(),
                    committed: Money::from_euros(150),
                    envelope: Some(Money::from_euros(300)),
                },
                EnvelopeBar {
                    label: "Axe 2".into(),
                    committed: Money::from_euros(300),
                    envelope: None,
                },
                EnvelopeBar {
                    label: "Axe 3".into(),
                    committed: Money::from_euros(200),
                    envelope: Some(Money::from_euros(100)),
                },
            ],
            "legende",
        );
        assert!(svg.contains("aria-labelledby=\"legende\""));
        // Axe 1: the envelope (300 px) and the committed half (150 px).
        assert!(svg.contains("width=\"300\""));
        assert!(svg.contains("width=\"150\""));
        // Axe 3: 100 px within, 100 px beyond, in orange.
        assert!(svg.contains(OVER_COLOUR));
        assert!(svg.contains("150 € sur 300 €"));
        assert!(!svg.contains("<entrepreneuriat>"));
    }
}
