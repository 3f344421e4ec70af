//! The lookup-table baseline of Bastek et al. (SI 3.G): the dataset rows nearest to a target
//! by stiffness.

use std::io::BufRead;
use std::path::Path;

use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::{DatasetProblem, InverseError};
use crate::dataset::design_from_fields;
use crate::design_space::Design;

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
/// dataset` schema; the first 19 columns the design, then `C11..C66`).
///
/// # Errors
/// [`InverseError::Dataset`] naming the file and line of a malformed row.
pub(crate) fn read_dataset(path: &Path) -> Result<(Vec<Design>, Vec<[f64; 21]>), InverseError> {
    let err = |line: usize, problem: DatasetProblem| InverseError::Dataset {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let file = std::fs::File::open(path).map_err(|e| err(0, DatasetProblem::Io(e)))?;
    let mut designs = Vec::new();
    let mut stiffness = Vec::new();
    for (k, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| err(k + 1, DatasetProblem::Io(e)))?;
        if k == 0 {
            if !line.starts_with("relative_density,") {
                return Err(err(1, DatasetProblem::NotADataset));
            }
            continue;
        }
        let fields: Vec<f64> = line
            .split(',')
            .map(|f| f.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| err(k + 1, DatasetProblem::NotANumber(e)))?;
        if fields.len() < 40 {
            return Err(err(
                k + 1,
                DatasetProblem::TooFewColumns {
                    found: fields.len(),
                },
            ));
        }
        designs
            .push(design_from_fields(&fields).map_err(|e| err(k + 1, DatasetProblem::Design(e)))?);
        stiffness.push(std::array::from_fn(|i| fields[19 + i]));
    }
    Ok((designs, stiffness))
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
