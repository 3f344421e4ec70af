//! The smallest pore of a periodic cell: the narrowest gap between the surfaces of two struts
//! that do not share a node.

use nalgebra::Vector3;

use crate::design_space::PeriodicCell;

/// The smallest distance between two segments `p0–p1` and `q0–q1`.
pub fn segment_distance(
    p0: Vector3<f64>,
    p1: Vector3<f64>,
    q0: Vector3<f64>,
    q1: Vector3<f64>,
) -> f64 {
    let (d1, d2, r) = (p1 - p0, q1 - q0, p0 - q0);
    let (a, e, f) = (d1.dot(&d1), d2.dot(&d2), d2.dot(&r));
    let (c, b) = (d1.dot(&r), d1.dot(&d2));
    let denom = a * e - b * b;
    let mut s = if denom > 1e-14 * a * e {
        ((b * f - c * e) / denom).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut t = (b * s + f) / e;
    if t < 0.0 {
        t = 0.0;
        s = (-c / a).clamp(0.0, 1.0);
    } else if t > 1.0 {
        t = 1.0;
        s = ((b - c) / a).clamp(0.0, 1.0);
    }
    ((p0 + d1 * s) - (q0 + d2 * t)).norm()
}

/// The smallest surface-to-surface gap between struts of `cell` (and its 26 neighbouring
/// images) that share no node: axis distance minus both radii, in the cell's length unit.
/// Struts that meet at a node bound a pore only away from that node, which this measure
/// leaves out. `None` if no such pair exists.
pub fn smallest_gap(cell: &PeriodicCell) -> Option<f64> {
    let mut segments = Vec::new();
    for n in 0..27 {
        let offset = [n / 9 - 1, (n / 3) % 3 - 1, n % 3 - 1];
        let shift = cell.shift(offset);
        for s in cell.struts() {
            let a = cell.nodes()[s.a.0 as usize].coords + shift;
            segments.push((n == 13, a, a + cell.strut_vector(s), s.diameter / 2.0));
        }
    }
    let scale = cell.lattice_vectors().norm();
    let tol = 1e-9 * scale;
    let mut best: Option<f64> = None;
    for (k, &(central, p0, p1, rp)) in segments.iter().enumerate() {
        if !central {
            continue;
        }
        for (m, &(_, q0, q1, rq)) in segments.iter().enumerate() {
            if m == k {
                continue;
            }
            let touching = [(p0, q0), (p0, q1), (p1, q0), (p1, q1)]
                .iter()
                .any(|(x, y)| (x - y).norm() < tol);
            if touching {
                continue;
            }
            // Cheap reject: the gap cannot beat the current best.
            let gap = segment_distance(p0, p1, q0, q1) - rp - rq;
            if best.is_none_or(|b| gap < b) {
                best = Some(gap);
            }
        }
    }
    best
}
