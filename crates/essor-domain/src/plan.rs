//! The plan referential: a territory's ESS plan with its period, orientations, priority themes,
//! axes, committees, staff, yearly budget envelopes, actions and partners.
//!
//! A plan is written by people in a TOML file (`data/plans/*.toml`), checked here, and stored.
//! Everything else in essor (dossiers, actions, indicators) is tagged with the keys defined here.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::ids::CodeCommune;
use crate::money::{Money, group_thousands};

/// The plan essor ships with: Grenoble-Alpes-Métropole's PDESS 2016-2020, as published.
pub const DEFAULT_PLAN_TOML: &str =
    include_str!("../../../data/plans/grenoble-alpes-metropole.toml");

/// The plan essor ships with, read and checked.
///
/// # Panics
/// Never in a released build: the file is part of the binary and the tests read it.
#[must_use]
pub fn default_plan() -> Plan {
    Plan::from_toml(DEFAULT_PLAN_TOML)
        .expect("the default plan data/plans/grenoble-alpes-metropole.toml must be valid")
}

/// A stable key (`dechets`, `axe-1`): lower-case ASCII letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Key(String);

impl Key {
    pub fn parse(raw: &str) -> Result<Self, PlanError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PlanError::BadKey(raw.to_owned()))
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Key {
    type Error = PlanError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Key> for String {
    fn from(key: Key) -> Self {
        key.0
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "la clé « {0} » n’est pas valide : lettres minuscules sans accent, chiffres, « - » et « _ »"
    )]
    BadKey(String),
    #[error("le fichier du plan est illisible : {0}")]
    Syntax(String),
    #[error("la clé « {key} » est utilisée deux fois dans « {section} »")]
    DuplicateKey { section: &'static str, key: String },
    #[error("l’action « {action} » cite {what} « {key} », qui n’existe pas dans le plan")]
    UnknownReference {
        action: String,
        what: &'static str,
        key: String,
    },
    #[error("la période du plan est invalide : {start} à {end}")]
    BadPeriod { start: i32, end: i32 },
    #[error("le budget de l’année {0} est donné deux fois")]
    DuplicateBudgetYear(i32),
    #[error("le champ « {0} » ne doit pas être vide")]
    Empty(&'static str),
    #[error("le budget de l’année {year} cite l’axe « {axis} », qui n’existe pas dans le plan")]
    UnknownAxisEnvelope { year: i32, axis: String },
    #[error("le budget de l’année {year} donne deux fois l’enveloppe de l’axe « {axis} »")]
    DuplicateAxisEnvelope { year: i32, axis: String },
    #[error(
        "le budget de l’année {year} réserve {split} aux axes, plus que son montant ({amount})"
    )]
    AxisSplitExceeds {
        year: i32,
        split: Money,
        amount: Money,
    },
    #[error("le budget de l’année {year} donne à l’axe « {axis} » un montant négatif")]
    NegativeAxisEnvelope { year: i32, axis: String },
}

/// The whole plan, as written in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Stable identifier, for example `pdess-2016-2020`.
    pub key: Key,
    /// The territory it applies to, as `epci:200040715`.
    pub territory: String,
    pub title: String,
    /// Short name used in running text (`PDESS`).
    pub short_title: String,
    pub period: Period,
    /// The year the authority's ESS policy started, if older than the plan (2003).
    #[serde(default)]
    pub policy_since: Option<i32>,
    /// What the plan is for, in a few sentences.
    pub summary: String,
    /// The policy's history and how the plan was made.
    #[serde(default)]
    pub history: String,
    /// Where the text comes from.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub staff: Vec<Staff>,
    #[serde(default)]
    pub budgets: Vec<BudgetEnvelope>,
    #[serde(default)]
    pub reference_panorama: Option<ReferencePanorama>,
    pub orientations: Vec<Orientation>,
    pub themes: Vec<Theme>,
    pub axes: Vec<Axis>,
    #[serde(default)]
    pub committees: Vec<Committee>,
    #[serde(default)]
    pub partners: Vec<Partner>,
    #[serde(default)]
    pub actions: Vec<Action>,
    /// The indicators the plan is steered by, with their yearly targets.
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub start: i32,
    pub end: i32,
}

/// People who run the plan day to day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub title: String,
    pub count: u32,
    pub service: String,
}

/// The yearly budget envelope of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetEnvelope {
    pub year: i32,
    pub amount: Money,
    /// What the amount covers or leaves out.
    #[serde(default)]
    pub scope: String,
    /// The part of the amount reserved for some axes, when the plan splits it (at most the
    /// year's amount in all); an axis not listed has no envelope of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub axes: Vec<AxisEnvelope>,
}

impl BudgetEnvelope {
    /// The envelope of an axis, when the year's amount is split.
    #[must_use]
    pub fn of_axis(&self, axis: &Key) -> Option<Money> {
        self.axes.iter().find(|a| &a.axis == axis).map(|a| a.amount)
    }
}

/// The envelope of one axis in a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisEnvelope {
    pub axis: Key,
    pub amount: Money,
}

/// What an indicator of the plan counts, computed from the dossiers and their evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Dossiers accepted in the year.
    ProjetsSoutenus,
    /// The amounts granted in the year, in euros.
    MontantsAccordes,
    /// Jobs created: expected at application, actual from the evaluations.
    EmploisCrees,
    /// Jobs consolidated: expected at application, actual from the evaluations.
    EmploisConsolides,
}

/// An indicator of the plan, with its yearly target when the plan gives one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub key: Key,
    pub title: String,
    pub measure: Measure,
    /// The yearly target (a count, or whole euros for amounts).
    #[serde(default)]
    pub target: Option<u64>,
    /// The target is an order of magnitude (« une quarantaine »).
    #[serde(default)]
    pub approximate: bool,
    /// Where the target comes from.
    #[serde(default)]
    pub source: String,
}

/// The panorama figures the plan itself publishes, kept to compare with the observatory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferencePanorama {
    pub establishments: u32,
    pub establishments_share_pct: u32,
    pub jobs: u32,
    pub jobs_share_pct: u32,
    /// The sentence as published.
    pub statement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Orientation {
    pub key: Key,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub key: Key,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    pub key: Key,
    pub number: u32,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Committee {
    pub key: Key,
    pub name: String,
    /// Who sits on it.
    pub composition: String,
    /// What it does.
    #[serde(default)]
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub key: Key,
    pub name: String,
    /// Association, cooperative, public body, network, school…
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// For a partner that is a commune: its INSEE code.
    #[serde(default)]
    pub commune: Option<CodeCommune>,
}

/// What kind of line of the plan an action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// An example action of the plan (ARTIS, DLA…).
    Action,
    /// A structuring dynamic the authority drives.
    Dynamique,
    /// ESS inside another public policy.
    Politique,
    /// Engineering support to communes' projects.
    AppuiCommunes,
    /// Financial contracts with other funders.
    Contractualisation,
    /// A standing service of the authority (project funding, facilitation).
    Service,
}

impl ActionKind {
    pub const ALL: [Self; 6] = [
        Self::Action,
        Self::Dynamique,
        Self::Politique,
        Self::AppuiCommunes,
        Self::Contractualisation,
        Self::Service,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Dynamique => "dynamique",
            Self::Politique => "politique",
            Self::AppuiCommunes => "appui_communes",
            Self::Contractualisation => "contractualisation",
            Self::Service => "service",
        }
    }

    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Heading under which actions of this kind are listed.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Action => "Actions du plan",
            Self::Dynamique => "Dynamiques structurantes impulsées par la Métropole",
            Self::Politique => "L’ESS dans les autres politiques publiques",
            Self::AppuiCommunes => "Appui à l’ingénierie des projets des communes",
            Self::Contractualisation => "Contractualisations financières",
            Self::Service => "Services permanents aux acteurs de l’ESS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub key: Key,
    pub kind: ActionKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub orientations: Vec<Key>,
    #[serde(default)]
    pub themes: Vec<Key>,
    #[serde(default)]
    pub axes: Vec<Key>,
    #[serde(default)]
    pub partners: Vec<Key>,
    /// Key figures the plan publishes about the action (`8 000 m²`, `500 emplois`).
    #[serde(default)]
    pub figures: Vec<Figure>,
    /// INSEE codes of the communes the action serves, when it serves some in particular.
    #[serde(default)]
    pub communes: Vec<CodeCommune>,
    /// Urban-policy districts the action targets: `QPV` (quartier prioritaire de la politique
    /// de la ville), `NPNRU` (nouveau programme national de renouvellement urbain).
    #[serde(default)]
    pub districts: Vec<String>,
    /// The year the action was set up, when the plan says so.
    #[serde(default)]
    pub since: Option<i32>,
}

/// A figure the plan publishes about an action: `8 000 m² occupés par des acteurs de l’ESS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub value: u64,
    /// What is counted (`m²`, `emplois`, `projets ESS`).
    pub unit: String,
    /// What the figure says, after the number and unit.
    #[serde(default)]
    pub label: String,
    /// An order of magnitude (« une quarantaine »), written « environ 40 ».
    #[serde(default)]
    pub approximate: bool,
}

impl std::fmt::Display for Figure {
    /// `environ 40 projets ESS instruits chaque année`, `8 000 m² occupés par…`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.approximate {
            f.write_str("environ ")?;
        }
        write!(f, "{} {}", group_thousands(self.value), self.unit)?;
        if !self.label.is_empty() {
            write!(f, " {}", self.label)?;
        }
        Ok(())
    }
}

impl Plan {
    /// Reads and checks a plan written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, PlanError> {
        let plan: Self = toml::from_str(text).map_err(|e| PlanError::Syntax(e.to_string()))?;
        plan.validate()?;
        Ok(plan)
    }

    /// Writes the plan back as TOML.
    #[must_use]
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks the rules a plan must keep: unique keys, known references, a sane period.
    pub fn validate(&self) -> Result<(), PlanError> {
        if self.title.trim().is_empty() {
            return Err(PlanError::Empty("title"));
        }
        if self.period.end < self.period.start {
            return Err(PlanError::BadPeriod {
                start: self.period.start,
                end: self.period.end,
            });
        }
        let orientations = unique_keys("orientations", self.orientations.iter().map(|o| &o.key))?;
        let themes = unique_keys("themes", self.themes.iter().map(|t| &t.key))?;
        let axes = unique_keys("axes", self.axes.iter().map(|a| &a.key))?;
        unique_keys("committees", self.committees.iter().map(|c| &c.key))?;
        let partners = unique_keys("partners", self.partners.iter().map(|p| &p.key))?;
        unique_keys("actions", self.actions.iter().map(|a| &a.key))?;
        unique_keys("indicators", self.indicators.iter().map(|i| &i.key))?;
        let mut years = HashSet::new();
        for budget in &self.budgets {
            if !years.insert(budget.year) {
                return Err(PlanError::DuplicateBudgetYear(budget.year));
            }
            check_axis_envelopes(budget, &axes)?;
        }
        if self.indicators.iter().any(|i| i.title.trim().is_empty()) {
            return Err(PlanError::Empty("indicators.title"));
        }
        for action in &self.actions {
            if action.figures.iter().any(|f| f.unit.trim().is_empty()) {
                return Err(PlanError::Empty("figures.unit"));
            }
            if action.districts.iter().any(|d| d.trim().is_empty()) {
                return Err(PlanError::Empty("districts"));
            }
            let checks: [(&'static str, &Vec<Key>, &HashSet<&Key>); 4] = [
                ("l’orientation", &action.orientations, &orientations),
                ("la thématique", &action.themes, &themes),
                ("l’axe", &action.axes, &axes),
                ("le partenaire", &action.partners, &partners),
            ];
            for (what, refs, known) in checks {
                if let Some(missing) = refs.iter().find(|k| !known.contains(k)) {
                    return Err(PlanError::UnknownReference {
                        action: action.key.to_string(),
                        what,
                        key: missing.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Total staff count.
    #[must_use]
    pub fn staff_count(&self) -> u32 {
        self.staff.iter().map(|s| s.count).sum()
    }

    /// The most recent budget envelope.
    #[must_use]
    pub fn latest_budget(&self) -> Option<&BudgetEnvelope> {
        self.budgets.iter().max_by_key(|b| b.year)
    }

    #[must_use]
    pub fn theme(&self, key: &Key) -> Option<&Theme> {
        self.themes.iter().find(|t| &t.key == key)
    }

    #[must_use]
    pub fn axis(&self, key: &Key) -> Option<&Axis> {
        self.axes.iter().find(|a| &a.key == key)
    }

    #[must_use]
    pub fn orientation(&self, key: &Key) -> Option<&Orientation> {
        self.orientations.iter().find(|o| &o.key == key)
    }

    #[must_use]
    pub fn partner(&self, key: &Key) -> Option<&Partner> {
        self.partners.iter().find(|p| &p.key == key)
    }

    /// The actions of one kind, in the plan's order.
    pub fn actions_of(&self, kind: ActionKind) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(move |a| a.kind == kind)
    }

    /// The actions a partner takes part in.
    pub fn actions_with_partner<'a>(
        &'a self,
        partner: &'a Key,
    ) -> impl Iterator<Item = &'a Action> {
        self.actions
            .iter()
            .filter(move |a| a.partners.contains(partner))
    }
}

/// An axis split names known axes once each, with amounts that fit in the year's.
fn check_axis_envelopes(
    budget: &BudgetEnvelope,
    known_axes: &HashSet<&Key>,
) -> Result<(), PlanError> {
    let mut seen = HashSet::new();
    for share in &budget.axes {
        let axis = share.axis.to_string();
        if !known_axes.contains(&share.axis) {
            return Err(PlanError::UnknownAxisEnvelope {
                year: budget.year,
                axis,
            });
        }
        if !seen.insert(&share.axis) {
            return Err(PlanError::DuplicateAxisEnvelope {
                year: budget.year,
                axis,
            });
        }
        if share.amount < Money::ZERO {
            return Err(PlanError::NegativeAxisEnvelope {
                year: budget.year,
                axis,
            });
        }
    }
    let split: Money = budget.axes.iter().map(|a| a.amount).sum();
    if split > budget.amount {
        return Err(PlanError::AxisSplitExceeds {
            year: budget.year,
            split,
            amount: budget.amount,
        });
    }
    Ok(())
}

fn unique_keys<'a>(
    section: &'static str,
    keys: impl Iterator<Item = &'a Key>,
) -> Result<HashSet<&'a Key>, PlanError> {
    let mut seen = HashSet::new();
    for key in keys {
        if !seen.insert(key) {
            return Err(PlanError::DuplicateKey {
                section,
                key: key.to_string(),
            });
        }
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
key = "plan-test"
territory = "epci:200040715"
title = "Plan de test"
short_title = "PT"
period = { start = 2016, end = 2020 }
summary = "Un plan."

[[budgets]]
year = 2019
amount = 350000

[[orientations]]
key = "creation"
title = "Renforcer la création"

[[themes]]
key = "dechets"
title = "Déchets"

[[axes]]
key = "axe-1"
number = 1
title = "Entrepreneuriat"

[[partners]]
key = "gaia"
name = "GAIA"

[[actions]]
key = "dla"
kind = "action"
title = "DLA"
themes = ["dechets"]
axes = ["axe-1"]
partners = ["gaia"]
"#;

    #[test]
    fn a_well_formed_plan_is_read() {
        let plan = Plan::from_toml(MINIMAL).unwrap();
        assert_eq!(
            plan.latest_budget().unwrap().amount.format_euros(),
            "350 000 €"
        );
        let gaia = Key::parse("gaia").unwrap();
        assert_eq!(plan.actions_with_partner(&gaia).count(), 1);
        assert_eq!(Plan::from_toml(&plan.to_toml()).unwrap(), plan);
    }

    #[test]
    fn an_action_citing_an_unknown_theme_is_refused_with_both_named() {
        let text = MINIMAL.replace("themes = [\"dechets\"]", "themes = [\"energie\"]");
        let err = Plan::from_toml(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "l’action « dla » cite la thématique « energie », qui n’existe pas dans le plan"
        );
    }

    #[test]
    fn a_key_used_twice_is_refused() {
        let text = format!("{MINIMAL}\n[[themes]]\nkey = \"dechets\"\ntitle = \"Encore\"\n");
        assert!(matches!(
            Plan::from_toml(&text),
            Err(PlanError::DuplicateKey {
                section: "themes",
                ..
            })
        ));
    }

    #[test]
    fn bad_keys_periods_and_unknown_fields_are_refused() {
        assert!(Plan::from_toml(&MINIMAL.replace("\"axe-1\"", "\"Axe 1\"")).is_err());
        assert!(matches!(
            Plan::from_toml(&MINIMAL.replace("end = 2020", "end = 2010")),
            Err(PlanError::BadPeriod { .. })
        ));
        let err = Plan::from_toml(&MINIMAL.replace("summary =", "resume = \"x\"\nsummary ="))
            .unwrap_err();
        assert!(err.to_string().contains("resume"), "{err}");
    }

    fn key(raw: &str) -> Key {
        Key::parse(raw).unwrap()
    }

    #[test]
    fn the_default_plan_is_read_and_checked() {
        let plan = default_plan();
        assert_eq!(plan.key.as_str(), "pdess-2016-2020");
        assert_eq!(plan.territory, "epci:200040715");
        assert_eq!(plan.short_title, "PDESS");
        assert_eq!(
            plan.period,
            Period {
                start: 2016,
                end: 2020
            }
        );
        assert_eq!(plan.policy_since, Some(2003));
        assert!(
            plan.summary
                .starts_with("Le PDESS vise à créer et à consolider des emplois")
        );
        assert!(plan.history.contains("2003"));
        assert!(plan.history.contains("concertation avec les acteurs"));
        assert!(plan.source.contains("plaquette"));
        plan.validate().unwrap();
    }

    #[test]
    fn the_default_plan_has_the_three_published_orientations_verbatim() {
        let plan = default_plan();
        let titles: Vec<&str> = plan.orientations.iter().map(|o| o.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Renforcer la création et la consolidation d\u{2019}activités et d\u{2019}emplois en ESS",
                "Promouvoir l\u{2019}offre de services et de produits des entreprises de l\u{2019}ESS",
                "Favoriser les collaborations entre structures et le rapprochement avec les autres acteurs de l\u{2019}économie",
            ]
        );
        assert!(plan.orientations.iter().all(|o| !o.description.is_empty()));
    }

    #[test]
    fn the_default_plan_has_the_five_priority_themes_with_the_observatory_keys() {
        let plan = default_plan();
        let themes: Vec<(&str, &str)> = plan
            .themes
            .iter()
            .map(|t| (t.key.as_str(), t.title.as_str()))
            .collect();
        assert_eq!(
            themes,
            [
                (
                    "transition_energetique",
                    "Transition énergétique / Environnement"
                ),
                ("dechets", "Déchets"),
                ("circuits_courts", "Circuits courts / Alimentation"),
                ("mobilites", "Mobilités"),
                ("habitat", "Habitat"),
            ]
        );
        assert!(plan.themes.iter().all(|t| !t.description.is_empty()));
    }

    #[test]
    fn the_default_plan_has_four_numbered_axes_with_the_published_titles() {
        let plan = default_plan();
        let axes: Vec<(&str, u32, &str)> = plan
            .axes
            .iter()
            .map(|a| (a.key.as_str(), a.number, a.title.as_str()))
            .collect();
        assert_eq!(
            axes,
            [
                (
                    "axe-1",
                    1,
                    "Entrepreneuriat et développement d\u{2019}activités en ESS"
                ),
                ("axe-2", 2, "Communication, promotion et sensibilisation"),
                ("axe-3", 3, "Ressources humaines et ESS"),
                ("axe-4", 4, "Observation et prospective"),
            ]
        );
        assert!(plan.axes.iter().all(|a| !a.description.is_empty()));
    }

    #[test]
    fn the_default_plan_has_its_two_committees() {
        let plan = default_plan();
        let keys: Vec<&str> = plan.committees.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["comite-acteurs-locaux", "comite-pilotage"]);
        assert!(
            plan.committees[0]
                .composition
                .contains("partenaires publics et privés")
        );
        assert!(
            plan.committees[1]
                .composition
                .contains("Conseil métropolitain")
        );
        assert!(plan.committees.iter().all(|c| !c.role.is_empty()));
    }

    #[test]
    fn the_default_plan_has_the_2019_budget_and_two_staff() {
        let plan = default_plan();
        let budget = plan.budgets.iter().find(|b| b.year == 2019).unwrap();
        // The yearly envelopes of the dossiers renew the 2019 amount.
        for year in 2022..=2026 {
            let envelope = plan.budgets.iter().find(|b| b.year == year).unwrap();
            assert_eq!(envelope.amount, Money::from_euros(350_000), "{year}");
        }
        assert_eq!(plan.latest_budget().unwrap().year, 2026);
        assert_eq!(budget.amount, Money::from_euros(350_000));
        assert_eq!(budget.amount.format_euros(), "350 000 €");
        assert_eq!(
            budget.scope,
            "hors crédits de fonctionnement des SIAE, structures d'accompagnement et financement \
             de l\u{2019}ESS et hors crédits services thématiques dont politique de la ville et \
             hors financements des communes"
        );
        assert_eq!(plan.staff_count(), 2);
        assert_eq!(
            plan.staff[0].service,
            "Direction du développement économique"
        );
    }

    #[test]
    fn the_default_plan_keeps_the_published_panorama() {
        let panorama = default_plan().reference_panorama.unwrap();
        assert_eq!(
            (
                panorama.establishments,
                panorama.establishments_share_pct,
                panorama.jobs,
                panorama.jobs_share_pct
            ),
            (1875, 10, 20_000, 10)
        );
        assert_eq!(
            panorama.statement,
            "1875 établissements soit 10% des entreprises du territoire et 1 emploi sur 10 soit \
             20000 emplois."
        );
    }

    #[test]
    fn every_partner_of_the_default_plan_takes_part_in_an_action() {
        let plan = default_plan();
        for partner in &plan.partners {
            assert!(
                plan.actions_with_partner(&partner.key).next().is_some(),
                "{} is in no action",
                partner.key
            );
            assert!(!partner.kind.is_empty() && !partner.description.is_empty());
        }
    }

    #[test]
    fn the_default_plan_names_the_seed_actions_and_partners() {
        let plan = default_plan();
        for kind in ActionKind::ALL {
            assert!(plan.actions_of(kind).next().is_some(), "no {kind:?}");
        }
        let artis = plan.actions.iter().find(|a| a.key == key("artis")).unwrap();
        let figures: Vec<String> = artis.figures.iter().map(ToString::to_string).collect();
        assert_eq!(
            figures[0],
            "8 000 m² occupés par des acteurs de l\u{2019}ESS et des artisans"
        );
        assert!(figures[1].starts_with("500 emplois"));
        assert!(artis.partners.contains(&key("scic-la-pousada")));
        let dla = plan.actions.iter().find(|a| a.key == key("dla")).unwrap();
        assert_eq!(
            plan.partner(&dla.partners[0]).unwrap().name,
            "GAIA (France Active)"
        );
        let calisoli = plan
            .actions
            .iter()
            .find(|a| a.key == key("reseau-calisoli"))
            .unwrap();
        assert_eq!(calisoli.themes, [key("circuits_courts")]);
        let energy = plan
            .actions
            .iter()
            .find(|a| a.key == key("precarite-energetique"))
            .unwrap();
        assert_eq!(
            energy.themes,
            [key("transition_energetique"), key("habitat")]
        );
        let projects = plan
            .actions
            .iter()
            .find(|a| a.key == key("soutien-projets-ess"))
            .unwrap();
        assert_eq!(
            projects.figures[0].to_string(),
            "environ 40 projets ESS instruits, soutenus et accompagnés chaque année"
        );
        let npnru = plan
            .actions
            .iter()
            .find(|a| a.districts.iter().any(|d| d == "NPNRU"))
            .unwrap();
        assert_eq!(npnru.communes[0].as_str(), "38151");
        let prospective = plan
            .actions
            .iter()
            .find(|a| a.key == key("ateliers-prospectiv-ess"));
        assert_eq!(prospective.unwrap().since, Some(2019));
        for name in [
            "SCIC La Pousada",
            "Alpesolidaires",
            "Sciences Po Grenoble",
            "Calisoli",
            "AIRES",
            "Banque des Territoires",
            "Région Auvergne-Rhône-Alpes",
            "Commune d\u{2019}Échirolles",
            "Commune du Sappey-en-Chartreuse",
        ] {
            assert!(plan.partners.iter().any(|p| p.name == name), "{name}");
        }
    }

    #[test]
    fn the_default_plan_survives_toml_and_json_round_trips() {
        let plan = default_plan();
        assert_eq!(Plan::from_toml(&plan.to_toml()).unwrap(), plan);
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), plan);
    }

    #[test]
    fn an_axis_split_names_known_axes_once_and_fits_in_the_year() {
        let split = |axes: &str| {
            MINIMAL.replace(
                "amount = 350000\n",
                &format!("amount = 350000\naxes = [{axes}]\n"),
            )
        };
        let plan = Plan::from_toml(&split("{ axis = \"axe-1\", amount = 300000 }")).unwrap();
        let budget = plan.latest_budget().unwrap();
        assert_eq!(
            budget.of_axis(&key("axe-1")),
            Some(Money::from_euros(300_000))
        );
        assert_eq!(budget.of_axis(&key("axe-2")), None);
        assert_eq!(Plan::from_toml(&plan.to_toml()).unwrap(), plan);
        assert_eq!(
            Plan::from_toml(&split("{ axis = \"axe-1\", amount = 350001 }"))
                .unwrap_err()
                .to_string(),
            "le budget de l’année 2019 réserve 350 001,00 € aux axes, plus que son montant \
             (350 000,00 €)"
        );
        assert!(matches!(
            Plan::from_toml(&split("{ axis = \"axe-9\", amount = 1 }")),
            Err(PlanError::UnknownAxisEnvelope { year: 2019, .. })
        ));
        assert!(matches!(
            Plan::from_toml(&split(
                "{ axis = \"axe-1\", amount = 1 }, { axis = \"axe-1\", amount = 2 }"
            )),
            Err(PlanError::DuplicateAxisEnvelope { .. })
        ));
        assert!(matches!(
            Plan::from_toml(&split("{ axis = \"axe-1\", amount = -1 }")),
            Err(PlanError::NegativeAxisEnvelope { .. })
        ));
        let unknown = Plan::from_toml(&split("{ axis = \"axe-1\", amount = 1, note = 2 }"));
        assert!(unknown.unwrap_err().to_string().contains("note"));
    }

    #[test]
    fn the_default_plan_steers_by_its_indicators_with_the_published_target() {
        let plan = default_plan();
        let projects = plan
            .indicators
            .iter()
            .find(|i| i.measure == Measure::ProjetsSoutenus)
            .unwrap();
        assert_eq!(projects.target, Some(40));
        assert!(projects.approximate);
        for measure in [
            Measure::MontantsAccordes,
            Measure::EmploisCrees,
            Measure::EmploisConsolides,
        ] {
            assert!(plan.indicators.iter().any(|i| i.measure == measure));
        }
        let text = format!(
            "{MINIMAL}\n[[indicators]]\nkey = \"projets\"\ntitle = \"Projets\"\n\
             measure = \"projets_soutenus\"\ncible = 3\n"
        );
        assert!(
            Plan::from_toml(&text)
                .unwrap_err()
                .to_string()
                .contains("cible")
        );
    }

    #[test]
    fn a_figure_without_unit_and_a_bad_commune_code_are_refused() {
        // MINIMAL ends inside its only action, so these lines belong to it.
        let text = format!("{MINIMAL}figures = [{{ value = 3, unit = \" \" }}]\n");
        assert!(matches!(
            Plan::from_toml(&text),
            Err(PlanError::Empty("figures.unit"))
        ));
        let text = format!("{MINIMAL}communes = [\"3815\"]\n");
        let err = Plan::from_toml(&text).unwrap_err();
        assert!(err.to_string().contains("3815"), "{err}");
    }
}
