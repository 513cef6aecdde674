//! End-to-end tests of the OpenID Connect client against a real provider (`oidc-provider`, run
//! by Node.js from `tests/oidc-provider`). Without node on PATH they are skipped with a line on
//! stderr, unless `ESSOR_REQUIRE_NODE=1`.

use essor_auth::oidc::{
    ClaimsVerificationError, OidcError, PendingLogin, SignatureVerificationError,
};
use essor_auth::testing::{
    OidcTestProvider, TestAccount, TestProfile, TestProviderOptions, code_and_state,
};
use essor_auth::{OidcClient, VerifiedIdentity};

const REDIRECT_URI: &str = OidcTestProvider::REDIRECT_URI;

/// Starts a login and signs in at the provider: the pending login, the code and the state.
async fn sign_in(
    provider: &OidcTestProvider,
    client: &OidcClient,
) -> (PendingLogin, String, String) {
    let (authorize_url, pending) = client.begin(REDIRECT_URI).unwrap();
    let landing = provider.sign_in(&authorize_url).await.unwrap();
    let (code, state) =
        code_and_state(&landing).unwrap_or_else(|| panic!("no code and state in {landing}"));
    (pending, code, state)
}

#[tokio::test]
async fn a_person_signs_in_through_the_provider() {
    let Some(provider) = OidcTestProvider::start() else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    assert_eq!(client.display_name(), "Fournisseur de test");
    assert_eq!(client.issuer(), provider.issuer());

    let (authorize_url, pending) = client.begin(REDIRECT_URI).unwrap();
    let query: std::collections::HashMap<_, _> = authorize_url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], "essor-test");
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert_eq!(query["scope"], "openid email profile");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["state"], pending.state());
    assert!(query.contains_key("nonce") && query.contains_key("code_challenge"));

    let landing = provider.sign_in(&authorize_url).await.unwrap();
    assert!(landing.as_str().starts_with(REDIRECT_URI), "{landing}");
    let (code, state) = code_and_state(&landing).unwrap();
    let identity = client.complete(pending, &code, &state).await.unwrap();

    let account = provider.account();
    assert_eq!(
        identity,
        VerifiedIdentity {
            subject: account.subject.clone(),
            issuer: provider.issuer().to_owned(),
            email: Some(account.email.clone()),
            email_verified: true,
            given_name: Some("Camille".to_owned()),
            family_name: Some("Martin".to_owned()),
            acr: None,
            siret: None,
        }
    );
}

#[tokio::test]
async fn a_wrong_state_is_rejected_before_the_code_is_used() {
    let Some(provider) = OidcTestProvider::start() else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    let (pending, code, state) = sign_in(&provider, &client).await;

    let err = client
        .complete(pending.clone(), &code, "forged-state")
        .await
        .unwrap_err();
    assert!(matches!(err, OidcError::StateMismatch), "{err}");
    // The state of another login in the same browser is refused too.
    let (_, other) = client.begin(REDIRECT_URI).unwrap();
    let err = client
        .complete(pending.clone(), &code, other.state())
        .await
        .unwrap_err();
    assert!(matches!(err, OidcError::StateMismatch), "{err}");
    // The code was not spent: the genuine callback still succeeds.
    let identity = client.complete(pending, &code, &state).await.unwrap();
    assert_eq!(
        identity.email.as_deref(),
        Some(provider.account().email.as_str())
    );
}

#[tokio::test]
async fn a_replayed_code_is_rejected() {
    let Some(provider) = OidcTestProvider::start() else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    let (pending, code, state) = sign_in(&provider, &client).await;

    client
        .complete(pending.clone(), &code, &state)
        .await
        .unwrap();
    let err = client.complete(pending, &code, &state).await.unwrap_err();
    assert!(matches!(err, OidcError::TokenExchange(_)), "{err}");
    assert!(
        err.to_string().contains("invalid_grant") || format!("{err:?}").contains("InvalidGrant"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_nonce_other_than_the_one_of_this_login_is_rejected() {
    let Some(provider) = OidcTestProvider::start() else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    let (_, earlier) = client.begin(REDIRECT_URI).unwrap();
    let (pending, code, state) = sign_in(&provider, &client).await;

    // The session's pending login, with the nonce of another login (as kept in a cookie
    // session an attacker could swap).
    let mut tampered = serde_json::to_value(&pending).unwrap();
    tampered["nonce"] = serde_json::to_value(&earlier).unwrap()["nonce"].clone();
    let tampered: PendingLogin = serde_json::from_value(tampered).unwrap();

    let err = client.complete(tampered, &code, &state).await.unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::IdToken(ClaimsVerificationError::InvalidNonce(_))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_rejected_by_the_provider() {
    let Some(provider) = OidcTestProvider::start() else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    let (_, earlier) = client.begin(REDIRECT_URI).unwrap();
    let (pending, code, state) = sign_in(&provider, &client).await;

    let mut tampered = serde_json::to_value(&pending).unwrap();
    tampered["pkce_verifier"] = serde_json::to_value(&earlier).unwrap()["pkce_verifier"].clone();
    let tampered: PendingLogin = serde_json::from_value(tampered).unwrap();

    let err = client.complete(tampered, &code, &state).await.unwrap_err();
    assert!(matches!(err, OidcError::TokenExchange(_)), "{err:?}");
}

#[tokio::test]
async fn an_id_token_whose_signature_does_not_verify_is_rejected() {
    let Some(provider) = OidcTestProvider::start_with(TestProviderOptions {
        wrong_keys: true,
        ..TestProviderOptions::default()
    }) else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    let (pending, code, state) = sign_in(&provider, &client).await;

    let err = client.complete(pending, &code, &state).await.unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::IdToken(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::CryptoError(_)
            ))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unverified_email_is_reported_as_unverified() {
    let Some(provider) = OidcTestProvider::start_with(TestProviderOptions {
        account: TestAccount {
            email_verified: false,
            ..TestAccount::default()
        },
        ..TestProviderOptions::default()
    }) else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    let (pending, code, state) = sign_in(&provider, &client).await;
    let identity = client.complete(pending, &code, &state).await.unwrap();
    assert_eq!(
        identity.email.as_deref(),
        Some("camille.martin@example.org")
    );
    assert!(!identity.email_verified);
}

#[tokio::test]
async fn a_wrong_password_at_the_provider_gives_no_code() {
    let Some(provider) = OidcTestProvider::start() else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    let (authorize_url, _) = client.begin(REDIRECT_URI).unwrap();
    let err = provider
        .sign_in_as(
            &authorize_url,
            &provider.account().email,
            "not the password",
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn a_proconnect_like_provider_gives_its_claims_through_signed_userinfo() {
    let Some(provider) = OidcTestProvider::start_with(TestProviderOptions {
        profile: TestProfile::ProConnect,
        account: TestAccount {
            given_name: "Dominique".to_owned(),
            family_name: "Lefèvre".to_owned(),
            email: "dominique.lefevre@grenoblealpesmetropole.fr".to_owned(),
            ..TestAccount::default()
        },
        ..TestProviderOptions::default()
    }) else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    assert_eq!(client.display_name(), "ProConnect");
    let (authorize_url, pending) = client.begin(REDIRECT_URI).unwrap();
    let query: std::collections::HashMap<_, _> = authorize_url.query_pairs().into_owned().collect();
    assert_eq!(query["acr_values"], "eidas1");
    assert_eq!(query["scope"], "openid email given_name usual_name siret");

    let landing = provider.sign_in(&authorize_url).await.unwrap();
    let (code, state) = code_and_state(&landing).unwrap();
    let identity = client.complete(pending, &code, &state).await.unwrap();
    assert_eq!(
        identity,
        VerifiedIdentity {
            subject: "test-account-1".to_owned(),
            issuer: provider.issuer().to_owned(),
            email: Some("dominique.lefevre@grenoblealpesmetropole.fr".to_owned()),
            // ProConnect sends no email_verified; these settings trust its e-mails.
            email_verified: true,
            given_name: Some("Dominique".to_owned()),
            family_name: Some("Lefèvre".to_owned()),
            acr: Some("eidas1".to_owned()),
            siret: Some("20004071500012".to_owned()),
        }
    );
}

#[tokio::test]
async fn signed_userinfo_is_required_when_the_settings_say_so() {
    let Some(provider) = OidcTestProvider::start() else {
        return;
    };
    let mut settings = provider.settings();
    settings.require_signed_userinfo = true;
    let client = OidcClient::discover(settings).await.unwrap();
    let (pending, code, state) = sign_in(&provider, &client).await;
    let err = client.complete(pending, &code, &state).await.unwrap_err();
    assert!(matches!(err, OidcError::UserInfo(_)), "{err:?}");
}

#[tokio::test]
async fn discovery_of_an_unreachable_issuer_fails() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = essor_auth::OidcSettings::new(
        format!("http://127.0.0.1:{port}"),
        "essor",
        "secret",
        "ProConnect",
    );
    let err = OidcClient::discover(settings).await.unwrap_err();
    assert!(matches!(err, OidcError::Discovery(_)), "{err:?}");
}

#[tokio::test]
async fn a_client_secret_starting_with_a_dash_reaches_the_provider_intact() {
    // Random secrets are URL-safe base64, which may start with `-`.
    let Some(provider) = OidcTestProvider::start_with(TestProviderOptions {
        client_secret: "-starts-with-a-dash".to_owned(),
        ..TestProviderOptions::default()
    }) else {
        return;
    };
    let client = OidcClient::discover(provider.settings()).await.unwrap();
    let (pending, code, state) = sign_in(&provider, &client).await;
    client.complete(pending, &code, &state).await.unwrap();
}

#[test]
fn a_provider_that_cannot_start_says_why() {
    if !essor_auth::testing::node_available() {
        assert_ne!(
            std::env::var(essor_auth::testing::REQUIRE_NODE_VAR).as_deref(),
            Ok("1"),
            "node is not on PATH"
        );
        return;
    }
    let err = OidcTestProvider::try_start_with(TestProviderOptions {
        redirect_uris: Vec::new(),
        ..TestProviderOptions::default()
    })
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("did not start"), "{message}");
    assert!(message.contains("--redirect-uri"), "{message}");
}
