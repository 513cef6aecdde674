//! Writes a layout with krilla: PDF/UA-1 (tagged, with title, language, outline and
//! `DisplayDocTitle`), fonts subset and embedded.

use std::num::NonZeroU16;

use krilla::color::luma;
use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, ListNumbering, SpanTag, TableHeaderScope, Tag,
    TagGroup, TagKind, TagTree,
};
use krilla::{Document, SerializeSettings};

use crate::PdfError;
use crate::font::Fonts;
use crate::layout::{
    HeadingMark, Item, Kind, Layout, MARGIN, Node, PAGE_HEIGHT, PAGE_WIDTH, RULE_GREY,
};

const LANGUAGE: &str = "fr";

pub(crate) fn write(
    layout: Layout,
    fonts: &Fonts,
    title: &str,
    author: &str,
) -> Result<Vec<u8>, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let mut identifiers: Vec<Option<Identifier>> = Vec::new();
    let page_settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 is a valid size");
    for items in &layout.pages {
        let mut page = document.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        for item in items {
            draw(&mut surface, fonts, item, &mut identifiers);
        }
        surface.finish();
        page.finish();
    }

    let mut tree = TagTree::new().with_lang(Some(LANGUAGE.to_owned()));
    for node in layout.structure {
        if let Some(node) = tag_node(node, &mut identifiers) {
            tree.push(node);
        }
    }
    document.set_tag_tree(tree);
    document.set_outline(outline(&layout.headings, title));
    let mut metadata = Metadata::new()
        .title(title.to_owned())
        .language(LANGUAGE.to_owned())
        .creator("essor".to_owned());
    if !author.is_empty() {
        metadata = metadata.authors(vec![author.to_owned()]);
    }
    document.set_metadata(metadata);
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}

fn draw(
    surface: &mut Surface,
    fonts: &Fonts,
    item: &Item,
    identifiers: &mut Vec<Option<Identifier>>,
) {
    match item {
        Item::Text(run) => {
            let tag = if run.content.is_some() {
                ContentTag::Span(SpanTag::empty())
            } else {
                ContentTag::Artifact(Artifact::with_kind(ArtifactType::PaginationOther))
            };
            let identifier = surface.start_tagged(tag);
            surface.set_fill(Some(Fill {
                paint: luma::Color::new(run.grey).into(),
                ..Fill::default()
            }));
            let face = fonts.face(run.bold);
            surface.draw_glyphs(
                Point::from_xy(run.x, run.y),
                &face.glyphs(&run.text),
                face.font.clone(),
                &run.text,
                run.size,
                false,
            );
            surface.end_tagged();
            if let Some(id) = run.content {
                if identifiers.len() <= id {
                    identifiers.resize(id + 1, None);
                }
                identifiers[id] = Some(identifier);
            }
        }
        Item::Rect {
            x,
            y,
            width,
            height,
            fill,
            stroke,
        } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) else {
                return;
            };
            let mut builder = PathBuilder::new();
            builder.push_rect(rect);
            let Some(path) = builder.finish() else { return };
            surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                ArtifactType::Layout,
            )));
            surface.set_fill(fill.map(|grey| Fill {
                paint: luma::Color::new(grey).into(),
                ..Fill::default()
            }));
            surface.set_stroke(stroke.then(|| Stroke {
                paint: luma::Color::new(RULE_GREY).into(),
                width: 0.5,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
            surface.set_stroke(None);
            surface.end_tagged();
        }
    }
}

/// The structure node as a krilla tag group, its content replaced by the identifiers drawn.
fn tag_node(node: Node, identifiers: &mut [Option<Identifier>]) -> Option<krilla::tagging::Node> {
    match node {
        Node::Content(id) => identifiers
            .get_mut(id)
            .and_then(Option::take)
            .map(Into::into),
        Node::Group(kind, children) => {
            let children: Vec<_> = children
                .into_iter()
                .filter_map(|c| tag_node(c, identifiers))
                .collect();
            Some(TagGroup::with_children(tag_kind(kind), children).into())
        }
    }
}

fn tag_kind(kind: Kind) -> TagKind {
    match kind {
        Kind::Heading(level, title) => {
            let level = NonZeroU16::new(u16::from(level)).unwrap_or(NonZeroU16::MIN);
            Tag::Hn(level, Some(title)).into()
        }
        Kind::Paragraph => Tag::P.into(),
        Kind::List => Tag::L(ListNumbering::Disc).into(),
        Kind::ListItem => Tag::LI.into(),
        Kind::Label => Tag::Lbl.into(),
        Kind::ListBody => Tag::LBody.into(),
        Kind::Table => Tag::Table.into(),
        Kind::TableHead => Tag::THead.into(),
        Kind::TableBody => Tag::TBody.into(),
        Kind::Row => Tag::TR.into(),
        Kind::ColumnHeader => Tag::TH(TableHeaderScope::Column).into(),
        Kind::RowHeader => Tag::TH(TableHeaderScope::Row).into(),
        Kind::Cell => Tag::TD.into(),
        Kind::Division => Tag::Div.into(),
    }
}

/// The bookmarks: one per heading, nested by level; the title alone when there is no heading
/// (PDF/UA wants an outline).
fn outline(headings: &[HeadingMark], title: &str) -> Outline {
    fn destination(page: usize, y: f32) -> XyzDestination {
        XyzDestination::new(page, Point::from_xy(MARGIN, y))
    }
    // Each open node with its level; a heading closes the open nodes of its level or deeper.
    fn close(stack: &mut Vec<(u8, OutlineNode)>, outline: &mut Outline, level: u8) {
        while stack.last().is_some_and(|(l, _)| *l >= level) {
            let (_, node) = stack.pop().expect("checked");
            match stack.last_mut() {
                Some((_, parent)) => parent.push_child(node),
                None => outline.push_child(node),
            }
        }
    }
    let mut outline = Outline::new();
    if headings.is_empty() {
        outline.push_child(OutlineNode::new(title.to_owned(), destination(0, MARGIN)));
        return outline;
    }
    let mut stack: Vec<(u8, OutlineNode)> = Vec::new();
    for heading in headings {
        close(&mut stack, &mut outline, heading.level);
        stack.push((
            heading.level,
            OutlineNode::new(heading.text.clone(), destination(heading.page, heading.y)),
        ));
    }
    close(&mut stack, &mut outline, 0);
    outline
}
