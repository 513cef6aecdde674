//! Without an SMTP server, mails become `.eml` files in the outbox folder.

use chrono::{TimeZone, Utc};
use essor_mail::testing::ParsedMail;
use essor_mail::{
    Compose, Delivery, EmailConfirmation, MailError, MailSettings, Mailer, Notification, PublicUrl,
    Site,
};

fn site() -> Site {
    Site::new(PublicUrl::parse("http://127.0.0.1:8080").unwrap(), "essor")
}

#[tokio::test]
async fn without_smtp_mails_are_written_as_eml_files_in_the_data_folder() {
    let data_dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::from_settings(&MailSettings::default(), data_dir.path()).unwrap();
    let outbox = data_dir.path().join("outbox");
    assert_eq!(
        mailer.to_string(),
        format!("dossier « {} »", outbox.display())
    );

    let link = site().link("compte/confirmer", &[("jeton", "abc")]);
    let mail = EmailConfirmation {
        name: Some("Élise".to_owned()),
        link: link.clone(),
        expires_at: Utc.with_ymd_and_hms(2026, 11, 28, 14, 5, 0).unwrap(),
    }
    .compose(&site())
    .unwrap();
    let to = "elise@example.org".parse().unwrap();
    let Delivery::Outbox(path) = mailer.send(&to, &mail).await.unwrap() else {
        panic!("expected the outbox");
    };
    assert_eq!(path.parent(), Some(outbox.as_path()));
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("eml"));

    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().collect();
    assert_eq!(files.len(), 1);
    let parsed = ParsedMail::parse(&std::fs::read(&path).unwrap()).expect("a parseable .eml");
    assert_eq!(parsed.subject, "Confirmez votre adresse électronique");
    assert_eq!(parsed.to, vec!["elise@example.org".to_owned()]);
    assert_eq!(parsed.first_link().as_deref(), Some(link.as_str()));
    assert!(parsed.text.as_deref().unwrap().contains("Bonjour Élise,"));
    assert!(parsed.html.as_deref().unwrap().contains("Bonjour Élise,"));
    assert_eq!(parsed.header("Auto-Submitted"), Some("auto-generated"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&outbox).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the outbox holds secret links");
    }
}

#[tokio::test]
async fn the_outbox_folder_can_be_configured() {
    let dir = tempfile::tempdir().unwrap();
    let settings: MailSettings = toml::from_str(&format!(
        "outbox_dir = {:?}\nfrom = \"Métropole — essor <ess@example.fr>\"\n",
        dir.path().join("courriels")
    ))
    .unwrap();
    let mailer = Mailer::from_settings(&settings, std::path::Path::new("/nonexistent")).unwrap();
    let mail = Notification {
        name: None,
        subject: "Essai".to_owned(),
        paragraphs: vec!["Texte.".to_owned()],
        link: None,
    }
    .compose(&site())
    .unwrap();
    let delivery = mailer
        .send(&"a@example.org".parse().unwrap(), &mail)
        .await
        .unwrap();
    let Delivery::Outbox(path) = delivery else {
        panic!("expected the outbox");
    };
    assert!(path.starts_with(dir.path().join("courriels")));
    let parsed = ParsedMail::parse(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        parsed.from,
        Some((
            Some("Métropole — essor".to_owned()),
            "ess@example.fr".to_owned()
        ))
    );
}

#[tokio::test]
async fn an_outbox_that_cannot_be_created_gives_a_french_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("un-fichier");
    std::fs::write(&file, "").unwrap();
    let mailer = Mailer::outbox(
        file.join("outbox"),
        "essor <ess@example.fr>".parse().unwrap(),
    );
    let mail = Notification {
        name: None,
        subject: "Essai".to_owned(),
        paragraphs: vec![],
        link: None,
    }
    .compose(&site())
    .unwrap();
    let error = mailer
        .send(&"a@example.org".parse().unwrap(), &mail)
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Outbox { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "le courriel n’a pas pu être écrit dans le dossier « {} »",
            file.join("outbox").display()
        )
    );
}
