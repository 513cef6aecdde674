//! The mails essor sends, in French, each rendered as plain text and as HTML by the templates
//! of `templates/` (`mail.txt`, `mail.html`; the HTML one escapes every value).
//!
//! A message is a struct of what varies (the name, the link, the expiry); [`Compose::compose`]
//! turns it into a [`Mail`] for a [`Site`], which gives the links' base and the sender's name.

use std::fmt;
use std::str::FromStr;

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::MailError;

/// The public address of essor (`https://ess.example.fr/`), base of every link in a mail.
/// Always absolute, `http` or `https`, and ending with `/` so that links keep its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicUrl(Url);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "l’adresse publique « {0} » n’est pas valide (attendu : une URL absolue http ou https, par exemple https://ess.example.fr/)"
)]
pub struct PublicUrlError(String);

impl PublicUrl {
    pub fn parse(input: &str) -> Result<Self, PublicUrlError> {
        let error = || PublicUrlError(input.to_owned());
        let mut url = Url::parse(input.trim()).map_err(|_| error())?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(error());
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self(url))
    }

    /// An absolute link to `path` (taken relative to the public address, a leading `/` or not)
    /// with the query pairs percent-encoded: `link("compte/confirmer", &[("jeton", t)])`.
    #[must_use]
    pub fn link(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self
            .0
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| self.0.clone());
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    #[must_use]
    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for PublicUrl {
    type Err = PublicUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = PublicUrlError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PublicUrl> for String {
    fn from(url: PublicUrl) -> Self {
        url.0.into()
    }
}

/// What every mail says about where it comes from: the public address and the platform's name
/// (`Métropole — essor`), used in the text and the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub public_url: PublicUrl,
    pub name: String,
}

impl Site {
    #[must_use]
    pub fn new(public_url: PublicUrl, name: impl Into<String>) -> Self {
        Self {
            public_url,
            name: name.into(),
        }
    }

    /// Shorthand for [`PublicUrl::link`].
    #[must_use]
    pub fn link(&self, path: &str, query: &[(&str, &str)]) -> Url {
        self.public_url.link(path, query)
    }
}

/// A rendered mail: its subject, plain-text and HTML bodies. The recipient and the headers are
/// added by [`Mailer::send`](crate::Mailer::send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    subject: String,
    text: String,
    html: String,
}

impl Mail {
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    #[must_use]
    pub fn html(&self) -> &str {
        &self.html
    }
}

/// A message that renders itself into a [`Mail`].
pub trait Compose {
    fn compose(&self, site: &Site) -> Result<Mail, MailError>;
}

/// Sent after sign-up: the link that confirms the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailConfirmation {
    /// The person's name, when known (`Bonjour Camille Martin,`).
    pub name: Option<String>,
    pub link: Url,
    pub expires_at: DateTime<Utc>,
}

/// Sent on a password-reset request: the single-use link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub name: Option<String>,
    pub link: Url,
    pub expires_at: DateTime<Utc>,
}

/// Sent after a password change, so that a person whose account was taken over learns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChanged {
    pub name: Option<String>,
    pub changed_at: DateTime<Utc>,
    /// The page where a reset can be requested (« mot de passe oublié »).
    pub reset_request_link: Url,
}

/// Any other notice (a dossier's transition, a decision): a subject, paragraphs, a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub name: Option<String>,
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub link: Option<Link>,
}

/// A link with its label (`Voir le dossier`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: Url,
}

impl Compose for EmailConfirmation {
    fn compose(&self, site: &Site) -> Result<Mail, MailError> {
        render(
            site,
            "Confirmez votre adresse électronique",
            self.name.as_deref(),
            &[
                Block::Paragraph(format!(
                    "Un compte a été créé sur {} avec cette adresse électronique. Pour l’activer, \
                     confirmez l’adresse en ouvrant le lien ci-dessous.",
                    site.name
                )),
                Block::Action(Link {
                    label: "Confirmer mon adresse électronique".to_owned(),
                    url: self.link.clone(),
                }),
                Block::Paragraph(format!(
                    "Ce lien est valable jusqu’au {}. Passé ce délai, vous pourrez en demander \
                     un nouveau en vous connectant.",
                    paris_time(self.expires_at)
                )),
                Block::Paragraph(
                    "Si vous n’êtes pas à l’origine de cette inscription, ignorez ce message : \
                     le compte ne sera pas activé."
                        .to_owned(),
                ),
            ],
        )
    }
}

impl Compose for PasswordReset {
    fn compose(&self, site: &Site) -> Result<Mail, MailError> {
        render(
            site,
            "Réinitialisation de votre mot de passe",
            self.name.as_deref(),
            &[
                Block::Paragraph(format!(
                    "Une réinitialisation du mot de passe de votre compte sur {} a été demandée. \
                     Pour choisir un nouveau mot de passe, ouvrez le lien ci-dessous.",
                    site.name
                )),
                Block::Action(Link {
                    label: "Choisir un nouveau mot de passe".to_owned(),
                    url: self.link.clone(),
                }),
                Block::Paragraph(format!(
                    "Ce lien ne sert qu’une fois et il est valable jusqu’au {}.",
                    paris_time(self.expires_at)
                )),
                Block::Paragraph(
                    "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre \
                     mot de passe actuel reste valable et personne ne peut le changer sans ce lien."
                        .to_owned(),
                ),
            ],
        )
    }
}

impl Compose for PasswordChanged {
    fn compose(&self, site: &Site) -> Result<Mail, MailError> {
        render(
            site,
            "Votre mot de passe a été modifié",
            self.name.as_deref(),
            &[
                Block::Paragraph(format!(
                    "Le mot de passe de votre compte sur {} a été modifié le {}. Si vous êtes à \
                     l’origine de cette modification, vous n’avez rien à faire.",
                    site.name,
                    paris_time(self.changed_at)
                )),
                Block::Paragraph(
                    "Si vous n’êtes pas à l’origine de cette modification, quelqu’un d’autre a \
                     peut-être accès à votre compte : choisissez sans attendre un nouveau mot de \
                     passe en demandant sa réinitialisation."
                        .to_owned(),
                ),
                Block::Action(Link {
                    label: "Réinitialiser mon mot de passe".to_owned(),
                    url: self.reset_request_link.clone(),
                }),
            ],
        )
    }
}

impl Compose for Notification {
    fn compose(&self, site: &Site) -> Result<Mail, MailError> {
        let mut blocks: Vec<Block> = self
            .paragraphs
            .iter()
            .map(|p| Block::Paragraph(p.clone()))
            .collect();
        if let Some(link) = &self.link {
            blocks.push(Block::Action(link.clone()));
        }
        render(site, &self.subject, self.name.as_deref(), &blocks)
    }
}

/// `28/11/2026 à 15:05 (heure de Paris)`: the instant as read in metropolitan France.
fn paris_time(at: DateTime<Utc>) -> String {
    format!(
        "{} (heure de Paris)",
        at.with_timezone(&Paris).format("%d/%m/%Y à %H:%M")
    )
}

/// One block of a mail's body, in order.
enum Block {
    Paragraph(String),
    Action(Link),
}

#[derive(Template)]
#[template(path = "mail.txt")]
struct TextBody<'a> {
    greeting: &'a str,
    blocks: &'a [Block],
    site: &'a Site,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct HtmlBody<'a> {
    subject: &'a str,
    greeting: &'a str,
    blocks: &'a [Block],
    site: &'a Site,
}

fn render(
    site: &Site,
    subject: &str,
    name: Option<&str>,
    blocks: &[Block],
) -> Result<Mail, MailError> {
    // A subject is one line: a line break in it would end the header.
    let subject: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned();
    let greeting = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("Bonjour {name},"),
        None => "Bonjour,".to_owned(),
    };
    let text = TextBody {
        greeting: &greeting,
        blocks,
        site,
    }
    .render()
    .map_err(MailError::Template)?;
    let html = HtmlBody {
        subject: &subject,
        greeting: &greeting,
        blocks,
        site,
    }
    .render()
    .map_err(MailError::Template)?;
    Ok(Mail {
        subject,
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn site() -> Site {
        Site::new(
            PublicUrl::parse("https://ess.example.fr/essor").unwrap(),
            "Métropole — essor",
        )
    }

    #[test]
    fn links_keep_the_public_path_and_encode_the_query() {
        let site = site();
        assert_eq!(
            site.link("/compte/confirmer", &[("jeton", "a b&c")])
                .as_str(),
            "https://ess.example.fr/essor/compte/confirmer?jeton=a+b%26c"
        );
        assert_eq!(
            site.link("//evil.example/x", &[]).as_str(),
            "https://ess.example.fr/essor/evil.example/x"
        );
    }

    #[test]
    fn a_public_url_must_be_absolute_http() {
        assert!(PublicUrl::parse("ess.example.fr").is_err());
        assert!(PublicUrl::parse("ftp://ess.example.fr/").is_err());
        let error = PublicUrl::parse("/essor").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("l’adresse publique « /essor »")
        );
    }

    #[test]
    fn times_are_shown_in_paris_time_winter_and_summer() {
        let winter = Utc.with_ymd_and_hms(2026, 11, 28, 14, 5, 0).unwrap();
        assert_eq!(paris_time(winter), "28/11/2026 à 15:05 (heure de Paris)");
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
        assert_eq!(paris_time(summer), "01/07/2026 à 14:00 (heure de Paris)");
    }

    #[test]
    fn the_reset_mail_tells_what_to_do_when_one_did_not_ask() {
        let mail = PasswordReset {
            name: Some("Camille".to_owned()),
            link: site().link("compte/reinitialiser", &[("jeton", "xyz")]),
            expires_at: Utc.with_ymd_and_hms(2026, 11, 28, 14, 5, 0).unwrap(),
        }
        .compose(&site())
        .unwrap();
        assert_eq!(mail.subject(), "Réinitialisation de votre mot de passe");
        for body in [mail.text(), mail.html()] {
            assert!(body.contains("Bonjour Camille,"), "{body}");
            assert!(
                body.contains("Si vous n’êtes pas à l’origine de cette demande"),
                "{body}"
            );
            assert!(body.contains("28/11/2026 à 15:05"), "{body}");
            assert!(
                body.contains("https://ess.example.fr/essor/compte/reinitialiser?jeton=xyz"),
                "{body}"
            );
        }
    }

    #[test]
    fn names_and_paragraphs_are_escaped_in_html_and_kept_in_text() {
        let mail = Notification {
            name: Some("<script>alert(1)</script>".to_owned()),
            subject: "Dossier \"A & B\"\r\nBcc: x@example.fr".to_owned(),
            paragraphs: vec!["Montant < 5 000 € & délai > 2 mois".to_owned()],
            link: Some(Link {
                label: "Voir <le> dossier".to_owned(),
                url: site().link("dossiers/12", &[("a", "1"), ("b", "2")]),
            }),
        }
        .compose(&site())
        .unwrap();
        assert!(!mail.html().contains("<script>"), "{}", mail.html());
        assert!(
            mail.html()
                .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{}",
            mail.html()
        );
        assert!(
            mail.html()
                .contains("Montant &#60; 5 000 € &#38; délai &#62; 2 mois")
        );
        assert!(mail.html().contains("Voir &#60;le&#62; dossier"));
        assert!(
            mail.html()
                .contains("href=\"https://ess.example.fr/essor/dossiers/12?a=1&#38;b=2\"")
        );
        assert!(mail.text().contains("Bonjour <script>alert(1)</script>,"));
        assert!(mail.text().contains("Montant < 5 000 € & délai > 2 mois"));
        assert_eq!(mail.subject(), "Dossier \"A & B\"  Bcc: x@example.fr");
        assert_eq!(
            mail.text(),
            "Bonjour <script>alert(1)</script>,\n\
             \n\
             Montant < 5 000 € & délai > 2 mois\n\
             \n\
             Voir <le> dossier :\n\
             https://ess.example.fr/essor/dossiers/12?a=1&b=2\n\
             \n\
             -- \n\
             Ce courriel a été envoyé automatiquement par Métropole — essor \
             (https://ess.example.fr/essor/)."
        );
    }
}
