//! A whole (non-periodic) beam frame under prescribed node motions: the linear statics of a
//! written strut network, solved with the same Timoshenko element and sparse Cholesky as the
//! homogenization.
//!
//! # Model
//! Nodes in mm, each with six DOFs `(u_x, u_y, u_z, θ_x, θ_y, θ_z)` (mm, rad); beams of
//! circular section between two nodes, rigidly joined ([`super::element`]'s exact two-node
//! element, `E` and `ν` of the material, shear correction from [`FemOptions`]). Some nodes
//! have all six DOFs prescribed ([`Prescribed`]); the others are free and unloaded. With
//! `K_ff` the free–free block and `u_p` the prescribed values the solve is
//! `K_ff u_f = −K_fp u_p`, one sparse Cholesky factorization. Forces come out in N and
//! moments in N·mm (`E` in MPa = N/mm²).
//!
//! # Singularity
//! A node group that reaches no prescribed node floats as a rigid body; it is found before
//! the factorization (union–find over the beams) and named ([`FemError::FloatingPiece`]). A
//! zero pivot that remains (e.g. a straight chain of struts free to spin about its axis) is
//! reported as [`FemError::Singular`] with the node and DOF.
//!
//! # Cost
//! Assembly is linear in the beams; the factorization's fill depends on the AMD ordering
//! (for lattice blocks roughly `O(n^1.5)` memory in the DOFs).

use faer::Par;
use nalgebra::{Point3, SVector, Vector3};

use super::assembly::{PINNED, Pattern};
use super::element::{BeamSection, Matrix12, global_stiffness};
use super::solve::CholeskySolver;
use super::{BeamTheory, Dof, FemError, FemOptions};
use crate::design_space::Material;

/// One beam of a frame: nodes `a` and `b` (indices into the node list) and the radius of its
/// circular section, mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameBeam {
    /// First node.
    pub a: u32,
    /// Second node.
    pub b: u32,
    /// Section radius, mm (`A = πr²`, `I = πr⁴/4`, `J = 2I`).
    pub radius: f64,
}

/// A node whose six DOFs are all prescribed: displacements in mm, then rotations in rad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prescribed {
    /// The node.
    pub node: u32,
    /// `(u_x, u_y, u_z, θ_x, θ_y, θ_z)`, mm and rad.
    pub values: [f64; 6],
}

/// How the sparse factorization runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Threads {
    /// One thread.
    #[default]
    Seq,
    /// The rayon pool (all its threads).
    Pool,
}

/// The solution of a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSolution {
    /// Per node: `(u_x, u_y, u_z, θ_x, θ_y, θ_z)`, mm and rad (prescribed nodes carry their
    /// prescribed values; nodes without beams are zero).
    pub displacements: Vec<[f64; 6]>,
    /// Per beam: the forces the beam exerts *on its nodes'* DOFs with the sign of `K_e u_e`
    /// — `(F_a, M_a, F_b, M_b)` in global axes, N and N·mm. The reaction a support must
    /// supply at a prescribed node is the sum over its beams' end forces there.
    pub end_forces: Vec<[f64; 12]>,
    /// Reduced (free) DOFs.
    pub free_dofs: usize,
    /// Stored entries of the Cholesky factor.
    pub factor_entries: usize,
}

/// Solves a frame: nodes in mm with six DOFs each, beams rigidly joined, the prescribed
/// nodes' motions given, the free nodes unloaded; `K_ff u_f = −K_fp u_p` by one sparse
/// Cholesky factorization. Forces in N, moments in N·mm.
///
/// `material.youngs_modulus` is in GPa (used as `E` = 1000 × GPa MPa).
///
/// # Errors
/// - [`FemError::InvalidOption`] / [`FemError::InvalidMaterial`] for bad options;
/// - [`FemError::FloatingPiece`] when a group of beams reaches no prescribed node;
/// - [`FemError::Singular`] for a zero-energy mode left after that (a mechanism);
/// - [`FemError::Solver`] / [`FemError::NumericBreakdown`] if the factorization fails.
///
/// # Panics
/// If a beam or prescribed node names a node out of range, or a beam has zero length or a
/// non-positive radius (caller bugs: `StrutNetwork` guarantees neither happens).
pub fn solve_frame(
    nodes: &[Point3<f64>],
    beams: &[FrameBeam],
    prescribed: &[Prescribed],
    material: &Material,
    options: &FemOptions,
    threads: Threads,
) -> Result<FrameSolution, FemError> {
    super::validate(options, material)?;
    let kappa = match options.beam {
        BeamTheory::Timoshenko => options.shear_correction.kappa(material.poisson_ratio),
        BeamTheory::EulerBernoulli => f64::INFINITY,
    };
    let numbering = Numbering::new(nodes.len(), beams, prescribed);
    check_supported(nodes.len(), beams, &numbering)?;
    let pairs: Vec<(u32, u32)> = beams.iter().map(|b| (b.a, b.b)).collect();
    let pattern = Pattern::from_elements(nodes.len(), numbering.n, &pairs, |node, c| {
        numbering.dof(node, c)
    });
    let section = |b: &FrameBeam| {
        assert!(b.radius > 0.0, "beam radius must be > 0");
        BeamSection::circular(2.0 * b.radius, material.poisson_ratio, kappa)
    };
    let element = |b: &FrameBeam| -> Matrix12 {
        let span: Vector3<f64> = nodes[b.b as usize] - nodes[b.a as usize];
        global_stiffness(&section(b), &span)
    };
    let mut values = vec![0.0; pattern.row_idx.len()];
    let mut rhs = vec![0.0; numbering.n];
    for (e, b) in beams.iter().enumerate() {
        let ke = element(b);
        pattern.scatter_element(e, &ke, &mut values);
        add_prescribed_load(&ke, &pattern.element_dofs[e], &numbering, b, &mut rhs);
    }
    let par = match threads {
        Threads::Seq => Par::Seq,
        Threads::Pool => Par::rayon(0),
    };
    let mut solver = CholeskySolver::with_columns(&pattern, 1, par)?;
    solver
        .factor_solve(&pattern, &values, &mut rhs)
        .map_err(|bad| numbering.singular(bad.dof, bad.ratio))?;
    let displacements = numbering.displacements(nodes.len(), &rhs);
    let e_mpa = 1000.0 * material.youngs_modulus;
    let end_forces = beams
        .iter()
        .map(|b| {
            let ue = end_vector(&displacements, b);
            let f = element(b) * ue * e_mpa;
            std::array::from_fn(|i| f[i])
        })
        .collect();
    Ok(FrameSolution {
        displacements,
        end_forces,
        free_dofs: numbering.n,
        factor_entries: solver.factor_entries(),
    })
}

/// The 12 end DOFs of a beam.
fn end_vector(u: &[[f64; 6]], b: &FrameBeam) -> SVector<f64, 12> {
    let (ua, ub) = (u[b.a as usize], u[b.b as usize]);
    SVector::<f64, 12>::from_fn(|i, _| if i < 6 { ua[i] } else { ub[i - 6] })
}

/// `rhs_f −= K_fp u_p` for one element.
fn add_prescribed_load(
    ke: &Matrix12,
    dofs: &[u32; 12],
    numbering: &Numbering,
    b: &FrameBeam,
    rhs: &mut [f64],
) {
    let ends = [b.a, b.b];
    let known: [Option<[f64; 6]>; 2] = ends.map(|n| numbering.prescribed_values(n as usize));
    if known.iter().all(Option::is_none) {
        return;
    }
    for (i, &di) in dofs.iter().enumerate() {
        if di == PINNED {
            continue;
        }
        let mut s = 0.0;
        for (end, values) in known.iter().enumerate() {
            if let Some(v) = values {
                for c in 0..6 {
                    s += ke[(i, 6 * end + c)] * v[c];
                }
            }
        }
        rhs[di as usize] -= s;
    }
}

/// The reduced DOF numbering: free nodes in node order, six DOFs each.
struct Numbering {
    /// Per node: its first reduced DOF, [`FIXED`] for a prescribed node, [`UNUSED`] for a
    /// node without beams.
    base: Vec<u32>,
    /// Per node: its index into `values` when prescribed.
    prescribed_index: Vec<u32>,
    values: Vec<[f64; 6]>,
    /// The node of each group of six reduced DOFs.
    node_of: Vec<u32>,
    n: usize,
}

const FIXED: u32 = u32::MAX;
const UNUSED: u32 = u32::MAX - 1;

impl Numbering {
    fn new(nodes: usize, beams: &[FrameBeam], prescribed: &[Prescribed]) -> Self {
        let mut base = vec![UNUSED; nodes];
        let mut prescribed_index = vec![u32::MAX; nodes];
        for b in beams {
            base[b.a as usize] = 0;
            base[b.b as usize] = 0;
        }
        let mut values = Vec::with_capacity(prescribed.len());
        for p in prescribed {
            base[p.node as usize] = FIXED;
            prescribed_index[p.node as usize] = values.len() as u32;
            values.push(p.values);
        }
        let mut node_of = Vec::new();
        for (i, b) in base.iter_mut().enumerate() {
            if *b == 0 {
                *b = 6 * node_of.len() as u32;
                node_of.push(i as u32);
            }
        }
        let n = 6 * node_of.len();
        Self {
            base,
            prescribed_index,
            values,
            node_of,
            n,
        }
    }

    #[inline]
    fn dof(&self, node: usize, c: usize) -> Option<usize> {
        let b = self.base[node];
        (b < UNUSED).then(|| b as usize + c)
    }

    fn prescribed_values(&self, node: usize) -> Option<[f64; 6]> {
        (self.base[node] == FIXED).then(|| self.values[self.prescribed_index[node] as usize])
    }

    fn displacements(&self, nodes: usize, solution: &[f64]) -> Vec<[f64; 6]> {
        (0..nodes)
            .map(|i| match self.base[i] {
                FIXED => self.values[self.prescribed_index[i] as usize],
                UNUSED => [0.0; 6],
                b => std::array::from_fn(|c| solution[b as usize + c]),
            })
            .collect()
    }

    fn singular(&self, dof: usize, ratio: f64) -> FemError {
        if ratio.is_nan() {
            return FemError::NumericBreakdown;
        }
        let node = self.node_of[dof / 6] as usize;
        let d = Dof::OF_NODE[dof % 6];
        let hint = if matches!(d, Dof::Rotation(_)) {
            format!(
                "node {node} can rotate freely: its struts are all collinear and the chain \
                 spins about its axis (a mechanism); add a strut in another direction"
            )
        } else {
            format!(
                "node {node} can translate freely: it belongs to a mechanism; check the \
                 struts around it"
            )
        };
        FemError::Singular {
            node,
            dof: d,
            pivot_ratio: ratio.max(0.0),
            hint,
        }
    }
}

/// Every group of beams must reach a prescribed node.
fn check_supported(
    nodes: usize,
    beams: &[FrameBeam],
    numbering: &Numbering,
) -> Result<(), FemError> {
    let mut parent: Vec<u32> = (0..nodes as u32).collect();
    fn find(parent: &mut [u32], mut i: u32) -> u32 {
        while parent[i as usize] != i {
            parent[i as usize] = parent[parent[i as usize] as usize];
            i = parent[i as usize];
        }
        i
    }
    for b in beams {
        let (ra, rb) = (find(&mut parent, b.a), find(&mut parent, b.b));
        if ra != rb {
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
    let mut supported = vec![false; nodes];
    for (i, &b) in numbering.base.iter().enumerate() {
        if b == FIXED {
            let r = find(&mut parent, i as u32);
            supported[r as usize] = true;
        }
    }
    let mut size = vec![0usize; nodes];
    let mut first: Vec<Option<usize>> = vec![None; nodes];
    for (i, &b) in numbering.base.iter().enumerate() {
        if b != UNUSED {
            let r = find(&mut parent, i as u32) as usize;
            size[r] += 1;
            first[r].get_or_insert(i);
        }
    }
    for r in 0..nodes {
        if size[r] > 0 && !supported[r] {
            return Err(FemError::FloatingPiece {
                node: first[r].unwrap_or(r),
                nodes: size[r],
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fem::ShearCorrection;

    /// A straight beam from the origin along `dir`, split into `k` elements, clamped at node
    /// 0, its tip held at `tip` (all six DOFs); returns the tip's end forces (N, N·mm).
    fn beam(dir: Vector3<f64>, l: f64, r: f64, k: usize, tip: [f64; 6]) -> [f64; 6] {
        let n = dir.normalize();
        let nodes: Vec<Point3<f64>> = (0..=k)
            .map(|i| Point3::from(n * (l * i as f64 / k as f64)))
            .collect();
        let beams: Vec<FrameBeam> = (0..k as u32)
            .map(|i| FrameBeam {
                a: i,
                b: i + 1,
                radius: r,
            })
            .collect();
        let prescribed = [
            Prescribed {
                node: 0,
                values: [0.0; 6],
            },
            Prescribed {
                node: k as u32,
                values: tip,
            },
        ];
        let s = solve_frame(
            &nodes,
            &beams,
            &prescribed,
            &Material::TI6AL4V,
            &FemOptions::default(),
            Threads::Seq,
        )
        .unwrap();
        std::array::from_fn(|i| s.end_forces[k - 1][6 + i])
    }

    /// Clamped–guided Timoshenko beam (shear correction for a circle): a tip displacement δ
    /// across the axis with the tip's rotation held needs `F = 12EI/((1+Φ)L³) δ` and the
    /// moment `F L/2`; along the axis `EA/L δ`. Exact for any subdivision.
    #[test]
    fn guided_beam_matches_timoshenko_closed_form() {
        let (l, r, delta) = (4.0, 0.25, 1e-3);
        let e = 114_000.0;
        let nu = 0.3;
        let (a, i) = (
            std::f64::consts::PI * r * r,
            std::f64::consts::PI * r.powi(4) / 4.0,
        );
        let kappa = ShearCorrection::default().kappa(nu);
        let phi = 12.0 * e * i / (kappa * e / (2.0 * (1.0 + nu)) * a * l * l);
        let want = 12.0 * e * i / ((1.0 + phi) * l.powi(3)) * delta;
        for k in [1, 3, 7] {
            let f = beam(Vector3::x(), l, r, k, [0.0, delta, 0.0, 0.0, 0.0, 0.0]);
            assert!(
                (f[1] - want).abs() < 1e-9 * want,
                "k={k}: {} vs {want}",
                f[1]
            );
            assert!((f[5].abs() - want * l / 2.0).abs() < 1e-9 * want * l);
            let f = beam(Vector3::z(), l, r, k, [0.0, 0.0, delta, 0.0, 0.0, 0.0]);
            assert!((f[2] - e * a / l * delta).abs() < 1e-9 * e * a / l * delta);
        }
    }

    /// A rotated beam gives the same force magnitudes (frame invariance).
    #[test]
    fn oblique_beam_is_invariant() {
        let dir = Vector3::new(1.0, 2.0, -0.7).normalize();
        let perp = dir.cross(&Vector3::new(0.3, -0.1, 1.0)).normalize();
        let (l, r, delta) = (3.0, 0.2, 1e-3);
        let d = perp * delta;
        let f = beam(dir, l, r, 4, [d.x, d.y, d.z, 0.0, 0.0, 0.0]);
        let g = beam(Vector3::x(), l, r, 4, [0.0, delta, 0.0, 0.0, 0.0, 0.0]);
        let fv = Vector3::new(f[0], f[1], f[2]);
        assert!((fv.norm() - g[1]).abs() < 1e-9 * g[1]);
        assert!(fv.dot(&dir).abs() < 1e-9 * g[1]);
    }

    #[test]
    fn an_unsupported_chain_floats() {
        // two collinear beams
        let nodes = [
            Point3::origin(),
            Point3::new(1.0, 0.0, 0.0),
            Point3::new(2.0, 0.0, 0.0),
        ];
        let beams = [
            FrameBeam {
                a: 0,
                b: 1,
                radius: 0.1,
            },
            FrameBeam {
                a: 1,
                b: 2,
                radius: 0.1,
            },
        ];
        let held = [Prescribed {
            node: 0,
            values: [0.0; 6],
        }];
        // a cantilever chain is not singular (the clamp holds every rotation)
        assert!(
            solve_frame(
                &nodes,
                &beams,
                &held,
                &Material::TI6AL4V,
                &FemOptions::default(),
                Threads::Seq
            )
            .is_ok()
        );
        // without any support the chain floats
        let err = solve_frame(
            &nodes,
            &beams,
            &[],
            &Material::TI6AL4V,
            &FemOptions::default(),
            Threads::Seq,
        )
        .unwrap_err();
        assert!(
            matches!(err, FemError::FloatingPiece { node: 0, nodes: 3 }),
            "{err}"
        );
    }
}
