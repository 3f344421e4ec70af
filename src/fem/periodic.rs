//! The periodic topology: elements, internal strut nodes, the reduced degree-of-freedom map.
//!
//! Unknowns are the **fluctuation** DOFs of each node orbit (3 displacements `w`, 3
//! rotations `θ`): the displacement of node `i` in the cell shifted by `n` is
//! `u = ε̄ (x_i + F n) + w_i`, its rotation `θ_i` (the same for all periodic images). A strut
//! from node `a` to the image of node `b` therefore sees the end displacements
//! `(w_a, θ_a, w_b + ε̄ s, θ_b)` up to a rigid translation, with `s` its span vector.
//! With `k` elements per strut the `k − 1` internal nodes get their own 6 fluctuation DOFs
//! each; every element is then a beam from node `p` to node `q` with span `s/k`.
//!
//! The only zero-energy fluctuations of a connected periodic frame are the three rigid
//! translations (a rigid rotation is not periodic), so the translations of node 0 are
//! pinned and nothing else.

use crate::design_space::PeriodicCell;

use super::{Dof, FemError};

/// The key of a topology: the node count and the `(a, b, offset)` list, plus the elements
/// per strut.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TopologyKey {
    nodes: usize,
    elements_per_strut: usize,
    struts: Vec<(u32, u32, [i32; 3])>,
}

impl TopologyKey {
    pub fn of(cell: &PeriodicCell, elements_per_strut: usize) -> Self {
        Self {
            nodes: cell.nodes().len(),
            elements_per_strut,
            struts: cell
                .struts()
                .iter()
                .map(|s| (s.a.0, s.b.0, s.offset))
                .collect(),
        }
    }
}

/// One beam element: from node `p` to node `q` (indices into the extended node list: cell
/// nodes first, then internal strut nodes), part of strut `strut`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Element {
    pub p: u32,
    pub q: u32,
    pub strut: u32,
}

/// The periodic topology of a cell split into elements, and its reduced DOF numbering.
#[derive(Debug, Clone)]
pub(crate) struct Topology {
    /// Cell nodes (orbits).
    pub cell_nodes: usize,
    /// Cell nodes plus internal strut nodes.
    pub total_nodes: usize,
    /// Elements per strut.
    pub elements_per_strut: usize,
    /// The elements, `elements_per_strut` consecutive ones per strut, in strut order.
    pub elements: Vec<Element>,
}

impl Topology {
    /// Builds the topology and checks that every cell node is connected to node 0.
    ///
    /// # Errors
    /// [`FemError::Singular`] for a node without struts or a node group not connected to
    /// node 0 (either floats as a rigid body).
    pub fn build(cell: &PeriodicCell, elements_per_strut: usize) -> Result<Self, FemError> {
        let n = cell.nodes().len();
        let k = elements_per_strut;
        let struts = cell.struts();
        // connectivity of the quotient graph
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for s in struts {
            let (ra, rb) = (
                find(&mut parent, s.a.0 as usize),
                find(&mut parent, s.b.0 as usize),
            );
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
        let valence = cell.node_valences();
        for (i, &v) in valence.iter().enumerate() {
            if v == 0 {
                return Err(FemError::Singular {
                    node: i,
                    dof: Dof::All,
                    pivot_ratio: 0.0,
                    hint: format!("node {i} has no struts (a disconnected node); remove it"),
                });
            }
            if find(&mut parent, i) != find(&mut parent, 0) {
                return Err(FemError::Singular {
                    node: i,
                    dof: Dof::All,
                    pivot_ratio: 0.0,
                    hint: format!(
                        "node {i} is not connected to node 0 through struts: its group \
                         floats as a rigid body (e.g. two interpenetrating lattices); \
                         connect the groups or homogenize each separately"
                    ),
                });
            }
        }
        let mut elements = Vec::with_capacity(struts.len() * k);
        for (si, s) in struts.iter().enumerate() {
            let internal = |j: usize| (n + si * (k - 1) + (j - 1)) as u32;
            for j in 0..k {
                let p = if j == 0 { s.a.0 } else { internal(j) };
                let q = if j + 1 == k { s.b.0 } else { internal(j + 1) };
                elements.push(Element {
                    p,
                    q,
                    strut: si as u32,
                });
            }
        }
        Ok(Self {
            cell_nodes: n,
            total_nodes: n + struts.len() * (k - 1),
            elements_per_strut: k,
            elements,
        })
    }

    /// Number of reduced (free) DOFs: 6 per node less the 3 pinned translations of node 0.
    pub fn dofs(&self) -> usize {
        6 * self.total_nodes - 3
    }

    /// The reduced index of DOF `c` (0..6) of node `node`, `None` if pinned.
    #[inline]
    pub fn dof(&self, node: usize, c: usize) -> Option<usize> {
        if node == 0 {
            c.checked_sub(3)
        } else {
            Some(6 * node + c - 3)
        }
    }

    /// The node and degree of freedom of a reduced index.
    pub fn dof_of(&self, index: usize) -> (usize, Dof) {
        let g = index + 3;
        (g / 6, Dof::OF_NODE[g % 6])
    }
}
