//! Compact per-segment tables, built once per segment from its columns (segments never change;
//! deletions are applied through the snapshot's live sets).
//!
//! - For each facet value, the set of its documents: a bitset when the value is frequent, a
//!   sorted list otherwise. Counting a value among a set of documents is then an AND and a
//!   popcount, or a few bit tests, whatever the number of hits; a filter is a union of values.
//! - Per document, the few bytes relevance and ordering read: flags, length of the names, rank
//!   of the SIRET and of the sort key, and the documents in name order.
//!
//! Facet values get dense global ids shared by all segments, so counts add up across segments.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::columnar::StrColumn;
use tantivy::{DocId, SegmentReader};

use crate::Facet;
use crate::bits::Bits;
use crate::schema::{self, FLAG_ACTIVE, Fields, facet_field_name};

/// No value.
pub(crate) const NONE: u32 = u32::MAX;
/// A SIRET that is not 14 digits (read back from its column).
const ODD_SIRET: u64 = u64::MAX;

/// The global ids of the values of one facet dimension. Ids are never reused or removed, so the
/// tables of older segments stay valid.
#[derive(Default, Clone)]
pub(crate) struct Interner {
    ids: Arc<HashMap<String, u32>>,
    values: Arc<Vec<String>>,
}

impl Interner {
    fn intern(&mut self, value: &str) -> u32 {
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        let id = u32::try_from(self.values.len()).expect("fewer than 4 billion facet values");
        Arc::make_mut(&mut self.ids).insert(value.to_owned(), id);
        Arc::make_mut(&mut self.values).push(value.to_owned());
        id
    }

    /// The id of a known value.
    pub(crate) fn id(&self, value: &str) -> Option<u32> {
        self.ids.get(value).copied()
    }

    /// The value of each id.
    pub(crate) fn values(&self) -> &[String] {
        &self.values
    }
}

/// The values of each document in one dimension: document `d`'s are
/// `ids[starts[d]..starts[d + 1]]` (global value ids).
#[derive(Default)]
pub(crate) struct DocValues {
    starts: Vec<u32>,
    ids: Vec<u32>,
    /// When no document has more than one value (a commune, a family, a section): each
    /// document's value, or [`NONE`], read without going through `starts`.
    single: Option<Vec<u32>>,
}

impl DocValues {
    /// Fills [`DocValues::single`] when the dimension has at most one value per document.
    fn seal(&mut self) {
        if self.starts.windows(2).all(|w| w[1] - w[0] <= 1) {
            self.single = Some(
                self.starts
                    .windows(2)
                    .map(|w| {
                        if w[1] > w[0] {
                            self.ids[w[0] as usize]
                        } else {
                            NONE
                        }
                    })
                    .collect(),
            );
        }
    }

    /// Adds one to the count of each value of a document.
    #[inline]
    pub(crate) fn count(&self, doc: DocId, counts: &mut [u32]) {
        if let Some(single) = &self.single {
            match single.get(doc as usize) {
                Some(&id) if id != NONE => counts[id as usize] += 1,
                _ => {}
            }
        } else {
            for id in self.of(doc) {
                counts[*id as usize] += 1;
            }
        }
    }

    /// The value ids of a document (none when the dimension has no column).
    #[inline]
    pub(crate) fn of(&self, doc: DocId) -> &[u32] {
        let doc = doc as usize;
        match (self.starts.get(doc), self.starts.get(doc + 1)) {
            (Some(&start), Some(&end)) => &self.ids[start as usize..end as usize],
            _ => &[],
        }
    }
}

/// The documents having one facet value.
pub(crate) enum ValueDocs {
    Dense(Bits),
    Sparse(Vec<DocId>),
}

impl ValueDocs {
    /// What counting the value in a set costs: the words of a bitset, the documents of a list.
    fn scan_cost(&self) -> usize {
        match self {
            ValueDocs::Dense(docs) => docs.word_count(),
            ValueDocs::Sparse(docs) => docs.len(),
        }
    }

    /// How many of `set` have the value.
    #[inline]
    pub(crate) fn count_in(&self, set: &Bits) -> usize {
        match self {
            ValueDocs::Dense(docs) => set.intersection_len(docs),
            ValueDocs::Sparse(docs) => docs.iter().filter(|doc| set.contains(**doc)).count(),
        }
    }

    /// Adds the documents having the value to `set`.
    pub(crate) fn add_to(&self, set: &mut Bits) {
        match self {
            ValueDocs::Dense(docs) => set.union(docs),
            ValueDocs::Sparse(docs) => {
                for doc in docs {
                    set.insert(*doc);
                }
            }
        }
    }
}

/// The tables of one segment.
pub(crate) struct SegmentTables {
    /// For each dimension (by [`Facet::index`]), its values present here and their documents.
    pub values: [HashMap<u32, ValueDocs>; 6],
    /// For each dimension, the values of each document: counting them over a few documents
    /// is cheaper than intersecting every value's documents.
    pub doc_values: [DocValues; 6],
    /// For each dimension, what counting every value's documents in a set costs (words and
    /// list entries read), to choose between the two ways of counting.
    pub scan_cost: [usize; 6],
    /// [`schema::FLAG_ACTIVE`] and [`schema::FLAG_HEAD_OFFICE`] bits, by document.
    pub flags: Vec<u8>,
    /// Number of words in the names (capped at 255), by document.
    pub name_words: Vec<u8>,
    /// Active establishments.
    pub active: Bits,
    /// Rank of each document's SIRET among the segment's.
    pub siret_ord: Vec<u32>,
    /// The SIRETs as numbers, by rank ([`ODD_SIRET`] when not 14 digits).
    siret_by_ord: Vec<u64>,
    /// Rank of each document's sort key among the segment's.
    pub sort_ord: Vec<u32>,
    /// Every document, by sort key then SIRET.
    pub by_name: Vec<DocId>,
    /// The segment's sort keys (their dictionary ranks them against other segments').
    pub sort_column: Option<StrColumn>,
    siret_column: Option<StrColumn>,
    display_name: Option<StrColumn>,
}

impl SegmentTables {
    pub(crate) fn build(
        reader: &SegmentReader,
        fields: &Fields,
        interners: &mut [Interner; 6],
    ) -> crate::Result<Self> {
        let max_doc = reader.max_doc();
        let fast = reader.fast_fields();

        let flag_column = fast.u64(schema::FLAGS)?;
        let name_norms = reader.get_fieldnorms_reader(fields.names)?;
        let mut flags = Vec::with_capacity(max_doc as usize);
        let mut name_words = Vec::with_capacity(max_doc as usize);
        let mut active = Bits::empty(max_doc);
        for doc in 0..max_doc {
            let bits = u8::try_from(flag_column.first(doc).unwrap_or(0) & 0b11).unwrap_or(0);
            if u64::from(bits) & FLAG_ACTIVE != 0 {
                active.insert(doc);
            }
            flags.push(bits);
            name_words.push(u8::try_from(name_norms.fieldnorm(doc).min(255)).unwrap_or(u8::MAX));
        }

        let mut values: [HashMap<u32, ValueDocs>; 6] = Default::default();
        let mut doc_values: [DocValues; 6] = Default::default();
        for facet in Facet::ALL {
            let Some(column) = fast.str(facet_field_name(facet))? else {
                continue;
            };
            let global = dictionary_terms(&column, |v| interners[facet.index()].intern(v))?;
            let mut docs_of: Vec<Vec<DocId>> = vec![Vec::new(); global.len()];
            let by_doc = &mut doc_values[facet.index()];
            by_doc.starts.reserve(max_doc as usize + 1);
            for doc in 0..max_doc {
                by_doc
                    .starts
                    .push(u32::try_from(by_doc.ids.len()).unwrap_or(u32::MAX));
                for ord in column.ords().values_for_doc(doc) {
                    docs_of[ord_index(ord)].push(doc);
                    by_doc.ids.push(global[ord_index(ord)]);
                }
            }
            by_doc
                .starts
                .push(u32::try_from(by_doc.ids.len()).unwrap_or(u32::MAX));
            by_doc.seal();
            values[facet.index()] = global
                .into_iter()
                .zip(docs_of)
                .filter(|(_, docs)| !docs.is_empty())
                .map(|(id, docs)| (id, value_docs(docs, max_doc)))
                .collect();
        }

        let scan_cost = values
            .each_ref()
            .map(|by_value| by_value.values().map(ValueDocs::scan_cost).sum());
        let siret_column = fast.str(schema::SIRET)?;
        let siret_by_ord = match &siret_column {
            Some(column) => dictionary_terms(column, parse_siret)?,
            None => Vec::new(),
        };
        let siret_ord = ords(siret_column.as_ref(), max_doc);
        let sort_column = fast.str(schema::SORT_KEY)?;
        let sort_ord = ords(sort_column.as_ref(), max_doc);
        let mut by_name: Vec<DocId> = (0..max_doc).collect();
        by_name.sort_unstable_by_key(|doc| (sort_ord[*doc as usize], siret_ord[*doc as usize]));
        Ok(SegmentTables {
            values,
            doc_values,
            scan_cost,
            flags,
            name_words,
            active,
            siret_ord,
            siret_by_ord,
            sort_ord,
            by_name,
            sort_column,
            siret_column,
            display_name: fast.str(schema::DISPLAY_NAME)?,
        })
    }

    /// The SIRET of a document as a number, ordered as the text (14 digits; others last).
    pub(crate) fn siret_number(&self, doc: DocId) -> u64 {
        let ord = self.siret_ord[doc as usize];
        self.siret_by_ord
            .get(ord as usize)
            .copied()
            .unwrap_or(ODD_SIRET)
    }

    /// The SIRET of a document.
    pub(crate) fn siret(&self, doc: DocId) -> crate::Result<String> {
        let siret = self.siret_number(doc);
        if siret != ODD_SIRET {
            return Ok(format!("{siret:014}"));
        }
        read_string(self.siret_column.as_ref(), doc)
    }

    /// The display name of a document.
    pub(crate) fn display_name(&self, doc: DocId) -> crate::Result<String> {
        read_string(self.display_name.as_ref(), doc)
    }
}

/// A bitset for a frequent value (one in 32 documents or more), a list otherwise: the smaller.
fn value_docs(docs: Vec<DocId>, max_doc: DocId) -> ValueDocs {
    if docs.len() as u64 * 32 >= u64::from(max_doc) {
        let mut bits = Bits::empty(max_doc);
        for doc in docs {
            bits.insert(doc);
        }
        ValueDocs::Dense(bits)
    } else {
        ValueDocs::Sparse(docs)
    }
}

/// A SIRET of 14 digits as a number (same order as the text), or [`ODD_SIRET`].
fn parse_siret(text: &str) -> u64 {
    if text.len() == 14 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().unwrap_or(ODD_SIRET)
    } else {
        ODD_SIRET
    }
}

/// The rank of each document's value in a column's dictionary ([`NONE`] without one).
fn ords(column: Option<&StrColumn>, max_doc: DocId) -> Vec<u32> {
    (0..max_doc)
        .map(|doc| {
            column
                .and_then(|column| column.ords().first(doc))
                .map_or(NONE, |ord| u32::try_from(ord).unwrap_or(NONE))
        })
        .collect()
}

fn read_string(column: Option<&StrColumn>, doc: DocId) -> crate::Result<String> {
    let mut out = String::new();
    if let Some(column) = column
        && let Some(ord) = column.ords().first(doc)
    {
        column.ord_to_str(ord, &mut out)?;
    }
    Ok(out)
}

/// `f` of each term of a column's dictionary, by term ordinal.
fn dictionary_terms<T>(column: &StrColumn, mut f: impl FnMut(&str) -> T) -> crate::Result<Vec<T>> {
    let dictionary = column.dictionary();
    let mut out = Vec::with_capacity(dictionary.num_terms());
    let mut stream = dictionary.stream()?;
    while stream.advance() {
        out.push(f(&String::from_utf8_lossy(stream.key())));
    }
    Ok(out)
}

#[inline]
fn ord_index(ord: u64) -> usize {
    usize::try_from(ord).expect("term ordinals fit in memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fourteen_digits_make_a_numeric_siret() {
        assert_eq!(parse_siret("00000000000042"), 42);
        assert_eq!(parse_siret("1234"), ODD_SIRET);
        assert_eq!(parse_siret("1234567890123A"), ODD_SIRET);
    }

    #[test]
    fn a_document_s_values_are_counted_with_or_without_the_single_table() {
        // Documents 0..3: one value, none, one value; then a document with two values.
        let mut single = DocValues {
            starts: vec![0, 1, 1, 2],
            ids: vec![4, 2],
            single: None,
        };
        single.seal();
        assert_eq!(single.single.as_deref(), Some(&[4, NONE, 2][..]));
        let mut multi = DocValues {
            starts: vec![0, 1, 1, 3],
            ids: vec![4, 2, 3],
            single: None,
        };
        multi.seal();
        assert!(multi.single.is_none());
        let mut counts = [0u32; 5];
        for doc in 0..4 {
            single.count(doc, &mut counts);
            multi.count(doc, &mut counts);
        }
        assert_eq!(counts, [0, 0, 2, 1, 2]);
    }

    #[test]
    fn frequent_values_are_bitsets_and_rare_ones_lists() {
        let rare = value_docs(vec![1, 5], 1000);
        let frequent = value_docs((0..100).collect(), 1000);
        assert!(matches!(rare, ValueDocs::Sparse(_)));
        assert!(matches!(frequent, ValueDocs::Dense(_)));
        let mut set = Bits::empty(1000);
        for doc in [1, 2, 50, 500] {
            set.insert(doc);
        }
        assert_eq!(rare.count_in(&set), 1);
        assert_eq!(frequent.count_in(&set), 3);
    }
}
