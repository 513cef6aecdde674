//! The subsidies granted as open data (SCDL « subventions » 2.1.1) at
//! `/opendata/subventions.csv`, and the dossier page's open-data part.

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::StatusCode;
use chrono::{NaiveDate, TimeZone, Utc};
use essor_domain::access::Role;
use essor_domain::dossier::{Action, Application, Decision, Party, State, transition};
use essor_domain::{Money, Siret, opendata};
use essor_store::Store;
use essor_store::demo::{DemoDossier, DemoEvent};
use essor_store::dossiers::{EventKind, NewDossier};
use essor_web::router;

use crate::dossiers::{SIRET, ressourcerie_site};
use crate::get;
use crate::profiles::signed_in;

/// A dossier of `year` taken to `to` (accepted with `granted` cents, or refused), decided on
/// `decided` and, when `signed`, with its agreement signed that day.
async fn decided(
    store: &dyn Store,
    title: &str,
    year: i32,
    granted: Option<i64>,
    decided: NaiveDate,
    signed: Option<NaiveDate>,
) -> i64 {
    let asked = Money::from_euros(40_000);
    let dossier = store
        .create_dossier(&NewDossier {
            siret: SIRET,
            siren: &SIRET[..9],
            year,
            application: &Application {
                title: title.into(),
                asked,
                ..Application::default()
            },
            created_by: None,
        })
        .await
        .unwrap();
    let at = Utc.from_utc_datetime(&decided.and_hms_opt(10, 0, 0).unwrap());
    let decision = match granted {
        Some(cents) => Decision::Accept {
            amount: Money::from_cents(cents),
            asked,
        },
        None => Decision::Refuse {
            motivation: "Hors du plan.".into(),
        },
    };
    let steps = [
        (
            Action::Submit {
                missing: Vec::new(),
            },
            Party::Applicant,
        ),
        (Action::Instruct, Party::Staff),
        (
            Action::PutOnAgenda {
                unchecked: Vec::new(),
            },
            Party::Staff,
        ),
        (
            Action::Decide {
                decision,
                unchecked: Vec::new(),
            },
            Party::Staff,
        ),
    ];
    let mut state = State::Draft;
    for (action, party) in steps {
        let step = transition(state, &action, party).unwrap();
        state = step.to;
        store
            .record_transition(dossier.id, &step, granted.map(Money::from_cents), None, at)
            .await
            .unwrap()
            .unwrap();
    }
    if signed.is_some() {
        assert!(
            store
                .set_agreement_signed(dossier.id, signed)
                .await
                .unwrap()
        );
    }
    dossier.id
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn setup() -> (axum::Router, std::sync::Arc<dyn Store>) {
    let state = ressourcerie_site().await;
    let store = std::sync::Arc::clone(&state.store);
    (router(state), store)
}

fn rows(body: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, opendata::FIELDS);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Parses a `montant` back to cents with integers only: digits, a point, two digits.
fn cents(montant: &str) -> i64 {
    let (euros, cents) = montant.split_once('.').expect("a decimal point");
    assert_eq!(cents.len(), 2, "{montant}");
    assert!(
        euros
            .bytes()
            .chain(cents.bytes())
            .all(|b| b.is_ascii_digit())
    );
    euros.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

#[tokio::test]
async fn granted_subsidies_are_published_one_row_each_in_the_official_schema() {
    let (app, store) = setup().await;
    let signed = decided(
        store.as_ref(),
        "Ressourcerie, atelier \"vélo\"",
        2025,
        Some(2_350_050),
        day(2025, 3, 20),
        Some(day(2025, 4, 15)),
    )
    .await;
    let unsigned = decided(
        store.as_ref(),
        "Épicerie solidaire",
        2026,
        Some(800_000),
        day(2026, 6, 2),
        None,
    )
    .await;
    decided(
        store.as_ref(),
        "Projet refusé",
        2026,
        None,
        day(2026, 6, 2),
        None,
    )
    .await;

    let page = get(&app, "/opendata/subventions.csv").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.content_type, "text/csv; charset=utf-8");
    let all = rows(&page.body);
    assert_eq!(all.len(), 2, "{}", page.body);
    let first = &all[0];
    assert_eq!(first[0], "Grenoble-Alpes-Métropole");
    assert_eq!(first[1], "20004071500019");
    assert_eq!(first[2], "2025-04-15", "the agreement's signature date");
    assert_eq!(first[3], format!("essor-2025-{signed}"));
    assert_eq!(
        first[4], "La Ressourcerie Verte",
        "as the directory shows it"
    );
    assert_eq!(first[5], SIRET);
    assert_eq!(first[6], "");
    assert_eq!(first[7], "Ressourcerie, atelier \"vélo\"");
    assert_eq!(first[8], "23500.50");
    assert_eq!(first[9], "aide en numéraire");
    assert_eq!(first[11], "2025-04-15/2026-04-15");
    assert_eq!(first[13], "non");
    assert_eq!(first[14], "1.00");
    let second = &all[1];
    assert_eq!(
        second[2], "2026-06-02",
        "no agreement yet: the decision's date"
    );
    assert_eq!(second[3], format!("essor-2026-{unsigned}"));
    assert_eq!(cents(&second[8]), 800_000);
    for row in &all {
        assert!(Siret::parse(&row[1]).is_ok() && Siret::parse(&row[5]).is_ok());
    }
    let granted: i64 = all.iter().map(|r| cents(&r[8])).sum();
    assert_eq!(granted, 2_350_050 + 800_000);

    let year = get(&app, "/opendata/subventions.csv?annee=2026").await;
    assert_eq!(year.status, StatusCode::OK);
    let only = rows(&year.body);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0][7], "Épicerie solidaire");
    assert!(rows(&get(&app, "/opendata/subventions.csv?annee=2019").await.body).is_empty());
    // The file is kept between downloads, and written again once a dossier changes: the
    // agreement signed, its date replaces the decision's.
    assert_eq!(
        get(&app, "/opendata/subventions.csv?annee=2026").await.body,
        year.body
    );
    assert!(
        store
            .set_agreement_signed(unsigned, Some(day(2026, 7, 1)))
            .await
            .unwrap()
    );
    let signed_later = rows(&get(&app, "/opendata/subventions.csv?annee=2026").await.body);
    assert_eq!(signed_later[0][2], "2026-07-01");
    let wrong = get(&app, "/opendata/subventions.csv?annee=deux-mille").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("Paramètre annee"));

    validated_by_frictionless(&page.body);

    let sources = get(&app, "/sources").await;
    assert!(
        sources
            .body
            .contains("href=\"/opendata/subventions.csv\" download")
    );
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `tests/opendata/validate_scdl.py` (frictionless with the official schema, and the
/// schema's two custom checks) on the file and on a copy with a SIRET broken, which must fail.
/// Skipped with a note when frictionless is not installed, unless
/// `ESSOR_REQUIRE_FRICTIONLESS=1`.
fn validated_by_frictionless(body: &str) {
    let available = Command::new("python3")
        .args(["-c", "import frictionless"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var("ESSOR_REQUIRE_FRICTIONLESS").as_deref() != Ok("1"),
            "frictionless is required (pip install frictionless)"
        );
        eprintln!("frictionless absent (pip install frictionless): SCDL validation skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = repository().join("tests/opendata/validate_scdl.py");
    let validate = |name: &str, text: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        Command::new("python3")
            .arg(&script)
            .arg(&file)
            .output()
            .unwrap()
    };
    let good = validate("subventions.csv", body);
    assert!(
        good.status.success(),
        "{}{}",
        String::from_utf8_lossy(&good.stdout),
        String::from_utf8_lossy(&good.stderr)
    );
    let broken = validate("casse.csv", &body.replace(SIRET, "73282932000075"));
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stdout).contains("idBeneficiaire"));
}

#[tokio::test]
async fn the_dossier_page_labels_demonstration_data_and_says_how_the_subsidy_is_published() {
    let (app, store) = setup().await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let real = decided(
        store.as_ref(),
        "Grande ressourcerie",
        2025,
        Some(3_000_000),
        day(2025, 3, 20),
        Some(day(2025, 4, 15)),
    )
    .await;
    let page = staff.get(&format!("/dossiers/{real}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Publication en données ouvertes"));
    assert!(
        page.body
            .contains("Date de convention publiée : 15/04/2025")
    );
    assert!(
        page.body.contains("au plus tard le 15/07/2025"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Données de démonstration"));

    let at = Utc.with_ymd_and_hms(2024, 2, 1, 9, 0, 0).unwrap();
    store
        .load_demo_dossiers(&[DemoDossier {
            siret: SIRET.into(),
            siren: SIRET[..9].into(),
            year: 2024,
            state: State::Submitted,
            application: Application {
                title: "Atelier vélo (démonstration)".into(),
                ..Application::default()
            },
            granted: None,
            checks: Vec::new(),
            created_at: at,
            updated_at: at,
            submitted_at: Some(at),
            decided_at: None,
            agreement_signed_on: None,
            events: vec![DemoEvent {
                kind: EventKind::Transition,
                from: Some(State::Draft),
                to: Some(State::Submitted),
                body: "Le dossier a été déposé.".into(),
                shared: true,
                at,
            }],
        }])
        .await
        .unwrap()
        .unwrap();
    let demo = *store.demo_dossier_ids().await.unwrap().last().unwrap();
    let page = staff.get(&format!("/dossiers/{demo}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Données de démonstration"));
    assert!(!page.body.contains("Publication en données ouvertes"));
}
