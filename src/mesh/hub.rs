//! The explicit "hub and strut" mesher: one polygonal frustum per strut, one convex hub per
//! node.
//!
//! # Construction
//! With `n` = [`segments`]`(chord_tolerance)` sides per ring:
//! 1. **Rings.** Each strut end gets a regular `n`-gon ring perpendicular to the strut, of
//!    circumradius `r' = k_n·r` with `k_n = √(2π / (n·sin(2π/n)))` (the polygon has the
//!    area of the circle of radius `r`, so prisms have the exact frustum volume). Both rings
//!    of a strut use the same frame `(u, w, d)`, so vertex `k` sits at the same angle at both
//!    ends (no twist).
//! 2. **Set-back.** (As first built; now each end gets its own set-back, see
//!    `node_setbacks`: it starts from the sphere below for its own sharpest pair and grows
//!    until every ring lies below every other ring's plane by a margin, so only the ends of a
//!    sharp pair move out. The arguments below hold ring by ring.) All rings at node `v` lie on
//!    one sphere of radius `ρ_v` about `v`: the
//!    ring of an end with radius `r'` sits at distance `s = √(ρ_v² − r'²)` from the node and
//!    is the boundary of the spherical cap of half-angle `α = asin(r'/ρ_v)`. `ρ_v` is the
//!    smallest radius ≥ `1.05·R'_v` (`R'_v`: the largest ring radius at `v`) for which every
//!    two caps at `v` are separated by at least the angular margin `δ` (0.02 rad):
//!    `α_i + α_j ≤ θ_ij − δ`. Disjoint caps on a sphere make every ring a face of the
//!    hub's hull with every other point strictly below its plane.
//! 3. **Hubs.** Each node's hub is the convex hull (quickhull, `hull.rs`) of its rings, one apex
//!    point slightly above each ring's centre (so each ring face comes out as a fan of `n`
//!    triangles around the apex and is never triangulated arbitrarily), and points on the
//!    node ball (radius `k_n·R_v`, a fixed Fibonacci set of directions) outside every cap by
//!    at least `π/n`. The fans are removed; what remains is the hub surface with one
//!    `n`-gon hole per strut. Degree-1 nodes (trimmed ends) get the same treatment: their
//!    hub is a dome over the ball.
//! 4. **Prisms.** Each strut's two rings are joined by `2n` triangles (planar trapezoids).
//!
//! # Why the result is valid (and when it is refused)
//! - A hub is a convex polytope surface, lies in the ball `B(v, ρ_v)` and on the node side
//!   of each of its ring planes; a prism lies beyond its two ring planes, inside the cone at
//!   each end node of half-angle `β = max(α, atan(r'_far / (L − s_far)))`. The mesher
//!   requires, and checks: rings of a strut do not overlap (`s_a + s_b < L` with a margin);
//!   the cones of any two struts at a node are separated by `δ/2`; and no two pieces that
//!   are not related this way come close: balls `B(v, ρ_v)` and capsules of radius
//!   `max(r'_a, r'_b)` around each prism's axis must be disjoint unless they share a node
//!   (checked on a uniform grid). Under these conditions the pieces meet only along the ring
//!   polygons, so the mesh is closed, 2-manifold, outward and free of self-intersections.
//! - The hull (floating point, tolerance `10⁻⁹·ρ_v`) must give each ring its exact fan; if
//!   it does not, or any condition above fails, meshing fails with an [`ExplicitFailure`]
//!   naming the node or strut, and [`super::MeshMethod::Auto`] falls back to the implicit
//!   mesher.
//!
//! Typical refusals: nearly parallel struts at a node (`ρ_v` grows like `(r_i + r_j)/θ` and
//! the set-backs exceed the strut), very short struts (trimmed stubs), and non-adjacent
//! struts that come within their radii of each other.
//!
//! # The solid approximated
//! Near a node, the convex hull of the struts' ring circles and the node ball (the classic
//! hub of Srinivasan et al., IntraLattice), instead of the union of round cones: the hub
//! fills the concave region between struts up to the set-back sphere. Away from nodes the
//! prisms are the frusta with chord error `r·(1 − cos(π/n))` (≤ `chord_tolerance·r`) and the
//! exact volume.

use std::f64::consts::PI;

use nalgebra::{Point3, Vector3};
use rayon::prelude::*;

use super::TriMesh;
use super::hull::{HullScratch, convex_hull};
use crate::geom::distance::{closest_segment_param, point_segment_distance, segment_distance};
use crate::network::{NodeId, StrutId, StrutNetwork};

/// Angular margin between the caps of two struts at a node, rad.
const CAP_MARGIN: f64 = 0.02;
/// Smallest set-back sphere radius, as a multiple of the node's largest ring radius.
const RHO_MIN_FACTOR: f64 = 1.05;
/// Largest set-back sphere radius, as a multiple of the node's largest ring radius: beyond
/// it the hub would overfill the concave space between the struts too much (accuracy, not
/// validity), and the node is refused.
pub(super) const RHO_MAX_FACTOR: f64 = 12.0;
/// Set-back sphere radius (× the node's largest ring radius) beyond which a hub counts as
/// large in [`HubStats`]: up to it the measured overfill is a few per cent.
const LARGE_HUB_FACTOR: f64 = 3.0;
/// Clearance of every ring below every other ring's plane at a node, as a fraction of the
/// node's largest ring radius.
const PLANE_MARGIN: f64 = 0.01;
/// Height of each ring's apex point above the ring's plane, as a fraction of the hub's ball
/// radius: far above the hull tolerance, far below the clearance of the other points, so
/// the fan around it is flat and every other point stays below its triangles.
const APEX_HEIGHT: f64 = 1e-5;
/// Smallest prism length between the two rings, as a fraction of the larger ring radius.
const MIN_PRISM: f64 = 0.05;
/// Hull tolerance relative to `ρ_v`.
const HULL_EPS: f64 = 1e-9;
/// Tag for ball-point indices in per-node triangles.
const BALL: u32 = 1 << 31;

/// Why a network cannot be meshed explicitly. [`super::MeshMethod::Auto`] then meshes it
/// implicitly; [`super::MeshMethod::Explicit`] reports it as
/// [`super::MeshError::Explicit`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub enum ExplicitFailure {
    /// The two rings of a strut would overlap: the set-backs (mm) at its ends add up to more
    /// than its length (short strut, or a sharp angle at one of its nodes).
    StrutTooShort {
        /// The strut.
        strut: StrutId,
        /// Set-back at node `a`, mm.
        setback_a: f64,
        /// Set-back at node `b`, mm.
        setback_b: f64,
        /// Strut length, mm.
        length: f64,
    },
    /// Two struts at a node are (nearly) parallel, or their prisms' cones overlap.
    SharpAngle {
        /// The node.
        node: NodeId,
        /// The two struts.
        struts: (StrutId, StrutId),
        /// Angle between them, degrees.
        angle_deg: f64,
    },
    /// The struts at a node meet at such small angles that its hub would have to reach out to
    /// `ratio` × the node ball radius (more than 3), overfilling the solid.
    HubTooLarge {
        /// The node.
        node: NodeId,
        /// Set-back sphere radius / node ball radius.
        ratio: f64,
    },
    /// The node's hull was degenerate or did not have every ring as a face.
    Hull {
        /// The node.
        node: NodeId,
    },
    /// Two pieces that share no node come too close (e.g. non-adjacent struts within their
    /// radii of each other); `"strut 3"` / `"node 7"`.
    Interference {
        /// The first piece.
        first: Piece,
        /// The second piece.
        second: Piece,
    },
    /// The local fallback (see `mesh::local`) could not patch the refused neighbourhoods.
    Patch {
        /// Nodes in the patch when it gave up.
        nodes: usize,
        /// Why it gave up.
        why: PatchFailure,
    },
    /// The assembled mesh failed the topology check (should not happen).
    Topology {
        /// The check's findings.
        report: Box<super::MeshReport>,
    },
}

impl std::fmt::Display for ExplicitFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::StrutTooShort {
                strut,
                setback_a,
                setback_b,
                length,
            } => write!(
                f,
                "strut {strut} is too short for its hubs (set-backs {setback_a:.4} + \
                 {setback_b:.4} mm, length {length:.4} mm)"
            ),
            Self::SharpAngle {
                node,
                struts,
                angle_deg,
            } => write!(
                f,
                "struts {} and {} meet at node {node} at {angle_deg:.2}°, too sharp for a hub",
                struts.0, struts.1
            ),
            Self::HubTooLarge { node, ratio } => write!(
                f,
                "the hub at node {node} would reach {ratio:.2} × the node radius (limit \
                 {RHO_MAX_FACTOR}): the struts meet at too small angles"
            ),
            Self::Hull { node } => write!(f, "the hub hull at node {node} is degenerate"),
            Self::Interference { first, second } => {
                write!(
                    f,
                    "{first} and {second} come too close without sharing a node"
                )
            }
            Self::Patch { nodes, why } => write!(
                f,
                "the local implicit patch around {nodes} refused nodes failed: {why}"
            ),
            Self::Topology { report } => match report.into_result() {
                Err(e) => write!(f, "assembled mesh failed its check: {e}"),
                Ok(()) => write!(f, "assembled mesh failed its check"),
            },
        }
    }
}

/// Why the local implicit patch (see `mesh::local`) gave up. Prints (and serializes) as a
/// sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatchFailure {
    /// The refused neighbourhoods take more than a quarter of the nodes.
    TooLarge,
    /// The explicit part kept being refused after the patch grew.
    ExplicitPartRefused,
    /// The patch kept growing for the allowed number of rounds.
    DidNotSettle,
    /// The patch's implicit mesh alone would exceed the triangle budget
    /// (`MeshSettings::max_triangles`, from `outputs.max_file_mb`).
    OverBudget,
    /// The implicit mesher refused the patch (grid too large).
    NotContoured,
    /// A cut face of the patch is not bounded by a simple loop.
    CutNotSimpleLoop,
    /// The patch surface has a boundary that lies on no cut.
    HoleOffCuts,
    /// A cut has no boundary loop on the patch surface.
    CutWithoutLoop,
    /// The stitched mesh failed the topology check.
    StitchedTopology,
}

impl std::fmt::Display for PatchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TooLarge => "the refused neighbourhoods take more than a quarter of the nodes",
            Self::ExplicitPartRefused => "the explicit part kept being refused",
            Self::DidNotSettle => "the patch did not settle",
            Self::OverBudget => {
                "its implicit mesh alone would exceed the triangle budget of outputs.max_file_mb"
            }
            Self::NotContoured => "the implicit patch could not be contoured",
            Self::CutNotSimpleLoop => "a cut face of the patch is not bounded by a simple loop",
            Self::HoleOffCuts => "the patch has a hole off its cuts",
            Self::CutWithoutLoop => "a cut of the patch has no boundary loop",
            Self::StitchedTopology => "the stitched mesh failed its topology check",
        })
    }
}

impl serde::Serialize for PatchFailure {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Sides per ring for a relative chord tolerance `tol` (sagitta `r·(1 − cos(π/n)) ≤ tol·r`),
/// clamped to `[6, 64]`: 0.05 → 10, 0.02 → 16, 0.1 → 7.
pub fn segments(tol: f64) -> usize {
    let n = (PI / (1.0 - tol.clamp(1e-6, 1.0)).acos()).ceil();
    (n as usize).clamp(6, 64)
}

/// Area-preserving circumradius factor of a regular `n`-gon.
fn ring_factor(n: usize) -> f64 {
    let n = n as f64;
    (2.0 * PI / (n * (2.0 * PI / n).sin())).sqrt()
}

/// Fibonacci-sphere directions (deterministic).
fn sphere_directions(m: usize) -> Vec<Vector3<f64>> {
    let golden = PI * (3.0 - 5f64.sqrt());
    (0..m)
        .map(|i| {
            let z = 1.0 - (2.0 * i as f64 + 1.0) / m as f64;
            let rxy = (1.0 - z * z).max(0.0).sqrt();
            let phi = golden * i as f64;
            Vector3::new(rxy * phi.cos(), rxy * phi.sin(), z)
        })
        .collect()
}

struct StrutGeom {
    /// Unit direction a → b.
    d: Vector3<f64>,
    u: Vector3<f64>,
    w: Vector3<f64>,
    length: f64,
    /// Ring circumradii at a and b, mm.
    ring: [f64; 2],
}

/// Incident strut end of a node: strut index and end (0 = a, 1 = b).
#[derive(Clone, Copy)]
struct End {
    strut: u32,
    end: u8,
}

struct NodePatch {
    /// Hub triangles: ring vertices as global indices, ball points as `BALL | slot`.
    tris: Vec<[u32; 3]>,
    /// Ball points used, in slot order (mm, global).
    balls: Vec<Point3<f64>>,
}

/// Per-strut ring frames and the node → strut-end incidence (CSR, by strut index).
pub(super) struct Layout {
    geo: Vec<StrutGeom>,
    start: Vec<usize>,
    ends: Vec<End>,
}

impl Layout {
    pub(super) fn new(net: &StrutNetwork, n: usize) -> Self {
        let nodes = net.nodes();
        let struts = net.struts();
        let kn = ring_factor(n);
        let geo: Vec<StrutGeom> = struts
            .iter()
            .map(|s| {
                let (pa, pb) = (nodes[s.a.index()], nodes[s.b.index()]);
                let v = pb - pa;
                let length = v.norm();
                let d = v / length;
                // Frame: the axis least aligned with d.
                let e = if d.x.abs() <= d.y.abs() && d.x.abs() <= d.z.abs() {
                    Vector3::x()
                } else if d.y.abs() <= d.z.abs() {
                    Vector3::y()
                } else {
                    Vector3::z()
                };
                let u = e.cross(&d).normalize();
                let w = d.cross(&u);
                StrutGeom {
                    d,
                    u,
                    w,
                    length,
                    ring: [kn * s.radius_a, kn * s.radius_b],
                }
            })
            .collect();
        let nn = nodes.len();
        let mut start = vec![0usize; nn + 1];
        for s in struts {
            start[s.a.index() + 1] += 1;
            start[s.b.index() + 1] += 1;
        }
        for v in 0..nn {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let mut ends = vec![End { strut: 0, end: 0 }; start[nn]];
        for (i, s) in struts.iter().enumerate() {
            for (e, v) in [s.a, s.b].into_iter().enumerate() {
                ends[fill[v.index()]] = End {
                    strut: i as u32,
                    end: e as u8,
                };
                fill[v.index()] += 1;
            }
        }
        Self { geo, start, ends }
    }

    fn inc(&self, v: usize) -> &[End] {
        &self.ends[self.start[v]..self.start[v + 1]]
    }

    fn dir(&self, e: &End) -> Vector3<f64> {
        let g = &self.geo[e.strut as usize];
        if e.end == 0 { g.d } else { -g.d }
    }

    fn radius(&self, e: &End) -> f64 {
        self.geo[e.strut as usize].ring[e.end as usize]
    }

    /// Per-end set-backs (mm, by strut and end), the radius of the ball holding each node's
    /// hub (mm) and whether each node's struts can be separated by a hub of at most `cap` ×
    /// its largest ring radius (see [`node_setbacks`]). A node whose struts cannot gets the
    /// smallest set-backs (and is left to the fusions).
    pub(super) fn setbacks(&self, cap: f64) -> (Vec<[f64; 2]>, Vec<f64>, Vec<bool>) {
        let per_node: Vec<(Vec<f64>, bool)> = (0..self.start.len() - 1)
            .into_par_iter()
            .map(|v| {
                let ends = self.inc(v);
                match node_setbacks(ends, &|e| self.dir(e), &|e| self.radius(e)) {
                    Ok(sb) => {
                        let big = self.node_ring(v);
                        let within = ends
                            .iter()
                            .zip(&sb)
                            .all(|(e, s)| s.hypot(self.radius(e)) <= cap * big);
                        if within {
                            (sb, true)
                        } else {
                            (self.min_setbacks(v), false)
                        }
                    }
                    Err(_) => (self.min_setbacks(v), false),
                }
            })
            .collect();
        let mut setback = vec![[0.0; 2]; self.geo.len()];
        let mut rho = vec![0.0; per_node.len()];
        let mut separable = vec![true; per_node.len()];
        for (v, (sb, ok)) in per_node.into_iter().enumerate() {
            separable[v] = ok;
            for (e, s) in self.inc(v).iter().zip(sb) {
                setback[e.strut as usize][e.end as usize] = s;
                rho[v] = f64::max(rho[v], s.hypot(self.radius(e)));
            }
        }
        (setback, rho, separable)
    }

    /// The set-backs of node `v`'s ends on its smallest sphere ([`RHO_MIN_FACTOR`] × its
    /// largest ring radius), mm, in incidence order.
    fn min_setbacks(&self, v: usize) -> Vec<f64> {
        let rho = RHO_MIN_FACTOR * self.node_ring(v);
        self.inc(v)
            .iter()
            .map(|e| (rho * rho - self.radius(e).powi(2)).max(0.0).sqrt())
            .collect()
    }

    /// Whether strut `i`'s two rings, at set-backs `sb` (mm), leave too short a prism
    /// between them ([`MIN_PRISM`]).
    pub(super) fn too_short(&self, i: usize, sb: [f64; 2]) -> bool {
        let g = &self.geo[i];
        (g.length - sb[0] - sb[1]).partial_cmp(&(MIN_PRISM * g.ring[0].max(g.ring[1])))
            != Some(std::cmp::Ordering::Greater)
    }

    /// The largest ring radius at node `v`, mm.
    pub(super) fn node_ring(&self, v: usize) -> f64 {
        self.inc(v)
            .iter()
            .map(|e| self.radius(e))
            .fold(0.0, f64::max)
    }

    /// The ends at node `v` as (strut index, far node) pairs, with their unit directions
    /// out of `v`.
    pub(super) fn star(
        &self,
        v: usize,
        struts: &[crate::network::Strut],
    ) -> Vec<(usize, usize, Vector3<f64>)> {
        self.inc(v)
            .iter()
            .map(|e| {
                let s = &struts[e.strut as usize];
                let far = if e.end == 0 { s.b } else { s.a };
                (e.strut as usize, far.index(), self.dir(e))
            })
            .collect()
    }

    /// The radius of node `v`'s smallest hub ([`RHO_MIN_FACTOR`] × its largest ring
    /// radius), mm.
    pub(super) fn min_rho(&self, v: usize) -> f64 {
        RHO_MIN_FACTOR * self.node_ring(v)
    }

    /// Strut `i`'s larger ring radius, mm.
    pub(super) fn ring_radius(&self, i: usize) -> f64 {
        let g = &self.geo[i];
        g.ring[0].max(g.ring[1])
    }

    /// An upper bound of the support function of node `v`'s hub in unit direction `u`, from
    /// the node (mm), with the set-backs `setback` and hub ball radius `rho_v` of
    /// [`Self::setbacks`]: the hub is the hull of its rings (circumradius about the axis at
    /// the set-back), their apexes and points on the ball of the largest ring radius.
    pub(super) fn hub_support(
        &self,
        setback: &[[f64; 2]],
        rho_v: f64,
        v: usize,
        u: &Vector3<f64>,
    ) -> f64 {
        let apex = APEX_HEIGHT * rho_v;
        self.inc(v).iter().fold(self.node_ring(v), |m, e| {
            let (d, ring) = (self.dir(e), self.radius(e));
            let s = setback[e.strut as usize][e.end as usize];
            let c = d.dot(u);
            let side = (1.0 - c * c).max(0.0).sqrt();
            m.max(s * c + ring * side).max((s + apex) * c)
        })
    }

    /// Whether node `v`'s hub (at `centre`, in its ball of radius `rho_v`) may come within
    /// `reach` mm of the segment `p–q`: its ball does, and the plane normal to the line from
    /// the node to the segment's closest point does not separate them (the ball is loose
    /// where the hub is long in a few directions only, for struts at small angles).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn hub_reaches(
        &self,
        setback: &[[f64; 2]],
        rho_v: f64,
        v: usize,
        centre: Point3<f64>,
        p: Point3<f64>,
        q: Point3<f64>,
        reach: f64,
    ) -> bool {
        let c = centre.coords;
        if point_segment_distance(c, p.coords, q.coords) > rho_v + reach {
            return false;
        }
        let t = closest_segment_param(c, p.coords, q.coords);
        let Some(u) = ((p + (q - p) * t) - centre).try_normalize(1e-12) else {
            return true;
        };
        let low = (p - centre).dot(&u).min((q - centre).dot(&u)) - reach;
        self.hub_support(setback, rho_v, v, &u) >= low
    }
}

/// How far the explicit mesher's hubs reach out from their nodes.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct HubStats {
    /// Nodes whose set-back sphere exceeds 3 × their largest ring radius (struts meeting at
    /// small angles; the hub fills the space between them out to that sphere).
    pub large_hubs: usize,
    /// The largest set-back sphere radius / largest ring radius over all nodes.
    pub largest_hub_ratio: f64,
}

/// Meshes `net` explicitly with `n` sides per ring (see the module docs).
///
/// # Errors
/// The first [`ExplicitFailure`] met (stage by stage: set-backs, hub sizes, prism lengths,
/// hulls, interference; lowest node / strut index within each stage).
pub(crate) fn mesh_explicit(
    net: &StrutNetwork,
    n: usize,
) -> Result<(TriMesh, HubStats), ExplicitFailure> {
    mesh_explicit_open(net, n, &[]).map_err(|mut blames| blames.swap_remove(0).failure)
}

/// One refusal of the explicit mesher and the nodes whose neighbourhoods cause it (a node's
/// hub: that node; a strut: its two end nodes; two pieces: the nodes of both).
#[derive(Debug, Clone)]
pub(super) struct Blame {
    /// Why.
    pub failure: ExplicitFailure,
    /// The nodes to blame, by index.
    pub nodes: Vec<usize>,
}

/// [`mesh_explicit`] with *open* nodes (`open[v]`, missing entries false): a node of degree
/// one whose strut end is left as a bare ring at the node (set-back 0, no hub), to be
/// stitched to another mesh. Ring `k` of strut `i`'s end `e` is vertex `(2i + e)·n + k`;
/// the prism's boundary at an open end runs `k + 1 → k` at end `b`, `k → k + 1` at end `a`.
///
/// # Errors
/// Every refusal met, stage by stage (set-backs, hub sizes, prism lengths, hulls,
/// interference), in node / strut order within a stage: a stage runs on for the nodes the
/// earlier ones did not refuse, so one pass blames every node that needs other treatment.
pub(super) fn mesh_explicit_open(
    net: &StrutNetwork,
    n: usize,
    open: &[bool],
) -> Result<(TriMesh, HubStats), Vec<Blame>> {
    let mesher = OpenMesher {
        nodes: net.nodes(),
        struts: net.struts(),
        layout: Layout::new(net, n),
        n,
        open,
    };
    let mut blames: Vec<Blame> = Vec::new();

    // 1. Set-backs per strut end, node by node (open ends: 0).
    let hubs = mesher.setbacks(&mut blames);
    // 2. Prisms long enough.
    mesher.blame_short_prisms(&hubs.setback, &mut blames);
    let mut vertices = mesher.ring_vertices(&hubs.setback);
    // 3. Hubs (not for open nodes, nor for nodes already refused).
    let hub_patches = mesher.hubs(&hubs, &vertices, &mut blames);
    // 4. Interference between unrelated pieces.
    mesher.blame_interference(&hubs.setback, &hubs.rho, &mut blames);
    if !blames.is_empty() {
        return Err(blames);
    }
    // 5. Assembly: ring vertices, then ball points node by node; prisms, then hubs.
    let triangles = assemble(mesher.struts.len(), n, &hub_patches, &mut vertices);
    Ok((
        TriMesh::from_parts_unchecked(vertices, triangles),
        hubs.stats,
    ))
}

/// The explicit mesher's input for [`mesh_explicit_open`]: the network, its layout, the
/// sides per ring and the open nodes.
struct OpenMesher<'a> {
    nodes: &'a [Point3<f64>],
    struts: &'a [crate::network::Strut],
    layout: Layout,
    n: usize,
    open: &'a [bool],
}

/// The set-back stage's result: per-end set-backs (by strut and end), the radius of the
/// ball about each node that holds its hub and rings, the refused nodes and the hub stats.
struct SetbackStage {
    setback: Vec<[f64; 2]>,
    rho: Vec<f64>,
    refused: Vec<bool>,
    stats: HubStats,
}

impl OpenMesher<'_> {
    /// Whether node `v` is open (missing entries: false).
    fn is_open(&self, v: usize) -> bool {
        self.open.get(v).copied().unwrap_or(false)
    }

    /// The node at end `e` (0: a, 1: b) of strut `i`.
    fn end_node(&self, i: usize, e: u8) -> usize {
        let s = &self.struts[i];
        if e == 0 { s.a.index() } else { s.b.index() }
    }

    /// Stage 1: the set-backs of every node (open nodes: 0), blaming sharp angles first,
    /// then hubs over the cap (a refused node keeps its smallest set-backs).
    fn setbacks(&self, blames: &mut Vec<Blame>) -> SetbackStage {
        let layout = &self.layout;
        let nn = self.nodes.len();
        let per_node: Vec<Result<Vec<f64>, (End, End, f64)>> = (0..nn)
            .into_par_iter()
            .map(|v| {
                if self.is_open(v) {
                    Ok(vec![0.0; layout.inc(v).len()])
                } else {
                    node_setbacks(layout.inc(v), &|e| layout.dir(e), &|e| layout.radius(e))
                }
            })
            .collect();
        let mut st = SetbackStage {
            setback: vec![[0.0f64; 2]; self.struts.len()],
            rho: vec![0.0f64; nn],
            refused: vec![false; nn],
            stats: HubStats::default(),
        };
        for (v, result) in per_node.into_iter().enumerate() {
            self.settle_node(v, result, &mut st, blames);
        }
        // Set-back refusals come before hub sizes (stage order).
        blames
            .sort_by_key(|b| usize::from(matches!(b.failure, ExplicitFailure::HubTooLarge { .. })));
        st
    }

    /// Records node `v`'s set-backs (`result` of [`node_setbacks`]) in `st`: refuses it
    /// (blamed, smallest set-backs) on a sharp angle or a hub over the cap, else counts its
    /// hub in the stats.
    fn settle_node(
        &self,
        v: usize,
        result: Result<Vec<f64>, (End, End, f64)>,
        st: &mut SetbackStage,
        blames: &mut Vec<Blame>,
    ) {
        let layout = &self.layout;
        let big = layout.node_ring(v);
        // The hub's ball radius over its largest ring, where it exceeds the cap.
        let oversized = match &result {
            Ok(sb) if !self.is_open(v) && big > 0.0 => {
                let ball = layout
                    .inc(v)
                    .iter()
                    .zip(sb)
                    .map(|(e, s)| s.hypot(layout.radius(e)))
                    .fold(0.0, f64::max);
                (ball > RHO_MAX_FACTOR * big).then_some(ball / big)
            }
            _ => None,
        };
        let sb = match (result, oversized) {
            // A hub over the cap is refused; its node keeps the smallest set-backs, so its
            // ball does not blame every piece within the refused hub's reach.
            (Ok(_), Some(ratio)) => {
                st.stats.largest_hub_ratio = st.stats.largest_hub_ratio.max(ratio);
                st.stats.large_hubs += 1;
                blames.push(Blame {
                    failure: ExplicitFailure::HubTooLarge {
                        node: NodeId::new(v),
                        ratio,
                    },
                    nodes: vec![v],
                });
                st.refused[v] = true;
                layout.min_setbacks(v)
            }
            (Ok(sb), None) => sb,
            (Err((e1, e2, c)), _) => {
                let (a, b) = (e1.strut as usize, e2.strut as usize);
                blames.push(Blame {
                    failure: ExplicitFailure::SharpAngle {
                        node: NodeId::new(self.end_node(a, e1.end)),
                        struts: (StrutId::new(a.min(b)), StrutId::new(a.max(b))),
                        angle_deg: c.clamp(-1.0, 1.0).acos().to_degrees(),
                    },
                    nodes: vec![v],
                });
                st.refused[v] = true;
                layout.min_setbacks(v)
            }
        };
        for (e, &s) in layout.inc(v).iter().zip(&sb) {
            st.setback[e.strut as usize][e.end as usize] = s;
            if !self.is_open(v) {
                st.rho[v] = st.rho[v].max(s.hypot(layout.radius(e)));
            }
        }
        if big > 0.0 && !self.is_open(v) && !st.refused[v] {
            let ratio = st.rho[v] / big;
            st.stats.largest_hub_ratio = st.stats.largest_hub_ratio.max(ratio);
            st.stats.large_hubs += usize::from(ratio > LARGE_HUB_FACTOR);
        }
    }

    /// Stage 2: blames every strut whose prism is too short between its rings.
    fn blame_short_prisms(&self, setback: &[[f64; 2]], blames: &mut Vec<Blame>) {
        for (i, sb) in setback.iter().enumerate() {
            if self.layout.too_short(i, *sb) {
                let g = &self.layout.geo[i];
                blames.push(Blame {
                    failure: ExplicitFailure::StrutTooShort {
                        strut: StrutId::new(i),
                        setback_a: sb[0],
                        setback_b: sb[1],
                        length: g.length,
                    },
                    nodes: vec![self.end_node(i, 0), self.end_node(i, 1)],
                });
            }
        }
    }

    /// Ring vertices: strut i, end e, corner k at index (2i + e)·n + k.
    fn ring_vertices(&self, setback: &[[f64; 2]]) -> Vec<Point3<f64>> {
        let (n, nodes, geo) = (self.n, self.nodes, &self.layout.geo);
        let (cos_k, sin_k): (Vec<f64>, Vec<f64>) = (0..n)
            .map(|k| {
                let t = 2.0 * PI * k as f64 / n as f64;
                (t.cos(), t.sin())
            })
            .unzip();
        let mut vertices: Vec<Point3<f64>> = Vec::with_capacity(2 * self.struts.len() * n);
        for (i, s) in self.struts.iter().enumerate() {
            let g = &geo[i];
            let centres = [
                nodes[s.a.index()] + g.d * setback[i][0],
                nodes[s.b.index()] - g.d * setback[i][1],
            ];
            for (centre, r) in centres.iter().zip(g.ring) {
                for (c, s) in cos_k.iter().zip(&sin_k) {
                    vertices.push(centre + (g.u * *c + g.w * *s) * r);
                }
            }
        }
        vertices
    }

    /// Stage 3: the hub patch of every node (empty for nodes without struts, open or
    /// refused), blaming the nodes whose hub fails.
    fn hubs(
        &self,
        st: &SetbackStage,
        vertices: &[Point3<f64>],
        blames: &mut Vec<Blame>,
    ) -> Vec<NodePatch> {
        let (n, nodes, layout) = (self.n, self.nodes, &self.layout);
        let nn = nodes.len();
        let m = ((n * n) as f64 / PI).ceil() as usize;
        let ball_dirs = sphere_directions(m.max(12));
        let patches: Vec<Result<NodePatch, ExplicitFailure>> = (0..nn)
            .into_par_iter()
            .map_init(HullScratch::default, |scratch, v| {
                let ends = layout.inc(v);
                if ends.is_empty() || self.is_open(v) || st.refused[v] {
                    return Ok(NodePatch {
                        tris: Vec::new(),
                        balls: Vec::new(),
                    });
                }
                node_hub(
                    v,
                    nodes[v],
                    st.rho[v],
                    ends,
                    &layout.geo,
                    &st.setback,
                    vertices,
                    n,
                    &ball_dirs,
                    scratch,
                )
            })
            .collect();
        let mut hub_patches = Vec::with_capacity(nn);
        for (v, p) in patches.into_iter().enumerate() {
            match p {
                Ok(p) => hub_patches.push(p),
                Err(failure) => blames.push(Blame {
                    failure,
                    nodes: vec![v],
                }),
            }
        }
        hub_patches
    }

    /// Stage 4: blames every pair of unrelated pieces that interfere (a node: itself; a
    /// strut: its two end nodes).
    fn blame_interference(&self, setback: &[[f64; 2]], rho: &[f64], blames: &mut Vec<Blame>) {
        for (p, q) in interfering_pairs(self.nodes, self.struts, &self.layout, setback, rho) {
            let mut blamed = Vec::with_capacity(4);
            for piece in [p, q] {
                match piece {
                    Piece::Node(v) => blamed.push(v.index()),
                    Piece::Strut(i) => {
                        blamed.extend([self.end_node(i.index(), 0), self.end_node(i.index(), 1)]);
                    }
                }
            }
            blames.push(Blame {
                failure: ExplicitFailure::Interference {
                    first: p,
                    second: q,
                },
                nodes: blamed,
            });
        }
    }
}

/// Stage 5, assembly: appends the hubs' ball points to `vertices` node by node; returns the
/// triangles, the prisms (`n_struts` of them, `n` sides) first, then the hubs.
fn assemble(
    n_struts: usize,
    n: usize,
    hub_patches: &[NodePatch],
    vertices: &mut Vec<Point3<f64>>,
) -> Vec<[u32; 3]> {
    let mut triangles: Vec<[u32; 3]> = Vec::with_capacity(
        n_struts * 2 * n + hub_patches.iter().map(|p| p.tris.len()).sum::<usize>(),
    );
    for i in 0..n_struts {
        let a = (2 * i * n) as u32;
        let b = a + n as u32;
        for k in 0..n as u32 {
            let k1 = (k + 1) % n as u32;
            triangles.push([a + k, a + k1, b + k1]);
            triangles.push([a + k, b + k1, b + k]);
        }
    }
    for p in hub_patches {
        let base = vertices.len() as u32;
        vertices.extend_from_slice(&p.balls);
        triangles.extend(
            p.tris
                .iter()
                .map(|t| t.map(|x| if x & BALL != 0 { base + (x & !BALL) } else { x })),
        );
    }
    triangles
}

/// The set-back of each end at a node (mm, in the order of `ends`; see the module docs), or
/// the first pair of ends whose caps cannot be separated (with the cosine of their angle).
///
/// Each end first gets the smallest sphere on which its cap is separated from every other
/// end's cap by the margin ([`CAP_MARGIN`]; the pairwise closed form of the caps touching),
/// at least [`RHO_MIN_FACTOR`] × the node's largest ring radius. Then set-backs grow until
/// every ring lies strictly below every other ring's plane by a margin `m`:
/// `s_i ≥ s_j cos θ_ij + r_j sin θ_ij + m` (the highest point of ring `j` along `d_i`),
/// starting from the pairwise least solution and iterating to a fixed point. Only ends in
/// sharp pairs are pushed out; the others stay on the small sphere, so one sharp pair does
/// not inflate the whole hub.
fn node_setbacks(
    ends: &[End],
    dir: &impl Fn(&End) -> Vector3<f64>,
    radius: &impl Fn(&End) -> f64,
) -> Result<Vec<f64>, (End, End, f64)> {
    let k = ends.len();
    let big = ends.iter().map(radius).fold(0.0, f64::max);
    let base = RHO_MIN_FACTOR * big;
    let dirs: Vec<Vector3<f64>> = ends.iter().map(dir).collect();
    let radii: Vec<f64> = ends.iter().map(radius).collect();
    let margin = PLANE_MARGIN * big;
    let mut rho = vec![base; k];
    let mut s: Vec<f64> = vec![0.0; k];
    for i in 0..k {
        for j in i + 1..k {
            let (a, b) = (radii[i], radii[j]);
            let c = dirs[i].dot(&dirs[j]).clamp(-1.0, 1.0);
            let theta = c.acos() - CAP_MARGIN;
            if theta <= 0.0 {
                return Err((ends[i], ends[j], c));
            }
            if (a / base).asin() + (b / base).asin() > theta {
                // Caps touching: asin(a/ρ) + asin(b/ρ) = θ.
                let need = (a * a + b * b + 2.0 * a * b * theta.cos()).sqrt() / theta.sin();
                rho[i] = rho[i].max(need);
                rho[j] = rho[j].max(need);
            }
        }
    }
    for i in 0..k {
        rho[i] *= 1.0 + 1e-9;
        s[i] = (rho[i] * rho[i] - radii[i] * radii[i]).sqrt();
    }
    // Pairwise least solutions of the plane conditions, then the fixed point.
    for i in 0..k {
        for j in i + 1..k {
            let c = dirs[i].dot(&dirs[j]).clamp(-1.0, 1.0);
            if c <= 0.0 {
                continue;
            }
            let sn = (1.0 - c * c).sqrt();
            let (pi, pj) = (radii[i] * sn + margin, radii[j] * sn + margin);
            let denom = 1.0 - c * c;
            s[i] = s[i].max((pj + c * pi) / denom);
            s[j] = s[j].max((pi + c * pj) / denom);
        }
    }
    for _ in 0..200 {
        let mut changed = false;
        for i in 0..k {
            for j in 0..k {
                if i == j {
                    continue;
                }
                let c = dirs[i].dot(&dirs[j]).clamp(-1.0, 1.0);
                let need = s[j] * c + radii[j] * (1.0 - c * c).sqrt() + margin;
                if need > s[i] {
                    s[i] = need * (1.0 + 1e-12);
                    changed = true;
                }
            }
        }
        if !changed {
            return Ok(s);
        }
    }
    // No fixed point within the iteration budget: treat as inseparable.
    Err((ends[0], ends[k.min(2) - 1], 1.0))
}

#[allow(clippy::too_many_arguments)]
fn node_hub(
    v: usize,
    centre: Point3<f64>,
    rho: f64,
    ends: &[End],
    geo: &[StrutGeom],
    setback: &[[f64; 2]],
    vertices: &[Point3<f64>],
    n: usize,
    ball_dirs: &[Vector3<f64>],
    scratch: &mut HullScratch,
) -> Result<NodePatch, ExplicitFailure> {
    let hub = HubEnds::new(ends, geo, setback);
    hub.check_cones(v, ends, geo, setback)?;
    let (pts, ball_start) = hub.hull_points(centre, rho, ends, vertices, n, ball_dirs);
    let mut hull = Vec::new();
    if !convex_hull(&pts, HULL_EPS * rho, scratch, &mut hull) {
        return Err(ExplicitFailure::Hull {
            node: NodeId::new(v),
        });
    }
    hub_patch(centre, ends, n, &pts, ball_start, &hull).ok_or(ExplicitFailure::Hull {
        node: NodeId::new(v),
    })
}

/// The ends at a node seen from it: unit directions out of the node, ring radii,
/// set-backs and the angular radius of each ring (all in the order of the ends).
struct HubEnds {
    dirs: Vec<Vector3<f64>>,
    radii: Vec<f64>,
    sbs: Vec<f64>,
    alpha: Vec<f64>,
}

impl HubEnds {
    fn new(ends: &[End], geo: &[StrutGeom], setback: &[[f64; 2]]) -> Self {
        let dirs: Vec<Vector3<f64>> = ends
            .iter()
            .map(|e| {
                let g = &geo[e.strut as usize];
                if e.end == 0 { g.d } else { -g.d }
            })
            .collect();
        let radii: Vec<f64> = ends
            .iter()
            .map(|e| geo[e.strut as usize].ring[e.end as usize])
            .collect();
        // Angular radius of each ring seen from the node.
        let sbs: Vec<f64> = ends
            .iter()
            .map(|e| setback[e.strut as usize][e.end as usize])
            .collect();
        let alpha: Vec<f64> = radii.iter().zip(&sbs).map(|(r, s)| r.atan2(*s)).collect();
        Self {
            dirs,
            radii,
            sbs,
            alpha,
        }
    }

    /// Prism cones: β = max(α, angle of the far ring), checked pairwise where β > α; the
    /// first pair whose cones meet is a sharp angle at node `v`.
    fn check_cones(
        &self,
        v: usize,
        ends: &[End],
        geo: &[StrutGeom],
        setback: &[[f64; 2]],
    ) -> Result<(), ExplicitFailure> {
        let (dirs, alpha) = (&self.dirs, &self.alpha);
        let beta: Vec<f64> = ends
            .iter()
            .zip(alpha)
            .map(|(e, &a)| {
                let g = &geo[e.strut as usize];
                let far = 1 - e.end as usize;
                let far_angle = (g.ring[far] / (g.length - setback[e.strut as usize][far])).atan();
                a.max(far_angle)
            })
            .collect();
        let deg = ends.len();
        for i in 0..deg {
            for j in i + 1..deg {
                if beta[i] > alpha[i] || beta[j] > alpha[j] {
                    let c = dirs[i].dot(&dirs[j]).clamp(-1.0, 1.0);
                    if beta[i] + beta[j] > c.acos() - 0.5 * CAP_MARGIN {
                        let (a, b) = (ends[i].strut as usize, ends[j].strut as usize);
                        return Err(ExplicitFailure::SharpAngle {
                            node: NodeId::new(v),
                            struts: (StrutId::new(a.min(b)), StrutId::new(a.max(b))),
                            angle_deg: c.acos().to_degrees(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Hull input (local coordinates about `centre`): rings, apexes, then the ball points
    /// (on the node ball, radius the largest ring radius here) below every ring's plane;
    /// returns them and the index of the first ball point.
    fn hull_points(
        &self,
        centre: Point3<f64>,
        rho: f64,
        ends: &[End],
        vertices: &[Point3<f64>],
        n: usize,
        ball_dirs: &[Vector3<f64>],
    ) -> (Vec<Point3<f64>>, usize) {
        let (dirs, sbs) = (&self.dirs, &self.sbs);
        let deg = ends.len();
        let ball_r = self.radii.iter().fold(0.0, |m: f64, &r| m.max(r));
        let margin = PLANE_MARGIN * ball_r;
        let mut pts: Vec<Point3<f64>> = Vec::with_capacity(deg * (n + 1) + ball_dirs.len());
        for e in ends {
            let base = (2 * e.strut as usize + e.end as usize) * n;
            pts.extend(
                vertices[base..base + n]
                    .iter()
                    .map(|p| Point3::from(p - centre)),
            );
        }
        for (d, &s) in dirs.iter().zip(sbs) {
            let h = APEX_HEIGHT * rho;
            pts.push(Point3::from(d * (s + h)));
        }
        let ball_start = pts.len();
        let limit: Vec<f64> = self
            .alpha
            .iter()
            .map(|a| (a + (PI / n as f64).max(CAP_MARGIN)).min(PI).cos())
            .collect();
        for bd in ball_dirs {
            let below = |(j, d): (usize, &Vector3<f64>)| {
                let h = bd.dot(d);
                h < limit[j] && h * ball_r < sbs[j] - 0.5 * margin
            };
            if dirs.iter().enumerate().all(below) {
                pts.push(Point3::from(bd * ball_r));
            }
        }
        (pts, ball_start)
    }
}

/// The hub patch from the convex hull of `pts` (rings, apexes, ball points from
/// `ball_start`): the triangles without an apex, ring points mapped to global vertices and
/// ball points to `BALL | slot`; the apex triangles must form exactly each ring's fan,
/// oriented outward (`None` otherwise).
fn hub_patch(
    centre: Point3<f64>,
    ends: &[End],
    n: usize,
    pts: &[Point3<f64>],
    ball_start: usize,
    hull: &[[u32; 3]],
) -> Option<NodePatch> {
    let deg = ends.len();
    let ring_pts = (deg * n) as u32;
    let apex_end = ring_pts + deg as u32;
    let mut fan_mask = vec![0u64; deg];
    let mut slot = vec![u32::MAX; pts.len() - ball_start];
    let mut balls = Vec::new();
    let mut tris = Vec::with_capacity(hull.len());
    for t in hull {
        let apexes = t.iter().filter(|&&x| x >= ring_pts && x < apex_end).count();
        match apexes {
            0 => {
                tris.push(t.map(|x| {
                    if x < ring_pts {
                        let (j, k) = (x as usize / n, x as usize % n);
                        let e = &ends[j];
                        ((2 * e.strut as usize + e.end as usize) * n + k) as u32
                    } else {
                        let b = x as usize - ball_start;
                        if slot[b] == u32::MAX {
                            slot[b] = balls.len() as u32;
                            balls.push(centre + pts[x as usize].coords);
                        }
                        BALL | slot[b]
                    }
                }));
            }
            1 => mark_fan(t, ring_pts, apex_end, ends, n, &mut fan_mask)?,
            _ => return None,
        }
    }
    let full = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    if fan_mask.iter().any(|&m| m != full) {
        return None;
    }
    Some(NodePatch { tris, balls })
}

/// Marks the fan triangle `t` (one apex) in its ring's `fan_mask`; `None` if it does not
/// join its apex to two consecutive points of its own ring, outward, or repeats one.
fn mark_fan(
    t: &[u32; 3],
    ring_pts: u32,
    apex_end: u32,
    ends: &[End],
    n: usize,
    fan_mask: &mut [u64],
) -> Option<()> {
    let r = t
        .iter()
        .position(|&x| x >= ring_pts && x < apex_end)
        .unwrap_or(0);
    let j = (t[r] - ring_pts) as usize;
    let (x, y) = (t[(r + 1) % 3], t[(r + 2) % 3]);
    let ring = (j * n) as u32..((j + 1) * n) as u32;
    if !ring.contains(&x) || !ring.contains(&y) {
        return None;
    }
    let (kx, ky) = ((x - ring.start) as usize, (y - ring.start) as usize);
    // CCW about the outward direction: k → k+1 at end a, k → k−1 at end b.
    let next = if ends[j].end == 0 {
        (kx + 1) % n
    } else {
        (kx + n - 1) % n
    };
    if ky != next || fan_mask[j] & (1 << kx) != 0 {
        return None;
    }
    fan_mask[j] |= 1 << kx;
    Some(())
}

/// A piece of the explicit mesh: a strut's prism or a node's hub. Prints (and serializes)
/// as `"strut 3"` / `"node 7"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Piece {
    /// A strut's prism.
    Strut(StrutId),
    /// A node's hub.
    Node(NodeId),
}

impl serde::Serialize for Piece {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::fmt::Display for Piece {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Strut(i) => write!(f, "strut {i}"),
            Self::Node(v) => write!(f, "node {v}"),
        }
    }
}

/// Every pair of pieces sharing no node that come too close: node hubs and prism capsules
/// (radius the larger ring radius around the axis between the rings), sorted. A hub is
/// bounded by its ball `B(v, ρ_v)` and, where that ball meets the other piece, by the plane
/// normal to the line between them at the hub's support (its rings, apexes and node ball;
/// see [`Layout::hub_support`]): hubs set back far for two struts at a small angle are
/// long in those directions only, and the ball alone refused pieces well clear of them.
pub(super) fn interfering_pairs(
    nodes: &[Point3<f64>],
    struts: &[crate::network::Strut],
    layout: &Layout,
    setback: &[[f64; 2]],
    rho: &[f64],
) -> Vec<(Piece, Piece)> {
    let (geo, start) = (&layout.geo, &layout.start);
    // Primitives: struts 0..S (capsules), then nodes S.. (balls), only nodes with struts.
    let ns = struts.len();
    let seg: Vec<(Point3<f64>, Point3<f64>, f64)> = (0..ns)
        .map(|i| {
            let (s, g) = (&struts[i], &geo[i]);
            (
                nodes[s.a.index()] + g.d * setback[i][0],
                nodes[s.b.index()] - g.d * setback[i][1],
                g.ring[0].max(g.ring[1]),
            )
        })
        .collect();
    let live: Vec<usize> = (0..nodes.len())
        .filter(|&v| start[v + 1] > start[v])
        .collect();
    let prims = Primitives {
        nodes,
        struts,
        layout,
        rho,
        setback,
        seg,
        live,
    };
    let np = ns + prims.live.len();
    if np == 0 {
        return Vec::new();
    }
    let boxes: Vec<(Point3<f64>, Point3<f64>)> = (0..np).map(|p| prims.bbox(p)).collect();
    let (lo, cell) = grid_cell(&boxes);
    // The lowest clashing pair, so the reported pair does not depend on the thread count.
    crate::surface::broad_phase::overlapping_pairs(&boxes, lo, cell, |p, q| prims.clash(p, q))
        .into_iter()
        .map(|(p, q)| (prims.piece(p), prims.piece(q)))
        .collect()
}

/// The low corner of all `boxes` (not empty) and the broad-phase cell size: 1.5 × their
/// mean largest extent, at least 1e-6 of the whole extent.
fn grid_cell(boxes: &[(Point3<f64>, Point3<f64>)]) -> (Point3<f64>, f64) {
    let (mut lo, mut hi) = boxes[0];
    let mut mean = 0.0;
    for b in boxes {
        lo = lo.inf(&b.0);
        hi = hi.sup(&b.1);
        mean += (b.1 - b.0).max();
    }
    mean /= boxes.len() as f64;
    let cell = (1.5 * mean)
        .max((hi - lo).max() / 1e6)
        .max(f64::MIN_POSITIVE);
    (lo, cell)
}

/// The primitives of [`interfering_pairs`]: struts `0..S` (capsules `seg`: ring centres and
/// larger ring radius), then the nodes with struts, `live` (balls of radius `rho`).
struct Primitives<'a> {
    nodes: &'a [Point3<f64>],
    struts: &'a [crate::network::Strut],
    layout: &'a Layout,
    rho: &'a [f64],
    setback: &'a [[f64; 2]],
    seg: Vec<(Point3<f64>, Point3<f64>, f64)>,
    live: Vec<usize>,
}

impl Primitives<'_> {
    /// Primitive `p`'s bounding box.
    fn bbox(&self, p: usize) -> (Point3<f64>, Point3<f64>) {
        let ns = self.struts.len();
        if p < ns {
            let (a, b, r) = self.seg[p];
            let rv = Vector3::repeat(r);
            (a.inf(&b) - rv, a.sup(&b) + rv)
        } else {
            let v = self.live[p - ns];
            let rv = Vector3::repeat(self.rho[v]);
            (self.nodes[v] - rv, self.nodes[v] + rv)
        }
    }

    /// Whether nodes `v` and `w` share a strut.
    fn adjacent(&self, v: usize, w: usize) -> bool {
        self.layout.inc(v).iter().any(|e| {
            let s = &self.struts[e.strut as usize];
            (s.a.index() == w) || (s.b.index() == w)
        })
    }

    /// Whether primitives `p` and `q` share no node and come within their radii.
    fn clash(&self, p: usize, q: usize) -> bool {
        let (nodes, struts, seg, rho) = (self.nodes, self.struts, &self.seg, self.rho);
        let ns = struts.len();
        let (p, q) = (p.min(q), p.max(q));
        match (p < ns, q < ns) {
            (true, true) => {
                let (s, t) = (&struts[p], &struts[q]);
                if s.a == t.a || s.a == t.b || s.b == t.a || s.b == t.b {
                    return false;
                }
                let (a0, a1, ra) = seg[p];
                let (b0, b1, rb) = seg[q];
                segment_distance(a0.coords, a1.coords, b0.coords, b1.coords) <= ra + rb
            }
            (true, false) => {
                let v = self.live[q - ns];
                let s = &struts[p];
                if s.a.index() == v || s.b.index() == v {
                    return false;
                }
                let (a, b, r) = seg[p];
                let reach = r * (1.0 + PLANE_MARGIN);
                self.layout
                    .hub_reaches(self.setback, rho[v], v, nodes[v], a, b, reach)
            }
            _ => {
                let (v, w) = (self.live[p - ns], self.live[q - ns]);
                if self.adjacent(v, w) {
                    return false;
                }
                let d = nodes[w] - nodes[v];
                let dist = d.norm();
                if dist > rho[v] + rho[w] {
                    return false;
                }
                let Some(u) = d.try_normalize(1e-12) else {
                    return true;
                };
                let layout = self.layout;
                let margin = PLANE_MARGIN * layout.node_ring(v).max(layout.node_ring(w));
                layout.hub_support(self.setback, rho[v], v, &u)
                    + layout.hub_support(self.setback, rho[w], w, &-u)
                    + margin
                    >= dist
            }
        }
    }

    /// The piece primitive `p` stands for.
    fn piece(&self, p: usize) -> Piece {
        let ns = self.struts.len();
        if p < ns {
            Piece::Strut(StrutId::new(p))
        } else {
            Piece::Node(NodeId::new(self.live[p - ns]))
        }
    }
}
