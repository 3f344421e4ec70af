//! `trussforge bench`: throughput figures printed as per-item rates.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;
use trussforge::dataset::{DatasetConfig, Shard, generate, row_rng, sample_design};
use trussforge::design_space::{
    AxisAngle, Design, Equivalence, Material, PeriodicCell, RangePolicy, Topology, TopologyCatalog,
};
use trussforge::fem::{FemOptions, Homogenizer};
use trussforge::inverse::{ExhaustiveOptions, fe_stiffness, refine};
use trussforge::learn::{DeviceChoice, Models};
use trussforge::mechanics::{ErrorMetrics, Stiffness, relative_frobenius};
use trussforge::spec::models_dir;

/// Arguments of `trussforge bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to measure.
    #[arg(value_enum)]
    target: Target,
    /// Designs sampled from the design space for the per-core figure.
    #[arg(long, default_value_t = 2000)]
    cells: usize,
    /// Rows of the dataset-throughput run (all cores).
    #[arg(long, default_value_t = 4000)]
    rows: u64,
    /// `design`: targets proposed for and scored in one batch (one sample each).
    #[arg(long, default_value_t = 30_000)]
    targets: usize,
    /// `design`: candidates FE-verified for the per-candidate time.
    #[arg(long, default_value_t = 200)]
    fe_candidates: usize,
    /// `design`: designs polished through F (in one batch) for the polish rate.
    #[arg(long, default_value_t = 1024)]
    polish_designs: usize,
    /// `design`: candidates refined (400 FE solves each, as `design --refine`).
    #[arg(long, default_value_t = 4)]
    refine_candidates: usize,
    /// `design`, `recovery`, `optimum`: folder of trained models (default:
    /// `$TRUSSFORGE_MODELS`, else `models/` in the working directory or beside the executable).
    #[arg(long)]
    models: Option<PathBuf>,
    /// `design`: device for the networks.
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceChoice,
    /// `recovery`: FE solves per refined candidate.
    #[arg(long, default_value_t = trussforge::inverse::DesignOptions::default().refine_evaluations)]
    refine_evaluations: usize,
    /// `recovery`: distinct-topology candidates refined per target.
    #[arg(long, default_value_t = trussforge::inverse::DesignOptions::default().top)]
    top: usize,
    /// `recovery`: proposals shortlisted for a few refinement steps.
    #[arg(long, default_value_t = trussforge::inverse::DesignOptions::default().shortlist)]
    shortlist: usize,
    /// `recovery`: FE solves per shortlisted proposal.
    #[arg(long, default_value_t = trussforge::inverse::DesignOptions::default().shortlist_evaluations)]
    shortlist_evaluations: usize,
    /// `recovery`: proposals FE-verified and oriented per target.
    #[arg(long, default_value_t = trussforge::inverse::DesignOptions::default().screen)]
    screen: usize,
    /// `recovery`: targets made by random printable designs.
    #[arg(long, default_value_t = 200)]
    recovery_targets: usize,
    /// `recovery`, `optimum`: seed of the target designs or the random starts.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// `optimum`: targets (GPa, 21 constants per row; default: the shipped bone targets,
    /// `fixtures/bone_targets.csv` in the working directory).
    #[arg(long)]
    bone_targets: Option<PathBuf>,
    /// `optimum`: random starts per topology.
    #[arg(long, default_value_t = ExhaustiveOptions::default().random_starts)]
    random_starts: usize,
    /// `optimum`: topologies refined to convergence after screening.
    #[arg(long, default_value_t = ExhaustiveOptions::default().finalists)]
    finalists: usize,
    /// `graded`: generated specs to build.
    #[arg(long, default_value_t = 40)]
    specs: usize,
    /// `graded`: folder for the generated specs, the builds and `bench-graded.json`
    /// (default `output/bench-graded-<seed>`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// `graded`: wall-clock limit per build, s.
    #[arg(long, default_value_t = 900.0)]
    timeout_s: f64,
    /// `graded`: keep every build's output folder.
    #[arg(long)]
    keep: bool,
    /// `graded`: build only these spec indices (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<usize>,
    /// `simulate`: build output folders to simulate (comma-separated; default the README
    /// example `output/shaft-spacer` and `output/bench-cylinder`, built from
    /// `specs/bench-cylinder.yaml`).
    #[arg(long, value_delimiter = ',')]
    folders: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Target {
    /// Periodic beam homogenization and dataset generation.
    Homogenize,
    /// Inverse design: proposal + surrogate scoring of a batch of targets, FE verification
    /// and refinement per candidate, training samples/s from the models' logs.
    Design,
    /// Exact recovery: `design --refine` on targets made by random printable designs
    /// (relative Frobenius error of the returned design; minutes).
    Recovery,
    /// The bone targets' optimum: an exhaustive search of the design space (every topology,
    /// multi-start FE refinement) against the default `design --refine` (minutes per target).
    Optimum,
    /// Graded implants for generated specs as users write them (cylinders, boxes, envelope
    /// STLs; 2–6 points; targets of random printable designs and measured bone): outcome,
    /// time, memory, size and accuracy per spec, then the summary (minutes per spec).
    Graded,
    /// The whole-part beam simulation (`simulate`) of built output folders: read, model,
    /// solve and post-processing times per load case (run under `/usr/bin/time -v` for the
    /// peak RSS).
    Simulate,
}

fn cells_per_second(cells: &[PeriodicCell], fem: &mut Homogenizer) -> f64 {
    let material = Material::default();
    let start = Instant::now();
    for c in cells {
        fem.homogenize(c, &material)
            .expect("design-space cells homogenize");
    }
    cells.len() as f64 / start.elapsed().as_secs_f64()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.target {
        Target::Homogenize => homogenize(args),
        Target::Design => design(args),
        Target::Recovery => {
            let options = trussforge::inverse::DesignOptions {
                refine: true,
                refine_evaluations: args.refine_evaluations,
                top: args.top,
                screen: args.screen,
                shortlist: args.shortlist,
                shortlist_evaluations: args.shortlist_evaluations,
                ..Default::default()
            };
            super::bench_inverse::recovery(
                load_models(&args)?,
                args.recovery_targets,
                args.seed,
                &options,
            )
        }
        Target::Simulate => super::bench_simulate::run(&args.folders),
        Target::Graded => super::bench_graded::run(&super::bench_graded::Options {
            specs: args.specs,
            seed: args.seed,
            out: args
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("output/bench-graded-{}", args.seed))),
            timeout_s: args.timeout_s,
            keep: args.keep,
            bone_targets: Some(
                args.bone_targets
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("fixtures/bone_targets.csv")),
            ),
            only: args.only.clone(),
        }),
        Target::Optimum => {
            let targets = args
                .bone_targets
                .clone()
                .unwrap_or_else(|| PathBuf::from("fixtures/bone_targets.csv"));
            let options = ExhaustiveOptions {
                random_starts: args.random_starts,
                finalists: args.finalists,
                seed: args.seed,
                ..ExhaustiveOptions::default()
            };
            super::bench_inverse::optimum(load_models(&args)?, &targets, 114.0, &options)
        }
    }
}

fn load_models(args: &Args) -> anyhow::Result<Models> {
    let dir = models_dir(args.models.as_deref());
    Models::load(&dir, args.device)
        .with_context(|| format!("loading models from {}", dir.display()))
}

/// The per-core rate over `args.cells` cells sampled from the design space.
fn bench_design_space(args: &Args, fem: &mut Homogenizer) {
    let designs: Vec<Design> = (0..args.cells as u64)
        .map(|i| sample_design(&mut row_rng(99, i)))
        .collect();
    let cells: Vec<PeriodicCell> = designs
        .par_iter()
        .map(|d| {
            d.cell(RangePolicy::Strict)
                .expect("sampled designs are valid")
        })
        .collect();
    cells_per_second(&cells, fem);
    let rate = cells_per_second(&cells, fem);
    let mean_struts =
        cells.iter().map(|c| c.struts().len()).sum::<usize>() as f64 / cells.len() as f64;
    println!(
        "design space ({} sampled cells, mean {:.0} struts): {:.0} cells/s on one core ({:.3} ms/cell)",
        cells.len(),
        mean_struts,
        rate,
        1e3 / rate
    );
}

/// The per-core rate against the number of struts: the topologies binned by size, one
/// design each.
fn bench_by_struts(catalog: &TopologyCatalog, fem: &mut Homogenizer) -> anyhow::Result<()> {
    // Scaling with the number of struts: the topologies binned by size, one design each.
    let mut classes = catalog.classes.clone();
    classes.sort_by_key(|c| c.struts);
    println!(
        "{:>8} {:>8} {:>12} {:>12}",
        "struts", "nodes", "cells/s", "us/strut"
    );
    let step = (classes.len() / 8).max(1);
    let picks: Vec<_> = classes.iter().step_by(step).chain(classes.last()).collect();
    for class in picks {
        let design = Design {
            topology: Topology::try_new(&class.representative)?,
            relative_density: 0.05,
            u: [1.2, 0.8, 1.5],
            r1: AxisAngle {
                axis: [1.0, 2.0, 3.0],
                angle_deg: 40.0,
            },
            v: [0.9, 1.4, 0.7],
            r2: AxisAngle {
                axis: [-1.0, 0.5, 2.0],
                angle_deg: 75.0,
            },
        };
        let cell = design.cell(RangePolicy::Strict)?;
        let batch = vec![cell.clone(); 200];
        cells_per_second(&batch[..1], fem);
        let r = cells_per_second(&batch, fem);
        println!(
            "{:>8} {:>8} {:>12.0} {:>12.2}",
            cell.struts().len(),
            cell.nodes().len(),
            r,
            1e6 / r / cell.struts().len() as f64
        );
    }
    Ok(())
}

/// Dataset throughput on all cores (two FE solves per row: the U·X and V·R_I·U·X cells).
fn bench_dataset(args: &Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("trussforge-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("bench.csv");
    let config = DatasetConfig {
        samples: args.rows,
        seed: 5,
        shard: Shard::WHOLE,
        fem: FemOptions::default(),
        material: Material::default(),
    };
    let meta = generate(&config, &path, &|_| {})?;
    std::fs::remove_dir_all(&dir)?;
    let rows_per_s = args.rows as f64 / meta.seconds;
    println!(
        "dataset: {} rows in {:.2} s = {:.0} rows/s on {} threads; 1,000,000 rows would take {:.1} min",
        args.rows,
        meta.seconds,
        rows_per_s,
        rayon::current_num_threads(),
        1e6 / rows_per_s / 60.0
    );
    Ok(())
}

fn homogenize(args: Args) -> anyhow::Result<()> {
    println!(
        "machine: {} threads available to rayon",
        rayon::current_num_threads()
    );
    let catalog = TopologyCatalog::enumerate(Equivalence::StrutSet);
    // Warm the symbolic cache once per topology, as a dataset run does.
    let mut fem = Homogenizer::new(FemOptions::default());
    bench_design_space(&args, &mut fem);
    bench_by_struts(&catalog, &mut fem)?;
    bench_dataset(&args)
}

/// CPU seconds (user + system, all threads) this process has used, from `/proc/self/stat`
/// (Linux; `None` elsewhere). On a shared machine wall-clock rates depend on the other jobs;
/// rates per CPU second do not, so both are printed.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// A phase's wall-clock and CPU time.
struct Clock {
    wall: Instant,
    cpu: Option<f64>,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    /// (wall seconds, CPU seconds) since the start.
    fn stop(&self) -> (f64, Option<f64>) {
        let cpu = match (self.cpu, cpu_seconds()) {
            (Some(a), Some(b)) => Some((b - a).max(0.01)),
            _ => None,
        };
        (self.wall.elapsed().as_secs_f64(), cpu)
    }
}

fn per_cpu_second(items: f64, cpu: Option<f64>) -> String {
    cpu.map(|c| format!(", {:.0}/CPU-s ({c:.2} CPU-s)", items / c))
        .unwrap_or_default()
}

/// Median of the `samples_per_second` column of a training log, with its epoch count.
fn log_rate(path: &Path) -> anyhow::Result<Option<(f64, usize)>> {
    if !path.is_file() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "samples_per_second")
        .with_context(|| format!("{}: no samples_per_second column", path.display()))?;
    let mut rates: Vec<f64> = lines
        .filter_map(|l| l.split(',').nth(col)?.trim().parse().ok())
        .collect();
    if rates.is_empty() {
        return Ok(None);
    }
    rates.sort_by(f64::total_cmp);
    Ok(Some((rates[rates.len() / 2], rates.len())))
}

/// Polishing through F (as `design` does for `NetworkProposer::POLISHED` topologies per
/// target), the first `p` targets in one batch; `errors` are the proposals' errors before.
fn bench_polish(
    models: &Models,
    targets: &[[f64; 21]],
    proposals: &[Design],
    errors: &[f64],
    p: usize,
) -> anyhow::Result<()> {
    if p == 0 {
        return Ok(());
    }
    let options = trussforge::learn::PolishOptions::default();
    let clock = Clock::start();
    let polished = models.polish_each(&targets[..p], &proposals[..p], &options)?;
    let (wall, cpu) = clock.stop();
    let after = models.predict(&polished)?;
    let mut gain: Vec<f64> = (0..p)
        .map(|i| {
            let t = Stiffness::voigt_from_constants(&targets[i]);
            relative_frobenius(&t, &Stiffness::voigt_from_constants(&after[i]))
                / errors[i].max(1e-12)
        })
        .collect();
    gain.sort_by(f64::total_cmp);
    let per_target = trussforge::inverse::NetworkProposer::POLISHED as f64;
    println!(
        "polish through F ({} Adam steps): {p} designs in {wall:.2} s = {:.0} designs/s{}; {:.0} ms per target of {per_target} starts; median surrogate relative Frobenius error after/before {:.3}",
        options.steps,
        p as f64 / wall,
        per_cpu_second(p as f64, cpu),
        1e3 * wall * per_target / p as f64,
        gain[gain.len() / 2]
    );
    Ok(())
}

/// FE verification per candidate, as `design` does it: a fresh homogenizer per candidate
/// (symbolic factorization included), one core.
fn bench_fe_verification(pairs: &[(Stiffness, Design)], material: &Material) {
    let clock = Clock::start();
    let mut verified = 0;
    for (_, d) in pairs {
        let mut fem = Homogenizer::new(FemOptions::default());
        verified += fe_stiffness(d, material, &mut fem).is_some() as usize;
    }
    let (wall, cpu) = clock.stop();
    let count = pairs.len().max(1) as f64;
    println!(
        "FE verification: {:.2} ms per candidate on one thread = {:.0} candidates/s{} \
         ({verified} of {} verified)",
        1e3 * wall / count,
        count / wall,
        per_cpu_second(count, cpu),
        pairs.len()
    );
}

/// Refinement of each candidate in `pairs` (Levenberg–Marquardt, up to 400 FE solves), one
/// core.
fn bench_refine(pairs: &[(Stiffness, Design)], material: &Material) {
    let r = pairs.len();
    if r == 0 {
        return;
    }
    let evaluations = trussforge::inverse::DesignOptions::default().refine_evaluations;
    let clock = Clock::start();
    for (t, d) in pairs {
        let mut fem = Homogenizer::new(FemOptions::default());
        refine(d, t, material, &mut fem, evaluations);
    }
    let (wall, cpu) = clock.stop();
    println!(
        "refinement ({evaluations} FE solves): {:.2} s per candidate on one thread{} \
         ({r} candidates; `design` refines its candidates in parallel)",
        wall / r as f64,
        cpu.map(|c| format!(", {:.2} CPU-s per candidate", c / r as f64))
            .unwrap_or_default()
    );
}

/// Training throughput, from the models' logs in `dir` (median over epochs).
fn print_training_rates(dir: &Path) -> anyhow::Result<()> {
    for (stage, file) in [
        ("F1", "f1_log.csv"),
        ("F2", "f2_log.csv"),
        ("G", "inverse_log.csv"),
    ] {
        match log_rate(&dir.join(file))? {
            Some((rate, epochs)) => println!(
                "training {stage}: {rate:.0} samples/s (median of {epochs} epochs in {file})"
            ),
            None => println!("training {stage}: no {file} in {}", dir.display()),
        }
    }
    Ok(())
}

fn design(args: Args) -> anyhow::Result<()> {
    let dir = models_dir(args.models.as_deref());
    let models = load_models(&args)?;
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into());
    println!(
        "machine: {} threads available to rayon, load average {load}; networks on {:?}, models {}",
        rayon::current_num_threads(),
        args.device,
        dir.display()
    );
    let n = args.targets.max(1);
    // Realistic targets: F's stiffness of designs sampled from the design space.
    let sampled: Vec<Design> = (0..n as u64)
        .map(|i| sample_design(&mut row_rng(123, i)))
        .collect();
    let clock = Clock::start();
    let targets = models.predict(&sampled)?;
    let (t_predict, cpu) = clock.stop();
    println!(
        "surrogate F alone: {n} designs in {t_predict:.2} s = {:.0} designs/s{}",
        n as f64 / t_predict,
        per_cpu_second(n as f64, cpu)
    );
    // Proposal by G (one Gumbel sample at τ = 1 per target) + scoring by F (both errors).
    let clock = Clock::start();
    let proposals: Vec<Design> = models
        .propose(&targets, 1, 1.0, 7)?
        .into_iter()
        .flatten()
        .collect();
    let (t_propose, _) = clock.stop();
    let scored = models.predict(&proposals)?;
    let metrics: Vec<ErrorMetrics> = targets
        .par_iter()
        .zip(&scored)
        .map(|(t, c)| {
            ErrorMetrics::of_voigt(
                &Stiffness::voigt_from_constants(t),
                &Stiffness::voigt_from_constants(c),
            )
        })
        .collect();
    let (t_total, cpu) = clock.stop();
    let errors: Vec<f64> = metrics.iter().map(|m| m.rel_frobenius).collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "proposal + surrogate scoring: {n} targets x 1 sample in {t_total:.2} s = {:.0} targets/s{} \
         (G {:.2} s, F + errors {:.2} s); median surrogate relative Frobenius error {:.4} (NMSE {:.4})",
        n as f64 / t_total,
        per_cpu_second(n as f64, cpu),
        t_propose,
        t_total - t_propose,
        median(errors.clone()),
        median(metrics.iter().map(|m| m.nmse).collect())
    );
    // Polishing through F (as `design` does for `NetworkProposer::POLISHED` topologies per target), one batch.
    bench_polish(
        &models,
        &targets,
        &proposals,
        &errors,
        args.polish_designs.min(n),
    )?;
    // FE verification per candidate, as `design` does it: a fresh homogenizer per candidate
    // (symbolic factorization included), one core.
    let material = Material::default();
    let m = args.fe_candidates.min(n);
    let pairs: Vec<(Stiffness, Design)> = targets
        .iter()
        .zip(&proposals)
        .filter_map(|(t, d)| Some((Stiffness::try_from_values(t).ok()?, d.clone())))
        .take(m)
        .collect();
    bench_fe_verification(&pairs, &material);
    // Refinement per candidate (Levenberg–Marquardt, up to 400 FE solves), one core.
    bench_refine(&pairs[..args.refine_candidates.min(pairs.len())], &material);
    print_training_rates(&dir)
}
