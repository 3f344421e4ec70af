use std::path::PathBuf;

use anyhow::Context;
use trussforge::pipeline::{BuildReport, GradedReport, UniformReport, build, default_output_dir};
use trussforge::spec::Spec;

/// Arguments of `trussforge build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The implant spec (YAML; lengths in mm unless `units.length` says otherwise).
    spec: PathBuf,
    /// Output folder (default `output/<spec name>/`); replaced atomically when the build succeeds.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Fail (exit 3, after writing the output) when a control point's built stiffness misses
    /// its tolerance.
    #[arg(long)]
    strict: bool,
}

/// The uniform-lattice lines of the summary.
fn print_uniform(u: &UniformReport) {
    println!(
        "  {} cells, {} struts cut at the boundary, design rho {:.4}",
        u.tiling.cells, u.tiling.struts_cut, u.design_relative_density
    );
    if let Some(p) = u.smallest_pore_mm {
        println!("  smallest pore {p:.3} mm");
    }
    let c = u.stiffness_voigt_gpa;
    println!(
        "  FE stiffness of the cell (GPa): C11 {:.3}  C22 {:.3}  C33 {:.3}  C44 {:.3}  C55 {:.3}  C66 {:.3}",
        c[0][0], c[1][1], c[2][2], c[3][3], c[4][4], c[5][5]
    );
}

/// The graded-lattice lines of the summary: one row per control point.
fn print_graded(g: &GradedReport) {
    println!(
        "  graded over {} control points ({} designs, smoothness {}, {} correction round(s)): FE relative Frobenius error (NMSE)",
        g.control_points.len(),
        if g.control_points.iter().all(|p| p.pinned) {
            "fixed"
        } else {
            g.method.as_str()
        },
        g.smoothness,
        g.correction_rounds
    );
    println!(
        "    {:<16} {:>17} {:>17} {:>23} {:>17} {:>7} {:>6} {:>7}",
        "point",
        "design vs target",
        "cell vs target",
        "built window vs target",
        "cell vs design",
        "h [mm]",
        "core",
        "d [mm]"
    );
    let both =
        |m: &trussforge::mechanics::ErrorMetrics| format!("{:.4} ({:.4})", m.rel_frobenius, m.nmse);
    for p in &g.control_points {
        let window = p.window.as_ref().map_or_else(
            || "-".to_string(),
            |w| {
                let n = w.cells_per_side;
                w.vs_target
                    .as_ref()
                    .map_or_else(String::new, |m| format!("{} {n}x{n}x{n}", both(m)))
            },
        );
        let core = p
            .core
            .as_ref()
            .and_then(|c| c.half_cells)
            .map_or_else(|| "none".to_string(), |k| format!("{}^3", 2 * k + 1));
        println!(
            "    {:<16} {:>17} {:>17} {:>23} {:>17} {:>7.3} {:>6} {:>7.3}",
            p.id,
            both(&p.design_vs_target),
            both(&p.graded_vs_target),
            window,
            both(&p.graded_vs_design),
            p.cell_size_mm,
            core,
            p.strut_diameter_mm
        );
    }
    println!(
        "  stiffness between points: largest step change {:.3} over {} samples",
        g.max_step_change,
        g.segments.len()
    );
}

/// The mesh lines of the summary.
fn print_mesh(report: &BuildReport) {
    let Some(mesh) = &report.mesh else {
        println!("  mesh: none (no STL or mesh 3MF asked for)");
        return;
    };
    println!(
        "  mesh ({:?}{}): {} triangles, closed and 2-manifold, {} shells, solid volume fraction {:.4}",
        mesh.mesher.method,
        mesh.mesher
            .fallback
            .as_ref()
            .map_or_else(String::new, |f| format!(", explicit refused: {f}")),
        mesh.triangles,
        mesh.check.shells,
        mesh.solid_volume_fraction,
    );
    if let (Some(c), Some(h)) = (&mesh.mesher.conditioning, &mesh.mesher.hubs) {
        println!(
            "  explicit mesh: {} short struts absorbed, {} interfering pairs fused ({} struts split), nodes moved <= {:.3} mm; {} large hubs (largest {:.1} x the strut radius)",
            c.struts_absorbed,
            c.pieces_fused,
            c.struts_split,
            c.max_shift_mm,
            h.large_hubs,
            h.largest_hub_ratio
        );
    }
    if let Some(l) = &mesh.mesher.local {
        let r = &l.reasons;
        println!(
            "  local implicit patches: {} nodes ({} sharp angles, {} hubs too large, {} struts too short, {} degenerate hulls, {} too close to another piece, {} neighbours), {} struts, {} cuts stitched, {} triangles",
            l.nodes,
            r.sharp_angle,
            r.hub_too_large,
            r.strut_too_short,
            r.hull,
            r.interference,
            r.neighbours,
            l.struts,
            l.cuts,
            l.triangles
        );
    }
}

/// `--strict`: exits with status 3 when a control point misses its tolerance.
fn check_strict(g: &GradedReport, out: &std::path::Path) {
    let missed: Vec<&str> = g
        .control_points
        .iter()
        .filter(|p| p.within_tolerance == Some(false))
        .map(|p| p.id.as_str())
        .collect();
    if !missed.is_empty() {
        eprintln!(
            "error: --strict: {} control point(s) miss their tolerance: {} (the output was \
             written to {})",
            missed.len(),
            missed.join(", "),
            out.display()
        );
        std::process::exit(3);
    }
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
        "  {} nodes, {} struts, strut diameter {:.3}..{:.3} mm, cell size {:.3} mm{}",
        report.nodes,
        report.struts,
        report.strut_diameter_mm[0],
        report.strut_diameter_mm[1],
        report.cell_size_mm,
        if report.cell_size_auto { " (auto)" } else { "" }
    );
    if let Some(u) = report.uniform() {
        print_uniform(u);
    }
    if let Some(g) = report.graded() {
        print_graded(g);
    }
    print_mesh(&report);
    for f in &report.files {
        println!(
            "  {:<14} {:>12} bytes ({:.0} bytes/strut)",
            f.name, f.bytes, f.bytes_per_strut
        );
    }
    let t = report.timings_s;
    println!(
        "  time: cell {:.2}s, tile {:.2}s, design {:.2}s, grading {:.2}s, verify {:.2}s, mesh {:.2}s, check {:.2}s, stl {:.2}s, 3mf {:.2}s, beams {:.2}s, step {:.2}s, plots {:.2}s, total {:.2}s",
        t.cell,
        t.tile,
        t.design,
        t.grading,
        t.verify,
        t.mesh,
        t.check,
        t.stl,
        t.threemf,
        t.beam_lattice,
        t.step,
        t.plots,
        t.total
    );
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if args.strict
        && let Some(g) = report.graded()
    {
        check_strict(g, &out);
    }
    Ok(())
}
