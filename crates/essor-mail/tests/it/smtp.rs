//! Mails sent over SMTP to the in-process sink, and read back.

use std::net::TcpListener;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use essor_mail::testing::{ParsedMail, SmtpSink};
use essor_mail::{
    Compose, Delivery, EmailConfirmation, Link, MailError, MailSettings, Mailbox, Mailer,
    Notification, PasswordChanged, PasswordReset, PublicUrl, Site, SmtpUrl,
};

fn site() -> Site {
    Site::new(
        PublicUrl::parse("https://ess.example.fr/").unwrap(),
        "Métropole — essor",
    )
}

fn camille() -> Mailbox {
    "Camille Dupré <camille@example.org>".parse().unwrap()
}

fn mailer_to(sink: &SmtpSink) -> Mailer {
    let settings = MailSettings {
        smtp_url: Some(sink.url()),
        from: "Métropole — essor <ess@example.fr>".parse().unwrap(),
        reply_to: Some("Service ESS <service-ess@example.fr>".parse().unwrap()),
        ..MailSettings::default()
    };
    Mailer::from_settings(&settings, std::path::Path::new("/nonexistent")).unwrap()
}

/// Sends `message` through a fresh sink and returns what the sink received.
async fn send_and_read(message: &impl Compose) -> (essor_mail::testing::ReceivedMail, ParsedMail) {
    let sink = SmtpSink::start().unwrap();
    let mail = message.compose(&site()).unwrap();
    let delivery = mailer_to(&sink).send(&camille(), &mail).await.unwrap();
    assert_eq!(delivery, Delivery::Smtp);
    let received = sink.messages();
    assert_eq!(received.len(), 1, "one mail received");
    let parsed = received[0].parsed();
    (received[0].clone(), parsed)
}

fn assert_both_parts_carry(mail: &ParsedMail, needle: &str) {
    let text = mail.text.as_deref().expect("a text/plain part");
    let html = mail.html.as_deref().expect("a text/html part");
    assert!(text.contains(needle), "text part lacks {needle:?}:\n{text}");
    assert!(html.contains(needle), "HTML part lacks {needle:?}:\n{html}");
}

#[tokio::test]
async fn the_confirmation_mail_arrives_with_its_link_in_both_parts() {
    let link = site().link("compte/confirmer", &[("jeton", "Zx9-abc_DEF")]);
    let (received, mail) = send_and_read(&EmailConfirmation {
        name: Some("Camille Dupré".to_owned()),
        link: link.clone(),
        expires_at: Utc.with_ymd_and_hms(2026, 11, 28, 14, 5, 0).unwrap(),
    })
    .await;

    assert_eq!(received.from, "ess@example.fr");
    assert_eq!(received.to, vec!["camille@example.org".to_owned()]);
    assert_eq!(mail.subject, "Confirmez votre adresse électronique");
    assert_eq!(
        mail.from,
        Some((
            Some("Métropole — essor".to_owned()),
            "ess@example.fr".to_owned()
        ))
    );
    assert_eq!(mail.to, vec!["camille@example.org".to_owned()]);
    assert_eq!(
        mail.first_link().as_deref(),
        Some("https://ess.example.fr/compte/confirmer?jeton=Zx9-abc_DEF")
    );
    assert_both_parts_carry(&mail, "Bonjour Camille Dupré,");
    assert_both_parts_carry(&mail, link.as_str());
    assert_both_parts_carry(
        &mail,
        "valable jusqu’au 28/11/2026 à 15:05 (heure de Paris)",
    );
    let html = mail.html.as_deref().unwrap();
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(html.contains("<html lang=\"fr\">"));
}

#[tokio::test]
async fn headers_mark_the_mail_automatic_and_encode_the_subject() {
    let (received, mail) = send_and_read(&PasswordReset {
        name: None,
        link: site().link("compte/reinitialiser", &[("jeton", "t")]),
        expires_at: Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap(),
    })
    .await;
    assert_eq!(mail.header("Auto-Submitted"), Some("auto-generated"));
    let message_id = mail.header("Message-ID").expect("a Message-ID");
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@example.fr>"),
        "{message_id}"
    );
    assert!(mail.header("Date").is_some());
    assert_eq!(
        mail.header("Reply-To"),
        Some("\"Service ESS\" <service-ess@example.fr>")
    );
    // The raw headers are 7-bit: the accented subject travels as an encoded word.
    let raw = String::from_utf8(received.data.clone()).unwrap();
    let head = &raw[..raw.find("\r\n\r\n").unwrap()];
    assert!(head.is_ascii(), "{head}");
    assert!(!head.contains("Réinitialisation"));
    assert_eq!(mail.subject, "Réinitialisation de votre mot de passe");
    assert_both_parts_carry(&mail, "Bonjour,");
    assert_both_parts_carry(
        &mail,
        "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message",
    );
    assert_both_parts_carry(&mail, "01/07/2026 à 14:00 (heure de Paris)");
    assert_eq!(
        mail.first_link().as_deref(),
        Some("https://ess.example.fr/compte/reinitialiser?jeton=t")
    );
}

#[tokio::test]
async fn the_password_changed_notice_points_to_a_reset() {
    let (_, mail) = send_and_read(&PasswordChanged {
        name: Some("Camille".to_owned()),
        changed_at: Utc.with_ymd_and_hms(2026, 11, 28, 14, 5, 0).unwrap(),
        reset_request_link: site().link("compte/mot-de-passe-oublie", &[]),
    })
    .await;
    assert_eq!(mail.subject, "Votre mot de passe a été modifié");
    assert_both_parts_carry(
        &mail,
        "a été modifié le 28/11/2026 à 15:05 (heure de Paris)",
    );
    assert_both_parts_carry(
        &mail,
        "Si vous n’êtes pas à l’origine de cette modification",
    );
    assert_eq!(
        mail.first_link().as_deref(),
        Some("https://ess.example.fr/compte/mot-de-passe-oublie")
    );
}

#[tokio::test]
async fn a_notification_escapes_a_script_in_html_and_keeps_it_inert_text() {
    let (_, mail) = send_and_read(&Notification {
        name: Some("<script>alert('x')</script>".to_owned()),
        subject: "Dossier « Épicerie <solidaire> » : décision rendue".to_owned(),
        paragraphs: vec![
            "Le comité a rendu sa décision sur le dossier « Épicerie <solidaire> ».".to_owned(),
            "Montant accordé : 12 500 €.".to_owned(),
        ],
        link: Some(Link {
            label: "Voir le dossier".to_owned(),
            url: site().link("dossiers/42", &[("onglet", "décision"), ("a", "1")]),
        }),
    })
    .await;
    assert_eq!(
        mail.subject,
        "Dossier « Épicerie <solidaire> » : décision rendue"
    );
    let html = mail.html.as_deref().unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<solidaire>"), "{html}");
    assert!(
        html.contains("Bonjour &#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;,"),
        "{html}"
    );
    assert!(html.contains("« Épicerie &#60;solidaire&#62; »"), "{html}");
    let text = mail.text.as_deref().unwrap();
    assert!(
        text.contains("Bonjour <script>alert('x')</script>,"),
        "{text}"
    );
    assert!(text.contains("Montant accordé : 12 500 €.\n"), "{text}");
    let link = "https://ess.example.fr/dossiers/42?onglet=d%C3%A9cision&a=1";
    assert_eq!(mail.first_link().as_deref(), Some(link));
    assert!(
        html.contains("href=\"https://ess.example.fr/dossiers/42?onglet=d%C3%A9cision&#38;a=1\"")
    );
}

#[tokio::test]
async fn wait_for_sees_mails_sent_in_the_background_and_times_out_clearly() {
    let sink = SmtpSink::start().unwrap();
    let mailer = sink.mailer();
    let mail = Notification {
        name: None,
        subject: "Essai".to_owned(),
        paragraphs: vec!["Un.".to_owned()],
        link: None,
    }
    .compose(&site())
    .unwrap();
    let to = camille();
    let background = {
        let (mailer, mail, to) = (mailer.clone(), mail.clone(), to.clone());
        tokio::spawn(async move {
            for _ in 0..2 {
                mailer.send(&to, &mail).await.unwrap();
            }
        })
    };
    let received = sink.wait_for(2, Duration::from_secs(10)).await.unwrap();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|m| m.parsed().subject == "Essai"));
    background.await.unwrap();

    let error = sink
        .wait_for(3, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert_eq!((error.expected, error.received), (3, 2));
}

fn any_mail() -> essor_mail::Mail {
    Notification {
        name: None,
        subject: "Essai".to_owned(),
        paragraphs: vec!["Texte.".to_owned()],
        link: None,
    }
    .compose(&site())
    .unwrap()
}

#[tokio::test]
async fn a_refusing_server_gives_a_french_error() {
    let sink = SmtpSink::builder().refuse_recipients().start().unwrap();
    // The server answers: only the message is refused.
    sink.mailer().check().await.unwrap();
    let error = sink
        .mailer()
        .send(&camille(), &any_mail())
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Refused { .. }), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(
        error.to_string(),
        format!(
            "le serveur d’envoi de courriel smtp://{} a refusé le message (code 550)",
            sink.addr()
        )
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn an_unreachable_server_gives_a_french_error() {
    // A port that was free a moment ago and that nothing listens on any more.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = SmtpUrl::parse(&format!("smtp://essor:s3cret@127.0.0.1:{port}")).unwrap();
    let mailer = Mailer::smtp(
        &url,
        "essor <ess@example.fr>".parse().unwrap(),
        Duration::from_secs(5),
    )
    .unwrap();
    let error = mailer.send(&camille(), &any_mail()).await.unwrap_err();
    assert!(matches!(error, MailError::Unreachable { .. }), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(
        error.to_string(),
        format!("le serveur d’envoi de courriel smtp://essor:***@127.0.0.1:{port} est injoignable")
    );
    assert!(!format!("{error:?}").contains("s3cret"));
    assert!(matches!(
        mailer.check().await,
        Err(MailError::Unreachable { .. })
    ));
    assert!(!format!("{mailer:?}").contains("s3cret"));
}

#[tokio::test]
async fn credentials_of_the_url_are_used_and_a_wrong_password_is_refused() {
    let sink = SmtpSink::builder()
        .require_auth("essor", "mot de passe/é")
        .start()
        .unwrap();
    let from: Mailbox = "essor <ess@example.fr>".parse().unwrap();
    let good = SmtpUrl::parse(&format!(
        "smtp://essor:mot%20de%20passe%2F%C3%A9@{}",
        sink.addr()
    ))
    .unwrap();
    Mailer::smtp(&good, from.clone(), Duration::from_secs(5))
        .unwrap()
        .send(&camille(), &any_mail())
        .await
        .unwrap();
    assert_eq!(sink.messages().len(), 1);

    let bad = SmtpUrl::parse(&format!("smtp://essor:devine@{}", sink.addr())).unwrap();
    let error = Mailer::smtp(&bad, from, Duration::from_secs(5))
        .unwrap()
        .send(&camille(), &any_mail())
        .await
        .unwrap_err();
    assert!(
        matches!(error, MailError::Authentication { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "le serveur d’envoi de courriel smtp://essor:***@{} a refusé l’identification \
             (code 535) : vérifier l’utilisateur et le mot de passe de smtp_url",
            sink.addr()
        )
    );
    assert!(!error.to_string().contains("devine"));
    assert_eq!(sink.messages().len(), 1);
}
