//! Errors of the homogenizer.

use thiserror::Error;

use crate::mechanics::MechanicsError;

/// A degree of freedom of a frame node, as named in [`FemError::Singular`]: a translation
/// (`ux`, `uy`, `uz`), a rotation (`rx`, `ry`, `rz`), or all six at once (a node that is
/// free as a whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dof {
    /// Translation along the axis.
    Translation(Axis),
    /// Rotation about the axis.
    Rotation(Axis),
    /// Every degree of freedom of the node (a node without struts, or a floating group).
    All,
}

/// A coordinate axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// x.
    X,
    /// y.
    Y,
    /// z.
    Z,
}

impl Dof {
    /// The six degrees of freedom of a node, in the order of its unknowns:
    /// `ux, uy, uz, rx, ry, rz`.
    pub(crate) const OF_NODE: [Dof; 6] = [
        Self::Translation(Axis::X),
        Self::Translation(Axis::Y),
        Self::Translation(Axis::Z),
        Self::Rotation(Axis::X),
        Self::Rotation(Axis::Y),
        Self::Rotation(Axis::Z),
    ];
}

impl std::fmt::Display for Dof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let axis = |a: &Axis| match a {
            Axis::X => "x",
            Axis::Y => "y",
            Axis::Z => "z",
        };
        match self {
            Self::Translation(a) => write!(f, "u{}", axis(a)),
            Self::Rotation(a) => write!(f, "r{}", axis(a)),
            Self::All => f.write_str("all"),
        }
    }
}

/// Why a periodic cell could not be homogenized.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum FemError {
    /// An option is out of its range (e.g. `elements_per_strut = 0`, a shear correction ≤ 0).
    ///
    /// Fix: use the documented range of [`crate::fem::FemOptions`].
    #[error("invalid fem option {field} = {value}: {reason}")]
    InvalidOption {
        /// The option's name.
        field: &'static str,
        /// The value given (as text).
        value: String,
        /// The allowed range.
        reason: &'static str,
    },
    /// The base material is not a stable isotropic solid.
    ///
    /// Fix: give `E > 0` (GPa) and `-1 < ν < 0.5`.
    #[error(
        "invalid material: E = {youngs_modulus} GPa, nu = {poisson_ratio}; \
         need E > 0 and -1 < nu < 0.5"
    )]
    InvalidMaterial {
        /// Young's modulus given, GPa.
        youngs_modulus: f64,
        /// Poisson's ratio given.
        poisson_ratio: f64,
    },
    /// The reduced global stiffness matrix is (numerically) singular: the frame has a
    /// zero-energy fluctuation mode, so the cell has no unique deformed state.
    ///
    /// Usual causes: a node with no struts, a group of nodes not connected to the rest of
    /// the cell (it floats as a rigid body), or a rotation that no strut resists (e.g. a
    /// straight chain of struts spinning about its own axis). Fix the topology.
    #[error(
        "the cell's stiffness matrix is singular at node {node} ({dof}): {hint} \
         (relative pivot {pivot_ratio:.3e})"
    )]
    Singular {
        /// The node (cell node index; internal strut nodes are numbered after the cell's
        /// nodes) where the singular pivot was found.
        node: usize,
        /// Which degree of freedom ([`Dof::All`] for a topological failure).
        dof: Dof,
        /// The pivot relative to the matrix diagonal (`0` for a topological failure).
        pivot_ratio: f64,
        /// The likely cause.
        hint: String,
    },
    /// A group of struts of a whole frame is connected to no support: it floats as a rigid
    /// body and the system is singular. Remove the piece (e.g. keep the largest component)
    /// or connect it to the rest.
    #[error(
        "a floating piece: {nodes} nodes (including node {node}) are connected to no \
         supported node, so the stiffness matrix is singular; remove the piece or connect it"
    )]
    FloatingPiece {
        /// The lowest-numbered node of the piece.
        node: usize,
        /// How many nodes the piece has.
        nodes: usize,
    },
    /// The homogenized stiffness is not positive definite: some macroscopic strain costs no
    /// energy. The cell is a mechanism for that strain (e.g. a layer of struts that is not
    /// connected across the cell in one direction, or a node set that only spans a plane).
    #[error(
        "homogenized stiffness is not positive definite: smallest eigenvalue \
         {min_eigenvalue:.6e} (normalized by E), strain mode {eigenvector:?} \
         (Voigt 11,22,33,23,13,12); {hint}"
    )]
    NotPositiveDefinite {
        /// The smallest eigenvalue of the symmetrized stiffness, normalized by E.
        min_eigenvalue: f64,
        /// The corresponding macroscopic strain mode (unit length).
        eigenvector: [f64; 6],
        /// The likely cause.
        hint: String,
    },
    /// The sparse factorization failed for a non-numerical reason (out of memory, index
    /// overflow).
    #[error("the sparse factorization failed")]
    Solver(#[from] faer::sparse::FaerError),
    /// The numeric factorization produced a NaN pivot without a singular degree of freedom
    /// (typically an allocation failure inside the solver).
    #[error("the numeric factorization failed (NaN pivot; out of memory?)")]
    NumericBreakdown,
    /// The resulting matrix was rejected by [`crate::mechanics::Stiffness`].
    #[error(transparent)]
    Stiffness(#[from] MechanicsError),
}
