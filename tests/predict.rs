//! `trussforge predict forward|inverse`: the networks alone on a dataset CSV.

use crate::common::{shipped_models, stderr, temp_dir, trussforge};

/// The `C11`…`C66` constants of every row of a dataset CSV, read independently of the engine.
fn csv_constants(path: &std::path::Path) -> Vec<[f64; 21]> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut names = Vec::new();
    for i in 1..=6 {
        for j in i..=6 {
            names.push(format!("C{i}{j}"));
        }
    }
    let cols: Vec<usize> = names
        .iter()
        .map(|n| header.iter().position(|h| h == n).unwrap())
        .collect();
    lines
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            std::array::from_fn(|k| f[cols[k]])
        })
        .collect()
}

fn r_squared(pred: &[[f64; 21]], truth: &[[f64; 21]], k: usize) -> f64 {
    let n = truth.len() as f64;
    let mean = truth.iter().map(|t| t[k]).sum::<f64>() / n;
    let tot: f64 = truth.iter().map(|t| (t[k] - mean).powi(2)).sum();
    let res: f64 = pred
        .iter()
        .zip(truth)
        .map(|(p, t)| (p[k] - t[k]).powi(2))
        .sum();
    1.0 - res / tot
}

fn voigt21(v: &serde_json::Value) -> [f64; 21] {
    let a = v.as_array().expect("21 numbers");
    assert_eq!(a.len(), 21);
    std::array::from_fn(|k| a[k].as_f64().unwrap())
}

fn make_dataset(dir: &std::path::Path, rows: &str) {
    let out = trussforge(
        &[
            "dataset",
            "--samples",
            rows,
            "--seed",
            "424242",
            "--out",
            "d.csv",
        ],
        dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn predict_forward_reports_r2_that_the_rows_reproduce() {
    let dir = temp_dir("predict-forward");
    make_dataset(&dir, "60");
    let models = shipped_models();
    let out = trussforge(
        &[
            "predict", "forward", "--data", "d.csv", "--models", &models, "--json", "--plot",
            "f.png",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let truth = csv_constants(&dir.join("d.csv"));
    let rows = v["predictions"].as_array().unwrap();
    assert_eq!(rows.len(), truth.len());
    assert_eq!(v["rows"], 60);
    let pred: Vec<[f64; 21]> = rows.iter().map(|r| voigt21(&r["voigt21"])).collect();
    for (k, name) in ["C11", "C14", "C33", "C56", "C66"]
        .iter()
        .zip([0, 3, 11, 19, 20])
        .map(|(n, k)| (k, n))
    {
        let reported = v["r2"][name].as_f64().unwrap();
        let ours = r_squared(&pred, &truth, k);
        assert!(
            (reported - ours).abs() < 1e-9,
            "{name}: {reported} vs {ours}"
        );
        // The shipped F is a good surrogate: far above chance on every constant shown.
        assert!(ours > 0.8, "{name}: R² {ours}");
    }
    let png = std::fs::read(dir.join("f.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn predict_inverse_gives_the_fe_stiffness_of_each_proposal() {
    let dir = temp_dir("predict-inverse");
    make_dataset(&dir, "12");
    let models = shipped_models();
    let out = trussforge(
        &[
            "predict", "inverse", "--data", "d.csv", "--rows", "5", "--models", &models, "--json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let truth = csv_constants(&dir.join("d.csv"));
    let rows = v["predictions"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "--rows 5 reads the first five rows");
    for (i, r) in rows.iter().enumerate() {
        // Homogenize G's design independently and compare.
        std::fs::write(dir.join("g.json"), r["design"].to_string()).unwrap();
        let h = trussforge(&["homogenize", "g.json", "--json"], &dir);
        assert!(h.status.success(), "{}", stderr(&h));
        let h: serde_json::Value = serde_json::from_slice(&h.stdout).unwrap();
        let (fe, hom) = (voigt21(&r["fe_voigt21"]), voigt21(&h["voigt21"]));
        for k in 0..21 {
            assert!(
                (fe[k] - hom[k]).abs() <= 1e-9 * hom[0].abs(),
                "row {i} C[{k}]"
            );
        }
        // The whole-tensor error against the CSV's own constants (weights of the 4th-order
        // tensor norm: 1, 2 or 4 per Voigt entry, twice off the diagonal).
        let t = truth[i];
        let (mut num, mut den, mut k) = (0.0, 0.0, 0);
        for a in 0..6 {
            for b in a..6 {
                let m = if a < 3 { 1.0 } else { 2.0 } * if b < 3 { 1.0 } else { 2.0 };
                let w = m * if a == b { 1.0 } else { 2.0 };
                num += w * (fe[k] - t[k]).powi(2);
                den += w * t[k].powi(2);
                k += 1;
            }
        }
        let rel = r["relative_error"].as_f64().unwrap();
        assert!((rel - (num / den).sqrt()).abs() < 1e-9, "row {i}: {rel}");
    }
    assert_eq!(v["fe_failures"], 0);
}

#[test]
fn predict_refuses_unusable_data_naming_what_is_wrong() {
    let dir = temp_dir("predict-bad");
    make_dataset(&dir, "3");
    let text = std::fs::read_to_string(dir.join("d.csv")).unwrap();
    let models = shipped_models();
    let run = |args: &[&str]| {
        let mut all = vec!["predict", "forward", "--models", &models];
        all.extend_from_slice(args);
        trussforge(&all, &dir)
    };
    // A missing column is named.
    std::fs::write(dir.join("no_c11.csv"), text.replacen("C11", "X11", 1)).unwrap();
    let out = run(&["--data", "no_c11.csv"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("\"C11\""), "{}", stderr(&out));
    // A malformed number names the file and line.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen(',', ",abc,", 1);
    std::fs::write(dir.join("bad.csv"), lines.join("\n")).unwrap();
    let out = run(&["--data", "bad.csv"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("bad.csv:3"), "{}", stderr(&out));
    // Only a header: no rows to judge.
    std::fs::write(dir.join("empty.csv"), text.lines().next().unwrap()).unwrap();
    let out = run(&["--data", "empty.csv"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no rows"), "{}", stderr(&out));
    // Zero rows requested.
    let out = run(&["--data", "d.csv", "--rows", "0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(">= 1"), "{}", stderr(&out));
}
