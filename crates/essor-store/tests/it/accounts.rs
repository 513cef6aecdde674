use chrono::{Duration, Utc};
use essor_domain::Siren;
use essor_domain::access::{Role, SecondFactor};
use essor_store::accounts::{AccountError, NewAccount, TokenPurpose};

use crate::harness::each_store;

fn new<'a>(email: &'a str, roles: &'static [Role]) -> NewAccount<'a> {
    NewAccount {
        email,
        display_name: "Camille Martin",
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
        email_verified: false,
        roles,
    }
}

#[tokio::test]
async fn accounts_are_unique_by_address_whatever_its_case() {
    each_store(|store| async move {
        let created = store
            .create_account(&new(" Camille@Example.FR ", &[Role::ChargeDeMission]))
            .await
            .unwrap();
        assert_eq!(created.email, "camille@example.fr");
        assert_eq!(created.roles, vec![Role::ChargeDeMission]);
        assert!(!created.is_verified());
        let taken = store.create_account(&new("CAMILLE@example.fr", &[])).await;
        assert!(matches!(taken, Err(AccountError::EmailTaken)), "{taken:?}");
        let found = store
            .account_by_email("camille@EXAMPLE.fr")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, created);
        assert_eq!(store.account(created.id).await.unwrap().unwrap(), created);
        assert_eq!(store.accounts().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn roles_are_replaced_and_end_sessions() {
    each_store(|store| async move {
        let id = store
            .create_account(&new("r@example.fr", &[]))
            .await
            .unwrap()
            .id;
        let now = Utc::now();
        store
            .create_session(
                "s1",
                id,
                SecondFactor::NotRequired,
                now,
                now + Duration::hours(1),
            )
            .await
            .unwrap();
        store
            .set_roles(id, &[Role::Administrator, Role::CommitteeMember])
            .await
            .unwrap();
        let account = store.account(id).await.unwrap().unwrap();
        assert_eq!(
            account.roles,
            vec![Role::CommitteeMember, Role::Administrator]
        );
        assert!(store.session("s1", now).await.unwrap().is_none());
        assert!(matches!(
            store.set_roles(9999, &[]).await,
            Err(AccountError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_and_follow_the_second_factor() {
    each_store(|store| async move {
        let id = store
            .create_account(&new("s@example.fr", &[]))
            .await
            .unwrap()
            .id;
        let now = Utc::now();
        store
            .create_session(
                "h",
                id,
                SecondFactor::Pending,
                now,
                now + Duration::hours(1),
            )
            .await
            .unwrap();
        let session = store.session("h", now).await.unwrap().unwrap();
        assert_eq!(session.account_id, id);
        assert_eq!(session.second_factor, SecondFactor::Pending);
        store
            .set_session_second_factor("h", SecondFactor::Done)
            .await
            .unwrap();
        assert_eq!(
            store
                .session("h", now)
                .await
                .unwrap()
                .unwrap()
                .second_factor,
            SecondFactor::Done
        );
        assert!(
            store
                .session("h", now + Duration::hours(2))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.sessions_of(id).await.unwrap().len(), 1);
        store.set_password(id, "nouvelle empreinte").await.unwrap();
        assert!(
            store.session("h", now).await.unwrap().is_none(),
            "a new password ends sessions"
        );
        assert_eq!(
            store
                .account(id)
                .await
                .unwrap()
                .unwrap()
                .password_hash
                .as_deref(),
            Some("nouvelle empreinte")
        );
    })
    .await;
}

#[tokio::test]
async fn tokens_serve_once_for_their_purpose_before_they_expire() {
    each_store(|store| async move {
        let id = store
            .create_account(&new("t@example.fr", &[]))
            .await
            .unwrap()
            .id;
        let now = Utc::now();
        store
            .create_token(
                "tok",
                id,
                TokenPurpose::ConfirmEmail,
                now + Duration::hours(1),
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .consume_token("tok", TokenPurpose::ResetPassword, now)
                .await
                .unwrap(),
            None,
            "another purpose"
        );
        assert_eq!(
            store
                .consume_token("tok", TokenPurpose::ConfirmEmail, now + Duration::hours(2))
                .await
                .unwrap(),
            None,
            "expired"
        );
        assert_eq!(
            store
                .consume_token("tok", TokenPurpose::ConfirmEmail, now)
                .await
                .unwrap(),
            Some(id)
        );
        assert_eq!(
            store
                .consume_token("tok", TokenPurpose::ConfirmEmail, now)
                .await
                .unwrap(),
            None,
            "used"
        );
        store.mark_email_verified(id, now).await.unwrap();
        assert!(store.account(id).await.unwrap().unwrap().is_verified());
    })
    .await;
}

#[tokio::test]
async fn totp_steps_cannot_be_replayed_and_recovery_codes_serve_once() {
    each_store(|store| async move {
        let id = store
            .create_account(&new("f@example.fr", &[]))
            .await
            .unwrap()
            .id;
        store.set_totp(id, Some("JBSWY3DPEHPK3PXP")).await.unwrap();
        assert!(store.accept_totp_step(id, 100).await.unwrap());
        assert!(!store.accept_totp_step(id, 100).await.unwrap());
        assert!(!store.accept_totp_step(id, 99).await.unwrap());
        assert!(store.accept_totp_step(id, 101).await.unwrap());
        store
            .replace_recovery_codes(id, &["a".into(), "b".into()])
            .await
            .unwrap();
        assert_eq!(store.remaining_recovery_codes(id).await.unwrap(), 2);
        let now = Utc::now();
        assert!(store.use_recovery_code(id, "a", now).await.unwrap());
        assert!(!store.use_recovery_code(id, "a", now).await.unwrap());
        assert!(!store.use_recovery_code(id, "z", now).await.unwrap());
        assert_eq!(store.remaining_recovery_codes(id).await.unwrap(), 1);
        // Setting the factor up again resets the step and the codes.
        store.set_totp(id, Some("KRSXG5CTMVRXEZLU")).await.unwrap();
        assert_eq!(store.remaining_recovery_codes(id).await.unwrap(), 0);
        assert!(store.accept_totp_step(id, 50).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn memberships_identities_and_deletion() {
    each_store(|store| async move {
        let id = store
            .create_account(&new("m@example.fr", &[]))
            .await
            .unwrap()
            .id;
        let siren = Siren::parse("732829320").unwrap();
        store.add_membership(id, &siren, false).await.unwrap();
        store.add_membership(id, &siren, true).await.unwrap();
        let memberships = store.memberships(id).await.unwrap();
        assert_eq!(memberships.len(), 1);
        assert!(memberships[0].owner);
        store
            .link_oidc("https://idp.example", "sub-1", id)
            .await
            .unwrap();
        assert_eq!(
            store
                .account_by_oidc("https://idp.example", "sub-1")
                .await
                .unwrap()
                .unwrap()
                .id,
            id
        );
        let now = Utc::now();
        store
            .create_session(
                "d",
                id,
                SecondFactor::NotRequired,
                now,
                now + Duration::hours(1),
            )
            .await
            .unwrap();
        assert!(store.delete_account(id).await.unwrap());
        assert!(store.account(id).await.unwrap().is_none());
        assert!(store.memberships(id).await.unwrap().is_empty());
        assert!(store.oidc_identities(id).await.unwrap().is_empty());
        assert!(store.session("d", now).await.unwrap().is_none());
        assert!(!store.delete_account(id).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn expired_sessions_tokens_and_unconfirmed_accounts_are_purged() {
    each_store(|store| async move {
        let kept = store
            .create_account(&new("kept@example.fr", &[]))
            .await
            .unwrap()
            .id;
        store.mark_email_verified(kept, Utc::now()).await.unwrap();
        let stale = store
            .create_account(&new("stale@example.fr", &[]))
            .await
            .unwrap()
            .id;
        let now = Utc::now();
        store
            .create_session(
                "old",
                kept,
                SecondFactor::NotRequired,
                now - Duration::hours(3),
                now - Duration::hours(1),
            )
            .await
            .unwrap();
        store
            .create_session(
                "live",
                kept,
                SecondFactor::NotRequired,
                now,
                now + Duration::hours(1),
            )
            .await
            .unwrap();
        store
            .create_token(
                "gone",
                kept,
                TokenPurpose::ResetPassword,
                now - Duration::minutes(1),
            )
            .await
            .unwrap();
        let removed = store
            .purge_expired(now, now + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(removed, 3, "a session, a token, an unconfirmed account");
        assert!(store.account(stale).await.unwrap().is_none());
        assert!(store.account(kept).await.unwrap().is_some());
        assert!(store.session("live", now).await.unwrap().is_some());
    })
    .await;
}
