//! The pictures of a build, written into `plots/` of the output folder: for every control
//! point the directional Young's modulus of the target, the chosen design (FE) and the graded
//! cell (FE) in the 1-2, 1-3 and 2-3 planes, and an orthographic view of the strut network
//! coloured by diameter; each as SVG and PNG.

use std::path::Path;

use super::{BuildError, FileReport, Prepared};
use crate::mechanics::ErrorMetrics;
use crate::plot::{
    Curve, LatticeOverlay, LatticeView, OverlayBox, SegmentCurve, directional_modulus_png,
    directional_modulus_svg, lattice_png_with, lattice_svg_with, segments_png, segments_svg,
};
use crate::spec::Spec;

/// A control-point id as a file-name stem: ASCII letters, digits, `-` and `_` kept, anything
/// else replaced by `_`.
fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The domain outline, control points and cores of a graded build (empty for a uniform one).
fn lattice_overlay(prepared: &Prepared) -> LatticeOverlay {
    let Some(o) = &prepared.overlay else {
        return LatticeOverlay::default();
    };
    let (lo, hi) = o.domain;
    let mut boxes = vec![OverlayBox {
        centre: std::array::from_fn(|k| 0.5 * (lo[k] + hi[k])),
        edges: nalgebra::Matrix3::from_diagonal(&nalgebra::Vector3::new(
            hi[0] - lo[0],
            hi[1] - lo[1],
            hi[2] - lo[2],
        )),
        dashed: false,
    }];
    boxes.extend(o.cores.iter().map(|(_, centre, edges, _)| OverlayBox {
        centre: *centre,
        edges: *edges,
        dashed: true,
    }));
    LatticeOverlay {
        boxes,
        points: o
            .cores
            .iter()
            .map(|(id, p, _, _)| (shortened(id, 24), *p))
            .collect(),
    }
}

/// `text` cut to at most `max` characters (an ellipsis marks the cut).
fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A legend label with the relative Frobenius error (and NMSE) against the target.
fn figure_label(what: &str, error: Option<&ErrorMetrics>) -> String {
    match error {
        Some(m) => format!(
            "{what}: relFrob {:.3} (NMSE {:.3})",
            m.rel_frobenius, m.nmse
        ),
        None => what.to_string(),
    }
}

/// File stems for `ids`, in order: distinct ids may map to the same stem (`a/b`, `a_b`), so a
/// stem already taken gets a suffix `-2`, `-3`, ….
fn unique_stems<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut used = std::collections::BTreeSet::new();
    ids.map(|id| {
        let base = file_stem(id);
        let mut stem = base.clone();
        let mut k = 2;
        while !used.insert(stem.clone()) {
            stem = format!("{base}-{k}");
            k += 1;
        }
        stem
    })
    .collect()
}

/// Writes the plots into `dir/plots/` and returns their file reports (names relative to
/// `dir`).
///
/// # Errors
/// [`BuildError::Io`] if a file cannot be written.
pub(super) fn write_plots(
    dir: &Path,
    spec: &Spec,
    prepared: &Prepared,
) -> Result<Vec<FileReport>, BuildError> {
    let uniform_stiffness = prepared.cell_stiffness.as_ref();
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).map_err(BuildError::io(&plots))?;
    let struts = prepared.network.struts().len();
    let mut files = Vec::new();
    let mut write = |name: String, bytes: &[u8]| -> Result<(), BuildError> {
        let path = plots.join(&name);
        crate::fsutil::atomic_write_bytes(&path, bytes).map_err(BuildError::io(&path))?;
        files.push(FileReport::of(dir, &format!("plots/{name}"), struts));
        Ok(())
    };
    let e = spec.material.youngs_modulus;
    let stems = unique_stems(prepared.point_stiffness.iter().map(|p| p.id.as_str()));
    for (n, p) in prepared.point_stiffness.iter().enumerate() {
        let graded_label = figure_label("graded cell (FE)", p.graded_vs_target.as_ref());
        let window_label = figure_label("built window (FE)", p.window_vs_target.as_ref());
        let mut curves = vec![
            Curve {
                label: "target",
                stiffness: &p.target,
            },
            Curve {
                label: "design (FE)",
                stiffness: &p.design,
            },
            Curve {
                label: &graded_label,
                stiffness: &p.graded,
            },
        ];
        if let Some(w) = &p.window {
            curves.push(Curve {
                label: &window_label,
                stiffness: w,
            });
        }
        let [x, y, z] = p.position;
        let title = format!(
            "{} at ({x:.1}, {y:.1}, {z:.1}) mm: E(n)",
            shortened(&p.id, 24)
        );
        let stem = &stems[n];
        write(
            format!("{stem}-stiffness.svg"),
            directional_modulus_svg(&title, &curves, e).as_bytes(),
        )?;
        write(
            format!("{stem}-stiffness.png"),
            &directional_modulus_png(&title, &curves, e),
        )?;
    }
    if let Some(c) = uniform_stiffness {
        let curves = [Curve {
            label: "design (FE)",
            stiffness: c,
        }];
        let title = format!("{}: directional Young's modulus of the cell", spec.name);
        write(
            "cell-stiffness.svg".into(),
            directional_modulus_svg(&title, &curves, e).as_bytes(),
        )?;
        write(
            "cell-stiffness.png".into(),
            &directional_modulus_png(&title, &curves, e),
        )?;
    }
    let overlay = lattice_overlay(prepared);
    let title = if prepared.overlay.is_some() {
        format!(
            "{}: {} struts, points and cores (dashed)",
            shortened(&spec.name, 24),
            struts
        )
    } else {
        format!(
            "{}: {} struts, cell size {:.2} mm",
            shortened(&spec.name, 24),
            struts,
            prepared.cell_size
        )
    };
    let view = LatticeView::default();
    write(
        "lattice.svg".into(),
        lattice_svg_with(&prepared.network, &title, &view, &overlay).as_bytes(),
    )?;
    write(
        "lattice.png".into(),
        &lattice_png_with(&prepared.network, &title, &view, &overlay),
    )?;
    if let Some(o) = &prepared.overlay {
        let mut curves: Vec<SegmentCurve> = Vec::new();
        for s in &o.segments {
            let label = format!("{} to {}", shortened(&s.from, 30), shortened(&s.to, 30));
            if curves.last().is_none_or(|c| c.label != label) {
                curves.push(SegmentCurve {
                    label,
                    samples: Vec::new(),
                });
            }
            curves
                .last_mut()
                .expect("pushed")
                .samples
                .push((s.t, &s.stiffness));
        }
        let title = format!("{}: stiffness between points", shortened(&spec.name, 24));
        write(
            "segments.svg".into(),
            segments_svg(&title, &curves, e).as_bytes(),
        )?;
        write("segments.png".into(), &segments_png(&title, &curves, e))?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::{file_stem, unique_stems};

    #[test]
    fn ids_that_map_to_one_stem_get_distinct_files() {
        let stems =
            unique_stems(["distal/medial", "distal_medial", "distal medial", "x"].into_iter());
        assert_eq!(
            stems,
            ["distal_medial", "distal_medial-2", "distal_medial-3", "x"]
        );
    }

    #[test]
    fn ids_become_safe_file_stems() {
        assert_eq!(file_stem("distal-medial_2"), "distal-medial_2");
        assert_eq!(file_stem("../a b/é"), "___a_b__");
    }
}
