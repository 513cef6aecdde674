//! Search latency over a directory of 250 000 generated actors.
//!
//! `cargo bench -p essor-search` (optimised build); `ESSOR_BENCH_DOCS` changes the number of
//! documents, `ESSOR_BENCH_RUNS` the runs per query. Prints the indexing time, then p50 / p99 /
//! max latency per query (facets included) and over all queries.

use std::time::{Duration, Instant};

use essor_search::{ActorDocument, ActorIndex, Facet, Filters, SearchQuery, Sort};

const KINDS_OF_STRUCTURE: [&str; 24] = [
    "Association",
    "Collectif",
    "Les Amis de",
    "Épicerie",
    "Recyclerie",
    "Ressourcerie",
    "Atelier",
    "Café",
    "Jardin",
    "Maison",
    "Coopérative",
    "Compagnie",
    "Théâtre",
    "Club",
    "Union",
    "Comité",
    "Fédération",
    "Mutuelle",
    "Fondation",
    "Régie de quartier",
    "Centre social",
    "Bibliothèque",
    "École",
    "Foyer",
];
const SUBJECTS: [&str; 30] = [
    "du Vélo",
    "solidaire",
    "des Jardins partagés",
    "sportive",
    "culturelle",
    "d'insertion",
    "de l'Économie sociale",
    "des Habitants",
    "de la Musique",
    "du Livre",
    "des Familles",
    "de Danse",
    "des Parents d'élèves",
    "de Randonnée",
    "du Patrimoine",
    "de Quartier",
    "associatif",
    "populaire",
    "paysanne",
    "de l'Entraide",
    "des Aînés",
    "numérique",
    "du Réemploi",
    "des Arts",
    "de Football",
    "de Tennis",
    "de Théâtre amateur",
    "d'Alimentation bio",
    "de Solidarité internationale",
    "de Loisirs",
];
const PLACE_WORDS: [&str; 20] = [
    "Belledonne",
    "Vercors",
    "Chartreuse",
    "Grésivaudan",
    "Drac",
    "Isère",
    "Bastille",
    "Villeneuve",
    "Mistral",
    "Abbaye",
    "Berriat",
    "Championnet",
    "Alpes",
    "Trièves",
    "Oisans",
    "Romanche",
    "Taillefer",
    "Moucherotte",
    "Chamrousse",
    "Vizille",
];
const COMMUNE_NAMES: [&str; 49] = [
    "Grenoble",
    "Échirolles",
    "Saint-Martin-d'Hères",
    "Fontaine",
    "Meylan",
    "Seyssinet-Pariset",
    "Saint-Égrève",
    "Sassenage",
    "Eybens",
    "Pont-de-Claix",
    "Vif",
    "Vizille",
    "Domène",
    "Seyssins",
    "Saint-Martin-le-Vinoux",
    "Gières",
    "Claix",
    "Varces-Allières-et-Risset",
    "Le Fontanil-Cornillon",
    "Noyarey",
    "Veurey-Voroize",
    "Poisat",
    "Bresson",
    "Brié-et-Angonnes",
    "Champagnier",
    "Champ-sur-Drac",
    "Corenc",
    "Herbeys",
    "Jarrie",
    "La Tronche",
    "Le Gua",
    "Miribel-Lanchâtre",
    "Mont-Saint-Martin",
    "Montchaboud",
    "Murianette",
    "Notre-Dame-de-Commiers",
    "Notre-Dame-de-Mésage",
    "Proveysieux",
    "Quaix-en-Chartreuse",
    "Saint-Barthélemy-de-Séchilienne",
    "Saint-Georges-de-Commiers",
    "Saint-Paul-de-Varces",
    "Saint-Pierre-de-Mésage",
    "Sarcenas",
    "Séchilienne",
    "Venon",
    "Vaulnaveys-le-Haut",
    "Le Sappey-en-Chartreuse",
    "Fontanil",
];
const ACTIVITIES: [(&str, &str); 16] = [
    (
        "S",
        "Autres organisations fonctionnant par adhésion volontaire",
    ),
    ("R", "Activités de clubs de sports"),
    ("R", "Arts du spectacle vivant"),
    ("G", "Commerce de détail de biens d'occasion en magasin"),
    (
        "G",
        "Autres commerces de détail alimentaires en magasin spécialisé",
    ),
    ("Q", "Aide à domicile"),
    ("Q", "Accueil de jeunes enfants"),
    ("P", "Enseignement culturel"),
    ("I", "Restauration traditionnelle"),
    ("I", "Débits de boissons"),
    ("E", "Récupération de déchets triés"),
    ("S", "Réparation de biens personnels et domestiques"),
    ("K", "Autres activités auxiliaires de services financiers"),
    ("N", "Activités des agences de travail temporaire"),
    (
        "A",
        "Culture de légumes, de melons, de racines et de tubercules",
    ),
    ("M", "Activités des sièges sociaux"),
];
const DESCRIPTION_WORDS: [&str; 40] = [
    "nous",
    "proposons",
    "accompagnons",
    "habitants",
    "quartier",
    "ateliers",
    "réparation",
    "vélos",
    "réemploi",
    "alimentation",
    "locale",
    "bio",
    "insertion",
    "emploi",
    "jeunes",
    "familles",
    "personnes âgées",
    "culture",
    "spectacles",
    "musique",
    "sport",
    "santé",
    "entraide",
    "bénévoles",
    "adhérents",
    "accueil",
    "écoute",
    "formation",
    "numérique",
    "jardin",
    "compost",
    "solidarité",
    "échanges",
    "savoirs",
    "logement",
    "mobilité",
    "énergie",
    "environnement",
    "citoyenneté",
    "transition",
];
const OFFERS: [&str; 12] = [
    "Réparation de vélos",
    "Vente de vêtements d'occasion",
    "Paniers de légumes bio",
    "Cours de français",
    "Ateliers numériques",
    "Location de salle",
    "Accompagnement vers l'emploi",
    "Repas solidaires",
    "Collecte d'objets",
    "Spectacles pour enfants",
    "Aide aux devoirs",
    "Conseil en énergie",
];
const FAMILIES: [&str; 5] = [
    "association",
    "association",
    "cooperative",
    "mutuelle",
    "entreprise_ess",
];
const THEMES: [&str; 12] = [
    "alimentation",
    "mobilite",
    "reemploi",
    "culture",
    "sport",
    "insertion",
    "solidarite",
    "education",
    "sante",
    "energie",
    "habitat",
    "numerique",
];
const OFFER_KINDS: [&str; 4] = ["produit", "service", "formation", "location"];
const LABELS: [&str; 6] = ["esus", "siae_ei", "siae_aci", "rge", "ecocert", "qualiopi"];

/// A small deterministic generator (xorshift64*), enough for plausible data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("small")
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// An index skewed towards the first items (a few big communes, many small ones).
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b)
    }
}

fn generate(count: usize) -> Vec<ActorDocument> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..count)
        .map(|i| {
            let name = match rng.below(4) {
                0 => format!(
                    "{} {} {}",
                    rng.pick(&KINDS_OF_STRUCTURE),
                    rng.pick(&SUBJECTS),
                    rng.pick(&PLACE_WORDS)
                ),
                1 => format!(
                    "{} {}",
                    rng.pick(&KINDS_OF_STRUCTURE),
                    rng.pick(&PLACE_WORDS)
                ),
                _ => format!("{} {}", rng.pick(&KINDS_OF_STRUCTURE), rng.pick(&SUBJECTS)),
            };
            let commune = rng.skewed(COMMUNE_NAMES.len());
            let (section, activity) = ACTIVITIES[rng.below(ACTIVITIES.len())];
            let words = 8 + rng.below(20);
            let description = (rng.below(3) > 0).then(|| {
                (0..words)
                    .map(|_| rng.pick(&DESCRIPTION_WORDS))
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            let offers = (0..rng.below(4))
                .map(|_| rng.pick(&OFFERS).to_owned())
                .collect();
            let themes = (0..=rng.below(3))
                .map(|_| rng.pick(&THEMES).to_owned())
                .collect();
            let offer_kinds = (0..rng.below(3))
                .map(|_| rng.pick(&OFFER_KINDS).to_owned())
                .collect();
            let labels = if rng.below(8) == 0 {
                vec![rng.pick(&LABELS).to_owned()]
            } else {
                Vec::new()
            };
            let siret = format!("{:09}{:05}", 300_000_000 + i * 7, i % 100_000);
            let acronym = (rng.below(10) == 0).then(|| {
                name.split_whitespace()
                    .filter_map(|w| w.chars().next())
                    .filter(|c| c.is_uppercase())
                    .collect::<String>()
            });
            let sign = (rng.below(6) == 0).then(|| {
                format!(
                    "{} {}",
                    rng.pick(&KINDS_OF_STRUCTURE),
                    rng.pick(&PLACE_WORDS)
                )
            });
            ActorDocument {
                siren: siret[..9].to_owned(),
                siret,
                name: (rng.below(50) > 0).then(|| name.clone()),
                acronym,
                sign,
                description,
                offers,
                activity: Some(activity.to_owned()),
                commune: format!("38{:03}", 100 + commune),
                commune_name: COMMUNE_NAMES[commune].to_owned(),
                postcode: Some(format!("38{:03}", commune * 10)),
                family: rng.pick(&FAMILIES).to_owned(),
                section: section.to_owned(),
                themes,
                offer_kinds,
                labels,
                head_office: rng.below(3) > 0,
                active: rng.below(10) > 0,
                sort_name: name,
            }
        })
        .collect()
}

fn queries() -> Vec<(&'static str, SearchQuery)> {
    let text = |t: &str| SearchQuery::text(t);
    let with = |t: &str, filters: Filters| SearchQuery {
        filters,
        ..SearchQuery::text(t)
    };
    vec![
        ("velo", text("velo")),
        ("épicerie solidaire", text("épicerie solidaire")),
        ("recyclerie echirolles", text("recyclerie echirolles")),
        ("ressourcrie (typo)", text("ressourcrie")),
        ("recylerie (typo)", text("recylerie")),
        ("theatre amateur", text("theatre amateur")),
        ("epic (prefix)", text("epic")),
        ("recycl (prefix)", text("recycl")),
        ("maison quart (prefix)", text("maison quart")),
        ("association sportive", text("association sportive")),
        ("reparation velos", text("reparation velos")),
        ("cafe associatif grenoble", text("cafe associatif grenoble")),
        ("jardins partages", text("jardins partages")),
        ("insertion", text("insertion")),
        ("biblioteque (typo)", text("biblioteque")),
        ("foot chamonix (relaxed)", text("football chamonix")),
        (
            "velo sorted by name",
            SearchQuery {
                sort: Sort::Name,
                ..text("velo")
            },
        ),
        (
            "velo page 5",
            SearchQuery {
                offset: 80,
                ..text("velo")
            },
        ),
        ("(empty)", SearchQuery::default()),
        (
            "(empty) commune",
            with("", Filters::default().with(Facet::Commune, "38101")),
        ),
        (
            "(empty) theme+famille",
            with(
                "",
                Filters::default()
                    .with(Facet::Theme, "mobilite")
                    .with(Facet::Theme, "reemploi")
                    .with(Facet::Family, "cooperative"),
            ),
        ),
        (
            "association + label",
            with("association", Filters::default().with(Facet::Label, "esus")),
        ),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let count: usize = std::env::var("ESSOR_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250_000);
    let runs: usize = std::env::var("ESSOR_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let docs = generate(count);
    let probe = docs[count / 2].clone();
    let index = ActorIndex::in_memory().expect("index");
    let start = Instant::now();
    index.rebuild(docs).expect("rebuild");
    println!(
        "indexed {count} documents in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    index.upsert(probe).expect("upsert");
    println!(
        "one upsert (commit + reload) in {:.1} ms",
        ms(start.elapsed())
    );

    let only = std::env::var("ESSOR_BENCH_ONLY").ok();
    let mut all = Vec::new();
    println!(
        "{:<28} {:>8} {:>9} {:>9} {:>9}",
        "query", "total", "p50 ms", "p99 ms", "max ms"
    );
    for (label, query) in queries() {
        if only
            .as_ref()
            .is_some_and(|only| !label.contains(only.as_str()))
        {
            continue;
        }
        let results = index.search(&query).expect("search");
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let results = index.search(&query).expect("search");
            times.push(start.elapsed());
            std::hint::black_box(results);
        }
        times.sort();
        println!(
            "{label:<28} {:>8} {:>9.2} {:>9.2} {:>9.2}{}",
            results.total,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().expect("runs")),
            if results.relaxed { "  (relaxed)" } else { "" }
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "{:<28} {:>8} {:>9.2} {:>9.2} {:>9.2}",
        "all queries",
        "",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().expect("runs"))
    );

    let mut times = Vec::new();
    for prefix in ["r", "re", "res", "ress", "resso", "ressou", "ressour"] {
        let start = Instant::now();
        std::hint::black_box(index.suggest(prefix, 8).expect("suggest"));
        times.push((prefix, start.elapsed()));
    }
    for (prefix, time) in times {
        println!("suggest {prefix:<10} {:>9.2} ms", ms(time));
    }
}
