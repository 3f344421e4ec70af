//! Choosing one design per control point among its FE-verified candidates, trading accuracy
//! against compatibility with the neighbours' cells.
//!
//! With `e_i(c)` the FE relative Frobenius error (4th-order tensors) of candidate `c` at point
//! `i` and `e_i*` the best of point `i`,
//! the choice minimizes
//!
//! ```text
//! J = Σ_i w_i (e_i(c_i) − e_i*) + λ Σ_{i~j} D(c_i, c_j)
//! ```
//!
//! over the pairs `i~j` of k-nearest neighbours, where `w_i` is the point's weight, `λ` the
//! spec's `grading.smoothness` and `D` the [`cell_distance`]: how far apart two cells are up
//! to the 24 cube rotations that [`super::align`] applies anyway (relative Frobenius distance
//! of the primitive cells) plus ½ when their topologies differ (the blend then has to morph one
//! strut set into the other). So a candidate may cost up to `λ` of relative Frobenius error per unit of cell distance
//! it saves; `λ = 0` takes every point's most accurate candidate. Candidates above a point's
//! `tolerance` are not considered unless none is within it.
//!
//! The minimization is coordinate descent from the most accurate candidates, points in input
//! order, until no point changes (at most 50 sweeps): deterministic, and `J` never increases.

use nalgebra::Matrix3;

use super::align::cube_rotations;
use crate::design_space::{Design, unit_graph};

/// One control point's options.
#[derive(Debug, Clone)]
pub struct PointOptions {
    /// Position, mm.
    pub position: [f64; 3],
    /// Importance of accuracy here (> 0).
    pub weight: f64,
    /// Largest acceptable FE relative Frobenius error, if any.
    pub tolerance: Option<f64>,
    /// The candidates and their FE relative Frobenius error against the target, best first or
    /// in any order.
    pub candidates: Vec<(Design, f64)>,
}

/// Distance between two designs' cells up to cube rotations: `min_Q ‖F_a Q − F_b‖_F /
/// ((‖F_a‖_F + ‖F_b‖_F)/2)` over the 24 proper cube rotations `Q`, plus ½ if the unit graphs
/// differ (dimensionless).
pub fn cell_distance(a: &Design, b: &Design) -> f64 {
    let (Ok(fa), Ok(fb)) = (a.affine(), b.affine()) else {
        return f64::INFINITY;
    };
    let shape = shape_distance(&fa, &fb, &cube_rotations());
    let topology = if unit_graph(&a.topology) == unit_graph(&b.topology) {
        0.0
    } else {
        0.5
    };
    shape + topology
}

fn shape_distance(fa: &Matrix3<f64>, fb: &Matrix3<f64>, rotations: &[Matrix3<f64>]) -> f64 {
    let scale = 0.5 * (fa.norm() + fb.norm());
    rotations
        .iter()
        .map(|q| (fa * q - fb).norm() / scale)
        .fold(f64::INFINITY, f64::min)
}

/// Chooses one candidate per point (indices into each point's `candidates`); see the module
/// docs. `neighbours` is the k of the k-nearest neighbours, `smoothness` the λ.
///
/// # Panics
/// If a point has no candidates.
#[track_caller]
pub fn choose_designs(points: &[PointOptions], neighbours: usize, smoothness: f64) -> Vec<usize> {
    assert!(
        points.iter().all(|p| !p.candidates.is_empty()),
        "every control point needs a candidate"
    );
    let n = points.len();
    let allowed: Vec<Vec<usize>> = points
        .iter()
        .map(|p| {
            let within: Vec<usize> = (0..p.candidates.len())
                .filter(|&c| p.tolerance.is_none_or(|t| p.candidates[c].1 <= t))
                .collect();
            if within.is_empty() {
                (0..p.candidates.len()).collect()
            } else {
                within
            }
        })
        .collect();
    let best = |i: usize| -> usize {
        *allowed[i]
            .iter()
            .min_by(|&&a, &&b| {
                points[i].candidates[a]
                    .1
                    .total_cmp(&points[i].candidates[b].1)
            })
            .expect("non-empty")
    };
    let mut chosen: Vec<usize> = (0..n).map(best).collect();
    if smoothness == 0.0 || n < 2 {
        return chosen;
    }
    let near = neighbour_lists(points, neighbours);
    let best_error: Vec<f64> = (0..n).map(|i| points[i].candidates[chosen[i]].1).collect();
    // Distances between candidates of neighbouring points, computed on demand.
    let rotations = cube_rotations();
    let affine: Vec<Vec<Option<Matrix3<f64>>>> = points
        .iter()
        .map(|p| p.candidates.iter().map(|(d, _)| d.affine().ok()).collect())
        .collect();
    let distance = |i: usize, a: usize, j: usize, b: usize| -> f64 {
        let (Some(fa), Some(fb)) = (&affine[i][a], &affine[j][b]) else {
            return f64::INFINITY;
        };
        let same = unit_graph(&points[i].candidates[a].0.topology)
            == unit_graph(&points[j].candidates[b].0.topology);
        shape_distance(fa, fb, &rotations) + if same { 0.0 } else { 0.5 }
    };
    for _ in 0..50 {
        let mut changed = false;
        for i in 0..n {
            let cost = |c: usize| -> f64 {
                let accuracy = points[i].weight * (points[i].candidates[c].1 - best_error[i]);
                let smooth: f64 = near[i].iter().map(|&j| distance(i, c, j, chosen[j])).sum();
                accuracy + smoothness * smooth
            };
            let current = cost(chosen[i]);
            let (mut pick, mut pick_cost) = (chosen[i], current);
            for &c in &allowed[i] {
                let k = cost(c);
                if k < pick_cost - 1e-12 {
                    (pick, pick_cost) = (c, k);
                }
            }
            if pick != chosen[i] {
                chosen[i] = pick;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    chosen
}

/// For each point, the other points among its `k` nearest, symmetrized (i~j if either is
/// among the other's k nearest), sorted.
fn neighbour_lists(points: &[PointOptions], k: usize) -> Vec<Vec<usize>> {
    let n = points.len();
    let d2 = |i: usize, j: usize| -> f64 {
        (0..3)
            .map(|a| (points[i].position[a] - points[j].position[a]).powi(2))
            .sum()
    };
    let mut near = vec![Vec::new(); n];
    for i in 0..n {
        let mut others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
        others.sort_by(|&a, &b| d2(i, a).total_cmp(&d2(i, b)).then(a.cmp(&b)));
        for &j in others.iter().take(k) {
            near[i].push(j);
            near[j].push(i);
        }
    }
    for list in &mut near {
        list.sort_unstable();
        list.dedup();
    }
    near
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design_space::{AxisAngle, LatticeChoice, Topology};

    fn design(lattice: u8, u: [f64; 3], angle_deg: f64) -> Design {
        let c = LatticeChoice {
            lattice,
            tessellation: 1,
        };
        Design {
            topology: Topology::try_new(&[c; 3]).unwrap(),
            relative_density: 0.05,
            u,
            r1: AxisAngle {
                axis: [0.0, 0.0, 1.0],
                angle_deg,
            },
            v: [1.0; 3],
            r2: AxisAngle::IDENTITY,
        }
    }

    #[test]
    fn cell_distance_is_zero_up_to_cube_rotations_and_counts_topology() {
        let a = design(2, [1.0, 1.0, 1.5], 0.0);
        assert!(cell_distance(&a, &a) < 1e-12);
        // A 90° turn about z maps the cube onto itself: the same lattice.
        let turned = design(2, [1.0, 1.0, 1.5], 90.0);
        assert!(cell_distance(&a, &turned) < 1e-9);
        let other = design(0, [1.0, 1.0, 1.5], 0.0);
        assert!((cell_distance(&a, &other) - 0.5).abs() < 1e-12);
        let stretched = design(2, [1.0, 1.0, 2.0], 0.0);
        let d = cell_distance(&a, &stretched);
        assert!(d > 0.1 && d < 0.5, "{d}");
    }

    fn point(x: f64, candidates: Vec<(Design, f64)>) -> PointOptions {
        PointOptions {
            position: [x, 0.0, 0.0],
            weight: 1.0,
            tolerance: None,
            candidates,
        }
    }

    #[test]
    fn zero_smoothness_takes_the_most_accurate_candidates() {
        let bcc = design(2, [1.0; 3], 0.0);
        let sc = design(0, [1.0; 3], 0.0);
        let points = vec![
            point(0.0, vec![(bcc.clone(), 0.2), (sc.clone(), 0.1)]),
            point(5.0, vec![(bcc.clone(), 0.1), (sc.clone(), 0.3)]),
        ];
        assert_eq!(choose_designs(&points, 4, 0.0), vec![1, 0]);
    }

    #[test]
    fn smoothness_prefers_a_slightly_worse_compatible_candidate() {
        let bcc = design(2, [1.0; 3], 0.0);
        let sc = design(0, [1.0; 3], 0.0);
        let points = vec![
            point(0.0, vec![(bcc.clone(), 0.12), (sc.clone(), 0.1)]),
            point(5.0, vec![(bcc.clone(), 0.1), (sc.clone(), 0.5)]),
        ];
        // Switching point 0 to BCC costs 0.02 of error and saves 0.5 of distance.
        assert_eq!(choose_designs(&points, 4, 0.1), vec![0, 0]);
        // A large accuracy loss is not worth it.
        let points = vec![
            point(0.0, vec![(bcc.clone(), 0.9), (sc.clone(), 0.1)]),
            point(5.0, vec![(bcc, 0.1), (sc, 0.5)]),
        ];
        assert_eq!(choose_designs(&points, 4, 0.1), vec![1, 0]);
    }

    #[test]
    fn tolerance_excludes_candidates_unless_none_is_within() {
        let bcc = design(2, [1.0; 3], 0.0);
        let sc = design(0, [1.0; 3], 0.0);
        let mut p0 = point(0.0, vec![(bcc.clone(), 0.3), (sc.clone(), 0.1)]);
        p0.tolerance = Some(0.15);
        let points = vec![p0, point(5.0, vec![(bcc.clone(), 0.1)])];
        // BCC would be smoother but is outside point 0's tolerance.
        assert_eq!(choose_designs(&points, 4, 10.0), vec![1, 0]);
        let mut p0 = point(0.0, vec![(bcc.clone(), 0.3), (sc, 0.2)]);
        p0.tolerance = Some(0.15);
        let points = vec![p0, point(5.0, vec![(bcc, 0.1)])];
        assert_eq!(choose_designs(&points, 4, 10.0), vec![0, 0]);
    }
}
