//! The plan's committees at work: their members, their sessions (planned, then held), the
//! agenda of dossiers a session decides, each decision and the minutes. Pure rules: what a
//! form may hold, what a decision means for the dossier's state machine
//! ([`crate::dossier::Decision`]), and the draft of the minutes.
//!
//! A session is *planned* until staff mark it *held*; from then on its attendance, agenda,
//! decisions and minutes are read-only. An agenda item is decided once: accepted (an amount
//! and conditions), refused (a motivation) or postponed (the dossier stays ready for a later
//! session).

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::actor::FieldError;
use crate::dates::{format_date, format_date_long, parse_date};
use crate::dossier::Decision;
use crate::money::Money;
use crate::plan::{Committee, Plan};

/// Longest place, member name or quality, in characters.
pub const MAX_SHORT_TEXT: usize = 200;
/// Longest proposal, conditions or motivation, in characters.
pub const MAX_TEXT: usize = 5_000;
/// Longest minutes, in characters.
pub const MAX_MINUTES: usize = 50_000;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Prepared: its agenda, attendance, decisions and minutes can still change.
    Planned,
    /// Held: everything it recorded is read-only.
    Held,
}

impl SessionStatus {
    pub const ALL: [Self; 2] = [Self::Planned, Self::Held];

    /// The stable code stored.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Planned => "prevue",
            Self::Held => "tenue",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Planned => "prévue",
            Self::Held => "tenue",
        }
    }
}

/// What a member does in the committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Chair,
    Member,
    /// Invited, without a vote.
    Guest,
}

impl MemberRole {
    pub const ALL: [Self; 3] = [Self::Chair, Self::Member, Self::Guest];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Chair => "presidence",
            Self::Member => "membre",
            Self::Guest => "invite",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Chair => "présidence",
            Self::Member => "membre",
            Self::Guest => "invité·e (voix consultative)",
        }
    }
}

/// What the committee decided on an agenda item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    Refused,
    /// Left for a later session: the dossier stays on the agenda of the committee.
    Postponed,
}

impl Outcome {
    pub const ALL: [Self; 3] = [Self::Accepted, Self::Refused, Self::Postponed];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "accepte",
            Self::Refused => "refuse",
            Self::Postponed => "ajourne",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Accepted => "accord",
            Self::Refused => "refus",
            Self::Postponed => "ajourné à une séance ultérieure",
        }
    }
}

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A short text that must be given: trimmed, at most [`MAX_SHORT_TEXT`] characters.
fn short_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    label: &str,
    raw: &str,
    required: bool,
) -> String {
    let text = raw.trim();
    let length = text.chars().count();
    if required && length == 0 {
        errors.push(error(field, format!("{label} : à remplir.")));
    } else if length > MAX_SHORT_TEXT {
        errors.push(error(
            field,
            format!("{label} : {MAX_SHORT_TEXT} caractères au plus ({length})."),
        ));
    }
    text.to_owned()
}

/// A member as a form gives it, checked. Personal data is kept to what the committee's file
/// needs: a name and a quality (no address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFields {
    pub committee: String,
    pub name: String,
    /// The quality or the organisation (« Vice-présidente de la Métropole », « France Active »).
    pub quality: String,
    pub role: MemberRole,
}

impl MemberFields {
    /// Checks a member's fields; each error names its field (`comite`, `nom`, `qualite`,
    /// `role`).
    pub fn parse(
        plan: &Plan,
        committee: &str,
        name: &str,
        quality: &str,
        role: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let committee = committee_of(plan, committee, &mut errors);
        let name = short_text(&mut errors, "nom", "Nom", name, true);
        let quality = short_text(
            &mut errors,
            "qualite",
            "Qualité ou organisation",
            quality,
            true,
        );
        let role = MemberRole::parse(role);
        if role.is_none() {
            errors.push(error("role", "Rôle : choisissez-le dans la liste."));
        }
        match (committee, role) {
            (Some(committee), Some(role)) if errors.is_empty() => Ok(Self {
                committee: committee.key.to_string(),
                name,
                quality,
                role,
            }),
            _ => Err(errors),
        }
    }
}

fn committee_of<'p>(
    plan: &'p Plan,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'p Committee> {
    let found = plan
        .committees
        .iter()
        .find(|c| c.key.as_str() == key.trim());
    if found.is_none() {
        errors.push(error(
            "comite",
            "Comité : choisissez l’un des comités du plan.",
        ));
    }
    found
}

/// A session as a form gives it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFields {
    pub committee: String,
    pub date: NaiveDate,
    pub place: String,
}

impl SessionFields {
    /// Checks a session's fields; each error names its field (`comite`, `date`, `lieu`).
    pub fn parse(
        plan: &Plan,
        committee: &str,
        date: &str,
        place: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let committee = committee_of(plan, committee, &mut errors);
        let date = match parse_date(date) {
            Ok(date) => Some(date),
            Err(e) => {
                errors.push(error("date", format!("Date : {e}.")));
                None
            }
        };
        let place = short_text(&mut errors, "lieu", "Lieu", place, true);
        match (committee, date) {
            (Some(committee), Some(date)) if errors.is_empty() => Ok(Self {
                committee: committee.key.to_string(),
                date,
                place,
            }),
            _ => Err(errors),
        }
    }
}

/// A long text: trimmed, at most `max` characters.
pub fn long_text(field: &str, label: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    let length = text.chars().count();
    if length > max {
        return Err(error(
            field,
            format!("{label} : {max} caractères au plus ({length})."),
        ));
    }
    Ok(text.to_owned())
}

/// The decision on one agenda item, as staff record it in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemDecision {
    /// A subsidy of `amount`, with its conditions (may be empty).
    Accept {
        amount: Money,
        conditions: String,
    },
    Refuse {
        motivation: String,
    },
    /// Left for a later session; why (may be empty).
    Postpone {
        reason: String,
    },
}

impl ItemDecision {
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        match self {
            Self::Accept { .. } => Outcome::Accepted,
            Self::Refuse { .. } => Outcome::Refused,
            Self::Postpone { .. } => Outcome::Postponed,
        }
    }

    /// The amount granted, for an acceptance.
    #[must_use]
    pub fn amount(&self) -> Option<Money> {
        match self {
            Self::Accept { amount, .. } => Some(*amount),
            _ => None,
        }
    }

    /// The conditions, motivation or reason recorded with it.
    #[must_use]
    pub fn text(&self) -> &str {
        match self {
            Self::Accept { conditions: t, .. }
            | Self::Refuse { motivation: t }
            | Self::Postpone { reason: t } => t,
        }
    }

    /// What it asks of the dossier's state machine: nothing for a postponement (the dossier
    /// stays on the committee's agenda).
    #[must_use]
    pub fn dossier_decision(&self, asked: Money) -> Option<Decision> {
        match self {
            Self::Accept { amount, .. } => Some(Decision::Accept {
                amount: *amount,
                asked,
            }),
            Self::Refuse { motivation } => Some(Decision::Refuse {
                motivation: motivation.clone(),
            }),
            Self::Postpone { .. } => None,
        }
    }

    /// Reads a decision from a form's values: the outcome's code, the amount typed (for an
    /// acceptance) and the text. `field` prefixes the names of the fields errors point at
    /// (`{field}_montant`, `{field}_texte`); `None` when no outcome is chosen.
    pub fn parse(
        field: &str,
        outcome: &str,
        amount: &str,
        text: &str,
    ) -> Result<Option<Self>, FieldError> {
        let Some(outcome) = Outcome::parse(outcome.trim()) else {
            return Ok(None);
        };
        let text = long_text(
            &format!("{field}_texte"),
            "Conditions ou motivation",
            text,
            MAX_TEXT,
        )?;
        Ok(Some(match outcome {
            Outcome::Accepted => {
                let amount = Money::parse(amount.trim()).map_err(|e| {
                    error(
                        &format!("{field}_montant"),
                        format!("Montant accordé : {e}."),
                    )
                })?;
                Self::Accept {
                    amount,
                    conditions: text,
                }
            }
            Outcome::Refused => Self::Refuse { motivation: text },
            Outcome::Postponed => Self::Postpone { reason: text },
        }))
    }
}

/// What the draft of the minutes is written from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinutesInput {
    pub committee: String,
    pub date: NaiveDate,
    pub place: String,
    /// The members present: name and quality.
    pub present: Vec<(String, String)>,
    /// The members not present: name and quality.
    pub absent: Vec<(String, String)>,
    pub items: Vec<MinutesItem>,
}

/// One agenda item, as the minutes tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinutesItem {
    pub title: String,
    pub structure: String,
    pub asked: Money,
    pub outcome: Option<Outcome>,
    pub amount: Option<Money>,
    pub text: String,
}

fn people(list: &[(String, String)]) -> String {
    list.iter()
        .map(|(name, quality)| format!("{name} ({quality})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A draft of the minutes, in French, from the attendance and the decisions: staff edit it
/// before saving.
#[must_use]
pub fn draft_minutes(input: &MinutesInput) -> String {
    let mut text = format!(
        "Procès-verbal de la séance du {} du {}, à {}.\n\n",
        input.committee,
        format_date_long(input.date),
        input.place
    );
    if input.present.is_empty() {
        text.push_str("Présents : aucun membre n’est noté présent.\n");
    } else {
        let _ = writeln!(text, "Présents : {}.", people(&input.present));
    }
    if !input.absent.is_empty() {
        let _ = writeln!(text, "Absents ou excusés : {}.", people(&input.absent));
    }
    text.push('\n');
    if input.items.is_empty() {
        text.push_str("Aucun dossier n’était inscrit à l’ordre du jour.\n");
    } else {
        let _ = writeln!(
            text,
            "Le comité a examiné {} dossier(s) :",
            input.items.len()
        );
    }
    let mut granted = Money::ZERO;
    for (n, item) in (1..).zip(&input.items) {
        let decision = match (item.outcome, item.amount) {
            (Some(Outcome::Accepted), Some(amount)) => {
                granted = granted + amount;
                format!("accord d’une subvention de {amount}")
            }
            (Some(outcome), _) => outcome.label().to_owned(),
            (None, _) => "pas de décision enregistrée".to_owned(),
        };
        let _ = write!(
            text,
            "\n{n}. « {} », porté par {} (demande : {}) : {decision}.",
            item.title, item.structure, item.asked
        );
        if !item.text.is_empty() {
            let label = match item.outcome {
                Some(Outcome::Accepted) => "Conditions",
                Some(Outcome::Refused) => "Motivation",
                _ => "Observations",
            };
            let _ = write!(text, "\n   {label} : {}", item.text);
        }
        text.push('\n');
    }
    if granted > Money::ZERO {
        let _ = writeln!(text, "\nTotal des subventions accordées : {granted}.");
    }
    let _ = write!(
        text,
        "\nFait à {}, le {}.",
        input.place,
        format_date(input.date)
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(s.code()), Some(s));
        }
        for r in MemberRole::ALL {
            assert_eq!(MemberRole::parse(r.code()), Some(r));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.code()), Some(o));
        }
        assert_eq!(Outcome::parse("peut-etre"), None);
    }

    #[test]
    fn a_session_needs_a_committee_of_the_plan_a_date_and_a_place() {
        let plan = crate::plan::default_plan();
        let session =
            SessionFields::parse(&plan, "comite-pilotage", "2026-11-28", " Forum ").unwrap();
        assert_eq!(session.date, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
        assert_eq!(session.place, "Forum");
        let errors = SessionFields::parse(&plan, "comite-inconnu", "31/02/2026", "").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["comite", "date", "lieu"]);
        assert!(
            errors[1]
                .message
                .starts_with("Date : la date « 31/02/2026 »")
        );
        assert_eq!(errors[2].message, "Lieu : à remplir.");
    }

    #[test]
    fn a_member_has_a_name_a_quality_and_a_role() {
        let plan = crate::plan::default_plan();
        let member = MemberFields::parse(
            &plan,
            "comite-pilotage",
            "Claire Dupont",
            "Vice-présidente",
            "presidence",
        )
        .unwrap();
        assert_eq!(member.role, MemberRole::Chair);
        let errors = MemberFields::parse(&plan, "comite-pilotage", " ", &"x".repeat(201), "roi")
            .unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Nom : à remplir.",
                "Qualité ou organisation : 200 caractères au plus (201).",
                "Rôle : choisissez-le dans la liste."
            ]
        );
    }

    #[test]
    fn a_decision_is_read_from_its_fields_and_maps_to_the_state_machine() {
        assert_eq!(ItemDecision::parse("d_1", "", "", "").unwrap(), None);
        let accept = ItemDecision::parse("d_1", "accepte", "8 000,50", " Sous réserve. ")
            .unwrap()
            .unwrap();
        assert_eq!(accept.amount(), Some(Money::from_cents(800_050)));
        assert_eq!(accept.text(), "Sous réserve.");
        assert_eq!(
            accept.dossier_decision(Money::from_euros(10_000)),
            Some(Decision::Accept {
                amount: Money::from_cents(800_050),
                asked: Money::from_euros(10_000)
            })
        );
        let bad = ItemDecision::parse("d_1", "accepte", "huit mille", "").unwrap_err();
        assert_eq!(bad.field, "d_1_montant");
        assert!(bad.message.starts_with("Montant accordé : "));
        let postponed = ItemDecision::parse("d_2", "ajourne", "", "")
            .unwrap()
            .unwrap();
        assert_eq!(postponed.outcome(), Outcome::Postponed);
        assert_eq!(postponed.dossier_decision(Money::from_euros(1)), None);
        let long = ItemDecision::parse("d_3", "refuse", "", &"x".repeat(MAX_TEXT + 1)).unwrap_err();
        assert_eq!(long.field, "d_3_texte");
    }

    #[test]
    fn the_draft_minutes_tell_attendance_and_decisions() {
        let input = MinutesInput {
            committee: "Comité de pilotage".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            place: "Grenoble".into(),
            present: vec![("Claire Dupont".into(), "Vice-présidente".into())],
            absent: vec![("Paul Martin".into(), "Maire".into())],
            items: vec![
                MinutesItem {
                    title: "Atelier vélo".into(),
                    structure: "La Roue libre".into(),
                    asked: Money::from_euros(10_000),
                    outcome: Some(Outcome::Accepted),
                    amount: Some(Money::from_euros(8_000)),
                    text: "Rapport à six mois.".into(),
                },
                MinutesItem {
                    title: "Épicerie".into(),
                    structure: "L’Étape".into(),
                    asked: Money::from_euros(5_000),
                    outcome: Some(Outcome::Refused),
                    amount: None,
                    text: "Hors du champ du plan.".into(),
                },
            ],
        };
        let text = draft_minutes(&input);
        for expected in [
            "séance du Comité de pilotage du 1er décembre 2026, à Grenoble",
            "Présents : Claire Dupont (Vice-présidente).",
            "Absents ou excusés : Paul Martin (Maire).",
            "1. « Atelier vélo », porté par La Roue libre (demande : 10 000,00 €) : \
             accord d’une subvention de 8 000,00 €.",
            "Conditions : Rapport à six mois.",
            "2. « Épicerie », porté par L’Étape",
            "Motivation : Hors du champ du plan.",
            "Total des subventions accordées : 8 000,00 €.",
            "Fait à Grenoble, le 01/12/2026.",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
    }
}
