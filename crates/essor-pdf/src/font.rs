//! The two embedded faces, their glyphs and advances.
//!
//! essor's documents are French text in one script, so a glyph per character (the font's
//! character map, no shaping, no kerning) is exact enough, and measuring and drawing use the
//! same advances: a line never ends up wider than it was measured.

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::PdfError;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// DejaVu Sans's ascender and descender, in ems (hhea: 1901 and -483 for 2048 units).
pub(crate) const ASCENT: f32 = 0.928;
pub(crate) const DESCENT: f32 = 0.236;

/// Regular and bold.
pub(crate) struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, PdfError> {
        Ok(Self {
            regular: Face::load(REGULAR, "DejaVu Sans")?,
            bold: Face::load(BOLD, "DejaVu Sans Bold")?,
        })
    }

    pub(crate) fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }
}

/// One face: the font krilla embeds and the tables measured here.
pub(crate) struct Face {
    pub(crate) font: Font,
    font_ref: FontRef<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Drawn for a character the font lacks (U+FFFD, else `?`): never `.notdef`, which PDF/UA
    /// forbids; the text layer still carries the original character.
    replacement: GlyphId,
    space: GlyphId,
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Result<Self, PdfError> {
        let unreadable = || PdfError::Font(name);
        let font_ref = FontRef::new(data).map_err(|_| unreadable())?;
        let font = Font::new(data.into(), 0).ok_or_else(unreadable)?;
        let metrics = font_ref.glyph_metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(
            font_ref
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let charmap = font_ref.charmap();
        let lookup = |c: char| charmap.map(c).map(|g| GlyphId::new(g.to_u32()));
        let replacement = lookup('\u{FFFD}')
            .or_else(|| lookup('?'))
            .ok_or_else(unreadable)?;
        let space = lookup(' ').ok_or_else(unreadable)?;
        Ok(Self {
            font,
            font_ref,
            metrics,
            units_per_em,
            replacement,
            space,
        })
    }

    /// The glyph drawn for `c` and its advance in ems.
    fn glyph(&self, c: char) -> (GlyphId, f32) {
        let id = match self.font_ref.charmap().map(c) {
            Some(id) => GlyphId::new(id.to_u32()),
            None if c.is_whitespace() => self.space,
            None => self.replacement,
        };
        let advance = self
            .metrics
            .advance_width(skrifa::GlyphId::new(id.to_u32()))
            .unwrap_or(0.0);
        (id, advance / self.units_per_em)
    }

    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }

    /// The glyphs of `text`, one per character, each mapped back to its character.
    pub(crate) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(start, c)| {
                let (id, advance) = self.glyph(c);
                KrillaGlyph::new(
                    id,
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    start..start + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }

    /// Whether the font has its own glyph for `c`.
    #[cfg(test)]
    pub(crate) fn has(&self, c: char) -> bool {
        self.font_ref.charmap().map(c).is_some()
    }
}
