//! The same data written the other ways INSEE's files come: the same output.

use std::sync::{Arc, Mutex};

use essor_sirene::{Importer, Phase};

use crate::fixture::{self, RECENT_ESTABLISHMENT_COLUMNS, RECENT_UNIT_COLUMNS, Table};
use crate::{import_csv, reference};

#[test]
fn columns_in_another_order_with_an_unknown_column_give_identical_facts_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let shuffled = import_csv(
        dir.path(),
        &fixture::establishments().reordered().to_csv(),
        &fixture::units().reordered().to_csv(),
    );
    assert_eq!(shuffled.facts, expected.facts);
    assert_eq!(shuffled.establishments, expected.establishments);
    assert!(shuffled.report.warnings.is_empty());
}

#[test]
fn an_older_header_without_the_recent_columns_works() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let old = import_csv(
        dir.path(),
        &fixture::establishments()
            .without(&RECENT_ESTABLISHMENT_COLUMNS)
            .to_csv(),
        &fixture::units().without(&RECENT_UNIT_COLUMNS).to_csv(),
    );
    assert_eq!(old.facts, expected.facts);
    assert_eq!(old.establishments, expected.establishments);
    assert_eq!(old.report.rejected.total, 0);
}

#[test]
fn zipped_files_give_the_same_output_as_plain_ones() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let establishments = fixture::zip(
        dir.path(),
        "StockEtablissement_utf8.zip",
        "StockEtablissement_utf8.csv",
        &fixture::establishments().to_csv(),
    );
    let units = fixture::zip(
        dir.path(),
        "StockUniteLegale_utf8.zip",
        "StockUniteLegale_utf8.csv",
        &fixture::units().to_csv(),
    );
    let zipped = Importer::new(&establishments, &units)
        .keep_establishments_of(fixture::kept())
        .run()
        .unwrap();
    assert_eq!(zipped.facts, expected.facts);
    assert_eq!(zipped.establishments, expected.establishments);
    let file = &zipped.report.files[1];
    assert!(file.zipped);
    assert_eq!(file.entry.as_deref(), Some("StockEtablissement_utf8.csv"));
    assert_eq!(file.rows_read, 17);
    assert!(
        zipped
            .report
            .to_text()
            .contains("zip de StockEtablissement_utf8.csv")
    );
}

#[test]
fn a_zip_is_recognised_by_its_content_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let units = fixture::zip(
        dir.path(),
        "unites.dat",
        "StockUniteLegale_utf8.csv",
        &fixture::units().to_csv(),
    );
    let establishments = fixture::write(
        dir.path(),
        "etablissements.csv",
        &fixture::establishments().to_csv(),
    );
    let output = Importer::new(establishments, units)
        .keep_establishments_of(fixture::kept())
        .run()
        .unwrap();
    assert_eq!(output.facts, expected.facts);
}

/// The reference files rewritten by the csv crate with other settings.
fn rewrite(table: &Table, style: csv::QuoteStyle, terminator: csv::Terminator) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(style)
        .terminator(terminator)
        .from_writer(Vec::new());
    writer.write_record(&table.columns).unwrap();
    for row in &table.rows {
        writer.write_record(row).unwrap();
    }
    writer.into_inner().unwrap()
}

#[test]
fn fields_quoted_without_need_and_crlf_line_ends_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let output = import_csv(
        dir.path(),
        &rewrite(
            &fixture::establishments(),
            csv::QuoteStyle::Always,
            csv::Terminator::CRLF,
        ),
        &rewrite(
            &fixture::units(),
            csv::QuoteStyle::Always,
            csv::Terminator::CRLF,
        ),
    );
    assert_eq!(output.facts, expected.facts);
    assert_eq!(output.establishments, expected.establishments);
}

#[test]
fn a_byte_order_mark_and_a_missing_final_newline_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let mut establishments = b"\xEF\xBB\xBF".to_vec();
    establishments.extend(fixture::establishments().to_csv());
    establishments.pop();
    let output = import_csv(dir.path(), &establishments, &fixture::units().to_csv());
    assert_eq!(output.facts, expected.facts);
}

#[test]
fn files_without_the_directory_columns_import_for_the_panorama_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let establishments = fixture::establishments().without(&[
        "siret",
        "enseigne1Etablissement",
        "libelleVoieEtablissement",
        "coordonneeLambertAbscisseEtablissement",
    ]);
    let units = fixture::units().without(&["denominationUniteLegale", "sigleUniteLegale"]);
    let output = import_csv(dir.path(), &establishments.to_csv(), &units.to_csv());
    assert_eq!(output.facts, expected.facts);
    assert_eq!(
        output.report.warnings,
        [
            "Unités légales : colonnes de l’annuaire absentes (denominationUniteLegale, \
             sigleUniteLegale) ; le panorama est complet, l’annuaire n’aura pas ces informations",
            "Établissements : colonnes de l’annuaire absentes (enseigne1Etablissement, \
             libelleVoieEtablissement, coordonneeLambertAbscisseEtablissement) ; le panorama \
             est complet, l’annuaire n’aura pas ces informations",
        ]
    );
    // The SIRET is made of the SIREN and the NIC; what is missing is missing.
    let e1 = &output.establishments[0];
    assert_eq!(e1.siret, "10000000100011");
    assert_eq!(e1.name, None);
    assert_eq!(e1.sign, None);
    assert_eq!(e1.address_line, None);
    assert_eq!(e1.lambert_x, None);
    assert_eq!(e1.lambert_y, Some(6_458_025.0));
    assert!(output.report.to_text().contains("Avertissements :"));
}

#[test]
fn without_siret_nor_nic_no_record_is_kept_and_the_report_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let establishments = fixture::establishments().without(&["siret", "nic"]);
    let output = import_csv(
        dir.path(),
        &establishments.to_csv(),
        &fixture::units().to_csv(),
    );
    assert!(output.establishments.is_empty());
    assert!(
        output
            .report
            .warnings
            .iter()
            .any(|w| w.contains("ni colonne siret ni colonne nic")),
        "{:?}",
        output.report.warnings
    );
}

#[test]
fn progress_is_reported_up_to_the_total_size_of_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let establishments = fixture::write(dir.path(), "e.csv", &fixture::establishments().to_csv());
    let units = fixture::write(dir.path(), "u.csv", &fixture::units().to_csv());
    let total = std::fs::metadata(&establishments).unwrap().len()
        + std::fs::metadata(&units).unwrap().len();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    Importer::new(establishments, units)
        .progress(move |p| sink.lock().unwrap().push(p))
        .run()
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.iter().all(|p| p.bytes_total == total));
    assert_eq!(seen.first().unwrap().phase, Phase::Units);
    let last = seen.last().unwrap();
    assert_eq!(last.phase, Phase::Establishments);
    assert_eq!(last.bytes_read, total);
    assert!(seen.windows(2).all(|w| w[0].bytes_read <= w[1].bytes_read));
}

#[test]
fn a_kept_code_unknown_to_the_referential_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let establishments = fixture::write(dir.path(), "e.csv", &fixture::establishments().to_csv());
    let units = fixture::write(dir.path(), "u.csv", &fixture::units().to_csv());
    let output = Importer::new(establishments, units)
        .keep_establishments_of(["38007".to_owned(), "75101".to_owned()])
        .run()
        .unwrap();
    assert_eq!(output.establishments.len(), 1, "E7 in Paris 1er");
    assert_eq!(
        output.establishments[0].name.as_deref(),
        Some("CLAIRE DURAND")
    );
    assert_eq!(
        output.report.warnings,
        ["codes de communes à retenir inconnus du référentiel, ignorés : 38007"]
    );
}

/// A file of several chunks: many rows, long fields, quoted fields spanning lines.
fn big_establishments(rows: usize, bad_row_at: usize) -> (Vec<u8>, u64) {
    let sirens = [
        "100000001",
        "100000002",
        "100000003",
        "100000004",
        "100000005",
        "100000007",
        "100000009",
        "100000099",
    ];
    let communes = ["38185", "38421", "75101", "69381", "13201", "38007", ""];
    let bands = ["", "NN", "00", "01", "02", "03", "11", "12", "21", "53"];
    let nafs = [
        "88.10A", "38.11Z", "94.20Z", "43.22B", "56.10A", "52.4Z", "00.00Z",
    ];
    let mut table = Table::new(fixture::ESTABLISHMENT_HEADER);
    let mut bad_line = 0;
    for i in 0..rows {
        let street = if i % 7 == 0 {
            format!("RUE \"DU PONT\", N°{i}\nBÂTIMENT {i}")
        } else {
            format!("AVENUE DES {i} CHEMINS \\ LOT {}", "X".repeat(i % 90))
        };
        let year = format!("{}-03-01", 1940 + i % 90);
        let nomenclature = if i % 5 == 0 { "NAFRev1" } else { "NAFRev2" };
        table.row(&[
            ("siren", sirens[i % sirens.len()]),
            ("siret", &format!("{}{:05}", sirens[i % sirens.len()], i)),
            ("codeCommuneEtablissement", communes[i % communes.len()]),
            (
                "etatAdministratifEtablissement",
                if i % 3 == 0 { "F" } else { "A" },
            ),
            (
                "caractereEmployeurEtablissement",
                if i % 2 == 0 { "O" } else { "N" },
            ),
            ("trancheEffectifsEtablissement", bands[i % bands.len()]),
            ("activitePrincipaleEtablissement", nafs[i % nafs.len()]),
            ("nomenclatureActivitePrincipaleEtablissement", nomenclature),
            ("dateCreationEtablissement", &year),
            ("dateDebut", &year),
            ("libelleVoieEtablissement", &street),
        ]);
    }
    let csv = table.to_csv();
    // Insert a bad row before data row `bad_row_at`, counting physical lines.
    let mut out = Vec::with_capacity(csv.len() + 100);
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_slice());
    let mut record = csv::ByteRecord::new();
    let mut row = 0;
    let mut last = reader.position().byte() as usize;
    while reader.read_byte_record(&mut record).unwrap() {
        let start = record.position().unwrap();
        if row == bad_row_at {
            out.extend_from_slice(&csv[last..start.byte() as usize]);
            bad_line = start.line();
            out.extend_from_slice(b"100000001,trop,court\n");
            last = start.byte() as usize;
        }
        row += 1;
    }
    out.extend_from_slice(&csv[last..]);
    (out, bad_line)
}

#[test]
fn a_file_of_many_chunks_gives_the_same_output_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (establishments, bad_line) = big_establishments(60_000, 41_234);
    assert!(establishments.len() > 9 << 20, "at least three chunks");
    let establishments = fixture::write(dir.path(), "e.csv", &establishments);
    let units = fixture::write(dir.path(), "u.csv", &fixture::units().to_csv());
    let run = |threads| {
        Importer::new(&establishments, &units)
            .keep_establishments_of(fixture::kept())
            .threads(threads)
            .run()
            .unwrap()
    };
    let one = run(1);
    let three = run(3);
    assert_eq!(one.facts, three.facts);
    assert_eq!(one.establishments, three.establishments);
    for output in [&one, &three] {
        let report = &output.report;
        assert_eq!(report.files[1].rows_read, 60_001);
        assert_eq!(report.establishments, 60_000);
        assert_eq!(report.rejected.total, 1);
        assert_eq!(report.rejected.samples[0].line, bad_line);
        assert_eq!(
            report.outside_referential,
            (0..60_000).filter(|i| i % 7 >= 5).count() as u64
        );
    }
    assert!(bad_line > 41_234 + 1, "multi-line fields push lines down");
    let multi_line = one
        .establishments
        .iter()
        .find(|r| r.address_line.as_deref().is_some_and(|a| a.contains('\n')))
        .expect("a street spanning lines");
    assert!(
        multi_line
            .address_line
            .as_deref()
            .unwrap()
            .contains("\"DU PONT\"")
    );
    let total: u64 = one
        .facts
        .to_rows()
        .iter()
        .filter(|f| f.dimension == essor_domain::panorama::Dimension::Creation)
        .map(|f| f.figures.active)
        .sum();
    assert_eq!(
        total, one.report.in_referential,
        "every row has a creation year"
    );
}
