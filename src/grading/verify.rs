//! Step 5: verification — re-homogenize the graded cells.
//!
//! [`graded_cell`] cuts one scaffold cell out of the graded lattice as a [`PeriodicCell`]: its
//! superposed content (the same pieces the network was built from) becomes a periodic graph
//! (a piece on one face and its copy on the opposite face are one periodic strut), node orbits
//! are placed by the cell's trilinear map, the lattice vectors are the cell's mean edge vectors
//! (mm), and each strut gets the area-equivalent diameter `√((d_a² + d_b²)/2)` of its blended end
//! diameters (same rule as the network, so struts below the minimum are absent). Dangling struts
//! and stray components are removed so the frame can be homogenized. For a cell that is not a
//! parallelepiped this is an approximation (the periodic repetition of a distorted cell).
//!
//! [`verify`] does it for the cell containing each control point and compares the FE stiffness
//! with the FE stiffness of the point's own design (and an optional target), and samples the
//! stiffness along the segments between neighbouring control points.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use nalgebra::Point3;
use serde::Serialize;

use super::align::canonical;
use super::blend::{
    NodeField, blended_diameter, carried_points, dominant, piece_diameters, superpose,
};
use super::window::{MAX_WINDOW_HALF_CELLS, graded_window};
use super::{CheckSite, ControlPoint, GradedLattice, GradingError};
use crate::design_space::{CellNodeId, Material, PeriodicCell, PeriodicStrut, RangePolicy};
use crate::fem::{FemOptions, Homogenizer};
use crate::geom::exact::RatPoint;
use crate::mechanics::{ErrorMetrics, Stiffness};

/// Verification options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerifyOptions {
    /// Base material (only ν matters: stiffness is normalized by E). Default Ti-6Al-4V.
    pub material: Material,
    /// Homogenizer options. Default [`FemOptions::default`].
    pub fem: FemOptions,
    /// Samples along each segment between neighbouring control points, ends included
    /// (0 = no segment sampling). Default 5.
    pub samples_per_segment: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            material: Material::TI6AL4V,
            fem: FemOptions::default(),
            samples_per_segment: 5,
        }
    }
}

/// The check of one control point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlPointCheck {
    /// The control point.
    pub id: String,
    /// The scaffold cell containing it.
    pub cell: [i64; 3],
    /// `‖L − A_i‖_F / ‖A_i‖_F`: the cell's mean edges `L` against the point's aligned cell.
    pub lattice_error: f64,
    /// Relative density of the graded cell (slender-beam estimate).
    pub relative_density: f64,
    /// FE stiffness of the point's own design (normalized by E).
    #[serde(skip)]
    pub design_stiffness: Stiffness,
    /// FE stiffness of the graded cell (normalized by E).
    #[serde(skip)]
    pub graded_stiffness: Stiffness,
    /// Graded against design.
    pub vs_design: ErrorMetrics,
    /// Graded against the target, if one was given.
    pub vs_target: Option<ErrorMetrics>,
    /// The window of the built network around the point ([`super::graded_window`]), if one
    /// could be homogenized: the honest figure.
    pub window: Option<WindowCheck>,
    /// Why no window (or only a smaller one than the core) could be homogenized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_note: Option<String>,
}

impl ControlPointCheck {
    /// The error that decides whether the point holds its tolerance: the window of the built
    /// network against the target when one could be homogenized, else the cut-out cell's;
    /// `None` without a target.
    pub fn built_error(&self) -> Option<ErrorMetrics> {
        self.window
            .as_ref()
            .and_then(|w| w.vs_target)
            .or(self.vs_target)
    }
}

/// The homogenized window of the built network around a control point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowCheck {
    /// Cells per side (`2m + 1`).
    pub cells_per_side: usize,
    /// Periodic struts in the window.
    pub struts: usize,
    /// Relative density of the window (slender-beam estimate).
    pub relative_density: f64,
    /// FE stiffness of the window (normalized by E).
    #[serde(skip)]
    pub stiffness: Stiffness,
    /// Window against the point's design.
    pub vs_design: ErrorMetrics,
    /// Window against the target, if one was given.
    pub vs_target: Option<ErrorMetrics>,
}

/// One stiffness sample on the segment between two neighbouring control points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentSample {
    /// Start control point.
    pub from: String,
    /// End control point.
    pub to: String,
    /// Fraction of the way, in [0, 1].
    pub t: f64,
    /// Position, mm.
    pub position: [f64; 3],
    /// The scaffold cell homogenized.
    pub cell: [i64; 3],
    /// Its FE stiffness (normalized by E).
    #[serde(skip)]
    pub stiffness: Stiffness,
    /// Relative Frobenius change from the previous sample on the segment (0 for the first).
    pub step_change: f64,
}

/// A segment sample whose graded cell could not be homogenized (e.g. a cell whose cut-out
/// periodic approximation is a mechanism where thin struts were dropped).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedSample {
    /// Which sample (`from→to t=…`).
    pub what: CheckSite,
    /// Position, mm.
    pub position: [f64; 3],
    /// Why (written to reports as the message with its causes).
    #[serde(rename = "message", serialize_with = "serialize_error_chain")]
    pub cause: GradingError,
}

/// Writes an error as `message: cause: cause…` ([`crate::error_text::one_line`]).
fn serialize_error_chain<S: serde::Serializer>(
    error: &GradingError,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::error_text::one_line(error))
}

/// The verification report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// One check per control point, in input order.
    pub points: Vec<ControlPointCheck>,
    /// The segment samples.
    pub segments: Vec<SegmentSample>,
    /// The largest `step_change` over all segments.
    pub max_step_change: f64,
    /// Segment samples that could not be homogenized (skipped; the next sample's step change
    /// is measured from the last good one).
    pub failed_samples: Vec<FailedSample>,
}

/// A periodic strut of a graded cell by its translation class (canonical end points), with
/// its diameter (mm).
type ClassStrut = ((RatPoint, RatPoint), f64);

/// The struts of the graded cell `cell` by translation class (first copy wins), with the
/// diameter rule of the blended network (mm).
#[track_caller]
fn strut_classes(
    graded: &GradedLattice,
    cell: [i64; 3],
) -> Result<BTreeMap<(RatPoint, RatPoint), f64>, GradingError> {
    let corners = graded.scaffold.cell_corners(cell);
    let carried = carried_points(&graded.field, &graded.aligned, &corners, &graded.options);
    let content = superpose(&graded.aligned, &carried);
    let dmin = graded.options.min_strut_diameter;
    let field = &graded.field;
    let mut cache: BTreeMap<RatPoint, NodeField> = BTreeMap::new();
    let mut end_diameter = |x: RatPoint, sources: &[u32]| -> Result<(f64, bool), GradingError> {
        let (w, a) = match cache.entry(x) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let p: [f64; 3] = graded.scaffold.map(cell, x.local_units([0; 3])).into();
                let w = field.weights(p);
                let a = field.lattice_with(p, &w)?;
                v.insert((w, a))
            }
        };
        let d = blended_diameter(&graded.aligned, w, a, sources);
        Ok((d, dominant(w).is_some_and(|i| sources.contains(&i))))
    };
    let mut classes: BTreeMap<(RatPoint, RatPoint), f64> = BTreeMap::new();
    for piece in &content.pieces {
        let (a, b) = (piece.line.start(), piece.line.end());
        let key = canonical(a, b);
        if classes.contains_key(&key) {
            continue;
        }
        let ((da, dom_a), (db, dom_b)) = (
            end_diameter(a, &piece.sources)?,
            end_diameter(b, &piece.sources)?,
        );
        let Some([da, db]) = piece_diameters([da, db], dom_a || dom_b, dmin) else {
            continue;
        };
        classes.insert(key, ((da * da + db * db) / 2.0).sqrt());
    }
    Ok(classes)
}

/// Removes struts with an end of valence 1 until none is left.
fn prune_dangling(struts: &mut Vec<ClassStrut>) {
    loop {
        let mut valence: BTreeMap<RatPoint, usize> = BTreeMap::new();
        for ((p, q), _) in struts.iter() {
            *valence.entry(*p).or_default() += 1;
            *valence.entry(q.wrapped().0).or_default() += 1;
        }
        let before = struts.len();
        struts.retain(|((p, q), _)| valence[p] > 1 && valence[&q.wrapped().0] > 1);
        if struts.len() == before {
            break;
        }
    }
}

/// The root of `x` in the union-find forest `parent` (with path halving).
fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Keeps the struts of the largest connected component (ties to the component of the
/// smallest node).
///
/// # Errors
/// [`GradingError::EmptyCell`] when there is no strut.
fn keep_largest_component(
    struts: &mut Vec<ClassStrut>,
    cell: [i64; 3],
) -> Result<(), GradingError> {
    let mut ids: BTreeMap<RatPoint, u32> = BTreeMap::new();
    for ((p, q), _) in struts.iter() {
        ids.entry(*p).or_insert(0);
        ids.entry(q.wrapped().0).or_insert(0);
    }
    for (i, v) in ids.values_mut().enumerate() {
        *v = i as u32;
    }
    let n = ids.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for ((p, q), _) in struts.iter() {
        let (a, b) = (ids[p] as usize, ids[&q.wrapped().0] as usize);
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut count: BTreeMap<usize, usize> = BTreeMap::new();
    for ((p, _), _) in struts.iter() {
        let r = find(&mut parent, ids[p] as usize);
        *count.entry(r).or_default() += 1;
    }
    let Some(best) = count
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(r, _)| *r)
    else {
        return Err(GradingError::EmptyCell {
            what: CheckSite::Cell(cell),
            cell,
        });
    };
    struts.retain(|((p, _), _)| find(&mut parent, ids[p] as usize) == best);
    Ok(())
}

/// The struts as a periodic cell of the scaffold cell `cell` (nodes renumbered in order,
/// positions in mm).
///
/// # Errors
/// [`GradingError::EmptyCell`] when no strut is left, [`GradingError::InvalidCell`] when the
/// struts make no valid periodic cell.
fn periodic_cell(
    graded: &GradedLattice,
    cell: [i64; 3],
    struts: &[ClassStrut],
) -> Result<PeriodicCell, GradingError> {
    // Renumber the kept nodes.
    let mut kept: BTreeMap<RatPoint, u32> = BTreeMap::new();
    for ((p, q), _) in struts {
        kept.entry(*p).or_insert(0);
        kept.entry(q.wrapped().0).or_insert(0);
    }
    for (i, v) in kept.values_mut().enumerate() {
        *v = i as u32;
    }
    let nodes: Vec<Point3<f64>> = kept
        .keys()
        .map(|x| graded.scaffold.map(cell, x.local_units([0; 3])))
        .collect();
    let periodic: Vec<PeriodicStrut> = struts
        .iter()
        .map(|((p, q), d)| {
            let (qw, off) = q.wrapped();
            PeriodicStrut {
                a: CellNodeId(kept[p]),
                b: CellNodeId(kept[&qw]),
                offset: off.map(|v| v as i32),
                diameter: *d,
            }
        })
        .collect();
    if periodic.is_empty() {
        return Err(GradingError::EmptyCell {
            what: CheckSite::Cell(cell),
            cell,
        });
    }
    PeriodicCell::try_new(graded.scaffold.mean_edges(cell), nodes, periodic).map_err(|source| {
        GradingError::InvalidCell {
            cell,
            source: Box::new(source),
        }
    })
}

/// The graded cell `cell` as a periodic cell in mm (see the module docs).
///
/// # Errors
/// [`GradingError::EmptyCell`] if no strut survives; a field error if the field is degenerate
/// there.
///
/// # Panics
/// If the cell is not in the scaffold.
#[track_caller]
pub fn graded_cell(graded: &GradedLattice, cell: [i64; 3]) -> Result<PeriodicCell, GradingError> {
    let mut struts: Vec<ClassStrut> = strut_classes(graded, cell)?.into_iter().collect();
    prune_dangling(&mut struts);
    keep_largest_component(&mut struts, cell)?;
    periodic_cell(graded, cell, &struts)
}

/// The verification's state: the graded lattice, the options, and the graded cells
/// homogenized so far.
struct Verifier<'a> {
    graded: &'a GradedLattice,
    options: &'a VerifyOptions,
    fem: Homogenizer,
    memo: BTreeMap<[i64; 3], (Stiffness, f64)>,
}

impl Verifier<'_> {
    /// The FE stiffness (normalized by E) and relative density of the graded cell `cell`
    /// (homogenized once); `what` names the check in errors.
    fn stiffness_of(
        &mut self,
        cell: [i64; 3],
        what: CheckSite,
    ) -> Result<(Stiffness, f64), GradingError> {
        if let Some(s) = self.memo.get(&cell) {
            return Ok(s.clone());
        }
        let pc = graded_cell(self.graded, cell)?;
        let h = self
            .fem
            .homogenize(&pc, &self.options.material)
            .map_err(|source| GradingError::Fem {
                what,
                cell,
                source: Box::new(source),
            })?;
        let out = (h.stiffness, pc.relative_density());
        self.memo.insert(cell, out.clone());
        Ok(out)
    }

    /// The scaffold cell holding `x` (mm); `id` names the check in errors.
    fn locate(&self, id: &str, x: [f64; 3]) -> Result<[i64; 3], GradingError> {
        self.graded
            .scaffold
            .locate(x)
            .map(|(c, _)| c)
            .ok_or_else(|| GradingError::OutsideScaffold {
                id: id.into(),
                position: x,
            })
    }

    /// The check of control point `i` (`p`): its graded cell, its design cell and its window
    /// against the design and, if given, the target.
    fn check_point(
        &mut self,
        i: usize,
        p: &ControlPoint,
        target: Option<&Stiffness>,
        window_fem: &mut Homogenizer,
    ) -> Result<ControlPointCheck, GradingError> {
        let (graded, options) = (self.graded, self.options);
        let cell = self.locate(&p.id, p.position)?;
        let (graded_c, rho) = self.stiffness_of(cell, CheckSite::ControlPoint(p.id.clone()))?;
        let design_cell =
            p.design
                .cell(RangePolicy::Strict)
                .map_err(|source| GradingError::Design {
                    id: p.id.clone(),
                    source: Box::new(source),
                })?;
        let design_c = Homogenizer::new(options.fem)
            .homogenize(&design_cell, &options.material)
            .map_err(|source| GradingError::Fem {
                what: CheckSite::DesignOf(p.id.clone()),
                cell,
                source: Box::new(source),
            })?
            .stiffness;
        let a = graded.aligned[i].lattice;
        let lattice_error = (graded.scaffold.mean_edges(cell) - a).norm() / a.norm();
        let (window, window_note) = window_check(graded, i, window_fem, options);
        let window = window.map(|(cells_per_side, pc, c)| WindowCheck {
            cells_per_side,
            struts: pc.struts().len(),
            relative_density: pc.relative_density(),
            vs_design: ErrorMetrics::between(&design_c, &c),
            vs_target: target.map(|t| ErrorMetrics::between(t, &c)),
            stiffness: c,
        });
        Ok(ControlPointCheck {
            id: p.id.clone(),
            cell,
            lattice_error,
            relative_density: rho,
            vs_design: ErrorMetrics::between(&design_c, &graded_c),
            vs_target: target.map(|t| ErrorMetrics::between(t, &graded_c)),
            design_stiffness: design_c.clone(),
            graded_stiffness: graded_c,
            window,
            window_note,
        })
    }

    /// Samples the segment from point `from` to point `to` (`samples_per_segment` evenly spaced
    /// samples) into `report`.
    fn sample_segment(
        &mut self,
        from: &ControlPoint,
        to: &ControlPoint,
        report: &mut Verification,
    ) -> Result<(), GradingError> {
        let (a, b) = (Point3::from(from.position), Point3::from(to.position));
        let mut prev: Option<Stiffness> = None;
        let n = self.options.samples_per_segment;
        for s in 0..n {
            let t = s as f64 / (n - 1) as f64;
            let x: [f64; 3] = (a + (b - a) * t).into();
            let what = CheckSite::SegmentSample {
                from: from.id.clone(),
                to: to.id.clone(),
                t,
            };
            let cell = self.locate(&what.to_string(), x)?;
            let (c, _) = match self.stiffness_of(cell, what.clone()) {
                Ok(c) => c,
                Err(cause) => {
                    report.failed_samples.push(FailedSample {
                        what,
                        position: x,
                        cause,
                    });
                    continue;
                }
            };
            let step = prev.as_ref().map_or(0.0, |p| {
                crate::mechanics::relative_frobenius(p.voigt(), c.voigt())
            });
            report.max_step_change = report.max_step_change.max(step);
            report.segments.push(SegmentSample {
                from: from.id.clone(),
                to: to.id.clone(),
                t,
                position: x,
                cell,
                stiffness: c.clone(),
                step_change: step,
            });
            prev = Some(c);
        }
        Ok(())
    }
}

/// Verifies a graded lattice: see the module docs. `points` are the control points it was
/// graded from (same order); `targets`, if given, one target stiffness per point (normalized
/// by E).
///
/// # Errors
/// [`GradingError::OutsideScaffold`], [`GradingError::Fem`], [`GradingError::EmptyCell`] or a
/// design error.
///
/// # Panics
/// If `points` or `targets` do not match the graded lattice's control points.
#[track_caller]
pub fn verify(
    graded: &GradedLattice,
    points: &[ControlPoint],
    targets: Option<&[Stiffness]>,
    options: &VerifyOptions,
) -> Result<Verification, GradingError> {
    assert_eq!(
        points.len(),
        graded.field.len(),
        "one entry per control point"
    );
    if let Some(t) = targets {
        assert_eq!(t.len(), points.len(), "one target per control point");
    }
    let mut verifier = Verifier {
        graded,
        options,
        fem: Homogenizer::new(options.fem),
        memo: BTreeMap::new(),
    };
    let mut window_fem = Homogenizer::new(options.fem);
    let mut report = Verification {
        points: Vec::with_capacity(points.len()),
        segments: Vec::new(),
        max_step_change: 0.0,
        failed_samples: Vec::new(),
    };
    for (i, p) in points.iter().enumerate() {
        let target = targets.map(|t| &t[i]);
        let check = verifier.check_point(i, p, target, &mut window_fem)?;
        report.points.push(check);
    }
    let k = graded.options.neighbours;
    if options.samples_per_segment >= 2 {
        for i in 0..points.len() {
            for j in graded.field.nearest(points[i].position, k + 1) {
                if j <= i {
                    continue;
                }
                verifier.sample_segment(&points[i], &points[j], &mut report)?;
            }
        }
    }
    Ok(report)
}

/// The largest window (half-width `min(k, MAX_WINDOW_HALF_CELLS)` down to 0) around point `i`
/// that is periodic and homogenizes, with a note on any larger one that was not.
#[allow(clippy::type_complexity)]
fn window_check(
    graded: &GradedLattice,
    i: usize,
    fem: &mut Homogenizer,
    options: &VerifyOptions,
) -> (Option<(usize, PeriodicCell, Stiffness)>, Option<String>) {
    let Some(k) = graded.cores.get(i).and_then(|c| c.half_cells) else {
        return (
            None,
            Some("no core at this point (too close to another, or grading without cores)".into()),
        );
    };
    let mut notes = Vec::new();
    for half in (0..=k.min(MAX_WINDOW_HALF_CELLS)).rev() {
        let n = 2 * half + 1;
        let outcome = graded_window(graded, i, half)
            .map_err(|e| e.to_string())
            .and_then(|pc| {
                fem.homogenize(&pc, &options.material)
                    .map(|h| (n, pc, h.stiffness))
                    .map_err(|e| format!("the {n}×{n}×{n} window does not homogenize: {e}"))
            });
        match outcome {
            Ok(found) => {
                return (Some(found), (!notes.is_empty()).then(|| notes.join("; ")));
            }
            Err(e) => notes.push(e),
        }
    }
    (None, Some(notes.join("; ")))
}
