//! The closed loop of a graded build: grade, verify what is built at every control point, and
//! refine the designs of the points that miss their tolerance, at most a few rounds.
//!
//! A point with a core is built as its design cell for cell, so the model a correction refines
//! against is the design's periodic cell; it is refined within the point's cell size and the
//! room its nearest neighbour leaves ([`rooms`]), and kept only if the design itself improves
//! (where a point has no core, the blend, not the design, is what misses).

use std::time::Instant;

use super::{
    ControlPoint, GradedLattice, GradingError, GradingOptions, Verification, VerifyOptions, grade,
    rooms, verify,
};
use crate::design_space::Design;
use crate::fem::Homogenizer;
use crate::inverse::{fe_errors, refine_where};
use crate::manufacturing::{Manufacturing, Printability, PrintableWithin};
use crate::mechanics::Stiffness;
use crate::network::Domain;

/// What the loop holds a control point to.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopTarget {
    /// The target stiffness (normalized by E).
    pub target: Stiffness,
    /// The largest relative Frobenius error accepted as built; `None`: the point is never
    /// corrected.
    pub tolerance: Option<f64>,
    /// The design was given in the spec, not found: never corrected.
    pub pinned: bool,
}

/// How the loop grades, verifies and corrects.
#[derive(Debug, Clone, Copy)]
pub struct ClosedLoop<'a> {
    /// The domain the graded network is trimmed to.
    pub domain: &'a Domain,
    /// The printing limits a corrected design must keep.
    pub limits: &'a Manufacturing,
    /// Grading options (`transition_cells` also sets the room of every point).
    pub grading: GradingOptions,
    /// Verification options (material, FE, segment samples).
    pub verify: VerifyOptions,
    /// FE evaluations one correction may spend (twice the inverse design's refinement budget
    /// in a build).
    pub evaluations: usize,
    /// Rounds of corrections at most (0: grade and verify once).
    pub max_rounds: usize,
}

/// The graded lattice after the loop, with its verification.
#[derive(Debug)]
pub struct LoopOutcome {
    /// The graded lattice of the last round.
    pub graded: GradedLattice,
    /// Its verification (against the targets).
    pub verification: Verification,
    /// Corrections per point.
    pub corrections: Vec<usize>,
    /// Rounds run (regradings after corrections).
    pub rounds: usize,
    /// Wall time spent grading, s.
    pub grading_seconds: f64,
    /// Wall time spent verifying, s.
    pub verify_seconds: f64,
}

impl ClosedLoop<'_> {
    /// Grades `points` (each with its cell size) and verifies them against `targets` (one per
    /// point); while a round changes a design and fewer than `max_rounds` ran, corrects the
    /// points that miss and grades again. The corrected designs are left in `points`;
    /// `on_round(n)` is called before the `n`-th regrading.
    pub fn run(
        &self,
        points: &mut [ControlPoint],
        targets: &[LoopTarget],
        on_round: &dyn Fn(usize),
    ) -> Result<LoopOutcome, GradingError> {
        assert_eq!(points.len(), targets.len(), "one target per control point");
        let stiffness: Vec<Stiffness> = targets.iter().map(|t| t.target.clone()).collect();
        let mut seconds = Seconds::default();
        let (mut graded, mut verification) =
            self.grade_and_verify(points, &stiffness, &mut seconds)?;
        let mut corrections = vec![0; points.len()];
        let mut rounds = 0;
        while rounds < self.max_rounds
            && self.correct(&verification, points, targets, &mut corrections)
        {
            rounds += 1;
            on_round(rounds);
            (graded, verification) = self.grade_and_verify(points, &stiffness, &mut seconds)?;
        }
        Ok(LoopOutcome {
            graded,
            verification,
            corrections,
            rounds,
            grading_seconds: seconds.grading,
            verify_seconds: seconds.verify,
        })
    }

    /// Grades `points` and verifies the result against `targets`, adding the times taken.
    fn grade_and_verify(
        &self,
        points: &[ControlPoint],
        targets: &[Stiffness],
        seconds: &mut Seconds,
    ) -> Result<(GradedLattice, Verification), GradingError> {
        let t = Instant::now();
        let graded = grade(points, largest_cell(points), self.domain, &self.grading)?;
        seconds.grading += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let verification = verify(&graded, points, Some(targets), &self.verify)?;
        seconds.verify += t.elapsed().as_secs_f64();
        Ok((graded, verification))
    }

    /// One round of corrections: every point that misses its tolerance as built gets its
    /// continuous design parameters refined against its design's periodic cell, printable at
    /// its cell size within its room. Returns whether any design changed.
    fn correct(
        &self,
        verification: &Verification,
        points: &mut [ControlPoint],
        targets: &[LoopTarget],
        corrections: &mut [usize],
    ) -> bool {
        let positions: Vec<[f64; 3]> = points.iter().map(|p| p.position).collect();
        let room = rooms(&positions, self.grading.transition_cells);
        let material = &self.verify.material;
        let mut fem = Homogenizer::new(self.verify.fem);
        let mut changed = false;
        for (i, (goal, check)) in targets.iter().zip(&verification.points).enumerate() {
            let (Some(tolerance), Some(error)) = (goal.tolerance, check.built_error()) else {
                continue;
            };
            if goal.pinned || error.rel_frobenius <= tolerance {
                continue;
            }
            let printable = PrintableWithin {
                largest: points[i].cell_size.unwrap_or(f64::INFINITY) * (1.0 + 1e-9),
                limits: self.limits,
                widest: room[i],
            };
            let accept = |d: &Design| printable.smallest_cell_size(d).is_some();
            let design = &points[i].design;
            let better = refine_where(
                design,
                &goal.target,
                material,
                &mut fem,
                self.evaluations,
                &accept,
            );
            let before = fe_errors(design, &goal.target, material, &mut fem)
                .map_or(f64::INFINITY, |(m, _)| m.rel_frobenius);
            let after = fe_errors(&better, &goal.target, material, &mut fem);
            if after.is_some_and(|(m, _)| m.rel_frobenius < before - 1e-4) {
                points[i].design = better;
                corrections[i] += 1;
                changed = true;
            }
        }
        changed
    }
}

/// Wall times spent so far, s.
#[derive(Debug, Default)]
struct Seconds {
    grading: f64,
    verify: f64,
}

/// The largest cell size of `points` (mm; `0` when none is given).
fn largest_cell(points: &[ControlPoint]) -> f64 {
    points
        .iter()
        .filter_map(|p| p.cell_size)
        .fold(0.0, f64::max)
}
