//! Polar projections of the directional Young's modulus `E(n)` in the three coordinate
//! planes (as Fig. 3A of Bastek et al., PNAS 2022, doi:10.1073/pnas.2111505119).

use super::scene::{Anchor, Item, Pen, Rgb, Scene, TextSize, nice_step, tick_label};
use crate::mechanics::Stiffness;

/// One labelled stiffness drawn by
/// [`directional_modulus_svg`](super::directional_modulus_svg) and
/// [`directional_modulus_png`](super::directional_modulus_png).
#[derive(Debug, Clone, Copy)]
pub struct Curve<'a> {
    /// Legend text, e.g. `"target"`, `"design (FE)"`, `"graded cell (FE)"`.
    pub label: &'a str,
    /// The stiffness, normalized by the base material's Young's modulus (dimensionless).
    pub stiffness: &'a Stiffness,
}

/// Angular samples per curve (one per degree).
pub const ANGULAR_SAMPLES: usize = 360;

/// A coordinate plane of the material frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plane {
    /// Directions `(cos θ, sin θ, 0)`.
    P12,
    /// Directions `(cos θ, 0, sin θ)`.
    P13,
    /// Directions `(0, cos θ, sin θ)`.
    P23,
}

impl Plane {
    pub(crate) const ALL: [Plane; 3] = [Plane::P12, Plane::P13, Plane::P23];

    /// The unit direction at angle `theta` (rad) from the plane's first axis toward its second.
    pub(crate) fn direction(self, theta: f64) -> [f64; 3] {
        let (s, c) = theta.sin_cos();
        match self {
            Plane::P12 => [c, s, 0.0],
            Plane::P13 => [c, 0.0, s],
            Plane::P23 => [0.0, c, s],
        }
    }

    /// The horizontal and vertical axis names.
    fn axes(self) -> (&'static str, &'static str) {
        match self {
            Plane::P12 => ("1", "2"),
            Plane::P13 => ("1", "3"),
            Plane::P23 => ("2", "3"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Plane::P12 => "1-2 plane",
            Plane::P13 => "1-3 plane",
            Plane::P23 => "2-3 plane",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Plane::P12 => "curves p12",
            Plane::P13 => "curves p13",
            Plane::P23 => "curves p23",
        }
    }
}

/// `E(n)` at `samples` evenly spaced angles `θ_k = 2πk/samples` in `plane`, as `(θ, E)`
/// pairs in the stiffness's unit.
pub(crate) fn sample_plane(stiffness: &Stiffness, plane: Plane, samples: usize) -> Vec<(f64, f64)> {
    (0..samples)
        .map(|k| {
            let theta = std::f64::consts::TAU * k as f64 / samples as f64;
            let e = stiffness
                .youngs_modulus(plane.direction(theta))
                .expect("unit direction");
            (theta, e)
        })
        .collect()
}

/// Line styles: the Okabe–Ito colour-blind-safe palette, each with its own dash pattern so the
/// curves stay apart in grey print too. Cycles after seven curves.
const STYLES: [(Rgb, &[f64]); 7] = [
    (Rgb(0x00, 0x00, 0x00), &[]),
    (Rgb(0x00, 0x72, 0xb2), &[9.0, 5.0]),
    (Rgb(0xd5, 0x5e, 0x00), &[3.0, 3.0]),
    (Rgb(0x00, 0x9e, 0x73), &[10.0, 4.0, 3.0, 4.0]),
    (Rgb(0xcc, 0x79, 0xa7), &[5.0, 3.0]),
    (Rgb(0xe6, 0x9f, 0x00), &[14.0, 4.0]),
    (Rgb(0x56, 0xb4, 0xe9), &[2.0, 5.0]),
];

const CURVE_WIDTH: f64 = 2.2;
const PANEL: f64 = 380.0;
const MARGIN: f64 = 20.0;
/// Radius of the outermost ring, px.
const RADIUS: f64 = 140.0;
const TOP: f64 = 48.0;
const LEGEND_ROW: f64 = 26.0;
const LEGEND_SAMPLE: f64 = 40.0;

fn pen(index: usize) -> Pen {
    let (colour, dash) = STYLES[index % STYLES.len()];
    Pen {
        colour,
        width: CURVE_WIDTH,
        dash,
    }
}

/// Lays out the legend entries in rows within `width`, each row centred; returns each
/// entry's `(x, row)`.
fn legend_layout(labels: &[&str], width: f64) -> Vec<(f64, usize)> {
    let entry = |label: &str| LEGEND_SAMPLE + 8.0 + TextSize::Normal.width_of(label);
    const GAP: f64 = 28.0;
    let mut out: Vec<(f64, usize)> = Vec::with_capacity(labels.len());
    let mut row_ends = Vec::new();
    let (mut x, mut row) = (0.0, 0);
    for label in labels {
        let w = entry(label);
        if x > 0.0 && x + w > width - 2.0 * MARGIN {
            row_ends.push(x - GAP);
            x = 0.0;
            row += 1;
        }
        out.push((x, row));
        x += w + GAP;
    }
    row_ends.push(x - GAP);
    for (x, row) in &mut out {
        *x += ((width - row_ends[*row]) / 2.0).max(MARGIN);
    }
    out
}

/// Each curve's directional Young's modulus in each plane, `(theta, E in GPa)` samples.
fn sample_curves(curves: &[Curve], youngs_modulus_gpa: f64) -> Vec<Vec<Vec<(f64, f64)>>> {
    curves
        .iter()
        .map(|c| {
            Plane::ALL
                .iter()
                .map(|&p| {
                    let mut s = sample_plane(c.stiffness, p, ANGULAR_SAMPLES);
                    s.iter_mut().for_each(|v| v.1 *= youngs_modulus_gpa);
                    s
                })
                .collect()
        })
        .collect()
}

/// One plane's polar grid centred at `(cx, cy)` with `rings` rings, its axes and their labels.
fn plane_frame(items: &mut Vec<Item>, plane: Plane, cx: f64, cy: f64, rings: usize) {
    items.push(Item::Group("grid"));
    for ring in 1..=rings {
        items.push(Item::Circle {
            centre: [cx, cy],
            radius: RADIUS * ring as f64 / rings as f64,
            pen: Pen::solid(Rgb::LIGHT_GREY, 1.0),
        });
    }
    let reach = RADIUS + 8.0;
    for (a, b) in [
        ([cx - reach, cy], [cx + reach, cy]),
        ([cx, cy + reach], [cx, cy - reach]),
    ] {
        items.push(Item::Polyline {
            points: vec![a, b],
            closed: false,
            pen: Pen::solid(Rgb::GREY, 1.0),
        });
    }
    items.push(Item::EndGroup);
    let (h, v) = plane.axes();
    for (at, anchor, text) in [
        ([cx + reach + 6.0, cy + 6.0], Anchor::Start, h),
        ([cx, cy - reach - 6.0], Anchor::Middle, v),
    ] {
        items.push(Item::Text {
            at,
            size: TextSize::Normal,
            anchor,
            colour: Rgb::BLACK,
            text: text.to_string(),
        });
    }
    items.push(Item::Text {
        at: [cx, cy + RADIUS + 34.0],
        size: TextSize::Normal,
        anchor: Anchor::Middle,
        colour: Rgb::BLACK,
        text: "E [GPa]".to_string(),
    });
}

/// The legend under the panels from `legend_top` down; returns the number of rows.
fn legend(items: &mut Vec<Item>, curves: &[Curve], width: f64, legend_top: f64) -> usize {
    let labels: Vec<&str> = curves.iter().map(|c| c.label).collect();
    let layout = legend_layout(&labels, width);
    items.push(Item::Group("legend"));
    for (i, (label, &(x, row))) in labels.iter().zip(&layout).enumerate() {
        let y = legend_top + LEGEND_ROW * row as f64;
        items.push(Item::Polyline {
            points: vec![[x, y - 5.0], [x + LEGEND_SAMPLE, y - 5.0]],
            closed: false,
            pen: pen(i),
        });
        items.push(Item::Text {
            at: [x + LEGEND_SAMPLE + 8.0, y],
            size: TextSize::Normal,
            anchor: Anchor::Start,
            colour: Rgb::BLACK,
            text: label.to_string(),
        });
    }
    items.push(Item::EndGroup);
    layout.last().map_or(0, |l| l.1 + 1)
}

pub(crate) fn scene(title: &str, curves: &[Curve], youngs_modulus_gpa: f64) -> Scene {
    assert!(
        youngs_modulus_gpa.is_finite() && youngs_modulus_gpa > 0.0,
        "youngs_modulus_gpa = {youngs_modulus_gpa} must be finite and > 0"
    );
    let width = 3.0 * PANEL + 2.0 * MARGIN;
    let samples = sample_curves(curves, youngs_modulus_gpa);
    let e_max = samples
        .iter()
        .flatten()
        .flatten()
        .map(|v| v.1)
        .fold(0.0f64, f64::max);
    // A common radial scale: 2–4 labelled rings, the outermost at or just above the largest E.
    let (step, decimals) = nice_step(if e_max > 0.0 { e_max / 3.0 } else { 1.0 });
    let rings = ((e_max / step) * (1.0 - 1e-9)).ceil().max(1.0) as usize;
    let r_max = step * rings as f64;
    let px_per_gpa = RADIUS / r_max;

    let mut items = vec![Item::title(width, title)];
    let cy = TOP + 70.0 + RADIUS;
    for (k, plane) in Plane::ALL.into_iter().enumerate() {
        let cx = MARGIN + PANEL * (k as f64 + 0.5);
        items.push(Item::Text {
            at: [cx, TOP + 22.0],
            size: TextSize::Normal,
            anchor: Anchor::Middle,
            colour: Rgb::BLACK,
            text: plane.name().to_string(),
        });
        plane_frame(&mut items, plane, cx, cy, rings);
        items.push(Item::Group(plane.class()));
        for (i, per_curve) in samples.iter().enumerate() {
            let points = per_curve[k]
                .iter()
                .map(|&(theta, e)| {
                    let r = e * px_per_gpa;
                    [cx + r * theta.cos(), cy - r * theta.sin()]
                })
                .collect();
            items.push(Item::Polyline {
                points,
                closed: true,
                pen: pen(i),
            });
        }
        items.push(Item::EndGroup);
        // Ring labels on top of the curves, so they stay readable.
        for ring in 1..=rings {
            let r = RADIUS * ring as f64 / rings as f64;
            items.push(Item::Text {
                at: [cx + r - 2.0, cy + 14.0],
                size: TextSize::Small,
                anchor: Anchor::End,
                colour: Rgb::DARK_GREY,
                text: tick_label(step * ring as f64, decimals),
            });
        }
    }

    let legend_top = cy + RADIUS + 72.0;
    let rows = legend(&mut items, curves, width, legend_top);
    let height = legend_top + LEGEND_ROW * rows as f64;
    Scene {
        width: width as u32,
        height: height.ceil() as u32,
        title: title.to_string(),
        items,
    }
}
