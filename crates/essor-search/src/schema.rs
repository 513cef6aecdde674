//! The index's schema and how an [`ActorDocument`] fills it.
//!
//! Nothing is stored: hits are read back from fast fields (columns), so a search never
//! decompresses a document.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, NumericOptions, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::{Analyzers, FOLD, FRENCH};
use crate::{ActorDocument, Facet};

/// Bumped whenever the schema or the analysis changes: an index of another version is wiped and
/// rebuilt.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// Bit of [`Fields::flags`]: the establishment is active.
pub(crate) const FLAG_ACTIVE: u64 = 1;
/// Bit of [`Fields::flags`]: the establishment is its legal unit's head office.
pub(crate) const FLAG_HEAD_OFFICE: u64 = 2;

/// Names of the fast fields read by the per-segment tables.
pub(crate) const SIRET: &str = "siret";
pub(crate) const FLAGS: &str = "flags";
pub(crate) const SORT_KEY: &str = "sort_key";
pub(crate) const DISPLAY_NAME: &str = "display_name";

/// The fast field of a facet dimension.
pub(crate) fn facet_field_name(facet: Facet) -> &'static str {
    match facet {
        Facet::Commune => "f_commune",
        Facet::Theme => "f_theme",
        Facet::Family => "f_family",
        Facet::Section => "f_section",
        Facet::OfferKind => "f_offer_kind",
        Facet::Label => "f_label",
    }
}

/// The fields of the schema.
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    /// Raw, indexed (deletes, a SIRET typed in the search box) and fast (hits).
    pub siret: Field,
    /// Raw, indexed: a SIREN typed in the search box.
    pub siren: Field,
    /// Stemmed: name, acronym and sign.
    pub names: Field,
    /// Stemmed: offers.
    pub offers: Field,
    /// Stemmed: activity in words, description, commune name and postcode.
    pub other: Field,
    /// Folded, not stemmed: name, acronym and sign (typos, prefixes).
    pub names_fold: Field,
    /// Folded, not stemmed: offers, activity, description, commune name (prefixes).
    pub other_fold: Field,
    /// Whole normalized name, acronym and sign (exact name matches).
    pub name_exact: Field,
    /// Raw, indexed (filters) and fast (facet counts), by [`Facet::index`].
    pub facets: [Field; 6],
    pub flags: Field,
    pub sort_key: Field,
    pub display_name: Field,
}

impl Fields {
    pub(crate) fn build() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let analyzed = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::Basic),
            )
        };
        let raw_indexed = analyzed("raw");
        let facet = STRING.set_fast("raw");
        let column = TextOptions::default().set_fast("raw");

        let siret_field = builder.add_text_field(SIRET, STRING | FAST);
        let legal_unit = builder.add_text_field("siren", raw_indexed.clone());
        let names = builder.add_text_field("names", analyzed(FRENCH));
        let offers = builder.add_text_field("offers", analyzed(FRENCH));
        let other = builder.add_text_field("other", analyzed(FRENCH));
        let names_fold = builder.add_text_field("names_fold", analyzed(FOLD));
        let other_fold = builder.add_text_field("other_fold", analyzed(FOLD));
        let name_exact = builder.add_text_field("name_exact", raw_indexed);
        let facets = Facet::ALL.map(|f| builder.add_text_field(facet_field_name(f), facet.clone()));
        let flags = builder.add_u64_field(FLAGS, NumericOptions::default().set_fast());
        let sort_key = builder.add_text_field(SORT_KEY, column.clone());
        let display_name = builder.add_text_field(DISPLAY_NAME, column);
        let fields = Fields {
            siret: siret_field,
            siren: legal_unit,
            names,
            offers,
            other,
            names_fold,
            other_fold,
            name_exact,
            facets,
            flags,
            sort_key,
            display_name,
        };
        (builder.build(), fields)
    }

    /// The tantivy document of an actor.
    pub(crate) fn document(
        &self,
        actor: ActorDocument,
        analyzers: &mut Analyzers,
    ) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(self.siret, &actor.siret);
        doc.add_text(self.siren, &actor.siren);

        let names = [actor.name, actor.acronym, actor.sign];
        for name in names.into_iter().flatten() {
            let normalized = analyzers.normalize(&name);
            if !normalized.is_empty() {
                doc.add_text(self.name_exact, normalized);
            }
            doc.add_text(self.names_fold, &name);
            doc.add_text(self.names, name);
        }
        for offer in actor.offers {
            doc.add_text(self.other_fold, &offer);
            doc.add_text(self.offers, offer);
        }
        let texts = [actor.activity, actor.description, Some(actor.commune_name)];
        for text in texts.into_iter().flatten() {
            doc.add_text(self.other_fold, &text);
            doc.add_text(self.other, text);
        }
        if let Some(postcode) = actor.postcode {
            doc.add_text(self.other, postcode);
        }

        let single = [
            (Facet::Commune, &actor.commune),
            (Facet::Family, &actor.family),
            (Facet::Section, &actor.section),
        ];
        for (facet, value) in single {
            if !value.is_empty() {
                doc.add_text(self.facets[facet.index()], value);
            }
        }
        let multi = [
            (Facet::Theme, actor.themes),
            (Facet::OfferKind, actor.offer_kinds),
            (Facet::Label, actor.labels),
        ];
        for (facet, mut values) in multi {
            values.retain(|v| !v.is_empty());
            values.sort_unstable();
            values.dedup();
            for value in values {
                doc.add_text(self.facets[facet.index()], value);
            }
        }

        let mut flags = 0;
        if actor.active {
            flags |= FLAG_ACTIVE;
        }
        if actor.head_office {
            flags |= FLAG_HEAD_OFFICE;
        }
        doc.add_u64(self.flags, flags);

        let mut sort_key = analyzers.sort_key(&actor.sort_name);
        if sort_key.is_empty() {
            // Nameless documents sort after every name, by SIRET.
            sort_key.push('~');
        }
        doc.add_text(self.sort_key, sort_key);
        doc.add_text(self.display_name, actor.sort_name);
        doc
    }
}
