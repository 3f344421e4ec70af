//! Manufacturing limits against the cell size: every length of a cell (strut diameters, gaps
//! between strut surfaces) scales linearly with the cell size `h`, so each limit is a lower
//! bound on `h`.

use super::{BuildError, CellLocation, smallest_gap};
use crate::design_space::{Design, PeriodicCell, RangePolicy};
use crate::inverse::Printability;
use crate::spec::Manufacturing;

/// What a unit cell (edge 1) needs from the cell size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellNeeds {
    /// Strut diameter of the unit cell (cell edges; the thinnest strut).
    pub unit_diameter: f64,
    /// Smallest gap between strut surfaces of the unit cell (cell edges), if any pair is
    /// separated.
    pub unit_pore: Option<f64>,
}

impl CellNeeds {
    /// Measures a unit cell.
    pub fn of(unit: &PeriodicCell) -> Self {
        Self {
            unit_diameter: unit
                .struts()
                .iter()
                .map(|s| s.diameter)
                .fold(f64::INFINITY, f64::min),
            unit_pore: smallest_gap(unit),
        }
    }

    /// Measures a unit cell if it is printable at some cell size up to `largest` (mm): the
    /// diameter is checked first, the (quadratic-cost) pore search only for cells that pass it.
    pub fn printable_within(
        unit: &PeriodicCell,
        largest: f64,
        limits: &Manufacturing,
    ) -> Option<Self> {
        let unit_diameter = unit
            .struts()
            .iter()
            .map(|s| s.diameter)
            .fold(f64::INFINITY, f64::min);
        if unit_diameter * largest < limits.min_strut_diameter {
            return None;
        }
        let unit_pore = smallest_gap(unit);
        if unit_pore.is_some_and(|p| p * largest < limits.min_pore_size) {
            return None;
        }
        Some(Self {
            unit_diameter,
            unit_pore,
        })
    }

    /// The smallest cell size (mm) meeting both limits, rounded up to 0.01 mm.
    pub fn smallest_cell_size(&self, limits: &Manufacturing) -> f64 {
        let by_strut = limits.min_strut_diameter / self.unit_diameter;
        let by_pore = match self.unit_pore {
            Some(p) if p > 0.0 => limits.min_pore_size / p,
            _ => f64::INFINITY,
        };
        round_up(by_strut.max(by_pore), 100.0)
    }

    /// Checks the limits at cell size `h` (mm); `at` names the place for messages.
    ///
    /// # Errors
    /// [`BuildError::StrutTooThin`] or [`BuildError::PoreTooSmall`] with the smallest cell size
    /// that fixes it.
    pub fn check(
        &self,
        h: f64,
        limits: &Manufacturing,
        at: &CellLocation,
    ) -> Result<(), BuildError> {
        let diameter = self.unit_diameter * h;
        if diameter < limits.min_strut_diameter {
            return Err(BuildError::StrutTooThin {
                diameter,
                limit: limits.min_strut_diameter,
                cell_size: h,
                fix: round_up(limits.min_strut_diameter / self.unit_diameter, 1000.0),
                at: at.clone(),
            });
        }
        if let Some(unit_pore) = self.unit_pore {
            let pore = unit_pore * h;
            if pore < limits.min_pore_size {
                let fix = if unit_pore > 0.0 {
                    round_up(limits.min_pore_size / unit_pore, 1000.0)
                } else {
                    f64::INFINITY
                };
                return Err(BuildError::PoreTooSmall {
                    pore,
                    limit: limits.min_pore_size,
                    cell_size: h,
                    fix,
                    at: at.clone(),
                });
            }
        }
        Ok(())
    }
}

/// `x` rounded up to a multiple of `1/per`, so a suggested fix always satisfies its limit.
pub(crate) fn round_up(x: f64, per: f64) -> f64 {
    (x * per * (1.0 - 1e-12)).ceil() / per
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design_space::{AxisAngle, Design, LatticeChoice, RangePolicy, Topology};

    fn unit(rho: f64) -> PeriodicCell {
        let bcc = LatticeChoice {
            lattice: 2,
            tessellation: 1,
        };
        Design {
            topology: Topology::try_new(&[bcc; 3]).unwrap(),
            relative_density: rho,
            u: [1.0; 3],
            r1: AxisAngle::IDENTITY,
            v: [1.0; 3],
            r2: AxisAngle::IDENTITY,
        }
        .cell(RangePolicy::Strict)
        .unwrap()
    }

    #[test]
    fn smallest_cell_size_meets_both_limits_and_no_smaller_does() {
        let limits = Manufacturing {
            min_strut_diameter: 0.3,
            min_pore_size: 0.4,
        };
        for rho in [0.005, 0.03, 0.1] {
            let needs = CellNeeds::of(&unit(rho));
            let h = needs.smallest_cell_size(&limits);
            needs.check(h, &limits, &CellLocation::Uniform).unwrap();
            assert!(
                needs
                    .check(h - 0.011, &limits, &CellLocation::Uniform)
                    .is_err(),
                "rho {rho}"
            );
        }
    }

    #[test]
    fn errors_name_the_fix() {
        let limits = Manufacturing {
            min_strut_diameter: 0.3,
            min_pore_size: 0.01,
        };
        let needs = CellNeeds::of(&unit(0.01));
        let err = needs
            .check(1.0, &limits, &CellLocation::ControlPoint("a".into()))
            .unwrap_err();
        let BuildError::StrutTooThin { fix, .. } = &err else {
            panic!("{err}")
        };
        needs.check(*fix, &limits, &CellLocation::Uniform).unwrap();
        assert!(err.to_string().contains("control point \"a\""), "{err}");
    }
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
        if self.widest.is_finite()
            && crate::grading::longest_diagonal(&(design.affine().ok()? * h)) > self.widest
        {
            return None;
        }
        Some(h)
    }
}
