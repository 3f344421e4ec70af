//! The shape table: FE-homogenized designs of the space indexed by the rotation invariants of
//! their stiffness, scale removed. A target's nearest rows are designs whose stiffness has the
//! target's *shape* up to a rotation (which orienting supplies for free) and a scale (which the
//! density supplies): starts from which refinement recovers designs the networks miss.
//!
//! File `models/shapes.bin` (little-endian): the 8 bytes `TFSHAPE1`, the row count (u64), then
//! per row the topology (3 × lattice u8, tessellation u8), 15 × f32 of the design (ρ, U₁..₃,
//! V₁..₃, R_I axis and angle in degrees, R_II axis and angle), 12 × f32 rotation invariants of
//! its FE stiffness divided by the stiffness's Frobenius norm, and that norm (f32, normalized
//! by E). Made by `trussforge train shapes` from a `trussforge dataset` CSV.

use std::io::{Read, Write};
use std::path::Path;

use super::{InverseError, ShapeTableProblem};
use crate::design_space::{
    AxisAngle, DENSITY_RANGE, Design, LatticeChoice, RangePolicy, Topology, unit_graph,
};
use crate::mechanics::{INVARIANTS, Stiffness, Voigt, rotation_invariants, tensor_norm};

/// The shape table's file name in a models folder.
pub const SHAPE_TABLE: &str = "shapes.bin";

const MAGIC: &[u8; 8] = b"TFSHAPE1";
const DESIGN_FLOATS: usize = 15;
const ROW_BYTES: usize = 6 + 4 * (DESIGN_FLOATS + INVARIANTS + 1);

/// Designs with the scale-free rotation invariants and the norm of their FE stiffness.
#[derive(Debug, Clone, Default)]
pub struct ShapeTable {
    designs: Vec<Design>,
    shapes: Vec<[f32; INVARIANTS]>,
    norms: Vec<f32>,
}

/// The scale-free shape of a stiffness: its rotation invariants over its norm, with the norm.
pub fn shape_of(c: &Voigt) -> ([f64; INVARIANTS], f64) {
    let norm = tensor_norm(c).max(f64::MIN_POSITIVE);
    (rotation_invariants(c).map(|v| v / norm), norm)
}

impl ShapeTable {
    /// Indexes designs with their FE stiffness (normalized by E).
    pub fn new(designs: Vec<Design>, stiffness: &[Stiffness]) -> Self {
        let (shapes, norms) = stiffness
            .iter()
            .map(|c| {
                let (s, n) = shape_of(c.voigt());
                (s.map(|v| v as f32), n as f32)
            })
            .unzip();
        Self {
            designs,
            shapes,
            norms,
        }
    }

    /// Reads dataset CSVs (`trussforge dataset`) and indexes their rows; rows whose stiffness
    /// is not symmetric positive definite are skipped.
    ///
    /// # Errors
    /// [`InverseError::Dataset`] for an unreadable or malformed file.
    pub fn from_csv(paths: &[std::path::PathBuf]) -> Result<Self, InverseError> {
        let mut designs = Vec::new();
        let mut stiffness = Vec::new();
        for path in paths {
            let (d, c) = super::lookup::read_dataset(path)?;
            for (design, constants) in d.into_iter().zip(c) {
                if let Ok(s) = Stiffness::try_from_values(&constants) {
                    designs.push(design);
                    stiffness.push(s);
                }
            }
        }
        Ok(Self::new(designs, &stiffness))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.designs.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.designs.is_empty()
    }

    /// The designs of the `count` distinct topologies whose stiffness shape is nearest to
    /// `target`'s (Euclidean distance of the scale-free invariants), up to `per_topology` rows
    /// each, nearest first, each with its density scaled by the ratio of the target's norm to
    /// the row's (clamped to the range) and the distance.
    pub fn nearest(&self, target: &Voigt, count: usize, per_topology: usize) -> Vec<(Design, f64)> {
        let (goal, goal_norm) = shape_of(target);
        let goal = goal.map(|v| v as f32);
        let mut order: Vec<(f32, usize)> = self
            .shapes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let d: f32 = s.iter().zip(&goal).map(|(a, b)| (a - b) * (a - b)).sum();
                (d, i)
            })
            .collect();
        // Enough of the nearest to find `count` distinct topologies in most cases.
        let pool = (count * per_topology.max(1) * 16).min(order.len());
        if pool == 0 {
            return Vec::new();
        }
        order.select_nth_unstable_by(pool - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        order.truncate(pool);
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut out: Vec<(Design, f64)> = Vec::with_capacity(count * per_topology);
        let mut graphs: Vec<(_, usize)> = Vec::with_capacity(count);
        for (d, i) in order {
            let graph = unit_graph(&self.designs[i].topology);
            let full = graphs.len() == count;
            match graphs.iter_mut().find(|(g, _)| *g == graph) {
                Some((_, n)) if *n >= per_topology => continue,
                Some((_, n)) => *n += 1,
                None if full => continue,
                None => graphs.push((graph, 1)),
            }
            let mut design = self.designs[i].clone();
            let ratio = goal_norm / f64::from(self.norms[i]).max(f64::MIN_POSITIVE);
            design.relative_density =
                (design.relative_density * ratio).clamp(DENSITY_RANGE.0, DENSITY_RANGE.1);
            out.push((design, f64::from(d).sqrt()));
        }
        out
    }

    /// Writes the table (atomically).
    ///
    /// # Errors
    /// Any I/O error.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        crate::fsutil::atomic_write_with(path, |w| {
            w.write_all(MAGIC)?;
            w.write_all(&(self.len() as u64).to_le_bytes())?;
            for ((d, s), n) in self.designs.iter().zip(&self.shapes).zip(&self.norms) {
                for c in d.topology.choices() {
                    w.write_all(&[c.lattice, c.tessellation])?;
                }
                let floats = [
                    d.relative_density,
                    d.u[0],
                    d.u[1],
                    d.u[2],
                    d.v[0],
                    d.v[1],
                    d.v[2],
                    d.r1.axis[0],
                    d.r1.axis[1],
                    d.r1.axis[2],
                    d.r1.angle_deg,
                    d.r2.axis[0],
                    d.r2.axis[1],
                    d.r2.axis[2],
                    d.r2.angle_deg,
                ];
                for v in floats.iter().map(|&v| v as f32).chain(s.iter().copied()) {
                    w.write_all(&v.to_le_bytes())?;
                }
                w.write_all(&n.to_le_bytes())?;
            }
            Ok(())
        })
    }

    /// Reads a table written by [`Self::write`]. The row count is checked against the file
    /// length before anything is allocated.
    ///
    /// # Errors
    /// [`InverseError::ShapeTable`] naming the file and what is wrong.
    pub fn read(path: &Path) -> Result<Self, InverseError> {
        let err = |problem: ShapeTableProblem| InverseError::ShapeTable {
            path: path.to_path_buf(),
            problem,
        };
        let io = |e| err(ShapeTableProblem::Io(e));
        let mut file = std::fs::File::open(path).map_err(io)?;
        let length = file.metadata().map_err(io)?.len();
        let mut header = [0u8; 16];
        file.read_exact(&mut header)
            .map_err(|_| err(ShapeTableProblem::TooShort))?;
        if &header[..8] != MAGIC {
            return Err(err(ShapeTableProblem::NotAShapeTable));
        }
        let rows = u64::from_le_bytes(header[8..].try_into().expect("8 bytes"));
        let expected = rows
            .checked_mul(ROW_BYTES as u64)
            .and_then(|b| b.checked_add(16));
        if expected != Some(length) {
            return Err(err(ShapeTableProblem::Length {
                rows,
                row_bytes: ROW_BYTES,
                length,
            }));
        }
        let mut bytes = Vec::with_capacity(length as usize - 16);
        file.read_to_end(&mut bytes).map_err(io)?;
        let mut table = ShapeTable::default();
        for (k, row) in bytes.chunks_exact(ROW_BYTES).enumerate() {
            let bad = |source| err(ShapeTableProblem::BadDesign { row: k + 1, source });
            let choices: [LatticeChoice; 3] = std::array::from_fn(|s| LatticeChoice {
                lattice: row[2 * s],
                tessellation: row[2 * s + 1],
            });
            let topology = Topology::try_new(&choices).map_err(bad)?;
            let f: Vec<f32> = row[6..]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                .collect();
            let g = |i: usize| f64::from(f[i]);
            let design = Design {
                topology,
                relative_density: g(0),
                u: [g(1), g(2), g(3)],
                v: [g(4), g(5), g(6)],
                r1: AxisAngle {
                    axis: [g(7), g(8), g(9)],
                    angle_deg: g(10),
                },
                r2: AxisAngle {
                    axis: [g(11), g(12), g(13)],
                    angle_deg: g(14),
                },
            };
            // f32 rounding may put a bound value a hair outside its range: clamp it back.
            let design = design.clamped_to_ranges();
            design.validate(RangePolicy::Strict).map_err(bad)?;
            let shape: [f32; INVARIANTS] = std::array::from_fn(|i| f[DESIGN_FLOATS + i]);
            let norm = f[DESIGN_FLOATS + INVARIANTS];
            if !(shape.iter().all(|v| v.is_finite()) && norm.is_finite() && norm > 0.0) {
                return Err(err(ShapeTableProblem::BadInvariants { row: k + 1 }));
            }
            table.designs.push(design);
            table.shapes.push(shape);
            table.norms.push(norm);
        }
        Ok(table)
    }
}
