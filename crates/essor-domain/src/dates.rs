//! Dates as French users read and type them: `28/11/2026`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("la date « {0} » n’est pas valide (format attendu : JJ/MM/AAAA, par exemple 28/11/2026)")]
pub struct DateError(pub String);

/// `28/11/2026`.
#[must_use]
pub fn format_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// `28/11/2026 à 14:05` (UTC converted by the caller when needed).
#[must_use]
pub fn format_datetime(at: DateTime<Utc>) -> String {
    at.format("%d/%m/%Y à %H:%M").to_string()
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `28 novembre 2026`, `1er décembre 2026`.
#[must_use]
pub fn format_date_long(date: NaiveDate) -> String {
    let day = date.day();
    let day = if day == 1 {
        "1er".to_owned()
    } else {
        day.to_string()
    };
    format!("{day} {} {}", MONTHS[date.month0() as usize], date.year())
}

/// Reads `28/11/2026` (French) or `2026-11-28` (ISO, as browsers' date fields send it).
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    let trimmed = input.trim();
    NaiveDate::parse_from_str(trimmed, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(trimmed, "%Y-%m-%d"))
        .map_err(|_| DateError(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_are_written_day_month_year() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(format_date(d), "28/11/2026");
        assert_eq!(format_date_long(d), "28 novembre 2026");
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(format_date(first), "01/12/2026");
        assert_eq!(format_date_long(first), "1er décembre 2026");
    }

    #[test]
    fn french_and_iso_dates_are_read_and_nonsense_is_named() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(parse_date("28/11/2026").unwrap(), d);
        assert_eq!(parse_date(" 2026-11-28 ").unwrap(), d);
        let err = parse_date("31/02/2026").unwrap_err();
        assert!(err.to_string().contains("31/02/2026"));
    }

    proptest! {
        #[test]
        fn a_formatted_date_parses_back(days in 0i64..100_000) {
            let d = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            prop_assert_eq!(parse_date(&format_date(d)).unwrap(), d);
        }
    }
}
