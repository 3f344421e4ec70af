//! Whether a target stiffness can be reached by the design space at all.

use serde::Serialize;

use crate::design_space::DENSITY_RANGE;
use crate::mechanics::Stiffness;

/// The largest Kelvin eigenvalue a truss of relative density ρ can have, as a multiple of ρ·E:
/// the stretching bound gives at most ρ (every strut aligned with one direction), and rigid
/// joints add bending stiffness of order ρ², a few percent at ρ = 0.1.
pub const STIFFEST_PER_DENSITY: f64 = 1.05;

/// The softest largest-eigenvalue the design space reaches at its lowest density, normalized:
/// about `ρ_min / 100` (bending-dominated cells at ρ = 0.002; the smallest C11 of a 10,000-row
/// sample of the design space is 2.5e-5).
pub const SOFTEST_MAX_EIGENVALUE: f64 = 2e-5;

/// Where a target lies relative to the reachable range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// Inside the range.
    Reachable,
    /// Stiffer than any design at ρ ≤ 0.1 with this base material.
    TooStiff,
    /// Softer than any design at ρ ≥ 0.002.
    TooSoft,
}

/// Classifies a normalized target by its largest Kelvin eigenvalue.
pub fn reach(target: &Stiffness) -> Reach {
    let largest = target.eigenvalues()[5];
    if largest > STIFFEST_PER_DENSITY * DENSITY_RANGE.1 {
        Reach::TooStiff
    } else if largest < SOFTEST_MAX_EIGENVALUE {
        Reach::TooSoft
    } else {
        Reach::Reachable
    }
}

/// A one-line explanation of an unreachable target, with the figures.
pub fn reach_message(target: &Stiffness, youngs_modulus_gpa: f64) -> Option<String> {
    let largest = target.eigenvalues()[5];
    match reach(target) {
        Reach::Reachable => None,
        Reach::TooStiff => Some(format!(
            "target is too stiff: its largest eigenvalue {:.4} GPa exceeds what a truss of relative density <= {} \
             reaches with E = {youngs_modulus_gpa} GPa (about {:.4} GPa); use a stiffer base material or a denser design space",
            largest * youngs_modulus_gpa,
            DENSITY_RANGE.1,
            STIFFEST_PER_DENSITY * DENSITY_RANGE.1 * youngs_modulus_gpa
        )),
        Reach::TooSoft => Some(format!(
            "target is too soft: its largest eigenvalue {:.3e} GPa is below the softest designs at relative density {} \
             with E = {youngs_modulus_gpa} GPa (about {:.3e} GPa); use a softer base material",
            largest * youngs_modulus_gpa,
            DENSITY_RANGE.0,
            SOFTEST_MAX_EIGENVALUE * youngs_modulus_gpa
        )),
    }
}
