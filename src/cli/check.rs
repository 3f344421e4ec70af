use std::path::PathBuf;

use trussforge::mesh::{MeshReport, check, read_stl};

/// Arguments of `trussforge check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A mesh file (STL, binary or ASCII).
    mesh: PathBuf,
    /// Print the full report as JSON.
    #[arg(long)]
    json: bool,
}

/// Exit code of a mesh that fails the check (2 is for bad usage and unreadable files).
const FAILED: i32 = 1;

pub fn run(args: Args) -> anyhow::Result<()> {
    let mesh = read_stl(&args.mesh)?;
    let report = check(&mesh);
    if args.json {
        super::print_json(&report)?;
    } else {
        print_summary(&args.mesh, &report);
    }
    if let Err(e) = report.into_result() {
        eprintln!("error: {}: {e}", args.mesh.display());
        std::process::exit(FAILED);
    }
    if !args.json {
        println!(
            "ok: closed, 2-manifold, consistently oriented, no degenerate triangles, no self-intersections"
        );
    }
    Ok(())
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

/// The report as a few readable lines.
fn print_summary(path: &std::path::Path, r: &MeshReport) {
    println!(
        "{}: {} vertices, {} triangles, {} edges, {} shell(s)",
        path.display(),
        r.vertices,
        r.triangles,
        r.edges,
        r.shells
    );
    let first = |e: Option<(u32, u32)>| {
        e.map_or_else(String::new, |(a, b)| {
            format!(", first between vertices {a} and {b}")
        })
    };
    println!(
        "  closed:              {} ({} open edges{})",
        yes_no(r.closed),
        r.open_edges,
        first(r.first_open_edge)
    );
    println!(
        "  2-manifold:          {} ({} non-manifold edges, {} non-manifold vertices)",
        yes_no(r.manifold),
        r.non_manifold_edges,
        r.non_manifold_vertices
    );
    println!(
        "  oriented:            {} ({} misoriented edges, signed volume {:.4} mm³)",
        yes_no(r.oriented),
        r.misoriented_edges,
        r.signed_volume
    );
    println!(
        "  one solid:           {} ({} shell(s), {} enclosed void(s), {} floating piece(s))",
        yes_no(r.shells == 1),
        r.shells,
        r.voids,
        r.floating_pieces
    );
    println!("  degenerate triangles: {}", r.degenerate_triangles);
    if r.self_intersections_checked {
        println!("  self-intersections:  {}", r.self_intersections);
    }
    println!(
        "  area {:.4} mm², Euler characteristic {}",
        r.area, r.euler_characteristic
    );
}
