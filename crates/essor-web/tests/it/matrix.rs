//! The authorisation matrix: every route of the router, for anonymous visitors and for each
//! role, gets exactly what the domain's policy decides.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use essor_domain::access::{Decision, Permission, Principal, Role, SecondFactor};
use essor_domain::referential::Referential;
use essor_store::Store;
use essor_web::{AppState, Need, RouteSpec, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::accounts::{account, app_with, session, store};

/// A person for the matrix: the principal the policy sees, and a session token (a fresh one
/// per request, since some routes end sessions).
struct Person {
    label: String,
    token: Option<String>,
    principal: Principal,
}

impl Person {
    async fn fresh_session(&self, store: &Arc<dyn Store>) -> Option<String> {
        Some(session(store, self.principal.account?, SecondFactor::Done).await)
    }
}

async fn person(store: &Arc<dyn Store>, label: &str, roles: &[Role]) -> Person {
    let email = format!("{label}@example.fr");
    let id = account(store, &email, roles).await;
    let token = session(store, id, SecondFactor::Done).await;
    Person {
        label: label.to_owned(),
        token: Some(token),
        principal: Principal {
            account: Some(id),
            roles: roles.to_vec(),
            structures: Vec::new(),
            second_factor: Some(SecondFactor::Done),
        },
    }
}

/// A concrete path for a route's pattern.
fn concrete(path: &str) -> String {
    path.replace("{name}", "essor.css")
        .replace("{id}", "1")
        .replace("{siren}", "732829320")
        .replace("{siret}", "73282932000074")
        .replace("{dossier}", "1")
        .replace("{session}", "1")
        .replace("{item}", "1")
        .replace("{document}", "1")
}

fn permission(spec: &RouteSpec) -> Permission {
    match spec.need {
        Need::Permission(p) => p.permission(),
        Need::ActForPathSiren => {
            Permission::ActFor(essor_domain::Siren::parse("732829320").unwrap())
        }
    }
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_policy_decides() {
    let store = store().await;
    let mut people = vec![Person {
        label: "anonyme".into(),
        token: None,
        principal: Principal::anonymous(),
    }];
    people.push(person(&store, "acteur", &[]).await);
    for role in Role::ALL {
        people.push(person(&store, role.code(), &[role]).await);
    }
    let app = router(
        AppState::new(
            Arc::clone(&store),
            Referential::embedded(),
            crate::account_config(crate::outbox_mailer()),
        )
        .with_limiter(essor_web::ratelimit::Limiter::per_minute(100_000)),
    );
    let csrf = "c".repeat(43);
    let routes = essor_web::access::routes();
    assert!(routes.len() >= 30, "the table lists every route");
    let mut checked = 0;
    for spec in &routes {
        for who in &people {
            let decision = who.principal.decide(&permission(spec));
            let path = concrete(spec.path);
            let method = Method::from_bytes(spec.method.as_bytes()).unwrap();
            let mut cookies = format!("essor_csrf={csrf}");
            if let Some(token) = who.fresh_session(&store).await {
                cookies = format!("{cookies}; essor_session={token}");
            }
            let request = Request::builder()
                .method(method.clone())
                .uri(&path)
                .header(header::COOKIE, cookies)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(if method == Method::POST {
                    Body::from(format!("_csrf={csrf}"))
                } else {
                    Body::empty()
                })
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let location = response
                .headers()
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let _ = response.into_body().collect().await;
            let context = format!(
                "{} {} as {}: {status} {location}",
                spec.method, path, who.label
            );
            match decision {
                Decision::Allow => {
                    assert_ne!(status, StatusCode::FORBIDDEN, "{context}");
                    assert_ne!(status, StatusCode::UNAUTHORIZED, "{context}");
                    assert!(!location.starts_with("/connexion?suite="), "{context}");
                }
                // The API answers 401 rather than sending to the sign-in page.
                Decision::SignIn if method == Method::GET && !path.starts_with("/api/") => {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{context}");
                    assert!(location.starts_with("/connexion?suite="), "{context}");
                }
                Decision::SignIn => assert_eq!(status, StatusCode::UNAUTHORIZED, "{context}"),
                Decision::Deny => assert_eq!(status, StatusCode::FORBIDDEN, "{context}"),
                Decision::SecondFactor => assert_eq!(location, "/connexion/code", "{context}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, routes.len() * people.len());
}

#[tokio::test]
async fn the_route_table_is_the_router() {
    // Every path of the table answers something else than the fallback's 404 for its method
    // (for an administrator), and a path outside it answers 404.
    let store = store().await;
    let admin = person(&store, "admin", &[Role::Administrator]).await;
    let app = app_with(&store, crate::outbox_mailer());
    let get = |path: &str| {
        Request::get(path)
            .header(
                header::COOKIE,
                format!("essor_session={}", admin.token.as_deref().unwrap()),
            )
            .body(Body::empty())
            .unwrap()
    };
    // The downloads answer 404 before any import, single sign-on when no provider is set, an
    // actor's pages when the actor is not in the directory (there is no import here), and a
    // dossier's or a committee session's when there is none: they are left out.
    for spec in essor_web::access::routes().iter().filter(|s| {
        s.method == "GET"
            && !s.path.starts_with("/observatoire/panorama.")
            && s.path != "/api/v1/panorama"
            && !s.path.starts_with("/connexion/sso")
            && !s.path.contains("{siret}")
            && !s.path.contains("{dossier}")
            && !s.path.contains("{session}")
    }) {
        let response = app
            .clone()
            .oneshot(get(&concrete(spec.path)))
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::NOT_FOUND, "{}", spec.path);
    }
    let response = app
        .clone()
        .oneshot(get("/administration/inconnue"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
