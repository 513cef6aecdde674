//! French text analysis: the tokenizers registered in the index and the same steps applied to
//! what a user types, so that both sides agree on every term.
//!
//! - `essor_fold`: words split on anything not alphanumeric, lowercased, accents folded to ASCII,
//!   elided articles removed (`l'`, `d'`, `qu'`… with `'` or `’`). Used for typo tolerance and
//!   prefixes, which must see the surface form of a word.
//! - `essor_fr`: `essor_fold`, then a few French stop words removed, the Snowball French stemmer,
//!   and a last step folding plurals the stemmer keeps (`velos` → `velo`).

use std::mem;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

/// Name of the folding analyzer in the index's tokenizer manager.
pub(crate) const FOLD: &str = "essor_fold";
/// Name of the stemming analyzer in the index's tokenizer manager.
pub(crate) const FRENCH: &str = "essor_fr";

/// What an apostrophe leaves of an elided word once the text is split on it.
const ELISIONS: [&str; 9] = ["l", "d", "qu", "j", "n", "s", "c", "t", "m"];

/// Words too frequent to tell actors apart, after folding. Kept short on purpose: a name such
/// as « Le Lien » must still be findable by its meaningful word.
const STOP_WORDS: [&str; 20] = [
    "le", "la", "les", "un", "une", "de", "des", "du", "et", "en", "au", "aux", "a", "pour", "par",
    "sur", "dans", "avec", "ou", "chez",
];

/// Tokens longer than this (in bytes) are dropped: no real word is that long.
const MAX_TOKEN_BYTES: usize = 48;

/// The analyzers of the index, also used to analyse queries.
#[derive(Clone)]
pub(crate) struct Analyzers {
    basic: TextAnalyzer,
    fold: TextAnalyzer,
    french: TextAnalyzer,
}

impl Analyzers {
    pub(crate) fn new() -> Self {
        let basic = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build();
        let fold = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(StopWordFilter::remove(ELISIONS.map(String::from)))
            .build();
        let french = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(StopWordFilter::remove(
                ELISIONS
                    .iter()
                    .chain(STOP_WORDS.iter())
                    .map(|w| (*w).to_owned()),
            ))
            .filter(Stemmer::new(Language::French))
            .filter(PluralFolder)
            .build();
        Analyzers {
            basic,
            fold,
            french,
        }
    }

    /// Registers the analyzers under the names the schema uses.
    pub(crate) fn register(&self, manager: &TokenizerManager) {
        manager.register(FOLD, self.fold.clone());
        manager.register(FRENCH, self.french.clone());
    }

    /// The folded words of a text, elisions removed, stop words kept.
    pub(crate) fn fold_words(&mut self, text: &str) -> Vec<String> {
        tokens(&mut self.fold, text)
    }

    /// The stem of one folded word, or `None` for a stop word.
    pub(crate) fn stem(&mut self, word: &str) -> Option<String> {
        tokens(&mut self.french, word).into_iter().next()
    }

    /// A text reduced to its folded words separated by one space: the key of exact name
    /// matches (« L'Épicerie  Solidaire » and "epicerie solidaire" agree).
    pub(crate) fn normalize(&mut self, text: &str) -> String {
        self.fold_words(text).join(" ")
    }

    /// The key that orders names: lowercase, accents folded, punctuation ignored, so that
    /// « Épicerie » sorts with « epicerie » between « Emmaüs » and « Fablab ».
    pub(crate) fn sort_key(&mut self, text: &str) -> String {
        tokens(&mut self.basic, text).join(" ")
    }
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// Removes the final `s` that the French Snowball stemmer keeps after a vowel (`velos`,
/// `numeros`), so that plurals and singulars share one term. Runs after the stemmer, on both the
/// indexed text and the query, so the two sides always agree.
#[derive(Clone)]
struct PluralFolder;

impl TokenFilter for PluralFolder {
    type Tokenizer<T: Tokenizer> = PluralFolderFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> PluralFolderFilter<T> {
        PluralFolderFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
struct PluralFolderFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for PluralFolderFilter<T> {
    type TokenStream<'a> = PluralFolderStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        PluralFolderStream {
            tail: self.inner.token_stream(text),
        }
    }
}

struct PluralFolderStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for PluralFolderStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        fold_plural(&mut token.text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

fn fold_plural(word: &mut String) {
    let bytes = word.as_bytes();
    if bytes.len() > 3 && bytes[bytes.len() - 1] == b's' && bytes[bytes.len() - 2] != b's' {
        let mut shorter = mem::take(word);
        shorter.pop();
        *word = shorter;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        tokens(&mut Analyzers::new().french, text)
    }

    #[test]
    fn plurals_and_singulars_share_their_stem() {
        assert_eq!(stems("épiceries solidaires"), stems("Épicerie solidaire"));
        assert_eq!(stems("velos"), stems("Vélo"));
        assert_eq!(stems("ressourceries"), stems("ressourcerie"));
        assert_eq!(stems("associations"), stems("association"));
    }

    #[test]
    fn accents_and_case_are_folded() {
        assert_eq!(stems("ÉCHIROLLES"), stems("echirolles"));
        assert_eq!(stems("Réparation"), stems("reparation"));
    }

    #[test]
    fn elisions_are_removed_with_either_apostrophe() {
        let mut analyzers = Analyzers::new();
        assert_eq!(
            analyzers.fold_words("l'épicerie d’Échirolles"),
            ["epicerie", "echirolles"]
        );
        assert_eq!(analyzers.fold_words("qu'il"), ["il"]);
        assert_eq!(stems("l'atelier"), stems("atelier"));
    }

    #[test]
    fn stop_words_are_dropped_from_stems_but_not_from_folded_words() {
        let mut analyzers = Analyzers::new();
        assert_eq!(analyzers.stem("de"), None);
        assert_eq!(
            analyzers.fold_words("la ressourcerie"),
            ["la", "ressourcerie"]
        );
        assert_eq!(stems("la ressourcerie de Vif").len(), 2);
    }

    #[test]
    fn normalized_names_ignore_punctuation_and_elisions() {
        let mut analyzers = Analyzers::new();
        assert_eq!(
            analyzers.normalize("« L'Épicerie  Solidaire » !"),
            analyzers.normalize("epicerie solidaire")
        );
        assert_eq!(analyzers.sort_key("L'Épicerie"), "l epicerie");
    }

    #[test]
    fn a_double_s_is_not_a_plural() {
        let mut word = String::from("cross");
        fold_plural(&mut word);
        assert_eq!(word, "cross");
        let mut word = String::from("bus");
        fold_plural(&mut word);
        assert_eq!(word, "bus");
    }
}
