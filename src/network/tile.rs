//! Tiling a periodic cell over a domain and trimming it to a [`StrutNetwork`].
//!
//! **Images.** Cell image `k ∈ ℤ³` places node `a` at `origin + x_a + L·k` (`L`: lattice
//! vectors as columns). A periodic strut `(a, b, n)` joins image `k`'s node `a` to image
//! `k + n`'s node `b`. Every image whose strut can touch the domain's bounding box is
//! instantiated; the index range comes from the inverse lattice applied to the box corners
//! (swept along each strut), so sheared and rotated lattices are covered. Each
//! `(orbit node, image)` becomes exactly one network node, so neighbouring cells share
//! nodes, and a strut listed twice (e.g. as `(a, b, n)` and `(b, a, −n)`) appears once.
//!
//! **Trim.** Struts inside the (closed) domain are kept, struts crossing its boundary are cut
//! there with a new node on the boundary, struts outside are dropped; pieces shorter than
//! [`TileOptions::min_strut_length`] are dropped.
//!
//! **Clean-up** (see [`DanglingPolicy`], [`ComponentPolicy`]): by default struts hanging at a
//! valence-1 node that is *not* on the boundary are removed, repeatedly (a free end inside the
//! implant carries no load); valence-1 nodes on the boundary are kept, since struts cut by the
//! boundary end there by design. Then only the largest connected component is kept (by strut
//! count), so no floating fragments reach the mesher.
//!
//! **Order.** Nodes are numbered in order of first use while images are visited in
//! lexicographic `(k₀, k₁, k₂)` order and, within one image, in the cell's strut order; cut
//! nodes follow. Output is a pure function of the input (hash maps are only looked up, never
//! iterated).

use std::collections::{HashMap, HashSet};

use nalgebra::{Point3, Vector3};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::BOUNDARY_TOLERANCE;
use super::connectivity::{compact, dangling_mask, largest_component_mask};
use super::domain::{Domain, DomainError};
use super::trim::trim_to_domain;
use super::{NetworkError, NodeId, Strut, StrutNetwork};
use crate::design_space::PeriodicCell;

/// What to do with struts that hang from a free end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DanglingPolicy {
    /// Keep them.
    Keep,
    /// Repeatedly remove struts ending at a valence-1 node that is not on the domain boundary
    /// (within [`BOUNDARY_TOLERANCE`]). Default.
    #[default]
    RemoveUnanchored,
}

/// What to do with connected components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ComponentPolicy {
    /// Keep every component.
    KeepAll,
    /// Keep only the component with the most struts. Default.
    #[default]
    KeepLargest,
}

/// Tiling options.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TileOptions {
    /// Trimmed pieces shorter than this are dropped, mm. Default 1e-6 mm.
    pub min_strut_length: f64,
    /// Dangling-strut removal. Default [`DanglingPolicy::RemoveUnanchored`].
    pub dangling: DanglingPolicy,
    /// Component filtering. Default [`ComponentPolicy::KeepLargest`].
    pub components: ComponentPolicy,
    /// Largest number of candidate cell images (the index box) before giving up. Default
    /// 50 000 000.
    pub max_cells: u64,
}

impl Default for TileOptions {
    fn default() -> Self {
        Self {
            min_strut_length: 1e-6,
            dangling: DanglingPolicy::default(),
            components: ComponentPolicy::default(),
            max_cells: 50_000_000,
        }
    }
}

/// Counts from one tiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TileStats {
    /// Cell images with at least one strut touching the domain's bounding box.
    pub cells: usize,
    /// Distinct image struts considered for trimming.
    pub image_struts: usize,
    /// Image struts dropped as duplicates of one already placed.
    pub duplicate_struts: usize,
    /// Struts wholly inside the domain.
    pub struts_kept: usize,
    /// Struts crossing the boundary, cut at it.
    pub struts_cut: usize,
    /// Pieces the cut struts became (≥ `struts_cut`; more for a non-convex envelope).
    pub cut_pieces: usize,
    /// Struts with no inside part (or only pieces shorter than the minimum length).
    pub struts_dropped: usize,
    /// Inside pieces dropped for being shorter than [`TileOptions::min_strut_length`].
    pub short_pieces_dropped: usize,
    /// Struts removed as dangling.
    pub dangling_removed: usize,
    /// Connected components removed (all but the largest).
    pub components_removed: usize,
    /// Struts in the removed components.
    pub component_struts_removed: usize,
    /// Nodes in the final network.
    pub nodes: usize,
    /// Struts in the final network.
    pub struts: usize,
}

/// A tiled and trimmed implant lattice.
#[derive(Debug, Clone, PartialEq)]
pub struct TiledNetwork {
    /// The strut network, mm.
    pub network: StrutNetwork,
    /// What happened on the way.
    pub stats: TileStats,
}

/// Why tiling failed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum TileError {
    /// The domain is invalid.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The origin has a non-finite coordinate.
    #[error("tiling origin {origin:?} mm is not finite")]
    NonFiniteOrigin {
        /// The origin given, mm.
        origin: [f64; 3],
    },
    /// The domain spans too many cells; the cell is probably in the wrong unit (not mm).
    #[error(
        "the domain spans {cells} cells (limit {limit}) of {cell_volume} mm³ each; use a larger \
         cell_size or a smaller domain (are the lengths in mm?)"
    )]
    TooManyCells {
        /// Candidate images.
        cells: u64,
        /// The limit ([`TileOptions::max_cells`]).
        limit: u64,
        /// The cell volume, mm³.
        cell_volume: f64,
    },
    /// Nothing of the lattice lies in the domain.
    #[error(
        "no strut lies in the domain (bounding box {min:?}–{max:?} mm); check the origin and \
         that the cell is smaller than the domain"
    )]
    Empty {
        /// Domain bounding box minimum, mm.
        min: [f64; 3],
        /// Domain bounding box maximum, mm.
        max: [f64; 3],
    },
    /// The network failed its invariants (a bug).
    #[error(transparent)]
    Network(#[from] NetworkError),
}

/// Tiles `cell` (already in mm) over `domain` with its node lattice anchored at `origin` (mm),
/// trims it and cleans it up with [`TileOptions::default`]. See the module docs.
///
/// # Errors
/// [`TileError`] for an invalid domain, a non-finite origin, too many cells, or an empty result.
///
/// # Example
/// ```
/// use nalgebra::{Matrix3, Point3};
/// use trussforge::design_space::{CellNodeId, PeriodicCell, PeriodicStrut};
/// use trussforge::network::{Domain, tile};
/// let s = |offset| PeriodicStrut { a: CellNodeId(0), b: CellNodeId(0), offset, diameter: 0.3 };
/// let cell = PeriodicCell::try_new(
///     Matrix3::identity() * 2.0,
///     vec![Point3::origin()],
///     vec![s([1, 0, 0]), s([0, 1, 0]), s([0, 0, 1])],
/// )
/// .unwrap();
/// let domain = Domain::new_box([0.0; 3], [10.0; 3]).unwrap();
/// let tiled = tile(&cell, &domain, [0.0; 3]).unwrap();
/// assert_eq!(tiled.network.nodes().len(), 216);
/// assert_eq!(tiled.network.struts().len(), 540);
/// ```
pub fn tile(
    cell: &PeriodicCell,
    domain: &Domain,
    origin: [f64; 3],
) -> Result<TiledNetwork, TileError> {
    tile_with(cell, domain, origin, &TileOptions::default())
}

/// [`tile`] with explicit options.
///
/// # Errors
/// As [`tile`].
pub fn tile_with(
    cell: &PeriodicCell,
    domain: &Domain,
    origin: [f64; 3],
    options: &TileOptions,
) -> Result<TiledNetwork, TileError> {
    domain.validate()?;
    if !origin.iter().all(|c| c.is_finite()) {
        return Err(TileError::NonFiniteOrigin { origin });
    }
    let (bmin, bmax) = domain.bounding_box();
    let grow = BOUNDARY_TOLERANCE * 2.0;
    let lo = bmin.map(|c| c - grow);
    let hi = bmax.map(|c| c + grow);
    let (nodes, struts, mut stats) = instantiate(cell, origin, lo, hi, options.max_cells)?;

    let trimmed = trim_to_domain(nodes, &struts, domain, options.min_strut_length);
    stats.struts_kept = trimmed.counts.kept;
    stats.struts_cut = trimmed.counts.cut;
    stats.cut_pieces = trimmed.counts.cut_pieces;
    stats.struts_dropped = trimmed.counts.dropped;
    stats.short_pieces_dropped = trimmed.counts.short_pieces;
    let (mut nodes, mut struts) = (trimmed.nodes, trimmed.struts);

    if options.dangling == DanglingPolicy::RemoveUnanchored {
        let cut_node = &trimmed.cut_node;
        let anchored =
            |v: usize| cut_node[v] || domain.is_on_boundary(&nodes[v], BOUNDARY_TOLERANCE);
        let keep = dangling_mask(nodes.len(), &struts, anchored);
        stats.dangling_removed = keep.iter().filter(|k| !**k).count();
        (nodes, struts, _) = compact(&nodes, &struts, &keep);
    }
    if options.components == ComponentPolicy::KeepLargest {
        let (keep, removal) = largest_component_mask(nodes.len(), &struts);
        stats.components_removed = removal.components_removed;
        stats.component_struts_removed = removal.struts_removed;
        (nodes, struts, _) = compact(&nodes, &struts, &keep);
    } else {
        let keep = vec![true; struts.len()];
        (nodes, struts, _) = compact(&nodes, &struts, &keep);
    }
    if struts.is_empty() {
        return Err(TileError::Empty {
            min: bmin,
            max: bmax,
        });
    }
    stats.nodes = nodes.len();
    stats.struts = struts.len();
    Ok(TiledNetwork {
        network: StrutNetwork::try_new(nodes, struts)?,
        stats,
    })
}

/// Liang–Barsky test: does the segment `p + t d`, t ∈ [0, 1], meet the box?
fn segment_hits_box(p: &Vector3<f64>, d: &Vector3<f64>, lo: &[f64; 3], hi: &[f64; 3]) -> bool {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for i in 0..3 {
        if d[i] == 0.0 {
            if p[i] < lo[i] || p[i] > hi[i] {
                return false;
            }
        } else {
            let ta = (lo[i] - p[i]) / d[i];
            let tb = (hi[i] - p[i]) / d[i];
            t0 = t0.max(ta.min(tb));
            t1 = t1.min(ta.max(tb));
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// One strut of the cell ready for imaging: start offset (origin + x_a), vector, and the
/// integer image range that can meet the box.
struct Proto {
    a: u32,
    b: u32,
    offset: [i64; 3],
    start: Vector3<f64>,
    vec: Vector3<f64>,
    radius: f64,
    kmin: [i64; 3],
    kmax: [i64; 3],
}

/// The cell's struts as [`Proto`]s for the box `[lo, hi]`, with the union `(gmin, gmax)` of
/// their image ranges.
fn strut_protos(
    cell: &PeriodicCell,
    o: Vector3<f64>,
    lo: [f64; 3],
    hi: [f64; 3],
) -> (Vec<Proto>, [i64; 3], [i64; 3]) {
    let inv = cell
        .lattice_vectors()
        .try_inverse()
        .expect("a valid cell has det > 0");
    let corners: Vec<Vector3<f64>> = (0..8)
        .map(|c| {
            Vector3::new(
                if c & 1 == 0 { lo[0] } else { hi[0] },
                if c & 2 == 0 { lo[1] } else { hi[1] },
                if c & 4 == 0 { lo[2] } else { hi[2] },
            )
        })
        .collect();
    let mut protos = Vec::with_capacity(cell.struts().len());
    let mut gmin = [i64::MAX; 3];
    let mut gmax = [i64::MIN; 3];
    for s in cell.struts() {
        let start = o + cell.nodes()[s.a.0 as usize].coords;
        let vec = cell.strut_vector(s);
        let mut fmin = [f64::INFINITY; 3];
        let mut fmax = [f64::NEG_INFINITY; 3];
        for c in &corners {
            for sweep in [0.0, 1.0] {
                let f = inv * (c - start - vec * sweep);
                for i in 0..3 {
                    fmin[i] = fmin[i].min(f[i]);
                    fmax[i] = fmax[i].max(f[i]);
                }
            }
        }
        let kmin = fmin.map(|f| (f - 1e-9).floor() as i64);
        let kmax = fmax.map(|f| (f + 1e-9).ceil() as i64);
        for i in 0..3 {
            gmin[i] = gmin[i].min(kmin[i]);
            gmax[i] = gmax[i].max(kmax[i]);
        }
        protos.push(Proto {
            a: s.a.0,
            b: s.b.0,
            offset: s.offset.map(i64::from),
            start,
            vec,
            radius: 0.5 * s.diameter,
            kmin,
            kmax,
        });
    }
    (protos, gmin, gmax)
}

/// Checks that the image ranges `[gmin, gmax]` span at most `max_cells` cells.
///
/// # Errors
/// [`TileError::TooManyCells`] otherwise.
fn check_image_count(
    cell: &PeriodicCell,
    gmin: [i64; 3],
    gmax: [i64; 3],
    max_cells: u64,
) -> Result<(), TileError> {
    // In f64: image ranges of a huge box (or one far from the origin) saturate i64, and their
    // product must not wrap.
    let span_f: f64 = (0..3)
        .map(|i| (gmax[i] as f64 - gmin[i] as f64 + 1.0).max(0.0))
        .product();
    if span_f.is_nan() || span_f > max_cells as f64 {
        return Err(TileError::TooManyCells {
            cells: if span_f.is_finite() && span_f < u64::MAX as f64 {
                span_f as u64
            } else {
                u64::MAX
            },
            limit: max_cells,
            cell_volume: cell.volume(),
        });
    }
    Ok(())
}

type Raw = (Vec<Point3<f64>>, Vec<Strut>, TileStats);

/// All image struts meeting the box `[lo, hi]`, with shared nodes and no duplicates.
fn instantiate(
    cell: &PeriodicCell,
    origin: [f64; 3],
    lo: [f64; 3],
    hi: [f64; 3],
    max_cells: u64,
) -> Result<Raw, TileError> {
    let lattice = *cell.lattice_vectors();
    let o = Vector3::from(origin);
    let (protos, gmin, gmax) = strut_protos(cell, o, lo, hi);
    check_image_count(cell, gmin, gmax, max_cells)?;

    let mut node_ids: HashMap<([i64; 3], u32), u32> = HashMap::new();
    let mut nodes: Vec<Point3<f64>> = Vec::new();
    let mut get_node = |k: [i64; 3], a: u32, nodes: &mut Vec<Point3<f64>>| -> u32 {
        *node_ids.entry((k, a)).or_insert_with(|| {
            let shift = lattice * Vector3::new(k[0] as f64, k[1] as f64, k[2] as f64);
            nodes.push(Point3::from(o + cell.nodes()[a as usize].coords + shift));
            (nodes.len() - 1) as u32
        })
    };
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    let mut struts = Vec::new();
    let mut stats = TileStats::default();
    for k0 in gmin[0]..=gmax[0] {
        for k1 in gmin[1]..=gmax[1] {
            for k2 in gmin[2]..=gmax[2] {
                let k = [k0, k1, k2];
                let mut touched = false;
                for p in &protos {
                    if (0..3).any(|i| k[i] < p.kmin[i] || k[i] > p.kmax[i]) {
                        continue;
                    }
                    let shift = lattice * Vector3::new(k0 as f64, k1 as f64, k2 as f64);
                    if !segment_hits_box(&(p.start + shift), &p.vec, &lo, &hi) {
                        continue;
                    }
                    touched = true;
                    let kb = [k0 + p.offset[0], k1 + p.offset[1], k2 + p.offset[2]];
                    let na = get_node(k, p.a, &mut nodes);
                    let nb = get_node(kb, p.b, &mut nodes);
                    if !seen.insert((na.min(nb), na.max(nb))) {
                        stats.duplicate_struts += 1;
                        continue;
                    }
                    struts.push(Strut {
                        a: NodeId(na),
                        b: NodeId(nb),
                        radius_a: p.radius,
                        radius_b: p.radius,
                    });
                }
                stats.cells += usize::from(touched);
            }
        }
    }
    stats.image_struts = struts.len();
    Ok((nodes, struts, stats))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use nalgebra::{Matrix3, Rotation3};

    use super::*;
    use crate::design_space::{CellNodeId, PeriodicStrut};
    use crate::network::envelope::shapes::{binary_stl, box_triangles, sphere_triangles};
    use crate::network::{Envelope, components};

    fn simple_cubic(h: f64, d: f64) -> PeriodicCell {
        let s = |offset| PeriodicStrut {
            a: CellNodeId(0),
            b: CellNodeId(0),
            offset,
            diameter: d,
        };
        PeriodicCell::try_new(
            Matrix3::identity() * h,
            vec![Point3::origin()],
            vec![s([1, 0, 0]), s([0, 1, 0]), s([0, 0, 1])],
        )
        .unwrap()
    }

    /// BCC + simple-cubic edges on a rotated, sheared, stretched lattice (mm). Periodic
    /// valences: corner node 8 + 6 = 14, body centre 8.
    fn general_cell() -> PeriodicCell {
        let rot = Rotation3::from_axis_angle(
            &nalgebra::Unit::new_normalize(Vector3::new(1.0, 2.0, 0.5)),
            0.7,
        );
        let shear = Matrix3::new(1.0, 0.3, -0.2, 0.0, 1.1, 0.25, 0.0, 0.0, 0.9);
        let l = rot.matrix() * shear * 1.5;
        let x1 = l * Vector3::new(0.5, 0.5, 0.5);
        let mut struts = Vec::new();
        for e in [[1, 0, 0], [0, 1, 0], [0, 0, 1]] {
            struts.push(PeriodicStrut {
                a: CellNodeId(0),
                b: CellNodeId(0),
                offset: e,
                diameter: 0.2,
            });
        }
        for c in 0..8 {
            let off = [c & 1, (c >> 1) & 1, (c >> 2) & 1];
            struts.push(PeriodicStrut {
                a: CellNodeId(1),
                b: CellNodeId(0),
                offset: off,
                diameter: 0.15,
            });
        }
        PeriodicCell::try_new(l, vec![Point3::origin(), Point3::from(x1)], struts).unwrap()
    }

    fn valences(net: &StrutNetwork) -> Vec<usize> {
        let mut v = vec![0; net.nodes().len()];
        for s in net.struts() {
            v[s.a.index()] += 1;
            v[s.b.index()] += 1;
        }
        v
    }

    /// Orbit of a node (Some(i) if it is lattice node i, None for a cut node).
    fn orbit(cell: &PeriodicCell, origin: [f64; 3], p: &Point3<f64>) -> Option<usize> {
        let inv = cell.lattice_vectors().try_inverse().unwrap();
        cell.nodes().iter().position(|x| {
            let f = inv * (p.coords - Vector3::from(origin) - x.coords);
            f.iter().all(|c| (c - c.round()).abs() < 1e-9)
        })
    }

    fn assert_clean(net: &StrutNetwork) {
        let mut seen = BTreeSet::new();
        for s in net.struts() {
            assert!(
                seen.insert((s.a.min(s.b), s.a.max(s.b))),
                "duplicate strut {s:?}"
            );
            let l = (net.nodes()[s.a.index()] - net.nodes()[s.b.index()]).norm();
            assert!(l >= 1e-6, "strut {s:?} has length {l}");
        }
    }

    #[test]
    fn simple_cubic_on_lattice_planes_matches_closed_form() {
        let cell = simple_cubic(2.0, 0.4);
        let domain = Domain::new_box([0.0; 3], [10.0; 3]).unwrap();
        let t = tile(&cell, &domain, [0.0; 3]).unwrap();
        let net = &t.network;
        assert_eq!(net.nodes().len(), 6 * 6 * 6);
        assert_eq!(net.struts().len(), 3 * 5 * 6 * 6);
        assert_eq!(
            (t.stats.struts_kept, t.stats.struts_cut, t.stats.cut_pieces),
            (540, 0, 0)
        );
        assert_eq!(
            (t.stats.dangling_removed, t.stats.components_removed),
            (0, 0)
        );
        assert_clean(net);
        let val = valences(net);
        let mut interior = 0;
        for (p, v) in net.nodes().iter().zip(&val) {
            // Closed form: 2 neighbours per axis, 1 on a face of that axis.
            let want: usize = (0..3)
                .map(|i| if p[i] == 0.0 || p[i] == 10.0 { 1 } else { 2 })
                .sum();
            assert_eq!(*v, want, "node {p}");
            if (0..3).all(|i| p[i] > 0.0 && p[i] < 10.0) {
                interior += 1;
                assert_eq!(*v, 6);
            }
        }
        assert_eq!(interior, 4 * 4 * 4);
        for s in net.struts() {
            let l = (net.nodes()[s.a.index()] - net.nodes()[s.b.index()]).norm();
            assert!((l - 2.0).abs() < 1e-12);
            assert_eq!((s.radius_a, s.radius_b), (0.2, 0.2));
        }
    }

    #[test]
    fn simple_cubic_off_lattice_planes_is_cut_at_the_faces() {
        // Nodes at 2,4,6,8 per axis (4³ = 64); per lattice line 3 inside struts and 2 cut
        // ones (cut at 0.5 and 9.5), 16 lines per axis.
        let cell = simple_cubic(2.0, 0.4);
        let domain = Domain::new_box([0.5; 3], [9.5; 3]).unwrap();
        let t = tile(&cell, &domain, [0.0; 3]).unwrap();
        assert_eq!(t.stats.struts_kept, 3 * 3 * 16);
        assert_eq!(
            (t.stats.struts_cut, t.stats.cut_pieces),
            (2 * 3 * 16, 2 * 3 * 16)
        );
        assert_eq!(t.network.nodes().len(), 64 + 96);
        assert_eq!(t.network.struts().len(), 144 + 96);
        for s in t.network.struts() {
            let (p, q) = (
                t.network.nodes()[s.a.index()],
                t.network.nodes()[s.b.index()],
            );
            let l = (p - q).norm();
            assert!(
                (l - 2.0).abs() < 1e-12 || (l - 1.5).abs() < 1e-12,
                "length {l}"
            );
        }
        assert_clean(&t.network);
    }

    #[test]
    fn general_lattice_has_periodic_valence_and_length_density() {
        let cell = general_cell();
        let origin = [0.3, -0.2, 0.1];
        let domain = Domain::new_box([0.0; 3], [24.0; 3]).unwrap();
        let t = tile(&cell, &domain, origin).unwrap();
        let net = &t.network;
        assert_clean(net);
        let want = cell.node_valences();
        assert_eq!(want, vec![14, 8]);
        let val = valences(net);
        let reach = cell.strut_lengths().iter().cloned().fold(0.0, f64::max) + 1e-6;
        let mut interior = [0usize; 2];
        for (p, v) in net.nodes().iter().zip(&val) {
            if (0..3).all(|i| p[i] > reach && p[i] < 24.0 - reach) {
                let o = orbit(&cell, origin, p).expect("interior nodes are lattice nodes");
                assert_eq!(*v, want[o], "node {p} of orbit {o}");
                interior[o] += 1;
            }
        }
        assert!(interior[0] > 1000 && interior[1] > 1000, "{interior:?}");
        // Strut length per volume inside an inner box vs the cell's.
        let inner = Domain::new_box([4.0; 3], [20.0; 3]).unwrap();
        let mut length = 0.0;
        for s in net.struts() {
            let (p, q) = (net.nodes()[s.a.index()], net.nodes()[s.b.index()]);
            for [t0, t1] in inner.inside_intervals(&p, &q) {
                length += (t1 - t0) * (q - p).norm();
            }
        }
        let got = length / 16f64.powi(3);
        let expected = cell.strut_lengths().iter().sum::<f64>() / cell.volume();
        let rel = (got - expected).abs() / expected;
        eprintln!(
            "general lattice: interior {interior:?}, density {got} vs {expected} ({rel:.1e})"
        );
        assert!(
            rel < 0.01,
            "length density {got} vs {expected} (rel {rel:.2e})"
        );
    }

    fn cylinder_sdf(
        p: &Point3<f64>,
        base: Vector3<f64>,
        axis: Vector3<f64>,
        r: f64,
        h: f64,
    ) -> f64 {
        let w = p.coords - base;
        let s = w.dot(&axis);
        let radial = (w - axis * s).norm();
        (radial - r).max(-s).max(s - h)
    }

    #[test]
    fn cylinder_trim_keeps_everything_inside_and_cuts_on_the_surface() {
        let cell = general_cell();
        let origin = [0.1, 0.2, 0.3];
        let axis = Vector3::new(0.2, -0.3, 1.0).normalize();
        let base = Vector3::new(1.0, 2.0, 3.0);
        let (r, h) = (6.0, 12.0);
        let domain = Domain::new_cylinder(base.into(), axis.into(), r, h).unwrap();
        let t = tile(&cell, &domain, origin).unwrap();
        let net = &t.network;
        assert!(t.stats.struts_cut > 100, "{:?}", t.stats);
        assert_clean(net);
        let val = valences(net);
        let mut cut_nodes = 0;
        for (p, v) in net.nodes().iter().zip(&val) {
            let d = cylinder_sdf(p, base, axis, r, h);
            assert!(d <= 1e-9, "node {p} is {d} mm outside");
            if orbit(&cell, origin, p).is_none() {
                cut_nodes += 1;
                assert!(d.abs() <= 1e-9, "cut node {p} is {d} mm off the surface");
            }
            if *v == 1 {
                assert!(
                    d.abs() <= 1e-9,
                    "dangling node {p} not on the boundary (sdf {d})"
                );
            }
        }
        // Each surviving cut strut ends at ≥ 1 cut node; the removed components here are
        // chords cut at both ends (both ends outside), one strut each.
        assert!(t.stats.components_removed > 0);
        assert_eq!(t.stats.component_struts_removed, t.stats.components_removed);
        let surviving_cut = t.stats.struts_cut - t.stats.component_struts_removed;
        assert!(cut_nodes >= surviving_cut, "{cut_nodes} {:?}", t.stats);
        eprintln!("cylinder: {cut_nodes} cut nodes, {:?}", t.stats);
        for s in net.struts() {
            let (p, q) = (net.nodes()[s.a.index()], net.nodes()[s.b.index()]);
            for i in 0..=16 {
                let x = p + (q - p) * (i as f64 / 16.0);
                let d = cylinder_sdf(&x, base, axis, r, h);
                assert!(d <= 1e-9, "strut {s:?} leaves the cylinder by {d} mm");
            }
        }
        // Everything the cylinder should contain is there: every lattice strut wholly
        // inside (by its sdf at both ends, convex domain) appears.
        assert!(t.stats.struts_kept > 1000);
        assert_eq!(components(net).iter().max(), Some(&0));
    }

    #[test]
    fn cube_envelope_equals_box_domain() {
        for (lo, hi, cell, origin) in [
            ([0.0; 3], [10.0; 3], simple_cubic(2.0, 0.4), [0.0; 3]),
            (
                [0.5, 0.25, 1.0],
                [9.25, 8.5, 7.75],
                general_cell(),
                [0.3, 0.1, -0.2],
            ),
        ] {
            let bx = Domain::new_box(lo, hi).unwrap();
            let stl = binary_stl(&box_triangles(lo, hi));
            let env = Envelope::from_stl_reader(&mut std::io::Cursor::new(stl)).unwrap();
            let env = Domain::Envelope(env);
            let a = tile(&cell, &bx, origin).unwrap();
            let b = tile(&cell, &env, origin).unwrap();
            assert_eq!(a.stats, b.stats);
            assert_eq!(a.network.struts().len(), b.network.struts().len());
            for (p, q) in a.network.nodes().iter().zip(b.network.nodes()) {
                assert!((p - q).norm() < 1e-9, "{p} vs {q}");
            }
            for (s, u) in a.network.struts().iter().zip(b.network.struts()) {
                assert_eq!((s.a, s.b), (u.a, u.b));
                assert!((s.radius_a - u.radius_a).abs() < 1e-12);
                assert!((s.radius_b - u.radius_b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn tiling_is_deterministic() {
        let cell = general_cell();
        let domain = Domain::new_cylinder([0.0; 3], [1.0, 1.0, 1.0], 5.0, 9.0).unwrap();
        let a = tile(&cell, &domain, [0.1; 3]).unwrap();
        let b = tile(&cell, &domain, [0.1; 3]).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn duplicate_listed_struts_appear_once() {
        let mut struts = simple_cubic(2.0, 0.4).struts().to_vec();
        struts.push(PeriodicStrut {
            a: CellNodeId(0),
            b: CellNodeId(0),
            offset: [-1, 0, 0],
            diameter: 0.4,
        });
        let cell = PeriodicCell::try_new(Matrix3::identity() * 2.0, vec![Point3::origin()], struts)
            .unwrap();
        let domain = Domain::new_box([0.0; 3], [10.0; 3]).unwrap();
        let t = tile(&cell, &domain, [0.0; 3]).unwrap();
        assert_eq!(t.network.struts().len(), 540);
        assert!(t.stats.duplicate_struts >= 5 * 36, "{:?}", t.stats);
    }

    #[test]
    fn disconnected_sublattices_keep_the_largest() {
        // Two interpenetrating simple-cubic nets that never touch.
        let s = |n, offset| PeriodicStrut {
            a: CellNodeId(n),
            b: CellNodeId(n),
            offset,
            diameter: 0.2,
        };
        let cell = PeriodicCell::try_new(
            Matrix3::identity() * 2.0,
            vec![Point3::origin(), Point3::new(1.0, 1.0, 1.0)],
            vec![s(0, [1, 0, 0]), s(0, [0, 1, 0]), s(0, [0, 0, 1])]
                .into_iter()
                .chain([s(1, [1, 0, 0]), s(1, [0, 1, 0]), s(1, [0, 0, 1])])
                .collect(),
        )
        .unwrap();
        let domain = Domain::new_box([0.0; 3], [10.0; 3]).unwrap();
        let t = tile(&cell, &domain, [0.0; 3]).unwrap();
        // Orbit 0: 540 struts on the lattice planes; orbit 1: 5³ nodes, 3·4·25 = 300 inside
        // plus 2·3·25 = 150 cut.
        assert_eq!(t.stats.components_removed, 1);
        assert_eq!(t.stats.component_struts_removed, 450);
        assert_eq!(t.network.struts().len(), 540);
        let opts = TileOptions {
            components: ComponentPolicy::KeepAll,
            ..Default::default()
        };
        let all = tile_with(&cell, &domain, [0.0; 3], &opts).unwrap();
        assert_eq!(all.network.struts().len(), 990);
        assert_eq!(components(&all.network).iter().max(), Some(&1));
    }

    #[test]
    fn errors_name_the_problem() {
        let cell = simple_cubic(2.0, 0.4);
        let domain = Domain::new_box([0.0; 3], [10.0; 3]).unwrap();
        let e = tile(&cell, &domain, [f64::NAN, 0.0, 0.0]).unwrap_err();
        assert!(matches!(e, TileError::NonFiniteOrigin { .. }));
        let tiny = simple_cubic(0.01, 0.001);
        let opts = TileOptions {
            max_cells: 100_000,
            ..Default::default()
        };
        let e = tile_with(&tiny, &domain, [0.0; 3], &opts).unwrap_err();
        assert!(
            matches!(e, TileError::TooManyCells { limit: 100_000, .. }),
            "{e}"
        );
        // Astronomically large boxes: an error at once, no wrapped count, no endless loop.
        for extent in [1e9, 1e300] {
            let huge = Domain::new_box([0.0; 3], [extent; 3]).unwrap();
            let e = tile(&cell, &huge, [0.0; 3]).unwrap_err();
            match &e {
                TileError::TooManyCells { cells, .. } => {
                    assert!(*cells as f64 >= (extent / 2.0).powi(3).min(u64::MAX as f64) * 0.99)
                }
                e => panic!("unexpected {e}"),
            }
            assert!(!e.to_string().contains("::"), "{e}");
        }
        let big = simple_cubic(20.0, 1.0);
        let small = Domain::new_box([1.0; 3], [2.0; 3]).unwrap();
        let e = tile(&big, &small, [0.0; 3]).unwrap_err();
        assert!(matches!(e, TileError::Empty { .. }), "{e}");
        let bad = Domain::Box {
            min: [0.0; 3],
            max: [1.0, -1.0, 1.0],
        };
        let e = tile(&cell, &bad, [0.0; 3]).unwrap_err();
        assert!(e.to_string().contains("max[1] = -1"), "{e}");
    }

    #[test]
    fn sphere_envelope_cuts_on_the_surface_and_stays_inside() {
        let cell = general_cell();
        let tris = sphere_triangles([1.0, 2.0, 3.0], 7.0, 32, 16);
        let env = Envelope::from_triangles(&tris).unwrap();
        let domain = Domain::Envelope(env.clone());
        let origin = [0.05, 0.1, 0.15];
        let t = tile(&cell, &domain, origin).unwrap();
        let net = &t.network;
        assert!(t.stats.struts_cut > 100, "{:?}", t.stats);
        assert_clean(net);
        let mut cut_nodes = 0;
        for p in net.nodes() {
            assert!(env.contains(p), "node {p} outside");
            if orbit(&cell, origin, p).is_none() {
                cut_nodes += 1;
                assert!(env.distance_within(p, 1e-9), "cut node {p} off the surface");
            }
        }
        assert!(cut_nodes > 100);
        for s in net.struts() {
            let (p, q) = (net.nodes()[s.a.index()], net.nodes()[s.b.index()]);
            for i in 1..16 {
                let x = p + (q - p) * (i as f64 / 16.0);
                assert!(env.contains(&x), "strut {s:?} leaves the sphere at {x}");
            }
        }
    }

    #[test]
    fn non_convex_envelope_splits_a_strut_into_pieces() {
        // Two cubes with a gap; a simple-cubic line at y = z = 1 runs 1 → 6 through both.
        let mut tris = box_triangles([0.5; 3], [3.5; 3]);
        tris.extend(box_triangles([4.5, 0.5, 0.5], [7.5, 3.5, 3.5]));
        let domain = Domain::Envelope(Envelope::from_triangles(&tris).unwrap());
        let cell = simple_cubic(5.0, 0.4);
        let opts = TileOptions {
            components: ComponentPolicy::KeepAll,
            ..Default::default()
        };
        let t = tile_with(&cell, &domain, [1.0; 3], &opts).unwrap();
        assert!(t.stats.cut_pieces > t.stats.struts_cut, "{:?}", t.stats);
        for s in t.network.struts() {
            let (p, q) = (
                t.network.nodes()[s.a.index()],
                t.network.nodes()[s.b.index()],
            );
            for i in 0..=32 {
                let x = p + (q - p) * (i as f64 / 32.0);
                assert!(
                    !(x.x > 3.5 + 1e-9 && x.x < 4.5 - 1e-9),
                    "strut {s:?} in the gap at {x}"
                );
            }
        }
    }

    #[test]
    fn about_100k_struts_tile_quickly() {
        let cell = general_cell();
        let domain = Domain::new_cylinder([0.0; 3], [0.0, 0.0, 1.0], 16.0, 33.0).unwrap();
        let start = std::time::Instant::now();
        let t = tile(&cell, &domain, [0.0; 3]).unwrap();
        let secs = start.elapsed().as_secs_f64();
        eprintln!("tiled {:?} in {secs:.3} s", t.stats);
        assert!(t.network.struts().len() > 90_000, "{:?}", t.stats);
        // Generous bound for unoptimized test builds on a shared machine.
        assert!(secs < 5.0, "{secs} s");
        let env = Envelope::from_triangles(&sphere_triangles([0.0; 3], 20.0, 64, 32)).unwrap();
        let start = std::time::Instant::now();
        let t = tile(&cell, &Domain::Envelope(env), [0.0; 3]).unwrap();
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "tiled (sphere envelope, 4032 triangles) {:?} in {secs:.3} s",
            t.stats
        );
        assert!(t.network.struts().len() > 90_000, "{:?}", t.stats);
        assert!(secs < 10.0, "{secs} s");
    }
}
