//! An R-tree of labelled axis-aligned boxes (coordinates in any length unit): build once,
//! then ask which boxes meet a query box.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// One box `[lo, hi]` with its label.
type LabelledBox<T> = GeomWithData<Rectangle<[f64; 3]>, T>;

/// Axis-aligned boxes, each with a label `T` (e.g. the index of what it bounds).
#[derive(Debug, Clone)]
pub struct BoxTree<T>(RTree<LabelledBox<T>>);

impl<T: Copy> BoxTree<T> {
    /// Bulk-loads the boxes `(lo, hi, label)` (the same boxes in the same order give the same
    /// tree).
    pub fn new(boxes: impl IntoIterator<Item = ([f64; 3], [f64; 3], T)>) -> Self {
        let boxes: Vec<LabelledBox<T>> = boxes
            .into_iter()
            .map(|(lo, hi, label)| GeomWithData::new(Rectangle::from_corners(lo, hi), label))
            .collect();
        Self(RTree::bulk_load(boxes))
    }

    /// The labels of the boxes that meet the closed box `[lo, hi]` (touching counts), in the
    /// tree's order.
    pub fn intersecting(&self, lo: [f64; 3], hi: [f64; 3]) -> impl Iterator<Item = T> + '_ {
        self.0
            .locate_in_envelope_intersecting(AABB::from_corners(lo, hi))
            .map(|b| b.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_boxes_a_query_meets() {
        let tree = BoxTree::new([
            ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], 0),
            ([2.0, 0.0, 0.0], [3.0, 1.0, 1.0], 1),
            ([0.0, 5.0, 0.0], [1.0, 6.0, 1.0], 2),
        ]);
        let mut hit: Vec<i32> = tree
            .intersecting([0.5, 0.5, 0.5], [2.5, 0.6, 0.6])
            .collect();
        hit.sort_unstable();
        assert_eq!(hit, vec![0, 1]);
        // Touching a face counts; a point query finds the boxes containing it.
        assert_eq!(
            tree.intersecting([1.0, 5.5, 0.5], [1.0, 5.5, 0.5])
                .collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(
            tree.intersecting([1.5, 2.0, 0.0], [1.9, 4.0, 1.0]).count(),
            0
        );
    }
}
