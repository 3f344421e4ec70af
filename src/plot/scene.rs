//! A tiny display list shared by the SVG writer and the PNG rasterizer, so both outputs of a
//! picture are drawn from the same geometry.
//!
//! Coordinates are pixels, origin top-left, y down (as SVG and PNG both use).

use std::fmt::Write;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub(crate) const BLACK: Rgb = Rgb(0, 0, 0);
    pub(crate) const DARK_GREY: Rgb = Rgb(100, 100, 100);
    pub(crate) const GREY: Rgb = Rgb(160, 160, 160);
    pub(crate) const LIGHT_GREY: Rgb = Rgb(215, 215, 215);
}

/// How a text's `x` relates to the text (as SVG `text-anchor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// Text sizes: SVG font size in px, and the PNG's integer scale of the 8×8 bitmap font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextSize {
    /// Tick labels: 11 px; PNG 8 px glyph cells.
    Small,
    /// Labels: 13 px; PNG 16 px glyph cells.
    Normal,
    /// Titles: 17 px; PNG 16 px glyph cells.
    Title,
}

impl TextSize {
    pub(crate) fn svg_px(self) -> u32 {
        match self {
            TextSize::Small => 11,
            TextSize::Normal => 13,
            TextSize::Title => 17,
        }
    }

    /// The PNG's glyph scale: each font bit becomes a `scale × scale` pixel square.
    pub(crate) fn png_scale(self) -> u32 {
        match self {
            TextSize::Small => 1,
            TextSize::Normal | TextSize::Title => 2,
        }
    }

    /// A width that both renderings of `text` stay within, px (the bitmap font's, which is
    /// the wider one). Used for layout.
    pub(crate) fn width_of(self, text: &str) -> f64 {
        (text.chars().count() as u32 * 8 * self.png_scale()) as f64
    }
}

/// The stroke of a line or curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pen {
    pub colour: Rgb,
    /// Width, px.
    pub width: f64,
    /// Dash pattern (on, off, …) in px; empty for solid.
    pub dash: &'static [f64],
}

impl Pen {
    pub(crate) const fn solid(colour: Rgb, width: f64) -> Self {
        Self {
            colour,
            width,
            dash: &[],
        }
    }
}

/// One drawing instruction; drawn in list order (later on top).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// Opens an SVG group `<g class="…">` (no effect on the PNG).
    Group(&'static str),
    /// Closes the innermost group.
    EndGroup,
    /// A polyline with round joins, closed if `closed`.
    Polyline {
        points: Vec<[f64; 2]>,
        closed: bool,
        pen: Pen,
    },
    /// A circle outline.
    Circle {
        centre: [f64; 2],
        radius: f64,
        pen: Pen,
    },
    /// A strut: a segment with round caps, drawn inside an enclosing `Group` that sets the
    /// cap style in SVG.
    Segment {
        a: [f64; 2],
        b: [f64; 2],
        width: f64,
        colour: Rgb,
    },
    /// A rectangle filled with a vertical colour ramp: `stops[0]` at the bottom, the last at
    /// the top, evenly spaced and linearly interpolated.
    Ramp {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        stops: &'static [Rgb],
    },
    /// A line of text; `at` is the anchor point on the baseline.
    Text {
        at: [f64; 2],
        size: TextSize,
        anchor: Anchor,
        colour: Rgb,
        text: String,
    },
}

impl Item {
    /// A picture's title: black, title size, centred at the top (30 px down) of a scene
    /// `width` px wide.
    pub(crate) fn title(width: f64, text: &str) -> Item {
        Item::Text {
            at: [width / 2.0, 30.0],
            size: TextSize::Title,
            anchor: Anchor::Middle,
            colour: Rgb::BLACK,
            text: text.to_string(),
        }
    }
}

/// A picture: size in px and its drawing instructions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scene {
    pub width: u32,
    pub height: u32,
    /// Shown as the SVG `<title>`.
    pub title: String,
    pub items: Vec<Item>,
}

/// Writes `x` rounded to 0.1 with no trailing `.0` and never `-0`, e.g. `12.3`, `-4`, `0`.
/// Deterministic (integer arithmetic after one rounding).
pub(crate) fn push_num(out: &mut String, x: f64) {
    let tenths = (x * 10.0).round();
    let tenths = if tenths.is_finite() { tenths as i64 } else { 0 };
    if tenths < 0 {
        out.push('-');
    }
    let t = tenths.unsigned_abs();
    let _ = write!(out, "{}", t / 10);
    if t % 10 != 0 {
        let _ = write!(out, ".{}", t % 10);
    }
}

fn push_hex(out: &mut String, c: Rgb) {
    let _ = write!(out, "#{:02x}{:02x}{:02x}", c.0, c.1, c.2);
}

/// Escapes the five XML special characters and drops characters XML 1.0 forbids.
pub(crate) fn push_escaped(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn push_pen(out: &mut String, pen: &Pen) {
    out.push_str(" stroke=\"");
    push_hex(out, pen.colour);
    out.push_str("\" stroke-width=\"");
    push_num(out, pen.width);
    out.push('"');
    if !pen.dash.is_empty() {
        out.push_str(" stroke-dasharray=\"");
        for (k, d) in pen.dash.iter().enumerate() {
            if k > 0 {
                out.push(' ');
            }
            push_num(out, *d);
        }
        out.push('"');
    }
}

/// A strut as a compact SVG path from `a` to `b`.
fn push_segment(out: &mut String, a: [f64; 2], b: [f64; 2], width: f64, colour: Rgb) {
    // The compact form: ~75 bytes per strut.
    out.push_str("<path d=\"M");
    push_num(out, a[0]);
    out.push(' ');
    push_num(out, a[1]);
    out.push('L');
    push_num(out, b[0]);
    out.push(' ');
    push_num(out, b[1]);
    out.push_str("\" stroke=\"");
    push_hex(out, colour);
    out.push_str("\" stroke-width=\"");
    push_num(out, width);
    out.push_str("\"/>\n");
}

/// A colour ramp as gradient `ramp{ramps}` and the rectangle `[x, y, w, h]` it fills.
fn push_ramp(out: &mut String, ramps: usize, rect: [f64; 4], stops: &[Rgb]) {
    let _ = write!(
        out,
        "<defs><linearGradient id=\"ramp{ramps}\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
    );
    let last = stops.len().saturating_sub(1).max(1);
    for (k, c) in stops.iter().enumerate() {
        let _ = write!(
            out,
            "<stop offset=\"{:.4}\" stop-color=\"",
            k as f64 / last as f64
        );
        push_hex(out, *c);
        out.push_str("\"/>");
    }
    out.push_str("</linearGradient></defs>\n");
    push_rect(out, rect);
    let _ = writeln!(out, " fill=\"url(#ramp{ramps})\"/>");
}

/// A `<text>` element at `at`.
fn push_text(
    out: &mut String,
    at: [f64; 2],
    size: TextSize,
    anchor: Anchor,
    colour: Rgb,
    text: &str,
) {
    out.push_str("<text x=\"");
    push_num(out, at[0]);
    out.push_str("\" y=\"");
    push_num(out, at[1]);
    let _ = write!(out, "\" font-size=\"{}\"", size.svg_px());
    match anchor {
        Anchor::Start => {}
        Anchor::Middle => out.push_str(" text-anchor=\"middle\""),
        Anchor::End => out.push_str(" text-anchor=\"end\""),
    }
    if size == TextSize::Title {
        out.push_str(" font-weight=\"bold\"");
    }
    out.push_str(" fill=\"");
    push_hex(out, colour);
    out.push_str("\">");
    push_escaped(out, text);
    out.push_str("</text>\n");
}

/// The scene as a standalone SVG 1.1 document (UTF-8, one element per line).
pub(crate) fn to_svg(scene: &Scene) -> String {
    let mut out = String::with_capacity(4096 + 80 * scene.items.len());
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n<title>",
        w = scene.width,
        h = scene.height
    );
    push_escaped(&mut out, &scene.title);
    out.push_str("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    let mut ramps = 0;
    for item in &scene.items {
        match item {
            Item::Group(class) => {
                let _ = writeln!(
                    out,
                    "<g class=\"{class}\" fill=\"none\" \
                     stroke-linecap=\"round\" stroke-linejoin=\"round\">"
                );
            }
            Item::EndGroup => out.push_str("</g>\n"),
            Item::Polyline {
                points,
                closed,
                pen,
            } => {
                out.push_str("<path d=\"");
                for (k, p) in points.iter().enumerate() {
                    out.push(if k == 0 { 'M' } else { 'L' });
                    push_num(&mut out, p[0]);
                    out.push(' ');
                    push_num(&mut out, p[1]);
                }
                if *closed {
                    out.push('Z');
                }
                out.push('"');
                push_pen(&mut out, pen);
                out.push_str(" fill=\"none\"/>\n");
            }
            Item::Circle {
                centre,
                radius,
                pen,
            } => {
                out.push_str("<circle cx=\"");
                push_num(&mut out, centre[0]);
                out.push_str("\" cy=\"");
                push_num(&mut out, centre[1]);
                out.push_str("\" r=\"");
                push_num(&mut out, *radius);
                out.push('"');
                push_pen(&mut out, pen);
                out.push_str(" fill=\"none\"/>\n");
            }
            Item::Segment {
                a,
                b,
                width,
                colour,
            } => push_segment(&mut out, *a, *b, *width, *colour),
            Item::Ramp { x, y, w, h, stops } => {
                push_ramp(&mut out, ramps, [*x, *y, *w, *h], stops);
                ramps += 1;
            }
            Item::Text {
                at,
                size,
                anchor,
                colour,
                text,
            } => push_text(&mut out, *at, *size, *anchor, *colour, text),
        }
    }
    out.push_str("</svg>\n");
    out
}

fn push_rect(out: &mut String, [x, y, w, h]: [f64; 4]) {
    out.push_str("<rect x=\"");
    push_num(out, x);
    out.push_str("\" y=\"");
    push_num(out, y);
    out.push_str("\" width=\"");
    push_num(out, w);
    out.push_str("\" height=\"");
    push_num(out, h);
    out.push('"');
}

/// A "nice" tick step (1, 2, 2.5 or 5 × 10ᵏ) at least `raw`, and the number of decimals that
/// print its multiples exactly.
pub(crate) fn nice_step(raw: f64) -> (f64, usize) {
    assert!(raw.is_finite() && raw > 0.0, "tick step {raw} must be > 0");
    let exp = raw.log10().floor();
    let base = 10f64.powf(exp);
    let mut mantissa = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|m| m * base >= raw * (1.0 - 1e-12))
        .unwrap_or(10.0);
    let mut exp = exp as i32;
    if mantissa == 10.0 {
        mantissa = 1.0;
        exp += 1;
    }
    let extra = usize::from(mantissa == 2.5);
    let decimals = (-exp).max(0) as usize + extra;
    (mantissa * 10f64.powi(exp), decimals)
}

/// The top of a value axis: the smallest multiple of `step` (at least one) not below `max`.
pub(crate) fn axis_top(max: f64, step: f64) -> f64 {
    step * (max / step * (1.0 - 1e-9)).ceil().max(1.0)
}

/// A plot frame in picture coordinates: `x0..x1` left to right, `y0` the bottom, `y1` the top.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

/// Horizontal grid lines from 0 to `top` every `step`, each labelled left of the frame with
/// `decimals` decimals; `y_of` maps a value to its picture `y`.
pub(crate) fn value_grid(
    items: &mut Vec<Item>,
    frame: Frame,
    (step, decimals, top): (f64, usize, f64),
    y_of: &impl Fn(f64) -> f64,
) {
    let mut v = 0.0;
    while v <= top * (1.0 + 1e-9) {
        let y = y_of(v);
        items.push(Item::Polyline {
            points: vec![[frame.x0, y], [frame.x1, y]],
            closed: false,
            pen: Pen::solid(Rgb::LIGHT_GREY, 1.0),
        });
        items.push(Item::Text {
            at: [frame.x0 - 6.0, y + 4.0],
            size: TextSize::Small,
            anchor: Anchor::End,
            colour: Rgb::BLACK,
            text: tick_label(v, decimals),
        });
        v += step;
    }
}

/// The left and bottom axes of `frame` and the value axis's `unit`, centred `unit_offset` left
/// of it.
pub(crate) fn axes_with_unit(items: &mut Vec<Item>, frame: Frame, unit: &str, unit_offset: f64) {
    let Frame { x0, x1, y0, y1 } = frame;
    items.push(Item::Polyline {
        points: vec![[x0, y1], [x0, y0], [x1, y0]],
        closed: false,
        pen: Pen::solid(Rgb::BLACK, 1.0),
    });
    items.push(Item::Text {
        at: [x0 - unit_offset, (y0 + y1) / 2.0],
        size: TextSize::Small,
        anchor: Anchor::Middle,
        colour: Rgb::BLACK,
        text: unit.into(),
    });
}

/// Prints `v` with `decimals` decimals, never `-0`.
pub(crate) fn tick_label(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_to_tenths_without_negative_zero() {
        let mut s = String::new();
        for x in [0.0, -0.0, -0.04, 12.34, 12.0, -3.25, 1e-9, 999.96] {
            push_num(&mut s, x);
            s.push(',');
        }
        assert_eq!(s, "0,0,0,12.3,12,-3.3,0,1000,");
    }

    #[test]
    fn nice_steps_and_decimals() {
        assert_eq!(nice_step(0.3), (0.5, 1));
        assert_eq!(nice_step(3.0), (5.0, 0));
        assert_eq!(nice_step(0.021), (0.025, 3));
        assert_eq!(nice_step(9.5), (10.0, 0));
        assert_eq!(nice_step(0.1), (0.1, 1));
        assert_eq!(tick_label(-0.0001, 2), "0.00");
        assert_eq!(tick_label(0.35, 2), "0.35");
    }

    #[test]
    fn text_is_escaped() {
        let mut s = String::new();
        push_escaped(&mut s, "a<b & \"c\"\u{1}");
        assert_eq!(s, "a&lt;b &amp; &quot;c&quot;");
    }
}
