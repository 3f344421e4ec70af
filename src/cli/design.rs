use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use trussforge::design_space::Material;
use trussforge::inverse::{
    Candidate, DesignOptions, LookupTable, NetworkProposer, Proposer, design_for_target,
    reach_message,
};
use trussforge::learn::PolishOptions;
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
    /// Folder of trained models for the network method (default: `./models`, else the
    /// models shipped with this source tree).
    #[arg(long)]
    models: Option<PathBuf>,
    /// Device for the networks.
    #[arg(long, value_enum, default_value = "cpu")]
    device: trussforge::learn::DeviceChoice,
    /// Dataset CSV for the lookup method (made by `trussforge dataset`).
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// Proposals drawn per target.
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Gumbel-softmax temperature (network method): topologies are drawn from
    /// softmax(logits / τ); above 1 gives more distinct topologies, 0 only the most likely.
    #[arg(long, default_value_t = 1.0)]
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
    /// Cell size in mm, to report strut diameters.
    #[arg(long, default_value_t = 3.0)]
    cell_size: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
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
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut out = Vec::new();
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty()
                || line.starts_with('#')
                || line.chars().next().is_some_and(|c| c.is_alphabetic())
            {
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
    let text = if std::path::Path::new(arg).is_file() {
        std::fs::read_to_string(arg)?
    } else {
        arg.to_string()
    };
    Ok(vec![parse_stiffness_values(&text)?])
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
    let targets = read_targets(&args)?
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
        .collect::<anyhow::Result<Vec<_>>>()?;
    let proposer: Box<dyn Proposer> = match args.method {
        Method::Network => {
            let dir = args.models.clone().unwrap_or_else(|| {
                let local = PathBuf::from("models");
                if local.join("forward.json").is_file() {
                    local
                } else {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
                }
            });
            let models = trussforge::learn::Models::load(&dir, args.device)
                .with_context(|| format!("loading models from {}", dir.display()))?;
            Box::new(NetworkProposer::new(models).with_polish(
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
    };
    let options = DesignOptions {
        samples: args.samples,
        temperature: args.temperature,
        top: args.top,
        refine: args.refine,
        seed: args.seed,
        ..DesignOptions::default()
    };
    let mut results = Vec::new();
    for target in &targets {
        let warning = reach_message(target, args.youngs_modulus);
        if let Some(w) = &warning {
            eprintln!("warning: {w}");
        }
        let candidates = design_for_target(target, &material, proposer.as_ref(), &options)?;
        if let Some(best) = candidates.first()
            && best.fe_nmse > 0.1
        {
            eprintln!(
                "warning: the best FE NMSE is {:.3}: no close match in the design space ({})",
                best.fe_nmse,
                proposer.name()
            );
        }
        let v = target.voigt();
        results.push(TargetResult {
            target_voigt: std::array::from_fn(|i| std::array::from_fn(|j| v[(i, j)])),
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
    for (k, r) in results.iter().enumerate() {
        println!(
            "target {} ({} method): {} candidates, best first",
            k + 1,
            proposer.name(),
            r.candidates.len()
        );
        println!(
            "{:>3} {:>38} {:>7} {:>10} {:>10} {:>10} {:>9} {:>10}",
            "#",
            "topology (lattice x tess.)",
            "rho",
            "surrogate",
            "FE NMSE",
            "unrefined",
            "rel.Frob",
            "d (mm)"
        );
        for (i, c) in r.candidates.iter().enumerate() {
            let topo = c
                .design
                .topology
                .choices()
                .map(|l| format!("{}x{}", l.lattice, l.tessellation))
                .join(" + ");
            let d = c
                .design
                .cell(trussforge::design_space::RangePolicy::Strict)?
                .scaled(args.cell_size)
                .struts()[0]
                .diameter;
            println!(
                "{:>3} {:>38} {:>7.4} {:>10.4} {:>10.4} {:>10.4} {:>9.4} {:>10.3}",
                i + 1,
                topo,
                c.design.relative_density,
                c.surrogate_nmse,
                c.fe_nmse,
                c.fe_nmse_unrefined,
                c.fe_rel_frobenius,
                d
            );
        }
    }
    Ok(())
}
