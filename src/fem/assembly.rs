//! Assembly of the reduced periodic stiffness matrix, the six load vectors and the affine
//! energy.
//!
//! The matrix is stored as its upper triangle in compressed sparse columns. The pattern and
//! the scatter map (element entry → value slot) depend only on the topology and are built
//! once per topology; the numeric assembly then only adds numbers. A strut from a node to
//! its own periodic image (`p == q`) scatters all four of its 6×6 blocks onto the node's
//! diagonal block — the sum `K_pp + K_pq + K_qp + K_qq` that periodicity demands.

use nalgebra::{Matrix6, SMatrix, Vector3};

use super::element::{BeamSection, Matrix12, global_stiffness};
use super::periodic::Topology;
use crate::design_space::PeriodicCell;

/// Marks a pinned DOF in [`Pattern::element_dofs`].
pub(crate) const PINNED: u32 = u32::MAX;

/// The sparsity pattern (upper triangle, CSC) and scatter maps of one topology.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// Matrix dimension (reduced DOFs).
    pub n: usize,
    /// Column pointers, `n + 1`.
    pub col_ptr: Vec<usize>,
    /// Row indices (sorted within each column, all `≤` the column).
    pub row_idx: Vec<usize>,
    /// Slot of the diagonal entry of each column.
    pub diag: Vec<usize>,
    /// Per element: the 12 reduced DOF indices (`PINNED` if pinned).
    pub element_dofs: Vec<[u32; 12]>,
    /// Per element: its range in `scatter`.
    pub scatter_ptr: Vec<usize>,
    /// `(value slot, local entry 12·i + j)` for every upper-triangle contribution.
    pub scatter: Vec<(u32, u8)>,
}

impl Pattern {
    /// Builds the pattern of a periodic topology.
    pub fn build(topo: &Topology) -> Self {
        let pairs: Vec<(u32, u32)> = topo.elements.iter().map(|e| (e.p, e.q)).collect();
        Self::from_elements(topo.total_nodes, topo.dofs(), &pairs, |node, c| {
            topo.dof(node, c)
        })
    }

    /// Builds the pattern of `nodes` nodes joined by two-node elements `(p, q)` (each with
    /// 6 DOFs per node), where `dof(node, c)` is the reduced index of DOF `c` (0..6) of
    /// `node` in `0..n` (`None` if the DOF is fixed). Reduced indices must increase with the
    /// node, then with `c`.
    pub fn from_elements(
        nodes: usize,
        n: usize,
        elements: &[(u32, u32)],
        dof: impl Fn(usize, usize) -> Option<usize>,
    ) -> Self {
        let mut adj: Vec<Vec<u32>> = (0..nodes).map(|i| vec![i as u32]).collect();
        for &(p, q) in elements {
            adj[p as usize].push(q);
            adj[q as usize].push(p);
        }
        for a in &mut adj {
            a.sort_unstable();
            a.dedup();
        }
        let (col_ptr, row_idx, diag) = upper_pattern(n, &adj, &dof);
        let slot = |row: usize, col: usize| -> u32 {
            let rows = &row_idx[col_ptr[col]..col_ptr[col + 1]];
            let i = rows.binary_search(&row).expect("entry in the pattern");
            (col_ptr[col] + i) as u32
        };
        let mut element_dofs = Vec::with_capacity(elements.len());
        let mut scatter_ptr = Vec::with_capacity(elements.len() + 1);
        let mut scatter = Vec::new();
        scatter_ptr.push(0);
        for &(p, q) in elements {
            let dofs: [u32; 12] = std::array::from_fn(|l| {
                let node = if l < 6 { p } else { q } as usize;
                dof(node, l % 6).map_or(PINNED, |d| d as u32)
            });
            for i in 0..12 {
                for j in 0..12 {
                    let (gi, gj) = (dofs[i], dofs[j]);
                    if gi != PINNED && gj != PINNED && gi <= gj {
                        scatter.push((slot(gi as usize, gj as usize), (12 * i + j) as u8));
                    }
                }
            }
            element_dofs.push(dofs);
            scatter_ptr.push(scatter.len());
        }
        Self {
            n,
            col_ptr,
            row_idx,
            diag,
            element_dofs,
            scatter_ptr,
            scatter,
        }
    }

    /// Adds the upper triangle of element `e`'s matrix `ke` into `values`.
    #[inline]
    pub fn scatter_element(&self, e: usize, ke: &Matrix12, values: &mut [f64]) {
        for &(slot, local) in &self.scatter[self.scatter_ptr[e]..self.scatter_ptr[e + 1]] {
            values[slot as usize] += ke[((local / 12) as usize, (local % 12) as usize)];
        }
    }
}

/// Column pointers, row indices and diagonal slots of the upper triangle (CSC) for nodes
/// with adjacency `adj` (each list sorted, holding the node itself).
fn upper_pattern(
    n: usize,
    adj: &[Vec<u32>],
    dof: &impl Fn(usize, usize) -> Option<usize>,
) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let mut col_ptr = Vec::with_capacity(n + 1);
    let mut row_idx = Vec::new();
    let mut diag = Vec::with_capacity(n);
    col_ptr.push(0);
    for (c, neighbours) in adj.iter().enumerate() {
        for cc in 0..6 {
            let Some(col) = dof(c, cc) else { continue };
            for &r in neighbours.iter().take_while(|&&r| r as usize <= c) {
                for rc in 0..6 {
                    match dof(r as usize, rc) {
                        Some(row) if row <= col => {
                            if row == col {
                                diag.push(row_idx.len());
                            }
                            row_idx.push(row);
                        }
                        _ => {}
                    }
                }
            }
            col_ptr.push(row_idx.len());
        }
    }
    (col_ptr, row_idx, diag)
}

/// The macroscopic strain tensor of unit Voigt strain `i` (engineering shear: `γ₂₃ = 1`
/// means `ε₂₃ = ε₃₂ = ½`).
#[cfg(test)]
pub(crate) fn unit_strain(i: usize) -> nalgebra::Matrix3<f64> {
    const PAIRS: [(usize, usize); 6] = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)];
    let (a, b) = PAIRS[i];
    let mut e = nalgebra::Matrix3::zeros();
    if a == b {
        e[(a, a)] = 1.0;
    } else {
        e[(a, b)] = 0.5;
        e[(b, a)] = 0.5;
    }
    e
}

/// The affine jumps `ε̄_I s` of the six unit strains for a span `s` (columns I = 0..6).
pub(crate) fn affine_jumps(span: &Vector3<f64>) -> SMatrix<f64, 3, 6> {
    let (x, y, z) = (span.x, span.y, span.z);
    SMatrix::<f64, 3, 6>::from_columns(&[
        Vector3::new(x, 0.0, 0.0),
        Vector3::new(0.0, y, 0.0),
        Vector3::new(0.0, 0.0, z),
        Vector3::new(0.0, 0.5 * z, 0.5 * y),
        Vector3::new(0.5 * z, 0.0, 0.5 * x),
        Vector3::new(0.5 * y, 0.5 * x, 0.0),
    ])
}

/// Numeric assembly for one cell.
///
/// Fills `values` (the upper-triangle CSC values of the reduced stiffness, normalized by E)
/// and `rhs` (`n × 6`, column-major: column `I` is `f_I = −Σ_e T_eᵀ K_e q̄_e,I`) and returns
/// the affine energy matrix `B_IJ = Σ_e q̄_Iᵀ K_e q̄_J` (not yet divided by the volume).
/// `sections[s]` is the section of strut `s`.
pub(crate) fn assemble(
    topo: &Topology,
    pattern: &Pattern,
    cell: &PeriodicCell,
    sections: &[BeamSection],
    values: &mut [f64],
    rhs: &mut [f64],
) -> Matrix6<f64> {
    let n = pattern.n;
    debug_assert_eq!(values.len(), pattern.row_idx.len());
    debug_assert_eq!(rhs.len(), 6 * n);
    values.fill(0.0);
    rhs.fill(0.0);
    let mut affine = Matrix6::zeros();
    let k = topo.elements_per_strut as f64;
    let struts = cell.struts();
    for (ei, e) in topo.elements.iter().enumerate() {
        let strut = &struts[e.strut as usize];
        let span = cell.strut_vector(strut) / k;
        let kg = global_stiffness(&sections[e.strut as usize], &span);
        pattern.scatter_element(ei, &kg, values);
        let jumps = affine_jumps(&span);
        // K_e q̄ for each load: q̄ has the jump in the second node's translations (6..9)
        let kq: SMatrix<f64, 12, 6> = kg.fixed_columns::<3>(6) * jumps;
        let kbb = kg.fixed_view::<3, 3>(6, 6);
        affine += jumps.transpose() * kbb * jumps;
        for (l, &d) in pattern.element_dofs[ei].iter().enumerate() {
            if d != PINNED {
                for i in 0..6 {
                    rhs[d as usize + i * n] -= kq[(l, i)];
                }
            }
        }
    }
    affine
}
