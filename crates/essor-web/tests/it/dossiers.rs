//! Funding dossiers on the web: a structure's member applies, staff instruct and decide within
//! the year's envelope, nobody else reads the dossier.

use axum::Router;
use axum::http::StatusCode;
use chrono::Datelike;
use essor_domain::Money;
use essor_domain::access::Role;
use essor_domain::ess::Family;
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::plan::BudgetEnvelope;
use essor_store::Store;
use essor_web::{AppState, router};

use crate::accounts::Browser;
use crate::directory::{directory_state_with, record};
use crate::profiles::signed_in;

/// A real SIRET (valid checksum): the ressourcerie, whose structure the tests act for.
pub(crate) const SIRET: &str = "73282932000074";
pub(crate) const SIREN: &str = "732829320";

/// The one ESS establishment of the tests' directory: the structure that applies.
pub(crate) fn ressourcerie() -> EstablishmentRecord {
    record(
        SIRET,
        "38185",
        Some("LA RESSOURCERIE VERTE"),
        None,
        "47.79Z",
        "G",
        &["dechets"],
        Family::Association,
        "9220",
    )
}

/// A site whose directory holds [`ressourcerie`], with the default plan as shipped.
pub(crate) async fn ressourcerie_site() -> AppState {
    directory_state_with(vec![ressourcerie()]).await
}

/// [`ressourcerie_site`] whose plan has, for this year, an envelope of 350 000 € (not split by
/// axis) when `envelope`, or none.
pub(crate) async fn ressourcerie_state(envelope: bool) -> AppState {
    let state = ressourcerie_site().await;
    // The default plan may already hold this year's envelope: the test sets its own, or none.
    let year = chrono::Utc::now().year();
    let mut plan = essor_domain::plan::default_plan();
    plan.budgets.retain(|b| b.year != year);
    if envelope {
        plan.budgets.push(BudgetEnvelope {
            year,
            amount: Money::from_euros(350_000),
            scope: String::new(),
            axes: Vec::new(),
        });
    }
    state.store.save_plan(&plan).await.unwrap();
    state
}

/// [`ressourcerie_state`]'s router and store.
pub(crate) async fn setup(envelope: bool) -> (Router, std::sync::Arc<dyn Store>) {
    let state = ressourcerie_state(envelope).await;
    let store = std::sync::Arc::clone(&state.store);
    (router(state), store)
}

/// A complete application's fields.
pub(crate) fn complete() -> Vec<(&'static str, &'static str)> {
    vec![
        ("titre", "Atelier de réparation"),
        ("resume", "Un atelier de réparation de vélos et d’objets."),
        (
            "description",
            "Ouvert trois jours par semaine, avec des bénévoles.",
        ),
        ("communes", "38185"),
        ("quartiers", "qpv"),
        ("axe", "axe-1"),
        ("emplois_crees", "2"),
        ("emplois_consolides", "1"),
        ("montant_demande", "12 000"),
        ("depenses_1_libelle", "Salaires"),
        ("depenses_1_montant", "30 000,50"),
        ("ressources_1_libelle", "Métropole"),
        ("ressources_1_montant", "12 000"),
        ("ressources_2_libelle", "Région"),
        ("ressources_2_montant", "18 000,50"),
        ("cofinanceurs", "Région Auvergne-Rhône-Alpes"),
    ]
}

/// Staff record every instruction check of a dossier.
pub(crate) async fn check_all(staff: &mut Browser, id: &str) {
    let mut fields = vec![];
    for (key, _) in essor_domain::dossier::INSTRUCTION_CHECKS {
        fields.push(("controles", key));
    }
    let reply = staff
        .post(&format!("/administration/dossiers/{id}/controles"), &fields)
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

pub(crate) async fn start(member: &mut Browser) -> String {
    let reply = member
        .post("/dossiers", &[("siret", SIRET), ("titre", "Atelier")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    reply.location.unwrap()
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the draft to the decision
async fn a_dossier_is_applied_for_instructed_and_decided_within_the_envelope() {
    let (app, store) = setup(true).await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;

    let list = member.get("/dossiers").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("value=\"{SIRET}\"")));
    let url = start(&mut member).await;
    let id = url.trim_start_matches("/dossiers/").to_owned();

    // Submitting an incomplete draft lists what it lacks; nothing moves.
    let refused = member.post(&format!("{url}/deposer"), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Le dossier n’est pas complet"));
    assert!(refused.body.contains("Résumé : à remplir."));

    // An amount that is not one is named; then the complete application is saved and submitted.
    let mut bad = complete();
    bad.push(("depenses_2_libelle", "Matériel"));
    bad.push(("depenses_2_montant", "douze"));
    let reply = member.post(&url, &bad).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("Dépenses, ligne 2 :"));
    let saved = member.post(&url, &complete()).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = member.get(&url).await;
    assert!(
        page.body.contains("La demande est complète"),
        "{}",
        page.body
    );
    let submitted = member.post(&format!("{url}/deposer"), &[]).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    let dossier = store.dossier(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(dossier.state.code(), "depose");
    assert_eq!(dossier.application.asked, Money::from_euros(12_000));
    assert_eq!(
        dossier.application.budget.total_expenses(),
        Money::from_cents(3_000_050)
    );
    // Submitted: the applicant can no longer edit it.
    let late = member.post(&url, &complete()).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Staff find it among the submitted ones and instruct it.
    let waiting = staff.get("/administration/dossiers").await;
    assert!(waiting.body.contains("Atelier de réparation"));
    let steps = format!("/administration/dossiers/{id}/etapes");
    assert_eq!(
        staff.post(&steps, &[("action", "instruire")]).await.status,
        StatusCode::SEE_OTHER
    );
    // A correction asked for, with its reason; the applicant edits and sends it back.
    let correction = staff
        .post(
            &steps,
            &[
                ("action", "correction"),
                ("motif_correction", "incomplet"),
                ("texte", "Joignez le budget de l’an dernier."),
            ],
        )
        .await;
    assert_eq!(correction.status, StatusCode::SEE_OTHER);
    let page = member.get(&url).await;
    assert!(page.body.contains("Joignez le budget de l’an dernier."));
    assert!(page.body.contains("Envoyer les corrections"));
    member.post(&url, &complete()).await;
    assert_eq!(
        member.post(&format!("{url}/deposer"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    // A private note stays with staff; a message reaches the applicant.
    staff
        .post(
            &format!("{url}/messages"),
            &[
                ("message", "Porteur solide, déjà soutenu."),
                ("interne", "1"),
            ],
        )
        .await;
    staff
        .post(
            &format!("{url}/messages"),
            &[("message", "Merci, dossier complet.")],
        )
        .await;
    let page = member.get(&url).await;
    assert!(!page.body.contains("Porteur solide"));
    assert!(page.body.contains("Merci, dossier complet."));
    assert!(staff.get(&url).await.body.contains("Porteur solide"));
    // The applicant cannot write notes nor take staff's steps.
    assert_eq!(
        member
            .post(
                &format!("{url}/messages"),
                &[("message", "x"), ("interne", "1")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member.post(&steps, &[("action", "comite")]).await.status,
        StatusCode::FORBIDDEN
    );

    // The committee needs every instruction check first.
    let unchecked = staff.post(&steps, &[("action", "comite")]).await;
    assert_eq!(unchecked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unchecked
            .body
            .contains("Contrôles d’instruction obligatoires non renseignés")
    );
    staff
        .post(
            &format!("/administration/dossiers/{id}/controles"),
            &[("controles", "eligibilite"), ("controles", "plan")],
        )
        .await;
    let still = staff.post(&steps, &[("action", "comite")]).await;
    assert!(still.body.contains("Budget vérifié"));
    assert!(
        !still
            .body
            .contains("Projet conforme aux axes et aux thèmes du plan.")
    );
    check_all(&mut staff, &id).await;
    // On the agenda; the committee's amount is checked: not above the amount asked.
    assert_eq!(
        staff.post(&steps, &[("action", "comite")]).await.status,
        StatusCode::SEE_OTHER
    );
    let above = staff
        .post(&steps, &[("action", "accepter"), ("montant", "12 000,01")])
        .await;
    assert_eq!(above.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(above.body.contains("dépasse le montant demandé"));
    let accepted = staff
        .post(&steps, &[("action", "accepter"), ("montant", "10 000")])
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let year = chrono::Utc::now().year();
    assert_eq!(
        store.committed(year).await.unwrap(),
        Money::from_euros(10_000)
    );
    let page = member.get(&url).await;
    assert!(page.body.contains("subvention accordée de 10 000,00 €"));
    assert!(
        staff
            .get("/administration/dossiers?etat=accepte")
            .await
            .body
            .contains("engagé 10 000,00 €")
    );

    // Exports: the columns chosen, amounts readable by a machine (CSV) or as euros (XLSX).
    let csv = staff
        .get("/administration/dossiers/export?format=csv&etat=accepte&colonnes=numero&colonnes=projet&colonnes=montant_demande&colonnes=montant_accorde&colonnes=quartiers")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        csv.body,
        format!(
            "N°,Projet,Montant demandé (€),Montant accordé (€),Quartiers\n{id},Atelier de réparation,12000.00,10000.00,QPV\n"
        )
    );
    let none = staff
        .get("/administration/dossiers/export?format=csv&etat=refuse")
        .await;
    assert_eq!(none.body.lines().count(), 1, "the header only");
    let xlsx = staff
        .get("/administration/dossiers/export?format=xlsx&etat=accepte")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes)).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut workbook, "Dossiers").unwrap();
    assert_eq!(
        sheet.get((0, 2)),
        Some(&calamine::Data::String("Projet".into()))
    );
    assert_eq!(
        sheet.get((1, 2)),
        Some(&calamine::Data::String("Atelier de réparation".into()))
    );
    assert_eq!(sheet.get((1, 6)), Some(&calamine::Data::Float(10_000.0)));
    // The applicant cannot export.
    assert_eq!(
        member
            .get("/administration/dossiers/export?format=csv")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_commitment_beyond_the_envelope_needs_an_administrator() {
    let (app, store) = setup(true).await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let (mut admin, _) =
        signed_in(&app, &store, "admin@metropole.fr", &[Role::Administrator]).await;
    let mut fields = complete();
    fields.retain(|(name, _)| {
        !name.starts_with("ressources_")
            && !name.starts_with("depenses_")
            && *name != "montant_demande"
    });
    fields.extend([
        ("montant_demande", "400 000"),
        ("depenses_1_libelle", "Bâtiment"),
        ("depenses_1_montant", "400 000"),
        ("ressources_1_libelle", "Métropole"),
        ("ressources_1_montant", "400 000"),
    ]);
    let url = start(&mut member).await;
    let id = url.trim_start_matches("/dossiers/").to_owned();
    member.post(&url, &fields).await;
    assert_eq!(
        member.post(&format!("{url}/deposer"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let steps = format!("/administration/dossiers/{id}/etapes");
    staff.post(&steps, &[("action", "instruire")]).await;
    check_all(&mut staff, &id).await;
    staff.post(&steps, &[("action", "comite")]).await;
    let refused = staff
        .post(&steps, &[("action", "accepter"), ("montant", "400 000")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("au-delà de l’enveloppe"));
    // A chargée de mission cannot override, even by asking.
    let refused = staff
        .post(
            &steps,
            &[
                ("action", "accepter"),
                ("montant", "400 000"),
                ("depasser", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let overridden = admin
        .post(
            &steps,
            &[
                ("action", "accepter"),
                ("montant", "400 000"),
                ("depasser", "1"),
            ],
        )
        .await;
    assert_eq!(overridden.status, StatusCode::SEE_OTHER);
    let year = chrono::Utc::now().year();
    assert_eq!(
        store.committed(year).await.unwrap(),
        Money::from_euros(400_000)
    );
    let audit = admin.get("/administration/journal").await;
    assert!(audit.body.contains("Enveloppe dépassée"), "{}", audit.body);
}

#[tokio::test]
async fn another_structure_cannot_read_a_dossier_by_changing_its_number() {
    let (app, store) = setup(false).await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let url = start(&mut member).await;
    let (mut other, other_id) = signed_in(&app, &store, "tresorier@autre.org", &[]).await;
    let elsewhere = essor_domain::Siren::parse("552100554").unwrap();
    store
        .add_membership(other_id, &elsewhere, true)
        .await
        .unwrap();
    for path in [url.clone(), "/dossiers/9999".to_owned()] {
        assert_eq!(
            other.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        other
            .post(&format!("{url}/messages"), &[("message", "bonjour")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Nor start one for a structure it does not act for.
    let reply = other
        .post("/dossiers", &[("siret", SIRET), ("titre", "Détournement")])
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply
            .body
            .contains("vous n’agissez pas pour cette structure")
    );
    // Anonymous visitors are asked to sign in.
    assert_eq!(crate::get(&app, &url).await.status, StatusCode::SEE_OTHER);
    // Without an envelope for the year, a decision is refused.
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    member.post(&url, &complete()).await;
    member.post(&format!("{url}/deposer"), &[]).await;
    let id = url.trim_start_matches("/dossiers/");
    let steps = format!("/administration/dossiers/{id}/etapes");
    staff.post(&steps, &[("action", "instruire")]).await;
    check_all(&mut staff, id).await;
    staff.post(&steps, &[("action", "comite")]).await;
    let refused = staff
        .post(&steps, &[("action", "accepter"), ("montant", "1 000")])
        .await;
    assert!(refused.body.contains("aucune enveloppe n’est définie"));
}

#[tokio::test]
async fn staff_instruct_dossiers_but_do_not_apply_for_a_structure() {
    let (app, store) = setup(false).await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let reply = staff
        .post("/dossiers", &[("siret", SIRET), ("titre", "Pour eux")])
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply
            .body
            .contains("vous n’agissez pas pour cette structure")
    );
    assert!(store.dossiers(None).await.unwrap().is_empty());
}
