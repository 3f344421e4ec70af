//! The smallest pore of a periodic cell: the narrowest gap between the surfaces of two struts
//! that do not share a node.

use crate::design_space::{PeriodicCell, segment_distance};

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
