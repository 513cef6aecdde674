//! The public pages: home, plan, committees, partners, territory, and the site's own pages.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use essor_domain::money::group_thousands;
use essor_domain::plan::{ActionKind, BudgetEnvelope, Plan};
use essor_domain::territory::{Territory, TerritoryRef};

use crate::AppState;
use crate::error::{AppError, error_page};
use crate::layout::Layout;

type PageResult = Result<Html<String>, AppError>;

/// The default territory, resolved against the referential, and its current plan.
struct Context {
    territory: Territory,
    plan: Plan,
}

impl Context {
    async fn load(state: &AppState) -> Result<Self, AppError> {
        let configured = state
            .store
            .default_territory()
            .await?
            .ok_or(AppError::NotConfigured("aucun territoire par défaut"))?;
        let reference: TerritoryRef = configured
            .reference
            .parse()
            .map_err(|_| AppError::NotConfigured("territoire par défaut illisible"))?;
        let territory = reference
            .resolve(state.referential)
            .map_err(|_| AppError::NotConfigured("territoire par défaut inconnu"))?;
        let plan = state
            .store
            .current_plan(&configured.reference)
            .await?
            .ok_or(AppError::NotConfigured("aucun plan pour le territoire"))?;
        Ok(Self { territory, plan })
    }

    fn layout(&self, path: &str) -> Layout {
        Layout::new(&self.territory.name, path)
    }

    fn territory_view(&self) -> TerritoryView {
        TerritoryView::of(&self.territory)
    }
}

pub(crate) struct TerritoryView {
    pub name: String,
    pub code: String,
    pub kind_label: &'static str,
}

impl TerritoryView {
    fn of(territory: &Territory) -> Self {
        Self {
            name: territory.name.clone(),
            code: territory.code.clone(),
            kind_label: territory.kind_label,
        }
    }
}

/// An action with its references resolved to titles, for display.
pub(crate) struct ActionView {
    pub key: String,
    pub title: String,
    pub description: String,
    pub themes: Vec<String>,
    pub axes: Vec<String>,
    pub orientations: Vec<String>,
    pub partners: Vec<String>,
}

pub(crate) struct ActionGroup {
    pub label: &'static str,
    pub actions: Vec<ActionView>,
}

fn action_groups(plan: &Plan) -> Vec<ActionGroup> {
    ActionKind::ALL
        .into_iter()
        .map(|kind| ActionGroup {
            label: kind.label(),
            actions: plan
                .actions_of(kind)
                .map(|a| ActionView {
                    key: a.key.to_string(),
                    title: a.title.clone(),
                    description: a.description.clone(),
                    themes: a
                        .themes
                        .iter()
                        .filter_map(|k| plan.theme(k).map(|t| t.title.clone()))
                        .collect(),
                    axes: a
                        .axes
                        .iter()
                        .filter_map(|k| {
                            plan.axis(k)
                                .map(|x| format!("Axe {} : {}", x.number, x.title))
                        })
                        .collect(),
                    orientations: a
                        .orientations
                        .iter()
                        .filter_map(|k| plan.orientation(k).map(|o| o.title.clone()))
                        .collect(),
                    partners: a
                        .partners
                        .iter()
                        .filter_map(|k| plan.partner(k).map(|p| p.name.clone()))
                        .collect(),
                })
                .collect(),
        })
        .filter(|g| !g.actions.is_empty())
        .collect()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    territory: TerritoryView,
    communes_count: usize,
    population: String,
    budget: Option<BudgetEnvelope>,
    plan: Plan,
    action_groups: Vec<ActionGroup>,
}

pub(crate) async fn home(State(state): State<AppState>) -> PageResult {
    let ctx = Context::load(&state).await?;
    let page = HomePage {
        layout: ctx.layout("/"),
        territory: ctx.territory_view(),
        communes_count: ctx.territory.communes.len(),
        population: group_thousands(ctx.territory.population),
        budget: ctx.plan.latest_budget().cloned(),
        action_groups: action_groups(&ctx.plan),
        plan: ctx.plan,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    layout: Layout,
    plan: Plan,
    action_groups: Vec<ActionGroup>,
}

pub(crate) async fn plan(State(state): State<AppState>) -> PageResult {
    let ctx = Context::load(&state).await?;
    let page = PlanPage {
        layout: ctx.layout("/plan"),
        action_groups: action_groups(&ctx.plan),
        plan: ctx.plan,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "instances.html")]
struct CommitteesPage {
    layout: Layout,
    plan: Plan,
}

pub(crate) async fn committees(State(state): State<AppState>) -> PageResult {
    let ctx = Context::load(&state).await?;
    let page = CommitteesPage {
        layout: ctx.layout("/instances"),
        plan: ctx.plan,
    };
    Ok(Html(page.render()?))
}

pub(crate) struct PartnerView {
    pub key: String,
    pub name: String,
    pub kind: String,
    pub description: String,
    /// (action key, action title)
    pub actions: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PartnersPage {
    layout: Layout,
    short_title: String,
    partners: Vec<PartnerView>,
}

pub(crate) async fn partners(State(state): State<AppState>) -> PageResult {
    let ctx = Context::load(&state).await?;
    let plan = &ctx.plan;
    let partners = plan
        .partners
        .iter()
        .map(|p| PartnerView {
            key: p.key.to_string(),
            name: p.name.clone(),
            kind: p.kind.clone(),
            description: p.description.clone(),
            actions: plan
                .actions_with_partner(&p.key)
                .map(|a| (a.key.to_string(), a.title.clone()))
                .collect(),
        })
        .collect();
    let page = PartnersPage {
        layout: ctx.layout("/partenaires"),
        short_title: plan.short_title.clone(),
        partners,
    };
    Ok(Html(page.render()?))
}

pub(crate) struct CommuneRow {
    pub name: String,
    pub code: String,
    pub population: String,
}

#[derive(Template)]
#[template(path = "territory.html")]
struct TerritoryPage {
    layout: Layout,
    territory: TerritoryView,
    population: String,
    communes: Vec<CommuneRow>,
}

pub(crate) async fn territory(State(state): State<AppState>) -> PageResult {
    let ctx = Context::load(&state).await?;
    let communes = ctx
        .territory
        .communes
        .iter()
        .map(|c| CommuneRow {
            name: c.name.clone(),
            code: c.code.to_string(),
            population: group_thousands(c.population),
        })
        .collect();
    let page = TerritoryPage {
        layout: ctx.layout("/territoire"),
        territory: ctx.territory_view(),
        population: group_thousands(ctx.territory.population),
        communes,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "sitemap.html")]
struct SitemapPage {
    layout: Layout,
}

pub(crate) async fn sitemap(State(state): State<AppState>) -> PageResult {
    let ctx = Context::load(&state).await?;
    Ok(Html(
        SitemapPage {
            layout: ctx.layout("/plan-du-site"),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    layout: Layout,
}

pub(crate) async fn accessibility(State(state): State<AppState>) -> PageResult {
    let ctx = Context::load(&state).await?;
    Ok(Html(
        AccessibilityPage {
            layout: ctx.layout("/accessibilite"),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    layout: Layout,
    plan_source: String,
}

pub(crate) async fn sources(State(state): State<AppState>) -> PageResult {
    let ctx = Context::load(&state).await?;
    let page = SourcesPage {
        layout: ctx.layout("/sources"),
        plan_source: if ctx.plan.source.is_empty() {
            ctx.plan.title.clone()
        } else {
            ctx.plan.source.clone()
        },
    };
    Ok(Html(page.render()?))
}

pub(crate) async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND).into_response()
}
