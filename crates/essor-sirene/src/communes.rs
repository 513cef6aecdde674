//! Commune codes interned as dense indexes, so that aggregates live in flat arrays and a code is
//! looked up without hashing nor allocating.

use essor_domain::referential::Referential;

/// Slots of the lookup table: a code is `D D' N N N` with `D` a digit, `D'` a digit or `A`/`B`
/// (Corsica), `N` digits.
const SLOTS: usize = 10 * 12 * 1000;
const NONE: u16 = u16::MAX;

/// Every current commune and municipal arrondissement of the referential, by code.
pub(crate) struct Communes {
    codes: Vec<String>,
    table: Vec<u16>,
}

impl Communes {
    pub(crate) fn new(referential: &Referential) -> Self {
        let mut table = vec![NONE; SLOTS];
        let mut codes = Vec::new();
        for commune in referential.communes() {
            let code = commune.code.as_str();
            if let Some(slot) = slot(code.as_bytes()) {
                table[slot] = u16::try_from(codes.len())
                    .ok()
                    .filter(|index| *index != NONE)
                    .expect("fewer than 65 535 communes");
                codes.push(code.to_owned());
            }
        }
        Self { codes, table }
    }

    pub(crate) fn len(&self) -> usize {
        self.codes.len()
    }

    /// The index of a code of the referential; `None` for any other code (a former commune, an
    /// empty code, anything malformed).
    #[inline]
    pub(crate) fn index(&self, code: &[u8]) -> Option<usize> {
        let index = *self.table.get(slot(code)?)?;
        (index != NONE).then_some(usize::from(index))
    }

    pub(crate) fn code(&self, index: usize) -> &str {
        &self.codes[index]
    }
}

#[inline]
fn slot(code: &[u8]) -> Option<usize> {
    let &[first, second, third, fourth, fifth] = code else {
        return None;
    };
    let digit = |x: u8| x.is_ascii_digit().then(|| usize::from(x - b'0'));
    let second = match second {
        b'0'..=b'9' => usize::from(second - b'0'),
        b'A' => 10,
        b'B' => 11,
        _ => return None,
    };
    Some(
        (digit(first)? * 12 + second) * 1000
            + digit(third)? * 100
            + digit(fourth)? * 10
            + digit(fifth)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn communes_and_arrondissements_of_the_referential_have_an_index_and_others_none() {
        let communes = Communes::new(Referential::embedded());
        assert!(communes.len() > 34_000);
        for code in [
            "38185", "75056", "75101", "69381", "13201", "2A004", "97411",
        ] {
            let index = communes.index(code.as_bytes()).unwrap();
            assert_eq!(communes.code(index), code);
        }
        for code in ["", "99999", "3818", "381850", "2C004", "38 85", "[ND]"] {
            assert_eq!(communes.index(code.as_bytes()), None, "{code:?}");
        }
    }
}
