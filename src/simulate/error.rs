//! Why a simulation failed.

use std::path::PathBuf;

use thiserror::Error;

use crate::fem::FemError;
use crate::mechanics::MechanicsError;
use crate::network::NetworkError;

/// Why `simulate` could not read, build, solve or write the beam model.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SimulateError {
    /// The folder holds no strut network. Fix: point at a build's output folder, and build
    /// with `outputs: {beam_lattice: true}` (the default).
    #[error(
        "{folder} holds no strut network: {file} is missing (is it a trussforge build's output \
         folder, built with outputs.beam_lattice: true?)"
    )]
    MissingNetwork {
        /// The folder given.
        folder: PathBuf,
        /// The file looked for.
        file: &'static str,
    },
    /// The folder has no `report.json`. Fix: point at a build's output folder.
    #[error("{folder} has no report.json: not a trussforge build's output folder")]
    MissingReport {
        /// The folder given.
        folder: PathBuf,
    },
    /// A file could not be read.
    #[error("reading {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The 3MF package could not be opened.
    #[error("reading the 3MF package {path}")]
    Zip {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// The beam lattice in the 3MF file is malformed (not as `trussforge build` writes it).
    #[error("{path}: {what}")]
    BadLattice {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the offending element.
        what: String,
    },
    /// The lattice read is not a valid strut network.
    #[error("{path}: the beam lattice is not a valid strut network")]
    Network {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: NetworkError,
    },
    /// `report.json` could not be parsed.
    #[error("{path}: not a readable build report")]
    BadReport {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// `report.json` predates the `domain` record. Fix: rebuild the implant.
    #[error("{path} records no domain (written by an older trussforge); rebuild the implant")]
    NoDomain {
        /// The file.
        path: PathBuf,
    },
    /// The domain has no pair of flat end faces perpendicular to the load axis.
    #[error("the {domain} domain has no flat end faces along the load axis {axis:?}: {hint}")]
    NoEndFaces {
        /// `box`, `cylinder` or `envelope`.
        domain: &'static str,
        /// The load axis asked for (unit vector).
        axis: [f64; 3],
        /// What would work.
        hint: String,
    },
    /// No strut node lies on an end face, so the plate holds nothing.
    #[error(
        "no strut node lies on the {face} end face ({coordinate_mm} mm along the axis {axis:?}, \
         within {tolerance_mm} mm): the network does not reach that face, so a plate there \
         holds nothing"
    )]
    EmptyFace {
        /// `bottom` or `top`.
        face: &'static str,
        /// The face's coordinate along the axis, mm.
        coordinate_mm: f64,
        /// The load axis (unit vector).
        axis: [f64; 3],
        /// The tolerance used, mm.
        tolerance_mm: f64,
    },
    /// An option out of range.
    #[error("invalid simulate option {field} = {value}: {reason}")]
    InvalidOption {
        /// The option.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// A control point's target stiffness is not a valid stiffness.
    #[error("the target stiffness of control point {id} is invalid")]
    Target {
        /// The control point.
        id: String,
        /// The cause.
        #[source]
        source: MechanicsError,
    },
    /// The beam model could not be solved (a floating piece, a mechanism).
    #[error("solving the beam model of the whole part")]
    Fem(#[from] FemError),
    /// A file could not be written.
    #[error("writing {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
