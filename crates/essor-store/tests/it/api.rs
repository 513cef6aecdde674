//! API tokens (found by hash while neither revoked nor expired, revoked by their owner only),
//! webhook endpoints, and deliveries made from the dossiers' transitions: once per endpoint,
//! retried, given up.

use chrono::{Duration, Utc};
use essor_domain::access::SecondFactor;
use essor_domain::dossier::{Action, Application, Party, transition};
use essor_store::api::{Attempt, DeliveryStatus, NewApiToken};
use essor_store::dossiers::NewDossier;

use crate::harness::{account, each_store};

#[tokio::test]
async fn a_token_is_found_by_its_hash_until_it_expires_or_is_revoked() {
    each_store(|store| async move {
        let owner = account(store.as_ref(), "presidente@velo-libre.org").await;
        let other = account(store.as_ref(), "tresorier@autre.org").await;
        let now = Utc::now();
        let token = store
            .create_api_token(&NewApiToken {
                token_hash: "a".repeat(64).as_str(),
                account_id: owner,
                name: "Logiciel de gestion",
                second_factor: SecondFactor::Done,
                created_at: now,
                expires_at: now + Duration::days(30),
            })
            .await
            .unwrap();
        assert_eq!(token.name, "Logiciel de gestion");
        assert_eq!(token.second_factor, SecondFactor::Done);
        assert_eq!(token.last_used_at, None);
        let found = store
            .api_token_by_hash(&"a".repeat(64), now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, token.id);
        assert_eq!(found.account_id, owner);
        assert!(
            store
                .api_token_by_hash(&"b".repeat(64), now)
                .await
                .unwrap()
                .is_none()
        );
        // Expired: not found any more.
        assert!(
            store
                .api_token_by_hash(&"a".repeat(64), now + Duration::days(31))
                .await
                .unwrap()
                .is_none()
        );
        store.touch_api_token(token.id, now).await.unwrap();
        let listed = store.api_tokens(owner).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some());
        assert!(store.api_tokens(other).await.unwrap().is_empty());
        // Only its owner revokes it, once.
        assert!(!store.revoke_api_token(other, token.id, now).await.unwrap());
        assert!(store.revoke_api_token(owner, token.id, now).await.unwrap());
        assert!(!store.revoke_api_token(owner, token.id, now).await.unwrap());
        assert!(
            store
                .api_token_by_hash(&"a".repeat(64), now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store.api_tokens(owner).await.unwrap()[0]
                .revoked_at
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the transition to the delivery given up
async fn each_transition_is_delivered_once_to_each_active_endpoint() {
    each_store(|store| async move {
        let applicant = account(store.as_ref(), "presidente@velo-libre.org").await;
        let before = Utc::now() - Duration::seconds(5);
        let hook = store
            .create_webhook("https://a.example/hook", "secret-a", None, before)
            .await
            .unwrap();
        let off = store
            .create_webhook("https://b.example/hook", "secret-b", None, before)
            .await
            .unwrap();
        assert!(store.set_webhook_active(off.id, false).await.unwrap());
        assert!(!store.set_webhook_active(9999, false).await.unwrap());
        assert_eq!(store.webhooks().await.unwrap().len(), 2);
        assert!(!store.webhook(off.id).await.unwrap().unwrap().active);

        let dossier = store
            .create_dossier(&NewDossier {
                siret: "73282932000074",
                siren: "732829320",
                year: 2026,
                application: &Application::default(),
                created_by: Some(applicant),
            })
            .await
            .unwrap();
        let step = transition(
            dossier.state,
            &Action::Submit {
                missing: Vec::new(),
            },
            Party::Applicant,
        )
        .unwrap();
        let at = Utc::now();
        store
            .record_transition(dossier.id, &step, None, Some(applicant), at)
            .await
            .unwrap()
            .unwrap();
        // A message is not a transition: nothing to deliver for it.
        store
            .add_dossier_event(
                dossier.id,
                essor_store::dossiers::EventKind::Message,
                "Bonjour",
                Some(applicant),
            )
            .await
            .unwrap();
        // Events written after `up_to` wait for the next pass.
        assert_eq!(
            store
                .enqueue_webhook_events(at - Duration::seconds(1), 100)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store.enqueue_webhook_events(Utc::now(), 100).await.unwrap(),
            1
        );
        assert_eq!(
            store.enqueue_webhook_events(Utc::now(), 100).await.unwrap(),
            0,
            "the cursor moved"
        );
        assert!(
            store
                .webhook_deliveries(off.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let due = store.due_webhook_deliveries(Utc::now(), 10).await.unwrap();
        assert_eq!(due.len(), 1);
        let (delivery, endpoint) = &due[0];
        assert_eq!(endpoint.id, hook.id);
        assert_eq!(endpoint.secret, "secret-a");
        assert_eq!(delivery.status, DeliveryStatus::Pending);
        let body: serde_json::Value = serde_json::from_str(&delivery.body).unwrap();
        assert_eq!(body["dossier"], dossier.id);
        assert_eq!(body["siren"], "732829320");
        assert_eq!(body["de"], "brouillon");
        assert_eq!(body["vers"], "depose");
        assert_eq!(body.as_object().unwrap().len(), 7, "{body}");

        // One process claims it; a second claim of the same attempt fails.
        let lease = Utc::now() + Duration::seconds(60);
        assert!(
            store
                .claim_webhook_delivery(delivery.id, 0, lease)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_webhook_delivery(delivery.id, 0, lease)
                .await
                .unwrap()
        );
        assert!(
            store
                .due_webhook_deliveries(Utc::now(), 10)
                .await
                .unwrap()
                .is_empty(),
            "leased"
        );
        // A failure with a retry keeps it pending, due again at the retry.
        let retry = Utc::now() - Duration::seconds(1);
        store
            .record_webhook_attempt(
                delivery.id,
                &Attempt::Failed {
                    status_code: Some(500),
                    error: "réponse 500".into(),
                    retry_at: Some(retry),
                },
            )
            .await
            .unwrap();
        let again = store.due_webhook_deliveries(Utc::now(), 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].0.attempts, 1);
        assert_eq!(again[0].0.last_status_code, Some(500));
        assert!(
            store
                .claim_webhook_delivery(delivery.id, 1, lease)
                .await
                .unwrap()
        );
        store
            .record_webhook_attempt(
                delivery.id,
                &Attempt::Delivered {
                    status_code: 204,
                    at: Utc::now(),
                },
            )
            .await
            .unwrap();
        let listed = store.webhook_deliveries(hook.id, 10).await.unwrap();
        assert_eq!(listed[0].status, DeliveryStatus::Delivered);
        assert_eq!(listed[0].attempts, 2);
        assert_eq!(listed[0].last_error, None);
        assert!(listed[0].delivered_at.is_some());

        // A second transition, given up after its last attempt.
        let current = store.dossier(dossier.id).await.unwrap().unwrap();
        let step = transition(current.state, &Action::Instruct, Party::Staff).unwrap();
        store
            .record_transition(dossier.id, &step, None, None, Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store.enqueue_webhook_events(Utc::now(), 100).await.unwrap(),
            1
        );
        let (second, _) = store
            .due_webhook_deliveries(Utc::now(), 10)
            .await
            .unwrap()
            .remove(0);
        assert!(
            store
                .claim_webhook_delivery(second.id, 0, lease)
                .await
                .unwrap()
        );
        store
            .record_webhook_attempt(
                second.id,
                &Attempt::Failed {
                    status_code: None,
                    error: "connexion refusée".into(),
                    retry_at: None,
                },
            )
            .await
            .unwrap();
        let listed = store.webhook_deliveries(hook.id, 10).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].status, DeliveryStatus::Failed);
        assert_eq!(listed[0].last_error.as_deref(), Some("connexion refusée"));
        assert!(
            store
                .due_webhook_deliveries(Utc::now() + Duration::days(1), 10)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn an_endpoint_registered_after_a_transition_is_not_sent_it() {
    each_store(|store| async move {
        let dossier = store
            .create_dossier(&NewDossier {
                siret: "73282932000074",
                siren: "732829320",
                year: 2026,
                application: &Application::default(),
                created_by: None,
            })
            .await
            .unwrap();
        let step = transition(
            dossier.state,
            &Action::Submit {
                missing: Vec::new(),
            },
            Party::Applicant,
        )
        .unwrap();
        let at = Utc::now() - Duration::seconds(10);
        store
            .record_transition(dossier.id, &step, None, None, at)
            .await
            .unwrap()
            .unwrap();
        store
            .create_webhook("https://late.example/hook", "s", None, Utc::now())
            .await
            .unwrap();
        assert_eq!(
            store.enqueue_webhook_events(Utc::now(), 100).await.unwrap(),
            0
        );
    })
    .await;
}
