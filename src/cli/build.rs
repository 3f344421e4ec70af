use std::path::PathBuf;

use anyhow::Context;
use trussforge::build::{build, default_output_dir};
use trussforge::spec::Spec;

/// Arguments of `trussforge build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The implant spec (YAML; lengths in mm unless `units.length` says otherwise).
    spec: PathBuf,
    /// Output folder (default `output/<spec name>/`); replaced atomically when the build succeeds.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let spec = Spec::load(&args.spec)?;
    let out = args
        .out
        .unwrap_or_else(|| default_output_dir(std::path::Path::new("."), &spec));
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .expect("valid template"),
    );
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = build(&spec, &out, &|stage| {
        spinner.set_message(format!("{}: {stage}", spec.name))
    })
    .with_context(|| format!("building {}", args.spec.display()))?;
    spinner.finish_and_clear();
    println!("built {} into {}", spec.name, out.display());
    println!(
        "  {} cells, {} nodes, {} struts ({} cut at the boundary), strut diameter {:.3}..{:.3} mm",
        report.tiling.cells,
        report.nodes,
        report.struts,
        report.tiling.struts_cut,
        report.strut_diameter_mm[0],
        report.strut_diameter_mm[1]
    );
    if let Some(p) = report.smallest_pore_mm {
        println!("  smallest pore {p:.3} mm");
    }
    println!(
        "  mesh: {} triangles, closed and 2-manifold, {} shells, solid volume fraction {:.4} (design rho {:.4})",
        report.mesh.triangles,
        report.mesh.check.shells,
        report.mesh.solid_volume_fraction,
        report.design_relative_density
    );
    let c = report.stiffness_voigt_gpa;
    println!(
        "  FE stiffness of the cell (GPa): C11 {:.3}  C22 {:.3}  C33 {:.3}  C44 {:.3}  C55 {:.3}  C66 {:.3}",
        c[0][0], c[1][1], c[2][2], c[3][3], c[4][4], c[5][5]
    );
    for f in &report.files {
        println!(
            "  {:<14} {:>12} bytes ({:.0} bytes/strut)",
            f.name, f.bytes, f.bytes_per_strut
        );
    }
    let t = report.timings_s;
    println!(
        "  time: cell+FE {:.2}s, tile {:.2}s, mesh {:.2}s, check {:.2}s, stl {:.2}s, 3mf {:.2}s, step {:.2}s, total {:.2}s",
        t.cell, t.tile, t.mesh, t.check, t.stl, t.threemf, t.step, t.total
    );
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}
