//! The periodic unit cell: a periodic graph with geometry.

use nalgebra::{Matrix3, Point3, Vector3};
use serde::{Deserialize, Serialize};

use super::DesignError;
use crate::mechanics::{Voigt, stretching_bound};

/// Index of a node in a [`PeriodicCell`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CellNodeId(pub u32);

/// One strut of a periodic cell: it joins node `a` to the periodic image of node `b` shifted
/// by `offset[0]·a₁ + offset[1]·a₂ + offset[2]·a₃`.
///
/// `a == b` with a non-zero offset is allowed: a strut from a node to its own image (the
/// simple cubic cell is one node with three such struts).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodicStrut {
    /// Start node.
    pub a: CellNodeId,
    /// End node (before the shift).
    pub b: CellNodeId,
    /// Integer lattice shift of the end node.
    pub offset: [i32; 3],
    /// Strut diameter, in the cell's length unit (mm for a sized cell; cell edges for a design
    /// cell of unit edge).
    pub diameter: f64,
}

/// Base material of the struts (isotropic, linear elastic).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Material {
    /// Young's modulus E_b in GPa.
    pub youngs_modulus: f64,
    /// Poisson's ratio ν (dimensionless).
    pub poisson_ratio: f64,
}

impl Material {
    /// Ti-6Al-4V: E = 114 GPa, ν = 0.3 (the default base material).
    pub const TI6AL4V: Material = Material {
        youngs_modulus: 114.0,
        poisson_ratio: 0.3,
    };

    /// Shear modulus `G = E / (2(1+ν))`, GPa.
    pub fn shear_modulus(&self) -> f64 {
        self.youngs_modulus / (2.0 * (1.0 + self.poisson_ratio))
    }
}

impl Default for Material {
    fn default() -> Self {
        Self::TI6AL4V
    }
}

/// A periodic truss: lattice vectors, one node per orbit, struts with integer cell offsets.
///
/// This one structure is read by homogenization, tiling and grading. Coordinates are
/// Cartesian; the length unit is the caller's (a design's cell has unit edge before its affine
/// map; a tiled implant cell is in mm). Invariants (checked by [`PeriodicCell::try_new`]):
/// the lattice vectors are right-handed (`det > 0`), every strut names existing nodes, has
/// positive length and a positive, finite diameter.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodicCell {
    lattice: Matrix3<f64>,
    nodes: Vec<Point3<f64>>,
    struts: Vec<PeriodicStrut>,
}

impl PeriodicCell {
    /// Builds a cell; `lattice` holds the primitive vectors a₁, a₂, a₃ as **columns**.
    ///
    /// # Errors
    /// [`DesignError::InvalidCell`] naming the first broken invariant.
    pub fn try_new(
        lattice: Matrix3<f64>,
        nodes: Vec<Point3<f64>>,
        struts: Vec<PeriodicStrut>,
    ) -> Result<Self, DesignError> {
        let invalid = |reason: String| Err(DesignError::InvalidCell { reason });
        if !lattice.iter().all(|v| v.is_finite()) || lattice.determinant() <= 0.0 {
            return invalid(format!(
                "lattice vectors must be finite and right-handed (det > 0), det = {}",
                lattice.determinant()
            ));
        }
        if let Some(i) = nodes.iter().position(|p| !p.iter().all(|v| v.is_finite())) {
            return invalid(format!("node {i} has a non-finite coordinate"));
        }
        if struts.is_empty() {
            return invalid("the cell has no struts".into());
        }
        let cell = Self {
            lattice,
            nodes,
            struts,
        };
        for (k, s) in cell.struts.iter().enumerate() {
            for id in [s.a, s.b] {
                if id.0 as usize >= cell.nodes.len() {
                    return invalid(format!(
                        "strut {k} names node {} but the cell has {} nodes",
                        id.0,
                        cell.nodes.len()
                    ));
                }
            }
            if !(s.diameter.is_finite() && s.diameter > 0.0) {
                return invalid(format!(
                    "strut {k} has diameter {}, must be > 0",
                    s.diameter
                ));
            }
            let length = cell.strut_vector(s).norm();
            if length <= 1e-12 * cell.lattice.norm() {
                return invalid(format!("strut {k} has zero length"));
            }
        }
        Ok(cell)
    }

    /// The primitive lattice vectors as the columns of a 3×3 matrix.
    pub fn lattice_vectors(&self) -> &Matrix3<f64> {
        &self.lattice
    }

    /// Node positions (one per orbit of the lattice translations).
    pub fn nodes(&self) -> &[Point3<f64>] {
        &self.nodes
    }

    /// The struts, each counted once.
    pub fn struts(&self) -> &[PeriodicStrut] {
        &self.struts
    }

    /// Cell volume `det(a₁ a₂ a₃)`, in the cell's length unit cubed.
    pub fn volume(&self) -> f64 {
        self.lattice.determinant()
    }

    /// The lattice translation `n₁a₁ + n₂a₂ + n₃a₃`.
    pub fn shift(&self, offset: [i32; 3]) -> Vector3<f64> {
        self.lattice * Vector3::new(offset[0] as f64, offset[1] as f64, offset[2] as f64)
    }

    /// The vector from the start to the (shifted) end of a strut.
    pub fn strut_vector(&self, s: &PeriodicStrut) -> Vector3<f64> {
        self.nodes[s.b.0 as usize] + self.shift(s.offset) - self.nodes[s.a.0 as usize]
    }

    /// Strut lengths, in the order of [`Self::struts`].
    pub fn strut_lengths(&self) -> Vec<f64> {
        self.struts
            .iter()
            .map(|s| self.strut_vector(s).norm())
            .collect()
    }

    /// The slender-beam strut volume `Σ π d²/4 · L` (node overlap ignored).
    pub fn strut_volume(&self) -> f64 {
        self.struts
            .iter()
            .map(|s| {
                std::f64::consts::FRAC_PI_4 * s.diameter * s.diameter * self.strut_vector(s).norm()
            })
            .sum()
    }

    /// Relative density `Σ π d²/4 · L / V` (slender-beam volume; node overlap ignored).
    pub fn relative_density(&self) -> f64 {
        self.strut_volume() / self.volume()
    }

    /// The same cell with every strut given diameter `d`.
    pub fn with_uniform_diameter(mut self, d: f64) -> Self {
        for s in &mut self.struts {
            s.diameter = d;
        }
        self
    }

    /// The uniform diameter that gives relative density `rho`:
    /// `ρ · V = Σ π d²/4 · L` solved for `d`.
    pub fn diameter_for_density(&self, rho: f64) -> f64 {
        let total_length: f64 = self.strut_lengths().iter().sum();
        (4.0 * rho * self.volume() / (std::f64::consts::PI * total_length)).sqrt()
    }

    /// The number of strut ends at each node (a strut to its own image counts twice).
    pub fn node_valences(&self) -> Vec<usize> {
        let mut valence = vec![0; self.nodes.len()];
        for s in &self.struts {
            valence[s.a.0 as usize] += 1;
            valence[s.b.0 as usize] += 1;
        }
        valence
    }

    /// The stretching (Voigt) upper bound of this cell, normalized by E
    /// (see [`crate::mechanics::stretching_bound`]).
    pub fn stretching_bound(&self) -> Voigt {
        stretching_bound(
            self.struts.iter().map(|s| {
                (
                    std::f64::consts::FRAC_PI_4 * s.diameter * s.diameter,
                    self.strut_vector(s),
                )
            }),
            self.volume(),
        )
    }

    /// The cell mapped by the linear map `m` (lattice vectors and nodes; diameters kept).
    ///
    /// # Errors
    /// [`DesignError::InvalidCell`] if `m` is singular or flips orientation.
    pub fn transformed(&self, m: &Matrix3<f64>) -> Result<Self, DesignError> {
        Self::try_new(
            m * self.lattice,
            self.nodes
                .iter()
                .map(|p| Point3::from(m * p.coords))
                .collect(),
            self.struts.clone(),
        )
    }

    /// The cell with every length multiplied by `h` (e.g. a unit design cell to a cell of
    /// edge `h` mm); diameters scale too, so the relative density is unchanged.
    ///
    /// # Panics
    /// If `h` is not positive and finite.
    #[track_caller]
    pub fn scaled(&self, h: f64) -> Self {
        assert!(h.is_finite() && h > 0.0, "scale must be positive, got {h}");
        let mut c = self.clone();
        c.lattice *= h;
        for p in &mut c.nodes {
            p.coords *= h;
        }
        for s in &mut c.struts {
            s.diameter *= h;
        }
        c
    }
}
