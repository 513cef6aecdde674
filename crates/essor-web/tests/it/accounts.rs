//! Accounts through the web, as a browser without JavaScript would use them: sign-up and the
//! confirmation mail (a real SMTP server), sign-in, sign-out, reset, the second factor, single
//! sign-on against a real OpenID provider, CSRF, escaping, rate limits, export and deletion.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use essor_auth::{Totp, TotpSecret};
use essor_domain::access::{Role, SecondFactor};
use essor_domain::referential::Referential;
use essor_mail::testing::SmtpSink;
use essor_store::Store;
use essor_store::accounts::NewAccount;
use essor_store::seed::ensure_reference_data;
use essor_web::{AppState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::account_config;

pub const PASSWORD: &str = "une phrase de passe solide";

/// A browser: keeps cookies, reads the CSRF token of the last form it saw.
pub struct Browser {
    pub app: Router,
    cookies: BTreeMap<String, String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent (for files that are not text).
    pub bytes: Vec<u8>,
}

impl Browser {
    pub fn new(app: Router) -> Self {
        Self {
            app,
            cookies: BTreeMap::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    async fn send(&mut self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let cookie = cookie::Cookie::parse(value.to_str().unwrap().to_owned()).unwrap();
            let expired = cookie
                .max_age()
                .is_some_and(cookie::time::Duration::is_zero)
                || cookie.value().is_empty();
            if expired {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let request = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// Posts a form as is (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Posts a form with the CSRF token of this browser (opening `form_page` first if the
    /// browser has none yet).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        if self.cookie("essor_csrf").is_none() {
            let page = self.get("/connexion").await;
            assert_eq!(page.status, StatusCode::OK);
        }
        let token = self.cookie("essor_csrf").unwrap().to_owned();
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }
}

/// A fresh store (see [`crate::fresh_store`]) with the reference data, as on first start.
pub async fn store() -> Arc<dyn Store> {
    let store = crate::fresh_store().await;
    ensure_reference_data(store.as_ref(), Referential::embedded())
        .await
        .unwrap();
    store
}

pub fn app_with(store: &Arc<dyn Store>, mailer: essor_mail::Mailer) -> Router {
    router(AppState::new(
        Arc::clone(store),
        Referential::embedded(),
        account_config(mailer),
    ))
}

/// An account made directly in the store, confirmed, with a password.
pub async fn account(store: &Arc<dyn Store>, email: &str, roles: &[Role]) -> i64 {
    let passwords = essor_auth::Passwords::new(essor_auth::password::PasswordParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    let hash = passwords
        .hash(&essor_auth::NewPassword::parse(PASSWORD, email).unwrap())
        .unwrap();
    store
        .create_account(&NewAccount {
            email,
            display_name: "Camille Martin",
            password_hash: Some(hash.as_str()),
            email_verified: true,
            roles,
        })
        .await
        .unwrap()
        .id
}

/// A session opened directly in the store for an account, valid an hour; its token.
pub async fn session(store: &Arc<dyn Store>, account: i64, second_factor: SecondFactor) -> String {
    let (token, hash) = essor_auth::Token::generate();
    let now = Utc::now();
    store
        .create_session(
            &hash.to_hex(),
            account,
            second_factor,
            now,
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    token.as_str().to_owned()
}

fn path_of(link: &str) -> String {
    let url = essor_mail::Url::parse(link).unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

#[tokio::test]
async fn sign_up_confirm_sign_in_and_out() {
    let sink = SmtpSink::start().unwrap();
    let store = store().await;
    let mut browser = Browser::new(app_with(&store, sink.mailer()));

    let form = browser.get("/inscription").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("<label for=\"email\">"), "{}", form.body);
    let reply = browser
        .post(
            "/inscription",
            &[
                ("name", "Camille Martin"),
                ("email", "Camille.Martin@Example.fr"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("Vérifiez votre messagerie"));

    // Not confirmed yet: signing in says so.
    let early = browser
        .post(
            "/connexion",
            &[
                ("email", "camille.martin@example.fr"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(
        early.body.contains("Adresse électronique à confirmer"),
        "{}",
        early.body
    );

    let mails = sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
    let mail = mails[0].parsed();
    assert_eq!(mail.to, vec!["camille.martin@example.fr".to_owned()]);
    let link = mail.first_link().expect("a confirmation link");
    assert!(
        link.starts_with("http://essor.test/inscription/confirmation?jeton="),
        "{link}"
    );
    let confirmed = browser.get(&path_of(&link)).await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert!(confirmed.body.contains("Adresse confirmée"));
    // A link serves once.
    let again = browser.get(&path_of(&link)).await;
    assert_eq!(again.status, StatusCode::GONE);

    let signed_in = browser
        .post(
            "/connexion",
            &[
                ("email", "camille.martin@example.fr"),
                ("password", PASSWORD),
                ("suite", "/compte"),
            ],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.location.as_deref(), Some("/compte"));
    let cookie = signed_in
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("essor_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let home = browser.get("/compte").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Camille Martin"));
    assert_eq!(home.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");

    let out = browser.post("/deconnexion", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(browser.cookie("essor_session").is_none());
    let after = browser.get("/compte").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location.unwrap().starts_with("/connexion?suite="));
}

#[tokio::test]
async fn sign_in_renews_the_session_and_a_stolen_old_one_is_dead() {
    let store = store().await;
    account(&store, "a@example.fr", &[]).await;
    let mut browser = Browser::new(app_with(&store, crate::outbox_mailer()));
    browser
        .post(
            "/connexion",
            &[("email", "a@example.fr"), ("password", PASSWORD)],
        )
        .await;
    let first = browser.cookie("essor_session").unwrap().to_owned();
    browser
        .post(
            "/connexion",
            &[("email", "a@example.fr"), ("password", PASSWORD)],
        )
        .await;
    let second = browser.cookie("essor_session").unwrap().to_owned();
    assert_ne!(first, second);
    let mut thief = Browser::new(browser.app.clone());
    thief.set_cookie("essor_session", &first);
    assert_eq!(thief.get("/compte").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_password_and_unknown_address_get_the_same_answer() {
    let store = store().await;
    account(&store, "known@example.fr", &[]).await;
    let mut browser = Browser::new(app_with(&store, crate::outbox_mailer()));
    let wrong = browser
        .post(
            "/connexion",
            &[
                ("email", "known@example.fr"),
                ("password", "pas le bon mot de passe"),
            ],
        )
        .await;
    let unknown = browser
        .post(
            "/connexion",
            &[
                ("email", "nobody@example.fr"),
                ("password", "pas le bon mot de passe"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.status, unknown.status);
    assert!(
        wrong
            .body
            .contains("Adresse électronique ou mot de passe incorrect.")
    );
    let strip = |body: &str, email: &str| body.replace(email, "");
    assert_eq!(
        strip(&wrong.body, "known@example.fr"),
        strip(&unknown.body, "nobody@example.fr")
    );

    let reset_known = browser
        .post("/mot-de-passe-oublie", &[("email", "known@example.fr")])
        .await;
    let reset_unknown = browser
        .post("/mot-de-passe-oublie", &[("email", "nobody@example.fr")])
        .await;
    assert_eq!(reset_known.status, reset_unknown.status);
    assert_eq!(
        strip(&reset_known.body, "known@example.fr"),
        strip(&reset_unknown.body, "nobody@example.fr")
    );

    // Signing up with a taken address answers as for a new one.
    let fields = |email: &'static str| {
        [
            ("name", "Quelqu’un"),
            ("email", email),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
        ]
    };
    let taken = browser
        .post("/inscription", &fields("known@example.fr"))
        .await;
    let fresh = browser
        .post("/inscription", &fields("fresh@example.fr"))
        .await;
    assert_eq!(taken.status, fresh.status);
    assert_eq!(
        strip(&taken.body, "known@example.fr"),
        strip(&fresh.body, "fresh@example.fr")
    );
}

#[tokio::test]
async fn password_reset_by_mail_is_single_use_and_ends_sessions() {
    let sink = SmtpSink::start().unwrap();
    let store = store().await;
    account(&store, "reset@example.fr", &[]).await;
    let app = app_with(&store, sink.mailer());
    let mut other_device = Browser::new(app.clone());
    other_device
        .post(
            "/connexion",
            &[("email", "reset@example.fr"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(other_device.get("/compte").await.status, StatusCode::OK);

    let mut browser = Browser::new(app);
    browser
        .post("/mot-de-passe-oublie", &[("email", "reset@example.fr")])
        .await;
    let mails = sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
    let link = path_of(&mails[0].parsed().first_link().unwrap());
    let jeton = link.split("jeton=").nth(1).unwrap().to_owned();
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers.get(header::REFERRER_POLICY).unwrap(),
        "no-referrer"
    );

    let new_password = "un tout autre mot de passe";
    let short = browser
        .post(
            "/mot-de-passe/nouveau",
            &[
                ("jeton", &jeton),
                ("password", "court"),
                ("password_confirmation", "court"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("mot de passe"), "{}", short.body);
    let done = browser
        .post(
            "/mot-de-passe/nouveau",
            &[
                ("jeton", &jeton),
                ("password", new_password),
                ("password_confirmation", new_password),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let reused = browser
        .post(
            "/mot-de-passe/nouveau",
            &[
                ("jeton", &jeton),
                ("password", new_password),
                ("password_confirmation", new_password),
            ],
        )
        .await;
    assert_eq!(reused.status, StatusCode::GONE);
    // Sessions ended; the password-changed notice was sent.
    assert_eq!(
        other_device.get("/compte").await.status,
        StatusCode::SEE_OTHER
    );
    sink.wait_for(2, Duration::from_secs(10)).await.unwrap();
    let signed_in = browser
        .post(
            "/connexion",
            &[("email", "reset@example.fr"), ("password", new_password)],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn posts_without_a_valid_csrf_token_are_refused() {
    let store = store().await;
    account(&store, "csrf@example.fr", &[]).await;
    let mut browser = Browser::new(app_with(&store, crate::outbox_mailer()));
    let credentials = [("email", "csrf@example.fr"), ("password", PASSWORD)];
    // No cookie, no field.
    let bare = browser.post_raw("/connexion", &credentials).await;
    assert_eq!(bare.status, StatusCode::FORBIDDEN);
    // A cookie but a wrong field.
    browser.get("/connexion").await;
    let mut wrong = vec![("_csrf", "0000000000000000000000000000000000000000000")];
    wrong.extend_from_slice(&credentials);
    assert_eq!(
        browser.post_raw("/connexion", &wrong).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(browser.cookie("essor_session").is_none());
    // Signed in, signing out without the token does not sign out.
    assert_eq!(
        browser.post("/connexion", &credentials).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        browser.post_raw("/deconnexion", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(browser.get("/compte").await.status, StatusCode::OK);
    // A request the browser marks as cross-site is refused even with the token.
    let token = browser.cookie("essor_csrf").unwrap().to_owned();
    let request = Request::post("/deconnexion")
        .header(
            header::COOKIE,
            format!(
                "essor_csrf={token}; essor_session={}",
                browser.cookie("essor_session").unwrap()
            ),
        )
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(format!("_csrf={token}")))
        .unwrap();
    let response = browser.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn script_typed_in_forms_comes_back_escaped() {
    let store = store().await;
    let mut browser = Browser::new(app_with(&store, crate::outbox_mailer()));
    let payload = "<script>alert('xss')</script>\"><img src=x onerror=alert(1)>";
    let reply = browser
        .post(
            "/inscription",
            &[
                ("name", payload),
                ("email", payload),
                ("password", "x"),
                ("password_confirmation", "y"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!reply.body.contains("<script>alert"), "{}", reply.body);
    assert!(!reply.body.contains("<img src=x"), "{}", reply.body);
    assert!(
        reply.body.contains("&lt;script&gt;") || reply.body.contains("&#60;script&#62;"),
        "{}",
        reply.body
    );

    // A name stored with a script is shown inert on the account page.
    let id = account(&store, "xss@example.fr", &[]).await;
    store.set_display_name(id, payload).await.unwrap();
    browser
        .post(
            "/connexion",
            &[("email", "xss@example.fr"), ("password", PASSWORD)],
        )
        .await;
    let home = browser.get("/compte").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.body.contains("<script>alert"), "{}", home.body);
    assert!(!home.body.contains("<img src=x"));
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let store = store().await;
    let state = AppState::new(
        Arc::clone(&store),
        Referential::embedded(),
        account_config(crate::outbox_mailer()),
    )
    .with_limiter(essor_web::ratelimit::Limiter::per_minute(3));
    let mut browser = Browser::new(router(state));
    let credentials = [
        ("email", "x@example.fr"),
        ("password", "mauvais mot de passe"),
    ];
    for _ in 0..3 {
        let reply = browser.post("/connexion", &credentials).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let limited = browser.post("/connexion", &credentials).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("Trop de tentatives"));
    assert_eq!(limited.headers.get(header::RETRY_AFTER).unwrap(), "60");
    // Pages stay reachable.
    assert_eq!(browser.get("/connexion").await.status, StatusCode::OK);
}

fn code_now(secret: &str, email: &str) -> String {
    let totp = Totp::new(&TotpSecret::from_base32(secret).unwrap(), email).unwrap();
    totp.code_at(u64::try_from(Utc::now().timestamp()).unwrap())
}

fn hidden_value(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).unwrap() + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn staff_set_up_and_use_the_second_factor() {
    let store = store().await;
    let id = account(&store, "cdm@example.fr", &[Role::ChargeDeMission]).await;
    let mut browser = Browser::new(app_with(&store, crate::outbox_mailer()));
    let signed_in = browser
        .post(
            "/connexion",
            &[
                ("email", "cdm@example.fr"),
                ("password", PASSWORD),
                ("suite", "/administration/journal"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert!(
        signed_in
            .location
            .as_deref()
            .unwrap()
            .starts_with("/connexion/code")
    );
    // Before the second factor, the role does not count.
    let journal = browser.get("/administration/journal").await;
    assert_eq!(journal.location.as_deref(), Some("/connexion/code"));
    // No factor yet: the code page sends to the set-up page.
    let code_page = browser.get("/connexion/code").await;
    assert!(
        code_page
            .location
            .unwrap()
            .starts_with("/compte/double-authentification")
    );
    let setup = browser.get("/compte/double-authentification").await;
    assert_eq!(setup.status, StatusCode::OK);
    assert!(setup.body.contains("data:image/svg+xml;base64,"));
    let secret = hidden_value(&setup.body, "secret");
    let wrong = browser
        .post(
            "/compte/double-authentification",
            &[("secret", &secret), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = code_now(&secret, "cdm@example.fr");
    let enabled = browser
        .post(
            "/compte/double-authentification",
            &[("secret", &secret), ("code", &code)],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.body);
    let recovery: Vec<String> = enabled
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(
        browser.get("/administration/journal").await.status,
        StatusCode::OK
    );

    // A new sign-in asks for the code; the same code cannot be replayed; a recovery code works
    // once.
    let mut second = Browser::new(browser.app.clone());
    second
        .post(
            "/connexion",
            &[("email", "cdm@example.fr"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(second.get("/connexion/code").await.status, StatusCode::OK);
    let replay = second.post("/connexion/code", &[("code", &code)]).await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY);
    let with_recovery = second
        .post("/connexion/code", &[("code", &recovery[0])])
        .await;
    assert_eq!(with_recovery.status, StatusCode::SEE_OTHER);
    assert_eq!(
        second.get("/administration/journal").await.status,
        StatusCode::OK
    );
    assert_eq!(store.remaining_recovery_codes(id).await.unwrap(), 9);
    let mut third = Browser::new(browser.app.clone());
    third
        .post(
            "/connexion",
            &[("email", "cdm@example.fr"), ("password", PASSWORD)],
        )
        .await;
    let reused = third
        .post("/connexion/code", &[("code", &recovery[0])])
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The trail shows the sign-ins, by account number only.
    let journal = browser.get("/administration/journal?action=auth").await;
    assert!(
        journal.body.contains(&format!("compte n° {id}")),
        "{}",
        journal.body
    );
    assert!(!journal.body.contains("cdm@example.fr"));
}

#[tokio::test]
async fn a_person_downloads_their_data_and_deletes_their_account() {
    let store = store().await;
    let id = account(&store, "rgpd@example.fr", &[]).await;
    store
        .add_membership(id, &essor_domain::Siren::parse("732829320").unwrap(), true)
        .await
        .unwrap();
    let mut browser = Browser::new(app_with(&store, crate::outbox_mailer()));
    browser
        .post(
            "/connexion",
            &[("email", "rgpd@example.fr"), ("password", PASSWORD)],
        )
        .await;
    let export = browser.get("/compte/donnees.json").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export
            .headers
            .get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let json: serde_json::Value = serde_json::from_str(&export.body).unwrap();
    assert_eq!(json["compte"]["adresse_electronique"], "rgpd@example.fr");
    assert_eq!(json["structures"][0]["siren"], "732829320");
    assert!(!json["sessions"].as_array().unwrap().is_empty());
    assert!(
        json["journal_d_audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "auth.login"),
        "{json}"
    );
    assert!(!export.body.contains("argon2"), "no hash in the export");

    let refused = browser
        .post("/compte/suppression", &[("password", "pas le bon")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = browser
        .post("/compte/suppression", &[("password", PASSWORD)])
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert!(
        store
            .account_by_email("rgpd@example.fr")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.memberships(id).await.unwrap().is_empty());
    let again = browser
        .post(
            "/connexion",
            &[("email", "rgpd@example.fr"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn sign_in_through_a_real_openid_provider() {
    let redirect = "http://essor.test/connexion/sso/retour".to_owned();
    let options = essor_auth::testing::TestProviderOptions {
        redirect_uris: vec![redirect],
        ..essor_auth::testing::TestProviderOptions::default()
    };
    let Some(provider) = essor_auth::testing::OidcTestProvider::start_with(options) else {
        return; // node absent and not required: the harness said so
    };
    let store = store().await;
    let mut config = account_config(crate::outbox_mailer());
    let client = essor_auth::OidcClient::discover(provider.settings())
        .await
        .unwrap();
    config.oidc = Some(Arc::new(client));
    let app = router(AppState::new(
        Arc::clone(&store),
        Referential::embedded(),
        config,
    ));
    let mut browser = Browser::new(app);

    let page = browser.get("/connexion").await;
    assert!(page.body.contains("/connexion/sso"), "{}", page.body);
    let start = browser.get("/connexion/sso?suite=%2Fcompte").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    assert!(browser.cookie("essor_sso").is_some());
    let authorize = essor_mail::Url::parse(start.location.as_deref().unwrap()).unwrap();
    let landing = provider.sign_in(&authorize).await.unwrap();
    assert_eq!(landing.path(), "/connexion/sso/retour");

    // A wrong state is refused.
    let mut forged = Browser::new(browser.app.clone());
    forged.set_cookie("essor_sso", browser.cookie("essor_sso").unwrap());
    let tampered = landing.as_str().replace("state=", "state=x");
    let refused = forged.get(&path_of(&tampered)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let round_trip = browser.cookie("essor_sso").unwrap().to_owned();
    let back = browser.get(&path_of(landing.as_str())).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(back.location.as_deref(), Some("/compte"));
    let home = browser.get("/compte").await;
    assert_eq!(home.status, StatusCode::OK);
    let email = provider.account().email.to_lowercase();
    assert!(home.body.contains(&email), "{}", home.body);
    let account = store.account_by_email(&email).await.unwrap().unwrap();
    assert!(account.is_verified());
    assert_eq!(store.oidc_identities(account.id).await.unwrap().len(), 1);
    // The same code cannot be used twice.
    let mut replay = Browser::new(browser.app.clone());
    replay.set_cookie("essor_sso", &round_trip);
    assert_eq!(
        replay.get(&path_of(landing.as_str())).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn security_headers_are_set_on_every_page() {
    let store = store().await;
    let mut browser = Browser::new(app_with(&store, crate::outbox_mailer()));
    for path in ["/", "/connexion", "/inscription", "/donnees-personnelles"] {
        let page = browser.get(path).await;
        let csp = page
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            page.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        assert!(page.headers.get(header::REFERRER_POLICY).is_some());
    }
}
