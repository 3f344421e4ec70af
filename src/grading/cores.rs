//! Cores: every control point keeps its own design, unblended, in a block of cells around it.
//!
//! Point `i`'s core is the block of `(2k_i + 1)³` scaffold cells centred on the cell whose
//! centre is the control point: in mm, the parallelepiped `p_i + A_i [−κ_i, κ_i]³` with
//! `κ_i = k_i + ½` (`A_i` the aligned primitive cell, columns in mm). Inside it the blend
//! weight of point `i` is exactly 1 ([`super::DesignField::with_cores`]) and the scaffold
//! corners are pinned to the exact lattice `p_i + A_i (m − n_i − ½)` (corner index `m`, core cell
//! `n_i`), so every core cell is the point's periodic cell, strut for strut. Transitions happen
//! only between cores.
//!
//! The requested `k` (`grading.core_cells`) is clipped where cores would meet: two cores need
//! at least `transition_cells` free cell layers between their blocks along some index axis.
//! The clipping is done twice: first in mm along the segment between the points (a ray leaves
//! `p_i + A_i[−κ, κ]³` after `κ / ‖A_i⁻¹ e‖_∞` mm), then exactly in index space once the
//! scaffold has located the points. Where even `k = 0` leaves no room, the point whose cell is
//! the larger along the segment loses its core (it is blended as without a core, and its cell
//! only approximates its design), the other keeps a one-cell core if its cell and the
//! transition fit beside that point-like blend (else it loses its core too), and a
//! [`GradingNote::PointsTooClose`] note gives the distance that would be needed.

use std::collections::BTreeMap;

use nalgebra::{Matrix3, Point3, Vector3};
use serde::Serialize;

use super::GradingNote;

/// One control point's core as built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Core {
    /// The control point's id.
    pub id: String,
    /// The scaffold cell whose centre is the control point.
    pub cell: [i64; 3],
    /// Cells kept unblended on every side of it (`k`: the core is `(2k+1)³` cells); `None`
    /// when the point is too close to another for a core.
    pub half_cells: Option<usize>,
    /// What `grading.core_cells` asked for (more than `half_cells` where it was clipped).
    pub requested: usize,
}

/// The extent (mm) of one cell `A[−½, ½]³` along the unit vector `e`: `1 / ‖A⁻¹ e‖_∞` (a ray
/// from the centre of a block of half-width `κ` cells leaves it after `κ` times this).
fn reach(inverse: &Matrix3<f64>, e: &Vector3<f64>) -> f64 {
    1.0 / (inverse * e).amax()
}

/// The needed centre distance (mm) of two cores of half-widths `ki`, `kj` with `transition`
/// free layers between them, along the unit vector `e` (cells `ai`, `aj` inverted).
fn needed(
    ai: &Matrix3<f64>,
    aj: &Matrix3<f64>,
    e: &Vector3<f64>,
    ki: usize,
    kj: usize,
    t: usize,
) -> f64 {
    let (ri, rj) = (reach(ai, e), reach(aj, e));
    (ki as f64 + 0.5) * ri + (kj as f64 + 0.5) * rj + t as f64 * 0.5 * (ri + rj)
}

/// The half-widths `k_i ≤ requested` that leave `transition` cell layers between every pair of
/// cores along the segment joining them (first, mm-space clipping). Of two points that leave
/// no room even for `k = 0`, the larger cell along the segment loses its core (`None`), the
/// other too unless its cell and the transition fit beside the first as a point; a
/// [`GradingNote::PointsTooClose`] note says what distance would be needed.
pub(crate) fn clip_in_space(
    ids: &[String],
    positions: &[[f64; 3]],
    lattices: &[Matrix3<f64>],
    requested: usize,
    transition: usize,
    notes: &mut Vec<GradingNote>,
) -> Vec<Option<usize>> {
    let n = positions.len();
    let inverse: Vec<Matrix3<f64>> = lattices
        .iter()
        .map(|a| a.try_inverse().unwrap_or_else(Matrix3::zeros))
        .collect();
    let mut half = vec![requested; n];
    let mut lost = vec![false; n];
    for i in 0..n {
        for j in i + 1..n {
            let d = Point3::from(positions[j]) - Point3::from(positions[i]);
            let dist = d.norm();
            let e = d / dist;
            let (ri, rj) = (reach(&inverse[i], &e), reach(&inverse[j], &e));
            // A point that lost its core is point-like: only the transition's share of it counts.
            let core = |k: usize, r: f64, lost: bool| if lost { 0.0 } else { (k as f64 + 0.5) * r };
            let between = transition as f64 * 0.5 * (ri + rj);
            let fits = |ki, kj, li, lj| core(ki, ri, li) + core(kj, rj, lj) + between <= dist;
            while !fits(half[i], half[j], lost[i], lost[j]) && (half[i] > 0 || half[j] > 0) {
                if half[i] >= half[j] {
                    half[i] -= 1;
                }
                if half[j] > half[i] {
                    half[j] -= 1;
                }
            }
            if !fits(half[i], half[j], lost[i], lost[j]) {
                notes.push(too_close(ids, positions, lattices, i, j, transition));
                // The larger cell along the segment loses its core; the other keeps its own
                // where it fits beside a point-like blend.
                // Half a cell more for moving the point to its cell centre.
                let (big, small) = if ri >= rj { (i, j) } else { (j, i) };
                lost[big] = true;
                let slack = 0.5 * ri.min(rj);
                if !(fits(half[i], half[j], lost[i], lost[j])
                    && between + slack <= dist - core(half[small], ri.min(rj), false))
                {
                    lost[small] = true;
                }
            }
        }
    }
    half.into_iter()
        .zip(lost)
        .map(|(k, lost)| (!lost).then_some(k))
        .collect()
}

fn too_close(
    ids: &[String],
    positions: &[[f64; 3]],
    lattices: &[Matrix3<f64>],
    i: usize,
    j: usize,
    transition: usize,
) -> GradingNote {
    let d = Point3::from(positions[j]) - Point3::from(positions[i]);
    let inv = |a: &Matrix3<f64>| a.try_inverse().unwrap_or_else(Matrix3::zeros);
    let e = d / d.norm();
    // One more cell than the ideal: the points are moved to cell centres on the way.
    GradingNote::PointsTooClose {
        a: ids[i].clone(),
        b: ids[j].clone(),
        distance: d.norm(),
        needed: needed(
            &inv(&lattices[i]),
            &inv(&lattices[j]),
            &e,
            0,
            0,
            transition + 1,
        ),
        transition_cells: transition,
    }
}

/// Free cell layers between the core blocks of cells `ni ± ki` and `nj ± kj` (the largest over
/// the three index axes; negative when the blocks overlap in every axis).
pub(crate) fn index_gap(ni: [i64; 3], ki: usize, nj: [i64; 3], kj: usize) -> i64 {
    (0..3)
        .map(|d| (ni[d] - nj[d]).abs() - ki as i64 - kj as i64 - 1)
        .max()
        .expect("three axes")
}

/// Shrinks the half-widths until every pair of cores (cells `cells`) has `transition` free
/// layers between them in index space; two cores of `k = 0` that still touch are removed with
/// a [`GradingNote::PointsTooClose`] note. Returns whether anything changed.
pub(crate) fn clip_in_index_space(
    ids: &[String],
    positions: &[[f64; 3]],
    lattices: &[Matrix3<f64>],
    cells: &[[i64; 3]],
    half: &mut [Option<usize>],
    transition: usize,
    notes: &mut Vec<GradingNote>,
) -> bool {
    let mut changed = false;
    for i in 0..cells.len() {
        for j in i + 1..cells.len() {
            while let (Some(ki), Some(kj)) = (half[i], half[j]) {
                if index_gap(cells[i], ki, cells[j], kj) >= transition as i64 {
                    break;
                }
                changed = true;
                if ki == 0 && kj == 0 {
                    notes.push(too_close(ids, positions, lattices, i, j, transition));
                    (half[i], half[j]) = (None, None);
                } else if ki >= kj {
                    half[i] = Some(ki - 1);
                } else {
                    half[j] = Some(kj - 1);
                }
            }
        }
    }
    changed
}

/// Shrinks the cores of the points named in `near` that are larger than one cell by one cell.
/// Returns whether anything changed.
pub(crate) fn shrink_named_to_one_cell(
    ids: &[String],
    near: &[String],
    half: &mut [Option<usize>],
) -> bool {
    let mut changed = false;
    for (i, id) in ids.iter().enumerate() {
        if let Some(k) = half[i].filter(|&k| k > 0 && near.contains(id)) {
            half[i] = Some(k - 1);
            changed = true;
        }
    }
    changed
}

/// Removes the core of one point named in `near` (with a note): of those that still have one,
/// the point with the largest cell (`|det A|`, the lowest index on ties), whose cell the
/// transition to its neighbours has to change most. The others keep theirs, so a fold between
/// two cores costs one of them, not both. Returns whether a core was removed.
pub(crate) fn drop_largest_named(
    ids: &[String],
    near: &[String],
    lattices: &[Matrix3<f64>],
    half: &mut [Option<usize>],
    notes: &mut Vec<GradingNote>,
) -> bool {
    let largest = (0..ids.len())
        .filter(|&i| half[i].is_some() && near.contains(&ids[i]))
        .max_by(|&i, &j| {
            let (vi, vj) = (
                lattices[i].determinant().abs(),
                lattices[j].determinant().abs(),
            );
            vi.total_cmp(&vj).then(j.cmp(&i))
        });
    let Some(i) = largest else {
        return false;
    };
    half[i] = None;
    notes.push(GradingNote::CoreRemoved { id: ids[i].clone() });
    true
}

/// The pinned scaffold corners of the cores: corner index `m` of core `i` (cell `n_i`,
/// half-width `k_i`) at `p_i + A_i (m − n_i − ½)`, mm.
pub(crate) fn pins(
    positions: &[[f64; 3]],
    lattices: &[Matrix3<f64>],
    cells: &[[i64; 3]],
    half: &[Option<usize>],
) -> BTreeMap<[i64; 3], Point3<f64>> {
    let mut out = BTreeMap::new();
    for i in 0..positions.len() {
        let Some(k) = half[i] else { continue };
        let k = k as i64;
        let n = cells[i];
        for a in -k..=k + 1 {
            for b in -k..=k + 1 {
                for c in -k..=k + 1 {
                    let m = [n[0] + a, n[1] + b, n[2] + c];
                    let u = Vector3::new(a as f64 - 0.5, b as f64 - 0.5, c as f64 - 0.5);
                    out.insert(m, Point3::from(positions[i]) + lattices[i] * u);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("p{i}")).collect()
    }

    #[test]
    fn cores_are_clipped_where_they_would_meet() {
        let h = 2.0;
        let lattices = vec![Matrix3::identity() * h; 2];
        // 10 cells apart along x: k = 1 fits (3 + 3 cells and a transition).
        let mut notes = Vec::new();
        let far = clip_in_space(
            &ids(2),
            &[[0.0; 3], [20.0, 0.0, 0.0]],
            &lattices,
            1,
            1,
            &mut notes,
        );
        assert_eq!(far, vec![Some(1), Some(1)]);
        // 4 cells apart: 1.5 + 1.5 + 1 = 4 cells fits exactly with k = 1.
        let four = clip_in_space(
            &ids(2),
            &[[0.0; 3], [8.0, 0.0, 0.0]],
            &lattices,
            1,
            1,
            &mut notes,
        );
        assert_eq!(four, vec![Some(1), Some(1)]);
        // 3 cells apart: clipped to the points' own cells.
        let near = clip_in_space(
            &ids(2),
            &[[0.0; 3], [6.0, 0.0, 0.0]],
            &lattices,
            1,
            1,
            &mut notes,
        );
        assert_eq!(near, vec![Some(0), Some(0)]);
        assert!(notes.is_empty());
        // 1.5 cells apart: no room, no cores; the note names both points and the needed
        // distance.
        let none = clip_in_space(
            &ids(2),
            &[[0.0; 3], [3.0, 0.0, 0.0]],
            &lattices,
            1,
            1,
            &mut notes,
        );
        assert_eq!(none, vec![None, None]);
        assert_eq!(notes.len(), 1);
        match notes.pop().unwrap() {
            GradingNote::PointsTooClose {
                needed, distance, ..
            } => {
                assert_eq!(distance, 3.0);
                assert!((needed - 6.0).abs() < 1e-12, "{needed}");
            }
            e => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn of_two_points_too_close_the_larger_cell_loses_its_core() {
        // Cells of 4 mm and 1 mm, 4 mm apart: both cells and the transition need
        // 2 + 0.5 + 2.5 = 5 mm; the small cell beside a point-like blend needs
        // 0.5 + 0.5 (moving to its cell centre) + 2.5 = 3.5 mm.
        let lattices = vec![Matrix3::identity() * 4.0, Matrix3::identity()];
        let mut notes = Vec::new();
        let half = clip_in_space(
            &ids(2),
            &[[0.0; 3], [4.0, 0.0, 0.0]],
            &lattices,
            1,
            1,
            &mut notes,
        );
        assert_eq!(half, vec![None, Some(0)]);
        assert_eq!(notes.len(), 1);
        // 3 mm apart the small one has no room either.
        let half = clip_in_space(
            &ids(2),
            &[[0.0; 3], [3.0, 0.0, 0.0]],
            &lattices,
            1,
            1,
            &mut notes,
        );
        assert_eq!(half, vec![None, None]);
    }

    #[test]
    fn a_fold_costs_the_core_of_the_largest_named_cell_only() {
        // Three points; a fold names p0 and p1: of those, p1 has the larger cell and loses its
        // core; p0 and the unnamed p2 (larger still) keep theirs.
        let lattices = vec![
            Matrix3::identity() * 2.0,
            Matrix3::from_diagonal(&nalgebra::Vector3::new(3.0, 2.0, 2.5)),
            Matrix3::identity() * 5.0,
        ];
        let mut half = vec![Some(0), Some(0), Some(1)];
        let mut notes = Vec::new();
        let near = vec!["p0".to_string(), "p1".to_string()];
        let drop = |half: &mut Vec<Option<usize>>, notes: &mut Vec<GradingNote>| {
            drop_largest_named(&ids(3), &near, &lattices, half, notes)
        };
        assert!(drop(&mut half, &mut notes));
        assert_eq!(half, vec![Some(0), None, Some(1)]);
        assert!(matches!(&notes[..], [GradingNote::CoreRemoved { id }] if id == "p1"));
        // Then p0; then nothing named is left to drop.
        assert!(drop(&mut half, &mut notes));
        assert_eq!(half, vec![None, None, Some(1)]);
        assert!(!drop(&mut half, &mut notes));
        assert_eq!(notes.len(), 2);
    }

    #[test]
    fn index_gaps_count_free_layers() {
        assert_eq!(index_gap([0; 3], 0, [2, 0, 0], 0), 1);
        assert_eq!(index_gap([0; 3], 1, [4, 0, 0], 1), 1);
        assert_eq!(index_gap([0; 3], 1, [3, 0, 0], 1), 0);
        // The best axis counts.
        assert_eq!(index_gap([0; 3], 0, [1, 5, 0], 0), 4);
        let mut half = vec![Some(1), Some(1)];
        let lattices = vec![Matrix3::identity(); 2];
        let mut notes = Vec::new();
        let positions = [[0.0; 3], [3.0, 0.0, 0.0]];
        let cells = [[0; 3], [3, 0, 0]];
        assert!(clip_in_index_space(
            &ids(2),
            &positions,
            &lattices,
            &cells,
            &mut half,
            1,
            &mut notes
        ));
        let (k0, k1) = (half[0].unwrap(), half[1].unwrap());
        assert!(index_gap([0; 3], k0, [3, 0, 0], k1) >= 1, "{half:?}");
        assert!(notes.is_empty());
        // Neighbouring cells: no core for either, and a note.
        let cells = [[0; 3], [1, 0, 0]];
        let mut half = vec![Some(1), Some(0)];
        clip_in_index_space(
            &ids(2),
            &positions,
            &lattices,
            &cells,
            &mut half,
            1,
            &mut notes,
        );
        assert_eq!(half, vec![None, None]);
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn pins_put_the_point_at_its_cell_centre() {
        let a = Matrix3::new(2.0, 0.3, 0.0, 0.0, 1.5, 0.2, 0.1, 0.0, 3.0);
        let p = [1.0, 2.0, 3.0];
        let pins = pins(&[p], &[a], &[[4, -1, 2]], &[Some(1)]);
        assert_eq!(pins.len(), 64);
        let lo = pins[&[4, -1, 2]];
        let hi = pins[&[5, 0, 3]];
        let centre = Point3::from((lo.coords + hi.coords) * 0.5);
        assert!((centre - Point3::from(p)).norm() < 1e-14);
        assert!(((pins[&[5, -1, 2]] - lo) - a.column(0)).norm() < 1e-14);
    }
}
