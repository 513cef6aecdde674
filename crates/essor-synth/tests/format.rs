//! The generated files follow INSEE's format (`DATA.md` §1) and the stock's shape (§3).

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use essor_domain::referential::Referential;
use essor_domain::{Siren, Siret};
use essor_synth::{GenerateError, GeneratorConfig, Summary, generate};

/// The headers as `DATA.md` §1 writes them.
const ESTABLISHMENT_HEADER: &str = "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,anneeEffectifsEtablissement,activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,numeroVoieEtablissement,indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,codeCommuneEtablissement,codeCedexEtablissement,libelleCedexEtablissement,codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,numeroVoie2Etablissement,indiceRepetition2Etablissement,typeVoie2Etablissement,libelleVoie2Etablissement,codePostal2Etablissement,libelleCommune2Etablissement,libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,enseigne3Etablissement,denominationUsuelleEtablissement,activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement,activitePrincipaleNAF25Etablissement";
const UNIT_HEADER: &str = "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,categorieEntreprise,anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale";

const SAMPLE_SIZE: u64 = 100_000;

/// One national sample shared by the tests of this file, with the progress reported.
fn sample() -> &'static (tempfile::TempDir, Summary, Vec<u64>) {
    static SAMPLE: OnceLock<(tempfile::TempDir, Summary, Vec<u64>)> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut reports = Vec::new();
        let config = GeneratorConfig {
            zip: true,
            ..GeneratorConfig::new(SAMPLE_SIZE, 42)
        };
        let summary = generate(&config, dir.path(), Referential::embedded(), |n| {
            reports.push(n);
        })
        .unwrap();
        (dir, summary, reports)
    })
}

/// Every record of a file, as strings, with its header.
fn records(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader.records().map(Result::unwrap).collect();
    (headers, rows)
}

fn establishments() -> &'static (Vec<String>, Vec<csv::StringRecord>) {
    static ROWS: OnceLock<(Vec<String>, Vec<csv::StringRecord>)> = OnceLock::new();
    ROWS.get_or_init(|| records(&sample().0.path().join("StockEtablissement_utf8.csv")))
}

fn units() -> &'static (Vec<String>, Vec<csv::StringRecord>) {
    static ROWS: OnceLock<(Vec<String>, Vec<csv::StringRecord>)> = OnceLock::new();
    ROWS.get_or_init(|| records(&sample().0.path().join("StockUniteLegale_utf8.csv")))
}

fn col(headers: &[String], name: &str) -> usize {
    headers.iter().position(|h| h == name).unwrap()
}

#[test]
fn headers_are_insee_s_current_headers() {
    let dir = sample().0.path();
    for (file, header, count) in [
        ("StockEtablissement_utf8.csv", ESTABLISHMENT_HEADER, 54),
        ("StockUniteLegale_utf8.csv", UNIT_HEADER, 35),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let first = text.lines().next().unwrap();
        assert_eq!(first, header);
        assert_eq!(first.split(',').count(), count);
    }
    assert_eq!(
        essor_synth::ESTABLISHMENT_HEADER.join(","),
        ESTABLISHMENT_HEADER
    );
    assert_eq!(essor_synth::UNIT_HEADER.join(","), UNIT_HEADER);
}

#[test]
fn the_summary_counts_what_was_written_and_progress_reaches_the_total() {
    let (_, summary, reports) = sample();
    assert_eq!(summary.establishments, SAMPLE_SIZE);
    assert_eq!(establishments().1.len() as u64, SAMPLE_SIZE);
    assert_eq!(units().1.len() as u64, summary.units);
    assert_eq!(summary.files.len(), 4);
    for file in &summary.files {
        assert_eq!(std::fs::metadata(&file.path).unwrap().len(), file.bytes);
    }
    assert!(reports.windows(2).all(|w| w[0] <= w[1]), "{reports:?}");
    let marker = sample().0.path().join(essor_synth::SYNTHETIC_MARKER);
    assert!(
        std::fs::read_to_string(marker)
            .unwrap()
            .contains("synthétiques")
    );
    assert_eq!(reports.last(), Some(&SAMPLE_SIZE));
}

#[test]
fn a_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
    let referential = Referential::embedded();
    let read = |dir: &Path| {
        ["StockEtablissement_utf8.csv", "StockUniteLegale_utf8.csv"]
            .map(|file| std::fs::read(dir.join(file)).unwrap())
    };
    let run = |seed| {
        let dir = tempfile::tempdir().unwrap();
        generate(
            &GeneratorConfig::new(20_000, seed),
            dir.path(),
            referential,
            |_| {},
        )
        .unwrap();
        read(dir.path())
    };
    let first = run(7);
    assert_eq!(first, run(7));
    let other = run(8);
    assert_ne!(first[0], other[0]);
    assert_ne!(first[1], other[1]);
}

/// Each line written is exactly what a standard CSV writer writes for the fields a standard
/// reader reads from it: quotes only where needed, doubled inside, `\` untouched.
#[test]
fn quoting_round_trips_through_a_standard_csv_reader() {
    let dir = sample().0.path();
    for file in ["StockEtablissement_utf8.csv", "StockUniteLegale_utf8.csv"] {
        let original = std::fs::read(dir.join(file)).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&original[..]);
        let mut rewritten = Vec::with_capacity(original.len());
        {
            let mut writer = csv::Writer::from_writer(&mut rewritten);
            for record in reader.byte_records() {
                writer.write_byte_record(&record.unwrap()).unwrap();
            }
            writer.flush().unwrap();
        }
        assert!(
            original == rewritten,
            "{file} differs once parsed and rewritten"
        );
    }
    // The awkward names are there, and read back whole.
    let names: Vec<&str> = units()
        .1
        .iter()
        .map(|r| r.get(col(&units().0, "denominationUniteLegale")).unwrap())
        .collect();
    assert!(names.contains(&r#"ASSOCIATION "LES AMIS, DU \ QUARTIER""#));
    assert!(names.iter().any(|n| n.contains("\\,")), "a name with \\,");
    assert!(
        names.iter().any(|n| n.ends_with('\\')),
        "a name ending with \\"
    );
    assert!(
        names.iter().any(|n| n.starts_with('"')),
        "a name starting with a quote"
    );
    let raw = std::fs::read_to_string(dir.join("StockUniteLegale_utf8.csv")).unwrap();
    assert!(raw.contains(r#","ASSOCIATION ""LES AMIS, DU \ QUARTIER""","#));
    assert!(raw.contains('É'), "UTF-8 beyond ASCII");
}

/// `[ND]` only stands for what INSEE masks, and only in rows of partially public units.
#[test]
fn masks_appear_only_in_the_masked_fields_of_partially_public_units() {
    let establishment_masked: HashSet<&str> = [
        "complementAdresseEtablissement",
        "numeroVoieEtablissement",
        "indiceRepetitionEtablissement",
        "dernierNumeroVoieEtablissement",
        "indiceRepetitionDernierNumeroVoieEtablissement",
        "typeVoieEtablissement",
        "libelleVoieEtablissement",
        "codePostalEtablissement",
        "distributionSpecialeEtablissement",
        "codeCedexEtablissement",
        "libelleCedexEtablissement",
        "identifiantAdresseEtablissement",
        "coordonneeLambertAbscisseEtablissement",
        "coordonneeLambertOrdonneeEtablissement",
        "enseigne1Etablissement",
        "enseigne2Etablissement",
        "enseigne3Etablissement",
        "denominationUsuelleEtablissement",
    ]
    .into();
    let unit_masked: HashSet<&str> = [
        "sexeUniteLegale",
        "prenom1UniteLegale",
        "prenom2UniteLegale",
        "prenom3UniteLegale",
        "prenom4UniteLegale",
        "prenomUsuelUniteLegale",
        "pseudonymeUniteLegale",
        "nomUniteLegale",
        "nomUsageUniteLegale",
        "denominationUsuelle1UniteLegale",
        "denominationUsuelle2UniteLegale",
        "denominationUsuelle3UniteLegale",
    ]
    .into();
    let mut partial_units = HashSet::new();
    let (headers, rows) = units();
    let status = col(headers, "statutDiffusionUniteLegale");
    let category = col(headers, "categorieJuridiqueUniteLegale");
    let name = col(headers, "nomUniteLegale");
    let mut partial_individuals = 0u32;
    for row in rows {
        let partial = &row[status] == "P";
        if partial {
            partial_units.insert(row[0].to_owned());
            if &row[category] == "1000" {
                partial_individuals += 1;
                assert_eq!(&row[name], "[ND]", "{row:?}");
            }
        }
        for (i, value) in row.iter().enumerate() {
            if value == "[ND]" {
                assert!(
                    partial && unit_masked.contains(headers[i].as_str()),
                    "{row:?}"
                );
            }
        }
    }
    let share = partial_units.len() as f64 / rows.len() as f64;
    assert!((0.035..0.065).contains(&share), "{share}");
    assert!(f64::from(partial_individuals) > 0.9 * partial_units.len() as f64);
    let (headers, rows) = establishments();
    let status = col(headers, "statutDiffusionEtablissement");
    let commune = col(headers, "codeCommuneEtablissement");
    let mut masked_rows = 0;
    for row in rows {
        let partial = &row[status] == "P";
        if units_contain(&row[0]) {
            assert_eq!(partial, partial_units.contains(&row[0]), "{row:?}");
        }
        if partial {
            masked_rows += 1;
            assert_ne!(&row[commune], "[ND]");
        }
        for (i, value) in row.iter().enumerate() {
            if value == "[ND]" {
                assert!(
                    partial && establishment_masked.contains(headers[i].as_str()),
                    "{}: {row:?}",
                    headers[i]
                );
            }
        }
    }
    assert!(masked_rows > 1000);
}

fn units_contain(siren: &str) -> bool {
    static SIRENS: OnceLock<HashSet<String>> = OnceLock::new();
    SIRENS
        .get_or_init(|| units().1.iter().map(|r| r[0].to_owned()).collect())
        .contains(siren)
}

#[test]
fn paris_lyon_and_marseille_establishments_are_in_their_arrondissements() {
    let (headers, rows) = establishments();
    let commune = col(headers, "codeCommuneEtablissement");
    let referential = Referential::embedded();
    let mut arrondissements = HashSet::new();
    let mut unknown = 0;
    for row in rows {
        let code = &row[commune];
        assert!(!["75056", "69123", "13055"].contains(&code), "{row:?}");
        match referential.commune(code) {
            Some(c) if c.parent.is_some() => {
                arrondissements.insert(code.to_owned());
            }
            Some(_) => {}
            None => unknown += 1,
        }
    }
    // All 45 arrondissements, and a few rows abroad or in former communes.
    assert_eq!(arrondissements.len(), 45);
    assert!((20..2_000).contains(&unknown), "{unknown}");
}

#[test]
fn identifiers_are_valid_sorted_and_consistent() {
    let (headers, rows) = establishments();
    let (siren, nic, full, head) = (
        col(headers, "siren"),
        col(headers, "nic"),
        col(headers, "siret"),
        col(headers, "etablissementSiege"),
    );
    let mut previous = String::new();
    let mut heads: HashMap<String, String> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        if i % 97 == 0 {
            Siren::parse(&row[siren]).unwrap();
            Siret::parse(&row[full]).unwrap();
        }
        assert_eq!(format!("{}{}", &row[siren], &row[nic]), &row[full]);
        let key = format!("{}{}", &row[siren], &row[nic]);
        assert!(key > previous, "sorted by siren then nic");
        previous = key;
        if &row[head] == "true" {
            assert!(
                heads
                    .insert(row[siren].to_owned(), row[nic].to_owned())
                    .is_none()
            );
        }
    }
    let (headers, rows) = units();
    let nic_head = col(headers, "nicSiegeUniteLegale");
    let mut previous = String::new();
    let mut missing = 0;
    for row in rows {
        assert!(row[0] > *previous, "units sorted and unique");
        previous = row[0].to_owned();
        match heads.get(&row[0]) {
            Some(nic) => assert_eq!(nic, &row[nic_head]),
            None => missing += 1,
        }
    }
    assert_eq!(missing, 0, "every unit has its head office in the sample");
    let orphans = establishments()
        .1
        .iter()
        .filter(|r| !units_contain(&r[0]))
        .count();
    let share = orphans as f64 / SAMPLE_SIZE as f64;
    assert!((0.0001..0.002).contains(&share), "{share}");
}

/// Dates, codes and coordinates are written as INSEE writes them.
#[test]
#[allow(clippy::too_many_lines, reason = "one check per column")]
fn values_follow_insee_s_codes_and_formats() {
    let (headers, rows) = establishments();
    let get = |name: &str| col(headers, name);
    let (created, treated, started, state, employer, band, activity, nomenclature, x, y) = (
        get("dateCreationEtablissement"),
        get("dateDernierTraitementEtablissement"),
        get("dateDebut"),
        get("etatAdministratifEtablissement"),
        get("caractereEmployeurEtablissement"),
        get("trancheEffectifsEtablissement"),
        get("activitePrincipaleEtablissement"),
        get("nomenclatureActivitePrincipaleEtablissement"),
        get("coordonneeLambertAbscisseEtablissement"),
        get("coordonneeLambertOrdonneeEtablissement"),
    );
    let is_date = |v: &str| {
        let b = v.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    };
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let mut count = |key: &'static str| *counts.entry(key).or_default() += 1;
    let bands = [
        "NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52",
        "53", "",
    ];
    for row in rows {
        for field in [created, started] {
            assert!(row[field].is_empty() || is_date(&row[field]), "{row:?}");
        }
        match &row[created] {
            "" => count("created empty"),
            "1900-01-01" => count("created unknown"),
            _ => {}
        }
        let t = &row[treated];
        assert!(is_date(&t[..10]) && &t[10..11] == "T", "{t}");
        match t.len() {
            19 => count("treated without ms"),
            23 => count("treated with ms"),
            _ => panic!("{t}"),
        }
        assert!(["A", "F"].contains(&&row[state]));
        assert!(["O", "N", ""].contains(&&row[employer]));
        assert!(bands.contains(&&row[band]), "{}", &row[band]);
        match (&row[state], &row[employer]) {
            ("A", "O") => count("active employer"),
            ("A", _) => count("active other"),
            _ => {}
        }
        match &row[nomenclature] {
            "NAFRev2" => {
                let a = row[activity].as_bytes();
                assert!(
                    a.len() == 6 && a[2] == b'.' && a[5].is_ascii_uppercase(),
                    "{}",
                    &row[activity]
                );
                if &row[activity] == "00.00Z" {
                    count("00.00Z");
                }
            }
            "NAFRev1" | "NAF1993" => {
                count("old");
                assert_eq!(row[activity].len(), 5, "{}", &row[activity]);
            }
            "NAP" => count("nap"),
            "" => {
                count("no activity");
                assert!(row[activity].is_empty());
            }
            other => panic!("nomenclature {other}"),
        }
        for (field, range) in [(x, 100_000.0..1_250_000.0), (y, 6_000_000.0..7_150_000.0)] {
            let v = &row[field];
            if !v.is_empty() && v != "[ND]" {
                let v: f64 = v.parse().unwrap();
                assert!(range.contains(&v), "{v}");
            }
        }
    }
    for key in [
        "created empty",
        "created unknown",
        "treated without ms",
        "treated with ms",
        "00.00Z",
        "old",
        "nap",
        "no activity",
    ] {
        assert!(
            counts.get(key).copied().unwrap_or(0) > 0,
            "no {key}: {counts:?}"
        );
    }
    let active = counts["active employer"] + counts["active other"];
    let active_share = active as f64 / SAMPLE_SIZE as f64;
    assert!((0.35..0.41).contains(&active_share), "{active_share}");
    let employer_share = counts["active employer"] as f64 / active as f64;
    assert!((0.12..0.17).contains(&employer_share), "{employer_share}");
    let old = (counts["old"] + counts["nap"]) as f64 / SAMPLE_SIZE as f64;
    assert!((0.01..0.1).contains(&old), "{old}");
}

/// Legal units: the whole-country ratio to establishments, categories, states and the ESS flag.
#[test]
fn legal_units_have_the_stock_s_shape() {
    let (headers, rows) = units();
    let ratio = rows.len() as f64 / SAMPLE_SIZE as f64;
    assert!(
        (0.65..0.71).contains(&ratio),
        "{ratio} (29.9 / 43.9 = 0.681)"
    );
    let (category, state, ess, employer) = (
        col(headers, "categorieJuridiqueUniteLegale"),
        col(headers, "etatAdministratifUniteLegale"),
        col(headers, "economieSocialeSolidaireUniteLegale"),
        col(headers, "caractereEmployeurUniteLegale"),
    );
    let mut categories: HashMap<&str, u64> = HashMap::new();
    let mut flags: HashMap<&str, u64> = HashMap::new();
    let mut flagged_companies = 0;
    for row in rows {
        *categories.entry(&row[category]).or_default() += 1;
        *flags.entry(&row[ess]).or_default() += 1;
        assert!(["A", "C"].contains(&&row[state]));
        assert!(row[employer].is_empty());
        if &row[ess] == "O" && !common::has_family(&row[category]) {
            flagged_companies += 1;
        }
    }
    let share = |code: &str| categories.get(code).copied().unwrap_or(0) as f64 / rows.len() as f64;
    assert!(
        share("1000") > 0.5,
        "individual entrepreneurs are the majority"
    );
    for code in [
        "5710", "5499", "9220", "6540", "7210", "9300", "5458", "8210",
    ] {
        assert!(share(code) > 0.0, "{code}");
    }
    assert!(categories.keys().any(|c| c.starts_with('7')));
    let filled =
        (flags.get("O").unwrap_or(&0) + flags.get("N").unwrap_or(&0)) as f64 / rows.len() as f64;
    assert!(
        (0.02..0.06).contains(&filled),
        "{filled} (1 M / 29.9 M = 0.033)"
    );
    assert!(flags.get("O").unwrap_or(&0) > flags.get("N").unwrap_or(&0));
    assert!(flagged_companies > 0, "some commercial companies are ESUS");
}

#[test]
fn the_archives_hold_one_csv_each_identical_to_the_file() {
    let dir = sample().0.path();
    for (zip, csv) in [
        ("StockEtablissement_utf8.zip", "StockEtablissement_utf8.csv"),
        ("StockUniteLegale_utf8.zip", "StockUniteLegale_utf8.csv"),
    ] {
        let mut archive =
            zip::ZipArchive::new(std::fs::File::open(dir.join(zip)).unwrap()).unwrap();
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name(), csv);
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        assert!(content == std::fs::read(dir.join(csv)).unwrap());
    }
}

#[test]
fn an_unknown_commune_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = GeneratorConfig {
        communes: Some(vec!["38999".into()]),
        ..GeneratorConfig::new(10, 1)
    };
    let error = generate(&config, dir.path(), Referential::embedded(), |_| {}).unwrap_err();
    assert!(matches!(error, GenerateError::UnknownCommune(ref c) if c == "38999"));
    assert!(error.to_string().contains("38999"));
}

#[test]
fn a_restricted_generation_keeps_to_its_communes() {
    let dir = tempfile::tempdir().unwrap();
    let config = GeneratorConfig {
        communes: Some(vec!["38185".into(), "69123".into()]),
        ..GeneratorConfig::new(5_000, 3)
    };
    let summary = generate(&config, dir.path(), Referential::embedded(), |_| {}).unwrap();
    assert_eq!(summary.establishments, 5_000);
    let (headers, rows) = records(&dir.path().join("StockEtablissement_utf8.csv"));
    let commune = col(&headers, "codeCommuneEtablissement");
    let referential = Referential::embedded();
    let mut lyon = 0;
    for row in &rows {
        let code = &row[commune];
        // Rows abroad or in a former commune have no current code.
        match referential.commune(code) {
            Some(c) if c.parent.as_ref().is_some_and(|p| p.as_str() == "69123") => lyon += 1,
            Some(c) => assert_eq!(c.code.as_str(), "38185"),
            None => {}
        }
    }
    assert!(
        lyon > 2_500,
        "Lyon has more inhabitants than Grenoble: {lyon}"
    );
}
