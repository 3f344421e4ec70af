//! Uniform-grid broad phase: the pairs of axis-aligned boxes that overlap, each tested once,
//! for the mesh self-intersection check and the explicit mesher's clash search.

use nalgebra::{Point3, Vector3};
use rayon::prelude::*;

/// Every pair `(i, j)`, `i < j`, of `boxes` (min, max corners) that overlap and pass `test`,
/// sorted and without repeats. Boxes are bucketed in a grid of cubic cells of side `cell`
/// (same unit as the boxes; > 0) anchored at `lo` (≤ every box's min corner); a pair is tested
/// only in the cell holding the low corner of the boxes' overlap, so `test` runs once per
/// overlapping pair.
pub(crate) fn overlapping_pairs(
    boxes: &[(Point3<f64>, Point3<f64>)],
    lo: Point3<f64>,
    cell: f64,
    test: impl Fn(usize, usize) -> bool + Sync,
) -> Vec<(usize, usize)> {
    let to_cell = |p: &Point3<f64>| -> [u64; 3] {
        let v: Vector3<f64> = (p - lo) / cell;
        [v.x as u64, v.y as u64, v.z as u64]
    };
    let key = |c: [u64; 3]| (c[0] << 42) | (c[1] << 21) | c[2];
    let mut entries: Vec<(u64, u32)> = boxes
        .par_iter()
        .enumerate()
        .flat_map_iter(|(t, (a, b))| {
            let (ca, cb) = (to_cell(a), to_cell(b));
            let mut v = Vec::new();
            for x in ca[0]..=cb[0] {
                for y in ca[1]..=cb[1] {
                    for z in ca[2]..=cb[2] {
                        v.push((key([x, y, z]), t as u32));
                    }
                }
            }
            v
        })
        .collect();
    entries.par_sort_unstable();
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].0 == entries[i].0 {
            j += 1;
        }
        if j - i > 1 {
            ranges.push((i, j));
        }
        i = j;
    }
    let mut pairs: Vec<(usize, usize)> = ranges
        .par_iter()
        .flat_map_iter(|&(s, e)| {
            let cell_key = entries[s].0;
            let mut out = Vec::new();
            for x in s..e {
                for y in x + 1..e {
                    let (p, q) = (entries[x].1 as usize, entries[y].1 as usize);
                    let (a, b) = (&boxes[p], &boxes[q]);
                    let ilo = a.0.sup(&b.0);
                    let ihi = a.1.inf(&b.1);
                    if ilo.x > ihi.x || ilo.y > ihi.y || ilo.z > ihi.z {
                        continue;
                    }
                    if key(to_cell(&ilo)) != cell_key {
                        continue;
                    }
                    if test(p, q) {
                        out.push((p.min(q), p.max(q)));
                    }
                }
            }
            out
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}
