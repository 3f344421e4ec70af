//! `trussforge build` and `trussforge check` end to end on small specs.

use std::path::Path;

use crate::common::{
    assert_bad_specs, build_fixture, check_with_slicer, check_written_files, fixture, stderr,
    temp_dir, trussforge,
};

fn report_without_timings(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("timings_s");
    v
}

#[test]
fn build_writes_checked_files_and_a_report_deterministically() {
    let dir = temp_dir("ok");
    let spec = fixture("specs/small_block.yaml");
    let (folder, report) = build_fixture(
        &dir,
        "specs/small_block.yaml",
        "small-block",
        &[
            "implant.stl",
            "implant.3mf",
            "implant.beams.3mf",
            "implant.step",
            "report.json",
        ],
    );
    let listed: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .take(4)
        .collect();
    assert_eq!(
        listed,
        [
            "implant.stl",
            "implant.3mf",
            "implant.beams.3mf",
            "implant.step"
        ]
    );
    // The default 3MF slices (PrusaSlicer's default profile, on a raft) to G-code.
    let triangles = report["mesh"]["triangles"].as_u64().unwrap();
    let gcode = dir.join("implant.gcode");
    check_with_slicer(&folder.join("implant.3mf"), triangles, Some(&gcode));
    assert!(report["mesh"]["check"]["closed"].as_bool().unwrap());
    assert_eq!(report["mesh"]["check"]["self_intersections"], 0);
    let fraction = report["mesh"]["solid_volume_fraction"].as_f64().unwrap();
    // Trimmed cells at the boundary and node overlap lower the fraction below the design ρ.
    assert!(fraction > 0.05 && fraction < 0.1, "{fraction}");
    assert!(report["struts"].as_u64().unwrap() > 100);
    let step = std::fs::read_to_string(folder.join("implant.step")).unwrap();
    assert!(step.starts_with("ISO-10303-21;"));
    let zip = std::fs::read(folder.join("implant.3mf")).unwrap();
    assert_eq!(&zip[..2], b"PK");
    // A second build into another folder gives byte-identical files.
    let out2 = trussforge(&["build", spec.to_str().unwrap(), "--out", "again"], &dir);
    assert!(out2.status.success(), "{}", stderr(&out2));
    for f in [
        "implant.stl",
        "implant.3mf",
        "implant.beams.3mf",
        "implant.step",
    ] {
        assert!(
            std::fs::read(folder.join(f)).unwrap()
                == std::fs::read(dir.join("again").join(f)).unwrap(),
            "{f} differs"
        );
    }
    assert_eq!(
        report_without_timings(&folder.join("report.json"))["struts"],
        report_without_timings(&dir.join("again/report.json"))["struts"]
    );
    let mut a = report_without_timings(&folder.join("report.json"));
    let mut b = report_without_timings(&dir.join("again/report.json"));
    a.as_object_mut().unwrap().remove("spec");
    b.as_object_mut().unwrap().remove("spec");
    assert_eq!(a, b);
    // No staging folders are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("output"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn bad_specs_get_their_own_error_and_leave_nothing() {
    let dir = temp_dir("bad");
    let good = std::fs::read_to_string(fixture("specs/small_block.yaml")).unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown key",
            good.replace("cell_size: 2.5", "cell_size: 2.5\ncolour: red"),
            "unknown field `colour`",
        ),
        (
            "wrong type",
            good.replace("cell_size: 2.5", "cell_size: big"),
            "cell_size",
        ),
        (
            "missing field",
            good.replace("cell_size: 2.5\n", ""),
            "missing field `cell_size`",
        ),
        (
            "unknown unit",
            good.replace("length: mm", "length: inch"),
            "units.length = \"inch\" is not a known unit",
        ),
        (
            "negative size",
            good.replace("cell_size: 2.5", "cell_size: -2"),
            "cell_size = -2",
        ),
        (
            "empty box",
            good.replace("max: [6, 6, 7.5]", "max: [6, 0, 7.5]"),
            "domain.box.max[1] = 0",
        ),
        (
            "bad material",
            good.replace("poisson_ratio: 0.3", "poisson_ratio: 0.7"),
            "base_material.poisson_ratio = 0.7",
        ),
        (
            "design range",
            good.replace("relative_density: 0.1", "relative_density: 0.3"),
            "design.relative_density = 0.3 (in relative_density): a value in the design space \
             [0.002, 0.1]",
        ),
        (
            "name",
            good.replace("name: small-block", "name: ../evil"),
            "name = \"../evil\"",
        ),
        (
            "thin struts",
            good.replace("min_strut_diameter: 0.2", "min_strut_diameter: 0.5"),
            "use cell_size >= 4.1",
        ),
        (
            "small pores",
            good.replace("min_pore_size: 0.3", "min_pore_size: 2.0"),
            "min_pore_size 2 mm",
        ),
        // A metre-sized box of 2.5 mm cells: refused from the cell count before tiling (it
        // used to abort on a failed allocation after 44 s).
        (
            "huge box",
            good.replace("max: [6, 6, 7.5]", "max: [1000, 1000, 1000]"),
            "(estimated before tiling); the domain holds about 5.333e7 cells",
        ),
        (
            "long name",
            good.replace("name: small-block", &format!("name: {}", "x".repeat(5000))),
            "(5000 characters): at most 100 letters",
        ),
        (
            "endless box",
            good.replace("max: [6, 6, 7.5]", "max: [1e300, 1e300, 1e300]"),
            "more cells than can be counted",
        ),
    ];
    assert_bad_specs(&dir, &cases);
    // Errors name the line of the field.
    std::fs::write(
        dir.join("s.yaml"),
        good.replace("cell_size: 2.5", "cell_size: -2"),
    )
    .unwrap();
    let err = stderr(&trussforge(&["build", "s.yaml"], &dir));
    let line = good
        .lines()
        .position(|l| l.starts_with("cell_size"))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("line {line}")), "{err}");
}

#[test]
fn check_rejects_an_open_mesh() {
    let dir = temp_dir("check");
    // A tetrahedron with one face missing.
    let tri = |a: [f32; 3], b: [f32; 3], c: [f32; 3]| {
        format!(
            "facet normal 0 0 0\nouter loop\nvertex {} {} {}\nvertex {} {} {}\nvertex {} {} {}\nendloop\nendfacet\n",
            a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]
        )
    };
    let (p0, p1, p2, p3) = (
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
    );
    let stl = format!(
        "solid t\n{}{}{}endsolid t\n",
        tri(p0, p2, p1),
        tri(p0, p1, p3),
        tri(p1, p2, p3)
    );
    std::fs::write(dir.join("open.stl"), stl).unwrap();
    let out = trussforge(&["check", "open.stl"], &dir);
    // A bad mesh exits 1 (2 is bad usage or an unreadable file), with a readable summary.
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).to_lowercase().contains("open"),
        "{}",
        stderr(&out)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains("closed:") && text.contains("NO (3 open edges"),
        "{text}"
    );
    assert!(!text.contains("MeshReport {"), "{text}");
    let missing = trussforge(&["check", "missing.stl"], &dir);
    assert_eq!(missing.status.code(), Some(2));
    let usage = trussforge(&["check"], &dir);
    assert_eq!(usage.status.code(), Some(2));
    // A NaN vertex is named as such (not as the open edge it would make).
    let nan = format!(
        "solid t\n{}{}{}{}endsolid t\n",
        tri([f32::NAN, 0.0, 0.0], p2, p1),
        tri(p0, p1, p3),
        tri(p1, p2, p3),
        tri(p0, p3, p2)
    );
    std::fs::write(dir.join("nan.stl"), nan).unwrap();
    let out = trussforge(&["check", "nan.stl"], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("NaN") && !stderr(&out).contains("open"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn build_never_writes_over_what_it_does_not_own() {
    let dir = temp_dir("build-owns");
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    let spec = specs.join("small.yaml");
    std::fs::copy(fixture("specs/small_block.yaml"), &spec).unwrap();
    std::fs::create_dir_all(dir.join("mydocs")).unwrap();
    std::fs::write(dir.join("mydocs/keep.txt"), "keep").unwrap();
    std::fs::write(dir.join("precious.txt"), "precious").unwrap();
    let cases = [
        ("specs", "holds the spec file"),
        (".", "working directory"),
        ("mydocs", "not a previous trussforge output"),
        ("precious.txt", "is a file"),
    ];
    for (out, message) in cases {
        let o = trussforge(&["build", "specs/small.yaml", "--out", out], &dir);
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "--out {out}: {}", stderr(&o));
    }
    // Everything is where it was, and nothing was left behind.
    assert!(spec.is_file());
    assert_eq!(
        std::fs::read_to_string(dir.join("mydocs/keep.txt")).unwrap(),
        "keep"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("precious.txt")).unwrap(),
        "precious"
    );
    let hidden: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    // A new folder, then the same folder again (a previous output) are fine.
    for _ in 0..2 {
        let o = trussforge(&["build", "specs/small.yaml", "--out", "out/small"], &dir);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(dir.join("out/small/report.json").is_file());
    // An output that cannot be written is refused before any work (Linux: /proc takes no
    // new files), naming the place.
    if cfg!(target_os = "linux") {
        let o = trussforge(&["build", "specs/small.yaml", "--out", "/proc/out"], &dir);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("cannot be written there"),
            "{}",
            stderr(&o)
        );
    }
}

/// Issue 27: the size guard's beam-lattice remedy works as written. A limit that the mesh
/// files exceed is refused with advice naming `implant.beams.3mf` and the tools that read it;
/// the outputs it suggests then build the beam lattice alone, without meshing anything.
#[test]
fn regression_issue_27_the_beams_only_remedy_builds_without_a_mesh() {
    let dir = temp_dir("issue27-beams-only");
    let text = std::fs::read_to_string(fixture("specs/small_block.yaml")).unwrap();
    let outputs = "outputs: {stl: true, threemf: true, beam_lattice: true, step: true}";
    assert!(text.contains(outputs));
    let tight = text.replace(outputs, &outputs.replace('}', ", max_file_mb: 0.1}"));
    std::fs::write(dir.join("s.yaml"), &tight).unwrap();
    let refused = trussforge(&["build", "s.yaml"], &dir);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let err = stderr(&refused);
    for word in [
        "implant.stl would be about",
        "implant.beams.3mf",
        "Netfabb",
        "nTop",
    ] {
        assert!(err.contains(word), "{word}: {err}");
    }
    // The outputs the message suggests, with the same limit.
    let start = err.find("{stl: false").expect("the advice names outputs");
    let advised = &err[start..start + err[start..].find('}').unwrap() + 1];
    let beams_only = text.replace(
        outputs,
        &format!("outputs: {}", advised.replace('}', ", max_file_mb: 0.1}")),
    );
    std::fs::write(dir.join("s.yaml"), &beams_only).unwrap();
    let built = trussforge(&["build", "s.yaml"], &dir);
    assert!(built.status.success(), "{}", stderr(&built));
    let folder = dir.join("output/small-block");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["implant.beams.3mf", "plots", "report.json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    assert!(report["mesh"].is_null(), "{}", report["mesh"]);
    assert_eq!(report["timings_s"]["mesh"], 0.0);
    assert_eq!(report["timings_s"]["check"], 0.0);
    assert_eq!(report["files"][0]["name"], "implant.beams.3mf");
    // The bounding box is the struts' solid, inside the domain widened by a strut radius.
    let bbox = &report["bounding_box_mm"];
    for k in 0..3 {
        assert!(bbox[0][k].as_f64().unwrap() >= -0.5, "{bbox}");
    }
    assert!(bbox[1][2].as_f64().unwrap() <= 8.0, "{bbox}");
    check_written_files(&folder, &report);
}

/// The example spec's network (4,642 struts): which mesher `Auto` picks, and the explicit
/// mesh passes the full check. Prints timings (see the bench for figures).
#[test]
fn the_example_specs_network_meshes_explicitly_and_checks() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/ti-block.yaml");
    let spec = trussforge::spec::Spec::load(&path).unwrap();
    let (trussforge::spec::Fill::Uniform(design), trussforge::spec::CellSize::Fixed(h)) =
        (&spec.fill, spec.cell_size)
    else {
        panic!("ti-block is one design with a fixed cell size")
    };
    let cell = design
        .cell(trussforge::design_space::RangePolicy::Strict)
        .unwrap()
        .scaled(h);
    let n = trussforge::network::tile(&cell, &spec.domain, spec.origin)
        .unwrap()
        .network;
    let t = std::time::Instant::now();
    let (mesh, stats) = trussforge::mesh::mesh_network_with_stats(&n, &spec.mesh).unwrap();
    let mesh_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let report = trussforge::mesh::check(&mesh);
    let check_s = t.elapsed().as_secs_f64();
    eprintln!(
        "ti-block: {} struts, {:?} (fallback {:?}), {} triangles ({:.1}/strut), mesh {mesh_s:.3} s, \
         full check {check_s:.3} s",
        n.struts().len(),
        stats.method,
        stats.fallback.as_ref().map(|f| f.to_string()),
        mesh.triangles().len(),
        mesh.triangles().len() as f64 / n.struts().len() as f64
    );
    assert!(report.ok(), "{report:?}");
}
