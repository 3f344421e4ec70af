//! Edge-collapse decimation of a mesher output, with hard safety checks on every collapse.
//!
//! # Algorithm
//! Quadric error metric (Garland & Heckbert 1997, doi:10.1145/258734.258849): each vertex
//! carries the area-weighted sum of the plane quadrics of its triangles; an edge's cost is
//! the quadric error of its merged vertex. The merged vertex minimises the summed quadric
//! (slightly regularised towards the edge midpoint, so flat and cylindrical regions stay
//! well posed) **subject to preserving the enclosed volume exactly** (the volume change of
//! the fan is linear in the new position; Lindstrom & Turk 1998,
//! doi:10.1109/VISUAL.1998.745314). Edges are processed cheapest first from a binary heap
//! whose ties are broken by vertex indices; stale entries are detected by per-vertex
//! version stamps. When the heap runs dry, all edges are queued again (at most
//! [`PASSES`] rounds), so collapses refused earlier get another chance once their
//! neighbourhood has changed.
//!
//! # Checks on every collapse (a collapse failing any of them is refused)
//! 1. **Link condition**: the two endpoints share exactly the two opposite vertices as
//!    neighbours, and both opposite vertices keep at least three neighbours (no 3-edge
//!    tetrahedral fan is collapsed into a doubled triangle). This keeps the mesh a closed
//!    2-manifold with unchanged topology (an edge lies in one shell, so shells are never
//!    merged or split).
//! 2. **No normal flips**: every surviving triangle of the fan keeps `n_old · n_new ≥`
//!    [`SimplifySettings::min_normal_cos`].
//! 3. **No slivers**: every new triangle has quality `4√3·A / Σℓ² ≥ min(`
//!    [`SimplifySettings::min_quality`]`, worst quality it replaces)` and a positive area.
//! 4. **Tolerance against the exact solid** (signed distance `d` of the strut union, the
//!    same round-cone distance the mesher samples): `|d| ≤ tol` at the new vertex, at the
//!    midpoints of its new edges and at the centroids of its new triangles; and for each new
//!    triangle the rigorous outward bound `min_i max_corner d_i ≤ tol` (each strut's
//!    distance is convex, so no point of the triangle lies further than that outside the
//!    solid).
//! 5. **No self-intersections**: every new triangle is tested against every triangle
//!    whose bounding box comes near it (a uniform hash grid of triangle boxes, updated on
//!    every collapse) with a conservative test: triangles without a shared vertex must stay
//!    `ε` apart and not cross; triangles sharing one vertex must have their non-incident
//!    parts `ε` apart; triangles sharing an edge must not fold onto each other (dihedral
//!    opening above ~1°). `ε = 10⁻³ ×` the mean input edge length. The input is
//!    self-intersection free (mesher guarantee), and each collapse keeps the new triangles
//!    away from all others, so the output is too, by induction.
//!
//! # Guarantees
//! Given a closed, 2-manifold, outward-oriented, self-intersection-free input (what
//! [`mesh_network`](super::mesh_network) produces), the output has the same properties and the
//! same Euler characteristic and shell count, and exactly the same enclosed volume up to
//! rounding. Deterministic: sequential, no hash-order dependence, so the output depends
//! only on the input, never on the thread count. An input that fails
//! [`check_topology`] is returned unchanged.
//!
//! # Non-guarantees
//! The tolerance is checked at the sample points above, not on every point of a triangle
//! (inwards, a flat triangle can dip below the surface between samples by its chord
//! error). Inside the solid the strut-union distance `min_i d_i` underestimates the depth
//! at concave creases (where struts meet), so vertices there may sit up to
//! `tol / sin(half the crease opening)` deep.

// Checks are written `!(x <= limit)` on purpose: a NaN must fail them.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use nalgebra::{Matrix3, Point3, Vector3};

use super::sdf::RoundCone;
use super::{TriMesh, check_topology};
use crate::network::StrutNetwork;

/// How many times the edge queue is rebuilt when it runs dry.
pub const PASSES: usize = 3;

/// Decimation settings. Build with `..Default::default()`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimplifySettings {
    /// Largest allowed distance of the decimated surface (checked at vertices, new edge
    /// midpoints and triangle centroids) from the exact solid, as a fraction of the
    /// smallest strut radius (dimensionless). Default 0.05.
    pub tolerance: f64,
    /// Smallest allowed cosine between a triangle's normal before and after a collapse.
    /// Default 0.2 (≈ 78°).
    pub min_normal_cos: f64,
    /// Quality floor `4√3·A / Σℓ²` (1 for equilateral, ≈ √3·angle for thin isosceles
    /// triangles) for new triangles; a collapse may still produce a triangle of lower
    /// quality if it is no worse than the worst triangle it replaces. Default 0.2
    /// (≈ 7° smallest angle).
    pub min_quality: f64,
}

impl Default for SimplifySettings {
    fn default() -> Self {
        Self {
            tolerance: 0.05,
            min_normal_cos: 0.2,
            min_quality: 0.2,
        }
    }
}

/// Decimates `mesh` (a closed, outward-oriented, self-intersection-free mesh of the solid of
/// `net`, e.g. from [`mesh_network`](super::mesh_network)) by edge collapses that keep it
/// within `settings.tolerance × smallest radius` of the exact solid. See the
/// [module docs](self) for the checks and guarantees.
///
/// The enclosed volume is preserved (each collapse is volume-neutral). Typical reduction:
/// 10–20× at the default resolution.
///
/// # Example
/// ```
/// use nalgebra::Point3;
/// use trussforge::mesh::{
///     MeshMethod, MeshSettings, SimplifySettings, check, mesh_unchecked, simplify,
/// };
/// use trussforge::network::{Strut, StrutNetwork};
/// let net = StrutNetwork::try_new(
///     vec![Point3::origin(), Point3::new(4.0, 0.0, 0.0)],
///     vec![Strut { a: 0, b: 1, radius_a: 0.5, radius_b: 0.5 }],
/// )?;
/// let settings = MeshSettings {
///     simplify: false,
///     method: MeshMethod::Implicit,
///     ..Default::default()
/// };
/// let dense = mesh_unchecked(&net, &settings)?;
/// let coarse = simplify(&dense, &net, &SimplifySettings::default());
/// assert!(coarse.triangles().len() * 5 < dense.triangles().len());
/// assert!(check(&coarse).ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn simplify(mesh: &TriMesh, net: &StrutNetwork, settings: &SimplifySettings) -> TriMesh {
    if !check_topology(mesh).ok() {
        return mesh.clone();
    }
    simplify_checked_input(mesh, net, settings)
}

/// [`simplify`] for an input that already passed [`check_topology`].
pub(crate) fn simplify_checked_input(
    mesh: &TriMesh,
    net: &StrutNetwork,
    settings: &SimplifySettings,
) -> TriMesh {
    let t = settings.tolerance;
    if mesh.triangles().len() < 8 || net.struts().is_empty() || !(t.is_finite() && t > 0.0) {
        return mesh.clone();
    }
    let rmin = net
        .struts()
        .iter()
        .map(|s| s.radius_a.min(s.radius_b))
        .fold(f64::INFINITY, f64::min);
    let tol = settings.tolerance * rmin;
    let mut s = State::new(mesh, net, tol, settings);
    for _ in 0..PASSES {
        let before = s.collapses;
        s.fill_queue();
        s.run();
        if s.collapses == before {
            break;
        }
    }
    s.into_mesh()
}

// ---------------------------------------------------------------------------------------
// Exact distance with a uniform grid of strut lists.

/// The strut-union distance with per-cell strut lists: a strut is listed in a cell when it
/// may come within `margin` of it, so [`ConeGrid::distance`] is exact wherever it is
/// `≤ margin` (and ≥ margin otherwise, possibly +∞).
struct ConeGrid {
    cones: Vec<RoundCone>,
    origin: Point3<f64>,
    cell: f64,
    dims: [usize; 3],
    start: Vec<u32>,
    items: Vec<u32>,
}

impl ConeGrid {
    fn new(net: &StrutNetwork, margin: f64, rmin: f64) -> Self {
        let nodes = net.nodes();
        let cones: Vec<RoundCone> = net
            .struts()
            .iter()
            .map(|s| {
                RoundCone::new(
                    nodes[s.a as usize],
                    nodes[s.b as usize],
                    s.radius_a,
                    s.radius_b,
                )
            })
            .collect();
        let mut lo = Point3::from([f64::INFINITY; 3]);
        let mut hi = Point3::from([f64::NEG_INFINITY; 3]);
        for c in &cones {
            let (a, b) = c.aabb();
            lo = lo.inf(&a);
            hi = hi.sup(&b);
        }
        let pad = Vector3::repeat(2.0 * margin);
        let origin = lo - pad;
        let ext = (hi + pad) - origin;
        let cell = (3.0 * rmin).max(ext.max() / 400.0);
        let dims = [0, 1, 2].map(|k| ((ext[k] / cell).ceil() as usize).max(1));
        let half_diag = 0.5 * 3f64.sqrt() * cell;
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (ci, c) in cones.iter().enumerate() {
            let (a, b) = c.aabb();
            let r = |p: &Point3<f64>, k: usize, up: bool| -> usize {
                let x = ((p[k] - origin[k] + if up { margin } else { -margin }) / cell).floor();
                (x.max(0.0) as usize).min(dims[k] - 1)
            };
            for z in r(&a, 2, false)..=r(&b, 2, true) {
                for y in r(&a, 1, false)..=r(&b, 1, true) {
                    for x in r(&a, 0, false)..=r(&b, 0, true) {
                        let centre = origin
                            + Vector3::new(x as f64 + 0.5, y as f64 + 0.5, z as f64 + 0.5) * cell;
                        if c.distance(&centre) <= half_diag + margin {
                            let id = x + dims[0] * (y + dims[1] * z);
                            pairs.push((id as u32, ci as u32));
                        }
                    }
                }
            }
        }
        pairs.sort_unstable();
        let ncell = dims[0] * dims[1] * dims[2];
        let mut start = vec![0u32; ncell + 1];
        for &(c, _) in &pairs {
            start[c as usize + 1] += 1;
        }
        for i in 0..ncell {
            start[i + 1] += start[i];
        }
        let items = pairs.into_iter().map(|(_, s)| s).collect();
        Self {
            cones,
            origin,
            cell,
            dims,
            start,
            items,
        }
    }

    /// Struts that may come within `margin` of the cell holding `p`.
    fn list(&self, p: &Point3<f64>) -> &[u32] {
        let mut id = 0usize;
        let mut mul = 1usize;
        for k in 0..3 {
            let x = ((p[k] - self.origin[k]) / self.cell).floor();
            if !(x >= 0.0 && (x as usize) < self.dims[k]) {
                return &[];
            }
            id += x as usize * mul;
            mul *= self.dims[k];
        }
        &self.items[self.start[id] as usize..self.start[id + 1] as usize]
    }

    /// Union distance, exact where `≤ margin`.
    fn distance(&self, p: &Point3<f64>) -> f64 {
        self.list(p)
            .iter()
            .map(|&c| self.cones[c as usize].distance(p))
            .fold(f64::INFINITY, f64::min)
    }

    /// Upper bound on the distance of every point of triangle `t` outside the solid:
    /// `min_i max_corner d_i` (each `d_i` is convex).
    fn outward_bound(&self, t: &[Point3<f64>; 3]) -> f64 {
        let c = Point3::from((t[0].coords + t[1].coords + t[2].coords) / 3.0);
        self.list(&c)
            .iter()
            .map(|&i| {
                let k = &self.cones[i as usize];
                k.distance(&t[0])
                    .max(k.distance(&t[1]))
                    .max(k.distance(&t[2]))
            })
            .fold(f64::INFINITY, f64::min)
    }
}

// ---------------------------------------------------------------------------------------
// Quadrics.

/// `E(p) = pᵀAp + 2b·p + c` with symmetric `A`.
#[derive(Debug, Clone, Copy, Default)]
struct Quadric {
    a: [f64; 6],
    b: [f64; 3],
    c: f64,
}

impl Quadric {
    fn plane(n: &Vector3<f64>, p: &Point3<f64>, w: f64) -> Self {
        let d = -n.dot(&p.coords);
        Self {
            a: [
                w * n.x * n.x,
                w * n.x * n.y,
                w * n.x * n.z,
                w * n.y * n.y,
                w * n.y * n.z,
                w * n.z * n.z,
            ],
            b: [w * d * n.x, w * d * n.y, w * d * n.z],
            c: w * d * d,
        }
    }
    fn add(&mut self, o: &Self) {
        for k in 0..6 {
            self.a[k] += o.a[k];
        }
        for k in 0..3 {
            self.b[k] += o.b[k];
        }
        self.c += o.c;
    }
    fn sum(&self, o: &Self) -> Self {
        let mut s = *self;
        s.add(o);
        s
    }
    fn matrix(&self) -> Matrix3<f64> {
        let a = &self.a;
        Matrix3::new(a[0], a[1], a[2], a[1], a[3], a[4], a[2], a[4], a[5])
    }
    fn eval(&self, p: &Point3<f64>) -> f64 {
        let v = p.coords;
        (v.dot(&(self.matrix() * v)) + 2.0 * Vector3::from(self.b).dot(&v) + self.c).max(0.0)
    }
}

// ---------------------------------------------------------------------------------------
// Geometry helpers.

fn tri_normal(p: &[Point3<f64>; 3]) -> Vector3<f64> {
    (p[1] - p[0]).cross(&(p[2] - p[0]))
}

fn quality(p: &[Point3<f64>; 3]) -> f64 {
    let n = tri_normal(p).norm();
    let l =
        (p[1] - p[0]).norm_squared() + (p[2] - p[1]).norm_squared() + (p[0] - p[2]).norm_squared();
    if l > 0.0 {
        2.0 * 3f64.sqrt() * n / l
    } else {
        0.0
    }
}

/// Squared distance from `p` to triangle `t` (Ericson, Real-Time Collision Detection §5.1.5).
fn point_triangle_d2(p: &Point3<f64>, t: &[Point3<f64>; 3]) -> f64 {
    let [a, b, c] = t;
    let ab = b - a;
    let ac = c - a;
    let ap = p - a;
    let d1 = ab.dot(&ap);
    let d2 = ac.dot(&ap);
    if d1 <= 0.0 && d2 <= 0.0 {
        return ap.norm_squared();
    }
    let bp = p - b;
    let d3 = ab.dot(&bp);
    let d4 = ac.dot(&bp);
    if d3 >= 0.0 && d4 <= d3 {
        return bp.norm_squared();
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        let v = d1 / (d1 - d3);
        return (p - (a + ab * v)).norm_squared();
    }
    let cp = p - c;
    let d5 = ab.dot(&cp);
    let d6 = ac.dot(&cp);
    if d6 >= 0.0 && d5 <= d6 {
        return cp.norm_squared();
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        let w = d2 / (d2 - d6);
        return (p - (a + ac * w)).norm_squared();
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        let w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return (p - (b + (c - b) * w)).norm_squared();
    }
    let denom = 1.0 / (va + vb + vc);
    let v = vb * denom;
    let w = vc * denom;
    (p - (a + ab * v + ac * w)).norm_squared()
}

/// Squared distance between segments `p1q1` and `p2q2` (Ericson §5.1.9).
fn segment_segment_d2(
    p1: &Point3<f64>,
    q1: &Point3<f64>,
    p2: &Point3<f64>,
    q2: &Point3<f64>,
) -> f64 {
    let d1 = q1 - p1;
    let d2 = q2 - p2;
    let r = p1 - p2;
    let a = d1.norm_squared();
    let e = d2.norm_squared();
    let f = d2.dot(&r);
    let tiny = 1e-300;
    let (s, t);
    if a <= tiny && e <= tiny {
        return r.norm_squared();
    }
    if a <= tiny {
        s = 0.0;
        t = (f / e).clamp(0.0, 1.0);
    } else {
        let c = d1.dot(&r);
        if e <= tiny {
            t = 0.0;
            s = (-c / a).clamp(0.0, 1.0);
        } else {
            let b = d1.dot(&d2);
            let denom = a * e - b * b;
            let mut s0 = if denom > 0.0 {
                ((b * f - c * e) / denom).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let mut t0 = (b * s0 + f) / e;
            if t0 < 0.0 {
                t0 = 0.0;
                s0 = (-c / a).clamp(0.0, 1.0);
            } else if t0 > 1.0 {
                t0 = 1.0;
                s0 = ((b - c) / a).clamp(0.0, 1.0);
            }
            s = s0;
            t = t0;
        }
    }
    ((p1 + d1 * s) - (p2 + d2 * t)).norm_squared()
}

fn orient(a: &Point3<f64>, b: &Point3<f64>, c: &Point3<f64>, d: &Point3<f64>) -> f64 {
    (b - a).cross(&(c - a)).dot(&(d - a))
}

/// Does segment `pq` cross triangle `t` (endpoints strictly on both sides of its plane and
/// the line strictly inside)? Near-touching cases are caught by the distance tests.
fn segment_crosses(p: &Point3<f64>, q: &Point3<f64>, t: &[Point3<f64>; 3]) -> bool {
    let [a, b, c] = t;
    let n = tri_normal(t);
    let sp = n.dot(&(p - a));
    let sq = n.dot(&(q - a));
    if !(sp > 0.0 && sq < 0.0 || sp < 0.0 && sq > 0.0) {
        return false;
    }
    let s1 = orient(p, q, a, b);
    let s2 = orient(p, q, b, c);
    let s3 = orient(p, q, c, a);
    (s1 >= 0.0 && s2 >= 0.0 && s3 >= 0.0) || (s1 <= 0.0 && s2 <= 0.0 && s3 <= 0.0)
}

/// Cosine above which two triangles sharing an edge count as folded onto each other
/// (dihedral opening below ≈ 1.1°).
const FOLD_COS: f64 = 0.9998;

/// Conservative interference test of two triangles given by vertex ids and positions (see
/// the module docs, check 5). True means "may intersect or come closer than `eps`".
fn interfere(
    ti: &[u32; 3],
    pi: &[Point3<f64>; 3],
    tj: &[u32; 3],
    pj: &[Point3<f64>; 3],
    eps2: f64,
) -> bool {
    let mut shared = [(0usize, 0usize); 3];
    let mut n = 0;
    for (a, va) in ti.iter().enumerate() {
        for (b, vb) in tj.iter().enumerate() {
            if va == vb {
                shared[n] = (a, b);
                n += 1;
            }
        }
    }
    match n {
        0 => {
            for k in 0..3 {
                let (p, q) = (&pi[k], &pi[(k + 1) % 3]);
                let (r, s) = (&pj[k], &pj[(k + 1) % 3]);
                if point_triangle_d2(&pi[k], pj) < eps2
                    || point_triangle_d2(&pj[k], pi) < eps2
                    || segment_crosses(p, q, pj)
                    || segment_crosses(r, s, pi)
                {
                    return true;
                }
                for m in 0..3 {
                    if segment_segment_d2(p, q, &pj[m], &pj[(m + 1) % 3]) < eps2 {
                        return true;
                    }
                }
            }
            false
        }
        1 => {
            let (ka, kb) = shared[0];
            let s = pi[ka];
            let (a, b) = (pi[(ka + 1) % 3], pi[(ka + 2) % 3]);
            let (c, d) = (pj[(kb + 1) % 3], pj[(kb + 2) % 3]);
            point_triangle_d2(&a, pj) < eps2
                || point_triangle_d2(&b, pj) < eps2
                || point_triangle_d2(&c, pi) < eps2
                || point_triangle_d2(&d, pi) < eps2
                || segment_segment_d2(&a, &b, &c, &d) < eps2
                || segment_segment_d2(&s, &a, &c, &d) < eps2
                || segment_segment_d2(&s, &b, &c, &d) < eps2
                || segment_segment_d2(&a, &b, &s, &c) < eps2
                || segment_segment_d2(&a, &b, &s, &d) < eps2
                || segment_crosses(&a, &b, pj)
                || segment_crosses(&c, &d, pi)
        }
        2 => {
            let (s, t) = (pi[shared[0].0], pi[shared[1].0]);
            let oi = 3 - shared[0].0 - shared[1].0;
            let oj = 3 - shared[0].1 - shared[1].1;
            let e = t - s;
            let e2 = e.norm_squared();
            let perp = |x: &Point3<f64>| {
                let v = x - s;
                v - e * (v.dot(&e) / e2)
            };
            let (u, w) = (perp(&pi[oi]), perp(&pj[oj]));
            let nn = u.norm() * w.norm();
            !(nn > 0.0) || u.dot(&w) > FOLD_COS * nn
        }
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------
// Triangle box grid.

#[derive(Default)]
struct MulHasher(u64);

impl Hasher for MulHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, i: u64) {
        // splitmix64 finaliser: every key bit reaches the low (bucket) bits; a bare multiply
        // would leave the bucket depending on the z coordinate alone.
        let mut z = (self.0 ^ i).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = z ^ (z >> 31);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<MulHasher>>;

/// Triangle ids binned by the cells their bounding boxes overlap. Used only for lookups,
/// so hash order never reaches the output.
struct TriGrid {
    origin: Point3<f64>,
    inv_cell: f64,
    cells: FastMap<u64, Vec<u32>>,
}

impl TriGrid {
    fn range(&self, lo: &Point3<f64>, hi: &Point3<f64>) -> ([i64; 3], [i64; 3]) {
        let f =
            |p: &Point3<f64>, k: usize| ((p[k] - self.origin[k]) * self.inv_cell).floor() as i64;
        (
            [f(lo, 0), f(lo, 1), f(lo, 2)],
            [f(hi, 0), f(hi, 1), f(hi, 2)],
        )
    }
    fn key(x: i64, y: i64, z: i64) -> u64 {
        let m = (1u64 << 21) - 1;
        ((x as u64 & m) << 42) | ((y as u64 & m) << 21) | (z as u64 & m)
    }
    fn insert(&mut self, t: u32, lo: &Point3<f64>, hi: &Point3<f64>) {
        let (a, b) = self.range(lo, hi);
        for x in a[0]..=b[0] {
            for y in a[1]..=b[1] {
                for z in a[2]..=b[2] {
                    self.cells.entry(Self::key(x, y, z)).or_default().push(t);
                }
            }
        }
    }
    fn remove(&mut self, t: u32, lo: &Point3<f64>, hi: &Point3<f64>) {
        let (a, b) = self.range(lo, hi);
        for x in a[0]..=b[0] {
            for y in a[1]..=b[1] {
                for z in a[2]..=b[2] {
                    if let Some(v) = self.cells.get_mut(&Self::key(x, y, z))
                        && let Some(i) = v.iter().position(|&e| e == t)
                    {
                        v.swap_remove(i);
                    }
                }
            }
        }
    }
    fn query(&self, lo: &Point3<f64>, hi: &Point3<f64>, out: &mut Vec<u32>) {
        let (a, b) = self.range(lo, hi);
        for x in a[0]..=b[0] {
            for y in a[1]..=b[1] {
                for z in a[2]..=b[2] {
                    if let Some(v) = self.cells.get(&Self::key(x, y, z)) {
                        out.extend_from_slice(v);
                    }
                }
            }
        }
    }
}

fn bbox(p: &[Point3<f64>; 3]) -> (Point3<f64>, Point3<f64>) {
    (p[0].inf(&p[1]).inf(&p[2]), p[0].sup(&p[1]).sup(&p[2]))
}

// ---------------------------------------------------------------------------------------
// The decimation state.

/// Heap entry: (cost bits, low vertex, high vertex, version of low, version of high).
type Entry = Reverse<(u64, u32, u32, u32, u32)>;

struct State<'a> {
    pos: Vec<Point3<f64>>,
    quad: Vec<Quadric>,
    tris: Vec<[u32; 3]>,
    tri_alive: Vec<bool>,
    /// Live triangles around each vertex.
    vt: Vec<Vec<u32>>,
    version: Vec<u32>,
    heap: BinaryHeap<Entry>,
    sdf: ConeGrid,
    grid: TriGrid,
    tol: f64,
    eps2: f64,
    settings: &'a SimplifySettings,
    collapses: usize,
    /// Scratch: per-triangle stamp for candidate dedup.
    stamp: Vec<u32>,
    stamp_now: u32,
    scratch: Vec<u32>,
}

/// A planned collapse: the surviving triangles with their new corners.
struct Plan {
    keep: u32,
    gone: u32,
    p: Point3<f64>,
    dead: [u32; 2],
    /// (triangle, new vertex ids, new positions)
    changed: Vec<(u32, [u32; 3], [Point3<f64>; 3])>,
}

impl<'a> State<'a> {
    fn new(mesh: &TriMesh, net: &StrutNetwork, tol: f64, settings: &'a SimplifySettings) -> Self {
        let pos = mesh.vertices().to_vec();
        let tris = mesh.triangles().to_vec();
        let nv = pos.len();
        let mut quad = vec![Quadric::default(); nv];
        let mut vt: Vec<Vec<u32>> = vec![Vec::new(); nv];
        let mut edge_sum = 0.0;
        for (t, tri) in tris.iter().enumerate() {
            let p = tri.map(|i| pos[i as usize]);
            let n = tri_normal(&p);
            let area2 = n.norm();
            if area2 > 0.0 {
                let q = Quadric::plane(&(n / area2), &p[0], 0.5 * area2);
                for &v in tri {
                    quad[v as usize].add(&q);
                }
            }
            for &v in tri {
                vt[v as usize].push(t as u32);
            }
            edge_sum += (p[1] - p[0]).norm() + (p[2] - p[1]).norm() + (p[0] - p[2]).norm();
        }
        let mean_edge = edge_sum / (3 * tris.len()) as f64;
        let rmin = net
            .struts()
            .iter()
            .map(|s| s.radius_a.min(s.radius_b))
            .fold(f64::INFINITY, f64::min);
        let sdf = ConeGrid::new(net, 4.0 * tol.max(mean_edge), rmin);
        let (lo, _) = mesh
            .bounding_box()
            .unwrap_or((Point3::origin(), Point3::origin()));
        let mut grid = TriGrid {
            origin: lo - Vector3::repeat(mean_edge),
            inv_cell: 1.0 / (4.0 * mean_edge),
            cells: FastMap::default(),
        };
        for (t, tri) in tris.iter().enumerate() {
            let (a, b) = bbox(&tri.map(|i| pos[i as usize]));
            grid.insert(t as u32, &a, &b);
        }
        let eps = 1e-3 * mean_edge;
        Self {
            tri_alive: vec![true; tris.len()],
            stamp: vec![0; tris.len()],
            pos,
            quad,
            tris,
            vt,
            version: vec![0; nv],
            heap: BinaryHeap::new(),
            sdf,
            grid,
            tol,
            eps2: eps * eps,
            settings,
            collapses: 0,
            stamp_now: 0,
            scratch: Vec::new(),
        }
    }

    fn fill_queue(&mut self) {
        self.heap.clear();
        for t in 0..self.tris.len() {
            if !self.tri_alive[t] {
                continue;
            }
            let tri = self.tris[t];
            for k in 0..3 {
                let (a, b) = (tri[k], tri[(k + 1) % 3]);
                // Each undirected edge once: from the triangle where it runs a → b, a < b.
                if a < b {
                    self.push(a, b);
                }
            }
        }
    }

    fn push(&mut self, a: u32, b: u32) {
        let (a, b) = (a.min(b), a.max(b));
        if let Some((cost, _)) = self.placement(a, b) {
            self.heap.push(Reverse((
                cost.to_bits(),
                a,
                b,
                self.version[a as usize],
                self.version[b as usize],
            )));
        }
    }

    /// Volume-preserving quadric placement for collapsing edge `ab`: (cost, position).
    fn placement(&self, a: u32, b: u32) -> Option<(f64, Point3<f64>)> {
        let (pa, pb) = (self.pos[a as usize], self.pos[b as usize]);
        let o = nalgebra::center(&pa, &pb);
        let q = self.quad[a as usize].sum(&self.quad[b as usize]);
        // Volume constraint: Σ over surviving fan triangles (p−o)·((x−o)×(y−o)) equals
        // 6 × the old fan volume about o.
        let mut g = Vector3::zeros();
        let mut w = 0.0;
        let mut seen_a = false;
        for (v, other) in [(a, b), (b, a)] {
            for &t in &self.vt[v as usize] {
                let tri = self.tris[t as usize];
                let k = tri.iter().position(|&x| x == v)?;
                let (x, y) = (tri[(k + 1) % 3], tri[(k + 2) % 3]);
                let (px, py) = (self.pos[x as usize] - o, self.pos[y as usize] - o);
                let shared = x == other || y == other;
                if shared && seen_a {
                    continue; // the two dying triangles are counted once, from a's side
                }
                w += (self.pos[v as usize] - o).dot(&px.cross(&py));
                if !shared {
                    g += px.cross(&py);
                }
            }
            seen_a = true;
        }
        let m = q.matrix();
        let tr = m.trace();
        let reg = 1e-3 * tr / 3.0 + 1e-300;
        let mm = m + Matrix3::identity() * reg;
        let inv = mm.try_inverse()?;
        let bq = m * o.coords + Vector3::from(q.b); // gradient/2 of E at o
        // Minimise E(o + x) + reg·|x|² subject to g·x = w (Lagrange):
        // x = −M⁻¹(bq + μ g), μ = −(w + g·M⁻¹bq) / (g·M⁻¹g).
        let ig = inv * g;
        let gig = g.dot(&ig);
        let x = if gig > 1e-300 {
            let mu = -(w + g.dot(&(inv * bq))) / gig;
            -(inv * (bq + g * mu))
        } else {
            -(inv * bq)
        };
        let p = o + x;
        if !p.iter().all(|c| c.is_finite()) {
            return None;
        }
        Some((q.eval(&p), p))
    }

    fn run(&mut self) {
        while let Some(Reverse((_, a, b, va, vb))) = self.heap.pop() {
            if self.vt[a as usize].is_empty()
                || self.vt[b as usize].is_empty()
                || self.version[a as usize] != va
                || self.version[b as usize] != vb
            {
                continue;
            }
            if let Some(plan) = self.plan(a, b) {
                self.apply(plan);
            }
        }
    }

    /// All checks of the module docs; `Some(plan)` if the collapse of `ab` is safe.
    fn plan(&mut self, a: u32, b: u32) -> Option<Plan> {
        // Edge and the two triangles on it.
        let mut dead = [u32::MAX; 2];
        let mut nd = 0;
        for &t in &self.vt[a as usize] {
            if self.tris[t as usize].contains(&b) {
                if nd == 2 {
                    return None;
                }
                dead[nd] = t;
                nd += 1;
            }
        }
        if nd != 2 {
            return None;
        }
        let opp = |t: u32| -> u32 {
            let tri = self.tris[t as usize];
            tri.into_iter()
                .find(|&x| x != a && x != b)
                .unwrap_or(u32::MAX)
        };
        let (c, d) = (opp(dead[0]), opp(dead[1]));
        if c == d || c == u32::MAX || d == u32::MAX {
            return None;
        }
        // Link condition.
        let ring = |v: u32| -> Vec<u32> {
            let mut r: Vec<u32> = self.vt[v as usize]
                .iter()
                .flat_map(|&t| self.tris[t as usize])
                .filter(|&x| x != v)
                .collect();
            r.sort_unstable();
            r.dedup();
            r
        };
        let (ra, rb) = (ring(a), ring(b));
        let common = ra.iter().filter(|x| rb.binary_search(x).is_ok()).count();
        if common != 2 || !ra.contains(&c) || !ra.contains(&d) {
            return None;
        }
        if self.vt[c as usize].len() <= 3 || self.vt[d as usize].len() <= 3 {
            return None;
        }
        if ra.len() + rb.len() - 4 < 3 {
            return None;
        }
        let (_, p) = self.placement(a, b)?;
        let (keep, gone) = (a, b);
        // Surviving fan with new corners: normals, quality, area.
        let s = self.settings;
        let mut changed = Vec::with_capacity(self.vt[a as usize].len() + self.vt[b as usize].len());
        let mut worst_old = f64::INFINITY;
        for v in [a, b] {
            for &t in &self.vt[v as usize] {
                if t == dead[0] || t == dead[1] {
                    continue;
                }
                let old_ids = self.tris[t as usize];
                let old = old_ids.map(|i| self.pos[i as usize]);
                worst_old = worst_old.min(quality(&old));
                let ids = old_ids.map(|i| if i == gone { keep } else { i });
                let mut np = old;
                for k in 0..3 {
                    if old_ids[k] == a || old_ids[k] == b {
                        np[k] = p;
                    }
                }
                let n_old = tri_normal(&old);
                let n_new = tri_normal(&np);
                let (lo, ln) = (n_old.norm(), n_new.norm());
                if !(ln > 0.0 && lo > 0.0) || n_old.dot(&n_new) < s.min_normal_cos * lo * ln {
                    return None;
                }
                changed.push((t, ids, np));
            }
        }
        for &t in &dead {
            worst_old = worst_old.min(quality(
                &self.tris[t as usize].map(|i| self.pos[i as usize]),
            ));
        }
        let q_floor = s.min_quality.min(worst_old);
        for (_, _, np) in &changed {
            if !(quality(np) >= q_floor) || quality(np) <= 1e-6 {
                return None;
            }
        }
        // Tolerance against the exact solid.
        let tol = self.tol;
        if !(self.sdf.distance(&p).abs() <= tol) {
            return None;
        }
        for (_, _, np) in &changed {
            let k = np.iter().position(|x| *x == p).unwrap_or(0);
            let (x, y) = (np[(k + 1) % 3], np[(k + 2) % 3]);
            let centroid = Point3::from((np[0].coords + np[1].coords + np[2].coords) / 3.0);
            for q in [nalgebra::center(&p, &x), nalgebra::center(&p, &y), centroid] {
                if !(self.sdf.distance(&q).abs() <= tol) {
                    return None;
                }
            }
            if !(self.sdf.outward_bound(np) <= tol) {
                return None;
            }
        }
        // Self-intersections: new triangles among themselves and against their neighbours.
        for i in 0..changed.len() {
            for j in i + 1..changed.len() {
                if interfere(
                    &changed[i].1,
                    &changed[i].2,
                    &changed[j].1,
                    &changed[j].2,
                    self.eps2,
                ) {
                    return None;
                }
            }
        }
        self.stamp_now = self.stamp_now.wrapping_add(1);
        if self.stamp_now == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.stamp_now = 1;
        }
        let now = self.stamp_now;
        for v in [a, b] {
            for &t in &self.vt[v as usize] {
                self.stamp[t as usize] = now;
            }
        }
        let eps = self.eps2.sqrt();
        let mut cand = std::mem::take(&mut self.scratch);
        let mut ok = true;
        'outer: for (_, ids, np) in &changed {
            let (lo, hi) = bbox(np);
            let (lo, hi) = (lo - Vector3::repeat(eps), hi + Vector3::repeat(eps));
            cand.clear();
            self.grid.query(&lo, &hi, &mut cand);
            for &u in &cand {
                if self.stamp[u as usize] == now {
                    continue;
                }
                let uids = self.tris[u as usize];
                let up = uids.map(|i| self.pos[i as usize]);
                let (ulo, uhi) = bbox(&up);
                if ulo.x > hi.x
                    || ulo.y > hi.y
                    || ulo.z > hi.z
                    || uhi.x < lo.x
                    || uhi.y < lo.y
                    || uhi.z < lo.z
                {
                    continue;
                }
                if interfere(ids, np, &uids, &up, self.eps2) {
                    ok = false;
                    break 'outer;
                }
            }
        }
        self.scratch = cand;
        if !ok {
            return None;
        }
        Some(Plan {
            keep,
            gone,
            p,
            dead,
            changed,
        })
    }

    fn apply(&mut self, plan: Plan) {
        let Plan {
            keep,
            gone,
            p,
            dead,
            changed,
        } = plan;
        for &t in &dead {
            let tri = self.tris[t as usize];
            let (lo, hi) = bbox(&tri.map(|i| self.pos[i as usize]));
            self.grid.remove(t, &lo, &hi);
            self.tri_alive[t as usize] = false;
            for v in tri {
                self.vt[v as usize].retain(|&x| x != t);
            }
        }
        for (t, ids, np) in &changed {
            let old = self.tris[*t as usize].map(|i| self.pos[i as usize]);
            let (lo, hi) = bbox(&old);
            self.grid.remove(*t, &lo, &hi);
            let (lo, hi) = bbox(np);
            self.grid.insert(*t, &lo, &hi);
            self.tris[*t as usize] = *ids;
        }
        let moved = std::mem::take(&mut self.vt[gone as usize]);
        self.vt[keep as usize].extend(moved);
        self.vt[keep as usize].sort_unstable();
        self.vt[keep as usize].dedup();
        self.pos[keep as usize] = p;
        let qg = self.quad[gone as usize];
        self.quad[keep as usize].add(&qg);
        self.version[keep as usize] += 1;
        self.version[gone as usize] += 1;
        self.collapses += 1;
        let mut ring: Vec<u32> = self.vt[keep as usize]
            .iter()
            .flat_map(|&t| self.tris[t as usize])
            .filter(|&x| x != keep)
            .collect();
        ring.sort_unstable();
        ring.dedup();
        for x in ring {
            self.push(keep, x);
        }
    }

    fn into_mesh(self) -> TriMesh {
        let mut map = vec![u32::MAX; self.pos.len()];
        let mut vertices = Vec::new();
        for (v, ts) in self.vt.iter().enumerate() {
            if !ts.is_empty() {
                map[v] = vertices.len() as u32;
                vertices.push(self.pos[v]);
            }
        }
        let triangles = self
            .tris
            .iter()
            .zip(&self.tri_alive)
            .filter(|(_, alive)| **alive)
            .map(|(t, _)| t.map(|i| map[i as usize]))
            .collect();
        TriMesh::from_parts_unchecked(vertices, triangles)
    }
}

#[cfg(test)]
mod tests;
