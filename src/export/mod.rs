//! File writers: binary STL, 3MF (core mesh and Beam Lattice extension) and STEP (AP214).
//!
//! Every write is atomic ([`write_atomic`]): the file appears complete or not at all, and a
//! failed write leaves nothing behind. Every triangle mesh is checked with
//! [`check_topology`](crate::mesh::check_topology)
//! before it is written. Output is deterministic: the same input gives the same bytes.
//! Formats are specified in each submodule's docs.

mod atomic;
pub mod step;
pub mod stl;
#[cfg(test)]
pub(crate) mod test_readers;
pub mod threemf;

use thiserror::Error;

use crate::mesh::MeshError;

pub use atomic::write_atomic;
pub use step::{StepOptions, StepStats, estimate_step_bytes, write_step};
pub use stl::{STL_HEADER, write_stl, write_stl_unchecked};
pub use threemf::{
    BALLS_NS, BEAM_LATTICE_NS, BallMode, CORE_NS, ThreeMfContent, ThreeMfOptions, ThreeMfStats,
    write_3mf,
};

/// Why writing a file failed. Nothing is left behind at the target path in any case.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A file-system error. Fix: check the directory exists and is writable, and disk space.
    #[error("writing {path}")]
    Io {
        /// The target file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The zip library failed while writing a 3MF package.
    #[error("writing 3MF package {path}")]
    Zip {
        /// The target file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: zip::result::ZipError,
    },
    /// The mesh failed the mesh check; it is not written.
    #[error("refusing to write an invalid mesh")]
    InvalidMesh(#[from] MeshError),
    /// Binary STL counts triangles in a `u32`. Fix: coarsen the mesh or use 3MF.
    #[error("{triangles} triangles do not fit binary STL (at most 4294967295)")]
    TooManyTriangles {
        /// Number of triangles.
        triangles: usize,
    },
    /// Neither a mesh nor a lattice was given.
    #[error("nothing to write: give a mesh, a lattice or both")]
    NothingToWrite,
    /// The network has no struts.
    #[error("the strut network has no struts")]
    EmptyNetwork,
    /// A radius that rounds to zero. Fix: raise `decimals`.
    #[error("strut {strut} has radius {radius} mm, which rounds to 0 at {decimals} decimals")]
    RadiusTooSmall {
        /// Strut index.
        strut: usize,
        /// The radius, mm.
        radius: f64,
        /// Decimal places used.
        decimals: usize,
    },
    /// truck could not build the B-rep of a strut (should not happen for valid networks).
    #[error(
        "cannot build the STEP solid of strut {strut}: the geometry kernel refused it ({reason}); \
         struts far below a millimetre fail here, so check units.length (a part given in um is \
         1000 times smaller than in mm)"
    )]
    StepGeometry {
        /// Strut index.
        strut: usize,
        /// What failed.
        reason: String,
    },
    /// The STEP file would exceed the configured size limit. Fix: raise
    /// `StepOptions::max_bytes`, or export the lattice as 3MF instead.
    #[error(
        "the STEP file would be about {estimated_bytes} bytes ({solids} solids), over the limit of {max_bytes}"
    )]
    StepTooLarge {
        /// Number of solids (struts + node balls).
        solids: usize,
        /// Estimated size, bytes.
        estimated_bytes: u64,
        /// The limit, bytes.
        max_bytes: u64,
    },
}
