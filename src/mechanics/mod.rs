//! Stiffness-tensor mechanics shared by every stage.
//!
//! # Conventions
//! - **Voigt order** 11, 22, 33, 23, 13, 12 with **engineering** shear strains
//!   (γ₂₃ = 2ε₂₃ …), so a stiffness maps `ε_voigt ↦ σ_voigt` with `σ = C ε`.
//! - The **21 independent constants** are the upper triangle of the 6×6 Voigt matrix, row by
//!   row: C11 C12 C13 C14 C15 C16 C22 … C26 C33 … C66 ([`Stiffness::to_constants`]).
//! - Inside the engine a stiffness is **normalized** by the base material's Young's modulus
//!   E_b (dimensionless). Specs and reports use GPa; convert with
//!   [`Stiffness::from_gpa`] / [`Stiffness::to_gpa`] at those boundaries only.
//! - A rotation `R ∈ SO(3)` acts as `C'_pqrs = R_pi R_qj R_rk R_sl C_ijkl`; in Voigt form
//!   `C' = M C Mᵀ` with the 6×6 stress Bond matrix [`bond_matrix`].

mod bound;
mod error;
mod metrics;
mod orient;
mod parse;
mod rotation;
mod stiffness;

pub use bound::stretching_bound;
pub use error::MechanicsError;
pub use metrics::{
    ErrorMetrics, NMSE_ZERO_THRESHOLD, frobenius_residuals, frobenius_weights, nmse,
    relative_frobenius, tensor_norm,
};
pub use orient::{INVARIANTS, best_rotation, invariant_distance, rotation_invariants};
pub use parse::parse_stiffness_values;
pub use rotation::{axis_angle, bond_matrix, rotation_from_axis_angle_deg};
pub use stiffness::{
    DirectionalExtremes, POSITIVE_DEFINITE_TOLERANCE, SYMMETRY_TOLERANCE, Stiffness, voigt_index,
};

/// The 6×6 Voigt matrix type used throughout the engine.
pub type Voigt = nalgebra::Matrix6<f64>;

/// The six rows of a Voigt matrix, for files and reports (row `i` holds `C_i1 … C_i6`).
pub fn voigt_rows(m: &Voigt) -> [[f64; 6]; 6] {
    std::array::from_fn(|i| std::array::from_fn(|j| m[(i, j)]))
}
