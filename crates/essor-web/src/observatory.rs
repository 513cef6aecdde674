//! The observatory: the ESS panorama of the territory (or any other) from the last SIRENE import,
//! as a page, as downloads and through the API.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use essor_domain::dates::format_date;
use essor_domain::money::{format_number, format_pct, group_thousands};
use essor_domain::panorama::{Dimension, GroupFigures, PERIMETER, Panorama, group_label};
use essor_domain::territory::TerritoryRef;
use serde::Deserialize;

use crate::AppState;
use crate::charts::{self, Bar};
use crate::error::AppError;
use crate::layout::Layout;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    territoire: Option<String>,
    import: Option<i64>,
    /// An earlier import to compare with.
    comparer: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ApiQuery {
    territory: Option<String>,
    snapshot: Option<i64>,
}

/// Why no panorama can be shown.
enum Unavailable {
    /// The territory typed is not valid: the message says why, in French.
    BadTerritory(String),
    NoImport,
    Failed(AppError),
}

impl From<AppError> for Unavailable {
    fn from(e: AppError) -> Self {
        Self::Failed(e)
    }
}

impl From<essor_store::StoreError> for Unavailable {
    fn from(e: essor_store::StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// The panorama of the territory typed (or the default one) in the snapshot asked (or the last).
async fn load(
    state: &AppState,
    territory: Option<&str>,
    snapshot: Option<i64>,
) -> Result<Panorama, Unavailable> {
    let reference: TerritoryRef = match territory.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => text
            .parse()
            .map_err(|e: essor_domain::territory::TerritoryError| {
                Unavailable::BadTerritory(e.to_string())
            })?,
        None => state
            .store
            .default_territory()
            .await?
            .ok_or(AppError::NotConfigured("aucun territoire par défaut"))?
            .reference
            .parse()
            .map_err(|_| AppError::NotConfigured("territoire par défaut illisible"))?,
    };
    let territory = reference
        .resolve(state.referential)
        .map_err(|e| Unavailable::BadTerritory(e.to_string()))?;
    let snapshot = match snapshot {
        Some(id) => state.store.snapshot(id).await?,
        None => state.store.latest_snapshot().await?,
    }
    .ok_or(Unavailable::NoImport)?;
    Ok(essor_store::observatory::panorama(state.store.as_ref(), &territory, &snapshot).await?)
}

pub(crate) struct BreakdownRow {
    label: String,
    active: String,
    employer: String,
    jobs: String,
}

pub(crate) struct Breakdown {
    id: &'static str,
    title: &'static str,
    key_header: &'static str,
    caption: String,
    svg: String,
    rows: Vec<BreakdownRow>,
}

pub(crate) struct YearSeries {
    id: &'static str,
    title: &'static str,
    caption: String,
    svg: String,
    rows: Vec<(i32, String, String)>,
}

pub(crate) struct CommuneRow {
    code: String,
    name: String,
    active: String,
    employer: String,
    ess_active: String,
    ess_employer: String,
    ess_jobs: String,
}

pub(crate) struct View {
    panorama: Panorama,
    query: String,
    headline: String,
    ess_employer: String,
    ess_employer_share: String,
    ess_active: String,
    ess_active_share: String,
    ess_jobs: String,
    ess_jobs_share: String,
    imported_on: String,
    breakdowns: Vec<Breakdown>,
    years: Vec<YearSeries>,
    communes: Vec<CommuneRow>,
    /// The choropleth of ESS employer establishments, when contours exist for every commune.
    map: Option<String>,
}

fn breakdown(
    id: &'static str,
    title: &'static str,
    key_header: &'static str,
    dimension: Dimension,
    groups: &[GroupFigures],
) -> Breakdown {
    let mut groups: Vec<&GroupFigures> = groups.iter().collect();
    if dimension != Dimension::Band {
        groups.sort_by(|a, b| b.ess_active.cmp(&a.ess_active).then(a.key.cmp(&b.key)));
    }
    let bars: Vec<Bar> = groups
        .iter()
        .map(|g| Bar {
            label: group_label(dimension, &g.key),
            value: g.ess_active as f64,
            shown: group_thousands(g.ess_active),
        })
        .collect();
    Breakdown {
        id,
        title,
        key_header,
        caption: format!(
            "{title} : établissements actifs de l’ESS (le tableau suivant donne aussi les employeurs et les emplois estimés)."
        ),
        svg: charts::horizontal_bars(&bars, &format!("legende-{id}")),
        rows: groups
            .iter()
            .map(|g| BreakdownRow {
                label: group_label(dimension, &g.key),
                active: group_thousands(g.ess_active),
                employer: group_thousands(g.ess_employer),
                jobs: format_number(g.ess_jobs, 1),
            })
            .collect(),
    }
}

fn years(
    id: &'static str,
    title: &'static str,
    rows: &[essor_domain::panorama::YearFigures],
) -> YearSeries {
    // The last 30 years: older ones are in the downloads.
    let recent: Vec<_> = rows.iter().rev().take(30).rev().collect();
    let points: Vec<(i32, u64, u64)> = recent.iter().map(|y| (y.year, y.ess, y.all)).collect();
    YearSeries {
        id,
        title,
        caption: format!(
            "{title} : établissements de l’ESS par année, sur les 30 dernières années."
        ),
        svg: charts::yearly_columns(&points, &format!("legende-{id}")),
        rows: recent
            .iter()
            .map(|y| (y.year, group_thousands(y.ess), group_thousands(y.all)))
            .collect(),
    }
}

impl View {
    fn of(panorama: Panorama) -> Self {
        let e = &panorama.establishments;
        let breakdowns = vec![
            breakdown(
                "familles",
                "Par famille de l’ESS",
                "Famille",
                Dimension::Family,
                &panorama.by_family,
            ),
            breakdown(
                "thematiques",
                "Par thématique du plan",
                "Thématique",
                Dimension::Theme,
                &panorama.by_theme,
            ),
            breakdown(
                "sections",
                "Par secteur d’activité (section NAF)",
                "Section",
                Dimension::Section,
                &panorama.by_naf_section,
            ),
            breakdown(
                "tranches",
                "Par tranche d’effectif salarié",
                "Tranche",
                Dimension::Band,
                &panorama.by_band,
            ),
        ];
        let years = vec![
            years(
                "creations",
                "Créations d’établissements",
                &panorama.creations_by_year,
            ),
            years(
                "fermetures",
                "Fermetures d’établissements",
                &panorama.closures_by_year,
            ),
        ];
        let communes = panorama
            .by_commune
            .iter()
            .map(|c| CommuneRow {
                code: c.code.clone(),
                name: c.name.clone(),
                active: group_thousands(c.active),
                employer: group_thousands(c.employer),
                ess_active: group_thousands(c.ess_active),
                ess_employer: group_thousands(c.ess_employer),
                ess_jobs: format_number(c.ess_jobs, 1),
            })
            .collect();
        let areas: Vec<crate::map::Area> = panorama
            .by_commune
            .iter()
            .map(|c| crate::map::Area {
                code: c.code.clone(),
                name: c.name.clone(),
                value: c.ess_employer,
                shown: group_thousands(c.ess_employer),
            })
            .collect();
        let map = crate::map::choropleth(
            &areas,
            "legende-carte",
            "établissements employeurs de l’ESS",
        );
        let imported_on = chrono::DateTime::parse_from_rfc3339(&panorama.source.imported_at)
            .map_or_else(
                |_| panorama.source.imported_at.clone(),
                |d| format_date(d.date_naive()),
            );
        Self {
            query: format!("{}:{}", panorama.territory.kind, panorama.territory.code),
            headline: panorama.headline(),
            ess_employer: group_thousands(e.ess_employer),
            ess_employer_share: format_pct(e.ess_employer_share_pct),
            ess_active: group_thousands(e.ess_active),
            ess_active_share: format_pct(e.ess_active_share_pct),
            ess_jobs: format_number(panorama.jobs.ess_estimated, 1),
            ess_jobs_share: format_pct(panorama.jobs.ess_share_pct),
            imported_on,
            breakdowns,
            years,
            communes,
            map,
            panorama,
        }
    }
}

/// An import as offered in the snapshot choices.
pub(crate) struct SnapshotChoice {
    id: i64,
    label: String,
    current: bool,
    compared: bool,
}

/// One indicator in two imports.
pub(crate) struct ComparisonRow {
    label: String,
    before: String,
    after: String,
    change: String,
}

pub(crate) struct Comparison {
    before_label: String,
    after_label: String,
    rows: Vec<ComparisonRow>,
}

fn signed(value: f64, decimals: usize) -> String {
    if value > 0.0 {
        format!("+{}", format_number(value, decimals))
    } else {
        format_number(value, decimals)
    }
}

fn compare(before: &Panorama, after: &Panorama, labels: (String, String)) -> Comparison {
    let count = |label: &str, b: u64, a: u64| ComparisonRow {
        label: label.to_owned(),
        before: group_thousands(b),
        after: group_thousands(a),
        change: signed(a as f64 - b as f64, 1),
    };
    let mut rows = vec![
        count(
            "Établissements actifs de l’ESS",
            before.establishments.ess_active,
            after.establishments.ess_active,
        ),
        count(
            "Établissements employeurs de l’ESS",
            before.establishments.ess_employer,
            after.establishments.ess_employer,
        ),
        ComparisonRow {
            label: "Emplois estimés dans l’ESS".to_owned(),
            before: format_number(before.jobs.ess_estimated, 1),
            after: format_number(after.jobs.ess_estimated, 1),
            change: signed(after.jobs.ess_estimated - before.jobs.ess_estimated, 1),
        },
        ComparisonRow {
            label: "Part de l’ESS dans les établissements employeurs".to_owned(),
            before: format_pct(before.establishments.ess_employer_share_pct),
            after: format_pct(after.establishments.ess_employer_share_pct),
            change: match (
                before.establishments.ess_employer_share_pct,
                after.establishments.ess_employer_share_pct,
            ) {
                (Some(b), Some(a)) => format!("{} point(s)", signed(a - b, 1)),
                _ => "–".to_owned(),
            },
        },
    ];
    let families: std::collections::BTreeSet<&str> = before
        .by_family
        .iter()
        .chain(&after.by_family)
        .map(|g| g.key.as_str())
        .collect();
    let active_of = |p: &Panorama, key: &str| {
        p.by_family
            .iter()
            .find(|g| g.key == key)
            .map_or(0, |g| g.ess_active)
    };
    for key in families {
        rows.push(count(
            &format!(
                "{} (établissements actifs)",
                group_label(Dimension::Family, key)
            ),
            active_of(before, key),
            active_of(after, key),
        ));
    }
    Comparison {
        before_label: labels.0,
        after_label: labels.1,
        rows,
    }
}

fn snapshot_label(s: &essor_store::SnapshotSummary) -> String {
    format!(
        "n° {} du {}{}",
        s.id,
        format_date(s.imported_at.date_naive()),
        if s.synthetic { " (synthétique)" } else { "" }
    )
}

#[derive(Template)]
#[template(path = "observatory.html")]
struct ObservatoryPage {
    layout: Layout,
    territory_input: String,
    error: Option<String>,
    view: Option<View>,
    perimeter: &'static str,
    snapshots: Vec<SnapshotChoice>,
    comparison: Option<Comparison>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let site = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    // The default view (the territory's last import) is the same for everyone: kept rendered.
    let default_view =
        query.territoire.is_none() && query.import.is_none() && query.comparer.is_none();
    if default_view && let Some(page) = site.cached("/observatoire") {
        return Ok(page.response(&headers));
    }
    let layout = Layout::new(&site.territory.name, "/observatoire");
    let (status, view, error) = match load(&state, query.territoire.as_deref(), query.import).await
    {
        Ok(p) => (StatusCode::OK, Some(View::of(p)), None),
        Err(Unavailable::BadTerritory(message)) => (StatusCode::BAD_REQUEST, None, Some(message)),
        Err(Unavailable::NoImport) => (StatusCode::OK, None, None),
        Err(Unavailable::Failed(e)) => return Err(e),
    };
    let territory_input = query
        .territoire
        .clone()
        .unwrap_or_else(|| view.as_ref().map(|v| v.query.clone()).unwrap_or_default());
    let all = state.store.snapshots().await?;
    let current_id = query.import.or_else(|| all.first().map(|s| s.id));
    let comparison = match (&view, query.comparer) {
        (Some(v), Some(earlier)) if Some(earlier) != current_id => {
            match load(&state, Some(&v.query), Some(earlier)).await {
                Ok(before) => {
                    let label_of = |id: Option<i64>| {
                        all.iter()
                            .find(|s| Some(s.id) == id)
                            .map(snapshot_label)
                            .unwrap_or_default()
                    };
                    Some(compare(
                        &before,
                        &v.panorama,
                        (label_of(Some(earlier)), label_of(current_id)),
                    ))
                }
                Err(Unavailable::Failed(e)) => return Err(e),
                Err(_) => None,
            }
        }
        _ => None,
    };
    let snapshots = all
        .iter()
        .map(|s| SnapshotChoice {
            id: s.id,
            label: snapshot_label(s),
            current: Some(s.id) == current_id,
            compared: Some(s.id) == query.comparer,
        })
        .collect();
    let page = ObservatoryPage {
        layout,
        territory_input,
        error,
        view,
        perimeter: PERIMETER,
        snapshots,
        comparison,
    };
    let html = page.render()?;
    if default_view
        && status == StatusCode::OK
        && current_id == site.snapshot.as_ref().map(|s| s.id)
    {
        site.keep("/observatoire", Bytes::from(html.clone()));
    }
    Ok((status, Html(html)).into_response())
}

fn download_name(panorama: &Panorama, extension: &str) -> String {
    let code: String = panorama
        .territory
        .code
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(60)
        .collect();
    format!(
        "attachment; filename=\"panorama-ess-{}-{code}.{extension}\"",
        panorama.territory.kind
    )
}

fn unavailable_json(reason: Unavailable) -> Response {
    match reason {
        Unavailable::BadTerritory(message) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "erreur": message })),
        )
            .into_response(),
        Unavailable::NoImport => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "erreur": "aucun import SIRENE n’est disponible" })),
        )
            .into_response(),
        Unavailable::Failed(e) => e.into_response(),
    }
}

pub(crate) async fn json_download(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Response {
    match load(&state, query.territoire.as_deref(), query.import).await {
        Ok(p) => (
            [(header::CONTENT_DISPOSITION, download_name(&p, "json"))],
            Json(p.to_json()),
        )
            .into_response(),
        Err(reason) => unavailable_json(reason),
    }
}

pub(crate) async fn csv_download(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Response {
    match load(&state, query.territoire.as_deref(), query.import).await {
        Ok(p) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, download_name(&p, "csv")),
            ],
            p.to_csv(),
        )
            .into_response(),
        Err(reason) => unavailable_json(reason),
    }
}

/// `GET /api/v1/panorama?territory=epci:200040715`: the JSON of `DATA.md` §2.
pub(crate) async fn api(State(state): State<AppState>, Query(query): Query<ApiQuery>) -> Response {
    match load(&state, query.territory.as_deref(), query.snapshot).await {
        Ok(p) => Json(p.to_json()).into_response(),
        Err(reason) => unavailable_json(reason),
    }
}
