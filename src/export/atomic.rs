//! Atomic file writes: temp file in the target's directory, fsync, rename, fsync directory.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::ExportError;

/// Writes `path` atomically: `fill` writes into a temporary file in the same directory, which
/// is flushed, fsynced and renamed over `path`; the directory is then fsynced. On any error
/// (including one returned by `fill`) the temporary file is removed and `path` is untouched.
///
/// # Errors
/// [`ExportError::Io`] for file-system failures, or whatever `fill` returns.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<(), ExportError>
where
    F: FnOnce(&mut BufWriter<&mut std::fs::File>) -> Result<(), ExportError>,
{
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".trussforge-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        fill(&mut w)?;
        w.flush().map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(&dir) {
        // Best effort: make the rename durable.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
