//! Rotations of stiffness tensors.

use nalgebra::{Matrix3, Rotation3, Unit, Vector3};

use super::{MechanicsError, Voigt};

/// Voigt index pairs (0-based tensor indices) in the order 11, 22, 33, 23, 13, 12.
pub(crate) const VOIGT_PAIRS: [(usize, usize); 6] =
    [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)];

/// The 6×6 stress Bond matrix `M(R)` with `σ'_voigt = M σ_voigt` for `σ' = R σ Rᵀ`.
///
/// With engineering shear strains, a stiffness transforms as `C' = M C Mᵀ`
/// (Auld, *Acoustic Fields and Waves in Solids*, 1973). Entry `(I, J)` with `I = (i, j)` and
/// `J = (k, l)` is `R_ik R_jl + R_il R_jk` for `k ≠ l` and `R_ik R_jl` for `k = l`.
///
/// # Panics
/// Never; `r` need not be orthogonal (the formula is then the push-forward of a symmetric
/// tensor), but it only means a rotation when it is.
pub fn bond_matrix(r: &Matrix3<f64>) -> Voigt {
    let mut m = Voigt::zeros();
    for (big_i, &(i, j)) in VOIGT_PAIRS.iter().enumerate() {
        for (big_j, &(k, l)) in VOIGT_PAIRS.iter().enumerate() {
            m[(big_i, big_j)] = if k == l {
                r[(i, k)] * r[(j, l)]
            } else {
                r[(i, k)] * r[(j, l)] + r[(i, l)] * r[(j, k)]
            };
        }
    }
    m
}

/// The rotation by `angle` (radians) about `axis` (any non-zero length; normalized here).
///
/// # Errors
/// [`MechanicsError::ZeroDirection`] when the axis is zero or not finite.
pub fn axis_angle(axis: [f64; 3], angle: f64) -> Result<Rotation3<f64>, MechanicsError> {
    let v = Vector3::from(axis);
    let norm = v.norm();
    if !(norm.is_finite() && norm > 0.0) {
        return Err(MechanicsError::ZeroDirection(axis[0], axis[1], axis[2]));
    }
    Ok(Rotation3::from_axis_angle(
        &Unit::new_unchecked(v / norm),
        angle,
    ))
}

/// [`axis_angle`] with the angle in degrees, as specs and design files give it.
///
/// # Errors
/// As [`axis_angle`].
pub fn rotation_from_axis_angle_deg(
    axis: [f64; 3],
    angle_deg: f64,
) -> Result<Rotation3<f64>, MechanicsError> {
    axis_angle(axis, angle_deg.to_radians())
}
