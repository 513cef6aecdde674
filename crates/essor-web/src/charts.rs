//! Charts as SVG, composed with the `svg` crate and inlined in pages: they render without
//! JavaScript, and each has a data table beside it for screen readers and reuse.

use svg::Document;
use svg::node::element::{Group, Rectangle, Text, Title};

const BAR_COLOUR: &str = "#00515f";
const SECOND_COLOUR: &str = "#b34700";
const TEXT_COLOUR: &str = "#1e1e1e";

/// One bar: its label, its value, and the value as French text.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

/// A horizontal bar chart. `labelled_by` names the element (a caption) that describes it.
#[must_use]
pub fn horizontal_bars(bars: &[Bar], labelled_by: &str) -> String {
    let row = 28.0;
    let label_width = 330.0;
    let bar_space = 300.0;
    let width = label_width + bar_space + 90.0;
    let height = row * bars.len() as f64 + 8.0;
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let mut doc = Document::new()
        .set("viewBox", (0, 0, width, height))
        .set("width", "100%")
        .set("role", "img")
        .set("aria-labelledby", labelled_by)
        .set("class", "graphique");
    for (i, bar) in bars.iter().enumerate() {
        let y = row * i as f64 + 4.0;
        let length = if max > 0.0 {
            bar.value / max * bar_space
        } else {
            0.0
        };
        let group = Group::new()
            .add(Title::new(format!("{} : {}", bar.label, bar.shown)))
            .add(
                Text::new(essor_domain::text::ellipsis(&bar.label, 42))
                    .set("x", label_width - 8.0)
                    .set("y", y + 17.0)
                    .set("text-anchor", "end")
                    .set("font-size", 13)
                    .set("fill", TEXT_COLOUR),
            )
            .add(
                Rectangle::new()
                    .set("x", label_width)
                    .set("y", y + 3.0)
                    .set("width", length.max(1.0))
                    .set("height", row - 10.0)
                    .set("fill", BAR_COLOUR),
            )
            .add(
                Text::new(bar.shown.clone())
                    .set("x", label_width + length + 6.0)
                    .set("y", y + 17.0)
                    .set("font-size", 13)
                    .set("fill", TEXT_COLOUR),
            );
        doc = doc.add(group);
    }
    doc.to_string()
}

/// Two series per year as paired columns: ESS (dark) and all establishments (light) would
/// differ by orders of magnitude, so each year shows the ESS count and its share of all.
#[must_use]
pub fn yearly_columns(years: &[(i32, u64, u64)], labelled_by: &str) -> String {
    let column = 22.0;
    let chart_height = 160.0;
    let left = 40.0;
    let width = left + column * years.len().max(1) as f64 + 10.0;
    let height = chart_height + 40.0;
    let max = years.iter().map(|y| y.1).max().unwrap_or(0) as f64;
    let mut doc = Document::new()
        .set("viewBox", (0, 0, width, height))
        .set("width", "100%")
        .set("role", "img")
        .set("aria-labelledby", labelled_by)
        .set("class", "graphique");
    for (i, (year, ess, all)) in years.iter().enumerate() {
        let x = left + column * i as f64;
        let h = if max > 0.0 {
            *ess as f64 / max * chart_height
        } else {
            0.0
        };
        let mut group = Group::new()
            .add(Title::new(format!("{year} : {ess} dans l’ESS sur {all}")))
            .add(
                Rectangle::new()
                    .set("x", x + 2.0)
                    .set("y", 10.0 + chart_height - h)
                    .set("width", column - 4.0)
                    .set("height", h.max(1.0))
                    .set(
                        "fill",
                        if i % 2 == 0 {
                            BAR_COLOUR
                        } else {
                            SECOND_COLOUR
                        },
                    ),
            );
        if i % 5 == 0 || i + 1 == years.len() {
            group = group.add(
                Text::new(year.to_string())
                    .set("x", x + column / 2.0)
                    .set("y", chart_height + 30.0)
                    .set("text-anchor", "middle")
                    .set("font-size", 12)
                    .set("fill", TEXT_COLOUR),
            );
        }
        doc = doc.add(group);
    }
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_chart_is_an_accessible_svg_with_one_bar_per_row_and_escaped_labels() {
        let svg = horizontal_bars(
            &[
                Bar {
                    label: "Associations <loi 1901>".into(),
                    value: 10.0,
                    shown: "10".into(),
                },
                Bar {
                    label: "Coopératives".into(),
                    value: 5.0,
                    shown: "5".into(),
                },
            ],
            "legende",
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"legende\""));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(!svg.contains("<loi"), "labels are escaped: {svg}");
    }
}
