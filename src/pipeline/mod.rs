//! The build pipeline (`trussforge build`, [`build`]): spec → strut network → watertight mesh
//! → full mesh check → STL, mesh 3MF (`implant.3mf`), beam-lattice 3MF (`implant.beams.3mf`),
//! STEP, `report.json` and plots. With neither STL nor the mesh 3MF asked for, nothing is
//! meshed.
//!
//! The network comes from one of two fills ([`crate::spec::Fill`]):
//! - **uniform**: one design's periodic cell (mm) → manufacturing checks → tiling and trimming;
//! - **graded**: inverse design at every control point (FE-verified candidates) → one design
//!   per point chosen for accuracy and compatibility with its neighbours
//!   ([`crate::grading::choose_designs`]) → cell size (fixed or `auto`) → grading → FE
//!   verification of the graded cell at every control point and along the segments between
//!   them.
//!
//! All files are written into a temporary folder beside the output folder, which replaces the
//! output folder only when every file is complete: a failed build leaves no partial output.

pub mod batch;
mod graded;
mod output_dir;
mod plots;
mod report;
mod size;
mod verify;

use std::path::{Path, PathBuf};
use std::time::Instant;

use thiserror::Error;

pub use graded::{CandidateSummary, ComponentRow, GradedReport, PointReport, SegmentReport};
pub use report::{BuildReport, FileReport, FillReport, Timings, UniformReport};

use crate::design_space::{Design, DesignError, RangePolicy};
use crate::export::{
    ExportError, StepOptions, ThreeMfContent, ThreeMfOptions, write_3mf, write_step, write_stl,
};
use crate::fem::{FemError, FemOptions, homogenize};
use crate::grading::GradingError;
use crate::inverse::InverseError;
use crate::learn::LearnError;
use crate::manufacturing::{CellNeeds, LimitViolation};
use crate::mechanics::{ErrorMetrics, Stiffness};
use crate::mesh::{
    ExplicitFailure, MeshError, MeshReport, MeshSettings, MeshStats, TriMesh, check,
    mesh_network_with_stats,
};
use crate::network::{Domain, StrutNetwork, TileError, tile};
use crate::spec::{CellSize, Fill, Spec};

/// Why a build failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The design's cell could not be built.
    #[error(transparent)]
    Design(#[from] DesignError),
    /// Struts thinner than the printer can make.
    #[error(
        "strut diameter {diameter:.4} mm{at} is below manufacturing.min_strut_diameter {limit} mm; \
         use cell_size >= {fix:.3} mm (now {cell_size} mm) or a higher relative_density"
    )]
    StrutTooThin {
        /// The design's strut diameter, mm.
        diameter: f64,
        /// The limit, mm.
        limit: f64,
        /// The cell size now, mm.
        cell_size: f64,
        /// The smallest cell size that meets the limit, mm.
        fix: f64,
        /// Where.
        at: CellLocation,
    },
    /// Pores smaller than powder can be removed from.
    #[error(
        "smallest pore {pore:.4} mm{at} is below manufacturing.min_pore_size {limit} mm; \
         use cell_size >= {fix:.3} mm (now {cell_size} mm) or a lower relative_density"
    )]
    PoreTooSmall {
        /// The smallest gap between strut surfaces, mm.
        pore: f64,
        /// The limit, mm.
        limit: f64,
        /// The cell size now, mm.
        cell_size: f64,
        /// The smallest cell size that meets the limit, mm.
        fix: f64,
        /// Where.
        at: CellLocation,
    },
    /// The output folder is not the build's to write (nothing was touched). Fix: give a new
    /// or empty folder, or a previous trussforge output.
    #[error("output folder {}: {reason}", path.display())]
    UnsafeOutput {
        /// The folder given.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The cell size does not fit the domain or the control points.
    #[error("cell_size {cell_size:.3} mm is incompatible with this spec: {reason}")]
    CellSizeIncompatible {
        /// The cell size, mm.
        cell_size: f64,
        /// Why, and what to change.
        reason: String,
    },
    /// Two control points are closer than the smallest cell any design of the design space
    /// prints at (found before any design): their cells could never both be reproduced.
    /// Fix: move them at least `needed` apart, or lower `manufacturing.min_strut_diameter`.
    #[error(
        "control points {a:?} and {b:?} are {distance:.3} mm apart, closer than the smallest \
         cell any design prints at with manufacturing.min_strut_diameter {min_strut_diameter} \
         mm ({needed:.3} mm: at relative density <= {max_density} with stretches <= \
         {max_stretch}, no strut is thicker than {unit_strut:.3} cell edges), so both cells \
         cannot be reproduced; move them at least {needed:.3} mm apart or lower \
         min_strut_diameter"
    )]
    ControlPointsTooClose {
        /// The first point's id.
        a: String,
        /// The second point's id.
        b: String,
        /// Their distance, mm.
        distance: f64,
        /// The spacing needed: the smallest cell size of the design space, mm.
        needed: f64,
        /// `manufacturing.min_strut_diameter`, mm.
        min_strut_diameter: f64,
        /// The thickest strut of any design, in cell edges.
        unit_strut: f64,
        /// The top of the density range.
        max_density: f64,
        /// The top of the stretch range.
        max_stretch: f64,
    },
    /// The trained models of the network method could not be loaded.
    #[error("loading the models from {}", dir.display())]
    Models {
        /// The models folder.
        dir: PathBuf,
        /// Why.
        source: LearnError,
    },
    /// Inverse design (or loading what it needs) failed.
    #[error("{step}")]
    InverseDesign {
        /// What was being done.
        step: InverseStep,
        /// Why it failed.
        source: Box<InverseError>,
    },
    /// Grading or its verification failed.
    #[error(transparent)]
    Grading(#[from] GradingError),
    /// Tiling or trimming failed.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// Meshing failed or the mesh failed its check.
    #[error(transparent)]
    Mesh(#[from] MeshError),
    /// Homogenizing the design failed.
    #[error(transparent)]
    Fem(#[from] FemError),
    /// Writing a file failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The mesh encloses voids: powder trapped inside could not be removed after printing.
    /// Fix: a coarser mesh.resolution or the explicit mesher (mesh.method: auto).
    #[error(
        "the meshed part encloses {voids} void(s) (inner shells): powder trapped there could \
         not be removed after printing; try mesh.method: explicit or a different mesh.resolution"
    )]
    EnclosedVoids {
        /// Inner shells.
        voids: usize,
    },
    /// A mesh file would be larger than `outputs.max_file_mb` (nothing was written).
    #[error(
        "{file} would be about {mb:.0} MB ({when}){why}, more than outputs.max_file_mb = \
         {limit}; to shrink it: {fix}"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// Its estimated or measured size, MB.
        mb: f64,
        /// "estimated before meshing" or "measured after meshing".
        when: &'static str,
        /// The limit, MB.
        limit: f64,
        /// What would shrink it.
        fix: &'static str,
        /// What explains the size.
        why: SizeCause,
    },
    /// The whole-part simulation of `verify.load_cases` failed (e.g. a floating piece of
    /// network, or a domain without end faces along the load axis).
    #[error("verify: the {case} simulation of the built network")]
    Verify {
        /// The load case.
        case: &'static str,
        /// Why it failed.
        source: crate::simulate::SimulateError,
    },
    /// A file-system operation on the output folder failed.
    #[error("{}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The output folder's parent cannot be written (found out before any work).
    #[error(
        "{}: the output folder {} cannot be written there; give an --out in a writable place",
        parent.display(),
        out.display()
    )]
    NotWritable {
        /// The output folder.
        out: PathBuf,
        /// The nearest existing folder on the way to it.
        parent: PathBuf,
        /// Why a file could not be created there.
        source: std::io::Error,
    },
    /// The new output is in place but the previous one could not be removed.
    #[error(
        "the new output is in place but the previous one could not be removed from this \
         hidden folder: {}",
        old.display()
    )]
    OldOutputLeft {
        /// The hidden folder holding the previous output.
        old: PathBuf,
        /// Why it could not be removed.
        source: std::io::Error,
    },
}

/// Where a cell's manufacturing limits were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellLocation {
    /// The one cell of a uniform fill.
    Uniform,
    /// The cell of a control point of a graded fill (its id).
    ControlPoint(String),
}

impl std::fmt::Display for CellLocation {
    /// Empty for [`CellLocation::Uniform`], ` at control point "a"` otherwise (messages put it
    /// right after the offending figure).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Uniform => Ok(()),
            Self::ControlPoint(id) => write!(f, " at control point {id:?}"),
        }
    }
}

/// The step of inverse design that failed ([`BuildError::InverseDesign`]).
#[derive(Debug, Clone, PartialEq)]
pub enum InverseStep {
    /// Loading the shape table beside the models.
    ShapeTable,
    /// Reading the dataset of the lookup method.
    LookupData {
        /// The dataset CSV.
        data: PathBuf,
    },
    /// Designing for one control point's target within the printability limits.
    ControlPoint {
        /// The point's id.
        id: String,
        /// Largest cell size a design may need, mm.
        largest_cell_size: f64,
        /// Widest cell the point has room for, mm (infinite: unlimited).
        widest_cell: f64,
        /// `manufacturing.min_strut_diameter`, mm.
        min_strut_diameter: f64,
        /// `manufacturing.min_pore_size`, mm.
        min_pore_size: f64,
    },
}

impl std::fmt::Display for InverseStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ShapeTable => f.write_str("loading the shape table"),
            Self::LookupData { data } => {
                write!(f, "reading the lookup dataset {}", data.display())
            }
            Self::ControlPoint {
                id,
                largest_cell_size,
                widest_cell,
                min_strut_diameter,
                min_pore_size,
            } => write!(
                f,
                "inverse design for control point {id:?} (cell size <= {largest_cell_size:.3} \
                 mm, cell at most {widest_cell:.3} mm wide, min strut diameter \
                 {min_strut_diameter} mm, min pore {min_pore_size} mm)"
            ),
        }
    }
}

/// What explains the size of a mesh file that is too large ([`BuildError::TooLarge`]).
#[derive(Debug, Clone, PartialEq)]
pub enum SizeCause {
    /// Nothing to add.
    None,
    /// Before tiling: the domain holds about `cells` cells (infinite: too many to count).
    Cells {
        /// Cells in the domain (its volume over the cell's).
        cells: f64,
        /// Struts of one cell.
        struts_per_cell: usize,
    },
    /// `mesh.method` is implicit, which costs this many triangles per strut.
    ImplicitChosen {
        /// Triangles per strut, estimated.
        triangles_per_strut: u64,
    },
    /// The explicit mesher refused the network, so the implicit one runs.
    ExplicitRefused {
        /// Why the explicit mesher refused.
        reason: Box<ExplicitFailure>,
        /// Whether the implicit mesher would run (with its estimate) or ran.
        implicit: ImplicitRun,
    },
}

/// The implicit mesher after the explicit one refused: estimated, or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImplicitRun {
    /// It would run, at about this many triangles per strut.
    WouldRun {
        /// Triangles per strut, estimated.
        triangles_per_strut: u64,
    },
    /// It ran.
    Ran,
}

impl std::fmt::Display for SizeCause {
    /// Empty, or `; ` and the explanation (messages append it to the size).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => Ok(()),
            Self::Cells {
                cells,
                struts_per_cell,
            } if cells.is_finite() => write!(
                f,
                "; the domain holds about {cells:.3e} cells of {struts_per_cell} struts"
            ),
            Self::Cells { .. } => f.write_str("; the domain holds more cells than can be counted"),
            Self::ImplicitChosen {
                triangles_per_strut,
            } => write!(
                f,
                "; mesh.method is implicit (about {triangles_per_strut} triangles per strut): \
                 mesh.method: auto meshes explicitly (about 50), or use a coarser \
                 mesh.resolution"
            ),
            Self::ExplicitRefused { reason, implicit } => {
                write!(
                    f,
                    "; the explicit mesher refused the network ({reason}), so the implicit one "
                )?;
                match implicit {
                    ImplicitRun::WouldRun {
                        triangles_per_strut,
                    } => write!(
                        f,
                        "would run (about {triangles_per_strut} triangles per strut)"
                    ),
                    ImplicitRun::Ran => f.write_str("ran"),
                }
            }
        }
    }
}

/// What either fill hands on to meshing and writing.
pub(crate) struct Prepared {
    /// The strut network, mm.
    pub network: StrutNetwork,
    /// The cell size used, mm.
    pub cell_size: f64,
    /// Per control point (graded only), in spec order.
    pub point_stiffness: Vec<PointStiffness>,
    /// Uniform only: the FE stiffness of the cell, normalized by E.
    pub cell_stiffness: Option<Stiffness>,
    /// Graded only: what the lattice picture draws over the struts.
    pub overlay: Option<GradedOverlay>,
}

/// One control point's stiffnesses for its plot, normalized by E.
pub(crate) struct PointStiffness {
    /// The id.
    pub id: String,
    /// Position, mm.
    pub position: [f64; 3],
    /// The target.
    pub target: Stiffness,
    /// FE of the design built there.
    pub design: Stiffness,
    /// FE of the cut-out graded cell.
    pub graded: Stiffness,
    /// FE of the window of the built network, if one could be homogenized.
    pub window: Option<Stiffness>,
    /// Cut-out cell against the target.
    pub graded_vs_target: Option<ErrorMetrics>,
    /// Window against the target.
    pub window_vs_target: Option<ErrorMetrics>,
}

/// What the lattice picture of a graded build draws over the struts, mm.
pub(crate) struct GradedOverlay {
    /// The domain's bounding box.
    pub domain: ([f64; 3], [f64; 3]),
    /// Per control point: id, position, the core's edge vectors (columns; the core is the
    /// parallelepiped centred on the point) and whether it has a core (else its own cell).
    pub cores: Vec<(String, [f64; 3], nalgebra::Matrix3<f64>, bool)>,
    /// The stiffness samples between the points.
    pub segments: Vec<crate::grading::SegmentSample>,
}

/// The default output folder of a spec: `output/<name>/` under `root`.
pub fn default_output_dir(root: &Path, spec: &Spec) -> PathBuf {
    root.join("output").join(&spec.name)
}

/// Runs the whole build of `spec` into `out_dir` (replaced atomically) and returns the report
/// that was also written as `report.json`. `stage` is told the name of each stage as it starts.
///
/// # Errors
/// A [`BuildError`] naming the failing stage's cause; nothing is left in `out_dir` then.
pub fn build(spec: &Spec, out_dir: &Path, stage: &dyn Fn(&str)) -> Result<BuildReport, BuildError> {
    let total = Instant::now();
    output_dir::check_output_dir(out_dir, &spec.source)?;
    let mut timings = Timings::default();
    let mut warnings = Vec::new();
    let (prepared, fill_report) = match &spec.fill {
        Fill::Uniform(design) => {
            let (p, r) = uniform(spec, design, &mut timings, &mut warnings, stage)?;
            (p, FillReport::Uniform(Box::new(r)))
        }
        Fill::Graded(fill) => {
            let (p, r) = graded::prepare(spec, fill, &mut timings, &mut warnings, stage)?;
            (
                p,
                FillReport::Graded {
                    graded: Box::new(r),
                },
            )
        }
    };
    let meshed = mesh_and_check(spec, &prepared.network, &mut timings, &mut warnings, stage)?;

    let staging = output_dir::Staging::create(out_dir)?;
    let report = staging.fill(|dir| {
        let mesh = meshed.as_ref().map(|m| &m.mesh);
        let files = write_files(
            spec,
            &prepared,
            mesh,
            dir,
            &mut timings,
            &mut warnings,
            stage,
        )?;
        timings.total = total.elapsed().as_secs_f64();
        let mut report = BuildReport::new(
            spec,
            &prepared,
            fill_report,
            meshed.as_ref(),
            domain_volume(&spec.domain),
            files,
            timings,
            warnings,
        );
        if !spec.verify.is_empty() {
            stage("simulate");
            let (results, files) = verify::verify(spec, &prepared.network, &report, dir)?;
            report.files.extend(files);
            report.verify = Some(results);
        }
        let json = serde_json::to_vec_pretty(&report).expect("report serializes");
        let path = dir.join("report.json");
        crate::fsutil::atomic_write_bytes(&path, &json).map_err(BuildError::io(&path))?;
        Ok(report)
    })?;
    staging.swap_in(out_dir, &spec.source)?;
    Ok(report)
}

impl BuildError {
    /// A `map_err` adapter: [`BuildError::Io`] on `path`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
        move |source| BuildError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The checked mesh of a build, with how it was made.
pub(crate) struct Meshed {
    /// The mesh, after the full check and its repairs.
    pub mesh: TriMesh,
    /// Which mesher ran.
    pub stats: MeshStats,
    /// The full check of `mesh`.
    pub check: MeshReport,
}

/// Meshes and checks the network when a mesh file is asked for (`outputs.stl` or
/// `outputs.threemf`); otherwise (beam lattice, STEP or plots only) nothing is meshed and the
/// sizes of the files asked for are checked against `outputs.max_file_mb` here.
fn mesh_and_check(
    spec: &Spec,
    network: &StrutNetwork,
    timings: &mut Timings,
    warnings: &mut Vec<String>,
    stage: &dyn Fn(&str),
) -> Result<Option<Meshed>, BuildError> {
    if !(spec.outputs.stl || spec.outputs.threemf) {
        let struts = network.struts().len();
        check_sizes(spec, 0, struts, "estimated before writing", SizeCause::None)?;
        return Ok(None);
    }
    let (mesh, stats) = mesh(spec, network, timings, stage)?;
    stage("check");
    let t = Instant::now();
    let (mesh, check) = check_and_repair(mesh, warnings)?;
    timings.check = t.elapsed().as_secs_f64();
    Ok(Some(Meshed { mesh, stats, check }))
}

/// Triangles of the explicit mesh of `struts` struts at the spec's chord tolerance.
fn explicit_triangles(spec: &Spec, struts: usize) -> u64 {
    let segments = crate::mesh::hub::segments(spec.mesh.chord_tolerance);
    size::estimate_triangles(struts, segments)
}

/// Meshes the network (stopping with [`BuildError::TooLarge`] before and after when a file
/// would exceed `outputs.max_file_mb`); adds the time taken to `timings`.
fn mesh(
    spec: &Spec,
    network: &StrutNetwork,
    timings: &mut Timings,
    stage: &dyn Fn(&str),
) -> Result<(TriMesh, MeshStats), BuildError> {
    let struts = network.struts().len();
    let expected = explicit_triangles(spec, struts);
    check_sizes(
        spec,
        expected,
        struts,
        "estimated before meshing",
        SizeCause::None,
    )?;
    stage("mesh");
    let t = Instant::now();
    let mesh_settings = MeshSettings {
        max_triangles: size::max_triangles(&spec.outputs),
        ..spec.mesh
    };
    let (mesh, mesh_stats) = match mesh_network_with_stats(network, &mesh_settings) {
        Err(MeshError::TooManyTriangles {
            estimated,
            max,
            fallback,
        }) => {
            let triangles_per_strut = estimated / struts.max(1) as u64;
            let why = match &fallback {
                Some(reason) => SizeCause::ExplicitRefused {
                    reason: Box::new(reason.clone()),
                    implicit: ImplicitRun::WouldRun {
                        triangles_per_strut,
                    },
                },
                None => SizeCause::ImplicitChosen {
                    triangles_per_strut,
                },
            };
            check_sizes(
                spec,
                estimated,
                struts,
                "estimated before implicit meshing",
                why,
            )?;
            return Err(MeshError::TooManyTriangles {
                estimated,
                max,
                fallback,
            }
            .into());
        }
        other => other?,
    };
    timings.mesh = t.elapsed().as_secs_f64();
    let why = mesh_stats
        .fallback
        .as_ref()
        .map_or(SizeCause::None, |reason| SizeCause::ExplicitRefused {
            reason: Box::new(reason.clone()),
            implicit: ImplicitRun::Ran,
        });
    check_sizes(
        spec,
        mesh.triangles().len() as u64,
        struts,
        "measured after meshing",
        why,
    )?;
    Ok((mesh, mesh_stats))
}

/// The full mesh check; enclosed voids (which would trap powder) are filled and floating
/// pieces dropped, each with a warning, and the mesh checked again.
fn check_and_repair(
    mesh: TriMesh,
    warnings: &mut Vec<String>,
) -> Result<(TriMesh, MeshReport), BuildError> {
    let mut mesh_check = check(&mesh);
    mesh_check
        .clone()
        .into_result()
        .map_err(crate::mesh::MeshError::from)?;
    let mesh = if mesh_check.voids > 0 {
        let (filled, voids, volume) = crate::mesh::fill_voids(&mesh);
        mesh_check = check(&filled);
        if voids == 0 || mesh_check.voids > 0 || !mesh_check.ok() {
            return Err(BuildError::EnclosedVoids {
                voids: mesh_check.voids.max(1),
            });
        }
        warnings.push(format!(
            "{voids} enclosed void(s) ({volume:.4} mm³ in all), where struts close a pocket \
             that would trap powder, were filled with material"
        ));
        filled
    } else {
        mesh
    };
    let mesh = if mesh_check.floating_pieces > 0 {
        let (kept, dropped) = crate::mesh::drop_floating_pieces(&mesh);
        warnings.push(format!(
            "{dropped} floating piece(s) not attached to the part were removed from the mesh"
        ));
        mesh_check = check(&kept);
        kept
    } else {
        mesh
    };
    Ok((mesh, mesh_check))
}

/// Writes the mesh and lattice files and the plots the spec asks for into `dir`; adds the
/// times taken to `timings`. `mesh` is there whenever `outputs.stl` or `outputs.threemf` is on.
fn write_files(
    spec: &Spec,
    prepared: &Prepared,
    mesh: Option<&TriMesh>,
    dir: &Path,
    timings: &mut Timings,
    warnings: &mut Vec<String>,
    stage: &dyn Fn(&str),
) -> Result<Vec<FileReport>, BuildError> {
    let network = &prepared.network;
    let struts = network.struts().len();
    let mut files = Vec::new();
    let mesh_needed = || mesh.expect("meshed when a mesh file is asked for");
    if spec.outputs.stl {
        stage("stl");
        let t = Instant::now();
        write_stl(dir.join("implant.stl"), mesh_needed())?;
        timings.stl = t.elapsed().as_secs_f64();
        files.push(FileReport::of(dir, "implant.stl", struts));
    }
    if spec.outputs.threemf {
        stage("3mf");
        let t = Instant::now();
        let content = ThreeMfContent {
            mesh: Some(mesh_needed()),
            lattice: None,
        };
        write_3mf(
            dir.join(size::MESH_3MF),
            &content,
            &ThreeMfOptions::default(),
        )?;
        timings.threemf = t.elapsed().as_secs_f64();
        files.push(FileReport::of(dir, size::MESH_3MF, struts));
    }
    if spec.outputs.beam_lattice {
        files.push(write_beams(network, dir, timings, stage)?);
    }
    let step = size::writes_step(&spec.outputs, struts);
    if spec.outputs.step.is_none() && !step {
        warnings.push(format!(
            "implant.step was not written: about {:.0} MB for {struts} struts, more than \
             outputs.max_file_mb = {} (ask for it with outputs: {{step: true}} and a larger \
             max_file_mb)",
            size::step_megabytes(struts),
            spec.outputs.max_file_mb
        ));
    }
    if step {
        stage("step");
        let t = Instant::now();
        write_step(dir.join("implant.step"), network, &StepOptions::default())?;
        timings.step = t.elapsed().as_secs_f64();
        files.push(FileReport::of(dir, "implant.step", struts));
    }
    if spec.outputs.plots {
        stage("plots");
        let t = Instant::now();
        files.extend(plots::write_plots(dir, spec, prepared)?);
        timings.plots = t.elapsed().as_secs_f64();
    }
    Ok(files)
}

/// Writes the beam-lattice 3MF (`implant.beams.3mf`: beams and balls, no triangles) into
/// `dir`; adds the time taken to `timings`.
fn write_beams(
    network: &StrutNetwork,
    dir: &Path,
    timings: &mut Timings,
    stage: &dyn Fn(&str),
) -> Result<FileReport, BuildError> {
    stage("beam lattice");
    let t = Instant::now();
    let content = ThreeMfContent {
        mesh: None,
        lattice: Some(network),
    };
    let stats = write_3mf(
        dir.join(size::BEAMS_3MF),
        &content,
        &ThreeMfOptions::default(),
    )?;
    timings.beam_lattice = t.elapsed().as_secs_f64();
    let mut f = FileReport::of(dir, size::BEAMS_3MF, network.struts().len());
    if stats.beams > 0 {
        f.beam_lattice_bytes_per_beam = Some(stats.beam_bytes as f64 / stats.beams as f64);
    }
    Ok(f)
}

/// [`CellNeeds::check`] at cell size `h` (mm), the miss as a build error naming `at`.
fn printable_at(
    needs: &CellNeeds,
    h: f64,
    limits: &crate::manufacturing::Manufacturing,
    at: &CellLocation,
) -> Result<(), BuildError> {
    needs.check(h, limits).map_err(|miss| match miss {
        LimitViolation::StrutTooThin {
            diameter,
            limit,
            cell_size,
            fix,
        } => BuildError::StrutTooThin {
            diameter,
            limit,
            cell_size,
            fix,
            at: at.clone(),
        },
        LimitViolation::PoreTooSmall {
            pore,
            limit,
            cell_size,
            fix,
        } => BuildError::PoreTooSmall {
            pore,
            limit,
            cell_size,
            fix,
            at: at.clone(),
        },
    })
}

/// The uniform path: one design's cell, checked against the manufacturing limits, FE
/// homogenized, tiled over the domain.
fn uniform(
    spec: &Spec,
    design: &Design,
    timings: &mut Timings,
    warnings: &mut Vec<String>,
    stage: &dyn Fn(&str),
) -> Result<(Prepared, UniformReport), BuildError> {
    stage("cell");
    let t = Instant::now();
    let unit = design.cell(RangePolicy::Strict)?;
    let needs = CellNeeds::of(&unit);
    let h = match spec.cell_size {
        CellSize::Fixed(h) => {
            printable_at(&needs, h, &spec.manufacturing, &CellLocation::Uniform)?;
            h
        }
        CellSize::Auto => needs.smallest_cell_size(&spec.manufacturing),
    };
    check_fits_domain(&spec.domain, h)?;
    let cell = unit.scaled(h);
    let fe = homogenize(&unit, &spec.material, &FemOptions::default())?;
    timings.cell = t.elapsed().as_secs_f64();

    // Before tiling: the domain holds about volume / cell volume cells of the cell's struts.
    let cells = domain_volume(&spec.domain) / cell.volume();
    let struts = (cells * cell.struts().len() as f64).min(u64::MAX as f64) as u64;
    let struts = usize::try_from(struts).unwrap_or(usize::MAX);
    check_sizes(
        spec,
        explicit_triangles(spec, struts),
        struts,
        "estimated before tiling",
        SizeCause::Cells {
            cells,
            struts_per_cell: cell.struts().len(),
        },
    )?;
    stage("tile");
    let t = Instant::now();
    let tiled = tile(&cell, &spec.domain, spec.origin)?;
    timings.tile = t.elapsed().as_secs_f64();
    if tiled.stats.components_removed > 0 {
        warnings.push(format!(
            "{} disconnected pieces ({} struts) were removed after trimming",
            tiled.stats.components_removed, tiled.stats.component_struts_removed
        ));
    }
    let report = UniformReport::new(spec, design, &cell, &fe.stiffness, &tiled, needs, h);
    Ok((
        Prepared {
            network: tiled.network,
            cell_size: h,
            point_stiffness: Vec::new(),
            overlay: None,
            cell_stiffness: Some(fe.stiffness),
        },
        report,
    ))
}

/// Stops with [`BuildError::TooLarge`] when a mesh file of `triangles` triangles would exceed
/// `outputs.max_file_mb`.
fn check_sizes(
    spec: &Spec,
    triangles: u64,
    struts: usize,
    when: &'static str,
    why: SizeCause,
) -> Result<(), BuildError> {
    let sizes = size::sizes(&spec.outputs, triangles, struts);
    match size::first_too_large(&spec.outputs, &sizes) {
        Some((file, mb)) => Err(BuildError::TooLarge {
            file: file.to_string(),
            mb,
            when,
            limit: spec.outputs.max_file_mb,
            fix: size::how_to_shrink(file),
            why,
        }),
        None => Ok(()),
    }
}

/// A cell size `h` (mm) larger than the domain's smallest bounding-box extent leaves no whole
/// cell in it: [`BuildError::CellSizeIncompatible`].
pub(crate) fn check_fits_domain(domain: &Domain, h: f64) -> Result<(), BuildError> {
    let (lo, hi) = domain.bounding_box();
    let extent = (0..3).map(|i| hi[i] - lo[i]).fold(f64::INFINITY, f64::min);
    if h > extent {
        return Err(BuildError::CellSizeIncompatible {
            cell_size: h,
            reason: format!(
                "no whole cell fits in the domain (its smallest extent is {extent:.3} mm); use a \
                 smaller cell_size or a denser design"
            ),
        });
    }
    Ok(())
}

/// The volume of a domain, mm³.
pub fn domain_volume(domain: &Domain) -> f64 {
    match domain {
        Domain::Box { min, max } => (0..3).map(|i| max[i] - min[i]).product(),
        Domain::Cylinder { radius, height, .. } => std::f64::consts::PI * radius * radius * height,
        Domain::Envelope(e) => e.volume(),
    }
}
