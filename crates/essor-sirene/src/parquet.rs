//! Reading a stock file published as Parquet (data.gouv.fr publishes `StockEtablissement` and
//! `StockUniteLegale` so too), recognised by its signature `PAR1` whatever its name.
//!
//! Only the columns a pass needs are decoded, found by name in the schema. Row groups are shared
//! among the worker threads; each reads its row group in batches of [`BATCH_ROWS`] rows into
//! buffers the workers fold column by column ([`ChunkWorker::fold_batch`]). Memory is bounded
//! by the batch size, not by the size of the row groups.
//!
//! The text columns every row needs go through the parquet crate's Arrow reader, dictionaries
//! kept ([`ArrowText`]): a code column is decoded as one key per row into values decoded once,
//! which the workers classify once each (`coded.rs`). The other columns are read column by
//! column into flat buffers, the directory's only for the rows that need them
//! ([`ChunkWorker::finish_batch`]), other pages skipped unread.
//!
//! Columns may be typed: strings (`BYTE_ARRAY`, `FIXED_LEN_BYTE_ARRAY`) are taken as written;
//! dates (`DATE`, timestamps) become `AAAA-MM-JJ` as in the CSV; integers become their digits,
//! zero-padded to the width of the codes INSEE writes (a SIREN of 9 digits, a commune of 5, a
//! legal category of 4, a size band of 2…); booleans `true`/`false`; nulls empty. A row is
//! numbered from 1 (the first row of the file), and a rejected row names that number.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, BinaryArray, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use chrono::{DateTime, Datelike, NaiveDate};
use crossbeam_channel::bounded;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as PhysicalType};
use parquet::column::reader::ColumnReader;
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::schema::types::ColumnDescPtr;

use crate::ImportError;
use crate::pipeline::{ChunkWorker, LineIndex, PIECES_IN_FLIGHT, Streamed, Wanted};
use crate::records::{ArrowColumn, Batch, Column};
use crate::source::SourceInfo;

/// Rows decoded at once per thread: a whole row group as `DuckDB` writes them (122 880 rows), a
/// few megabytes of needed columns; fewer batches, fewer times the per-batch work (5 % less
/// time at the whole country's size than with half as many rows).
pub(crate) const BATCH_ROWS: usize = 128 * 1024;

/// Whether the file starts with Parquet's signature.
pub(crate) fn is_parquet(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PAR1"
}

/// How a column's values become the text the rules read.
#[derive(Debug, Clone, Copy)]
enum Conversion {
    Text,
    /// Days since 1970-01-01.
    Date,
    /// Units per second of a timestamp.
    Timestamp(i64),
    /// Zero-padded to this width.
    Integer(usize),
    Boolean,
    Float,
    Int96,
}

/// The width INSEE writes a code column with, when a file types it as an integer.
fn code_width(column: &str) -> usize {
    match column {
        "siren" => 9,
        "siret" => 14,
        "nic" | "codeCommuneEtablissement" | "codePostalEtablissement" => 5,
        "categorieJuridiqueUniteLegale" => 4,
        "trancheEffectifsEtablissement" | "trancheEffectifsUniteLegale" => 2,
        _ => 0,
    }
}

fn conversion(descr: &ColumnDescPtr, name: &str) -> Conversion {
    let timestamp = |unit: &TimeUnit| match unit {
        TimeUnit::MILLIS => 1_000,
        TimeUnit::MICROS => 1_000_000,
        TimeUnit::NANOS => 1_000_000_000,
    };
    match (descr.physical_type(), descr.logical_type_ref()) {
        (PhysicalType::BYTE_ARRAY | PhysicalType::FIXED_LEN_BYTE_ARRAY, _) => Conversion::Text,
        (PhysicalType::BOOLEAN, _) => Conversion::Boolean,
        (PhysicalType::FLOAT | PhysicalType::DOUBLE, _) => Conversion::Float,
        (PhysicalType::INT96, _) => Conversion::Int96,
        (_, Some(LogicalType::Date)) => Conversion::Date,
        (_, Some(LogicalType::Timestamp(stamp))) => Conversion::Timestamp(timestamp(&stamp.unit)),
        _ => match descr.converted_type() {
            ConvertedType::DATE => Conversion::Date,
            ConvertedType::TIMESTAMP_MILLIS => Conversion::Timestamp(1_000),
            ConvertedType::TIMESTAMP_MICROS => Conversion::Timestamp(1_000_000),
            _ => Conversion::Integer(code_width(name)),
        },
    }
}

fn parquet_error(info: &SourceInfo, error: &parquet::errors::ParquetError) -> ImportError {
    ImportError::Parquet {
        file: info.file.clone(),
        message: error.to_string(),
    }
}

/// A needed column of the file: its index among the leaves, name, descriptor, conversion.
struct Needed {
    leaf: usize,
    name: String,
    max_def: i16,
    conversion: Conversion,
    /// Decoded only for the rows the worker selects ([`ChunkWorker::fold_batch`]).
    detail: bool,
    /// Read through the Arrow reader (see [`ArrowText`]).
    arrow: bool,
}

/// The columns of `wanted` the file has (top-level leaves, by name); an error for a required
/// one it lacks or a repeated one.
fn needed_columns(
    schema: &parquet::schema::types::SchemaDescriptor,
    wanted: &Wanted,
    name: &str,
) -> Result<Vec<Needed>, ImportError> {
    let mut needed = Vec::new();
    for column in wanted.names {
        let found = (0..schema.num_columns()).find(|&leaf| {
            let descr = schema.column(leaf);
            descr.path().parts().len() == 1 && descr.name() == *column
        });
        let Some(leaf) = found else {
            if wanted.required.contains(column) {
                return Err(ImportError::ParquetMissingColumn {
                    file: name.to_owned(),
                    column: (*column).to_owned(),
                    expected: wanted.expected,
                });
            }
            continue;
        };
        let descr = schema.column(leaf);
        if descr.max_rep_level() > 0 {
            return Err(ImportError::ParquetColumn {
                file: name.to_owned(),
                column: (*column).to_owned(),
                row_group: None,
                message: "colonne répétée (liste) : une valeur simple est attendue".into(),
            });
        }
        needed.push(Needed {
            leaf,
            name: (*column).to_owned(),
            max_def: descr.max_def_level(),
            conversion: conversion(&descr, column),
            detail: !wanted.required.contains(column),
            arrow: false,
        });
    }
    for (column, made_of) in wanted.derived {
        if needed.iter().any(|n| n.name == *made_of) {
            needed.retain(|n| n.name != *column);
        }
    }
    Ok(needed)
}

/// Streams a Parquet file through `threads` workers, as [`crate::pipeline::stream`] does a CSV.
pub(crate) fn stream<S, W, C>(
    path: &Path,
    threads: usize,
    on_bytes: &(dyn Fn(u64, &SourceInfo) + Sync),
    wanted: &Wanted,
    prepare: impl FnOnce(&[String], &SourceInfo) -> Result<S, ImportError>,
    make_worker: impl Fn(&S) -> W,
    mut collect: C,
) -> Result<(S, Streamed<W>, C), ImportError>
where
    S: Sync,
    W: ChunkWorker,
    C: FnMut(W::Piece) + Send,
{
    let name = path.display().to_string();
    check_complete(path, &name)?;
    let (reader, arrow_file) = open_reader(path, &name)?;
    let bytes = arrow_file
        .metadata()
        .map_err(|source| ImportError::Open {
            file: name.clone(),
            source,
        })?
        .len();
    let info = SourceInfo {
        file: name.clone(),
        bytes,
        zipped: false,
        entry: None,
    };
    let metadata = reader.metadata();
    let mut needed = needed_columns(metadata.file_metadata().schema_descr(), wanted, &name)?;
    let arrow = ArrowText::new(&arrow_file, &mut needed);
    let header: Vec<String> = needed.iter().map(|n| n.name.clone()).collect();
    let setup = prepare(&header, &info)?;
    let groups = reader.num_row_groups();
    let mut first_rows = Vec::with_capacity(groups);
    let mut rows = 0u64;
    for group in 0..groups {
        first_rows.push(rows);
        rows += u64::try_from(metadata.row_group(group).num_rows()).unwrap_or(0);
    }
    let threads = threads.clamp(1, groups.max(1));
    let workers: Vec<W> = (0..threads).map(|_| make_worker(&setup)).collect();
    let next_group = AtomicUsize::new(0);
    let position = AtomicU64::new(0);
    let (piece_tx, piece_rx) = bounded::<W::Piece>(PIECES_IN_FLIGHT);
    let shared = Shared {
        path,
        info: &info,
        needed: &needed,
        arrow: arrow.as_ref(),
        first_rows: &first_rows,
        next_group: &next_group,
        position: &position,
        on_bytes,
    };
    let outcome = std::thread::scope(|scope| {
        let collector = scope.spawn(move || {
            for piece in piece_rx {
                collect(piece);
            }
            collect
        });
        let handles: Vec<_> = workers
            .into_iter()
            .map(|worker| {
                let pieces = piece_tx.clone();
                let shared = &shared;
                scope.spawn(move || shared.work(worker, &pieces))
            })
            .collect();
        drop(piece_tx);
        let mut done = Vec::with_capacity(handles.len());
        let mut failure = None;
        for handle in handles {
            match handle.join() {
                Ok(Ok(worker)) => done.push(worker),
                Ok(Err(error)) => failure = failure.or(Some(error)),
                Err(_) => {
                    failure = failure.or(Some(ImportError::Internal(
                        "un fil de lecture a échoué".into(),
                    )));
                }
            }
        }
        let collect = collector
            .join()
            .map_err(|_| ImportError::Internal("le fil de collecte a échoué".into()))?;
        match failure {
            Some(error) => Err(error),
            None => Ok((done, collect)),
        }
    });
    let (workers, collect) = outcome?;
    Ok((
        setup,
        Streamed {
            info,
            header,
            workers,
            lines: LineIndex::new(0, Vec::new()),
        },
        collect,
    ))
}

/// The fields of `columns` (by name; a column the file lacks reads as empty, a field that is not
/// UTF-8 too) of the given rows of a Parquet file (numbered from 1, increasing), decoding only
/// the pages that hold them, the row groups shared among `threads` threads. By row asked for,
/// the fields in the order of `columns`.
pub(crate) fn read_rows(
    path: &Path,
    columns: &'static [&'static str],
    rows: &[u64],
    expected: &'static str,
    threads: usize,
) -> Result<Vec<Vec<String>>, ImportError> {
    let name = path.display().to_string();
    let (reader, _) = open_reader(path, &name)?;
    let wanted = Wanted {
        names: columns,
        required: &[],
        expected,
        derived: &[],
    };
    let metadata = reader.metadata();
    let needed = needed_columns(metadata.file_metadata().schema_descr(), &wanted, &name)?;
    // The row groups that hold rows asked for: (group, its first row, the rows of it).
    let mut groups = Vec::new();
    let (mut first, mut next) = (1u64, 0);
    for group in 0..reader.num_row_groups() {
        let count = u64::try_from(metadata.row_group(group).num_rows()).unwrap_or(0);
        let start = next;
        while next < rows.len() && rows[next] < first + count {
            next += 1;
        }
        if next > start {
            groups.push((group, first, start..next));
        }
        first += count;
    }
    let mut out = vec![vec![String::new(); columns.len()]; rows.len()];
    let share = groups.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let mut rest = out.as_mut_slice();
        let mut handles = Vec::new();
        for shared in groups.chunks(share) {
            let (Some(head), Some(last)) = (shared.first(), shared.last()) else {
                continue;
            };
            let (mine, others) = rest.split_at_mut(last.2.end - head.2.start);
            rest = others;
            let (name, needed) = (&name, &needed);
            handles.push(scope.spawn(move || {
                let (reader, _) = open_reader(path, name)?;
                for (group, first, asked) in shared {
                    let base = head.2.start;
                    let fields = &mut mine[asked.start - base..asked.end - base];
                    let place = (name.as_str(), *group, *first);
                    read_group(
                        &reader,
                        place,
                        needed,
                        columns,
                        &rows[asked.clone()],
                        fields,
                    )?;
                }
                Ok(())
            }));
        }
        handles.into_iter().try_for_each(|handle| {
            handle
                .join()
                .map_err(|_| ImportError::Internal("un fil de lecture a échoué".into()))?
        })
    })?;
    Ok(out)
}

/// A reader of `path` of its own, and a handle on the file for the Arrow reader: clones of one
/// handle share their offset, and each reader seeks before each read.
fn open_reader(path: &Path, name: &str) -> Result<(SerializedFileReader<File>, File), ImportError> {
    let open_error = |source| ImportError::Open {
        file: name.to_owned(),
        source,
    };
    let file = File::open(path).map_err(open_error)?;
    let arrow_file = file.try_clone().map_err(open_error)?;
    let reader = SerializedFileReader::new(file).map_err(|e| ImportError::Parquet {
        file: name.to_owned(),
        message: e.to_string(),
    })?;
    Ok((reader, arrow_file))
}

/// Reads the `needed` columns of the rows `rows` (numbered from 1) of a row group into `out`,
/// by row, in the order of `columns`; `place` is the file's name, the group and its first row.
fn read_group(
    reader: &SerializedFileReader<File>,
    (name, group, first): (&str, usize, u64),
    needed: &[Needed],
    columns: &[&str],
    rows: &[u64],
    out: &mut [Vec<String>],
) -> Result<(), ImportError> {
    let row_group = reader
        .get_row_group(group)
        .map_err(|e| ImportError::Parquet {
            file: name.to_owned(),
            message: e.to_string(),
        })?;
    let count = usize::try_from(row_group.metadata().num_rows()).unwrap_or(0);
    let selected: Vec<usize> = rows
        .iter()
        .map(|row| usize::try_from(row.saturating_sub(first)).unwrap_or(usize::MAX))
        .collect();
    let mut column = Column::default();
    let mut scratch = Scratch::default();
    for needed in needed {
        let error = |e: parquet::errors::ParquetError| ImportError::ParquetColumn {
            file: name.to_owned(),
            column: needed.name.clone(),
            row_group: Some(group),
            message: e.to_string(),
        };
        let slot = columns.iter().position(|c| *c == needed.name).unwrap_or(0);
        let mut reader = row_group.get_column_reader(needed.leaf).map_err(error)?;
        read_selected(
            &mut reader,
            needed,
            count,
            &selected,
            &mut column,
            &mut scratch,
        )
        .map_err(error)?;
        for (fields, &row) in out.iter_mut().zip(&selected) {
            let field = column.field(row).unwrap_or_default();
            std::str::from_utf8(field)
                .unwrap_or_default()
                .clone_into(&mut fields[slot]);
        }
    }
    Ok(())
}

/// What the worker threads share.
struct Shared<'a> {
    path: &'a Path,
    info: &'a SourceInfo,
    needed: &'a [Needed],
    arrow: Option<&'a ArrowText>,
    first_rows: &'a [u64],
    next_group: &'a AtomicUsize,
    position: &'a AtomicU64,
    on_bytes: &'a (dyn Fn(u64, &SourceInfo) + Sync),
}

impl Shared<'_> {
    /// A worker thread: takes row groups until none is left.
    fn work<W: ChunkWorker>(
        &self,
        mut worker: W,
        pieces: &crossbeam_channel::Sender<W::Piece>,
    ) -> Result<W, ImportError> {
        let (reader, arrow_file) = open_reader(self.path, &self.info.file)?;
        let mut batch = Batch::new(self.needed.len());
        let mut scratch = Scratch::default();
        loop {
            let group = self.next_group.fetch_add(1, Ordering::Relaxed);
            if group >= self.first_rows.len() {
                return Ok(worker);
            }
            let row_group = reader
                .get_row_group(group)
                .map_err(|e| parquet_error(self.info, &e))?;
            let total = usize::try_from(row_group.metadata().num_rows()).unwrap_or(0);
            let mut readers = Vec::with_capacity(self.needed.len());
            for column in self.needed {
                let reader = row_group
                    .get_column_reader(column.leaf)
                    .map_err(|e| self.column_error(column, group, &e))?;
                readers.push(reader);
            }
            let mut arrow = self
                .arrow
                .and_then(|arrow| arrow.reader(&arrow_file, group));
            // Where each detail column's reader is: it only moves for a batch with rows selected,
            // so that a row group without any is not decoded at all, dictionaries included.
            let mut positions = vec![0; self.needed.len()];
            let mut done = 0;
            while done < total {
                let rows = BATCH_ROWS.min(total - done);
                batch.rows = rows;
                batch.first_line = self.first_rows[group] + done as u64 + 1;
                let place = Place { group, done, rows };
                self.read_required(place, &mut arrow, &mut readers, &mut batch, &mut scratch)?;
                let selected = worker.fold_batch(&batch);
                let details = self
                    .needed
                    .iter()
                    .zip(&mut readers)
                    .zip(&mut batch.columns)
                    .zip(&mut positions)
                    .filter(|(((column, _), _), _)| column.detail && !selected.is_empty());
                for (((column, reader), out), position) in details {
                    let error = |e| self.column_error(column, group, &e);
                    let behind = done - *position;
                    self.check_rows(column, group, skip(reader, behind).map_err(error)?, behind)?;
                    let read = read_selected(reader, column, rows, &selected, out, &mut scratch)
                        .map_err(error)?;
                    self.check_rows(column, group, read, rows)?;
                    *position = done + rows;
                }
                if let Some(piece) = worker.finish_batch(&batch) {
                    // The collector only stops when every worker is done.
                    let _ = pieces.send(piece);
                }
                done += rows;
            }
            let compressed =
                u64::try_from(row_group.metadata().compressed_size()).unwrap_or_default();
            let at = self.position.fetch_add(compressed, Ordering::Relaxed) + compressed;
            (self.on_bytes)(at, self.info);
        }
    }

    /// Reads the rows of `place` of the columns every row needs into `batch`: the text ones from
    /// `arrow`'s next batch while it reads them, the others from their column readers; the
    /// details left empty until the worker says which rows need them. When `arrow` fails, it
    /// is dropped and the column readers of its columns take over where it stopped (their
    /// errors are the ones reported).
    fn read_required(
        &self,
        place: Place,
        arrow: &mut Option<ParquetRecordBatchReader>,
        readers: &mut [ColumnReader],
        batch: &mut Batch,
        scratch: &mut Scratch,
    ) -> Result<(), ImportError> {
        let Place { group, done, rows } = place;
        let mut from_arrow = arrow
            .as_mut()
            .and_then(|reader| next_arrow(reader, self.needed, rows));
        if arrow.is_some() && from_arrow.is_none() {
            *arrow = None;
            for (column, reader) in self.needed.iter().zip(&mut *readers) {
                if column.arrow {
                    let skipped =
                        skip(reader, done).map_err(|e| self.column_error(column, group, &e))?;
                    self.check_rows(column, group, skipped, done)?;
                }
            }
        }
        for (index, ((column, reader), out)) in self
            .needed
            .iter()
            .zip(readers)
            .zip(&mut batch.columns)
            .enumerate()
        {
            if column.detail {
                out.clear_sparse();
                continue;
            }
            if let Some(array) = from_arrow
                .as_mut()
                .and_then(|columns| columns[index].take())
            {
                out.set_arrow(array);
                continue;
            }
            let read = read_column(reader, column, rows, out, scratch)
                .map_err(|e| self.column_error(column, group, &e))?;
            self.check_rows(column, group, read, rows)?;
        }
        Ok(())
    }

    /// A column gave fewer rows than its row group holds: the file is cut or corrupt.
    fn check_rows(
        &self,
        column: &Needed,
        group: usize,
        read: usize,
        rows: usize,
    ) -> Result<(), ImportError> {
        if read == rows {
            return Ok(());
        }
        Err(ImportError::ParquetColumn {
            file: self.info.file.clone(),
            column: column.name.clone(),
            row_group: Some(group),
            message: format!("{read} valeurs au lieu de {rows} (fichier tronqué ou corrompu)"),
        })
    }

    fn column_error(
        &self,
        column: &Needed,
        group: usize,
        error: &parquet::errors::ParquetError,
    ) -> ImportError {
        ImportError::ParquetColumn {
            file: self.info.file.clone(),
            column: column.name.clone(),
            row_group: Some(group),
            message: error.to_string(),
        }
    }
}

/// Where a batch is: its row group, the rows of it before, its rows.
#[derive(Clone, Copy)]
struct Place {
    group: usize,
    done: usize,
    rows: usize,
}

/// The text columns every row needs, read through the parquet crate's Arrow reader: a column
/// the file encodes with a dictionary stays a dictionary (its values decoded once, each row a
/// key), so that nothing is copied per row. The other columns, and whatever the Arrow reader
/// cannot read (a value that is not UTF-8 in a UTF8 column, a cut file), go through the column
/// readers, whose messages and rejections stay the reference.
struct ArrowText {
    metadata: ArrowReaderMetadata,
    mask: ProjectionMask,
}

/// Text columns with about one value per row, read as plain values: were their pages not all
/// dictionary-encoded, a dictionary would be rebuilt for them.
const PLAIN_TEXT: [&str; 2] = ["siren", "siret"];

impl ArrowText {
    /// Marks the columns read so in `needed`; `None` when there is none, or when the Arrow
    /// reader cannot map the file's schema.
    fn new(file: &File, needed: &mut [Needed]) -> Option<Self> {
        let inferred = ArrowReaderMetadata::load(file, ArrowReaderOptions::new()).ok()?;
        let mut chosen = Vec::new();
        let fields: Vec<Field> = inferred
            .schema()
            .fields()
            .iter()
            .map(|field| {
                let text = matches!(field.data_type(), DataType::Utf8 | DataType::Binary);
                let column = needed.iter().position(|column| {
                    !column.detail
                        && matches!(column.conversion, Conversion::Text)
                        && column.name == *field.name()
                        && !chosen.contains(&column.leaf)
                });
                let Some(column) = column.filter(|_| text) else {
                    return field.as_ref().clone();
                };
                chosen.push(needed[column].leaf);
                if PLAIN_TEXT.contains(&needed[column].name.as_str()) {
                    return field.as_ref().clone();
                }
                let keyed = DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(field.data_type().clone()),
                );
                Field::new(field.name(), keyed, field.is_nullable())
                    .with_metadata(field.metadata().clone())
            })
            .collect();
        if chosen.is_empty() {
            return None;
        }
        let schema = Schema::new_with_metadata(fields, inferred.schema().metadata().clone());
        let options = ArrowReaderOptions::new().with_schema(schema.into());
        let metadata = ArrowReaderMetadata::try_new(inferred.metadata().clone(), options).ok()?;
        let mask = ProjectionMask::leaves(metadata.parquet_schema(), chosen.iter().copied());
        for column in needed.iter_mut() {
            column.arrow = chosen.contains(&column.leaf);
        }
        Some(Self { metadata, mask })
    }

    /// A reader of the chosen columns of one row group, in batches of [`BATCH_ROWS`].
    fn reader(&self, file: &File, group: usize) -> Option<ParquetRecordBatchReader> {
        let file = file.try_clone().ok()?;
        ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone())
            .with_projection(self.mask.clone())
            .with_row_groups(vec![group])
            .with_batch_size(BATCH_ROWS)
            .build()
            .ok()
    }
}

/// The next batch of `reader`, by index of `needed` (`None` for the columns it does not
/// read); `None` when it fails or does not give `rows` rows.
fn next_arrow(
    reader: &mut ParquetRecordBatchReader,
    needed: &[Needed],
    rows: usize,
) -> Option<Vec<Option<ArrowColumn>>> {
    let batch = reader.next()?.ok()?;
    if batch.num_rows() != rows {
        return None;
    }
    needed
        .iter()
        .map(|column| {
            if column.arrow {
                arrow_column(&batch, &column.name).map(Some)
            } else {
                Some(None)
            }
        })
        .collect()
}

/// A text column of an Arrow batch, as the rows of a [`Batch`] read it.
fn arrow_column(batch: &RecordBatch, name: &str) -> Option<ArrowColumn> {
    // Strings were checked to be UTF-8 by the reader; bytes were not.
    let binary = |array: &dyn Array| match array.data_type() {
        DataType::Utf8 => Some((BinaryArray::from(array.as_string::<i32>().clone()), true)),
        DataType::Binary => Some((array.as_binary::<i32>().clone(), false)),
        _ => None,
    };
    let array = batch.column_by_name(name)?;
    match array.data_type() {
        DataType::Dictionary(key, _) if **key == DataType::Int32 => {
            let dictionary = array.as_dictionary::<Int32Type>();
            let (values, utf8) = binary(dictionary.values().as_ref())?;
            Some(ArrowColumn {
                keys: Some(dictionary.keys().clone()),
                values,
                utf8,
            })
        }
        _ => binary(array.as_ref()).map(|(values, utf8)| ArrowColumn {
            keys: None,
            values,
            utf8,
        }),
    }
}

/// Reused decoding buffers.
#[derive(Default)]
struct Scratch {
    defs: Vec<i16>,
    bytes: Vec<parquet::data_type::ByteArray>,
    fixed: Vec<parquet::data_type::FixedLenByteArray>,
    int32: Vec<i32>,
    int64: Vec<i64>,
    int96: Vec<parquet::data_type::Int96>,
    bools: Vec<bool>,
    floats: Vec<f32>,
    doubles: Vec<f64>,
    /// One selected row of a detail column.
    one: Column,
}

/// Reads `rows` rows of a column into `out` as text; returns the rows read.
fn read_column(
    reader: &mut ColumnReader,
    column: &Needed,
    rows: usize,
    out: &mut Column,
    scratch: &mut Scratch,
) -> parquet::errors::Result<usize> {
    out.clear();
    let Scratch {
        defs,
        bytes,
        fixed,
        int32,
        int64,
        int96,
        bools,
        floats,
        doubles,
        one: _,
    } = scratch;
    defs.clear();
    let defs_out = (column.max_def > 0).then_some(&mut *defs);
    let read = match reader {
        ColumnReader::ByteArrayColumnReader(r) => {
            bytes.clear();
            let (read, _, _) = r.read_records(rows, defs_out, None, bytes)?;
            fill(out, defs, column.max_def, read, bytes, |out, v| {
                out.extend_from_slice(v.data());
            });
            read
        }
        ColumnReader::FixedLenByteArrayColumnReader(r) => {
            fixed.clear();
            let (read, _, _) = r.read_records(rows, defs_out, None, fixed)?;
            fill(out, defs, column.max_def, read, fixed, |out, v| {
                out.extend_from_slice(v.data());
            });
            read
        }
        ColumnReader::Int32ColumnReader(r) => {
            int32.clear();
            let (read, _, _) = r.read_records(rows, defs_out, None, int32)?;
            let conversion = column.conversion;
            fill(out, defs, column.max_def, read, int32, |out, v| {
                integer(out, i64::from(*v), conversion);
            });
            read
        }
        ColumnReader::Int64ColumnReader(r) => {
            int64.clear();
            let (read, _, _) = r.read_records(rows, defs_out, None, int64)?;
            let conversion = column.conversion;
            fill(out, defs, column.max_def, read, int64, |out, v| {
                integer(out, *v, conversion);
            });
            read
        }
        ColumnReader::Int96ColumnReader(r) => {
            int96.clear();
            let (read, _, _) = r.read_records(rows, defs_out, None, int96)?;
            fill(out, defs, column.max_def, read, int96, |out, v| {
                timestamp(out, v.to_seconds(), 1);
            });
            read
        }
        ColumnReader::BoolColumnReader(r) => {
            bools.clear();
            let (read, _, _) = r.read_records(rows, defs_out, None, bools)?;
            fill(out, defs, column.max_def, read, bools, |out, v| {
                out.extend_from_slice(if *v { b"true" } else { b"false" });
            });
            read
        }
        ColumnReader::FloatColumnReader(r) => {
            floats.clear();
            let (read, _, _) = r.read_records(rows, defs_out, None, floats)?;
            fill(out, defs, column.max_def, read, floats, |out, v| {
                out.extend_from_slice(v.to_string().as_bytes());
            });
            read
        }
        ColumnReader::DoubleColumnReader(r) => {
            doubles.clear();
            let (read, _, _) = r.read_records(rows, defs_out, None, doubles)?;
            fill(out, defs, column.max_def, read, doubles, |out, v| {
                out.extend_from_slice(v.to_string().as_bytes());
            });
            read
        }
    };
    Ok(read)
}

/// Reads the next `rows` rows of a column into `out`, decoding only the `selected` ones (from 0,
/// increasing) and skipping the others, whole pages unread where none is selected: `out` holds
/// the selected rows' fields only (see [`Column::clear_sparse`]). Returns the rows read or
/// skipped.
fn read_selected(
    reader: &mut ColumnReader,
    column: &Needed,
    rows: usize,
    selected: &[usize],
    out: &mut Column,
    scratch: &mut Scratch,
) -> parquet::errors::Result<usize> {
    out.clear_sparse();
    let mut one = std::mem::take(&mut scratch.one);
    let mut at = 0;
    let mut outcome = Ok(None);
    for &row in selected.iter().filter(|row| **row < rows) {
        outcome = skip(reader, row - at).and_then(|skipped| {
            at += skipped;
            if at < row {
                return Ok(Some(at));
            }
            if read_column(reader, column, 1, &mut one, scratch)? != 1 {
                return Ok(Some(at));
            }
            out.bytes.extend_from_slice(&one.bytes);
            out.end_sparse_row(row);
            at += 1;
            Ok(None)
        });
        if !matches!(outcome, Ok(None)) {
            break;
        }
    }
    scratch.one = one;
    match outcome? {
        Some(short) => Ok(short),
        None => Ok(at + skip(reader, rows - at)?),
    }
}

/// Skips `n` rows of a column; returns the rows skipped.
fn skip(reader: &mut ColumnReader, n: usize) -> parquet::errors::Result<usize> {
    if n == 0 {
        return Ok(0);
    }
    match reader {
        ColumnReader::ByteArrayColumnReader(r) => r.skip_records(n),
        ColumnReader::FixedLenByteArrayColumnReader(r) => r.skip_records(n),
        ColumnReader::Int32ColumnReader(r) => r.skip_records(n),
        ColumnReader::Int64ColumnReader(r) => r.skip_records(n),
        ColumnReader::Int96ColumnReader(r) => r.skip_records(n),
        ColumnReader::BoolColumnReader(r) => r.skip_records(n),
        ColumnReader::FloatColumnReader(r) => r.skip_records(n),
        ColumnReader::DoubleColumnReader(r) => r.skip_records(n),
    }
}

/// Appends `read` rows to `out`: the non-null `values` in order where the definition level is
/// the maximum, an empty field elsewhere.
fn fill<T>(
    out: &mut Column,
    defs: &[i16],
    max_def: i16,
    read: usize,
    values: &[T],
    mut write: impl FnMut(&mut Vec<u8>, &T),
) {
    if max_def == 0 {
        for value in values.iter().take(read) {
            write(&mut out.bytes, value);
            out.end_row();
        }
        return;
    }
    let mut values = values.iter();
    for &def in defs.iter().take(read) {
        if def == max_def
            && let Some(value) = values.next()
        {
            write(&mut out.bytes, value);
        }
        out.end_row();
    }
}

fn integer(out: &mut Vec<u8>, value: i64, conversion: Conversion) {
    match conversion {
        Conversion::Date => date(out, value),
        Conversion::Timestamp(per_second) => timestamp(out, value, per_second),
        Conversion::Integer(width) if value >= 0 => {
            let digits = value.to_string();
            out.extend(std::iter::repeat_n(
                b'0',
                width.saturating_sub(digits.len()),
            ));
            out.extend_from_slice(digits.as_bytes());
        }
        _ => out.extend_from_slice(value.to_string().as_bytes()),
    }
}

/// `AAAA-MM-JJ` of a day counted from 1970-01-01 (nothing for a day out of range).
fn date(out: &mut Vec<u8>, days: i64) {
    let day = i32::try_from(days)
        .ok()
        .and_then(|days| days.checked_add(719_163))
        .and_then(NaiveDate::from_num_days_from_ce_opt);
    if let Some(day) = day {
        write_date(out, day);
    }
}

fn timestamp(out: &mut Vec<u8>, value: i64, per_second: i64) {
    if let Some(moment) = DateTime::from_timestamp(value.div_euclid(per_second), 0) {
        write_date(out, moment.date_naive());
    }
}

fn write_date(out: &mut Vec<u8>, day: NaiveDate) {
    let (year, month, day) = (day.year(), day.month(), day.day());
    if (0..10_000).contains(&year) {
        let digit = |n: u32| b'0' + u8::try_from(n % 10).unwrap_or(0);
        let year = year.unsigned_abs();
        out.extend_from_slice(&[
            digit(year / 1000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            b'-',
            digit(month / 10),
            digit(month),
            b'-',
            digit(day / 10),
            digit(day),
        ]);
    }
}

/// Reads the signature at the end too: a file cut short has lost it (the reader's own message
/// about the footer is less clear).
pub(crate) fn check_complete(path: &Path, file: &str) -> Result<(), ImportError> {
    let truncated = |message: String| ImportError::Parquet {
        file: file.to_owned(),
        message,
    };
    let mut handle = File::open(path).map_err(|source| ImportError::Open {
        file: file.to_owned(),
        source,
    })?;
    let mut tail = [0u8; 4];
    let ok = handle.seek(SeekFrom::End(-4)).is_ok() && handle.read_exact(&mut tail).is_ok();
    if !ok || tail != *b"PAR1" {
        return Err(truncated(
            "la signature PAR1 manque à la fin du fichier : il est tronqué".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_integers_read_as_the_csv_writes_them() {
        let mut out = Vec::new();
        date(&mut out, 0);
        assert_eq!(out, b"1970-01-01");
        out.clear();
        date(&mut out, -25_567);
        assert_eq!(out, b"1900-01-01");
        out.clear();
        date(&mut out, 19_723);
        assert_eq!(out, b"2024-01-01");
        out.clear();
        timestamp(&mut out, 1_704_067_200_123, 1_000);
        assert_eq!(out, b"2024-01-01");
        out.clear();
        integer(&mut out, 5, Conversion::Integer(9));
        assert_eq!(out, b"000000005");
        out.clear();
        integer(&mut out, 1001, Conversion::Integer(5));
        assert_eq!(out, b"01001");
        out.clear();
        integer(&mut out, 9220, Conversion::Integer(0));
        assert_eq!(out, b"9220");
    }
}
