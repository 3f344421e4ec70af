//! Options of the homogenizer.

use serde::{Deserialize, Serialize};

/// Which beam theory the strut elements use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BeamTheory {
    /// Timoshenko beams: bending plus transverse shear deformation (default).
    #[default]
    Timoshenko,
    /// Euler–Bernoulli beams: no shear deformation (the Timoshenko element with `Φ = 0`).
    EulerBernoulli,
}

/// The Timoshenko shear correction factor κ of the circular strut section.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ShearCorrection {
    /// A fixed κ (dimensionless, must be > 0). The default is `Constant(0.9)` (the common
    /// `1/κ = 10/9`).
    Constant(f64),
    /// Cowper's value for a solid circle, `κ = 6(1+ν)/(7+6ν)` (0.886 for ν = 0.3)
    /// (Cowper 1966, doi:10.1115/1.3625046).
    Cowper,
}

impl Default for ShearCorrection {
    fn default() -> Self {
        Self::Constant(0.9)
    }
}

impl ShearCorrection {
    /// κ for a material of Poisson's ratio `nu`.
    pub fn kappa(&self, nu: f64) -> f64 {
        match *self {
            Self::Constant(k) => k,
            Self::Cowper => 6.0 * (1.0 + nu) / (7.0 + 6.0 * nu),
        }
    }
}

/// Options of the periodic beam homogenizer (a parameter bag; build with
/// `FemOptions { beam: BeamTheory::EulerBernoulli, ..Default::default() }`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FemOptions {
    /// Beam theory of the strut elements. Default [`BeamTheory::Timoshenko`].
    pub beam: BeamTheory,
    /// Shear correction factor κ. Default [`ShearCorrection::Constant`]`(0.9)`.
    pub shear_correction: ShearCorrection,
    /// Collinear elements per strut (≥ 1). Default 1: the 2-node element is exact for a
    /// straight beam loaded at its ends, so more elements change the result only by
    /// round-off (useful as a mesh-independence check).
    pub elements_per_strut: usize,
}

impl Default for FemOptions {
    fn default() -> Self {
        Self {
            beam: BeamTheory::Timoshenko,
            shear_correction: ShearCorrection::default(),
            elements_per_strut: 1,
        }
    }
}
