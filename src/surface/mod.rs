//! Triangle surfaces, below the meshers and the domains: the indexed [`TriMesh`], STL reading
//! (binary or ASCII, bounded before it is read), welding, and the full check (closed,
//! 2-manifold, outward, no self-intersections) every written mesh passes.
//!
//! `network` (envelope STLs), `mesh` (the meshers' output) and `export` share this one copy.
//! Coordinates are millimetres.

pub(crate) mod broad_phase;
pub(crate) mod check;
mod read;
mod repair;
mod trimesh;

use thiserror::Error;

pub use check::{MeshReport, check, check_topology, drop_floating_pieces, fill_voids, open_edges};
pub use read::{MAX_STL_BYTES, check_stl_file, read_stl, read_stl_triangles};
pub use repair::{weld_and_clean, weld_within};
pub use trimesh::TriMesh;

/// Why a triangle surface is not a valid closed mesh, or could not be read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SurfaceError {
    /// A triangle names a vertex that does not exist.
    #[error("triangle {triangle} names vertex {index}, but the mesh has {vertices} vertices")]
    BadIndex {
        /// Triangle index.
        triangle: usize,
        /// The vertex index named.
        index: u32,
        /// Number of vertices.
        vertices: usize,
    },
    /// A vertex with a NaN or infinite coordinate.
    #[error("vertex {vertex} has a non-finite coordinate")]
    NonFiniteVertex {
        /// Vertex index.
        vertex: usize,
    },
    /// An edge used by one triangle only: the mesh has a hole.
    #[error("the mesh is open: edge ({a}, {b}) belongs to a single triangle")]
    OpenEdge {
        /// First vertex of the edge.
        a: u32,
        /// Second vertex of the edge.
        b: u32,
    },
    /// An edge shared by more than two triangles.
    #[error("edge ({a}, {b}) is shared by {triangles} triangles; a 2-manifold needs exactly 2")]
    NonManifoldEdge {
        /// First vertex.
        a: u32,
        /// Second vertex.
        b: u32,
        /// Number of triangles using it.
        triangles: usize,
    },
    /// A vertex whose triangles form more than one fan (two surfaces touching at a point).
    #[error("vertex {vertex} is non-manifold: its triangles form {fans} separate fans")]
    NonManifoldVertex {
        /// Vertex index.
        vertex: u32,
        /// Number of fans.
        fans: usize,
    },
    /// Two triangles traverse a shared edge in the same direction: one of them is flipped.
    #[error("inconsistent orientation: edge ({a}, {b}) is traversed twice in the same direction")]
    InconsistentOrientation {
        /// First vertex.
        a: u32,
        /// Second vertex.
        b: u32,
    },
    /// The enclosed volume is negative or zero: the whole mesh is inside out.
    #[error("the signed volume is {volume} mm³; an outward-oriented closed mesh has volume > 0")]
    InsideOut {
        /// Signed volume, mm³.
        volume: f64,
    },
    /// A triangle with (near) zero area or a repeated vertex.
    #[error("triangle {triangle} is degenerate (zero area or repeated vertex)")]
    DegenerateTriangle {
        /// Triangle index.
        triangle: usize,
    },
    /// Two non-adjacent triangles intersect.
    #[error("triangles {first} and {second} intersect ({count} intersecting pairs in total)")]
    SelfIntersection {
        /// First triangle.
        first: usize,
        /// Second triangle.
        second: usize,
        /// Number of intersecting pairs found.
        count: usize,
    },
    /// Reading an STL file failed.
    #[error("reading STL {path}")]
    ReadStl {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O or parse error.
        source: std::io::Error,
    },
}
