//! The output folder: a build owns only what it writes.
//!
//! Before any expensive work, [`check_output_dir`] refuses an output folder that is a file, the
//! working directory or one of its ancestors, the spec's folder or one of its ancestors, or a
//! non-empty folder that is not a previous trussforge output (recognised by its `report.json`,
//! which names the spec and its digest). Only such a previous output is ever replaced (whole,
//! once the new one is complete). [`clean_stale`] removes the hidden `.NAME.partial-PID` and
//! `.NAME.old-PID` folders that builds of processes no longer alive left beside it; an
//! interrupted build (SIGINT, SIGTERM) removes its own at once ([`crate::cleanup`]).

use std::path::{Path, PathBuf};

use super::BuildError;

fn unsafe_out(path: &Path, reason: &str) -> BuildError {
    BuildError::UnsafeOutput {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// The absolute, symlink-resolved form of `path`, which may not exist yet (its nearest
/// existing ancestor is resolved and the rest appended).
fn resolved(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("."))
            .join(path)
    };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Whether `dir` holds a `report.json` written by a trussforge build.
fn is_previous_output(dir: &Path) -> bool {
    std::fs::read(dir.join("report.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|v| {
            v.get("spec_digest").is_some_and(|d| d.is_string()) && v.get("name").is_some()
        })
}

/// Refuses an output folder the build does not own (see the module docs); `spec` is the spec
/// file being built.
///
/// # Errors
/// [`BuildError::UnsafeOutput`] naming the folder and why; nothing is touched.
pub(crate) fn check_output_dir(out: &Path, spec: &Path) -> Result<(), BuildError> {
    if out.exists() && !out.is_dir() {
        return Err(unsafe_out(
            out,
            "is a file, not a folder; give a new or empty folder (or a previous trussforge output)",
        ));
    }
    let target = resolved(out);
    let cwd = resolved(Path::new("."));
    if cwd.starts_with(&target) {
        return Err(unsafe_out(
            out,
            "is the working directory or one of its ancestors; give a folder of its own",
        ));
    }
    let spec_dir = resolved(
        spec.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    );
    if spec_dir.starts_with(&target) {
        return Err(unsafe_out(
            out,
            "holds the spec file being built; give a folder of its own",
        ));
    }
    if out.is_dir() {
        let empty = std::fs::read_dir(out)
            .map_err(BuildError::io(out))?
            .next()
            .is_none();
        if !empty && !is_previous_output(out) {
            return Err(unsafe_out(
                out,
                "is not empty and is not a previous trussforge output (no report.json of a \
                 build); give a new or empty folder",
            ));
        }
    }
    check_writable(out)
}

/// Whether the output can be written, found out before any expensive work: a probe file is
/// created (and removed at once) in the nearest existing folder on the way to `out`'s parent.
fn check_writable(out: &Path) -> Result<(), BuildError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let existing = parent
        .ancestors()
        .find(|p| p.as_os_str().is_empty() || p.is_dir())
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."));
    let probe = existing.join(format!(".trussforge-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(source) => Err(BuildError::NotWritable {
            out: out.to_path_buf(),
            parent: existing.to_path_buf(),
            source,
        }),
    }
}

/// The hidden folder beside the output folder that a build writes into
/// (`.NAME.partial-PID`): it replaces the output folder only once every file is complete.
pub(crate) struct Staging {
    /// The output folder's parent.
    parent: PathBuf,
    /// The output folder's name.
    name: String,
    /// The staging folder.
    pub dir: PathBuf,
    /// Records the staging folder as this process's until it is swapped in or removed, so an
    /// interrupted build removes it ([`crate::cleanup`]).
    _owned: crate::cleanup::Owned,
}

impl Staging {
    /// Creates the output folder's parent and an empty staging folder in it, after removing
    /// the stale ones of dead processes ([`clean_stale`]).
    pub(crate) fn create(out_dir: &Path) -> Result<Self, BuildError> {
        let parent = out_dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        std::fs::create_dir_all(&parent).map_err(BuildError::io(&parent))?;
        let name = out_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        clean_stale(&parent, &name);
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let (owned, ()) = crate::cleanup::own(&dir, |dir| {
            let _ = std::fs::remove_dir_all(dir);
            std::fs::create_dir(dir)
        })
        .map_err(BuildError::io(&dir))?;
        Ok(Self {
            parent,
            name,
            dir,
            _owned: owned,
        })
    }

    /// Runs `write` on the staging folder; removes the folder when it fails.
    pub(crate) fn fill<T>(
        &self,
        write: impl FnOnce(&Path) -> Result<T, BuildError>,
    ) -> Result<T, BuildError> {
        write(&self.dir).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&self.dir);
        })
    }

    /// Swaps the finished folder in as `out_dir`: the old output is removed only once the new
    /// one is whole. The folder was checked before the work but may have changed since, so it
    /// is checked again (`spec`: the spec file). The staging folder is removed on failure. An
    /// interruption waits for the swap ([`crate::cleanup::critical`]), so the output folder is
    /// always the previous output or the new one, whole.
    pub(crate) fn swap_in(self, out_dir: &Path, spec: &Path) -> Result<(), BuildError> {
        let result = crate::cleanup::critical(|| self.swap(out_dir, spec));
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        result
    }

    fn swap(&self, out_dir: &Path, spec: &Path) -> Result<(), BuildError> {
        check_output_dir(out_dir, spec)?;
        let old = self
            .parent
            .join(format!(".{}.old-{}", self.name, std::process::id()));
        if out_dir.exists() {
            std::fs::rename(out_dir, &old).map_err(BuildError::io(out_dir))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, out_dir) {
            // Put the previous output back.
            let _ = std::fs::rename(&old, out_dir);
            return Err(BuildError::io(out_dir)(e));
        }
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|source| BuildError::OldOutputLeft {
                old: old.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    /// Removes the staging folder unless it was swapped in (then it no longer exists): also
    /// after a panic inside the build, which `batch` catches and goes on from.
    fn drop(&mut self) {
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether process `pid` is alive (Linux: `/proc/PID` exists; elsewhere assumed alive).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes `.NAME.partial-PID` and `.NAME.old-PID` folders in `parent` left by builds of
/// processes no longer alive. Returns how many were removed.
pub(crate) fn clean_stale(parent: &Path, name: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let pid = [".partial-", ".old-"].iter().find_map(|tag| {
            file_name
                .strip_prefix(&format!(".{name}{tag}"))
                .and_then(|p| p.parse::<u32>().ok())
        });
        if let Some(pid) = pid
            && pid != std::process::id()
            && !alive(pid)
            && entry.path().is_dir()
            && std::fs::remove_dir_all(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("trussforge-outdir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn only_new_empty_or_previous_output_folders_are_accepted() {
        let dir = scratch("check");
        let spec = dir.join("specs/a.yaml");
        std::fs::create_dir_all(spec.parent().unwrap()).unwrap();
        std::fs::write(&spec, "name: a").unwrap();
        // New, and empty: fine.
        check_output_dir(&dir.join("out/new"), &spec).unwrap();
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        check_output_dir(&dir.join("empty"), &spec).unwrap();
        // A file.
        std::fs::write(dir.join("precious.txt"), "keep").unwrap();
        let e = check_output_dir(&dir.join("precious.txt"), &spec).unwrap_err();
        assert!(e.to_string().contains("is a file"), "{e}");
        // The spec's folder and its ancestors.
        for out in [dir.join("specs"), dir.clone()] {
            let e = check_output_dir(&out, &spec).unwrap_err();
            assert!(e.to_string().contains("holds the spec file"), "{e}");
        }
        // A folder of someone else's files.
        std::fs::create_dir_all(dir.join("docs")).unwrap();
        std::fs::write(dir.join("docs/keep.txt"), "keep").unwrap();
        let e = check_output_dir(&dir.join("docs"), &spec).unwrap_err();
        assert!(
            e.to_string().contains("not a previous trussforge output"),
            "{e}"
        );
        // …even with some report.json that a build did not write.
        std::fs::write(dir.join("docs/report.json"), "{\"x\": 1}").unwrap();
        assert!(check_output_dir(&dir.join("docs"), &spec).is_err());
        // A previous output is fine.
        std::fs::create_dir_all(dir.join("old")).unwrap();
        std::fs::write(
            dir.join("old/report.json"),
            "{\"name\": \"a\", \"spec_digest\": \"0123\"}",
        )
        .unwrap();
        std::fs::write(dir.join("old/implant.stl"), "x").unwrap();
        check_output_dir(&dir.join("old"), &spec).unwrap();
        // Nothing was touched.
        assert_eq!(
            std::fs::read_to_string(dir.join("docs/keep.txt")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("precious.txt")).unwrap(),
            "keep"
        );
        // The working directory and its ancestors.
        let cwd = std::env::current_dir().unwrap();
        for out in [
            cwd.clone(),
            cwd.parent().unwrap().to_path_buf(),
            PathBuf::from("."),
        ] {
            let e = check_output_dir(&out, &spec).unwrap_err();
            assert!(e.to_string().contains("working directory"), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stale_partial_folders_of_dead_processes_are_removed() {
        let dir = scratch("stale");
        // PID 0 is never a user process (and 4294967295 is never alive).
        let dead = dir.join(".out.partial-4294967295");
        let old = dir.join(".out.old-4294967295");
        let mine = dir.join(format!(".out.partial-{}", std::process::id()));
        let other = dir.join(".other.partial-4294967295");
        let file = dir.join(".out.partial-notapid");
        for d in [&dead, &old, &mine, &other, &file] {
            std::fs::create_dir_all(d).unwrap();
        }
        if cfg!(target_os = "linux") {
            assert_eq!(clean_stale(&dir, "out"), 2);
            assert!(!dead.exists() && !old.exists());
        }
        assert!(mine.exists() && other.exists() && file.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
