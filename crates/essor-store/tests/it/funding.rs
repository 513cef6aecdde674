//! Documents, the agreement's template, schedules and payments: files kept with their
//! metadata and only served for their own dossier, agreement documents withdrawn with the
//! decision, payments that never exceed the grant nor follow an overdue report.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use chrono::{NaiveDate, Utc};
use essor_domain::Money;
use essor_domain::document::{DocumentKind, sha256_hex};
use essor_domain::dossier::{Action, Application, Decision, Party, State, transition};
use essor_domain::funding::{Condition, Instalment, PaymentError, schedule};
use essor_domain::reports::{ReportContent, ReportKind, ReportStatus};
use essor_store::Store;
use essor_store::dossiers::{Dossier, EventKind, NewDossier};
use essor_store::funding::{NewDocument, NewPayment, PaymentRefused, ScheduleSet};

use crate::harness::each_store;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The structure sends a report and staff accept it: it is received.
async fn accept_report(store: &dyn Store, dossier: i64, kind: ReportKind) {
    store
        .save_report(dossier, kind, &ReportContent::default(), true, Utc::now())
        .await
        .unwrap()
        .unwrap();
    store
        .review_report(
            dossier,
            kind,
            ReportStatus::Accepted,
            None,
            None,
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap();
}

async fn draft(store: &dyn Store, siren: &str, siret: &str, year: i32) -> Dossier {
    store
        .create_dossier(&NewDossier {
            siret,
            siren,
            year,
            application: &Application {
                title: "Atelier vélo".into(),
                asked: Money::from_euros(50_000),
                ..Application::default()
            },
            created_by: None,
        })
        .await
        .unwrap()
}

/// A dossier taken to its acceptance for `granted`.
async fn accepted(store: &dyn Store, year: i32, granted: Money) -> Dossier {
    let dossier = draft(store, "732829320", "73282932000074", year).await;
    let at = Utc::now();
    let steps = [
        (
            State::Draft,
            Action::Submit {
                missing: Vec::new(),
            },
            Party::Applicant,
        ),
        (State::Submitted, Action::Instruct, Party::Staff),
        (
            State::UnderInstruction,
            Action::PutOnAgenda {
                unchecked: Vec::new(),
            },
            Party::Staff,
        ),
        (
            State::OnAgenda,
            Action::Decide {
                decision: Decision::Accept {
                    amount: granted,
                    asked: Money::from_euros(50_000),
                },
                unchecked: Vec::new(),
            },
            Party::Staff,
        ),
    ];
    let mut last = None;
    for (from, action, party) in steps {
        let step = transition(from, &action, party).unwrap();
        last = store
            .record_transition(dossier.id, &step, Some(granted), None, at)
            .await
            .unwrap();
    }
    last.unwrap()
}

fn file<'a>(kind: DocumentKind, name: &'a str, bytes: &'a [u8], hash: &'a str) -> NewDocument<'a> {
    NewDocument {
        kind,
        file_name: name,
        content_type: "application/pdf",
        sha256: hash,
        bytes,
        uploaded_by: None,
    }
}

#[tokio::test]
async fn documents_are_kept_whole_and_served_only_for_their_dossier() {
    each_store(|store| async move {
        let mine = draft(store.as_ref(), "732829320", "73282932000074", 2026).await;
        let other = draft(store.as_ref(), "552100554", "55210055400013", 2026).await;
        let bytes: Vec<u8> = b"%PDF-1.7\n"
            .iter()
            .copied()
            .chain((0..=255u8).cycle().take(70_000))
            .collect();
        let hash = sha256_hex(&bytes);
        let statutes = store
            .add_document(
                mine.id,
                &file(DocumentKind::Statutes, "statuts.pdf", &bytes, &hash),
            )
            .await
            .unwrap();
        assert_eq!(statutes.kind, DocumentKind::Statutes);
        assert_eq!(statutes.size, 70_009);
        assert!(!statutes.withdrawn);
        let (meta, content) = store
            .document_content(mine.id, statutes.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meta, statutes);
        assert_eq!(content, bytes);
        assert_eq!(sha256_hex(&content), meta.sha256);
        // Asked for through another dossier, it does not exist.
        assert!(
            store
                .document_content(other.id, statutes.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !store
                .withdraw_document(other.id, statutes.id)
                .await
                .unwrap()
        );

        // A message and its attachment are written together.
        let (event, attachment) = store
            .add_message_with_attachment(
                mine.id,
                "Voici le RIB.",
                None,
                &file(DocumentKind::MessageAttachment, "rib.pdf", b"%PDF-rib", "x"),
            )
            .await
            .unwrap();
        assert_eq!(event.kind, EventKind::Message);
        assert_eq!(attachment.event, Some(event.id));
        assert_eq!(
            store.dossier_events(mine.id, true).await.unwrap()[0].body,
            "Voici le RIB."
        );

        assert!(store.withdraw_document(mine.id, statutes.id).await.unwrap());
        assert!(!store.withdraw_document(mine.id, statutes.id).await.unwrap());
        let listed = store.documents(mine.id).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed[0].withdrawn && !listed[1].withdrawn);
        assert!(store.documents(other.id).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_signed_agreement_dates_the_dossier_and_is_withdrawn_with_the_decision() {
    each_store(|store| async move {
        let granted = Money::from_euros(30_000);
        let dossier = accepted(store.as_ref(), 2026, granted).await;
        let generated = store
            .add_document(
                dossier.id,
                &file(
                    DocumentKind::AgreementGenerated,
                    "convention.pdf",
                    b"%PDF-a",
                    "a",
                ),
            )
            .await
            .unwrap();
        let signed_on = day(2026, 4, 2);
        let signed = store
            .record_signed_agreement(
                dossier.id,
                &file(DocumentKind::AgreementSigned, "signee.pdf", b"%PDF-s", "s"),
                signed_on,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(signed.signed_on, Some(signed_on));
        assert_eq!(
            store
                .dossier(dossier.id)
                .await
                .unwrap()
                .unwrap()
                .agreement_signed_on,
            Some(signed_on)
        );
        // A second signed copy replaces the first.
        let again = store
            .record_signed_agreement(
                dossier.id,
                &file(DocumentKind::AgreementSigned, "signee2.pdf", b"%PDF-t", "t"),
                day(2026, 4, 3),
            )
            .await
            .unwrap()
            .unwrap();
        let docs = store.documents(dossier.id).await.unwrap();
        assert!(docs.iter().find(|d| d.id == signed.id).unwrap().withdrawn);
        assert!(!docs.iter().find(|d| d.id == again.id).unwrap().withdrawn);

        // Reopened: the decision's documents are withdrawn in the same step.
        let reopen = transition(State::Accepted, &Action::Reopen, Party::Staff).unwrap();
        store
            .record_transition(dossier.id, &reopen, None, None, Utc::now())
            .await
            .unwrap()
            .unwrap();
        let docs = store.documents(dossier.id).await.unwrap();
        assert!(docs.iter().all(|d| d.withdrawn), "{docs:?}");
        assert!(docs.iter().any(|d| d.id == generated.id));
        // Not accepted: no signed agreement is recorded, and nothing is stored.
        assert!(
            store
                .record_signed_agreement(
                    dossier.id,
                    &file(DocumentKind::AgreementSigned, "x.pdf", b"%PDF-x", "x"),
                    signed_on,
                )
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.documents(dossier.id).await.unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn the_agreement_template_in_force_is_the_last_saved() {
    each_store(|store| async move {
        assert!(store.agreement_template().await.unwrap().is_none());
        store
            .save_agreement_template("# Première version", None)
            .await
            .unwrap();
        let second = store
            .save_agreement_template("# Convention\n\n{montant}", None)
            .await
            .unwrap();
        let current = store.agreement_template().await.unwrap().unwrap();
        assert_eq!(current.id, second.id);
        assert_eq!(current.body, "# Convention\n\n{montant}");
    })
    .await;
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story: schedule, reports, payments, the year's total
async fn payments_follow_the_schedule_never_exceed_the_grant_nor_an_overdue_report() {
    each_store(|store| async move {
        let granted = Money::from_cents(1_000_001);
        let not_yet = draft(store.as_ref(), "732829320", "73282932000074", 2026).await;
        let instalments = schedule(
            granted,
            &[
                (50, Condition::Signature, day(2026, 3, 1)),
                (50, Condition::FinalReport, day(2026, 9, 30)),
            ],
        );
        assert_eq!(
            store.set_schedule(not_yet.id, &instalments).await.unwrap(),
            ScheduleSet::NotAccepted
        );
        let dossier = accepted(store.as_ref(), 2026, granted).await;
        assert_eq!(
            store.set_schedule(dossier.id, &instalments).await.unwrap(),
            ScheduleSet::Done
        );
        let stored = store.schedule(dossier.id).await.unwrap();
        assert_eq!(
            stored
                .iter()
                .map(|s| s.instalment.clone())
                .collect::<Vec<Instalment>>(),
            instalments
        );
        assert_eq!(stored[1].instalment.amount, Money::from_cents(500_001));
        // The reports a payment waits for are the dossier's reports: the intermediate one is
        // in and accepted, the final one due at the end of September.
        store
            .set_report_dues(dossier.id, day(2026, 6, 30), day(2026, 9, 30))
            .await
            .unwrap();
        accept_report(store.as_ref(), dossier.id, ReportKind::Intermediate).await;
        let reports = store.report_dues(dossier.id).await.unwrap();
        assert_eq!(reports.len(), 2);
        assert!(reports[1].final_report && !reports[1].received);
        assert_eq!(reports[1].due, day(2026, 9, 30));

        let pay = |amount: Money, today: NaiveDate, instalment: Option<i64>| NewPayment {
            instalment,
            paid_on: today,
            amount,
            recorded_by: None,
            today,
        };
        let first = store
            .record_payment(
                dossier.id,
                &pay(
                    Money::from_cents(500_000),
                    day(2026, 4, 1),
                    Some(stored[0].id),
                ),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.instalment, Some(stored[0].id));
        // Once paid, the schedule stays.
        assert_eq!(
            store.set_schedule(dossier.id, &instalments).await.unwrap(),
            ScheduleSet::PaymentsMade
        );
        // The final report is overdue in October: the second instalment waits.
        let blocked = store
            .record_payment(
                dossier.id,
                &pay(
                    Money::from_cents(500_001),
                    day(2026, 10, 15),
                    Some(stored[1].id),
                ),
            )
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(
            blocked,
            PaymentRefused::Rule(PaymentError::OverdueReport {
                final_report: true,
                due: day(2026, 9, 30),
            })
        );
        accept_report(store.as_ref(), dossier.id, ReportKind::Final).await;
        assert!(store.report_dues(dossier.id).await.unwrap()[1].received);
        // One cent too many is refused; an instalment of another dossier is not accepted.
        let above = store
            .record_payment(
                dossier.id,
                &pay(Money::from_cents(500_002), day(2026, 10, 21), None),
            )
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(
            above,
            PaymentRefused::Rule(PaymentError::AboveGranted { .. })
        ));
        let elsewhere = store
            .record_payment(
                dossier.id,
                &pay(
                    Money::from_cents(1),
                    day(2026, 10, 21),
                    Some(stored[1].id + 1_000),
                ),
            )
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(elsewhere, PaymentRefused::UnknownInstalment);
        assert_eq!(
            store
                .record_payment(
                    not_yet.id,
                    &pay(Money::from_cents(1), day(2026, 10, 21), None)
                )
                .await
                .unwrap()
                .unwrap_err(),
            PaymentRefused::NotAccepted
        );
        store
            .record_payment(
                dossier.id,
                &pay(
                    Money::from_cents(500_001),
                    day(2026, 10, 21),
                    Some(stored[1].id),
                ),
            )
            .await
            .unwrap()
            .unwrap();
        let payments = store.payments(dossier.id).await.unwrap();
        assert_eq!(payments.len(), 2);
        assert_eq!(payments.iter().map(|p| p.amount).sum::<Money>(), granted);
        // What was paid for the year's dossiers.
        let later = accepted(store.as_ref(), 2027, Money::from_euros(1_000)).await;
        store
            .record_payment(
                later.id,
                &pay(Money::from_euros(400), day(2027, 2, 1), None),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(store.paid(2026).await.unwrap(), granted);
        assert_eq!(store.paid(2027).await.unwrap(), Money::from_euros(400));
        assert_eq!(store.paid(2025).await.unwrap(), Money::ZERO);
        assert_eq!(
            store.paid_by_dossier().await.unwrap(),
            vec![(dossier.id, granted), (later.id, Money::from_euros(400))]
        );
    })
    .await;
}
