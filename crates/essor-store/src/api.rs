//! What the API and its webhooks keep: personal API tokens (their SHA-256 hash only, like
//! sessions), the webhook endpoints administrators register, and the deliveries of dossier
//! transitions to them.
//!
//! Deliveries are made from the dossiers' threads: every transition writes its event in the
//! transaction that moves the dossier ([`crate::dossiers::Dossiers::record_transition`]);
//! [`Api::enqueue_webhook_events`] turns the transition events past a cursor into one delivery
//! per active endpoint and moves the cursor, in one transaction. A crash between a transition
//! and its webhook therefore loses nothing: the next pass picks the event up.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use essor_domain::access::SecondFactor;

use crate::Result;

/// A personal API token, as listed (its hash never leaves the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    /// The second factor of the session it was created from (`Done` or `NotRequired`).
    pub second_factor: SecondFactor,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What creating a token needs: the hash of the token shown once to its owner.
#[derive(Debug, Clone)]
pub struct NewApiToken<'a> {
    pub token_hash: &'a str,
    pub account_id: i64,
    pub name: &'a str,
    pub second_factor: SecondFactor,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A registered webhook endpoint. The secret is kept as such: it signs every delivery.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("secret", &"***")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not yet accepted by the endpoint; tried again at `next_attempt_at`.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt failed; no more will be made.
    Failed,
}

impl DeliveryStatus {
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(code: &str) -> Result<Self> {
        match code {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(crate::StoreError::Corrupt {
                what: "état de livraison de webhook",
                detail: other.to_owned(),
            }),
        }
    }

    /// In French, for the administrators' page.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "en attente",
            Self::Delivered => "livré",
            Self::Failed => "abandonné",
        }
    }
}

/// One event to deliver to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    /// The dossier event it tells of.
    pub event_id: i64,
    /// The JSON body, signed as it is.
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered {
        status_code: u16,
        at: DateTime<Utc>,
    },
    /// Failed; tried again at `retry_at`, or given up when `None`.
    Failed {
        status_code: Option<u16>,
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// The JSON body of a transition's webhook: the dossier's number, its structure's SIREN, the
/// states (their stable codes) and the time. Nothing else: no name, no amount, no message.
#[must_use]
pub fn transition_payload(
    event_id: i64,
    dossier: i64,
    siren: &str,
    from: Option<&str>,
    to: Option<&str>,
    at: DateTime<Utc>,
) -> String {
    serde_json::json!({
        "type": "dossier.transition",
        "evenement": event_id,
        "dossier": dossier,
        "siren": siren,
        "de": from,
        "vers": to,
        "le": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
    .to_string()
}

/// The storage of API tokens and webhooks. Both backends implement it with the same SQL.
#[async_trait]
pub trait Api: Send + Sync {
    async fn create_api_token(&self, new: &NewApiToken<'_>) -> Result<ApiToken>;
    /// An account's tokens, newest first, revoked ones included.
    async fn api_tokens(&self, account: i64) -> Result<Vec<ApiToken>>;
    /// The token with this hash, if it is neither revoked nor expired at `now`.
    async fn api_token_by_hash(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>>;
    /// Records a use of a token.
    async fn touch_api_token(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
    /// Revokes one of the account's tokens; `false` when it has none with this id, or it is
    /// already revoked.
    async fn revoke_api_token(&self, account: i64, id: i64, at: DateTime<Utc>) -> Result<bool>;

    async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        created_by: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<WebhookEndpoint>;
    async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>>;
    async fn webhook(&self, id: i64) -> Result<Option<WebhookEndpoint>>;
    /// `false` when there is no such endpoint.
    async fn set_webhook_active(&self, id: i64, active: bool) -> Result<bool>;

    /// Turns the transition events past the cursor and written up to `up_to` into one pending
    /// delivery per endpoint active and registered by the time of the event, and moves the
    /// cursor, in one transaction; returns the deliveries created. At most `limit` events a
    /// call. Two processes doing it at once create each delivery once.
    async fn enqueue_webhook_events(&self, up_to: DateTime<Utc>, limit: u32) -> Result<usize>;
    /// Pending deliveries due at `now`, oldest first, with their endpoint.
    async fn due_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(WebhookDelivery, WebhookEndpoint)>>;
    /// Takes a due delivery for one attempt: counts the attempt and puts its next attempt at
    /// `lease_until`, so that no other process tries it meanwhile. `false` when another process
    /// took it first.
    async fn claim_webhook_delivery(
        &self,
        id: i64,
        attempts_seen: u32,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Records the outcome of the attempt claimed.
    async fn record_webhook_attempt(&self, id: i64, attempt: &Attempt) -> Result<()>;
    /// The last deliveries of an endpoint, newest first.
    async fn webhook_deliveries(&self, endpoint: i64, limit: u32) -> Result<Vec<WebhookDelivery>>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    id: i64,
    account_id: i64,
    name: String,
    second_factor: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

pub(crate) const API_TOKEN_COLUMNS: &str =
    "id, account_id, name, second_factor, created_at, expires_at, last_used_at, revoked_at";

pub(crate) fn api_token_from_row(row: ApiTokenRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.id,
        account_id: row.account_id,
        name: row.name,
        second_factor: crate::accounts::second_factor_from_code(&row.second_factor)?,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookRow {
    id: i64,
    url: String,
    secret: String,
    active: bool,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
}

pub(crate) const WEBHOOK_COLUMNS: &str = "id, url, secret, active, created_by, created_at";

pub(crate) fn webhook_from_row(row: WebhookRow) -> WebhookEndpoint {
    WebhookEndpoint {
        id: row.id,
        url: row.url,
        secret: row.secret,
        active: row.active,
        created_by: row.created_by,
        created_at: row.created_at,
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: i64,
    endpoint_id: i64,
    event_id: i64,
    body: String,
    status: String,
    attempts: i32,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    next_attempt_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
}

pub(crate) const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_id, body, status, attempts, \
     last_status_code, last_error, created_at, next_attempt_at, delivered_at";

pub(crate) fn delivery_from_row(row: DeliveryRow) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: row.id,
        endpoint_id: row.endpoint_id,
        event_id: row.event_id,
        body: row.body,
        status: DeliveryStatus::parse(&row.status)?,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        last_status_code: row.last_status_code.and_then(|c| u16::try_from(c).ok()),
        last_error: row.last_error,
        created_at: row.created_at,
        next_attempt_at: row.next_attempt_at,
        delivered_at: row.delivered_at,
    })
}

/// A transition event to turn into deliveries.
#[derive(sqlx::FromRow)]
pub(crate) struct PendingEvent {
    pub(crate) id: i64,
    pub(crate) dossier_id: i64,
    pub(crate) siren: String,
    pub(crate) from_state: Option<String>,
    pub(crate) to_state: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
}

macro_rules! impl_api {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::api::Api for $store {
            async fn create_api_token(
                &self,
                new: &$crate::api::NewApiToken<'_>,
            ) -> $crate::Result<$crate::api::ApiToken> {
                let row: $crate::api::ApiTokenRow = sqlx::query_as(&format!(
                    "INSERT INTO api_tokens (token_hash, account_id, name, second_factor, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
                    $crate::api::API_TOKEN_COLUMNS
                ))
                .bind(new.token_hash)
                .bind(new.account_id)
                .bind(new.name)
                .bind($crate::accounts::second_factor_code(new.second_factor))
                .bind(new.created_at)
                .bind(new.expires_at)
                .fetch_one(&self.pool)
                .await?;
                $crate::api::api_token_from_row(row)
            }

            async fn api_tokens(&self, account: i64) -> $crate::Result<Vec<$crate::api::ApiToken>> {
                let rows: Vec<$crate::api::ApiTokenRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM api_tokens WHERE account_id = $1 ORDER BY id DESC",
                    $crate::api::API_TOKEN_COLUMNS
                ))
                .bind(account)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::api::api_token_from_row)
                    .collect()
            }

            async fn api_token_by_hash(
                &self,
                hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::api::ApiToken>> {
                let row: Option<$crate::api::ApiTokenRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                    $crate::api::API_TOKEN_COLUMNS
                ))
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
                let token = row.map($crate::api::api_token_from_row).transpose()?;
                Ok(token.filter(|t| t.expires_at > now))
            }

            async fn touch_api_token(
                &self,
                id: i64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_api_token(
                &self,
                account: i64,
                id: i64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 \
                     AND revoked_at IS NULL",
                )
                .bind(at)
                .bind(id)
                .bind(account)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn create_webhook(
                &self,
                url: &str,
                secret: &str,
                created_by: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::api::WebhookEndpoint> {
                let row: $crate::api::WebhookRow = sqlx::query_as(&format!(
                    "INSERT INTO webhook_endpoints (url, secret, active, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING {}",
                    $crate::api::WEBHOOK_COLUMNS
                ))
                .bind(url)
                .bind(secret)
                .bind(true)
                .bind(created_by)
                .bind(at)
                .fetch_one(&self.pool)
                .await?;
                Ok($crate::api::webhook_from_row(row))
            }

            async fn webhooks(&self) -> $crate::Result<Vec<$crate::api::WebhookEndpoint>> {
                let rows: Vec<$crate::api::WebhookRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_endpoints ORDER BY id",
                    $crate::api::WEBHOOK_COLUMNS
                ))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map($crate::api::webhook_from_row)
                    .collect())
            }

            async fn webhook(
                &self,
                id: i64,
            ) -> $crate::Result<Option<$crate::api::WebhookEndpoint>> {
                let row: Option<$crate::api::WebhookRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_endpoints WHERE id = $1",
                    $crate::api::WEBHOOK_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map($crate::api::webhook_from_row))
            }

            async fn set_webhook_active(&self, id: i64, active: bool) -> $crate::Result<bool> {
                let done = sqlx::query("UPDATE webhook_endpoints SET active = $1 WHERE id = $2")
                    .bind(active)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn enqueue_webhook_events(
                &self,
                up_to: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::Result<usize> {
                let mut tx = self.pool.begin().await?;
                let (cursor,): (i64,) =
                    sqlx::query_as("SELECT last_event_id FROM webhook_cursor WHERE id = 1")
                        .fetch_one(&mut *tx)
                        .await?;
                let events: Vec<$crate::api::PendingEvent> = sqlx::query_as(
                    "SELECT e.id, e.dossier_id, d.siren, e.from_state, e.to_state, e.created_at \
                     FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id \
                     WHERE e.id > $1 AND e.kind = $2 AND e.created_at <= $3 \
                     ORDER BY e.id LIMIT $4",
                )
                .bind(cursor)
                .bind($crate::dossiers::EventKind::Transition.code())
                .bind(up_to)
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
                let Some(last) = events.last().map(|e| e.id) else {
                    return Ok(0);
                };
                let endpoints: Vec<$crate::api::WebhookRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_endpoints WHERE active ORDER BY id",
                    $crate::api::WEBHOOK_COLUMNS
                ))
                .fetch_all(&mut *tx)
                .await?;
                let mut created = 0;
                for event in &events {
                    let body = $crate::api::transition_payload(
                        event.id,
                        event.dossier_id,
                        &event.siren,
                        event.from_state.as_deref(),
                        event.to_state.as_deref(),
                        event.created_at,
                    );
                    for endpoint in endpoints
                        .iter()
                        .map(|e| $crate::api::webhook_from_row_ref(e))
                    {
                        if endpoint.1 > event.created_at {
                            continue;
                        }
                        let done = sqlx::query(
                            "INSERT INTO webhook_deliveries (endpoint_id, event_id, body, status, \
                             attempts, created_at, next_attempt_at) \
                             VALUES ($1, $2, $3, $4, 0, $5, $5) \
                             ON CONFLICT (endpoint_id, event_id) DO NOTHING",
                        )
                        .bind(endpoint.0)
                        .bind(event.id)
                        .bind(&body)
                        .bind($crate::api::DeliveryStatus::Pending.code())
                        .bind(event.created_at)
                        .execute(&mut *tx)
                        .await?;
                        created += usize::try_from(done.rows_affected()).unwrap_or(0);
                    }
                }
                // Only from the cursor read: a process that moved it meanwhile wins, and this
                // pass's inserts are undone with the transaction.
                let moved = sqlx::query(
                    "UPDATE webhook_cursor SET last_event_id = $1 WHERE id = 1 \
                     AND last_event_id = $2",
                )
                .bind(last)
                .bind(cursor)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() == 0 {
                    return Ok(0);
                }
                tx.commit().await?;
                Ok(created)
            }

            async fn due_webhook_deliveries(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::Result<Vec<($crate::api::WebhookDelivery, $crate::api::WebhookEndpoint)>>
            {
                let rows: Vec<$crate::api::DeliveryRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_deliveries WHERE status = $1 \
                     AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3",
                    $crate::api::DELIVERY_COLUMNS
                ))
                .bind($crate::api::DeliveryStatus::Pending.code())
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                let mut due = Vec::with_capacity(rows.len());
                for row in rows {
                    let delivery = $crate::api::delivery_from_row(row)?;
                    if let Some(endpoint) =
                        $crate::api::Api::webhook(self, delivery.endpoint_id).await?
                    {
                        due.push((delivery, endpoint));
                    }
                }
                Ok(due)
            }

            async fn claim_webhook_delivery(
                &self,
                id: i64,
                attempts_seen: u32,
                lease_until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let seen = i32::try_from(attempts_seen).unwrap_or(i32::MAX);
                let done = sqlx::query(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1 \
                     WHERE id = $2 AND status = $3 AND attempts = $4",
                )
                .bind(lease_until)
                .bind(id)
                .bind($crate::api::DeliveryStatus::Pending.code())
                .bind(seen)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_webhook_attempt(
                &self,
                id: i64,
                attempt: &$crate::api::Attempt,
            ) -> $crate::Result<()> {
                use $crate::api::{Attempt, DeliveryStatus};
                let query = match attempt {
                    Attempt::Delivered { status_code, at } => sqlx::query(
                        "UPDATE webhook_deliveries SET status = $1, last_status_code = $2, \
                         last_error = NULL, delivered_at = $3, next_attempt_at = NULL \
                         WHERE id = $4",
                    )
                    .bind(DeliveryStatus::Delivered.code())
                    .bind(i32::from(*status_code))
                    .bind(*at)
                    .bind(id),
                    Attempt::Failed {
                        status_code,
                        error,
                        retry_at,
                    } => sqlx::query(
                        "UPDATE webhook_deliveries SET status = $1, last_status_code = $2, \
                         last_error = $3, next_attempt_at = $4 WHERE id = $5",
                    )
                    .bind(if retry_at.is_some() {
                        DeliveryStatus::Pending.code()
                    } else {
                        DeliveryStatus::Failed.code()
                    })
                    .bind(status_code.map(i32::from))
                    .bind(error.as_str())
                    .bind(*retry_at)
                    .bind(id),
                };
                query.execute(&self.pool).await?;
                Ok(())
            }

            async fn webhook_deliveries(
                &self,
                endpoint: i64,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::api::WebhookDelivery>> {
                let rows: Vec<$crate::api::DeliveryRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_deliveries WHERE endpoint_id = $1 \
                     ORDER BY id DESC LIMIT $2",
                    $crate::api::DELIVERY_COLUMNS
                ))
                .bind(endpoint)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::api::delivery_from_row)
                    .collect()
            }
        }
    };
}

/// The id and registration time of an endpoint row.
pub(crate) fn webhook_from_row_ref(row: &WebhookRow) -> (i64, DateTime<Utc>) {
    (row.id, row.created_at)
}

pub(crate) use impl_api;
