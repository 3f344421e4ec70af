//! The forward (surrogate) networks F1 and F2 and the differentiable chain
//! `design → C` (Bastek et al., PNAS 2022, doi:10.1073/pnas.2111505119, Fig. 2).
//!
//! F1 maps `[ρ, U1..3]` (normalized) and the topology to the 9 orthotropic constants of the
//! `U·X` cell. The topology arrives in the paper's one-hot layout (S1..S3 × 7, t1..t3 × 2,
//! see [`super::gumbel::TOPOLOGY_GROUPS`]) and is pooled inside F1 into a 14-bin histogram over
//! the (lattice, tessellation) choices: superposition does not depend on the order of the three
//! choices, so neither does F. The constants are unscaled, rotated by `R_I` (Voigt, in tensor
//! ops), rescaled and passed with `V` to F2, which predicts Ĉ (21) of the `V·R_I·U·X` cell;
//! rotating Ĉ by `R_II` gives C.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{relu, silu};
use burn::tensor::{Device, Tensor};

use super::config::{Activation, ForwardConfig, MlpConfig};
use super::gumbel::TOPOLOGY_WIDTH;
use super::normalize::NormalizerTensors;
use super::rotation::VoigtOps;

/// Width of F1's input after pooling: `[ρ, U1, U2, U3]` + 14 topology bins.
pub const F1_INPUT: usize = 4 + 14;
/// Width of F2's input: rotated orthotropic stiffness (21) + `V` (3).
pub const F2_INPUT: usize = 21 + 3;
/// Inputs F2 gets in addition with [`ForwardConfig::f2_sees_design`]: `[ρ, U]` (4), the
/// topology histogram (14) and `R_I` (9).
pub const F2_DESIGN_INPUTS: usize = 4 + 14 + 9;

/// A multilayer perceptron with a linear output layer.
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
}

impl Mlp {
    /// A freshly initialized network `inputs → outputs`.
    pub fn new(config: &MlpConfig, inputs: usize, outputs: usize, device: &Device) -> Mlp {
        let mut layers = Vec::with_capacity(config.depth + 1);
        let mut d = inputs;
        for _ in 0..config.depth {
            layers.push(LinearConfig::new(d, config.width).init(device));
            d = config.width;
        }
        layers.push(LinearConfig::new(d, outputs).init(device));
        Mlp {
            layers,
            activation: config.activation,
        }
    }

    /// # Shapes
    /// `[batch, inputs]` → `[batch, outputs]`
    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = match self.activation {
                    Activation::Relu => relu(x),
                    Activation::Silu => silu(x),
                };
            }
        }
        x
    }
}

/// F = (F1, F2).
#[derive(Module, Debug)]
pub struct ForwardModel {
    /// `[ρ, U, topology histogram]` → 9 orthotropic constants (normalized).
    pub f1: Mlp,
    /// `[rotated orthotropic (21, normalized), V (normalized)]` (+ design inputs, see
    /// [`ForwardConfig::f2_sees_design`]) → Ĉ (21, normalized).
    pub f2: Mlp,
    #[module(skip)]
    f2_sees_design: bool,
    #[module(skip)]
    f2_sees_geometry: bool,
}

impl ForwardModel {
    /// Freshly initialized networks.
    pub fn new(config: &ForwardConfig, device: &Device) -> ForwardModel {
        ForwardModel {
            f1: Mlp::new(&config.f1, F1_INPUT, 9, device),
            f2: Mlp::new(&config.f2, config.f2_inputs(), 21, device),
            f2_sees_design: config.f2_sees_design,
            f2_sees_geometry: config.f2_sees_geometry,
        }
    }

    /// Assembles trained networks.
    pub fn from_parts(config: &ForwardConfig, f1: Mlp, f2: Mlp) -> ForwardModel {
        ForwardModel {
            f1,
            f2,
            f2_sees_design: config.f2_sees_design,
            f2_sees_geometry: config.f2_sees_geometry,
        }
    }
}

/// Pools the 27-wide one-hot layout into the 14 (lattice, tessellation) bins: bin
/// `2·lattice + (tessellation − 1)` counts the slots holding that choice.
///
/// # Shapes
/// `[batch, 27]` → `[batch, 14]`
pub fn topology_histogram(onehot: Tensor<2>) -> Tensor<2> {
    let [b, w] = onehot.dims();
    assert_eq!(w, TOPOLOGY_WIDTH, "topology layout width");
    let s = onehot.clone().narrow(1, 0, 21).reshape([b, 3, 7, 1]);
    let t = onehot.narrow(1, 21, 6).reshape([b, 3, 1, 2]);
    (s * t).sum_dim(1).reshape([b, 14])
}

/// The inputs of the chain for a batch of designs (all on one device).
#[derive(Debug, Clone)]
pub struct DesignBatch {
    /// `[batch, 4]`: `[ρ, U1, U2, U3]`, normalized.
    pub rho_u: Tensor<2>,
    /// `[batch, 27]`: topology one-hots.
    pub topology: Tensor<2>,
    /// `[batch, 3, 3]`: `R_I`.
    pub r1: Tensor<3>,
    /// `[batch, 3]`: `V`, normalized.
    pub v: Tensor<2>,
    /// `[batch, 3, 3]`: `R_II`.
    pub r2: Tensor<3>,
}

/// What the chain predicts, all normalized by [`super::normalize::Normalizers`].
#[derive(Debug, Clone)]
pub struct ChainOutput {
    /// `[batch, 9]` orthotropic constants (F1).
    pub c_ort: Tensor<2>,
    /// `[batch, 21]` Ĉ (F2).
    pub c_hat: Tensor<2>,
    /// `[batch, 21]` C = Ĉ rotated by `R_II`, physical (normalized by E only).
    pub c_physical: Tensor<2>,
    /// `[batch, 21]` C, min–max normalized.
    pub c: Tensor<2>,
}

impl ForwardModel {
    /// F1 alone.
    ///
    /// # Shapes
    /// `rho_u: [batch, 4]`, `topology: [batch, 27]` → `[batch, 9]`
    pub fn f1(&self, rho_u: Tensor<2>, topology: Tensor<2>) -> Tensor<2> {
        self.f1
            .forward(Tensor::cat(vec![rho_u, topology_histogram(topology)], 1))
    }

    /// Whether F2 also sees the design inputs.
    pub fn f2_sees_design(&self) -> bool {
        self.f2_sees_design
    }

    /// F2's stiffness input from F1's output: unscale, rotate by `R_I`, rescale.
    ///
    /// # Shapes
    /// `c_ort: [batch, 9]`, `r1: [batch, 3, 3]` → `[batch, 21]`
    pub fn rotated_orthotropic(
        norms: &NormalizerTensors,
        ops: &VoigtOps,
        c_ort: Tensor<2>,
        r1: Tensor<3>,
    ) -> Tensor<2> {
        let c21 = ops.embed_orthotropic(norms.c_ort.invert(c_ort));
        norms.c_rot.apply(ops.rotate(c21, r1))
    }

    /// Whether F2 also sees the stretched geometry ([`super::geometry`]).
    pub fn f2_sees_geometry(&self) -> bool {
        self.f2_sees_geometry
    }

    /// The whole chain `design → C`.
    pub fn chain(
        &self,
        norms: &NormalizerTensors,
        ops: &VoigtOps,
        batch: DesignBatch,
    ) -> ChainOutput {
        let [b, _] = batch.rho_u.dims();
        let hist = topology_histogram(batch.topology.clone());
        let c_ort = self.f1(batch.rho_u.clone(), batch.topology.clone());
        let c_rot = Self::rotated_orthotropic(norms, ops, c_ort.clone(), batch.r1.clone());
        let mut f2_in = vec![c_rot, batch.v.clone()];
        if self.f2_sees_design {
            f2_in.extend([
                batch.rho_u.clone(),
                hist.clone(),
                batch.r1.clone().reshape([b, 9]),
            ]);
        }
        if self.f2_sees_geometry {
            f2_in.push(stretched_geometry(norms, ops, &batch, hist));
        }
        let c_hat = self.f2.forward(Tensor::cat(f2_in, 1));
        let c_physical = ops.rotate(norms.c_hat.invert(c_hat.clone()), batch.r2);
        let c = norms.c.apply(c_physical.clone());
        ChainOutput {
            c_ort,
            c_hat,
            c_physical,
            c,
        }
    }
}

/// The stretched moment of the batch's designs: `A = V·R_I·U` from the unnormalized `U` and
/// `V`, the lattices from the topology histogram.
///
/// # Shapes
/// `hist: [batch, 14]` → `[batch, 21]`
pub(crate) fn stretched_geometry(
    norms: &NormalizerTensors,
    ops: &VoigtOps,
    batch: &DesignBatch,
    hist: Tensor<2>,
) -> Tensor<2> {
    let [b, _] = hist.dims();
    let u = norms.rho_u.invert(batch.rho_u.clone()).narrow(1, 1, 3);
    let v = norms.v.invert(batch.v.clone());
    let a = v.reshape([b, 3, 1]) * batch.r1.clone() * u.reshape([b, 1, 3]);
    super::geometry::stretched_moment_tensor(ops, hist, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn histogram_is_order_invariant() {
        let device = Device::flex();
        // Slots (lattice, tessellation): (3,2), (0,1), (3,2) in two orders.
        let layout = |slots: [(usize, usize); 3]| {
            let mut v = vec![0f32; 27];
            for (s, (l, t)) in slots.iter().enumerate() {
                v[s * 7 + l] = 1.0;
                v[21 + s * 2 + (t - 1)] = 1.0;
            }
            v
        };
        let a = layout([(3, 2), (0, 1), (3, 2)]);
        let b = layout([(0, 1), (3, 2), (3, 2)]);
        let x = Tensor::<2>::from_data(TensorData::new([a, b].concat(), [2, 27]), &device);
        let h: Vec<f32> = topology_histogram(x).into_data().try_into_vec().unwrap();
        assert_eq!(h[..14], h[14..]);
        assert_eq!(h[2 * 3 + 1], 2.0);
        assert_eq!(h[0], 1.0);
        assert_eq!(h[..14].iter().sum::<f32>(), 3.0);
    }
}
