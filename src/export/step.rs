//! STEP (ISO 10303-21, AP214) with one analytic solid per strut and per node ball.
//!
//! Each strut is a cylinder or cone frustum with flat ends from `(a, r_a)` to `(b, r_b)`: a
//! ruled B-spline side between the two rim circles and two planar caps. Each node that ends at least one strut gets a
//! solid ball of radius [`StrutNetwork::node_radii`]. The solids are **not fused** (a fused
//! lattice B-rep is out of reach: truck's booleans fail on crossing cylinders): CAD systems see `struts + nodes` separate,
//! overlapping solids whose union is the implant. Lengths in mm.
//!
//! Built with `truck-modeling`, written with `truck-stepio`, whose header names the schema
//! `ISO-10303-042`; it is replaced by the AP214 schema [`AP214_SCHEMA`] so strict readers
//! accept the file. The time stamp is fixed (`1970-01-01T00:00:00`) so output is
//! deterministic.

use std::f64::consts::PI;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use truck_modeling::{Rad, Solid, Wire, builder};
use truck_stepio::out::{CompleteStepDisplay, StepHeaderDescriptor, StepModels};

use crate::network::StrutNetwork;

use super::{ExportError, atomic::write_atomic};

/// The FILE_SCHEMA written: AP214 (automotive design).
pub const AP214_SCHEMA: &str = "AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }";

/// Approximate STEP bytes per strut solid (fit to 4 struts + 4 balls and to 1 344 struts +
/// 512 balls: 16.9 kB; grows slowly with the entity numbers' length).
const BYTES_PER_STRUT: u64 = 17_000;
/// Approximate STEP bytes per ball solid.
const BYTES_PER_BALL: u64 = 10_500;

/// STEP writing options. Build with `..Default::default()`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepOptions {
    /// Refuse to write files whose estimated size exceeds this many bytes. Default 1 GiB
    /// (about 50 000 struts with their node balls).
    pub max_bytes: u64,
    /// Write a ball solid at every node. Default true.
    pub node_balls: bool,
}

impl Default for StepOptions {
    fn default() -> Self {
        Self {
            max_bytes: 1 << 30,
            node_balls: true,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StepStats {
    /// Strut solids.
    pub strut_solids: usize,
    /// Ball solids.
    pub ball_solids: usize,
    /// File size, bytes.
    pub bytes: u64,
}

/// Estimated STEP file size for `net`, bytes (linear in struts and used nodes; within
/// ~20 % of the real size).
pub fn estimate_step_bytes(net: &StrutNetwork, options: &StepOptions) -> u64 {
    let balls = if options.node_balls {
        net.node_radii().iter().filter(|&&r| r > 0.0).count() as u64
    } else {
        0
    };
    net.struts().len() as u64 * BYTES_PER_STRUT + balls * BYTES_PER_BALL + 2_000
}

fn tp(p: &nalgebra::Point3<f64>) -> truck_modeling::Point3 {
    truck_modeling::Point3::new(p.x, p.y, p.z)
}

fn perpendicular(d: &nalgebra::Vector3<f64>) -> nalgebra::Vector3<f64> {
    let helper = if d.x.abs() < 0.9 {
        nalgebra::Vector3::x()
    } else {
        nalgebra::Vector3::y()
    };
    d.cross(&helper).normalize()
}

/// Frustum from `a` (radius `ra`) to `b` (radius `rb`), flat ends: the ruled (B-spline)
/// surface between the two rim circles plus two planar caps. (Revolving the trapezoid
/// profile instead gives surfaces of revolution that OpenCASCADE rejects as invalid once
/// the axis is away from the origin.)
fn frustum(
    a: &nalgebra::Point3<f64>,
    b: &nalgebra::Point3<f64>,
    ra: f64,
    rb: f64,
) -> Result<Solid, String> {
    let d = (b - a).normalize();
    let n = perpendicular(&d);
    let axis = truck_modeling::Vector3::new(d.x, d.y, d.z);
    let rim = |c: &nalgebra::Point3<f64>, r: f64| -> Wire {
        builder::rsweep(
            &builder::vertex(tp(&(c + n * r))),
            tp(c),
            axis,
            Rad(2.0 * PI),
        )
    };
    let (c0, c1) = (rim(a, ra), rim(b, rb));
    let side = builder::try_wire_homotopy(&c0, &c1).map_err(|e| format!("side: {e:?}"))?;
    let bottom =
        builder::try_attach_plane(&[c0.inverse()]).map_err(|e| format!("cap at a: {e:?}"))?;
    let top = builder::try_attach_plane(std::slice::from_ref(&c1))
        .map_err(|e| format!("cap at b: {e:?}"))?;
    let mut faces: Vec<truck_modeling::Face> = side.into_iter().collect();
    faces.push(bottom);
    faces.push(top);
    let shell: truck_modeling::Shell = faces.into();
    Solid::try_new(vec![shell]).map_err(|e| format!("shell: {e:?}"))
}

/// Ball of radius `r` at `c`.
fn ball(c: &nalgebra::Point3<f64>, r: f64) -> Solid {
    let d = nalgebra::Vector3::z();
    let n = nalgebra::Vector3::x();
    let top = builder::vertex(tp(&(c + d * r)));
    let bottom = builder::vertex(tp(&(c - d * r)));
    let arc = builder::circle_arc(&top, &bottom, tp(&(c + n * r)));
    let wire: Wire = vec![arc].into();
    let shell = builder::cone(
        &wire,
        truck_modeling::Vector3::new(d.x, d.y, d.z),
        Rad(2.0 * PI),
    );
    Solid::new(vec![shell])
}

/// Quotes a STEP string literal (`'` doubled).
fn step_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Replaces truck's header (schema `ISO-10303-042`, and `FILE_NAME` author/organization
/// lists with doubled parentheses, which OpenCASCADE reports as unresolved references) by a
/// correct AP214 header.
fn replace_header(text: &str, name: &str) -> String {
    let header = format!(
        "HEADER;\nFILE_DESCRIPTION(('trussforge strut lattice: unfused solids, mm'), '2;1');\n\
         FILE_NAME({}, '1970-01-01T00:00:00', (''), (''), 'trussforge', 'truck-stepio', '');\n\
         FILE_SCHEMA(('{AP214_SCHEMA}'));\nENDSEC;\n",
        step_string(name)
    );
    match (text.find("HEADER;"), text.find("ENDSEC;")) {
        (Some(a), Some(b)) if a < b => {
            let end = b + "ENDSEC;".len();
            let rest = text[end..].strip_prefix('\n').unwrap_or(&text[end..]);
            format!("{}{header}{rest}", &text[..a])
        }
        _ => text.to_string(),
    }
}

/// Renders the STEP text (struts first, in order, then balls in node order).
pub(crate) fn step_text(
    net: &StrutNetwork,
    options: &StepOptions,
    name: &str,
) -> Result<(String, StepStats), ExportError> {
    let nodes = net.nodes();
    let mut solids = Vec::with_capacity(net.struts().len() + nodes.len());
    for (strut, s) in net.struts().iter().enumerate() {
        let solid = frustum(
            &nodes[s.a.index()],
            &nodes[s.b.index()],
            s.radius_a,
            s.radius_b,
        )
        .map_err(|reason| ExportError::StepGeometry { strut, reason })?;
        solids.push(solid);
    }
    let mut stats = StepStats {
        strut_solids: solids.len(),
        ..Default::default()
    };
    if options.node_balls {
        for (p, r) in nodes.iter().zip(net.node_radii()) {
            if r > 0.0 {
                solids.push(ball(p, r));
                stats.ball_solids += 1;
            }
        }
    }
    let compressed: Vec<_> = solids.iter().map(|s| s.compress()).collect();
    let models: StepModels<_, _, _> = compressed.iter().collect();
    let header = StepHeaderDescriptor {
        file_name: name.to_string(),
        time_stamp: "1970-01-01T00:00:00".into(),
        authors: vec![String::new()],
        organization: vec![String::new()],
        organization_system: "trussforge".into(),
        authorization: String::new(),
    };
    let text = CompleteStepDisplay::new(models, header).to_string();
    let text = replace_header(&text, name);
    stats.bytes = text.len() as u64;
    Ok((text, stats))
}

/// Writes `net` as a STEP AP214 file of unfused solids (see the [module docs](self)),
/// atomically.
///
/// # Errors
/// [`ExportError::EmptyNetwork`]; [`ExportError::StepTooLarge`] when
/// [`estimate_step_bytes`] exceeds `options.max_bytes`; [`ExportError::StepGeometry`] if
/// truck cannot build a strut's solid; [`ExportError::Io`].
pub fn write_step(
    path: impl AsRef<Path>,
    net: &StrutNetwork,
    options: &StepOptions,
) -> Result<StepStats, ExportError> {
    let path = path.as_ref();
    if net.struts().is_empty() {
        return Err(ExportError::EmptyNetwork);
    }
    let estimated_bytes = estimate_step_bytes(net, options);
    if estimated_bytes > options.max_bytes {
        return Err(ExportError::StepTooLarge {
            solids: net.struts().len() + net.nodes().len(),
            estimated_bytes,
            max_bytes: options.max_bytes,
        });
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (text, stats) = step_text(net, options, &name)?;
    write_atomic(path, |w| {
        w.write_all(text.as_bytes())
            .map_err(|source| ExportError::Io {
                path: path.to_path_buf(),
                source,
            })
    })?;
    Ok(stats)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::network::{NodeId, Strut};
    use nalgebra::Point3;

    pub(crate) fn small_net() -> StrutNetwork {
        let nodes = vec![
            Point3::new(0.0, 0.0, 0.0),
            Point3::new(2.0, 0.0, 0.0),
            Point3::new(2.0, 2.0, 0.0),
            Point3::new(0.5, 1.0, 1.5),
        ];
        let s = |a, b, radius_a, radius_b| Strut {
            a: NodeId(a),
            b: NodeId(b),
            radius_a,
            radius_b,
        };
        StrutNetwork::try_new(
            nodes,
            vec![
                s(0, 1, 0.2, 0.2),
                s(1, 2, 0.2, 0.3),
                s(2, 3, 0.3, 0.15),
                s(3, 0, 0.15, 0.2),
            ],
        )
        .unwrap()
    }

    #[test]
    fn step_round_trip_counts_solids_and_header() {
        let net = small_net();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lattice.step");
        let stats = write_step(&path, &net, &StepOptions::default()).unwrap();
        assert_eq!(stats.strut_solids, 4);
        assert_eq!(stats.ball_solids, 4);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));"));
        assert!(text.starts_with("ISO-10303-21;\nHEADER;\n"));
        assert!(text.contains("FILE_NAME('lattice.step', '1970-01-01T00:00:00', (''), (''),"));
        assert!(!text.contains("ISO-10303-042"));
        let per_solid = stats.bytes as f64 / 8.0;
        eprintln!(
            "STEP: {} bytes for 4 struts + 4 balls ({per_solid:.0} bytes/solid), estimate {}",
            stats.bytes,
            estimate_step_bytes(&net, &StepOptions::default())
        );
        let table = truck_stepio::r#in::Table::from_step(&text).expect("truck parses its STEP");
        assert_eq!(table.shell.len(), 8, "one closed shell per solid");
        for shell in table.shell.values() {
            let cs = table.to_compressed_shell(shell).expect("shell converts");
            assert!(!cs.faces.is_empty());
        }
        // Deterministic.
        let (again, _) = step_text(&net, &StepOptions::default(), "lattice.step").unwrap();
        assert_eq!(text, again);
    }

    #[test]
    fn step_size_limit() {
        let net = small_net();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.step");
        let options = StepOptions {
            max_bytes: 10_000,
            ..Default::default()
        };
        assert!(matches!(
            write_step(&path, &net, &options),
            Err(ExportError::StepTooLarge { .. })
        ));
        assert!(!path.exists());
    }

    /// Sum of the solids' exact volumes: frusta π·L/3·(ra² + ra·rb + rb²) and balls 4/3·π·r³.
    fn solids_volume(net: &StrutNetwork) -> f64 {
        let struts: f64 = net
            .struts()
            .iter()
            .map(|s| {
                let l = (net.nodes()[s.a.index()] - net.nodes()[s.b.index()]).norm();
                let (a, b) = (s.radius_a, s.radius_b);
                PI * l / 3.0 * (a * a + a * b + b * b)
            })
            .sum();
        let balls: f64 = net
            .node_radii()
            .iter()
            .map(|r| 4.0 / 3.0 * PI * r.powi(3))
            .sum();
        struts + balls
    }

    /// Runs `tests/python/check_step.py` (OpenCASCADE via PyPI `cadquery-ocp-novtk`) when
    /// `import OCP` works; otherwise prints a notice and passes. Uses a jittered lattice away
    /// from the origin: revolved frusta (the first implementation) were invalid there.
    #[test]
    fn step_passes_opencascade_check() {
        if !python_has("OCP") {
            eprintln!("SKIPPED: python3 cannot import OCP (pip install cadquery-ocp-novtk)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        for (name, net) in [
            ("small.step", small_net()),
            ("lattice.step", crate::mesh::test_lattice(2, 2.0, 3)),
        ] {
            let path = dir.path().join(name);
            let stats = write_step(&path, &net, &StepOptions::default()).unwrap();
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_step.py");
            let solids = (stats.strut_solids + stats.ball_solids).to_string();
            let volume = solids_volume(&net).to_string();
            let out = std::process::Command::new("python3")
                .args([
                    script,
                    path.to_str().unwrap(),
                    "--solids",
                    &solids,
                    "--volume",
                    &volume,
                ])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            eprintln!("{name}: {stdout}");
            assert!(
                out.status.success(),
                "check_step.py failed on {name}: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                !stdout.contains("ERR"),
                "OpenCASCADE reported errors: {stdout}"
            );
        }
    }

    /// Whether `python3` can import `module`. CI sets `TRUSSFORGE_REQUIRE_PYTHON_CHECKS=1`, so
    /// there a missing module fails the test instead of skipping it.
    pub(crate) fn python_has(module: &str) -> bool {
        let ok = std::process::Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok && std::env::var_os("TRUSSFORGE_REQUIRE_PYTHON_CHECKS").is_some() {
            panic!("python3 cannot import {module}, and TRUSSFORGE_REQUIRE_PYTHON_CHECKS is set");
        }
        ok
    }
}
