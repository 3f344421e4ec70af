//! Canonical forms of topologies and the count of distinct ones.
//!
//! Two topologies are compared by their **exact periodic strut sets** after merging and
//! splitting ([`UnitGraph`]): the set of struts, each taken modulo the lattice translations,
//! with exact rational coordinates. Three rules of "the same topology" are counted:
//!
//! - [`Equivalence::StrutSet`]: the same struts at the same place in the cell. Two designs
//!   with equal strut sets are the same structure for every geometry Θ.
//! - [`Equivalence::Translation`]: the same up to a rigid shift of the whole structure inside
//!   the cell (e.g. a lattice and its copy shifted by half a cell): also the same material.
//! - [`Equivalence::CubeSymmetry`]: the same up to a shift and one of the 48 symmetries of the
//!   cube. A rotation `Q` of the topology is absorbed by the design's rotations and a
//!   permutation of its stretches, and a mirror image has the same stiffness (a 4th-order
//!   tensor is invariant under inversion), so these designs span the same stiffness set.
//!
//! Each is a canonical form of the periodic graph embedded in its cell: invariant under the
//! order of the three choices (the union is a set) and under node relabelling (nodes are
//! identified by their exact positions, not by labels).

use std::collections::BTreeMap;

use serde::Serialize;

use super::topology::{ExactStrut, LatticeChoice, Topology, UnitGraph, canonical_strut};
use crate::geom::exact::{RatPoint, gcd};
use crate::geom::symmetry::cube_symmetries;

/// Which topologies count as the same (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Equivalence {
    /// Identical periodic strut sets.
    StrutSet,
    /// Identical up to a translation inside the cell.
    Translation,
    /// Identical up to a translation and a symmetry of the cube.
    CubeSymmetry,
}

/// The canonical key of a strut set under `equivalence`: equal keys ⇔ equivalent topologies.
pub(crate) fn canonical_key(exact: &[ExactStrut], equivalence: Equivalence) -> Vec<ExactStrut> {
    match equivalence {
        Equivalence::StrutSet => exact.to_vec(),
        Equivalence::Translation => translation_canonical(exact),
        Equivalence::CubeSymmetry => cube_symmetries()
            .map(|q_sym| {
                let mapped: Vec<ExactStrut> = exact
                    .iter()
                    .map(|(p, q)| canonical_strut(p.rotated_t(&q_sym), q.rotated_t(&q_sym)))
                    .collect();
                translation_canonical(&mapped)
            })
            .min()
            .expect("48 symmetries"),
    }
}

/// The lexicographically smallest sorted strut set among the translates that put a node at
/// the cell origin.
fn translation_canonical(exact: &[ExactStrut]) -> Vec<ExactStrut> {
    let mut starts: Vec<RatPoint> = exact.iter().map(|(p, _)| *p).collect();
    starts.sort();
    starts.dedup();
    starts
        .iter()
        .map(|origin| {
            let mut v: Vec<ExactStrut> = exact
                .iter()
                .map(|(p, q)| canonical_strut(p.minus(*origin), q.minus(*origin)))
                .collect();
            v.sort();
            v
        })
        .min()
        .expect("a topology has struts")
}

/// One class of equivalent topologies.
#[derive(Debug, Clone, Serialize)]
pub struct TopologyClass {
    /// The first member (in enumeration order), as the class's name.
    pub representative: [LatticeChoice; 3],
    /// Every multiset of three choices that builds this topology.
    pub members: Vec<[LatticeChoice; 3]>,
    /// Nodes of the periodic graph (one per orbit).
    pub nodes: usize,
    /// Struts of the periodic graph (each counted once).
    pub struts: usize,
}

/// All topologies of the design space, grouped into classes.
#[derive(Debug, Clone, Serialize)]
pub struct TopologyCatalog {
    /// The rule used.
    pub equivalence: Equivalence,
    /// Ordered choices (S1, S2, S3, t1, t2, t3): 14³ = 2744.
    pub ordered_choices: usize,
    /// Distinct multisets of three choices: C(16, 3) = 560.
    pub multisets: usize,
    /// The classes, in order of their representative.
    pub classes: Vec<TopologyClass>,
}

impl TopologyCatalog {
    /// Enumerates every ordered choice, builds each distinct multiset once and groups the
    /// results by their canonical key under `equivalence`.
    pub fn enumerate(equivalence: Equivalence) -> Self {
        let ordered = LatticeChoice::all().count().pow(3);
        let keys: Vec<[LatticeChoice; 3]> = Topology::multisets().map(|t| t.sorted()).collect();
        let built: Vec<([LatticeChoice; 3], UnitGraph)> = {
            use rayon::prelude::*;
            keys.into_par_iter()
                .map(|m| (m, Topology::try_new(&m).expect("valid").build()))
                .collect()
        };
        // Canonical keys are costly under the cube symmetries (48 maps × every translation):
        // compute them only inside groups that share a cheap invariant of all three rules
        // (node count, strut count and the sorted squared strut lengths).
        // Identical strut sets first (cheap), then the invariant among the distinct ones.
        let mut class_of: Vec<usize> = (0..built.len()).collect();
        let mut first_with_set: BTreeMap<&[ExactStrut], usize> = BTreeMap::new();
        for (k, (_, graph)) in built.iter().enumerate() {
            class_of[k] = *first_with_set.entry(graph.exact()).or_insert(k);
        }
        if equivalence != Equivalence::StrutSet {
            let mut groups: BTreeMap<Invariant, Vec<usize>> = BTreeMap::new();
            for &k in first_with_set.values() {
                groups.entry(invariant(&built[k].1)).or_default().push(k);
            }
            let mut merged_into: BTreeMap<usize, usize> = BTreeMap::new();
            for members in groups.values().filter(|m| m.len() > 1) {
                let mut seen: BTreeMap<Vec<ExactStrut>, usize> = BTreeMap::new();
                for &k in members {
                    let key = canonical_key(built[k].1.exact(), equivalence);
                    merged_into.insert(k, *seen.entry(key).or_insert(k));
                }
            }
            for c in &mut class_of {
                if let Some(&m) = merged_into.get(c) {
                    *c = m;
                }
            }
        }
        let mut classes: Vec<TopologyClass> = Vec::new();
        let mut index_of_first: BTreeMap<usize, usize> = BTreeMap::new();
        for (k, (m, graph)) in built.iter().enumerate() {
            match index_of_first.get(&class_of[k]) {
                Some(&c) => classes[c].members.push(*m),
                None => {
                    index_of_first.insert(class_of[k], classes.len());
                    classes.push(TopologyClass {
                        representative: *m,
                        members: vec![*m],
                        nodes: graph.nodes().len(),
                        struts: graph.struts().len(),
                    });
                }
            }
        }
        Self {
            equivalence,
            ordered_choices: ordered,
            multisets: built.len(),
            classes,
        }
    }
}

/// Node count, strut count and sorted squared strut lengths (reduced fractions).
type Invariant = (usize, usize, Vec<(i128, i128)>);

/// Node count, strut count and sorted squared lengths (as reduced fractions): unchanged by
/// translations and cube symmetries.
fn invariant(graph: &UnitGraph) -> Invariant {
    let mut lengths: Vec<(i128, i128)> = graph
        .exact()
        .iter()
        .map(|(p, q)| {
            let (a, da, b, db) = (p.num(), p.den(), q.num(), q.den());
            let num: i128 = (0..3).map(|i| (b[i] * da - a[i] * db).pow(2)).sum();
            let den = (da * db).pow(2);
            let g = gcd(num, den).max(1);
            (num / g, den / g)
        })
        .collect();
    lengths.sort();
    (graph.nodes().len(), graph.struts().len(), lengths)
}
