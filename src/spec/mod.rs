//! The YAML implant spec: schema, units, validation with clear errors.
//!
//! Reading is two-staged: [`RawSpec`] is the file as written (serde, unknown keys rejected,
//! wrong types and missing fields reported with line and column), then [`Spec::from_raw`]
//! checks every value, converts lengths to mm and stiffness to GPa, and names the field and
//! its line in every error.
//!
//! ```yaml
//! name: ti-block            # names the output folder output/<name>/
//! units: {length: mm, stiffness: GPa}
//! base_material: {name: Ti-6Al-4V, youngs_modulus: 114, poisson_ratio: 0.3}
//! domain:
//!   box: {min: [0, 0, 0], max: [20, 20, 30]}
//!   # cylinder: {base: [0, 0, 0], axis: [0, 0, 1], radius: 7.5, height: 30}
//!   # envelope: {stl: bone.stl}          # relative to the spec file
//! cell_size: 2.5            # edge of the unit cell before its affine map (mm), or `auto`
//! manufacturing: {min_strut_diameter: 0.2, min_pore_size: 0.3}
//! # either one design everywhere ...
//! design: {topology: [...], relative_density: 0.05, U: [...], R1: {...}, V: [...], R2: {...}}
//! # ... or control points with measured stiffness (GPa), graded ([`Fill::Graded`]):
//! # control_points:
//! #   - {id: a, position: [5, 5, 6], stiffness: [21 constants or 6 rows of 6], tolerance: 0.1}
//! # design_options: {method: network, samples: 1000, top: 5, refine: true, seed: 1}
//! # grading: {neighbours: 4, power: 2, smoothness: 0.1, samples_per_segment: 5}
//! mesh: {method: auto, resolution: 0.35}  # optional
//! outputs: {stl: true, threemf: true, beam_lattice: true, step: true}   # optional
//! ```

mod error;
mod fill;
mod raw;
mod units;

use std::path::{Path, PathBuf};

pub use error::SpecError;
pub use fill::{CellSize, ControlPointSpec, DesignMethod, Fill, GradedFill, default_models_dir};
pub use raw::{
    RawCellSize, RawControlPoint, RawDesignOptions, RawDomain, RawGrading, RawManufacturing,
    RawMaterial, RawMesh, RawOutputs, RawSpec, RawStiffness, RawUnits,
};
pub use units::{LENGTH_UNITS, STIFFNESS_UNITS};

use crate::design_space::{Material, RangePolicy};
use crate::mesh::MeshSettings;
use crate::network::{Domain, Envelope};

/// Printability limits, mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Manufacturing {
    /// Smallest printable strut diameter, mm.
    pub min_strut_diameter: f64,
    /// Smallest pore (gap between strut surfaces), mm.
    pub min_pore_size: f64,
}

/// A validated implant spec, in mm and GPa.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Implant name (safe as a folder name).
    pub name: String,
    /// The file it was read from.
    pub source: PathBuf,
    /// Base material name, for reports.
    pub material_name: String,
    /// Base material (E in GPa).
    pub material: Material,
    /// Implant envelope, mm.
    pub domain: Domain,
    /// Unit-cell edge before the affine map, mm, or `auto`.
    pub cell_size: CellSize,
    /// Largest cell size `auto` may choose, mm.
    pub max_cell_size: f64,
    /// Lattice anchor of a uniform fill, mm.
    pub origin: [f64; 3],
    /// Printability limits, mm.
    pub manufacturing: Manufacturing,
    /// One design, or control points to grade between.
    pub fill: Fill,
    /// Meshing settings.
    pub mesh: MeshSettings,
    /// Which files to write.
    pub outputs: RawOutputs,
    /// A digest of the spec text (FNV-1a, 64 bits, hex): equal digests mean the same spec,
    /// so a finished build can be recognised and skipped (`batch` resume).
    pub digest: String,
}

/// The parser's message in the spec's own terms: the internal type names serde names
/// ("expected struct RawSpec", "untagged enum RawCellSize") become what the field holds.
fn plain_syntax_message(message: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        (
            "struct RawSpec",
            "an implant spec (a mapping: name, units, domain, ...)",
        ),
        (
            "untagged enum RawCellSize",
            "a cell size: a number of mm or `auto`",
        ),
        ("enum RawCellSize", "a cell size: a number of mm or `auto`"),
        (
            "untagged enum RawDomain",
            "a domain: `box`, `cylinder` or `envelope`",
        ),
        (
            "enum RawDomain",
            "a domain: `box`, `cylinder` or `envelope`",
        ),
        (
            "untagged enum RawStiffness",
            "a stiffness: 21 numbers or a 6 × 6 matrix, GPa",
        ),
        (
            "enum RawStiffness",
            "a stiffness: 21 numbers or a 6 × 6 matrix, GPa",
        ),
        (
            "struct RawControlPoint",
            "a control point (id, position, stiffness)",
        ),
        ("struct RawDesignOptions", "design options (a mapping)"),
        ("struct RawGrading", "grading options (a mapping)"),
        (
            "struct RawManufacturing",
            "manufacturing limits (a mapping)",
        ),
        ("struct RawMaterial", "a base material (a mapping)"),
        ("struct RawMesh", "mesh settings (a mapping)"),
        ("struct MeshSettings", "mesh settings (a mapping)"),
        ("struct RawOutputs", "output switches (a mapping)"),
        ("struct RawUnits", "units (a mapping: length, stiffness)"),
    ];
    let mut out = message.to_string();
    for (name, plain) in NAMES {
        out = out.replace(name, plain);
    }
    // Any other internal name left: say what kind of value was expected.
    let ident_end = |out: &str, from: usize| {
        out[from..]
            .find(|c: char| !(c.is_alphanumeric() || c == ':' || c == '_'))
            .map_or(out.len(), |e| from + e)
    };
    for kind in [
        "struct variant ",
        "tuple variant ",
        "newtype variant ",
        "unit variant ",
        "untagged enum ",
        "enum ",
        "struct ",
    ] {
        while let Some(i) = out.find(&format!("{kind}Raw")) {
            let end = ident_end(&out, i + kind.len());
            let ident = &out[i + kind.len()..end];
            let name = ident.rsplit("::").next().unwrap_or(ident).to_lowercase();
            let plain = if kind.contains("variant") {
                format!("a `{name}` entry")
            } else if kind.contains("enum") {
                "one of the allowed forms".to_string()
            } else {
                "a mapping".to_string()
            };
            out.replace_range(i..end, &plain);
        }
    }
    while let Some(i) = out
        .match_indices("Raw")
        .map(|(i, _)| i)
        .find(|&i| out[i + 3..].starts_with(|c: char| c.is_ascii_uppercase()))
    {
        let end = ident_end(&out, i);
        let name = out[i + 3..end].replace("::", " ").to_lowercase();
        out.replace_range(i..end, &name);
    }
    out
}

impl Spec {
    /// Reads and validates a spec file.
    ///
    /// # Errors
    /// A [`SpecError`] naming the field, its line, the value and what is allowed.
    pub fn load(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|e| SpecError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates spec text; `path` is used in messages and to resolve relative
    /// envelope paths.
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn parse(text: &str, path: &Path) -> Result<Self, SpecError> {
        let raw: RawSpec = serde_yaml::from_str(text).map_err(|e| SpecError::Syntax {
            path: path.to_path_buf(),
            message: plain_syntax_message(&e.to_string()),
        })?;
        Self::from_raw(raw, text, path)
    }

    /// Validates a parsed spec (see the module docs).
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn from_raw(raw: RawSpec, text: &str, path: &Path) -> Result<Self, SpecError> {
        let invalid = |field: &str, value: String, allowed: &str| SpecError::Invalid {
            path: path.to_path_buf(),
            line: find_line(text, field),
            field: field.to_string(),
            value,
            allowed: allowed.to_string(),
        };
        if raw.name.is_empty()
            || raw.name.chars().count() > fill::MAX_ID_CHARS
            || !raw
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            || raw.name.starts_with('.')
        {
            let shown: String = raw.name.chars().take(40).collect();
            let more = if raw.name.chars().count() > 40 {
                format!("… ({} characters)", raw.name.chars().count())
            } else {
                String::new()
            };
            return Err(invalid(
                "name",
                format!("{shown:?}{more}"),
                "at most 100 letters, digits, '-', '_' and '.', not starting with '.' (it names \
                 the output folder)",
            ));
        }
        let unit_err = |field: &str, value: &str, allowed: String| SpecError::UnknownUnit {
            path: path.to_path_buf(),
            line: find_line(text, &format!("units.{field}")),
            field: field.into(),
            value: value.into(),
            allowed,
        };
        let len = units::length_factor(&raw.units.length)
            .ok_or_else(|| unit_err("length", &raw.units.length, units::names(&LENGTH_UNITS)))?;
        let stiff = units::stiffness_factor(&raw.units.stiffness).ok_or_else(|| {
            unit_err(
                "stiffness",
                &raw.units.stiffness,
                units::names(&STIFFNESS_UNITS),
            )
        })?;
        let positive = |field: &str, v: f64| -> Result<f64, SpecError> {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(invalid(field, v.to_string(), "a finite number > 0"))
            }
        };
        let finite3 = |field: &str, v: [f64; 3]| -> Result<[f64; 3], SpecError> {
            match v.iter().position(|x| !x.is_finite()) {
                None => Ok(v.map(|x| x * len)),
                Some(i) => Err(invalid(
                    &format!("{field}[{i}]"),
                    v[i].to_string(),
                    "a finite number",
                )),
            }
        };
        let (material_name, material) = match &raw.base_material {
            None => ("Ti-6Al-4V".to_string(), Material::default()),
            Some(m) => {
                let e = positive("base_material.youngs_modulus", m.youngs_modulus)? * stiff;
                if !(m.poisson_ratio > -1.0 && m.poisson_ratio < 0.5) {
                    return Err(invalid(
                        "base_material.poisson_ratio",
                        m.poisson_ratio.to_string(),
                        "a number in (-1, 0.5) for a stable isotropic solid",
                    ));
                }
                (
                    m.name.clone().unwrap_or_else(|| "custom".into()),
                    Material {
                        youngs_modulus: e,
                        poisson_ratio: m.poisson_ratio,
                    },
                )
            }
        };
        let domain = match &raw.domain {
            RawDomain::Box { min, max } => {
                let (min, max) = (
                    finite3("domain.box.min", *min)?,
                    finite3("domain.box.max", *max)?,
                );
                if let Some(i) = (0..3).find(|&i| max[i] <= min[i]) {
                    return Err(invalid(
                        &format!("domain.box.max[{i}]"),
                        (max[i] / len).to_string(),
                        &format!("a value above min[{i}] = {}", min[i] / len),
                    ));
                }
                Domain::Box { min, max }
            }
            RawDomain::Cylinder {
                base,
                axis,
                radius,
                height,
            } => {
                let base = finite3("domain.cylinder.base", *base)?;
                let norm = (axis[0].powi(2) + axis[1].powi(2) + axis[2].powi(2)).sqrt();
                if !(norm.is_finite() && norm > 0.0) {
                    return Err(invalid(
                        "domain.cylinder.axis",
                        format!("{axis:?}"),
                        "a non-zero direction",
                    ));
                }
                Domain::Cylinder {
                    base,
                    axis: axis.map(|a| a / norm),
                    radius: positive("domain.cylinder.radius", *radius)? * len,
                    height: positive("domain.cylinder.height", *height)? * len,
                }
            }
            RawDomain::Envelope { stl } => {
                let file = path.parent().unwrap_or(Path::new(".")).join(stl);
                let envelope = Envelope::from_stl_file(&file).map_err(|e| {
                    invalid(
                        "domain.envelope.stl",
                        format!("{stl:?}"),
                        &format!("a closed STL surface ({e})"),
                    )
                })?;
                if len != 1.0 {
                    return Err(invalid(
                        "domain.envelope.stl",
                        format!("{stl:?}"),
                        "STL envelopes are read in mm: set units.length: mm",
                    ));
                }
                Domain::Envelope(envelope)
            }
        };
        domain
            .validate()
            .map_err(|e| invalid("domain", e.to_string(), "a valid domain"))?;
        let cell_size = match &raw.cell_size {
            RawCellSize::Length(h) => CellSize::Fixed(positive("cell_size", *h)? * len),
            RawCellSize::Word(w) if w == "auto" => CellSize::Auto,
            RawCellSize::Word(w) => {
                return Err(invalid(
                    "cell_size",
                    format!("{w:?}"),
                    "a length > 0 or auto",
                ));
            }
        };
        let max_cell_size = match raw.max_cell_size {
            Some(m) => positive("max_cell_size", m)? * len,
            None => {
                let (lo, hi) = domain.bounding_box();
                (0..3).map(|i| hi[i] - lo[i]).fold(f64::INFINITY, f64::min) / 3.0
            }
        };
        let manufacturing = Manufacturing {
            min_strut_diameter: positive(
                "manufacturing.min_strut_diameter",
                raw.manufacturing.min_strut_diameter,
            )? * len,
            min_pore_size: positive(
                "manufacturing.min_pore_size",
                raw.manufacturing.min_pore_size,
            )? * len,
        };
        let origin = match raw.origin {
            Some(o) => finite3("origin", o)?,
            None => domain.bounding_box().0,
        };
        let fill = match (&raw.design, &raw.control_points) {
            (Some(design), None) => {
                for (key, given) in [
                    ("design_options", raw.design_options.is_some()),
                    ("grading", raw.grading.is_some()),
                ] {
                    if given {
                        return Err(invalid(
                            key,
                            "(given)".into(),
                            "only with control_points (a single design needs no inverse design or grading)",
                        ));
                    }
                }
                design.validate(RangePolicy::Strict).map_err(|e| {
                    let field = design_field(&e);
                    // A spec has no command-line override: the range itself is what is allowed.
                    let (value, allowed) = match &e {
                        crate::design_space::DesignError::OutOfRange {
                            field: f,
                            value,
                            min,
                            max,
                            ..
                        } => (
                            format!("{value} (in {f})"),
                            format!("a value in the design space [{min}, {max}]"),
                        ),
                        _ => (e.to_string(), "a design inside the design space".into()),
                    };
                    SpecError::Invalid {
                        path: path.to_path_buf(),
                        line: find_line(text, &format!("design.{field}")),
                        field: format!("design.{field}"),
                        value,
                        allowed,
                    }
                })?;
                Fill::Uniform(design.clone())
            }
            (None, Some(points)) => {
                let cx = fill::Context {
                    path,
                    text,
                    length: len,
                    stiffness: stiff,
                    youngs_modulus: material.youngs_modulus,
                };
                Fill::Graded(fill::graded(
                    &cx,
                    points,
                    raw.design_options.as_ref(),
                    raw.grading.as_ref(),
                    &domain,
                )?)
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "design",
                    "(given with control_points)".into(),
                    "either design (one cell everywhere) or control_points (graded), not both",
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "control_points",
                    "(missing)".into(),
                    "control_points (graded implant) or design (one cell everywhere)",
                ));
            }
        };
        let resolution = raw.mesh.resolution;
        if !(resolution.is_finite() && resolution > 0.05 && resolution <= 1.0) {
            return Err(invalid(
                "mesh.resolution",
                resolution.to_string(),
                "a fraction of the smallest strut radius in (0.05, 1]",
            ));
        }
        let chord_tolerance = raw.mesh.chord_tolerance;
        if !(chord_tolerance.is_finite() && chord_tolerance > 0.0 && chord_tolerance <= 0.5) {
            return Err(invalid(
                "mesh.chord_tolerance",
                chord_tolerance.to_string(),
                "a fraction of the strut radius in (0, 0.5] (0.05 gives 10-sided struts)",
            ));
        }
        let max_file_mb = raw.outputs.max_file_mb;
        if !(max_file_mb.is_finite() && max_file_mb > 0.0 && max_file_mb <= 1e7) {
            return Err(invalid(
                "outputs.max_file_mb",
                max_file_mb.to_string(),
                "a file size in MB in (0, 10000000] (default 1000)",
            ));
        }
        Ok(Spec {
            name: raw.name,
            source: path.to_path_buf(),
            material_name,
            material,
            domain,
            cell_size,
            max_cell_size,
            origin,
            manufacturing,
            fill,
            mesh: MeshSettings {
                resolution,
                method: raw.mesh.method,
                chord_tolerance,
                ..MeshSettings::default()
            },
            outputs: raw.outputs,
            digest: digest(text),
        })
    }
}

/// FNV-1a (64-bit) of `text`, as 16 hex digits: a change detector, not a cryptographic hash.
pub fn digest(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The design field an error is about (its first word), for messages and line lookup.
fn design_field(e: &crate::design_space::DesignError) -> String {
    use crate::design_space::DesignError as D;
    match e {
        D::OutOfRange { field, .. } | D::NotFinite { field, .. } | D::ZeroAxis { field, .. } => {
            field.split('[').next().unwrap_or(field).to_string()
        }
        D::LatticeIndex { .. } | D::Tessellation { .. } | D::TopologyCount { .. } => {
            "topology".into()
        }
        _ => "".into(),
    }
}

/// The 1-based line where a dotted field path (`domain.cylinder.radius`, `design.U`) is
/// written: each key is looked for after the line of the previous one, in block (`key:`) or
/// flow (`{key: …}`) style. `None` when it cannot be found.
pub fn find_line(text: &str, field: &str) -> Option<usize> {
    let keys: Vec<&str> = field
        .split('.')
        .map(|k| k.split('[').next().unwrap_or(k))
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut found = None;
    for key in keys {
        let pattern = format!("{key}:");
        let hit = (from..lines.len()).find(|&i| {
            let l = lines[i].split('#').next().unwrap_or("");
            let t = l.trim_start();
            t.starts_with(&pattern)
                || l.contains(&format!("{{{pattern}"))
                || l.contains(&format!(" {pattern}"))
        })?;
        found = Some(hit + 1);
        from = hit;
    }
    found
}
