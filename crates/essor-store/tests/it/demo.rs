//! The demonstration dossiers of a first start: about forty a year over five years, every state,
//! each year within its envelope, threads that follow the state machine, loaded once; and what
//! followed them: the committee's sessions that decided them, schedules, reports, payments.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, TimeZone, Utc};
use essor_domain::Money;
use essor_domain::committee::{ItemDecision, MemberRole, Outcome, SessionStatus};
use essor_domain::dossier::{Application, State};
use essor_domain::ess::Family;
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::funding::Condition;
use essor_domain::referential::Referential;
use essor_domain::reports::{Achievement, ReportKind, ReportStatus};
use essor_store::audit::{AuditFilter, Page};
use essor_store::demo::{
    DemoDossier, DemoFollowUp, DemoItem, DemoMember, DemoOutcome, DemoSession, Input, Place,
    Structure, TITLE_MARK, ensure_demo_dossiers, generate,
};
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
            facts: &essor_domain::panorama::FactTable::default(),
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
        let DemoOutcome::Loaded {
            dossiers: loaded, ..
        } = ensure_demo_dossiers(store.as_ref(), referential, today())
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

/// A first start on a synthetic directory: what it loaded (dossiers, sessions, payments).
async fn first_start(store: &dyn Store) -> (usize, usize, usize) {
    let referential = Referential::embedded();
    ensure_reference_data(store, referential).await.unwrap();
    snapshot(store, true).await;
    let DemoOutcome::Loaded {
        dossiers,
        sessions,
        payments,
    } = ensure_demo_dossiers(store, referential, today())
        .await
        .unwrap()
    else {
        panic!("the demonstration was not loaded");
    };
    (dossiers, sessions, payments)
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // every session and its agenda, checked against the dossiers
async fn the_committee_decided_the_demonstration_dossiers_in_its_sessions() {
    each_store(|store| async move {
        let (_, session_count, _) = first_start(store.as_ref()).await;
        let plan = store.current_plan("epci:200040715").await.unwrap().unwrap();
        let all = store.dossiers(None).await.unwrap();
        let by_id: HashMap<i64, &essor_store::dossiers::Dossier> =
            all.iter().map(|d| (d.id, d)).collect();

        let members = store.committee_members(None, false).await.unwrap();
        for committee in &plan.committees {
            let seated: Vec<_> = members
                .iter()
                .filter(|m| m.committee == committee.key.as_str())
                .collect();
            assert!(
                seated.len() >= 3,
                "{}: {} members",
                committee.key,
                seated.len()
            );
            assert!(seated.iter().any(|m| m.role == MemberRole::Chair));
        }
        assert!(members.iter().all(|m| m.quality.ends_with(TITLE_MARK)));

        let sessions = store.committee_sessions().await.unwrap();
        assert_eq!(sessions.len(), session_count);
        assert!(sessions.len() >= 15, "{} sessions", sessions.len());
        let (planned, held): (Vec<_>, Vec<_>) = sessions
            .iter()
            .partition(|s| s.status == SessionStatus::Planned);
        assert_eq!(planned.len(), 1);
        assert!(planned[0].date >= today());
        assert!(held.iter().all(|s| s.committee == planned[0].committee));

        // Every item of a session held is decided, as its dossier was, on the session's day.
        let mut decided_in: HashMap<i64, i64> = HashMap::new();
        let mut postponed = 0;
        for session in &held {
            assert!(session.date < today(), "{}", session.date);
            let held_at = session.held_at.expect("a session held has its time");
            assert!(
                session.minutes.starts_with("Procès-verbal"),
                "{}",
                session.minutes
            );
            let present = store.attendance(session.id).await.unwrap();
            assert!(!present.is_empty());
            assert!(present.iter().all(|id| {
                members
                    .iter()
                    .any(|m| m.id == *id && m.committee == session.committee)
            }));
            let agenda = store.agenda(session.id).await.unwrap();
            assert!(!agenda.is_empty(), "session of {}", session.date);
            for item in &agenda {
                let dossier = by_id[&item.dossier];
                let outcome = item
                    .outcome
                    .expect("every item of a session held is decided");
                let decided_at = item.decided_at.expect("a decision has its time");
                assert_eq!(decided_at.date_naive(), session.date);
                assert!(decided_at <= held_at);
                assert!(!item.proposal.is_empty());
                match outcome {
                    Outcome::Accepted => {
                        assert_eq!(dossier.state, State::Accepted, "dossier {}", dossier.id);
                        assert_eq!(item.amount, dossier.granted);
                        assert_eq!(item.proposed, dossier.granted);
                    }
                    Outcome::Refused => {
                        assert_eq!(dossier.state, State::Refused, "dossier {}", dossier.id);
                        assert_eq!(item.amount, None);
                        assert!(!item.decision_text.is_empty());
                    }
                    Outcome::Postponed => {
                        postponed += 1;
                        assert!(
                            dossier.state == State::OnAgenda
                                || dossier
                                    .decided_at
                                    .is_some_and(|d| d.date_naive() > session.date),
                            "dossier {}",
                            dossier.id
                        );
                    }
                }
                if outcome != Outcome::Postponed {
                    assert_eq!(
                        dossier.decided_at,
                        Some(decided_at),
                        "dossier {}",
                        dossier.id
                    );
                    assert!(session.minutes.contains(&dossier.application.title));
                    assert_eq!(decided_in.insert(dossier.id, session.id), None);
                }
            }
        }
        assert!(postponed > 0);
        for d in &all {
            assert_eq!(
                decided_in.contains_key(&d.id),
                matches!(d.state, State::Accepted | State::Refused),
                "dossier {} ({})",
                d.id,
                d.state
            );
        }

        // The next session holds the dossiers waiting on the agenda, undecided.
        let agenda = store.agenda(planned[0].id).await.unwrap();
        let mut waiting: Vec<i64> = agenda.iter().map(|i| i.dossier).collect();
        waiting.sort_unstable();
        let on_agenda: Vec<i64> = all
            .iter()
            .filter(|d| d.state == State::OnAgenda)
            .map(|d| d.id)
            .collect();
        assert!(!on_agenda.is_empty());
        assert_eq!(waiting, on_agenda);
        assert!(agenda.iter().all(|i| i.outcome.is_none()));
        assert!(planned[0].minutes.is_empty());
        assert_eq!(
            store.pending_agenda_dossiers().await.unwrap().len(),
            on_agenda.len()
        );
    })
    .await;
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // every schedule, report and payment, checked
async fn the_demonstration_pays_the_instalments_whose_condition_was_met() {
    each_store(|store| async move {
        let (_, _, payment_count) = first_start(store.as_ref()).await;
        let all = store.dossiers(None).await.unwrap();
        let (mut seen, mut finals, mut schedules) = (0, 0, 0);
        for d in &all {
            let schedule = store.schedule(d.id).await.unwrap();
            let payments = store.payments(d.id).await.unwrap();
            let reports = store.reports_of(d.id).await.unwrap();
            let Some(signed) = d.agreement_signed_on.filter(|_| d.state == State::Accepted) else {
                assert!(schedule.is_empty(), "dossier {}", d.id);
                assert!(payments.is_empty(), "dossier {}", d.id);
                assert!(reports.is_empty(), "dossier {}", d.id);
                continue;
            };
            schedules += 1;
            let granted = d.granted.unwrap();
            let planned: Money = schedule.iter().map(|i| i.instalment.amount).sum();
            assert_eq!(planned, granted, "dossier {}", d.id);
            assert_eq!(schedule.len(), 2);
            assert_eq!(schedule[0].instalment.condition, Condition::Signature);
            assert_eq!(schedule[0].instalment.due, signed);
            assert_eq!(schedule[1].instalment.condition, Condition::FinalReport);
            let paid: Money = payments.iter().map(|p| p.amount).sum();
            assert!(paid <= granted, "dossier {}: {paid} > {granted}", d.id);
            for report in &reports {
                assert_eq!(report.status, ReportStatus::Accepted);
                assert!(report.content.problems().is_empty());
                assert!(report.reviewed_at.unwrap().date_naive() < today());
            }
            for p in &payments {
                assert!(
                    p.paid_on > signed && p.paid_on < today(),
                    "dossier {}",
                    d.id
                );
                let instalment = schedule
                    .iter()
                    .find(|i| Some(i.id) == p.instalment)
                    .expect("a payment pays an instalment of its dossier");
                assert_eq!(p.amount, instalment.instalment.amount);
                if instalment.instalment.condition == Condition::FinalReport {
                    finals += 1;
                    let report = reports
                        .iter()
                        .find(|r| r.kind == ReportKind::Final)
                        .expect("the final instalment follows the final report");
                    assert!(report.reviewed_at.unwrap().date_naive() <= p.paid_on);
                }
            }
            // What the payment rules say today: no overdue report blocks a demonstration
            // dossier whose final report was received.
            if reports.iter().any(|r| r.kind == ReportKind::Final) {
                assert_eq!(paid, granted, "dossier {}", d.id);
            }
            seen += payments.len();
        }
        assert_eq!(seen, payment_count);
        assert!(schedules > 50, "{schedules} schedules");
        assert!(finals > 20, "{finals} final instalments paid");
        for year in 2022..=2026 {
            let paid = store.paid(year).await.unwrap();
            let committed = store.committed(year).await.unwrap();
            assert!(
                paid <= committed,
                "{year}: paid {paid} > committed {committed}"
            );
            assert!(paid > Money::ZERO, "{year}: nothing paid");
            if year <= 2024 {
                assert!(
                    paid.cents() * 10 >= committed.cents() * 6,
                    "{year}: only {paid} of {committed} paid"
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_demonstration_evaluates_most_dossiers_whose_final_report_was_accepted() {
    each_store(|store| async move {
        first_start(store.as_ref()).await;
        let plan = store.current_plan("epci:200040715").await.unwrap().unwrap();
        let (mut finals, mut evaluated) = (0, 0);
        let mut achievements = Vec::new();
        for d in store.dossiers(None).await.unwrap() {
            let reports = store.reports_of(d.id).await.unwrap();
            let last = reports.iter().find(|r| r.kind == ReportKind::Final);
            finals += usize::from(last.is_some());
            let Some(stored) = store.evaluation(d.id).await.unwrap() else {
                continue;
            };
            evaluated += 1;
            let last = last.expect("an evaluation follows the final report");
            assert_eq!(last.status, ReportStatus::Accepted, "dossier {}", d.id);
            assert!(
                last.reviewed_at.unwrap() < stored.evaluated_at,
                "dossier {}",
                d.id
            );
            assert!(
                stored.evaluated_at.date_naive() < today(),
                "dossier {}",
                d.id
            );
            let evaluation = &stored.evaluation;
            assert!(evaluation.problems(&plan).is_empty(), "dossier {}", d.id);
            assert!(evaluation.jobs_created <= last.content.jobs_created);
            assert!(evaluation.jobs_consolidated <= last.content.jobs_consolidated);
            assert_eq!(evaluation.themes, d.application.themes, "dossier {}", d.id);
            assert!(evaluation.outcomes.contains("démonstration"));
            achievements.push(evaluation.achievement);
        }
        assert_eq!(store.evaluations().await.unwrap().len(), evaluated);
        // Most are evaluated, some still wait; most objectives reached, not all.
        assert!(
            evaluated * 2 > finals && evaluated < finals,
            "{evaluated} of {finals}"
        );
        assert!(achievements.contains(&Achievement::Reached));
        assert!(achievements.iter().any(|a| *a != Achievement::Reached));
    })
    .await;
}

#[tokio::test]
async fn the_demonstration_is_the_same_on_every_machine() {
    each_store(|store| async move {
        let referential = Referential::embedded();
        ensure_reference_data(store.as_ref(), referential)
            .await
            .unwrap();
        let plan = store.current_plan("epci:200040715").await.unwrap().unwrap();
        let structures: Vec<Structure> = (0..30)
            .map(|n| Structure {
                siret: format!("{:014}", 77_000_000_000_000_u64 + n),
                siren: format!("{:09}", 770_000_000_u64 + n),
                name: format!("ASSOCIATION {n}"),
                themes: vec!["dechets".to_owned()],
            })
            .collect();
        let places = vec![Place {
            code: "38185".to_owned(),
            name: "Grenoble".to_owned(),
            population: 150_000,
        }];
        let input = Input {
            plan: &plan,
            grantor: "Grenoble-Alpes-Métropole",
            structures: &structures,
            places: &places,
            today: today(),
        };
        let demo = generate(&input);
        assert!(!demo.follow_up.sessions.is_empty());
        assert!(demo.follow_up.payment_count() > 0);
        assert_eq!(demo, generate(&input));
        let later = generate(&Input {
            today: NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
            ..input
        });
        assert_ne!(later.follow_up, demo.follow_up);
    })
    .await;
}

#[tokio::test]
async fn a_failed_load_leaves_nothing_behind() {
    each_store(|store| async move {
        let at = Utc.with_ymd_and_hms(2024, 2, 1, 9, 0, 0).unwrap();
        let dossier = DemoDossier {
            siret: "77000000000000".into(),
            siren: "770000000".into(),
            year: 2024,
            state: State::OnAgenda,
            application: Application {
                title: format!("Atelier vélo{TITLE_MARK}"),
                ..Application::default()
            },
            granted: None,
            checks: Vec::new(),
            created_at: at,
            updated_at: at,
            submitted_at: Some(at),
            decided_at: None,
            agreement_signed_on: None,
            events: Vec::new(),
        };
        let item = DemoItem {
            dossier: 0,
            proposal: String::new(),
            proposed: None,
            decision: Some(ItemDecision::Postpone {
                reason: String::new(),
            }),
            decided_at: Some(at),
        };
        // The same dossier twice on one agenda: the last write fails.
        let follow_up = DemoFollowUp {
            members: vec![DemoMember {
                committee: "comite-pilotage".into(),
                name: "Hélène Fictive".into(),
                quality: format!("Présidente{TITLE_MARK}"),
                role: MemberRole::Chair,
            }],
            sessions: vec![DemoSession {
                committee: "comite-pilotage".into(),
                date: at.date_naive(),
                place: "Salle".into(),
                held_at: Some(at),
                created_at: at,
                minutes: String::new(),
                present: vec![0],
                items: vec![item.clone(), item],
            }],
            ..DemoFollowUp::default()
        };
        assert!(store.load_demo(&[dossier], &follow_up).await.is_err());
        assert!(store.dossiers(None).await.unwrap().is_empty());
        assert!(
            store
                .committee_members(None, true)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.committee_sessions().await.unwrap().is_empty());
        assert_eq!(
            store
                .meta(essor_store::demo::DEMO_DOSSIERS_KEY)
                .await
                .unwrap(),
            None
        );
    })
    .await;
}
