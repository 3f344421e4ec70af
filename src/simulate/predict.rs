//! The continuum estimate from the targets, and the apparent modulus along the axis.
//!
//! # Target estimate
//! Slice the part into thin layers across the load axis `n`. A layer at `s` (mm from the
//! bottom face) gets the modulus `M(s)` linearly interpolated between the control points
//! ordered by their coordinate `s_i` along the axis (constant beyond the first and last
//! point). Layers in series under the same axial force (axial) or the same moment
//! (bending: each layer's `E I`; torsion: its `G J`) give the Reuss average along the axis,
//! `M̄ = L / ∫₀ᴸ ds / M(s)`. The modulus of a target is, with the compliance `S = C⁻¹`
//! (engineering shear):
//! - axial and bending: Young's modulus along the axis, `E_n = 1/(n·(S:(n⊗n))·n)` — for
//!   `n = z` this is `1/S₃₃`;
//! - torsion: the mean shear modulus about the axis, `G_n = 2/(1/G_{n,b} + 1/G_{n,c})` with
//!   `G_{n,m} = 1/(4 n·(S:sym(n⊗m))·m)` for the two cross directions `b`, `c` — for `n = z`
//!   this is `2/(S₄₄ + S₅₅)`.
//!
//! The estimate assumes each layer deforms uniformly across the section (no lateral
//! grading); it ignores the stiffness lost at trimmed surface cells, which the whole-part
//! beam model includes — their ratio measures that loss and the transitions.
//!
//! # Apparent profile (axial)
//! Nodes are binned by their coordinate along the axis (ten slabs); each slab's mean axial
//! displacement `ū_k` at mean coordinate `s̄_k` gives the slab strain between neighbours
//! `ε = −(ū_{k+1} − ū_k)/(s̄_{k+1} − s̄_k)` and the apparent modulus `F/(A ε)`.

use nalgebra::{Matrix3, Point3, Vector3, Vector6};
use serde::Serialize;

use super::model::{LoadCase, LoadFrame};
use super::read::Target;
use crate::mechanics::Stiffness;

/// Layers of the series integral.
const LAYERS: usize = 400;
/// Slabs of the apparent profile.
pub const SLABS: usize = 10;

/// A modulus at a position along the axis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProfilePoint {
    /// Coordinate along the axis from the bottom face, mm.
    pub position_mm: f64,
    /// Modulus, GPa.
    pub modulus_gpa: f64,
}

/// The continuum estimate from the targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The series (Reuss) modulus along the axis, GPa.
    pub modulus_gpa: f64,
    /// Which modulus: `E along the axis` or `G about the axis`.
    pub kind: &'static str,
    /// Each target's modulus at its coordinate along the axis (sorted).
    pub targets: Vec<ProfilePoint>,
}

/// The modulus of a target for a load case (see the [module docs](self)), GPa.
pub fn target_modulus(c: &Stiffness, frame: &LoadFrame, case: LoadCase) -> f64 {
    let s = c.compliance();
    let n = frame.n();
    match case {
        LoadCase::Axial | LoadCase::Bending => 1.0 / strain_response(&s, &n, &n),
        LoadCase::Torsion => {
            let b = Vector3::from(frame.bending_axis);
            let c = n.cross(&b);
            let g = |m: &Vector3<f64>| 1.0 / (4.0 * strain_response(&s, &n, m));
            2.0 / (1.0 / g(&b) + 1.0 / g(&c))
        }
    }
}

/// `m·ε·n` for the stress `sym(n⊗m)` (unit amplitude), with `S` in engineering Voigt form.
fn strain_response(s: &nalgebra::Matrix6<f64>, n: &Vector3<f64>, m: &Vector3<f64>) -> f64 {
    let sigma = (n * m.transpose() + m * n.transpose()) * 0.5;
    let sv = Vector6::new(
        sigma[(0, 0)],
        sigma[(1, 1)],
        sigma[(2, 2)],
        sigma[(1, 2)],
        sigma[(0, 2)],
        sigma[(0, 1)],
    );
    let e = s * sv;
    let eps = Matrix3::new(
        e[0],
        0.5 * e[5],
        0.5 * e[4],
        0.5 * e[5],
        e[1],
        0.5 * e[3],
        0.5 * e[4],
        0.5 * e[3],
        e[2],
    );
    (m.transpose() * eps * n)[0]
}

/// The continuum estimate, or `None` without targets.
pub fn predict(targets: &[Target], frame: &LoadFrame, case: LoadCase) -> Option<Prediction> {
    if targets.is_empty() {
        return None;
    }
    let mut points: Vec<ProfilePoint> = targets
        .iter()
        .map(|t| ProfilePoint {
            position_mm: frame.along(&Point3::from(t.position_mm)),
            modulus_gpa: target_modulus(&t.stiffness_gpa, frame, case),
        })
        .collect();
    points.sort_by(|a, b| a.position_mm.total_cmp(&b.position_mm));
    let l = frame.length_mm;
    let compliance: f64 = (0..LAYERS)
        .map(|k| 1.0 / interpolate(&points, (k as f64 + 0.5) / LAYERS as f64 * l))
        .sum::<f64>()
        / LAYERS as f64;
    Some(Prediction {
        modulus_gpa: 1.0 / compliance,
        kind: modulus_kind(case),
        targets: points,
    })
}

/// `E along the axis` or `G about the axis`.
pub fn modulus_kind(case: LoadCase) -> &'static str {
    match case {
        LoadCase::Axial | LoadCase::Bending => "E along the axis",
        LoadCase::Torsion => "G about the axis",
    }
}

/// Piecewise-linear interpolation in `s`, constant outside (points sorted, non-empty).
pub fn interpolate(points: &[ProfilePoint], s: f64) -> f64 {
    let first = points[0];
    let last = points[points.len() - 1];
    if s <= first.position_mm {
        return first.modulus_gpa;
    }
    if s >= last.position_mm {
        return last.modulus_gpa;
    }
    let k = points.partition_point(|p| p.position_mm <= s);
    let (a, b) = (points[k - 1], points[k]);
    let span = b.position_mm - a.position_mm;
    if span <= 0.0 {
        return b.modulus_gpa;
    }
    let w = (s - a.position_mm) / span;
    a.modulus_gpa * (1.0 - w) + b.modulus_gpa * w
}

/// The apparent modulus along the axis under an axial load `force_n` (N, compressive
/// positive) from the node displacements (see the [module docs](self)).
pub fn apparent_profile(
    nodes: &[Point3<f64>],
    displacements: &[[f64; 6]],
    used: &[bool],
    frame: &LoadFrame,
    force_n: f64,
) -> Vec<ProfilePoint> {
    let n = frame.n();
    let l = frame.length_mm;
    let mut sum = [(0.0f64, 0.0f64, 0usize); SLABS];
    for ((p, u), _) in nodes.iter().zip(displacements).zip(used).filter(|x| *x.1) {
        let s = frame.along(p);
        let k = (((s / l) * SLABS as f64).floor().max(0.0) as usize).min(SLABS - 1);
        let ua = Vector3::new(u[0], u[1], u[2]).dot(&n);
        sum[k].0 += s;
        sum[k].1 += ua;
        sum[k].2 += 1;
    }
    let means: Vec<(f64, f64)> = sum
        .iter()
        .filter(|x| x.2 > 0)
        .map(|x| (x.0 / x.2 as f64, x.1 / x.2 as f64))
        .collect();
    means
        .windows(2)
        .filter_map(|w| {
            let ds = w[1].0 - w[0].0;
            let strain = -(w[1].1 - w[0].1) / ds;
            (ds > 0.0 && strain > 0.0).then(|| ProfilePoint {
                position_mm: 0.5 * (w[0].0 + w[1].0),
                modulus_gpa: force_n / (frame.area_mm2 * strain) / 1000.0,
            })
        })
        .collect()
}
