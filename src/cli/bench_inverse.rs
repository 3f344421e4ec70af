//! `trussforge bench recovery` and `trussforge bench optimum`: how close inverse design comes
//! to the whole target tensor, against a known exact answer and against what an exhaustive
//! search of the design space reaches.

use std::path::Path;
use std::time::Instant;

use indicatif::ProgressBar;
use trussforge::dataset::sample_accepted_designs;
use trussforge::design_space::{Design, Material, RangePolicy};
use trussforge::fem::{FemOptions, Homogenizer};
use trussforge::inverse::{
    Candidate, DesignOptions, ExhaustiveOptions, NetworkProposer, design_for_target_printable,
    exhaustive_search, fe_stiffness,
};
use trussforge::learn::Models;
use trussforge::manufacturing::Manufacturing;
use trussforge::manufacturing::PrintableWithin;
use trussforge::mechanics::{Stiffness, parse_stiffness_values};

/// The manufacturing limits of the shipped example specs (Ti-6Al-4V, laser powder-bed fusion).
const LIMITS: Manufacturing = Manufacturing {
    min_strut_diameter: 0.25,
    min_pore_size: 0.4,
};

/// The largest cell edge (mm) the benchmarks allow.
const LARGEST_CELL: f64 = 6.0;

/// Every third recovery target is orthotropic (exact zero couplings).
const ORTHOTROPIC_EVERY: usize = 3;

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn topology_label(d: &Design) -> String {
    d.topology
        .choices()
        .iter()
        .map(|l| format!("{}x{}", l.lattice, l.tessellation))
        .collect::<Vec<_>>()
        .join("+")
}

fn bar(len: usize) -> ProgressBar {
    ProgressBar::new(len as u64)
}

/// Targets made by seeded random printable designs: FE-homogenize each, run `design --refine`
/// with the shipped networks and the default options under the example specs' manufacturing
/// limits, and report the returned design's relative Frobenius error (and NMSE).
pub fn recovery(
    models: Models,
    count: usize,
    seed: u64,
    options: &DesignOptions,
) -> anyhow::Result<()> {
    let material = Material::default();
    let printable = PrintableWithin {
        largest: LARGEST_CELL,
        limits: &LIMITS,
        widest: f64::INFINITY,
    };
    use trussforge::inverse::Printability;
    let designs = sample_accepted_designs(seed, count, ORTHOTROPIC_EVERY, &|d| {
        printable.smallest_cell_size(d).is_some()
    });
    let proposer = NetworkProposer::new(models)?;
    let mut fem = Homogenizer::new(FemOptions::default());
    let progress = bar(designs.len());
    let start = Instant::now();
    let mut rows: Vec<(bool, Candidate)> = Vec::with_capacity(designs.len());
    for (k, design) in designs.iter().enumerate() {
        let target = fe_stiffness(design, &material, &mut fem)
            .ok_or_else(|| anyhow::anyhow!("target design {k} does not homogenize"))?;
        let found = design_for_target_printable(
            &target,
            &material,
            &proposer,
            &DesignOptions {
                seed: k as u64,
                ..*options
            },
            &printable,
        )?;
        let orthotropic = k % ORTHOTROPIC_EVERY == 0;
        rows.push((orthotropic, found[0].clone()));
        progress.inc(1);
    }
    progress.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "recovery of {} printable designs (seed {seed}, every {ORTHOTROPIC_EVERY}rd orthotropic; \
         min strut {} mm, min pore {} mm, cell <= {LARGEST_CELL} mm): {:.2} s per target, {} threads",
        rows.len(),
        LIMITS.min_strut_diameter,
        LIMITS.min_pore_size,
        seconds / rows.len().max(1) as f64,
        rayon::current_num_threads()
    );
    for (label, subset) in [
        ("all", rows.iter().collect::<Vec<_>>()),
        ("orthotropic", rows.iter().filter(|r| r.0).collect()),
        ("rotated", rows.iter().filter(|r| !r.0).collect()),
    ] {
        let mut frob: Vec<f64> = subset.iter().map(|r| r.1.fe.rel_frobenius).collect();
        let mut nmse: Vec<f64> = subset.iter().map(|r| r.1.fe.nmse).collect();
        frob.sort_by(f64::total_cmp);
        nmse.sort_by(f64::total_cmp);
        let within = |t: f64| frob.iter().filter(|&&e| e <= t).count();
        println!(
            "{label:>12}: {:>4} targets; rel. Frobenius median {:.4}, p90 {:.4}, worst {:.4}; \
             <= 1 %: {}, <= 5 %: {}; NMSE median {:.2e}, worst {:.2e}",
            frob.len(),
            quantile(&frob, 0.5),
            quantile(&frob, 0.9),
            frob.last().copied().unwrap_or(f64::NAN),
            within(0.01),
            within(0.05),
            quantile(&nmse, 0.5),
            nmse.last().copied().unwrap_or(f64::NAN),
        );
    }
    Ok(())
}

/// The bone targets of `targets` (GPa, one row of 21 constants per line, `#` comments): an
/// exhaustive search of the design space per target against the default `design --refine`.
pub fn optimum(
    models: Models,
    targets: &Path,
    youngs_modulus: f64,
    options: &ExhaustiveOptions,
) -> anyhow::Result<()> {
    let material = Material::default();
    let text = std::fs::read_to_string(targets)?;
    let rows: Vec<Vec<f64>> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(parse_stiffness_values)
        .collect::<Result<_, _>>()?;
    let proposer = NetworkProposer::new(models)?;
    println!(
        "{:>6} {:>30} {:>9} {:>9} | {:>30} {:>9} {:>9} {:>7} {:>7} | {:>7}",
        "target",
        "optimum topology",
        "relFrob",
        "NMSE",
        "design --refine topology",
        "relFrob",
        "NMSE",
        "ratio",
        "time s",
        "search s"
    );
    for (k, row) in rows.iter().enumerate() {
        let target = Stiffness::from_gpa(row, youngs_modulus)?;
        let progress = bar(0);
        let t = Instant::now();
        let best = exhaustive_search(
            &target,
            &material,
            Some(proposer.models()),
            options,
            &|done, total| {
                progress.set_length(total as u64);
                progress.set_position(done as u64);
            },
        );
        progress.finish_and_clear();
        let search_seconds = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let found = trussforge::inverse::design_for_target(
            &target,
            &material,
            &proposer,
            &DesignOptions {
                refine: true,
                ..DesignOptions::default()
            },
        )?;
        let design_seconds = t.elapsed().as_secs_f64();
        let (opt, top) = (&best[0], &found[0]);
        // The optimum is the best of both (the default run may find a better basin).
        let optimum = opt.errors.rel_frobenius.min(top.fe.rel_frobenius);
        println!(
            "{:>6} {:>30} {:>9.4} {:>9.4} | {:>30} {:>9.4} {:>9.4} {:>7.3} {:>7.2} | {:>7.0}",
            k + 1,
            topology_label(&opt.design),
            opt.errors.rel_frobenius,
            opt.errors.nmse,
            topology_label(&top.design),
            top.fe.rel_frobenius,
            top.fe.nmse,
            top.fe.rel_frobenius / optimum,
            design_seconds,
            search_seconds
        );
        debug_assert!(top.design.validate(RangePolicy::Strict).is_ok());
    }
    Ok(())
}
