//! Step 3: the scaffold — cell corners on an integer grid, fitted to the lattice field.
//!
//! Corners `X_n` (mm) sit at integer indices `n = (i, j, k)`; cell `n` is the hexahedron of the
//! corners `n + {0,1}³`, and a point with unit-cube coordinates `u ∈ [0,1]³` in it is the
//! trilinear blend `X(u) = Σ_c Π_d (c_d ? u_d : 1 − u_d) X_{n+c}`. Neighbouring cells share
//! their face corners, so their trilinear maps agree on the shared face exactly.
//!
//! **Fit.** The corners minimize `Σ_edges ‖X_{n+e_d} − X_n − a_d(m_e)‖²`, where `a_d(m)` is
//! column `d` of the field `A` ([`DesignField::lattice`]) at the edge midpoint `m_e`. The
//! normal equations are the grid graph Laplacian (the same for x, y and z): they are solved
//! matrix-free by Jacobi-preconditioned conjugate gradients, warm-started, with the gauge
//! fixed by holding corner `(0, 0, 0)` where the anchor (the first control point) sits at the
//! centre of cell `(0, 0, 0)`. Since `A` depends on the midpoints, the fit is repeated until
//! no corner moves more than `tolerance · h` (or `max_iterations`, reported in
//! [`ScaffoldStats`]). With one control point `A` is constant and the scaffold is the exact
//! regular lattice `X_n = X_0 + A n`.
//!
//! **Extent.** The index box starts from the anchor cell's lattice mapped over the domain's
//! bounding box plus one cell, and grows by one layer on every side whose outer cells still
//! touch the (slightly grown) bounding box, until none does (a few fit iterations per growth
//! step, then the full fit, then the coverage is checked again).

use std::collections::BTreeMap;

use nalgebra::{Matrix3, Point3, Vector3};
use serde::{Deserialize, Serialize};

use super::GradingError;
use super::interpolate::DesignField;

/// How the scaffold fit went.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ScaffoldStats {
    /// Corners per axis.
    pub dims: [usize; 3],
    /// Fit iterations (field evaluation + linear solve), summed over extensions.
    pub iterations: usize,
    /// Largest corner move in the last iteration, mm.
    pub last_update: f64,
    /// Whether the last update was below the tolerance.
    pub converged: bool,
    /// Root-mean-square edge mismatch `‖X_{n+e} − X_n − a(m)‖` over all edges divided by `h`
    /// (the least-squares compromise; 0 for a compatible field).
    pub edge_rms_residual: f64,
    /// Largest edge mismatch divided by `h`.
    pub edge_max_residual: f64,
    /// How many times the index box was grown.
    pub extensions: usize,
}

/// Scaffold fit options (a parameter bag; see [`super::GradingOptions`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScaffoldOptions {
    pub max_iterations: usize,
    pub tolerance: f64,
    pub max_corners: usize,
}

/// The fitted scaffold: corner positions (mm) on an integer index box.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scaffold {
    lo: [i64; 3],
    dims: [usize; 3],
    corners: Vec<Point3<f64>>,
    stats: ScaffoldStats,
}

const CORNER_OFFSETS: [[i64; 3]; 8] = [
    [0, 0, 0],
    [1, 0, 0],
    [0, 1, 0],
    [1, 1, 0],
    [0, 0, 1],
    [1, 0, 1],
    [0, 1, 1],
    [1, 1, 1],
];

impl Scaffold {
    /// The index of the lowest corner.
    pub fn lowest_corner(&self) -> [i64; 3] {
        self.lo
    }

    /// Corners per axis.
    pub fn dims(&self) -> [usize; 3] {
        self.dims
    }

    /// The fit statistics.
    pub fn stats(&self) -> &ScaffoldStats {
        &self.stats
    }

    /// Cell indices `c` with `lo ≤ c < hi` (per axis).
    pub fn cell_range(&self) -> ([i64; 3], [i64; 3]) {
        (
            self.lo,
            std::array::from_fn(|i| self.lo[i] + self.dims[i] as i64 - 1),
        )
    }

    fn flat(&self, n: [i64; 3]) -> Option<usize> {
        let mut idx = 0usize;
        for i in (0..3).rev() {
            let k = n[i] - self.lo[i];
            if k < 0 || k >= self.dims[i] as i64 {
                return None;
            }
            idx = idx * self.dims[i] + k as usize;
        }
        Some(idx)
    }

    /// The corner at index `n` (mm), if inside the index box.
    pub fn corner(&self, n: [i64; 3]) -> Option<Point3<f64>> {
        self.flat(n).map(|i| self.corners[i])
    }

    /// Whether cell `c` exists.
    pub fn has_cell(&self, c: [i64; 3]) -> bool {
        let (lo, hi) = self.cell_range();
        (0..3).all(|i| c[i] >= lo[i] && c[i] < hi[i])
    }

    /// The 8 corners of cell `c` in the order `x` fastest (`(0,0,0), (1,0,0), (0,1,0), …`).
    ///
    /// # Panics
    /// If the cell does not exist.
    #[track_caller]
    pub fn cell_corners(&self, c: [i64; 3]) -> [Point3<f64>; 8] {
        assert!(self.has_cell(c), "cell {c:?} is outside the scaffold");
        CORNER_OFFSETS.map(|o| {
            self.corner([c[0] + o[0], c[1] + o[1], c[2] + o[2]])
                .expect("corner of an existing cell")
        })
    }

    /// The trilinear map of cell `c` at unit-cube coordinates `u` (mm).
    ///
    /// # Panics
    /// If the cell does not exist.
    #[track_caller]
    pub fn map(&self, c: [i64; 3], u: [f64; 3]) -> Point3<f64> {
        trilinear(&self.cell_corners(c), u)
    }

    /// The mean edge vectors of cell `c` along the three index axes, as columns (mm): the
    /// lattice vectors of the parallelepiped closest to the cell.
    pub fn mean_edges(&self, c: [i64; 3]) -> Matrix3<f64> {
        let x = self.cell_corners(c);
        let e = |pairs: [(usize, usize); 4]| -> Vector3<f64> {
            pairs
                .iter()
                .map(|&(a, b)| x[b] - x[a])
                .sum::<Vector3<f64>>()
                / 4.0
        };
        Matrix3::from_columns(&[
            e([(0, 1), (2, 3), (4, 5), (6, 7)]),
            e([(0, 2), (1, 3), (4, 6), (5, 7)]),
            e([(0, 4), (1, 5), (2, 6), (3, 7)]),
        ])
    }

    /// The cell containing `x` (mm) and the unit-cube coordinates of `x` in it (Newton
    /// inversion of the trilinear map, walking to neighbouring cells), or `None` if `x` is
    /// outside the scaffold.
    pub fn locate(&self, x: [f64; 3]) -> Option<([i64; 3], [f64; 3])> {
        let xp = Point3::from(x);
        let (lo, hi) = self.cell_range();
        let mut best: Option<(f64, [i64; 3])> = None;
        for k in lo[2]..hi[2] {
            for j in lo[1]..hi[1] {
                for i in lo[0]..hi[0] {
                    let c = [i, j, k];
                    let centre = self.map(c, [0.5; 3]);
                    let d = (centre - xp).norm_squared();
                    if best.is_none_or(|(bd, _)| d < bd) {
                        best = Some((d, c));
                    }
                }
            }
        }
        let mut c = best?.1;
        for _ in 0..32 {
            let corners = self.cell_corners(c);
            let mut u = Vector3::from_element(0.5);
            for _ in 0..30 {
                let p = trilinear(&corners, u.into());
                let j = trilinear_jacobian(&corners, u.into());
                let step = j.try_inverse()? * (xp - p);
                u += step;
                if step.norm() < 1e-14 {
                    break;
                }
            }
            let eps = 1e-9;
            let mut next = c;
            for i in 0..3 {
                if u[i] < -eps {
                    next[i] -= 1;
                } else if u[i] > 1.0 + eps {
                    next[i] += 1;
                }
            }
            if next == c {
                return Some((c, u.map(|v| v.clamp(0.0, 1.0)).into()));
            }
            if !self.has_cell(next) {
                return None;
            }
            c = next;
        }
        None
    }
}

/// The trilinear blend of 8 corners (order of [`Scaffold::cell_corners`]).
pub(crate) fn trilinear(x: &[Point3<f64>; 8], u: [f64; 3]) -> Point3<f64> {
    let mut p = Vector3::zeros();
    for (k, o) in CORNER_OFFSETS.iter().enumerate() {
        let w: f64 = (0..3)
            .map(|d| if o[d] == 1 { u[d] } else { 1.0 - u[d] })
            .product();
        p += x[k].coords * w;
    }
    Point3::from(p)
}

fn trilinear_jacobian(x: &[Point3<f64>; 8], u: [f64; 3]) -> Matrix3<f64> {
    let mut j = Matrix3::zeros();
    for (k, o) in CORNER_OFFSETS.iter().enumerate() {
        for d in 0..3 {
            let mut w = if o[d] == 1 { 1.0 } else { -1.0 };
            for e in (0..3).filter(|&e| e != d) {
                w *= if o[e] == 1 { u[e] } else { 1.0 - u[e] };
            }
            let col = x[k].coords * w;
            for r in 0..3 {
                j[(r, d)] += col[r];
            }
        }
    }
    j
}

/// The anchor cell's frame: its lattice `a0` (mm, columns the cell edges) and its origin
/// corner `x0` (mm).
struct AnchorFrame {
    a0: Matrix3<f64>,
    x0: Point3<f64>,
}

impl AnchorFrame {
    /// The corner index range (one layer beyond the box, always holding the anchor cell) that
    /// the undistorted anchor lattice needs to cover the box `[bmin, bmax]` (mm).
    fn extent(&self, bmin: [f64; 3], bmax: [f64; 3]) -> ([i64; 3], [i64; 3]) {
        let inv = self
            .a0
            .try_inverse()
            .expect("a checked lattice is invertible");
        let mut fmin = [f64::INFINITY; 3];
        let mut fmax = [f64::NEG_INFINITY; 3];
        for c in 0..8 {
            let p = Vector3::new(
                if c & 1 == 0 { bmin[0] } else { bmax[0] },
                if c & 2 == 0 { bmin[1] } else { bmax[1] },
                if c & 4 == 0 { bmin[2] } else { bmax[2] },
            );
            let f = inv * (p - self.x0.coords);
            for i in 0..3 {
                fmin[i] = fmin[i].min(f[i]);
                fmax[i] = fmax[i].max(f[i]);
            }
        }
        let lo: [i64; 3] =
            std::array::from_fn(|i| (fmin[i].floor() as i64).saturating_sub(1).min(0));
        let hi: [i64; 3] =
            std::array::from_fn(|i| (fmax[i].ceil() as i64).saturating_add(1).max(1));
        (lo, hi)
    }

    /// The corner `n` of the undistorted anchor lattice, mm.
    fn corner(&self, n: [i64; 3]) -> Point3<f64> {
        self.x0 + self.a0 * Vector3::new(n[0] as f64, n[1] as f64, n[2] as f64)
    }
}

/// The corner counts per axis of the index range `lo..=hi`, refused when the corners would
/// exceed `max_corners` (`h`, mm, named in the error).
fn checked_dims(
    lo: [i64; 3],
    hi: [i64; 3],
    max_corners: usize,
    h: f64,
) -> Result<[usize; 3], GradingError> {
    // Counted in f64 first: a huge box saturates the indices and must not wrap.
    let count_f: f64 = (0..3).map(|i| hi[i] as f64 - lo[i] as f64 + 1.0).product();
    if count_f.is_nan() || count_f > max_corners as f64 {
        return Err(GradingError::ScaffoldTooLarge {
            corners: if count_f < usize::MAX as f64 {
                count_f as usize
            } else {
                usize::MAX
            },
            limit: max_corners,
            cell_size: h,
        });
    }
    let dims: [usize; 3] = std::array::from_fn(|i| (hi[i] - lo[i] + 1) as usize);
    let count = dims.iter().product::<usize>();
    if count > max_corners {
        return Err(GradingError::ScaffoldTooLarge {
            corners: count,
            limit: max_corners,
            cell_size: h,
        });
    }
    Ok(dims)
}

/// The scaffold `old` re-initialized on the corner range from `lo` with `dims` corners per
/// axis: pinned corners at their pins, old corners kept, new ones extrapolated from the
/// nearest old corner (or from the anchor lattice when there are none yet).
fn reinitialized(
    old: Scaffold,
    (lo, dims): ([i64; 3], [usize; 3]),
    anchor: &AnchorFrame,
    field: &DesignField,
    pins: &BTreeMap<[i64; 3], Point3<f64>>,
) -> Result<Scaffold, GradingError> {
    let mut corners = Vec::with_capacity(dims.iter().product::<usize>());
    for k in 0..dims[2] {
        for j in 0..dims[1] {
            for i in 0..dims[0] {
                let n = [lo[0] + i as i64, lo[1] + j as i64, lo[2] + k as i64];
                let p = if let Some(p) = pins.get(&n) {
                    *p
                } else if old.corners.is_empty() {
                    anchor.corner(n)
                } else if let Some(p) = old.corner(n) {
                    p
                } else {
                    let (olo, ohi) = (old.lo, old.cell_range().1);
                    let m: [i64; 3] = std::array::from_fn(|d| n[d].clamp(olo[d], ohi[d]));
                    let pm = old.corner(m).expect("clamped into the old box");
                    let am = field.lattice(pm.into())?;
                    pm + am
                        * Vector3::new(
                            (n[0] - m[0]) as f64,
                            (n[1] - m[1]) as f64,
                            (n[2] - m[2]) as f64,
                        )
                };
                corners.push(p);
            }
        }
    }
    let mut s = Scaffold {
        lo,
        dims,
        corners,
        stats: old.stats,
    };
    s.stats.dims = dims;
    Ok(s)
}

/// Grows the index range `lo..=hi` by one layer on every side whose outer cell layer still
/// touches the box `gmin..gmax` (mm); whether it grew.
fn grow_where_touching(
    s: &Scaffold,
    (lo, hi): (&mut [i64; 3], &mut [i64; 3]),
    gmin: [f64; 3],
    gmax: [f64; 3],
) -> bool {
    let (clo, chi) = s.cell_range();
    let mut grew = false;
    for d in 0..3 {
        for (side, layer) in [(0, clo[d]), (1, chi[d] - 1)] {
            if layer_touches(s, d, layer, gmin, gmax) {
                if side == 0 {
                    lo[d] -= 1;
                } else {
                    hi[d] += 1;
                }
                grew = true;
            }
        }
    }
    grew
}

/// Fits the scaffold over the box `[bmin, bmax]` (mm) with the anchor cell `(0,0,0)` centred
/// at `anchor` (mm). `h` (mm) scales the tolerances.
pub(crate) fn build_scaffold(
    field: &DesignField,
    anchor: [f64; 3],
    h: f64,
    (bmin, bmax): ([f64; 3], [f64; 3]),
    options: &ScaffoldOptions,
    pins: &BTreeMap<[i64; 3], Point3<f64>>,
) -> Result<Scaffold, GradingError> {
    let a0 = field.lattice(anchor)?;
    let frame = AnchorFrame {
        a0,
        x0: Point3::from(anchor) - a0 * Vector3::from_element(0.5),
    };
    let (mut lo, mut hi) = frame.extent(bmin, bmax);
    let mut s = Scaffold {
        lo,
        dims: [0; 3],
        corners: Vec::new(),
        stats: ScaffoldStats::default(),
    };
    let grow = 4.0 * crate::network::BOUNDARY_TOLERANCE;
    let (gmin, gmax) = (bmin.map(|v| v - grow), bmax.map(|v| v + grow));
    let mut settled = false;
    loop {
        let dims = checked_dims(lo, hi, options.max_corners, h)?;
        s = reinitialized(std::mem::take(&mut s), (lo, dims), &frame, field, pins)?;
        // While the extent is not settled a few iterations suffice to see where to grow.
        let iterations = if settled {
            options.max_iterations
        } else {
            options.max_iterations.min(4)
        };
        fit(&mut s, field, h, iterations, options.tolerance, pins)?;
        if grow_where_touching(&s, (&mut lo, &mut hi), gmin, gmax) {
            s.stats.extensions += 1;
            settled = false;
            continue;
        }
        if settled || s.stats.converged {
            break;
        }
        settled = true;
    }
    check_cells(&s, field, gmin, gmax)?;
    Ok(s)
}

fn layer_touches(s: &Scaffold, axis: usize, layer: i64, gmin: [f64; 3], gmax: [f64; 3]) -> bool {
    let (clo, chi) = s.cell_range();
    let (a, b) = ((axis + 1) % 3, (axis + 2) % 3);
    for i in clo[a]..chi[a] {
        for j in clo[b]..chi[b] {
            let mut c = [0i64; 3];
            c[axis] = layer;
            c[a] = i;
            c[b] = j;
            if reaches(&s.cell_corners(c), gmin, gmax) {
                return true;
            }
        }
    }
    false
}

/// Whether the bounding box of a cell's corners overlaps the box `[gmin, gmax]`.
fn reaches(x: &[Point3<f64>; 8], gmin: [f64; 3], gmax: [f64; 3]) -> bool {
    (0..3).all(|d| {
        let lo = x.iter().map(|p| p[d]).fold(f64::INFINITY, f64::min);
        let hi = x.iter().map(|p| p[d]).fold(f64::NEG_INFINITY, f64::max);
        hi >= gmin[d] && lo <= gmax[d]
    })
}

/// Every cell that reaches into the box `[gmin, gmax]` (the domain's bounding box, where
/// struts are made) must have a positive Jacobian at its 8 corners; cells of the outer padding
/// carry no struts and may fold.
fn check_cells(
    s: &Scaffold,
    field: &DesignField,
    gmin: [f64; 3],
    gmax: [f64; 3],
) -> Result<(), GradingError> {
    let (lo, hi) = s.cell_range();
    for k in lo[2]..hi[2] {
        for j in lo[1]..hi[1] {
            for i in lo[0]..hi[0] {
                let c = [i, j, k];
                let x = s.cell_corners(c);
                if !reaches(&x, gmin, gmax) {
                    continue;
                }
                for o in CORNER_OFFSETS {
                    let u = o.map(|v| v as f64);
                    let det = trilinear_jacobian(&x, u).determinant();
                    if det.is_nan() || det <= 0.0 {
                        let at = trilinear(&x, u);
                        return Err(GradingError::InvertedCell {
                            cell: c,
                            position: at.into(),
                            jacobian: det,
                            points: field
                                .weights(at.into())
                                .iter()
                                .map(|&(p, _)| field.ids()[p].clone())
                                .collect(),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

/// The corner grid of a scaffold: `dims` corners per axis, stored x fastest.
struct CornerGrid {
    dims: [usize; 3],
    stride: [usize; 3],
    /// Number of grid neighbours of each corner (the Laplacian's diagonal).
    degree: Vec<f64>,
}

impl CornerGrid {
    fn new(dims: [usize; 3]) -> CornerGrid {
        let mut grid = CornerGrid {
            dims,
            stride: [1, dims[0], dims[0] * dims[1]],
            degree: Vec::new(),
        };
        grid.degree = (0..dims.iter().product::<usize>())
            .map(|f| {
                let c = grid.coords(f);
                (0..3)
                    .map(|d| usize::from(c[d] > 0) + usize::from(c[d] + 1 < dims[d]))
                    .sum::<usize>() as f64
            })
            .collect();
        grid
    }

    /// The grid coordinates of the flat index `f`.
    fn coords(&self, f: usize) -> [usize; 3] {
        let dims = self.dims;
        [
            f % dims[0],
            (f / dims[0]) % dims[1],
            f / (dims[0] * dims[1]),
        ]
    }

    /// Whether corner `f` (coordinates `c`) has a neighbour along `+d`.
    fn has_next(&self, c: [usize; 3], d: usize) -> bool {
        c[d] + 1 < self.dims[d]
    }

    /// `out = L x` with the grid Laplacian `L`.
    fn apply(&self, x: &[f64], out: &mut [f64]) {
        for f in 0..x.len() {
            let c = self.coords(f);
            let mut v = self.degree[f] * x[f];
            for d in 0..3 {
                if c[d] > 0 {
                    v -= x[f - self.stride[d]];
                }
                if self.has_next(c, d) {
                    v -= x[f + self.stride[d]];
                }
            }
            out[f] = v;
        }
    }
}

/// The corners held in the fit: the anchor corner and the pinned ones.
fn fixed_corners(s: &Scaffold, pins: &BTreeMap<[i64; 3], Point3<f64>>) -> Vec<bool> {
    let mut fixed = vec![false; s.corners.len()];
    fixed[s.flat([0, 0, 0]).expect("the anchor corner is in the box")] = true;
    for m in pins.keys() {
        if let Some(f) = s.flat(*m) {
            fixed[f] = true;
        }
    }
    fixed
}

/// The field's lattice edges at the current edge midpoints: `targets[f][d]` for the edge from
/// corner `f` along `+d` (mm).
fn edge_targets(
    s: &Scaffold,
    grid: &CornerGrid,
    field: &DesignField,
    targets: &mut [[Vector3<f64>; 3]],
) -> Result<(), GradingError> {
    for (f, target) in targets.iter_mut().enumerate() {
        let c = grid.coords(f);
        for (d, edge) in target.iter_mut().enumerate() {
            if grid.has_next(c, d) {
                let m = Point3::from(
                    (s.corners[f].coords + s.corners[f + grid.stride[d]].coords) * 0.5,
                );
                *edge = field.lattice(m.into())?.column(d).into_owned();
            }
        }
    }
    Ok(())
}

/// One Laplacian solve per axis for the corners whose edges best match `targets`; returns the
/// new corners and the largest coordinate change (mm).
fn solve_corners(
    s: &Scaffold,
    grid: &CornerGrid,
    targets: &[[Vector3<f64>; 3]],
    fixed: &[bool],
    h: f64,
) -> (Vec<Point3<f64>>, f64) {
    let n = s.corners.len();
    let apply = |x: &[f64], out: &mut [f64]| grid.apply(x, out);
    let mut update = 0.0f64;
    let mut new = s.corners.clone();
    for axis in 0..3 {
        let mut b = vec![0.0; n];
        for f in 0..n {
            let c = grid.coords(f);
            for d in 0..3 {
                if grid.has_next(c, d) {
                    let t = targets[f][d][axis];
                    b[f] -= t;
                    b[f + grid.stride[d]] += t;
                }
            }
        }
        let mut x: Vec<f64> = s.corners.iter().map(|p| p[axis]).collect();
        conjugate_gradient(&apply, &grid.degree, &b, &mut x, fixed, 1e-13 * h);
        for f in 0..n {
            update = update.max((x[f] - s.corners[f][axis]).abs());
            new[f][axis] = x[f];
        }
    }
    (new, update)
}

/// Records the residual of the corners against the targets at the final midpoints (relative
/// to `h`) in the scaffold's stats.
fn record_residual(
    s: &mut Scaffold,
    grid: &CornerGrid,
    field: &DesignField,
    h: f64,
) -> Result<(), GradingError> {
    let (mut sum, mut max, mut count) = (0.0f64, 0.0f64, 0usize);
    for f in 0..s.corners.len() {
        let c = grid.coords(f);
        for d in 0..3 {
            if grid.has_next(c, d) {
                let (p, q) = (s.corners[f], s.corners[f + grid.stride[d]]);
                let m = Point3::from((p.coords + q.coords) * 0.5);
                let t = field.lattice(m.into())?.column(d).into_owned();
                let r = ((q - p) - t).norm() / h;
                sum += r * r;
                max = max.max(r);
                count += 1;
            }
        }
    }
    s.stats.edge_rms_residual = (sum / count.max(1) as f64).sqrt();
    s.stats.edge_max_residual = max;
    Ok(())
}

/// Repeats (edge targets at the midpoints → Laplacian solve) until the corners settle.
fn fit(
    s: &mut Scaffold,
    field: &DesignField,
    h: f64,
    max_iterations: usize,
    tolerance: f64,
    pins: &BTreeMap<[i64; 3], Point3<f64>>,
) -> Result<(), GradingError> {
    let grid = CornerGrid::new(s.dims);
    let fixed = fixed_corners(s, pins);
    let mut targets = vec![[Vector3::zeros(); 3]; s.corners.len()];
    for _ in 0..max_iterations {
        s.stats.iterations += 1;
        edge_targets(s, &grid, field, &mut targets)?;
        let (new, update) = solve_corners(s, &grid, &targets, &fixed, h);
        s.corners = new;
        s.stats.last_update = update;
        if !update.is_finite() {
            return Err(GradingError::ScaffoldDiverged {
                iteration: s.stats.iterations,
                update,
            });
        }
        if update <= tolerance * h {
            s.stats.converged = true;
            break;
        }
        s.stats.converged = false;
    }
    record_residual(s, &grid, field, h)
}

/// Jacobi-preconditioned CG for the Laplacian with the `fixed` entries of `x` held.
fn conjugate_gradient(
    apply: &impl Fn(&[f64], &mut [f64]),
    diag: &[f64],
    b: &[f64],
    x: &mut [f64],
    fixed: &[bool],
    tol: f64,
) {
    let n = b.len();
    let mut ax = vec![0.0; n];
    apply(x, &mut ax);
    let hold = |v: &mut [f64]| {
        for (vi, &f) in v.iter_mut().zip(fixed) {
            if f {
                *vi = 0.0;
            }
        }
    };
    let mut r: Vec<f64> = (0..n).map(|i| b[i] - ax[i]).collect();
    hold(&mut r);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut z: Vec<f64> = (0..n).map(|i| r[i] / diag[i].max(1.0)).collect();
    let mut p = z.clone();
    let mut rz = dot(&r, &z);
    let mut ap = vec![0.0; n];
    for _ in 0..(20 * n + 100) {
        if dot(&r, &r).sqrt() <= tol * (n as f64).sqrt() {
            break;
        }
        apply(&p, &mut ap);
        hold(&mut ap);
        let pap = dot(&p, &ap);
        if pap <= 0.0 {
            break;
        }
        let alpha = rz / pap;
        for i in 0..n {
            x[i] += alpha * p[i];
            r[i] -= alpha * ap[i];
        }
        for i in 0..n {
            z[i] = r[i] / diag[i].max(1.0);
        }
        let rz_new = dot(&r, &z);
        let beta = rz_new / rz;
        rz = rz_new;
        for i in 0..n {
            p[i] = z[i] + beta * p[i];
        }
        hold(&mut p);
    }
}
