//! What grading changed on its own and the build reports: points whose cores were clipped
//! away. Notes, not errors: the build goes on (each becomes a warning in the report).

use thiserror::Error;

/// Something grading did that a user should hear about, with what would avoid it.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum GradingNote {
    /// Two control points are too close for their cores and a transition between them: the
    /// larger cell's point lost its core.
    /// Fix: move them apart, use smaller cells there, or fewer `transition_cells`.
    #[error(
        "control points {a:?} and {b:?} are {distance:.3} mm apart: their cells and \
         {transition_cells} transition cell(s) between them need at least {needed:.3} mm; move \
         them apart or choose designs with smaller cells there"
    )]
    PointsTooClose {
        /// First id.
        a: String,
        /// Second id.
        b: String,
        /// Their distance, mm.
        distance: f64,
        /// The distance that would be needed, mm.
        needed: f64,
        /// The transition layers asked for.
        transition_cells: usize,
    },
    /// A point's core was removed because the transition to its neighbours folded the
    /// scaffold (reported as a note: the build goes on without that core).
    #[error(
        "control point {id:?}: its core was removed because the transition to the neighbouring \
         cells folded the scaffold; move the points apart or choose more alike cells"
    )]
    CoreRemoved {
        /// The control point.
        id: String,
    },
}
