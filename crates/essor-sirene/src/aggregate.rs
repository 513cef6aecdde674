//! Per-commune aggregates, indexed by interned commune, then fact rows.
//!
//! One [`Aggregates`] for the whole import, shared by the worker threads behind a mutex: flat
//! arrays indexed by commune (about 110 MB for France, written once beforehand: see
//! `memory.rs`); the final passes only visit the communes that have establishments. Each
//! worker classifies its rows into compact [`Pending`] updates and applies them once per chunk,
//! in a tight loop under the lock (one table rather than one per worker: the fresh pages of a
//! table, which the system must zero, were a seventh of the import's time with two). Years
//! outside a dense window and band values INSEE does not use go to small maps.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use essor_domain::ess::{BANDS, Family, SECTION_KEYS, ThemeTable};
use essor_domain::panorama::{Dimension, FactTable, Figures, KeyInterner, TableRow};

use crate::communes::Communes;
use crate::memory::zeroed_for_updates;

/// The dense window of creation and closure years.
const YEAR_MIN: i32 = 1950;
const YEARS: usize = 100;

const FAMILIES: usize = Family::ALL.len();
const SECTIONS: usize = SECTION_KEYS.len();
const BAND_COUNT: usize = BANDS.len();
const SECTION_OFFSET: usize = FAMILIES;
const BAND_OFFSET: usize = SECTION_OFFSET + SECTIONS;
const THEME_OFFSET: usize = BAND_OFFSET + BAND_COUNT;

/// `active, employer, jobs_x2, ess_active, ess_employer, ess_jobs_x2`.
type Totals = [u64; 6];
/// `ess_active, ess_employer, ess_jobs_x2`.
type Group = [u64; 3];
/// `all, ess`.
type Count = [u32; 2];
/// Years outside the dense window, by commune: dimension, year, `all, ess`.
type YearsByCommune = HashMap<u32, Vec<(Dimension, i32, [u64; 2])>>;
/// Band values INSEE does not use, by commune: value, key, figures.
type BandsByCommune = HashMap<u32, Vec<(String, u32, Group)>>;

pub(crate) struct Aggregates {
    /// Groups per commune: families, sections, bands, themes.
    stride: usize,
    /// Communes that have had an establishment.
    touched: Vec<bool>,
    /// By commune.
    total: Vec<Totals>,
    /// By commune, `stride` each.
    groups: Vec<Group>,
    /// By commune, `YEARS` each.
    creations: Vec<Count>,
    closures: Vec<Count>,
    other_years: HashMap<(Dimension, u32, i32), [u64; 2]>,
    other_bands: HashMap<(u32, String), Group>,
}

/// A worker's updates not yet applied to the shared [`Aggregates`] (rows come in no order of
/// commune: applied together, in a tight loop, the processor overlaps their cache misses).
pub(crate) struct Pending {
    stride: usize,
    /// Commune `<< 2 | employer << 1 | active ESS`, and jobs.
    totals: Vec<(u32, u32)>,
    /// Year slot `<< 2 | closure << 1 | ESS`.
    years: Vec<u32>,
    /// Group slot (commune × stride + group), and jobs `<< 1 | employer`.
    groups: Vec<(u32, u32)>,
    other_years: HashMap<(Dimension, u32, i32), [u64; 2]>,
    other_bands: HashMap<(u32, String), Group>,
}

const ACTIVE_ESS: u32 = 1;
const EMPLOYER: u32 = 2;
const CLOSURE: u32 = 2;
/// The jobs of a pending total that only marks its commune as touched (a row not active).
const TOUCH_ONLY: u32 = u32::MAX;

/// One establishment of a commune of the referential, as aggregated.
pub(crate) struct Row<'a> {
    pub(crate) commune: usize,
    pub(crate) active: bool,
    pub(crate) employer: bool,
    pub(crate) jobs_x2: u32,
    pub(crate) ess: bool,
    pub(crate) creation_year: Option<i32>,
    pub(crate) closure_year: Option<i32>,
    /// For active ESS establishments.
    pub(crate) family: Family,
    pub(crate) section: usize,
    /// `Err` holds a band value INSEE does not use.
    pub(crate) band: Result<usize, &'a str>,
}

fn slot(index: usize) -> u32 {
    u32::try_from(index).expect("fewer than 2^30 slots")
}

impl Pending {
    pub(crate) fn new(themes: usize) -> Self {
        Self {
            stride: THEME_OFFSET + themes,
            totals: Vec::with_capacity(1 << 16),
            years: Vec::with_capacity(1 << 16),
            groups: Vec::with_capacity(1 << 14),
            other_years: HashMap::new(),
            other_bands: HashMap::new(),
        }
    }

    /// Counts an establishment; `themes` are its theme indexes when active and ESS.
    #[inline]
    pub(crate) fn add(&mut self, row: &Row<'_>, themes: impl Iterator<Item = usize>) {
        let commune = row.commune;
        if row.active {
            let key = slot(commune) << 2 | u32::from(row.employer) << 1 | u32::from(row.ess);
            self.totals.push((key, row.jobs_x2));
            if row.ess {
                let figures = row.jobs_x2 << 1 | u32::from(row.employer);
                let base = commune * self.stride;
                let groups = &mut self.groups;
                let mut add = |offset: usize| groups.push((slot(base + offset), figures));
                add(row.family.index());
                add(SECTION_OFFSET + row.section);
                for theme in themes {
                    add(THEME_OFFSET + theme);
                }
                match row.band {
                    Ok(band) => add(BAND_OFFSET + band),
                    Err(other) => {
                        let key = (slot(commune), other.to_owned());
                        let group = self.other_bands.entry(key).or_default();
                        let jobs = u64::from(row.jobs_x2);
                        for (sum, value) in group.iter_mut().zip([1, u64::from(row.employer), jobs])
                        {
                            *sum += value;
                        }
                    }
                }
            }
        } else {
            // Touched all the same: its years, or a row of zeros, are facts of the commune.
            self.totals.push((slot(commune) << 2, TOUCH_ONLY));
        }
        for (dimension, year) in [
            (Dimension::Creation, row.creation_year),
            (Dimension::Closure, row.closure_year),
        ] {
            let Some(year) = year else { continue };
            let offset = usize::try_from(year - YEAR_MIN)
                .ok()
                .filter(|offset| *offset < YEARS);
            if let Some(offset) = offset {
                let closure = if dimension == Dimension::Closure {
                    CLOSURE
                } else {
                    0
                };
                self.years
                    .push(slot(commune * YEARS + offset) << 2 | closure | u32::from(row.ess));
            } else {
                let key = (dimension, slot(commune), year);
                let count = self.other_years.entry(key).or_default();
                count[0] += 1;
                count[1] += u64::from(row.ess);
            }
        }
    }

    /// Applies the pending updates to `shared`.
    pub(crate) fn flush(&mut self, shared: &Mutex<Aggregates>) {
        let mut aggregates = shared.lock().unwrap_or_else(PoisonError::into_inner);
        aggregates.apply(self);
    }
}

impl Aggregates {
    pub(crate) fn new(communes: usize, themes: usize) -> Self {
        let stride = THEME_OFFSET + themes;
        Self {
            stride,
            touched: vec![false; communes],
            total: zeroed_for_updates(communes),
            groups: zeroed_for_updates(communes * stride),
            creations: zeroed_for_updates(communes * YEARS),
            closures: zeroed_for_updates(communes * YEARS),
            other_years: HashMap::new(),
            other_bands: HashMap::new(),
        }
    }

    /// Applies a worker's pending updates, and empties them.
    fn apply(&mut self, pending: &mut Pending) {
        for &(key, jobs) in &pending.totals {
            let commune = (key >> 2) as usize;
            self.touched[commune] = true;
            if jobs == TOUCH_ONLY {
                continue;
            }
            let total = &mut self.total[commune];
            let employer = u64::from((key & EMPLOYER) >> 1);
            let jobs = u64::from(jobs);
            total[0] += 1;
            total[1] += employer;
            total[2] += jobs;
            if key & ACTIVE_ESS != 0 {
                total[3] += 1;
                total[4] += employer;
                total[5] += jobs;
            }
        }
        pending.totals.clear();
        for &key in &pending.years {
            let counts = if key & CLOSURE != 0 {
                &mut self.closures
            } else {
                &mut self.creations
            };
            let count = &mut counts[(key >> 2) as usize];
            count[0] += 1;
            count[1] += key & 1;
        }
        pending.years.clear();
        for &(slot, figures) in &pending.groups {
            let group = &mut self.groups[slot as usize];
            group[0] += 1;
            group[1] += u64::from(figures & 1);
            group[2] += u64::from(figures >> 1);
        }
        pending.groups.clear();
        for (key, counts) in pending.other_years.drain() {
            let mine = self.other_years.entry(key).or_default();
            mine[0] += counts[0];
            mine[1] += counts[1];
        }
        for (key, group) in pending.other_bands.drain() {
            let mine = self.other_bands.entry(key).or_default();
            for (x, y) in mine.iter_mut().zip(group) {
                *x += y;
            }
        }
    }

    /// The fact rows, by commune code, dimension and key; rows whose figures are all zero are
    /// left out. Built by `threads` threads into one vector allocated once (about 3.3 million
    /// rows for France).
    pub(crate) fn into_facts(
        self,
        communes: &Communes,
        themes: &ThemeTable,
        threads: usize,
    ) -> FactTable {
        let mut order: Vec<usize> = (0..self.touched.len())
            .filter(|index| self.touched[*index])
            .collect();
        order.sort_by(|a, b| communes.code(*a).cmp(communes.code(*b)));
        let mut keys = Keys::new(themes);
        let mut other_bands: BandsByCommune = HashMap::new();
        for ((commune, band), group) in &self.other_bands {
            let key = keys.intern(band);
            other_bands
                .entry(*commune)
                .or_default()
                .push((band.clone(), key, *group));
        }
        let mut other_years: YearsByCommune = HashMap::new();
        for ((dimension, commune, year), counts) in &self.other_years {
            keys.other_year(*year);
            other_years
                .entry(*commune)
                .or_default()
                .push((*dimension, *year, *counts));
        }
        let mut band_order: Vec<usize> = (0..BANDS.len()).collect();
        band_order.sort_by_key(|&band| BANDS[band].0);
        let context = FactsContext {
            keys: &keys,
            bands: &other_bands,
            years: &other_years,
            band_order: &band_order,
        };
        // Rows per commune, counted by the threads over runs of as many communes.
        let per_thread = order.len().div_ceil(threads.max(1)).max(1);
        let counts: Vec<usize> = std::thread::scope(|scope| {
            let handles: Vec<_> = order
                .chunks(per_thread)
                .map(|indexes| {
                    let context = &context;
                    let this = &self;
                    scope.spawn(move || {
                        indexes
                            .iter()
                            .map(|&index| {
                                let mut rows = 0;
                                this.commune_facts(index, context, &mut |_| rows += 1);
                                rows
                            })
                            .collect::<Vec<usize>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| handle.join().expect("counting rows does not panic"))
                .collect()
        });
        let total: usize = counts.iter().sum();
        let mut rows = vec![TableRow::EMPTY; total];
        // Contiguous runs of communes with about as many rows each, one per thread.
        let per_thread = total.div_ceil(threads.max(1)).max(1);
        let mut parts: Vec<(&[usize], &mut [TableRow])> = Vec::new();
        let mut rest: &mut [TableRow] = &mut rows;
        let (mut first, mut filled) = (0, 0);
        for (i, count) in counts.iter().enumerate() {
            filled += count;
            if filled >= per_thread || i + 1 == counts.len() {
                let (part, tail) = std::mem::take(&mut rest).split_at_mut(filled);
                parts.push((&order[first..=i], part));
                rest = tail;
                first = i + 1;
                filled = 0;
            }
        }
        std::thread::scope(|scope| {
            for (indexes, slots) in parts {
                let context = &context;
                let this = &self;
                scope.spawn(move || {
                    let mut slots = slots.iter_mut();
                    for &index in indexes {
                        this.commune_facts(index, context, &mut |row| {
                            if let Some(slot) = slots.next() {
                                *slot = row;
                            }
                        });
                    }
                });
            }
        });
        let communes = order
            .iter()
            .zip(counts)
            .map(|(&index, count)| (communes.code(index).to_owned(), count))
            .collect();
        crate::free_in_background(self);
        FactTable::from_parts(keys.texts.into_texts(), communes, rows)
            .expect("distinct keys, communes in code order, rows counted per commune")
    }

    /// Calls `emit` with every non-zero fact row of a commune, in order.
    fn commune_facts(
        &self,
        index: usize,
        context: &FactsContext<'_>,
        emit: &mut dyn FnMut(TableRow),
    ) {
        let keys = context.keys;
        let mut push = |dimension: Dimension, key: u32, figures: Figures| {
            if !figures.is_zero() {
                emit(TableRow {
                    dimension,
                    key,
                    figures,
                });
            }
        };
        let t = self.total[index];
        let total = Figures {
            active: t[0],
            employer: t[1],
            jobs_x2: t[2],
            ess_active: t[3],
            ess_employer: t[4],
            ess_jobs_x2: t[5],
        };
        push(Dimension::Total, keys.empty, total);
        let groups = &self.groups[index * self.stride..(index + 1) * self.stride];
        let ess = |g: &Group| Figures {
            ess_active: g[0],
            ess_employer: g[1],
            ess_jobs_x2: g[2],
            ..Figures::default()
        };
        for family in Family::ALL {
            let figures = ess(&groups[family.index()]);
            push(Dimension::Family, keys.families[family.index()], figures);
        }
        for (i, &key) in keys.sections.iter().enumerate() {
            push(Dimension::Section, key, ess(&groups[SECTION_OFFSET + i]));
        }
        for (i, &key) in keys.themes.iter().enumerate() {
            push(Dimension::Theme, key, ess(&groups[THEME_OFFSET + i]));
        }
        let key32 = u32::try_from(index).unwrap_or(u32::MAX);
        if let Some(extra) = context.bands.get(&key32) {
            let mut bands: Vec<(&str, u32, Group)> = BANDS
                .iter()
                .enumerate()
                .map(|(i, (text, _, _))| (*text, keys.bands[i], groups[BAND_OFFSET + i]))
                .chain(
                    extra
                        .iter()
                        .map(|(band, key, group)| (band.as_str(), *key, *group)),
                )
                .collect();
            bands.sort_by_key(|(text, _, _)| *text);
            for (_, key, group) in bands {
                push(Dimension::Band, key, ess(&group));
            }
        } else {
            for &band in context.band_order {
                let figures = ess(&groups[BAND_OFFSET + band]);
                push(Dimension::Band, keys.bands[band], figures);
            }
        }
        let extra = context.years.get(&key32);
        let window = index * YEARS..(index + 1) * YEARS;
        for (dimension, dense) in [
            (Dimension::Creation, &self.creations[window.clone()]),
            (Dimension::Closure, &self.closures[window]),
        ] {
            let year_figures = |[all, ess]: [u64; 2]| Figures {
                active: all,
                ess_active: ess,
                ..Figures::default()
            };
            if let Some(extra) = extra {
                for (year, counts) in years(dimension, dense, extra) {
                    push(dimension, keys.year(year), year_figures(counts));
                }
            } else {
                for (count, &key) in dense.iter().zip(&keys.years) {
                    let counts = [u64::from(count[0]), u64::from(count[1])];
                    push(dimension, key, year_figures(counts));
                }
            }
        }
    }
}

/// The keys of the fact rows, each text once, and the index of each group's.
struct Keys {
    texts: KeyInterner,
    /// The empty key of the totals.
    empty: u32,
    families: Vec<u32>,
    sections: Vec<u32>,
    themes: Vec<u32>,
    /// By index of [`BANDS`].
    bands: Vec<u32>,
    /// The years of the dense window, in order.
    years: Vec<u32>,
    other_years: HashMap<i32, u32>,
}

impl Keys {
    fn new(themes: &ThemeTable) -> Self {
        let mut keys = Self {
            texts: KeyInterner::default(),
            empty: 0,
            families: Vec::new(),
            sections: Vec::new(),
            themes: Vec::new(),
            bands: Vec::new(),
            years: Vec::new(),
            other_years: HashMap::new(),
        };
        keys.empty = keys.intern("");
        keys.families = Family::ALL.iter().map(|f| keys.intern(f.key())).collect();
        keys.sections = SECTION_KEYS.iter().map(|s| keys.intern(s)).collect();
        keys.themes = themes
            .themes()
            .iter()
            .map(|t| keys.intern(&t.key))
            .collect();
        keys.bands = BANDS.iter().map(|(band, _, _)| keys.intern(band)).collect();
        keys.years = (YEAR_MIN..)
            .take(YEARS)
            .map(|year| keys.intern(&year.to_string()))
            .collect();
        keys
    }

    fn intern(&mut self, text: &str) -> u32 {
        self.texts.intern(text)
    }

    /// Makes a key for a year outside the dense window.
    fn other_year(&mut self, year: i32) {
        if !self.other_years.contains_key(&year) {
            let key = self.intern(&year.to_string());
            self.other_years.insert(year, key);
        }
    }

    fn year(&self, year: i32) -> u32 {
        usize::try_from(year - YEAR_MIN)
            .ok()
            .and_then(|offset| self.years.get(offset))
            .or_else(|| self.other_years.get(&year))
            .copied()
            .expect("every year seen has a key")
    }
}

/// What building fact rows needs besides the arrays.
struct FactsContext<'a> {
    keys: &'a Keys,
    /// Bands and years outside the dense arrays, by commune.
    bands: &'a BandsByCommune,
    years: &'a YearsByCommune,
    /// Indexes of [`BANDS`] in the order of their keys.
    band_order: &'a [usize],
}

/// The non-zero years of a commune and dimension, in order: the dense window and the others.
fn years(
    dimension: Dimension,
    dense: &[Count],
    others: &[(Dimension, i32, [u64; 2])],
) -> Vec<(i32, [u64; 2])> {
    let mut years: Vec<(i32, [u64; 2])> = dense
        .iter()
        .zip(YEAR_MIN..)
        .filter(|(count, _)| **count != [0, 0])
        .map(|(count, year)| (year, [u64::from(count[0]), u64::from(count[1])]))
        .chain(
            others
                .iter()
                .filter(|(d, _, _)| *d == dimension)
                .map(|(_, year, counts)| (*year, *counts)),
        )
        .collect();
    years.sort_by_key(|(year, _)| *year);
    years
}
