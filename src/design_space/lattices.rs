//! The seven elementary lattices (Bastek et al. 2022, SI Fig. S1), embedded in the crate.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::geom::exact::GRID;

/// How many elementary lattices there are.
pub const LATTICE_COUNT: usize = 7;

/// Names of the elementary lattices, by index.
pub const LATTICE_NAMES: [&str; LATTICE_COUNT] = [
    "simple cubic",
    "octet",
    "BCC",
    "BCC + z-edges",
    "BCC + top/bottom face squares",
    "tetragonal diamond-like net",
    "honeycomb prism",
];

const DATA: &str = include_str!("elementary_lattices.json");

#[derive(Deserialize)]
struct File {
    lattices: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    index: usize,
    nodes: Vec<[f64; 3]>,
    struts: Vec<[usize; 2]>,
}

/// An elementary lattice with node coordinates in twelfths of the cell edge (`-6..=6`).
pub(crate) struct Elementary {
    pub nodes: Vec<[i64; 3]>,
    pub struts: Vec<[usize; 2]>,
}

/// The embedded lattices, parsed once and snapped to exact twelfths.
pub(crate) fn elementary() -> &'static [Elementary] {
    static CELLS: OnceLock<Vec<Elementary>> = OnceLock::new();
    CELLS.get_or_init(|| {
        let file: File = serde_json::from_str(DATA).expect("embedded lattice data is valid JSON");
        assert_eq!(file.lattices.len(), LATTICE_COUNT);
        file.lattices
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                assert_eq!(e.index, i, "lattices are stored in index order");
                let nodes = e
                    .nodes
                    .iter()
                    .map(|p| {
                        p.map(|c| {
                            let k = (c * 12.0).round();
                            assert!(
                                (c * 12.0 - k).abs() < 1e-6,
                                "coordinate {c} is not a multiple of 1/12"
                            );
                            k as i64
                        })
                    })
                    .collect();
                Elementary {
                    nodes,
                    struts: e.struts,
                }
            })
            .collect()
    })
}

/// The struts of lattice `index` tessellated `tessellation` times per edge (1 or 2), as
/// segments with integer endpoints in grid units on the closed cell `[0, GRID]³`.
///
/// # Panics
/// If `index ≥ 7` or `tessellation ∉ {1, 2}` (validated earlier by `Topology::try_new`).
#[track_caller]
pub(crate) fn segments(index: usize, tessellation: u8) -> Vec<([i64; 3], [i64; 3])> {
    let lattice = &elementary()[index];
    let half = GRID / 2;
    let to_grid = |p: [i64; 3], scale: i64, shift: [i64; 3]| -> [i64; 3] {
        std::array::from_fn(|i| p[i] * scale + shift[i] + half)
    };
    let copies: Vec<(i64, [i64; 3])> = match tessellation {
        1 => vec![(GRID / 12, [0; 3])],
        2 => {
            let q = GRID / 4;
            let mut v = Vec::new();
            for dx in [-q, q] {
                for dy in [-q, q] {
                    for dz in [-q, q] {
                        v.push((GRID / 24, [dx, dy, dz]));
                    }
                }
            }
            v
        }
        t => panic!("tessellation must be 1 or 2, got {t}"),
    };
    let mut out = Vec::new();
    for (scale, shift) in copies {
        for &[a, b] in &lattice.struts {
            out.push((
                to_grid(lattice.nodes[a], scale, shift),
                to_grid(lattice.nodes[b], scale, shift),
            ));
        }
    }
    out
}
