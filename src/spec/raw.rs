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
    /// Implicit mesher: grid spacing as a fraction of the smallest strut radius (smaller is
    /// finer).
    #[serde(default = "default_resolution")]
    pub resolution: f64,
    /// `auto` (explicit hubs and struts, falling back to implicit where refused), `explicit`
    /// or `implicit`.
    #[serde(default)]
    pub method: crate::mesh::MeshMethod,
    /// Explicit mesher: largest chord sagitta of a strut ring as a fraction of its radius.
    #[serde(default = "default_chord_tolerance")]
    pub chord_tolerance: f64,
}

fn default_resolution() -> f64 {
    crate::mesh::MeshSettings::default().resolution
}

fn default_chord_tolerance() -> f64 {
    crate::mesh::MeshSettings::default().chord_tolerance
}

impl Default for RawMesh {
    fn default() -> Self {
        Self {
            resolution: default_resolution(),
            method: crate::mesh::MeshMethod::default(),
            chord_tolerance: default_chord_tolerance(),
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
    /// `implant.3mf`: the triangle mesh as one object and one build item, no required
    /// extension (what slicers such as PrusaSlicer, Cura, Bambu Studio and OrcaSlicer open).
    #[serde(default = "yes")]
    pub threemf: bool,
    /// `implant.beams.3mf`: the struts as a 3MF Beam Lattice (beams and balls, no triangles,
    /// the extension marked required), for beam-aware tools such as Netfabb and nTop. With
    /// `stl` and `threemf` off the network is not meshed at all.
    #[serde(default = "yes")]
    pub beam_lattice: bool,
    /// `implant.step` (one solid per strut and node). Not given (`None`): written when it fits
    /// within `max_file_mb`, else left out with a warning (a STEP file is ~23 kB per strut, so
    /// a large graded part would exceed any limit); `true`: always, and a build that would
    /// exceed the limit stops with an error; `false`: never.
    #[serde(default)]
    pub step: Option<bool>,
    /// `plots/`: directional Young's modulus per control point and a lattice picture (SVG and
    /// PNG).
    #[serde(default = "yes")]
    pub plots: bool,
    /// Largest file the build may write, MB (10⁶ bytes): the mesh files are estimated before
    /// meshing and measured before writing, and the build stops with an error above it.
    #[serde(default = "default_max_file_mb")]
    pub max_file_mb: f64,
}

/// Default [`RawOutputs::max_file_mb`]: 1 GB, about what desktop slicers still open.
pub const DEFAULT_MAX_FILE_MB: f64 = 1000.0;

fn default_max_file_mb() -> f64 {
    DEFAULT_MAX_FILE_MB
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
            step: None,
            plots: true,
            max_file_mb: DEFAULT_MAX_FILE_MB,
        }
    }
}

/// The cell size as written: a length, or `auto`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawCellSize {
    /// A length (length unit).
    Length(f64),
    /// A word: only `auto` is allowed.
    Word(String),
}

/// A stiffness as written: 21 upper-triangle constants, or six rows of six.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawStiffness {
    /// A flat list (21 constants, or 36 entries row by row).
    Values(Vec<f64>),
    /// Six rows of six entries.
    Rows(Vec<Vec<f64>>),
}

/// One anatomical control point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawControlPoint {
    /// A unique name (used in messages and the report).
    pub id: String,
    /// Position (length unit), inside the domain.
    pub position: [f64; 3],
    /// Measured stiffness (stiffness unit): 21 constants or a 6x6 matrix.
    pub stiffness: RawStiffness,
    /// Importance of matching this point against smoothness with its neighbours (default 1).
    #[serde(default)]
    pub weight: Option<f64>,
    /// Largest acceptable relative Frobenius error of the graded cell's FE stiffness against
    /// the target (default: none; a miss is reported as a warning).
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// A fixed design for this point instead of inverse design (still FE-verified).
    #[serde(default)]
    pub design: Option<Design>,
}

/// Inverse-design options for the control points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDesignOptions {
    /// `network` (the trained inverse model, default) or `lookup` (nearest dataset rows).
    pub method: String,
    /// Proposals drawn per point (default 1000).
    pub samples: usize,
    /// Gumbel-softmax temperature (default 1.0).
    pub temperature: f64,
    /// Network method: topologies whose best design is polished through the forward model
    /// before FE verification (default 32; 0 = off).
    pub polish: usize,
    /// Distinct candidates FE-verified per point (default 5).
    pub top: usize,
    /// Refine each candidate against the FE model (default true).
    pub refine: bool,
    /// FE solves per refined candidate (default 300).
    pub refine_evaluations: usize,
    /// Seed (default 0).
    pub seed: u64,
    /// Folder of trained models, relative to the spec file (default: the shipped `models/`).
    pub models: Option<String>,
    /// Dataset CSV for the `lookup` method, relative to the spec file.
    pub lookup_data: Option<String>,
    /// Where the networks run: `cpu` (default), `wgpu` or `cuda`.
    pub device: crate::learn::DeviceChoice,
}

impl Default for RawDesignOptions {
    fn default() -> Self {
        Self {
            method: "network".into(),
            samples: 1000,
            temperature: 1.0,
            polish: crate::inverse::NetworkProposer::POLISHED,
            top: 5,
            refine: true,
            refine_evaluations: 300,
            seed: 0,
            models: None,
            lookup_data: None,
            device: crate::learn::DeviceChoice::Cpu,
        }
    }
}

/// Interpolation options between control points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawGrading {
    /// Nearest control points blended at a position (default 4).
    pub neighbours: usize,
    /// Inverse-distance weight power (default 2).
    pub power: f64,
    /// Trade-off of accuracy against smoothness when choosing each point's design: a candidate
    /// may cost up to this much relative Frobenius error per unit of cell-shape distance to its neighbours
    /// (default 0.1; 0 = always the most accurate candidate).
    pub smoothness: f64,
    /// Stiffness samples along each segment between neighbouring points (default 5).
    pub samples_per_segment: usize,
    /// Cells kept unblended on every side of each control point's own cell (default 1; clipped
    /// where cores would meet).
    pub core_cells: usize,
    /// Free cell layers between two cores, where the blend happens (default 1).
    pub transition_cells: usize,
    /// Relative Frobenius error a candidate may cost per e-fold of smaller cell (default 0.01;
    /// 0 = the cell size does not matter).
    pub cell_size_weight: f64,
    /// Most closed-loop corrections of points whose built stiffness misses its tolerance
    /// (default 2; 0 = none).
    pub max_corrections: usize,
    /// Tolerance (relative Frobenius error of the built stiffness against the target) of every
    /// control point that does not give its own (default 0.1).
    pub tolerance: f64,
}

impl Default for RawGrading {
    fn default() -> Self {
        Self {
            neighbours: 4,
            power: 2.0,
            smoothness: 0.1,
            samples_per_segment: 5,
            core_cells: 1,
            transition_cells: 1,
            cell_size_weight: 0.01,
            max_corrections: 2,
            tolerance: 0.1,
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
    /// Edge length of the unit cell before its affine map (length unit), or `auto`.
    pub cell_size: RawCellSize,
    /// Largest cell size `cell_size: auto` may choose (length unit); default: a third of the
    /// domain's smallest extent. Designs that would need larger cells to be printable are not
    /// proposed.
    #[serde(default)]
    pub max_cell_size: Option<f64>,
    /// Where the lattice is anchored (length unit); default: the domain's lower bounding-box
    /// corner (one design) or the first control point (graded).
    #[serde(default)]
    pub origin: Option<[f64; 3]>,
    /// Printability limits.
    pub manufacturing: RawManufacturing,
    /// One lattice design filling the domain (exclusive with `control_points`).
    #[serde(default)]
    pub design: Option<Design>,
    /// Anatomical control points with measured stiffness (exclusive with `design`).
    #[serde(default)]
    pub control_points: Option<Vec<RawControlPoint>>,
    /// Inverse-design options (with `control_points`).
    #[serde(default)]
    pub design_options: Option<RawDesignOptions>,
    /// Interpolation options (with `control_points`).
    #[serde(default)]
    pub grading: Option<RawGrading>,
    /// Meshing options.
    #[serde(default)]
    pub mesh: RawMesh,
    /// Which files to write.
    #[serde(default)]
    pub outputs: RawOutputs,
    /// Whole-part verification by beam FE after the build (opt-in; default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<RawVerify>,
}

/// The `verify:` section: load cases of a whole-part beam simulation run after the build
/// (see [`crate::simulate`]); results go into `report.json` and `plots/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVerify {
    /// Load cases, each `axial`, `bending` or `torsion`, at most once each (at least one).
    pub load_cases: Vec<String>,
}
