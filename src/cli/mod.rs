//! Subcommands of the `trussforge` binary. Each module turns parsed arguments into library
//! calls and prints the result; no mechanics or geometry lives here.

mod batch;
mod bench;
mod bench_graded;
mod bench_inverse;
mod bench_simulate;
mod build;
mod cell;
mod check;
mod dataset;
mod design;
mod homogenize;
mod predict;
mod simulate;
mod stiffness;
mod topologies;
mod train;

use clap::{Parser, Subcommand};

/// trussforge: patient-specific graded truss implants from measured bone stiffness.
///
/// Units: geometry in mm, stiffness in GPa at the command line (normalized by the base
/// material's Young's modulus inside the engine), angles in degrees in files.
#[derive(Debug, Parser)]
#[command(name = "trussforge", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build an implant from a YAML spec: lattice, watertight mesh, STL/3MF/STEP and report.
    Build(build::Args),
    /// Build many specs (a folder of patients), each into output/<name>/; resumable, shardable.
    Batch(batch::Args),
    /// Check a mesh file: closed, 2-manifold, oriented, no degenerate triangles or self-intersections.
    Check(check::Args),
    /// List the distinct topologies of the design space and their count.
    Topologies(topologies::Args),
    /// Realize a design as a periodic unit cell (nodes, struts, lattice vectors, diameter).
    Cell(cell::Args),
    /// Validate a stiffness and print its eigenvalues, E(n) extremes and anisotropy.
    Stiffness(stiffness::Args),
    /// Propose truss designs for a target stiffness, verified by finite elements.
    Design(design::Args),
    /// Effective stiffness of a design or periodic truss by periodic beam finite elements.
    Homogenize(homogenize::Args),
    /// Sample designs, homogenize them and write a training dataset (CSV), or merge shards.
    Dataset(dataset::Args),
    /// Load the written strut network whole between rigid plates: reactions, apparent vs
    /// target modulus, strut stresses; optionally a CalculiX/Abaqus deck.
    Simulate(simulate::Args),
    /// Print throughput figures (per-item rates) for a stage of the engine.
    Bench(bench::Args),
    /// Train the forward (surrogate) or inverse networks on dataset CSV files.
    Train(train::Args),
    /// The networks alone on a dataset CSV: F's stiffness per row, or G's one proposal per row
    /// homogenized by FE, with per-component R² against the CSV's constants.
    Predict(predict::Args),
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build(a) => build::run(a),
        Command::Batch(a) => batch::run(a),
        Command::Check(a) => check::run(a),
        Command::Topologies(a) => topologies::run(a),
        Command::Cell(a) => cell::run(a),
        Command::Stiffness(a) => stiffness::run(a),
        Command::Homogenize(a) => homogenize::run(a),
        Command::Dataset(a) => dataset::run(a),
        Command::Design(a) => design::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Train(a) => train::run(a),
        Command::Predict(a) => predict::run(a),
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A count of at least 1 (a clap value parser).
pub(crate) fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{s:?} is not allowed: an integer >= 1")),
    }
}

/// A count of at least 1 (a clap value parser), 64-bit.
pub(crate) fn at_least_one_u64(s: &str) -> Result<u64, String> {
    at_least_one(s).map(|n| n as u64)
}

/// A finite number ≥ 0 (a clap value parser).
pub(crate) fn finite_non_negative(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not allowed: a finite number >= 0")),
    }
}
