//! The build pipeline (`trussforge build`, [`build`]): spec → strut network → watertight mesh → full mesh check → STL, 3MF
//! (+ beam lattice), STEP, `report.json` and plots.
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
mod cell_size;
mod graded;
mod output_dir;
mod plots;
mod pores;
mod report;
mod size;

use std::path::{Path, PathBuf};
use std::time::Instant;

use thiserror::Error;

pub use cell_size::{CellNeeds, PrintableWithin};
pub use graded::{CandidateSummary, ComponentRow, GradedReport, PointReport, SegmentReport};
pub use pores::smallest_gap;
pub use report::{BuildReport, FileReport, Timings, UniformReport};

use crate::design_space::{Design, DesignError, RangePolicy};
use crate::export::{
    ExportError, StepOptions, ThreeMfContent, ThreeMfOptions, write_3mf, write_step, write_stl,
};
use crate::fem::{FemError, FemOptions, homogenize};
use crate::grading::GradingError;
use crate::mechanics::{ErrorMetrics, Stiffness};
use crate::mesh::{MeshError, MeshSettings, check, mesh_network_with_stats};
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
        /// Where (e.g. ` at control point "a"`), or empty.
        at: String,
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
        /// Where (e.g. ` at control point "a"`), or empty.
        at: String,
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
    /// Inverse design of a control point failed.
    #[error("{what}: {message}")]
    InverseDesign {
        /// What was being done.
        what: String,
        /// The cause.
        message: String,
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
        /// Why the mesh is larger than estimated (the explicit mesher refused the network and
        /// the implicit one ran), or empty.
        why: String,
    },
    /// A file-system operation on the output folder failed.
    #[error("{}: {message}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
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

    let (prepared, uniform_report, graded_report) = match &spec.fill {
        Fill::Uniform(design) => {
            let (p, r) = uniform(spec, design, &mut timings, &mut warnings, stage)?;
            (p, Some(r), None)
        }
        Fill::Graded(fill) => {
            let (p, r) = graded::prepare(spec, fill, &mut timings, &mut warnings, stage)?;
            (p, None, Some(r))
        }
    };
    let network = &prepared.network;

    let n = crate::mesh::hub::segments(spec.mesh.chord_tolerance);
    let struts = network.struts().len();
    let expected = size::estimate_triangles(struts, n);
    check_sizes(
        spec,
        expected,
        struts,
        "estimated before meshing",
        String::new(),
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
            let per_strut = estimated / struts.max(1) as u64;
            let why = match &fallback {
                Some(f) => format!(
                    "; the explicit mesher refused the network ({f}), so the implicit one would \
                     run (about {per_strut} triangles per strut)"
                ),
                None => format!(
                    "; mesh.method is implicit (about {per_strut} triangles per strut): \
                     mesh.method: auto meshes explicitly (about 50), or use a coarser \
                     mesh.resolution"
                ),
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
    let why = mesh_stats.fallback.as_ref().map_or_else(String::new, |f| {
        format!("; the explicit mesher refused the network ({f}), so the implicit one ran")
    });
    check_sizes(
        spec,
        mesh.triangles().len() as u64,
        struts,
        "measured after meshing",
        why,
    )?;
    stage("check");
    let t = Instant::now();
    let mut mesh_check = check(&mesh);
    mesh_check.clone().into_result()?;
    // Enclosed voids would trap powder: fill them (drop their inner shells), then re-check.
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
    timings.check = t.elapsed().as_secs_f64();

    let parent = out_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io = |path: &Path, e: std::io::Error| BuildError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    output_dir::clean_stale(parent, &name);
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
    let struts = network.struts().len();
    let result = (|| -> Result<BuildReport, BuildError> {
        let mut files = Vec::new();
        if spec.outputs.stl {
            stage("stl");
            let t = Instant::now();
            write_stl(staging.join("implant.stl"), &mesh)?;
            timings.stl = t.elapsed().as_secs_f64();
            files.push(FileReport::of(&staging, "implant.stl", struts));
        }
        if spec.outputs.threemf {
            stage("3mf");
            let t = Instant::now();
            let content = ThreeMfContent {
                mesh: Some(&mesh),
                lattice: spec.outputs.beam_lattice.then_some(network),
            };
            let stats = write_3mf(
                staging.join("implant.3mf"),
                &content,
                &ThreeMfOptions::default(),
            )?;
            timings.threemf = t.elapsed().as_secs_f64();
            let mut f = FileReport::of(&staging, "implant.3mf", struts);
            if stats.beams > 0 {
                f.beam_lattice_bytes_per_beam = Some(stats.beam_bytes as f64 / stats.beams as f64);
            }
            files.push(f);
        }
        if spec.outputs.step {
            stage("step");
            let t = Instant::now();
            write_step(
                staging.join("implant.step"),
                network,
                &StepOptions::default(),
            )?;
            timings.step = t.elapsed().as_secs_f64();
            files.push(FileReport::of(&staging, "implant.step", struts));
        }
        if spec.outputs.plots {
            stage("plots");
            let t = Instant::now();
            files.extend(plots::write_plots(&staging, spec, &prepared)?);
            timings.plots = t.elapsed().as_secs_f64();
        }
        timings.total = total.elapsed().as_secs_f64();
        let report = BuildReport::new(
            spec,
            &prepared,
            uniform_report,
            graded_report,
            &mesh,
            &mesh_stats,
            &mesh_check,
            domain_volume(&spec.domain),
            files,
            timings,
            warnings,
        );
        let json = serde_json::to_vec_pretty(&report).expect("report serializes");
        crate::fsutil::atomic_write_bytes(&staging.join("report.json"), &json)
            .map_err(|e| io(&staging.join("report.json"), e))?;
        Ok(report)
    })();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    // Swap the finished folder in: the old output is removed only once the new one is whole.
    // The folder was checked before the work, but may have changed since: check again.
    let swap = || -> Result<(), BuildError> {
        output_dir::check_output_dir(out_dir, &spec.source)?;
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        if out_dir.exists() {
            std::fs::rename(out_dir, &old).map_err(|e| io(out_dir, e))?;
        }
        if let Err(e) = std::fs::rename(&staging, out_dir) {
            // Put the previous output back.
            let _ = std::fs::rename(&old, out_dir);
            return Err(io(out_dir, e));
        }
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| BuildError::Io {
                path: old.clone(),
                message: format!(
                    "the new output is in place but the previous one could not be removed \
                     from this hidden folder: {e}"
                ),
            })?;
        }
        Ok(())
    };
    if let Err(e) = swap() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    Ok(report)
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
            needs.check(h, &spec.manufacturing, "")?;
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
    let n = crate::mesh::hub::segments(spec.mesh.chord_tolerance);
    check_sizes(
        spec,
        size::estimate_triangles(usize::try_from(struts).unwrap_or(usize::MAX), n),
        usize::try_from(struts).unwrap_or(usize::MAX),
        "estimated before tiling",
        if cells.is_finite() {
            format!(
                "; the domain holds about {cells:.3e} cells of {} struts",
                cell.struts().len()
            )
        } else {
            "; the domain holds more cells than can be counted".to_string()
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

/// A cell size `h` (mm) larger than the domain's smallest bounding-box extent leaves no whole
/// cell in it: [`BuildError::CellSizeIncompatible`].
/// Stops with [`BuildError::TooLarge`] when a mesh file of `triangles` triangles would exceed
/// `outputs.max_file_mb`.
fn check_sizes(
    spec: &Spec,
    triangles: u64,
    struts: usize,
    when: &'static str,
    why: String,
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
