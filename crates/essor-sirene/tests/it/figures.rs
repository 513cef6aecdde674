//! The reference data set's figures, worked out by hand from `fixture.rs`.
//!
//! Grenoble (38185) has E1, E2, E3, E5, E6, E10, E11, E14, E15, E16, E17:
//! - active: all but E2 and E14 (closed): 9; employers among them: E1, E3, E5, E10, E11, E15,
//!   E16: 7; jobs ×2: 29 + 15 + 69 + 0 (NN) + 3 + 3 + 299 + 20 000 + 0 (99) = 20 418.
//! - ESS and active: E1, E16, E17 (association), E3 (SCOP), E6 (flag O, individual): 5; not E5
//!   (flag N, no family), E10 (union, 94.20Z), E11 (unit missing), E15 (commune);
//!   ESS employers: E1, E3, E16: 3; ESS jobs ×2: 29 + 15 + 0 + 20 000 + 0 = 20 044.
//! - creations: every establishment with a known date, closed ones included (E15: 1900-01-01,
//!   E16: empty, skipped); closures: E2 in 2022, E14 in 2023, both ESS.

use essor_domain::ess::Family;
use essor_domain::panorama::{Dimension, FactRow, Figures, Panorama, Source};
use essor_domain::referential::Referential;
use essor_domain::territory::TerritoryRef;

use crate::reference;

fn fact(commune: &str, dimension: Dimension, key: &str, f: [u64; 6]) -> FactRow {
    FactRow {
        commune: commune.to_owned(),
        dimension,
        key: key.to_owned(),
        figures: Figures {
            active: f[0],
            employer: f[1],
            jobs_x2: f[2],
            ess_active: f[3],
            ess_employer: f[4],
            ess_jobs_x2: f[5],
        },
    }
}

/// `[ess_active, ess_employer, ess_jobs_x2]` of an ESS breakdown.
fn ess(commune: &str, dimension: Dimension, key: &str, f: [u64; 3]) -> FactRow {
    fact(commune, dimension, key, [0, 0, 0, f[0], f[1], f[2]])
}

/// `[all, ess]` of creations and closures.
fn year(commune: &str, dimension: Dimension, year: &str, all: u64, ess: u64) -> FactRow {
    fact(commune, dimension, year, [all, 0, 0, ess, 0, 0])
}

pub(crate) fn expected_facts() -> Vec<FactRow> {
    use Dimension::{Band, Closure, Creation, Family, Section, Theme, Total};
    vec![
        // Marseille 1er: E9, the mutual.
        fact("13201", Total, "", [1, 1, 149, 1, 1, 149]),
        ess("13201", Family, "mutuelle", [1, 1, 149]),
        ess("13201", Section, "K", [1, 1, 149]),
        ess("13201", Band, "21", [1, 1, 149]),
        year("13201", Creation, "2001", 1, 1),
        // Grenoble.
        fact("38185", Total, "", [9, 7, 20_418, 5, 3, 20_044]),
        ess("38185", Family, "association", [3, 2, 20_029]),
        ess("38185", Family, "cooperative", [1, 1, 15]),
        ess("38185", Family, "societe_commerciale_ess", [1, 0, 0]),
        ess("38185", Section, "E", [1, 1, 15]),
        ess("38185", Section, "Q", [2, 1, 29]),
        // E6 (NAFRev1) and E16 (00.00Z).
        ess("38185", Section, "non_classee", [2, 1, 20_000]),
        ess("38185", Theme, "dechets", [1, 1, 15]),
        ess("38185", Band, "03", [1, 1, 15]),
        ess("38185", Band, "11", [1, 1, 29]),
        ess("38185", Band, "53", [1, 1, 20_000]),
        ess("38185", Band, "99", [1, 0, 0]),
        ess("38185", Band, "NN", [1, 0, 0]),
        year("38185", Creation, "2005", 1, 1),
        year("38185", Creation, "2010", 1, 1),
        year("38185", Creation, "2015", 1, 1),
        year("38185", Creation, "2017", 1, 0),
        year("38185", Creation, "2018", 1, 0),
        year("38185", Creation, "2019", 1, 1),
        year("38185", Creation, "2020", 2, 2),
        year("38185", Creation, "2021", 1, 0),
        year("38185", Closure, "2022", 1, 1),
        year("38185", Closure, "2023", 1, 1),
        // Saint-Martin-d'Hères: E4, flagged O, empty band, 43.22B in two themes.
        fact("38421", Total, "", [1, 0, 0, 1, 0, 0]),
        ess("38421", Family, "societe_commerciale_ess", [1, 0, 0]),
        ess("38421", Section, "F", [1, 0, 0]),
        ess("38421", Theme, "transition_energetique", [1, 0, 0]),
        ess("38421", Theme, "habitat", [1, 0, 0]),
        ess("38421", Band, "vide", [1, 0, 0]),
        // Lyon 1er: E8, association flagged N, created in 1945.
        fact("69381", Total, "", [1, 0, 0, 1, 0, 0]),
        ess("69381", Family, "association", [1, 0, 0]),
        ess("69381", Section, "S", [1, 0, 0]),
        ess("69381", Band, "00", [1, 0, 0]),
        year("69381", Creation, "1945", 1, 1),
        // Paris 1er: E7, the public individual entrepreneur's restaurant.
        fact("75101", Total, "", [1, 1, 8, 1, 1, 8]),
        ess("75101", Family, "societe_commerciale_ess", [1, 1, 8]),
        ess("75101", Section, "I", [1, 1, 8]),
        ess("75101", Theme, "circuits_courts", [1, 1, 8]),
        ess("75101", Band, "02", [1, 1, 8]),
        year("75101", Creation, "2024", 1, 1),
    ]
}

#[test]
fn the_reference_files_give_the_facts_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let output = reference(dir.path());
    let expected = expected_facts();
    for (i, (got, want)) in output.facts.to_rows().iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "fact {i}");
    }
    assert_eq!(output.facts.len(), expected.len());
}

#[test]
fn the_report_counts_rows_by_where_they_belong() {
    let dir = tempfile::tempdir().unwrap();
    let report = reference(dir.path()).report;
    assert_eq!(report.perimeter, "essor-v1");
    assert_eq!(report.units, 11);
    assert_eq!(report.units_ess_candidates, 9, "all but U4 and U11");
    assert_eq!(report.establishments, 17);
    assert_eq!(report.in_referential, 15);
    assert_eq!(
        report.outside_referential, 2,
        "E12 (38007) and E13 (abroad)"
    );
    assert_eq!(report.without_commune, 1);
    assert_eq!(report.ess, 13);
    assert_eq!(report.ess_active, 11);
    assert_eq!(report.missing_unit, 1);
    assert_eq!(report.kept_establishments, 8);
    assert_eq!(report.fact_rows, expected_facts().len() as u64);
    assert_eq!(report.rejected.total, 0);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.files.len(), 2);
    assert_eq!(report.files[0].rows_read, 11);
    assert_eq!(report.files[1].rows_read, 17);
    assert!(!report.files[1].zipped);
    let text = report.to_text();
    assert!(text.contains("Import SIRENE terminé en"), "{text}");
    assert!(text.contains("17 lignes lues, 0 rejetée"), "{text}");
    assert!(
        text.contains("2 hors référentiel (ancienne commune ou adresse à l’étranger"),
        "{text}"
    );
    assert!(
        text.contains("1 dont l’unité légale manque au fichier des unités légales"),
        "{text}"
    );
}

#[test]
fn ess_establishments_of_the_kept_communes_active_or_closed_become_records() {
    let dir = tempfile::tempdir().unwrap();
    let records = reference(dir.path()).establishments;
    let sirets: Vec<&str> = records.iter().map(|r| r.siret.as_str()).collect();
    assert_eq!(
        sirets,
        [
            "10000000100011", // E1
            "10000000100029", // E2, closed
            "10000000100045", // E16
            "10000000200015", // E3
            "10000000300013", // E4, Saint-Martin-d'Hères
            "10000000500016", // E6
            "10000000700025", // E17
            "10000001000019", // E14, closed
        ]
    );
    let closed = records
        .iter()
        .find(|r| r.siret == "10000000100029")
        .unwrap();
    assert!(!closed.active && !closed.employer && !closed.head_office);
    assert_eq!(closed.jobs_x2, 0);
}

#[test]
fn the_record_of_a_public_association_has_its_name_sign_address_and_figures() {
    let dir = tempfile::tempdir().unwrap();
    let records = reference(dir.path()).establishments;
    let e1 = &records[0];
    assert_eq!(e1.siren, "100000001");
    assert_eq!(e1.commune, "38185");
    assert!(e1.active && e1.employer && e1.head_office && !e1.diffusion_partial);
    assert_eq!(
        e1.name.as_deref(),
        Some("LES AMIS DU \"VIEUX\" MOULIN, GRENOBLE")
    );
    assert_eq!(e1.acronym.as_deref(), Some("AVM"));
    assert_eq!(e1.sign.as_deref(), Some("LA RESSOURCERIE \"BIS\""));
    assert_eq!(
        e1.address_line.as_deref(),
        Some("12 bis AVENUE JEAN JAURES")
    );
    assert_eq!(e1.postcode.as_deref(), Some("38000"));
    assert_eq!(e1.naf.as_deref(), Some("88.10A"));
    assert_eq!(e1.naf_nomenclature.as_deref(), Some("NAFRev2"));
    assert_eq!(e1.band.as_deref(), Some("11"));
    assert_eq!(e1.family, Family::Association);
    assert_eq!(e1.legal_category, "9220");
    assert!(!e1.ess_flag);
    assert_eq!(e1.created.as_deref(), Some("2020-05-01"));
    assert_eq!(e1.lambert_x, Some(913_254.5));
    assert_eq!(e1.lambert_y, Some(6_458_025.0));
    assert_eq!(e1.section, "Q");
    assert!(e1.themes.is_empty());
    assert_eq!(e1.jobs_x2, 29);
}

#[test]
fn a_protected_individual_entrepreneur_shows_no_name_sign_address_nor_coordinates() {
    let dir = tempfile::tempdir().unwrap();
    let records = reference(dir.path()).establishments;
    let e6 = records
        .iter()
        .find(|r| r.siret == "10000000500016")
        .unwrap();
    assert!(e6.diffusion_partial);
    assert_eq!(e6.name, None);
    assert_eq!(e6.acronym, None);
    assert_eq!(e6.sign, None);
    assert_eq!(e6.address_line, None);
    assert_eq!(e6.postcode, None);
    assert_eq!((e6.lambert_x, e6.lambert_y), (None, None));
    assert_eq!(e6.family, Family::SocieteCommercialeEss);
    assert!(e6.ess_flag);
    assert_eq!(e6.legal_category, "1000");
    assert_eq!(e6.section, "non_classee");
    assert!(e6.themes.is_empty());
    let json = serde_json::to_string(&records).unwrap();
    assert!(!json.contains("[ND]"), "no masked value is ever kept");
}

#[test]
fn backslashes_are_ordinary_characters_in_names_signs_and_streets() {
    let dir = tempfile::tempdir().unwrap();
    let records = reference(dir.path()).establishments;
    let e3 = records
        .iter()
        .find(|r| r.siret == "10000000200015")
        .unwrap();
    assert_eq!(e3.name.as_deref(), Some("SCOP ALPES \\, BIS"));
    assert_eq!(e3.sign.as_deref(), Some("L'ÉCHOPPE \\\"RÉEMPLOI\\\""));
    assert_eq!(e3.address_line.as_deref(), Some("3 RUE DU PORT\\"));
    assert_eq!(e3.themes, ["dechets"]);
    assert_eq!(e3.family, Family::Cooperative);
    assert!(e3.ess_flag);
}

#[test]
fn records_without_band_or_creation_date_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let records = reference(dir.path()).establishments;
    let e4 = records
        .iter()
        .find(|r| r.siret == "10000000300013")
        .unwrap();
    assert_eq!(e4.band, None);
    assert_eq!(e4.created, None, "1900-01-01 is an unknown date");
    assert_eq!(e4.themes, ["transition_energetique", "habitat"]);
    assert_eq!(e4.section, "F");
    assert_eq!(e4.name.as_deref(), Some("SOLIDAIRE SAS"));
}

#[test]
fn the_facts_give_the_panorama_of_a_territory() {
    let dir = tempfile::tempdir().unwrap();
    let output = reference(dir.path());
    let territory = "communes:38185,38421"
        .parse::<TerritoryRef>()
        .unwrap()
        .resolve(Referential::embedded())
        .unwrap();
    let source = Source {
        establishments_file: "StockEtablissement_utf8.csv".into(),
        units_file: "StockUniteLegale_utf8.csv".into(),
        imported_at: "2026-11-28T09:00:00Z".into(),
        synthetic: true,
    };
    let panorama = Panorama::compute(&territory, source, &output.facts.to_rows());
    let e = &panorama.establishments;
    assert_eq!(
        (e.active, e.employer, e.ess_active, e.ess_employer),
        (10, 7, 6, 3)
    );
    assert_eq!(e.ess_employer_share_pct, Some(42.9));
    assert_eq!(panorama.jobs.all_estimated, 10_209.0);
    assert_eq!(panorama.jobs.ess_estimated, 10_022.0);
    assert_eq!(panorama.jobs.ess_band_unknown, 1);
    let paris = "communes:75056"
        .parse::<TerritoryRef>()
        .unwrap()
        .resolve(Referential::embedded())
        .unwrap();
    let panorama = Panorama::compute(&paris, panorama.source, &output.facts.to_rows());
    assert_eq!(
        panorama.by_commune[0].ess_jobs, 4.0,
        "75101 counts in Paris"
    );
}
