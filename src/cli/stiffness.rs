use anyhow::Context;
use serde::Serialize;
use trussforge::mechanics::{DirectionalExtremes, Stiffness, parse_stiffness_values};

/// Arguments of `trussforge stiffness`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The stiffness in GPa: 21 constants (C11 C12 … C16 C22 … C66) or 36 entries of the 6x6
    /// matrix, inline (comma/space separated) or as a file holding them.
    #[arg(allow_hyphen_values = true)]
    stiffness: String,
    /// Base material Young's modulus in GPa, to print the normalized stiffness.
    #[arg(long, default_value_t = 114.0)]
    youngs_modulus: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Output {
    voigt_gpa: [[f64; 6]; 6],
    voigt21_gpa: [f64; 21],
    normalized_voigt21: [f64; 21],
    eigenvalues_gpa: [f64; 6],
    youngs_modulus_extremes_gpa: DirectionalExtremes,
    universal_anisotropy: f64,
    youngs_modulus_base: f64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.youngs_modulus.is_finite() && args.youngs_modulus > 0.0,
        "--youngs-modulus {} must be a positive number of GPa",
        args.youngs_modulus
    );
    // An existing path is read as a file (anything but a regular file is refused, as a FIFO
    // would block); any other text is the constants themselves.
    let is_file = std::path::Path::new(&args.stiffness).exists();
    let text = if is_file {
        trussforge::fsutil::read_regular_to_string(std::path::Path::new(&args.stiffness))
            .with_context(|| format!("reading {}", args.stiffness))?
    } else {
        args.stiffness.clone()
    };
    // A file may hold one stiffness, or one per line (as `design --targets` reads them), with
    // `#` comment lines.
    let rows: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or("").trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let per_line = is_file
        && rows.len() > 1
        && rows
            .iter()
            .all(|(_, l)| matches!(parse_stiffness_values(l).map(|v| v.len()), Ok(21 | 36)));
    let groups: Vec<(Option<usize>, String)> = if per_line {
        rows.iter()
            .map(|(n, l)| (Some(*n), l.to_string()))
            .collect()
    } else {
        let joined: Vec<&str> = rows.iter().map(|(_, l)| *l).collect();
        vec![(None, joined.join("\n"))]
    };
    let mut outs = Vec::with_capacity(groups.len());
    for (line, values) in &groups {
        let at = line.map_or_else(String::new, |n| format!(" (line {n})"));
        let values = match (parse_stiffness_values(values), line) {
            (Ok(v), _) => v,
            (Err(e), Some(n)) => return Err(anyhow::Error::new(e).context(format!("line {n}"))),
            (Err(e), None) => return Err(e.into()),
        };
        let c = Stiffness::try_from_values(&values)
            .with_context(|| format!("invalid stiffness{at}"))?;
        outs.push((*line, analyze(&c, args.youngs_modulus)));
    }
    if args.json {
        return if outs.len() == 1 {
            super::print_json(&outs[0].1)
        } else {
            super::print_json(&outs.iter().map(|(_, o)| o).collect::<Vec<_>>())
        };
    }
    for (k, (line, out)) in outs.iter().enumerate() {
        if let Some(n) = line {
            if k > 0 {
                println!();
            }
            println!("stiffness {} of {} (line {n}):", k + 1, outs.len());
        }
        print_one(out, args.youngs_modulus);
    }
    Ok(())
}

fn analyze(c: &Stiffness, youngs_modulus: f64) -> Output {
    let v = c.voigt();
    Output {
        voigt_gpa: trussforge::mechanics::voigt_rows(v),
        voigt21_gpa: c.to_constants(),
        normalized_voigt21: c.scaled(1.0 / youngs_modulus).to_constants(),
        eigenvalues_gpa: c.eigenvalues(),
        youngs_modulus_extremes_gpa: c.directional_extremes(),
        universal_anisotropy: c.universal_anisotropy(),
        youngs_modulus_base: youngs_modulus,
    }
}

fn print_one(out: &Output, youngs_modulus: f64) {
    println!("stiffness (GPa, Voigt 11 22 33 23 13 12):");
    for row in out.voigt_gpa {
        println!("  {}", row.map(|x| format!("{x:>9.4}")).join(" "));
    }
    println!("symmetric positive definite: yes");
    println!(
        "eigenvalues (GPa): {}",
        out.eigenvalues_gpa.map(|x| format!("{x:.4}")).join(", ")
    );
    let e = out.youngs_modulus_extremes_gpa;
    let dir = |d: [f64; 3]| format!("[{:.3}, {:.3}, {:.3}]", d[0], d[1], d[2]);
    println!(
        "Young's modulus E(n): min {:.4} GPa along {}, max {:.4} GPa along {}",
        e.min,
        dir(e.min_direction),
        e.max,
        dir(e.max_direction)
    );
    println!(
        "E_max / E_min = {:.3}; universal anisotropy index A^U = {:.4}",
        e.max / e.min,
        out.universal_anisotropy
    );
    println!(
        "normalized by E_b = {youngs_modulus} GPa: max entry {:.4e}",
        out.normalized_voigt21
            .iter()
            .fold(0.0f64, |m, x| m.max(x.abs()))
    );
}
