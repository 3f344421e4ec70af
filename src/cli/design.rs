use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use trussforge::design_space::Material;
use trussforge::inverse::{
    Candidate, DesignOptions, LookupTable, NetworkProposer, Printability, Proposer,
    design_for_target, design_for_target_printable, reach_message,
};
use trussforge::learn::PolishOptions;
use trussforge::manufacturing::Manufacturing;
use trussforge::manufacturing::PrintableWithin;
use trussforge::mechanics::{Stiffness, parse_stiffness_values};

/// Where proposals come from.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Method {
    /// The trained inverse networks (G1 + G2), pre-scored by the forward surrogate.
    Network,
    /// The nearest rows of a dataset by stiffness (the paper's lookup baseline).
    Lookup,
}

/// Arguments of `trussforge design`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Target stiffness: 21 constants (C11 C12 … C66) or a 6x6 matrix, inline or a file; GPa
    /// unless --normalized.
    #[arg(long, allow_hyphen_values = true, required_unless_present = "targets")]
    target: Option<String>,
    /// Many targets: a CSV file with one target per row (21 columns, GPa unless --normalized).
    #[arg(long, conflicts_with = "target")]
    targets: Option<PathBuf>,
    /// The target is already normalized by the base material's E.
    #[arg(long)]
    normalized: bool,
    /// Base material Young's modulus, GPa (Ti-6Al-4V: 114).
    #[arg(long, default_value_t = 114.0)]
    youngs_modulus: f64,
    /// Base material Poisson's ratio.
    #[arg(long, default_value_t = 0.3)]
    poisson_ratio: f64,
    /// How designs are proposed.
    #[arg(long, value_enum, default_value = "network")]
    method: Method,
    /// Folder of trained models for the network method (default: `$TRUSSFORGE_MODELS`, else
    /// `models/` in the working directory or beside the executable).
    #[arg(long)]
    models: Option<PathBuf>,
    /// Device for the networks.
    #[arg(long, value_enum, default_value = "cpu")]
    device: trussforge::learn::DeviceChoice,
    /// Dataset CSV for the lookup method (made by `trussforge dataset`).
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// Proposals drawn per target (≥ 1).
    #[arg(long, default_value_t = 1000, value_parser = super::at_least_one)]
    samples: usize,
    /// Gumbel-softmax temperature (network method): topologies are drawn from
    /// softmax(logits / τ); above 1 gives more distinct topologies, 0 only the most likely.
    #[arg(long, default_value_t = 1.0, value_parser = super::finite_non_negative, allow_negative_numbers = true)]
    temperature: f64,
    /// Distinct-topology candidates kept and FE-verified.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Network method: polish the best design of this many topologies by gradient descent
    /// through the forward model before FE verification (0: off).
    #[arg(long, default_value_t = NetworkProposer::POLISHED)]
    polish: usize,
    /// Network method: Adam steps of the polish.
    #[arg(long, default_value_t = PolishOptions::default().steps)]
    polish_steps: usize,
    /// Refine each candidate's continuous parameters against the FE model.
    #[arg(long)]
    refine: bool,
    /// Seed of the proposer.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Cell size in mm, to report strut diameters (default: the smallest cell each design
    /// prints at when manufacturing limits are given, else 3 mm).
    #[arg(long, allow_negative_numbers = true)]
    cell_size: Option<f64>,
    /// Smallest printable strut diameter, mm: only designs that print are returned, and among
    /// equally accurate ones those that print at the smallest cell come first.
    #[arg(long, allow_negative_numbers = true)]
    min_strut_diameter: Option<f64>,
    /// Smallest printable pore (gap between strut surfaces), mm.
    #[arg(long, allow_negative_numbers = true)]
    min_pore_size: Option<f64>,
    /// Largest allowed cell edge, mm (with manufacturing limits; default 6).
    #[arg(long, allow_negative_numbers = true)]
    max_cell_size: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The cell edge (mm) diameters are reported at when neither `--cell-size` nor manufacturing
/// limits are given.
const DEFAULT_CELL_SIZE: f64 = 3.0;

/// The largest cell edge (mm) allowed when manufacturing limits are given without
/// `--max-cell-size`.
const DEFAULT_MAX_CELL_SIZE: f64 = 6.0;

/// Above this FE relative Frobenius error the best design is reported as a poor match.
const POOR_MATCH: f64 = 0.2;

/// The manufacturing limits of the command line, with the largest allowed cell edge (mm).
fn manufacturing(args: &Args) -> anyhow::Result<Option<(f64, Manufacturing)>> {
    let positive = |name: &str, v: Option<f64>| -> anyhow::Result<Option<f64>> {
        match v {
            Some(x) if !(x.is_finite() && x > 0.0) => {
                anyhow::bail!("--{name} {x}: must be a finite length > 0 in mm")
            }
            other => Ok(other),
        }
    };
    let diameter = positive("min-strut-diameter", args.min_strut_diameter)?;
    let pore = positive("min-pore-size", args.min_pore_size)?;
    let largest = positive("max-cell-size", args.max_cell_size)?;
    let cell = positive("cell-size", args.cell_size)?;
    if diameter.is_none() && pore.is_none() && largest.is_none() {
        return Ok(None);
    }
    let largest = cell.or(largest).unwrap_or(DEFAULT_MAX_CELL_SIZE);
    Ok(Some((
        largest,
        Manufacturing {
            min_strut_diameter: diameter.unwrap_or(0.0),
            min_pore_size: pore.unwrap_or(0.0),
        },
    )))
}

#[derive(Serialize)]
struct TargetResult {
    target_voigt: [[f64; 6]; 6],
    youngs_modulus: f64,
    warning: Option<String>,
    candidates: Vec<Candidate>,
}

fn read_targets(args: &Args) -> anyhow::Result<Vec<Vec<f64>>> {
    if let Some(path) = &args.targets {
        let text = trussforge::fsutil::read_regular_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut out = Vec::new();
        let mut first = true;
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // A header (column names such as C11, C12, …) is allowed as the first row only;
            // any later row must be numbers (a NaN or a typo is an error, not skipped).
            let header = first && is_header(line);
            first = false;
            if header {
                continue;
            }
            let v = parse_stiffness_values(line)
                .with_context(|| format!("{} line {}", path.display(), k + 1))?;
            anyhow::ensure!(
                v.len() == 21,
                "{} line {}: a target row needs 21 constants, got {}",
                path.display(),
                k + 1,
                v.len()
            );
            out.push(v);
        }
        anyhow::ensure!(!out.is_empty(), "{} holds no targets", path.display());
        return Ok(out);
    }
    let arg = args
        .target
        .as_deref()
        .expect("clap requires --target or --targets");
    // An existing path is read as a file (anything but a regular file is refused, as a FIFO
    // would block); any other text is the constants themselves.
    let text = if std::path::Path::new(arg).exists() {
        let text = trussforge::fsutil::read_regular_to_string(std::path::Path::new(arg))
            .with_context(|| format!("reading --target {arg}"))?;
        // `#` comment lines are allowed in a target file (as in fixtures/bone_targets.csv).
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .collect();
        let row_of_21 = rows
            .first()
            .and_then(|r| parse_stiffness_values(r).ok())
            .is_some_and(|v| v.len() == 21);
        anyhow::ensure!(
            rows.len() <= 1 || !row_of_21,
            "--target {arg} holds {} target rows; give one, or use --targets {arg}",
            rows.len()
        );
        rows.join("\n")
    } else {
        arg.to_string()
    };
    Ok(vec![parse_stiffness_values(&text)?])
}

/// Whether a CSV row is a header: every field a name starting with a letter that is not a
/// number (`NaN`, `inf` parse as numbers and are errors of their own).
fn is_header(line: &str) -> bool {
    line.split(',').all(|f| {
        let f = f.trim();
        f.chars().next().is_some_and(char::is_alphabetic) && f.parse::<f64>().is_err()
    })
}

/// The targets as stiffnesses normalized by the Young's modulus of the material.
fn target_stiffnesses(args: &Args) -> anyhow::Result<Vec<Stiffness>> {
    read_targets(args)?
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let c = Stiffness::try_from_values(v).with_context(|| format!("target {}", k + 1))?;
            Ok(if args.normalized {
                c
            } else {
                c.scaled(1.0 / args.youngs_modulus)
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
}

/// The proposer `--method` names, with its models or dataset loaded.
fn make_proposer(args: &Args) -> anyhow::Result<Box<dyn Proposer>> {
    Ok(match args.method {
        Method::Network => {
            let dir = trussforge::spec::models_dir(args.models.as_deref());
            let models = trussforge::learn::Models::load(&dir, args.device)
                .with_context(|| format!("loading models from {}", dir.display()))?;
            Box::new(NetworkProposer::new(models)?.with_polish(
                args.polish,
                PolishOptions {
                    steps: args.polish_steps,
                    ..PolishOptions::default()
                },
            ))
        }
        Method::Lookup => {
            let path = args
                .dataset
                .as_ref()
                .context("--method lookup needs --dataset FILE (made by `trussforge dataset`)")?;
            Box::new(LookupTable::from_csv(path)?)
        }
    })
}

/// The results as text tables, one per target; `printable`: whether `h` is the smallest
/// printable cell edge.
fn print_table(
    args: &Args,
    results: &[TargetResult],
    proposer_name: &str,
    printable: bool,
) -> anyhow::Result<()> {
    for (k, r) in results.iter().enumerate() {
        println!(
            "target {} ({} method): {} candidates, best first",
            k + 1,
            proposer_name,
            r.candidates.len()
        );
        println!(
            "    relFro: relative Frobenius error of the 4th-order tensors (the ranking); F: the \
             surrogate's prediction (\"shape\": a start from the shape table); h: {}",
            if printable {
                "smallest printable cell edge"
            } else {
                "cell edge the diameter d is given at"
            }
        );
        println!(
            "{:>3} {:>38} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7}",
            "#",
            "topology (lattice x tess.)",
            "rho",
            "F relFro",
            "FE relFro",
            "unrefined",
            "FE NMSE",
            "unrefined",
            "h (mm)",
            "d (mm)"
        );
        for (i, c) in r.candidates.iter().enumerate() {
            print_candidate(args, i, c)?;
        }
    }
    Ok(())
}

/// One table row: candidate `c` ranked `i` (from 0).
fn print_candidate(args: &Args, i: usize, c: &Candidate) -> anyhow::Result<()> {
    let topo = c
        .design
        .topology
        .choices()
        .map(|l| format!("{}x{}", l.lattice, l.tessellation))
        .join(" + ");
    let h = args
        .cell_size
        .or(c.smallest_cell_size)
        .unwrap_or(DEFAULT_CELL_SIZE);
    let d = c
        .design
        .cell(trussforge::design_space::RangePolicy::Strict)?
        .scaled(h)
        .struts()
        .iter()
        .map(|s| s.diameter)
        .fold(f64::INFINITY, f64::min);
    println!(
        "{:>3} {:>38} {:>7.4} {:>9} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>7.2} {:>7.3}",
        i + 1,
        topo,
        c.design.relative_density,
        c.surrogate.map_or_else(
            || "shape".to_string(),
            |e| format!("{:.4}", e.rel_frobenius)
        ),
        c.fe.rel_frobenius,
        c.fe_unrefined.rel_frobenius,
        c.fe.nmse,
        c.fe_unrefined.nmse,
        h,
        d
    );
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.youngs_modulus.is_finite() && args.youngs_modulus > 0.0,
        "--youngs-modulus {} must be a positive number of GPa",
        args.youngs_modulus
    );
    let material = Material {
        youngs_modulus: args.youngs_modulus,
        poisson_ratio: args.poisson_ratio,
    };
    let targets = target_stiffnesses(&args)?;
    let proposer = make_proposer(&args)?;
    let options = DesignOptions {
        samples: args.samples,
        temperature: args.temperature,
        top: args.top,
        refine: args.refine,
        seed: args.seed,
        ..DesignOptions::default()
    };
    let limits = manufacturing(&args)?;
    let printable = limits.as_ref().map(|(largest, limits)| PrintableWithin {
        largest: *largest,
        limits,
        widest: f64::INFINITY,
    });
    let mut results = Vec::new();
    for target in &targets {
        let warning = reach_message(target, args.youngs_modulus);
        if let Some(w) = &warning {
            eprintln!("warning: {w}");
        }
        let candidates = match &printable {
            Some(p) => design_for_target_printable(
                target,
                &material,
                proposer.as_ref(),
                &options,
                p as &dyn Printability,
            )?,
            None => design_for_target(target, &material, proposer.as_ref(), &options)?,
        };
        if let Some(best) = candidates.first()
            && best.fe.rel_frobenius > POOR_MATCH
        {
            eprintln!(
                "warning: the best FE relative Frobenius error is {:.3} (NMSE {:.3}): no close \
                 match in the design space ({})",
                best.fe.rel_frobenius,
                best.fe.nmse,
                proposer.name()
            );
        }
        let v = target.voigt();
        results.push(TargetResult {
            target_voigt: trussforge::mechanics::voigt_rows(v),
            youngs_modulus: args.youngs_modulus,
            warning,
            candidates,
        });
    }
    if args.json {
        if results.len() == 1 {
            return super::print_json(&results[0]);
        }
        return super::print_json(&results);
    }
    print_table(&args, &results, proposer.name(), printable.is_some())
}
