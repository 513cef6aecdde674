//! Instruction on the web: opinions asked of partners by e-mail (a real SMTP server) and given
//! through the link without an account, reminders sent once, assignment, labels, the dashboard's
//! filters, saved columns and batch actions.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use chrono::{Days, Utc};
use essor_domain::access::{Role, SecondFactor};
use essor_domain::dossier::State as DossierState;
use essor_domain::referential::Referential;
use essor_mail::testing::SmtpSink;
use essor_store::instruction::NewOpinionRequest;
use essor_store::{EstablishmentRow, NewSnapshot, Store};
use essor_web::{AppState, router};

use crate::accounts::{Browser, session};
use crate::dossiers::{SIREN, SIRET, ressourcerie};
use crate::profiles::signed_in;

const TIMEOUT: Duration = Duration::from_secs(10);

/// An application whose mails go to `sink`, with one establishment to apply for.
async fn setup(sink: &SmtpSink) -> (Router, Arc<dyn Store>, AppState) {
    let store = crate::accounts::store().await;
    let actor = ressourcerie();
    store
        .save_snapshot(&NewSnapshot {
            establishments_file: "StockEtablissement_utf8.zip",
            units_file: "StockUniteLegale_utf8.zip",
            synthetic: false,
            report: &serde_json::json!({}),
            facts: &essor_domain::panorama::FactTable::default(),
            establishments: &[EstablishmentRow::of(&actor).unwrap()],
        })
        .await
        .unwrap();
    let state = AppState::new(
        Arc::clone(&store),
        Referential::embedded(),
        crate::account_config(sink.mailer()),
    );
    (router(state.clone()), store, state)
}

fn complete(title: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("titre", title),
        ("resume", "Un atelier de réparation de vélos et d’objets."),
        ("description", "Ouvert trois jours par semaine."),
        ("communes", "38185"),
        ("axe", "axe-1"),
        ("emplois_crees", "2"),
        ("emplois_consolides", "1"),
        ("montant_demande", "12 000"),
        ("depenses_1_libelle", "Salaires de l’atelier"),
        ("depenses_1_montant", "30 000,50"),
        ("ressources_1_libelle", "Métropole"),
        ("ressources_1_montant", "12 000"),
        ("ressources_2_libelle", "Région"),
        ("ressources_2_montant", "18 000,50"),
    ]
}

/// The ressourcerie's president, signed in and acting for it.
async fn applicant(app: &Router, store: &Arc<dyn Store>) -> Browser {
    let (member, member_id) = signed_in(app, store, "presidente@ressourcerie.org", &[]).await;
    store
        .add_membership(member_id, &essor_domain::Siren::parse(SIREN).unwrap(), true)
        .await
        .unwrap();
    member
}

/// A dossier applied for by `member`, submitted when `submit`; its number.
async fn applied(member: &mut Browser, title: &str, submit: bool) -> String {
    let reply = member
        .post("/dossiers", &[("siret", SIRET), ("titre", title)])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let url = reply.location.unwrap();
    assert_eq!(
        member.post(&url, &complete(title)).await.status,
        StatusCode::SEE_OTHER
    );
    if submit {
        let reply = member.post(&format!("{url}/deposer"), &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    }
    url.trim_start_matches("/dossiers/").to_owned()
}

async fn step(staff: &mut Browser, id: &str, action: &str) {
    let reply = staff
        .post(
            &format!("/administration/dossiers/{id}/etapes"),
            &[("action", action)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
}

/// The authority's staff: two chargées de mission (`agent@…`, signed in, and `collegue@…`) and a
/// service's referent (`service@…`), who instructs nothing; the first's browser and account.
async fn authority_staff(app: &Router, store: &Arc<dyn Store>) -> (Browser, i64) {
    let agent = signed_in(app, store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    signed_in(
        app,
        store,
        "collegue@metropole.fr",
        &[Role::ChargeDeMission],
    )
    .await;
    signed_in(app, store, "service@metropole.fr", &[Role::ServiceReferent]).await;
    agent
}

/// Staff assign the dossier to the account `to`.
async fn assigned(staff: &mut Browser, id: &str, to: i64) {
    let reply = staff
        .post(
            &format!("/administration/dossiers/{id}/assignation"),
            &[("compte", to.to_string().as_str())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

/// Staff take a submitted dossier through instruction and the committee to its acceptance.
async fn accepted(staff: &mut Browser, id: &str) {
    step(staff, id, "instruire").await;
    crate::dossiers::check_all(staff, id).await;
    step(staff, id, "comite").await;
    let reply = staff
        .post(
            &format!("/administration/dossiers/{id}/etapes"),
            &[("action", "accepter"), ("montant", "10 000")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
}

/// The structure submits the intermediate report of an accepted dossier; the report's path.
async fn intermediate_report_sent(member: &mut Browser, id: &str) -> String {
    let report_url = format!("/dossiers/{id}/rapports/intermediaire");
    let reply = member
        .post(
            &report_url,
            &[
                ("activite", "Atelier ouvert trois jours par semaine."),
                ("emplois_crees", "2"),
                ("emplois_consolides", "1"),
                ("depense_1", "30 000,50"),
                ("ressource_1", "12 000"),
                ("ressource_2", "18 000,50"),
                ("envoi", "transmettre"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    report_url
}

fn path_of(link: &str) -> String {
    let url = essor_mail::Url::parse(link).unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The mails sent to `address` so far, waiting for at least `count`.
async fn mails_to(
    sink: &SmtpSink,
    address: &str,
    count: usize,
) -> Vec<essor_mail::testing::ParsedMail> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let found: Vec<_> = sink
            .messages()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .map(essor_mail::testing::ReceivedMail::parsed)
            .collect();
        if found.len() >= count || tokio::time::Instant::now() > deadline {
            return found;
        }
        let _ = sink
            .wait_for(sink.messages().len() + 1, Duration::from_millis(200))
            .await;
    }
}

/// The first mail to `address` whose subject contains `about`, waiting for it.
async fn mail_about(
    sink: &SmtpSink,
    address: &str,
    about: &str,
) -> essor_mail::testing::ParsedMail {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let sent = sink.messages().len();
        if let Some(mail) = mails_to(sink, address, 0)
            .await
            .into_iter()
            .find(|m| m.subject.contains(about))
        {
            return mail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no mail to {address} about {about}"
        );
        let _ = sink.wait_for(sent + 1, Duration::from_millis(200)).await;
    }
}

/// How many of the mails sent to `address` so far have `about` in their subject.
async fn count_about(sink: &SmtpSink, address: &str, about: &str) -> usize {
    mails_to(sink, address, 0)
        .await
        .into_iter()
        .filter(|m| m.subject.contains(about))
        .count()
}

fn in_days(days: u64) -> String {
    Utc::now()
        .date_naive()
        .checked_add_days(Days::new(days))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

async fn invite(staff: &mut Browser, id: &str, email: &str, name: &str, confidential: bool) {
    let deadline = in_days(10);
    let mut fields = vec![
        ("avis_nom", name),
        ("avis_organisation", "Région Auvergne-Rhône-Alpes"),
        ("avis_courriel", email),
        (
            "avis_question",
            "Le plan de financement vous paraît-il solide ?",
        ),
        ("avis_echeance", deadline.as_str()),
    ];
    if confidential {
        fields.push(("avis_confidentiel", "1"));
    }
    let reply = staff
        .post(&format!("/administration/dossiers/{id}/avis"), &fields)
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(
        reply.location.as_deref(),
        Some(format!("/dossiers/{id}?fait=avis").as_str())
    );
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the invitation to the opinions read
async fn a_partner_invited_by_mail_gives_an_opinion_that_stays_confidential() {
    let sink = SmtpSink::start().unwrap();
    let (app, store, _) = setup(&sink).await;
    let mut member = applicant(&app, &store).await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let id = applied(&mut member, "Atelier de réparation", true).await;
    step(&mut staff, &id, "instruire").await;

    // An invitation with a bad address and no question names both fields; nothing is sent.
    let refused = staff
        .post(
            &format!("/administration/dossiers/{id}/avis"),
            &[
                ("avis_nom", "Jeanne Dupont"),
                ("avis_courriel", "pas une adresse"),
                ("avis_question", ""),
                ("avis_echeance", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Adresse électronique : une adresse valide")
    );
    assert!(refused.body.contains("Question posée : écrivez-la"));
    assert!(
        refused
            .body
            .contains("Date limite de réponse : elle ne peut pas être passée")
    );

    invite(
        &mut staff,
        &id,
        "jeanne@region.example",
        "Jeanne Dupont",
        true,
    )
    .await;
    invite(
        &mut staff,
        &id,
        "paul@franceactive.example",
        "Paul Martin",
        false,
    )
    .await;
    step(&mut staff, &id, "avis").await;

    // The invitation is a real mail with a link carrying its token.
    let mail = mails_to(&sink, "jeanne@region.example", 1).await.remove(0);
    assert!(
        mail.subject
            .contains("Demande d’avis sur le dossier « Atelier de réparation »")
    );
    let text = mail.text.clone().unwrap();
    assert!(text.contains("Le plan de financement vous paraît-il solide ?"));
    assert!(text.contains("confidentiel"));
    let link = path_of(&mail.first_link().unwrap());
    assert!(link.starts_with("/avis?jeton="), "{link}");

    // Anyone holding the link reads what the opinion needs, without an account.
    let mut partner = Browser::new(app.clone());
    let page = partner.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("La Ressourcerie Verte"));
    assert!(page.body.contains("Salaires de l’atelier"));
    assert!(page.body.contains("30 000,50 €"));
    assert!(page.body.contains("name=\"verdict\""));
    // A wrong token opens nothing.
    let wrong = partner
        .get("/avis?jeton=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert!(wrong.body.contains("Ce lien n’est pas valide"));
    assert!(!wrong.body.contains("Salaires de l’atelier"));

    // A reserved opinion needs its reason; then it is recorded, once.
    let token = link.trim_start_matches("/avis?jeton=").to_owned();
    let missing = partner
        .post(
            "/avis",
            &[("jeton", token.as_str()), ("verdict", "reserve")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("Motivation : expliquez"));
    let given = partner
        .post(
            "/avis",
            &[
                ("jeton", token.as_str()),
                ("verdict", "reserve"),
                (
                    "avis",
                    "Les ressources reposent sur une aide régionale non acquise.",
                ),
            ],
        )
        .await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.body);
    assert!(given.body.contains("votre avis est enregistré"));
    let again = partner
        .post(
            "/avis",
            &[("jeton", token.as_str()), ("verdict", "favorable")],
        )
        .await;
    assert!(again.body.contains("Votre avis est déjà enregistré"));

    // The shared opinion, answered too.
    let shared = mails_to(&sink, "paul@franceactive.example", 1)
        .await
        .remove(0);
    let shared_link = path_of(&shared.first_link().unwrap());
    let shared_token = shared_link.trim_start_matches("/avis?jeton=").to_owned();
    let mut other = Browser::new(app.clone());
    other.get(&shared_link).await;
    let reply = other
        .post(
            "/avis",
            &[
                ("jeton", shared_token.as_str()),
                ("verdict", "favorable"),
                ("avis", "Projet utile au quartier."),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    // Staff read both; the dashboard says all opinions are in.
    let page = staff.get(&format!("/dossiers/{id}")).await;
    assert!(
        page.body
            .contains("Les ressources reposent sur une aide régionale non acquise.")
    );
    assert!(page.body.contains("Réservé"));
    assert!(page.body.contains("Projet utile au quartier."));
    let dashboard = staff
        .get("/administration/dossiers?etat=avis_demandes")
        .await;
    assert!(dashboard.body.contains("Avis tous reçus"));
    assert!(dashboard.body.contains(&format!("/dossiers/{id}#avis")));

    // The applicant reads the shared opinion, never the confidential one nor who gave it.
    let page = member.get(&format!("/dossiers/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Projet utile au quartier."));
    assert!(!page.body.contains("aide régionale non acquise"));
    assert!(!page.body.contains("Jeanne Dupont"));
    assert!(!page.body.contains("Réservé"));
    // Nor through the account's data export, nor the staff's routes.
    let export = member.get("/compte/donnees.json").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(!export.body.contains("aide régionale non acquise"));
    assert_eq!(
        member.get("/administration/dossiers").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .get("/administration/dossiers/export?format=csv")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for path in [
        format!("/administration/dossiers/{id}/avis"),
        "/administration/avis/1/relancer".to_owned(),
        format!("/administration/dossiers/{id}/assignation"),
        format!("/administration/dossiers/{id}/etiquettes"),
        "/administration/dossiers/lot".to_owned(),
    ] {
        assert_eq!(
            member.post(&path, &[]).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    // An expired link opens nothing either.
    let (expired, hash) = essor_auth::Token::generate();
    let long_ago = Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(30))
        .unwrap();
    store
        .create_opinion_request(&NewOpinionRequest {
            dossier: id.parse().unwrap(),
            token_hash: &hash.to_hex(),
            name: "Léa Bernard",
            organisation: "Banque des Territoires",
            email: "lea@banque.example",
            question: "Votre avis ?",
            deadline: long_ago,
            confidential: true,
            requested_by: None,
            at: Utc::now() - chrono::Duration::days(40),
        })
        .await
        .unwrap();
    let page = partner
        .get(&format!("/avis?jeton={}", expired.as_str()))
        .await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.body.contains("Ce lien a expiré"));
    assert!(!page.body.contains("Salaires de l’atelier"));
}

#[tokio::test]
async fn each_reminder_goes_once_with_a_new_link() {
    let sink = SmtpSink::start().unwrap();
    let (app, store, state) = setup(&sink).await;
    let mut member = applicant(&app, &store).await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let id = applied(&mut member, "Épicerie solidaire", true).await;
    step(&mut staff, &id, "instruire").await;
    step(&mut staff, &id, "avis").await;
    // Asked ten days ago, due in two days: the early reminder is due.
    let (first, hash) = essor_auth::Token::generate();
    let now = Utc::now();
    let deadline = now.date_naive().checked_add_days(Days::new(2)).unwrap();
    store
        .create_opinion_request(&NewOpinionRequest {
            dossier: id.parse().unwrap(),
            token_hash: &hash.to_hex(),
            name: "Paul Martin",
            organisation: "France Active",
            email: "paul@franceactive.example",
            question: "Votre avis ?",
            deadline,
            confidential: false,
            requested_by: None,
            at: now - chrono::Duration::days(10),
        })
        .await
        .unwrap();

    let report = essor_web::instruction::send_reminders(&state, now)
        .await
        .unwrap();
    assert_eq!(report.sent, 1);
    let again = essor_web::instruction::send_reminders(&state, now)
        .await
        .unwrap();
    assert_eq!(again.sent, 0);
    let mails = mails_to(&sink, "paul@franceactive.example", 1).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.starts_with("Rappel : votre avis"));
    // The reminder's link replaces the first one.
    let mut partner = Browser::new(app.clone());
    let old = partner
        .get(&format!("/avis?jeton={}", first.as_str()))
        .await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    let new = partner.get(&path_of(&mails[0].first_link().unwrap())).await;
    assert_eq!(new.status, StatusCode::OK);

    // Once the deadline has passed, one more reminder, once.
    let later = now + chrono::Duration::days(3);
    let overdue = essor_web::instruction::send_reminders(&state, later)
        .await
        .unwrap();
    assert_eq!(overdue.sent, 1);
    assert_eq!(
        essor_web::instruction::send_reminders(&state, later)
            .await
            .unwrap()
            .sent,
        0
    );
    let mails = mails_to(&sink, "paul@franceactive.example", 2).await;
    assert_eq!(mails.len(), 2);
    assert!(mails[1].subject.starts_with("Relance : votre avis"));

    // Staff can send it again by hand: a third mail.
    let page = staff.get(&format!("/dossiers/{id}")).await;
    assert!(page.body.contains("En attente, à rendre avant le"));
    let request = store.opinion_requests(id.parse().unwrap()).await.unwrap()[0].id;
    let reply = staff
        .post(&format!("/administration/avis/{request}/relancer"), &[])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        mails_to(&sink, "paul@franceactive.example", 3).await.len(),
        3
    );
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story over the dashboard
async fn the_dashboard_filters_assigns_labels_and_steps_in_batch() {
    let sink = SmtpSink::start().unwrap();
    let (app, store, _) = setup(&sink).await;
    let mut member = applicant(&app, &store).await;
    let (mut camille, camille_id) = signed_in(
        &app,
        &store,
        "camille@metropole.fr",
        &[Role::ChargeDeMission],
    )
    .await;
    let (mut lea, lea_id) =
        signed_in(&app, &store, "lea@metropole.fr", &[Role::ChargeDeMission]).await;
    let a = applied(&mut member, "Atelier vélo", true).await;
    let b = applied(&mut member, "Épicerie solidaire", true).await;
    let draft = applied(&mut member, "Tiers-lieu brouillon", false).await;

    // One dossier assigned from its page, with a label.
    assigned(&mut camille, &a, camille_id).await;
    let reply = camille
        .post(
            &format!("/administration/dossiers/{a}/etiquettes"),
            &[("nouvelle_etiquette", "  QPV   prioritaire ")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = camille.get(&format!("/dossiers/{a}")).await;
    assert!(page.body.contains("Dossier suivi par Camille Martin"));
    let qpv = store.labels().await.unwrap()[0].clone();
    assert_eq!(qpv.name, "QPV prioritaire");

    // Filters combine and stay in the URL.
    let mine = camille
        .get("/administration/dossiers?etat=tous&assigne=moi")
        .await;
    assert!(mine.body.contains("Atelier vélo"));
    assert!(!mine.body.contains("Épicerie solidaire"));
    let theirs = lea
        .get("/administration/dossiers?etat=tous&assigne=moi")
        .await;
    assert!(!theirs.body.contains("Atelier vélo"));
    let nobody = camille
        .get("/administration/dossiers?etat=tous&assigne=aucun")
        .await;
    assert!(nobody.body.contains("Épicerie solidaire"));
    assert!(nobody.body.contains("Tiers-lieu brouillon"));
    assert!(!nobody.body.contains("Atelier vélo"));
    let labelled = camille
        .get(&format!(
            "/administration/dossiers?etat=tous&etiquette={}",
            qpv.id
        ))
        .await;
    assert!(labelled.body.contains("Atelier vélo"));
    assert!(!labelled.body.contains("Épicerie solidaire"));
    let text = camille
        .get("/administration/dossiers?etat=tous&q=epicerie")
        .await;
    assert!(!text.body.contains("Atelier vélo"));
    let text = camille
        .get("/administration/dossiers?etat=tous&q=%C3%89PICERIE&annee=1999")
        .await;
    assert!(
        !text.body.contains("Épicerie solidaire"),
        "the year filters too"
    );
    let text = camille
        .get("/administration/dossiers?etat=depose&q=%C3%A9picerie")
        .await;
    assert!(text.body.contains("Épicerie solidaire"));
    assert!(!text.body.contains("Atelier vélo"));
    // The state links keep the other filters.
    assert!(text.body.contains("etat=brouillon&#38;q=%C3%A9picerie"));

    // A batch step on the three: the draft is refused, with the reason; the others move.
    let reply = camille
        .post(
            "/administration/dossiers/lot",
            &[
                ("dossiers", a.as_str()),
                ("dossiers", b.as_str()),
                ("dossiers", draft.as_str()),
                ("operation", "etape"),
                ("action", "instruire"),
                ("retour", "etat=tous"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("2 dossier(s) traité(s) sur 3"));
    assert!(reply.body.contains("refusé"));
    let dossier = |id: &str| {
        let store = Arc::clone(&store);
        let id: i64 = id.parse().unwrap();
        async move { store.dossier(id).await.unwrap().unwrap() }
    };
    assert_eq!(dossier(&a).await.state, DossierState::UnderInstruction);
    assert_eq!(dossier(&b).await.state, DossierState::UnderInstruction);
    assert_eq!(dossier(&draft).await.state, DossierState::Draft);
    // The refusal is the state machine's own reason.
    let refusal = reply
        .body
        .split(&format!("n° {draft} : Tiers-lieu brouillon"))
        .nth(1)
        .unwrap();
    assert!(refusal.contains("<strong>refusé</strong>"));

    // Batch assignment and label.
    let reply = camille
        .post(
            "/administration/dossiers/lot",
            &[
                ("dossiers", a.as_str()),
                ("dossiers", b.as_str()),
                ("operation", "assigner"),
                ("compte", lea_id.to_string().as_str()),
            ],
        )
        .await;
    assert!(reply.body.contains("2 dossier(s) traité(s) sur 2"));
    assert_eq!(dossier(&a).await.assigned_to, Some(lea_id));
    assert_eq!(dossier(&b).await.assigned_to, Some(lea_id));
    let reply = camille
        .post(
            "/administration/dossiers/lot",
            &[
                ("dossiers", a.as_str()),
                ("dossiers", b.as_str()),
                ("operation", "etiqueter"),
                ("etiquette", qpv.id.to_string().as_str()),
            ],
        )
        .await;
    assert!(reply.body.contains("l’étiquette y était déjà"));
    assert!(reply.body.contains("étiquette ajoutée"));
    assert_eq!(store.label_links().await.unwrap().len(), 2);
    // Nothing checked: nothing done, and said so.
    let reply = camille
        .post(
            "/administration/dossiers/lot",
            &[("operation", "etape"), ("action", "instruire")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("cochez au moins un dossier"));

    // Every change is in the audit trail.
    let entries = store
        .list(
            &essor_store::audit::AuditFilter::default(),
            essor_store::audit::Page {
                before_seq: None,
                limit: 1000,
            },
        )
        .await
        .unwrap();
    let codes: Vec<String> = entries.iter().map(|e| e.action.clone()).collect();
    assert!(codes.iter().any(|c| c == "dossier.assigned"));
    assert!(codes.iter().any(|c| c == "dossier.labels_changed"));
}

#[tokio::test]
async fn the_columns_chosen_are_kept_for_the_account() {
    let sink = SmtpSink::start().unwrap();
    let (app, store, _) = setup(&sink).await;
    let mut member = applicant(&app, &store).await;
    applied(&mut member, "Atelier vélo", true).await;
    let (mut staff, staff_id) = signed_in(
        &app,
        &store,
        "camille@metropole.fr",
        &[Role::ChargeDeMission],
    )
    .await;
    let page = staff.get("/administration/dossiers").await;
    assert!(page.body.contains("<th scope=\"col\">Axe du plan</th>"));
    assert!(!page.body.contains("<th scope=\"col\">SIRET</th>"));
    let reply = staff
        .post(
            "/administration/dossiers/colonnes",
            &[
                ("colonnes", "siret"),
                ("colonnes", "montant_demande"),
                ("retour", "etat=tous&q=atelier"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.location.as_deref(),
        Some("/administration/dossiers?etat=tous&q=atelier")
    );
    // A new session of the same account finds its choice.
    let token = session(&store, staff_id, SecondFactor::Done).await;
    let mut again = Browser::new(app.clone());
    again.set_cookie("essor_session", &token);
    let page = again.get("/administration/dossiers").await;
    assert!(page.body.contains("<th scope=\"col\">SIRET</th>"));
    assert!(page.body.contains(SIRET));
    assert!(page.body.contains("12 000,00 €"));
    assert!(!page.body.contains("<th scope=\"col\">Axe du plan</th>"));
    // Another account keeps the default.
    let (mut other, _) =
        signed_in(&app, &store, "lea@metropole.fr", &[Role::ChargeDeMission]).await;
    let page = other.get("/administration/dossiers").await;
    assert!(page.body.contains("<th scope=\"col\">Axe du plan</th>"));
    // A return address that is not a dashboard query is not followed.
    let reply = staff
        .post(
            "/administration/dossiers/colonnes",
            &[("colonnes", "siret"), ("retour", "//evil.example/")],
        )
        .await;
    assert_eq!(reply.location.as_deref(), Some("/administration/dossiers"));
}

#[tokio::test]
async fn a_payment_tells_the_applicant_and_a_report_tells_the_chargee_de_mission_by_mail() {
    let sink = SmtpSink::start().unwrap();
    let (app, store, _) = setup(&sink).await;
    let mut member = applicant(&app, &store).await;
    let (mut staff, staff_id) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let id = applied(&mut member, "Atelier de réparation", true).await;
    assigned(&mut staff, &id, staff_id).await;
    accepted(&mut staff, &id).await;

    let today = Utc::now().date_naive();
    let reply = staff
        .post(
            &format!("/administration/dossiers/{id}/versements"),
            &[
                ("versement_echeance", ""),
                (
                    "versement_date",
                    today.format("%Y-%m-%d").to_string().as_str(),
                ),
                ("versement_montant", "4 000"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let paid = mail_about(&sink, "presidente@ressourcerie.org", "versement enregistré").await;
    assert_eq!(
        paid.subject,
        "Votre dossier « Atelier de réparation » : versement enregistré"
    );
    assert!(paid.text.as_ref().unwrap().contains(&format!(
        "Un versement de 4 000,00 € daté du {} est enregistré",
        today.format("%d/%m/%Y")
    )));

    // The structure submits its intermediate report: the chargée de mission it is assigned to
    // hears of it, with a link to the report.
    let report_url = intermediate_report_sent(&mut member, &id).await;
    let mail = mail_about(&sink, "agent@metropole.fr", "rapport transmis").await;
    assert_eq!(
        mail.subject,
        "Dossier « Atelier de réparation » : rapport transmis"
    );
    assert!(
        mail.text
            .as_ref()
            .unwrap()
            .contains("La structure a transmis son rapport intermédiaire")
    );
    assert_eq!(path_of(&mail.first_link().unwrap()), report_url);
}

#[tokio::test]
async fn a_report_on_a_dossier_assigned_to_nobody_tells_every_chargee_de_mission() {
    let sink = SmtpSink::start().unwrap();
    let (app, store, _) = setup(&sink).await;
    let mut member = applicant(&app, &store).await;
    let (mut staff, _) = authority_staff(&app, &store).await;
    let id = applied(&mut member, "Atelier de réparation", true).await;
    accepted(&mut staff, &id).await;
    assert_eq!(
        store
            .dossier(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .assigned_to,
        None
    );

    let report_url = intermediate_report_sent(&mut member, &id).await;
    for chargee in ["agent@metropole.fr", "collegue@metropole.fr"] {
        let mail = mail_about(&sink, chargee, "rapport transmis").await;
        assert_eq!(
            mail.subject,
            "Dossier « Atelier de réparation » : rapport transmis"
        );
        assert_eq!(path_of(&mail.first_link().unwrap()), report_url);
    }
    // Someone who does not instruct dossiers is not told, and each chargée once.
    assert_eq!(
        count_about(&sink, "service@metropole.fr", "rapport transmis").await,
        0
    );
    for chargee in ["agent@metropole.fr", "collegue@metropole.fr"] {
        let reports = count_about(&sink, chargee, "rapport transmis").await;
        assert_eq!(reports, 1, "{chargee}");
    }
}

#[tokio::test]
async fn staff_hear_of_a_submission_and_of_the_structure_s_messages() {
    let sink = SmtpSink::start().unwrap();
    let (app, store, _) = setup(&sink).await;
    let mut member = applicant(&app, &store).await;
    let (mut staff, staff_id) = authority_staff(&app, &store).await;
    // Submitted while assigned to nobody: every chargée de mission hears of it.
    let id = applied(&mut member, "Atelier de réparation", true).await;
    for chargee in ["agent@metropole.fr", "collegue@metropole.fr"] {
        let mail = mail_about(&sink, chargee, "dossier déposé").await;
        assert_eq!(
            mail.subject,
            "Dossier « Atelier de réparation » : dossier déposé"
        );
        assert!(
            mail.text
                .as_ref()
                .unwrap()
                .contains("La structure a déposé son dossier")
        );
        assert_eq!(
            path_of(&mail.first_link().unwrap()),
            format!("/dossiers/{id}")
        );
    }

    // Once assigned, the structure's message goes to the assignee only; staff's own message
    // goes to the structure, and a note to nobody.
    assigned(&mut staff, &id, staff_id).await;
    let reply = member
        .post(
            &format!("/dossiers/{id}/messages"),
            &[("message", "Le devis du local est joint au budget.")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let mail = mail_about(&sink, "agent@metropole.fr", "nouveau message").await;
    assert!(
        mail.text
            .as_ref()
            .unwrap()
            .contains("« Le devis du local est joint au budget. »")
    );
    let before = mails_to(&sink, "presidente@ressourcerie.org", 0)
        .await
        .len();
    for (text, internal) in [("Merci, bien reçu.", "0"), ("À vérifier en comité.", "1")] {
        let reply = staff
            .post(
                &format!("/dossiers/{id}/messages"),
                &[("message", text), ("interne", internal)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    }
    // Once the structure has the mail of the staff's message, the staff's mails are all sent.
    let after = mails_to(&sink, "presidente@ressourcerie.org", before + 1).await;
    assert!(
        after
            .iter()
            .any(|m| m.text.as_ref().unwrap().contains("Merci, bien reçu."))
    );
    assert_eq!(
        count_about(&sink, "agent@metropole.fr", "nouveau message").await,
        1
    );
    assert_eq!(
        count_about(&sink, "collegue@metropole.fr", "nouveau message").await,
        0
    );
    assert_eq!(
        count_about(&sink, "collegue@metropole.fr", "dossier déposé").await,
        1
    );
    for subject in ["dossier déposé", "nouveau message"] {
        assert_eq!(count_about(&sink, "service@metropole.fr", subject).await, 0);
    }
}
