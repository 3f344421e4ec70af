//! What fills the domain: one design, or control points with measured stiffness (validated).

use std::path::{Path, PathBuf};

use nalgebra::Point3;

use super::raw::{RawControlPoint, RawDesignOptions, RawGrading, RawStiffness};
use super::{SpecError, SpecFile, find_line};
use crate::design_space::{Design, RangePolicy};
use crate::grading::WeightKind;
use crate::inverse::{DesignOptions, Reach, reach};
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
    /// Relative Frobenius error a candidate may cost per unit of cell distance to its
    /// neighbours (`λ` of the design choice).
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

/// The environment variable naming the models folder when neither a spec nor a command does.
pub const MODELS_ENV: &str = "TRUSSFORGE_MODELS";

/// The models folder of the network method, the first of:
/// 1. `explicit` (a spec's `design_options.models`, resolved against the spec file's folder,
///    or a command's `--models` flag);
/// 2. the folder named by the environment variable [`MODELS_ENV`];
/// 3. `models/` in the working directory, if it holds trained models (`inverse.json`): the
///    shipped models when trussforge runs from the repository root, e.g.
///    `cargo run --release -- build specs/shaft-spacer.yaml`;
/// 4. `models/` in the folder of the running executable or one of its three parents (an
///    installed copy beside its models, or `target/release/trussforge` in the repository),
///    found at run time;
/// 5. else `models/` in the working directory, whose absence the loader then reports.
///
/// No path of the build machine is built into the binary.
pub fn models_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os(MODELS_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("models");
    let holds_models = |dir: &Path| dir.join("inverse.json").is_file();
    if holds_models(&local) {
        return local;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .skip(1)
                .take(4)
                .map(|dir| dir.join("models"))
                .find(|dir| holds_models(dir))
        })
        .unwrap_or(local)
}

/// The unit factors and base material a graded spec's values are converted with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Units {
    /// Length unit → mm.
    pub length: f64,
    /// Stiffness unit → GPa.
    pub stiffness: f64,
    /// Base material E, GPa.
    pub youngs_modulus: f64,
}

/// The 1-based lines of the `id:` entries naming control point `id`, in file order.
pub(super) fn point_lines(text: &str, id: &str) -> Vec<usize> {
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
    file: &SpecFile,
    units: Units,
    raw_points: &[RawControlPoint],
    options: Option<&RawDesignOptions>,
    grading: Option<&RawGrading>,
    domain: &Domain,
) -> Result<GradedFill, SpecError> {
    if raw_points.is_empty() {
        return Err(file.invalid_at(
            "control_points",
            find_line(file.text, "control_points"),
            "[]".into(),
            "at least one control point",
        ));
    }
    let mut points: Vec<ControlPointSpec> = Vec::with_capacity(raw_points.len());
    for (i, raw) in raw_points.iter().enumerate() {
        points.push(control_point(file, units, i, raw, domain, &points)?);
    }
    let defaults = RawDesignOptions::default();
    let o = options.unwrap_or(&defaults);
    let method = design_method(file, o)?;
    let design = design_options(file, o)?;
    let gdefaults = RawGrading::default();
    let g = grading.unwrap_or(&gdefaults);
    check_grading(file, g)?;
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

/// The proposer of `design_options.method`, with its files resolved against the spec.
fn design_method(file: &SpecFile, o: &RawDesignOptions) -> Result<DesignMethod, SpecError> {
    match o.method.as_str() {
        "network" => Ok(DesignMethod::Network {
            models: models_dir(o.models.as_deref().map(|m| file.relative(m)).as_deref()),
            device: o.device,
            polish: o.polish,
        }),
        "lookup" => match &o.lookup_data {
            Some(data) => Ok(DesignMethod::Lookup {
                data: file.relative(data),
            }),
            None => Err(file.invalid_at(
                "design_options.lookup_data",
                find_line(file.text, "design_options.method"),
                "(missing)".into(),
                "a dataset CSV (relative to the spec) for method lookup",
            )),
        },
        other => Err(file.invalid_at(
            "design_options.method",
            find_line(file.text, "design_options.method"),
            format!("{other:?}"),
            "network or lookup",
        )),
    }
}

/// The sampling, top-k, refinement and seed settings of `design_options`, in their ranges.
fn design_options(file: &SpecFile, o: &RawDesignOptions) -> Result<DesignOptions, SpecError> {
    let count = |field: &str, v: usize, lo: usize, hi: usize| {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            let field = format!("design_options.{field}");
            Err(file.invalid_at(
                &field,
                find_line(file.text, &field),
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
        return Err(file.invalid_at(
            "design_options.temperature",
            find_line(file.text, "design_options.temperature"),
            o.temperature.to_string(),
            "a finite number > 0",
        ));
    }
    Ok(DesignOptions {
        samples,
        temperature: o.temperature,
        top,
        refine: o.refine,
        refine_evaluations,
        seed: o.seed,
        ..DesignOptions::default()
    })
}

/// Checks every `grading` setting against its range, in the order of the fields.
fn check_grading(file: &SpecFile, g: &RawGrading) -> Result<(), SpecError> {
    let bad = |field: &str, value: String, allowed: &str| {
        Err(file.invalid_at(field, find_line(file.text, field), value, allowed))
    };
    if !(1..=64).contains(&g.neighbours) {
        return bad(
            "grading.neighbours",
            g.neighbours.to_string(),
            "an integer in [1, 64]",
        );
    }
    if !(g.power.is_finite() && g.power > 0.0) {
        return bad(
            "grading.power",
            g.power.to_string(),
            "a finite number > 0 (2 is usual)",
        );
    }
    if !(g.smoothness.is_finite() && g.smoothness >= 0.0) {
        return bad(
            "grading.smoothness",
            g.smoothness.to_string(),
            "a finite number >= 0",
        );
    }
    if g.samples_per_segment > 1000 {
        return bad(
            "grading.samples_per_segment",
            g.samples_per_segment.to_string(),
            "an integer in [0, 1000]",
        );
    }
    for (field, value, max) in [
        ("grading.core_cells", g.core_cells, 10),
        ("grading.max_corrections", g.max_corrections, 10),
    ] {
        if value > max {
            return bad(
                field,
                value.to_string(),
                &format!("an integer in [0, {max}]"),
            );
        }
    }
    if !(1..=10).contains(&g.transition_cells) {
        return bad(
            "grading.transition_cells",
            g.transition_cells.to_string(),
            "an integer in [1, 10]",
        );
    }
    if !(g.cell_size_weight.is_finite() && g.cell_size_weight >= 0.0) {
        return bad(
            "grading.cell_size_weight",
            g.cell_size_weight.to_string(),
            "a finite number >= 0",
        );
    }
    if !(g.tolerance.is_finite() && g.tolerance > 0.0) {
        return bad(
            "grading.tolerance",
            g.tolerance.to_string(),
            "a finite number > 0 (a relative Frobenius error, e.g. 0.1)",
        );
    }
    Ok(())
}

/// Longest control-point id, characters (ids name files, table rows and messages).
pub(super) const MAX_ID_CHARS: usize = 100;

/// Where a control point is written in the spec: its index, its lines and its id.
struct PointPlace<'a> {
    /// Its id (trimmed).
    id: &'a str,
    /// The line of its `id:` entry, when found.
    line: Option<usize>,
    /// The line of a second `id:` entry with the same id, when found.
    second_line: Option<usize>,
}

impl PointPlace<'_> {
    /// The dotted path of one of the point's fields.
    fn field(&self, name: &str) -> String {
        format!("control_points[{}].{name}", self.id)
    }
}

/// Validates control point `index` (`earlier`: the points before it).
fn control_point(
    file: &SpecFile,
    units: Units,
    index: usize,
    raw: &RawControlPoint,
    domain: &Domain,
    earlier: &[ControlPointSpec],
) -> Result<ControlPointSpec, SpecError> {
    let place = point_place(file, index, raw)?;
    let id = place.id;
    if earlier.iter().any(|p| p.id == id) {
        return Err(SpecError::DuplicateControlPoint {
            path: file.path.to_path_buf(),
            line: place.second_line,
            id: id.to_string(),
        });
    }
    let position = point_position(file, &place, raw, units, domain, earlier)?;
    let target = point_target(file, &place, raw, units)?;
    let weight = raw.weight.unwrap_or(1.0);
    if !(weight.is_finite() && weight > 0.0) {
        return Err(file.invalid_at(
            &place.field("weight"),
            place.line,
            weight.to_string(),
            "a finite number > 0",
        ));
    }
    if let Some(t) = raw.tolerance
        && !(t.is_finite() && t > 0.0)
    {
        return Err(file.invalid_at(
            &place.field("tolerance"),
            place.line,
            t.to_string(),
            "a finite relative Frobenius error > 0 (e.g. 0.1)",
        ));
    }
    if let Some(d) = &raw.design {
        d.validate(RangePolicy::Strict)
            .map_err(|source| SpecError::Design {
                path: file.path.to_path_buf(),
                line: place.line,
                field: place.field("design"),
                source: Box::new(source),
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

/// The point's id, checked (non-empty, not too long, no control characters), and its lines.
fn point_place<'a>(
    file: &SpecFile,
    index: usize,
    raw: &'a RawControlPoint,
) -> Result<PointPlace<'a>, SpecError> {
    let id = raw.id.trim();
    let lines = point_lines(file.text, id);
    let line = lines.first().copied();
    if id.is_empty() {
        return Err(file.invalid_at(
            &format!("control_points[{index}].id"),
            find_line(file.text, "control_points"),
            format!("{:?}", raw.id),
            "a non-empty name",
        ));
    }
    if id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        let shown: String = id.chars().take(40).collect::<String>();
        return Err(file.invalid_at(
            &format!("control_points[{index}].id"),
            line,
            format!(
                "{shown:?}{}",
                if id.chars().count() > 40 { "…" } else { "" }
            ),
            "a name of at most 100 characters without control characters (newlines, tabs)",
        ));
    }
    Ok(PointPlace {
        id,
        line,
        second_line: lines.get(1).copied(),
    })
}

/// The point's position in mm: finite, inside the domain and distinct from the earlier points.
fn point_position(
    file: &SpecFile,
    place: &PointPlace,
    raw: &RawControlPoint,
    units: Units,
    domain: &Domain,
    earlier: &[ControlPointSpec],
) -> Result<[f64; 3], SpecError> {
    if let Some(i) = raw.position.iter().position(|x| !x.is_finite()) {
        return Err(file.invalid_at(
            &place.field(&format!("position[{i}]")),
            place.line,
            raw.position[i].to_string(),
            "a finite number",
        ));
    }
    let position = raw.position.map(|x| x * units.length);
    if !domain.contains(&Point3::from(position)) {
        return Err(SpecError::OutsideDomain {
            path: file.path.to_path_buf(),
            line: place.line,
            id: place.id.to_string(),
            position,
            bounds: Box::new(domain.bounding_box()),
        });
    }
    if let Some(p) = earlier.iter().find(|p| p.position == position) {
        return Err(file.invalid_at(
            &place.field("position"),
            place.line,
            format!("{:?}", raw.position),
            &format!("a position distinct from control point {:?}", p.id),
        ));
    }
    Ok(position)
}

/// The point's target stiffness, normalized by the base material's E: well formed, physical
/// and reachable by the design space.
fn point_target(
    file: &SpecFile,
    place: &PointPlace,
    raw: &RawControlPoint,
    units: Units,
) -> Result<Stiffness, SpecError> {
    let parsed = match &raw.stiffness {
        RawStiffness::Values(v) => {
            Stiffness::try_from_values(&v.iter().map(|x| x * units.stiffness).collect::<Vec<_>>())
        }
        RawStiffness::Rows(rows) => Stiffness::try_from_rows(
            &rows
                .iter()
                .map(|r| r.iter().map(|x| x * units.stiffness).collect())
                .collect::<Vec<_>>(),
        ),
    };
    let gpa = parsed.map_err(|source| SpecError::Stiffness {
        path: file.path.to_path_buf(),
        line: place.line,
        id: place.id.to_string(),
        source: Box::new(source),
    })?;
    let target = gpa.scaled(1.0 / units.youngs_modulus);
    if reach(&target) != Reach::Reachable {
        return Err(SpecError::Unreachable {
            path: file.path.to_path_buf(),
            line: place.second_line,
            id: place.id.to_string(),
            target: Box::new(target),
            youngs_modulus: units.youngs_modulus,
        });
    }
    Ok(target)
}
