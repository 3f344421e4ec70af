//! Inverse-design tests: the lookup baseline finds a tabulated design, FE verification reports
//! what `fem` computes for the returned design, refinement recovers a perturbed design, and
//! unreachable targets are recognized.

use super::*;
use crate::dataset::{row_rng, sample_design};
use crate::design_space::{Material, RangePolicy};
use crate::fem::{FemOptions, homogenize};

/// FE stiffness of a design (default material and options).
fn fe(design: &Design) -> Stiffness {
    homogenize(
        &design.cell(RangePolicy::Strict).unwrap(),
        &Material::default(),
        &FemOptions::default(),
    )
    .unwrap()
    .stiffness
}

fn table(rows: u64) -> (LookupTable, Vec<Design>, Vec<[f64; 21]>) {
    let mut designs = Vec::new();
    let mut stiffness = Vec::new();
    let mut fem = Homogenizer::new(FemOptions::default());
    for row in 0..rows {
        let d = sample_design(&mut row_rng(11, row));
        let c = fem
            .homogenize(&d.cell(RangePolicy::Strict).unwrap(), &Material::default())
            .unwrap();
        designs.push(d);
        stiffness.push(c.stiffness.to_constants());
    }
    (
        LookupTable::new(designs.clone(), stiffness.clone()).unwrap(),
        designs,
        stiffness,
    )
}

#[test]
fn lookup_finds_a_tabulated_design_and_fe_confirms_it() {
    let (table, designs, stiffness) = table(60);
    let k = 17;
    let target = Stiffness::try_from_values(&stiffness[k]).unwrap();
    let nearest = table.nearest(&stiffness[k], 1);
    assert_eq!(nearest[0].0, designs[k]);
    let options = DesignOptions {
        samples: 20,
        top: 3,
        ..DesignOptions::default()
    };
    let candidates = design_for_target(&target, &Material::default(), &table, &options).unwrap();
    assert!(candidates.len() <= 3 && !candidates.is_empty());
    let best = &candidates[0];
    assert!(best.fe.rel_frobenius < 1e-9, "{}", best.fe.rel_frobenius);
    assert!(best.fe.nmse < 1e-12, "{}", best.fe.nmse);
    // The reported FE stiffness is what `homogenize` gives for the returned design.
    let direct = fe(&best.design);
    for i in 0..6 {
        for j in 0..6 {
            assert!((best.fe_stiffness_voigt[i][j] - direct.voigt()[(i, j)]).abs() < 1e-12);
        }
    }
    // Ranked by FE relative Frobenius error, with distinct topologies.
    for w in candidates.windows(2) {
        assert!(w[0].fe.rel_frobenius <= w[1].fe.rel_frobenius);
        assert_ne!(
            *unit_graph(&w[0].design.topology),
            *unit_graph(&w[1].design.topology)
        );
    }
}

#[test]
fn refinement_recovers_a_perturbed_design() {
    let original = sample_design(&mut row_rng(5, 3));
    let material = Material::default();
    let target = fe(&original);
    let mut start = original.clone();
    start.relative_density = (start.relative_density * 1.3).min(0.1);
    start.u[0] = (start.u[0] * 0.85).clamp(0.5, 2.0);
    let mut fem = Homogenizer::new(FemOptions::default());
    let (before, _) = fe_errors(&start, &target, &material, &mut fem).unwrap();
    let refined = refine(&start, &target, &material, &mut fem, 400);
    let (after, _) = fe_errors(&refined, &target, &material, &mut fem).unwrap();
    // Least squares converges to the generating design's stiffness, not just closer.
    assert!(
        before.rel_frobenius > 0.05 && after.rel_frobenius < 1e-4,
        "relative Frobenius {} -> {}",
        before.rel_frobenius,
        after.rel_frobenius
    );
    refined.validate(RangePolicy::Strict).unwrap();
}

#[test]
fn unreachable_targets_are_named() {
    let iso = |e: f64| {
        let (l, m) = (e * 0.3 / (1.3 * 0.4), e / 2.6);
        let mut v = crate::mechanics::Voigt::zeros();
        for i in 0..3 {
            for j in 0..3 {
                v[(i, j)] = l + if i == j { 2.0 * m } else { 0.0 };
            }
            v[(i + 3, i + 3)] = m;
        }
        Stiffness::try_from_voigt(v).unwrap()
    };
    assert_eq!(reach(&iso(0.5)), Reach::TooStiff);
    assert_eq!(reach(&iso(1e-6)), Reach::TooSoft);
    assert_eq!(reach(&iso(0.01)), Reach::Reachable);
    assert!(
        reach_message(&iso(0.5), 114.0)
            .unwrap()
            .contains("too stiff")
    );
    assert!(
        reach_message(&iso(1e-6), 114.0)
            .unwrap()
            .contains("too soft")
    );
    assert!(reach_message(&iso(0.01), 114.0).is_none());
}

/// The shipped networks on held-out FE rows (designs of a seed the training set never used),
/// without refinement: the best candidate's FE relative Frobenius error stays small (median of
/// 6 below 0.15), the reported FE stiffness is what `homogenize` gives for the returned
/// design, and polishing through F does not make the best candidate worse than G's own
/// proposals.
#[test]
fn shipped_networks_match_held_out_targets() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let material = Material::default();
    let options = DesignOptions {
        samples: 200,
        top: 3,
        ..DesignOptions::default()
    };
    let load = || crate::learn::Models::load(&dir, crate::learn::DeviceChoice::Cpu).unwrap();
    let polished = NetworkProposer::new(load()).unwrap();
    let unpolished = NetworkProposer::new(load())
        .unwrap()
        .with_polish(0, Default::default());
    let mut best = Vec::new();
    let mut best_unpolished = Vec::new();
    for row in 0..6 {
        let design = sample_design(&mut row_rng(9_001, row));
        let target = fe(&design);
        let found = design_for_target(&target, &material, &polished, &options).unwrap();
        let top = &found[0];
        let again = fe(&top.design);
        for i in 0..6 {
            for j in 0..6 {
                let (a, b) = (top.fe_stiffness_voigt[i][j], again.voigt()[(i, j)]);
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs().max(1e-6),
                    "C{i}{j}: {a} vs {b}"
                );
            }
        }
        best.push(top.fe.rel_frobenius);
        let plain = design_for_target(&target, &material, &unpolished, &options).unwrap();
        best_unpolished.push(plain[0].fe.rel_frobenius);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        0.5 * (v[2] + v[3])
    };
    let (m, m0) = (median(&mut best), median(&mut best_unpolished));
    println!("median best FE relative Frobenius error {m} (unpolished {m0})");
    assert!(m < 0.15, "median best FE relative Frobenius error {m}");
    assert!(m <= m0, "polished median {m} vs unpolished {m0}");
}

/// Targets made by seeded random printable designs (every third orthotropic, with exact zero
/// couplings) have an exact answer in the design space: `design --refine` with the shipped
/// models and default options must find it for some (relative Frobenius error of the whole
/// tensor at round-off) and come close for all, among printable designs only.
#[test]
fn refinement_recovers_printable_designs() {
    use crate::manufacturing::PrintableWithin;
    let limits = crate::manufacturing::Manufacturing {
        min_strut_diameter: 0.25,
        min_pore_size: 0.4,
    };
    let printable = PrintableWithin {
        largest: 6.0,
        limits: &limits,
        widest: f64::INFINITY,
    };
    let designs = crate::dataset::sample_accepted_designs(7, 6, 3, &|d| {
        printable.smallest_cell_size(d).is_some()
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let models = crate::learn::Models::load(&dir, crate::learn::DeviceChoice::Cpu).unwrap();
    let proposer = NetworkProposer::new(models).unwrap();
    assert!(
        proposer.has_shapes(),
        "the shipped models include the shape table"
    );
    let material = Material::default();
    let mut errors = Vec::new();
    for (k, design) in designs.iter().enumerate() {
        let target = fe(design);
        let options = DesignOptions {
            refine: true,
            seed: k as u64,
            ..DesignOptions::default()
        };
        let found =
            design_for_target_printable(&target, &material, &proposer, &options, &printable)
                .unwrap();
        for c in &found {
            assert!(printable.smallest_cell_size(&c.design).is_some());
        }
        // The reported error is the returned design's.
        let again = relative_frobenius_of(&target, &fe(&found[0].design));
        assert!((again - found[0].fe.rel_frobenius).abs() < 1e-9);
        errors.push(found[0].fe.rel_frobenius);
    }
    println!("recovery errors {errors:?}");
    // Measured on these six with the shipped settings: one recovered to round-off (4e-7), one
    // within 1 % (0.0096), the others within 0.07 (`bench recovery` on 200: median 0, 74 %
    // within 1 %, 93 % within 5 %).
    let exact = errors.iter().filter(|&&e| e <= 1e-5).count();
    let within = errors.iter().filter(|&&e| e <= 0.01).count();
    assert!(
        exact >= 1 && within >= 2,
        "recovered exactly: {exact}, within 1 %: {within} of 6 ({errors:?})"
    );
    assert!(errors.iter().all(|&e| e < 0.1), "{errors:?}");
}

fn relative_frobenius_of(target: &Stiffness, c: &Stiffness) -> f64 {
    crate::mechanics::relative_frobenius(target.voigt(), c.voigt())
}

/// The shape table finds a design from its stiffness turned by any rotation and scaled (the
/// invariants are rotation invariant and scale-free), round-trips through its file, and refuses
/// a file whose header claims more rows than it holds before allocating them.
#[test]
fn shape_table_finds_rotated_and_scaled_stiffness_and_reads_back() {
    let (_, designs, stiffness) = table(40);
    let stiffness: Vec<Stiffness> = stiffness
        .iter()
        .map(|c| Stiffness::try_from_values(c).unwrap())
        .collect();
    let shapes = ShapeTable::new(designs.clone(), &stiffness);
    let r = crate::mechanics::rotation_from_axis_angle_deg([0.3, -1.0, 0.4], 73.0)
        .unwrap()
        .into_inner();
    for k in [3, 17, 29] {
        let target = stiffness[k].rotated(&r).scaled(1.7);
        let near = shapes.nearest(target.voigt(), 3, 1);
        assert_eq!(
            unit_graph(&near[0].0.topology),
            unit_graph(&designs[k].topology)
        );
        assert!(near[0].1 < 1e-5, "distance {}", near[0].1);
        // The density is scaled towards the target's norm (linear estimate, clamped).
        let expected = (designs[k].relative_density * 1.7).clamp(0.002, 0.1);
        assert!((near[0].0.relative_density - expected).abs() < 1e-4 * expected);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SHAPE_TABLE);
    shapes.write(&path).unwrap();
    let back = ShapeTable::read(&path).unwrap();
    assert_eq!(back.len(), shapes.len());
    let near = back.nearest(stiffness[5].voigt(), 1, 1);
    assert_eq!(near[0].0.topology, designs[5].topology);
    assert!((near[0].0.u[1] - designs[5].u[1]).abs() < 1e-6);
    // A header claiming 4 billion rows in a short file is refused with both numbers.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8..16].copy_from_slice(&4_000_000_000u64.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let error = ShapeTable::read(&path).unwrap_err();
    let InverseError::ShapeTable { problem, .. } = &error else {
        panic!("not a shape table error: {error}");
    };
    let message = problem.to_string();
    assert!(message.contains("4000000000 rows"), "{message}");
    std::fs::write(&path, b"not a table").unwrap();
    assert!(ShapeTable::read(&path).is_err());
}

/// Candidates within `equal_accuracy` of the best come first by the smallest cell they print
/// at; the rest follow by error.
#[test]
fn equally_accurate_candidates_rank_by_cell_size() {
    let design = sample_design(&mut row_rng(3, 1));
    let candidate = |error: f64, size: f64| Candidate {
        design: design.clone(),
        surrogate: None,
        fe: ErrorMetrics {
            nmse: error,
            rel_frobenius: error,
        },
        fe_unrefined: ErrorMetrics {
            nmse: error,
            rel_frobenius: error,
        },
        fe_stiffness_voigt: [[0.0; 6]; 6],
        smallest_cell_size: Some(size),
        refined: false,
    };
    let mut list = vec![
        candidate(0.30, 1.0),
        candidate(0.050, 5.0),
        candidate(0.055, 2.0),
        candidate(0.058, 3.0),
        candidate(0.070, 1.5),
    ];
    rank(&mut list, 0.01);
    let order: Vec<(f64, f64)> = list
        .iter()
        .map(|c| (c.fe.rel_frobenius, c.smallest_cell_size.unwrap()))
        .collect();
    assert_eq!(
        order,
        vec![
            (0.055, 2.0),
            (0.058, 3.0),
            (0.050, 5.0),
            (0.070, 1.5),
            (0.30, 1.0)
        ]
    );
}

/// The lookup table reads datasets through the one dataset reader: two homogenized rows make a
/// table whose nearest row to the first row's stiffness is that row; a malformed line is named
/// with its file and line, a file without rows says so.
#[test]
fn the_lookup_table_reads_datasets_through_the_one_reader() {
    let dir = std::env::temp_dir().join(format!("tf-lookup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let material = Material::default();
    let mut fem = crate::fem::Homogenizer::new(FemOptions::default());
    let rows: Vec<String> = (0..2)
        .map(|k| {
            let design = sample_design(&mut row_rng(11, k));
            crate::dataset::homogenize_row(k, design, &material, &mut fem)
                .unwrap()
                .to_line()
        })
        .collect();
    let header = crate::dataset::header();
    let good = dir.join("good.csv");
    std::fs::write(&good, format!("{header}\n{}\n{}\n", rows[0], rows[1])).unwrap();
    let table = LookupTable::from_csv(&good).unwrap();
    assert_eq!(table.len(), 2);
    let (designs, stiffness) = lookup::read_dataset(&good).unwrap();
    let nearest = table.nearest(&stiffness[0], 1);
    assert_eq!(nearest[0].0, designs[0]);

    let bad = dir.join("bad.csv");
    let broken = rows[1].replacen(',', ",x", 1);
    std::fs::write(&bad, format!("{header}\n{}\n{broken}\n", rows[0])).unwrap();
    let e = LookupTable::from_csv(&bad)
        .err()
        .expect("a malformed line is an error");
    let text = crate::error_text::one_line(&e);
    assert!(
        text.contains("bad.csv:3") && text.contains("not a number"),
        "{text}"
    );

    let empty = dir.join("empty.csv");
    std::fs::write(&empty, format!("{header}\n")).unwrap();
    let e = LookupTable::from_csv(&empty)
        .err()
        .expect("no rows is an error");
    assert!(e.to_string().contains("empty.csv"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
