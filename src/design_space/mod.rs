//! The truss design space of Bastek et al. (PNAS 2022, doi:10.1073/pnas.2111505119).
//!
//! A design Θ superposes three of seven elementary lattices (each tessellated 1× or 2×),
//! maps the unit cube affinely by `F = R_II · V · R_I · U` and sets one strut diameter from
//! the relative density ρ. The result is a [`PeriodicCell`].

mod canonical;
mod cell;
mod design;
mod error;
mod files;
mod lattices;
mod topology;

pub use canonical::{Equivalence, TopologyCatalog, TopologyClass};
pub use cell::{CellNodeId, Material, PeriodicCell, PeriodicStrut};
pub use design::{AxisAngle, DENSITY_RANGE, Design, RangePolicy, STRETCH_RANGE, unit_graph};
pub use error::DesignError;
pub use files::{CellSource, TrussFile, read_cell_source, read_design};
pub use lattices::{LATTICE_COUNT, LATTICE_NAMES};
pub use topology::{LatticeChoice, Topology, UnitGraph};

#[cfg(test)]
mod tests;
