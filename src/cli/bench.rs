//! `trussforge bench`: throughput figures printed as per-item rates.

use std::time::Instant;

use rayon::prelude::*;
use trussforge::dataset::{DatasetConfig, Shard, generate, row_rng, sample_design};
use trussforge::design_space::{
    AxisAngle, Design, Equivalence, Material, PeriodicCell, RangePolicy, Topology, TopologyCatalog,
};
use trussforge::fem::{FemOptions, Homogenizer};

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
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Target {
    /// Periodic beam homogenization and dataset generation.
    Homogenize,
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
    let Target::Homogenize = args.target;
    println!(
        "machine: {} threads available to rayon",
        rayon::current_num_threads()
    );
    let catalog = TopologyCatalog::enumerate(Equivalence::StrutSet);
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
    // Warm the symbolic cache once per topology, as a dataset run does.
    let mut fem = Homogenizer::new(FemOptions::default());
    cells_per_second(&cells, &mut fem);
    let rate = cells_per_second(&cells, &mut fem);
    let mean_struts =
        cells.iter().map(|c| c.struts().len()).sum::<usize>() as f64 / cells.len() as f64;
    println!(
        "design space ({} sampled cells, mean {:.0} struts): {:.0} cells/s on one core ({:.3} ms/cell)",
        cells.len(),
        mean_struts,
        rate,
        1e3 / rate
    );
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
        cells_per_second(&batch[..1], &mut fem);
        let r = cells_per_second(&batch, &mut fem);
        println!(
            "{:>8} {:>8} {:>12.0} {:>12.2}",
            cell.struts().len(),
            cell.nodes().len(),
            r,
            1e6 / r / cell.struts().len() as f64
        );
    }
    // Dataset throughput on all cores (two FE solves per row: the U·X and V·R_I·U·X cells).
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
