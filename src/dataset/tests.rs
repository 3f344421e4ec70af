//! Dataset tests: determinism, shards that concatenate to the whole, merge checks, the CSV
//! schema, and that written stiffnesses are the homogenized ones.

use std::path::{Path, PathBuf};

use super::*;
use crate::design_space::{Material, RangePolicy};
use crate::fem::{FemOptions, Homogenizer};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tf-dataset-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(samples: u64, shard: Shard) -> DatasetConfig {
    DatasetConfig {
        samples,
        seed: 7,
        shard,
        fem: FemOptions::default(),
        material: Material::default(),
    }
}

fn body(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn shards_concatenate_to_the_whole_dataset() {
    let dir = temp("shards");
    let whole = dir.join("whole.csv");
    generate(&config(23, Shard::WHOLE), &whole, &|_| {}).unwrap();
    let shards: Vec<PathBuf> = (0..3)
        .map(|k| {
            let p = dir.join(format!("s{k}.csv"));
            generate(&config(23, Shard { index: k, count: 3 }), &p, &|_| {}).unwrap();
            p
        })
        .collect();
    let merged = dir.join("merged.csv");
    // Order of the arguments does not matter.
    let meta = merge(
        &[shards[2].clone(), shards[0].clone(), shards[1].clone()],
        &merged,
    )
    .unwrap();
    assert_eq!(body(&merged), body(&whole));
    assert_eq!(meta.written + meta.failed.len() as u64, 23);
    // The same seed gives byte-identical files.
    let again = dir.join("again.csv");
    generate(&config(23, Shard::WHOLE), &again, &|_| {}).unwrap();
    assert_eq!(body(&again), body(&whole));
    // A missing shard, a repeated shard and a truncated shard are refused.
    let err = merge(&shards[..2], &dir.join("x.csv"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("shard 2/3 is missing"), "{err}");
    let err = merge(
        &[shards[0].clone(), shards[0].clone(), shards[2].clone()],
        &dir.join("x.csv"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("given 2 times"), "{err}");
    let text = body(&shards[1]);
    let truncated: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(&shards[1], truncated).unwrap();
    let err = merge(&shards, &dir.join("x.csv")).unwrap_err().to_string();
    assert!(err.contains("truncated"), "{err}");
    assert!(
        !dir.join("x.csv").exists(),
        "no merged file after a failed merge"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shard_ranges_partition_the_rows() {
    for samples in [0u64, 1, 7, 100, 1_000_003] {
        for count in [1u64, 2, 3, 8, 13] {
            let mut next = 0;
            for index in 0..count {
                let r = Shard { index, count }.rows(samples);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, samples);
        }
    }
    assert!("3/2".parse::<Shard>().is_err());
    assert!("1/0".parse::<Shard>().is_err());
    assert!("a/b".parse::<Shard>().is_err());
    assert_eq!(
        "1/4".parse::<Shard>().unwrap(),
        Shard { index: 1, count: 4 }
    );
}

#[test]
fn rows_hold_the_homogenized_stiffness_and_read_back() {
    let dir = temp("rows");
    let path = dir.join("d.csv");
    generate(&config(6, Shard::WHOLE), &path, &|_| {}).unwrap();
    let text = body(&path);
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(head.len(), 19 + 21 + 9 + 21 + 1);
    assert_eq!(&head[..4], ["relative_density", "U1", "U2", "U3"]);
    assert_eq!(head[19], "C11");
    assert_eq!(head[39], "C66");
    let mut fem = Homogenizer::new(FemOptions::default());
    for line in lines {
        let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        let design = design_from_fields(&fields).unwrap();
        // The design read back is the sampled one (up to the axis-angle normal form).
        let row = fields[70] as u64;
        let sampled = sample_design(&mut row_rng(7, row));
        assert!((design.affine().unwrap() - sampled.affine().unwrap()).amax() < 1e-12);
        // Its C columns are the FE stiffness of the full design, homogenized directly.
        let direct = fem
            .homogenize(
                &sampled.cell(RangePolicy::Strict).unwrap(),
                &Material::default(),
            )
            .unwrap();
        let c = direct.stiffness.to_constants();
        for k in 0..21 {
            let tol = 1e-9 * c[0].abs().max(c[6].abs()).max(c[11].abs());
            assert!(
                (fields[19 + k] - c[k]).abs() <= tol,
                "row {row} C[{k}]: {} vs {}",
                fields[19 + k],
                c[k]
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sampled_rotations_are_uniform_enough() {
    // The mean of R over a uniform SO(3) sample is zero; each entry's standard error is
    // sqrt(1/3 / n).
    let n = 4000;
    let mut mean = nalgebra::Matrix3::<f64>::zeros();
    let mut rng = row_rng(3, 0);
    for _ in 0..n {
        mean += uniform_rotation(&mut rng).matrix("R").unwrap();
    }
    mean /= n as f64;
    let se = (1.0 / 3.0 / n as f64).sqrt();
    assert!(mean.amax() < 5.0 * se, "mean rotation {mean}");
}
