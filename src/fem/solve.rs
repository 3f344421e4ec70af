//! Sparse Cholesky (faer) with the symbolic factorization kept per topology.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::LltError;
use faer::linalg::cholesky::llt::factor::LltRegularization;
use faer::sparse::linalg::cholesky::{
    CholeskySymbolicParams, LltRef, SymbolicCholesky, SymbolicCholeskyRaw, SymmetricOrdering,
    factorize_symbolic_cholesky, supernodal,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};

use super::FemError;
use super::assembly::Pattern;

/// A pivot `L_jj²` below this fraction of the original diagonal `K_jj` marks a (numerically)
/// zero-energy mode. Genuine pivots of beam frames in the design space are above ~1e-6.
pub(crate) const PIVOT_TOLERANCE: f64 = 1e-11;

/// The outcome of a failed factorization: the reduced DOF and its relative pivot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BadPivot {
    pub dof: usize,
    pub ratio: f64,
}

/// The symbolic Cholesky factorization of one topology, with its numeric workspace.
pub(crate) struct CholeskySolver {
    symbolic: SymbolicCholesky<usize>,
    l_values: Vec<f64>,
    mem: MemBuffer,
    pivots: Vec<f64>,
    /// `fwd[j]`: the original index of permuted index `j` (empty: identity).
    fwd: Vec<usize>,
    /// Right-hand sides solved at once.
    columns: usize,
    /// Parallelism of the numeric factorization and solve.
    par: Par,
}

impl std::fmt::Debug for CholeskySolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CholeskySolver")
            .field("n", &self.symbolic.nrows())
            .finish()
    }
}

impl CholeskySolver {
    /// Symbolic analysis (AMD ordering, elimination tree, supernodes) of a pattern, for six
    /// right-hand sides solved sequentially (the homogenization's load cases).
    pub fn new(pattern: &Pattern) -> Result<Self, FemError> {
        Self::with_columns(pattern, 6, Par::Seq)
    }

    /// Symbolic analysis of a pattern for `columns` right-hand sides, factorizing and
    /// solving with parallelism `par`.
    pub fn with_columns(pattern: &Pattern, columns: usize, par: Par) -> Result<Self, FemError> {
        let n = pattern.n;
        let a =
            SymbolicSparseColMatRef::new_checked(n, n, &pattern.col_ptr, None, &pattern.row_idx);
        let symbolic = factorize_symbolic_cholesky(
            a,
            Side::Upper,
            SymmetricOrdering::Amd,
            CholeskySymbolicParams {
                supernodal_flop_ratio_threshold:
                    faer::sparse::linalg::SupernodalThreshold::FORCE_SUPERNODAL,
                ..Default::default()
            },
        )
        .map_err(FemError::Solver)?;
        let req = StackReq::any_of(&[
            symbolic.factorize_numeric_llt_scratch::<f64>(par, Default::default()),
            symbolic.solve_in_place_scratch::<f64>(columns, par),
        ]);
        let mem = MemBuffer::try_new(req).map_err(|e| FemError::Solver(e.into()))?;
        let l_values = vec![0.0; symbolic.len_val()];
        let fwd = symbolic
            .perm()
            .map_or(Vec::new(), |p| p.arrays().0.to_vec());
        Ok(Self {
            symbolic,
            l_values,
            mem,
            pivots: vec![0.0; n],
            fwd,
            columns,
            par,
        })
    }

    /// Stored entries of the factor `L`.
    pub fn factor_entries(&self) -> usize {
        self.l_values.len()
    }

    fn original(&self, j: usize) -> usize {
        if self.fwd.is_empty() { j } else { self.fwd[j] }
    }

    /// Factorizes the matrix with the given values (upper triangle, the pattern's layout),
    /// checks every pivot, and solves `K X = rhs` in place (`rhs`: `n × columns`,
    /// column-major).
    pub fn factor_solve(
        &mut self,
        pattern: &Pattern,
        values: &[f64],
        rhs: &mut [f64],
    ) -> Result<(), BadPivot> {
        let n = pattern.n;
        let sym =
            SymbolicSparseColMatRef::new_checked(n, n, &pattern.col_ptr, None, &pattern.row_idx);
        let a = SparseColMatRef::new(sym, values);
        let mut regularization = LltRegularization::default();
        let mut failed = false;
        loop {
            let result = self.symbolic.factorize_numeric_llt::<f64>(
                &mut self.l_values,
                a,
                Side::Upper,
                regularization,
                self.par,
                MemStack::new(&mut self.mem),
                Default::default(),
            );
            match result {
                Ok(_) => break,
                Err(LltError::NonPositivePivot { .. }) if !failed => {
                    // faer's reported index is not reliably 0-based across its kernels:
                    // refactor with a tiny regularization to locate the worst pivot below
                    failed = true;
                    let scale = pattern
                        .diag
                        .iter()
                        .map(|&p| values[p].abs())
                        .fold(0.0, f64::max);
                    let tiny = PIVOT_TOLERANCE * scale.max(f64::MIN_POSITIVE);
                    regularization = LltRegularization {
                        dynamic_regularization_delta: tiny,
                        dynamic_regularization_epsilon: tiny,
                    };
                }
                Err(_) => {
                    return Err(BadPivot {
                        dof: 0,
                        ratio: f64::NAN,
                    });
                }
            }
        }
        // pivot check: L_jj² against the original diagonal of the same DOF
        diagonal_of_factor(&self.symbolic, &self.l_values, &mut self.pivots);
        let mut worst = BadPivot {
            dof: 0,
            ratio: f64::INFINITY,
        };
        for (j, &l) in self.pivots.iter().enumerate() {
            let o = self.original(j);
            let diag = values[pattern.diag[o]];
            let ratio = if diag > 0.0 { l * l / diag } else { 0.0 };
            if ratio < worst.ratio {
                worst = BadPivot { dof: o, ratio };
            }
        }
        if failed || worst.ratio.is_nan() || worst.ratio <= PIVOT_TOLERANCE {
            return Err(worst);
        }
        let llt = LltRef::<'_, usize, f64>::new(&self.symbolic, &self.l_values);
        let rhs = MatMut::from_column_major_slice_mut(rhs, n, self.columns);
        llt.solve_in_place_with_conj(Conj::No, rhs, self.par, MemStack::new(&mut self.mem));
        Ok(())
    }
}

/// The diagonal of the Cholesky factor `L` (in the permuted order).
fn diagonal_of_factor(symbolic: &SymbolicCholesky<usize>, values: &[f64], out: &mut [f64]) {
    match symbolic.raw() {
        SymbolicCholeskyRaw::Simplicial(s) => {
            let l = s.factor();
            let (col_ptr, row_idx) = (l.col_ptr(), l.row_idx());
            for (j, d) in out.iter_mut().enumerate() {
                let range = col_ptr[j]..col_ptr[j + 1];
                *d = range
                    .clone()
                    .find(|&p| row_idx[p] == j)
                    .map_or(0.0, |p| values[p]);
            }
        }
        SymbolicCholeskyRaw::Supernodal(s) => {
            let l = supernodal::SupernodalLltRef::<'_, usize, f64>::new(s, values);
            for k in 0..s.n_supernodes() {
                let node = l.supernode(k);
                let m = node.val();
                for i in 0..m.ncols() {
                    out[node.start() + i] = m[(i, i)];
                }
            }
        }
    }
}
