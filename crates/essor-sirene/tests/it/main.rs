//! Integration tests of the SIRENE importer, on small files written in INSEE's exact format.

// Jobs are halves, exact in binary: figures worked out by hand compare exactly.
#![allow(clippy::float_cmp)]
// Offsets and counts of small test files.
#![allow(clippy::cast_possible_truncation)]

mod bad_input;
mod figures;
mod fixture;
mod parquet;
mod quirks;

use std::path::Path;

use essor_sirene::{ImportOutput, Importer};

/// Writes both files as CSV in `dir` and imports them, keeping Grenoble and Saint-Martin-d'Hères.
pub(crate) fn import_csv(dir: &Path, establishments: &[u8], units: &[u8]) -> ImportOutput {
    let establishments = fixture::write(dir, "StockEtablissement_utf8.csv", establishments);
    let units = fixture::write(dir, "StockUniteLegale_utf8.csv", units);
    Importer::new(establishments, units)
        .keep_establishments_of(fixture::kept())
        .run()
        .unwrap()
}

/// The reference data set, imported.
pub(crate) fn reference(dir: &Path) -> ImportOutput {
    import_csv(
        dir,
        &fixture::establishments().to_csv(),
        &fixture::units().to_csv(),
    )
}
