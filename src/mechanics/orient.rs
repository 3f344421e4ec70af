//! The rotation that best aligns one stiffness tensor with another.
//!
//! A cell's stiffness turns with the cell: rotating a design's outer rotation R_II by `Q`
//! rotates its stiffness to `Q ⋆ C` exactly, with no new FE solve. So the orientation part of
//! inverse design is a cheap problem of its own — minimize `‖Q ⋆ C − C*‖ / ‖C*‖` over SO(3) —
//! and its many local minima (a cubic lattice looks alike along 24 orientations, an
//! orthotropic one along 4, and every near-symmetry adds shallow wells) are found by brute
//! force: Gauss–Newton on the rotation vector from a fixed, deterministic spread of starts.

use std::f64::consts::SQRT_2;
use std::sync::OnceLock;

use nalgebra::{Matrix3, Rotation3, SMatrix, SVector, SymmetricEigen, UnitQuaternion, Vector3};

use super::{Stiffness, Voigt, frobenius_residuals, voigt_index};

/// Starting orientations: the identity and a low-discrepancy spread over SO(3) (Shoemake's map
/// of a 3D Halton sequence), so the best basin is found whatever the two tensors' frames.
const STARTS: usize = 96;

fn halton(mut i: usize, base: usize) -> f64 {
    let (mut f, mut r) = (1.0, 0.0);
    while i > 0 {
        f /= base as f64;
        r += f * (i % base) as f64;
        i /= base;
    }
    r
}

fn starts() -> &'static [Matrix3<f64>] {
    static STARTS_CACHE: OnceLock<Vec<Matrix3<f64>>> = OnceLock::new();
    STARTS_CACHE.get_or_init(|| {
        let tau = std::f64::consts::TAU;
        let mut out = vec![Matrix3::identity()];
        for i in 1..STARTS {
            let (u1, u2, u3) = (halton(i, 2), halton(i, 3), halton(i, 5));
            let q = nalgebra::Quaternion::new(
                u1.sqrt() * (tau * u3).cos(),
                (1.0 - u1).sqrt() * (tau * u2).sin(),
                (1.0 - u1).sqrt() * (tau * u2).cos(),
                u1.sqrt() * (tau * u3).sin(),
            );
            out.push(
                UnitQuaternion::from_quaternion(q)
                    .to_rotation_matrix()
                    .into_inner(),
            );
        }
        out
    })
}

fn residuals(c: &Stiffness, q: &Matrix3<f64>, goal: &[f64; 21]) -> SVector<f64, 21> {
    SVector::from(frobenius_residuals(goal, &c.rotated(q).to_constants()))
}

/// Gauss–Newton (Levenberg-damped) on the rotation vector `ω` of `Q = exp(ω) Q₀`.
fn descend(c: &Stiffness, goal: &[f64; 21], q0: Matrix3<f64>) -> (Matrix3<f64>, f64) {
    const STEP: f64 = 1e-7;
    let mut q = q0;
    let mut r = residuals(c, &q, goal);
    let mut cost = r.norm_squared();
    let mut damping = 1e-4;
    for _ in 0..50 {
        let mut jacobian = SMatrix::<f64, 21, 3>::zeros();
        for p in 0..3 {
            let mut w = Vector3::zeros();
            w[p] = STEP;
            let qp = Rotation3::from_scaled_axis(w).into_inner() * q;
            jacobian.set_column(p, &((residuals(c, &qp, goal) - r) / STEP));
        }
        let normal = jacobian.transpose() * jacobian;
        let gradient = jacobian.transpose() * r;
        let mut improved = false;
        while damping < 1e8 {
            let a = normal + Matrix3::identity() * (damping * normal.trace().max(1e-30));
            let Some(step) = a.cholesky().map(|ch| ch.solve(&(-gradient))) else {
                damping *= 10.0;
                continue;
            };
            let trial = Rotation3::from_scaled_axis(step).into_inner() * q;
            let tr = residuals(c, &trial, goal);
            if tr.norm_squared() < cost {
                improved = cost - tr.norm_squared() > 1e-14 * cost;
                q = trial;
                r = tr;
                cost = r.norm_squared();
                damping = (damping / 3.0).max(1e-12);
                break;
            }
            damping *= 4.0;
        }
        if !improved {
            break;
        }
    }
    (q, cost.sqrt())
}

/// The rotation `Q` minimizing the relative Frobenius error `‖Q ⋆ c − target‖ / ‖target‖`
/// (4th-order tensors), with that error. Deterministic: the same inputs give the same `Q`.
/// Identity is returned when no rotation beats it.
pub fn best_rotation(c: &Stiffness, target: &Stiffness) -> (Matrix3<f64>, f64) {
    let goal = target.to_constants();
    let mut best = (
        Matrix3::identity(),
        residuals(c, &Matrix3::identity(), &goal).norm(),
    );
    for q0 in starts() {
        let (q, e) = descend(c, &goal, *q0);
        if e < best.1 - 1e-15 {
            best = (q, e);
        }
    }
    // Re-orthonormalize (products of many small rotations drift by round-off).
    let q = Rotation3::from_matrix(&best.0).into_inner();
    (q, best.1)
}

/// Number of [`rotation_invariants`].
pub const INVARIANTS: usize = 12;

/// Twelve rotation invariants of a stiffness (Voigt, any unit): the six eigenvalues of its
/// Kelvin–Mandel matrix, then the three eigenvalues of the dilatational tensor `C_ijkk` and the
/// three of the Voigt tensor `C_ikjk`, each divided by 3, every group ascending.
///
/// The Kelvin matrix has the Frobenius norm of the 4th-order tensor, so by the
/// Hoffman–Wielandt inequality the distance of the first six is a lower bound on
/// `min_Q ‖Q ⋆ C − C*‖` — what orienting a design could achieve at best. The other six tell
/// apart tensors with equal eigenvalues and different eigenvectors.
pub fn rotation_invariants(c: &Voigt) -> [f64; INVARIANTS] {
    let w = [1.0, 1.0, 1.0, SQRT_2, SQRT_2, SQRT_2];
    let kelvin = Voigt::from_fn(|i, j| 0.5 * (c[(i, j)] + c[(j, i)]) * w[i] * w[j]);
    let mut out = [0.0; INVARIANTS];
    let mut k: Vec<f64> = SymmetricEigen::new(kelvin)
        .eigenvalues
        .iter()
        .copied()
        .collect();
    k.sort_by(f64::total_cmp);
    out[..6].copy_from_slice(&k);
    let entry = |i: usize, j: usize, k: usize, l: usize| c[(voigt_index(i, j), voigt_index(k, l))];
    let dilatational = Matrix3::from_fn(|i, j| (0..3).map(|k| entry(i, j, k, k)).sum::<f64>());
    let voigt = Matrix3::from_fn(|i, j| (0..3).map(|k| entry(i, k, j, k)).sum::<f64>());
    for (slot, m) in [(6, dilatational), (9, voigt)] {
        let sym = 0.5 * (m + m.transpose());
        let mut e: Vec<f64> = SymmetricEigen::new(sym)
            .eigenvalues
            .iter()
            .copied()
            .collect();
        e.sort_by(f64::total_cmp);
        for (n, v) in e.iter().enumerate() {
            out[slot + n] = v / 3.0;
        }
    }
    out
}

/// The distance of two sets of [`rotation_invariants`] relative to `scale` (e.g. the target's
/// Frobenius norm): 0 for two orientations of one tensor.
pub fn invariant_distance(a: &[f64; INVARIANTS], b: &[f64; INVARIANTS], scale: f64) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    d.sqrt() / scale.max(f64::MIN_POSITIVE)
}
