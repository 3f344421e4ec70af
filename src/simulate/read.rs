//! Reading what a build wrote: the strut network from `implant.beams.3mf`, the domain, the
//! base material and the control points' targets from `report.json`.
//!
//! The 3MF reader accepts the beam lattice as [`crate::export::write_3mf`] writes it: the
//! object holding a `<b:beamlattice>`, its `<vertex x y z>` list, and its `<b:beam v1 v2 r1
//! r2>` elements (`r1` defaults to the lattice's `radius`, `r2` to `r1`). Coordinates and
//! radii are in mm (`unit="millimeter"`), rounded to the file's decimals.

use std::io::Read;
use std::path::Path;

use nalgebra::Point3;
use serde::Deserialize;

use super::SimulateError;
use crate::design_space::Material;
use crate::mechanics::Stiffness;
use crate::network::{DomainShape, NodeId, Strut, StrutNetwork};

/// The beam-lattice file of a build folder.
pub const BEAMS_FILE: &str = "implant.beams.3mf";
/// The report of a build folder.
pub const REPORT_FILE: &str = "report.json";

/// A target stiffness at a position (a control point, or the one design of a uniform fill).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The control point id (`design` for a uniform fill).
    pub id: String,
    /// Position, mm (the domain's centre for a uniform fill).
    pub position_mm: [f64; 3],
    /// The stiffness, GPa.
    pub stiffness_gpa: Stiffness,
}

/// Everything `simulate` needs from a build folder.
#[derive(Debug, Clone)]
pub struct SimInput {
    /// The strut network as written (mm).
    pub network: StrutNetwork,
    /// The domain.
    pub domain: DomainShape,
    /// The base material (E in GPa).
    pub material: Material,
    /// The targets (empty when the report has none).
    pub targets: Vec<Target>,
}

#[derive(Deserialize)]
struct RawReport {
    youngs_modulus_gpa: f64,
    poisson_ratio: f64,
    domain: Option<DomainShape>,
    graded: Option<RawGraded>,
    stiffness_voigt_gpa: Option<[[f64; 6]; 6]>,
}

#[derive(Deserialize)]
struct RawGraded {
    control_points: Vec<RawPoint>,
}

#[derive(Deserialize)]
struct RawPoint {
    id: String,
    position_mm: [f64; 3],
    target_voigt_gpa: [[f64; 6]; 6],
}

/// Reads a build's output folder.
///
/// # Errors
/// [`SimulateError::MissingNetwork`] / [`SimulateError::MissingReport`] when the files are
/// absent; read, parse and validation errors naming the file otherwise.
pub fn read_output(folder: &Path) -> Result<SimInput, SimulateError> {
    let beams = folder.join(BEAMS_FILE);
    if !beams.is_file() {
        return Err(SimulateError::MissingNetwork {
            folder: folder.to_path_buf(),
            file: BEAMS_FILE,
        });
    }
    let report = folder.join(REPORT_FILE);
    if !report.is_file() {
        return Err(SimulateError::MissingReport {
            folder: folder.to_path_buf(),
        });
    }
    let network = read_beam_lattice(&beams)?;
    let text = std::fs::read_to_string(&report).map_err(|source| SimulateError::Io {
        path: report.clone(),
        source,
    })?;
    input_from_report(network, &text, &report)
}

/// The input of a simulation from a network and the text of its build's `report.json`
/// (domain, base material, targets); `report` names the file in errors.
///
/// # Errors
/// [`SimulateError::BadReport`] when the text is not a build report,
/// [`SimulateError::NoDomain`] when it records no domain, [`SimulateError::Target`] for a
/// target that is not a valid stiffness.
pub fn input_from_report(
    network: StrutNetwork,
    text: &str,
    report: &Path,
) -> Result<SimInput, SimulateError> {
    let raw: RawReport = serde_json::from_str(text).map_err(|source| SimulateError::BadReport {
        path: report.to_path_buf(),
        source,
    })?;
    let domain = raw.domain.clone().ok_or_else(|| SimulateError::NoDomain {
        path: report.to_path_buf(),
    })?;
    let targets = targets(&raw, &domain)?;
    Ok(SimInput {
        network,
        domain,
        material: Material {
            youngs_modulus: raw.youngs_modulus_gpa,
            poisson_ratio: raw.poisson_ratio,
        },
        targets,
    })
}

fn targets(raw: &RawReport, domain: &DomainShape) -> Result<Vec<Target>, SimulateError> {
    let stiffness = |id: &str, rows: &[[f64; 6]; 6]| {
        Stiffness::try_from_voigt(nalgebra::Matrix6::from_fn(|i, j| rows[i][j])).map_err(|source| {
            SimulateError::Target {
                id: id.to_string(),
                source,
            }
        })
    };
    if let Some(g) = &raw.graded {
        return g
            .control_points
            .iter()
            .map(|p| {
                Ok(Target {
                    id: p.id.clone(),
                    position_mm: p.position_mm,
                    stiffness_gpa: stiffness(&p.id, &p.target_voigt_gpa)?,
                })
            })
            .collect();
    }
    match &raw.stiffness_voigt_gpa {
        Some(rows) => Ok(vec![Target {
            id: "design".into(),
            position_mm: centre(domain),
            stiffness_gpa: stiffness("design", rows)?,
        }]),
        None => Ok(Vec::new()),
    }
}

fn centre(domain: &DomainShape) -> [f64; 3] {
    match domain {
        DomainShape::Box { min, max } | DomainShape::Envelope { min, max } => {
            std::array::from_fn(|i| 0.5 * (min[i] + max[i]))
        }
        DomainShape::Cylinder {
            base, axis, height, ..
        } => std::array::from_fn(|i| base[i] + 0.5 * height * axis[i]),
    }
}

/// Reads the beam lattice of a 3MF file (see the [module docs](self)) as a strut network.
///
/// # Errors
/// [`SimulateError::Io`], [`SimulateError::Zip`] for unreadable files,
/// [`SimulateError::BadLattice`] for a model without a lattice or with malformed elements,
/// [`SimulateError::Network`] for an invalid network (zero-length beam, bad radius).
pub fn read_beam_lattice(path: &Path) -> Result<StrutNetwork, SimulateError> {
    let file = std::fs::File::open(path).map_err(|source| SimulateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let zerr = |source| SimulateError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut zip = zip::ZipArchive::new(file).map_err(zerr)?;
    let mut xml = String::new();
    zip.by_name("3D/3dmodel.model")
        .map_err(zerr)?
        .read_to_string(&mut xml)
        .map_err(|source| SimulateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    parse_lattice(&xml).map_err(|what| match what {
        LatticeFault::Text(what) => SimulateError::BadLattice {
            path: path.to_path_buf(),
            what,
        },
        LatticeFault::Network(source) => SimulateError::Network {
            path: path.to_path_buf(),
            source,
        },
    })
}

enum LatticeFault {
    Text(String),
    Network(crate::network::NetworkError),
}

fn parse_lattice(xml: &str) -> Result<StrutNetwork, LatticeFault> {
    let bad = |s: String| LatticeFault::Text(s);
    let lattice_at = xml
        .find("<b:beamlattice")
        .ok_or_else(|| bad("the model has no <b:beamlattice> (a mesh-only 3MF?)".into()))?;
    let object_at = xml[..lattice_at].rfind("<object ").unwrap_or(0);
    let lattice_tag = tag_at(xml, lattice_at);
    let default_radius = number(lattice_tag, "radius", "<b:beamlattice>").map_err(bad)?;
    let mut nodes = Vec::new();
    for (k, tag) in tags(&xml[object_at..lattice_at], "<vertex ").enumerate() {
        let what = format!("<vertex> {k}");
        let c = ["x", "y", "z"].map(|a| number(tag, a, &what));
        match c {
            [Ok(x), Ok(y), Ok(z)] => nodes.push(Point3::new(x, y, z)),
            [Err(e), ..] | [_, Err(e), _] | [.., Err(e)] => return Err(bad(e)),
        }
    }
    let mut struts = Vec::new();
    for (k, tag) in tags(&xml[lattice_at..], "<b:beam ").enumerate() {
        let what = format!("<b:beam> {k}");
        let index = |a: &str| -> Result<NodeId, String> {
            let v = attr(tag, a).ok_or_else(|| format!("{what} has no {a}"))?;
            match v.parse::<usize>() {
                Ok(i) if i < nodes.len() => Ok(NodeId::new(i)),
                _ => Err(format!(
                    "{what}: {a} = {v:?} is not a vertex index below {}",
                    nodes.len()
                )),
            }
        };
        let (a, b) = (index("v1").map_err(bad)?, index("v2").map_err(bad)?);
        let radius_a = match attr(tag, "r1") {
            Some(_) => number(tag, "r1", &what).map_err(bad)?,
            None => default_radius,
        };
        let radius_b = match attr(tag, "r2") {
            Some(_) => number(tag, "r2", &what).map_err(bad)?,
            None => radius_a,
        };
        struts.push(Strut {
            a,
            b,
            radius_a,
            radius_b,
        });
    }
    if struts.is_empty() {
        return Err(bad("the beam lattice has no <b:beam> elements".into()));
    }
    StrutNetwork::try_new(nodes, struts).map_err(LatticeFault::Network)
}

/// The tag starting at byte `at` (up to and including `>`).
fn tag_at(xml: &str, at: usize) -> &str {
    let end = xml[at..].find('>').map_or(xml.len(), |e| at + e + 1);
    &xml[at..end]
}

/// Every tag in `xml` that starts with `prefix`.
fn tags<'a>(xml: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let mut rest = xml;
    std::iter::from_fn(move || {
        let at = rest.find(prefix)?;
        let tag = tag_at(rest, at);
        rest = &rest[at + tag.len()..];
        Some(tag)
    })
}

/// The value of attribute `name` in `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = tag[at..].find('"')?;
    Some(&tag[at..at + end])
}

fn number(tag: &str, name: &str, what: &str) -> Result<f64, String> {
    let v = attr(tag, name).ok_or_else(|| format!("{what} has no {name}"))?;
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{what}: {name} = {v:?} is not a finite number"))
}
