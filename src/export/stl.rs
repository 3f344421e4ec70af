//! Binary STL.
//!
//! Format: an 80-byte header (here the ASCII text [`STL_HEADER`] padded with spaces; it does
//! not start with `solid`, so readers do not mistake it for ASCII STL), a little-endian `u32`
//! triangle count, then per triangle 12 little-endian `f32` (normal, three vertices in mm,
//! counter-clockwise seen from outside) and a zero `u16`. Written with `stl_io`.

use std::io::Write;
use std::path::Path;

use crate::mesh::{TriMesh, check_topology};

use super::{ExportError, atomic::write_atomic};

/// The header text of every STL written (padded with spaces to 80 bytes).
pub const STL_HEADER: &str = "binary STL from trussforge; units: mm; CCW outward";

/// Replaces the first 80 bytes written (stl_io's zero header) by [`STL_HEADER`].
struct HeaderPatch<W> {
    inner: W,
    skipped: usize,
}

impl<W: Write> Write for HeaderPatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.skipped < 80 {
            let n = buf.len().min(80 - self.skipped);
            self.skipped += n;
            return Ok(n);
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn header() -> [u8; 80] {
    let mut h = [b' '; 80];
    h[..STL_HEADER.len()].copy_from_slice(STL_HEADER.as_bytes());
    h
}

/// Writes `mesh` as binary STL (f32, mm) to `path`, atomically, after [`check_topology`] (closed, manifold,
/// oriented, no degenerate triangles).
///
/// # Errors
/// [`ExportError::InvalidMesh`] if the mesh fails the check,
/// [`ExportError::TooManyTriangles`] past `u32::MAX`, [`ExportError::Io`] on write errors.
pub fn write_stl(path: impl AsRef<Path>, mesh: &TriMesh) -> Result<(), ExportError> {
    check_topology(mesh)
        .into_result()
        .map_err(crate::mesh::MeshError::from)?;
    write_stl_unchecked(path, mesh)
}

/// [`write_stl`] without the mesh check (for meshes already checked).
///
/// # Errors
/// As [`write_stl`], minus [`ExportError::InvalidMesh`].
pub fn write_stl_unchecked(path: impl AsRef<Path>, mesh: &TriMesh) -> Result<(), ExportError> {
    let path = path.as_ref();
    let n = mesh.triangles().len();
    if u32::try_from(n).is_err() {
        return Err(ExportError::TooManyTriangles { triangles: n });
    }
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    write_atomic(path, |w| {
        w.write_all(&header()).map_err(io)?;
        let tris = (0..n).map(|t| {
            let p = mesh.triangle_points(t);
            let n = mesh.normal(t);
            stl_io::Triangle {
                normal: stl_io::Normal::new([n.x as f32, n.y as f32, n.z as f32]),
                vertices: p.map(|v| stl_io::Vertex::new([v.x as f32, v.y as f32, v.z as f32])),
            }
        });
        let mut patch = HeaderPatch {
            inner: &mut *w,
            skipped: 0,
        };
        stl_io::write_stl(&mut patch, tris).map_err(io)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::{check, read_stl};
    use nalgebra::{Point3, Vector3};

    fn cube() -> TriMesh {
        let v: Vec<Point3<f64>> = (0..8)
            .map(|c| {
                Point3::from(
                    Vector3::new(0.1, 0.2, 0.3)
                        + 1.5
                            * Vector3::new(
                                (c & 1) as f64,
                                (c >> 1 & 1) as f64,
                                (c >> 2 & 1) as f64,
                            ),
                )
            })
            .collect();
        let t = vec![
            [0, 2, 1],
            [1, 2, 3],
            [4, 5, 6],
            [5, 7, 6],
            [0, 1, 4],
            [1, 5, 4],
            [2, 6, 3],
            [3, 6, 7],
            [0, 4, 2],
            [2, 4, 6],
            [1, 3, 5],
            [3, 7, 5],
        ];
        TriMesh::try_new(v, t).unwrap()
    }

    /// Same triangles (as f32 corner triples, in order) in both meshes.
    pub(crate) fn same_triangles(a: &TriMesh, b: &TriMesh) -> bool {
        let corners = |m: &TriMesh| -> Vec<[[f32; 3]; 3]> {
            (0..m.triangles().len())
                .map(|t| {
                    m.triangle_points(t)
                        .map(|p| [p.x as f32, p.y as f32, p.z as f32])
                })
                .collect()
        };
        corners(a) == corners(b)
    }

    #[test]
    fn stl_round_trip_and_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cube.stl");
        let m = cube();
        write_stl(&path, &m).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 84 + 50 * 12);
        assert_eq!(&bytes[..80], &header());
        assert!(!bytes.starts_with(b"solid"));
        let back = read_stl(&path).unwrap();
        assert!(same_triangles(&m, &back));
        assert_eq!(back.vertices().len(), 8);
        assert!(check(&back).ok());
        // PrusaSlicer opens it as one closed part of the same 12 facets.
        crate::export::test_readers::check_with_slicer(&path, 12);
        // Deterministic bytes.
        let path2 = dir.path().join("cube2.stl");
        write_stl(&path2, &m).unwrap();
        assert_eq!(bytes, std::fs::read(&path2).unwrap());
    }

    #[test]
    fn open_mesh_is_rejected_and_nothing_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.stl");
        let (v, mut t) = cube().into_parts();
        t.pop();
        let m = TriMesh::try_new(v, t).unwrap();
        assert!(matches!(
            write_stl(&path, &m),
            Err(ExportError::InvalidMesh(crate::mesh::MeshError::Surface(
                crate::surface::SurfaceError::OpenEdge { .. }
            )))
        ));
        assert!(!path.exists());
    }
}
