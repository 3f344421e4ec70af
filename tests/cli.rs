//! Runs the `trussforge` binary as a user would, each test in its own temporary directory.

use crate::common::{
    fixture, shipped_models, stderr, stdout, temp_dir, trussforge, trussforge_with_env,
    trussforge_within,
};

#[test]
fn topologies_json_reports_the_count_and_why() {
    let dir = temp_dir("topologies");
    let out = trussforge(&["topologies", "--json"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["count"], 236);
    assert_eq!(v["multisets"], 560);
    assert_eq!(v["classes"].as_array().unwrap().len(), 236);
    assert!(v["justification"].as_str().unwrap().contains("262"));
}

#[test]
fn cell_writes_a_periodic_truss_file_that_reads_back() {
    let dir = temp_dir("cell");
    let design = fixture("design_example.yaml");
    let out = trussforge(
        &[
            "cell",
            design.to_str().unwrap(),
            "--out",
            "cell.json",
            "--json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rho = summary["relative_density_beam"].as_f64().unwrap();
    assert!((rho - 0.037).abs() < 1e-12);
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("cell.json")).unwrap()).unwrap();
    assert_eq!(
        file["struts"].as_array().unwrap().len(),
        summary["strut_count"].as_u64().unwrap() as usize
    );
    assert!(file["diameter"].as_f64().unwrap() > 0.0);
    // The written file is itself valid input.
    let again = trussforge(&["cell", "cell.json", "--json"], &dir);
    assert!(again.status.success(), "{}", stderr(&again));
    let summary2: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(summary2["strut_count"], summary["strut_count"]);
    assert!((summary2["relative_density_beam"].as_f64().unwrap() - rho).abs() < 1e-12);
}

#[test]
fn bad_designs_exit_non_zero_with_a_one_line_cause() {
    let dir = temp_dir("bad-design");
    let good = std::fs::read_to_string(fixture("design_example.yaml")).unwrap();
    let cases = [
        (
            "density",
            good.replace("relative_density: 0.037", "relative_density: 0.5"),
            "relative_density = 0.5",
        ),
        (
            "stretch",
            good.replace("U: [0.7, 1.3, 1.9]", "U: [0.7, 2.3, 1.9]"),
            "U[1] = 2.3",
        ),
        (
            "lattice",
            good.replace(
                "{lattice: 5, tessellation: 1}",
                "{lattice: 9, tessellation: 1}",
            ),
            "lattice = 9",
        ),
        (
            "tessellation",
            good.replace(
                "{lattice: 5, tessellation: 1}",
                "{lattice: 5, tessellation: 3}",
            ),
            "tessellation = 3",
        ),
        (
            "axis",
            good.replace("axis: [0.2, -0.5, 0.84]", "axis: [0, 0, 0]"),
            "R1.axis",
        ),
        (
            "unknown key",
            good.replace("relative_density", "density"),
            "density",
        ),
    ];
    for (name, text, expected) in cases {
        std::fs::write(dir.join("d.yaml"), text).unwrap();
        let out = trussforge(&["cell", "d.yaml", "--out", "never.json"], &dir);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{name}: {err}");
        assert!(
            !dir.join("never.json").exists(),
            "{name}: no output on error"
        );
    }
    // Out of range passes with the explicit opt-out, with a warning.
    std::fs::write(
        dir.join("d.yaml"),
        good.replace("U: [0.7, 1.3, 1.9]", "U: [0.7, 2.3, 1.9]"),
    )
    .unwrap();
    let out = trussforge(&["cell", "d.yaml", "--allow-out-of-range"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning"));
}

#[test]
fn stiffness_validates_targets() {
    let dir = temp_dir("stiffness");
    let bone = "0.268,0.087,0.152,-0.015,-0.011,-0.003,0.486,0.195,0.001,-0.066,0.023,0.677,0.01,0.044,0.011,0.175,-0.042,-0.005,0.198,0.001,0.112";
    let out = trussforge(&["stiffness", bone, "--json"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let eig: Vec<f64> = v["eigenvalues_gpa"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(eig.iter().all(|&e| e > 0.0));
    let cases = [
        ("0.2,0.1", "21 constants"),
        (
            &*bone.replacen("0.268", "nan", 1),
            "C11 is not a finite number",
        ),
        (&*bone.replacen("0.268", "-1.0", 1), "not positive definite"),
        (&*bone.replacen("0.087", "abc", 1), "not a number"),
    ];
    for (arg, expected) in cases {
        let out = trussforge(&["stiffness", arg], &dir);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(stderr(&out).contains(expected), "{arg}: {}", stderr(&out));
    }
    let six_by_six = "1 2 3 4 5 6\n2 1 0 0 0 0\n0 0 1 0 0 0\n0 0 0 1 0 0\n0 0 0 0 1 0\n0 0 0 0 0 1";
    std::fs::write(dir.join("c.txt"), six_by_six).unwrap();
    let out = trussforge(&["stiffness", "c.txt"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not symmetric"), "{}", stderr(&out));
    // The shipped target file (a comment line, one target per line): every target analysed.
    let targets = fixture("bone_targets.csv");
    let out = trussforge(&["stiffness", targets.to_str().unwrap(), "--json"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(4));
    // A bad row is named by its line.
    let text = std::fs::read_to_string(&targets).unwrap();
    std::fs::write(dir.join("t.csv"), text.replacen("0.306", "-3.0", 1)).unwrap();
    let out = trussforge(&["stiffness", "t.csv"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("(line 3)"), "{}", stderr(&out));
}

#[test]
fn homogenize_reports_the_same_stiffness_for_a_design_and_its_cell_file() {
    let dir = temp_dir("homogenize");
    let design = fixture("design_example.yaml");
    let a = trussforge(&["homogenize", design.to_str().unwrap(), "--json"], &dir);
    assert!(a.status.success(), "{}", stderr(&a));
    let a: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    for key in [
        "stiffness_voigt",
        "voigt21",
        "relative_density",
        "diameter",
        "youngs_modulus",
        "seconds",
    ] {
        assert!(a.get(key).is_some(), "missing {key}");
    }
    let out = trussforge(
        &["cell", design.to_str().unwrap(), "--out", "cell.json"],
        &dir,
    );
    assert!(out.status.success());
    let b = trussforge(&["homogenize", "cell.json", "--json"], &dir);
    assert!(b.status.success(), "{}", stderr(&b));
    let b: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    let (va, vb) = (
        a["voigt21"].as_array().unwrap(),
        b["voigt21"].as_array().unwrap(),
    );
    let scale = va[0].as_f64().unwrap().abs();
    for (x, y) in va.iter().zip(vb) {
        assert!((x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-9 * scale);
    }
    // Euler–Bernoulli beams are softer in bending-governed terms, never stiffer.
    let eb = trussforge(
        &[
            "homogenize",
            "cell.json",
            "--json",
            "--beam",
            "euler-bernoulli",
        ],
        &dir,
    );
    let eb: serde_json::Value = serde_json::from_slice(&eb.stdout).unwrap();
    assert!(eb["voigt21"][0].as_f64().unwrap() > 0.0);
    // Struts thicker than the cell is wide: not a truss, refused with the density it implies.
    let mut fat: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cell.json")).unwrap()).unwrap();
    fat["diameter"] = serde_json::json!(5.0);
    std::fs::write(dir.join("fat.json"), fat.to_string()).unwrap();
    let out = trussforge(&["homogenize", "fat.json"], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("relative density"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    // An implant spec is named as such, with what to run instead.
    let spec = fixture("specs/small_block.yaml");
    let out = trussforge(&["homogenize", spec.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is an implant spec"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn dataset_shards_merge_into_the_whole() {
    let dir = temp_dir("dataset");
    let whole = trussforge(
        &[
            "dataset",
            "--samples",
            "12",
            "--seed",
            "3",
            "--out",
            "whole.csv",
        ],
        &dir,
    );
    assert!(whole.status.success(), "{}", stderr(&whole));
    for k in 0..2 {
        let out = trussforge(
            &[
                "dataset",
                "--samples",
                "12",
                "--seed",
                "3",
                "--shard",
                &format!("{k}/2"),
                "--out",
                &format!("s{k}.csv"),
            ],
            &dir,
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let merged = trussforge(
        &[
            "dataset",
            "merge",
            "s1.csv",
            "s0.csv",
            "--out",
            "merged.csv",
        ],
        &dir,
    );
    assert!(merged.status.success(), "{}", stderr(&merged));
    assert_eq!(
        std::fs::read(dir.join("merged.csv")).unwrap(),
        std::fs::read(dir.join("whole.csv")).unwrap()
    );
    let missing = trussforge(&["dataset", "merge", "s0.csv", "--out", "bad.csv"], &dir);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("shard 1/2 is missing"),
        "{}",
        stderr(&missing)
    );
    let bad_shard = trussforge(
        &[
            "dataset",
            "--samples",
            "5",
            "--shard",
            "2/2",
            "--out",
            "x.csv",
        ],
        &dir,
    );
    assert_eq!(bad_shard.status.code(), Some(2));
    assert!(!dir.join("x.csv").exists());
}

#[test]
fn design_by_lookup_is_fe_verified_and_bad_targets_are_refused() {
    let dir = temp_dir("design");
    let out = trussforge(
        &[
            "dataset",
            "--samples",
            "80",
            "--seed",
            "4",
            "--out",
            "table.csv",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bone = "0.268,0.087,0.152,-0.015,-0.011,-0.003,0.486,0.195,0.001,-0.066,0.023,0.677,0.01,0.044,0.011,0.175,-0.042,-0.005,0.198,0.001,0.112";
    let out = trussforge(
        &[
            "design",
            "--models",
            &shipped_models(),
            "--target",
            bone,
            "--dataset",
            "table.csv",
            "--samples",
            "20",
            "--top",
            "3",
            "--json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cands = v["candidates"].as_array().unwrap();
    assert!(!cands.is_empty() && cands.len() <= 3);
    for c in cands {
        assert!(c["fe_nmse"].as_f64().unwrap().is_finite());
        assert!(c["fe_rel_frobenius"].as_f64().unwrap().is_finite());
        assert!(c["design"]["topology"].as_array().unwrap().len() == 3);
    }
    assert!((v["target_voigt"][0][0].as_f64().unwrap() - 0.268 / 114.0).abs() < 1e-12);
    let cases = [
        (bone.replacen("0.087", "0.087,0.1", 1), "21 constants"),
        (bone.replacen("0.268", "NaN", 1), "not a finite number"),
        (bone.replacen("0.268", "-0.5", 1), "not positive definite"),
    ];
    for (target, expected) in cases {
        let out = trussforge(
            &["design", "--target", &target, "--dataset", "table.csv"],
            &dir,
        );
        assert_eq!(out.status.code(), Some(2), "{target}");
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    }
    let asym = "1 0.5 0 0 0 0\n0 1 0 0 0 0\n0 0 1 0 0 0\n0 0 0 1 0 0\n0 0 0 0 1 0\n0 0 0 0 0 1";
    std::fs::write(dir.join("asym.txt"), asym).unwrap();
    let out = trussforge(
        &["design", "--target", "asym.txt", "--dataset", "table.csv"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not symmetric"), "{}", stderr(&out));
    // Far too stiff for a truss of ρ ≤ 0.1: a warning that says which way.
    let stiff = "100,40,40,0,0,0,100,40,0,0,0,100,0,0,0,30,0,0,30,0,30";
    let out = trussforge(
        &[
            "design",
            "--models",
            &shipped_models(),
            "--target",
            stiff,
            "--dataset",
            "table.csv",
            "--samples",
            "5",
            "--top",
            "1",
        ],
        &dir,
    );
    assert!(stderr(&out).contains("too stiff"), "{}", stderr(&out));
}

#[test]
fn design_by_the_shipped_networks_is_fe_verified() {
    let dir = temp_dir("design-network");
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let bone = "0.573,0.234,0.219,-0.006,-0.015,0.004,0.64,0.253,-0.005,-0.016,0.006,1.26,-0.017,0.023,-0.003,0.317,-0.017,-0.002,0.246,0.052,0.224";
    let out = trussforge(
        &[
            "design",
            "--target",
            bone,
            "--models",
            models.to_str().unwrap(),
            "--samples",
            "200",
            "--top",
            "3",
            "--json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cands = v["candidates"].as_array().unwrap();
    assert!(!cands.is_empty() && cands.len() <= 3);
    let mut last = 0.0;
    for c in cands {
        assert!(c["fe_nmse"].as_f64().unwrap().is_finite());
        let e = c["fe_rel_frobenius"].as_f64().unwrap();
        assert!(
            e.is_finite() && e >= last,
            "ranked by FE relative Frobenius error"
        );
        last = e;
        // The network's designs stay inside the design space.
        let rho = c["design"]["relative_density"].as_f64().unwrap();
        assert!((0.002..=0.1).contains(&rho));
    }
    let missing = trussforge(
        &["design", "--target", bone, "--models", "no-such-folder"],
        &dir,
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no-such-folder"),
        "{}",
        stderr(&missing)
    );
}

/// With manufacturing limits `design` returns printable designs only, each with the smallest
/// cell it prints at (within the allowed maximum), both error measures, and the equally
/// accurate ones (within 0.01) first by that cell; bad limits are refused naming the flag.
#[test]
fn design_with_manufacturing_limits_returns_printable_designs() {
    let dir = temp_dir("design-printable");
    let bone = "0.268,0.087,0.152,-0.015,-0.011,-0.003,0.486,0.195,0.001,-0.066,0.023,0.677,0.01,0.044,0.011,0.175,-0.042,-0.005,0.198,0.001,0.112";
    let models = shipped_models();
    let out = trussforge(
        &[
            "design",
            "--models",
            &models,
            "--target",
            bone,
            "--samples",
            "50",
            "--polish",
            "4",
            "--top",
            "4",
            "--min-strut-diameter",
            "0.25",
            "--min-pore-size",
            "0.4",
            "--max-cell-size",
            "6",
            "--json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cands = v["candidates"].as_array().unwrap();
    assert!(!cands.is_empty());
    let best = cands
        .iter()
        .map(|c| c["fe_rel_frobenius"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    let mut last_size = 0.0;
    let mut in_tie = true;
    for c in cands {
        let h = c["smallest_cell_size"].as_f64().unwrap();
        assert!(h > 0.0 && h <= 6.0, "smallest printable cell {h}");
        assert!(c["fe_nmse"].as_f64().unwrap().is_finite());
        let e = c["fe_rel_frobenius"].as_f64().unwrap();
        if in_tie && e <= best + 0.01 {
            assert!(h >= last_size, "equally accurate designs by cell size");
            last_size = h;
        } else {
            in_tie = false;
        }
    }
    for (flag, value) in [
        ("--min-strut-diameter", "-0.1"),
        ("--min-pore-size", "NaN"),
        ("--max-cell-size", "0"),
    ] {
        let out = trussforge(
            &["design", "--target", bone, flag, value, "--samples", "5"],
            &dir,
        );
        assert!(!out.status.success(), "{flag} {value} accepted");
        let err = stderr(&out);
        assert!(err.contains(flag) && err.contains("> 0"), "{err}");
    }
}

/// Target files: `#` comments and a first header row are skipped; a NaN or a typo in a later
/// row is an error naming that target (not a skipped row that renumbers the rest); a `--target`
/// file holding several rows says to use `--targets`.
#[test]
fn design_target_files_skip_comments_and_headers_only() {
    let dir = temp_dir("design-targets");
    let bone = std::fs::read_to_string(fixture("bone_targets.csv")).unwrap();
    let rows: Vec<&str> = bone.lines().filter(|l| !l.starts_with('#')).collect();
    let header = (1..=21)
        .map(|k| format!("C{k}"))
        .collect::<Vec<_>>()
        .join(",");
    let nan_row = format!("NaN,{}", rows[1].split_once(',').unwrap().1);
    std::fs::write(
        dir.join("t.csv"),
        format!("# comment\n{header}\n{}\n{nan_row}\n{}\n", rows[0], rows[2]),
    )
    .unwrap();
    let out = trussforge(&["design", "--targets", "t.csv", "--samples", "5"], &dir);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("target 2") && err.contains("NaN"), "{err}");
    let fixture_path = fixture("bone_targets.csv");
    let out = trussforge(
        &[
            "design",
            "--target",
            fixture_path.to_str().unwrap(),
            "--samples",
            "5",
        ],
        &dir,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("4 target rows"), "{}", stderr(&out));
    std::fs::write(dir.join("one.csv"), format!("# bone 1\n{}\n", rows[0])).unwrap();
    let out = trussforge(
        &[
            "design",
            "--models",
            &shipped_models(),
            "--target",
            "one.csv",
            "--samples",
            "20",
            "--top",
            "1",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn command_line_numbers_are_validated_like_the_spec() {
    let dir = temp_dir("cli-numbers");
    let target = fixture("bone_targets.csv");
    let target = target.to_str().unwrap();
    for (args, message) in [
        (
            vec!["design", "--samples", "0", "--target", target],
            "an integer >= 1",
        ),
        (
            vec!["design", "--temperature", "NaN", "--target", target],
            "a finite number >= 0",
        ),
        (
            vec!["design", "--temperature", "-1", "--target", target],
            "a finite number >= 0",
        ),
        (
            vec!["dataset", "--samples", "0", "--out", "x.csv"],
            "an integer >= 1",
        ),
    ] {
        let out = trussforge(&args, &dir);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    assert!(!dir.join("x.csv").exists());
}

/// The models folder: `--models` first, then `$TRUSSFORGE_MODELS`; a folder without models is
/// named in the error.
#[test]
fn the_models_folder_is_named_or_taken_from_the_environment() {
    let dir = temp_dir("models-folder");
    let target = "0.268,0.087,0.152,-0.015,-0.011,-0.003,0.486,0.195,0.001,-0.066,0.023,0.677,0.01,0.044,0.011,0.175,-0.042,-0.005,0.198,0.001,0.112";
    let missing = dir.join("no-models-here");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "design",
            "--target",
            target,
            "--samples",
            "8",
            "--polish",
            "0",
            "--top",
            "1",
        ];
        args.extend_from_slice(extra);
        trussforge_with_env(&args, &dir, &[("TRUSSFORGE_MODELS", &missing)])
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("no-models-here"), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    let models = shipped_models();
    let out = run(&["--models", &models]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Issue 23: a FIFO (here with no writer, so opening it for reading would block forever) as any
/// input file is refused at once with an error saying what it is; in a batch it is a failed
/// spec and the others are built.
#[cfg(unix)]
#[test]
fn regression_issue_23_fifo_inputs_are_refused_at_once() {
    let dir = temp_dir("fifo-inputs");
    let fifo = dir.join("input.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let f = fifo.to_str().unwrap();
    let limit = std::time::Duration::from_secs(60);
    let models = shipped_models();
    let commands: [Vec<&str>; 7] = [
        vec!["build", f],
        vec!["design", "--targets", f, "--models", &models],
        vec!["design", "--target", f, "--models", &models],
        vec!["homogenize", f],
        vec!["cell", f],
        vec!["stiffness", f],
        vec!["batch", f],
    ];
    for args in &commands {
        let out = trussforge_within(args, &dir, limit);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("FIFO") && err.contains("not a regular file"),
            "{args:?}: {err}"
        );
    }
    // A folder holding a good spec and a FIFO named *.yaml: the FIFO fails, the spec builds.
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::copy(fixture("specs/small_block.yaml"), specs.join("a.yaml")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(specs.join("b.yaml"))
        .status();
    assert!(made.unwrap().success());
    let out = trussforge_within(
        &["batch", "specs"],
        &dir,
        std::time::Duration::from_secs(300),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("output/batch-summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["built"], 1, "{summary}");
    assert_eq!(summary["failed"], 1, "{summary}");
    let failed = &summary["specs"][1];
    assert!(
        failed["error"].as_str().unwrap().contains("FIFO"),
        "{failed}"
    );
}
