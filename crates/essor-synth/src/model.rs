//! The statistical model of the synthetic stock: legal categories and their shares, activities
//! by kind of legal unit with their employer rates and sizes, number of establishments per
//! unit, states, size bands, dates.
//!
//! The shares are plausible orders of magnitude of the real stock (individual entrepreneurs are
//! the majority of units; SAS, SARL, SCI, associations follow; cooperatives, mutuals and
//! foundations are few but large). They were tuned so that the whole-country file has the
//! published totals of `DATA.md` §1 (43.9 M establishments, 29.9 M legal units, about 38 % of
//! establishments active, 2.4 M active employers) and the reference territory the seed's
//! figures (see [`REFERENCE_TERRITORY`]).

/// Usual size of an employer establishment of an activity, which picks its band profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    Micro,
    Small,
    Medium,
    Large,
}

/// An activity a kind of unit exercises: NAF rév. 2 code, relative weight, probability that an
/// active establishment with it employs staff, usual size of its employer establishments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Act {
    pub code: &'static str,
    pub weight: f64,
    pub employer: f64,
    pub size: Size,
}

const fn a(code: &'static str, weight: f64, employer: f64, size: Size) -> Act {
    Act {
        code,
        weight,
        employer,
        size,
    }
}

use Size::{Large as L, Medium as M, Micro as U, Small as S};

/// Groups of legal categories that share a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// 1000, entrepreneur individuel.
    Individual,
    /// Commercial companies: SARL, SAS, SA, SNC…
    Company,
    /// Civil companies, mostly real estate (SCI).
    Civil,
    /// Agricultural civil companies (GAEC, EARL).
    Farm,
    Association,
    Foundation,
    Mutual,
    CoopBank,
    CoopAgri,
    CoopWorker,
    CoopConsumer,
    CoopHousing,
    CoopOther,
    /// Public bodies (7xxx).
    Public,
    /// Syndicats de copropriété and associations syndicales.
    Condominium,
    /// Trade unions and professional bodies (84xx).
    Union,
    Other,
}

impl Kind {
    /// Whether the categories of this kind belong to an ESS family of `DATA.md` §2.
    pub(crate) fn is_ess_family(self) -> bool {
        matches!(
            self,
            Self::Association
                | Self::Foundation
                | Self::Mutual
                | Self::CoopBank
                | Self::CoopAgri
                | Self::CoopWorker
                | Self::CoopConsumer
                | Self::CoopHousing
                | Self::CoopOther
        )
    }

    /// Whether its units are natural persons (named, not denominated).
    pub(crate) fn is_person(self) -> bool {
        self == Self::Individual
    }
}

/// Legal categories (`categorieJuridiqueUniteLegale`), with their share of legal units in
/// units per 10 000, and their kind. Every category of the ESS families of `DATA.md` §2
/// appears.
pub(crate) const CATEGORIES: &[(&str, f64, Kind)] = &[
    ("1000", 5750.0, Kind::Individual),
    // Commercial companies.
    ("5499", 640.0, Kind::Company),
    ("5498", 220.0, Kind::Company),
    ("5710", 700.0, Kind::Company),
    ("5720", 300.0, Kind::Company),
    ("5599", 40.0, Kind::Company),
    ("5699", 8.0, Kind::Company),
    ("5202", 40.0, Kind::Company),
    ("5306", 3.0, Kind::Company),
    ("5485", 20.0, Kind::Company),
    ("5785", 15.0, Kind::Company),
    ("3120", 5.0, Kind::Company),
    // Civil companies.
    ("6540", 650.0, Kind::Civil),
    ("6541", 15.0, Kind::Civil),
    ("6599", 50.0, Kind::Civil),
    ("6589", 20.0, Kind::Civil),
    ("6521", 1.0, Kind::Civil),
    ("6533", 25.0, Kind::Farm),
    ("6598", 35.0, Kind::Farm),
    ("6597", 10.0, Kind::Farm),
    // Associations.
    ("9220", 470.0, Kind::Association),
    ("9210", 25.0, Kind::Association),
    ("9221", 3.0, Kind::Association),
    ("9222", 2.0, Kind::Association),
    ("9223", 3.0, Kind::Association),
    ("9230", 1.0, Kind::Association),
    ("9240", 3.0, Kind::Association),
    ("9260", 12.0, Kind::Association),
    // Foundations and mutuals.
    ("9300", 0.6, Kind::Foundation),
    ("8210", 1.0, Kind::Mutual),
    ("8250", 0.2, Kind::Mutual),
    ("8290", 0.2, Kind::Mutual),
    ("6411", 0.1, Kind::Mutual),
    // Cooperative banks.
    ("5191", 0.2, Kind::CoopBank),
    ("5192", 0.1, Kind::CoopBank),
    ("5193", 0.05, Kind::CoopBank),
    ("5194", 0.02, Kind::CoopBank),
    ("5195", 0.05, Kind::CoopBank),
    ("5196", 0.05, Kind::CoopBank),
    ("6100", 0.05, Kind::CoopBank),
    ("6595", 0.45, Kind::CoopBank),
    ("6596", 0.35, Kind::CoopBank),
    // Agricultural cooperatives.
    ("6316", 4.0, Kind::CoopAgri),
    ("6317", 1.0, Kind::CoopAgri),
    ("6318", 0.2, Kind::CoopAgri),
    ("5432", 0.2, Kind::CoopAgri),
    ("5532", 0.1, Kind::CoopAgri),
    ("5632", 0.02, Kind::CoopAgri),
    ("6532", 0.2, Kind::CoopAgri),
    // Worker cooperatives (SCOP) and SCIC.
    ("5458", 1.0, Kind::CoopWorker),
    ("5558", 0.3, Kind::CoopWorker),
    ("5658", 0.05, Kind::CoopWorker),
    ("5460", 0.8, Kind::CoopWorker),
    ("5560", 0.2, Kind::CoopWorker),
    ("5660", 0.03, Kind::CoopWorker),
    // Consumer and retailer cooperatives.
    ("5451", 0.1, Kind::CoopConsumer),
    ("5551", 0.05, Kind::CoopConsumer),
    ("5552", 0.2, Kind::CoopConsumer),
    ("5651", 0.02, Kind::CoopConsumer),
    ("5652", 0.03, Kind::CoopConsumer),
    ("6551", 0.05, Kind::CoopConsumer),
    // Housing cooperatives.
    ("5443", 0.1, Kind::CoopHousing),
    ("5543", 0.05, Kind::CoopHousing),
    ("5547", 0.05, Kind::CoopHousing),
    ("5643", 0.02, Kind::CoopHousing),
    ("5647", 0.02, Kind::CoopHousing),
    ("6543", 0.1, Kind::CoopHousing),
    // Other cooperatives: craftsmen, maritime, transport, unions of cooperatives, civil.
    ("5453", 0.2, Kind::CoopOther),
    ("5553", 0.1, Kind::CoopOther),
    ("5653", 0.02, Kind::CoopOther),
    ("5454", 0.05, Kind::CoopOther),
    ("5554", 0.03, Kind::CoopOther),
    ("5654", 0.01, Kind::CoopOther),
    ("6554", 0.03, Kind::CoopOther),
    ("5455", 0.1, Kind::CoopOther),
    ("5555", 0.03, Kind::CoopOther),
    ("5655", 0.01, Kind::CoopOther),
    ("5459", 0.1, Kind::CoopOther),
    ("5559", 0.05, Kind::CoopOther),
    ("5659", 0.01, Kind::CoopOther),
    ("6558", 0.05, Kind::CoopOther),
    ("6560", 0.2, Kind::CoopOther),
    ("5203", 0.02, Kind::CoopOther),
    ("5307", 0.01, Kind::CoopOther),
    ("5309", 0.01, Kind::CoopOther),
    // Public bodies.
    ("7210", 12.0, Kind::Public),
    ("7220", 0.04, Kind::Public),
    ("7229", 0.02, Kind::Public),
    ("7331", 4.0, Kind::Public),
    ("7344", 0.01, Kind::Public),
    ("7346", 0.3, Kind::Public),
    ("7348", 0.08, Kind::Public),
    ("7354", 3.0, Kind::Public),
    ("7355", 0.5, Kind::Public),
    ("7361", 5.0, Kind::Public),
    ("7364", 0.3, Kind::Public),
    ("7371", 0.1, Kind::Public),
    ("7379", 1.0, Kind::Public),
    ("7381", 0.1, Kind::Public),
    ("7383", 0.05, Kind::Public),
    ("7389", 0.2, Kind::Public),
    ("7120", 0.1, Kind::Public),
    ("7172", 0.5, Kind::Public),
    ("7490", 1.0, Kind::Public),
    // Condominiums.
    ("9110", 100.0, Kind::Condominium),
    ("9150", 20.0, Kind::Condominium),
    // Unions and professional bodies.
    ("8410", 4.0, Kind::Union),
    ("8420", 2.0, Kind::Union),
    ("8450", 0.5, Kind::Union),
    ("8490", 1.0, Kind::Union),
    // Others.
    ("9900", 30.0, Kind::Other),
    ("2110", 40.0, Kind::Other),
    ("2900", 10.0, Kind::Other),
    ("6220", 6.0, Kind::Other),
    ("3220", 2.0, Kind::Other),
    ("8110", 0.1, Kind::Other),
];

/// The model of a kind of legal unit.
#[derive(Debug)]
pub(crate) struct KindModel {
    pub activities: &'static [Act],
    /// Number of establishments: ranges `lo..=hi` with their weights.
    pub establishments: &'static [(u32, u32, f64)],
    /// Probability that the unit is active (`A`), else ceased (`C`).
    pub unit_active: f64,
    /// Probability that an establishment other than the head office of an active unit is
    /// active.
    pub secondary_active: f64,
    /// Factor on the employer probabilities of the activities.
    pub employer_scale: f64,
    /// Probabilities of `economieSocialeSolidaireUniteLegale` = `O` and = `N`.
    pub ess_yes: f64,
    pub ess_no: f64,
    /// Probability of `statutDiffusionUniteLegale` = `P`.
    pub partial: f64,
    pub era: Era,
}

/// How old the units of a kind tend to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Era {
    Young,
    Middle,
    Old,
}

impl Era {
    /// Weights of creation periods: 1900-1949, 1950-1979, 1980-1999, 2000-2009, 2010-2019,
    /// 2020 to the snapshot.
    pub(crate) fn periods(self) -> [f64; 6] {
        match self {
            Self::Young => [0.3, 2.0, 10.0, 17.0, 36.0, 34.7],
            Self::Middle => [1.0, 6.0, 20.0, 22.0, 29.0, 22.0],
            Self::Old => [3.0, 12.0, 30.0, 20.0, 22.0, 13.0],
        }
    }
}

const ONE: &[(u32, u32, f64)] = &[(1, 1, 0.94), (2, 2, 0.05), (3, 4, 0.01)];
const COOP_ESTABLISHMENTS: &[(u32, u32, f64)] =
    &[(1, 1, 0.7), (2, 3, 0.22), (4, 10, 0.07), (11, 40, 0.01)];

pub(crate) fn model(kind: Kind) -> &'static KindModel {
    match kind {
        Kind::Individual => &INDIVIDUAL,
        Kind::Company => &COMPANY,
        Kind::Civil => &CIVIL,
        Kind::Farm => &FARM,
        Kind::Association => &ASSOCIATION,
        Kind::Foundation => &FOUNDATION,
        Kind::Mutual => &MUTUAL,
        Kind::CoopBank => &COOP_BANK,
        Kind::CoopAgri => &COOP_AGRI,
        Kind::CoopWorker => &COOP_WORKER,
        Kind::CoopConsumer => &COOP_CONSUMER,
        Kind::CoopHousing => &COOP_HOUSING,
        Kind::CoopOther => &COOP_OTHER,
        Kind::Public => &PUBLIC,
        Kind::Condominium => &CONDOMINIUM,
        Kind::Union => &UNION,
        Kind::Other => &OTHER,
    }
}

static INDIVIDUAL: KindModel = KindModel {
    activities: &[
        a("70.22Z", 9.0, 0.01, U),
        a("68.20A", 5.0, 0.0, U),
        a("53.20Z", 4.0, 0.003, U),
        a("49.32Z", 2.0, 0.03, U),
        a("43.21A", 2.0, 0.08, U),
        a("43.22A", 1.5, 0.08, U),
        a("43.22B", 1.5, 0.08, U),
        a("43.31Z", 1.5, 0.06, U),
        a("43.32A", 2.0, 0.07, U),
        a("43.34Z", 2.5, 0.06, U),
        a("43.39Z", 1.5, 0.05, U),
        a("43.99C", 1.5, 0.06, U),
        a("43.12A", 0.5, 0.08, U),
        a("43.91B", 0.5, 0.06, U),
        a("41.20A", 0.4, 0.05, U),
        a("47.91B", 3.0, 0.01, U),
        a("47.89Z", 1.5, 0.01, U),
        a("47.82Z", 0.8, 0.01, U),
        a("47.81Z", 0.8, 0.02, U),
        a("47.99A", 0.6, 0.005, U),
        a("47.11B", 0.4, 0.25, U),
        a("47.71Z", 0.6, 0.15, U),
        a("47.76Z", 0.3, 0.15, U),
        a("47.79Z", 0.4, 0.02, U),
        a("47.22Z", 0.2, 0.4, U),
        a("10.71C", 0.6, 0.5, U),
        a("56.10C", 1.5, 0.06, U),
        a("56.10A", 1.0, 0.35, U),
        a("56.30Z", 0.6, 0.25, U),
        a("55.20Z", 0.8, 0.02, U),
        a("62.01Z", 2.5, 0.01, U),
        a("62.02A", 2.0, 0.01, U),
        a("74.10Z", 3.0, 0.005, U),
        a("74.20Z", 1.5, 0.01, U),
        a("73.11Z", 1.0, 0.01, U),
        a("74.90B", 1.5, 0.01, U),
        a("71.11Z", 0.6, 0.08, U),
        a("71.12B", 0.6, 0.03, U),
        a("69.10Z", 0.8, 0.2, U),
        a("69.20Z", 0.3, 0.3, U),
        a("66.22Z", 0.6, 0.05, U),
        a("68.31Z", 1.0, 0.03, U),
        a("82.99Z", 1.0, 0.01, U),
        a("46.18Z", 0.8, 0.02, U),
        a("85.59A", 2.0, 0.01, U),
        a("85.59B", 2.5, 0.005, U),
        a("85.51Z", 1.5, 0.01, U),
        a("85.52Z", 1.0, 0.005, U),
        a("85.53Z", 0.3, 0.2, U),
        a("86.21Z", 1.5, 0.2, U),
        a("86.22C", 0.8, 0.25, U),
        a("86.23Z", 0.6, 0.5, U),
        a("86.90D", 2.0, 0.02, U),
        a("86.90E", 1.5, 0.02, U),
        a("86.90F", 2.0, 0.01, U),
        a("75.00Z", 0.4, 0.2, U),
        a("88.10B", 0.5, 0.01, U),
        a("90.01Z", 1.5, 0.005, U),
        a("90.02Z", 0.6, 0.005, U),
        a("90.03A", 1.2, 0.003, U),
        a("90.03B", 1.0, 0.003, U),
        a("93.13Z", 0.3, 0.02, U),
        a("93.19Z", 0.8, 0.01, U),
        a("93.29Z", 0.6, 0.01, U),
        a("96.02A", 2.5, 0.15, U),
        a("96.02B", 1.5, 0.05, U),
        a("96.04Z", 1.5, 0.02, U),
        a("96.09Z", 2.0, 0.01, U),
        a("81.21Z", 2.0, 0.03, U),
        a("81.30Z", 1.5, 0.05, U),
        a("01.11Z", 1.2, 0.04, U),
        a("01.13Z", 0.5, 0.1, U),
        a("01.21Z", 0.6, 0.15, U),
        a("01.41Z", 0.6, 0.05, U),
        a("01.45Z", 0.2, 0.02, U),
        a("01.50Z", 0.7, 0.05, U),
        a("02.20Z", 0.2, 0.05, U),
        a("45.20A", 1.0, 0.15, U),
        a("45.11Z", 0.4, 0.1, U),
        a("95.11Z", 0.3, 0.02, U),
        a("95.29Z", 0.3, 0.02, U),
        a("95.23Z", 0.2, 0.05, U),
        a("35.11Z", 0.4, 0.0, U),
        a("38.32Z", 0.05, 0.05, U),
        a("80.10Z", 0.1, 0.1, U),
        a("59.20Z", 0.2, 0.01, U),
        a("32.12Z", 0.2, 0.05, U),
        a("16.23Z", 0.1, 0.1, U),
        a("33.12Z", 0.2, 0.05, U),
        a("43.11Z", 0.2, 0.05, U),
    ],
    establishments: &[(1, 1, 0.82), (2, 2, 0.125), (3, 3, 0.043), (4, 6, 0.012)],
    unit_active: 0.38,
    secondary_active: 0.25,
    employer_scale: 0.67,
    ess_yes: 0.0,
    ess_no: 0.0,
    partial: 0.08,
    era: Era::Young,
};

static COMPANY: KindModel = KindModel {
    activities: &[
        a("70.22Z", 4.0, 0.15, S),
        a("64.20Z", 6.0, 0.03, S),
        a("68.20B", 4.0, 0.02, U),
        a("68.20A", 0.5, 0.05, U),
        a("68.10Z", 1.0, 0.05, U),
        a("68.31Z", 1.5, 0.4, U),
        a("41.10A", 1.2, 0.05, U),
        a("41.20A", 1.5, 0.4, S),
        a("43.21A", 2.0, 0.6, S),
        a("43.22A", 1.0, 0.6, S),
        a("43.22B", 1.0, 0.6, S),
        a("43.31Z", 1.0, 0.55, U),
        a("43.32A", 1.0, 0.6, U),
        a("43.34Z", 0.8, 0.55, U),
        a("43.39Z", 0.6, 0.5, U),
        a("43.99C", 1.0, 0.55, S),
        a("43.12A", 0.6, 0.6, S),
        a("43.91B", 0.6, 0.6, U),
        a("42.11Z", 0.2, 0.8, M),
        a("42.22Z", 0.1, 0.8, M),
        a("45.11Z", 1.5, 0.6, S),
        a("45.20A", 1.5, 0.6, U),
        a("45.31Z", 0.3, 0.7, S),
        a("45.32Z", 0.3, 0.5, U),
        a("45.40Z", 0.1, 0.5, U),
        a("46.90Z", 1.5, 0.35, S),
        a("46.69B", 0.5, 0.6, S),
        a("46.18Z", 0.6, 0.2, U),
        a("46.19B", 0.5, 0.2, U),
        a("46.31Z", 0.3, 0.5, S),
        a("46.39B", 0.5, 0.4, S),
        a("46.73A", 0.3, 0.6, S),
        a("46.49Z", 0.3, 0.4, S),
        a("47.11B", 0.4, 0.8, S),
        a("47.11D", 0.3, 0.95, M),
        a("47.11F", 0.15, 0.98, L),
        a("47.19B", 0.3, 0.7, S),
        a("47.71Z", 1.5, 0.55, U),
        a("47.73Z", 0.5, 0.95, S),
        a("47.78C", 0.6, 0.4, U),
        a("47.91A", 0.8, 0.15, U),
        a("47.91B", 0.8, 0.1, U),
        a("47.25Z", 0.2, 0.4, U),
        a("47.30Z", 0.3, 0.8, U),
        a("47.52A", 0.2, 0.7, S),
        a("47.59A", 0.3, 0.5, U),
        a("47.76Z", 0.3, 0.6, U),
        a("47.79Z", 0.2, 0.3, U),
        a("47.81Z", 0.1, 0.1, U),
        a("47.24Z", 0.3, 0.85, U),
        a("10.71C", 0.6, 0.85, U),
        a("10.71D", 0.1, 0.7, S),
        a("10.13B", 0.1, 0.7, S),
        a("49.41A", 1.0, 0.8, S),
        a("49.41B", 0.5, 0.6, U),
        a("49.32Z", 0.6, 0.3, U),
        a("49.39A", 0.2, 0.8, M),
        a("52.29A", 0.3, 0.7, S),
        a("52.21Z", 0.1, 0.6, S),
        a("53.20Z", 0.6, 0.2, U),
        a("55.10Z", 0.8, 0.8, S),
        a("55.20Z", 0.4, 0.2, U),
        a("56.10A", 3.0, 0.7, U),
        a("56.10C", 2.0, 0.5, U),
        a("56.30Z", 1.2, 0.6, U),
        a("56.21Z", 0.3, 0.7, S),
        a("62.01Z", 3.0, 0.3, S),
        a("62.02A", 2.0, 0.35, S),
        a("63.11Z", 0.4, 0.3, S),
        a("58.29C", 0.3, 0.5, S),
        a("61.90Z", 0.2, 0.4, S),
        a("63.12Z", 0.3, 0.1, U),
        a("69.20Z", 1.0, 0.85, S),
        a("69.10Z", 0.5, 0.6, U),
        a("71.12B", 1.5, 0.5, S),
        a("71.11Z", 0.5, 0.5, U),
        a("71.20B", 0.3, 0.8, S),
        a("73.11Z", 1.0, 0.35, U),
        a("73.20Z", 0.3, 0.3, U),
        a("74.10Z", 0.5, 0.15, U),
        a("74.90B", 0.8, 0.15, U),
        a("72.19Z", 0.3, 0.55, S),
        a("70.10Z", 1.0, 0.25, S),
        a("77.11A", 0.4, 0.4, U),
        a("77.32Z", 0.2, 0.5, S),
        a("77.21Z", 0.05, 0.5, U),
        a("78.10Z", 0.2, 0.5, U),
        a("78.20Z", 0.4, 0.99, M),
        a("80.10Z", 0.4, 0.85, M),
        a("81.21Z", 1.0, 0.8, S),
        a("81.22Z", 0.2, 0.8, S),
        a("81.30Z", 0.8, 0.6, U),
        a("82.11Z", 0.4, 0.4, U),
        a("82.99Z", 1.2, 0.3, U),
        a("79.11Z", 0.3, 0.5, U),
        a("85.59A", 1.0, 0.3, U),
        a("85.53Z", 0.3, 0.8, U),
        a("86.21Z", 0.6, 0.5, U),
        a("86.23Z", 0.6, 0.9, U),
        a("86.90B", 0.2, 0.9, S),
        a("86.10Z", 0.05, 0.98, L),
        a("87.10A", 0.1, 0.98, M),
        a("88.10A", 0.2, 0.95, S),
        a("88.91A", 0.2, 0.95, U),
        a("75.00Z", 0.2, 0.8, U),
        a("96.02A", 1.5, 0.7, U),
        a("96.04Z", 0.4, 0.4, U),
        a("96.09Z", 0.5, 0.2, U),
        a("93.13Z", 0.3, 0.6, U),
        a("93.29Z", 0.4, 0.3, U),
        a("90.01Z", 0.3, 0.2, U),
        a("59.11B", 0.3, 0.2, U),
        a("35.11Z", 2.0, 0.02, U),
        a("38.11Z", 0.2, 0.8, S),
        a("38.21Z", 0.1, 0.8, S),
        a("38.32Z", 0.15, 0.7, S),
        a("37.00Z", 0.05, 0.8, S),
        a("39.00Z", 0.03, 0.7, S),
        a("36.00Z", 0.03, 0.9, S),
        a("10.51A", 0.05, 0.95, L),
        a("25.62B", 0.4, 0.8, S),
        a("28.29B", 0.2, 0.85, M),
        a("33.12Z", 0.5, 0.6, U),
        a("33.20C", 0.3, 0.6, S),
        a("22.22Z", 0.1, 0.9, M),
        a("26.11Z", 0.05, 0.95, L),
        a("27.12Z", 0.1, 0.9, M),
        a("20.14Z", 0.05, 0.95, L),
        a("29.32Z", 0.05, 0.95, L),
        a("16.23Z", 0.2, 0.8, S),
        a("18.12Z", 0.2, 0.7, S),
        a("31.09B", 0.2, 0.7, S),
        a("32.50A", 0.2, 0.6, U),
        a("01.11Z", 0.3, 0.3, U),
        a("01.21Z", 0.3, 0.5, U),
        a("01.50Z", 0.2, 0.4, U),
        a("02.20Z", 0.1, 0.6, S),
        a("03.22Z", 0.02, 0.5, U),
        a("64.19Z", 0.1, 0.9, S),
        a("65.12Z", 0.05, 0.9, M),
        a("66.19B", 0.3, 0.4, U),
        a("66.22Z", 0.6, 0.6, U),
        a("64.30Z", 0.1, 0.1, U),
        a("95.11Z", 0.2, 0.4, U),
        a("95.21Z", 0.05, 0.5, U),
        a("95.29Z", 0.1, 0.4, U),
    ],
    establishments: &[
        (1, 1, 0.70),
        (2, 2, 0.17),
        (3, 3, 0.065),
        (4, 6, 0.045),
        (7, 10, 0.012),
        (11, 40, 0.006),
        (41, 200, 0.0015),
        (201, 2000, 0.0001),
    ],
    unit_active: 0.57,
    secondary_active: 0.4,
    employer_scale: 0.78,
    ess_yes: 0.0,
    ess_no: 0.03,
    partial: 0.004,
    era: Era::Young,
};

static CIVIL: KindModel = KindModel {
    activities: &[
        a("68.20B", 80.0, 0.005, U),
        a("68.20A", 8.0, 0.01, U),
        a("68.10Z", 4.0, 0.02, U),
        a("41.10A", 3.0, 0.02, U),
        a("68.32A", 1.0, 0.1, U),
        a("64.20Z", 2.0, 0.01, U),
        a("86.21Z", 1.0, 0.3, U),
        a("69.10Z", 0.5, 0.4, U),
        a("01.11Z", 0.5, 0.1, U),
    ],
    establishments: ONE,
    unit_active: 0.7,
    secondary_active: 0.5,
    employer_scale: 1.0,
    ess_yes: 0.0,
    ess_no: 0.005,
    partial: 0.004,
    era: Era::Middle,
};

static FARM: KindModel = KindModel {
    activities: &[
        a("01.11Z", 25.0, 0.2, U),
        a("01.41Z", 20.0, 0.25, U),
        a("01.21Z", 15.0, 0.45, U),
        a("01.50Z", 15.0, 0.2, U),
        a("01.13Z", 5.0, 0.35, U),
        a("01.24Z", 5.0, 0.4, U),
        a("01.42Z", 5.0, 0.2, U),
        a("01.47Z", 3.0, 0.4, U),
        a("01.45Z", 3.0, 0.1, U),
        a("02.10Z", 1.0, 0.3, U),
    ],
    establishments: &[(1, 1, 0.85), (2, 2, 0.12), (3, 4, 0.03)],
    unit_active: 0.5,
    secondary_active: 0.4,
    employer_scale: 1.0,
    ess_yes: 0.0,
    ess_no: 0.005,
    partial: 0.004,
    era: Era::Middle,
};

static ASSOCIATION: KindModel = KindModel {
    activities: &[
        a("94.99Z", 40.0, 0.07, U),
        a("93.12Z", 10.0, 0.15, U),
        a("93.19Z", 2.0, 0.08, U),
        a("93.29Z", 3.0, 0.06, U),
        a("85.59A", 2.0, 0.3, S),
        a("85.59B", 3.0, 0.12, U),
        a("85.51Z", 1.0, 0.15, U),
        a("85.52Z", 2.0, 0.12, U),
        a("88.99B", 5.0, 0.35, S),
        a("88.99A", 0.8, 0.4, S),
        a("88.10A", 1.0, 0.85, S),
        a("88.10B", 0.8, 0.8, S),
        a("88.10C", 0.6, 0.9, M),
        a("87.30A", 0.6, 0.95, S),
        a("87.10A", 0.3, 0.95, S),
        a("87.20A", 0.4, 0.95, S),
        a("87.90A", 0.3, 0.9, S),
        a("87.90B", 0.3, 0.8, S),
        a("88.91A", 0.8, 0.9, S),
        a("88.91B", 0.5, 0.6, S),
        a("85.10Z", 0.3, 0.9, S),
        a("85.20Z", 0.6, 0.95, S),
        a("85.31Z", 0.5, 0.95, S),
        a("85.32Z", 0.3, 0.9, S),
        a("85.42Z", 0.1, 0.9, M),
        a("86.10Z", 0.1, 0.98, M),
        a("86.90F", 0.2, 0.4, U),
        a("86.22C", 0.1, 0.7, S),
        a("90.01Z", 3.0, 0.12, U),
        a("90.02Z", 2.0, 0.08, U),
        a("90.03A", 0.5, 0.03, U),
        a("90.04Z", 1.0, 0.3, S),
        a("91.01Z", 0.3, 0.2, U),
        a("91.02Z", 0.3, 0.3, S),
        a("91.03Z", 0.3, 0.15, U),
        a("91.04Z", 0.1, 0.3, U),
        a("94.91Z", 4.0, 0.05, U),
        a("94.92Z", 0.4, 0.03, U),
        a("94.20Z", 0.8, 0.1, U),
        a("94.12Z", 1.2, 0.2, U),
        a("94.11Z", 0.3, 0.25, S),
        a("84.11Z", 0.1, 0.3, S),
        a("84.13Z", 0.1, 0.3, S),
        a("55.20Z", 0.5, 0.25, S),
        a("55.30Z", 0.3, 0.2, U),
        a("56.10A", 0.3, 0.4, U),
        a("56.29B", 0.2, 0.6, S),
        a("79.90Z", 0.3, 0.3, U),
        a("01.13Z", 0.2, 0.5, S),
        a("81.21Z", 0.1, 0.8, S),
        a("81.30Z", 0.2, 0.8, S),
        a("38.32Z", 0.15, 0.7, S),
        a("38.11Z", 0.05, 0.7, S),
        a("47.79Z", 0.2, 0.6, S),
        a("95.29Z", 0.05, 0.4, U),
        a("49.39B", 0.05, 0.5, U),
        a("77.21Z", 0.05, 0.3, U),
        a("68.20A", 0.1, 0.3, S),
        a("55.90Z", 0.1, 0.8, S),
        a("68.32A", 0.05, 0.3, U),
        a("35.11Z", 0.05, 0.05, U),
        a("02.10Z", 0.03, 0.3, U),
        a("47.81Z", 0.05, 0.1, U),
        a("78.20Z", 0.2, 0.9, S),
        a("78.30Z", 0.1, 0.9, S),
        a("70.22Z", 0.5, 0.15, U),
        a("72.20Z", 0.2, 0.4, S),
        a("73.11Z", 0.1, 0.2, U),
        a("63.12Z", 0.1, 0.1, U),
        a("59.11C", 0.1, 0.1, U),
        a("82.30Z", 0.3, 0.2, U),
        a("96.09Z", 0.3, 0.05, U),
        a("74.90B", 0.2, 0.1, U),
    ],
    establishments: &[
        (1, 1, 0.85),
        (2, 2, 0.09),
        (3, 5, 0.045),
        (6, 30, 0.013),
        (31, 200, 0.002),
    ],
    unit_active: 0.55,
    secondary_active: 0.5,
    employer_scale: 0.75,
    ess_yes: 0.55,
    ess_no: 0.02,
    partial: 0.002,
    era: Era::Old,
};

static FOUNDATION: KindModel = KindModel {
    activities: &[
        a("88.99B", 20.0, 0.6, S),
        a("87.30A", 10.0, 0.95, M),
        a("87.20A", 8.0, 0.95, S),
        a("86.10Z", 5.0, 0.98, M),
        a("72.19Z", 5.0, 0.8, S),
        a("94.99Z", 25.0, 0.2, U),
        a("85.59A", 5.0, 0.6, S),
        a("91.02Z", 3.0, 0.6, S),
        a("88.10C", 4.0, 0.95, M),
        a("85.31Z", 3.0, 0.95, M),
    ],
    establishments: &[(1, 1, 0.6), (2, 5, 0.3), (6, 30, 0.09), (31, 100, 0.01)],
    unit_active: 0.85,
    secondary_active: 0.7,
    employer_scale: 1.0,
    ess_yes: 0.8,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Old,
};

static MUTUAL: KindModel = KindModel {
    activities: &[
        a("65.12Z", 30.0, 0.9, S),
        a("65.11Z", 8.0, 0.9, S),
        a("66.22Z", 10.0, 0.7, S),
        a("86.22C", 5.0, 0.95, S),
        a("86.23Z", 5.0, 0.95, S),
        a("47.78A", 6.0, 0.95, U),
        a("87.10A", 3.0, 0.98, M),
        a("86.10Z", 2.0, 0.98, M),
        a("88.99B", 3.0, 0.7, S),
        a("94.99Z", 10.0, 0.2, U),
        a("65.30Z", 4.0, 0.8, S),
    ],
    establishments: &[(1, 1, 0.5), (2, 5, 0.3), (6, 40, 0.17), (41, 200, 0.03)],
    unit_active: 0.6,
    secondary_active: 0.6,
    employer_scale: 1.0,
    ess_yes: 0.8,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Old,
};

static COOP_BANK: KindModel = KindModel {
    activities: &[
        a("64.19Z", 90.0, 0.95, S),
        a("66.19B", 5.0, 0.5, U),
        a("64.92Z", 5.0, 0.6, S),
    ],
    establishments: &[(1, 2, 0.75), (3, 10, 0.15), (11, 60, 0.08), (61, 300, 0.02)],
    unit_active: 0.7,
    secondary_active: 0.7,
    employer_scale: 1.0,
    ess_yes: 0.8,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Old,
};

static COOP_AGRI: KindModel = KindModel {
    activities: &[
        a("01.61Z", 30.0, 0.2, U),
        a("46.21Z", 20.0, 0.9, S),
        a("10.51A", 5.0, 0.95, M),
        a("11.02A", 8.0, 0.9, S),
        a("46.31Z", 5.0, 0.9, S),
        a("01.11Z", 5.0, 0.3, U),
        a("10.11Z", 2.0, 0.95, M),
        a("46.61Z", 5.0, 0.9, S),
    ],
    establishments: COOP_ESTABLISHMENTS,
    unit_active: 0.6,
    secondary_active: 0.55,
    employer_scale: 1.0,
    ess_yes: 0.8,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Old,
};

static COOP_WORKER: KindModel = KindModel {
    activities: &[
        a("43.21A", 8.0, 0.95, S),
        a("43.99C", 5.0, 0.9, S),
        a("41.20A", 5.0, 0.9, S),
        a("62.02A", 8.0, 0.9, S),
        a("70.22Z", 10.0, 0.8, U),
        a("71.12B", 6.0, 0.9, S),
        a("73.11Z", 4.0, 0.85, U),
        a("85.59A", 6.0, 0.8, S),
        a("88.10A", 3.0, 0.95, S),
        a("56.10A", 4.0, 0.9, S),
        a("35.14Z", 1.0, 0.8, S),
        a("38.11Z", 1.0, 0.95, S),
        a("49.39A", 1.0, 0.95, S),
        a("18.12Z", 2.0, 0.9, S),
        a("74.90B", 3.0, 0.6, U),
        a("81.21Z", 3.0, 0.95, S),
        a("90.01Z", 2.0, 0.5, U),
        a("58.14Z", 1.0, 0.8, S),
        a("82.99Z", 2.0, 0.6, S),
    ],
    establishments: COOP_ESTABLISHMENTS,
    unit_active: 0.6,
    secondary_active: 0.55,
    employer_scale: 1.0,
    ess_yes: 0.8,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Middle,
};

static COOP_CONSUMER: KindModel = KindModel {
    activities: &[
        a("47.11D", 20.0, 0.95, S),
        a("47.11F", 5.0, 0.98, M),
        a("46.90Z", 5.0, 0.9, S),
        a("47.11B", 5.0, 0.9, S),
        a("47.29Z", 3.0, 0.9, S),
    ],
    establishments: COOP_ESTABLISHMENTS,
    unit_active: 0.6,
    secondary_active: 0.55,
    employer_scale: 1.0,
    ess_yes: 0.8,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Old,
};

static COOP_HOUSING: KindModel = KindModel {
    activities: &[
        a("41.20A", 30.0, 0.7, S),
        a("68.20A", 30.0, 0.6, S),
        a("68.10Z", 20.0, 0.4, U),
        a("41.10A", 20.0, 0.3, U),
    ],
    establishments: COOP_ESTABLISHMENTS,
    unit_active: 0.6,
    secondary_active: 0.55,
    employer_scale: 1.0,
    ess_yes: 0.8,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Old,
};

static COOP_OTHER: KindModel = KindModel {
    activities: &[
        a("46.73A", 10.0, 0.8, S),
        a("43.22A", 10.0, 0.8, S),
        a("46.69B", 10.0, 0.7, S),
        a("03.11Z", 5.0, 0.4, U),
        a("46.38A", 5.0, 0.8, S),
        a("49.41A", 10.0, 0.9, S),
        a("49.32Z", 10.0, 0.3, U),
        a("52.29B", 5.0, 0.8, S),
        a("70.22Z", 10.0, 0.5, U),
        a("94.99Z", 5.0, 0.2, U),
        a("62.02A", 5.0, 0.6, S),
        a("86.21Z", 3.0, 0.5, U),
        a("35.11Z", 5.0, 0.1, U),
        a("38.32Z", 2.0, 0.8, S),
        a("88.10A", 3.0, 0.9, S),
        a("56.10A", 2.0, 0.8, S),
        a("01.13Z", 2.0, 0.6, S),
    ],
    establishments: COOP_ESTABLISHMENTS,
    unit_active: 0.6,
    secondary_active: 0.55,
    employer_scale: 1.0,
    ess_yes: 0.8,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Middle,
};

static PUBLIC: KindModel = KindModel {
    activities: &[
        a("84.11Z", 55.0, 0.35, S),
        a("84.12Z", 3.0, 0.95, M),
        a("84.13Z", 2.0, 0.9, S),
        a("84.21Z", 0.5, 0.98, S),
        a("84.22Z", 1.0, 0.98, M),
        a("84.23Z", 2.0, 0.98, M),
        a("84.24Z", 2.0, 0.98, M),
        a("84.25Z", 3.0, 0.9, S),
        a("84.30B", 1.0, 0.98, M),
        a("84.30C", 0.5, 0.98, S),
        a("85.10Z", 4.0, 0.9, S),
        a("85.20Z", 3.0, 0.9, S),
        a("85.31Z", 4.0, 0.98, M),
        a("85.32Z", 1.0, 0.98, M),
        a("85.42Z", 1.0, 0.98, L),
        a("86.10Z", 2.0, 0.99, L),
        a("87.10A", 1.5, 0.98, M),
        a("88.99B", 3.0, 0.8, S),
        a("88.91A", 2.0, 0.95, S),
        a("91.01Z", 2.0, 0.8, S),
        a("93.11Z", 2.0, 0.8, S),
        a("36.00Z", 1.0, 0.7, S),
        a("37.00Z", 0.5, 0.7, S),
        a("38.11Z", 1.0, 0.85, S),
        a("81.30Z", 1.0, 0.8, S),
        a("49.31Z", 0.5, 0.95, L),
        a("68.20A", 1.5, 0.9, M),
        a("72.19Z", 1.0, 0.98, L),
        a("55.20Z", 0.3, 0.6, S),
        a("56.29A", 1.0, 0.9, S),
        a("90.04Z", 0.5, 0.9, S),
        a("91.02Z", 0.5, 0.9, S),
    ],
    establishments: &[
        (1, 1, 0.55),
        (2, 5, 0.3),
        (6, 20, 0.12),
        (21, 80, 0.025),
        (81, 300, 0.005),
    ],
    unit_active: 0.8,
    secondary_active: 0.65,
    employer_scale: 1.0,
    ess_yes: 0.0,
    ess_no: 0.02,
    partial: 0.0,
    era: Era::Old,
};

static CONDOMINIUM: KindModel = KindModel {
    activities: &[
        a("81.10Z", 40.0, 0.03, U),
        a("68.20B", 20.0, 0.01, U),
        a("68.32A", 30.0, 0.03, U),
        a("94.99Z", 10.0, 0.01, U),
    ],
    establishments: &[(1, 1, 0.99), (2, 2, 0.01)],
    unit_active: 0.9,
    secondary_active: 0.5,
    employer_scale: 1.0,
    ess_yes: 0.0,
    ess_no: 0.005,
    partial: 0.0,
    era: Era::Middle,
};

static UNION: KindModel = KindModel {
    activities: &[
        a("94.20Z", 50.0, 0.2, U),
        a("94.11Z", 30.0, 0.3, S),
        a("94.12Z", 20.0, 0.3, S),
    ],
    establishments: &[(1, 1, 0.7), (2, 5, 0.25), (6, 30, 0.05)],
    unit_active: 0.7,
    secondary_active: 0.6,
    employer_scale: 1.0,
    ess_yes: 0.0,
    ess_no: 0.05,
    partial: 0.0,
    era: Era::Old,
};

static OTHER: KindModel = KindModel {
    activities: &[
        a("94.99Z", 10.0, 0.2, U),
        a("70.10Z", 5.0, 0.3, S),
        a("82.99Z", 5.0, 0.3, U),
        a("68.20B", 10.0, 0.01, U),
        a("46.90Z", 3.0, 0.4, S),
        a("70.22Z", 5.0, 0.3, U),
        a("84.30A", 1.0, 0.98, L),
    ],
    establishments: &[(1, 1, 0.8), (2, 3, 0.15), (4, 20, 0.05)],
    unit_active: 0.5,
    secondary_active: 0.4,
    employer_scale: 1.0,
    ess_yes: 0.0,
    ess_no: 0.01,
    partial: 0.004,
    era: Era::Middle,
};

/// Size bands as INSEE writes them; the last, empty, is "unknown".
pub(crate) const BANDS: [&str; 17] = [
    "NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53",
    "",
];
/// Index of `NN` and of the empty band in [`BANDS`].
pub(crate) const BAND_NN: usize = 0;
pub(crate) const BAND_EMPTY: usize = 16;

/// Band weights of active employer establishments, by usual size.
pub(crate) fn employer_bands(size: Size) -> [f64; 17] {
    match size {
        //     NN   00    01    02    03    11    12    21   22   31   32   41   42    51    52    53   ""
        Size::Micro => [
            0.3, 10.0, 45.0, 24.0, 11.0, 6.0, 2.5, 0.4, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.7,
        ],
        Size::Small => [
            0.2, 6.0, 24.0, 23.0, 17.0, 18.0, 13.0, 2.5, 0.8, 0.08, 0.05, 0.01, 0.0, 0.0, 0.0, 0.0,
            0.6,
        ],
        Size::Medium => [
            0.1, 3.0, 10.0, 14.0, 18.0, 24.0, 23.0, 6.0, 2.0, 0.3, 0.15, 0.03, 0.0, 0.0, 0.0, 0.0,
            0.3,
        ],
        Size::Large => [
            0.0, 1.0, 3.0, 4.0, 6.0, 12.0, 25.0, 20.0, 15.0, 5.0, 5.0, 2.5, 1.0, 0.4, 0.08, 0.02,
            0.2,
        ],
    }
}

/// Band weights of active establishments that employ no one.
pub(crate) const NON_EMPLOYER_BANDS: [f64; 17] = [
    88.0, 3.0, 0.4, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 8.5,
];

/// Band weights of closed establishments (the last known headcount).
pub(crate) const CLOSED_BANDS: [f64; 17] = [
    55.0, 4.0, 2.5, 1.0, 0.5, 0.3, 0.15, 0.05, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 36.5,
];

/// Codes of the former nomenclatures, as INSEE writes them: NAF rév. 1 (2003) and NAF 1993
/// share the shape `NN.NL`; NAP (1973) codes are four digits.
pub(crate) const NAF_REV1: &[&str] = &[
    "52.4Z", "55.3A", "45.2B", "74.1G", "85.3K", "91.3E", "92.6C", "80.4D", "70.2A", "51.4A",
    "52.1D", "60.2A", "93.0D", "01.1A", "85.1A", "75.1A", "45.4J", "74.8K", "28.1A", "15.8C",
    "52.7C", "55.4A", "60.2E", "72.2Z", "74.1C", "85.1C", "93.0E", "50.2Z", "52.6B", "65.1E",
];
/// Former codes of associations (organisations associatives, sport, social work).
pub(crate) const NAF_REV1_ASSOCIATIONS: &[&str] = &[
    "91.3E", "91.3E", "91.3E", "92.6C", "85.3K", "85.3G", "80.4D", "92.3K",
];
pub(crate) const NAP: &[&str] = &[
    "6411", "6412", "6501", "5510", "5521", "6701", "7711", "7712", "8101", "8410", "9001", "9502",
    "9601", "9712", "7401",
];

/// Former country, as INSEE codes foreign addresses: (`codePaysEtranger`, country, town).
pub(crate) const FOREIGN: &[(&str, &str, &str)] = &[
    ("99131", "BELGIQUE", "BRUXELLES"),
    ("99140", "SUISSE", "GENEVE"),
    ("99109", "ALLEMAGNE", "BERLIN"),
    ("99127", "ITALIE", "TURIN"),
    ("99134", "ESPAGNE", "BARCELONE"),
    ("99137", "LUXEMBOURG", "LUXEMBOURG"),
    ("99132", "ROYAUME-UNI", "LONDRES"),
    ("99138", "MONACO", "MONACO"),
    ("99404", "ETATS-UNIS", "NEW YORK"),
    ("99350", "MAROC", "CASABLANCA"),
];

/// The reference territory's own weights (Grenoble-Alpes-Métropole, EPCI 200040715).
///
/// Why a territory has its own weights: the generator is calibrated to the seed's published
/// figures (`DATA.md` §3: about 1 875 ESS employer establishments, 10 % of the territory's
/// employer establishments, about 20 000 estimated ESS jobs, at whole-country size). Spread in
/// proportion to population with the national shares, the territory would have fewer employer
/// establishments (a metropolis with a university, hospitals and research centres employs more
/// than the average commune) and fewer ESS ones than the seed reports. Establishments of its
/// communes therefore come from legal units drawn with these factors; units whose head office
/// is there keep their establishments there, so that the territory's figures depend on these
/// weights only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ZoneWeights {
    /// Factor on the share of categories of the ESS families.
    pub ess_categories: f64,
    /// Factor on the probability that an active establishment employs staff.
    pub employer: f64,
    /// Factor on the probability that a commercial company is flagged ESS (ESUS).
    pub esus: f64,
}

pub(crate) const NATIONAL: ZoneWeights = ZoneWeights {
    ess_categories: 1.0,
    employer: 1.0,
    esus: 1.0,
};

pub(crate) const REFERENCE_TERRITORY: ZoneWeights = ZoneWeights {
    ess_categories: 1.18,
    employer: 1.14,
    esus: 2.0,
};

/// SIREN of the reference territory.
pub(crate) const REFERENCE_EPCI: &str = "200040715";

/// Probability that a commercial company of these categories is flagged ESS (an ESUS company).
pub(crate) const ESUS_CATEGORIES: &[&str] = &["5499", "5498", "5710", "5720", "5599"];
pub(crate) const ESUS_RATE: f64 = 0.0015;

/// Activities that the perimeter excludes (`DATA.md` §2), for the flag's plausibility: INSEE
/// rarely flags a union or a religious association ESS.
pub(crate) fn is_excluded_activity(code: &str) -> bool {
    code.starts_with("84.") || matches!(code, "94.11Z" | "94.12Z" | "94.20Z" | "94.91Z" | "94.92Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use essor_domain::referential::Referential;

    const ALL_KINDS: [Kind; 17] = [
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

    #[test]
    fn every_activity_is_a_naf_rev2_sub_class() {
        let referential = Referential::embedded();
        for kind in ALL_KINDS {
            for act in model(kind).activities {
                assert!(
                    referential.naf(act.code).is_some(),
                    "{} ({kind:?}) is not a NAF rév. 2 code",
                    act.code
                );
                assert!((0.0..=1.0).contains(&act.employer), "{}", act.code);
            }
        }
    }

    #[test]
    fn categories_are_four_digits_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (code, weight, _) in CATEGORIES {
            assert_eq!(code.len(), 4);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
            assert!(*weight > 0.0);
            assert!(seen.insert(*code), "{code} twice");
        }
    }
}
