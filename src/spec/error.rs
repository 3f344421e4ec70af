use std::path::PathBuf;

use thiserror::Error;

/// Why an implant spec was rejected. Every variant names the field (as a dotted path) and,
/// where it can be found, the line of the spec file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read spec {}: {message}", path.display())]
    Read {
        /// The spec file.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// YAML syntax, a wrong type, a missing field or an unknown key (the parser's message
    /// gives the line and column).
    #[error("{}: {message}", path.display())]
    Syntax {
        /// The spec file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A field with a value that is not allowed.
    #[error("{}{line}: {field} = {value}: {allowed}", path.display(), line = line.map(|l| format!(" line {l}")).unwrap_or_default())]
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
    #[error("{}{line}: units.{field} = {value:?} is not a known unit; allowed: {allowed}", path.display(), line = line.map(|l| format!(" line {l}")).unwrap_or_default())]
    UnknownUnit {
        /// The spec file.
        path: PathBuf,
        /// 1-based line, when found.
        line: Option<usize>,
        /// `length` or `stiffness`.
        field: String,
        /// The unit given.
        value: String,
        /// The accepted units.
        allowed: String,
    },
}
