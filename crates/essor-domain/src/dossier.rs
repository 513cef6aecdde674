//! The life of a funding dossier: its states and the transitions between them, with their
//! guards. Pure rules: the store records a transition the way [`transition`] allows it, and the
//! audit trail, the dossier's thread and the applicant's mail follow from [`Transition`].
//!
//! ```text
//! draft ─submit─▶ submitted ─instruct─▶ under instruction ⇄ correction requested
//!                                        │      ▲    (request correction / send corrections)
//!                        request opinions│      │resume
//!                                        ▼      │
//!                                   opinions requested
//!                                        │ put on agenda (also from under instruction)
//!                                        ▼
//!                                    on agenda ─decide─▶ accepted | refused
//! any submitted state ─close─▶ closed without follow-up
//! accepted | refused | closed ─reopen─▶ under instruction (decision documents withdrawn)
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::funding::Budget;
use crate::money::Money;
use crate::plan::{Key, Plan};

/// Where a dossier stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    Submitted,
    UnderInstruction,
    CorrectionRequested,
    OpinionsRequested,
    OnAgenda,
    Accepted,
    Refused,
    Closed,
}

impl State {
    pub const ALL: [Self; 9] = [
        Self::Draft,
        Self::Submitted,
        Self::UnderInstruction,
        Self::CorrectionRequested,
        Self::OpinionsRequested,
        Self::OnAgenda,
        Self::Accepted,
        Self::Refused,
        Self::Closed,
    ];

    /// The stable code stored and used in URLs and exports.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "brouillon",
            Self::Submitted => "depose",
            Self::UnderInstruction => "en_instruction",
            Self::CorrectionRequested => "correction_demandee",
            Self::OpinionsRequested => "avis_demandes",
            Self::OnAgenda => "inscrit_en_comite",
            Self::Accepted => "accepte",
            Self::Refused => "refuse",
            Self::Closed => "classe_sans_suite",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// In French, for pages and mails.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "brouillon",
            Self::Submitted => "déposé",
            Self::UnderInstruction => "en instruction",
            Self::CorrectionRequested => "correction demandée",
            Self::OpinionsRequested => "avis demandés",
            Self::OnAgenda => "inscrit à l’ordre du jour du comité",
            Self::Accepted => "accepté",
            Self::Refused => "refusé",
            Self::Closed => "classé sans suite",
        }
    }

    /// A decision was taken: accepted, refused or closed.
    #[must_use]
    pub fn is_decided(self) -> bool {
        matches!(self, Self::Accepted | Self::Refused | Self::Closed)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a dossier goes back to its applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionReason {
    Incorrect,
    Incomplete,
    Outdated,
}

impl CorrectionReason {
    pub const ALL: [Self; 3] = [Self::Incorrect, Self::Incomplete, Self::Outdated];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Incorrect => "incorrect",
            Self::Incomplete => "incomplet",
            Self::Outdated => "perime",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Incorrect => "informations incorrectes",
            Self::Incomplete => "dossier incomplet",
            Self::Outdated => "pièces ou informations périmées",
        }
    }
}

/// Who asks for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// A member of the applying structure.
    Applicant,
    /// A *chargée de mission* (or an administrator), who also records the committee's decisions.
    Staff,
}

/// What is asked of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The applicant submits the draft; `missing` lists what the checklist still lacks.
    Submit { missing: Vec<String> },
    /// Staff start instructing a submitted dossier.
    Instruct,
    /// Staff send the dossier back to its applicant.
    RequestCorrection {
        reason: CorrectionReason,
        message: String,
    },
    /// The applicant sends the corrections asked for; `missing` as for [`Action::Submit`].
    SendCorrections { missing: Vec<String> },
    /// Staff ask partners for their opinions.
    RequestOpinions,
    /// Staff take the dossier back from the opinions stage.
    Resume,
    /// Staff put the dossier on a committee's agenda; `unchecked` lists the mandatory
    /// instruction checks not yet filled.
    PutOnAgenda { unchecked: Vec<String> },
    /// The committee's decision, recorded by staff: an amount granted, or a refusal.
    Decide {
        decision: Decision,
        unchecked: Vec<String>,
    },
    /// Staff close the dossier without follow-up.
    Close { motivation: String },
    /// Staff take a decided dossier back to instruction; its decision documents are withdrawn.
    Reopen,
}

/// What the committee decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Accept { amount: Money, asked: Money },
    Refuse { motivation: String },
}

impl Action {
    /// The stable code of the action, for the audit trail (`dossier.<code>`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Submit { .. } => "submitted",
            Self::Instruct => "instruction_started",
            Self::RequestCorrection { .. } => "correction_requested",
            Self::SendCorrections { .. } => "corrections_sent",
            Self::RequestOpinions => "opinions_requested",
            Self::Resume => "instruction_resumed",
            Self::PutOnAgenda { .. } => "put_on_agenda",
            Self::Decide { .. } => "decided",
            Self::Close { .. } => "closed",
            Self::Reopen => "reopened",
        }
    }

    /// Who may ask for it.
    #[must_use]
    pub fn party(&self) -> Party {
        match self {
            Self::Submit { .. } | Self::SendCorrections { .. } => Party::Applicant,
            _ => Party::Staff,
        }
    }

    /// The states it leaves from.
    #[must_use]
    pub fn from_states(&self) -> &'static [State] {
        use State::{
            Accepted, Closed, CorrectionRequested, Draft, OnAgenda, OpinionsRequested, Refused,
            Submitted, UnderInstruction,
        };
        match self {
            Self::Submit { .. } => &[Draft],
            Self::Instruct => &[Submitted],
            Self::RequestCorrection { .. } | Self::RequestOpinions => &[UnderInstruction],
            Self::SendCorrections { .. } => &[CorrectionRequested],
            Self::Resume => &[OpinionsRequested],
            Self::PutOnAgenda { .. } => &[UnderInstruction, OpinionsRequested],
            Self::Decide { .. } => &[OnAgenda],
            Self::Close { .. } => &[
                Submitted,
                UnderInstruction,
                CorrectionRequested,
                OpinionsRequested,
                OnAgenda,
            ],
            Self::Reopen => &[Accepted, Refused, Closed],
        }
    }
}

/// A transition allowed: where the dossier goes, and what to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: State,
    pub to: State,
    /// For the dossier's thread and the applicant's mail, in French.
    pub message: String,
    /// The decision documents (agreement, notification) are withdrawn.
    pub withdraws_decision: bool,
}

/// Why a transition is refused, in French: the message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Un dossier {state} ne peut pas être {wanted}.")]
    NotFrom { state: State, wanted: &'static str },
    #[error("Seul le porteur du projet peut {0}.")]
    ApplicantOnly(&'static str),
    #[error("Seule l’équipe de la collectivité peut {0}.")]
    StaffOnly(&'static str),
    #[error("Le dossier n’est pas complet : {}.", .0.join(" ; "))]
    Incomplete(Vec<String>),
    #[error("Contrôles d’instruction obligatoires non renseignés : {}.", .0.join(" ; "))]
    Unchecked(Vec<String>),
    #[error("Motivation : un refus ou un classement sans suite doit être motivé.")]
    NoMotivation,
    #[error("Message : dites au porteur ce qu’il doit corriger.")]
    NoCorrectionMessage,
    #[error("Montant accordé : il doit être positif.")]
    NoAmount,
    #[error("Montant accordé : {granted} dépasse le montant demandé ({asked}).")]
    AboveAsked { granted: Money, asked: Money },
}

/// The verb of an action, for messages (« Un dossier déposé ne peut pas être {verb} »).
fn past_participle(action: &Action) -> &'static str {
    match action {
        Action::Submit { .. } => "déposé",
        Action::Instruct => "mis en instruction",
        Action::RequestCorrection { .. } => "renvoyé au porteur pour correction",
        Action::SendCorrections { .. } => "corrigé",
        Action::RequestOpinions => "soumis pour avis",
        Action::Resume => "repris en instruction",
        Action::PutOnAgenda { .. } => "inscrit à l’ordre du jour d’un comité",
        Action::Decide { .. } => "décidé",
        Action::Close { .. } => "classé sans suite",
        Action::Reopen => "rouvert",
    }
}

/// What a party does, for messages (« Seul le porteur du projet peut {infinitive} »).
fn infinitive(action: &Action) -> &'static str {
    match action {
        Action::Submit { .. } => "déposer le dossier",
        Action::SendCorrections { .. } => "envoyer les corrections",
        Action::Instruct => "mettre le dossier en instruction",
        Action::RequestCorrection { .. } => "demander une correction",
        Action::RequestOpinions => "demander des avis",
        Action::Resume => "reprendre l’instruction",
        Action::PutOnAgenda { .. } => "inscrire le dossier à l’ordre du jour",
        Action::Decide { .. } => "enregistrer la décision",
        Action::Close { .. } => "classer le dossier sans suite",
        Action::Reopen => "rouvrir le dossier",
    }
}

/// Checks an action against the dossier's state, the party and the guards; on success, the
/// transition to record.
pub fn transition(
    state: State,
    action: &Action,
    party: Party,
) -> Result<Transition, TransitionError> {
    if party != action.party() {
        return Err(match action.party() {
            Party::Applicant => TransitionError::ApplicantOnly(infinitive(action)),
            Party::Staff => TransitionError::StaffOnly(infinitive(action)),
        });
    }
    if !action.from_states().contains(&state) {
        return Err(TransitionError::NotFrom {
            state,
            wanted: past_participle(action),
        });
    }
    let (to, message) = match action {
        Action::Submit { missing } | Action::SendCorrections { missing } => {
            if !missing.is_empty() {
                return Err(TransitionError::Incomplete(missing.clone()));
            }
            if matches!(action, Action::Submit { .. }) {
                (State::Submitted, "Le dossier a été déposé.".to_owned())
            } else {
                (
                    State::UnderInstruction,
                    "Les corrections demandées ont été envoyées ; l’instruction reprend."
                        .to_owned(),
                )
            }
        }
        Action::Instruct => (
            State::UnderInstruction,
            "Le dossier est en cours d’instruction.".to_owned(),
        ),
        Action::RequestCorrection { reason, message } => {
            if message.trim().is_empty() {
                return Err(TransitionError::NoCorrectionMessage);
            }
            (
                State::CorrectionRequested,
                format!(
                    "Une correction est demandée ({}) : {}",
                    reason.label(),
                    message.trim()
                ),
            )
        }
        Action::RequestOpinions => (
            State::OpinionsRequested,
            "Des avis ont été demandés aux partenaires.".to_owned(),
        ),
        Action::Resume => (State::UnderInstruction, "L’instruction reprend.".to_owned()),
        Action::PutOnAgenda { unchecked } => {
            if !unchecked.is_empty() {
                return Err(TransitionError::Unchecked(unchecked.clone()));
            }
            (
                State::OnAgenda,
                "Le dossier est inscrit à l’ordre du jour du comité.".to_owned(),
            )
        }
        Action::Decide {
            decision,
            unchecked,
        } => {
            if !unchecked.is_empty() {
                return Err(TransitionError::Unchecked(unchecked.clone()));
            }
            decided(decision)?
        }
        Action::Close { motivation } => {
            if motivation.trim().is_empty() {
                return Err(TransitionError::NoMotivation);
            }
            (
                State::Closed,
                format!("Le dossier est classé sans suite : {}", motivation.trim()),
            )
        }
        Action::Reopen => (
            State::UnderInstruction,
            "La décision est retirée ; le dossier revient en instruction.".to_owned(),
        ),
    };
    Ok(Transition {
        from: state,
        to,
        message,
        withdraws_decision: matches!(action, Action::Reopen),
    })
}

/// The state and message of a committee's decision, once its guards pass.
fn decided(decision: &Decision) -> Result<(State, String), TransitionError> {
    match decision {
        Decision::Accept { amount, asked } => {
            if *amount <= Money::ZERO {
                return Err(TransitionError::NoAmount);
            }
            if amount > asked {
                return Err(TransitionError::AboveAsked {
                    granted: *amount,
                    asked: *asked,
                });
            }
            Ok((
                State::Accepted,
                format!("Le comité a accordé une subvention de {amount}."),
            ))
        }
        Decision::Refuse { motivation } => {
            if motivation.trim().is_empty() {
                return Err(TransitionError::NoMotivation);
            }
            Ok((
                State::Refused,
                format!("Le comité a refusé le dossier : {}", motivation.trim()),
            ))
        }
    }
}

/// The checks a *chargée de mission* must have made before a dossier goes to the committee and
/// is decided: key and label.
pub const INSTRUCTION_CHECKS: [(&str, &str); 4] = [
    (
        "eligibilite",
        "Structure éligible : de l’ESS, active sur le territoire",
    ),
    ("plan", "Projet conforme aux axes et aux thèmes du plan"),
    ("budget", "Budget vérifié : équilibré, dépenses éligibles"),
    ("cofinancements", "Cofinancements vérifiés"),
];

/// The labels of the instruction checks not in `done` (keys), in the order of
/// [`INSTRUCTION_CHECKS`].
#[must_use]
pub fn unchecked(done: &[String]) -> Vec<String> {
    INSTRUCTION_CHECKS
        .iter()
        .filter(|(key, _)| !done.iter().any(|d| d == key))
        .map(|(_, label)| (*label).to_owned())
        .collect()
}

/// A district tag of the policy of the city (*politique de la ville*) and urban renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum District {
    /// *Quartier prioritaire de la politique de la ville*.
    Qpv,
    /// *Nouveau programme national de renouvellement urbain*.
    Npnru,
}

impl District {
    pub const ALL: [Self; 2] = [Self::Qpv, Self::Npnru];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Qpv => "qpv",
            Self::Npnru => "npnru",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Qpv => "quartier prioritaire de la politique de la ville (QPV)",
            Self::Npnru => "quartier en renouvellement urbain (NPNRU)",
        }
    }
}

/// What an applicant writes: the project, its place in the plan, its jobs and its money.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Application {
    pub title: String,
    /// A few sentences, shown to the committee.
    pub summary: String,
    pub description: String,
    /// INSEE codes of the communes the project serves.
    pub communes: Vec<String>,
    pub districts: Vec<District>,
    pub axis: Option<Key>,
    pub themes: Vec<Key>,
    pub jobs_created: u32,
    pub jobs_consolidated: u32,
    pub budget: Budget,
    /// The subsidy asked of the authority.
    pub asked: Money,
    /// Other funders asked or granted (Région, Banque des Territoires, communes…).
    pub cofinancers: Vec<String>,
}

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest summary, in characters.
pub const MAX_SUMMARY: usize = 1_000;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 20_000;

impl Application {
    /// What the application still lacks before it can be submitted, each item naming its
    /// field in French; empty when complete. `in_territory` tells whether a commune code is
    /// one of the territory's.
    #[must_use]
    pub fn checklist(&self, plan: &Plan, in_territory: impl Fn(&str) -> bool) -> Vec<String> {
        let mut missing = Vec::new();
        let length = |text: &str| text.trim().chars().count();
        for (field, text, max) in [
            ("Titre", &self.title, MAX_TITLE),
            ("Résumé", &self.summary, MAX_SUMMARY),
            ("Description", &self.description, MAX_DESCRIPTION),
        ] {
            match length(text) {
                0 => missing.push(format!("{field} : à remplir.")),
                n if n > max => missing.push(format!("{field} : {max} caractères au plus ({n}).")),
                _ => {}
            }
        }
        if self.communes.is_empty() {
            missing.push("Communes : indiquez au moins une commune où le projet agit.".to_owned());
        }
        for code in self.communes.iter().filter(|c| !in_territory(c)) {
            missing.push(format!(
                "Communes : {code} n’est pas une commune du territoire."
            ));
        }
        match &self.axis {
            None => missing.push("Axe du plan : choisissez l’axe du projet.".to_owned()),
            Some(axis) if plan.axis(axis).is_none() => {
                missing.push(format!(
                    "Axe du plan : « {axis} » n’est pas un axe du plan."
                ));
            }
            Some(_) => {}
        }
        for theme in self.themes.iter().filter(|t| plan.theme(t).is_none()) {
            missing.push(format!("Thèmes : « {theme} » n’est pas un thème du plan."));
        }
        missing.extend(self.budget.problems(self.asked));
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One action of each kind, with its guards satisfied.
    fn actions() -> Vec<Action> {
        vec![
            Action::Submit {
                missing: Vec::new(),
            },
            Action::Instruct,
            Action::RequestCorrection {
                reason: CorrectionReason::Incomplete,
                message: "Joindre le budget prévisionnel signé.".into(),
            },
            Action::SendCorrections {
                missing: Vec::new(),
            },
            Action::RequestOpinions,
            Action::Resume,
            Action::PutOnAgenda {
                unchecked: Vec::new(),
            },
            Action::Decide {
                decision: Decision::Accept {
                    amount: Money::from_euros(8_000),
                    asked: Money::from_euros(10_000),
                },
                unchecked: Vec::new(),
            },
            Action::Decide {
                decision: Decision::Refuse {
                    motivation: "Projet hors du champ du plan.".into(),
                },
                unchecked: Vec::new(),
            },
            Action::Close {
                motivation: "Le porteur a renoncé au projet.".into(),
            },
            Action::Reopen,
        ]
    }

    /// The whole table of allowed transitions: (from, action code, to).
    const ALLOWED: [(State, &str, State); 18] = [
        (State::Draft, "submitted", State::Submitted),
        (
            State::Submitted,
            "instruction_started",
            State::UnderInstruction,
        ),
        (
            State::UnderInstruction,
            "correction_requested",
            State::CorrectionRequested,
        ),
        (
            State::CorrectionRequested,
            "corrections_sent",
            State::UnderInstruction,
        ),
        (
            State::UnderInstruction,
            "opinions_requested",
            State::OpinionsRequested,
        ),
        (
            State::OpinionsRequested,
            "instruction_resumed",
            State::UnderInstruction,
        ),
        (State::UnderInstruction, "put_on_agenda", State::OnAgenda),
        (State::OpinionsRequested, "put_on_agenda", State::OnAgenda),
        (State::OnAgenda, "decided", State::Accepted),
        (State::OnAgenda, "decided", State::Refused),
        (State::Submitted, "closed", State::Closed),
        (State::UnderInstruction, "closed", State::Closed),
        (State::CorrectionRequested, "closed", State::Closed),
        (State::OpinionsRequested, "closed", State::Closed),
        (State::OnAgenda, "closed", State::Closed),
        (State::Accepted, "reopened", State::UnderInstruction),
        (State::Refused, "reopened", State::UnderInstruction),
        (State::Closed, "reopened", State::UnderInstruction),
    ];

    #[test]
    fn every_transition_is_allowed_or_refused_as_the_table_says() {
        let mut allowed = 0;
        for state in State::ALL {
            for action in actions() {
                let result = transition(state, &action, action.party());
                let expected: Vec<State> = ALLOWED
                    .iter()
                    .filter(|(from, code, _)| *from == state && *code == action.code())
                    .map(|(_, _, to)| *to)
                    .collect();
                match result {
                    Ok(t) => {
                        assert!(
                            expected.contains(&t.to),
                            "{state:?} --{}--> {:?} is not in the table",
                            action.code(),
                            t.to
                        );
                        assert_eq!(t.from, state);
                        allowed += 1;
                    }
                    Err(e) => {
                        assert!(
                            expected.is_empty(),
                            "{state:?} --{}--> refused: {e}",
                            action.code()
                        );
                        assert!(matches!(e, TransitionError::NotFrom { .. }), "{e}");
                        assert!(e.to_string().starts_with("Un dossier "), "{e}");
                    }
                }
            }
        }
        assert_eq!(allowed, ALLOWED.len());
    }

    #[test]
    fn each_party_does_only_its_own_steps() {
        for action in actions() {
            for state in action.from_states() {
                let other = match action.party() {
                    Party::Applicant => Party::Staff,
                    Party::Staff => Party::Applicant,
                };
                let refused = transition(*state, &action, other).unwrap_err();
                assert!(
                    matches!(
                        refused,
                        TransitionError::ApplicantOnly(_) | TransitionError::StaffOnly(_)
                    ),
                    "{refused}"
                );
            }
        }
        let refused = transition(
            State::UnderInstruction,
            &Action::Close {
                motivation: "x".into(),
            },
            Party::Applicant,
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Seule l’équipe de la collectivité peut classer le dossier sans suite."
        );
    }

    #[test]
    fn guards_refuse_an_incomplete_or_unmotivated_step() {
        let missing = vec!["budget équilibré".to_owned(), "statuts".to_owned()];
        assert_eq!(
            transition(
                State::Draft,
                &Action::Submit {
                    missing: missing.clone()
                },
                Party::Applicant
            ),
            Err(TransitionError::Incomplete(missing.clone()))
        );
        assert_eq!(
            TransitionError::Incomplete(missing.clone()).to_string(),
            "Le dossier n’est pas complet : budget équilibré ; statuts."
        );
        assert_eq!(
            transition(
                State::CorrectionRequested,
                &Action::SendCorrections { missing },
                Party::Applicant
            )
            .unwrap_err()
            .to_string(),
            "Le dossier n’est pas complet : budget équilibré ; statuts."
        );
        let unchecked = vec!["éligibilité de la structure".to_owned()];
        for action in [
            Action::PutOnAgenda {
                unchecked: unchecked.clone(),
            },
            Action::Decide {
                decision: Decision::Accept {
                    amount: Money::from_euros(1),
                    asked: Money::from_euros(1),
                },
                unchecked: unchecked.clone(),
            },
        ] {
            let state = action.from_states()[0];
            assert_eq!(
                transition(state, &action, Party::Staff),
                Err(TransitionError::Unchecked(unchecked.clone()))
            );
        }
        for motivation in ["", "   "] {
            assert_eq!(
                transition(
                    State::OnAgenda,
                    &Action::Decide {
                        decision: Decision::Refuse {
                            motivation: motivation.into()
                        },
                        unchecked: Vec::new()
                    },
                    Party::Staff
                ),
                Err(TransitionError::NoMotivation)
            );
            assert_eq!(
                transition(
                    State::Submitted,
                    &Action::Close {
                        motivation: motivation.into()
                    },
                    Party::Staff
                ),
                Err(TransitionError::NoMotivation)
            );
        }
        assert_eq!(
            transition(
                State::UnderInstruction,
                &Action::RequestCorrection {
                    reason: CorrectionReason::Outdated,
                    message: " ".into()
                },
                Party::Staff
            ),
            Err(TransitionError::NoCorrectionMessage)
        );
    }

    #[test]
    fn the_amount_granted_is_positive_and_at_most_the_amount_asked() {
        let decide = |amount: i64, asked: i64| {
            transition(
                State::OnAgenda,
                &Action::Decide {
                    decision: Decision::Accept {
                        amount: Money::from_cents(amount),
                        asked: Money::from_cents(asked),
                    },
                    unchecked: Vec::new(),
                },
                Party::Staff,
            )
        };
        assert_eq!(decide(0, 100), Err(TransitionError::NoAmount));
        assert_eq!(decide(-1, 100), Err(TransitionError::NoAmount));
        let above = decide(1_000_001, 1_000_000).unwrap_err();
        assert_eq!(
            above.to_string(),
            "Montant accordé : 10 000,01 € dépasse le montant demandé (10 000,00 €)."
        );
        let granted = decide(1_234_567, 2_000_000).unwrap();
        assert_eq!(granted.to, State::Accepted);
        assert_eq!(
            granted.message,
            "Le comité a accordé une subvention de 12 345,67 €."
        );
    }

    #[test]
    fn reopening_withdraws_the_decision_and_messages_say_why() {
        let reopened = transition(State::Accepted, &Action::Reopen, Party::Staff).unwrap();
        assert!(reopened.withdraws_decision);
        assert_eq!(reopened.to, State::UnderInstruction);
        let correction = transition(
            State::UnderInstruction,
            &Action::RequestCorrection {
                reason: CorrectionReason::Incorrect,
                message: "Le SIRET ne correspond pas à la structure.".into(),
            },
            Party::Staff,
        )
        .unwrap();
        assert!(!correction.withdraws_decision);
        assert_eq!(
            correction.message,
            "Une correction est demandée (informations incorrectes) : Le SIRET ne correspond \
             pas à la structure."
        );
        let refused = transition(
            State::Submitted,
            &Action::Submit {
                missing: Vec::new(),
            },
            Party::Applicant,
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Un dossier déposé ne peut pas être déposé."
        );
    }

    #[test]
    fn codes_round_trip() {
        for state in State::ALL {
            assert_eq!(State::parse(state.code()), Some(state));
        }
        for reason in CorrectionReason::ALL {
            assert_eq!(CorrectionReason::parse(reason.code()), Some(reason));
        }
        assert_eq!(State::parse("inconnu"), None);
        assert!(State::Closed.is_decided() && !State::OnAgenda.is_decided());
    }

    fn complete(plan: &Plan) -> Application {
        use crate::funding::BudgetLine;
        let line = |label: &str, euros| BudgetLine {
            label: label.into(),
            amount: Money::from_euros(euros),
        };
        Application {
            title: "Ressourcerie de la Villeneuve".into(),
            summary: "Une recyclerie de quartier.".into(),
            description: "Collecte, tri, réparation et vente d’objets.".into(),
            communes: vec!["38185".into()],
            districts: vec![District::Qpv],
            axis: Some(plan.axes[0].key.clone()),
            themes: vec![plan.themes[0].key.clone()],
            jobs_created: 2,
            jobs_consolidated: 1,
            budget: crate::funding::Budget {
                expenses: vec![line("Salaires", 40_000)],
                resources: vec![line("Métropole", 10_000), line("Région", 30_000)],
            },
            asked: Money::from_euros(10_000),
            cofinancers: vec!["Région Auvergne-Rhône-Alpes".into()],
        }
    }

    #[test]
    fn a_complete_application_passes_its_checklist() {
        let plan = crate::plan::default_plan();
        let application = complete(&plan);
        assert_eq!(
            application.checklist(&plan, |c| c == "38185"),
            Vec::<String>::new()
        );
        let json = serde_json::to_string(&application).unwrap();
        assert_eq!(
            serde_json::from_str::<Application>(&json).unwrap(),
            application
        );
    }

    #[test]
    fn the_checklist_names_every_missing_or_wrong_field() {
        let plan = crate::plan::default_plan();
        let mut application = complete(&plan);
        application.title = "  ".into();
        application.summary = "x".repeat(MAX_SUMMARY + 1);
        application.communes = vec!["69123".into()];
        application.axis = Some(Key::parse("axe-inconnu").unwrap());
        application.asked = Money::from_euros(50_000);
        let missing = application.checklist(&plan, |c| c == "38185");
        assert!(
            missing.contains(&"Titre : à remplir.".to_owned()),
            "{missing:?}"
        );
        assert!(missing.contains(&"Résumé : 1000 caractères au plus (1001).".to_owned()));
        assert!(
            missing.contains(&"Communes : 69123 n’est pas une commune du territoire.".to_owned())
        );
        assert!(
            missing.contains(&"Axe du plan : « axe-inconnu » n’est pas un axe du plan.".to_owned())
        );
        assert!(
            missing
                .iter()
                .any(|m| m.starts_with("Montant demandé : 50 000,00 € dépasse"))
        );
        let empty = Application::default().checklist(&plan, |_| true);
        assert!(empty.contains(&"Axe du plan : choisissez l’axe du projet.".to_owned()));
        assert!(
            empty.contains(
                &"Communes : indiquez au moins une commune où le projet agit.".to_owned()
            )
        );
    }

    #[test]
    fn the_instruction_checks_not_done_are_named() {
        assert_eq!(unchecked(&[]).len(), INSTRUCTION_CHECKS.len());
        let done: Vec<String> = INSTRUCTION_CHECKS
            .iter()
            .map(|(k, _)| (*k).to_owned())
            .collect();
        assert!(unchecked(&done).is_empty());
        assert_eq!(
            unchecked(&["eligibilite".into(), "plan".into(), "inconnu".into()]),
            vec![
                "Budget vérifié : équilibré, dépenses éligibles".to_owned(),
                "Cofinancements vérifiés".to_owned()
            ]
        );
    }
}
