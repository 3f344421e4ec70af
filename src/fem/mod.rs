//! Periodic Timoshenko-beam homogenization: a [`PeriodicCell`] → its effective 6×6
//! stiffness, normalized by the strut material's Young's modulus.
//!
//! # Model
//! Every strut is a linear-elastic 3D beam of circular section (`A = πd²/4`, `I = πd⁴/64`,
//! `J = 2I`, `G = E/(2(1+ν))`) modelled by the exact two-node Timoshenko element
//! (`Φ = 12EI/(κGAL²)`; Euler–Bernoulli is `Φ = 0`), rigidly joined at the nodes, six DOFs
//! per node. For a macroscopic strain `ε̄` periodicity imposes `u(x + F n) = u(x) + ε̄ F n`
//! on displacements and equal rotations on periodic images; the unknowns are the
//! fluctuations of the node orbits, with the translations of node 0 pinned (the only zero
//! modes of a connected periodic frame are the three rigid translations).
//!
//! For each unit Voigt strain `I` (engineering shear: `γ₂₃ = 1` ⇔ `ε₂₃ = ε₃₂ = ½`) a strut
//! with span `s` gets the affine end jump `ε̄_I s`; one sparse Cholesky factorization
//! solves `K w_I = f_I` for all six, and
//!
//! `C_IJ = (1/V) (B_IJ − f_Iᵀ w_J)`, with `B_IJ = Σ_e q̄_Iᵀ K_e q̄_J`
//!
//! the energy bilinear form of load cases `I` and `J` at equilibrium (`V` the cell volume).
//! Its asymmetry before symmetrizing measures the solve's accuracy.
//!
//! # Bounds
//! `C ⪯ B/V` (the affine field with zero fluctuation is admissible). For a pin-jointed truss
//! `C` is below the stretching bound of [`PeriodicCell::stretching_bound`]; a rigid-jointed
//! frame can exceed it by bending terms of order `EI/L³ ∝ ρ²` (the simple cubic shear
//! stiffness `C44 = ρ²/(6π(1+Φ))` against a bound of 0), so the stretching bound holds in
//! the slender limit only.
//!
//! # Performance
//! The symbolic factorization (AMD ordering, elimination tree) and the scatter map are
//! cached per topology in a [`Homogenizer`]; each cell then costs one numeric assembly, one
//! numeric factorization and a 6-column solve, all sequential (`Par::Seq`) so callers can
//! run one `Homogenizer` per rayon thread.

mod assembly;
mod element;
mod error;
mod frame;
mod options;
mod periodic;
mod solve;

use std::collections::HashMap;

pub use error::{Axis, Dof, FemError};
pub use frame::{FrameBeam, FrameSolution, Prescribed, Threads, solve_frame};
pub use options::{BeamTheory, FemOptions, ShearCorrection};

use crate::design_space::{Material, PeriodicCell};
use crate::mechanics::{Stiffness, Voigt};
use assembly::{Pattern, assemble};
use element::BeamSection;
use periodic::{Topology, TopologyKey};
use solve::{BadPivot, CholeskySolver};

/// An eigenvalue of the homogenized stiffness at or below this fraction of the largest one
/// is a mechanism (zero-energy macroscopic strain).
pub const MECHANISM_TOLERANCE: f64 = 1e-9;

/// The most topologies a [`Homogenizer`] keeps; the cache is cleared when it is full.
const CACHE_CAPACITY: usize = 1024;

/// The result of a homogenization.
#[derive(Debug, Clone, PartialEq)]
pub struct Homogenized {
    /// The effective stiffness, normalized by the material's Young's modulus
    /// (dimensionless), symmetrized.
    pub stiffness: Stiffness,
    /// `max|C − Cᵀ| / max|C|` before symmetrizing (dimensionless; round-off of the solve,
    /// typically below 1e-10).
    pub asymmetry: f64,
}

/// Homogenizes one periodic cell with a fresh [`Homogenizer`].
///
/// Lengths in any unit (the result is dimensionless); `material` gives `E` (GPa, only
/// validated: the result is normalized by it) and `ν`.
///
/// # Errors
/// See [`Homogenizer::homogenize`].
///
/// # Example
/// ```
/// use nalgebra::{Matrix3, Point3};
/// use trussforge::design_space::{Material, CellNodeId, PeriodicCell, PeriodicStrut};
/// use trussforge::fem::{FemOptions, homogenize};
///
/// // simple cubic: one node, three struts to its own images
/// let struts = (0..3)
///     .map(|i| {
///         let mut offset = [0; 3];
///         offset[i] = 1;
///         PeriodicStrut { a: CellNodeId(0), b: CellNodeId(0), offset, diameter: 0.05 }
///     })
///     .collect();
/// let cell = PeriodicCell::try_new(Matrix3::identity(), vec![Point3::origin()], struts).unwrap();
/// let h = homogenize(&cell, &Material::TI6AL4V, &FemOptions::default()).unwrap();
/// let area = std::f64::consts::FRAC_PI_4 * 0.05 * 0.05;
/// assert!((h.stiffness.voigt()[(0, 0)] - area).abs() < 1e-12);
/// ```
pub fn homogenize(
    cell: &PeriodicCell,
    material: &Material,
    options: &FemOptions,
) -> Result<Homogenized, FemError> {
    Homogenizer::new(*options).homogenize(cell, material)
}

/// Everything kept per topology.
#[derive(Debug)]
struct CachedTopology {
    topology: Topology,
    pattern: Pattern,
    solver: CholeskySolver,
    values: Vec<f64>,
    solution: Vec<f64>,
    loads: Vec<f64>,
}

impl CachedTopology {
    fn build(cell: &PeriodicCell, elements_per_strut: usize) -> Result<Self, FemError> {
        let topology = Topology::build(cell, elements_per_strut)?;
        let pattern = Pattern::build(&topology);
        let solver = CholeskySolver::new(&pattern)?;
        let n = pattern.n;
        Ok(Self {
            values: vec![0.0; pattern.row_idx.len()],
            solution: vec![0.0; 6 * n],
            loads: vec![0.0; 6 * n],
            topology,
            pattern,
            solver,
        })
    }
}

/// A reusable homogenizer: caches, per topology (node count and the `(a, b, offset)` strut
/// list), the element layout, the sparsity pattern, the symbolic Cholesky factorization and
/// the numeric workspace. Homogenizing many cells of one topology then costs one numeric
/// factorization each.
///
/// Not shared between threads: give each rayon worker its own (e.g. `map_init`).
#[derive(Debug)]
pub struct Homogenizer {
    options: FemOptions,
    cache: HashMap<TopologyKey, CachedTopology>,
}

impl Homogenizer {
    /// A homogenizer with the given options and an empty cache.
    pub fn new(options: FemOptions) -> Self {
        Self {
            options,
            cache: HashMap::new(),
        }
    }

    /// The options in use.
    pub fn options(&self) -> &FemOptions {
        &self.options
    }

    /// How many topologies are cached.
    pub fn cached_topologies(&self) -> usize {
        self.cache.len()
    }

    /// The effective stiffness of `cell`, normalized by `material.youngs_modulus`.
    ///
    /// # Errors
    /// - [`FemError::InvalidOption`] / [`FemError::InvalidMaterial`] for bad inputs;
    /// - [`FemError::Singular`] when the frame has a zero-energy fluctuation (a node without
    ///   struts, a node group not connected to node 0, an unresisted rotation);
    /// - [`FemError::NotPositiveDefinite`] when some macroscopic strain costs no energy
    ///   (a mechanism of the periodic frame), naming the smallest eigenvalue;
    /// - [`FemError::Solver`] or [`FemError::NumericBreakdown`] if the sparse factorization
    ///   fails for other reasons.
    pub fn homogenize(
        &mut self,
        cell: &PeriodicCell,
        material: &Material,
    ) -> Result<Homogenized, FemError> {
        let options = self.options;
        validate(&options, material)?;
        let kappa = match options.beam {
            BeamTheory::Timoshenko => options.shear_correction.kappa(material.poisson_ratio),
            BeamTheory::EulerBernoulli => f64::INFINITY,
        };
        let key = TopologyKey::of(cell, options.elements_per_strut);
        if !self.cache.contains_key(&key) {
            let entry = CachedTopology::build(cell, options.elements_per_strut)?;
            if self.cache.len() >= CACHE_CAPACITY {
                self.cache.clear();
            }
            self.cache.insert(key.clone(), entry);
        }
        let entry = self.cache.get_mut(&key).expect("just inserted");
        let sections: Vec<BeamSection> = cell
            .struts()
            .iter()
            .map(|s| BeamSection::circular(s.diameter, material.poisson_ratio, kappa))
            .collect();
        let affine = assemble(
            &entry.topology,
            &entry.pattern,
            cell,
            &sections,
            &mut entry.values,
            &mut entry.loads,
        );
        entry.solution.copy_from_slice(&entry.loads);
        entry
            .solver
            .factor_solve(&entry.pattern, &entry.values, &mut entry.solution)
            .map_err(|bad| singular_error(&entry.topology, bad))?;
        let n = entry.pattern.n;
        let mut c = Voigt::zeros();
        for i in 0..6 {
            let f = &entry.loads[i * n..(i + 1) * n];
            for j in 0..6 {
                let w = &entry.solution[j * n..(j + 1) * n];
                let fw: f64 = f.iter().zip(w).map(|(a, b)| a * b).sum();
                c[(i, j)] = (affine[(i, j)] - fw) / cell.volume();
            }
        }
        finish(c)
    }
}

fn validate(options: &FemOptions, material: &Material) -> Result<(), FemError> {
    if options.elements_per_strut == 0 {
        return Err(FemError::InvalidOption {
            field: "elements_per_strut",
            value: "0".into(),
            reason: "need at least 1 element per strut",
        });
    }
    if let ShearCorrection::Constant(k) = options.shear_correction
        && !(k.is_finite() && k > 0.0)
    {
        return Err(FemError::InvalidOption {
            field: "shear_correction",
            value: k.to_string(),
            reason: "the shear correction factor must be finite and > 0 (0.9 or Cowper for a circle)",
        });
    }
    let (e, nu) = (material.youngs_modulus, material.poisson_ratio);
    if !(e.is_finite() && e > 0.0 && nu.is_finite() && nu > -1.0 && nu < 0.5) {
        return Err(FemError::InvalidMaterial {
            youngs_modulus: e,
            poisson_ratio: nu,
        });
    }
    Ok(())
}

fn singular_error(topo: &Topology, bad: BadPivot) -> FemError {
    if bad.ratio.is_nan() {
        return FemError::NumericBreakdown;
    }
    let (node, dof) = topo.dof_of(bad.dof);
    let place = if node < topo.cell_nodes {
        format!("node {node}")
    } else {
        let k = topo.elements_per_strut - 1;
        format!(
            "internal node {} of strut {}",
            (node - topo.cell_nodes) % k + 1,
            (node - topo.cell_nodes) / k
        )
    };
    let hint = if matches!(dof, Dof::Rotation(_)) {
        format!(
            "{place} can rotate freely: its struts are all collinear and the chain spins \
             about its axis (a mechanism); add a strut in another direction"
        )
    } else {
        format!(
            "{place} can translate freely: it belongs to a mechanism or to a node group \
             that floats (e.g. a dangling or disconnected node); check the topology"
        )
    };
    FemError::Singular {
        node,
        dof,
        pivot_ratio: bad.ratio.max(0.0),
        hint,
    }
}

/// Asymmetry, symmetrize, positive-definiteness check, [`Stiffness`].
fn finish(c: Voigt) -> Result<Homogenized, FemError> {
    let scale = c.amax();
    let asymmetry = if scale > 0.0 {
        (c - c.transpose()).amax() / scale
    } else {
        0.0
    };
    let sym = (c + c.transpose()) * 0.5;
    if let Some((min_eigenvalue, eigenvector)) =
        Stiffness::lowest_mode_if_not_positive_definite(sym, MECHANISM_TOLERANCE)
    {
        return Err(FemError::NotPositiveDefinite {
            min_eigenvalue,
            // `+ 0.0` turns −0 into 0 for the message.
            eigenvector: eigenvector.map(|x| x + 0.0),
            hint: "the periodic frame is a mechanism for this macroscopic strain: e.g. the \
                   struts do not connect the cell to its neighbours in every direction, or \
                   all struts lie in one plane"
                .into(),
        });
    }
    Ok(Homogenized {
        stiffness: Stiffness::try_from_voigt(sym)?,
        asymmetry,
    })
}

#[cfg(test)]
mod tests;
