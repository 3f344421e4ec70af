use thiserror::Error;

/// Why a stiffness was rejected.
///
/// Rows and columns are 1-based Voigt indices (1..=6, order 11 22 33 23 13 12), as a user
/// reads them in `C_ij` notation.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum MechanicsError {
    /// A stiffness was given with the wrong number of values.
    ///
    /// Fix: give the 21 upper-triangle constants (C11 C12 … C16 C22 … C66) or a full 6×6
    /// matrix (36 values, six rows of six).
    #[error("a stiffness needs 21 constants or a 6x6 matrix (36 values), got {found} values")]
    WrongCount {
        /// How many values were given.
        found: usize,
    },
    /// A 6×6 matrix row does not have six entries.
    #[error("row {row} of the 6x6 stiffness has {found} entries, expected 6")]
    RaggedRow {
        /// 1-based row.
        row: usize,
        /// Entries found in it.
        found: usize,
    },
    /// An entry is NaN or infinite.
    #[error("stiffness entry C{row}{col} is not a finite number ({value})")]
    NonFinite {
        /// 1-based Voigt row.
        row: usize,
        /// 1-based Voigt column.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// `C_ij` and `C_ji` differ by more than the relative tolerance.
    ///
    /// A stiffness derived from a strain energy is always symmetric; this is usually a typo.
    #[error(
        "stiffness is not symmetric: C{row}{col} = {upper} but C{col}{row} = {lower} \
         (allowed relative difference {tolerance:e} of the largest entry)"
    )]
    NotSymmetric {
        /// 1-based row of the upper entry.
        row: usize,
        /// 1-based column of the upper entry.
        col: usize,
        /// `C_row,col`.
        upper: f64,
        /// `C_col,row`.
        lower: f64,
        /// The relative tolerance used.
        tolerance: f64,
    },
    /// The matrix has a non-positive eigenvalue: some strain costs no (or negative) energy,
    /// which no stable material can have.
    #[error(
        "stiffness is not positive definite: smallest eigenvalue {min_eigenvalue:.6e} \
         (eigenvector {eigenvector:?} in Voigt order 11,22,33,23,13,12); \
         a physical stiffness has all six eigenvalues > 0"
    )]
    NotPositiveDefinite {
        /// The smallest eigenvalue, in the stiffness's own unit.
        min_eigenvalue: f64,
        /// Its eigenvector (unit length), rounded for display.
        eigenvector: [f64; 6],
    },
    /// A token in a stiffness text that is not a number.
    #[error("stiffness value {position} is not a number: {token:?}")]
    NotANumber {
        /// 1-based position of the value.
        position: usize,
        /// The text found.
        token: String,
    },
    /// A direction or rotation axis has zero or non-finite length.
    #[error("direction [{0}, {1}, {2}] has no length; give a non-zero finite vector")]
    ZeroDirection(f64, f64, f64),
}
