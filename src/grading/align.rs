//! Step 1: align each control point's cell to its neighbours by a cube rotation.
//!
//! A design's primitive cell is `A_i = h·F_i` (columns = lattice vectors, mm) filled with the
//! unit-cube graph of its topology. For any of the 24 proper rotations `Q` of the cube (signed
//! permutation matrices with det +1), the pair (`A_i Q`, graph mapped by `Qᵀ` about the cube
//! centre) describes exactly the same Cartesian strut set: a point `x = A_i g` is also
//! `(A_i Q)(Qᵀ g)`, and `Qᵀ` maps the unit cube and its integer translations onto themselves.
//! For a topology with cubic symmetry the mapped graph is the graph itself; for the others
//! (BCC + z-edges, honeycomb prism, …) the graph is re-indexed, so the geometry never changes.
//!
//! The variant is chosen greedily: point 0 keeps `Q = I`; then, repeatedly, the unaligned point
//! nearest to an aligned one (ties: lower index) takes the `Q` minimizing
//! `Σ_j ‖A_i Q − A_j Q_j‖_F` over its aligned neighbours `j` (its `k` nearest points that are
//! already aligned, or else the nearest aligned point). Ties between rotations go to the
//! first in [`cube_rotations`] order (identity first).

use std::collections::BTreeSet;
use std::sync::Arc;

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

use super::{ControlPoint, GradingError};
use crate::design_space::{RangePolicy, unit_graph};
use crate::geom::distance::point_distance;
use crate::geom::exact::{GRID, RatPoint};

/// Whether control-point cells are aligned by cube rotations before interpolation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Alignment {
    /// Choose the cube rotation of each cell closest to its neighbours (default).
    #[default]
    CubeRotations,
    /// Use every design's cell as given (`Q = I`). Cells of opposite orientation are then
    /// averaged as they are, which can make the blended cell degenerate.
    Off,
}

/// The 24 proper rotations of the cube as signed permutation matrices, identity first, then in
/// a fixed order.
pub fn cube_rotations() -> Vec<Matrix3<f64>> {
    signed_perms()
        .into_iter()
        .map(|q| Matrix3::from_fn(|r, c| q[r][c] as f64))
        .collect()
}

/// The cube's 24 rotations as signed permutation matrices, in the order of
/// [`crate::geom::symmetry::cube_rotations`].
fn signed_perms() -> Vec<[[i8; 3]; 3]> {
    crate::geom::symmetry::cube_rotations().collect()
}

/// A topology's periodic graph after a cube rotation, in exact grid coordinates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlignedGraph {
    /// Canonical struts `(p, q)`: `p < q`, `p` in the half-open cell `[0, GRID)³`; sorted.
    pub struts: Vec<(RatPoint, RatPoint)>,
    /// Node orbits (points in `[0, GRID)³`).
    pub nodes: BTreeSet<RatPoint>,
    /// Strut vectors in cell edges (for the strut-length sum of the density formula).
    pub unit_vectors: Vec<Vector3<f64>>,
}

impl AlignedGraph {
    pub(crate) fn from_struts(raw: impl Iterator<Item = (RatPoint, RatPoint)>) -> Self {
        let mut set = BTreeSet::new();
        for (a, b) in raw {
            set.insert(canonical(a, b));
        }
        let struts: Vec<_> = set.into_iter().collect();
        let nodes = struts
            .iter()
            .flat_map(|(p, q)| [*p, q.wrapped().0])
            .collect();
        let unit_vectors = struts
            .iter()
            .map(|(p, q)| {
                let (a, b) = (p.to_f64(), q.to_f64());
                Vector3::from_fn(|i, _| (b[i] - a[i]) / GRID as f64)
            })
            .collect();
        Self {
            struts,
            nodes,
            unit_vectors,
        }
    }

    fn rotated(&self, q: &[[i8; 3]; 3]) -> Self {
        Self::from_struts(
            self.struts
                .iter()
                .map(|(a, b)| (a.rotated_t(q), b.rotated_t(q))),
        )
    }
}

/// The representative of a strut's translation class.
pub(crate) fn canonical(a: RatPoint, b: RatPoint) -> (RatPoint, RatPoint) {
    let (p, q) = if a <= b { (a, b) } else { (b, a) };
    let c = p.cell_index().map(|v| -v);
    (p.translated(c), q.translated(c))
}

/// One control point's cell after alignment.
#[derive(Debug, Clone)]
pub struct AlignedCell {
    /// The cube rotation `Q` chosen (a signed permutation matrix, det +1).
    pub rotation: Matrix3<f64>,
    /// The aligned primitive vectors `A_i Q` as columns, mm.
    pub lattice: Matrix3<f64>,
    /// The design's relative density ρ_i (dimensionless).
    pub relative_density: f64,
    /// The design's strut diameter in its own cell (of the point's cell size), mm.
    pub diameter: f64,
    pub(crate) graph: Arc<AlignedGraph>,
}

impl AlignedCell {
    /// The uniform strut diameter (mm) that gives this design's relative density when its
    /// (aligned) topology fills the cell with primitive vectors `lattice` (columns, mm):
    /// `ρ · det L = Σ π d²/4 · |L u_b|`.
    pub fn diameter_in(&self, lattice: &Matrix3<f64>) -> f64 {
        let total: f64 = self
            .graph
            .unit_vectors
            .iter()
            .map(|u| (lattice * u).norm())
            .sum();
        (4.0 * self.relative_density * lattice.determinant().max(0.0)
            / (std::f64::consts::PI * total))
            .sqrt()
    }
}

/// A control point's cell before alignment: its lattice (mm, columns the cell edges), its
/// strut diameter (mm) and its unit graph in exact coordinates.
type BaseCell = (Matrix3<f64>, f64, AlignedGraph);

/// The cell of `p` at edge [`ControlPoint::cell_size`], or `h` (mm) where it is not given.
fn base_cell(p: &ControlPoint, h: f64) -> Result<BaseCell, GradingError> {
    let design_error = |source| GradingError::Design {
        id: p.id.clone(),
        source: Box::new(source),
    };
    let cell = p.design.cell(RangePolicy::Strict).map_err(design_error)?;
    let f = p.design.affine().map_err(design_error)?;
    let graph = unit_graph(&p.design.topology);
    let exact = AlignedGraph::from_struts(graph.exact().iter().copied());
    let h = p.cell_size.unwrap_or(h);
    Ok((f * h, cell.struts()[0].diameter * h, exact))
}

/// Prim order: the nearest unaligned point to the aligned set (ties to the lower index), with
/// its nearest aligned point.
fn nearest_unaligned(points: &[ControlPoint], chosen: &[Option<usize>]) -> (usize, usize) {
    let n = points.len();
    let mut best: Option<(f64, usize, usize)> = None;
    for i in (0..n).filter(|&i| chosen[i].is_none()) {
        for j in (0..n).filter(|&j| chosen[j].is_some()) {
            let d = point_distance(points[i].position, points[j].position);
            if best.is_none_or(|(bd, bi, _)| d < bd || (d == bd && i < bi)) {
                best = Some((d, i, j));
            }
        }
    }
    let (_, i, nearest) = best.expect("an unaligned point remains");
    (i, nearest)
}

/// The `neighbours` nearest other points of point `i` (ties to the lower index).
fn nearest_others(points: &[ControlPoint], i: usize, neighbours: usize) -> Vec<usize> {
    let dist = |j: usize| point_distance(points[i].position, points[j].position);
    let mut others: Vec<usize> = (0..points.len()).filter(|&j| j != i).collect();
    others.sort_by(|&a, &b| dist(a).total_cmp(&dist(b)).then(a.cmp(&b)));
    others.truncate(neighbours.max(1));
    others
}

/// The index of the rotation of `lattice` nearest (sum of Frobenius distances) to `targets`;
/// a later rotation must be better by more than a relative `1e-12` to win.
fn best_rotation(
    lattice: &Matrix3<f64>,
    targets: &[Matrix3<f64>],
    rotations: &[Matrix3<f64>],
) -> usize {
    let scale = lattice.norm();
    let mut best_q = 0;
    let mut best_cost = f64::INFINITY;
    for (k, q) in rotations.iter().enumerate() {
        let aq = lattice * q;
        let cost: f64 = targets.iter().map(|t| (aq - t).norm()).sum();
        if cost < best_cost - 1e-12 * scale {
            best_cost = cost;
            best_q = k;
        }
    }
    best_q
}

/// The cube rotation chosen for each point (an index into `rotations`): points are aligned in
/// Prim order to their aligned `neighbours` nearest points (or the nearest aligned one).
fn choose_rotations(
    points: &[ControlPoint],
    base: &[BaseCell],
    neighbours: usize,
    rotations: &[Matrix3<f64>],
) -> Vec<Option<usize>> {
    let n = points.len();
    let mut chosen: Vec<Option<usize>> = vec![None; n];
    if n > 0 {
        chosen[0] = Some(0);
    }
    for _ in 1..n {
        let (i, nearest) = nearest_unaligned(points, &chosen);
        let mut refs: Vec<usize> = nearest_others(points, i, neighbours)
            .into_iter()
            .filter(|&j| chosen[j].is_some())
            .collect();
        if refs.is_empty() {
            refs.push(nearest);
        }
        let targets: Vec<Matrix3<f64>> = refs
            .iter()
            .map(|&j| base[j].0 * rotations[chosen[j].expect("aligned")])
            .collect();
        chosen[i] = Some(best_rotation(&base[i].0, &targets, rotations));
    }
    chosen
}

/// Aligns the control points' cells of edge [`ControlPoint::cell_size`], or `h` (mm) where it
/// is not given: see the module docs. `neighbours` is the
/// `k` of the k-nearest neighbours considered.
///
/// # Errors
/// [`GradingError::Design`] if a design is invalid (strict ranges).
pub fn align(
    points: &[ControlPoint],
    h: f64,
    neighbours: usize,
    alignment: Alignment,
) -> Result<Vec<AlignedCell>, GradingError> {
    let base = points
        .iter()
        .map(|p| base_cell(p, h))
        .collect::<Result<Vec<_>, _>>()?;
    let perms = signed_perms();
    let rotations = cube_rotations();
    let chosen = if alignment == Alignment::CubeRotations {
        choose_rotations(points, &base, neighbours, &rotations)
    } else {
        let mut chosen = vec![None; points.len()];
        if let Some(first) = chosen.first_mut() {
            *first = Some(0);
        }
        chosen
    };
    Ok(base
        .into_iter()
        .zip(points)
        .enumerate()
        .map(|(i, ((a, d, graph), p))| {
            let k = chosen[i].unwrap_or(0);
            let graph = if k == 0 {
                graph
            } else {
                graph.rotated(&perms[k])
            };
            AlignedCell {
                rotation: rotations[k],
                lattice: a * rotations[k],
                relative_density: p.design.relative_density,
                diameter: d,
                graph: Arc::new(graph),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design_space::{AxisAngle, Design, LatticeChoice, Topology};
    use nalgebra::Point3;

    pub(crate) fn design(lattices: [u8; 3], u: [f64; 3], r2: AxisAngle) -> Design {
        let c = lattices.map(|lattice| LatticeChoice {
            lattice,
            tessellation: 1,
        });
        Design {
            topology: Topology::try_new(&c).unwrap(),
            relative_density: 0.05,
            u,
            r1: AxisAngle::IDENTITY,
            v: [1.0; 3],
            r2,
        }
    }

    fn point(id: &str, x: f64, design: Design) -> ControlPoint {
        ControlPoint {
            id: id.into(),
            position: [x, 0.0, 0.0],
            design,
            cell_size: None,
        }
    }

    /// Cartesian strut midpoints of one cell, wrapped into the cell (a translation-invariant
    /// fingerprint of the periodic strut set), sorted.
    fn fingerprint(
        lattice: &Matrix3<f64>,
        graph: &AlignedGraph,
        reference: &Matrix3<f64>,
    ) -> Vec<[i64; 6]> {
        let inv = reference.try_inverse().unwrap();
        let mut out: Vec<[i64; 6]> = graph
            .struts
            .iter()
            .map(|(p, q)| {
                let (a, b) = (p.to_f64(), q.to_f64());
                let ga = Vector3::from_fn(|i, _| a[i] / GRID as f64 - 0.5);
                let gb = Vector3::from_fn(|i, _| b[i] / GRID as f64 - 0.5);
                let (xa, xb) = (lattice * ga, lattice * gb);
                let mid = inv * ((xa + xb) * 0.5);
                let mid = reference * mid.map(|v| v - (v + 1e-9).floor());
                let mut dir = xb - xa;
                if dir
                    .iter()
                    .find(|v| v.abs() > 1e-9)
                    .is_some_and(|v| *v < 0.0)
                {
                    dir = -dir;
                }
                let r = |v: f64| (v * 1e6).round() as i64;
                [r(mid.x), r(mid.y), r(mid.z), r(dir.x), r(dir.y), r(dir.z)]
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn cube_rotations_are_24_distinct_proper() {
        let r = cube_rotations();
        assert_eq!(r.len(), 24);
        assert_eq!(r[0], Matrix3::identity());
        for (i, a) in r.iter().enumerate() {
            assert!((a.determinant() - 1.0).abs() < 1e-15);
            assert!((a.transpose() * a - Matrix3::identity()).norm() < 1e-15);
            for b in &r[..i] {
                assert!((a - b).norm() > 0.5);
            }
        }
    }

    #[test]
    fn identical_neighbours_keep_identity() {
        let d = design([1, 2, 0], [1.0, 1.5, 0.8], AxisAngle::IDENTITY);
        let pts = [point("a", 0.0, d.clone()), point("b", 10.0, d)];
        let al = align(&pts, 3.0, 4, Alignment::CubeRotations).unwrap();
        for a in &al {
            assert_eq!(a.rotation, Matrix3::identity());
        }
        assert!((al[0].lattice - al[1].lattice).norm() < 1e-12);
    }

    #[test]
    fn a_90_degree_relabelling_is_undone() {
        // Point b is the same BCC lattice as a, written with the stretches swapped and a 90°
        // turn about z: F_b = Rz(90°) diag(2, 1, 1) = diag(1, 2, 1) · Q for a cube rotation Q.
        let a = design([2, 2, 2], [1.0, 2.0, 1.0], AxisAngle::IDENTITY);
        let rz = AxisAngle {
            axis: [0.0, 0.0, 1.0],
            angle_deg: 90.0,
        };
        let b = design([2, 2, 2], [2.0, 1.0, 1.0], rz);
        let fa = a.affine().unwrap();
        let fb = b.affine().unwrap();
        assert!((fa - fb).norm() > 1.0, "the inputs differ as given");
        let pts = [point("a", 0.0, a), point("b", 6.0, b)];
        let al = align(&pts, 3.0, 4, Alignment::CubeRotations).unwrap();
        assert_eq!(al[0].rotation, Matrix3::identity());
        assert!(
            (al[1].lattice - al[0].lattice).norm() < 1e-12,
            "aligned lattices differ: {} vs {}",
            al[1].lattice,
            al[0].lattice
        );
        assert!((al[1].rotation - Matrix3::identity()).norm() > 0.5);
        // BCC is cubic: the rotated graph is the same graph.
        assert_eq!(al[1].graph, al[0].graph);
        // Off: nothing changes.
        let off = align(&pts, 3.0, 4, Alignment::Off).unwrap();
        assert!((off[1].lattice - fb * 3.0).norm() < 1e-12);
    }

    #[test]
    fn rotation_keeps_the_geometry_of_non_cubic_topologies() {
        // Honeycomb prism + BCC with z-edges: no cubic symmetry. Every rotation Q must give
        // the same Cartesian periodic strut set from (A Q, Qᵀ-mapped graph).
        let d = design([6, 3, 0], [1.0, 1.3, 0.7], AxisAngle::IDENTITY);
        let pts = [point("a", 0.0, d)];
        let al = align(&pts, 2.0, 4, Alignment::Off).unwrap();
        let a = al[0].lattice;
        let reference = fingerprint(&a, &al[0].graph, &a);
        let perms = signed_perms();
        let mut changed = 0;
        for (k, q) in cube_rotations().iter().enumerate() {
            let g = al[0].graph.rotated(&perms[k]);
            changed += usize::from(g != *al[0].graph);
            assert_eq!(fingerprint(&(a * q), &g, &a), reference, "rotation {k}");
            assert_eq!(g.struts.len(), al[0].graph.struts.len());
        }
        assert!(
            changed >= 16,
            "the topology is not cubic: {changed} rotations change it"
        );
        // Design diameter is recovered in the design's own lattice.
        let d_own = al[0].diameter_in(&al[0].lattice);
        assert!(
            (d_own - al[0].diameter).abs() < 1e-12,
            "{d_own} vs {}",
            al[0].diameter
        );
        let _ = Point3::<f64>::origin();
    }
}
