//! The inverse networks G1 and G2 (Bastek et al., PNAS 2022, doi:10.1073/pnas.2111505119).
//!
//! G1 maps a normalized stiffness C (21) to topology logits in the layout of
//! [`super::gumbel::TOPOLOGY_GROUPS`], sampled by straight-through Gumbel-softmax. G2 maps
//! `[topology one-hots, C]` to ρ and U, V (sigmoids scaled to
//! [`DENSITY_RANGE`] and [`STRETCH_RANGE`], so every output is in range) and two 6D rotations
//! mapped to SO(3) by Gram–Schmidt.

use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use super::config::InverseConfig;
use super::forward::{DesignBatch, Mlp};
use super::gumbel::{TOPOLOGY_WIDTH, sample_topology};
use super::normalize::NormalizerTensors;
use super::rotation::rotation_from_6d;
use crate::design_space::{DENSITY_RANGE, STRETCH_RANGE};

/// G2's outputs: ρ, U (3), V (3), 6D R_I, 6D R_II.
pub const G2_OUTPUT: usize = 1 + 3 + 3 + 6 + 6;

/// G = (G1, G2).
#[derive(Module, Debug)]
pub struct InverseModel {
    /// C (21, normalized) → topology logits (27).
    pub g1: Mlp,
    /// `[topology (27), C (21)]` → 19 raw design outputs.
    pub g2: Mlp,
}

/// A batch of proposed designs as tensors (physical ρ, U, V).
#[derive(Debug, Clone)]
pub struct Proposal {
    /// `[batch, 27]` topology logits.
    pub logits: Tensor<2>,
    /// `[batch, 27]` sampled one-hots (straight-through).
    pub topology: Tensor<2>,
    /// `[batch, 4]` `[ρ, U1, U2, U3]`, in the design-space ranges.
    pub rho_u: Tensor<2>,
    /// `[batch, 3]` `V`, in the stretch range.
    pub v: Tensor<2>,
    /// `[batch, 3, 3]` `R_I`.
    pub r1: Tensor<3>,
    /// `[batch, 3, 3]` `R_II`.
    pub r2: Tensor<3>,
}

fn scaled_sigmoid(x: Tensor<2>, (lo, hi): (f64, f64)) -> Tensor<2> {
    sigmoid(x).mul_scalar(hi - lo).add_scalar(lo)
}

impl InverseModel {
    /// Freshly initialized networks.
    pub fn new(config: &InverseConfig, device: &Device) -> InverseModel {
        InverseModel {
            g1: Mlp::new(&config.g1, 21, TOPOLOGY_WIDTH, device),
            g2: Mlp::new(&config.g2, TOPOLOGY_WIDTH + 21, G2_OUTPUT, device),
        }
    }

    /// Proposes designs for normalized targets; `noise` = Gumbel noise `[batch, 27]` or `None`
    /// for the most likely topology.
    ///
    /// # Shapes
    /// `c: [batch, 21]` → [`Proposal`] with `batch` rows
    pub fn propose(&self, c: Tensor<2>, noise: Option<Tensor<2>>, tau: f64) -> Proposal {
        let logits = self.g1.forward(c.clone());
        let topology = sample_topology(logits.clone(), noise, tau);
        self.geometry(logits, topology, c)
    }

    /// G2 alone: the geometry for given topology one-hots (`[batch, 27]`) and normalized
    /// targets (`[batch, 21]`); `logits` are passed through to the [`Proposal`].
    pub fn geometry(&self, logits: Tensor<2>, topology: Tensor<2>, c: Tensor<2>) -> Proposal {
        let o = self.g2.forward(Tensor::cat(vec![topology.clone(), c], 1));
        let (rho_u, v, r1, r2) = decode_geometry(o);
        Proposal {
            logits,
            topology,
            rho_u,
            v,
            r1,
            r2,
        }
    }
}

/// G2's raw outputs `[batch, 19]` = `[ρ, U (3), V (3), 6D R_I, 6D R_II]` (unconstrained) as a
/// design: `[ρ, U]` `[batch, 4]` and `V` `[batch, 3]` through sigmoids scaled to
/// [`DENSITY_RANGE`] and [`STRETCH_RANGE`], rotations `[batch, 3, 3]` by Gram–Schmidt.
pub fn decode_geometry(o: Tensor<2>) -> (Tensor<2>, Tensor<2>, Tensor<3>, Tensor<3>) {
    let rho = scaled_sigmoid(o.clone().narrow(1, 0, 1), DENSITY_RANGE);
    let u = scaled_sigmoid(o.clone().narrow(1, 1, 3), STRETCH_RANGE);
    let v = scaled_sigmoid(o.clone().narrow(1, 4, 3), STRETCH_RANGE);
    let r1 = rotation_from_6d(o.clone().narrow(1, 7, 6));
    let r2 = rotation_from_6d(o.narrow(1, 13, 6));
    (Tensor::cat(vec![rho, u], 1), v, r1, r2)
}

impl Proposal {
    /// The proposal as input of the forward chain (normalizing ρ, U and V).
    pub fn design_batch(&self, norms: &NormalizerTensors) -> DesignBatch {
        DesignBatch {
            rho_u: norms.rho_u.apply(self.rho_u.clone()),
            topology: self.topology.clone(),
            r1: self.r1.clone(),
            v: norms.v.apply(self.v.clone()),
            r2: self.r2.clone(),
        }
    }
}
