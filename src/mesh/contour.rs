//! Sparse block grid + marching tetrahedra on the Freudenthal (Kuhn) split.
//!
//! # Grid
//! Grid vertices sit at `origin + h·(i, j, k)` with integer `i, j, k ≥ 0`. Cells are grouped in
//! blocks of [`BLOCK`]³ cells. A block is *active* when some strut's round cone may reach it:
//! `sdf(block centre) ≤ half diagonal + margin` (exact because the distance is 1-Lipschitz).
//! Every point inside the solid therefore lies in an active block, and every grid vertex of an
//! inactive block is truly outside. Blocks lying entirely inside one strut hold no surface
//! and are skipped. Only active blocks are ever sampled, so memory follows the surface.
//!
//! # Contouring
//! Each cube is split into six tetrahedra sharing its main diagonal (Kuhn/Freudenthal); the
//! split is translation invariant, so neighbouring cubes agree on shared faces. A grid vertex
//! is inside iff its distance is `< 0` (zero counts as outside, so no surface vertex is ever a
//! grid vertex). Each tetrahedron with mixed signs emits one triangle or a planar-split quad
//! whose vertices lie on its sign-changing edges, keyed by (lower grid vertex, edge
//! direction) so shared edges weld exactly. The edge parameter is clamped to
//! `[T_EPS, 1 − T_EPS]`, which keeps every surface vertex strictly inside its edge.
//!
//! Guarantees (all combinatorial, independent of floating point):
//! - **closed and 2-manifold**: the surface is (combinatorially) the level set of a regular
//!   value of a piecewise-linear function on a triangulated region, which is a closed
//!   2-manifold; every surface edge lies in a tetrahedron face with exactly two sign changes,
//!   shared by exactly two tetrahedra (or by the two halves of a quad);
//! - **oriented**: each tetrahedron is stored positively oriented and emits its triangles
//!   from an even permutation, so normals point from inside to outside;
//! - **free of self-intersections**: every triangle lies in its own closed tetrahedron, which
//!   it meets only on faces where the neighbour's triangle uses the same welded vertices.
//!
//! Accuracy: the surface is the zero set of the piecewise-linear interpolant of the exact
//! distance, so it lies within one cell diagonal (`√3·h`) of the exact surface (in practice
//! within `~h²/r`); features thinner than about two cells could vanish, which the default
//! spacing (0.35 × smallest radius, ≥ 5.7 cells per diameter) rules out.

use nalgebra::Point3;
use rayon::prelude::*;

use super::sdf::RoundCone;

/// Cells per block edge.
pub(crate) const BLOCK: usize = 8;
/// Samples per block edge.
const S: usize = BLOCK + 1;
/// Cells per brick edge (strut lists are refined per brick).
const BRICK: usize = 2;
/// Bricks per block edge.
const BRICKS: usize = BLOCK / BRICK;
/// Placeholder magnitude for samples far from the surface.
const FAR: f64 = 1e30;
/// Clamp of the edge parameter: surface vertices keep ≥ 1% of the edge to each grid vertex.
const T_EPS: f64 = 0.01;
/// Most regula-falsi steps per surface vertex (smooth places stop after 2–3).
const ROOT_ITERATIONS: usize = 24;
/// Stop refining a surface vertex once its distance is below this fraction of the spacing.
const ROOT_TOL: f64 = 1e-3;
/// Bits per axis in vertex and block keys.
pub(crate) const AXIS_BITS: u32 = 20;

/// The Kuhn tetrahedra of the unit cube as corner indices (bit 0 = x, 1 = y, 2 = z), each
/// reordered to positive orientation.
fn kuhn_tets() -> [[usize; 4]; 6] {
    let mut out = [[0usize; 4]; 6];
    for (t, p) in crate::geom::symmetry::PERMUTATIONS_3.iter().enumerate() {
        let c1 = 1usize << p[0];
        let c2 = c1 | (1 << p[1]);
        let mut tet = [0, c1, c2, 7];
        if orientation(&tet) < 0 {
            tet.swap(0, 1);
        }
        out[t] = tet;
    }
    out
}

fn corner(c: usize) -> [i32; 3] {
    [(c & 1) as i32, ((c >> 1) & 1) as i32, ((c >> 2) & 1) as i32]
}

fn orientation(tet: &[usize; 4]) -> i32 {
    let p: Vec<[i32; 3]> = tet.iter().map(|&c| corner(c)).collect();
    let d = |i: usize| [p[i][0] - p[0][0], p[i][1] - p[0][1], p[i][2] - p[0][2]];
    let (u, v, w) = (d(1), d(2), d(3));
    u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0])
        + u[2] * (v[0] * w[1] - v[1] * w[0])
}

fn parity(p: &[usize; 4]) -> bool {
    let mut inv = 0;
    for i in 0..4 {
        for j in i + 1..4 {
            if p[i] > p[j] {
                inv += 1;
            }
        }
    }
    inv % 2 == 0
}

/// For each 4-bit inside mask of a positively oriented tet (bit i = local vertex i inside),
/// the triangles as pairs of local vertex indices (edge endpoints), outward oriented.
type TetCase = ([[(u8, u8); 3]; 2], u8);

fn tet_cases() -> [TetCase; 16] {
    let mut table = [([[(0u8, 0u8); 3]; 2], 0u8); 16];
    for (mask, entry) in table.iter_mut().enumerate() {
        let inside: Vec<usize> = (0..4).filter(|i| mask >> i & 1 == 1).collect();
        let outside: Vec<usize> = (0..4).filter(|i| mask >> i & 1 == 0).collect();
        let e = |x: usize, y: usize| (x as u8, y as u8);
        match inside.len() {
            1 | 3 => {
                let (lone, rest, flip) = if inside.len() == 1 {
                    (inside[0], outside, false)
                } else {
                    (outside[0], inside, true)
                };
                let mut p = [lone, rest[0], rest[1], rest[2]];
                if !parity(&p) {
                    p.swap(2, 3);
                }
                let mut tri = [e(p[0], p[1]), e(p[0], p[2]), e(p[0], p[3])];
                if flip {
                    tri.swap(1, 2);
                }
                *entry = ([tri, tri], 1);
            }
            2 => {
                let mut p = [inside[0], inside[1], outside[0], outside[1]];
                if !parity(&p) {
                    p.swap(2, 3);
                }
                let (a, b, c, d) = (p[0], p[1], p[2], p[3]);
                // Quad p_ac, p_ad, p_bd, p_bc (outward for an even permutation).
                let t1 = [e(a, c), e(a, d), e(b, d)];
                let t2 = [e(a, c), e(b, d), e(b, c)];
                *entry = ([t1, t2], 2);
            }
            _ => {}
        }
    }
    table
}

/// Grid geometry shared by all blocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    /// Position of grid vertex (0, 0, 0), mm.
    pub origin: Point3<f64>,
    /// Spacing, mm.
    pub h: f64,
    /// Number of blocks per axis.
    pub blocks: [usize; 3],
}

impl Grid {
    fn point(&self, i: usize, j: usize, k: usize) -> Point3<f64> {
        Point3::new(
            self.origin.x + self.h * i as f64,
            self.origin.y + self.h * j as f64,
            self.origin.z + self.h * k as f64,
        )
    }
}

/// One active block: its block coordinates and the struts that may reach it.
pub(crate) struct ActiveBlock {
    pub coord: [usize; 3],
    pub struts: Vec<u32>,
}

fn block_key(c: [usize; 3]) -> u64 {
    ((c[0] as u64) << (2 * AXIS_BITS)) | ((c[1] as u64) << AXIS_BITS) | c[2] as u64
}

/// Block index range `(first, last)` per axis that strut `cone` can reach.
fn block_range(grid: &Grid, cone: &RoundCone, margin: f64) -> [(usize, usize); 3] {
    let bs = grid.h * BLOCK as f64;
    let (lo, hi) = cone.aabb();
    std::array::from_fn(|axis| {
        let o = grid.origin[axis];
        let a = ((lo[axis] - margin - o) / bs).floor().max(0.0) as usize;
        let b = ((hi[axis] + margin - o) / bs).floor().max(0.0) as usize;
        (a.min(grid.blocks[axis] - 1), b.min(grid.blocks[axis] - 1))
    })
}

/// Upper bound on the cells [`active_blocks`] will examine (sum over struts of the blocks
/// in their bounding boxes × cells per block), to refuse absurd grids before allocating.
pub(crate) fn candidate_cells(grid: &Grid, cones: &[RoundCone]) -> u64 {
    cones
        .iter()
        .map(|c| {
            block_range(grid, c, 2.0 * grid.h)
                .iter()
                .map(|(a, b)| (b - a + 1) as u64)
                .product::<u64>()
        })
        .fold(0u64, u64::saturating_add)
        .saturating_mul((BLOCK as u64).pow(3))
}

/// Finds the active blocks (sorted by block key) and the struts near each.
pub(crate) fn active_blocks(grid: &Grid, cones: &[RoundCone]) -> Vec<ActiveBlock> {
    let bs = grid.h * BLOCK as f64;
    let half_diag = 0.5 * bs * 3f64.sqrt();
    let margin = 2.0 * grid.h;
    let reach = half_diag + margin;
    // (block key, strut, fully inside?)
    let mut pairs: Vec<(u64, u32, bool)> = cones
        .par_iter()
        .enumerate()
        .flat_map_iter(|(s, cone)| {
            let [rx, ry, rz] = block_range(grid, cone, margin);
            let mut out = Vec::new();
            for bi in rx.0..=rx.1 {
                for bj in ry.0..=ry.1 {
                    for bk in rz.0..=rz.1 {
                        let c = Point3::new(
                            grid.origin.x + bs * (bi as f64 + 0.5),
                            grid.origin.y + bs * (bj as f64 + 0.5),
                            grid.origin.z + bs * (bk as f64 + 0.5),
                        );
                        let d = cone.distance(&c);
                        if d <= reach {
                            out.push((block_key([bi, bj, bk]), s as u32, d < -half_diag));
                        }
                    }
                }
            }
            out
        })
        .collect();
    pairs.par_sort_unstable();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < pairs.len() {
        let key = pairs[i].0;
        let mut j = i;
        let mut inside = false;
        while j < pairs.len() && pairs[j].0 == key {
            inside |= pairs[j].2;
            j += 1;
        }
        if !inside {
            let mask = (1u64 << AXIS_BITS) - 1;
            blocks.push(ActiveBlock {
                coord: [
                    (key >> (2 * AXIS_BITS)) as usize,
                    ((key >> AXIS_BITS) & mask) as usize,
                    (key & mask) as usize,
                ],
                struts: pairs[i..j].iter().map(|p| p.1).collect(),
            });
        }
        i = j;
    }
    blocks
}

/// The surface piece of one block: vertices keyed by grid edge, triangles in local indices.
#[derive(Default)]
pub(crate) struct BlockSurface {
    pub keys: Vec<u64>,
    pub positions: Vec<Point3<f64>>,
    pub triangles: Vec<[u32; 3]>,
}

/// Edge key: lower grid vertex (20 bits per axis) and direction bits (dx + 2dy + 4dz).
fn edge_key(g: [usize; 3], dir: usize) -> u64 {
    ((g[0] as u64) << (2 * AXIS_BITS + 3))
        | ((g[1] as u64) << (AXIS_BITS + 3))
        | ((g[2] as u64) << 3)
        | dir as u64
}

/// Precomputed lookup tables.
pub(crate) struct Tables {
    tets: [[usize; 4]; 6],
    cases: [TetCase; 16],
}

impl Tables {
    pub(crate) fn new() -> Self {
        Self {
            tets: kuhn_tets(),
            cases: tet_cases(),
        }
    }
}

/// Samples one block and contours it.
pub(crate) fn contour_block(
    grid: &Grid,
    cones: &[RoundCone],
    block: &ActiveBlock,
    tables: &Tables,
) -> BlockSurface {
    let base = [
        block.coord[0] * BLOCK,
        block.coord[1] * BLOCK,
        block.coord[2] * BLOCK,
    ];
    let Some(samples) = sample_block(grid, cones, block, base) else {
        return BlockSurface::default();
    };
    let mut contour = BlockContour {
        grid,
        cones,
        base,
        samples: &samples,
        corner_off: corner_offsets(),
        vid: vec![u32::MAX; S * S * S * 8],
        out: BlockSurface::default(),
    };
    for k in 0..BLOCK {
        for j in 0..BLOCK {
            for i in 0..BLOCK {
                contour.cell(tables, [i, j, k]);
            }
        }
    }
    contour.out
}

/// Index of sample (i, j, k) of a block, S³ samples.
fn sample_index(i: usize, j: usize, k: usize) -> usize {
    (k * S + j) * S + i
}

/// Offsets of the 8 corners of a cell: corner c is (c & 1, c >> 1 & 1, c >> 2 & 1).
fn corner_offsets() -> [[usize; 3]; 8] {
    std::array::from_fn(|c| [c & 1, (c >> 1) & 1, (c >> 2) & 1])
}

/// The signed distances at the samples of a block, and per brick the struts that can reach
/// it (brick `b`'s are `brick_struts[brick_start[b]..brick_start[b + 1]]`).
struct BlockSamples {
    values: Vec<f64>,
    brick_start: [u32; BRICKS * BRICKS * BRICKS + 1],
    brick_struts: Vec<u32>,
}

/// Samples the block at `base` (grid vertex of its low corner); `None` if no sample is
/// inside or none outside (no surface).
///
/// Bricks of BRICK³ cells, each with the struts that can reach it (a subset of the
/// block's). A strut P with P(x) ≤ √3·h at some x in the brick has
/// P(centre) ≤ √3·h + brick half-diagonal ≤ reach, so every value that can enter an
/// interpolation (|d| ≤ √3·h: the sample has a neighbour of the other sign) is the exact
/// minimum over all struts. Samples of bricks no strut reaches, or that lie deep inside
/// one strut, get ±FAR: their true |d| exceeds 2h > √3·h, so they never enter one.
fn sample_block(
    grid: &Grid,
    cones: &[RoundCone],
    block: &ActiveBlock,
    base: [usize; 3],
) -> Option<BlockSamples> {
    let h = grid.h;
    let brick_half_diag = 0.5 * (BRICK as f64) * h * 3f64.sqrt();
    let reach = brick_half_diag + 2.0 * h;
    let mut s = BlockSamples {
        values: vec![f64::NAN; S * S * S],
        brick_start: [0u32; BRICKS * BRICKS * BRICKS + 1],
        brick_struts: Vec::with_capacity(block.struts.len() * 8),
    };
    let mut any_in = false;
    let mut any_out = false;
    for bk in 0..BRICKS {
        for bj in 0..BRICKS {
            for bi in 0..BRICKS {
                let b = (bk * BRICKS + bj) * BRICKS + bi;
                s.brick_start[b] = s.brick_struts.len() as u32;
                let half = BRICK as f64 * 0.5;
                let c = Point3::new(
                    grid.origin.x + h * ((base[0] + bi * BRICK) as f64 + half),
                    grid.origin.y + h * ((base[1] + bj * BRICK) as f64 + half),
                    grid.origin.z + h * ((base[2] + bk * BRICK) as f64 + half),
                );
                let mut deep_inside = false;
                for &st in &block.struts {
                    let d = cones[st as usize].distance(&c);
                    if d < -reach {
                        deep_inside = true;
                    }
                    if d <= reach {
                        s.brick_struts.push(st);
                    }
                }
                let list = &s.brick_struts[s.brick_start[b] as usize..];
                let (bin, bout) = sample_brick(
                    grid,
                    cones,
                    base,
                    [bi, bj, bk],
                    list,
                    deep_inside,
                    &mut s.values,
                );
                any_in |= bin;
                any_out |= bout;
            }
        }
    }
    s.brick_start[BRICKS * BRICKS * BRICKS] = s.brick_struts.len() as u32;
    (any_in && any_out).then_some(s)
}

/// Fills the samples of brick `brick` not yet set (those shared with an earlier brick are
/// kept): −FAR if `deep_inside`, FAR if `list` is empty, else the minimum distance over the
/// struts of `list`. Returns whether any sample it set is inside, and any outside.
fn sample_brick(
    grid: &Grid,
    cones: &[RoundCone],
    base: [usize; 3],
    [bi, bj, bk]: [usize; 3],
    list: &[u32],
    deep_inside: bool,
    values: &mut [f64],
) -> (bool, bool) {
    let mut any_in = false;
    let mut any_out = false;
    for k in bk * BRICK..=(bk + 1) * BRICK {
        for j in bj * BRICK..=(bj + 1) * BRICK {
            for i in bi * BRICK..=(bi + 1) * BRICK {
                let slot = &mut values[sample_index(i, j, k)];
                if !slot.is_nan() {
                    continue;
                }
                let d = if deep_inside {
                    -FAR
                } else if list.is_empty() {
                    FAR
                } else {
                    let p = grid.point(base[0] + i, base[1] + j, base[2] + k);
                    list.iter()
                        .map(|&s| cones[s as usize].distance(&p))
                        .fold(f64::INFINITY, f64::min)
                };
                any_in |= d < 0.0;
                any_out |= d >= 0.0;
                *slot = d;
            }
        }
    }
    (any_in, any_out)
}

/// Contouring state of one block: its samples, the local vertex id per (sample, direction)
/// and the surface so far.
struct BlockContour<'a> {
    grid: &'a Grid,
    cones: &'a [RoundCone],
    base: [usize; 3],
    samples: &'a BlockSamples,
    corner_off: [[usize; 3]; 8],
    vid: Vec<u32>,
    out: BlockSurface,
}

impl BlockContour<'_> {
    /// Contours cell `[i, j, k]` of the block: its six Kuhn tetrahedra, in order.
    fn cell(&mut self, tables: &Tables, [i, j, k]: [usize; 3]) {
        let mut v = [0.0f64; 8];
        let mut mask = 0u8;
        for (c, o) in self.corner_off.iter().enumerate() {
            v[c] = self.samples.values[sample_index(i + o[0], j + o[1], k + o[2])];
            if v[c] < 0.0 {
                mask |= 1 << c;
            }
        }
        if mask == 0 || mask == 0xff {
            return;
        }
        for tet in &tables.tets {
            let mut m = 0usize;
            for (l, &c) in tet.iter().enumerate() {
                if mask >> c & 1 == 1 {
                    m |= 1 << l;
                }
            }
            let (tris, n) = &tables.cases[m];
            for tri in &tris[..*n as usize] {
                let mut t = [0u32; 3];
                for (slot, &(x, y)) in tri.iter().enumerate() {
                    let (cx, cy) = (tet[x as usize], tet[y as usize]);
                    // Kuhn edges join comparable corners: order low → high.
                    let (lo, hi) = if cx & cy == cx { (cx, cy) } else { (cy, cx) };
                    t[slot] = self.vertex([i, j, k], &v, lo, hi);
                }
                self.out.triangles.push(t);
            }
        }
    }

    /// The local id of the surface vertex on the edge from corner `lo` to corner `hi` of
    /// cell `[i, j, k]` (corner values `v`), created on first use: the root of the exact
    /// distance along the edge, clamped away from its ends.
    fn vertex(&mut self, [i, j, k]: [usize; 3], v: &[f64; 8], lo: usize, hi: usize) -> u32 {
        let (grid, base, corner_off) = (self.grid, self.base, self.corner_off);
        let dir = hi ^ lo;
        let ol = corner_off[lo];
        let local = (sample_index(i + ol[0], j + ol[1], k + ol[2]) * 8 + dir) as u32;
        let slot_id = &mut self.vid[local as usize];
        if *slot_id == u32::MAX {
            *slot_id = self.out.keys.len() as u32;
            let g = [
                base[0] + i + ol[0],
                base[1] + j + ol[1],
                base[2] + k + ol[2],
            ];
            let oh = corner_off[hi];
            let gh = [
                base[0] + i + oh[0],
                base[1] + j + oh[1],
                base[2] + k + oh[2],
            ];
            let (pl, ph) = (
                grid.point(g[0], g[1], g[2]),
                grid.point(gh[0], gh[1], gh[2]),
            );
            let (vl, vh) = (v[lo], v[hi]);
            let b = ((k / BRICK) * BRICKS + j / BRICK) * BRICKS + i / BRICK;
            let samples = self.samples;
            let list = &samples.brick_struts
                [samples.brick_start[b] as usize..samples.brick_start[b + 1] as usize];
            let cones = self.cones;
            let f = |t: f64| {
                let q = pl + (ph - pl) * t;
                list.iter()
                    .map(|&s| cones[s as usize].distance(&q))
                    .fold(f64::INFINITY, f64::min)
            };
            let s = if vl < 0.0 {
                edge_root(f, vl, vh, ROOT_TOL * grid.h)
            } else {
                1.0 - edge_root(|t| f(1.0 - t), vh, vl, ROOT_TOL * grid.h)
            };
            let s = s.clamp(T_EPS, 1.0 - T_EPS);
            self.out.keys.push(edge_key(g, dir));
            self.out.positions.push(pl + (ph - pl) * s);
        }
        *slot_id
    }
}

/// Root of `f` on [0, 1] with `f(0) = f0 < 0 ≤ f(1) = f1`: Illinois-modified regula falsi,
/// at most [`ROOT_ITERATIONS`] steps from the linear-interpolation guess, stopping when
/// `|f| ≤ tol`. Moves surface vertices onto the exact surface while keeping them on their
/// grid edge.
fn edge_root(f: impl Fn(f64) -> f64, f0: f64, f1: f64, tol: f64) -> f64 {
    let (mut a, mut fa, mut b, mut fb) = (0.0, f0, 1.0, f1);
    let mut side = 0i8;
    let mut t = a - fa * (b - a) / (fb - fa);
    for _ in 0..ROOT_ITERATIONS {
        let ft = f(t);
        if ft < 0.0 {
            a = t;
            fa = ft;
            if side == -1 {
                fb *= 0.5;
            }
            side = -1;
        } else {
            b = t;
            fb = ft;
            if side == 1 {
                fa *= 0.5;
            }
            side = 1;
        }
        if ft.abs() <= tol {
            return t;
        }
        t = a - fa * (b - a) / (fb - fa);
    }
    t
}

/// Lower grid vertex of an edge key.
fn key_vertex(key: u64) -> [usize; 3] {
    let mask = (1u64 << AXIS_BITS) - 1;
    [
        ((key >> (2 * AXIS_BITS + 3)) & mask) as usize,
        ((key >> (AXIS_BITS + 3)) & mask) as usize,
        ((key >> 3) & mask) as usize,
    ]
}

/// Merges block surfaces with exact welding, without a global sort.
///
/// Each surface vertex is *owned* by the block whose half-open cell range contains the lower
/// end of its grid edge. That block always produces it: the edge lies in the block's closed
/// box, and a block whose box holds a sign change is active and contoured. Vertex order:
/// blocks in key order, then edge key within the block (deterministic). Shared vertices
/// found in other blocks are looked up in their owner by binary search.
pub(crate) fn merge(
    blocks: &[ActiveBlock],
    surfaces: Vec<BlockSurface>,
) -> (Vec<Point3<f64>>, Vec<[u32; 3]>) {
    let block_keys: Vec<u64> = blocks.iter().map(|b| block_key(b.coord)).collect();
    let owned: Vec<Vec<(u64, u32)>> = blocks
        .par_iter()
        .zip(surfaces.par_iter())
        .map(|(b, s)| {
            let lo = b.coord.map(|c| c * BLOCK);
            let mut v: Vec<(u64, u32)> = s
                .keys
                .iter()
                .enumerate()
                .filter(|(_, k)| {
                    let g = key_vertex(**k);
                    (0..3).all(|a| g[a] >= lo[a] && g[a] < lo[a] + BLOCK)
                })
                .map(|(l, &k)| (k, l as u32))
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    let mut offsets = Vec::with_capacity(blocks.len() + 1);
    let mut total = 0u32;
    for o in &owned {
        offsets.push(total);
        total += o.len() as u32;
    }
    let global_of = |key: u64| -> u32 {
        let g = key_vertex(key);
        let owner = block_keys
            .binary_search(&block_key(g.map(|c| c / BLOCK)))
            .expect("the owner block of a surface vertex is active");
        let rank = owned[owner]
            .binary_search_by_key(&key, |e| e.0)
            .expect("the owner block produced the shared surface vertex");
        offsets[owner] + rank as u32
    };
    let triangles: Vec<Vec<[u32; 3]>> = surfaces
        .par_iter()
        .map(|s| {
            let map: Vec<u32> = s.keys.iter().map(|&k| global_of(k)).collect();
            s.triangles
                .iter()
                .map(|t| t.map(|l| map[l as usize]))
                .collect()
        })
        .collect();
    let vertices: Vec<Point3<f64>> = owned
        .iter()
        .zip(&surfaces)
        .flat_map(|(o, s)| o.iter().map(|&(_, l)| s.positions[l as usize]))
        .collect();
    (vertices, triangles.concat())
}
