//! `trussforge predict forward|inverse`: the networks alone on a dataset CSV, judged by
//! per-component R² against the CSV's own FE constants.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::ProgressBar;
use serde::Serialize;
use trussforge::dataset::voigt21_names;
use trussforge::design_space::Design;
use trussforge::learn::data::LabelledDesigns;
use trussforge::learn::evaluate::{ErrorSummary, evaluate_forward, evaluate_inverse};
use trussforge::learn::{DeviceChoice, Models};
use trussforge::plot::{CorrelationPanel, correlation_png};

/// Which network is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    /// F (F1 → R_I → F2 → R_II): the 21 constants of every row's design.
    Forward,
    /// G (G1 + G2): one proposal per row's stiffness, homogenized by FE.
    Inverse,
}

/// Arguments of `trussforge predict`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `forward` (F's stiffness of each row's design) or `inverse` (G's design for each row's
    /// stiffness, its FE stiffness).
    which: Which,
    /// Dataset CSV files made by `trussforge dataset` (design columns and C11…C66,
    /// normalized by E_b); read in order.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Only the first N rows.
    #[arg(long, value_parser = super::at_least_one)]
    rows: Option<usize>,
    /// Model directory.
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Inverse only: Gumbel-softmax temperature of G1's one draw (the `design` default).
    #[arg(long, default_value_t = 1.0, value_parser = positive)]
    temperature: f64,
    /// Inverse only: seed of the Gumbel noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the correlation plot (predicted vs the CSV's constants, one panel per
    /// constant) to this PNG file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print one JSON document (figures and every row) instead of the table.
    #[arg(long)]
    json: bool,
    /// Where the networks run.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    device: DeviceChoice,
}

fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not allowed: a finite number > 0")),
    }
}

/// One row of `predict forward --json`.
#[derive(Serialize)]
struct ForwardRow {
    row: u64,
    voigt21: [f64; 21],
    relative_error: f64,
}

/// One row of `predict inverse --json`.
#[derive(Serialize)]
struct InverseRow<'a> {
    row: u64,
    design: &'a Design,
    /// `null` where the design does not homogenize.
    fe_voigt21: Option<[f64; 21]>,
    relative_error: Option<f64>,
}

#[derive(Serialize)]
struct Output<R: Serialize> {
    which: &'static str,
    /// What the R² compares.
    compared: &'static str,
    rows: usize,
    r2: std::collections::BTreeMap<String, f64>,
    summary: ErrorSummary,
    fe_failures: usize,
    seconds: f64,
    predictions: Vec<R>,
}

fn r2_map(r2: &[f64; 21]) -> std::collections::BTreeMap<String, f64> {
    voigt21_names("C")
        .into_iter()
        .zip(r2.iter().copied())
        .collect()
}

/// Prints the R² table and the summary.
fn print_table(title: &str, r2: &[f64; 21], s: &ErrorSummary, fe_failures: usize, secs: f64) {
    println!("{title}");
    let names = voigt21_names("C");
    for row in 0..3 {
        let cells: Vec<String> = (row * 7..row * 7 + 7)
            .map(|k| format!("{} {:.4}", names[k], r2[k]))
            .collect();
        println!("  R²  {}", cells.join("  "));
    }
    println!(
        "  min R² {:.4}; relative Frobenius error median {:.4}, p90 {:.4}; NMSE (Eq. 8) median {:.2e}; {} rows{}; {:.1} s",
        s.min_r2,
        s.median_relative_error,
        s.p90_relative_error,
        s.median_nmse,
        s.rows,
        if fe_failures > 0 {
            format!(" ({fe_failures} proposals did not homogenize, left out)")
        } else {
            String::new()
        },
        secs
    );
}

/// Writes the correlation plot of `predicted` against `truth` (rows in step).
fn write_plot(
    path: &std::path::Path,
    title: &str,
    predicted: &[[f64; 21]],
    truth: &[[f64; 21]],
    r2: &[f64; 21],
) -> anyhow::Result<()> {
    let names = voigt21_names("C");
    let column = |rows: &[[f64; 21]], k: usize| rows.iter().map(|r| r[k]).collect::<Vec<_>>();
    let columns: Vec<(Vec<f64>, Vec<f64>)> = (0..21)
        .map(|k| (column(predicted, k), column(truth, k)))
        .collect();
    let panels: Vec<CorrelationPanel<'_>> = columns
        .iter()
        .enumerate()
        .map(|(k, (p, t))| CorrelationPanel {
            label: &names[k],
            predicted: p,
            truth: t,
            r_squared: r2[k],
        })
        .collect();
    trussforge::fsutil::atomic_write_bytes(path, &correlation_png(title, &panels))
        .with_context(|| format!("cannot write the plot {}", path.display()))
}

/// Runs `trussforge predict`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let models = Models::load(&a.models, a.device)
        .with_context(|| format!("cannot load the models in {}", a.models.display()))?;
    let data = LabelledDesigns::read(&a.data, a.rows).context("cannot read the dataset")?;
    if data.is_empty() {
        anyhow::bail!(
            "the dataset {} has no rows; make one with `trussforge dataset`",
            a.data[0].display()
        );
    }
    match a.which {
        Which::Forward => forward(&a, &models, &data, started),
        Which::Inverse => inverse(&a, &models, &data, started),
    }
}

fn forward(
    a: &Args,
    models: &Models,
    data: &LabelledDesigns,
    started: Instant,
) -> anyhow::Result<()> {
    let e = evaluate_forward(models, data)?;
    let secs = started.elapsed().as_secs_f64();
    if let Some(p) = &a.plot {
        let title = format!(
            "F vs FE, {} rows: predicted (y) vs FE (x), C / E_b",
            data.len()
        );
        write_plot(p, &title, &e.predicted, &data.c, &e.r2)?;
    }
    if a.json {
        return super::print_json(&Output {
            which: "forward",
            compared: "F's prediction of each row's design vs the row's FE constants (C / E_b)",
            rows: data.len(),
            r2: r2_map(&e.r2),
            summary: e.summary,
            fe_failures: 0,
            seconds: secs,
            predictions: (0..data.len())
                .map(|i| ForwardRow {
                    row: data.row[i],
                    voigt21: e.predicted[i],
                    relative_error: e.relative_error[i],
                })
                .collect(),
        });
    }
    print_table(
        &format!(
            "F (models in {}) on {} rows: predicted vs the CSV's FE constants",
            a.models.display(),
            data.len()
        ),
        &e.r2,
        &e.summary,
        0,
        secs,
    );
    Ok(())
}

fn inverse(
    a: &Args,
    models: &Models,
    data: &LabelledDesigns,
    started: Instant,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(data.len() as u64);
    let e = evaluate_inverse(models, data, a.temperature, a.seed, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    if let Some(p) = &a.plot {
        let (pred, truth): (Vec<[f64; 21]>, Vec<[f64; 21]>) =
            e.fe.iter()
                .zip(&data.c)
                .filter_map(|(f, t)| f.map(|f| (f, *t)))
                .unzip();
        let title = format!(
            "G alone, {} rows: FE of G's proposal (y) vs target (x), C / E_b",
            truth.len()
        );
        write_plot(p, &title, &pred, &truth, &e.r2)?;
    }
    if a.json {
        return super::print_json(&Output {
            which: "inverse",
            compared: "FE stiffness of G's one proposal per row vs the row's constants (C / E_b)",
            rows: data.len(),
            r2: r2_map(&e.r2),
            summary: e.summary,
            fe_failures: e.fe_failures,
            seconds: secs,
            predictions: (0..data.len())
                .map(|i| InverseRow {
                    row: data.row[i],
                    design: &e.designs[i],
                    fe_voigt21: e.fe[i],
                    relative_error: e.relative_error[i],
                })
                .collect(),
        });
    }
    print_table(
        &format!(
            "G alone (models in {}, one draw at τ = {}, seed {}) on {} rows: FE of the proposal vs the CSV's constants",
            a.models.display(),
            a.temperature,
            a.seed,
            data.len()
        ),
        &e.r2,
        &e.summary,
        e.fe_failures,
        secs,
    );
    Ok(())
}
