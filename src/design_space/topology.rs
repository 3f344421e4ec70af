//! Topologies: three superposed elementary lattices, merged and split into a periodic graph.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::DesignError;
use super::lattices::{LATTICE_COUNT, segments};
use crate::geom::exact::{GRID, Line, Param, RatPoint, split_params};

/// One of the three lattices of a topology: an elementary lattice and its tessellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatticeChoice {
    /// Elementary lattice index, 0..=6 (see [`super::LATTICE_NAMES`]).
    pub lattice: u8,
    /// 1 (one copy filling the cell) or 2 (eight half-size copies).
    pub tessellation: u8,
}

impl LatticeChoice {
    /// All 14 choices, in index order.
    pub fn all() -> impl Iterator<Item = LatticeChoice> {
        (0..LATTICE_COUNT as u8).flat_map(|lattice| {
            [1, 2].map(|tessellation| LatticeChoice {
                lattice,
                tessellation,
            })
        })
    }

    fn validate(self, slot: usize) -> Result<Self, DesignError> {
        if self.lattice as usize >= LATTICE_COUNT {
            return Err(DesignError::LatticeIndex {
                slot,
                value: self.lattice as i64,
            });
        }
        if !matches!(self.tessellation, 1 | 2) {
            return Err(DesignError::Tessellation {
                slot,
                value: self.tessellation as i64,
            });
        }
        Ok(self)
    }
}

/// The topology of a design: three lattice choices, superposed. The order of the three does
/// not matter (the union is a set) but is kept as given, for files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<LatticeChoice>", into = "Vec<LatticeChoice>")]
pub struct Topology {
    choices: [LatticeChoice; 3],
}

impl Topology {
    /// Validates three choices.
    ///
    /// # Errors
    /// [`DesignError::TopologyCount`], [`DesignError::LatticeIndex`] or
    /// [`DesignError::Tessellation`].
    pub fn try_new(choices: &[LatticeChoice]) -> Result<Self, DesignError> {
        let choices: [LatticeChoice; 3] =
            choices.try_into().map_err(|_| DesignError::TopologyCount {
                found: choices.len(),
            })?;
        for (slot, c) in choices.iter().enumerate() {
            c.validate(slot)?;
        }
        Ok(Self { choices })
    }

    /// The three choices, in the order given.
    pub fn choices(&self) -> [LatticeChoice; 3] {
        self.choices
    }

    /// Every multiset of three choices once (C(16, 3) = 560), each in sorted slot order, in
    /// ascending order of [`Self::sorted`].
    pub fn multisets() -> impl Iterator<Item = Topology> {
        let choices: Vec<LatticeChoice> = LatticeChoice::all().collect();
        let n = choices.len();
        (0..n).flat_map(move |i| {
            let choices = choices.clone();
            (i..n).flat_map(move |j| {
                let choices = choices.clone();
                (j..n).map(move |k| Topology {
                    choices: [choices[i], choices[j], choices[k]],
                })
            })
        })
    }

    /// The choices sorted: equal for every ordering of the same three.
    pub fn sorted(&self) -> [LatticeChoice; 3] {
        let mut c = self.choices;
        c.sort();
        c
    }

    /// Builds the periodic graph of the superposition (see [`UnitGraph`]).
    pub fn build(&self) -> UnitGraph {
        UnitGraph::from_choices(&self.sorted())
    }
}

impl TryFrom<Vec<LatticeChoice>> for Topology {
    type Error = DesignError;
    fn try_from(v: Vec<LatticeChoice>) -> Result<Self, DesignError> {
        Self::try_new(&v)
    }
}

impl From<Topology> for Vec<LatticeChoice> {
    fn from(t: Topology) -> Self {
        t.choices.to_vec()
    }
}

/// A periodic strut in exact grid coordinates: from `start` (in the half-open cell
/// `[0, GRID)³`) to `end` (anywhere), with `start < end` lexicographically.
pub(crate) type ExactStrut = (RatPoint, RatPoint);

/// The periodic graph of a topology in the unit cube, before the affine map.
///
/// Built exactly: coincident nodes merge, duplicate struts merge, struts that cross are split
/// at the crossing (new node), a node lying on a strut splits it, and collinear overlaps are
/// split at the interior endpoints and kept once — the same material never counts twice.
/// Node coordinates are in cell edges in `[-0.5, 0.5)³` (cube centre at the origin); strut
/// `(a, b, n)` joins node `a` to node `b + n`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitGraph {
    nodes: Vec<[f64; 3]>,
    struts: Vec<(u32, u32, [i32; 3])>,
    exact: Vec<ExactStrut>,
}

impl UnitGraph {
    fn from_choices(choices: &[LatticeChoice]) -> Self {
        // 1. Every strut and each of its periodic images that lies in the closed cell, so that
        //    all crossings of the periodic structure inside the cell are between listed struts.
        let mut closed: BTreeSet<([i64; 3], [i64; 3])> = BTreeSet::new();
        let distinct: BTreeSet<LatticeChoice> = choices.iter().copied().collect();
        for c in &distinct {
            for (p, q) in segments(c.lattice as usize, c.tessellation) {
                let (p, q) = if p <= q { (p, q) } else { (q, p) };
                for n in neighbour_shifts() {
                    let p2: [i64; 3] = std::array::from_fn(|i| p[i] + n[i] * GRID);
                    let q2: [i64; 3] = std::array::from_fn(|i| q[i] + n[i] * GRID);
                    if in_closed_cell(p2) && in_closed_cell(q2) {
                        closed.insert((p2, q2));
                    }
                }
            }
        }
        let closed: Vec<_> = closed.into_iter().collect();
        // 2. Split every strut at every point where another one meets it.
        let bbox = |(p, q): &([i64; 3], [i64; 3])| -> ([i64; 3], [i64; 3]) {
            (
                std::array::from_fn(|i| p[i].min(q[i])),
                std::array::from_fn(|i| p[i].max(q[i])),
            )
        };
        let boxes: Vec<_> = closed.iter().map(bbox).collect();
        // Split points are collected per translation class: a node may lie on one translate of
        // a boundary strut inside the closed cell while the struts meeting its other translates
        // belong to the neighbouring cells.
        let lines: Vec<Line> = closed
            .iter()
            .map(|&(p, q)| Line::whole(RatPoint::from_int(p), RatPoint::from_int(q)))
            .collect();
        let mut params: BTreeMap<ExactStrut, BTreeSet<Param>> = BTreeMap::new();
        for (k, line) in lines.iter().enumerate() {
            let class = params.entry(canonical_strut(line.p, line.q)).or_default();
            for (m, other) in lines.iter().enumerate() {
                if m != k && overlap(boxes[k], boxes[m]) {
                    class.extend(split_params(line, other));
                }
            }
        }
        let mut periodic: BTreeSet<ExactStrut> = BTreeSet::new();
        for ((p, q), ts) in params {
            let mut prev = p;
            for t in ts.iter().map(|t| p.lerp(q, *t)).chain([q]) {
                periodic.insert(canonical_strut(prev, t));
                prev = t;
            }
        }
        Self::from_exact(periodic.into_iter().collect())
    }

    /// Builds node and strut lists from canonical exact struts (sorted, deduplicated).
    fn from_exact(exact: Vec<ExactStrut>) -> Self {
        let mut ids: BTreeMap<RatPoint, u32> = BTreeMap::new();
        for (p, q) in &exact {
            ids.entry(*p).or_insert(0);
            ids.entry(q.wrapped().0).or_insert(0);
        }
        for (i, v) in ids.values_mut().enumerate() {
            *v = i as u32;
        }
        let nodes = ids
            .keys()
            .map(|p| p.to_cell_units().map(|c| c - 0.5))
            .collect();
        let struts = exact
            .iter()
            .map(|(p, q)| {
                let (qw, cell) = q.wrapped();
                (ids[p], ids[&qw], cell.map(|c| c as i32))
            })
            .collect();
        Self {
            nodes,
            struts,
            exact,
        }
    }

    /// Node coordinates in cell edges, in `[-0.5, 0.5)³`.
    pub fn nodes(&self) -> &[[f64; 3]] {
        &self.nodes
    }

    /// Struts `(a, b, n)`: node `a` to node `b` shifted by the cell offset `n`.
    pub fn struts(&self) -> &[(u32, u32, [i32; 3])] {
        &self.struts
    }

    /// The exact canonical strut set (sorted): equal for equal periodic structures.
    pub(crate) fn exact(&self) -> &[ExactStrut] {
        &self.exact
    }
}

/// The 27 shifts `{-1, 0, 1}³`.
fn neighbour_shifts() -> impl Iterator<Item = [i64; 3]> {
    (0..27).map(|k| [k / 9 - 1, (k / 3) % 3 - 1, k % 3 - 1])
}

fn in_closed_cell(p: [i64; 3]) -> bool {
    p.iter().all(|&c| (0..=GRID).contains(&c))
}

fn overlap(a: ([i64; 3], [i64; 3]), b: ([i64; 3], [i64; 3])) -> bool {
    (0..3).all(|i| a.0[i] <= b.1[i] && b.0[i] <= a.1[i])
}

/// The representative of a strut's translation class: endpoints ordered, the smaller one
/// moved into the half-open cell `[0, GRID)³`.
pub(crate) fn canonical_strut(a: RatPoint, b: RatPoint) -> ExactStrut {
    let (p, q) = if a <= b { (a, b) } else { (b, a) };
    let cell = p.cell_index();
    let back = cell.map(|c| -c);
    (p.translated(back), q.translated(back))
}
