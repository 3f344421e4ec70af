//! Issue 23: `build` and `batch` interrupted by SIGINT or SIGTERM at any moment leave nothing
//! but finished outputs (no `.NAME.partial-PID` / `.NAME.old-PID` folders, no temporary
//! files) and exit with 130 / 143.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{fixture, temp_dir};

/// The small block grown to a spec that takes a few seconds (STEP off, which would be large).
fn slow_spec(dir: &Path, file: &str, name: &str) {
    let text = std::fs::read_to_string(fixture("specs/small_block.yaml")).unwrap();
    let text = text
        .replace("name: small-block", &format!("name: {name}"))
        .replace("max: [6, 6, 7.5]", "max: [16, 16, 16]")
        .replace("step: true}", "step: false}");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

fn spawn(args: &[&str], dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_trussforge"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs")
}

/// Sends `signal` to the child and returns its exit code (`None`: killed by a signal).
fn interrupt(child: Child, signal: i32) -> Option<i32> {
    // SAFETY: kill(2) on the id of a child this test spawned and has not yet waited for.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "kill failed");
    let out = child.wait_with_output().expect("child ends");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out.status.code()
}

/// Every path under `root` left by an unfinished write: staging and old-output folders and
/// temporary files.
fn leftovers(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains(".partial-") || name.contains(".old-") || name.contains(".tmp") {
            found.push(path.clone());
        }
        if path.is_dir() {
            found.extend(leftovers(&path));
        }
    }
    found
}

/// A finished output folder: its report parses and every file it lists is there.
fn assert_finished(folder: &Path) {
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    for f in report["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let bytes = std::fs::metadata(folder.join(name)).unwrap().len();
        assert_eq!(bytes, f["bytes"].as_u64().unwrap(), "{name}");
    }
}

#[test]
fn regression_issue_23_interrupted_builds_leave_only_finished_outputs() {
    let dir = temp_dir("interrupt-build");
    slow_spec(&dir, "s.yaml", "slow");
    let folder = dir.join("output/slow");
    // A first build, timed: the interruptions fall at fractions of its length.
    let start = Instant::now();
    let first = spawn(&["build", "s.yaml"], &dir).wait().unwrap();
    assert!(first.success());
    let whole = start.elapsed();
    eprintln!("one build: {whole:?}");
    assert_finished(&folder);
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let mut interrupted = 0;
        for fraction in [0.05, 0.3, 0.6, 0.9] {
            // Into a new folder (nothing finished there yet) and over the finished one.
            for out in ["fresh", "output/slow"] {
                let _ = std::fs::remove_dir_all(dir.join("fresh"));
                let child = spawn(&["build", "s.yaml", "--out", out], &dir);
                std::thread::sleep(whole.mul_f64(fraction));
                match interrupt(child, signal) {
                    Some(0) => assert_finished(&dir.join(out)),
                    Some(c) => {
                        assert_eq!(c, code, "signal {signal} at {fraction} of a build");
                        interrupted += 1;
                        // Interrupted during the swap, the build finishes it first.
                        if dir.join(out).exists() {
                            assert_finished(&dir.join(out));
                        }
                    }
                    None => panic!("killed by signal {signal} instead of exiting with {code}"),
                }
                assert_finished(&folder);
                let left = [leftovers(&dir), leftovers(&dir.join("output"))].concat();
                assert!(left.is_empty(), "left behind: {left:?}");
            }
        }
        assert!(
            interrupted >= 4,
            "only {interrupted} of 8 builds were interrupted"
        );
    }
}

#[test]
fn regression_issue_23_interrupted_batches_keep_finished_specs_and_roll_back_the_rest() {
    let dir = temp_dir("interrupt-batch");
    for (file, name) in [("a.yaml", "pa"), ("b.yaml", "pb"), ("c.yaml", "pc")] {
        slow_spec(&dir.join("specs"), file, name);
    }
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let _ = std::fs::remove_dir_all(dir.join("output"));
        let child = spawn(&["batch", "specs", "--out", "output"], &dir);
        // Wait for the first spec to finish, then interrupt the second in flight.
        let start = Instant::now();
        while !dir.join("output/pa/report.json").exists() {
            assert!(
                start.elapsed() < Duration::from_secs(600),
                "pa never finished"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // …while its staging folder is being written.
        let staging = |root: &Path| {
            std::fs::read_dir(root)
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".pb.partial-"))
        };
        let wait = Instant::now();
        while !staging(&dir.join("output")) && wait.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(interrupt(child, signal), Some(code));
        assert_finished(&dir.join("output/pa"));
        for name in ["pb", "pc"] {
            let folder = dir.join("output").join(name);
            if folder.exists() {
                assert_finished(&folder);
            }
        }
        let left = leftovers(&dir.join("output"));
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}
