//! Compact per-segment tables of what facets, sorting and scoring read for every document,
//! built once per segment from its columns (segments never change; deletions are applied
//! through the snapshot's live sets).
//!
//! Facet values become dense global ids shared by all segments: counting is an array increment.
//! The first 64 values of a multi-valued dimension are bits of a mask; later ones (rare) go to an
//! overflow map.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::columnar::StrColumn;
use tantivy::{DocId, SegmentReader};

use crate::Facet;
use crate::bits::{Bits, ones};
use crate::schema::{self, FLAG_ACTIVE, Fields, facet_field_name};

/// No value.
pub(crate) const NONE: u32 = u32::MAX;
/// A SIRET that is not 14 digits (read back from its column).
pub(crate) const ODD_SIRET: u64 = u64::MAX;

/// Where a dimension's values live in a [`Record`].
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    Single(usize),
    Multi(usize),
}

pub(crate) fn slot(facet: Facet) -> Slot {
    match facet {
        Facet::Commune => Slot::Single(0),
        Facet::Family => Slot::Single(1),
        Facet::Section => Slot::Single(2),
        Facet::Theme => Slot::Multi(0),
        Facet::OfferKind => Slot::Multi(1),
        Facet::Label => Slot::Multi(2),
    }
}

/// Flag bit of a [`Record`]: the multi-valued slot `i` has values beyond the mask.
const fn overflow_flag(slot: usize) -> u8 {
    8 << slot
}

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

    /// The value of each id.
    pub(crate) fn values(&self) -> &[String] {
        &self.values
    }
}

/// What is read of one document.
#[derive(Clone, Copy)]
pub(crate) struct Record {
    /// The SIRET as a number (14 digits), or [`ODD_SIRET`].
    pub siret: u64,
    /// Values 0..64 of the multi-valued dimensions, as bits.
    pub masks: [u64; 3],
    /// Global ids of the single-valued dimensions, or [`NONE`].
    pub single: [u32; 3],
    /// [`schema::FLAG_ACTIVE`], [`schema::FLAG_HEAD_OFFICE`], overflow flags.
    pub flags: u8,
    /// Number of words in the names (capped at 255), for the relevance of name matches.
    pub name_words: u8,
}

/// The tables of one segment.
pub(crate) struct SegmentTables {
    pub records: Vec<Record>,
    /// Values 64.. of the multi-valued dimensions, by slot and document.
    overflow: [HashMap<DocId, Box<[u32]>>; 3],
    /// Active establishments.
    pub active: Bits,
    /// Rank of each document's sort key among the segment's.
    pub sort_ord: Vec<u32>,
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
        let siret_column = fast.str(schema::SIRET)?;
        let flags = fast.u64(schema::FLAGS)?;
        let name_norms = reader.get_fieldnorms_reader(fields.names)?;
        let siret_values = match &siret_column {
            Some(column) => dictionary_terms(column, parse_siret)?,
            None => Vec::new(),
        };
        let mut records = Vec::with_capacity(max_doc as usize);
        let mut active = Bits::empty(max_doc);
        for doc in 0..max_doc {
            let siret = siret_column
                .as_ref()
                .and_then(|column| column.ords().first(doc))
                .map_or(ODD_SIRET, |ord| siret_values[ord_index(ord)]);
            let flag_bits = u8::try_from(flags.first(doc).unwrap_or(0) & 0b11).unwrap_or(0);
            if u64::from(flag_bits) & FLAG_ACTIVE != 0 {
                active.insert(doc);
            }
            let words = name_norms.fieldnorm(doc);
            records.push(Record {
                siret,
                masks: [0; 3],
                single: [NONE; 3],
                flags: flag_bits,
                name_words: u8::try_from(words.min(255)).unwrap_or(u8::MAX),
            });
        }

        let mut overflow: [HashMap<DocId, Box<[u32]>>; 3] = Default::default();
        for facet in Facet::ALL {
            let Some(column) = fast.str(facet_field_name(facet))? else {
                continue;
            };
            let global = global_ids(&column, &mut interners[facet.index()])?;
            let ords = column.ords();
            match slot(facet) {
                Slot::Single(i) => {
                    for (doc, record) in (0..max_doc).zip(records.iter_mut()) {
                        if let Some(ord) = ords.first(doc) {
                            record.single[i] = global[ord_index(ord)];
                        }
                    }
                }
                Slot::Multi(i) => {
                    for (doc, record) in (0..max_doc).zip(records.iter_mut()) {
                        let mut beyond = Vec::new();
                        for ord in ords.values_for_doc(doc) {
                            let id = global[ord_index(ord)];
                            if id < 64 {
                                record.masks[i] |= 1 << id;
                            } else {
                                beyond.push(id);
                            }
                        }
                        if !beyond.is_empty() {
                            record.flags |= overflow_flag(i);
                            overflow[i].insert(doc, beyond.into_boxed_slice());
                        }
                    }
                }
            }
        }

        let sort_column = fast.str(schema::SORT_KEY)?;
        let mut sort_ord = vec![NONE; max_doc as usize];
        if let Some(column) = &sort_column {
            for (doc, ord) in (0..max_doc).zip(sort_ord.iter_mut()) {
                if let Some(value) = column.ords().first(doc) {
                    *ord = u32::try_from(value).unwrap_or(NONE);
                }
            }
        }
        Ok(SegmentTables {
            records,
            overflow,
            active,
            sort_ord,
            sort_column,
            siret_column,
            display_name: fast.str(schema::DISPLAY_NAME)?,
        })
    }

    /// Adds one to the count of each value `doc` has in `facet`.
    #[inline]
    pub(crate) fn count(&self, doc: DocId, facet: Facet, counts: &mut [u32]) {
        let record = &self.records[doc as usize];
        match slot(facet) {
            Slot::Single(i) => {
                let id = record.single[i];
                if id != NONE {
                    counts[id as usize] += 1;
                }
            }
            Slot::Multi(i) => {
                for bit in ones(record.masks[i]) {
                    counts[bit as usize] += 1;
                }
                if record.flags & overflow_flag(i) != 0
                    && let Some(ids) = self.overflow[i].get(&doc)
                {
                    for id in ids {
                        counts[*id as usize] += 1;
                    }
                }
            }
        }
    }

    /// The SIRET of a document.
    pub(crate) fn siret(&self, doc: DocId) -> crate::Result<String> {
        let siret = self.records[doc as usize].siret;
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

/// A SIRET of 14 digits as a number (same order as the text), or [`ODD_SIRET`].
fn parse_siret(text: &str) -> u64 {
    if text.len() == 14 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().unwrap_or(ODD_SIRET)
    } else {
        ODD_SIRET
    }
}

fn read_string(column: Option<&StrColumn>, doc: DocId) -> crate::Result<String> {
    let mut out = String::new();
    if let Some(column) = column
        && let Some(ord) = column.ords().first(doc)
    {
        column
            .ord_to_str(ord, &mut out)
            .map_err(tantivy::TantivyError::from)?;
    }
    Ok(out)
}

/// The global id of each term ordinal of a column's dictionary.
fn global_ids(column: &StrColumn, interner: &mut Interner) -> crate::Result<Vec<u32>> {
    dictionary_terms(column, |value| interner.intern(value))
}

/// `f` of each term of a column's dictionary, by term ordinal.
fn dictionary_terms<T>(column: &StrColumn, mut f: impl FnMut(&str) -> T) -> crate::Result<Vec<T>> {
    let dictionary = column.dictionary();
    let mut out = Vec::with_capacity(dictionary.num_terms());
    let mut stream = dictionary.stream().map_err(tantivy::TantivyError::from)?;
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
}
