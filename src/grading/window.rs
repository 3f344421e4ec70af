//! Verifying what was built: a window of the real graded network around a control point.
//!
//! The cut-out cell of [`super::graded_cell`] re-superposes the point's cell content; the
//! window instead reads the struts of the **written network** (after the blend, the diameter
//! rule, trimming to the domain, dangling-strut and component removal) inside the block of
//! `(2m + 1)³` cells centred on the point's cell, `m = min(k, 1)` for a core of half-width `k`
//! (so a 3 × 3 × 3 window when the core allows it).
//!
//! **Boundary conditions: periodic on the window.** The window is homogenized as a periodic
//! supercell with lattice vectors `(2m + 1) A_i`: every node on a window face is identified
//! with its partner on the opposite face. Where the window holds a periodic structure (a core:
//! the scaffold is pinned to the exact lattice there) this is exact, and it is not an
//! approximation of the unit cell's periodicity but a weaker assumption: fluctuations of any
//! period up to `2m + 1` cells are allowed, so a mechanism or a missing strut anywhere in the
//! window shows. Affine (kinematic) boundary conditions would instead stiffen a bending-
//! dominated window by its boundary layer (an upper bound that converges only as the window
//! grows), hiding exactly the softening a dropped strut causes. When a face node has no
//! partner (the window is cut by the domain or reaches a transition) the window is not
//! periodic and is reported as unavailable with that reason, and a smaller window is tried.

use std::collections::BTreeMap;

use nalgebra::{Matrix3, Point3, Vector3};

use crate::design_space::{CellNodeId, DesignError, PeriodicCell, PeriodicStrut};

use super::GradedLattice;

/// The largest window half-width `m` (cells on each side of the point's cell).
pub const MAX_WINDOW_HALF_CELLS: usize = 1;

/// Why a window around a control point makes no periodic cell (reported as a note of the
/// verification).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WindowError {
    /// Face nodes without a partner on the opposite face.
    #[error(
        "{unpaired} face node(s) of the {cells_per_side}×{cells_per_side}×{cells_per_side}-cell \
         window have no partner on the opposite face (the window is cut by the domain or \
         reaches a transition)"
    )]
    Unpaired {
        /// Face nodes without a partner.
        unpaired: usize,
        /// Cells per side of the window.
        cells_per_side: usize,
    },
    /// No strut lies in the window.
    #[error("the window holds no strut")]
    NoStruts,
    /// The struts make no valid periodic cell.
    #[error(transparent)]
    Cell(#[from] DesignError),
}

/// The window's frame: the point's aligned lattice `a` (mm) centred at the point, in local
/// coordinates `u` (cell units) with the window `|u_d| <= kappa`.
struct WindowFrame {
    a: Matrix3<f64>,
    inverse: Matrix3<f64>,
    centre: Point3<f64>,
    kappa: f64,
    span: f64,
}

/// Tolerance on local coordinates (cell units).
const EPS: f64 = 1e-7;

impl WindowFrame {
    /// Whether the local point `u` lies in the window.
    fn inside(&self, u: &Vector3<f64>) -> bool {
        u.amax() <= self.kappa + EPS
    }

    /// Canonical (wrapped) coordinates of `u`: their key, the image `u` is in, and the
    /// wrapped point.
    fn wrap(&self, u: &Vector3<f64>) -> ([i64; 3], [i32; 3], Vector3<f64>) {
        let (kappa, span) = (self.kappa, self.span);
        let mut w = *u;
        let mut image = [0i32; 3];
        for d in 0..3 {
            if w[d] > kappa - EPS {
                w[d] -= span;
                image[d] = 1;
            }
        }
        let key = std::array::from_fn(|d| ((w[d] + kappa) / span * 1e6).round() as i64);
        (key, image, w)
    }

    /// Marks the window-face positions of `u` (on the low or high face of each axis) in
    /// `face_keys`, keyed face by face, so partners on opposite faces can be matched.
    fn mark_faces(&self, u: &Vector3<f64>, face_keys: &mut BTreeMap<[i64; 3], [bool; 2]>) {
        let kappa = self.kappa;
        for d in 0..3 {
            let low = (u[d] + kappa).abs() <= EPS;
            let high = (u[d] - kappa).abs() <= EPS;
            if low || high {
                let mut p = *u;
                p[d] = -kappa;
                let (key, _, _) = self.wrap(&p);
                let mut k = key;
                // Distinguish the axis so partners are matched face by face.
                k[d] = -1 - d as i64;
                face_keys.entry(k).or_default()[usize::from(high)] = true;
            }
        }
    }
}

/// The window's periodic nodes, numbered in order of first use.
#[derive(Default)]
struct WindowNodes {
    ids: BTreeMap<[i64; 3], u32>,
    nodes: Vec<Point3<f64>>,
}

impl WindowNodes {
    /// The node of the local point `u` and the image it is in.
    fn node_of(&mut self, frame: &WindowFrame, u: &Vector3<f64>) -> (u32, [i32; 3]) {
        let (key, image, w) = frame.wrap(u);
        let nodes = &mut self.nodes;
        let id = *self.ids.entry(key).or_insert_with(|| {
            nodes.push(frame.centre + frame.a * w);
            (nodes.len() - 1) as u32
        });
        (id, image)
    }
}

/// A window of the graded network around control point `point` with `half` cells on every
/// side of the point's cell, as a periodic supercell (mm); see the module docs.
///
/// # Errors
/// [`WindowError`]: why the window is not periodic (a face node without a partner) or is
/// empty.
///
/// # Panics
/// If `point` is out of range or the lattice has no cores.
#[track_caller]
pub fn graded_window(
    graded: &GradedLattice,
    point: usize,
    half: usize,
) -> Result<PeriodicCell, WindowError> {
    let a = graded.aligned[point].lattice;
    let kappa = half as f64 + 0.5;
    let frame = WindowFrame {
        a,
        inverse: a.try_inverse().expect("an aligned cell is invertible"),
        centre: Point3::from(graded.field.positions()[point]),
        kappa,
        span: 2.0 * kappa,
    };
    let span = frame.span;
    let net = &graded.network;
    let local: Vec<Vector3<f64>> = net
        .nodes()
        .iter()
        .map(|x| frame.inverse * (x - frame.centre))
        .collect();
    let mut window = WindowNodes::default();
    let mut classes: BTreeMap<(u32, u32, [i32; 3]), f64> = BTreeMap::new();
    let mut face_keys: BTreeMap<[i64; 3], [bool; 2]> = BTreeMap::new();
    for s in net.struts() {
        let (ua, ub) = (&local[s.a.index()], &local[s.b.index()]);
        if !(frame.inside(ua) && frame.inside(ub)) {
            continue;
        }
        for u in [ua, ub] {
            frame.mark_faces(u, &mut face_keys);
        }
        let (na, ia) = window.node_of(&frame, ua);
        let (nb, ib) = window.node_of(&frame, ub);
        let offset: [i32; 3] = std::array::from_fn(|d| ib[d] - ia[d]);
        let key = if (na, offset) <= (nb, offset.map(|v| -v)) {
            (na, nb, offset)
        } else {
            (nb, na, offset.map(|v| -v))
        };
        let d = (2.0 * (s.radius_a.powi(2) + s.radius_b.powi(2))).sqrt();
        classes.entry(key).or_insert(d);
    }
    let nodes = window.nodes;
    let unpaired = face_keys.values().filter(|s| s[0] != s[1]).count();
    if unpaired > 0 {
        return Err(WindowError::Unpaired {
            unpaired,
            cells_per_side: 2 * half + 1,
        });
    }
    let struts: Vec<PeriodicStrut> = classes
        .into_iter()
        .filter(|((a, b, off), _)| a != b || *off != [0; 3])
        .map(|((a, b, offset), diameter)| PeriodicStrut {
            a: CellNodeId(a),
            b: CellNodeId(b),
            offset,
            diameter,
        })
        .collect();
    if struts.is_empty() {
        return Err(WindowError::NoStruts);
    }
    Ok(PeriodicCell::try_new(a * span, nodes, struts)?)
}
