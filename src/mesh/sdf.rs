//! Signed distance to one strut: the *round cone*, i.e. the convex hull of the two end balls
//! (centre `a`, radius `r_a`) and (centre `b`, radius `r_b`).
//!
//! Sign convention: negative inside, positive outside, in mm. The value is the exact Euclidean
//! distance to the surface of the round cone (so it is 1-Lipschitz), which the sparse block
//! grid relies on to decide which struts can touch a block.
//!
//! The round cone contains the linearly graded frustum with spherical caps that the 3MF beam
//! lattice describes; the two differ only where the end radii differ, by at most
//! `r · (Δr / L)²` to leading order (Δr = |r_a − r_b|, L = strut length), which is far below
//! the grid spacing for real struts.

use nalgebra::{Point3, Vector3};

/// A strut prepared for distance queries (all lengths in mm).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoundCone {
    a: Point3<f64>,
    /// `b − a`.
    ba: Vector3<f64>,
    /// `|b − a|²`.
    l2: f64,
    /// `1 / l2`.
    inv_l2: f64,
    /// `r_a − r_b`.
    rr: f64,
    /// `l2 − rr²` (> 0 unless one ball contains the other).
    a2: f64,
    r_a: f64,
    r_b: f64,
    /// When one end ball contains the other the hull is that ball: its centre and radius.
    ball: Option<(Point3<f64>, f64)>,
    /// A half-space cut off the solid: a point on its plane and its unit outward normal.
    clip: Option<(Point3<f64>, Vector3<f64>)>,
}

impl RoundCone {
    /// Prepares the round cone between balls `(a, r_a)` and `(b, r_b)`.
    pub(crate) fn new(a: Point3<f64>, b: Point3<f64>, r_a: f64, r_b: f64) -> Self {
        let ba = b - a;
        let l2 = ba.norm_squared();
        let rr = r_a - r_b;
        let a2 = l2 - rr * rr;
        let ball = if a2 <= 1e-12 * l2.max(f64::MIN_POSITIVE) {
            Some(if r_a >= r_b { (a, r_a) } else { (b, r_b) })
        } else {
            None
        };
        Self {
            a,
            ba,
            l2,
            inv_l2: 1.0 / l2,
            rr,
            a2,
            r_a,
            r_b,
            ball,
            clip: None,
        }
    }

    /// The same round cone with the half-space beyond the plane through `point` with unit
    /// normal `normal` cut off (the value becomes `max(distance, (p − point)·normal)`: a
    /// 1-Lipschitz bound of the distance to the cut solid, exact inside it, with the cut face
    /// flat).
    pub(crate) fn clipped(mut self, point: Point3<f64>, normal: Vector3<f64>) -> Self {
        self.clip = Some((point, normal));
        self
    }

    /// Axis-aligned bounding box `(min, max)` of the solid, mm.
    pub(crate) fn aabb(&self) -> (Point3<f64>, Point3<f64>) {
        let b = self.a + self.ba;
        let lo = Point3::new(
            (self.a.x - self.r_a).min(b.x - self.r_b),
            (self.a.y - self.r_a).min(b.y - self.r_b),
            (self.a.z - self.r_a).min(b.z - self.r_b),
        );
        let hi = Point3::new(
            (self.a.x + self.r_a).max(b.x + self.r_b),
            (self.a.y + self.r_a).max(b.y + self.r_b),
            (self.a.z + self.r_a).max(b.z + self.r_b),
        );
        (lo, hi)
    }

    /// Signed distance from `p` to the round cone surface, mm (negative inside); with a clip
    /// ([`Self::clipped`]), the bound described there.
    #[inline]
    pub(crate) fn distance(&self, p: &Point3<f64>) -> f64 {
        let d = self.unclipped(p);
        match self.clip {
            Some((point, normal)) => d.max((p - point).dot(&normal)),
            None => d,
        }
    }

    /// Signed distance to the round cone without its clip.
    #[inline]
    fn unclipped(&self, p: &Point3<f64>) -> f64 {
        if let Some((c, r)) = self.ball {
            return (p - c).norm() - r;
        }
        // Work in the 2D half-plane spanned by the axis and p, scaled by l2 to avoid divisions:
        // y = axial coordinate · l2, x2 = (radial distance · l2)².
        let pa = p - self.a;
        let y = pa.dot(&self.ba);
        let z = y - self.l2;
        let x2 = (pa * self.l2 - self.ba * y).norm_squared();
        let y2 = y * y * self.l2;
        let z2 = z * z * self.l2;
        // The tangent line of the two circles splits the half-plane into the region closest to
        // the b ball, the region closest to the a ball, and the region closest to the cone.
        let k = self.rr.signum() * self.rr * self.rr * x2;
        if z.signum() * self.a2 * z2 > k {
            return (x2 + z2).sqrt() * self.inv_l2 - self.r_b;
        }
        if y.signum() * self.a2 * y2 < k {
            return (x2 + y2).sqrt() * self.inv_l2 - self.r_a;
        }
        ((x2 * self.a2 * self.inv_l2).sqrt() + y * self.rr) * self.inv_l2 - self.r_a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Brute force: distance to the hull of two balls = max over sampled axial positions
    /// is not simple, so compare against the minimum over a dense family of balls along the
    /// axis whose union is the hull (valid outside) — the hull of two balls is the union of
    /// the balls tangent to the cone, whose centres and radii are linear in the parameter
    /// only in the cylinder case. We therefore test (1) the cylinder/capsule case exactly and
    /// (2) Lipschitz-1 and sign consistency for cones.
    #[test]
    fn capsule_is_exact() {
        let c = RoundCone::new(Point3::origin(), Point3::new(0.0, 0.0, 2.0), 0.5, 0.5);
        let tol = 1e-12;
        assert!((c.distance(&Point3::new(1.0, 0.0, 1.0)) - 0.5).abs() < tol);
        assert!((c.distance(&Point3::new(0.0, 0.0, -1.0)) - 0.5).abs() < tol);
        assert!((c.distance(&Point3::new(0.0, 0.0, 3.0)) - 0.5).abs() < tol);
        assert!((c.distance(&Point3::new(0.0, 0.0, 1.0)) + 0.5).abs() < tol);
        assert!((c.distance(&Point3::new(0.0, 0.3, 0.0)) + 0.2).abs() < tol);
    }

    #[test]
    fn cone_matches_analytic_and_is_lipschitz() {
        // Cone a=(0,0,0) r=1, b=(0,0,4) r=0.5: sin(half angle) = 0.5/4.
        let c = RoundCone::new(Point3::origin(), Point3::new(0.0, 0.0, 4.0), 1.0, 0.5);
        // On the far side of the b ball along the axis.
        assert!((c.distance(&Point3::new(0.0, 0.0, 5.0)) - 0.5).abs() < 1e-12);
        assert!((c.distance(&Point3::new(0.0, 0.0, -2.0)) - 1.0).abs() < 1e-12);
        // Radially at mid height: the tangent line is at distance r(s) from the axis with
        // r(s) measured perpendicular to the cone side.
        let sin = 0.5f64 / 4.0;
        let cos = (1.0 - sin * sin).sqrt();
        // Tangent point on the a ball: (cos, 0, sin) * 1 → line direction (−sin·?, ...).
        // Point far out radially at height 2: distance = (x − x_line(2)) · cos.
        let x_line = |z: f64| {
            // Line through (cos·1, sin·1) with direction (−sin, cos)... parametrize.
            let (x0, z0) = (cos, sin);
            let t = (z - z0) / cos;
            x0 - sin * t
        };
        let d = c.distance(&Point3::new(3.0, 0.0, 2.0));
        assert!((d - (3.0 - x_line(2.0)) * cos).abs() < 1e-9, "{d}");
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..2000 {
            let p = Point3::new(
                rng.random_range(-3.0..3.0),
                rng.random_range(-3.0..3.0),
                rng.random_range(-3.0..7.0),
            );
            let q = p + Vector3::new(
                rng.random_range(-0.1..0.1),
                rng.random_range(-0.1..0.1),
                rng.random_range(-0.1..0.1),
            );
            let (dp, dq) = (c.distance(&p), c.distance(&q));
            assert!((dp - dq).abs() <= (p - q).norm() + 1e-9);
        }
    }

    #[test]
    fn nested_balls_degenerate_to_one_ball() {
        let c = RoundCone::new(Point3::origin(), Point3::new(0.1, 0.0, 0.0), 1.0, 0.2);
        assert!((c.distance(&Point3::new(3.0, 0.0, 0.0)) - 2.0).abs() < 1e-12);
    }
}
