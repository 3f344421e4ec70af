//! Choosing one design per control point among its FE-verified candidates, trading the
//! accuracy of what will be *built* against the cell size and compatibility with the
//! neighbours' cells.
//!
//! With `e_i(c)` the FE relative Frobenius error (4th-order tensors) of candidate `c` at point
//! `i`, the choice predicts the error of the cell built there, `ê_i = e_i(c)` when the point
//! keeps a core (its design reproduced cell for cell, see the grading's cores) and
//! `e_i(c) + NO_CORE_PENALTY` when its cell and a neighbour's do not both fit between the two
//! points with the transition between them and its cell is the larger of the two along the
//! segment (then it loses its core and is blended; the other keeps a one-cell core where its
//! cell and the transition fit beside the first as a point) or when its cell, centred on the
//! point, reaches out of the domain (the boundary cuts it), and minimizes
//!
//! ```text
//! J = Σ_i [MISS_COST·[ê_i > tol_i] + w_i (ê_i − e_i*) + μ ln(h_i(c_i) / h_i*)] + λ Σ_{i~j} D(c_i, c_j)
//! ```
//!
//! over the pairs `i~j` of k-nearest neighbours, where `e_i*` is the best design error of
//! point `i`, `w_i` the point's weight, `λ` the spec's `grading.smoothness`, `h_i(c)` the size
//! of the cell candidate `c` needs (its longest body diagonal at the smallest printable cell
//! size, mm; `h_i*` the smallest among the point's candidates), `μ` the spec's
//! `grading.cell_size_weight` (a smaller cell puts more cells between the points, for cores
//! and transitions) and `D` the [`cell_distance`]: how far apart two cells are up to the 24
//! cube rotations that [`super::align`] applies anyway (relative Frobenius distance of the
//! primitive cells) plus ½ when their topologies differ (the blend then has to morph one strut
//! set into the other). `MISS_COST` outweighs every other term, so the choice first keeps as
//! many points as it can within their tolerance *as built*, then trades the rest: a design of
//! error 0.08 whose 8.7 mm cell leaves no core is not taken over one of 0.0 at 2.5 mm that
//! keeps it. `λ = 0` and no cell sizes take every point's most accurate candidate.
//!
//! Two cells fit between points `p_i`, `p_j` at distance `d` when `(t + 2)/2 · (w_i + w_j) ≤ d`,
//! `w` the cells' widths (`h·F`, mm) along the segment and `t` the transition cells: the ideal
//! `(t + 1)/2 · (w_i + w_j)` of half a cell each side and `t` transition cells, plus one cell
//! for moving the points to cell centres (as the grading's core clipping needs).
//!
//! The minimization is coordinate descent on the whole `J` (a point's choice changes its
//! neighbours' predicted errors too) from the most accurate candidates, points in input order,
//! until no point changes (at most 50 sweeps): deterministic, and `J` never increases.

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
    /// Each candidate's cell size, mm (same order; empty when the size does not matter).
    pub cell_sizes: Vec<f64>,
    /// Whether each candidate's cell, centred on the point, lies inside the domain (same
    /// order; empty: all do). One that does not is cut by the boundary and keeps no core.
    pub inside_domain: Vec<bool>,
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

/// How a choice trades accuracy against the cell size and the neighbours (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChoiceWeights {
    /// `λ`: relative Frobenius error a candidate may cost per unit of cell distance to its
    /// neighbours.
    pub smoothness: f64,
    /// `μ`: relative Frobenius error a candidate may cost per e-fold of smaller cell.
    pub cell_size: f64,
    /// `t`: free cell layers the grading keeps between two cores (`grading.transition_cells`).
    pub transition_cells: usize,
}

/// The terms of one point's part of `J` for its chosen candidate.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct ChoiceCost {
    /// `ê_i`: the predicted relative Frobenius error of the cell built at the point (the
    /// design's, plus [`NO_CORE_PENALTY`] when a neighbour's cell leaves it no core).
    pub predicted_error: f64,
    /// Whether `ê_i` is above the point's tolerance (costs [`MISS_COST`]).
    pub misses_tolerance: bool,
    /// `w_i (ê_i − e_i*)`: accuracy given up against the point's most accurate design.
    pub accuracy: f64,
    /// `μ ln(h(c) / h_i*)`: the cell size against the smallest among the point's candidates.
    pub cell_size: f64,
    /// `λ Σ_j D(c, c_j)` over the neighbours.
    pub compatibility: f64,
    /// Neighbours whose cell and this one do not both fit between the two points where this
    /// point's cell is the larger (or does not fit beside the other's blend either): the point
    /// then loses its core.
    pub misfits: usize,
}

/// What a point whose cell does not fit beside a neighbour's is predicted to lose against its
/// design (relative Frobenius error): without a core the cell there is a least-squares blend
/// of incompatible neighbours, not the design (measured 0.3–0.66 on `bench graded`).
pub const NO_CORE_PENALTY: f64 = 0.5;

/// What a predicted built error above the point's tolerance costs: more than every other term
/// together, so the choice first keeps as many points within tolerance as it can.
pub const MISS_COST: f64 = 100.0;

impl ChoiceCost {
    fn total(&self) -> f64 {
        let miss = if self.misses_tolerance {
            MISS_COST
        } else {
            0.0
        };
        miss + self.accuracy + self.cell_size + self.compatibility
    }
}

/// The width of the cell `A[−½, ½]³` (columns, mm) along the unit vector `e`, mm.
fn width(a: &Matrix3<f64>, e: &nalgebra::Vector3<f64>) -> f64 {
    a.try_inverse()
        .map_or(f64::INFINITY, |inv| 1.0 / (inv * e).amax())
}

/// The distance (mm) two control points need for cells `a` at `from` and `b` at `to`
/// (columns, mm) to both fit between them with `transition_cells` between (the fit rule of the
/// module docs).
pub fn needed_distance(
    a: &Matrix3<f64>,
    b: &Matrix3<f64>,
    from: [f64; 3],
    to: [f64; 3],
    transition_cells: usize,
) -> f64 {
    let d = nalgebra::Vector3::from(to) - nalgebra::Vector3::from(from);
    let e = d / d.norm();
    0.5 * (transition_cells as f64 + 2.0) * (width(a, &e) + width(b, &e))
}

/// A candidate's cell in mm (`h·F`, columns) and its longest body diagonal, mm.
type Physical = (Matrix3<f64>, f64);

struct Problem<'a> {
    points: &'a [PointOptions],
    weights: ChoiceWeights,
    allowed: Vec<Vec<usize>>,
    near: Vec<Vec<usize>>,
    best_error: Vec<f64>,
    smallest_cell: Vec<f64>,
    affine: Vec<Vec<Option<Matrix3<f64>>>>,
    /// Each candidate's cell in mm (`h·F`) and its longest body diagonal, when sizes are given.
    physical: Vec<Vec<Option<Physical>>>,
    rotations: Vec<Matrix3<f64>>,
}

impl<'a> Problem<'a> {
    fn new(points: &'a [PointOptions], neighbours: usize, weights: ChoiceWeights) -> Self {
        assert!(
            points.iter().all(|p| !p.candidates.is_empty()),
            "every control point needs a candidate"
        );
        let allowed: Vec<Vec<usize>> = points
            .iter()
            .map(|p| (0..p.candidates.len()).collect())
            .collect();
        let affine: Vec<Vec<Option<Matrix3<f64>>>> = points
            .iter()
            .map(|p| p.candidates.iter().map(|(d, _)| d.affine().ok()).collect())
            .collect();
        let physical: Vec<Vec<Option<Physical>>> = points
            .iter()
            .zip(&affine)
            .map(|(p, fs)| {
                fs.iter()
                    .enumerate()
                    .map(|(c, f)| {
                        let a = f.as_ref()? * *p.cell_sizes.get(c)?;
                        let diagonal = crate::manufacturing::longest_diagonal(&a);
                        Some((a, diagonal))
                    })
                    .collect()
            })
            .collect();
        let fold = |i: usize, f: &dyn Fn(usize) -> f64| {
            allowed[i]
                .iter()
                .map(|&c| f(c))
                .fold(f64::INFINITY, f64::min)
        };
        let best_error = (0..points.len())
            .map(|i| fold(i, &|c| points[i].candidates[c].1))
            .collect();
        let smallest_cell = (0..points.len())
            .map(|i| fold(i, &|c| physical[i][c].map_or(1.0, |(_, d)| d)))
            .collect();
        Self {
            points,
            weights,
            near: neighbour_lists(points, neighbours),
            best_error,
            smallest_cell,
            affine,
            physical,
            rotations: cube_rotations(),
            allowed,
        }
    }

    fn distance(&self, i: usize, a: usize, j: usize, b: usize) -> f64 {
        let (Some(fa), Some(fb)) = (&self.affine[i][a], &self.affine[j][b]) else {
            return f64::INFINITY;
        };
        let same = unit_graph(&self.points[i].candidates[a].0.topology)
            == unit_graph(&self.points[j].candidates[b].0.topology);
        shape_distance(fa, fb, &self.rotations) + if same { 0.0 } else { 0.5 }
    }

    /// Whether the cells of candidates `a` of `i` and `b` of `j` both fit between the points:
    /// their widths along the segment at most its length.
    fn fits(&self, i: usize, a: usize, j: usize, b: usize) -> bool {
        let (Some((ai, _)), Some((aj, _))) = (&self.physical[i][a], &self.physical[j][b]) else {
            return true;
        };
        let (from, to) = (self.points[i].position, self.points[j].position);
        let length = (nalgebra::Vector3::from(to) - nalgebra::Vector3::from(from)).norm();
        needed_distance(ai, aj, from, to, self.weights.transition_cells) <= length
    }

    /// The part of `J` that point `i`'s choice changes: its own terms and its neighbours'.
    fn local_total(&self, i: usize, chosen: &[usize]) -> f64 {
        std::iter::once(i)
            .chain(self.near[i].iter().copied())
            .map(|j| self.cost(j, chosen[j], chosen).total())
            .sum()
    }

    /// Whether point `i` with candidate `a` loses its core beside point `j` with candidate
    /// `b`: their cells do not both fit, and `i`'s is the larger along the segment or does not
    /// fit beside `j` as a point-like blend either (as the grading's core clipping decides).
    fn loses_core(&self, i: usize, a: usize, j: usize, b: usize) -> bool {
        if self.fits(i, a, j, b) {
            return false;
        }
        let (Some((ai, _)), Some((aj, _))) = (&self.physical[i][a], &self.physical[j][b]) else {
            return false;
        };
        let (from, to) = (self.points[i].position, self.points[j].position);
        let d = nalgebra::Vector3::from(to) - nalgebra::Vector3::from(from);
        let length = d.norm();
        let e = d / length;
        let (wi, wj) = (width(ai, &e), width(aj, &e));
        let t = self.weights.transition_cells as f64;
        wi >= wj || wi + 0.5 * t * (wi + wj) > length
    }

    fn cost(&self, i: usize, c: usize, chosen: &[usize]) -> ChoiceCost {
        let p = &self.points[i];
        let size = self.physical[i][c].map_or(1.0, |(_, d)| d);
        let misfits = self.near[i]
            .iter()
            .filter(|&&j| self.loses_core(i, c, j, chosen[j]))
            .count();
        let compatibility = if self.weights.smoothness == 0.0 {
            0.0
        } else {
            let d: f64 = self.near[i]
                .iter()
                .map(|&j| self.distance(i, c, j, chosen[j]))
                .sum();
            self.weights.smoothness * d
        };
        let predicted = p.candidates[c].1 + if misfits > 0 { NO_CORE_PENALTY } else { 0.0 };
        ChoiceCost {
            predicted_error: predicted,
            misses_tolerance: p.tolerance.is_some_and(|t| predicted > t),
            accuracy: p.weight * (predicted - self.best_error[i]),
            cell_size: self.weights.cell_size * (size / self.smallest_cell[i]).ln(),
            compatibility,
            misfits,
        }
    }
}

/// Chooses one candidate per point (indices into each point's `candidates`); see the module
/// docs. `neighbours` is the k of the k-nearest neighbours.
///
/// # Panics
/// If a point has no candidates.
#[track_caller]
pub fn choose_designs(
    points: &[PointOptions],
    neighbours: usize,
    weights: ChoiceWeights,
) -> Vec<usize> {
    let problem = Problem::new(points, neighbours, weights);
    let n = points.len();
    // Start from the best candidate of each point without neighbours.
    let mut chosen: Vec<usize> = vec![0; n];
    for i in 0..n {
        chosen[i] = *problem.allowed[i]
            .iter()
            .min_by(|&&a, &&b| {
                let (ca, cb) = (problem.cost(i, a, &chosen), problem.cost(i, b, &chosen));
                (ca.accuracy + ca.cell_size).total_cmp(&(cb.accuracy + cb.cell_size))
            })
            .expect("non-empty");
    }
    let sized = points.iter().any(|p| !p.cell_sizes.is_empty());
    if (weights.smoothness == 0.0 && !sized) || n < 2 {
        return chosen;
    }
    for _ in 0..50 {
        let mut changed = false;
        for i in 0..n {
            let mut pick = chosen[i];
            let mut pick_cost = problem.local_total(i, &chosen);
            for &c in &problem.allowed[i] {
                let mut trial = chosen.clone();
                trial[i] = c;
                let k = problem.local_total(i, &trial);
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

/// The terms of `J` for every point's chosen candidate (the trade-off, for the report).
///
/// # Panics
/// If a point has no candidates or `chosen` does not fit `points`.
#[track_caller]
pub fn choice_costs(
    points: &[PointOptions],
    neighbours: usize,
    weights: ChoiceWeights,
    chosen: &[usize],
) -> Vec<ChoiceCost> {
    let problem = Problem::new(points, neighbours, weights);
    (0..points.len())
        .map(|i| problem.cost(i, chosen[i], chosen))
        .collect()
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

    fn w(smoothness: f64) -> ChoiceWeights {
        ChoiceWeights {
            smoothness,
            cell_size: 0.0,
            transition_cells: 1,
        }
    }

    #[test]
    fn a_smaller_cell_is_worth_a_little_accuracy() {
        let a = design(2, [1.0; 3], 0.0);
        let mut p = point(0.0, vec![(a.clone(), 0.10), (a.clone(), 0.105), (a, 0.2)]);
        p.cell_sizes = vec![6.0, 3.0, 1.0];
        let weights = ChoiceWeights {
            smoothness: 0.0,
            cell_size: 0.01,
            transition_cells: 1,
        };
        // Halving the cell (cost 0.0069) is worth 0.005 of error; 0.1 more error is not worth
        // a six times smaller cell.
        let points = vec![p];
        assert_eq!(choose_designs(&points, 4, weights), vec![1]);
        let costs = choice_costs(&points, 4, weights, &[1]);
        assert!((costs[0].accuracy - 0.005).abs() < 1e-12);
        assert!((costs[0].cell_size - 0.01 * 3f64.ln()).abs() < 1e-12);
        assert_eq!(choose_designs(&points, 4, w(0.0)), vec![0]);
    }

    fn point(x: f64, candidates: Vec<(Design, f64)>) -> PointOptions {
        PointOptions {
            position: [x, 0.0, 0.0],
            weight: 1.0,
            tolerance: None,
            candidates,
            cell_sizes: Vec::new(),
            inside_domain: Vec::new(),
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
        assert_eq!(choose_designs(&points, 4, w(0.0)), vec![1, 0]);
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
        assert_eq!(choose_designs(&points, 4, w(0.1)), vec![0, 0]);
        // A large accuracy loss is not worth it.
        let points = vec![
            point(0.0, vec![(bcc.clone(), 0.9), (sc.clone(), 0.1)]),
            point(5.0, vec![(bcc, 0.1), (sc, 0.5)]),
        ];
        assert_eq!(choose_designs(&points, 4, w(0.1)), vec![1, 0]);
    }

    #[test]
    fn tolerance_excludes_candidates_unless_none_is_within() {
        let bcc = design(2, [1.0; 3], 0.0);
        let sc = design(0, [1.0; 3], 0.0);
        let mut p0 = point(0.0, vec![(bcc.clone(), 0.3), (sc.clone(), 0.1)]);
        p0.tolerance = Some(0.15);
        let points = vec![p0, point(5.0, vec![(bcc.clone(), 0.1)])];
        // BCC would be smoother but is outside point 0's tolerance.
        assert_eq!(choose_designs(&points, 4, w(10.0)), vec![1, 0]);
        let mut p0 = point(0.0, vec![(bcc.clone(), 0.3), (sc, 0.2)]);
        p0.tolerance = Some(0.15);
        let points = vec![p0, point(5.0, vec![(bcc, 0.1)])];
        assert_eq!(choose_designs(&points, 4, w(10.0)), vec![0, 0]);
    }

    #[test]
    fn the_choice_ranks_by_the_predicted_built_error_not_the_design_error() {
        // Two points 20 mm apart. Point 0's most accurate design (0.08) needs a 12 mm cell:
        // with the neighbour's 2.5 mm cell and one transition cell they need
        // 1.5 · (12 + 2.5) = 21.75 mm > 20 mm, so point 0 (the larger cell) would lose its
        // core (point 1 keeps one: 2.5 + 0.5 · (12 + 2.5) = 9.75 mm ≤ 20 mm). Its other
        // design (0.156, 2.4 mm) misses the tolerance 0.1 too, but is built as designed.
        let a = design(2, [1.0; 3], 0.0);
        let b = design(0, [1.0; 3], 0.0);
        let mut p0 = point(0.0, vec![(a.clone(), 0.08), (b.clone(), 0.156)]);
        p0.cell_sizes = vec![12.0, 2.4];
        p0.tolerance = Some(0.1);
        let mut p1 = point(20.0, vec![(b.clone(), 0.0)]);
        p1.cell_sizes = vec![2.5];
        p1.tolerance = Some(0.1);
        let points = vec![p0, p1];
        let weights = w(0.1);
        assert_eq!(choose_designs(&points, 4, weights), vec![1, 0]);
        let costs = choice_costs(&points, 4, weights, &[0, 0]);
        assert_eq!(costs[0].misfits, 1);
        assert!((costs[0].predicted_error - (0.08 + NO_CORE_PENALTY)).abs() < 1e-12);
        // The neighbour keeps its core beside the blend.
        assert_eq!(costs[1].misfits, 0);
        assert!(!costs[1].misses_tolerance);
        let costs = choice_costs(&points, 4, weights, &[1, 0]);
        assert_eq!(costs[0].misfits, 0);
        assert!(!costs[1].misses_tolerance);
        // Further apart (22 mm) the accurate design fits and is taken.
        let mut far = points.clone();
        far[1].position = [22.0, 0.0, 0.0];
        assert_eq!(choose_designs(&far, 4, weights), vec![0, 0]);
    }

    #[test]
    fn needed_distance_is_both_widths_with_the_transition_and_one_cell() {
        let a = Matrix3::from_diagonal(&nalgebra::Vector3::new(2.0, 3.0, 4.0));
        let b = Matrix3::from_diagonal(&nalgebra::Vector3::new(1.0, 1.0, 1.0));
        // Along x: widths 2 and 1; t = 1 → (1 + 2)/2 · 3 = 4.5 mm.
        let d = needed_distance(&a, &b, [0.0; 3], [10.0, 0.0, 0.0], 1);
        assert!((d - 4.5).abs() < 1e-12, "{d}");
        // Along z with t = 2: 2 · (4 + 1) = 10 mm.
        let d = needed_distance(&a, &b, [0.0; 3], [0.0, 0.0, -7.0], 2);
        assert!((d - 10.0).abs() < 1e-12, "{d}");
    }
}
