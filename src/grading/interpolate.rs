//! Step 2: the lattice field `A(x)`, interpolated in reciprocal space.
//!
//! With the aligned primitive cells `A_i` (columns = lattice vectors, mm) of the control points,
//! `B_i = A_i^{-T}` (its columns are the reciprocal vectors: the normals of the lattice planes,
//! scaled by the plane density, 1/mm) and
//!
//! `B(x) = Σ_i w_i(x) B_i`, `A(x) = B(x)^{-T}`.
//!
//! Interpolating plane densities rather than edges blends cell sizes harmonically: halfway
//! between cells of spacing 1 and 1/3 the spacing is 1/2, not 2/3.
//!
//! **Weights** ([`WeightKind`]) are modified Shepard weights over the `k` nearest control points
//! (Franke & Nielson 1980, doi:10.1002/nme.1620151110), found with an rstar tree:
//! with `d_i` the distances and `R` the distance of the `(k+1)`-th nearest point (∞ if there
//! are at most `k` points), `w̃_i = ((R − d_i)₊ / (R d_i))^p` for inverse-distance weights and
//! `w̃_i = exp(−d_i²/(2σ²)) · ((R − d_i)₊ / (R d_i))²` for Gaussian-tapered ones; `w = w̃ / Σ w̃`.
//! They are non-negative, sum to one, equal exactly 1 at their own control point (0 for the
//! others there), are continuous where the neighbour set changes (a point leaving the `k`
//! nearest has weight 0 at that moment) and, for `p > 1`, flat at the control points.
//!
//! **Cores** ([`DesignField::with_cores`]): the weights are taken on the distance to each
//! point's core `p_i + A_i[−κ_i, κ_i]³` (measured in the point's own cells, scaled to mm), so a
//! point's weight is exactly 1 inside its core and the blend happens between cores.
//!
//! **Degeneracy**: the volume ratio `r = det B(x) / (Σ_i w_i (det B_i)^{1/3})³` must stay above
//! [`super::GradingOptions::min_volume_ratio`]. It compares the blended reciprocal cell with
//! the blend of the neighbours' linear sizes, so it is exactly 1 when the cells differ only in
//! size (`B_i = c_i B`) and ≥ 1 for compatible (e.g. symmetric positive definite) cells; it
//! drops towards 0 (or below) when the cells being averaged point in incompatible directions
//! (det → 0 means the cell volume `det A(x)` blows up). Below the limit
//! [`GradingError::DegenerateInterpolation`] names the position and the control points
//! involved.

use nalgebra::{Matrix3, Point3};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};

use super::GradingError;

/// How the blend weights decay with distance (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum WeightKind {
    /// Modified Shepard weights `((R − d)₊/(R d))^power`; `power > 0`, 2 is usual (smooth,
    /// flat at the control points).
    InverseDistance {
        /// The exponent p (dimensionless).
        power: f64,
    },
    /// Shepard weights of power 2 tapered by a Gaussian of standard deviation `width_mm`.
    Gaussian {
        /// The Gaussian's standard deviation σ, mm (> 0).
        width_mm: f64,
    },
}

impl Default for WeightKind {
    fn default() -> Self {
        Self::InverseDistance { power: 2.0 }
    }
}

/// The interpolated lattice field over the control points.
#[derive(Debug, Clone)]
pub struct DesignField {
    ids: Vec<String>,
    positions: Vec<[f64; 3]>,
    lattices: Vec<Matrix3<f64>>,
    reciprocal: Vec<Matrix3<f64>>,
    /// `(det B_i)^{1/3}`.
    reciprocal_det: Vec<f64>,
    tree: RTree<GeomWithData<[f64; 3], usize>>,
    weight: WeightKind,
    neighbours: usize,
    min_volume_ratio: f64,
    cores: Option<Cores>,
}

/// Core half-widths and what the core distance needs (see [`DesignField::with_cores`]).
#[derive(Debug, Clone)]
struct Cores {
    /// `κ_i`, in cells of point `i`.
    half_widths: Vec<f64>,
    /// `A_i⁻¹`, 1/mm.
    inverse: Vec<Matrix3<f64>>,
    /// `(det A_i)^{1/3}`, mm.
    scale: Vec<f64>,
    /// `δ_i ≥ slope · |x − p_i| − offset` for every point (for the nearest-point search).
    slope: f64,
    offset: f64,
}

impl DesignField {
    /// A field through the control points `positions` (mm) with primitive cells `lattices`
    /// (columns, mm; right-handed), using the `neighbours` nearest points.
    ///
    /// # Errors
    /// [`GradingError::InvalidOption`] for a bad weight parameter or `neighbours == 0`,
    /// [`GradingError::DegenerateInterpolation`] for a singular or left-handed cell.
    ///
    /// # Panics
    /// If the slices differ in length.
    #[track_caller]
    pub fn new(
        ids: Vec<String>,
        positions: Vec<[f64; 3]>,
        lattices: Vec<Matrix3<f64>>,
        weight: WeightKind,
        neighbours: usize,
        min_volume_ratio: f64,
    ) -> Result<Self, GradingError> {
        assert!(ids.len() == positions.len() && ids.len() == lattices.len());
        match weight {
            WeightKind::InverseDistance { power } if !(power.is_finite() && power > 0.0) => {
                return Err(GradingError::InvalidOption {
                    field: "weight.power",
                    value: power.to_string(),
                    reason: "must be a finite number > 0 (2 is usual)",
                });
            }
            WeightKind::Gaussian { width_mm } if !(width_mm.is_finite() && width_mm > 0.0) => {
                return Err(GradingError::InvalidOption {
                    field: "weight.width_mm",
                    value: width_mm.to_string(),
                    reason: "must be a finite length > 0 mm",
                });
            }
            _ => {}
        }
        if neighbours == 0 {
            return Err(GradingError::InvalidOption {
                field: "neighbours",
                value: "0".into(),
                reason: "at least 1 neighbour is needed",
            });
        }
        let mut reciprocal = Vec::with_capacity(lattices.len());
        for (i, a) in lattices.iter().enumerate() {
            let det = a.determinant();
            let b = a.try_inverse().filter(|_| det > 0.0).ok_or_else(|| {
                GradingError::DegenerateInterpolation {
                    position: positions[i],
                    volume_ratio: det,
                    points: vec![ids[i].clone()],
                }
            })?;
            reciprocal.push(b.transpose());
        }
        let reciprocal_det = reciprocal.iter().map(|b| b.determinant().cbrt()).collect();
        let tree = RTree::bulk_load(
            positions
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(*p, i))
                .collect(),
        );
        Ok(Self {
            ids,
            positions,
            lattices,
            reciprocal,
            reciprocal_det,
            tree,
            weight,
            neighbours,
            min_volume_ratio,
            cores: None,
        })
    }

    /// The same field with a core around every control point: `half_widths[i] = κ_i` (in cells
    /// of point `i`; 0 for a point without a core, which keeps the Euclidean distance). The distance of `x` to point `i` becomes the distance to its core,
    /// `δ_i(x) = (det A_i)^{1/3} · (‖A_i⁻¹ (x − p_i)‖_∞ − κ_i)₊` (mm, 0 inside the core
    /// `p_i + A_i[−κ_i, κ_i]³`), and the Shepard weights are taken on `δ`: inside a core its
    /// point's weight is exactly 1. Cores must not overlap (see `cores.rs`).
    ///
    /// # Panics
    /// If `half_widths` does not have one entry per control point.
    #[track_caller]
    #[must_use]
    pub fn with_cores(mut self, half_widths: Vec<f64>) -> Self {
        assert_eq!(half_widths.len(), self.len(), "one core per control point");
        let inverse: Vec<Matrix3<f64>> = self.reciprocal.iter().map(|b| b.transpose()).collect();
        let scale: Vec<f64> = self
            .lattices
            .iter()
            .map(|a| a.determinant().cbrt())
            .collect();
        // ‖u‖_∞ ≥ ‖u‖₂/√3 ≥ |x − p| / (√3 ‖A‖_F).
        let slope = (0..self.len())
            .map(|i| scale[i] / (3f64.sqrt() * self.lattices[i].norm()))
            .fold(1.0, f64::min);
        let offset = (0..self.len())
            .map(|i| scale[i] * half_widths[i])
            .fold(0.0, f64::max);
        self.cores = Some(Cores {
            half_widths,
            inverse,
            scale,
            slope,
            offset,
        });
        self
    }

    /// Core half-widths `κ_i` (cells), if the field has cores.
    pub fn core_half_widths(&self) -> Option<&[f64]> {
        self.cores.as_ref().map(|c| c.half_widths.as_slice())
    }

    /// Whether `x` (mm) lies on the boundary of a core (within a relative 1e-9 of its
    /// half-width): nodes there are kept so the core stays a whole block of cells.
    pub fn on_core_boundary(&self, x: [f64; 3]) -> bool {
        let Some(c) = &self.cores else {
            return false;
        };
        // A single point's "core" is the whole lattice: nothing to keep apart.
        if self.len() < 2 {
            return false;
        }
        (0..self.len()).any(|i| {
            let k = c.half_widths[i];
            k > 0.0 && {
                let d = Point3::from(x) - Point3::from(self.positions[i]);
                ((c.inverse[i] * d).amax() - k).abs() <= 1e-9 * k
            }
        })
    }

    /// The distance (mm) from `x` to point `i` (its core's, when the field has cores).
    fn distance(&self, i: usize, x: [f64; 3]) -> f64 {
        let d = Point3::from(x) - Point3::from(self.positions[i]);
        match &self.cores {
            None => d.norm(),
            // A point without a core (κ = 0) keeps the Euclidean distance.
            Some(c) if c.half_widths[i] == 0.0 => d.norm(),
            Some(c) => {
                let m = (c.inverse[i] * d).amax();
                let k = c.half_widths[i];
                if m <= k * (1.0 + 1e-9) {
                    0.0
                } else {
                    (m - k) * c.scale[i]
                }
            }
        }
    }

    /// The `count` nearest control points to `x` by [`Self::distance`], as `(distance, index)`
    /// sorted (ties: lower index first).
    fn nearest_by_distance(&self, x: [f64; 3], count: usize) -> Vec<(f64, usize)> {
        let mut near: Vec<(f64, usize)> = Vec::with_capacity(count + 1);
        let by = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        match &self.cores {
            None => {
                near.extend(
                    self.tree
                        .nearest_neighbor_iter_with_distance_2(x)
                        .take(count)
                        .map(|(g, d2)| (d2.sqrt(), g.data)),
                );
            }
            Some(c) => {
                for (g, d2) in self.tree.nearest_neighbor_iter_with_distance_2(x) {
                    // Every later point is at least this far from its core.
                    let bound = c.slope * d2.sqrt() - c.offset;
                    if near.len() >= count && bound > near[count - 1].0 {
                        break;
                    }
                    near.push((self.distance(g.data, x), g.data));
                    near.sort_by(by);
                }
                near.truncate(count);
            }
        }
        near.sort_by(by);
        near
    }

    /// Number of control points.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no control points.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Control point ids, in input order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Control point positions, mm.
    pub fn positions(&self) -> &[[f64; 3]] {
        &self.positions
    }

    /// The aligned primitive cells `A_i` (columns, mm).
    pub fn lattices(&self) -> &[Matrix3<f64>] {
        &self.lattices
    }

    /// The indices of the `k` nearest control points to `x` (mm), nearest first (ties: lower
    /// index first).
    pub fn nearest(&self, x: [f64; 3], k: usize) -> Vec<usize> {
        let mut near: Vec<(f64, usize)> = self
            .tree
            .nearest_neighbor_iter_with_distance_2(x)
            .take(k)
            .map(|(g, d2)| (d2, g.data))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        near.into_iter().map(|(_, i)| i).collect()
    }

    /// The non-zero blend weights at `x` (mm) as `(control point index, weight)`, sorted by
    /// index; they sum to 1.
    pub fn weights(&self, x: [f64; 3]) -> Vec<(usize, f64)> {
        let k = self.neighbours.min(self.ids.len());
        let mut near = self.nearest_by_distance(x, k + 1);
        if let Some(&(d, i)) = near.first()
            && d == 0.0
        {
            return vec![(i, 1.0)];
        }
        let r = if near.len() > k {
            near[k].0
        } else {
            f64::INFINITY
        };
        near.truncate(k);
        let (power, width) = match self.weight {
            WeightKind::InverseDistance { power } => (power, None),
            WeightKind::Gaussian { width_mm } => (2.0, Some(width_mm)),
        };
        // Work relative to the nearest distance to avoid under/overflow for large powers.
        let d0 = near[0].0;
        let mut w: Vec<(usize, f64)> = near
            .iter()
            .map(|&(d, i)| {
                let shep = if r.is_finite() {
                    ((r - d).max(0.0) / r) * (d0 / d)
                } else {
                    d0 / d
                };
                let taper = width.map_or(1.0, |s| (-(d * d - d0 * d0) / (2.0 * s * s)).exp());
                (i, shep.powf(power) * taper)
            })
            .collect();
        let total: f64 = w.iter().map(|(_, v)| v).sum();
        if total.is_finite() && total > 0.0 {
            for (_, v) in &mut w {
                *v /= total;
            }
        } else {
            // All weights vanished (the k nearest are equidistant with the next): share equally.
            let n = w.len() as f64;
            for (_, v) in &mut w {
                *v = 1.0 / n;
            }
        }
        w.retain(|(_, v)| *v > 0.0);
        w.sort_by_key(|(i, _)| *i);
        w
    }

    /// `A(x)` (columns, mm) from given weights.
    ///
    /// # Errors
    /// [`GradingError::DegenerateInterpolation`] (see the module docs).
    pub fn lattice_with(
        &self,
        x: [f64; 3],
        w: &[(usize, f64)],
    ) -> Result<Matrix3<f64>, GradingError> {
        let mut b = Matrix3::zeros();
        let mut blend_det = 0.0;
        for &(i, wi) in w {
            b += self.reciprocal[i] * wi;
            blend_det += wi * self.reciprocal_det[i];
        }
        let ratio = b.determinant() / blend_det.powi(3);
        let degenerate = || GradingError::DegenerateInterpolation {
            position: x,
            volume_ratio: ratio,
            points: w.iter().map(|&(i, _)| self.ids[i].clone()).collect(),
        };
        if !(ratio.is_finite() && ratio >= self.min_volume_ratio) {
            return Err(degenerate());
        }
        Ok(b.try_inverse().ok_or_else(degenerate)?.transpose())
    }

    /// `A(x)` (columns, mm) at `x` (mm).
    ///
    /// # Errors
    /// [`GradingError::DegenerateInterpolation`] (see the module docs).
    pub fn lattice(&self, x: [f64; 3]) -> Result<Matrix3<f64>, GradingError> {
        self.lattice_with(x, &self.weights(x))
    }

    /// Checks the field along the segment between every control point and its `k` nearest
    /// neighbours at `samples` interior points each.
    ///
    /// # Errors
    /// The first [`GradingError::DegenerateInterpolation`] found.
    pub fn check_segments(&self, samples: usize) -> Result<(), GradingError> {
        for i in 0..self.len() {
            for j in self.nearest(self.positions[i], self.neighbours + 1) {
                if j <= i {
                    continue;
                }
                let (a, b) = (
                    Point3::from(self.positions[i]),
                    Point3::from(self.positions[j]),
                );
                for s in 1..=samples {
                    let t = s as f64 / (samples + 1) as f64;
                    let x = a + (b - a) * t;
                    self.lattice(x.into())?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(lattices: Vec<Matrix3<f64>>, positions: Vec<[f64; 3]>, w: WeightKind) -> DesignField {
        let ids = (0..lattices.len()).map(|i| format!("p{i}")).collect();
        DesignField::new(ids, positions, lattices, w, 4, 0.1).unwrap()
    }

    #[test]
    fn harmonic_mean_spacing_halfway() {
        let f = field(
            vec![Matrix3::identity(), Matrix3::identity() / 3.0],
            vec![[0.0; 3], [10.0, 0.0, 0.0]],
            WeightKind::default(),
        );
        let w = f.weights([5.0, 0.0, 0.0]);
        assert_eq!(w.len(), 2);
        assert!((w[0].1 - 0.5).abs() < 1e-15 && (w[1].1 - 0.5).abs() < 1e-15);
        let a = f.lattice([5.0, 0.0, 0.0]).unwrap();
        // Harmonic mean of 1 and 1/3 is 1/2 (the arithmetic mean would be 2/3).
        assert!((a - Matrix3::identity() * 0.5).norm() < 1e-14, "{a}");
        // Exactly the control cells at the control points.
        assert_eq!(f.lattice([0.0; 3]).unwrap(), Matrix3::identity());
        assert!((f.lattice([10.0, 0.0, 0.0]).unwrap() - Matrix3::identity() / 3.0).norm() < 1e-15);
    }

    #[test]
    fn weights_sum_to_one_are_interpolating_and_continuous() {
        let positions: Vec<[f64; 3]> = (0..9)
            .map(|i| {
                let t = i as f64;
                [3.0 * (t * 1.7).sin() + t, 2.0 * (t * 0.9).cos(), 1.5 * t]
            })
            .collect();
        let lattices = vec![Matrix3::identity(); positions.len()];
        for kind in [
            WeightKind::InverseDistance { power: 2.0 },
            WeightKind::InverseDistance { power: 3.0 },
            WeightKind::Gaussian { width_mm: 4.0 },
        ] {
            let f = field(lattices.clone(), positions.clone(), kind);
            for (i, p) in positions.iter().enumerate() {
                assert_eq!(f.weights(*p), vec![(i, 1.0)]);
            }
            // Along a line through the cloud: sum to one, and no jumps between close samples.
            let mut prev: Option<Vec<f64>> = None;
            for s in 0..=4000 {
                let t = s as f64 / 4000.0;
                let x = [-1.0 + 12.0 * t, 0.3, -1.0 + 14.0 * t];
                let w = f.weights(x);
                let sum: f64 = w.iter().map(|v| v.1).sum();
                assert!((sum - 1.0).abs() < 1e-12);
                let mut dense = vec![0.0; positions.len()];
                for (i, v) in w {
                    assert!(v > 0.0);
                    dense[i] = v;
                }
                if let Some(p) = prev {
                    let jump = p
                        .iter()
                        .zip(&dense)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    assert!(jump < 0.02, "{kind:?}: weight jump {jump} at t = {t}");
                }
                prev = Some(dense);
            }
        }
    }

    #[test]
    fn opposite_orientations_are_degenerate_between_the_points() {
        let rot180 = Matrix3::from_diagonal(&nalgebra::Vector3::new(-1.0, -1.0, 1.0));
        let f = field(
            vec![Matrix3::identity(), rot180],
            vec![[0.0; 3], [10.0, 0.0, 0.0]],
            WeightKind::default(),
        );
        let err = f.check_segments(9).unwrap_err();
        match &err {
            GradingError::DegenerateInterpolation {
                position,
                points,
                volume_ratio,
            } => {
                assert_eq!(points, &vec!["p0".to_string(), "p1".to_string()]);
                assert!(position[0] > 3.0 && position[0] < 7.0, "{position:?}");
                assert!(*volume_ratio < 0.1);
            }
            e => panic!("unexpected {e}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("p0") && msg.contains("p1"), "{msg}");
    }
}
