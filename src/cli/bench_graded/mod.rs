//! `trussforge bench graded`: graded implant specs generated as users write them, each built
//! by a child `trussforge build` and measured: outcome, wall time, peak resident memory,
//! struts, STL bytes per strut, shells, nodes meshed in local implicit patches, and every
//! control point's design and built error. A benchmark of the engine's robustness, not a test:
//! it prints figures, and fails only when it cannot run.

mod generate;
mod measure;
mod shapes;

use std::path::{Path, PathBuf};

use anyhow::Context;

/// What `bench graded` runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Specs to generate and build.
    pub specs: usize,
    /// Seed of the suite (spec `k` draws from stream `k` of it).
    pub seed: u64,
    /// Folder for the generated specs, the build outputs and `bench-graded.json`.
    pub out: PathBuf,
    /// Wall-clock limit per build, s (the child is killed after it).
    pub timeout_s: f64,
    /// Keep the build outputs (else each build's folder is removed once measured).
    pub keep: bool,
    /// Measured bone targets (GPa, 21 constants per row), drawn for a quarter of the points.
    pub bone_targets: Option<PathBuf>,
    /// Only the specs with these indices (all when empty).
    pub only: Vec<usize>,
}

/// Generates, builds and measures the suite; prints a row per spec and the summary.
pub fn run(options: &Options) -> anyhow::Result<()> {
    let bone = match &options.bone_targets {
        Some(path) => read_bone(path)?,
        None => Vec::new(),
    };
    let exe = std::env::current_exe().context("locating the trussforge executable")?;
    let specs_dir = options.out.join("specs");
    std::fs::create_dir_all(&specs_dir)
        .with_context(|| format!("creating {}", specs_dir.display()))?;
    let runs = options.out.join("runs");
    std::fs::create_dir_all(&runs).with_context(|| format!("creating {}", runs.display()))?;
    println!("{}", measure::Outcome::header());
    let mut outcomes = Vec::new();
    for index in 0..options.specs {
        if !options.only.is_empty() && !options.only.contains(&index) {
            continue;
        }
        let spec = generate::generate(options.seed, index, &bone);
        let path = specs_dir.join(format!("{}.yaml", spec.name));
        trussforge::fsutil::atomic_write_bytes(&path, spec.yaml.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        if let Some((name, bytes)) = &spec.envelope {
            let stl = specs_dir.join(name);
            trussforge::fsutil::atomic_write_bytes(&stl, bytes)
                .with_context(|| format!("writing {}", stl.display()))?;
        }
        let out = runs.join(&spec.name);
        let outcome = measure::build_and_measure(&exe, &path, &out, &spec, options.timeout_s)?;
        println!("{}", outcome.row());
        if !options.keep && out.join("report.json").is_file() {
            std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
        }
        outcomes.push(outcome);
    }
    println!();
    println!("{}", measure::summary(&outcomes));
    let json = options.out.join("bench-graded.json");
    let text = serde_json::to_vec_pretty(&outcomes)?;
    trussforge::fsutil::atomic_write_bytes(&json, &text)
        .with_context(|| format!("writing {}", json.display()))?;
    println!("rows written to {}", json.display());
    Ok(())
}

/// Rows of 21 comma-separated constants (GPa); `#` comments and blank lines skipped.
fn read_bone(path: &Path) -> anyhow::Result<Vec<[f64; 21]>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let values = trussforge::mechanics::parse_stiffness_values(l)
                .with_context(|| format!("{}: {l:?} is not 21 numbers", path.display()))?;
            <[f64; 21]>::try_from(values)
                .map_err(|v| anyhow::anyhow!("{}: {} values, 21 needed", path.display(), v.len()))
        })
        .collect()
}
