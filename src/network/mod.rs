//! The strut network of an implant: nodes in millimetres, struts with a radius at each end.
//!
//! This is what tiling (one design) and grading (many designs) produce and what meshing and
//! export consume. The solid it describes is the union of one capped frustum per strut (radius
//! linear from `radius_a` at node `a` to `radius_b` at node `b`) and one ball per node, the
//! same solid the 3MF Beam Lattice extension describes in its ball mode.
//!
//! Building one from a single design: [`tile`] places the images of a [`PeriodicCell`]
//! (in mm) over a [`Domain`] (box, cylinder or closed STL [`Envelope`]), shares nodes
//! between neighbouring cells, trims the struts to the domain (cut at the boundary), drops
//! dangling struts and stray components, and reports what it did in [`TileStats`]. The
//! steps live in `domain.rs`, `envelope.rs`, `tile.rs`, `trim.rs` and `connectivity.rs`
//! ([`components`], [`keep_largest_component`], [`remove_dangling`]).
//!
//! [`PeriodicCell`]: crate::design_space::PeriodicCell

use nalgebra::Point3;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Distance (mm) within which a point counts as lying on the domain boundary: every query of
/// [`Domain`] and [`Envelope`] that needs a tolerance takes this one.
pub const BOUNDARY_TOLERANCE: f64 = 1e-9;

mod connectivity;
mod domain;
mod envelope;
mod ids;
mod tile;
mod trim;

pub(crate) use connectivity::compact as compact_network;
pub use connectivity::{ComponentRemoval, components, keep_largest_component, remove_dangling};
pub use domain::{Domain, DomainError, DomainShape};
pub use envelope::{Envelope, EnvelopeError, WELD_RELATIVE_TOLERANCE};
pub use ids::{NodeId, StrutId};
pub use tile::{
    ComponentPolicy, DanglingPolicy, TileError, TileOptions, TileStats, TiledNetwork, tile,
    tile_with,
};
pub(crate) use trim::trim_to_domain;

/// One strut of a [`StrutNetwork`]; radii in mm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Strut {
    /// The first node.
    pub a: NodeId,
    /// The second node.
    pub b: NodeId,
    /// Radius at node `a`, mm.
    pub radius_a: f64,
    /// Radius at node `b`, mm.
    pub radius_b: f64,
}

/// Why a strut network was rejected.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum NetworkError {
    /// A strut names a node that does not exist.
    #[error("strut {strut} names node {node}, but the network has {nodes} nodes")]
    MissingNode {
        /// The strut.
        strut: StrutId,
        /// The node named.
        node: NodeId,
        /// How many nodes there are.
        nodes: usize,
    },
    /// A strut joins a node to itself or has zero length.
    #[error("strut {strut} has zero length (nodes {a} and {b} coincide)")]
    ZeroLength {
        /// The strut.
        strut: StrutId,
        /// First node.
        a: NodeId,
        /// Second node.
        b: NodeId,
    },
    /// A radius that is not positive and finite.
    #[error("strut {strut} has radius {radius} mm; radii must be finite and > 0")]
    BadRadius {
        /// The strut.
        strut: StrutId,
        /// The radius.
        radius: f64,
    },
    /// A node coordinate that is not finite.
    #[error("node {node} has a non-finite coordinate")]
    NonFiniteNode {
        /// The node.
        node: NodeId,
    },
}

/// A network of struts in millimetres. Invariants (checked by [`StrutNetwork::try_new`]):
/// finite node coordinates, struts naming existing, distinct nodes at positive distance, and
/// finite positive radii.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StrutNetwork {
    nodes: Vec<Point3<f64>>,
    struts: Vec<Strut>,
}

impl StrutNetwork {
    /// Builds a network.
    ///
    /// # Errors
    /// A [`NetworkError`] naming the first offending node or strut.
    pub fn try_new(nodes: Vec<Point3<f64>>, struts: Vec<Strut>) -> Result<Self, NetworkError> {
        if let Some(node) = nodes.iter().position(|p| !p.iter().all(|v| v.is_finite())) {
            return Err(NetworkError::NonFiniteNode {
                node: NodeId::new(node),
            });
        }
        for (k, s) in struts.iter().enumerate() {
            let k = StrutId::new(k);
            for node in [s.a, s.b] {
                if node.index() >= nodes.len() {
                    return Err(NetworkError::MissingNode {
                        strut: k,
                        node,
                        nodes: nodes.len(),
                    });
                }
            }
            for radius in [s.radius_a, s.radius_b] {
                if !(radius.is_finite() && radius > 0.0) {
                    return Err(NetworkError::BadRadius { strut: k, radius });
                }
            }
            if s.a == s.b || (nodes[s.a.index()] - nodes[s.b.index()]).norm() == 0.0 {
                return Err(NetworkError::ZeroLength {
                    strut: k,
                    a: s.a,
                    b: s.b,
                });
            }
        }
        Ok(Self { nodes, struts })
    }

    /// Node positions, mm.
    pub fn nodes(&self) -> &[Point3<f64>] {
        &self.nodes
    }

    /// The struts.
    pub fn struts(&self) -> &[Strut] {
        &self.struts
    }

    /// The smallest strut end radius, mm (infinite for a network without struts).
    pub fn smallest_radius(&self) -> f64 {
        self.struts
            .iter()
            .map(|s| s.radius_a.min(s.radius_b))
            .fold(f64::INFINITY, f64::min)
    }

    /// The ball radius at each node: the largest radius of the struts that end there, mm
    /// (0 for an isolated node).
    pub fn node_radii(&self) -> Vec<f64> {
        let mut r = vec![0.0f64; self.nodes.len()];
        for s in &self.struts {
            r[s.a.index()] = r[s.a.index()].max(s.radius_a);
            r[s.b.index()] = r[s.b.index()].max(s.radius_b);
        }
        r
    }
}
