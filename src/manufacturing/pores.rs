//! The smallest pore of a periodic cell: the narrowest gap between the surfaces of two struts
//! that do not share a node.

use nalgebra::Vector3;

use crate::design_space::PeriodicCell;
use crate::geom::distance::segment_distance;

/// A strut of the cell or of one of its 26 neighbouring images, with its bounding sphere.
struct Segment {
    central: bool,
    p0: Vector3<f64>,
    p1: Vector3<f64>,
    radius: f64,
    middle: Vector3<f64>,
    half_length: f64,
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
            let b = a + cell.strut_vector(s);
            segments.push(Segment {
                central: n == 13,
                p0: a,
                p1: b,
                radius: s.diameter / 2.0,
                middle: (a + b) * 0.5,
                half_length: (b - a).norm() * 0.5,
            });
        }
    }
    let scale = cell.lattice_vectors().norm();
    let tol = 1e-9 * scale;
    let mut best: Option<f64> = None;
    for (k, p) in segments.iter().enumerate() {
        if !p.central {
            continue;
        }
        for (m, q) in segments.iter().enumerate() {
            if m == k {
                continue;
            }
            // Skip a pair that cannot beat the current best: the distance between the two
            // struts' bounding spheres, less both radii, is a lower bound of their surface gap.
            // The result does not depend on this skip, only the time taken.
            let lower =
                (p.middle - q.middle).norm() - p.half_length - q.half_length - p.radius - q.radius;
            if best.is_some_and(|b| lower >= b) {
                continue;
            }
            let touching = [(p.p0, q.p0), (p.p0, q.p1), (p.p1, q.p0), (p.p1, q.p1)]
                .iter()
                .any(|(x, y)| (x - y).norm() < tol);
            if touching {
                continue;
            }
            let gap = segment_distance(p.p0, p.p1, q.p0, q.p1) - p.radius - q.radius;
            if best.is_none_or(|b| gap < b) {
                best = Some(gap);
            }
        }
    }
    best
}
