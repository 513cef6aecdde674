//! A column of a batch decoded from Parquet, classified value by value rather than row by row.
//!
//! Most columns a pass reads on every row are codes with few distinct values (a state, a size
//! band, a commune, an activity, a date), which a Parquet file stores as a dictionary and a key
//! per row. A [`Classified`] column applies a pass's rule once to each value of the dictionary,
//! and again only when the dictionary changes (a new row group, or a new dictionary page);
//! each row then reads its value's class through its key. A column without a dictionary is
//! classified row by row, as CSV is.

use arrow_array::{Array, BinaryArray, Int32Array};

use crate::records::{Column, value};

/// The class of each value of a column, and by row the index of its value.
pub(crate) struct Classified<T> {
    /// The dictionary `classes` was made from, held so that its buffers cannot be freed and
    /// reused by another dictionary that would seem the same.
    dictionary: Option<BinaryArray>,
    /// By value of the dictionary, then the empty field (a null), last; or by row.
    classes: Vec<T>,
    /// By value like `classes`: whether it is text (UTF-8); empty when every value is.
    invalid: Vec<bool>,
    /// By row of the batch: the index of its value in `classes`; or `keys`.
    codes: Vec<u32>,
    /// The dictionary's keys, read as they are when none is null: then the index of each
    /// row's value.
    keys: Option<Int32Array>,
}

impl<T> Default for Classified<T> {
    fn default() -> Self {
        Self {
            dictionary: None,
            classes: Vec::new(),
            invalid: Vec::new(),
            codes: Vec::new(),
            keys: None,
        }
    }
}

fn code(index: usize) -> u32 {
    u32::try_from(index).expect("fewer than 2^32 values in a batch")
}

/// Whether a field is not text: not UTF-8.
fn not_text(field: &[u8]) -> bool {
    !field.is_ascii() && std::str::from_utf8(field).is_err()
}

impl<T: Copy> Classified<T> {
    /// Classifies the `rows` rows of `column` with `classify`: each value of its dictionary
    /// once (`classify` is not called again while the dictionary stays the same), or each row.
    /// A field missing (past a column's end) is classified as empty, as CSV's fields are read.
    /// Whether the values were classified anew: the codes of earlier batches may then stand for
    /// other values.
    pub(crate) fn load(
        &mut self,
        column: &Column,
        rows: usize,
        mut classify: impl FnMut(&[u8]) -> T,
    ) -> bool {
        self.codes.clear();
        self.keys = None;
        if let Some(arrow) = column.arrow()
            && let Some(keys) = &arrow.keys
        {
            let values = &arrow.values;
            let anew = !self.same_dictionary(values);
            if anew {
                self.classes.clear();
                self.invalid.clear();
                for index in 0..values.len() {
                    let field = value(values, index).unwrap_or_default();
                    self.classes.push(classify(field));
                    if !arrow.utf8 {
                        self.invalid.push(not_text(field));
                    }
                }
                self.classes.push(classify(b""));
                if !self.invalid.is_empty() {
                    self.invalid.push(false);
                }
                if !self.invalid.contains(&true) {
                    self.invalid.clear();
                }
                self.dictionary = Some(values.clone());
            }
            // A null, or a key past the values (the reader refuses those), reads as empty.
            let empty = code(values.len());
            let count = rows.min(keys.len());
            let values = &keys.values()[..count];
            if keys.null_count() == 0
                && count == rows
                && values.iter().all(|&key| key.cast_unsigned() < empty)
            {
                // The reader refuses keys past the values: the check is only a safeguard.
                self.keys = Some(keys.clone());
                return anew;
            }
            self.codes
                .extend(values.iter().map(|&key| key.cast_unsigned().min(empty)));
            if let Some(nulls) = keys.nulls() {
                // The nulls' keys are whatever the reader left: found 64 rows at a time.
                let bits = nulls.inner().bit_chunks();
                let words = bits.iter().chain(std::iter::once(bits.remainder_bits()));
                for (word, base) in words.zip((0..).step_by(64)) {
                    let mut missing = !word;
                    while missing != 0 {
                        let row = base + missing.trailing_zeros() as usize;
                        if let Some(code) = self.codes.get_mut(row) {
                            *code = empty;
                        }
                        missing &= missing - 1;
                    }
                }
            }
            self.codes.resize(rows, empty);
            return anew;
        }
        self.dictionary = None;
        self.classes.clear();
        self.invalid.clear();
        let checked = column.arrow().is_some_and(|arrow| arrow.utf8);
        for row in 0..rows {
            let field = column.field(row).unwrap_or_default();
            self.classes.push(classify(field));
            if !checked {
                self.invalid.push(not_text(field));
            }
        }
        if !self.invalid.contains(&true) {
            self.invalid.clear();
        }
        self.codes.extend((0..rows).map(code));
        true
    }

    fn same_dictionary(&self, values: &BinaryArray) -> bool {
        self.dictionary.as_ref().is_some_and(|held| {
            held.len() == values.len()
                && held.offsets().ptr_eq(values.offsets())
                && held.values().ptr_eq(values.values())
                && held.nulls() == values.nulls()
        })
    }

    /// The class of each of the first `rows` rows, in order, into `out`: a tight loop, where the
    /// processor looks up many rows at once, for the columns of many values.
    pub(crate) fn gather(&self, rows: usize, out: &mut Vec<T>) {
        out.clear();
        match &self.keys {
            Some(keys) => out.extend(
                keys.values()[..rows]
                    .iter()
                    .map(|&key| self.classes[key.cast_unsigned() as usize]),
            ),
            None => out.extend(
                self.codes[..rows]
                    .iter()
                    .map(|&code| self.classes[code as usize]),
            ),
        }
    }

    /// The class of row `row`'s value.
    #[inline]
    pub(crate) fn get(&self, row: usize) -> T {
        self.classes[self.index(row)]
    }

    #[inline]
    fn index(&self, row: usize) -> usize {
        match &self.keys {
            Some(keys) => keys.values()[row].cast_unsigned() as usize,
            None => self.codes[row] as usize,
        }
    }

    /// Whether every value of the batch is text (UTF-8).
    pub(crate) fn all_text(&self) -> bool {
        self.invalid.is_empty()
    }

    /// Whether row `row`'s value is not text (not UTF-8).
    #[inline]
    pub(crate) fn invalid(&self, row: usize) -> bool {
        !self.invalid.is_empty() && self.invalid[self.index(row)]
    }

    /// The index of row `row`'s value: rows of the same value have the same index, as long as
    /// the dictionary stays the same ([`Classified::load`] says when it changes).
    #[inline]
    pub(crate) fn code(&self, row: usize) -> u32 {
        code(self.index(row))
    }
}

/// Row `row` of a column whose values are one per row (a SIREN, a SIRET): its field, or `None`
/// when it is not text (UTF-8).
#[inline]
pub(crate) fn text_field(column: &Column, row: usize) -> Option<&[u8]> {
    let field = column.field(row).unwrap_or_default();
    let checked = column.arrow().is_some_and(|arrow| arrow.utf8);
    (checked || !not_text(field)).then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ArrowColumn;
    use arrow_array::Int32Array;

    fn keyed(keys: Vec<Option<i32>>, values: &[Option<&[u8]>], utf8: bool) -> Column {
        let mut column = Column::default();
        column.set_arrow(ArrowColumn {
            keys: Some(Int32Array::from(keys)),
            values: BinaryArray::from(values.to_vec()),
            utf8,
        });
        column
    }

    #[test]
    fn a_dictionary_is_classified_once_per_value_and_rows_read_their_value_s_class() {
        let column = keyed(
            vec![Some(1), Some(0), None, Some(1), Some(2)],
            &[Some(b"A"), Some(b"F"), None],
            true,
        );
        let mut classified = Classified::default();
        let mut calls = 0;
        classified.load(&column, 5, |field| {
            calls += 1;
            field.first().copied().unwrap_or(b'-')
        });
        // Three values and the empty field.
        assert_eq!(calls, 4);
        let classes: Vec<u8> = (0..5).map(|row| classified.get(row)).collect();
        assert_eq!(classes, b"FA-F-");
        let mut gathered = Vec::new();
        classified.gather(5, &mut gathered);
        assert_eq!(gathered, b"FA-F-");
        assert!((0..5).all(|row| !classified.invalid(row)));
        // The same dictionary in the next batch: not classified again.
        assert!(!classified.load(&column, 5, |_| unreachable!("classified again")));
        assert_eq!(classified.get(0), b'F');
        // Another dictionary with the same values is classified anew.
        let other = keyed(vec![Some(0)], &[Some(b"F"), Some(b"A"), None], true);
        let mut calls = 0;
        classified.load(&other, 1, |field| {
            calls += 1;
            field.first().copied().unwrap_or(b'-')
        });
        assert_eq!((calls, classified.get(0)), (4, b'F'));
    }

    #[test]
    fn nulls_read_as_the_empty_field_in_every_word_of_the_null_bitmap() {
        let keys: Vec<Option<i32>> = (0..130)
            .map(|row| (row % 3 != 0).then_some(row % 2))
            .collect();
        let column = keyed(keys.clone(), &[Some(b"A"), Some(b"F")], true);
        let mut classified = Classified::default();
        classified.load(&column, 130, |field| field.first().copied().unwrap_or(b'-'));
        for (row, key) in keys.iter().enumerate() {
            let expected = match key {
                None => b'-',
                Some(0) => b'A',
                Some(_) => b'F',
            };
            assert_eq!(classified.get(row), expected, "row {row}");
        }
    }

    #[test]
    fn rows_without_a_dictionary_are_classified_row_by_row_and_checked_for_utf8() {
        let mut column = Column::default();
        for field in [&b"38185"[..], b"\xff", b""] {
            column.bytes.extend_from_slice(field);
            column.end_row();
        }
        let mut classified = Classified::default();
        classified.load(&column, 4, <[u8]>::len);
        let classes: Vec<usize> = (0..4).map(|row| classified.get(row)).collect();
        // The fourth row is past the column's end: empty.
        assert_eq!(classes, [5, 1, 0, 0]);
        let mut gathered = Vec::new();
        classified.gather(4, &mut gathered);
        assert_eq!(gathered, classes);
        let invalid: Vec<bool> = (0..4).map(|row| classified.invalid(row)).collect();
        assert_eq!(invalid, [false, true, false, false]);
        assert_eq!(text_field(&column, 0), Some(&b"38185"[..]));
        assert_eq!(text_field(&column, 1), None);
    }

    #[test]
    fn bytes_not_utf8_in_a_dictionary_of_bytes_are_marked() {
        let column = keyed(
            vec![Some(0), Some(1)],
            &[Some(b"ok"), Some(b"\xc3(")],
            false,
        );
        let mut classified = Classified::default();
        classified.load(&column, 2, <[u8]>::len);
        assert_eq!(
            (classified.invalid(0), classified.invalid(1)),
            (false, true)
        );
        assert_eq!(classified.code(0), 0);
    }
}
