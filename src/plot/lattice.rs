//! An orthographic picture of a strut network, struts coloured by diameter.

use super::colormap::{VIRIDIS, viridis};
use super::scene::{Anchor, Item, Pen, Rgb, Scene, TextSize, nice_step, tick_label};
use crate::network::StrutNetwork;

/// How [`lattice_svg`](super::lattice_svg) and [`lattice_png`](super::lattice_png) look at a
/// network.
///
/// Build with `..Default::default()`:
/// ```
/// use trussforge::plot::LatticeView;
/// let top = LatticeView { direction: [0.0, 0.0, 1.0], ..Default::default() };
/// assert_eq!(top.width_px, 1000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatticeView {
    /// The direction from the network toward the viewer, in the network's frame (any
    /// length; it is normalized). The camera looks along `-direction`; axis 3 is drawn
    /// pointing up, or axis 2 when `direction` is (nearly) parallel to axis 3.
    /// Default `[1.0, -1.5, 0.9]`: an isometric-like view from the front right, slightly
    /// above (off the exact diagonal so that cubic-lattice struts do not line up).
    pub direction: [f64; 3],
    /// Picture width, px (SVG user units, PNG pixels). Default 1000; 320 to 8192.
    pub width_px: u32,
    /// Picture height, px. Default 800; 240 to 8192.
    pub height_px: u32,
    /// Fade struts further back towards white (by up to 75 %), so the layers of a large
    /// lattice read apart. Default true; pictures of fewer than 200 struts are never faded.
    pub depth_cue: bool,
}

impl Default for LatticeView {
    fn default() -> Self {
        Self {
            direction: [1.0, -1.5, 0.9],
            width_px: 1000,
            height_px: 800,
            depth_cue: true,
        }
    }
}

/// What is drawn over a lattice picture (positions in the network's frame, mm): outlines of
/// boxes (the domain, control-point cores) and labelled points (control points).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatticeOverlay {
    /// Parallelepipeds drawn as outlines.
    pub boxes: Vec<OverlayBox>,
    /// Marked points and their labels (e.g. control points).
    pub points: Vec<(String, [f64; 3])>,
}

/// A parallelepiped `centre + E [−½, ½]³` drawn as its 12 edges.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayBox {
    /// Its centre, mm.
    pub centre: [f64; 3],
    /// Its edge vectors as columns, mm.
    pub edges: nalgebra::Matrix3<f64>,
    /// Dashed (a core) or solid grey (the domain).
    pub dashed: bool,
}

impl OverlayBox {
    /// The 12 edges as pairs of corners, mm.
    fn segments(&self) -> Vec<([f64; 3], [f64; 3])> {
        let corner = |k: usize| -> [f64; 3] {
            let s = nalgebra::Vector3::new(
                (k & 1) as f64 - 0.5,
                ((k >> 1) & 1) as f64 - 0.5,
                ((k >> 2) & 1) as f64 - 0.5,
            );
            let p = nalgebra::Vector3::from(self.centre) + self.edges * s;
            [p.x, p.y, p.z]
        };
        let mut out = Vec::with_capacity(12);
        for k in 0..8usize {
            for bit in [1usize, 2, 4] {
                if k & bit == 0 {
                    out.push((corner(k), corner(k | bit)));
                }
            }
        }
        out
    }
}

/// Picture sizes accepted, px.
const MIN_WIDTH: u32 = 320;
const MIN_HEIGHT: u32 = 240;
const MAX_SIDE: u32 = 8192;
const TITLE_BAND: f64 = 44.0;
/// Width of the colour-bar column on the right, px.
const BAR_COLUMN: f64 = 150.0;
const MARGIN: f64 = 16.0;
/// How far the backmost struts fade towards white (0 = no depth cue).
const FADE: f64 = 0.75;
/// Networks with at least this many struts get the depth cue (smaller ones read without it,
/// and keep their exact colour-bar colours).
const DEPTH_CUE_STRUTS: usize = 200;
/// Colour of control points and their cores.
const CORE: Rgb = Rgb(200, 30, 30);

/// `c` mixed with white by `t` ∈ [0, 1].
fn fade(c: Rgb, t: f64) -> Rgb {
    let mix = |v: u8| (f64::from(v) + (255.0 - f64::from(v)) * t.clamp(0.0, 1.0)).round() as u8;
    Rgb(mix(c.0), mix(c.1), mix(c.2))
}

/// Thinnest drawn strut, px, so that struts finer than the rounding stay visible.
pub(crate) const MIN_WIDTH_PX: f64 = 0.1;

/// The orthonormal screen basis `(right, up, toward viewer)` for a view direction.
pub(crate) fn basis(direction: [f64; 3]) -> ([f64; 3], [f64; 3], [f64; 3]) {
    let norm = direction.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!(
        norm.is_finite() && norm > 0.0,
        "view direction {direction:?} must be finite and non-zero"
    );
    let d = direction.map(|v| v / norm);
    let up = if d[2].abs() > 0.999 {
        [0.0, 1.0, 0.0]
    } else {
        [0.0, 0.0, 1.0]
    };
    let r = cross(up, d);
    let rn = r.iter().map(|v| v * v).sum::<f64>().sqrt();
    let r = r.map(|v| v / rn);
    (r, cross(d, r), d)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Strut indices back to front: ascending depth of the strut midpoint along the view
/// direction; ties keep index order (stable sort), so the order is deterministic.
pub(crate) fn painter_order(network: &StrutNetwork, toward_viewer: [f64; 3]) -> Vec<usize> {
    let nodes = network.nodes();
    let depth: Vec<f64> = network
        .struts()
        .iter()
        .map(|s| {
            let (a, b) = (nodes[s.a.index()], nodes[s.b.index()]);
            dot([a.x + b.x, a.y + b.y, a.z + b.z], toward_viewer)
        })
        .collect();
    let mut order: Vec<usize> = (0..depth.len()).collect();
    order.sort_by(|&i, &j| depth[i].total_cmp(&depth[j]));
    order
}

/// The extent `(lo, hi)` of the projected struts `proj` including their radii, and the
/// range `(d_min, d_max)` of the strut diameters.
fn strut_extent(
    struts: &[crate::network::Strut],
    proj: &[[f64; 2]],
) -> ([f64; 2], [f64; 2], f64, f64) {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    let (mut d_min, mut d_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in struts {
        for (n, r) in [(s.a, s.radius_a), (s.b, s.radius_b)] {
            let p = proj[n.index()];
            for k in 0..2 {
                lo[k] = lo[k].min(p[k] - r);
                hi[k] = hi[k].max(p[k] + r);
            }
        }
        let d = s.radius_a + s.radius_b;
        d_min = d_min.min(d);
        d_max = d_max.max(d);
    }
    (lo, hi, d_min, d_max)
}

/// Widens the extent `[lo, hi]` to hold the projected `points`.
fn widen_extent(lo: &mut [f64; 2], hi: &mut [f64; 2], points: impl Iterator<Item = [f64; 2]>) {
    for p in points {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
}

/// The overlay segments with the given `dashed` flag, as a `group` of lines drawn with
/// `pen`; `place` maps mm to the picture.
fn overlay_lines(
    items: &mut Vec<Item>,
    group: &'static str,
    segments: &[(bool, [f64; 3], [f64; 3])],
    dashed: bool,
    pen: Pen,
    place: &impl Fn([f64; 3]) -> [f64; 2],
) {
    items.push(Item::Group(group));
    for (d, p, q) in segments {
        if *d == dashed {
            items.push(Item::Polyline {
                points: vec![place(*p), place(*q)],
                closed: false,
                pen,
            });
        }
    }
    items.push(Item::EndGroup);
}

/// The overlay's marked points with their labels; `place` maps mm to the picture.
fn overlay_points(
    items: &mut Vec<Item>,
    points: &[(String, [f64; 3])],
    place: &impl Fn([f64; 3]) -> [f64; 2],
) {
    items.push(Item::Group("points"));
    for (label, p) in points {
        let at = place(*p);
        items.push(Item::Circle {
            centre: at,
            radius: 5.0,
            pen: Pen::solid(CORE, 2.5),
        });
        items.push(Item::Text {
            at: [at[0] + 8.0, at[1] - 8.0],
            size: TextSize::Normal,
            anchor: Anchor::Start,
            colour: CORE,
            text: label.clone(),
        });
    }
    items.push(Item::EndGroup);
}

/// The note in the drawing `area` of a network without struts.
fn no_struts_note(area: [f64; 4]) -> Item {
    Item::Text {
        at: [(area[0] + area[2]) / 2.0, (area[1] + area[3]) / 2.0],
        size: TextSize::Normal,
        anchor: Anchor::Middle,
        colour: Rgb::GREY,
        text: "(no struts)".to_string(),
    }
}

/// The map from projected mm (y up) to picture px (y down).
struct Frame {
    scale: f64,
    centre_mm: [f64; 2],
    centre_px: [f64; 2],
}

impl Frame {
    /// The largest scale that fits the extent `[lo, hi]` (mm) into `area` (px), centred.
    fn fit(area: [f64; 4], lo: [f64; 2], hi: [f64; 2]) -> Self {
        let extent = [(hi[0] - lo[0]).max(1e-9), (hi[1] - lo[1]).max(1e-9)];
        let scale = ((area[2] - area[0]) / extent[0]).min((area[3] - area[1]) / extent[1]);
        let centre_mm = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
        let centre_px = [(area[0] + area[2]) / 2.0, (area[1] + area[3]) / 2.0];
        Self {
            scale,
            centre_mm,
            centre_px,
        }
    }

    /// The picture position of the projected point `p`.
    fn to_px(&self, p: [f64; 2]) -> [f64; 2] {
        [
            self.centre_px[0] + (p[0] - self.centre_mm[0]) * self.scale,
            self.centre_px[1] - (p[1] - self.centre_mm[1]) * self.scale,
        ]
    }
}

/// Where the struts land in the picture.
#[derive(Clone, Copy)]
struct Placement<'a> {
    /// The unit vector from the scene towards the viewer.
    toward: [f64; 3],
    /// The projected nodes (mm, y up), node order.
    proj: &'a [[f64; 2]],
    /// Projected mm to picture px.
    frame: &'a Frame,
}

/// The struts back to front, coloured as `colouring` says over `(c_lo, c_hi)`.
fn draw_struts(
    items: &mut Vec<Item>,
    network: &StrutNetwork,
    view: &LatticeView,
    placement: &Placement,
    (c_lo, c_hi): (f64, f64),
    colouring: Colouring,
) {
    let Placement {
        toward,
        proj,
        frame,
    } = *placement;
    let nodes = network.nodes();
    let struts = network.struts();
    // Depth cue: struts further back fade towards white, so layers read apart.
    let depth = |s: &crate::network::Strut| {
        let (a, b) = (nodes[s.a.index()], nodes[s.b.index()]);
        dot([a.x + b.x, a.y + b.y, a.z + b.z], toward) / 2.0
    };
    let (z_lo, z_hi) = struts
        .iter()
        .map(depth)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), z| {
            (l.min(z), h.max(z))
        });
    let span = (z_hi - z_lo).max(1e-12);
    let fade_by = if view.depth_cue && struts.len() >= DEPTH_CUE_STRUTS {
        FADE
    } else {
        0.0
    };
    items.push(Item::Group("struts"));
    for k in painter_order(network, toward) {
        let s = &struts[k];
        let d = s.radius_a + s.radius_b;
        let value = match colouring {
            Colouring::Diameter => d,
            Colouring::Values { values, .. } => values[k],
        };
        let back = 1.0 - (depth(s) - z_lo) / span;
        items.push(Item::Segment {
            a: frame.to_px(proj[s.a.index()]),
            b: frame.to_px(proj[s.b.index()]),
            width: (d * frame.scale).max(MIN_WIDTH_PX),
            colour: fade(viridis((value - c_lo) / (c_hi - c_lo)), fade_by * back),
        });
    }
    items.push(Item::EndGroup);
}

/// The overlay boxes' edges as `(dashed, from, to)`, box by box.
fn overlay_segments(overlay: &LatticeOverlay) -> Vec<(bool, [f64; 3], [f64; 3])> {
    overlay
        .boxes
        .iter()
        .flat_map(|b| b.segments().into_iter().map(|(p, q)| (b.dashed, p, q)))
        .collect()
}

/// Colour range: the diameters' range, widened by ±5 % when all struts are alike.
fn colour_range(d_min: f64, d_max: f64) -> (f64, f64) {
    if d_max - d_min > 1e-9 * d_max {
        (d_min, d_max)
    } else {
        (d_min * 0.95, d_max * 1.05)
    }
}

/// What the struts' colours show.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Colouring<'a> {
    /// The mean diameter, mm.
    Diameter,
    /// One value per strut (strut order), with the colour bar's two label lines.
    Values {
        /// The values.
        values: &'a [f64],
        /// The colour bar's label, e.g. `["stress", "[MPa]"]`.
        label: [&'a str; 2],
    },
}

impl<'a> Colouring<'a> {
    /// The colour bar's range: the values' (or, for [`Colouring::Diameter`], the diameters'
    /// `d_min..d_max`, mm) range, widened by ±5 % when all are alike.
    fn range(self, d_min: f64, d_max: f64) -> (f64, f64) {
        match self {
            Colouring::Diameter => colour_range(d_min, d_max),
            Colouring::Values { values, .. } => {
                let (lo, hi) = values
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                        (l.min(*v), h.max(*v))
                    });
                if hi - lo > 1e-9 * hi.abs().max(1e-300) {
                    (lo, hi)
                } else {
                    (
                        lo - 0.05 * lo.abs().max(1e-9),
                        hi + 0.05 * hi.abs().max(1e-9),
                    )
                }
            }
        }
    }

    /// The colour bar's two label lines.
    fn label(self) -> [&'a str; 2] {
        match self {
            Colouring::Diameter => ["diameter", "[mm]"],
            Colouring::Values { label, .. } => label,
        }
    }
}

pub(crate) fn scene(
    network: &StrutNetwork,
    title: &str,
    view: &LatticeView,
    overlay: &LatticeOverlay,
) -> Scene {
    coloured_scene(network, title, view, overlay, Colouring::Diameter)
}

/// [`scene`] with the struts coloured as `colouring` says.
///
/// # Panics
/// As [`scene`]; also if `colouring` has values of another length than the struts, or
/// values that are not finite.
pub(crate) fn coloured_scene(
    network: &StrutNetwork,
    title: &str,
    view: &LatticeView,
    overlay: &LatticeOverlay,
    colouring: Colouring,
) -> Scene {
    check_inputs(network, view, colouring);
    let (right, up, toward) = basis(view.direction);
    let (w, h) = (view.width_px as f64, view.height_px as f64);
    let mut items = vec![Item::title(w, title)];

    let nodes = network.nodes();
    let struts = network.struts();
    // Projected node positions (mm, y up) and the extent including strut radii.
    let proj: Vec<[f64; 2]> = nodes
        .iter()
        .map(|p| {
            let v = [p.x, p.y, p.z];
            [dot(v, right), dot(v, up)]
        })
        .collect();
    let (mut lo, mut hi, d_min, d_max) = strut_extent(struts, &proj);
    let project = |v: [f64; 3]| [dot(v, right), dot(v, up)];
    let overlay_segments = overlay_segments(overlay);
    if !struts.is_empty() {
        let overlay_points = overlay_segments
            .iter()
            .flat_map(|(_, p, q)| [*p, *q])
            .chain(overlay.points.iter().map(|(_, p)| *p));
        widen_extent(&mut lo, &mut hi, overlay_points.map(project));
    }

    let area = [MARGIN, TITLE_BAND, w - BAR_COLUMN, h - MARGIN];
    if struts.is_empty() {
        items.push(no_struts_note(area));
        return finish(items, view, title);
    }
    let frame = Frame::fit(area, lo, hi);
    let (c_lo, c_hi) = colouring.range(d_min, d_max);

    let place = |v: [f64; 3]| frame.to_px(project(v));
    let domain_pen = Pen::solid(Rgb::GREY, 1.0);
    overlay_lines(
        &mut items,
        "domain",
        &overlay_segments,
        false,
        domain_pen,
        &place,
    );
    let placement = Placement {
        toward,
        proj: &proj,
        frame: &frame,
    };
    draw_struts(
        &mut items,
        network,
        view,
        &placement,
        (c_lo, c_hi),
        colouring,
    );
    let core_pen = Pen {
        colour: CORE,
        width: 1.5,
        dash: &[6.0, 4.0],
    };
    overlay_lines(
        &mut items,
        "cores",
        &overlay_segments,
        true,
        core_pen,
        &place,
    );
    overlay_points(&mut items, &overlay.points, &place);

    colour_bar(&mut items, view, c_lo, c_hi, colouring.label());
    axis_triad(&mut items, view, right, up);
    finish(items, view, title)
}

/// Panics, as [`coloured_scene`] documents, on a picture size out of range or strut values
/// that do not fit the network.
fn check_inputs(network: &StrutNetwork, view: &LatticeView, colouring: Colouring) {
    if let Colouring::Values { values, .. } = colouring {
        assert!(
            values.len() == network.struts().len() && values.iter().all(|v| v.is_finite()),
            "{} finite strut values expected, {} given",
            network.struts().len(),
            values.len()
        );
    }
    assert!(
        (MIN_WIDTH..=MAX_SIDE).contains(&view.width_px)
            && (MIN_HEIGHT..=MAX_SIDE).contains(&view.height_px),
        "picture size {}×{} px outside {MIN_WIDTH}..={MAX_SIDE} × {MIN_HEIGHT}..={MAX_SIDE}",
        view.width_px,
        view.height_px
    );
}

fn finish(items: Vec<Item>, view: &LatticeView, title: &str) -> Scene {
    Scene {
        width: view.width_px,
        height: view.height_px,
        title: title.to_string(),
        items,
    }
}

/// The vertical colour bar with ticks and its two-line `label` in the right column.
fn colour_bar(items: &mut Vec<Item>, view: &LatticeView, lo: f64, hi: f64, label: [&str; 2]) {
    let (w, h) = (view.width_px as f64, view.height_px as f64);
    let x = w - BAR_COLUMN + 40.0;
    let top = TITLE_BAND + 52.0;
    let bar_h = ((h - TITLE_BAND) * 0.5).max(80.0);
    let bar_w = 16.0;
    items.push(Item::Group("colourbar"));
    for (k, line) in label.into_iter().enumerate() {
        items.push(Item::Text {
            at: [w - BAR_COLUMN / 2.0, TITLE_BAND + 14.0 + 18.0 * k as f64],
            size: TextSize::Normal,
            anchor: Anchor::Middle,
            colour: Rgb::BLACK,
            text: line.to_string(),
        });
    }
    items.push(Item::Ramp {
        x,
        y: top,
        w: bar_w,
        h: bar_h,
        stops: &VIRIDIS,
    });
    let (step, decimals) = nice_step((hi - lo) / 4.0);
    let first = (lo / step * (1.0 - 1e-12)).ceil() as i64;
    let last = (hi / step * (1.0 + 1e-12)).floor() as i64;
    for t in first..=last {
        let v = t as f64 * step;
        let y = top + bar_h * (1.0 - (v - lo) / (hi - lo));
        items.push(Item::Polyline {
            points: vec![[x + bar_w, y], [x + bar_w + 5.0, y]],
            closed: false,
            pen: Pen::solid(Rgb::BLACK, 1.0),
        });
        items.push(Item::Text {
            at: [x + bar_w + 8.0, y + 4.0],
            size: TextSize::Small,
            anchor: Anchor::Start,
            colour: Rgb::BLACK,
            text: tick_label(v, decimals),
        });
    }
    items.push(Item::EndGroup);
}

/// Small arrows showing the material axes 1, 2, 3 at the bottom of the right column.
fn axis_triad(items: &mut Vec<Item>, view: &LatticeView, right: [f64; 3], up: [f64; 3]) {
    let (w, h) = (view.width_px as f64, view.height_px as f64);
    let origin = [w - BAR_COLUMN / 2.0, h - MARGIN - 46.0];
    let len = 34.0;
    items.push(Item::Group("axes"));
    for (k, name) in ["1", "2", "3"].into_iter().enumerate() {
        let mut e = [0.0; 3];
        e[k] = 1.0;
        let along = [dot(e, right), -dot(e, up)];
        if along[0].hypot(along[1]) < 0.2 {
            // (Nearly) toward or away from the viewer: a small circle, labelled beside it.
            items.push(Item::Circle {
                centre: origin,
                radius: 4.0,
                pen: Pen::solid(Rgb::BLACK, 1.5),
            });
            items.push(Item::Text {
                at: [origin[0] - 12.0, origin[1] + 14.0],
                size: TextSize::Small,
                anchor: Anchor::Middle,
                colour: Rgb::BLACK,
                text: name.to_string(),
            });
            continue;
        }
        let tip = [origin[0] + len * along[0], origin[1] + len * along[1]];
        items.push(Item::Polyline {
            points: vec![origin, tip],
            closed: false,
            pen: Pen::solid(Rgb::BLACK, 1.5),
        });
        items.push(Item::Text {
            at: [
                origin[0] + (len + 10.0) * along[0],
                origin[1] + (len + 10.0) * along[1] + 4.0,
            ],
            size: TextSize::Small,
            anchor: Anchor::Middle,
            colour: Rgb::BLACK,
            text: name.to_string(),
        });
    }
    items.push(Item::EndGroup);
}
