//! Inverse design: for a target stiffness, propose truss cells, verify each by finite
//! elements, optionally refine, and rank by FE NMSE (DESIGN.md §6).
//!
//! Proposals come from a [`Proposer`]: the lookup-table baseline ([`LookupTable`], the paper's
//! SI 3.G) or the inverse networks of `learn`. Nothing leaves this module with a surrogate-only
//! stiffness: every returned candidate carries its FE stiffness.

mod lookup;
mod network;
mod reach;
mod refine;

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

pub use lookup::LookupTable;
pub use network::NetworkProposer;
pub use reach::{Reach, SOFTEST_MAX_EIGENVALUE, STIFFEST_PER_DENSITY, reach, reach_message};
pub use refine::{fe_nmse, nelder_mead, refine, refine_where};

use crate::design_space::{Design, Material, unit_graph};
use crate::fem::{FemOptions, Homogenizer};
use crate::mechanics::{Stiffness, Voigt, nmse, relative_frobenius};

/// Why inverse design failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InverseError {
    /// A dataset for the lookup table is malformed.
    #[error("{}{}: {message}", path.display(), if *line > 0 { format!(" line {line}") } else { String::new() })]
    Dataset {
        /// The file.
        path: PathBuf,
        /// 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The proposer failed.
    #[error("proposing designs failed: {0}")]
    Proposer(String),
    /// No proposed design passed the caller's filter (e.g. printability).
    #[error(
        "none of the {0} proposed designs is acceptable (printable within the manufacturing \
         limits at the allowed cell size)"
    )]
    NothingAccepted(usize),
    /// No proposed design could be verified by FE.
    #[error("none of the {0} proposed designs could be homogenized")]
    NothingVerified(usize),
}

/// Something that proposes designs for a target: each with the stiffness it predicts for it
/// (normalized by E), used to pre-rank before FE verification.
pub trait Proposer {
    /// A short name for reports (`lookup`, `network`).
    fn name(&self) -> &str;
    /// Up to `samples` designs for `target` (21 normalized constants).
    ///
    /// # Errors
    /// [`InverseError::Proposer`] with the cause.
    fn propose(
        &self,
        target: &[f64; 21],
        samples: usize,
        temperature: f64,
        seed: u64,
    ) -> Result<Vec<(Design, [f64; 21])>, InverseError>;
}

impl Proposer for LookupTable {
    fn name(&self) -> &str {
        "lookup"
    }

    fn propose(
        &self,
        target: &[f64; 21],
        samples: usize,
        _: f64,
        _: u64,
    ) -> Result<Vec<(Design, [f64; 21])>, InverseError> {
        Ok(self.nearest(target, samples))
    }
}

/// Options of [`design_for_target`].
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DesignOptions {
    /// Proposals drawn per target (default 1000).
    pub samples: usize,
    /// Gumbel-softmax temperature of the network proposer (default 1.0): topologies are drawn
    /// from `softmax(logits / τ)`; larger τ gives more distinct topologies.
    pub temperature: f64,
    /// Distinct-topology candidates kept and FE-verified (default 5).
    pub top: usize,
    /// Refine each candidate's continuous parameters against the FE model (default false).
    pub refine: bool,
    /// FE solves per refined candidate (default 400).
    pub refine_evaluations: usize,
    /// Seed of the proposer (default 0).
    pub seed: u64,
    /// Finite-element options.
    #[serde(skip)]
    pub fem: FemOptions,
}

impl Default for DesignOptions {
    fn default() -> Self {
        Self {
            samples: 1000,
            temperature: 1.0,
            top: 5,
            refine: false,
            refine_evaluations: 400,
            seed: 0,
            fem: FemOptions::default(),
        }
    }
}

/// One FE-verified candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The design (after refinement when `refined`).
    pub design: Design,
    /// NMSE of the proposer's predicted stiffness against the target.
    pub surrogate_nmse: f64,
    /// NMSE of the FE stiffness against the target (of the returned design).
    pub fe_nmse: f64,
    /// NMSE of the FE stiffness before refinement.
    pub fe_nmse_unrefined: f64,
    /// Relative Frobenius error of the FE stiffness (4th-order tensors).
    pub fe_rel_frobenius: f64,
    /// FE stiffness, normalized by E (Voigt 6×6).
    pub fe_stiffness_voigt: [[f64; 6]; 6],
    /// Whether the design was refined against the FE model.
    pub refined: bool,
}

fn rows(m: &Voigt) -> [[f64; 6]; 6] {
    std::array::from_fn(|i| std::array::from_fn(|j| m[(i, j)]))
}

/// Proposes, pre-ranks by the proposer's own stiffness, keeps the `top` best distinct
/// topologies, FE-verifies (and optionally refines) each in parallel, and returns them ranked
/// by FE NMSE, best first.
///
/// # Errors
/// [`InverseError::Proposer`], or [`InverseError::NothingVerified`] if no proposal survives
/// the FE model.
pub fn design_for_target(
    target: &Stiffness,
    material: &Material,
    proposer: &dyn Proposer,
    options: &DesignOptions,
) -> Result<Vec<Candidate>, InverseError> {
    design_for_target_where(target, material, proposer, options, &|_| true)
}

/// As [`design_for_target`], keeping only designs that `accept` (e.g. printable at the cell
/// size): proposals are filtered before the top-k selection, and a refined design that
/// `accept` rejects is replaced by its unrefined start.
///
/// # Errors
/// As [`design_for_target`]; [`InverseError::NothingVerified`] also when `accept` rejects
/// every proposal.
pub fn design_for_target_where(
    target: &Stiffness,
    material: &Material,
    proposer: &dyn Proposer,
    options: &DesignOptions,
    accept: &(dyn Fn(&Design) -> bool + Sync),
) -> Result<Vec<Candidate>, InverseError> {
    let constants = target.to_constants();
    let proposals = proposer.propose(
        &constants,
        options.samples,
        options.temperature,
        options.seed,
    )?;
    let n = proposals.len();
    let mut scored: Vec<(f64, Design)> = proposals
        .into_iter()
        .map(|(d, c)| {
            (
                nmse(
                    target.voigt(),
                    &crate::mechanics::Stiffness::voigt_from_constants(&c),
                ),
                d,
            )
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut kept: Vec<(f64, Design)> = Vec::new();
    for (score, design) in scored {
        if kept.len() == options.top {
            break;
        }
        if !accept(&design) {
            continue;
        }
        let graph = unit_graph(&design.topology);
        if kept.iter().all(|(_, k)| *unit_graph(&k.topology) != *graph) {
            kept.push((score, design));
        }
    }
    if kept.is_empty() {
        return Err(InverseError::NothingAccepted(n));
    }
    let mut candidates: Vec<Candidate> = kept
        .into_par_iter()
        .filter_map(|(surrogate_nmse, design)| {
            let mut fem = Homogenizer::new(options.fem);
            let (before, stiffness) = fe_nmse(&design, target, material, &mut fem);
            let mut stiffness = stiffness?;
            let mut design = design;
            let mut after = before;
            if options.refine {
                let refined = refine_where(
                    &design,
                    target,
                    material,
                    &mut fem,
                    options.refine_evaluations,
                    accept,
                );
                if accept(&refined)
                    && let (e, Some(s)) = fe_nmse(&refined, target, material, &mut fem)
                    && e < before
                {
                    design = refined;
                    stiffness = s;
                    after = e;
                }
            }
            Some(Candidate {
                design,
                surrogate_nmse,
                fe_nmse: after,
                fe_nmse_unrefined: before,
                fe_rel_frobenius: relative_frobenius(target.voigt(), stiffness.voigt()),
                fe_stiffness_voigt: rows(stiffness.voigt()),
                refined: options.refine,
            })
        })
        .collect();
    if candidates.is_empty() {
        return Err(InverseError::NothingVerified(n));
    }
    candidates.sort_by(|a, b| a.fe_nmse.total_cmp(&b.fe_nmse));
    Ok(candidates)
}

#[cfg(test)]
mod tests;
