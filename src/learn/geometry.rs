//! The stretched-geometry input of F2: the strut-length-weighted fourth moment of the strut
//! directions of the `V·R_I·U·X` cell.
//!
//! F2 maps the rotated stiffness of the `U·X` cell and `V` to Ĉ of the stretched cell. How a
//! stretch changes a lattice's stiffness is not determined by that stiffness alone: it depends
//! on where the struts point. For a cell of struts of one cross-section, the stretching (Voigt)
//! bound is `C_aff / E = ρ · Σ_s L_s a(n_s) a(n_s)ᵀ / Σ_s L_s`, with `a(n) = (n₁², n₂², n₃², n₂n₃,
//! n₁n₃, n₁n₂)` the Voigt form of `n⊗n` (engineering shear, Voigt order 11, 22, 33, 23, 13, 12)
//! and `L_s`, `n_s` the length and direction of strut `s` after the affine map `A = V·R_I·U`.
//! [`stretched_moment`] is the ρ-free factor `Σ L a aᵀ / Σ L` (dimensionless, entries in
//! `[-1/4, 1]`, trace of the normal block 1): it carries the stretched directions exactly.
//!
//! The moment is computed from the seven elementary lattices' periodic struts, one set per
//! (lattice, tessellation) choice present in the topology histogram (bin
//! `2·lattice + tessellation − 1`; a choice taken twice is there once, as in the union): a 2x
//! tessellation is the same lattice at half the size, so per unit volume it holds 4× the strut
//! length in the same directions. Different choices add; struts two of them share (a 1x and a
//! 2x simple cubic share the 1x edges) are counted by each, where the exact union merges them,
//! which changes only the weights of the shared directions — an input feature, not a stiffness
//! the engine reports.

use std::sync::OnceLock;

use burn::tensor::{Tensor, TensorData};
use nalgebra::{Matrix3, Vector3};

use crate::design_space::{LATTICE_COUNT, LatticeChoice, Topology, unit_graph};
use crate::mechanics::stretching_bound;

use super::rotation::{VoigtOps, upper21};

/// Width of the geometry input: the 21 upper-triangle entries of the moment.
pub const GEOMETRY_FEATURES: usize = 21;

/// Histogram bins: (lattice, tessellation) choices.
const BINS: usize = 2 * LATTICE_COUNT;

/// The periodic strut vectors (cell edges, unit cube before the affine map) of each elementary
/// lattice at 1x tessellation, from the exact unit graph of that lattice alone.
fn lattice_struts() -> &'static [Vec<Vector3<f64>>; LATTICE_COUNT] {
    static STRUTS: OnceLock<[Vec<Vector3<f64>>; LATTICE_COUNT]> = OnceLock::new();
    STRUTS.get_or_init(|| {
        std::array::from_fn(|lattice| {
            let choice = LatticeChoice {
                lattice: lattice as u8,
                tessellation: 1,
            };
            let graph = unit_graph(&Topology::try_new(&[choice; 3]).expect("valid choice"));
            let nodes = graph.nodes();
            graph
                .struts()
                .iter()
                .map(|&(a, b, n)| {
                    let p = Vector3::from(nodes[a as usize]);
                    let q = Vector3::from(nodes[b as usize]);
                    q + Vector3::new(n[0] as f64, n[1] as f64, n[2] as f64) - p
                })
                .collect()
        })
    })
}

/// Length weight of histogram bin `bin` per strut of its lattice at 1x (1 for 1x, 4 for 2x).
fn bin_weight(bin: usize) -> f64 {
    if bin.is_multiple_of(2) { 1.0 } else { 4.0 }
}

/// The 14-bin topology histogram of three (lattice, tessellation) choices, as
/// [`super::forward::topology_histogram`] pools the one-hot layout: bin
/// `2·lattice + tessellation − 1` counts the slots holding that choice.
///
/// # Panics
/// If a lattice index is ≥ 7 or a tessellation is not 1 or 2.
pub fn histogram(topology: &[u8; 6]) -> [f64; BINS] {
    let mut h = [0.0; BINS];
    for s in 0..3 {
        let (lattice, tessellation) = (topology[s] as usize, topology[3 + s] as usize);
        assert!(lattice < LATTICE_COUNT && matches!(tessellation, 1 | 2));
        h[2 * lattice + tessellation - 1] += 1.0;
    }
    h
}

/// The stretched moment `Σ L a aᵀ / Σ L` (21 upper-triangle constants) of the struts of the
/// histogram's choices (each present choice once) mapped by `a` (`V·R_I·U`, cell edges).
///
/// # Panics
/// If the histogram is empty or `a` maps a strut to zero length.
pub fn stretched_moment(histogram: &[f64; BINS], a: &Matrix3<f64>) -> [f64; GEOMETRY_FEATURES] {
    let struts = lattice_struts();
    let mut weighted = Vec::new();
    for (bin, &count) in histogram.iter().enumerate() {
        if count > 0.0 {
            let w = count.min(1.0) * bin_weight(bin);
            weighted.extend(struts[bin / 2].iter().map(|x| (w, a * x)));
        }
    }
    let total: f64 = weighted.iter().map(|(w, y)| w * y.norm()).sum();
    assert!(total > 0.0, "no strut length to weigh the moment by");
    let m = stretching_bound(weighted, total);
    upper21().map(|(i, j)| m[(i, j)])
}

/// The strut constants of [`stretched_moment_tensor`]: the 1x strut vectors of all lattices
/// `[N, 3]` and the bin → strut weights `[14, N]`, as `f32`.
fn strut_constants() -> &'static (Vec<f32>, Vec<f32>, usize) {
    static CONSTANTS: OnceLock<(Vec<f32>, Vec<f32>, usize)> = OnceLock::new();
    CONSTANTS.get_or_init(|| {
        let struts = lattice_struts();
        let n: usize = struts.iter().map(Vec::len).sum();
        let mut vectors = Vec::with_capacity(3 * n);
        let mut weights = vec![0f32; BINS * n];
        let mut k = 0;
        for (lattice, list) in struts.iter().enumerate() {
            for x in list {
                vectors.extend(x.iter().map(|&c| c as f32));
                for t in 0..2 {
                    let bin = 2 * lattice + t;
                    weights[bin * n + k] = bin_weight(bin) as f32;
                }
                k += 1;
            }
        }
        (vectors, weights, n)
    })
}

/// [`stretched_moment`] in tensor ops, differentiable in the histogram and in `A` (so G2
/// learns through it).
///
/// # Shapes
/// `histogram: [batch, 14]`, `a: [batch, 3, 3]` → `[batch, 21]`
pub fn stretched_moment_tensor(ops: &VoigtOps, histogram: Tensor<2>, a: Tensor<3>) -> Tensor<2> {
    let device = histogram.device();
    let [b, _] = histogram.dims();
    let (vectors, weights, n) = strut_constants();
    let n = *n;
    let x = Tensor::<2>::from_data(TensorData::new(vectors.clone(), [n, 3]), &device);
    let bins = Tensor::<2>::from_data(TensorData::new(weights.clone(), [BINS, n]), &device);

    let w = histogram.clamp_max(1.0).matmul(bins).reshape([b, n, 1]);
    // y_s = A x_s for every strut: [b, n, 3].
    let y = x
        .unsqueeze::<3>()
        .expand([b, n, 3])
        .matmul(a.swap_dims(1, 2));
    let c = |k: usize| y.clone().narrow(2, k, 1);
    let (y1, y2, y3) = (c(0), c(1), c(2));
    let outer = Tensor::cat(
        vec![
            y1.clone() * y1.clone(),
            y2.clone() * y2.clone(),
            y3.clone() * y3.clone(),
            y2.clone() * y3.clone(),
            y1.clone() * y3,
            y1 * y2,
        ],
        2,
    );
    let l2 = (y.clone() * y).sum_dim(2);
    let l = l2.clone().sqrt();
    // L a aᵀ = (y yᵀ in Voigt) / L³, weighted by the bin weights.
    let scaled = outer.clone() * (w.clone() / (l2 * l.clone()));
    let moment = scaled.swap_dims(1, 2).matmul(outer);
    let total = (w * l).sum_dim(1);
    ops.to_constants(moment / total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design_space::{AxisAngle, Design, RangePolicy};
    use crate::learn::DeviceChoice;
    use crate::learn::data::DesignFeatures;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_design(rng: &mut ChaCha8Rng, choices: [LatticeChoice; 3]) -> Design {
        let r1 = AxisAngle {
            axis: [
                rng.random_range(-1.0..1.0),
                rng.random_range(-1.0..1.0),
                rng.random_range(0.1..1.0),
            ],
            angle_deg: rng.random_range(0.0..180.0),
        };
        Design {
            topology: Topology::try_new(&choices).unwrap(),
            relative_density: 0.05,
            u: std::array::from_fn(|_| rng.random_range(0.5..2.0)),
            v: std::array::from_fn(|_| rng.random_range(0.5..2.0)),
            r1,
            r2: AxisAngle::IDENTITY,
        }
    }

    fn choice(lattice: u8, tessellation: u8) -> LatticeChoice {
        LatticeChoice {
            lattice,
            tessellation,
        }
    }

    fn histogram_of(d: &Design) -> [f64; BINS] {
        histogram(&DesignFeatures::of(d).unwrap().topology)
    }

    fn moment_of(d: &Design) -> [f64; 21] {
        stretched_moment(&histogram_of(d), &d.affine().unwrap())
    }

    /// Truth: the stretching bound of the exactly built cell (union graph, strut diameter from
    /// ρ) divided by ρ, for topologies whose lattices share no strut.
    #[test]
    fn moment_is_the_built_cells_stretching_bound_over_density() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let cases = [
            [choice(2, 1); 3],
            [choice(1, 2); 3],
            [choice(6, 1), choice(6, 1), choice(6, 1)],
            [choice(0, 1), choice(2, 1), choice(2, 1)],
            [choice(0, 1), choice(5, 2), choice(5, 2)],
        ];
        for choices in cases {
            for _ in 0..3 {
                let d = random_design(&mut rng, choices);
                let cell = d.cell(RangePolicy::Strict).unwrap();
                let truth = cell.stretching_bound() / d.relative_density;
                let m = moment_of(&d);
                for (k, (i, j)) in upper21().into_iter().enumerate() {
                    assert!(
                        (m[k] - truth[(i, j)]).abs() < 1e-9,
                        "{choices:?} C{}{}: {} vs {}",
                        i + 1,
                        j + 1,
                        m[k],
                        truth[(i, j)]
                    );
                }
            }
        }
    }

    #[test]
    fn moment_of_an_unstretched_cubic_lattice_has_cubic_symmetry_and_unit_trace() {
        let m = stretched_moment(&histogram(&[0, 0, 0, 1, 1, 1]), &Matrix3::identity());
        // Simple cubic: struts along the axes only, a third of the length each.
        let expected = upper21().map(|(i, j)| if i == j && i < 3 { 1.0 / 3.0 } else { 0.0 });
        for (a, b) in m.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{m:?}");
        }
        // Σ n_i² n_j² over all i, j is 1 for every direction.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let d = random_design(&mut rng, [choice(1, 1), choice(4, 2), choice(6, 1)]);
        let m = moment_of(&d);
        let normal: f64 = [0, 6, 11].iter().map(|&k| m[k]).sum::<f64>()
            + 2.0 * [1, 2, 7].iter().map(|&k| m[k]).sum::<f64>();
        assert!((normal - 1.0).abs() < 1e-12, "{normal}");
    }

    #[test]
    fn tensor_moment_matches_the_f64_moment() {
        let device = DeviceChoice::Cpu.device().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let all: Vec<LatticeChoice> = LatticeChoice::all().collect();
        let designs: Vec<Design> = (0..6)
            .map(|_| {
                let c = std::array::from_fn(|_| all[rng.random_range(0..all.len())]);
                random_design(&mut rng, c)
            })
            .collect();
        let mut hist = Vec::new();
        let mut a = Vec::new();
        for d in &designs {
            hist.extend(histogram_of(d).map(|v| v as f32));
            let m = d.affine().unwrap();
            a.extend((0..9).map(|k| m[(k / 3, k % 3)] as f32));
        }
        let b = designs.len();
        let h = Tensor::<2>::from_data(TensorData::new(hist, [b, BINS]), &device);
        let at = Tensor::<3>::from_data(TensorData::new(a, [b, 3, 3]), &device);
        let got: Vec<f32> = stretched_moment_tensor(&VoigtOps::new(&device), h, at)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap();
        for (i, d) in designs.iter().enumerate() {
            let m = moment_of(d);
            for k in 0..21 {
                let g = got[i * 21 + k] as f64;
                assert!((g - m[k]).abs() < 2e-5, "design {i} k {k}: {g} vs {}", m[k]);
            }
        }
    }
}
