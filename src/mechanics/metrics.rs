//! Error measures between a target and a predicted stiffness.

use serde::Serialize;

use super::{Stiffness, Voigt};

/// Entries of the target with `|C*_ij| < NMSE_ZERO_THRESHOLD · max_kl |C*_kl|` are skipped by
/// [`nmse`]: a relative error on an entry that is zero up to measurement noise means nothing.
pub const NMSE_ZERO_THRESHOLD: f64 = 1e-2;

/// The normalized mean squared error of Bastek et al. (PNAS 2022, Eq. 8):
/// `Σ_ij (C*_ij − C_ij)² / (C*_ij)²` over the 36 entries of the 6×6 Voigt matrices,
/// divided by the number of entries kept.
///
/// Entries whose target is near zero (see [`NMSE_ZERO_THRESHOLD`]) are skipped; every other
/// entry counts, so no candidate is ever scored on a subset of its components. Both matrices
/// must be in the same unit (normalized or GPa). Returns 0 for an all-zero target.
pub fn nmse(target: &Voigt, predicted: &Voigt) -> f64 {
    let scale = target.amax();
    let mut sum = 0.0;
    let mut count = 0usize;
    for (t, p) in target.iter().zip(predicted.iter()) {
        if t.abs() >= NMSE_ZERO_THRESHOLD * scale && t.abs() > 0.0 {
            sum += ((t - p) / t).powi(2);
            count += 1;
        }
    }
    if count == 0 { 0.0 } else { sum / count as f64 }
}

/// How often the Voigt entry `(i, j)` appears in the 4th-order tensor's Frobenius norm: ×2 for
/// each shear index (Voigt 4, 5, 6 stand for two tensor index pairs each).
fn tensor_multiplicity(i: usize, j: usize) -> f64 {
    (if i < 3 { 1.0 } else { 2.0 }) * if j < 3 { 1.0 } else { 2.0 }
}

/// Weights of the 21 constants (upper triangle, row by row) in the squared Frobenius norm of
/// the 4th-order tensor: `‖C‖² = Σ_k w_k c_k²` (an off-diagonal constant stands for two Voigt
/// entries; see [`relative_frobenius`]).
pub fn frobenius_weights() -> [f64; 21] {
    let mut w = [0.0; 21];
    let mut k = 0;
    for i in 0..6 {
        for j in i..6 {
            w[k] = tensor_multiplicity(i, j) * if i == j { 1.0 } else { 2.0 };
            k += 1;
        }
    }
    w
}

/// The Frobenius norm of the 4th-order tensor of a Voigt matrix (rotation invariant).
pub fn tensor_norm(m: &Voigt) -> f64 {
    tensor_norm_squared(m).sqrt()
}

/// The squared Frobenius norm of the 4th-order tensor of a Voigt matrix.
fn tensor_norm_squared(m: &Voigt) -> f64 {
    let mut s = 0.0;
    for i in 0..6 {
        for j in 0..6 {
            s += tensor_multiplicity(i, j) * m[(i, j)] * m[(i, j)];
        }
    }
    s
}

/// The relative Frobenius error `‖C* − C‖ / ‖C*‖` of the 4th-order tensors: the engine's
/// objective for ranking, polishing, refinement and the graded design choice.
///
/// Voigt entries are weighted by how often they appear in the tensor (×2 for each shear index),
/// so the measure is invariant under rotation, and every one of the 21 constants counts in
/// proportion to the stiffness it carries: a spurious coupling of the size of a principal
/// constant costs as much as an error of that size on the principal constant. (Eq. 8 skips
/// couplings the target does not have, so a design that adds them can score as exact there.)
/// Returns `‖C‖` for an all-zero target.
pub fn relative_frobenius(target: &Voigt, predicted: &Voigt) -> f64 {
    let denom = tensor_norm_squared(target);
    if denom == 0.0 {
        tensor_norm_squared(predicted).sqrt()
    } else {
        (tensor_norm_squared(&(target - predicted)) / denom).sqrt()
    }
}

/// The residual vector of [`relative_frobenius`] on the 21 constants:
/// `r_k = √w_k (c_k − c*_k) / ‖C*‖`, so `‖r‖₂ = relative_frobenius(C*, C)` (for a non-zero
/// target). Least-squares refinement minimizes `‖r‖²`.
pub fn frobenius_residuals(target: &[f64; 21], predicted: &[f64; 21]) -> [f64; 21] {
    let w = frobenius_weights();
    let norm = target
        .iter()
        .zip(&w)
        .map(|(t, w)| w * t * t)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    std::array::from_fn(|k| w[k].sqrt() * (predicted[k] - target[k]) / norm)
}

/// Both error measures of a prediction against a target, as reports print them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorMetrics {
    /// [`nmse`] of the prediction.
    pub nmse: f64,
    /// [`relative_frobenius`] of the prediction.
    pub rel_frobenius: f64,
}

impl ErrorMetrics {
    /// Compares `predicted` with `target`.
    pub fn between(target: &Stiffness, predicted: &Stiffness) -> Self {
        Self::of_voigt(target.voigt(), predicted.voigt())
    }

    /// Compares Voigt matrices (both in the same unit).
    pub fn of_voigt(target: &Voigt, predicted: &Voigt) -> Self {
        Self {
            nmse: nmse(target, predicted),
            rel_frobenius: relative_frobenius(target, predicted),
        }
    }
}
