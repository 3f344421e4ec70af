//! Batch homogenization of sampled designs into a dataset file, in shards.

use std::io::{BufRead, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::csv::{Row, header};
use super::sample::{row_rng, sample_design};
use super::{DatasetError, MergeProblem, ShardRun};
use crate::design_space::{Design, Material, RangePolicy};
use crate::fem::{FemOptions, Homogenizer};
use crate::fsutil::atomic_write_with;

/// Shard `index` of `count` (0-based, `index < count`): the rows
/// `[index·N/count, (index+1)·N/count)` of an N-row dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based shard index (`K` of `K/M`).
    pub index: u64,
    /// Number of shards (`M`).
    pub count: u64,
}

impl Shard {
    /// The whole dataset as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The row range of this shard in a dataset of `samples` rows.
    pub fn rows(&self, samples: u64) -> Range<u64> {
        let at = |k: u64| ((k as u128 * samples as u128) / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }
}

/// A shard that is not written `K/M` with whole numbers `0 ≤ K < M`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shard {text:?} must be K/M with whole numbers 0 <= K < M (e.g. 0/4)")]
pub struct ShardParseError {
    /// The text given.
    pub text: String,
}

/// Why a dataset row could not be homogenized.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    /// The design (or its rotation `R_II`) is invalid.
    #[error(transparent)]
    Design(#[from] crate::design_space::DesignError),
    /// The FE homogenization failed.
    #[error(transparent)]
    Fem(#[from] crate::fem::FemError),
}

impl FromStr for Shard {
    type Err = ShardParseError;
    /// Parses `K/M` with `0 ≤ K < M`.
    fn from_str(s: &str) -> Result<Self, ShardParseError> {
        let err = || ShardParseError {
            text: s.to_string(),
        };
        let (k, m) = s.split_once('/').ok_or_else(err)?;
        let (index, count) = (
            k.trim().parse().map_err(|_| err())?,
            m.trim().parse().map_err(|_| err())?,
        );
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

/// What to generate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetConfig {
    /// Rows of the whole dataset (over all shards).
    pub samples: u64,
    /// Seed of the sampling; with `samples`, it fixes every row.
    pub seed: u64,
    /// Which part of the rows this run makes.
    pub shard: Shard,
    /// Finite-element options.
    pub fem: FemOptions,
    /// Strut material (stiffness is normalized by its E, so only ν matters).
    pub material: Material,
}

/// The sidecar `<file>.meta.json` written beside every dataset file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DatasetMeta {
    /// Rows of the whole dataset.
    pub samples: u64,
    /// Sampling seed.
    pub seed: u64,
    /// The shard this file holds (`0/1` for a whole or merged dataset).
    pub shard: Shard,
    /// The row range covered.
    pub rows: Range<u64>,
    /// Rows written.
    pub written: u64,
    /// Rows whose homogenization failed (not written), with the reason.
    pub failed: Vec<(u64, String)>,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Path of the sidecar of a dataset file.
pub fn meta_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".meta.json");
    PathBuf::from(s)
}

/// Homogenizes one sampled row: the `U·X` cell, the `V·R_I·U·X` cell, and the full design by
/// rotating the latter by `R_II`.
///
/// # Errors
/// [`RowError`] when a cell cannot be built or homogenized.
pub fn homogenize_row(
    row: u64,
    design: Design,
    material: &Material,
    fem: &mut Homogenizer,
) -> Result<Row, RowError> {
    use crate::design_space::AxisAngle;
    let ortho = Design {
        r1: AxisAngle::IDENTITY,
        v: [1.0; 3],
        r2: AxisAngle::IDENTITY,
        ..design.clone()
    };
    let unrotated = Design {
        r2: AxisAngle::IDENTITY,
        ..design.clone()
    };
    let stiffness =
        |d: &Design, fem: &mut Homogenizer| -> Result<crate::mechanics::Stiffness, RowError> {
            let cell = d.cell(RangePolicy::Strict)?;
            Ok(fem.homogenize(&cell, material)?.stiffness)
        };
    let c_ort = stiffness(&ortho, fem)?;
    let c_hat = stiffness(&unrotated, fem)?;
    let r2 = design.r2.matrix("R2")?;
    let c = c_hat.rotated(&r2);
    Ok(Row {
        row,
        design,
        c: c.to_constants(),
        c_ort: c_ort.to_constants(),
        c_hat: c_hat.to_constants(),
    })
}

/// Rows homogenized per parallel batch (bounds memory; results are written in order).
const BATCH: u64 = 4096;

/// Generates the rows of `config.shard` and writes them to `path` (CSV, header first) and the
/// sidecar [`meta_path`]; both atomically, so an interrupted run leaves no file that looks
/// complete. `on_progress` is called with the number of rows done.
///
/// # Errors
/// [`DatasetError::Io`] when the files cannot be written.
pub fn generate(
    config: &DatasetConfig,
    path: &Path,
    on_progress: &(dyn Fn(u64) + Sync),
) -> Result<DatasetMeta, DatasetError> {
    let start = std::time::Instant::now();
    let rows = config.shard.rows(config.samples);
    let mut failed = Vec::new();
    let mut written = 0u64;
    let io = |source: std::io::Error| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    };
    let homogenizers: Vec<std::sync::Mutex<Homogenizer>> = (0..rayon::current_num_threads().max(1))
        .map(|_| std::sync::Mutex::new(Homogenizer::new(config.fem)))
        .collect();
    atomic_write_with(path, |w| {
        writeln!(w, "{}", header())?;
        let mut at = rows.start;
        while at < rows.end {
            let end = (at + BATCH).min(rows.end);
            let results: Vec<Result<Row, (u64, String)>> = (at..end)
                .into_par_iter()
                .map(|row| {
                    // One homogenizer per worker thread, kept across batches, so the symbolic
                    // factorization of each topology is computed once per thread.
                    let slot = rayon::current_thread_index().unwrap_or(0) % homogenizers.len();
                    let mut fem = homogenizers[slot].lock().expect("homogenizer lock");
                    let design = sample_design(&mut row_rng(config.seed, row));
                    homogenize_row(row, design, &config.material, &mut fem)
                        .map_err(|e| (row, e.to_string()))
                })
                .collect();
            for r in results {
                match r {
                    Ok(row) => {
                        writeln!(w, "{}", row.to_line())?;
                        written += 1;
                    }
                    Err(f) => failed.push(f),
                }
            }
            on_progress(end - rows.start);
            at = end;
        }
        Ok(())
    })
    .map_err(io)?;
    let meta = DatasetMeta {
        samples: config.samples,
        seed: config.seed,
        shard: config.shard,
        rows,
        written,
        failed,
        seconds: start.elapsed().as_secs_f64(),
    };
    write_meta(path, &meta)?;
    Ok(meta)
}

fn write_meta(path: &Path, meta: &DatasetMeta) -> Result<(), DatasetError> {
    let m = meta_path(path);
    let bytes = serde_json::to_vec_pretty(meta).expect("meta serializes");
    crate::fsutil::atomic_write_bytes(&m, &bytes).map_err(|source| DatasetError::Io {
        path: m.clone(),
        source,
    })
}

/// The run `meta`'s shard belongs to.
fn run_of(meta: &DatasetMeta) -> ShardRun {
    ShardRun {
        samples: meta.samples,
        seed: meta.seed,
        shards: meta.shard.count,
    }
}

fn read_meta(path: &Path) -> Result<DatasetMeta, DatasetError> {
    let m = meta_path(path);
    let text = std::fs::read_to_string(&m).map_err(|source| DatasetError::MissingMeta {
        path: m.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| DatasetError::BadMeta { path: m, source })
}

/// The sidecars of `inputs` (sorted by shard index), checked to come from one run and to
/// cover every shard exactly once; with the first input's sidecar.
#[allow(clippy::type_complexity)]
fn checked_shards(
    inputs: &[PathBuf],
) -> Result<(Vec<(DatasetMeta, &PathBuf)>, DatasetMeta), DatasetError> {
    let mut metas: Vec<(DatasetMeta, &PathBuf)> = inputs
        .iter()
        .map(|p| read_meta(p).map(|m| (m, p)))
        .collect::<Result<_, _>>()?;
    let first = metas
        .first()
        .ok_or(DatasetError::Merge(MergeProblem::NoShards))?
        .0
        .clone();
    for (m, p) in &metas {
        if (m.samples, m.seed, m.shard.count) != (first.samples, first.seed, first.shard.count) {
            return Err(DatasetError::Merge(MergeProblem::OtherRun {
                path: p.to_path_buf(),
                run: run_of(m),
                first: inputs[0].clone(),
                first_run: run_of(&first),
            }));
        }
    }
    metas.sort_by_key(|(m, _)| m.shard.index);
    for k in 0..first.shard.count {
        let times = metas.iter().filter(|(m, _)| m.shard.index == k).count();
        let problem = match times {
            1 => continue,
            0 => MergeProblem::MissingShard {
                index: k,
                count: first.shard.count,
            },
            _ => MergeProblem::RepeatedShard {
                index: k,
                count: first.shard.count,
                times,
            },
        };
        return Err(DatasetError::Merge(problem));
    }
    Ok((metas, first))
}

/// Copies the rows of the shard file `path` to `w` (without its header), checking the header
/// and that the rows are exactly those `meta` promises, in order. Returns the rows copied, or
/// the problem found (outer error: reading or writing failed).
fn copy_shard(
    w: &mut dyn Write,
    meta: &DatasetMeta,
    path: &Path,
    header_line: &str,
) -> std::io::Result<Result<u64, MergeProblem>> {
    let file = std::fs::File::open(path)?;
    let mut lines = std::io::BufReader::new(file).lines();
    if lines.next().transpose()?.as_deref() != Some(header_line) {
        return Ok(Err(MergeProblem::BadHeader {
            path: path.to_path_buf(),
        }));
    }
    let mut last: Option<u64> = None;
    let mut count = 0u64;
    for line in lines {
        let line = line?;
        let row: u64 = line
            .rsplit(',')
            .next()
            .and_then(|r| r.parse().ok())
            .unwrap_or(u64::MAX);
        let in_order = last.is_none_or(|l| row > l);
        if !meta.rows.contains(&row) || !in_order {
            return Ok(Err(MergeProblem::BadRow {
                path: path.to_path_buf(),
                row,
                rows: meta.rows.clone(),
            }));
        }
        last = Some(row);
        count += 1;
        writeln!(w, "{line}")?;
    }
    if count != meta.written {
        return Ok(Err(MergeProblem::RowCount {
            path: path.to_path_buf(),
            count,
            promised: meta.written,
        }));
    }
    Ok(Ok(count))
}

/// Concatenates shard files into one dataset at `out`, checking that the shards come from the
/// same seed and size, cover every shard `0..M` exactly once (no gap, no duplicate) and that
/// each file holds exactly the rows its sidecar promises, in order.
///
/// # Errors
/// [`DatasetError::Merge`] naming the shard and the problem, or [`DatasetError::Io`].
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<DatasetMeta, DatasetError> {
    let (metas, first) = checked_shards(inputs)?;
    let start = std::time::Instant::now();
    let mut failed = Vec::new();
    let mut written = 0u64;
    let header_line = header();
    let mut problem: Option<MergeProblem> = None;
    atomic_write_with(out, |w| {
        writeln!(w, "{header_line}")?;
        for (meta, path) in &metas {
            match copy_shard(w, meta, path, &header_line)? {
                Ok(count) => written += count,
                Err(p) => {
                    problem = Some(p);
                    return Err(std::io::Error::other("bad shard"));
                }
            }
            failed.extend(meta.failed.iter().cloned());
        }
        Ok(())
    })
    .map_err(|e| match problem.take() {
        Some(p) => DatasetError::Merge(p),
        None => DatasetError::Io {
            path: out.to_path_buf(),
            source: e,
        },
    })?;
    let meta = DatasetMeta {
        samples: first.samples,
        seed: first.seed,
        shard: Shard::WHOLE,
        rows: 0..first.samples,
        written,
        failed,
        seconds: start.elapsed().as_secs_f64(),
    };
    write_meta(out, &meta)?;
    Ok(meta)
}
