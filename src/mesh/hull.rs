//! A small 3D convex hull (quickhull with conflict lists) for the node hubs of the explicit
//! mesher.
//!
//! Floating-point predicates with an absolute tolerance `eps` (a length, mm): a point counts as
//! outside a face only if it lies more than `eps` above the face's plane, so points within
//! `eps` of the hull are dropped and the result may be non-convex by at most `eps`. Every
//! step that could break the topology under rounding (a horizon that is not one simple
//! cycle, a new face with (near) zero area) makes the hull fail (`None`) instead of returning
//! a broken surface; the caller then falls back. Sequential and deterministic: the same
//! points give the same triangles in the same order.
//!
//! Output: triangles over the input indices, counter-clockwise seen from outside (outward
//! normals), forming a closed 2-manifold of genus 0. Input points that are not hull vertices
//! (inside, or within `eps` of the surface) do not appear.

use nalgebra::{Point3, Vector3};

const NONE: u32 = u32::MAX;

#[derive(Clone)]
struct Face {
    v: [u32; 3],
    /// `nbr[k]`: the face across the edge `v[k] → v[k + 1]`.
    nbr: [u32; 3],
    normal: Vector3<f64>,
    offset: f64,
    alive: bool,
    /// Outside (conflict) points of this face.
    outside: Vec<u32>,
}

/// Reusable buffers for [`convex_hull`] (allocate once per thread, not per node).
#[derive(Default)]
pub(crate) struct HullScratch {
    faces: Vec<Face>,
    visible: Vec<u32>,
    stack: Vec<u32>,
    horizon: Vec<(u32, u32, u32)>,
    new_faces: Vec<u32>,
    start_of: Vec<u32>,
    orphans: Vec<u32>,
    mark: Vec<u32>,
    epoch: u32,
    /// Emptied outside lists, reused to avoid an allocation per face.
    pool: Vec<Vec<u32>>,
}

impl HullScratch {
    fn face(&mut self, p: &[Point3<f64>], v: [u32; 3]) -> Option<Face> {
        let mut f = Face::new(p, v)?;
        if let Some(list) = self.pool.pop() {
            f.outside = list;
        }
        Some(f)
    }
}

impl Face {
    fn new(p: &[Point3<f64>], v: [u32; 3]) -> Option<Self> {
        let [a, b, c] = v.map(|i| p[i as usize]);
        let n = (b - a).cross(&(c - a));
        let len = n.norm();
        // Relative area guard: a sliver whose normal is pure rounding noise is a failure.
        let scale = (b - a).norm_squared().max((c - a).norm_squared());
        // (Also refuses NaN.)
        if len.partial_cmp(&(1e-12 * scale)) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let normal = n / len;
        Some(Self {
            v,
            nbr: [NONE; 3],
            normal,
            offset: normal.dot(&a.coords),
            alive: true,
            outside: Vec::new(),
        })
    }

    fn dist(&self, p: &Point3<f64>) -> f64 {
        self.normal.dot(&p.coords) - self.offset
    }
}

/// The convex hull of `points` (mm, best centred near the origin), as outward triangles over
/// point indices, appended to `out` (which is cleared first). `eps` is the coplanarity
/// tolerance in mm (e.g. `1e-9 ×` the point cloud's extent).
///
/// Returns `false` (leaving `out` unspecified) when the points are (nearly) coplanar or a
/// rounding-sensitive step fails; see the module docs.
pub(crate) fn convex_hull(
    points: &[Point3<f64>],
    eps: f64,
    s: &mut HullScratch,
    out: &mut Vec<[u32; 3]>,
) -> bool {
    out.clear();
    s.recycle_faces();
    if points.len() < 4 {
        return false;
    }
    let Some(simplex) = initial_simplex(points, eps) else {
        return false;
    };
    if !s.start(points, simplex, eps) {
        return false;
    }
    let mut fi = 0;
    while fi < s.faces.len() {
        if !s.faces[fi].alive || s.faces[fi].outside.is_empty() {
            fi += 1;
            continue;
        }
        if !s.add_farthest_point(points, fi, eps) {
            return false;
        }
    }
    out.extend(s.faces.iter().filter(|f| f.alive).map(|f| f.v));
    true
}

/// The initial tetrahedron `[a, b, c, d]`, with `abc` seen clockwise from `d` (so the faces
/// built from it face outwards): the most distant pair of axis extremes, then the farthest
/// point from their line, then the farthest from their plane. `None` when the points are
/// within `eps` of a point, a line or a plane.
fn initial_simplex(points: &[Point3<f64>], eps: f64) -> Option<[u32; 4]> {
    let mut ext = [0usize; 6];
    for (i, p) in points.iter().enumerate() {
        for k in 0..3 {
            if p[k] < points[ext[2 * k]][k] {
                ext[2 * k] = i;
            }
            if p[k] > points[ext[2 * k + 1]][k] {
                ext[2 * k + 1] = i;
            }
        }
    }
    let (mut i0, mut i1, mut best) = (0, 0, -1.0);
    for a in 0..6 {
        for b in a + 1..6 {
            let d = (points[ext[a]] - points[ext[b]]).norm_squared();
            if d > best {
                (i0, i1, best) = (ext[a], ext[b], d);
            }
        }
    }
    if best.sqrt() <= eps {
        return None;
    }
    let line = (points[i1] - points[i0]).normalize();
    let (mut i2, mut best) = (0, -1.0);
    for (i, p) in points.iter().enumerate() {
        let d = (p - points[i0]).cross(&line).norm_squared();
        if d > best {
            (i2, best) = (i, d);
        }
    }
    if best.sqrt() <= eps {
        return None;
    }
    let base = Face::new(points, [i0 as u32, i1 as u32, i2 as u32])?;
    let (mut i3, mut best) = (0, 0.0f64);
    for (i, p) in points.iter().enumerate() {
        let d = base.dist(p);
        if d.abs() > best.abs() {
            (i3, best) = (i, d);
        }
    }
    if best.abs() <= eps {
        return None;
    }
    let (a, b, c, d) = if best < 0.0 {
        (i0, i1, i2, i3)
    } else {
        (i1, i0, i2, i3)
    };
    Some([a, b, c, d].map(|x| x as u32))
}

impl HullScratch {
    /// Empties the face list, keeping the outside lists' allocations.
    fn recycle_faces(&mut self) {
        for mut f in self.faces.drain(..) {
            f.outside.clear();
            self.pool.push(f.outside);
        }
    }

    /// The tetrahedron's four faces with their neighbours and conflict lists, and the
    /// per-point and per-face buffers reset. False if a face is degenerate.
    fn start(&mut self, points: &[Point3<f64>], [a, b, c, d]: [u32; 4], eps: f64) -> bool {
        for v in [[a, b, c], [a, d, b], [b, d, c], [c, d, a]] {
            let Some(f) = self.face(points, v) else {
                return false;
            };
            self.faces.push(f);
        }
        // Neighbours of the tetrahedron: match reversed edges.
        for f in 0..4 {
            for k in 0..3 {
                let (x, y) = (self.faces[f].v[k], self.faces[f].v[(k + 1) % 3]);
                for g in 0..4 {
                    if g != f {
                        for m in 0..3 {
                            if self.faces[g].v[m] == y && self.faces[g].v[(m + 1) % 3] == x {
                                self.faces[f].nbr[k] = g as u32;
                            }
                        }
                    }
                }
            }
        }
        // Conflict lists.
        for (i, p) in points.iter().enumerate() {
            let i = i as u32;
            if [a, b, c, d].contains(&i) {
                continue;
            }
            for f in self.faces.iter_mut() {
                if f.dist(p) > eps {
                    f.outside.push(i);
                    break;
                }
            }
        }
        self.start_of.clear();
        self.start_of.resize(points.len(), NONE);
        self.mark.clear();
        self.epoch = 0;
        true
    }

    /// One quickhull step on face `fi` (alive, with outside points): its farthest outside
    /// point (the eye) replaces the faces it sees by a cone of new faces over their horizon.
    /// False if a rounding-sensitive step fails.
    fn add_farthest_point(&mut self, points: &[Point3<f64>], fi: usize, eps: f64) -> bool {
        let eye = self.take_farthest_outside(points, fi);
        let replaced = self.find_visible(fi, &points[eye as usize], eps)
            && self.horizon_is_simple()
            && self.build_cone(points, eye);
        if replaced {
            self.retire_visible(points, eps);
        }
        replaced
    }

    /// Removes and returns the outside point of face `fi` farthest above it.
    fn take_farthest_outside(&mut self, points: &[Point3<f64>], fi: usize) -> u32 {
        let f = &self.faces[fi];
        let mut bi = 0;
        let mut bd = f64::NEG_INFINITY;
        for (k, &q) in f.outside.iter().enumerate() {
            let dd = f.dist(&points[q as usize]);
            if dd > bd {
                (bi, bd) = (k, dd);
            }
        }
        self.faces[fi].outside.swap_remove(bi)
    }

    /// The faces the eye `pe` sees, by flood fill from `fi`, into `visible`; the horizon edges
    /// `(x, y, outer face)` in the direction of the visible face, into `horizon`. False if a
    /// face lacks a neighbour.
    fn find_visible(&mut self, fi: usize, pe: &Point3<f64>, eps: f64) -> bool {
        self.epoch += 1;
        self.mark.resize(self.faces.len(), 0);
        self.visible.clear();
        self.horizon.clear();
        self.stack.clear();
        self.stack.push(fi as u32);
        self.mark[fi] = self.epoch;
        while let Some(f) = self.stack.pop() {
            self.visible.push(f);
            for k in 0..3 {
                let g = self.faces[f as usize].nbr[k];
                if g == NONE {
                    return false;
                }
                if self.mark[g as usize] == self.epoch {
                    continue;
                }
                if self.faces[g as usize].dist(pe) > eps {
                    self.mark[g as usize] = self.epoch;
                    self.stack.push(g);
                } else {
                    let fv = self.faces[f as usize].v;
                    self.horizon.push((fv[k], fv[(k + 1) % 3], g));
                }
            }
        }
        true
    }

    /// Whether no vertex starts two horizon edges (marking each start in `start_of`; all
    /// marks cleared again on failure).
    fn horizon_is_simple(&mut self) -> bool {
        for &(x, _, _) in &self.horizon {
            if self.start_of[x as usize] != NONE {
                for &(y, _, _) in &self.horizon {
                    self.start_of[y as usize] = NONE;
                }
                return false;
            }
            self.start_of[x as usize] = 0;
        }
        true
    }

    /// One new face `(x, y, eye)` per horizon edge, linked to the outer face and to each
    /// other around the eye, into `new_faces`; `start_of` cleared again. False if a face is
    /// degenerate or the new faces do not form one cycle of at least three.
    fn build_cone(&mut self, points: &[Point3<f64>], eye: u32) -> bool {
        self.new_faces.clear();
        let mut ok = true;
        for h in 0..self.horizon.len() {
            let (x, y, g) = self.horizon[h];
            let Some(mut f) = self.face(points, [x, y, eye]) else {
                ok = false;
                break;
            };
            let id = self.faces.len() as u32;
            f.nbr[0] = g;
            let gv = self.faces[g as usize].v;
            for m in 0..3 {
                if gv[m] == y && gv[(m + 1) % 3] == x {
                    self.faces[g as usize].nbr[m] = id;
                }
            }
            self.start_of[x as usize] = id;
            self.faces.push(f);
            self.new_faces.push(id);
        }
        ok = ok && self.link_cone() && self.cone_is_one_cycle();
        for &(x, _, _) in &self.horizon {
            self.start_of[x as usize] = NONE;
        }
        ok && self.new_faces.len() >= 3
    }

    /// Links the new faces around the eye: face `(x, y, eye)` meets the face starting at `y`
    /// across edge `y → eye`, and the face ending at `x` across `eye → x`. False if a face
    /// has no successor.
    fn link_cone(&mut self) -> bool {
        for &id in &self.new_faces {
            let [_, y, _] = self.faces[id as usize].v;
            let next = self.start_of[y as usize];
            if next == NONE || next == 0 {
                return false;
            }
            self.faces[id as usize].nbr[1] = next;
            self.faces[next as usize].nbr[2] = id;
        }
        true
    }

    /// Whether following the successors from the first new face visits all of them.
    fn cone_is_one_cycle(&self) -> bool {
        let Some(&first) = self.new_faces.first() else {
            return true;
        };
        let mut cur = first;
        let mut steps = 0;
        loop {
            cur = self.faces[cur as usize].nbr[1];
            steps += 1;
            if cur == first || steps > self.new_faces.len() {
                break;
            }
        }
        cur == first && steps == self.new_faces.len()
    }

    /// Retires the visible faces and hands their outside points to the first new face each
    /// lies more than `eps` above (or drops it).
    fn retire_visible(&mut self, points: &[Point3<f64>], eps: f64) {
        self.orphans.clear();
        for vi in 0..self.visible.len() {
            let f = self.visible[vi] as usize;
            self.faces[f].alive = false;
            let mut pts = std::mem::take(&mut self.faces[f].outside);
            self.orphans.extend_from_slice(&pts);
            pts.clear();
            self.pool.push(pts);
        }
        for oi in 0..self.orphans.len() {
            let q = self.orphans[oi];
            let pq = &points[q as usize];
            for &id in &self.new_faces {
                if self.faces[id as usize].dist(pq) > eps {
                    self.faces[id as usize].outside.push(q);
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::{TriMesh, check};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn hull_mesh(points: &[Point3<f64>]) -> TriMesh {
        let mut out = Vec::new();
        assert!(convex_hull(
            points,
            1e-9,
            &mut HullScratch::default(),
            &mut out
        ));
        TriMesh::try_new(points.to_vec(), out).unwrap()
    }

    #[test]
    fn cube_corners_and_interior_points() {
        let mut pts: Vec<Point3<f64>> = (0..8)
            .map(|c| Point3::new((c & 1) as f64, (c >> 1 & 1) as f64, (c >> 2 & 1) as f64))
            .collect();
        pts.push(Point3::new(0.5, 0.5, 0.5));
        pts.push(Point3::new(0.2, 0.7, 0.1));
        let m = hull_mesh(&pts);
        let r = check(&m);
        assert!(r.ok(), "{r:?}");
        assert!((m.volume() - 1.0).abs() < 1e-12);
        assert_eq!(m.triangles().len(), 12);
    }

    #[test]
    fn random_sphere_points_give_a_valid_hull() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for n in [4usize, 10, 50, 300] {
            let pts: Vec<Point3<f64>> = (0..n)
                .map(|_| {
                    let v = Vector3::new(
                        rng.random_range(-1.0..1.0),
                        rng.random_range(-1.0..1.0),
                        rng.random_range(-1.0..1.0),
                    );
                    Point3::from(v.normalize())
                })
                .collect();
            let m = hull_mesh(&pts);
            let r = check(&m);
            assert!(r.ok(), "{n}: {r:?}");
            assert_eq!(r.euler_characteristic, 2);
            // All points on a sphere are hull vertices.
            assert_eq!(m.triangles().len(), 2 * n - 4, "{n}");
        }
    }

    #[test]
    fn coplanar_input_fails() {
        let pts: Vec<Point3<f64>> = (0..10)
            .map(|i| Point3::new(i as f64, (i * i) as f64, 0.0))
            .collect();
        let mut out = Vec::new();
        assert!(!convex_hull(
            &pts,
            1e-9,
            &mut HullScratch::default(),
            &mut out
        ));
    }
}
