//! Reports and evaluations: drafts saved and submitted in one statement, reviewed once and only
//! when submitted, due dates for the payment rules, evaluations replaced.

use chrono::{NaiveDate, Utc};
use essor_domain::Money;
use essor_domain::dossier::{Action, Application, Decision, Party, State, transition};
use essor_domain::funding::ReportDue;
use essor_domain::plan::Key;
use essor_domain::reports::{
    Achievement, Evaluation, FinancialReport, ReportContent, ReportKind, ReportStatus,
};
use essor_store::Store;
use essor_store::dossiers::NewDossier;

use crate::harness::each_store;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A dossier taken to its acceptance; its decision day.
async fn accepted(store: &dyn Store) -> (i64, NaiveDate) {
    let application = Application {
        title: "Recyclerie".into(),
        asked: Money::from_euros(10_000),
        ..Application::default()
    };
    let dossier = store
        .create_dossier(&NewDossier {
            siret: "73282932000074",
            siren: "732829320",
            year: 2026,
            application: &application,
            created_by: None,
        })
        .await
        .unwrap();
    let mut state = State::Draft;
    for (action, party) in [
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
                decision: Decision::Accept {
                    amount: Money::from_euros(8_000),
                    asked: Money::from_euros(10_000),
                },
                unchecked: Vec::new(),
            },
            Party::Staff,
        ),
    ] {
        let step = transition(state, &action, party).unwrap();
        state = step.to;
        store
            .record_transition(
                dossier.id,
                &step,
                Some(Money::from_euros(8_000)),
                None,
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
    }
    let decided = store.dossier(dossier.id).await.unwrap().unwrap().decided_at;
    (dossier.id, decided.unwrap().date_naive())
}

fn content(activity: &str) -> ReportContent {
    ReportContent {
        activity: activity.into(),
        jobs_created: 2,
        jobs_consolidated: 1,
        financial: FinancialReport::against(
            &essor_domain::funding::Budget {
                expenses: vec![essor_domain::funding::BudgetLine {
                    label: "Salaires".into(),
                    amount: Money::from_euros(30_000),
                }],
                resources: Vec::new(),
            },
            &[Money::from_cents(3_100_050)],
            &[],
        ),
    }
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the due dates to the evaluation
async fn reports_are_drafted_submitted_reviewed_and_feed_the_payment_rules() {
    each_store(|store| async move {
        let (id, decided) = accepted(store.as_ref()).await;
        // Nothing stored yet: both reports are owed at the default dates.
        assert!(store.reports_of(id).await.unwrap().is_empty());
        assert_eq!(
            store.report_dues(id).await.unwrap(),
            vec![
                ReportDue {
                    final_report: false,
                    due: ReportKind::Intermediate.default_due(decided),
                    received: false,
                },
                ReportDue {
                    final_report: true,
                    due: ReportKind::Final.default_due(decided),
                    received: false,
                },
            ]
        );
        // Staff set the dates; a draft keeps them.
        store
            .set_report_dues(id, day(2027, 1, 15), day(2027, 9, 30))
            .await
            .unwrap();
        let draft = store
            .save_report(
                id,
                ReportKind::Intermediate,
                &content("Premier semestre"),
                false,
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(draft.status, ReportStatus::Draft);
        assert_eq!(draft.due_on, Some(day(2027, 1, 15)));
        assert_eq!(draft.submitted_at, None);
        assert_eq!(
            draft.content.financial.expenses[0].actual,
            Money::from_cents(3_100_050)
        );
        // Submitted in the same statement as its last content; then it cannot be rewritten.
        let submitted = store
            .save_report(
                id,
                ReportKind::Intermediate,
                &content("Premier semestre, bilan"),
                true,
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(submitted.status, ReportStatus::Submitted);
        assert_eq!(submitted.content.activity, "Premier semestre, bilan");
        assert!(submitted.submitted_at.is_some());
        assert_eq!(
            store
                .save_report(
                    id,
                    ReportKind::Intermediate,
                    &content("Réécrit"),
                    false,
                    Utc::now()
                )
                .await
                .unwrap(),
            None
        );
        // Sent back with a reason, written again, accepted; a second review finds nothing.
        let returned = store
            .review_report(
                id,
                ReportKind::Intermediate,
                ReportStatus::Returned,
                Some("Joindre les factures."),
                None,
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            returned.return_reason.as_deref(),
            Some("Joindre les factures.")
        );
        store
            .save_report(
                id,
                ReportKind::Intermediate,
                &content("Avec factures"),
                true,
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
        let accepted = store
            .review_report(
                id,
                ReportKind::Intermediate,
                ReportStatus::Accepted,
                None,
                None,
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(accepted.status, ReportStatus::Accepted);
        assert_eq!(
            store
                .review_report(
                    id,
                    ReportKind::Intermediate,
                    ReportStatus::Returned,
                    Some("x"),
                    None,
                    Utc::now()
                )
                .await
                .unwrap(),
            None
        );
        let dues = store.report_dues(id).await.unwrap();
        assert_eq!(
            dues,
            vec![
                ReportDue {
                    final_report: false,
                    due: day(2027, 1, 15),
                    received: true,
                },
                ReportDue {
                    final_report: true,
                    due: day(2027, 9, 30),
                    received: false,
                },
            ]
        );
        let reports = store.reports_of(id).await.unwrap();
        assert_eq!(
            reports.iter().map(|r| r.kind).collect::<Vec<_>>(),
            [ReportKind::Intermediate, ReportKind::Final]
        );
        // A dossier not accepted owes nothing; an unknown one neither.
        assert!(store.report_dues(id + 1000).await.unwrap().is_empty());

        // The evaluation, then replaced.
        assert_eq!(store.evaluation(id).await.unwrap(), None);
        let mut evaluation = Evaluation {
            jobs_created: 3,
            jobs_consolidated: 1,
            outcomes: "Recyclerie ouverte.".into(),
            achievement: Achievement::Partly,
            themes: vec![Key::parse("dechets").unwrap()],
        };
        store
            .save_evaluation(id, &evaluation, None, Utc::now())
            .await
            .unwrap();
        evaluation.achievement = Achievement::Reached;
        evaluation.jobs_created = 4;
        let saved = store
            .save_evaluation(id, &evaluation, None, Utc::now())
            .await
            .unwrap();
        assert_eq!(saved.evaluation, evaluation);
        assert_eq!(
            store.evaluation(id).await.unwrap().unwrap().evaluation,
            evaluation
        );
        let all = store.evaluations().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].dossier, id);
    })
    .await;
}
