//! CPU (Flex) and WGPU give the same predictions and proposals for the same weights and seed
//! (built and run only with `--features wgpu`; `scripts/gpu-check` runs them on Mesa's
//! software Vulkan device, lavapipe).
//!
//! Tolerances (both backends compute in f32):
//! - F's stiffness: `|C_gpu − C_cpu| ≤ 1e-6 + 1e-4·|C_cpu|` per constant (constants are
//!   ~1e-4..8e-2, normalized by E).
//! - G's proposals: the same topology for every sample; ρ, U, V within `1e-5 + 1e-4·|x|`;
//!   rotation matrices within 1e-4 per entry.

use std::path::Path;

use nalgebra::Matrix3;
use rand::SeedableRng;

use super::{DeviceChoice, LearnError, Models};
use crate::design_space::Design;

const C_ABS: f64 = 1e-6;
const C_REL: f64 = 1e-4;
const X_ABS: f64 = 1e-5;
const X_REL: f64 = 1e-4;
const R_ABS: f64 = 1e-4;

fn shipped(device: DeviceChoice) -> Models {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    Models::load(&dir, device).unwrap_or_else(|e| panic!("loading on {device:?}: {e}"))
}

fn designs(n: u64, seed: u64) -> Vec<Design> {
    (0..n)
        .map(|row| crate::dataset::sample_design(&mut crate::dataset::row_rng(seed, row)))
        .collect()
}

/// The four bone targets of `fixtures/bone_targets.csv` (normalized by E = 114 GPa) and
/// F's stiffness of sampled designs: realistic targets across the design space.
fn targets(cpu: &Models) -> Vec<[f64; 21]> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bone_targets.csv"),
    )
    .unwrap();
    let mut out: Vec<[f64; 21]> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.trim().parse().unwrap()).collect();
            std::array::from_fn(|k| v[k] / 114.0)
        })
        .collect();
    assert_eq!(out.len(), 4);
    out.extend(cpu.predict(&designs(60, 31)).unwrap());
    out
}

fn close(a: f64, b: f64, abs: f64, rel: f64) -> bool {
    (a - b).abs() <= abs + rel * a.abs()
}

fn rotation(d: &Design) -> [Matrix3<f64>; 2] {
    [d.r1.matrix("R1").unwrap(), d.r2.matrix("R2").unwrap()]
}

#[test]
fn wgpu_predictions_match_cpu() {
    let (cpu, gpu) = (shipped(DeviceChoice::Cpu), shipped(DeviceChoice::Wgpu));
    let d = designs(512, 3);
    let (a, b) = (cpu.predict(&d).unwrap(), gpu.predict(&d).unwrap());
    let mut worst = 0.0f64;
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        for k in 0..21 {
            worst = worst.max((a[k] - b[k]).abs() / (C_ABS + C_REL * a[k].abs()));
            assert!(
                close(a[k], b[k], C_ABS, C_REL),
                "design {i}, C[{k}]: cpu {} vs wgpu {}",
                a[k],
                b[k]
            );
        }
    }
    eprintln!("predict: 512 designs, worst deviation {worst:.3} of the tolerance");
}

#[test]
fn wgpu_proposals_match_cpu() {
    let (cpu, gpu) = (shipped(DeviceChoice::Cpu), shipped(DeviceChoice::Wgpu));
    let t = targets(&cpu);
    // Gumbel sampling at τ = 1 (8 draws each) and the most likely topology (τ = 0).
    for (samples, temperature) in [(8, 1.0), (1, 0.0)] {
        let a = cpu.propose(&t, samples, temperature, 42).unwrap();
        let b = gpu.propose(&t, samples, temperature, 42).unwrap();
        let (mut worst_x, mut worst_r) = (0.0f64, 0.0f64);
        for (i, (a, b)) in a.iter().flatten().zip(b.iter().flatten()).enumerate() {
            assert_eq!(a.topology, b.topology, "proposal {i}: topology differs");
            let xa = [
                a.relative_density,
                a.u[0],
                a.u[1],
                a.u[2],
                a.v[0],
                a.v[1],
                a.v[2],
            ];
            let xb = [
                b.relative_density,
                b.u[0],
                b.u[1],
                b.u[2],
                b.v[0],
                b.v[1],
                b.v[2],
            ];
            for k in 0..7 {
                worst_x = worst_x.max((xa[k] - xb[k]).abs() / (X_ABS + X_REL * xa[k].abs()));
                assert!(
                    close(xa[k], xb[k], X_ABS, X_REL),
                    "proposal {i}, parameter {k}: cpu {} vs wgpu {}",
                    xa[k],
                    xb[k]
                );
            }
            for (ra, rb) in rotation(a).iter().zip(&rotation(b)) {
                let dev = (ra - rb).amax();
                worst_r = worst_r.max(dev / R_ABS);
                assert!(dev <= R_ABS, "proposal {i}: rotations differ by {dev}");
            }
        }
        eprintln!(
            "propose: {} targets x {samples} at τ = {temperature}, worst deviation {worst_x:.3} \
             (ρ, U, V) and {worst_r:.3} (rotations) of the tolerance",
            t.len()
        );
    }
}

#[test]
fn wgpu_runs_the_seeded_proposals_reproducibly() {
    let gpu = shipped(DeviceChoice::Wgpu);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let t: Vec<[f64; 21]> = (0..3)
        .map(|_| std::array::from_fn(|_| rand::Rng::random_range(&mut rng, 0.0..0.01)))
        .collect();
    let a = gpu.propose(&t, 4, 0.7, 11).unwrap();
    let b = gpu.propose(&t, 4, 0.7, 11).unwrap();
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        assert_eq!(x.topology, y.topology);
    }
    let err: LearnError = gpu.propose(&[[f64::NAN; 21]], 1, 1.0, 0).unwrap_err();
    assert!(matches!(err, LearnError::BadTarget { index: 0 }), "{err}");
}

/// Polishing through F (autodiff on the chosen device) follows the same path on both
/// backends: after 50 Adam steps from the same starts, U and V agree within 2e-4, ρ within
/// 2e-5 + 2e-4·ρ, rotations within 1e-3 per entry — looser than a single pass because 50 steps
/// accumulate f32 rounding (measured on lavapipe: 1e-5) — and the surrogate NMSEs within 0.1 %
/// (measured 5e-5).
#[test]
fn wgpu_polish_matches_cpu() {
    use crate::mechanics::{Stiffness, nmse};
    let (cpu, gpu) = (shipped(DeviceChoice::Cpu), shipped(DeviceChoice::Wgpu));
    let t = targets(&cpu);
    let starts: Vec<Design> = cpu
        .propose(&t[..8], 1, 0.0, 3)
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    let options = super::PolishOptions {
        steps: 50,
        ..Default::default()
    };
    let a = cpu.polish_each(&t[..8], &starts, &options).unwrap();
    let b = gpu.polish_each(&t[..8], &starts, &options).unwrap();
    let (pa, pb) = (cpu.predict(&a).unwrap(), cpu.predict(&b).unwrap());
    let (mut worst_x, mut worst_nmse) = (0.0f64, 0.0f64);
    for i in 0..a.len() {
        for k in 0..3 {
            worst_x = worst_x
                .max((a[i].u[k] - b[i].u[k]).abs())
                .max((a[i].v[k] - b[i].v[k]).abs());
        }
        assert_eq!(a[i].topology, b[i].topology);
        assert!(close(
            a[i].relative_density,
            b[i].relative_density,
            2e-5,
            2e-4
        ));
        for k in 0..3 {
            assert!(close(a[i].u[k], b[i].u[k], 2e-4, 0.0), "U {i}");
            assert!(close(a[i].v[k], b[i].v[k], 2e-4, 0.0), "V {i}");
        }
        for (ra, rb) in rotation(&a[i]).iter().zip(&rotation(&b[i])) {
            assert!((ra - rb).amax() <= 1e-3, "design {i}: rotations differ");
        }
        let goal = Stiffness::voigt_from_constants(&t[i]);
        let ea = nmse(&goal, &Stiffness::voigt_from_constants(&pa[i]));
        let eb = nmse(&goal, &Stiffness::voigt_from_constants(&pb[i]));
        worst_nmse = worst_nmse.max((ea - eb).abs() / ea.max(1e-12));
        assert!(
            close(ea, eb, 1e-9, 1e-3),
            "design {i}: NMSE cpu {ea} vs wgpu {eb}"
        );
    }
    eprintln!(
        "polish: {} designs x 50 steps, largest |ΔU|, |ΔV| {worst_x:.1e}, largest relative \
         NMSE difference {worst_nmse:.1e}",
        a.len()
    );
}
