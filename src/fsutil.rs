//! Atomic file writes (nothing is ever left half-written) and bounded reads of input files
//! (nothing waits forever on a FIFO or a device): the one implementation every writer and
//! every reader of a file named by the user uses.

use std::io::{Read, Write};
use std::path::Path;

/// Refuses anything but a regular file (or a symbolic link to one) *before* it is opened:
/// opening a FIFO for reading blocks until a writer appears, and a device or socket may never
/// end.
///
/// # Errors
/// [`std::io::ErrorKind::InvalidInput`] naming what `path` is (a folder, a FIFO, …) when it
/// is not a regular file (the message leaves the path to the caller's context); the error of
/// `metadata` when it cannot be examined (e.g. not found).
pub fn check_regular_file(path: &Path) -> std::io::Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        return Ok(meta);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "not a regular file but {}, which may never end or blocks when opened; give a file",
            file_kind(&meta.file_type())
        ),
    ))
}

/// What a non-regular file is, in words.
fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a folder"
    } else {
        "something else"
    }
}

/// Opens an input file for reading after [`check_regular_file`]. On Unix the file is opened
/// non-blocking and checked again on the open descriptor, so a path swapped for a FIFO
/// between the check and the open cannot block either.
///
/// # Errors
/// Those of [`check_regular_file`] and of opening the file.
pub fn open_regular_file(path: &Path) -> std::io::Result<std::fs::File> {
    check_regular_file(path)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (it changed since it was checked); give a file",
        ));
    }
    Ok(file)
}

/// Reads a whole input file as UTF-8 text through [`open_regular_file`].
///
/// # Errors
/// Those of [`open_regular_file`], of reading, and [`std::io::ErrorKind::InvalidData`] for
/// text that is not UTF-8.
pub fn read_regular_to_string(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    open_regular_file(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Writes `bytes` to `path` atomically: into a temporary file in the same directory, flushed
/// and synced, then renamed over `path`. On any error, and when the process is interrupted
/// ([`crate::cleanup`]), the temporary file is removed and `path` is untouched.
///
/// # Errors
/// Any I/O error of creating, writing, syncing or renaming.
pub fn atomic_write_bytes(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    atomic_write_with(path, |w| w.write_all(bytes))
}

/// Like [`atomic_write_bytes`], with the content produced by `write` into a buffered writer.
///
/// # Errors
/// Any error of `write` or of the file operations.
pub fn atomic_write_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    // The temporary file is owned by this process until it is renamed or removed, so an
    // interrupted process removes it (see `crate::cleanup`).
    let (_owned, file) = crate::cleanup::own(&tmp, |p| std::fs::File::create(p))?;
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Best effort: make the rename itself durable.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 23: a FIFO, a folder and a device are refused at once, naming what they are; a
    /// regular file and a link to one are read.
    #[cfg(unix)]
    #[test]
    fn regression_issue_23_non_regular_inputs_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("spec.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let e = read_regular_to_string(&fifo).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_regular_to_string(dir.path()).unwrap_err();
        assert!(e.to_string().contains("a folder"), "{e}");
        let e = read_regular_to_string(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("a device"), "{e}");
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "text").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_regular_to_string(&link).unwrap(), "text");
        let to_fifo = dir.path().join("to-fifo");
        std::os::unix::fs::symlink(&fifo, &to_fifo).unwrap();
        assert!(read_regular_to_string(&to_fifo).is_err());
    }

    #[test]
    fn failed_write_leaves_nothing_behind() {
        let dir = std::env::temp_dir().join(format!("tf-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        atomic_write_bytes(&path, b"first").unwrap();
        let err = atomic_write_with(&path, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
