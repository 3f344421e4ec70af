//! Strut network → watertight triangle mesh, and mesh checks.
//!
//! # Conventions
//! - Lengths in millimetres.
//! - Signed distance: negative inside the solid, positive outside.
//! - Triangles are counter-clockwise seen from outside: normals `(v1 − v0) × (v2 − v0)` point
//!   out of the solid, and a closed mesh has a positive [`TriMesh::volume`].
//!
//! # The solid
//! The union over struts of the *round cone* between the end balls `(node a, radius_a)` and
//! `(node b, radius_b)`. Because a node's ball radius ([`StrutNetwork::node_radii`]) is the
//! largest end radius among its struts, the node balls are already contained in this union.
//! The round cone (convex hull of the two end balls) contains the linearly graded frustum
//! with spherical caps of the 3MF beam lattice and differs from it by at most
//! `r·(Δr/L)²` to leading order, i.e. not at all for constant-radius struts.
//!
//! # Two meshers
//! [`MeshSettings::method`] picks one; the default [`MeshMethod::Auto`] conditions the
//! network (short struts contracted, interfering and nearly parallel pieces fused at a common
//! node, each node moved by at most a few strut radii; `condition.rs`, reported as
//! [`ConditionStats`]), tries the explicit mesher, meshes only the neighbourhoods it refuses
//! implicitly and stitches them in (`local.rs`, reported as [`LocalStats`]), and falls back to
//! the implicit mesher for the whole network only when that patch does not settle or the
//! result fails [`check_topology`] ([`mesh_network_with_stats`] says which ran and why).
//!
//! **Explicit hubs and struts** ([`hub`]): one `n`-gon frustum per strut (`n` from
//! [`MeshSettings::chord_tolerance`], 10 at the default 0.05), set back from each node so the
//! rings at a node lie on one sphere with disjoint caps, and one convex hub per node (the
//! hull of its rings and of points on the node ball). 43–53 triangles per strut on lattices
//! (20 per prism, the rest in the hubs), ≈ 80–110k struts/s per core (CPU time).
//! It approximates a slightly different solid: near each node the convex hull of the ring
//! circles and the node ball rather than the union of round cones (the hub fills the
//! concave space between struts up to the set-back sphere). Measured volume: −3 % … +4 % of
//! the exact union on the elementary lattices, but +10.7 % (vs the implicit mesh) on the
//! example spec's dense 14-strut nodes (see the Tolerance section). It
//! refuses networks with nearly parallel struts at a node, struts shorter than their two
//! set-backs, and unrelated struts or hubs that come within their radii of each other.
//!
//! **Implicit** (the rest of this page): distance field and marching tetrahedra; handles
//! every network, ≈ 600 triangles per strut at resolution 1.0, ≈ 500–800 struts/s.
//!
//! # Pipeline (implicit)
//! [`mesh_network`]: exact signed distance on a sparse block grid (blocks of 8³ cells, only
//! near struts; struts per block and per 2³-cell brick found by the 1-Lipschitz distance
//! bound), marching tetrahedra on the Freudenthal split, exact welding, then
//! [`check_topology`] before anything is returned. [`check`] adds the self-intersection
//! test. [`read_stl`] loads a mesh back for `trussforge check`. Parallel over blocks
//! (rayon), deterministic, memory proportional to the surface. The contoured mesh is not
//! decimated: the implicit mesher serves only as the local fallback for the few nodes the
//! explicit mesher refuses (see [`mesh_network_with_stats`]) or where a spec asks for it.
//!
//! # Guarantees
//! **Explicit**: closed, 2-manifold, outward and free of self-intersections by the separation
//! conditions listed in [`hub`] (each checked before the mesh is returned, plus
//! [`check_topology`]); the full [`check`] confirms it in the tests (single struts, stars of
//! 2–12 struts, graded chain, jittered cubic lattice, every elementary lattice at low and high
//! density, a trimmed cylinder, a proptest of `Auto` on random networks).
//!
//! **Implicit**: the mesh is closed, 2-manifold, consistently outward-oriented and free of
//! self-intersections by construction:
//! - grid vertices with distance `< 0` are inside, all others outside (zero counts as
//!   outside), so no surface vertex sits on a grid vertex;
//! - each cube is split into six tetrahedra around its main diagonal (Kuhn/Freudenthal), a
//!   split that neighbouring cubes agree on; each tetrahedron with mixed signs emits one
//!   triangle or a quad (two triangles) whose vertices lie on its sign-changing edges, with
//!   outward winding taken from the tetrahedron's orientation;
//! - surface vertices are keyed by their grid edge, so shared edges weld exactly; the
//!   surface is (combinatorially) the level set of a regular value of a piecewise-linear
//!   function, hence a closed 2-manifold;
//! - every triangle lies inside its own tetrahedron and meets a neighbour's triangles only
//!   in welded vertices and edges, so there are no self-intersections;
//! - surface vertices are placed on the exact surface by regula falsi along their edge
//!   (to 10⁻³·h) and kept at least 1 % of the edge from its ends, so no triangle has zero
//!   area.
//!
//! These properties are verified by the full [`check`] in the unit tests (single struts,
//! nodes with 2–12 struts including nearly parallel pairs, graded chains, a jittered cubic
//! lattice, and a proptest over random networks).
//!
//! # Tolerance
//! **Explicit**: strut surfaces within `chord_tolerance/2 · r` of the frustum (the ring
//! polygon has the circle's area: vertices ≈ 0.5 % outside, edge midpoints ≈ 0.5 % inside at
//! `n = 10`); prisms have the exact frustum volume. Hubs deviate from the union of round cones
//! by at most the set-back sphere radius `ρ_v` (≥ 1.05 × the node ball radius, larger at sharp
//! angles, at most 3 × or the node is refused). Volume vs Monte-Carlo of the exact union
//! (`tests_hub.rs`): tested within 8 % on lattices and chains (measured −3 % … +4 % on the
//! seven elementary lattices at ρ = 0.01 and 0.1, +2.7 % on a jittered cubic lattice), 15 % on
//! isolated 2–4-strut stars (up to +14 %); the example spec's mesh is 10.7 % larger than
//! its implicit mesh. The overfill grows with node valence and strut radius / length.
//!
//! **Implicit**: with spacing `h = resolution × smallest radius`: every vertex lies within `0.01·√3·h` of
//! the exact surface (the 1 % clamp) and every triangle within `h` of it (chord error
//! `≈ e²/8r` for edges `e ≤ √3·h`). The enclosed volume is within 2 % of the exact solid at
//! the default resolution (measured −1.3 % on a capsule, −0.4 % on a frustum, within ±1.5 %
//! of Monte-Carlo estimates on node stars and lattices): flat triangles under-fill convex
//! surfaces. Struts thinner than about two cells could vanish; the spacing is derived from
//! the smallest radius (≥ 5.7 cells per diameter at the default) so they cannot.
//!
//! # Cost
//! **Explicit**: linear in the struts; the convex hull of each node (≈ `deg·(n+1)` + a few
//! ball points) dominates. See docs/performance.md ("Meshing") for measured figures.
//!
//! **Implicit**: contouring: triangles scale with surface area / h²: ≈ 6 500 per strut of length ≈ 8 radii
//! at the default resolution 0.35 (≈ 3 200 at 0.5, ≈ 1 600 at 0.7).
//! For lattices where even that is too many, export the struts as a 3MF beam lattice
//! instead (see [`crate::export`]).

mod condition;
mod contour;
pub mod hub;
mod hull;
mod local;
mod sdf;

use nalgebra::Point3;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::network::{Strut, StrutNetwork};

pub use crate::surface::{
    MAX_STL_BYTES, MeshReport, SurfaceError, TriMesh, check, check_stl_file, check_topology,
    drop_floating_pieces, fill_voids, read_stl, weld_and_clean,
};
pub use condition::ConditionStats;
pub use hub::{ExplicitFailure, HubStats, PatchFailure, Piece};
pub use local::{LocalStats, PatchReasons};

/// Why meshing, reading or checking a mesh failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MeshError {
    /// The network has no struts, so there is no solid. Fix: mesh a non-empty network.
    #[error("the strut network has no struts; nothing to mesh")]
    EmptyNetwork,
    /// `resolution` is not a finite number in (0, 1]. Fix: use e.g. the default 0.35.
    #[error("mesh resolution {resolution} is invalid; it must be finite and in (0, 1]")]
    BadResolution {
        /// The rejected value.
        resolution: f64,
    },
    /// The grid would need more cells per axis than the vertex keys can address.
    /// Fix: raise `resolution` (coarser grid) or split the network.
    #[error("the grid needs {cells} cells along one axis; at most {max} are supported")]
    GridTooLarge {
        /// Cells needed along the longest axis.
        cells: u64,
        /// The limit.
        max: u64,
    },
    /// More active cells than `MeshSettings::max_cells`. Fix: raise `resolution` or the limit.
    #[error("meshing needs {cells} active grid cells, more than the limit of {max}")]
    TooManyCells {
        /// Active cells needed.
        cells: u64,
        /// The configured limit.
        max: u64,
    },
    /// The implicit mesh would have more triangles than `MeshSettings::max_triangles`
    /// (estimated before contouring, from the struts' surface area). Fix: raise
    /// `chord_tolerance`/`resolution`, use fewer struts, or raise the limit.
    #[error(
        "the implicit mesh would have about {estimated} triangles, more than the limit of {max}"
    )]
    TooManyTriangles {
        /// Estimated triangles.
        estimated: u64,
        /// The limit.
        max: u64,
        /// Why the explicit mesher was not used (under `Auto`).
        fallback: Option<ExplicitFailure>,
    },
    /// [`MeshMethod::Explicit`] was asked for but the network cannot be meshed explicitly.
    /// Fix: use [`MeshMethod::Auto`] (falls back to the implicit mesher) or `Implicit`.
    #[error("explicit meshing failed: {0}")]
    Explicit(ExplicitFailure),
    /// `chord_tolerance` is not a finite number in (0, 0.5].
    /// Fix: use e.g. the default 0.05.
    #[error("chord tolerance {tolerance} is invalid; it must be finite and in (0, 0.5]")]
    BadChordTolerance {
        /// The rejected value.
        tolerance: f64,
    },
    /// A triangle mesh (read, built or checked) is not a valid closed surface, or an STL
    /// could not be read.
    #[error(transparent)]
    Surface(#[from] crate::surface::SurfaceError),
}

/// Which mesher [`mesh_network`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeshMethod {
    /// Explicit hubs and struts (checked, see [`hub`]), with the neighbourhoods the explicit
    /// mesher refuses meshed implicitly and stitched in; the implicit mesher for the whole
    /// network only where that fails. The default.
    #[default]
    Auto,
    /// Explicit hubs and struts ([`hub`]) only: an error where that is not possible.
    Explicit,
    /// The implicit mesher (signed distance + marching tetrahedra).
    Implicit,
}

/// What [`mesh_network_with_stats`] did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct MeshStats {
    /// The mesher that produced the mesh: `Explicit` or `Implicit` (never `Auto`).
    pub method: MeshMethod,
    /// Why the explicit mesher was not used, under [`MeshMethod::Auto`] (else `None`).
    pub fallback: Option<ExplicitFailure>,
    /// Sides per strut ring of the explicit mesher (0 for implicit meshes).
    pub segments: usize,
    /// Triangles in the mesh.
    pub triangles: usize,
    /// What conditioning changed in the network before explicit meshing (explicit only).
    pub conditioning: Option<ConditionStats>,
    /// How far the explicit hubs reach (explicit only).
    pub hubs: Option<HubStats>,
    /// The neighbourhoods the explicit mesher refused, meshed implicitly and stitched in
    /// (explicit under [`MeshMethod::Auto`] only; `None` when none was needed).
    pub local: Option<LocalStats>,
}

/// How finely to mesh. Build with `..Default::default()`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeshSettings {
    /// Grid spacing as a fraction of the smallest strut radius (dimensionless, in (0, 1]).
    /// Default 0.35: ≥ 5.7 cells across the thinnest strut, volume error ≈ 1 % (measured
    /// −1.3 % on a capsule), ≈ 6 500 triangles per strut of length ≈ 8 radii. Triangles scale
    /// as `1/resolution²`: 0.5 gives ≈ 3 200 and 0.7 ≈ 1 600 triangles per strut.
    pub resolution: f64,
    /// Upper bound on the number of active grid cells (memory/time guard). Default 2·10⁹.
    pub max_cells: u64,
    /// Which mesher to use. Default [`MeshMethod::Auto`].
    pub method: MeshMethod,
    /// Explicit mesher: largest chord sagitta of a strut ring as a fraction of its radius
    /// (dimensionless, in (0, 0.5]); the ring has `n` sides with `1 − cos(π/n) ≤ tol`
    /// ([`hub::segments`]). Default 0.05: `n = 10`, ≈ 45–50 triangles per strut.
    pub chord_tolerance: f64,
    /// Most triangles the implicit mesher may make, checked on an estimate before it runs
    /// ([`estimate_implicit_triangles`]); not a spec field (a build derives it from
    /// `outputs.max_file_mb`). Default: no limit.
    #[serde(skip)]
    pub max_triangles: u64,
}

impl Default for MeshSettings {
    fn default() -> Self {
        Self {
            resolution: 0.35,
            max_cells: 2_000_000_000,
            method: MeshMethod::Auto,
            chord_tolerance: 0.05,
            max_triangles: u64::MAX,
        }
    }
}

impl MeshSettings {
    /// The grid spacing for `net`, mm: `resolution × smallest strut radius`.
    pub fn spacing(&self, net: &StrutNetwork) -> f64 {
        self.resolution * net.smallest_radius()
    }
}

/// Meshes the solid of `net` (see the [module docs](self)) into a closed, 2-manifold,
/// outward-oriented, self-intersection-free triangle mesh, with the mesher chosen by
/// `settings.method` (default [`MeshMethod::Auto`]: explicit hubs and struts where possible,
/// else implicit; see [`mesh_network_with_stats`]).
///
/// Deterministic: the same network and settings give the identical mesh (explicit: vertices
/// and triangles by strut then node index; implicit: vertex order sorted by grid edge,
/// triangles by block). Both are parallel with rayon.
///
/// # Accuracy
/// Explicit: see the module docs (hubs slightly overfill the concave space at nodes).
/// Implicit: with grid spacing `h = resolution × r_min` the surface lies within `√3·h` of the exact
/// solid (typically much closer: the error is that of linear interpolation of the distance,
/// `O(h²/r)`); the enclosed volume is within ~1 % at the default resolution (see the tests).
///
/// # Errors
/// [`MeshError::EmptyNetwork`], [`MeshError::BadResolution`], [`MeshError::GridTooLarge`],
/// [`MeshError::TooManyCells`], [`MeshError::BadChordTolerance`], [`MeshError::Explicit`]
/// (only with [`MeshMethod::Explicit`]); and the check's errors if the result fails
/// [`check_topology`] (which the construction rules out). Self-intersections are excluded by
/// construction (see the contouring notes in the module docs) and verified by the full
/// [`check`] in the tests rather than on every call, as that test costs ~5× the meshing.
///
/// # Example
/// ```
/// use nalgebra::Point3;
/// use trussforge::mesh::{MeshSettings, check, mesh_network};
/// use trussforge::network::{NodeId, Strut, StrutNetwork};
/// let net = StrutNetwork::try_new(
///     vec![Point3::origin(), Point3::new(4.0, 0.0, 0.0)],
///     vec![Strut { a: NodeId(0), b: NodeId(1), radius_a: 0.5, radius_b: 0.5 }],
/// )?;
/// let mesh = mesh_network(&net, &MeshSettings::default())?;
/// let exact = std::f64::consts::PI * (0.25 * 4.0 + 4.0 / 3.0 * 0.125); // capsule, mm³
/// assert!((mesh.volume() - exact).abs() < 0.05 * exact);
/// assert!(check(&mesh).ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn mesh_network(net: &StrutNetwork, settings: &MeshSettings) -> Result<TriMesh, MeshError> {
    mesh_network_with_stats(net, settings).map(|(mesh, _)| mesh)
}

/// [`mesh_network`], also reporting which mesher ran and why the explicit one was not used
/// ([`MeshStats`]).
///
/// With [`MeshMethod::Auto`] or `Explicit` the explicit mesher runs first; its result must
/// pass [`check_topology`] (closed, manifold, oriented, outward, no degenerate triangles).
/// Self-intersections are ruled out by the mesher's own separation conditions (see
/// [`hub`]) and verified by the full [`check`] in the tests. Under `Auto` the refused
/// neighbourhoods are meshed implicitly and stitched in (`local.rs`); if that fails too,
/// the whole network is meshed implicitly, unless its estimated triangle count
/// ([`estimate_implicit_triangles`]) exceeds [`MeshSettings::max_triangles`]
/// ([`MeshError::TooManyTriangles`]).
///
/// # Errors
/// As [`mesh_network`].
pub fn mesh_network_with_stats(
    net: &StrutNetwork,
    settings: &MeshSettings,
) -> Result<(TriMesh, MeshStats), MeshError> {
    let fallback = match settings.method {
        MeshMethod::Implicit => None,
        MeshMethod::Auto | MeshMethod::Explicit => match explicit_checked(net, settings)? {
            Ok(explicit) => {
                let stats = MeshStats {
                    method: MeshMethod::Explicit,
                    fallback: None,
                    segments: explicit.segments,
                    triangles: explicit.mesh.triangles().len(),
                    conditioning: Some(explicit.conditioning),
                    hubs: Some(explicit.hubs),
                    local: explicit.local,
                };
                return Ok((explicit.mesh, stats));
            }
            Err(e) if settings.method == MeshMethod::Explicit => {
                return Err(MeshError::Explicit(e));
            }
            Err(e) => Some(e),
        },
    };
    let estimated = estimate_implicit_triangles(net, settings);
    if estimated > settings.max_triangles {
        return Err(MeshError::TooManyTriangles {
            estimated,
            max: settings.max_triangles,
            fallback,
        });
    }
    let mesh = implicit_network(net, settings)?;
    let stats = MeshStats {
        method: MeshMethod::Implicit,
        fallback,
        segments: 0,
        triangles: mesh.triangles().len(),
        conditioning: None,
        hubs: None,
        local: None,
    };
    Ok((mesh, stats))
}

/// Triangles per unit of surface area / spacing² of the implicit mesher (marching
/// tetrahedra on the Kuhn split): measured 12.7 on a lone capsule, 8.3 on a lattice of thick
/// struts (whose overlaps hide surface); lower still, so that a refusal is never spurious.
const IMPLICIT_TRIANGLES_PER_CELL_AREA: f64 = 6.0;

/// The implicit mesher's triangle count for `net`, estimated from the struts' lateral
/// surface area `Σ π (r_a + r_b) L` and the grid spacing (a slight underestimate of the
/// measured counts; no grid is built).
pub fn estimate_implicit_triangles(net: &StrutNetwork, settings: &MeshSettings) -> u64 {
    implicit_triangles(net.nodes(), net.struts().iter(), settings.spacing(net))
}

/// The implicit mesher's triangle count for the struts `struts` (of nodes `nodes`, mm) on a
/// grid of spacing `h` mm, from their lateral surface area `Σ π (r_a + r_b) L`: a slight
/// underestimate (see [`estimate_implicit_triangles`]).
pub(super) fn implicit_triangles<'a>(
    nodes: &[Point3<f64>],
    struts: impl Iterator<Item = &'a Strut>,
    h: f64,
) -> u64 {
    let area: f64 = struts
        .map(|s| {
            let l = (nodes[s.b.index()] - nodes[s.a.index()]).norm();
            std::f64::consts::PI * (s.radius_a + s.radius_b) * l
        })
        .sum();
    let t = IMPLICIT_TRIANGLES_PER_CELL_AREA * area / (h * h);
    if t.is_finite() { t as u64 } else { u64::MAX }
}

/// An explicit mesh and how it was made.
struct Explicit {
    mesh: TriMesh,
    segments: usize,
    conditioning: ConditionStats,
    hubs: HubStats,
    local: Option<LocalStats>,
}

/// Validates the explicit settings, conditions the network ([`condition`](mod@condition)),
/// runs the explicit mesher and its topology check.
fn explicit_checked(
    net: &StrutNetwork,
    settings: &MeshSettings,
) -> Result<Result<Explicit, ExplicitFailure>, MeshError> {
    if net.struts().is_empty() {
        return Err(MeshError::EmptyNetwork);
    }
    let tol = settings.chord_tolerance;
    if !(tol.is_finite() && tol > 0.0 && tol <= 0.5) {
        return Err(MeshError::BadChordTolerance { tolerance: tol });
    }
    let n = hub::segments(tol);
    let (net, conditioning) = condition::condition(net, n);
    let (mesh, hubs, local) = match hub::mesh_explicit_open(&net, n, &[]) {
        Ok((mesh, hubs)) => (mesh, hubs, None),
        // Under Auto, only the refused neighbourhoods go implicit.
        Err(blames) if settings.method == MeshMethod::Auto => {
            let resolution = settings.resolution.min(local::MAX_PATCH_RESOLUTION);
            match local::mesh_local(&net, n, resolution, settings, blames) {
                Ok((mesh, hubs, stats)) => (mesh, hubs, Some(stats)),
                Err(e) => return Ok(Err(e)),
            }
        }
        Err(mut blames) => return Ok(Err(blames.swap_remove(0).failure)),
    };
    let report = check_topology(&mesh);
    Ok(if report.ok() {
        Ok(Explicit {
            mesh,
            segments: n,
            conditioning,
            hubs,
            local,
        })
    } else {
        Err(ExplicitFailure::Topology {
            report: Box::new(report),
        })
    })
}

/// The implicit mesher with its topology check.
fn implicit_network(net: &StrutNetwork, settings: &MeshSettings) -> Result<TriMesh, MeshError> {
    let mesh = contour_network(net, settings)?;
    check_topology(&mesh).into_result()?;
    Ok(mesh)
}

/// [`mesh_network`] without the final [`check_topology`] (for benchmarks and tests that
/// check separately). Under
/// [`MeshMethod::Auto`] the explicit mesh is returned whenever the explicit mesher accepts
/// the network (its own separation checks; no topology check).
///
/// # Errors
/// As [`mesh_network`], minus the check's errors.
pub fn mesh_unchecked(net: &StrutNetwork, settings: &MeshSettings) -> Result<TriMesh, MeshError> {
    if settings.method != MeshMethod::Implicit {
        let tol = settings.chord_tolerance;
        if !(tol.is_finite() && tol > 0.0 && tol <= 0.5) {
            return Err(MeshError::BadChordTolerance { tolerance: tol });
        }
        if net.struts().is_empty() {
            return Err(MeshError::EmptyNetwork);
        }
        let n = hub::segments(tol);
        let (net, _) = condition::condition(net, n);
        match hub::mesh_explicit(&net, n) {
            Ok((mesh, _)) => return Ok(mesh),
            Err(e) if settings.method == MeshMethod::Explicit => {
                return Err(MeshError::Explicit(e));
            }
            Err(_) => {}
        }
    }
    contour_network(net, settings)
}

/// Contouring only (no check).
fn contour_network(net: &StrutNetwork, settings: &MeshSettings) -> Result<TriMesh, MeshError> {
    if net.struts().is_empty() {
        return Err(MeshError::EmptyNetwork);
    }
    let r = settings.resolution;
    if !(r.is_finite() && r > 0.0 && r <= 1.0) {
        return Err(MeshError::BadResolution { resolution: r });
    }
    let nodes = net.nodes();
    let cones: Vec<sdf::RoundCone> = net
        .struts()
        .iter()
        .map(|s| {
            sdf::RoundCone::new(
                nodes[s.a.index()],
                nodes[s.b.index()],
                s.radius_a,
                s.radius_b,
            )
        })
        .collect();
    contour_cones(&cones, settings.spacing(net), settings.max_cells, u64::MAX)
}

/// Blocks contoured in parallel between two checks of the triangle budget.
const CONTOUR_CHUNK_BLOCKS: usize = 512;

/// Contours the union of `cones` on a grid of spacing `h` mm (no check), refusing grids of
/// more than `max_cells` cells and stopping as soon as the triangles made exceed
/// `max_triangles` ([`MeshError::TooManyTriangles`], `estimated` the count reached), so its
/// memory stays bounded by the budget.
pub(super) fn contour_cones(
    cones: &[sdf::RoundCone],
    h: f64,
    max_cells: u64,
    max_triangles: u64,
) -> Result<TriMesh, MeshError> {
    let mut lo = nalgebra::Point3::from([f64::INFINITY; 3]);
    let mut hi = nalgebra::Point3::from([f64::NEG_INFINITY; 3]);
    for c in cones {
        let (a, b) = c.aabb();
        lo = lo.inf(&a);
        hi = hi.sup(&b);
    }
    // Pad by 3 cells so the surface never touches the grid boundary.
    let pad = 3.0 * h;
    let origin = lo - nalgebra::Vector3::repeat(pad);
    let extent = (hi - lo).add_scalar(2.0 * pad);
    let cells_axis = (extent.max() / h).ceil() as u64 + 1;
    let max_axis = (1u64 << contour::AXIS_BITS) - contour::BLOCK as u64 - 1;
    if cells_axis > max_axis {
        return Err(MeshError::GridTooLarge {
            cells: cells_axis,
            max: max_axis,
        });
    }
    let nb = |e: f64| ((e / h).ceil() as usize).div_ceil(contour::BLOCK).max(1);
    let grid = contour::Grid {
        origin,
        h,
        blocks: [nb(extent.x), nb(extent.y), nb(extent.z)],
    };
    // Refuse absurd grids before allocating per-block work (the bound counts every block
    // in every strut's bounding box, so it can exceed the active cells by a few times).
    let candidates = contour::candidate_cells(&grid, cones);
    if candidates / 8 > max_cells {
        return Err(MeshError::TooManyCells {
            cells: candidates,
            max: max_cells,
        });
    }
    let blocks = contour::active_blocks(&grid, cones);
    let cells = blocks.len() as u64 * (contour::BLOCK as u64).pow(3);
    if cells > max_cells {
        return Err(MeshError::TooManyCells {
            cells,
            max: max_cells,
        });
    }
    let tables = contour::Tables::new();
    let mut surfaces: Vec<contour::BlockSurface> = Vec::with_capacity(blocks.len());
    let mut made = 0u64;
    for chunk in blocks.chunks(CONTOUR_CHUNK_BLOCKS) {
        let part: Vec<contour::BlockSurface> = chunk
            .par_iter()
            .map(|b| contour::contour_block(&grid, cones, b, &tables))
            .collect();
        made += part.iter().map(|s| s.triangles.len() as u64).sum::<u64>();
        if made > max_triangles {
            return Err(MeshError::TooManyTriangles {
                estimated: made,
                max: max_triangles,
                fallback: None,
            });
        }
        surfaces.extend(part);
    }
    let (vertices, triangles) = contour::merge(&blocks, surfaces);
    Ok(TriMesh::from_parts_unchecked(vertices, triangles))
}

// Tests are exempt from the function-length limit.
#[cfg(test)]
#[allow(clippy::too_many_lines)]
mod tests;
// Tests are exempt from the function-length limit.
#[cfg(test)]
#[allow(clippy::too_many_lines)]
mod tests_hub;
// Tests are exempt from the function-length limit.
#[cfg(test)]
#[allow(clippy::too_many_lines)]
mod tests_local;

/// A jittered cubic test lattice (`cells`³ cells, `pitch` mm, random radii), for tests of
/// other modules.
#[cfg(test)]
pub(crate) fn test_lattice(cells: usize, pitch: f64, seed: u64) -> StrutNetwork {
    tests::cubic_lattice(cells, pitch, seed)
}
