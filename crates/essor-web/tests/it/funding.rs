//! Documents, the agreement and payments on the web: uploads checked by their content and
//! bounded, files served to the dossier's structure and staff only, the agreement generated as
//! a PDF that says the amount and the beneficiary, the signed copy dated, payments refused above
//! the grant and after an overdue report.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Datelike, Duration, Utc};
use essor_domain::Money;
use essor_domain::access::Role;
use essor_domain::document::DocumentKind;
use essor_domain::reports::{ReportContent, ReportKind, ReportStatus};
use essor_store::dossiers::NewDossier;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::accounts::Browser;
use crate::dossiers::{SIREN, check_all, complete, setup, start};
use crate::profiles::signed_in;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const EXE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";

struct Sent {
    status: StatusCode,
    body: String,
    location: Option<String>,
}

/// Posts a multipart form (text fields and one file) with the browser's cookies, the CSRF token
/// in the query as the pages' forms do.
async fn upload(
    browser: &mut Browser,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> Sent {
    if browser.cookie("essor_csrf").is_none() {
        browser.get("/connexion").await;
    }
    let token = browser.cookie("essor_csrf").unwrap().to_owned();
    let boundary = "----essor-funding-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (field, filename, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut cookies = format!("essor_csrf={token}");
    if let Some(session) = browser.cookie("essor_session") {
        cookies = format!("{cookies}; essor_session={session}");
    }
    let request = Request::post(format!("{path}?_csrf={token}"))
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
    Sent {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        location,
    }
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story: pieces added, refused, served, withdrawn
async fn application_pieces_are_checked_and_served_only_to_the_structure_and_staff() {
    let (app, store) = setup(false).await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let url = start(&mut member).await;
    let id: i64 = url.trim_start_matches("/dossiers/").parse().unwrap();
    let pieces = format!("{url}/documents");

    let added = upload(
        &mut member,
        &pieces,
        &[("nature", "statuts")],
        ("piece_dossier", "Statuts 2026 (signés).pdf", PDF),
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(added.location.unwrap().contains("fait=piece"));
    // A program renamed .pdf is refused by its content; so is a file above 10 Mio.
    let renamed = upload(
        &mut member,
        &pieces,
        &[("nature", "rib")],
        ("piece_dossier", "rib.pdf", EXE),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(renamed.body.contains(
        "Pièce du dossier : seuls les fichiers PDF, PNG et JPEG sont acceptés (contenu non reconnu)."
    ));
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let too_large = upload(
        &mut member,
        &pieces,
        &[("nature", "budget_previsionnel")],
        ("piece_dossier", "budget.pdf", &big),
    )
    .await;
    assert_eq!(too_large.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_large
            .body
            .contains("Pièce du dossier : le fichier dépasse la taille maximale de 10 Mio.")
    );
    // An image named like a program is kept under its real type.
    let image = upload(
        &mut member,
        &pieces,
        &[("nature", "autre")],
        ("piece_dossier", "plan.exe", PNG),
    )
    .await;
    assert_eq!(image.status, StatusCode::SEE_OTHER);
    let documents = store.documents(id).await.unwrap();
    assert_eq!(documents.len(), 2, "the refused files are not stored");
    assert_eq!(documents[0].file_name, "Statuts_2026_signes.pdf");
    assert_eq!(documents[0].kind, DocumentKind::Statutes);
    assert_eq!(documents[1].file_name, "plan.png");
    assert_eq!(documents[1].content_type, "image/png");
    let statutes = format!("{url}/documents/{}", documents[0].id);

    // The structure and staff download it, as an attachment never sniffed.
    let page = member.get(&url).await;
    assert!(page.body.contains("Statuts_2026_signes.pdf"));
    assert!(staff.get(&url).await.body.contains("plan.png"));
    for browser in [&mut member, &mut staff] {
        let file = browser.get(&statutes).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.bytes, PDF);
        assert_eq!(file.headers["content-type"], "application/pdf");
        assert_eq!(
            file.headers["content-disposition"],
            "attachment; filename=\"Statuts_2026_signes.pdf\""
        );
        assert_eq!(file.headers["x-content-type-options"], "nosniff");
    }
    // Another structure gets nothing, through this dossier or through its own.
    let (mut other, other_id) = signed_in(&app, &store, "tresorier@autre.org", &[]).await;
    let elsewhere = essor_domain::Siren::parse("552100554").unwrap();
    store
        .add_membership(other_id, &elsewhere, true)
        .await
        .unwrap();
    let own = store
        .create_dossier(&NewDossier {
            siret: "55210055400013",
            siren: "552100554",
            year: Utc::now().year(),
            application: &essor_domain::dossier::Application::default(),
            created_by: Some(other_id),
        })
        .await
        .unwrap();
    assert_eq!(other.get(&statutes).await.status, StatusCode::FORBIDDEN);
    let through_own = format!("/dossiers/{}/documents/{}", own.id, documents[0].id);
    assert_eq!(other.get(&through_own).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.post(&format!("{statutes}/retirer"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let sneaked = upload(
        &mut other,
        &pieces,
        &[("nature", "statuts")],
        ("piece_dossier", "x.pdf", PDF),
    )
    .await;
    assert_eq!(sneaked.status, StatusCode::FORBIDDEN);
    assert_eq!(
        crate::get(&app, &statutes).await.status,
        StatusCode::SEE_OTHER
    );

    // Withdrawn: no longer served to the structure; staff keep it.
    let removed = member.post(&format!("{statutes}/retirer"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(member.get(&statutes).await.status, StatusCode::NOT_FOUND);
    assert_eq!(staff.get(&statutes).await.status, StatusCode::OK);
    assert!(
        !member
            .get(&url)
            .await
            .body
            .contains("Statuts_2026_signes.pdf")
    );

    // A message carries an attachment, shown in the thread.
    let message = upload(
        &mut member,
        &format!("{url}/messages"),
        &[("message", "Voici notre RIB.")],
        ("piece_jointe", "RIB.pdf", PDF),
    )
    .await;
    assert_eq!(message.status, StatusCode::SEE_OTHER, "{}", message.body);
    let thread = staff.get(&url).await.body;
    assert!(thread.contains("Voici notre RIB."));
    assert!(thread.contains("Pièce jointe : <a href=\"/dossiers/"));
    assert!(thread.contains("RIB.pdf"));
    let bad = upload(
        &mut member,
        &format!("{url}/messages"),
        &[("message", "Un programme.")],
        ("piece_jointe", "rib.pdf", EXE),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Pièce jointe : seuls les fichiers PDF"));
    // Without a file, the multipart message form still sends a plain message.
    let plain = upload(
        &mut member,
        &format!("{url}/messages"),
        &[("message", "Sans pièce.")],
        ("piece_jointe", "", b""),
    )
    .await;
    assert_eq!(plain.status, StatusCode::SEE_OTHER, "{}", plain.body);

    // Submitted, the application's pieces no longer change.
    member.post(&url, &complete()).await;
    assert_eq!(
        member.post(&format!("{url}/deposer"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let late = upload(
        &mut member,
        &pieces,
        &[("nature", "statuts")],
        ("piece_dossier", "x.pdf", PDF),
    )
    .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("ses pièces ne peuvent plus changer"));
    let image = format!("{url}/documents/{}", documents[1].id);
    assert_eq!(
        member.post(&format!("{image}/retirer"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let journal = {
        let (mut admin, _) =
            signed_in(&app, &store, "admin@metropole.fr", &[Role::Administrator]).await;
        admin.get("/administration/journal").await.body
    };
    assert!(journal.contains("Pièce ajoutée à un dossier"));
    assert!(journal.contains("Pièce retirée d’un dossier"));
}

/// The structure sends a report and staff accept it.
async fn accept_report(store: &dyn essor_store::Store, dossier: i64, kind: ReportKind) {
    store
        .save_report(dossier, kind, &ReportContent::default(), true, Utc::now())
        .await
        .unwrap()
        .unwrap();
    store
        .review_report(
            dossier,
            kind,
            ReportStatus::Accepted,
            None,
            None,
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap();
}

fn pdf_text(bytes: &[u8]) -> String {
    let pdf = lopdf::Document::load_mem(bytes).expect("a PDF");
    pdf.get_pages()
        .keys()
        .map(|n| pdf.extract_text(&[*n]).expect("text of a page"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A dossier of the member's structure accepted for 30 000 €; its URL.
async fn accepted(member: &mut Browser, staff: &mut Browser) -> String {
    let url = start(member).await;
    let id = url.trim_start_matches("/dossiers/").to_owned();
    let mut fields = complete();
    fields.retain(|(name, _)| {
        !name.starts_with("ressources_")
            && !name.starts_with("depenses_")
            && *name != "montant_demande"
    });
    fields.extend([
        ("montant_demande", "30 000"),
        ("depenses_1_libelle", "Salaires"),
        ("depenses_1_montant", "48 000,50"),
        ("ressources_1_libelle", "Métropole"),
        ("ressources_1_montant", "30 000"),
        ("ressources_2_libelle", "Région"),
        ("ressources_2_montant", "18 000,50"),
    ]);
    assert_eq!(
        member.post(&url, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        member.post(&format!("{url}/deposer"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let steps = format!("/administration/dossiers/{id}/etapes");
    staff.post(&steps, &[("action", "instruire")]).await;
    check_all(staff, &id).await;
    staff.post(&steps, &[("action", "comite")]).await;
    let accepted = staff
        .post(&steps, &[("action", "accepter"), ("montant", "30 000")])
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    url
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story: schedule, agreement, signature, payments
async fn an_accepted_dossier_gets_its_agreement_schedule_and_payments() {
    let (app, store) = setup(true).await;
    let (mut member, member_id) = signed_in(&app, &store, "presidente@ressourcerie.org", &[]).await;
    let siren = essor_domain::Siren::parse(SIREN).unwrap();
    store.add_membership(member_id, &siren, true).await.unwrap();
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let url = accepted(&mut member, &mut staff).await;
    let id: i64 = url.trim_start_matches("/dossiers/").parse().unwrap();
    let admin_url = format!("/administration/dossiers/{id}");

    let page = staff.get(&url).await.body;
    assert!(
        page.contains("Convention obligatoire : la subvention (30 000,00 €) dépasse 23 000,00 €.")
    );
    assert!(page.contains("proposition : 50 % à la signature, 50 % au rapport final"));
    // The agreement needs the schedule it states.
    let early = staff.post(&format!("{admin_url}/convention"), &[]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("fixez d’abord l’échéancier"));

    // A schedule that does not total the grant is refused; then half now, half on a final
    // report that was due yesterday.
    let today = Utc::now().date_naive();
    let yesterday = (today - Duration::days(1)).to_string();
    let schedule = format!("{admin_url}/echeancier");
    let wrong = staff
        .post(
            &schedule,
            &[
                ("montant_1", "15 000"),
                ("condition_1", "signature"),
                ("date_1", &today.to_string()),
                ("montant_2", "14 000"),
                ("condition_2", "rapport_final"),
                ("date_2", &yesterday),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains(
        "Échéancier : les échéances totalisent 29 000,00 € au lieu du montant accordé (30 000,00 €)."
    ));
    assert_eq!(
        member
            .post(&schedule, &[("montant_1", "30 000")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let set = staff
        .post(
            &schedule,
            &[
                ("montant_1", "15 000"),
                ("condition_1", "signature"),
                ("date_1", &today.to_string()),
                ("montant_2", "15 000"),
                ("condition_2", "rapport_final"),
                ("date_2", &yesterday),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    // The reports the payments wait for: the intermediate one in and accepted, the final one
    // due yesterday.
    let dues = staff
        .post(
            &format!("{admin_url}/rapports/echeances"),
            &[
                (
                    "echeance_intermediaire",
                    &(today - Duration::days(2)).to_string(),
                ),
                ("echeance_final", &yesterday),
            ],
        )
        .await;
    assert_eq!(dues.status, StatusCode::SEE_OTHER, "{}", dues.body);
    accept_report(store.as_ref(), id, ReportKind::Intermediate).await;

    // The agreement, generated as a PDF, states the beneficiary, the amount and the schedule.
    let generated = staff.post(&format!("{admin_url}/convention"), &[]).await;
    assert_eq!(
        generated.status,
        StatusCode::SEE_OTHER,
        "{}",
        generated.body
    );
    let agreement = store
        .documents(id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.kind == DocumentKind::AgreementGenerated)
        .unwrap();
    let file = member
        .get(&format!("{url}/documents/{}", agreement.id))
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers["content-type"], "application/pdf");
    let text = pdf_text(&file.bytes);
    for expected in [
        "Convention de subvention",
        "La Ressourcerie Verte",
        "73282932000074",
        "30\u{a0}000,00\u{a0}€",
        "15\u{a0}000,00\u{a0}€",
        "à la réception du rapport final",
        "Atelier de réparation",
    ] {
        assert!(
            text.contains(expected),
            "« {expected} » missing from:\n{text}"
        );
    }

    // The signed copy, with its date, starts the open-data clock.
    let signed = upload(
        &mut staff,
        &format!("{admin_url}/convention/signee"),
        &[("date_signature", "02/03/2026")],
        ("convention_signee", "convention signée.pdf", PDF),
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let dossier = store.dossier(id).await.unwrap().unwrap();
    assert_eq!(
        dossier.agreement_signed_on,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
    );
    let page = member.get(&url).await.body;
    assert!(page.contains("Convention signée le 02/03/2026."));
    assert!(page.contains("au plus tard le <strong>02/06/2026</strong>"));
    let undated = upload(
        &mut staff,
        &format!("{admin_url}/convention/signee"),
        &[("date_signature", "31/02/2026")],
        ("convention_signee", "c.pdf", PDF),
    )
    .await;
    assert_eq!(undated.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        undated
            .body
            .contains("Date de signature : la date « 31/02/2026 »")
    );

    // Payments: blocked while the final report is overdue; once it is received, the first
    // half; nothing is ever paid above the grant.
    let instalments = store.schedule(id).await.unwrap();
    let payments = format!("{admin_url}/versements");
    let blocked = staff
        .post(
            &payments,
            &[
                ("versement_echeance", &instalments[0].id.to_string()),
                ("versement_date", &today.to_string()),
                ("versement_montant", "15 000"),
            ],
        )
        .await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blocked.body.contains(&format!(
        "Paiement bloqué : le rapport final attendu le {} n’a pas été reçu.",
        (today - Duration::days(1)).format("%d/%m/%Y")
    )));
    assert!(
        staff
            .get(&url)
            .await
            .body
            .contains("en retard : les versements sont suspendus")
    );
    // Staff accept the final report: it is received.
    accept_report(store.as_ref(), id, ReportKind::Final).await;
    let first = staff
        .post(
            &payments,
            &[
                ("versement_echeance", &instalments[0].id.to_string()),
                ("versement_date", &today.to_string()),
                ("versement_montant", "15 000"),
            ],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let above = staff
        .post(
            &payments,
            &[
                ("versement_echeance", &instalments[1].id.to_string()),
                ("versement_date", &today.to_string()),
                ("versement_montant", "15 000,01"),
            ],
        )
        .await;
    assert_eq!(above.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(above.body.contains(
        "Paiement : 15 000,01 € porterait les versements à 30 000,01 €, au-delà du montant accordé (30 000,00 €)."
    ));
    let second = staff
        .post(
            &payments,
            &[
                ("versement_echeance", &instalments[1].id.to_string()),
                ("versement_date", &today.to_string()),
                ("versement_montant", "15 000"),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    assert_eq!(
        store.paid(dossier.year).await.unwrap(),
        Money::from_euros(30_000)
    );
    // The applicant sees the schedule and the payments, but records none.
    let page = member.get(&url).await.body;
    assert!(page.contains("Versements effectués"));
    assert!(page.contains("Versé : 30 000,00 € ; reste à verser : 0,00 €."));
    assert!(!page.contains("Enregistrer un versement"));
    assert_eq!(
        member
            .post(&payments, &[("versement_montant", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (mut admin, _) =
        signed_in(&app, &store, "admin@metropole.fr", &[Role::Administrator]).await;
    let journal = admin.get("/administration/journal").await.body;
    for label in [
        "Échéancier de versement fixé",
        "Convention générée",
        "Convention signée déposée",
        "Paiement enregistré",
    ] {
        assert!(journal.contains(label), "{label}");
    }

    // Reopened, the decision's agreement documents are withdrawn.
    let reopened = staff
        .post(&format!("{admin_url}/etapes"), &[("action", "rouvrir")])
        .await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER);
    assert_eq!(
        member
            .get(&format!("{url}/documents/{}", agreement.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_administrator_edits_the_agreement_template_and_unknown_placeholders_are_refused() {
    let (app, store) = setup(false).await;
    let (mut admin, _) =
        signed_in(&app, &store, "admin@metropole.fr", &[Role::Administrator]).await;
    let (mut staff, _) =
        signed_in(&app, &store, "agent@metropole.fr", &[Role::ChargeDeMission]).await;
    let page = admin.get("/administration/convention").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Le modèle fourni avec essor est en vigueur")
    );
    assert!(
        page.body
            .contains("## Article 2 : montant de la subvention")
    );
    let refused = admin
        .post(
            "/administration/convention",
            &[(
                "modele",
                "# Convention\n\nMontant : {montant} pour {benef}.",
            )],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Modèle de convention, ligne 3 : le champ « {benef} » est inconnu")
    );
    assert!(store.agreement_template().await.unwrap().is_none());
    let saved = admin
        .post(
            "/administration/convention",
            &[(
                "modele",
                "# Convention\r\n\r\nMontant : {montant}.\r\n\r\n{echeancier}",
            )],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        store.agreement_template().await.unwrap().unwrap().body,
        "# Convention\n\nMontant : {montant}.\n\n{echeancier}"
    );
    // A chargée de mission uses the template but does not edit it.
    assert_eq!(
        staff.get("/administration/convention").await.status,
        StatusCode::FORBIDDEN
    );
}
