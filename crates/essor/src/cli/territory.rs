//! `essor territory`: show a territory (its communes and population) or list the EPCI and
//! départements to find a territory's code. Rendering is pure: a territory in, a string out.

use std::fmt::Write as _;

use anyhow::Result;
use essor_domain::money::group_thousands;
use essor_domain::referential::{Commune, Referential};
use essor_domain::territory::{Territory, TerritoryError, TerritoryRef};
use serde::Serialize;

/// How a territory is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Texte lisible, en français.
    Text,
    /// JSON indenté.
    Json,
}

/// What `essor territory list` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListKind {
    /// Les intercommunalités (EPCI).
    Epci,
    /// Les départements.
    Departement,
}

#[derive(Debug, clap::Subcommand)]
pub enum TerritoryCommand {
    /// Affiche un territoire : son nom, sa population et ses communes.
    Show {
        /// Le territoire : epci:SIREN, departement:CODE ou communes:CODE,CODE (par exemple
        /// epci:200040715).
        territory: String,
        /// Format de sortie.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Liste les EPCI ou les départements, pour trouver le code d’un territoire.
    List {
        /// Ce qu’il faut lister.
        #[arg(long, value_enum, default_value = "epci")]
        kind: ListKind,
        /// Ne garde que les EPCI ayant au moins une commune dans ce département (par exemple 38).
        #[arg(long, value_name = "CODE")]
        departement: Option<String>,
        /// Format de sortie.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

pub fn run(cmd: TerritoryCommand) -> Result<()> {
    print!("{}", render_command(cmd, Referential::embedded())?);
    Ok(())
}

/// The output of a command, as it is printed.
fn render_command(cmd: TerritoryCommand, referential: &Referential) -> Result<String> {
    match cmd {
        TerritoryCommand::Show { territory, format } => {
            let reference: TerritoryRef = territory.parse()?;
            let territory = reference.resolve(referential)?;
            render_show(&territory, format)
        }
        TerritoryCommand::List {
            kind,
            departement,
            format,
        } => render_list(referential, kind, departement.as_deref(), format),
    }
}

/// A territory in the chosen format.
pub fn render_show(territory: &Territory, format: Format) -> Result<String> {
    match format {
        Format::Text => Ok(show_text(territory)),
        Format::Json => to_json(&ShowJson::of(territory)),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    let mut json = serde_json::to_string_pretty(value)?;
    json.push('\n');
    Ok(json)
}

fn show_text(territory: &Territory) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", territory.name);
    let _ = writeln!(
        out,
        "{} · {} · territoire {}",
        territory.kind_label,
        code_label(territory),
        territory.reference
    );
    let _ = writeln!(
        out,
        "{} · {} habitants ({})",
        communes_count(territory.communes.len()),
        group_thousands(territory.population),
        population_note(territory)
    );
    if let Some(note) = arrondissements_note(territory) {
        let _ = writeln!(out, "{note}");
    }
    out.push('\n');
    out.push_str(&communes_table(&territory.communes));
    out
}

fn code_label(territory: &Territory) -> String {
    match &territory.reference {
        TerritoryRef::Epci(_) => format!("SIREN {}", territory.code),
        TerritoryRef::Departement(_) => format!("code {}", territory.code),
        TerritoryRef::Communes(codes) if codes.len() == 1 => format!("code {}", territory.code),
        TerritoryRef::Communes(_) => format!("codes {}", territory.code),
    }
}

fn communes_count(count: usize) -> String {
    if count == 1 {
        "1 commune".to_owned()
    } else {
        format!("{} communes", group_thousands(count as u64))
    }
}

fn population_note(territory: &Territory) -> &'static str {
    match territory.reference {
        TerritoryRef::Epci(_) => "population totale de l’EPCI",
        _ => "population municipale, somme des communes",
    }
}

/// `Comprend aussi les arrondissements municipaux de Lyon (9) et Paris (20).`
fn arrondissements_note(territory: &Territory) -> Option<String> {
    let parts: Vec<String> = territory
        .communes
        .iter()
        .filter_map(|commune| {
            let count = territory
                .arrondissements
                .iter()
                .filter(|a| a.parent.as_ref() == Some(&commune.code))
                .count();
            (count > 0).then(|| format!("{} ({count})", commune.name))
        })
        .collect();
    let (last, first) = parts.split_last()?;
    let names = if first.is_empty() {
        last.clone()
    } else {
        format!("{} et {last}", first.join(", "))
    };
    Some(format!(
        "Comprend aussi les arrondissements municipaux de {names}."
    ))
}

/// Name, code and population, aligned; populations right-aligned with French digit grouping.
fn communes_table(communes: &[Commune]) -> String {
    const NAME: &str = "Commune";
    const CODE: &str = "Code";
    const POPULATION: &str = "Population";
    let populations: Vec<String> = communes
        .iter()
        .map(|commune| group_thousands(commune.population))
        .collect();
    let name_width = communes
        .iter()
        .map(|commune| commune.name.chars().count())
        .chain([NAME.len()])
        .max()
        .unwrap_or_default();
    let population_width = populations
        .iter()
        .map(String::len)
        .chain([POPULATION.len()])
        .max()
        .unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{NAME:<name_width$}  {CODE:<5}  {POPULATION:>population_width$}"
    );
    for (commune, population) in communes.iter().zip(&populations) {
        let _ = writeln!(
            out,
            "{:<name_width$}  {:<5}  {population:>population_width$}",
            commune.name, commune.code
        );
    }
    out
}

/// `{"territory": {...}, "communes": [...]}`, the shape tools read.
#[derive(Serialize)]
struct ShowJson<'a> {
    territory: TerritoryJson<'a>,
    communes: Vec<CommuneJson<'a>>,
}

#[derive(Serialize)]
struct TerritoryJson<'a> {
    kind: &'static str,
    code: &'a str,
    name: &'a str,
    population: u64,
    communes: usize,
}

#[derive(Serialize)]
struct CommuneJson<'a> {
    code: &'a str,
    name: &'a str,
    population: u64,
}

impl<'a> ShowJson<'a> {
    fn of(territory: &'a Territory) -> Self {
        Self {
            territory: TerritoryJson {
                kind: territory.kind(),
                code: &territory.code,
                name: &territory.name,
                population: territory.population,
                communes: territory.communes.len(),
            },
            communes: territory
                .communes
                .iter()
                .map(|commune| CommuneJson {
                    code: commune.code.as_str(),
                    name: &commune.name,
                    population: commune.population,
                })
                .collect(),
        }
    }
}

/// A row of `essor territory list`.
#[derive(Serialize)]
struct ListRow<'a> {
    /// What to write after `epci:` or `departement:`.
    territory: String,
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    communes: usize,
    population: u64,
}

fn render_list(
    referential: &Referential,
    kind: ListKind,
    departement: Option<&str>,
    format: Format,
) -> Result<String> {
    let departement = departement.map(|code| code.trim().to_ascii_uppercase());
    if let Some(code) = &departement
        && referential.departement(code).is_none()
    {
        return Err(TerritoryError::UnknownDepartement(code.clone()).into());
    }
    let rows = match kind {
        ListKind::Epci => epci_rows(referential, departement.as_deref()),
        ListKind::Departement => departement_rows(referential, departement.as_deref()),
    };
    match format {
        Format::Json => to_json(&rows),
        Format::Text => Ok(list_text(&rows)),
    }
}

fn epci_rows<'a>(referential: &'a Referential, departement: Option<&str>) -> Vec<ListRow<'a>> {
    let epcis: Vec<_> = match departement {
        Some(code) => referential.epcis_in_departement(code),
        None => referential.epcis().collect(),
    };
    epcis
        .into_iter()
        .map(|epci| ListRow {
            territory: format!("epci:{}", epci.code),
            code: epci.code.as_str(),
            name: &epci.name,
            kind: epci.kind.label(),
            communes: epci.members.len(),
            population: epci.population,
        })
        .collect()
}

fn departement_rows<'a>(referential: &'a Referential, only: Option<&str>) -> Vec<ListRow<'a>> {
    referential
        .departements()
        .filter(|departement| only.is_none_or(|code| departement.code == code))
        .map(|departement| {
            let (communes, population) = referential
                .communes_of_departement(&departement.code)
                .fold((0, 0), |(count, sum), commune| {
                    (count + 1, sum + commune.population)
                });
            ListRow {
                territory: format!("departement:{}", departement.code),
                code: &departement.code,
                name: &departement.name,
                kind: referential
                    .region(&departement.region)
                    .map_or("", |region| region.name.as_str()),
                communes,
                population,
            }
        })
        .collect()
}

fn list_text(rows: &[ListRow<'_>]) -> String {
    let width = |f: fn(&ListRow<'_>) -> usize| rows.iter().map(f).max().unwrap_or_default();
    let territory_width = width(|row| row.territory.chars().count());
    let name_width = width(|row| row.name.chars().count());
    let kind_width = width(|row| row.kind.chars().count());
    let mut out = String::new();
    for row in rows {
        let _ = writeln!(
            out,
            "{:<territory_width$}  {:<name_width$}  {:<kind_width$}  {:>13}  {:>9} hab.",
            row.territory,
            row.name,
            row.kind,
            communes_count(row.communes),
            group_thousands(row.population),
        );
    }
    let _ = writeln!(out, "{} résultat(s).", rows.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(territory: &str, format: Format) -> Result<String> {
        render_command(
            TerritoryCommand::Show {
                territory: territory.to_owned(),
                format,
            },
            Referential::embedded(),
        )
    }

    #[test]
    fn the_text_of_grenoble_alpes_metropole_has_a_heading_and_an_aligned_table() {
        let text = show("epci:200040715", Format::Text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Grenoble-Alpes-Métropole");
        assert_eq!(
            lines[1],
            "Métropole · SIREN 200040715 · territoire epci:200040715"
        );
        assert_eq!(
            lines[2],
            "49 communes · 455 436 habitants (population totale de l’EPCI)"
        );
        assert!(lines[4].starts_with("Commune "), "{}", lines[4]);
        let table = &lines[4..];
        assert_eq!(table.len(), 50);
        let widths: Vec<usize> = table.iter().map(|line| line.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{table:#?}");
        let grenoble = table.iter().find(|l| l.starts_with("Grenoble ")).unwrap();
        assert!(grenoble.contains("  38185  "), "{grenoble}");
    }

    #[test]
    fn the_json_of_a_territory_has_its_summary_and_communes() {
        let json = show("epci:200040715", Format::Json).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["territory"]["kind"], "epci");
        assert_eq!(value["territory"]["code"], "200040715");
        assert_eq!(value["territory"]["name"], "Grenoble-Alpes-Métropole");
        assert_eq!(value["territory"]["population"], 455_436);
        assert_eq!(value["territory"]["communes"], 49);
        let communes = value["communes"].as_array().unwrap();
        assert_eq!(communes.len(), 49);
        assert!(
            communes
                .iter()
                .any(|c| c["code"] == "38185" && c["name"] == "Grenoble")
        );
        assert!(
            json.starts_with("{\n  \"territory\": {\n    \"kind\""),
            "{json}"
        );
    }

    #[test]
    fn paris_mentions_its_arrondissements() {
        let text = show("communes:75056", Format::Text).unwrap();
        assert!(text.contains("1 commune · "), "{text}");
        assert!(text.contains("Comprend aussi les arrondissements municipaux de Paris (20)."));
        let text = show("communes:13055,75056,69123", Format::Text).unwrap();
        assert!(
            text.contains("de Lyon (9), Marseille (16) et Paris (20)."),
            "{text}"
        );
    }

    #[test]
    fn an_invalid_territory_gives_a_french_error() {
        let error = show("epci:123", Format::Text).unwrap_err();
        assert_eq!(
            error.to_string(),
            "code d’EPCI invalide : le SIREN « 123 » doit compter 9 chiffres"
        );
        let error = show("communes:38999", Format::Json).unwrap_err();
        assert!(error.to_string().starts_with("commune inconnue : 38999"));
    }

    #[test]
    fn the_epci_of_isere_include_grenoble_alpes_metropole() {
        let text = render_list(
            Referential::embedded(),
            ListKind::Epci,
            Some("38"),
            Format::Text,
        )
        .unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("epci:200040715 "))
            .unwrap();
        assert!(line.contains("Grenoble-Alpes-Métropole"), "{line}");
        assert!(line.contains("49 communes"), "{line}");
        assert!(line.ends_with("455 436 hab."), "{line}");
        assert!(!text.contains("Métropole de Lyon"));
    }

    #[test]
    fn listing_the_departements_gives_their_region() {
        let json = render_list(
            Referential::embedded(),
            ListKind::Departement,
            Some("38"),
            Format::Json,
        )
        .unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value[0]["territory"], "departement:38");
        assert_eq!(value[0]["name"], "Isère");
        assert_eq!(value[0]["kind"], "Auvergne-Rhône-Alpes");
        assert_eq!(value[0]["communes"], 512);
    }

    #[test]
    fn listing_an_unknown_departement_is_refused() {
        let error = render_list(
            Referential::embedded(),
            ListKind::Epci,
            Some("99"),
            Format::Text,
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "département inconnu : 99");
    }
}
