//! A real SMTP server for tests, started in-process on `127.0.0.1` with a free port, that keeps
//! every mail it receives; and a parser to read those mails back.
//!
//! The SMTP dialogue (commands, replies, `DATA` and its dot-unstuffing, `AUTH`) is the `mailin`
//! crate's state machine; this module only carries its lines over TCP, on threads of its own,
//! so it serves tests of any runtime flavour. Behind the `testing` feature:
//!
//! ```toml
//! [dev-dependencies]
//! essor-mail = { workspace = true, features = ["testing"] }
//! ```
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use essor_mail::testing::SmtpSink;
//! let sink = SmtpSink::start()?;
//! let mailer = sink.mailer(); // or: MailSettings { smtp_url: Some(sink.url()), .. }
//! // … the code under test sends through `mailer` …
//! let mails = sink.wait_for(1, std::time::Duration::from_secs(5)).await?;
//! let mail = mails[0].parsed();
//! assert_eq!(mail.subject, "Confirmez votre adresse électronique");
//! let link = mail.first_link().expect("a link");
//! # Ok(()) }
//! ```

use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use lettre::message::Mailbox;
use mail_parser::{MessageParser, PartType};
use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder, response};
use tokio::sync::watch;

use crate::{Mailer, SmtpUrl};

/// One mail as the server received it: the envelope and the raw message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, with its final `.` line removed.
    pub data: Vec<u8>,
}

impl ReceivedMail {
    /// The parsed message.
    ///
    /// # Panics
    /// When the data is not a parseable message (a test failure, with the data shown).
    #[must_use]
    pub fn parsed(&self) -> ParsedMail {
        ParsedMail::parse(&self.data).unwrap_or_else(|| {
            panic!(
                "the SMTP sink received an unparseable message:\n{}",
                String::from_utf8_lossy(&self.data)
            )
        })
    }
}

/// A mail read back (by `mail-parser`): decoded subject, addresses and bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    /// Decoded subject (RFC 2047 words joined), empty when there is none.
    pub subject: String,
    /// `From` header: `(display name, address)`.
    pub from: Option<(Option<String>, String)>,
    /// `To` header addresses.
    pub to: Vec<String>,
    /// The first `text/plain` part, decoded, lines ending in `\n`; `None` when the mail has none.
    pub text: Option<String>,
    /// The first `text/html` part, decoded, lines ending in `\n`; `None` when the mail has none.
    pub html: Option<String>,
    /// Every header, name and raw (undecoded, unfolded) value, in order.
    pub headers: Vec<(String, String)>,
}

impl ParsedMail {
    /// Parses a message (received by the sink, or an `.eml` file of the outbox).
    #[must_use]
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let message = MessageParser::default().parse(raw)?;
        let mut text = None;
        let mut html = None;
        for part in &message.parts {
            match &part.body {
                PartType::Text(body) if text.is_none() => text = Some(body.replace("\r\n", "\n")),
                PartType::Html(body) if html.is_none() => html = Some(body.replace("\r\n", "\n")),
                _ => {}
            }
        }
        let from = message.from().and_then(|a| a.first()).and_then(|addr| {
            Some((
                addr.name.as_ref().map(ToString::to_string),
                addr.address.as_ref()?.to_string(),
            ))
        });
        let to = message
            .to()
            .map(|a| {
                a.iter()
                    .filter_map(|addr| addr.address.as_ref().map(ToString::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let headers = message
            .headers()
            .iter()
            .map(|h| {
                let raw = &raw[h.offset_start as usize..h.offset_end as usize];
                let value = String::from_utf8_lossy(raw)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                (h.name.as_str().to_owned(), value)
            })
            .collect();
        Some(Self {
            subject: message.subject().unwrap_or_default().to_owned(),
            from,
            to,
            text,
            html,
            headers,
        })
    }

    /// The raw value of the first header named `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first `http://` or `https://` link of the text part (where essor's mails put each
    /// link alone on its line), else of the HTML part's first `href`, unescaped.
    #[must_use]
    pub fn first_link(&self) -> Option<String> {
        if let Some(text) = &self.text
            && let Some(link) = first_url(text)
        {
            return Some(link.to_owned());
        }
        let html = self.html.as_deref()?;
        let start = html.find("href=\"")? + "href=\"".len();
        let end = start + html[start..].find('"')?;
        Some(unescape_html(&html[start..end]))
    }
}

fn first_url(text: &str) -> Option<&str> {
    let start = [text.find("https://"), text.find("http://")]
        .into_iter()
        .flatten()
        .min()?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '>' | '"' | '<' | ')'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Decodes the character references an attribute may hold: `&amp;`, `&#38;`, `&#x26;`…
fn unescape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let decoded = rest.find(';').and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity.strip_prefix('#').and_then(|n| {
                    match n.strip_prefix('x').or_else(|| n.strip_prefix('X')) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.parse().ok(),
                    }
                    .and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, end))
        });
        if let Some((c, end)) = decoded {
            out.push(c);
            rest = &rest[end + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// [`SmtpSink::wait_for`] ran out of time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the SMTP sink expected {expected} mail(s) within {timeout:?}, it received {received}")]
pub struct WaitTimeout {
    pub expected: usize,
    pub received: usize,
    pub timeout: Duration,
}

/// How the sink answers.
#[derive(Debug, Clone, Default)]
pub struct SmtpSinkBuilder {
    refuse_recipients: bool,
    credentials: Option<(String, String)>,
}

impl SmtpSinkBuilder {
    /// Answer `550 Mailbox unavailable` to every recipient, as a server refusing the mail.
    #[must_use]
    pub fn refuse_recipients(mut self) -> Self {
        self.refuse_recipients = true;
        self
    }

    /// Offer `AUTH PLAIN` and `LOGIN` (over the plain connection: tests only) and require these
    /// credentials before accepting mail.
    #[must_use]
    pub fn require_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// Binds `127.0.0.1:0` and serves until the sink is dropped.
    pub fn start(self) -> io::Result<SmtpSink> {
        let listener = TcpListener::bind((IpAddr::from([127, 0, 0, 1]), 0))?;
        let addr = listener.local_addr()?;
        let (count, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            mails: Mutex::new(Vec::new()),
            count,
            refuse_recipients: self.refuse_recipients,
            credentials: self.credentials.clone(),
        });
        let mut session = SessionBuilder::new("essor-smtp-sink");
        if self.credentials.is_some() {
            session
                .enable_auth(AuthMechanism::Plain)
                .enable_auth(AuthMechanism::Login)
                .insecure_enable_plaintext_auth();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("smtp-sink-accept".to_owned())
                .spawn(move || accept_loop(&listener, &session, &shared, &stop))?
        };
        Ok(SmtpSink {
            addr,
            shared,
            stop,
            accept: Some(accept),
        })
    }
}

/// A real SMTP server on `127.0.0.1` that keeps what it receives. Stops when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    mails: Mutex<Vec<ReceivedMail>>,
    count: watch::Sender<usize>,
    refuse_recipients: bool,
    credentials: Option<(String, String)>,
}

impl SmtpSink {
    /// A sink that accepts every mail.
    pub fn start() -> io::Result<Self> {
        Self::builder().start()
    }

    #[must_use]
    pub fn builder() -> SmtpSinkBuilder {
        SmtpSinkBuilder::default()
    }

    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:PORT`, for [`MailSettings::smtp_url`](crate::MailSettings::smtp_url).
    #[must_use]
    pub fn url(&self) -> SmtpUrl {
        SmtpUrl::parse(&format!("smtp://{}", self.addr)).expect("a loopback SMTP URL is valid")
    }

    /// A mailer sending to this sink as `essor <ne-pas-repondre@essor.test>`.
    #[must_use]
    pub fn mailer(&self) -> Mailer {
        let from: Mailbox = "essor <ne-pas-repondre@essor.test>"
            .parse()
            .expect("a valid test address");
        Mailer::smtp(&self.url(), from, Duration::from_secs(10))
            .expect("a loopback SMTP URL is usable")
    }

    /// Every mail received so far, in order of arrival.
    #[must_use]
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared
            .mails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until at least `count` mails have arrived, then returns them all.
    pub async fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedMail>, WaitTimeout> {
        let mut received = self.shared.count.subscribe();
        let arrived = tokio::time::timeout(timeout, received.wait_for(|n| *n >= count)).await;
        match arrived {
            Ok(Ok(_)) => Ok(self.messages()),
            _ => Err(WaitTimeout {
                expected: count,
                received: self.messages().len(),
                timeout,
            }),
        }
    }
}

impl fmt::Debug for SmtpSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSink")
            .field("addr", &self.addr)
            .field("received", &self.messages().len())
            .finish_non_exhaustive()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, blocked in accept(), so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    session: &SessionBuilder,
    shared: &Arc<Shared>,
    stop: &AtomicBool,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let session = session.clone();
        let handler = SinkHandler {
            shared: Arc::clone(shared),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        // A session ends when the client quits or goes silent (read timeout).
        let _ = std::thread::Builder::new()
            .name("smtp-sink-session".to_owned())
            .spawn(move || {
                let _ = serve_session(stream, &session, handler);
            });
    }
}

fn serve_session(
    stream: TcpStream,
    session: &SessionBuilder,
    handler: SinkHandler,
) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    let peer = stream.peer_addr()?.ip();
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut session = session.build(peer, handler);
    reply(&mut writer, &session.greeting())?;
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => reply(&mut writer, &response)?,
            // STARTTLS is never offered, so an upgrade request ends the session too.
            Action::Close | Action::UpgradeTls => {
                reply(&mut writer, &response)?;
                return Ok(());
            }
            Action::NoReply => {}
        }
    }
}

/// Writes a reply in one segment (piecewise writes would wait on delayed ACKs).
fn reply(writer: &mut TcpStream, response: &Response) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(128);
    response.write_to(&mut buffer)?;
    writer.write_all(&buffer)?;
    writer.flush()
}

struct SinkHandler {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl SinkHandler {
    fn check(&self, user: &str, password: &str) -> Response {
        match &self.shared.credentials {
            Some((u, p)) if u == user && p == password => response::AUTH_OK,
            _ => response::INVALID_CREDENTIALS,
        }
    }
}

impl Handler for SinkHandler {
    fn rcpt(&mut self, _to: &str) -> Response {
        if self.shared.refuse_recipients {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        from.clone_into(&mut self.from);
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: std::mem::take(&mut self.data),
        };
        self.shared
            .mails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(mail);
        self.shared.count.send_modify(|n| *n += 1);
        response::OK
    }

    fn auth_plain(
        &mut self,
        _authorization_id: &str,
        authentication_id: &str,
        password: &str,
    ) -> Response {
        self.check(authentication_id, password)
    }

    fn auth_login(&mut self, username: &str, password: &str) -> Response {
        self.check(username, password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_link_is_found_in_text_then_in_html() {
        let mail = ParsedMail {
            subject: String::new(),
            from: None,
            to: vec![],
            text: Some("Ouvrez :\nhttps://ess.example.fr/a?b=1&c=2\n".to_owned()),
            html: None,
            headers: vec![],
        };
        assert_eq!(
            mail.first_link().as_deref(),
            Some("https://ess.example.fr/a?b=1&c=2")
        );
        let mail = ParsedMail {
            text: None,
            html: Some("<p><a href=\"https://ess.example.fr/a?b=1&amp;c=2\">x</a>".to_owned()),
            ..mail
        };
        assert_eq!(
            mail.first_link().as_deref(),
            Some("https://ess.example.fr/a?b=1&c=2")
        );
    }

    #[test]
    fn character_references_are_decoded() {
        assert_eq!(
            unescape_html("a?b=1&#38;c=2&#x26;d=&quot;&lt;&amp;amp;&unknown;&"),
            "a?b=1&c=2&d=\"<&amp;&unknown;&"
        );
    }
}
