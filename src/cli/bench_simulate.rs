//! `trussforge bench simulate`: the whole-part beam simulation of built output folders, each
//! load case timed by stage.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use trussforge::simulate::{LoadCase, SimulateOptions, read_output, simulate};

/// The folders measured when none are given.
const DEFAULT_FOLDERS: [&str; 2] = ["output/shaft-spacer", "output/bench-cylinder"];

/// Simulates every folder under the three load cases and prints the times (s).
pub fn run(folders: &[PathBuf]) -> anyhow::Result<()> {
    let folders: Vec<PathBuf> = if folders.is_empty() {
        DEFAULT_FOLDERS.iter().map(PathBuf::from).collect()
    } else {
        folders.to_vec()
    };
    println!(
        "{:<28} {:>8} {:>8} {:>9} {:>7} {:>7} {:>7} {:>7} {:>10}",
        "folder", "struts", "case", "DOFs", "read s", "model s", "solve s", "total s", "E_app GPa"
    );
    for folder in &folders {
        let t = Instant::now();
        let input = read_output(folder).with_context(|| format!("reading {}", folder.display()))?;
        let read = t.elapsed().as_secs_f64();
        for load in [LoadCase::Axial, LoadCase::Bending, LoadCase::Torsion] {
            let options = SimulateOptions {
                load,
                ..SimulateOptions::default()
            };
            let t = Instant::now();
            let sim = simulate(&input, &options)
                .with_context(|| format!("simulating {}", folder.display()))?;
            let total = t.elapsed().as_secs_f64();
            println!(
                "{:<28} {:>8} {:>8} {:>9} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>10.4}",
                folder.display().to_string(),
                sim.struts,
                load.name(),
                sim.free_dofs,
                read,
                sim.timings_s.model,
                sim.timings_s.solve,
                total + read,
                sim.apparent_modulus_gpa
            );
        }
    }
    Ok(())
}
