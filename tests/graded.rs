//! `trussforge build` of graded specs (control points) end to end, and their bad-spec errors.

use crate::common::{
    assert_bad_specs, build_fixture, fixture, shipped_models, stderr, stdout, temp_dir, trussforge,
};

#[test]
fn graded_build_reproduces_each_point_and_is_deterministic() {
    let dir = temp_dir("graded-ok");
    let spec = fixture("specs/graded_block.yaml");
    let (folder, report) = build_fixture(
        &dir,
        "specs/graded_block.yaml",
        "graded-block",
        &[
            "implant.stl",
            "implant.3mf",
            "implant.beams.3mf",
            "implant.step",
            "report.json",
        ],
    );
    let points = report["graded"]["control_points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for p in points {
        let id = p["id"].as_str().unwrap();
        // The targets are the designs' own FE stiffness (to 5 digits): the design matches...
        assert!(
            p["design_vs_target"]["nmse"].as_f64().unwrap() < 1e-6,
            "{id}"
        );
        // ...and the graded cell at the point reproduces it up to the blend with its
        // neighbour one cell away.
        let graded = p["graded_vs_design"]["nmse"].as_f64().unwrap();
        assert!(graded < 0.05, "{id}: graded vs design NMSE {graded}");
        assert_eq!(p["components"].as_array().unwrap().len(), 21);
        assert!(p["pinned"].as_bool().unwrap());
    }
    // The tolerance bounds the graded cell's relative Frobenius error (0.1 in the fixture).
    let graded = points[0]["graded_vs_target"]["rel_frobenius"]
        .as_f64()
        .unwrap();
    assert_eq!(points[0]["within_tolerance"], graded <= 0.1);
    assert_eq!(points[0]["within_tolerance"], true, "bcc: {graded}");
    assert!(report["graded"]["segments"].as_array().unwrap().len() >= 3);
    assert!(report["mesh"]["check"]["closed"].as_bool().unwrap());
    // The uniform-only keys are absent.
    assert!(report.get("design").is_none() && report.get("tiling").is_none());

    let again = trussforge(&["build", spec.to_str().unwrap(), "--out", "again"], &dir);
    assert!(again.status.success(), "{}", stderr(&again));
    for f in [
        "implant.stl",
        "implant.3mf",
        "implant.beams.3mf",
        "implant.step",
    ] {
        assert!(
            std::fs::read(folder.join(f)).unwrap()
                == std::fs::read(dir.join("again").join(f)).unwrap(),
            "{f} differs between two builds"
        );
    }
}

#[test]
fn bad_graded_specs_get_their_own_error_and_leave_nothing() {
    let dir = temp_dir("graded-bad");
    let good = std::fs::read_to_string(fixture("specs/graded_block.yaml")).unwrap();
    let cubic = "stiffness: [2.28, 0, 0, 0, 0, 0, 2.28, 0, 0, 0, 0, 2.28, 0, 0, 0, 0.020634, 0, 0, 0.020634, 0, 0.020634]";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "outside the domain",
            good.replace("position: [7.5, 2.5, 2.5]", "position: [12, 2.5, 2.5]"),
            "control point \"cubic\" at (12.000, 2.500, 2.500) mm is outside the domain",
        ),
        (
            "duplicate ids",
            good.replace("id: cubic", "id: bcc"),
            "control point id \"bcc\" is used twice",
        ),
        (
            "not positive definite",
            good.replace(cubic, &cubic.replace("0.020634, 0, 0, 0.020634", "-0.5, 0, 0, 0.020634")),
            "not positive definite",
        ),
        (
            "not a number",
            good.replace(cubic, &cubic.replace("stiffness: [2.28", "stiffness: [.nan")),
            "not a finite number",
        ),
        (
            "wrong count",
            good.replace(cubic, "stiffness: [2.28, 0, 0]"),
            "needs 21 constants or a 6x6 matrix",
        ),
        (
            "not symmetric",
            good.replace("- [0.70009, 1.63982, 0.70009, 0, 0, 0]", "- [0.9, 1.63982, 0.70009, 0, 0, 0]"),
            "not symmetric",
        ),
        (
            "unreachable: too stiff",
            good.replace(cubic, &cubic.replace("2.28", "40")),
            "control point \"cubic\" is unreachable: target is too stiff",
        ),
        (
            "unreachable: too soft",
            good.replace("stiffness: [2.28, 0, 0, 0, 0, 0, 2.28, 0, 0, 0, 0, 2.28, 0, 0, 0, 0.020634, 0, 0, 0.020634, 0, 0.020634]",
                "stiffness: [1e-4, 0, 0, 0, 0, 0, 1e-4, 0, 0, 0, 0, 1e-4, 0, 0, 0, 1e-5, 0, 0, 1e-5, 0, 1e-5]"),
            "target is too soft",
        ),
        (
            "cell size larger than the point spacing",
            good.replace("position: [7.5, 2.5, 2.5]", "position: [4.5, 2.5, 2.5]"),
            "closer than one cell",
        ),
        (
            "cell size too small for the printer",
            good.replace("cell_size: 2.5", "cell_size: 1.0"),
            "at control point \"bcc\" is below manufacturing.min_strut_diameter",
        ),
        (
            "cell size word",
            good.replace("cell_size: 2.5", "cell_size: large"),
            "cell_size = \"large\": a length > 0 or auto",
        ),
        (
            "design and control points",
            good.replace("control_points:", "design: {topology: [{lattice: 0, tessellation: 1}, {lattice: 0, tessellation: 1}, {lattice: 0, tessellation: 1}], relative_density: 0.05, U: [1, 1, 1], R1: {axis: [0, 0, 1], angle_deg: 0}, V: [1, 1, 1], R2: {axis: [0, 0, 1], angle_deg: 0}}\ncontrol_points:"),
            "either design (one cell everywhere) or control_points",
        ),
        (
            "lookup without data",
            good.replace("grading:", "design_options: {method: lookup}\ngrading:"),
            "design_options.lookup_data",
        ),
        (
            "too many polished topologies",
            good.replace("grading:", "design_options: {polish: 5000}\ngrading:"),
            "design_options.polish = 5000: an integer in [0, 1024]",
        ),
        (
            "unknown design method",
            good.replace("grading:", "design_options: {method: oracle}\ngrading:"),
            "design_options.method = \"oracle\": network or lookup",
        ),
        (
            "a newline in an id",
            good.replace("id: cubic", "id: \"cu\\nbic\""),
            "without control characters",
        ),
        (
            "a zero tolerance",
            good.replace("grading: {", "grading: {tolerance: 0, "),
            "grading.tolerance = 0: a finite number > 0",
        ),
        (
            "no transition between cores",
            good.replace("grading: {", "grading: {transition_cells: 0, "),
            "grading.transition_cells = 0: an integer in [1, 10]",
        ),
        (
            "too many core cells",
            good.replace("grading: {", "grading: {core_cells: 11, "),
            "grading.core_cells = 11: an integer in [0, 10]",
        ),
        (
            "negative cell-size weight",
            good.replace("grading: {", "grading: {cell_size_weight: -1, "),
            "grading.cell_size_weight = -1: a finite number >= 0",
        ),
        (
            "unknown key in a control point",
            good.replace("    tolerance: 0.1 ", "    colour: red\n    tolerance: 0.1 "),
            "unknown field `colour`",
        ),
    ];
    assert_bad_specs(&dir, &cases);
    // Control-point errors name the line of the point.
    std::fs::write(dir.join("s.yaml"), good.replace("id: cubic", "id: bcc")).unwrap();
    let err = stderr(&trussforge(&["build", "s.yaml"], &dir));
    let line = good.lines().position(|l| l.contains("id: cubic")).unwrap() + 1;
    assert!(err.contains(&format!("line {line}")), "{err}");
}

#[test]
fn graded_build_designs_printable_cells_with_the_shipped_networks() {
    let dir = temp_dir("graded-network");
    let (_, report) = build_fixture(
        &dir,
        "specs/graded_network.yaml",
        "graded-network",
        &["implant.stl", "report.json"],
    );
    assert_eq!(report["cell_size_auto"], true);
    let h = report["cell_size_mm"].as_f64().unwrap();
    assert!(h > 0.0 && h <= 6.0 + 0.01, "cell size {h}");
    for p in report["graded"]["control_points"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        assert_eq!(p["pinned"], false);
        let candidates = p["candidates"].as_array().unwrap();
        assert!(!candidates.is_empty(), "{id}");
        let fe: Vec<f64> = candidates
            .iter()
            .map(|c| c["fe"]["rel_frobenius"].as_f64().unwrap())
            .collect();
        // Ranked by FE relative Frobenius error, except that candidates within 0.01 of the
        // best come first by the smallest cell they print at.
        let size = |c: &serde_json::Value| c["smallest_cell_size_mm"].as_f64().unwrap();
        let best = fe.iter().copied().fold(f64::INFINITY, f64::min);
        let tied = fe.iter().filter(|&&e| e <= best + 0.01).count();
        assert!(
            fe[..tied].iter().all(|&e| e <= best + 0.01)
                && candidates[..tied]
                    .windows(2)
                    .all(|w| size(&w[0]) <= size(&w[1])),
            "{id}: equally accurate candidates first, by cell size"
        );
        assert!(
            fe[tied..].windows(2).all(|w| w[0] <= w[1]),
            "{id}: the others ranked by FE relative Frobenius error"
        );
        // The reported design error is the FE error of the chosen, FE-verified candidate.
        let chosen = p["chosen"].as_u64().unwrap() as usize;
        let design = p["design_vs_target"]["rel_frobenius"].as_f64().unwrap();
        assert!(
            (design - fe[chosen]).abs() <= 1e-9 * fe[chosen].max(1.0),
            "{id}"
        );
        assert_eq!(p["design"], candidates[chosen]["design"]);
        // Printable at the chosen cell size.
        assert!(
            p["strut_diameter_mm"].as_f64().unwrap() >= 0.25 - 1e-9,
            "{id}"
        );
        if let Some(pore) = p["smallest_pore_mm"].as_f64() {
            assert!(pore >= 0.4 - 1e-9, "{id}: pore {pore}");
        }
    }
    let min_d = report["strut_diameter_mm"][0].as_f64().unwrap();
    assert!(min_d >= 0.25 - 1e-9, "thinnest strut {min_d}");
}

#[test]
fn a_point_that_misses_its_tolerance_is_corrected_in_a_closed_loop_and_warned_about() {
    let dir = temp_dir("graded-loop");
    // Two targets made by printable designs, far enough apart for cores; designs unrefined,
    // and an out-of-reach tolerance at the first point: the loop refines it, regrades, and
    // still warns.
    let spec = "name: graded-loop
units: {length: mm, stiffness: GPa}
domain:
  box: {min: [0, 0, 0], max: [24, 10, 10]}
cell_size: auto
manufacturing: {min_strut_diameter: 0.25, min_pore_size: 0.4}
control_points:
  - id: first
    position: [5, 5, 5]
    stiffness: [0.7345, 0.2621, 0.443, 0.0, 0.0, 0.0, 0.7345, 0.443, 0.0, 0.0, 0.0, 1.3648, 0.0, 0.0, 0.0, 0.4474, 0.0, 0.0, 0.4474, 0.0, 0.2659]
    tolerance: 0.0000001
  - id: second
    position: [19, 5, 5]
    stiffness: [0.7412, 0.2256, 0.4875, -0.0, 0.1072, -0.0, 0.7109, 0.4903, 0.0, 0.038, 0.0, 1.841, 0.0, 0.0505, 0.0, 0.4954, -0.0, 0.0381, 0.4926, -0.0, 0.2298]
design_options: {models: MODELS, samples: 200, top: 2, refine: false, seed: 3}
grading: {neighbours: 2, samples_per_segment: 0, max_corrections: 1, tolerance: 1}
mesh: {resolution: 1.0}
outputs: {stl: true, threemf: false, beam_lattice: false, step: false}
"
    .replace("MODELS", &shipped_models());
    let path = dir.join("loop.yaml");
    std::fs::write(&path, spec).unwrap();
    let out = trussforge(&["build", path.to_str().unwrap()], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("exceeds its tolerance"), "{text}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("output/graded-loop/report.json")).unwrap())
            .unwrap();
    let g = &report["graded"];
    assert_eq!(
        g["correction_rounds"], 1,
        "bounded by grading.max_corrections"
    );
    let first = &g["control_points"][0];
    assert_eq!(first["within_tolerance"], false);
    assert_eq!(first["corrections"], 1, "{first}");
    // The corrected design is more accurate than the chosen (unrefined) candidate, and what is
    // built at the point (its core, in the window of the written network) is that design.
    let chosen = first["chosen"].as_u64().unwrap() as usize;
    let before = first["candidates"][chosen]["fe"]["rel_frobenius"]
        .as_f64()
        .unwrap();
    let after = first["design_vs_target"]["rel_frobenius"].as_f64().unwrap();
    assert!(after < before - 1e-4, "{before} -> {after}");
    assert!(first["core"]["half_cells"].as_u64().is_some(), "{first}");
    // The window of the written network where it homogenizes, else the cut-out core cell (a
    // one-cell core's 1 × 1 × 1 window can be a mechanism on its own).
    let built = first["window"]["vs_target"]["rel_frobenius"]
        .as_f64()
        .or_else(|| first["graded_vs_target"]["rel_frobenius"].as_f64())
        .unwrap();
    assert!((built - after).abs() < 1e-6, "{built} vs {after}");
    // The other point held the spec-level tolerance and was left alone.
    assert_eq!(g["control_points"][1]["tolerance"], 1.0);
    assert_eq!(g["control_points"][1]["corrections"], 0);
    // --strict: the same build fails (exit 3) after writing its output.
    let out = trussforge(&["build", path.to_str().unwrap(), "--strict"], &dir);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("miss their tolerance: first"),
        "{}",
        stderr(&out)
    );
    assert!(dir.join("output/graded-loop/report.json").is_file());
}

#[test]
fn control_points_closer_than_a_fixed_cell_are_refused_before_any_design() {
    let dir = temp_dir("graded-close");
    let good = std::fs::read_to_string(fixture("specs/graded_network.yaml")).unwrap();
    let head = &good[..good.find("control_points:").unwrap()];
    let tail = &good[good.find("design_options:").unwrap()..];
    let stiffness = "[0.268, 0.087, 0.152, -0.015, -0.011, -0.003, 0.486, 0.195, 0.001, -0.066, \
                     0.023, 0.677, 0.01, 0.044, 0.011, 0.175, -0.042, -0.005, 0.198, 0.001, 0.112]";
    let mut points = String::from("control_points:\n");
    for k in 0..500 {
        let (x, y) = (1.0 + (k % 20) as f64, 1.0 + (k / 20) as f64 * 0.4);
        points.push_str(&format!(
            "  - id: p{k}\n    position: [{x}, {y:.1}, 6]\n    stiffness: {stiffness}\n"
        ));
    }
    // An empty models folder: had the build reached the inverse design, it would fail
    // loading the networks instead.
    std::fs::create_dir_all(dir.join("nomodels")).unwrap();
    let text = format!("{head}{points}{tail}")
        .replace("cell_size: auto", "cell_size: 2.5")
        .replace("models: ../../models", "models: nomodels");
    std::fs::write(dir.join("s.yaml"), text).unwrap();
    let out = trussforge(&["build", "s.yaml"], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("closer than one cell"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.join("output").exists() || std::fs::read_dir(dir.join("output")).unwrap().count() == 0
    );
}

/// Issue 23: 500 control points 2 mm apart with `cell_size: auto` and struts of at least 2 mm
/// cannot all get their cells (no design of the space prints at a cell under 2.43 mm with such
/// struts): refused before any inverse design, naming the spacing needed.
#[test]
fn regression_issue_23_crowded_points_are_refused_before_design() {
    let dir = temp_dir("crowded-points");
    let mut text = String::from(
        "name: crowded\nunits: {length: mm, stiffness: GPa}\n\
         base_material: {name: Ti-6Al-4V, youngs_modulus: 114, poisson_ratio: 0.3}\n\
         domain:\n  box: {min: [0, 0, 0], max: [20, 20, 10]}\ncell_size: auto\n\
         manufacturing: {min_strut_diameter: 2, min_pore_size: 0.3}\n\
         design_options: {method: network, samples: 1000, top: 5, refine: true, seed: 1}\n\
         control_points:\n",
    );
    let cubic = "[2.28, 0, 0, 0, 0, 0, 2.28, 0, 0, 0, 0, 2.28, 0, 0, 0, 0.020634, 0, 0, 0.020634, 0, 0.020634]";
    for n in 0..500 {
        let (i, j, k) = (n % 10, (n / 10) % 10, n / 100);
        text.push_str(&format!(
            "  - {{id: p{n}, position: [{}, {}, {}], stiffness: {cubic}}}\n",
            1 + 2 * i,
            1 + 2 * j,
            1 + 2 * k
        ));
    }
    text.push_str("outputs: {stl: true, threemf: false, beam_lattice: false, step: false}\n");
    std::fs::write(dir.join("crowded.yaml"), text).unwrap();
    let models = shipped_models();
    let start = std::time::Instant::now();
    let out = crate::common::trussforge_with_env(
        &["build", "crowded.yaml"],
        &dir,
        &[("TRUSSFORGE_MODELS", std::path::Path::new(&models))],
    );
    eprintln!(
        "500-point spec refused in {:.3} s",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    for part in [
        "control points \"p0\" and \"p1\" are 2.000 mm apart",
        "move them at least 2.427 mm apart",
        "min_strut_diameter 2 mm",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    assert!(
        !dir.join("output").exists() || std::fs::read_dir(dir.join("output")).unwrap().count() == 0
    );
}

#[test]
fn a_design_whose_transition_folds_is_weighed_by_its_built_error_and_chosen_again() {
    let dir = temp_dir("folding-transition");
    let spec = fixture("specs/folding_transition.yaml");
    let out = trussforge(&["build", spec.to_str().unwrap()], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    // The fold was seen (the first choice lost p1's core) and said.
    let err = stderr(&out);
    assert!(
        err.contains("p1\": the transition from its design folded the scaffold and cost its core"),
        "{err}"
    );
    // The regrade was better, so it is what was built (no "first choice is kept" note).
    assert!(!err.contains("the first choice is kept"), "{err}");
    let folder = dir.join("output").join("folding-transition");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    for p in report["graded"]["control_points"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        // What is built is FE-homogenized (the window of the written network, else the cut-out
        // cell) and holds the point's tolerance, against the target itself.
        let built = p["window"]["vs_target"]["rel_frobenius"]
            .as_f64()
            .or(p["graded_vs_target"]["rel_frobenius"].as_f64())
            .unwrap();
        assert!(built <= 0.1, "{id}: built error {built}");
        assert_eq!(p["within_tolerance"], true, "{id}");
        // The design built is the chosen candidate's, refined or not.
        let chosen = p["chosen"].as_u64().unwrap() as usize;
        assert!(chosen < p["candidates"].as_array().unwrap().len(), "{id}");
    }
    // p1 no longer has its most accurate candidate, the one that folded.
    let p1 = &report["graded"]["control_points"][1];
    let fe = |k: usize| p1["candidates"][k]["fe"]["rel_frobenius"].as_f64().unwrap();
    let chosen = p1["chosen"].as_u64().unwrap() as usize;
    assert!(fe(chosen) > fe(0), "p1 kept the folding design");
}
