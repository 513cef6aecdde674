//! Funding dossiers: the application a structure writes, where the dossier stands, and its
//! thread (transitions, messages, private notes). A transition is recorded only from the state
//! it was checked against (`essor_domain::dossier::transition`), in one transaction with its
//! event: two people acting at once cannot both move a dossier.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use essor_domain::Money;
use essor_domain::dossier::{Application, State, Transition};

use crate::{Result, StoreError};

/// A dossier as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dossier {
    pub id: i64,
    pub siret: String,
    pub siren: String,
    /// The year whose envelope it is counted in.
    pub year: i32,
    pub state: State,
    pub application: Application,
    pub granted: Option<Money>,
    /// The instruction checks made (keys of `essor_domain::dossier::INSTRUCTION_CHECKS`).
    pub checks: Vec<String>,
    pub assigned_to: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The day its funding agreement was signed, once the signed copy is in.
    pub agreement_signed_on: Option<NaiveDate>,
}

/// What an entry of a dossier's thread is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A change of state (the action's code is kept with it).
    Transition,
    /// A message between the applicant and staff.
    Message,
    /// A note staff keep for themselves.
    Note,
}

impl EventKind {
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Transition => "transition",
            Self::Message => "message",
            Self::Note => "note",
        }
    }

    fn parse(code: &str) -> Result<Self> {
        match code {
            "transition" => Ok(Self::Transition),
            "message" => Ok(Self::Message),
            "note" => Ok(Self::Note),
            other => Err(StoreError::Corrupt {
                what: "événement de dossier",
                detail: other.to_owned(),
            }),
        }
    }
}

/// One entry of a dossier's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierEvent {
    pub id: i64,
    pub dossier: i64,
    pub kind: EventKind,
    pub from: Option<State>,
    pub to: Option<State>,
    pub body: String,
    pub author: Option<i64>,
    /// Seen by the applicant (transitions and messages); notes are not.
    pub shared: bool,
    pub created_at: DateTime<Utc>,
}

/// What starting a dossier needs.
#[derive(Debug, Clone)]
pub struct NewDossier<'a> {
    pub siret: &'a str,
    pub siren: &'a str,
    pub year: i32,
    pub application: &'a Application,
    pub created_by: Option<i64>,
}

/// The storage of dossiers. Both backends implement it with the same SQL.
#[async_trait]
pub trait Dossiers: Send + Sync {
    /// Starts a dossier as a draft.
    async fn create_dossier(&self, new: &NewDossier<'_>) -> Result<Dossier>;
    async fn dossier(&self, id: i64) -> Result<Option<Dossier>>;
    /// A structure's dossiers, newest first.
    async fn dossiers_of_structure(&self, siren: &str) -> Result<Vec<Dossier>>;
    /// Dossiers in a state (all when `None`), oldest first.
    async fn dossiers(&self, state: Option<State>) -> Result<Vec<Dossier>>;
    /// Replaces the application of a dossier the applicant may still edit (a draft, or one sent
    /// back for correction). `None` when it is in another state, or unknown.
    async fn save_application(&self, id: i64, application: &Application)
    -> Result<Option<Dossier>>;
    /// Records a transition checked by the domain, with its event, in one transaction: only if
    /// the dossier is still in `transition.from`. `granted` is set on an acceptance and cleared
    /// when a decision is withdrawn. `None` when the dossier moved meanwhile, or is unknown.
    async fn record_transition(
        &self,
        id: i64,
        transition: &Transition,
        granted: Option<Money>,
        author: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<Option<Dossier>>;
    /// Adds a message (shared) or a note (not shared) to a dossier's thread.
    async fn add_dossier_event(
        &self,
        id: i64,
        kind: EventKind,
        body: &str,
        author: Option<i64>,
    ) -> Result<DossierEvent>;
    /// A dossier's thread, oldest first; the applicant's view (`shared_only`) leaves notes out.
    async fn dossier_events(&self, id: i64, shared_only: bool) -> Result<Vec<DossierEvent>>;
    /// Assigns a dossier to a *chargée de mission* (or to nobody).
    async fn assign_dossier(&self, id: i64, to: Option<i64>) -> Result<bool>;
    /// Records the instruction checks made on a dossier (replacing the earlier list).
    async fn set_instruction_checks(&self, id: i64, checks: &[String]) -> Result<bool>;
    /// What the accepted dossiers of a year were granted.
    async fn committed(&self, year: i32) -> Result<Money>;
    /// Records (or, with `None`, withdraws) the day an accepted dossier's agreement was signed.
    /// `false` when the dossier is unknown or not accepted.
    async fn set_agreement_signed(&self, id: i64, on: Option<NaiveDate>) -> Result<bool>;
    /// What tells whether any dossier was added or changed since it was last read: their number
    /// and the latest `updated_at` (every write to a dossier sets it). What is derived from the
    /// dossiers (the open-data file) is kept while this stays the same.
    async fn dossiers_version(&self) -> Result<(i64, Option<DateTime<Utc>>)>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct DossierRow {
    id: i64,
    siret: String,
    siren: String,
    year: i32,
    state: String,
    application: String,
    granted_cents: Option<i64>,
    checks: String,
    assigned_to: Option<i64>,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    agreement_signed_on: Option<NaiveDate>,
}

pub(crate) const DOSSIER_COLUMNS: &str = "id, siret, siren, year, state, application, \
     granted_cents, checks, assigned_to, created_by, created_at, updated_at, submitted_at, \
     decided_at, agreement_signed_on";

fn state(code: &str) -> Result<State> {
    State::parse(code).ok_or_else(|| StoreError::Corrupt {
        what: "état de dossier",
        detail: code.to_owned(),
    })
}

pub(crate) fn dossier_from_row(row: DossierRow) -> Result<Dossier> {
    Ok(Dossier {
        id: row.id,
        siret: row.siret,
        siren: row.siren,
        year: row.year,
        state: state(&row.state)?,
        application: serde_json::from_str(&row.application).map_err(|e| StoreError::Corrupt {
            what: "demande de subvention",
            detail: e.to_string(),
        })?,
        granted: row.granted_cents.map(Money::from_cents),
        checks: serde_json::from_str(&row.checks).map_err(|e| StoreError::Corrupt {
            what: "contrôles d’instruction",
            detail: e.to_string(),
        })?,
        assigned_to: row.assigned_to,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        agreement_signed_on: row.agreement_signed_on,
    })
}

pub(crate) fn application_document(application: &Application) -> Result<String> {
    serde_json::to_string(application).map_err(|e| StoreError::Corrupt {
        what: "demande de subvention",
        detail: e.to_string(),
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    dossier_id: i64,
    kind: String,
    from_state: Option<String>,
    to_state: Option<String>,
    body: String,
    author_id: Option<i64>,
    shared: bool,
    created_at: DateTime<Utc>,
}

pub(crate) const EVENT_COLUMNS: &str =
    "id, dossier_id, kind, from_state, to_state, body, author_id, shared, created_at";

pub(crate) fn event_from_row(row: EventRow) -> Result<DossierEvent> {
    Ok(DossierEvent {
        id: row.id,
        dossier: row.dossier_id,
        kind: EventKind::parse(&row.kind)?,
        from: row.from_state.as_deref().map(state).transpose()?,
        to: row.to_state.as_deref().map(state).transpose()?,
        body: row.body,
        author: row.author_id,
        shared: row.shared,
        created_at: row.created_at,
    })
}

macro_rules! impl_dossiers {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::dossiers::Dossiers for $store {
            async fn create_dossier(
                &self,
                new: &$crate::dossiers::NewDossier<'_>,
            ) -> $crate::Result<$crate::dossiers::Dossier> {
                let now = chrono::Utc::now();
                let row: $crate::dossiers::DossierRow = sqlx::query_as(&format!(
                    "INSERT INTO dossiers (siret, siren, year, state, application, asked_cents, \
                     created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {}",
                    $crate::dossiers::DOSSIER_COLUMNS
                ))
                .bind(new.siret)
                .bind(new.siren)
                .bind(new.year)
                .bind(essor_domain::dossier::State::Draft.code())
                .bind($crate::dossiers::application_document(new.application)?)
                .bind(new.application.asked.cents())
                .bind(new.created_by)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                $crate::dossiers::dossier_from_row(row)
            }

            async fn dossier(&self, id: i64) -> $crate::Result<Option<$crate::dossiers::Dossier>> {
                let row: Option<$crate::dossiers::DossierRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossiers WHERE id = $1",
                    $crate::dossiers::DOSSIER_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::dossiers::dossier_from_row).transpose()
            }

            async fn dossiers_of_structure(
                &self,
                siren: &str,
            ) -> $crate::Result<Vec<$crate::dossiers::Dossier>> {
                let rows: Vec<$crate::dossiers::DossierRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossiers WHERE siren = $1 ORDER BY id DESC",
                    $crate::dossiers::DOSSIER_COLUMNS
                ))
                .bind(siren)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::dossiers::dossier_from_row)
                    .collect()
            }

            async fn dossiers(
                &self,
                state: Option<essor_domain::dossier::State>,
            ) -> $crate::Result<Vec<$crate::dossiers::Dossier>> {
                let rows: Vec<$crate::dossiers::DossierRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossiers WHERE $1 IS NULL OR state = $1 ORDER BY id",
                    $crate::dossiers::DOSSIER_COLUMNS
                ))
                .bind(state.map(essor_domain::dossier::State::code))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::dossiers::dossier_from_row)
                    .collect()
            }

            async fn save_application(
                &self,
                id: i64,
                application: &essor_domain::dossier::Application,
            ) -> $crate::Result<Option<$crate::dossiers::Dossier>> {
                let row: Option<$crate::dossiers::DossierRow> = sqlx::query_as(&format!(
                    "UPDATE dossiers SET application = $1, asked_cents = $2, updated_at = $3 \
                     WHERE id = $4 AND state IN ($5, $6) RETURNING {}",
                    $crate::dossiers::DOSSIER_COLUMNS
                ))
                .bind($crate::dossiers::application_document(application)?)
                .bind(application.asked.cents())
                .bind(chrono::Utc::now())
                .bind(id)
                .bind(essor_domain::dossier::State::Draft.code())
                .bind(essor_domain::dossier::State::CorrectionRequested.code())
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::dossiers::dossier_from_row).transpose()
            }

            async fn record_transition(
                &self,
                id: i64,
                transition: &essor_domain::dossier::Transition,
                granted: Option<essor_domain::Money>,
                author: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::dossiers::Dossier>> {
                let mut tx = self.pool.begin().await?;
                let recorded =
                    record_transition_in(&mut tx, id, transition, granted, author, at).await?;
                if recorded.is_some() {
                    tx.commit().await?;
                }
                Ok(recorded)
            }

            async fn add_dossier_event(
                &self,
                id: i64,
                kind: $crate::dossiers::EventKind,
                body: &str,
                author: Option<i64>,
            ) -> $crate::Result<$crate::dossiers::DossierEvent> {
                let row: $crate::dossiers::EventRow = sqlx::query_as(&format!(
                    "INSERT INTO dossier_events (dossier_id, kind, body, author_id, shared, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
                    $crate::dossiers::EVENT_COLUMNS
                ))
                .bind(id)
                .bind(kind.code())
                .bind(body)
                .bind(author)
                .bind(kind != $crate::dossiers::EventKind::Note)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                $crate::dossiers::event_from_row(row)
            }

            async fn dossier_events(
                &self,
                id: i64,
                shared_only: bool,
            ) -> $crate::Result<Vec<$crate::dossiers::DossierEvent>> {
                let rows: Vec<$crate::dossiers::EventRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossier_events WHERE dossier_id = $1 \
                     AND (shared OR NOT $2) ORDER BY id",
                    $crate::dossiers::EVENT_COLUMNS
                ))
                .bind(id)
                .bind(shared_only)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::dossiers::event_from_row)
                    .collect()
            }

            async fn assign_dossier(&self, id: i64, to: Option<i64>) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE dossiers SET assigned_to = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(to)
                .bind(chrono::Utc::now())
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_agreement_signed(
                &self,
                id: i64,
                on: Option<chrono::NaiveDate>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE dossiers SET agreement_signed_on = $1, updated_at = $2 \
                     WHERE id = $3 AND state = $4",
                )
                .bind(on)
                .bind(chrono::Utc::now())
                .bind(id)
                .bind(essor_domain::dossier::State::Accepted.code())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_instruction_checks(
                &self,
                id: i64,
                checks: &[String],
            ) -> $crate::Result<bool> {
                let document =
                    serde_json::to_string(checks).map_err(|e| $crate::StoreError::Corrupt {
                        what: "contrôles d’instruction",
                        detail: e.to_string(),
                    })?;
                let done =
                    sqlx::query("UPDATE dossiers SET checks = $1, updated_at = $2 WHERE id = $3")
                        .bind(document)
                        .bind(chrono::Utc::now())
                        .bind(id)
                        .execute(&self.pool)
                        .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn committed(&self, year: i32) -> $crate::Result<essor_domain::Money> {
                let (cents,): (Option<i64>,) = sqlx::query_as(
                    "SELECT CAST(SUM(granted_cents) AS BIGINT) FROM dossiers \
                     WHERE year = $1 AND state = $2",
                )
                .bind(year)
                .bind(essor_domain::dossier::State::Accepted.code())
                .fetch_one(&self.pool)
                .await?;
                Ok(essor_domain::Money::from_cents(cents.unwrap_or(0)))
            }

            async fn dossiers_version(
                &self,
            ) -> $crate::Result<(i64, Option<chrono::DateTime<chrono::Utc>>)> {
                Ok(
                    sqlx::query_as("SELECT COUNT(*), MAX(updated_at) FROM dossiers")
                        .fetch_one(&self.pool)
                        .await?,
                )
            }
        }

        /// Records a transition in `tx`, with its event (`Dossiers::record_transition`, and a
        /// decision in session with its agenda item): `None` when the dossier is no longer in
        /// `transition.from`, and then nothing is written.
        pub(crate) async fn record_transition_in(
            tx: &mut sqlx::Transaction<'_, $db>,
            id: i64,
            transition: &essor_domain::dossier::Transition,
            granted: Option<essor_domain::Money>,
            author: Option<i64>,
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<Option<$crate::dossiers::Dossier>> {
            use essor_domain::dossier::State;
            let submitted = transition.to == State::Submitted;
            let decided = transition.to.is_decided();
            let row: Option<$crate::dossiers::DossierRow> = sqlx::query_as(&format!(
                "UPDATE dossiers SET state = $1, updated_at = $2, \
                 submitted_at = CASE WHEN $3 THEN $2 ELSE submitted_at END, \
                 decided_at = CASE WHEN $4 THEN $2 ELSE NULL END, \
                 granted_cents = $5, \
                 agreement_signed_on = CASE WHEN $4 THEN agreement_signed_on ELSE NULL END \
                 WHERE id = $6 AND state = $7 RETURNING {}",
                $crate::dossiers::DOSSIER_COLUMNS
            ))
            .bind(transition.to.code())
            .bind(at)
            .bind(submitted)
            .bind(decided)
            .bind(
                granted
                    .filter(|_| transition.to == State::Accepted)
                    .map(essor_domain::Money::cents),
            )
            .bind(id)
            .bind(transition.from.code())
            .fetch_optional(&mut **tx)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            if !decided {
                // A decision withdrawn takes its agreement documents with it.
                sqlx::query(
                    "UPDATE dossier_documents SET withdrawn = TRUE \
                     WHERE dossier_id = $1 AND kind IN ($2, $3)",
                )
                .bind(id)
                .bind($crate::funding::AGREEMENT_KINDS[0])
                .bind($crate::funding::AGREEMENT_KINDS[1])
                .execute(&mut **tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO dossier_events (dossier_id, kind, from_state, to_state, body, \
                 author_id, shared, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind($crate::dossiers::EventKind::Transition.code())
            .bind(transition.from.code())
            .bind(transition.to.code())
            .bind(&transition.message)
            .bind(author)
            .bind(true)
            .bind(at)
            .execute(&mut **tx)
            .await?;
            $crate::dossiers::dossier_from_row(row).map(Some)
        }
    };
}

pub(crate) use impl_dossiers;
