//! The audit trail: who did what, to which object, when, with the values before and after;
//! each entry chained to the previous one by a SHA-256 hash, so that a change, a deletion or a
//! reordering is detected by anyone who re-reads the chain.
//!
//! An [`AuditEvent`] is what happened; the store gives it its sequence number and the previous
//! entry's hash ([`AuditEvent::seal`]), which makes an [`AuditEntry`], stored as is and never
//! updated. [`verify`] (or a [`ChainVerifier`] fed page by page) re-computes the chain and names
//! the first entry that breaks it.
//!
//! # Canonical form and hash (re-verifiable with any tool)
//!
//! The canonical form of an entry is the concatenation of eleven
//! [netstrings](https://cr.yp.to/proto/netstrings.txt), `<length in bytes, decimal>:<bytes>,`,
//! of UTF-8 text, in this order:
//!
//! 1. the format tag `essor-audit-1`;
//! 2. the sequence number, in decimal (`1`, `2`, …);
//! 3. the time, UTC, as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six fractional digits);
//! 4. the actor's id (`account:42`, `system:cli`);
//! 5. the actor's label, as it was at the time;
//! 6. the action code (`user.role_changed`);
//! 7. the object's kind, or empty when the event concerns no object;
//! 8. the object's id, or empty;
//! 9. the value before, as the stored JSON text (`before_json`, byte for byte), or empty;
//! 10. the value after (`after_json`), or empty;
//! 11. the IP address, or empty.
//!
//! An absent value and an empty one cannot be confused: kinds, ids, JSON texts and addresses are
//! never empty when present.
//!
//! `hash = lowercase_hex(SHA-256(prev_hash || canonical))`, where `prev_hash` is the previous
//! entry's hash as its 64 ASCII hexadecimal characters, and, for entry 1, [`GENESIS_HASH`]
//! (64 zeros). Sequence numbers start at 1 and follow each other without gaps.
//!
//! For example, in Python, over rows read in `seq` order from `audit_events`:
//!
//! ```text
//! ns = lambda s: f"{len(s.encode())}:".encode() + s.encode() + b","
//! prev = "0" * 64
//! for row in rows:
//!     fields = ["essor-audit-1", str(row.seq), row.created_at_as_above, row.actor_id,
//!               row.actor_label, row.action, row.object_kind or "", row.object_id or "",
//!               row.before_json or "", row.after_json or "", row.ip or ""]
//!     digest = hashlib.sha256(prev.encode() + b"".join(map(ns, fields))).hexdigest()
//!     assert row.prev_hash == prev and row.hash == digest
//!     prev = digest
//! ```
//!
//! # Personal data
//!
//! The trail cannot be rewritten, so it holds only what an audit needs: the actor's id and a
//! label that names no one (the web layer writes « compte n° 42 », never a name or an e-mail
//! address, so deleting an account erases nothing from the trail), the object's kind and id,
//! and the values that changed; never a secret (password, token, code), which callers must
//! leave out of `before` and `after`. The IP address is kept only for authentication events
//! (`auth.*`), where it serves security ([`AuditEvent::from_ip`] ignores it otherwise).

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::net::IpAddr;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The first field of every canonical form; a new format would get a new tag.
pub const FORMAT_TAG: &str = "essor-audit-1";

/// The `prev_hash` of entry 1.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Why an event could not be built. In French: the message may reach an operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error(
        "le code d’action « {0} » n’est pas valide (attendu : des mots en minuscules séparés par des points, comme auth.login)"
    )]
    Action(String),
    #[error(
        "le type d’objet « {0} » n’est pas valide (attendu : un mot en minuscules, comme dossier)"
    )]
    ObjectKind(String),
    #[error("l’identifiant d’un objet du journal d’audit ne peut pas être vide")]
    EmptyObjectId,
}

/// A process acting on its own, not on behalf of a signed-in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemActor {
    /// An operator's command (`essor user role …`).
    Cli,
    /// A data import (`essor import sirene`, the demonstration stock).
    Import,
    /// The web server on its own (start-up, scheduled clean-ups).
    Server,
}

impl SystemActor {
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Import => "import",
            Self::Server => "server",
        }
    }

    /// The French label users read.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Cli => "Ligne de commande",
            Self::Import => "Import de données",
            Self::Server => "Serveur essor",
        }
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A signed-in person; `label` is kept as it was at the time, and should name no one
    /// (« compte n° 42 »: see the module's note on personal data).
    Account {
        id: i64,
        label: String,
    },
    System(SystemActor),
}

impl Actor {
    #[must_use]
    pub fn account(id: i64, label: impl Into<String>) -> Self {
        Self::Account {
            id,
            label: label.into(),
        }
    }

    /// The stored id: `account:42` or `system:cli`.
    #[must_use]
    pub fn id(&self) -> String {
        match self {
            Self::Account { id, .. } => account_actor_id(*id),
            Self::System(system) => format!("system:{}", system.code()),
        }
    }

    #[must_use]
    pub fn label(&self) -> &str {
        match self {
            Self::Account { label, .. } => label,
            Self::System(system) => system.label(),
        }
    }
}

/// The stored actor id of an account, for filters (`account:42`).
#[must_use]
pub fn account_actor_id(id: i64) -> String {
    format!("account:{id}")
}

/// What was done: a stable dotted code (`dossier.decided`). The known ones have constants and
/// French labels; a feature may add its own through [`Action::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Action(Cow<'static, str>);

/// The known actions and their French labels, for the staff's browsing page.
pub const KNOWN_ACTIONS: &[(&str, &str)] = &[
    ("auth.login", "Connexion"),
    ("auth.login_failed", "Échec de connexion"),
    ("auth.logout", "Déconnexion"),
    ("auth.password_changed", "Mot de passe modifié"),
    ("auth.password_reset", "Mot de passe réinitialisé"),
    ("auth.second_factor", "Second facteur validé"),
    ("auth.second_factor_failed", "Échec du second facteur"),
    ("auth.second_factor_enabled", "Second facteur activé"),
    ("auth.recovery_code_used", "Code de secours utilisé"),
    ("auth.identity_linked", "Identité externe associée"),
    ("account.created", "Compte créé (inscription)"),
    ("account.email_confirmed", "Adresse électronique confirmée"),
    ("account.data_exported", "Données personnelles téléchargées"),
    ("account.deleted", "Compte supprimé"),
    ("user.created", "Compte créé par un administrateur"),
    ("user.role_changed", "Rôle modifié"),
    ("membership.changed", "Rattachement à une structure modifié"),
    ("actor.created", "Acteur ajouté à l’annuaire"),
    ("actor.claimed", "Fiche d’acteur revendiquée"),
    ("actor.claim_decided", "Revendication de fiche décidée"),
    ("actor.profile_updated", "Fiche d’acteur modifiée"),
    ("actor.profile_reverted", "Fiche d’acteur rétablie"),
    ("actor.revision_reviewed", "Modification de fiche relue"),
    ("actor.image_added", "Image de fiche ajoutée"),
    ("actor.image_removed", "Image de fiche retirée"),
    ("actor.proposed", "Acteur proposé pour l’annuaire"),
    ("actor.proposal_decided", "Proposition d’acteur décidée"),
    ("dossier.created", "Dossier commencé"),
    ("dossier.submitted", "Dossier déposé"),
    ("dossier.instruction_started", "Dossier mis en instruction"),
    (
        "dossier.correction_requested",
        "Correction demandée au porteur",
    ),
    (
        "dossier.corrections_sent",
        "Corrections envoyées par le porteur",
    ),
    ("dossier.opinions_requested", "Avis demandés sur un dossier"),
    ("dossier.instruction_resumed", "Instruction reprise"),
    ("dossier.put_on_agenda", "Dossier inscrit à l’ordre du jour"),
    ("dossier.closed", "Dossier classé sans suite"),
    ("dossier.reopened", "Dossier rouvert (décision retirée)"),
    (
        "dossier.envelope_overridden",
        "Enveloppe dépassée sur décision d’un administrateur",
    ),
    ("dossier.decided", "Décision sur un dossier"),
    ("dossier.amount_changed", "Montant d’un dossier modifié"),
    ("dossier.opinion_invited", "Avis demandé à un partenaire"),
    ("dossier.opinion_reminded", "Demande d’avis relancée"),
    ("dossier.opinion_given", "Avis donné par un partenaire"),
    ("dossier.assigned", "Dossier assigné"),
    (
        "dossier.labels_changed",
        "Étiquettes d’un dossier modifiées",
    ),
    ("payment.recorded", "Paiement enregistré"),
    (
        "dossier.axis_envelope_overridden",
        "Enveloppe d’un axe dépassée sur décision d’un administrateur",
    ),
    ("report.due_dates_set", "Échéances des rapports fixées"),
    ("report.submitted", "Rapport transmis par la structure"),
    ("report.accepted", "Rapport reçu et accepté"),
    ("report.returned", "Rapport renvoyé à la structure"),
    ("evaluation.recorded", "Évaluation d’un projet enregistrée"),
    ("committee.session_created", "Séance de comité prévue"),
    ("committee.session_updated", "Séance de comité modifiée"),
    ("committee.member_added", "Membre de comité ajouté"),
    ("committee.member_removed", "Membre de comité retiré"),
    (
        "committee.attendance_recorded",
        "Présences à une séance de comité",
    ),
    (
        "committee.agenda_added",
        "Dossier inscrit à l’ordre du jour d’une séance",
    ),
    (
        "committee.agenda_removed",
        "Dossier retiré de l’ordre du jour d’une séance",
    ),
    (
        "committee.proposal_recorded",
        "Proposition de l’instruction au comité",
    ),
    (
        "committee.decision_recorded",
        "Décision d’un comité enregistrée",
    ),
    (
        "committee.minutes_saved",
        "Procès-verbal de séance enregistré",
    ),
    ("committee.session_held", "Séance de comité déclarée tenue"),
    ("payment.schedule_set", "Échéancier de versement fixé"),
    ("document.added", "Pièce ajoutée à un dossier"),
    ("document.removed", "Pièce retirée d’un dossier"),
    ("agreement.template_saved", "Modèle de convention modifié"),
    ("agreement.generated", "Convention générée"),
    ("agreement.signed", "Convention signée déposée"),
    ("plan.saved", "Plan enregistré"),
    ("snapshot.imported", "Import SIRENE"),
    ("api_token.created", "Jeton d’API créé"),
    ("api_token.revoked", "Jeton d’API révoqué"),
    (
        "webhook.created",
        "Point de réception de webhooks enregistré",
    ),
    (
        "webhook.changed",
        "Point de réception de webhooks activé ou désactivé",
    ),
    ("dossier.demo_loaded", "Dossiers de démonstration chargés"),
];

impl Action {
    pub const AUTH_LOGIN: Self = Self::known("auth.login");
    pub const AUTH_LOGIN_FAILED: Self = Self::known("auth.login_failed");
    pub const AUTH_LOGOUT: Self = Self::known("auth.logout");
    pub const AUTH_PASSWORD_CHANGED: Self = Self::known("auth.password_changed");
    pub const AUTH_PASSWORD_RESET: Self = Self::known("auth.password_reset");
    pub const AUTH_SECOND_FACTOR: Self = Self::known("auth.second_factor");
    pub const AUTH_SECOND_FACTOR_FAILED: Self = Self::known("auth.second_factor_failed");
    pub const AUTH_SECOND_FACTOR_ENABLED: Self = Self::known("auth.second_factor_enabled");
    pub const AUTH_RECOVERY_CODE_USED: Self = Self::known("auth.recovery_code_used");
    pub const AUTH_IDENTITY_LINKED: Self = Self::known("auth.identity_linked");
    pub const ACCOUNT_CREATED: Self = Self::known("account.created");
    pub const ACCOUNT_EMAIL_CONFIRMED: Self = Self::known("account.email_confirmed");
    pub const ACCOUNT_DATA_EXPORTED: Self = Self::known("account.data_exported");
    pub const ACCOUNT_DELETED: Self = Self::known("account.deleted");
    pub const USER_CREATED: Self = Self::known("user.created");
    pub const USER_ROLE_CHANGED: Self = Self::known("user.role_changed");
    pub const MEMBERSHIP_CHANGED: Self = Self::known("membership.changed");
    pub const ACTOR_CREATED: Self = Self::known("actor.created");
    pub const ACTOR_CLAIMED: Self = Self::known("actor.claimed");
    pub const ACTOR_CLAIM_DECIDED: Self = Self::known("actor.claim_decided");
    pub const ACTOR_PROFILE_UPDATED: Self = Self::known("actor.profile_updated");
    pub const ACTOR_PROFILE_REVERTED: Self = Self::known("actor.profile_reverted");
    pub const ACTOR_REVISION_REVIEWED: Self = Self::known("actor.revision_reviewed");
    pub const ACTOR_IMAGE_ADDED: Self = Self::known("actor.image_added");
    pub const ACTOR_IMAGE_REMOVED: Self = Self::known("actor.image_removed");
    pub const ACTOR_PROPOSED: Self = Self::known("actor.proposed");
    pub const ACTOR_PROPOSAL_DECIDED: Self = Self::known("actor.proposal_decided");
    pub const DOSSIER_CREATED: Self = Self::known("dossier.created");
    pub const DOSSIER_SUBMITTED: Self = Self::known("dossier.submitted");
    pub const DOSSIER_INSTRUCTION_STARTED: Self = Self::known("dossier.instruction_started");
    pub const DOSSIER_CORRECTION_REQUESTED: Self = Self::known("dossier.correction_requested");
    pub const DOSSIER_CORRECTIONS_SENT: Self = Self::known("dossier.corrections_sent");
    pub const DOSSIER_OPINIONS_REQUESTED: Self = Self::known("dossier.opinions_requested");
    pub const DOSSIER_INSTRUCTION_RESUMED: Self = Self::known("dossier.instruction_resumed");
    pub const DOSSIER_PUT_ON_AGENDA: Self = Self::known("dossier.put_on_agenda");
    pub const DOSSIER_CLOSED: Self = Self::known("dossier.closed");
    pub const DOSSIER_REOPENED: Self = Self::known("dossier.reopened");
    pub const DOSSIER_ENVELOPE_OVERRIDDEN: Self = Self::known("dossier.envelope_overridden");
    pub const DOSSIER_DECIDED: Self = Self::known("dossier.decided");
    pub const DOSSIER_AMOUNT_CHANGED: Self = Self::known("dossier.amount_changed");
    pub const PAYMENT_RECORDED: Self = Self::known("payment.recorded");
    pub const DOSSIER_AXIS_ENVELOPE_OVERRIDDEN: Self =
        Self::known("dossier.axis_envelope_overridden");
    pub const REPORT_DUE_DATES_SET: Self = Self::known("report.due_dates_set");
    pub const REPORT_SUBMITTED: Self = Self::known("report.submitted");
    pub const REPORT_ACCEPTED: Self = Self::known("report.accepted");
    pub const REPORT_RETURNED: Self = Self::known("report.returned");
    pub const EVALUATION_RECORDED: Self = Self::known("evaluation.recorded");
    pub const COMMITTEE_SESSION_CREATED: Self = Self::known("committee.session_created");
    pub const COMMITTEE_SESSION_UPDATED: Self = Self::known("committee.session_updated");
    pub const COMMITTEE_MEMBER_ADDED: Self = Self::known("committee.member_added");
    pub const COMMITTEE_MEMBER_REMOVED: Self = Self::known("committee.member_removed");
    pub const COMMITTEE_ATTENDANCE_RECORDED: Self = Self::known("committee.attendance_recorded");
    pub const COMMITTEE_AGENDA_ADDED: Self = Self::known("committee.agenda_added");
    pub const COMMITTEE_AGENDA_REMOVED: Self = Self::known("committee.agenda_removed");
    pub const COMMITTEE_PROPOSAL_RECORDED: Self = Self::known("committee.proposal_recorded");
    pub const COMMITTEE_DECISION_RECORDED: Self = Self::known("committee.decision_recorded");
    pub const COMMITTEE_MINUTES_SAVED: Self = Self::known("committee.minutes_saved");
    pub const COMMITTEE_SESSION_HELD: Self = Self::known("committee.session_held");
    pub const PAYMENT_SCHEDULE_SET: Self = Self::known("payment.schedule_set");
    pub const DOCUMENT_ADDED: Self = Self::known("document.added");
    pub const DOCUMENT_REMOVED: Self = Self::known("document.removed");
    pub const AGREEMENT_TEMPLATE_SAVED: Self = Self::known("agreement.template_saved");
    pub const AGREEMENT_GENERATED: Self = Self::known("agreement.generated");
    pub const AGREEMENT_SIGNED: Self = Self::known("agreement.signed");
    pub const PLAN_SAVED: Self = Self::known("plan.saved");
    pub const SNAPSHOT_IMPORTED: Self = Self::known("snapshot.imported");
    pub const API_TOKEN_CREATED: Self = Self::known("api_token.created");
    pub const API_TOKEN_REVOKED: Self = Self::known("api_token.revoked");
    pub const WEBHOOK_CREATED: Self = Self::known("webhook.created");
    pub const WEBHOOK_CHANGED: Self = Self::known("webhook.changed");
    pub const DOSSIER_DEMO_LOADED: Self = Self::known("dossier.demo_loaded");
    pub const DOSSIER_OPINION_INVITED: Self = Self::known("dossier.opinion_invited");
    pub const DOSSIER_OPINION_REMINDED: Self = Self::known("dossier.opinion_reminded");
    pub const DOSSIER_OPINION_GIVEN: Self = Self::known("dossier.opinion_given");
    pub const DOSSIER_ASSIGNED: Self = Self::known("dossier.assigned");
    pub const DOSSIER_LABELS_CHANGED: Self = Self::known("dossier.labels_changed");

    const fn known(code: &'static str) -> Self {
        Self(Cow::Borrowed(code))
    }

    /// Two or more words of `a-z`, `0-9` and `_`, each starting with a letter, joined by dots.
    pub fn parse(code: &str) -> Result<Self, AuditError> {
        let words: Vec<&str> = code.split('.').collect();
        if words.len() >= 2 && words.iter().all(|w| is_code_word(w)) {
            Ok(Self(Cow::Owned(code.to_owned())))
        } else {
            Err(AuditError::Action(code.to_owned()))
        }
    }

    #[must_use]
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The French label, or the code itself for an action this build does not know.
    #[must_use]
    pub fn label(&self) -> &str {
        action_label(&self.0).unwrap_or(&self.0)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The French label of a known action code.
#[must_use]
pub fn action_label(code: &str) -> Option<&'static str> {
    KNOWN_ACTIONS
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, label)| *label)
}

fn is_code_word(word: &str) -> bool {
    let mut bytes = word.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The object an event concerns: its kind (`dossier`, `account`) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    kind: String,
    id: String,
}

impl ObjectRef {
    pub fn new(kind: &str, id: impl Into<String>) -> Result<Self, AuditError> {
        if !is_code_word(kind) {
            return Err(AuditError::ObjectKind(kind.to_owned()));
        }
        let id = id.into();
        if id.is_empty() {
            return Err(AuditError::EmptyObjectId);
        }
        Ok(Self {
            kind: kind.to_owned(),
            id,
        })
    }

    #[must_use]
    pub fn kind(&self) -> &str {
        &self.kind
    }

    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Something that happened and must be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    actor: Actor,
    action: Action,
    object: Option<ObjectRef>,
    before: Option<String>,
    after: Option<String>,
    at: DateTime<Utc>,
    ip: Option<IpAddr>,
}

impl AuditEvent {
    /// An event at `at`, kept to the microsecond (what both databases store).
    #[must_use]
    pub fn new(actor: Actor, action: Action, at: DateTime<Utc>) -> Self {
        Self {
            actor,
            action,
            object: None,
            before: None,
            after: None,
            at: at.trunc_subsecs(6),
            ip: None,
        }
    }

    /// An event now.
    #[must_use]
    pub fn now(actor: Actor, action: Action) -> Self {
        Self::new(actor, action, Utc::now())
    }

    /// The object the event concerns.
    #[must_use]
    pub fn on(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    /// The value before the change (leave secrets out).
    #[must_use]
    pub fn before(mut self, value: &serde_json::Value) -> Self {
        self.before = Some(value.to_string());
        self
    }

    /// The value after the change (leave secrets out).
    #[must_use]
    pub fn after(mut self, value: &serde_json::Value) -> Self {
        self.after = Some(value.to_string());
        self
    }

    /// The address the request came from, kept for authentication events (`auth.*`) only:
    /// elsewhere the trail does not need it, so it is not recorded.
    #[must_use]
    pub fn from_ip(mut self, ip: IpAddr) -> Self {
        self.ip = self.action.code().starts_with("auth.").then_some(ip);
        self
    }

    #[must_use]
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    #[must_use]
    pub fn action(&self) -> &Action {
        &self.action
    }

    #[must_use]
    pub fn object(&self) -> Option<&ObjectRef> {
        self.object.as_ref()
    }

    #[must_use]
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    #[must_use]
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The entry this event becomes at position `seq`, after the entry whose hash is
    /// `prev_hash` ([`GENESIS_HASH`] for `seq` 1).
    #[must_use]
    pub fn seal(&self, seq: i64, prev_hash: &str) -> AuditEntry {
        let mut entry = AuditEntry {
            seq,
            created_at: self.at,
            actor_id: self.actor.id(),
            actor_label: self.actor.label().to_owned(),
            action: self.action.code().to_owned(),
            object_kind: self.object.as_ref().map(|o| o.kind.clone()),
            object_id: self.object.as_ref().map(|o| o.id.clone()),
            before_json: self.before.clone(),
            after_json: self.after.clone(),
            ip: self.ip.map(|ip| ip.to_string()),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        entry
    }
}

/// An entry as stored: plain text fields, exactly what the hash covers, so that an entry
/// written by another version (an action this build does not know) still verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_label: String,
    pub action: String,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// The value before, as JSON text.
    pub before_json: Option<String>,
    /// The value after, as JSON text.
    pub after_json: Option<String>,
    pub ip: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The canonical form the hash covers (see the module's documentation).
    #[must_use]
    pub fn canonical(&self) -> Vec<u8> {
        let seq = self.seq.to_string();
        let at = canonical_time(self.created_at);
        let fields: [&str; 11] = [
            FORMAT_TAG,
            &seq,
            &at,
            &self.actor_id,
            &self.actor_label,
            &self.action,
            self.object_kind.as_deref().unwrap_or_default(),
            self.object_id.as_deref().unwrap_or_default(),
            self.before_json.as_deref().unwrap_or_default(),
            self.after_json.as_deref().unwrap_or_default(),
            self.ip.as_deref().unwrap_or_default(),
        ];
        let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 8).sum());
        for field in fields {
            out.extend_from_slice(field.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(field.as_bytes());
            out.push(b',');
        }
        out
    }

    /// `SHA-256(prev_hash || canonical)`, in lowercase hexadecimal: what `hash` must be.
    #[must_use]
    pub fn computed_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(self.canonical());
        hex::encode(hasher.finalize())
    }

    /// The French label of the action, or its code when this build does not know it.
    #[must_use]
    pub fn action_label(&self) -> &str {
        action_label(&self.action).unwrap_or(&self.action)
    }
}

/// The time as the canonical form writes it: `2026-11-28T09:30:00.000000Z`.
#[must_use]
pub fn canonical_time(at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(27);
    let _ = write!(out, "{}", at.format("%Y-%m-%dT%H:%M:%S%.6fZ"));
    out
}

/// Why the chain is broken at an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokenReason {
    /// The entry is missing: the next one kept is `found` (an entry was deleted).
    Missing { found: i64 },
    /// The entry comes after `previous` although its number is not greater (entries
    /// reordered or duplicated).
    OutOfOrder { previous: i64 },
    /// Entry 1 does not start from [`GENESIS_HASH`].
    WrongGenesis,
    /// The entry does not name the previous entry's hash (an earlier entry was rewritten
    /// with a new hash, or entries were moved).
    PreviousHashMismatch,
    /// The entry's content no longer matches its hash (the entry was changed).
    HashMismatch,
}

impl fmt::Display for BrokenReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { found } => write!(
                f,
                "entrée manquante (supprimée ?), l’entrée suivante conservée est la n° {found}"
            ),
            Self::OutOfOrder { previous } => write!(
                f,
                "numéro hors séquence après l’entrée n° {previous} (entrées déplacées ou dupliquées)"
            ),
            Self::WrongGenesis => f.write_str(
                "la première entrée ne part pas de l’empreinte initiale (début du journal remplacé)",
            ),
            Self::PreviousHashMismatch => f.write_str(
                "l’empreinte de l’entrée précédente ne correspond pas (entrée précédente réécrite ou entrées déplacées)",
            ),
            Self::HashMismatch => {
                f.write_str("le contenu ne correspond plus à son empreinte (entrée modifiée)")
            }
        }
    }
}

/// The first entry at which the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entrée n° {seq} : {reason}")]
pub struct Broken {
    pub seq: i64,
    pub reason: BrokenReason,
}

/// A chain found intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub count: u64,
    /// The hash of the last entry ([`GENESIS_HASH`] for an empty trail): noting it elsewhere
    /// lets a later check notice that entries were removed from the end.
    pub last_hash: String,
}

/// Checks entries one at a time, in `seq` order, so a long trail can be read page by page.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
    count: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    #[must_use]
    pub fn new() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            count: 0,
        }
    }

    /// Checks the next entry; after an error, the verifier should not be fed further.
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), Broken> {
        let broken = |seq, reason| Err(Broken { seq, reason });
        if entry.seq < self.next_seq {
            return broken(
                entry.seq,
                BrokenReason::OutOfOrder {
                    previous: self.next_seq - 1,
                },
            );
        }
        if entry.seq > self.next_seq {
            return broken(self.next_seq, BrokenReason::Missing { found: entry.seq });
        }
        if entry.prev_hash != self.prev_hash {
            let reason = if entry.seq == 1 {
                BrokenReason::WrongGenesis
            } else {
                BrokenReason::PreviousHashMismatch
            };
            return broken(entry.seq, reason);
        }
        if entry.computed_hash() != entry.hash {
            return broken(entry.seq, BrokenReason::HashMismatch);
        }
        self.next_seq += 1;
        self.prev_hash.clone_from(&entry.hash);
        self.count += 1;
        Ok(())
    }

    /// The number the next entry must have.
    #[must_use]
    pub fn next_seq(&self) -> i64 {
        self.next_seq
    }

    #[must_use]
    pub fn finish(self) -> Verified {
        Verified {
            count: self.count,
            last_hash: self.prev_hash,
        }
    }
}

/// Verifies a whole chain, given in `seq` order; names the first broken entry.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a AuditEntry>) -> Result<Verified, Broken> {
    let mut verifier = ChainVerifier::new();
    for entry in entries {
        verifier.check(entry)?;
    }
    Ok(verifier.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 9, 30, second).unwrap()
            + chrono::Duration::microseconds(123_456)
    }

    fn role_change() -> AuditEvent {
        AuditEvent::new(
            Actor::account(7, "Camille Martin"),
            Action::USER_ROLE_CHANGED,
            at(0),
        )
        .on(ObjectRef::new("account", "42").unwrap())
        .before(&json!({"roles": ["service_referent"]}))
        .after(&json!({"roles": ["charge_de_mission", "service_referent"]}))
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let event = AuditEvent::new(
                    Actor::System(SystemActor::Cli),
                    Action::PAYMENT_RECORDED,
                    at(u32::try_from(seq).unwrap()),
                )
                .on(ObjectRef::new("payment", seq.to_string()).unwrap())
                .after(&json!({"amount_cents": seq * 100}));
                let entry = event.seal(seq, &prev);
                prev.clone_from(&entry.hash);
                entry
            })
            .collect()
    }

    #[test]
    fn the_canonical_form_is_a_fixed_sequence_of_netstrings() {
        let entry = role_change().seal(1, GENESIS_HASH);
        let canonical = String::from_utf8(entry.canonical()).unwrap();
        assert_eq!(
            canonical,
            "13:essor-audit-1,1:1,27:2026-11-28T09:30:00.123456Z,9:account:7,\
             14:Camille Martin,17:user.role_changed,7:account,2:42,\
             30:{\"roles\":[\"service_referent\"]},\
             50:{\"roles\":[\"charge_de_mission\",\"service_referent\"]},0:,"
        );
    }

    #[test]
    fn lengths_count_bytes_not_characters() {
        let event = AuditEvent::new(Actor::account(1, "Zoé"), Action::AUTH_LOGIN, at(0));
        let canonical = String::from_utf8(event.seal(1, GENESIS_HASH).canonical()).unwrap();
        assert!(canonical.contains(",4:Zoé,"), "{canonical}");
    }

    /// Computed independently with Python's hashlib from the canonical form above; a change of
    /// format must change [`FORMAT_TAG`] and this value, knowingly.
    #[test]
    fn a_fixed_entry_has_a_known_hash() {
        let entry = role_change().seal(1, GENESIS_HASH);
        assert_eq!(
            entry.hash,
            "04bbf1be932c7d5092288841cb3d809cc0bdd04d7980d801df73872954c81254"
        );
        let second = AuditEvent::new(
            Actor::System(SystemActor::Import),
            Action::SNAPSHOT_IMPORTED,
            at(1),
        )
        .seal(2, &entry.hash);
        assert_eq!(
            second.hash,
            "6b7299ae5b9e7013d935b23e49ee674f4554d4e8afcc3e825b0168b736cb0e18"
        );
    }

    #[test]
    fn an_intact_chain_verifies_and_reports_its_last_hash() {
        let entries = chain(5);
        let verified = verify(&entries).unwrap();
        assert_eq!(verified.count, 5);
        assert_eq!(verified.last_hash, entries[4].hash);
        let empty = verify(&[]).unwrap();
        assert_eq!((empty.count, empty.last_hash.as_str()), (0, GENESIS_HASH));
    }

    #[test]
    fn a_changed_value_names_its_entry() {
        let mut entries = chain(5);
        entries[2].after_json = Some(r#"{"amount_cents":99999}"#.to_owned());
        let broken = verify(&entries).unwrap_err();
        assert_eq!(
            broken,
            Broken {
                seq: 3,
                reason: BrokenReason::HashMismatch
            }
        );
        let mut entries = chain(5);
        entries[3].actor_label = "Quelqu’un d’autre".to_owned();
        assert_eq!(verify(&entries).unwrap_err().seq, 4);
    }

    #[test]
    fn a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link() {
        let mut entries = chain(5);
        entries[1].after_json = Some(r#"{"amount_cents":1}"#.to_owned());
        entries[1].hash = entries[1].computed_hash();
        assert_eq!(
            verify(&entries).unwrap_err(),
            Broken {
                seq: 3,
                reason: BrokenReason::PreviousHashMismatch
            }
        );
    }

    #[test]
    fn a_deleted_entry_is_named_as_missing() {
        let mut entries = chain(5);
        entries.remove(1);
        assert_eq!(
            verify(&entries).unwrap_err(),
            Broken {
                seq: 2,
                reason: BrokenReason::Missing { found: 3 }
            }
        );
        let mut entries = chain(3);
        entries.remove(0);
        assert_eq!(
            verify(&entries).unwrap_err(),
            Broken {
                seq: 1,
                reason: BrokenReason::Missing { found: 2 }
            }
        );
    }

    #[test]
    fn reordered_entries_are_detected() {
        let mut entries = chain(5);
        entries.swap(1, 2);
        assert_eq!(
            verify(&entries).unwrap_err(),
            Broken {
                seq: 2,
                reason: BrokenReason::Missing { found: 3 }
            }
        );
        // Renumbered so that the sequence looks right, the links no longer match.
        let mut entries = chain(5);
        entries.swap(1, 2);
        entries[1].seq = 2;
        entries[2].seq = 3;
        assert_eq!(
            verify(&entries).unwrap_err(),
            Broken {
                seq: 2,
                reason: BrokenReason::PreviousHashMismatch
            }
        );
        let mut entries = chain(3);
        entries.push(entries[1].clone());
        assert_eq!(
            verify(&entries).unwrap_err(),
            Broken {
                seq: 2,
                reason: BrokenReason::OutOfOrder { previous: 3 }
            }
        );
    }

    #[test]
    fn a_chain_that_does_not_start_from_genesis_is_refused() {
        let event = role_change();
        let entry = event.seal(1, &"1".repeat(64));
        assert_eq!(
            verify([&entry]).unwrap_err(),
            Broken {
                seq: 1,
                reason: BrokenReason::WrongGenesis
            }
        );
    }

    #[test]
    fn the_ip_is_kept_for_authentication_events_only() {
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let login = AuditEvent::now(Actor::account(1, "A"), Action::AUTH_LOGIN_FAILED).from_ip(ip);
        assert_eq!(login.ip(), Some(ip));
        assert_eq!(
            login.seal(1, GENESIS_HASH).ip.as_deref(),
            Some("203.0.113.9")
        );
        let decision = AuditEvent::now(Actor::account(1, "A"), Action::DOSSIER_DECIDED).from_ip(ip);
        assert_eq!(decision.ip(), None);
    }

    #[test]
    fn times_are_kept_to_the_microsecond() {
        let precise = at(0) + chrono::Duration::nanoseconds(789);
        let event = AuditEvent::new(
            Actor::System(SystemActor::Server),
            Action::AUTH_LOGOUT,
            precise,
        );
        assert_eq!(event.at(), at(0));
        assert_eq!(canonical_time(event.at()), "2026-11-28T09:30:00.123456Z");
    }

    #[test]
    fn action_codes_are_dotted_lowercase_words() {
        assert_eq!(Action::parse("grant.paid").unwrap().code(), "grant.paid");
        assert_eq!(
            Action::parse("desk.request_2.routed").unwrap().label(),
            "desk.request_2.routed"
        );
        for bad in [
            "",
            "login",
            "Auth.login",
            "auth..login",
            "auth.",
            ".x",
            "a.1b",
            "a.b-c",
        ] {
            assert!(Action::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ObjectRef::new("Dossier", "1").is_err());
        assert_eq!(
            ObjectRef::new("dossier", "").unwrap_err(),
            AuditError::EmptyObjectId
        );
    }

    #[test]
    fn every_known_action_has_a_constant_a_valid_code_and_a_french_label() {
        let constants = [
            Action::AUTH_LOGIN,
            Action::AUTH_LOGIN_FAILED,
            Action::AUTH_LOGOUT,
            Action::AUTH_PASSWORD_CHANGED,
            Action::AUTH_PASSWORD_RESET,
            Action::AUTH_SECOND_FACTOR,
            Action::AUTH_SECOND_FACTOR_FAILED,
            Action::AUTH_SECOND_FACTOR_ENABLED,
            Action::AUTH_RECOVERY_CODE_USED,
            Action::AUTH_IDENTITY_LINKED,
            Action::ACCOUNT_CREATED,
            Action::ACCOUNT_EMAIL_CONFIRMED,
            Action::ACCOUNT_DATA_EXPORTED,
            Action::ACCOUNT_DELETED,
            Action::USER_CREATED,
            Action::USER_ROLE_CHANGED,
            Action::MEMBERSHIP_CHANGED,
            Action::ACTOR_CREATED,
            Action::ACTOR_CLAIMED,
            Action::ACTOR_CLAIM_DECIDED,
            Action::ACTOR_PROFILE_UPDATED,
            Action::ACTOR_PROFILE_REVERTED,
            Action::ACTOR_REVISION_REVIEWED,
            Action::ACTOR_IMAGE_ADDED,
            Action::ACTOR_IMAGE_REMOVED,
            Action::ACTOR_PROPOSED,
            Action::ACTOR_PROPOSAL_DECIDED,
            Action::DOSSIER_CREATED,
            Action::DOSSIER_SUBMITTED,
            Action::DOSSIER_INSTRUCTION_STARTED,
            Action::DOSSIER_CORRECTION_REQUESTED,
            Action::DOSSIER_CORRECTIONS_SENT,
            Action::DOSSIER_OPINIONS_REQUESTED,
            Action::DOSSIER_INSTRUCTION_RESUMED,
            Action::DOSSIER_PUT_ON_AGENDA,
            Action::DOSSIER_CLOSED,
            Action::DOSSIER_REOPENED,
            Action::DOSSIER_ENVELOPE_OVERRIDDEN,
            Action::DOSSIER_DECIDED,
            Action::DOSSIER_AMOUNT_CHANGED,
            Action::DOSSIER_OPINION_INVITED,
            Action::DOSSIER_OPINION_REMINDED,
            Action::DOSSIER_OPINION_GIVEN,
            Action::DOSSIER_ASSIGNED,
            Action::DOSSIER_LABELS_CHANGED,
            Action::PAYMENT_RECORDED,
            Action::DOSSIER_AXIS_ENVELOPE_OVERRIDDEN,
            Action::REPORT_DUE_DATES_SET,
            Action::REPORT_SUBMITTED,
            Action::REPORT_ACCEPTED,
            Action::REPORT_RETURNED,
            Action::EVALUATION_RECORDED,
            Action::COMMITTEE_SESSION_CREATED,
            Action::COMMITTEE_SESSION_UPDATED,
            Action::COMMITTEE_MEMBER_ADDED,
            Action::COMMITTEE_MEMBER_REMOVED,
            Action::COMMITTEE_ATTENDANCE_RECORDED,
            Action::COMMITTEE_AGENDA_ADDED,
            Action::COMMITTEE_AGENDA_REMOVED,
            Action::COMMITTEE_PROPOSAL_RECORDED,
            Action::COMMITTEE_DECISION_RECORDED,
            Action::COMMITTEE_MINUTES_SAVED,
            Action::COMMITTEE_SESSION_HELD,
            Action::PAYMENT_SCHEDULE_SET,
            Action::DOCUMENT_ADDED,
            Action::DOCUMENT_REMOVED,
            Action::AGREEMENT_TEMPLATE_SAVED,
            Action::AGREEMENT_GENERATED,
            Action::AGREEMENT_SIGNED,
            Action::PLAN_SAVED,
            Action::SNAPSHOT_IMPORTED,
            Action::API_TOKEN_CREATED,
            Action::API_TOKEN_REVOKED,
            Action::WEBHOOK_CREATED,
            Action::WEBHOOK_CHANGED,
            Action::DOSSIER_DEMO_LOADED,
        ];
        assert_eq!(constants.len(), KNOWN_ACTIONS.len());
        for (action, (code, label)) in constants.iter().zip(KNOWN_ACTIONS) {
            assert_eq!(action.code(), *code);
            assert_eq!(Action::parse(code).unwrap(), *action);
            assert_eq!(action.label(), *label);
        }
        assert_eq!(Action::USER_ROLE_CHANGED.label(), "Rôle modifié");
    }

    #[test]
    fn actors_are_stored_by_a_stable_id_and_the_label_of_the_time() {
        let person = Actor::account(42, "Camille Martin");
        assert_eq!(person.id(), "account:42");
        assert_eq!(person.id(), account_actor_id(42));
        assert_eq!(person.label(), "Camille Martin");
        let cli = Actor::System(SystemActor::Cli);
        assert_eq!(
            (cli.id().as_str(), cli.label()),
            ("system:cli", "Ligne de commande")
        );
    }

    #[test]
    fn broken_entries_read_in_french() {
        let broken = Broken {
            seq: 12,
            reason: BrokenReason::Missing { found: 14 },
        };
        assert_eq!(
            broken.to_string(),
            "entrée n° 12 : entrée manquante (supprimée ?), l’entrée suivante conservée est la n° 14"
        );
    }
}
