//! Tests of the periodic homogenizer against independent truths.

use std::f64::consts::PI;

use nalgebra::{DMatrix, Matrix3, Point3, Rotation3, SymmetricEigen, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::assembly::{affine_jumps, unit_strain};
use super::element::{BeamSection, global_stiffness};
use super::*;
use crate::design_space::{CellNodeId, PeriodicStrut};
use crate::mechanics::bond_matrix;

const NU: f64 = 0.3;

fn mat() -> Material {
    Material::TI6AL4V
}

fn strut(a: u32, b: u32, offset: [i32; 3]) -> PeriodicStrut {
    PeriodicStrut {
        a: CellNodeId(a),
        b: CellNodeId(b),
        offset,
        diameter: 1.0,
    }
}

/// A cell with every strut sized for relative density `rho`.
fn at_density(
    lattice: Matrix3<f64>,
    nodes: Vec<Point3<f64>>,
    struts: Vec<PeriodicStrut>,
    rho: f64,
) -> PeriodicCell {
    let cell = PeriodicCell::try_new(lattice, nodes, struts).expect("valid cell");
    let d = cell.diameter_for_density(rho);
    cell.with_uniform_diameter(d)
}

/// Simple cubic: one node, three struts to its own images, lattice = I.
fn simple_cubic(rho: f64) -> PeriodicCell {
    at_density(
        Matrix3::identity(),
        vec![Point3::origin()],
        vec![
            strut(0, 0, [1, 0, 0]),
            strut(0, 0, [0, 1, 0]),
            strut(0, 0, [0, 0, 1]),
        ],
        rho,
    )
}

/// All struts between nodes (and images with offsets in −1..=1) at distance `length`, each
/// counted once.
fn neighbour_struts(
    lattice: &Matrix3<f64>,
    nodes: &[Point3<f64>],
    length: f64,
) -> Vec<PeriodicStrut> {
    let mut out = Vec::new();
    for i in 0..nodes.len() {
        for j in i..nodes.len() {
            for ox in -1..=1 {
                for oy in -1..=1 {
                    for oz in -1..=1 {
                        let off = [ox, oy, oz];
                        if i == j && off <= [0, 0, 0] {
                            continue; // a self strut and its reverse: keep the positive one
                        }
                        let v = nodes[j] + lattice * Vector3::new(ox as f64, oy as f64, oz as f64)
                            - nodes[i];
                        if (v.norm() - length).abs() < 1e-9 {
                            out.push(strut(i as u32, j as u32, off));
                        }
                    }
                }
            }
        }
    }
    out
}

/// BCC conventional cubic cell: 2 nodes, 8 struts (centre to the corners).
fn bcc(rho: f64) -> PeriodicCell {
    let nodes = vec![Point3::origin(), Point3::new(0.5, 0.5, 0.5)];
    let struts = neighbour_struts(&Matrix3::identity(), &nodes, 3f64.sqrt() / 2.0);
    assert_eq!(struts.len(), 8);
    at_density(Matrix3::identity(), nodes, struts, rho)
}

/// BCC primitive cell: 1 node, 4 struts.
fn bcc_primitive(rho: f64) -> PeriodicCell {
    let lattice = Matrix3::new(-0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0.5, 0.5, -0.5);
    let nodes = vec![Point3::origin()];
    let struts = neighbour_struts(&lattice, &nodes, 3f64.sqrt() / 2.0);
    assert_eq!(struts.len(), 4);
    at_density(lattice, nodes, struts, rho)
}

/// Octet (FCC) conventional cubic cell: 4 nodes, 24 nearest-neighbour struts.
fn octet(rho: f64) -> PeriodicCell {
    let nodes = vec![
        Point3::origin(),
        Point3::new(0.5, 0.5, 0.0),
        Point3::new(0.5, 0.0, 0.5),
        Point3::new(0.0, 0.5, 0.5),
    ];
    let struts = neighbour_struts(&Matrix3::identity(), &nodes, 0.5f64.sqrt());
    assert_eq!(struts.len(), 24);
    at_density(Matrix3::identity(), nodes, struts, rho)
}

/// FCC primitive cell: 1 node, 6 struts.
fn fcc_primitive(rho: f64) -> PeriodicCell {
    let lattice = Matrix3::new(0.0, 0.5, 0.5, 0.5, 0.0, 0.5, 0.5, 0.5, 0.0);
    let nodes = vec![Point3::origin()];
    let struts = neighbour_struts(&lattice, &nodes, 0.5f64.sqrt());
    assert_eq!(struts.len(), 6);
    at_density(lattice, nodes, struts, rho)
}

/// The `m×m×m` supercell (same diameters).
fn supercell(cell: &PeriodicCell, m: i32) -> PeriodicCell {
    let nn = cell.nodes().len() as i32;
    let copies: Vec<[i32; 3]> = (0..m)
        .flat_map(|i| (0..m).flat_map(move |j| (0..m).map(move |k| [i, j, k])))
        .collect();
    let index = |c: [i32; 3], node: i32| ((c[0] * m + c[1]) * m + c[2]) * nn + node;
    let mut nodes = Vec::new();
    for c in &copies {
        for p in cell.nodes() {
            nodes.push(p + cell.shift(*c));
        }
    }
    let mut struts = Vec::new();
    for c in &copies {
        for s in cell.struts() {
            let t: [i32; 3] = std::array::from_fn(|i| c[i] + s.offset[i]);
            let wrapped = t.map(|v| v.rem_euclid(m));
            let offset = t.map(|v| v.div_euclid(m));
            struts.push(PeriodicStrut {
                a: CellNodeId(index(*c, s.a.0 as i32) as u32),
                b: CellNodeId(index(wrapped, s.b.0 as i32) as u32),
                offset,
                diameter: s.diameter,
            });
        }
    }
    PeriodicCell::try_new(cell.lattice_vectors() * m as f64, nodes, struts).expect("supercell")
}

fn c_of(cell: &PeriodicCell) -> Voigt {
    let h = homogenize(cell, &mat(), &FemOptions::default()).expect("homogenizes");
    assert!(h.asymmetry < 1e-9, "asymmetry {}", h.asymmetry);
    *h.stiffness.voigt()
}

fn c_with(cell: &PeriodicCell, options: FemOptions) -> Voigt {
    *homogenize(cell, &mat(), &options)
        .expect("homogenizes")
        .stiffness
        .voigt()
}

/// `max|a − b| ≤ abs + rel·max|b|`.
fn assert_close(a: &Voigt, b: &Voigt, rel: f64, abs: f64, what: &str) {
    let err = (a - b).amax();
    assert!(
        err <= abs + rel * b.amax(),
        "{what}: max diff {err:e} (scale {:e})\n{a}\n{b}",
        b.amax()
    );
}

fn phi_sc(rho: f64, kappa: f64) -> f64 {
    // Φ = 12EI/(κGAL²) = 1.5(1+ν)d²/κ for L = 1, with d² = 4ρ/(3π)
    1.5 * (1.0 + NU) * (4.0 * rho / (3.0 * PI)) / kappa
}

#[test]
fn affine_jumps_are_strain_times_span() {
    let s = Vector3::new(0.3, -1.2, 0.7);
    let j = affine_jumps(&s);
    for i in 0..6 {
        assert!(
            (j.column(i) - unit_strain(i) * s).amax() < 1e-15,
            "load case {i}"
        );
    }
}

#[test]
fn simple_cubic_axial_is_rho_over_three_and_shear_is_bending() {
    let mut c44s = Vec::new();
    let rhos = [0.05, 0.01, 0.002];
    for rho in rhos {
        let c = c_of(&simple_cubic(rho));
        for i in 0..3 {
            let rel = (c[(i, i)] / (rho / 3.0) - 1.0).abs();
            assert!(
                rel < 1e-10,
                "rho {rho}: C{0}{0} = {1} vs rho/3, rel err {rel:e}",
                i + 1,
                c[(i, i)]
            );
        }
        assert!(c[(0, 1)].abs() <= 1e-12 * c[(0, 0)], "C12 = {}", c[(0, 1)]);
        assert!(c[(0, 2)].abs() <= 1e-12 * c[(0, 0)] && c[(1, 2)].abs() <= 1e-12 * c[(0, 0)]);
        // C44 = 6EI/((1+Φ)L³)/V = ρ²/(6π(1+Φ)) (strut ends equally rotated, offset ½)
        let want = rho * rho / (6.0 * PI * (1.0 + phi_sc(rho, 0.9)));
        for i in 3..6 {
            let rel = (c[(i, i)] / want - 1.0).abs();
            assert!(
                rel < 1e-9,
                "rho {rho}: C{0}{0} = {1:e} vs {want:e}",
                i + 1,
                c[(i, i)]
            );
        }
        c44s.push(c[(3, 3)]);
    }
    // log-log slope of C44 against ρ between 0.01 and 0.002: 2 up to the shear correction
    let slope = (c44s[1] / c44s[2]).ln() / (rhos[1] / rhos[2]).ln();
    assert!((slope - 2.0).abs() < 0.01, "C44 slope {slope}");
    eprintln!("SC: C44 log-log slope (rho 0.01..0.002) = {slope:.5}");
}

#[test]
fn euler_bernoulli_and_cowper_options() {
    let rho = 0.05;
    let eb = c_with(
        &simple_cubic(rho),
        FemOptions {
            beam: BeamTheory::EulerBernoulli,
            ..Default::default()
        },
    );
    let want = rho * rho / (6.0 * PI);
    assert!(
        (eb[(3, 3)] / want - 1.0).abs() < 1e-9,
        "EB C44 {} vs {want}",
        eb[(3, 3)]
    );
    let kc = 6.0 * (1.0 + NU) / (7.0 + 6.0 * NU);
    assert!((ShearCorrection::Cowper.kappa(NU) - kc).abs() < 1e-15);
    let cw = c_with(
        &simple_cubic(rho),
        FemOptions {
            shear_correction: ShearCorrection::Cowper,
            ..Default::default()
        },
    );
    let want = rho * rho / (6.0 * PI * (1.0 + phi_sc(rho, kc)));
    assert!(
        (cw[(3, 3)] / want - 1.0).abs() < 1e-9,
        "Cowper C44 {} vs {want}",
        cw[(3, 3)]
    );
}

#[test]
fn supercells_and_primitive_cells_agree() {
    let rho = 0.02;
    let sc = simple_cubic(rho);
    assert_close(
        &c_of(&supercell(&sc, 2)),
        &c_of(&sc),
        1e-9,
        1e-14,
        "SC 2x2x2 supercell",
    );
    assert_close(
        &c_of(&supercell(&sc, 3)),
        &c_of(&sc),
        1e-9,
        1e-14,
        "SC 3x3x3 supercell",
    );
    assert_close(
        &c_of(&bcc_primitive(rho)),
        &c_of(&bcc(rho)),
        1e-9,
        1e-14,
        "BCC primitive vs cubic",
    );
    let oc = octet(rho);
    assert_close(
        &c_of(&fcc_primitive(rho)),
        &c_of(&oc),
        1e-9,
        1e-14,
        "FCC primitive vs octet cubic",
    );
    assert_close(
        &c_of(&supercell(&oc, 2)),
        &c_of(&oc),
        1e-9,
        1e-14,
        "octet 2x2x2 supercell",
    );
}

#[test]
fn octet_tends_to_its_stretching_bound() {
    let mut errors = Vec::new();
    for rho in [0.05, 0.01, 0.002] {
        let cell = octet(rho);
        let c = c_of(&cell);
        let bound = cell.stretching_bound();
        // the closed-form bound: C11 = ρ/6, C12 = C44 = ρ/12
        assert!((bound[(0, 0)] / (rho / 6.0) - 1.0).abs() < 1e-12);
        assert!((bound[(0, 1)] / (rho / 12.0) - 1.0).abs() < 1e-12);
        assert!((bound[(3, 3)] / (rho / 12.0) - 1.0).abs() < 1e-12);
        let e11 = (c[(0, 0)] / (rho / 6.0) - 1.0).abs();
        let r12 = c[(0, 0)] / c[(0, 1)];
        let r44 = c[(0, 0)] / c[(3, 3)];
        let young = 1.0 / Stiffness::try_from_voigt(c).unwrap().compliance()[(0, 0)];
        let ey = (young / (rho / 9.0) - 1.0).abs();
        eprintln!(
            "octet rho {rho}: C11/(rho/6)-1 = {e11:.3e}, C11:C12 = {r12:.4}, C11:C44 = {r44:.4}, E/(rho/9)-1 = {ey:.3e}"
        );
        errors.push(e11);
        if rho <= 0.01 {
            // bending corrections are O(ρ) (measured: 0.11ρ, 0.45ρ, 0, 0.3ρ)
            assert!(e11 < 0.3 * rho, "C11 {} vs ρ/6", c[(0, 0)]);
            assert!((r12 - 2.0).abs() < rho, "C11:C12 = {r12}");
            assert!((r44 - 2.0).abs() < rho, "C11:C44 = {r44}");
            assert!(ey < rho, "E = {young} vs ρ/9");
        }
        // cubic symmetry
        assert!((c[(0, 0)] - c[(2, 2)]).abs() < 1e-10 * c[(0, 0)]);
        assert!((c[(3, 3)] - c[(5, 5)]).abs() < 1e-10 * c[(0, 0)]);
    }
    assert!(
        errors[0] > errors[1] && errors[1] > errors[2],
        "errors do not fall with ρ: {errors:?}"
    );
}

#[test]
fn bcc_is_affine_in_shear_and_bulk_but_bending_dominated_in_tension() {
    let rhos = [0.01, 0.002];
    let mut young = Vec::new();
    for rho in rhos {
        let c = c_of(&bcc(rho));
        let r = rho / 9.0;
        let (e11, e12, e44) = (
            c[(0, 0)] / r - 1.0,
            c[(0, 1)] / r - 1.0,
            c[(3, 3)] / r - 1.0,
        );
        eprintln!("BCC rho {rho}: C11/(rho/9)-1 = {e11:.3e}, C12 {e12:.3e}, C44 {e44:.3e}");
        for (name, e) in [("C11", e11), ("C12", e12), ("C44", e44)] {
            // O(ρ) bending corrections (measured ≤ 0.37ρ)
            assert!(e.abs() < rho, "{name} rel. error {e}");
        }
        let e = 1.0 / Stiffness::try_from_voigt(c).unwrap().compliance()[(0, 0)];
        young.push(e);
    }
    let slope = (young[0] / young[1]).ln() / (rhos[0] / rhos[1]).ln();
    eprintln!(
        "BCC: Young's modulus slope {slope:.4} ({:e} at rho 0.002)",
        young[1]
    );
    assert!((slope - 2.0).abs() < 0.05, "1/S11 slope {slope}");
    assert!(
        young[1] < 0.05 * rhos[1] / 9.0,
        "BCC E = {} not bending-dominated",
        young[1]
    );
}

/// An independent dense reference: assembles `K` (6 DOFs per node, pinned node-0
/// translations) densely from the element matrices, solves with nalgebra's Cholesky, and
/// evaluates `C_IJ = (1/V) Σ_e q_Iᵀ K_e q_J` with the full element DOF vectors.
fn dense_reference(cell: &PeriodicCell, kappa: f64) -> Voigt {
    let nn = cell.nodes().len();
    let free: Vec<usize> = (3..6 * nn).collect();
    let m = free.len();
    let mut k = DMatrix::<f64>::zeros(6 * nn, 6 * nn);
    let mut f = DMatrix::<f64>::zeros(6 * nn, 6);
    let mut elements = Vec::new();
    for s in cell.struts() {
        let span = cell.strut_vector(s);
        let ke = global_stiffness(&BeamSection::circular(s.diameter, NU, kappa), &span);
        let dofs: Vec<usize> = (0..12)
            .map(|l| 6 * if l < 6 { s.a.0 } else { s.b.0 } as usize + l % 6)
            .collect();
        for i in 0..12 {
            for j in 0..12 {
                k[(dofs[i], dofs[j])] += ke[(i, j)];
            }
        }
        for load in 0..6 {
            let jump = unit_strain(load) * span;
            for i in 0..12 {
                f[(dofs[i], load)] -= (0..3).map(|c| ke[(i, 6 + c)] * jump[c]).sum::<f64>();
            }
        }
        elements.push((ke, dofs, span));
    }
    let kr = DMatrix::from_fn(m, m, |i, j| k[(free[i], free[j])]);
    let fr = DMatrix::from_fn(m, 6, |i, j| f[(free[i], j)]);
    let w = kr.cholesky().expect("SPD").solve(&fr);
    let mut full = DMatrix::<f64>::zeros(6 * nn, 6);
    for (i, &g) in free.iter().enumerate() {
        for j in 0..6 {
            full[(g, j)] = w[(i, j)];
        }
    }
    let mut c = Voigt::zeros();
    for (ke, dofs, span) in &elements {
        let q: Vec<nalgebra::SVector<f64, 12>> = (0..6)
            .map(|load| {
                let mut q = nalgebra::SVector::<f64, 12>::from_fn(|l, _| full[(dofs[l], load)]);
                let jump = unit_strain(load) * span;
                for c in 0..3 {
                    q[6 + c] += jump[c];
                }
                q
            })
            .collect();
        for i in 0..6 {
            for j in 0..6 {
                c[(i, j)] += q[i].dot(&(ke * q[j]));
            }
        }
    }
    c / cell.volume()
}

#[test]
fn sparse_agrees_with_dense_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for cell in [
        simple_cubic(0.03),
        bcc(0.03),
        octet(0.03),
        random_cell(&mut rng, 0.05),
    ] {
        let sparse = c_of(&cell);
        let dense = dense_reference(&cell, 0.9);
        assert_close(&sparse, &dense, 1e-9, 1e-15, "sparse vs dense");
    }
}

/// A random rigid cell: a perturbed octet or BCC+SC cell under a random affine map with
/// extra random struts and random diameters.
fn random_cell(rng: &mut ChaCha8Rng, rho: f64) -> PeriodicCell {
    let base = if rng.random_bool(0.5) {
        octet(rho)
    } else {
        bcc(rho)
    };
    let mut nodes: Vec<Point3<f64>> = base.nodes().to_vec();
    for p in &mut nodes {
        for c in 0..3 {
            p[c] += rng.random_range(-0.05..0.05);
        }
    }
    let mut struts = base.struts().to_vec();
    let extra = rng.random_range(1..4);
    for _ in 0..extra {
        let a = rng.random_range(0..nodes.len()) as u32;
        let b = rng.random_range(0..nodes.len()) as u32;
        let offset = [
            rng.random_range(-1..=1),
            rng.random_range(-1..=1),
            rng.random_range(-1..=1),
        ];
        if a == b && offset == [0, 0, 0] {
            continue;
        }
        struts.push(strut(a, b, offset));
    }
    if nodes.len() == 2 {
        // BCC alone is rigid as a frame; add the cube edges for variety
        struts.extend([
            strut(0, 0, [1, 0, 0]),
            strut(0, 0, [0, 1, 0]),
            strut(0, 0, [0, 0, 1]),
        ]);
    }
    let d = base.struts()[0].diameter;
    for s in &mut struts {
        s.diameter = d * rng.random_range(0.5..1.5);
    }
    let f = Matrix3::from_fn(|i, j| if i == j { 1.0 } else { 0.0 } + rng.random_range(-0.2..0.2));
    PeriodicCell::try_new(
        f,
        nodes.iter().map(|p| Point3::from(f * p.coords)).collect(),
        struts,
    )
    .expect("random cell")
}

/// The affine (zero-fluctuation) energy bound, computed from beam formulas: axial
/// `EA/L (n·ε̄s)²` plus transverse `12EI/((1+Φ)L³) |(1−nnᵀ)ε̄s|²` per strut.
fn affine_bound(cell: &PeriodicCell, kappa: f64) -> Voigt {
    let mut c = Voigt::zeros();
    for s in cell.struts() {
        let v = cell.strut_vector(s);
        let l = v.norm();
        let n = v / l;
        let sec = BeamSection::circular(s.diameter, NU, kappa);
        let axial = sec.area / l;
        let trans = 12.0 * sec.inertia / ((1.0 + sec.phi(l)) * l * l * l);
        let jumps: Vec<Vector3<f64>> = (0..6).map(|i| unit_strain(i) * v).collect();
        for i in 0..6 {
            for j in 0..6 {
                let (a, b) = (jumps[i], jumps[j]);
                let (an, bn) = (n.dot(&a), n.dot(&b));
                c[(i, j)] += axial * an * bn + trans * (a - n * an).dot(&(b - n * bn));
            }
        }
    }
    c / cell.volume()
}

fn min_eig(m: &Voigt) -> f64 {
    SymmetricEigen::new((m + m.transpose()) * 0.5)
        .eigenvalues
        .min()
}

#[test]
fn random_cells_are_spd_and_bounded() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut worst_stretch = 0.0f64;
    let mut worst_asymmetry = 0.0f64;
    for trial in 0..40 {
        let rho = [0.002, 0.01, 0.05][trial % 3];
        let cell = random_cell(&mut rng, rho);
        let h = homogenize(&cell, &mat(), &FemOptions::default()).expect("random cell homogenizes");
        let c = *h.stiffness.voigt();
        assert!(
            h.asymmetry < 1e-9,
            "trial {trial}: asymmetry {}",
            h.asymmetry
        );
        worst_asymmetry = worst_asymmetry.max(h.asymmetry);
        assert!(h.stiffness.eigenvalues().iter().all(|&e| e > 0.0));
        // rigorous: C ⪯ affine bound
        let aff = affine_bound(&cell, 0.9);
        let gap = min_eig(&(aff - c));
        assert!(
            gap >= -1e-10 * aff.amax(),
            "trial {trial}: affine bound − C has eigenvalue {gap:e}"
        );
        // the stretching bound holds up to the O(ρ²) bending terms of rigid joints
        let stretch = cell.stretching_bound();
        let rel = min_eig(&(stretch - c)) / stretch.amax();
        worst_stretch = worst_stretch.min(rel);
        assert!(
            rel >= -0.5 * rho,
            "trial {trial} (rho {rho}): stretching bound − C eigenvalue {rel:e}·max"
        );
    }
    eprintln!(
        "random cells: worst min eig(stretching bound − C)/max = {worst_stretch:e}, \
         worst asymmetry {worst_asymmetry:e}"
    );
}

#[test]
fn invariant_under_rotation_translation_relabelling_and_subdivision() {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for trial in 0..6 {
        let cell = random_cell(&mut rng, 0.02);
        let c = c_of(&cell);
        // rotation
        let axis = Vector3::new(
            rng.random_range(-1.0..1.0),
            rng.random_range(-1.0..1.0),
            1.0,
        );
        let r = Rotation3::from_axis_angle(
            &nalgebra::Unit::new_normalize(axis),
            rng.random_range(0.1..3.0),
        )
        .into_inner();
        let rotated = c_of(&cell.transformed(&r).unwrap());
        let m = bond_matrix(&r);
        assert_close(&rotated, &(m * c * m.transpose()), 1e-9, 1e-15, "rotation");
        let via_stiffness = Stiffness::try_from_voigt(c).unwrap().rotated(&r);
        assert_close(
            &rotated,
            via_stiffness.voigt(),
            1e-9,
            1e-15,
            "Stiffness::rotated",
        );
        // translation
        let t = Vector3::new(0.3, -0.7, 1.9);
        let moved = PeriodicCell::try_new(
            *cell.lattice_vectors(),
            cell.nodes().iter().map(|p| p + t).collect(),
            cell.struts().to_vec(),
        )
        .unwrap();
        assert_close(&c_of(&moved), &c, 1e-10, 1e-15, "translation");
        // relabelling: reverse the node order, flip every other strut, reverse the strut list
        let nn = cell.nodes().len() as u32;
        let relabel = |i: CellNodeId| CellNodeId(nn - 1 - i.0);
        let nodes: Vec<Point3<f64>> = cell.nodes().iter().rev().copied().collect();
        let struts: Vec<PeriodicStrut> = cell
            .struts()
            .iter()
            .enumerate()
            .rev()
            .map(|(k, s)| {
                if k % 2 == 0 {
                    PeriodicStrut {
                        a: relabel(s.b),
                        b: relabel(s.a),
                        offset: s.offset.map(|o| -o),
                        ..*s
                    }
                } else {
                    PeriodicStrut {
                        a: relabel(s.a),
                        b: relabel(s.b),
                        ..*s
                    }
                }
            })
            .collect();
        let relabelled = PeriodicCell::try_new(*cell.lattice_vectors(), nodes, struts).unwrap();
        assert_close(&c_of(&relabelled), &c, 1e-10, 1e-15, "relabelling");
        // the exact element: 3 elements per strut give the same C
        let sub = c_with(
            &cell,
            FemOptions {
                elements_per_strut: 3,
                ..Default::default()
            },
        );
        let err = (sub - c).amax() / c.amax();
        if trial == 0 {
            eprintln!("elements_per_strut 1 vs 3: rel diff {err:e}");
        }
        assert!(
            err < 1e-10,
            "trial {trial}: 1 vs 3 elements differ by {err:e}"
        );
    }
}

#[test]
fn homogenizer_cache_reuse_matches_fresh() {
    let mut h = Homogenizer::new(FemOptions::default());
    let a = h.homogenize(&simple_cubic(0.01), &mat()).unwrap();
    let b = h.homogenize(&octet(0.02), &mat()).unwrap();
    assert_eq!(h.cached_topologies(), 2);
    // same topologies, new geometry: cache hits
    let a2 = h.homogenize(&simple_cubic(0.03), &mat()).unwrap();
    let sheared = octet(0.04)
        .transformed(&Matrix3::new(1.0, 0.2, 0.0, 0.0, 1.1, 0.1, 0.0, 0.0, 0.9))
        .unwrap();
    let b2 = h.homogenize(&sheared, &mat()).unwrap();
    assert_eq!(h.cached_topologies(), 2);
    let fresh_a2 = homogenize(&simple_cubic(0.03), &mat(), &FemOptions::default()).unwrap();
    let fresh_b2 = homogenize(&sheared, &mat(), &FemOptions::default()).unwrap();
    assert_close(
        a2.stiffness.voigt(),
        fresh_a2.stiffness.voigt(),
        1e-13,
        0.0,
        "SC cache hit",
    );
    assert_close(
        b2.stiffness.voigt(),
        fresh_b2.stiffness.voigt(),
        1e-13,
        0.0,
        "octet cache hit",
    );
    // and the first results are unchanged on a repeat
    let a3 = h.homogenize(&simple_cubic(0.01), &mat()).unwrap();
    assert_close(
        a3.stiffness.voigt(),
        a.stiffness.voigt(),
        1e-13,
        0.0,
        "repeat",
    );
    assert!(b.stiffness.voigt()[(0, 0)] > 0.0);
    // options and material are checked
    let err = homogenize(
        &simple_cubic(0.01),
        &mat(),
        &FemOptions {
            elements_per_strut: 0,
            ..Default::default()
        },
    );
    assert!(
        matches!(err, Err(FemError::InvalidOption { .. })),
        "{err:?}"
    );
    let bad = Material {
        youngs_modulus: 100.0,
        poisson_ratio: 0.5,
    };
    assert!(matches!(
        homogenize(&simple_cubic(0.01), &bad, &FemOptions::default()),
        Err(FemError::InvalidMaterial { .. })
    ));
}

#[test]
fn defective_cells_are_refused() {
    let d = 0.05;
    let sized = |nodes: Vec<Point3<f64>>, struts: Vec<PeriodicStrut>| {
        PeriodicCell::try_new(Matrix3::identity(), nodes, struts)
            .unwrap()
            .with_uniform_diameter(d)
    };
    let sc_struts = vec![
        strut(0, 0, [1, 0, 0]),
        strut(0, 0, [0, 1, 0]),
        strut(0, 0, [0, 0, 1]),
    ];
    // a node without struts
    let cell = sized(
        vec![Point3::origin(), Point3::new(0.5, 0.5, 0.5)],
        sc_struts.clone(),
    );
    let err = homogenize(&cell, &mat(), &FemOptions::default()).unwrap_err();
    assert!(matches!(err, FemError::Singular { node: 1, .. }), "{err}");
    assert!(err.to_string().contains("no struts"), "{err}");
    // two interpenetrating simple cubic lattices: the second floats
    let mut two = sc_struts.clone();
    two.extend([
        strut(1, 1, [1, 0, 0]),
        strut(1, 1, [0, 1, 0]),
        strut(1, 1, [0, 0, 1]),
    ]);
    let err = homogenize(
        &sized(vec![Point3::origin(), Point3::new(0.5, 0.5, 0.5)], two),
        &mat(),
        &FemOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, FemError::Singular { node: 1, .. }), "{err}");
    // parallel lines along x: they spin about their axis (numerical pivot check)
    let err = homogenize(
        &sized(vec![Point3::origin()], vec![strut(0, 0, [1, 0, 0])]),
        &mat(),
        &FemOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            FemError::Singular {
                dof: crate::fem::Dof::Rotation(crate::fem::Axis::X),
                ..
            }
        ),
        "{err}"
    );
    // square grids stacked without z struts: a mechanism for ε33, γ23, γ13
    let layers = sized(vec![Point3::origin()], sc_struts[..2].to_vec());
    let err = homogenize(&layers, &mat(), &FemOptions::default()).unwrap_err();
    match &err {
        FemError::NotPositiveDefinite { min_eigenvalue, .. } => {
            assert!(min_eigenvalue.abs() < 1e-12, "{err}");
        }
        other => panic!("expected NotPositiveDefinite, got {other}"),
    }
    // a dangling strut carries no load in a rigid-jointed frame: C is unchanged
    let mut dangling = sc_struts.clone();
    dangling.push(strut(0, 1, [0, 0, 0]));
    let with = sized(vec![Point3::origin(), Point3::new(0.3, 0.2, 0.1)], dangling);
    assert_close(
        &c_of(&with),
        &c_of(&sized(vec![Point3::origin()], sc_struts)),
        1e-9,
        1e-15,
        "dangling strut",
    );
}
