//! Records of a chunk, split into fields.
//!
//! Most lines of INSEE's files hold no quote. Such a line is not parsed byte by byte: its
//! commas are found eight bytes at a time, and only those around the fields a pass reads on
//! every row (its [`Projection`]) are located; other fields are found on demand. Any line with a
//! quote, or with a carriage return other than a final one, is parsed by `csv_core` (the engine
//! of the `csv` crate) with the dialect of the importer's `csv` readers: RFC 4180 quoting with
//! doubled quotes, no escape character, `\r\n`, `\r` or `\n` ending a record, blank lines
//! skipped. Both paths give the fields the `csv` crate gives (see the tests).

use std::cell::Cell;

use arrow_array::{Array, BinaryArray, Int32Array};
use memchr::{memchr, memchr_iter, memchr2_iter};

/// The fields read on every row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Projection {
    /// Sorted indexes of the commas to locate: before and after each projected field.
    commas: Vec<u32>,
    /// By field index: the positions in `commas` of the commas before and after the field.
    slots: Vec<Option<(u16, u16)>>,
}

impl Projection {
    pub(crate) fn new(fields: &[usize]) -> Self {
        let mut commas: Vec<u32> = fields
            .iter()
            .flat_map(|&field| {
                let field = u32::try_from(field).expect("fewer than 2^32 columns");
                [field.checked_sub(1), Some(field)]
            })
            .flatten()
            .collect();
        commas.sort_unstable();
        commas.dedup();
        let slot = |comma: u32| {
            commas
                .binary_search(&comma)
                .ok()
                .and_then(|slot| u16::try_from(slot).ok())
        };
        let mut slots = vec![None; fields.iter().max().map_or(0, |max| max + 1)];
        for &field in fields {
            let index = u32::try_from(field).expect("fewer than 2^32 columns");
            let before = index.checked_sub(1).map_or(Some(u16::MAX), slot);
            if let (Some(before), Some(after)) = (before, slot(index)) {
                slots[field] = Some((before, after));
            }
        }
        Self { commas, slots }
    }
}

/// One column of a batch of decoded rows (Parquet): the fields' bytes one after the other, or
/// an Arrow array kept as the reader gave it.
#[derive(Debug, Default)]
pub(crate) struct Column {
    pub(crate) bytes: Vec<u8>,
    /// End of each row's field in `bytes`.
    ends: Vec<u32>,
    /// When set, the rows are read from it instead of `bytes`.
    arrow: Option<ArrowColumn>,
    /// Whether `bytes` holds the fields of some rows only, those of `rows`, every other row's
    /// field being empty.
    sparse: bool,
    /// The rows of a sparse column's fields, increasing.
    rows: Vec<u32>,
    /// Where the last row looked up was found in `rows`: rows are mostly read in order.
    hint: Cell<usize>,
}

/// A text column as the Arrow reader decodes it; a null is an empty field.
#[derive(Debug)]
pub(crate) struct ArrowColumn {
    /// For a dictionary, each row's key into `values`, decoded once per page of dictionary;
    /// `None` when `values` holds one value per row.
    pub(crate) keys: Option<Int32Array>,
    pub(crate) values: BinaryArray,
    /// Whether the values were checked to be UTF-8 (a column of strings, not of bytes).
    pub(crate) utf8: bool,
}

impl ArrowColumn {
    #[inline]
    fn field(&self, row: usize) -> Option<&[u8]> {
        let index = match &self.keys {
            None => row,
            Some(keys) => {
                if row >= keys.len() {
                    return None;
                }
                if keys.is_null(row) {
                    return Some(&[]);
                }
                usize::try_from(keys.value(row)).ok()?
            }
        };
        value(&self.values, index)
    }
}

/// Value `index` of an array of bytes, empty when null; `None` past its end.
#[inline]
pub(crate) fn value(values: &BinaryArray, index: usize) -> Option<&[u8]> {
    if index >= values.len() {
        return None;
    }
    Some(if values.is_null(index) {
        &[]
    } else {
        values.value(index)
    })
}

impl Column {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.arrow = None;
        self.sparse = false;
        self.rows.clear();
        self.hint.set(0);
    }

    /// Empties the column to hold the fields of some rows only ([`Column::end_sparse_row`]):
    /// until then, every row's field is empty.
    pub(crate) fn clear_sparse(&mut self) {
        self.clear();
        self.sparse = true;
    }

    /// Ends the field of row `row` of a sparse column (rows in increasing order).
    #[inline]
    pub(crate) fn end_sparse_row(&mut self, row: usize) {
        self.end_row();
        self.rows.push(offset(row));
    }

    /// The column's rows are those of `array`.
    pub(crate) fn set_arrow(&mut self, array: ArrowColumn) {
        self.clear();
        self.arrow = Some(array);
    }

    /// Ends the current row's field (what was appended to `bytes` since the previous one).
    #[inline]
    pub(crate) fn end_row(&mut self) {
        self.ends.push(offset(self.bytes.len()));
    }

    /// The Arrow array the rows are read from, if they are.
    pub(crate) fn arrow(&self) -> Option<&ArrowColumn> {
        self.arrow.as_ref()
    }

    /// Row `row`'s field; `None` past the last row.
    #[inline]
    pub(crate) fn field(&self, row: usize) -> Option<&[u8]> {
        if let Some(arrow) = &self.arrow {
            return arrow.field(row);
        }
        let row = if self.sparse {
            let wanted = offset(row);
            let hint = self.hint.get();
            let found = [hint, hint + 1]
                .into_iter()
                .find(|&at| self.rows.get(at) == Some(&wanted))
                .ok_or(())
                .or_else(|()| self.rows.binary_search(&wanted).map_err(|_| ()));
            let Ok(index) = found else {
                return Some(&[]);
            };
            self.hint.set(index);
            index
        } else {
            row
        };
        let end = *self.ends.get(row)? as usize;
        let start = match row {
            0 => 0,
            _ => self.ends[row - 1] as usize,
        };
        self.bytes.get(start..end)
    }
}

/// Rows decoded column by column: the needed columns, in the order of the header they give.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: usize,
    /// Row number (from 1) of the first row.
    pub(crate) first_line: u64,
}

impl Batch {
    pub(crate) fn new(columns: usize) -> Self {
        Self {
            columns: (0..columns).map(|_| Column::default()).collect(),
            rows: 0,
            first_line: 1,
        }
    }
}

/// A reader of the records of one chunk (whole records), or of a batch of decoded rows.
pub(crate) struct Records<'d> {
    data: &'d [u8],
    projection: &'d Projection,
    pos: usize,
    /// Line of the next record, from 1 at the chunk's start.
    line: u64,
    core: csv_core::Reader,
    /// Unescaped bytes of a record read by `csv_core`.
    out: Vec<u8>,
    ends: Vec<usize>,
    /// Positions of the projected commas of a split line, or field bounds of a parsed record.
    starts: Vec<u32>,
    stops: Vec<u32>,
    /// Positions of the chunk's quotes and carriage returns (found at once, few in INSEE's
    /// files), and the first not behind `pos`.
    specials: Vec<u32>,
    special: usize,
}

/// One record: its fields and its line in the chunk.
pub(crate) struct Record<'r> {
    base: &'r [u8],
    kind: Kind<'r>,
    line: u64,
}

enum Kind<'r> {
    /// A line without quotes, in the chunk: `base[start..end]`.
    Split {
        start: u32,
        end: u32,
        fields: u32,
        /// Positions of the projected commas the line has.
        commas: &'r [u32],
        projection: &'r Projection,
    },
    /// A record parsed by `csv_core`, unescaped in `base`.
    Parsed { starts: &'r [u32], stops: &'r [u32] },
    /// A row of a batch decoded column by column.
    Columnar { batch: &'r Batch, row: usize },
}

impl<'r> Record<'r> {
    /// Row `row` of a batch decoded column by column; its line is its row number.
    pub(crate) fn at(batch: &'r Batch, row: usize) -> Self {
        Record {
            base: &[],
            kind: Kind::Columnar { batch, row },
            line: batch.first_line + row as u64,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        match &self.kind {
            Kind::Split { fields, .. } => *fields as usize,
            Kind::Parsed { starts, .. } => starts.len(),
            Kind::Columnar { batch, .. } => batch.columns.len(),
        }
    }

    /// Where field `index` is in `base`.
    #[inline]
    fn bounds(&self, index: usize) -> Option<(usize, usize)> {
        match &self.kind {
            Kind::Parsed { starts, stops } => {
                Some((*starts.get(index)? as usize, *stops.get(index)? as usize))
            }
            Kind::Columnar { .. } => None,
            Kind::Split {
                start,
                end,
                fields,
                commas,
                projection,
            } => {
                if index >= *fields as usize {
                    return None;
                }
                let Some(Some((before, after))) = projection.slots.get(index) else {
                    return nth_field(&self.base[*start as usize..*end as usize], index)
                        .map(|(s, e)| (*start as usize + s, *start as usize + e));
                };
                let field_start = if index == 0 {
                    *start
                } else {
                    commas.get(usize::from(*before))? + 1
                };
                let field_end = if index + 1 == *fields as usize {
                    *end
                } else {
                    *commas.get(usize::from(*after))?
                };
                Some((field_start as usize, field_end as usize))
            }
        }
    }

    /// The field at `index` as text; `None` past the end or if it is not valid UTF-8.
    #[inline]
    pub(crate) fn text(&self, index: usize) -> Option<&'r str> {
        std::str::from_utf8(self.field(index)?).ok()
    }

    /// The field at `index` (empty past the end).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> &'r [u8] {
        self.field(index).unwrap_or_default()
    }

    #[inline]
    fn field(&self, index: usize) -> Option<&'r [u8]> {
        if let Kind::Columnar { batch, row } = &self.kind {
            return batch.columns.get(index)?.field(*row);
        }
        let (start, end) = self.bounds(index)?;
        self.base.get(start..end)
    }

    /// The line where the record starts, from 1 at the chunk's start.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    #[cfg(test)]
    fn fields(&self) -> Vec<Vec<u8>> {
        (0..self.len()).map(|i| self.get(i).to_vec()).collect()
    }
}

/// Bounds of field `index` of a line without quotes.
fn nth_field(line: &[u8], index: usize) -> Option<(usize, usize)> {
    let mut start = 0;
    let mut commas = memchr_iter(b',', line);
    for _ in 0..index {
        start = commas.next()? + 1;
    }
    let end = commas.next().unwrap_or(line.len());
    Some((start, end))
}

const COMMAS: u64 = u64::from_ne_bytes([b','; 8]);
const LOW7: u64 = u64::from_ne_bytes([0x7F; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
const ONES: u64 = u64::from_ne_bytes([1; 8]);

impl<'d> Records<'d> {
    pub(crate) fn new(data: &'d [u8], projection: &'d Projection) -> Self {
        let core = csv_core::ReaderBuilder::new()
            .delimiter(b',')
            .quoting(true)
            .quote(b'"')
            .double_quote(true)
            .escape(None)
            .build();
        Self {
            data,
            projection,
            pos: 0,
            line: 1,
            core,
            out: vec![0; 4096],
            ends: vec![0; 128],
            starts: Vec::with_capacity(128),
            stops: Vec::with_capacity(128),
            specials: memchr2_iter(b'"', b'\r', data).map(offset).collect(),
            special: 0,
        }
    }

    /// Lines consumed so far (all of the chunk's once every record is read).
    pub(crate) fn lines_read(&self) -> u64 {
        self.line - 1
    }

    /// The next record, or `None` at the end of the chunk.
    pub(crate) fn next_record(&mut self) -> Option<Record<'_>> {
        loop {
            let rest = &self.data[self.pos..];
            if rest.is_empty() {
                return None;
            }
            let end = memchr(b'\n', rest).unwrap_or(rest.len());
            let mut line = &rest[..end];
            let special = self
                .specials
                .get(self.special)
                .and_then(|&at| (at as usize).checked_sub(self.pos))
                .filter(|&at| at < end);
            if let Some(at) = special {
                if at + 1 == end && line[at] == b'\r' {
                    line = &line[..at];
                    self.special += 1;
                } else {
                    return self.parse_quoted();
                }
            }
            let start = offset(self.pos);
            self.pos += (end + 1).min(rest.len());
            let line_no = self.line;
            self.line += 1;
            if line.is_empty() {
                // A blank line holds no record.
                continue;
            }
            let commas = locate_commas(line, start, &self.projection.commas, &mut self.starts);
            return Some(Record {
                base: self.data,
                kind: Kind::Split {
                    start,
                    end: start + offset(line.len()),
                    fields: commas + 1,
                    commas: &self.starts,
                    projection: self.projection,
                },
                line: line_no,
            });
        }
    }

    /// Parses the record at `pos` with `csv_core`.
    fn parse_quoted(&mut self) -> Option<Record<'_>> {
        let line_no = self.line;
        let start = self.pos;
        let mut nout = 0;
        let mut nend = 0;
        loop {
            let input = &self.data[self.pos..];
            let (result, nin, out, end) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            self.pos += nin;
            nout += out;
            nend += end;
            match result {
                csv_core::ReadRecordResult::OutputFull => {
                    let len = self.out.len() * 2;
                    self.out.resize(len, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                // At the chunk's end without a terminator, `read_record` with no input again
                // finishes the record.
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::Record => break,
                csv_core::ReadRecordResult::End => {
                    self.line += count_lines(&self.data[start..self.pos]);
                    self.skip_specials();
                    return None;
                }
            }
        }
        self.line += count_lines(&self.data[start..self.pos]);
        self.skip_specials();
        self.starts.clear();
        self.stops.clear();
        let mut previous = 0;
        for &stop in &self.ends[..nend] {
            self.starts.push(offset(previous));
            self.stops.push(offset(stop));
            previous = stop;
        }
        Some(Record {
            base: &self.out,
            kind: Kind::Parsed {
                starts: &self.starts,
                stops: &self.stops,
            },
            line: line_no,
        })
    }
}

impl Records<'_> {
    /// Moves past the special bytes behind `pos`.
    fn skip_specials(&mut self) {
        while self
            .specials
            .get(self.special)
            .is_some_and(|&at| (at as usize) < self.pos)
        {
            self.special += 1;
        }
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr_iter(b'\n', bytes).count() as u64
}

#[inline]
fn offset(position: usize) -> u32 {
    u32::try_from(position).expect("chunks are smaller than 4 GiB")
}

/// Counts the commas of a line without quotes, and records in `found` the positions (offsets
/// from `base`) of those whose index is in `wanted` (sorted), in order.
#[inline]
fn locate_commas(line: &[u8], base: u32, wanted: &[u32], found: &mut Vec<u32>) -> u32 {
    found.clear();
    let mut count = 0u32;
    let mut next = wanted.first().copied().unwrap_or(u32::MAX);
    let mut at = base;
    let words = line.chunks_exact(8);
    let tail = words.remainder();
    for word in words {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        // Bytes equal to a comma become zero; a byte's high bit is then set unless it is zero.
        let x = word ^ COMMAS;
        let commas = !(((x & LOW7) + LOW7) | x) & HIGH;
        // Byte i of `prefix`: the commas in bytes 0 to i (the product adds the bytes up;
        // `count_ones` is no single instruction on baseline x86-64).
        let prefix = (commas >> 7).wrapping_mul(ONES);
        let here = (prefix >> 56) as u32;
        while count + here > next {
            // The wanted comma is the k-th of the word: in the first byte whose prefix
            // exceeds k (each byte of `prefix | HIGH` minus k + 1 keeps its high bit then).
            let k = u64::from(next - count);
            let after = ((prefix | HIGH) - (k + 1) * ONES) & HIGH;
            found.push(at + after.trailing_zeros() / 8);
            next = wanted.get(found.len()).copied().unwrap_or(u32::MAX);
        }
        count += here;
        at += 8;
    }
    for &byte in tail {
        if byte == b',' {
            if count == next {
                found.push(at);
                next = wanted.get(found.len()).copied().unwrap_or(u32::MAX);
            }
            count += 1;
        }
        at += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Records as line and fields.
    type Lines = Vec<(u64, Vec<Vec<u8>>)>;

    /// What the `csv` crate reads, with the importer's dialect. (Its line numbers are those of
    /// the end of the previous record, which differ after blank lines and `\r\n`; ours are
    /// those of the record's first byte.)
    fn csv_records(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .double_quote(true)
            .escape(None)
            .from_reader(data);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            out.push(record.iter().map(<[u8]>::to_vec).collect());
        }
        out
    }

    fn fields(records: &[(u64, Vec<Vec<u8>>)]) -> Vec<Vec<Vec<u8>>> {
        records.iter().map(|(_, fields)| fields.clone()).collect()
    }

    fn lines(records: &[(u64, Vec<Vec<u8>>)]) -> Vec<u64> {
        records.iter().map(|(line, _)| *line).collect()
    }

    fn our_records(data: &[u8]) -> (Lines, u64) {
        our_records_with(data, &Projection::default())
    }

    fn our_records_with(data: &[u8], projection: &Projection) -> (Lines, u64) {
        let mut records = Records::new(data, projection);
        let mut out = Vec::new();
        while let Some(record) = records.next_record() {
            out.push((record.line(), record.fields()));
        }
        (out, records.lines_read())
    }

    #[test]
    fn lines_without_quotes_are_split_on_commas() {
        let data = b"siren,nic,,x\n123456789,00011,a\\,b,\n\n,\r\nlast,line";
        let (records, read) = our_records(data);
        assert_eq!(fields(&records), csv_records(data));
        assert_eq!(records[1].1[2], b"a\\");
        assert_eq!(lines(&records), [1, 2, 4, 5]);
        assert_eq!(read, 5);
    }

    #[test]
    fn quoted_fields_are_unescaped_as_the_csv_crate_does() {
        let data = b"a,\"b,\"\"c\"\"\",d\n\"multi\nline\",x\r\ny,\"\"\n\"q\"after,z";
        let (records, read) = our_records(data);
        assert_eq!(fields(&records), csv_records(data));
        assert_eq!(records[0].1[1], b"b,\"c\"");
        assert_eq!(lines(&records), [1, 2, 4, 5]);
        assert_eq!(read, 4);
    }

    #[test]
    fn a_carriage_return_inside_a_line_ends_a_record_as_in_the_csv_crate() {
        let data = b"a,b\rc,d\ne,f\n";
        let (records, _) = our_records(data);
        assert_eq!(fields(&records), csv_records(data));
        assert_eq!(lines(&records), [1, 1, 2]);
    }

    #[test]
    fn long_lines_and_every_comma_position_are_split_right() {
        for len in 0..40 {
            for comma in 0..len {
                let mut line = vec![b'x'; len];
                line[comma] = b',';
                line.extend_from_slice(b",tail\n");
                let (records, _) = our_records(&line);
                assert_eq!(fields(&records), csv_records(&line), "{len} {comma}");
            }
        }
    }

    #[test]
    fn projected_fields_are_those_of_the_whole_split() {
        let line = b"f0,f1,,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,f13,f14,f15,f16,f17,f18,f19,last\n";
        let expected = csv_records(line);
        for fields in [
            vec![0],
            vec![0, 4, 5],
            vec![3, 20],
            vec![19, 20],
            vec![2, 7, 13, 14],
        ] {
            let projection = Projection::new(&fields);
            let (records, _) = our_records_with(line, &projection);
            assert_eq!(records[0].1, expected[0], "{fields:?}");
        }
        // A line with fewer fields than the projection expects.
        let projection = Projection::new(&[0, 5, 30]);
        let (records, _) = our_records_with(b"a,b,c\n", &projection);
        assert_eq!(records[0].1, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }

    proptest! {
        #[test]
        fn records_are_those_of_the_csv_crate(
            data in proptest::collection::vec(
                prop_oneof![
                    Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b'\\'),
                    Just(b'a'), Just(b'Z'), Just(b' '), Just(0xC3u8), Just(0xA9u8),
                ],
                0..200,
            )
        ) {
            let (records, read) = our_records(&data);
            prop_assert_eq!(fields(&records), csv_records(&data));
            let (projected, _) = our_records_with(&data, &Projection::new(&[0, 2, 3, 7]));
            prop_assert_eq!(fields(&projected), csv_records(&data));
            let newlines = memchr_iter(b'\n', &data).count() as u64;
            let unterminated = u64::from(!data.is_empty() && !data.ends_with(b"\n"));
            prop_assert!(read == newlines || read == newlines + unterminated);
        }

        #[test]
        fn well_formed_csv_reads_back_its_fields(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z,\"\\\\\n é]{0,12}", 1..8),
                1..10,
            )
        ) {
            let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            for row in &rows {
                writer.write_record(row).unwrap();
            }
            let data = writer.into_inner().unwrap();
            let (records, _) = our_records(&data);
            let fields: Vec<Vec<Vec<u8>>> = records.into_iter().map(|(_, f)| f).collect();
            let expected: Vec<Vec<Vec<u8>>> = rows
                .iter()
                .map(|row| row.iter().map(|f| f.as_bytes().to_vec()).collect())
                .collect();
            prop_assert_eq!(fields, expected);
        }
    }
}
