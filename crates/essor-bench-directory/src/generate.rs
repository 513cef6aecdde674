//! Plausible ESS establishments of the whole country, generated deterministically from a seed.
//!
//! Each establishment is drawn from a kind of structure (a sports club, a recyclerie, a SCOP, a
//! mutual…) weighted so that families come in ESS proportions (associations 80 %, cooperatives
//! 11 %, mutuals 4 %, foundations 2 %, commercial ESS companies 3 %), with an activity (NAF code)
//! typical of that kind, hence its section and themes (`essor_domain::ess`), and a commune drawn
//! from the embedded referential weighted by population (Paris, Lyon and Marseille by
//! arrondissement, as SIRENE codes them). Names are written in capitals without accents, as INSEE
//! writes most of them; a few establishments have a sign or an acronym, a few are closed.

use essor_domain::ess::{self, Family, NAF_REV2, ThemeTable};
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::referential::{CommuneKind, Referential, fold};
use essor_synth::names;

/// A small deterministic generator (xorshift64*): the same seed gives the same country.
pub struct Rng(u64);

impl Rng {
    #[must_use]
    pub fn new(seed: u64) -> Self {
        // Zero is the one state xorshift never leaves.
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// An index in `0..len` (`len` > 0).
    pub fn index(&mut self, len: usize) -> usize {
        // `len` is a slice length, far below u64::MAX; the result is below `len`.
        #[allow(clippy::cast_possible_truncation)]
        let index = self.below(len as u64) as usize;
        index
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.index(items.len())]
    }

    /// True with probability `per_thousand` / 1000.
    pub fn chance(&mut self, per_thousand: u64) -> bool {
        self.below(1000) < per_thousand
    }
}

/// A kind of structure: its family, its weight (per 10 000 establishments), legal categories,
/// typical NAF codes and name patterns. In patterns, `{de}` is « DE » + the commune (« D' »
/// before a vowel), `{c}` the commune alone, `{lieu}` a neighbourhood (« DU MOULIN »), `{nom}` a
/// surname, `{sport}` a sport.
struct Kind {
    family: Family,
    weight: u64,
    categories: &'static [&'static str],
    nafs: &'static [&'static str],
    patterns: &'static [&'static str],
}

const ASSOCIATION: &[&str] = &["9220", "9220", "9220", "9221", "9230", "9260"];
const KINDS: &[Kind] = &[
    Kind {
        family: Family::Association,
        weight: 1500,
        categories: ASSOCIATION,
        nafs: &["93.12Z", "93.12Z", "93.11Z", "93.19Z", "85.51Z"],
        patterns: &[
            "{sport} CLUB {de}",
            "UNION SPORTIVE {c}",
            "ASSOCIATION SPORTIVE {de}",
            "CLUB DE {sport} {de}",
            "ENTENTE SPORTIVE {c}",
            "{sport} CLUB {lieu}",
            "ETOILE SPORTIVE {c}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 1500,
        categories: ASSOCIATION,
        nafs: &[
            "90.01Z", "90.02Z", "94.99Z", "94.99Z", "85.52Z", "91.02Z", "93.29Z",
        ],
        patterns: &[
            "COMITE DES FETES {de}",
            "ECOLE DE MUSIQUE {de}",
            "COMPAGNIE DU {lieu_nom}",
            "THEATRE {lieu}",
            "LES AMIS DU PATRIMOINE {de}",
            "FOYER RURAL {de}",
            "BIBLIOTHEQUE POUR TOUS {de}",
            "HARMONIE MUNICIPALE {de}",
            "CHORALE {lieu}",
            "CLUB DES AINES {de}",
            "MAISON DES JEUNES ET DE LA CULTURE {de}",
            "ASSOCIATION CULTURELLE {de}",
            "ATELIER THEATRE {lieu}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 1500,
        categories: ASSOCIATION,
        nafs: &["88.10A", "88.10B", "88.91A", "88.99B", "88.99B", "87.30A"],
        patterns: &[
            "ASSOCIATION D'AIDE A DOMICILE {de}",
            "AIDE A DOMICILE EN MILIEU RURAL {de}",
            "CENTRE SOCIAL {lieu}",
            "CRECHE PARENTALE {lieu}",
            "ENTRAIDE {de}",
            "ASSOCIATION FAMILLES RURALES {de}",
            "MAISON DE QUARTIER {lieu}",
            "ACCUEIL DE JOUR {de}",
            "SOLIDARITE {de}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 700,
        categories: ASSOCIATION,
        nafs: &["85.59A", "94.99Z", "85.60Z", "88.91B"],
        patterns: &[
            "AMICALE DES PARENTS D'ELEVES {de}",
            "ASSOCIATION DES PARENTS D'ELEVES DE L'ECOLE {lieu}",
            "SOU DES ECOLES {de}",
            "ACCOMPAGNEMENT SCOLAIRE {lieu}",
            "CENTRE DE LOISIRS {de}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 600,
        categories: ASSOCIATION,
        nafs: &["01.13Z", "94.99Z", "81.30Z", "02.10Z", "47.81Z"],
        patterns: &[
            "ASSOCIATION DES JARDINS PARTAGES {de}",
            "JARDINS PARTAGES {lieu}",
            "LES JARDINS FAMILIAUX {de}",
            "AMAP {lieu}",
            "COMPOST COLLECTIF {lieu}",
            "NATURE ET ENVIRONNEMENT {de}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 400,
        categories: ASSOCIATION,
        nafs: &["38.32Z", "47.79Z", "38.11Z", "95.29Z", "95.22Z"],
        patterns: &[
            "RECYCLERIE {lieu}",
            "RESSOURCERIE {de}",
            "REPAIR CAFE {de}",
            "ATELIER DU REEMPLOI {de}",
            "LA RECYCLERIE {de}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 300,
        categories: ASSOCIATION,
        nafs: &["95.29Z", "94.99Z", "77.21Z", "49.39B"],
        patterns: &[
            "ATELIER VELO {lieu}",
            "LES AMIS DU VELO {de}",
            "VELO SOLIDAIRE {de}",
            "TRANSPORT SOLIDAIRE {de}",
            "AUTOPARTAGE {de}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 300,
        categories: ASSOCIATION,
        nafs: &["47.11B", "47.11C", "56.10A", "56.30Z", "47.29Z"],
        patterns: &[
            "EPICERIE SOLIDAIRE {de}",
            "EPICERIE SOCIALE {lieu}",
            "CAFE ASSOCIATIF {lieu}",
            "RESTAURANT SOLIDAIRE {lieu}",
            "EPICERIE SOLIDAIRE {lieu}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 400,
        categories: ASSOCIATION,
        nafs: &["88.99B", "78.20Z", "81.21Z", "81.30Z"],
        patterns: &[
            "ASSOCIATION INTERMEDIAIRE {de}",
            "CHANTIER D'INSERTION {lieu}",
            "REGIE DE QUARTIER {lieu}",
            "ATELIERS D'INSERTION {de}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 200,
        categories: ASSOCIATION,
        nafs: &["68.20B", "55.90Z", "87.90B", "68.32A"],
        patterns: &[
            "HABITAT PARTAGE {de}",
            "FOYER DE JEUNES TRAVAILLEURS {de}",
            "LOGEMENT SOLIDAIRE {lieu}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 200,
        categories: ASSOCIATION,
        nafs: &["86.90D", "86.10Z", "86.90F"],
        patterns: &[
            "ASSOCIATION DE SOINS INFIRMIERS {de}",
            "CENTRE DE SANTE {lieu}",
        ],
    },
    Kind {
        family: Family::Association,
        weight: 395,
        categories: ASSOCIATION,
        nafs: &["94.99Z", "94.99Z", "94.12Z"],
        patterns: &[
            "ASSOCIATION {nom}",
            "ASSOCIATION {lieu}",
            "COLLECTIF DES HABITANTS {lieu}",
            "LES AMIS {de}",
            "ASSOCIATION DES COMMERCANTS {de}",
        ],
    },
    // A rare word, for the query that should find few actors.
    Kind {
        family: Family::Association,
        weight: 5,
        categories: ASSOCIATION,
        nafs: &["01.49Z", "94.99Z"],
        patterns: &[
            "SYNDICAT DES APICULTEURS {de}",
            "RUCHER ECOLE DES APICULTEURS {lieu}",
        ],
    },
    Kind {
        family: Family::Cooperative,
        weight: 350,
        categories: &["5458", "5460", "5560", "5560"],
        nafs: &["43.21A", "43.32A", "43.99C", "71.12B", "62.01Z", "74.10Z"],
        patterns: &[
            "SCOP {nom}",
            "{nom} ET ASSOCIES SCOP",
            "SCOP {nom} BATIMENT",
            "SCOP {lieu_nom}",
        ],
    },
    Kind {
        family: Family::Cooperative,
        weight: 150,
        categories: &["5560", "5458"],
        nafs: &["35.11Z", "35.11Z", "68.20B", "81.30Z"],
        patterns: &[
            "ENERGIE CITOYENNE {de}",
            "SCIC {lieu_nom}",
            "SCIC ENERGIES RENOUVELABLES {de}",
        ],
    },
    Kind {
        family: Family::Cooperative,
        weight: 200,
        categories: &["6317", "6318"],
        nafs: &["01.61Z"],
        patterns: &["CUMA {de}", "CUMA {lieu}"],
    },
    Kind {
        family: Family::Cooperative,
        weight: 200,
        categories: &["6317", "6318", "6316"],
        nafs: &["46.21Z", "10.51A", "11.02B", "10.51C"],
        patterns: &[
            "COOPERATIVE LAITIERE {de}",
            "CAVE COOPERATIVE {de}",
            "COOPERATIVE AGRICOLE {de}",
            "FRUITIERE {de}",
        ],
    },
    Kind {
        family: Family::Cooperative,
        weight: 150,
        categories: &["6532", "5459"],
        nafs: &["64.19Z"],
        patterns: &[
            "CAISSE LOCALE DE CREDIT MUTUEL {de}",
            "CAISSE LOCALE DE CREDIT {de}",
        ],
    },
    Kind {
        family: Family::Cooperative,
        weight: 50,
        categories: &["5560"],
        nafs: &["47.11F", "47.11D"],
        patterns: &["COOPERATIVE DE CONSOMMATEURS {lieu}", "COOP {lieu}"],
    },
    Kind {
        family: Family::Mutuelle,
        weight: 400,
        categories: &["8210", "8210", "8250"],
        nafs: &["65.12Z", "65.11Z", "86.21Z", "47.78A"],
        patterns: &[
            "MUTUELLE {nom}",
            "MUTUELLE SANTE {de}",
            "MUTUELLE DES AGENTS TERRITORIAUX {de}",
            "MUTUELLE {lieu}",
        ],
    },
    Kind {
        family: Family::Fondation,
        weight: 200,
        categories: &["9300"],
        nafs: &["88.99B", "86.10Z", "72.19Z", "94.99Z", "87.10A"],
        patterns: &[
            "FONDATION {nom}",
            "FONDATION {lieu}",
            "FONDATION {nom} {de}",
        ],
    },
    Kind {
        family: Family::SocieteCommercialeEss,
        weight: 300,
        categories: &["5710", "5499", "5710"],
        nafs: &["81.21Z", "38.32Z", "88.99B", "56.10A", "62.01Z"],
        patterns: &[
            "{nom} SOLIDAIRE",
            "ENTREPRISE D'INSERTION {nom}",
            "{nom} REEMPLOI",
            "{lieu_nom} SERVICES SOLIDAIRES",
        ],
    },
];

const SPORTS: &[&str] = &[
    "FOOTBALL",
    "TENNIS",
    "RUGBY",
    "BASKET",
    "HANDBALL",
    "JUDO",
    "CYCLISTE",
    "PETANQUE",
    "NATATION",
    "ATHLETISME",
    "VOLLEY",
    "BADMINTON",
    "ESCALADE",
    "RANDONNEE",
    "GYMNASTIQUE",
    "TENNIS DE TABLE",
];

const NEIGHBOURHOODS: &[&str] = &[
    "DU CENTRE",
    "DES COTEAUX",
    "DU MOULIN",
    "DE LA GARE",
    "DES TILLEULS",
    "DU PLATEAU",
    "DE LA VALLEE",
    "DU CHATEAU",
    "DES SOURCES",
    "DU PARC",
    "DU PONT",
    "DES VIGNES",
    "DU LAC",
    "DE LA FONTAINE",
    "DES ECOLES",
    "DU BOURG",
    "DES PRES",
    "DE L'EGLISE",
    "DU PORT",
    "DES LILAS",
    "DU MARCHE",
    "DES CERISIERS",
    "DE LA COLLINE",
    "DU VIEUX PONT",
];

const PLACE_NOUNS: &[&str] = &[
    "CHENE",
    "COLIBRI",
    "TOURNESOL",
    "HERISSON",
    "GRAND CHEMIN",
    "PETIT PRINCE",
    "VENT",
    "CARREFOUR",
    "SOLEIL",
    "JARDIN",
    "PHARE",
    "RUISSEAU",
    "TILLEUL",
    "LIERRE",
    "BELVEDERE",
    "RELAIS",
];

const STREET_TYPES: &[&str] = &[
    "RUE",
    "RUE",
    "RUE",
    "AVENUE",
    "PLACE",
    "CHEMIN",
    "BOULEVARD",
];

/// Bands of employees (`trancheEffectifsEtablissement`), weighted towards small structures;
/// the empty band is written as `None`.
const BANDS: &[&str] = &[
    "", "", "", "NN", "NN", "00", "01", "01", "02", "02", "03", "11", "12", "21", "22",
];

/// Where establishments are: every current commune, Paris, Lyon and Marseille replaced by their
/// arrondissements (SIRENE codes establishments there by arrondissement), each weighted by its
/// population plus a floor, since small communes have their associations too.
pub struct Places<'r> {
    places: Vec<Place<'r>>,
    /// Cumulative weights, for a draw by binary search.
    cumulative: Vec<u64>,
}

struct Place<'r> {
    code: &'r str,
    departement: &'r str,
    /// The commune's name as it appears in structures' names (the city for an arrondissement).
    name_in_capitals: String,
}

/// What every commune weighs on top of its population.
const PLACE_FLOOR: u64 = 200;

impl<'r> Places<'r> {
    #[must_use]
    pub fn new(referential: &'r Referential) -> Self {
        let mut communes: Vec<_> = referential
            .communes()
            .filter(|c| {
                c.kind == CommuneKind::Arrondissement
                    || referential.arrondissements_of(c.code.as_str()).is_empty()
            })
            .collect();
        communes.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        let mut places = Vec::with_capacity(communes.len());
        let mut cumulative = Vec::with_capacity(communes.len());
        let mut total = 0;
        for commune in communes {
            let city = commune
                .parent
                .as_ref()
                .and_then(|parent| referential.commune(parent.as_str()))
                .unwrap_or(commune);
            total += commune.population + PLACE_FLOOR;
            cumulative.push(total);
            places.push(Place {
                code: commune.code.as_str(),
                departement: commune.departement.as_str(),
                name_in_capitals: fold(&city.name).to_uppercase(),
            });
        }
        Self { places, cumulative }
    }

    /// The position of a place drawn by weight.
    fn draw(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let target = rng.below(total);
        let position = self.cumulative.partition_point(|c| *c <= target);
        position.min(self.places.len() - 1)
    }

    /// How many places there are.
    #[must_use]
    pub fn count(&self) -> usize {
        self.places.len()
    }
}

/// The generator of establishments.
pub struct Generator<'r> {
    rng: Rng,
    places: Places<'r>,
    themes: ThemeTable,
    total_weight: u64,
    next_unit: u64,
}

impl<'r> Generator<'r> {
    #[must_use]
    pub fn new(referential: &'r Referential, seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            places: Places::new(referential),
            themes: ThemeTable::default(),
            total_weight: KINDS.iter().map(|k| k.weight).sum(),
            next_unit: 0,
        }
    }

    /// How many places establishments may be drawn in.
    #[must_use]
    pub fn places(&self) -> usize {
        self.places.count()
    }

    fn kind(&mut self) -> &'static Kind {
        let mut target = self.rng.below(self.total_weight);
        for kind in KINDS {
            if target < kind.weight {
                return kind;
            }
            target -= kind.weight;
        }
        &KINDS[0]
    }

    /// The next establishment.
    // SIRET and SIREN are the registers' own names, however alike they look.
    #[allow(clippy::similar_names)]
    pub fn record(&mut self) -> EstablishmentRecord {
        let kind = self.kind();
        let place = &self.places.places[self.places.draw(&mut self.rng)];
        let code = place.code.to_owned();
        let departement = place.departement.to_owned();
        let commune_name = place.name_in_capitals.clone();
        let rng = &mut self.rng;
        let name = fill(rng.pick(kind.patterns), rng, &commune_name);
        let sign = rng
            .chance(120)
            .then(|| fill(rng.pick(kind.patterns), rng, &commune_name))
            .filter(|sign| *sign != name);
        let acronym = rng.chance(80).then(|| acronym_of(&name)).flatten();
        let naf = rng.pick(kind.nafs).to_owned();
        let section = ess::naf_section_key(&naf, NAF_REV2).to_owned();
        let themes = self
            .themes
            .themes_of(&naf, NAF_REV2)
            .map(str::to_owned)
            .collect();
        let rng = &mut self.rng;
        let active = !rng.chance(60);
        let band = Some(rng.pick(BANDS)).filter(|b| !b.is_empty());
        let employer = active && band.is_some_and(|b| b != "NN" && b != "00");
        self.next_unit += 1;
        let siren = luhn_complete(&format!("{:08}", 30_000_000 + self.next_unit * 7));
        let head_office = !rng.chance(100);
        let nic = if head_office {
            "0001".to_owned()
        } else {
            format!("{:04}", 2 + rng.below(40))
        };
        let siret = luhn_complete(&format!("{siren}{nic}"));
        let family = kind.family;
        EstablishmentRecord {
            siren,
            siret,
            commune: code,
            active,
            employer,
            head_office,
            diffusion_partial: rng.chance(15),
            name: Some(name),
            acronym,
            sign,
            address_line: Some(format!(
                "{} {} {}",
                1 + rng.below(120),
                rng.pick(STREET_TYPES),
                rng.pick(names::STREETS)
            )),
            postcode: Some(postcode(&departement, rng)),
            naf: Some(naf),
            naf_nomenclature: Some(NAF_REV2.to_owned()),
            band: band.map(str::to_owned),
            family,
            legal_category: rng.pick(kind.categories).to_owned(),
            ess_flag: family == Family::SocieteCommercialeEss || rng.chance(100),
            created: Some(format!(
                "{}-{:02}-{:02}",
                1950 + rng.below(76),
                1 + rng.below(12),
                1 + rng.below(28)
            )),
            lambert_x: None,
            lambert_y: None,
            section,
            themes,
            jobs_x2: if active {
                band.map_or(0, ess::band_jobs_x2)
            } else {
                0
            },
        }
    }
}

/// A name from a pattern.
fn fill(pattern: &str, rng: &mut Rng, commune: &str) -> String {
    let mut out = pattern.to_owned();
    if out.contains("{de}") {
        let elided = commune.starts_with(['A', 'E', 'I', 'O', 'U', 'Y']);
        let de = if elided {
            format!("D'{commune}")
        } else {
            format!("DE {commune}")
        };
        out = out.replace("{de}", &de);
    }
    out = out.replace("{c}", commune);
    if out.contains("{lieu}") {
        out = out.replace("{lieu}", rng.pick(NEIGHBOURHOODS));
    }
    if out.contains("{lieu_nom}") {
        out = out.replace("{lieu_nom}", rng.pick(PLACE_NOUNS));
    }
    if out.contains("{nom}") {
        out = out.replace("{nom}", rng.pick(names::SURNAMES));
    }
    if out.contains("{sport}") {
        out = out.replace("{sport}", rng.pick(SPORTS));
    }
    out
}

/// The initials of a name's significant words, when they make 2 to 6 letters.
fn acronym_of(name: &str) -> Option<String> {
    const SMALL: [&str; 9] = ["DE", "DU", "DES", "LA", "LE", "LES", "ET", "A", "L'ECOLE"];
    let letters: String = name
        .split([' ', '\''])
        .filter(|w| w.len() > 1 && !SMALL.contains(w))
        .filter_map(|w| w.chars().next())
        .collect();
    (2..=6).contains(&letters.len()).then_some(letters)
}

/// A postcode of the département.
fn postcode(departement: &str, rng: &mut Rng) -> String {
    let number = rng.below(1000);
    match departement {
        "2A" => format!("20{:03}", number.min(199)),
        "2B" => format!("20{:03}", 200 + number % 800),
        d if d.len() == 3 => format!("{d}{:02}", number % 100),
        d => format!("{d}{number:03}"),
    }
}

/// `digits` followed by the digit that makes the whole pass the Luhn check (SIREN and SIRET).
fn luhn_complete(digits: &str) -> String {
    let mut sum = 0;
    // The check digit is at position 0 from the right; the doubled ones are at odd positions.
    for (position, digit) in digits.bytes().rev().enumerate() {
        let mut value = u32::from(digit - b'0');
        if position.is_multiple_of(2) {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    let check = (10 - sum % 10) % 10;
    format!("{digits}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luhn_valid(digits: &str) -> bool {
        let sum: u32 = digits
            .bytes()
            .rev()
            .enumerate()
            .map(|(position, digit)| {
                let value = u32::from(digit - b'0');
                if position.is_multiple_of(2) {
                    value
                } else {
                    let doubled = value * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                }
            })
            .sum();
        sum.is_multiple_of(10)
    }

    #[test]
    fn sirens_and_sirets_pass_the_luhn_check() {
        let mut generator = Generator::new(Referential::embedded(), 7);
        for _ in 0..200 {
            let record = generator.record();
            assert!(luhn_valid(&record.siren), "{}", record.siren);
            assert!(luhn_valid(&record.siret), "{}", record.siret);
            assert!(record.siret.starts_with(&record.siren));
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_establishments() {
        let mut a = Generator::new(Referential::embedded(), 7);
        let mut b = Generator::new(Referential::embedded(), 7);
        for _ in 0..50 {
            assert_eq!(a.record(), b.record());
        }
    }

    #[test]
    fn families_come_in_ess_proportions() {
        let mut generator = Generator::new(Referential::embedded(), 7);
        let count = 20_000;
        let associations = (0..count)
            .filter(|_| generator.record().family == Family::Association)
            .count();
        let share = associations as f64 / f64::from(count);
        assert!((0.77..0.83).contains(&share), "{share}");
    }

    #[test]
    fn communes_are_drawn_from_the_whole_country_by_population() {
        let referential = Referential::embedded();
        let mut generator = Generator::new(referential, 7);
        let mut paris = 0;
        let mut departements = std::collections::BTreeSet::new();
        for _ in 0..20_000 {
            let record = generator.record();
            let commune = referential
                .commune(&record.commune)
                .expect("a known commune");
            assert_ne!(record.commune, "75056", "Paris is coded by arrondissement");
            if commune.departement == "75" {
                paris += 1;
            }
            departements.insert(commune.departement.clone());
        }
        assert!(departements.len() > 90, "{}", departements.len());
        // Paris has about 3 % of the population.
        assert!((300..1000).contains(&paris), "{paris}");
    }

    #[test]
    fn patterns_are_filled_with_elision() {
        let mut rng = Rng::new(1);
        assert_eq!(
            fill("COMITE DES FETES {de}", &mut rng, "ANNECY"),
            "COMITE DES FETES D'ANNECY"
        );
        assert_eq!(fill("CUMA {de}", &mut rng, "VIF"), "CUMA DE VIF");
    }
}
