//! The full-text search index of the directory of ESS actors.
//!
//! Derived data: the index holds what the store already knows, in a form made for searching,
//! and is rebuilt from the store whenever its schema changes or it is lost. It depends on no
//! other essor crate: callers hand it plain [`ActorDocument`]s with public data only.
//!
//! - [`ActorIndex::search`]: French analysis (accents, elisions, plurals), typo tolerance on
//!   names, the last word matched as a prefix, every word required (or any, flagged
//!   [`SearchResults::relaxed`], when no actor has them all), facets with exact disjunctive
//!   counts, sort by relevance or by name, pagination.
//! - [`ActorIndex::rebuild`] replaces everything in one commit; [`ActorIndex::upsert`] and
//!   [`ActorIndex::remove`] are visible to searches when they return.
//!
//! Searches run term at a time on a snapshot: each clause walks its postings once into dense
//! per-segment arrays; filters and disjunctive facet counts are set operations followed by one
//! visit of the documents that count, reading compact per-segment tables built once when a
//! segment is first seen (segments are immutable).

mod analysis;
mod bits;
mod engine;
mod index;
mod query;
mod schema;
mod tables;

use std::collections::BTreeSet;
use std::fmt;

pub use index::ActorIndex;

/// One actor (an establishment, keyed by SIRET) as the index sees it. Every string is already
/// public: the caller has removed masked data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorDocument {
    /// 14 digits, the key.
    pub siret: String,
    pub siren: String,
    /// The legal unit's name (`None`: a protected person).
    pub name: Option<String>,
    pub acronym: Option<String>,
    /// The establishment's sign or usual name (« enseigne »).
    pub sign: Option<String>,
    /// Free text written by the structure.
    pub description: Option<String>,
    /// Offer titles and texts (« Réparation de vélos »…).
    pub offers: Vec<String>,
    /// The NAF activity in words.
    pub activity: Option<String>,
    /// INSEE code of the commune, a facet value.
    pub commune: String,
    /// The commune's name, searchable (« Échirolles »).
    pub commune_name: String,
    pub postcode: Option<String>,
    /// Facet key: association, cooperative, mutuelle, fondation, `entreprise_ess`…
    pub family: String,
    /// Facet key: NAF section letter A..U or `non_classee`.
    pub section: String,
    /// Facet keys, multi-valued.
    pub themes: Vec<String>,
    /// Facet keys, multi-valued (produit, service…).
    pub offer_kinds: Vec<String>,
    /// Facet keys, multi-valued (esus, `siae_ei`, rge…).
    pub labels: Vec<String>,
    pub head_office: bool,
    pub active: bool,
    /// The display name, also used to sort by name.
    pub sort_name: String,
}

/// A facet dimension of the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    Commune,
    Theme,
    Family,
    Section,
    OfferKind,
    Label,
}

impl Facet {
    /// Every dimension, in the order of [`SearchResults::facets`].
    pub const ALL: [Facet; 6] = [
        Facet::Commune,
        Facet::Theme,
        Facet::Family,
        Facet::Section,
        Facet::OfferKind,
        Facet::Label,
    ];

    /// The dimension's key in URLs and forms.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Facet::Commune => "commune",
            Facet::Theme => "theme",
            Facet::Family => "famille",
            Facet::Section => "section",
            Facet::OfferKind => "offre",
            Facet::Label => "label",
        }
    }

    /// The dimension of a key, the inverse of [`Facet::key`].
    #[must_use]
    pub fn from_key(key: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|facet| facet.key() == key)
    }

    /// Whether a document may hold several values of this dimension.
    #[must_use]
    pub fn is_multi_valued(self) -> bool {
        matches!(self, Facet::Theme | Facet::OfferKind | Facet::Label)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Facet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The accepted values of each dimension: a document passes when, in every dimension with
/// values, it has one of them (OR within a dimension, AND across dimensions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    values: [BTreeSet<String>; 6],
}

impl Filters {
    /// The accepted values of a dimension (empty: no filter).
    #[must_use]
    pub fn values(&self, facet: Facet) -> &BTreeSet<String> {
        &self.values[facet.index()]
    }

    /// Accepts one more value in a dimension.
    pub fn insert(&mut self, facet: Facet, value: impl Into<String>) {
        self.values[facet.index()].insert(value.into());
    }

    /// Replaces the accepted values of a dimension.
    pub fn set<I, S>(&mut self, facet: Facet, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.values[facet.index()] = values.into_iter().map(Into::into).collect();
    }

    /// Removes the filter of a dimension.
    pub fn clear(&mut self, facet: Facet) {
        self.values[facet.index()].clear();
    }

    /// `self` with one more accepted value.
    #[must_use]
    pub fn with(mut self, facet: Facet, value: impl Into<String>) -> Self {
        self.insert(facet, value);
        self
    }

    /// Whether no dimension is filtered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.iter().all(BTreeSet::is_empty)
    }
}

/// The order of the hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best matches first; by name when the text is empty.
    #[default]
    Relevance,
    /// By display name (accents and case ignored), then SIRET.
    Name,
}

/// A search of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// What the user typed; empty: every actor.
    pub text: String,
    pub filters: Filters,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Whether closed establishments are included (by default only active ones).
    pub include_closed: bool,
    /// The most values listed per facet, the most frequent first (selected values are always
    /// listed); `None`: every value.
    pub facet_limit: Option<usize>,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            text: String::new(),
            filters: Filters::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
            include_closed: false,
            facet_limit: None,
        }
    }
}

impl SearchQuery {
    /// The first page of a text search with no filter.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        }
    }
}

/// One actor found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub siret: String,
    /// Relevance (0 when sorting by name or with no text); only comparable within one search.
    pub score: f32,
    /// The display name the document was indexed with ([`ActorDocument::sort_name`]).
    pub name: String,
}

/// How many hits one value of a facet would give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: usize,
}

/// The answer to a [`SearchQuery`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults {
    /// How many actors match, all pages together.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<Hit>,
    /// For every dimension (in [`Facet::ALL`] order), its values with the number of hits each
    /// would give, counted with the text and the filters of the other dimensions; by count
    /// descending then value. Selected values are listed even when their count is zero.
    pub facets: Vec<(Facet, Vec<FacetCount>)>,
    /// No actor has every word: the hits have at least one of them.
    pub relaxed: bool,
}

impl SearchResults {
    /// The counts of one dimension.
    #[must_use]
    pub fn facet(&self, facet: Facet) -> &[FacetCount] {
        self.facets
            .iter()
            .find(|(f, _)| *f == facet)
            .map_or(&[], |(_, counts)| counts.as_slice())
    }
}

/// Why the index could not do what was asked. Logged, never shown to users.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index read: {0}")]
    Read(#[from] std::io::Error),
    #[error("search index directory {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The result of the index's operations.
pub type Result<T, E = SearchError> = std::result::Result<T, E>;
