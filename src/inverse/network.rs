//! The inverse networks of [`crate::learn`] as a [`Proposer`].

use super::{InverseError, Proposer};
use crate::design_space::Design;
use crate::learn::Models;

/// Proposals from the trained inverse model G (Gumbel-softmax topology + geometry), each
/// pre-scored by the forward surrogate F.
pub struct NetworkProposer {
    models: Models,
}

impl NetworkProposer {
    /// Wraps loaded models (they must include the inverse model).
    pub fn new(models: Models) -> Self {
        Self { models }
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
        let designs = self
            .models
            .propose(&[*target], samples, temperature, seed)
            .map_err(err)?
            .pop()
            .unwrap_or_default();
        let predicted = self.models.predict(&designs).map_err(err)?;
        Ok(designs.into_iter().zip(predicted).collect())
    }
}
