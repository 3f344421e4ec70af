//! Trimming a strut network to a domain: keep, cut at the boundary, or drop each strut.

use nalgebra::Point3;

use super::domain::Domain;
use super::{NodeId, Strut};

/// Counts from [`trim_to_domain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TrimCounts {
    pub kept: usize,
    pub cut: usize,
    pub cut_pieces: usize,
    pub dropped: usize,
    pub short_pieces: usize,
}

/// Trimmed geometry: nodes (the input nodes first, then the cut nodes), struts, and which
/// nodes were created by a cut (and so lie on the boundary).
pub(crate) struct Trimmed {
    pub nodes: Vec<Point3<f64>>,
    pub struts: Vec<Strut>,
    pub cut_node: Vec<bool>,
    pub counts: TrimCounts,
}

/// Trims every strut to the domain. A strut whose inside part is all of it is kept; one with
/// no inside part of length ≥ `min_length` (mm) is dropped; otherwise each inside part of
/// length ≥ `min_length` becomes a strut, ending at a new node on the boundary where it was
/// cut (radius interpolated linearly along the strut).
pub(crate) fn trim_to_domain(
    nodes: Vec<Point3<f64>>,
    struts: &[Strut],
    domain: &Domain,
    min_length: f64,
) -> Trimmed {
    let mut nodes = nodes;
    let mut cut_node = vec![false; nodes.len()];
    let mut out = Vec::with_capacity(struts.len());
    let mut counts = TrimCounts::default();
    for s in struts {
        let p = nodes[s.a.index()];
        let q = nodes[s.b.index()];
        let len = (q - p).norm();
        let intervals = domain.inside_intervals(&p, &q);
        let mut pieces = Vec::with_capacity(intervals.len());
        for [t0, t1] in intervals {
            if (t1 - t0) * len >= min_length {
                pieces.push([t0, t1]);
            } else if t1 > t0 {
                counts.short_pieces += 1;
            }
        }
        match pieces.as_slice() {
            [] => counts.dropped += 1,
            [[t0, t1]] if *t0 == 0.0 && *t1 == 1.0 => {
                counts.kept += 1;
                out.push(*s);
            }
            _ => {
                counts.cut += 1;
                counts.cut_pieces += pieces.len();
                let radius = |t: f64| s.radius_a + t * (s.radius_b - s.radius_a);
                let mut node_at = |t: f64| {
                    if t == 0.0 {
                        s.a
                    } else if t == 1.0 {
                        s.b
                    } else {
                        nodes.push(p + (q - p) * t);
                        cut_node.push(true);
                        NodeId::new(nodes.len() - 1)
                    }
                };
                for [t0, t1] in pieces {
                    let a = node_at(t0);
                    let b = node_at(t1);
                    out.push(Strut {
                        a,
                        b,
                        radius_a: radius(t0),
                        radius_b: radius(t1),
                    });
                }
            }
        }
    }
    Trimmed {
        nodes,
        struts: out,
        cut_node,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_cut_drop_and_short_pieces() {
        let d = Domain::new_box([0.0; 3], [1.0; 3]).unwrap();
        let nodes = vec![
            Point3::new(0.2, 0.5, 0.5),
            Point3::new(0.8, 0.5, 0.5),
            Point3::new(1.5, 0.5, 0.5),
            Point3::new(2.5, 0.5, 0.5),
            Point3::new(1.0 - 1e-7, 0.2, 0.5),
            Point3::new(1.5, 0.2, 0.5),
        ];
        let st = |a, b| Strut {
            a: NodeId(a),
            b: NodeId(b),
            radius_a: 0.1,
            radius_b: 0.3,
        };
        let struts = [st(0, 1), st(1, 2), st(2, 3), st(4, 5)];
        let t = trim_to_domain(nodes, &struts, &d, 1e-6);
        assert_eq!(
            t.counts,
            TrimCounts {
                kept: 1,
                cut: 1,
                cut_pieces: 1,
                dropped: 2,
                short_pieces: 1
            }
        );
        assert_eq!(t.struts.len(), 2);
        let cut = t.struts[1];
        assert_eq!(cut.a, NodeId(1));
        assert!((t.nodes[cut.b.index()] - Point3::new(1.0, 0.5, 0.5)).norm() < 1e-12);
        assert!(t.cut_node[cut.b.index()]);
        // Radius at the cut: linear from 0.1 at t=0 to 0.3 at t=1, cut at t = 0.2/0.7.
        assert!((cut.radius_b - (0.1 + 0.2 * (0.2 / 0.7))).abs() < 1e-12);
    }
}
