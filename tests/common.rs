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

/// Runs the `trussforge` binary in `dir` and fails the test if it has not ended after
/// `limit` (it is killed then): for inputs that must not make a command wait forever.
pub fn trussforge_within(args: &[&str], dir: &Path, limit: std::time::Duration) -> Output {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_trussforge"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait works").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("trussforge {args:?} still ran after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output is read")
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
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    check_written_files(&folder, &report);
    (folder, report)
}

/// Opens every mesh and 3MF file of a build's output `folder` with the independent readers:
/// PrusaSlicer (`implant.stl`, `implant.3mf`: one manifold part of the report's triangle
/// count) and lib3mf in strict mode (`implant.3mf`: the triangles, no beams;
/// `implant.beams.3mf`: no triangles, a beam per strut and a ball per node used).
pub fn check_written_files(folder: &Path, report: &serde_json::Value) {
    let triangles = report["mesh"]["triangles"].as_u64();
    for name in ["implant.stl", "implant.3mf"] {
        let path = folder.join(name);
        if let (true, Some(n)) = (path.is_file(), triangles) {
            check_with_slicer(&path, n, None);
        }
    }
    let mesh = folder.join("implant.3mf");
    if mesh.is_file() && python_has("lib3mf") {
        let n = triangles
            .expect("a mesh 3MF means a meshed build")
            .to_string();
        check_3mf(&mesh, &["--triangles", &n, "--beams", "0"]);
    }
    let beams = folder.join("implant.beams.3mf");
    if beams.is_file() && python_has("lib3mf") {
        let struts = report["struts"].as_u64().unwrap().to_string();
        let nodes = used_nodes(&beams).to_string();
        check_3mf(
            &beams,
            &["--triangles", "0", "--beams", &struts, "--balls", &nodes],
        );
    }
}

/// The `<vertex>` elements of a 3MF's model (the lattice's used nodes in a beams file).
fn used_nodes(path: &Path) -> usize {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('3D/3dmodel.model').count(b'<vertex '))",
        ])
        .arg(path)
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Whether `python3` can import `module`; CI sets `TRUSSFORGE_REQUIRE_PYTHON_CHECKS=1`, so
/// there a missing module fails the test instead of skipping the check.
pub fn python_has(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("TRUSSFORGE_REQUIRE_PYTHON_CHECKS").is_some() {
        panic!("python3 cannot import {module}, and TRUSSFORGE_REQUIRE_PYTHON_CHECKS is set");
    }
    if !ok {
        eprintln!("SKIPPED: python3 cannot import {module}");
    }
    ok
}

/// Runs `tests/python/check_3mf.py` (lib3mf, strict mode) on `path` with `args`.
pub fn check_3mf(path: &Path, args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_3mf.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "check_3mf.py failed on {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether `prusa-slicer` runs here; CI sets `TRUSSFORGE_REQUIRE_SLICER_CHECKS=1`, so there a
/// missing slicer fails the test instead of skipping the check.
pub fn slicer_available() -> bool {
    let ok = Command::new("prusa-slicer")
        .arg("--help")
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("TRUSSFORGE_REQUIRE_SLICER_CHECKS").is_some() {
        panic!("prusa-slicer does not run, and TRUSSFORGE_REQUIRE_SLICER_CHECKS is set");
    }
    if !ok {
        eprintln!("SKIPPED: prusa-slicer is not installed (apt-get install prusa-slicer)");
    }
    ok
}

/// Opens `path` with `prusa-slicer --info` (through `tests/python/check_slicer.py`) when it
/// is available and asserts one manifold model of `facets` triangles; with `gcode`, also
/// slices it to that G-code file.
pub fn check_with_slicer(path: &Path, facets: u64, gcode: Option<&Path>) {
    if !slicer_available() {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_slicer.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script)
        .arg(path)
        .args(["--facets", &facets.to_string()]);
    if let Some(g) = gcode {
        cmd.arg("--gcode").arg(g);
    }
    let out = cmd.output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "check_slicer.py failed on {}: {stdout}{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
