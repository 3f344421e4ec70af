//! `trussforge simulate`: output folders written by hand (a beam-lattice 3MF and a minimal
//! report), the JSON figures against closed forms, CalculiX on the written deck, and bad
//! input.

use std::path::Path;
use std::process::Command;

use nalgebra::Point3;
use trussforge::export::{ThreeMfContent, ThreeMfOptions, write_3mf};
use trussforge::network::{NodeId, Strut, StrutNetwork};

use crate::common::{stderr, stdout, temp_dir, trussforge};

const E_MPA: f64 = 114_000.0;

/// Writes `implant.beams.3mf` and a report with `domain` (JSON) into `dir`.
fn write_folder(dir: &Path, net: &StrutNetwork, domain: serde_json::Value) {
    std::fs::create_dir_all(dir).unwrap();
    let content = ThreeMfContent {
        mesh: None,
        lattice: Some(net),
    };
    write_3mf(dir.join("implant.beams.3mf"), &content, &ThreeMfOptions::default()).unwrap();
    let report = serde_json::json!({
        "youngs_modulus_gpa": 114.0,
        "poisson_ratio": 0.3,
        "domain": domain,
    });
    std::fs::write(dir.join("report.json"), report.to_string()).unwrap();
}

fn strut(a: usize, b: usize, ra: f64, rb: f64) -> Strut {
    Strut {
        a: NodeId::new(a),
        b: NodeId::new(b),
        radius_a: ra,
        radius_b: rb,
    }
}

fn single_strut(l: f64, r: f64) -> (StrutNetwork, serde_json::Value) {
    let net = StrutNetwork::try_new(
        vec![Point3::origin(), Point3::new(0.0, 0.0, l)],
        vec![strut(0, 1, r, r)],
    )
    .unwrap();
    let domain = serde_json::json!({"box": {"min": [-1.0, -1.0, 0.0], "max": [1.0, 1.0, l]}});
    (net, domain)
}

/// `n`³ simple cubic cells of edge `h`; vertical strut radius `r(z_a, z_b)` per end, cross
/// struts `r(z, z)`; with `bcc`, body diagonals too. A graded stub when `r` varies with z.
fn block(n: usize, h: f64, bcc: bool, r: impl Fn(f64) -> f64) -> (StrutNetwork, serde_json::Value) {
    let m = n + 1;
    let id = |i: usize, j: usize, k: usize| i + m * (j + m * k);
    let mut nodes: Vec<Point3<f64>> = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                nodes.push(Point3::new(i as f64 * h, j as f64 * h, k as f64 * h));
            }
        }
    }
    let mut struts = Vec::new();
    let z = |node: usize, nodes: &[Point3<f64>]| nodes[node].z;
    let mut add = |a: usize, b: usize, nodes: &[Point3<f64>]| {
        struts.push(strut(a, b, r(z(a, nodes)), r(z(b, nodes))));
    };
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                let here = id(i, j, k);
                if i + 1 < m {
                    add(here, id(i + 1, j, k), &nodes);
                }
                if j + 1 < m {
                    add(here, id(i, j + 1, k), &nodes);
                }
                if k + 1 < m {
                    add(here, id(i, j, k + 1), &nodes);
                }
            }
        }
    }
    if bcc {
        for k in 0..n {
            for j in 0..n {
                for i in 0..n {
                    let c = nodes.len();
                    let centre = Point3::new((i as f64 + 0.5) * h, (j as f64 + 0.5) * h, (k as f64 + 0.5) * h);
                    nodes.push(centre);
                    for (di, dj, dk) in [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0), (0, 0, 1), (1, 0, 1), (0, 1, 1), (1, 1, 1)] {
                        add(c, id(i + di, j + dj, k + dk), &nodes);
                    }
                }
            }
        }
    }
    let w = n as f64 * h;
    let domain = serde_json::json!({"box": {"min": [0.0, 0.0, 0.0], "max": [w, w, w]}});
    (StrutNetwork::try_new(nodes, struts).unwrap(), domain)
}

fn simulate_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["simulate", dir.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    let out = trussforge(&all, dir);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn single_strut_reaction_is_ea_epsilon() {
    let dir = temp_dir("sim-strut");
    let (l, r) = (8.0, 0.4);
    let (net, domain) = single_strut(l, r);
    write_folder(&dir, &net, domain);
    let v = simulate_json(&dir, &[]);
    let want = E_MPA * std::f64::consts::PI * r * r * 0.001;
    let got = v["reaction_force_n"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
    // scaled to 1000 N: the stress is F / A
    let v = simulate_json(&dir, &["--load-n", "1000"]);
    let sigma = v["stress"]["max_mpa"].as_f64().unwrap();
    let want = 1000.0 / (std::f64::consts::PI * r * r);
    assert!((sigma - want).abs() < 1e-9 * want, "{sigma} vs {want}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether CalculiX runs here; CI sets `TRUSSFORGE_REQUIRE_CCX_CHECKS=1`, so there a missing
/// `ccx` fails the test instead of skipping it.
fn ccx_available() -> bool {
    let ok = Command::new("ccx").arg("-v").output().is_ok();
    if !ok && std::env::var_os("TRUSSFORGE_REQUIRE_CCX_CHECKS").is_some() {
        panic!("ccx does not run, and TRUSSFORGE_REQUIRE_CCX_CHECKS is set");
    }
    if !ok {
        eprintln!("SKIPPED: CalculiX is not installed (apt-get install calculix-ccx)");
    }
    ok
}

/// Runs `ccx` on `dir/<job>.inp` and returns the total reaction force it prints (N).
fn ccx_total_force(dir: &Path, job: &str) -> [f64; 3] {
    let out = Command::new("ccx").arg("-i").arg(job).current_dir(dir).output().unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && !log.contains("*ERROR"), "ccx failed:\n{log}");
    let dat = std::fs::read_to_string(dir.join(format!("{job}.dat"))).unwrap();
    let block = dat.rsplit("total force").next().unwrap();
    let numbers: Vec<f64> = block
        .lines()
        .skip(1)
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    [numbers[0], numbers[1], numbers[2]]
}

/// trussforge's reaction and CalculiX's on the written deck, for one folder (axial along z).
fn against_ccx(dir: &Path) -> (f64, f64) {
    let deck = dir.join("model.inp");
    let v = simulate_json(dir, &["--inp", deck.to_str().unwrap()]);
    let ours = v["reaction_force_n"].as_f64().unwrap();
    let theirs = -ccx_total_force(dir, "model")[2];
    (ours, theirs)
}

/// CalculiX expands each B32R beam into C3D20R bricks whose circular section it
/// approximates by its 8 section nodes: measured, the axial stiffness of a single strut
/// comes out 1.8 % below `EA`, so the totals agree within 2.5 % here, not the 1 % that
/// two beam codes would reach (see the README).
#[test]
fn calculix_reads_the_deck_and_agrees_on_the_reaction() {
    if !ccx_available() {
        return;
    }
    let cases: Vec<(&str, (StrutNetwork, serde_json::Value), f64)> = vec![
        ("strut", single_strut(8.0, 0.4), 0.025),
        ("cubic", block(3, 2.0, false, |_| 0.15), 0.025),
        ("graded", block(3, 2.0, false, |z| 0.12 + 0.02 * z), 0.025),
    ];
    for (name, (net, domain), tol) in cases {
        let dir = temp_dir(&format!("sim-ccx-{name}"));
        write_folder(&dir, &net, domain);
        let (ours, theirs) = against_ccx(&dir);
        eprintln!("{name}: trussforge {ours:.6} N, CalculiX {theirs:.6} N, ratio {:.4}", theirs / ours);
        assert!((theirs - ours).abs() <= tol * ours, "{name}: {ours} vs {theirs}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn bad_folders_get_their_own_errors() {
    let dir = temp_dir("sim-bad");
    // no network
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = trussforge(&["simulate", empty.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("implant.beams.3mf is missing"), "{}", stderr(&out));
    // a cylinder has no end faces across its axis
    let cyl = dir.join("cyl");
    let (net, _) = single_strut(4.0, 0.2);
    write_folder(
        &cyl,
        &net,
        serde_json::json!({"cylinder": {"base": [0.0, 0.0, 0.0], "axis": [0.0, 0.0, 1.0], "radius": 1.0, "height": 4.0}}),
    );
    let out = trussforge(&["simulate", cyl.to_str().unwrap(), "--axis", "x"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no flat end faces along the load axis"), "{}", stderr(&out));
    // a floating piece
    let float = dir.join("float");
    let (base, domain) = block(2, 2.0, false, |_| 0.2);
    let mut nodes = base.nodes().to_vec();
    let mut struts = base.struts().to_vec();
    nodes.push(Point3::new(1.0, 1.0, 1.5));
    nodes.push(Point3::new(1.0, 1.0, 2.5));
    struts.push(strut(nodes.len() - 2, nodes.len() - 1, 0.2, 0.2));
    write_folder(&float, &StrutNetwork::try_new(nodes, struts).unwrap(), domain);
    let out = trussforge(&["simulate", float.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("a floating piece: 2 nodes"), "{}", stderr(&out));
    // a report from before the domain was recorded
    let old = dir.join("old");
    write_folder(&old, &net, serde_json::Value::Null);
    let out = trussforge(&["simulate", old.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("records no domain"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
