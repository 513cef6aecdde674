use std::collections::BTreeSet;

use essor_pdf::{Block, Document, PdfError, render};
use lopdf::Object;

const AMOUNT: &str = "12\u{202F}345,67\u{A0}€";

/// A funding agreement with every kind of block and a budget table of several pages.
fn agreement() -> Document {
    let budget = (1..=90)
        .map(|i| {
            vec![
                format!("Dépense n° {i} : matériel, déplacements et frais de réception"),
                format!("{i}\u{202F}000,00\u{A0}€"),
            ]
        })
        .collect();
    Document {
        title: "Convention de subvention – Épicerie solidaire « L’Étape »".to_owned(),
        author: "Métropole de Grenoble".to_owned(),
        footer: "Convention n° 2025-014 – Métropole / L’Étape".to_owned(),
        blocks: vec![
            Block::Heading {
                level: 1,
                text: "Convention de subvention".to_owned(),
            },
            Block::Paragraph(
                "Entre la Métropole, représentée par son Président, et l’association « L’Étape », \
                 œuvrant pour l’économie sociale et solidaire.\nIl est convenu ce qui suit."
                    .to_owned(),
            ),
            Block::Fields(vec![
                ("Bénéficiaire".to_owned(), "Association L’Étape".to_owned()),
                ("Montant accordé".to_owned(), AMOUNT.to_owned()),
            ]),
            Block::Heading {
                level: 2,
                text: "Article 1 – Objet".to_owned(),
            },
            Block::List(vec![
                "Ouvrir une épicerie à Échirolles".to_owned(),
                "Former deux salariés en insertion".to_owned(),
            ]),
            Block::Heading {
                level: 3,
                text: "Budget prévisionnel".to_owned(),
            },
            Block::Table {
                header: vec!["Poste de dépense".to_owned(), "Montant".to_owned()],
                rows: budget,
                numeric: vec![false, true],
            },
            Block::PageBreak,
            Block::Heading {
                level: 2,
                text: "Signatures".to_owned(),
            },
            Block::Signatures(vec![
                "Pour la Métropole, le Président".to_owned(),
                "Pour l’association, la Présidente".to_owned(),
            ]),
        ],
    }
}

fn pdf(document: &Document) -> lopdf::Document {
    let bytes = render(document).expect("the document renders");
    assert!(
        bytes.starts_with(b"%PDF-"),
        "not a PDF: {:?}",
        &bytes[..8.min(bytes.len())]
    );
    lopdf::Document::load_mem(&bytes).expect("lopdf reads the PDF back")
}

fn page_texts(pdf: &lopdf::Document) -> Vec<String> {
    pdf.get_pages()
        .keys()
        .map(|n| pdf.extract_text(&[*n]).expect("text of a page"))
        .collect()
}

fn text_string(pdf: &lopdf::Document, dictionary: &lopdf::Dictionary, key: &[u8]) -> String {
    let object = dictionary.get_deref(key, pdf).expect("the key is present");
    lopdf::decode_text_string(object).expect("a text string")
}

#[test]
fn an_agreement_prints_on_several_pages_numbered_out_of_their_total() {
    let pdf = pdf(&agreement());
    let texts = page_texts(&pdf);
    let total = texts.len();
    assert!(total >= 4, "{total} pages");
    for (index, text) in texts.iter().enumerate() {
        assert!(
            text.contains(&format!("Page {} / {total}", index + 1)),
            "page {}: {text}",
            index + 1
        );
        assert!(
            text.contains("Convention n° 2025-014 – Métropole / L’Étape"),
            "page {}",
            index + 1
        );
    }
    // The page break puts the signatures alone on the last page.
    assert!(texts[total - 1].contains("Pour la Métropole, le Président"));
    assert!(!texts[total - 1].contains("Dépense n°"));
}

#[test]
fn explicit_page_breaks_make_exactly_the_pages_asked_for() {
    let document = Document {
        title: "Trois pages".to_owned(),
        blocks: vec![
            Block::Paragraph("Une".to_owned()),
            Block::PageBreak,
            Block::Paragraph("Deux".to_owned()),
            Block::PageBreak,
            Block::Paragraph("Trois".to_owned()),
        ],
        ..Document::default()
    };
    let pdf = pdf(&document);
    assert_eq!(pdf.get_pages().len(), 3);
    assert!(page_texts(&pdf)[2].contains("Trois"));
}

#[test]
fn french_text_accents_and_amounts_are_extracted_as_written() {
    let texts = page_texts(&pdf(&agreement()));
    let first = &texts[0];
    for expected in [
        "Convention de subvention",
        "l’association « L’Étape »",
        "œuvrant pour",
        "l’économie sociale et solidaire.",
        "Montant accordé",
        AMOUNT,
        "Ouvrir une épicerie à Échirolles",
        "Article 1 – Objet",
    ] {
        assert!(
            first.contains(expected),
            "{expected:?} missing from {first:?}"
        );
    }
}

#[test]
fn a_table_continued_on_the_next_page_repeats_its_header_there() {
    let texts = page_texts(&pdf(&agreement()));
    let table_pages: Vec<usize> = (0..texts.len())
        .filter(|&i| texts[i].contains("Dépense n°"))
        .collect();
    assert!(
        table_pages.len() >= 2,
        "the table spans several pages: {table_pages:?}"
    );
    for &index in &table_pages {
        let text = &texts[index];
        let header = text
            .find("Poste de dépense")
            .unwrap_or_else(|| panic!("page {}: no header", index + 1));
        let row = text.find("Dépense n°").expect("a row");
        assert!(
            header < row,
            "page {}: the header comes before the rows",
            index + 1
        );
    }
    let second = &texts[table_pages[1]];
    assert!(second.contains("Montant"));
    assert!(!second.contains("Dépense n° 1 :"), "rows are not repeated");
}

#[test]
fn the_pdf_is_tagged_in_french_with_its_title_shown_and_an_outline() {
    let pdf = pdf(&agreement());
    let catalog = pdf.catalog().expect("a catalog");
    assert_eq!(text_string(&pdf, catalog, b"Lang"), "fr");
    let mark_info = catalog
        .get_deref(b"MarkInfo", &pdf)
        .and_then(Object::as_dict)
        .expect("MarkInfo");
    assert_eq!(
        mark_info.get(b"Marked").and_then(Object::as_bool).ok(),
        Some(true)
    );
    let preferences = catalog
        .get_deref(b"ViewerPreferences", &pdf)
        .and_then(Object::as_dict)
        .expect("ViewerPreferences");
    assert_eq!(
        preferences
            .get(b"DisplayDocTitle")
            .and_then(Object::as_bool)
            .ok(),
        Some(true)
    );
    assert!(catalog.has(b"StructTreeRoot"));
    assert!(catalog.has(b"Outlines"));

    let info = pdf
        .trailer
        .get_deref(b"Info", &pdf)
        .and_then(Object::as_dict)
        .expect("Info");
    assert_eq!(text_string(&pdf, info, b"Title"), agreement().title);
    assert_eq!(text_string(&pdf, info, b"Author"), "Métropole de Grenoble");

    let roles: BTreeSet<String> = pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.has(b"P") && d.has(b"K"))
        .filter_map(|d| d.get(b"S").and_then(Object::as_name).ok())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    for role in [
        "H1", "H2", "H3", "P", "L", "LI", "Lbl", "LBody", "Table", "THead", "TBody", "TR", "TH",
        "TD", "Div",
    ] {
        assert!(roles.contains(role), "no {role} element in {roles:?}");
    }
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    let document = agreement();
    let first = render(&document).expect("renders");
    let second = render(&document).expect("renders");
    assert!(first == second, "two renderings differ");
}

#[test]
fn a_document_without_title_is_refused_in_french() {
    let error = render(&Document {
        title: "  ".to_owned(),
        ..agreement()
    })
    .expect_err("refused");
    assert!(matches!(error, PdfError::MissingTitle));
    assert!(
        error
            .to_string()
            .starts_with("le document n’a pas de titre"),
        "{error}"
    );
}

#[test]
fn characters_the_font_lacks_do_not_stop_the_document() {
    let document = Document {
        title: "Caractères rares".to_owned(),
        blocks: vec![Block::Paragraph(
            "Jardin partagé 🌱 et 漢字, tabulation\tet contrôle\u{7}.".to_owned(),
        )],
        ..Document::default()
    };
    let text = page_texts(&pdf(&document)).remove(0);
    assert!(text.contains("Jardin partagé"), "{text}");
    assert!(text.contains("tabulation et contrôle."), "{text}");
}

/// `ESSOR_PDF_SAMPLE=path cargo test -p essor-pdf` writes the sample agreement there, to look at.
#[test]
fn the_sample_agreement_can_be_written_for_a_look() {
    if let Some(path) = std::env::var_os("ESSOR_PDF_SAMPLE") {
        std::fs::write(path, render(&agreement()).expect("renders")).expect("written");
    }
}
