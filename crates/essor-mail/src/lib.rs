//! essor's outgoing mail.
//!
//! - [`MailSettings`]: the SMTP server URL (its password never shown), the sender, the
//!   timeout, the outbox folder used when no SMTP server is configured.
//! - [`Mailer`]: sends a [`Mail`] over SMTP (lettre, rustls), or writes it as a `.eml` file into
//!   the outbox folder, so that a fresh installation can still confirm accounts.
//! - The messages ([`EmailConfirmation`], [`PasswordReset`], [`PasswordChanged`],
//!   [`Notification`]): French, a plain-text and an HTML part, links under [`PublicUrl`].
//! - `testing` (cargo feature `testing`): a real SMTP server for tests, and a mail parser.

mod mailer;
mod message;
mod settings;
#[cfg(feature = "testing")]
pub mod testing;

pub use lettre::message::Mailbox;
pub use mailer::{Delivery, MailError, Mailer};
pub use message::{
    Compose, EmailConfirmation, Link, Mail, Notification, PasswordChanged, PasswordReset,
    PublicUrl, PublicUrlError, Site,
};
pub use settings::{MailSettings, SmtpUrl, SmtpUrlError};
pub use url::Url;
