use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use trussforge::design_space::{CellSource, Material, RangePolicy, TrussFile, read_cell_source};
use trussforge::fsutil::atomic_write_bytes;

/// Arguments of `trussforge cell`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A design file (YAML/JSON: topology, relative_density, U, R1, V, R2) or a periodic-truss JSON.
    design: PathBuf,
    /// Print the cell as JSON (the periodic-truss schema plus derived figures).
    #[arg(long)]
    json: bool,
    /// Write the periodic-truss JSON file here (atomically).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Accept stretches and densities outside the design space (with a warning).
    #[arg(long)]
    allow_out_of_range: bool,
}

#[derive(Serialize)]
struct Summary {
    #[serde(flatten)]
    file: TrussFile,
    cell_volume: f64,
    relative_density_beam: f64,
    node_count: usize,
    strut_count: usize,
    strut_length_min: f64,
    strut_length_max: f64,
    node_valences: Vec<usize>,
    stretching_bound_voigt: [[f64; 6]; 6],
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let policy = if args.allow_out_of_range {
        RangePolicy::AllowOutOfRange
    } else {
        RangePolicy::Strict
    };
    let source = read_cell_source(&args.design)?;
    let (cell, material) = match &source {
        CellSource::Design(d) => {
            for w in d.validate(policy)? {
                eprintln!("warning: {w}");
            }
            (d.cell(policy)?, Material::default())
        }
        CellSource::Truss(t) => (t.to_cell()?, t.material),
    };
    let file = TrussFile::from_cell(&cell, material);
    if let Some(out) = &args.out {
        let bytes = serde_json::to_vec_pretty(&file)?;
        atomic_write_bytes(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    }
    let lengths = cell.strut_lengths();
    let bound = cell.stretching_bound();
    let summary = Summary {
        file,
        cell_volume: cell.volume(),
        relative_density_beam: cell.relative_density(),
        node_count: cell.nodes().len(),
        strut_count: cell.struts().len(),
        strut_length_min: lengths.iter().copied().fold(f64::INFINITY, f64::min),
        strut_length_max: lengths.iter().copied().fold(0.0, f64::max),
        node_valences: cell.node_valences(),
        stretching_bound_voigt: trussforge::mechanics::voigt_rows(&bound),
    };
    if args.json {
        return super::print_json(&summary);
    }
    let d = cell.struts()[0].diameter;
    println!(
        "periodic cell: {} nodes, {} struts",
        summary.node_count, summary.strut_count
    );
    println!("lattice vectors (columns, cell edges):");
    for r in 0..3 {
        let l = cell.lattice_vectors();
        println!(
            "  [{:>9.5} {:>9.5} {:>9.5}]",
            l[(r, 0)],
            l[(r, 1)],
            l[(r, 2)]
        );
    }
    println!(
        "cell volume {:.6}, strut diameter {:.6} (cell edges)",
        summary.cell_volume, d
    );
    println!(
        "relative density (slender-beam volume) {:.6}",
        summary.relative_density_beam
    );
    println!(
        "strut length {:.5} .. {:.5}",
        summary.strut_length_min, summary.strut_length_max
    );
    let mut v = summary.node_valences.clone();
    v.sort();
    v.dedup();
    println!("node valences {v:?}");
    println!("stretching (Voigt) bound, normalized by E:");
    for row in summary.stretching_bound_voigt {
        println!("  {}", row.map(|x| format!("{x:>11.3e}")).join(" "));
    }
    if let Some(out) = &args.out {
        println!("wrote {}", out.display());
    }
    Ok(())
}
