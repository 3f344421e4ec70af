use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::design_space::DesignError;
use crate::inverse::reach_message;
use crate::mechanics::{MechanicsError, Stiffness};
use crate::network::{DomainError, EnvelopeError};

/// Why an implant spec was rejected. Every variant names the field (as a dotted path) and,
/// where it can be found, the line of the spec file. A variant with a cause keeps it as its
/// [`std::error::Error::source`] and does not repeat its text.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read spec {}", path.display())]
    Read {
        /// The spec file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// YAML syntax, a wrong type, a missing field or an unknown key. The message is the
    /// parser's (with line and column), with the internal type names it quotes replaced by
    /// what the field holds; the parser's own error is kept in `parse` but not chained, as
    /// its text would repeat the message in internal terms.
    #[error("{}: {}", path.display(), plain_syntax_message(&parse.to_string()))]
    Syntax {
        /// The spec file.
        path: PathBuf,
        /// The parser's error.
        parse: serde_yaml::Error,
    },
    /// A field with a value that is not allowed.
    #[error("{}: {field} = {value}: {allowed}", place(path, *line))]
    Invalid {
        /// The spec file.
        path: PathBuf,
        /// 1-based line of the field, when found.
        line: Option<usize>,
        /// Dotted path of the field, e.g. `domain.cylinder.radius`.
        field: String,
        /// The value given, as text.
        value: String,
        /// What is allowed instead.
        allowed: String,
    },
    /// A unit that is not supported.
    #[error(
        "{}: units.{field} = {value:?} is not a known unit; allowed: {allowed}",
        place(path, *line)
    )]
    UnknownUnit {
        /// The spec file.
        path: PathBuf,
        /// 1-based line, when found.
        line: Option<usize>,
        /// Which unit.
        field: UnitField,
        /// The unit given.
        value: String,
        /// The accepted units.
        allowed: String,
    },
    /// The envelope STL could not be read or is not a closed surface.
    #[error(
        "{}: domain.envelope.stl = {stl:?}: a closed STL surface is needed (the path is \
         relative to the spec file)",
        place(path, *line)
    )]
    Envelope {
        /// The spec file.
        path: PathBuf,
        /// 1-based line, when found.
        line: Option<usize>,
        /// The STL path as written in the spec.
        stl: String,
        /// Why it was refused.
        source: Box<EnvelopeError>,
    },
    /// The domain is not a valid solid (e.g. an envelope without volume).
    #[error("{}: domain is not a valid domain", place(path, *line))]
    Domain {
        /// The spec file.
        path: PathBuf,
        /// 1-based line, when found.
        line: Option<usize>,
        /// What is wrong with it.
        source: Box<DomainError>,
    },
    /// A design (the uniform `design`, or a control point's fixed design) that is not inside
    /// the design space, for a reason other than a value out of its range.
    #[error("{}: {field}: a design inside the design space is needed", place(path, *line))]
    Design {
        /// The spec file.
        path: PathBuf,
        /// 1-based line, when found.
        line: Option<usize>,
        /// Dotted path of the design field, e.g. `design.topology`.
        field: String,
        /// What is wrong with it.
        source: Box<DesignError>,
    },
    /// Two control points share an id.
    #[error(
        "{}: control point id {id:?} is used twice; ids must be unique",
        place(path, *line)
    )]
    DuplicateControlPoint {
        /// The spec file.
        path: PathBuf,
        /// 1-based line of the second use, when found.
        line: Option<usize>,
        /// The id.
        id: String,
    },
    /// A control point lies outside the domain.
    #[error(
        "{}: control point {id:?} at {} mm is outside the domain (bounding box {}..{} mm); \
         move it inside",
        place(path, *line),
        xyz(position),
        xyz(&bounds.0),
        xyz(&bounds.1)
    )]
    OutsideDomain {
        /// The spec file.
        path: PathBuf,
        /// 1-based line, when found.
        line: Option<usize>,
        /// The control point.
        id: String,
        /// Its position, mm.
        position: [f64; 3],
        /// The domain's bounding box (lowest and highest corner), mm.
        bounds: Box<([f64; 3], [f64; 3])>,
    },
    /// A control point's stiffness is malformed or non-physical (wrong count, NaN, not
    /// symmetric, not positive definite).
    #[error("{}: control point {id:?}", place(path, *line))]
    Stiffness {
        /// The spec file.
        path: PathBuf,
        /// 1-based line, when found.
        line: Option<usize>,
        /// The control point.
        id: String,
        /// What is wrong with it.
        source: Box<MechanicsError>,
    },
    /// A control point's stiffness cannot be reached by any design of the design space.
    #[error(
        "{}: control point {id:?} is unreachable: {}",
        place(path, *line),
        reach_message(target, *youngs_modulus).unwrap_or_default()
    )]
    Unreachable {
        /// The spec file.
        path: PathBuf,
        /// 1-based line, when found.
        line: Option<usize>,
        /// The control point.
        id: String,
        /// Its target stiffness, normalized by the base material's E.
        target: Box<Stiffness>,
        /// The base material's Young's modulus, GPa.
        youngs_modulus: f64,
    },
}

/// The unit fields of a spec (`units.length`, `units.stiffness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitField {
    /// `units.length`.
    Length,
    /// `units.stiffness`.
    Stiffness,
}

impl UnitField {
    /// The key in the spec (`length` or `stiffness`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Length => "length",
            Self::Stiffness => "stiffness",
        }
    }
}

impl std::fmt::Display for UnitField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// `path` and, when known, ` line N`: where a message points in the spec file.
fn place(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(l) => format!("{} line {l}", path.display()),
        None => path.display().to_string(),
    }
}

/// A position as `(x, y, z)` with three decimals.
fn xyz(p: &[f64; 3]) -> String {
    format!("({:.3}, {:.3}, {:.3})", p[0], p[1], p[2])
}

/// The parser's message in the spec's own terms: the internal type names serde names
/// ("expected struct RawSpec", "untagged enum RawCellSize") become what the field holds.
pub(super) fn plain_syntax_message(message: &str) -> String {
    let mut out = message.to_string();
    for (name, plain) in PLAIN_NAMES {
        out = out.replace(name, plain);
    }
    replace_remaining_kinds(&mut out);
    replace_remaining_raw_names(&mut out);
    out
}

/// The internal type names the parser may quote, and what the field holds in spec terms.
const PLAIN_NAMES: &[(&str, &str)] = &[
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

/// The end (byte index) of the identifier (letters, digits, `_`, `::`) starting at `from`.
fn ident_end(out: &str, from: usize) -> usize {
    out[from..]
        .find(|c: char| !(c.is_alphanumeric() || c == ':' || c == '_'))
        .map_or(out.len(), |e| from + e)
}

/// Any other `<kind> Raw…` name left: says what kind of value was expected.
fn replace_remaining_kinds(out: &mut String) {
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
            let end = ident_end(out, i + kind.len());
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
}

/// Any bare `RawX…` name left: its lower-case words.
fn replace_remaining_raw_names(out: &mut String) {
    while let Some(i) = out
        .match_indices("Raw")
        .map(|(i, _)| i)
        .find(|&i| out[i + 3..].starts_with(|c: char| c.is_ascii_uppercase()))
    {
        let end = ident_end(out, i);
        let name = out[i + 3..end].replace("::", " ").to_lowercase();
        out.replace_range(i..end, &name);
    }
}
