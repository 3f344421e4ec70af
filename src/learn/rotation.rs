//! Differentiable rotations in burn tensor ops: the Voigt (Bond-matrix) rotation of 21-constant
//! stiffness vectors and the 6D → SO(3) map (Zhou et al., CVPR 2019,
//! doi:10.1109/CVPR.2019.00589).
//!
//! Conventions as in [`crate::mechanics::bond_matrix`]: Voigt order 11, 22, 33, 23, 13, 12 with
//! engineering shear, `C' = M C Mᵀ`; a rotation matrix `R` is stored row-major as `[batch, 3, 3]`.

use burn::tensor::{Device, Tensor, TensorData};

const VOIGT_PAIRS: [(usize, usize); 6] = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)];

/// Constant matrices for Voigt rotations on one device.
///
/// The Bond matrix is a fixed linear map of the 81 pairwise products `R_a R_b` of rotation
/// entries, so `M = (R ⊗ R) · S` is a single matmul with a constant `[81, 36]` selector `S`;
/// gradients flow to `R`.
#[derive(Debug, Clone)]
pub struct VoigtOps {
    bond_selector: Tensor<2>,
    expand21: Tensor<2>,
    pick21: Tensor<2>,
    embed9: Tensor<2>,
}

/// `(row, col)` of the 21 constants (upper triangle row by row).
pub(crate) fn upper21() -> [(usize, usize); 21] {
    let mut out = [(0, 0); 21];
    let mut k = 0;
    for i in 0..6 {
        for j in i..6 {
            out[k] = (i, j);
            k += 1;
        }
    }
    out
}

impl VoigtOps {
    /// Builds the constants on `device`.
    pub fn new(device: &Device) -> VoigtOps {
        let mut sel = vec![0f32; 81 * 36];
        for (bi, &(i, j)) in VOIGT_PAIRS.iter().enumerate() {
            for (bj, &(k, l)) in VOIGT_PAIRS.iter().enumerate() {
                let col = bi * 6 + bj;
                sel[((i * 3 + k) * 9 + (j * 3 + l)) * 36 + col] += 1.0;
                if k != l {
                    sel[((i * 3 + l) * 9 + (j * 3 + k)) * 36 + col] += 1.0;
                }
            }
        }
        let mut expand = vec![0f32; 21 * 36];
        let mut pick = vec![0f32; 36 * 21];
        for (k, (i, j)) in upper21().into_iter().enumerate() {
            expand[k * 36 + i * 6 + j] = 1.0;
            expand[k * 36 + j * 6 + i] = 1.0;
            pick[(i * 6 + j) * 21 + k] = 1.0;
        }
        let mut embed = vec![0f32; 9 * 21];
        for (r, &(k, _)) in crate::dataset::ORTHOTROPIC.iter().enumerate() {
            embed[r * 21 + k] = 1.0;
        }
        let t =
            |v: Vec<f32>, shape: [usize; 2]| Tensor::from_data(TensorData::new(v, shape), device);
        VoigtOps {
            bond_selector: t(sel, [81, 36]),
            expand21: t(expand, [21, 36]),
            pick21: t(pick, [36, 21]),
            embed9: t(embed, [9, 21]),
        }
    }

    /// Bond matrices of rotations.
    ///
    /// # Shapes
    /// `[batch, 3, 3]` → `[batch, 6, 6]`
    pub fn bond(&self, r: Tensor<3>) -> Tensor<3> {
        let [b, _, _] = r.dims();
        let flat = r.reshape([b, 9]);
        let products = flat.clone().reshape([b, 9, 1]) * flat.reshape([b, 1, 9]);
        products
            .reshape([b, 81])
            .matmul(self.bond_selector.clone())
            .reshape([b, 6, 6])
    }

    /// 21 constants → symmetric 6×6.
    ///
    /// # Shapes
    /// `[batch, 21]` → `[batch, 6, 6]`
    pub fn to_matrix(&self, c: Tensor<2>) -> Tensor<3> {
        let [b, _] = c.dims();
        c.matmul(self.expand21.clone()).reshape([b, 6, 6])
    }

    /// 6×6 → its 21 upper-triangle constants.
    ///
    /// # Shapes
    /// `[batch, 6, 6]` → `[batch, 21]`
    pub fn to_constants(&self, m: Tensor<3>) -> Tensor<2> {
        let [b, _, _] = m.dims();
        m.reshape([b, 36]).matmul(self.pick21.clone())
    }

    /// The 9 orthotropic constants (order of [`crate::dataset::ORTHOTROPIC`]) as 21 constants
    /// with zeros elsewhere.
    ///
    /// # Shapes
    /// `[batch, 9]` → `[batch, 21]`
    pub fn embed_orthotropic(&self, c9: Tensor<2>) -> Tensor<2> {
        c9.matmul(self.embed9.clone())
    }

    /// Rotates stiffness constants: `C' = M(R) C M(R)ᵀ`.
    ///
    /// # Shapes
    /// `c: [batch, 21]`, `r: [batch, 3, 3]` → `[batch, 21]`
    pub fn rotate(&self, c: Tensor<2>, r: Tensor<3>) -> Tensor<2> {
        let m = self.bond(r);
        let cm = self.to_matrix(c);
        let out = m.clone().matmul(cm).matmul(m.swap_dims(1, 2));
        self.to_constants(out)
    }
}

/// The 6D rotation representation mapped to SO(3) by Gram–Schmidt: the first three numbers
/// give the first column, the next three the second (orthogonalized), the third column is their
/// cross product. Always a proper rotation (det +1) unless an input vector is zero.
///
/// # Shapes
/// `[batch, 6]` → `[batch, 3, 3]`
pub fn rotation_from_6d(x: Tensor<2>) -> Tensor<3> {
    let eps = 1e-8;
    let a1 = x.clone().narrow(1, 0, 3);
    let a2 = x.narrow(1, 3, 3);
    let norm = |v: Tensor<2>| v.clone().square().sum_dim(1).add_scalar(eps).sqrt();
    let b1 = a1.clone() / norm(a1);
    let proj = (b1.clone() * a2.clone()).sum_dim(1);
    let b2 = a2 - b1.clone() * proj;
    let b2 = b2.clone() / norm(b2);
    let b3 = b1.clone().cross(b2.clone(), 1);
    Tensor::stack::<3>(vec![b1, b2, b3], 2)
}

/// Row-major `[batch, 3, 3]` rotation tensor from f64 matrices.
pub fn rotation_tensor(rs: &[[f64; 9]], device: &Device) -> Tensor<3> {
    let flat: Vec<f32> = rs.iter().flatten().map(|&v| v as f32).collect();
    Tensor::from_data(TensorData::new(flat, [rs.len(), 3, 3]), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mechanics::{Stiffness, bond_matrix};
    use nalgebra::Matrix3;
    use rand::{Rng, SeedableRng};

    fn random_rotation(rng: &mut impl Rng) -> Matrix3<f64> {
        crate::dataset::uniform_rotation(rng).matrix("R").unwrap()
    }

    fn random_spd21(rng: &mut impl Rng) -> [f64; 21] {
        let a = nalgebra::Matrix6::<f64>::from_fn(|_, _| rng.random_range(-1.0..1.0));
        let m = a * a.transpose() + nalgebra::Matrix6::identity() * 0.5;
        Stiffness::try_from_voigt(m).unwrap().to_constants()
    }

    fn flat(r: &Matrix3<f64>) -> [f64; 9] {
        std::array::from_fn(|k| r[(k / 3, k % 3)])
    }

    #[test]
    fn voigt_rotation_matches_mechanics_bond_matrix() {
        let device = Device::flex();
        let ops = VoigtOps::new(&device);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 16;
        let rs: Vec<Matrix3<f64>> = (0..n).map(|_| random_rotation(&mut rng)).collect();
        let cs: Vec<[f64; 21]> = (0..n).map(|_| random_spd21(&mut rng)).collect();
        // Bond matrices.
        let m = ops.bond(rotation_tensor(
            &rs.iter().map(flat).collect::<Vec<_>>(),
            &device,
        ));
        let m: Vec<f32> = m.into_data().try_into_vec().unwrap();
        for (b, r) in rs.iter().enumerate() {
            let want = bond_matrix(r);
            for i in 0..6 {
                for j in 0..6 {
                    let got = m[b * 36 + i * 6 + j] as f64;
                    assert!((got - want[(i, j)]).abs() < 1e-5, "M[{i},{j}]");
                }
            }
        }
        // Rotated stiffness.
        let c: Vec<f32> = cs.iter().flatten().map(|&v| v as f32).collect();
        let c = Tensor::<2>::from_data(TensorData::new(c, [n, 21]), &device);
        let out = ops.rotate(
            c,
            rotation_tensor(&rs.iter().map(flat).collect::<Vec<_>>(), &device),
        );
        let out: Vec<f32> = out.into_data().try_into_vec().unwrap();
        for b in 0..n {
            let s = Stiffness::try_from_values(&cs[b]).unwrap();
            let want = s.rotated(&rs[b]).to_constants();
            let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for k in 0..21 {
                let got = out[b * 21 + k] as f64;
                assert!(
                    (got - want[k]).abs() < 1e-5 * scale + 1e-6,
                    "row {b} constant {k}: {got} vs {}",
                    want[k]
                );
            }
        }
    }

    #[test]
    fn rotation_gradient_matches_finite_differences() {
        // d/dx of L = Σ w ⊙ rotate(c, R(x)) with R from the 6D map, against central differences
        // of the same f32 computation (no autodiff) at a few coordinates.
        let device = Device::flex();
        let ad = device.clone().autodiff();
        let ops = VoigtOps::new(&ad);
        let plain = VoigtOps::new(&device);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let c = random_spd21(&mut rng);
        let w: Vec<f32> = (0..21).map(|_| rng.random_range(-1.0..1.0)).collect();
        let x0: Vec<f32> = (0..6).map(|_| rng.random_range(-1.0..1.0)).collect();
        let loss = |ops: &VoigtOps, x: Tensor<2>, dev: &Device| -> Tensor<1> {
            let ct = Tensor::<2>::from_data(
                TensorData::new(c.iter().map(|&v| v as f32).collect::<Vec<_>>(), [1, 21]),
                dev,
            );
            let wt = Tensor::<2>::from_data(TensorData::new(w.clone(), [1, 21]), dev);
            (ops.rotate(ct, rotation_from_6d(x)) * wt).sum()
        };
        let x = Tensor::<2>::from_data(TensorData::new(x0.clone(), [1, 6]), &ad).require_grad();
        let grads = loss(&ops, x.clone(), &ad).backward();
        let g: Vec<f32> = x.grad(&grads).unwrap().into_data().try_into_vec().unwrap();
        assert!(g.iter().any(|v| v.abs() > 1e-3), "gradient vanished: {g:?}");
        let h = 1e-2f32;
        for k in 0..6 {
            let eval = |d: f32| -> f64 {
                let mut x = x0.clone();
                x[k] += d;
                let t = Tensor::<2>::from_data(TensorData::new(x, [1, 6]), &device);
                loss(&plain, t, &device).into_scalar::<f32>() as f64
            };
            let fd = (eval(h) - eval(-h)) / (2.0 * h as f64);
            let tol = 2e-3 + 2e-2 * fd.abs();
            assert!(
                (fd - g[k] as f64).abs() < tol,
                "coordinate {k}: autodiff {} vs finite difference {fd}",
                g[k]
            );
        }
    }

    #[test]
    fn six_d_gives_proper_orthonormal_rotations() {
        let device = Device::flex();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let n = 64;
        let x: Vec<f32> = (0..n * 6).map(|_| rng.random_range(-3.0..3.0)).collect();
        let r = rotation_from_6d(Tensor::from_data(TensorData::new(x, [n, 6]), &device));
        let r: Vec<f32> = r.into_data().try_into_vec().unwrap();
        for b in 0..n {
            let m = Matrix3::from_fn(|i, j| r[b * 9 + i * 3 + j] as f64);
            let e = (m.transpose() * m - Matrix3::identity()).abs().max();
            assert!(e < 1e-5, "RᵀR − I = {e}");
            assert!(
                (m.determinant() - 1.0).abs() < 1e-5,
                "det {}",
                m.determinant()
            );
        }
    }
}
