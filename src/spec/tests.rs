//! Unit tests of the spec reader: the line finder, and every error a spec can produce (each
//! from a small YAML text, with its message checked for the field, the value and what is
//! allowed).

use std::error::Error as _;
use std::path::{Path, PathBuf};

use super::*;

/// A uniform spec that validates.
const UNIFORM: &str = "\
name: t
domain:
  box: {min: [0, 0, 0], max: [10, 10, 10]}
cell_size: 2.5
manufacturing: {min_strut_diameter: 0.1, min_pore_size: 0.1}
design:
  topology:
    - {lattice: 2, tessellation: 1}
    - {lattice: 0, tessellation: 1}
    - {lattice: 0, tessellation: 1}
  relative_density: 0.1
  U: [1.0, 1.0, 1.2]
  R1: {axis: [0, 0, 1], angle_deg: 0}
  V: [1.0, 1.0, 1.0]
  R2: {axis: [0, 0, 1], angle_deg: 0}
";

/// A reachable stiffness, GPa (21 constants).
const STIFFNESS: &str = "[0.7345, 0.2621, 0.443, 0.0, 0.0, 0.0, 0.7345, 0.443, 0.0, 0.0, 0.0, \
                         1.3648, 0.0, 0.0, 0.0, 0.4474, 0.0, 0.0, 0.4474, 0.0, 0.2659]";

/// A graded spec with two control points that validates.
fn graded() -> String {
    format!(
        "\
name: g
domain:
  box: {{min: [0, 0, 0], max: [20, 20, 20]}}
cell_size: auto
manufacturing: {{min_strut_diameter: 0.25, min_pore_size: 0.4}}
control_points:
  - id: a
    position: [5, 5, 5]
    stiffness: {STIFFNESS}
  - id: b
    position: [15, 15, 15]
    stiffness: {STIFFNESS}
design_options: {{method: network, samples: 10}}
grading: {{neighbours: 4}}
"
    )
}

fn parse(text: &str) -> Result<Spec, SpecError> {
    Spec::parse(text, Path::new("dir/t.yaml"))
}

/// The error of `text`, which must be rejected.
fn error(text: &str) -> SpecError {
    match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

/// `text` with `from` replaced by `to` (which must be there).
fn with(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in\n{text}");
    text.replacen(from, to, 1)
}

/// Asserts that the message of `e` holds every one of `needles`.
fn assert_names(e: &SpecError, needles: &[&str]) {
    let message = e.to_string();
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    }
}

#[test]
fn the_base_specs_are_valid() {
    let uniform = parse(UNIFORM).unwrap();
    assert!(matches!(uniform.fill, Fill::Uniform(_)));
    let graded = parse(&graded()).unwrap();
    let Fill::Graded(fill) = &graded.fill else {
        panic!("graded")
    };
    assert_eq!(fill.points.len(), 2);
    // The models folder defaults to `models/` in the working directory.
    assert_eq!(
        fill.method,
        DesignMethod::Network {
            models: PathBuf::from("models"),
            device: RawDesignOptions::default().device,
            polish: RawDesignOptions::default().polish,
        }
    );
}

#[test]
fn models_named_by_a_spec_are_relative_to_it() {
    let spec = parse(&with(
        &graded(),
        "{method: network,",
        "{method: network, models: m,",
    ))
    .unwrap();
    let Fill::Graded(fill) = &spec.fill else {
        panic!("graded")
    };
    assert!(
        matches!(&fill.method, DesignMethod::Network { models, .. } if models.as_path() == Path::new("dir/m"))
    );
    assert_eq!(models_dir(Some(Path::new("x"))), PathBuf::from("x"));
    assert_eq!(models_dir(None), PathBuf::from("models"));
}

// ---- the line finder ----

#[test]
fn find_line_follows_keys_at_several_depths() {
    let text = "\
name: x
domain:
  cylinder:
    base: [0, 0, 0]
    radius: 3
mesh: {resolution: 0.5, radius: 9}
";
    assert_eq!(find_line(text, "name"), Some(1));
    assert_eq!(find_line(text, "domain"), Some(2));
    assert_eq!(find_line(text, "domain.cylinder"), Some(3));
    assert_eq!(find_line(text, "domain.cylinder.radius"), Some(5));
    // An index is not part of the key.
    assert_eq!(find_line(text, "domain.cylinder.base[2]"), Some(4));
    // Flow style: the keys of one line.
    assert_eq!(find_line(text, "mesh.resolution"), Some(6));
    assert_eq!(find_line(text, "mesh.radius"), Some(6));
}

#[test]
fn find_line_finds_flow_keys_on_the_line_of_their_parent() {
    let text = "name: x\ndomain: {box: {min: [0, 0, 0], max: [1, 1, 1]}}\n";
    assert_eq!(find_line(text, "domain.box.max"), Some(2));
}

#[test]
fn find_line_looks_for_a_key_after_its_parent() {
    // `radius` first appears under `a`; under `b` it is the later one.
    let text = "a:\n  radius: 1\nb:\n  radius: 2\n";
    assert_eq!(find_line(text, "a.radius"), Some(2));
    assert_eq!(find_line(text, "b.radius"), Some(4));
}

#[test]
fn find_line_reads_list_entries() {
    let text = "\
control_points:
  - id: a
    position: [1, 2, 3]
  - {id: b, position: [4, 5, 6]}
";
    assert_eq!(find_line(text, "control_points"), Some(1));
    assert_eq!(find_line(text, "control_points.position"), Some(3));
    assert_eq!(find_line(text, "control_points.id"), Some(2));
}

#[test]
fn find_line_skips_comments() {
    let text = "# radius: 1\nname: x # radius: 2\nradius: 3\n";
    assert_eq!(find_line(text, "radius"), Some(3));
}

#[test]
fn find_line_does_not_match_a_key_inside_a_longer_one() {
    let text = "surname: x\nname: y\n";
    assert_eq!(find_line(text, "name"), Some(2));
}

#[test]
fn find_line_is_none_for_missing_and_quoted_keys() {
    let text = "name: x\n\"radius\": 3\n";
    assert_eq!(find_line(text, "height"), None);
    assert_eq!(find_line(text, "domain.box"), None);
    // Quoted keys are not recognised: the message then leaves the line out.
    assert_eq!(find_line(text, "radius"), None);
}

#[test]
fn point_lines_finds_every_entry_of_an_id() {
    let text = "\
name: x
control_points:
  - id: a
  - {id: 'b', position: [0, 0, 0]}
  - id: \"a\"   # again
";
    assert_eq!(fill::point_lines(text, "a"), vec![3, 5]);
    assert_eq!(fill::point_lines(text, "b"), vec![4]);
    assert!(fill::point_lines(text, "c").is_empty());
}

// ---- every error of a spec ----

#[test]
fn an_unreadable_file_keeps_the_io_error() {
    let e = Spec::load(Path::new("no/such/spec.yaml")).unwrap_err();
    assert!(matches!(e, SpecError::Read { .. }), "{e}");
    assert_names(&e, &["cannot read spec", "no/such/spec.yaml"]);
    assert!(e.source().is_some());
}

#[test]
fn syntax_errors_name_the_field_in_spec_terms() {
    let e = error(&with(UNIFORM, "cell_size: 2.5", "cell_size: 2.5\nsize: 3"));
    assert!(matches!(e, SpecError::Syntax { .. }), "{e}");
    assert_names(&e, &["dir/t.yaml", "unknown field `size`", "line"]);
    let e = error("name: [1");
    assert!(matches!(e, SpecError::Syntax { .. }), "{e}");
    // Internal type names are replaced, and the parser's error is not chained.
    let e = error("- 1\n");
    assert!(!e.to_string().contains("Raw"), "{e}");
    assert_names(&e, &["an implant spec"]);
    assert!(e.source().is_none());
}

#[test]
fn unknown_units_list_the_allowed_ones() {
    let e = error(&format!("units: {{length: inch}}\n{UNIFORM}"));
    assert!(
        matches!(
            e,
            SpecError::UnknownUnit {
                field: UnitField::Length,
                line: Some(1),
                ..
            }
        ),
        "{e}"
    );
    assert_names(&e, &["units.length = \"inch\"", "mm, cm, m, um"]);
    let e = error(&format!("units: {{stiffness: psi}}\n{UNIFORM}"));
    assert!(
        matches!(
            e,
            SpecError::UnknownUnit {
                field: UnitField::Stiffness,
                ..
            }
        ),
        "{e}"
    );
    assert_names(&e, &["units.stiffness = \"psi\"", "GPa, MPa, Pa"]);
}

/// `(case, spec text, [field = value, what is allowed])`: each must give
/// [`SpecError::Invalid`] with both texts in its message.
fn invalid_cases() -> Vec<(&'static str, String, [&'static str; 2])> {
    let g = graded();
    vec![
        (
            "empty name",
            with(UNIFORM, "name: t", "name: ''"),
            ["name = \"\"", "it names the output folder"],
        ),
        (
            "name with a slash",
            with(UNIFORM, "name: t", "name: a/b"),
            ["name = \"a/b\"", "letters, digits"],
        ),
        (
            "long name",
            with(UNIFORM, "name: t", &format!("name: {}", "n".repeat(120))),
            ["(120 characters)", "at most 100"],
        ),
        (
            "youngs modulus",
            format!("base_material: {{youngs_modulus: -1, poisson_ratio: 0.3}}\n{UNIFORM}"),
            ["base_material.youngs_modulus = -1", "a finite number > 0"],
        ),
        (
            "poisson ratio",
            format!("base_material: {{youngs_modulus: 114, poisson_ratio: 0.5}}\n{UNIFORM}"),
            ["base_material.poisson_ratio = 0.5", "(-1, 0.5)"],
        ),
        (
            "box min not finite",
            with(UNIFORM, "min: [0, 0, 0]", "min: [0, .nan, 0]"),
            ["domain.box.min[1] = NaN", "a finite number"],
        ),
        (
            "empty box",
            with(UNIFORM, "max: [10, 10, 10]", "max: [10, 0, 10]"),
            ["domain.box.max[1] = 0", "a value above min[1] = 0"],
        ),
        (
            "cylinder axis",
            with(
                UNIFORM,
                "box: {min: [0, 0, 0], max: [10, 10, 10]}",
                "cylinder: {base: [0, 0, 0], axis: [0, 0, 0], radius: 5, height: 10}",
            ),
            [
                "domain.cylinder.axis = [0.0, 0.0, 0.0]",
                "a non-zero direction",
            ],
        ),
        (
            "cylinder radius",
            with(
                UNIFORM,
                "box: {min: [0, 0, 0], max: [10, 10, 10]}",
                "cylinder: {base: [0, 0, 0], axis: [0, 0, 1], radius: 0, height: 10}",
            ),
            ["domain.cylinder.radius = 0", "a finite number > 0"],
        ),
        (
            "cylinder height",
            with(
                UNIFORM,
                "box: {min: [0, 0, 0], max: [10, 10, 10]}",
                "cylinder: {base: [0, 0, 0], axis: [0, 0, 1], radius: 5, height: -2}",
            ),
            ["domain.cylinder.height = -2", "a finite number > 0"],
        ),
        (
            "cell size word",
            with(UNIFORM, "cell_size: 2.5", "cell_size: big"),
            ["cell_size = \"big\"", "a length > 0 or auto"],
        ),
        (
            "cell size length",
            with(UNIFORM, "cell_size: 2.5", "cell_size: -1"),
            ["cell_size = -1", "a finite number > 0"],
        ),
        (
            "max cell size",
            format!("max_cell_size: 0\n{UNIFORM}"),
            ["max_cell_size = 0", "a finite number > 0"],
        ),
        (
            "strut diameter",
            with(UNIFORM, "min_strut_diameter: 0.1", "min_strut_diameter: 0"),
            ["manufacturing.min_strut_diameter = 0", "> 0"],
        ),
        (
            "pore size",
            with(UNIFORM, "min_pore_size: 0.1", "min_pore_size: .inf"),
            ["manufacturing.min_pore_size = inf", "> 0"],
        ),
        (
            "origin",
            format!("origin: [0, 0, .inf]\n{UNIFORM}"),
            ["origin[2] = inf", "a finite number"],
        ),
        (
            "design options with a design",
            format!("{UNIFORM}design_options: {{samples: 5}}\n"),
            ["design_options = (given)", "only with control_points"],
        ),
        (
            "grading with a design",
            format!("{UNIFORM}grading: {{neighbours: 2}}\n"),
            ["grading = (given)", "only with control_points"],
        ),
        (
            "design out of range",
            with(UNIFORM, "relative_density: 0.1", "relative_density: 0.3"),
            [
                "design.relative_density = 0.3 (in relative_density)",
                "a value in the design space [",
            ],
        ),
        (
            "design and control points",
            format!("{UNIFORM}control_points: []\n"),
            ["design = (given with control_points)", "not both"],
        ),
        (
            "neither design nor control points",
            UNIFORM[..UNIFORM.find("design:").unwrap()].to_string(),
            [
                "control_points = (missing)",
                "or design (one cell everywhere)",
            ],
        ),
        (
            "mesh resolution",
            format!("{UNIFORM}mesh: {{resolution: 2}}\n"),
            ["mesh.resolution = 2", "(0.05, 1]"],
        ),
        (
            "chord tolerance",
            format!("{UNIFORM}mesh: {{chord_tolerance: 0.9}}\n"),
            ["mesh.chord_tolerance = 0.9", "(0, 0.5]"],
        ),
        (
            "file size limit",
            format!("{UNIFORM}outputs: {{max_file_mb: 0}}\n"),
            ["outputs.max_file_mb = 0", "(0, 10000000]"],
        ),
        (
            "no control points",
            format!(
                "{}control_points: []\n",
                &UNIFORM[..UNIFORM.find("design:").unwrap()]
            ),
            ["control_points = []", "at least one control point"],
        ),
        (
            "lookup without data",
            with(&g, "method: network", "method: lookup"),
            [
                "design_options.lookup_data = (missing)",
                "a dataset CSV (relative to the spec)",
            ],
        ),
        (
            "unknown method",
            with(&g, "method: network", "method: oracle"),
            ["design_options.method = \"oracle\"", "network or lookup"],
        ),
        (
            "samples",
            with(&g, "samples: 10", "samples: 0"),
            ["design_options.samples = 0", "an integer in [1, 1000000]"],
        ),
        (
            "polish",
            with(&g, "samples: 10", "samples: 10, polish: 5000"),
            ["design_options.polish = 5000", "an integer in [0, 1024]"],
        ),
        (
            "top",
            with(&g, "samples: 10", "samples: 10, top: 65"),
            ["design_options.top = 65", "an integer in [1, 64]"],
        ),
        (
            "refine evaluations",
            with(&g, "samples: 10", "samples: 10, refine_evaluations: 0"),
            [
                "design_options.refine_evaluations = 0",
                "an integer in [1, 100000]",
            ],
        ),
        (
            "temperature",
            with(&g, "samples: 10", "samples: 10, temperature: 0"),
            ["design_options.temperature = 0", "a finite number > 0"],
        ),
        (
            "neighbours",
            with(&g, "neighbours: 4", "neighbours: 0"),
            ["grading.neighbours = 0", "an integer in [1, 64]"],
        ),
        (
            "power",
            with(&g, "neighbours: 4", "neighbours: 4, power: -1"),
            ["grading.power = -1", "a finite number > 0 (2 is usual)"],
        ),
        (
            "smoothness",
            with(&g, "neighbours: 4", "neighbours: 4, smoothness: -1"),
            ["grading.smoothness = -1", "a finite number >= 0"],
        ),
        (
            "samples per segment",
            with(
                &g,
                "neighbours: 4",
                "neighbours: 4, samples_per_segment: 1001",
            ),
            ["grading.samples_per_segment = 1001", "[0, 1000]"],
        ),
        (
            "core cells",
            with(&g, "neighbours: 4", "neighbours: 4, core_cells: 11"),
            ["grading.core_cells = 11", "an integer in [0, 10]"],
        ),
        (
            "max corrections",
            with(&g, "neighbours: 4", "neighbours: 4, max_corrections: 11"),
            ["grading.max_corrections = 11", "an integer in [0, 10]"],
        ),
        (
            "transition cells",
            with(&g, "neighbours: 4", "neighbours: 4, transition_cells: 0"),
            ["grading.transition_cells = 0", "an integer in [1, 10]"],
        ),
        (
            "cell size weight",
            with(&g, "neighbours: 4", "neighbours: 4, cell_size_weight: -1"),
            ["grading.cell_size_weight = -1", "a finite number >= 0"],
        ),
        (
            "grading tolerance",
            with(&g, "neighbours: 4", "neighbours: 4, tolerance: 0"),
            ["grading.tolerance = 0", "a relative Frobenius error"],
        ),
        (
            "empty id",
            with(&g, "- id: a", "- id: ' '"),
            ["control_points[0].id = \" \"", "a non-empty name"],
        ),
        (
            "id with a tab",
            with(&g, "- id: a", "- id: \"a\\tb\""),
            [
                "control_points[0].id = \"a\\tb\"",
                "without control characters",
            ],
        ),
        (
            "position not finite",
            with(&g, "position: [5, 5, 5]", "position: [5, .nan, 5]"),
            ["control_points[a].position[1] = NaN", "a finite number"],
        ),
        (
            "same position",
            with(&g, "position: [15, 15, 15]", "position: [5, 5, 5]"),
            [
                "control_points[b].position = [5.0, 5.0, 5.0]",
                "distinct from control point \"a\"",
            ],
        ),
        (
            "weight",
            with(
                &g,
                "    position: [5, 5, 5]",
                "    weight: 0\n    position: [5, 5, 5]",
            ),
            ["control_points[a].weight = 0", "a finite number > 0"],
        ),
        (
            "point tolerance",
            with(
                &g,
                "    position: [5, 5, 5]",
                "    tolerance: -0.1\n    position: [5, 5, 5]",
            ),
            ["control_points[a].tolerance = -0.1", "(e.g. 0.1)"],
        ),
    ]
}

#[test]
fn every_invalid_value_names_the_field_the_value_and_what_is_allowed() {
    for (case, text, needles) in invalid_cases() {
        let e = error(&text);
        assert!(matches!(e, SpecError::Invalid { .. }), "{case}: {e}");
        assert!(e.to_string().starts_with("dir/t.yaml"), "{case}: {e}");
        for needle in needles {
            assert!(
                e.to_string().contains(needle),
                "{case}: {needle:?} not in {e}"
            );
        }
    }
}

#[test]
fn invalid_values_point_at_their_line() {
    let e = error(&with(UNIFORM, "cell_size: 2.5", "cell_size: -1"));
    assert!(matches!(e, SpecError::Invalid { line: Some(4), .. }), "{e}");
    assert_names(&e, &["dir/t.yaml line 4: cell_size = -1"]);
}

#[test]
fn an_unreadable_envelope_keeps_its_error() {
    let e = error(&with(
        UNIFORM,
        "box: {min: [0, 0, 0], max: [10, 10, 10]}",
        "envelope: {stl: none.stl}",
    ));
    assert!(
        matches!(e, SpecError::Envelope { line: Some(3), .. }),
        "{e}"
    );
    assert_names(
        &e,
        &["domain.envelope.stl = \"none.stl\"", "a closed STL surface"],
    );
    assert!(e.source().unwrap().to_string().contains("none.stl"));
}

/// An ASCII STL of a closed tetrahedron (legs of 10 along the axes), outward oriented.
const TETRAHEDRON_STL: &str = "solid t
facet normal 0 0 -1
outer loop
vertex 0 0 0
vertex 0 10 0
vertex 10 0 0
endloop
endfacet
facet normal 0 -1 0
outer loop
vertex 0 0 0
vertex 10 0 0
vertex 0 0 10
endloop
endfacet
facet normal -1 0 0
outer loop
vertex 0 0 0
vertex 0 0 10
vertex 0 10 0
endloop
endfacet
facet normal 1 1 1
outer loop
vertex 10 0 0
vertex 0 10 0
vertex 0 0 10
endloop
endfacet
endsolid t
";

#[test]
fn an_envelope_is_read_relative_to_the_spec_and_only_in_mm() {
    let dir = std::env::temp_dir().join(format!("trussforge-spec-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("env.stl"), TETRAHEDRON_STL).unwrap();
    let text = with(
        UNIFORM,
        "box: {min: [0, 0, 0], max: [10, 10, 10]}",
        "envelope: {stl: env.stl}",
    );
    let spec = Spec::parse(&text, &dir.join("t.yaml")).unwrap();
    assert!(matches!(spec.domain, Domain::Envelope(_)));
    let e = Spec::parse(
        &format!("units: {{length: cm}}\n{text}"),
        &dir.join("t.yaml"),
    )
    .unwrap_err();
    assert!(matches!(e, SpecError::Invalid { .. }), "{e}");
    assert_names(
        &e,
        &["domain.envelope.stl = \"env.stl\"", "set units.length: mm"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_domain_that_overflows_in_mm_is_refused() {
    let text = format!(
        "units: {{length: m}}\n{}",
        with(
            UNIFORM,
            "box: {min: [0, 0, 0], max: [10, 10, 10]}",
            "cylinder: {base: [0, 0, 0], axis: [0, 0, 1], radius: 1e308, height: 10}",
        )
    );
    let e = error(&text);
    assert!(matches!(e, SpecError::Domain { .. }), "{e}");
    assert_names(&e, &["domain is not a valid domain"]);
    assert!(e.source().unwrap().to_string().contains("cylinder.radius"));
}

#[test]
fn designs_outside_the_design_space_keep_their_cause() {
    let e = error(&with(
        UNIFORM,
        "R1: {axis: [0, 0, 1]",
        "R1: {axis: [0, 0, 0]",
    ));
    assert!(matches!(e, SpecError::Design { line: Some(13), .. }), "{e}");
    assert_names(&e, &["design.R1", "a design inside the design space"]);
    assert!(e.source().is_some());
    let g = graded();
    let pinned = with(
        &g,
        "    position: [5, 5, 5]",
        "    position: [5, 5, 5]\n    design: {topology: [{lattice: 2, tessellation: 1}, \
         {lattice: 0, tessellation: 1}, {lattice: 0, tessellation: 1}], relative_density: 0.1, \
         U: [1, 1, 1], R1: {axis: [0, 0, 0], angle_deg: 0}, V: [1, 1, 1], \
         R2: {axis: [0, 0, 1], angle_deg: 0}}",
    );
    let e = error(&pinned);
    assert!(matches!(e, SpecError::Design { .. }), "{e}");
    assert_names(&e, &["control_points[a].design"]);
}

#[test]
fn a_duplicate_id_points_at_its_second_use() {
    let g = graded();
    let e = error(&with(&g, "- id: b", "- id: a"));
    assert!(
        matches!(e, SpecError::DuplicateControlPoint { line: Some(10), .. }),
        "{e}"
    );
    assert_names(&e, &["control point id \"a\" is used twice", "unique"]);
}

#[test]
fn a_point_outside_the_domain_names_the_bounds() {
    let e = error(&with(
        &graded(),
        "position: [5, 5, 5]",
        "position: [5, 5, 50]",
    ));
    assert!(matches!(e, SpecError::OutsideDomain { .. }), "{e}");
    assert_names(
        &e,
        &[
            "control point \"a\" at (5.000, 5.000, 50.000) mm",
            "(0.000, 0.000, 0.000)..(20.000, 20.000, 20.000) mm",
            "move it inside",
        ],
    );
}

#[test]
fn a_malformed_stiffness_keeps_its_cause() {
    let g = graded();
    let e = error(&g.replacen(STIFFNESS, "[1, 2, 3]", 1));
    assert!(matches!(e, SpecError::Stiffness { .. }), "{e}");
    assert_names(&e, &["control point \"a\""]);
    assert!(e.source().is_some());
}

#[test]
fn an_unreachable_stiffness_says_which_way() {
    let g = graded();
    let stiff = STIFFNESS.replace("0.7345", "500");
    let e = error(&g.replacen(STIFFNESS, &stiff, 1));
    assert!(matches!(e, SpecError::Unreachable { .. }), "{e}");
    assert_names(&e, &["control point \"a\" is unreachable", "too stiff"]);
}

#[test]
fn verify_load_cases_are_read_and_checked() {
    use crate::simulate::LoadCase;
    assert!(parse(UNIFORM).unwrap().verify.is_empty());
    let spec = parse(&format!(
        "{UNIFORM}verify: {{load_cases: [axial, torsion]}}\n"
    ))
    .unwrap();
    assert_eq!(spec.verify, [LoadCase::Axial, LoadCase::Torsion]);
    for (cases, field, value) in [
        ("[axial, shear]", "verify.load_cases[1]", "\"shear\""),
        (
            "[axial, axial]",
            "verify.load_cases[1]",
            "\"axial\" (given twice)",
        ),
        ("[]", "verify.load_cases", "[]"),
    ] {
        let text = format!("{UNIFORM}verify: {{load_cases: {cases}}}\n");
        let message = error(&text).to_string();
        assert!(
            message.contains(&format!("{field} = {value}"))
                && message.contains("axial, bending or torsion")
                && message.contains("line 16"),
            "{message}"
        );
    }
    let unknown = error(&format!("{UNIFORM}verify: {{cases: [axial]}}\n")).to_string();
    assert!(unknown.contains("unknown field `cases`"), "{unknown}");
}
