//! Tests of the stiffness type against independent truths (explicit tensor algebra, closed
//! forms for isotropy and the simple cubic bound).

use nalgebra::{Matrix3, Rotation3, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::mechanics::{MechanicsError, Voigt, nmse, relative_frobenius, stretching_bound};

fn random_rotation(rng: &mut ChaCha8Rng) -> Matrix3<f64> {
    let q = nalgebra::UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(
        rng.random_range(-1.0..1.0),
        rng.random_range(-1.0..1.0),
        rng.random_range(-1.0..1.0),
        rng.random_range(-1.0..1.0),
    ));
    q.to_rotation_matrix().into_inner()
}

fn random_spd(rng: &mut ChaCha8Rng) -> Stiffness {
    let a = Voigt::from_fn(|_, _| rng.random_range(-1.0..1.0));
    Stiffness::try_from_voigt(a * a.transpose() + Voigt::identity() * 0.5).unwrap()
}

fn isotropic(e: f64, nu: f64) -> Stiffness {
    let lambda = e * nu / ((1.0 + nu) * (1.0 - 2.0 * nu));
    let mu = e / (2.0 * (1.0 + nu));
    let mut m = Voigt::zeros();
    for i in 0..3 {
        for j in 0..3 {
            m[(i, j)] = lambda + if i == j { 2.0 * mu } else { 0.0 };
        }
        m[(i + 3, i + 3)] = mu;
    }
    Stiffness::try_from_voigt(m).unwrap()
}

fn rotate_tensor(t: &[[[[f64; 3]; 3]; 3]; 3], r: &Matrix3<f64>) -> [[[[f64; 3]; 3]; 3]; 3] {
    let mut out = [[[[0.0; 3]; 3]; 3]; 3];
    for p in 0..3 {
        for q in 0..3 {
            for s in 0..3 {
                for u in 0..3 {
                    let mut acc = 0.0;
                    for i in 0..3 {
                        for j in 0..3 {
                            for k in 0..3 {
                                for l in 0..3 {
                                    acc += r[(p, i)]
                                        * r[(q, j)]
                                        * r[(s, k)]
                                        * r[(u, l)]
                                        * t[i][j][k][l];
                                }
                            }
                        }
                    }
                    out[p][q][s][u] = acc;
                }
            }
        }
    }
    out
}

#[test]
fn bond_rotation_equals_explicit_tensor_rotation() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..20 {
        let c = random_spd(&mut rng);
        let r = random_rotation(&mut rng);
        let explicit = Stiffness::try_from_tensor(&rotate_tensor(&c.to_tensor(), &r)).unwrap();
        let bond = c.rotated(&r);
        let err = (bond.voigt() - explicit.voigt()).amax();
        assert!(err < 1e-12 * (1.0 + c.voigt().amax()), "difference {err}");
    }
}

#[test]
fn rotation_round_trip_and_invariant_eigenvalues() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for _ in 0..20 {
        let c = random_spd(&mut rng);
        let r = random_rotation(&mut rng);
        let back = c.rotated(&r).rotated(&r.transpose());
        assert!((back.voigt() - c.voigt()).amax() < 1e-12 * c.voigt().amax());
        let (e0, e1) = (c.eigenvalues(), c.rotated(&r).eigenvalues());
        for (a, b) in e0.iter().zip(e1) {
            assert!((a - b).abs() < 1e-10 * e0[5], "{e0:?} vs {e1:?}");
        }
    }
}

#[test]
fn tensor_and_constants_round_trip() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let c = random_spd(&mut rng);
    assert_eq!(Stiffness::try_from_tensor(&c.to_tensor()).unwrap(), c);
    assert_eq!(Stiffness::try_from_values(&c.to_constants()).unwrap(), c);
    let t = c.to_tensor();
    // minor and major symmetries
    assert_eq!(t[0][1][2][0], t[1][0][0][2]);
    assert_eq!(t[0][1][2][0], t[2][0][0][1]);
}

#[test]
fn isotropic_youngs_modulus_is_the_same_in_every_direction() {
    let c = isotropic(114.0, 0.3);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for _ in 0..50 {
        let n = [
            rng.random_range(-1.0..1.0),
            rng.random_range(-1.0..1.0),
            rng.random_range(-1.0..1.0),
        ];
        let e = c.youngs_modulus(n).unwrap();
        assert!((e - 114.0).abs() < 1e-9, "E(n) = {e}");
    }
    let x = c.directional_extremes();
    assert!((x.min - 114.0).abs() < 1e-9 && (x.max - 114.0).abs() < 1e-9);
    assert!(c.universal_anisotropy().abs() < 1e-12);
}

#[test]
fn cubic_youngs_modulus_extremes_match_closed_form() {
    // Cubic crystal: E<100> = 1/S11, E<111> = 1/(S11 − 2(S11 − S12 − S44/2)/3).
    let mut m = Voigt::zeros();
    for i in 0..3 {
        for j in 0..3 {
            m[(i, j)] = if i == j { 2.0 } else { 1.2 };
        }
        m[(i + 3, i + 3)] = 1.0;
    }
    let c = Stiffness::try_from_voigt(m).unwrap();
    let s = c.compliance();
    let e100 = 1.0 / s[(0, 0)];
    let j = s[(0, 0)] - s[(0, 1)] - s[(3, 3)] / 2.0;
    let e111 = 1.0 / (s[(0, 0)] - 2.0 * j / 3.0);
    let x = c.directional_extremes();
    let (lo, hi) = if e100 < e111 {
        (e100, e111)
    } else {
        (e111, e100)
    };
    assert!((x.min - lo).abs() < 1e-9 * lo, "{} vs {lo}", x.min);
    assert!((x.max - hi).abs() < 1e-9 * hi, "{} vs {hi}", x.max);
}

#[test]
fn simple_cubic_stretching_bound_is_rho_over_three() {
    let (d, rho_target): (f64, f64) = (0.1, 3.0 * std::f64::consts::FRAC_PI_4 * 0.01);
    let area = std::f64::consts::FRAC_PI_4 * d * d;
    let struts = [Vector3::x(), Vector3::y(), Vector3::z()].map(|v| (area, v));
    let c = stretching_bound(struts, 1.0);
    let rho = 3.0 * area;
    assert!((rho - rho_target).abs() < 1e-15);
    for i in 0..6 {
        for j in 0..6 {
            let expected = if i == j && i < 3 { rho / 3.0 } else { 0.0 };
            assert!(
                (c[(i, j)] - expected).abs() < 1e-15,
                "C{}{} = {}",
                i + 1,
                j + 1,
                c[(i, j)]
            );
        }
    }
    // Rotating the struts rotates the bound.
    let r = Rotation3::from_euler_angles(0.3, -0.7, 1.1).into_inner();
    let rotated = stretching_bound(
        [Vector3::x(), Vector3::y(), Vector3::z()].map(|v| (area, r * v)),
        1.0,
    );
    let m = bond_matrix(&r);
    assert!((rotated - m * c * m.transpose()).amax() < 1e-15);
}

#[test]
fn malformed_stiffness_gets_its_own_error() {
    let good: Vec<f64> = isotropic(1.0, 0.3).to_constants().to_vec();
    let mut nan = good.clone();
    nan[7] = f64::NAN;
    let mut asym: Vec<f64> = isotropic(1.0, 0.3).voigt().iter().copied().collect();
    asym[1] += 0.1; // column-major index 1 = (row 2, col 1)
    let mut indefinite = good.clone();
    indefinite[1] = 5.0; // C12 ≫ C11
    type Case = (&'static str, Vec<f64>, fn(&MechanicsError) -> bool);
    let cases: Vec<Case> = vec![
        ("wrong count", good[..20].to_vec(), |e| {
            matches!(e, MechanicsError::WrongCount { found: 20 })
        }),
        ("nan", nan, |e| {
            matches!(e, MechanicsError::NonFinite { row: 2, col: 3, .. })
        }),
        ("asymmetric", asym, |e| {
            matches!(e, MechanicsError::NotSymmetric { row: 1, col: 2, .. })
        }),
        (
            "indefinite",
            indefinite,
            |e| matches!(e, MechanicsError::NotPositiveDefinite { min_eigenvalue, .. } if *min_eigenvalue < 0.0),
        ),
    ];
    for (name, values, expected) in cases {
        let err = Stiffness::try_from_values(&values).unwrap_err();
        assert!(expected(&err), "{name}: got {err}");
        assert!(!err.to_string().is_empty());
    }
    let ragged = vec![
        vec![1.0; 6],
        vec![1.0; 5],
        vec![1.0; 6],
        vec![1.0; 6],
        vec![1.0; 6],
        vec![1.0; 6],
    ];
    assert!(matches!(
        Stiffness::try_from_rows(&ragged),
        Err(MechanicsError::RaggedRow { row: 2, found: 5 })
    ));
    let zero = vec![0.0; 21];
    assert!(matches!(
        Stiffness::try_from_values(&zero),
        Err(MechanicsError::NotPositiveDefinite { .. })
    ));
}

#[test]
fn gpa_conversion_round_trips() {
    let c = isotropic(114.0, 0.3);
    let n = Stiffness::from_gpa(&c.to_constants(), 114.0).unwrap();
    assert!((n.voigt()[(0, 0)] * 114.0 - c.voigt()[(0, 0)]).abs() < 1e-12);
    assert!((n.to_gpa(114.0) - c.voigt()).amax() < 1e-12);
}

#[test]
fn error_measures_behave() {
    let c = isotropic(1.0, 0.3);
    assert_eq!(nmse(c.voigt(), c.voigt()), 0.0);
    assert_eq!(relative_frobenius(c.voigt(), c.voigt()), 0.0);
    let doubled = c.voigt() * 2.0;
    // every kept entry is off by 100 %
    assert!((nmse(c.voigt(), &doubled) - 1.0).abs() < 1e-12);
    assert!((relative_frobenius(c.voigt(), &doubled) - 1.0).abs() < 1e-12);
    // entries whose target is zero are skipped, not divided by
    assert!(nmse(c.voigt(), &(c.voigt() + Voigt::from_element(1e-3))).is_finite());
    // the Frobenius measure is rotation invariant
    let r = Rotation3::from_euler_angles(0.4, 0.1, -0.9).into_inner();
    let a = random_spd(&mut ChaCha8Rng::seed_from_u64(9));
    let b = random_spd(&mut ChaCha8Rng::seed_from_u64(10));
    let e0 = relative_frobenius(a.voigt(), b.voigt());
    let e1 = relative_frobenius(a.rotated(&r).voigt(), b.rotated(&r).voigt());
    assert!((e0 - e1).abs() < 1e-12, "{e0} vs {e1}");
}

#[test]
fn frobenius_residuals_are_the_tensor_difference() {
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let (a, b) = (random_spd(&mut rng), random_spd(&mut rng));
    // Independent truth: the Frobenius norms of the explicit 4th-order tensors.
    let (ta, tb) = (a.to_tensor(), b.to_tensor());
    let (mut diff, mut norm) = (0.0, 0.0);
    for i in 0..3 {
        for j in 0..3 {
            for k in 0..3 {
                for l in 0..3 {
                    diff += (ta[i][j][k][l] - tb[i][j][k][l]).powi(2);
                    norm += ta[i][j][k][l].powi(2);
                }
            }
        }
    }
    let explicit = (diff / norm).sqrt();
    let r = crate::mechanics::frobenius_residuals(&a.to_constants(), &b.to_constants());
    let from_residuals = r.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((explicit - relative_frobenius(a.voigt(), b.voigt())).abs() < 1e-12);
    assert!(
        (explicit - from_residuals).abs() < 1e-12,
        "{explicit} vs {from_residuals}"
    );
    // A coupling the target lacks counts in full (Eq. 8 would skip it).
    let mut c = a.to_constants();
    c[3] = 0.0; // C14
    let target = Stiffness::try_from_values(&c).unwrap();
    let mut spurious = c;
    spurious[3] = 0.3 * c[0];
    let m = Stiffness::voigt_from_constants(&spurious);
    assert_eq!(nmse(target.voigt(), &m), 0.0);
    assert!(relative_frobenius(target.voigt(), &m) > 0.05);
}

#[test]
fn best_rotation_undoes_a_rotation() {
    // An orthotropic (not cubic) tensor, rotated by a known rotation: the best rotation of the
    // original onto the rotated one aligns it exactly (the answer is one of the orthotropic
    // symmetry's equivalent rotations, so compare tensors, not matrices).
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let mut v = Voigt::zeros();
    let diag = [1.0, 0.6, 0.35, 0.12, 0.2, 0.08];
    for i in 0..6 {
        v[(i, i)] = diag[i];
    }
    v[(0, 1)] = 0.25;
    v[(1, 0)] = 0.25;
    v[(0, 2)] = 0.1;
    v[(2, 0)] = 0.1;
    v[(1, 2)] = 0.15;
    v[(2, 1)] = 0.15;
    let c = Stiffness::try_from_voigt(v).unwrap();
    for _ in 0..5 {
        let r = random_rotation(&mut rng);
        let target = c.rotated(&r);
        let (q, e) = crate::mechanics::best_rotation(&c, &target);
        assert!(e < 1e-7, "residual {e}");
        assert!(relative_frobenius(target.voigt(), c.rotated(&q).voigt()) < 1e-7);
    }
    // Nothing to gain: the identity's error is not beaten.
    let (_, e) = crate::mechanics::best_rotation(&c, &c);
    assert!(e < 1e-12);
}

#[test]
fn rotation_invariants_are_invariant_and_bound_the_oriented_error() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (a, b) = (random_spd(&mut rng), random_spd(&mut rng));
    let r = random_rotation(&mut rng);
    let (ia, ir) = (
        crate::mechanics::rotation_invariants(a.voigt()),
        crate::mechanics::rotation_invariants(a.rotated(&r).voigt()),
    );
    for k in 0..crate::mechanics::INVARIANTS {
        assert!((ia[k] - ir[k]).abs() < 1e-12 * ia[5].abs(), "invariant {k}");
    }
    // The Kelvin eigenvalues' distance is a lower bound on the best oriented error
    // (Hoffman–Wielandt).
    let ib = crate::mechanics::rotation_invariants(b.voigt());
    let lower: f64 = (0..6).map(|k| (ia[k] - ib[k]).powi(2)).sum::<f64>().sqrt();
    let norm_b = crate::mechanics::tensor_norm(b.voigt());
    let (_, oriented) = crate::mechanics::best_rotation(&a, &b);
    assert!(
        lower / norm_b <= oriented + 1e-12,
        "{} > {oriented}",
        lower / norm_b
    );
}
