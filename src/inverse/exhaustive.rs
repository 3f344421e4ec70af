//! What the design space can reach for a target: every distinct topology, several starts
//! each, refined against the FE model. Minutes per target — a reference to measure `design`
//! against (`trussforge bench optimum`), not part of it.
//!
//! Two phases keep it affordable: every start gets a short Levenberg–Marquardt run
//! ([`ExhaustiveOptions::screen_evaluations`] FE solves), then the best
//! [`ExhaustiveOptions::finalists`] starts (one per topology) are refined to convergence.

use rand::Rng;
use rayon::prelude::*;

use super::refine::{fe_errors, refine};
use crate::dataset::{row_rng, uniform_rotation};
use crate::design_space::{DENSITY_RANGE, Design, Material, STRETCH_RANGE, Topology, unit_graph};
use crate::fem::{FemOptions, Homogenizer};
use crate::learn::Models;
use crate::mechanics::{ErrorMetrics, Stiffness};

/// Settings of [`exhaustive_search`].
#[derive(Debug, Clone, Copy)]
pub struct ExhaustiveOptions {
    /// Random starts per topology (uniform rotations and stretches; default 3), besides G2's
    /// geometry for the topology when models are given.
    pub random_starts: usize,
    /// FE solves per start in the screening phase (default 60).
    pub screen_evaluations: usize,
    /// Topologies refined to convergence after screening (default 24).
    pub finalists: usize,
    /// FE solves per finalist (default 800).
    pub evaluations: usize,
    /// Seed of the random starts.
    pub seed: u64,
}

impl Default for ExhaustiveOptions {
    fn default() -> Self {
        Self {
            random_starts: 3,
            screen_evaluations: 60,
            finalists: 24,
            evaluations: 800,
            seed: 0,
        }
    }
}

/// The best design found for one topology.
#[derive(Debug, Clone)]
pub struct TopologyOptimum {
    /// The refined design.
    pub design: Design,
    /// Its FE stiffness against the target.
    pub errors: ErrorMetrics,
}

/// One representative of each distinct topology (the 560 multisets, identical periodic strut
/// sets merged: 236).
pub fn distinct_topologies() -> Vec<Topology> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for t in Topology::multisets() {
        let graph = unit_graph(&t);
        if !seen.contains(&graph) {
            seen.push(graph);
            out.push(t);
        }
    }
    out
}

fn random_start(topology: Topology, rng: &mut impl Rng, density: f64) -> Design {
    let stretch = |rng: &mut dyn rand::RngCore| -> [f64; 3] {
        std::array::from_fn(|_| rng.random_range(STRETCH_RANGE.0..=STRETCH_RANGE.1))
    };
    Design {
        topology,
        relative_density: density,
        u: stretch(rng),
        r1: uniform_rotation(rng),
        v: stretch(rng),
        r2: uniform_rotation(rng),
    }
}

/// The best design per finalist topology for `target` (normalized by E), best first by
/// relative Frobenius error. `models` adds G2's geometry per topology as a start;
/// `progress(done, total)` is called as starts finish.
pub fn exhaustive_search(
    target: &Stiffness,
    material: &Material,
    models: Option<&Models>,
    options: &ExhaustiveOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<TopologyOptimum> {
    let topologies = distinct_topologies();
    let constants = target.to_constants();
    let mut starts: Vec<Design> = models
        .and_then(|m| m.propose_for_topologies(&constants, &topologies).ok())
        .unwrap_or_default();
    // A density in the middle of the range (log scale): refinement moves it first.
    let density = (DENSITY_RANGE.0 * DENSITY_RANGE.1).sqrt();
    for (k, t) in topologies.iter().enumerate() {
        let mut rng = row_rng(options.seed, k as u64);
        starts.extend((0..options.random_starts).map(|_| random_start(*t, &mut rng, density)));
    }
    let total = starts.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let run = |design: &Design, evaluations: usize| -> Option<TopologyOptimum> {
        let mut fem = Homogenizer::new(FemOptions::default());
        let refined = refine(design, target, material, &mut fem, evaluations);
        let (errors, _) = fe_errors(&refined, target, material, &mut fem)?;
        Some(TopologyOptimum {
            design: refined,
            errors,
        })
    };
    let mut screened: Vec<TopologyOptimum> = starts
        .par_iter()
        .filter_map(|d| {
            let r = run(d, options.screen_evaluations);
            progress(
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                total,
            );
            r
        })
        .collect();
    screened.sort_by(|a, b| a.errors.rel_frobenius.total_cmp(&b.errors.rel_frobenius));
    // The best screened start of each of the best `finalists` topologies.
    let mut finalists: Vec<TopologyOptimum> = Vec::with_capacity(options.finalists);
    for s in screened {
        if finalists.len() == options.finalists {
            break;
        }
        let graph = unit_graph(&s.design.topology);
        if finalists
            .iter()
            .all(|f| unit_graph(&f.design.topology) != graph)
        {
            finalists.push(s);
        }
    }
    let mut best: Vec<TopologyOptimum> = finalists
        .par_iter()
        .filter_map(|f| run(&f.design, options.evaluations))
        .collect();
    best.sort_by(|a, b| a.errors.rel_frobenius.total_cmp(&b.errors.rel_frobenius));
    best
}
