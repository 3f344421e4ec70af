//! The lookup-table baseline of Bastek et al. (SI 3.G): the dataset rows nearest to a target
//! by stiffness.

use std::path::Path;

use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::{DatasetProblem, InverseError};
use crate::design_space::Design;
use crate::learn::data::LabelledDesigns;

/// Dataset rows indexed by their 21 min–max normalized stiffness constants.
pub struct LookupTable {
    tree: RTree<GeomWithData<[f64; 21], usize>>,
    designs: Vec<Design>,
    stiffness: Vec<[f64; 21]>,
    min: [f64; 21],
    span: [f64; 21],
}

impl LookupTable {
    /// Reads a dataset CSV (the `trussforge dataset` schema; the first 19 columns the design,
    /// then `C11..C66` normalized by E).
    ///
    /// # Errors
    /// [`InverseError::Dataset`] naming the file and line of a malformed row.
    pub fn from_csv(path: &Path) -> Result<Self, InverseError> {
        let (designs, stiffness) = read_dataset(path)?;
        Self::new(designs, stiffness).ok_or_else(|| InverseError::Dataset {
            path: path.to_path_buf(),
            line: 0,
            problem: DatasetProblem::NoRows,
        })
    }
}

/// The designs and stiffness constants (normalized by E) of a dataset CSV (the `trussforge
/// dataset` schema, columns found by name), read by [`LabelledDesigns::read`], the one
/// dataset reader.
///
/// # Errors
/// [`InverseError::DatasetRead`] naming the file, and the line or column, of what is wrong.
pub(crate) fn read_dataset(path: &Path) -> Result<(Vec<Design>, Vec<[f64; 21]>), InverseError> {
    let rows =
        LabelledDesigns::read(&[path.to_path_buf()], None).map_err(InverseError::DatasetRead)?;
    Ok((rows.designs, rows.c))
}

impl LookupTable {
    /// Indexes designs with their stiffness (normalized by E). `None` when empty.
    pub fn new(designs: Vec<Design>, stiffness: Vec<[f64; 21]>) -> Option<Self> {
        if stiffness.is_empty() {
            return None;
        }
        let mut min = [f64::INFINITY; 21];
        let mut max = [f64::NEG_INFINITY; 21];
        for c in &stiffness {
            for i in 0..21 {
                min[i] = min[i].min(c[i]);
                max[i] = max[i].max(c[i]);
            }
        }
        let span = std::array::from_fn(|i| {
            if max[i] > min[i] {
                max[i] - min[i]
            } else {
                1.0
            }
        });
        let points = stiffness
            .iter()
            .enumerate()
            .map(|(k, c)| GeomWithData::new(std::array::from_fn(|i| (c[i] - min[i]) / span[i]), k))
            .collect();
        Some(Self {
            tree: RTree::bulk_load(points),
            designs,
            stiffness,
            min,
            span,
        })
    }

    /// Rows in the table.
    pub fn len(&self) -> usize {
        self.designs.len()
    }

    /// True when the table is empty (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.designs.is_empty()
    }

    /// The `k` rows nearest to `target` (21 normalized constants) in min–max normalized
    /// stiffness space, nearest first: (design, its tabulated stiffness).
    pub fn nearest(&self, target: &[f64; 21], k: usize) -> Vec<(Design, [f64; 21])> {
        let q: [f64; 21] = std::array::from_fn(|i| (target[i] - self.min[i]) / self.span[i]);
        self.tree
            .nearest_neighbor_iter(q)
            .take(k)
            .map(|p| (self.designs[p.data].clone(), self.stiffness[p.data]))
            .collect()
    }
}
