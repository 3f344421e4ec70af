//! The inverse networks of [`crate::learn`] as a [`Proposer`].

use super::{InverseError, Proposer, SHAPE_TABLE, ShapeTable};
use crate::design_space::{Design, Topology};
use crate::learn::{Models, PolishOptions};
use crate::mechanics::{Stiffness, relative_frobenius};

/// Proposals from the trained inverse model G, each pre-scored by the forward surrogate F:
/// `samples` Gumbel-softmax draws of G1's topology with G2's geometry, plus (by default) a
/// sweep of G2's geometry for every one of the 560 topology multisets. G1 is confident, so its
/// draws rarely leave a few complex topologies; the sweep lets simpler ones compete on F's
/// score, which matters when the chosen design must also be printable at a given cell size.
///
/// Then (by default) the best design of each of the [`Self::POLISHED`] best topologies by F is
/// polished by gradient descent through F ([`Models::polish`]) and added to the proposals: the
/// continuous parameters move to where F predicts the target, which the lookup table's fixed
/// rows cannot do.
///
/// Beside them, when the models folder has a shape table ([`SHAPE_TABLE`]), the designs of the
/// [`Self::SHAPE_NEIGHBOURS`] distinct topologies whose FE stiffness has the target's shape up
/// to rotation and scale ([`ShapeTable::nearest`]) are offered as refinement starts
/// ([`Proposer::shape_starts`]): starts that do not depend on the networks' accuracy, from
/// which refinement recovers designs of the space.
pub struct NetworkProposer {
    models: Models,
    sweep: Option<Vec<Topology>>,
    polish: Option<(usize, PolishOptions)>,
    shapes: Option<ShapeTable>,
}

impl NetworkProposer {
    /// Wraps loaded models (they must include the inverse model), with the topology sweep, and
    /// the shape table of the models' folder when it has one.
    ///
    /// # Errors
    /// [`InverseError::ShapeTable`] when the folder's shape table is unreadable or malformed.
    pub fn new(models: Models) -> Result<Self, InverseError> {
        let path = models.dir().join(SHAPE_TABLE);
        let shapes = if path.exists() {
            Some(ShapeTable::read(&path)?)
        } else {
            None
        };
        Ok(Self {
            models,
            sweep: Some(Topology::multisets().collect()),
            polish: Some((Self::POLISHED, PolishOptions::default())),
            shapes,
        })
    }

    /// Distinct topologies proposed from the shape table.
    pub const SHAPE_NEIGHBOURS: usize = 32;

    /// Rows of the shape table per topology offered as starts (different stretches and
    /// orientations of one strut set start refinement in different basins).
    pub const SHAPE_ROWS_PER_TOPOLOGY: usize = 2;

    /// Without the shape table's proposals.
    pub fn without_shapes(mut self) -> Self {
        self.shapes = None;
        self
    }

    /// Whether a shape table is in use.
    pub fn has_shapes(&self) -> bool {
        self.shapes.is_some()
    }

    /// The wrapped models.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// Distinct topologies polished by default.
    pub const POLISHED: usize = 32;

    /// Polishes the best design of each of the `topologies` best topologies with `options`
    /// (`topologies = 0`: no polishing, G's and the sweep's designs as they are).
    pub fn with_polish(mut self, topologies: usize, options: PolishOptions) -> Self {
        self.polish = (topologies > 0).then_some((topologies, options));
        self
    }

    /// Without the topology sweep: G1's draws only (the paper's method).
    pub fn without_sweep(mut self) -> Self {
        self.sweep = None;
        self
    }
}

impl Proposer for NetworkProposer {
    fn name(&self) -> &str {
        "network"
    }

    fn propose(
        &self,
        target: &[f64; 21],
        samples: usize,
        temperature: f64,
        seed: u64,
    ) -> Result<Vec<(Design, [f64; 21])>, InverseError> {
        let err = InverseError::Proposer;
        let mut designs = self
            .models
            .propose(&[*target], samples, temperature, seed)
            .map_err(err)?
            .pop()
            .unwrap_or_default();
        if let Some(sweep) = &self.sweep {
            designs.extend(
                self.models
                    .propose_for_topologies(target, sweep)
                    .map_err(err)?,
            );
        }
        let predicted = self.models.predict(&designs).map_err(err)?;
        let mut proposals: Vec<(Design, [f64; 21])> = designs.into_iter().zip(predicted).collect();
        if let Some((topologies, options)) = &self.polish {
            let goal = Stiffness::voigt_from_constants(target);
            let mut ranked: Vec<(f64, &Design)> = proposals
                .iter()
                .map(|(d, c)| {
                    (
                        relative_frobenius(&goal, &Stiffness::voigt_from_constants(c)),
                        d,
                    )
                })
                .collect();
            ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
            // One start per topology multiset (the slot order does not change the lattice).
            let mut starts: Vec<Design> = Vec::with_capacity(*topologies);
            let mut seen = Vec::with_capacity(*topologies);
            for (_, d) in ranked {
                if starts.len() == *topologies {
                    break;
                }
                let key = d.topology.sorted();
                if !seen.contains(&key) {
                    seen.push(key);
                    starts.push(d.clone());
                }
            }
            let polished = self.models.polish(target, &starts, options).map_err(err)?;
            let predicted = self.models.predict(&polished).map_err(err)?;
            proposals.extend(polished.into_iter().zip(predicted));
        }
        Ok(proposals)
    }

    fn shape_starts(&self, target: &Stiffness) -> Vec<Design> {
        self.shapes.as_ref().map_or_else(Vec::new, |table| {
            table
                .nearest(
                    target.voigt(),
                    Self::SHAPE_NEIGHBOURS,
                    Self::SHAPE_ROWS_PER_TOPOLOGY,
                )
                .into_iter()
                .map(|(d, _)| d)
                .collect()
        })
    }
}
