//! Per-commune aggregates, indexed by interned commune, then fact rows.
//!
//! Each worker fills its own [`Aggregates`]: flat arrays indexed by commune, allocated zeroed
//! so that the system only backs the pages of communes that have establishments; the final
//! passes only visit those communes. Years outside a dense window and band values INSEE does
//! not use go to small maps.

use std::collections::HashMap;

use essor_domain::ess::{BANDS, Family, SECTION_KEYS, ThemeTable};
use essor_domain::panorama::{Dimension, FactRow, Figures};

use crate::communes::Communes;

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
/// Band values INSEE does not use, by commune.
type BandsByCommune = HashMap<u32, Vec<(String, Group)>>;

pub(crate) struct Aggregates {
    /// Groups per commune: families, sections, bands, themes.
    stride: usize,
    /// Communes that have had an establishment.
    touched: Vec<bool>,
    /// By commune. Arrays are allocated zeroed: the system only backs the pages written.
    total: Vec<Totals>,
    /// By commune, `stride` each.
    groups: Vec<Group>,
    /// By commune, `YEARS` each.
    creations: Vec<Count>,
    closures: Vec<Count>,
    other_years: HashMap<(Dimension, u32, i32), [u64; 2]>,
    other_bands: HashMap<(u32, String), Group>,
    /// Updates of totals and years, applied by [`Aggregates::flush`] in a tight loop where
    /// the processor overlaps their cache misses (rows come in no order of commune).
    pending_totals: Vec<(u32, u32)>,
    pending_years: Vec<u32>,
}

const ACTIVE_ESS: u32 = 1;
const EMPLOYER: u32 = 2;
const CLOSURE: u32 = 2;

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

/// The key of a fact row.
enum Key<'a> {
    Text(&'a str),
    Year(i32),
}

fn add_all<const N: usize, T: Copy + std::ops::AddAssign>(mine: &mut [[T; N]], theirs: &[[T; N]]) {
    for (a, b) in mine.iter_mut().zip(theirs) {
        for (x, y) in a.iter_mut().zip(b) {
            *x += *y;
        }
    }
}

impl Aggregates {
    pub(crate) fn new(communes: usize, themes: usize) -> Self {
        let stride = THEME_OFFSET + themes;
        Self {
            stride,
            touched: vec![false; communes],
            total: vec![[0; 6]; communes],
            groups: vec![[0; 3]; communes * stride],
            creations: vec![[0; 2]; communes * YEARS],
            closures: vec![[0; 2]; communes * YEARS],
            other_years: HashMap::new(),
            other_bands: HashMap::new(),
            pending_totals: Vec::with_capacity(1 << 16),
            pending_years: Vec::with_capacity(1 << 16),
        }
    }

    /// Applies the pending updates.
    pub(crate) fn flush(&mut self) {
        for &(key, jobs) in &self.pending_totals {
            let total = &mut self.total[(key >> 2) as usize];
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
        self.pending_totals.clear();
        for &key in &self.pending_years {
            let counts = if key & CLOSURE != 0 {
                &mut self.closures
            } else {
                &mut self.creations
            };
            let count = &mut counts[(key >> 2) as usize];
            count[0] += 1;
            count[1] += key & 1;
        }
        self.pending_years.clear();
    }

    /// Counts an establishment; `themes` are its theme indexes when active and ESS.
    #[inline]
    pub(crate) fn add(&mut self, row: &Row<'_>, themes: impl Iterator<Item = usize>) {
        let commune = row.commune;
        self.touched[commune] = true;
        let jobs = u64::from(row.jobs_x2);
        if row.active {
            let key = u32::try_from(commune).expect("fewer than 2^30 communes") << 2
                | u32::from(row.employer) << 1
                | u32::from(row.ess);
            self.pending_totals.push((key, row.jobs_x2));
            if row.ess {
                let figures = [1, u64::from(row.employer), jobs];
                let base = commune * self.stride;
                let groups = &mut self.groups[base..base + self.stride];
                let mut add = |offset: usize| {
                    for (sum, value) in groups[offset].iter_mut().zip(figures) {
                        *sum += value;
                    }
                };
                add(row.family.index());
                add(SECTION_OFFSET + row.section);
                for theme in themes {
                    add(THEME_OFFSET + theme);
                }
                match row.band {
                    Ok(band) => add(BAND_OFFSET + band),
                    Err(other) => {
                        let key = (u32::try_from(commune).unwrap_or(u32::MAX), other.to_owned());
                        let group = self.other_bands.entry(key).or_default();
                        for (sum, value) in group.iter_mut().zip(figures) {
                            *sum += value;
                        }
                    }
                }
            }
        }
        for (dimension, year) in [
            (Dimension::Creation, row.creation_year),
            (Dimension::Closure, row.closure_year),
        ] {
            let Some(year) = year else { continue };
            let slot = usize::try_from(year - YEAR_MIN)
                .ok()
                .filter(|offset| *offset < YEARS);
            if let Some(offset) = slot {
                let slot = u32::try_from(commune * YEARS + offset).expect("fewer than 2^30 slots");
                let closure = if dimension == Dimension::Closure {
                    CLOSURE
                } else {
                    0
                };
                self.pending_years
                    .push(slot << 2 | closure | u32::from(row.ess));
            } else {
                let key = (dimension, u32::try_from(commune).unwrap_or(u32::MAX), year);
                let count = self.other_years.entry(key).or_default();
                count[0] += 1;
                count[1] += u64::from(row.ess);
            }
        }
    }

    /// Adds another worker's aggregates.
    pub(crate) fn merge(&mut self, mut other: Self) {
        self.flush();
        other.flush();
        let stride = self.stride;
        for (commune, touched) in other.touched.iter().enumerate() {
            if !touched {
                continue;
            }
            self.touched[commune] = true;
            add_all(
                &mut self.total[commune..=commune],
                &other.total[commune..=commune],
            );
            let groups = commune * stride..(commune + 1) * stride;
            add_all(&mut self.groups[groups.clone()], &other.groups[groups]);
            let years = commune * YEARS..(commune + 1) * YEARS;
            add_all(
                &mut self.creations[years.clone()],
                &other.creations[years.clone()],
            );
            add_all(&mut self.closures[years.clone()], &other.closures[years]);
        }
        for (key, counts) in other.other_years {
            let mine = self.other_years.entry(key).or_default();
            mine[0] += counts[0];
            mine[1] += counts[1];
        }
        for (key, group) in other.other_bands {
            let mine = self.other_bands.entry(key).or_default();
            for (x, y) in mine.iter_mut().zip(group) {
                *x += y;
            }
        }
    }

    /// The fact rows, by commune code, dimension and key; rows whose figures are all zero are
    /// left out. Built by `threads` threads into one vector allocated once (about 3.5 million
    /// rows for France).
    pub(crate) fn into_facts(
        mut self,
        communes: &Communes,
        themes: &ThemeTable,
        threads: usize,
    ) -> Vec<FactRow> {
        self.flush();
        let mut order: Vec<usize> = (0..self.touched.len())
            .filter(|index| self.touched[*index])
            .collect();
        order.sort_by(|a, b| communes.code(*a).cmp(communes.code(*b)));
        let mut other_bands: BandsByCommune = HashMap::new();
        for ((commune, band), group) in &self.other_bands {
            other_bands
                .entry(*commune)
                .or_default()
                .push((band.clone(), *group));
        }
        let mut other_years: YearsByCommune = HashMap::new();
        for ((dimension, commune, year), counts) in &self.other_years {
            other_years
                .entry(*commune)
                .or_default()
                .push((*dimension, *year, *counts));
        }
        let mut band_order: Vec<usize> = (0..BANDS.len()).collect();
        band_order.sort_by_key(|&band| BANDS[band].0);
        let context = FactsContext {
            themes,
            bands: &other_bands,
            years: &other_years,
            band_order: &band_order,
            year_keys: (YEAR_MIN..).take(YEARS).map(|y| y.to_string()).collect(),
        };
        let rows: Vec<usize> = order
            .iter()
            .map(|&index| {
                let mut rows = 0;
                self.commune_facts(index, &context, &mut |_, _, _| rows += 1);
                rows
            })
            .collect();
        let total: usize = rows.iter().sum();
        let placeholder = FactRow {
            commune: String::new(),
            dimension: Dimension::Total,
            key: String::new(),
            figures: Figures::default(),
        };
        let mut facts = vec![placeholder; total];
        // Contiguous runs of communes with about as many rows each, one per thread.
        let per_thread = total.div_ceil(threads.max(1)).max(1);
        let mut parts: Vec<(&[usize], &mut [FactRow])> = Vec::new();
        let mut rest: &mut [FactRow] = &mut facts;
        let (mut first, mut filled) = (0, 0);
        for (i, count) in rows.iter().enumerate() {
            filled += count;
            if filled >= per_thread || i + 1 == rows.len() {
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
                        let code = communes.code(index);
                        this.commune_facts(index, context, &mut |dimension, key, figures| {
                            let key = match key {
                                Key::Text(text) => text.to_owned(),
                                Key::Year(year) => usize::try_from(year - YEAR_MIN)
                                    .ok()
                                    .and_then(|offset| context.year_keys.get(offset))
                                    .cloned()
                                    .unwrap_or_else(|| year.to_string()),
                            };
                            if let Some(slot) = slots.next() {
                                *slot = FactRow {
                                    commune: code.to_owned(),
                                    dimension,
                                    key,
                                    figures,
                                };
                            }
                        });
                    }
                });
            }
        });
        facts
    }

    /// Calls `emit` with every non-zero fact row of a commune, in order.
    fn commune_facts(
        &self,
        index: usize,
        context: &FactsContext<'_>,
        emit: &mut dyn FnMut(Dimension, Key<'_>, Figures),
    ) {
        let mut push = |dimension: Dimension, key: Key<'_>, figures: Figures| {
            if !figures.is_zero() {
                emit(dimension, key, figures);
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
        push(Dimension::Total, Key::Text(""), total);
        let groups = &self.groups[index * self.stride..(index + 1) * self.stride];
        let ess = |g: &Group| Figures {
            ess_active: g[0],
            ess_employer: g[1],
            ess_jobs_x2: g[2],
            ..Figures::default()
        };
        for family in Family::ALL {
            let figures = ess(&groups[family.index()]);
            push(Dimension::Family, Key::Text(family.key()), figures);
        }
        for (i, key) in SECTION_KEYS.iter().enumerate() {
            push(
                Dimension::Section,
                Key::Text(key),
                ess(&groups[SECTION_OFFSET + i]),
            );
        }
        for (i, theme) in context.themes.themes().iter().enumerate() {
            let figures = ess(&groups[THEME_OFFSET + i]);
            push(Dimension::Theme, Key::Text(&theme.key), figures);
        }
        let key32 = u32::try_from(index).unwrap_or(u32::MAX);
        if let Some(extra) = context.bands.get(&key32) {
            let mut bands: Vec<(&str, Group)> = BANDS
                .iter()
                .enumerate()
                .map(|(i, (key, _, _))| (*key, groups[BAND_OFFSET + i]))
                .chain(extra.iter().map(|(band, group)| (band.as_str(), *group)))
                .collect();
            bands.sort_by_key(|(key, _)| *key);
            for (key, group) in bands {
                push(Dimension::Band, Key::Text(key), ess(&group));
            }
        } else {
            for &band in context.band_order {
                let figures = ess(&groups[BAND_OFFSET + band]);
                push(Dimension::Band, Key::Text(BANDS[band].0), figures);
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
                    push(dimension, Key::Year(year), year_figures(counts));
                }
            } else {
                for (count, year) in dense.iter().zip(YEAR_MIN..) {
                    let counts = [u64::from(count[0]), u64::from(count[1])];
                    push(dimension, Key::Year(year), year_figures(counts));
                }
            }
        }
    }
}

/// What building fact rows needs besides the arrays.
struct FactsContext<'a> {
    themes: &'a ThemeTable,
    /// Bands and years outside the dense arrays, by commune.
    bands: &'a BandsByCommune,
    years: &'a YearsByCommune,
    /// Indexes of [`BANDS`] in the order of their keys.
    band_order: &'a [usize],
    /// The keys of the years of the dense window.
    year_keys: Vec<String>,
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
