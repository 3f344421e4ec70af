//! Floating-point orientation predicates (not exact: the sign of a tiny determinant may be
//! wrong, so callers treat near-zero as "touching").

use nalgebra::Point3;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64, z: f64) -> Point3<f64> {
        Point3::new(x, y, z)
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
