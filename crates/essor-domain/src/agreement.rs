//! The funding agreement (*convention*): a template an administrator edits, with placeholders
//! that a dossier fills (the parties, the object, the amount, the schedule, the obligations and
//! the reporting dates), turned into sections that a PDF writer prints.
//!
//! The template is plain text: `# ` starts a title, `## ` an article, `- ` a list item, a blank
//! line ends a paragraph; `{champ}` is replaced by a value. `{echeancier}`, `{rapports}`,
//! `{obligations}` and `{signatures}` alone on their line become a table, lists and signature
//! boxes. An unknown placeholder is refused when the template is saved.

use chrono::{Months, NaiveDate};

use crate::dates::format_date;
use crate::funding::{Instalment, ReportDue};
use crate::money::Money;

/// An agreement is mandatory above this amount (décret n° 2001-495 du 6 juin 2001).
pub const MANDATORY_ABOVE: Money = Money::from_euros(23_000);

/// Longest template, in characters.
pub const MAX_TEMPLATE: usize = 50_000;

/// Whether the agreement is mandatory for a grant of `granted`.
#[must_use]
pub fn mandatory(granted: Money) -> bool {
    granted > MANDATORY_ABOVE
}

/// The day by which a subsidy whose agreement was signed on `signed` must be published as open
/// data: three months after the signature.
#[must_use]
pub fn publication_deadline(signed: NaiveDate) -> NaiveDate {
    signed.checked_add_months(Months::new(3)).unwrap_or(signed)
}

/// The placeholders a template may use, and what each stands for.
pub const PLACEHOLDERS: [(&str, &str); 15] = [
    ("collectivite", "la collectivité qui accorde la subvention"),
    ("beneficiaire", "le nom de la structure bénéficiaire"),
    ("siret", "son SIRET"),
    ("adresse", "son adresse"),
    ("numero", "le numéro du dossier"),
    ("annee", "l’année de l’enveloppe"),
    ("projet", "le titre du projet"),
    ("resume", "le résumé du projet"),
    ("montant", "le montant accordé, en chiffres"),
    ("date_decision", "la date de la décision"),
    ("emplois", "les emplois prévus (créés et consolidés)"),
    (
        "echeancier",
        "l’échéancier des versements (tableau seul sur sa ligne)",
    ),
    (
        "rapports",
        "les dates de remise des rapports (liste seule sur sa ligne)",
    ),
    (
        "obligations",
        "les obligations du bénéficiaire (liste seule sur sa ligne)",
    ),
    (
        "signatures",
        "les cadres de signature (seuls sur leur ligne)",
    ),
];

/// The template shipped: a sound French agreement that an administrator adapts.
pub const DEFAULT_TEMPLATE: &str = "\
# Convention de subvention

Dossier n° {numero}, enveloppe {annee}.

## Entre les soussignés

{collectivite}, ci-après « la collectivité », représentée par son Président ou son représentant dûment habilité,

et {beneficiaire}, SIRET {siret}, dont le siège est situé {adresse}, ci-après « le bénéficiaire », représenté par son représentant légal,

il est convenu ce qui suit.

## Article 1 : objet

La présente convention fixe les conditions dans lesquelles la collectivité soutient le projet « {projet} » porté par le bénéficiaire, dans le cadre de sa politique en faveur de l’économie sociale et solidaire.

{resume}

## Article 2 : montant de la subvention

Par décision du {date_decision}, la collectivité accorde au bénéficiaire une subvention de {montant}. Ce montant est un maximum : il ne peut être révisé à la hausse.

## Article 3 : modalités de versement

La subvention est versée selon l’échéancier suivant, chaque versement étant subordonné à la condition indiquée :

{echeancier}

Aucun versement n’intervient tant qu’un rapport attendu n’a pas été remis.

## Article 4 : obligations du bénéficiaire

Le bénéficiaire s’engage à :

{obligations}

- tenir une comptabilité permettant d’identifier l’emploi de la subvention ;
- mentionner le soutien de {collectivite} dans toute communication relative au projet ;
- informer sans délai la collectivité de toute modification affectant le projet ou sa situation.

## Article 5 : rapports

Le bénéficiaire remet à la collectivité les rapports suivants, comprenant un bilan d’activité, les emplois réellement créés et consolidés et un compte rendu financier conforme à l’arrêté du 11 octobre 2006 :

{rapports}

## Article 6 : transparence

Conformément au décret n° 2017-779 du 5 mai 2017, les données essentielles de la présente convention sont publiées en données ouvertes dans les trois mois suivant sa signature.

## Article 7 : reversement et résiliation

En cas de non-respect de ses obligations, la collectivité peut exiger le reversement de tout ou partie des sommes versées, après mise en demeure restée sans effet pendant un mois.

## Article 8 : durée et litiges

La présente convention prend effet à sa signature et s’achève après la remise du rapport final. Tout litige relève du tribunal administratif de Grenoble.

{signatures}
";

/// What a dossier puts into its agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementValues {
    pub authority: String,
    pub beneficiary: String,
    pub siret: String,
    pub address: String,
    pub number: i64,
    pub year: i32,
    pub title: String,
    pub summary: String,
    pub amount: Money,
    pub decided_on: Option<NaiveDate>,
    pub jobs_created: u32,
    pub jobs_consolidated: u32,
    pub instalments: Vec<Instalment>,
    pub reports: Vec<ReportDue>,
}

/// A piece of the agreement, for the PDF writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    Heading {
        level: u8,
        text: String,
    },
    Paragraph(String),
    List(Vec<String>),
    /// The schedule: rows of (n°, condition, expected date, amount).
    Schedule(Vec<[String; 4]>),
    Signatures(Vec<String>),
}

/// What is wrong with a template: each message names the line and the placeholder.
#[must_use]
pub fn template_problems(template: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if template.trim().is_empty() {
        problems.push("Modèle de convention : il ne peut pas être vide.".to_owned());
    }
    if template.chars().count() > MAX_TEMPLATE {
        problems.push(format!(
            "Modèle de convention : {MAX_TEMPLATE} caractères au plus."
        ));
    }
    for (n, line) in (1..).zip(template.lines()) {
        let mut rest = line;
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                problems.push(format!(
                    "Modèle de convention, ligne {n} : une accolade « {{ » n’est pas refermée."
                ));
                break;
            };
            let name = &after[..end];
            if !PLACEHOLDERS.iter().any(|(known, _)| *known == name) {
                problems.push(format!(
                    "Modèle de convention, ligne {n} : le champ « {{{name}}} » est inconnu \
                     (champs possibles : {}).",
                    PLACEHOLDERS
                        .iter()
                        .map(|(k, _)| format!("{{{k}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            rest = &after[end + 1..];
        }
    }
    problems
}

/// An amount that a line break never splits: `12\u{a0}345,67\u{a0}€`.
fn unbroken(amount: Money) -> String {
    amount.to_string().replace(' ', "\u{a0}")
}

impl AgreementValues {
    fn schedule_rows(&self) -> Vec<[String; 4]> {
        (1..)
            .zip(&self.instalments)
            .map(|(n, i): (u32, _)| {
                [
                    n.to_string(),
                    i.condition.label().to_owned(),
                    format_date(i.due),
                    unbroken(i.amount),
                ]
            })
            .collect()
    }

    fn report_lines(&self) -> Vec<String> {
        if self.reports.is_empty() {
            return vec!["aucun rapport n’est prévu par l’échéancier".to_owned()];
        }
        self.reports
            .iter()
            .map(|r| {
                format!(
                    "rapport {} : au plus tard le {}",
                    if r.final_report {
                        "final"
                    } else {
                        "intermédiaire"
                    },
                    format_date(r.due)
                )
            })
            .collect()
    }

    fn obligation_lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "réaliser le projet « {} » tel que décrit dans sa demande, et affecter la subvention \
             à ce seul projet ;",
            self.title
        )];
        if self.jobs_created > 0 || self.jobs_consolidated > 0 {
            lines.push(format!(
                "créer {} emploi(s) et en consolider {}, comme prévu dans la demande ;",
                self.jobs_created, self.jobs_consolidated
            ));
        }
        lines.push(format!(
            "remettre les rapports prévus à l’article 5 aux dates indiquées ({}) ;",
            self.reports
                .iter()
                .map(|r| format_date(r.due))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        lines
    }

    fn value(&self, name: &str) -> String {
        match name {
            "collectivite" => self.authority.clone(),
            "beneficiaire" => self.beneficiary.clone(),
            "siret" => self.siret.clone(),
            "adresse" => self.address.clone(),
            "numero" => self.number.to_string(),
            "annee" => self.year.to_string(),
            "projet" => self.title.clone(),
            "resume" => self.summary.clone(),
            "montant" => unbroken(self.amount),
            "date_decision" => self.decided_on.map(format_date).unwrap_or_default(),
            "emplois" => format!(
                "{} emploi(s) créé(s) et {} consolidé(s)",
                self.jobs_created, self.jobs_consolidated
            ),
            "echeancier" => self
                .schedule_rows()
                .iter()
                .map(|r| format!("{} {} ({})", r[3], r[1], r[2]))
                .collect::<Vec<_>>()
                .join(" ; "),
            "rapports" => self.report_lines().join(" ; "),
            "obligations" => self.obligation_lines().join(" "),
            "signatures" => String::new(),
            other => format!("{{{other}}}"),
        }
    }

    fn fill(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            out.push_str(&self.value(&after[..end]));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The agreement as sections, from a template (checked by [`template_problems`] when it was
    /// saved).
    #[must_use]
    pub fn sections(&self, template: &str) -> Vec<Section> {
        let mut sections = Vec::new();
        let mut paragraph: Vec<String> = Vec::new();
        let mut list: Vec<String> = Vec::new();
        let flush =
            |sections: &mut Vec<Section>, paragraph: &mut Vec<String>, list: &mut Vec<String>| {
                if !paragraph.is_empty() {
                    let text = paragraph.join(" ");
                    if !text.trim().is_empty() {
                        sections.push(Section::Paragraph(text));
                    }
                    paragraph.clear();
                }
                if !list.is_empty() {
                    sections.push(Section::List(std::mem::take(list)));
                }
            };
        for line in template.lines() {
            let trimmed = line.trim();
            let block = match trimmed {
                "{echeancier}" => Some(Section::Schedule(self.schedule_rows())),
                "{rapports}" => Some(Section::List(self.report_lines())),
                "{obligations}" => Some(Section::List(self.obligation_lines())),
                "{signatures}" => Some(Section::Signatures(vec![
                    format!("Pour {}, le Président ou son représentant", self.authority),
                    format!("Pour {}, son représentant légal", self.beneficiary),
                ])),
                _ => None,
            };
            if let Some(block) = block {
                flush(&mut sections, &mut paragraph, &mut list);
                sections.push(block);
            } else if trimmed.is_empty() {
                flush(&mut sections, &mut paragraph, &mut list);
            } else if let Some(text) = trimmed.strip_prefix("## ") {
                flush(&mut sections, &mut paragraph, &mut list);
                sections.push(Section::Heading {
                    level: 2,
                    text: self.fill(text.trim()),
                });
            } else if let Some(text) = trimmed.strip_prefix("# ") {
                flush(&mut sections, &mut paragraph, &mut list);
                sections.push(Section::Heading {
                    level: 1,
                    text: self.fill(text.trim()),
                });
            } else if let Some(item) = trimmed.strip_prefix("- ") {
                if !paragraph.is_empty() {
                    let mut none = Vec::new();
                    flush(&mut sections, &mut paragraph, &mut none);
                }
                list.push(self.fill(item.trim()));
            } else {
                if !list.is_empty() {
                    let mut none = Vec::new();
                    flush(&mut sections, &mut none, &mut list);
                }
                paragraph.push(self.fill(trimmed));
            }
        }
        flush(&mut sections, &mut paragraph, &mut list);
        // Merge lists that follow each other (a generated list, then the template's items).
        let mut merged: Vec<Section> = Vec::with_capacity(sections.len());
        for section in sections {
            match (merged.last_mut(), section) {
                (Some(Section::List(previous)), Section::List(more)) => previous.extend(more),
                (_, section) => merged.push(section),
            }
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funding::{Condition, schedule};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn values() -> AgreementValues {
        let granted = Money::from_euros(30_000);
        AgreementValues {
            authority: "Grenoble-Alpes-Métropole".into(),
            beneficiary: "La Ressourcerie verte".into(),
            siret: "73282932000074".into(),
            address: "3 rue des Arts, 38000 Grenoble".into(),
            number: 14,
            year: 2026,
            title: "Atelier vélo".into(),
            summary: "Réparer des vélos.".into(),
            amount: granted,
            decided_on: Some(day(2026, 3, 2)),
            jobs_created: 2,
            jobs_consolidated: 1,
            instalments: schedule(
                granted,
                &[
                    (50, Condition::Signature, day(2026, 4, 1)),
                    (50, Condition::FinalReport, day(2027, 3, 31)),
                ],
            ),
            reports: vec![ReportDue {
                final_report: true,
                due: day(2027, 3, 31),
                received: false,
            }],
        }
    }

    #[test]
    fn the_default_template_is_valid_and_fills_every_part() {
        assert!(template_problems(DEFAULT_TEMPLATE).is_empty());
        let sections = values().sections(DEFAULT_TEMPLATE);
        assert_eq!(
            sections[0],
            Section::Heading {
                level: 1,
                text: "Convention de subvention".into()
            }
        );
        let text: String = sections
            .iter()
            .map(|s| match s {
                Section::Heading { text, .. } | Section::Paragraph(text) => text.clone(),
                Section::List(items) | Section::Signatures(items) => items.join("\n"),
                Section::Schedule(rows) => rows.iter().map(|r| r.join(" | ")).collect(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("La Ressourcerie verte, SIRET 73282932000074"));
        assert!(text.contains("une subvention de 30\u{a0}000,00\u{a0}€"));
        assert!(text.contains("Par décision du 02/03/2026"));
        assert!(text.contains("rapport final : au plus tard le 31/03/2027"));
        assert!(text.contains("créer 2 emploi(s) et en consolider 1"));
        assert!(!text.contains('{'), "{text}");
        let schedule = sections
            .iter()
            .find_map(|s| match s {
                Section::Schedule(rows) => Some(rows.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(schedule.len(), 2);
        assert_eq!(schedule[1][1], "à la réception du rapport final");
        assert_eq!(schedule[1][3], "15\u{a0}000,00\u{a0}€");
        // The generated obligations and the template's own items make one list.
        let obligations = sections
            .iter()
            .find_map(|s| match s {
                Section::List(items) => Some(items.len()),
                _ => None,
            })
            .unwrap();
        assert_eq!(obligations, 6);
        assert!(matches!(sections.last(), Some(Section::Signatures(s)) if s.len() == 2));
    }

    #[test]
    fn an_unknown_placeholder_or_an_open_brace_is_named_with_its_line() {
        let problems = template_problems("# Titre\nMontant : {montant} pour {benef}.\n{oups");
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0]
                .starts_with("Modèle de convention, ligne 2 : le champ « {benef} » est inconnu")
        );
        assert_eq!(
            problems[1],
            "Modèle de convention, ligne 3 : une accolade « { » n’est pas refermée."
        );
        assert_eq!(
            template_problems("  \n"),
            vec!["Modèle de convention : il ne peut pas être vide.".to_owned()]
        );
    }

    #[test]
    fn mandatory_above_23_000_euros_and_published_within_three_months() {
        assert!(!mandatory(Money::from_euros(23_000)));
        assert!(mandatory(Money::from_cents(2_300_001)));
        assert_eq!(publication_deadline(day(2026, 11, 30)), day(2027, 2, 28));
        assert_eq!(publication_deadline(day(2026, 3, 2)), day(2026, 6, 2));
    }
}
