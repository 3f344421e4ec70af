//! The graded path of `build`: inverse design at every control point, the choice of one
//! compatible design per point, the cell size, grading, and the FE verification of the graded
//! cells at the control points.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::{
    BuildError, CellLocation, GradedOverlay, InverseStep, PointStiffness, Prepared, Timings,
    check_fits_domain,
};
use crate::design_space::{Design, RangePolicy};
use crate::fem::{FemOptions, Homogenizer};
use crate::geom::distance::point_distance;
use crate::grading::{
    ChoiceCost, ChoiceWeights, ClosedLoop, ControlPoint, Core, FailedSample, GradedLattice,
    GradingNote, GradingOptions, GradingStats, LoopOutcome, LoopTarget, PointOptions,
    SegmentSample, TransitionStats, Verification, VerifyOptions, WindowCheck, choice_costs,
    choose_designs, closest_pair, rooms, too_close_for_cells,
};
use crate::inverse::{
    Candidate, LookupTable, NetworkProposer, Proposer, design_for_target_printable,
};
use crate::learn::Models;
use crate::manufacturing::{CellNeeds, PrintableWithin};
use crate::mechanics::ErrorMetrics;
use crate::mechanics::voigt_rows;
use crate::spec::{CellSize, ControlPointSpec, DesignMethod, GradedFill, Spec};

/// One candidate of a control point, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateSummary {
    /// The design.
    pub design: Design,
    /// The proposer's own stiffness prediction against the target (none for a shape start).
    pub surrogate: Option<ErrorMetrics>,
    /// FE stiffness against the target before refinement.
    pub fe_unrefined: ErrorMetrics,
    /// FE stiffness against the target (relative Frobenius error: the ranking objective).
    pub fe: ErrorMetrics,
    /// Smallest cell edge (mm) the design prints at within the manufacturing limits.
    pub smallest_cell_size_mm: Option<f64>,
    /// Whether it was refined against the FE model.
    pub refined: bool,
}

/// One stiffness component of a control point: target, design and graded cell, GPa.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentRow {
    /// `C11` … `C66`.
    pub component: String,
    /// Target, GPa.
    pub target_gpa: f64,
    /// FE of the chosen design, GPa.
    pub design_gpa: f64,
    /// FE of the graded cell at the point, GPa.
    pub graded_gpa: f64,
}

/// Everything about one control point.
#[derive(Debug, Clone, Serialize)]
pub struct PointReport {
    /// The id.
    pub id: String,
    /// Position, mm.
    pub position_mm: [f64; 3],
    /// Accuracy weight.
    pub weight: f64,
    /// Tolerance on the graded cell's relative Frobenius error, if given.
    pub tolerance: Option<f64>,
    /// Whether the design was fixed in the spec (no inverse design).
    pub pinned: bool,
    /// FE-verified candidates, best first (relative Frobenius error; NMSE beside it).
    pub candidates: Vec<CandidateSummary>,
    /// Index of the chosen candidate.
    pub chosen: usize,
    /// What the choice traded: accuracy given up, cell size, compatibility with neighbours.
    pub choice_cost: ChoiceCost,
    /// Closed-loop corrections of the design (0 when the built stiffness held its tolerance).
    pub corrections: usize,
    /// The design built (the chosen candidate, after any corrections).
    pub design: Design,
    /// This point's cell size, mm.
    pub cell_size_mm: f64,
    /// The point's core (its design kept unblended there).
    pub core: Option<Core>,
    /// Strut diameter of the design at the cell size, mm.
    pub strut_diameter_mm: f64,
    /// Smallest gap between strut surfaces of the design at the cell size, mm.
    pub smallest_pore_mm: Option<f64>,
    /// Target stiffness, GPa (Voigt 6×6).
    pub target_voigt_gpa: [[f64; 6]; 6],
    /// FE stiffness of the chosen design, GPa.
    pub design_voigt_gpa: [[f64; 6]; 6],
    /// FE stiffness of the graded cell at the point, GPa.
    pub graded_voigt_gpa: [[f64; 6]; 6],
    /// FE stiffness of the window of the built network at the point, GPa.
    pub window_voigt_gpa: Option<[[f64; 6]; 6]>,
    /// Chosen design against the target.
    pub design_vs_target: ErrorMetrics,
    /// Graded cell against the target.
    pub graded_vs_target: ErrorMetrics,
    /// Graded cell against the chosen design.
    pub graded_vs_design: ErrorMetrics,
    /// The window of the built network around the point (against design and target): the
    /// figure the tolerance is judged on when present.
    pub window: Option<WindowCheck>,
    /// Why no (or only a smaller) window could be homogenized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_note: Option<String>,
    /// `‖L − A_i‖/‖A_i‖` of the graded cell's mean edges against the point's cell.
    pub lattice_error: f64,
    /// Relative density of the graded cell.
    pub graded_relative_density: f64,
    /// Whether the built stiffness (window, else cut-out cell) is within the tolerance (when one is given).
    pub within_tolerance: Option<bool>,
    /// The 21 constants side by side.
    pub components: Vec<ComponentRow>,
}

/// A stiffness sample between two neighbouring control points.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentReport {
    /// The sample (position, cell, step change from the previous sample).
    #[serde(flatten)]
    pub sample: SegmentSample,
    /// Its FE stiffness, GPa.
    pub voigt_gpa: [[f64; 6]; 6],
}

/// The graded part of `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct GradedReport {
    /// `network` or `lookup`.
    pub method: String,
    /// Network method: topologies per point whose best design was polished through F
    /// (`design_options.polish`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polish: Option<usize>,
    /// The accuracy–smoothness trade-off λ used to choose the designs.
    pub smoothness: f64,
    /// The accuracy–cell-size trade-off μ used to choose the designs.
    pub cell_size_weight: f64,
    /// Closed-loop rounds run (regradings after corrections).
    pub correction_rounds: usize,
    /// Nearest control points blended.
    pub neighbours: usize,
    /// Per control point, in spec order.
    pub control_points: Vec<PointReport>,
    /// Grading counts.
    pub grading: GradingStats,
    /// What the diameter rule did in every point's own region and every transition.
    pub transitions: Vec<TransitionStats>,
    /// Stiffness samples between neighbouring points.
    pub segments: Vec<SegmentReport>,
    /// Largest relative Frobenius change between successive samples of a segment.
    pub max_step_change: f64,
    /// Segment samples whose graded cell could not be homogenized.
    pub failed_samples: Vec<FailedSample>,
}
/// Voigt indices of the 21 constants, upper triangle row by row.
fn component_names() -> Vec<(usize, usize)> {
    (0..6).flat_map(|i| (i..6).map(move |j| (i, j))).collect()
}

/// The proposer for the points that need inverse design (`None` when every design is pinned).
fn proposer(fill: &GradedFill) -> Result<Option<Box<dyn Proposer>>, BuildError> {
    if fill.points.iter().all(|p| p.design.is_some()) {
        return Ok(None);
    }
    Ok(Some(match &fill.method {
        DesignMethod::Network {
            models,
            device,
            polish,
        } => {
            let models = Models::load(models, *device).map_err(|source| BuildError::Models {
                dir: models.clone(),
                source,
            })?;
            let proposer =
                NetworkProposer::new(models).map_err(|source| BuildError::InverseDesign {
                    step: InverseStep::ShapeTable,
                    source: Box::new(source),
                })?;
            Box::new(proposer.with_polish(*polish, Default::default()))
        }
        DesignMethod::Lookup { data } => Box::new(LookupTable::from_csv(data).map_err(
            |source| BuildError::InverseDesign {
                step: InverseStep::LookupData { data: data.clone() },
                source: Box::new(source),
            },
        )?),
    }))
}

/// The FE-verified candidates of the control points `which` (spec indices), each printable at
/// the cell size (or the largest `auto` may choose) and, where `widest[i]` is finite, with a
/// cell at most that wide (mm).
fn design_points(
    spec: &Spec,
    fill: &GradedFill,
    proposer: Option<&dyn Proposer>,
    which: &[usize],
    widest: &[f64],
    stage: &dyn Fn(&str),
) -> Result<Vec<Vec<Candidate>>, BuildError> {
    let largest = match spec.cell_size {
        CellSize::Fixed(h) => h,
        CellSize::Auto => spec.max_cell_size,
    };
    let mut all = Vec::with_capacity(which.len());
    for (n, &i) in which.iter().enumerate() {
        let point = &fill.points[i];
        let printable = PrintableWithin {
            largest,
            limits: &spec.manufacturing,
            widest: widest[i],
        };
        stage(&format!("design {} ({}/{})", point.id, n + 1, which.len()));
        let list = match (&point.design, proposer) {
            (Some(design), _) => vec![pinned(design, point, spec)?],
            (None, Some(proposer)) => {
                let options = crate::inverse::DesignOptions {
                    seed: fill.design.seed.wrapping_add(i as u64),
                    ..fill.design
                };
                design_for_target_printable(
                    &point.target,
                    &spec.material,
                    proposer,
                    &options,
                    &printable,
                )
                .map_err(|source| BuildError::InverseDesign {
                    step: InverseStep::ControlPoint {
                        id: point.id.clone(),
                        largest_cell_size: largest,
                        widest_cell: widest[i],
                        min_strut_diameter: spec.manufacturing.min_strut_diameter,
                        min_pore_size: spec.manufacturing.min_pore_size,
                    },
                    source: Box::new(source),
                })?
            }
            (None, None) => unreachable!("a proposer exists when a point needs one"),
        };
        all.push(list);
    }
    Ok(all)
}

/// Every point's candidates and the choice among them. Designs are first found without
/// regard to the room between points; where the choice still leaves a neighbour pair whose
/// cells do not fit between the points, those points are designed again with cells limited
/// to their room ([`crate::grading::rooms`]) and the choice is repeated with both lists.
fn design_and_choose(
    spec: &Spec,
    fill: &GradedFill,
    stage: &dyn Fn(&str),
    warnings: &mut Vec<String>,
) -> Result<(Vec<Vec<Candidate>>, Choice), BuildError> {
    let proposer = proposer(fill)?;
    let all: Vec<usize> = (0..fill.points.len()).collect();
    let unlimited = vec![f64::INFINITY; all.len()];
    let mut candidates = design_points(spec, fill, proposer.as_deref(), &all, &unlimited, stage)?;
    let mut choice = choose(spec, fill, &candidates, &AsBuilt::new());
    let misfit: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| choice.costs[i].misfits > 0 && fill.points[i].design.is_none())
        .collect();
    if misfit.is_empty() || !matches!(spec.cell_size, CellSize::Auto) {
        return Ok((candidates, choice));
    }
    let rooms = rooms(&positions(fill), fill.transition_cells);
    for &i in &misfit {
        match design_points(spec, fill, proposer.as_deref(), &[i], &rooms, stage) {
            Ok(more) => merge_candidates(&mut candidates[i], more.into_iter().flatten()),
            Err(_) => warnings.push(format!(
                "control point {:?}: no printable design found whose cell is at most {:.2} mm \
                 wide (the room its nearest point leaves for both cells and a transition)",
                fill.points[i].id, rooms[i]
            )),
        }
    }
    choice = choose(spec, fill, &candidates, &AsBuilt::new());
    Ok((candidates, choice))
}

/// What the choice predicts will miss its tolerance as built, said before grading and meshing,
/// with what would let each such point reach it: the spacing its most accurate design within
/// tolerance needs beside its nearest conflicting neighbour, the finer printing (strut and
/// pore limits scaled down together) that would shrink that cell into the room, or — when no
/// design is within tolerance at all — that the target is out of this material's reach.
fn tolerance_notes(
    spec: &Spec,
    fill: &GradedFill,
    candidates: &[Vec<Candidate>],
    choice: &Choice,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (i, p) in fill.points.iter().enumerate() {
        let (cost, Some(tolerance)) = (&choice.costs[i], p.tolerance) else {
            continue;
        };
        if !cost.misses_tolerance {
            continue;
        }
        let within: Vec<&Candidate> = candidates[i]
            .iter()
            .filter(|c| c.fe.rel_frobenius <= tolerance)
            .collect();
        let best = candidates[i]
            .iter()
            .map(|c| c.fe.rel_frobenius)
            .fold(f64::INFINITY, f64::min);
        let head = format!(
            "control point {:?} is predicted to miss its tolerance {tolerance} as built (predicted error {:.3})",
            p.id, cost.predicted_error
        );
        if within.is_empty() {
            notes.push(format!(
                "{head}: no printable design found within it (best {best:.3}); a stiffer base material, another min_strut_diameter / min_pore_size or a larger tolerance would be needed"
            ));
            continue;
        }
        notes.push(match spacing_needed(fill, candidates, choice, i, &within) {
            Some((j, needed, distance)) => {
                let scale = distance / needed;
                format!(
                    "{head}: its designs within tolerance need cells too large for the {distance:.1} mm to {:?} (both cells and {} transition cell(s)); move the points at least {needed:.1} mm apart, or print finer (min_strut_diameter {:.3} mm and min_pore_size {:.3} mm shrink the cells {:.2}×)",
                    fill.points[j].id,
                    fill.transition_cells,
                    spec.manufacturing.min_strut_diameter * scale,
                    spec.manufacturing.min_pore_size * scale,
                    scale
                )
            }
            None => format!(
                "{head}: its cells within tolerance reach out of the domain around it or \
                 leave it no core beside its neighbours' cells"
            ),
        });
    }
    notes
}

/// For point `i`'s candidates `within` its tolerance, the smallest spacing (mm) any of them
/// needs beside the nearest neighbour whose chosen cell it conflicts with: (neighbour, needed,
/// present distance).
fn spacing_needed(
    fill: &GradedFill,
    candidates: &[Vec<Candidate>],
    choice: &Choice,
    i: usize,
    within: &[&Candidate],
) -> Option<(usize, f64, f64)> {
    let cell = |c: &Candidate| Some(c.design.affine().ok()? * c.smallest_cell_size?);
    let p = &fill.points[i];
    let apart = |j: usize| point_distance(fill.points[j].position, p.position);
    let mut others: Vec<usize> = (0..fill.points.len()).filter(|&j| j != i).collect();
    others.sort_by(|&a, &b| apart(a).total_cmp(&apart(b)));
    for j in others {
        let Some(theirs) = cell(&candidates[j][choice.chosen[j]]) else {
            continue;
        };
        let needed = within
            .iter()
            .filter_map(|c| {
                let ours = cell(c)?;
                Some(crate::grading::needed_distance(
                    &ours,
                    &theirs,
                    p.position,
                    fill.points[j].position,
                    fill.transition_cells,
                ))
            })
            .fold(f64::INFINITY, f64::min);
        if needed.is_finite() && needed > apart(j) {
            return Some((j, needed, apart(j)));
        }
    }
    None
}

/// Adds the candidates `more` that `list` does not hold yet (the same design: same topology
/// and parameters), keeping the order.
fn merge_candidates(list: &mut Vec<Candidate>, more: impl IntoIterator<Item = Candidate>) {
    for c in more {
        if !list.iter().any(|old| old.design == c.design) {
            list.push(c);
        }
    }
}

/// A fixed design, FE-homogenized, as a candidate.
fn pinned(design: &Design, point: &ControlPointSpec, spec: &Spec) -> Result<Candidate, BuildError> {
    let cell = design.cell(RangePolicy::Strict)?;
    let fe = Homogenizer::new(FemOptions::default()).homogenize(&cell, &spec.material)?;
    let m = ErrorMetrics::between(&point.target, &fe.stiffness);
    Ok(Candidate {
        design: design.clone(),
        surrogate: None,
        fe: m,
        fe_unrefined: m,
        fe_stiffness_voigt: voigt_rows(fe.stiffness.voigt()),
        smallest_cell_size: Some(CellNeeds::of(&cell).smallest_cell_size(&spec.manufacturing)),
        refined: false,
    })
}

/// Built errors (relative Frobenius, vs target) of candidates that were graded and lost their
/// core, keyed by (point, candidate) index.
type AsBuilt = BTreeMap<(usize, usize), f64>;

/// The designs chosen per point, with the options they were chosen from and the trade-off.
struct Choice {
    chosen: Vec<usize>,
    costs: Vec<ChoiceCost>,
}

/// Chooses one candidate per point, weighing accuracy, cell size and neighbours. A candidate
/// already graded whose built error was worse than its design's (`as_built`, keyed by point
/// and candidate index) is weighed by that error.
fn choose(
    spec: &Spec,
    fill: &GradedFill,
    candidates: &[Vec<Candidate>],
    as_built: &AsBuilt,
) -> Choice {
    let sized = matches!(spec.cell_size, CellSize::Auto);
    let options: Vec<PointOptions> = fill
        .points
        .iter()
        .zip(candidates)
        .enumerate()
        .map(|(i, (p, list))| PointOptions {
            position: p.position,
            weight: p.weight,
            tolerance: p.tolerance,
            candidates: list
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let built = as_built.get(&(i, k)).copied().unwrap_or(0.0);
                    (c.design.clone(), c.fe.rel_frobenius.max(built))
                })
                .collect(),
            cell_sizes: if sized {
                list.iter()
                    .map(|c| c.smallest_cell_size.unwrap_or(spec.max_cell_size))
                    .collect()
            } else {
                Vec::new()
            },
            inside_domain: if sized {
                list.iter()
                    .map(|c| cell_inside(&spec.domain, p.position, c))
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    let weights = ChoiceWeights {
        smoothness: fill.smoothness,
        cell_size: fill.cell_size_weight,
        transition_cells: fill.transition_cells,
    };
    let chosen = choose_designs(&options, fill.neighbours, weights);
    let costs = choice_costs(&options, fill.neighbours, weights, &chosen);
    Choice { chosen, costs }
}

/// Whether candidate `c`'s cell at its smallest printable size, centred on `position`, has
/// all eight corners inside the domain (for a convex domain: lies inside it).
fn cell_inside(domain: &crate::network::Domain, position: [f64; 3], c: &Candidate) -> bool {
    let (Ok(f), Some(h)) = (c.design.affine(), c.smallest_cell_size) else {
        return true;
    };
    let a = f * h;
    let centre = nalgebra::Point3::from(position);
    (0..8).all(|k| {
        let s = nalgebra::Vector3::new(
            f64::from(k & 1) - 0.5,
            f64::from((k >> 1) & 1) - 0.5,
            f64::from((k >> 2) & 1) - 0.5,
        );
        domain.contains(&(centre + a * s))
    })
}

/// Every point's cell size (mm): the fixed one, or the smallest its own design prints at.
fn point_cell_sizes(
    spec: &Spec,
    fill: &GradedFill,
    designs: &[Design],
) -> Result<Vec<f64>, BuildError> {
    let mut sizes = Vec::with_capacity(designs.len());
    for (p, design) in fill.points.iter().zip(designs) {
        let need = CellNeeds::of(&design.cell(RangePolicy::Strict)?);
        sizes.push(match spec.cell_size {
            CellSize::Fixed(h) => {
                super::printable_at(
                    &need,
                    h,
                    &spec.manufacturing,
                    &CellLocation::ControlPoint(p.id.clone()),
                )?;
                h
            }
            CellSize::Auto => need.smallest_cell_size(&spec.manufacturing),
        });
    }
    // Every point's own cell must fit (as the one global cell had to before).
    let largest = sizes.iter().copied().fold(0.0, f64::max);
    check_fits_domain(&spec.domain, largest)?;
    check_spacing(fill, &sizes)?;
    Ok(sizes)
}

/// Two control points closer than the larger of their cell sizes cannot both have their cells:
/// an error naming them and the distance needed.
fn check_spacing(fill: &GradedFill, sizes: &[f64]) -> Result<(), BuildError> {
    let Some(pair) = too_close_for_cells(&positions(fill), sizes) else {
        return Ok(());
    };
    let (a, b) = (&fill.points[pair.later].id, &fill.points[pair.earlier].id);
    let (d, h) = (pair.distance, pair.cell_size);
    Err(BuildError::CellSizeIncompatible {
        cell_size: h,
        reason: format!(
            "control points {b:?} and {a:?} are {d:.3} mm apart, closer than one cell: \
             both cells cannot be reproduced; move them at least {h:.3} mm apart or \
             use a smaller cell_size"
        ),
    })
}

/// The control points' positions, mm.
fn positions(fill: &GradedFill) -> Vec<[f64; 3]> {
    fill.points.iter().map(|p| p.position).collect()
}

/// Refuses the closest pair of control points when it is closer than
/// [`smallest_cell_size_of_the_space`](crate::manufacturing::smallest_cell_size_of_the_space):
/// every cell size `auto` can give a point is at least that, so [`check_spacing`] after
/// design would refuse the pair anyway (the bound is sound: it never refuses a spec the exact
/// check would pass). Targets are not used: the stretching bound gives a *lower* bound on a
/// target's density, and a denser design prints at a *smaller* cell, so only the top of the
/// density range bounds the cell from below. Takes O(n²) distance computations, no design.
fn check_spacing_bound(spec: &Spec, fill: &GradedFill) -> Result<(), BuildError> {
    let needed = crate::manufacturing::smallest_cell_size_of_the_space(&spec.manufacturing);
    let Some((i, j, distance)) = closest_pair(&positions(fill)) else {
        return Ok(());
    };
    if distance >= needed {
        return Ok(());
    }
    Err(BuildError::ControlPointsTooClose {
        a: fill.points[j].id.clone(),
        b: fill.points[i].id.clone(),
        distance,
        needed,
        min_strut_diameter: spec.manufacturing.min_strut_diameter,
        unit_strut: crate::manufacturing::thickest_unit_strut(),
        max_density: crate::design_space::DENSITY_RANGE.1,
        max_stretch: crate::design_space::STRETCH_RANGE.1,
    })
}

/// Designs, chooses, sizes, grades, verifies and corrects.
pub(super) fn prepare(
    spec: &Spec,
    fill: &GradedFill,
    timings: &mut Timings,
    warnings: &mut Vec<String>,
    stage: &dyn Fn(&str),
) -> Result<(Prepared, GradedReport), BuildError> {
    // With a fixed cell size every point's cell is known before any design: points closer
    // than one cell are refused at once (with `auto` the sizes follow the designs).
    // With `auto`, no cell can be smaller than the smallest any design of the space prints
    // at, so points closer than that are refused before any design (in bounded time); the
    // exact check follows the design ([`point_cell_sizes`]).
    match spec.cell_size {
        CellSize::Fixed(h) => check_spacing(fill, &vec![h; fill.points.len()])?,
        CellSize::Auto => check_spacing_bound(spec, fill)?,
    }
    let t = Instant::now();
    let (candidates, choice) = design_and_choose(spec, fill, stage, warnings)?;
    timings.design = t.elapsed().as_secs_f64();
    for note in tolerance_notes(spec, fill, &candidates, &choice) {
        stage(&format!("warning: {note}"));
        warnings.push(note);
    }
    stage("grading");
    let Attempt {
        choice,
        designs,
        sizes,
        outcome:
            LoopOutcome {
                graded,
                verification,
                corrections,
                rounds,
                ..
            },
    } = grade_choices(spec, fill, &candidates, choice, timings, warnings, stage)?;
    grading_warnings(&graded, &verification, spec, warnings);
    let reports = point_reports(
        spec,
        fill,
        &candidates,
        &choice,
        &designs,
        &sizes,
        &graded,
        &verification,
        &corrections,
        warnings,
    )?;
    let report = graded_report(spec, fill, &graded, &verification, reports, rounds);
    let point_stiffness = point_stiffness(fill, &verification);
    let overlay = overlay(spec, &graded, &report.segments);
    Ok((
        Prepared {
            network: graded.network,
            cell_size: sizes.iter().copied().fold(0.0, f64::max),
            point_stiffness,
            cell_stiffness: None,
            overlay: Some(overlay),
        },
        report,
    ))
}

/// Choices graded again at most after a chosen design lost its core to a folding transition.
const MAX_REGRADES: usize = 2;

/// One choice graded: the designs (after corrections), cell sizes and the closed loop's outcome.
struct Attempt {
    choice: Choice,
    designs: Vec<Design>,
    sizes: Vec<f64>,
    outcome: LoopOutcome,
}

/// Grades `choice`; where a point then misses its tolerance because its core was removed (the
/// transition to a neighbour folded the scaffold, which the choice cannot foresee), that design
/// is weighed by its built error and the points are chosen and graded again, at most
/// [`MAX_REGRADES`] times. Keeps the attempt with the most points within tolerance (then the
/// smallest sum of built errors), the first among equals.
fn grade_choices(
    spec: &Spec,
    fill: &GradedFill,
    candidates: &[Vec<Candidate>],
    choice: Choice,
    timings: &mut Timings,
    warnings: &mut Vec<String>,
    stage: &dyn Fn(&str),
) -> Result<Attempt, BuildError> {
    let mut best = grade_choice(spec, fill, candidates, choice, timings, stage)?;
    let mut last_lost = folded_misses(fill, &best);
    let mut last_chosen = best.choice.chosen.clone();
    let mut as_built = AsBuilt::new();
    let mut regraded = false;
    let mut improved = false;
    for _ in 0..MAX_REGRADES {
        if last_lost.is_empty() {
            break;
        }
        for &(i, error) in &last_lost {
            as_built.insert((i, last_chosen[i]), error);
        }
        let next = choose(spec, fill, candidates, &as_built);
        if next.chosen == last_chosen {
            break;
        }
        for &(i, error) in &last_lost {
            let note = format!(
                "control point {:?}: the transition from its design folded the scaffold and cost \
                 its core (built error {error:.3}); its neighbourhood is chosen and graded again",
                fill.points[i].id
            );
            stage(&format!("warning: {note}"));
            warnings.push(note);
        }
        last_chosen.clone_from(&next.chosen);
        regraded = true;
        let Ok(attempt) = grade_choice(spec, fill, candidates, next, timings, stage) else {
            break;
        };
        last_lost = folded_misses(fill, &attempt);
        if score(fill, &attempt) > score(fill, &best) {
            best = attempt;
            improved = true;
        }
    }
    if regraded && !improved {
        let note =
            "no other choice graded better than the first: the first choice is kept".to_string();
        stage(&format!("warning: {note}"));
        warnings.push(note);
    }
    Ok(best)
}

/// Grades, verifies and corrects one choice.
fn grade_choice(
    spec: &Spec,
    fill: &GradedFill,
    candidates: &[Vec<Candidate>],
    choice: Choice,
    timings: &mut Timings,
    stage: &dyn Fn(&str),
) -> Result<Attempt, BuildError> {
    let mut designs: Vec<Design> = (0..fill.points.len())
        .map(|i| candidates[i][choice.chosen[i]].design.clone())
        .collect();
    let sizes = point_cell_sizes(spec, fill, &designs)?;
    let outcome = closed_loop(spec, fill, &mut designs, &sizes, stage)?;
    timings.grading += outcome.grading_seconds;
    timings.verify += outcome.verify_seconds;
    Ok(Attempt {
        choice,
        designs,
        sizes,
        outcome,
    })
}

/// The points (index, built error) that miss their tolerance without the core grading removed
/// because their transition folded.
fn folded_misses(fill: &GradedFill, attempt: &Attempt) -> Vec<(usize, f64)> {
    let removed = |id: &str| {
        attempt
            .outcome
            .graded
            .notes
            .iter()
            .any(|n| matches!(n, GradingNote::CoreRemoved { id: lost } if lost == id))
    };
    fill.points
        .iter()
        .zip(&attempt.outcome.verification.points)
        .enumerate()
        .filter_map(|(i, (p, check))| {
            let error = check.built_error()?.rel_frobenius;
            let missed = p.design.is_none() && p.tolerance.is_some_and(|t| error > t);
            (missed && removed(&p.id)).then_some((i, error))
        })
        .collect()
}

/// How good an attempt is: points within tolerance, then the negated sum of built errors.
fn score(fill: &GradedFill, attempt: &Attempt) -> (usize, f64) {
    let mut within = 0;
    let mut sum = 0.0;
    for (p, check) in fill.points.iter().zip(&attempt.outcome.verification.points) {
        let Some(error) = check.built_error().map(|m| m.rel_frobenius) else {
            continue;
        };
        within += usize::from(p.tolerance.is_none_or(|t| error <= t));
        sum += error;
    }
    (within, -sum)
}

/// Grades the designs at their cell sizes, verifies the result and corrects the points that
/// miss their tolerance ([`ClosedLoop`]); the corrected designs are left in `designs`.
fn closed_loop(
    spec: &Spec,
    fill: &GradedFill,
    designs: &mut [Design],
    sizes: &[f64],
    stage: &dyn Fn(&str),
) -> Result<LoopOutcome, BuildError> {
    let mut points: Vec<ControlPoint> = fill
        .points
        .iter()
        .zip(designs.iter().zip(sizes))
        .map(|(p, (design, &h))| ControlPoint {
            id: p.id.clone(),
            position: p.position,
            design: design.clone(),
            cell_size: Some(h),
        })
        .collect();
    let targets: Vec<LoopTarget> = fill
        .points
        .iter()
        .map(|p| LoopTarget {
            target: p.target.clone(),
            tolerance: p.tolerance,
            pinned: p.design.is_some(),
        })
        .collect();
    let closed_loop = ClosedLoop {
        domain: &spec.domain,
        limits: &spec.manufacturing,
        grading: GradingOptions {
            neighbours: fill.neighbours,
            weight: fill.weight,
            min_strut_diameter: spec.manufacturing.min_strut_diameter,
            core_cells: Some(fill.core_cells),
            transition_cells: fill.transition_cells,
            ..GradingOptions::default()
        },
        verify: VerifyOptions {
            material: spec.material,
            fem: FemOptions::default(),
            samples_per_segment: fill.samples_per_segment,
        },
        evaluations: 2 * fill.design.refine_evaluations.max(1),
        max_rounds: fill.max_corrections,
    };
    let outcome = closed_loop.run(&mut points, &targets, &|n| {
        stage(&format!("correction {n}"))
    })?;
    for (design, point) in designs.iter_mut().zip(points) {
        *design = point.design;
    }
    Ok(outcome)
}

/// The graded part of the report (`reports`: the control points').
fn graded_report(
    spec: &Spec,
    fill: &GradedFill,
    graded: &GradedLattice,
    verification: &Verification,
    reports: Vec<PointReport>,
    rounds: usize,
) -> GradedReport {
    let e = spec.material.youngs_modulus;
    GradedReport {
        method: match fill.method {
            DesignMethod::Network { .. } => "network".into(),
            DesignMethod::Lookup { .. } => "lookup".into(),
        },
        polish: match fill.method {
            DesignMethod::Network { polish, .. } => Some(polish),
            DesignMethod::Lookup { .. } => None,
        },
        smoothness: fill.smoothness,
        cell_size_weight: fill.cell_size_weight,
        neighbours: fill.neighbours,
        correction_rounds: rounds,
        control_points: reports,
        grading: graded.stats,
        transitions: graded.transitions.clone(),
        segments: verification
            .segments
            .iter()
            .map(|s| SegmentReport {
                sample: s.clone(),
                voigt_gpa: voigt_rows(&s.stiffness.to_gpa(e)),
            })
            .collect(),
        max_step_change: verification.max_step_change,
        failed_samples: verification.failed_samples.clone(),
    }
}

/// Every control point's stiffnesses, for its plot.
fn point_stiffness(fill: &GradedFill, verification: &Verification) -> Vec<PointStiffness> {
    verification
        .points
        .iter()
        .zip(&fill.points)
        .map(|(c, p)| PointStiffness {
            id: p.id.clone(),
            position: p.position,
            target: p.target.clone(),
            design: c.design_stiffness.clone(),
            graded: c.graded_stiffness.clone(),
            window: c.window.as_ref().map(|w| w.stiffness.clone()),
            graded_vs_target: c.vs_target,
            window_vs_target: c.window.as_ref().and_then(|w| w.vs_target),
        })
        .collect()
}

/// What the lattice picture draws over the struts: the domain, the points' cores and the
/// stiffness samples between them.
fn overlay(spec: &Spec, graded: &GradedLattice, segments: &[SegmentReport]) -> GradedOverlay {
    GradedOverlay {
        domain: spec.domain.bounding_box(),
        cores: graded
            .cores
            .iter()
            .enumerate()
            .map(|(i, core)| {
                // A point without a core is drawn with its own cell.
                let k = core.half_cells.unwrap_or(0);
                (
                    core.id.clone(),
                    graded.field.positions()[i],
                    graded.aligned[i].lattice * (2.0 * k as f64 + 1.0),
                    core.half_cells.is_some(),
                )
            })
            .collect(),
        segments: segments.iter().map(|s| s.sample.clone()).collect(),
    }
}

fn grading_warnings(
    graded: &GradedLattice,
    verification: &Verification,
    spec: &Spec,
    warnings: &mut Vec<String>,
) {
    if graded.stats.components_removed > 0 {
        warnings.push(format!(
            "{} disconnected pieces ({} struts) were removed after grading and trimming",
            graded.stats.components_removed, graded.stats.component_struts_removed
        ));
    }
    if graded.stats.struts_below_minimum > 0 {
        warnings.push(format!(
            "{} blended strut pieces in transitions between control points were thinner than \
             manufacturing.min_strut_diameter {} mm and were dropped (see graded.transitions)",
            graded.stats.struts_below_minimum, spec.manufacturing.min_strut_diameter
        ));
    }
    for core in &graded.cores {
        match core.half_cells {
            Some(k) if k < core.requested => warnings.push(format!(
                "control point {:?}: its core was clipped to {k} cell(s) on each side (asked {}) \
                 because a neighbouring point is close",
                core.id, core.requested
            )),
            _ => {}
        }
    }
    for note in &graded.notes {
        warnings.push(format!(
            "{note} (without a core, a point's cell only approximates its design)"
        ));
    }
    if !verification.failed_samples.is_empty() {
        warnings.push(format!(
            "{} of the stiffness samples between control points could not be homogenized \
             (see graded.failed_samples): the cut-out cell is a mechanism there",
            verification.failed_samples.len()
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn point_reports(
    spec: &Spec,
    fill: &GradedFill,
    candidates: &[Vec<Candidate>],
    choice: &Choice,
    designs: &[Design],
    sizes: &[f64],
    graded: &GradedLattice,
    verification: &Verification,
    corrections: &[usize],
    warnings: &mut Vec<String>,
) -> Result<Vec<PointReport>, BuildError> {
    let e = spec.material.youngs_modulus;
    let names = component_names();
    let mut reports = Vec::with_capacity(fill.points.len());
    for (i, (p, check)) in fill.points.iter().zip(&verification.points).enumerate() {
        let h = sizes[i];
        let need = CellNeeds::of(&designs[i].cell(RangePolicy::Strict)?);
        let graded_vs_target = check
            .vs_target
            .unwrap_or_else(|| ErrorMetrics::between(&p.target, &check.graded_stiffness));
        let built = check.built_error().unwrap_or(graded_vs_target);
        let within = p.tolerance.map(|t| built.rel_frobenius <= t);
        if within == Some(false) {
            warnings.push(format!(
                "control point {:?}: built stiffness relative Frobenius error {:.3} (NMSE {:.3}) \
                 exceeds its tolerance {}{}",
                p.id,
                built.rel_frobenius,
                built.nmse,
                p.tolerance.unwrap_or_default(),
                if corrections[i] > 0 {
                    format!(" after {} correction(s)", corrections[i])
                } else {
                    String::new()
                }
            ));
        }
        let (tg, dg, gg) = (
            p.target.to_gpa(e),
            check.design_stiffness.to_gpa(e),
            check.graded_stiffness.to_gpa(e),
        );
        reports.push(PointReport {
            id: p.id.clone(),
            position_mm: p.position,
            weight: p.weight,
            tolerance: p.tolerance,
            pinned: p.design.is_some(),
            candidates: candidates[i].iter().map(summary).collect(),
            chosen: choice.chosen[i],
            choice_cost: choice.costs[i],
            corrections: corrections[i],
            design: designs[i].clone(),
            cell_size_mm: h,
            core: graded.cores.get(i).cloned(),
            strut_diameter_mm: need.unit_diameter * h,
            smallest_pore_mm: need.unit_pore.map(|g| g * h),
            target_voigt_gpa: voigt_rows(&tg),
            design_voigt_gpa: voigt_rows(&dg),
            graded_voigt_gpa: voigt_rows(&gg),
            window_voigt_gpa: check
                .window
                .as_ref()
                .map(|w| voigt_rows(&w.stiffness.to_gpa(e))),
            design_vs_target: ErrorMetrics::between(&p.target, &check.design_stiffness),
            graded_vs_target,
            graded_vs_design: check.vs_design,
            window: check.window.clone(),
            window_note: check.window_note.clone(),
            lattice_error: check.lattice_error,
            graded_relative_density: check.relative_density,
            within_tolerance: within,
            components: names
                .iter()
                .map(|&(r, c)| ComponentRow {
                    component: format!("C{}{}", r + 1, c + 1),
                    target_gpa: tg[(r, c)],
                    design_gpa: dg[(r, c)],
                    graded_gpa: gg[(r, c)],
                })
                .collect(),
        });
    }
    Ok(reports)
}

fn summary(c: &Candidate) -> CandidateSummary {
    CandidateSummary {
        design: c.design.clone(),
        surrogate: c.surrogate,
        fe_unrefined: c.fe_unrefined,
        fe: c.fe,
        smallest_cell_size_mm: c.smallest_cell_size,
        refined: c.refined,
    }
}
