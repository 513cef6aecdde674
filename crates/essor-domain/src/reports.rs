//! What a funded structure owes after the decision, and what staff make of it: an intermediate
//! and a final report (activity, actual jobs, a financial report against the application's
//! budget), each with its due date and its small life (drafted, submitted, accepted or sent back),
//! then the *chargée de mission*'s evaluation once the final report is received.
//!
//! ```text
//! draft ─submit (structure)─▶ submitted ─accept (staff)─▶ accepted (received)
//!   ▲                            │
//!   └── returned ◀─return (staff, with a reason)
//! ```

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::dossier::Party;
use crate::funding::{Budget, BudgetLine, ReportDue};
use crate::money::Money;
use crate::plan::{Key, Plan};

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Intermediate,
    Final,
}

impl ReportKind {
    pub const ALL: [Self; 2] = [Self::Intermediate, Self::Final];

    /// The stable code stored and used in URLs.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Intermediate => "intermediaire",
            Self::Final => "final",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Intermediate => "rapport intermédiaire",
            Self::Final => "rapport final",
        }
    }

    /// Months after the decision when it is due, unless staff set another date.
    #[must_use]
    pub fn default_months(self) -> u32 {
        match self {
            Self::Intermediate => 6,
            Self::Final => 12,
        }
    }

    /// The default due date of the report of a dossier decided on `decided_on` (the end of
    /// the month when the day does not exist, as 31/08 + 6 months = 28/02).
    #[must_use]
    pub fn default_due(self, decided_on: NaiveDate) -> NaiveDate {
        decided_on
            .checked_add_months(Months::new(self.default_months()))
            .unwrap_or(decided_on)
    }
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Being written by the structure (or not started).
    Draft,
    /// Sent by the structure, waiting for staff.
    Submitted,
    /// Received and accepted by staff.
    Accepted,
    /// Sent back to the structure, with a reason.
    Returned,
}

impl ReportStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Submitted, Self::Accepted, Self::Returned];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "brouillon",
            Self::Submitted => "transmis",
            Self::Accepted => "accepte",
            Self::Returned => "renvoye",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "à rédiger",
            Self::Submitted => "transmis, en attente d’examen",
            Self::Accepted => "reçu et accepté",
            Self::Returned => "renvoyé à la structure pour compléments",
        }
    }

    /// The structure may still write it.
    #[must_use]
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }

    /// Counts as received for payments and the evaluation: staff accepted it.
    #[must_use]
    pub fn received(self) -> bool {
        self == Self::Accepted
    }
}

/// One line of the financial report: the budget line, what was planned, what was spent or
/// received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    pub label: String,
    pub planned: Money,
    pub actual: Money,
}

impl ReportLine {
    /// Actual minus planned: positive when more was spent (or received) than planned.
    #[must_use]
    pub fn gap(&self) -> Money {
        self.actual - self.planned
    }
}

/// The financial report against the application's budget: each planned line with its actual
/// amount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FinancialReport {
    pub expenses: Vec<ReportLine>,
    pub resources: Vec<ReportLine>,
}

fn lines_of(planned: &[BudgetLine], actual: &[Money]) -> Vec<ReportLine> {
    planned
        .iter()
        .enumerate()
        .map(|(n, line)| ReportLine {
            label: line.label.clone(),
            planned: line.amount,
            actual: actual.get(n).copied().unwrap_or(Money::ZERO),
        })
        .collect()
}

/// Totals of one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub planned: Money,
    pub actual: Money,
}

impl Totals {
    /// Actual minus planned.
    #[must_use]
    pub fn gap(self) -> Money {
        self.actual - self.planned
    }
}

fn totals(lines: &[ReportLine]) -> Totals {
    Totals {
        planned: lines.iter().map(|l| l.planned).sum(),
        actual: lines.iter().map(|l| l.actual).sum(),
    }
}

impl FinancialReport {
    /// The budget's lines with their actual amounts, in the budget's order (missing ones at
    /// zero).
    #[must_use]
    pub fn against(budget: &Budget, actual_expenses: &[Money], actual_resources: &[Money]) -> Self {
        Self {
            expenses: lines_of(&budget.expenses, actual_expenses),
            resources: lines_of(&budget.resources, actual_resources),
        }
    }

    #[must_use]
    pub fn expenses_totals(&self) -> Totals {
        totals(&self.expenses)
    }

    #[must_use]
    pub fn resources_totals(&self) -> Totals {
        totals(&self.resources)
    }

    /// Actual resources minus actual expenses: positive for a surplus, negative for a deficit.
    #[must_use]
    pub fn balance(&self) -> Money {
        self.resources_totals().actual - self.expenses_totals().actual
    }

    /// What is wrong, each message naming the side and the line.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.expenses.is_empty() && self.resources.is_empty() {
            problems.push(
                "Compte rendu financier : le budget de la demande n’a aucune ligne.".to_owned(),
            );
        }
        for (side, lines) in [
            ("Dépenses réalisées", &self.expenses),
            ("Ressources obtenues", &self.resources),
        ] {
            for (n, line) in (1..).zip(lines) {
                if line.actual < Money::ZERO {
                    problems.push(format!(
                        "{side}, ligne {n} ({}) : le montant ne peut pas être négatif ({}).",
                        line.label, line.actual
                    ));
                }
            }
        }
        problems
    }
}

/// Longest activity text, in characters.
pub const MAX_ACTIVITY: usize = 20_000;

/// What the structure writes in a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportContent {
    /// The activity carried out.
    pub activity: String,
    /// Jobs actually created.
    pub jobs_created: u32,
    /// Jobs actually consolidated.
    pub jobs_consolidated: u32,
    pub financial: FinancialReport,
}

impl ReportContent {
    /// What the report lacks before it can be submitted, each message naming its field; empty
    /// when it can be.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match self.activity.trim().chars().count() {
            0 => problems.push("Activité réalisée : décrivez-la.".to_owned()),
            n if n > MAX_ACTIVITY => problems.push(format!(
                "Activité réalisée : {MAX_ACTIVITY} caractères au plus ({n})."
            )),
            _ => {}
        }
        problems.extend(self.financial.problems());
        problems
    }
}

/// What is asked of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportAction {
    /// The structure submits it; `problems` from [`ReportContent::problems`].
    Submit { problems: Vec<String> },
    /// Staff mark it received and accepted.
    Accept,
    /// Staff send it back, saying why.
    Return { reason: String },
}

impl ReportAction {
    /// The stable code, for the audit trail (`report.<code>`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Submit { .. } => "submitted",
            Self::Accept => "accepted",
            Self::Return { .. } => "returned",
        }
    }

    #[must_use]
    pub fn party(&self) -> Party {
        match self {
            Self::Submit { .. } => Party::Applicant,
            _ => Party::Staff,
        }
    }
}

/// A report step refused, in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("Seule la structure qui porte le projet peut transmettre son rapport.")]
    ApplicantOnly,
    #[error("Seule l’équipe de la collectivité peut examiner un rapport.")]
    StaffOnly,
    #[error("Ce rapport est {}.", .0.label())]
    NotFrom(ReportStatus),
    #[error("Le rapport n’est pas complet : {}.", .0.join(" ; "))]
    Incomplete(Vec<String>),
    #[error("Motif : dites à la structure ce que le rapport doit compléter.")]
    NoReason,
    #[error("Les rapports ne concernent qu’un dossier accepté.")]
    NotAccepted,
    #[error("L’évaluation suppose le rapport final reçu et accepté.")]
    FinalNotReceived,
}

/// Checks a step of a report in `status`; on success, the status it goes to.
pub fn step(
    status: ReportStatus,
    action: &ReportAction,
    party: Party,
) -> Result<ReportStatus, ReportError> {
    if party != action.party() {
        return Err(match action.party() {
            Party::Applicant => ReportError::ApplicantOnly,
            Party::Staff => ReportError::StaffOnly,
        });
    }
    match action {
        ReportAction::Submit { problems } => {
            if !status.editable() {
                return Err(ReportError::NotFrom(status));
            }
            if !problems.is_empty() {
                return Err(ReportError::Incomplete(problems.clone()));
            }
            Ok(ReportStatus::Submitted)
        }
        ReportAction::Accept | ReportAction::Return { .. } => {
            if status != ReportStatus::Submitted {
                return Err(ReportError::NotFrom(status));
            }
            match action {
                ReportAction::Return { reason } if reason.trim().is_empty() => {
                    Err(ReportError::NoReason)
                }
                ReportAction::Return { .. } => Ok(ReportStatus::Returned),
                _ => Ok(ReportStatus::Accepted),
            }
        }
    }
}

/// The reports a dossier decided on `decided_on` owes, for the payment rules: each with its due
/// date (`due`, set by staff, or the default) and whether it is received.
#[must_use]
pub fn dues(
    decided_on: NaiveDate,
    stored: &[(ReportKind, Option<NaiveDate>, ReportStatus)],
) -> Vec<ReportDue> {
    ReportKind::ALL
        .iter()
        .map(|kind| {
            let found = stored.iter().find(|(k, _, _)| k == kind);
            ReportDue {
                final_report: *kind == ReportKind::Final,
                due: found
                    .and_then(|(_, due, _)| *due)
                    .unwrap_or_else(|| kind.default_due(decided_on)),
                received: found.is_some_and(|(_, _, status)| status.received()),
            }
        })
        .collect()
}

/// How far a project reached its objectives, in the chargée de mission's judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Achievement {
    Reached,
    Partly,
    NotReached,
}

impl Achievement {
    pub const ALL: [Self; 3] = [Self::Reached, Self::Partly, Self::NotReached];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Reached => "atteints",
            Self::Partly => "partiellement_atteints",
            Self::NotReached => "non_atteints",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Reached => "objectifs atteints",
            Self::Partly => "objectifs partiellement atteints",
            Self::NotReached => "objectifs non atteints",
        }
    }
}

/// The evaluation of a project by its *chargée de mission*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Jobs created, as retained by staff.
    pub jobs_created: u32,
    /// Jobs consolidated, as retained by staff.
    pub jobs_consolidated: u32,
    pub outcomes: String,
    pub achievement: Achievement,
    /// The plan's themes the project did serve.
    pub themes: Vec<Key>,
}

/// Longest outcomes text, in characters.
pub const MAX_OUTCOMES: usize = 10_000;

impl Evaluation {
    /// What is wrong with it, each message naming its field.
    #[must_use]
    pub fn problems(&self, plan: &Plan) -> Vec<String> {
        let mut problems = Vec::new();
        match self.outcomes.trim().chars().count() {
            0 => problems.push("Résultats : décrivez ce que le projet a produit.".to_owned()),
            n if n > MAX_OUTCOMES => problems.push(format!(
                "Résultats : {MAX_OUTCOMES} caractères au plus ({n})."
            )),
            _ => {}
        }
        for theme in self.themes.iter().filter(|t| plan.theme(t).is_none()) {
            problems.push(format!(
                "Thèmes confirmés : « {theme} » n’est pas un thème du plan."
            ));
        }
        problems
    }
}

/// An evaluation may be recorded once the final report is received.
pub fn may_evaluate(final_report: Option<ReportStatus>) -> Result<(), ReportError> {
    if final_report.is_some_and(ReportStatus::received) {
        Ok(())
    } else {
        Err(ReportError::FinalNotReceived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn budget() -> Budget {
        let line = |label: &str, cents| BudgetLine {
            label: label.into(),
            amount: Money::from_cents(cents),
        };
        Budget {
            expenses: vec![line("Salaires", 3_000_000), line("Matériel", 500_050)],
            resources: vec![line("Métropole", 1_000_000), line("Région", 2_500_050)],
        }
    }

    #[test]
    fn the_financial_report_gives_totals_and_gaps_to_the_cent() {
        let report = FinancialReport::against(
            &budget(),
            &[Money::from_cents(3_200_000), Money::from_cents(400_000)],
            &[Money::from_cents(1_000_000)],
        );
        assert_eq!(report.expenses[0].gap(), Money::from_cents(200_000));
        assert_eq!(report.expenses[1].gap(), Money::from_cents(-100_050));
        assert_eq!(report.expenses[1].gap().to_string(), "-1 000,50 €");
        // A line left out counts as nothing received.
        assert_eq!(report.resources[1].actual, Money::ZERO);
        let expenses = report.expenses_totals();
        assert_eq!(expenses.planned, Money::from_cents(3_500_050));
        assert_eq!(expenses.actual, Money::from_cents(3_600_000));
        assert_eq!(expenses.gap(), Money::from_cents(99_950));
        let resources = report.resources_totals();
        assert_eq!(resources.gap(), Money::from_cents(-2_500_050));
        assert_eq!(report.balance(), Money::from_cents(-2_600_000));
        assert!(report.problems().is_empty());
        let negative =
            FinancialReport::against(&budget(), &[Money::from_cents(-1)], &[Money::ZERO]);
        assert_eq!(
            negative.problems(),
            vec![
                "Dépenses réalisées, ligne 1 (Salaires) : le montant ne peut pas être négatif \
                 (-0,01 €)."
                    .to_owned()
            ]
        );
    }

    #[test]
    fn a_report_needs_its_activity_and_follows_its_steps() {
        let mut content = ReportContent {
            financial: FinancialReport::against(&budget(), &[], &[]),
            ..ReportContent::default()
        };
        assert_eq!(content.problems(), vec!["Activité réalisée : décrivez-la."]);
        let submit = |content: &ReportContent| ReportAction::Submit {
            problems: content.problems(),
        };
        assert_eq!(
            step(ReportStatus::Draft, &submit(&content), Party::Applicant)
                .unwrap_err()
                .to_string(),
            "Le rapport n’est pas complet : Activité réalisée : décrivez-la.."
        );
        content.activity = "Atelier ouvert 3 jours par semaine.".into();
        assert_eq!(
            step(ReportStatus::Draft, &submit(&content), Party::Applicant),
            Ok(ReportStatus::Submitted)
        );
        assert_eq!(
            step(ReportStatus::Returned, &submit(&content), Party::Applicant),
            Ok(ReportStatus::Submitted)
        );
        assert_eq!(
            step(ReportStatus::Submitted, &submit(&content), Party::Applicant),
            Err(ReportError::NotFrom(ReportStatus::Submitted))
        );
        assert_eq!(
            step(ReportStatus::Draft, &submit(&content), Party::Staff),
            Err(ReportError::ApplicantOnly)
        );
        assert_eq!(
            step(
                ReportStatus::Submitted,
                &ReportAction::Accept,
                Party::Applicant
            ),
            Err(ReportError::StaffOnly)
        );
        assert_eq!(
            step(ReportStatus::Submitted, &ReportAction::Accept, Party::Staff),
            Ok(ReportStatus::Accepted)
        );
        assert_eq!(
            step(ReportStatus::Draft, &ReportAction::Accept, Party::Staff),
            Err(ReportError::NotFrom(ReportStatus::Draft))
        );
        let back = |reason: &str| ReportAction::Return {
            reason: reason.into(),
        };
        assert_eq!(
            step(ReportStatus::Submitted, &back("  "), Party::Staff),
            Err(ReportError::NoReason)
        );
        assert_eq!(
            step(
                ReportStatus::Submitted,
                &back("Joindre les factures."),
                Party::Staff
            ),
            Ok(ReportStatus::Returned)
        );
        assert_eq!(
            step(ReportStatus::Accepted, &back("x"), Party::Staff)
                .unwrap_err()
                .to_string(),
            "Ce rapport est reçu et accepté."
        );
    }

    #[test]
    fn reports_are_due_six_and_twelve_months_after_the_decision_unless_set() {
        let decided = day(2026, 8, 31);
        assert_eq!(
            ReportKind::Intermediate.default_due(decided),
            day(2027, 2, 28)
        );
        assert_eq!(ReportKind::Final.default_due(decided), day(2027, 8, 31));
        let dues = dues(
            decided,
            &[(
                ReportKind::Final,
                Some(day(2027, 12, 15)),
                ReportStatus::Accepted,
            )],
        );
        assert_eq!(
            dues,
            vec![
                ReportDue {
                    final_report: false,
                    due: day(2027, 2, 28),
                    received: false
                },
                ReportDue {
                    final_report: true,
                    due: day(2027, 12, 15),
                    received: true
                },
            ]
        );
        // What payments make of it: the intermediate report overdue blocks them.
        let blocked = crate::funding::pay(
            Money::from_euros(10),
            Money::ZERO,
            Money::from_euros(1),
            &dues,
            day(2027, 3, 1),
        );
        assert!(blocked.is_err());
    }

    #[test]
    fn an_evaluation_needs_the_final_report_received_and_known_themes() {
        assert_eq!(may_evaluate(None), Err(ReportError::FinalNotReceived));
        assert!(may_evaluate(Some(ReportStatus::Submitted)).is_err());
        assert!(may_evaluate(Some(ReportStatus::Accepted)).is_ok());
        let plan = crate::plan::default_plan();
        let mut evaluation = Evaluation {
            jobs_created: 2,
            jobs_consolidated: 1,
            outcomes: " ".into(),
            achievement: Achievement::Partly,
            themes: vec![
                Key::parse("dechets").unwrap(),
                Key::parse("espace").unwrap(),
            ],
        };
        assert_eq!(
            evaluation.problems(&plan),
            vec![
                "Résultats : décrivez ce que le projet a produit.".to_owned(),
                "Thèmes confirmés : « espace » n’est pas un thème du plan.".to_owned()
            ]
        );
        evaluation.outcomes = "Recyclerie ouverte, 12 tonnes détournées.".into();
        evaluation.themes.pop();
        assert!(evaluation.problems(&plan).is_empty());
        for a in Achievement::ALL {
            assert_eq!(Achievement::parse(a.code()), Some(a));
        }
        for s in ReportStatus::ALL {
            assert_eq!(ReportStatus::parse(s.code()), Some(s));
        }
    }
}
