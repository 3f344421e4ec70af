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
//! verify: {load_cases: [axial]}   # optional: whole-part beam FE after the build
//! ```

mod error;
mod fill;
mod raw;
// Tests are exempt from the function-length limit (long tables of cases read best whole).
#[cfg(test)]
#[allow(clippy::too_many_lines)]
mod tests;
mod units;

use std::path::{Path, PathBuf};

pub use error::{SpecError, UnitField};
pub use fill::{
    CellSize, ControlPointSpec, DesignMethod, Fill, GradedFill, MODELS_ENV, models_dir,
};
pub use raw::{
    RawCellSize, RawControlPoint, RawDesignOptions, RawDomain, RawGrading, RawManufacturing,
    RawMaterial, RawMesh, RawOutputs, RawSpec, RawStiffness, RawUnits, RawVerify,
};
pub use units::{LENGTH_UNITS, STIFFNESS_UNITS};

use crate::design_space::{Design, DesignError, Material, RangePolicy};
use crate::mesh::MeshSettings;
use crate::network::{Domain, Envelope};

pub use crate::manufacturing::Manufacturing;

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
    /// Load cases of the whole-part beam simulation after the build (`verify.load_cases`);
    /// empty (the default): none, and the build's files are those of a spec without
    /// `verify`.
    pub verify: Vec<crate::simulate::LoadCase>,
    /// A digest of the spec text (FNV-1a, 64 bits, hex): equal digests mean the same spec,
    /// so a finished build can be recognised and skipped (`batch` resume).
    pub digest: String,
}

impl Spec {
    /// Reads and validates a spec file. Anything but a regular file (a FIFO, a device, a
    /// folder) is refused before it is opened.
    ///
    /// # Errors
    /// A [`SpecError`] naming the field, its line, the value and what is allowed.
    pub fn load(path: &Path) -> Result<Self, SpecError> {
        let text =
            crate::fsutil::read_regular_to_string(path).map_err(|source| SpecError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Self::parse(&text, path)
    }

    /// Parses and validates spec text; `path` is used in messages and to resolve relative
    /// envelope paths.
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn parse(text: &str, path: &Path) -> Result<Self, SpecError> {
        let raw: RawSpec = serde_yaml::from_str(text).map_err(|parse| SpecError::Syntax {
            path: path.to_path_buf(),
            parse,
        })?;
        Self::from_raw(raw, text, path)
    }

    /// Validates a parsed spec (see the module docs).
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn from_raw(raw: RawSpec, text: &str, path: &Path) -> Result<Self, SpecError> {
        let file = SpecFile { path, text };
        file.check_name(&raw.name)?;
        let (len, stiff) = file.unit_factors(&raw.units)?;
        let (material_name, material) = file.material(raw.base_material.as_ref(), stiff)?;
        let domain = file.domain(&raw.domain, len)?;
        let cell_size = file.cell_size(&raw.cell_size, len)?;
        let max_cell_size = match raw.max_cell_size {
            Some(m) => file.positive("max_cell_size", m)? * len,
            None => {
                let (lo, hi) = domain.bounding_box();
                (0..3).map(|i| hi[i] - lo[i]).fold(f64::INFINITY, f64::min) / 3.0
            }
        };
        let manufacturing = Manufacturing {
            min_strut_diameter: file.positive(
                "manufacturing.min_strut_diameter",
                raw.manufacturing.min_strut_diameter,
            )? * len,
            min_pore_size: file.positive(
                "manufacturing.min_pore_size",
                raw.manufacturing.min_pore_size,
            )? * len,
        };
        let origin = match raw.origin {
            Some(o) => file.finite3("origin", o, len)?,
            None => domain.bounding_box().0,
        };
        let units = fill::Units {
            length: len,
            stiffness: stiff,
            youngs_modulus: material.youngs_modulus,
        };
        let fill = file.fill(&raw, units, &domain)?;
        let mesh = file.mesh_settings(&raw.mesh)?;
        file.check_outputs(&raw.outputs)?;
        let verify = file.verify(raw.verify.as_ref())?;
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
            mesh,
            outputs: raw.outputs,
            verify,
            digest: digest(text),
        })
    }
}

/// The spec file being validated: its path (for messages and relative paths) and its text
/// (for line numbers).
#[derive(Clone, Copy)]
pub(crate) struct SpecFile<'a> {
    /// The spec file.
    pub path: &'a Path,
    /// Its text.
    pub text: &'a str,
}

impl SpecFile<'_> {
    /// [`SpecError::Invalid`] for `field`, at the field's line.
    fn invalid(&self, field: &str, value: String, allowed: &str) -> SpecError {
        self.invalid_at(field, find_line(self.text, field), value, allowed)
    }

    /// [`SpecError::Invalid`] for `field` at `line`.
    pub(crate) fn invalid_at(
        &self,
        field: &str,
        line: Option<usize>,
        value: String,
        allowed: &str,
    ) -> SpecError {
        SpecError::Invalid {
            path: self.path.to_path_buf(),
            line,
            field: field.to_string(),
            value,
            allowed: allowed.to_string(),
        }
    }

    /// `path` relative to the spec file's folder.
    pub(crate) fn relative(&self, file: &str) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(file)
    }

    /// `v` if it is finite and positive.
    fn positive(&self, field: &str, v: f64) -> Result<f64, SpecError> {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(self.invalid(field, v.to_string(), "a finite number > 0"))
        }
    }

    /// A point with finite coordinates, converted to mm by the length factor `len`.
    fn finite3(&self, field: &str, v: [f64; 3], len: f64) -> Result<[f64; 3], SpecError> {
        match v.iter().position(|x| !x.is_finite()) {
            None => Ok(v.map(|x| x * len)),
            Some(i) => Err(self.invalid(
                &format!("{field}[{i}]"),
                v[i].to_string(),
                "a finite number",
            )),
        }
    }

    /// The implant name must be safe as a folder name.
    fn check_name(&self, name: &str) -> Result<(), SpecError> {
        let count = name.chars().count();
        let safe = !name.is_empty()
            && count <= fill::MAX_ID_CHARS
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !name.starts_with('.');
        if safe {
            return Ok(());
        }
        let shown: String = name.chars().take(40).collect();
        let more = if count > 40 {
            format!("… ({count} characters)")
        } else {
            String::new()
        };
        Err(self.invalid(
            "name",
            format!("{shown:?}{more}"),
            "at most 100 letters, digits, '-', '_' and '.', not starting with '.' (it names \
             the output folder)",
        ))
    }

    /// The factors from the spec's length unit to mm and its stiffness unit to GPa.
    fn unit_factors(&self, units: &RawUnits) -> Result<(f64, f64), SpecError> {
        let unknown = |field: UnitField, value: &str, allowed: String| SpecError::UnknownUnit {
            path: self.path.to_path_buf(),
            line: find_line(self.text, &format!("units.{field}")),
            field,
            value: value.into(),
            allowed,
        };
        let len = units::length_factor(&units.length).ok_or_else(|| {
            unknown(
                UnitField::Length,
                &units.length,
                units::names(&LENGTH_UNITS),
            )
        })?;
        let stiff = units::stiffness_factor(&units.stiffness).ok_or_else(|| {
            unknown(
                UnitField::Stiffness,
                &units.stiffness,
                units::names(&STIFFNESS_UNITS),
            )
        })?;
        Ok((len, stiff))
    }

    /// The base material's name and constants (E converted to GPa by `stiff`); Ti-6Al-4V
    /// when the spec gives none.
    fn material(
        &self,
        raw: Option<&RawMaterial>,
        stiff: f64,
    ) -> Result<(String, Material), SpecError> {
        let Some(m) = raw else {
            return Ok(("Ti-6Al-4V".to_string(), Material::default()));
        };
        let e = self.positive("base_material.youngs_modulus", m.youngs_modulus)? * stiff;
        if !(m.poisson_ratio > -1.0 && m.poisson_ratio < 0.5) {
            return Err(self.invalid(
                "base_material.poisson_ratio",
                m.poisson_ratio.to_string(),
                "a number in (-1, 0.5) for a stable isotropic solid",
            ));
        }
        Ok((
            m.name.clone().unwrap_or_else(|| "custom".into()),
            Material {
                youngs_modulus: e,
                poisson_ratio: m.poisson_ratio,
            },
        ))
    }

    /// The domain in mm (`len`: length unit → mm), validated.
    fn domain(&self, raw: &RawDomain, len: f64) -> Result<Domain, SpecError> {
        let domain = match raw {
            RawDomain::Box { min, max } => self.box_domain(*min, *max, len)?,
            RawDomain::Cylinder {
                base,
                axis,
                radius,
                height,
            } => self.cylinder_domain(*base, *axis, *radius, *height, len)?,
            RawDomain::Envelope { stl } => self.envelope_domain(stl, len)?,
        };
        domain.validate().map_err(|source| SpecError::Domain {
            path: self.path.to_path_buf(),
            line: find_line(self.text, "domain"),
            source: Box::new(source),
        })?;
        Ok(domain)
    }

    /// A box with `max` above `min` on every axis.
    fn box_domain(&self, min: [f64; 3], max: [f64; 3], len: f64) -> Result<Domain, SpecError> {
        let (min, max) = (
            self.finite3("domain.box.min", min, len)?,
            self.finite3("domain.box.max", max, len)?,
        );
        if let Some(i) = (0..3).find(|&i| max[i] <= min[i]) {
            return Err(self.invalid(
                &format!("domain.box.max[{i}]"),
                (max[i] / len).to_string(),
                &format!("a value above min[{i}] = {}", min[i] / len),
            ));
        }
        Ok(Domain::Box { min, max })
    }

    /// A cylinder with a non-zero axis (normalized) and positive radius and height.
    fn cylinder_domain(
        &self,
        base: [f64; 3],
        axis: [f64; 3],
        radius: f64,
        height: f64,
        len: f64,
    ) -> Result<Domain, SpecError> {
        let base = self.finite3("domain.cylinder.base", base, len)?;
        let norm = (axis[0].powi(2) + axis[1].powi(2) + axis[2].powi(2)).sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(self.invalid(
                "domain.cylinder.axis",
                format!("{axis:?}"),
                "a non-zero direction",
            ));
        }
        Ok(Domain::Cylinder {
            base,
            axis: axis.map(|a| a / norm),
            radius: self.positive("domain.cylinder.radius", radius)? * len,
            height: self.positive("domain.cylinder.height", height)? * len,
        })
    }

    /// A closed STL surface (relative to the spec file), read in mm.
    fn envelope_domain(&self, stl: &str, len: f64) -> Result<Domain, SpecError> {
        let envelope =
            Envelope::from_stl_file(self.relative(stl)).map_err(|source| SpecError::Envelope {
                path: self.path.to_path_buf(),
                line: find_line(self.text, "domain.envelope.stl"),
                stl: stl.to_string(),
                source: Box::new(source),
            })?;
        if len != 1.0 {
            return Err(self.invalid(
                "domain.envelope.stl",
                format!("{stl:?}"),
                "STL envelopes are read in mm: set units.length: mm",
            ));
        }
        Ok(Domain::Envelope(envelope))
    }

    /// A fixed cell size in mm, or `auto`.
    fn cell_size(&self, raw: &RawCellSize, len: f64) -> Result<CellSize, SpecError> {
        match raw {
            RawCellSize::Length(h) => Ok(CellSize::Fixed(self.positive("cell_size", *h)? * len)),
            RawCellSize::Word(w) if w == "auto" => Ok(CellSize::Auto),
            RawCellSize::Word(w) => {
                Err(self.invalid("cell_size", format!("{w:?}"), "a length > 0 or auto"))
            }
        }
    }

    /// One design everywhere, or control points to grade between (exactly one of the two).
    fn fill(&self, raw: &RawSpec, units: fill::Units, domain: &Domain) -> Result<Fill, SpecError> {
        match (&raw.design, &raw.control_points) {
            (Some(design), None) => self.uniform_fill(raw, design),
            (None, Some(points)) => Ok(Fill::Graded(fill::graded(
                self,
                units,
                points,
                raw.design_options.as_ref(),
                raw.grading.as_ref(),
                domain,
            )?)),
            (Some(_), Some(_)) => Err(self.invalid(
                "design",
                "(given with control_points)".into(),
                "either design (one cell everywhere) or control_points (graded), not both",
            )),
            (None, None) => Err(self.invalid(
                "control_points",
                "(missing)".into(),
                "control_points (graded implant) or design (one cell everywhere)",
            )),
        }
    }

    /// A single design inside the design space, with no inverse-design or grading options.
    fn uniform_fill(&self, raw: &RawSpec, design: &Design) -> Result<Fill, SpecError> {
        for (key, given) in [
            ("design_options", raw.design_options.is_some()),
            ("grading", raw.grading.is_some()),
        ] {
            if given {
                return Err(self.invalid(
                    key,
                    "(given)".into(),
                    "only with control_points (a single design needs no inverse design or grading)",
                ));
            }
        }
        design
            .validate(RangePolicy::Strict)
            .map_err(|e| self.design_error(e))?;
        Ok(Fill::Uniform(design.clone()))
    }

    /// The error of a uniform design outside the design space: a value out of its range names
    /// the range (a spec has no command-line override: the range itself is what is allowed).
    fn design_error(&self, e: DesignError) -> SpecError {
        let field = format!("design.{}", design_field(&e));
        let line = find_line(self.text, &field);
        match &e {
            DesignError::OutOfRange {
                field: f,
                value,
                min,
                max,
                ..
            } => self.invalid_at(
                &field,
                line,
                format!("{value} (in {f})"),
                &format!("a value in the design space [{min}, {max}]"),
            ),
            _ => SpecError::Design {
                path: self.path.to_path_buf(),
                line,
                field,
                source: Box::new(e),
            },
        }
    }

    /// The mesh settings, with the resolution and chord tolerance in their ranges.
    fn mesh_settings(&self, raw: &RawMesh) -> Result<MeshSettings, SpecError> {
        let resolution = raw.resolution;
        if !(resolution.is_finite() && resolution > 0.05 && resolution <= 1.0) {
            return Err(self.invalid(
                "mesh.resolution",
                resolution.to_string(),
                "a fraction of the smallest strut radius in (0.05, 1]",
            ));
        }
        let chord_tolerance = raw.chord_tolerance;
        if !(chord_tolerance.is_finite() && chord_tolerance > 0.0 && chord_tolerance <= 0.5) {
            return Err(self.invalid(
                "mesh.chord_tolerance",
                chord_tolerance.to_string(),
                "a fraction of the strut radius in (0, 0.5] (0.05 gives 10-sided struts)",
            ));
        }
        Ok(MeshSettings {
            resolution,
            method: raw.method,
            chord_tolerance,
            ..MeshSettings::default()
        })
    }

    /// The file-size limit in its range.
    fn check_outputs(&self, outputs: &RawOutputs) -> Result<(), SpecError> {
        let max_file_mb = outputs.max_file_mb;
        if !(max_file_mb.is_finite() && max_file_mb > 0.0 && max_file_mb <= 1e7) {
            return Err(self.invalid(
                "outputs.max_file_mb",
                max_file_mb.to_string(),
                "a file size in MB in (0, 10000000] (default 1000)",
            ));
        }
        Ok(())
    }
}

impl SpecFile<'_> {
    /// The `verify.load_cases`: known names, each once, at least one.
    fn verify(&self, raw: Option<&RawVerify>) -> Result<Vec<crate::simulate::LoadCase>, SpecError> {
        use crate::simulate::LoadCase;
        const ALLOWED: &str = "a list of load cases, each axial, bending or torsion, at most once";
        let Some(raw) = raw else {
            return Ok(Vec::new());
        };
        if raw.load_cases.is_empty() {
            return Err(self.invalid("verify.load_cases", "[]".to_string(), ALLOWED));
        }
        let mut cases = Vec::with_capacity(raw.load_cases.len());
        for (k, name) in raw.load_cases.iter().enumerate() {
            let case = match name.as_str() {
                "axial" => LoadCase::Axial,
                "bending" => LoadCase::Bending,
                "torsion" => LoadCase::Torsion,
                _ => {
                    return Err(self.invalid(
                        &format!("verify.load_cases[{k}]"),
                        format!("{name:?}"),
                        ALLOWED,
                    ));
                }
            };
            if cases.contains(&case) {
                return Err(self.invalid(
                    &format!("verify.load_cases[{k}]"),
                    format!("{name:?} (given twice)"),
                    ALLOWED,
                ));
            }
            cases.push(case);
        }
        Ok(cases)
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
