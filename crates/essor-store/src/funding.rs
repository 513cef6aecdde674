//! What follows (and accompanies) a funding decision: the files of a dossier (kept in the
//! database with their metadata, so a backup holds both and several web processes share them),
//! the agreement's template, the payment schedule, and the payments. A payment is checked by
//! `essor_domain::funding::pay` inside the transaction that records it, after the dossier's row
//! is locked, so two payments at once cannot exceed the grant; the reports it may wait for are
//! the dossier's reports (`crate::reports`), read in that transaction.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use essor_domain::Money;
use essor_domain::document::DocumentKind;
use essor_domain::funding::{Condition, Instalment, PaymentError};

use crate::dossiers::DossierEvent;
use crate::{Result, StoreError};

/// A file of a dossier, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: i64,
    pub dossier: i64,
    pub kind: DocumentKind,
    /// Sanitised; the extension is the real type's.
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// The message it was sent with, for an attachment.
    pub event: Option<i64>,
    /// For a signed agreement: the day it was signed.
    pub signed_on: Option<NaiveDate>,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: DateTime<Utc>,
    pub withdrawn: bool,
}

/// A file to store (checked by `essor_domain::document::check_upload` or generated).
#[derive(Debug, Clone, Copy)]
pub struct NewDocument<'a> {
    pub kind: DocumentKind,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub bytes: &'a [u8],
    pub uploaded_by: Option<i64>,
}

/// A version of the agreement's template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementTemplate {
    pub id: i64,
    pub body: String,
    pub saved_by: Option<i64>,
    pub saved_at: DateTime<Utc>,
}

/// An instalment of a dossier's schedule, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInstalment {
    pub id: i64,
    pub position: i32,
    pub instalment: Instalment,
}

/// What setting a schedule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleSet {
    Done,
    /// Only an accepted dossier has a schedule.
    NotAccepted,
    /// Once a payment is made, the schedule stays as it was.
    PaymentsMade,
}

/// A payment made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub dossier: i64,
    pub instalment: Option<i64>,
    pub paid_on: NaiveDate,
    pub amount: Money,
    pub recorded_by: Option<i64>,
    pub recorded_at: DateTime<Utc>,
}

/// A payment to record.
#[derive(Debug, Clone, Copy)]
pub struct NewPayment {
    pub instalment: Option<i64>,
    pub paid_on: NaiveDate,
    pub amount: Money,
    pub recorded_by: Option<i64>,
    /// The day the overdue reports are judged on.
    pub today: NaiveDate,
}

/// Why a payment was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentRefused {
    #[error("Paiement : seul un dossier accepté reçoit des versements.")]
    NotAccepted,
    #[error("Paiement : cette échéance n’appartient pas au dossier.")]
    UnknownInstalment,
    #[error(transparent)]
    Rule(#[from] PaymentError),
}

/// The storage of documents, the agreement's template, schedules and payments.
#[async_trait]
pub trait Funding: Send + Sync {
    async fn add_document(&self, dossier: i64, new: &NewDocument<'_>) -> Result<Document>;
    /// A message of the thread and its attachment, in one transaction.
    async fn add_message_with_attachment(
        &self,
        dossier: i64,
        body: &str,
        author: Option<i64>,
        attachment: &NewDocument<'_>,
    ) -> Result<(DossierEvent, Document)>;
    /// A dossier's documents, withdrawn ones included, oldest first.
    async fn documents(&self, dossier: i64) -> Result<Vec<Document>>;
    /// A document and its content, only if it belongs to that dossier.
    async fn document_content(&self, dossier: i64, id: i64) -> Result<Option<(Document, Vec<u8>)>>;
    /// Withdraws a document of the dossier (kept, no longer listed). `false` if unknown there
    /// or already withdrawn.
    async fn withdraw_document(&self, dossier: i64, id: i64) -> Result<bool>;
    /// Stores the signed agreement of an accepted dossier and records its signature day on the
    /// dossier, in one transaction (an earlier signed copy is withdrawn). `None` when the
    /// dossier is not accepted.
    async fn record_signed_agreement(
        &self,
        dossier: i64,
        new: &NewDocument<'_>,
        signed_on: NaiveDate,
    ) -> Result<Option<Document>>;
    /// The template in force (the last saved), if any was saved.
    async fn agreement_template(&self) -> Result<Option<AgreementTemplate>>;
    async fn save_agreement_template(
        &self,
        body: &str,
        by: Option<i64>,
    ) -> Result<AgreementTemplate>;
    /// Replaces the schedule of an accepted dossier with no payment yet.
    async fn set_schedule(&self, dossier: i64, instalments: &[Instalment]) -> Result<ScheduleSet>;
    async fn schedule(&self, dossier: i64) -> Result<Vec<StoredInstalment>>;
    /// The due date of every instalment of every dossier, by dossier (the open-data file).
    async fn instalment_dates(&self) -> Result<Vec<(i64, NaiveDate)>>;
    /// Checks (`essor_domain::funding::pay`) and records a payment in one transaction; the
    /// reports owed are the dossier's reports (`Reports::report_dues`: their due dates and
    /// whether staff accepted them), read in the same transaction.
    async fn record_payment(
        &self,
        dossier: i64,
        new: &NewPayment,
    ) -> Result<Result<Payment, PaymentRefused>>;
    async fn payments(&self, dossier: i64) -> Result<Vec<Payment>>;
    /// What was paid for the dossiers of a year's envelope.
    async fn paid(&self, year: i32) -> Result<Money>;
    /// What was paid for each dossier that had a payment, in the order of the dossiers.
    async fn paid_by_dossier(&self) -> Result<Vec<(i64, Money)>>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct DocumentRow {
    id: i64,
    dossier_id: i64,
    kind: String,
    file_name: String,
    content_type: String,
    size: i64,
    sha256: String,
    event_id: Option<i64>,
    signed_on: Option<NaiveDate>,
    uploaded_by: Option<i64>,
    uploaded_at: DateTime<Utc>,
    withdrawn: bool,
}

pub(crate) const DOCUMENT_COLUMNS: &str = "id, dossier_id, kind, file_name, content_type, size, \
     sha256, event_id, signed_on, uploaded_by, uploaded_at, withdrawn";

pub(crate) fn document_from_row(row: DocumentRow) -> Result<Document> {
    Ok(Document {
        id: row.id,
        dossier: row.dossier_id,
        kind: DocumentKind::parse(&row.kind).ok_or_else(|| StoreError::Corrupt {
            what: "nature de document",
            detail: row.kind.clone(),
        })?,
        file_name: row.file_name,
        content_type: row.content_type,
        size: row.size,
        sha256: row.sha256,
        event: row.event_id,
        signed_on: row.signed_on,
        uploaded_by: row.uploaded_by,
        uploaded_at: row.uploaded_at,
        withdrawn: row.withdrawn,
    })
}

pub(crate) fn condition_code(condition: Condition) -> &'static str {
    match condition {
        Condition::Signature => "signature",
        Condition::IntermediateReport => "rapport_intermediaire",
        Condition::FinalReport => "rapport_final",
    }
}

pub(crate) fn condition(code: &str) -> Result<Condition> {
    match code {
        "signature" => Ok(Condition::Signature),
        "rapport_intermediaire" => Ok(Condition::IntermediateReport),
        "rapport_final" => Ok(Condition::FinalReport),
        other => Err(StoreError::Corrupt {
            what: "condition d’échéance",
            detail: other.to_owned(),
        }),
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PaymentRow {
    id: i64,
    dossier_id: i64,
    instalment_id: Option<i64>,
    paid_on: NaiveDate,
    amount_cents: i64,
    recorded_by: Option<i64>,
    recorded_at: DateTime<Utc>,
}

pub(crate) const PAYMENT_COLUMNS: &str =
    "id, dossier_id, instalment_id, paid_on, amount_cents, recorded_by, recorded_at";

pub(crate) fn payment_from_row(row: &PaymentRow) -> Payment {
    Payment {
        id: row.id,
        dossier: row.dossier_id,
        instalment: row.instalment_id,
        paid_on: row.paid_on,
        amount: Money::from_cents(row.amount_cents),
        recorded_by: row.recorded_by,
        recorded_at: row.recorded_at,
    }
}

/// The kind codes withdrawn with a decision.
pub(crate) const AGREEMENT_KINDS: [&str; 2] = [
    DocumentKind::AgreementGenerated.code(),
    DocumentKind::AgreementSigned.code(),
];

macro_rules! impl_funding {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::funding::Funding for $store {
            async fn add_document(
                &self,
                dossier: i64,
                new: &$crate::funding::NewDocument<'_>,
            ) -> $crate::Result<$crate::funding::Document> {
                let mut tx = self.pool.begin().await?;
                let document = insert_document(&mut tx, dossier, new, None, None).await?;
                tx.commit().await?;
                Ok(document)
            }

            async fn add_message_with_attachment(
                &self,
                dossier: i64,
                body: &str,
                author: Option<i64>,
                attachment: &$crate::funding::NewDocument<'_>,
            ) -> $crate::Result<(
                $crate::dossiers::DossierEvent,
                $crate::funding::Document,
            )> {
                let mut tx = self.pool.begin().await?;
                let row: $crate::dossiers::EventRow = sqlx::query_as(&format!(
                    "INSERT INTO dossier_events (dossier_id, kind, body, author_id, shared, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
                    $crate::dossiers::EVENT_COLUMNS
                ))
                .bind(dossier)
                .bind($crate::dossiers::EventKind::Message.code())
                .bind(body)
                .bind(author)
                .bind(true)
                .bind(chrono::Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                let event = $crate::dossiers::event_from_row(row)?;
                let document =
                    insert_document(&mut tx, dossier, attachment, Some(event.id), None).await?;
                tx.commit().await?;
                Ok((event, document))
            }

            async fn documents(
                &self,
                dossier: i64,
            ) -> $crate::Result<Vec<$crate::funding::Document>> {
                let rows: Vec<$crate::funding::DocumentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossier_documents WHERE dossier_id = $1 ORDER BY id",
                    $crate::funding::DOCUMENT_COLUMNS
                ))
                .bind(dossier)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::funding::document_from_row)
                    .collect()
            }

            async fn document_content(
                &self,
                dossier: i64,
                id: i64,
            ) -> $crate::Result<Option<($crate::funding::Document, Vec<u8>)>> {
                let row: Option<$crate::funding::DocumentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossier_documents WHERE id = $1 AND dossier_id = $2",
                    $crate::funding::DOCUMENT_COLUMNS
                ))
                .bind(id)
                .bind(dossier)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let (bytes,): (Vec<u8>,) =
                    sqlx::query_as("SELECT bytes FROM dossier_documents WHERE id = $1")
                        .bind(id)
                        .fetch_one(&self.pool)
                        .await?;
                Ok(Some(($crate::funding::document_from_row(row)?, bytes)))
            }

            async fn withdraw_document(&self, dossier: i64, id: i64) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE dossier_documents SET withdrawn = TRUE \
                     WHERE id = $1 AND dossier_id = $2 AND NOT withdrawn",
                )
                .bind(id)
                .bind(dossier)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn record_signed_agreement(
                &self,
                dossier: i64,
                new: &$crate::funding::NewDocument<'_>,
                signed_on: chrono::NaiveDate,
            ) -> $crate::Result<Option<$crate::funding::Document>> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE dossiers SET agreement_signed_on = $1, updated_at = $2 \
                     WHERE id = $3 AND state = $4",
                )
                .bind(signed_on)
                .bind(chrono::Utc::now())
                .bind(dossier)
                .bind(essor_domain::dossier::State::Accepted.code())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                sqlx::query(
                    "UPDATE dossier_documents SET withdrawn = TRUE \
                     WHERE dossier_id = $1 AND kind = $2",
                )
                .bind(dossier)
                .bind(essor_domain::document::DocumentKind::AgreementSigned.code())
                .execute(&mut *tx)
                .await?;
                let document =
                    insert_document(&mut tx, dossier, new, None, Some(signed_on)).await?;
                tx.commit().await?;
                Ok(Some(document))
            }

            async fn agreement_template(
                &self,
            ) -> $crate::Result<Option<$crate::funding::AgreementTemplate>> {
                let row: Option<(i64, String, Option<i64>, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as(
                        "SELECT id, body, saved_by, saved_at FROM agreement_templates \
                         ORDER BY id DESC LIMIT 1",
                    )
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(id, body, saved_by, saved_at)| {
                    $crate::funding::AgreementTemplate {
                        id,
                        body,
                        saved_by,
                        saved_at,
                    }
                }))
            }

            async fn save_agreement_template(
                &self,
                body: &str,
                by: Option<i64>,
            ) -> $crate::Result<$crate::funding::AgreementTemplate> {
                let (id, saved_at): (i64, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
                    "INSERT INTO agreement_templates (body, saved_by, saved_at) \
                     VALUES ($1, $2, $3) RETURNING id, saved_at",
                )
                .bind(body)
                .bind(by)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                Ok($crate::funding::AgreementTemplate {
                    id,
                    body: body.to_owned(),
                    saved_by: by,
                    saved_at,
                })
            }

            async fn set_schedule(
                &self,
                dossier: i64,
                instalments: &[essor_domain::funding::Instalment],
            ) -> $crate::Result<$crate::funding::ScheduleSet> {
                let mut tx = self.pool.begin().await?;
                // Locks the dossier's row first (PostgreSQL) or the database (SQLite).
                let done = sqlx::query(
                    "UPDATE dossiers SET updated_at = $1 WHERE id = $2 AND state = $3",
                )
                .bind(chrono::Utc::now())
                .bind(dossier)
                .bind(essor_domain::dossier::State::Accepted.code())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok($crate::funding::ScheduleSet::NotAccepted);
                }
                let (payments,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM dossier_payments WHERE dossier_id = $1")
                        .bind(dossier)
                        .fetch_one(&mut *tx)
                        .await?;
                if payments > 0 {
                    return Ok($crate::funding::ScheduleSet::PaymentsMade);
                }
                sqlx::query("DELETE FROM dossier_instalments WHERE dossier_id = $1")
                    .bind(dossier)
                    .execute(&mut *tx)
                    .await?;
                for (position, instalment) in (1i32..).zip(instalments) {
                    sqlx::query(
                        "INSERT INTO dossier_instalments (dossier_id, position, amount_cents, \
                         condition, due_on) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(dossier)
                    .bind(position)
                    .bind(instalment.amount.cents())
                    .bind($crate::funding::condition_code(instalment.condition))
                    .bind(instalment.due)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok($crate::funding::ScheduleSet::Done)
            }

            async fn schedule(
                &self,
                dossier: i64,
            ) -> $crate::Result<Vec<$crate::funding::StoredInstalment>> {
                let rows: Vec<(i64, i32, i64, String, chrono::NaiveDate)> = sqlx::query_as(
                    "SELECT id, position, amount_cents, condition, due_on \
                     FROM dossier_instalments WHERE dossier_id = $1 ORDER BY position",
                )
                .bind(dossier)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, position, cents, condition, due)| {
                        Ok($crate::funding::StoredInstalment {
                            id,
                            position,
                            instalment: essor_domain::funding::Instalment {
                                amount: essor_domain::Money::from_cents(cents),
                                condition: $crate::funding::condition(&condition)?,
                                due,
                            },
                        })
                    })
                    .collect()
            }

            async fn instalment_dates(&self) -> $crate::Result<Vec<(i64, chrono::NaiveDate)>> {
                Ok(sqlx::query_as(
                    "SELECT dossier_id, due_on FROM dossier_instalments ORDER BY dossier_id, position",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn record_payment(
                &self,
                dossier: i64,
                new: &$crate::funding::NewPayment,
            ) -> $crate::Result<
                std::result::Result<$crate::funding::Payment, $crate::funding::PaymentRefused>,
            > {
                use $crate::funding::PaymentRefused;
                let mut tx = self.pool.begin().await?;
                // Locks the dossier's row first, so concurrent payments are checked in turn.
                let granted: Option<(Option<i64>,)> = sqlx::query_as(
                    "UPDATE dossiers SET updated_at = $1 WHERE id = $2 AND state = $3 \
                     RETURNING granted_cents",
                )
                .bind(chrono::Utc::now())
                .bind(dossier)
                .bind(essor_domain::dossier::State::Accepted.code())
                .fetch_optional(&mut *tx)
                .await?;
                let Some((Some(granted),)) = granted else {
                    return Ok(Err(PaymentRefused::NotAccepted));
                };
                if let Some(instalment) = new.instalment {
                    let (found,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM dossier_instalments WHERE id = $1 \
                         AND dossier_id = $2",
                    )
                    .bind(instalment)
                    .bind(dossier)
                    .fetch_one(&mut *tx)
                    .await?;
                    if found == 0 {
                        return Ok(Err(PaymentRefused::UnknownInstalment));
                    }
                }
                let (paid,): (Option<i64>,) = sqlx::query_as(
                    "SELECT CAST(SUM(amount_cents) AS BIGINT) FROM dossier_payments \
                     WHERE dossier_id = $1",
                )
                .bind(dossier)
                .fetch_one(&mut *tx)
                .await?;
                let reports = reports_due_in(&mut tx, dossier).await?;
                if let Err(e) = essor_domain::funding::pay(
                    essor_domain::Money::from_cents(granted),
                    essor_domain::Money::from_cents(paid.unwrap_or(0)),
                    new.amount,
                    &reports,
                    new.today,
                ) {
                    return Ok(Err(PaymentRefused::Rule(e)));
                }
                let row: $crate::funding::PaymentRow = sqlx::query_as(&format!(
                    "INSERT INTO dossier_payments (dossier_id, instalment_id, paid_on, \
                     amount_cents, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     RETURNING {}",
                    $crate::funding::PAYMENT_COLUMNS
                ))
                .bind(dossier)
                .bind(new.instalment)
                .bind(new.paid_on)
                .bind(new.amount.cents())
                .bind(new.recorded_by)
                .bind(chrono::Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Ok($crate::funding::payment_from_row(&row)))
            }

            async fn payments(
                &self,
                dossier: i64,
            ) -> $crate::Result<Vec<$crate::funding::Payment>> {
                let rows: Vec<$crate::funding::PaymentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossier_payments WHERE dossier_id = $1 ORDER BY paid_on, id",
                    $crate::funding::PAYMENT_COLUMNS
                ))
                .bind(dossier)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map($crate::funding::payment_from_row).collect())
            }

            async fn paid(&self, year: i32) -> $crate::Result<essor_domain::Money> {
                let (cents,): (Option<i64>,) = sqlx::query_as(
                    "SELECT CAST(SUM(p.amount_cents) AS BIGINT) FROM dossier_payments p \
                     JOIN dossiers d ON d.id = p.dossier_id WHERE d.year = $1",
                )
                .bind(year)
                .fetch_one(&self.pool)
                .await?;
                Ok(essor_domain::Money::from_cents(cents.unwrap_or(0)))
            }

            async fn paid_by_dossier(&self) -> $crate::Result<Vec<(i64, essor_domain::Money)>> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT dossier_id, CAST(SUM(amount_cents) AS BIGINT) FROM dossier_payments \
                     GROUP BY dossier_id ORDER BY dossier_id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(dossier, cents)| (dossier, essor_domain::Money::from_cents(cents)))
                    .collect())
            }
        }

        async fn insert_document(
            tx: &mut sqlx::Transaction<'_, $db>,
            dossier: i64,
            new: &$crate::funding::NewDocument<'_>,
            event: Option<i64>,
            signed_on: Option<chrono::NaiveDate>,
        ) -> $crate::Result<$crate::funding::Document> {
            let row: $crate::funding::DocumentRow = sqlx::query_as(&format!(
                "INSERT INTO dossier_documents (dossier_id, kind, file_name, content_type, size, \
                 sha256, bytes, event_id, signed_on, uploaded_by, uploaded_at, withdrawn) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, FALSE) RETURNING {}",
                $crate::funding::DOCUMENT_COLUMNS
            ))
            .bind(dossier)
            .bind(new.kind.code())
            .bind(new.file_name)
            .bind(new.content_type)
            .bind(i64::try_from(new.bytes.len()).unwrap_or(i64::MAX))
            .bind(new.sha256)
            .bind(new.bytes)
            .bind(event)
            .bind(signed_on)
            .bind(new.uploaded_by)
            .bind(chrono::Utc::now())
            .fetch_one(&mut **tx)
            .await?;
            $crate::funding::document_from_row(row)
        }

        /// What `Reports::report_dues` gives, read inside the payment's transaction.
        async fn reports_due_in(
            tx: &mut sqlx::Transaction<'_, $db>,
            dossier: i64,
        ) -> $crate::Result<Vec<essor_domain::funding::ReportDue>> {
            let (decided_at,): (Option<chrono::DateTime<chrono::Utc>>,) =
                sqlx::query_as("SELECT decided_at FROM dossiers WHERE id = $1")
                    .bind(dossier)
                    .fetch_one(&mut **tx)
                    .await?;
            let Some(decided_at) = decided_at else {
                return Ok(Vec::new());
            };
            let rows: Vec<(String, Option<chrono::NaiveDate>, String)> = sqlx::query_as(
                "SELECT kind, due_on, status FROM dossier_reports WHERE dossier_id = $1",
            )
            .bind(dossier)
            .fetch_all(&mut **tx)
            .await?;
            let stored = rows
                .iter()
                .map(|(kind, due, status)| $crate::reports::stored_due(kind, *due, status))
                .collect::<$crate::Result<Vec<_>>>()?;
            Ok(essor_domain::reports::dues(decided_at.date_naive(), &stored))
        }
    };
}

pub(crate) use impl_funding;
