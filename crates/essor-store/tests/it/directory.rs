use chrono::Utc;
use essor_domain::Siren;
use essor_domain::actor::{Offer, Profile};
use essor_store::directory::{Author, RequestStatus};
use essor_store::{EstablishmentRow, NewSnapshot};

use crate::harness::{account, each_store};

fn establishment(siret: &str, commune: &str) -> EstablishmentRow {
    EstablishmentRow {
        siret: siret.to_owned(),
        siren: siret[..9].to_owned(),
        commune: commune.to_owned(),
        active: true,
        record: format!("{{\"siret\":\"{siret}\"}}"),
    }
}

fn profile(description: &str) -> Profile {
    Profile {
        description: description.to_owned(),
        offers: vec![Offer {
            title: "Réparation de vélos".to_owned(),
            themes: vec!["mobilites".to_owned()],
            ..Offer::default()
        }],
        ..Profile::default()
    }
}

#[tokio::test]
async fn establishments_are_found_by_siret_and_by_structure() {
    each_store(|store| async move {
        let rows = [
            establishment("20004071500019", "38185"),
            establishment("20004071500027", "38151"),
            establishment("35600000000048", "38185"),
        ];
        let report = serde_json::json!({});
        let saved = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "e.csv",
                units_file: "u.csv",
                synthetic: true,
                report: &report,
                facts: &essor_domain::panorama::FactTable::default(),
                establishments: &rows,
            })
            .await
            .unwrap();
        let found = store
            .establishment(saved.id, "20004071500027")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, rows[1]);
        assert!(
            store
                .establishment(saved.id, "20004071500035")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .establishment(saved.id + 1, "20004071500027")
                .await
                .unwrap()
                .is_none()
        );
        let same = store
            .establishments_of_siren(saved.id, "200040715")
            .await
            .unwrap();
        assert_eq!(same, rows[..2].to_vec());
    })
    .await;
}

#[tokio::test]
async fn profiles_keep_every_revision_and_publish_the_last() {
    each_store(|store| async move {
        let member = account(store.as_ref(), "membre@ressourcerie.org").await;
        let staff = account(store.as_ref(), "agent@metropole.fr").await;
        assert!(store.profile("20004071500019").await.unwrap().is_none());
        assert_eq!(store.latest_profile_revision().await.unwrap(), None);
        let first = store
            .save_profile(
                "20004071500019",
                "200040715",
                &profile("Première version"),
                Author {
                    account: Some(member),
                    staff: false,
                },
                None,
            )
            .await
            .unwrap();
        let second = store
            .save_profile(
                "20004071500019",
                "200040715",
                &profile("Deuxième version"),
                Author {
                    account: Some(member),
                    staff: false,
                },
                None,
            )
            .await
            .unwrap();
        assert!(second.revision > first.revision);
        let published = store.profile("20004071500019").await.unwrap().unwrap();
        assert_eq!(published.profile, profile("Deuxième version"));
        assert_eq!(published.revision, second.revision);
        assert_eq!(store.profiles().await.unwrap().len(), 1);
        assert_eq!(
            store.latest_profile_revision().await.unwrap(),
            Some(second.revision)
        );
        assert_eq!(store.profiles_since(first.revision).await.unwrap().len(), 1);
        assert!(
            store
                .profiles_since(second.revision)
                .await
                .unwrap()
                .is_empty()
        );

        let history = store.profile_revisions("20004071500019").await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].id, second.revision, "newest first");
        assert_eq!(history[1].profile.description, "Première version");
        assert_eq!(history[1].author, Some(member));
        assert!(!history[1].by_staff);

        let to_review = store.unreviewed_revisions().await.unwrap();
        assert_eq!(to_review.len(), 2);
        // Reviewing the last revision settles the earlier ones of the same actor.
        let reviewed = store
            .mark_reviewed(second.revision, staff, Utc::now())
            .await
            .unwrap();
        assert_eq!(reviewed, 2);
        assert!(store.unreviewed_revisions().await.unwrap().is_empty());

        // A staff revert publishes an earlier content, born reviewed, pointing at what it restores.
        let reverted = store
            .save_profile(
                "20004071500019",
                "200040715",
                &history[1].profile,
                Author {
                    account: Some(staff),
                    staff: true,
                },
                Some(first.revision),
            )
            .await
            .unwrap();
        let revision = store
            .profile_revision(reverted.revision)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(revision.restores, Some(first.revision));
        assert_eq!(revision.reviewed_by, Some(staff));
        assert!(store.unreviewed_revisions().await.unwrap().is_empty());
        assert_eq!(
            store
                .profile("20004071500019")
                .await
                .unwrap()
                .unwrap()
                .profile
                .description,
            "Première version"
        );

        // Deleting the author's account keeps the history, without the author.
        store.delete_account(member).await.unwrap();
        let history = store.profile_revisions("20004071500019").await.unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[2].author, None);
    })
    .await;
}

#[tokio::test]
async fn an_approved_claim_makes_the_account_a_member() {
    each_store(|store| async move {
        let claimant = account(store.as_ref(), "marie@ressourcerie.org").await;
        let other = account(store.as_ref(), "paul@gmail.com").await;
        let staff = account(store.as_ref(), "agent@metropole.fr").await;
        let siren = Siren::parse("200040715").unwrap();

        let immediate = store
            .create_claim(
                "20004071500019",
                "200040715",
                claimant,
                "",
                RequestStatus::Approved,
            )
            .await
            .unwrap();
        assert_eq!(immediate.status, RequestStatus::Approved);
        assert!(immediate.decided_at.is_some());
        let memberships = store.memberships(claimant).await.unwrap();
        assert_eq!(memberships.len(), 1);
        assert_eq!(memberships[0].siren, siren);

        let pending = store
            .create_claim(
                "20004071500019",
                "200040715",
                other,
                "Je suis la trésorière.",
                RequestStatus::Pending,
            )
            .await
            .unwrap();
        assert!(store.memberships(other).await.unwrap().is_empty());
        assert_eq!(
            store.claims(Some(RequestStatus::Pending)).await.unwrap(),
            vec![pending.clone()]
        );
        assert_eq!(store.claims(None).await.unwrap().len(), 2);
        assert_eq!(
            store.claims_of_account(other).await.unwrap(),
            vec![pending.clone()]
        );

        let rejected = store
            .decide_claim(
                pending.id,
                false,
                staff,
                "Adresse sans lien avec la structure",
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rejected.status, RequestStatus::Rejected);
        assert_eq!(rejected.decided_by, Some(staff));
        assert!(store.memberships(other).await.unwrap().is_empty());
        // A decided claim is not decided twice.
        assert!(
            store
                .decide_claim(pending.id, true, staff, "", Utc::now())
                .await
                .unwrap()
                .is_none()
        );

        let again = store
            .create_claim(
                "20004071500019",
                "200040715",
                other,
                "",
                RequestStatus::Pending,
            )
            .await
            .unwrap();
        let approved = store
            .decide_claim(again.id, true, staff, "", Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(approved.status, RequestStatus::Approved);
        assert_eq!(store.memberships(other).await.unwrap()[0].siren, siren);

        // Claims go with the account.
        store.delete_account(other).await.unwrap();
        assert!(store.claims_of_account(other).await.unwrap().is_empty());
        assert_eq!(store.claims(None).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn images_are_stored_and_removed() {
    each_store(|store| async move {
        let bytes = vec![0x89, b'P', b'N', b'G', 0, 1, 2, 255];
        let id = store
            .save_media("20004071500019", "image/png", 640, 480, &bytes)
            .await
            .unwrap();
        let media = store.media(id).await.unwrap().unwrap();
        assert_eq!(media.bytes, bytes);
        assert_eq!((media.width, media.height), (640, 480));
        assert_eq!(media.content_type, "image/png");
        assert!(store.delete_media(id).await.unwrap());
        assert!(!store.delete_media(id).await.unwrap());
        assert!(store.media(id).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn actors_added_by_hand_are_kept_with_their_author() {
    each_store(|store| async move {
        assert_eq!(store.manual_actors_version().await.unwrap(), (None, None));
        let staff = account(store.as_ref(), "agent@metropole.fr").await;
        let created = store
            .create_manual_actor(&essor_store::directory::NewManualActor {
                name: "Collectif Vélo Libre",
                siret: None,
                siren: None,
                family: "association",
                commune: "38185",
                address: Some("5 rue Très-Cloîtres"),
                postcode: Some("38000"),
                message: "",
                created_by: Some(staff),
                status: RequestStatus::Approved,
            })
            .await
            .unwrap();
        assert_eq!(created.key(), format!("m{}", created.id));
        assert_eq!(created.status, RequestStatus::Approved);
        assert_eq!(created.decided_by, Some(staff));
        assert_eq!(created.decided_at, Some(created.created_at));
        assert_eq!(
            store.manual_actors(None).await.unwrap(),
            vec![created.clone()]
        );
        assert_eq!(
            store.manual_actor(created.id).await.unwrap().as_ref(),
            Some(&created)
        );
        let (id, decided) = store.manual_actors_version().await.unwrap();
        assert_eq!(id, Some(created.id));
        assert!(decided.is_some());
        store.delete_account(staff).await.unwrap();
        let kept = store.manual_actors(None).await.unwrap();
        assert_eq!((kept[0].created_by, kept[0].decided_by), (None, None));
    })
    .await;
}

#[tokio::test]
async fn a_proposed_actor_waits_for_one_decision() {
    each_store(|store| async move {
        let member = account(store.as_ref(), "presidente@velo-libre.org").await;
        let staff = account(store.as_ref(), "agent@metropole.fr").await;
        let new = |name| essor_store::directory::NewManualActor {
            name,
            siret: None,
            siren: Some("732829320"),
            family: "association",
            commune: "38185",
            address: None,
            postcode: None,
            message: "Je préside l’association, créée le mois dernier.",
            created_by: Some(member),
            status: RequestStatus::Pending,
        };
        let first = store
            .create_manual_actor(&new("Atelier du Vélo"))
            .await
            .unwrap();
        let second = store
            .create_manual_actor(&new("Vélo Pour Tous"))
            .await
            .unwrap();
        assert_eq!(first.status, RequestStatus::Pending);
        assert_eq!((first.decided_at, first.decided_by), (None, None));
        assert_eq!(first.siren.as_deref(), Some("732829320"));
        assert_eq!(
            store.manual_actors_version().await.unwrap(),
            (Some(second.id), None)
        );
        let pending = store
            .manual_actors(Some(RequestStatus::Pending))
            .await
            .unwrap();
        assert_eq!(pending, vec![first.clone(), second.clone()]);
        assert!(
            store
                .manual_actors(Some(RequestStatus::Approved))
                .await
                .unwrap()
                .is_empty()
        );

        let at = chrono::Utc::now();
        let approved = store
            .decide_manual_actor(first.id, true, staff, "", at)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(approved.status, RequestStatus::Approved);
        assert_eq!(approved.decided_by, Some(staff));
        // Decided once: a second decision finds nothing to decide.
        assert!(
            store
                .decide_manual_actor(first.id, false, staff, "doublon", at)
                .await
                .unwrap()
                .is_none()
        );
        let refused = store
            .decide_manual_actor(second.id, false, staff, "Déjà dans l’annuaire.", at)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(refused.status, RequestStatus::Rejected);
        assert_eq!(refused.reason.as_deref(), Some("Déjà dans l’annuaire."));
        assert!(
            store
                .decide_manual_actor(9999, true, staff, "", at)
                .await
                .unwrap()
                .is_none()
        );

        let (_, decided) = store.manual_actors_version().await.unwrap();
        assert!(decided.is_some());
        let approved_only = store
            .manual_actors(Some(RequestStatus::Approved))
            .await
            .unwrap();
        assert_eq!(approved_only, vec![approved]);
        let mine = store.manual_actors_of_account(member).await.unwrap();
        assert_eq!(mine.len(), 2);
        assert!(
            store
                .manual_actors_of_account(staff)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}
