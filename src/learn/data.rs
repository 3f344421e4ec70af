//! Dataset CSV → in-memory training table, deterministic split, and mini-batch tensors.
//!
//! Reads the CSV of [`crate::dataset`] (columns found by name, so column order is free). The
//! split is fixed by each row's `row` index alone (a SplitMix64 hash modulo 100), so the
//! held-out test set is the same for every seed, file order and shard layout.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};
use nalgebra::{Matrix3, Matrix6};

use super::normalize::{MinMax, Normalizers};
use super::rotation::rotation_tensor;
use super::{CsvProblem, LearnError};
use crate::dataset::{ORTHOTROPIC, design_from_fields, voigt21_names};
use crate::design_space::{Design, DesignError};
use crate::mechanics::bond_matrix;

/// The design inputs of one design as the networks see them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesignFeatures {
    /// `[ρ, U1, U2, U3]`.
    pub rho_u: [f64; 4],
    /// Lattice index (0..=6) of the three slots, then tessellation (1, 2).
    pub topology: [u8; 6],
    /// `R_I`, row-major.
    pub r1: [f64; 9],
    /// `[V1, V2, V3]`.
    pub v: [f64; 3],
    /// `R_II`, row-major.
    pub r2: [f64; 9],
}

fn flat(r: &Matrix3<f64>) -> [f64; 9] {
    std::array::from_fn(|k| r[(k / 3, k % 3)])
}

impl DesignFeatures {
    /// Features of a design.
    ///
    /// # Errors
    /// [`DesignError`] when a rotation axis is zero or not finite.
    pub fn of(d: &Design) -> Result<DesignFeatures, DesignError> {
        let t = d.topology.choices();
        Ok(DesignFeatures {
            rho_u: [d.relative_density, d.u[0], d.u[1], d.u[2]],
            topology: [
                t[0].lattice,
                t[1].lattice,
                t[2].lattice,
                t[0].tessellation,
                t[1].tessellation,
                t[2].tessellation,
            ],
            r1: flat(&d.r1.matrix("R1")?),
            v: d.v,
            r2: flat(&d.r2.matrix("R2")?),
        })
    }

    /// The 27-wide one-hot layout of the topology.
    pub fn one_hot(&self) -> [f32; 27] {
        let mut v = [0f32; 27];
        for s in 0..3 {
            v[s * 7 + self.topology[s] as usize] = 1.0;
            v[21 + s * 2 + (self.topology[3 + s] as usize - 1)] = 1.0;
        }
        v
    }
}

/// The design columns of the dataset schema, in [`design_from_fields`] order.
const DESIGN_COLUMNS: [&str; 19] = [
    "relative_density",
    "U1",
    "U2",
    "U3",
    "lattice_type1",
    "lattice_type2",
    "lattice_type3",
    "lattice_rep1",
    "lattice_rep2",
    "lattice_rep3",
    "R1_theta",
    "R1_rot_ax1",
    "R1_rot_ax2",
    "R2_theta",
    "R2_rot_ax1",
    "R2_rot_ax2",
    "V1",
    "V2",
    "V3",
];

/// Where the fields the networks need are in a dataset's lines.
struct Columns {
    design: Vec<usize>,
    c: Vec<usize>,
    /// The orthotropic `Cort*` and `Chat*` columns: needed to train F1 and F2, not to
    /// predict.
    ort: Option<Vec<usize>>,
    hat: Option<Vec<usize>>,
    row: Option<usize>,
}

/// Which columns a reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// The design, C and the intermediate stiffnesses F1 and F2 are trained on.
    Training,
    /// The design and C.
    Prediction,
}

impl Columns {
    /// Finds the columns in `header` (of the file `path`, named in errors).
    fn find(header: &[&str], path: &Path, needs: Needs) -> Result<Columns, LearnError> {
        let col = |name: &str| -> Result<usize, LearnError> {
            header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| LearnError::MissingColumn {
                    path: path.to_path_buf(),
                    column: name.to_string(),
                })
        };
        let all = |names: &mut dyn Iterator<Item = &str>| -> Result<Vec<usize>, LearnError> {
            names.map(col).collect()
        };
        let training = |names: &mut dyn Iterator<Item = &str>| match needs {
            Needs::Training => all(names).map(Some),
            Needs::Prediction => Ok(None),
        };
        Ok(Columns {
            design: all(&mut DESIGN_COLUMNS.iter().copied())?,
            c: all(&mut voigt21_names("C").iter().map(String::as_str))?,
            ort: training(&mut ORTHOTROPIC.iter().map(|(_, n)| *n))?,
            hat: training(&mut voigt21_names("Chat").iter().map(String::as_str))?,
            row: col("row").ok(),
        })
    }

    /// The design, C and row index of the parsed line `fields`; `index` is the row's position
    /// in the file, used when there is no `row` column.
    fn labelled(
        &self,
        fields: &[f64],
        index: usize,
    ) -> Result<(u64, Design, [f64; 21]), CsvProblem> {
        let dfields: Vec<f64> = self.design.iter().map(|&k| fields[k]).collect();
        let design = design_from_fields(&dfields)?;
        let c: [f64; 21] = std::array::from_fn(|k| fields[self.c[k]]);
        let row = match self.row {
            Some(k) => fields[k] as u64,
            None => index as u64,
        };
        Ok((row, design, c))
    }
}

/// Calls `each(fields, columns, index)` for every non-empty data line of the dataset CSV
/// `path` (read line by line, so memory stays bounded by what `each` keeps), until `each`
/// returns `Ok(false)`.
fn for_each_row(
    path: &Path,
    needs: Needs,
    mut each: impl FnMut(&[f64], &Columns, usize) -> Result<bool, CsvProblem>,
) -> Result<(), LearnError> {
    use std::io::BufRead;
    let io = |source| LearnError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut lines = std::io::BufReader::new(file).lines();
    let header_line = lines.next().transpose().map_err(io)?.unwrap_or_default();
    let header: Vec<&str> = header_line.split(',').collect();
    let columns = Columns::find(&header, path, needs)?;
    let mut fields: Vec<f64> = Vec::with_capacity(header.len());
    let mut index = 0;
    for (ln, line) in lines.enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |problem: CsvProblem| LearnError::Csv {
            path: path.to_path_buf(),
            line: ln + 2,
            problem,
        };
        parse_fields(&line, header.len(), &mut fields).map_err(bad)?;
        if !each(&fields, &columns, index).map_err(bad)? {
            break;
        }
        index += 1;
    }
    Ok(())
}

/// Parses the comma-separated `line` into `fields`, checking it has `width` of them.
fn parse_fields(line: &str, width: usize, fields: &mut Vec<f64>) -> Result<(), CsvProblem> {
    fields.clear();
    for f in line.split(',') {
        fields.push(
            f.trim()
                .parse::<f64>()
                .map_err(|_| CsvProblem::NotANumber {
                    field: f.to_string(),
                })?,
        );
    }
    if fields.len() != width {
        return Err(CsvProblem::FieldCount {
            found: fields.len(),
            header: width,
        });
    }
    Ok(())
}

/// 21 constants rotated by `r` (f64, via [`bond_matrix`]).
pub fn rotate21(c: &[f64; 21], r: &[f64; 9]) -> [f64; 21] {
    let r = Matrix3::from_fn(|i, j| r[i * 3 + j]);
    let mut m = Matrix6::zeros();
    for (k, (i, j)) in super::rotation::upper21().into_iter().enumerate() {
        m[(i, j)] = c[k];
        m[(j, i)] = c[k];
    }
    let b = bond_matrix(&r);
    let out = b * m * b.transpose();
    let mut v = [0.0; 21];
    for (k, (i, j)) in super::rotation::upper21().into_iter().enumerate() {
        v[k] = out[(i, j)];
    }
    v
}

/// Every row of one or more dataset files.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// `row` column (generation index).
    pub row: Vec<u64>,
    /// Design inputs.
    pub design: Vec<DesignFeatures>,
    /// C (21) of the full design.
    pub c: Vec<[f64; 21]>,
    /// The 9 orthotropic constants of the `U·X` cell.
    pub c_ort: Vec<[f64; 9]>,
    /// The orthotropic constants rotated by `R_I` (21; F2's stiffness input).
    pub c_rot: Vec<[f64; 21]>,
    /// Ĉ (21) of the `V·R_I·U·X` cell.
    pub c_hat: Vec<[f64; 21]>,
}

/// Which part of the data a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Fitting.
    Train,
    /// Early stopping and model selection.
    Validation,
    /// Final figures only.
    Test,
}

/// The split of a row: `splitmix64(row) mod 100` below `test_percent` → test, below
/// `test_percent + validation_percent` → validation, otherwise train.
pub fn split_of(row: u64, validation_percent: u32, test_percent: u32) -> Split {
    let mut z = row.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let p = (z % 100) as u32;
    if p < test_percent {
        Split::Test
    } else if p < test_percent + validation_percent {
        Split::Validation
    } else {
        Split::Train
    }
}

impl Table {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.row.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.row.is_empty()
    }

    /// Reads and concatenates dataset files.
    ///
    /// # Errors
    /// [`LearnError::Io`] for an unreadable file, [`LearnError::MissingColumn`] when a needed
    /// column is absent (the orthotropic `Cort*` and `Chat*` columns are needed to train F1
    /// and F2), [`LearnError::Csv`] for a malformed line.
    pub fn read(paths: &[PathBuf]) -> Result<Table, LearnError> {
        let mut t = Table::default();
        for p in paths {
            t.read_one(p)?;
        }
        Ok(t)
    }

    fn read_one(&mut self, path: &Path) -> Result<(), LearnError> {
        for_each_row(path, Needs::Training, |fields, columns, index| {
            self.push_row(fields, columns, index)?;
            Ok(true)
        })
    }

    /// Appends the row of `fields` (laid out as `columns` says).
    fn push_row(
        &mut self,
        fields: &[f64],
        columns: &Columns,
        index: usize,
    ) -> Result<(), CsvProblem> {
        let (row, design, c) = columns.labelled(fields, index)?;
        let features = DesignFeatures::of(&design)?;
        let (ort, hat) = match (&columns.ort, &columns.hat) {
            (Some(o), Some(h)) => (o, h),
            _ => unreachable!("training columns are found by Columns::find"),
        };
        let c_ort: [f64; 9] = std::array::from_fn(|k| fields[ort[k]]);
        let c_hat: [f64; 21] = std::array::from_fn(|k| fields[hat[k]]);
        let mut ort21 = [0.0; 21];
        for (r, &(k, _)) in ORTHOTROPIC.iter().enumerate() {
            ort21[k] = c_ort[r];
        }
        self.c_rot.push(rotate21(&ort21, &features.r1));
        self.row.push(row);
        self.design.push(features);
        self.c.push(c);
        self.c_ort.push(c_ort);
        self.c_hat.push(c_hat);
        Ok(())
    }

    /// Row indices of each split: (train, validation, test).
    pub fn split(
        &self,
        validation_percent: u32,
        test_percent: u32,
    ) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
        let (mut tr, mut va, mut te) = (Vec::new(), Vec::new(), Vec::new());
        for (i, &r) in self.row.iter().enumerate() {
            match split_of(r, validation_percent, test_percent) {
                Split::Train => tr.push(i),
                Split::Validation => va.push(i),
                Split::Test => te.push(i),
            }
        }
        (tr, va, te)
    }

    /// Fits every normalizer on the rows `train`.
    ///
    /// # Panics
    /// When `train` is empty (caller bug).
    #[track_caller]
    pub fn fit_normalizers(&self, train: &[usize]) -> Normalizers {
        assert!(!train.is_empty(), "no training rows");
        Normalizers {
            rho_u: MinMax::fit(train.iter().map(|&i| &self.design[i].rho_u[..])),
            v: MinMax::fit(train.iter().map(|&i| &self.design[i].v[..])),
            c_ort: MinMax::fit(train.iter().map(|&i| &self.c_ort[i][..])),
            c_rot: MinMax::fit(train.iter().map(|&i| &self.c_rot[i][..])),
            c_hat: MinMax::fit(train.iter().map(|&i| &self.c_hat[i][..])),
            c: MinMax::fit(train.iter().map(|&i| &self.c[i][..])),
        }
    }
}

/// Designs with their FE stiffness, as read from dataset CSVs for prediction (the design
/// columns, the 21 `C` constants normalized by E_b, and `row`).
#[derive(Debug, Clone, Default)]
pub struct LabelledDesigns {
    /// `row` column (generation index; the position in the file where there is none).
    pub row: Vec<u64>,
    /// The designs.
    pub designs: Vec<Design>,
    /// Their stiffness C (21 constants, normalized by E_b).
    pub c: Vec<[f64; 21]>,
}

impl LabelledDesigns {
    /// Reads the first `max_rows` rows (all with `None`) of the dataset files `paths`, in
    /// order. Only the design columns and `C11`…`C66` are needed.
    ///
    /// # Errors
    /// [`LearnError::Io`] for an unreadable file, [`LearnError::MissingColumn`] naming an
    /// absent column, [`LearnError::Csv`] (file, line, what is wrong) for a malformed line.
    pub fn read(paths: &[PathBuf], max_rows: Option<usize>) -> Result<Self, LearnError> {
        let mut out = LabelledDesigns::default();
        let limit = max_rows.unwrap_or(usize::MAX);
        for p in paths {
            if out.len() >= limit {
                break;
            }
            for_each_row(p, Needs::Prediction, |fields, columns, index| {
                let (row, design, c) = columns.labelled(fields, index)?;
                out.row.push(row);
                out.designs.push(design);
                out.c.push(c);
                Ok(out.len() < limit)
            })?;
        }
        Ok(out)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.row.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.row.is_empty()
    }
}

/// `[idx.len(), N]` tensor of the rows `idx` of `src`, scaled by `norm` when given.
pub fn gather<const N: usize>(
    src: &[[f64; N]],
    idx: &[usize],
    norm: Option<&MinMax>,
    device: &Device,
) -> Tensor<2> {
    let mut v = Vec::with_capacity(idx.len() * N);
    for &i in idx {
        for (k, &x) in src[i].iter().enumerate() {
            v.push(match norm {
                Some(n) => n.apply_one(k, x) as f32,
                None => x as f32,
            });
        }
    }
    Tensor::from_data(TensorData::new(v, [idx.len(), N]), device)
}

/// The design inputs of `features` as chain inputs.
pub fn design_batch(
    features: &[&DesignFeatures],
    norms: &Normalizers,
    device: &Device,
) -> super::forward::DesignBatch {
    let rho_u: Vec<[f64; 4]> = features.iter().map(|f| f.rho_u).collect();
    let v: Vec<[f64; 3]> = features.iter().map(|f| f.v).collect();
    let all: Vec<usize> = (0..features.len()).collect();
    let topo: Vec<f32> = features.iter().flat_map(|f| f.one_hot()).collect();
    super::forward::DesignBatch {
        rho_u: gather(&rho_u, &all, Some(&norms.rho_u), device),
        topology: Tensor::from_data(TensorData::new(topo, [features.len(), 27]), device),
        r1: rotation_tensor(&features.iter().map(|f| f.r1).collect::<Vec<_>>(), device),
        v: gather(&v, &all, Some(&norms.v), device),
        r2: rotation_tensor(&features.iter().map(|f| f.r2).collect::<Vec<_>>(), device),
    }
}

/// Per-component coefficient of determination `R² = 1 − SS_res / SS_tot` over rows.
pub fn r_squared<const N: usize>(predicted: &[[f64; N]], truth: &[[f64; N]]) -> [f64; N] {
    let n = truth.len().max(1) as f64;
    std::array::from_fn(|k| {
        let mean = truth.iter().map(|t| t[k]).sum::<f64>() / n;
        let ss_tot: f64 = truth.iter().map(|t| (t[k] - mean).powi(2)).sum();
        let ss_res: f64 = predicted
            .iter()
            .zip(truth)
            .map(|(p, t)| (p[k] - t[k]).powi(2))
            .sum();
        if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            f64::NAN
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_deterministic_and_proportional() {
        let n = 20_000u64;
        let counts = (0..n).fold([0usize; 3], |mut c, r| {
            match split_of(r, 10, 10) {
                Split::Train => c[0] += 1,
                Split::Validation => c[1] += 1,
                Split::Test => c[2] += 1,
            }
            c
        });
        for (k, want) in [(0, 0.8), (1, 0.1), (2, 0.1)] {
            let got = counts[k] as f64 / n as f64;
            assert!((got - want).abs() < 0.01, "split {k}: {got}");
        }
        assert_eq!(split_of(12345, 10, 10), split_of(12345, 10, 10));
    }
}
