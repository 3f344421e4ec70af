use thiserror::Error;

/// Why a design, topology or periodic cell was rejected.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum DesignError {
    /// A lattice index outside 0..=6.
    #[error("topology[{slot}].lattice = {value}: the elementary lattices are numbered 0..=6")]
    LatticeIndex {
        /// Which of the three superposed lattices (0-based).
        slot: usize,
        /// The given index.
        value: i64,
    },
    /// A tessellation other than 1 or 2.
    #[error(
        "topology[{slot}].tessellation = {value}: allowed are 1 (one copy) or 2 (eight half-size copies)"
    )]
    Tessellation {
        /// Which of the three superposed lattices (0-based).
        slot: usize,
        /// The given tessellation.
        value: i64,
    },
    /// A topology with other than three lattices.
    #[error("topology has {found} lattices; a design superposes exactly 3")]
    TopologyCount {
        /// How many were given.
        found: usize,
    },
    /// A continuous parameter outside its design-space range.
    #[error(
        "{field} = {value} is outside the design space [{min}, {max}]{hint}",
        hint = if *.allow_hint { " (pass --allow-out-of-range to explore beyond it)" } else { "" }
    )]
    OutOfRange {
        /// The field, e.g. `U[1]` or `relative_density`.
        field: String,
        /// The value given.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
        /// Whether the range may be overridden by the user.
        allow_hint: bool,
    },
    /// A value that must be finite and positive is not.
    #[error("{field} = {value} must be a finite number{extra}")]
    NotFinite {
        /// The field.
        field: String,
        /// The value given.
        value: f64,
        /// Extra words (e.g. " > 0").
        extra: String,
    },
    /// A rotation axis of zero length (or not finite).
    #[error(
        "{field}.axis = {axis:?} has zero length; give any non-zero direction (it is normalized)"
    )]
    ZeroAxis {
        /// `R1` or `R2`.
        field: String,
        /// The axis given.
        axis: [f64; 3],
    },
    /// A periodic cell that breaks an invariant.
    #[error("invalid periodic cell: {reason}")]
    InvalidCell {
        /// What is wrong.
        reason: String,
    },
    /// A design or cell file could not be parsed.
    #[error("{0}")]
    Parse(String),
}
