//! The beam model as a CalculiX / Abaqus input deck (`.inp`).
//!
//! # Deck
//! `*HEADING`; `*NODE` (ids = network node index + 1, mm); one `*ELEMENT` per strut (ids =
//! strut index + 1); struts grouped by section into `*ELSET`s, each with a circular
//! `*BEAM SECTION` (the model's geometric-mean radius, see [`super::model`]) whose
//! orientation line is the coordinate axis least aligned with its struts; `*MATERIAL` with
//! `*ELASTIC` (E in MPa, ν); node sets `BOTTOM`, `TOP` and `LOADED`; one `*STEP` /
//! `*STATIC` with the prescribed `*BOUNDARY` values; `*NODE PRINT, NSET=LOADED,
//! TOTALS=ONLY` with `RF`, so the solver prints the total reaction force (N).
//!
//! # Dialects
//! - [`InpDialect::Abaqus`]: `TYPE=B31` (two-node shear-flexible beams), `SECTION=CIRC` with
//!   the radius; each plate is a reference node with `*RIGID BODY`, and the reference nodes
//!   carry the prescribed motion (all six DOFs); `LOADED` is the top reference node, and
//!   `RM` is printed too. Abaqus chooses its own shear correction for the section.
//! - [`InpDialect::Calculix`]: CalculiX 2.20 refuses circular sections on linear beams, so
//!   each strut is one `TYPE=B32` element with a mid node (ids after the network's nodes).
//!   CalculiX expands every beam into C3D20 bricks whose section is bounded by four
//!   quadratic arcs through its 8 section nodes on the circle; that section encloses
//!   `A_q = (2 + 8(√2 − 1)/3) r² = 3.1046 r²`, 1.18 % less than `π r²`. The deck therefore
//!   writes `SECTION=CIRC` with the diameter `2r √(π/A_q) = 1.00595 · 2r` in both section
//!   directions ([`CALCULIX_DIAMETER_FACTOR`]), so that the expanded section has the
//!   model's area. Every plate node gets its prescribed translations (DOFs 1–3): translating
//!   an expanded section's nodes alike also holds the section's rotation, which is exact for
//!   the axial case (plate rotation 0); for bending and torsion the plate nodes' own
//!   rotation is held at 0 instead of following the plate. `LOADED` is the top face's nodes.
//!
//! # Agreement with CalculiX (measured, CalculiX 2.20)
//! The expanded bricks are 3D solids, not beams: a strut of length `L` and radius `r` comes
//! out axially stiffer or softer than `E A / L` by about `10 (r/L)²` (its ends are held
//! across the section), so totals agree within 1 % only for slender struts (`L/r ≳ 40`);
//! at `L/r = 20` CalculiX is 2.6 % softer, at `L/r = 13` 6 %. The integration tests compare
//! slender models (single strut, cubic block, graded stub) within 1 %.
//!
//! Numbers are written with 10 significant digits; the same model gives the same bytes.

use std::fmt::Write as _;
use std::path::Path;

use nalgebra::{Point3, Vector3};

use super::SimulateError;
use super::model::{LoadCase, Model};
use crate::design_space::Material;
use crate::network::StrutNetwork;

/// Which solver's element and plate conventions the deck uses (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InpDialect {
    /// Abaqus: B31, rigid-body plates.
    Abaqus,
    /// CalculiX 2.20: B32 with mid nodes, area-matched circular sections, prescribed
    /// plate-node translations.
    #[default]
    Calculix,
}

/// The CalculiX dialect's section diameter over the model's `2r`: `√(π / A_q)` with the
/// expanded section's area `A_q / r² = 2 + 8(√2 − 1)/3` (see the [module docs](self)).
pub const CALCULIX_DIAMETER_FACTOR: f64 = 1.005_945_016;

/// Writes the deck of `model` to `path` atomically.
///
/// # Errors
/// [`SimulateError::Write`] when the file cannot be written.
pub fn write_inp(
    path: &Path,
    network: &StrutNetwork,
    model: &Model,
    case: LoadCase,
    material: &Material,
    dialect: InpDialect,
) -> Result<(), SimulateError> {
    let text = deck(network, model, case, material, dialect);
    crate::fsutil::atomic_write_bytes(path, text.as_bytes()).map_err(|source| {
        SimulateError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// The deck as text.
pub fn deck(
    network: &StrutNetwork,
    model: &Model,
    case: LoadCase,
    material: &Material,
    dialect: InpDialect,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "*HEADING\ntrussforge simulate: {} load, {} struts, mm N MPa",
        case.name(),
        model.beams.len()
    );
    write_nodes(&mut s, network, model, dialect);
    write_elements(&mut s, network, model, material, dialect);
    write_sets(&mut s, network, model, dialect);
    write_step(&mut s, network, model, dialect);
    s
}

fn g(x: f64) -> String {
    // 10 significant digits, no "-0"
    let x = if x == 0.0 { 0.0 } else { x };
    format!("{x:.9e}")
}

fn write_nodes(s: &mut String, network: &StrutNetwork, model: &Model, dialect: InpDialect) {
    s.push_str("*NODE\n");
    let nodes = network.nodes();
    for (i, p) in nodes.iter().enumerate() {
        let _ = writeln!(s, "{}, {}, {}, {}", i + 1, g(p.x), g(p.y), g(p.z));
    }
    match dialect {
        InpDialect::Calculix => {
            for (k, b) in model.beams.iter().enumerate() {
                let m =
                    Point3::from((nodes[b.a as usize].coords + nodes[b.b as usize].coords) * 0.5);
                let _ = writeln!(
                    s,
                    "{}, {}, {}, {}",
                    mid_node(nodes.len(), k),
                    g(m.x),
                    g(m.y),
                    g(m.z)
                );
            }
        }
        InpDialect::Abaqus => {
            let (bottom, top) = reference_nodes(nodes.len(), model);
            let c0 = centroid(network, &model.bottom);
            let c1 = centroid(network, &model.top);
            let _ = writeln!(s, "{bottom}, {}, {}, {}", g(c0.x), g(c0.y), g(c0.z));
            let _ = writeln!(s, "{top}, {}, {}, {}", g(c1.x), g(c1.y), g(c1.z));
        }
    }
}

fn mid_node(nodes: usize, k: usize) -> usize {
    nodes + k + 1
}

/// The Abaqus plates' reference node ids (bottom, top).
fn reference_nodes(nodes: usize, _model: &Model) -> (usize, usize) {
    (nodes + 1, nodes + 2)
}

fn centroid(network: &StrutNetwork, ids: &[u32]) -> Point3<f64> {
    let sum: Vector3<f64> = ids
        .iter()
        .map(|&i| network.nodes()[i as usize].coords)
        .sum();
    Point3::from(sum / ids.len().max(1) as f64)
}

/// The coordinate axis least aligned with a strut (1-based).
fn orientation(network: &StrutNetwork, a: u32, b: u32) -> usize {
    let t = network.nodes()[b as usize] - network.nodes()[a as usize];
    t.abs().imin()
}

fn write_elements(
    s: &mut String,
    network: &StrutNetwork,
    model: &Model,
    material: &Material,
    dialect: InpDialect,
) {
    let n = network.nodes().len();
    let ty = match dialect {
        InpDialect::Abaqus => "B31",
        InpDialect::Calculix => "B32",
    };
    // sections: (radius text, orientation) → struts, in first-use order
    let mut groups: Vec<((String, usize), Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<(String, usize), usize> = Default::default();
    for (k, b) in model.beams.iter().enumerate() {
        let key = (g(b.radius), orientation(network, b.a, b.b));
        let gi = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[gi].1.push(k);
    }
    for (gi, (_, members)) in groups.iter().enumerate() {
        let _ = writeln!(s, "*ELEMENT, TYPE={ty}, ELSET=S{}", gi + 1);
        for &k in members {
            let b = model.beams[k];
            match dialect {
                InpDialect::Abaqus => {
                    let _ = writeln!(s, "{}, {}, {}", k + 1, b.a + 1, b.b + 1);
                }
                InpDialect::Calculix => {
                    let _ = writeln!(s, "{}, {}, {}, {}", k + 1, b.a + 1, mid_node(n, k), b.b + 1);
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "*MATERIAL, NAME=BASE\n*ELASTIC\n{}, {}",
        g(1000.0 * material.youngs_modulus),
        g(material.poisson_ratio)
    );
    for (gi, ((radius, axis), members)) in groups.iter().enumerate() {
        let r = model.beams[members[0]].radius;
        let data = match dialect {
            InpDialect::Abaqus => radius.clone(),
            InpDialect::Calculix => {
                let d = 2.0 * r * CALCULIX_DIAMETER_FACTOR;
                format!("{}, {}", g(d), g(d))
            }
        };
        let mut dir = [0; 3];
        dir[*axis] = 1;
        let _ = writeln!(
            s,
            "*BEAM SECTION, ELSET=S{}, MATERIAL=BASE, SECTION=CIRC\n{data}\n{}, {}, {}",
            gi + 1,
            dir[0],
            dir[1],
            dir[2]
        );
    }
}

fn write_ids(s: &mut String, name: &str, ids: impl Iterator<Item = usize>) {
    let _ = writeln!(s, "*NSET, NSET={name}");
    let ids: Vec<usize> = ids.collect();
    for chunk in ids.chunks(16) {
        let line: Vec<String> = chunk.iter().map(usize::to_string).collect();
        let _ = writeln!(s, "{},", line.join(", "));
    }
}

fn write_sets(s: &mut String, network: &StrutNetwork, model: &Model, dialect: InpDialect) {
    write_ids(s, "BOTTOM", model.bottom.iter().map(|&i| i as usize + 1));
    write_ids(s, "TOP", model.top.iter().map(|&i| i as usize + 1));
    match dialect {
        InpDialect::Abaqus => {
            let (bottom, top) = reference_nodes(network.nodes().len(), model);
            write_ids(s, "LOADED", std::iter::once(top));
            let _ = writeln!(
                s,
                "*RIGID BODY, NSET=BOTTOM, REF NODE={bottom}\n*RIGID BODY, NSET=TOP, REF NODE={top}"
            );
        }
        InpDialect::Calculix => {
            write_ids(s, "LOADED", model.top.iter().map(|&i| i as usize + 1));
        }
    }
}

fn write_step(s: &mut String, network: &StrutNetwork, model: &Model, dialect: InpDialect) {
    s.push_str("*STEP\n*STATIC\n*BOUNDARY\n");
    match dialect {
        InpDialect::Abaqus => {
            let (bottom, top) = reference_nodes(network.nodes().len(), model);
            // the reference nodes sit at their plate nodes' centroids: move them with the plates
            let plates = [
                (
                    bottom,
                    &model.bottom,
                    &model.bottom_motion,
                    &model.bottom_centre,
                ),
                (top, &model.top, &model.motion, &model.centre),
            ];
            for (reference, ids, motion, centre) in plates {
                let v = motion.at(&centroid(network, ids), centre);
                for (d, value) in v.iter().enumerate() {
                    let _ = writeln!(s, "{reference}, {}, {}, {}", d + 1, d + 1, g(*value));
                }
            }
        }
        InpDialect::Calculix => {
            for p in &model.prescribed {
                for d in 0..3 {
                    let _ = writeln!(
                        s,
                        "{}, {}, {}, {}",
                        p.node + 1,
                        d + 1,
                        d + 1,
                        g(p.values[d])
                    );
                }
            }
        }
    }
    s.push_str("*NODE PRINT, NSET=LOADED, TOTALS=ONLY\nRF\n");
    if dialect == InpDialect::Abaqus {
        s.push_str("*NODE PRINT, NSET=LOADED, TOTALS=ONLY\nRM\n");
    }
    s.push_str("*END STEP\n");
}
