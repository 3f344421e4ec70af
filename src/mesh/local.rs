//! The explicit mesher's *local* fallback: the neighbourhoods the explicit mesher refuses are
//! meshed implicitly and stitched into the explicit mesh, so one bad node never sends the
//! whole network to the implicit mesher.
//!
//! 1. **Patch nodes.** Every node the explicit mesher blames ([`Blame`]: a hub it cannot
//!    build, a strut too short between its rings, two pieces that come too close) joins the
//!    *patch*. A strut with both nodes in the patch is meshed implicitly whole; a strut with
//!    one is *cut*.
//! 2. **Cuts.** A cut strut is split at a plane perpendicular to it, at the first of
//!    [`CUT_STEPS`] positions (from the patch node outwards) where a slab of the strut
//!    around the plane is isolated: no other strut comes within both radii plus
//!    [`CLEARANCE_CELLS`] grid cells, no explicit hub ball within its radius plus the strut's,
//!    and the explicit remainder keeps a prism beyond its outer node's set-back. Where no
//!    position qualifies, the outer node joins the patch. Explicit pieces that come as close to
//!    a patch strut also bring their nodes into the patch. Rounds repeat until the explicit
//!    part (the other struts and the cut remainders, each ending in an *open* ring at its cut)
//!    meshes without a refusal, for at most [`MAX_ROUNDS`] rounds and
//!    [`MAX_PATCH_FRACTION`] of the nodes.
//! 3. **Patch mesh.** The patch struts' round cones, the cut ones clipped flat at their cut
//!    plane, are contoured by the implicit mesher (`contour`) on a grid of spacing `h`. Its
//!    triangles lying in a cut plane (the flat caps) are removed, leaving one boundary loop
//!    per cut.
//! 4. **Stitching.** Each loop is joined to its cut's open ring, which lies a distance
//!    `δ = max(h, r'/4)` further out, by a band of triangles merged in order of angle about
//!    the strut axis (both loops must wind once, monotonically, about the axis). The band lies
//!    in the isolated slab between the two planes, so it meets nothing else.
//!
//! The assembled mesh must pass the topology check; any step that fails gives
//! [`ExplicitFailure::Patch`] and the caller meshes the whole network implicitly. Everything
//! is deterministic (nodes, struts and loops in index order).

use std::collections::HashMap;
use std::f64::consts::PI;

use nalgebra::{Point3, Vector3};
use serde::Serialize;

use super::hub::PatchFailure;
use super::hub::{self, Blame, ExplicitFailure, HubStats, Layout, RHO_MAX_FACTOR};
use super::sdf::RoundCone;
use super::{MeshError, MeshSettings, TriMesh, check_topology};
use crate::geom::boxes::BoxTree;
use crate::geom::distance::segment_distance;
use crate::network::{NodeId, Strut, StrutNetwork};

/// The coarsest patch grid, as a fraction of the smallest strut radius (the default implicit
/// resolution): a cut face needs several cells across it to be stitched.
pub(super) const MAX_PATCH_RESOLUTION: f64 = 0.35;
/// Cut positions a strut may move on after failed stitches before its outer node joins the
/// patch.
const MAX_SHIFTS: usize = 3;
/// Rounds of growing the patch at most.
const MAX_ROUNDS: usize = 24;
/// Largest share of the nodes the patch may take before the whole network goes implicit.
const MAX_PATCH_FRACTION: f64 = 0.25;
/// Candidate cut positions along a strut.
const CUT_STEPS: usize = 32;
/// Clearance around a cut slab and between patch and explicit pieces, in grid spacings.
const CLEARANCE_CELLS: f64 = 2.0;
/// Distance from its cut plane within which a patch vertex counts as lying on it, in grid
/// spacings (the contour's vertices on a flat face are exact to `10⁻³ h` and kept `≥ h/100`
/// from grid points).
const CAP_TOL: f64 = 0.05;

/// What the local fallback did in one build (see `mesh::local`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct LocalStats {
    /// Nodes whose neighbourhoods were meshed implicitly.
    pub nodes: usize,
    /// Struts meshed implicitly, whole or up to their cut.
    pub struts: usize,
    /// Struts cut and stitched (explicit beyond the cut, implicit before it).
    pub cuts: usize,
    /// Triangles of the implicit patches and stitching bands.
    pub triangles: usize,
    /// Why: patch nodes by the first reason each was taken for.
    pub reasons: PatchReasons,
}

/// Patch nodes by the first reason each was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct PatchReasons {
    /// Two struts at the node too sharp for any hub.
    pub sharp_angle: usize,
    /// The node's hub would exceed the size cap.
    pub hub_too_large: usize,
    /// A strut at the node too short for its two rings.
    pub strut_too_short: usize,
    /// The node's hub hull was degenerate.
    pub hull: usize,
    /// A piece at the node came too close to another.
    pub interference: usize,
    /// Taken so that the patch's cuts and surroundings are clear (neighbours of the above).
    pub neighbours: usize,
}

impl PatchReasons {
    fn count(&mut self, failure: Option<&ExplicitFailure>) {
        match failure {
            Some(ExplicitFailure::SharpAngle { .. }) => self.sharp_angle += 1,
            Some(ExplicitFailure::HubTooLarge { .. }) => self.hub_too_large += 1,
            Some(ExplicitFailure::StrutTooShort { .. }) => self.strut_too_short += 1,
            Some(ExplicitFailure::Hull { .. }) => self.hull += 1,
            Some(ExplicitFailure::Interference { .. }) => self.interference += 1,
            _ => self.neighbours += 1,
        }
    }
}

/// A cut strut: implicit from `inner` (a patch node) to the plane through `point`, explicit
/// from `outer` to the open ring at `point + δ·dir`.
struct Cut {
    strut: usize,
    inner: usize,
    outer: usize,
    /// The cut plane's point on the axis, mm.
    point: Point3<f64>,
    /// Unit axis direction, inner → outer.
    dir: Vector3<f64>,
    /// Axial gap between the patch's cut face and the explicit ring, mm.
    delta: f64,
    /// Strut radius at the cut plane and at the ring, mm.
    radius: [f64; 2],
}

/// The patch state: which nodes are in it and why.
struct Patch {
    member: Vec<bool>,
    why: Vec<Option<ExplicitFailure>>,
}

impl Patch {
    /// Adds `v`; returns whether it is new.
    fn take(&mut self, v: usize, why: Option<&ExplicitFailure>) -> bool {
        if self.member[v] {
            return false;
        }
        self.member[v] = true;
        self.why[v] = why.cloned();
        true
    }
}

/// Fixed inputs of the patch search.
struct Context<'a> {
    nodes: &'a [Point3<f64>],
    struts: &'a [Strut],
    /// Ring radius (largest) per strut, mm.
    ring: Vec<f64>,
    /// Set-back per strut end and hub ball radius per node in the whole network, mm.
    setback: Vec<[f64; 2]>,
    rho: Vec<f64>,
    /// The struts' axis boxes grown by their ring radius, labelled by strut index.
    tree: BoxTree<usize>,
    /// The largest ring radius plus the largest hub ball radius: how far to look, mm.
    reach: f64,
    /// Grid spacing of the patches, mm.
    h: f64,
    /// Ring frames and incidences of the whole network (for the hubs' extents).
    layout: Layout,
}

impl<'a> Context<'a> {
    /// The fixed inputs for `net` meshed with `n` sides per ring and patches of grid
    /// spacing `h` mm.
    fn new(net: &'a StrutNetwork, n: usize, h: f64) -> Self {
        let (nodes, struts) = (net.nodes(), net.struts());
        let layout = Layout::new(net, n);
        let (setback, rho, _) = layout.setbacks(RHO_MAX_FACTOR);
        let ring: Vec<f64> = (0..struts.len()).map(|i| layout.ring_radius(i)).collect();
        let tree = BoxTree::new(struts.iter().zip(&ring).enumerate().map(|(i, (s, r))| {
            let (a, b) = (nodes[s.a.index()], nodes[s.b.index()]);
            let m = Vector3::repeat(*r);
            ((a.inf(&b) - m).into(), (a.sup(&b) + m).into(), i)
        }));
        let reach = ring.iter().fold(0.0, |m: f64, r| m.max(*r))
            + rho
                .iter()
                .filter(|r| r.is_finite())
                .fold(0.0, |m: f64, r| m.max(*r));
        Context {
            nodes,
            struts,
            ring,
            setback,
            rho,
            tree,
            reach,
            h,
            layout,
        }
    }

    /// Whether explicit node `v`'s hub comes within `reach` mm of the segment `p–q`
    /// ([`Layout::hub_reaches`]).
    fn hub_reaches(&self, v: usize, p: Point3<f64>, q: Point3<f64>, reach: f64) -> bool {
        self.layout
            .hub_reaches(&self.setback, self.rho[v], v, self.nodes[v], p, q, reach)
    }

    fn axis(&self, i: usize) -> (Vector3<f64>, Vector3<f64>) {
        let s = self.struts[i];
        (
            self.nodes[s.a.index()].coords,
            self.nodes[s.b.index()].coords,
        )
    }

    /// Struts whose boxes come within `margin` mm of the segment `p–q`.
    fn near(&self, p: Point3<f64>, q: Point3<f64>, margin: f64) -> impl Iterator<Item = usize> {
        let m = Vector3::repeat(margin + self.reach);
        let (lo, hi) = (p.inf(&q) - m, p.sup(&q) + m);
        let mut found: Vec<usize> = self.tree.intersecting(lo.into(), hi.into()).collect();
        found.sort_unstable();
        found.into_iter()
    }

    /// The smallest end radius of the struts with a node in the patch (`member`), mm; `None`
    /// where the patch has no strut.
    fn smallest_patch_radius(&self, member: &[bool]) -> Option<f64> {
        self.struts
            .iter()
            .filter(|s| member[s.a.index()] || member[s.b.index()])
            .map(|s| s.radius_a.min(s.radius_b))
            .reduce(f64::min)
    }

    /// The strut radius of `i` at distance `s` mm from node `from` along it.
    fn radius_at(&self, i: usize, from: usize, s: f64) -> f64 {
        let st = self.struts[i];
        let (a, b) = (self.nodes[st.a.index()], self.nodes[st.b.index()]);
        let t = (s / (b - a).norm()).clamp(0.0, 1.0);
        let t = if st.a.index() == from { t } else { 1.0 - t };
        st.radius_a + (st.radius_b - st.radius_a) * t
    }
}

/// Meshes `net` explicitly except around the nodes `blames` names, which are meshed
/// implicitly (grid spacing `resolution` × the smallest strut radius in the patch, at most
/// `settings.max_cells` cells and `settings.max_triangles` triangles) and stitched in (see the
/// module docs). Returns the mesh, the explicit hubs' statistics and what the fallback did.
///
/// # Errors
/// [`ExplicitFailure::Patch`] when the patch does not settle, takes too many nodes or
/// triangles (checked before contouring, and while contouring so memory stays bounded), or its
/// stitching fails; the caller then meshes the whole network implicitly.
pub(super) fn mesh_local(
    net: &StrutNetwork,
    n: usize,
    resolution: f64,
    settings: &MeshSettings,
    blames: Vec<Blame>,
) -> Result<(TriMesh, HubStats, LocalStats), ExplicitFailure> {
    let nn = net.nodes().len();
    let mut cx = Context::new(net, n, resolution * net.smallest_radius());
    let mut patch = Patch {
        member: vec![false; nn],
        why: vec![None; nn],
    };
    for b in &blames {
        for &v in &b.nodes {
            patch.take(v, Some(&b.failure));
        }
    }
    // Cut positions skipped per strut after failed stitches.
    let mut shifts: HashMap<usize, usize> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        if let Some(r) = cx.smallest_patch_radius(&patch.member) {
            cx.h = resolution * r;
        }
        check_budget(&cx, &patch.member, settings.max_triangles)?;
        if let Some(done) = patch_round(&cx, &mut patch, &mut shifts, n, settings)? {
            return Ok(done);
        }
    }
    Err(ExplicitFailure::Patch {
        nodes: patch.member.iter().filter(|m| **m).count(),
        why: PatchFailure::DidNotSettle,
    })
}

/// Refuses the patch, before it is contoured, when its implicit mesh alone would have more
/// than `max_triangles` triangles: an underestimate that counts only the struts wholly in the
/// patch (the patch only grows, so no later round could fit). Contouring such a patch would
/// take the memory and time of the mesh it cannot write.
fn check_budget(cx: &Context, member: &[bool], max_triangles: u64) -> Result<(), ExplicitFailure> {
    let inside = cx
        .struts
        .iter()
        .filter(|s| member[s.a.index()] && member[s.b.index()]);
    if super::implicit_triangles(cx.nodes, inside, cx.h) <= max_triangles {
        return Ok(());
    }
    Err(ExplicitFailure::Patch {
        nodes: member.iter().filter(|m| **m).count(),
        why: PatchFailure::OverBudget,
    })
}

/// One round of growing the patch (module docs, steps 2–4): the mesh if the patch settles
/// and stitches, `None` if it grew or a cut moved on (another round).
///
/// # Errors
/// [`ExplicitFailure::Patch`] when the patch takes too many nodes, the explicit part is
/// refused without the patch growing, or stitching fails.
fn patch_round(
    cx: &Context,
    patch: &mut Patch,
    shifts: &mut HashMap<usize, usize>,
    n: usize,
    settings: &MeshSettings,
) -> Result<Option<(TriMesh, HubStats, LocalStats)>, ExplicitFailure> {
    let nn = cx.nodes.len();
    let size = patch.member.iter().filter(|m| **m).count();
    if size as f64 > MAX_PATCH_FRACTION * nn as f64 {
        return Err(ExplicitFailure::Patch {
            nodes: size,
            why: PatchFailure::TooLarge,
        });
    }
    let (cuts, mut grow) = find_cuts(cx, &patch.member, shifts);
    if grow.is_empty() {
        grow = crowding_patch(cx, &patch.member, &cuts);
    }
    if !grow.is_empty() {
        for v in grow {
            patch.take(v, None);
        }
        return Ok(None);
    }
    let (sub, open, explicit_struts) = explicit_part(cx, &patch.member, &cuts);
    match hub::mesh_explicit_open(&sub, n, &open) {
        Ok((mesh, hubs)) => {
            let stitched = stitch(cx, &patch.member, &cuts, mesh, explicit_struts, n, settings);
            let (mesh, mut stats) = match stitched {
                Ok(done) => done,
                Err(Stitch::Failed(e)) => return Err(e),
                Err(Stitch::BadCuts(bad)) => {
                    // Move each bad cut on along its strut; past MAX_SHIFTS, take its
                    // outer node into the patch.
                    for k in bad {
                        let c = &cuts[k];
                        let tries = shifts.entry(c.strut).or_insert(0);
                        *tries += 1;
                        if *tries > MAX_SHIFTS {
                            patch.take(c.outer, None);
                        }
                    }
                    return Ok(None);
                }
            };
            for why in patch.why.iter().zip(&patch.member).filter(|x| *x.1) {
                stats.reasons.count(why.0.as_ref());
            }
            stats.nodes = size;
            Ok(Some((mesh, hubs, stats)))
        }
        Err(blames) => {
            let mut grew = false;
            for b in &blames {
                for &v in &b.nodes {
                    // A refusal at a cut's open node: the whole strut goes to the patch.
                    let v = if v < nn { v } else { cuts[v - nn].outer };
                    grew |= patch.take(v, Some(&b.failure));
                }
            }
            if !grew {
                return Err(blames.into_iter().next().map_or(
                    ExplicitFailure::Patch {
                        nodes: size,
                        why: PatchFailure::ExplicitPartRefused,
                    },
                    |b| b.failure,
                ));
            }
            Ok(None)
        }
    }
}

/// A cut for every strut with one node in the patch, and the outer nodes of those that have
/// no isolated position.
fn find_cuts(
    cx: &Context,
    member: &[bool],
    shifts: &HashMap<usize, usize>,
) -> (Vec<Cut>, Vec<usize>) {
    let mut cuts = Vec::new();
    let mut grow = Vec::new();
    for (i, s) in cx.struts.iter().enumerate() {
        let (a, b) = (s.a.index(), s.b.index());
        if member[a] == member[b] {
            continue;
        }
        let (inner, outer) = if member[a] { (a, b) } else { (b, a) };
        let skip = shifts.get(&i).copied().unwrap_or(0);
        match find_cut(cx, member, i, inner, outer, skip) {
            Some(cut) => cuts.push(cut),
            None => grow.push(outer),
        }
    }
    grow.sort_unstable();
    grow.dedup();
    (cuts, grow)
}

/// The isolated cut positions of strut `i` from its patch node outwards (module docs): the
/// first after skipping `skip` (cuts whose stitch failed move on).
fn find_cut(
    cx: &Context,
    member: &[bool],
    i: usize,
    inner: usize,
    outer: usize,
    skip: usize,
) -> Option<Cut> {
    let (p, q) = (cx.nodes[inner], cx.nodes[outer]);
    let length = (q - p).norm();
    let dir = (q - p) / length;
    let ring = cx.ring[i];
    let delta = cx.h.max(0.25 * ring);
    let clear = CLEARANCE_CELLS * cx.h;
    let outer_end = usize::from(cx.struts[i].a.index() != outer);
    // The explicit remainder keeps a prism of a tenth of its ring radius beyond the outer
    // node's set-back.
    let s_max = length - delta - cx.setback[i][outer_end] - 0.1 * ring;
    (1..CUT_STEPS)
        .map(|k| length * k as f64 / CUT_STEPS as f64)
        .take_while(|&s| s <= s_max)
        .filter(|&s| {
            let (lo, hi) = (p + dir * (s - clear).max(0.0), p + dir * (s + delta));
            isolated(cx, member, i, outer, lo, hi, ring, clear)
        })
        .nth(skip)
        .map(|s| Cut {
            strut: i,
            inner,
            outer,
            point: p + dir * s,
            dir,
            delta,
            radius: [cx.radius_at(i, inner, s), cx.radius_at(i, inner, s + delta)],
        })
}

/// Whether the slab `lo–hi` of strut `i` (ring radius `ring`) keeps `clear` mm from every
/// other strut and every explicit hub ball, except the struts and ball of its outer node:
/// those are separated from it by the explicit mesher's own cone and plane conditions at that
/// node (the slab lies beyond the remainder's ring, inside its cone).
#[allow(clippy::too_many_arguments)]
fn isolated(
    cx: &Context,
    member: &[bool],
    i: usize,
    outer: usize,
    lo: Point3<f64>,
    hi: Point3<f64>,
    ring: f64,
    clear: f64,
) -> bool {
    for j in cx.near(lo, hi, ring + clear) {
        let s = cx.struts[j];
        if j == i || s.a.index() == outer || s.b.index() == outer {
            continue;
        }
        let (a, b) = cx.axis(j);
        if segment_distance(lo.coords, hi.coords, a, b) <= ring + cx.ring[j] + clear {
            return false;
        }
        for v in [s.a.index(), s.b.index()] {
            if !member[v] && cx.hub_reaches(v, lo, hi, ring + clear) {
                return false;
            }
        }
    }
    true
}

/// Explicit nodes whose pieces come within the clearance of a patch strut: the non-patch
/// nodes of explicit struts (and cut remainders) near a patch segment, and explicit hub balls
/// near one.
fn crowding_patch(cx: &Context, member: &[bool], cuts: &[Cut]) -> Vec<usize> {
    let clear = CLEARANCE_CELLS * cx.h;
    let cut_of: HashMap<usize, &Cut> = cuts.iter().map(|c| (c.strut, c)).collect();
    let mut grow = Vec::new();
    for (i, s) in cx.struts.iter().enumerate() {
        let (a, b) = (s.a.index(), s.b.index());
        if !(member[a] || member[b]) {
            continue;
        }
        // The patch segment: the whole strut, or up to its cut (explicit pieces at the cut
        // strut's outer node are separated from it by the explicit mesher's cones there).
        let (p, q, outer) = match cut_of.get(&i) {
            Some(c) => (cx.nodes[c.inner], c.point, Some(c.outer)),
            None => (cx.nodes[a], cx.nodes[b], None),
        };
        let r = s.radius_a.max(s.radius_b) + cx.h;
        for j in cx.near(p, q, r + clear) {
            if j == i {
                continue;
            }
            let t = cx.struts[j];
            let (ja, jb) = (t.a.index(), t.b.index());
            if outer.is_some_and(|w| w == ja || w == jb) {
                continue;
            }
            // The explicit part of strut j: all of it, or from its cut's ring outwards.
            let (e0, e1) = match cut_of.get(&j) {
                Some(c) => (c.point + c.dir * c.delta, cx.nodes[c.outer]),
                None if member[ja] || member[jb] => continue,
                None => (cx.nodes[ja], cx.nodes[jb]),
            };
            if segment_distance(p.coords, q.coords, e0.coords, e1.coords) <= r + cx.ring[j] + clear
            {
                grow.extend([ja, jb].into_iter().filter(|v| !member[*v]));
                continue;
            }
            for v in [ja, jb] {
                if member[v] {
                    continue;
                }
                if cx.hub_reaches(v, p, q, r + clear) {
                    grow.push(v);
                }
            }
        }
    }
    grow.sort_unstable();
    grow.dedup();
    grow
}

/// The explicit sub-network: every node (patch nodes keep no strut), the struts with no node in
/// the patch, then one remainder per cut from its outer node to a new open node at its ring.
/// Returns it, the open flags and the number of whole explicit struts.
fn explicit_part(cx: &Context, member: &[bool], cuts: &[Cut]) -> (StrutNetwork, Vec<bool>, usize) {
    let mut nodes = cx.nodes.to_vec();
    let mut struts: Vec<Strut> = cx
        .struts
        .iter()
        .filter(|s| !(member[s.a.index()] || member[s.b.index()]))
        .copied()
        .collect();
    let whole = struts.len();
    for c in cuts {
        let s = cx.struts[c.strut];
        let r_outer = if s.a.index() == c.outer {
            s.radius_a
        } else {
            s.radius_b
        };
        struts.push(Strut {
            a: NodeId::new(c.outer),
            b: NodeId::new(nodes.len()),
            radius_a: r_outer,
            radius_b: c.radius[1],
        });
        nodes.push(c.point + c.dir * c.delta);
    }
    let mut open = vec![false; cx.nodes.len()];
    open.resize(nodes.len(), true);
    let net = StrutNetwork::try_new(nodes, struts)
        .expect("the explicit part of a valid network is valid");
    (net, open, whole)
}

/// Why a stitch did not produce a mesh.
enum Stitch {
    /// The patch cannot be made (the caller gives up).
    Failed(ExplicitFailure),
    /// These cuts' loops step back about their axis, or their bands or patch surfaces
    /// intersect something: move them (indices into the cuts).
    BadCuts(Vec<usize>),
}

/// Meshes the patch, removes its cut faces and stitches each cut's loop to its open ring.
fn stitch(
    cx: &Context,
    member: &[bool],
    cuts: &[Cut],
    explicit: TriMesh,
    explicit_struts: usize,
    n: usize,
    settings: &MeshSettings,
) -> Result<(TriMesh, LocalStats), Stitch> {
    let fail = |why: PatchFailure| {
        Stitch::Failed(ExplicitFailure::Patch {
            nodes: member.iter().filter(|m| **m).count(),
            why,
        })
    };
    let cones = patch_cones(cx, member, cuts);
    let patch = super::contour_cones(&cones, cx.h, settings.max_cells, settings.max_triangles)
        .map_err(|e| {
            fail(match e {
                MeshError::TooManyTriangles { .. } => PatchFailure::OverBudget,
                _ => PatchFailure::NotContoured,
            })
        })?;
    let (pv, pt) = (patch.vertices(), patch.triangles());
    let on_cut = cut_of_vertices(cx, cuts, pv);
    let kept: Vec<[u32; 3]> = pt
        .iter()
        .filter(|t| {
            let k = on_cut[t[0] as usize];
            !(k.is_some() && t.iter().all(|&x| on_cut[x as usize] == k))
        })
        .copied()
        .collect();
    let pv = snap_to_cuts(cuts, pv, &on_cut);
    let loops = cut_loops(&kept, &on_cut, cuts.len()).map_err(fail)?;
    // Assemble: explicit vertices, then the patch vertices still used.
    let mut remap = vec![u32::MAX; pv.len()];
    let mut vertices = explicit.vertices().to_vec();
    let mut triangles = explicit.triangles().to_vec();
    let explicit_triangles = triangles.len();
    for t in &kept {
        triangles.push(t.map(|x| {
            if remap[x as usize] == u32::MAX {
                remap[x as usize] = vertices.len() as u32;
                vertices.push(pv[x as usize]);
            }
            remap[x as usize]
        }));
    }
    let mut bad = Vec::new();
    for (k, c) in cuts.iter().enumerate() {
        let lp = loops[k]
            .as_ref()
            .ok_or_else(|| fail(PatchFailure::CutWithoutLoop))?;
        let a: Vec<u32> = lp.iter().map(|&v| remap[v as usize]).collect();
        // The open ring: end b of the remainder strut, k → k + 1 in the band's direction.
        let first = ((2 * (explicit_struts + k) + 1) * n) as u32;
        let b: Vec<u32> = (0..n as u32).map(|j| first + j).collect();
        if band(&vertices, c, &a, &b, &mut triangles).is_none() {
            bad.push(k);
        }
    }
    if !bad.is_empty() {
        return Err(Stitch::BadCuts(bad));
    }
    let mesh = TriMesh::from_parts_unchecked(vertices, triangles);
    check_topology(&mesh)
        .into_result()
        .map_err(|_| fail(PatchFailure::StitchedTopology))?;
    let bad = crossing_cuts(&mesh, explicit_triangles, cuts);
    if !bad.is_empty() {
        return Err(Stitch::BadCuts(bad));
    }
    let stats = LocalStats {
        nodes: 0,
        struts: cones.len(),
        cuts: cuts.len(),
        triangles: mesh.triangles().len() - explicit_triangles,
        reasons: PatchReasons::default(),
    };
    Ok((mesh, stats))
}

/// The round cones of the patch struts (those with a node in the patch), in strut order;
/// a cut strut's cone is clipped flat at its cut plane.
fn patch_cones(cx: &Context, member: &[bool], cuts: &[Cut]) -> Vec<RoundCone> {
    let cut_of: HashMap<usize, usize> =
        cuts.iter().enumerate().map(|(k, c)| (c.strut, k)).collect();
    let clear = CLEARANCE_CELLS * cx.h;
    let mut cones = Vec::new();
    for (i, s) in cx.struts.iter().enumerate() {
        if !(member[s.a.index()] || member[s.b.index()]) {
            continue;
        }
        let cone = match cut_of.get(&i) {
            None => RoundCone::new(
                cx.nodes[s.a.index()],
                cx.nodes[s.b.index()],
                s.radius_a,
                s.radius_b,
            ),
            Some(&k) => {
                let c = &cuts[k];
                let p = cx.nodes[c.inner];
                let s_cut = (c.point - p).norm();
                // Carried on past the plane so that the plane, not the cone's end, bounds it.
                RoundCone::new(
                    p,
                    c.point + c.dir * clear,
                    cx.radius_at(i, c.inner, 0.0),
                    cx.radius_at(i, c.inner, s_cut + clear),
                )
                .clipped(c.point, c.dir)
            }
        };
        cones.push(cone);
    }
    cones
}

/// The cut each patch vertex lies on, if any (the lowest index where several): within
/// [`CAP_TOL`] grid spacings of its plane and its radius plus the clearance of its axis.
fn cut_of_vertices(cx: &Context, cuts: &[Cut], pv: &[Point3<f64>]) -> Vec<Option<usize>> {
    let clear = CLEARANCE_CELLS * cx.h;
    let disc_tree = BoxTree::new(cuts.iter().enumerate().map(|(k, c)| {
        let m = Vector3::repeat(c.radius[0] + clear);
        ((c.point - m).into(), (c.point + m).into(), k)
    }));
    let tol = CAP_TOL * cx.h;
    pv.iter()
        .map(|p| {
            let mut hits = disc_tree
                .intersecting((*p).into(), (*p).into())
                .filter(|&k| {
                    let c = &cuts[k];
                    let rel = p - c.point;
                    let axial = rel.dot(&c.dir);
                    axial.abs() <= tol && (rel - c.dir * axial).norm() <= c.radius[0] + clear
                })
                .collect::<Vec<_>>();
            hits.sort_unstable();
            hits.first().copied()
        })
        .collect()
}

/// The patch vertices with those on a cut face a hair beyond its plane (the contour's
/// clamp) moved onto it, so the patch lies on its side of every cut plane and the bands on
/// the other.
fn snap_to_cuts(cuts: &[Cut], pv: &[Point3<f64>], on_cut: &[Option<usize>]) -> Vec<Point3<f64>> {
    pv.iter()
        .zip(on_cut)
        .map(|(p, k)| match k {
            Some(k) => {
                let c = &cuts[*k];
                let axial = (p - c.point).dot(&c.dir);
                if axial > 0.0 { p - c.dir * axial } else { *p }
            }
            None => *p,
        })
        .collect()
}

/// The boundary loops of the patch triangles `kept`, one per cut (indexed by cut; `None`
/// where a cut has none): one outgoing boundary half-edge per vertex, every loop on a
/// single cut.
///
/// # Errors
/// [`PatchFailure::CutNotSimpleLoop`] where the boundary is not a set of simple loops, one
/// per cut at most; [`PatchFailure::HoleOffCuts`] for a loop off every cut.
fn cut_loops(
    kept: &[[u32; 3]],
    on_cut: &[Option<usize>],
    n_cuts: usize,
) -> Result<Vec<Option<Vec<u32>>>, PatchFailure> {
    let edges: std::collections::HashSet<(u32, u32)> = kept
        .iter()
        .flat_map(|t| [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])])
        .collect();
    let mut next: HashMap<u32, u32> = HashMap::new();
    let mut starts: Vec<u32> = Vec::new();
    for &(x, y) in &edges {
        if !edges.contains(&(y, x)) {
            if next.insert(x, y).is_some() {
                return Err(PatchFailure::CutNotSimpleLoop);
            }
            starts.push(x);
        }
    }
    starts.sort_unstable();
    let mut loops: Vec<Option<Vec<u32>>> = vec![None; n_cuts];
    let mut seen: std::collections::HashSet<u32> = std::collections::HashSet::new();
    for &s in &starts {
        if seen.contains(&s) {
            continue;
        }
        let mut lp = vec![s];
        seen.insert(s);
        let mut x = next[&s];
        while x != s {
            if !seen.insert(x) || lp.len() > next.len() {
                return Err(PatchFailure::CutNotSimpleLoop);
            }
            lp.push(x);
            x = *next.get(&x).ok_or(PatchFailure::CutNotSimpleLoop)?;
        }
        let k = on_cut[s as usize].ok_or(PatchFailure::HoleOffCuts)?;
        if lp.iter().any(|&v| on_cut[v as usize] != Some(k)) || loops[k].is_some() {
            return Err(PatchFailure::CutNotSimpleLoop);
        }
        loops[k] = Some(lp);
    }
    Ok(loops)
}

/// Appends the band joining the patch loop `a` (the surface holds `a[j] → a[j+1]`) to the
/// open ring `b` (the band holds `b[j] → b[j+1]`), merged by angle about the cut's axis.
/// `None` unless both wind once about the axis, monotonically and the same way.
fn band(
    vertices: &[Point3<f64>],
    cut: &Cut,
    a: &[u32],
    b: &[u32],
    out: &mut Vec<[u32; 3]>,
) -> Option<()> {
    let e = if cut.dir.x.abs() <= cut.dir.y.abs() && cut.dir.x.abs() <= cut.dir.z.abs() {
        Vector3::x()
    } else if cut.dir.y.abs() <= cut.dir.z.abs() {
        Vector3::y()
    } else {
        Vector3::z()
    };
    let u = e.cross(&cut.dir).normalize();
    let w = cut.dir.cross(&u);
    let angle = |v: u32| {
        let r = vertices[v as usize] - cut.point;
        r.dot(&w).atan2(r.dot(&u))
    };
    // Unwrapped angles and the winding sign (the sign of the total turn, which must be one
    // full turn). The patch loop follows grid edges, so it may step back a little; the open
    // ring is a regular polygon and turns strictly.
    let unwrap = |lp: &[u32], strict: bool| -> Option<(Vec<f64>, f64)> {
        let mut th = vec![angle(lp[0])];
        let mut sign = 0.0;
        for j in 0..lp.len() {
            let next = angle(lp[(j + 1) % lp.len()]);
            let step = (next - th[j] + PI).rem_euclid(2.0 * PI) - PI;
            if strict && (step == 0.0 || (sign != 0.0 && step.signum() != sign)) {
                return None;
            }
            sign = step.signum();
            th.push(th[j] + step);
        }
        let total = th[lp.len()] - th[0];
        ((total.abs() - 2.0 * PI).abs() < 1e-6).then_some((th, total.signum()))
    };
    let (mut ta, sa) = unwrap(a, false)?;
    let (mut tb, sb) = unwrap(b, true)?;
    if sa != sb {
        return None;
    }
    if sa < 0.0 {
        ta.iter_mut().for_each(|t| *t = -*t);
        tb.iter_mut().for_each(|t| *t = -*t);
    }
    // Where the patch loop steps back, its vertices are fanned from one ring vertex (a fan
    // over a simple polyline from a point off its plane never folds).
    for j in 1..ta.len() {
        ta[j] = ta[j].max(ta[j - 1]);
    }
    // Start b at its last vertex at or before a[0] (angles now increase along both).
    let (m, nb) = (a.len(), b.len());
    let behind = |t: f64| (ta[0] - t).rem_euclid(2.0 * PI);
    let j0 = (0..nb)
        .min_by(|&x, &y| behind(tb[x]).total_cmp(&behind(tb[y])))
        .unwrap_or(0);
    let b0 = ta[0] - behind(tb[j0]);
    let rot = |j: usize| {
        let k = j0 + j;
        if k <= nb {
            tb[k]
        } else {
            tb[k - nb] + 2.0 * PI
        }
    };
    let tb: Vec<f64> = (0..=nb).map(|j| rot(j) - tb[j0] + b0).collect();
    let bb = |j: usize| b[(j0 + j) % nb];
    let (mut i, mut j) = (0, 0);
    while i < m || j < nb {
        let take_a = j == nb || (i < m && ta[i + 1] <= tb[j + 1]);
        if take_a {
            out.push([a[(i + 1) % m], a[i], bb(j)]);
            i += 1;
        } else {
            out.push([bb(j), bb(j + 1), a[i % m]]);
            j += 1;
        }
    }
    Some(())
}

/// The cuts near which the patched mesh intersects itself: the patch and band triangles
/// (from `first` on) and the explicit triangles in their bounding box are checked, and each
/// intersecting pair is charged to the cut nearest to it.
fn crossing_cuts(mesh: &TriMesh, first: usize, cuts: &[Cut]) -> Vec<usize> {
    let (verts, tris) = (mesh.vertices(), mesh.triangles());
    let mut lo = Point3::from([f64::INFINITY; 3]);
    let mut hi = Point3::from([f64::NEG_INFINITY; 3]);
    for t in &tris[first..] {
        for &v in t {
            lo = lo.inf(&verts[v as usize]);
            hi = hi.sup(&verts[v as usize]);
        }
    }
    let inside = |t: &[u32; 3]| {
        t.iter().any(|&v| {
            let p = verts[v as usize];
            (0..3).all(|a| p[a] >= lo[a] && p[a] <= hi[a])
        })
    };
    let local: Vec<usize> = (0..first)
        .filter(|&k| inside(&tris[k]))
        .chain(first..tris.len())
        .collect();
    let mut bad: Vec<usize> = crate::surface::check::self_intersections_among(mesh, &local)
        .into_iter()
        .filter_map(|(x, _)| {
            let t = tris[x];
            let c = t
                .iter()
                .map(|&v| verts[v as usize].coords)
                .sum::<Vector3<f64>>()
                / 3.0;
            (0..cuts.len()).min_by(|&a, &b| {
                (cuts[a].point.coords - c)
                    .norm()
                    .total_cmp(&(cuts[b].point.coords - c).norm())
            })
        })
        .collect();
    bad.sort_unstable();
    bad.dedup();
    bad
}
