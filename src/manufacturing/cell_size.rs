//! Manufacturing limits against the cell size: every length of a cell (strut diameters, gaps
//! between strut surfaces) scales linearly with the cell size `h`, so each limit is a lower
//! bound on `h`.

use super::{Manufacturing, smallest_gap};
use crate::design_space::{
    DENSITY_RANGE, LatticeChoice, PeriodicCell, STRETCH_RANGE, Topology, unit_graph,
};

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

    /// Checks the limits at cell size `h` (mm).
    ///
    /// # Errors
    /// The first limit missed, with the smallest cell size that meets it.
    pub fn check(&self, h: f64, limits: &Manufacturing) -> Result<(), LimitViolation> {
        let diameter = self.unit_diameter * h;
        if diameter < limits.min_strut_diameter {
            return Err(LimitViolation::StrutTooThin {
                diameter,
                limit: limits.min_strut_diameter,
                cell_size: h,
                fix: round_up(limits.min_strut_diameter / self.unit_diameter, 1000.0),
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
                return Err(LimitViolation::PoreTooSmall {
                    pore,
                    limit: limits.min_pore_size,
                    cell_size: h,
                    fix,
                });
            }
        }
        Ok(())
    }
}

/// A manufacturing limit a cell misses at a cell size (all lengths mm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LimitViolation {
    /// Struts thinner than the printer can make.
    StrutTooThin {
        /// The design's strut diameter.
        diameter: f64,
        /// `min_strut_diameter`.
        limit: f64,
        /// The cell size checked.
        cell_size: f64,
        /// The smallest cell size that meets the limit.
        fix: f64,
    },
    /// Pores smaller than powder can be removed from.
    PoreTooSmall {
        /// The smallest gap between strut surfaces.
        pore: f64,
        /// `min_pore_size`.
        limit: f64,
        /// The cell size checked.
        cell_size: f64,
        /// The smallest cell size that meets the limit (infinite where struts touch).
        fix: f64,
    },
}

/// The thickest strut any design of the design space has, in cell edges (the cell size `h`
/// before the affine map), and so, with [`smallest_cell_size_of_the_space`], the smallest cell
/// any design prints at.
///
/// # Derivation
/// A design's unit cell (edge 1) maps the unit graph's struts `s_b` by
/// `F = R_II · diag(V) · R_I · diag(U)` and gives them one diameter `d` from its density:
/// `ρ · det F = Σ_b (π d²/4) |F s_b|` ([`Design::cell`]), so
///
/// `d² = (4ρ/π) · det F / Σ_b |F s_b|`.
///
/// With the singular values `σ₁ ≥ σ₂ ≥ σ₃` of `F`, `det F = σ₁σ₂σ₃` and `|F s| ≥ σ₃ |s|`, so
/// `det F / Σ_b |F s_b| ≤ σ₁σ₂ / L ≤ σ₁² / L`, where `L = Σ_b |s_b|` is the unit graph's total
/// strut length. `σ₁ ≤ max V · max U` (rotations keep lengths), `ρ ≤` the top of
/// [`DENSITY_RANGE`] and the stretches lie in [`STRETCH_RANGE`] (the strict range every
/// design of a build passes). `L` is at least the smallest total length of the 14 elementary
/// lattice choices: a topology's unit graph is the exact union of its lattices' periodic strut
/// sets (split at crossings, duplicates merged), whose length is at least that of any one of
/// them. Hence
///
/// `d ≤ 2 · max U · max V · sqrt(ρ_max / (π L_min))`,
///
/// which the simple cubic lattice reaches at `ρ = 0.1` with every stretch 2 (`L = 3`:
/// 0.824 cell edges). The bound is sound, not an estimate: no design of the space, at any
/// orientation, has thicker struts.
pub(crate) fn thickest_unit_strut() -> f64 {
    let shortest = LatticeChoice::all()
        .map(|c| {
            let topology = Topology::try_new(&[c; 3]).expect("one lattice is a topology");
            total_unit_length(&topology)
        })
        .fold(f64::INFINITY, f64::min);
    let stretch = STRETCH_RANGE.1 * STRETCH_RANGE.1;
    2.0 * stretch * (DENSITY_RANGE.1 / (std::f64::consts::PI * shortest)).sqrt()
}

/// The total strut length of a topology's unit graph (cell of edge 1, before the affine map).
fn total_unit_length(topology: &Topology) -> f64 {
    let graph = unit_graph(topology);
    let nodes = graph.nodes();
    graph
        .struts()
        .iter()
        .map(|&(a, b, n)| {
            let (p, q) = (nodes[a as usize], nodes[b as usize]);
            (0..3)
                .map(|k| (q[k] + f64::from(n[k]) - p[k]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .sum()
}

/// The smallest cell size (mm) at which any design of the design space meets
/// `min_strut_diameter`: `min_strut_diameter / thickest_unit_strut()`. Every cell size
/// `cell_size: auto` can choose (each rounded up from a design's own need) is at least this.
pub(crate) fn smallest_cell_size_of_the_space(limits: &Manufacturing) -> f64 {
    limits.min_strut_diameter / thickest_unit_strut()
}

/// `x` rounded up to a multiple of `1/per`, so a suggested fix always satisfies its limit.
fn round_up(x: f64, per: f64) -> f64 {
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
            needs.check(h, &limits).unwrap();
            assert!(needs.check(h - 0.011, &limits).is_err(), "rho {rho}");
        }
    }

    /// The bound on the strut thickness holds for every topology of the design space (all
    /// 560 multisets, through their total unit length) and for sampled designs at the top of
    /// the density range with extreme and random stretches and rotations; the simple cubic
    /// cell stretched by 2 everywhere reaches it.
    #[test]
    fn no_design_has_thicker_struts_than_the_bound() {
        use rand::{Rng, SeedableRng};
        let bound = thickest_unit_strut();
        assert!((bound - 8.0 * (0.1 / (3.0 * std::f64::consts::PI)).sqrt()).abs() < 1e-12);
        let choices: Vec<LatticeChoice> = LatticeChoice::all().collect();
        let shortest = (bound / 8.0).powi(-2) * 0.1 / std::f64::consts::PI;
        let mut topologies = Vec::new();
        for i in 0..choices.len() {
            for j in i..choices.len() {
                for k in j..choices.len() {
                    let t = Topology::try_new(&[choices[i], choices[j], choices[k]]).unwrap();
                    assert!(total_unit_length(&t) >= shortest * (1.0 - 1e-12));
                    topologies.push(t);
                }
            }
        }
        assert_eq!(topologies.len(), 560);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(23);
        for n in 0..400 {
            let topology = topologies[rng.random_range(0..topologies.len())];
            let mut stretch = || {
                if n % 2 == 0 {
                    STRETCH_RANGE.1
                } else {
                    rng.random_range(STRETCH_RANGE.0..=STRETCH_RANGE.1)
                }
            };
            let u = [stretch(), stretch(), stretch()];
            let v = [stretch(), stretch(), stretch()];
            let mut angle = || AxisAngle {
                axis: [0.3, -0.5, 0.8],
                angle_deg: rng.random_range(0.0..180.0),
            };
            let design = Design {
                topology,
                relative_density: DENSITY_RANGE.1,
                u,
                r1: angle(),
                v,
                r2: angle(),
            };
            let d = CellNeeds::of(&design.cell(RangePolicy::Strict).unwrap()).unit_diameter;
            assert!(d <= bound * (1.0 + 1e-12), "{d} > {bound}: {design:?}");
        }
        let sc = LatticeChoice {
            lattice: 0,
            tessellation: 1,
        };
        let stretched = Design {
            topology: Topology::try_new(&[sc; 3]).unwrap(),
            relative_density: DENSITY_RANGE.1,
            u: [2.0; 3],
            r1: AxisAngle::IDENTITY,
            v: [2.0; 3],
            r2: AxisAngle::IDENTITY,
        };
        let d = CellNeeds::of(&stretched.cell(RangePolicy::Strict).unwrap()).unit_diameter;
        assert!((d - bound).abs() < 1e-9 * bound, "{d} vs {bound}");
    }

    #[test]
    fn errors_name_the_fix() {
        let limits = Manufacturing {
            min_strut_diameter: 0.3,
            min_pore_size: 0.01,
        };
        let needs = CellNeeds::of(&unit(0.01));
        let err = needs.check(1.0, &limits).unwrap_err();
        let LimitViolation::StrutTooThin { fix, diameter, .. } = err else {
            panic!("{err:?}")
        };
        assert!(diameter < 0.3 && fix > 1.0, "{err:?}");
        needs.check(fix, &limits).unwrap();
        assert!(
            needs.check(fix - 0.002, &limits).is_err(),
            "{fix} is not the smallest"
        );
    }
}
