//! Committees on the web: staff plan a session, list its members, build its agenda from the
//! dossiers ready for decision, print its file (HTML and PDF), record its decisions through the
//! state machine and within the envelope, write its minutes and close it; applicants see none
//! of it but the decision on their own dossier.

use axum::http::StatusCode;
use chrono::Datelike;
use essor_domain::Money;
use essor_domain::access::Role;
use essor_domain::dossier::State as DossierState;
use essor_store::Store;

use crate::accounts::Browser;
use crate::dossiers::{SIREN, SIRET, setup};
use crate::profiles::signed_in;

/// A submitted dossier of `title` asking `asked` (whole euros, as typed), its number.
async fn submitted(member: &mut Browser, title: &str, asked: &str) -> i64 {
    let reply = member
        .post("/dossiers", &[("siret", SIRET), ("titre", title)])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let url = reply.location.unwrap();
    let fields = [
        ("titre", title),
        ("resume", "Un projet de l’économie sociale et solidaire."),
        ("description", "Ouvert à tous, avec des bénévoles."),
        ("communes", "38185"),
        ("axe", "axe-1"),
        ("emplois_crees", "2"),
        ("emplois_consolides", "1"),
        ("montant_demande", asked),
        ("depenses_1_libelle", "Salaires et matériel"),
        ("depenses_1_montant", asked),
        ("ressources_1_libelle", "Métropole"),
        ("ressources_1_montant", asked),
        ("cofinanceurs", "Banque des Territoires"),
    ];
    assert_eq!(
        member.post(&url, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let deposited = member.post(&format!("{url}/deposer"), &[]).await;
    assert_eq!(
        deposited.status,
        StatusCode::SEE_OTHER,
        "{}",
        deposited.body
    );
    url.trim_start_matches("/dossiers/").parse().unwrap()
}

async fn instruct(staff: &mut Browser, id: i64, checks: bool) {
    let reply = staff
        .post(
            &format!("/administration/dossiers/{id}/etapes"),
            &[("action", "instruire")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    if checks {
        check_all(staff, id).await;
    }
}

async fn check_all(staff: &mut Browser, id: i64) {
    let fields: Vec<(&str, &str)> = essor_domain::dossier::INSTRUCTION_CHECKS
        .iter()
        .map(|(key, _)| ("controles", *key))
        .collect();
    let reply = staff
        .post(&format!("/administration/dossiers/{id}/controles"), &fields)
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

async fn new_session(staff: &mut Browser, date: &str) -> i64 {
    let reply = staff
        .post(
            "/administration/comites",
            &[
                ("comite", "comite-pilotage"),
                ("date", date),
                ("lieu", "Hôtel de Métropole, Grenoble"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    reply
        .location
        .unwrap()
        .trim_start_matches("/administration/comites/")
        .parse()
        .unwrap()
}

/// The agenda item of a dossier in a session.
async fn item(store: &std::sync::Arc<dyn Store>, session: i64, dossier: i64) -> i64 {
    store
        .agenda(session)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.dossier == dossier)
        .unwrap()
        .id
}

/// Every text of a PDF's pages, read back with lopdf.
fn pdf_text(bytes: &[u8]) -> String {
    let pdf = lopdf::Document::load_mem(bytes).expect("lopdf reads the committee's file");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    pdf.extract_text(&pages).expect("the text of the pages")
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the planned session to the held one
async fn a_session_is_prepared_printed_decided_and_closed() {
    let (app, store) = setup(true).await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let (mut admin, _) =
        signed_in(&app, &store, "admin@metropole.fr", &[Role::Administrator]).await;
    let year = chrono::Utc::now().year();

    let workshop = submitted(&mut member, "Atelier de réparation", "12 000").await;
    let grocery = submitted(&mut member, "Épicerie solidaire", "20 000").await;
    let hall = submitted(&mut member, "Grande halle du réemploi", "400 000").await;
    instruct(&mut staff, workshop, true).await;
    instruct(&mut staff, grocery, true).await;
    instruct(&mut staff, hall, false).await;

    // The dashboard links to the committees; a session needs a place.
    let dashboard = staff.get("/administration/dossiers").await;
    assert!(dashboard.body.contains("href=\"/administration/comites\""));
    let refused = staff
        .post(
            "/administration/comites",
            &[
                ("comite", "comite-pilotage"),
                ("date", "31/02/2026"),
                ("lieu", " "),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Lieu : à remplir."));
    assert!(refused.body.contains("Date : la date « 31/02/2026 »"));
    let date = format!("{year}-12-01");
    let session = new_session(&mut staff, &date).await;
    let url = format!("/administration/comites/{session}");
    let list = staff.get("/administration/comites").await;
    assert!(list.body.contains(&format!("01/12/{year}")));
    assert!(list.body.contains("Comité de pilotage"));

    // Members: a name and a quality; the form names what is missing.
    let missing = staff
        .post(
            "/administration/comites/membres",
            &[
                ("comite", "comite-pilotage"),
                ("nom", ""),
                ("qualite", "Maire"),
                ("role", "membre"),
            ],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("Nom : à remplir."));
    for (name, quality, role) in [
        (
            "Claire Dupont",
            "Vice-présidente de la Métropole",
            "presidence",
        ),
        ("Paul Martin", "Maire d’Échirolles", "membre"),
    ] {
        let added = staff
            .post(
                "/administration/comites/membres",
                &[
                    ("comite", "comite-pilotage"),
                    ("nom", name),
                    ("qualite", quality),
                    ("role", role),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
    }
    let members = store
        .committee_members(Some("comite-pilotage"), false)
        .await
        .unwrap();
    assert_eq!(members.len(), 2);
    assert!(
        staff
            .get("/administration/comites/membres")
            .await
            .body
            .contains("Maire d’Échirolles")
    );
    let present = members[0].id.to_string();
    assert_eq!(
        staff
            .post(&format!("{url}/presences"), &[("presents", &present)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // The agenda: the dossiers under instruction are offered; one without its instruction
    // checks cannot go to the committee.
    let page = staff.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    for id in [workshop, grocery, hall] {
        assert!(
            page.body.contains(&format!("<option value=\"{id}\">")),
            "{id}"
        );
    }
    let agenda = format!("{url}/ordre-du-jour");
    let unchecked = staff.post(&agenda, &[("dossier", &hall.to_string())]).await;
    assert_eq!(unchecked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unchecked
            .body
            .contains("Contrôles d’instruction obligatoires non renseignés")
    );
    check_all(&mut staff, hall).await;
    for id in [workshop, grocery, hall] {
        let added = staff.post(&agenda, &[("dossier", &id.to_string())]).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let dossier = store.dossier(id).await.unwrap().unwrap();
        assert_eq!(dossier.state, DossierState::OnAgenda);
    }
    let twice = staff
        .post(&agenda, &[("dossier", &grocery.to_string())])
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.body.contains("attend déjà une décision"));
    // Ordered: the hall goes up before the grocery.
    let hall_item = item(&store, session, hall).await;
    let moved = staff
        .post(
            &format!("{url}/ordre-du-jour/{hall_item}/deplacer"),
            &[("sens", "haut")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let order: Vec<i64> = store
        .agenda(session)
        .await
        .unwrap()
        .iter()
        .map(|i| i.dossier)
        .collect();
    assert_eq!(order, [workshop, hall, grocery]);
    let workshop_item = item(&store, session, workshop).await;
    let proposal = staff
        .post(
            &format!("{url}/ordre-du-jour/{workshop_item}/proposition"),
            &[
                (
                    "proposition",
                    "Avis favorable : porteur solide, besoin avéré.",
                ),
                ("montant_propose", "10 000"),
            ],
        )
        .await;
    assert_eq!(proposal.status, StatusCode::SEE_OTHER);

    // The committee's file, printable and as a PDF.
    let file = staff.get(&format!("{url}/dossier-de-seance")).await;
    assert_eq!(file.status, StatusCode::OK);
    for expected in [
        "Atelier de réparation",
        "Grande halle du réemploi",
        "Avis favorable : porteur solide, besoin avéré.",
        "Budget prévisionnel",
        "Banque des Territoires",
        "Claire Dupont",
        "Total demandé",
        "432 000,00 €",
        "Enveloppe",
    ] {
        assert!(file.body.contains(expected), "{expected}");
    }
    let pdf = staff.get(&format!("{url}/dossier-de-seance.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let text = pdf_text(&pdf.bytes);
    for expected in [
        "Dossier de séance",
        "Atelier de réparation",
        "12 000,00 €",
        "Grande halle du réemploi",
        "400 000,00 €",
        "Avis favorable : porteur solide, besoin avéré.",
        "Vice-présidente de la Métropole",
    ] {
        assert!(text.contains(expected), "{expected} not in the PDF: {text}");
    }

    // Decisions in one submission: an acceptance within the envelope, a refusal, and an
    // acceptance beyond the envelope that a chargée de mission cannot make.
    let decisions = format!("{url}/decisions");
    let grocery_item = item(&store, session, grocery).await;
    let f = |item: i64, name: &str| format!("d_{item}_{name}");
    let form = [
        (f(workshop_item, "issue"), "accepte"),
        (f(workshop_item, "montant"), "10 000"),
        (f(workshop_item, "texte"), "Rapport d’activité à six mois."),
        (f(grocery_item, "issue"), "refuse"),
        (f(grocery_item, "texte"), "Projet hors du champ du plan."),
        (f(hall_item, "issue"), "accepte"),
        (f(hall_item, "montant"), "400 000"),
        ("depasser".to_owned(), "1"),
    ];
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let partly = staff.post(&decisions, &fields).await;
    assert_eq!(partly.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        partly.body.contains("2 décisions enregistrées"),
        "{}",
        partly.body
    );
    assert!(
        partly
            .body
            .contains("« Grande halle du réemploi » : Enveloppe")
    );
    assert!(partly.body.contains("au-delà de l’enveloppe"));
    // The refused decision comes back as typed, to correct.
    assert!(partly.body.contains(&format!(
        "name=\"d_{hall_item}_issue\" value=\"accepte\" checked>"
    )));
    assert!(
        partly
            .body
            .contains(&format!("name=\"d_{hall_item}_montant\" value=\"400 000\""))
    );
    let accepted = store.dossier(workshop).await.unwrap().unwrap();
    assert_eq!(accepted.state, DossierState::Accepted);
    assert_eq!(accepted.granted, Some(Money::from_euros(10_000)));
    assert_eq!(
        store.dossier(grocery).await.unwrap().unwrap().state,
        DossierState::Refused
    );
    assert_eq!(
        store.dossier(hall).await.unwrap().unwrap().state,
        DossierState::OnAgenda
    );
    assert_eq!(
        store.committed(year).await.unwrap(),
        Money::from_euros(10_000)
    );
    let decided = store.agenda_item(workshop_item).await.unwrap().unwrap();
    assert_eq!(decided.amount, Some(Money::from_euros(10_000)));
    assert_eq!(decided.decision_text, "Rapport d’activité à six mois.");
    // A refusal needs its motivation, named with the dossier.
    let unmotivated = staff
        .post(&decisions, &[(f(hall_item, "issue").as_str(), "refuse")])
        .await;
    assert!(
        unmotivated
            .body
            .contains("« Grande halle du réemploi » : Motivation")
    );
    assert!(unmotivated.body.contains(&format!(
        "name=\"d_{hall_item}_issue\" value=\"refuse\" checked>"
    )));

    // The session cannot be closed while the hall waits; it is postponed.
    let early = staff.post(&format!("{url}/tenue"), &[]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("« Grande halle du réemploi »"));
    let postponed = staff
        .post(
            &decisions,
            &[
                (f(hall_item, "issue").as_str(), "ajourne"),
                (
                    f(hall_item, "texte").as_str(),
                    "Plan de financement à revoir.",
                ),
            ],
        )
        .await;
    assert_eq!(postponed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        store.dossier(hall).await.unwrap().unwrap().state,
        DossierState::OnAgenda
    );

    // The minutes: a draft from the attendance and the decisions, edited and saved.
    let draft = staff
        .post(&format!("{url}/proces-verbal"), &[("action", "brouillon")])
        .await;
    assert_eq!(draft.status, StatusCode::OK);
    for expected in [
        "Présents : Claire Dupont (Vice-présidente de la Métropole).",
        "Absents ou excusés : Paul Martin (Maire d’Échirolles).",
        "accord d’une subvention de 10 000,00 €",
        "Motivation : Projet hors du champ du plan.",
        "ajourné à une séance ultérieure",
    ] {
        assert!(draft.body.contains(expected), "{expected}");
    }
    let saved = staff
        .post(
            &format!("{url}/proces-verbal"),
            &[
                ("action", "enregistrer"),
                ("proces_verbal", "Procès-verbal approuvé à l’unanimité."),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let held = staff.post(&format!("{url}/tenue"), &[]).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER);

    // Held: read-only.
    let late = staff
        .post(
            &format!("{url}/proces-verbal"),
            &[("action", "enregistrer"), ("proces_verbal", "Autre texte.")],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("La séance est tenue"));
    let minutes = staff.get(&format!("{url}/proces-verbal")).await;
    assert!(
        minutes
            .body
            .contains("Procès-verbal approuvé à l’unanimité.")
    );
    assert!(!minutes.body.contains("Autre texte."));
    let page = staff.get(&url).await;
    assert!(!page.body.contains("Enregistrer les décisions"));
    assert!(!page.body.contains(&format!("{url}/ordre-du-jour\"")));

    // The applicant sees the decision and its conditions, not the staff's proposal.
    let own = member.get(&format!("/dossiers/{workshop}")).await;
    assert!(
        own.body
            .contains(&format!("Comité de pilotage du 01/12/{year}"))
    );
    assert!(own.body.contains("accord, 10 000,00 €"));
    assert!(own.body.contains("Rapport d’activité à six mois."));
    assert!(!own.body.contains("Avis favorable"));
    assert!(
        staff
            .get(&format!("/dossiers/{workshop}"))
            .await
            .body
            .contains("Avis favorable")
    );

    // The postponed dossier goes on a later session, where an administrator may go beyond
    // the envelope.
    let later = new_session(&mut staff, &format!("{year}-12-15")).await;
    let added = staff
        .post(
            &format!("/administration/comites/{later}/ordre-du-jour"),
            &[("dossier", &hall.to_string())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let hall_later = item(&store, later, hall).await;
    let overridden = admin
        .post(
            &format!("/administration/comites/{later}/decisions"),
            &[
                (f(hall_later, "issue").as_str(), "accepte"),
                (f(hall_later, "montant").as_str(), "400 000"),
                ("depasser", "1"),
            ],
        )
        .await;
    assert_eq!(
        overridden.status,
        StatusCode::SEE_OTHER,
        "{}",
        overridden.body
    );
    assert_eq!(
        store.committed(year).await.unwrap(),
        Money::from_euros(410_000)
    );
    let journal = admin.get("/administration/journal").await;
    assert!(journal.body.contains("Décision d’un comité enregistrée"));
    assert!(journal.body.contains("Enveloppe dépassée"));
    assert!(journal.body.contains("Séance de comité déclarée tenue"));
}

#[tokio::test]
async fn applicants_and_visitors_reach_no_committee_page() {
    let (app, store) = setup(true).await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let dossier = submitted(&mut member, "Atelier de réparation", "12 000").await;
    instruct(&mut staff, dossier, true).await;
    let session = new_session(&mut staff, "2026-12-01").await;
    let added = staff
        .post(
            &format!("/administration/comites/{session}/ordre-du-jour"),
            &[("dossier", &dossier.to_string())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let item = item(&store, session, dossier).await;
    let routes: Vec<_> = essor_web::access::routes()
        .into_iter()
        .filter(|r| r.path.starts_with("/administration/comites"))
        .collect();
    assert!(routes.len() >= 15, "{}", routes.len());
    for route in routes {
        let path = route
            .path
            .replace("{session}", &session.to_string())
            .replace("{item}", &item.to_string())
            .replace("{id}", "1");
        let (status, anonymous) = if route.method == "GET" {
            (
                member.get(&path).await.status,
                crate::get(&app, &path).await.status,
            )
        } else {
            let mut visitor = Browser::new(app.clone());
            (
                member.post(&path, &[("dossier", "1")]).await.status,
                visitor.post(&path, &[]).await.status,
            )
        };
        assert_eq!(status, StatusCode::FORBIDDEN, "{} {path}", route.method);
        assert!(
            matches!(anonymous, StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED),
            "{} {path}: {anonymous}",
            route.method
        );
    }
    // An item of another session is not found through this one.
    let other = new_session(&mut staff, "2026-12-15").await;
    let reply = staff
        .post(
            &format!("/administration/comites/{other}/ordre-du-jour/{item}/retirer"),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(store.agenda(session).await.unwrap().len(), 1);
    // Nothing changed for the applicant's dossier but its state.
    assert_eq!(
        store.dossier(dossier).await.unwrap().unwrap().state,
        DossierState::OnAgenda
    );
}
