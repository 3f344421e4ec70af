//! Rasterizes a [`Scene`] into a PNG with tiny-skia; text uses the public-domain 8×8 bitmap
//! font of the `font8x8` crate, so no system font is needed and output does not depend on the
//! fonts installed.

use super::scene::{Anchor, Item, Pen, Rgb, Scene};
use tiny_skia::{
    Color, FillRule, GradientStop, LineCap, LineJoin, LinearGradient, Paint, PathBuilder, Pixmap,
    Point, Rect, SpreadMode, Stroke, StrokeDash, Transform,
};

/// The glyph of `ch`: ASCII and Latin-1 (U+00A0–U+00FF); anything else prints as `?`.
fn glyph(ch: char) -> [u8; 8] {
    let c = ch as u32;
    match c {
        0x20..=0x7E => font8x8::legacy::BASIC_LEGACY[c as usize],
        0xA0..=0xFF => font8x8::legacy::LATIN_LEGACY[(c - 0xA0) as usize],
        _ => font8x8::legacy::BASIC_LEGACY[b'?' as usize],
    }
}

fn paint(colour: Rgb) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(colour.0, colour.1, colour.2, 255);
    p.anti_alias = true;
    p
}

fn stroke(pen: &Pen) -> Stroke {
    Stroke {
        width: pen.width as f32,
        line_cap: if pen.dash.is_empty() {
            LineCap::Round
        } else {
            LineCap::Butt
        },
        line_join: LineJoin::Round,
        dash: if pen.dash.is_empty() {
            None
        } else {
            StrokeDash::new(pen.dash.iter().map(|&d| d as f32).collect(), 0.0)
        },
        ..Stroke::default()
    }
}

/// Strokes the polyline through `points` (closed if `closed`) with `pen`.
fn draw_polyline(pixmap: &mut Pixmap, points: &[[f64; 2]], closed: bool, pen: &Pen) {
    let id = Transform::identity();
    let mut pb = PathBuilder::new();
    for (k, p) in points.iter().enumerate() {
        if k == 0 {
            pb.move_to(p[0] as f32, p[1] as f32);
        } else {
            pb.line_to(p[0] as f32, p[1] as f32);
        }
    }
    if closed {
        pb.close();
    }
    if let Some(path) = pb.finish() {
        pixmap.stroke_path(&path, &paint(pen.colour), &stroke(pen), id, None);
    }
}

/// Fills the box `[x, y, w, h]` with a vertical ramp through `stops`, bottom to top.
fn draw_ramp(pixmap: &mut Pixmap, [x, y, w, h]: [f32; 4], stops: &[Rgb]) {
    let id = Transform::identity();
    let last = stops.len().saturating_sub(1).max(1) as f32;
    let grad: Vec<GradientStop> = stops
        .iter()
        .enumerate()
        .map(|(k, c)| GradientStop::new(k as f32 / last, Color::from_rgba8(c.0, c.1, c.2, 255)))
        .collect();
    let shader = LinearGradient::new(
        Point::from_xy(x, y + h),
        Point::from_xy(x, y),
        grad,
        SpreadMode::Pad,
        id,
    );
    if let (Some(shader), Some(r)) = (shader, Rect::from_xywh(x, y, w, h)) {
        let p = Paint {
            shader,
            anti_alias: true,
            ..Paint::default()
        };
        pixmap.fill_rect(r, &p, id, None);
    } else if let (Some(c), Some(r)) = (stops.first(), Rect::from_xywh(x, y, w, h)) {
        // A single stop (or a degenerate box): a plain fill.
        pixmap.fill_rect(r, &paint(*c), id, None);
    }
}

/// The scene as a PNG (8-bit RGBA, white background).
///
/// # Panics
/// If the scene's size is zero or too large for a pixmap (callers check sizes).
pub(crate) fn to_png(scene: &Scene) -> Vec<u8> {
    let mut pixmap = Pixmap::new(scene.width, scene.height).expect("picture size checked");
    pixmap.fill(Color::WHITE);
    let id = Transform::identity();
    for item in &scene.items {
        match item {
            Item::Group(_) | Item::EndGroup => {}
            Item::Polyline {
                points,
                closed,
                pen,
            } => draw_polyline(&mut pixmap, points, *closed, pen),
            Item::Circle {
                centre,
                radius,
                pen,
            } => {
                if let Some(path) =
                    PathBuilder::from_circle(centre[0] as f32, centre[1] as f32, *radius as f32)
                {
                    pixmap.stroke_path(&path, &paint(pen.colour), &stroke(pen), id, None);
                }
            }
            Item::Segment {
                a,
                b,
                width,
                colour,
            } => {
                let mut pb = PathBuilder::new();
                pb.move_to(a[0] as f32, a[1] as f32);
                pb.line_to(b[0] as f32, b[1] as f32);
                if let Some(path) = pb.finish() {
                    let s = Stroke {
                        width: *width as f32,
                        line_cap: LineCap::Round,
                        ..Stroke::default()
                    };
                    pixmap.stroke_path(&path, &paint(*colour), &s, id, None);
                }
            }
            Item::Ramp { x, y, w, h, stops } => {
                let (x, y, w, h) = (*x as f32, *y as f32, *w as f32, *h as f32);
                draw_ramp(&mut pixmap, [x, y, w, h], stops);
            }
            Item::Text {
                at,
                size,
                anchor,
                colour,
                text,
            } => draw_text(&mut pixmap, *at, size.png_scale(), *anchor, *colour, text),
        }
    }
    pixmap
        .encode_png()
        .expect("encoding an in-memory pixmap cannot fail")
}

/// Draws `text` in the 8×8 bitmap font at integer `scale`, snapped to whole pixels so the
/// glyphs stay crisp. `at` is on the baseline (glyph row 7 is the descender row).
fn draw_text(
    pixmap: &mut Pixmap,
    at: [f64; 2],
    scale: u32,
    anchor: Anchor,
    colour: Rgb,
    text: &str,
) {
    let s = scale as f32;
    let advance = 8.0 * s;
    let width = advance * text.chars().count() as f32;
    let x0 = match anchor {
        Anchor::Start => at[0] as f32,
        Anchor::Middle => at[0] as f32 - width / 2.0,
        Anchor::End => at[0] as f32 - width,
    }
    .round();
    let top = (at[1] as f32 - 7.0 * s).round();
    let mut pb = PathBuilder::new();
    for (k, ch) in text.chars().enumerate() {
        let gx = x0 + advance * k as f32;
        for (row, bits) in glyph(ch).iter().enumerate() {
            // Runs of set bits (bit 0 is the leftmost column) become one rectangle each.
            let mut col = 0;
            while col < 8 {
                if bits >> col & 1 == 0 {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < 8 && bits >> col & 1 == 1 {
                    col += 1;
                }
                if let Some(r) = Rect::from_xywh(
                    gx + start as f32 * s,
                    top + row as f32 * s,
                    (col - start) as f32 * s,
                    s,
                ) {
                    pb.push_rect(r);
                }
            }
        }
    }
    if let Some(path) = pb.finish() {
        let mut p = paint(colour);
        p.anti_alias = false;
        pixmap.fill_path(&path, &p, FillRule::Winding, Transform::identity(), None);
    }
}
