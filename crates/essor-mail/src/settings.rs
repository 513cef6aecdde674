//! What the operator configures: the SMTP server (or none, then the outbox folder), the sender,
//! the time allowed to the server. Plugged into essor's settings as one section.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};
use url::Url;

/// The mail section of essor's settings.
///
/// `Debug` never shows the SMTP password (see [`SmtpUrl`]). `Serialize` writes the URL whole,
/// because figment layers settings through it; print settings with `Debug`, never serialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://host:25`, `smtp://host:587?tls=required`, `smtps://user:password@host:465`
    /// (the password percent-encoded). When absent, mails are written as `.eml` files into
    /// [`outbox_dir`](Self::outbox_dir) instead of being sent.
    pub smtp_url: Option<SmtpUrl>,
    /// The sender, with its display name: `Métropole — essor <ess@example.fr>`.
    pub from: Mailbox,
    /// Where replies go, when not to `from`.
    pub reply_to: Option<Mailbox>,
    /// Seconds allowed to the SMTP server for each step (connection, each reply).
    pub timeout_seconds: u64,
    /// Folder of the `.eml` files written when no SMTP server is configured; by default
    /// `outbox/` in essor's data folder.
    pub outbox_dir: Option<PathBuf>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: Mailbox::new(
                Some("essor".to_owned()),
                "ne-pas-repondre@localhost"
                    .parse()
                    .expect("a valid built-in address"),
            ),
            reply_to: None,
            timeout_seconds: 20,
            outbox_dir: None,
        }
    }
}

impl MailSettings {
    /// The outbox folder: the configured one, else `outbox/` in `data_dir`.
    #[must_use]
    pub fn outbox_dir_in(&self, data_dir: &Path) -> PathBuf {
        self.outbox_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("outbox"))
    }

    #[must_use]
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds)
    }
}

/// An `smtp://` or `smtps://` URL, as lettre reads it. Its password never leaves through
/// `Debug` or `Display` (both print `***` in its place); [`SmtpUrl::expose`] gives the URL whole.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SmtpUrl(String);

/// Why an SMTP URL was refused; never quotes the URL, which may hold a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("l’adresse du serveur SMTP n’est pas une URL valide ({0})")]
    Syntax(url::ParseError),
    #[error("l’adresse du serveur SMTP doit commencer par smtp:// ou smtps:// (et non « {0}:// »)")]
    Scheme(String),
    #[error("l’adresse du serveur SMTP ne nomme aucun serveur")]
    NoHost,
    #[error(
        "l’adresse du serveur SMTP a un paramètre tls inconnu « {0} » (attendu : required ou opportunistic)"
    )]
    Tls(String),
    #[error("l’adresse du serveur SMTP n’est pas utilisable par le client SMTP")]
    Unusable,
}

impl SmtpUrl {
    pub fn parse(input: &str) -> Result<Self, SmtpUrlError> {
        let input = input.trim();
        let url = Url::parse(input).map_err(SmtpUrlError::Syntax)?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(SmtpUrlError::Scheme(url.scheme().to_owned()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(SmtpUrlError::NoHost);
        }
        if let Some((_, tls)) = url.query_pairs().find(|(k, _)| k == "tls")
            && !matches!(tls.as_ref(), "required" | "opportunistic")
        {
            return Err(SmtpUrlError::Tls(tls.into_owned()));
        }
        Ok(Self(input.to_owned()))
    }

    /// The URL with its password, for the SMTP client only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with `***` in place of the password, for logs and messages.
    #[must_use]
    pub fn redacted(&self) -> String {
        match Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    // Cannot fail: the URL has a host, since it has a password.
                    let _ = url.set_password(Some("***"));
                }
                url.to_string()
            }
            // Unreachable for a parsed SmtpUrl; say nothing of the content if it happens.
            Err(_) => "smtp://(adresse illisible)".to_owned(),
        }
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SmtpUrl").field(&self.redacted()).finish()
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl FromStr for SmtpUrl {
    type Err = SmtpUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SmtpUrl {
    type Error = SmtpUrlError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SmtpUrl> for String {
    fn from(url: SmtpUrl) -> Self {
        url.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_masked_in_debug_and_display() {
        let url = SmtpUrl::parse("smtps://essor:tr%C3%A8s-secret@mail.example.fr:465").unwrap();
        let settings = MailSettings {
            smtp_url: Some(url.clone()),
            ..MailSettings::default()
        };
        let debug = format!("{settings:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(
            debug.contains("smtps://essor:***@mail.example.fr:465"),
            "{debug}"
        );
        assert_eq!(url.to_string(), "smtps://essor:***@mail.example.fr:465");
        assert_eq!(
            url.expose(),
            "smtps://essor:tr%C3%A8s-secret@mail.example.fr:465"
        );
    }

    #[test]
    fn a_url_without_password_is_shown_whole() {
        let url = SmtpUrl::parse("smtp://relay.example.fr:25?tls=required").unwrap();
        assert_eq!(url.redacted(), "smtp://relay.example.fr:25?tls=required");
    }

    #[test]
    fn urls_lettre_cannot_use_are_refused_in_french_without_quoting_them() {
        let error = SmtpUrl::parse("https://user:secret@example.fr").unwrap_err();
        assert_eq!(
            error.to_string(),
            "l’adresse du serveur SMTP doit commencer par smtp:// ou smtps:// (et non « https:// »)"
        );
        let error = SmtpUrl::parse("smtp://user:secret@relay?tls=always").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("paramètre tls inconnu « always »")
        );
        assert!(!error.to_string().contains("secret"));
        assert!(SmtpUrl::parse("pas une url").is_err());
    }

    #[test]
    fn settings_read_from_toml_with_defaults_for_what_is_missing() {
        let settings: MailSettings = toml::from_str(
            "smtp_url = \"smtp://relay.example.fr:25\"\nfrom = \"Métropole — essor <ess@example.fr>\"\n",
        )
        .unwrap();
        assert_eq!(
            settings.smtp_url.as_ref().map(SmtpUrl::expose),
            Some("smtp://relay.example.fr:25")
        );
        assert_eq!(settings.from.name.as_deref(), Some("Métropole — essor"));
        assert_eq!(settings.from.email.to_string(), "ess@example.fr");
        assert_eq!(settings.timeout_seconds, 20);
        assert_eq!(
            settings.outbox_dir_in(Path::new("/srv/essor")),
            PathBuf::from("/srv/essor/outbox")
        );
    }

    #[test]
    fn settings_survive_a_serialization_round_trip_as_figment_layers_them() {
        let settings = MailSettings {
            smtp_url: Some(SmtpUrl::parse("smtps://u:p%40ss@mail.example.fr").unwrap()),
            from: "Métropole — essor <ess@example.fr>".parse().unwrap(),
            reply_to: Some("service-ess@example.fr".parse().unwrap()),
            timeout_seconds: 5,
            outbox_dir: Some(PathBuf::from("/tmp/outbox")),
        };
        let text = toml::to_string(&settings).unwrap();
        assert_eq!(toml::from_str::<MailSettings>(&text).unwrap(), settings);
        let defaults = toml::to_string(&MailSettings::default()).unwrap();
        assert_eq!(
            toml::from_str::<MailSettings>(&defaults).unwrap(),
            MailSettings::default()
        );
    }

    #[test]
    fn a_bad_smtp_url_in_the_settings_is_an_error() {
        let result: Result<MailSettings, _> = toml::from_str("smtp_url = \"ftp://example.fr\"\n");
        assert!(result.is_err());
    }
}
