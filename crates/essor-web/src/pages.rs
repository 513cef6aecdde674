//! The public pages: home, plan, committees, partners, territory, and the site's own pages.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use essor_domain::money::group_thousands;
use essor_domain::plan::{ActionKind, BudgetEnvelope, Plan};
use essor_domain::territory::{Territory, TerritoryRef};

use crate::AppState;
use crate::error::{AppError, error_page};
use crate::layout::Layout;
use crate::site::SiteContext;

type Page = Result<Response, AppError>;

/// Serves the page at `path` from the site's cache, rendering it on first request.
async fn cached(
    state: &AppState,
    request: &HeaderMap,
    path: &'static str,
    render: impl FnOnce(&SiteContext) -> Result<String, AppError>,
) -> Page {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    Ok(context.page(path, render)?.response(request))
}

fn layout(ctx: &SiteContext, path: &str) -> Layout {
    Layout::new(&ctx.territory.name, path)
}

pub(crate) struct TerritoryView {
    pub name: String,
    pub kind_label: &'static str,
    /// What the code is: `SIREN 200040715`, `département 38`.
    pub code_label: String,
}

impl TerritoryView {
    fn of(territory: &Territory) -> Self {
        Self {
            name: territory.name.clone(),
            kind_label: territory.kind_label,
            code_label: match territory.reference {
                TerritoryRef::Epci(_) => format!("SIREN {}", territory.code),
                TerritoryRef::Departement(_) => format!("département {}", territory.code),
                TerritoryRef::Communes(_) => format!("communes {}", territory.code),
            },
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
struct HomePage<'a> {
    layout: Layout,
    territory: TerritoryView,
    communes_count: usize,
    population: String,
    budget: Option<&'a BudgetEnvelope>,
    plan: &'a Plan,
    action_groups: Vec<ActionGroup>,
    /// The observatory's headline and whether its data is synthetic.
    observed: Option<(String, bool)>,
}

pub(crate) async fn home(State(state): State<AppState>, headers: HeaderMap) -> Page {
    cached(&state, &headers, "/", |ctx| {
        let page = HomePage {
            layout: layout(ctx, "/"),
            territory: TerritoryView::of(&ctx.territory),
            communes_count: ctx.territory.communes.len(),
            population: group_thousands(ctx.territory.population),
            budget: ctx.plan.latest_budget(),
            plan: &ctx.plan,
            action_groups: action_groups(&ctx.plan),
            observed: ctx
                .panorama
                .as_ref()
                .map(|p| (p.headline(), p.source.synthetic)),
        };
        Ok(page.render()?)
    })
    .await
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage<'a> {
    layout: Layout,
    plan: &'a Plan,
    action_groups: Vec<ActionGroup>,
}

pub(crate) async fn plan(State(state): State<AppState>, headers: HeaderMap) -> Page {
    cached(&state, &headers, "/plan", |ctx| {
        let page = PlanPage {
            layout: layout(ctx, "/plan"),
            plan: &ctx.plan,
            action_groups: action_groups(&ctx.plan),
        };
        Ok(page.render()?)
    })
    .await
}

#[derive(Template)]
#[template(path = "instances.html")]
struct CommitteesPage<'a> {
    layout: Layout,
    plan: &'a Plan,
}

pub(crate) async fn committees(State(state): State<AppState>, headers: HeaderMap) -> Page {
    cached(&state, &headers, "/instances", |ctx| {
        let page = CommitteesPage {
            layout: layout(ctx, "/instances"),
            plan: &ctx.plan,
        };
        Ok(page.render()?)
    })
    .await
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

pub(crate) async fn partners(State(state): State<AppState>, headers: HeaderMap) -> Page {
    cached(&state, &headers, "/partenaires", |ctx| {
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
            layout: layout(ctx, "/partenaires"),
            short_title: plan.short_title.clone(),
            partners,
        };
        Ok(page.render()?)
    })
    .await
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

pub(crate) async fn territory(State(state): State<AppState>, headers: HeaderMap) -> Page {
    cached(&state, &headers, "/territoire", |ctx| {
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
            layout: layout(ctx, "/territoire"),
            territory: TerritoryView::of(&ctx.territory),
            population: group_thousands(ctx.territory.population),
            communes,
        };
        Ok(page.render()?)
    })
    .await
}

#[derive(Template)]
#[template(path = "sitemap.html")]
struct SitemapPage {
    layout: Layout,
}

pub(crate) async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Page {
    cached(&state, &headers, "/plan-du-site", |ctx| {
        Ok(SitemapPage {
            layout: layout(ctx, "/plan-du-site"),
        }
        .render()?)
    })
    .await
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    layout: Layout,
}

pub(crate) async fn accessibility(State(state): State<AppState>, headers: HeaderMap) -> Page {
    cached(&state, &headers, "/accessibilite", |ctx| {
        Ok(AccessibilityPage {
            layout: layout(ctx, "/accessibilite"),
        }
        .render()?)
    })
    .await
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage<'a> {
    layout: Layout,
    plan_source: &'a str,
}

pub(crate) async fn sources(State(state): State<AppState>, headers: HeaderMap) -> Page {
    cached(&state, &headers, "/sources", |ctx| {
        let plan = &ctx.plan;
        let page = SourcesPage {
            layout: layout(ctx, "/sources"),
            plan_source: if plan.source.is_empty() {
                &plan.title
            } else {
                &plan.source
            },
        };
        Ok(page.render()?)
    })
    .await
}

pub(crate) async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND).into_response()
}
