//! The money of a dossier: its budget (expenses and resources that must balance), the yearly
//! envelope its commitment consumes, and the instalments of its payment. Integer cents only
//! ([`Money`]); every rule answers in French, naming what breaks it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// One line of a budget: what it is and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    pub label: String,
    pub amount: Money,
}

/// A project's budget: expenses on one side, resources (the authority's subsidy asked, the
/// co-financers', the structure's own) on the other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    pub expenses: Vec<BudgetLine>,
    pub resources: Vec<BudgetLine>,
}

/// Most lines on each side of a budget.
pub const MAX_BUDGET_LINES: usize = 40;

impl Budget {
    #[must_use]
    pub fn total_expenses(&self) -> Money {
        self.expenses.iter().map(|l| l.amount).sum()
    }

    #[must_use]
    pub fn total_resources(&self) -> Money {
        self.resources.iter().map(|l| l.amount).sum()
    }

    /// What is wrong with the budget for a subsidy of `asked`: each message names the side and
    /// the line. Empty when it can be submitted.
    #[must_use]
    pub fn problems(&self, asked: Money) -> Vec<String> {
        let mut problems = Vec::new();
        for (side, lines) in [
            ("Dépenses", &self.expenses),
            ("Ressources", &self.resources),
        ] {
            if lines.is_empty() {
                problems.push(format!("{side} : ajoutez au moins une ligne."));
            }
            if lines.len() > MAX_BUDGET_LINES {
                problems.push(format!(
                    "{side} : {MAX_BUDGET_LINES} lignes au plus ({} saisies).",
                    lines.len()
                ));
            }
            for (n, line) in (1..).zip(lines.iter()) {
                if line.label.trim().is_empty() {
                    problems.push(format!("{side}, ligne {n} : indiquez son intitulé."));
                }
                if line.amount <= Money::ZERO {
                    problems.push(format!(
                        "{side}, ligne {n} : le montant doit être positif ({}).",
                        line.amount
                    ));
                }
            }
        }
        let (expenses, resources) = (self.total_expenses(), self.total_resources());
        if expenses != resources {
            problems.push(format!(
                "Budget : les ressources ({resources}) doivent égaler les dépenses ({expenses}) ; \
                 écart de {}.",
                difference(expenses, resources)
            ));
        }
        if asked <= Money::ZERO {
            problems.push("Montant demandé : il doit être positif.".to_owned());
        } else if asked > resources {
            problems.push(format!(
                "Montant demandé : {asked} dépasse le total des ressources ({resources}) ; \
                 inscrivez-le parmi les ressources."
            ));
        }
        problems
    }
}

fn difference(a: Money, b: Money) -> Money {
    if a > b { a - b } else { b - a }
}

/// What a year's envelope has already consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consumption {
    /// Amounts granted (committed) in the year.
    pub committed: Money,
    /// Amounts paid in the year.
    pub paid: Money,
}

/// A commitment refused by the envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error(
        "Enveloppe {year} : engager {amount} porterait les engagements à {after}, au-delà de \
         l’enveloppe de {envelope} (reste {left}). Seul un administrateur peut passer outre."
    )]
    Exceeded {
        year: i32,
        amount: Money,
        after: Money,
        envelope: Money,
        left: Money,
    },
    #[error(
        "Enveloppe {year} : aucune enveloppe n’est définie pour cette année ; définissez-la dans \
         le plan avant d’engager."
    )]
    Undefined { year: i32 },
}

/// What happens to a commitment against its year's envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commitment {
    /// Within the envelope.
    Within { left: Money },
    /// Beyond it, allowed by an administrator's override (to be written to the audit trail).
    Overridden { beyond: Money },
}

/// Checks a new commitment of `amount` against a year's `envelope` (`None`: none defined) and
/// what the year has already committed.
pub fn commit(
    year: i32,
    envelope: Option<Money>,
    consumed: Consumption,
    amount: Money,
    override_by_administrator: bool,
) -> Result<Commitment, EnvelopeError> {
    let Some(envelope) = envelope else {
        return Err(EnvelopeError::Undefined { year });
    };
    let after = consumed.committed + amount;
    if after <= envelope {
        return Ok(Commitment::Within {
            left: envelope - after,
        });
    }
    if override_by_administrator {
        return Ok(Commitment::Overridden {
            beyond: after - envelope,
        });
    }
    Err(EnvelopeError::Exceeded {
        year,
        amount,
        after,
        envelope,
        left: if consumed.committed < envelope {
            envelope - consumed.committed
        } else {
            Money::ZERO
        },
    })
}

/// What releases an instalment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The signed agreement is uploaded.
    Signature,
    /// The intermediate report is received.
    IntermediateReport,
    /// The final report is received.
    FinalReport,
}

impl Condition {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Signature => "à la signature de la convention",
            Self::IntermediateReport => "à la réception du rapport intermédiaire",
            Self::FinalReport => "à la réception du rapport final",
        }
    }
}

/// One instalment of a payment schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    pub amount: Money,
    pub condition: Condition,
    /// When it is expected to be paid.
    pub due: NaiveDate,
}

/// A schedule that splits `granted` into shares (in per cent, summing to 100): each amount is
/// rounded down to the cent, the last takes what remains, so the total is exactly `granted`.
#[must_use]
pub fn schedule(granted: Money, shares: &[(u8, Condition, NaiveDate)]) -> Vec<Instalment> {
    let mut left = granted;
    let mut out = Vec::with_capacity(shares.len());
    for (n, (share, condition, due)) in shares.iter().enumerate() {
        let amount = if n + 1 == shares.len() {
            left
        } else {
            Money::from_cents(granted.cents() * i64::from(*share) / 100)
        };
        left = left - amount;
        out.push(Instalment {
            amount,
            condition: *condition,
            due: *due,
        });
    }
    out
}

/// What is wrong with a schedule for a grant of `granted`.
#[must_use]
pub fn schedule_problems(granted: Money, instalments: &[Instalment]) -> Vec<String> {
    let mut problems = Vec::new();
    if instalments.is_empty() {
        problems.push("Échéancier : ajoutez au moins une échéance.".to_owned());
    }
    for (n, instalment) in (1..).zip(instalments) {
        if instalment.amount <= Money::ZERO {
            problems.push(format!("Échéance {n} : le montant doit être positif."));
        }
    }
    let total: Money = instalments.iter().map(|i| i.amount).sum();
    if !instalments.is_empty() && total != granted {
        problems.push(format!(
            "Échéancier : les échéances totalisent {total} au lieu du montant accordé ({granted})."
        ));
    }
    problems
}

/// A report the structure owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportDue {
    pub final_report: bool,
    pub due: NaiveDate,
    pub received: bool,
}

/// A payment refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error(
        "Paiement : {amount} porterait les versements à {after}, au-delà du montant accordé \
         ({granted})."
    )]
    AboveGranted {
        amount: Money,
        after: Money,
        granted: Money,
    },
    #[error("Paiement : le montant doit être positif.")]
    NotPositive,
    #[error(
        "Paiement bloqué : le rapport {} attendu le {} n’a pas été reçu.",
        if *final_report { "final" } else { "intermédiaire" },
        crate::dates::format_date(*due)
    )]
    OverdueReport { final_report: bool, due: NaiveDate },
}

/// Checks a payment of `amount` on `today`: payments never exceed the amount granted, and a
/// report overdue (due before today, not received) blocks every further payment.
pub fn pay(
    granted: Money,
    paid: Money,
    amount: Money,
    reports: &[ReportDue],
    today: NaiveDate,
) -> Result<(), PaymentError> {
    if amount <= Money::ZERO {
        return Err(PaymentError::NotPositive);
    }
    if let Some(overdue) = reports
        .iter()
        .filter(|r| !r.received && r.due < today)
        .min_by_key(|r| r.due)
    {
        return Err(PaymentError::OverdueReport {
            final_report: overdue.final_report,
            due: overdue.due,
        });
    }
    let after = paid + amount;
    if after > granted {
        return Err(PaymentError::AboveGranted {
            amount,
            after,
            granted,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &str, euros: i64) -> BudgetLine {
        BudgetLine {
            label: label.into(),
            amount: Money::from_euros(euros),
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_balanced_budget_with_the_amount_among_its_resources_passes() {
        let budget = Budget {
            expenses: vec![line("Salaires", 30_000), line("Matériel", 5_000)],
            resources: vec![
                line("Métropole (demandé)", 10_000),
                line("Région", 15_000),
                line("Fonds propres", 10_000),
            ],
        };
        assert_eq!(budget.total_expenses(), Money::from_euros(35_000));
        assert!(budget.problems(Money::from_euros(10_000)).is_empty());
    }

    #[test]
    fn an_unbalanced_budget_says_by_how_much() {
        let budget = Budget {
            expenses: vec![line("Salaires", 30_000), line("", 0)],
            resources: vec![line("Métropole", 20_000)],
        };
        let problems = budget.problems(Money::from_euros(25_000));
        assert!(problems.contains(&"Dépenses, ligne 2 : indiquez son intitulé.".to_owned()));
        assert!(
            problems
                .contains(&"Dépenses, ligne 2 : le montant doit être positif (0,00 €).".to_owned())
        );
        assert!(problems.contains(
            &"Budget : les ressources (20 000,00 €) doivent égaler les dépenses (30 000,00 €) ; \
              écart de 10 000,00 €."
                .to_owned()
        ));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("Montant demandé : 25 000,00 € dépasse"))
        );
        assert!(
            Budget::default()
                .problems(Money::ZERO)
                .contains(&"Montant demandé : il doit être positif.".to_owned())
        );
    }

    #[test]
    fn cents_balance_exactly() {
        let cents = |label: &str, c: i64| BudgetLine {
            label: label.into(),
            amount: Money::from_cents(c),
        };
        // 0.1 + 0.2 = 0.3 exactly in cents, which floats would not say.
        let budget = Budget {
            expenses: vec![cents("a", 10), cents("b", 20)],
            resources: vec![cents("c", 30)],
        };
        assert!(budget.problems(Money::from_cents(30)).is_empty());
    }

    #[test]
    fn a_commitment_beyond_the_envelope_needs_an_administrator() {
        let envelope = Some(Money::from_euros(350_000));
        let consumed = Consumption {
            committed: Money::from_euros(340_000),
            paid: Money::from_euros(100_000),
        };
        assert_eq!(
            commit(2026, envelope, consumed, Money::from_euros(10_000), false),
            Ok(Commitment::Within { left: Money::ZERO })
        );
        let refused =
            commit(2026, envelope, consumed, Money::from_euros(10_001), false).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Enveloppe 2026 : engager 10 001,00 € porterait les engagements à 350 001,00 €, \
             au-delà de l’enveloppe de 350 000,00 € (reste 10 000,00 €). Seul un administrateur \
             peut passer outre."
        );
        assert_eq!(
            commit(2026, envelope, consumed, Money::from_euros(10_001), true),
            Ok(Commitment::Overridden {
                beyond: Money::from_euros(1)
            })
        );
        assert_eq!(
            commit(
                2027,
                None,
                Consumption::default(),
                Money::from_euros(1),
                true
            ),
            Err(EnvelopeError::Undefined { year: 2027 })
        );
    }

    #[test]
    fn a_schedule_splits_to_the_cent_and_totals_the_grant() {
        let granted = Money::from_cents(1_000_001);
        let instalments = schedule(
            granted,
            &[
                (50, Condition::Signature, day(2026, 3, 1)),
                (50, Condition::FinalReport, day(2027, 3, 1)),
            ],
        );
        assert_eq!(instalments[0].amount, Money::from_cents(500_000));
        assert_eq!(instalments[1].amount, Money::from_cents(500_001));
        assert!(schedule_problems(granted, &instalments).is_empty());
        let thirds = schedule(
            Money::from_euros(100),
            &[
                (33, Condition::Signature, day(2026, 1, 1)),
                (33, Condition::IntermediateReport, day(2026, 6, 1)),
                (34, Condition::FinalReport, day(2027, 1, 1)),
            ],
        );
        let total: Money = thirds.iter().map(|i| i.amount).sum();
        assert_eq!(total, Money::from_euros(100));
        assert_eq!(
            schedule_problems(Money::from_euros(101), &thirds),
            vec![
                "Échéancier : les échéances totalisent 100,00 € au lieu du montant accordé \
                 (101,00 €)."
                    .to_owned()
            ]
        );
    }

    #[test]
    fn payments_never_exceed_the_grant_and_an_overdue_report_blocks_them() {
        let granted = Money::from_euros(10_000);
        let today = day(2026, 11, 28);
        assert_eq!(
            pay(granted, Money::ZERO, Money::from_euros(5_000), &[], today),
            Ok(())
        );
        assert_eq!(
            pay(
                granted,
                Money::from_euros(5_000),
                Money::from_euros(5_001),
                &[],
                today
            ),
            Err(PaymentError::AboveGranted {
                amount: Money::from_euros(5_001),
                after: Money::from_euros(10_001),
                granted,
            })
        );
        let reports = [
            ReportDue {
                final_report: false,
                due: day(2026, 6, 30),
                received: false,
            },
            ReportDue {
                final_report: true,
                due: day(2027, 3, 31),
                received: false,
            },
        ];
        let blocked = pay(
            granted,
            Money::from_euros(5_000),
            Money::from_euros(1),
            &reports,
            today,
        )
        .unwrap_err();
        assert_eq!(
            blocked.to_string(),
            "Paiement bloqué : le rapport intermédiaire attendu le 30/06/2026 n’a pas été reçu."
        );
        let received = [ReportDue {
            received: true,
            ..reports[0]
        }];
        assert_eq!(
            pay(
                granted,
                Money::from_euros(5_000),
                Money::from_euros(5_000),
                &received,
                today
            ),
            Ok(())
        );
        // Due today is not yet overdue.
        let due_today = [ReportDue {
            due: today,
            ..reports[0]
        }];
        assert!(
            pay(
                granted,
                Money::ZERO,
                Money::from_euros(1),
                &due_today,
                today
            )
            .is_ok()
        );
        assert_eq!(
            pay(granted, Money::ZERO, Money::ZERO, &[], today),
            Err(PaymentError::NotPositive)
        );
    }
}
