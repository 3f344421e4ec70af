//! Curves of a modulus (GPa) against the position along a load axis (mm), one panel: e.g.
//! the apparent modulus of slabs of a simulated part and the modulus its targets predict.
//! Markers at the samples; a legend below the title.

use super::scene::{
    Anchor, Frame, Item, Pen, Rgb, Scene, TextSize, axes_with_unit, axis_top, nice_step,
    tick_label, value_grid,
};

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 480.0;
const TOP: f64 = 90.0;
const BOTTOM: f64 = 60.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 40.0;

/// One curve of [`profile_svg`](super::profile_svg): its legend label and `(position mm,
/// modulus GPa)` samples in order of position.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileCurve {
    /// Shown in the legend.
    pub label: String,
    /// `(position along the axis, mm; modulus, GPa)`.
    pub points: Vec<(f64, f64)>,
}

const STYLES: [(&[f64], Rgb); 3] = [
    (&[], Rgb(31, 119, 180)),
    (&[7.0, 4.0], Rgb(214, 39, 40)),
    (&[2.0, 3.0], Rgb(44, 160, 44)),
];

/// The `(lo, hi)` of `values`, or `(0, 1)` when there are none.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
}

pub(crate) fn scene(title: &str, x_label: &str, curves: &[ProfileCurve]) -> Scene {
    let mut items = vec![Item::Text {
        at: [WIDTH / 2.0, 30.0],
        size: TextSize::Title,
        anchor: Anchor::Middle,
        colour: Rgb::BLACK,
        text: title.to_string(),
    }];
    let (x_lo, mut x_hi) = range(curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)));
    if x_hi <= x_lo {
        x_hi = x_lo + 1.0;
    }
    let (_, y_max) = range(curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    let y_max = y_max.max(1e-9);
    let (step, decimals) = nice_step(y_max / 4.0);
    let y_top = axis_top(y_max, step);
    let (x0, x1, y0, y1) = (LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP);
    let px = |x: f64, y: f64| {
        [
            x0 + (x1 - x0) * (x - x_lo) / (x_hi - x_lo),
            y0 - (y0 - y1) * y / y_top,
        ]
    };
    grid(
        &mut items,
        Frame { x0, x1, y0, y1 },
        (step, decimals, y_top),
        &px,
    );
    let (x_step, x_dec) = nice_step((x_hi - x_lo) / 5.0);
    let mut t = (x_lo / x_step).ceil() * x_step;
    while t <= x_hi * (1.0 + 1e-12) + 1e-12 {
        items.push(Item::Text {
            at: [px(t, 0.0)[0], y0 + 18.0],
            size: TextSize::Small,
            anchor: Anchor::Middle,
            colour: Rgb::BLACK,
            text: tick_label(t, x_dec),
        });
        t += x_step;
    }
    items.push(Item::Text {
        at: [(x0 + x1) / 2.0, y0 + 42.0],
        size: TextSize::Normal,
        anchor: Anchor::Middle,
        colour: Rgb::BLACK,
        text: x_label.to_string(),
    });
    draw_curves(&mut items, curves, &px);
    Scene {
        width: WIDTH as u32,
        height: HEIGHT as u32,
        title: title.to_string(),
        items,
    }
}

/// Horizontal grid lines with their GPa labels and the two axes.
fn grid(
    items: &mut Vec<Item>,
    frame: Frame,
    ticks: (f64, usize, f64),
    px: &impl Fn(f64, f64) -> [f64; 2],
) {
    items.push(Item::Group("grid"));
    value_grid(items, frame, ticks, &|v| px(0.0, v)[1]);
    axes_with_unit(items, frame, "GPa", 60.0);
    items.push(Item::EndGroup);
}

/// The curves with markers, and their legend in one row under the title.
fn draw_curves(items: &mut Vec<Item>, curves: &[ProfileCurve], px: &impl Fn(f64, f64) -> [f64; 2]) {
    items.push(Item::Group("curves"));
    for (k, curve) in curves.iter().enumerate() {
        let (dash, colour) = STYLES[k % STYLES.len()];
        let points: Vec<[f64; 2]> = curve.points.iter().map(|&(x, y)| px(x, y)).collect();
        for p in &points {
            items.push(Item::Circle {
                centre: *p,
                radius: 2.5,
                pen: Pen::solid(colour, 1.5),
            });
        }
        let pen = Pen {
            colour,
            width: 2.0,
            dash,
        };
        items.push(Item::Polyline {
            points,
            closed: false,
            pen,
        });
        let lx = LEFT + 320.0 * k as f64;
        items.push(Item::Polyline {
            points: vec![[lx, 56.0], [lx + 30.0, 56.0]],
            closed: false,
            pen,
        });
        items.push(Item::Text {
            at: [lx + 36.0, 60.0],
            size: TextSize::Small,
            anchor: Anchor::Start,
            colour: Rgb::BLACK,
            text: curve.label.clone(),
        });
    }
    items.push(Item::EndGroup);
}
