use axum::http::{StatusCode, header};

use essor_web::router;

use crate::{app, empty_app, get, seeded_state};

const SEED_ORIENTATIONS: [&str; 3] = [
    "Renforcer la création et la consolidation d’activités et d’emplois en ESS",
    "Promouvoir l’offre de services et de produits des entreprises de l’ESS",
    "Favoriser les collaborations entre structures et le rapprochement avec les autres acteurs de l’économie",
];

const SEED_THEMES: [&str; 5] = [
    "Transition énergétique / Environnement",
    "Déchets",
    "Circuits courts / Alimentation",
    "Mobilités",
    "Habitat",
];

/// The seed's texts as HTML-escaped by the templates.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('\'', "&#39;")
        .replace('"', "&#34;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
}

fn contains_text(body: &str, text: &str) -> bool {
    body.contains(text) || body.contains(&escaped(text))
}

#[tokio::test]
async fn the_home_page_presents_the_territory_and_its_plan_as_the_seed_says() {
    let app = app().await;
    let page = get(&app, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html"));
    let body = &page.body;
    assert!(body.contains("<html lang=\"fr\">"));
    assert!(body.contains("Grenoble-Alpes-Métropole"));
    assert!(body.contains("49</span> communes"), "49 communes");
    assert!(body.contains("455 436"), "population");
    assert!(body.contains("350 000 €"), "budget");
    assert!(body.contains("Chargées de mission"), "staff");
    for text in SEED_ORIENTATIONS.iter().chain(SEED_THEMES.iter()) {
        assert!(contains_text(body, text), "missing « {text} »");
    }
    for axis in ["Axe 1", "Axe 2", "Axe 3", "Axe 4"] {
        assert!(body.contains(axis), "{axis}");
    }
    assert!(contains_text(body, "Comité de pilotage") || contains_text(body, "comité de pilotage"));
    assert!(contains_text(body, "ARTIS"), "actions");
    assert!(contains_text(body, "GAIA"), "partners");
    assert!(contains_text(body, "1875 établissements"), "panorama");
}

#[tokio::test]
async fn every_page_has_a_skip_link_landmarks_and_the_navigation() {
    let app = app().await;
    for path in [
        "/",
        "/plan",
        "/instances",
        "/partenaires",
        "/territoire",
        "/plan-du-site",
        "/accessibilite",
        "/sources",
    ] {
        let page = get(&app, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let body = &page.body;
        assert!(
            body.contains("<a class=\"lien-evitement\" href=\"#contenu\">"),
            "{path}"
        );
        assert!(body.contains("<main id=\"contenu\""), "{path}");
        assert!(
            body.contains("<nav class=\"navigation\" aria-label=\"Navigation principale\">"),
            "{path}"
        );
        assert!(body.contains("<footer"), "{path}");
        assert_eq!(body.matches("<h1").count(), 1, "one h1 on {path}");
        assert!(
            !body.contains("src=\"http") && !body.contains("href=\"http://"),
            "no external resource on {path}"
        );
    }
}

#[tokio::test]
async fn the_current_page_is_marked_in_the_navigation() {
    let app = app().await;
    let page = get(&app, "/plan").await;
    assert!(
        page.body
            .contains("<a href=\"/plan\" aria-current=\"page\">Le plan</a>")
    );
    assert!(!page.body.contains("<a href=\"/\" aria-current=\"page\">"));
}

#[tokio::test]
async fn the_plan_page_explains_orientations_themes_axes_and_actions() {
    let app = app().await;
    let body = get(&app, "/plan").await.body;
    for text in SEED_ORIENTATIONS.iter().chain(SEED_THEMES.iter()) {
        assert!(contains_text(&body, text), "missing « {text} »");
    }
    assert!(body.contains("id=\"axe-4\""));
    assert!(contains_text(&body, "Calisoli"));
    assert!(contains_text(&body, "Prospectiv"));
    assert!(body.contains("350 000,00 €"));
}

#[tokio::test]
async fn the_committees_and_partners_pages_list_them() {
    let app = app().await;
    let committees = get(&app, "/instances").await.body;
    assert!(committees.contains("id=\"comite-pilotage\""));
    assert!(committees.contains("id=\"comite-acteurs-locaux\""));
    let partners = get(&app, "/partenaires").await.body;
    assert!(contains_text(&partners, "Sciences Po Grenoble"));
    assert!(
        partners.contains("/plan#action-"),
        "partners link to their actions"
    );
}

#[tokio::test]
async fn the_territory_page_lists_the_49_communes() {
    let app = app().await;
    let body = get(&app, "/territoire").await.body;
    assert_eq!(body.matches("<tr><th scope=\"row\">").count(), 49);
    assert!(body.contains("<td>38185</td>"));
}

#[tokio::test]
async fn an_unknown_page_gets_a_french_404_without_internals() {
    let app = app().await;
    let page = get(&app, "/nulle-part").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.body.contains("Page introuvable"));
    assert!(page.body.contains("<html lang=\"fr\">"));
}

#[tokio::test]
async fn a_database_without_a_territory_gets_a_french_503_page() {
    let app = empty_app().await;
    let page = get(&app, "/").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("Service momentanément indisponible"));
    assert!(!page.body.contains("territoire par défaut"), "no internals");
}

#[tokio::test]
async fn healthz_answers_ok() {
    let app = empty_app().await;
    let page = get(&app, "/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "ok");
}

#[tokio::test]
async fn assets_are_served_with_long_cache_headers_and_linked_with_their_fingerprint() {
    let app = app().await;
    let home = get(&app, "/").await.body;
    let start = home.find("/static/essor.css?v=").expect("stylesheet link");
    let end = start + home[start..].find('"').unwrap();
    let css = get(&app, &home[start..end]).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type.starts_with("text/css"));
    assert_eq!(
        css.headers.get(header::CACHE_CONTROL).unwrap(),
        "public, max-age=31536000, immutable"
    );
    assert!(css.headers.get(header::ETAG).is_some());
    assert_eq!(
        get(&app, "/static/inconnu.js").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = app().await;
    let page = get(&app, "/").await;
    let csp = page
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(
        page.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
        "nosniff"
    );
}

#[tokio::test]
async fn a_changed_plan_shows_on_the_pages_once_the_site_is_told() {
    let state = seeded_state().await;
    let app = router(state.clone());
    assert!(get(&app, "/").await.body.contains("350 000 €"));
    let territory = state.store.default_territory().await.unwrap().unwrap();
    let mut plan = state
        .store
        .current_plan(&territory.reference)
        .await
        .unwrap()
        .unwrap();
    // The home page shows the latest year's budget.
    let latest = plan.budgets.iter_mut().max_by_key(|b| b.year).unwrap();
    latest.amount = essor_domain::Money::from_euros(420_000);
    state.store.save_plan(&plan).await.unwrap();
    state.site_changed();
    let body = get(&app, "/").await.body;
    assert!(body.contains("420 000 €"), "the new budget is shown");
    assert!(!body.contains("350 000 €"));
}

/// The raw response to a GET with an `Accept-Encoding` header.
async fn get_encoded(
    app: &axum::Router,
    path: &str,
    accept: &str,
) -> (axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .header(header::ACCEPT_ENCODING, accept)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (headers, body.to_vec())
}

#[tokio::test]
async fn public_pages_are_served_compressed_as_the_browser_accepts_and_read_the_same() {
    use std::io::Read;
    let app = app().await;
    for path in ["/", "/plan", "/observatoire"] {
        let plain = get(&app, path).await;
        assert_eq!(plain.status, StatusCode::OK);
        assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());

        let (headers, body) = get_encoded(&app, path, "gzip, deflate, br").await;
        assert_eq!(headers[header::CONTENT_ENCODING], "br", "{path}");
        assert_eq!(headers[header::VARY], "accept-encoding", "{path}");
        // Compressed once and kept: a whole body of known length, not a stream compressed on
        // the way out.
        assert_eq!(
            headers[header::CONTENT_LENGTH].to_str().unwrap(),
            body.len().to_string(),
            "{path}"
        );
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let mut html = String::new();
        brotli::Decompressor::new(&body[..], 4096)
            .read_to_string(&mut html)
            .unwrap();
        assert_eq!(html, plain.body, "{path}");

        let (headers, body) = get_encoded(&app, path, "gzip;q=1.0, br;q=0").await;
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip", "{path}");
        let mut html = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut html)
            .unwrap();
        assert_eq!(html, plain.body, "{path}");
    }
}
