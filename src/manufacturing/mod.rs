//! Manufacturing: what a printer can make of a cell. Every length of a cell (strut diameters,
//! gaps between strut surfaces) scales linearly with the cell size `h`, so each limit is a
//! lower bound on `h` ([`CellNeeds`]); the smallest pore is measured on the periodic cell
//! ([`smallest_gap`]). Inverse design asks through [`Printability`] which designs print and at
//! what size; [`PrintableWithin`] answers it for a spec's limits, a largest cell and the room
//! around a control point. Lengths in mm.
//!
//! This module sits below `inverse`, `grading` and `pipeline`: it knows designs and cells
//! (`design_space`), not specs or builds.

mod cell_size;
mod pores;

use nalgebra::{Matrix3, Vector3};

use crate::design_space::{Design, RangePolicy};

pub use cell_size::{CellNeeds, LimitViolation};
pub(crate) use cell_size::{smallest_cell_size_of_the_space, thickest_unit_strut};
pub use pores::smallest_gap;

/// Printability limits, mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Manufacturing {
    /// Smallest printable strut diameter, mm.
    pub min_strut_diameter: f64,
    /// Smallest pore (gap between strut surfaces), mm.
    pub min_pore_size: f64,
}

/// Which designs print, and at what cell size: the manufacturing limits as inverse design sees
/// them. Strut diameters and pores do not change when a cell is turned as a whole, so neither
/// may the answer (inverse design orients designs without asking again).
pub trait Printability: Sync {
    /// The smallest cell edge (mm) at which `design` prints (0: at any size), or `None` if it
    /// prints at no allowed cell size.
    fn smallest_cell_size(&self, design: &Design) -> Option<f64>;
}

/// The longest body diagonal of the cell `A[−½, ½]³` (columns, mm): its largest width in any
/// direction.
pub fn longest_diagonal(a: &Matrix3<f64>) -> f64 {
    [
        [1.0, 1.0, 1.0],
        [1.0, 1.0, -1.0],
        [1.0, -1.0, 1.0],
        [-1.0, 1.0, 1.0],
    ]
    .iter()
    .map(|s| (a * Vector3::from(*s)).norm())
    .fold(0.0, f64::max)
}

/// The manufacturing limits at cell sizes up to `largest` (mm), as inverse design sees them:
/// a design prints if its strut diameter and smallest pore meet the limits at some cell edge
/// up to `largest`, and the smallest such edge is what ranks equally accurate designs.
#[derive(Debug, Clone, Copy)]
pub struct PrintableWithin<'a> {
    /// The largest allowed cell edge, mm.
    pub largest: f64,
    /// The limits.
    pub limits: &'a Manufacturing,
    /// Room around a graded control point, mm: the design's cell at its smallest printable
    /// size may be at most this wide in any direction (its longest body diagonal, `max |A s|`
    /// over `s = (±1, ±1, 1)`; independent of the cell's orientation). `f64::INFINITY` for no
    /// limit.
    pub widest: f64,
}

impl Printability for PrintableWithin<'_> {
    fn smallest_cell_size(&self, design: &Design) -> Option<f64> {
        let unit = design.cell(RangePolicy::Strict).ok()?;
        let h = CellNeeds::printable_within(&unit, self.largest, self.limits)
            .map(|needs| needs.smallest_cell_size(self.limits))?;
        if self.widest.is_finite() && longest_diagonal(&(design.affine().ok()? * h)) > self.widest {
            return None;
        }
        Some(h)
    }
}
