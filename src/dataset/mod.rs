//! Training data: designs sampled as in the paper, homogenized by [`crate::fem`], written as
//! CSV in the schema of the paper's public dataset (see [`csv`](self::header) for the columns).
//!
//! Rows are fixed by `(seed, row index)` alone, so shards made on many machines concatenate
//! into exactly the dataset one machine would make ([`merge`] checks it).

mod csv;
mod generate;
mod sample;

pub use csv::{DesignFieldsError, ORTHOTROPIC, Row, design_from_fields, header, voigt21_names};
pub use generate::{
    DatasetConfig, DatasetMeta, RowError, Shard, ShardParseError, generate, homogenize_row, merge,
    meta_path,
};
pub use sample::{
    row_rng, sample_accepted_designs, sample_design, sample_orthotropic_design, uniform_rotation,
};

use std::path::PathBuf;

use thiserror::Error;

/// Why a dataset could not be made or merged.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// A file could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A shard's `.meta.json` sidecar could not be read.
    #[error("cannot read {} (every shard needs its .meta.json sidecar)", path.display())]
    MissingMeta {
        /// The sidecar.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A shard's `.meta.json` sidecar is not valid JSON of a [`DatasetMeta`].
    #[error("{}: malformed shard sidecar", path.display())]
    BadMeta {
        /// The sidecar.
        path: PathBuf,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// Shards that do not fit together.
    #[error("cannot merge shards: {0}")]
    Merge(MergeProblem),
}

/// The run a shard belongs to: shards merge only when all of them agree on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRun {
    /// Rows of the whole dataset.
    pub samples: u64,
    /// The dataset's seed.
    pub seed: u64,
    /// How many shards the dataset is split into.
    pub shards: u64,
}

impl std::fmt::Display for ShardRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "samples={}, seed={}, {} shards",
            self.samples, self.seed, self.shards
        )
    }
}

/// What is wrong with a set of shards given to [`merge`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MergeProblem {
    /// No shard file was given.
    #[error("no shard files given")]
    NoShards,
    /// A shard comes from another run than the first one.
    #[error("{} has {run}; {} has {first_run}", path.display(), first.display())]
    OtherRun {
        /// The shard.
        path: PathBuf,
        /// Its run.
        run: ShardRun,
        /// The first shard given.
        first: PathBuf,
        /// The first shard's run.
        first_run: ShardRun,
    },
    /// A shard index is not covered.
    #[error("shard {index}/{count} is missing")]
    MissingShard {
        /// 0-based shard index.
        index: u64,
        /// Number of shards.
        count: u64,
    },
    /// A shard index is covered more than once.
    #[error("shard {index}/{count} is given {times} times")]
    RepeatedShard {
        /// 0-based shard index.
        index: u64,
        /// Number of shards.
        count: u64,
        /// How often it is given.
        times: usize,
    },
    /// A shard file does not start with [`header`].
    #[error("{} does not start with the dataset header", path.display())]
    BadHeader {
        /// The shard.
        path: PathBuf,
    },
    /// A row index outside the shard's range, or not after the previous row.
    #[error("{}: row {row} is outside {rows:?} or out of order (duplicate?)", path.display())]
    BadRow {
        /// The shard.
        path: PathBuf,
        /// The row index read (`u64::MAX` when unreadable).
        row: u64,
        /// The rows the sidecar promises.
        rows: std::ops::Range<u64>,
    },
    /// A shard holds another number of rows than its sidecar says.
    #[error("{} holds {count} rows but its sidecar says {promised} (truncated?)", path.display())]
    RowCount {
        /// The shard.
        path: PathBuf,
        /// Rows found.
        count: u64,
        /// Rows the sidecar promises.
        promised: u64,
    },
}

#[cfg(test)]
mod tests;
