//! Reading meshes back (binary or ASCII STL via `stl_io`).

use std::path::Path;

use nalgebra::Point3;

use super::{SurfaceError, TriMesh, weld_and_clean};

/// Reads an STL file (binary or ASCII) into a [`TriMesh`], welding identical vertices.
/// Coordinates are taken as mm.
///
/// # Errors
/// [`SurfaceError::ReadStl`] when the file cannot be opened or parsed.
pub fn read_stl(path: impl AsRef<Path>) -> Result<TriMesh, SurfaceError> {
    let path = path.as_ref();
    let err = |source| SurfaceError::ReadStl {
        path: path.to_path_buf(),
        source,
    };
    check_stl_file(path, MAX_STL_BYTES).map_err(err)?;
    let file = crate::fsutil::open_regular_file(path).map_err(err)?;
    let mut reader = std::io::BufReader::new(file);
    let indexed = stl_io::read_stl(&mut reader).map_err(err)?;
    let vertices: Vec<Point3<f64>> = indexed
        .vertices
        .iter()
        .map(|v| Point3::new(v[0] as f64, v[1] as f64, v[2] as f64))
        .collect();
    // A NaN or infinite coordinate is its own fault (it would otherwise read as an open edge).
    if let Some(vertex) = vertices
        .iter()
        .position(|p| !p.iter().all(|c| c.is_finite()))
    {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("vertex {vertex} has a NaN or infinite coordinate"),
        )));
    }
    let triangles: Vec<[u32; 3]> = indexed
        .faces
        .iter()
        .map(|f| f.vertices.map(|i| i as u32))
        .collect();
    Ok(weld_and_clean(&vertices, &triangles))
}

/// Reads ASCII or binary STL data into separate triangles (corners as stored, mm), for
/// callers that weld with a tolerance of their own ([`super::weld_within`]).
///
/// # Errors
/// The reader's I/O error, or [`std::io::ErrorKind::InvalidData`] if the data is not STL.
pub fn read_stl_triangles<R: std::io::Read + std::io::Seek>(
    r: &mut R,
) -> std::io::Result<Vec<[Point3<f64>; 3]>> {
    let reader = stl_io::create_stl_reader(r)?;
    let mut out = Vec::new();
    for t in reader {
        let t = t?;
        out.push(
            t.vertices
                .map(|v| Point3::new(v[0] as f64, v[1] as f64, v[2] as f64)),
        );
    }
    Ok(out)
}

/// Largest STL file read, bytes (4 GiB: about 86 M triangles in binary).
pub const MAX_STL_BYTES: u64 = 4 << 30;

/// Checks an STL file before reading it, in bounded time and memory: a regular file (not a
/// device or pipe that may never end) of at most `max_bytes`, and either a binary STL whose
/// length holds the triangles its header counts (`84 + 50 n` bytes, trailing bytes tolerated)
/// or a text file starting with `solid`.
///
/// # Errors
/// [`crate::fsutil::check_regular_file`]'s error for anything but a regular file; an
/// [`std::io::ErrorKind::InvalidData`] error saying which of the other checks fails, with the
/// numbers.
pub fn check_stl_file(path: &Path, max_bytes: u64) -> std::io::Result<()> {
    use std::io::Read;
    let bad = |msg: String| std::io::Error::new(std::io::ErrorKind::InvalidData, msg);
    let len = crate::fsutil::check_regular_file(path)?.len();
    if len > max_bytes {
        return Err(bad(format!(
            "{len} bytes, larger than the {max_bytes}-byte limit for an STL"
        )));
    }
    let mut head = Vec::with_capacity(84);
    crate::fsutil::open_regular_file(path)?
        .take(84)
        .read_to_end(&mut head)?;
    if head.len() == 84 {
        let count = u64::from(u32::from_le_bytes([head[80], head[81], head[82], head[83]]));
        // Trailing bytes after the triangles are tolerated (some writers pad); fewer are not.
        if 84 + 50 * count <= len {
            return Ok(());
        }
        if !head.starts_with(b"solid") {
            return Err(bad(format!(
                "not an STL: a binary STL's header says {count} triangles ({} bytes) but the \
                 file has {len} bytes, and it does not start with `solid` (text STL)",
                84 + 50 * count
            )));
        }
    } else if !head.starts_with(b"solid") {
        return Err(bad(format!(
            "not an STL: {len} bytes, shorter than a binary STL header (84 bytes), and not a \
             text STL (`solid …`)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_stl_sources_are_refused_before_reading() {
        let dir = std::env::temp_dir().join(format!("trussforge-stl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        // A header claiming 4 billion triangles in a 134-byte file.
        let mut lying = vec![0u8; 80];
        lying.extend_from_slice(&u32::MAX.to_le_bytes());
        lying.extend_from_slice(&[0u8; 50]);
        let e = check_stl_file(&write("lying.stl", &lying), MAX_STL_BYTES).unwrap_err();
        assert!(e.to_string().contains("4294967295 triangles"), "{e}");
        // Truncated binary.
        let mut one = vec![0u8; 80];
        one.extend_from_slice(&1u32.to_le_bytes());
        one.extend_from_slice(&[0u8; 20]);
        assert!(check_stl_file(&write("short.stl", &one), MAX_STL_BYTES).is_err());
        // Too short for anything.
        assert!(check_stl_file(&write("tiny.stl", b"abc"), MAX_STL_BYTES).is_err());
        // Too large for the limit.
        let mut ok = vec![0u8; 80];
        ok.extend_from_slice(&1u32.to_le_bytes());
        ok.extend_from_slice(&[0u8; 50]);
        let good = write("good.stl", &ok);
        check_stl_file(&good, MAX_STL_BYTES).unwrap();
        assert!(
            check_stl_file(&good, 100)
                .unwrap_err()
                .to_string()
                .contains("limit")
        );
        // Text STL and devices.
        check_stl_file(&write("text.stl", b"solid x\nendsolid x\n"), MAX_STL_BYTES).unwrap();
        if cfg!(target_os = "linux") {
            let e = check_stl_file(Path::new("/dev/zero"), MAX_STL_BYTES).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
