//! `trussforge batch` end to end: a folder of small specs, failures, resume, `--force`,
//! `--jobs`, shards and the summary file.

use std::path::{Path, PathBuf};

use crate::common::{fixture, stderr, stdout, temp_dir, trussforge};

/// Writes a fixture spec into `dir/file` under another `name:`, with `edit` applied.
fn write_spec(dir: &Path, file: &str, fixture_name: &str, name: &str, edit: &[(&str, &str)]) {
    let text = std::fs::read_to_string(fixture(&format!("specs/{fixture_name}.yaml"))).unwrap();
    let old = format!("name: {}", fixture_name.replace('_', "-"));
    assert!(text.contains(&old));
    let mut text = text.replace(&old, &format!("name: {name}"));
    for (from, to) in edit {
        assert!(text.contains(from), "{from} not in {fixture_name}");
        text = text.replace(from, to);
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

/// Two good specs and one whose struts are thinner than the printer allows (fails in `build`).
fn three_specs(dir: &Path) -> PathBuf {
    let specs = dir.join("specs");
    write_spec(&specs, "a.yaml", "small_block", "pa", &[]);
    write_spec(&specs, "b.yml", "small_cylinder", "pb", &[]);
    write_spec(
        &specs,
        "c.yaml",
        "small_block",
        "pc",
        &[("min_strut_diameter: 0.2", "min_strut_diameter: 5")],
    );
    specs
}

fn summary(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn statuses(s: &serde_json::Value) -> Vec<(String, String)> {
    s["specs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or("-").to_string(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn batch_continues_past_a_failure_resumes_rebuilds_changes_and_forces() {
    let dir = temp_dir("batch-resume");
    three_specs(&dir);
    let run = |extra: &[&str]| {
        let mut args = vec!["batch", "specs", "--out", "out"];
        args.extend_from_slice(extra);
        trussforge(&args, &dir)
    };

    // First run: two built, the broken one failed with its message, non-zero exit.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 of 3 specs failed"),
        "{}",
        stderr(&out)
    );
    let s = summary(&dir.join("out/batch-summary.json"));
    assert_eq!(
        statuses(&s),
        pairs(&[("pa", "built"), ("pb", "built"), ("pc", "failed")])
    );
    assert_eq!(
        (s["built"].as_u64(), s["failed"].as_u64()),
        (Some(2), Some(1))
    );
    let specs = s["specs"].as_array().unwrap();
    for e in &specs[..2] {
        assert!(e["error"].is_null());
        assert!(e["triangles"].as_u64().unwrap() > 100, "{e}");
        assert!(e["struts"].as_u64().unwrap() > 10, "{e}");
        assert!(e["seconds"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(specs[0]["path"], "specs/a.yaml");
    assert_eq!(specs[1]["path"], "specs/b.yml");
    let error = specs[2]["error"].as_str().unwrap();
    assert!(error.contains("min_strut_diameter 5 mm"), "{error}");
    assert!(specs[2]["triangles"].is_null());
    // The table names every spec and the failure.
    let table = stdout(&out);
    for needle in ["pa", "pb", "pc", "failed specs/c.yaml: strut diameter"] {
        assert!(table.contains(needle), "{needle} not in\n{table}");
    }
    assert!(table.contains("2 built, 0 skipped, 1 failed"), "{table}");
    for name in ["pa", "pb"] {
        assert!(dir.join("out").join(name).join("implant.stl").is_file());
    }
    assert!(
        !dir.join("out/pc").exists(),
        "a failed build leaves nothing"
    );
    let report_a = std::fs::read(dir.join("out/pa/report.json")).unwrap();
    let report_b = std::fs::read(dir.join("out/pb/report.json")).unwrap();

    // Second run: the finished two are skipped (their reports are untouched), the broken one
    // still fails.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let s = summary(&dir.join("out/batch-summary.json"));
    assert_eq!(
        statuses(&s),
        pairs(&[("pa", "skipped"), ("pb", "skipped"), ("pc", "failed")])
    );
    assert_eq!(
        s["specs"][0]["triangles"], specs[0]["triangles"],
        "skipped specs report their existing output"
    );
    assert_eq!(
        std::fs::read(dir.join("out/pa/report.json")).unwrap(),
        report_a
    );
    assert_eq!(
        std::fs::read(dir.join("out/pb/report.json")).unwrap(),
        report_b
    );

    // A changed spec is rebuilt, the others are not.
    write_spec(
        &dir.join("specs"),
        "a.yaml",
        "small_block",
        "pa",
        &[("relative_density: 0.1", "relative_density: 0.09")],
    );
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let s = summary(&dir.join("out/batch-summary.json"));
    assert_eq!(
        statuses(&s),
        pairs(&[("pa", "built"), ("pb", "skipped"), ("pc", "failed")])
    );
    assert_ne!(
        std::fs::read(dir.join("out/pa/report.json")).unwrap(),
        report_a
    );
    assert_eq!(
        std::fs::read(dir.join("out/pb/report.json")).unwrap(),
        report_b
    );

    // --force rebuilds everything.
    let out = run(&["--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let s = summary(&dir.join("out/batch-summary.json"));
    assert_eq!(
        statuses(&s),
        pairs(&[("pa", "built"), ("pb", "built"), ("pc", "failed")])
    );
    assert_eq!(s["force"], true);

    // Fixing the broken spec makes the batch succeed.
    write_spec(&dir.join("specs"), "c.yaml", "small_block", "pc", &[]);
    let out = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = summary(&dir.join("out/batch-summary.json"));
    assert_eq!(
        statuses(&s),
        pairs(&[("pa", "skipped"), ("pb", "skipped"), ("pc", "built")])
    );
    // No staging folders or temporary files are left in the output root.
    let mut left: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["batch-summary.json", "pa", "pb", "pc"]);
}

fn report_without_timings(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("timings_s");
    v
}

#[test]
fn two_jobs_give_the_same_files_as_one() {
    let dir = temp_dir("batch-jobs");
    let specs = dir.join("specs");
    write_spec(&specs, "a.yaml", "small_block", "ja", &[]);
    write_spec(&specs, "b.yaml", "small_cylinder", "jb", &[]);
    write_spec(
        &specs,
        "c.yaml",
        "small_cylinder",
        "jc",
        &[("angle_deg: 20", "angle_deg: 35")],
    );
    let one = trussforge(&["batch", "specs", "--out", "one"], &dir);
    assert!(one.status.success(), "{}", stderr(&one));
    let two = trussforge(&["batch", "specs", "--out", "two", "--jobs", "2"], &dir);
    assert!(two.status.success(), "{}", stderr(&two));
    let (s1, s2) = (
        summary(&dir.join("one/batch-summary.json")),
        summary(&dir.join("two/batch-summary.json")),
    );
    assert_eq!(
        statuses(&s1),
        statuses(&s2),
        "summary order does not depend on jobs"
    );
    assert_eq!(s2["jobs"], 2);
    for name in ["ja", "jb", "jc"] {
        let (a, b) = (dir.join("one").join(name), dir.join("two").join(name));
        for f in ["implant.stl", "implant.3mf"] {
            assert!(
                std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
                "{name}/{f} differs between --jobs 1 and --jobs 2"
            );
        }
        assert_eq!(
            report_without_timings(&a.join("report.json")),
            report_without_timings(&b.join("report.json")),
            "{name}/report.json"
        );
    }
}

#[test]
fn shards_split_the_list_and_write_their_own_summaries() {
    // Specs that fail to parse keep this fast: no build runs, but each is listed.
    let dir = temp_dir("batch-shards");
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    for i in 0..5 {
        std::fs::write(specs.join(format!("s{i}.yaml")), "name: [oops\n").unwrap();
    }
    let mut listed = Vec::new();
    for k in 0..2 {
        let shard = format!("{k}/2");
        let out = trussforge(&["batch", "specs", "--shard", &shard], &dir);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let s = summary(&dir.join(format!("output/batch-summary-{k}-of-2.json")));
        assert_eq!(s["total_specs"], 5);
        assert_eq!(s["shard"]["index"], k);
        for e in s["specs"].as_array().unwrap() {
            assert_eq!(e["status"], "failed");
            assert!(e["name"].is_null());
            let path = e["path"].as_str().unwrap().to_string();
            assert!(e["error"].as_str().unwrap().contains(&path), "{e}");
            listed.push(path);
        }
    }
    let all: Vec<String> = (0..5).map(|i| format!("specs/s{i}.yaml")).collect();
    assert_eq!(listed, all, "contiguous blocks, together exactly the list");
    assert!(!dir.join("output/batch-summary.json").exists());
}

#[test]
fn bad_inputs_are_refused_before_anything_is_built() {
    let dir = temp_dir("batch-refuse");
    let specs = dir.join("specs");
    write_spec(&specs, "first.yaml", "small_block", "same", &[]);
    write_spec(&specs, "second.yaml", "small_cylinder", "same", &[]);
    let out = trussforge(&["batch", "specs"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("specs/first.yaml") && err.contains("specs/second.yaml"),
        "{err}"
    );
    assert!(err.contains("\"same\""), "{err}");
    assert!(!dir.join("output").exists(), "nothing is built");

    let out = trussforge(&["batch", "specs/first.yaml", "missing"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("spec path missing does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("output").exists());

    let out = trussforge(&["batch", "specs", "--jobs", "0"], &dir);
    assert!(!out.status.success());
}
