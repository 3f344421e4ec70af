//! Neural networks of the inverse design (Bastek et al., PNAS 2022,
//! doi:10.1073/pnas.2111505119): the forward surrogate F = (F1, F2) and the inverse model
//! G = (G1, G2), their training, and the model files.
//!
//! burn types stay inside this module: callers use [`Models`] (load, [`Models::predict`],
//! [`Models::propose`]) and [`train_forward`] / [`train_inverse`].
//!
//! ## Files (`models/` by default)
//! - `forward.bpk`, `forward.json`: F's weights (burnpack) and [`ForwardConfig`].
//! - `inverse.bpk`, `inverse.json`: G's weights and [`InverseConfig`].
//! - `normalizers.json`: the min–max [`Normalizers`] fitted on the training split.
//! - `forward_report.json`, `inverse_report.json`: per-component R² on the held-out test split.
//! - `{f1,f2,inverse}_log.csv`: one line per epoch (`epoch,train_loss,validation_loss,lr,
//!   seconds,samples_per_second`).
//! - `checkpoints/<stage>/`: the last epoch's model and optimizer state, for `--resume`.
//!
//! ## Conventions
//! Stiffness is normalized by the base material's E (dimensionless), Voigt order
//! 11, 22, 33, 23, 13, 12 with engineering shear, 21 constants upper triangle row by row.

pub mod config;
pub mod data;
pub mod evaluate;
pub mod forward;
pub mod geometry;
pub mod gumbel;
pub mod inverse;
pub mod model_files;
pub mod normalize;
pub mod polish;
pub mod rotation;
pub mod train;
#[cfg(all(test, feature = "wgpu"))]
mod wgpu_tests;

use std::path::PathBuf;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use config::{Activation, ForwardConfig, InverseConfig, MlpConfig, TrainConfig};
pub use model_files::Models;
pub use normalize::{MinMax, Normalizers};
pub use polish::PolishOptions;
pub use train::{Progress, StageReport, train_forward, train_inverse};

/// Where networks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// The pure-Rust Flex CPU backend (always built).
    #[default]
    Cpu,
    /// WGPU (Vulkan, Metal, …); needs the `wgpu` cargo feature.
    Wgpu,
    /// CUDA; needs the `cuda` cargo feature.
    Cuda,
}

impl DeviceChoice {
    /// The burn device.
    ///
    /// # Errors
    /// [`LearnError::BackendNotBuilt`] when the backend's cargo feature is off.
    pub(crate) fn device(self) -> Result<Device, LearnError> {
        match self {
            DeviceChoice::Cpu => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            DeviceChoice::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda => Ok(Device::cuda(0)),
            #[allow(unreachable_patterns)]
            other => Err(LearnError::BackendNotBuilt {
                device: other,
                feature: match other {
                    DeviceChoice::Wgpu => "wgpu",
                    _ => "cuda",
                },
            }),
        }
    }
}

/// What is wrong with a line of a dataset CSV read for training.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CsvProblem {
    /// A field is not a number.
    #[error("not a number: {field:?}")]
    NotANumber {
        /// The field as written.
        field: String,
    },
    /// The line has another number of fields than the header.
    #[error("{found} fields, header has {header}")]
    FieldCount {
        /// Fields on the line.
        found: usize,
        /// Fields in the header.
        header: usize,
    },
    /// The design columns do not make a design.
    #[error(transparent)]
    Design(#[from] crate::dataset::DesignFieldsError),
    /// A rotation axis of the design is zero or not finite.
    #[error(transparent)]
    Rotation(Box<crate::design_space::DesignError>),
}

impl From<crate::design_space::DesignError> for CsvProblem {
    fn from(e: crate::design_space::DesignError) -> Self {
        CsvProblem::Rotation(Box::new(e))
    }
}

/// What is wrong with a model file (weights, configuration or normalizers).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelFileProblem {
    /// The file cannot be read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The configuration or normalizer JSON is malformed.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The weights cannot be loaded.
    #[error(transparent)]
    Record(#[from] burn::store::RecordError),
    /// No inverse model was trained in the folder.
    #[error("no inverse model; run `trussforge train inverse` first")]
    NoInverseModel,
}

/// Why training, loading or inference failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LearnError {
    /// A file could not be read or written. Check the path and permissions.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// Network weights or optimizer state could not be written.
    #[error("cannot save {}", path.display())]
    SaveRecord {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: burn::store::RecordError,
    },
    /// A dataset line is malformed. Regenerate or fix the file.
    #[error("{}:{line}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        #[source]
        problem: CsvProblem,
    },
    /// A dataset lacks a column the networks need (make data with `trussforge dataset`).
    #[error("{}: missing column {column:?}", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A model or config file is missing or unreadable; train first (`trussforge train`) or
    /// point `--models` at the directory holding `forward.bpk`.
    #[error("{}", path.display())]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        problem: ModelFileProblem,
    },
    /// A split of the data is empty; use more rows.
    #[error("the {split} split is empty ({rows} rows read); use a larger dataset")]
    EmptySplit {
        /// Which split.
        split: &'static str,
        /// Rows read in total.
        rows: usize,
    },
    /// `--device` names a backend that this build does not include; rebuild with
    /// `--features <feature>`.
    #[error("device {device:?} is not built in; rebuild with `--features {feature}`")]
    BackendNotBuilt {
        /// The requested device.
        device: DeviceChoice,
        /// The cargo feature that enables it.
        feature: &'static str,
    },
    /// A target stiffness is not finite.
    #[error("target {index} has a non-finite constant")]
    BadTarget {
        /// Index of the target.
        index: usize,
    },
    /// A design is invalid.
    #[error(transparent)]
    Design(#[from] crate::design_space::DesignError),
}
