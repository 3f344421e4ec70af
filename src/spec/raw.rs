//! The spec as written (serde, unknown keys rejected), before validation and unit conversion.

use serde::{Deserialize, Serialize};

use crate::design_space::Design;

/// Units of the numbers in the spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnits {
    /// Unit of positions and sizes: `mm` (default), `cm`, `m` or `um`.
    #[serde(default = "default_length")]
    pub length: String,
    /// Unit of stiffness values: `GPa` (default), `MPa` or `Pa`.
    #[serde(default = "default_stiffness")]
    pub stiffness: String,
}

fn default_length() -> String {
    "mm".into()
}

fn default_stiffness() -> String {
    "GPa".into()
}

impl Default for RawUnits {
    fn default() -> Self {
        Self {
            length: default_length(),
            stiffness: default_stiffness(),
        }
    }
}

/// Base material of the struts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMaterial {
    /// A name for reports (e.g. `Ti-6Al-4V`).
    #[serde(default)]
    pub name: Option<String>,
    /// Young's modulus, in the spec's stiffness unit.
    pub youngs_modulus: f64,
    /// Poisson's ratio.
    pub poisson_ratio: f64,
}

/// The implant envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawDomain {
    /// Axis-aligned box.
    Box {
        /// Lower corner.
        min: [f64; 3],
        /// Upper corner.
        max: [f64; 3],
    },
    /// Right circular cylinder.
    Cylinder {
        /// Centre of the bottom disc.
        base: [f64; 3],
        /// Axis direction (normalized).
        axis: [f64; 3],
        /// Radius.
        radius: f64,
        /// Height along the axis.
        height: f64,
    },
    /// A closed STL surface.
    Envelope {
        /// Path of the STL file, relative to the spec file.
        stl: String,
    },
}

/// Printability limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManufacturing {
    /// Smallest printable strut diameter (length unit).
    pub min_strut_diameter: f64,
    /// Smallest pore (gap between strut surfaces) that powder can leave (length unit).
    pub min_pore_size: f64,
}

/// Meshing options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMesh {
    /// Grid spacing as a fraction of the smallest strut radius (smaller is finer).
    #[serde(default = "default_resolution")]
    pub resolution: f64,
}

fn default_resolution() -> f64 {
    crate::mesh::MeshSettings::default().resolution
}

impl Default for RawMesh {
    fn default() -> Self {
        Self {
            resolution: default_resolution(),
        }
    }
}

/// Which files to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutputs {
    /// `implant.stl` (binary).
    #[serde(default = "yes")]
    pub stl: bool,
    /// `implant.3mf` with the triangle mesh.
    #[serde(default = "yes")]
    pub threemf: bool,
    /// Add the 3MF Beam Lattice to `implant.3mf`.
    #[serde(default = "yes")]
    pub beam_lattice: bool,
    /// `implant.step` (one solid per strut and node).
    #[serde(default = "yes")]
    pub step: bool,
}

fn yes() -> bool {
    true
}

impl Default for RawOutputs {
    fn default() -> Self {
        Self {
            stl: true,
            threemf: true,
            beam_lattice: true,
            step: true,
        }
    }
}

/// The implant spec as written in YAML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// Name of the implant; names the output folder.
    pub name: String,
    /// Units of the numbers below.
    #[serde(default)]
    pub units: RawUnits,
    /// Base material (default Ti-6Al-4V, 114 GPa, ν = 0.3).
    #[serde(default)]
    pub base_material: Option<RawMaterial>,
    /// Implant envelope, written as a one-key map (`box: {…}`, `cylinder: {…}`, `envelope: {…}`).
    #[serde(with = "serde_yaml::with::singleton_map")]
    pub domain: RawDomain,
    /// Edge length of the unit cell before its affine map (length unit).
    pub cell_size: f64,
    /// Where the lattice is anchored (length unit); default: the domain's lower bounding-box
    /// corner.
    #[serde(default)]
    pub origin: Option<[f64; 3]>,
    /// Printability limits.
    pub manufacturing: RawManufacturing,
    /// The lattice design filling the domain.
    pub design: Design,
    /// Meshing options.
    #[serde(default)]
    pub mesh: RawMesh,
    /// Which files to write.
    #[serde(default)]
    pub outputs: RawOutputs,
}
