//! Throughput of the importer on files of a chosen size.
//!
//! ```text
//! cargo run --release -p essor-sirene --example throughput -- generate DIR ESTABLISHMENTS
//! cargo run --release -p essor-sirene --example throughput -- run ESTABLISHMENTS_FILE UNITS_FILE [THREADS]
//! cargo run --release -p essor-sirene --example throughput -- panorama ESTABLISHMENTS_FILE UNITS_FILE TERRITORY
//! ```
//!
//! `panorama` prints the panorama JSON of a territory (`epci:200040715`) computed from the
//! import's facts, to compare with `tests/crosscheck/duckdb_panorama.py`.
//!
//! `generate` writes `StockEtablissement_utf8.csv` and `StockUniteLegale_utf8.csv` in DIR, in
//! INSEE's format, with row widths like the real files' (about 230 and 160 bytes) and one unit
//! for 1.47 establishments. These are crude synthetic files for timing only; essor's generator
//! (`essor generate sirene`) writes realistic ones.

// Timing figures and random draws: casts are deliberate and bounded.
#![allow(clippy::cast_possible_truncation)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use essor_domain::referential::Referential;
use essor_sirene::{Importer, Phase, Progress};

const ESTABLISHMENT_HEADER: &str = "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,anneeEffectifsEtablissement,activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,numeroVoieEtablissement,indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,codeCommuneEtablissement,codeCedexEtablissement,libelleCedexEtablissement,codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,numeroVoie2Etablissement,indiceRepetition2Etablissement,typeVoie2Etablissement,libelleVoie2Etablissement,codePostal2Etablissement,libelleCommune2Etablissement,libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,enseigne3Etablissement,denominationUsuelleEtablissement,activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement,activitePrincipaleNAF25Etablissement";
const UNIT_HEADER: &str = "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,categorieEntreprise,anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale";

/// xorshift64*: reproducible and fast.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const CATEGORIES: [&str; 16] = [
    "1000", "1000", "1000", "1000", "1000", "1000", "1000", "1000", "5710", "5710", "5499", "6540",
    "9220", "9220", "5458", "7210",
];
const BANDS: [&str; 12] = [
    "", "", "", "", "NN", "NN", "00", "01", "02", "03", "11", "12",
];
const NAFS: [&str; 12] = [
    "88.10A", "47.11F", "56.10A", "43.22B", "62.01Z", "68.20B", "94.99Z", "86.21Z", "85.59A",
    "49.41A", "38.11Z", "01.11Z",
];
const STREETS: [&str; 6] = [
    "DE LA REPUBLIQUE",
    "JEAN JAURES",
    "DU GENERAL DE GAULLE",
    "DES ALPES",
    "VICTOR HUGO",
    "DU 8 MAI 1945",
];

fn generate(dir: &Path, establishments: usize) -> std::io::Result<()> {
    let communes: Vec<String> = Referential::embedded()
        .communes()
        .map(|c| c.code.to_string())
        .collect();
    let units = establishments * 100 / 147;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut sirens = Vec::with_capacity(units);
    let mut out = BufWriter::with_capacity(
        1 << 20,
        File::create(dir.join("StockUniteLegale_utf8.csv"))?,
    );
    writeln!(out, "{UNIT_HEADER}")?;
    let mut siren = 300_000_000u32;
    for i in 0..units {
        siren += 1 + rng.below(20) as u32;
        sirens.push(siren);
        let category = rng.pick(&CATEGORIES);
        let flag = match rng.below(100) {
            0..=2 => "O",
            3..=5 => "N",
            _ => "",
        };
        let partial = category == "1000" && rng.below(10) == 0;
        let (name, first, denomination) = if category == "1000" {
            if partial {
                ("[ND]", "[ND]", "")
            } else {
                ("MARTIN", "CLAIRE", "")
            }
        } else {
            ("", "", "\"SOCIETE \"\"DES ALPES\"\", GRENOBLE\"")
        };
        writeln!(
            out,
            "{siren},{},N,2001-05-1{},,{},{first},,,,{first},,,,,2025-11-02T10:11:12.000,{},PME,2022,2020-01-01,A,{name},,{denomination},,,,{category},{},NAFRev2,00011,{flag},,,{}",
            if partial { "P" } else { "O" },
            i % 10,
            if partial { "[ND]" } else { "F" },
            1 + i % 5,
            rng.pick(&NAFS),
            rng.pick(&NAFS),
        )?;
    }
    out.flush()?;
    let mut out = BufWriter::with_capacity(
        1 << 20,
        File::create(dir.join("StockEtablissement_utf8.csv"))?,
    );
    writeln!(out, "{ESTABLISHMENT_HEADER}")?;
    let mut unit = 0usize;
    for i in 0..establishments {
        // Establishments come by SIREN, as in INSEE's file.
        if rng.below(147) < 100 && unit + 1 < sirens.len() {
            unit += 1;
        }
        let siren = sirens[unit];
        let nic = 10 + i % 90_000;
        let commune = if rng.below(200) == 0 {
            ""
        } else {
            &communes[rng.below(communes.len())]
        };
        let active = rng.below(100) < 40;
        let state = if active { "A" } else { "F" };
        let employer = if active && rng.below(100) < 15 {
            "O"
        } else {
            "N"
        };
        let naf = rng.pick(&NAFS);
        let (nomenclature, naf) = if rng.below(20) == 0 {
            ("NAFRev1", "52.4Z")
        } else {
            ("NAFRev2", naf)
        };
        writeln!(
            out,
            "{siren},{nic:05},{siren}{nic:05},O,{}-0{}-15,{},2023,,2025-11-02T10:11:12,{},{},,{},,,,RUE,{},38000,GRENOBLE,,,{commune},,,,,{commune}_B_{:04},913254.5,6458025.1,,,,,,,,,,,,,,,{}-01-01,{state},{},,,,{naf},{nomenclature},{employer},{naf}",
            1960 + rng.below(66),
            1 + rng.below(9),
            rng.pick(&BANDS),
            if rng.below(3) == 0 { "true" } else { "false" },
            1 + rng.below(4),
            1 + rng.below(120),
            rng.pick(&STREETS),
            rng.below(10_000),
            1990 + rng.below(36),
            if rng.below(10) == 0 {
                "LE BON COIN"
            } else {
                ""
            },
        )?;
    }
    out.flush()
}

fn run(establishments: &str, units: &str, threads: Option<usize>) {
    let started = Instant::now();
    let phases = std::sync::Arc::new(Mutex::new(Vec::<(Phase, u64, f64)>::new()));
    let sink = std::sync::Arc::clone(&phases);
    let mut importer = Importer::new(establishments, units).progress(move |p: Progress| {
        sink.lock()
            .unwrap()
            .push((p.phase, p.bytes_read, started.elapsed().as_secs_f64()));
    });
    if let Some(threads) = threads {
        importer = importer.threads(threads);
    }
    let output = importer.run().expect("import");
    let total = started.elapsed().as_secs_f64();
    let phases = phases.lock().unwrap();
    let units_end = phases
        .iter()
        .rev()
        .find(|p| p.0 == Phase::Units)
        .map(|p| (p.1, p.2))
        .unwrap_or_default();
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let units_report = &output.report.files[0];
    let establishments_report = &output.report.files[1];
    println!("{}", output.report);
    println!(
        "units: {:.0} MB, {} rows in {:.2} s: {:.0} MB/s, {:.2} M rows/s",
        mb(units_report.bytes),
        units_report.rows_read,
        units_end.1,
        mb(units_report.bytes) / units_end.1,
        units_report.rows_read as f64 / units_end.1 / 1e6
    );
    let establishments_time = total - units_end.1;
    let read_end = phases.last().map_or(0.0, |p| p.2);
    println!(
        "after the last byte read (merge, facts, report): {:.2} s",
        total - read_end
    );
    println!(
        "establishments (with aggregation and facts): {:.0} MB, {} rows in {:.2} s: {:.0} MB/s, {:.2} M rows/s",
        mb(establishments_report.bytes),
        establishments_report.rows_read,
        establishments_time,
        mb(establishments_report.bytes) / establishments_time,
        establishments_report.rows_read as f64 / establishments_time / 1e6
    );
    let bytes = units_report.bytes + establishments_report.bytes;
    println!(
        "total: {:.0} MB in {total:.2} s: {:.0} MB/s; {} fact rows, {} records",
        mb(bytes),
        mb(bytes) / total,
        output.facts.len(),
        output.establishments.len()
    );
}

fn panorama(establishments: &str, units: &str, territory: &str) {
    use essor_domain::panorama::{Panorama, Source};
    use essor_domain::territory::TerritoryRef;
    let territory = territory
        .parse::<TerritoryRef>()
        .expect("a territory")
        .resolve(Referential::embedded())
        .expect("a known territory");
    let output = Importer::new(establishments, units)
        .keep_establishments_of(territory.commune_codes_with_arrondissements())
        .run()
        .expect("import");
    eprintln!("{}", output.report);
    let source = Source {
        establishments_file: establishments.to_owned(),
        units_file: units.to_owned(),
        imported_at: String::new(),
        synthetic: true,
    };
    let panorama = Panorama::compute(&territory, source, &output.facts.to_rows());
    println!(
        "{}",
        serde_json::to_string_pretty(&panorama.to_json()).expect("JSON")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", dir, count] => {
            generate(
                Path::new(dir),
                count.parse().expect("a number of establishments"),
            )
            .expect("writing the files");
        }
        ["run", establishments, units] => run(establishments, units, None),
        ["panorama", establishments, units, territory] => {
            panorama(establishments, units, territory);
        }
        ["run", establishments, units, threads] => {
            run(
                establishments,
                units,
                Some(threads.parse().expect("a number")),
            );
        }
        _ => eprintln!(
            "usage: throughput generate DIR ESTABLISHMENTS | run ESTABLISHMENTS UNITS [THREADS]"
        ),
    }
}
