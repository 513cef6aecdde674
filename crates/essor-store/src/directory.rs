//! The directory: establishments of the last import looked up one by one, the profiles
//! structures write (every revision kept, the current one published at once), claims of actors
//! by accounts, and the images of profiles.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use essor_domain::actor::Profile;

use crate::{EstablishmentRow, Result, StoreError};

/// The published profile of an actor.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProfile {
    pub siret: String,
    pub siren: String,
    pub profile: Profile,
    /// The revision published.
    pub revision: i64,
    pub updated_at: DateTime<Utc>,
}

/// One version of a profile, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRevision {
    pub id: i64,
    pub siret: String,
    pub siren: String,
    pub profile: Profile,
    /// `None` when the author's account was deleted, or for the system.
    pub author: Option<i64>,
    /// Written by staff (born reviewed) rather than by the structure.
    pub by_staff: bool,
    /// The earlier revision this one restores, when it is a revert.
    pub restores: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<i64>,
}

/// Who writes a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Author {
    pub account: Option<i64>,
    pub staff: bool,
}

/// Where a request stands: a claim, an actor proposed by an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
}

impl RequestStatus {
    /// The status a decision gives.
    #[must_use]
    pub fn decided(approve: bool) -> Self {
        if approve {
            Self::Approved
        } else {
            Self::Rejected
        }
    }

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(code: &str) -> Result<Self> {
        match code {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "rejected" => Ok(Self::Rejected),
            other => Err(StoreError::Corrupt {
                what: "état de demande",
                detail: other.to_owned(),
            }),
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "en attente",
            Self::Approved => "acceptée",
            Self::Rejected => "refusée",
        }
    }
}

/// An account's request to act for the structure of an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: i64,
    pub siret: String,
    pub siren: String,
    pub account: i64,
    pub message: String,
    pub status: RequestStatus,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub reason: Option<String>,
}

/// An image of a profile, already checked and re-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: i64,
    pub siret: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub bytes: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// An actor added by hand (not from SIRENE): by staff, published at once, or proposed by an
/// account, published once staff approve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualActor {
    pub id: i64,
    pub name: String,
    /// When the structure has one, though the import does not keep it.
    pub siret: Option<String>,
    /// The structure it belongs to, whose members may edit its page.
    pub siren: Option<String>,
    /// An ESS family key (`association`…).
    pub family: String,
    pub commune: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    /// What the proposer said of the actor and of themselves (empty when added by staff).
    pub message: String,
    /// Approved: in the directory.
    pub status: RequestStatus,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    /// Why a proposal was refused, as told to the proposer.
    pub reason: Option<String>,
}

impl ManualActor {
    /// The key of its page and profile: `m<id>` (a SIRET never starts with a letter).
    #[must_use]
    pub fn key(&self) -> String {
        format!("m{}", self.id)
    }
}

/// What adding an actor by hand needs.
#[derive(Debug, Clone)]
pub struct NewManualActor<'a> {
    pub name: &'a str,
    pub siret: Option<&'a str>,
    pub siren: Option<&'a str>,
    pub family: &'a str,
    pub commune: &'a str,
    pub address: Option<&'a str>,
    pub postcode: Option<&'a str>,
    pub message: &'a str,
    pub created_by: Option<i64>,
    /// Staff's additions are published at once (approved); accounts' proposals wait (pending).
    pub status: RequestStatus,
}

/// The directory's storage. Both backends implement it with the same SQL.
#[async_trait]
pub trait Directory: Send + Sync {
    /// One establishment of a snapshot.
    async fn establishment(&self, snapshot: i64, siret: &str) -> Result<Option<EstablishmentRow>>;
    /// Every establishment of a structure kept by a snapshot, by SIRET.
    async fn establishments_of_siren(
        &self,
        snapshot: i64,
        siren: &str,
    ) -> Result<Vec<EstablishmentRow>>;

    async fn profile(&self, siret: &str) -> Result<Option<StoredProfile>>;
    /// Every published profile (to build the search index).
    async fn profiles(&self) -> Result<Vec<StoredProfile>>;
    /// The profiles published by a revision later than `revision`, to follow changes made by
    /// another process.
    async fn profiles_since(&self, revision: i64) -> Result<Vec<StoredProfile>>;
    /// The last revision published, if any.
    async fn latest_profile_revision(&self) -> Result<Option<i64>>;
    /// Writes a revision and publishes it, in one transaction. Staff revisions are born reviewed.
    async fn save_profile(
        &self,
        siret: &str,
        siren: &str,
        profile: &Profile,
        author: Author,
        restores: Option<i64>,
    ) -> Result<StoredProfile>;
    /// The revisions of an actor, newest first.
    async fn profile_revisions(&self, siret: &str) -> Result<Vec<ProfileRevision>>;
    async fn profile_revision(&self, id: i64) -> Result<Option<ProfileRevision>>;
    /// Revisions written by structures and not yet reviewed by staff, oldest first.
    async fn unreviewed_revisions(&self) -> Result<Vec<ProfileRevision>>;
    /// Marks a revision, and every earlier unreviewed one of the same actor, reviewed.
    async fn mark_reviewed(&self, id: i64, by: i64, at: DateTime<Utc>) -> Result<u64>;

    /// Records a claim; an approved one (e-mail domain matching) also makes the account a
    /// member of the structure, in the same transaction.
    async fn create_claim(
        &self,
        siret: &str,
        siren: &str,
        account: i64,
        message: &str,
        status: RequestStatus,
    ) -> Result<Claim>;
    async fn claim(&self, id: i64) -> Result<Option<Claim>>;
    /// Claims in a status (all when `None`), oldest first.
    async fn claims(&self, status: Option<RequestStatus>) -> Result<Vec<Claim>>;
    async fn claims_of_account(&self, account: i64) -> Result<Vec<Claim>>;
    /// Decides a pending claim; approving makes the account a member of the structure, in the
    /// same transaction. `None` when the claim is unknown or already decided.
    async fn decide_claim(
        &self,
        id: i64,
        approve: bool,
        by: i64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Claim>>;

    async fn create_manual_actor(&self, actor: &NewManualActor<'_>) -> Result<ManualActor>;
    async fn manual_actor(&self, id: i64) -> Result<Option<ManualActor>>;
    /// Actors added by hand in a status (all when `None`), by id.
    async fn manual_actors(&self, status: Option<RequestStatus>) -> Result<Vec<ManualActor>>;
    /// Actors proposed by an account, by id.
    async fn manual_actors_of_account(&self, account: i64) -> Result<Vec<ManualActor>>;
    /// Decides a pending proposal. `None` when it is unknown or already decided.
    async fn decide_manual_actor(
        &self,
        id: i64,
        approve: bool,
        by: i64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ManualActor>>;
    /// The last id and the last decision of the actors added by hand, to notice additions and
    /// decisions made by another process.
    async fn manual_actors_version(&self) -> Result<(Option<i64>, Option<DateTime<Utc>>)>;

    async fn save_media(
        &self,
        siret: &str,
        content_type: &str,
        width: i64,
        height: i64,
        bytes: &[u8],
    ) -> Result<i64>;
    async fn media(&self, id: i64) -> Result<Option<Media>>;
    async fn delete_media(&self, id: i64) -> Result<bool>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct ManualActorRow {
    id: i64,
    name: String,
    siret: Option<String>,
    siren: Option<String>,
    family: String,
    commune: String,
    address: Option<String>,
    postcode: Option<String>,
    message: String,
    status: String,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<i64>,
    reason: Option<String>,
}

pub(crate) const MANUAL_ACTOR_COLUMNS: &str = "id, name, siret, siren, family, commune, address, \
     postcode, message, status, created_by, created_at, decided_at, decided_by, reason";

pub(crate) fn manual_actor_from_row(row: ManualActorRow) -> Result<ManualActor> {
    Ok(ManualActor {
        id: row.id,
        name: row.name,
        siret: row.siret,
        siren: row.siren,
        family: row.family,
        commune: row.commune,
        address: row.address,
        postcode: row.postcode,
        message: row.message,
        status: RequestStatus::parse(&row.status)?,
        created_by: row.created_by,
        created_at: row.created_at,
        decided_at: row.decided_at,
        decided_by: row.decided_by,
        reason: row.reason,
    })
}

/// Makes an account a member of a structure (not its owner), when a claim is approved; an
/// existing membership stays as it is.
pub(crate) const GRANT_MEMBERSHIP: &str = "INSERT INTO memberships (account_id, siren, owner, \
     created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, siren) DO NOTHING";

pub(crate) type ProfileRow = (String, String, String, i64, DateTime<Utc>);

pub(crate) fn profile_from_row(row: ProfileRow) -> Result<StoredProfile> {
    let (siret, siren, profile, revision, updated_at) = row;
    Ok(StoredProfile {
        siret,
        siren,
        profile: parse_profile(&profile)?,
        revision,
        updated_at,
    })
}

pub(crate) type RevisionRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    bool,
    Option<i64>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<i64>,
);

pub(crate) const REVISION_COLUMNS: &str = "id, siret, siren, profile, author_id, by_staff, \
     restores_id, created_at, reviewed_at, reviewed_by";

pub(crate) fn revision_from_row(row: RevisionRow) -> Result<ProfileRevision> {
    let (id, siret, siren, profile, author, by_staff, restores, created_at, reviewed_at, by) = row;
    Ok(ProfileRevision {
        id,
        siret,
        siren,
        profile: parse_profile(&profile)?,
        author,
        by_staff,
        restores,
        created_at,
        reviewed_at,
        reviewed_by: by,
    })
}

pub(crate) type ClaimRow = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<String>,
);

pub(crate) const CLAIM_COLUMNS: &str =
    "id, siret, siren, account_id, message, status, created_at, decided_at, decided_by, reason";

pub(crate) fn claim_from_row(row: ClaimRow) -> Result<Claim> {
    let (id, siret, siren, account, message, status, created_at, decided_at, decided_by, reason) =
        row;
    Ok(Claim {
        id,
        siret,
        siren,
        account,
        message,
        status: RequestStatus::parse(&status)?,
        created_at,
        decided_at,
        decided_by,
        reason,
    })
}

pub(crate) fn profile_document(profile: &Profile) -> Result<String> {
    serde_json::to_string(profile).map_err(|e| StoreError::Corrupt {
        what: "profil",
        detail: e.to_string(),
    })
}

fn parse_profile(document: &str) -> Result<Profile> {
    serde_json::from_str(document).map_err(|e| StoreError::Corrupt {
        what: "profil",
        detail: e.to_string(),
    })
}

macro_rules! impl_directory {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::directory::Directory for $store {
            async fn establishment(
                &self,
                snapshot: i64,
                siret: &str,
            ) -> $crate::Result<Option<$crate::EstablishmentRow>> {
                let row: Option<$crate::common::EstablishmentDbRow> = sqlx::query_as(
                    "SELECT siret, siren, commune, active, record FROM ess_establishments \
                     WHERE snapshot_id = $1 AND siret = $2",
                )
                .bind(snapshot)
                .bind(siret)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map($crate::common::establishment_from_row))
            }

            async fn establishments_of_siren(
                &self,
                snapshot: i64,
                siren: &str,
            ) -> $crate::Result<Vec<$crate::EstablishmentRow>> {
                let rows: Vec<$crate::common::EstablishmentDbRow> = sqlx::query_as(
                    "SELECT siret, siren, commune, active, record FROM ess_establishments \
                     WHERE snapshot_id = $1 AND siren = $2 ORDER BY siret",
                )
                .bind(snapshot)
                .bind(siren)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map($crate::common::establishment_from_row)
                    .collect())
            }

            async fn profile(
                &self,
                siret: &str,
            ) -> $crate::Result<Option<$crate::directory::StoredProfile>> {
                let row: Option<$crate::directory::ProfileRow> = sqlx::query_as(
                    "SELECT siret, siren, profile, revision_id, updated_at FROM actor_profiles \
                     WHERE siret = $1",
                )
                .bind(siret)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::directory::profile_from_row).transpose()
            }

            async fn profiles(&self) -> $crate::Result<Vec<$crate::directory::StoredProfile>> {
                let rows: Vec<$crate::directory::ProfileRow> = sqlx::query_as(
                    "SELECT siret, siren, profile, revision_id, updated_at FROM actor_profiles \
                     ORDER BY siret",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::directory::profile_from_row)
                    .collect()
            }

            async fn profiles_since(
                &self,
                revision: i64,
            ) -> $crate::Result<Vec<$crate::directory::StoredProfile>> {
                let rows: Vec<$crate::directory::ProfileRow> = sqlx::query_as(
                    "SELECT siret, siren, profile, revision_id, updated_at FROM actor_profiles \
                     WHERE revision_id > $1 ORDER BY revision_id",
                )
                .bind(revision)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::directory::profile_from_row)
                    .collect()
            }

            async fn latest_profile_revision(&self) -> $crate::Result<Option<i64>> {
                let (latest,): (Option<i64>,) =
                    sqlx::query_as("SELECT MAX(revision_id) FROM actor_profiles")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(latest)
            }

            async fn save_profile(
                &self,
                siret: &str,
                siren: &str,
                profile: &essor_domain::actor::Profile,
                author: $crate::directory::Author,
                restores: Option<i64>,
            ) -> $crate::Result<$crate::directory::StoredProfile> {
                let document = $crate::directory::profile_document(profile)?;
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await?;
                let (revision,): (i64,) = sqlx::query_as(
                    "INSERT INTO actor_profile_revisions (siret, siren, profile, author_id, \
                     by_staff, restores_id, created_at, reviewed_at, reviewed_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(siret)
                .bind(siren)
                .bind(&document)
                .bind(author.account)
                .bind(author.staff)
                .bind(restores)
                .bind(now)
                .bind(author.staff.then_some(now))
                .bind(if author.staff { author.account } else { None })
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO actor_profiles (siret, siren, profile, revision_id, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (siret) DO UPDATE SET \
                     siren = excluded.siren, profile = excluded.profile, \
                     revision_id = excluded.revision_id, updated_at = excluded.updated_at",
                )
                .bind(siret)
                .bind(siren)
                .bind(&document)
                .bind(revision)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok($crate::directory::StoredProfile {
                    siret: siret.to_owned(),
                    siren: siren.to_owned(),
                    profile: profile.clone(),
                    revision,
                    updated_at: now,
                })
            }

            async fn profile_revisions(
                &self,
                siret: &str,
            ) -> $crate::Result<Vec<$crate::directory::ProfileRevision>> {
                let rows: Vec<$crate::directory::RevisionRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM actor_profile_revisions WHERE siret = $1 ORDER BY id DESC",
                    $crate::directory::REVISION_COLUMNS
                ))
                .bind(siret)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::directory::revision_from_row)
                    .collect()
            }

            async fn profile_revision(
                &self,
                id: i64,
            ) -> $crate::Result<Option<$crate::directory::ProfileRevision>> {
                let row: Option<$crate::directory::RevisionRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM actor_profile_revisions WHERE id = $1",
                    $crate::directory::REVISION_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::directory::revision_from_row).transpose()
            }

            async fn unreviewed_revisions(
                &self,
            ) -> $crate::Result<Vec<$crate::directory::ProfileRevision>> {
                let rows: Vec<$crate::directory::RevisionRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM actor_profile_revisions WHERE reviewed_at IS NULL \
                     ORDER BY id",
                    $crate::directory::REVISION_COLUMNS
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::directory::revision_from_row)
                    .collect()
            }

            async fn mark_reviewed(
                &self,
                id: i64,
                by: i64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<u64> {
                let done = sqlx::query(
                    "UPDATE actor_profile_revisions SET reviewed_at = $1, reviewed_by = $2 \
                     WHERE reviewed_at IS NULL AND id <= $3 AND siret = \
                     (SELECT siret FROM actor_profile_revisions WHERE id = $3)",
                )
                .bind(at)
                .bind(by)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }

            async fn create_claim(
                &self,
                siret: &str,
                siren: &str,
                account: i64,
                message: &str,
                status: $crate::directory::RequestStatus,
            ) -> $crate::Result<$crate::directory::Claim> {
                let now = chrono::Utc::now();
                let approved = status == $crate::directory::RequestStatus::Approved;
                let mut tx = self.pool.begin().await?;
                let row: $crate::directory::ClaimRow = sqlx::query_as(&format!(
                    "INSERT INTO actor_claims (siret, siren, account_id, message, status, \
                     created_at, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
                    $crate::directory::CLAIM_COLUMNS
                ))
                .bind(siret)
                .bind(siren)
                .bind(account)
                .bind(message)
                .bind(status.code())
                .bind(now)
                .bind(approved.then_some(now))
                .fetch_one(&mut *tx)
                .await?;
                if approved {
                    sqlx::query($crate::directory::GRANT_MEMBERSHIP)
                    .bind(account)
                    .bind(siren)
                    .bind(false)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                $crate::directory::claim_from_row(row)
            }

            async fn claim(&self, id: i64) -> $crate::Result<Option<$crate::directory::Claim>> {
                let row: Option<$crate::directory::ClaimRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM actor_claims WHERE id = $1",
                    $crate::directory::CLAIM_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::directory::claim_from_row).transpose()
            }

            async fn claims(
                &self,
                status: Option<$crate::directory::RequestStatus>,
            ) -> $crate::Result<Vec<$crate::directory::Claim>> {
                let rows: Vec<$crate::directory::ClaimRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM actor_claims WHERE $1 IS NULL OR status = $1 ORDER BY id",
                    $crate::directory::CLAIM_COLUMNS
                ))
                .bind(status.map($crate::directory::RequestStatus::code))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::directory::claim_from_row)
                    .collect()
            }

            async fn claims_of_account(
                &self,
                account: i64,
            ) -> $crate::Result<Vec<$crate::directory::Claim>> {
                let rows: Vec<$crate::directory::ClaimRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM actor_claims WHERE account_id = $1 ORDER BY id",
                    $crate::directory::CLAIM_COLUMNS
                ))
                .bind(account)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::directory::claim_from_row)
                    .collect()
            }

            async fn decide_claim(
                &self,
                id: i64,
                approve: bool,
                by: i64,
                reason: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::directory::Claim>> {
                let status = $crate::directory::RequestStatus::decided(approve);
                let mut tx = self.pool.begin().await?;
                let row: Option<$crate::directory::ClaimRow> = sqlx::query_as(&format!(
                    "UPDATE actor_claims SET status = $1, decided_at = $2, decided_by = $3, \
                     reason = $4 WHERE id = $5 AND status = 'pending' RETURNING {}",
                    $crate::directory::CLAIM_COLUMNS
                ))
                .bind(status.code())
                .bind(at)
                .bind(by)
                .bind(reason)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let claim = $crate::directory::claim_from_row(row)?;
                if approve {
                    sqlx::query($crate::directory::GRANT_MEMBERSHIP)
                    .bind(claim.account)
                    .bind(&claim.siren)
                    .bind(false)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(Some(claim))
            }

            async fn create_manual_actor(
                &self,
                actor: &$crate::directory::NewManualActor<'_>,
            ) -> $crate::Result<$crate::directory::ManualActor> {
                let now = chrono::Utc::now();
                let approved = actor.status == $crate::directory::RequestStatus::Approved;
                let row: $crate::directory::ManualActorRow = sqlx::query_as(&format!(
                    "INSERT INTO manual_actors (name, siret, siren, family, commune, address, \
                     postcode, message, status, created_by, created_at, decided_at, decided_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {}",
                    $crate::directory::MANUAL_ACTOR_COLUMNS
                ))
                .bind(actor.name)
                .bind(actor.siret)
                .bind(actor.siren)
                .bind(actor.family)
                .bind(actor.commune)
                .bind(actor.address)
                .bind(actor.postcode)
                .bind(actor.message)
                .bind(actor.status.code())
                .bind(actor.created_by)
                .bind(now)
                .bind(approved.then_some(now))
                .bind(if approved { actor.created_by } else { None })
                .fetch_one(&self.pool)
                .await?;
                $crate::directory::manual_actor_from_row(row)
            }

            async fn manual_actor(
                &self,
                id: i64,
            ) -> $crate::Result<Option<$crate::directory::ManualActor>> {
                let row: Option<$crate::directory::ManualActorRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM manual_actors WHERE id = $1",
                    $crate::directory::MANUAL_ACTOR_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::directory::manual_actor_from_row).transpose()
            }

            async fn manual_actors(
                &self,
                status: Option<$crate::directory::RequestStatus>,
            ) -> $crate::Result<Vec<$crate::directory::ManualActor>> {
                let rows: Vec<$crate::directory::ManualActorRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM manual_actors WHERE $1 IS NULL OR status = $1 ORDER BY id",
                    $crate::directory::MANUAL_ACTOR_COLUMNS
                ))
                .bind(status.map($crate::directory::RequestStatus::code))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::directory::manual_actor_from_row)
                    .collect()
            }

            async fn manual_actors_of_account(
                &self,
                account: i64,
            ) -> $crate::Result<Vec<$crate::directory::ManualActor>> {
                let rows: Vec<$crate::directory::ManualActorRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM manual_actors WHERE created_by = $1 ORDER BY id",
                    $crate::directory::MANUAL_ACTOR_COLUMNS
                ))
                .bind(account)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::directory::manual_actor_from_row)
                    .collect()
            }

            async fn decide_manual_actor(
                &self,
                id: i64,
                approve: bool,
                by: i64,
                reason: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::directory::ManualActor>> {
                let status = $crate::directory::RequestStatus::decided(approve);
                let row: Option<$crate::directory::ManualActorRow> = sqlx::query_as(&format!(
                    "UPDATE manual_actors SET status = $1, decided_at = $2, decided_by = $3, \
                     reason = $4 WHERE id = $5 AND status = 'pending' RETURNING {}",
                    $crate::directory::MANUAL_ACTOR_COLUMNS
                ))
                .bind(status.code())
                .bind(at)
                .bind(by)
                .bind(reason)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::directory::manual_actor_from_row).transpose()
            }

            async fn manual_actors_version(
                &self,
            ) -> $crate::Result<(Option<i64>, Option<chrono::DateTime<chrono::Utc>>)> {
                let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM manual_actors")
                    .fetch_one(&self.pool)
                    .await?;
                let decided: Option<(chrono::DateTime<chrono::Utc>,)> = sqlx::query_as(
                    "SELECT decided_at FROM manual_actors WHERE decided_at IS NOT NULL \
                     ORDER BY decided_at DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                Ok((id, decided.map(|(at,)| at)))
            }

            async fn save_media(
                &self,
                siret: &str,
                content_type: &str,
                width: i64,
                height: i64,
                bytes: &[u8],
            ) -> $crate::Result<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO actor_media (siret, content_type, width, height, bytes, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(siret)
                .bind(content_type)
                .bind(width)
                .bind(height)
                .bind(bytes)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn media(&self, id: i64) -> $crate::Result<Option<$crate::directory::Media>> {
                type Row = (
                    i64,
                    String,
                    String,
                    i64,
                    i64,
                    Vec<u8>,
                    chrono::DateTime<chrono::Utc>,
                );
                let row: Option<Row> = sqlx::query_as(
                    "SELECT id, siret, content_type, width, height, bytes, created_at \
                     FROM actor_media WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(
                    |(id, siret, content_type, width, height, bytes, created_at)| {
                        $crate::directory::Media {
                            id,
                            siret,
                            content_type,
                            width,
                            height,
                            bytes,
                            created_at,
                        }
                    },
                ))
            }

            async fn delete_media(&self, id: i64) -> $crate::Result<bool> {
                let done = sqlx::query("DELETE FROM actor_media WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use impl_directory;
