//! [`Mailer`]: sends a [`Mail`] over SMTP, or writes it into the outbox folder when no SMTP
//! server is configured, so that a fresh installation can still confirm accounts.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::message::Mail;
use crate::settings::{MailSettings, SmtpUrl, SmtpUrlError};

/// Why a mail was not sent. The messages are French and name no secret; the SMTP client's
/// own error, when there is one, is the [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("réglages du courriel : {0}")]
    Settings(#[from] SmtpUrlError),
    #[error("le courriel n’a pas pu être mis en forme")]
    Template(#[source] askama::Error),
    #[error("le courriel n’a pas pu être construit (adresse ou en-tête invalide)")]
    Build(#[from] lettre::error::Error),
    #[error("le serveur d’envoi de courriel {server} est injoignable")]
    Unreachable {
        server: String,
        #[source]
        source: smtp::Error,
    },
    #[error("le serveur d’envoi de courriel {server} n’a pas répondu dans les {seconds} secondes")]
    Timeout {
        server: String,
        seconds: u64,
        #[source]
        source: smtp::Error,
    },
    #[error("la connexion chiffrée (TLS) avec le serveur d’envoi de courriel {server} a échoué")]
    Tls {
        server: String,
        #[source]
        source: smtp::Error,
    },
    #[error(
        "le serveur d’envoi de courriel {server} a refusé l’identification (code {code}) : \
         vérifier l’utilisateur et le mot de passe de smtp_url"
    )]
    Authentication {
        server: String,
        code: String,
        #[source]
        source: smtp::Error,
    },
    #[error(
        "le serveur d’envoi de courriel {server} a refusé le message (code {code}){}",
        if *.transient { " ; un nouvel essai plus tard peut réussir" } else { "" }
    )]
    Refused {
        server: String,
        code: String,
        transient: bool,
        #[source]
        source: smtp::Error,
    },
    #[error("le serveur d’envoi de courriel {server} ne répond pas aux commandes")]
    NoAnswer { server: String },
    #[error("l’échange avec le serveur d’envoi de courriel {server} a échoué")]
    Protocol {
        server: String,
        #[source]
        source: smtp::Error,
    },
    #[error("le courriel n’a pas pu être écrit dans le dossier « {} »", .dir.display())]
    Outbox {
        dir: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl MailError {
    /// Whether trying again later may succeed (server unreachable, slow or busy).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Timeout { .. } => true,
            Self::Refused { transient, .. } => *transient,
            _ => false,
        }
    }
}

/// Where a mail went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the SMTP server.
    Smtp,
    /// Written to this `.eml` file (no SMTP server configured).
    Outbox(PathBuf),
}

/// Sends mails. Cheap to clone; one per process, built from the settings.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

#[derive(Clone)]
enum Transport {
    Smtp {
        client: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without its password, for messages and logs.
        server: String,
        timeout: Duration,
    },
    Outbox {
        client: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

impl Mailer {
    /// SMTP when `smtp_url` is set, else the outbox folder (`outbox_dir`, by default
    /// `data_dir/outbox`).
    pub fn from_settings(settings: &MailSettings, data_dir: &Path) -> Result<Self, MailError> {
        let mailer = match &settings.smtp_url {
            Some(url) => Self::smtp(url, settings.from.clone(), settings.timeout())?,
            None => Self::outbox(settings.outbox_dir_in(data_dir), settings.from.clone()),
        };
        Ok(match &settings.reply_to {
            Some(reply_to) => mailer.with_reply_to(reply_to.clone()),
            None => mailer,
        })
    }

    /// Sends through the SMTP server of `url`, allowing it `timeout` for each step.
    pub fn smtp(url: &SmtpUrl, from: Mailbox, timeout: Duration) -> Result<Self, MailError> {
        // lettre's own message is not kept: it might quote part of the URL.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|_| SmtpUrlError::Unusable)?;
        Ok(Self {
            transport: Transport::Smtp {
                client: builder.timeout(Some(timeout)).build(),
                server: url.redacted(),
                timeout,
            },
            from,
            reply_to: None,
        })
    }

    /// Writes each mail as a `.eml` file into `dir` (created when needed, readable by its
    /// owner only: the files hold confirmation and reset links).
    #[must_use]
    pub fn outbox(dir: impl Into<PathBuf>, from: Mailbox) -> Self {
        let dir = dir.into();
        Self {
            transport: Transport::Outbox {
                client: AsyncFileTransport::new(&dir),
                dir,
            },
            from,
            reply_to: None,
        }
    }

    #[must_use]
    pub fn with_reply_to(mut self, reply_to: Mailbox) -> Self {
        self.reply_to = Some(reply_to);
        self
    }

    #[must_use]
    pub fn from_address(&self) -> &Mailbox {
        &self.from
    }

    /// Sends `mail` to `to`, with a text and an HTML part, `Auto-Submitted: auto-generated`,
    /// a `Message-ID` in the sender's domain and the `Date`.
    pub async fn send(&self, to: &Mailbox, mail: &Mail) -> Result<Delivery, MailError> {
        let message = self.message(to, mail)?;
        let message_id = message
            .headers()
            .get_raw("Message-ID")
            .unwrap_or_default()
            .to_owned();
        match &self.transport {
            Transport::Smtp {
                client,
                server,
                timeout,
            } => {
                client
                    .send(message)
                    .await
                    .map_err(|e| smtp_error(server, *timeout, e))?;
                tracing::info!(%message_id, subject = mail.subject(), %server, "courriel envoyé");
                Ok(Delivery::Smtp)
            }
            Transport::Outbox { client, dir } => {
                let outbox_error =
                    |source: Box<dyn std::error::Error + Send + Sync>| MailError::Outbox {
                        dir: dir.clone(),
                        source,
                    };
                create_private_dir(dir)
                    .await
                    .map_err(|e| outbox_error(e.into()))?;
                let id = client
                    .send(message)
                    .await
                    .map_err(|e| outbox_error(e.into()))?;
                let path = dir.join(format!("{id}.eml"));
                tracing::info!(
                    %message_id,
                    subject = mail.subject(),
                    path = %path.display(),
                    "courriel écrit dans le dossier d’envoi (aucun serveur SMTP configuré)"
                );
                Ok(Delivery::Outbox(path))
            }
        }
    }

    /// Checks that the SMTP server answers (connection, TLS, `EHLO`, authentication, `NOOP`), for a
    /// start-up check or an operator's command; always `Ok` for the outbox.
    pub async fn check(&self) -> Result<(), MailError> {
        match &self.transport {
            Transport::Smtp {
                client,
                server,
                timeout,
            } => match client.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err(MailError::NoAnswer {
                    server: server.clone(),
                }),
                Err(e) => Err(smtp_error(server, *timeout, e)),
            },
            Transport::Outbox { .. } => Ok(()),
        }
    }

    fn message(&self, to: &Mailbox, mail: &Mail) -> Result<Message, MailError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .subject(mail.subject())
            .message_id(Some(format!(
                "<{}@{}>",
                uuid::Uuid::new_v4().simple(),
                self.from.email.domain()
            )))
            .date_now()
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        Ok(builder.multipart(MultiPart::alternative_plain_html(
            mail.text().to_owned(),
            mail.html().to_owned(),
        ))?)
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string())
    }
}

/// `SMTP smtp://relay:25` or `dossier « essor-data/outbox »`, for the start-up log.
impl fmt::Display for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.transport {
            Transport::Smtp { server, .. } => write!(f, "SMTP {server}"),
            Transport::Outbox { dir, .. } => write!(f, "dossier « {} »", dir.display()),
        }
    }
}

fn smtp_error(server: &str, timeout: Duration, source: smtp::Error) -> MailError {
    let server = server.to_owned();
    if let Some(code) = source.status() {
        // RFC 4954: 530 authentication required, 534 mechanism too weak, 535 credentials
        // invalid, 538 encryption required for the mechanism.
        if matches!(code.to_string().as_str(), "530" | "534" | "535" | "538") {
            return MailError::Authentication {
                server,
                code: code.to_string(),
                source,
            };
        }
        return MailError::Refused {
            server,
            code: code.to_string(),
            transient: source.is_transient(),
            source,
        };
    }
    if source.is_timeout() {
        return MailError::Timeout {
            server,
            seconds: timeout.as_secs(),
            source,
        };
    }
    if source.is_tls() {
        return MailError::Tls { server, source };
    }
    if source.is_response() || source.is_client() {
        return MailError::Protocol { server, source };
    }
    MailError::Unreachable { server, source }
}

async fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir).await
}
