//! Accounts, their roles and structures, sessions, single-use tokens, the second factor and
//! single sign-on identities.
//!
//! The store keeps only hashes of secrets: the caller (essor-auth) hashes passwords with
//! Argon2id and tokens, sessions and recovery codes with SHA-256 before they reach these methods.
//! Expiry is checked here, in Rust, against the `now` the caller passes, so tests can move time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use essor_domain::Siren;
use essor_domain::access::{Role, SecondFactor};

use crate::{Result, StoreError};

/// An account as the rest of essor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    /// Lower-cased.
    pub email: String,
    pub display_name: String,
    /// `None` for an account that only signs in through single sign-on.
    pub password_hash: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    /// The TOTP secret (base32) once the second factor is set up.
    pub totp_secret: Option<String>,
    /// The last TOTP time step accepted, so a code cannot be replayed.
    pub totp_last_step: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub roles: Vec<Role>,
}

impl Account {
    #[must_use]
    pub fn is_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

/// What creating an account needs.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub email_verified: bool,
    pub roles: &'a [Role],
}

/// A person's membership of a structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub siren: Siren,
    pub owner: bool,
    pub created_at: DateTime<Utc>,
}

/// What a single-use token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    ConfirmEmail,
    ResetPassword,
}

impl TokenPurpose {
    fn code(self) -> &'static str {
        match self {
            Self::ConfirmEmail => "confirm_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub account_id: i64,
    pub second_factor: SecondFactor,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A single sign-on identity linked to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdentity {
    pub issuer: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("un compte existe déjà avec cette adresse électronique")]
    EmailTaken,
    #[error("compte introuvable")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

/// Accounts and what hangs on them. Both backends implement it with the same SQL.
#[async_trait]
pub trait Accounts: Send + Sync {
    async fn create_account(&self, account: &NewAccount<'_>) -> Result<Account, AccountError>;
    async fn account(&self, id: i64) -> Result<Option<Account>>;
    /// By e-mail, compared lower-cased.
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>>;
    async fn accounts(&self) -> Result<Vec<Account>>;
    async fn set_roles(&self, id: i64, roles: &[Role]) -> Result<(), AccountError>;
    async fn set_display_name(&self, id: i64, name: &str) -> Result<(), AccountError>;
    /// Sets the password hash and ends every session of the account.
    async fn set_password(&self, id: i64, hash: &str) -> Result<(), AccountError>;
    /// Replaces the hash of an unchanged password (new hashing parameters); sessions stay.
    async fn rehash_password(&self, id: i64, hash: &str) -> Result<()>;
    async fn mark_email_verified(&self, id: i64, at: DateTime<Utc>) -> Result<(), AccountError>;
    async fn record_login(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
    /// Sets (or with `None` removes) the TOTP secret; resets the last step and recovery codes.
    async fn set_totp(&self, id: i64, secret: Option<&str>) -> Result<(), AccountError>;
    /// Accepts TOTP step `step` only if it is later than the last one accepted (no replay).
    async fn accept_totp_step(&self, id: i64, step: i64) -> Result<bool>;
    /// Replaces the account's recovery codes by these hashes.
    async fn replace_recovery_codes(&self, id: i64, hashes: &[String]) -> Result<()>;
    /// Uses a recovery code once; `false` when unknown or already used.
    async fn use_recovery_code(&self, id: i64, hash: &str, at: DateTime<Utc>) -> Result<bool>;
    async fn remaining_recovery_codes(&self, id: i64) -> Result<u32>;

    async fn create_token(
        &self,
        hash: &str,
        account: i64,
        purpose: TokenPurpose,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Uses a token once: its account when the token exists for that purpose, is unused and
    /// unexpired at `now`; `None` otherwise.
    async fn consume_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>>;

    async fn create_session(
        &self,
        hash: &str,
        account: i64,
        second_factor: SecondFactor,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The session, when it exists and is unexpired at `now`.
    async fn session(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<Session>>;
    async fn set_session_second_factor(&self, hash: &str, state: SecondFactor) -> Result<()>;
    async fn touch_session(&self, hash: &str, now: DateTime<Utc>) -> Result<()>;
    async fn delete_session(&self, hash: &str) -> Result<()>;
    async fn sessions_of(&self, account: i64) -> Result<Vec<Session>>;

    async fn add_membership(&self, account: i64, siren: &Siren, owner: bool) -> Result<()>;
    async fn remove_membership(&self, account: i64, siren: &Siren) -> Result<()>;
    async fn memberships(&self, account: i64) -> Result<Vec<Membership>>;

    async fn link_oidc(&self, issuer: &str, subject: &str, account: i64) -> Result<()>;
    async fn account_by_oidc(&self, issuer: &str, subject: &str) -> Result<Option<Account>>;
    async fn oidc_identities(&self, account: i64) -> Result<Vec<OidcIdentity>>;

    /// Erases the account and everything personal hanging on it.
    async fn delete_account(&self, id: i64) -> Result<bool>;
    /// Removes expired sessions and tokens, and accounts never confirmed since `unconfirmed_before`.
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        unconfirmed_before: DateTime<Utc>,
    ) -> Result<u64>;
}

pub(crate) type AccountRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<i64>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

pub(crate) const ACCOUNT_COLUMNS: &str = "id, email, display_name, password_hash, \
     email_verified_at, totp_secret, totp_last_step, created_at, last_login_at";

pub(crate) fn account_from_row(row: AccountRow, roles: &[String]) -> Result<Account> {
    let (
        id,
        email,
        display_name,
        password_hash,
        email_verified_at,
        totp_secret,
        totp_last_step,
        created_at,
        last_login_at,
    ) = row;
    let mut parsed = roles
        .iter()
        .map(|r| {
            Role::parse(r).map_err(|e| StoreError::Corrupt {
                what: "rôle",
                detail: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    parsed.sort();
    Ok(Account {
        id,
        email,
        display_name,
        password_hash,
        email_verified_at,
        totp_secret,
        totp_last_step,
        created_at,
        last_login_at,
        roles: parsed,
    })
}

pub(crate) fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub(crate) fn second_factor_code(state: SecondFactor) -> &'static str {
    match state {
        SecondFactor::NotRequired => "not_required",
        SecondFactor::Pending => "pending",
        SecondFactor::Done => "done",
    }
}

pub(crate) fn second_factor_from_code(code: &str) -> Result<SecondFactor> {
    match code {
        "not_required" => Ok(SecondFactor::NotRequired),
        "pending" => Ok(SecondFactor::Pending),
        "done" => Ok(SecondFactor::Done),
        other => Err(StoreError::Corrupt {
            what: "état du second facteur",
            detail: other.to_owned(),
        }),
    }
}

pub(crate) fn purpose_code(purpose: TokenPurpose) -> &'static str {
    purpose.code()
}

pub(crate) fn siren_from_db(raw: &str) -> Result<Siren> {
    Siren::parse(raw).map_err(|e| StoreError::Corrupt {
        what: "SIREN",
        detail: e.to_string(),
    })
}

/// Whether a database error is the violation of a unique constraint (both backends).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Implements [`Accounts`] for a backend type with a `pool` field.
macro_rules! impl_accounts {
    ($store:ty) => {
        impl $store {
            async fn roles_of(&self, id: i64) -> $crate::Result<Vec<String>> {
                let roles: Vec<(String,)> =
                    sqlx::query_as("SELECT role FROM account_roles WHERE account_id = $1")
                        .bind(id)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(roles.into_iter().map(|(r,)| r).collect())
            }

            async fn account_where(
                &self,
                filter: &str,
                value: &str,
            ) -> $crate::Result<Option<$crate::accounts::Account>> {
                let row: Option<$crate::accounts::AccountRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM accounts WHERE {filter}",
                    $crate::accounts::ACCOUNT_COLUMNS
                ))
                .bind(value)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => {
                        let roles = self.roles_of(row.0).await?;
                        Ok(Some($crate::accounts::account_from_row(row, &roles)?))
                    }
                    None => Ok(None),
                }
            }
        }

        #[async_trait::async_trait]
        impl $crate::accounts::Accounts for $store {
            async fn create_account(
                &self,
                account: &$crate::accounts::NewAccount<'_>,
            ) -> $crate::Result<$crate::accounts::Account, $crate::accounts::AccountError> {
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await?;
                let inserted: std::result::Result<$crate::accounts::AccountRow, sqlx::Error> =
                    sqlx::query_as(&format!(
                        "INSERT INTO accounts (email, display_name, password_hash, \
                         email_verified_at, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {}",
                        $crate::accounts::ACCOUNT_COLUMNS
                    ))
                    .bind($crate::accounts::normalise_email(account.email))
                    .bind(account.display_name.trim())
                    .bind(account.password_hash)
                    .bind(account.email_verified.then_some(now))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await;
                let row = match inserted {
                    Ok(row) => row,
                    Err(e) if $crate::accounts::is_unique_violation(&e) => {
                        return Err($crate::accounts::AccountError::EmailTaken);
                    }
                    Err(e) => return Err(e.into()),
                };
                for role in account.roles {
                    sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
                        .bind(row.0)
                        .bind(role.code())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                let roles: Vec<String> =
                    account.roles.iter().map(|r| r.code().to_owned()).collect();
                Ok($crate::accounts::account_from_row(row, &roles)?)
            }

            async fn account(
                &self,
                id: i64,
            ) -> $crate::Result<Option<$crate::accounts::Account>> {
                let row: Option<$crate::accounts::AccountRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM accounts WHERE id = $1",
                    $crate::accounts::ACCOUNT_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => {
                        let roles = self.roles_of(row.0).await?;
                        Ok(Some($crate::accounts::account_from_row(row, &roles)?))
                    }
                    None => Ok(None),
                }
            }

            async fn account_by_email(
                &self,
                email: &str,
            ) -> $crate::Result<Option<$crate::accounts::Account>> {
                self.account_where("email = $1", &$crate::accounts::normalise_email(email))
                    .await
            }

            async fn accounts(&self) -> $crate::Result<Vec<$crate::accounts::Account>> {
                let rows: Vec<$crate::accounts::AccountRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM accounts ORDER BY email",
                    $crate::accounts::ACCOUNT_COLUMNS
                ))
                .fetch_all(&self.pool)
                .await?;
                let roles: Vec<(i64, String)> =
                    sqlx::query_as("SELECT account_id, role FROM account_roles")
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map(|row| {
                        let mine: Vec<String> = roles
                            .iter()
                            .filter(|(id, _)| *id == row.0)
                            .map(|(_, r)| r.clone())
                            .collect();
                        $crate::accounts::account_from_row(row, &mine)
                    })
                    .collect()
            }

            async fn set_roles(
                &self,
                id: i64,
                roles: &[essor_domain::access::Role],
            ) -> $crate::Result<(), $crate::accounts::AccountError> {
                let mut tx = self.pool.begin().await?;
                let found = sqlx::query("SELECT 1 FROM accounts WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err($crate::accounts::AccountError::NotFound);
                }
                sqlx::query("DELETE FROM account_roles WHERE account_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for role in roles {
                    sqlx::query(
                        "INSERT INTO account_roles (account_id, role) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(role.code())
                    .execute(&mut *tx)
                    .await?;
                }
                // Roles are read at each request, but a session's second-factor state was set at
                // sign-in: sessions end so that new roles take effect with a fresh sign-in.
                sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_display_name(
                &self,
                id: i64,
                name: &str,
            ) -> $crate::Result<(), $crate::accounts::AccountError> {
                let done = sqlx::query("UPDATE accounts SET display_name = $1 WHERE id = $2")
                    .bind(name.trim())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::accounts::AccountError::NotFound);
                }
                Ok(())
            }

            async fn set_password(
                &self,
                id: i64,
                hash: &str,
            ) -> $crate::Result<(), $crate::accounts::AccountError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::accounts::AccountError::NotFound);
                }
                sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn rehash_password(&self, id: i64, hash: &str) -> $crate::Result<()> {
                sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_email_verified(
                &self,
                id: i64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<(), $crate::accounts::AccountError> {
                let done = sqlx::query(
                    "UPDATE accounts SET email_verified_at = $1 WHERE id = $2 \
                     AND email_verified_at IS NULL",
                )
                .bind(at)
                .bind(id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 && self.account(id).await?.is_none() {
                    return Err($crate::accounts::AccountError::NotFound);
                }
                Ok(())
            }

            async fn record_login(
                &self,
                id: i64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query("UPDATE accounts SET last_login_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_totp(
                &self,
                id: i64,
                secret: Option<&str>,
            ) -> $crate::Result<(), $crate::accounts::AccountError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE accounts SET totp_secret = $1, totp_last_step = NULL WHERE id = $2",
                )
                .bind(secret)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::accounts::AccountError::NotFound);
                }
                sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn accept_totp_step(&self, id: i64, step: i64) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE accounts SET totp_last_step = $1 WHERE id = $2 \
                     AND (totp_last_step IS NULL OR totp_last_step < $1)",
                )
                .bind(step)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn replace_recovery_codes(
                &self,
                id: i64,
                hashes: &[String],
            ) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for hash in hashes {
                    sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)")
                        .bind(id)
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn use_recovery_code(
                &self,
                id: i64,
                hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE recovery_codes SET used_at = $1 WHERE account_id = $2 \
                     AND code_hash = $3 AND used_at IS NULL",
                )
                .bind(at)
                .bind(id)
                .bind(hash)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn remaining_recovery_codes(&self, id: i64) -> $crate::Result<u32> {
                let (count,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
                )
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
                Ok(u32::try_from(count).unwrap_or(0))
            }

            async fn create_token(
                &self,
                hash: &str,
                account: i64,
                purpose: $crate::accounts::TokenPurpose,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(hash)
                .bind(account)
                .bind($crate::accounts::purpose_code(purpose))
                .bind(chrono::Utc::now())
                .bind(expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn consume_token(
                &self,
                hash: &str,
                purpose: $crate::accounts::TokenPurpose,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<i64>> {
                let row: Option<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT account_id, expires_at FROM account_tokens WHERE token_hash = $1 \
                     AND purpose = $2 AND used_at IS NULL",
                )
                .bind(hash)
                .bind($crate::accounts::purpose_code(purpose))
                .fetch_optional(&self.pool)
                .await?;
                let Some((account, expires_at)) = row else {
                    return Ok(None);
                };
                if expires_at <= now {
                    return Ok(None);
                }
                // Only one of two concurrent uses marks the token.
                let done = sqlx::query(
                    "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 \
                     AND used_at IS NULL",
                )
                .bind(now)
                .bind(hash)
                .execute(&self.pool)
                .await?;
                Ok((done.rows_affected() == 1).then_some(account))
            }

            async fn create_session(
                &self,
                hash: &str,
                account: i64,
                second_factor: essor_domain::access::SecondFactor,
                now: chrono::DateTime<chrono::Utc>,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, account_id, second_factor, created_at, \
                     last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
                )
                .bind(hash)
                .bind(account)
                .bind($crate::accounts::second_factor_code(second_factor))
                .bind(now)
                .bind(expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::accounts::Session>> {
                let row: Option<(
                    i64,
                    String,
                    chrono::DateTime<chrono::Utc>,
                    chrono::DateTime<chrono::Utc>,
                    chrono::DateTime<chrono::Utc>,
                )> = sqlx::query_as(
                    "SELECT account_id, second_factor, created_at, last_seen_at, expires_at \
                     FROM sessions WHERE token_hash = $1",
                )
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some((account_id, second_factor, created_at, last_seen_at, expires_at)) = row
                else {
                    return Ok(None);
                };
                if expires_at <= now {
                    return Ok(None);
                }
                Ok(Some($crate::accounts::Session {
                    account_id,
                    second_factor: $crate::accounts::second_factor_from_code(&second_factor)?,
                    created_at,
                    last_seen_at,
                    expires_at,
                }))
            }

            async fn set_session_second_factor(
                &self,
                hash: &str,
                state: essor_domain::access::SecondFactor,
            ) -> $crate::Result<()> {
                sqlx::query("UPDATE sessions SET second_factor = $1 WHERE token_hash = $2")
                    .bind($crate::accounts::second_factor_code(state))
                    .bind(hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn touch_session(
                &self,
                hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, hash: &str) -> $crate::Result<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn sessions_of(
                &self,
                account: i64,
            ) -> $crate::Result<Vec<$crate::accounts::Session>> {
                let rows: Vec<(
                    i64,
                    String,
                    chrono::DateTime<chrono::Utc>,
                    chrono::DateTime<chrono::Utc>,
                    chrono::DateTime<chrono::Utc>,
                )> = sqlx::query_as(
                    "SELECT account_id, second_factor, created_at, last_seen_at, expires_at \
                     FROM sessions WHERE account_id = $1 ORDER BY created_at",
                )
                .bind(account)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(account_id, second_factor, created_at, last_seen_at, expires_at)| {
                        Ok($crate::accounts::Session {
                            account_id,
                            second_factor: $crate::accounts::second_factor_from_code(
                                &second_factor,
                            )?,
                            created_at,
                            last_seen_at,
                            expires_at,
                        })
                    })
                    .collect()
            }

            async fn add_membership(
                &self,
                account: i64,
                siren: &essor_domain::Siren,
                owner: bool,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO memberships (account_id, siren, owner, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, siren) \
                     DO UPDATE SET owner = excluded.owner",
                )
                .bind(account)
                .bind(siren.as_str())
                .bind(owner)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn remove_membership(
                &self,
                account: i64,
                siren: &essor_domain::Siren,
            ) -> $crate::Result<()> {
                sqlx::query("DELETE FROM memberships WHERE account_id = $1 AND siren = $2")
                    .bind(account)
                    .bind(siren.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn memberships(
                &self,
                account: i64,
            ) -> $crate::Result<Vec<$crate::accounts::Membership>> {
                let rows: Vec<(String, bool, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT siren, owner, created_at FROM memberships WHERE account_id = $1 \
                     ORDER BY siren",
                )
                .bind(account)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(siren, owner, created_at)| {
                        Ok($crate::accounts::Membership {
                            siren: $crate::accounts::siren_from_db(&siren)?,
                            owner,
                            created_at,
                        })
                    })
                    .collect()
            }

            async fn link_oidc(
                &self,
                issuer: &str,
                subject: &str,
                account: i64,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO oidc_identities (issuer, subject, account_id, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (issuer, subject) DO NOTHING",
                )
                .bind(issuer)
                .bind(subject)
                .bind(account)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn account_by_oidc(
                &self,
                issuer: &str,
                subject: &str,
            ) -> $crate::Result<Option<$crate::accounts::Account>> {
                let id: Option<(i64,)> = sqlx::query_as(
                    "SELECT account_id FROM oidc_identities WHERE issuer = $1 AND subject = $2",
                )
                .bind(issuer)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?;
                match id {
                    Some((id,)) => self.account(id).await,
                    None => Ok(None),
                }
            }

            async fn oidc_identities(
                &self,
                account: i64,
            ) -> $crate::Result<Vec<$crate::accounts::OidcIdentity>> {
                let rows: Vec<(String, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT issuer, subject, created_at FROM oidc_identities \
                     WHERE account_id = $1 ORDER BY issuer, subject",
                )
                .bind(account)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(issuer, subject, created_at)| $crate::accounts::OidcIdentity {
                        issuer,
                        subject,
                        created_at,
                    })
                    .collect())
            }

            async fn delete_account(&self, id: i64) -> $crate::Result<bool> {
                // Sessions, tokens, codes, identities, memberships and roles go with the account
                // (ON DELETE CASCADE; SQLite runs with foreign keys enforced).
                let done = sqlx::query("DELETE FROM accounts WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn purge_expired(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                unconfirmed_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<u64> {
                let mut tx = self.pool.begin().await?;
                let mut removed = 0;
                // Timestamps are compared in Rust: SQLite stores them as text.
                let sessions: Vec<(String, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as("SELECT token_hash, expires_at FROM sessions")
                        .fetch_all(&mut *tx)
                        .await?;
                for (hash, expires_at) in sessions {
                    if expires_at <= now {
                        removed += sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                            .bind(hash)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                }
                let tokens: Vec<(String, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as("SELECT token_hash, expires_at FROM account_tokens")
                        .fetch_all(&mut *tx)
                        .await?;
                for (hash, expires_at) in tokens {
                    if expires_at <= now {
                        removed += sqlx::query("DELETE FROM account_tokens WHERE token_hash = $1")
                            .bind(hash)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                }
                let unconfirmed: Vec<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT id, created_at FROM accounts WHERE email_verified_at IS NULL",
                )
                .fetch_all(&mut *tx)
                .await?;
                for (id, created_at) in unconfirmed {
                    if created_at < unconfirmed_before {
                        removed += sqlx::query("DELETE FROM accounts WHERE id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                }
                tx.commit().await?;
                Ok(removed)
            }
        }
    };
}

pub(crate) use impl_accounts;
