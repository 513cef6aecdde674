//! The follow-up of an accepted dossier: the structure's reports, staff's review and
//! evaluation, nobody else reading or writing them; the envelope page by axis and theme, and an
//! acceptance beyond its axis's envelope.

use axum::http::StatusCode;
use chrono::Datelike;
use essor_domain::Money;
use essor_domain::access::Role;
use essor_domain::plan::{AxisEnvelope, BudgetEnvelope, Key};
use essor_domain::reports::{ReportKind, ReportStatus};

use crate::accounts::Browser;
use crate::dossiers::{SIREN, check_all, complete, setup, start};
use crate::profiles::signed_in;

/// A dossier applied for by `member` with `fields`, taken by `staff` to the committee; its
/// number.
async fn on_agenda(member: &mut Browser, staff: &mut Browser, fields: &[(&str, &str)]) -> String {
    let url = start(member).await;
    let id = url.trim_start_matches("/dossiers/").to_owned();
    assert_eq!(
        member.post(&url, fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        member.post(&format!("{url}/deposer"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let steps = format!("/administration/dossiers/{id}/etapes");
    staff.post(&steps, &[("action", "instruire")]).await;
    check_all(staff, &id).await;
    assert_eq!(
        staff.post(&steps, &[("action", "comite")]).await.status,
        StatusCode::SEE_OTHER
    );
    id
}

async fn accept(staff: &mut Browser, id: &str, amount: &str) -> axum::http::StatusCode {
    staff
        .post(
            &format!("/administration/dossiers/{id}/etapes"),
            &[("action", "accepter"), ("montant", amount)],
        )
        .await
        .status
}

/// A report's fields: the activity and the actual amounts of the application's two resources
/// and one expense (`complete()`'s budget).
fn report(activity: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("activite", activity),
        ("emplois_crees", "3"),
        ("emplois_consolides", "1"),
        ("depense_1", "31 000,50"),
        ("ressource_1", "10 000"),
        ("ressource_2", "18 000,50"),
    ]
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the acceptance to the evaluation
async fn a_structure_reports_staff_review_and_evaluate_and_nobody_else_gets_in() {
    let (app, store) = setup(true).await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let (mut other, other_id) = signed_in(&app, &store, "tresorier@autre.org", &[]).await;
    let elsewhere = essor_domain::Siren::parse("552100554").unwrap();
    store
        .add_membership(other_id, &elsewhere, true)
        .await
        .unwrap();

    let id = on_agenda(&mut member, &mut staff, &complete()).await;
    let report_url = format!("/dossiers/{id}/rapports/intermediaire");
    // No report before the decision.
    assert_eq!(member.get(&report_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        accept(&mut staff, &id, "10 000").await,
        StatusCode::SEE_OTHER
    );
    let dossier_id: i64 = id.parse().unwrap();

    // The dossier's page lists both reports with their default due dates.
    let page = member.get(&format!("/dossiers/{id}")).await;
    assert!(page.body.contains("Suivi du projet"), "{}", page.body);
    assert!(page.body.contains(&report_url));
    assert!(
        !page.body.contains("/suivi\""),
        "the follow-up page is staff's"
    );

    // The form shows the budget's planned lines; a non-amount is named, an empty activity too.
    let form = member.get(&report_url).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("30 000,50 €"), "{}", form.body);
    let mut bad = report("Atelier ouvert.");
    bad[3] = ("depense_1", "trente");
    let reply = member.post(&report_url, &bad).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("Dépenses réalisées, ligne 1 :"));
    let mut empty = report("");
    empty.push(("envoi", "transmettre"));
    let reply = member.post(&report_url, &empty).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("Activité réalisée : décrivez-la."));
    // A draft, then the submission; the page shows the gaps to the cent.
    assert_eq!(
        member
            .post(&report_url, &report("Premier semestre"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let mut submit = report("Atelier ouvert trois jours par semaine.");
    submit.push(("envoi", "transmettre"));
    assert_eq!(
        member.post(&report_url, &submit).await.status,
        StatusCode::SEE_OTHER
    );
    let shown = member.get(&report_url).await;
    assert!(shown.body.contains("transmis, en attente d’examen"));
    assert!(shown.body.contains("1 000,00 €"), "the expense's gap");
    assert!(shown.body.contains("-2 000,00 €"), "the resources' gap");
    let stored = store.reports_of(dossier_id).await.unwrap();
    assert_eq!(stored[0].status, ReportStatus::Submitted);
    assert_eq!(
        stored[0].content.financial.expenses_totals().actual,
        Money::from_cents(3_100_050)
    );
    // Submitted: it cannot be rewritten.
    let late = member.post(&report_url, &report("Réécrit")).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("ne peut plus être modifié"));

    // Another structure reads nothing and writes nothing, whatever the number.
    for path in [
        report_url.clone(),
        format!("/dossiers/{id}/rapports/final"),
        "/dossiers/9999/rapports/final".to_owned(),
    ] {
        assert_eq!(
            other.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            other.post(&path, &submit).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let review = format!("/administration/dossiers/{id}/rapports/intermediaire/examen");
    assert_eq!(
        other
            .post(&review, &[("decision", "accepter")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Nor does the structure review its own report, nor see the follow-up page.
    assert_eq!(
        member
            .post(&review, &[("decision", "accepter")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let followup = format!("/administration/dossiers/{id}/suivi");
    assert_eq!(member.get(&followup).await.status, StatusCode::FORBIDDEN);

    // Staff send it back with a reason (required), the structure completes it, staff accept.
    let reply = staff.post(&review, &[("decision", "renvoyer")]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("Motif : dites à la structure"));
    assert_eq!(
        staff
            .post(
                &review,
                &[("decision", "renvoyer"), ("motif", "Joignez les factures.")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(
        member
            .get(&report_url)
            .await
            .body
            .contains("Motif du renvoi : Joignez les factures.")
    );
    assert_eq!(
        member.post(&report_url, &submit).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        staff
            .post(&review, &[("decision", "accepter")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let dues = store.report_dues(dossier_id).await.unwrap();
    assert!(dues[0].received && !dues[1].received);

    // Staff set the due dates; the evaluation waits for the final report.
    let reply = staff
        .post(
            &format!("/administration/dossiers/{id}/rapports/echeances"),
            &[
                ("echeance_intermediaire", "2030-06-30"),
                ("echeance_final", "2030-01-31"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("ne peut précéder"));
    assert_eq!(
        staff
            .post(
                &format!("/administration/dossiers/{id}/rapports/echeances"),
                &[
                    ("echeance_intermediaire", "30/06/2030"),
                    ("echeance_final", "2031-01-31"),
                ],
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let dues = store.report_dues(dossier_id).await.unwrap();
    assert_eq!(dues[1].due.to_string(), "2031-01-31");
    assert!(
        member
            .get(&format!("/dossiers/{id}"))
            .await
            .body
            .contains("31/01/2031")
    );
    let evaluation = [
        ("emplois_crees", "2"),
        ("emplois_consolides", "1"),
        ("resultats", "Atelier ouvert, 40 réparations par mois."),
        ("atteinte", "partiellement_atteints"),
        ("themes", "dechets"),
    ];
    let evaluate = format!("/administration/dossiers/{id}/evaluation");
    let early = staff.post(&evaluate, &evaluation).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early
            .body
            .contains("L’évaluation suppose le rapport final reçu")
    );
    let final_url = format!("/dossiers/{id}/rapports/final");
    assert_eq!(
        member.post(&final_url, &submit).await.status,
        StatusCode::SEE_OTHER
    );
    staff
        .post(
            &format!("/administration/dossiers/{id}/rapports/final/examen"),
            &[("decision", "accepter")],
        )
        .await;
    assert!(
        staff
            .get(&followup)
            .await
            .body
            .contains("Enregistrer l’évaluation")
    );
    assert_eq!(
        staff.post(&evaluate, &evaluation).await.status,
        StatusCode::SEE_OTHER
    );
    let saved = store.evaluation(dossier_id).await.unwrap().unwrap();
    assert_eq!(saved.evaluation.jobs_created, 2);
    assert_eq!(saved.evaluation.themes, [Key::parse("dechets").unwrap()]);
    assert!(
        store
            .reports_of(dossier_id)
            .await
            .unwrap()
            .iter()
            .all(|r| r.status == ReportStatus::Accepted
                && [ReportKind::Intermediate, ReportKind::Final].contains(&r.kind))
    );

    // The indicators count the project, its jobs expected (2) and retained (2).
    let year = chrono::Utc::now().year();
    let indicators = staff
        .get(&format!("/administration/indicateurs?annee={year}"))
        .await;
    assert_eq!(indicators.status, StatusCode::OK);
    assert!(indicators.body.contains(
        "<th scope=\"row\">Projets ESS soutenus dans l’année</th><td class=\"nombre\">1</td>\
         <td class=\"nombre\">environ 40</td><td class=\"nombre\">2 %</td>"
    ));
    assert!(
        indicators
            .body
            .contains("2 prévu(s) à la demande ; 1 projet(s) évalué(s) sur 1")
    );
    assert_eq!(
        member.get("/administration/indicateurs").await.status,
        StatusCode::FORBIDDEN
    );
    // Each decision is in the audit trail.
    let (mut admin, _) =
        signed_in(&app, &store, "admin@metropole.fr", &[Role::Administrator]).await;
    let journal = admin.get("/administration/journal").await;
    for label in [
        "Rapport transmis par la structure",
        "Rapport renvoyé à la structure",
        "Rapport reçu et accepté",
        "Échéances des rapports fixées",
        "Évaluation d’un projet enregistrée",
    ] {
        assert!(journal.body.contains(label), "{label}");
    }
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story: two acceptances, an axis envelope, the page
async fn the_envelope_page_splits_the_year_by_axis_and_theme_and_an_axis_envelope_holds() {
    let (app, store) = setup(true).await;
    let year = chrono::Utc::now().year();
    // The year's envelope gives axis 1 its own 15 000 €.
    let mut plan = store.current_plan("epci:200040715").await.unwrap().unwrap();
    let budget = plan.budgets.iter_mut().find(|b| b.year == year).unwrap();
    budget.axes = vec![AxisEnvelope {
        axis: Key::parse("axe-1").unwrap(),
        amount: Money::from_euros(15_000),
    }];
    store.save_plan(&plan).await.unwrap();
    let _: &BudgetEnvelope = &plan.budgets[0];

    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let (mut admin, _) =
        signed_in(&app, &store, "admin@metropole.fr", &[Role::Administrator]).await;

    let mut themed = complete();
    themed.push(("themes", "dechets"));
    themed.push(("themes", "habitat"));
    let first = on_agenda(&mut member, &mut staff, &themed).await;
    assert_eq!(
        accept(&mut staff, &first, "10 000").await,
        StatusCode::SEE_OTHER
    );
    let second = on_agenda(&mut member, &mut staff, &complete()).await;
    // 10 000 + 8 000 is beyond axis 1's 15 000, though well within the year's 350 000.
    let steps = format!("/administration/dossiers/{second}/etapes");
    let refused = staff
        .post(&steps, &[("action", "accepter"), ("montant", "8 000")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(
            "de l’axe « Axe 1 : Entrepreneuriat et développement d’activités en ESS » : \
             engager 8 000,00 € porterait ses engagements à 18 000,00 €, au-delà de son \
             enveloppe de 15 000,00 € (reste 5 000,00 €)"
        ),
        "{}",
        refused.body
    );
    assert_eq!(
        store.committed(year).await.unwrap(),
        Money::from_euros(10_000)
    );
    // Within the axis's envelope it passes; beyond, only an administrator's override.
    let overridden = admin
        .post(
            &steps,
            &[
                ("action", "accepter"),
                ("montant", "8 000"),
                ("depasser", "1"),
            ],
        )
        .await;
    assert_eq!(overridden.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get("/administration/journal")
            .await
            .body
            .contains("Enveloppe d’un axe dépassée")
    );

    // A first payment on the themed dossier, split between its two themes to the cent.
    store
        .record_payment(
            first.parse().unwrap(),
            &essor_store::funding::NewPayment {
                instalment: None,
                paid_on: chrono::Utc::now().date_naive(),
                amount: Money::from_cents(400_001),
                recorded_by: None,
                today: chrono::Utc::now().date_naive(),
            },
        )
        .await
        .unwrap()
        .unwrap();

    let page = staff
        .get(&format!("/administration/enveloppe?annee={year}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("<span class=\"chiffre\">350 000,00 €</span>"));
    assert!(body.contains("<span class=\"chiffre\">18 000,00 €</span> (2 dossier(s)"));
    assert!(body.contains("<span class=\"chiffre\">332 000,00 €</span>"));
    assert!(body.contains("Versé : <span class=\"chiffre\">4 000,01 €</span>"));
    assert!(body.contains(
        "<th scope=\"row\">Axe 1 : Entrepreneuriat et développement d’activités en ESS</th>\
         <td class=\"nombre\">2</td><td class=\"nombre\">15 000,00 €</td>\
         <td class=\"nombre\">18 000,00 €</td><td class=\"nombre\">4 000,01 €</td>\
         <td class=\"nombre\">-3 000,00 €</td>"
    ));
    assert!(body.contains(
        "<th scope=\"row\">Axe 2 : Communication, promotion et sensibilisation</th>\
         <td class=\"nombre\">0</td><td class=\"nombre\">—</td>\
         <td class=\"nombre\">0,00 €</td><td class=\"nombre\">0,00 €</td><td class=\"nombre\">—</td>"
    ));
    for (theme, count, amount, paid) in [
        ("Déchets", 1, "5 000,00 €", "2 000,01 €"),
        ("Habitat", 1, "5 000,00 €", "2 000,00 €"),
        ("Mobilités", 0, "0,00 €", "0,00 €"),
        ("Sans thème du plan", 1, "8 000,00 €", "0,00 €"),
    ] {
        let row = format!(
            "<th scope=\"row\">{theme}</th><td class=\"nombre\">{count}</td>\
             <td class=\"nombre\">{amount}</td><td class=\"nombre\">{paid}</td>"
        );
        assert!(body.contains(&row), "{row}");
    }
    // The chart is drawn on the server, with its caption.
    assert!(body.contains("<svg"));
    assert!(body.contains("aria-labelledby=\"legende-axes\""));
    // Another year: no envelope, nothing committed, said as such.
    let empty = staff.get("/administration/enveloppe?annee=2001").await;
    assert!(
        empty
            .body
            .contains("le plan ne fixe pas d’enveloppe pour 2001")
    );
    assert_eq!(
        member.get("/administration/enveloppe").await.status,
        StatusCode::FORBIDDEN
    );
}
