//! Local refinement of a design's continuous parameters against the FE model.
//!
//! The 13 parameters (ρ, U₁..₃, V₁..₃, and small rotation vectors applied to R_I and R_II)
//! are mapped to unconstrained coordinates (a logistic map keeps ρ and the stretches inside
//! their ranges), and the FE NMSE is minimized by Nelder–Mead (derivative-free: the FE model is
//! cheap, ~1 ms, but not differentiated here).

use nalgebra::{Rotation3, Vector3};

use crate::design_space::{AxisAngle, DENSITY_RANGE, Design, Material, RangePolicy, STRETCH_RANGE};
use crate::fem::Homogenizer;
use crate::mechanics::{Stiffness, nmse, relative_frobenius};

const DIM: usize = 13;

fn to_unit(v: f64, (lo, hi): (f64, f64)) -> f64 {
    let t = ((v - lo) / (hi - lo)).clamp(1e-6, 1.0 - 1e-6);
    (t / (1.0 - t)).ln()
}

fn from_unit(x: f64, (lo, hi): (f64, f64)) -> f64 {
    lo + (hi - lo) / (1.0 + (-x).exp())
}

fn rotate(r: &AxisAngle, delta: [f64; 3]) -> AxisAngle {
    let base = r.matrix("R").expect("validated design");
    let d = Rotation3::from_scaled_axis(Vector3::from(delta)).into_inner();
    AxisAngle::from_matrix(&(d * base)).normalized()
}

fn decode(x: &[f64; DIM], start: &Design) -> Design {
    Design {
        topology: start.topology,
        relative_density: from_unit(x[0], DENSITY_RANGE),
        u: [
            from_unit(x[1], STRETCH_RANGE),
            from_unit(x[2], STRETCH_RANGE),
            from_unit(x[3], STRETCH_RANGE),
        ],
        v: [
            from_unit(x[4], STRETCH_RANGE),
            from_unit(x[5], STRETCH_RANGE),
            from_unit(x[6], STRETCH_RANGE),
        ],
        r1: rotate(&start.r1, [x[7], x[8], x[9]]),
        r2: rotate(&start.r2, [x[10], x[11], x[12]]),
    }
}

fn encode(d: &Design) -> [f64; DIM] {
    let mut x = [0.0; DIM];
    x[0] = to_unit(d.relative_density, DENSITY_RANGE);
    for i in 0..3 {
        x[1 + i] = to_unit(d.u[i], STRETCH_RANGE);
        x[4 + i] = to_unit(d.v[i], STRETCH_RANGE);
    }
    x
}

/// The FE NMSE of `design` against `target`, or `f64::INFINITY` if it cannot be homogenized.
pub fn fe_nmse(
    design: &Design,
    target: &Stiffness,
    material: &Material,
    fem: &mut Homogenizer,
) -> (f64, Option<Stiffness>) {
    let Ok(cell) = design.cell(RangePolicy::Strict) else {
        return (f64::INFINITY, None);
    };
    match fem.homogenize(&cell, material) {
        Ok(h) => (nmse(target.voigt(), h.stiffness.voigt()), Some(h.stiffness)),
        Err(_) => (f64::INFINITY, None),
    }
}

/// Minimizes the FE NMSE over the continuous parameters of `start` (topology fixed) with at
/// most `evaluations` FE solves, minimizing NMSE + (relative Frobenius error)². Returns the
/// best design found.
pub fn refine(
    start: &Design,
    target: &Stiffness,
    material: &Material,
    fem: &mut Homogenizer,
    evaluations: usize,
) -> Design {
    refine_where(start, target, material, fem, evaluations, &|_| true)
}

/// As [`refine`], over the designs that `accept` (e.g. printable at the cell size): a rejected
/// design scores `+∞`, a barrier Nelder–Mead steps back from. `start` should be accepted.
pub fn refine_where(
    start: &Design,
    target: &Stiffness,
    material: &Material,
    fem: &mut Homogenizer,
    evaluations: usize,
    accept: &(dyn Fn(&Design) -> bool + Sync),
) -> Design {
    let x0 = encode(start);
    // NMSE ranks candidates, but alone it chases near-zero entries; adding the squared
    // relative Frobenius error keeps the large constants right while NMSE falls.
    let mut f = |x: &[f64; DIM]| {
        let design = decode(x, start);
        if !accept(&design) {
            return f64::INFINITY;
        }
        match fe_nmse(&design, target, material, fem) {
            (e, Some(c)) => e + relative_frobenius(target.voigt(), c.voigt()).powi(2),
            (e, None) => e,
        }
    };
    let best = nelder_mead(&mut f, x0, 0.25, evaluations);
    decode(&best, start)
}

/// Minimizes `f` from `x0` with an initial simplex of edge `step`, using at most `budget`
/// evaluations (standard coefficients 1, 2, ½, ½).
pub fn nelder_mead<const N: usize>(
    f: &mut impl FnMut(&[f64; N]) -> f64,
    x0: [f64; N],
    step: f64,
    budget: usize,
) -> [f64; N] {
    let mut simplex: Vec<([f64; N], f64)> = Vec::with_capacity(N + 1);
    simplex.push((x0, f(&x0)));
    for i in 0..N {
        let mut x = x0;
        x[i] += step;
        simplex.push((x, f(&x)));
    }
    let mut used = N + 1;
    let combine = |a: &[f64; N], b: &[f64; N], t: f64| -> [f64; N] {
        std::array::from_fn(|i| a[i] + t * (b[i] - a[i]))
    };
    while used < budget {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let spread = simplex[N].1 - simplex[0].1;
        if spread.abs() <= 1e-12 * simplex[0].1.abs().max(1e-300) {
            break;
        }
        let centroid: [f64; N] =
            std::array::from_fn(|i| simplex[..N].iter().map(|p| p.0[i]).sum::<f64>() / N as f64);
        let worst = simplex[N];
        let reflected = combine(&centroid, &worst.0, -1.0);
        let fr = f(&reflected);
        used += 1;
        if fr < simplex[0].1 {
            let expanded = combine(&centroid, &worst.0, -2.0);
            let fe = f(&expanded);
            used += 1;
            simplex[N] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[N - 1].1 {
            simplex[N] = (reflected, fr);
        } else {
            let contracted = if fr < worst.1 {
                combine(&centroid, &reflected, 0.5)
            } else {
                combine(&centroid, &worst.0, 0.5)
            };
            let fc = f(&contracted);
            used += 1;
            if fc < worst.1.min(fr) {
                simplex[N] = (contracted, fc);
            } else {
                let best = simplex[0].0;
                for p in simplex.iter_mut().skip(1) {
                    p.0 = combine(&best, &p.0, 0.5);
                    p.1 = f(&p.0);
                    used += 1;
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex[0].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_minimum_of_a_quadratic() {
        let mut f = |x: &[f64; 3]| {
            (x[0] - 1.0).powi(2) + 2.0 * (x[1] + 0.5).powi(2) + 3.0 * (x[2] - 2.0).powi(2)
        };
        let x = nelder_mead(&mut f, [0.0; 3], 0.5, 2000);
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] + 0.5).abs() < 1e-4 && (x[2] - 2.0).abs() < 1e-4,
            "{x:?}"
        );
    }

    #[test]
    fn encoding_round_trips() {
        let d = Design {
            topology: crate::design_space::Topology::try_new(
                &[crate::design_space::LatticeChoice {
                    lattice: 1,
                    tessellation: 1,
                }; 3],
            )
            .unwrap(),
            relative_density: 0.05,
            u: [0.7, 1.3, 1.9],
            v: [1.6, 0.55, 1.1],
            r1: AxisAngle {
                axis: [0.2, -0.5, 0.84],
                angle_deg: 33.0,
            },
            r2: AxisAngle {
                axis: [-0.7, 0.1, 0.7],
                angle_deg: 71.0,
            },
        };
        let back = decode(&encode(&d), &d);
        assert!((back.affine().unwrap() - d.affine().unwrap()).amax() < 1e-9);
        assert!((back.relative_density - 0.05).abs() < 1e-12);
    }
}
