//! Reading meshes back (binary or ASCII STL via `stl_io`).

use std::path::Path;

use nalgebra::Point3;

use super::{MeshError, TriMesh, weld_and_clean};

/// Reads an STL file (binary or ASCII) into a [`TriMesh`], welding identical vertices.
/// Coordinates are taken as mm.
///
/// # Errors
/// [`MeshError::ReadStl`] when the file cannot be opened or parsed.
pub fn read_stl(path: impl AsRef<Path>) -> Result<TriMesh, MeshError> {
    let path = path.as_ref();
    let err = |source| MeshError::ReadStl {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(err)?;
    let mut reader = std::io::BufReader::new(file);
    let indexed = stl_io::read_stl(&mut reader).map_err(err)?;
    let vertices: Vec<Point3<f64>> = indexed
        .vertices
        .iter()
        .map(|v| Point3::new(v[0] as f64, v[1] as f64, v[2] as f64))
        .collect();
    let triangles: Vec<[u32; 3]> = indexed
        .faces
        .iter()
        .map(|f| f.vertices.map(|i| i as u32))
        .collect();
    Ok(weld_and_clean(&vertices, &triangles))
}
