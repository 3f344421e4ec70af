//! Correlation plots of predicted against true stiffness constants, one panel per constant
//! (as Fig. 2 and S3/S4 of Bastek et al., PNAS 2022).

use super::scene::{Anchor, Item, Pen, Rgb, Scene, TextSize};

/// Panel side, px.
const PANEL: f64 = 190.0;
/// Gap between panels, px.
const GAP: f64 = 26.0;
/// Left/right margin, px.
const MARGIN: f64 = 20.0;
/// Space above the grid for the title, px.
const TOP: f64 = 50.0;
/// Panels per row.
const COLUMNS: usize = 7;
/// Points drawn per panel at most (an even stride through the rows; R² uses every row).
pub const MAX_POINTS: usize = 3000;

/// One constant's data: its label (e.g. `C11`) and (predicted, true) pairs.
#[derive(Debug, Clone, Copy)]
pub struct Panel<'a> {
    /// Label, e.g. `C14`.
    pub label: &'a str,
    /// The predicted values.
    pub predicted: &'a [f64],
    /// The true values, same length.
    pub truth: &'a [f64],
    /// R² printed under the label.
    pub r_squared: f64,
}

/// Row indices drawn: all when there are at most [`MAX_POINTS`], else an even stride.
fn drawn(n: usize) -> impl Iterator<Item = usize> {
    let step = n.div_ceil(MAX_POINTS).max(1);
    (0..n).step_by(step)
}

/// The figure: a grid of square panels (7 per row), each with the true value on x and the
/// predicted on y over the same range, the line y = x, and the constant's label and R².
pub(crate) fn scene(title: &str, panels: &[Panel<'_>]) -> Scene {
    let rows = panels.len().div_ceil(COLUMNS).max(1);
    let width = 2.0 * MARGIN + COLUMNS as f64 * PANEL + (COLUMNS - 1) as f64 * GAP;
    let height = TOP + rows as f64 * (PANEL + GAP + 14.0) + 10.0;
    let mut items = vec![Item::title(width, title)];
    for (k, panel) in panels.iter().enumerate() {
        let x0 = MARGIN + (k % COLUMNS) as f64 * (PANEL + GAP);
        let y0 = TOP + (k / COLUMNS) as f64 * (PANEL + GAP + 14.0) + 14.0;
        draw_panel(&mut items, panel, x0, y0);
    }
    Scene {
        width: width as u32,
        height: height.ceil() as u32,
        title: title.to_string(),
        items,
    }
}

/// The common axis range of a panel: the extremes of both series, padded by 4 %.
fn range(panel: &Panel<'_>) -> (f64, f64) {
    let (lo, hi) = panel
        .predicted
        .iter()
        .chain(panel.truth)
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.04).max(1e-12);
    (lo - pad, hi + pad)
}

fn draw_panel(items: &mut Vec<Item>, panel: &Panel<'_>, x0: f64, y0: f64) {
    let (lo, hi) = range(panel);
    let to_px = |v: f64| (v - lo) / (hi - lo) * PANEL;
    let frame = [
        [x0, y0],
        [x0 + PANEL, y0],
        [x0 + PANEL, y0 + PANEL],
        [x0, y0 + PANEL],
    ];
    items.push(Item::Polyline {
        points: frame.to_vec(),
        closed: true,
        pen: Pen::solid(Rgb::GREY, 1.0),
    });
    items.push(Item::Group("points"));
    let colour = Rgb(31, 119, 180);
    for i in drawn(panel.truth.len().min(panel.predicted.len())) {
        let (t, p) = (panel.truth[i], panel.predicted[i]);
        if !(t.is_finite() && p.is_finite()) {
            continue;
        }
        items.push(Item::Circle {
            centre: [x0 + to_px(t), y0 + PANEL - to_px(p).clamp(0.0, PANEL)],
            radius: 1.0,
            pen: Pen::solid(colour, 1.0),
        });
    }
    items.push(Item::EndGroup);
    items.push(Item::Polyline {
        points: vec![[x0, y0 + PANEL], [x0 + PANEL, y0]],
        closed: false,
        pen: Pen::solid(Rgb::BLACK, 1.0),
    });
    items.push(Item::Text {
        at: [x0 + 6.0, y0 + 18.0],
        size: TextSize::Normal,
        anchor: Anchor::Start,
        colour: Rgb::BLACK,
        text: panel.label.to_string(),
    });
    items.push(Item::Text {
        at: [x0 + PANEL / 2.0, y0 + PANEL + 16.0],
        size: TextSize::Small,
        anchor: Anchor::Middle,
        colour: Rgb::DARK_GREY,
        text: format!("R2 = {:.3}", panel.r_squared),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_per_row_up_to_the_cap_and_the_label_with_r2() {
        let truth: Vec<f64> = (0..10).map(f64::from).collect();
        let predicted: Vec<f64> = truth.iter().map(|t| t + 0.5).collect();
        let p = Panel {
            label: "C11",
            predicted: &predicted,
            truth: &truth,
            r_squared: 0.9712,
        };
        let s = scene("test", &[p; 21]);
        let circles = s
            .items
            .iter()
            .filter(|i| matches!(i, Item::Circle { .. }))
            .count();
        assert_eq!(circles, 21 * 10);
        assert!(
            s.items
                .iter()
                .any(|i| matches!(i, Item::Text { text, .. } if text == "R2 = 0.971"))
        );
        let many = drawn(10 * MAX_POINTS + 3).count();
        assert!(
            many <= MAX_POINTS && many > MAX_POINTS / 2,
            "{many} points drawn"
        );
        assert_eq!(drawn(MAX_POINTS).count(), MAX_POINTS);
        // 3 rows of 7 panels.
        assert!(s.height as f64 > 3.0 * PANEL && (s.height as f64) < 4.0 * PANEL);
    }

    #[test]
    fn a_perfect_prediction_lies_on_the_diagonal() {
        let truth = [0.0, 0.5, 1.0];
        let p = Panel {
            label: "C12",
            predicted: &truth,
            truth: &truth,
            r_squared: 1.0,
        };
        let s = scene("diag", &[p]);
        for item in &s.items {
            if let Item::Circle { centre, .. } = item {
                let (x, y) = (centre[0] - MARGIN, centre[1] - TOP - 14.0);
                assert!((x + y - PANEL).abs() < 1e-9, "({x}, {y}) off y = x");
            }
        }
    }
}
