//! Straight-through Gumbel-softmax sampling of categorical choices (Jang et al., ICLR 2017,
//! arXiv:1611.01144).
//!
//! The forward value is an exact one-hot of `argmax(logits + g)` (g ~ Gumbel(0, 1)); the
//! gradient is that of `softmax((logits + g) / τ)`.

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;

/// The topology's categorical groups in the networks' one-hot layout:
/// S1, S2, S3 (7 lattices each), then t1, t2, t3 (tessellation 1 or 2).
pub const TOPOLOGY_GROUPS: [usize; 6] = [7, 7, 7, 2, 2, 2];

/// Width of the topology one-hot layout (27).
pub const TOPOLOGY_WIDTH: usize = 27;

/// Gumbel noise `g = −ln(−ln u)` from uniforms `u ∈ (0, 1)`.
pub fn gumbel_noise(uniform: Tensor<2>) -> Tensor<2> {
    uniform.clamp(1e-10, 1.0 - 1e-7).log().neg().log().neg()
}

/// Uniform `(0, 1)` samples from a seeded generator, as a tensor.
pub fn uniform(rows: usize, cols: usize, rng: &mut impl Rng, device: &Device) -> Tensor<2> {
    let v: Vec<f32> = (0..rows * cols).map(|_| rng.random::<f32>()).collect();
    Tensor::from_data(TensorData::new(v, [rows, cols]), device)
}

/// The soft sample `softmax((logits + noise) / τ)` of one group.
///
/// # Shapes
/// `[batch, k]` → `[batch, k]`
pub fn soft_sample(logits: Tensor<2>, noise: Tensor<2>, tau: f64) -> Tensor<2> {
    softmax((logits + noise).div_scalar(tau), 1)
}

/// Straight-through sample of one group: one-hot forward, soft gradient backward.
///
/// # Shapes
/// `[batch, k]` → `[batch, k]`
pub fn straight_through(logits: Tensor<2>, noise: Tensor<2>, tau: f64) -> Tensor<2> {
    let [_, k] = logits.dims();
    let soft = soft_sample(logits, noise, tau);
    let hard = one_hot_argmax(soft.clone(), k);
    hard - soft.clone().detach() + soft
}

/// One-hot of the row-wise argmax.
///
/// # Shapes
/// `[batch, k]` → `[batch, k]`
pub fn one_hot_argmax(x: Tensor<2>, k: usize) -> Tensor<2> {
    let idx = x.detach().argmax(1).squeeze_dim::<1>(1);
    idx.one_hot::<2>(k).float()
}

/// Samples every group of the topology layout.
///
/// # Shapes
/// `logits, noise: [batch, 27]` → `[batch, 27]`; `noise` = `None` samples the mode (argmax).
pub fn sample_topology(logits: Tensor<2>, noise: Option<Tensor<2>>, tau: f64) -> Tensor<2> {
    let mut parts = Vec::with_capacity(TOPOLOGY_GROUPS.len());
    let mut at = 0;
    for &k in &TOPOLOGY_GROUPS {
        let l = logits.clone().narrow(1, at, k);
        let n = match &noise {
            Some(n) => n.clone().narrow(1, at, k),
            None => l.zeros_like(),
        };
        parts.push(straight_through(l, n, tau));
        at += k;
    }
    Tensor::cat(parts, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rows(t: Tensor<2>) -> Vec<Vec<f32>> {
        let [b, k] = t.dims();
        let v: Vec<f32> = t.into_data().try_into_vec().unwrap();
        (0..b).map(|i| v[i * k..(i + 1) * k].to_vec()).collect()
    }

    #[test]
    fn forward_is_one_hot_and_gradients_flow() {
        let device = Device::flex().autodiff();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let (b, k) = (32, 7);
        let logits: Vec<f32> = (0..b * k).map(|_| rng.random_range(-2.0..2.0)).collect();
        let logits =
            Tensor::<2>::from_data(TensorData::new(logits, [b, k]), &device).require_grad();
        let noise = gumbel_noise(uniform(b, k, &mut rng, &device));
        let y = straight_through(logits.clone(), noise, 0.7);
        for r in rows(y.clone()) {
            assert_eq!(r.iter().filter(|&&v| (v - 1.0).abs() < 1e-6).count(), 1);
            assert_eq!(r.iter().filter(|&&v| v.abs() < 1e-6).count(), k - 1);
        }
        let w: Vec<f32> = (0..b * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let w = Tensor::<2>::from_data(TensorData::new(w, [b, k]), &device);
        let grads = (y * w).sum().backward();
        let g: Vec<f32> = logits
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_into_vec()
            .unwrap();
        let nonzero = g.iter().filter(|v| v.abs() > 1e-6).count();
        assert!(nonzero > b * k / 2, "only {nonzero} non-zero gradients");
    }

    #[test]
    fn small_temperature_collapses_to_argmax() {
        let device = Device::flex();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let (b, k) = (20, 7);
        let l: Vec<f32> = (0..b * k).map(|_| rng.random_range(-2.0..2.0)).collect();
        let logits = Tensor::<2>::from_data(TensorData::new(l.clone(), [b, k]), &device);
        let noise = gumbel_noise(uniform(b, k, &mut rng, &device));
        let perturbed = rows(logits.clone() + noise.clone());
        let soft = rows(soft_sample(logits.clone(), noise, 1e-4));
        for (p, s) in perturbed.iter().zip(&soft) {
            let am = (0..k)
                .max_by(|&a, &c| p[a].partial_cmp(&p[c]).unwrap())
                .unwrap();
            assert!(
                (s[am] - 1.0).abs() < 1e-3,
                "soft sample {s:?} not one-hot at {am}"
            );
        }
        // Without noise, the sample of every group is the argmax of its logits.
        let full: Vec<f32> = (0..b * TOPOLOGY_WIDTH)
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let t = Tensor::<2>::from_data(TensorData::new(full.clone(), [b, TOPOLOGY_WIDTH]), &device);
        let s = rows(sample_topology(t, None, 1e-3));
        for (i, r) in s.iter().enumerate() {
            let mut at = 0;
            for &g in &TOPOLOGY_GROUPS {
                let row = &full[i * TOPOLOGY_WIDTH + at..i * TOPOLOGY_WIDTH + at + g];
                let am = (0..g)
                    .max_by(|&a, &c| row[a].partial_cmp(&row[c]).unwrap())
                    .unwrap();
                assert_eq!(r[at + am], 1.0);
                at += g;
            }
        }
    }
}
