//! Local refinement of a design's continuous parameters against the FE model.
//!
//! The 13 parameters (ln ρ, ln U₁..₃, ln V₁..₃, and small rotation vectors applied to R_I and
//! R_II) live in a box (ρ and the stretches within their ranges; every step is projected onto
//! it, so a design at a bound can leave it — a logistic map would freeze it there), and the
//! squared relative Frobenius error of the FE stiffness — a sum of 21
//! squared residuals ([`frobenius_residuals`]) — is minimized by Levenberg–Marquardt with a
//! forward-difference Jacobian (13 FE solves, ~1 ms each). Least squares uses what a
//! derivative-free search throws away: near an exact answer it converges quadratically, which
//! is what recovering a design of the space to 1 % needs.

use nalgebra::{Matrix3, Rotation3, SMatrix, SVector, Vector3};

use crate::design_space::{AxisAngle, DENSITY_RANGE, Design, Material, RangePolicy, STRETCH_RANGE};
use crate::fem::Homogenizer;
use crate::mechanics::{ErrorMetrics, Stiffness, best_rotation, frobenius_residuals};

const DIM: usize = 13;

/// The box of the coordinates: ln ρ, ln U, ln V within their ranges; rotation vectors free.
fn bounds() -> ([f64; DIM], [f64; DIM]) {
    let mut lo = [f64::NEG_INFINITY; DIM];
    let mut hi = [f64::INFINITY; DIM];
    (lo[0], hi[0]) = (DENSITY_RANGE.0.ln(), DENSITY_RANGE.1.ln());
    for i in 1..7 {
        (lo[i], hi[i]) = (STRETCH_RANGE.0.ln(), STRETCH_RANGE.1.ln());
    }
    (lo, hi)
}

/// `x` projected onto the box.
fn project(x: [f64; DIM]) -> [f64; DIM] {
    let (lo, hi) = bounds();
    std::array::from_fn(|i| x[i].clamp(lo[i], hi[i]))
}

fn rotate(r: &AxisAngle, delta: [f64; 3]) -> AxisAngle {
    let base = r.matrix("R").expect("validated design");
    let d = Rotation3::from_scaled_axis(Vector3::from(delta)).into_inner();
    AxisAngle::from_matrix(&(d * base)).normalized()
}

/// The design at coordinates `x` (projected onto the box) relative to `start`'s rotations.
fn decode(x: &[f64; DIM], start: &Design) -> Design {
    let x = project(*x);
    Design {
        topology: start.topology,
        relative_density: x[0].exp(),
        u: [x[1].exp(), x[2].exp(), x[3].exp()],
        v: [x[4].exp(), x[5].exp(), x[6].exp()],
        r1: rotate(&start.r1, [x[7], x[8], x[9]]),
        r2: rotate(&start.r2, [x[10], x[11], x[12]]),
    }
    .clamped_to_ranges()
}

/// Coordinates of `d` (zero rotation vectors: rotations are relative to `d`).
fn encode(d: &Design) -> [f64; DIM] {
    let mut x = [0.0; DIM];
    x[0] = d.relative_density.ln();
    for i in 0..3 {
        x[1 + i] = d.u[i].ln();
        x[4 + i] = d.v[i].ln();
    }
    project(x)
}

/// The FE stiffness of `design`, or `None` if it cannot be realized or homogenized.
pub fn fe_stiffness(
    design: &Design,
    material: &Material,
    fem: &mut Homogenizer,
) -> Option<Stiffness> {
    let cell = design.cell(RangePolicy::Strict).ok()?;
    fem.homogenize(&cell, material).ok().map(|h| h.stiffness)
}

/// Both error measures of `design`'s FE stiffness against `target`, with the stiffness, or
/// `None` if it cannot be homogenized.
pub fn fe_errors(
    design: &Design,
    target: &Stiffness,
    material: &Material,
    fem: &mut Homogenizer,
) -> Option<(ErrorMetrics, Stiffness)> {
    let c = fe_stiffness(design, material, fem)?;
    Some((ErrorMetrics::between(target, &c), c))
}

/// Minimizes the FE relative Frobenius error over the continuous parameters of `start`
/// (topology fixed) with at most `evaluations` FE solves. Returns the best design found
/// (`start` itself if nothing better was found).
pub fn refine(
    start: &Design,
    target: &Stiffness,
    material: &Material,
    fem: &mut Homogenizer,
    evaluations: usize,
) -> Design {
    refine_where(start, target, material, fem, evaluations, &|_| true)
}

/// The relative Frobenius error below which refinement stops: far below any tolerance a
/// report uses, and above the FE model's round-off.
const CONVERGED: f64 = 1e-6;

/// Forward-difference step in the unconstrained coordinates.
const JACOBIAN_STEP: f64 = 1e-6;

/// Rounds of (orient, then Levenberg–Marquardt) at most.
const ROUNDS: usize = 3;

type Residuals = SVector<f64, 21>;

/// `design` turned by the rotation `q` as a whole (R_II ← Q·R_II): its stiffness is `Q ⋆ C`,
/// exactly, with the same strut set, density and stretches.
pub fn turned(design: &Design, q: &Matrix3<f64>) -> Design {
    let r2 = design.r2.matrix("R2").expect("validated design");
    Design {
        r2: AxisAngle::from_matrix(&(q * r2)).normalized(),
        ..design.clone()
    }
}

/// `design` turned by the rotation that best aligns its stiffness `c` with `target`
/// ([`best_rotation`]), with the aligned stiffness; no FE solve.
pub fn oriented(design: &Design, c: &Stiffness, target: &Stiffness) -> (Design, Stiffness) {
    let (q, _) = best_rotation(c, target);
    (turned(design, &q), c.rotated(&q))
}

/// The state of one refinement: FE solves spent, the best design, its stiffness and residuals.
struct Refinement<'a> {
    goal: [f64; 21],
    target: &'a Stiffness,
    material: &'a Material,
    accept: &'a (dyn Fn(&Design) -> bool + Sync),
    budget: usize,
    used: usize,
    design: Design,
    stiffness: Stiffness,
    residuals: Residuals,
}

impl Refinement<'_> {
    /// Whether a step to `d` is allowed: into an accepted design, or anywhere while the current
    /// design is not accepted yet (a start outside the printable set may walk into it).
    fn allows(&self, d: &Design) -> bool {
        (self.accept)(d) || !(self.accept)(&self.design)
    }

    fn cost(&self) -> f64 {
        self.residuals.norm_squared()
    }

    fn evaluate(&mut self, d: &Design, fem: &mut Homogenizer) -> Option<(Residuals, Stiffness)> {
        self.used += 1;
        let c = fe_stiffness(d, self.material, fem)?;
        let r = Residuals::from(frobenius_residuals(&self.goal, &c.to_constants()));
        Some((r, c))
    }

    /// Turns the design to the best orientation of its stiffness (free); whether that helped.
    fn orient(&mut self) -> bool {
        let (design, stiffness) = oriented(&self.design, &self.stiffness, self.target);
        let r = Residuals::from(frobenius_residuals(&self.goal, &stiffness.to_constants()));
        if r.norm_squared() < self.cost() * (1.0 - 1e-9) && self.allows(&design) {
            self.design = design;
            self.stiffness = stiffness;
            self.residuals = r;
            true
        } else {
            false
        }
    }

    /// Levenberg–Marquardt (Marquardt's diagonal scaling) until converged, stalled or out of
    /// budget.
    fn descend(&mut self, fem: &mut Homogenizer) {
        let mut damping = 1e-3;
        'outer: while self.cost() > CONVERGED * CONVERGED {
            // One Jacobian and at least one trial step must fit in the budget.
            if self.used + DIM + 1 > self.budget {
                break;
            }
            let x0 = encode(&self.design);
            let mut jacobian = SMatrix::<f64, 21, DIM>::zeros();
            let (_, upper) = bounds();
            for p in 0..DIM {
                let mut x = x0;
                // Step inwards at an upper bound (the projection would swallow the step).
                let h = if x[p] + JACOBIAN_STEP > upper[p] {
                    -JACOBIAN_STEP
                } else {
                    JACOBIAN_STEP
                };
                x[p] += h;
                let probe = decode(&x, &self.design);
                match self.evaluate(&probe, fem) {
                    Some((rp, _)) => jacobian.set_column(p, &((rp - self.residuals) / h)),
                    None => break 'outer,
                }
            }
            let normal = jacobian.transpose() * jacobian;
            let gradient = jacobian.transpose() * self.residuals;
            let floor = 1e-12 * normal.trace().max(f64::MIN_POSITIVE);
            let mut improved = false;
            while self.used < self.budget && damping < 1e12 {
                let mut a = normal;
                for i in 0..DIM {
                    a[(i, i)] += damping * (normal[(i, i)] + floor);
                }
                let Some(step) = a.cholesky().map(|c| c.solve(&(-gradient))) else {
                    damping *= 10.0;
                    continue;
                };
                let x = project(std::array::from_fn(|i| x0[i] + step[i]));
                let trial = decode(&x, &self.design);
                let result = if self.allows(&trial) {
                    self.evaluate(&trial, fem)
                } else {
                    None
                };
                match result {
                    Some((r, c)) if r.norm_squared() < self.cost() => {
                        improved = self.cost() - r.norm_squared() > 1e-10 * self.cost();
                        self.design = trial;
                        self.stiffness = c;
                        self.residuals = r;
                        damping = (damping / 3.0).max(1e-9);
                        break;
                    }
                    _ => damping *= 4.0,
                }
            }
            if !improved {
                break;
            }
        }
    }
}

/// As [`refine`], over the designs that `accept` (e.g. printable at the cell size): once the
/// design is accepted, a step to a rejected design counts as a failed step (the damping grows
/// and the step shrinks). A start that is not accepted moves freely until it is.
///
/// Each round first turns the design to the orientation that best aligns its stiffness with
/// the target (no FE solve: [`oriented`]), then runs Levenberg–Marquardt; a new round starts
/// while re-orienting still helps.
pub fn refine_where(
    start: &Design,
    target: &Stiffness,
    material: &Material,
    fem: &mut Homogenizer,
    evaluations: usize,
    accept: &(dyn Fn(&Design) -> bool + Sync),
) -> Design {
    let goal = target.to_constants();
    let Some(stiffness) = fe_stiffness(start, material, fem) else {
        return start.clone();
    };
    let mut state = Refinement {
        goal,
        target,
        material,
        accept,
        budget: evaluations,
        used: 1,
        design: start.clone(),
        residuals: Residuals::from(frobenius_residuals(&goal, &stiffness.to_constants())),
        stiffness,
    };
    for round in 0..ROUNDS {
        let turned = state.orient();
        if round > 0 && !turned {
            break;
        }
        state.descend(fem);
    }
    state.design
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        let d = Design {
            topology: crate::design_space::Topology::try_new(
                &[crate::design_space::LatticeChoice {
                    lattice: 1,
                    tessellation: 1,
                }; 3],
            )
            .unwrap(),
            relative_density: 0.05,
            u: [0.7, 1.3, 1.9],
            v: [1.6, 0.55, 1.1],
            r1: AxisAngle {
                axis: [0.2, -0.5, 0.84],
                angle_deg: 33.0,
            },
            r2: AxisAngle {
                axis: [-0.7, 0.1, 0.7],
                angle_deg: 71.0,
            },
        };
        let back = decode(&encode(&d), &d);
        assert!((back.affine().unwrap() - d.affine().unwrap()).amax() < 1e-9);
        assert!((back.relative_density - 0.05).abs() < 1e-12);
    }
}
