//! What an interrupted process leaves behind: nothing but finished outputs.
//!
//! Every temporary path the engine creates while it writes — a build's staging folder
//! (`.NAME.partial-PID`), the temporary file of an atomic write — is created through [`own`],
//! which records it in a process-wide registry until its guard ([`Owned`]) is dropped. The
//! command line installs a handler for SIGINT and SIGTERM that calls [`remove_owned`] from an
//! ordinary thread (never from the signal handler itself: the signal only wakes that thread)
//! and then exits with 128 + the signal number.
//!
//! # Guarantees
//! - A path is recorded in the same locked step that creates it, so an interruption sees
//!   either no path or a recorded one; after [`remove_owned`] no further path can be
//!   created or recorded (the registry stays locked until the process exits).
//! - Sequences that replace finished outputs (a build's swap of its staging folder for the
//!   output folder) run inside [`critical`]: an interruption waits until the swap is complete,
//!   so an output folder is always either the previous one or the new one, whole.
//! - A folder is removed again if a writer still running adds a file while it is being
//!   removed (writers create files only inside folders that exist, never their parents).
//!
//! Non-guarantee: a process killed by SIGKILL (or by a signal before the handler is installed)
//! cleans nothing; the next build into the same parent folder removes the staging folders of
//! dead processes (see `pipeline::output_dir`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Paths owned by this process, by guard id.
static OWNED: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
/// Held while finished outputs are being replaced, and by an interruption.
static CRITICAL: Mutex<()> = Mutex::new(());
/// The next guard id.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// The registry, whether or not a thread panicked while holding it (it is a plain list).
fn owned() -> MutexGuard<'static, Vec<(u64, PathBuf)>> {
    OWNED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A recorded temporary path; dropping it forgets the path (it does not remove it: the owner
/// removes or renames it first).
#[derive(Debug)]
#[must_use = "the path is forgotten when the guard is dropped"]
pub struct Owned {
    id: u64,
}

impl Drop for Owned {
    fn drop(&mut self) {
        owned().retain(|(id, _)| *id != self.id);
    }
}

/// Creates `path` with `create` and records it as owned by this process, in one step that an
/// interruption cannot split: until the guard is dropped, [`remove_owned`] removes the path
/// (a folder with everything in it).
///
/// # Errors
/// The error of `create`; nothing is recorded then.
pub fn own<T>(
    path: &Path,
    create: impl FnOnce(&Path) -> std::io::Result<T>,
) -> std::io::Result<(Owned, T)> {
    let mut list = owned();
    let made = create(path)?;
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    list.push((id, path.to_path_buf()));
    Ok((Owned { id }, made))
}

/// Runs `f` so that an interruption waits for it to finish (for renames that replace a
/// finished output).
pub fn critical<T>(f: impl FnOnce() -> T) -> T {
    let _held = CRITICAL.lock().unwrap_or_else(PoisonError::into_inner);
    f()
}

/// For the interruption handler: waits for any [`critical`] section to finish, removes every
/// owned path and keeps both locks for the rest of the process, so nothing new is created or
/// swapped in. Returns the paths that existed and were removed. Call it once, then exit.
pub fn remove_owned() -> Vec<PathBuf> {
    std::mem::forget(CRITICAL.lock().unwrap_or_else(PoisonError::into_inner));
    let list = owned();
    let mut removed = Vec::new();
    for (_, path) in list.iter() {
        if remove_path(path) {
            removed.push(path.clone());
        }
    }
    std::mem::forget(list);
    removed
}

/// Removes a file or a folder tree, retrying while a writer still running adds entries;
/// whether something was there.
fn remove_path(path: &Path) -> bool {
    let mut existed = false;
    for _ in 0..100 {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return existed;
        };
        existed = true;
        let _ = if meta.is_dir() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
    }
    existed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Owned paths are forgotten when their guard drops; the ones still owned are listed in
    /// the registry with everything inside. (`remove_owned` itself ends the process's use of
    /// the registry, so it is exercised by the command-line interruption tests.)
    #[test]
    fn own_records_until_the_guard_drops() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let (guard, ()) = own(&a, |p| std::fs::create_dir(p)).unwrap();
        std::fs::write(a.join("inside"), "x").unwrap();
        assert!(owned().iter().any(|(_, p)| *p == a));
        drop(guard);
        assert!(!owned().iter().any(|(_, p)| *p == a));
        // A failed creation records nothing.
        let missing = dir.path().join("no/such/folder");
        assert!(own(&missing, |p| std::fs::create_dir(p)).is_err());
        assert!(!owned().iter().any(|(_, p)| *p == missing));
        // remove_path removes a tree and reports whether it was there.
        assert!(remove_path(&a));
        assert!(!a.exists());
        assert!(!remove_path(&a));
        assert_eq!(critical(|| 7), 7);
    }
}
