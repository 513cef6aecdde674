//! The directory: search quality, facet counts, pages, API, exports, widget, map, and the rule
//! that nothing masked or protected ever shows.

use axum::Router;
use axum::http::StatusCode;
use essor_domain::ess::Family;
use essor_domain::establishment::EstablishmentRecord;
use essor_store::{EstablishmentRow, NewSnapshot};
use essor_web::{AppState, router};
use serde_json::Value;

use crate::{get, seeded_state};

/// The protected individual entrepreneur's name and street: they must never show.
const SECRET_NAME: &str = "DUPONTEL";
const SECRET_STREET: &str = "IMPASSE DES SECRETS";

#[allow(clippy::too_many_arguments)]
pub fn record(
    siret: &str,
    commune: &str,
    name: Option<&str>,
    sign: Option<&str>,
    naf: &str,
    section: &str,
    themes: &[&str],
    family: Family,
    category: &str,
) -> EstablishmentRecord {
    EstablishmentRecord {
        siret: siret.to_owned(),
        siren: siret[..9].to_owned(),
        commune: commune.to_owned(),
        active: true,
        employer: true,
        head_office: siret.ends_with("00011") || siret.ends_with("00019"),
        diffusion_partial: false,
        name: name.map(str::to_owned),
        acronym: None,
        sign: sign.map(str::to_owned),
        address_line: Some("3 RUE DES ARTS".to_owned()),
        postcode: Some("38000".to_owned()),
        naf: Some(naf.to_owned()),
        naf_nomenclature: Some("NAFRev2".to_owned()),
        band: Some("03".to_owned()),
        family,
        legal_category: category.to_owned(),
        ess_flag: false,
        created: Some("2012-03-04".to_owned()),
        lambert_x: Some(914_000.0),
        lambert_y: Some(6_457_000.0),
        section: section.to_owned(),
        themes: themes.iter().map(|t| (*t).to_owned()).collect(),
        jobs_x2: 9,
    }
}

#[allow(clippy::too_many_lines)] // one literal per actor reads best as one list
fn records() -> Vec<EstablishmentRecord> {
    let mut protected = record(
        "81234567800015",
        "38185",
        Some(SECRET_NAME),
        Some("ATELIER VELO DUPONTEL"),
        "95.29Z",
        "S",
        &["mobilites"],
        Family::SocieteCommercialeEss,
        "1000",
    );
    protected.diffusion_partial = true;
    protected.address_line = Some(format!("4 {SECRET_STREET}"));
    let mut closed = record(
        "44455566600011",
        "38185",
        Some("RECYCLERIE FERMEE"),
        None,
        "38.32Z",
        "E",
        &["dechets"],
        Family::Association,
        "9220",
    );
    closed.active = false;
    vec![
        record(
            "30000000100019",
            "38151",
            Some("ASSOCIATION DE LA RESSOURCERIE"),
            Some("RECYCLERIE DU SUD"),
            "47.79Z",
            "G",
            &["dechets"],
            Family::Association,
            "9220",
        ),
        record(
            "30000000100027",
            "38185",
            Some("ASSOCIATION DE LA RESSOURCERIE"),
            Some("BOUTIQUE DU REEMPLOI"),
            "47.79Z",
            "G",
            &["dechets"],
            Family::Association,
            "9220",
        ),
        record(
            "40000000200011",
            "38421",
            Some("RECYCLERIE DES ALPES"),
            None,
            "38.32Z",
            "E",
            &["dechets"],
            Family::Cooperative,
            "5458",
        ),
        record(
            "50000000300011",
            "38185",
            Some("L'ÉPICERIE SOLIDAIRE DU CENTRE"),
            None,
            "47.11B",
            "G",
            &["circuits_courts"],
            Family::Association,
            "9220",
        ),
        record(
            "60000000400011",
            "38185",
            Some("LES AMIS DU VÉLO"),
            None,
            "94.99Z",
            "S",
            &["mobilites"],
            Family::Association,
            "9220",
        ),
        record(
            "70000000500011",
            "38151",
            Some("MUTUELLE DES ALPES"),
            None,
            "65.12Z",
            "K",
            &[],
            Family::Mutuelle,
            "8210",
        ),
        protected,
        closed,
        // Lyon: outside the territory, never in its directory.
        record(
            "90000000600011",
            "69381",
            Some("RECYCLERIE LYONNAISE"),
            None,
            "38.32Z",
            "E",
            &["dechets"],
            Family::Association,
            "9220",
        ),
    ]
}

pub async fn directory_state() -> AppState {
    directory_state_with(Vec::new()).await
}

/// The directory's test actors, and more.
pub async fn directory_state_with(extra: Vec<EstablishmentRecord>) -> AppState {
    let state = seeded_state().await;
    import(&state, records().into_iter().chain(extra)).await;
    state
}

/// Stores an import of these establishments (and no figures).
async fn import(state: &AppState, records: impl IntoIterator<Item = EstablishmentRecord>) {
    let rows: Vec<EstablishmentRow> = records
        .into_iter()
        .map(|r| EstablishmentRow::of(&r).unwrap())
        .collect();
    state
        .store
        .save_snapshot(&NewSnapshot {
            establishments_file: "StockEtablissement_utf8.zip",
            units_file: "StockUniteLegale_utf8.zip",
            synthetic: false,
            report: &serde_json::json!({}),
            facts: &essor_domain::panorama::FactTable::default(),
            establishments: &rows,
        })
        .await
        .unwrap();
}

async fn app() -> Router {
    router(directory_state().await)
}

async fn api(app: &Router, query: &str) -> Value {
    let page = get(app, &format!("/api/v1/acteurs?{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
    assert!(page.content_type.starts_with("application/json"));
    serde_json::from_str(&page.body).unwrap()
}

fn sirets(answer: &Value) -> Vec<String> {
    answer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["siret"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_forgives_accents_plurals_elisions_typos_and_unfinished_words() {
    let app = app().await;
    let cases: [(&str, &str); 9] = [
        // a typo in the name
        ("q=ressourcrie", "30000000100019"),
        // accents and case, two words: the recyclerie of Échirolles first
        ("q=R%C3%A9cyclerie+ECHIROLLES", "30000000100019"),
        // plural and no accent
        ("q=velos", "60000000400011"),
        // elision
        ("q=l%27epicerie", "50000000300011"),
        ("q=epiceries+solidaires", "50000000300011"),
        // prefix, as one types
        ("q=epic", "50000000300011"),
        ("q=mutu", "70000000500011"),
        // the activity in words (NAF 38.32Z: récupération de déchets triés)
        ("q=recuperation+dechets", "40000000200011"),
        // the commune
        ("q=saint-martin-d%27heres", "40000000200011"),
    ];
    for (query, expected) in cases {
        let answer = api(&app, query).await;
        let found = sirets(&answer);
        assert_eq!(
            found.first().map(String::as_str),
            Some(expected),
            "{query}: {found:?}"
        );
    }
    // Closed establishments and those of other territories are not in the directory.
    let recycleries = sirets(&api(&app, "q=recyclerie").await);
    assert!(recycleries.contains(&"40000000200011".to_owned()));
    assert!(
        !recycleries.contains(&"44455566600011".to_owned()),
        "closed"
    );
    assert!(!recycleries.contains(&"90000000600011".to_owned()), "Lyon");
    let with_closed = sirets(&api(&app, "q=recyclerie&fermes=1").await);
    assert!(with_closed.contains(&"44455566600011".to_owned()));
}

#[tokio::test]
async fn facet_counts_equal_the_hits_they_filter_to() {
    let app = app().await;
    for query in ["", "q=recyclerie", "q=association", "famille=association"] {
        let answer = api(&app, query).await;
        let facets = answer["facets"].as_object().unwrap();
        assert!(!facets.is_empty(), "{query}");
        for (facet, counts) in facets {
            for count in counts.as_array().unwrap() {
                let value = count["value"].as_str().unwrap();
                let expected = count["count"].as_u64().unwrap();
                // Choosing the value replaces the values chosen in the same facet.
                let mut params: Vec<String> = query
                    .split('&')
                    .filter(|p| !p.is_empty() && !p.starts_with(&format!("{facet}=")))
                    .map(str::to_owned)
                    .collect();
                params.push(format!(
                    "{facet}={}",
                    form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
                ));
                let filtered = api(&app, &params.join("&")).await;
                assert_eq!(
                    filtered["total"].as_u64().unwrap(),
                    expected,
                    "{query} + {facet}={value}"
                );
            }
        }
    }
    let all = api(&app, "").await;
    assert_eq!(all["total"], 7, "the 7 active actors of the territory");
    let communes = &all["facets"]["commune"];
    let grenoble = communes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == "38185")
        .unwrap();
    assert_eq!(grenoble["count"], 4);
}

#[tokio::test]
async fn sort_and_pages() {
    let app = app().await;
    let by_name = api(&app, "tri=nom&per_page=3").await;
    let names: Vec<&str> = by_name["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Association de la Ressourcerie",
            "Association de la Ressourcerie",
            "Entrepreneur individuel (identité non diffusée)"
        ]
    );
    let second = api(&app, "tri=nom&per_page=3&page=3").await;
    assert_eq!(second["hits"].as_array().unwrap().len(), 1);
    assert_eq!(second["total"], 7);
}

#[tokio::test]
async fn nothing_protected_or_masked_shows_anywhere() {
    let app = app().await;
    let paths = [
        "/acteurs",
        "/acteurs?q=velo",
        "/acteurs/81234567800015",
        "/api/v1/acteurs?q=velo",
        "/api/v1/acteurs?per_page=100",
        "/api/v1/acteurs/81234567800015",
        "/opendata/acteurs.csv",
        "/opendata/acteurs.json",
        "/acteurs/carte.geojson",
        "/widget/acteurs?q=atelier",
    ];
    for path in paths {
        let page = get(&app, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let upper = page.body.to_uppercase();
        for secret in [SECRET_NAME, SECRET_STREET, "[ND]", "ATELIER VELO"] {
            assert!(!upper.contains(secret), "{secret} in {path}");
        }
    }
    // The actor is listed, without a name nor an address, and placed at its commune's centre.
    let actor: Value =
        serde_json::from_str(&get(&app, "/api/v1/acteurs/81234567800015").await.body).unwrap();
    assert_eq!(
        actor["name"],
        "Entrepreneur individuel (identité non diffusée)"
    );
    assert_eq!(actor["address"], Value::Null);
    assert_eq!(actor["sign"], Value::Null);
    assert_eq!(actor["partial_dissemination"], true);
    assert_eq!(actor["position"]["approximate"], true);
    // Searching its name finds nothing.
    assert_eq!(api(&app, "q=dupontel").await["total"], 0);
}

#[tokio::test]
async fn the_search_page_works_without_javascript_and_feeds_the_live_search() {
    let app = app().await;
    let page = get(&app, "/acteurs?q=recyclerie&commune=38151").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("<form class=\"recherche-acteurs\" method=\"get\" action=\"/acteurs\""));
    assert!(body.contains("value=\"recyclerie\""));
    assert!(body.contains("href=\"/acteurs/30000000100019\""), "{body}");
    assert!(
        !body.contains("href=\"/acteurs/40000000200011\""),
        "other commune filtered out"
    );
    assert!(body.contains("name=\"commune\" value=\"38151\" checked"));
    assert!(body.contains("<legend>Commune</legend>"));
    assert!(body.contains("Échirolles"));
    assert!(body.contains("/static/actors-search.js?v="));

    let fragment = crate::get_with(&app, "/acteurs?q=velo", &[("x-essor-fragment", "1")]).await;
    let data: Value = serde_json::from_str(&fragment.body).unwrap();
    assert_eq!(data["total"], 1);
    let results = data["resultats"].as_str().unwrap();
    assert!(results.contains("Les Amis du Vélo"), "{results}");
    assert!(data["facettes"].as_str().unwrap().contains("<fieldset"));
}

#[tokio::test]
async fn an_actor_page_says_what_sirene_says_and_lists_the_other_establishments() {
    let app = app().await;
    let page = get(&app, "/acteurs/30000000100019").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("<h1>Association de la Ressourcerie</h1>"));
    assert!(body.contains("Recyclerie du Sud"));
    assert!(body.contains("Association déclarée"));
    assert!(body.contains("Commerce de détail de biens d&#39;occasion en magasin"));
    assert!(body.contains("04/03/2012"));
    assert!(body.contains("3 rue des Arts<br>38000 Échirolles"));
    assert!(
        body.contains("href=\"/acteurs/30000000100027\""),
        "the other establishment"
    );
    assert!(body.contains("/acteurs/30000000100019/revendiquer"));
    assert_eq!(
        get(&app, "/acteurs/90000000600011").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/acteurs/12345").await.status,
        StatusCode::NOT_FOUND
    );
    let missing = get(&app, "/api/v1/acteurs/12345678901234").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn exports_api_description_widget_and_map() {
    let app = app().await;
    let csv = get(&app, "/opendata/acteurs.csv").await;
    assert!(csv.content_type.starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(lines[0].starts_with("siret,siren,nom,enseigne"));
    assert_eq!(
        lines.len(),
        1 + 8,
        "header and the 8 actors of the territory, closed included"
    );
    let json: Value =
        serde_json::from_str(&get(&app, "/opendata/acteurs.json").await.body).unwrap();
    assert_eq!(json["actors"].as_array().unwrap().len(), 8);

    let openapi: Value = serde_json::from_str(&get(&app, "/api/openapi.json").await.body).unwrap();
    assert_eq!(openapi["openapi"], "3.1.0");
    assert!(openapi["paths"]["/api/v1/acteurs"]["get"].is_object());
    assert!(openapi["paths"]["/api/v1/acteurs/{siret}"]["get"].is_object());

    let widget = get(&app, "/widget/acteurs").await;
    assert_eq!(widget.status, StatusCode::OK);
    let policy = widget.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.ends_with("frame-ancestors *"), "{policy}");
    assert!(widget.headers.get("x-frame-options").is_none());
    let page = get(&app, "/acteurs").await;
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    let points: Value =
        serde_json::from_str(&get(&app, "/acteurs/carte.geojson?q=recyclerie").await.body).unwrap();
    let features = points["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    let [lon, lat] = [
        features[0]["geometry"]["coordinates"][0].as_f64().unwrap(),
        features[0]["geometry"]["coordinates"][1].as_f64().unwrap(),
    ];
    assert!(
        (45.0..45.4).contains(&lat) && (5.5..6.0).contains(&lon),
        "{lat} {lon}"
    );
    let map = get(&app, "/acteurs/carte?q=recyclerie").await;
    assert!(
        map.body
            .contains("data-points=\"/acteurs/carte.geojson?q=recyclerie\"")
    );
    assert!(map.body.contains("/static/leaflet.js?v="));
    let contours: Value =
        serde_json::from_str(&get(&app, "/territoire/communes.geojson").await.body).unwrap();
    assert_eq!(contours["features"].as_array().unwrap().len(), 49);
}

#[tokio::test]
async fn a_unit_that_switches_to_partial_dissemination_is_masked_from_the_next_import() {
    let state = directory_state().await;
    let app = router(state.clone());
    let before: Value =
        serde_json::from_str(&get(&app, "/api/v1/acteurs/60000000400011").await.body).unwrap();
    assert_eq!(before["address"], "3 rue des Arts");
    assert_eq!(before["position"]["approximate"], false);

    // The next stock: the same unit, now under partial dissemination.
    let next = records().into_iter().map(|mut r| {
        if r.siret == "60000000400011" {
            r.diffusion_partial = true;
        }
        r
    });
    import(&state, next).await;
    state.refresh_directory().await.unwrap();
    for path in ["/api/v1/acteurs/60000000400011", "/acteurs/60000000400011"] {
        let body = get(&app, path).await.body.to_lowercase();
        assert!(!body.contains("3 rue des arts"), "{path}");
    }
    let csv = get(&app, "/opendata/acteurs.csv").await.body;
    let line = csv
        .lines()
        .find(|l| l.starts_with("60000000400011"))
        .unwrap();
    assert!(!line.to_lowercase().contains("rue des arts"), "{line}");
    let export: Value =
        serde_json::from_str(&get(&app, "/opendata/acteurs.json").await.body).unwrap();
    let exported = export["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["siret"] == "60000000400011")
        .unwrap();
    assert_eq!(exported["address"], Value::Null);
    let after: Value =
        serde_json::from_str(&get(&app, "/api/v1/acteurs/60000000400011").await.body).unwrap();
    assert_eq!(after["address"], Value::Null);
    assert_eq!(after["postcode"], Value::Null);
    assert_eq!(after["position"]["approximate"], true);
    assert_eq!(after["partial_dissemination"], true);
}
