//! Official identifiers: SIREN, SIRET, RNA, commune codes and NAF codes.
//!
//! Each is a newtype with a private field, built only through `parse` (or `FromStr`), so a
//! value of these types always satisfies its rule.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an identifier was refused. Messages are in French: they reach users as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("le {kind} « {value} » doit compter {expected} chiffres")]
    Length {
        kind: &'static str,
        value: String,
        expected: usize,
    },
    #[error("le {kind} « {value} » ne doit contenir que des chiffres")]
    NotDigits { kind: &'static str, value: String },
    #[error("le {kind} « {value} » a une clé de contrôle invalide")]
    Checksum { kind: &'static str, value: String },
    #[error("le {kind} « {value} » n’a pas le format attendu ({format})")]
    Format {
        kind: &'static str,
        value: String,
        format: &'static str,
    },
}

/// SIREN of La Poste, whose establishments follow a special checksum rule.
const SIREN_LA_POSTE: &str = "356000000";

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn check_digits(kind: &'static str, value: &str, expected: usize) -> Result<(), IdError> {
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotDigits {
            kind,
            value: value.to_owned(),
        });
    }
    if value.len() != expected {
        return Err(IdError::Length {
            kind,
            value: value.to_owned(),
            expected,
        });
    }
    Ok(())
}

/// Strips the spaces people type inside identifiers (`123 456 789`).
fn compact(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect()
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A SIREN: the 9-digit number of a legal unit, with a Luhn checksum.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Siren(String);
string_newtype!(Siren);

impl Siren {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = compact(input);
        check_digits("SIREN", &value, 9)?;
        if !luhn_valid(&value) {
            return Err(IdError::Checksum {
                kind: "SIREN",
                value,
            });
        }
        Ok(Self(value))
    }
}

/// A SIRET: SIREN + 5-digit NIC. Its checksum is Luhn, except for La Poste's establishments,
/// whose digits must add up to a multiple of 5.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Siret(String);
string_newtype!(Siret);

impl Siret {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = compact(input);
        check_digits("SIRET", &value, 14)?;
        let valid = if value.starts_with(SIREN_LA_POSTE) {
            let sum: u32 = value.bytes().map(|b| u32::from(b - b'0')).sum();
            sum.is_multiple_of(5) || luhn_valid(&value)
        } else {
            luhn_valid(&value)
        };
        if !valid {
            return Err(IdError::Checksum {
                kind: "SIRET",
                value,
            });
        }
        Ok(Self(value))
    }

    /// The SIREN of the legal unit this establishment belongs to.
    #[must_use]
    pub fn siren(&self) -> Siren {
        Siren(self.0[..9].to_owned())
    }

    /// The establishment's internal number (NIC).
    #[must_use]
    pub fn nic(&self) -> &str {
        &self.0[9..]
    }
}

/// An association's number in the Répertoire national des associations: `W` and 9 characters
/// (the first three name the département's registry, `2A`/`2B` in Corsica).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rna(String);
string_newtype!(Rna);

impl Rna {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = compact(input).to_ascii_uppercase();
        let bytes = value.as_bytes();
        let valid = bytes.len() == 10
            && bytes[0] == b'W'
            && bytes[1].is_ascii_digit()
            && bytes[2].is_ascii_alphanumeric()
            && bytes[3..].iter().all(u8::is_ascii_digit);
        if valid {
            Ok(Self(value))
        } else {
            Err(IdError::Format {
                kind: "numéro RNA",
                value,
                format: "W suivi de 9 caractères, par exemple W381000123",
            })
        }
    }
}

/// A commune's INSEE code (COG): 5 characters, `2A`/`2B` for Corsica.
///
/// This checks the shape only; whether the commune exists is the referential's business.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CodeCommune(String);
string_newtype!(CodeCommune);

impl CodeCommune {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = input.trim().to_ascii_uppercase();
        let bytes = value.as_bytes();
        let dep_ok = bytes.len() == 5
            && ((bytes[0].is_ascii_digit() && bytes[1].is_ascii_digit())
                || (bytes[0] == b'2' && (bytes[1] == b'A' || bytes[1] == b'B')));
        if dep_ok && bytes[2..].iter().all(u8::is_ascii_digit) {
            Ok(Self(value))
        } else {
            Err(IdError::Format {
                kind: "code commune",
                value,
                format: "5 caractères, par exemple 38185",
            })
        }
    }

    /// The département's code: 2 characters, or 3 overseas (`971`…`976`).
    #[must_use]
    pub fn departement(&self) -> &str {
        if self.0.starts_with("97") {
            &self.0[..3]
        } else {
            &self.0[..2]
        }
    }
}

/// A section of NAF rév. 2: the letter level, `A` to `U`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NafSection(char);

/// The 21 sections with their French labels (INSEE).
pub const NAF_SECTIONS: [(char, &str); 21] = [
    ('A', "Agriculture, sylviculture et pêche"),
    ('B', "Industries extractives"),
    ('C', "Industrie manufacturière"),
    (
        'D',
        "Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné",
    ),
    (
        'E',
        "Production et distribution d'eau ; assainissement, gestion des déchets et dépollution",
    ),
    ('F', "Construction"),
    ('G', "Commerce ; réparation d'automobiles et de motocycles"),
    ('H', "Transports et entreposage"),
    ('I', "Hébergement et restauration"),
    ('J', "Information et communication"),
    ('K', "Activités financières et d'assurance"),
    ('L', "Activités immobilières"),
    ('M', "Activités spécialisées, scientifiques et techniques"),
    ('N', "Activités de services administratifs et de soutien"),
    ('O', "Administration publique"),
    ('P', "Enseignement"),
    ('Q', "Santé humaine et action sociale"),
    ('R', "Arts, spectacles et activités récréatives"),
    ('S', "Autres activités de services"),
    (
        'T',
        "Activités des ménages en tant qu'employeurs ; activités indifférenciées des ménages en tant que producteurs de biens et services pour usage propre",
    ),
    ('U', "Activités extra-territoriales"),
];

impl NafSection {
    /// The section of a NAF rév. 2 division (`01`…`99`), if the division exists.
    #[must_use]
    pub fn of_division(division: u8) -> Option<Self> {
        let letter = match division {
            1..=3 => 'A',
            5..=9 => 'B',
            10..=33 => 'C',
            35 => 'D',
            36..=39 => 'E',
            41..=43 => 'F',
            45..=47 => 'G',
            49..=53 => 'H',
            55..=56 => 'I',
            58..=63 => 'J',
            64..=66 => 'K',
            68 => 'L',
            69..=75 => 'M',
            77..=82 => 'N',
            84 => 'O',
            85 => 'P',
            86..=88 => 'Q',
            90..=93 => 'R',
            94..=96 => 'S',
            97..=98 => 'T',
            99 => 'U',
            _ => return None,
        };
        Some(Self(letter))
    }

    #[must_use]
    pub fn letter(self) -> char {
        self.0
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        NAF_SECTIONS
            .iter()
            .find(|(l, _)| *l == self.0)
            .map_or("", |(_, label)| label)
    }
}

impl fmt::Display for NafSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A NAF rév. 2 sub-class as INSEE writes it: `88.10A`. `8810A` is accepted and normalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CodeNaf(String);
string_newtype!(CodeNaf);

impl CodeNaf {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let raw = input.trim().to_ascii_uppercase();
        let value = if raw.len() == 5 && raw.is_ascii() && !raw.contains('.') {
            format!("{}.{}", &raw[..2], &raw[2..])
        } else {
            raw
        };
        let b = value.as_bytes();
        let valid = b.len() == 6
            && b[0].is_ascii_digit()
            && b[1].is_ascii_digit()
            && b[2] == b'.'
            && b[3].is_ascii_digit()
            && b[4].is_ascii_digit()
            && b[5].is_ascii_uppercase();
        if valid && NafSection::of_division(division_of(b)).is_some() {
            Ok(Self(value))
        } else {
            Err(IdError::Format {
                kind: "code NAF",
                value,
                format: "NAF rév. 2, par exemple 88.10A",
            })
        }
    }

    /// The division: the first two digits.
    #[must_use]
    pub fn division(&self) -> u8 {
        division_of(self.0.as_bytes())
    }

    #[must_use]
    pub fn section(&self) -> NafSection {
        NafSection::of_division(self.division()).unwrap_or(NafSection('U'))
    }
}

fn division_of(b: &[u8]) -> u8 {
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_valid_siren_is_accepted_and_spaces_are_ignored() {
        let siren = Siren::parse("200 040 715").unwrap();
        assert_eq!(siren.as_str(), "200040715");
    }

    #[test]
    fn a_siren_with_a_bad_checksum_is_rejected() {
        assert!(matches!(
            Siren::parse("200040716"),
            Err(IdError::Checksum { .. })
        ));
    }

    #[test]
    fn a_siren_of_the_wrong_length_or_with_letters_is_rejected() {
        assert!(matches!(
            Siren::parse("20004071"),
            Err(IdError::Length { .. })
        ));
        assert!(matches!(
            Siren::parse("20004071A"),
            Err(IdError::NotDigits { .. })
        ));
    }

    #[test]
    fn a_valid_siret_gives_its_siren_and_nic() {
        // Grenoble-Alpes-Métropole's head office.
        let siret = Siret::parse("20004071500019").unwrap();
        assert_eq!(siret.siren().as_str(), "200040715");
        assert_eq!(siret.nic(), "00019");
    }

    #[test]
    fn a_siret_with_a_bad_checksum_is_rejected() {
        let err = Siret::parse("20004071500014").unwrap_err();
        assert_eq!(
            err.to_string(),
            "le SIRET « 20004071500014 » a une clé de contrôle invalide"
        );
    }

    #[test]
    fn la_poste_establishments_follow_the_sum_of_digits_rule() {
        // 3+5+6+0+0+0+0+0+0+0+0+0+1+0 = 15, a multiple of 5 but not a Luhn number.
        assert!(!luhn_valid("35600000000010"));
        assert!(Siret::parse("35600000000010").is_ok());
        // Sum 16: refused.
        assert!(Siret::parse("35600000000011").is_err());
        // The head office satisfies Luhn.
        assert!(Siret::parse("35600000000048").is_ok());
    }

    #[test]
    fn rna_numbers_are_w_and_nine_characters() {
        assert_eq!(Rna::parse("w381000123").unwrap().as_str(), "W381000123");
        assert!(Rna::parse("W2A1000123").is_ok());
        assert!(Rna::parse("381000123").is_err());
        assert!(Rna::parse("W38100012").is_err());
    }

    #[test]
    fn commune_codes_accept_corsica_and_overseas() {
        assert_eq!(CodeCommune::parse("38185").unwrap().departement(), "38");
        assert_eq!(CodeCommune::parse("2a004").unwrap().as_str(), "2A004");
        assert_eq!(CodeCommune::parse("97411").unwrap().departement(), "974");
        assert!(CodeCommune::parse("3818").is_err());
        assert!(CodeCommune::parse("2C004").is_err());
    }

    #[test]
    fn naf_codes_are_normalised_and_give_their_section() {
        let naf = CodeNaf::parse("8810a").unwrap();
        assert_eq!(naf.as_str(), "88.10A");
        assert_eq!(naf.section().letter(), 'Q');
        assert_eq!(naf.section().label(), "Santé humaine et action sociale");
        assert_eq!(CodeNaf::parse("38.11Z").unwrap().section().letter(), 'E');
        assert!(
            CodeNaf::parse("04.11Z").is_err(),
            "division 04 does not exist"
        );
        assert!(CodeNaf::parse("88.10").is_err());
    }

    #[test]
    fn every_division_boundary_maps_to_the_published_section() {
        let cases = [
            (1, 'A'),
            (3, 'A'),
            (5, 'B'),
            (33, 'C'),
            (35, 'D'),
            (39, 'E'),
            (43, 'F'),
            (47, 'G'),
            (53, 'H'),
            (56, 'I'),
            (63, 'J'),
            (66, 'K'),
            (68, 'L'),
            (75, 'M'),
            (82, 'N'),
            (84, 'O'),
            (85, 'P'),
            (88, 'Q'),
            (93, 'R'),
            (96, 'S'),
            (98, 'T'),
            (99, 'U'),
        ];
        for (division, letter) in cases {
            assert_eq!(
                NafSection::of_division(division).map(NafSection::letter),
                Some(letter),
                "division {division}"
            );
        }
        for gap in [0, 4, 34, 40, 44, 48, 54, 57, 67, 76, 83, 89] {
            assert_eq!(NafSection::of_division(gap), None, "division {gap}");
        }
    }

    fn with_luhn_key(body: &str) -> String {
        (0..10)
            .map(|d| format!("{body}{d}"))
            .find(|candidate| luhn_valid(candidate))
            .unwrap()
    }

    proptest! {
        #[test]
        fn any_siren_with_its_luhn_key_round_trips(body in "[0-9]{8}") {
            let value = with_luhn_key(&body);
            let siren = Siren::parse(&value).unwrap();
            prop_assert_eq!(siren.to_string(), value.clone());
            let json = serde_json::to_string(&siren).unwrap();
            prop_assert_eq!(serde_json::from_str::<Siren>(&json).unwrap(), siren);
        }

        #[test]
        fn changing_one_digit_of_a_siret_breaks_its_checksum(body in "[1-9][0-9]{12}", pos in 0usize..14, delta in 1u8..10) {
            let value = with_luhn_key(&body);
            prop_assume!(!value.starts_with(SIREN_LA_POSTE));
            let mut bytes = value.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let altered = String::from_utf8(bytes).unwrap();
            prop_assert!(Siret::parse(&altered).is_err());
        }

        #[test]
        fn parsing_never_panics(input in "\\PC{0,20}") {
            let _ = Siren::parse(&input);
            let _ = Siret::parse(&input);
            let _ = Rna::parse(&input);
            let _ = CodeCommune::parse(&input);
            let _ = CodeNaf::parse(&input);
        }
    }
}
