//! The directory's rules: how an actor is named and described from its SIRENE facts, and what a
//! structure may add to its page (its profile), with the checks a profile must pass.
//!
//! An actor is an ESS establishment of the territory (a SIRET). Its public facts come from the
//! last SIRENE import ([`EstablishmentRecord`], already stripped of masked values); its profile is
//! what the structure, or staff, wrote.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::establishment::{EstablishmentRecord, NATURAL_PERSON_CATEGORY};

/// The name shown for an actor: the unit's name, else the establishment's sign, else the acronym;
/// a protected individual entrepreneur (category 1000 under partial dissemination) gets a generic
/// label, never a name.
#[must_use]
pub fn display_name(record: &EstablishmentRecord) -> String {
    if record.legal_category == NATURAL_PERSON_CATEGORY && record.diffusion_partial {
        return "Entrepreneur individuel (identité non diffusée)".to_owned();
    }
    record
        .name
        .as_deref()
        .or(record.sign.as_deref())
        .or(record.acronym.as_deref())
        .map_or_else(
            || "Établissement (nom non diffusé)".to_owned(),
            readable_case,
        )
}

/// The establishment's sign when it differs from the unit's name, for the page's subtitle.
#[must_use]
pub fn distinct_sign(record: &EstablishmentRecord) -> Option<String> {
    let sign = record.sign.as_deref()?;
    if record
        .name
        .as_deref()
        .is_some_and(|n| n.eq_ignore_ascii_case(sign))
    {
        return None;
    }
    Some(readable_case(sign))
}

/// Words left in lower case inside a name.
const SMALL_WORDS: [&str; 14] = [
    "de", "du", "des", "la", "le", "les", "et", "a", "à", "au", "aux", "en", "pour", "sur",
];

/// INSEE writes most names in capitals; pages show them as written unless they are all capitals,
/// in which case words get an initial capital (`ASSOCIATION DE LA RESSOURCERIE` → `Association
/// de la Ressourcerie`), keeping short all-capital words that look like acronyms.
#[must_use]
pub fn readable_case(name: &str) -> String {
    let has_lower = name.chars().any(char::is_lowercase);
    if has_lower {
        return name.trim().to_owned();
    }
    let mut out = String::with_capacity(name.len());
    for (i, word) in name.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let lower = word.to_lowercase();
        if i > 0 && SMALL_WORDS.contains(&lower.as_str()) {
            out.push_str(&lower);
        } else if let Some((head, tail)) = lower.split_once('\'') {
            // D'AIDE → d'Aide; L'ENFANCE → l'Enfance
            if i > 0 && head.len() <= 2 {
                out.push_str(head);
            } else {
                out.push_str(&capitalise(head));
            }
            out.push('\'');
            out.push_str(&capitalise(tail));
        } else if is_acronym(word) {
            out.push_str(word);
        } else {
            out.push_str(&capitalise(&lower));
        }
    }
    out
}

/// Words of an address left in lower case.
const ADDRESS_LOWER_WORDS: [&str; 24] = [
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "et",
    "a",
    "à",
    "au",
    "aux",
    "en",
    "sur",
    "bis",
    "ter",
    "rue",
    "avenue",
    "boulevard",
    "place",
    "chemin",
    "route",
    "impasse",
    "allee",
    "allée",
];

/// An address as INSEE writes it (`3 RUE DES ARTS`) in ordinary case (`3 rue des Arts`): street
/// types and small words in lower case, names capitalised.
#[must_use]
pub fn readable_address(address: &str) -> String {
    if address.chars().any(char::is_lowercase) {
        return address.trim().to_owned();
    }
    address
        .split_whitespace()
        .map(|word| {
            let lower = word.to_lowercase();
            if ADDRESS_LOWER_WORDS.contains(&lower.as_str())
                || lower.chars().all(|c| !c.is_alphabetic())
            {
                lower
            } else if let Some((head, tail)) = lower.split_once('\'') {
                format!("{head}'{}", capitalise(tail))
            } else {
                capitalise(&lower)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an all-capital word reads as an acronym: a legal form or a known network, or a word
/// without vowels (`MJC`).
fn is_acronym(word: &str) -> bool {
    const KNOWN: [&str; 24] = [
        "SCOP", "SCIC", "SARL", "SAS", "SA", "ARL", "EURL", "SCI", "ESS", "ESAT", "EHPAD", "AMAP",
        "ADMR", "CCAS", "CAF", "UDAF", "ADIE", "SIAE", "GEIQ", "CUMA", "MJC", "AI", "EI", "ACI",
    ];
    KNOWN.contains(&word)
        || (word.chars().all(|c| c.is_ascii_uppercase())
            && !word.chars().any(|c| "AEIOUY".contains(c)))
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The legal form of a category code (`categorieJuridiqueUniteLegale`) in words, for the
/// categories of the ESS and the most frequent others (INSEE's nomenclature of legal categories,
/// level III); other codes read « Catégorie juridique NNNN ».
#[must_use]
pub fn legal_form(code: &str) -> String {
    let label = match code {
        "1000" => "Entrepreneur individuel",
        "5306" | "5307" | "5308" | "5309" => "Société en commandite (coopérative ou non)",
        "5385" => "Société d’exercice libéral en commandite par actions",
        "5432" | "5442" | "5443" | "5451" | "5453" | "5454" | "5455" | "5458" | "5459" | "5460" => {
            "SARL coopérative"
        }
        "5499" => "Société à responsabilité limitée (SARL)",
        "5498" => "SARL unipersonnelle",
        "5510" | "5515" | "5520" | "5522" | "5525" | "5530" | "5531" | "5532" | "5542" | "5543"
        | "5546" | "5547" | "5551" | "5552" | "5553" | "5554" | "5555" | "5558" | "5559"
        | "5560" => "Société anonyme coopérative",
        "5599" => "Société anonyme à conseil d’administration",
        "5699" => "Société anonyme à directoire",
        "5710" => "Société par actions simplifiée (SAS)",
        "5720" => "Société par actions simplifiée à associé unique",
        "6316" => "Coopérative d’utilisation de matériel agricole en commun (CUMA)",
        "6317" => "Société coopérative agricole",
        "6318" => "Union de sociétés coopératives agricoles",
        "6411" => "Société d’assurance à forme mutuelle",
        "6521" => "Société civile de placement collectif immobilier",
        "6540" => "Société civile immobilière",
        "6558" | "6560" => "Autre société civile",
        "8210" => "Mutuelle",
        "8250" => "Assurance mutuelle agricole",
        "8290" => "Autre organisme mutualiste",
        "8310" => "Comité social et économique d’entreprise",
        "9210" => "Association non déclarée",
        "9220" => "Association déclarée",
        "9221" => "Association déclarée d’insertion par l’économique",
        "9222" => "Association intermédiaire",
        "9223" => "Groupement d’employeurs",
        "9230" => "Association déclarée reconnue d’utilité publique",
        "9240" => "Congrégation",
        "9260" => "Association de droit local (Bas-Rhin, Haut-Rhin et Moselle)",
        "9300" => "Fondation",
        _ => return format!("Catégorie juridique {code}"),
    };
    label.to_owned()
}

macro_rules! keyed_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $key:literal, $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            #[must_use]
            pub fn key(self) -> &'static str {
                match self { $(Self::$variant => $key),+ }
            }

            #[must_use]
            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),+ }
            }

            #[must_use]
            pub fn parse(key: &str) -> Option<Self> {
                match key { $($key => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

keyed_enum!(
    /// What an offer is.
    OfferKind {
        Product => "produit", "Produits",
        Service => "service", "Services",
        Rental => "location", "Location et prêt",
        Repair => "reparation", "Réparation et réemploi",
        Training => "formation", "Formation",
        Support => "accompagnement", "Accompagnement",
        Volunteering => "benevolat", "Missions bénévoles",
        Employment => "emploi", "Emploi et insertion",
    }
);

keyed_enum!(
    /// Labels, approvals and networks a structure declares.
    Label {
        Esus => "esus", "Agrément ESUS (entreprise solidaire d’utilité sociale)",
        SiaeAci => "siae_aci", "SIAE : atelier et chantier d’insertion",
        SiaeEi => "siae_ei", "SIAE : entreprise d’insertion",
        SiaeEtti => "siae_etti", "SIAE : entreprise de travail temporaire d’insertion",
        SiaeAi => "siae_ai", "SIAE : association intermédiaire",
        SiaeEiti => "siae_eiti", "SIAE : entreprise d’insertion par le travail indépendant",
        Ea => "ea", "Entreprise adaptée",
        Esat => "esat", "ESAT (établissement et service d’accompagnement par le travail)",
        Rge => "rge", "RGE (reconnu garant de l’environnement)",
        FairTrade => "commerce_equitable", "Commerce équitable",
        Organic => "agriculture_biologique", "Agriculture biologique",
        Ressourcerie => "ressourcerie", "Réseau des ressourceries et recycleries",
    }
);

/// One product or service a structure offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Offer {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub kind: Option<OfferKind>,
    /// Theme keys of the plan.
    #[serde(default)]
    pub themes: Vec<String>,
    /// INSEE codes of the communes served; empty means the actor's own commune.
    #[serde(default)]
    pub communes: Vec<String>,
}

/// What a structure adds to its page. Every field is optional; `validate` checks the lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Profile {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub offers: Vec<Offer>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub website: String,
    /// Social network pages, one URL each.
    #[serde(default)]
    pub social: Vec<String>,
    /// Opening hours, as the structure writes them.
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub labels: Vec<Label>,
    /// The logo's media id.
    #[serde(default)]
    pub logo: Option<i64>,
    /// Photos' media ids, in order.
    #[serde(default)]
    pub photos: Vec<i64>,
}

/// A problem with one field, in French, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field's name (`description`, `offre_2_titre`…).
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Bounds of a profile, so that a page stays a page.
pub const MAX_DESCRIPTION: usize = 5_000;
pub const MAX_OFFERS: usize = 30;
pub const MAX_OFFER_TITLE: usize = 120;
pub const MAX_OFFER_DESCRIPTION: usize = 1_000;
pub const MAX_SOCIAL: usize = 6;
pub const MAX_HOURS: usize = 500;
pub const MAX_PHOTOS: usize = 8;

impl Profile {
    /// Whether the structure has written anything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Checks every field: lengths, e-mail, telephone, URLs (https or http only), themes of the
    /// plan, communes known. Returns every problem at once.
    pub fn validate(
        &self,
        known_theme: impl Fn(&str) -> bool,
        known_commune: impl Fn(&str) -> bool,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::new(
                "description",
                format!("La description dépasse {MAX_DESCRIPTION} caractères."),
            ));
        }
        if self.offers.len() > MAX_OFFERS {
            errors.push(FieldError::new(
                "offres",
                format!("Pas plus de {MAX_OFFERS} offres."),
            ));
        }
        for (i, offer) in self.offers.iter().enumerate() {
            let n = i + 1;
            let title = offer.title.trim();
            if title.is_empty() {
                errors.push(FieldError::new(
                    format!("offre_{n}_titre"),
                    format!("Offre {n} : indiquez un intitulé."),
                ));
            } else if title.chars().count() > MAX_OFFER_TITLE {
                errors.push(FieldError::new(
                    format!("offre_{n}_titre"),
                    format!("Offre {n} : l’intitulé dépasse {MAX_OFFER_TITLE} caractères."),
                ));
            }
            if offer.description.chars().count() > MAX_OFFER_DESCRIPTION {
                errors.push(FieldError::new(
                    format!("offre_{n}_description"),
                    format!(
                        "Offre {n} : la description dépasse {MAX_OFFER_DESCRIPTION} caractères."
                    ),
                ));
            }
            if let Some(theme) = offer.themes.iter().find(|t| !known_theme(t)) {
                errors.push(FieldError::new(
                    format!("offre_{n}_themes"),
                    format!("Offre {n} : thème « {theme} » inconnu du plan."),
                ));
            }
            if let Some(commune) = offer.communes.iter().find(|c| !known_commune(c)) {
                errors.push(FieldError::new(
                    format!("offre_{n}_communes"),
                    format!("Offre {n} : commune « {commune} » inconnue."),
                ));
            }
        }
        if !self.email.is_empty() && !is_email(&self.email) {
            errors.push(FieldError::new(
                "courriel",
                "Adresse électronique invalide : elle s’écrit nom@domaine.fr.",
            ));
        }
        if !self.phone.is_empty() && !is_phone(&self.phone) {
            errors.push(FieldError::new(
                "telephone",
                "Numéro de téléphone invalide : 10 chiffres (04 76 00 00 00) ou +33 4 76 00 00 00.",
            ));
        }
        if !self.website.is_empty() && !is_web_url(&self.website) {
            errors.push(FieldError::new(
                "site",
                "Adresse du site invalide : elle commence par https:// (ou http://).",
            ));
        }
        if self.social.len() > MAX_SOCIAL {
            errors.push(FieldError::new(
                "reseaux",
                format!("Pas plus de {MAX_SOCIAL} liens vers des réseaux sociaux."),
            ));
        }
        if let Some(bad) = self.social.iter().find(|u| !is_web_url(u)) {
            errors.push(FieldError::new(
                "reseaux",
                format!("Lien « {bad} » invalide : il commence par https:// (ou http://)."),
            ));
        }
        if self.hours.chars().count() > MAX_HOURS {
            errors.push(FieldError::new(
                "horaires",
                format!("Les horaires dépassent {MAX_HOURS} caractères."),
            ));
        }
        if self.photos.len() > MAX_PHOTOS {
            errors.push(FieldError::new(
                "photos",
                format!("Pas plus de {MAX_PHOTOS} photos."),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Every theme of the offers, without repetition.
    #[must_use]
    pub fn themes(&self) -> BTreeSet<&str> {
        self.offers
            .iter()
            .flat_map(|o| o.themes.iter().map(String::as_str))
            .collect()
    }

    /// Every offer kind, without repetition.
    #[must_use]
    pub fn offer_kinds(&self) -> BTreeSet<OfferKind> {
        self.offers.iter().filter_map(|o| o.kind).collect()
    }

    /// The internet domain the structure is known by (its website's, else its contact
    /// address's), for claims: `None` for webmail providers shared by everyone.
    #[must_use]
    pub fn known_domain(&self) -> Option<String> {
        let from_site = url_host(&self.website);
        let from_mail = email_domain(&self.email);
        from_site
            .or(from_mail)
            .filter(|d| !is_shared_mail_domain(d))
    }
}

/// The domain of an e-mail address, lower-cased.
#[must_use]
pub fn email_domain(email: &str) -> Option<String> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim().to_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// Whether a claimant's address belongs to the structure's known domain (the domain itself or
/// one of its subdomains).
#[must_use]
pub fn domain_matches(email: &str, known: &str) -> bool {
    let Some(domain) = email_domain(email) else {
        return false;
    };
    let known = known.trim().to_lowercase();
    !known.is_empty()
        && !is_shared_mail_domain(&domain)
        && (domain == known || domain.ends_with(&format!(".{known}")))
}

/// Mail providers whose addresses say nothing about who owns them.
fn is_shared_mail_domain(domain: &str) -> bool {
    const SHARED: [&str; 20] = [
        "gmail.com",
        "googlemail.com",
        "yahoo.fr",
        "yahoo.com",
        "hotmail.fr",
        "hotmail.com",
        "outlook.fr",
        "outlook.com",
        "live.fr",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "neuf.fr",
        "laposte.net",
        "bbox.fr",
        "icloud.com",
        "gmx.fr",
        "protonmail.com",
        "proton.me",
    ];
    SHARED.contains(&domain)
}

fn url_host(url: &str) -> Option<String> {
    let rest = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#', ':']).next()?.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    host.contains('.').then_some(host)
}

fn is_email(value: &str) -> bool {
    let value = value.trim();
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
        && value.len() <= 254
}

fn is_phone(value: &str) -> bool {
    let digits: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    if let Some(rest) = digits.strip_prefix('+') {
        (8..=15).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_digit())
    } else {
        digits.len() == 10 && digits.starts_with('0') && digits.chars().all(|c| c.is_ascii_digit())
    }
}

/// An absolute http(s) URL with a host and no spaces.
#[must_use]
pub fn is_web_url(value: &str) -> bool {
    let value = value.trim();
    url_host(value).is_some() && !value.chars().any(char::is_whitespace) && value.len() <= 500
}

/// Words that say nothing about which structure a name designates.
const NAME_NOISE: [&str; 22] = [
    "association",
    "asso",
    "assoc",
    "la",
    "le",
    "les",
    "de",
    "du",
    "des",
    "d",
    "l",
    "et",
    "a",
    "au",
    "aux",
    "scop",
    "scic",
    "sarl",
    "sas",
    "sa",
    "cooperative",
    "societe",
];

/// The words of a name that identify it: folded, without legal forms and small words.
#[must_use]
pub fn name_key(name: &str) -> Vec<String> {
    crate::referential::fold(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !NAME_NOISE.contains(w))
        .map(str::to_owned)
        .collect()
}

/// How alike two names are, from 0 to 1: Jaro–Winkler over their identifying words, so that
/// « Association La Ressourcerie » and « RESSOURCERIE (LA) » are the same name.
#[must_use]
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (mut a, mut b) = (name_key(a), name_key(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    a.sort();
    b.sort();
    strsim::jaro_winkler(&a.join(" "), &b.join(" "))
}

/// Distance in kilometres between two points (haversine, mean Earth radius).
#[must_use]
pub fn distance_km(a: crate::geo::LatLon, b: crate::geo::LatLon) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371.0 * h.sqrt().asin()
}

/// Names at least this alike are the same structure when they are near each other.
pub const SIMILAR_NAME: f64 = 0.88;
/// Names at least this alike are the same structure wherever they are.
pub const SAME_NAME: f64 = 0.97;
/// "Near": the same commune, or this many kilometres apart at most.
pub const NEAR_KM: f64 = 5.0;

/// Whether an actor about to be created by hand may already exist: its name is nearly the same,
/// or alike and near (same commune or within [`NEAR_KM`]).
#[must_use]
pub fn may_be_duplicate(similarity: f64, same_commune: bool, distance: Option<f64>) -> bool {
    similarity >= SAME_NAME
        || (similarity >= SIMILAR_NAME && (same_commune || distance.is_some_and(|d| d <= NEAR_KM)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ess::Family;

    fn record() -> EstablishmentRecord {
        EstablishmentRecord {
            siret: "12345678900011".into(),
            siren: "123456789".into(),
            commune: "38151".into(),
            active: true,
            employer: true,
            head_office: true,
            diffusion_partial: false,
            name: Some("ASSOCIATION DE LA RESSOURCERIE".into()),
            acronym: None,
            sign: Some("LA RECYCLERIE".into()),
            address_line: None,
            postcode: None,
            naf: Some("47.79Z".into()),
            naf_nomenclature: Some("NAFRev2".into()),
            band: None,
            family: Family::Association,
            legal_category: "9220".into(),
            ess_flag: false,
            created: None,
            lambert_x: None,
            lambert_y: None,
            section: "G".into(),
            themes: vec![],
            jobs_x2: 0,
        }
    }

    #[test]
    fn names_read_naturally_and_protected_persons_have_none() {
        let mut r = record();
        assert_eq!(display_name(&r), "Association de la Ressourcerie");
        assert_eq!(distinct_sign(&r).as_deref(), Some("La Recyclerie"));
        assert_eq!(
            readable_case("ASSOCIATION D'AIDE A DOMICILE"),
            "Association d'Aide a Domicile"
        );
        assert_eq!(readable_case("SCOP ARL GAIA"), "SCOP ARL Gaia");
        assert_eq!(readable_case("LES AMIS DU VÉLO"), "Les Amis du Vélo");
        assert_eq!(readable_case("MJC DES ALLOBROGES"), "MJC des Allobroges");
        assert_eq!(readable_case("Les Amis du Vélo"), "Les Amis du Vélo");
        r.name = None;
        assert_eq!(display_name(&r), "La Recyclerie");
        r.legal_category = "1000".into();
        r.diffusion_partial = true;
        r.name = Some("DUPONT".into());
        assert_eq!(
            display_name(&r),
            "Entrepreneur individuel (identité non diffusée)"
        );
    }

    #[test]
    fn addresses_read_naturally() {
        assert_eq!(readable_address("3 RUE DES ARTS"), "3 rue des Arts");
        assert_eq!(
            readable_address("12 BIS AVENUE JEAN JAURES"),
            "12 bis avenue Jean Jaures"
        );
        assert_eq!(readable_address("PLACE DE L'ÉGLISE"), "place de l'Église");
        assert_eq!(readable_address("2 Rue Lesdiguières"), "2 Rue Lesdiguières");
    }

    #[test]
    fn legal_forms_have_words() {
        assert_eq!(legal_form("9220"), "Association déclarée");
        assert_eq!(legal_form("5710"), "Société par actions simplifiée (SAS)");
        assert_eq!(legal_form("7210"), "Catégorie juridique 7210");
    }

    #[test]
    fn a_profile_names_each_bad_field() {
        let profile = Profile {
            description: "x".repeat(MAX_DESCRIPTION + 1),
            offers: vec![
                Offer {
                    title: "Réparation de vélos".into(),
                    themes: vec!["mobilites".into()],
                    ..Offer::default()
                },
                Offer {
                    title: "  ".into(),
                    themes: vec!["inconnu".into()],
                    communes: vec!["99999".into()],
                    ..Offer::default()
                },
            ],
            email: "pas-une-adresse".into(),
            phone: "12".into(),
            website: "javascript:alert(1)".into(),
            social: vec!["ftp://x.fr".into()],
            ..Profile::default()
        };
        let errors = profile
            .validate(|t| t == "mobilites", |c| c == "38151")
            .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "description",
                "offre_2_titre",
                "offre_2_themes",
                "offre_2_communes",
                "courriel",
                "telephone",
                "site",
                "reseaux"
            ]
        );
        let good = Profile {
            email: "contact@ressourcerie.org".into(),
            phone: "04 76 00 00 00".into(),
            website: "https://www.ressourcerie.org/".into(),
            ..Profile::default()
        };
        assert!(good.validate(|_| true, |_| true).is_ok());
        assert_eq!(good.known_domain().as_deref(), Some("ressourcerie.org"));
    }

    #[test]
    fn claims_match_the_structure_domain_only() {
        assert!(domain_matches("marie@ressourcerie.org", "ressourcerie.org"));
        assert!(domain_matches(
            "marie@mail.ressourcerie.org",
            "ressourcerie.org"
        ));
        assert!(!domain_matches(
            "marie@fauxressourcerie.org",
            "ressourcerie.org"
        ));
        assert!(!domain_matches("marie@gmail.com", "gmail.com"));
        assert!(!domain_matches("marie@ressourcerie.org", ""));
        let webmail = Profile {
            email: "asso@orange.fr".into(),
            ..Profile::default()
        };
        assert_eq!(webmail.known_domain(), None);
    }

    #[test]
    fn duplicates_are_names_alike_and_near() {
        let same = name_similarity("Association La Ressourcerie", "RESSOURCERIE (LA)");
        assert!(same > 0.99, "{same}");
        let typo = name_similarity("Les Amis du Vélo", "AMIS DU VELLO");
        assert!(typo >= SIMILAR_NAME, "{typo}");
        let other = name_similarity("Les Amis du Vélo", "Épicerie solidaire du centre");
        assert!(other < SIMILAR_NAME, "{other}");
        let alike = 0.9;
        assert!(may_be_duplicate(alike, true, None));
        assert!(!may_be_duplicate(alike, false, Some(30.0)));
        assert!(!may_be_duplicate(alike, false, None));
        assert!(may_be_duplicate(alike, false, Some(2.0)));
        assert!(may_be_duplicate(same, false, None));
        assert!(!may_be_duplicate(other, true, Some(0.0)));
        let grenoble = crate::geo::LatLon {
            lat: 45.1885,
            lon: 5.7245,
        };
        let echirolles = crate::geo::LatLon {
            lat: 45.1436,
            lon: 5.7187,
        };
        let d = distance_km(grenoble, echirolles);
        assert!((4.9..5.1).contains(&d), "{d}");
    }

    #[test]
    fn keys_round_trip() {
        for kind in OfferKind::ALL {
            assert_eq!(OfferKind::parse(kind.key()), Some(*kind));
        }
        for label in Label::ALL {
            assert_eq!(Label::parse(label.key()), Some(*label));
        }
    }
}
