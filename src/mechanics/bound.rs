//! The stretching (Voigt) upper bound of a truss.

use nalgebra::Vector3;

use super::Voigt;

/// The stretching (Voigt) upper bound of a truss, normalized by the strut material's E.
///
/// `C_bound = (1/V) Σ_b A_b L_b (n_b⊗n_b⊗n_b⊗n_b)`, the stiffness the cell would have if every
/// strut deformed affinely and carried axial force only. In Voigt form (engineering shear),
/// entry `(I, J)` is `(1/V) Σ_b A_b L_b a_I a_J` with `a = (n₁², n₂², n₃², n₂n₃, n₁n₃, n₁n₂)`.
///
/// `struts` yields `(area, strut vector)` pairs: the cross-section area `A_b` (mm²) and the
/// vector from one end to the other (mm, length `L_b`); `cell_volume` is in mm³. The result is
/// dimensionless (normalized by E). Every homogenized truss stiffness `C` satisfies
/// `C_bound − C ⪰ 0`.
///
/// # Panics
/// If `cell_volume` is not positive.
#[track_caller]
pub fn stretching_bound(
    struts: impl IntoIterator<Item = (f64, Vector3<f64>)>,
    cell_volume: f64,
) -> Voigt {
    assert!(
        cell_volume > 0.0,
        "cell volume must be positive, got {cell_volume}"
    );
    let mut c = Voigt::zeros();
    for (area, v) in struts {
        let length = v.norm();
        if length == 0.0 {
            continue;
        }
        let a = super::stiffness::direction_voigt(&(v / length));
        c += (area * length) * a * a.transpose();
    }
    c / cell_volume
}
