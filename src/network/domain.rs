//! The implant domain: a box, a cylinder or a closed triangle envelope, in millimetres.
//!
//! A domain is a **closed** set: points on its boundary are inside. Every geometric query
//! takes the same boundary tolerance [`BOUNDARY_TOLERANCE`] (1e-9 mm) where it needs one, so
//! lattice nodes that lie on a face up to rounding are treated as lying on it.

use nalgebra::{Point3, Vector3};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::BOUNDARY_TOLERANCE;
use super::envelope::Envelope;

/// Why a domain was rejected.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum DomainError {
    /// A coordinate or size that is NaN or infinite.
    #[error("domain {field} = {value} is not finite; give a finite value in mm")]
    NotFinite {
        /// The field, e.g. `box.min[1]` or `cylinder.radius`.
        field: String,
        /// The value given.
        value: f64,
    },
    /// A size that must be positive is zero or negative.
    #[error("domain {field} = {value} mm must be > 0")]
    NonPositive {
        /// The field, e.g. `cylinder.radius` or `cylinder.height`.
        field: String,
        /// The value given, mm.
        value: f64,
    },
    /// A box whose `max` is not above its `min` along some axis.
    #[error(
        "empty box: max[{axis}] = {max} mm is not greater than min[{axis}] = {min} mm; swap or widen them"
    )]
    EmptyBox {
        /// Axis index 0..3 (x, y, z).
        axis: usize,
        /// `min[axis]`, mm.
        min: f64,
        /// `max[axis]`, mm.
        max: f64,
    },
    /// A cylinder axis of zero length.
    #[error("cylinder axis {axis:?} has zero length; give a non-zero direction")]
    ZeroAxis {
        /// The axis given.
        axis: [f64; 3],
    },
}

/// The region an implant lattice is trimmed to (mm). Closed: the boundary belongs to it.
///
/// Build with [`Domain::new_box`], [`Domain::new_cylinder`] or [`Envelope`] constructors, or
/// write a variant directly and call [`Domain::validate`] ([`super::tile`] validates).
#[derive(Debug, Clone)]
pub enum Domain {
    /// The axis-aligned box `min ≤ p ≤ max` (mm).
    Box {
        /// Lower corner, mm.
        min: [f64; 3],
        /// Upper corner, mm.
        max: [f64; 3],
    },
    /// A solid right circular cylinder (mm).
    Cylinder {
        /// Centre of the bottom disc, mm.
        base: [f64; 3],
        /// Direction from the bottom to the top disc (normalized on use; must be non-zero).
        axis: [f64; 3],
        /// Radius, mm.
        radius: f64,
        /// Height along `axis`, mm.
        height: f64,
    },
    /// The solid bounded by a closed triangle surface.
    Envelope(Envelope),
}

fn finite(field: &str, value: f64) -> Result<(), DomainError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(DomainError::NotFinite {
            field: field.into(),
            value,
        })
    }
}

/// Axial coordinate along the (normalized) axis from `base` and radial distance from the axis
/// of `p` (mm).
fn cylinder_coordinates(base: [f64; 3], axis: [f64; 3], p: &Point3<f64>) -> (f64, f64) {
    let a = v3(axis).normalize();
    let w = p.coords - v3(base);
    let s = w.dot(&a);
    (s, (w - a * s).norm())
}

fn v3(a: [f64; 3]) -> Vector3<f64> {
    Vector3::new(a[0], a[1], a[2])
}

/// The shape of a domain as `report.json` records it (mm): what a later reader (e.g.
/// `trussforge simulate`) needs to know of the domain without the spec or the envelope file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum DomainShape {
    /// An axis-aligned box, corners in mm.
    Box {
        /// Lower corner, mm.
        min: [f64; 3],
        /// Upper corner, mm.
        max: [f64; 3],
    },
    /// A right circular cylinder.
    Cylinder {
        /// Centre of the bottom disc, mm.
        base: [f64; 3],
        /// Unit direction from the bottom to the top disc.
        axis: [f64; 3],
        /// Radius, mm.
        radius: f64,
        /// Height, mm.
        height: f64,
    },
    /// A closed STL envelope, recorded by its bounding box (it has no flat end faces in
    /// general).
    Envelope {
        /// Lower corner of the bounding box, mm.
        min: [f64; 3],
        /// Upper corner of the bounding box, mm.
        max: [f64; 3],
    },
}

impl Domain {
    /// The shape record of this domain (the cylinder axis normalized).
    pub fn shape(&self) -> DomainShape {
        match self {
            Domain::Box { min, max } => DomainShape::Box {
                min: *min,
                max: *max,
            },
            Domain::Cylinder {
                base,
                axis,
                radius,
                height,
            } => {
                let a = v3(*axis).normalize();
                DomainShape::Cylinder {
                    base: *base,
                    axis: [a.x, a.y, a.z],
                    radius: *radius,
                    height: *height,
                }
            }
            Domain::Envelope(env) => {
                let (min, max) = env.bounding_box();
                DomainShape::Envelope { min, max }
            }
        }
    }

    /// A validated box domain with corners `min` and `max` (mm).
    ///
    /// # Errors
    /// [`DomainError::NotFinite`] or [`DomainError::EmptyBox`].
    pub fn new_box(min: [f64; 3], max: [f64; 3]) -> Result<Self, DomainError> {
        let d = Domain::Box { min, max };
        d.validate()?;
        Ok(d)
    }

    /// A validated cylinder: bottom-disc centre `base` (mm), direction `axis` (unit-ized
    /// here), `radius` and `height` (mm).
    ///
    /// # Errors
    /// [`DomainError::NotFinite`], [`DomainError::ZeroAxis`] or [`DomainError::NonPositive`].
    pub fn new_cylinder(
        base: [f64; 3],
        axis: [f64; 3],
        radius: f64,
        height: f64,
    ) -> Result<Self, DomainError> {
        let d = Domain::Cylinder {
            base,
            axis,
            radius,
            height,
        };
        d.validate()?;
        let n = v3(axis).norm();
        Ok(Domain::Cylinder {
            base,
            axis: axis.map(|c| c / n),
            radius,
            height,
        })
    }

    /// Checks sizes and coordinates.
    ///
    /// # Errors
    /// A [`DomainError`] naming the field and its value.
    pub fn validate(&self) -> Result<(), DomainError> {
        match self {
            Domain::Box { min, max } => {
                for i in 0..3 {
                    finite(&format!("box.min[{i}]"), min[i])?;
                    finite(&format!("box.max[{i}]"), max[i])?;
                    if max[i] <= min[i] {
                        return Err(DomainError::EmptyBox {
                            axis: i,
                            min: min[i],
                            max: max[i],
                        });
                    }
                }
                Ok(())
            }
            Domain::Cylinder {
                base,
                axis,
                radius,
                height,
            } => {
                for i in 0..3 {
                    finite(&format!("cylinder.base[{i}]"), base[i])?;
                    finite(&format!("cylinder.axis[{i}]"), axis[i])?;
                }
                finite("cylinder.radius", *radius)?;
                finite("cylinder.height", *height)?;
                if v3(*axis).norm() == 0.0 {
                    return Err(DomainError::ZeroAxis { axis: *axis });
                }
                for (field, value) in [("cylinder.radius", *radius), ("cylinder.height", *height)] {
                    if value <= 0.0 {
                        return Err(DomainError::NonPositive {
                            field: field.into(),
                            value,
                        });
                    }
                }
                Ok(())
            }
            Domain::Envelope(_) => Ok(()),
        }
    }

    /// The axis-aligned bounding box `(min, max)`, mm (tight for box and cylinder).
    pub fn bounding_box(&self) -> ([f64; 3], [f64; 3]) {
        match self {
            Domain::Box { min, max } => (*min, *max),
            Domain::Cylinder {
                base,
                axis,
                radius,
                height,
            } => {
                let a = v3(*axis).normalize();
                let top = v3(*base) + a * *height;
                let mut lo = [0.0; 3];
                let mut hi = [0.0; 3];
                for i in 0..3 {
                    let e = radius * (1.0 - a[i] * a[i]).max(0.0).sqrt();
                    lo[i] = base[i].min(top[i]) - e;
                    hi[i] = base[i].max(top[i]) + e;
                }
                (lo, hi)
            }
            Domain::Envelope(env) => env.bounding_box(),
        }
    }

    /// Whether `p` (mm) is inside or within [`BOUNDARY_TOLERANCE`] of the boundary.
    pub fn contains(&self, p: &Point3<f64>) -> bool {
        match self {
            Domain::Envelope(env) => env.contains(p),
            _ => self.grown_contains(p, BOUNDARY_TOLERANCE),
        }
    }

    /// Whether `p` (mm) lies within `tol` mm of the boundary surface.
    pub fn is_on_boundary(&self, p: &Point3<f64>, tol: f64) -> bool {
        match self {
            Domain::Box { min, max } => {
                let near_face =
                    (0..3).any(|i| (p[i] - min[i]).abs() <= tol || (p[i] - max[i]).abs() <= tol);
                near_face && self.grown_contains(p, tol)
            }
            Domain::Cylinder {
                base,
                axis,
                radius,
                height,
            } => {
                let (s, radial) = cylinder_coordinates(*base, *axis, p);
                let near =
                    (radial - radius).abs() <= tol || s.abs() <= tol || (s - height).abs() <= tol;
                near && self.grown_contains(p, tol)
            }
            Domain::Envelope(env) => env.distance_within(p, tol),
        }
    }

    /// Box and cylinder: whether `p` (mm) is inside the domain grown by `tol` mm on every side
    /// (an envelope answers by its exact distance instead).
    fn grown_contains(&self, p: &Point3<f64>, tol: f64) -> bool {
        match self {
            Domain::Box { min, max } => {
                (0..3).all(|i| p[i] >= min[i] - tol && p[i] <= max[i] + tol)
            }
            Domain::Cylinder {
                base,
                axis,
                radius,
                height,
            } => {
                let (s, radial) = cylinder_coordinates(*base, *axis, p);
                s >= -tol && s <= height + tol && radial <= radius + tol
            }
            Domain::Envelope(env) => env.distance_within(p, tol) || env.contains(p),
        }
    }

    /// The parameter intervals `[t0, t1] ⊂ [0, 1]` of the segment `p + t·(q − p)` that lie in
    /// the domain, sorted and disjoint. An interval end within [`BOUNDARY_TOLERANCE`] mm of
    /// `p` or `q` is snapped to exactly 0 or 1, so a segment whose ends lie on the boundary
    /// reports `[0, 1]`; intervals may have zero length (a segment touching the boundary).
    pub fn inside_intervals(&self, p: &Point3<f64>, q: &Point3<f64>) -> Vec<[f64; 2]> {
        let d = q - p;
        let len = d.norm();
        let raw = match self {
            Domain::Box { min, max } => slab_interval(p, &d, *min, *max).into_iter().collect(),
            Domain::Cylinder {
                base,
                axis,
                radius,
                height,
            } => cylinder_interval(p, &d, *base, *axis, *radius, *height)
                .into_iter()
                .collect(),
            Domain::Envelope(env) => env.inside_intervals(p, q),
        };
        let snap = |t: f64| {
            if t * len <= BOUNDARY_TOLERANCE {
                0.0
            } else if (1.0 - t) * len <= BOUNDARY_TOLERANCE {
                1.0
            } else {
                t
            }
        };
        raw.into_iter()
            .map(|[a, b]| [snap(a), snap(b)])
            .filter(|[a, b]| a <= b)
            .collect()
    }

    /// The point where the segment from `p_inside` to `q_outside` leaves the domain (mm): the
    /// end of the inside interval that starts at `p_inside`, computed analytically for box
    /// and cylinder and by triangle intersection for an envelope. If `p_inside` is not
    /// inside (up to the tolerance), falls back to bisection on [`Domain::contains`] to
    /// 1e-9 mm, which finds *a* crossing.
    pub fn segment_exit(&self, p_inside: &Point3<f64>, q_outside: &Point3<f64>) -> Point3<f64> {
        let d = q_outside - p_inside;
        if let Some(iv) = self.inside_intervals(p_inside, q_outside).first()
            && iv[0] == 0.0
        {
            return p_inside + d * iv[1];
        }
        // Bisection fallback.
        let (mut a, mut b) = (0.0f64, 1.0f64);
        let inside_a = self.contains(p_inside);
        while (b - a) * d.norm() > 1e-9 {
            let m = 0.5 * (a + b);
            if self.contains(&(p_inside + d * m)) == inside_a {
                a = m;
            } else {
                b = m;
            }
        }
        p_inside + d * (0.5 * (a + b))
    }
}

/// Liang–Barsky clip of `p + t d`, t ∈ [0, 1], to the closed box.
fn slab_interval(
    p: &Point3<f64>,
    d: &Vector3<f64>,
    min: [f64; 3],
    max: [f64; 3],
) -> Option<[f64; 2]> {
    let tol = BOUNDARY_TOLERANCE;
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for i in 0..3 {
        if d[i] == 0.0 {
            if p[i] < min[i] - tol || p[i] > max[i] + tol {
                return None;
            }
        } else {
            let ta = (min[i] - p[i]) / d[i];
            let tb = (max[i] - p[i]) / d[i];
            t0 = t0.max(ta.min(tb));
            t1 = t1.min(ta.max(tb));
        }
    }
    // Allow a boundary-tolerance overlap so touching segments give a zero-length interval.
    let slack = tol / d.norm().max(f64::MIN_POSITIVE);
    if t0 <= t1 + slack {
        Some([t0, t1.max(t0)])
    } else {
        None
    }
}

/// Clip of `p + t d`, t ∈ [0, 1], to a closed solid cylinder.
fn cylinder_interval(
    p: &Point3<f64>,
    d: &Vector3<f64>,
    base: [f64; 3],
    axis: [f64; 3],
    radius: f64,
    height: f64,
) -> Option<[f64; 2]> {
    let tol = BOUNDARY_TOLERANCE;
    let a = v3(axis).normalize();
    let w0 = p.coords - v3(base);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    // Axial slab 0 ≤ s ≤ height.
    let s0 = w0.dot(&a);
    let ds = d.dot(&a);
    if ds == 0.0 {
        if s0 < -tol || s0 > height + tol {
            return None;
        }
    } else {
        let ta = -s0 / ds;
        let tb = (height - s0) / ds;
        t0 = t0.max(ta.min(tb));
        t1 = t1.min(ta.max(tb));
    }
    let slack = tol / d.norm().max(f64::MIN_POSITIVE);
    if t0 > t1 + slack {
        return None;
    }
    let t1 = t1.max(t0);
    // Radial: |w + t e|² ≤ r².
    let w = w0 - a * s0;
    let e = d - a * ds;
    let qa = e.norm_squared();
    let qb = w.dot(&e);
    if qa <= 1e-28 * d.norm_squared() {
        if w.norm() > radius + tol {
            return None;
        }
    } else {
        let qc = w.norm_squared() - radius * radius;
        let disc = qb * qb - qa * qc;
        if disc < 0.0 {
            // Misses the infinite cylinder; accept a tangential touch within tolerance.
            let t = (-qb / qa).clamp(t0, t1);
            if (w + e * t).norm() > radius + tol {
                return None;
            }
            return Some([t, t]);
        }
        let sq = disc.sqrt();
        // Numerically stable roots.
        let k = -(qb + qb.signum() * sq);
        let (mut ra, mut rb) = if k == 0.0 {
            (0.0, 0.0)
        } else {
            (k / qa, qc / k)
        };
        if ra > rb {
            std::mem::swap(&mut ra, &mut rb);
        }
        t0 = t0.max(ra);
        let t1 = t1.min(rb);
        return if t0 <= t1 + slack {
            Some([t0, t1.max(t0)])
        } else {
            None
        };
    }
    if t0 <= t1 + slack {
        Some([t0, t1.max(t0)])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_field_and_value() {
        let e = Domain::new_box([0.0; 3], [1.0, 0.0, 1.0]).unwrap_err();
        assert_eq!(
            e,
            DomainError::EmptyBox {
                axis: 1,
                min: 0.0,
                max: 0.0
            }
        );
        assert!(e.to_string().contains("max[1] = 0"));
        let e = Domain::new_cylinder([0.0; 3], [0.0; 3], 1.0, 1.0).unwrap_err();
        assert!(matches!(e, DomainError::ZeroAxis { .. }));
        let e = Domain::new_cylinder([0.0; 3], [0.0, 0.0, 2.0], -1.5, 1.0).unwrap_err();
        assert_eq!(
            e,
            DomainError::NonPositive {
                field: "cylinder.radius".into(),
                value: -1.5
            }
        );
        let e = Domain::new_cylinder([0.0; 3], [0.0, 0.0, 2.0], 1.0, 0.0).unwrap_err();
        assert!(e.to_string().contains("cylinder.height = 0"));
        let e = Domain::new_box([f64::NAN, 0.0, 0.0], [1.0; 3]).unwrap_err();
        assert!(e.to_string().contains("box.min[0]"));
        match Domain::new_cylinder([0.0; 3], [0.0, 0.0, 2.0], 1.0, 1.0).unwrap() {
            Domain::Cylinder { axis, .. } => assert_eq!(axis, [0.0, 0.0, 1.0]),
            _ => unreachable!(),
        }
    }

    #[test]
    fn cylinder_bounding_box_and_contains() {
        let s = 0.5f64.sqrt();
        let c = Domain::new_cylinder([1.0, 2.0, 3.0], [s, 0.0, s], 2.0, 4.0).unwrap();
        let (lo, hi) = c.bounding_box();
        let top = [1.0 + 4.0 * s, 2.0, 3.0 + 4.0 * s];
        let ex = 2.0 * s;
        let want_lo = [1.0 - ex, 0.0, 3.0 - ex];
        let want_hi = [top[0] + ex, 4.0, top[2] + ex];
        for i in 0..3 {
            assert!((lo[i] - want_lo[i]).abs() < 1e-12 && (hi[i] - want_hi[i]).abs() < 1e-12);
        }
        assert!(c.contains(&Point3::new(1.0 + 2.0 * s, 2.0, 3.0 + 2.0 * s)));
        assert!(!c.contains(&Point3::new(1.0 - 0.1, 2.0, 3.0 - 0.1)));
    }

    #[test]
    fn segment_exit_on_box_and_cylinder_is_on_the_boundary() {
        let b = Domain::new_box([0.0; 3], [2.0, 3.0, 4.0]).unwrap();
        let x = b.segment_exit(&Point3::new(1.0, 1.0, 1.0), &Point3::new(3.0, 2.0, 1.0));
        assert!((x - Point3::new(2.0, 1.5, 1.0)).norm() < 1e-12);
        let c = Domain::new_cylinder([0.0; 3], [0.0, 0.0, 1.0], 1.0, 2.0).unwrap();
        let x = c.segment_exit(&Point3::new(0.0, 0.0, 1.0), &Point3::new(3.0, 0.0, 1.0));
        assert!((x - Point3::new(1.0, 0.0, 1.0)).norm() < 1e-12);
        let x = c.segment_exit(&Point3::new(0.0, 0.0, 1.0), &Point3::new(0.0, 0.0, 5.0));
        assert!((x - Point3::new(0.0, 0.0, 2.0)).norm() < 1e-12);
        // Bisection fallback when the start is not inside still lands on the boundary.
        let x = c.segment_exit(&Point3::new(3.0, 0.0, 1.0), &Point3::new(0.0, 0.0, 1.0));
        assert!((x - Point3::new(1.0, 0.0, 1.0)).norm() < 2e-9);
    }

    #[test]
    fn intervals_snap_and_touch() {
        let b = Domain::new_box([0.0; 3], [10.0; 3]).unwrap();
        // Lying in a face: whole segment.
        let iv = b.inside_intervals(&Point3::new(10.0, 0.0, 2.0), &Point3::new(10.0, 2.0, 2.0));
        assert_eq!(iv, vec![[0.0, 1.0]]);
        // Leaving from a face node: zero-length interval at 0.
        let iv = b.inside_intervals(&Point3::new(10.0, 2.0, 2.0), &Point3::new(12.0, 2.0, 2.0));
        assert_eq!(iv, vec![[0.0, 0.0]]);
        // Outside entirely.
        let iv = b.inside_intervals(&Point3::new(11.0, 2.0, 2.0), &Point3::new(12.0, 2.0, 2.0));
        assert!(iv.is_empty());
    }
}
