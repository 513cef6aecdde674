//! The streaming pipeline shared by both passes.
//!
//! The calling thread reads the file (inflating a zip) into reused buffers and cuts it into
//! chunks of whole records. It only looks for quotes (`memchr`) to know which newlines end a
//! record, the quoting rules being those of the `csv` crate: RFC 4180 with doubled quotes, no
//! escape character, a quote opening a quoted field only at the start of a field. Worker
//! threads split the chunks into records ([`Records`]) and fold the rows into their own state; a
//! collector thread receives what workers hand on per chunk (in the units pass, the SIRENs
//! read). Buffers go back to the reader, and channels are bounded, so memory stays flat
//! whatever the size of the file.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender, bounded};
use csv::ByteRecord;
use memchr::{memchr, memrchr};

use crate::ImportError;
use crate::coded::text_field;
use crate::records::{Batch, Projection, Record, Records};
use crate::source::{SourceInfo, with_source};

/// Target size of a chunk: big enough to make per-chunk costs negligible, small enough to keep
/// a few in flight per worker.
const CHUNK_SIZE: usize = 4 << 20;

/// Pieces waiting for the collector: enough for the workers to go on while it sets up its
/// tables (a fraction of a second), small enough to bound memory (a piece is a few hundred
/// kilobytes).
pub(crate) const PIECES_IN_FLIGHT: usize = 64;

/// What a worker thread does with chunks.
pub(crate) trait ChunkWorker: Send {
    /// Handed to the collector after each chunk.
    type Piece: Send;

    /// The fields read on every row.
    fn projection(&self) -> &Projection;

    /// Folds every record of one chunk (whole records; `seq` numbers chunks in file order,
    /// lines are counted from 1 at the chunk's start) into the worker's state.
    fn process(&mut self, seq: u64, records: &mut Records<'_>) -> Option<Self::Piece>;

    /// Folds every row of a batch decoded column by column (Parquet) whose detail columns
    /// (those of [`Wanted::names`] not in [`Wanted::required`]) are still empty, column by
    /// column; gives the rows (from 0, increasing) whose details
    /// [`ChunkWorker::finish_batch`] reads. A Parquet pass then decodes the details of those
    /// rows only, skipping the other pages of those columns unread.
    fn fold_batch(&mut self, batch: &Batch) -> Vec<usize>;

    /// Ends the batch [`ChunkWorker::fold_batch`] folded, its selected rows' details read.
    fn finish_batch(&mut self, batch: &Batch) -> Option<Self::Piece>;
}

/// The `csv` reader of the header: RFC 4180 quoting with doubled quotes, a backslash an
/// ordinary character.
fn header_reader(data: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .quoting(true)
        .double_quote(true)
        .escape(None)
        .buffer_capacity(64 * 1024)
        .from_reader(data)
}

/// The result of streaming one file.
pub(crate) struct Streamed<W> {
    pub(crate) info: SourceInfo,
    pub(crate) header: Vec<String>,
    pub(crate) workers: Vec<W>,
    pub(crate) lines: LineIndex,
}

impl<W> Streamed<W> {
    /// The line of the file of a row at `line` of chunk `seq`.
    pub(crate) fn absolute_line(&self, seq: u64, line: u64) -> u64 {
        self.lines.absolute(seq, line)
    }
}

/// Lines per chunk, to turn a chunk's line into a line of the file.
pub(crate) struct LineIndex {
    header_lines: u64,
    /// Lines before each chunk, by `seq`.
    before: Vec<u64>,
}

impl LineIndex {
    pub(crate) fn new(header_lines: u64, mut per_chunk: Vec<(u64, u64)>) -> Self {
        per_chunk.sort_unstable();
        let mut before = Vec::with_capacity(per_chunk.len());
        let mut sum = 0;
        for (_, lines) in per_chunk {
            before.push(sum);
            sum += lines;
        }
        Self {
            header_lines,
            before,
        }
    }

    fn absolute(&self, seq: u64, line: u64) -> u64 {
        let before = usize::try_from(seq)
            .ok()
            .and_then(|seq| self.before.get(seq))
            .copied()
            .unwrap_or_default();
        self.header_lines + before + line
    }
}

/// Where the record terminators are, following the quoting rules of the `csv` crate.
///
/// The scanned buffer always starts at the start of a record.
struct Boundaries {
    scanned: usize,
    in_quotes: bool,
    /// Just after the last `\n` seen outside quotes; 0 when none.
    last: usize,
}

impl Boundaries {
    fn new() -> Self {
        Self {
            scanned: 0,
            in_quotes: false,
            last: 0,
        }
    }

    /// Scans what was added to `buf` since the last call; returns the end of the last whole
    /// record (0 when none ends in `buf` yet).
    fn scan(&mut self, buf: &[u8]) -> usize {
        let mut pos = self.scanned;
        while pos < buf.len() {
            if self.in_quotes {
                let Some(offset) = memchr(b'"', &buf[pos..]) else {
                    pos = buf.len();
                    break;
                };
                let quote = pos + offset;
                match buf.get(quote + 1) {
                    // Is it a doubled quote? The next read will tell.
                    None => {
                        pos = quote;
                        break;
                    }
                    Some(b'"') => pos = quote + 2,
                    Some(_) => {
                        self.in_quotes = false;
                        pos = quote + 1;
                    }
                }
            } else {
                let quote = memchr(b'"', &buf[pos..]).map(|offset| pos + offset);
                let end = quote.unwrap_or(buf.len());
                if let Some(offset) = memrchr(b'\n', &buf[pos..end]) {
                    self.last = pos + offset + 1;
                }
                let Some(quote) = quote else {
                    pos = buf.len();
                    break;
                };
                let at_field_start = quote == 0 || matches!(buf[quote - 1], b',' | b'\n' | b'\r');
                if at_field_start {
                    self.in_quotes = true;
                }
                pos = quote + 1;
            }
        }
        self.scanned = pos;
        self.last
    }

    /// The buffer now starts at `boundary`, the last boundary found (or its end).
    fn rebase(&mut self, boundary: usize) {
        self.scanned = self.scanned.saturating_sub(boundary);
        self.last = 0;
    }
}

/// The header and the rest of the first read.
fn read_header(
    input: &mut dyn Read,
    info: &SourceInfo,
    position: &AtomicU64,
) -> Result<(ByteRecord, Vec<u8>), ImportError> {
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        let before = buf.len();
        (&mut *input)
            .take(64 * 1024)
            .read_to_end(&mut buf)
            .map_err(|e| info.read_error(position.load(Ordering::Relaxed), &e))?;
        let eof = buf.len() == before;
        let end = memchr(b'\n', &buf).map(|i| i + 1);
        if let Some(end) = end.or(eof.then_some(buf.len())) {
            if buf.iter().all(u8::is_ascii_whitespace) {
                return Err(ImportError::Empty {
                    file: info.file.clone(),
                });
            }
            let mut line = &buf[..end];
            if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
                line = rest;
            }
            let mut header = ByteRecord::new();
            header_reader(line)
                .read_byte_record(&mut header)
                .map_err(|e| ImportError::Header {
                    file: info.file.clone(),
                    reason: e.to_string(),
                })?;
            let rest = buf[end..].to_vec();
            return Ok((header, rest));
        }
    }
}

/// The header's column names.
fn header_names(header: &ByteRecord, info: &SourceInfo) -> Result<Vec<String>, ImportError> {
    header
        .iter()
        .map(|name| {
            std::str::from_utf8(name)
                .map(|name| name.trim().to_owned())
                .map_err(|_| ImportError::Header {
                    file: info.file.clone(),
                    reason: "noms de colonnes qui ne sont pas de l’UTF-8 valide".into(),
                })
        })
        .collect()
}

/// The columns a pass reads, for a Parquet file (a CSV's header gives them all).
pub(crate) struct Wanted {
    /// Every column the pass may read.
    pub(crate) names: &'static [&'static str],
    /// Those without which the file is refused: the ones every row needs. The others are
    /// details, read only for some rows (see [`ChunkWorker::fold_batch`]).
    pub(crate) required: &'static [&'static str],
    /// `StockEtablissement` or `StockUniteLegale`, for messages.
    pub(crate) expected: &'static str,
    /// Columns a Parquet file's others make (column, made of): not decoded when the file has
    /// those. A SIRET is its SIREN then its NIC, a tenth of the size of SIRETs to decode.
    pub(crate) derived: &'static [(&'static str, &'static str)],
}

/// Streams the file at `path` through `threads` workers: a Parquet file (see `parquet.rs`),
/// or a CSV, zipped or not.
///
/// `prepare` reads the header (its column names) and gives the setup every worker is built from
/// by `make_worker`; `collect` receives the workers' pieces in a thread of its own; `on_bytes`
/// is told the bytes of the file on disk consumed so far, after each chunk.
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
    if crate::parquet::is_parquet(path) {
        return crate::parquet::stream(
            path,
            threads,
            on_bytes,
            wanted,
            prepare,
            make_worker,
            collect,
        );
    }
    let position = Arc::new(AtomicU64::new(0));
    with_source(path, &position, |input, info| {
        let (header, rest) = read_header(input, info, &position)?;
        let header = header_names(&header, info)?;
        let setup = prepare(&header, info)?;
        let threads = threads.max(1);
        let workers: Vec<W> = (0..threads).map(|_| make_worker(&setup)).collect();
        let (chunk_tx, chunk_rx) = bounded::<Chunk>(threads * 2);
        let (pool_tx, pool_rx) = bounded::<Vec<u8>>(threads * 3 + 2);
        let (piece_tx, piece_rx) = bounded::<W::Piece>(PIECES_IN_FLIGHT);
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
                    let chunks = chunk_rx.clone();
                    let pool = pool_tx.clone();
                    let pieces = piece_tx.clone();
                    scope.spawn(move || work(worker, &chunks, &pool, &pieces))
                })
                .collect();
            drop((chunk_rx, pool_tx, piece_tx));
            let read = split(input, &rest, &chunk_tx, &pool_rx, info, &position, on_bytes);
            drop(chunk_tx);
            let mut workers = Vec::with_capacity(handles.len());
            let mut per_chunk = Vec::new();
            for handle in handles {
                let (worker, lines) = handle
                    .join()
                    .map_err(|_| ImportError::Internal("un fil de lecture a échoué".into()))?;
                workers.push(worker);
                per_chunk.extend(lines);
            }
            let collect = collector
                .join()
                .map_err(|_| ImportError::Internal("le fil de collecte a échoué".into()))?;
            read?;
            Ok((workers, per_chunk, collect))
        });
        let (workers, per_chunk, collect) = outcome?;
        Ok((
            setup,
            Streamed {
                info: info.clone(),
                header,
                workers,
                lines: LineIndex::new(1, per_chunk),
            },
            collect,
        ))
    })
}

/// A worker thread: parses chunks until the reader is done.
fn work<W: ChunkWorker>(
    mut worker: W,
    chunks: &Receiver<Chunk>,
    pool: &Sender<Vec<u8>>,
    pieces: &Sender<W::Piece>,
) -> (W, Vec<(u64, u64)>) {
    let mut lines = Vec::new();
    for (seq, data, len) in chunks {
        let projection = worker.projection().clone();
        let mut records = Records::new(&data[..len], &projection);
        let piece = worker.process(seq, &mut records);
        while records.next_record().is_some() {}
        lines.push((seq, records.lines_read()));
        if let Some(piece) = piece {
            // The collector only stops when every worker is done.
            let _ = pieces.send(piece);
        }
        // A full pool drops the buffer.
        let _ = pool.try_send(data);
    }
    (worker, lines)
}

/// A chunk: its number, a buffer and the length of its records in it.
type Chunk = (u64, Vec<u8>, usize);

/// A buffer of at least `len` bytes: a recycled one (its bytes already written once, so not
/// zeroed again) or a new one.
fn buffer(pool: &Receiver<Vec<u8>>, len: usize) -> Vec<u8> {
    let mut buf = pool.try_recv().unwrap_or_default();
    if buf.len() < len {
        buf.resize(len, 0);
    }
    buf
}

/// The reader: cuts the stream into chunks of whole records.
fn split(
    input: &mut dyn Read,
    rest: &[u8],
    chunks: &Sender<Chunk>,
    pool: &Receiver<Vec<u8>>,
    info: &SourceInfo,
    position: &AtomicU64,
    on_bytes: &(dyn Fn(u64, &SourceInfo) + Sync),
) -> Result<(), ImportError> {
    let mut boundaries = Boundaries::new();
    let mut seq = 0u64;
    let mut buf = buffer(pool, CHUNK_SIZE.max(rest.len() + CHUNK_SIZE / 2));
    buf[..rest.len()].copy_from_slice(rest);
    let mut filled = rest.len();
    loop {
        // Fill to a chunk's size, or by another chunk's size when a record is that long.
        let target = if filled < CHUNK_SIZE {
            CHUNK_SIZE
        } else {
            filled + CHUNK_SIZE
        };
        if buf.len() < target {
            buf.resize(target, 0);
        }
        let mut eof = false;
        while filled < target {
            match input.read(&mut buf[filled..target]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(info.read_error(position.load(Ordering::Relaxed), &e)),
            }
        }
        let end = if eof {
            filled
        } else {
            boundaries.scan(&buf[..filled])
        };
        if end > 0 {
            let left = filled - end;
            let mut next = buffer(pool, CHUNK_SIZE.max(left + CHUNK_SIZE / 2));
            next[..left].copy_from_slice(&buf[end..filled]);
            let full = std::mem::replace(&mut buf, next);
            if chunks.send((seq, full, end)).is_err() {
                return Err(ImportError::Internal(
                    "les fils de lecture se sont arrêtés".into(),
                ));
            }
            seq += 1;
            filled = left;
            boundaries.rebase(end);
        }
        on_bytes(position.load(Ordering::Relaxed), info);
        if eof {
            return Ok(());
        }
    }
}

/// Why a row is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RejectKind {
    FieldCount,
    InvalidUtf8,
    InvalidSiren,
}

impl RejectKind {
    const ALL: [Self; 3] = [Self::FieldCount, Self::InvalidUtf8, Self::InvalidSiren];

    /// The French label the report counts by.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::FieldCount => "nombre de champs différent de celui de l’en-tête",
            Self::InvalidUtf8 => "texte qui n’est pas de l’UTF-8 valide",
            Self::InvalidSiren => "SIREN invalide (9 chiffres attendus)",
        }
    }
}

/// A rejected row as a worker sees it: chunk and line in the chunk.
pub(crate) struct PendingSample {
    pub(crate) seq: u64,
    pub(crate) line: u64,
    /// Column index in the header.
    pub(crate) field: Option<usize>,
    pub(crate) reason: String,
}

/// The samples a report keeps.
pub(crate) const MAX_SAMPLES: usize = 100;

/// Rejected rows of one worker: counts by reason and the first samples.
#[derive(Default)]
pub(crate) struct Rejections {
    counts: [u64; 3],
    samples: Vec<PendingSample>,
}

impl Rejections {
    pub(crate) fn add(
        &mut self,
        kind: RejectKind,
        seq: u64,
        record: &Record<'_>,
        field: Option<usize>,
        reason: impl FnOnce() -> String,
    ) {
        self.counts[kind as usize] += 1;
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(PendingSample {
                seq,
                line: record.line(),
                field,
                reason: reason(),
            });
        }
    }

    /// A row whose field in `column` is not UTF-8.
    pub(crate) fn invalid_utf8(&mut self, seq: u64, record: &Record<'_>, column: usize) {
        self.add(RejectKind::InvalidUtf8, seq, record, Some(column), || {
            RejectKind::InvalidUtf8.label().to_owned()
        });
    }

    /// A row whose SIREN, `field` in `column`, is not 9 digits.
    pub(crate) fn invalid_siren(
        &mut self,
        seq: u64,
        record: &Record<'_>,
        column: usize,
        field: &[u8],
    ) {
        self.add(RejectKind::InvalidSiren, seq, record, Some(column), || {
            format!("SIREN « {} » invalide : 9 chiffres attendus", shown(field))
        });
    }

    /// Row `row`'s SIREN in a batch decoded column by column, as [`accept`] reads a record's:
    /// `None`, the row counted, when the SIREN's field (in `siren_at`) is not UTF-8, then when
    /// the first other needed field is not (in `other_invalid`), then when the SIREN is not 9
    /// digits.
    #[inline]
    pub(crate) fn batch_siren(
        &mut self,
        batch: &Batch,
        row: usize,
        siren_at: usize,
        other_invalid: impl FnOnce() -> Option<usize>,
    ) -> Option<u32> {
        let field = text_field(&batch.columns[siren_at], row);
        let invalid = if field.is_none() {
            Some(siren_at)
        } else {
            other_invalid()
        };
        if let Some(at) = invalid {
            self.invalid_utf8(0, &Record::at(batch, row), at);
            return None;
        }
        let field = field.unwrap_or_default();
        let siren = parse_siren(field);
        if siren.is_none() {
            self.invalid_siren(0, &Record::at(batch, row), siren_at, field);
        }
        siren
    }

    pub(crate) fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Adds another worker's rejections (samples sorted later).
    pub(crate) fn merge(&mut self, other: Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.samples.extend(other.samples);
    }

    pub(crate) fn counts(&self) -> impl Iterator<Item = (RejectKind, u64)> + '_ {
        RejectKind::ALL
            .into_iter()
            .map(|kind| (kind, self.counts[kind as usize]))
            .filter(|(_, count)| *count > 0)
    }

    /// The first samples in file order.
    pub(crate) fn into_samples(mut self) -> Vec<PendingSample> {
        self.samples.sort_by_key(|s| (s.seq, s.line));
        self.samples.truncate(MAX_SAMPLES);
        self.samples
    }
}

/// The needed fields, checked to be UTF-8 (ASCII, most often, is checked inline); or the
/// index of the first that is not.
#[inline]
fn fields<'r, const N: usize>(
    record: &Record<'r>,
    columns: &[usize; N],
) -> Result<[&'r [u8]; N], usize> {
    let mut out: [&[u8]; N] = [&[]; N];
    for (slot, &column) in out.iter_mut().zip(columns) {
        let field = record.get(column);
        if !field.is_ascii() && std::str::from_utf8(field).is_err() {
            return Err(column);
        }
        *slot = field;
    }
    Ok(out)
}

/// Checks a row: as many fields as the header, the needed fields in UTF-8, a SIREN of 9 digits
/// in the first needed column. Gives the needed fields and the SIREN, or counts the row in
/// `rejections` with the reason.
#[inline]
pub(crate) fn accept<'r, const N: usize>(
    record: &Record<'r>,
    header_len: usize,
    columns: &[usize; N],
    seq: u64,
    rejections: &mut Rejections,
) -> Option<([&'r [u8]; N], u32)> {
    if record.len() != header_len {
        let found = record.len();
        rejections.add(RejectKind::FieldCount, seq, record, None, || {
            format!("{found} champs au lieu des {header_len} de l’en-tête")
        });
        return None;
    }
    let needed = match fields(record, columns) {
        Ok(needed) => needed,
        Err(column) => {
            rejections.invalid_utf8(seq, record, column);
            return None;
        }
    };
    let Some(siren) = parse_siren(needed[0]) else {
        rejections.invalid_siren(seq, record, columns[0], needed[0]);
        return None;
    };
    Some((needed, siren))
}

/// A field already checked to be UTF-8, as text.
#[inline]
pub(crate) fn text(field: &[u8]) -> &str {
    std::str::from_utf8(field).unwrap_or_default()
}

/// A field as text, empty when absent or not UTF-8 (directory fields: never a reason to reject).
#[inline]
pub(crate) fn optional_text<'r>(record: &'r Record<'_>, column: Option<usize>) -> &'r str {
    column.and_then(|c| record.text(c)).unwrap_or("")
}

/// A SIREN of 9 digits as a number.
#[inline]
pub(crate) fn parse_siren(bytes: &[u8]) -> Option<u32> {
    if bytes.len() != 9 {
        return None;
    }
    let mut value = 0u32;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

/// A value shown in a rejection reason: lossy, short.
fn shown(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut shown: String = text.chars().take(30).collect();
    if text.chars().count() > 30 {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `data` by slices of `step` bytes and cuts at each boundary found, as `split` does.
    fn cut(data: &[u8], step: usize) -> Vec<Vec<u8>> {
        let mut chunks = Vec::new();
        let mut buf = Vec::new();
        let mut boundaries = Boundaries::new();
        for piece in data.chunks(step) {
            buf.extend_from_slice(piece);
            let end = boundaries.scan(&buf);
            if end > 0 {
                chunks.push(buf[..end].to_vec());
                buf.drain(..end);
                boundaries.rebase(end);
            }
        }
        if !buf.is_empty() {
            chunks.push(buf);
        }
        chunks
    }

    fn records(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = header_reader(data);
        let mut record = ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            out.push(record.iter().map(<[u8]>::to_vec).collect());
        }
        out
    }

    const TRICKY: &[u8] = b"a,\"b\nc\",d\n\
        \"x\"\"\n\"\"y\",z,\"\"\n\
        plain,with\"quote,end\n\
        \"q\"after,\"\",\"\"\"\"\n\
        back\\,slash,\"C\\,D\",\"E\\\"\"\n\
        crlf,row\r\n\
        last,\"multi\nline\nfield\"\n";

    #[test]
    fn chunks_cut_anywhere_give_the_records_of_the_whole_file() {
        let whole = records(TRICKY);
        assert_eq!(whole.len(), 7);
        for step in 1..TRICKY.len() {
            let chunks = cut(TRICKY, step);
            let pieces: Vec<_> = chunks.iter().flat_map(|c| records(c)).collect();
            assert_eq!(pieces, whole, "step {step}");
            for chunk in &chunks {
                assert!(
                    chunk.ends_with(b"\n"),
                    "every chunk ends where a record ends"
                );
            }
        }
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_an_ordinary_character() {
        let data = b"ab\"c,d\nnext,row\n";
        let chunks = cut(data, 3);
        assert_eq!(chunks.len(), 2);
        assert_eq!(records(&chunks[0]), [[b"ab\"c".to_vec(), b"d".to_vec()]]);
    }

    #[test]
    fn sirens_are_nine_digits() {
        assert_eq!(parse_siren(b"000000001"), Some(1));
        assert_eq!(parse_siren(b"999999999"), Some(999_999_999));
        assert_eq!(parse_siren(b"12345678"), None);
        assert_eq!(parse_siren(b"1234567890"), None);
        assert_eq!(parse_siren(b"12345678A"), None);
        assert_eq!(parse_siren(b""), None);
    }

    #[test]
    fn lines_of_chunks_add_up_after_the_header() {
        let index = LineIndex::new(1, vec![(1, 5), (0, 10), (2, 3)]);
        assert_eq!(index.absolute(0, 1), 2);
        assert_eq!(index.absolute(1, 1), 12);
        assert_eq!(index.absolute(2, 3), 19);
    }
}
