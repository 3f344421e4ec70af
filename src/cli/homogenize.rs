use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use trussforge::design_space::{CellSource, Material, PeriodicCell, RangePolicy, read_cell_source};
use trussforge::fem::{BeamTheory, FemOptions, homogenize};
use trussforge::mechanics::DirectionalExtremes;

/// Beam theory of the struts.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Beam {
    /// Shear-deformable 3D Timoshenko beams (default).
    Timoshenko,
    /// Euler–Bernoulli beams (no shear deformation), for comparison.
    EulerBernoulli,
}

/// Arguments of `trussforge homogenize`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A design file (YAML/JSON) or a periodic-truss JSON file.
    cell: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Beam theory.
    #[arg(long, value_enum, default_value = "timoshenko")]
    beam: Beam,
    /// Young's modulus of the base material in GPa, for the GPa figures (default: the file's
    /// material, or Ti-6Al-4V's 114 GPa for a design).
    #[arg(long)]
    youngs_modulus: Option<f64>,
    /// Accept stretches and densities outside the design space (with a warning).
    #[arg(long)]
    allow_out_of_range: bool,
}

#[derive(Serialize)]
struct Output {
    stiffness_voigt: [[f64; 6]; 6],
    voigt21: [f64; 21],
    stiffness_voigt_gpa: [[f64; 6]; 6],
    stretching_bound_voigt: [[f64; 6]; 6],
    relative_density: f64,
    diameter: f64,
    youngs_modulus: f64,
    poisson_ratio: f64,
    asymmetry: f64,
    youngs_modulus_extremes: DirectionalExtremes,
    seconds: f64,
}
/// Relative density above which beam models of a truss lose accuracy (struts no longer
/// slender); the design space stops at 0.1.
const MAX_BEAM_DENSITY: f64 = 0.3;

/// The cell `--cell` names and its material, with `--youngs-modulus` applied.
fn load_cell(args: &Args) -> anyhow::Result<(PeriodicCell, Material)> {
    let policy = if args.allow_out_of_range {
        RangePolicy::AllowOutOfRange
    } else {
        RangePolicy::Strict
    };
    let (cell, mut material) = match read_cell_source(&args.cell)? {
        CellSource::Design(d) => {
            for w in d.validate(policy)? {
                eprintln!("warning: {w}");
            }
            (d.cell(policy)?, Material::default())
        }
        CellSource::Truss(t) => (t.to_cell()?, t.material),
    };
    if let Some(e) = args.youngs_modulus {
        anyhow::ensure!(
            e.is_finite() && e > 0.0,
            "--youngs-modulus {e} must be a positive number of GPa"
        );
        material.youngs_modulus = e;
    }
    Ok((cell, material))
}

/// Slender-beam homogenization: the strut volume (sum of cylinders, overlaps counted twice)
/// must be a small part of the cell; at or above the cell volume the input is not a truss.
fn check_density(cell: &PeriodicCell) -> anyhow::Result<()> {
    let rho = cell.relative_density();
    anyhow::ensure!(
        rho.is_finite() && rho < 1.0,
        "the cell's relative density is {rho:.4} (strut volume / cell volume): the struts fill \
         more than the cell, so it is not a truss; check the strut diameter and the cell's \
         units (beam models hold up to about {MAX_BEAM_DENSITY})"
    );
    if rho > MAX_BEAM_DENSITY {
        eprintln!(
            "warning: relative density {rho:.4} is above {MAX_BEAM_DENSITY}; struts this thick \
             are not slender beams and the stiffness below overestimates the true one"
        );
    }
    Ok(())
}

/// The result as text.
fn print_text(cell: &PeriodicCell, material: &Material, out: &Output) {
    let print = |title: &str, m: &[[f64; 6]; 6]| {
        println!("{title}");
        for r in m {
            println!("  {}", r.map(|x| format!("{x:>11.4e}")).join(" "));
        }
    };
    println!(
        "{} nodes, {} struts, relative density {:.5}, strut diameter {:.5} (cell units)",
        cell.nodes().len(),
        cell.struts().len(),
        out.relative_density,
        out.diameter
    );
    print(
        "effective stiffness C / E_b (Voigt 11 22 33 23 13 12, engineering shear):",
        &out.stiffness_voigt,
    );
    print(
        &format!(
            "effective stiffness in GPa (E_b = {} GPa):",
            material.youngs_modulus
        ),
        &out.stiffness_voigt_gpa,
    );
    print(
        "stretching (Voigt) bound / E_b:",
        &out.stretching_bound_voigt,
    );
    println!(
        "21 constants / E_b: {}",
        out.voigt21.map(|x| format!("{x:.6e}")).join(",")
    );
    let e = out.youngs_modulus_extremes;
    println!(
        "E(n)/E_b: min {:.4e}, max {:.4e} (ratio {:.3})",
        e.min,
        e.max,
        e.max / e.min
    );
    println!(
        "asymmetry before symmetrizing {:.1e}; solved in {:.2} ms",
        out.asymmetry,
        out.seconds * 1e3
    );
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (cell, material) = load_cell(&args)?;
    check_density(&cell)?;
    let options = FemOptions {
        beam: match args.beam {
            Beam::Timoshenko => BeamTheory::Timoshenko,
            Beam::EulerBernoulli => BeamTheory::EulerBernoulli,
        },
        ..FemOptions::default()
    };
    let start = Instant::now();
    let h = homogenize(&cell, &material, &options)?;
    let seconds = start.elapsed().as_secs_f64();
    let c = &h.stiffness;
    let out = Output {
        stiffness_voigt: trussforge::mechanics::voigt_rows(c.voigt()),
        voigt21: c.to_constants(),
        stiffness_voigt_gpa: trussforge::mechanics::voigt_rows(&c.to_gpa(material.youngs_modulus)),
        stretching_bound_voigt: trussforge::mechanics::voigt_rows(&cell.stretching_bound()),
        relative_density: cell.relative_density(),
        diameter: cell.struts()[0].diameter,
        youngs_modulus: material.youngs_modulus,
        poisson_ratio: material.poisson_ratio,
        asymmetry: h.asymmetry,
        youngs_modulus_extremes: c.directional_extremes(),
        seconds,
    };
    if args.json {
        return super::print_json(&out);
    }
    print_text(&cell, &material, &out);
    Ok(())
}
