//! The validated 6×6 stiffness type.

use std::f64::consts::SQRT_2;

use nalgebra::{Matrix3, SymmetricEigen, Vector3, Vector6};
use serde::Serialize;

use super::rotation::VOIGT_PAIRS;
use super::{MechanicsError, Voigt, bond_matrix};

/// Relative tolerance for `|C_ij − C_ji|`, as a fraction of the largest entry: measured
/// stiffnesses are often printed to three digits, so exact symmetry cannot be asked for.
pub const SYMMETRY_TOLERANCE: f64 = 1e-3;

/// An eigenvalue at or below `POSITIVE_DEFINITE_TOLERANCE · λ_max` counts as non-positive.
pub const POSITIVE_DEFINITE_TOLERANCE: f64 = 1e-12;

/// The Voigt index (0..6, order 11 22 33 23 13 12) of the tensor index pair `(i, j)`, 0-based.
///
/// # Panics
/// If `i` or `j` is not in `0..3`.
#[track_caller]
pub fn voigt_index(i: usize, j: usize) -> usize {
    assert!(
        i < 3 && j < 3,
        "tensor indices must be in 0..3, got ({i}, {j})"
    );
    if i == j { i } else { 6 - i - j }
}

/// A symmetric positive-definite 6×6 stiffness in Voigt form (engineering shear strains).
///
/// The unit is the caller's: inside the engine it is normalized by the base material's
/// Young's modulus; [`Stiffness::from_gpa`] and [`Stiffness::to_gpa`] convert at the
/// boundaries. The invariant (finite, symmetric, positive definite) holds for every value of
/// this type.
#[derive(Debug, Clone, PartialEq)]
pub struct Stiffness {
    voigt: Voigt,
}

/// The extremes of the directional Young's modulus `E(n)` over all unit directions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DirectionalExtremes {
    /// The smallest `E(n)`, in the stiffness's unit.
    pub min: f64,
    /// A direction (unit vector) where it is reached.
    pub min_direction: [f64; 3],
    /// The largest `E(n)`.
    pub max: f64,
    /// A direction (unit vector) where it is reached.
    pub max_direction: [f64; 3],
}

impl Stiffness {
    /// Validates a 6×6 Voigt matrix: every entry finite, symmetric within
    /// [`SYMMETRY_TOLERANCE`] (then symmetrized), and positive definite.
    ///
    /// # Errors
    /// [`MechanicsError::NonFinite`], [`MechanicsError::NotSymmetric`] or
    /// [`MechanicsError::NotPositiveDefinite`], naming the entry or the eigenvalue.
    pub fn try_from_voigt(m: Voigt) -> Result<Self, MechanicsError> {
        for row in 0..6 {
            for col in 0..6 {
                let value = m[(row, col)];
                if !value.is_finite() {
                    return Err(MechanicsError::NonFinite {
                        row: row + 1,
                        col: col + 1,
                        value,
                    });
                }
            }
        }
        let scale = m.amax();
        for row in 0..6 {
            for col in row + 1..6 {
                let (upper, lower) = (m[(row, col)], m[(col, row)]);
                if (upper - lower).abs() > SYMMETRY_TOLERANCE * scale {
                    return Err(MechanicsError::NotSymmetric {
                        row: row + 1,
                        col: col + 1,
                        upper,
                        lower,
                        tolerance: SYMMETRY_TOLERANCE,
                    });
                }
            }
        }
        let voigt = (m + m.transpose()) * 0.5;
        if let Some((min_eigenvalue, eigenvector)) =
            Self::lowest_mode_if_not_positive_definite(voigt, POSITIVE_DEFINITE_TOLERANCE)
        {
            return Err(MechanicsError::NotPositiveDefinite {
                min_eigenvalue,
                eigenvector,
            });
        }
        Ok(Self { voigt })
    }

    /// The positive-definiteness check of a symmetric 6×6 matrix `sym`: `None` when it is
    /// positive definite, else its lowest eigenvalue and that eigenvalue's unit eigenvector
    /// (entries rounded to 4 decimals). Not positive definite means the lowest eigenvalue is
    /// NaN or at most `relative_tolerance` × |largest eigenvalue|, or the largest is ≤ 0.
    pub(crate) fn lowest_mode_if_not_positive_definite(
        sym: Voigt,
        relative_tolerance: f64,
    ) -> Option<(f64, [f64; 6])> {
        let eig = SymmetricEigen::new(sym);
        let (k, &min_eigenvalue) = eig
            .eigenvalues
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .expect("six eigenvalues");
        let max_eigenvalue = eig.eigenvalues.max();
        let not_positive_definite = min_eigenvalue.is_nan()
            || min_eigenvalue <= relative_tolerance * max_eigenvalue.abs()
            || max_eigenvalue <= 0.0;
        if !not_positive_definite {
            return None;
        }
        let v = eig.eigenvectors.column(k);
        Some((
            min_eigenvalue,
            std::array::from_fn(|i| (v[i] * 1e4).round() / 1e4),
        ))
    }

    /// Validates a stiffness given as 21 upper-triangle constants (C11 C12 … C16 C22 … C66)
    /// or as the 36 entries of the 6×6 matrix, row by row.
    ///
    /// # Errors
    /// [`MechanicsError::WrongCount`] for any other length, else as [`Self::try_from_voigt`].
    pub fn try_from_values(values: &[f64]) -> Result<Self, MechanicsError> {
        match values.len() {
            21 => Self::try_from_voigt(voigt_from_constants(values)),
            36 => Self::try_from_voigt(Voigt::from_row_slice(values)),
            found => Err(MechanicsError::WrongCount { found }),
        }
    }

    /// Validates a stiffness given as six rows of six entries.
    ///
    /// # Errors
    /// [`MechanicsError::WrongCount`] / [`MechanicsError::RaggedRow`] for the wrong shape, else
    /// as [`Self::try_from_voigt`].
    pub fn try_from_rows(rows: &[Vec<f64>]) -> Result<Self, MechanicsError> {
        if rows.len() != 6 {
            return Err(MechanicsError::WrongCount {
                found: rows.iter().map(Vec::len).sum(),
            });
        }
        if let Some((row, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != 6) {
            return Err(MechanicsError::RaggedRow {
                row: row + 1,
                found: r.len(),
            });
        }
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        Self::try_from_values(&flat)
    }

    /// Validates a stiffness in GPa (21 constants or 36 entries) and normalizes it by the base
    /// material's Young's modulus `youngs_modulus_gpa`.
    ///
    /// Validation happens on the GPa values, so errors quote what the user wrote.
    ///
    /// # Errors
    /// As [`Self::try_from_values`].
    ///
    /// # Panics
    /// If `youngs_modulus_gpa` is not positive and finite (a caller bug: specs validate it).
    #[track_caller]
    pub fn from_gpa(values: &[f64], youngs_modulus_gpa: f64) -> Result<Self, MechanicsError> {
        assert!(
            youngs_modulus_gpa.is_finite() && youngs_modulus_gpa > 0.0,
            "Young's modulus must be positive, got {youngs_modulus_gpa}"
        );
        Ok(Self::try_from_values(values)?.scaled(1.0 / youngs_modulus_gpa))
    }

    /// The symmetric Voigt matrix of 21 upper-triangle constants, unvalidated (for scoring
    /// predictions that need not be positive definite).
    ///
    /// # Panics
    /// If `c` does not hold exactly 21 values.
    #[track_caller]
    pub fn voigt_from_constants(c: &[f64]) -> Voigt {
        voigt_from_constants(c)
    }

    /// The stiffness multiplied by `factor` (> 0), e.g. to convert units.
    ///
    /// # Panics
    /// If `factor` is not positive and finite.
    #[track_caller]
    pub fn scaled(&self, factor: f64) -> Self {
        assert!(
            factor.is_finite() && factor > 0.0,
            "scale factor must be positive, got {factor}"
        );
        Self {
            voigt: self.voigt * factor,
        }
    }

    /// The 6×6 Voigt matrix in GPa for a base material of Young's modulus
    /// `youngs_modulus_gpa`, assuming `self` is normalized.
    pub fn to_gpa(&self, youngs_modulus_gpa: f64) -> Voigt {
        self.voigt * youngs_modulus_gpa
    }

    /// The symmetric 6×6 Voigt matrix.
    pub fn voigt(&self) -> &Voigt {
        &self.voigt
    }

    /// The 21 independent constants, upper triangle row by row (C11 C12 … C16 C22 … C66).
    pub fn to_constants(&self) -> [f64; 21] {
        constants_from_voigt(&self.voigt)
    }

    /// The full 4th-order tensor `C_ijkl` (minor and major symmetric).
    pub fn to_tensor(&self) -> [[[[f64; 3]; 3]; 3]; 3] {
        let mut t = [[[[0.0; 3]; 3]; 3]; 3];
        for (i, ti) in t.iter_mut().enumerate() {
            for (j, tij) in ti.iter_mut().enumerate() {
                for (k, tijk) in tij.iter_mut().enumerate() {
                    for (l, v) in tijk.iter_mut().enumerate() {
                        *v = self.voigt[(voigt_index(i, j), voigt_index(k, l))];
                    }
                }
            }
        }
        t
    }

    /// The Voigt matrix of a 4th-order tensor (reads `C_ijkl` at the canonical index pairs).
    ///
    /// # Errors
    /// As [`Self::try_from_voigt`].
    pub fn try_from_tensor(t: &[[[[f64; 3]; 3]; 3]; 3]) -> Result<Self, MechanicsError> {
        let mut m = Voigt::zeros();
        for (a, &(i, j)) in VOIGT_PAIRS.iter().enumerate() {
            for (b, &(k, l)) in VOIGT_PAIRS.iter().enumerate() {
                m[(a, b)] = t[i][j][k][l];
            }
        }
        Self::try_from_voigt(m)
    }

    /// The stiffness of the material rotated by `r ∈ SO(3)`: `C' = M(r) C M(r)ᵀ`.
    ///
    /// # Panics
    /// If `r` is not a rotation (orthonormal with det +1) within 1e-6.
    #[track_caller]
    pub fn rotated(&self, r: &Matrix3<f64>) -> Self {
        let err = (r.transpose() * r - Matrix3::identity()).amax();
        assert!(
            err < 1e-6 && r.determinant() > 0.0,
            "not a rotation matrix: {r}"
        );
        let m = bond_matrix(r);
        let c = m * self.voigt * m.transpose();
        Self {
            voigt: (c + c.transpose()) * 0.5,
        }
    }

    /// The six eigenvalues of the stiffness tensor (Kelvin–Mandel form, shear rows and columns
    /// scaled by √2), ascending. Unlike the eigenvalues of the Voigt matrix these are invariant
    /// under rotation; both have the same signs.
    pub fn eigenvalues(&self) -> [f64; 6] {
        let w = Vector6::new(1.0, 1.0, 1.0, SQRT_2, SQRT_2, SQRT_2);
        let kelvin = Voigt::from_fn(|i, j| self.voigt[(i, j)] * w[i] * w[j]);
        let mut e: [f64; 6] = SymmetricEigen::new(kelvin).eigenvalues.into();
        e.sort_by(f64::total_cmp);
        e
    }

    /// The compliance `S = C⁻¹` (Voigt, engineering shear: `ε = S σ`).
    pub fn compliance(&self) -> Voigt {
        self.voigt
            .cholesky()
            .expect("positive definite by construction")
            .inverse()
    }

    /// The directional Young's modulus `E(n) = 1 / (aᵀ S a)` with
    /// `a = (n₁², n₂², n₃², n₂n₃, n₁n₃, n₁n₂)` for the unit vector along `n`.
    ///
    /// # Errors
    /// [`MechanicsError::ZeroDirection`] for a zero or non-finite `n`.
    pub fn youngs_modulus(&self, n: [f64; 3]) -> Result<f64, MechanicsError> {
        let v = Vector3::from(n);
        let norm = v.norm();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(MechanicsError::ZeroDirection(n[0], n[1], n[2]));
        }
        Ok(youngs_modulus_with(&self.compliance(), &(v / norm)))
    }

    /// The smallest and largest directional Young's modulus, found by sampling a Fibonacci
    /// sphere (4000 directions) and refining the best sample by local pattern search.
    ///
    /// The refined values are within 1e-9 relative of a local extremum; a global extremum
    /// narrower than the sampling spacing (≈ 3.2°) could be missed.
    pub fn directional_extremes(&self) -> DirectionalExtremes {
        let s = self.compliance();
        let e = |n: &Vector3<f64>| youngs_modulus_with(&s, &n.normalize());
        let dirs = fibonacci_sphere(4000);
        let (mut lo, mut hi) = (dirs[0], dirs[0]);
        for d in &dirs {
            if e(d) < e(&lo) {
                lo = *d;
            }
            if e(d) > e(&hi) {
                hi = *d;
            }
        }
        let lo = refine_direction(lo, |n| e(n));
        let hi = refine_direction(hi, |n| -e(n));
        DirectionalExtremes {
            min: e(&lo),
            min_direction: lo.normalize().into(),
            max: e(&hi),
            max_direction: hi.normalize().into(),
        }
    }

    /// Voigt and Reuss averages of the bulk and shear moduli, `(K_V, K_R, G_V, G_R)`.
    pub fn voigt_reuss_moduli(&self) -> (f64, f64, f64, f64) {
        let c = &self.voigt;
        let s = self.compliance();
        let k_v =
            (c[(0, 0)] + c[(1, 1)] + c[(2, 2)] + 2.0 * (c[(0, 1)] + c[(1, 2)] + c[(0, 2)])) / 9.0;
        let g_v = (c[(0, 0)] + c[(1, 1)] + c[(2, 2)] - c[(0, 1)] - c[(1, 2)] - c[(0, 2)]
            + 3.0 * (c[(3, 3)] + c[(4, 4)] + c[(5, 5)]))
            / 15.0;
        let k_r =
            1.0 / (s[(0, 0)] + s[(1, 1)] + s[(2, 2)] + 2.0 * (s[(0, 1)] + s[(1, 2)] + s[(0, 2)]));
        let g_r = 15.0
            / (4.0 * (s[(0, 0)] + s[(1, 1)] + s[(2, 2)])
                - 4.0 * (s[(0, 1)] + s[(1, 2)] + s[(0, 2)])
                + 3.0 * (s[(3, 3)] + s[(4, 4)] + s[(5, 5)]));
        (k_v, k_r, g_v, g_r)
    }

    /// The universal anisotropy index `A^U = 5 G_V/G_R + K_V/K_R − 6` (Ranganathan &
    /// Ostoja-Starzewski 2008, doi:10.1103/PhysRevLett.101.055504): 0 for isotropy, larger
    /// the more anisotropic.
    pub fn universal_anisotropy(&self) -> f64 {
        let (k_v, k_r, g_v, g_r) = self.voigt_reuss_moduli();
        (5.0 * g_v / g_r + k_v / k_r - 6.0).max(0.0)
    }
}

/// The 6×6 symmetric Voigt matrix of 21 upper-triangle constants.
///
/// # Panics
/// If `c` does not hold exactly 21 values.
#[track_caller]
pub(crate) fn voigt_from_constants(c: &[f64]) -> Voigt {
    assert_eq!(c.len(), 21, "21 constants expected");
    let mut m = Voigt::zeros();
    let mut k = 0;
    for i in 0..6 {
        for j in i..6 {
            m[(i, j)] = c[k];
            m[(j, i)] = c[k];
            k += 1;
        }
    }
    m
}

/// The 21 upper-triangle constants of a Voigt matrix, row by row.
pub(crate) fn constants_from_voigt(m: &Voigt) -> [f64; 21] {
    let mut c = [0.0; 21];
    let mut k = 0;
    for i in 0..6 {
        for j in i..6 {
            c[k] = m[(i, j)];
            k += 1;
        }
    }
    c
}

/// `n ⊗ n` of a unit vector in Voigt order: `(n₁², n₂², n₃², n₂n₃, n₁n₃, n₁n₂)`.
pub(crate) fn direction_voigt(n: &Vector3<f64>) -> Vector6<f64> {
    Vector6::new(
        n.x * n.x,
        n.y * n.y,
        n.z * n.z,
        n.y * n.z,
        n.x * n.z,
        n.x * n.y,
    )
}

fn youngs_modulus_with(s: &Voigt, n: &Vector3<f64>) -> f64 {
    let a = direction_voigt(n);
    1.0 / (a.transpose() * s * a)[(0, 0)]
}

/// `count` nearly uniform unit vectors (golden-angle spiral).
pub(crate) fn fibonacci_sphere(count: usize) -> Vec<Vector3<f64>> {
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    (0..count)
        .map(|i| {
            let z = 1.0 - 2.0 * (i as f64 + 0.5) / count as f64;
            let r = (1.0 - z * z).sqrt();
            let phi = golden * i as f64;
            Vector3::new(r * phi.cos(), r * phi.sin(), z)
        })
        .collect()
}

/// Minimizes `f` over directions near `start` by a shrinking pattern search.
fn refine_direction(start: Vector3<f64>, f: impl Fn(&Vector3<f64>) -> f64) -> Vector3<f64> {
    let mut best = start.normalize();
    let mut best_value = f(&best);
    let mut step = 0.05;
    while step > 1e-10 {
        let mut improved = false;
        for axis in 0..3 {
            for sign in [-1.0, 1.0] {
                let mut trial = best;
                trial[axis] += sign * step;
                let trial = trial.normalize();
                let value = f(&trial);
                if value < best_value {
                    best = trial;
                    best_value = value;
                    improved = true;
                }
            }
        }
        if !improved {
            step *= 0.5;
        }
    }
    best
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
