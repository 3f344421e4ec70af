//! The exact two-node 3D Timoshenko beam element of circular section.
//!
//! Local frame: `x` along the beam (node 1 → node 2), `y`, `z` any orthonormal pair
//! perpendicular to it (the circular section makes the choice irrelevant). Degrees of
//! freedom per node: `(u_x, u_y, u_z, θ_x, θ_y, θ_z)`, 12 per element. The stiffness follows
//! Przemieniecki, *Theory of Matrix Structural Analysis* (1968), §5.6, with the shear
//! parameter `Φ = 12EI/(κGAL²)`; `Φ = 0` gives the Euler–Bernoulli element. For a straight
//! prismatic beam loaded only at its ends the element is exact.
//!
//! All stiffnesses here are normalized by the Young's modulus (`E = 1`, `G = 1/(2(1+ν))`).

use nalgebra::{Matrix3, SMatrix, Vector3};

/// A 12×12 element matrix.
pub(crate) type Matrix12 = SMatrix<f64, 12, 12>;

/// Section and beam constants of one element, normalized by E.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BeamSection {
    /// Axial stiffness `EA/E = A = πd²/4`, length².
    pub area: f64,
    /// Second moment of area `I = πd⁴/64`, length⁴.
    pub inertia: f64,
    /// Torsion constant `J = 2I`, length⁴.
    pub polar: f64,
    /// `G/E = 1/(2(1+ν))`.
    pub shear_ratio: f64,
    /// Shear correction κ (∞ for Euler–Bernoulli, giving `Φ = 0`).
    pub kappa: f64,
}

impl BeamSection {
    /// The circular section of diameter `d`. `kappa = f64::INFINITY` means Euler–Bernoulli.
    pub fn circular(d: f64, nu: f64, kappa: f64) -> Self {
        let area = std::f64::consts::FRAC_PI_4 * d * d;
        let inertia = std::f64::consts::PI * d.powi(4) / 64.0;
        Self {
            area,
            inertia,
            polar: 2.0 * inertia,
            shear_ratio: 0.5 / (1.0 + nu),
            kappa,
        }
    }

    /// The shear parameter `Φ = 12EI/(κGAL²)` for an element of length `l`.
    pub fn phi(&self, l: f64) -> f64 {
        if self.kappa.is_infinite() {
            0.0
        } else {
            12.0 * self.inertia / (self.kappa * self.shear_ratio * self.area * l * l)
        }
    }
}

/// The 12×12 stiffness in the local frame for an element of length `l` (the reference
/// form; production code uses the equivalent closed form of [`global_stiffness`]).
#[cfg(test)]
pub(crate) fn local_stiffness(section: &BeamSection, l: f64) -> Matrix12 {
    let mut k = Matrix12::zeros();
    let phi = section.phi(l);
    let ea = section.area / l;
    let gj = section.shear_ratio * section.polar / l;
    let b = section.inertia / ((1.0 + phi) * l * l * l);
    let (k1, k2, k3, k4) = (
        12.0 * b,
        6.0 * l * b,
        (4.0 + phi) * l * l * b,
        (2.0 - phi) * l * l * b,
    );
    let mut put = |i: usize, j: usize, v: f64| {
        k[(i, j)] += v;
        if i != j {
            k[(j, i)] += v;
        }
    };
    // axial
    put(0, 0, ea);
    put(6, 6, ea);
    put(0, 6, -ea);
    // torsion
    put(3, 3, gj);
    put(9, 9, gj);
    put(3, 9, -gj);
    // bending in the x-y plane: (v1, θz1, v2, θz2) = (1, 5, 7, 11)
    put(1, 1, k1);
    put(7, 7, k1);
    put(1, 7, -k1);
    put(1, 5, k2);
    put(1, 11, k2);
    put(5, 7, -k2);
    put(7, 11, -k2);
    put(5, 5, k3);
    put(11, 11, k3);
    put(5, 11, k4);
    // bending in the x-z plane: (w1, θy1, w2, θy2) = (2, 4, 8, 10); θy = −dw/dx
    put(2, 2, k1);
    put(8, 8, k1);
    put(2, 8, -k1);
    put(2, 4, -k2);
    put(2, 10, -k2);
    put(4, 8, k2);
    put(8, 10, k2);
    put(4, 4, k3);
    put(10, 10, k3);
    put(4, 10, k4);
    k
}

/// A local frame for a beam along `axis`: the rows of the result are the local `x` (the unit
/// axis), `y`, `z` axes, so `v_local = R v_global`.
///
/// # Panics
/// If `axis` has zero length (a caller bug: cells reject zero-length struts).
#[cfg(test)]
#[track_caller]
pub(crate) fn local_frame(axis: &Vector3<f64>) -> Matrix3<f64> {
    let len = axis.norm();
    assert!(len > 0.0, "beam axis has zero length");
    let e1 = axis / len;
    // the coordinate axis least aligned with e1
    let i = e1.iamin();
    let mut helper = Vector3::zeros();
    helper[i] = 1.0;
    let e2 = (helper - e1 * e1.dot(&helper)).normalize();
    let e3 = e1.cross(&e2);
    Matrix3::from_rows(&[e1.transpose(), e2.transpose(), e3.transpose()])
}

/// The 12×12 stiffness in global coordinates of an element spanning `span` (from its first
/// to its second node), normalized by E.
///
/// A circular section bends alike in every transverse direction, so `Tᵀ K_local T` has a
/// frame-free closed form in the unit axis `n`: with `P = nnᵀ` and the cross-product
/// matrix `[n]ₓ`, the blocks are `k₁I + (EA/L − k₁)P` (translations), `k₃I + (GJ/L − k₃)P`
/// and `k₄I − (GJ/L + k₄)P` (rotations, same / opposite node) and `∓k₂[n]ₓ` (coupling),
/// with `k₁ = 12b`, `k₂ = 6Lb`, `k₃ = (4+Φ)L²b`, `k₄ = (2−Φ)L²b`, `b = EI/((1+Φ)L³)`.
/// It equals `local_frameᵀ · local_stiffness · local_frame` blockwise.
pub(crate) fn global_stiffness(section: &BeamSection, span: &Vector3<f64>) -> Matrix12 {
    let l = span.norm();
    let n = span / l;
    let phi = section.phi(l);
    let ea = section.area / l;
    let gj = section.shear_ratio * section.polar / l;
    let b = section.inertia / ((1.0 + phi) * l * l * l);
    let (k1, k2, k3, k4) = (
        12.0 * b,
        6.0 * l * b,
        (4.0 + phi) * l * l * b,
        (2.0 - phi) * l * l * b,
    );
    let p = n * n.transpose();
    let id = Matrix3::identity();
    let uu = id * k1 + p * (ea - k1);
    let tt = id * k3 + p * (gj - k3);
    let t12 = id * k4 - p * (gj + k4);
    let g = n.cross_matrix() * (-k2);
    let blocks: [[Matrix3<f64>; 4]; 4] = [
        [uu, g, -uu, g],
        [g.transpose(), tt, g, t12],
        [-uu, g.transpose(), uu, -g],
        [g.transpose(), t12.transpose(), -g.transpose(), tt],
    ];
    let mut kg = Matrix12::zeros();
    for (a, row) in blocks.iter().enumerate() {
        for (c, block) in row.iter().enumerate() {
            kg.fixed_view_mut::<3, 3>(3 * a, 3 * c).copy_from(block);
        }
    }
    kg
}

/// The element stiffness by explicit rotation `Tᵀ K_local T` (the test oracle of
/// `global_stiffness`).
#[cfg(test)]
pub(crate) fn global_stiffness_by_rotation(section: &BeamSection, span: &Vector3<f64>) -> Matrix12 {
    let r = local_frame(span);
    let kl = local_stiffness(section, span.norm());
    let mut t = Matrix12::zeros();
    for a in 0..4 {
        t.fixed_view_mut::<3, 3>(3 * a, 3 * a).copy_from(&r);
    }
    t.transpose() * kl * t
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;

    /// A straight beam from the origin along `dir` (length `l`) split into `k` elements,
    /// clamped at node 0; `fixed` are extra fixed DOFs of the tip node (0..6); the tip gets
    /// the load `load` (force then moment, global). Returns the tip DOFs (global).
    fn cantilever(
        section: &BeamSection,
        dir: Vector3<f64>,
        l: f64,
        k: usize,
        fixed_tip: &[usize],
        load: [f64; 6],
    ) -> [f64; 6] {
        let n = 6 * (k + 1);
        let mut kk = DMatrix::<f64>::zeros(n, n);
        let span = dir.normalize() * (l / k as f64);
        let ke = global_stiffness(section, &span);
        for e in 0..k {
            for i in 0..12 {
                for j in 0..12 {
                    kk[(6 * e + i, 6 * e + j)] += ke[(i, j)];
                }
            }
        }
        let tip = 6 * k;
        let fixed: Vec<usize> = (0..6).chain(fixed_tip.iter().map(|&c| tip + c)).collect();
        let free: Vec<usize> = (0..n).filter(|i| !fixed.contains(i)).collect();
        let m = free.len();
        let kr = DMatrix::from_fn(m, m, |i, j| kk[(free[i], free[j])]);
        let mut f = DVector::zeros(m);
        for (i, &g) in free.iter().enumerate() {
            if g >= tip {
                f[i] = load[g - tip];
            }
        }
        let u = kr.cholesky().expect("SPD").solve(&f);
        let mut out = [0.0; 6];
        for (i, &g) in free.iter().enumerate() {
            if g >= tip {
                out[g - tip] = u[i];
            }
        }
        out
    }

    fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
        (got - want).abs() <= abs + rel * want.abs()
    }

    const REL: f64 = 1e-9;

    /// Oblique beam: closed forms of Timoshenko beam theory with one and four elements.
    #[test]
    fn cantilever_matches_closed_forms() {
        let (d, nu, kappa, l) = (0.1, 0.3, 0.9, 1.3);
        let dir = Vector3::new(1.0, 2.0, -0.5).normalize();
        // a unit vector perpendicular to the axis
        let perp = dir.cross(&Vector3::new(0.3, -0.1, 1.0)).normalize();
        let s = BeamSection::circular(d, nu, kappa);
        let (ei, ga, gj, ea) = (
            s.inertia,
            s.kappa * s.shear_ratio * s.area,
            s.shear_ratio * s.polar,
            s.area,
        );
        for k in [1, 4] {
            let p = 1e-3;
            // tip force perpendicular to the axis
            let f = perp * p;
            let u = cantilever(&s, dir, l, k, &[], [f.x, f.y, f.z, 0.0, 0.0, 0.0]);
            let defl = Vector3::new(u[0], u[1], u[2]).dot(&perp);
            let want = p * l.powi(3) / (3.0 * ei) + p * l / ga;
            assert!(
                close(defl, want, REL, 1e-15),
                "k={k}: tip deflection {defl} vs {want}"
            );
            let rot = Vector3::new(u[3], u[4], u[5]).norm();
            let want_rot = p * l * l / (2.0 * ei);
            assert!(
                close(rot, want_rot, REL, 1e-15),
                "k={k}: tip rotation {rot} vs {want_rot}"
            );
            // tip moment about the perpendicular axis: rotation ML/EI, deflection ML²/(2EI)
            let m = perp.cross(&dir) * p;
            let u = cantilever(&s, dir, l, k, &[], [0.0, 0.0, 0.0, m.x, m.y, m.z]);
            let rot = Vector3::new(u[3], u[4], u[5]).dot(&perp.cross(&dir));
            assert!(
                close(rot, p * l / ei, REL, 1e-15),
                "k={k}: moment rotation {rot}"
            );
            let defl = Vector3::new(u[0], u[1], u[2]).norm();
            assert!(
                close(defl, p * l * l / (2.0 * ei), REL, 1e-15),
                "k={k}: moment deflection {defl}"
            );
            // torsion
            let t = dir * p;
            let u = cantilever(&s, dir, l, k, &[], [0.0, 0.0, 0.0, t.x, t.y, t.z]);
            let twist = Vector3::new(u[3], u[4], u[5]).dot(&dir);
            assert!(close(twist, p * l / gj, REL, 1e-15), "k={k}: twist {twist}");
            // axial
            let u = cantilever(&s, dir, l, k, &[], [t.x, t.y, t.z, 0.0, 0.0, 0.0]);
            let ext = Vector3::new(u[0], u[1], u[2]).dot(&dir);
            assert!(close(ext, p * l / ea, REL, 1e-15), "k={k}: extension {ext}");
            // clamped-guided: tip rotations fixed: PL³/(12EI) + PL/(κGA)
            let u = cantilever(&s, dir, l, k, &[3, 4, 5], [f.x, f.y, f.z, 0.0, 0.0, 0.0]);
            let defl = Vector3::new(u[0], u[1], u[2]).dot(&perp);
            let want = p * l.powi(3) / (12.0 * ei) + p * l / ga;
            assert!(
                close(defl, want, REL, 1e-15),
                "k={k}: guided deflection {defl} vs {want}"
            );
        }
    }

    #[test]
    fn euler_bernoulli_cantilever_has_no_shear_term() {
        let (d, nu, l) = (0.2, 0.3, 1.0);
        let s = BeamSection::circular(d, nu, f64::INFINITY);
        let p = 1.0;
        let u = cantilever(&s, Vector3::x(), l, 1, &[], [0.0, p, 0.0, 0.0, 0.0, 0.0]);
        let want = p * l.powi(3) / (3.0 * s.inertia);
        assert!(
            close(u[1], want, REL, 0.0),
            "EB deflection {} vs {want}",
            u[1]
        );
        // and the Timoshenko one is larger by exactly PL/(κGA)
        let t = BeamSection::circular(d, nu, 0.9);
        let ut = cantilever(&t, Vector3::x(), l, 1, &[], [0.0, p, 0.0, 0.0, 0.0, 0.0]);
        let shear = p * l / (0.9 * t.shear_ratio * t.area);
        assert!(
            close(ut[1] - u[1], shear, 1e-7, 0.0),
            "shear part {} vs {shear}",
            ut[1] - u[1]
        );
    }

    #[test]
    fn closed_form_equals_rotated_local_matrix() {
        for (d, kappa) in [(0.1, 0.9), (0.3, f64::INFINITY)] {
            let s = BeamSection::circular(d, 0.3, kappa);
            for span in [
                Vector3::new(0.3, -0.7, 0.4),
                Vector3::x(),
                Vector3::new(0.0, 0.0, -2.0),
            ] {
                let a = global_stiffness(&s, &span);
                let b = global_stiffness_by_rotation(&s, &span);
                assert!(
                    (a - b).amax() <= 1e-13 * b.amax(),
                    "span {span:?}: {}",
                    (a - b).amax()
                );
            }
        }
    }

    #[test]
    fn element_is_symmetric_and_has_six_rigid_modes() {
        let s = BeamSection::circular(0.1, 0.3, 0.9);
        let span = Vector3::new(0.3, -0.7, 0.4);
        let k = global_stiffness(&s, &span);
        assert!((k - k.transpose()).amax() <= 1e-14 * k.amax());
        // rigid translations and rotations about node 1
        for axis in 0..3 {
            let mut t = SMatrix::<f64, 12, 1>::zeros();
            t[axis] = 1.0;
            t[6 + axis] = 1.0;
            assert!((k * t).amax() <= 1e-12 * k.amax(), "translation {axis}");
            let mut w = Vector3::zeros();
            w[axis] = 1.0;
            let u2 = w.cross(&span);
            let mut r = SMatrix::<f64, 12, 1>::zeros();
            r.fixed_rows_mut::<3>(3).copy_from(&w);
            r.fixed_rows_mut::<3>(6).copy_from(&u2);
            r.fixed_rows_mut::<3>(9).copy_from(&w);
            assert!((k * r).amax() <= 1e-12 * k.amax(), "rotation {axis}");
        }
        let eig = k.symmetric_eigenvalues();
        let positive = eig.iter().filter(|&&e| e > 1e-10 * k.amax()).count();
        assert_eq!(positive, 6, "eigenvalues {eig:?}");
    }
}
