//! The inverse networks of [`crate::learn`] as a [`Proposer`].

use super::{InverseError, Proposer};
use crate::design_space::{Design, LatticeChoice, Topology};
use crate::learn::Models;

/// Proposals from the trained inverse model G, each pre-scored by the forward surrogate F:
/// `samples` Gumbel-softmax draws of G1's topology with G2's geometry, plus (by default) a
/// sweep of G2's geometry for every one of the 560 topology multisets. G1 is confident, so its
/// draws rarely leave a few complex topologies; the sweep lets simpler ones compete on F's
/// score, which matters when the chosen design must also be printable at a given cell size.
pub struct NetworkProposer {
    models: Models,
    sweep: Option<Vec<Topology>>,
}

impl NetworkProposer {
    /// Wraps loaded models (they must include the inverse model), with the topology sweep.
    pub fn new(models: Models) -> Self {
        let choices: Vec<LatticeChoice> = LatticeChoice::all().collect();
        let mut sweep = Vec::new();
        for (i, &a) in choices.iter().enumerate() {
            for (j, &b) in choices.iter().enumerate().skip(i) {
                for &c in &choices[j..] {
                    sweep.push(Topology::try_new(&[a, b, c]).expect("valid choices"));
                }
            }
        }
        Self {
            models,
            sweep: Some(sweep),
        }
    }

    /// Without the topology sweep: G1's draws only (the paper's method).
    pub fn without_sweep(mut self) -> Self {
        self.sweep = None;
        self
    }
}

impl Proposer for NetworkProposer {
    fn name(&self) -> &str {
        "network"
    }

    fn propose(
        &self,
        target: &[f64; 21],
        samples: usize,
        temperature: f64,
        seed: u64,
    ) -> Result<Vec<(Design, [f64; 21])>, InverseError> {
        let err = |e: crate::learn::LearnError| InverseError::Proposer(e.to_string());
        let mut designs = self
            .models
            .propose(&[*target], samples, temperature, seed)
            .map_err(err)?
            .pop()
            .unwrap_or_default();
        if let Some(sweep) = &self.sweep {
            designs.extend(
                self.models
                    .propose_for_topologies(target, sweep)
                    .map_err(err)?,
            );
        }
        let predicted = self.models.predict(&designs).map_err(err)?;
        Ok(designs.into_iter().zip(predicted).collect())
    }
}
