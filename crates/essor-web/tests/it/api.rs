//! The dossiers' JSON API with personal tokens: a whole life cycle through the API only, every
//! step the state machine forbids refused with 409, tokens of another structure, revoked or
//! expired refused, and the signed webhooks received by a real HTTP server.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Datelike, Utc};
use essor_domain::Money;
use essor_domain::access::{Role, SecondFactor};
use essor_store::api::NewApiToken;
use essor_web::webhooks::{WebhookSettings, sign, spawn_dispatcher};
use essor_web::{AppState, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::accounts::Browser;
use crate::dossiers::{SIREN, SIRET, ressourcerie_state};
use crate::profiles::signed_in;

/// Every staff step and the applicant's submission, each with the fields it needs, so that
/// only the state machine (not a missing field) can refuse it.
const STEPS: [&str; 9] = [
    "instruire",
    "correction",
    "avis",
    "reprendre",
    "comite",
    "accepter",
    "refuser",
    "classer",
    "rouvrir",
];

/// The directory with one establishment to apply for and an envelope of 350 000 € this year.
async fn state(webhooks: WebhookSettings) -> AppState {
    ressourcerie_state(true)
        .await
        .with_limiter(essor_web::ratelimit::Limiter::per_minute(1_000))
        .with_webhooks(webhooks)
}

/// A token created on the account's page; the page shows it once.
async fn create_token(browser: &mut Browser, name: &str) -> String {
    let page = browser
        .post("/compte/jetons", &[("nom", name), ("duree", "30")])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let start = page.body.find("id=\"jeton-cree\" value=\"").unwrap() + 23;
    let token = page.body[start..].split('"').next().unwrap().to_owned();
    assert_eq!(token.len(), 43);
    // Shown once: the list afterwards holds its name, not the token.
    let list = browser.get("/compte/jetons").await;
    assert!(list.body.contains(name));
    assert!(!list.body.contains(&token));
    token
}

struct Answer {
    status: StatusCode,
    json: Value,
}

/// A request to the API with a token (and extra headers), JSON in and out.
async fn call(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Answer { status, json }
}

async fn get(app: &Router, path: &str, token: &str) -> Answer {
    call(app, "GET", path, Some(token), None, &[]).await
}

async fn post(app: &Router, path: &str, token: &str, body: Value) -> Answer {
    call(app, "POST", path, Some(token), Some(body), &[]).await
}

fn complete() -> Value {
    json!({
        "titre": "Atelier de réparation",
        "resume": "Un atelier de réparation de vélos et d’objets.",
        "description": "Ouvert trois jours par semaine, avec des bénévoles.",
        "communes": ["38185"],
        "quartiers": ["qpv"],
        "axe": "axe-1",
        "emplois_crees": 2,
        "emplois_consolides": "1",
        "montant_demande": "12 000",
        "depenses": [{"libelle": "Salaires", "montant": "30 000,50"}],
        "ressources": [
            {"libelle": "Métropole", "montant": 1_200_000},
            {"libelle": "Région", "montant": "18 000,50"}
        ],
        "cofinanceurs": ["Région Auvergne-Rhône-Alpes"],
    })
}

/// The fields each step needs.
fn step_body(action: &str) -> Value {
    json!({
        "action": action,
        "montant": "1 000",
        "motif": "incomplet",
        "texte": "Motif écrit.",
    })
}

/// Every step the dossier's state does not allow is refused with 409 and the state machine's
/// message, and the dossier stays where it is; the applicant's submission too, unless allowed.
async fn forbidden_steps_are_refused(app: &Router, staff: &str, member: &str, id: i64) {
    let before = get(app, &format!("/api/v1/dossiers/{id}"), staff)
        .await
        .json;
    let allowed: Vec<String> = before["etapes_possibles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let state = before["etat"].as_str().unwrap().to_owned();
    for action in STEPS.iter().filter(|a| !allowed.iter().any(|x| x == *a)) {
        let refused = post(
            app,
            &format!("/api/v1/dossiers/{id}/etapes"),
            staff,
            step_body(action),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "{action} from {state}: {}",
            refused.json
        );
        let message = refused.json["message"].as_str().unwrap();
        assert!(message.starts_with("Un dossier "), "{action}: {message}");
        assert_eq!(refused.json["erreurs"][0]["champ"], "action");
    }
    if state != "brouillon" && state != "correction_demandee" {
        let refused = post(
            app,
            &format!("/api/v1/dossiers/{id}/depot"),
            member,
            json!({}),
        )
        .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{state}");
        assert!(
            refused.json["message"]
                .as_str()
                .unwrap()
                .contains("ne peut pas être")
        );
    }
    let after = get(app, &format!("/api/v1/dossiers/{id}"), staff)
        .await
        .json;
    assert_eq!(after["etat"], before["etat"]);
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the draft to the decision, by the API only
async fn a_dossier_goes_through_its_whole_life_by_the_api() {
    let state = state(WebhookSettings::default()).await;
    let store = Arc::clone(&state.store);
    let app = router(state);
    let (mut member_browser, member_id) =
        signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff_browser, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let member = create_token(&mut member_browser, "Logiciel de l’association").await;
    let staff = create_token(&mut staff_browser, "Tableur de suivi").await;

    // The applicant's token starts a draft; an unknown establishment is named.
    let refused = post(
        &app,
        "/api/v1/dossiers",
        &member,
        json!({"siret": "73282932000075"}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json["erreurs"][0]["champ"], "siret");
    let created = post(
        &app,
        "/api/v1/dossiers",
        &member,
        json!({"siret": SIRET, "titre": "Atelier"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert_eq!(created.json["etat"], "brouillon");
    assert!(created.json.get("controles").is_none(), "staff's only");
    let id = created.json["id"].as_i64().unwrap();
    let url = format!("/api/v1/dossiers/{id}");
    forbidden_steps_are_refused(&app, &staff, &member, id).await;

    // Submitting an incomplete draft: 409, with what it lacks.
    let incomplete = post(&app, &format!("{url}/depot"), &member, json!({})).await;
    assert_eq!(incomplete.status, StatusCode::CONFLICT);
    assert!(
        incomplete.json["message"]
            .as_str()
            .unwrap()
            .contains("Résumé : à remplir.")
    );
    // The form's own checks, fields named as in the JSON.
    let mut bad = complete();
    bad["depenses"] = json!([{"libelle": "Salaires", "montant": "30 000,50"}, {"libelle": "Matériel", "montant": "douze"}]);
    bad["budget"] = json!(1);
    let refused = post(&app, &format!("{url}/demande"), &member, bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = refused.json["erreurs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["champ"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"budget"), "{fields:?}");
    assert!(fields.contains(&"depenses[1].montant"), "{fields:?}");
    let saved = post(&app, &format!("{url}/demande"), &member, complete()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.json);
    assert_eq!(saved.json["manquant"], json!([]));
    assert_eq!(
        saved.json["demande"]["ressources"][0]["montant"],
        json!({"centimes": 1_200_000, "texte": "12 000,00 €"})
    );
    let submitted = post(&app, &format!("{url}/depot"), &member, json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.json);
    assert_eq!(submitted.json["etat"], "depose");
    let late = post(&app, &format!("{url}/demande"), &member, complete()).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    forbidden_steps_are_refused(&app, &staff, &member, id).await;

    // The applicant cannot take staff's steps; staff see the dossier among the submitted ones.
    let steps = format!("{url}/etapes");
    assert_eq!(
        post(&app, &steps, &member, step_body("instruire"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let waiting = get(&app, "/api/v1/dossiers?etat=depose", &staff).await;
    assert_eq!(waiting.json["dossiers"][0]["id"], id);
    assert_eq!(
        get(&app, "/api/v1/dossiers?etat=nimporte", &staff)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let instructed = post(&app, &steps, &staff, json!({"action": "instruire"})).await;
    assert_eq!(instructed.status, StatusCode::OK, "{}", instructed.json);
    assert_eq!(instructed.json["etat"], "en_instruction");
    forbidden_steps_are_refused(&app, &staff, &member, id).await;

    // A correction asked for; the applicant corrects and sends it back.
    let correction = post(
        &app,
        &steps,
        &staff,
        json!({"action": "correction", "motif": "incomplet", "texte": "Joignez le budget."}),
    )
    .await;
    assert_eq!(correction.json["etat"], "correction_demandee");
    forbidden_steps_are_refused(&app, &staff, &member, id).await;
    post(&app, &format!("{url}/demande"), &member, complete()).await;
    let resent = post(&app, &format!("{url}/depot"), &member, json!({})).await;
    assert_eq!(resent.json["etat"], "en_instruction");

    // Messages: a private note stays with staff; the applicant cannot write one.
    let note = post(
        &app,
        &format!("{url}/messages"),
        &staff,
        json!({"texte": "Porteur solide.", "interne": true}),
    )
    .await;
    assert_eq!(note.status, StatusCode::CREATED);
    post(
        &app,
        &format!("{url}/messages"),
        &member,
        json!({"texte": "Merci !"}),
    )
    .await;
    let thread = get(&app, &format!("{url}/messages"), &member)
        .await
        .json
        .to_string();
    assert!(thread.contains("Merci !"));
    assert!(thread.contains("Joignez le budget."));
    assert!(!thread.contains("Porteur solide."));
    assert!(
        get(&app, &format!("{url}/messages"), &staff)
            .await
            .json
            .to_string()
            .contains("Porteur solide.")
    );
    assert_eq!(
        post(
            &app,
            &format!("{url}/messages"),
            &member,
            json!({"texte": "x", "interne": true})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // The committee needs the instruction checks, recorded through the API too.
    let unchecked = post(&app, &steps, &staff, json!({"action": "comite"})).await;
    assert_eq!(unchecked.status, StatusCode::CONFLICT);
    assert!(
        unchecked.json["message"]
            .as_str()
            .unwrap()
            .contains("Contrôles d’instruction obligatoires non renseignés")
    );
    let wrong = post(
        &app,
        &format!("{url}/controles"),
        &staff,
        json!({"controles": ["eligibilite", "humeur"]}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.json["message"]
            .as_str()
            .unwrap()
            .contains("« humeur »")
    );
    assert_eq!(
        post(
            &app,
            &format!("{url}/controles"),
            &member,
            json!({"controles": []})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let checks = post(
        &app,
        &format!("{url}/controles"),
        &staff,
        json!({"controles": ["eligibilite", "plan", "budget", "cofinancements"]}),
    )
    .await;
    assert_eq!(checks.status, StatusCode::OK);
    let agenda = post(&app, &steps, &staff, json!({"action": "comite"})).await;
    assert_eq!(agenda.json["etat"], "inscrit_en_comite", "{}", agenda.json);
    forbidden_steps_are_refused(&app, &staff, &member, id).await;

    // The decision: not above the amount asked, within the envelope; amounts in cents too.
    let above = post(
        &app,
        &steps,
        &staff,
        json!({"action": "accepter", "montant": "12 000,01"}),
    )
    .await;
    assert_eq!(above.status, StatusCode::CONFLICT);
    assert!(
        above.json["message"]
            .as_str()
            .unwrap()
            .contains("dépasse le montant demandé")
    );
    let float = post(
        &app,
        &steps,
        &staff,
        json!({"action": "accepter", "montant": 10000.5}),
    )
    .await;
    assert_eq!(float.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(float.json["erreurs"][0]["champ"], "montant");
    let accepted = post(
        &app,
        &steps,
        &staff,
        json!({"action": "accepter", "montant": 1_000_000}),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.json);
    assert_eq!(accepted.json["etat"], "accepte");
    assert_eq!(
        accepted.json["montant_accorde"],
        json!({"centimes": 1_000_000, "texte": "10 000,00 €"})
    );
    assert_eq!(
        store.committed(Utc::now().year()).await.unwrap(),
        Money::from_euros(10_000)
    );
    forbidden_steps_are_refused(&app, &staff, &member, id).await;
    // The applicant reads the decision.
    let read = get(&app, &url, &member).await;
    assert_eq!(read.json["etat"], "accepte");
    // Reopened, then closed with a motivation: the last steps.
    assert_eq!(
        post(&app, &steps, &staff, json!({"action": "rouvrir"}))
            .await
            .json["etat"],
        "en_instruction"
    );
    let unmotivated = post(&app, &steps, &staff, json!({"action": "classer"})).await;
    assert_eq!(unmotivated.status, StatusCode::CONFLICT);
    assert!(
        unmotivated.json["message"]
            .as_str()
            .unwrap()
            .contains("motivé")
    );
    let closed = post(
        &app,
        &steps,
        &staff,
        json!({"action": "classer", "texte": "Le porteur a renoncé."}),
    )
    .await;
    assert_eq!(closed.json["etat"], "classe_sans_suite");
    forbidden_steps_are_refused(&app, &staff, &member, id).await;

    // The API is described in the OpenAPI document, with its bearer scheme.
    let openapi = call(&app, "GET", "/api/openapi.json", None, None, &[])
        .await
        .json;
    assert!(openapi["paths"]["/api/v1/dossiers/{id}/etapes"]["post"].is_object());
    assert_eq!(
        openapi["components"]["securitySchemes"]["jeton"]["scheme"],
        "bearer"
    );
    assert!(openapi["components"]["schemas"]["Acteur"].is_object());

    // The audit trail has the tokens' creation and the decision, never a token.
    let audited = |prefix: &str| {
        let store = Arc::clone(&store);
        let filter = essor_store::audit::AuditFilter {
            action_prefix: Some(prefix.to_owned()),
            ..essor_store::audit::AuditFilter::default()
        };
        async move {
            store
                .list(
                    &filter,
                    essor_store::audit::Page {
                        before_seq: None,
                        limit: 100,
                    },
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(audited("api_token.created").await.len(), 2);
    let decided = audited("dossier.decided").await;
    assert_eq!(decided.len(), 1);
    let trail = format!("{:?}", audited("").await);
    assert!(!trail.contains(&member) && !trail.contains(&staff));
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // every way a token is refused
async fn tokens_reach_only_their_structure_and_stop_when_revoked_or_expired() {
    let state = state(WebhookSettings::default()).await;
    let store = Arc::clone(&state.store);
    let app = router(state);
    let (mut member_browser, member_id) =
        signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut other_browser, other_id) = signed_in(&app, &store, "tresorier@autre.org", &[]).await;
    let elsewhere = essor_domain::Siren::parse("552100554").unwrap();
    store
        .add_membership(other_id, &elsewhere, true)
        .await
        .unwrap();
    let (staff_browser, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let member = create_token(&mut member_browser, "Association").await;
    let other = create_token(&mut other_browser, "Autre structure").await;
    let id = post(&app, "/api/v1/dossiers", &member, json!({"siret": SIRET}))
        .await
        .json["id"]
        .as_i64()
        .unwrap();

    // Another structure's token: refused on the dossier, whatever the number; not listed.
    for path in [
        format!("/api/v1/dossiers/{id}"),
        format!("/api/v1/dossiers/{id}/messages"),
        "/api/v1/dossiers/9999".to_owned(),
    ] {
        let refused = get(&app, &path, &other).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused.json["message"].is_string());
    }
    for (path, body) in [
        (format!("/api/v1/dossiers/{id}/demande"), complete()),
        (format!("/api/v1/dossiers/{id}/depot"), json!({})),
        (
            format!("/api/v1/dossiers/{id}/messages"),
            json!({"texte": "bonjour"}),
        ),
    ] {
        assert_eq!(
            post(&app, &path, &other, body).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let garbled = get(&app, "/api/v1/dossiers/abc", &member).await;
    assert_eq!(garbled.status, StatusCode::NOT_FOUND);
    assert_eq!(garbled.json["erreurs"][0]["champ"], "id");
    let listed = get(&app, "/api/v1/dossiers", &other).await;
    assert_eq!(listed.json["dossiers"], json!([]));
    assert_eq!(
        get(&app, "/api/v1/dossiers", &member).await.json["dossiers"][0]["id"],
        id
    );
    let hijack = post(&app, "/api/v1/dossiers", &other, json!({"siret": SIRET})).await;
    assert_eq!(hijack.status, StatusCode::UNPROCESSABLE_ENTITY);

    // No token, a wrong one: 401 in JSON. A token is for the API only.
    let anonymous = call(&app, "GET", "/api/v1/dossiers", None, None, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.json["message"]
            .as_str()
            .unwrap()
            .contains("jeton")
    );
    assert_eq!(
        get(&app, "/api/v1/dossiers", "pas-un-jeton").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, "/compte", &member).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A bearer request's identity is its token's: a staff session cookie sent along is ignored,
    // and does not rescue a wrong token.
    let staff_cookie = format!(
        "essor_session={}",
        staff_browser.cookie("essor_session").unwrap()
    );
    let mixed = call(
        &app,
        "POST",
        &format!("/api/v1/dossiers/{id}/etapes"),
        Some(&member),
        Some(json!({"action": "classer", "texte": "x"})),
        &[("cookie", &staff_cookie)],
    )
    .await;
    assert_eq!(mixed.status, StatusCode::FORBIDDEN);
    let wrong = call(
        &app,
        "GET",
        &format!("/api/v1/dossiers/{id}"),
        Some("pas-un-jeton"),
        None,
        &[("cookie", &staff_cookie)],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // A session on the API still needs the CSRF token to change anything.
    let session_post = call(
        &app,
        "POST",
        &format!("/api/v1/dossiers/{id}/etapes"),
        None,
        Some(json!({"action": "classer", "texte": "x"})),
        &[("cookie", &staff_cookie)],
    )
    .await;
    assert_eq!(session_post.status, StatusCode::FORBIDDEN);

    // Revoked: 401. Only its owner revokes it.
    let tokens = store.api_tokens(member_id).await.unwrap();
    let token_id = tokens[0].id;
    assert_eq!(
        other_browser
            .post(&format!("/compte/jetons/{token_id}/revoquer"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/dossiers", &member).await.status,
        StatusCode::OK
    );
    let revoked = member_browser
        .post(&format!("/compte/jetons/{token_id}/revoquer"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(
        member_browser
            .get("/compte/jetons")
            .await
            .body
            .contains("révoqué le")
    );
    assert_eq!(
        get(&app, "/api/v1/dossiers", &member).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Expired: 401.
    let (expired, hash) = essor_auth::Token::generate();
    store
        .create_api_token(&NewApiToken {
            token_hash: &hash.to_hex(),
            account_id: member_id,
            name: "Ancien",
            second_factor: SecondFactor::NotRequired,
            created_at: Utc::now() - chrono::Duration::days(40),
            expires_at: Utc::now() - chrono::Duration::days(10),
        })
        .await
        .unwrap();
    assert_eq!(
        get(&app, "/api/v1/dossiers", expired.as_str()).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A role needing the second factor, granted after a token was made by a session that did
    // not give it: the token does not carry the role.
    let (unfactored, hash) = essor_auth::Token::generate();
    store
        .create_api_token(&NewApiToken {
            token_hash: &hash.to_hex(),
            account_id: other_id,
            name: "Avant le rôle",
            second_factor: SecondFactor::NotRequired,
            created_at: Utc::now(),
            expires_at: Utc::now() + chrono::Duration::days(10),
        })
        .await
        .unwrap();
    store
        .set_roles(other_id, &[Role::ChargeDeMission])
        .await
        .unwrap();
    assert_eq!(
        get(&app, "/api/v1/dossiers", &other).await.status,
        StatusCode::OK
    );
    let held = get(&app, "/api/v1/dossiers", unfactored.as_str()).await;
    assert_eq!(held.status, StatusCode::FORBIDDEN);
    assert!(
        held.json["message"]
            .as_str()
            .unwrap()
            .contains("double authentification")
    );
    // Staff waiting for their second factor cannot make a token.
    let pending = crate::accounts::session(&store, other_id, SecondFactor::Pending).await;
    let mut waiting = Browser::new(app.clone());
    waiting.set_cookie("essor_session", &pending);
    let refused = waiting
        .post(
            "/compte/jetons",
            &[("nom", "Sans second facteur"), ("duree", "30")],
        )
        .await;
    assert_eq!(refused.location.as_deref(), Some("/connexion/code"));
    assert_eq!(store.api_tokens(other_id).await.unwrap().len(), 2);
    // Bad names and lifetimes are named on the form.
    let refused = member_browser
        .post("/compte/jetons", &[("nom", ""), ("duree", "7")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Nom du jeton :"));
    assert!(refused.body.contains("Durée de validité :"));
}

/// A webhook receiver on 127.0.0.1: answers 503 to the first request, 204 to the others, and
/// hands each request's signature header and body to the test.
async fn receiver() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
) {
    let (sender, received) = tokio::sync::mpsc::unbounded_channel();
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = Router::new().route(
        "/essor",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let sender = sender.clone();
            let seen = Arc::clone(&seen);
            async move {
                let signature = headers
                    .get("essor-signature")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                sender.send((signature, body)).unwrap();
                if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/essor"), received)
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the registration to the delivery retried
async fn transitions_are_posted_signed_to_the_endpoints_and_retried() {
    // Private targets refused by default.
    let closed_state = state(WebhookSettings::default()).await;
    let closed_store = Arc::clone(&closed_state.store);
    let closed = router(closed_state);
    let (mut admin_closed, _) = signed_in(
        &closed,
        &closed_store,
        "admin@metropole.fr",
        &[Role::Administrator],
    )
    .await;
    let refused = admin_closed
        .post(
            "/administration/webhooks",
            &[("url", "http://127.0.0.1:9/essor")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("réseau privé ou local"),
        "{}",
        refused.body
    );

    let state = state(WebhookSettings {
        allow_private_targets: true,
        retry_base: Duration::from_millis(50),
        poll: Duration::from_millis(50),
        settle: Duration::ZERO,
        ..WebhookSettings::default()
    })
    .await;
    let store = Arc::clone(&state.store);
    let dispatcher = spawn_dispatcher(state.clone());
    let app = router(state);
    let (url, mut received) = receiver().await;
    let (mut admin, _) =
        signed_in(&app, &store, "admin@metropole.fr", &[Role::Administrator]).await;
    let (mut staff_browser, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    // Only administrators register endpoints.
    assert_eq!(
        staff_browser.get("/administration/webhooks").await.status,
        StatusCode::FORBIDDEN
    );
    for bad in ["ftp://exemple.fr/x", "https://moi:secret@exemple.fr/x"] {
        let reply = admin
            .post("/administration/webhooks", &[("url", bad)])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let registered = admin
        .post("/administration/webhooks", &[("url", &url)])
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.body);
    let start = registered.body.find("id=\"secret-cree\" value=\"").unwrap() + 24;
    let secret = registered.body[start..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    assert!(
        !admin
            .get("/administration/webhooks")
            .await
            .body
            .contains(&secret),
        "shown once"
    );

    // A dossier submitted through the API: its transition reaches the receiver, signed.
    let (mut member_browser, member_id) =
        signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let member = create_token(&mut member_browser, "Association").await;
    let id = post(&app, "/api/v1/dossiers", &member, json!({"siret": SIRET}))
        .await
        .json["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/api/v1/dossiers/{id}/demande"),
        &member,
        complete(),
    )
    .await;
    let submitted = post(
        &app,
        &format!("/api/v1/dossiers/{id}/depot"),
        &member,
        json!({}),
    )
    .await;
    assert_eq!(submitted.status, StatusCode::OK);

    let wait = Duration::from_secs(20);
    let (first_signature, first_body) = tokio::time::timeout(wait, received.recv())
        .await
        .expect("the first attempt arrives")
        .unwrap();
    // The first attempt got 503: the same body comes again, signed again.
    let (signature, body) = tokio::time::timeout(wait, received.recv())
        .await
        .expect("the attempt after the backoff arrives")
        .unwrap();
    assert_eq!(body, first_body);
    for (signature, body) in [(&first_signature, &first_body), (&signature, &body)] {
        let (t, v1) = signature
            .strip_prefix("t=")
            .and_then(|rest| rest.split_once(",v1="))
            .expect("t=…,v1=…");
        let t: i64 = t.parse().unwrap();
        assert!((Utc::now().timestamp() - t).abs() < 60);
        assert_eq!(v1, sign(&secret, t, body));
        assert_ne!(v1, sign("whsec_autre", t, body));
    }
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "dossier.transition");
    assert_eq!(event["dossier"], id);
    assert_eq!(event["siren"], SIREN);
    assert_eq!(event["de"], "brouillon");
    assert_eq!(event["vers"], "depose");
    // No personal data: no name, no title, no message.
    assert!(!body.contains("Atelier") && !body.contains("presidente"));

    // The delivery is recorded as delivered after two attempts, and shown on the page.
    let endpoint = store.webhooks().await.unwrap()[0].id;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let deliveries = store.webhook_deliveries(endpoint, 10).await.unwrap();
        if deliveries
            .first()
            .is_some_and(|d| d.status == essor_store::api::DeliveryStatus::Delivered)
        {
            assert_eq!(deliveries[0].attempts, 2);
            assert_eq!(deliveries[0].last_status_code, Some(204));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{deliveries:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let page = admin.get("/administration/webhooks").await.body;
    assert!(page.contains("livré"), "{page}");

    // Turned off, the endpoint receives nothing more.
    let endpoint_off = admin
        .post(
            &format!("/administration/webhooks/{endpoint}/etat"),
            &[("actif", "0")],
        )
        .await;
    assert_eq!(endpoint_off.status, StatusCode::SEE_OTHER);
    assert!(!store.webhook(endpoint).await.unwrap().unwrap().active);
    let staff_token = create_token(&mut staff_browser, "Suivi").await;
    post(
        &app,
        &format!("/api/v1/dossiers/{id}/etapes"),
        &staff_token,
        json!({"action": "instruire"}),
    )
    .await;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), received.recv())
            .await
            .is_err(),
        "nothing sent to an endpoint turned off"
    );
    dispatcher.abort();
}
