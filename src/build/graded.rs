//! The graded path of `build`: inverse design at every control point, the choice of one
//! compatible design per point, the cell size, grading, and the FE verification of the graded
//! cells at the control points.

use std::time::Instant;

use serde::Serialize;

use super::cell_size::{CellNeeds, PrintableWithin};
use super::{BuildError, Prepared, Timings, check_fits_domain};
use crate::design_space::{Design, RangePolicy};
use crate::fem::{FemOptions, Homogenizer};
use crate::grading::{
    ControlPoint, FailedSample, GradingOptions, GradingStats, PointOptions, SegmentSample,
    VerifyOptions, choose_designs, grade, verify,
};
use crate::inverse::{
    Candidate, LookupTable, NetworkProposer, Proposer, design_for_target_printable,
};
use crate::learn::Models;
use crate::mechanics::{ErrorMetrics, Stiffness};
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
    /// The chosen design.
    pub design: Design,
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
    /// Chosen design against the target.
    pub design_vs_target: ErrorMetrics,
    /// Graded cell against the target.
    pub graded_vs_target: ErrorMetrics,
    /// Graded cell against the chosen design.
    pub graded_vs_design: ErrorMetrics,
    /// `‖L − A_i‖/‖A_i‖` of the graded cell's mean edges against the point's cell.
    pub lattice_error: f64,
    /// Relative density of the graded cell.
    pub graded_relative_density: f64,
    /// Whether the graded cell's relative Frobenius error is within the tolerance (when one is given).
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
    /// Nearest control points blended.
    pub neighbours: usize,
    /// Per control point, in spec order.
    pub control_points: Vec<PointReport>,
    /// Grading counts.
    pub grading: GradingStats,
    /// Stiffness samples between neighbouring points.
    pub segments: Vec<SegmentReport>,
    /// Largest relative Frobenius change between successive samples of a segment.
    pub max_step_change: f64,
    /// Segment samples whose graded cell could not be homogenized.
    pub failed_samples: Vec<FailedSample>,
}

pub(super) fn rows(m: &nalgebra::Matrix6<f64>) -> [[f64; 6]; 6] {
    std::array::from_fn(|i| std::array::from_fn(|j| m[(i, j)]))
}

/// Voigt indices of the 21 constants, upper triangle row by row.
fn component_names() -> Vec<(usize, usize)> {
    (0..6).flat_map(|i| (i..6).map(move |j| (i, j))).collect()
}

/// The FE-verified candidates of every control point (spec order).
fn candidates(
    spec: &Spec,
    fill: &GradedFill,
    stage: &dyn Fn(&str),
) -> Result<Vec<Vec<Candidate>>, BuildError> {
    let needs_proposer = fill.points.iter().any(|p| p.design.is_none());
    let proposer: Option<Box<dyn Proposer>> = if !needs_proposer {
        None
    } else {
        Some(match &fill.method {
            DesignMethod::Network {
                models,
                device,
                polish,
            } => {
                let models =
                    Models::load(models, *device).map_err(|e| BuildError::InverseDesign {
                        what: format!("loading the models from {}", models.display()),
                        message: e.to_string(),
                    })?;
                let proposer =
                    NetworkProposer::new(models).map_err(|e| BuildError::InverseDesign {
                        what: "loading the shape table".into(),
                        message: e.to_string(),
                    })?;
                Box::new(proposer.with_polish(*polish, Default::default()))
            }
            DesignMethod::Lookup { data } => Box::new(LookupTable::from_csv(data).map_err(
                |e| BuildError::InverseDesign {
                    what: format!("reading the lookup dataset {}", data.display()),
                    message: e.to_string(),
                },
            )?),
        })
    };
    // Only designs printable at the cell size (or at the largest `auto` may choose).
    let largest = match spec.cell_size {
        CellSize::Fixed(h) => h,
        CellSize::Auto => spec.max_cell_size,
    };
    let printable = PrintableWithin {
        largest,
        limits: &spec.manufacturing,
    };
    let mut all = Vec::with_capacity(fill.points.len());
    for (i, point) in fill.points.iter().enumerate() {
        stage(&format!(
            "design {} ({}/{})",
            point.id,
            i + 1,
            fill.points.len()
        ));
        let list = match (&point.design, &proposer) {
            (Some(design), _) => vec![pinned(design, point, spec)?],
            (None, Some(proposer)) => {
                let options = crate::inverse::DesignOptions {
                    seed: fill.design.seed.wrapping_add(i as u64),
                    ..fill.design
                };
                design_for_target_printable(
                    &point.target,
                    &spec.material,
                    proposer.as_ref(),
                    &options,
                    &printable,
                )
                .map_err(|e| BuildError::InverseDesign {
                    what: format!(
                        "inverse design for control point {:?} (cell size <= {largest:.3} mm, \
                         min strut diameter {} mm, min pore {} mm)",
                        point.id,
                        spec.manufacturing.min_strut_diameter,
                        spec.manufacturing.min_pore_size
                    ),
                    message: e.to_string(),
                })?
            }
            (None, None) => unreachable!("a proposer exists when a point needs one"),
        };
        all.push(list);
    }
    Ok(all)
}

/// A fixed design, FE-homogenized, as a candidate.
fn pinned(design: &Design, point: &ControlPointSpec, spec: &Spec) -> Result<Candidate, BuildError> {
    let cell = design.cell(RangePolicy::Strict)?;
    let fe = Homogenizer::new(FemOptions::default()).homogenize(&cell, &spec.material)?;
    let m = ErrorMetrics::between(&point.target, &fe.stiffness);
    Ok(Candidate {
        design: design.clone(),
        surrogate_rel_frobenius: None,
        surrogate_nmse: None,
        fe_rel_frobenius: m.rel_frobenius,
        fe_nmse: m.nmse,
        fe_rel_frobenius_unrefined: m.rel_frobenius,
        fe_nmse_unrefined: m.nmse,
        fe_stiffness_voigt: rows(fe.stiffness.voigt()),
        smallest_cell_size: Some(CellNeeds::of(&cell).smallest_cell_size(&spec.manufacturing)),
        refined: false,
    })
}

/// Designs, chooses, sizes, grades and verifies.
pub(super) fn prepare(
    spec: &Spec,
    fill: &GradedFill,
    timings: &mut Timings,
    warnings: &mut Vec<String>,
    stage: &dyn Fn(&str),
) -> Result<(Prepared, GradedReport), BuildError> {
    let t = Instant::now();
    let candidates = candidates(spec, fill, stage)?;
    timings.design = t.elapsed().as_secs_f64();

    stage("choose");
    let options: Vec<PointOptions> = fill
        .points
        .iter()
        .zip(&candidates)
        .map(|(p, list)| PointOptions {
            position: p.position,
            weight: p.weight,
            tolerance: p.tolerance,
            candidates: list
                .iter()
                .map(|c| (c.design.clone(), c.fe_rel_frobenius))
                .collect(),
        })
        .collect();
    let chosen = choose_designs(&options, fill.neighbours, fill.smoothness);

    // Cell size from the chosen designs and the manufacturing limits.
    let mut needs = Vec::with_capacity(fill.points.len());
    for (i, p) in fill.points.iter().enumerate() {
        let unit = candidates[i][chosen[i]].design.cell(RangePolicy::Strict)?;
        needs.push((p.id.as_str(), CellNeeds::of(&unit)));
    }
    let h = match spec.cell_size {
        CellSize::Fixed(h) => {
            for (id, need) in &needs {
                need.check(h, &spec.manufacturing, &format!(" at control point {id:?}"))?;
            }
            h
        }
        CellSize::Auto => needs
            .iter()
            .map(|(_, n)| n.smallest_cell_size(&spec.manufacturing))
            .fold(0.0, f64::max),
    };
    check_cell_size_fits(spec, fill, h)?;

    stage("grading");
    let t = Instant::now();
    let points: Vec<ControlPoint> = fill
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| ControlPoint {
            id: p.id.clone(),
            position: p.position,
            design: candidates[i][chosen[i]].design.clone(),
        })
        .collect();
    let grading_options = GradingOptions {
        neighbours: fill.neighbours,
        weight: fill.weight,
        min_strut_diameter: spec.manufacturing.min_strut_diameter,
        ..GradingOptions::default()
    };
    let graded = grade(&points, h, &spec.domain, &grading_options)?;
    timings.grading = t.elapsed().as_secs_f64();
    if graded.stats.components_removed > 0 {
        warnings.push(format!(
            "{} disconnected pieces ({} struts) were removed after grading and trimming",
            graded.stats.components_removed, graded.stats.component_struts_removed
        ));
    }
    if graded.stats.struts_below_minimum > 0 {
        warnings.push(format!(
            "{} blended strut pieces thinner than manufacturing.min_strut_diameter {} mm were dropped",
            graded.stats.struts_below_minimum, spec.manufacturing.min_strut_diameter
        ));
    }

    stage("verify");
    let t = Instant::now();
    let targets: Vec<Stiffness> = fill.points.iter().map(|p| p.target.clone()).collect();
    let verification = verify(
        &graded,
        &points,
        Some(&targets),
        &VerifyOptions {
            material: spec.material,
            fem: FemOptions::default(),
            samples_per_segment: fill.samples_per_segment,
        },
    )?;
    timings.verify = t.elapsed().as_secs_f64();
    if !verification.failed_samples.is_empty() {
        warnings.push(format!(
            "{} of the stiffness samples between control points could not be homogenized \
             (see graded.failed_samples): the cut-out cell is a mechanism there",
            verification.failed_samples.len()
        ));
    }

    let e = spec.material.youngs_modulus;
    let names = component_names();
    let mut reports = Vec::with_capacity(fill.points.len());
    for (i, (p, check)) in fill.points.iter().zip(&verification.points).enumerate() {
        let chosen_candidate = &candidates[i][chosen[i]];
        let unit = chosen_candidate.design.cell(RangePolicy::Strict)?;
        let need = CellNeeds::of(&unit);
        let graded_vs_target = check
            .vs_target
            .unwrap_or_else(|| ErrorMetrics::between(&p.target, &check.graded_stiffness));
        let within = p.tolerance.map(|t| graded_vs_target.rel_frobenius <= t);
        if within == Some(false) {
            warnings.push(format!(
                "control point {:?}: graded cell relative Frobenius error {:.3} (NMSE {:.3}) \
                 exceeds its tolerance {}",
                p.id,
                graded_vs_target.rel_frobenius,
                graded_vs_target.nmse,
                p.tolerance.unwrap_or_default()
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
            candidates: candidates[i]
                .iter()
                .map(|c| CandidateSummary {
                    design: c.design.clone(),
                    surrogate: c.surrogate_nmse.zip(c.surrogate_rel_frobenius).map(
                        |(nmse, rel_frobenius)| ErrorMetrics {
                            nmse,
                            rel_frobenius,
                        },
                    ),
                    fe_unrefined: ErrorMetrics {
                        nmse: c.fe_nmse_unrefined,
                        rel_frobenius: c.fe_rel_frobenius_unrefined,
                    },
                    fe: ErrorMetrics {
                        nmse: c.fe_nmse,
                        rel_frobenius: c.fe_rel_frobenius,
                    },
                    smallest_cell_size_mm: c.smallest_cell_size,
                    refined: c.refined,
                })
                .collect(),
            chosen: chosen[i],
            design: chosen_candidate.design.clone(),
            strut_diameter_mm: need.unit_diameter * h,
            smallest_pore_mm: need.unit_pore.map(|g| g * h),
            target_voigt_gpa: rows(&tg),
            design_voigt_gpa: rows(&dg),
            graded_voigt_gpa: rows(&gg),
            design_vs_target: ErrorMetrics::between(&p.target, &check.design_stiffness),
            graded_vs_target,
            graded_vs_design: check.vs_design,
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
    let report = GradedReport {
        method: match fill.method {
            DesignMethod::Network { .. } => "network".into(),
            DesignMethod::Lookup { .. } => "lookup".into(),
        },
        polish: match fill.method {
            DesignMethod::Network { polish, .. } => Some(polish),
            DesignMethod::Lookup { .. } => None,
        },
        smoothness: fill.smoothness,
        neighbours: fill.neighbours,
        control_points: reports,
        grading: graded.stats,
        segments: verification
            .segments
            .iter()
            .map(|s| SegmentReport {
                sample: s.clone(),
                voigt_gpa: rows(&s.stiffness.to_gpa(e)),
            })
            .collect(),
        max_step_change: verification.max_step_change,
        failed_samples: verification.failed_samples.clone(),
    };
    let stiffness = verification
        .points
        .iter()
        .zip(&fill.points)
        .map(|(c, p)| {
            (
                p.id.clone(),
                p.target.clone(),
                c.design_stiffness.clone(),
                c.graded_stiffness.clone(),
            )
        })
        .collect();
    Ok((
        Prepared {
            network: graded.network,
            cell_size: h,
            point_stiffness: stiffness,
            cell_stiffness: None,
        },
        report,
    ))
}

/// A cell size that leaves no whole cell in the domain, or is larger than the distance
/// between two control points (their cells could not both be reproduced), is an error.
fn check_cell_size_fits(spec: &Spec, fill: &GradedFill, h: f64) -> Result<(), BuildError> {
    check_fits_domain(&spec.domain, h)?;
    for (i, a) in fill.points.iter().enumerate() {
        for b in &fill.points[..i] {
            let d = (0..3)
                .map(|k| (a.position[k] - b.position[k]).powi(2))
                .sum::<f64>()
                .sqrt();
            if d < h {
                return Err(BuildError::CellSizeIncompatible {
                    cell_size: h,
                    reason: format!(
                        "control points {:?} and {:?} are {d:.3} mm apart, closer than one cell: \
                         both cells cannot be reproduced; move them at least {h:.3} mm apart or \
                         use a smaller cell_size",
                        b.id, a.id
                    ),
                });
            }
        }
    }
    Ok(())
}
