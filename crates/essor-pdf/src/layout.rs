//! Layout: blocks become lines of text, rules and boxes placed on A4 pages, plus the logical
//! structure (headings, paragraphs, lists, tables) that tags them.
//!
//! Coordinates are PDF points from the page's top-left corner, y growing downwards (krilla's
//! convention); a text run's `y` is its baseline.

use crate::font::{ASCENT, DESCENT, Fonts};
use crate::{Block, Document, PdfError};

pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// 2 cm on the sides and at the top.
pub(crate) const MARGIN: f32 = 56.69;
/// Where content stops: 2.5 cm above the bottom edge, leaving room for the footer.
pub(crate) const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 70.87;
pub(crate) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 36.0;

const BODY_SIZE: f32 = 10.0;
const BODY_LEADING: f32 = 1.4;
const FOOTER_SIZE: f32 = 8.0;
const HEADING_SIZES: [f32; 3] = [16.0, 13.0, 11.0];
const HEADING_LEADING: f32 = 1.25;
/// Space after a block.
const BLOCK_GAP: f32 = 8.0;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;
const BULLET_WIDTH: f32 = 14.0;
const SIGNATURES_PER_ROW: usize = 3;
const SIGNATURE_GAP: f32 = 12.0;
/// Room to sign under a signature box's caption.
const SIGNATURE_ROOM: f32 = 80.0;
pub(crate) const HEADER_GREY: u8 = 232;
pub(crate) const RULE_GREY: u8 = 128;
pub(crate) const FOOTER_GREY: u8 = 80;

/// The laid-out document.
pub(crate) struct Layout {
    pub(crate) pages: Vec<Vec<Item>>,
    /// The logical structure, in reading order; every content id appears once.
    pub(crate) structure: Vec<Node>,
    pub(crate) headings: Vec<HeadingMark>,
}

/// Something drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Text(TextRun),
    /// A rectangle, filled with a grey and/or stroked with the rule grey; always an artifact.
    Rect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        fill: Option<u8>,
        stroke: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TextRun {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) size: f32,
    pub(crate) bold: bool,
    pub(crate) grey: u8,
    pub(crate) text: String,
    /// Real content (its id in the structure) or an artifact (footer, repeated table header).
    pub(crate) content: Option<usize>,
    /// The measured width, for tests and right alignment.
    pub(crate) width: f32,
}

/// A node of the logical structure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Group(Kind, Vec<Node>),
    Content(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Heading(u8, String),
    Paragraph,
    List,
    ListItem,
    Label,
    ListBody,
    Table,
    TableHead,
    TableBody,
    Row,
    ColumnHeader,
    RowHeader,
    Cell,
    Division,
}

/// Where a heading starts, for the outline.
pub(crate) struct HeadingMark {
    pub(crate) level: u8,
    pub(crate) text: String,
    pub(crate) page: usize,
    pub(crate) y: f32,
}

pub(crate) fn layout(document: &Document, fonts: &Fonts) -> Result<Layout, PdfError> {
    let mut writer = Writer {
        fonts,
        pages: vec![Vec::new()],
        y: MARGIN,
        next_content: 0,
        headings: Vec::new(),
    };
    let mut structure = Vec::new();
    for block in &document.blocks {
        if let Some(node) = writer.block(block)? {
            structure.push(node);
        }
    }
    writer.footers(&clean(&document.footer));
    Ok(Layout {
        pages: writer.pages,
        structure,
        headings: writer.headings,
    })
}

/// Drops what a PDF cannot carry as text (control characters, byte-order marks); tabs become
/// spaces. Keeps '\n'.
fn clean(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Breaks `text` into lines no wider than `width`: at spaces (never at no-break spaces, so
/// « 12 345,67 € » stays whole), at each '\n', and inside a word wider than a line.
pub(crate) fn wrap(fonts: &Fonts, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let face = fonts.face(bold);
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    for paragraph in clean(text).split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let word_width = face.width(word, size);
            if !line.is_empty() && line_width + space + word_width <= width {
                line.push(' ');
                line.push_str(word);
                line_width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word starts a line; a word wider than the line is cut where it overflows.
            line_width = 0.0;
            for c in word.chars() {
                let c_width = face.width(c.encode_utf8(&mut [0; 4]), size);
                if !line.is_empty() && line_width + c_width > width {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += c_width;
            }
        }
        lines.push(line);
    }
    lines
}

fn line_height(size: f32, leading: f32) -> f32 {
    size * leading
}

/// The baseline of a line whose box starts at `top`: ascent and descent centred in the box.
fn baseline(top: f32, size: f32, leading: f32) -> f32 {
    top + (line_height(size, leading) - (ASCENT + DESCENT) * size) / 2.0 + ASCENT * size
}

/// A cell of a row: its lines, where it sits, how its text looks.
struct Cell {
    lines: Vec<String>,
    x: f32,
    width: f32,
    bold: bool,
    right: bool,
}

#[derive(Clone, Copy)]
struct RowStyle {
    borders: bool,
    fill: Option<u8>,
    pad_x: f32,
    pad_y: f32,
    /// May break between any two lines (paragraphs, list items); otherwise the row moves to
    /// the next page whole, unless it is taller than a page.
    splittable: bool,
    min_height: f32,
}

const PLAIN: RowStyle = RowStyle {
    borders: false,
    fill: None,
    pad_x: 0.0,
    pad_y: 0.0,
    splittable: true,
    min_height: 0.0,
};

/// A table's header, redrawn as an artifact at the top of each page the table continues on.
struct RepeatedHeader {
    cells: Vec<Cell>,
    style: RowStyle,
}

struct Writer<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Item>>,
    /// Top of the free space on the last page.
    y: f32,
    next_content: usize,
    headings: Vec<HeadingMark>,
}

impl Writer<'_> {
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    fn at_top(&self) -> bool {
        self.y <= MARGIN
    }

    fn fits(&self, height: f32) -> bool {
        self.y + height <= CONTENT_BOTTOM
    }

    /// Starts a new page unless `height` fits here or the page is still empty.
    fn ensure(&mut self, height: f32) {
        if !self.fits(height) && !self.at_top() {
            self.new_page();
        }
    }

    fn gap(&mut self, height: f32) {
        if !self.at_top() {
            self.y += height;
        }
    }

    fn push(&mut self, item: Item) {
        self.pages.last_mut().expect("a page").push(item);
    }

    /// Places one line of text; returns its content id unless it is an artifact.
    fn text(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: &str,
        artifact: bool,
    ) -> Option<usize> {
        let content = (!artifact).then(|| {
            self.next_content += 1;
            self.next_content - 1
        });
        let width = self.fonts.face(bold).width(text, size);
        self.push(Item::Text(TextRun {
            x,
            y,
            size,
            bold,
            grey: 0,
            text: text.to_owned(),
            content,
            width,
        }));
        content
    }

    fn block(&mut self, block: &Block) -> Result<Option<Node>, PdfError> {
        let node = match block {
            Block::Heading { level, text } => Some(self.heading(*level, text)?),
            Block::Paragraph(text) => Some(self.paragraph(text)),
            Block::Fields(fields) => Some(self.fields(fields)),
            Block::Table {
                header,
                rows,
                numeric,
            } => Some(self.table(header, rows, numeric)?),
            Block::List(items) => Some(self.list(items)),
            Block::Signatures(captions) => Some(self.signatures(captions)),
            Block::PageBreak => {
                if !self.at_top() {
                    self.new_page();
                }
                None
            }
        };
        Ok(node)
    }

    fn heading(&mut self, level: u8, text: &str) -> Result<Node, PdfError> {
        let size = match level {
            1..=3 => HEADING_SIZES[usize::from(level - 1)],
            _ => return Err(PdfError::HeadingLevel(level)),
        };
        let lines = wrap(self.fonts, text, size, true, CONTENT_WIDTH);
        let line = line_height(size, HEADING_LEADING);
        self.gap(size * 0.6);
        // Kept with the first line of what follows.
        #[allow(clippy::cast_precision_loss)]
        let with_next = line * lines.len() as f32 + line_height(BODY_SIZE, BODY_LEADING);
        self.ensure(with_next);
        let title = clean(text).replace('\n', " ");
        self.headings.push(HeadingMark {
            level,
            text: title.clone(),
            page: self.pages.len() - 1,
            y: self.y,
        });
        let mut children = Vec::new();
        for text in &lines {
            let y = baseline(self.y, size, HEADING_LEADING);
            children.extend(
                self.text(MARGIN, y, size, true, text, false)
                    .map(Node::Content),
            );
            self.y += line;
        }
        self.y += size * 0.4;
        Ok(Node::Group(Kind::Heading(level, title), children))
    }

    fn paragraph(&mut self, text: &str) -> Node {
        let lines = wrap(self.fonts, text, BODY_SIZE, false, CONTENT_WIDTH);
        let cell = Cell {
            lines,
            x: MARGIN,
            width: CONTENT_WIDTH,
            bold: false,
            right: false,
        };
        let mut contents = self.row(&[cell], PLAIN, None);
        self.y += BLOCK_GAP;
        Node::Group(Kind::Paragraph, contents.remove(0))
    }

    fn fields(&mut self, fields: &[(String, String)]) -> Node {
        let bold = self.fonts.face(true);
        let widest = fields
            .iter()
            .flat_map(|(label, _)| wrap(self.fonts, label, BODY_SIZE, true, f32::INFINITY))
            .map(|line| bold.width(&line, BODY_SIZE))
            .fold(0.0_f32, f32::max);
        let label_width = (widest + 2.0 * CELL_PAD_X).min(CONTENT_WIDTH * 0.4);
        let value_width = CONTENT_WIDTH - label_width;
        let style = RowStyle {
            pad_x: CELL_PAD_X,
            pad_y: 1.0,
            splittable: false,
            ..PLAIN
        };
        let mut rows = Vec::new();
        for (label, value) in fields {
            let inner = |w: f32| w - 2.0 * CELL_PAD_X;
            let cells = [
                Cell {
                    lines: wrap(self.fonts, label, BODY_SIZE, true, inner(label_width)),
                    x: MARGIN,
                    width: label_width,
                    bold: true,
                    right: false,
                },
                Cell {
                    lines: wrap(self.fonts, value, BODY_SIZE, false, inner(value_width)),
                    x: MARGIN + label_width,
                    width: value_width,
                    bold: false,
                    right: false,
                },
            ];
            let mut contents = self.row(&cells, style, None).into_iter();
            let label = Node::Group(Kind::RowHeader, contents.next().unwrap_or_default());
            let value = Node::Group(Kind::Cell, contents.next().unwrap_or_default());
            rows.push(Node::Group(Kind::Row, vec![label, value]));
        }
        self.y += BLOCK_GAP;
        Node::Group(Kind::Table, vec![Node::Group(Kind::TableBody, rows)])
    }

    fn table(
        &mut self,
        header: &[String],
        rows: &[Vec<String>],
        numeric: &[bool],
    ) -> Result<Node, PdfError> {
        if header.is_empty() {
            return Err(PdfError::EmptyTableHeader);
        }
        if let Some((index, row)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != header.len())
        {
            return Err(PdfError::TableRow {
                row: index + 1,
                cells: row.len(),
                columns: header.len(),
            });
        }
        let widths = self.column_widths(header, rows);
        let cells = |texts: &[String], bold: bool| -> Vec<Cell> {
            let mut x = MARGIN;
            texts
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (text, &width))| {
                    let cell = Cell {
                        lines: wrap(self.fonts, text, BODY_SIZE, bold, width - 2.0 * CELL_PAD_X),
                        x,
                        width,
                        bold,
                        right: numeric.get(i).copied().unwrap_or(false),
                    };
                    x += width;
                    cell
                })
                .collect()
        };
        let body_style = RowStyle {
            borders: true,
            pad_x: CELL_PAD_X,
            pad_y: CELL_PAD_Y,
            splittable: false,
            ..PLAIN
        };
        let header_style = RowStyle {
            fill: Some(HEADER_GREY),
            ..body_style
        };
        let repeated = RepeatedHeader {
            cells: cells(header, true),
            style: header_style,
        };

        // The header stays with the first row (or at least its first line).
        let first_row = rows.first().map_or(0.0, |_| row_height(1, body_style));
        self.ensure(repeated.height() + first_row);
        let header_cells = self.row(&repeated.cells, header_style, None);
        let head_row = header_cells
            .into_iter()
            .map(|c| Node::Group(Kind::ColumnHeader, c))
            .collect();
        let mut body = Vec::new();
        for row in rows {
            let contents = self.row(&cells(row, false), body_style, Some(&repeated));
            body.push(Node::Group(
                Kind::Row,
                contents
                    .into_iter()
                    .map(|c| Node::Group(Kind::Cell, c))
                    .collect(),
            ));
        }
        self.y += BLOCK_GAP;
        let mut parts = vec![Node::Group(
            Kind::TableHead,
            vec![Node::Group(Kind::Row, head_row)],
        )];
        if !body.is_empty() {
            parts.push(Node::Group(Kind::TableBody, body));
        }
        Ok(Node::Group(Kind::Table, parts))
    }

    /// Shares the page width between columns: a column needing less than an equal share gets
    /// what it needs, the others share the rest; room left over goes to all in proportion.
    fn column_widths(&self, header: &[String], rows: &[Vec<String>]) -> Vec<f32> {
        let natural: Vec<f32> = (0..header.len())
            .map(|i| {
                let cell_width = |text: &str, bold: bool| {
                    wrap(self.fonts, text, BODY_SIZE, bold, f32::INFINITY)
                        .iter()
                        .map(|l| self.fonts.face(bold).width(l, BODY_SIZE))
                        .fold(0.0_f32, f32::max)
                };
                let body = rows
                    .iter()
                    .map(|r| cell_width(&r[i], false))
                    .fold(0.0_f32, f32::max);
                cell_width(&header[i], true).max(body) + 2.0 * CELL_PAD_X
            })
            .collect();
        let mut widths = vec![0.0; header.len()];
        let mut open: Vec<usize> = (0..header.len()).collect();
        let mut remaining = CONTENT_WIDTH;
        while !open.is_empty() {
            #[allow(clippy::cast_precision_loss)]
            let share = remaining / open.len() as f32;
            let (small, large): (Vec<usize>, Vec<usize>) =
                open.iter().partition(|&&i| natural[i] <= share);
            if small.is_empty() {
                for &i in &large {
                    widths[i] = share;
                }
                remaining = 0.0;
                break;
            }
            for &i in &small {
                widths[i] = natural[i];
                remaining -= natural[i];
            }
            open = large;
        }
        let total: f32 = widths.iter().sum();
        if remaining > 0.0 && total > 0.0 {
            for width in &mut widths {
                *width += remaining * *width / total;
            }
        }
        widths
    }

    fn list(&mut self, items: &[String]) -> Node {
        let mut nodes = Vec::new();
        for item in items {
            let body_width = CONTENT_WIDTH - BULLET_WIDTH;
            let cells = [
                Cell {
                    lines: vec!["•".to_owned()],
                    x: MARGIN + 4.0,
                    width: BULLET_WIDTH - 4.0,
                    bold: false,
                    right: false,
                },
                Cell {
                    lines: wrap(self.fonts, item, BODY_SIZE, false, body_width),
                    x: MARGIN + BULLET_WIDTH,
                    width: body_width,
                    bold: false,
                    right: false,
                },
            ];
            let mut contents = self.row(&cells, PLAIN, None).into_iter();
            let label = Node::Group(Kind::Label, contents.next().unwrap_or_default());
            let body = Node::Group(Kind::ListBody, contents.next().unwrap_or_default());
            nodes.push(Node::Group(Kind::ListItem, vec![label, body]));
            self.y += 2.0;
        }
        self.y += BLOCK_GAP;
        Node::Group(Kind::List, nodes)
    }

    fn signatures(&mut self, captions: &[String]) -> Node {
        let mut nodes = Vec::new();
        for chunk in captions.chunks(SIGNATURES_PER_ROW) {
            #[allow(clippy::cast_precision_loss)]
            let count = chunk.len() as f32;
            let width = (CONTENT_WIDTH - SIGNATURE_GAP * (count - 1.0)) / count;
            let style = RowStyle {
                borders: true,
                pad_x: 6.0,
                pad_y: 6.0,
                splittable: false,
                min_height: SIGNATURE_ROOM,
                fill: None,
            };
            let cells: Vec<Cell> = chunk
                .iter()
                .enumerate()
                .map(|(i, caption)| {
                    #[allow(clippy::cast_precision_loss)]
                    let x = MARGIN + (width + SIGNATURE_GAP) * i as f32;
                    Cell {
                        lines: wrap(self.fonts, caption, BODY_SIZE, false, width - 12.0),
                        x,
                        width,
                        bold: false,
                        right: false,
                    }
                })
                .collect();
            for contents in self.row(&cells, style, None) {
                nodes.push(Node::Group(Kind::Paragraph, contents));
            }
            self.y += SIGNATURE_GAP;
        }
        self.y += BLOCK_GAP;
        Node::Group(Kind::Division, nodes)
    }

    /// Places a row of cells side by side, breaking pages as its style allows and redrawing
    /// `header` on each new page. Returns each cell's content ids.
    fn row(
        &mut self,
        cells: &[Cell],
        style: RowStyle,
        header: Option<&RepeatedHeader>,
    ) -> Vec<Vec<Node>> {
        let line = line_height(BODY_SIZE, BODY_LEADING);
        let count = cells
            .iter()
            .map(|c| c.lines.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let whole = row_height(count, style);
        let header_height = header.map_or(0.0, RepeatedHeader::height);
        let fresh_room = CONTENT_BOTTOM - MARGIN - header_height;
        let mut contents = vec![Vec::new(); cells.len()];
        if !self.fits(whole)
            && ((!style.splittable && whole <= fresh_room) || !self.fits(row_height(1, style)))
        {
            self.continue_on_new_page(header);
        }
        let mut start = 0;
        loop {
            // Lines that fit here (at least one, so that a row always progresses).
            let room = CONTENT_BOTTOM - self.y - 2.0 * style.pad_y;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let fitting = ((room / line + 1e-3).floor().max(1.0) as usize).min(count - start);
            let end = start + fitting;
            let height = if start == 0 && end == count {
                whole
            } else {
                row_height(fitting, style)
            };
            self.cells_fragment(cells, style, start..end, height, false, &mut contents);
            self.y += height;
            if end == count {
                break;
            }
            self.continue_on_new_page(header);
            start = end;
        }
        contents
    }

    fn continue_on_new_page(&mut self, header: Option<&RepeatedHeader>) {
        self.new_page();
        if let Some(header) = header {
            let count = header
                .cells
                .iter()
                .map(|c| c.lines.len())
                .max()
                .unwrap_or(1);
            let height = row_height(count, header.style);
            let mut ignored = vec![Vec::new(); header.cells.len()];
            self.cells_fragment(
                &header.cells,
                header.style,
                0..count,
                height,
                true,
                &mut ignored,
            );
            self.y += height;
        }
    }

    /// Draws lines `range` of each cell at the current position, in a row `height` high.
    fn cells_fragment(
        &mut self,
        cells: &[Cell],
        style: RowStyle,
        range: std::ops::Range<usize>,
        height: f32,
        artifact: bool,
        contents: &mut [Vec<Node>],
    ) {
        let line = line_height(BODY_SIZE, BODY_LEADING);
        for (cell, contents) in cells.iter().zip(contents.iter_mut()) {
            if style.fill.is_some() || style.borders {
                self.push(Item::Rect {
                    x: cell.x,
                    y: self.y,
                    width: cell.width,
                    height,
                    fill: style.fill,
                    stroke: style.borders,
                });
            }
            let mut top = self.y + style.pad_y;
            for text in cell.lines.iter().take(range.end).skip(range.start) {
                let x = if cell.right {
                    let width = self.fonts.face(cell.bold).width(text, BODY_SIZE);
                    cell.x + cell.width - style.pad_x - width
                } else {
                    cell.x + style.pad_x
                };
                let y = baseline(top, BODY_SIZE, BODY_LEADING);
                if !text.is_empty() {
                    let id = self.text(x, y, BODY_SIZE, cell.bold, text, artifact);
                    contents.extend(id.map(Node::Content));
                }
                top += line;
            }
        }
    }

    /// Prints the footer and « Page n / N » at the foot of every page, as artifacts.
    fn footers(&mut self, footer: &str) {
        let total = self.pages.len();
        let face = self.fonts.face(false);
        for index in 0..total {
            let number = format!("Page {} / {total}", index + 1);
            let number_width = face.width(&number, FOOTER_SIZE);
            let room = CONTENT_WIDTH - number_width - 12.0;
            let mut lines = wrap(self.fonts, footer, FOOTER_SIZE, false, room);
            lines.retain(|l| !l.is_empty());
            lines.truncate(2);
            // The last footer line and the page number share the lowest baseline.
            let mut runs = vec![(PAGE_WIDTH - MARGIN - number_width, FOOTER_BASELINE, number)];
            #[allow(clippy::cast_precision_loss)]
            let mut y = FOOTER_BASELINE - FOOTER_SIZE * 1.3 * lines.len().saturating_sub(1) as f32;
            for line in lines {
                runs.push((MARGIN, y, line));
                y += FOOTER_SIZE * 1.3;
            }
            for (x, y, text) in runs {
                let width = face.width(&text, FOOTER_SIZE);
                self.pages[index].push(Item::Text(TextRun {
                    x,
                    y,
                    size: FOOTER_SIZE,
                    bold: false,
                    grey: FOOTER_GREY,
                    text,
                    content: None,
                    width,
                }));
            }
        }
    }
}

impl RepeatedHeader {
    fn height(&self) -> f32 {
        let count = self.cells.iter().map(|c| c.lines.len()).max().unwrap_or(1);
        row_height(count, self.style)
    }
}

#[allow(clippy::cast_precision_loss)]
fn row_height(lines: usize, style: RowStyle) -> f32 {
    (line_height(BODY_SIZE, BODY_LEADING) * lines as f32 + 2.0 * style.pad_y).max(style.min_height)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::load().expect("the embedded fonts load")
    }

    fn document(blocks: Vec<Block>) -> Document {
        Document {
            title: "Essai".to_owned(),
            author: String::new(),
            footer: "Pied de page".to_owned(),
            blocks,
        }
    }

    fn runs(page: &[Item]) -> impl Iterator<Item = &TextRun> {
        page.iter().filter_map(|item| match item {
            Item::Text(run) => Some(run),
            Item::Rect { .. } => None,
        })
    }

    fn long_table(rows: usize) -> Block {
        Block::Table {
            header: vec!["Poste de dépense".to_owned(), "Montant".to_owned()],
            rows: (1..=rows)
                .map(|i| vec![format!("Dépense {i}"), format!("{i}\u{a0}000,00\u{a0}€")])
                .collect(),
            numeric: vec![false, true],
        }
    }

    #[test]
    fn every_french_character_has_its_own_glyph_in_both_faces() {
        let fonts = fonts();
        for c in "éèêëàâçôöûùîïœæÉÈÀÇŒ«»’€\u{202F}\u{A0}–—…°".chars()
        {
            assert!(fonts.regular.has(c), "regular lacks {c:?}");
            assert!(fonts.bold.has(c), "bold lacks {c:?}");
        }
    }

    #[test]
    fn a_word_longer_than_the_line_is_cut_into_lines_that_fit() {
        let fonts = fonts();
        let word = "Anticonstitutionnellement".repeat(3);
        let lines = wrap(
            &fonts,
            &format!("Le mot {word} est long"),
            10.0,
            false,
            120.0,
        );
        assert!(lines.len() >= 4, "{lines:?}");
        for line in &lines {
            assert!(
                fonts.regular.width(line, 10.0) <= 120.0,
                "{line:?} overflows"
            );
        }
        assert_eq!(lines.first().map(String::as_str), Some("Le mot"));
        let rejoined: String = lines[1..].concat();
        assert!(rejoined.starts_with(&word), "{lines:?}");
    }

    #[test]
    fn a_long_word_in_a_paragraph_or_a_cell_stays_inside_the_page_and_the_cell() {
        let fonts = fonts();
        let word = "x".repeat(400);
        let layout = layout(
            &document(vec![
                Block::Paragraph(word.clone()),
                Block::Table {
                    header: vec!["A".to_owned(), "B".to_owned(), "C".to_owned()],
                    rows: vec![vec!["court".to_owned(), word.clone(), "court".to_owned()]],
                    numeric: vec![],
                },
            ]),
            &fonts,
        )
        .expect("layout");
        let page_right = PAGE_WIDTH - MARGIN;
        for run in layout.pages.iter().flat_map(|p| runs(p)) {
            assert!(run.x >= MARGIN - 0.01, "{run:?} starts in the margin");
            assert!(
                run.x + run.width <= page_right + 0.01,
                "{run:?} overflows the page"
            );
        }
        // In the table, the long word stays in its own column: left of the third column's text.
        let third = runs(&layout.pages[0])
            .filter(|r| r.text == "court")
            .map(|r| r.x)
            .fold(0.0_f32, f32::max);
        let cell_lines: Vec<&TextRun> = runs(&layout.pages[0])
            .filter(|r| r.text.starts_with('x') && r.x > MARGIN + 1.0)
            .collect();
        assert!(cell_lines.len() > 1, "the word is wrapped inside its cell");
        for run in cell_lines {
            assert!(
                run.x + run.width < third,
                "{run:?} runs into the next column"
            );
        }
    }

    #[test]
    fn amounts_are_never_broken_at_their_no_break_spaces() {
        let fonts = fonts();
        let amount = "12\u{202F}345\u{202F}678,90\u{A0}€";
        let text = format!("Le montant total accordé à l’association est de {amount}");
        let width = fonts
            .regular
            .width("Le montant total accordé à l’association est de 1", 10.0);
        let lines = wrap(&fonts, &text, 10.0, false, width);
        assert_eq!(lines.last().map(String::as_str), Some(amount), "{lines:?}");
    }

    #[test]
    fn a_newline_in_a_paragraph_starts_a_line() {
        let lines = wrap(
            &fonts(),
            "Première ligne\nSeconde ligne",
            10.0,
            false,
            CONTENT_WIDTH,
        );
        assert_eq!(lines, ["Première ligne", "Seconde ligne"]);
    }

    #[test]
    fn a_long_table_repeats_its_header_at_the_top_of_each_page() {
        let fonts = fonts();
        let layout = layout(&document(vec![long_table(120)]), &fonts).expect("layout");
        assert!(layout.pages.len() >= 3, "{} pages", layout.pages.len());
        for (index, page) in layout.pages.iter().enumerate() {
            let texts: Vec<&TextRun> = runs(page).collect();
            assert_eq!(texts[0].text, "Poste de dépense", "page {}", index + 1);
            assert_eq!(texts[1].text, "Montant", "page {}", index + 1);
            assert!(texts[0].bold);
            // Tagged once, as the table's header; elsewhere an artifact.
            assert_eq!(texts[0].content.is_some(), index == 0, "page {}", index + 1);
            for run in &texts {
                assert!(
                    run.y <= CONTENT_BOTTOM || run.content.is_none(),
                    "{run:?} below the content"
                );
            }
        }
        let rows: usize = layout
            .pages
            .iter()
            .map(|p| runs(p).filter(|r| r.text.starts_with("Dépense")).count())
            .sum();
        assert_eq!(rows, 120, "each row printed once");
    }

    #[test]
    fn amounts_in_a_numeric_column_share_their_right_edge() {
        let layout = layout(&document(vec![long_table(12)]), &fonts()).expect("layout");
        let edges: Vec<f32> = runs(&layout.pages[0])
            .filter(|r| r.text.ends_with('€'))
            .map(|r| r.x + r.width)
            .collect();
        assert_eq!(edges.len(), 12);
        assert!(
            edges.iter().all(|e| (e - edges[0]).abs() < 0.01),
            "{edges:?}"
        );
        assert!(
            (edges[0] - (PAGE_WIDTH - MARGIN - CELL_PAD_X)).abs() < 0.01,
            "{edges:?}"
        );
        let starts: Vec<f32> = runs(&layout.pages[0])
            .filter(|r| r.text.ends_with('€'))
            .map(|r| r.x)
            .collect();
        assert!(
            starts[0] > starts[11],
            "longer amounts start further left: {starts:?}"
        );
    }

    #[test]
    fn every_page_has_its_number_out_of_the_total_and_the_footer() {
        let layout = layout(
            &document(vec![
                Block::Paragraph("Un".to_owned()),
                Block::PageBreak,
                Block::Paragraph("Deux".to_owned()),
            ]),
            &fonts(),
        )
        .expect("layout");
        assert_eq!(layout.pages.len(), 2);
        for (index, page) in layout.pages.iter().enumerate() {
            let texts: Vec<&str> = runs(page).map(|r| r.text.as_str()).collect();
            assert!(
                texts.contains(&format!("Page {} / 2", index + 1).as_str()),
                "{texts:?}"
            );
            assert!(texts.contains(&"Pied de page"), "{texts:?}");
        }
    }

    #[test]
    fn page_breaks_in_a_row_or_first_make_no_blank_page() {
        let layout = layout(
            &document(vec![
                Block::PageBreak,
                Block::Paragraph("Un".to_owned()),
                Block::PageBreak,
                Block::PageBreak,
                Block::Paragraph("Deux".to_owned()),
            ]),
            &fonts(),
        )
        .expect("layout");
        assert_eq!(layout.pages.len(), 2);
    }

    #[test]
    fn a_heading_at_the_foot_of_a_page_moves_to_the_next_with_its_paragraph() {
        let mut blocks: Vec<Block> = (0..52)
            .map(|i| Block::Paragraph(format!("Ligne {i}")))
            .collect();
        blocks.push(Block::Heading {
            level: 2,
            text: "Article 3 – Obligations".to_owned(),
        });
        blocks.push(Block::Paragraph("L’association s’engage à…".to_owned()));
        let layout = layout(&document(blocks), &fonts()).expect("layout");
        let page_of = |text: &str| {
            layout
                .pages
                .iter()
                .position(|p| runs(p).any(|r| r.text == text))
                .expect(text)
        };
        assert_eq!(
            page_of("Article 3 – Obligations"),
            page_of("L’association s’engage à…")
        );
        assert_eq!(layout.headings[0].page, page_of("Article 3 – Obligations"));
    }

    #[test]
    fn a_heading_level_outside_one_to_three_is_refused() {
        let result = layout(
            &document(vec![Block::Heading {
                level: 4,
                text: "Titre".to_owned(),
            }]),
            &fonts(),
        );
        assert!(matches!(result, Err(PdfError::HeadingLevel(4))));
    }

    #[test]
    fn a_table_row_with_too_few_cells_is_refused() {
        let table = Block::Table {
            header: vec!["A".to_owned(), "B".to_owned()],
            rows: vec![vec!["1".to_owned(), "2".to_owned()], vec!["3".to_owned()]],
            numeric: vec![],
        };
        let result = layout(&document(vec![table]), &fonts());
        assert!(matches!(
            result,
            Err(PdfError::TableRow {
                row: 2,
                cells: 1,
                columns: 2
            })
        ));
    }

    #[test]
    fn signature_boxes_sit_side_by_side_with_their_captions() {
        let captions = vec![
            "Pour la Métropole, le Président".to_owned(),
            "Pour l’association, la Présidente".to_owned(),
        ];
        let layout =
            layout(&document(vec![Block::Signatures(captions)]), &fonts()).expect("layout");
        let boxes: Vec<(f32, f32, f32)> = layout.pages[0]
            .iter()
            .filter_map(|item| match item {
                Item::Rect {
                    x,
                    y,
                    height,
                    stroke: true,
                    ..
                } => Some((*x, *y, *height)),
                _ => None,
            })
            .collect();
        assert_eq!(boxes.len(), 2);
        assert!((boxes[0].1 - boxes[1].1).abs() < 0.01, "same row");
        assert!(boxes[1].0 > boxes[0].0);
        assert!(boxes[0].2 >= SIGNATURE_ROOM, "room to sign");
        let captions: Vec<&TextRun> = runs(&layout.pages[0])
            .filter(|r| r.text.starts_with("Pour"))
            .collect();
        assert_eq!(captions.len(), 2);
        assert!(captions[1].x > boxes[1].0);
    }
}
