//! Closest points and distances between points, segments and triangles (floating point, any
//! length unit; mm in the pipeline). Segments are closed: the closest point may be an end.
//!
//! The operation order of each function is part of its contract: the mesher's output depends
//! on these values bit for bit.

use nalgebra::{Point3, Vector3};

/// The Euclidean distance between the points `a` and `b`.
pub fn point_distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The parameter `t ∈ [0, 1]` of the point of segment `a–b` closest to `p`, at
/// `a + t (b − a)`. NaN for a degenerate segment (`a == b`).
pub fn closest_segment_param(p: Vector3<f64>, a: Vector3<f64>, b: Vector3<f64>) -> f64 {
    let ab = b - a;
    ((p - a).dot(&ab) / ab.norm_squared()).clamp(0.0, 1.0)
}

/// The distance from point `p` to segment `a–b`. NaN for a degenerate segment (`a == b`).
pub fn point_segment_distance(p: Vector3<f64>, a: Vector3<f64>, b: Vector3<f64>) -> f64 {
    let t = closest_segment_param(p, a, b);
    (p - (a + (b - a) * t)).norm()
}

/// The smallest distance between the segments `p0–p1` and `q0–q1`.
pub fn segment_distance(
    p0: Vector3<f64>,
    p1: Vector3<f64>,
    q0: Vector3<f64>,
    q1: Vector3<f64>,
) -> f64 {
    segment_closest(p0, p1, q0, q1).0
}

/// The closest points of the segments `p0–p1` and `q0–q1`: `(distance, s, t)` with the points
/// at `p0 + s (p1 − p0)` and `q0 + t (q1 − q0)`, `s, t ∈ [0, 1]`. Parallel segments (relative
/// tolerance 1e-14 on `|d1 × d2|²`) take `s = 0` unless clamping moves it. The second segment
/// must have positive length.
pub fn segment_closest(
    p0: Vector3<f64>,
    p1: Vector3<f64>,
    q0: Vector3<f64>,
    q1: Vector3<f64>,
) -> (f64, f64, f64) {
    let (d1, d2, r) = (p1 - p0, q1 - q0, p0 - q0);
    let (a, e, f) = (d1.dot(&d1), d2.dot(&d2), d2.dot(&r));
    let (c, b) = (d1.dot(&r), d1.dot(&d2));
    let denom = a * e - b * b;
    let mut s = if denom > 1e-14 * a * e {
        ((b * f - c * e) / denom).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut t = (b * s + f) / e;
    if t < 0.0 {
        t = 0.0;
        s = (-c / a).clamp(0.0, 1.0);
    } else if t > 1.0 {
        t = 1.0;
        s = ((b - c) / a).clamp(0.0, 1.0);
    }
    (((p0 + d1 * s) - (q0 + d2 * t)).norm(), s, t)
}

/// The point of the closed triangle `abc` closest to `p` (Ericson, *Real-Time Collision
/// Detection* §5.1.5: Voronoi regions of the vertices, then the edges, then the face).
pub fn closest_point_on_triangle(
    p: &Point3<f64>,
    a: &Point3<f64>,
    b: &Point3<f64>,
    c: &Point3<f64>,
) -> Point3<f64> {
    let ab = b - a;
    let ac = c - a;
    let ap = p - a;
    let d1 = ab.dot(&ap);
    let d2 = ac.dot(&ap);
    if d1 <= 0.0 && d2 <= 0.0 {
        return *a;
    }
    let bp = p - b;
    let d3 = ab.dot(&bp);
    let d4 = ac.dot(&bp);
    if d3 >= 0.0 && d4 <= d3 {
        return *b;
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        return a + ab * (d1 / (d1 - d3));
    }
    let cp = p - c;
    let d5 = ab.dot(&cp);
    let d6 = ac.dot(&cp);
    if d6 >= 0.0 && d5 <= d6 {
        return *c;
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        return a + ac * (d2 / (d2 - d6));
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        return b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6)));
    }
    let denom = 1.0 / (va + vb + vc);
    a + ab * (vb * denom) + ac * (vc * denom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f64, y: f64, z: f64) -> Vector3<f64> {
        Vector3::new(x, y, z)
    }

    #[test]
    fn point_to_segment_interior_and_ends() {
        let (a, b) = (v(0.0, 0.0, 0.0), v(4.0, 0.0, 0.0));
        assert_eq!(closest_segment_param(v(1.0, 3.0, 0.0), a, b), 0.25);
        assert_eq!(point_segment_distance(v(1.0, 3.0, 0.0), a, b), 3.0);
        // Beyond either end the end is closest.
        assert_eq!(closest_segment_param(v(-3.0, 4.0, 0.0), a, b), 0.0);
        assert_eq!(point_segment_distance(v(-3.0, 4.0, 0.0), a, b), 5.0);
        assert_eq!(closest_segment_param(v(7.0, 0.0, 4.0), a, b), 1.0);
        assert_eq!(point_segment_distance(v(7.0, 0.0, 4.0), a, b), 5.0);
        // Symmetric in the segment's direction, zero on it.
        let p = v(1.3, -0.7, 2.1);
        assert_eq!(
            point_segment_distance(p, a, b),
            point_segment_distance(p, b, a)
        );
        assert_eq!(point_segment_distance(v(2.0, 0.0, 0.0), a, b), 0.0);
        assert!(point_segment_distance(p, a, a).is_nan());
    }

    #[test]
    fn segment_to_segment_closed_forms() {
        // Skew perpendicular lines one apart, crossing inside both segments.
        let (d, s, t) = segment_closest(
            v(-1.0, 0.0, 0.0),
            v(1.0, 0.0, 0.0),
            v(0.0, -1.0, 1.0),
            v(0.0, 3.0, 1.0),
        );
        assert_eq!((d, s, t), (1.0, 0.5, 0.25));
        // Crossing segments touch.
        let d = segment_distance(
            v(0.0, 0.0, 0.0),
            v(2.0, 2.0, 0.0),
            v(0.0, 2.0, 0.0),
            v(2.0, 0.0, 0.0),
        );
        assert_eq!(d, 0.0);
        // Parallel, offset along their line: end to end.
        let (d, s, t) = segment_closest(
            v(0.0, 0.0, 0.0),
            v(1.0, 0.0, 0.0),
            v(4.0, 4.0, 0.0),
            v(6.0, 4.0, 0.0),
        );
        assert_eq!((d, s, t), (5.0, 1.0, 0.0));
        // A zero-length first segment is a point.
        let (d, s, _) = segment_closest(
            v(1.0, 1.0, 0.0),
            v(1.0, 1.0, 0.0),
            v(0.0, 0.0, 0.0),
            v(2.0, 0.0, 0.0),
        );
        assert_eq!((d, s), (1.0, 0.0));
    }

    #[test]
    fn segment_distance_is_symmetric() {
        let (p0, p1) = (v(0.1, 0.2, 0.3), v(1.7, -0.4, 2.0));
        let (q0, q1) = (v(-1.0, 1.0, 0.5), v(2.0, 0.3, -1.0));
        let d = segment_distance(p0, p1, q0, q1);
        assert!((d - segment_distance(q0, q1, p0, p1)).abs() < 1e-12);
        assert!((d - segment_distance(p1, p0, q1, q0)).abs() < 1e-12);
    }

    #[test]
    fn closest_point_in_each_triangle_region() {
        let [a, b, c] = [
            Point3::new(0.0, 0.0, 0.0),
            Point3::new(4.0, 0.0, 0.0),
            Point3::new(0.0, 4.0, 0.0),
        ];
        let closest =
            |x: f64, y: f64, z: f64| closest_point_on_triangle(&Point3::new(x, y, z), &a, &b, &c);
        // Face: the projection.
        assert_eq!(closest(1.0, 1.0, 5.0), Point3::new(1.0, 1.0, 0.0));
        // Vertex regions.
        assert_eq!(closest(-1.0, -1.0, 2.0), a);
        assert_eq!(closest(6.0, -1.0, 0.0), b);
        assert_eq!(closest(-1.0, 6.0, 0.0), c);
        // Edge regions: ab, ac and bc.
        assert_eq!(closest(2.0, -3.0, 1.0), Point3::new(2.0, 0.0, 0.0));
        assert_eq!(closest(-3.0, 2.0, 0.0), Point3::new(0.0, 2.0, 0.0));
        assert_eq!(closest(3.0, 3.0, 0.0), Point3::new(2.0, 2.0, 0.0));
        // A point on the triangle is its own closest point.
        assert_eq!(closest(1.0, 2.0, 0.0), Point3::new(1.0, 2.0, 0.0));
    }
}
