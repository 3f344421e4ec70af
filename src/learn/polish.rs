//! Surrogate polishing: gradient descent through the forward model F on the continuous
//! parameters of proposed designs (ρ, U, V, R_I, R_II; the topology stays fixed), minimizing the
//! squared relative Frobenius error of the 4th-order tensors between F's stiffness and the
//! target (all 21 constants).
//!
//! This is what a differentiable surrogate gives that a lookup table cannot: G's proposal (or
//! any design) is moved continuously towards the target at the cost of a few hundred batched
//! F evaluations, before the FE model verifies it. The parameters are those of G2's output
//! layer — ρ, U and V as logits of sigmoids scaled to their ranges (so every iterate is a valid
//! design) and each rotation as the 6D representation mapped to SO(3) by Gram–Schmidt — so a
//! polished design is exactly something G could have proposed.
//!
//! The result is only as good as F (its NMSE against FE on held-out designs has median ≈ 0.06,
//! see `models/MODEL_CARD.md`); the FE verification and the optional FE refinement of
//! [`crate::inverse`] decide what the design really does.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::LearnError;
use super::data::DesignFeatures;
use super::inverse::{G2_OUTPUT, decode_geometry};
use super::model_files::{Models, proposal_designs};
use crate::design_space::{DENSITY_RANGE, Design, STRETCH_RANGE};
use crate::mechanics::frobenius_weights;

/// Settings of [`Models::polish`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolishOptions {
    /// Adam steps (default 300).
    pub steps: usize,
    /// Adam learning rate on the unconstrained parameters (logits and 6D vectors; default
    /// 0.05).
    pub learning_rate: f64,
}

impl Default for PolishOptions {
    fn default() -> Self {
        Self {
            steps: 300,
            learning_rate: 0.05,
        }
    }
}

/// Per-constant weights of the squared relative Frobenius error on the 21 constants:
/// `w_k = m_k / ‖C*‖²` with `m_k` the constant's multiplicity in the 4th-order tensor
/// ([`frobenius_weights`]), so the weighted squared error is exactly
/// `relative_frobenius(C*, C)²`: every constant counts, couplings the target lacks included.
pub(crate) fn objective_weights(target: &[f64; 21]) -> [f64; 21] {
    let m = frobenius_weights();
    let norm: f64 = target.iter().zip(&m).map(|(t, m)| m * t * t).sum();
    let norm = norm.max(f64::MIN_POSITIVE);
    m.map(|m| m / norm)
}

/// The inverse of a sigmoid scaled to `(lo, hi)`, kept a little inside the range so the logit
/// is finite and its gradient is not vanishing.
fn logit_in(x: f64, (lo, hi): (f64, f64)) -> f32 {
    let p = ((x - lo) / (hi - lo)).clamp(1e-3, 1.0 - 1e-3);
    (p / (1.0 - p)).ln() as f32
}

/// G2's raw output layout `[logit ρ, logit U (3), logit V (3), 6D R_I, 6D R_II]` for a design:
/// the 6D representation is the first two columns of the rotation matrix.
fn raw_parameters(f: &DesignFeatures) -> [f32; G2_OUTPUT] {
    let mut o = [0f32; G2_OUTPUT];
    o[0] = logit_in(f.rho_u[0], DENSITY_RANGE);
    for k in 0..3 {
        o[1 + k] = logit_in(f.rho_u[1 + k], STRETCH_RANGE);
        o[4 + k] = logit_in(f.v[k], STRETCH_RANGE);
    }
    for (offset, r) in [(7, &f.r1), (13, &f.r2)] {
        for row in 0..3 {
            o[offset + row] = r[3 * row] as f32;
            o[offset + 3 + row] = r[3 * row + 1] as f32;
        }
    }
    o
}

/// Designs with the topologies of `features` and the geometry of G2-layout raw parameters
/// (`[n × 19]`, row-major).
fn designs_from_raw(features: &[DesignFeatures], raw: Vec<f32>, device: &Device) -> Vec<Design> {
    let (rho_u, v, r1, r2) = decode_geometry(matrix(raw, G2_OUTPUT, device));
    let topology = matrix(
        features.iter().flat_map(|f| f.one_hot()).collect(),
        27,
        device,
    );
    proposal_designs(topology, rho_u, v, r1, r2)
}

fn matrix(values: Vec<f32>, columns: usize, device: &Device) -> Tensor<2> {
    let rows = values.len() / columns;
    Tensor::from_data(TensorData::new(values, [rows, columns]), device)
}

impl Models {
    /// Polishes each of `starts` against `target` (21 constants, normalized by E) by `steps`
    /// Adam steps on F's relative Frobenius error, all designs in one batch. Returns, per start, the iterate with
    /// the lowest surrogate relative Frobenius error (the start itself when no step improved on it) — same
    /// topology, parameters in range, unit rotation axes.
    ///
    /// # Errors
    /// [`LearnError::BadTarget`] for a non-finite target; [`LearnError::Design`] for a start
    /// with a zero or non-finite rotation axis.
    pub fn polish(
        &self,
        target: &[f64; 21],
        starts: &[Design],
        options: &PolishOptions,
    ) -> Result<Vec<Design>, LearnError> {
        let targets = vec![*target; starts.len()];
        self.polish_each(&targets, starts, options)
    }

    /// As [`Self::polish`] with one target per start (`targets[i]` for `starts[i]`), in
    /// batches of 4096 designs: for evaluating many targets at once.
    ///
    /// # Errors
    /// As [`Self::polish`].
    ///
    /// # Panics
    /// If `targets` and `starts` differ in length.
    pub fn polish_each(
        &self,
        targets: &[[f64; 21]],
        starts: &[Design],
        options: &PolishOptions,
    ) -> Result<Vec<Design>, LearnError> {
        assert_eq!(targets.len(), starts.len(), "one target per start");
        if let Some(index) = targets
            .iter()
            .position(|t| t.iter().any(|v| !v.is_finite()))
        {
            return Err(LearnError::BadTarget { index });
        }
        let mut out = Vec::with_capacity(starts.len());
        for (t, s) in targets.chunks(4096).zip(starts.chunks(4096)) {
            out.extend(self.polish_batch(t, s, options)?);
        }
        Ok(out)
    }

    fn polish_batch(
        &self,
        targets: &[[f64; 21]],
        starts: &[Design],
        options: &PolishOptions,
    ) -> Result<Vec<Design>, LearnError> {
        let features: Vec<DesignFeatures> = starts
            .iter()
            .map(DesignFeatures::of)
            .collect::<Result<_, _>>()?;
        let n = features.len();
        let plain = self.device.clone();
        let ad = plain.clone().autodiff();
        let forward = self.forward.clone().train().no_grad();
        let norms = self.normalizers.tensors(&ad);
        let ops = super::rotation::VoigtOps::new(&ad);
        let topology = matrix(features.iter().flat_map(|f| f.one_hot()).collect(), 27, &ad);
        let weights = matrix(
            targets
                .iter()
                .flat_map(|t| objective_weights(t).map(|w| w as f32))
                .collect(),
            21,
            &ad,
        );
        let goal = matrix(
            targets.iter().flat_map(|t| t.map(|v| v as f32)).collect(),
            21,
            &ad,
        );
        let mut x: Vec<f32> = features.iter().flat_map(raw_parameters).collect();
        let mut best = x.clone();
        let mut best_loss = vec![f32::INFINITY; n];
        let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let lr = options.learning_rate as f32;
        let mut m = vec![0f32; x.len()];
        let mut v = vec![0f32; x.len()];
        for step in 0..=options.steps {
            let raw = matrix(x.clone(), G2_OUTPUT, &ad).require_grad();
            let (rho_u, stretch_v, r1, r2) = decode_geometry(raw.clone());
            let batch = super::forward::DesignBatch {
                rho_u: norms.rho_u.apply(rho_u),
                topology: topology.clone(),
                r1,
                v: norms.v.apply(stretch_v),
                r2,
            };
            let c = forward.chain(&norms, &ops, batch).c_physical;
            let per_design = ((c - goal.clone()).square() * weights.clone()).sum_dim(1);
            let losses: Vec<f32> = per_design
                .clone()
                .into_data()
                .try_into_vec::<f32>()
                .expect("f32 losses");
            for (i, &l) in losses.iter().enumerate() {
                if l.is_finite() && l < best_loss[i] {
                    best_loss[i] = l;
                    best[i * G2_OUTPUT..(i + 1) * G2_OUTPUT]
                        .copy_from_slice(&x[i * G2_OUTPUT..(i + 1) * G2_OUTPUT]);
                }
            }
            if step == options.steps {
                break;
            }
            let grads = per_design.sum().backward();
            let Some(g) = raw.grad(&grads) else { break };
            let g: Vec<f32> = g.into_data().try_into_vec::<f32>().expect("f32 grads");
            let t = (step + 1) as i32;
            let (c1, c2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
            for k in 0..x.len() {
                let gk = if g[k].is_finite() { g[k] } else { 0.0 };
                m[k] = beta1 * m[k] + (1.0 - beta1) * gk;
                v[k] = beta2 * v[k] + (1.0 - beta2) * gk * gk;
                x[k] -= lr * (m[k] / c1) / ((v[k] / c2).sqrt() + eps);
            }
        }
        Ok(designs_from_raw(&features, best, &plain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{row_rng, sample_design};
    use crate::design_space::{AxisAngle, RangePolicy};
    use crate::learn::DeviceChoice;
    use crate::mechanics::{Stiffness, nmse};

    fn rotation(a: &AxisAngle) -> nalgebra::Matrix3<f64> {
        a.matrix("R").unwrap()
    }

    #[test]
    fn raw_parameters_decode_to_the_same_design() {
        let device = Device::flex();
        let designs: Vec<Design> = (0..20).map(|i| sample_design(&mut row_rng(3, i))).collect();
        let features: Vec<DesignFeatures> = designs
            .iter()
            .map(|d| DesignFeatures::of(d).unwrap())
            .collect();
        let raw = features.iter().flat_map(raw_parameters).collect();
        let decoded = designs_from_raw(&features, raw, &device);
        for (d, e) in designs.iter().zip(&decoded) {
            assert_eq!(d.topology, e.topology);
            // The logit is clamped 1e-3 inside the range; f32 elsewhere.
            assert!((d.relative_density - e.relative_density).abs() < 1.5e-4);
            for k in 0..3 {
                assert!((d.u[k] - e.u[k]).abs() < 2e-3, "U {:?} vs {:?}", d.u, e.u);
                assert!((d.v[k] - e.v[k]).abs() < 2e-3, "V {:?} vs {:?}", d.v, e.v);
            }
            assert!((rotation(&d.r1) - rotation(&e.r1)).amax() < 1e-5);
            assert!((rotation(&d.r2) - rotation(&e.r2)).amax() < 1e-5);
        }
    }

    /// A design's own surrogate stiffness is a target F reaches exactly (NMSE 0 at that
    /// design), so polishing a perturbed copy must get most of the way back.
    #[test]
    fn polish_recovers_the_surrogate_stiffness_of_a_perturbed_design() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let models = Models::load(&dir, DeviceChoice::Cpu).unwrap();
        let originals: Vec<Design> = (0..4).map(|i| sample_design(&mut row_rng(21, i))).collect();
        for original in &originals {
            let target = models.predict(std::slice::from_ref(original)).unwrap()[0];
            let mut start = original.clone();
            start.relative_density = (start.relative_density * 1.4).min(0.1);
            start.u[0] = (start.u[0] * 0.8).max(0.5);
            start.v[2] = (start.v[2] * 1.2).min(2.0);
            start.r2.angle_deg += 12.0;
            let polished = models
                .polish(&target, &[start.clone()], &PolishOptions::default())
                .unwrap()
                .remove(0);
            let goal = Stiffness::voigt_from_constants(&target);
            let score = |d: &Design| {
                let c = models.predict(std::slice::from_ref(d)).unwrap()[0];
                nmse(&goal, &Stiffness::voigt_from_constants(&c))
            };
            let (before, after) = (score(&start), score(&polished));
            assert!(after < 0.1 * before, "surrogate NMSE {before} -> {after}");
            assert_eq!(polished.topology, start.topology);
            polished.validate(RangePolicy::Strict).unwrap();
        }
    }

    #[test]
    fn weights_reproduce_the_relative_frobenius_error() {
        let mut t: [f64; 21] = std::array::from_fn(|k| 0.01 + 0.003 * k as f64 - 0.002);
        t[3] = 0.0; // a coupling the target lacks still counts
        let p: [f64; 21] = std::array::from_fn(|k| t[k] * (1.0 + 0.05 * (k as f64).sin()) + 1e-3);
        let w = objective_weights(&t);
        let weighted: f64 = (0..21).map(|k| w[k] * (p[k] - t[k]).powi(2)).sum();
        let direct = crate::mechanics::relative_frobenius(
            &Stiffness::voigt_from_constants(&t),
            &Stiffness::voigt_from_constants(&p),
        )
        .powi(2);
        assert!(
            (weighted - direct).abs() < 1e-12 * direct.max(1e-30),
            "{weighted} vs {direct}"
        );
        assert!(w[3] > 0.0);
    }
}
