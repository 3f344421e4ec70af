use std::path::PathBuf;

use trussforge::mesh::{check, read_stl};

/// Arguments of `trussforge check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A mesh file (STL, binary or ASCII).
    mesh: PathBuf,
    /// Print the full report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mesh = read_stl(&args.mesh)?;
    let report = check(&mesh);
    if args.json {
        super::print_json(&report)?;
    } else {
        println!(
            "{}: {} vertices, {} triangles",
            args.mesh.display(),
            mesh.vertices().len(),
            mesh.triangles().len()
        );
        println!("{report:#?}");
    }
    report.into_result()?;
    if !args.json {
        println!(
            "ok: closed, 2-manifold, consistently oriented, no degenerate triangles, no self-intersections"
        );
    }
    Ok(())
}
