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

use super::connectivity::{compact, dangling_mask, largest_component_mask};
use super::domain::{BOUNDARY_TOLERANCE, Domain, DomainError};
use super::trim::trim_to_domain;
use super::{NetworkError, Strut, StrutNetwork};
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
        "the domain spans {cells} candidate cell images (limit {limit}); is the cell scaled to \
         mm (PeriodicCell::scaled)? cell volume {cell_volume} mm³"
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
/// use trussforge::design_space::{NodeId, PeriodicCell, PeriodicStrut};
/// use trussforge::network::{Domain, tile};
/// let s = |offset| PeriodicStrut { a: NodeId(0), b: NodeId(0), offset, diameter: 0.3 };
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
        let anchored = |v: usize| cut_node[v] || domain.is_on_boundary(&nodes[v], BOUNDARY_TOLERANCE);
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
        return Err(TileError::Empty { min: bmin, max: bmax });
    }
    stats.nodes = nodes.len();
    stats.struts = struts.len();
    Ok(TiledNetwork { network: StrutNetwork::try_new(nodes, struts)?, stats })
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
    let inv = lattice.try_inverse().expect("a valid cell has det > 0");
    let o = Vector3::from(origin);
    let corners: Vec<Vector3<f64>> = (0..8)
        .map(|c| {
            Vector3::new(
                if c & 1 == 0 { lo[0] } else { hi[0] },
                if c & 2 == 0 { lo[1] } else { hi[1] },
                if c & 4 == 0 { lo[2] } else { hi[2] },
            )
        })
        .collect();
    // Per strut: start offset (origin + x_a), vector, and integer image range.
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
    let span: u64 = (0..3).map(|i| (gmax[i] - gmin[i] + 1).max(0) as u64).product();
    if span > max_cells {
        return Err(TileError::TooManyCells { cells: span, limit: max_cells, cell_volume: cell.volume() });
    }

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
                    struts.push(Strut { a: na, b: nb, radius_a: p.radius, radius_b: p.radius });
                }
                stats.cells += usize::from(touched);
            }
        }
    }
    stats.image_struts = struts.len();
    Ok((nodes, struts, stats))
}
