//! The geometry kernel every stage uses: each primitive written and tested once.
//!
//! - [`exact`]: exact rational points, parameters and segment pieces in grid units (the
//!   topology builder and the grading's superposition). Predicates there are exact: no
//!   tolerance, equal points have equal representations.
//! - [`predicates`]: floating-point orientation and segment-through-triangle tests (the mesh
//!   self-intersection check). A relative tolerance decides what counts as touching.
//! - [`distance`]: closest points and distances between points, segments and triangles, in
//!   whatever length unit the inputs use (mm everywhere in the pipeline).
//! - [`boxes`]: an R-tree of labelled axis-aligned boxes, for neighbour queries.
//! - [`symmetry`]: the cube's symmetries and rotations as exact signed permutation matrices.
//!
//! Floating-point functions keep the exact operation order of the code they replaced, so the
//! pipeline's outputs are unchanged bit for bit.

pub mod boxes;
pub mod distance;
pub mod exact;
pub mod predicates;
pub mod symmetry;
