//! `report.json` of a build.
//!
//! Lengths in mm, volumes in mm³, stiffness both normalized by the base material's E and in
//! GPa, times in seconds.

use std::path::Path;

use serde::Serialize;

use super::graded::GradedReport;
use super::{Meshed, Prepared};
use crate::design_space::{Design, PeriodicCell};
use crate::manufacturing::CellNeeds;
use crate::mechanics::Stiffness;
use crate::mesh::{MeshReport, MeshStats};
use crate::network::{DomainShape, TileStats, TiledNetwork};
use crate::spec::{CellSize, Spec};

/// Seconds spent in each stage.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    /// Uniform: cell, manufacturing checks and FE homogenization of the design.
    pub cell: f64,
    /// Uniform: tiling and trimming.
    pub tile: f64,
    /// Graded: inverse design (proposals, FE verification, refinement) of every control point.
    pub design: f64,
    /// Graded: alignment, interpolation, scaffold, topology blend and trimming.
    pub grading: f64,
    /// Graded: FE homogenization of the graded cells at the control points and along the
    /// segments between them.
    pub verify: f64,
    /// Plots (PNG and SVG).
    pub plots: f64,
    /// Meshing.
    pub mesh: f64,
    /// Full mesh check (including self-intersections).
    pub check: f64,
    /// STL writing.
    pub stl: f64,
    /// Mesh 3MF writing (`implant.3mf`).
    pub threemf: f64,
    /// Beam-lattice 3MF writing (`implant.beams.3mf`).
    pub beam_lattice: f64,
    /// STEP writing.
    pub step: f64,
    /// The whole build.
    pub total: f64,
}

/// One written file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// File name inside the output folder.
    pub name: String,
    /// Size, bytes.
    pub bytes: u64,
    /// Size per strut of the network, bytes.
    pub bytes_per_strut: f64,
    /// Uncompressed beam-lattice XML per beam (`implant.beams.3mf` only), bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beam_lattice_bytes_per_beam: Option<f64>,
}

impl FileReport {
    pub(crate) fn of(dir: &Path, name: &str, struts: usize) -> Self {
        let bytes = std::fs::metadata(dir.join(name))
            .map(|m| m.len())
            .unwrap_or(0);
        Self {
            name: name.into(),
            bytes,
            bytes_per_strut: bytes as f64 / struts.max(1) as f64,
            beam_lattice_bytes_per_beam: None,
        }
    }
}

/// The mesh part of the report.
#[derive(Debug, Clone, Serialize)]
pub struct MeshSummary {
    /// Triangles.
    pub triangles: usize,
    /// Vertices.
    pub vertices: usize,
    /// Enclosed volume, mm³.
    pub volume_mm3: f64,
    /// Which mesher ran (explicit hubs and struts, or implicit), and why the explicit one was
    /// refused if it was.
    pub mesher: MeshStats,
    /// Mesh volume / domain volume (the true solid volume fraction, node overlap included).
    pub solid_volume_fraction: f64,
    /// The full check of the written mesh.
    pub check: MeshReport,
}

/// The uniform part of `report.json`: the one design and its cell.
#[derive(Debug, Clone, Serialize)]
pub struct UniformReport {
    /// The design.
    pub design: Design,
    /// Primitive lattice vectors (rows a1, a2, a3), mm.
    pub lattice_vectors_mm: [[f64; 3]; 3],
    /// The design's relative density (slender-beam volume).
    pub design_relative_density: f64,
    /// Smallest gap between strut surfaces in the cell, mm.
    pub smallest_pore_mm: Option<f64>,
    /// FE-homogenized stiffness of the design, normalized by E (Voigt, 6×6).
    pub stiffness_voigt: [[f64; 6]; 6],
    /// The same in GPa.
    pub stiffness_voigt_gpa: [[f64; 6]; 6],
    /// Tiling counts.
    pub tiling: TileStats,
}

impl UniformReport {
    pub(crate) fn new(
        spec: &Spec,
        design: &Design,
        cell: &PeriodicCell,
        stiffness: &Stiffness,
        tiled: &TiledNetwork,
        needs: CellNeeds,
        h: f64,
    ) -> Self {
        let l = cell.lattice_vectors();
        Self {
            design: design.clone(),
            lattice_vectors_mm: [0, 1, 2].map(|c| [l[(0, c)], l[(1, c)], l[(2, c)]]),
            design_relative_density: design.relative_density,
            smallest_pore_mm: needs.unit_pore.map(|g| g * h),
            stiffness_voigt: crate::mechanics::voigt_rows(stiffness.voigt()),
            stiffness_voigt_gpa: crate::mechanics::voigt_rows(
                &stiffness.to_gpa(spec.material.youngs_modulus),
            ),
            tiling: tiled.stats,
        }
    }
}

/// What filled the domain, as `report.json` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FillReport {
    /// One design everywhere; its fields appear at the top level of the JSON.
    Uniform(Box<UniformReport>),
    /// Graded between control points, under the key `graded`.
    Graded {
        /// The per-point and per-segment report.
        graded: Box<GradedReport>,
    },
}

impl BuildReport {
    /// The one-design report, if the domain holds one design.
    pub fn uniform(&self) -> Option<&UniformReport> {
        match &self.fill {
            FillReport::Uniform(u) => Some(u),
            FillReport::Graded { .. } => None,
        }
    }

    /// The graded report, if the domain is graded between control points.
    pub fn graded(&self) -> Option<&GradedReport> {
        match &self.fill {
            FillReport::Graded { graded } => Some(graded),
            FillReport::Uniform(_) => None,
        }
    }
}

/// Everything a build reports.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    /// Spec name.
    pub name: String,
    /// The spec file.
    pub spec: String,
    /// Digest of the spec text ([`crate::spec::digest`]); `batch` skips a spec whose output
    /// folder holds a report with the same digest.
    pub spec_digest: String,
    /// Base material name.
    pub material: String,
    /// Base material Young's modulus, GPa.
    pub youngs_modulus_gpa: f64,
    /// Base material Poisson's ratio.
    pub poisson_ratio: f64,
    /// Unit-cell edge before the affine map, mm.
    pub cell_size_mm: f64,
    /// Whether the cell size was chosen by `cell_size: auto`.
    pub cell_size_auto: bool,
    /// How the domain was filled: one design (its fields at the top level of the JSON) or
    /// graded between control points (under `graded`).
    #[serde(flatten)]
    pub fill: FillReport,
    /// Strut diameter range in the network, mm.
    pub strut_diameter_mm: [f64; 2],
    /// Network nodes.
    pub nodes: usize,
    /// Network struts.
    pub struts: usize,
    /// Domain volume, mm³.
    pub domain_volume_mm3: f64,
    /// The domain's shape (what `trussforge simulate` reads to find the end faces).
    pub domain: DomainShape,
    /// Bounding box of the mesh, mm (min, max); without a mesh, of the struts (their nodes
    /// widened by the node radii).
    pub bounding_box_mm: [[f64; 3]; 2],
    /// The mesh; `null` when no mesh file was asked for (`outputs.stl` and `outputs.threemf`
    /// off), so nothing was meshed.
    pub mesh: Option<MeshSummary>,
    /// Written files (`implant.stl`, `implant.3mf`, `implant.beams.3mf`, `implant.step`,
    /// plots), in that order.
    pub files: Vec<FileReport>,
    /// Timings.
    pub timings_s: Timings,
    /// Things a person should look at.
    pub warnings: Vec<String>,
    /// The whole-part beam simulations of `verify.load_cases`, in spec order (absent when
    /// the spec has no `verify`); see [`crate::simulate::Simulation`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<Vec<crate::simulate::Simulation>>,
}

impl BuildReport {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        spec: &Spec,
        prepared: &Prepared,
        fill: FillReport,
        meshed: Option<&Meshed>,
        domain_volume: f64,
        files: Vec<FileReport>,
        timings_s: Timings,
        warnings: Vec<String>,
    ) -> Self {
        let network = &prepared.network;
        let diameters = network
            .struts()
            .iter()
            .flat_map(|s| [2.0 * s.radius_a, 2.0 * s.radius_b]);
        let (dmin, dmax) = diameters.fold((f64::INFINITY, 0.0f64), |(lo, hi), d| {
            (lo.min(d), hi.max(d))
        });
        let bounding_box_mm = match meshed {
            Some(m) => {
                let (lo, hi) = m.mesh.bounding_box().unwrap_or_default();
                [lo.into(), hi.into()]
            }
            None => network_box(network),
        };
        Self {
            name: spec.name.clone(),
            spec: spec.source.display().to_string(),
            spec_digest: spec.digest.clone(),
            material: spec.material_name.clone(),
            youngs_modulus_gpa: spec.material.youngs_modulus,
            poisson_ratio: spec.material.poisson_ratio,
            cell_size_mm: prepared.cell_size,
            cell_size_auto: spec.cell_size == CellSize::Auto,
            fill,
            strut_diameter_mm: [dmin, dmax],
            nodes: network.nodes().len(),
            struts: network.struts().len(),
            domain_volume_mm3: domain_volume,
            domain: spec.domain.shape(),
            bounding_box_mm,
            mesh: meshed.map(|m| MeshSummary::new(m, domain_volume)),
            files,
            timings_s,
            warnings,
            verify: None,
        }
    }
}

impl MeshSummary {
    fn new(meshed: &Meshed, domain_volume: f64) -> Self {
        let volume = meshed.mesh.volume();
        Self {
            triangles: meshed.mesh.triangles().len(),
            vertices: meshed.mesh.vertices().len(),
            volume_mm3: volume,
            mesher: meshed.stats.clone(),
            solid_volume_fraction: volume / domain_volume,
            check: meshed.check.clone(),
        }
    }
}

/// The bounding box of the struts' solid, mm: every node widened by its radius (the largest
/// end radius there, which bounds the strut frusta and the ball).
fn network_box(network: &crate::network::StrutNetwork) -> [[f64; 3]; 2] {
    let radii = network.node_radii();
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for s in network.struts() {
        for n in [s.a, s.b] {
            let (p, r) = (network.nodes()[n.index()], radii[n.index()]);
            for k in 0..3 {
                lo[k] = lo[k].min(p[k] - r);
                hi[k] = hi[k].max(p[k] + r);
            }
        }
    }
    if lo[0] > hi[0] {
        return [[0.0; 3]; 2];
    }
    [lo, hi]
}
