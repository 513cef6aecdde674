//! Steering the plan with the dossiers: what a year's envelope has committed by axis and by
//! theme, the check of a commitment against its axis's envelope, and the plan's indicators
//! (projects supported, amounts granted, jobs expected at application and retained at
//! evaluation), by year, axis and theme. Pure computations over [`Funded`] projects.

use serde::Serialize;

use crate::funding::Commitment;
use crate::money::Money;
use crate::plan::{Indicator, Key, Measure, Plan};

/// An accepted dossier, as steering sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funded {
    /// The year whose envelope it is counted in.
    pub year: i32,
    pub granted: Money,
    /// What its payments amount to so far.
    pub paid: Money,
    pub axis: Option<Key>,
    /// Its themes: the ones the evaluation confirmed, else those of the application.
    pub themes: Vec<Key>,
    pub expected_created: u32,
    pub expected_consolidated: u32,
    /// Jobs created and consolidated retained by the evaluation, once there is one.
    pub retained: Option<(u32, u32)>,
}

/// Figures of a group of projects (a year, an axis, a theme).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub projects: u32,
    pub granted: Money,
    pub paid: Money,
    pub expected_created: u32,
    pub expected_consolidated: u32,
    /// Projects evaluated, whose retained jobs are counted below.
    pub evaluated: u32,
    pub retained_created: u32,
    pub retained_consolidated: u32,
}

impl Figures {
    /// Counts `project`, with `share` of its amounts (`granted`, `paid`).
    fn add(&mut self, project: &Funded, share: (Money, Money)) {
        self.projects += 1;
        self.granted = self.granted + share.0;
        self.paid = self.paid + share.1;
        self.expected_created += project.expected_created;
        self.expected_consolidated += project.expected_consolidated;
        if let Some((created, consolidated)) = project.retained {
            self.evaluated += 1;
            self.retained_created += created;
            self.retained_consolidated += consolidated;
        }
    }

    /// The figure an indicator measures: a count, or the amount granted.
    #[must_use]
    pub fn value(&self, measure: Measure) -> Value {
        match measure {
            Measure::ProjetsSoutenus => Value::Count(u64::from(self.projects)),
            Measure::MontantsAccordes => Value::Amount(self.granted),
            Measure::EmploisCrees => Value::Count(u64::from(self.retained_created)),
            Measure::EmploisConsolides => Value::Count(u64::from(self.retained_consolidated)),
        }
    }

    /// For jobs: what the applications expected.
    #[must_use]
    pub fn expected(&self, measure: Measure) -> Option<u64> {
        match measure {
            Measure::EmploisCrees => Some(u64::from(self.expected_created)),
            Measure::EmploisConsolides => Some(u64::from(self.expected_consolidated)),
            _ => None,
        }
    }
}

/// An indicator's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Count(u64),
    Amount(Money),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Count(n) => f.write_str(&crate::money::group_thousands(*n)),
            Self::Amount(m) => m.fmt(f),
        }
    }
}

/// A line of a breakdown: the axis or theme (`None`: the projects with none) and its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub key: Option<Key>,
    pub label: String,
    pub figures: Figures,
}

/// The projects of one year.
pub fn of_year(projects: &[Funded], year: i32) -> impl Iterator<Item = &Funded> {
    projects.iter().filter(move |p| p.year == year)
}

/// The figures of all the given projects.
#[must_use]
pub fn total<'a>(projects: impl IntoIterator<Item = &'a Funded>) -> Figures {
    let mut figures = Figures::default();
    for p in projects {
        figures.add(p, (p.granted, p.paid));
    }
    figures
}

/// By axis, in the plan's order, then the projects with no axis (or one the plan no longer
/// has) when there are some.
#[must_use]
pub fn by_axis<'a>(plan: &Plan, projects: impl IntoIterator<Item = &'a Funded>) -> Vec<Line> {
    let mut lines: Vec<Line> = plan
        .axes
        .iter()
        .map(|a| Line {
            key: Some(a.key.clone()),
            label: format!("Axe {} : {}", a.number, a.title),
            figures: Figures::default(),
        })
        .collect();
    let mut none = Figures::default();
    for p in projects {
        match lines
            .iter_mut()
            .find(|l| l.key.is_some() && l.key == p.axis)
        {
            Some(line) => line.figures.add(p, (p.granted, p.paid)),
            None => none.add(p, (p.granted, p.paid)),
        }
    }
    if none.projects > 0 {
        lines.push(Line {
            key: None,
            label: "Sans axe du plan".to_owned(),
            figures: none,
        });
    }
    lines
}

/// By theme, in the plan's order, then the projects with no theme. A project counts (projects,
/// jobs) in each of its themes, so those columns overlap; its amounts (granted, paid) are split
/// equally among its themes, the cents left going to the first ones, so they add up to the
/// totals.
#[must_use]
pub fn by_theme<'a>(plan: &Plan, projects: impl IntoIterator<Item = &'a Funded>) -> Vec<Line> {
    let mut lines: Vec<Line> = plan
        .themes
        .iter()
        .map(|t| Line {
            key: Some(t.key.clone()),
            label: t.title.clone(),
            figures: Figures::default(),
        })
        .collect();
    let mut none = Figures::default();
    for p in projects {
        let known: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.key.as_ref().is_some_and(|k| p.themes.contains(k)))
            .map(|(i, _)| i)
            .collect();
        if known.is_empty() {
            none.add(p, (p.granted, p.paid));
            continue;
        }
        let granted = split(p.granted, known.len());
        let paid = split(p.paid, known.len());
        for ((granted, paid), i) in granted.into_iter().zip(paid).zip(known) {
            lines[i].figures.add(p, (granted, paid));
        }
    }
    if none.projects > 0 {
        lines.push(Line {
            key: None,
            label: "Sans thème du plan".to_owned(),
            figures: none,
        });
    }
    lines
}

/// `amount` in `parts` equal shares to the cent, the first ones taking the cents left.
#[must_use]
pub fn split(amount: Money, parts: usize) -> Vec<Money> {
    let Ok(n) = i64::try_from(parts) else {
        return Vec::new();
    };
    if n == 0 {
        return Vec::new();
    }
    let base = amount.cents() / n;
    let left = amount.cents() - base * n;
    (0..n)
        .map(|i| Money::from_cents(base + i64::from(i < left)))
        .collect()
}

/// One indicator for a year: its value, what applications expected (jobs), its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub indicator: Indicator,
    pub value: Value,
    pub expected: Option<u64>,
    pub evaluated: u32,
    pub projects: u32,
    /// The target, as the indicator's value type.
    pub target: Option<Value>,
}

impl Reading {
    /// The value as a share of the target, in whole per cent (rounded down).
    #[must_use]
    pub fn percent_of_target(&self) -> Option<u64> {
        let (value, target) = match (self.value, self.target?) {
            (Value::Count(v), Value::Count(t)) => (i128::from(v), i128::from(t)),
            (Value::Amount(v), Value::Amount(t)) => (i128::from(v.cents()), i128::from(t.cents())),
            _ => return None,
        };
        if target <= 0 {
            return None;
        }
        u64::try_from(value * 100 / target).ok()
    }
}

/// The plan's indicators read on a year's projects.
#[must_use]
pub fn readings(plan: &Plan, projects: &[Funded], year: i32) -> Vec<Reading> {
    let figures = total(of_year(projects, year));
    plan.indicators
        .iter()
        .map(|indicator| Reading {
            value: figures.value(indicator.measure),
            expected: figures.expected(indicator.measure),
            evaluated: figures.evaluated,
            projects: figures.projects,
            target: indicator.target.map(|t| match indicator.measure {
                Measure::MontantsAccordes => Value::Amount(Money::from_euros(
                    i64::try_from(t).unwrap_or(i64::MAX / 100),
                )),
                _ => Value::Count(t),
            }),
            indicator: indicator.clone(),
        })
        .collect()
}

/// A commitment refused by its axis's envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Enveloppe {year} de l’axe « {axis} » : engager {amount} porterait ses engagements à {after}, \
     au-delà de son enveloppe de {envelope} (reste {left}). Seul un administrateur peut passer \
     outre."
)]
pub struct AxisExceeded {
    pub year: i32,
    pub axis: String,
    pub amount: Money,
    pub after: Money,
    pub envelope: Money,
    pub left: Money,
}

/// Checks a new commitment of `amount` against the envelope of its axis (`envelope`; `None`
/// when the plan gives the axis none, which leaves only the year's envelope to respect) and
/// what the axis has already committed that year.
pub fn commit_in_axis(
    year: i32,
    axis: &str,
    envelope: Option<Money>,
    committed: Money,
    amount: Money,
    override_by_administrator: bool,
) -> Result<Option<Commitment>, AxisExceeded> {
    let Some(envelope) = envelope else {
        return Ok(None);
    };
    let after = committed + amount;
    if after <= envelope {
        return Ok(Some(Commitment::Within {
            left: envelope - after,
        }));
    }
    if override_by_administrator {
        return Ok(Some(Commitment::Overridden {
            beyond: after - envelope,
        }));
    }
    Err(AxisExceeded {
        year,
        axis: axis.to_owned(),
        amount,
        after,
        envelope,
        left: if committed < envelope {
            envelope - committed
        } else {
            Money::ZERO
        },
    })
}

/// A year's envelope by axis: each axis's own envelope (if any), committed and left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisBudget {
    pub line: Line,
    pub envelope: Option<Money>,
    /// Envelope minus committed (negative when an override went beyond it).
    pub left: Option<Money>,
}

/// The year's envelope split by axis, with what each axis committed.
#[must_use]
pub fn axis_budgets(plan: &Plan, projects: &[Funded], year: i32) -> Vec<AxisBudget> {
    let budget = plan.budgets.iter().find(|b| b.year == year);
    by_axis(plan, of_year(projects, year))
        .into_iter()
        .map(|line| {
            let envelope = line
                .key
                .as_ref()
                .and_then(|k| budget.and_then(|b| b.of_axis(k)));
            AxisBudget {
                left: envelope.map(|e| e - line.figures.granted),
                envelope,
                line,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{AxisEnvelope, BudgetEnvelope, default_plan};

    fn key(raw: &str) -> Key {
        Key::parse(raw).unwrap()
    }

    fn project(year: i32, cents: i64, axis: &str, themes: &[&str]) -> Funded {
        Funded {
            year,
            granted: Money::from_cents(cents),
            paid: Money::from_cents(cents / 2),
            axis: Some(key(axis)),
            themes: themes.iter().map(|t| key(t)).collect(),
            expected_created: 2,
            expected_consolidated: 1,
            retained: None,
        }
    }

    #[test]
    fn amounts_split_among_themes_add_up_to_the_cent() {
        assert_eq!(
            split(Money::from_cents(100), 3),
            vec![
                Money::from_cents(34),
                Money::from_cents(33),
                Money::from_cents(33)
            ]
        );
        assert!(split(Money::from_cents(5), 0).is_empty());
        let plan = default_plan();
        let projects = [
            project(2026, 1_000_001, "axe-1", &["dechets", "habitat"]),
            project(2026, 500_000, "axe-2", &[]),
        ];
        let themes = by_theme(&plan, &projects);
        let dechets = themes.iter().find(|l| l.label == "Déchets").unwrap();
        assert_eq!(dechets.figures.granted, Money::from_cents(500_001));
        assert_eq!(dechets.figures.projects, 1);
        let habitat = themes.iter().find(|l| l.label == "Habitat").unwrap();
        assert_eq!(habitat.figures.granted, Money::from_cents(500_000));
        let none = themes.last().unwrap();
        assert_eq!(none.label, "Sans thème du plan");
        assert_eq!(none.figures.granted, Money::from_euros(5_000));
        let sum: Money = themes.iter().map(|l| l.figures.granted).sum();
        assert_eq!(sum, Money::from_cents(1_500_001));
        // What was paid is split the same way and adds up too.
        assert_eq!(dechets.figures.paid, Money::from_cents(250_000));
        assert_eq!(habitat.figures.paid, Money::from_cents(250_000));
        assert_eq!(none.figures.paid, Money::from_cents(250_000));
        let axes = by_axis(&plan, &projects);
        assert_eq!(axes[0].figures.paid, Money::from_cents(500_000));
        assert_eq!(total(&projects).paid, Money::from_cents(750_000));
    }

    #[test]
    fn indicators_compare_the_year_with_its_targets_and_jobs_expected_with_retained() {
        let plan = default_plan();
        let mut evaluated = project(2026, 1_000_000, "axe-1", &["dechets"]);
        evaluated.retained = Some((3, 0));
        let projects = vec![
            evaluated,
            project(2026, 2_000_000, "axe-3", &[]),
            project(2025, 9_900_000, "axe-1", &[]),
        ];
        let readings = readings(&plan, &projects, 2026);
        let read = |measure| {
            readings
                .iter()
                .find(|r| r.indicator.measure == measure)
                .unwrap()
        };
        let supported = read(Measure::ProjetsSoutenus);
        assert_eq!(supported.value, Value::Count(2));
        assert_eq!(supported.target, Some(Value::Count(40)));
        assert_eq!(supported.percent_of_target(), Some(5));
        let granted = read(Measure::MontantsAccordes);
        assert_eq!(granted.value, Value::Amount(Money::from_euros(30_000)));
        assert_eq!(granted.value.to_string(), "30 000,00 €");
        assert_eq!(granted.percent_of_target(), None);
        let created = read(Measure::EmploisCrees);
        assert_eq!(created.value, Value::Count(3));
        assert_eq!(created.expected, Some(4));
        assert_eq!(created.evaluated, 1);
        let axes = by_axis(&plan, of_year(&projects, 2026));
        assert_eq!(axes.len(), 4);
        assert_eq!(axes[0].figures.granted, Money::from_euros(10_000));
        assert_eq!(axes[0].figures.retained_created, 3);
        assert_eq!(axes[2].figures.projects, 1);
        let all = total(&projects);
        assert_eq!(all.projects, 3);
        assert_eq!(all.granted, Money::from_euros(129_000));
    }

    #[test]
    fn an_axis_envelope_refuses_a_commitment_beyond_it_unless_overridden() {
        assert_eq!(
            commit_in_axis(
                2026,
                "Axe 1",
                None,
                Money::ZERO,
                Money::from_euros(1),
                false
            ),
            Ok(None)
        );
        let envelope = Some(Money::from_euros(100_000));
        assert_eq!(
            commit_in_axis(
                2026,
                "Axe 1",
                envelope,
                Money::from_euros(90_000),
                Money::from_euros(10_000),
                false
            ),
            Ok(Some(Commitment::Within { left: Money::ZERO }))
        );
        let refused = commit_in_axis(
            2026,
            "Axe 1",
            envelope,
            Money::from_euros(90_000),
            Money::from_cents(1_000_001),
            false,
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Enveloppe 2026 de l’axe « Axe 1 » : engager 10 000,01 € porterait ses engagements à \
             100 000,01 €, au-delà de son enveloppe de 100 000,00 € (reste 10 000,00 €). Seul un \
             administrateur peut passer outre."
        );
        assert_eq!(
            commit_in_axis(
                2026,
                "Axe 1",
                envelope,
                Money::from_euros(90_000),
                Money::from_cents(1_000_001),
                true
            ),
            Ok(Some(Commitment::Overridden {
                beyond: Money::from_cents(1)
            }))
        );
    }

    #[test]
    fn the_year_is_split_by_axis_with_what_each_committed_and_left() {
        let mut plan = default_plan();
        plan.budgets.retain(|b| b.year != 2026);
        plan.budgets.push(BudgetEnvelope {
            year: 2026,
            amount: Money::from_euros(350_000),
            scope: String::new(),
            axes: vec![AxisEnvelope {
                axis: key("axe-1"),
                amount: Money::from_euros(300_000),
            }],
        });
        plan.validate().unwrap();
        let projects = [
            project(2026, 5_000_000, "axe-1", &[]),
            project(2026, 700_000, "axe-2", &[]),
        ];
        let budgets = axis_budgets(&plan, &projects, 2026);
        assert_eq!(budgets[0].envelope, Some(Money::from_euros(300_000)));
        assert_eq!(budgets[0].left, Some(Money::from_euros(250_000)));
        assert_eq!(budgets[1].envelope, None);
        assert_eq!(budgets[1].line.figures.granted, Money::from_euros(7_000));
        assert_eq!(budgets[1].left, None);
    }
}
