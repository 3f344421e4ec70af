//! Atomic file writes: temp file in the target's directory, fsync, rename, fsync directory.

use std::io::BufWriter;
use std::path::Path;

use super::ExportError;

/// Writes `path` atomically through [`crate::fsutil::atomic_write_with`]: `fill` writes into a
/// temporary file in the same directory, which is flushed, fsynced and renamed over `path`; the
/// directory is then fsynced. On any error (including one returned by `fill`) the temporary
/// file is removed and `path` is untouched.
///
/// # Errors
/// [`ExportError::Io`] for file-system failures, or whatever `fill` returns.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<(), ExportError>
where
    F: FnOnce(&mut BufWriter<std::fs::File>) -> Result<(), ExportError>,
{
    let mut failed: Option<ExportError> = None;
    let result = crate::fsutil::atomic_write_with(path, |w| {
        fill(w).map_err(|e| {
            failed = Some(e);
            std::io::Error::other("the writer failed")
        })
    });
    match (result, failed) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(e)) => Err(e),
        (Err(source), None) => Err(ExportError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn failure_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, b"old").unwrap();
        let r = write_atomic(&path, |w| {
            w.write_all(b"partial").unwrap();
            Err(ExportError::EmptyNetwork)
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomic(&path, |w| {
            w.write_all(b"new").map_err(|source| ExportError::Io {
                path: path.clone(),
                source,
            })
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
