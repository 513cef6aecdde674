//! essor's PDF writer: the printable documents (the steering committee's file, funding
//! agreements) as A4 pages.
//!
//! A [`Document`] is a list of [`Block`]s; [`render`] lays them out (line breaking by the
//! fonts' measured advances, pagination, tables whose header repeats on each page, footers
//! with « Page n / N ») and writes a tagged PDF/UA-1 file: headings, paragraphs, lists and
//! tables are tagged, the language is French, the title is shown as the window title and the
//! headings make the outline. DejaVu Sans and DejaVu Sans Bold are embedded (subset), so
//! every French character prints, including « », ’, €, œ and the no-break spaces of amounts.
//!
//! The output depends only on the document: no date or random identifier is written, so the
//! same document gives the same bytes.
//!
//! ```
//! use essor_pdf::{Block, Document, render};
//!
//! let document = Document {
//!     title: "Convention de subvention".to_owned(),
//!     author: "Métropole".to_owned(),
//!     footer: "Convention n° 2025-014".to_owned(),
//!     blocks: vec![
//!         Block::Heading { level: 1, text: "Convention de subvention".to_owned() },
//!         Block::Fields(vec![("Montant accordé".to_owned(), "12\u{a0}000,00\u{a0}€".to_owned())]),
//!     ],
//! };
//! let pdf = render(&document)?;
//! assert!(pdf.starts_with(b"%PDF-"));
//! # Ok::<(), essor_pdf::PdfError>(())
//! ```

mod font;
mod layout;
mod write;

/// A document to print on A4 pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The PDF's title (metadata and first heading's context), French.
    ///
    /// Shown as the window title; it is not printed: start the blocks with a heading for that.
    /// Required (PDF/UA): an empty title is an error.
    pub title: String,
    /// Who issues it (the authority), PDF metadata author.
    pub author: String,
    /// Printed small at the foot of each page with « Page n / N » (may be empty).
    ///
    /// At most two lines are printed; a '\n' starts the second.
    pub footer: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading, level 1 to 3.
    ///
    /// It stays on the same page as the first line of what follows. Another level is an error.
    Heading { level: u8, text: String },
    /// A paragraph, wrapped to the page width; a '\n' inside starts a new line.
    Paragraph(String),
    /// Label : value rows (two columns, labels in bold), e.g. « Montant accordé : 12 000,00 € ».
    ///
    /// The label column is as wide as the widest label, at most 40 % of the page width.
    Fields(Vec<(String, String)>),
    /// A table with a header row; `numeric[i]` right-aligns column i (amounts). Rows wrap inside
    /// their cells; a table longer than a page continues on the next with its header repeated.
    ///
    /// Every row must have as many cells as the header (an error otherwise); a missing
    /// `numeric[i]` means left-aligned. Columns share the page width by the width of their
    /// content; a row is never split across pages unless it is taller than a page.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        numeric: Vec<bool>,
    },
    /// A bulleted list.
    List(Vec<String>),
    /// Side-by-side signature boxes, one per party, each with its caption (e.g. « Pour la
    /// Métropole, le Président »), and room to sign.
    ///
    /// Up to three boxes per row; more parties make more rows.
    Signatures(Vec<String>),
    /// Starts a new page.
    ///
    /// Nothing happens at the top of a page that is still empty: two breaks in a row, or a
    /// break first, make no blank page.
    PageBreak,
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    #[error("le document n’a pas de titre (il en faut un pour ses métadonnées et l’accessibilité)")]
    MissingTitle,
    #[error("niveau de titre {0} invalide : 1, 2 ou 3 attendu")]
    HeadingLevel(u8),
    #[error("un tableau doit avoir au moins une colonne dans son en-tête")]
    EmptyTableHeader,
    #[error(
        "la ligne {row} du tableau a {cells} cellule(s) pour {columns} colonne(s) dans l’en-tête"
    )]
    TableRow {
        row: usize,
        cells: usize,
        columns: usize,
    },
    #[error("la police intégrée {0} est illisible")]
    Font(&'static str),
    #[error("l’écriture du PDF a échoué : {0}")]
    Write(String),
}

/// Renders the document. Errors are a `thiserror` enum (`PdfError`) with French messages.
pub fn render(document: &Document) -> Result<Vec<u8>, PdfError> {
    let title = document.title.trim();
    if title.is_empty() {
        return Err(PdfError::MissingTitle);
    }
    let fonts = font::Fonts::load()?;
    let layout = layout::layout(document, &fonts)?;
    write::write(layout, &fonts, title, document.author.trim())
}
