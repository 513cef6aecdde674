//! What a user typed, turned into a plan: for each word, the ways it may match.
//!
//! Each way has a kind with a constant score (its tier): exact word in a name, prefix of a
//! name's word, exact word in offers, typo in a name, exact word elsewhere, prefix of a word
//! elsewhere. A word scores its best kind plus a tenth of the others it also matched. Tiers make
//! the order predictable whatever the word frequencies; shorter names win within a tier, and the
//! whole text equal to a name, sign or acronym adds a large bonus.

use tantivy::Term;
use tantivy::query::{DfaWrapper, FuzzyTermQuery};
use tantivy::schema::Field;

use crate::analysis::Analyzers;
use crate::schema::Fields;

/// Kinds of match, as bits of a word's match mask.
pub(crate) const IDENTIFIER: u8 = 1 << 0;
pub(crate) const NAME_WORD: u8 = 1 << 1;
const NAME_PREFIX: u8 = 1 << 2;
const OFFER_WORD: u8 = 1 << 3;
const NAME_TYPO: u8 = 1 << 4;
const OTHER_WORD: u8 = 1 << 5;
const OTHER_PREFIX: u8 = 1 << 6;

/// The score of each kind, by bit.
const TIERS: [f32; 7] = [20.0, 8.0, 5.0, 3.0, 2.5, 1.5, 1.0];
/// Share of a word's other matches added to its best one.
const TIE_BREAKER: f32 = 0.1;
/// Bonus of a whole text equal to a name, sign or acronym.
pub(crate) const EXACT_NAME: f32 = 20.0;
/// Bonus of a name match, divided by 1 + the number of words of the names.
pub(crate) const SHORT_NAME: f32 = 0.5;

/// How words combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every word must match (the default; any word when none has them all).
    AllFields,
    /// Every word must match a name, sign or acronym (suggestions as one types).
    Names,
}

/// How a clause finds its terms in a field's dictionary.
pub(crate) enum Matcher {
    Term(String),
    /// Terms within a Levenshtein distance (transpositions count one).
    Fuzzy(Box<DfaWrapper>),
    /// Terms starting with the text.
    Prefix(String),
}

/// One way a word may match.
pub(crate) struct Clause {
    pub kind: u8,
    pub field: Field,
    pub matcher: Matcher,
}

/// One word of the text.
pub(crate) struct WordPlan {
    pub clauses: Vec<Clause>,
}

/// A text ready to run on each segment.
pub(crate) struct TextPlan {
    pub words: Vec<WordPlan>,
    /// The normalized text, matched against whole names.
    pub exact: String,
}

/// The plan of a text, or `None` when the text has no searchable word.
pub(crate) fn plan(
    fields: &Fields,
    analyzers: &mut Analyzers,
    text: &str,
    mode: Mode,
) -> crate::Result<Option<TextPlan>> {
    let words = analyzers.fold_words(text);
    let Some(last) = words.len().checked_sub(1) else {
        return Ok(None);
    };
    let mut plans = Vec::with_capacity(words.len());
    for (position, word) in words.iter().enumerate() {
        let stem = analyzers.stem(word);
        let clauses = clauses(fields, word, stem.as_deref(), position == last, mode)?;
        if !clauses.is_empty() {
            plans.push(WordPlan { clauses });
        }
    }
    if plans.is_empty() {
        return Ok(None);
    }
    Ok(Some(TextPlan {
        words: plans,
        exact: words.join(" "),
    }))
}

/// The ways one word may match. Empty for a stop word that is not the last one.
fn clauses(
    fields: &Fields,
    word: &str,
    stem: Option<&str>,
    is_last: bool,
    mode: Mode,
) -> crate::Result<Vec<Clause>> {
    let all_fields = mode == Mode::AllFields;
    let length = word.chars().count();
    let is_number = word.bytes().all(|b| b.is_ascii_digit());
    let mut clauses = Vec::new();
    let mut add = |kind, field, matcher| {
        clauses.push(Clause {
            kind,
            field,
            matcher,
        });
    };
    if let Some(stem) = stem {
        add(NAME_WORD, fields.names, Matcher::Term(stem.to_owned()));
        if all_fields {
            add(OFFER_WORD, fields.offers, Matcher::Term(stem.to_owned()));
            add(OTHER_WORD, fields.other, Matcher::Term(stem.to_owned()));
            if is_number && length == 14 {
                add(IDENTIFIER, fields.siret, Matcher::Term(word.to_owned()));
            } else if is_number && length == 9 {
                add(IDENTIFIER, fields.siren, Matcher::Term(word.to_owned()));
            }
        }
        let distance = typo_distance(length);
        if distance > 0 && !is_number {
            let fuzzy = FuzzyTermQuery::new(
                Term::from_field_text(fields.names_fold, word),
                distance,
                true,
            );
            add(
                NAME_TYPO,
                fields.names_fold,
                Matcher::Fuzzy(Box::new(fuzzy.automaton()?)),
            );
        }
    }
    if is_last && length >= 2 {
        add(
            NAME_PREFIX,
            fields.names_fold,
            Matcher::Prefix(word.to_owned()),
        );
        if all_fields && length >= 3 {
            add(
                OTHER_PREFIX,
                fields.other_fold,
                Matcher::Prefix(word.to_owned()),
            );
        }
    }
    Ok(clauses)
}

/// Levenshtein distance tolerated for a word of `length` letters: none below 4 letters, one up
/// to 7, two from 8 (a transposition counts as one).
pub(crate) fn typo_distance(length: usize) -> u8 {
    match length {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The score of a word that matched the kinds of `mask`.
pub(crate) fn word_score(mask: u8) -> f32 {
    let mut best = 0.0_f32;
    let mut sum = 0.0;
    for (bit, tier) in TIERS.iter().enumerate() {
        if mask & (1 << bit) != 0 {
            best = best.max(*tier);
            sum += tier;
        }
    }
    best + TIE_BREAKER * (sum - best)
}

/// [`word_score`] of every mask.
pub(crate) fn word_scores() -> [f32; 128] {
    let mut scores = [0.0; 128];
    for (mask, score) in (0u8..).zip(scores.iter_mut()) {
        *score = word_score(mask);
    }
    scores
}

/// The smallest byte string greater than every string starting with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_distance_grows_with_word_length() {
        assert_eq!(typo_distance(3), 0);
        assert_eq!(typo_distance(4), 1);
        assert_eq!(typo_distance(7), 1);
        assert_eq!(typo_distance(8), 2);
    }

    #[test]
    fn prefix_end_is_the_next_string_after_the_prefix() {
        assert_eq!(prefix_end(b"epic"), Some(b"epid".to_vec()));
        assert_eq!(prefix_end(&[b'a', 0xff]), Some(b"b".to_vec()));
        assert_eq!(prefix_end(&[0xff]), None);
    }

    #[test]
    fn a_word_scores_its_best_match_and_a_tenth_of_the_others() {
        assert!((word_score(NAME_WORD) - 8.0).abs() < 1e-6);
        assert!((word_score(NAME_WORD | NAME_TYPO) - 8.25).abs() < 1e-6);
        assert!(word_score(NAME_TYPO) < word_score(OFFER_WORD));
        assert!(word_score(OFFER_WORD | OTHER_WORD | OTHER_PREFIX) < word_score(NAME_PREFIX));
        assert!(word_score(0).abs() < f32::EPSILON);
    }
}
