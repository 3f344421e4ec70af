//! Inverse design: for a target stiffness, propose truss cells, verify each by finite
//! elements, optionally refine, and rank by the FE relative Frobenius error of the 4th-order
//! tensors (all 21 constants; Eq. 8's NMSE is reported beside it).
//!
//! Proposals come from a [`Proposer`]: the lookup-table baseline ([`LookupTable`], the paper's
//! SI 3.G) or the inverse networks of `learn` with the [`ShapeTable`]'s starts. Nothing leaves
//! this module with a surrogate-only stiffness: every returned candidate carries its FE
//! stiffness.
//!
//! The funnel of [`design_for_target_printable`], cheapest first:
//! 1. **pre-rank** every proposal by the distance of its predicted stiffness's rotation
//!    invariants to the target's (orientation comes later for free, so it must not count
//!    here); keep the best [`DesignOptions::screen`] distinct printable topologies, plus the
//!    shape table's starts;
//! 2. **verify and orient**: one FE solve each, then the rotation that best aligns the FE
//!    stiffness with the target ([`oriented`]; exact, no further solve);
//! 3. with `refine`: a **shortlist** of the best [`DesignOptions::shortlist`] gets two
//!    Levenberg–Marquardt steps, the best [`DesignOptions::top`] are refined to convergence
//!    ([`refine_where`]);
//! 4. **rank** by FE relative Frobenius error, one candidate per topology, printable ones only;
//!    among those within [`DesignOptions::equal_accuracy`] of the best, the one that prints at
//!    the smallest cell first.

mod exhaustive;
mod lookup;
mod network;
mod reach;
mod refine;
mod shapes;

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

pub use exhaustive::{ExhaustiveOptions, TopologyOptimum, distinct_topologies, exhaustive_search};
pub use lookup::LookupTable;
pub use network::NetworkProposer;
pub use reach::{Reach, SOFTEST_MAX_EIGENVALUE, STIFFEST_PER_DENSITY, reach, reach_message};
pub use refine::{fe_errors, fe_stiffness, oriented, refine, refine_where, turned};
pub use shapes::{SHAPE_TABLE, ShapeTable, shape_of};

use crate::design_space::{Design, Material, unit_graph};
use crate::fem::{FemOptions, Homogenizer};
use crate::mechanics::{
    ErrorMetrics, Stiffness, invariant_distance, rotation_invariants, tensor_norm,
};

/// Why inverse design failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InverseError {
    /// A dataset for the lookup or shape table is unreadable or malformed (file, line or
    /// column named by the reader).
    #[error("reading the dataset")]
    DatasetRead(#[source] crate::learn::LearnError),
    /// A dataset for the lookup table cannot serve as one.
    #[error("{}{}", path.display(), if *line > 0 { format!(" line {line}") } else { String::new() })]
    Dataset {
        /// The file.
        path: PathBuf,
        /// 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        #[source]
        problem: DatasetProblem,
    },
    /// A shape table file is unreadable or malformed.
    #[error("{}", path.display())]
    ShapeTable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        problem: ShapeTableProblem,
    },
    /// The proposer failed.
    #[error("proposing designs failed")]
    Proposer(#[from] crate::learn::LearnError),
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

/// Why a dataset CSV cannot serve as the lookup table.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DatasetProblem {
    /// The dataset has a header but no rows.
    #[error("the dataset has no rows")]
    NoRows,
}

/// What is wrong with a shape table file ([`ShapeTable::read`]).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ShapeTableProblem {
    /// The file cannot be opened or read.
    #[error("cannot read the shape table")]
    Io(#[source] std::io::Error),
    /// The file is shorter than the 16-byte header.
    #[error("too short for a shape table header")]
    TooShort,
    /// The file does not start with the shape table's magic bytes.
    #[error("not a shape table (the file must start with TFSHAPE1)")]
    NotAShapeTable,
    /// The header's row count does not match the file length.
    #[error(
        "the header claims {rows} rows ({row_bytes} bytes each) but the file has {length} bytes"
    )]
    Length {
        /// Rows the header claims.
        rows: u64,
        /// Bytes per row.
        row_bytes: usize,
        /// File length in bytes.
        length: u64,
    },
    /// A row holds an invalid design.
    #[error("row {row}")]
    BadDesign {
        /// 1-based row.
        row: usize,
        /// Why the design is invalid.
        #[source]
        source: crate::design_space::DesignError,
    },
    /// A row's stiffness invariants are not finite or its norm is not positive.
    #[error("row {row}: non-finite or non-positive stiffness invariants")]
    BadInvariants {
        /// 1-based row.
        row: usize,
    },
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

    /// Designs whose FE stiffness is known to have the target's shape up to rotation and
    /// scale, verified and refined beside the best proposals whatever their predicted score
    /// (none by default).
    fn shape_starts(&self, _target: &Stiffness) -> Vec<Design> {
        Vec::new()
    }
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
    /// Distinct-topology proposals FE-verified and turned to their best orientation (default
    /// 24; at least `top`): the `top` best of them by FE are kept.
    pub screen: usize,
    /// With `refine`: the best this many FE-verified proposals get
    /// [`Self::shortlist_evaluations`] FE solves of refinement before the `top` are chosen
    /// (default 12; `<= top`: no shortlist).
    pub shortlist: usize,
    /// FE solves per shortlisted proposal (default 30: two Levenberg–Marquardt steps).
    pub shortlist_evaluations: usize,
    /// Distinct-topology candidates kept, refined and returned (default 5).
    pub top: usize,
    /// Refine each candidate's continuous parameters against the FE model (default false).
    pub refine: bool,
    /// FE solves per refined candidate (default 400: about 28 Levenberg–Marquardt
    /// iterations).
    pub refine_evaluations: usize,
    /// Candidates whose FE relative Frobenius error is within this of the best count as
    /// equally accurate and are ranked by the smallest cell they print at (default 0.01),
    /// when a [`Printability`] is given.
    pub equal_accuracy: f64,
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
            screen: 24,
            shortlist: 12,
            shortlist_evaluations: 30,
            top: 5,
            refine: false,
            refine_evaluations: 400,
            equal_accuracy: 0.01,
            seed: 0,
            fem: FemOptions::default(),
        }
    }
}

/// One FE-verified candidate. Errors are against the target: the relative Frobenius error of
/// the 4th-order tensors (the ranking objective) and Eq. 8's NMSE (the paper's figure).
#[derive(Debug, Clone, Serialize)]
#[serde(into = "CandidateRecord")]
pub struct Candidate {
    /// The design (after refinement when `refined`).
    pub design: Design,
    /// Errors of the proposer's predicted stiffness (none for a shape start, whose stiffness
    /// was not predicted).
    pub surrogate: Option<ErrorMetrics>,
    /// Errors of the FE stiffness of the returned design.
    pub fe: ErrorMetrics,
    /// Errors of the FE stiffness before refinement.
    pub fe_unrefined: ErrorMetrics,
    /// FE stiffness, normalized by E (Voigt 6×6).
    pub fe_stiffness_voigt: [[f64; 6]; 6],
    /// Smallest cell edge (mm) the design prints at, when a [`Printability`] was given.
    pub smallest_cell_size: Option<f64>,
    /// Whether the design was refined against the FE model.
    pub refined: bool,
}

/// A [`Candidate`] as JSON shows it: the errors as flat named fields.
#[derive(Serialize)]
struct CandidateRecord {
    design: Design,
    surrogate_rel_frobenius: Option<f64>,
    surrogate_nmse: Option<f64>,
    fe_rel_frobenius: f64,
    fe_nmse: f64,
    fe_rel_frobenius_unrefined: f64,
    fe_nmse_unrefined: f64,
    fe_stiffness_voigt: [[f64; 6]; 6],
    smallest_cell_size: Option<f64>,
    refined: bool,
}

impl From<Candidate> for CandidateRecord {
    fn from(c: Candidate) -> Self {
        Self {
            design: c.design,
            surrogate_rel_frobenius: c.surrogate.map(|s| s.rel_frobenius),
            surrogate_nmse: c.surrogate.map(|s| s.nmse),
            fe_rel_frobenius: c.fe.rel_frobenius,
            fe_nmse: c.fe.nmse,
            fe_rel_frobenius_unrefined: c.fe_unrefined.rel_frobenius,
            fe_nmse_unrefined: c.fe_unrefined.nmse,
            fe_stiffness_voigt: c.fe_stiffness_voigt,
            smallest_cell_size: c.smallest_cell_size,
            refined: c.refined,
        }
    }
}

pub use crate::manufacturing::Printability;

/// Every design prints, at no particular size (no manufacturing limits).
struct Unconstrained;

impl Printability for Unconstrained {
    fn smallest_cell_size(&self, _: &Design) -> Option<f64> {
        Some(0.0)
    }
}

/// Proposes, pre-ranks by the distance of the proposals' predicted rotation invariants to the
/// target's (orientation is free later), keeps the `top` best distinct topologies, FE-verifies (and optionally refines) each in parallel, and
/// returns them ranked by FE relative Frobenius error, best first.
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
    design_for_target_printable(target, material, proposer, options, &Unconstrained)
}

/// As [`design_for_target`], among the designs that print: proposals that do not are dropped
/// before the top-k selection, refinement stays among printable designs, and candidates
/// within [`DesignOptions::equal_accuracy`] of the best are ranked by the smallest cell they
/// print at (small cells let a graded implant resolve its control points).
///
/// # Errors
/// As [`design_for_target`]; [`InverseError::NothingAccepted`] when no proposal prints.
pub fn design_for_target_printable(
    target: &Stiffness,
    material: &Material,
    proposer: &dyn Proposer,
    options: &DesignOptions,
    printability: &dyn Printability,
) -> Result<Vec<Candidate>, InverseError> {
    let constants = target.to_constants();
    let proposals = proposer.propose(
        &constants,
        options.samples,
        options.temperature,
        options.seed,
    )?;
    let n = proposals.len();
    let search = Search {
        target,
        material,
        options,
        printability,
    };
    let mut kept = search.screened(proposals);
    // Shape starts join whatever their printability (refinement may carry them into the
    // printable set; only printable candidates are returned) and whether or not a proposal
    // of the same topology is kept (they start elsewhere; the best per topology is returned).
    kept.extend(proposer.shape_starts(target).into_iter().map(|d| (None, d)));
    if kept.is_empty() {
        return Err(InverseError::NothingAccepted(n));
    }
    let mut verified = search.verified(kept);
    verified.sort_by(by_error);
    if options.refine && options.shortlist > options.top {
        // A few Levenberg–Marquardt steps on a longer list find the basins that orientation
        // alone does not reveal; the best `top` are then refined to convergence.
        keep_best(&mut verified, options.shortlist, true);
        verified = search.refined(verified, options.shortlist_evaluations);
        verified.sort_by(by_error);
    }
    keep_best(&mut verified, options.top, false);
    if options.refine {
        verified = search.refined(verified, options.refine_evaluations);
    }
    let mut candidates: Vec<Candidate> = verified
        .into_iter()
        .filter(|v| v.cell_size.is_some())
        .map(|v| v.candidate(options.refine))
        .collect();
    if candidates.is_empty() {
        return Err(InverseError::NothingVerified(n));
    }
    best_per_topology(&mut candidates);
    rank(&mut candidates, options.equal_accuracy);
    candidates.truncate(options.top);
    Ok(candidates)
}

/// Orders verified designs by FE relative Frobenius error, best first.
fn by_error(a: &Verified, b: &Verified) -> std::cmp::Ordering {
    a.fe.rel_frobenius.total_cmp(&b.fe.rel_frobenius)
}

/// Keeps the best candidate (by FE relative Frobenius error) of each topology, best first.
fn best_per_topology(candidates: &mut Vec<Candidate>) {
    candidates.sort_by(|a, b| a.fe.rel_frobenius.total_cmp(&b.fe.rel_frobenius));
    let mut graphs = Vec::with_capacity(candidates.len());
    candidates.retain(|c| {
        let graph = unit_graph(&c.design.topology);
        let new = !graphs.contains(&graph);
        graphs.push(graph);
        new
    });
}

/// One inverse design search: the target, the base material, the options and the
/// printability filter.
struct Search<'a> {
    target: &'a Stiffness,
    material: &'a Material,
    options: &'a DesignOptions,
    printability: &'a dyn Printability,
}

impl Search<'_> {
    /// The printable proposals of distinct topologies (at most `max(screen, top)`), each with
    /// its surrogate errors, pre-ranked by shape. Orientation is supplied for free after FE
    /// verification, so proposals are pre-ranked by how far the predicted stiffness is from
    /// the target's up to rotation: the distance of the rotation invariants (its Kelvin part
    /// bounds the best oriented error from below).
    fn screened(&self, proposals: Vec<(Design, [f64; 21])>) -> Vec<(Option<ErrorMetrics>, Design)> {
        let target = self.target;
        let goal = rotation_invariants(target.voigt());
        let scale = tensor_norm(target.voigt());
        let mut scored: Vec<(f64, ErrorMetrics, Design)> = proposals
            .into_iter()
            .map(|(d, c)| {
                let predicted = Stiffness::voigt_from_constants(&c);
                let shape = invariant_distance(&goal, &rotation_invariants(&predicted), scale);
                (shape, ErrorMetrics::of_voigt(target.voigt(), &predicted), d)
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));
        let screen = self.options.screen.max(self.options.top);
        let mut kept: Vec<(Option<ErrorMetrics>, Design)> = Vec::new();
        for (_, score, design) in scored {
            if kept.len() == screen {
                break;
            }
            if self.printability.smallest_cell_size(&design).is_none() {
                continue;
            }
            let graph = unit_graph(&design.topology);
            if kept.iter().all(|(_, k)| *unit_graph(&k.topology) != *graph) {
                kept.push((Some(score), design));
            }
        }
        kept
    }

    /// FE-verifies every kept design (in parallel), turned to its best orientation (free: the
    /// stiffness rotates with the cell, printability does not change); designs that do not
    /// homogenize are dropped.
    fn verified(&self, kept: Vec<(Option<ErrorMetrics>, Design)>) -> Vec<Verified> {
        kept.into_par_iter()
            .filter_map(|(surrogate, design)| {
                let mut fem = Homogenizer::new(self.options.fem);
                let stiffness = fe_stiffness(&design, self.material, &mut fem)?;
                let cell_size = self.printability.smallest_cell_size(&design);
                let (design, stiffness) = oriented(&design, &stiffness, self.target);
                let fe = ErrorMetrics::between(self.target, &stiffness);
                Some(Verified {
                    surrogate,
                    design,
                    cell_size,
                    stiffness,
                    unrefined: fe,
                    fe,
                })
            })
            .collect()
    }

    /// Refines every design (in parallel, at most `evaluations` FE evaluations each), keeping
    /// a refinement only when it improves the FE error and a printable start stays printable.
    fn refined(&self, list: Vec<Verified>, evaluations: usize) -> Vec<Verified> {
        let accept = |d: &Design| self.printability.smallest_cell_size(d).is_some();
        list.into_par_iter()
            .map(|v| {
                let mut fem = Homogenizer::new(self.options.fem);
                let refined = refine_where(
                    &v.design,
                    self.target,
                    self.material,
                    &mut fem,
                    evaluations,
                    &accept,
                );
                let cell_size = self.printability.smallest_cell_size(&refined);
                match fe_errors(&refined, self.target, self.material, &mut fem) {
                    // An unprintable start may end anywhere; a printable one stays printable.
                    Some((e, s))
                        if (cell_size.is_some() || v.cell_size.is_none())
                            && e.rel_frobenius < v.fe.rel_frobenius =>
                    {
                        Verified {
                            design: refined,
                            cell_size,
                            stiffness: s,
                            fe: e,
                            ..v
                        }
                    }
                    _ => v,
                }
            })
            .collect()
    }
}

impl Verified {
    /// The candidate reported for this design (`refined`: whether refinement ran).
    fn candidate(self, refined: bool) -> Candidate {
        Candidate {
            smallest_cell_size: self.cell_size.filter(|&h| h > 0.0),
            surrogate: self.surrogate,
            fe: self.fe,
            fe_unrefined: self.unrefined,
            fe_stiffness_voigt: crate::mechanics::voigt_rows(self.stiffness.voigt()),
            design: self.design,
            refined,
        }
    }
}

/// A proposal verified by FE: its surrogate errors, the (oriented, possibly refined) design,
/// the smallest cell it prints at (`None`: it does not print), its FE stiffness, and the FE
/// errors before refinement and now.
struct Verified {
    surrogate: Option<ErrorMetrics>,
    design: Design,
    cell_size: Option<f64>,
    stiffness: Stiffness,
    unrefined: ErrorMetrics,
    fe: ErrorMetrics,
}

/// Keeps, in order, the first `count` accepted entries of `list` and the first `count` others
/// (unprintable shape starts that refinement may still carry into the printable set); with
/// `by_source`, proposals and shape starts are counted apart (each gets `count` of both), so
/// neither crowds the other out of the shortlist.
fn keep_best(list: &mut Vec<Verified>, count: usize, by_source: bool) {
    let mut counts = [0usize; 4];
    list.retain(|v| {
        let shape = by_source && v.surrogate.is_none();
        let slot = usize::from(v.cell_size.is_some()) + 2 * usize::from(shape);
        counts[slot] += 1;
        counts[slot] <= count
    });
}

/// Ranks candidates: those within `equal_accuracy` of the best relative Frobenius error first,
/// by the smallest cell they print at (then by error), then the rest by error. Deterministic
/// (ties keep their order).
pub fn rank(candidates: &mut [Candidate], equal_accuracy: f64) {
    candidates.sort_by(|a, b| a.fe.rel_frobenius.total_cmp(&b.fe.rel_frobenius));
    let Some(best) = candidates.first().map(|c| c.fe.rel_frobenius) else {
        return;
    };
    let tied = candidates
        .iter()
        .take_while(|c| c.fe.rel_frobenius <= best + equal_accuracy)
        .count();
    candidates[..tied].sort_by(|a, b| {
        let size = |c: &Candidate| c.smallest_cell_size.unwrap_or(f64::INFINITY);
        size(a)
            .total_cmp(&size(b))
            .then(a.fe.rel_frobenius.total_cmp(&b.fe.rel_frobenius))
    });
}

#[cfg(test)]
mod tests;
