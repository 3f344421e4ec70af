use std::path::PathBuf;

use anyhow::Context;
use trussforge::dataset::{DatasetConfig, Shard, generate, merge};
use trussforge::design_space::Material;
use trussforge::fem::FemOptions;

/// Arguments of `trussforge dataset`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    merge: Option<MergeCommand>,
    /// Rows of the whole dataset (over all shards, ≥ 1).
    #[arg(long, value_parser = super::at_least_one_u64)]
    samples: Option<u64>,
    /// Sampling seed: the same seed and samples give the same rows on any machine.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output CSV (a `.meta.json` sidecar is written beside it).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Make only shard K of M (0-based, e.g. `3/8`); shards merge into the full dataset.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
}

#[derive(Debug, clap::Subcommand)]
enum MergeCommand {
    /// Concatenate shard files into one dataset, checking for gaps and duplicates.
    Merge {
        /// Shard CSV files (each with its .meta.json sidecar).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// The merged CSV.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(MergeCommand::Merge { shards, out }) = args.merge {
        let meta = merge(&shards, &out)?;
        println!(
            "merged {} shards into {}: {} rows written, {} failed cells (of {} samples)",
            shards.len(),
            out.display(),
            meta.written,
            meta.failed.len(),
            meta.samples
        );
        return Ok(());
    }
    let samples = args
        .samples
        .context("--samples N is required (rows of the whole dataset)")?;
    let out = args.out.context("--out FILE is required")?;
    let config = DatasetConfig {
        samples,
        seed: args.seed,
        shard: args.shard,
        fem: FemOptions::default(),
        material: Material::default(),
    };
    let rows = config.shard.rows(samples);
    let bar = indicatif::ProgressBar::new(rows.end - rows.start);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
            .expect("valid template"),
    );
    let meta = generate(&config, &out, &|done| bar.set_position(done))?;
    bar.finish_and_clear();
    let n = (meta.rows.end - meta.rows.start) as f64;
    println!(
        "wrote {} rows ({}..{}) to {} in {:.1} s ({:.0} rows/s, {} threads); {} failed cells ({:.3} %)",
        meta.written,
        meta.rows.start,
        meta.rows.end,
        out.display(),
        meta.seconds,
        n / meta.seconds,
        rayon::current_num_threads(),
        meta.failed.len(),
        100.0 * meta.failed.len() as f64 / n.max(1.0)
    );
    for (row, why) in meta.failed.iter().take(5) {
        println!("  row {row} failed: {why}");
    }
    Ok(())
}
