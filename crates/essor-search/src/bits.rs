//! A dense set of document ids of one segment, one bit each.

use tantivy::DocId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bits {
    words: Vec<u64>,
}

impl Bits {
    /// The empty set of a segment of `max_doc` documents.
    pub(crate) fn empty(max_doc: DocId) -> Self {
        Bits {
            words: vec![0; (max_doc as usize).div_ceil(64)],
        }
    }

    /// Every document of a segment of `max_doc` documents.
    pub(crate) fn full(max_doc: DocId) -> Self {
        let mut bits = Bits {
            words: vec![u64::MAX; (max_doc as usize).div_ceil(64)],
        };
        let tail = max_doc % 64;
        if tail != 0
            && let Some(last) = bits.words.last_mut()
        {
            *last = (1 << tail) - 1;
        }
        bits
    }

    #[inline]
    pub(crate) fn insert(&mut self, doc: DocId) {
        self.words[(doc / 64) as usize] |= 1 << (doc % 64);
    }

    #[cfg(test)]
    pub(crate) fn remove(&mut self, doc: DocId) {
        self.words[(doc / 64) as usize] &= !(1 << (doc % 64));
    }

    #[inline]
    pub(crate) fn contains(&self, doc: DocId) -> bool {
        self.words[(doc / 64) as usize] & (1 << (doc % 64)) != 0
    }

    pub(crate) fn intersect(&mut self, other: &Bits) {
        for (word, other) in self.words.iter_mut().zip(&other.words) {
            *word &= other;
        }
    }

    pub(crate) fn union(&mut self, other: &Bits) {
        for (word, other) in self.words.iter_mut().zip(&other.words) {
            *word |= other;
        }
    }

    #[cfg(test)]
    pub(crate) fn subtract(&mut self, other: &Bits) {
        for (word, other) in self.words.iter_mut().zip(&other.words) {
            *word &= !other;
        }
    }

    /// The number of 64-bit words the set spans.
    pub(crate) fn word_count(&self) -> usize {
        self.words.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The number of documents in both sets.
    pub(crate) fn intersection_len(&self, other: &Bits) -> usize {
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| (a & b).count_ones() as usize)
            .sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// The documents of the set, in increasing order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = DocId> + '_ {
        self.words.iter().enumerate().flat_map(|(index, word)| {
            let base = u32::try_from(index * 64).expect("doc ids are u32");
            Ones(*word).map(move |bit| base + bit)
        })
    }
}

/// The positions of the set bits of a word.
struct Ones(u64);

impl Iterator for Ones {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_keep_exactly_the_expected_documents() {
        let mut a = Bits::empty(130);
        for doc in [0, 5, 64, 129] {
            a.insert(doc);
        }
        let mut b = Bits::full(130);
        b.remove(5);
        assert_eq!(b.len(), 129);
        let mut both = a.clone();
        both.intersect(&b);
        assert_eq!(both.iter().collect::<Vec<_>>(), [0, 64, 129]);
        let mut only_a = a.clone();
        only_a.subtract(&b);
        assert_eq!(only_a.iter().collect::<Vec<_>>(), [5]);
        let mut either = Bits::empty(130);
        either.union(&a);
        assert!(either.contains(129) && !either.contains(128));
        assert!(Bits::empty(10).is_empty());
        assert_eq!(Bits::full(64).len(), 64);
        assert_eq!(a.intersection_len(&b), 3);
    }
}
