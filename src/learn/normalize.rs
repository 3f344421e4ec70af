//! Min–max normalization, fitted on the training split and saved with the weights
//! (`normalizers.json`).
//!
//! Each feature `x` maps to `(x − min) / (max − min)`, so the training split spans `[0, 1]`;
//! a constant feature maps with a span of 1.

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// Per-feature min–max scaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinMax {
    /// Per-feature minimum over the fitted rows.
    pub min: Vec<f64>,
    /// Per-feature maximum over the fitted rows.
    pub max: Vec<f64>,
}

impl MinMax {
    /// Fits on rows of equal length.
    ///
    /// # Panics
    /// When there are no rows or their lengths differ (caller bug).
    #[track_caller]
    pub fn fit<'a>(rows: impl IntoIterator<Item = &'a [f64]>) -> MinMax {
        let mut it = rows.into_iter();
        let first = it.next().expect("min-max fit needs at least one row");
        let mut min = first.to_vec();
        let mut max = first.to_vec();
        for r in it {
            assert_eq!(r.len(), min.len(), "rows of different lengths");
            for (k, &x) in r.iter().enumerate() {
                min[k] = min[k].min(x);
                max[k] = max[k].max(x);
            }
        }
        MinMax { min, max }
    }

    /// A scaling with fixed bounds.
    pub fn from_bounds(min: Vec<f64>, max: Vec<f64>) -> MinMax {
        MinMax { min, max }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.min.len()
    }

    /// Whether there are no features.
    pub fn is_empty(&self) -> bool {
        self.min.is_empty()
    }

    /// `max − min`, or 1 for a constant feature.
    pub fn span(&self, k: usize) -> f64 {
        let s = self.max[k] - self.min[k];
        if s > 0.0 && s.is_finite() { s } else { 1.0 }
    }

    /// Scales one value of feature `k`.
    pub fn apply_one(&self, k: usize, x: f64) -> f64 {
        (x - self.min[k]) / self.span(k)
    }

    /// Inverse of [`Self::apply_one`].
    pub fn invert_one(&self, k: usize, y: f64) -> f64 {
        y * self.span(k) + self.min[k]
    }

    /// Scales a row in place.
    #[track_caller]
    pub fn apply(&self, row: &mut [f64]) {
        assert_eq!(row.len(), self.len(), "row length");
        for (k, x) in row.iter_mut().enumerate() {
            *x = self.apply_one(k, *x);
        }
    }

    /// Unscales a row in place.
    #[track_caller]
    pub fn invert(&self, row: &mut [f64]) {
        assert_eq!(row.len(), self.len(), "row length");
        for (k, y) in row.iter_mut().enumerate() {
            *y = self.invert_one(k, *y);
        }
    }

    /// The scaling as tensors on `device` for use inside networks.
    pub fn tensors(&self, device: &Device) -> MinMaxTensors {
        let n = self.len();
        let min: Vec<f32> = self.min.iter().map(|&v| v as f32).collect();
        let span: Vec<f32> = (0..n).map(|k| self.span(k) as f32).collect();
        MinMaxTensors {
            min: Tensor::from_data(TensorData::new(min, [1, n]), device),
            span: Tensor::from_data(TensorData::new(span, [1, n]), device),
        }
    }
}

/// [`MinMax`] as `[1, n]` tensors (broadcast over the batch).
#[derive(Debug, Clone)]
pub struct MinMaxTensors {
    min: Tensor<2>,
    span: Tensor<2>,
}

impl MinMaxTensors {
    /// `[batch, n]` physical → `[batch, n]` normalized.
    pub fn apply(&self, x: Tensor<2>) -> Tensor<2> {
        (x - self.min.clone()) / self.span.clone()
    }

    /// `[batch, n]` normalized → `[batch, n]` physical.
    pub fn invert(&self, y: Tensor<2>) -> Tensor<2> {
        y * self.span.clone() + self.min.clone()
    }
}

/// All scalings of the networks' inputs and outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalizers {
    /// `[ρ, U1, U2, U3]`.
    pub rho_u: MinMax,
    /// `[V1, V2, V3]`.
    pub v: MinMax,
    /// The 9 orthotropic constants of the `U·X` cell (F1's output).
    pub c_ort: MinMax,
    /// The 21 constants of the `U·X` cell rotated by `R_I` (F2's stiffness input).
    pub c_rot: MinMax,
    /// Ĉ, the 21 constants of the `V·R_I·U·X` cell (F2's output).
    pub c_hat: MinMax,
    /// C, the 21 constants of the full design (G's input and loss).
    pub c: MinMax,
}

/// [`Normalizers`] as tensors on one device.
#[derive(Debug, Clone)]
pub struct NormalizerTensors {
    /// See [`Normalizers::rho_u`].
    pub rho_u: MinMaxTensors,
    /// See [`Normalizers::v`].
    pub v: MinMaxTensors,
    /// See [`Normalizers::c_ort`].
    pub c_ort: MinMaxTensors,
    /// See [`Normalizers::c_rot`].
    pub c_rot: MinMaxTensors,
    /// See [`Normalizers::c_hat`].
    pub c_hat: MinMaxTensors,
    /// See [`Normalizers::c`].
    pub c: MinMaxTensors,
}

impl Normalizers {
    /// All scalings as tensors on `device`.
    pub fn tensors(&self, device: &Device) -> NormalizerTensors {
        NormalizerTensors {
            rho_u: self.rho_u.tensors(device),
            v: self.v.tensors(device),
            c_ort: self.c_ort.tensors(device),
            c_rot: self.c_rot.tensors(device),
            c_hat: self.c_hat.tensors(device),
            c: self.c.tensors(device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_identity() {
        let rows: Vec<Vec<f64>> = (0..50)
            .map(|i| {
                let x = i as f64;
                vec![x * 1e-4, -3.0 + x.sin(), 7.0, 1e-6 * x * x]
            })
            .collect();
        let mm = MinMax::fit(rows.iter().map(|r| r.as_slice()));
        assert_eq!(mm.span(2), 1.0, "constant feature has unit span");
        for r in &rows {
            let mut y = r.clone();
            mm.apply(&mut y);
            assert!(y.iter().all(|v| (-1e-12..=1.0 + 1e-12).contains(v)));
            mm.invert(&mut y);
            for (a, b) in y.iter().zip(r) {
                assert!((a - b).abs() <= 1e-12 + 1e-12 * b.abs(), "{a} vs {b}");
            }
        }
        // Tensor version agrees (f32).
        let device = Device::flex();
        let t = mm.tensors(&device);
        let flat: Vec<f32> = rows.iter().flatten().map(|&v| v as f32).collect();
        let x = Tensor::<2>::from_data(TensorData::new(flat.clone(), [50, 4]), &device);
        let back: Vec<f32> = t.invert(t.apply(x)).into_data().try_into_vec().unwrap();
        for (a, b) in back.iter().zip(&flat) {
            assert!((a - b).abs() <= 1e-6 + 1e-5 * b.abs(), "{a} vs {b}");
        }
    }
}
