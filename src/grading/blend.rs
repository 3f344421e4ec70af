//! Step 4: the topology blend — every cell's struts, joined into one network.
//!
//! **Which topologies a cell carries.** Control point `i` contributes to cell `c` when its
//! weight somewhere in the cell (8 corners and centre) could give a printable strut:
//! `max w_i · d_i² ≥ (d_min / 2)²` and `max w_i ≥ min_weight` (`d_i` the design's diameter,
//! mm). The point of largest weight at the cell centre is always carried.
//!
//! **Cell content.** The aligned unit graphs of the carried points are superposed exactly in
//! grid units of the unit cube (`[0, 24]³`): every periodic image of every strut is clipped to
//! the closed cube (a strut crossing a face is cut there), struts of different topologies are
//! split where they cross, where an end of one lies on the other, and at the ends of collinear
//! overlaps, so crossing struts get a shared node. Coincident pieces merge into one piece that
//! remembers all its source control points. Contents are cached per carried set.
//!
//! **Across cells.** A cell's unit-cube point `u` in cell `c` has the global exact index
//! coordinate `c + u`; nodes are keyed by it, so a node on a shared face, edge or corner is one
//! node whichever cell produced it, and its position (mm) is always computed by the trilinear
//! map of one canonical cell (`floor` of the index coordinate, clamped to the scaffold), so it
//! appears once. Pieces lying in a face are produced by both cells sharing it; they are split
//! again against every piece and node of the neighbouring cell in the same face square or edge
//! (a cell that does not carry a topology sees its struts only from the neighbour), then
//! deduplicated with their sources united. A clipping node (not a node of any control point's
//! unit graph) that joins just two collinear pieces of the same sources is removed again when
//! the two mapped pieces are straight within `merge_tolerance` mm (always, for one control
//! point: the graded lattice is then exactly the tiled periodic cell).
//!
//! A node on the boundary of a control point's core is never removed, so the core stays a
//! whole block of cells (its window can be cut out of the network).
//!
//! **Diameters.** A piece with sources `S` has, at each end `x`,
//! `d(x)² = Σ_{i∈S} w_i(x) · D_i(x)²`, where `D_i(x)` is the diameter that gives design `i`'s
//! relative density ρ_i with its topology in the local cell `A(x)`
//! (`ρ_i det A = Σ_b π D²/4 |A u_b|`; `D_i = d_i` at control point `i`). So a strut of one
//! topology has diameter `D_i √w_i` (area ∝ weight, and the relative density blends linearly:
//! `ρ(x) ≈ Σ w_i ρ_i`), and **coincident struts of several topologies add their areas** (the
//! material of both is there). A piece whose mean end diameter is below `min_strut_diameter`
//! is dropped, unless one of its sources is the dominant topology (largest weight) at one of
//! its ends: those are kept, so every cell keeps a complete strut set and the lattice stays
//! connected where several thin topologies blend. Ends thinner than the minimum are raised to
//! it (counted in the stats); this adds material in blend zones, which the verification
//! along the segments between control points measures.
//! Radii (mm) are half the diameters and may differ at the two ends.
//!
//! **Domain.** The network is trimmed to the domain, dangling struts and stray components are
//! removed with the `network` module's code (same rules as tiling), and what was removed is
//! reported.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use nalgebra::{Matrix3, Point3};

use super::align::AlignedCell;
use super::interpolate::DesignField;
use super::scaffold::Scaffold;
use super::{GradingError, GradingOptions, GradingStats};
use crate::geom::distance::point_segment_distance;
use crate::geom::exact::{GRID, Line, Param, RatPoint, collinear, point_param, split_params};
use crate::network::{
    BOUNDARY_TOLERANCE, ComponentPolicy, DanglingPolicy, Domain, NodeId, Strut, StrutNetwork,
    keep_largest_component, remove_dangling, trim_to_domain,
};

/// One piece of a cell's content: a sub-segment of a parent line and the control points
/// whose topologies contribute it (sorted).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Piece {
    pub line: Line,
    pub sources: Vec<u32>,
}

/// The superposed content of one cell, in local grid units (`[0, GRID]³`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CellContent {
    pub pieces: Vec<Piece>,
}

/// A cell the blend produced struts for, and the control points it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellInfo {
    /// The cell index.
    pub index: [i64; 3],
    /// Indices (input order) of the control points whose topologies the cell carries.
    pub points: Vec<usize>,
}

fn shifts() -> impl Iterator<Item = [i64; 3]> {
    (0..27).map(|k| [k / 9 - 1, (k / 3) % 3 - 1, k % 3 - 1])
}

fn fbox(l: &Line) -> ([f64; 3], [f64; 3]) {
    let (a, b) = (l.start().to_f64(), l.end().to_f64());
    (
        std::array::from_fn(|i| a[i].min(b[i]) - 1e-9),
        std::array::from_fn(|i| a[i].max(b[i]) + 1e-9),
    )
}

fn boxes_overlap(a: &([f64; 3], [f64; 3]), b: &([f64; 3], [f64; 3])) -> bool {
    (0..3).all(|i| a.0[i] <= b.1[i] && b.0[i] <= a.1[i])
}

/// Superposes the aligned graphs of `carried` in the closed unit cube.
pub(crate) fn superpose(aligned: &[AlignedCell], carried: &[u32]) -> CellContent {
    let cube_hi = [GRID; 3];
    let mut parents: Vec<(Line, u32)> = Vec::new();
    for &src in carried {
        for &(p, q) in &aligned[src as usize].graph.struts {
            for s in shifts() {
                if let Some(l) =
                    Line::whole(p.translated(s), q.translated(s)).clip_to_box([0; 3], cube_hi)
                {
                    parents.push((l, src));
                }
            }
        }
    }
    let boxes: Vec<_> = parents.iter().map(|(l, _)| fbox(l)).collect();
    let mut pieces: BTreeMap<(RatPoint, RatPoint), (Line, BTreeSet<u32>)> = BTreeMap::new();
    for (k, (l, src)) in parents.iter().enumerate() {
        let mut ts: BTreeSet<Param> = BTreeSet::from([l.ta, l.tb]);
        if carried.len() > 1 {
            for (m, (lm, sm)) in parents.iter().enumerate() {
                // Struts of one topology are already split against each other.
                if sm != src && boxes_overlap(&boxes[k], &boxes[m]) {
                    ts.extend(split_params(l, lm));
                }
            }
        }
        let ts: Vec<Param> = ts.into_iter().collect();
        for w in ts.windows(2) {
            let piece = l.sub(w[0], w[1]);
            let (a, b) = (piece.start(), piece.end());
            let key = if a <= b { (a, b) } else { (b, a) };
            pieces
                .entry(key)
                .or_insert_with(|| (piece, BTreeSet::new()))
                .1
                .insert(*src);
        }
    }
    CellContent {
        pieces: pieces
            .into_values()
            .map(|(line, s)| Piece {
                line,
                sources: s.into_iter().collect(),
            })
            .collect(),
    }
}

/// Which control points cell `c` carries (sorted indices).
pub(crate) fn carried_points(
    field: &DesignField,
    aligned: &[AlignedCell],
    corners: &[Point3<f64>; 8],
    options: &GradingOptions,
) -> Vec<u32> {
    let centre = super::scaffold::trilinear(corners, [0.5; 3]);
    let mut maxw: BTreeMap<usize, f64> = BTreeMap::new();
    let wc = field.weights(centre.into());
    for p in corners.iter().chain(std::iter::once(&centre)) {
        for (i, w) in field.weights((*p).into()) {
            let e = maxw.entry(i).or_insert(0.0);
            *e = e.max(w);
        }
    }
    let half = 0.5 * options.min_strut_diameter;
    let mut out: Vec<u32> = maxw
        .iter()
        .filter(|&(&i, &w)| {
            w >= options.min_weight && w * aligned[i].diameter.powi(2) >= half * half
        })
        .map(|(&i, _)| i as u32)
        .collect();
    let top = wc
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|&(i, _)| i as u32)
        .expect("weights are never empty");
    if !out.contains(&top) {
        out.push(top);
        out.sort();
    }
    out
}

/// The bucket keys of a point lying on cell-boundary planes: the face squares (and edges) it
/// touches. Keys: `(kind, axis, plane, a, b)`; kind 0 = face square in plane `axis = plane`
/// with indices `a, b` along the other two axes, kind 1 = the unit edge along `axis` at
/// index `plane` of the two others `a, b`.
type Bucket = (u8, usize, i64, i64, i64);

fn buckets_of(a: RatPoint, b: RatPoint) -> Vec<Bucket> {
    let planes: Vec<(usize, i64)> = (0..3)
        .filter_map(|d| match (a.on_plane(d), b.on_plane(d)) {
            (Some(x), Some(y)) if x == y => Some((d, x)),
            _ => None,
        })
        .collect();
    plane_buckets(&planes, || a.lerp(b, Param::new(1, 2)).cell_index())
}

fn point_buckets(x: RatPoint) -> Vec<Bucket> {
    let planes: Vec<(usize, i64)> = (0..3)
        .filter_map(|d| x.on_plane(d).map(|k| (d, k)))
        .collect();
    plane_buckets(&planes, || x.cell_index())
}

/// The buckets of something lying on `planes` (axis, plane index), with `cell` the cell index
/// of a point of it (taken along the axes it is not fixed on). None when it lies on no
/// boundary plane or on all three (a cell corner).
fn plane_buckets(planes: &[(usize, i64)], cell: impl FnOnce() -> [i64; 3]) -> Vec<Bucket> {
    if planes.is_empty() || planes.len() == 3 {
        return Vec::new();
    }
    let cell = cell();
    let on = |e: usize| planes.iter().find(|(d, _)| *d == e).map(|&(_, k)| k);
    let mut out = Vec::new();
    for &(d, k) in planes {
        let (e1, e2) = ((d + 1) % 3, (d + 2) % 3);
        let range = |e: usize| match on(e) {
            Some(k) => vec![k - 1, k],
            None => vec![cell[e]],
        };
        for i in range(e1) {
            for j in range(e2) {
                out.push((0, d, k, i, j));
            }
        }
    }
    if planes.len() == 2 {
        let along = (0..3).find(|e| on(*e).is_none()).expect("one free axis");
        let (e1, e2) = ((along + 1) % 3, (along + 2) % 3);
        out.push((
            1,
            along,
            cell[along],
            on(e1).expect("on plane"),
            on(e2).expect("on plane"),
        ));
    }
    out
}

/// Blend weights and the lattice `A(x)` at a point.
pub(crate) type NodeField = (Vec<(usize, f64)>, Matrix3<f64>);

/// `x < y`, or `x` is NaN.
pub(crate) fn below(x: f64, y: f64) -> bool {
    x.is_nan() || x < y
}

/// A global piece before deduplication.
struct Raw {
    line: Line,
    sources: Vec<u32>,
    /// Which cell content (carried set) produced it.
    content: usize,
}

/// The blended network and what happened on the way.
pub(crate) struct Blended {
    pub network: StrutNetwork,
    pub cells: Vec<CellInfo>,
    pub transitions: Vec<TransitionStats>,
}

/// What the diameter rule did to the pieces of one region: a control point's own region
/// (`to` = `None`: only its topology has weight at the piece's ends) or the transition between
/// two points (the two largest weights at the piece's ends). Counts are taken before trimming
/// to the domain.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TransitionStats {
    /// The control point (first of the pair).
    pub from: String,
    /// The second control point of a transition.
    pub to: Option<String>,
    /// Pieces kept.
    pub kept: usize,
    /// Pieces dropped for a mean diameter below the minimum.
    pub dropped: usize,
    /// Piece ends raised to the minimum diameter.
    pub raised_ends: usize,
    /// The thinnest kept end diameter, mm (0 when nothing was kept).
    pub thinnest_kept_mm: f64,
}

impl Default for TransitionStats {
    fn default() -> Self {
        Self {
            from: String::new(),
            to: None,
            kept: 0,
            dropped: 0,
            raised_ends: 0,
            thinnest_kept_mm: f64::INFINITY,
        }
    }
}

/// The region of a piece from the weights at its two ends: the two control points of largest
/// weight (sorted), or one alone.
fn segment_of(wa: &[(usize, f64)], wb: &[(usize, f64)]) -> (usize, Option<usize>) {
    let mut best: BTreeMap<usize, f64> = BTreeMap::new();
    for &(i, w) in wa.iter().chain(wb) {
        let e = best.entry(i).or_insert(0.0);
        *e = e.max(w);
    }
    let mut order: Vec<(usize, f64)> = best.into_iter().filter(|&(_, w)| w > 1e-9).collect();
    order.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    match order.as_slice() {
        [] => (0, None),
        [(i, _)] => (*i, None),
        [(i, _), (j, _), ..] => ((*i).min(*j), Some((*i).max(*j))),
    }
}

/// The topology with the largest weight among `w` (`(design index, weight)`; ties to the lower
/// index), if any.
pub(crate) fn dominant(w: &[(usize, f64)]) -> Option<u32> {
    w.iter()
        .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
        .map(|&(i, _)| i as u32)
}

/// The blended diameter (mm) at a point with weights `w` (`(design index, weight)`) and lattice
/// `a` of a piece whose sources are `sources`: `d² = Σ_{i∈S} w_i D_i(a)²` (see the module docs);
/// shared by the network and the verification's graded cells.
pub(crate) fn blended_diameter(
    aligned: &[AlignedCell],
    w: &[(usize, f64)],
    a: &Matrix3<f64>,
    sources: &[u32],
) -> f64 {
    sources
        .iter()
        .map(|&s| {
            let wi = w
                .iter()
                .find(|(i, _)| *i == s as usize)
                .map_or(0.0, |(_, v)| *v);
            wi * aligned[s as usize].diameter_in(a).powi(2)
        })
        .sum::<f64>()
        .sqrt()
}

/// The rule for a piece's end diameters (mm), shared by the blended network and the
/// verification's graded cells so both see the same struts: `raw` are the blended diameters
/// at the two ends; a piece whose mean is below `dmin` (or that has no material) is dropped
/// (`None`) unless `dominant` — one of its sources is the dominant topology at one of its ends
/// — and ends thinner than `dmin` are raised to it.
pub(crate) fn piece_diameters(raw: [f64; 2], dominant: bool, dmin: f64) -> Option<[f64; 2]> {
    let [da, db] = raw;
    if !dominant && (below(0.5 * (da + db), dmin) || da.max(db) <= 0.0) {
        return None;
    }
    let d = [da.max(dmin), db.max(dmin)];
    (d[0] > 0.0 && d[1] > 0.0).then_some(d)
}

/// Whether the cell with corners `x` reaches the box `gmin..gmax` (mm).
fn cell_touches(x: &[Point3<f64>; 8], gmin: &[f64; 3], gmax: &[f64; 3]) -> bool {
    (0..3).all(|d| {
        let lo = x.iter().map(|p| p[d]).fold(f64::INFINITY, f64::min);
        let hi = x.iter().map(|p| p[d]).fold(f64::NEG_INFINITY, f64::max);
        hi >= gmin[d] && lo <= gmax[d]
    })
}

/// The scaffold cells that reach the domain's bounding box, with their superposed pieces in
/// global coordinates.
struct CellPieces {
    cells: Vec<CellInfo>,
    raw: Vec<Raw>,
    /// Number of distinct cell contents (carried sets).
    distinct: usize,
}

/// Superposes the carried topologies of every scaffold cell reaching the domain (cells with
/// the same carried set share one superposition).
fn cell_pieces(
    field: &DesignField,
    aligned: &[AlignedCell],
    scaffold: &Scaffold,
    domain: &Domain,
    options: &GradingOptions,
) -> CellPieces {
    let (bmin, bmax) = domain.bounding_box();
    let grow = 2.0 * BOUNDARY_TOLERANCE;
    let (gmin, gmax) = (bmin.map(|v| v - grow), bmax.map(|v| v + grow));
    let (clo, chi) = scaffold.cell_range();
    let mut cache: BTreeMap<Vec<u32>, (usize, Arc<CellContent>)> = BTreeMap::new();
    let mut cells = Vec::new();
    let mut raw: Vec<Raw> = Vec::new();
    for k in clo[2]..chi[2] {
        for j in clo[1]..chi[1] {
            for i in clo[0]..chi[0] {
                let c = [i, j, k];
                let x = scaffold.cell_corners(c);
                if !cell_touches(&x, &gmin, &gmax) {
                    continue;
                }
                let carried = carried_points(field, aligned, &x, options);
                let next = cache.len();
                let (id, content) = cache
                    .entry(carried.clone())
                    .or_insert_with(|| (next, Arc::new(superpose(aligned, &carried))))
                    .clone();
                for p in &content.pieces {
                    raw.push(Raw {
                        line: p.line.translated(c),
                        sources: p.sources.clone(),
                        content: id,
                    });
                }
                cells.push(CellInfo {
                    index: c,
                    points: carried.iter().map(|&v| v as usize).collect(),
                });
            }
        }
    }
    CellPieces {
        cells,
        raw,
        distinct: cache.len(),
    }
}

/// The face buckets: per bucket, the pieces lying in it and the end points (with their
/// content) of pieces in no face.
type Items = (Vec<usize>, BTreeSet<(RatPoint, usize)>);

/// Sorts the pieces `raw` (ends `ends`) into face buckets.
fn face_buckets(raw: &[Raw], ends: &[(RatPoint, RatPoint)]) -> BTreeMap<Bucket, Items> {
    let mut buckets: BTreeMap<Bucket, Items> = BTreeMap::new();
    for (idx, &(a, b)) in ends.iter().enumerate() {
        let keys = buckets_of(a, b);
        if keys.is_empty() {
            for x in [a, b] {
                for key in point_buckets(x) {
                    buckets
                        .entry(key)
                        .or_default()
                        .1
                        .insert((x, raw[idx].content));
                }
            }
        } else {
            for key in keys {
                buckets.entry(key).or_default().0.push(idx);
            }
        }
    }
    buckets
}

/// Face pass: the parameters where pieces lying in cell faces are split against the
/// neighbours' pieces and nodes. Cells with the same carried set have identical face contents
/// (the superposition is periodic), so only pieces and nodes of different contents are
/// compared.
fn face_splits(raw: &[Raw], ends: &[(RatPoint, RatPoint)]) -> BTreeMap<usize, BTreeSet<Param>> {
    let mut extra: BTreeMap<usize, BTreeSet<Param>> = BTreeMap::new();
    for (segs, pts) in face_buckets(raw, ends).values() {
        let first = segs.first().map(|&k| raw[k].content);
        let mixed = segs.iter().any(|&k| Some(raw[k].content) != first)
            || pts.iter().any(|&(_, c)| Some(c) != first);
        if !mixed {
            continue;
        }
        let boxes: Vec<_> = segs.iter().map(|&k| fbox(&raw[k].line)).collect();
        for (ik, &k) in segs.iter().enumerate() {
            let lk = &raw[k].line;
            for (im, &m) in segs.iter().enumerate() {
                if raw[m].content != raw[k].content
                    && ends[m] != ends[k]
                    && boxes_overlap(&boxes[ik], &boxes[im])
                {
                    for t in split_params(lk, &raw[m].line) {
                        extra.entry(k).or_default().insert(t);
                    }
                }
            }
            for &(x, c) in pts {
                if c == raw[k].content {
                    continue;
                }
                if let Some(t) = point_param(lk, x) {
                    extra.entry(k).or_default().insert(t);
                }
            }
        }
    }
    extra
}

/// The pieces split at `extra` and deduplicated (sources united), keyed by their sorted ends.
fn unique_pieces(
    raw: &[Raw],
    ends: &[(RatPoint, RatPoint)],
    extra: &BTreeMap<usize, BTreeSet<Param>>,
) -> BTreeMap<(RatPoint, RatPoint), BTreeSet<u32>> {
    let mut pieces: BTreeMap<(RatPoint, RatPoint), BTreeSet<u32>> = BTreeMap::new();
    let mut add = |a: RatPoint, b: RatPoint, sources: &[u32]| {
        let key = if a <= b { (a, b) } else { (b, a) };
        pieces
            .entry(key)
            .or_default()
            .extend(sources.iter().copied());
    };
    for (idx, r) in raw.iter().enumerate() {
        match extra.get(&idx) {
            None => add(ends[idx].0, ends[idx].1, &r.sources),
            Some(ts) => {
                let mut prev = r.line.ta;
                for &t in ts.iter().chain(std::iter::once(&r.line.tb)) {
                    let l = r.line.sub(prev, t);
                    add(l.start(), l.end(), &r.sources);
                    prev = t;
                }
            }
        }
    }
    pieces
}

/// The pieces as a graph: nodes numbered in order of first use, positions (mm) from the
/// canonical cell, edges `(a, b, sources)`.
struct PieceGraph {
    points: Vec<RatPoint>,
    positions: Vec<Point3<f64>>,
    edges: Vec<(u32, u32, Vec<u32>)>,
}

impl PieceGraph {
    fn new(
        pieces: BTreeMap<(RatPoint, RatPoint), BTreeSet<u32>>,
        scaffold: &Scaffold,
    ) -> PieceGraph {
        let (clo, chi) = scaffold.cell_range();
        let mut node_id: BTreeMap<RatPoint, u32> = BTreeMap::new();
        let mut points: Vec<RatPoint> = Vec::new();
        let mut edges: Vec<(u32, u32, Vec<u32>)> = Vec::with_capacity(pieces.len());
        for ((a, b), s) in pieces {
            let mut id = |x: RatPoint| {
                *node_id.entry(x).or_insert_with(|| {
                    points.push(x);
                    (points.len() - 1) as u32
                })
            };
            let (ia, ib) = (id(a), id(b));
            edges.push((ia, ib, s.into_iter().collect()));
        }
        let positions: Vec<Point3<f64>> = points
            .iter()
            .map(|x| {
                let cell: [i64; 3] =
                    std::array::from_fn(|d| x.cell_index()[d].clamp(clo[d], chi[d] - 1));
                scaffold.map(cell, x.local_units(cell))
            })
            .collect();
        PieceGraph {
            points,
            positions,
            edges,
        }
    }
}

/// The pieces' end diameters (mm; `None`: dropped or absent) and what the diameter rule did
/// per region.
type Sizes = (
    Vec<Option<[f64; 2]>>,
    BTreeMap<(usize, Option<usize>), TransitionStats>,
);

/// Diameters per end from the field at the nodes; thin pieces dropped, thin ends raised.
fn size_pieces(
    graph: &PieceGraph,
    field: &DesignField,
    aligned: &[AlignedCell],
    dmin: f64,
    stats: &mut GradingStats,
) -> Result<Sizes, GradingError> {
    let mut at_node: Vec<Option<NodeField>> = vec![None; graph.points.len()];
    let mut node_data = |v: usize| -> Result<NodeField, GradingError> {
        if at_node[v].is_none() {
            let x: [f64; 3] = graph.positions[v].into();
            let w = field.weights(x);
            let a = field.lattice_with(x, &w)?;
            at_node[v] = Some((w, a));
        }
        Ok(at_node[v].clone().expect("filled"))
    };
    let mut transitions: BTreeMap<(usize, Option<usize>), TransitionStats> = BTreeMap::new();
    let mut sized: Vec<Option<[f64; 2]>> = Vec::with_capacity(graph.edges.len());
    for (a, b, sources) in &graph.edges {
        let (wa, aa) = node_data(*a as usize)?;
        let (wb, ab) = node_data(*b as usize)?;
        let raw = [
            blended_diameter(aligned, &wa, &aa, sources),
            blended_diameter(aligned, &wb, &ab, sources),
        ];
        if raw[0].max(raw[1]) <= 0.0 {
            // No material of any source reaches this piece (a neighbour's face copy of a
            // topology whose weight is zero here): it never existed.
            stats.absent_pieces += 1;
            sized.push(None);
            continue;
        }
        let keep = [&wa, &wb]
            .iter()
            .any(|w| dominant(w).is_some_and(|d| sources.contains(&d)));
        let t = transitions.entry(segment_of(&wa, &wb)).or_default();
        let Some(d) = piece_diameters(raw, keep, dmin) else {
            stats.struts_below_minimum += 1;
            t.dropped += 1;
            sized.push(None);
            continue;
        };
        let raised = raw.iter().filter(|&&d| d < dmin).count();
        stats.clamped_ends += raised;
        t.raised_ends += raised;
        t.kept += 1;
        t.thinnest_kept_mm = t.thinnest_kept_mm.min(d[0].min(d[1]));
        sized.push(Some(d));
    }
    Ok((sized, transitions))
}

/// Removes straight clipping nodes (valence 2, same sources, collinear, within
/// `options.merge_tolerance` of the chord) between kept pieces: the first piece spans both,
/// the second is dropped.
fn merge_straight_nodes(
    graph: &mut PieceGraph,
    sized: &mut [Option<[f64; 2]>],
    aligned: &[AlignedCell],
    field: &DesignField,
    options: &GradingOptions,
    stats: &mut GradingStats,
) {
    let original: BTreeSet<RatPoint> = aligned
        .iter()
        .flat_map(|a| a.graph.nodes.iter().copied())
        .collect();
    let PieceGraph {
        points: node_pts,
        positions,
        edges,
    } = graph;
    let mut incident: Vec<Vec<usize>> = vec![Vec::new(); node_pts.len()];
    for (e, (a, b, _)) in edges.iter().enumerate() {
        if sized[e].is_some() {
            incident[*a as usize].push(e);
            incident[*b as usize].push(e);
        }
    }
    for v in 0..node_pts.len() {
        let live: Vec<usize> = incident[v]
            .iter()
            .copied()
            .filter(|&e| sized[e].is_some())
            .collect();
        if live.len() != 2
            || original.contains(&node_pts[v].wrapped().0)
            || field.on_core_boundary(positions[v].into())
        {
            continue;
        }
        let (e1, e2) = (live[0], live[1]);
        if edges[e1].2 != edges[e2].2 {
            continue;
        }
        let other = |e: usize| {
            if edges[e].0 as usize == v {
                edges[e].1
            } else {
                edges[e].0
            }
        };
        let end_diameter = |e: usize, node: u32| {
            let d = sized[e].expect("live");
            if edges[e].0 == node { d[0] } else { d[1] }
        };
        let (o1, o2) = (other(e1), other(e2));
        if o1 == o2 || !collinear(node_pts[o1 as usize], node_pts[v], node_pts[o2 as usize]) {
            continue;
        }
        let (p, q, m) = (positions[o1 as usize], positions[o2 as usize], positions[v]);
        if point_segment_distance(m.coords, p.coords, q.coords) > options.merge_tolerance {
            continue;
        }
        let d = [end_diameter(e1, o1), end_diameter(e2, o2)];
        sized[e2] = None;
        let sources = edges[e1].2.clone();
        edges[e1] = (o1, o2, sources);
        sized[e1] = Some(d);
        incident[o2 as usize].retain(|&e| e != e2);
        incident[o2 as usize].push(e1);
        stats.merged_nodes += 1;
    }
}

/// The kept pieces as struts (radii half the end diameters).
fn sized_struts(edges: &[(u32, u32, Vec<u32>)], sized: &[Option<[f64; 2]>]) -> Vec<Strut> {
    edges
        .iter()
        .zip(sized)
        .filter_map(|((a, b, _), d)| {
            d.map(|[da, db]| Strut {
                a: NodeId(*a),
                b: NodeId(*b),
                radius_a: 0.5 * da,
                radius_b: 0.5 * db,
            })
        })
        .collect()
}

/// Trims the struts to the domain and cleans up (the network module's rules: dangling struts,
/// small components per `options`).
fn trimmed_network(
    positions: Vec<Point3<f64>>,
    struts: &[Strut],
    domain: &Domain,
    options: &GradingOptions,
    stats: &mut GradingStats,
) -> Result<StrutNetwork, GradingError> {
    let trimmed = trim_to_domain(positions, struts, domain, options.min_strut_length);
    stats.struts_kept = trimmed.counts.kept;
    stats.struts_cut = trimmed.counts.cut;
    stats.struts_outside = trimmed.counts.dropped;
    stats.short_pieces_dropped = trimmed.counts.short_pieces;
    let cut_node = trimmed.cut_node;
    let net = StrutNetwork::try_new(trimmed.nodes, trimmed.struts)?;
    let net = if options.dangling == DanglingPolicy::RemoveUnanchored {
        let nodes = net.nodes().to_vec();
        let (pruned, removed) = remove_dangling(&net, |v| {
            cut_node[v] || domain.is_on_boundary(&nodes[v], BOUNDARY_TOLERANCE)
        });
        stats.dangling_removed = removed;
        pruned
    } else {
        // Drop unused nodes only.
        remove_dangling(&net, |_| true).0
    };
    let net = if options.components == ComponentPolicy::KeepLargest {
        let (kept, removal) = keep_largest_component(&net);
        stats.components_removed = removal.components_removed;
        stats.component_struts_removed = removal.struts_removed;
        kept
    } else {
        net
    };
    if net.struts().is_empty() {
        let (min, max) = domain.bounding_box();
        return Err(GradingError::Empty { min, max });
    }
    Ok(net)
}

/// Records the network's size and radius range in `stats`.
fn record_network(net: &StrutNetwork, stats: &mut GradingStats) {
    stats.nodes = net.nodes().len();
    stats.struts = net.struts().len();
    let radii = net.struts().iter().flat_map(|s| [s.radius_a, s.radius_b]);
    stats.min_radius = radii.clone().fold(f64::INFINITY, f64::min);
    stats.max_radius = radii.fold(0.0, f64::max);
}

/// The per-region statistics with the control points' ids filled in (a region without kept
/// pieces reports a thinnest kept diameter of 0).
fn named_transitions(
    transitions: BTreeMap<(usize, Option<usize>), TransitionStats>,
    field: &DesignField,
) -> Vec<TransitionStats> {
    transitions
        .into_iter()
        .map(|((a, b), mut t)| {
            if t.kept == 0 {
                t.thinnest_kept_mm = 0.0;
            }
            t.from = field.ids()[a].clone();
            t.to = b.map(|b| field.ids()[b].clone());
            t
        })
        .collect()
}

/// Builds the graded strut network (see the module docs).
pub(crate) fn blend(
    field: &DesignField,
    aligned: &[AlignedCell],
    scaffold: &Scaffold,
    domain: &Domain,
    options: &GradingOptions,
    stats: &mut GradingStats,
) -> Result<Blended, GradingError> {
    let CellPieces {
        cells,
        raw,
        distinct,
    } = cell_pieces(field, aligned, scaffold, domain, options);
    stats.cells = cells.len();
    stats.distinct_cell_contents = distinct;
    let ends: Vec<(RatPoint, RatPoint)> =
        raw.iter().map(|r| (r.line.start(), r.line.end())).collect();
    let extra = face_splits(&raw, &ends);
    stats.face_splits = extra.values().map(|s| s.len()).sum();
    let pieces = unique_pieces(&raw, &ends, &extra);
    stats.raw_struts = pieces.len();
    let mut graph = PieceGraph::new(pieces, scaffold);
    let (mut sized, transitions) =
        size_pieces(&graph, field, aligned, options.min_strut_diameter, stats)?;
    merge_straight_nodes(&mut graph, &mut sized, aligned, field, options, stats);
    let struts = sized_struts(&graph.edges, &sized);
    let net = trimmed_network(graph.positions, &struts, domain, options, stats)?;
    record_network(&net, stats);
    Ok(Blended {
        network: net,
        cells,
        transitions: named_transitions(transitions, field),
    })
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn thin_pieces_drop_unless_dominant_and_thin_ends_are_raised() {
        let dmin = 0.25;
        // Thick enough: kept as is.
        assert_eq!(piece_diameters([0.3, 0.4], false, dmin), Some([0.3, 0.4]));
        // Mean below the minimum: dropped, unless a source dominates an end.
        assert_eq!(piece_diameters([0.1, 0.2], false, dmin), None);
        assert_eq!(piece_diameters([0.1, 0.2], true, dmin), Some([0.25, 0.25]));
        // A dominant piece with no material at all is still kept at the minimum (a cell
        // never loses its dominant topology's struts).
        assert_eq!(piece_diameters([0.0, 0.0], true, dmin), Some([0.25, 0.25]));
        // Mean above, one end thin: that end is raised.
        assert_eq!(piece_diameters([0.2, 0.4], false, dmin), Some([0.25, 0.4]));
    }

    #[test]
    fn dominant_is_the_largest_weight_ties_to_the_lower_index() {
        assert_eq!(dominant(&[(0, 0.2), (2, 0.5), (1, 0.3)]), Some(2));
        assert_eq!(dominant(&[(3, 0.5), (1, 0.5)]), Some(1));
        assert_eq!(dominant(&[]), None);
    }
}
