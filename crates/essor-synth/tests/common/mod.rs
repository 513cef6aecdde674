//! A small implementation of the panorama rules of `DATA.md` §2, written for the tests from the
//! text of the rules and independent of the generator (and of essor's importer): it reads the
//! generated files by header name, as any reader of INSEE's files must.

#![allow(dead_code, reason = "each test file uses part of the helpers")]

use std::collections::{HashMap, HashSet};
use std::path::Path;

use essor_domain::referential::Referential;

pub const ASSOCIATION: &[&str] = &[
    "9210", "9220", "9221", "9222", "9223", "9230", "9240", "9260",
];
pub const FONDATION: &[&str] = &["9300"];
pub const MUTUELLE: &[&str] = &["8210", "8250", "8290", "6411"];
pub const COOPERATIVE: &[&str] = &[
    "5191", "5192", "5193", "5194", "5195", "5196", "6100", "6595", "6596", "5203", "5307", "5309",
    "5432", "5443", "5451", "5453", "5454", "5455", "5458", "5459", "5460", "5532", "5543", "5547",
    "5551", "5552", "5553", "5554", "5555", "5558", "5559", "5560", "5632", "5643", "5647", "5651",
    "5652", "5653", "5654", "5655", "5658", "5659", "5660", "6316", "6317", "6318", "6532", "6543",
    "6551", "6554", "6558", "6560",
];

pub fn has_family(category: &str) -> bool {
    [ASSOCIATION, FONDATION, MUTUELLE, COOPERATIVE]
        .iter()
        .any(|family| family.contains(&category))
}

pub fn excluded(activity: &str) -> bool {
    activity.starts_with("84.")
        || ["94.11Z", "94.12Z", "94.20Z", "94.91Z", "94.92Z"].contains(&activity)
}

/// Midpoint of a band, doubled (so that halves stay exact).
pub fn jobs_x2(band: &str) -> u64 {
    match band {
        "01" => 3,
        "02" => 8,
        "03" => 15,
        "11" => 29,
        "12" => 69,
        "21" => 149,
        "22" => 299,
        "31" => 449,
        "32" => 749,
        "41" => 1499,
        "42" => 2999,
        "51" => 6999,
        "52" => 14_999,
        "53" => 20_000,
        _ => 0,
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub establishments: u64,
    pub active: u64,
    pub employer: u64,
    pub ess_active: u64,
    pub ess_employer: u64,
    pub jobs_x2: u64,
    pub ess_jobs_x2: u64,
}

impl Figures {
    pub fn add(&mut self, other: &Self) {
        self.establishments += other.establishments;
        self.active += other.active;
        self.employer += other.employer;
        self.ess_active += other.ess_active;
        self.ess_employer += other.ess_employer;
        self.jobs_x2 += other.jobs_x2;
        self.ess_jobs_x2 += other.ess_jobs_x2;
    }
    pub fn ess_employer_share(&self) -> f64 {
        100.0 * self.ess_employer as f64 / self.employer as f64
    }
    pub fn ess_jobs(&self) -> f64 {
        self.ess_jobs_x2 as f64 / 2.0
    }
    pub fn jobs(&self) -> f64 {
        self.jobs_x2 as f64 / 2.0
    }
}

/// The codes of an EPCI's territory: its members and, for Paris, Lyon and Marseille, their
/// arrondissements.
pub fn epci_codes(referential: &Referential, epci: &str) -> HashSet<String> {
    let mut codes = HashSet::new();
    for member in &referential.epci(epci).expect("EPCI").members {
        codes.insert(member.to_string());
        for arrondissement in referential.arrondissements_of(member.as_str()) {
            codes.insert(arrondissement.code.to_string());
        }
    }
    codes
}

fn column(headers: &csv::StringRecord, name: &str) -> usize {
    headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name} missing"))
}

/// The territory's figures, from the two files of `dir`.
pub fn panorama(dir: &Path, territory: &HashSet<String>) -> Figures {
    struct Row {
        siren: String,
        active: bool,
        employer: bool,
        band: String,
        activity: String,
    }
    let mut reader = csv::Reader::from_path(dir.join("StockEtablissement_utf8.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let [siren, commune, state, employer, band, activity] = [
        "siren",
        "codeCommuneEtablissement",
        "etatAdministratifEtablissement",
        "caractereEmployeurEtablissement",
        "trancheEffectifsEtablissement",
        "activitePrincipaleEtablissement",
    ]
    .map(|name| column(&headers, name));
    let mut rows = Vec::new();
    let mut sirens = HashSet::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).unwrap() {
        if !territory.contains(&record[commune]) {
            continue;
        }
        sirens.insert(record[siren].to_owned());
        rows.push(Row {
            siren: record[siren].to_owned(),
            active: &record[state] == "A",
            employer: &record[state] == "A" && &record[employer] == "O",
            band: record[band].to_owned(),
            activity: record[activity].to_owned(),
        });
    }
    let mut units: HashMap<String, (String, String)> = HashMap::new();
    let mut reader = csv::Reader::from_path(dir.join("StockUniteLegale_utf8.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let [siren, category, ess] = [
        "siren",
        "categorieJuridiqueUniteLegale",
        "economieSocialeSolidaireUniteLegale",
    ]
    .map(|name| column(&headers, name));
    while reader.read_record(&mut record).unwrap() {
        if sirens.contains(&record[siren]) {
            units.insert(
                record[siren].to_owned(),
                (record[category].to_owned(), record[ess].to_owned()),
            );
        }
    }
    let mut figures = Figures::default();
    for row in rows {
        figures.establishments += 1;
        let is_ess = units.get(&row.siren).is_some_and(|(category, flag)| {
            flag == "O" || (has_family(category) && !excluded(&row.activity))
        });
        if !row.active {
            continue;
        }
        let jobs = jobs_x2(&row.band);
        figures.active += 1;
        figures.jobs_x2 += jobs;
        figures.employer += u64::from(row.employer);
        if is_ess {
            figures.ess_active += 1;
            figures.ess_employer += u64::from(row.employer);
            figures.ess_jobs_x2 += jobs;
        }
    }
    figures
}
