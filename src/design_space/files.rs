//! Design files (YAML/JSON) and the periodic-truss JSON file.
//!
//! # Periodic-truss file
//! ```json
//! {"lattice_vectors": [[a1x,a1y,a1z],[a2x,a2y,a2z],[a3x,a3y,a3z]],
//!  "nodes": [[x,y,z], …],
//!  "struts": [[i, j, [n1,n2,n3]], …],
//!  "diameter": d,                      // or "relative_density": ρ, or "diameters": [d per strut]
//!  "material": {"youngs_modulus": 114.0, "poisson_ratio": 0.3}}
//! ```
//! Cartesian coordinates in any one length unit (mm for a sized cell); strut `(i, j, n)` joins
//! node `i` to node `j + n1·a1 + n2·a2 + n3·a3` (0-based indices). Exactly one of `diameter`,
//! `relative_density`, `diameters` is given. `material` is optional (default Ti-6Al-4V,
//! E = 114 GPa, ν = 0.3); `youngs_modulus` is in GPa.

use std::path::Path;

use nalgebra::{Matrix3, Point3, Vector3};
use serde::{Deserialize, Serialize};

use super::DesignError;
use super::cell::{CellNodeId, Material, PeriodicCell, PeriodicStrut};
use super::design::Design;

/// The periodic-truss file, as serialized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrussFile {
    /// Primitive lattice vectors a1, a2, a3 (one per row here; columns of the cell matrix).
    pub lattice_vectors: [[f64; 3]; 3],
    /// Node positions.
    pub nodes: Vec<[f64; 3]>,
    /// Struts `(i, j, [n1, n2, n3])`.
    pub struts: Vec<(u32, u32, [i32; 3])>,
    /// One diameter for every strut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diameter: Option<f64>,
    /// A relative density from which the one diameter follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_density: Option<f64>,
    /// One diameter per strut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diameters: Option<Vec<f64>>,
    /// Base material (default Ti-6Al-4V).
    #[serde(default)]
    pub material: Material,
}

impl TrussFile {
    /// The file form of a cell (per-strut diameters collapse to `diameter` when all equal).
    pub fn from_cell(cell: &PeriodicCell, material: Material) -> Self {
        let l = cell.lattice_vectors();
        let ds: Vec<f64> = cell.struts().iter().map(|s| s.diameter).collect();
        let uniform = ds.iter().all(|&d| d == ds[0]);
        Self {
            lattice_vectors: [0, 1, 2].map(|c| [l[(0, c)], l[(1, c)], l[(2, c)]]),
            nodes: cell.nodes().iter().map(|p| [p.x, p.y, p.z]).collect(),
            struts: cell
                .struts()
                .iter()
                .map(|s| (s.a.0, s.b.0, s.offset))
                .collect(),
            diameter: uniform.then(|| ds[0]),
            relative_density: None,
            diameters: (!uniform).then_some(ds),
            material,
        }
    }

    /// The cell this file describes.
    ///
    /// # Errors
    /// [`DesignError::Parse`] for a missing/ambiguous diameter, else the cell's own checks.
    pub fn to_cell(&self) -> Result<PeriodicCell, DesignError> {
        let lattice = Matrix3::from_columns(&self.lattice_vectors.map(Vector3::from));
        let nodes = self.nodes.iter().map(|p| Point3::from(*p)).collect();
        let mut struts: Vec<PeriodicStrut> = self
            .struts
            .iter()
            .map(|&(a, b, offset)| PeriodicStrut {
                a: CellNodeId(a),
                b: CellNodeId(b),
                offset,
                diameter: 1.0,
            })
            .collect();
        let given = [
            self.diameter.is_some(),
            self.relative_density.is_some(),
            self.diameters.is_some(),
        ];
        if given.iter().filter(|&&g| g).count() != 1 {
            return Err(DesignError::Parse(
                "give exactly one of `diameter`, `relative_density` or `diameters`".into(),
            ));
        }
        if let Some(ds) = &self.diameters {
            if ds.len() != struts.len() {
                return Err(DesignError::Parse(format!(
                    "`diameters` has {} entries but there are {} struts",
                    ds.len(),
                    struts.len()
                )));
            }
            for (s, &d) in struts.iter_mut().zip(ds) {
                s.diameter = d;
            }
        }
        if let Some(d) = self.diameter {
            for s in &mut struts {
                s.diameter = d;
            }
        }
        let cell = PeriodicCell::try_new(lattice, nodes, struts)?;
        if let Some(rho) = self.relative_density {
            if !(rho.is_finite() && rho > 0.0 && rho < 1.0) {
                return Err(DesignError::OutOfRange {
                    field: "relative_density".into(),
                    value: rho,
                    min: 0.0,
                    max: 1.0,
                    allow_hint: false,
                });
            }
            let d = cell.diameter_for_density(rho);
            return Ok(cell.with_uniform_diameter(d));
        }
        Ok(cell)
    }
}

/// What a file given on the command line holds.
#[derive(Debug, Clone)]
pub enum CellSource {
    /// A design Θ.
    Design(Design),
    /// A periodic-truss file.
    Truss(TrussFile),
}

/// Reads a design (YAML or JSON, keys `topology` …) or a periodic-truss JSON file (keys
/// `lattice_vectors` …), telling them apart by their keys.
///
/// # Errors
/// [`DesignError::Parse`] with the path, line and the parser's message.
pub fn read_cell_source(path: &Path) -> Result<CellSource, DesignError> {
    let text = crate::fsutil::read_regular_to_string(path)
        .map_err(|e| DesignError::Parse(format!("cannot read {}: {e}", path.display())))?;
    let value: serde_yaml::Value = serde_yaml::from_str(&text)
        .map_err(|e| DesignError::Parse(format!("{}: {e}", path.display())))?;
    // An implant spec given where a cell is wanted: say so rather than list unknown keys.
    if ["control_points", "domain", "base_material"]
        .iter()
        .any(|k| value.get(k).is_some())
    {
        return Err(DesignError::Parse(format!(
            "{} is an implant spec (it has domain / control_points / base_material), but a \
             design (topology, relative_density, U, R1, V, R2) or a periodic-truss file \
             (lattice_vectors, nodes, struts, diameter) is needed here; build a spec with \
             `trussforge build {}`",
            path.display(),
            path.display()
        )));
    }
    let is_truss = value.get("lattice_vectors").is_some();
    let parse_err = |e: serde_yaml::Error| DesignError::Parse(format!("{}: {e}", path.display()));
    if is_truss {
        serde_yaml::from_str(&text)
            .map(CellSource::Truss)
            .map_err(parse_err)
    } else {
        serde_yaml::from_str(&text)
            .map(CellSource::Design)
            .map_err(parse_err)
    }
}

/// Reads a design file (YAML or JSON).
///
/// # Errors
/// [`DesignError::Parse`] naming the file, line and field.
pub fn read_design(path: &Path) -> Result<Design, DesignError> {
    match read_cell_source(path)? {
        CellSource::Design(d) => Ok(d),
        CellSource::Truss(_) => Err(DesignError::Parse(format!(
            "{} is a periodic-truss file, but a design (topology, relative_density, U, R1, V, R2) is needed",
            path.display()
        ))),
    }
}
