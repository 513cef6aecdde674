//! The generation itself: legal units one after the other, each with its establishments,
//! written as they are drawn (nothing is kept but the current unit).

use essor_domain::referential::Referential;

use crate::alias::Alias;
use crate::csvbuf::{ND, empty, end_row, masked, push_padded, push_u64, push2, raw, text};
use crate::dates::{SNAPSHOT, days_from_civil, push_date, year_of};
use crate::geo::Geography;
use crate::model::{
    Act, BAND_EMPTY, BAND_NN, BANDS, CATEGORIES, CLOSED_BANDS, ESUS_CATEGORIES, ESUS_RATE, Era,
    FOREIGN, Kind, NAF_REV1, NAF_REV1_ASSOCIATIONS, NAP, NATIONAL, NON_EMPLOYER_BANDS,
    REFERENCE_TERRITORY, Size, ZoneWeights, employer_bands, is_excluded_activity, model,
};
use crate::names::{
    ASSOCIATION_HEADS, ASSOCIATION_OBJECTS, BUSINESS_WORDS, COMPANY_PREFIXES, COMPLEMENTS,
    FIRST_NAMES_F, FIRST_NAMES_M, LOCALITIES, PUBLIC_HEADS, STREET_TYPES, STREETS, SURNAMES,
};
use crate::rng::Rng;
use crate::sink::Output;
use crate::{GenerateError, GeneratorConfig};

/// Share of legal units left out of `StockUniteLegale` (their establishments stay).
const MISSING_UNIT_RATE: f64 = 0.0004;
/// Share of establishments with an address abroad (no commune code).
const FOREIGN_RATE: f64 = 0.0005;
/// Share of closed establishments whose commune has since merged (a former code).
const FORMER_COMMUNE_RATE: f64 = 0.002;
/// Share of legal-person names and signs with commas, quotes or backslashes.
const ODD_NAME_RATE: f64 = 0.005;
/// Most establishments of one unit (the NIC has four digits before its key).
const MAX_ESTABLISHMENTS_PER_UNIT: u64 = 9_000;
/// Units with at least this many establishments are networks: their establishments are
/// spread over France rather than around their head office.
const NETWORK_MIN: u64 = 11;
/// Probability that an establishment of a local unit is in its head office's commune.
const SAME_COMMUNE: f64 = 0.6;
/// First 8-digit SIREN prefix, and the span the prefixes are spread over.
const SIREN_FIRST: u64 = 10_000_000;
const SIREN_SPAN: u64 = 89_000_000;
const SIREN_LA_POSTE: u64 = 35_600_000;

/// The establishment counts of a kind's network units: its ranges clipped to
/// [`NETWORK_MIN`], with their weights.
struct NetworkCounts {
    alias: Alias,
    ranges: Vec<(u64, u64)>,
}

/// Every table drawn from, built once.
pub(crate) struct Tables {
    pub geo: Geography,
    zones: [(Alias, ZoneWeights); 2],
    /// Categories of network units, by zone.
    network_zones: [Alias; 2],
    kinds: Vec<(Alias, Alias)>,
    /// Establishment counts of network units, by kind.
    network_counts: Vec<Option<NetworkCounts>>,
    /// With a restriction, the probability that the next unit has its head office in it
    /// (otherwise it is a network unit from elsewhere whose establishments may fall in it).
    inside: Option<f64>,
    employer_bands: [Alias; 4],
    non_employer_bands: Alias,
    closed_bands: Alias,
    street_types: Alias,
    periods: [Alias; 3],
}

const KINDS: [Kind; 17] = [
    Kind::Individual,
    Kind::Company,
    Kind::Civil,
    Kind::Farm,
    Kind::Association,
    Kind::Foundation,
    Kind::Mutual,
    Kind::CoopBank,
    Kind::CoopAgri,
    Kind::CoopWorker,
    Kind::CoopConsumer,
    Kind::CoopHousing,
    Kind::CoopOther,
    Kind::Public,
    Kind::Condominium,
    Kind::Union,
    Kind::Other,
];

/// Boundaries of the creation periods of [`Era::periods`].
const PERIOD_STARTS: [i64; 7] = [
    days_from_civil(1900, 1, 2),
    days_from_civil(1950, 1, 1),
    days_from_civil(1980, 1, 1),
    days_from_civil(2000, 1, 1),
    days_from_civil(2010, 1, 1),
    days_from_civil(2020, 1, 1),
    SNAPSHOT,
];

impl Tables {
    pub(crate) fn new(
        referential: &Referential,
        config: &GeneratorConfig,
    ) -> Result<Self, GenerateError> {
        let geo = Geography::new(referential, config.communes.as_deref())?;
        let shares = |weights: ZoneWeights, network: bool| -> Vec<f64> {
            CATEGORIES
                .iter()
                .map(|(_, share, kind)| {
                    let share = if kind.is_ess_family() {
                        share * weights.ess_categories
                    } else {
                        *share
                    };
                    if network {
                        share * network_probability(*kind)
                    } else {
                        share
                    }
                })
                .collect()
        };
        let kinds = KINDS
            .iter()
            .enumerate()
            .map(|(i, &kind)| {
                debug_assert_eq!(kind as usize, i);
                let m = model(kind);
                let activities: Vec<f64> = m.activities.iter().map(|a| a.weight).collect();
                let counts: Vec<f64> = m.establishments.iter().map(|r| r.2).collect();
                (Alias::new(&activities), Alias::new(&counts))
            })
            .collect();
        let network_counts = KINDS
            .iter()
            .map(|&kind| {
                let mut ranges = Vec::new();
                let mut weights = Vec::new();
                for &(lo, hi, w) in model(kind).establishments {
                    let (lo, hi) = (u64::from(lo).max(NETWORK_MIN), u64::from(hi));
                    if lo <= hi {
                        ranges.push((lo, hi));
                        weights.push(w * range_share(model(kind).establishments, lo, hi));
                    }
                }
                (!ranges.is_empty()).then(|| NetworkCounts {
                    alias: Alias::new(&weights),
                    ranges,
                })
            })
            .collect();
        let national = shares(NATIONAL, false);
        let network_rate =
            shares(NATIONAL, true).iter().sum::<f64>() / national.iter().sum::<f64>();
        let inside = geo
            .restricted_share()
            .map(|f| f / (f + (1.0 - f) * network_rate));
        Ok(Self {
            geo,
            zones: [
                (Alias::new(&national), NATIONAL),
                (
                    Alias::new(&shares(REFERENCE_TERRITORY, false)),
                    REFERENCE_TERRITORY,
                ),
            ],
            network_zones: [
                Alias::new(&shares(NATIONAL, true)),
                Alias::new(&shares(REFERENCE_TERRITORY, true)),
            ],
            kinds,
            network_counts,
            inside,
            employer_bands: [Size::Micro, Size::Small, Size::Medium, Size::Large]
                .map(|size| Alias::new(&employer_bands(size))),
            non_employer_bands: Alias::new(&NON_EMPLOYER_BANDS),
            closed_bands: Alias::new(&CLOSED_BANDS),
            street_types: Alias::new(&STREET_TYPES.iter().map(|entry| entry.1).collect::<Vec<_>>()),
            periods: [Era::Young, Era::Middle, Era::Old].map(|era| Alias::new(&era.periods())),
        })
    }

    fn creation_day(&self, era: Era, rng: &mut Rng) -> i64 {
        let period = self.periods[era as usize].sample(rng);
        let (start, end) = (PERIOD_STARTS[period], PERIOD_STARTS[period + 1]);
        day_between(rng, start, end)
    }
}

/// Probability that a unit of this kind is a network (at least [`NETWORK_MIN`] establishments).
fn network_probability(kind: Kind) -> f64 {
    let ranges = model(kind).establishments;
    let total: f64 = ranges.iter().map(|r| r.2).sum();
    let network: f64 = ranges
        .iter()
        .map(|&(lo, hi, w)| {
            let lo_n = u64::from(lo).max(NETWORK_MIN);
            let hi = u64::from(hi);
            if lo_n > hi {
                0.0
            } else {
                w * range_share(ranges, lo_n, hi)
            }
        })
        .sum();
    network / total
}

/// The share of the integers of the range of `ranges` that contains `lo..=hi` lying in it.
fn range_share(ranges: &[(u32, u32, f64)], lo: u64, hi: u64) -> f64 {
    let full = ranges
        .iter()
        .find(|r| u64::from(r.0) <= lo && hi <= u64::from(r.1))
        .map_or(1, |r| u64::from(r.1) - u64::from(r.0) + 1);
    (hi - lo + 1) as f64 / full as f64
}

fn day_between(rng: &mut Rng, start: i64, end: i64) -> i64 {
    if end <= start {
        return start;
    }
    start + i64::try_from(rng.below(u64::try_from(end - start).unwrap_or(1))).unwrap_or(0)
}

/// A day between `start` and `end`, more often near `end` (closures and updates are recent).
fn recent_day_between(rng: &mut Rng, start: i64, end: i64) -> i64 {
    if end <= start {
        return start;
    }
    let u = rng.unit().sqrt();
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a fraction of a span of days"
    )]
    let offset = ((end - start) as f64 * u) as i64;
    (start + offset).min(end)
}

/// What changes while generating.
pub(crate) struct State {
    pub rng: Rng,
    pub est: Output,
    pub units: Output,
    scratch: Vec<u8>,
    name: Vec<u8>,
    /// Establishments of the current unit that are written: ordinal and place.
    kept: Vec<(u64, usize)>,
    siren_prefix: u64,
    siren_step_max: u64,
    pub missing_units: u64,
    pub active: u64,
    pub employer: u64,
}

impl State {
    pub(crate) fn new(seed: u64, establishments: u64, est: Output, units: Output) -> Self {
        // Mean step between SIREN prefixes, so that the units spread over the span.
        let expected_units = (establishments as f64 * 0.8).max(1.0);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a positive ratio below 2^53"
        )]
        let mean = ((SIREN_SPAN as f64 / expected_units) as u64).max(1);
        Self {
            rng: Rng::new(seed),
            est,
            units,
            scratch: Vec::with_capacity(256),
            name: Vec::with_capacity(256),
            kept: Vec::new(),
            siren_prefix: SIREN_FIRST,
            siren_step_max: 2 * mean - 1,
            missing_units: 0,
            active: 0,
            employer: 0,
        }
    }

    fn next_siren(&mut self) -> Result<[u8; 9], GenerateError> {
        let step = self.rng.range(1, self.siren_step_max);
        // Near the end of the span (more units than expected), numbers follow each other.
        self.siren_prefix += if self.siren_prefix + step > SIREN_FIRST + SIREN_SPAN {
            1
        } else {
            step
        };
        if self.siren_prefix == SIREN_LA_POSTE {
            self.siren_prefix += 1;
        }
        if self.siren_prefix > 99_999_999 {
            return Err(GenerateError::TooMany {
                requested: 0,
                max: crate::MAX_ESTABLISHMENTS,
            });
        }
        let mut siren = [b'0'; 9];
        let mut value = self.siren_prefix;
        for slot in siren[..8].iter_mut().rev() {
            *slot = b'0' + crate::csvbuf::digit(value % 10);
            value /= 10;
        }
        siren[8] = luhn_key(&siren[..8]);
        Ok(siren)
    }
}

/// The Luhn key completing `digits` (ASCII) so that the whole number passes the check.
pub(crate) fn luhn_key(digits: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    #[allow(clippy::cast_possible_truncation, reason = "a digit")]
    let key = ((10 - sum % 10) % 10) as u8;
    b'0' + key
}

/// An activity as written: code and nomenclature (both empty for an unknown activity).
#[derive(Debug, Clone, Copy, Default)]
struct Activity {
    code: &'static str,
    nomenclature: &'static str,
}

impl Activity {
    fn rev2(code: &'static str) -> Self {
        Self {
            code,
            nomenclature: "NAFRev2",
        }
    }
}

/// How a creation date is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Date,
    Unknown,
    Empty,
}

/// The unit being generated.
struct Unit {
    siren: [u8; 9],
    category: &'static str,
    kind: Kind,
    active: bool,
    created: i64,
    created_shown: Shown,
    /// Cessation day (ceased unit) or the snapshot.
    end: i64,
    partial: bool,
    primary: usize,
    head: u64,
    place: usize,
    employer_factor: f64,
}

/// What the unit's row needs from its establishments.
#[derive(Default)]
struct Rollup {
    head_nic: [u8; 5],
    head_activity: Activity,
    band: Option<usize>,
    any_nn: bool,
    employer_establishments: u64,
}

/// Generates one legal unit and up to `remaining` of its establishments; returns how many
/// were written (with a restriction, only those in it are).
pub(crate) fn unit(
    tables: &Tables,
    state: &mut State,
    remaining: u64,
) -> Result<u64, GenerateError> {
    // With a restriction: either a unit with its head office in it, or a network unit from
    // elsewhere, in the proportions of a whole-country generation.
    let network_only = tables.inside.is_some_and(|p| !state.rng.chance(p));
    let place = if network_only {
        tables.geo.draw_outside(&mut state.rng)
    } else {
        tables.geo.draw_restricted(&mut state.rng)
    };
    let zone = usize::from(tables.geo.places[place].reference);
    let (categories, weights) = &tables.zones[zone];
    let index = if network_only {
        tables.network_zones[zone].sample(&mut state.rng)
    } else {
        categories.sample(&mut state.rng)
    };
    let (mut category, _, kind) = CATEGORIES[index];
    let departement = tables.geo.places[place].departement();
    let local_law = matches!(departement, "57" | "67" | "68");
    if category == "9220" && local_law && state.rng.chance(0.9) {
        category = "9260";
    } else if category == "9260" && !local_law {
        category = "9220";
    }
    let m = model(kind);
    let (activities, counts) = &tables.kinds[kind as usize];
    let (lo, hi) =
        if let (Some(network), true) = (&tables.network_counts[kind as usize], network_only) {
            network.ranges[network.alias.sample(&mut state.rng)]
        } else {
            let range = m.establishments[counts.sample(&mut state.rng)];
            (u64::from(range.0), u64::from(range.1))
        };
    let count = state.rng.range(lo, hi).min(MAX_ESTABLISHMENTS_PER_UNIT);
    let mut kept = std::mem::take(&mut state.kept);
    places_of(tables, &mut state.rng, place, count, remaining, &mut kept);
    if kept.is_empty() {
        state.kept = kept;
        return Ok(0);
    }
    let siren = state.next_siren()?;
    let active = state.rng.chance(m.unit_active);
    let created = tables.creation_day(m.era, &mut state.rng);
    let created_shown = match state.rng.below(1000) {
        0..=3 => Shown::Unknown,
        4..=7 => Shown::Empty,
        _ => Shown::Date,
    };
    let end = if active {
        SNAPSHOT
    } else {
        recent_day_between(&mut state.rng, created + 30, SNAPSHOT)
    };
    let head = if count == 1 || state.rng.chance(0.7) {
        0
    } else {
        count - 1
    };
    let owner = Unit {
        siren,
        category,
        kind,
        active,
        created,
        created_shown,
        end,
        partial: state.rng.chance(m.partial),
        primary: activities.sample(&mut state.rng),
        head,
        place,
        employer_factor: weights.employer,
    };
    let mut rollup = Rollup {
        head_nic: nic_of(&siren, head + 1),
        head_activity: Activity::rev2(m.activities[owner.primary].code),
        ..Rollup::default()
    };
    for &(i, at) in &kept {
        establishment(tables, state, &owner, i, count, at, &mut rollup)?;
    }
    let written = kept.len() as u64;
    state.kept = kept;
    if state.rng.chance(MISSING_UNIT_RATE) {
        state.missing_units += 1;
    } else {
        unit_row(tables, state, &owner, &rollup, weights)?;
    }
    Ok(written)
}

/// Where each of a unit's establishments is, with its ordinal; with a restriction, only those
/// in it are kept, `remaining` at most. A network's establishments are anywhere in France, a
/// local unit's near its head office.
fn places_of(
    tables: &Tables,
    rng: &mut Rng,
    head_office: usize,
    count: u64,
    remaining: u64,
    kept: &mut Vec<(u64, usize)>,
) {
    kept.clear();
    let network = count >= NETWORK_MIN;
    for i in 0..count {
        let at = if i == 0 {
            head_office
        } else if network {
            tables.geo.draw(rng)
        } else if rng.chance(SAME_COMMUNE) {
            head_office
        } else {
            tables.geo.draw_in_zone_of(head_office, rng)
        };
        if tables.geo.keeps(at) {
            kept.push((i, at));
            if kept.len() as u64 == remaining {
                break;
            }
        }
    }
}

/// The NIC of a unit's establishment: its ordinal on four digits and the key that makes the
/// SIRET pass the Luhn check.
fn nic_of(siren: &[u8; 9], ordinal: u64) -> [u8; 5] {
    let mut digits = [b'0'; 14];
    digits[..9].copy_from_slice(siren);
    let mut value = ordinal;
    for slot in digits[9..13].iter_mut().rev() {
        *slot = b'0' + crate::csvbuf::digit(value % 10);
        value /= 10;
    }
    let mut nic = [0u8; 5];
    nic[..4].copy_from_slice(&digits[9..13]);
    nic[4] = luhn_key(&digits[..13]);
    nic
}

#[allow(
    clippy::too_many_lines,
    reason = "one line of the file, field after field"
)]
fn establishment(
    tables: &Tables,
    state: &mut State,
    owner: &Unit,
    i: u64,
    count: u64,
    place_index: usize,
    rollup: &mut Rollup,
) -> Result<(), GenerateError> {
    let State {
        rng, est, scratch, ..
    } = state;
    let m = model(owner.kind);
    let (activities, _) = &tables.kinds[owner.kind as usize];
    let is_head = i == owner.head;
    let place = &tables.geo.places[place_index];
    let act: &Act = if i == 0 || rng.chance(0.75) {
        &m.activities[owner.primary]
    } else {
        &m.activities[activities.sample(rng)]
    };
    // Dates: establishments are numbered in creation order.
    let created = if i == 0 {
        owner.created
    } else {
        let span = (owner.end - owner.created).max(1) as f64;
        #[allow(
            clippy::cast_possible_truncation,
            reason = "a fraction of a span of days"
        )]
        let offset = (span * (i as f64 + rng.unit()) / count as f64) as i64;
        (owner.created + offset).min(owner.end)
    };
    let active = owner.active && (is_head || rng.chance(m.secondary_active));
    let closed_on = if active {
        None
    } else {
        Some(recent_day_between(rng, created, owner.end))
    };
    let last_change = closed_on.unwrap_or(created);
    // Activity as written, with the nomenclature of its time.
    let activity = match closed_on {
        Some(day) if day < days_from_civil(1993, 1, 1) => Activity {
            code: rng.pick_copy(NAP),
            nomenclature: "NAP",
        },
        Some(day) if day < days_from_civil(2008, 1, 1) => Activity {
            code: if owner.kind == Kind::Association {
                rng.pick_copy(NAF_REV1_ASSOCIATIONS)
            } else {
                rng.pick_copy(NAF_REV1)
            },
            nomenclature: if day < days_from_civil(2003, 1, 1) {
                "NAF1993"
            } else {
                "NAFRev1"
            },
        },
        _ => match rng.below(1000) {
            0..=2 => Activity {
                code: rng.pick_copy(NAF_REV1),
                nomenclature: "NAFRev1",
            },
            3 => Activity::rev2("00.00Z"),
            4 | 5 => Activity {
                code: "",
                nomenclature: "",
            },
            _ => Activity::rev2(act.code),
        },
    };
    // Employer status and size band.
    let employer = if active {
        let p = (act.employer * m.employer_scale * owner.employer_factor).min(0.98);
        match rng.below(1000) {
            0..=2 => None,
            _ => Some(rng.chance(p)),
        }
    } else {
        match rng.below(100) {
            0..=3 => Some(true),
            4..=63 => Some(false),
            _ => None,
        }
    };
    let band = if !active {
        tables.closed_bands.sample(rng)
    } else if employer == Some(true) {
        tables.employer_bands[act.size as usize].sample(rng)
    } else {
        tables.non_employer_bands.sample(rng)
    };
    if active {
        state.active += 1;
        if employer == Some(true) {
            state.employer += 1;
            rollup.employer_establishments += 1;
        }
        if (1..=15).contains(&band) {
            rollup.band = Some(rollup.band.map_or(band, |b| b.max(band)));
        }
        rollup.any_nn |= band == BAND_NN;
    }
    let abroad = rng.chance(FOREIGN_RATE);
    let former =
        !abroad && !active && rng.chance(FORMER_COMMUNE_RATE) && !tables.geo.former.is_empty();
    let mask = owner.partial;
    let buf = &mut est.buf;

    // siren, nic, siret
    let nic = nic_of(&owner.siren, i + 1);
    if is_head {
        rollup.head_activity = activity;
    }
    raw(buf, &owner.siren);
    raw(buf, &nic);
    buf.extend_from_slice(&owner.siren);
    raw(buf, &nic);
    // statutDiffusionEtablissement
    raw(buf, if mask { b"P" } else { b"O" });
    // dateCreationEtablissement
    match rng.below(1000) {
        0..=2 => empty(buf),
        3 | 4 => raw(buf, b"1900-01-01"),
        _ => {
            push_date(buf, created);
            buf.push(b',');
        }
    }
    // trancheEffectifsEtablissement, anneeEffectifsEtablissement
    raw(buf, BANDS[band].as_bytes());
    if band == BAND_NN || band == BAND_EMPTY {
        empty(buf);
    } else {
        let year = if active {
            if rng.chance(0.9) { 2023 } else { 2022 }
        } else {
            (year_of(last_change) - 1).clamp(1990, 2023)
        };
        push_u64(buf, u64::try_from(year).unwrap_or(2023));
        buf.push(b',');
    }
    // activitePrincipaleRegistreMetiersEtablissement
    let craft = matches!(
        &act.code[..2],
        "10" | "16" | "25" | "33" | "43" | "45" | "95" | "96"
    );
    if craft && activity.nomenclature == "NAFRev2" && rng.chance(0.6) {
        let code = act.code.as_bytes();
        buf.extend_from_slice(&[code[0], code[1], code[3], code[4], code[5]]);
        buf.push(b'A' + crate::csvbuf::digit(rng.below(3)));
        buf.push(b',');
    } else {
        empty(buf);
    }
    // dateDernierTraitementEtablissement
    let treated = recent_day_between(rng, last_change.max(days_from_civil(2005, 1, 1)), SNAPSHOT);
    push_timestamp(buf, rng, treated);
    // etablissementSiege, nombrePeriodesEtablissement
    raw(buf, if is_head { b"true" } else { b"false" });
    let periods = 1 + u64::from(!active) + if rng.chance(0.3) { rng.range(1, 3) } else { 0 };
    push_u64(buf, periods);
    buf.push(b',');

    // Address.
    if abroad {
        let (country_code, country, town) = *rng.pick(FOREIGN);
        // complement, numero, indice, dernier numero, indice dernier
        for _ in 0..5 {
            empty(buf);
        }
        empty(buf); // typeVoie
        text(buf, b"AVENUE DES NATIONS");
        empty(buf); // codePostal
        empty(buf); // libelleCommune
        raw(buf, town.as_bytes());
        empty(buf); // distributionSpeciale
        empty(buf); // codeCommune
        empty(buf); // codeCedex
        empty(buf); // libelleCedex
        raw(buf, country_code.as_bytes());
        raw(buf, country.as_bytes());
        empty(buf); // identifiantAdresse
        empty(buf); // x
        empty(buf); // y
    } else {
        let complement = rng.chance(0.07).then(|| *rng.pick(COMPLEMENTS));
        masked(buf, complement.map(str::as_bytes), mask);
        let number = rng.chance(0.85).then(|| {
            if rng.chance(0.8) {
                rng.range(1, 40)
            } else {
                rng.range(41, 250)
            }
        });
        if mask {
            raw(buf, ND);
        } else if let Some(n) = number {
            push_u64(buf, n);
            buf.push(b',');
        } else {
            empty(buf);
        }
        let repetition = (number.is_some() && rng.chance(0.035)).then(|| {
            if rng.chance(0.85) {
                &b"B"[..]
            } else {
                &b"T"[..]
            }
        });
        masked(buf, repetition, mask);
        let last_number = number.filter(|_| rng.chance(0.005)).map(|n| n + 2);
        if let Some(n) = last_number {
            if mask {
                raw(buf, ND);
            } else {
                push_u64(buf, n);
                buf.push(b',');
            }
        } else {
            empty(buf);
        }
        empty(buf); // indiceRepetitionDernierNumeroVoie
        let street_type = if rng.chance(0.96) {
            Some(STREET_TYPES[tables.street_types.sample(rng)].0)
        } else {
            None
        };
        if mask {
            raw(buf, ND);
            raw(buf, ND);
        } else {
            match street_type {
                Some(kind) => raw(buf, kind.as_bytes()),
                None => empty(buf),
            }
            // Street words never need quoting (checked by a test).
            if street_type == Some("LD") || street_type.is_none() {
                raw(buf, rng.pick(LOCALITIES).as_bytes());
            } else {
                raw(buf, rng.pick(STREETS).as_bytes());
            }
        }
        // codePostal
        let code: &[u8; 5] = if former {
            rng.pick(&tables.geo.former)
        } else {
            &place.code
        };
        if mask {
            raw(buf, ND);
        } else {
            raw(buf, &place.postal);
        }
        // libelleCommune (never needs quoting), libelleCommuneEtranger
        raw(buf, tables.geo.label(place));
        empty(buf);
        // distributionSpeciale
        let special = rng.chance(0.02);
        if special {
            if mask {
                raw(buf, ND);
            } else {
                buf.extend_from_slice(if rng.chance(0.5) { b"BP " } else { b"CS " });
                push_u64(buf, rng.range(1, 99_999));
                buf.push(b',');
            }
        } else {
            empty(buf);
        }
        raw(buf, code);
        // codeCedex, libelleCedex
        if rng.chance(0.01) {
            if mask {
                raw(buf, ND);
                raw(buf, ND);
            } else {
                buf.extend_from_slice(&place.postal[..3]);
                push_padded(buf, rng.range(1, 99), 2);
                buf.push(b',');
                buf.extend_from_slice(tables.geo.label(place));
                buf.extend_from_slice(b" CEDEX ");
                push_u64(buf, rng.range(1, 9));
                buf.push(b',');
            }
        } else {
            empty(buf);
            empty(buf);
        }
        // codePaysEtranger, libellePaysEtranger
        empty(buf);
        empty(buf);
        // identifiantAdresseEtablissement
        if mask {
            raw(buf, ND);
        } else if rng.chance(if active { 0.55 } else { 0.1 }) {
            buf.extend_from_slice(code);
            buf.push(b'_');
            push_padded(buf, rng.range(1, 9999), 4);
            buf.push(b'_');
            push_padded(buf, number.unwrap_or(99_999), 5);
            buf.push(b',');
        } else {
            empty(buf);
        }
        // Lambert-93 coordinates.
        if mask {
            raw(buf, ND);
            raw(buf, ND);
        } else {
            match place.lambert {
                Some((x, y, spread)) if rng.chance(if active { 0.93 } else { 0.5 }) => {
                    let spread = f64::from(spread);
                    let dx = (rng.unit() * 2.0 - 1.0) * spread;
                    let dy = (rng.unit() * 2.0 - 1.0) * spread;
                    push_coordinate(buf, f64::from(x) + dx);
                    push_coordinate(buf, f64::from(y) + dy);
                }
                _ => {
                    empty(buf);
                    empty(buf);
                }
            }
        }
    }
    // Second address (fields 31 to 44), rare and never for masked units.
    if !mask && !abroad && rng.chance(0.003) {
        empty(buf); // complementAdresse2
        push_u64(buf, rng.range(1, 60));
        buf.push(b',');
        empty(buf); // indiceRepetition2
        raw(buf, b"RUE");
        text(buf, rng.pick(STREETS).as_bytes());
        raw(buf, &place.postal);
        raw(buf, tables.geo.label(place));
        empty(buf); // libelleCommuneEtranger2
        buf.extend_from_slice(b"BP ");
        push_u64(buf, rng.range(1, 999));
        buf.push(b',');
        raw(buf, &place.code);
        for _ in 0..4 {
            empty(buf);
        }
    } else {
        buf.extend_from_slice(&[b','; 14]);
    }
    // dateDebut, etatAdministratifEtablissement
    match closed_on {
        Some(_) if rng.chance(0.005) => empty(buf),
        Some(day) => {
            push_date(buf, day);
            buf.push(b',');
        }
        None => {
            let start = if rng.chance(0.35) {
                day_between(rng, created, SNAPSHOT)
            } else {
                created
            };
            push_date(buf, start);
            buf.push(b',');
        }
    }
    raw(buf, if active { b"A" } else { b"F" });
    // enseigne1, enseigne2, enseigne3, denominationUsuelle
    for p in [0.12, 0.01, 0.002] {
        if rng.chance(p) {
            if mask {
                raw(buf, ND);
            } else {
                scratch.clear();
                sign(rng, scratch);
                text(buf, scratch);
            }
        } else {
            empty(buf);
        }
    }
    if rng.chance(0.05) {
        if mask {
            raw(buf, ND);
        } else {
            scratch.clear();
            sign(rng, scratch);
            text(buf, scratch);
        }
    } else {
        empty(buf);
    }
    // activitePrincipale, nomenclature, caractereEmployeur, NAF 2025
    raw(buf, activity.code.as_bytes());
    raw(buf, activity.nomenclature.as_bytes());
    raw(
        buf,
        match employer {
            Some(true) => b"O",
            Some(false) => b"N",
            None => b"",
        },
    );
    if active {
        push_naf25(buf, activity);
    }
    buf.push(b',');
    end_row(buf);
    est.row_done()
}

/// The NAF 2025 code INSEE derived for an active establishment: here the NAF rév. 2 code with
/// the sub-class letter `Z` turned into `Y`, a stand-in (the panorama does not read it).
fn push_naf25(buf: &mut Vec<u8>, activity: Activity) {
    let code = activity.code.as_bytes();
    if activity.nomenclature != "NAFRev2" || code.len() != 6 || activity.code == "00.00Z" {
        return;
    }
    buf.extend_from_slice(&code[..5]);
    buf.push(if code[5] == b'Z' { b'Y' } else { code[5] });
}

/// A Lambert-93 coordinate with one decimal, then the separator.
fn push_coordinate(buf: &mut Vec<u8>, value: f64) {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "Lambert-93 coordinates of France are positive and below 10^7"
    )]
    let tenths = (value.max(0.0) * 10.0).round() as u64;
    push_u64(buf, tenths / 10);
    buf.push(b'.');
    buf.push(b'0' + crate::csvbuf::digit(tenths % 10));
    buf.push(b',');
}

/// `2024-03-05T12:34:56`, with milliseconds for about four rows in ten.
fn push_timestamp(buf: &mut Vec<u8>, rng: &mut Rng, day: i64) {
    push_date(buf, day);
    buf.push(b'T');
    let seconds = rng.below(86_400);
    push2(buf, seconds / 3600);
    buf.push(b':');
    push2(buf, seconds / 60 % 60);
    buf.push(b':');
    push2(buf, seconds % 60);
    if rng.chance(0.4) {
        buf.push(b'.');
        push_padded(buf, rng.below(1000), 3);
    }
    buf.push(b',');
}

/// A shop sign or usual name.
fn sign(rng: &mut Rng, out: &mut Vec<u8>) {
    match rng.below(4) {
        0 => {
            out.extend_from_slice(b"CHEZ ");
            let names = if rng.chance(0.5) {
                FIRST_NAMES_F
            } else {
                FIRST_NAMES_M
            };
            out.extend_from_slice(rng.pick(names).as_bytes());
        }
        1 => out.extend_from_slice(rng.pick(SURNAMES).as_bytes()),
        _ => {
            out.extend_from_slice(rng.pick(BUSINESS_WORDS).as_bytes());
            out.push(b' ');
            out.extend_from_slice(rng.pick(BUSINESS_WORDS).as_bytes());
        }
    }
    if rng.chance(ODD_NAME_RATE) {
        oddify(rng, out, false);
    }
}

/// Gives a name the characters that break naive parsers: commas, double quotes, backslashes
/// (INSEE writes `\` as an ordinary character).
fn oddify(rng: &mut Rng, out: &mut Vec<u8>, association: bool) {
    match rng.below(6) {
        0 | 1 if association => {
            out.clear();
            out.extend_from_slice(br#"ASSOCIATION "LES AMIS, DU \ QUARTIER""#);
        }
        0 => {
            out.extend_from_slice(b" \"");
            out.extend_from_slice(rng.pick(BUSINESS_WORDS).as_bytes());
            out.extend_from_slice(b", \\ ");
            out.extend_from_slice(rng.pick(BUSINESS_WORDS).as_bytes());
            out.push(b'"');
        }
        1 => {
            out.extend_from_slice(b"\\, ");
            out.extend_from_slice(rng.pick(BUSINESS_WORDS).as_bytes());
        }
        2 => out.extend_from_slice(b" \\"),
        3 => {
            out.extend_from_slice(b", ");
            out.extend_from_slice(rng.pick(BUSINESS_WORDS).as_bytes());
            out.extend_from_slice(b" \\");
        }
        4 => {
            out.insert(0, b'"');
            out.push(b'"');
        }
        _ => {
            out.extend_from_slice(b" \"");
            out.extend_from_slice(rng.pick(BUSINESS_WORDS).as_bytes());
            out.push(b'"');
        }
    }
}

/// The denomination of a legal person.
fn denomination(rng: &mut Rng, out: &mut Vec<u8>, kind: Kind, category: &str, place: &str) {
    let word = |rng: &mut Rng| *rng.pick(BUSINESS_WORDS);
    let surname = |rng: &mut Rng| *rng.pick(SURNAMES);
    let mut push = |parts: &[&str]| {
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(part.as_bytes());
        }
    };
    match kind {
        Kind::Individual => {}
        Kind::Company | Kind::Other => match rng.below(5) {
            0 => push(&[word(rng), word(rng)]),
            1 => push(&[surname(rng), word(rng)]),
            2 => push(&[*rng.pick(COMPANY_PREFIXES), surname(rng)]),
            3 => push(&[word(rng), place]),
            _ => push(&[surname(rng), "ET FILS"]),
        },
        Kind::Civil => push(&[
            "SCI",
            if rng.chance(0.5) {
                word(rng)
            } else {
                surname(rng)
            },
        ]),
        Kind::Farm => match category {
            "6533" => push(&["GAEC DES", word(rng)]),
            _ => push(&["EARL", surname(rng)]),
        },
        Kind::Association => {
            let head = *rng.pick(ASSOCIATION_HEADS);
            let object = *rng.pick(ASSOCIATION_OBJECTS);
            if rng.chance(0.6) {
                push(&[head, object, "DE", place]);
            } else {
                push(&[head, object]);
            }
        }
        Kind::Foundation => push(&["FONDATION", surname(rng)]),
        Kind::Mutual => push(&["MUTUELLE", word(rng)]),
        Kind::CoopBank => match rng.below(3) {
            0 => push(&["CAISSE DE CREDIT MUTUEL DE", place]),
            1 => push(&["CAISSE REGIONALE DE CREDIT AGRICOLE MUTUEL", word(rng)]),
            _ => push(&["BANQUE POPULAIRE", word(rng)]),
        },
        Kind::CoopAgri => match category {
            "6316" => push(&["CUMA DE", place]),
            _ => push(&["COOPERATIVE AGRICOLE", word(rng)]),
        },
        Kind::CoopWorker => match rng.below(3) {
            0 => push(&["SCOP", word(rng), word(rng)]),
            1 => push(&[word(rng), "SCIC"]),
            _ => push(&["COOPERATIVE D'ACTIVITE ET D'EMPLOI", word(rng)]),
        },
        Kind::CoopConsumer => push(&["EPICERIE COOPERATIVE DE", place]),
        Kind::CoopHousing => push(&["SOCIETE COOPERATIVE D'HLM", word(rng)]),
        Kind::CoopOther => push(&["COOPERATIVE", word(rng), word(rng)]),
        Kind::Public => push(&[*rng.pick(PUBLIC_HEADS), place]),
        Kind::Condominium => {
            if category == "9110" {
                out.extend_from_slice(b"SYNDICAT DES COPROPRIETAIRES ");
                push_u64(out, rng.range(1, 120));
                out.extend_from_slice(b" RUE ");
                out.extend_from_slice(rng.pick(STREETS).as_bytes());
            } else {
                push(&["ASSOCIATION SYNDICALE LIBRE", word(rng)]);
            }
        }
        Kind::Union => push(&["SYNDICAT", word(rng), "DE", place]),
    }
    if rng.chance(ODD_NAME_RATE) {
        oddify(rng, out, kind == Kind::Association);
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one line of the file, field after field"
)]
fn unit_row(
    tables: &Tables,
    state: &mut State,
    owner: &Unit,
    rollup: &Rollup,
    weights: &ZoneWeights,
) -> Result<(), GenerateError> {
    let State {
        rng, units, name, ..
    } = state;
    let m = model(owner.kind);
    let place = &tables.geo.places[owner.place];
    let mask = owner.partial;
    let person = owner.kind.is_person();
    let purged = !owner.active && owner.end < days_from_civil(2002, 1, 1) && rng.chance(0.5);
    let activity = rollup.head_activity;
    let buf = &mut units.buf;
    // siren, statutDiffusion, unitePurgee, dateCreation
    raw(buf, &owner.siren);
    raw(buf, if mask { b"P" } else { b"O" });
    raw(buf, if purged { b"true" } else { b"" });
    match owner.created_shown {
        Shown::Date => {
            push_date(buf, owner.created);
            buf.push(b',');
        }
        Shown::Unknown => raw(buf, b"1900-01-01"),
        Shown::Empty => empty(buf),
    }
    // sigle
    if !person && rng.chance(0.06) {
        for _ in 0..rng.range(3, 5) {
            buf.push(b'A' + crate::csvbuf::digit(rng.below(26)));
        }
        buf.push(b',');
    } else {
        empty(buf);
    }
    // sexe, prenom1-4, prenomUsuel, pseudonyme
    let female = rng.chance(0.42);
    if person {
        raw(
            buf,
            if mask {
                ND
            } else if female {
                b"F"
            } else {
                b"M"
            },
        );
        let first_names = if female { FIRST_NAMES_F } else { FIRST_NAMES_M };
        let first = *rng.pick(first_names);
        let given = 1 + usize::from(rng.chance(0.6)) + usize::from(rng.chance(0.3)) * 2;
        for k in 0..4 {
            if k == 0 {
                masked(buf, Some(first.as_bytes()), mask);
            } else if k < given {
                masked(buf, Some(rng.pick(first_names).as_bytes()), mask);
            } else {
                empty(buf);
            }
        }
        masked(buf, rng.chance(0.95).then_some(first.as_bytes()), mask);
        masked(buf, rng.chance(0.003).then_some(&b"LE MAGICIEN"[..]), mask);
    } else {
        buf.extend_from_slice(&[b','; 7]);
    }
    // identifiantAssociation
    if owner.kind == Kind::Association && rng.chance(0.75) {
        buf.push(b'W');
        let dep = place.departement().as_bytes();
        buf.extend_from_slice(&dep[..2]);
        buf.push(if dep.len() == 3 { dep[2] } else { b'1' });
        push_padded(buf, rng.below(1_000_000), 6);
        buf.push(b',');
    } else {
        empty(buf);
    }
    // trancheEffectifs, anneeEffectifs
    let band = match rollup.band {
        Some(b) => b,
        None if rollup.any_nn => BAND_NN,
        None => BAND_EMPTY,
    };
    raw(buf, BANDS[band].as_bytes());
    if rollup.band.is_some() {
        raw(buf, b"2023");
    } else {
        empty(buf);
    }
    // dateDernierTraitement, nombrePeriodes
    let treated = recent_day_between(
        rng,
        owner.created.max(days_from_civil(2005, 1, 1)),
        SNAPSHOT,
    );
    push_timestamp(buf, rng, treated);
    push_u64(buf, 1 + u64::from(!owner.active) + rng.below(3));
    buf.push(b',');
    // categorieEntreprise, anneeCategorieEntreprise
    if owner.active && rng.chance(0.97) {
        let category = if rollup.employer_establishments > 300 {
            &b"GE"[..]
        } else if rollup.employer_establishments > 40 || band >= 10 {
            b"ETI"
        } else {
            b"PME"
        };
        raw(buf, category);
        raw(buf, b"2023");
    } else {
        empty(buf);
        empty(buf);
    }
    // dateDebut, etatAdministratif
    if owner.active {
        let start = if rng.chance(0.3) {
            day_between(rng, owner.created, SNAPSHOT)
        } else {
            owner.created
        };
        push_date(buf, start);
    } else {
        push_date(buf, owner.end);
    }
    buf.push(b',');
    raw(buf, if owner.active { b"A" } else { b"C" });
    // nom, nomUsage, denomination, denominationUsuelle1-3
    if person {
        masked(buf, Some(rng.pick(SURNAMES).as_bytes()), mask);
        masked(
            buf,
            (female && rng.chance(0.15)).then(|| rng.pick(SURNAMES).as_bytes()),
            mask,
        );
        empty(buf);
        if rng.chance(0.08) {
            name.clear();
            sign(rng, name);
            masked(buf, Some(name), mask);
        } else {
            empty(buf);
        }
    } else {
        empty(buf);
        empty(buf);
        name.clear();
        denomination(
            rng,
            name,
            owner.kind,
            owner.category,
            std::str::from_utf8(tables.geo.label(place)).unwrap_or(""),
        );
        text(buf, name);
        if rng.chance(0.03) {
            name.clear();
            sign(rng, name);
            text(buf, name);
        } else {
            empty(buf);
        }
    }
    empty(buf);
    empty(buf);
    // categorieJuridique, activitePrincipale, nomenclature, nicSiege
    raw(buf, owner.category.as_bytes());
    raw(buf, activity.code.as_bytes());
    raw(buf, activity.nomenclature.as_bytes());
    raw(buf, &rollup.head_nic);
    // economieSocialeSolidaire
    let (yes, no) = if owner.kind.is_ess_family() {
        if owner.kind == Kind::Association && is_excluded_activity(m.activities[owner.primary].code)
        {
            (0.03, 0.15)
        } else {
            (m.ess_yes, m.ess_no)
        }
    } else if ESUS_CATEGORIES.contains(&owner.category) {
        (ESUS_RATE * weights.esus, m.ess_no)
    } else {
        (m.ess_yes, m.ess_no)
    };
    let draw = rng.unit();
    raw(
        buf,
        if draw < yes {
            b"O"
        } else if draw < yes + no {
            b"N"
        } else {
            b""
        },
    );
    // societeMission, caractereEmployeur (no longer maintained: always empty)
    let mission = if owner.kind == Kind::Company && owner.active {
        let draw = rng.unit();
        if draw < 0.0005 {
            &b"O"[..]
        } else if draw < 0.15 {
            &b"N"[..]
        } else {
            &b""[..]
        }
    } else {
        &b""[..]
    };
    raw(buf, mission);
    empty(buf);
    // activitePrincipaleNAF25UniteLegale
    if owner.active {
        push_naf25(buf, activity);
    }
    buf.push(b',');
    end_row(buf);
    units.row_done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_keys_make_valid_sirens_and_sirets() {
        let mut siren = *b"12345678X";
        siren[8] = luhn_key(&siren[..8]);
        essor_domain::Siren::parse(std::str::from_utf8(&siren).unwrap()).unwrap();
        let nic = nic_of(&siren, 1);
        let number = format!(
            "{}{}",
            std::str::from_utf8(&siren).unwrap(),
            std::str::from_utf8(&nic).unwrap()
        );
        essor_domain::Siret::parse(&number).unwrap();
    }
}
