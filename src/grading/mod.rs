//! Grading: blending the unit cells chosen at a few anatomical control points into one graded
//! strut network.
//!
//! The steps, one file each:
//! 1. [`align`] (`align.rs`): each control point's primitive cell `A_i = h_i·F_i` (mm, `h_i` the
//!    point's own cell size) is replaced by the cube-rotated variant `A_i Q` (graph mapped by
//!    `Qᵀ`, geometry unchanged) closest to its neighbours.
//! 2. Cores (`cores.rs`): every point keeps its design unblended in a block of `(2k+1)³` cells
//!    centred on it (`core_cells` = k, clipped where cores would meet; points too close for
//!    any core lose it, with a note giving the distance needed).
//! 3. [`DesignField`] (`interpolate.rs`): `A(x) = (Σ w_i(x) A_i^{-T})^{-T}`, reciprocal-space
//!    interpolation with modified Shepard weights over the k nearest points (rstar), taken on
//!    the distance to each point's core, so `w_i = 1` inside core `i`.
//! 4. [`Scaffold`] (`scaffold.rs`): cell corners on an integer grid fitted by least squares to
//!    the columns of `A` at the edge midpoints, with the corners of every core pinned to its
//!    exact lattice (the point at its cell's centre); cells are trilinear hexahedra sharing
//!    faces. Transitions (the free cells between cores) absorb the incompatibility.
//! 5. Blend (`blend.rs`): each cell carries the exactly superposed unit graphs of the control
//!    points with non-negligible weight, crossings split with shared nodes, diameters
//!    `D_i √w_i` (areas add), mapped through the cell's trilinear map, joined across cells,
//!    trimmed to the [`Domain`] and cleaned up; what the diameter rule did is counted per
//!    point region and per transition ([`TransitionStats`]).
//! 6. [`verify`] (`verify.rs`, `window.rs`): the graded cell at each control point is cut out as
//!    a periodic cell, and a window of the written network around it (3 × 3 × 3 cells where
//!    the core allows) is homogenized as a periodic supercell; both are compared with the
//!    point's own design (and a target); the stiffness is sampled along the segments between
//!    neighbouring control points.
//!
//! 7. [`ClosedLoop`] (`closed_loop.rs`): grade, verify, and refine the designs of the points
//!    that miss their tolerance as built, within the room between points ([`rooms`],
//!    `spacing.rs`), at most a few rounds.
//!
//! Units: positions, cell size, diameters and radii in mm; stiffness normalized by E.
//! The output is deterministic: maps are ordered (`BTreeMap`) and cells are visited in index
//! order (`x` fastest).
//!
//! # Guarantees and limits
//! - With one control point the network is exactly the tiled periodic cell
//!   ([`crate::network::tile`] with the origin at the control point).
//! - Struts meet only at shared nodes (crossings of different topologies are split exactly, in
//!   rational grid coordinates), neighbouring cells share their face nodes, and no strut is
//!   duplicated; coincident struts of several topologies become one strut whose area is the
//!   sum of theirs.
//! - Inside a core the lattice **is** the point's design: the pinned cells are its exact
//!   primitive cell and carry only its topology at its own diameter, so the cut-out cell and
//!   the window reproduce the design's FE stiffness to round-off (tested). A point without a
//!   core (too close to another) is only approximated: the scaffold there is a least-squares
//!   compromise between incompatible neighbouring cells.
//! - [`graded_cell`] treats a possibly non-parallelepiped cell as periodic with its mean edge
//!   vectors: an approximation for verification outside cores, not the network itself.
//! - Where the cell shape varies, a strut crossing a cell face is kinked there (each part
//!   follows its own cell's trilinear map); the elementary lattices stay inside the unit cube,
//!   so this only happens for cells built from other graphs.
//!
//! # Example
//! ```
//! use trussforge::design_space::{AxisAngle, Design, LatticeChoice, Topology};
//! use trussforge::grading::{ControlPoint, GradingOptions, grade};
//! use trussforge::network::Domain;
//! let bcc = LatticeChoice { lattice: 2, tessellation: 1 };
//! let design = Design {
//!     topology: Topology::try_new(&[bcc; 3]).unwrap(),
//!     relative_density: 0.05,
//!     u: [1.0; 3],
//!     r1: AxisAngle::IDENTITY,
//!     v: [1.0; 3],
//!     r2: AxisAngle::IDENTITY,
//! };
//! let points = vec![ControlPoint { id: "a".into(), position: [5.0; 3], design, cell_size: None }];
//! let domain = Domain::new_box([0.0; 3], [10.0; 3]).unwrap();
//! let graded = grade(&points, 2.5, &domain, &GradingOptions::default()).unwrap();
//! assert!(graded.network.struts().len() > 100);
//! ```

mod align;
mod blend;
mod choose;
mod closed_loop;
mod cores;
mod interpolate;
mod note;
mod scaffold;
mod spacing;
mod verify;
mod window;

use std::collections::BTreeMap;

use nalgebra::{Matrix3, Point3};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use crate::manufacturing::longest_diagonal;
pub use align::{AlignedCell, Alignment, align, cube_rotations};
pub use blend::{CellInfo, TransitionStats};
pub use choose::{
    ChoiceCost, ChoiceWeights, MISS_COST, NO_CORE_PENALTY, PointOptions, cell_distance,
    choice_costs, choose_designs, needed_distance,
};
pub use closed_loop::{ClosedLoop, LoopOutcome, LoopTarget};
pub use cores::Core;
pub use interpolate::{DesignField, WeightKind};
pub use note::GradingNote;
pub use scaffold::{Scaffold, ScaffoldStats};
pub use spacing::{TooCloseForCells, closest_pair, rooms, too_close_for_cells};
pub use verify::{
    ControlPointCheck, FailedSample, SegmentSample, Verification, VerifyOptions, WindowCheck,
    graded_cell, verify,
};
pub use window::{MAX_WINDOW_HALF_CELLS, WindowError, graded_window};

use crate::design_space::{Design, DesignError};
use crate::fem::FemError;
use crate::network::{
    ComponentPolicy, DanglingPolicy, Domain, DomainError, NetworkError, StrutNetwork,
};

/// A control point: a position (mm) and the design chosen for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlPoint {
    /// A unique name, used in messages and reports.
    pub id: String,
    /// Position, mm.
    pub position: [f64; 3],
    /// The design (unit cell) wanted here.
    pub design: Design,
    /// This point's cell size (edge of the design's unit cube), mm; `None` takes the `h` given
    /// to [`grade`]. The reciprocal-space interpolation carries size changes between points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_size: Option<f64>,
}

/// Grading options (a parameter bag: build with `..Default::default()`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradingOptions {
    /// How many nearest control points blend at a position (k ≥ 1). Default 4.
    pub neighbours: usize,
    /// Cells kept unblended on every side of each control point's own cell (its core, see
    /// `cores.rs`), clipped where cores would meet; `None` blends everywhere (no cores, no
    /// pinned corners: the cell at a point then only approximates its design). Default 1.
    pub core_cells: Option<usize>,
    /// Free cell layers required between two cores (≥ 1). Default 1.
    pub transition_cells: usize,
    /// Blend weights. Default inverse distance with power 2.
    pub weight: WeightKind,
    /// Printable minimum strut diameter, mm: pieces with a thinner mean diameter are dropped,
    /// thinner ends of the others are raised to it. Default 0.1 mm.
    pub min_strut_diameter: f64,
    /// Blend weights below this never make a cell carry a topology (dimensionless). Default
    /// 1e-3.
    pub min_weight: f64,
    /// Cube-rotation alignment of the control cells. Default [`Alignment::CubeRotations`].
    pub alignment: Alignment,
    /// Smallest allowed volume ratio `det B(x) / (Σ w_i (det B_i)^{1/3})³` (see
    /// [`DesignField`]; 1 for cells differing only in size); below it the interpolation is
    /// degenerate. Default 0.1.
    pub min_volume_ratio: f64,
    /// Most scaffold fit iterations (per extension of the index box). Default 50.
    pub scaffold_iterations: usize,
    /// The scaffold fit stops when no corner moves more than this times `h`. Default 1e-6.
    pub scaffold_tolerance: f64,
    /// Most scaffold corners before giving up. Default 2 000 000.
    pub max_scaffold_corners: usize,
    /// A clipping node between two collinear pieces is removed when the mapped pieces are
    /// straight within this distance, mm. Default 1e-9 mm.
    pub merge_tolerance: f64,
    /// Trimmed pieces shorter than this are dropped, mm. Default 1e-6 mm (as tiling).
    pub min_strut_length: f64,
    /// Dangling-strut removal after trimming. Default [`DanglingPolicy::RemoveUnanchored`].
    pub dangling: DanglingPolicy,
    /// Component filtering. Default [`ComponentPolicy::KeepLargest`].
    pub components: ComponentPolicy,
}

impl Default for GradingOptions {
    fn default() -> Self {
        Self {
            neighbours: 4,
            core_cells: Some(1),
            transition_cells: 1,
            weight: WeightKind::default(),
            min_strut_diameter: 0.1,
            min_weight: 1e-3,
            alignment: Alignment::default(),
            min_volume_ratio: 0.1,
            scaffold_iterations: 50,
            scaffold_tolerance: 1e-6,
            max_scaffold_corners: 2_000_000,
            merge_tolerance: 1e-9,
            min_strut_length: 1e-6,
            dangling: DanglingPolicy::default(),
            components: ComponentPolicy::default(),
        }
    }
}

/// Counts from one grading.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct GradingStats {
    /// Control points.
    pub control_points: usize,
    /// The scaffold fit.
    pub scaffold: ScaffoldStats,
    /// Cells touching the domain's bounding box (the cells that produced struts).
    pub cells: usize,
    /// Distinct carried sets (superposed cell contents built).
    pub distinct_cell_contents: usize,
    /// Extra splits of face pieces against the neighbouring cells' pieces and nodes.
    pub face_splits: usize,
    /// Distinct pieces after joining the cells.
    pub raw_struts: usize,
    /// Straight clipping nodes removed (two pieces joined into one strut).
    pub merged_nodes: usize,
    /// Pieces dropped for a mean diameter below the minimum.
    pub struts_below_minimum: usize,
    /// Pieces with no material at all (a neighbouring cell's face copy of a topology whose
    /// weight is zero there): never part of the lattice, not counted as dropped.
    pub absent_pieces: usize,
    /// Strut ends raised to the minimum diameter.
    pub clamped_ends: usize,
    /// Struts wholly inside the domain.
    pub struts_kept: usize,
    /// Struts cut at the domain boundary.
    pub struts_cut: usize,
    /// Struts outside the domain.
    pub struts_outside: usize,
    /// Trimmed pieces dropped as too short.
    pub short_pieces_dropped: usize,
    /// Dangling struts removed.
    pub dangling_removed: usize,
    /// Connected components removed (all but the largest).
    pub components_removed: usize,
    /// Struts in the removed components.
    pub component_struts_removed: usize,
    /// Nodes in the final network.
    pub nodes: usize,
    /// Struts in the final network.
    pub struts: usize,
    /// Smallest strut-end radius, mm.
    pub min_radius: f64,
    /// Largest strut-end radius, mm.
    pub max_radius: f64,
}

/// A graded lattice and everything needed to inspect it.
#[derive(Debug, Clone)]
pub struct GradedLattice {
    /// The strut network, mm.
    pub network: StrutNetwork,
    /// What happened on the way.
    pub stats: GradingStats,
    /// The fitted scaffold.
    pub scaffold: Scaffold,
    /// The lattice field.
    pub field: DesignField,
    /// The control points' aligned cells, in input order.
    pub aligned: Vec<AlignedCell>,
    /// The cells that produced struts (index order, `x` fastest) and what they carry.
    pub cells: Vec<CellInfo>,
    /// The default cell size `h` given to [`grade`], mm.
    pub cell_size: f64,
    /// Every control point's cell size, mm (input order).
    pub cell_sizes: Vec<f64>,
    /// Every control point's core, input order (empty without cores).
    pub cores: Vec<Core>,
    /// What the diameter rule did per control point region and per transition.
    pub transitions: Vec<TransitionStats>,
    /// Points that lost their cores, and the distance they would need.
    pub notes: Vec<GradingNote>,
    /// The options used.
    pub options: GradingOptions,
}

/// What a verification check homogenizes, for error messages and reports.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CheckSite {
    /// A scaffold cell on its own (`cell [i, j, k]`).
    Cell([i64; 3]),
    /// The graded cell at a control point (its id).
    ControlPoint(String),
    /// The ungraded design cell of a control point (its id).
    DesignOf(String),
    /// A sample on the segment between two control points (`from→to t=0.50`).
    SegmentSample {
        /// The first control point's id.
        from: String,
        /// The second control point's id.
        to: String,
        /// Position along the segment, 0 at `from` to 1 at `to`.
        t: f64,
    },
}

impl std::fmt::Display for CheckSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckSite::Cell(cell) => write!(f, "cell {cell:?}"),
            CheckSite::ControlPoint(id) => write!(f, "{id}"),
            CheckSite::DesignOf(id) => write!(f, "design of {id}"),
            CheckSite::SegmentSample { from, to, t } => write!(f, "{from}→{to} t={t:.2}"),
        }
    }
}

impl serde::Serialize for CheckSite {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Why grading failed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum GradingError {
    /// No control points were given. Fix: give at least one.
    #[error("no control points: grading needs at least one")]
    NoControlPoints,
    /// The cell size is not a positive length. Fix: give `h > 0` in mm.
    #[error("cell size h = {h} mm must be finite and > 0")]
    InvalidCellSize {
        /// The value given, mm.
        h: f64,
    },
    /// An option is out of range. Fix: see [`GradingOptions`].
    #[error("invalid grading option {field} = {value}: {reason}")]
    InvalidOption {
        /// The option.
        field: &'static str,
        /// The value given.
        value: String,
        /// The allowed range.
        reason: &'static str,
    },
    /// Two control points share an id. Fix: rename one.
    #[error("control point id {id:?} is used twice")]
    DuplicateId {
        /// The id.
        id: String,
    },
    /// A position is not finite.
    #[error("control point {id:?} has a non-finite position {position:?} mm")]
    NonFinitePosition {
        /// The control point.
        id: String,
        /// The position, mm.
        position: [f64; 3],
    },
    /// Two control points at the same position. Fix: merge them or move one.
    #[error("control points {a:?} and {b:?} are both at {position:?} mm")]
    CoincidentPoints {
        /// First id.
        a: String,
        /// Second id.
        b: String,
        /// The shared position, mm.
        position: [f64; 3],
    },
    /// A control point's design is invalid.
    #[error("control point {id:?}")]
    Design {
        /// The control point.
        id: String,
        /// What is wrong with the design.
        source: Box<DesignError>,
    },
    /// The interpolated cell is (nearly) singular: the blended reciprocal cell's volume
    /// relative to the blend of the neighbours' sizes is below `min_volume_ratio` (or negative),
    /// e.g. cells of opposite orientation being averaged. Fix: enable alignment, choose
    /// compatible orientations for the named points, or move them apart.
    #[error(
        "degenerate interpolated cell at ({:.3}, {:.3}, {:.3}) mm: det ratio {volume_ratio:.3e} \
         between control points {}; the cells there point in incompatible directions",
        position[0], position[1], position[2], points.join(", ")
    )]
    DegenerateInterpolation {
        /// Where, mm.
        position: [f64; 3],
        /// The volume ratio `det B(x) / (Σ w_i (det B_i)^{1/3})³` (or the det of a control cell
        /// that is itself bad).
        volume_ratio: f64,
        /// The ids of the control points blending there.
        points: Vec<String>,
    },
    /// A scaffold cell folded over (non-positive trilinear Jacobian at a corner). Fix: move
    /// the named control points apart relative to the cell size, or make their cells more alike.
    #[error(
        "scaffold cell {cell:?} is inverted at ({:.3}, {:.3}, {:.3}) mm (Jacobian {jacobian:.3e} \
         mm³) near control points {}",
        position[0], position[1], position[2], points.join(", ")
    )]
    InvertedCell {
        /// The cell index.
        cell: [i64; 3],
        /// The corner where the Jacobian is not positive, mm.
        position: [f64; 3],
        /// The Jacobian determinant there, mm³.
        jacobian: f64,
        /// The ids of the control points blending there.
        points: Vec<String>,
    },
    /// The scaffold would have too many corners (is `h` in mm?).
    #[error(
        "the scaffold needs {corners} corners (limit {limit}); is the cell size h = {cell_size} \
         in mm?"
    )]
    ScaffoldTooLarge {
        /// Corners needed.
        corners: usize,
        /// The limit ([`GradingOptions::max_scaffold_corners`]).
        limit: usize,
        /// The cell size, mm.
        cell_size: f64,
    },
    /// The scaffold fit produced non-finite corners.
    #[error("the scaffold fit diverged at iteration {iteration} (corner update {update} mm)")]
    ScaffoldDiverged {
        /// The iteration.
        iteration: usize,
        /// The last update, mm.
        update: f64,
    },
    /// The domain is invalid.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Nothing of the lattice remains in the domain.
    #[error("no strut remains in the domain (bounding box {min:?}–{max:?} mm)")]
    Empty {
        /// Bounding box minimum, mm.
        min: [f64; 3],
        /// Bounding box maximum, mm.
        max: [f64; 3],
    },
    /// The network failed its invariants (a bug).
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// A control point lies outside the scaffold (verification).
    #[error("control point {id:?} at {position:?} mm lies outside the scaffold")]
    OutsideScaffold {
        /// The control point.
        id: String,
        /// Its position, mm.
        position: [f64; 3],
    },
    /// A graded cell could not be homogenized (verification).
    #[error("homogenizing the graded cell {cell:?} ({what})")]
    Fem {
        /// Which check.
        what: CheckSite,
        /// The cell index.
        cell: [i64; 3],
        /// The homogenizer's error.
        source: Box<FemError>,
    },
    /// A graded cell has no strut left (verification).
    #[error("the graded cell {cell:?} ({what}) has no struts above the minimum diameter")]
    EmptyCell {
        /// Which check.
        what: CheckSite,
        /// The cell index.
        cell: [i64; 3],
    },
    /// A graded cell's struts make no valid periodic cell (verification).
    #[error("the graded cell {cell:?} is not a valid periodic cell")]
    InvalidCell {
        /// The cell index.
        cell: [i64; 3],
        /// What is wrong with it.
        source: Box<DesignError>,
    },
}

/// The control points' ids, positions (mm) and aligned lattices, in input order.
struct Controls {
    ids: Vec<String>,
    positions: Vec<[f64; 3]>,
    lattices: Vec<Matrix3<f64>>,
}

/// Fits scaffolds over the domain's bounding box from the first control point with the
/// smallest cell size.
struct ScaffoldFit {
    anchor: [f64; 3],
    h_min: f64,
    bbox: ([f64; 3], [f64; 3]),
    options: scaffold::ScaffoldOptions,
}

impl ScaffoldFit {
    /// The scaffold of `field` with the cells `pins` pinned.
    fn fit(
        &self,
        field: &DesignField,
        pins: &BTreeMap<[i64; 3], Point3<f64>>,
    ) -> Result<Scaffold, GradingError> {
        scaffold::build_scaffold(
            field,
            self.anchor,
            self.h_min,
            self.bbox,
            &self.options,
            pins,
        )
    }
}

/// The scaffold cell of each control point.
fn control_cells(
    scaffold: &Scaffold,
    points: &[ControlPoint],
) -> Result<Vec<[i64; 3]>, GradingError> {
    points
        .iter()
        .map(|p| {
            scaffold.locate(p.position).map(|(c, _)| c).ok_or_else(|| {
                GradingError::OutsideScaffold {
                    id: p.id.clone(),
                    position: p.position,
                }
            })
        })
        .collect()
}

/// Transition layers a folding scaffold may add to `grading.transition_cells` before cores are
/// dropped. A fold is resolved in this order: the cores of the points blending there shrink
/// to one cell; the transitions widen, only while the room between the points keeps every
/// core (a widening that costs a core in index space is undone); then one core at a time is
/// dropped, the largest named cell's first.
const MAX_WIDENING: usize = 2;

/// Whether `t` transition cells still leave every point that has a core in `half` one (the
/// room between the points allows the wider transitions): widening where it does not would
/// trade a fold for the cores of every pair it no longer fits.
fn widening_keeps_cores(
    controls: &Controls,
    requested: usize,
    t: usize,
    half: &[Option<usize>],
) -> bool {
    let mut ignored = Vec::new();
    let wider = cores::clip_in_space(
        &controls.ids,
        &controls.positions,
        &controls.lattices,
        requested,
        t,
        &mut ignored,
    );
    half.iter()
        .zip(&wider)
        .all(|(k, w)| k.is_none() || w.is_some())
}

/// The field with cores of `requested` half-cells (clipped where points are too close or a
/// transition folds the scaffold, with notes), the scaffold pinned to the cores, and the cores.
fn fit_with_cores(
    points: &[ControlPoint],
    plain: DesignField,
    controls: &Controls,
    fitter: &ScaffoldFit,
    (requested, t): (usize, usize),
    notes: &mut Vec<GradingNote>,
) -> Result<(DesignField, Scaffold, Vec<Core>), GradingError> {
    let Controls {
        ids,
        positions,
        lattices,
    } = controls;
    let no_pins = BTreeMap::new();
    let mut t = t;
    let widest = t + MAX_WIDENING;
    let mut half = cores::clip_in_space(ids, positions, lattices, requested, t, notes);
    // Before the last widening (transitions, cores, notes so far): restored when the wider
    // transitions cost a core in index space, after which folds drop cores instead.
    let mut widened_from: Option<(usize, Vec<Option<usize>>, usize)> = None;
    let mut may_widen = true;
    loop {
        // A point without a core is a point-like core (zero only at the point).
        let field = plain.clone().with_cores(
            half.iter()
                .map(|k| k.map_or(0.0, |k| k as f64 + 0.5))
                .collect(),
        );
        field.check_segments(16)?;
        let free = fitter.fit(&field, &no_pins)?;
        let cells = control_cells(&free, points)?;
        let clipped =
            cores::clip_in_index_space(ids, positions, lattices, &cells, &mut half, t, notes);
        let widened = widened_from.take();
        if clipped {
            if let Some((t0, before, kept_notes)) = widened
                && before
                    .iter()
                    .zip(&half)
                    .any(|(b, k)| b.is_some() && k.is_none())
            {
                (t, half) = (t0, before);
                notes.truncate(kept_notes);
                may_widen = false;
            }
            continue;
        }
        let pins = cores::pins(positions, lattices, &cells, &half);
        let pinned = match fitter.fit(&field, &pins) {
            Ok(s) => s,
            // A transition too short for the change between two cores folds a cell: shrink
            // the cores of the points blending there to one cell, then widen the transitions
            // (where the room keeps every core), then drop the largest of those cores, and
            // refit (see MAX_WIDENING).
            Err(GradingError::InvertedCell { points: near, .. })
                if cores::shrink_named_to_one_cell(ids, &near, &mut half) =>
            {
                continue;
            }
            Err(GradingError::InvertedCell { .. })
                if may_widen
                    && t < widest
                    && widening_keeps_cores(controls, requested, t + 1, &half) =>
            {
                widened_from = Some((t, half.clone(), notes.len()));
                t += 1;
                let mut wider_notes = Vec::new();
                let wider =
                    cores::clip_in_space(ids, positions, lattices, requested, t, &mut wider_notes);
                for (k, w) in half.iter_mut().zip(wider) {
                    *k = k.zip(w).map(|(a, b)| a.min(b));
                }
                notes.extend(wider_notes);
                continue;
            }
            Err(GradingError::InvertedCell { points: near, .. })
                if cores::drop_largest_named(ids, &near, lattices, &mut half, notes) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        };
        let cores = (0..points.len())
            .map(|i| Core {
                id: ids[i].clone(),
                cell: cells[i],
                half_cells: half[i],
                requested,
            })
            .collect();
        return Ok((field, pinned, cores));
    }
}

/// Grades the control points' designs into one strut network over `domain`, with cells of
/// edge `h` (mm). See the module docs for the steps.
///
/// # Errors
/// A [`GradingError`] naming the bad input, the degenerate region and the control points
/// involved.
pub fn grade(
    points: &[ControlPoint],
    h: f64,
    domain: &Domain,
    options: &GradingOptions,
) -> Result<GradedLattice, GradingError> {
    validate(points, h, options)?;
    domain.validate()?;
    let aligned = align(points, h, options.neighbours, options.alignment)?;
    let controls = Controls {
        ids: points.iter().map(|p| p.id.clone()).collect(),
        positions: points.iter().map(|p| p.position).collect(),
        lattices: aligned.iter().map(|a| a.lattice).collect(),
    };
    let cell_sizes: Vec<f64> = points.iter().map(|p| p.cell_size.unwrap_or(h)).collect();
    let fitter = ScaffoldFit {
        anchor: controls.positions[0],
        h_min: cell_sizes.iter().copied().fold(f64::INFINITY, f64::min),
        bbox: domain.bounding_box(),
        options: scaffold::ScaffoldOptions {
            max_iterations: options.scaffold_iterations,
            tolerance: options.scaffold_tolerance,
            max_corners: options.max_scaffold_corners,
        },
    };
    let plain = DesignField::new(
        controls.ids.clone(),
        controls.positions.clone(),
        controls.lattices.clone(),
        options.weight,
        options.neighbours,
        options.min_volume_ratio,
    )?;
    let mut notes = Vec::new();
    let (field, scaffold, cores) = match options.core_cells {
        None => {
            plain.check_segments(16)?;
            let s = fitter.fit(&plain, &BTreeMap::new())?;
            (plain, s, Vec::new())
        }
        Some(requested) => fit_with_cores(
            points,
            plain,
            &controls,
            &fitter,
            (requested, options.transition_cells),
            &mut notes,
        )?,
    };
    let mut stats = GradingStats {
        control_points: points.len(),
        scaffold: *scaffold.stats(),
        ..Default::default()
    };
    let blended = blend::blend(&field, &aligned, &scaffold, domain, options, &mut stats)?;
    Ok(GradedLattice {
        network: blended.network,
        stats,
        scaffold,
        field,
        aligned,
        cells: blended.cells,
        cell_size: h,
        cell_sizes,
        cores,
        transitions: blended.transitions,
        notes,
        options: *options,
    })
}

/// Checks the cell sizes, the options and the control points (see [`GradingError`]).
fn validate(points: &[ControlPoint], h: f64, options: &GradingOptions) -> Result<(), GradingError> {
    if points.is_empty() {
        return Err(GradingError::NoControlPoints);
    }
    if !(h.is_finite() && h > 0.0) {
        return Err(GradingError::InvalidCellSize { h });
    }
    for p in points {
        if let Some(h) = p.cell_size
            && !(h.is_finite() && h > 0.0)
        {
            return Err(GradingError::InvalidCellSize { h });
        }
    }
    validate_options(options)?;
    validate_points(points)
}

/// Checks the ranges of the grading options.
fn validate_options(options: &GradingOptions) -> Result<(), GradingError> {
    if options.transition_cells == 0 {
        return Err(GradingError::InvalidOption {
            field: "transition_cells",
            value: "0".into(),
            reason: "at least 1 cell layer is needed between cores",
        });
    }
    let bad = |field: &'static str, value: f64, reason: &'static str| {
        Err(GradingError::InvalidOption {
            field,
            value: value.to_string(),
            reason,
        })
    };
    if !(options.min_strut_diameter.is_finite() && options.min_strut_diameter >= 0.0) {
        return bad(
            "min_strut_diameter",
            options.min_strut_diameter,
            "must be ≥ 0 mm",
        );
    }
    if !(0.0..1.0).contains(&options.min_weight) {
        return bad("min_weight", options.min_weight, "must be in [0, 1)");
    }
    if !(options.min_volume_ratio > 0.0 && options.min_volume_ratio < 1.0) {
        return bad(
            "min_volume_ratio",
            options.min_volume_ratio,
            "must be in (0, 1)",
        );
    }
    if options.scaffold_iterations == 0 {
        return bad("scaffold_iterations", 0.0, "must be ≥ 1");
    }
    if options.scaffold_tolerance.is_nan() || options.scaffold_tolerance <= 0.0 {
        return bad(
            "scaffold_tolerance",
            options.scaffold_tolerance,
            "must be > 0",
        );
    }
    if blend::below(options.merge_tolerance, 0.0) {
        return bad("merge_tolerance", options.merge_tolerance, "must be ≥ 0 mm");
    }
    if blend::below(options.min_strut_length, 0.0) {
        return bad(
            "min_strut_length",
            options.min_strut_length,
            "must be ≥ 0 mm",
        );
    }
    Ok(())
}

/// Checks that the control points have distinct ids and distinct, finite positions.
fn validate_points(points: &[ControlPoint]) -> Result<(), GradingError> {
    let mut ids = std::collections::BTreeSet::new();
    for p in points {
        if !ids.insert(p.id.as_str()) {
            return Err(GradingError::DuplicateId { id: p.id.clone() });
        }
        if !p.position.iter().all(|v| v.is_finite()) {
            return Err(GradingError::NonFinitePosition {
                id: p.id.clone(),
                position: p.position,
            });
        }
    }
    let mut sorted: Vec<usize> = (0..points.len()).collect();
    sorted.sort_by(|&a, &b| {
        let (pa, pb) = (points[a].position, points[b].position);
        pa[0]
            .total_cmp(&pb[0])
            .then(pa[1].total_cmp(&pb[1]))
            .then(pa[2].total_cmp(&pb[2]))
    });
    for w in sorted.windows(2) {
        let (a, b) = (&points[w[0]], &points[w[1]]);
        if Point3::from(a.position) == Point3::from(b.position) {
            return Err(GradingError::CoincidentPoints {
                a: a.id.clone(),
                b: b.id.clone(),
                position: a.position,
            });
        }
    }
    Ok(())
}

// Tests are exempt from the function-length limit (long tables of cases read best whole).
#[cfg(test)]
#[allow(clippy::too_many_lines)]
mod tests;
