//! Conditioning a strut network for the explicit mesher: short struts are contracted and
//! interfering pieces fused, so graded and trimmed networks mesh explicitly.
//!
//! Graded and trimmed networks have struts shorter than the set-backs the explicit mesher
//! needs at their two ends (stubs cut by the domain boundary, short pieces between blended
//! nodes): their two rings would overlap. Such a strut is *contracted*: its two nodes become
//! one, placed at the mean of the merged nodes that carry other struts (so a stub ending on
//! the domain surface collapses onto its interior node and the interior of the lattice does
//! not move). They also have pieces that come within their radii of each other without
//! sharing a node (crossing blended struts, a trimmed end next to another node's hub, nearly
//! parallel struts at a node, which no hub can separate): those are *fused* at a common node
//! (an end node, or a new node splitting the strut at its closest point, the radius
//! interpolated). Struts that end up joining a node to itself disappear (they lie inside the
//! merged node's hub); struts that end up joining the same two nodes are kept once, with the
//! larger radius at each end.
//!
//! Limits, in ring radii of the strut concerned: a contraction moves no node that carries
//! more than one strut farther than [`MAX_SHIFT_RINGS`] from where it is; a fusion moves none
//! farther than [`MAX_FUSE_SHIFT_RINGS`] from any input position it stands for (so repeated
//! fusions cannot drift), and pairs the first phase could not join get a second phase at
//! [`RELAXED_FUSE_FACTOR`] times that. The free end of a stub (a node with one strut) is
//! exempt: moving it only turns its stub onto the node it joins. Nodes whose struts need a
//! hub larger than the explicit mesher's cap are not contracted through (their fusion comes
//! first). A pass that would absorb every strut leaves the network as it is. Rounds repeat
//! (a merge can enlarge a hub) for at most [`MAX_ROUNDS`]. Deterministic: pairs are taken in
//! sorted order, short struts by length, then index.
//!
//! The solid moves by at most a few strut radii, and only near nodes, where the hubs already
//! deviate from the union of round cones by up to their set-back. [`ConditionStats`] (in the
//! build report) says how many struts were absorbed, split and fused and how far nodes moved.

use nalgebra::{Point3, Vector3};
use serde::Serialize;

use super::hub::{Layout, Piece, RHO_MAX_FACTOR, interfering_pairs};

/// Per-end set-backs, hub ball radii and separability per node ([`Layout::setbacks`]).
type Hubs = (Vec<[f64; 2]>, Vec<f64>, Vec<bool>);
use crate::geom::distance::{closest_segment_param, point_segment_distance, segment_closest};
use crate::network::{NodeId, Strut, StrutId, StrutNetwork};

/// Largest distance a node may move when merged, in ring radii of the contracted strut.
pub(super) const MAX_SHIFT_RINGS: f64 = 4.0;
/// Largest distance a node may move when two interfering pieces are fused, in ring radii of
/// the thicker piece: the pieces already come within their radii of each other.
pub(super) const MAX_FUSE_SHIFT_RINGS: f64 = 2.0;
/// The factor on [`MAX_FUSE_SHIFT_RINGS`] of the second phase, for pairs the first could not
/// join.
pub(super) const RELAXED_FUSE_FACTOR: f64 = 2.0;
/// Contraction rounds at most.
pub(super) const MAX_ROUNDS: usize = 16;

/// What conditioning changed in a network before explicit meshing (see `mesh::condition`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct ConditionStats {
    /// Struts contracted into a node (too short for their two rings).
    pub struts_absorbed: usize,
    /// Struts dropped because, after merging, they joined the same two nodes as another.
    pub duplicate_struts: usize,
    /// Pairs of pieces (hubs, struts) that came within their radii of each other without
    /// sharing a node, joined at a common node.
    pub pieces_fused: usize,
    /// Struts split to join another piece.
    pub struts_split: usize,
    /// Largest distance a node that carries more than one strut moved, mm (the free ends of
    /// absorbed stubs are not counted).
    pub max_shift_mm: f64,
}

/// Returns `net` with its too-short struts contracted (see the module docs) for rings of `n`
/// sides, and what changed. The network is returned unchanged (cloned) when no strut is too
/// short.
pub(super) fn condition(net: &StrutNetwork, n: usize) -> (StrutNetwork, ConditionStats) {
    let mut stats = ConditionStats::default();
    let mut nodes = net.nodes().to_vec();
    let mut struts = net.struts().to_vec();
    // The input positions each current node stands for (shifts are measured from them).
    let mut origins: Vec<Vec<Point3<f64>>> = nodes.iter().map(|p| vec![*p]).collect();
    // Fusions move nodes at most MAX_FUSE_SHIFT_RINGS ring radii; pairs still interfering
    // when nothing more can be done get a second phase at twice that.
    let mut relax = 1.0;
    for _ in 0..MAX_ROUNDS {
        if struts.is_empty() {
            break;
        }
        let current = StrutNetwork::try_new(nodes.clone(), struts.clone())
            .expect("conditioning keeps the network valid");
        let layout = Layout::new(&current, n);
        let hubs = layout.setbacks(RHO_MAX_FACTOR);
        let mut groups = Groups::new(std::mem::take(&mut origins));
        // Fuse overlapping pieces (they are what makes hubs large) and contract short struts
        // in one pass of merges.
        let fused = fuse_interfering(&current, &layout, &hubs, &mut groups, relax);
        let degree = degrees(fused.nodes.len(), &fused.struts);
        let merged = contract_short(&current, &fused.nodes, &layout, &hubs, &mut groups, &degree);
        if fused.pairs == 0 && merged == 0 {
            if fused.refused > 0 && relax == 1.0 {
                relax = RELAXED_FUSE_FACTOR;
                origins = std::mem::take(&mut groups.origins);
                origins.truncate(nodes.len());
                continue;
            }
            break;
        }
        stats.pieces_fused += fused.pairs;
        stats.struts_split += fused.splits;
        stats.struts_absorbed += merged;
        let (split_nodes, split_struts) = (fused.nodes, fused.struts);
        let (new_nodes, new_struts, absorbed, duplicates, shift) =
            groups.apply(&split_nodes, &split_struts, &degree);
        origins = std::mem::take(&mut groups.origins);
        // Struts absorbed beyond the contracted ones: joined by a fusion.
        stats.struts_absorbed += absorbed.saturating_sub(merged);
        stats.duplicate_struts += duplicates;
        stats.max_shift_mm = stats.max_shift_mm.max(shift);
        let unchanged = new_nodes == nodes && new_struts == struts;
        nodes = new_nodes;
        struts = new_struts;
        if unchanged {
            break;
        }
    }
    if struts.is_empty() {
        return (net.clone(), ConditionStats::default());
    }
    let out = StrutNetwork::try_new(nodes, struts).expect("conditioning keeps the network valid");
    (out, stats)
}

/// Merges the nodes of every strut too short for its two rings (shortest first); returns how
/// many merges were taken.
fn contract_short(
    net: &StrutNetwork,
    positions: &[Point3<f64>],
    layout: &Layout,
    (setback, _, separable): &Hubs,
    groups: &mut Groups,
    degree: &[u32],
) -> usize {
    let (nodes, struts) = (net.nodes(), net.struts());
    let mut short: Vec<(f64, usize)> = struts
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let judged = separable[s.a.index()] && separable[s.b.index()];
            (judged && layout.too_short(i, setback[i])).then(|| {
                let len = (nodes[s.b.index()] - nodes[s.a.index()]).norm();
                (len, i)
            })
        })
        .collect();
    short.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut merged = 0;
    for &(_, i) in &short {
        let s = struts[i];
        let limit = MAX_SHIFT_RINGS * layout.ring_radius(i);
        // The free end of a stub shorter than its set-backs may go any distance: the stub
        // is absorbed into its node (at most its own length of material, at the surface).
        if groups.try_merge(s.a.index(), s.b.index(), positions, degree, limit, true) {
            merged += 1;
        }
    }
    merged
}

/// The network with interfering pieces joined: struts split where a node or another strut
/// comes too close, and the node pairs to merge recorded in the groups.
struct Fused {
    nodes: Vec<Point3<f64>>,
    struts: Vec<Strut>,
    pairs: usize,
    refused: usize,
    splits: usize,
}

/// Joins every pair of pieces that share no node but come within their radii of each other
/// (see [`super::hub::interfering_pairs`]): two hubs merge their nodes; a hub near a strut, or
/// two struts, merge at the strut's closest point (an end node if it lies within that end's
/// node ball, else a new node splitting the strut there, with the radius interpolated linearly).
fn fuse_interfering(
    net: &StrutNetwork,
    layout: &Layout,
    (setback, rho, _): &Hubs,
    groups: &mut Groups,
    relax: f64,
) -> Fused {
    let (nodes, struts) = (net.nodes(), net.struts());
    let mut pairs = interfering_pairs(nodes, struts, layout, setback, rho);
    pairs.extend(overlapping_at_nodes(net, layout));
    let mut cutter = Cutter {
        nodes,
        struts,
        layout,
        out_nodes: nodes.to_vec(),
        cuts: vec![Vec::new(); struts.len()],
    };
    let joins: Vec<(usize, usize, f64)> = pairs.iter().map(|&pq| cutter.join(pq)).collect();
    let Cutter {
        out_nodes,
        mut cuts,
        ..
    } = cutter;
    let (out_struts, splits) = split_struts(struts, &mut cuts, &out_nodes);
    groups.grow(&out_nodes);
    let degree = degrees(out_nodes.len(), &out_struts);
    let (mut taken, mut refused) = (0, 0);
    for (v, w, r) in joins {
        let limit = relax * MAX_FUSE_SHIFT_RINGS * r;
        if groups.try_merge(v, w, &out_nodes, &degree, limit, false) {
            taken += 1;
        } else {
            refused += 1;
        }
    }
    Fused {
        nodes: out_nodes,
        struts: out_struts,
        pairs: taken,
        refused,
        splits,
    }
}

/// The join points of interfering pairs: the input network, the nodes so far (input nodes
/// plus the split points added) and the split points per strut, (parameter, node).
struct Cutter<'a> {
    nodes: &'a [Point3<f64>],
    struts: &'a [Strut],
    layout: &'a Layout,
    out_nodes: Vec<Point3<f64>>,
    cuts: Vec<Vec<(f64, usize)>>,
}

impl Cutter<'_> {
    /// The node at parameter `t` of strut `i`: an end node if the point lies within that
    /// end's node ball, else a new node, recorded as a cut of the strut.
    fn point_on(&mut self, i: usize, t: f64) -> usize {
        let s = self.struts[i];
        let (a, b) = (self.nodes[s.a.index()], self.nodes[s.b.index()]);
        let len = (b - a).norm();
        if t * len <= self.layout.min_rho(s.a.index()) {
            return s.a.index();
        }
        if (1.0 - t) * len <= self.layout.min_rho(s.b.index()) {
            return s.b.index();
        }
        let v = self.out_nodes.len();
        self.out_nodes.push(a + (b - a) * t);
        self.cuts[i].push((t, v));
        v
    }

    /// The two nodes to merge for an interfering pair and the ring radius that bounds the
    /// shift.
    fn join(&mut self, (p, q): (Piece, Piece)) -> (usize, usize, f64) {
        let (nodes, struts, layout) = (self.nodes, self.struts, self.layout);
        match (p, q) {
            (Piece::Node(v), Piece::Node(w)) => {
                let (v, w) = (v.index(), w.index());
                (v, w, layout.node_ring(v).max(layout.node_ring(w)))
            }
            (Piece::Strut(i), Piece::Node(v)) | (Piece::Node(v), Piece::Strut(i)) => {
                let (i, v) = (i.index(), v.index());
                let s = struts[i];
                let (a, b) = (nodes[s.a.index()].coords, nodes[s.b.index()].coords);
                let t = closest_segment_param(nodes[v].coords, a, b);
                let c = self.point_on(i, t);
                (v, c, layout.node_ring(v).max(layout.ring_radius(i)))
            }
            (Piece::Strut(i), Piece::Strut(j)) => {
                let (i, j) = (i.index(), j.index());
                let (si, sj) = (struts[i], struts[j]);
                let (_, ti, tj) = segment_closest(
                    nodes[si.a.index()].coords,
                    nodes[si.b.index()].coords,
                    nodes[sj.a.index()].coords,
                    nodes[sj.b.index()].coords,
                );
                let ci = self.point_on(i, ti);
                let cj = self.point_on(j, tj);
                let r = layout.ring_radius(i).max(layout.ring_radius(j));
                (ci, cj, r)
            }
        }
    }
}

/// The struts split at their cuts (sorted by parameter, then node; zero-length pieces
/// skipped, radii interpolated linearly); returns them and the number of struts split.
fn split_struts(
    struts: &[Strut],
    cuts: &mut [Vec<(f64, usize)>],
    out_nodes: &[Point3<f64>],
) -> (Vec<Strut>, usize) {
    let mut out_struts =
        Vec::with_capacity(struts.len() + cuts.iter().map(Vec::len).sum::<usize>());
    let mut splits = 0;
    for (i, s) in struts.iter().enumerate() {
        let mut c = std::mem::take(&mut cuts[i]);
        if c.is_empty() {
            out_struts.push(*s);
            continue;
        }
        splits += 1;
        c.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let (mut prev, mut prev_t) = (s.a, 0.0);
        for (t, v) in c.into_iter().chain([(1.0, s.b.index())]) {
            if (out_nodes[v] - out_nodes[prev.index()]).norm() == 0.0 {
                continue;
            }
            let r = |t: f64| s.radius_a + (s.radius_b - s.radius_a) * t;
            out_struts.push(Strut {
                a: prev,
                b: NodeId::new(v),
                radius_a: r(prev_t),
                radius_b: r(t),
            });
            (prev, prev_t) = (NodeId::new(v), t);
        }
    }
    (out_struts, splits)
}

/// Pairs of struts at a node that overlap along the shorter one: the far node of the shorter
/// lies within the two ring radii of the longer one's axis (nearly parallel struts, which no
/// hub can separate). Returned as (longer strut, far node of the shorter) for fusing.
fn overlapping_at_nodes(net: &StrutNetwork, layout: &Layout) -> Vec<(Piece, Piece)> {
    let (nodes, struts) = (net.nodes(), net.struts());
    let length = |i: usize| {
        let s = struts[i];
        (nodes[s.b.index()] - nodes[s.a.index()]).norm()
    };
    let mut out = Vec::new();
    for v in 0..nodes.len() {
        let star = layout.star(v, struts);
        for (k, &(i, fi, di)) in star.iter().enumerate() {
            for &(j, fj, dj) in &star[k + 1..] {
                if di.dot(&dj) < 0.5 {
                    continue; // more than 60° apart
                }
                let ((short, far), long) = if (length(i), i) <= (length(j), j) {
                    ((i, fi), j)
                } else {
                    ((j, fj), i)
                };
                let s = struts[long];
                let (a, b) = (nodes[s.a.index()].coords, nodes[s.b.index()].coords);
                let gap = point_segment_distance(nodes[far].coords, a, b);
                if gap <= layout.ring_radius(short) + layout.ring_radius(long)
                    && far != s.a.index()
                    && far != s.b.index()
                {
                    out.push((
                        Piece::Strut(StrutId::new(long)),
                        Piece::Node(NodeId::new(far)),
                    ));
                }
            }
        }
    }
    out
}

fn degrees(n: usize, struts: &[Strut]) -> Vec<u32> {
    let mut d = vec![0u32; n];
    for s in struts {
        d[s.a.index()] += 1;
        d[s.b.index()] += 1;
    }
    d
}

/// Disjoint node groups with their member lists (union–find, smaller root wins), and the
/// input positions each node stands for.
struct Groups {
    parent: Vec<usize>,
    members: Vec<Vec<usize>>,
    origins: Vec<Vec<Point3<f64>>>,
}

impl Groups {
    fn new(origins: Vec<Vec<Point3<f64>>>) -> Self {
        let n = origins.len();
        Self {
            parent: (0..n).collect(),
            members: (0..n).map(|v| vec![v]).collect(),
            origins,
        }
    }

    /// Adds the nodes of `nodes` beyond the current count (new split points), each standing
    /// for its own position.
    fn grow(&mut self, nodes: &[Point3<f64>]) {
        for (v, p) in nodes.iter().enumerate().skip(self.parent.len()) {
            self.parent.push(v);
            self.members.push(vec![v]);
            self.origins.push(vec![*p]);
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            let g = self.parent[self.parent[x]];
            self.parent[x] = g;
            x = g;
        }
        x
    }

    /// The merged position of a member list: the mean of the members that carry struts to
    /// other nodes (degree > 1), or of all members when none does.
    fn position(members: &[usize], nodes: &[Point3<f64>], degree: &[u32]) -> Point3<f64> {
        let carrying: Vec<usize> = members.iter().copied().filter(|&v| degree[v] > 1).collect();
        let set = if carrying.is_empty() {
            members
        } else {
            &carrying
        };
        let sum: Vector3<f64> = set.iter().map(|&v| nodes[v].coords).sum();
        Point3::from(sum / set.len() as f64)
    }

    /// Merges the groups of `a` and `b` unless a member would end up farther than `limit` mm
    /// from an input position it stands for (with `free_ends`, for contractions: farther than
    /// `limit` from its current position). Members with one strut (the free ends of stubs,
    /// which trimming leaves at the domain surface) are exempt: moving one only turns its
    /// stub onto the node it joins.
    fn try_merge(
        &mut self,
        a: usize,
        b: usize,
        nodes: &[Point3<f64>],
        degree: &[u32],
        limit: f64,
        free_ends: bool,
    ) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let mut all = self.members[ra].clone();
        all.extend_from_slice(&self.members[rb]);
        let p = Self::position(&all, nodes, degree);
        // Contractions (free ends allowed) measure from the current positions: a contracted
        // strut is shorter than its set-backs, so shifts cannot cascade; fusions measure from
        // the input positions, so repeated fusions cannot drift.
        let far = |v: &usize| {
            degree[*v] > 1
                && if free_ends {
                    (nodes[*v] - p).norm() > limit
                } else {
                    // A move may not take a node farther from an input position it stands
                    // for than the limit, or than it already is.
                    self.origins[*v]
                        .iter()
                        .any(|o| (o - p).norm() > limit.max((o - nodes[*v]).norm() + 1e-12))
                }
        };
        if all.iter().any(far) {
            return false;
        }
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        self.parent[hi] = lo;
        let moved = std::mem::take(&mut self.members[hi]);
        self.members[lo].extend(moved);
        self.members[lo].sort_unstable();
        true
    }

    /// The merged network: nodes (unused ones dropped, order kept), struts (self-joins
    /// dropped, repeated pairs kept once with the larger end radii), and counts of absorbed
    /// and duplicate struts and the largest node shift (mm).
    #[allow(clippy::type_complexity)]
    fn apply(
        &mut self,
        nodes: &[Point3<f64>],
        struts: &[Strut],
        degree: &[u32],
    ) -> (Vec<Point3<f64>>, Vec<Strut>, usize, usize, f64) {
        let n = nodes.len();
        let roots: Vec<usize> = (0..n).map(|v| self.find(v)).collect();
        let mut pos = nodes.to_vec();
        let mut shift = 0.0f64;
        for v in 0..n {
            if roots[v] == v && self.members[v].len() > 1 {
                let p = Self::position(&self.members[v], nodes, degree);
                for &m in &self.members[v] {
                    if degree[m] > 1 {
                        for o in &self.origins[m] {
                            shift = shift.max((o - p).norm());
                        }
                    }
                }
                pos[v] = p;
            }
        }
        let mut absorbed = 0;
        let mut duplicates = 0;
        let mut seen: std::collections::HashMap<(usize, usize), usize> =
            std::collections::HashMap::new();
        let mut out: Vec<Strut> = Vec::with_capacity(struts.len());
        for s in struts {
            let (a, b) = (roots[s.a.index()], roots[s.b.index()]);
            if a == b || (pos[a] - pos[b]).norm() == 0.0 {
                absorbed += 1;
                continue;
            }
            let key = (a.min(b), a.max(b));
            let (ra, rb) = if a < b {
                (s.radius_a, s.radius_b)
            } else {
                (s.radius_b, s.radius_a)
            };
            match seen.get(&key) {
                Some(&k) => {
                    duplicates += 1;
                    let t: &mut Strut = &mut out[k];
                    t.radius_a = t.radius_a.max(ra);
                    t.radius_b = t.radius_b.max(rb);
                }
                None => {
                    seen.insert(key, out.len());
                    out.push(Strut {
                        a: NodeId::new(key.0),
                        b: NodeId::new(key.1),
                        radius_a: ra,
                        radius_b: rb,
                    });
                }
            }
        }
        let keep = vec![true; out.len()];
        let (nodes, out, map) = crate::network::compact_network(&pos, &out, &keep);
        let mut origins = vec![Vec::new(); nodes.len()];
        for (v, &root) in roots.iter().enumerate() {
            if let Some(new) = map[root] {
                let from = std::mem::take(&mut self.origins[v]);
                origins[new.index()].extend(from);
            }
        }
        self.origins = origins;
        (nodes, out, absorbed, duplicates, shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strut(a: u32, b: u32, r: f64) -> Strut {
        Strut {
            a: NodeId(a),
            b: NodeId(b),
            radius_a: r,
            radius_b: r,
        }
    }

    #[test]
    fn a_stub_collapses_onto_its_interior_node_and_nothing_else_moves() {
        // A cross at the origin plus a 0.05 mm stub from the end of one arm.
        let nodes = vec![
            Point3::origin(),
            Point3::new(3.0, 0.0, 0.0),
            Point3::new(-3.0, 0.0, 0.0),
            Point3::new(0.0, 3.0, 0.0),
            Point3::new(3.0, 3.0, 0.0),
            Point3::new(3.0, 0.0, 0.05),
        ];
        let struts = vec![
            strut(0, 1, 0.2),
            strut(0, 2, 0.2),
            strut(0, 3, 0.2),
            strut(1, 4, 0.2),
            strut(1, 5, 0.2),
        ];
        let net = StrutNetwork::try_new(nodes.clone(), struts).unwrap();
        let (out, stats) = condition(&net, 10);
        assert_eq!(stats.struts_absorbed, 1);
        assert_eq!(out.struts().len(), 4);
        assert_eq!(out.nodes(), &nodes[..5]);
        assert_eq!(stats.max_shift_mm, 0.0, "only the stub's free end moved");
    }

    #[test]
    fn a_network_with_long_struts_is_returned_unchanged() {
        let nodes = vec![Point3::origin(), Point3::new(2.0, 0.0, 0.0)];
        let net = StrutNetwork::try_new(nodes, vec![strut(0, 1, 0.1)]).unwrap();
        let (out, stats) = condition(&net, 10);
        assert_eq!(out, net);
        assert_eq!(stats, ConditionStats::default());
    }

    #[test]
    fn merging_keeps_one_strut_per_node_pair_with_the_larger_radii() {
        // Nodes 1 and 2 are 0.02 mm apart and both joined to node 0: after the merge the two
        // struts join the same pair.
        let nodes = vec![
            Point3::origin(),
            Point3::new(4.0, 0.0, 0.0),
            Point3::new(4.0, 0.02, 0.0),
            Point3::new(8.0, 0.0, 0.0),
            Point3::new(4.0, 4.0, 0.0),
        ];
        let struts = vec![
            strut(0, 1, 0.2),
            strut(0, 2, 0.3),
            strut(1, 2, 0.2),
            strut(1, 3, 0.2),
            strut(2, 4, 0.2),
        ];
        let net = StrutNetwork::try_new(nodes, struts).unwrap();
        let (out, stats) = condition(&net, 10);
        assert_eq!(stats.struts_absorbed, 1);
        assert_eq!(stats.duplicate_struts, 1);
        assert_eq!(out.struts().len(), 3);
        let to_origin: Vec<&Strut> = out
            .struts()
            .iter()
            .filter(|s| out.nodes()[s.a.index()] == Point3::origin())
            .collect();
        assert_eq!(to_origin.len(), 1);
        assert_eq!(to_origin[0].radius_b, 0.3);
        assert!((stats.max_shift_mm - 0.01).abs() < 1e-12);
    }

    #[test]
    fn merges_stop_where_a_node_would_move_more_than_four_ring_radii() {
        // A row of 20 busy nodes 0.1 mm apart (each also carries a strut up to y = 3): every
        // link is too short, but one group may only span ± 4 ring radii.
        let r = 0.2;
        let mut nodes = Vec::new();
        let mut struts = Vec::new();
        for i in 0..20u32 {
            nodes.push(Point3::new(0.1 * i as f64, 0.0, 0.0));
            nodes.push(Point3::new(0.1 * i as f64, 3.0, 0.0));
            struts.push(strut(2 * i, 2 * i + 1, r));
            if i > 0 {
                struts.push(strut(2 * (i - 1), 2 * i, r));
            }
        }
        let net = StrutNetwork::try_new(nodes, struts).unwrap();
        let (out, stats) = condition(&net, 10);
        let limit = MAX_SHIFT_RINGS * r * 1.02; // ring radius k_10·r, k_10 < 1.02
        assert!(stats.struts_absorbed > 0);
        assert!(stats.max_shift_mm <= limit, "{}", stats.max_shift_mm);
        let on_row = out.nodes().iter().filter(|p| p.y == 0.0).count();
        assert!(on_row >= 2, "the whole row collapsed into {on_row} node");
    }
}
