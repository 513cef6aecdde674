//! Running a search on a snapshot of the index.
//!
//! Term at a time: each clause of each word walks its postings once and marks the documents it
//! matches in a dense per-segment array; the text's matches are then a set of documents. Filters
//! are sets too (unions of the accepted values' documents), and so are the counts' bases:
//!
//! - hits = matches ∩ every filter; they compete for the page;
//! - a dimension without filter is counted over the hits; a filtered dimension d over
//!   matches ∩ every other filter (disjunctive: a count tells how many hits choosing that value
//!   in d would give);
//! - a value's count is the size of the intersection of that base with the value's documents.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
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

    fn max_doc(&self) -> DocId {
        u32::try_from(self.tables.flags.len()).expect("doc ids are u32")
    }

    fn live(&self, include_closed: bool) -> &Bits {
        if include_closed {
            &self.alive
        } else {
            &self.alive_active
        }
    }
}

/// The facet counts of every active actor (the directory's landing page), computed once per
/// snapshot.
struct Landing {
    counts: [Vec<u32>; 6],
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
    pub facet_limit: Option<usize>,
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
        for ((reader, tables), name_rank) in searcher
            .segment_readers()
            .iter()
            .zip(tables)
            .zip(name_ranks)
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
        let landing =
            request.plan.is_none() && request.filters.is_empty() && !request.include_closed;
        let readers = self.searcher.segment_readers();
        let mut texts = Vec::with_capacity(readers.len());
        if let Some(plan) = request.plan {
            for (reader, view) in readers.iter().zip(&self.segments) {
                let live = view.live(request.include_closed);
                texts.push(match_text(reader, plan, fields, live)?);
            }
        }
        // When no actor has every word, any word will do.
        let relaxed = request.plan.is_some_and(|plan| plan.words.len() > 1)
            && texts.iter().all(|text| text.all.is_empty());

        let count_facets = request.count_facets && !landing;
        let mut counts = count_facets.then(|| {
            self.interners
                .each_ref()
                .map(|i| vec![0u32; i.values().len()])
        });
        // Without text, a dimension that alone is filtered counts every active actor: the
        // landing page's counts.
        let mut filtered_dimensions = Facet::ALL
            .into_iter()
            .filter(|facet| !request.filters.values(*facet).is_empty());
        let from_landing = match (filtered_dimensions.next(), filtered_dimensions.next()) {
            (Some(only), None) if request.plan.is_none() && !request.include_closed => Some(only),
            _ => None,
        };
        let mut total = 0;
        let mut candidates = Vec::new();
        for (segment, view) in (0u32..).zip(&self.segments) {
            let text = texts.get(segment as usize);
            let matches = match text {
                Some(text) if relaxed => text.any.clone(),
                Some(text) => text.all.clone(),
                None => view.live(request.include_closed).clone(),
            };
            let filtered: Vec<(Facet, Bits)> = Facet::ALL
                .into_iter()
                .filter(|facet| !request.filters.values(*facet).is_empty())
                .map(|facet| {
                    (
                        facet,
                        self.passing(view, facet, request.filters.values(facet)),
                    )
                })
                .collect();
            let mut hits = matches.clone();
            for (_, passing) in &filtered {
                hits.intersect(passing);
            }
            total += hits.len();
            if let Some(counts) = counts.as_mut() {
                count_values(view, &matches, &hits, &filtered, from_landing, counts);
            }
            if keep > 0 {
                match (request.order, text) {
                    (Order::Score, Some(text)) => {
                        best_by_score(view, text, &hits, keep, segment, &mut candidates);
                    }
                    _ => best_by_name(view, &hits, keep, segment, &mut candidates),
                }
            }
        }
        candidates.sort_unstable_by_key(|c| (c.primary, c.siret, c.segment, c.doc));
        let hits = candidates
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .map(|c| self.hit(c.segment, c.doc, c.score))
            .collect::<Result<_>>()?;
        if let (Some(counts), Some(facet)) = (counts.as_mut(), from_landing) {
            counts[facet.index()].clone_from(&self.landing.counts[facet.index()]);
        }
        let counts = if landing {
            request.count_facets.then_some(&self.landing.counts)
        } else {
            counts.as_ref()
        };
        let facets = match counts {
            Some(counts) => self.facet_lists(counts, request.filters, request.facet_limit),
            None => Vec::new(),
        };
        Ok(Found {
            total,
            hits,
            facets,
            relaxed,
        })
    }

    /// The documents of a segment having one of `values` in a dimension.
    fn passing(&self, view: &SegmentView, facet: Facet, values: &BTreeSet<String>) -> Bits {
        let mut passing = Bits::empty(view.max_doc());
        let interner = &self.interners[facet.index()];
        for value in values {
            if let Some(docs) = interner
                .id(value)
                .and_then(|id| view.tables.values[facet.index()].get(&id))
            {
                docs.add_to(&mut passing);
            }
        }
        passing
    }

    fn hit(&self, segment: u32, doc: DocId, score: f32) -> Result<Hit> {
        let tables = &self.segments[segment as usize].tables;
        Ok(Hit {
            siret: tables.siret(doc)?,
            score,
            name: tables.display_name(doc)?,
        })
    }

    /// The counts of every dimension, by count descending then value, the `limit` first (when
    /// given); selected values are listed even beyond the limit or with no hit.
    fn facet_lists(
        &self,
        counts: &[Vec<u32>; 6],
        filters: &Filters,
        limit: Option<usize>,
    ) -> Vec<(Facet, Vec<FacetCount>)> {
        Facet::ALL
            .into_iter()
            .map(|facet| {
                let values = self.interners[facet.index()].values();
                let mut ranked: Vec<(u32, usize)> = counts[facet.index()]
                    .iter()
                    .enumerate()
                    .filter(|(_, count)| **count > 0)
                    .map(|(id, count)| (*count, id))
                    .collect();
                let order = |a: &(u32, usize), b: &(u32, usize)| {
                    b.0.cmp(&a.0).then_with(|| values[a.1].cmp(&values[b.1]))
                };
                if let Some(limit) = limit.filter(|l| *l < ranked.len()) {
                    // Only the first `limit` are sorted and named.
                    ranked.select_nth_unstable_by(limit, order);
                    ranked.truncate(limit);
                }
                ranked.sort_unstable_by(order);
                let mut list: Vec<FacetCount> = ranked
                    .into_iter()
                    .map(|(count, id)| FacetCount {
                        value: values[id].clone(),
                        count: count as usize,
                    })
                    .collect();
                for selected in filters.values(facet) {
                    if !list.iter().any(|c| &c.value == selected) {
                        let count = self.interners[facet.index()]
                            .id(selected)
                            .map_or(0, |id| counts[facet.index()][id as usize] as usize);
                        list.push(FacetCount {
                            value: selected.clone(),
                            count,
                        });
                    }
                }
                list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                (facet, list)
            })
            .collect()
    }
}

/// Reading a document's values costs about this many times what reading one word of a bitset or
/// one entry of a value's list does (a bit test, two lookups and an increment).
const DOC_READ_COST: usize = 3;

/// Adds a segment's counts: a dimension without filter over the hits, a filtered one over the
/// matches passing every other filter; `skip` is left alone (its counts come from elsewhere).
///
/// Each dimension is counted the cheaper way: by reading the values of the base's documents (a
/// few hits, or a dimension of many small values such as communes), else by intersecting each
/// value's documents with the base (a few large values, such as families, over many hits). The
/// dimensions read over the hits share one pass.
fn count_values(
    view: &SegmentView,
    matches: &Bits,
    hits: &Bits,
    filtered: &[(Facet, Bits)],
    skip: Option<Facet>,
    counts: &mut [Vec<u32>; 6],
) {
    let hit_count = hits.len();
    let by_doc = |facet: Facet, base_len: usize| {
        base_len.saturating_mul(DOC_READ_COST) < view.tables.scan_cost[facet.index()]
    };
    let mut over_hits = Vec::with_capacity(Facet::ALL.len());
    for facet in Facet::ALL.into_iter().filter(|f| Some(*f) != skip) {
        let counts = &mut counts[facet.index()];
        match filtered.iter().position(|(f, _)| *f == facet) {
            Some(position) => {
                let mut base = matches.clone();
                for (other, (_, passing)) in filtered.iter().enumerate() {
                    if other != position {
                        base.intersect(passing);
                    }
                }
                if by_doc(facet, base.len()) {
                    let values = &view.tables.doc_values[facet.index()];
                    for doc in base.iter() {
                        values.count(doc, counts);
                    }
                } else {
                    count_by_value(view, facet, &base, counts);
                }
            }
            None if by_doc(facet, hit_count) => over_hits.push(facet),
            None => count_by_value(view, facet, hits, counts),
        }
    }
    if !over_hits.is_empty() {
        for doc in hits.iter() {
            for facet in &over_hits {
                view.tables.doc_values[facet.index()].count(doc, &mut counts[facet.index()]);
            }
        }
    }
}

/// Adds to `counts` the number of documents of `base` having each value of a dimension, value
/// by value.
fn count_by_value(view: &SegmentView, facet: Facet, base: &Bits, counts: &mut [u32]) {
    for (id, docs) in &view.tables.values[facet.index()] {
        counts[*id as usize] += u32::try_from(docs.count_in(base)).unwrap_or(u32::MAX);
    }
}

/// One of the best hits of a segment.
struct Candidate {
    /// Global: the score's bits inverted (higher scores first) or the name's rank.
    primary: u32,
    siret: u64,
    segment: u32,
    doc: DocId,
    score: f32,
}

/// The `keep` best hits of a segment by relevance, then SIRET.
fn best_by_score(
    view: &SegmentView,
    text: &SegmentText,
    hits: &Bits,
    keep: usize,
    segment: u32,
    out: &mut Vec<Candidate>,
) {
    let scores = query::word_scores();
    let tables = &view.tables;
    let mut heap: BinaryHeap<(u64, DocId)> = BinaryHeap::with_capacity(keep.min(hits.len()) + 1);
    for doc in hits.iter() {
        let index = doc as usize;
        let score = score(
            text,
            &scores,
            doc,
            tables.name_words[index],
            tables.flags[index],
        );
        let key = (u64::from(!score.to_bits()) << 32) | u64::from(tables.siret_ord[index]);
        if heap.len() < keep {
            heap.push((key, doc));
        } else if let Some(mut worst) = heap.peek_mut()
            && key < worst.0
        {
            *worst = (key, doc);
        }
    }
    out.extend(heap.into_iter().map(|(key, doc)| {
        let primary = u32::try_from(key >> 32).unwrap_or(u32::MAX);
        Candidate {
            primary,
            siret: tables.siret_number(doc),
            segment,
            doc,
            score: f32::from_bits(!primary),
        }
    }));
}

/// The `keep` first hits of a segment by name, then SIRET.
fn best_by_name(
    view: &SegmentView,
    hits: &Bits,
    keep: usize,
    segment: u32,
    out: &mut Vec<Candidate>,
) {
    let tables = &view.tables;
    let mut push = |doc: DocId| {
        out.push(Candidate {
            primary: view.name_rank(doc),
            siret: tables.siret_number(doc),
            segment,
            doc,
            score: 0.0,
        });
    };
    if hits.len().saturating_mul(16) >= tables.by_name.len() {
        // Many hits: the first ones in name order come quickly.
        for doc in tables
            .by_name
            .iter()
            .filter(|doc| hits.contains(**doc))
            .take(keep)
        {
            push(*doc);
        }
    } else {
        let mut docs: Vec<DocId> = hits.iter().collect();
        let key = |doc: &DocId| {
            (
                tables.sort_ord[*doc as usize],
                tables.siret_ord[*doc as usize],
            )
        };
        if docs.len() > keep {
            docs.select_nth_unstable_by_key(keep, key);
            docs.truncate(keep);
        }
        for doc in docs {
            push(doc);
        }
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
    any.intersect(live);
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
                walk(
                    &mut inverted
                        .read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?,
                );
            }
        }
        Matcher::Fuzzy(automaton) => {
            let mut stream = dictionary.search(&**automaton).into_stream()?;
            while stream.advance() {
                let info = stream.value().clone();
                walk(
                    &mut inverted
                        .read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?,
                );
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
                walk(
                    &mut inverted
                        .read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?,
                );
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
        if let Some(column) = &table.sort_column {
            streams.push(Some(column.dictionary().stream()?));
            rank_of_ord.push(Vec::with_capacity(column.dictionary().num_terms()));
        } else {
            streams.push(None);
            rank_of_ord.push(Vec::new());
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
                    .map(|ord| {
                        if *ord == NONE {
                            NONE
                        } else {
                            ranks[*ord as usize]
                        }
                    })
                    .collect(),
            )
        })
        .collect())
}

/// The facet counts of every active actor.
fn landing(segments: &[SegmentView], interners: &[Interner; 6]) -> Landing {
    let mut counts = interners.each_ref().map(|i| vec![0u32; i.values().len()]);
    for view in segments {
        let live = &view.alive_active;
        count_values(view, live, live, &[], None, &mut counts);
    }
    Landing { counts }
}
