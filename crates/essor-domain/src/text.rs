//! Small text rules shared by pages, charts, files and the command line.

/// `text` in at most `max` characters (one at least): cut, with an ellipsis as its last
/// character, when longer.
#[must_use]
pub fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_to_its_length_with_an_ellipsis() {
        assert_eq!(ellipsis("Économie", 8), "Économie");
        assert_eq!(ellipsis("Économie sociale", 8), "Économi…");
        assert_eq!(ellipsis("Économie sociale", 8).chars().count(), 8);
        assert_eq!(ellipsis("abc", 0), "…");
    }
}
