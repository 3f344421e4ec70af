//! Helpers shared by the integration tests: fixtures, a temporary folder per test, running the
//! binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file under `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The models shipped in the repository (the binary looks for `models/` in its working
/// directory, which a test's temporary folder does not have).
pub fn shipped_models() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .to_string_lossy()
        .into_owned()
}

/// A fresh, empty temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trussforge-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the `trussforge` binary in `dir`.
pub fn trussforge(args: &[&str], dir: &Path) -> Output {
    trussforge_with_env(args, dir, &[])
}

/// [`trussforge`] with extra environment variables set for the run.
pub fn trussforge_with_env(args: &[&str], dir: &Path, env: &[(&str, &Path)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trussforge"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("binary runs")
}

/// The process's standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The process's standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Builds each `(name, spec text, expected message)` case in `dir` and checks that it exits
/// with code 2, that stderr holds the expected message, and that no output is left behind.
pub fn assert_bad_specs(dir: &Path, cases: &[(&str, String, &str)]) {
    for (name, text, expected) in cases {
        std::fs::write(dir.join("s.yaml"), text).unwrap();
        let out = trussforge(&["build", "s.yaml"], dir);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
        assert!(
            !dir.join("output").exists()
                || std::fs::read_dir(dir.join("output")).unwrap().count() == 0,
            "{name}: output left behind"
        );
    }
}

/// Builds the fixture spec `spec` in `dir`, asserts success, that `files` exist in
/// `output/<name>/`, and that the written STL passes `trussforge check`; returns the output
/// folder and the parsed `report.json`.
pub fn build_fixture(
    dir: &Path,
    spec: &str,
    name: &str,
    files: &[&str],
) -> (PathBuf, serde_json::Value) {
    let spec = fixture(spec);
    let out = trussforge(&["build", spec.to_str().unwrap()], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let folder = dir.join("output").join(name);
    for f in files {
        assert!(folder.join(f).is_file(), "{f} missing");
    }
    // The written STL passes the independent check command.
    let check = trussforge(
        &["check", folder.join("implant.stl").to_str().unwrap()],
        dir,
    );
    assert!(check.status.success(), "{}", stderr(&check));
    let report =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    (folder, report)
}
