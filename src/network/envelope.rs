//! A closed triangle surface bounding an implant (read from STL), with inside tests.
//!
//! **Inside test**: a point within [`BOUNDARY_TOLERANCE`] of a triangle is on the boundary
//! (inside). Otherwise the parity of an axis-aligned ray's crossings decides; triangles near
//! the ray come from an `rstar` tree of triangle bounding boxes. Crossings are decided by 2D
//! edge functions evaluated once per *welded* edge in a canonical vertex order, so two
//! triangles sharing an edge always see exactly negated values: a ray can never slip through
//! or be counted twice at a shared edge. A ray that hits an edge or vertex exactly (an edge
//! function of exactly zero) is discarded and the next of the six axis directions is tried;
//! if all six are degenerate a few generic directions are tried against every triangle.
//!
//! **Closedness**: after welding vertices closer than 1e-6 × the bounding-box diagonal and
//! dropping triangles that collapse, every edge must be shared by exactly two triangles.
//! Orientation is not required (parity ignores it).

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use nalgebra::{Point3, Vector3};
use thiserror::Error;

use super::BOUNDARY_TOLERANCE;
use crate::geom::boxes::BoxTree;
use crate::geom::distance::closest_point_on_triangle;
use crate::geom::predicates::{RayHit, ray_triangle};
use crate::surface;

/// Relative weld tolerance: vertices closer than this times the bounding-box diagonal merge.
pub const WELD_RELATIVE_TOLERANCE: f64 = 1e-6;

/// Why an envelope could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The STL file could not be opened or parsed.
    #[error("reading STL {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// STL data (not from a file) could not be parsed.
    #[error("parsing STL data: {0}")]
    Parse(std::io::Error),
    /// No non-degenerate triangle.
    #[error("the envelope has no non-degenerate triangles ({triangles} given)")]
    Empty {
        /// Triangles given.
        triangles: usize,
    },
    /// A vertex coordinate that is NaN or infinite.
    #[error("triangle {triangle} has a non-finite vertex {vertex:?}")]
    NotFinite {
        /// Triangle index in the input.
        triangle: usize,
        /// The vertex, mm.
        vertex: [f64; 3],
    },
    /// An edge not shared by exactly two triangles: the surface has a hole, a crack or a
    /// non-manifold edge. Repair the STL (close holes, weld vertices) and retry.
    #[error(
        "the envelope is not closed: edge {a:?}–{b:?} (mm) is shared by {triangles} triangle(s), \
         not 2 ({open_edges} such edge(s) in all)"
    )]
    NotClosed {
        /// One end of the first offending edge, mm.
        a: [f64; 3],
        /// The other end, mm.
        b: [f64; 3],
        /// How many triangles share it.
        triangles: usize,
        /// How many edges are not shared by exactly two triangles.
        open_edges: usize,
    },
    /// Two triangles of the surface cross (e.g. two overlapping closed parts saved as one
    /// STL): the inside is ambiguous (the overlap would be left empty). Union the parts (a
    /// mesh boolean) and retry.
    #[error(
        "the envelope intersects itself: triangles {first} and {second} (after welding) cross \
         ({pairs} crossing pair(s) in all); union its overlapping parts into one closed surface \
         and retry"
    )]
    SelfIntersecting {
        /// One crossing triangle.
        first: usize,
        /// The other.
        second: usize,
        /// Crossing pairs in all.
        pairs: usize,
    },
}

/// A closed triangle surface in mm; the solid it bounds is a [`super::Domain::Envelope`].
#[derive(Debug, Clone)]
pub struct Envelope {
    vertices: Vec<Point3<f64>>,
    triangles: Vec<[u32; 3]>,
    tree: BoxTree<u32>,
    min: [f64; 3],
    max: [f64; 3],
}

impl Envelope {
    /// Reads an ASCII or binary STL file (coordinates in mm).
    ///
    /// # Errors
    /// [`EnvelopeError::Io`] if unreadable, otherwise as [`Envelope::from_triangles`].
    pub fn from_stl_file(path: impl AsRef<Path>) -> Result<Self, EnvelopeError> {
        let path = path.as_ref();
        let io = |source| EnvelopeError::Io {
            path: path.to_path_buf(),
            source,
        };
        surface::check_stl_file(path, surface::MAX_STL_BYTES).map_err(io)?;
        let mut f = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
        let tris = surface::read_stl_triangles(&mut f).map_err(io)?;
        Self::from_triangles(&tris)
    }

    /// Reads ASCII or binary STL data (coordinates in mm).
    ///
    /// # Errors
    /// [`EnvelopeError::Parse`] if unparsable, otherwise as [`Envelope::from_triangles`].
    pub fn from_stl_reader<R: Read + Seek>(reader: &mut R) -> Result<Self, EnvelopeError> {
        let tris = surface::read_stl_triangles(reader).map_err(EnvelopeError::Parse)?;
        Self::from_triangles(&tris)
    }

    /// Builds an envelope from triangles (mm), welding coincident vertices.
    ///
    /// # Errors
    /// [`EnvelopeError::NotFinite`], [`EnvelopeError::Empty`] or
    /// [`EnvelopeError::NotClosed`] (naming the first open edge's end points).
    pub fn from_triangles(tris: &[[Point3<f64>; 3]]) -> Result<Self, EnvelopeError> {
        let (min, max) = finite_bounds(tris)?;
        if tris.is_empty() {
            return Err(EnvelopeError::Empty { triangles: 0 });
        }
        let diag = (0..3)
            .map(|i| (max[i] - min[i]).powi(2))
            .sum::<f64>()
            .sqrt();
        let weld = (WELD_RELATIVE_TOLERANCE * diag).max(f64::MIN_POSITIVE);
        let (vertices, triangles) = surface::weld_within(tris, weld);
        if triangles.is_empty() {
            return Err(EnvelopeError::Empty {
                triangles: tris.len(),
            });
        }
        check_closed(&vertices, &triangles)?;
        let mesh = surface::TriMesh::from_parts_unchecked(vertices.clone(), triangles.clone());
        let report = surface::check(&mesh);
        if let Some((first, second)) = report.first_self_intersection {
            return Err(EnvelopeError::SelfIntersecting {
                first,
                second,
                pairs: report.self_intersections,
            });
        }
        let boxes: Vec<([f64; 3], [f64; 3], u32)> = triangles
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let mut lo = [f64::INFINITY; 3];
                let mut hi = [f64::NEG_INFINITY; 3];
                for &v in t {
                    for i in 0..3 {
                        lo[i] = lo[i].min(vertices[v as usize][i]);
                        hi[i] = hi[i].max(vertices[v as usize][i]);
                    }
                }
                (lo, hi, k as u32)
            })
            .collect();
        Ok(Self {
            vertices,
            triangles,
            tree: BoxTree::new(boxes),
            min,
            max,
        })
    }

    /// The axis-aligned bounding box `(min, max)` of the surface, mm.
    pub fn bounding_box(&self) -> ([f64; 3], [f64; 3]) {
        (self.min, self.max)
    }

    /// The enclosed volume, mm³ (divergence theorem; orientation-independent).
    pub fn volume(&self) -> f64 {
        self.triangles
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|i| self.vertices[i as usize].coords);
                a.dot(&b.cross(&c)) / 6.0
            })
            .sum::<f64>()
            .abs()
    }

    /// Number of (welded, non-degenerate) triangles.
    pub fn triangle_count(&self) -> usize {
        self.triangles.len()
    }

    /// Number of welded vertices.
    pub fn vertex_count(&self) -> usize {
        self.vertices.len()
    }

    fn tri(&self, k: u32) -> [Point3<f64>; 3] {
        self.triangles[k as usize].map(|v| self.vertices[v as usize])
    }

    fn query(&self, lo: [f64; 3], hi: [f64; 3]) -> impl Iterator<Item = u32> + '_ {
        self.tree.intersecting(lo, hi)
    }

    /// Whether `p` (mm) is within `tol` mm of the surface.
    pub fn distance_within(&self, p: &Point3<f64>, tol: f64) -> bool {
        let lo = [p.x - tol, p.y - tol, p.z - tol];
        let hi = [p.x + tol, p.y + tol, p.z + tol];
        self.query(lo, hi).any(|k| {
            let [a, b, c] = self.tri(k);
            (closest_point_on_triangle(p, &a, &b, &c) - p).norm() <= tol
        })
    }

    /// Whether `p` (mm) is inside the solid or within [`BOUNDARY_TOLERANCE`] of its surface.
    pub fn contains(&self, p: &Point3<f64>) -> bool {
        let tol = BOUNDARY_TOLERANCE;
        if (0..3).any(|i| p[i] < self.min[i] - tol || p[i] > self.max[i] + tol) {
            return false;
        }
        if self.distance_within(p, tol) {
            return true;
        }
        for axis in 0..3 {
            for positive in [true, false] {
                if let Some(inside) = self.axis_ray_parity(p, axis, positive) {
                    return inside;
                }
            }
        }
        self.generic_ray_parity(p)
    }

    /// Parity of crossings of the ray from `p` along `±e_axis`; `None` if degenerate.
    fn axis_ray_parity(&self, p: &Point3<f64>, axis: usize, positive: bool) -> Option<bool> {
        let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
        let mut lo = [p.x, p.y, p.z];
        let mut hi = lo;
        if positive {
            hi[axis] = self.max[axis] + 1.0;
        } else {
            lo[axis] = self.min[axis] - 1.0;
        }
        let mut crossings = 0usize;
        for k in self.query(lo, hi) {
            let ids = self.triangles[k as usize];
            // Edge function of the directed edge i→j at p, canonical order so shared edges
            // get exactly negated values.
            let edge = |i: u32, j: u32| {
                let (s, a, b) = if i < j { (1.0, i, j) } else { (-1.0, j, i) };
                let pa = &self.vertices[a as usize];
                let pb = &self.vertices[b as usize];
                s * ((pb[u] - pa[u]) * (p[v] - pa[v]) - (pb[v] - pa[v]) * (p[u] - pa[u]))
            };
            let e = [
                edge(ids[1], ids[2]),
                edge(ids[2], ids[0]),
                edge(ids[0], ids[1]),
            ];
            let all_pos = e.iter().all(|x| *x >= 0.0);
            let all_neg = e.iter().all(|x| *x <= 0.0);
            if !(all_pos || all_neg) {
                continue;
            }
            if e.contains(&0.0) {
                return None; // through an edge, a vertex, or an edge-on triangle
            }
            let sum = e[0] + e[1] + e[2];
            let hit: f64 = (0..3)
                .map(|m| e[m] * self.vertices[ids[m] as usize][axis])
                .sum::<f64>()
                / sum;
            let ahead = if positive {
                hit - p[axis]
            } else {
                p[axis] - hit
            };
            if ahead == 0.0 {
                return None;
            }
            if ahead > 0.0 {
                crossings += 1;
            }
        }
        Some(crossings % 2 == 1)
    }

    /// Fallback: parity along generic directions against every triangle.
    fn generic_ray_parity(&self, p: &Point3<f64>) -> bool {
        let dirs = [
            Vector3::new(0.5377, 0.3091, 0.7848),
            Vector3::new(-0.6171, 0.6983, 0.3452),
            Vector3::new(0.2113, -0.8163, 0.5377),
        ];
        let mut last = false;
        for d in dirs {
            let d = d.normalize();
            let mut crossings = 0usize;
            let mut degenerate = false;
            for k in 0..self.triangles.len() as u32 {
                let [a, b, c] = self.tri(k);
                match ray_triangle(p, &d, &a, &b, &c, 1e-12) {
                    RayHit::Miss => {}
                    RayHit::Hit {
                        near_edge: true, ..
                    } => degenerate = true,
                    RayHit::Hit { t, .. } if t > 0.0 => crossings += 1,
                    RayHit::Hit { .. } => {}
                }
            }
            last = crossings % 2 == 1;
            if !degenerate {
                return last;
            }
        }
        last
    }

    /// Parameter intervals of `p + t (q − p)`, t ∈ [0, 1], inside the solid (unsnapped).
    pub(crate) fn inside_intervals(&self, p: &Point3<f64>, q: &Point3<f64>) -> Vec<[f64; 2]> {
        let d = q - p;
        let tol = BOUNDARY_TOLERANCE;
        let lo = [p.x.min(q.x) - tol, p.y.min(q.y) - tol, p.z.min(q.z) - tol];
        let hi = [p.x.max(q.x) + tol, p.y.max(q.y) + tol, p.z.max(q.z) + tol];
        let mut ts = vec![0.0, 1.0];
        for k in self.query(lo, hi) {
            let [a, b, c] = self.tri(k);
            if let RayHit::Hit { t, .. } = ray_triangle(p, &d, &a, &b, &c, 1e-9)
                && (0.0..=1.0).contains(&t)
            {
                ts.push(t);
            }
        }
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        let mut out: Vec<[f64; 2]> = Vec::new();
        for w in ts.windows(2) {
            if w[1] <= w[0] {
                continue;
            }
            let mid = p + d * (0.5 * (w[0] + w[1]));
            if self.contains(&mid) {
                match out.last_mut() {
                    Some(last) if last[1] == w[0] => last[1] = w[1],
                    _ => out.push([w[0], w[1]]),
                }
            }
        }
        if out.is_empty() && ts.len() == 2 {
            // No crossing at all: the segment is wholly in or out (already classified by the
            // midpoint above, so it is out); report a touch at an end on the surface.
            if self.distance_within(p, tol) {
                out.push([0.0, 0.0]);
            } else if self.distance_within(q, tol) {
                out.push([1.0, 1.0]);
            }
        }
        out
    }
}

/// The bounding box `(min, max)` of the triangles' vertices.
///
/// # Errors
/// [`EnvelopeError::NotFinite`] for the first vertex with a non-finite coordinate.
fn finite_bounds(tris: &[[Point3<f64>; 3]]) -> Result<([f64; 3], [f64; 3]), EnvelopeError> {
    let mut min = [f64::INFINITY; 3];
    let mut max = [f64::NEG_INFINITY; 3];
    for (k, t) in tris.iter().enumerate() {
        for v in t {
            if !v.iter().all(|c| c.is_finite()) {
                return Err(EnvelopeError::NotFinite {
                    triangle: k,
                    vertex: [v.x, v.y, v.z],
                });
            }
            for i in 0..3 {
                min[i] = min[i].min(v[i]);
                max[i] = max[i].max(v[i]);
            }
        }
    }
    Ok((min, max))
}

/// Checks that every edge is shared by exactly two triangles.
///
/// # Errors
/// [`EnvelopeError::NotClosed`] naming the first open edge (in edge order).
fn check_closed(vertices: &[Point3<f64>], triangles: &[[u32; 3]]) -> Result<(), EnvelopeError> {
    let open = surface::open_edges(triangles);
    if let Some(&((a, b), n)) = open.first() {
        let pa = vertices[a as usize];
        let pb = vertices[b as usize];
        return Err(EnvelopeError::NotClosed {
            a: [pa.x, pa.y, pa.z],
            b: [pb.x, pb.y, pb.z],
            triangles: n,
            open_edges: open.len(),
        });
    }
    Ok(())
}

/// Test helpers: programmatic closed surfaces and STL bytes.
#[cfg(test)]
pub(crate) mod shapes {
    use nalgebra::Point3;

    /// The 12 outward-oriented triangles of the box `[lo, hi]`.
    pub fn box_triangles(lo: [f64; 3], hi: [f64; 3]) -> Vec<[Point3<f64>; 3]> {
        let c = |i: usize| {
            Point3::new(
                if i & 1 == 0 { lo[0] } else { hi[0] },
                if i & 2 == 0 { lo[1] } else { hi[1] },
                if i & 4 == 0 { lo[2] } else { hi[2] },
            )
        };
        let quads = [
            [0, 2, 3, 1], // z = lo
            [4, 5, 7, 6], // z = hi
            [0, 1, 5, 4], // y = lo
            [2, 6, 7, 3], // y = hi
            [0, 4, 6, 2], // x = lo
            [1, 3, 7, 5], // x = hi
        ];
        quads
            .iter()
            .flat_map(|q| [[c(q[0]), c(q[1]), c(q[2])], [c(q[0]), c(q[2]), c(q[3])]])
            .collect()
    }

    /// A closed cylinder surface with `n` sides around the z axis.
    pub fn cylinder_triangles(r: f64, h: f64, n: usize) -> Vec<[Point3<f64>; 3]> {
        let ring = |k: usize, z: f64| {
            let a = std::f64::consts::TAU * (k % n) as f64 / n as f64;
            Point3::new(r * a.cos(), r * a.sin(), z)
        };
        let mut t = Vec::new();
        for k in 0..n {
            let (b0, b1, t0, t1) = (ring(k, 0.0), ring(k + 1, 0.0), ring(k, h), ring(k + 1, h));
            t.push([b0, b1, t1]);
            t.push([b0, t1, t0]);
            t.push([Point3::new(0.0, 0.0, 0.0), b1, b0]);
            t.push([Point3::new(0.0, 0.0, h), t0, t1]);
        }
        t
    }

    /// A closed UV sphere of radius `r` centred at `c`.
    pub fn sphere_triangles(c: [f64; 3], r: f64, nu: usize, nv: usize) -> Vec<[Point3<f64>; 3]> {
        let pt = |i: usize, j: usize| {
            if j == 0 {
                return Point3::new(c[0], c[1], c[2] - r);
            }
            if j == nv {
                return Point3::new(c[0], c[1], c[2] + r);
            }
            let th = std::f64::consts::PI * j as f64 / nv as f64 - std::f64::consts::FRAC_PI_2;
            let ph = std::f64::consts::TAU * (i % nu) as f64 / nu as f64;
            Point3::new(
                c[0] + r * th.cos() * ph.cos(),
                c[1] + r * th.cos() * ph.sin(),
                c[2] + r * th.sin(),
            )
        };
        let mut t = Vec::new();
        for j in 0..nv {
            for i in 0..nu {
                let (a, b, cc, d) = (pt(i, j), pt(i + 1, j), pt(i + 1, j + 1), pt(i, j + 1));
                if j != 0 {
                    t.push([a, b, d]);
                }
                if j != nv - 1 {
                    t.push([b, cc, d]);
                }
            }
        }
        t
    }

    /// Binary STL bytes for triangles (f32 coordinates).
    pub fn binary_stl(tris: &[[Point3<f64>; 3]]) -> Vec<u8> {
        let mesh: Vec<stl_io::Triangle> = tris
            .iter()
            .map(|t| stl_io::Triangle {
                normal: stl_io::Normal::new([0.0; 3]),
                vertices: t.map(|v| stl_io::Vertex::new([v.x as f32, v.y as f32, v.z as f32])),
            })
            .collect();
        let mut out = Vec::new();
        stl_io::write_stl(&mut out, mesh.iter()).unwrap();
        out
    }

    /// ASCII STL text for triangles.
    pub fn ascii_stl(tris: &[[Point3<f64>; 3]]) -> String {
        let mut s = String::from("solid test\n");
        for t in tris {
            s.push_str("facet normal 0 0 0\n outer loop\n");
            for v in t {
                s.push_str(&format!("  vertex {} {} {}\n", v.x, v.y, v.z));
            }
            s.push_str(" endloop\nendfacet\n");
        }
        s.push_str("endsolid test\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::shapes::*;
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn cube_from_binary_and_ascii_stl_classifies_points() {
        let tris = box_triangles([0.0; 3], [10.0; 3]);
        let bin = Envelope::from_stl_reader(&mut std::io::Cursor::new(binary_stl(&tris))).unwrap();
        let asc =
            Envelope::from_stl_reader(&mut std::io::Cursor::new(ascii_stl(&tris).into_bytes()))
                .unwrap();
        for env in [&bin, &asc] {
            assert_eq!(env.vertex_count(), 8);
            assert_eq!(env.triangle_count(), 12);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..2000 {
            let p: Point3<f64> = Point3::new(
                rng.random_range(-2.0..12.0),
                rng.random_range(-2.0..12.0),
                rng.random_range(-2.0..12.0),
            );
            let want = (0..3).all(|i| (0.0..=10.0).contains(&p[i]));
            assert_eq!(bin.contains(&p), want, "{p}");
            assert_eq!(asc.contains(&p), want, "{p}");
        }
        // Points whose axis rays run exactly through cube edges/vertices.
        for p in [
            [5.0, 0.0, 0.0],
            [5.0, 5.0, 5.0],
            [-1.0, 0.0, 0.0],
            [5.0, 10.0, 5.0],
        ] {
            let p = Point3::from(p);
            let want = (0..3).all(|i| (0.0..=10.0).contains(&p[i]));
            assert_eq!(bin.contains(&p), want, "{p}");
        }
    }

    #[test]
    fn sphere_and_cylinder_surfaces_match_analytic_inside_away_from_the_facets() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (nu, nv, r) = (48usize, 24usize, 5.0);
        let sphere =
            Envelope::from_triangles(&sphere_triangles([1.0, 2.0, 3.0], r, nu, nv)).unwrap();
        // Facet sag of the polyhedral sphere is below r(1 - cos(π/nv)) ≈ 0.043 mm; skip a band.
        let band = 0.1;
        let mut checked = 0;
        for _ in 0..3000 {
            let p: Point3<f64> = Point3::new(
                rng.random_range(-5.0..7.0),
                rng.random_range(-4.0..8.0),
                rng.random_range(-3.0..9.0),
            );
            let dist = (p - Point3::new(1.0, 2.0, 3.0)).norm();
            if (dist - r).abs() < band {
                continue;
            }
            checked += 1;
            assert_eq!(sphere.contains(&p), dist < r, "{p}");
        }
        assert!(checked > 2500);
        let cyl = Envelope::from_triangles(&cylinder_triangles(3.0, 4.0, 64)).unwrap();
        for _ in 0..3000 {
            let p: Point3<f64> = Point3::new(
                rng.random_range(-4.0..4.0),
                rng.random_range(-4.0..4.0),
                rng.random_range(-1.0..5.0),
            );
            let rad = (p.x * p.x + p.y * p.y).sqrt();
            if (rad - 3.0).abs() < 0.02 || p.z.abs() < 1e-6 || (p.z - 4.0).abs() < 1e-6 {
                continue;
            }
            assert_eq!(
                cyl.contains(&p),
                rad < 3.0 && (0.0..=4.0).contains(&p.z),
                "{p}"
            );
        }
    }

    #[test]
    fn open_surface_is_rejected_naming_the_edge() {
        let mut tris = box_triangles([0.0; 3], [1.0; 3]);
        tris.remove(3); // drop one triangle of the top face
        let bytes = binary_stl(&tris);
        let err = Envelope::from_stl_reader(&mut std::io::Cursor::new(bytes)).unwrap_err();
        match &err {
            EnvelopeError::NotClosed {
                a,
                b,
                triangles,
                open_edges,
            } => {
                assert_eq!(*triangles, 1);
                assert_eq!(*open_edges, 3);
                assert!(a[2] == 1.0 && b[2] == 1.0, "{a:?} {b:?}");
            }
            e => panic!("wrong error {e}"),
        }
        assert!(err.to_string().contains("not closed"));
        let err = Envelope::from_triangles(&[]).unwrap_err();
        assert!(matches!(err, EnvelopeError::Empty { triangles: 0 }));
    }

    #[test]
    fn overlapping_closed_parts_are_rejected_as_self_intersecting() {
        // Two closed cubes that overlap in a 1 × 2 × 2 slab: each is closed, together they
        // cross, and the overlap's inside would be ambiguous.
        let mut tris = box_triangles([0.0; 3], [2.0; 3]);
        tris.extend(box_triangles([1.0, 0.5, 0.5], [3.0, 1.5, 1.5]));
        let err = Envelope::from_triangles(&tris).unwrap_err();
        match &err {
            EnvelopeError::SelfIntersecting { pairs, .. } => assert!(*pairs >= 4, "{pairs}"),
            e => panic!("wrong error {e}"),
        }
        assert!(err.to_string().contains("intersects itself"), "{err}");
        // Disjoint parts are fine.
        let mut tris = box_triangles([0.0; 3], [1.0; 3]);
        tris.extend(box_triangles([2.0, 0.0, 0.0], [3.0, 1.0, 1.0]));
        assert!(Envelope::from_triangles(&tris).is_ok());
    }

    #[test]
    fn segment_intervals_through_a_non_convex_envelope() {
        // Two disjoint cubes: a segment through both has two inside intervals.
        let mut tris = box_triangles([0.0; 3], [1.0; 3]);
        tris.extend(box_triangles([2.0, 0.0, 0.0], [3.0, 1.0, 1.0]));
        let env = Envelope::from_triangles(&tris).unwrap();
        let iv = env.inside_intervals(&Point3::new(-1.0, 0.5, 0.5), &Point3::new(4.0, 0.5, 0.5));
        assert_eq!(iv.len(), 2);
        let want = [[0.2, 0.4], [0.6, 0.8]];
        for (g, w) in iv.iter().zip(want) {
            assert!(
                (g[0] - w[0]).abs() < 1e-12 && (g[1] - w[1]).abs() < 1e-12,
                "{iv:?}"
            );
        }
    }

    #[test]
    fn reads_a_closed_stl_file_from_disk() {
        let dir = std::env::temp_dir().join(format!("trussforge-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cube.stl");
        std::fs::write(&path, binary_stl(&box_triangles([-1.0; 3], [2.0; 3]))).unwrap();
        let env = Envelope::from_stl_file(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(env.bounding_box(), ([-1.0; 3], [2.0; 3]));
        assert!(env.contains(&Point3::new(0.0, 0.0, 0.0)));
        assert!(!env.contains(&Point3::new(2.5, 0.0, 0.0)));
    }

    #[test]
    fn missing_file_reports_path() {
        let err = Envelope::from_stl_file("/nonexistent/implant.stl").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/implant.stl"));
    }
}
