//! Signed webhooks on the dossiers' state changes.
//!
//! Administrators register endpoints (an `http(s)` URL; a secret generated and shown once) on
//! `/administration/webhooks`. Every transition of a dossier, recorded with its event in the
//! dossier's thread, becomes one delivery per active endpoint (`essor_store::api`), made by a
//! background task ([`spawn_dispatcher`]): the JSON body names the dossier, its structure's
//! SIREN, the states left and reached and the time, nothing else. Each attempt is signed:
//!
//! ```text
//! Essor-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//! ```
//!
//! so a receiver checks the body and refuses old replays. A failed attempt (no answer, or not
//! 2xx) is tried again after an exponential backoff, up to a bounded number of attempts; the
//! page shows each delivery's status and attempts.
//!
//! Targets must resolve to public addresses (no loopback, private, link-local… network), checked
//! at registration and again at each attempt, which connects to the address checked (a name
//! cannot be re-pointed in between) and follows no redirection. `allow_private_targets` lifts
//! this, for tests and closed networks.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use essor_domain::actor::FieldError;
use essor_domain::dates::format_datetime;
use essor_store::api::{Attempt, WebhookDelivery, WebhookEndpoint};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::error::AppError;
use crate::layout::Layout;
use crate::profiles::{account_id, field};
use crate::{AppState, csrf, page_layout};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "essor-signature";
/// Longest URL accepted.
const MAX_URL: usize = 2_000;
/// Deliveries shown per endpoint.
const SHOWN_DELIVERIES: u32 = 20;

/// How webhooks are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Lets endpoints on loopback, private and link-local addresses in (tests, closed networks).
    pub allow_private_targets: bool,
    /// Wait before the second attempt; doubled at each further one.
    pub retry_base: Duration,
    /// Attempts before a delivery is given up.
    pub max_attempts: u32,
    /// How long an endpoint has to answer.
    pub timeout: Duration,
    /// How often the dispatcher looks for work when nothing wakes it.
    pub poll: Duration,
    /// Age of an event before it is delivered: transactions committing out of the order of their
    /// events' numbers (PostgreSQL) have settled by then.
    pub settle: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(5),
            settle: Duration::from_secs(2),
        }
    }
}

/// The webhooks' settings and the dispatcher's wake-up call, shared through [`AppState`].
#[derive(Debug, Default)]
pub struct Webhooks {
    pub settings: WebhookSettings,
    wake: tokio::sync::Notify,
}

impl Webhooks {
    #[must_use]
    pub fn new(settings: WebhookSettings) -> Self {
        Self {
            settings,
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Tells the dispatcher a transition was recorded.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The signature of a body at a time, as the `v1` part of [`SIGNATURE_HEADER`].
#[must_use]
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether an address is reachable from the public internet (not loopback, private, link-local,
/// shared, documentation, multicast or reserved).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let documentation = v6.segments()[0] == 0x2001 && v6.segments()[1] == 0x0db8;
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || documentation)
        }
    }
}

/// An endpoint's URL, if essor may call it: `http(s)`, a host, no credentials.
fn parse_url(raw: &str) -> Result<url::Url, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL {
        return Err(
            "Adresse : indiquez l’URL qui recevra les événements (2 000 caractères au plus)."
                .to_owned(),
        );
    }
    let url = url::Url::parse(raw).map_err(|_| {
        "Adresse : ce n’est pas une URL, par exemple https://exemple.fr/essor.".to_owned()
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("Adresse : seules les URL http:// et https:// sont acceptées.".to_owned());
    }
    if url.host().is_none() {
        return Err("Adresse : l’URL doit nommer un serveur.".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Adresse : l’URL ne doit pas contenir d’identifiants ; la signature authentifie \
             les envois."
                .to_owned(),
        );
    }
    Ok(url)
}

/// The addresses to connect to for a URL, all checked: a name resolving to any non-public
/// address is refused (unless allowed).
async fn target_addresses(url: &url::Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "Adresse : port inconnu.".to_owned())?;
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| format!("Adresse : le serveur « {name} » est introuvable."))?
            .collect(),
        None => Vec::new(),
    };
    if addresses.is_empty() {
        return Err("Adresse : le serveur n’a pas d’adresse.".to_owned());
    }
    if !allow_private && addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(
            "Adresse : elle mène à un réseau privé ou local (boucle locale, réseau interne) ; \
             seules les adresses publiques sont acceptées."
                .to_owned(),
        );
    }
    Ok(addresses)
}

// ---------------------------------------------------------------------------------------------
// The dispatcher

/// Starts the background task that turns transitions into deliveries and makes them; it runs
/// until its handle aborts it.
#[must_use = "the handle stops the dispatcher when aborted"]
pub fn spawn_dispatcher(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = dispatch_once(&state).await {
                tracing::warn!(error = %e, "webhooks : passe de livraison interrompue");
            }
            let poll = state.webhooks.settings.poll;
            tokio::select! {
                () = state.webhooks.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    })
}

/// One pass: new events into deliveries, then the deliveries due.
async fn dispatch_once(state: &AppState) -> Result<(), essor_store::StoreError> {
    let settings = &state.webhooks.settings;
    let settle = chrono::Duration::from_std(settings.settle).unwrap_or_default();
    while state
        .store
        .enqueue_webhook_events(Utc::now() - settle, 100)
        .await?
        > 0
    {}
    loop {
        let due = state.store.due_webhook_deliveries(Utc::now(), 20).await?;
        if due.is_empty() {
            return Ok(());
        }
        for (delivery, endpoint) in due {
            deliver(state, &delivery, &endpoint).await?;
        }
    }
}

async fn deliver(
    state: &AppState,
    delivery: &WebhookDelivery,
    endpoint: &WebhookEndpoint,
) -> Result<(), essor_store::StoreError> {
    let settings = &state.webhooks.settings;
    let lease = Utc::now()
        + chrono::Duration::from_std(settings.timeout * 3).unwrap_or(chrono::Duration::seconds(60));
    if !state
        .store
        .claim_webhook_delivery(delivery.id, delivery.attempts, lease)
        .await?
    {
        return Ok(());
    }
    let attempts = delivery.attempts + 1;
    let outcome = if endpoint.active {
        attempt(settings, delivery, endpoint).await
    } else {
        Err((None, "point de réception désactivé".to_owned()))
    };
    let recorded = match outcome {
        Ok(status_code) => Attempt::Delivered {
            status_code,
            at: Utc::now(),
        },
        Err((status_code, error)) => {
            let retry_at = (attempts < settings.max_attempts && endpoint.active).then(|| {
                let wait = settings
                    .retry_base
                    .saturating_mul(1 << (attempts - 1).min(16));
                Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1))
            });
            tracing::info!(
                delivery = delivery.id,
                endpoint = endpoint.id,
                attempts,
                error = %error,
                "webhooks : livraison échouée"
            );
            Attempt::Failed {
                status_code,
                error,
                retry_at,
            }
        }
    };
    state
        .store
        .record_webhook_attempt(delivery.id, &recorded)
        .await
}

/// One signed POST; the status of a 2xx answer, or what went wrong.
async fn attempt(
    settings: &WebhookSettings,
    delivery: &WebhookDelivery,
    endpoint: &WebhookEndpoint,
) -> Result<u16, (Option<u16>, String)> {
    let url = parse_url(&endpoint.url).map_err(|e| (None, e))?;
    let addresses = target_addresses(&url, settings.allow_private_targets)
        .await
        .map_err(|e| (None, e))?;
    let mut client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(settings.timeout)
        .user_agent("essor-webhooks/1");
    if let Some(url::Host::Domain(name)) = url.host() {
        // Connect to the addresses just checked, not to what the name resolves to later.
        client = client.resolve_to_addrs(name, &addresses);
    }
    let client = client
        .build()
        .map_err(|_| (None, "client HTTP indisponible".to_owned()))?;
    let timestamp = Utc::now().timestamp();
    let signature = sign(&endpoint.secret, timestamp, &delivery.body);
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("essor-evenement", "dossier.transition")
        .header("essor-livraison", delivery.id.to_string())
        .header(SIGNATURE_HEADER, format!("t={timestamp},v1={signature}"))
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|e| {
            let what = if e.is_timeout() {
                "délai de réponse dépassé"
            } else if e.is_connect() {
                "connexion impossible"
            } else {
                "échec de l’envoi"
            };
            (None, what.to_owned())
        })?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("réponse HTTP {status}")))
    }
}

// ---------------------------------------------------------------------------------------------
// The administrators' page

struct DeliveryView {
    event: i64,
    created: String,
    status: &'static str,
    attempts: u32,
    code: String,
    error: String,
    next: String,
}

struct EndpointView {
    id: i64,
    url: String,
    active: bool,
    created: String,
    deliveries: Vec<DeliveryView>,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    csrf: String,
    endpoints: Vec<EndpointView>,
    /// The secret of the endpoint just registered, shown this once.
    secret: Option<(String, String)>,
    url: String,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

crate::profiles::form_errors!(WebhooksPage);

async fn webhooks_page(
    state: &AppState,
    headers: &HeaderMap,
    secret: Option<(String, String)>,
    url: String,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let mut endpoints = Vec::new();
    for endpoint in state.store.webhooks().await? {
        let deliveries = state
            .store
            .webhook_deliveries(endpoint.id, SHOWN_DELIVERIES)
            .await?
            .into_iter()
            .map(|d| DeliveryView {
                event: d.event_id,
                created: format_datetime(d.created_at),
                status: d.status.label(),
                attempts: d.attempts,
                code: d
                    .last_status_code
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                error: d.last_error.unwrap_or_default(),
                next: if d.status == essor_store::api::DeliveryStatus::Pending {
                    d.next_attempt_at.map(format_datetime).unwrap_or_default()
                } else {
                    String::new()
                },
            })
            .collect();
        endpoints.push(EndpointView {
            id: endpoint.id,
            url: endpoint.url,
            active: endpoint.active,
            created: format_datetime(endpoint.created_at),
            deliveries,
        });
    }
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = WebhooksPage {
        layout: page_layout(state, "").await?,
        csrf,
        endpoints,
        secret,
        url,
        errors,
        notice,
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `GET /administration/webhooks`.
pub(crate) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let notice = match query.get("fait").map(String::as_str) {
        Some("active") => Some("Le point de réception est activé."),
        Some("desactive") => Some("Le point de réception est désactivé : il ne reçoit plus rien."),
        _ => None,
    };
    webhooks_page(&state, &headers, None, String::new(), Vec::new(), notice).await
}

/// `POST /administration/webhooks` (`url`): registers an endpoint and shows its secret once.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let raw = field(&fields, "url").trim().to_owned();
    let checked = match parse_url(&raw) {
        Ok(url) => target_addresses(&url, state.webhooks.settings.allow_private_targets)
            .await
            .map(|_| url),
        Err(e) => Err(e),
    };
    let url = match checked {
        Ok(url) => url,
        Err(message) => {
            let errors = vec![FieldError {
                field: "url".to_owned(),
                message,
            }];
            return webhooks_page(&state, &headers, None, raw, errors, None).await;
        }
    };
    let (token, _) = essor_auth::Token::generate();
    let secret = format!("whsec_{}", token.as_str());
    let account = account_id(&user)?;
    let endpoint = state
        .store
        .create_webhook(url.as_str(), &secret, Some(account), Utc::now())
        .await?;
    audit::record(
        &state,
        AuditActor::Account(account),
        "webhook.created",
        "webhook",
        &endpoint.id.to_string(),
        None,
    )
    .await;
    webhooks_page(
        &state,
        &headers,
        Some((endpoint.url, secret)),
        String::new(),
        Vec::new(),
        None,
    )
    .await
}

/// `POST /administration/webhooks/{id}/etat` (`actif=1|0`): turns an endpoint on or off.
pub(crate) async fn set_active(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let active = field(&fields, "actif") == "1";
    if !state.store.set_webhook_active(id, active).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &state,
        AuditActor::Account(account_id(&user)?),
        "webhook.changed",
        "webhook",
        &id.to_string(),
        Some(serde_json::json!({ "active": active })),
    )
    .await;
    let done = if active { "active" } else { "desactive" };
    Ok(Redirect::to(&format!("/administration/webhooks?fait={done}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["193.51.24.1", "8.8.8.8", "2a01:e0a::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn only_web_urls_without_credentials_are_accepted() {
        assert!(parse_url("https://exemple.fr/essor").is_ok());
        assert!(parse_url("http://exemple.fr:8080/x").is_ok());
        for bad in [
            "ftp://exemple.fr/",
            "file:///etc/passwd",
            "https://moi:secret@exemple.fr/",
            "exemple.fr",
            "",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn loopback_targets_are_refused_unless_allowed() {
        let url = parse_url("http://127.0.0.1:9/hook").unwrap();
        let refused = target_addresses(&url, false).await.unwrap_err();
        assert!(refused.contains("réseau privé ou local"), "{refused}");
        assert!(target_addresses(&url, true).await.is_ok());
        let name = parse_url("http://localhost:9/hook").unwrap();
        assert!(target_addresses(&name, false).await.is_err());
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_time_and_the_body() {
        // What is signed is "<t>.<body>": each part changes the signature.
        let signature = sign("key", 1, "x");
        assert_eq!(signature.len(), 64);
        assert_ne!(signature, sign("key", 2, "x"));
        assert_ne!(signature, sign("key", 1, "y"));
        assert_ne!(signature, sign("other", 1, "x"));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"1.x");
        assert_eq!(signature, hex::encode(mac.finalize().into_bytes()));
    }
}
