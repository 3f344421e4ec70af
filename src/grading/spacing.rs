//! The room between control points: how large a cell each point can have beside its nearest
//! neighbour, and which pairs are too close for their cells at all.
//!
//! Positions and lengths in mm.

use crate::geom::distance::point_distance;

/// The room every control point's cell has, mm: a cell at most `d / (transition_cells + 1)`
/// across (its longest body diagonal, see [`crate::manufacturing::PrintableWithin::widest`]),
/// `d` the distance to the nearest other point, so that both points' cells and the transition
/// fit between them. The diagonal exceeds the width along any segment, which leaves room for
/// moving the points to cell centres that the fit rule of [`super::choose_designs`] asks for (a
/// cube cell of diagonal `d/2` is `d/(2√3) < d/3` wide). Unlimited (`∞`) for a single point.
pub fn rooms(positions: &[[f64; 3]], transition_cells: usize) -> Vec<f64> {
    let spacing = (transition_cells + 1) as f64;
    positions
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            positions
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, &q)| point_distance(q, p))
                .fold(f64::INFINITY, f64::min)
                / spacing
        })
        .collect()
}

/// The closest pair of positions `(i, j, distance)` with `j < i` (the first in order among
/// equals), `None` for fewer than two.
pub fn closest_pair(positions: &[[f64; 3]]) -> Option<(usize, usize, f64)> {
    let mut best: Option<(usize, usize, f64)> = None;
    for (i, &a) in positions.iter().enumerate() {
        for (j, &b) in positions[..i].iter().enumerate() {
            let d = point_distance(a, b);
            if best.is_none_or(|(_, _, m)| d < m) {
                best = Some((i, j, d));
            }
        }
    }
    best
}

/// Two points closer than the larger of their cell sizes: both cells cannot be reproduced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TooCloseForCells {
    /// The later point of the pair (index into the positions).
    pub later: usize,
    /// The earlier point.
    pub earlier: usize,
    /// Their distance, mm.
    pub distance: f64,
    /// The larger of their cell sizes, mm: the least distance they need.
    pub cell_size: f64,
}

/// The first pair (in order: later point, then earlier) closer than the larger of their cell
/// sizes `sizes` (mm, one per position), if any.
pub fn too_close_for_cells(positions: &[[f64; 3]], sizes: &[f64]) -> Option<TooCloseForCells> {
    assert_eq!(positions.len(), sizes.len(), "one cell size per position");
    for (i, &a) in positions.iter().enumerate() {
        for (j, &b) in positions[..i].iter().enumerate() {
            let distance = point_distance(a, b);
            let cell_size = sizes[i].max(sizes[j]);
            if distance < cell_size {
                return Some(TooCloseForCells {
                    later: i,
                    earlier: j,
                    distance,
                    cell_size,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three points on a line at 0, 3 and 10 mm.
    fn line() -> Vec<[f64; 3]> {
        vec![[0.0; 3], [3.0, 0.0, 0.0], [10.0, 0.0, 0.0]]
    }

    #[test]
    fn rooms_divide_the_nearest_distance_by_the_cells_between() {
        // One transition cell: the two cells and the transition share the distance.
        assert_eq!(rooms(&line(), 1), vec![1.5, 1.5, 3.5]);
        assert_eq!(rooms(&line(), 2), vec![1.0, 1.0, 7.0 / 3.0]);
        assert_eq!(rooms(&[[1.0; 3]], 1), vec![f64::INFINITY]);
    }

    #[test]
    fn the_closest_pair_is_found_and_ties_keep_the_first() {
        assert_eq!(closest_pair(&line()), Some((1, 0, 3.0)));
        let square = [[0.0; 3], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]];
        assert_eq!(closest_pair(&square), Some((1, 0, 1.0)));
        assert_eq!(closest_pair(&[[0.0; 3]]), None);
    }

    #[test]
    fn pairs_closer_than_their_larger_cell_are_named() {
        // 3 mm apart: cells of 2.9 mm fit, a 3.1 mm cell at either point does not.
        assert_eq!(too_close_for_cells(&line(), &[2.9, 2.9, 2.9]), None);
        let conflict = too_close_for_cells(&line(), &[2.0, 3.1, 1.0]).unwrap();
        assert_eq!((conflict.later, conflict.earlier), (1, 0));
        assert_eq!((conflict.distance, conflict.cell_size), (3.0, 3.1));
        // The 7 mm from the second to the third point needs more than a 7.5 mm cell.
        let far = too_close_for_cells(&line(), &[1.0, 1.0, 7.5]).unwrap();
        assert_eq!((far.later, far.earlier, far.distance), (2, 1, 7.0));
    }
}
