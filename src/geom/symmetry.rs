//! The symmetries of the cube as exact signed permutation matrices.
//!
//! A signed permutation matrix `Q` has one non-zero entry, ±1, in every row and column:
//! column `i` has `sign[i]` in row `perm[i]`. Every function here lists them in one fixed
//! order (permutations in [`PERMUTATIONS_3`] order, then signs with bit `i` of `s = 0..8`
//! negating axis `i`), so what is built from them is deterministic.

/// The six permutations of three axes, in lexicographic order.
pub const PERMUTATIONS_3: [[usize; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];

/// A 3 × 3 signed permutation matrix, `q[row][column]`.
pub type SignedPermutation = [[i8; 3]; 3];

/// The 48 symmetries of the cube (every axis permutation with every choice of signs), in the
/// fixed order of the [module docs](self).
pub fn cube_symmetries() -> impl Iterator<Item = SignedPermutation> {
    PERMUTATIONS_3.into_iter().flat_map(|perm| {
        (0..8).map(move |s| {
            let sign = [0, 1, 2].map(|i| if s >> i & 1 == 1 { -1 } else { 1 });
            std::array::from_fn(|row| {
                std::array::from_fn(|col| if perm[col] == row { sign[col] } else { 0 })
            })
        })
    })
}

/// The 24 proper rotations of the cube (the [`cube_symmetries`] of determinant +1), in the
/// same order.
pub fn cube_rotations() -> impl Iterator<Item = SignedPermutation> {
    cube_symmetries().filter(|q| determinant(q) == 1)
}

/// The determinant of a signed permutation matrix (±1), exactly.
pub fn determinant(q: &SignedPermutation) -> i8 {
    let q = q.map(|row| row.map(i32::from));
    let det = q[0][0] * (q[1][1] * q[2][2] - q[1][2] * q[2][1])
        - q[0][1] * (q[1][0] * q[2][2] - q[1][2] * q[2][0])
        + q[0][2] * (q[1][0] * q[2][1] - q[1][1] * q[2][0]);
    det as i8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cube_has_48_distinct_symmetries_and_24_rotations() {
        let all: Vec<_> = cube_symmetries().collect();
        assert_eq!(all.len(), 48);
        let distinct: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), 48);
        for q in &all {
            // Orthogonal: Qᵀ Q = I, so the determinant is ±1.
            for a in 0..3 {
                for b in 0..3 {
                    let dot: i32 = (0..3).map(|r| i32::from(q[r][a] * q[r][b])).sum();
                    assert_eq!(dot, i32::from(a == b));
                }
            }
            assert_eq!(determinant(q).abs(), 1);
        }
        let rotations: Vec<_> = cube_rotations().collect();
        assert_eq!(rotations.len(), 24);
        // Closed under composition (a group): the product of two rotations is a rotation.
        let set: std::collections::BTreeSet<_> = rotations.iter().copied().collect();
        for a in &rotations {
            for b in &rotations {
                let ab: SignedPermutation = std::array::from_fn(|r| {
                    std::array::from_fn(|c| (0..3).map(|k| a[r][k] * b[k][c]).sum())
                });
                assert!(set.contains(&ab));
            }
        }
    }

    #[test]
    fn column_i_carries_its_sign_in_row_perm_i() {
        // perm [1, 2, 0], s = 0b101: axes 0 and 2 negated.
        let q = cube_symmetries().nth(3 * 8 + 5).unwrap();
        assert_eq!(q, [[0, 0, -1], [-1, 0, 0], [0, 1, 0]]);
        assert_eq!(determinant(&q), 1);
    }
}
