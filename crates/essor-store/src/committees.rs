//! The plan's committees at work: members, sessions, attendance, the agenda of dossiers a
//! session decides, the decisions and the minutes (`essor_domain::committee`). Whatever a
//! session records can change only while it is planned: every write checks it in the same
//! statement or transaction, so a session marked held stays as it was.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use essor_domain::Money;
use essor_domain::committee::{MemberRole, Outcome, SessionStatus};
use essor_domain::dossier::Transition;

use crate::dossiers::Dossier;
use crate::{Result, StoreError};

/// A member of one of the plan's committees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeMember {
    pub id: i64,
    /// The key of the plan's committee.
    pub committee: String,
    pub name: String,
    /// The quality or the organisation.
    pub quality: String,
    pub role: MemberRole,
    /// Still sits on the committee (a member who left stays in the sessions they attended).
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// What adding a member needs.
#[derive(Debug, Clone)]
pub struct NewCommitteeMember<'a> {
    pub committee: &'a str,
    pub name: &'a str,
    pub quality: &'a str,
    pub role: MemberRole,
}

/// A session of a committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeSession {
    pub id: i64,
    pub committee: String,
    pub date: NaiveDate,
    pub place: String,
    pub status: SessionStatus,
    pub minutes: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub held_at: Option<DateTime<Utc>>,
}

/// What planning (or changing) a session needs.
#[derive(Debug, Clone)]
pub struct SessionDetails<'a> {
    pub committee: &'a str,
    pub date: NaiveDate,
    pub place: &'a str,
}

/// A dossier on a session's agenda, and what the committee decided on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaItem {
    pub id: i64,
    pub session: i64,
    pub dossier: i64,
    /// Its rank on the agenda (smallest first).
    pub position: i32,
    /// The instructing staff's proposal or opinion, for the committee's file.
    pub proposal: String,
    /// The amount staff propose to grant.
    pub proposed: Option<Money>,
    pub outcome: Option<Outcome>,
    /// The amount granted, for an acceptance.
    pub amount: Option<Money>,
    /// The conditions of an acceptance, the motivation of a refusal, the reason of a
    /// postponement.
    pub decision_text: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A decision on an agenda item, to record.
#[derive(Debug, Clone)]
pub struct ItemDecisionRecord<'a> {
    pub outcome: Outcome,
    pub amount: Option<Money>,
    pub text: &'a str,
    pub by: Option<i64>,
    pub at: DateTime<Utc>,
}

/// The dossier's step a decision in session takes (`essor_domain::dossier::transition`
/// checked it), recorded with the decision.
#[derive(Debug, Clone, Copy)]
pub struct DecidedStep<'a> {
    pub dossier: i64,
    pub transition: &'a Transition,
    pub granted: Option<Money>,
}

/// What recording a decision in session did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionRecorded {
    /// Recorded; with the dossier as its step left it, when there was one.
    Recorded(Option<Box<Dossier>>),
    /// The item was decided meanwhile, or its session held: nothing written.
    ItemClosed,
    /// The dossier left the step's starting state meanwhile: nothing written.
    DossierMoved,
}

/// What putting a dossier on an agenda did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgendaChange {
    Added(AgendaItem),
    /// The session is held (or unknown): its agenda cannot change.
    SessionNotOpen,
    /// The dossier already waits on an agenda (this session's or another's).
    AlreadyOnAgenda {
        session: i64,
    },
}

/// What marking a session held did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldChange {
    Held(CommitteeSession),
    /// Already held, or unknown.
    NotOpen,
    /// These dossiers on its agenda have no decision yet.
    Undecided(Vec<i64>),
}

/// The storage of committees. Both backends implement it with the same SQL.
#[async_trait]
pub trait Committees: Send + Sync {
    async fn add_committee_member(&self, new: &NewCommitteeMember<'_>) -> Result<CommitteeMember>;
    /// The members of a committee (every committee when `None`), by committee then order of
    /// arrival; those who left only when `include_inactive`.
    async fn committee_members(
        &self,
        committee: Option<&str>,
        include_inactive: bool,
    ) -> Result<Vec<CommitteeMember>>;
    /// Records that a member left the committee (or came back). `false` when unknown.
    async fn set_committee_member_active(&self, id: i64, active: bool) -> Result<bool>;

    async fn create_committee_session(
        &self,
        details: &SessionDetails<'_>,
        created_by: Option<i64>,
    ) -> Result<CommitteeSession>;
    /// Changes a planned session's committee, date or place; `None` when held or unknown.
    async fn update_committee_session(
        &self,
        id: i64,
        details: &SessionDetails<'_>,
    ) -> Result<Option<CommitteeSession>>;
    async fn committee_session(&self, id: i64) -> Result<Option<CommitteeSession>>;
    /// Every session, the latest date first.
    async fn committee_sessions(&self) -> Result<Vec<CommitteeSession>>;

    /// Replaces who attended a planned session, in one transaction. `false` when held or
    /// unknown.
    async fn set_attendance(&self, session: i64, members: &[i64]) -> Result<bool>;
    /// The members who attended a session.
    async fn attendance(&self, session: i64) -> Result<Vec<i64>>;

    /// Puts a dossier last on a planned session's agenda.
    async fn add_to_agenda(&self, session: i64, dossier: i64) -> Result<AgendaChange>;
    /// Takes an undecided item off a planned session's agenda. `false` otherwise.
    async fn remove_from_agenda(&self, item: i64) -> Result<bool>;
    /// Swaps an item of a planned session with the one before (`up`) or after it. `false` when
    /// there is none, or the session is held.
    async fn move_agenda_item(&self, item: i64, up: bool) -> Result<bool>;
    /// A session's agenda, in order.
    async fn agenda(&self, session: i64) -> Result<Vec<AgendaItem>>;
    async fn agenda_item(&self, item: i64) -> Result<Option<AgendaItem>>;
    /// Every agenda item of a dossier, oldest session first.
    async fn agenda_items_of_dossier(&self, dossier: i64) -> Result<Vec<AgendaItem>>;
    /// The dossiers waiting on an agenda (no decision yet), with their session.
    async fn pending_agenda_dossiers(&self) -> Result<Vec<(i64, i64)>>;
    /// Records staff's proposal on an undecided item of a planned session. `false` otherwise.
    async fn set_agenda_proposal(
        &self,
        item: i64,
        proposal: &str,
        proposed: Option<Money>,
    ) -> Result<bool>;
    /// Records the decision on an undecided item of a planned session, with the dossier's step
    /// it takes (`step`: an acceptance or a refusal) in the same transaction: both are written,
    /// or neither.
    async fn record_agenda_decision(
        &self,
        item: i64,
        decision: &ItemDecisionRecord<'_>,
        step: Option<&DecidedStep<'_>>,
    ) -> Result<DecisionRecorded>;

    /// Saves the minutes of a planned session. `false` when held or unknown.
    async fn set_minutes(&self, session: i64, minutes: &str) -> Result<bool>;
    /// Marks a planned session held, in one transaction, if every item of its agenda is
    /// decided.
    async fn mark_session_held(&self, session: i64, at: DateTime<Utc>) -> Result<HeldChange>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    id: i64,
    committee: String,
    name: String,
    quality: String,
    role: String,
    active: bool,
    created_at: DateTime<Utc>,
}

pub(crate) const MEMBER_COLUMNS: &str = "id, committee, name, quality, role, active, created_at";

pub(crate) fn member_from_row(row: MemberRow) -> Result<CommitteeMember> {
    Ok(CommitteeMember {
        id: row.id,
        committee: row.committee,
        name: row.name,
        quality: row.quality,
        role: MemberRole::parse(&row.role).ok_or_else(|| StoreError::Corrupt {
            what: "rôle de membre de comité",
            detail: row.role.clone(),
        })?,
        active: row.active,
        created_at: row.created_at,
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: i64,
    committee: String,
    held_on: NaiveDate,
    place: String,
    status: String,
    minutes: String,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    held_at: Option<DateTime<Utc>>,
}

pub(crate) const SESSION_COLUMNS: &str = "id, committee, held_on, place, status, minutes, \
     created_by, created_at, updated_at, held_at";

pub(crate) fn session_from_row(row: SessionRow) -> Result<CommitteeSession> {
    Ok(CommitteeSession {
        id: row.id,
        committee: row.committee,
        date: row.held_on,
        place: row.place,
        status: SessionStatus::parse(&row.status).ok_or_else(|| StoreError::Corrupt {
            what: "état de séance de comité",
            detail: row.status.clone(),
        })?,
        minutes: row.minutes,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        held_at: row.held_at,
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct ItemRow {
    id: i64,
    session_id: i64,
    dossier_id: i64,
    position: i32,
    proposal: String,
    proposed_cents: Option<i64>,
    outcome: Option<String>,
    amount_cents: Option<i64>,
    decision_text: String,
    decided_by: Option<i64>,
    decided_at: Option<DateTime<Utc>>,
}

pub(crate) const ITEM_COLUMNS: &str = "id, session_id, dossier_id, position, proposal, \
     proposed_cents, outcome, amount_cents, decision_text, decided_by, decided_at";

pub(crate) fn item_from_row(row: ItemRow) -> Result<AgendaItem> {
    let outcome = match row.outcome.as_deref() {
        None => None,
        Some(code) => Some(Outcome::parse(code).ok_or_else(|| StoreError::Corrupt {
            what: "décision de comité",
            detail: code.to_owned(),
        })?),
    };
    Ok(AgendaItem {
        id: row.id,
        session: row.session_id,
        dossier: row.dossier_id,
        position: row.position,
        proposal: row.proposal,
        proposed: row.proposed_cents.map(Money::from_cents),
        outcome,
        amount: row.amount_cents.map(Money::from_cents),
        decision_text: row.decision_text,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
    })
}

/// Whether an error is the refusal of a unique index (a dossier already waiting on an agenda).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(sqlx::error::DatabaseError::is_unique_violation)
}

macro_rules! impl_committees {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::committees::Committees for $store {
            async fn add_committee_member(
                &self,
                new: &$crate::committees::NewCommitteeMember<'_>,
            ) -> $crate::Result<$crate::committees::CommitteeMember> {
                let row: $crate::committees::MemberRow = sqlx::query_as(&format!(
                    "INSERT INTO committee_members (committee, name, quality, role, active, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
                    $crate::committees::MEMBER_COLUMNS
                ))
                .bind(new.committee)
                .bind(new.name)
                .bind(new.quality)
                .bind(new.role.code())
                .bind(true)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                $crate::committees::member_from_row(row)
            }

            async fn committee_members(
                &self,
                committee: Option<&str>,
                include_inactive: bool,
            ) -> $crate::Result<Vec<$crate::committees::CommitteeMember>> {
                let rows: Vec<$crate::committees::MemberRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM committee_members WHERE ($1 IS NULL OR committee = $1) \
                     AND (active OR $2) ORDER BY committee, id",
                    $crate::committees::MEMBER_COLUMNS
                ))
                .bind(committee)
                .bind(include_inactive)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::committees::member_from_row)
                    .collect()
            }

            async fn set_committee_member_active(
                &self,
                id: i64,
                active: bool,
            ) -> $crate::Result<bool> {
                let done = sqlx::query("UPDATE committee_members SET active = $1 WHERE id = $2")
                    .bind(active)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn create_committee_session(
                &self,
                details: &$crate::committees::SessionDetails<'_>,
                created_by: Option<i64>,
            ) -> $crate::Result<$crate::committees::CommitteeSession> {
                let now = chrono::Utc::now();
                let row: $crate::committees::SessionRow = sqlx::query_as(&format!(
                    "INSERT INTO committee_sessions (committee, held_on, place, status, \
                     created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                     RETURNING {}",
                    $crate::committees::SESSION_COLUMNS
                ))
                .bind(details.committee)
                .bind(details.date)
                .bind(details.place)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .bind(created_by)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                $crate::committees::session_from_row(row)
            }

            async fn update_committee_session(
                &self,
                id: i64,
                details: &$crate::committees::SessionDetails<'_>,
            ) -> $crate::Result<Option<$crate::committees::CommitteeSession>> {
                let row: Option<$crate::committees::SessionRow> = sqlx::query_as(&format!(
                    "UPDATE committee_sessions SET committee = $1, held_on = $2, place = $3, \
                     updated_at = $4 WHERE id = $5 AND status = $6 RETURNING {}",
                    $crate::committees::SESSION_COLUMNS
                ))
                .bind(details.committee)
                .bind(details.date)
                .bind(details.place)
                .bind(chrono::Utc::now())
                .bind(id)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::committees::session_from_row).transpose()
            }

            async fn committee_session(
                &self,
                id: i64,
            ) -> $crate::Result<Option<$crate::committees::CommitteeSession>> {
                let row: Option<$crate::committees::SessionRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM committee_sessions WHERE id = $1",
                    $crate::committees::SESSION_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::committees::session_from_row).transpose()
            }

            async fn committee_sessions(
                &self,
            ) -> $crate::Result<Vec<$crate::committees::CommitteeSession>> {
                let rows: Vec<$crate::committees::SessionRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM committee_sessions ORDER BY held_on DESC, id DESC",
                    $crate::committees::SESSION_COLUMNS
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::committees::session_from_row)
                    .collect()
            }

            async fn set_attendance(&self, session: i64, members: &[i64]) -> $crate::Result<bool> {
                let mut tx = self.pool.begin().await?;
                // Touching the session first takes its row lock and checks it is planned.
                let open = sqlx::query(
                    "UPDATE committee_sessions SET updated_at = $1 WHERE id = $2 AND status = $3",
                )
                .bind(chrono::Utc::now())
                .bind(session)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .execute(&mut *tx)
                .await?;
                if open.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM committee_attendance WHERE session_id = $1")
                    .bind(session)
                    .execute(&mut *tx)
                    .await?;
                let mut seen = std::collections::BTreeSet::new();
                for member in members.iter().filter(|m| seen.insert(**m)) {
                    sqlx::query(
                        "INSERT INTO committee_attendance (session_id, member_id) VALUES ($1, $2)",
                    )
                    .bind(session)
                    .bind(member)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn attendance(&self, session: i64) -> $crate::Result<Vec<i64>> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT member_id FROM committee_attendance WHERE session_id = $1 \
                     ORDER BY member_id",
                )
                .bind(session)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn add_to_agenda(
                &self,
                session: i64,
                dossier: i64,
            ) -> $crate::Result<$crate::committees::AgendaChange> {
                use $crate::committees::AgendaChange;
                let mut tx = self.pool.begin().await?;
                let open = sqlx::query(
                    "UPDATE committee_sessions SET updated_at = $1 WHERE id = $2 AND status = $3",
                )
                .bind(chrono::Utc::now())
                .bind(session)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .execute(&mut *tx)
                .await?;
                if open.rows_affected() == 0 {
                    return Ok(AgendaChange::SessionNotOpen);
                }
                let waiting: Option<(i64,)> = sqlx::query_as(
                    "SELECT session_id FROM committee_agenda WHERE dossier_id = $1 \
                     AND (outcome IS NULL OR session_id = $2)",
                )
                .bind(dossier)
                .bind(session)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((session,)) = waiting {
                    return Ok(AgendaChange::AlreadyOnAgenda { session });
                }
                let inserted: std::result::Result<$crate::committees::ItemRow, sqlx::Error> =
                    sqlx::query_as(&format!(
                        "INSERT INTO committee_agenda (session_id, dossier_id, position) \
                         VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 \
                         FROM committee_agenda WHERE session_id = $1)) RETURNING {}",
                        $crate::committees::ITEM_COLUMNS
                    ))
                    .bind(session)
                    .bind(dossier)
                    .fetch_one(&mut *tx)
                    .await;
                match inserted {
                    Ok(row) => {
                        tx.commit().await?;
                        $crate::committees::item_from_row(row).map(AgendaChange::Added)
                    }
                    // Another session took it meanwhile.
                    Err(e) if $crate::committees::is_unique_violation(&e) => {
                        drop(tx);
                        let (session,): (i64,) = sqlx::query_as(
                            "SELECT session_id FROM committee_agenda WHERE dossier_id = $1 \
                             AND outcome IS NULL",
                        )
                        .bind(dossier)
                        .fetch_one(&self.pool)
                        .await?;
                        Ok(AgendaChange::AlreadyOnAgenda { session })
                    }
                    Err(e) => Err(e.into()),
                }
            }

            async fn remove_from_agenda(&self, item: i64) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "DELETE FROM committee_agenda WHERE id = $1 AND outcome IS NULL \
                     AND session_id IN (SELECT id FROM committee_sessions WHERE status = $2)",
                )
                .bind(item)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn move_agenda_item(&self, item: i64, up: bool) -> $crate::Result<bool> {
                let mut tx = self.pool.begin().await?;
                let found: Option<(i64, i32)> = sqlx::query_as(
                    "SELECT session_id, position FROM committee_agenda WHERE id = $1",
                )
                .bind(item)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((session, position)) = found else {
                    return Ok(false);
                };
                let open = sqlx::query(
                    "UPDATE committee_sessions SET updated_at = $1 WHERE id = $2 AND status = $3",
                )
                .bind(chrono::Utc::now())
                .bind(session)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .execute(&mut *tx)
                .await?;
                if open.rows_affected() == 0 {
                    return Ok(false);
                }
                let neighbour: Option<(i64, i32)> = sqlx::query_as(if up {
                    "SELECT id, position FROM committee_agenda WHERE session_id = $1 \
                     AND position < $2 ORDER BY position DESC LIMIT 1"
                } else {
                    "SELECT id, position FROM committee_agenda WHERE session_id = $1 \
                     AND position > $2 ORDER BY position LIMIT 1"
                })
                .bind(session)
                .bind(position)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((other, other_position)) = neighbour else {
                    return Ok(false);
                };
                for (id, to) in [(item, other_position), (other, position)] {
                    sqlx::query("UPDATE committee_agenda SET position = $1 WHERE id = $2")
                        .bind(to)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn agenda(
                &self,
                session: i64,
            ) -> $crate::Result<Vec<$crate::committees::AgendaItem>> {
                let rows: Vec<$crate::committees::ItemRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM committee_agenda WHERE session_id = $1 ORDER BY position, id",
                    $crate::committees::ITEM_COLUMNS
                ))
                .bind(session)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::committees::item_from_row)
                    .collect()
            }

            async fn agenda_item(
                &self,
                item: i64,
            ) -> $crate::Result<Option<$crate::committees::AgendaItem>> {
                let row: Option<$crate::committees::ItemRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM committee_agenda WHERE id = $1",
                    $crate::committees::ITEM_COLUMNS
                ))
                .bind(item)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::committees::item_from_row).transpose()
            }

            async fn agenda_items_of_dossier(
                &self,
                dossier: i64,
            ) -> $crate::Result<Vec<$crate::committees::AgendaItem>> {
                let rows: Vec<$crate::committees::ItemRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM committee_agenda WHERE dossier_id = $1 \
                     ORDER BY session_id, id",
                    $crate::committees::ITEM_COLUMNS
                ))
                .bind(dossier)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::committees::item_from_row)
                    .collect()
            }

            async fn pending_agenda_dossiers(&self) -> $crate::Result<Vec<(i64, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT dossier_id, session_id FROM committee_agenda WHERE outcome IS NULL \
                     ORDER BY dossier_id",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn set_agenda_proposal(
                &self,
                item: i64,
                proposal: &str,
                proposed: Option<essor_domain::Money>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE committee_agenda SET proposal = $1, proposed_cents = $2 \
                     WHERE id = $3 AND outcome IS NULL \
                     AND session_id IN (SELECT id FROM committee_sessions WHERE status = $4)",
                )
                .bind(proposal)
                .bind(proposed.map(essor_domain::Money::cents))
                .bind(item)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn record_agenda_decision(
                &self,
                item: i64,
                decision: &$crate::committees::ItemDecisionRecord<'_>,
                step: Option<&$crate::committees::DecidedStep<'_>>,
            ) -> $crate::Result<$crate::committees::DecisionRecorded> {
                use $crate::committees::DecisionRecorded;
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE committee_agenda SET outcome = $1, amount_cents = $2, \
                     decision_text = $3, decided_by = $4, decided_at = $5 \
                     WHERE id = $6 AND outcome IS NULL \
                     AND session_id IN (SELECT id FROM committee_sessions WHERE status = $7)",
                )
                .bind(decision.outcome.code())
                .bind(decision.amount.map(essor_domain::Money::cents))
                .bind(decision.text)
                .bind(decision.by)
                .bind(decision.at)
                .bind(item)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(DecisionRecorded::ItemClosed);
                }
                let dossier = match step {
                    Some(step) => {
                        let recorded = record_transition_in(
                            &mut tx,
                            step.dossier,
                            step.transition,
                            step.granted,
                            decision.by,
                            decision.at,
                        )
                        .await?;
                        let Some(dossier) = recorded else {
                            return Ok(DecisionRecorded::DossierMoved);
                        };
                        Some(Box::new(dossier))
                    }
                    None => None,
                };
                tx.commit().await?;
                Ok(DecisionRecorded::Recorded(dossier))
            }

            async fn set_minutes(&self, session: i64, minutes: &str) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE committee_sessions SET minutes = $1, updated_at = $2 \
                     WHERE id = $3 AND status = $4",
                )
                .bind(minutes)
                .bind(chrono::Utc::now())
                .bind(session)
                .bind(essor_domain::committee::SessionStatus::Planned.code())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn mark_session_held(
                &self,
                session: i64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::committees::HeldChange> {
                use $crate::committees::HeldChange;
                let planned = essor_domain::committee::SessionStatus::Planned.code();
                let mut tx = self.pool.begin().await?;
                let open = sqlx::query(
                    "UPDATE committee_sessions SET updated_at = $1 WHERE id = $2 AND status = $3",
                )
                .bind(at)
                .bind(session)
                .bind(planned)
                .execute(&mut *tx)
                .await?;
                if open.rows_affected() == 0 {
                    return Ok(HeldChange::NotOpen);
                }
                let undecided: Vec<(i64,)> = sqlx::query_as(
                    "SELECT dossier_id FROM committee_agenda WHERE session_id = $1 \
                     AND outcome IS NULL ORDER BY position",
                )
                .bind(session)
                .fetch_all(&mut *tx)
                .await?;
                if !undecided.is_empty() {
                    return Ok(HeldChange::Undecided(
                        undecided.into_iter().map(|(id,)| id).collect(),
                    ));
                }
                let row: $crate::committees::SessionRow = sqlx::query_as(&format!(
                    "UPDATE committee_sessions SET status = $1, held_at = $2, updated_at = $2 \
                     WHERE id = $3 RETURNING {}",
                    $crate::committees::SESSION_COLUMNS
                ))
                .bind(essor_domain::committee::SessionStatus::Held.code())
                .bind(at)
                .bind(session)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                $crate::committees::session_from_row(row).map(HeldChange::Held)
            }
        }
    };
}

pub(crate) use impl_committees;
