//! A design Θ = (topology, U, R_I, V, R_II, ρ) and its periodic cell.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use nalgebra::{Matrix3, Point3};
use serde::{Deserialize, Serialize};

use super::DesignError;
use super::cell::{CellNodeId, PeriodicCell, PeriodicStrut};
use super::topology::{Topology, UnitGraph};
use crate::mechanics::rotation_from_axis_angle_deg;

/// Range of the stretches `U_i`, `V_i` in the design space.
pub const STRETCH_RANGE: (f64, f64) = (0.5, 2.0);
/// Range of the relative density ρ in the design space.
pub const DENSITY_RANGE: (f64, f64) = (0.002, 0.1);

/// A rotation as an axis (any non-zero length; normalized on use) and an angle in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisAngle {
    /// Rotation axis (normalized when the design is read).
    pub axis: [f64; 3],
    /// Angle in degrees, right-handed about the axis.
    pub angle_deg: f64,
}

impl AxisAngle {
    /// The identity rotation.
    pub const IDENTITY: AxisAngle = AxisAngle {
        axis: [0.0, 0.0, 1.0],
        angle_deg: 0.0,
    };

    /// The rotation matrix.
    ///
    /// # Errors
    /// [`DesignError::ZeroAxis`] (with `field`) for a zero or non-finite axis.
    pub fn matrix(&self, field: &str) -> Result<Matrix3<f64>, DesignError> {
        if !self.angle_deg.is_finite() {
            return Err(DesignError::NotFinite {
                field: format!("{field}.angle_deg"),
                value: self.angle_deg,
                extra: String::new(),
            });
        }
        rotation_from_axis_angle_deg(self.axis, self.angle_deg)
            .map(|r| r.into_inner())
            .map_err(|_| DesignError::ZeroAxis {
                field: field.into(),
                axis: self.axis,
            })
    }

    /// The same rotation with a unit axis whose z-component is ≥ 0 (the dataset's
    /// convention) and the angle in `(-180°, 180°]`.
    pub fn normalized(&self) -> AxisAngle {
        let n = (self.axis[0].powi(2) + self.axis[1].powi(2) + self.axis[2].powi(2)).sqrt();
        let mut axis = self.axis.map(|v| v / n);
        let mut angle = self.angle_deg;
        if axis[2] < 0.0 {
            axis = axis.map(|v| -v);
            angle = -angle;
        }
        angle = (angle + 180.0).rem_euclid(360.0) - 180.0;
        if angle == -180.0 {
            angle = 180.0;
        }
        AxisAngle {
            axis,
            angle_deg: angle,
        }
    }

    /// The axis–angle form of a rotation matrix (angle in `[0°, 180°]`).
    pub fn from_matrix(r: &Matrix3<f64>) -> AxisAngle {
        let rot = nalgebra::Rotation3::from_matrix_unchecked(*r);
        match rot.axis_angle() {
            Some((axis, angle)) => AxisAngle {
                axis: [axis.x, axis.y, axis.z],
                angle_deg: angle.to_degrees(),
            },
            None => AxisAngle::IDENTITY,
        }
    }
}

/// Whether design-space ranges are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RangePolicy {
    /// Stretches in [0.5, 2] and ρ in [0.002, 0.1]; anything else is an error.
    #[default]
    Strict,
    /// Values outside the ranges give warnings (users explore); they must still be physical
    /// (stretches > 0, 0 < ρ < 1).
    AllowOutOfRange,
}

/// A design Θ: `x = R_II · V · R_I · U · X` applied to the superposed unit-cube topology,
/// with one strut diameter set by the relative density.
///
/// The file form (YAML or JSON) has exactly the keys `topology`, `relative_density`, `U`,
/// `R1`, `V`, `R2`; unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// Three superposed lattices.
    pub topology: Topology,
    /// Relative density ρ (solid volume / cell volume, slender-beam estimate).
    pub relative_density: f64,
    /// Stretches applied first, along the cube axes (dimensionless).
    #[serde(rename = "U")]
    pub u: [f64; 3],
    /// First rotation R_I.
    #[serde(rename = "R1")]
    pub r1: AxisAngle,
    /// Stretches applied after R_I (dimensionless).
    #[serde(rename = "V")]
    pub v: [f64; 3],
    /// Second rotation R_II.
    #[serde(rename = "R2")]
    pub r2: AxisAngle,
}

impl Design {
    /// Checks every parameter; returns warnings for values tolerated by `policy`.
    ///
    /// # Errors
    /// The first invalid field, as a [`DesignError`] naming it and its allowed range.
    pub fn validate(&self, policy: RangePolicy) -> Result<Vec<String>, DesignError> {
        let mut warnings = Vec::new();
        let mut check = |field: String, value: f64, (min, max): (f64, f64), phys: (f64, f64)| {
            if !value.is_finite() {
                return Err(DesignError::NotFinite {
                    field,
                    value,
                    extra: String::new(),
                });
            }
            if (min..=max).contains(&value) {
                return Ok(());
            }
            let strict = policy == RangePolicy::Strict;
            if strict || !(value > phys.0 && value < phys.1) {
                return Err(DesignError::OutOfRange {
                    field,
                    value,
                    min: if strict { min } else { phys.0 },
                    max: if strict { max } else { phys.1 },
                    allow_hint: strict,
                });
            }
            warnings.push(format!(
                "{field} = {value} is outside the design space [{min}, {max}]"
            ));
            Ok(())
        };
        check(
            "relative_density".into(),
            self.relative_density,
            DENSITY_RANGE,
            (0.0, 1.0),
        )?;
        for (name, s) in [("U", self.u), ("V", self.v)] {
            for (i, &value) in s.iter().enumerate() {
                check(
                    format!("{name}[{i}]"),
                    value,
                    STRETCH_RANGE,
                    (0.0, f64::INFINITY),
                )?;
            }
        }
        self.r1.matrix("R1")?;
        self.r2.matrix("R2")?;
        Ok(warnings)
    }

    /// The design with ρ and the stretches clamped into their ranges (e.g. after rounding to
    /// f32); rotations unchanged.
    pub fn clamped_to_ranges(&self) -> Design {
        let stretch = |s: [f64; 3]| s.map(|x| x.clamp(STRETCH_RANGE.0, STRETCH_RANGE.1));
        Design {
            relative_density: self
                .relative_density
                .clamp(DENSITY_RANGE.0, DENSITY_RANGE.1),
            u: stretch(self.u),
            v: stretch(self.v),
            ..self.clone()
        }
    }

    /// The affine map `F = R_II · diag(V) · R_I · diag(U)`; its columns are the primitive
    /// lattice vectors of a cell of unit edge.
    ///
    /// # Errors
    /// As [`AxisAngle::matrix`].
    pub fn affine(&self) -> Result<Matrix3<f64>, DesignError> {
        let u = Matrix3::from_diagonal(&self.u.into());
        let v = Matrix3::from_diagonal(&self.v.into());
        Ok(self.r2.matrix("R2")? * v * self.r1.matrix("R1")? * u)
    }

    /// The periodic cell of this design (cell of unit edge before the affine map; lengths in
    /// cell edges), with the strut diameter from ρ: `ρ · det F = Σ π d²/4 · L`.
    ///
    /// # Errors
    /// As [`Self::validate`] with `policy`.
    pub fn cell(&self, policy: RangePolicy) -> Result<PeriodicCell, DesignError> {
        self.validate(policy)?;
        let f = self.affine()?;
        let graph = unit_graph(&self.topology);
        let cell = PeriodicCell::try_new(
            f,
            graph
                .nodes()
                .iter()
                .map(|p| Point3::from(f * nalgebra::Vector3::from(*p)))
                .collect(),
            graph
                .struts()
                .iter()
                .map(|&(a, b, offset)| PeriodicStrut {
                    a: CellNodeId(a),
                    b: CellNodeId(b),
                    offset,
                    diameter: 1.0,
                })
                .collect(),
        )?;
        let d = cell.diameter_for_density(self.relative_density);
        Ok(cell.with_uniform_diameter(d))
    }
}

/// The unit graph of a topology, built once per process and shared.
pub fn unit_graph(topology: &Topology) -> Arc<UnitGraph> {
    static CACHE: OnceLock<Mutex<HashMap<[super::LatticeChoice; 3], Arc<UnitGraph>>>> =
        OnceLock::new();
    let key = topology.sorted();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(g) = cache.lock().expect("cache lock").get(&key) {
        return g.clone();
    }
    let built = Arc::new(topology.build());
    cache
        .lock()
        .expect("cache lock")
        .entry(key)
        .or_insert(built)
        .clone()
}
