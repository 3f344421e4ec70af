//! # trussforge
//!
//! Turns measured anisotropic bone stiffness into a printable, spatially graded truss implant.
//!
//! ## Conventions
//! - **Units**: geometry in millimetres; stiffness in GPa in specs and reports, normalized by
//!   the base material's Young's modulus E_b everywhere inside the engine; angles in radians
//!   internally and degrees in files.
//! - **Voigt order** 11, 22, 33, 23, 13, 12 with engineering shear strains; the 21 constants
//!   are the upper triangle row by row (see [`mechanics`]).
//! - **Unit cell**: the elementary lattices live in the cube `[-0.5, 0.5]³`; a design maps it
//!   by `F = R_II · V · R_I · U`, whose columns are the primitive lattice vectors.
//!
//! ## Pipeline
//! [`pipeline::build`] runs one spec: `spec` → `inverse` (networks propose, FE verifies) →
//! `grading` → `mesh` → `export`; [`pipeline::batch`] runs many. The repository's
//! `ARCHITECTURE.md` maps the modules, the rules every change keeps and the conventions.
//! `design_space` (a design Θ → its periodic cell), [`mechanics`] (stiffness tensors) and
//! [`geom`] (the geometry kernel: exact rational points, predicates, distances) are used by
//! every stage.
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
// No function may exceed `clippy.toml`'s line limit; test modules with long case tables opt out.
#![deny(clippy::too_many_lines)]

pub mod cleanup;
pub mod dataset;
pub mod design_space;
pub mod error_text;
pub mod export;
pub mod fem;
pub mod fsutil;
pub mod geom;
pub mod grading;
pub mod inverse;
pub mod learn;
pub mod manufacturing;
pub mod mechanics;
pub mod mesh;
pub mod network;
pub mod pipeline;
pub mod plot;
pub mod simulate;
pub mod spec;
pub mod surface;
