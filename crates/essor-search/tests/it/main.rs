//! The search index's behaviour, as the directory's users would notice it.

mod facets;
mod lifecycle;
mod listing;
mod support;
mod text;
