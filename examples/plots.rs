//! Writes sample report pictures (directional Young's modulus and a graded lattice, SVG and
//! PNG) to a directory so a person can look at them:
//!
//! ```text
//! cargo run --release --example plots -- [OUT_DIR]   # default: a new temporary directory
//! ```

use nalgebra::{Matrix6, Point3};
use std::path::PathBuf;
use std::time::Instant;
use trussforge::fsutil::atomic_write_bytes;
use trussforge::mechanics::Stiffness;
use trussforge::network::{NodeId, Strut, StrutNetwork};
use trussforge::plot::{
    Curve, LatticeView, directional_modulus_png, directional_modulus_svg, lattice_png, lattice_svg,
};

/// A cubic-symmetric stiffness (normalized by E_b).
fn cubic(c11: f64, c12: f64, c44: f64) -> Stiffness {
    let mut m = Matrix6::zeros();
    for i in 0..3 {
        for j in 0..3 {
            m[(i, j)] = if i == j { c11 } else { c12 };
        }
        m[(i + 3, i + 3)] = c44;
    }
    Stiffness::try_from_voigt(m).expect("positive definite")
}

/// An orthotropic stiffness rotated 20° about axis 3 (a bone-like target).
fn bone_like() -> Stiffness {
    let mut m = Matrix6::zeros();
    let d = [0.060, 0.030, 0.022, 0.008, 0.010, 0.012];
    for (i, v) in d.into_iter().enumerate() {
        m[(i, i)] = v;
    }
    for (i, j, v) in [(0, 1, 0.012), (0, 2, 0.010), (1, 2, 0.008)] {
        m[(i, j)] = v;
        m[(j, i)] = v;
    }
    let r = nalgebra::Rotation3::from_axis_angle(&nalgebra::Vector3::z_axis(), 20f64.to_radians());
    Stiffness::try_from_voigt(m)
        .expect("positive definite")
        .rotated(r.matrix())
}

/// A body-centred cubic lattice of `n³` cells (pitch 1 mm) with radii graded along axis 1.
fn graded_bcc(n: usize) -> StrutNetwork {
    let m = n + 1;
    let id = |i: usize, j: usize, k: usize| (i + m * (j + m * k)) as u32;
    let mut nodes = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                nodes.push(Point3::new(i as f64, j as f64, k as f64));
            }
        }
    }
    let radius = |p: &Point3<f64>| 0.05 + 0.10 * p.x / n as f64;
    let mut pairs = Vec::new();
    for k in 0..n {
        for j in 0..n {
            for i in 0..n {
                let c = nodes.len() as u32;
                nodes.push(Point3::new(i as f64 + 0.5, j as f64 + 0.5, k as f64 + 0.5));
                for (a, b, d) in [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0)] {
                    pairs.push((c, id(i + a, j + b, k + d)));
                    pairs.push((c, id(i + a, j + b, k + 1)));
                }
            }
        }
    }
    let struts = pairs
        .into_iter()
        .map(|(a, b)| Strut {
            a: NodeId(a),
            b: NodeId(b),
            radius_a: radius(&nodes[a as usize]),
            radius_b: radius(&nodes[b as usize]),
        })
        .collect();
    StrutNetwork::try_new(nodes, struts).expect("valid network")
}

fn main() -> std::io::Result<()> {
    let dir = match std::env::args_os().nth(1) {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("trussforge-plots-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;

    let target = bone_like();
    let design = target.scaled(0.97);
    let graded = cubic(0.05, 0.02, 0.012);
    let curves = [
        Curve {
            label: "target",
            stiffness: &target,
        },
        Curve {
            label: "design (FE)",
            stiffness: &design,
        },
        Curve {
            label: "graded cell (FE)",
            stiffness: &graded,
        },
    ];
    let title = "control point P-0042";
    atomic_write_bytes(
        &dir.join("directional.svg"),
        directional_modulus_svg(title, &curves, 18.0).as_bytes(),
    )?;
    atomic_write_bytes(
        &dir.join("directional.png"),
        &directional_modulus_png(title, &curves, 18.0),
    )?;

    for (name, n) in [("lattice", 6), ("lattice-big", 18)] {
        let net = graded_bcc(n);
        let title = format!("graded BCC, {} struts", net.struts().len());
        let t = Instant::now();
        let svg = lattice_svg(&net, &title, &LatticeView::default());
        let t_svg = t.elapsed();
        let t = Instant::now();
        let png = lattice_png(&net, &title, &LatticeView::default());
        let t_png = t.elapsed();
        atomic_write_bytes(&dir.join(format!("{name}.svg")), svg.as_bytes())?;
        atomic_write_bytes(&dir.join(format!("{name}.png")), &png)?;
        println!(
            "{name}: {} struts, SVG {:.1} bytes/strut in {t_svg:.2?}, PNG {} kB in {t_png:.2?}",
            net.struts().len(),
            svg.len() as f64 / net.struts().len() as f64,
            png.len() / 1024
        );
    }
    let top = LatticeView {
        direction: [0.0, 0.0, 1.0],
        ..Default::default()
    };
    let net = graded_bcc(4);
    atomic_write_bytes(
        &dir.join("lattice-top.png"),
        &lattice_png(&net, "top view", &top),
    )?;
    println!("wrote {}", dir.display());
    Ok(())
}
