//! Parquet stock files, as data.gouv.fr also publishes them: the same output as the CSV, whether
//! the columns are all text or typed (dates, integers, booleans), whatever the codec and the
//! file's name; a file lacking a column or cut short is refused naming the file and the column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use essor_sirene::{ImportError, ImportOutput, Importer};
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::fixture::{self, Table};
use crate::reference;

/// How a test file types a column.
#[derive(Clone, Copy, PartialEq)]
enum Typed {
    Text,
    /// `INT32 (DATE)`, days since 1970-01-01.
    Date,
    Int32,
    Int64,
    Boolean,
}

/// Writes `table` as Parquet, `rows_per_group` rows per row group; columns not in `typed` are
/// UTF-8 strings; empty fields are nulls.
fn write_parquet(
    path: &Path,
    table: &Table,
    typed: &[(&str, Typed)],
    rows_per_group: usize,
    compression: Compression,
) -> PathBuf {
    write_parquet_paged(path, table, typed, rows_per_group, compression, None)
}

/// [`write_parquet`], with data pages of at most `page_rows` rows when given.
fn write_parquet_paged(
    path: &Path,
    table: &Table,
    typed: &[(&str, Typed)],
    rows_per_group: usize,
    compression: Compression,
    page_rows: Option<usize>,
) -> PathBuf {
    let kind = |column: &str| {
        typed
            .iter()
            .find(|(name, _)| *name == column)
            .map_or(Typed::Text, |(_, kind)| *kind)
    };
    let fields: Vec<String> = table
        .columns
        .iter()
        .map(|column| match kind(column) {
            Typed::Text => format!("OPTIONAL BYTE_ARRAY {column} (UTF8);"),
            Typed::Date => format!("OPTIONAL INT32 {column} (DATE);"),
            Typed::Int32 => format!("OPTIONAL INT32 {column};"),
            Typed::Int64 => format!("OPTIONAL INT64 {column};"),
            Typed::Boolean => format!("OPTIONAL BOOLEAN {column};"),
        })
        .collect();
    let schema =
        Arc::new(parse_message_type(&format!("message stock {{ {} }}", fields.join(" "))).unwrap());
    let mut builder = WriterProperties::builder().set_compression(compression);
    if let Some(rows) = page_rows {
        builder = builder
            .set_data_page_row_count_limit(rows)
            .set_write_batch_size(rows)
            .set_dictionary_enabled(false);
    }
    let properties = Arc::new(builder.build());
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, properties).unwrap();
    for rows in table.rows.chunks(rows_per_group) {
        let mut group = writer.next_row_group().unwrap();
        let mut index = 0;
        while let Some(mut column) = group.next_column().unwrap() {
            let values: Vec<&str> = rows.iter().map(|row| row[index].as_str()).collect();
            let defs: Vec<i16> = values.iter().map(|v| i16::from(!v.is_empty())).collect();
            let present = values.iter().filter(|v| !v.is_empty());
            match kind(&table.columns[index]) {
                Typed::Text => {
                    let data: Vec<ByteArray> = present.map(|v| ByteArray::from(*v)).collect();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&data, Some(&defs), None)
                        .unwrap();
                }
                Typed::Date => {
                    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
                    let data: Vec<i32> = present
                        .map(|v| {
                            let day = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").unwrap();
                            i32::try_from((day - epoch).num_days()).unwrap()
                        })
                        .collect();
                    column
                        .typed::<Int32Type>()
                        .write_batch(&data, Some(&defs), None)
                        .unwrap();
                }
                Typed::Int32 => {
                    let data: Vec<i32> = present.map(|v| v.parse().unwrap()).collect();
                    column
                        .typed::<Int32Type>()
                        .write_batch(&data, Some(&defs), None)
                        .unwrap();
                }
                Typed::Int64 => {
                    let data: Vec<i64> = present.map(|v| v.parse().unwrap()).collect();
                    column
                        .typed::<Int64Type>()
                        .write_batch(&data, Some(&defs), None)
                        .unwrap();
                }
                Typed::Boolean => {
                    let data: Vec<bool> = present.map(|v| *v == "true").collect();
                    column
                        .typed::<BoolType>()
                        .write_batch(&data, Some(&defs), None)
                        .unwrap();
                }
            }
            column.close().unwrap();
            index += 1;
        }
        group.close().unwrap();
    }
    writer.close().unwrap();
    path.to_path_buf()
}

fn import(establishments: &Path, units: &Path) -> Result<ImportOutput, ImportError> {
    Importer::new(establishments, units)
        .keep_establishments_of(fixture::kept())
        .threads(2)
        .run()
}

#[test]
fn parquet_files_with_text_columns_give_the_same_output_as_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    // Several row groups, read by two threads; a name that does not say Parquet.
    let establishments = write_parquet(
        &dir.path().join("StockEtablissement_utf8.data"),
        &fixture::establishments().reordered(),
        &[],
        4,
        Compression::SNAPPY,
    );
    let units = write_parquet(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &fixture::units(),
        &[],
        5,
        Compression::UNCOMPRESSED,
    );
    let output = import(&establishments, &units).unwrap();
    assert_eq!(output.facts, expected.facts);
    assert_eq!(output.establishments, expected.establishments);
    assert_eq!(
        output.report.files[1].rows_read,
        expected.report.files[1].rows_read
    );
    assert_eq!(output.report.units, expected.report.units);
    assert_eq!(output.report.missing_unit, expected.report.missing_unit);
    assert_eq!(output.report.rejected, expected.report.rejected);
}

#[test]
fn typed_parquet_columns_give_the_same_output_as_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let establishments = write_parquet(
        &dir.path().join("StockEtablissement_utf8.parquet"),
        &fixture::establishments(),
        &[
            ("siren", Typed::Int64),
            ("dateCreationEtablissement", Typed::Date),
            ("dateDebut", Typed::Date),
            ("etablissementSiege", Typed::Boolean),
            ("nombrePeriodesEtablissement", Typed::Int32),
        ],
        3,
        Compression::ZSTD(ZstdLevel::default()),
    );
    let units = write_parquet(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &fixture::units(),
        &[
            ("siren", Typed::Int32),
            ("categorieJuridiqueUniteLegale", Typed::Int32),
            ("dateCreationUniteLegale", Typed::Date),
        ],
        100,
        Compression::GZIP(GzipLevel::default()),
    );
    let output = import(&establishments, &units).unwrap();
    assert_eq!(output.facts, expected.facts);
    assert_eq!(output.establishments, expected.establishments);
}

#[test]
fn a_parquet_file_without_a_needed_column_is_refused_naming_the_file_and_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let establishments = write_parquet(
        &dir.path().join("StockEtablissement_utf8.parquet"),
        &fixture::establishments().without(&["trancheEffectifsEtablissement"]),
        &[],
        100,
        Compression::SNAPPY,
    );
    let units = write_parquet(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &fixture::units(),
        &[],
        100,
        Compression::SNAPPY,
    );
    let error = import(&establishments, &units).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(&error, ImportError::ParquetMissingColumn { column, .. }
            if column == "trancheEffectifsEtablissement"),
        "{message}"
    );
    assert!(
        message.contains("StockEtablissement_utf8.parquet")
            && message.contains("« trancheEffectifsEtablissement »")
            && message.contains("StockEtablissement de l’INSEE"),
        "{message}"
    );
}

#[test]
fn a_truncated_parquet_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let units = write_parquet(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &fixture::units(),
        &[],
        4,
        Compression::SNAPPY,
    );
    let establishments = fixture::write(
        dir.path(),
        "StockEtablissement_utf8.csv",
        &fixture::establishments().to_csv(),
    );
    let whole = std::fs::read(&units).unwrap();
    for keep in [whole.len() - 1, whole.len() / 2, 8] {
        std::fs::write(&units, &whole[..keep]).unwrap();
        let error = import(&establishments, &units).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, ImportError::Parquet { .. }),
            "{keep}: {message}"
        );
        assert!(
            message.starts_with("le fichier Parquet ")
                && message.contains("StockUniteLegale_utf8.parquet est illisible (tronqué"),
            "{keep}: {message}"
        );
    }
}

#[test]
fn a_damaged_column_is_refused_naming_the_file_and_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("StockUniteLegale_utf8.parquet");
    write_parquet(&path, &fixture::units(), &[], 100, Compression::SNAPPY);
    let mut bytes = std::fs::read(&path).unwrap();
    // Overwrite the data pages (after the leading signature), keeping the footer intact.
    let footer = u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap());
    let data_end = bytes.len() - 8 - footer as usize;
    for byte in &mut bytes[4..data_end] {
        *byte = 0xFF;
    }
    std::fs::write(&path, &bytes).unwrap();
    let establishments = fixture::write(
        dir.path(),
        "StockEtablissement_utf8.csv",
        &fixture::establishments().to_csv(),
    );
    let message = import(&establishments, &path).unwrap_err().to_string();
    assert!(
        message.contains("StockUniteLegale_utf8.parquet, colonne « siren », groupe de lignes n° 1"),
        "{message}"
    );
}

#[test]
fn a_bad_parquet_row_is_rejected_with_its_row_number_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut establishments = fixture::establishments();
    let siren = establishments
        .columns
        .iter()
        .position(|c| c == "siren")
        .unwrap();
    "12345".clone_into(&mut establishments.rows[6][siren]);
    let establishments = write_parquet(
        &dir.path().join("StockEtablissement_utf8.parquet"),
        &establishments,
        &[],
        4,
        Compression::SNAPPY,
    );
    let units = write_parquet(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &fixture::units(),
        &[],
        100,
        Compression::SNAPPY,
    );
    let output = import(&establishments, &units).unwrap();
    let rejected = &output.report.rejected;
    assert_eq!(rejected.total, 1);
    let sample = &rejected.samples[0];
    assert!(sample.file.ends_with("StockEtablissement_utf8.parquet"));
    assert_eq!(sample.line, 7, "the 7th row of the file");
    assert_eq!(sample.field.as_deref(), Some("siren"));
    assert!(sample.reason.contains("« 12345 »"), "{}", sample.reason);
}

#[test]
fn details_are_read_for_the_kept_rows_only_across_many_pages() {
    // The reference rows many times over, in pages of a few rows: the directory's columns are
    // decoded for the kept ESS rows (and the identity columns of units for ESS units) and
    // skipped elsewhere, whole pages unread, with the same output as the CSV.
    let dir = tempfile::tempdir().unwrap();
    let base = fixture::establishments();
    let mut big = base.clone();
    big.rows = (0..40).flat_map(|_| base.rows.iter().cloned()).collect();
    let units = fixture::units();
    let expected = crate::import_csv(dir.path(), &big.to_csv(), &units.to_csv());
    let establishments = write_parquet_paged(
        &dir.path().join("StockEtablissement_utf8.parquet"),
        &big,
        &[],
        big.rows.len() / 3 + 1,
        Compression::SNAPPY,
        Some(5),
    );
    let units = write_parquet_paged(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &units,
        &[],
        50,
        Compression::SNAPPY,
        Some(3),
    );
    let output = import(&establishments, &units).unwrap();
    assert!(!expected.establishments.is_empty());
    assert_eq!(output.establishments, expected.establishments);
    assert_eq!(output.facts, expected.facts);
    assert_eq!(output.report.rejected, expected.report.rejected);
}

#[test]
fn a_parquet_text_value_that_is_not_utf8_rejects_its_row_naming_the_field() {
    // A UTF8 column holding invalid bytes (a writer that did not check them): the row is
    // rejected as in a CSV file, the others read.
    let dir = tempfile::tempdir().unwrap();
    let mut establishments = fixture::establishments();
    let commune = establishments
        .columns
        .iter()
        .position(|c| c == "codeCommuneEtablissement")
        .unwrap();
    "9Z9Z9".clone_into(&mut establishments.rows[6][commune]);
    let rows = establishments.rows.len() as u64;
    let path = write_parquet(
        &dir.path().join("StockEtablissement_utf8.parquet"),
        &establishments,
        &[],
        4,
        Compression::UNCOMPRESSED,
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let mut replaced = 0;
    for at in 0..bytes.len() - 5 {
        if &bytes[at..at + 5] == b"9Z9Z9" {
            bytes[at + 1] = 0xFF;
            replaced += 1;
        }
    }
    assert!(replaced > 0);
    std::fs::write(&path, &bytes).unwrap();
    let units = write_parquet(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &fixture::units(),
        &[],
        100,
        Compression::SNAPPY,
    );
    let output = import(&path, &units).unwrap();
    let rejected = &output.report.rejected;
    assert_eq!(rejected.total, 1);
    let sample = &rejected.samples[0];
    assert_eq!(sample.line, 7, "the 7th row of the file");
    assert_eq!(sample.field.as_deref(), Some("codeCommuneEtablissement"));
    assert!(sample.reason.contains("UTF-8"), "{}", sample.reason);
    assert_eq!(output.report.files[1].rows_read, rows);
}

#[test]
fn dictionaries_shared_by_several_batches_give_the_same_output_as_the_csv() {
    // A row group of more rows than a batch decodes at once (131 072): a column's dictionary
    // serves several batches, classified once, and the next row group brings a new one.
    let dir = tempfile::tempdir().unwrap();
    let base = fixture::establishments();
    let mut big = base.clone();
    let copies = 160_000 / base.rows.len() + 1;
    big.rows = (0..copies)
        .flat_map(|_| base.rows.iter().cloned())
        .collect();
    let units = fixture::units();
    let expected = crate::import_csv(dir.path(), &big.to_csv(), &units.to_csv());
    let establishments = write_parquet(
        &dir.path().join("StockEtablissement_utf8.parquet"),
        &big,
        &[],
        140_000,
        Compression::SNAPPY,
    );
    let units = write_parquet(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &units,
        &[],
        100,
        Compression::SNAPPY,
    );
    let output = import(&establishments, &units).unwrap();
    assert!(big.rows.len() > 140_000);
    assert_eq!(output.facts, expected.facts);
    assert_eq!(output.establishments, expected.establishments);
    assert_eq!(output.report.rejected, expected.report.rejected);
    assert_eq!(
        output.report.files[1].rows_read,
        expected.report.files[1].rows_read
    );
}

#[test]
fn one_file_in_parquet_and_the_other_in_csv_give_the_same_output() {
    // Units read from Parquet have their identity read after the establishments, for the
    // directory's units only, whatever the establishments' format; and the other way round.
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let csv_establishments = dir.path().join("StockEtablissement_utf8.csv");
    let csv_units = dir.path().join("StockUniteLegale_utf8.csv");
    let parquet_units = write_parquet(
        &dir.path().join("StockUniteLegale_utf8.parquet"),
        &fixture::units(),
        &[],
        3,
        Compression::SNAPPY,
    );
    let parquet_establishments = write_parquet(
        &dir.path().join("StockEtablissement_utf8.parquet"),
        &fixture::establishments(),
        &[],
        4,
        Compression::SNAPPY,
    );
    for (establishments, units) in [
        (&csv_establishments, &parquet_units),
        (&parquet_establishments, &csv_units),
    ] {
        let output = import(establishments, units).unwrap();
        assert!(!output.establishments.is_empty());
        assert!(output.establishments.iter().any(|e| e.name.is_some()));
        assert_eq!(output.establishments, expected.establishments);
        assert_eq!(output.facts, expected.facts);
        assert_eq!(output.report.units, expected.report.units);
    }
}
