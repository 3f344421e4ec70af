//! What fills the domain: one design, or control points with measured stiffness (validated).

use std::path::{Path, PathBuf};

use nalgebra::Point3;

use super::raw::{RawControlPoint, RawDesignOptions, RawGrading, RawStiffness};
use super::{SpecError, find_line};
use crate::design_space::{Design, RangePolicy};
use crate::grading::WeightKind;
use crate::inverse::{DesignOptions, Reach, reach, reach_message};
use crate::learn::DeviceChoice;
use crate::mechanics::Stiffness;
use crate::network::Domain;

/// The cell size: a length in mm, or the smallest one the manufacturing limits allow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellSize {
    /// A fixed unit-cell edge, mm.
    Fixed(f64),
    /// `auto`: every length of a cell scales with its size, so the minimum strut diameter
    /// and the minimum pore size are both lower bounds on it; `auto` takes the smallest size
    /// that meets both at every control point (the finest grading the printer allows).
    Auto,
}

/// What fills the domain.
#[derive(Debug, Clone)]
pub enum Fill {
    /// One design tiled periodically.
    Uniform(Design),
    /// A lattice graded between control points.
    Graded(GradedFill),
}

/// A control point of a graded spec, validated.
#[derive(Debug, Clone)]
pub struct ControlPointSpec {
    /// Unique name.
    pub id: String,
    /// Position, mm (inside the domain).
    pub position: [f64; 3],
    /// Target stiffness, normalized by the base material's E.
    pub target: Stiffness,
    /// Importance of accuracy against smoothness (> 0, default 1).
    pub weight: f64,
    /// Largest acceptable relative Frobenius error of the graded cell against the target, if
    /// given.
    pub tolerance: Option<f64>,
    /// A fixed design instead of inverse design.
    pub design: Option<Design>,
}

/// How designs are proposed for the control points.
#[derive(Debug, Clone, PartialEq)]
pub enum DesignMethod {
    /// The trained inverse networks in this folder.
    Network {
        /// The models folder.
        models: PathBuf,
        /// Where the networks run.
        device: DeviceChoice,
        /// Topologies whose best design is polished through F (0: none).
        polish: usize,
    },
    /// The nearest rows of this dataset CSV.
    Lookup {
        /// The dataset.
        data: PathBuf,
    },
}

/// Inverse-design and interpolation settings of a graded spec.
#[derive(Debug, Clone)]
pub struct GradedFill {
    /// The control points, in spec order.
    pub points: Vec<ControlPointSpec>,
    /// The proposer.
    pub method: DesignMethod,
    /// Sampling, top-k, refinement and seed.
    pub design: DesignOptions,
    /// Nearest control points blended at a position.
    pub neighbours: usize,
    /// Inverse-distance weights.
    pub weight: WeightKind,
    /// NMSE a candidate may cost per unit of cell-shape distance to its neighbours.
    pub smoothness: f64,
    /// Stiffness samples per segment between neighbouring points.
    pub samples_per_segment: usize,
    /// Cells kept unblended around each point's own cell.
    pub core_cells: usize,
    /// Free cell layers between cores.
    pub transition_cells: usize,
    /// Relative Frobenius error a candidate may cost per e-fold of smaller cell.
    pub cell_size_weight: f64,
    /// Most closed-loop corrections.
    pub max_corrections: usize,
}

/// The folder of the models shipped with this source tree (`<crate>/models`), used when a
/// spec names none and `./models` does not exist.
pub fn default_models_dir() -> PathBuf {
    let local = PathBuf::from("models");
    if local.join("inverse.json").exists() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
    }
}

/// Validation context: the spec file, its text (for line numbers) and the unit factors.
pub(super) struct Context<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    /// Length unit → mm.
    pub length: f64,
    /// Stiffness unit → GPa.
    pub stiffness: f64,
    /// Base material E, GPa.
    pub youngs_modulus: f64,
}

impl Context<'_> {
    fn invalid(&self, field: &str, line: Option<usize>, value: String, allowed: &str) -> SpecError {
        SpecError::Invalid {
            path: self.path.to_path_buf(),
            line,
            field: field.to_string(),
            value,
            allowed: allowed.to_string(),
        }
    }

    fn relative(&self, file: &str) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(file)
    }
}

/// The 1-based lines of the `id:` entries naming control point `id`, in file order.
fn point_lines(text: &str, id: &str) -> Vec<usize> {
    let Some(start) = find_line(text, "control_points") else {
        return Vec::new();
    };
    let lines = text.lines().enumerate().skip(start - 1);
    lines
        .filter_map(|(i, l)| {
            let l = l.split('#').next().unwrap_or("");
            let rest = l.split("id:").nth(1)?;
            let value = rest
                .split([',', '}'])
                .next()?
                .trim()
                .trim_matches(['"', '\'']);
            (value == id).then_some(i + 1)
        })
        .collect()
}

/// Validates the control points and the design and grading options.
pub(super) fn graded(
    cx: &Context,
    raw_points: &[RawControlPoint],
    options: Option<&RawDesignOptions>,
    grading: Option<&RawGrading>,
    domain: &Domain,
) -> Result<GradedFill, SpecError> {
    if raw_points.is_empty() {
        return Err(cx.invalid(
            "control_points",
            find_line(cx.text, "control_points"),
            "[]".into(),
            "at least one control point",
        ));
    }
    let mut points: Vec<ControlPointSpec> = Vec::with_capacity(raw_points.len());
    for (i, raw) in raw_points.iter().enumerate() {
        points.push(control_point(cx, i, raw, domain, &points)?);
    }
    let defaults = RawDesignOptions::default();
    let o = options.unwrap_or(&defaults);
    let method = match o.method.as_str() {
        "network" => DesignMethod::Network {
            models: o
                .models
                .as_deref()
                .map_or_else(default_models_dir, |m| cx.relative(m)),
            device: o.device,
            polish: o.polish,
        },
        "lookup" => match &o.lookup_data {
            Some(data) => DesignMethod::Lookup {
                data: cx.relative(data),
            },
            None => {
                return Err(cx.invalid(
                    "design_options.lookup_data",
                    find_line(cx.text, "design_options.method"),
                    "(missing)".into(),
                    "a dataset CSV (relative to the spec) for method lookup",
                ));
            }
        },
        other => {
            return Err(cx.invalid(
                "design_options.method",
                find_line(cx.text, "design_options.method"),
                format!("{other:?}"),
                "network or lookup",
            ));
        }
    };
    let count = |field: &str, v: usize, lo: usize, hi: usize| {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(cx.invalid(
                &format!("design_options.{field}"),
                find_line(cx.text, &format!("design_options.{field}")),
                v.to_string(),
                &format!("an integer in [{lo}, {hi}]"),
            ))
        }
    };
    let samples = count("samples", o.samples, 1, 1_000_000)?;
    count("polish", o.polish, 0, 1024)?;
    let top = count("top", o.top, 1, 64)?;
    let refine_evaluations = count("refine_evaluations", o.refine_evaluations, 1, 100_000)?;
    if !(o.temperature.is_finite() && o.temperature > 0.0) {
        return Err(cx.invalid(
            "design_options.temperature",
            find_line(cx.text, "design_options.temperature"),
            o.temperature.to_string(),
            "a finite number > 0",
        ));
    }
    let design = DesignOptions {
        samples,
        temperature: o.temperature,
        top,
        refine: o.refine,
        refine_evaluations,
        seed: o.seed,
        ..DesignOptions::default()
    };
    let gdefaults = RawGrading::default();
    let g = grading.unwrap_or(&gdefaults);
    if !(1..=64).contains(&g.neighbours) {
        return Err(cx.invalid(
            "grading.neighbours",
            find_line(cx.text, "grading.neighbours"),
            g.neighbours.to_string(),
            "an integer in [1, 64]",
        ));
    }
    if !(g.power.is_finite() && g.power > 0.0) {
        return Err(cx.invalid(
            "grading.power",
            find_line(cx.text, "grading.power"),
            g.power.to_string(),
            "a finite number > 0 (2 is usual)",
        ));
    }
    if !(g.smoothness.is_finite() && g.smoothness >= 0.0) {
        return Err(cx.invalid(
            "grading.smoothness",
            find_line(cx.text, "grading.smoothness"),
            g.smoothness.to_string(),
            "a finite number >= 0",
        ));
    }
    if g.samples_per_segment > 1000 {
        return Err(cx.invalid(
            "grading.samples_per_segment",
            find_line(cx.text, "grading.samples_per_segment"),
            g.samples_per_segment.to_string(),
            "an integer in [0, 1000]",
        ));
    }
    for (field, value, max) in [
        ("grading.core_cells", g.core_cells, 10),
        ("grading.max_corrections", g.max_corrections, 10),
    ] {
        if value > max {
            return Err(cx.invalid(
                field,
                find_line(cx.text, field),
                value.to_string(),
                &format!("an integer in [0, {max}]"),
            ));
        }
    }
    if !(1..=10).contains(&g.transition_cells) {
        return Err(cx.invalid(
            "grading.transition_cells",
            find_line(cx.text, "grading.transition_cells"),
            g.transition_cells.to_string(),
            "an integer in [1, 10]",
        ));
    }
    if !(g.cell_size_weight.is_finite() && g.cell_size_weight >= 0.0) {
        return Err(cx.invalid(
            "grading.cell_size_weight",
            find_line(cx.text, "grading.cell_size_weight"),
            g.cell_size_weight.to_string(),
            "a finite number >= 0",
        ));
    }
    if !(g.tolerance.is_finite() && g.tolerance > 0.0) {
        return Err(cx.invalid(
            "grading.tolerance",
            find_line(cx.text, "grading.tolerance"),
            g.tolerance.to_string(),
            "a finite number > 0 (a relative Frobenius error, e.g. 0.1)",
        ));
    }
    for p in &mut points {
        p.tolerance.get_or_insert(g.tolerance);
    }
    Ok(GradedFill {
        points,
        method,
        design,
        neighbours: g.neighbours,
        weight: WeightKind::InverseDistance { power: g.power },
        smoothness: g.smoothness,
        samples_per_segment: g.samples_per_segment,
        core_cells: g.core_cells,
        transition_cells: g.transition_cells,
        cell_size_weight: g.cell_size_weight,
        max_corrections: g.max_corrections,
    })
}

/// Longest control-point id, characters (ids name files, table rows and messages).
pub(super) const MAX_ID_CHARS: usize = 100;

fn control_point(
    cx: &Context,
    index: usize,
    raw: &RawControlPoint,
    domain: &Domain,
    earlier: &[ControlPointSpec],
) -> Result<ControlPointSpec, SpecError> {
    let id = raw.id.trim();
    let lines = point_lines(cx.text, id);
    let line = lines.first().copied();
    if id.is_empty() {
        return Err(cx.invalid(
            &format!("control_points[{index}].id"),
            find_line(cx.text, "control_points"),
            format!("{:?}", raw.id),
            "a non-empty name",
        ));
    }
    if id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        let shown: String = id.chars().take(40).collect::<String>();
        return Err(cx.invalid(
            &format!("control_points[{index}].id"),
            line,
            format!(
                "{shown:?}{}",
                if id.chars().count() > 40 { "…" } else { "" }
            ),
            "a name of at most 100 characters without control characters (newlines, tabs)",
        ));
    }
    let field = |name: &str| format!("control_points[{id}].{name}");
    if earlier.iter().any(|p| p.id == id) {
        return Err(SpecError::DuplicateControlPoint {
            path: cx.path.to_path_buf(),
            line: lines.get(1).copied(),
            id: id.to_string(),
        });
    }
    if let Some(i) = raw.position.iter().position(|x| !x.is_finite()) {
        return Err(cx.invalid(
            &field(&format!("position[{i}]")),
            line,
            raw.position[i].to_string(),
            "a finite number",
        ));
    }
    let position = raw.position.map(|x| x * cx.length);
    if !domain.contains(&Point3::from(position)) {
        let (lo, hi) = domain.bounding_box();
        let xyz = |p: [f64; 3]| format!("({:.3}, {:.3}, {:.3})", p[0], p[1], p[2]);
        return Err(SpecError::OutsideDomain {
            path: cx.path.to_path_buf(),
            line,
            id: id.to_string(),
            position: xyz(position),
            bounds: format!("{}..{}", xyz(lo), xyz(hi)),
        });
    }
    if let Some(p) = earlier.iter().find(|p| p.position == position) {
        return Err(cx.invalid(
            &field("position"),
            line,
            format!("{:?}", raw.position),
            &format!("a position distinct from control point {:?}", p.id),
        ));
    }
    let parsed = match &raw.stiffness {
        RawStiffness::Values(v) => {
            Stiffness::try_from_values(&v.iter().map(|x| x * cx.stiffness).collect::<Vec<_>>())
        }
        RawStiffness::Rows(rows) => Stiffness::try_from_rows(
            &rows
                .iter()
                .map(|r| r.iter().map(|x| x * cx.stiffness).collect())
                .collect::<Vec<_>>(),
        ),
    };
    let gpa = parsed.map_err(|source| SpecError::Stiffness {
        path: cx.path.to_path_buf(),
        line,
        id: id.to_string(),
        source: Box::new(source),
    })?;
    let target = gpa.scaled(1.0 / cx.youngs_modulus);
    if reach(&target) != Reach::Reachable {
        return Err(SpecError::Unreachable {
            path: cx.path.to_path_buf(),
            line: lines.get(1).copied(),
            id: id.to_string(),
            message: reach_message(&target, cx.youngs_modulus).unwrap_or_default(),
        });
    }
    let weight = raw.weight.unwrap_or(1.0);
    if !(weight.is_finite() && weight > 0.0) {
        return Err(cx.invalid(
            &field("weight"),
            line,
            weight.to_string(),
            "a finite number > 0",
        ));
    }
    if let Some(t) = raw.tolerance
        && !(t.is_finite() && t > 0.0)
    {
        return Err(cx.invalid(
            &field("tolerance"),
            line,
            t.to_string(),
            "a finite relative Frobenius error > 0 (e.g. 0.1)",
        ));
    }
    if let Some(d) = &raw.design {
        d.validate(RangePolicy::Strict).map_err(|e| {
            cx.invalid(
                &field("design"),
                line,
                e.to_string(),
                "a design inside the design space",
            )
        })?;
    }
    Ok(ControlPointSpec {
        id: id.to_string(),
        position,
        target,
        weight,
        tolerance: raw.tolerance,
        design: raw.design.clone(),
    })
}
