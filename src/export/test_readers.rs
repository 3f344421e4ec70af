//! Test helpers: PrusaSlicer (Debian's `prusa-slicer`) as an independent reader of the mesh
//! files, through `tests/python/check_slicer.py`. CI installs it and sets
//! `TRUSSFORGE_REQUIRE_SLICER_CHECKS=1`, so there a missing slicer fails the test; elsewhere
//! the check is skipped with a notice.

use std::path::Path;

/// Whether `prusa-slicer` runs here (panics when it does not and
/// `TRUSSFORGE_REQUIRE_SLICER_CHECKS` is set).
pub(crate) fn slicer_available() -> bool {
    let ok = std::process::Command::new("prusa-slicer")
        .arg("--help")
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok && std::env::var_os("TRUSSFORGE_REQUIRE_SLICER_CHECKS").is_some() {
        panic!("prusa-slicer does not run, and TRUSSFORGE_REQUIRE_SLICER_CHECKS is set");
    }
    if !ok {
        eprintln!("SKIPPED: prusa-slicer is not installed (apt-get install prusa-slicer)");
    }
    ok
}

/// Opens `path` (STL or 3MF) with `prusa-slicer --info` when it is available and asserts it
/// loads as one manifold model of `facets` triangles.
pub(crate) fn check_with_slicer(path: &Path, facets: usize) {
    if !slicer_available() {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_slicer.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(path)
        .args(["--facets", &facets.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "check_slicer.py failed on {}: {stdout}{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
