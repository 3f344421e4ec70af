//! Stiffness along the segments between control points: one panel per segment (at most
//! [`MAX_PANELS`]), the Young's moduli along the material axes E₁ (solid), E₂ (dashed) and
//! E₃ (dotted), GPa, against the fraction of the way `t` ∈ [0, 1]; markers at the samples.
//! Flat stretches near t = 0 and t = 1 are the points' cores, the slope between them the
//! transition.

use super::scene::{
    Anchor, Frame, Item, Pen, Rgb, Scene, TextSize, axes_with_unit, axis_top, nice_step,
    tick_label, value_grid,
};
use crate::mechanics::Stiffness;

/// Most panels drawn; later segments are left out (the report has them all).
pub const MAX_PANELS: usize = 12;

const WIDTH: f64 = 900.0;
const PANEL_H: f64 = 170.0;
const TOP: f64 = 60.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 140.0;
const GAP: f64 = 44.0;

/// One segment's samples: its label (`from → to`) and `(t, stiffness normalized by E)`.
#[derive(Debug, Clone)]
pub struct SegmentCurve<'a> {
    /// Shown above the panel.
    pub label: String,
    /// `(t, stiffness)` in order of `t`.
    pub samples: Vec<(f64, &'a Stiffness)>,
}

const AXES: [(&str, &[f64], Rgb); 3] = [
    ("E1", &[], Rgb(31, 119, 180)),
    ("E2", &[7.0, 4.0], Rgb(214, 39, 40)),
    ("E3", &[2.0, 3.0], Rgb(44, 160, 44)),
];

pub(crate) fn scene(title: &str, segments: &[SegmentCurve], youngs_modulus_gpa: f64) -> Scene {
    let shown = &segments[..segments.len().min(MAX_PANELS)];
    let height = TOP + shown.len().max(1) as f64 * (PANEL_H + GAP) + 10.0;
    let mut items = vec![Item::title(WIDTH, title)];
    if shown.is_empty() {
        items.push(Item::Text {
            at: [WIDTH / 2.0, TOP + 40.0],
            size: TextSize::Normal,
            anchor: Anchor::Middle,
            colour: Rgb::GREY,
            text: "(no segments)".into(),
        });
    }
    for (k, seg) in shown.iter().enumerate() {
        let top = TOP + k as f64 * (PANEL_H + GAP) + 20.0;
        panel(&mut items, seg, top, youngs_modulus_gpa);
    }
    Scene {
        width: WIDTH as u32,
        height: height.ceil() as u32,
        title: title.to_string(),
        items,
    }
}

/// E along axis `i`, GPa (0 when the compliance is not finite).
fn axial(c: &Stiffness, i: usize, e_gpa: f64) -> f64 {
    let s = c.compliance();
    let v = 1.0 / s[(i, i)] * e_gpa;
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

fn panel(items: &mut Vec<Item>, seg: &SegmentCurve, top: f64, e_gpa: f64) {
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let (y0, y1) = (top + PANEL_H, top);
    let values: Vec<[f64; 3]> = seg
        .samples
        .iter()
        .map(|(_, c)| std::array::from_fn(|i| axial(c, i, e_gpa)))
        .collect();
    let e_max = values.iter().flatten().copied().fold(0.0, f64::max);
    let (step, decimals) = nice_step(if e_max > 0.0 { e_max / 3.0 } else { 1.0 });
    let y_max = axis_top(e_max, step);
    let px = |t: f64, e: f64| [x0 + (x1 - x0) * t, y0 - (y0 - y1) * e / y_max];
    items.push(Item::Text {
        at: [x0, top - 8.0],
        size: TextSize::Normal,
        anchor: Anchor::Start,
        colour: Rgb::BLACK,
        text: seg.label.clone(),
    });
    let frame = Frame { x0, x1, y0, y1 };
    items.push(Item::Group("grid"));
    value_grid(items, frame, (step, decimals, y_max), &|v| px(0.0, v)[1]);
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        items.push(Item::Text {
            at: [px(t, 0.0)[0], y0 + 16.0],
            size: TextSize::Small,
            anchor: Anchor::Middle,
            colour: Rgb::BLACK,
            text: tick_label(t, 2),
        });
    }
    axes_with_unit(items, frame, "GPa", 56.0);
    items.push(Item::EndGroup);
    panel_curves(items, seg, &values, &px, x1, y1);
}

/// The panel's three curves (one per axis, `values` per sample) and their legend right of
/// `x1`, from `y1` down; `px` maps (t, E) to the picture.
fn panel_curves(
    items: &mut Vec<Item>,
    seg: &SegmentCurve,
    values: &[[f64; 3]],
    px: &impl Fn(f64, f64) -> [f64; 2],
    x1: f64,
    y1: f64,
) {
    items.push(Item::Group("curves"));
    for (i, (name, dash, colour)) in AXES.iter().enumerate() {
        let points: Vec<[f64; 2]> = seg
            .samples
            .iter()
            .zip(values)
            .map(|((t, _), v)| px(*t, v[i]))
            .collect();
        for p in &points {
            items.push(Item::Circle {
                centre: *p,
                radius: 2.5,
                pen: Pen::solid(*colour, 1.5),
            });
        }
        items.push(Item::Polyline {
            points,
            closed: false,
            pen: Pen {
                colour: *colour,
                width: 2.0,
                dash,
            },
        });
        let ly = y1 + 14.0 + 18.0 * i as f64;
        items.push(Item::Polyline {
            points: vec![[x1 + 16.0, ly - 4.0], [x1 + 46.0, ly - 4.0]],
            closed: false,
            pen: Pen {
                colour: *colour,
                width: 2.0,
                dash,
            },
        });
        items.push(Item::Text {
            at: [x1 + 52.0, ly],
            size: TextSize::Small,
            anchor: Anchor::Start,
            colour: Rgb::BLACK,
            text: (*name).to_string(),
        });
    }
    items.push(Item::EndGroup);
}
