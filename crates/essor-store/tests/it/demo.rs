//! The demonstration dossiers of a first start: about forty a year over five years, every state,
//! each year within its envelope, threads that follow the state machine, loaded once.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use essor_domain::Money;
use essor_domain::dossier::State;
use essor_domain::ess::Family;
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::referential::Referential;
use essor_store::audit::{AuditFilter, Page};
use essor_store::demo::{DemoOutcome, TITLE_MARK, ensure_demo_dossiers};
use essor_store::dossiers::EventKind;
use essor_store::seed::ensure_reference_data;
use essor_store::{EstablishmentRow, NewSnapshot, Store};

use crate::harness::each_store;

/// Completes `digits` with the Luhn check digit.
fn luhn(digits: &str) -> String {
    for check in 0..10 {
        let candidate = format!("{digits}{check}");
        let sum: u32 = candidate
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                } else {
                    d
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            return candidate;
        }
    }
    unreachable!()
}

fn establishment(n: u32, commune: &str, themes: &[&str], head_office: bool) -> EstablishmentRow {
    let siren = luhn(&format!("77{n:06}"));
    let siret = luhn(&format!("{siren}0001"));
    let record = EstablishmentRecord {
        siret: siret.clone(),
        siren,
        commune: commune.to_owned(),
        active: true,
        employer: true,
        head_office,
        diffusion_partial: false,
        name: Some(format!("ASSOCIATION DE DÉMONSTRATION {n}")),
        acronym: None,
        sign: None,
        address_line: None,
        postcode: None,
        naf: Some("88.99B".to_owned()),
        naf_nomenclature: Some("NAFRev2".to_owned()),
        band: Some("02".to_owned()),
        family: Family::Association,
        legal_category: "9220".to_owned(),
        ess_flag: false,
        created: None,
        lambert_x: None,
        lambert_y: None,
        section: "Q".to_owned(),
        themes: themes.iter().map(|t| (*t).to_owned()).collect(),
        jobs_x2: 8,
    };
    EstablishmentRow::of(&record).unwrap()
}

async fn snapshot(store: &dyn Store, synthetic: bool) {
    let communes = ["38185", "38151", "38421", "38169", "38229"];
    let themes: [&[&str]; 3] = [&["dechets"], &["circuits_courts", "mobilites"], &[]];
    let rows: Vec<EstablishmentRow> = (0..80)
        .map(|n| {
            establishment(
                n,
                communes[n as usize % communes.len()],
                themes[n as usize % 3],
                n % 7 != 0,
            )
        })
        .collect();
    store
        .save_snapshot(&NewSnapshot {
            establishments_file: "StockEtablissement_utf8.csv",
            units_file: "StockUniteLegale_utf8.csv",
            synthetic,
            report: &serde_json::json!({}),
            facts: &[],
            establishments: &rows,
        })
        .await
        .unwrap();
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one first start, checked from every side
async fn a_first_start_loads_forty_dossiers_a_year_in_every_state_within_the_envelopes() {
    each_store(|store| async move {
        let referential = Referential::embedded();
        ensure_reference_data(store.as_ref(), referential)
            .await
            .unwrap();
        assert_eq!(
            ensure_demo_dossiers(store.as_ref(), referential, today())
                .await
                .unwrap(),
            DemoOutcome::Skipped("aucun import SIRENE")
        );
        snapshot(store.as_ref(), true).await;
        let DemoOutcome::Loaded { dossiers: loaded } =
            ensure_demo_dossiers(store.as_ref(), referential, today())
                .await
                .unwrap()
        else {
            panic!("the demonstration dossiers were not loaded");
        };
        let all = store.dossiers(None).await.unwrap();
        assert_eq!(all.len(), loaded);
        let ids: Vec<i64> = all.iter().map(|d| d.id).collect();
        assert_eq!(store.demo_dossier_ids().await.unwrap(), ids);
        assert!(store.is_demo_dossier(ids[0]).await.unwrap());

        let plan = store.current_plan("epci:200040715").await.unwrap().unwrap();
        let territory = "epci:200040715"
            .parse::<essor_domain::territory::TerritoryRef>()
            .unwrap()
            .resolve(referential)
            .unwrap();
        let mut by_year: BTreeMap<i32, Vec<&essor_store::dossiers::Dossier>> = BTreeMap::new();
        for d in &all {
            by_year.entry(d.year).or_default().push(d);
        }
        assert_eq!(
            by_year.keys().copied().collect::<Vec<_>>(),
            [2022, 2023, 2024, 2025, 2026]
        );
        for (year, dossiers) in &by_year {
            assert!(
                (38..=44).contains(&dossiers.len()),
                "{year}: {} dossiers",
                dossiers.len()
            );
            let envelope = plan
                .budgets
                .iter()
                .find(|b| b.year == *year)
                .unwrap()
                .amount;
            let committed = store.committed(*year).await.unwrap();
            assert!(committed <= envelope, "{year}: {committed} > {envelope}");
            assert!(
                committed > Money::from_euros(150_000),
                "{year}: only {committed} granted"
            );
            if *year < 2026 {
                assert!(dossiers.iter().all(|d| d.state.is_decided()), "{year}");
            }
        }
        for state in State::ALL {
            assert!(
                by_year[&2026].iter().any(|d| d.state == state),
                "no dossier {state} in 2026"
            );
        }

        let accepted: Vec<_> = all.iter().filter(|d| d.state == State::Accepted).collect();
        let signed = accepted
            .iter()
            .filter(|d| d.agreement_signed_on.is_some())
            .count();
        assert!(
            signed * 10 >= accepted.len() * 7,
            "{signed} of {}",
            accepted.len()
        );
        let mut messages = 0;
        for d in &all {
            assert!(
                d.application.title.ends_with(TITLE_MARK),
                "{}",
                d.application.title
            );
            assert!(d.created_by.is_none());
            assert!(d.updated_at.date_naive() < today());
            assert!(d.agreement_signed_on.is_none_or(|s| s < today()));
            assert_eq!(d.granted.is_some(), d.state == State::Accepted);
            if let Some(granted) = d.granted {
                assert!(granted <= d.application.asked);
                assert!(d.decided_at.is_some());
            }
            if d.state != State::Draft {
                assert!(d.submitted_at.is_some());
                assert_eq!(
                    d.application
                        .checklist(&plan, |code| territory.contains(code)),
                    Vec::<String>::new(),
                    "dossier {}",
                    d.id
                );
            }
            // The thread follows the state machine from the draft to the state reached.
            let events = store.dossier_events(d.id, false).await.unwrap();
            let mut state = State::Draft;
            for e in &events {
                match e.kind {
                    EventKind::Transition => {
                        assert_eq!(e.from, Some(state), "dossier {}", d.id);
                        state = e.to.unwrap();
                    }
                    EventKind::Message => messages += 1,
                    EventKind::Note => assert!(!e.shared),
                }
            }
            assert_eq!(state, d.state, "dossier {}", d.id);
            let shared = store.dossier_events(d.id, true).await.unwrap();
            assert!(shared.iter().all(|e| e.kind != EventKind::Note));
        }
        assert!(messages > 0);

        let audit = store
            .list(
                &AuditFilter {
                    action_prefix: Some("dossier.demo_loaded".into()),
                    ..AuditFilter::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);

        // Never twice.
        assert_eq!(
            ensure_demo_dossiers(store.as_ref(), referential, today())
                .await
                .unwrap(),
            DemoOutcome::AlreadyDone
        );
        assert_eq!(store.load_demo_dossiers(&[]).await.unwrap(), None);
        assert_eq!(store.dossiers(None).await.unwrap().len(), loaded);
    })
    .await;
}

#[tokio::test]
async fn a_real_sirene_import_gets_no_invented_dossiers() {
    each_store(|store| async move {
        let referential = Referential::embedded();
        ensure_reference_data(store.as_ref(), referential)
            .await
            .unwrap();
        snapshot(store.as_ref(), false).await;
        assert!(matches!(
            ensure_demo_dossiers(store.as_ref(), referential, today())
                .await
                .unwrap(),
            DemoOutcome::Skipped(_)
        ));
        assert!(store.dossiers(None).await.unwrap().is_empty());
    })
    .await;
}
