//! Instruction: invitations to give an opinion (found by their token's hash only, answered
//! once, each reminder claimed once), labels on dossiers, dashboard columns per account.

use chrono::{Duration, NaiveDate, Utc};
use essor_domain::Money;
use essor_domain::dossier::Application;
use essor_domain::instruction::{Reminder, Verdict};
use essor_store::Store;
use essor_store::dossiers::NewDossier;
use essor_store::instruction::NewOpinionRequest;

use crate::harness::{account, each_store};

async fn dossier(store: &dyn Store, title: &str) -> i64 {
    store
        .create_dossier(&NewDossier {
            siret: "73282932000074",
            siren: "732829320",
            year: 2026,
            application: &Application {
                title: title.into(),
                asked: Money::from_euros(5_000),
                ..Application::default()
            },
            created_by: None,
        })
        .await
        .unwrap()
        .id
}

fn deadline() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()
}

#[tokio::test]
async fn an_opinion_is_asked_found_by_its_token_and_answered_once() {
    each_store(|store| async move {
        let staff = account(store.as_ref(), "agent@metropole.fr").await;
        let id = dossier(store.as_ref(), "Atelier vélo").await;
        let other = dossier(store.as_ref(), "Épicerie").await;
        let at = Utc::now();
        let asked = store
            .create_opinion_request(&NewOpinionRequest {
                dossier: id,
                token_hash: "aa11",
                name: "Jeanne Dupont",
                organisation: "Région Auvergne-Rhône-Alpes",
                email: "jeanne.dupont@region.example",
                question: "Le plan de financement vous paraît-il solide ?",
                deadline: deadline(),
                confidential: true,
                requested_by: Some(staff),
                at,
            })
            .await
            .unwrap();
        assert_eq!(asked.dossier, id);
        assert_eq!(asked.deadline, deadline());
        assert!(asked.confidential);
        assert_eq!(asked.answer, None);
        assert_eq!(
            store.opinion_request(asked.id).await.unwrap().as_ref(),
            Some(&asked)
        );
        assert_eq!(
            store.opinion_request_by_token("aa11").await.unwrap(),
            Some(asked.clone())
        );
        assert_eq!(store.opinion_request_by_token("bb22").await.unwrap(), None);
        assert_eq!(store.opinion_requests(id).await.unwrap().len(), 1);
        assert!(store.opinion_requests(other).await.unwrap().is_empty());
        assert_eq!(store.opinion_counts().await.unwrap(), vec![(id, 1, 0)]);

        assert!(
            store
                .answer_opinion(asked.id, Verdict::Reserved, "Trop optimiste.", at)
                .await
                .unwrap()
        );
        // A second answer does not replace the first.
        assert!(
            !store
                .answer_opinion(asked.id, Verdict::Favourable, "Finalement oui.", at)
                .await
                .unwrap()
        );
        let answered = store.opinion_request(asked.id).await.unwrap().unwrap();
        let opinion = answered.answer.unwrap();
        assert_eq!(opinion.verdict, Verdict::Reserved);
        assert_eq!(opinion.text, "Trop optimiste.");
        assert!(
            store
                .unanswered_opinion_requests()
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.opinion_counts().await.unwrap(), vec![(id, 1, 1)]);
        // An answered invitation is not sent again.
        assert!(
            !store
                .renew_opinion_token(asked.id, "cc33", at)
                .await
                .unwrap()
        );
    })
    .await;
}

#[tokio::test]
async fn each_reminder_is_claimed_once_and_renews_the_link() {
    each_store(|store| async move {
        let id = dossier(store.as_ref(), "Atelier vélo").await;
        let at = Utc::now();
        let asked = store
            .create_opinion_request(&NewOpinionRequest {
                dossier: id,
                token_hash: "first",
                name: "Paul Martin",
                organisation: "France Active",
                email: "paul@franceactive.example",
                question: "Votre avis ?",
                deadline: deadline(),
                confidential: false,
                requested_by: None,
                at,
            })
            .await
            .unwrap();
        let later = at + Duration::days(1);
        assert!(
            store
                .claim_reminder(asked.id, Reminder::Soon, "second", later)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_reminder(asked.id, Reminder::Soon, "third", later)
                .await
                .unwrap()
        );
        // The old link no longer works; the new one does.
        assert_eq!(store.opinion_request_by_token("first").await.unwrap(), None);
        let now = store
            .opinion_request_by_token("second")
            .await
            .unwrap()
            .unwrap();
        assert!(now.reminded_soon_at.is_some());
        assert_eq!(now.reminded_overdue_at, None);
        assert!(now.last_sent_at > asked.last_sent_at);

        // A reminder whose mail failed is given back, then claimed again.
        store
            .release_reminder(asked.id, Reminder::Soon)
            .await
            .unwrap();
        assert!(
            store
                .claim_reminder(asked.id, Reminder::Soon, "fourth", later)
                .await
                .unwrap()
        );
        // Staff send it again by hand.
        assert!(
            store
                .renew_opinion_token(asked.id, "fifth", later)
                .await
                .unwrap()
        );
        assert!(
            store
                .opinion_request_by_token("fifth")
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(store.unanswered_opinion_requests().await.unwrap().len(), 1);

        // Once answered, no reminder is claimed.
        store
            .answer_opinion(asked.id, Verdict::Favourable, "", later)
            .await
            .unwrap();
        assert!(
            !store
                .claim_reminder(asked.id, Reminder::Overdue, "sixth", later)
                .await
                .unwrap()
        );
    })
    .await;
}

#[tokio::test]
async fn labels_are_shared_by_name_and_set_on_dossiers() {
    each_store(|store| async move {
        let a = dossier(store.as_ref(), "Atelier vélo").await;
        let b = dossier(store.as_ref(), "Épicerie").await;
        let urgent = store.ensure_label("urgent").await.unwrap();
        let qpv = store.ensure_label("QPV prioritaire").await.unwrap();
        assert_eq!(store.ensure_label("urgent").await.unwrap(), urgent);
        assert_eq!(
            store.labels().await.unwrap(),
            vec![qpv.clone(), urgent.clone()]
        );
        assert!(store.set_dossier_label(a, urgent.id, true).await.unwrap());
        assert!(!store.set_dossier_label(a, urgent.id, true).await.unwrap());
        assert!(store.set_dossier_label(a, qpv.id, true).await.unwrap());
        assert!(store.set_dossier_label(b, qpv.id, true).await.unwrap());
        assert_eq!(
            store.dossier_labels(a).await.unwrap(),
            vec![qpv.clone(), urgent.clone()]
        );
        assert!(store.set_dossier_label(a, qpv.id, false).await.unwrap());
        assert!(!store.set_dossier_label(a, qpv.id, false).await.unwrap());
        assert_eq!(store.dossier_labels(a).await.unwrap(), vec![urgent.clone()]);
        let mut links = store.label_links().await.unwrap();
        links.sort_unstable();
        assert_eq!(links, vec![(a, urgent.id), (b, qpv.id)]);
    })
    .await;
}

#[tokio::test]
async fn dashboard_columns_are_kept_per_account() {
    each_store(|store| async move {
        let camille = account(store.as_ref(), "camille@metropole.fr").await;
        let lea = account(store.as_ref(), "lea@metropole.fr").await;
        assert_eq!(store.dashboard_columns(camille).await.unwrap(), None);
        let chosen = vec!["numero".to_owned(), "projet".to_owned()];
        store
            .save_dashboard_columns(camille, &chosen)
            .await
            .unwrap();
        assert_eq!(
            store.dashboard_columns(camille).await.unwrap(),
            Some(chosen)
        );
        let replaced = vec!["structure".to_owned()];
        store
            .save_dashboard_columns(camille, &replaced)
            .await
            .unwrap();
        assert_eq!(
            store.dashboard_columns(camille).await.unwrap(),
            Some(replaced)
        );
        assert_eq!(store.dashboard_columns(lea).await.unwrap(), None);
        // Deleting the account deletes its choice.
        assert!(store.delete_account(camille).await.unwrap());
        assert_eq!(store.dashboard_columns(camille).await.unwrap(), None);
    })
    .await;
}
