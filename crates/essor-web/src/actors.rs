//! The directory's public side: the search page, the map, each actor's page, the API, the open
//! data export and the embeddable widget. Every view reads the [`Catalogue`], whose actors hold
//! public fields only.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use essor_domain::actor::{Label, OfferKind};
use essor_domain::dates::format_date;
use essor_domain::ess::{Family, section_label};
use essor_domain::money::group_thousands;
use essor_search::{Facet, SearchQuery, SearchResults, Sort};
use serde::Serialize;
use serde_json::{Value, json};

use crate::directory::Actor;
use crate::error::AppError;
use crate::layout::Layout;
use crate::site::SiteContext;
use crate::{AppState, assets, page_layout};

/// Results per page on the site; the API accepts up to [`MAX_PER_PAGE`].
const PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 100;
/// Values listed per facet, the most frequent first (and the chosen ones).
const FACET_VALUES: usize = 50;
/// The longest text searched, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// A search as the URL carries it: `q`, facet values (repeatable), `tri`, `page`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActorsQuery {
    pub text: String,
    pub filters: Vec<(Facet, String)>,
    pub by_name: bool,
    pub page: usize,
    pub per_page: usize,
    pub include_closed: bool,
}

impl ActorsQuery {
    /// Reads the query string; unknown parameters are ignored, bad numbers fall back to 1.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let mut query = Self {
            page: 1,
            per_page: PER_PAGE,
            ..Self::default()
        };
        for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "q" => query.text = value.chars().take(MAX_QUERY_CHARS).collect(),
                "tri" | "sort" => query.by_name = value == "nom" || value == "name",
                "page" => query.page = value.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
                "par_page" | "per_page" => {
                    query.per_page = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                        .unwrap_or(PER_PAGE);
                }
                "fermes" => query.include_closed = value == "1" || value == "oui",
                key => {
                    if let Some(facet) = Facet::from_key(key)
                        && !value.is_empty()
                        && value.len() <= 60
                        && !query.filters.iter().any(|(f, v)| *f == facet && v == value)
                    {
                        query.filters.push((facet, value.to_owned()));
                    }
                }
            }
        }
        query
    }

    fn search(&self) -> SearchQuery {
        let mut search = SearchQuery::text(self.text.clone());
        for (facet, value) in &self.filters {
            search.filters.insert(*facet, value.clone());
        }
        search.sort = if self.by_name {
            Sort::Name
        } else {
            Sort::Relevance
        };
        search.offset = (self.page - 1).saturating_mul(self.per_page);
        search.limit = self.per_page;
        search.include_closed = self.include_closed;
        search.facet_limit = Some(FACET_VALUES);
        search
    }

    fn has(&self, facet: Facet, value: &str) -> bool {
        self.filters.iter().any(|(f, v)| *f == facet && v == value)
    }

    /// The query string of this search at another page.
    pub(crate) fn to_query_string(&self, page: usize) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !self.text.is_empty() {
            out.append_pair("q", &self.text);
        }
        for (facet, value) in &self.filters {
            out.append_pair(facet.key(), value);
        }
        if self.by_name {
            out.append_pair("tri", "nom");
        }
        if self.include_closed {
            out.append_pair("fermes", "1");
        }
        if page > 1 {
            out.append_pair("page", &page.to_string());
        }
        out.finish()
    }
}

/// Runs a search: the results and the actors of the page's hits.
fn run(
    state: &AppState,
    actors: &HashMap<String, Arc<Actor>>,
    query: &ActorsQuery,
) -> Result<(SearchResults, Vec<Arc<Actor>>), AppError> {
    let results = state.catalogue.index().search(&query.search())?;
    let hits = results
        .hits
        .iter()
        .filter_map(|hit| actors.get(&hit.siret).cloned())
        .collect();
    Ok((results, hits))
}

/// The label of a facet value, in French.
fn value_label(context: &SiteContext, state: &AppState, facet: Facet, value: &str) -> String {
    match facet {
        Facet::Commune => state
            .referential
            .commune(value)
            .map_or_else(|| value.to_owned(), |c| c.name.clone()),
        Facet::Theme => context
            .plan
            .themes
            .iter()
            .find(|t| t.key.as_str() == value)
            .map_or_else(|| value.to_owned(), |t| t.title.clone()),
        Facet::Family => {
            Family::parse(value).map_or_else(|| value.to_owned(), |f| f.label().to_owned())
        }
        Facet::Section => section_label(value).to_owned(),
        Facet::OfferKind => {
            OfferKind::parse(value).map_or_else(|| value.to_owned(), |k| k.label().to_owned())
        }
        Facet::Label => {
            Label::parse(value).map_or_else(|| value.to_owned(), |l| l.label().to_owned())
        }
    }
}

fn facet_title(facet: Facet) -> &'static str {
    match facet {
        Facet::Commune => "Commune",
        Facet::Theme => "Thème",
        Facet::Family => "Famille de l’ESS",
        Facet::Section => "Secteur d’activité",
        Facet::OfferKind => "Type d’offre",
        Facet::Label => "Label ou agrément",
    }
}

struct FacetValueView {
    id: String,
    value: String,
    label: String,
    count: String,
    checked: bool,
}

struct FacetView {
    key: &'static str,
    title: &'static str,
    values: Vec<FacetValueView>,
}

fn facet_views(
    context: &SiteContext,
    state: &AppState,
    results: &SearchResults,
    query: &ActorsQuery,
) -> Vec<FacetView> {
    Facet::ALL
        .into_iter()
        .map(|facet| {
            let mut values: Vec<FacetValueView> = results
                .facet(facet)
                .iter()
                .map(|c| FacetValueView {
                    id: format!("f-{}-{}", facet.key(), css_id(&c.value)),
                    value: c.value.clone(),
                    label: value_label(context, state, facet, &c.value),
                    count: group_thousands(c.count as u64),
                    checked: query.has(facet, &c.value),
                })
                .collect();
            // A chosen value stays visible (and can be unchecked) even when nothing matches it.
            for (f, value) in &query.filters {
                if *f == facet && !values.iter().any(|v| &v.value == value) {
                    values.push(FacetValueView {
                        id: format!("f-{}-{}", facet.key(), css_id(value)),
                        value: value.clone(),
                        label: value_label(context, state, facet, value),
                        count: "0".to_owned(),
                        checked: true,
                    });
                }
            }
            FacetView {
                key: facet.key(),
                title: facet_title(facet),
                values,
            }
        })
        .filter(|f| !f.values.is_empty())
        .collect()
}

fn css_id(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// One line of the results.
struct HitView {
    url: String,
    name: String,
    sign: Option<String>,
    commune: String,
    family: &'static str,
    activity: Option<String>,
    summary: Option<String>,
    active: bool,
}

impl HitView {
    fn of(actor: &Actor) -> Self {
        Self {
            url: actor.url(),
            name: actor.name.clone(),
            sign: actor.sign.clone(),
            commune: actor.commune_name.clone(),
            family: actor.family_label,
            activity: actor.activity.clone(),
            summary: actor
                .profile
                .as_ref()
                .map(|p| shorten(&p.description, 180))
                .filter(|s| !s.is_empty()),
            active: actor.active,
        }
    }
}

/// The first `max` characters of a text, cut at a word, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

struct PageLink {
    number: usize,
    href: String,
    current: bool,
}

struct ResultsView {
    total: usize,
    total_text: String,
    relaxed: bool,
    hits: Vec<HitView>,
    pages: Vec<PageLink>,
    previous: Option<String>,
    next: Option<String>,
    map_href: String,
    text: String,
}

fn results_view(
    base: &str,
    query: &ActorsQuery,
    results: &SearchResults,
    hits: &[Arc<Actor>],
) -> ResultsView {
    let last = results.total.div_ceil(query.per_page).max(1);
    let href = |page: usize| {
        let qs = query.to_query_string(page);
        if qs.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{qs}")
        }
    };
    let window = query.page.saturating_sub(3).max(1)..=(query.page + 3).min(last);
    ResultsView {
        total: results.total,
        total_text: match results.total {
            0 => "Aucun acteur ne correspond à la recherche.".to_owned(),
            1 => "1 acteur".to_owned(),
            n => format!("{} acteurs", group_thousands(n as u64)),
        },
        relaxed: results.relaxed,
        hits: hits.iter().map(|a| HitView::of(a)).collect(),
        pages: if last > 1 {
            window
                .map(|number| PageLink {
                    number,
                    href: href(number),
                    current: number == query.page,
                })
                .collect()
        } else {
            Vec::new()
        },
        previous: (query.page > 1).then(|| href(query.page - 1)),
        next: (query.page < last).then(|| href(query.page + 1)),
        map_href: {
            let qs = query.to_query_string(1);
            if qs.is_empty() {
                "/acteurs/carte".to_owned()
            } else {
                format!("/acteurs/carte?{qs}")
            }
        },
        text: query.text.clone(),
    }
}

#[derive(Template)]
#[template(path = "actors.html")]
struct ActorsPage {
    layout: Layout,
    query: ActorsQuery,
    facets: Vec<FacetView>,
    results: ResultsView,
    synthetic: bool,
    script_url: String,
    action: &'static str,
}

#[derive(Template)]
#[template(path = "actors_facets.html")]
struct FacetsFragment<'a> {
    facets: &'a [FacetView],
}

#[derive(Template)]
#[template(path = "actors_results.html")]
struct ResultsFragment<'a> {
    results: &'a ResultsView,
}

/// `GET /acteurs`: the search page. Without JavaScript a plain form; with it, the script asks
/// for the facets and results only (`X-Essor-Fragment: 1`) as one types.
pub(crate) async fn search_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (context, found) = searched(&state, raw.as_deref(), "/acteurs").await?;
    if headers.get("x-essor-fragment").is_some() {
        return found.fragment();
    }
    let page = ActorsPage {
        layout: page_layout(&state, "/acteurs").await?,
        query: found.query,
        facets: found.facets,
        results: found.view,
        synthetic: context.snapshot.as_ref().is_some_and(|s| s.synthetic),
        script_url: assets::url("actors-search.js"),
        action: "/acteurs",
    };
    Ok(Html(page.render()?).into_response())
}

/// A search of the directory, ready for a page at `base`.
struct Searched {
    query: ActorsQuery,
    facets: Vec<FacetView>,
    view: ResultsView,
}

impl Searched {
    /// What the live search asks for (`X-Essor-Fragment: 1`): the facets and the results only.
    fn fragment(&self) -> Result<Response, AppError> {
        Ok(Json(json!({
            "total": self.view.total,
            "facettes": FacetsFragment { facets: &self.facets }.render()?,
            "resultats": ResultsFragment { results: &self.view }.render()?,
        }))
        .into_response())
    }
}

async fn searched(
    state: &AppState,
    raw: Option<&str>,
    base: &str,
) -> Result<(Arc<SiteContext>, Searched), AppError> {
    let query = ActorsQuery::parse(raw);
    let (context, actors) = state.directory(false).await?;
    let (results, hits) = run(state, &actors, &query)?;
    let facets = facet_views(&context, state, &results, &query);
    let view = results_view(base, &query, &results, &hits);
    Ok((
        context,
        Searched {
            query,
            facets,
            view,
        },
    ))
}

#[derive(Template)]
#[template(path = "widget.html")]
struct WidgetPage {
    layout: Layout,
    query: ActorsQuery,
    facets: Vec<FacetView>,
    results: ResultsView,
    script_url: String,
    action: &'static str,
}

/// `GET /widget/acteurs`: the same search in a bare page that other sites may frame; links open
/// the actor's page on essor, outside the frame.
pub(crate) async fn widget(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (_, found) = searched(&state, raw.as_deref(), "/widget/acteurs").await?;
    let mut response = if headers.get("x-essor-fragment").is_some() {
        found.fragment()?
    } else {
        let page = WidgetPage {
            layout: page_layout(&state, "").await?,
            query: found.query,
            facets: found.facets,
            results: found.view,
            script_url: assets::url("actors-search.js"),
            action: "/widget/acteurs",
        };
        Html(page.render()?).into_response()
    };
    frameable(&mut response);
    Ok(response)
}

/// Lets any site frame this response (the widget only: every other page refuses framing).
pub(crate) fn frameable(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        crate::content_security_policy("", "*"),
    );
}

#[derive(Template)]
#[template(path = "actors_map.html")]
struct MapPage {
    layout: Layout,
    query: ActorsQuery,
    results: ResultsView,
    points_url: String,
    contours_url: &'static str,
    tiles: String,
    attribution: String,
    leaflet_css: String,
    leaflet_js: String,
    map_css: String,
    map_js: String,
}

/// `GET /acteurs/carte`: the actors of a search on a map, above the same list.
pub(crate) async fn map_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = ActorsQuery::parse(raw.as_deref());
    let (_, actors) = state.directory(false).await?;
    let (results, hits) = run(&state, &actors, &query)?;
    let view = results_view("/acteurs/carte", &query, &results, &hits);
    let qs = query.to_query_string(1);
    let page = MapPage {
        layout: page_layout(&state, "/acteurs").await?,
        points_url: if qs.is_empty() {
            "/acteurs/carte.geojson".to_owned()
        } else {
            format!("/acteurs/carte.geojson?{qs}")
        },
        query,
        results: view,
        contours_url: "/territoire/communes.geojson",
        tiles: state.map.tiles_url.clone().unwrap_or_default(),
        attribution: state.map.attribution.clone(),
        leaflet_css: assets::url("leaflet.css"),
        leaflet_js: assets::url("leaflet.js"),
        map_css: assets::url("actors-map.css"),
        map_js: assets::url("actors-map.js"),
    };
    let mut response = Html(page.render()?).into_response();
    if let Some(origin) = state.map.tiles_url.as_deref().and_then(tile_origin) {
        // The tiles come from the configured server: the only outside source a page may use.
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            crate::content_security_policy(&origin, "'none'"),
        );
    }
    Ok(response)
}

/// The origin of a tile URL template, as a CSP source (`https://*.tile.example.org` for a
/// `{s}` subdomain); `None` when it is not an http(s) URL.
fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split('/').next()?.replace("{s}", "*");
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*'));
    valid.then(|| format!("{scheme}://{host}"))
}

/// The most points one map answer carries.
const MAX_POINTS: usize = 20_000;

/// `GET /acteurs/carte.geojson`: the positions of every actor of a search (not only a page).
pub(crate) async fn map_points(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let mut query = ActorsQuery::parse(raw.as_deref());
    query.page = 1;
    query.per_page = MAX_POINTS;
    let (_, actors) = state.directory(false).await?;
    let mut search = query.search();
    search.limit = MAX_POINTS;
    let results = state.catalogue.index().search(&search)?;
    let features: Vec<Value> = results
        .hits
        .iter()
        .filter_map(|hit| actors.get(&hit.siret))
        .filter_map(|actor| {
            let position = actor.position?;
            Some(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [position.lon, position.lat]},
                "properties": {
                    "siret": actor.siret,
                    "nom": actor.name,
                    "commune": actor.commune_name,
                    "url": actor.url(),
                    "approximatif": position.approximate,
                },
            }))
        })
        .collect();
    Ok(geojson(
        &json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// `GET /territoire/communes.geojson`: the contours of the territory's communes.
pub(crate) async fn contours(State(state): State<AppState>) -> Result<Response, AppError> {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let codes: Vec<String> = context
        .territory
        .communes
        .iter()
        .map(|c| c.code.to_string())
        .collect();
    let body = crate::map::contours_geojson(&codes, |code| {
        state.referential.commune(code).map(|c| c.name.clone())
    });
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

fn geojson(value: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        value.to_string(),
    )
        .into_response()
}

/// What the actor's page shows of another establishment of the same structure.
struct SiblingView {
    url: Option<String>,
    siret: String,
    label: String,
}

#[derive(Template)]
#[template(path = "actor.html")]
struct ActorPage {
    layout: Layout,
    actor: Arc<Actor>,
    created: Option<String>,
    siblings: Vec<SiblingView>,
    themes: Vec<String>,
    offers: Vec<OfferView>,
    labels: Vec<&'static str>,
    synthetic: bool,
    imported_on: String,
    can_edit: bool,
    staff: bool,
}

struct OfferView {
    title: String,
    description: String,
    kind: Option<&'static str>,
    themes: Vec<String>,
    communes: Vec<String>,
}

/// Where another establishment of the structure is, and what it is.
fn sibling_label(actor: &Actor) -> String {
    let place = match &actor.address {
        Some(address) if !actor.partial_dissemination => {
            format!("{address}, {}", actor.commune_name)
        }
        _ => actor.commune_name.clone(),
    };
    let head = if actor.head_office { " — siège" } else { "" };
    let status = if actor.active { "" } else { " (fermé)" };
    format!("{place}{head}{status}")
}

/// `GET /acteurs/{siret}`.
pub(crate) async fn actor_page(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<crate::access::CurrentUser>,
    Path(siret): Path<String>,
) -> Result<Response, AppError> {
    let (context, actors) = state.directory(false).await?;
    let Some(actor) = actors.get(&siret).cloned() else {
        return Err(AppError::NotFound);
    };
    let snapshot = context.snapshot.as_ref();
    let siblings = match snapshot {
        Some(s) => state
            .store
            .establishments_of_siren(s.id, &actor.siren)
            .await?
            .into_iter()
            .filter(|row| row.siret != actor.siret)
            .map(|row| {
                let known = actors.get(&row.siret);
                SiblingView {
                    url: known.map(|a| a.url()),
                    label: known.map_or_else(|| "établissement".to_owned(), |a| sibling_label(a)),
                    siret: row.siret,
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let theme_title = |key: &str| value_label(&context, &state, Facet::Theme, key);
    let commune_name = |code: &str| value_label(&context, &state, Facet::Commune, code);
    let profile = actor.profile.clone().unwrap_or_default();
    let page = ActorPage {
        layout: page_layout(&state, "/acteurs").await?,
        created: actor
            .created
            .as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(format_date),
        siblings,
        themes: actor.themes.iter().map(|t| theme_title(t)).collect(),
        offers: profile
            .offers
            .iter()
            .map(|o| OfferView {
                title: o.title.clone(),
                description: o.description.clone(),
                kind: o.kind.map(OfferKind::label),
                themes: o.themes.iter().map(|t| theme_title(t)).collect(),
                communes: o.communes.iter().map(|c| commune_name(c)).collect(),
            })
            .collect(),
        labels: profile.labels.iter().map(|l| l.label()).collect(),
        synthetic: snapshot.is_some_and(|s| s.synthetic),
        imported_on: snapshot
            .map(|s| format_date(s.imported_at.date_naive()))
            .unwrap_or_default(),
        staff: user
            .principal
            .decide(&essor_domain::access::Permission::BackOffice)
            == essor_domain::access::Decision::Allow,
        // The route's own rule: the actor's structure, else (an actor added by hand without
        // one) staff.
        can_edit: user
            .principal
            .decide(&essor_domain::Siren::parse(&actor.siren).map_or(
                essor_domain::access::Permission::BackOffice,
                essor_domain::access::Permission::ActFor,
            ))
            == essor_domain::access::Decision::Allow,
        actor,
    };
    Ok(Html(page.render()?).into_response())
}

/// An actor in the API and the JSON export: public fields only.
#[derive(Serialize)]
struct ApiActor<'a> {
    #[serde(flatten)]
    actor: &'a Actor,
    url: String,
    description: Option<&'a str>,
    offers: Vec<ApiOffer<'a>>,
    offer_kinds: Vec<&'static str>,
    labels: Vec<&'static str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    website: Option<&'a str>,
    social: &'a [String],
    hours: Option<&'a str>,
}

#[derive(Serialize)]
struct ApiOffer<'a> {
    title: &'a str,
    description: &'a str,
    kind: Option<&'static str>,
    themes: &'a [String],
    communes: &'a [String],
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.trim().is_empty()).then_some(s)
}

impl<'a> ApiActor<'a> {
    fn of(actor: &'a Actor, base: &str) -> Self {
        let profile = actor.profile.as_ref();
        Self {
            actor,
            url: format!("{base}{}", actor.url()),
            description: profile.and_then(|p| non_empty(&p.description)),
            offers: profile
                .map(|p| {
                    p.offers
                        .iter()
                        .map(|o| ApiOffer {
                            title: &o.title,
                            description: &o.description,
                            kind: o.kind.map(OfferKind::key),
                            themes: &o.themes,
                            communes: &o.communes,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            offer_kinds: profile
                .map(|p| p.offer_kinds().into_iter().map(OfferKind::key).collect())
                .unwrap_or_default(),
            labels: profile
                .map(|p| p.labels.iter().map(|l| l.key()).collect())
                .unwrap_or_default(),
            email: profile.and_then(|p| non_empty(&p.email)),
            phone: profile.and_then(|p| non_empty(&p.phone)),
            website: profile.and_then(|p| non_empty(&p.website)),
            social: profile.map_or(&[], |p| p.social.as_slice()),
            hours: profile.and_then(|p| non_empty(&p.hours)),
        }
    }
}

/// `GET /api/v1/acteurs?q=&commune=&theme=&famille=&section=&offre=&label=&tri=&page=&per_page=`.
pub(crate) async fn api_search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = ActorsQuery::parse(raw.as_deref());
    let (_, actors) = state.directory(false).await?;
    let (results, hits) = run(&state, &actors, &query)?;
    let base = base_url(&state);
    Ok(Json(ApiResults {
        total: results.total,
        page: query.page,
        per_page: query.per_page,
        relaxed: results.relaxed,
        hits: hits.iter().map(|a| ApiActor::of(a, &base)).collect(),
        facets: ApiFacets(&results.facets),
    })
    .into_response())
}

/// The answer of `/api/v1/acteurs`, serialised as it is (no intermediate JSON tree).
#[derive(Serialize)]
struct ApiResults<'a> {
    total: usize,
    page: usize,
    per_page: usize,
    relaxed: bool,
    hits: Vec<ApiActor<'a>>,
    facets: ApiFacets<'a>,
}

/// `{ "commune": [{ "value": …, "count": … }, …], … }`.
struct ApiFacets<'a>(&'a [(Facet, Vec<essor_search::FacetCount>)]);

impl Serialize for ApiFacets<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Count<'a> {
            value: &'a str,
            count: usize,
        }
        serializer.collect_map(self.0.iter().map(|(facet, counts)| {
            let counts: Vec<Count<'_>> = counts
                .iter()
                .map(|c| Count {
                    value: &c.value,
                    count: c.count,
                })
                .collect();
            (facet.key(), counts)
        }))
    }
}

/// `GET /api/v1/acteurs/{siret}`.
pub(crate) async fn api_actor(
    State(state): State<AppState>,
    Path(siret): Path<String>,
) -> Result<Response, AppError> {
    let (_, actors) = state.directory(false).await?;
    let base = base_url(&state);
    match actors.get(&siret) {
        Some(actor) => Ok(Json(ApiActor::of(actor, &base)).into_response()),
        None => Ok((
            StatusCode::NOT_FOUND,
            Json(json!({"error": "acteur introuvable dans l’annuaire", "siret": siret})),
        )
            .into_response()),
    }
}

/// The public address of essor, without the final slash, for absolute links.
fn base_url(state: &AppState) -> String {
    state
        .accounts
        .site
        .public_url
        .link("/", &[])
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// Every actor, by SIRET, for the exports.
fn sorted(actors: &HashMap<String, Arc<Actor>>) -> Vec<&Arc<Actor>> {
    let mut all: Vec<&Arc<Actor>> = actors.values().collect();
    all.sort_by(|a, b| a.siret.cmp(&b.siret));
    all
}

/// `GET /opendata/acteurs.json`: every actor of the directory, public fields only.
pub(crate) async fn export_json(State(state): State<AppState>) -> Result<Response, AppError> {
    let (_, actors) = state.directory(false).await?;
    let base = base_url(&state);
    let all: Vec<ApiActor<'_>> = sorted(&actors)
        .into_iter()
        .map(|a| ApiActor::of(a, &base))
        .collect();
    let body = serde_json::to_vec(&json!({
        "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",
        "source": "Répertoire SIRENE de l’INSEE et fiches complétées par les structures",
        "actors": all,
    }))
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"acteurs-ess.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// The columns of the CSV export, in French.
const CSV_COLUMNS: [&str; 27] = [
    "siret",
    "siren",
    "nom",
    "enseigne",
    "sigle",
    "categorie_juridique",
    "forme_juridique",
    "famille_ess",
    "code_naf",
    "activite",
    "section_naf",
    "tranche_effectifs",
    "date_creation",
    "siege",
    "actif",
    "adresse",
    "code_postal",
    "code_commune",
    "commune",
    "latitude",
    "longitude",
    "position_approximative",
    "themes",
    "types_offre",
    "labels",
    "site_web",
    "url",
];

/// `GET /opendata/acteurs.csv`: the same as the JSON export, one line per actor, `;` separated
/// lists, UTF-8.
pub(crate) async fn export_csv(State(state): State<AppState>) -> Result<Response, AppError> {
    let (_, actors) = state.directory(false).await?;
    let base = base_url(&state);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| AppError::Internal(format!("export CSV : {e}"));
    writer.write_record(CSV_COLUMNS).map_err(failed)?;
    for actor in sorted(&actors) {
        let profile = actor.profile.as_ref();
        let yes_no = |b: bool| if b { "oui" } else { "non" };
        let position = actor.position;
        let mut coordinates = (String::new(), String::new());
        if let Some(p) = position {
            coordinates = (format!("{:.6}", p.lat), format!("{:.6}", p.lon));
        }
        let record: [String; 27] = [
            actor.siret.clone(),
            actor.siren.clone(),
            actor.name.clone(),
            actor.sign.clone().unwrap_or_default(),
            actor.acronym.clone().unwrap_or_default(),
            actor.legal_category.clone(),
            actor.legal_form.clone(),
            actor.family.to_owned(),
            actor.naf.clone().unwrap_or_default(),
            actor.activity.clone().unwrap_or_default(),
            actor.section.clone(),
            actor.size_band.unwrap_or_default().to_owned(),
            actor.created.clone().unwrap_or_default(),
            yes_no(actor.head_office).to_owned(),
            yes_no(actor.active).to_owned(),
            actor.address.clone().unwrap_or_default(),
            actor.postcode.clone().unwrap_or_default(),
            actor.commune.clone(),
            actor.commune_name.clone(),
            coordinates.0,
            coordinates.1,
            position.map_or("", |p| yes_no(p.approximate)).to_owned(),
            actor.themes.join(";"),
            profile
                .map(|p| {
                    p.offer_kinds()
                        .into_iter()
                        .map(OfferKind::key)
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default(),
            profile
                .map(|p| {
                    p.labels
                        .iter()
                        .map(|l| l.key())
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default(),
            profile.map(|p| p.website.clone()).unwrap_or_default(),
            format!("{base}{}", actor.url()),
        ];
        writer.write_record(&record).map_err(failed)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"acteurs-ess.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /api/openapi.json`: the `OpenAPI` 3.1 description of the public API.
pub(crate) async fn openapi(State(state): State<AppState>) -> Response {
    let server = base_url(&state);
    let facet_param = |name: &str, what: &str| {
        json!({
            "name": name, "in": "query", "required": false,
            "description": format!("{what} (répétable : plusieurs valeurs s’additionnent)"),
            "schema": {"type": "array", "items": {"type": "string"}},
            "style": "form", "explode": true,
        })
    };
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "API essor",
            "version": "1",
            "description": "Annuaire des acteurs de l’ESS du territoire et panorama de l’observatoire. Données publiques, sans authentification ; les unités en diffusion partielle (statutDiffusion = P) n’exposent ni adresse, ni enseigne, ni position précise, et les entrepreneurs individuels concernés aucun nom.",
            "license": {"name": "Licence Ouverte 2.0", "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"},
        },
        "servers": [{"url": server}],
        "paths": {
            "/api/v1/acteurs": {"get": {
                "summary": "Rechercher des acteurs",
                "parameters": [
                    {"name": "q", "in": "query", "required": false, "description": "Texte cherché : nom, enseigne, sigle, activité, offre, commune ; accents, pluriels et fautes de frappe tolérés", "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS}},
                    facet_param("commune", "Code INSEE de commune"),
                    facet_param("theme", "Clé de thème du plan"),
                    facet_param("famille", "Famille de l’ESS (association, cooperative, mutuelle, fondation, societe_commerciale_ess)"),
                    facet_param("section", "Section NAF (A à U, non_classee)"),
                    facet_param("offre", "Type d’offre"),
                    facet_param("label", "Label ou agrément"),
                    {"name": "tri", "in": "query", "required": false, "description": "pertinence (par défaut) ou nom", "schema": {"type": "string", "enum": ["pertinence", "nom"]}},
                    {"name": "page", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "default": 1}},
                    {"name": "per_page", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE}},
                ],
                "responses": {"200": {"description": "Résultats", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Recherche"}}}}},
            }},
            "/api/v1/acteurs/{siret}": {"get": {
                "summary": "Un acteur",
                "parameters": [{"name": "siret", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9]{14}$"}}],
                "responses": {
                    "200": {"description": "L’acteur", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Acteur"}}}},
                    "404": {"description": "Pas dans l’annuaire"},
                },
            }},
            "/api/v1/panorama": {"get": {
                "summary": "Panorama de l’ESS d’un territoire",
                "parameters": [
                    {"name": "territory", "in": "query", "required": false, "description": "epci:SIREN, departement:CODE, communes:CODE,CODE… (le territoire par défaut sinon)", "schema": {"type": "string"}},
                    {"name": "snapshot", "in": "query", "required": false, "description": "Numéro d’import SIRENE (le dernier sinon)", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "Le panorama (DATA.md §2)", "content": {"application/json": {}}}},
            }},
            "/opendata/acteurs.csv": {"get": {"summary": "Export complet des acteurs (CSV)", "responses": {"200": {"description": "CSV UTF-8", "content": {"text/csv": {}}}}}},
            "/opendata/acteurs.json": {"get": {"summary": "Export complet des acteurs (JSON)", "responses": {"200": {"description": "JSON", "content": {"application/json": {}}}}}},
        },
    });
    doc["components"] = json!({"schemas": {
        "Recherche": {"type": "object", "required": ["total", "hits", "facets"], "properties": {
            "total": {"type": "integer", "description": "Nombre d’acteurs correspondant"},
            "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "relaxed": {"type": "boolean", "description": "Vrai quand aucun acteur ne contenait tous les mots : les résultats en contiennent au moins un"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Acteur"}},
            "facets": {"type": "object", "description": "Par facette (commune, theme, famille, section, offre, label), les 50 valeurs les plus fréquentes (et celles choisies) et le nombre d’acteurs qu’on obtient en les choisissant",
                "additionalProperties": {"type": "array", "items": {"type": "object", "properties": {"value": {"type": "string"}, "count": {"type": "integer"}}}}},
        }},
        "Acteur": {"type": "object", "required": ["siret", "siren", "name", "commune"], "properties": {
            "siret": {"type": "string"}, "siren": {"type": "string"}, "name": {"type": "string"},
            "sign": {"type": ["string", "null"]}, "acronym": {"type": ["string", "null"]},
            "legal_category": {"type": "string"}, "legal_form": {"type": "string"},
            "family": {"type": "string"}, "family_label": {"type": "string"},
            "naf": {"type": ["string", "null"]}, "activity": {"type": ["string", "null"]},
            "section": {"type": "string"}, "section_label": {"type": "string"},
            "size_band": {"type": ["string", "null"]}, "created": {"type": ["string", "null"], "format": "date"},
            "address": {"type": ["string", "null"]}, "postcode": {"type": ["string", "null"]},
            "commune": {"type": "string"}, "commune_name": {"type": "string"},
            "head_office": {"type": "boolean"}, "active": {"type": "boolean"}, "employer": {"type": "boolean"},
            "partial_dissemination": {"type": "boolean"},
            "themes": {"type": "array", "items": {"type": "string"}},
            "position": {"type": ["object", "null"], "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}, "approximate": {"type": "boolean"}}},
            "url": {"type": "string"}, "description": {"type": ["string", "null"]},
            "offers": {"type": "array", "items": {"type": "object"}},
            "offer_kinds": {"type": "array", "items": {"type": "string"}},
            "labels": {"type": "array", "items": {"type": "string"}},
            "email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]},
            "website": {"type": ["string", "null"]}, "social": {"type": "array", "items": {"type": "string"}},
            "hours": {"type": ["string", "null"]},
        }},
    }});
    crate::api::extend_openapi(&mut doc);
    let mut text = String::new();
    let _ = write!(text, "{doc:#}");
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::tile_origin;

    #[test]
    fn the_tile_server_is_the_only_outside_image_source() {
        assert_eq!(
            tile_origin("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("https://tuiles.example.fr:8443/carte/{z}/{x}/{y}.png").as_deref(),
            Some("https://tuiles.example.fr:8443")
        );
        assert_eq!(tile_origin("javascript:alert(1)"), None);
        assert_eq!(tile_origin("https://a b/{z}"), None);
    }
}
