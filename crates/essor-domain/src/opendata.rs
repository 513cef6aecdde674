//! The subsidies essor publishes as open data, in the national schema SCDL « subventions »
//! 2.1.1 (`data/scdl-subventions-2.1.1.schema.json`, published by Open Data France under the
//! Licence Ouverte): one row per granted subsidy, UTF-8 CSV with commas, amounts with a decimal
//! point, dates `AAAA-MM-JJ`.
//!
//! The law (décret 2017-779) obliges an authority to publish the agreements above 23 000 €
//! within three months of their signature; essor publishes every subsidy granted, with or
//! without an agreement. Pure rules: the web route and the command line read the dossiers and
//! the directory, then call [`write_csv`].

use std::io::Write;

use chrono::{Months, NaiveDate};

use crate::ids::{Rna, Siret};
use crate::money::Money;

/// The official schema, as published (embedded, so the product never reads outside files).
pub const SCHEMA_JSON: &str = include_str!("../../../data/scdl-subventions-2.1.1.schema.json");

/// The schema's fields, in its order: the header of every export.
pub const FIELDS: [&str; 16] = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
];

/// Above this amount an agreement is mandatory, and its publication a legal duty.
pub const AGREEMENT_THRESHOLD: Money = Money::from_euros(23_000);

/// How long the payments of a subsidy run from its agreement: essor's default schedule pays
/// at the signature and on the final report, due within this many months.
pub const PAYMENT_MONTHS: u32 = 12;

/// Longest `objet` the schema accepts, in characters.
pub const MAX_OBJECT: usize = 256;

/// The establishment (SIRET) of the authorities essor knows, by their SIREN: the one named in
/// `idAttribuant` when the settings name none. Grenoble-Alpes-Métropole: its head office,
/// 3 rue Malakoff, Grenoble.
const KNOWN_AUTHORITIES: [(&str, &str); 1] = [("200040715", "20004071500019")];

/// The SIRET essor knows for an authority of this SIREN (an EPCI's code), if any.
#[must_use]
pub fn known_authority_siret(siren: &str) -> Option<Siret> {
    KNOWN_AUTHORITIES
        .iter()
        .find(|(s, _)| *s == siren)
        .and_then(|(_, siret)| Siret::parse(siret).ok())
}

/// Who grants the subsidies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grantor {
    /// The authority's official name (`nomAttribuant`).
    pub name: String,
    /// The establishment that grants (`idAttribuant`).
    pub siret: Siret,
}

/// The date a row gives as `dateConvention`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConventionDate {
    /// The day the agreement was signed (its signed copy is in).
    Signed(NaiveDate),
    /// No signed agreement yet: the day the subsidy was decided.
    Decided(NaiveDate),
}

impl ConventionDate {
    #[must_use]
    pub fn date(self) -> NaiveDate {
        match self {
            Self::Signed(d) | Self::Decided(d) => d,
        }
    }
}

/// One granted subsidy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subsidy {
    /// The authority's internal reference of the decision (`referenceDecision`).
    pub reference: String,
    /// The beneficiary's official name.
    pub beneficiary: String,
    pub siret: Siret,
    /// The beneficiary's RNA number, when known.
    pub rna: Option<Rna>,
    /// What the subsidy is for: the project's title.
    pub object: String,
    pub amount: Money,
    pub convention: ConventionDate,
    /// The due dates of its payment schedule, when staff have set one (any order).
    pub instalments: Vec<NaiveDate>,
}

/// An amount as the schema writes it: euros, a point, two decimals, no grouping (`47800.20`).
/// Integer arithmetic on cents only.
#[must_use]
pub fn amount(money: Money) -> String {
    let cents = money.cents();
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The `objet`: trimmed, on one line, at most [`MAX_OBJECT`] characters (an ellipsis marks a
/// cut).
#[must_use]
pub fn object_text(title: &str) -> String {
    let one_line = title.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::text::ellipsis(&one_line, MAX_OBJECT)
}

/// The payment period: from the agreement's date to [`PAYMENT_MONTHS`] later
/// (`AAAA-MM-JJ/AAAA-MM-JJ`, ISO 8601 interval).
#[must_use]
pub fn payment_period(from: NaiveDate) -> String {
    let to = from
        .checked_add_months(Months::new(PAYMENT_MONTHS))
        .unwrap_or(from);
    format!("{}/{}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d"))
}

/// `conditionsVersement` and `datesPeriodeVersement`: from the payment schedule when there is
/// one (« unique » on its date, or « échelonné » from the first due date to the last); without
/// one, « échelonné » over [`payment_period`] from the agreement's date.
#[must_use]
pub fn payment_terms(from: NaiveDate, instalments: &[NaiveDate]) -> (&'static str, String) {
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    match (instalments.iter().min(), instalments.iter().max()) {
        (Some(first), Some(_)) if instalments.len() == 1 => ("unique", day(*first)),
        (Some(first), Some(last)) => ("échelonné", format!("{}/{}", day(*first), day(*last))),
        _ => ("échelonné", payment_period(from)),
    }
}

/// An RNA number the schema accepts (`W` and nine digits): Corsican registries' `W2A…` and
/// `W2B…` numbers do not match its pattern and are left out.
fn rna_field(rna: Option<&Rna>) -> String {
    rna.map(Rna::as_str)
        .filter(|r| r[1..].bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .unwrap_or_default()
}

/// One row, in the order of [`FIELDS`].
#[must_use]
pub fn record(grantor: &Grantor, subsidy: &Subsidy) -> [String; 16] {
    let date = subsidy.convention.date();
    let (conditions, period) = payment_terms(date, &subsidy.instalments);
    [
        grantor.name.clone(),
        grantor.siret.as_str().to_owned(),
        date.format("%Y-%m-%d").to_string(),
        subsidy.reference.clone(),
        subsidy.beneficiary.clone(),
        subsidy.siret.as_str().to_owned(),
        rna_field(subsidy.rna.as_ref()),
        object_text(&subsidy.object),
        amount(subsidy.amount),
        "aide en numéraire".to_owned(),
        conditions.to_owned(),
        period,
        String::new(),
        "non".to_owned(),
        "1.00".to_owned(),
        String::new(),
    ]
}

/// Writes the header and one row per subsidy.
pub fn write_csv<W: Write>(
    out: W,
    grantor: &Grantor,
    subsidies: &[Subsidy],
) -> Result<(), csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(FIELDS)?;
    for subsidy in subsidies {
        writer.write_record(record(grantor, subsidy))?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grantor() -> Grantor {
        Grantor {
            name: "Grenoble-Alpes-Métropole".into(),
            siret: known_authority_siret("200040715").unwrap(),
        }
    }

    fn subsidy() -> Subsidy {
        Subsidy {
            reference: "2026-0042".into(),
            beneficiary: "LA RESSOURCERIE, VERTE".into(),
            siret: Siret::parse("73282932000074").unwrap(),
            rna: Some(Rna::parse("W381000123").unwrap()),
            object: "Atelier de réparation\nde vélos".into(),
            amount: Money::from_cents(1_234_505),
            convention: ConventionDate::Signed(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()),
            instalments: Vec::new(),
        }
    }

    #[test]
    fn payment_terms_follow_the_schedule_when_there_is_one() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(
            payment_terms(day(3, 31), &[]),
            ("échelonné", "2026-03-31/2027-03-31".to_owned())
        );
        assert_eq!(
            payment_terms(day(3, 31), &[day(4, 15)]),
            ("unique", "2026-04-15".to_owned())
        );
        assert_eq!(
            payment_terms(day(3, 31), &[day(12, 1), day(4, 15), day(7, 1)]),
            ("échelonné", "2026-04-15/2026-12-01".to_owned())
        );
        let mut scheduled = subsidy();
        scheduled.instalments = vec![day(4, 15), day(12, 1)];
        let row = record(
            &Grantor {
                name: "Grenoble-Alpes-Métropole".into(),
                siret: known_authority_siret("200040715").unwrap(),
            },
            &scheduled,
        );
        assert_eq!(
            (row[10].as_str(), row[11].as_str()),
            ("échelonné", "2026-04-15/2026-12-01")
        );
    }

    #[test]
    fn the_header_is_the_official_schemas_fields_in_order() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).unwrap();
        let names: Vec<&str> = schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, FIELDS);
        assert_eq!(schema["version"], "2.1.1");
    }

    #[test]
    fn amounts_are_written_with_a_point_and_two_decimals_from_cents() {
        assert_eq!(amount(Money::from_cents(4_780_020)), "47800.20");
        assert_eq!(amount(Money::from_cents(5)), "0.05");
        assert_eq!(amount(Money::from_euros(350_000)), "350000.00");
        assert_eq!(amount(Money::from_cents(-150)), "-1.50");
        // Beyond what a binary float holds exactly: cents stay exact.
        assert_eq!(
            amount(Money::from_cents(9_007_199_254_740_993)),
            "90071992547409.93"
        );
    }

    #[test]
    fn a_row_follows_the_schemas_formats() {
        let row = record(&grantor(), &subsidy());
        assert_eq!(row[1], "20004071500019");
        assert_eq!(row[2], "2026-03-31");
        assert_eq!(row[6], "W381000123");
        assert_eq!(row[7], "Atelier de réparation de vélos");
        assert_eq!(row[8], "12345.05");
        assert_eq!(row[9], "aide en numéraire");
        assert_eq!(row[11], "2026-03-31/2027-03-31");
        assert_eq!(row[13], "non");
        assert_eq!(row[14], "1.00");
        let mut corsican = subsidy();
        corsican.rna = Some(Rna::parse("W2A1000123").unwrap());
        assert_eq!(record(&grantor(), &corsican)[6], "");
    }

    #[test]
    fn the_csv_quotes_what_needs_it_and_ends_lines_with_crlf() {
        let mut out = Vec::new();
        write_csv(&mut out, &grantor(), &[subsidy()]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next().unwrap(), FIELDS.join(","));
        let row = lines.next().unwrap();
        assert!(
            row.contains(",\"LA RESSOURCERIE, VERTE\",73282932000074,"),
            "{row}"
        );
        assert_eq!(lines.next(), Some(""));
    }

    #[test]
    fn a_long_object_is_cut_at_256_characters() {
        let long = "é".repeat(300);
        let cut = object_text(&long);
        assert_eq!(cut.chars().count(), MAX_OBJECT);
        assert!(cut.ends_with('…'));
        assert_eq!(object_text("  Court  "), "Court");
    }

    #[test]
    fn the_known_authority_siret_passes_its_checksum() {
        let siret = known_authority_siret("200040715").unwrap();
        assert_eq!(siret.siren().as_str(), "200040715");
        assert!(known_authority_siret("243800604").is_none());
    }
}
