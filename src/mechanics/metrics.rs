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

/// The relative Frobenius error `‖C* − C‖ / ‖C*‖` of the 4th-order tensors.
///
/// Voigt entries are weighted by how often they appear in the tensor (×2 for each shear index),
/// so the measure is invariant under rotation.
pub fn relative_frobenius(target: &Voigt, predicted: &Voigt) -> f64 {
    let norm = |m: &Voigt| -> f64 {
        let mut s = 0.0;
        for i in 0..6 {
            for j in 0..6 {
                let w = if i < 3 { 1.0 } else { 2.0 } * if j < 3 { 1.0 } else { 2.0 };
                s += w * m[(i, j)] * m[(i, j)];
            }
        }
        s.sqrt()
    };
    let denom = norm(target);
    if denom == 0.0 {
        norm(predicted)
    } else {
        norm(&(target - predicted)) / denom
    }
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
        Self {
            nmse: nmse(target.voigt(), predicted.voigt()),
            rel_frobenius: relative_frobenius(target.voigt(), predicted.voigt()),
        }
    }
}
