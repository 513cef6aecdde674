//! The audit trail's storage: the `audit_events` table, append-only.
//!
//! The stores offer [`AuditLog`]: append, list and verify; nothing updates or deletes an entry,
//! and triggers on both databases refuse `UPDATE` and `DELETE` (PostgreSQL also `TRUNCATE`).
//! A rewrite done after dropping the triggers is still caught by [`AuditLog::verify`], which
//! re-computes the chain ([`essor_domain::audit`] documents the canonical form).
//!
//! # Appending with the change it records
//!
//! A change and its audit entry belong in one transaction: [`append_in_transaction`] appends
//! inside a transaction the caller opened, on either backend.
//!
//! ```ignore
//! // Inside a store method (in `impl_store!`), where `self.pool` is a SqlitePool or a PgPool.
//! // The change is written first: on SQLite the transaction then holds the write lock.
//! let mut tx = self.pool.begin().await?;
//! sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
//!     .bind(account).bind(role.code())
//!     .execute(&mut *tx).await?;
//! let event = AuditEvent::now(Actor::account(admin, format!("compte n° {admin}")), Action::USER_ROLE_CHANGED)
//!     .on(ObjectRef::new("account", account.to_string())?)
//!     .before(&json!({ "roles": before }))
//!     .after(&json!({ "roles": after }));
//! crate::audit::append_in_transaction(&mut tx, &event).await?;
//! tx.commit().await?;
//! ```
//!
//! Concurrency: on PostgreSQL the append locks the table (`LOCK TABLE … IN EXCLUSIVE MODE`,
//! which readers do not wait for) until the transaction ends, so two processes never read the
//! same last entry. On SQLite writers are serialised by the database, but a transaction that
//! has only read so far cannot always become a writer: begin it with
//! [`begin_statement`] (`BEGIN IMMEDIATE`), or write before appending; otherwise a concurrent
//! writer makes the append fail with "database is locked" (an error, never a forked chain: the
//! primary key on `seq` refuses two entries with the same number).

use chrono::{DateTime, Utc};
use essor_domain::audit::{AuditEntry, AuditEvent, Broken, Verified};

use crate::Result;

/// Entries read per query when verifying: memory stays flat however long the trail.
pub const VERIFY_PAGE: i64 = 1_000;

/// The most entries [`AuditLog::list`] returns at once.
pub const MAX_PAGE: u32 = 1_000;

/// Which entries to list. Every criterion is optional; they combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// `auth` lists `auth` and `auth.*` (`auth.login`, `auth.login_failed`…); `auth.login`
    /// lists that action (and `auth.login.*`, should it exist).
    pub action_prefix: Option<String>,
    /// An actor id as stored: `account:42` ([`essor_domain::audit::account_actor_id`]),
    /// `system:cli`.
    pub actor_id: Option<String>,
    pub object_kind: Option<String>,
    /// Only with `object_kind`.
    pub object_id: Option<String>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries strictly before this time.
    pub until: Option<DateTime<Utc>>,
}

/// A page of the list, most recent first: `before_seq` is the `seq` of the last entry of the
/// previous page (keyset pagination: pages stay right while entries are appended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub before_seq: Option<i64>,
    /// At most [`MAX_PAGE`].
    pub limit: u32,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            before_seq: None,
            limit: 50,
        }
    }
}

/// The audit trail of a store.
#[async_trait::async_trait]
pub trait AuditLog: Send + Sync + 'static {
    /// Appends an event in a transaction of its own; returns the entry as stored (its `seq`
    /// and `hash`).
    async fn append(&self, event: &AuditEvent) -> Result<AuditEntry>;

    /// The entries matching `filter`, most recent first, one page at a time.
    async fn list(&self, filter: &AuditFilter, page: Page) -> Result<Vec<AuditEntry>>;

    /// Re-computes the whole chain, [`VERIFY_PAGE`] entries at a time. The outer error is the
    /// database's; the inner one names the first broken entry.
    async fn verify(&self) -> Result<Result<Verified, Broken>>;
}

/// The databases an entry can be appended in, inside a caller's transaction.
#[async_trait::async_trait]
pub trait AuditDatabase: sqlx::Database + sealed::Sealed {
    /// How [`AuditLog::append`] begins its transaction; use it for transactions that append.
    const BEGIN: &'static str;

    async fn append_audit(
        tx: &mut sqlx::Transaction<'_, Self>,
        event: &AuditEvent,
    ) -> Result<AuditEntry>;
}

/// The statement that begins a transaction able to append: `BEGIN IMMEDIATE` on SQLite (the
/// write lock is taken at once), `BEGIN` on PostgreSQL (the append locks the table itself).
#[must_use]
pub fn begin_statement<DB: AuditDatabase>() -> &'static str {
    DB::BEGIN
}

/// Appends `event` inside the caller's transaction: the entry is written if, and only if, the
/// transaction commits. See the module's documentation for an example.
pub async fn append_in_transaction<DB: AuditDatabase>(
    tx: &mut sqlx::Transaction<'_, DB>,
    event: &AuditEvent,
) -> Result<AuditEntry> {
    DB::append_audit(tx, event).await
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for sqlx::Sqlite {}
    impl Sealed for sqlx::Postgres {}
}

pub(crate) type AuditRow = (
    i64,
    DateTime<Utc>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

pub(crate) const COLUMNS: &str = "seq, created_at, actor_id, actor_label, action, object_kind, \
     object_id, before_json, after_json, ip, prev_hash, hash";

pub(crate) fn entry_from_row(row: AuditRow) -> AuditEntry {
    let (
        seq,
        created_at,
        actor_id,
        actor_label,
        action,
        object_kind,
        object_id,
        before_json,
        after_json,
        ip,
        prev_hash,
        hash,
    ) = row;
    AuditEntry {
        seq,
        created_at,
        actor_id,
        actor_label,
        action,
        object_kind,
        object_id,
        before_json,
        after_json,
        ip,
        prev_hash,
        hash,
    }
}

/// `auth` and `auth.` both mean the `auth` family: the code itself and `auth.` followed by
/// anything. Returns the exact code and the prefix with its dot.
pub(crate) fn action_prefix(prefix: &str) -> (String, String) {
    let exact = prefix.trim().trim_end_matches('.').to_owned();
    let dotted = format!("{exact}.");
    (exact, dotted)
}

/// The append, in the caller's transaction, for one database type; `$lock` is run first when
/// the database needs an explicit lock.
macro_rules! impl_audit_database {
    ($db:ty, begin: $begin:expr, lock: $lock:expr) => {
        #[async_trait::async_trait]
        impl AuditDatabase for $db {
            const BEGIN: &'static str = $begin;

            #[tracing::instrument(skip_all, fields(action = %event.action()))]
            async fn append_audit(
                tx: &mut sqlx::Transaction<'_, Self>,
                event: &AuditEvent,
            ) -> Result<AuditEntry> {
                let lock: Option<&str> = $lock;
                if let Some(lock) = lock {
                    sqlx::query(lock).execute(&mut **tx).await?;
                }
                let last: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut **tx)
                        .await?;
                let (seq, prev_hash) = match last {
                    Some((seq, hash)) => (seq + 1, hash),
                    None => (1, essor_domain::audit::GENESIS_HASH.to_owned()),
                };
                let entry = event.seal(seq, &prev_hash);
                sqlx::query(
                    "INSERT INTO audit_events (seq, created_at, actor_id, actor_label, action, \
                     object_kind, object_id, before_json, after_json, ip, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(entry.seq)
                .bind(entry.created_at)
                .bind(&entry.actor_id)
                .bind(&entry.actor_label)
                .bind(&entry.action)
                .bind(&entry.object_kind)
                .bind(&entry.object_id)
                .bind(&entry.before_json)
                .bind(&entry.after_json)
                .bind(&entry.ip)
                .bind(&entry.prev_hash)
                .bind(&entry.hash)
                .execute(&mut **tx)
                .await?;
                Ok(entry)
            }
        }
    };
}

impl_audit_database!(sqlx::Sqlite, begin: "BEGIN IMMEDIATE", lock: None);
impl_audit_database!(
    sqlx::Postgres,
    begin: "BEGIN",
    lock: Some("LOCK TABLE audit_events IN EXCLUSIVE MODE")
);

/// [`AuditLog`] for a store whose `pool` is a pool of `$db`; invoked in the backend's module,
/// like `impl_store!`.
macro_rules! impl_audit_log {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::audit::AuditLog for $store {
            async fn append(
                &self,
                event: &essor_domain::audit::AuditEvent,
            ) -> $crate::Result<essor_domain::audit::AuditEntry> {
                let mut tx = self
                    .pool
                    .begin_with(<$db as $crate::audit::AuditDatabase>::BEGIN)
                    .await?;
                let entry = $crate::audit::append_in_transaction(&mut tx, event).await?;
                tx.commit().await?;
                Ok(entry)
            }

            async fn list(
                &self,
                filter: &$crate::audit::AuditFilter,
                page: $crate::audit::Page,
            ) -> $crate::Result<Vec<essor_domain::audit::AuditEntry>> {
                let mut select = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM audit_events WHERE 1 = 1",
                    $crate::audit::COLUMNS
                ));
                if let Some(prefix) = &filter.action_prefix {
                    let (exact, dotted) = $crate::audit::action_prefix(prefix);
                    let length = i32::try_from(dotted.chars().count()).unwrap_or(i32::MAX);
                    select
                        .push(" AND (action = ")
                        .push_bind(exact)
                        .push(" OR substr(action, 1, ")
                        .push_bind(length)
                        .push(") = ")
                        .push_bind(dotted)
                        .push(")");
                }
                if let Some(actor) = &filter.actor_id {
                    select.push(" AND actor_id = ").push_bind(actor.clone());
                }
                if let Some(kind) = &filter.object_kind {
                    select.push(" AND object_kind = ").push_bind(kind.clone());
                    if let Some(id) = &filter.object_id {
                        select.push(" AND object_id = ").push_bind(id.clone());
                    }
                }
                if let Some(from) = filter.from {
                    select.push(" AND created_at >= ").push_bind(from);
                }
                if let Some(until) = filter.until {
                    select.push(" AND created_at < ").push_bind(until);
                }
                if let Some(before) = page.before_seq {
                    select.push(" AND seq < ").push_bind(before);
                }
                select
                    .push(" ORDER BY seq DESC LIMIT ")
                    .push_bind(i64::from(page.limit.min($crate::audit::MAX_PAGE)));
                let rows: Vec<$crate::audit::AuditRow> =
                    select.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows
                    .into_iter()
                    .map($crate::audit::entry_from_row)
                    .collect())
            }

            #[tracing::instrument(skip_all)]
            async fn verify(
                &self,
            ) -> $crate::Result<Result<essor_domain::audit::Verified, essor_domain::audit::Broken>>
            {
                let mut verifier = essor_domain::audit::ChainVerifier::new();
                let mut after = i64::MIN;
                loop {
                    let rows: Vec<$crate::audit::AuditRow> = sqlx::query_as(&format!(
                        "SELECT {} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                        $crate::audit::COLUMNS
                    ))
                    .bind(after)
                    .bind($crate::audit::VERIFY_PAGE)
                    .fetch_all(&self.pool)
                    .await?;
                    let Some(last) = rows.last() else {
                        return Ok(Ok(verifier.finish()));
                    };
                    after = last.0;
                    for row in rows {
                        let entry = $crate::audit::entry_from_row(row);
                        if let Err(broken) = verifier.check(&entry) {
                            return Ok(Err(broken));
                        }
                    }
                }
            }
        }
    };
}

pub(crate) use impl_audit_log;

/// Opens the database the target names, as a [`Store`](crate::Store) and as its
/// [`AuditLog`], sharing one pool. Does not migrate: call [`Store::migrate`](crate::Store::migrate).
pub async fn open_with_audit(
    target: &crate::DatabaseTarget,
) -> Result<(
    std::sync::Arc<dyn crate::Store>,
    std::sync::Arc<dyn AuditLog>,
)> {
    use std::sync::Arc;
    match target {
        crate::DatabaseTarget::SqliteFile(path) => {
            let store = Arc::new(crate::SqliteStore::open(path).await?);
            Ok((Arc::clone(&store) as Arc<dyn crate::Store>, store))
        }
        crate::DatabaseTarget::Postgres(url) => {
            let store = Arc::new(crate::PostgresStore::connect(url).await?);
            Ok((Arc::clone(&store) as Arc<dyn crate::Store>, store))
        }
    }
}
