//! Floating-point orientation predicates (not exact: the sign of a tiny determinant may be
//! wrong, so callers treat near-zero as "touching").

use nalgebra::{Point3, Vector3};

/// Six times the signed volume of the tetrahedron `abcd`: positive when `d` lies on the side
/// of the plane `abc` that `(b − a) × (c − a)` points to (`abc` counter-clockwise seen from
/// `d`), zero when the four points are coplanar.
pub fn orient(a: &Point3<f64>, b: &Point3<f64>, c: &Point3<f64>, d: &Point3<f64>) -> f64 {
    (b - a).cross(&(c - a)).dot(&(d - a))
}

/// Relative tolerance of [`segment_crosses_triangle`]'s plane-side test: endpoints closer to
/// the triangle's plane than this fraction of the segment length count as touching
/// (coplanar), not crossing.
pub const PLANE_TOL: f64 = 1e-9;

/// Does the open segment `pq` cross the open triangle `abc` strictly? The ends must lie on
/// opposite sides of the plane by more than [`PLANE_TOL`] × |pq| and the crossing strictly
/// inside the triangle: touching, an end on the triangle, a crossing through an edge or vertex
/// and (near-)coplanar configurations are not crossings.
pub fn segment_crosses_triangle(p: &Point3<f64>, q: &Point3<f64>, t: &[Point3<f64>; 3]) -> bool {
    let [a, b, c] = t;
    let n = (b - a).cross(&(c - a));
    let tol = PLANE_TOL * n.norm() * (q - p).norm();
    let sp = n.dot(&(p - a));
    let sq = n.dot(&(q - a));
    if !(sp > tol && sq < -tol || sp < -tol && sq > tol) {
        return false;
    }
    let s1 = orient(p, q, a, b);
    let s2 = orient(p, q, b, c);
    let s3 = orient(p, q, c, a);
    (s1 > 0.0 && s2 > 0.0 && s3 > 0.0) || (s1 < 0.0 && s2 < 0.0 && s3 < 0.0)
}

/// Where a ray meets a triangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RayHit {
    /// No transversal crossing (outside, or parallel to the plane).
    Miss,
    /// A crossing at parameter `t`; `near_edge` if within the slack of an edge or vertex.
    Hit {
        /// The ray parameter of the crossing.
        t: f64,
        /// Whether the crossing lies within the slack of an edge or vertex.
        near_edge: bool,
    },
}

/// Möller–Trumbore: `p + t d` against triangle abc; barycentric slack `eps` (relative).
pub fn ray_triangle(
    p: &Point3<f64>,
    d: &Vector3<f64>,
    a: &Point3<f64>,
    b: &Point3<f64>,
    c: &Point3<f64>,
    eps: f64,
) -> RayHit {
    let e1 = b - a;
    let e2 = c - a;
    let h = d.cross(&e2);
    let det = e1.dot(&h);
    let scale = e1.norm() * e2.norm() * d.norm();
    if det.abs() <= 1e-14 * scale {
        return RayHit::Miss; // parallel to the plane: no transversal crossing
    }
    let f = 1.0 / det;
    let s = p - a;
    let u = f * s.dot(&h);
    let qv = s.cross(&e1);
    let v = f * d.dot(&qv);
    if u < -eps || v < -eps || u + v > 1.0 + eps {
        return RayHit::Miss;
    }
    let near_edge = u.abs() <= eps || v.abs() <= eps || (u + v - 1.0).abs() <= eps;
    RayHit::Hit {
        t: f * e2.dot(&qv),
        near_edge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64, z: f64) -> Point3<f64> {
        Point3::new(x, y, z)
    }

    /// A ray through the unit right triangle at a known point crosses at the distance along
    /// the ray; one past its hypotenuse misses; one in its plane is parallel; one through a
    /// vertex is near an edge.
    #[test]
    fn ray_triangle_finds_the_crossing_and_its_edges() {
        let (a, b, c) = (p(0.0, 0.0, 0.0), p(1.0, 0.0, 0.0), p(0.0, 1.0, 0.0));
        let down = Vector3::new(0.0, 0.0, -2.0);
        let hit = ray_triangle(&p(0.25, 0.25, 3.0), &down, &a, &b, &c, 1e-12);
        assert_eq!(
            hit,
            RayHit::Hit {
                t: 1.5,
                near_edge: false
            }
        );
        let miss = ray_triangle(&p(0.6, 0.6, 3.0), &down, &a, &b, &c, 1e-12);
        assert_eq!(miss, RayHit::Miss);
        let along = ray_triangle(&p(-1.0, 0.2, 0.0), &Vector3::x(), &a, &b, &c, 1e-12);
        assert_eq!(along, RayHit::Miss);
        let corner = ray_triangle(&p(1.0, 0.0, 1.0), &down, &a, &b, &c, 1e-9);
        assert!(
            matches!(corner, RayHit::Hit { near_edge: true, t } if (t - 0.5).abs() < 1e-12),
            "{corner:?}"
        );
    }

    const T: [Point3<f64>; 3] = [
        Point3::new(0.0, 0.0, 0.0),
        Point3::new(4.0, 0.0, 0.0),
        Point3::new(0.0, 4.0, 0.0),
    ];

    #[test]
    fn orientation_is_six_signed_volumes() {
        let [a, b, c] = T;
        // The tetrahedron with legs 4, 4, 3 has volume 8: orient = 48.
        assert_eq!(orient(&a, &b, &c, &p(1.0, 1.0, 3.0)), 48.0);
        assert_eq!(orient(&a, &c, &b, &p(1.0, 1.0, 3.0)), -48.0);
        assert_eq!(orient(&a, &b, &c, &p(7.0, -2.0, 0.0)), 0.0);
    }

    #[test]
    fn crossing_is_strict() {
        // Through the interior, either direction.
        assert!(segment_crosses_triangle(
            &p(1.0, 1.0, -1.0),
            &p(1.0, 1.0, 1.0),
            &T
        ));
        assert!(segment_crosses_triangle(
            &p(1.0, 1.0, 1.0),
            &p(1.0, 1.0, -1.0),
            &T
        ));
        // Missing the triangle, ending on it, ending short of it.
        assert!(!segment_crosses_triangle(
            &p(5.0, 5.0, -1.0),
            &p(5.0, 5.0, 1.0),
            &T
        ));
        assert!(!segment_crosses_triangle(
            &p(1.0, 1.0, 0.0),
            &p(1.0, 1.0, 1.0),
            &T
        ));
        assert!(!segment_crosses_triangle(
            &p(1.0, 1.0, 0.5),
            &p(1.0, 1.0, 1.0),
            &T
        ));
        // Through an edge or a vertex: touching, not crossing.
        assert!(!segment_crosses_triangle(
            &p(2.0, 0.0, -1.0),
            &p(2.0, 0.0, 1.0),
            &T
        ));
        assert!(!segment_crosses_triangle(
            &p(0.0, 0.0, -1.0),
            &p(0.0, 0.0, 1.0),
            &T
        ));
        // Coplanar, and within the plane tolerance of it.
        assert!(!segment_crosses_triangle(
            &p(-1.0, 1.0, 0.0),
            &p(5.0, 1.0, 0.0),
            &T
        ));
        assert!(!segment_crosses_triangle(
            &p(-1.0, 1.0, -1e-12),
            &p(5.0, 1.0, 1e-12),
            &T
        ));
        // The tolerance is relative to the segment: a short one crossing is a crossing.
        assert!(segment_crosses_triangle(
            &p(1.0, 1.0, -1e-12),
            &p(1.0, 1.0, 1e-12),
            &T
        ));
    }
}
