//! Structures claim and complete their pages; staff decide claims, review and restore.

use std::io::Cursor;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use essor_domain::access::{Role, SecondFactor};
use essor_store::Store;
use essor_web::router;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::accounts::{Browser, account, session};
use crate::dossiers::{SIREN, SIRET, ressourcerie_site};

async fn setup() -> (Router, std::sync::Arc<dyn Store>) {
    let state = ressourcerie_site().await;
    let store = std::sync::Arc::clone(&state.store);
    (router(state), store)
}

/// A browser signed in as a new account (second factor given, as staff need it).
pub(crate) async fn signed_in(
    app: &Router,
    store: &std::sync::Arc<dyn Store>,
    email: &str,
    roles: &[Role],
) -> (Browser, i64) {
    let id = account(store, email, roles).await;
    let token = session(store, id, SecondFactor::Done).await;
    let mut browser = Browser::new(app.clone());
    browser.set_cookie("essor_session", &token);
    (browser, id)
}

async fn api_actor(app: &Router) -> Value {
    let page = crate::get(app, &format!("/api/v1/acteurs/{SIRET}")).await;
    serde_json::from_str(&page.body).unwrap()
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the claim to the restore
async fn a_claim_approved_by_staff_lets_the_member_complete_the_page() {
    let (app, store) = setup().await;
    let (mut member, member_id) = signed_in(&app, &store, "marie@gmail.com", &[]).await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;

    // Not a member yet: the form is refused.
    assert_eq!(
        member
            .get(&format!("/acteurs/{SIRET}/modifier"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A claim without a word is refused, with a French message naming the field.
    let page = member.get(&format!("/acteurs/{SIRET}/revendiquer")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Une chargée de mission vérifiera"));
    let refused = member
        .post(&format!("/acteurs/{SIRET}/revendiquer"), &[("message", "")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Message : dites en quelques mots"));
    let sent = member
        .post(
            &format!("/acteurs/{SIRET}/revendiquer"),
            &[("message", "Je suis la coordinatrice.")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert!(
        member
            .get(&format!("/acteurs/{SIRET}/revendiquer"))
            .await
            .body
            .contains("Votre demande est enregistrée")
    );
    assert!(store.memberships(member_id).await.unwrap().is_empty());

    // Staff see it and accept it.
    let review = staff.get("/administration/annuaire").await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(
        review.body.contains("Je suis la coordinatrice."),
        "{}",
        review.body
    );
    assert!(review.body.contains("marie@gmail.com"));
    let claim = store.claims(None).await.unwrap()[0].id;
    let decided = staff
        .post(
            &format!("/administration/annuaire/revendications/{claim}"),
            &[("decision", "accepter"), ("motif", "")],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    assert_eq!(
        store.memberships(member_id).await.unwrap()[0]
            .siren
            .as_str(),
        SIREN
    );

    // The member (a fresh session reads the new membership) completes the page.
    let token = session(&store, member_id, SecondFactor::NotRequired).await;
    member.set_cookie("essor_session", &token);
    let form = member.get(&format!("/acteurs/{SIRET}/modifier")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let bad = member
        .post(
            &format!("/acteurs/{SIRET}/modifier"),
            &[
                ("description", "Une ressourcerie."),
                ("courriel", "pas-une-adresse"),
                ("site", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Adresse électronique invalide"));
    assert!(bad.body.contains("Adresse du site invalide"));
    assert_eq!(
        api_actor(&app).await["description"],
        Value::Null,
        "nothing half-written"
    );

    let saved = member
        .post(
            &format!("/acteurs/{SIRET}/modifier"),
            &[
                ("description", "Collecte, répare et revend des objets."),
                ("offre_1_titre", "Atelier de réparation de bicyclettes"),
                ("offre_1_description", "Le samedi matin."),
                ("offre_1_type", "reparation"),
                ("offre_1_themes", "mobilites"),
                ("offre_1_communes", "38185"),
                ("offre_1_communes", "38151"),
                ("courriel", "contact@ressourcerie-verte.org"),
                ("site", "https://www.ressourcerie-verte.org"),
                ("labels", "esus"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    // Published at once: on the page, in the API, and searchable by its offer.
    let page = crate::get(&app, &format!("/acteurs/{SIRET}")).await;
    assert!(page.body.contains("Collecte, répare et revend des objets."));
    assert!(page.body.contains("Atelier de réparation de bicyclettes"));
    assert!(page.body.contains("Échirolles"), "communes served");
    let actor = api_actor(&app).await;
    assert_eq!(actor["labels"][0], "esus");
    assert_eq!(actor["offer_kinds"][0], "reparation");
    let found: Value = serde_json::from_str(
        &crate::get(&app, "/api/v1/acteurs?q=bicyclette&label=esus")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["hits"][0]["siret"], SIRET);

    // The member writes again; staff see it to review and restore the first version.
    member
        .post(
            &format!("/acteurs/{SIRET}/modifier"),
            &[("description", "Texte remplacé par erreur.")],
        )
        .await;
    let review = staff.get("/administration/annuaire").await;
    assert!(review.body.contains("La Ressourcerie Verte"));
    let history = store.profile_revisions(SIRET).await.unwrap();
    assert_eq!(history.len(), 2);
    let first = history[1].id;
    let page = staff.get(&format!("/acteurs/{SIRET}/historique")).await;
    assert!(page.body.contains("à relire"));
    let restored = staff
        .post(
            &format!("/acteurs/{SIRET}/historique/{first}/retablir"),
            &[],
        )
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    assert_eq!(
        api_actor(&app).await["description"],
        "Collecte, répare et revend des objets."
    );
    assert!(
        store.unreviewed_revisions().await.unwrap().is_empty(),
        "a restore settles the review"
    );
    // Members may not open the history.
    assert_eq!(
        member
            .get(&format!("/acteurs/{SIRET}/historique"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_address_of_the_structure_domain_gets_the_page_at_once() {
    let (app, store) = setup().await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let saved = staff
        .post(
            &format!("/acteurs/{SIRET}/modifier"),
            &[("site", "https://www.ressourcerie-verte.org/")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert!(
        store.unreviewed_revisions().await.unwrap().is_empty(),
        "staff changes are born reviewed"
    );
    let (mut member, id) = signed_in(&app, &store, "paul@ressourcerie-verte.org", &[]).await;
    let page = member.get(&format!("/acteurs/{SIRET}/revendiquer")).await;
    assert!(
        page.body
            .contains("la fiche vous sera confiée immédiatement"),
        "{}",
        page.body
    );
    member
        .post(&format!("/acteurs/{SIRET}/revendiquer"), &[("message", "")])
        .await;
    assert_eq!(
        store.memberships(id).await.unwrap()[0].siren.as_str(),
        SIREN
    );
    // Someone of another domain waits.
    let (mut other, other_id) =
        signed_in(&app, &store, "paul@fauxressourcerie-verte.org", &[]).await;
    other
        .post(
            &format!("/acteurs/{SIRET}/revendiquer"),
            &[("message", "Je suis bénévole.")],
        )
        .await;
    assert!(store.memberships(other_id).await.unwrap().is_empty());
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x & 0xff).to_le_bytes()[0], (y & 0xff).to_le_bytes()[0], 90])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(
    browser: &Browser,
    usage: &str,
    filename: &str,
    bytes: &[u8],
) -> (StatusCode, String, Option<String>) {
    let token = browser.cookie("essor_csrf").unwrap().to_owned();
    let boundary = "----essor-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"usage\"\r\n\r\n{usage}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let cookies = format!(
        "essor_csrf={token}; essor_session={}",
        browser.cookie("essor_session").unwrap()
    );
    let request = Request::post(format!("/acteurs/{SIRET}/images?_csrf={token}"))
        .header(header::COOKIE, cookies)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let response = browser.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        location,
    )
}

#[tokio::test]
async fn images_are_checked_bounded_and_re_encoded() {
    let (app, store) = setup().await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    assert_eq!(
        staff
            .get(&format!("/acteurs/{SIRET}/modifier"))
            .await
            .status,
        StatusCode::OK
    );

    let (status, body, _) = upload(
        &staff,
        "photo",
        "notes.png",
        b"<html><script>alert(1)</script></html>",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Image : ce n’est pas une image"), "{body}");

    let mut big = png(8, 8);
    big.resize(6 * 1024 * 1024, 0);
    let (status, _, _) = upload(&staff, "photo", "big.png", &big).await;
    assert!(
        matches!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{status}"
    );

    let (status, _, location) = upload(&staff, "logo", "logo.png", &png(2400, 1200)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/acteurs/{SIRET}/modifier?fait=image").as_str())
    );
    let logo = store
        .profile(SIRET)
        .await
        .unwrap()
        .unwrap()
        .profile
        .logo
        .unwrap();
    let media = store.media(logo).await.unwrap().unwrap();
    assert_eq!((media.width, media.height), (1600, 800), "scaled down");
    assert_eq!(media.content_type, "image/png");
    let served = crate::get(&app, &format!("/acteurs/{SIRET}/images/{logo}")).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.content_type, "image/png");
    // Another actor's path does not serve it.
    assert_eq!(
        crate::get(&app, &format!("/acteurs/30000000100019/images/{logo}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let (status, _, _) = upload(&staff, "photo", "photo.png", &png(300, 200)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let photo = store.profile(SIRET).await.unwrap().unwrap().profile.photos[0];
    assert_eq!(
        store.media(photo).await.unwrap().unwrap().content_type,
        "image/jpeg"
    );
    let page = crate::get(&app, &format!("/acteurs/{SIRET}")).await;
    assert!(
        page.body
            .contains(&format!("/acteurs/{SIRET}/images/{photo}"))
    );
    assert!(page.body.contains("alt=\"Logo de La Ressourcerie Verte\""));

    // A photo taken off the page is no longer served.
    let removed = staff
        .post(&format!("/acteurs/{SIRET}/images/{photo}/retirer"), &[])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let gone = crate::get(&app, &format!("/acteurs/{SIRET}/images/{photo}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_actor_added_by_hand_with_bad_fields_gets_a_message_per_field() {
    let (app, store) = setup().await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let bad = staff
        .post(
            "/administration/annuaire/nouvel-acteur",
            &[
                ("nom", ""),
                ("siret", "12345678901234"),
                ("famille", "x"),
                ("commune", "69381"),
                ("code_postal", "380"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Nom : indiquez",
        "SIRET :",
        "Famille : choisissez",
        "Commune : choisissez une commune du territoire",
        "Code postal : 5 chiffres",
    ] {
        assert!(bad.body.contains(message), "{message}");
    }
    assert!(store.manual_actors(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_actor_added_by_hand_is_checked_against_the_directory_first() {
    let (app, store) = setup().await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let form = staff.get("/administration/annuaire/nouvel-acteur").await;
    assert_eq!(form.status, StatusCode::OK);

    let alike = [
        ("nom", "Ressourcerie Verte (La)"),
        ("famille", "association"),
        ("commune", "38185"),
    ];
    let reply = staff
        .post("/administration/annuaire/nouvel-acteur", &alike)
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply
            .body
            .contains("Cet acteur est peut-être déjà dans l’annuaire")
    );
    assert!(reply.body.contains(&format!("href=\"/acteurs/{SIRET}\"")));
    assert!(reply.body.contains("même commune"));
    assert!(
        store.manual_actors(None).await.unwrap().is_empty(),
        "nothing created yet"
    );

    let mut confirmed = alike.to_vec();
    confirmed.push(("confirmer", "1"));
    let reply = staff
        .post("/administration/annuaire/nouvel-acteur", &confirmed)
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let created = store.manual_actors(None).await.unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(
        reply.location.as_deref(),
        Some(format!("/acteurs/m{}/modifier", created[0].id).as_str())
    );

    // A name unlike any other is added at once, shows in the directory and is searchable.
    let reply = staff
        .post(
            "/administration/annuaire/nouvel-acteur",
            &[
                ("nom", "Collectif Vélo Libre"),
                ("famille", "association"),
                ("commune", "38151"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let key = format!("m{}", store.manual_actors(None).await.unwrap()[1].id);
    let found: Value = serde_json::from_str(
        &crate::get(&app, "/api/v1/acteurs?q=collectif+velo")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(found["hits"][0]["siret"], key.as_str());
    let page = crate::get(&app, &format!("/acteurs/{key}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ajouté à l’annuaire par l’équipe"));
    // Staff complete it; nobody else may, and it cannot be claimed.
    let saved = staff
        .post(
            &format!("/acteurs/{key}/modifier"),
            &[("description", "Atelier vélo participatif.")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let api = crate::get(&app, &format!("/api/v1/acteurs/{key}")).await;
    assert!(api.body.contains("Atelier vélo participatif."));
    let (mut member, _) = signed_in(&app, &store, "marie@gmail.com", &[]).await;
    assert_eq!(
        member.get(&format!("/acteurs/{key}/modifier")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .get(&format!("/acteurs/{key}/revendiquer"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the proposal to the member's edit
async fn an_actor_proposed_by_a_structure_is_published_once_staff_approve_it() {
    let (app, store) = setup().await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@velo-libre.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;

    // Anonymous visitors are asked to sign in; the form lists the member's structure.
    let anonymous = crate::get(&app, "/acteurs/proposer").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    let form = member.get("/acteurs/proposer").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&format!("value=\"{SIREN}\"")));
    assert!(
        form.body
            .contains("Vous n’avez encore proposé aucun acteur.")
    );

    // Bad fields: a message per field, a structure the member does not act for refused.
    let bad = member
        .post(
            "/acteurs/proposer",
            &[
                ("nom", "Atelier du Vélo Libre"),
                ("famille", "association"),
                ("commune", "38185"),
                ("structure", "552100554"),
                ("message", "court"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("Structure : choisissez l’une des structures")
    );
    assert!(bad.body.contains("Message : dites en quelques mots"));
    assert!(store.manual_actors(None).await.unwrap().is_empty());

    // A proposal alike an actor of the directory needs confirming, as staff's additions do.
    let alike = [
        ("nom", "Ressourcerie Verte (La)"),
        ("famille", "association"),
        ("commune", "38185"),
        (
            "message",
            "Notre nouvel atelier de réemploi, ouvert en octobre.",
        ),
    ];
    let reply = member.post("/acteurs/proposer", &alike).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains(&format!("href=\"/acteurs/{SIRET}\"")));
    assert!(store.manual_actors(None).await.unwrap().is_empty());

    let proposal = [
        ("nom", "Atelier du Vélo Libre"),
        ("famille", "association"),
        ("commune", "38185"),
        ("adresse", "5 rue Très-Cloîtres"),
        ("code_postal", "38000"),
        ("structure", SIREN),
        (
            "message",
            "Je préside l’association ; l’atelier ouvre en janvier, sans SIRET encore.",
        ),
    ];
    let reply = member.post("/acteurs/proposer", &proposal).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/acteurs/proposer?fait=1"));
    let created = store.manual_actors(None).await.unwrap();
    assert_eq!(created.len(), 1);
    let key = created[0].key();
    assert_eq!(
        created[0].status,
        essor_store::directory::RequestStatus::Pending
    );
    assert_eq!(created[0].siren.as_deref(), Some(SIREN));
    let mine = member.get("/acteurs/proposer?fait=1").await;
    assert!(mine.body.contains("Votre proposition est enregistrée"));
    assert!(mine.body.contains("en attente de vérification"));

    // Waiting: not in the directory, its page unknown, nobody may edit it.
    assert_eq!(
        crate::get(&app, &format!("/acteurs/{key}")).await.status,
        StatusCode::NOT_FOUND
    );
    let found: Value = serde_json::from_str(
        &crate::get(&app, "/api/v1/acteurs?q=atelier+velo+libre")
            .await
            .body,
    )
    .unwrap();
    let hits = found["hits"].as_array().unwrap();
    assert!(hits.iter().all(|h| h["siret"] != key.as_str()), "{found}");

    // A second proposal alike the one waiting is flagged too.
    let twice = member.post("/acteurs/proposer", &proposal).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.body.contains("proposition en attente"));

    // Staff see it with the proposer and the message; a refusal needs a reason.
    let review = staff.get("/administration/annuaire").await;
    assert!(review.body.contains("Atelier du Vélo Libre"));
    assert!(review.body.contains("presidente@velo-libre.org"));
    assert!(review.body.contains("l’atelier ouvre en janvier"));
    let id = created[0].id;
    let no_reason = staff
        .post(
            &format!("/administration/annuaire/propositions/{id}"),
            &[("decision", "refuser")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("Motif : dites au demandeur"));
    assert_eq!(
        store.manual_actor(id).await.unwrap().unwrap().status,
        essor_store::directory::RequestStatus::Pending
    );
    // The proposer cannot decide.
    assert_eq!(
        member
            .post(
                &format!("/administration/annuaire/propositions/{id}"),
                &[("decision", "accepter")],
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let approved = staff
        .post(
            &format!("/administration/annuaire/propositions/{id}"),
            &[("decision", "accepter")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let again = staff
        .post(
            &format!("/administration/annuaire/propositions/{id}"),
            &[("decision", "refuser"), ("motif", "doublon")],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "decided once");

    // Published: found, its page says where it comes from, its structure's member edits it.
    let found: Value = serde_json::from_str(
        &crate::get(&app, "/api/v1/acteurs?q=atelier+velo+libre")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(found["hits"][0]["siret"], key.as_str());
    let page = member.get(&format!("/acteurs/{key}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("href=\"/acteurs/{key}/modifier\""))
    );
    let saved = member
        .post(
            &format!("/acteurs/{key}/modifier"),
            &[("description", "Atelier vélo participatif, le samedi.")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let api = crate::get(&app, &format!("/api/v1/acteurs/{key}")).await;
    assert!(api.body.contains("Atelier vélo participatif, le samedi."));
    // Another account may not edit it.
    let (mut other, _) = signed_in(&app, &store, "marie@gmail.com", &[]).await;
    assert_eq!(
        other.get(&format!("/acteurs/{key}/modifier")).await.status,
        StatusCode::FORBIDDEN
    );
    let mine = member.get("/acteurs/proposer").await;
    assert!(mine.body.contains(&format!("href=\"/acteurs/{key}\"")));
    assert!(mine.body.contains("publiée"));
}

#[tokio::test]
async fn a_refused_proposal_tells_the_proposer_why() {
    let (app, store) = setup().await;
    let (mut proposer, _) = signed_in(&app, &store, "marie@gmail.com", &[]).await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let reply = proposer
        .post(
            "/acteurs/proposer",
            &[
                ("nom", "Jardin des Possibles"),
                ("famille", "association"),
                ("commune", "38151"),
                ("message", "Un jardin partagé que je fréquente, sans SIRET."),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let id = store.manual_actors(None).await.unwrap()[0].id;
    // Without a structure, it would be staff's to edit: the form said so.
    let refused = staff
        .post(
            &format!("/administration/annuaire/propositions/{id}"),
            &[
                ("decision", "refuser"),
                (
                    "motif",
                    "Ce jardin relève de la commune, pas d’une structure de l’ESS.",
                ),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let mine = proposer.get("/acteurs/proposer").await;
    assert!(mine.body.contains("refusée"));
    assert!(mine.body.contains("Ce jardin relève de la commune"));
    assert_eq!(
        crate::get(&app, &format!("/acteurs/m{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let review = staff.get("/administration/annuaire").await;
    assert!(review.body.contains("Aucune proposition en attente."));
}
