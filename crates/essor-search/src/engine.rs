//! Running a search on a snapshot of the index.
//!
//! Term at a time: each clause of each word walks its postings once and marks the documents it
//! matches in a dense per-segment array; the text's matches are then a set of documents. Filters
//! are sets too (the postings of the accepted values). With them, the hits and the disjunctive
//! facet counts are set operations followed by one visit of the documents that count:
//!
//! - hits = matches ∩ every filter: each counts in every dimension and competes for the page;
//! - for each filtered dimension d, (matches ∩ every other filter) − filter d: each counts in d
//!   only (its count answers "what if this value were chosen in d").

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::postings::BlockSegmentPostings;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, Searcher, SegmentReader};

use crate::bits::Bits;
use crate::query::{self, EXACT_NAME, Matcher, NAME_WORD, SHORT_NAME, TextPlan};
use crate::schema::{FLAG_ACTIVE, FLAG_HEAD_OFFICE, Fields};
use crate::tables::{Interner, NONE, SegmentTables};
use crate::{Facet, FacetCount, Filters, Hit, Result};

/// Bonus factor of head offices and of active establishments on equal relevance.
const HEAD_OFFICE_BONUS: f32 = 0.01;
const ACTIVE_BONUS: f32 = 0.01;

/// One segment as a snapshot sees it.
pub(crate) struct SegmentView {
    pub tables: Arc<SegmentTables>,
    /// Documents not deleted.
    alive: Bits,
    /// Documents not deleted and active.
    alive_active: Bits,
    /// Global rank of each document's sort key, when there are several segments (otherwise the
    /// segment's own ranks are global).
    name_rank: Option<Vec<u32>>,
}

impl SegmentView {
    #[inline]
    fn name_rank(&self, doc: DocId) -> u32 {
        match &self.name_rank {
            Some(ranks) => ranks[doc as usize],
            None => self.tables.sort_ord[doc as usize],
        }
    }

    fn live(&self, include_closed: bool) -> &Bits {
        if include_closed {
            &self.alive
        } else {
            &self.alive_active
        }
    }
}

/// The listing of every active actor by name, with its facet counts: the directory's landing
/// page, computed once per snapshot.
struct Landing {
    total: usize,
    counts: [Vec<u32>; 6],
    /// (segment, document), by name then SIRET.
    order: Vec<(u32, DocId)>,
}

/// What one search reads: immutable, shared by concurrent searches.
pub(crate) struct Snapshot {
    pub searcher: Searcher,
    segments: Vec<SegmentView>,
    /// Facet values by dimension and global id.
    interners: [Interner; 6],
    landing: Landing,
}

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Score,
    Name,
}

/// What a search asks of a snapshot.
pub(crate) struct Request<'a> {
    pub plan: Option<&'a TextPlan>,
    pub filters: &'a Filters,
    pub include_closed: bool,
    pub order: Order,
    pub offset: usize,
    pub limit: usize,
    pub count_facets: bool,
}

/// What a search found.
pub(crate) struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Vec<(Facet, Vec<FacetCount>)>,
    pub relaxed: bool,
}

/// The matches of a text in one segment.
struct SegmentText {
    /// For each word, the kinds of match of each document.
    masks: Vec<Vec<u8>>,
    /// Documents whose names, sign or acronym equal the whole text.
    exact: Bits,
    /// Documents matching every word.
    all: Bits,
    /// Documents matching at least one word.
    any: Bits,
}

impl Snapshot {
    /// A snapshot of `searcher`, with the tables of each of its segments.
    pub(crate) fn new(
        searcher: Searcher,
        tables: Vec<Arc<SegmentTables>>,
        interners: [Interner; 6],
    ) -> Result<Self> {
        let name_ranks = global_name_ranks(&tables)?;
        let mut segments = Vec::with_capacity(tables.len());
        for ((reader, tables), name_rank) in
            searcher.segment_readers().iter().zip(tables).zip(name_ranks)
        {
            let alive = match reader.alive_bitset() {
                Some(alive_bitset) => {
                    let mut alive = Bits::empty(reader.max_doc());
                    for doc in alive_bitset.iter_alive() {
                        alive.insert(doc);
                    }
                    alive
                }
                None => Bits::full(reader.max_doc()),
            };
            let mut alive_active = alive.clone();
            alive_active.intersect(&tables.active);
            segments.push(SegmentView {
                tables,
                alive,
                alive_active,
                name_rank,
            });
        }
        let landing = landing(&segments, &interners);
        Ok(Snapshot {
            searcher,
            segments,
            interners,
            landing,
        })
    }

    /// Runs a search.
    pub(crate) fn run(&self, fields: &Fields, request: &Request<'_>) -> Result<Found> {
        let keep = request.offset.saturating_add(request.limit);
        if request.plan.is_none() && request.filters.is_empty() && !request.include_closed {
            return Ok(self.landing_page(request, keep));
        }
        let readers = self.searcher.segment_readers();
        let mut texts = Vec::with_capacity(readers.len());
        if let Some(plan) = request.plan {
            for (reader, view) in readers.iter().zip(&self.segments) {
                texts.push(match_text(reader, plan, fields, view.live(request.include_closed))?);
            }
        }
        // When no actor has every word, any word will do.
        let relaxed = request.plan.is_some_and(|plan| plan.words.len() > 1)
            && texts.iter().all(|text| text.all.is_empty());

        let mut counts = request
            .count_facets
            .then(|| self.interners.each_ref().map(|i| vec![0u32; i.values().len()]));
        let mut total = 0;
        let mut best: Vec<(u128, u32, DocId, f32)> = Vec::new();
        let scores = query::word_scores();
        for (segment, (reader, view)) in readers.iter().zip(&self.segments).enumerate() {
            let segment = u32::try_from(segment).expect("few segments");
            let text = texts.get(segment as usize);
            let mut matches = match text {
                Some(text) if relaxed => text.any.clone(),
                Some(text) => text.all.clone(),
                None => view.live(request.include_closed).clone(),
            };
            matches.intersect(view.live(request.include_closed));

            let filtered: Vec<(Facet, Bits)> = Facet::ALL
                .into_iter()
                .filter(|facet| !request.filters.values(*facet).is_empty())
                .map(|facet| {
                    let accepted = request.filters.values(facet);
                    postings_of_values(reader, fields.facets[facet.index()], accepted)
                        .map(|bits| (facet, bits))
                })
                .collect::<Result<_>>()?;
            let mut hits = matches.clone();
            for (_, passing) in &filtered {
                hits.intersect(passing);
            }
            if let Some(counts) = counts.as_mut() {
                for (position, (facet, passing)) in filtered.iter().enumerate() {
                    let mut others = matches.clone();
                    for (other, (_, other_passing)) in filtered.iter().enumerate() {
                        if other != position {
                            others.intersect(other_passing);
                        }
                    }
                    others.subtract(passing);
                    let dim_counts = &mut counts[facet.index()];
                    for doc in others.iter() {
                        view.tables.count(doc, *facet, dim_counts);
                    }
                }
            }

            let mut heap: BinaryHeap<(u128, DocId, u32)> = BinaryHeap::new();
            for doc in hits.iter() {
                total += 1;
                if let Some(counts) = counts.as_mut() {
                    for facet in Facet::ALL {
                        view.tables.count(doc, facet, &mut counts[facet.index()]);
                    }
                }
                if keep == 0 {
                    continue;
                }
                let record = &view.tables.records[doc as usize];
                let (primary, score) = match (request.order, text) {
                    (Order::Score, Some(text)) => {
                        let score = score(text, &scores, doc, record.name_words, record.flags);
                        (!score.to_bits(), score)
                    }
                    _ => (view.name_rank(doc), 0.0),
                };
                let key = (u128::from(primary) << 64) | u128::from(record.siret);
                if heap.len() < keep {
                    heap.push((key, doc, score.to_bits()));
                } else if let Some(mut worst) = heap.peek_mut()
                    && key < worst.0
                {
                    *worst = (key, doc, score.to_bits());
                }
            }
            best.extend(
                heap.into_iter()
                    .map(|(key, doc, score)| (key, segment, doc, f32::from_bits(score))),
            );
        }
        best.sort_unstable_by_key(|(key, segment, doc, _)| (*key, *segment, *doc));
        let hits = best
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .map(|(_, segment, doc, score)| self.hit(segment, doc, score))
            .collect::<Result<_>>()?;
        let facets = match counts {
            Some(counts) => self.facet_lists(&counts, request.filters),
            None => Vec::new(),
        };
        Ok(Found {
            total,
            hits,
            facets,
            relaxed,
        })
    }

    fn landing_page(&self, request: &Request<'_>, keep: usize) -> Found {
        let landing = &self.landing;
        let hits = landing.order[..keep.min(landing.order.len())]
            .iter()
            .skip(request.offset)
            .map(|(segment, doc)| self.hit(*segment, *doc, 0.0))
            .collect::<Result<_>>();
        Found {
            total: landing.total,
            hits: hits.unwrap_or_default(),
            facets: if request.count_facets {
                self.facet_lists(&landing.counts, request.filters)
            } else {
                Vec::new()
            },
            relaxed: false,
        }
    }

    fn hit(&self, segment: u32, doc: DocId, score: f32) -> Result<Hit> {
        let tables = &self.segments[segment as usize].tables;
        Ok(Hit {
            siret: tables.siret(doc)?,
            score,
            name: tables.display_name(doc)?,
        })
    }

    /// The counts of every dimension, by count descending then value; selected values are
    /// listed even with no hit.
    fn facet_lists(
        &self,
        counts: &[Vec<u32>; 6],
        filters: &Filters,
    ) -> Vec<(Facet, Vec<FacetCount>)> {
        Facet::ALL
            .into_iter()
            .map(|facet| {
                let values = self.interners[facet.index()].values();
                let mut list: Vec<FacetCount> = counts[facet.index()]
                    .iter()
                    .enumerate()
                    .filter(|(_, count)| **count > 0)
                    .map(|(id, count)| FacetCount {
                        value: values[id].clone(),
                        count: *count as usize,
                    })
                    .collect();
                for selected in filters.values(facet) {
                    if !list.iter().any(|c| &c.value == selected) {
                        list.push(FacetCount {
                            value: selected.clone(),
                            count: 0,
                        });
                    }
                }
                list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                (facet, list)
            })
            .collect()
    }
}

/// The relevance of a document matching a text.
#[inline]
fn score(text: &SegmentText, scores: &[f32; 128], doc: DocId, name_words: u8, flags: u8) -> f32 {
    let mut score = 0.0;
    let mut in_names = false;
    for masks in &text.masks {
        let mask = masks[doc as usize];
        score += scores[usize::from(mask & 0x7f)];
        in_names |= mask & NAME_WORD != 0;
    }
    if in_names {
        score += SHORT_NAME / (1.0 + f32::from(name_words));
    }
    if text.exact.contains(doc) {
        score += EXACT_NAME;
    }
    let mut factor = 1.0;
    if u64::from(flags) & FLAG_HEAD_OFFICE != 0 {
        factor += HEAD_OFFICE_BONUS;
    }
    if u64::from(flags) & FLAG_ACTIVE != 0 {
        factor += ACTIVE_BONUS;
    }
    score * factor
}

/// Walks the postings of the text's clauses in one segment.
fn match_text(
    reader: &SegmentReader,
    plan: &TextPlan,
    fields: &Fields,
    live: &Bits,
) -> Result<SegmentText> {
    let max_doc = reader.max_doc();
    let mut masks = Vec::with_capacity(plan.words.len());
    let mut all = live.clone();
    let mut any = Bits::empty(max_doc);
    for word in &plan.words {
        let mut mask = vec![0u8; max_doc as usize];
        let mut matched = Bits::empty(max_doc);
        for clause in &word.clauses {
            for_each_posting(reader, clause.field, &clause.matcher, |doc| {
                mask[doc as usize] |= clause.kind;
                matched.insert(doc);
            })?;
        }
        all.intersect(&matched);
        any.union(&matched);
        masks.push(mask);
    }
    let mut exact = Bits::empty(max_doc);
    if !plan.exact.is_empty() {
        let matcher = Matcher::Term(plan.exact.clone());
        for_each_posting(reader, fields.name_exact, &matcher, |doc| exact.insert(doc))?;
    }
    Ok(SegmentText {
        masks,
        exact,
        all,
        any,
    })
}

/// The documents having one of `values` in a raw indexed field.
fn postings_of_values<'a>(
    reader: &SegmentReader,
    field: Field,
    values: impl IntoIterator<Item = &'a String>,
) -> Result<Bits> {
    let mut bits = Bits::empty(reader.max_doc());
    for value in values {
        for_each_posting(reader, field, &Matcher::Term(value.clone()), |doc| {
            bits.insert(doc);
        })?;
    }
    Ok(bits)
}

/// Calls `f` with every document (deleted ones included) holding a term the matcher accepts.
fn for_each_posting(
    reader: &SegmentReader,
    field: Field,
    matcher: &Matcher,
    mut f: impl FnMut(DocId),
) -> Result<()> {
    let inverted = reader.inverted_index(field)?;
    let dictionary = inverted.terms();
    let mut walk = |postings: &mut BlockSegmentPostings| loop {
        let docs = postings.docs();
        if docs.is_empty() {
            break;
        }
        for doc in docs {
            f(*doc);
        }
        postings.advance();
    };
    match matcher {
        Matcher::Term(text) => {
            if let Some(info) = dictionary.get(text.as_bytes())? {
                walk(&mut inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?);
            }
        }
        Matcher::Fuzzy(automaton) => {
            let mut stream = dictionary.search(&**automaton).into_stream()?;
            while stream.advance() {
                let info = stream.value().clone();
                walk(&mut inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?);
            }
        }
        Matcher::Prefix(prefix) => {
            let mut range = dictionary.range().ge(prefix.as_bytes());
            if let Some(end) = query::prefix_end(prefix.as_bytes()) {
                range = range.lt(end);
            }
            let mut stream = range.into_stream()?;
            while stream.advance() {
                let info = stream.value().clone();
                walk(&mut inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?);
            }
        }
    }
    Ok(())
}

/// For each segment, the global rank of each document's sort key (`None` when the segment's own
/// ranks are global: a single segment).
fn global_name_ranks(tables: &[Arc<SegmentTables>]) -> Result<Vec<Option<Vec<u32>>>> {
    if tables.len() <= 1 {
        return Ok(tables.iter().map(|_| None).collect());
    }
    // Merge the segments' sorted dictionaries: equal keys share a rank.
    let mut streams = Vec::with_capacity(tables.len());
    let mut rank_of_ord: Vec<Vec<u32>> = Vec::with_capacity(tables.len());
    for table in tables {
        match &table.sort_column {
            Some(column) => {
                streams.push(Some(column.dictionary().stream()?));
                rank_of_ord.push(Vec::with_capacity(column.dictionary().num_terms()));
            }
            None => {
                streams.push(None);
                rank_of_ord.push(Vec::new());
            }
        }
    }
    let mut heads = BinaryHeap::new();
    for (segment, stream) in streams.iter_mut().enumerate() {
        if let Some(stream) = stream
            && stream.advance()
        {
            heads.push(Reverse((stream.key().to_vec(), segment)));
        }
    }
    let mut rank = 0u32;
    let mut previous: Option<Vec<u8>> = None;
    while let Some(Reverse((key, segment))) = heads.pop() {
        if previous.as_ref().is_some_and(|p| *p != key) {
            rank += 1;
        }
        rank_of_ord[segment].push(rank);
        previous = Some(key);
        if let Some(stream) = &mut streams[segment]
            && stream.advance()
        {
            heads.push(Reverse((stream.key().to_vec(), segment)));
        }
    }
    Ok(tables
        .iter()
        .zip(rank_of_ord)
        .map(|(table, ranks)| {
            Some(
                table
                    .sort_ord
                    .iter()
                    .map(|ord| if *ord == NONE { NONE } else { ranks[*ord as usize] })
                    .collect(),
            )
        })
        .collect())
}

/// Every active actor by name, and the facet counts of the whole directory.
fn landing(segments: &[SegmentView], interners: &[Interner; 6]) -> Landing {
    let mut counts = interners.each_ref().map(|i| vec![0u32; i.values().len()]);
    let mut keyed = Vec::new();
    for (segment, view) in (0u32..).zip(segments) {
        for doc in view.alive_active.iter() {
            for facet in Facet::ALL {
                view.tables.count(doc, facet, &mut counts[facet.index()]);
            }
            let siret = view.tables.records[doc as usize].siret;
            keyed.push(((u128::from(view.name_rank(doc)) << 64) | u128::from(siret), segment, doc));
        }
    }
    keyed.sort_unstable();
    Landing {
        total: keyed.len(),
        counts,
        order: keyed.into_iter().map(|(_, segment, doc)| (segment, doc)).collect(),
    }
}
