//! Files that are not what they should be: refused with a French message naming the file and
//! the column, or read with their bad rows rejected, counted and located.

use std::io::Write;

use essor_sirene::{ImportError, Importer};

use crate::figures::expected_facts;
use crate::fixture;
use crate::{import_csv, reference};

fn import_error(establishments: &[u8], units: &[u8]) -> ImportError {
    let dir = tempfile::tempdir().unwrap();
    let establishments = fixture::write(dir.path(), "StockEtablissement.csv", establishments);
    let units = fixture::write(dir.path(), "StockUniteLegale.csv", units);
    Importer::new(establishments, units).run().unwrap_err()
}

#[test]
fn an_establishments_file_without_a_needed_column_is_refused_naming_it() {
    let establishments = fixture::establishments().without(&["dateDebut"]).to_csv();
    let error = import_error(&establishments, &fixture::units().to_csv());
    let message = error.to_string();
    assert!(
        matches!(&error, ImportError::MissingColumn { column, .. } if column == "dateDebut"),
        "{message}"
    );
    assert!(message.contains("StockEtablissement.csv"), "{message}");
    assert!(
        message.contains("la colonne « dateDebut », nécessaire au panorama, manque"),
        "{message}"
    );
}

#[test]
fn a_units_file_without_the_ess_flag_is_refused_naming_it() {
    let units = fixture::units()
        .without(&["economieSocialeSolidaireUniteLegale"])
        .to_csv();
    let message = import_error(&fixture::establishments().to_csv(), &units).to_string();
    assert!(message.contains("StockUniteLegale.csv"), "{message}");
    assert!(
        message.contains("« economieSocialeSolidaireUniteLegale »"),
        "{message}"
    );
    assert!(message.contains("StockUniteLegale de l’INSEE"), "{message}");
}

#[test]
fn files_swapped_are_refused_naming_a_missing_column() {
    let message = import_error(
        &fixture::units().to_csv(),
        &fixture::establishments().to_csv(),
    )
    .to_string();
    assert!(
        message.contains("« categorieJuridiqueUniteLegale »"),
        "{message}"
    );
}

#[test]
fn an_empty_file_is_refused() {
    let message = import_error(b"", &fixture::units().to_csv()).to_string();
    assert!(
        message.starts_with("le fichier ") && message.contains("StockEtablissement.csv est vide"),
        "{message}"
    );
}

#[test]
fn a_file_that_does_not_exist_is_named() {
    let error = Importer::new("/nonexistent/StockEtablissement.csv", "/nonexistent/u.csv")
        .run()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("impossible d’ouvrir /nonexistent/"),
        "{error}"
    );
}

/// The reference establishments with raw lines inserted after the data row `after` (1-based).
fn with_raw_lines(after: usize, lines: &[&[u8]]) -> Vec<u8> {
    let csv = fixture::establishments().to_csv();
    let mut out = Vec::new();
    let mut rows = csv.split_inclusive(|b| *b == b'\n');
    for row in rows.by_ref().take(after + 1) {
        out.extend_from_slice(row);
    }
    for line in lines {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    for row in rows {
        out.extend_from_slice(row);
    }
    out
}

/// A data row of 54 fields with `field` set to `value`.
fn raw_row(field: &str, value: &[u8]) -> Vec<u8> {
    let columns: Vec<&str> = fixture::ESTABLISHMENT_HEADER.split(',').collect();
    let mut row = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            row.push(b',');
        }
        let text: &[u8] = match *column {
            c if c == field => value,
            "siren" => b"100000001",
            "codeCommuneEtablissement" => b"38185",
            "etatAdministratifEtablissement" => b"A",
            _ => b"",
        };
        row.extend_from_slice(text);
    }
    row
}

#[test]
fn bad_rows_are_rejected_with_their_line_field_and_reason_and_the_rest_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let bad_commune = raw_row("codeCommuneEtablissement", b"38\xFF85");
    let bad_name = raw_row("enseigne1Etablissement", b"CAF\xC9 DES AMIS");
    let short = b"100000001,00011,10000000100011,O".to_vec();
    let bad_siren = raw_row("siren", b"10000000X");
    // Lines: 1 header, 2-4 rows E1-E3, then the raw lines from line 5.
    let establishments = with_raw_lines(
        3,
        &[&bad_commune, &short, &bad_name, &bad_siren, b"a,\"b,c"],
    );
    let output = import_csv(dir.path(), &establishments, &fixture::units().to_csv());
    let rejected = &output.report.rejected;
    assert_eq!(rejected.total, 4);
    let samples: Vec<(u64, Option<&str>)> = rejected
        .samples
        .iter()
        .map(|s| (s.line, s.field.as_deref()))
        .collect();
    assert_eq!(
        samples,
        [
            (5, Some("codeCommuneEtablissement")),
            (6, None),
            (8, Some("siren")),
            (9, None),
        ]
    );
    assert_eq!(
        rejected.samples[1].reason,
        "4 champs au lieu des 54 de l’en-tête"
    );
    assert_eq!(
        rejected.samples[2].reason,
        "SIREN « 10000000X » invalide : 9 chiffres attendus"
    );
    assert!(
        rejected.samples[0]
            .file
            .ends_with("StockEtablissement_utf8.csv")
    );
    let reasons: Vec<(&str, u64)> = rejected
        .by_reason
        .iter()
        .map(|r| (r.reason.as_str(), r.count))
        .collect();
    assert_eq!(
        reasons,
        [
            ("nombre de champs différent de celui de l’en-tête", 2),
            ("texte qui n’est pas de l’UTF-8 valide", 1),
            ("SIREN invalide (9 chiffres attendus)", 1),
        ]
    );
    // The unterminated quote swallows the end of the file into one bad record: E4 to E17 are
    // lost with it. What came before is counted; the row with a bad sign is kept.
    assert_eq!(output.report.files[1].rows_read, 3 + 5);
    assert_eq!(output.report.files[1].rows_rejected, 4);
    assert_eq!(output.report.establishments, 4);
    let text = output.report.to_text();
    assert!(text.contains("Lignes rejetées : 4"), "{text}");
    assert!(
        text.contains("ligne 5, champ codeCommuneEtablissement : texte qui n’est pas de l’UTF-8"),
        "{text}"
    );
}

#[test]
fn a_row_with_a_bad_directory_field_is_kept_with_the_field_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let bad_sign = raw_row("enseigne1Etablissement", b"CAF\xC9 DES AMIS");
    let establishments = with_raw_lines(17, &[&bad_sign]);
    let output = import_csv(dir.path(), &establishments, &fixture::units().to_csv());
    assert_eq!(output.report.rejected.total, 0);
    assert_eq!(output.report.establishments, 18);
    let kept = output
        .establishments
        .iter()
        .find(|r| r.siret == "100000001")
        .expect("the row is kept; its SIRET is its SIREN and empty NIC");
    assert_eq!(kept.sign, None);
}

#[test]
fn rejected_units_are_located_in_the_units_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut units = fixture::units().to_csv();
    units.extend_from_slice(b"12345,O\n");
    let output = import_csv(dir.path(), &fixture::establishments().to_csv(), &units);
    let sample = &output.report.rejected.samples[0];
    assert!(sample.file.ends_with("StockUniteLegale_utf8.csv"));
    assert_eq!(sample.line, 13);
    assert_eq!(output.report.files[0].rows_rejected, 1);
    assert_eq!(output.facts.to_rows(), expected_facts());
}

fn zipped_reference(dir: &std::path::Path) -> Vec<u8> {
    let path = fixture::zip(
        dir,
        "full.zip",
        "StockEtablissement_utf8.csv",
        &fixture::establishments().to_csv(),
    );
    std::fs::read(path).unwrap()
}

#[test]
fn a_truncated_zip_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let zip = zipped_reference(dir.path());
    let truncated = fixture::write(
        dir.path(),
        "StockEtablissement_utf8.zip",
        &zip[..zip.len() / 2],
    );
    let units = fixture::write(dir.path(), "u.csv", &fixture::units().to_csv());
    let error = Importer::new(&truncated, units).run().unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ImportError::Zip { .. }), "{message}");
    assert!(
        message.starts_with(&format!(
            "l’archive {} est illisible (tronquée ou corrompue)",
            truncated.display()
        )),
        "{message}"
    );
}

#[test]
fn a_zip_with_corrupt_data_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = zipped_reference(dir.path());
    // Damage the compressed data, after the local header (30 bytes + the entry's name).
    let start = 30 + "StockEtablissement_utf8.csv".len() + 20;
    for byte in &mut zip[start..start + 40] {
        *byte ^= 0x5A;
    }
    let corrupt = fixture::write(dir.path(), "StockEtablissement_utf8.zip", &zip);
    let units = fixture::write(dir.path(), "u.csv", &fixture::units().to_csv());
    let error = Importer::new(&corrupt, units).run().unwrap_err();
    assert!(matches!(error, ImportError::Zip { .. }), "{error}");
    assert!(
        error.to_string().contains("StockEtablissement_utf8.zip"),
        "{error}"
    );
}

#[test]
fn a_zip_without_a_csv_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vide.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    zip.start_file("LISEZMOI.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"rien").unwrap();
    zip.finish().unwrap();
    let units = fixture::write(dir.path(), "u.csv", &fixture::units().to_csv());
    let error = Importer::new(&path, units).run().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("l’archive {} ne contient aucun fichier CSV", path.display())
    );
}

#[test]
fn reading_the_reference_twice_gives_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let first = reference(dir.path());
    let second = reference(dir.path());
    assert_eq!(first.facts, second.facts);
    assert_eq!(first.establishments, second.establishments);
}

#[test]
fn a_unit_listed_twice_is_counted_once_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut units = fixture::units();
    let first = units.rows[0].clone();
    units.rows.push(first);
    let output = import_csv(
        dir.path(),
        &fixture::establishments().to_csv(),
        &units.to_csv(),
    );
    assert_eq!(output.report.units, 11);
    assert_eq!(output.report.duplicate_units, 1);
    assert_eq!(output.facts.to_rows(), expected_facts());
    assert!(
        output
            .report
            .to_text()
            .contains("1 ligne d’un SIREN déjà lu (une seule gardée)")
    );
}
