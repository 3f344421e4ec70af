use std::path::PathBuf;

use anyhow::Context;
use trussforge::fem::{BeamTheory, FemOptions};
use trussforge::simulate::{
    AxisChoice, InpDialect, LoadCase, SimulateOptions, Simulation, prepare, read_output, simulate,
    write_inp,
};

/// The load case.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Load {
    /// Compression along the axis by `--strain` of the length.
    Axial,
    /// Top plate turned about the bending axis (outer-fibre strain `--strain`).
    Bending,
    /// Top plate turned about the load axis (outer shear strain `--strain`).
    Torsion,
}

/// A coordinate axis.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Axis {
    /// x.
    X,
    /// y.
    Y,
    /// z.
    Z,
}

/// The deck's dialect.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Dialect {
    /// CalculiX 2.20 (B32 beams with mid nodes, area-matched sections, plate-node translations
    /// prescribed).
    Calculix,
    /// Abaqus (B31 beams, rigid-body plates on reference nodes).
    Abaqus,
}

/// Arguments of `trussforge simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A build's output folder (with implant.beams.3mf and report.json).
    folder: PathBuf,
    /// The load case.
    #[arg(long, value_enum, default_value = "axial")]
    load: Load,
    /// Load axis (default: the cylinder's axis, or z for a box).
    #[arg(long, value_enum)]
    axis: Option<Axis>,
    /// Prescribed strain: axial compression of the length, or the outer-fibre strain of the
    /// plate rotation (bending, torsion).
    #[arg(long, default_value_t = 0.001)]
    strain: f64,
    /// Scale to this axial force, N (a physiological load instead of a strain).
    #[arg(long)]
    load_n: Option<f64>,
    /// Scale to this moment, N·mm (bending, torsion).
    #[arg(long)]
    moment_nmm: Option<f64>,
    /// Fatigue strength, MPa (default Ti-6Al-4V as built, 10^7 cycles).
    #[arg(long, default_value_t = trussforge::simulate::TI64_AS_BUILT_FATIGUE_MPA)]
    fatigue_mpa: f64,
    /// Fraction of the fatigue strength counted as highly stressed.
    #[arg(long, default_value_t = 0.5)]
    fatigue_fraction: f64,
    /// Euler–Bernoulli beams instead of Timoshenko (for comparison).
    #[arg(long)]
    euler_bernoulli: bool,
    /// Write the model as a CalculiX/Abaqus input deck to this file.
    #[arg(long)]
    inp: Option<PathBuf>,
    /// Dialect of the deck.
    #[arg(long, value_enum, default_value = "calculix")]
    inp_dialect: Dialect,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

fn options(args: &Args) -> anyhow::Result<SimulateOptions> {
    let load = match args.load {
        Load::Axial => LoadCase::Axial,
        Load::Bending => LoadCase::Bending,
        Load::Torsion => LoadCase::Torsion,
    };
    let target_load = match (load, args.load_n, args.moment_nmm) {
        (_, Some(_), Some(_)) => anyhow::bail!("give --load-n or --moment-nmm, not both"),
        (LoadCase::Axial, f, None) => f,
        (LoadCase::Axial, None, Some(_)) => {
            anyhow::bail!("--moment-nmm scales bending or torsion; for axial give --load-n (N)")
        }
        (_, Some(_), None) => {
            anyhow::bail!(
                "--load-n scales the axial case; for bending or torsion give --moment-nmm (N·mm)"
            )
        }
        (_, None, m) => m,
    };
    Ok(SimulateOptions {
        load,
        axis: args.axis.map(|a| match a {
            Axis::X => AxisChoice::X,
            Axis::Y => AxisChoice::Y,
            Axis::Z => AxisChoice::Z,
        }),
        strain: args.strain,
        target_load,
        fatigue_strength_mpa: args.fatigue_mpa,
        fatigue_fraction: args.fatigue_fraction,
        fem: FemOptions {
            beam: if args.euler_bernoulli {
                BeamTheory::EulerBernoulli
            } else {
                BeamTheory::Timoshenko
            },
            ..FemOptions::default()
        },
        ..SimulateOptions::default()
    })
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let opts = options(&args)?;
    let t = std::time::Instant::now();
    let input = read_output(&args.folder)?;
    let read_s = t.elapsed().as_secs_f64();
    if let Some(path) = &args.inp {
        let (_, model) = prepare(&input, &opts)?;
        let dialect = match args.inp_dialect {
            Dialect::Calculix => InpDialect::Calculix,
            Dialect::Abaqus => InpDialect::Abaqus,
        };
        write_inp(
            path,
            &input.network,
            &model,
            opts.load,
            &input.material,
            dialect,
        )
        .with_context(|| format!("writing the deck {}", path.display()))?;
    }
    let sim =
        simulate(&input, &opts).with_context(|| format!("simulating {}", args.folder.display()))?;
    if args.json {
        super::print_json(&sim)?;
    } else {
        print_summary(&args, &sim, read_s);
    }
    Ok(())
}

fn print_summary(args: &Args, s: &Simulation, read_s: f64) {
    let f = &s.frame;
    println!(
        "{}: {} load along {:?} ({} {:.3} mm long, section {:.3} mm²); {} struts, {} nodes, {} + {} on the plates",
        args.folder.display(),
        s.load_case.name(),
        f.axis,
        f.domain,
        f.length_mm,
        f.area_mm2,
        s.struts,
        s.nodes,
        s.bottom_plate_nodes,
        s.top_plate_nodes
    );
    match (s.reaction_force_n, s.reaction_moment_nmm) {
        (Some(r), _) => println!(
            "  reaction force:     {r:.6} N at strain {:.6} ({:.6} mm)",
            s.strain, s.plate_displacement_mm
        ),
        (_, Some(m)) => println!(
            "  reaction moment:    {m:.6} N·mm at plate rotation {:.6e} rad",
            s.plate_rotation_rad
        ),
        _ => {}
    }
    println!(
        "  apparent stiffness: {:.6} {}; apparent modulus ({}): {:.4} GPa",
        s.apparent_stiffness, s.apparent_stiffness_unit, s.modulus_kind, s.apparent_modulus_gpa
    );
    match (&s.predicted, s.apparent_over_predicted) {
        (Some(p), Some(ratio)) => println!(
            "  from the targets (layers in series): {:.4} GPa; apparent / predicted = {ratio:.3}",
            p.modulus_gpa
        ),
        _ => println!("  no targets in report.json: no continuum estimate"),
    }
    let st = &s.stress;
    println!(
        "  largest axial+bending stress: {:.2} MPa in strut {} at {:?} mm; mean {:.2} MPa",
        st.max_mpa, st.max_strut, st.max_location_mm, st.mean_mpa
    );
    println!(
        "  struts above {:.0} % of the fatigue strength {} MPa: {:.2} %; above it: {:.2} %",
        100.0 * st.fatigue_fraction,
        st.fatigue_strength_mpa,
        100.0 * st.share_above_fraction,
        100.0 * st.share_above_strength
    );
    let bins: Vec<String> = st.histogram.iter().map(|b| b.struts.to_string()).collect();
    println!(
        "  histogram (tenths of the fatigue strength, last: above): {}",
        bins.join(" ")
    );
    println!(
        "  time: read {read_s:.2} s, model {:.2} s, solve {:.2} s ({} DOFs, factor {} entries), post {:.2} s",
        s.timings_s.model, s.timings_s.solve, s.free_dofs, s.factor_entries, s.timings_s.post
    );
}
