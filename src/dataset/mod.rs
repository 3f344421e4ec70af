//! Training data: designs sampled as in the paper, homogenized by [`crate::fem`], written as
//! CSV in the schema of the paper's public dataset (see [`csv`](self::header) for the columns).
//!
//! Rows are fixed by `(seed, row index)` alone, so shards made on many machines concatenate
//! into exactly the dataset one machine would make ([`merge`] checks it).

mod csv;
mod generate;
mod sample;

pub use csv::{ORTHOTROPIC, Row, design_from_fields, header, voigt21_names};
pub use generate::{DatasetConfig, DatasetMeta, Shard, generate, homogenize_row, merge, meta_path};
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
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Shards that do not fit together.
    #[error("cannot merge shards: {message}")]
    Merge {
        /// What is wrong.
        message: String,
    },
}

#[cfg(test)]
mod tests;
