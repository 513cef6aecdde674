//! Amounts of money in euros, held as integer cents and written the French way.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount in euro cents. Never a float.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error(
        "le montant « {0} » n’est pas un nombre d’euros valide (exemples : 12 345,67 ou 350000)"
    )]
    Invalid(String),
    #[error("le montant « {0} » est trop grand")]
    TooLarge(String),
}

impl Money {
    pub const ZERO: Self = Self(0);

    #[must_use]
    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    /// Whole euros.
    #[must_use]
    pub const fn from_euros(euros: i64) -> Self {
        Self(euros * 100)
    }

    #[must_use]
    pub const fn cents(self) -> i64 {
        self.0
    }

    #[must_use]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// Parses what people type: `12 345,67`, `12345.67`, `350 000 €`, `-5,5`.
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        let invalid = || MoneyError::Invalid(input.trim().to_owned());
        let cleaned: String = input
            .trim()
            .trim_end_matches('€')
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .collect();
        let (negative, unsigned) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, fraction) = match unsigned.split_once([',', '.']) {
            Some((w, f)) => (w, f),
            None => (unsigned, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
            return Err(invalid());
        }
        let euros: i64 = whole
            .parse()
            .map_err(|_| MoneyError::TooLarge(input.trim().to_owned()))?;
        let cents: i64 = match fraction.len() {
            0 => 0,
            1 => i64::from(fraction.as_bytes()[0] - b'0') * 10,
            _ => fraction.parse().map_err(|_| invalid())?,
        };
        let total = euros
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents))
            .ok_or_else(|| MoneyError::TooLarge(input.trim().to_owned()))?;
        Ok(Self(if negative { -total } else { total }))
    }

    /// Whole euros, without cents: `350 000 €`.
    #[must_use]
    pub fn format_euros(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let euros = (self.0.unsigned_abs() + 50) / 100;
        format!("{sign}{} €", group_thousands(euros))
    }
}

/// Groups digits by three with a space, as French typography writes numbers: `455 436`.
#[must_use]
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Money {
    /// `12 345,67 €`, always with two decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{},{:02} €", group_thousands(abs / 100), abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Add for Money {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        Self(self.0 - rhs.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

/// Serialised as a string of euros with a decimal point (`"350000.00"`): exact, and what open
/// data formats expect.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        serializer.serialize_str(&format!("{sign}{}.{:02}", abs / 100, abs % 100))
    }
}

/// Accepts a string in any form [`Money::parse`] takes, or an integer number of euros.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Euros(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Euros(e) => e
                .checked_mul(100)
                .map(Self)
                .ok_or_else(|| serde::de::Error::custom("montant trop grand")),
            Raw::Text(t) => Self::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_are_written_the_french_way() {
        assert_eq!(Money::from_cents(1_234_567).to_string(), "12 345,67 €");
        assert_eq!(Money::from_euros(350_000).to_string(), "350 000,00 €");
        assert_eq!(Money::from_cents(5).to_string(), "0,05 €");
        assert_eq!(Money::from_cents(-123_456).to_string(), "-1 234,56 €");
        assert_eq!(Money::from_euros(350_000).format_euros(), "350 000 €");
        assert_eq!(Money::from_cents(99_950).format_euros(), "1 000 €");
    }

    #[test]
    fn typed_amounts_are_parsed() {
        assert_eq!(Money::parse("12 345,67").unwrap().cents(), 1_234_567);
        assert_eq!(Money::parse("12345.6").unwrap().cents(), 1_234_560);
        assert_eq!(Money::parse("350 000 €").unwrap().cents(), 35_000_000);
        assert_eq!(Money::parse("-5,5").unwrap().cents(), -550);
    }

    #[test]
    fn malformed_amounts_are_refused_with_the_value_named() {
        for bad in ["", "abc", "12,345,67", "1,234", "12.5.3", "€", "--1"] {
            let err = Money::parse(bad).unwrap_err();
            assert!(err.to_string().contains(bad.trim()), "{bad}: {err}");
        }
        assert!(matches!(
            Money::parse("999999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn thousands_are_grouped_by_three() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1 000");
        assert_eq!(group_thousands(455_436), "455 436");
        assert_eq!(group_thousands(1_234_567), "1 234 567");
    }

    #[test]
    fn money_deserialises_from_euros_or_text() {
        #[derive(Deserialize)]
        struct Line {
            amount: Money,
        }
        let a: Line = toml::from_str("amount = 350000").unwrap();
        assert_eq!(a.amount, Money::from_euros(350_000));
        let b: Line = toml::from_str("amount = \"1 234,50\"").unwrap();
        assert_eq!(b.amount.cents(), 123_450);
    }

    proptest! {
        #[test]
        fn displayed_amounts_parse_back_to_the_same_cents(cents in -1_000_000_000_000i64..1_000_000_000_000) {
            let money = Money::from_cents(cents);
            prop_assert_eq!(Money::parse(&money.to_string()).unwrap(), money);
            let json = serde_json::to_string(&money).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
        }
    }
}

/// A figure as French text: thousands grouped, comma decimal, at most `decimals` decimals and
/// none when the value is whole (`20 134`, `20 134,5`, `10,2`).
#[must_use]
pub fn format_number(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    let sign = if value < 0.0 && text.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        "-"
    } else {
        ""
    };
    let grouped = group_thousands(whole.parse().unwrap_or(0));
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{fraction}")
    }
}

/// A share as French text: `10,2 %`, or `–` when it cannot be computed.
#[must_use]
pub fn format_pct(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{} %", format_number(v, 1)))
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn figures_are_written_the_french_way() {
        assert_eq!(format_number(20_134.0, 1), "20 134");
        assert_eq!(format_number(20_134.5, 1), "20 134,5");
        assert_eq!(format_number(0.25, 2), "0,25");
        assert_eq!(format_number(-1234.5, 1), "-1 234,5");
        assert_eq!(format_pct(Some(10.0)), "10 %");
        assert_eq!(format_pct(Some(9.8)), "9,8 %");
        assert_eq!(format_pct(None), "–");
    }
}
