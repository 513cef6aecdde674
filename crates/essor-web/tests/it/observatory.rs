use axum::http::StatusCode;
use essor_domain::panorama::{Dimension, FactRow, FactTable, Figures};
use essor_store::NewSnapshot;
use essor_web::router;

use crate::{get, seeded_state};

fn fact(commune: &str, dimension: Dimension, key: &str, figures: Figures) -> FactRow {
    FactRow {
        commune: commune.to_owned(),
        dimension,
        key: key.to_owned(),
        figures,
    }
}

async fn app_with_import(synthetic: bool) -> axum::Router {
    let state = seeded_state().await;
    let total = Figures {
        active: 1000,
        employer: 200,
        jobs_x2: 8000,
        ess_active: 120,
        ess_employer: 21,
        ess_jobs_x2: 801,
    };
    let ess = Figures {
        ess_active: 120,
        ess_employer: 21,
        ess_jobs_x2: 801,
        ..Figures::default()
    };
    let facts = vec![
        fact("38185", Dimension::Total, "", total),
        fact("38185", Dimension::Family, "association", ess),
        fact("38185", Dimension::Theme, "dechets", ess),
        fact("38185", Dimension::Section, "Q", ess),
        fact("38185", Dimension::Band, "03", ess),
        fact(
            "38185",
            Dimension::Creation,
            "2024",
            Figures {
                active: 50,
                ess_active: 4,
                ..Figures::default()
            },
        ),
        // Lyon's first arrondissement, for another territory.
        fact("69381", Dimension::Total, "", total),
    ];
    state
        .store
        .save_snapshot(&NewSnapshot {
            establishments_file: "StockEtablissement_utf8.zip",
            units_file: "StockUniteLegale_utf8.zip",
            synthetic,
            report: &serde_json::json!({}),
            facts: &FactTable::from_rows(&facts),
            establishments: &[],
        })
        .await
        .unwrap();
    router(state)
}

#[tokio::test]
async fn the_observatory_shows_the_headline_charts_tables_and_downloads() {
    let app = app_with_import(false).await;
    let page = get(&app, "/observatoire").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("21 établissements employeurs de l’ESS, soit 10,5 % des établissements employeurs du territoire, et 400,5 emplois estimés, soit 10 % des emplois."), "{body}");
    assert!(body.contains("<svg"), "charts are inline SVG");
    assert!(body.contains("aria-labelledby=\"legende-familles\""));
    assert!(body.contains("Associations"));
    assert!(body.contains("Déchets"));
    assert!(body.contains("Q – Santé humaine et action sociale"));
    assert!(body.contains("6 à 9 salariés"));
    assert!(
        body.matches("<th scope=\"row\">").count() >= 49,
        "one row per commune"
    );
    assert!(body.contains("/observatoire/panorama.csv?territoire=epci:200040715"));
    assert!(
        !body.contains("Données de démonstration"),
        "real data is not labelled synthetic"
    );
}

#[tokio::test]
async fn synthetic_data_is_labelled_as_such() {
    let app = app_with_import(true).await;
    let body = get(&app, "/observatoire").await.body;
    assert!(body.contains("Données de démonstration"));
    assert!(body.contains("synthétique"));
    let home = get(&app, "/").await.body;
    assert!(
        home.contains("données de démonstration synthétiques"),
        "the home page says it too"
    );
    assert!(home.contains("21 établissements employeurs de l’ESS"));
}

#[tokio::test]
async fn any_territory_can_be_observed_and_a_bad_one_is_explained_in_french() {
    let app = app_with_import(false).await;
    let lyon = get(&app, "/observatoire?territoire=communes:69123").await;
    assert_eq!(lyon.status, StatusCode::OK);
    assert!(lyon.body.contains("Lyon"));
    assert!(lyon.body.contains("Carte non disponible"));
    let bad = get(&app, "/observatoire?territoire=epci:123").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("aria-invalid=\"true\""));
    assert!(bad.body.contains("SIREN"), "{}", bad.body);
}

#[tokio::test]
async fn the_api_returns_the_data_md_json() {
    let app = app_with_import(false).await;
    let api = get(&app, "/api/v1/panorama?territory=epci:200040715").await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(api.content_type.starts_with("application/json"));
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(json["perimeter"], "essor-v1");
    assert_eq!(json["territory"]["communes"], 49);
    assert_eq!(json["establishments"]["ess_employer"], 21);
    assert_eq!(json["establishments"]["ess_employer_share_pct"], 10.5);
    assert_eq!(json["jobs"]["ess_estimated"], 400.5);
    assert_eq!(json["by_commune"].as_array().unwrap().len(), 49);
    assert_eq!(json["creations_by_year"][0]["year"], 2024);
    let lyon = get(&app, "/api/v1/panorama?territory=communes:69123").await;
    let json: serde_json::Value = serde_json::from_str(&lyon.body).unwrap();
    assert_eq!(
        json["establishments"]["active"], 1000,
        "arrondissements count in Lyon"
    );
    let bad = get(&app, "/api/v1/panorama?territory=region:84").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("erreur"));
}

#[tokio::test]
async fn downloads_carry_a_file_name() {
    let app = app_with_import(false).await;
    let csv = get(&app, "/observatoire/panorama.csv?territoire=departement:38").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.body
            .starts_with("tableau,cle,libelle,indicateur,valeur")
    );
    let disposition = csv
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(disposition.contains("panorama-ess-departement-38.csv"));
}

#[tokio::test]
async fn before_any_import_the_observatory_says_so() {
    let app = router(seeded_state().await);
    let page = get(&app, "/observatoire").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Aucun stock SIRENE n’a encore été importé")
    );
    let api = get(&app, "/api/v1/panorama").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn two_imports_can_be_compared() {
    let state = seeded_state().await;
    let mut ids = Vec::new();
    for ess_employer in [20, 25] {
        let figures = Figures {
            active: 1000,
            employer: 200,
            jobs_x2: 8000,
            ess_active: 120,
            ess_employer,
            ess_jobs_x2: 801,
        };
        let saved = state
            .store
            .save_snapshot(&NewSnapshot {
                establishments_file: "e.csv",
                units_file: "u.csv",
                synthetic: false,
                report: &serde_json::json!({}),
                facts: &FactTable::from_rows(&[fact("38185", Dimension::Total, "", figures)]),
                establishments: &[],
            })
            .await
            .unwrap();
        ids.push(saved.id);
    }
    let app = router(state);
    let single = get(&app, "/observatoire").await.body;
    assert!(
        single.contains("<select id=\"comparer\""),
        "two imports offer a comparison"
    );
    let page = get(
        &app,
        &format!(
            "/observatoire?territoire=epci:200040715&import={}&comparer={}",
            ids[1], ids[0]
        ),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Évolution entre l’import n° "));
    assert!(
        page.body.contains("<td class=\"nombre\">+5</td>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("+2,5 point(s)"));
}
