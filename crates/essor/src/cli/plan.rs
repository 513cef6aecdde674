//! `essor plan`: the territory's ESS plan, as French text for people or as JSON or TOML for tools.
//!
//! Rendering is pure (a plan in, a string out) so that the same text serves the CLI, tests and
//! any caller that stores or loads the plan elsewhere.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use essor_domain::Plan;
use essor_domain::money::group_thousands;
use essor_domain::plan::{ActionKind, Key};

/// Lines of the text rendering are wrapped to this many characters.
const WIDTH: usize = 100;

/// How a plan is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Texte lisible, en français.
    Text,
    /// JSON indenté.
    Json,
    /// TOML, dans le format des fichiers de plan.
    Toml,
}

#[derive(Debug, clap::Subcommand)]
pub enum PlanCommand {
    /// Affiche le plan ESS du territoire.
    Show {
        /// Format de sortie.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Lit le plan dans ce fichier TOML (et le vérifie) au lieu de la base de données.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Vérifie un fichier de plan et l’enregistre (il remplace le plan de même clé).
    Load {
        /// Fichier TOML du plan, comme data/plans/grenoble-alpes-metropole.toml.
        file: PathBuf,
        /// Fait de son territoire le territoire par défaut.
        #[arg(long)]
        default: bool,
    },
}

/// Reads and checks a plan file, with an error that names the file.
pub fn read_file(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "impossible de lire le fichier du plan « {} »",
            path.display()
        )
    })?;
    Plan::from_toml(&text).with_context(|| format!("fichier du plan « {} »", path.display()))
}

/// The plan in the chosen format.
#[must_use]
pub fn render(plan: &Plan, format: Format) -> String {
    match format {
        Format::Text => render_text(plan),
        Format::Json => {
            let mut json =
                serde_json::to_string_pretty(plan).expect("a plan always serialises to JSON");
            json.push('\n');
            json
        }
        Format::Toml => plan.to_toml(),
    }
}

/// The whole plan as readable French text.
#[must_use]
pub fn render_text(plan: &Plan) -> String {
    let mut out = String::new();
    push_identity(&mut out, plan);
    push_means(&mut out, plan);
    push_referential(&mut out, plan);
    push_committees(&mut out, plan);
    for kind in ActionKind::ALL {
        push_actions(&mut out, plan, kind);
    }
    push_partners(&mut out, plan);
    out
}

/// Title, territory, period, summary, history and source.
fn push_identity(out: &mut String, plan: &Plan) {
    let title = format!("{} ({})", plan.title, plan.short_title);
    out.push_str(&title);
    out.push('\n');
    out.push_str(&"=".repeat(title.chars().count()));
    out.push('\n');
    let territory = format!("Territoire : {}", territory_label(&plan.territory));
    push_wrapped(out, "", "", &territory);
    let period = format!("Période : {}-{}", plan.period.start, plan.period.end);
    push_wrapped(out, "", "", &period);
    if let Some(year) = plan.policy_since {
        push_wrapped(
            out,
            "",
            "",
            &format!("Politique en faveur de l’ESS depuis {year}"),
        );
    }
    heading(out, "Objet du plan");
    push_wrapped(out, "  ", "  ", &plan.summary);
    if !plan.history.is_empty() {
        heading(out, "Historique");
        push_wrapped(out, "  ", "  ", &plan.history);
    }
    if !plan.source.is_empty() {
        heading(out, "Source");
        push_wrapped(out, "  ", "  ", &plan.source);
    }
}

/// Staff, budget envelopes and the published panorama.
fn push_means(out: &mut String, plan: &Plan) {
    if !plan.staff.is_empty() {
        heading(out, "Équipe");
        for staff in &plan.staff {
            let text = format!("{} {} ({})", staff.count, staff.title, staff.service);
            push_wrapped(out, "  - ", "    ", &text);
        }
    }
    if !plan.budgets.is_empty() {
        heading(out, "Budget annuel consacré à l’ESS");
        let mut budgets: Vec<_> = plan.budgets.iter().collect();
        budgets.sort_by_key(|b| b.year);
        for budget in budgets {
            let mut text = format!("{} : {}", budget.year, budget.amount.format_euros());
            if !budget.scope.is_empty() {
                let _ = write!(text, " ({})", budget.scope);
            }
            push_wrapped(out, "  - ", "    ", &text);
        }
    }
    if let Some(panorama) = &plan.reference_panorama {
        heading(out, "Panorama de l’ESS publié avec le plan");
        let text = format!(
            "{} établissements de l’ESS ({} % des entreprises du territoire) et {} emplois ({} % \
             des emplois).",
            group_thousands(panorama.establishments.into()),
            panorama.establishments_share_pct,
            group_thousands(panorama.jobs.into()),
            panorama.jobs_share_pct,
        );
        push_wrapped(out, "  ", "  ", &text);
        if !panorama.statement.is_empty() {
            let statement = format!("Texte publié : « {} »", panorama.statement);
            push_wrapped(out, "  ", "  ", &statement);
        }
    }
}

/// Orientations, themes and axes.
fn push_referential(out: &mut String, plan: &Plan) {
    heading(out, &format!("Orientations ({})", plan.orientations.len()));
    for (number, orientation) in (1..).zip(&plan.orientations) {
        push_wrapped(out, &format!("  {number}. "), "     ", &orientation.title);
        push_description(out, "     ", &orientation.description);
    }
    heading(
        out,
        &format!("Thématiques prioritaires ({})", plan.themes.len()),
    );
    for theme in &plan.themes {
        push_wrapped(out, "  - ", "    ", &theme.title);
        push_description(out, "    ", &theme.description);
    }
    heading(out, &format!("Axes d’intervention ({})", plan.axes.len()));
    for axis in &plan.axes {
        push_wrapped(out, "  ", "    ", &axis_label(plan, &axis.key));
        push_description(out, "    ", &axis.description);
    }
}

fn push_committees(out: &mut String, plan: &Plan) {
    if plan.committees.is_empty() {
        return;
    }
    let title = format!(
        "Instances d’animation et de suivi ({})",
        plan.committees.len()
    );
    heading(out, &title);
    for committee in &plan.committees {
        push_wrapped(out, "  - ", "    ", &committee.name);
        let composition = format!("Composition : {}", committee.composition);
        push_wrapped(out, "    ", "      ", &composition);
        if !committee.role.is_empty() {
            push_wrapped(out, "    ", "      ", &format!("Rôle : {}", committee.role));
        }
    }
}

/// The actions of one kind under the kind's heading, each with what it is tagged with.
fn push_actions(out: &mut String, plan: &Plan, kind: ActionKind) {
    let actions: Vec<_> = plan.actions_of(kind).collect();
    if actions.is_empty() {
        return;
    }
    heading(out, &format!("{} ({})", kind.label(), actions.len()));
    for action in actions {
        push_wrapped(out, "  - ", "    ", &action.title);
        push_description(out, "    ", &action.description);
        let figures: Vec<String> = action.figures.iter().map(ToString::to_string).collect();
        push_list(out, "Chiffres clés", &figures, " ; ");
        if let Some(year) = action.since {
            push_wrapped(out, "    ", "      ", &format!("Depuis : {year}"));
        }
        let orientations: Vec<String> = action
            .orientations
            .iter()
            .map(|key| orientation_label(plan, key))
            .collect();
        push_list(out, "Orientations", &orientations, " ; ");
        let themes: Vec<String> = action
            .themes
            .iter()
            .map(|key| {
                plan.theme(key)
                    .map_or_else(|| key.to_string(), |t| t.title.clone())
            })
            .collect();
        push_list(out, "Thématiques", &themes, " ; ");
        let axes: Vec<String> = action
            .axes
            .iter()
            .map(|key| axis_label(plan, key))
            .collect();
        push_list(out, "Axes", &axes, " ; ");
        let partners: Vec<String> = action
            .partners
            .iter()
            .map(|key| {
                plan.partner(key)
                    .map_or_else(|| key.to_string(), |p| p.name.clone())
            })
            .collect();
        push_list(out, "Partenaires", &partners, ", ");
        let communes: Vec<String> = action.communes.iter().map(ToString::to_string).collect();
        push_list(out, "Communes (code INSEE)", &communes, ", ");
        push_list(out, "Quartiers", &action.districts, ", ");
    }
}

/// The partners, each with the actions it takes part in.
fn push_partners(out: &mut String, plan: &Plan) {
    if plan.partners.is_empty() {
        return;
    }
    heading(out, &format!("Partenaires ({})", plan.partners.len()));
    for partner in &plan.partners {
        let name = if partner.kind.is_empty() {
            partner.name.clone()
        } else {
            format!("{} — {}", partner.name, partner.kind)
        };
        push_wrapped(out, "  - ", "    ", &name);
        push_description(out, "    ", &partner.description);
        if let Some(commune) = &partner.commune {
            push_wrapped(out, "    ", "      ", &format!("Code INSEE : {commune}"));
        }
        let actions: Vec<String> = plan
            .actions_with_partner(&partner.key)
            .map(|a| a.title.clone())
            .collect();
        push_list(out, "Actions", &actions, " ; ");
    }
}

/// `epci:200040715` as people read it.
fn territory_label(territory: &str) -> String {
    match territory.split_once(':') {
        Some(("epci", siren)) => format!("intercommunalité (EPCI), SIREN {siren}"),
        Some(("departement", code)) => format!("département {code}"),
        Some(("commune", code)) => format!("commune, code INSEE {code}"),
        _ => territory.to_owned(),
    }
}

/// `Axe 1 — Entrepreneuriat et développement d’activités en ESS`.
fn axis_label(plan: &Plan, key: &Key) -> String {
    plan.axis(key).map_or_else(
        || key.to_string(),
        |a| format!("Axe {} — {}", a.number, a.title),
    )
}

/// `2. Promouvoir l’offre…`, numbered by position in the plan.
fn orientation_label(plan: &Plan, key: &Key) -> String {
    plan.orientations
        .iter()
        .position(|o| &o.key == key)
        .map_or_else(
            || key.to_string(),
            |i| format!("{}. {}", i + 1, plan.orientations[i].title),
        )
}

fn heading(out: &mut String, title: &str) {
    out.push('\n');
    out.push_str(title);
    out.push('\n');
    out.push_str(&"-".repeat(title.chars().count()));
    out.push('\n');
}

fn push_description(out: &mut String, indent: &str, text: &str) {
    if !text.is_empty() {
        push_wrapped(out, indent, indent, text);
    }
}

/// `    Partenaires : GAIA (France Active), CCI`, or nothing for an empty list.
fn push_list(out: &mut String, label: &str, items: &[String], separator: &str) {
    if !items.is_empty() {
        let text = format!("{label} : {}", items.join(separator));
        push_wrapped(out, "    ", "      ", &text);
    }
}

/// Writes `text` wrapped at [`WIDTH`], the first line after `first`, the others after `rest`.
/// A line never breaks where French typography forbids it (see [`units`]); a unit longer than
/// the line is kept whole.
fn push_wrapped(out: &mut String, first: &str, rest: &str, text: &str) {
    let mut line = String::from(first);
    let mut width = first.chars().count();
    let mut empty = true;
    for unit in units(text) {
        let len = unit.chars().count();
        if !empty && width + 1 + len > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            width = rest.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            width += 1;
        }
        line.push_str(&unit);
        width += len;
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// The words of `text`, with those that must stay on one line joined by a space: a number and
/// its next group of three digits (`350 000`), a unit or punctuation and what precedes it
/// (`000 €`, `10 %`, `Rôle :`, `ESS »`), an opening quote and what follows it, a list number and
/// its item (`3. Favoriser`).
fn units(text: &str) -> Vec<String> {
    let digits = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
    let mut units: Vec<String> = Vec::new();
    let mut previous = "";
    let mut glue_next = false;
    for word in text.split_whitespace() {
        let glue = glue_next
            || (digits(previous) && word.len() == 3 && digits(word))
            || matches!(word, "€" | "%" | ":" | ";" | "!" | "?" | "»" | "m²" | "—");
        match units.last_mut() {
            Some(last) if glue => {
                last.push(' ');
                last.push_str(word);
            }
            _ => units.push(word.to_owned()),
        }
        glue_next = word == "«" || word.strip_suffix('.').is_some_and(digits);
        previous = word;
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;
    use essor_domain::plan::default_plan;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: PlanCommand,
    }

    /// The lines of the text from the one starting with `start` to the next item of its list.
    fn block<'a>(text: &'a str, start: &str) -> Vec<&'a str> {
        let mut lines = text.lines().skip_while(|l| !l.starts_with(start));
        let first = lines.next().expect(start);
        std::iter::once(first)
            .chain(lines.take_while(|l| l.starts_with("    ")))
            .collect()
    }

    #[test]
    fn the_text_of_the_default_plan_shows_its_referential() {
        let text = render_text(&default_plan());
        for expected in [
            "Plan de développement de l’économie sociale et solidaire 2016-2020 (PDESS)",
            "Période : 2016-2020",
            "SIREN 200040715",
            "Politique en faveur de l’ESS depuis 2003",
            "1. Renforcer la création et la consolidation d’activités et d’emplois en ESS",
            "2. Promouvoir l’offre de services et de produits des entreprises de l’ESS",
            "3. Favoriser les collaborations entre structures et le rapprochement avec les autres",
            "2019 : 350 000 € (hors crédits de fonctionnement des SIAE",
            "2 Chargées de mission économie sociale et solidaire (Direction du développement",
            "1 875 établissements de l’ESS (10 % des entreprises du territoire) et 20 000 emplois",
            "Transition énergétique / Environnement",
            "Circuits courts / Alimentation",
            "Axe 1 — Entrepreneuriat et développement d’activités en ESS",
            "Axe 4 — Observation et prospective",
            "Comité d’acteurs locaux",
            "Composition : Des élus du Conseil métropolitain et des communes.",
        ] {
            assert!(
                text.contains(expected),
                "missing « {expected} » in:\n{text}"
            );
        }
        for kind in ActionKind::ALL {
            assert!(text.contains(kind.label()), "missing {kind:?}");
        }
    }

    #[test]
    fn each_action_lists_its_figures_partners_themes_and_axes_by_name() {
        let text = render_text(&default_plan());
        let artis = block(&text, "  - Hôtel d’activités ARTIS").join("\n");
        assert!(artis.contains("8 000 m² occupés"), "{artis}");
        assert!(artis.contains("Partenaires : SCIC La Pousada,"), "{artis}");
        assert!(artis.contains("Axes : Axe 1 — Entrepreneuriat"), "{artis}");
        let energy = block(&text, "  - Partenariat sur la précarité énergétique").join("\n");
        assert!(
            energy.contains("Thématiques : Transition énergétique / Environnement ; Habitat"),
            "{energy}"
        );
        let projects = block(&text, "  - Instruction, soutien financier").join("\n");
        assert!(projects.contains("environ 40 projets ESS"), "{projects}");
        let gaia = block(&text, "  - GAIA (France Active) — Association").join("\n");
        assert!(gaia.contains("Actions : DLA"), "{gaia}");
    }

    #[test]
    fn the_text_is_wrapped_for_a_terminal() {
        let text = render_text(&default_plan());
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "too long: {line}");
            assert_eq!(line, line.trim_end());
        }
    }

    #[test]
    fn lines_never_break_inside_an_amount_a_quote_or_a_numbered_item() {
        assert_eq!(
            units("Budget : 350 000 € soit 10 % et 3. Favoriser « les acteurs » en 2019 ;"),
            [
                "Budget :",
                "350 000 €",
                "soit",
                "10 %",
                "et",
                "3. Favoriser",
                "« les",
                "acteurs »",
                "en",
                "2019 ;"
            ]
        );
    }

    #[test]
    fn json_and_toml_read_back_to_the_same_plan() {
        let plan = default_plan();
        let json = render(&plan, Format::Json);
        assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), plan);
        assert!(
            json.contains("\n  \"key\": \"pdess-2016-2020\""),
            "not indented"
        );
        assert_eq!(Plan::from_toml(&render(&plan, Format::Toml)).unwrap(), plan);
        assert_eq!(render(&plan, Format::Text), render_text(&plan));
    }

    #[test]
    fn show_takes_a_format_and_a_file() {
        let cli = Cli::try_parse_from(["plan", "show"]).unwrap();
        assert!(matches!(
            cli.command,
            PlanCommand::Show {
                format: Format::Text,
                file: None
            }
        ));
        let cli =
            Cli::try_parse_from(["plan", "show", "--format", "toml", "--file", "p.toml"]).unwrap();
        let PlanCommand::Show { format, file } = cli.command else {
            panic!("plan show parsed as another command");
        };
        assert_eq!(format, Format::Toml);
        assert_eq!(file, Some(PathBuf::from("p.toml")));
        assert!(Cli::try_parse_from(["plan", "show", "--format", "pdf"]).is_err());
    }

    #[test]
    fn a_plan_file_with_an_error_is_refused_with_the_file_and_the_rule_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.toml");
        let broken = essor_domain::plan::DEFAULT_PLAN_TOML.replacen(
            "themes = [\"dechets\"]",
            "themes = [\"ordures\"]",
            1,
        );
        std::fs::write(&path, broken).unwrap();
        let err = format!("{:#}", read_file(&path).unwrap_err());
        assert!(err.contains("plan.toml"), "{err}");
        assert!(err.contains("« ordures »"), "{err}");
        let missing = format!(
            "{:#}",
            read_file(&dir.path().join("absent.toml")).unwrap_err()
        );
        assert!(missing.contains("impossible de lire"), "{missing}");
    }
}
