//! Network sizes and training settings: serde `*Config` structs with defaults, saved as JSON
//! beside the weights (`forward.json`, `inverse.json`).

use serde::{Deserialize, Serialize};

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// `x · sigmoid(x)` (default: smooth, so the inverse model gets smooth gradients through F).
    #[default]
    Silu,
}

/// A multilayer perceptron: `depth` hidden layers of `width` units, then a linear output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    /// Units per hidden layer (default 256).
    pub width: usize,
    /// Hidden layers (default 4).
    pub depth: usize,
    /// Hidden activation (default SiLU).
    pub activation: Activation,
}

impl Default for MlpConfig {
    fn default() -> Self {
        MlpConfig {
            width: 256,
            depth: 4,
            activation: Activation::Silu,
        }
    }
}

/// The forward (surrogate) model F = (F1, F2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ForwardConfig {
    /// F1: `[ρ, U, topology]` → the 9 orthotropic constants of the `U·X` cell.
    pub f1: MlpConfig,
    /// F2: `[R_I-rotated orthotropic stiffness (21), V]` → Ĉ (21) of the `V·R_I·U·X` cell.
    pub f2: MlpConfig,
    /// Also feed F2 the design inputs `[ρ, U, topology histogram, R_I]` (default false, as in
    /// the paper, where F2 sees only the rotated stiffness and V; on 240k rows the extra inputs
    /// did not lower F2's validation loss over the first 10 epochs).
    #[serde(default)]
    pub f2_sees_design: bool,
    /// Also feed F2 the stretched geometry: the strut-length-weighted fourth moment of the
    /// strut directions of the `V·R_I·U·X` cell ([`super::geometry`], 21 inputs), which
    /// carries where the struts point after the stretch `V` (default false: the paper's F2).
    #[serde(default)]
    pub f2_sees_geometry: bool,
}

impl ForwardConfig {
    /// Width of F2's input under this configuration.
    pub fn f2_inputs(&self) -> usize {
        let mut n = super::forward::F2_INPUT;
        if self.f2_sees_design {
            n += super::forward::F2_DESIGN_INPUTS;
        }
        if self.f2_sees_geometry {
            n += super::geometry::GEOMETRY_FEATURES;
        }
        n
    }
}

/// The inverse model G = (G1, G2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InverseConfig {
    /// G1: C (21) → topology logits (7, 7, 7, 2, 2, 2).
    pub g1: MlpConfig,
    /// G2: `[topology one-hots (27), C (21)]` → ρ, U, V, two 6D rotations (19 outputs).
    pub g2: MlpConfig,
    /// Gumbel-softmax temperature at the first training epoch (default 1.0).
    pub tau_start: f64,
    /// Gumbel-softmax temperature at the last training epoch (default 0.3), annealed
    /// geometrically in between.
    pub tau_end: f64,
}

impl Default for InverseConfig {
    fn default() -> Self {
        InverseConfig {
            g1: MlpConfig::default(),
            g2: MlpConfig::default(),
            tau_start: 1.0,
            tau_end: 0.3,
        }
    }
}

/// Optimization settings shared by all training stages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Maximum epochs per stage (default 40).
    pub epochs: usize,
    /// Mini-batch size (default 512).
    pub batch: usize,
    /// Seed of initialization, shuffling and Gumbel noise (default 0).
    pub seed: u64,
    /// Adam learning rate at the start; cosine-decayed to `lr · lr_floor` (default 2e-3).
    pub lr: f64,
    /// Final learning rate as a fraction of `lr` (default 0.02).
    pub lr_floor: f64,
    /// Stop a stage after this many epochs without a better validation loss (default 6).
    pub patience: usize,
    /// Percent of rows held out for validation (default 10).
    pub validation_percent: u32,
    /// Percent of rows held out for the final test (default 10).
    pub test_percent: u32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 40,
            batch: 512,
            seed: 0,
            lr: 2e-3,
            lr_floor: 0.02,
            patience: 6,
            validation_percent: 10,
            test_percent: 10,
        }
    }
}

impl TrainConfig {
    /// The learning rate of `epoch` (0-based) of `epochs`: cosine from `lr` to `lr·lr_floor`.
    pub fn learning_rate(&self, epoch: usize) -> f64 {
        let t = if self.epochs <= 1 {
            0.0
        } else {
            epoch as f64 / (self.epochs - 1) as f64
        };
        let floor = self.lr * self.lr_floor;
        floor + (self.lr - floor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
    }
}
