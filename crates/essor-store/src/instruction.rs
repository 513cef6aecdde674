//! Instruction beyond the state machine: opinions asked of partners (an invitation whose token
//! only the hash of is kept, answered once, each reminder recorded so that it goes once), free
//! labels on dossiers, and the dashboard columns each account chose.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use essor_domain::instruction::{Reminder, Verdict};

use crate::{Result, StoreError};

/// An invitation to give an opinion on a dossier, and the opinion once given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionRequest {
    pub id: i64,
    pub dossier: i64,
    pub name: String,
    pub organisation: String,
    pub email: String,
    pub question: String,
    pub deadline: NaiveDate,
    /// Seen by staff only; otherwise the applicant reads the opinion too.
    pub confidential: bool,
    pub requested_by: Option<i64>,
    pub requested_at: DateTime<Utc>,
    pub answer: Option<Opinion>,
    pub reminded_soon_at: Option<DateTime<Utc>>,
    pub reminded_overdue_at: Option<DateTime<Utc>>,
    /// When the last mail with a link went (the invitation, a reminder, a resend).
    pub last_sent_at: DateTime<Utc>,
}

/// A partner's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    pub verdict: Verdict,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// What an invitation needs; `token_hash` is the hex SHA-256 of the link's token.
#[derive(Debug, Clone)]
pub struct NewOpinionRequest<'a> {
    pub dossier: i64,
    pub token_hash: &'a str,
    pub name: &'a str,
    pub organisation: &'a str,
    pub email: &'a str,
    pub question: &'a str,
    pub deadline: NaiveDate,
    pub confidential: bool,
    pub requested_by: Option<i64>,
    pub at: DateTime<Utc>,
}

/// A label staff put on dossiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: i64,
    pub name: String,
}

/// The storage of opinions, labels and dashboard columns. Both backends implement it with the
/// same SQL.
#[async_trait]
pub trait Instruction: Send + Sync {
    async fn create_opinion_request(&self, new: &NewOpinionRequest<'_>) -> Result<OpinionRequest>;
    async fn opinion_request(&self, id: i64) -> Result<Option<OpinionRequest>>;
    /// The invitation whose link carries the token of this hash.
    async fn opinion_request_by_token(&self, token_hash: &str) -> Result<Option<OpinionRequest>>;
    /// A dossier's invitations, oldest first.
    async fn opinion_requests(&self, dossier: i64) -> Result<Vec<OpinionRequest>>;
    /// Every invitation not answered yet, oldest first.
    async fn unanswered_opinion_requests(&self) -> Result<Vec<OpinionRequest>>;
    /// Records the answer, once: `false` when it was already given (or the id is unknown).
    async fn answer_opinion(
        &self,
        id: i64,
        verdict: Verdict,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Claims a reminder before sending it, and replaces the link's token (the new mail carries
    /// the new one): `false` when this reminder was already claimed or the opinion given, so
    /// that each reminder goes once even with two senders at work.
    async fn claim_reminder(
        &self,
        id: i64,
        reminder: Reminder,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Gives a reminder back when its mail could not go, so that the next run tries again.
    async fn release_reminder(&self, id: i64, reminder: Reminder) -> Result<()>;
    /// Replaces the token of an unanswered invitation (staff send it again by hand): `false`
    /// when the opinion was already given or the id is unknown.
    async fn renew_opinion_token(
        &self,
        id: i64,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Per dossier with invitations: how many, and how many answered.
    async fn opinion_counts(&self) -> Result<Vec<(i64, i64, i64)>>;

    /// Creates a label, or finds the one with that name.
    async fn ensure_label(&self, name: &str) -> Result<Label>;
    /// Every label, by name.
    async fn labels(&self) -> Result<Vec<Label>>;
    /// Puts a label on a dossier (`on`) or takes it off: `true` when something changed.
    async fn set_dossier_label(&self, dossier: i64, label: i64, on: bool) -> Result<bool>;
    /// A dossier's labels, by name.
    async fn dossier_labels(&self, dossier: i64) -> Result<Vec<Label>>;
    /// Every (dossier, label) pair.
    async fn label_links(&self) -> Result<Vec<(i64, i64)>>;

    /// The dashboard columns an account chose (keys of the export's columns), if it chose.
    async fn dashboard_columns(&self, account: i64) -> Result<Option<Vec<String>>>;
    async fn save_dashboard_columns(&self, account: i64, columns: &[String]) -> Result<()>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct RequestRow {
    id: i64,
    dossier_id: i64,
    name: String,
    organisation: String,
    email: String,
    question: String,
    deadline: NaiveDate,
    confidential: bool,
    requested_by: Option<i64>,
    requested_at: DateTime<Utc>,
    verdict: Option<String>,
    opinion: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    reminded_soon_at: Option<DateTime<Utc>>,
    reminded_overdue_at: Option<DateTime<Utc>>,
    last_sent_at: DateTime<Utc>,
}

pub(crate) const REQUEST_COLUMNS: &str = "id, dossier_id, name, organisation, email, question, \
     deadline, confidential, requested_by, requested_at, verdict, opinion, answered_at, \
     reminded_soon_at, reminded_overdue_at, last_sent_at";

pub(crate) fn request_from_row(row: RequestRow) -> Result<OpinionRequest> {
    let answer = match (row.verdict, row.answered_at) {
        (Some(code), Some(at)) => Some(Opinion {
            verdict: Verdict::parse(&code).ok_or_else(|| StoreError::Corrupt {
                what: "avis",
                detail: code.clone(),
            })?,
            text: row.opinion.unwrap_or_default(),
            at,
        }),
        _ => None,
    };
    Ok(OpinionRequest {
        id: row.id,
        dossier: row.dossier_id,
        name: row.name,
        organisation: row.organisation,
        email: row.email,
        question: row.question,
        deadline: row.deadline,
        confidential: row.confidential,
        requested_by: row.requested_by,
        requested_at: row.requested_at,
        answer,
        reminded_soon_at: row.reminded_soon_at,
        reminded_overdue_at: row.reminded_overdue_at,
        last_sent_at: row.last_sent_at,
    })
}

/// The column recording a reminder (never user input).
pub(crate) fn reminder_column(reminder: Reminder) -> &'static str {
    match reminder {
        Reminder::Soon => "reminded_soon_at",
        Reminder::Overdue => "reminded_overdue_at",
    }
}

pub(crate) fn columns_document(columns: &[String]) -> Result<String> {
    serde_json::to_string(columns).map_err(|e| StoreError::Corrupt {
        what: "colonnes du tableau de bord",
        detail: e.to_string(),
    })
}

pub(crate) fn columns_from_document(document: &str) -> Result<Vec<String>> {
    serde_json::from_str(document).map_err(|e| StoreError::Corrupt {
        what: "colonnes du tableau de bord",
        detail: e.to_string(),
    })
}

macro_rules! impl_instruction {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::instruction::Instruction for $store {
            async fn create_opinion_request(
                &self,
                new: &$crate::instruction::NewOpinionRequest<'_>,
            ) -> $crate::Result<$crate::instruction::OpinionRequest> {
                let row: $crate::instruction::RequestRow = sqlx::query_as(&format!(
                    "INSERT INTO opinion_requests (dossier_id, token_hash, name, organisation, \
                     email, question, deadline, confidential, requested_by, requested_at, \
                     last_sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                     RETURNING {}",
                    $crate::instruction::REQUEST_COLUMNS
                ))
                .bind(new.dossier)
                .bind(new.token_hash)
                .bind(new.name)
                .bind(new.organisation)
                .bind(new.email)
                .bind(new.question)
                .bind(new.deadline)
                .bind(new.confidential)
                .bind(new.requested_by)
                .bind(new.at)
                .fetch_one(&self.pool)
                .await?;
                $crate::instruction::request_from_row(row)
            }

            async fn opinion_request(
                &self,
                id: i64,
            ) -> $crate::Result<Option<$crate::instruction::OpinionRequest>> {
                let row: Option<$crate::instruction::RequestRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM opinion_requests WHERE id = $1",
                    $crate::instruction::REQUEST_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::instruction::request_from_row).transpose()
            }

            async fn opinion_request_by_token(
                &self,
                token_hash: &str,
            ) -> $crate::Result<Option<$crate::instruction::OpinionRequest>> {
                let row: Option<$crate::instruction::RequestRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM opinion_requests WHERE token_hash = $1",
                    $crate::instruction::REQUEST_COLUMNS
                ))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::instruction::request_from_row).transpose()
            }

            async fn opinion_requests(
                &self,
                dossier: i64,
            ) -> $crate::Result<Vec<$crate::instruction::OpinionRequest>> {
                let rows: Vec<$crate::instruction::RequestRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM opinion_requests WHERE dossier_id = $1 ORDER BY id",
                    $crate::instruction::REQUEST_COLUMNS
                ))
                .bind(dossier)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::instruction::request_from_row)
                    .collect()
            }

            async fn unanswered_opinion_requests(
                &self,
            ) -> $crate::Result<Vec<$crate::instruction::OpinionRequest>> {
                let rows: Vec<$crate::instruction::RequestRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM opinion_requests WHERE answered_at IS NULL ORDER BY id",
                    $crate::instruction::REQUEST_COLUMNS
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::instruction::request_from_row)
                    .collect()
            }

            async fn answer_opinion(
                &self,
                id: i64,
                verdict: essor_domain::instruction::Verdict,
                text: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE opinion_requests SET verdict = $1, opinion = $2, answered_at = $3 \
                     WHERE id = $4 AND answered_at IS NULL",
                )
                .bind(verdict.code())
                .bind(text)
                .bind(at)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn claim_reminder(
                &self,
                id: i64,
                reminder: essor_domain::instruction::Reminder,
                token_hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let column = $crate::instruction::reminder_column(reminder);
                let done = sqlx::query(&format!(
                    "UPDATE opinion_requests SET {column} = $1, token_hash = $2, \
                     last_sent_at = $1 WHERE id = $3 AND {column} IS NULL \
                     AND answered_at IS NULL"
                ))
                .bind(at)
                .bind(token_hash)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn release_reminder(
                &self,
                id: i64,
                reminder: essor_domain::instruction::Reminder,
            ) -> $crate::Result<()> {
                let column = $crate::instruction::reminder_column(reminder);
                sqlx::query(&format!(
                    "UPDATE opinion_requests SET {column} = NULL WHERE id = $1"
                ))
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn renew_opinion_token(
                &self,
                id: i64,
                token_hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE opinion_requests SET token_hash = $1, last_sent_at = $2 \
                     WHERE id = $3 AND answered_at IS NULL",
                )
                .bind(token_hash)
                .bind(at)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn opinion_counts(&self) -> $crate::Result<Vec<(i64, i64, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT dossier_id, CAST(COUNT(*) AS BIGINT), \
                     CAST(COUNT(answered_at) AS BIGINT) FROM opinion_requests \
                     GROUP BY dossier_id ORDER BY dossier_id",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn ensure_label(&self, name: &str) -> $crate::Result<$crate::instruction::Label> {
                sqlx::query(
                    "INSERT INTO dossier_labels (name, created_at) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                let (id, name): (i64, String) =
                    sqlx::query_as("SELECT id, name FROM dossier_labels WHERE name = $1")
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await?;
                Ok($crate::instruction::Label { id, name })
            }

            async fn labels(&self) -> $crate::Result<Vec<$crate::instruction::Label>> {
                let rows: Vec<(i64, String)> =
                    sqlx::query_as("SELECT id, name FROM dossier_labels ORDER BY name, id")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name)| $crate::instruction::Label { id, name })
                    .collect())
            }

            async fn set_dossier_label(
                &self,
                dossier: i64,
                label: i64,
                on: bool,
            ) -> $crate::Result<bool> {
                let done = if on {
                    sqlx::query(
                        "INSERT INTO dossier_label_links (dossier_id, label_id) VALUES ($1, $2) \
                         ON CONFLICT (dossier_id, label_id) DO NOTHING",
                    )
                } else {
                    sqlx::query(
                        "DELETE FROM dossier_label_links WHERE dossier_id = $1 AND label_id = $2",
                    )
                }
                .bind(dossier)
                .bind(label)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn dossier_labels(
                &self,
                dossier: i64,
            ) -> $crate::Result<Vec<$crate::instruction::Label>> {
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT l.id, l.name FROM dossier_labels l \
                     JOIN dossier_label_links k ON k.label_id = l.id \
                     WHERE k.dossier_id = $1 ORDER BY l.name, l.id",
                )
                .bind(dossier)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name)| $crate::instruction::Label { id, name })
                    .collect())
            }

            async fn label_links(&self) -> $crate::Result<Vec<(i64, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT dossier_id, label_id FROM dossier_label_links \
                     ORDER BY dossier_id, label_id",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn dashboard_columns(&self, account: i64) -> $crate::Result<Option<Vec<String>>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT columns FROM dashboard_columns WHERE account_id = $1")
                        .bind(account)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(|(document,)| $crate::instruction::columns_from_document(&document))
                    .transpose()
            }

            async fn save_dashboard_columns(
                &self,
                account: i64,
                columns: &[String],
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO dashboard_columns (account_id, columns, updated_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (account_id) DO UPDATE \
                     SET columns = excluded.columns, updated_at = excluded.updated_at",
                )
                .bind(account)
                .bind($crate::instruction::columns_document(columns)?)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_instruction;
