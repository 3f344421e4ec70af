//! The pictures of a build, written into `plots/` of the output folder: for every control
//! point the directional Young's modulus of the target, the chosen design (FE) and the graded
//! cell (FE) in the 1-2, 1-3 and 2-3 planes, and an orthographic view of the strut network
//! coloured by diameter; each as SVG and PNG.

use std::path::{Path, PathBuf};

use super::{BuildError, FileReport, GradedOverlay, Prepared};
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
    let plots = dir.join("plots");
    // Not `create_dir_all`: should the staging folder be gone (an interrupted build), this
    // fails rather than create it again.
    std::fs::create_dir(&plots).map_err(BuildError::io(&plots))?;
    let mut out = PlotFiles {
        dir,
        plots,
        struts: prepared.network.struts().len(),
        files: Vec::new(),
    };
    let e = spec.material.youngs_modulus;
    write_point_plots(&mut out, prepared, e)?;
    if let Some(c) = prepared.cell_stiffness.as_ref() {
        let curves = [Curve {
            label: "design (FE)",
            stiffness: c,
        }];
        let title = format!("{}: directional Young's modulus of the cell", spec.name);
        out.write_modulus("cell-stiffness", &title, &curves, e)?;
    }
    write_lattice_plot(&mut out, spec, prepared)?;
    if let Some(o) = &prepared.overlay {
        write_segment_plot(&mut out, spec, o, e)?;
    }
    Ok(out.files)
}

/// The plots folder being written and the reports of the files written so far.
struct PlotFiles<'a> {
    /// The build's folder (file reports are relative to it).
    dir: &'a Path,
    /// `dir/plots`.
    plots: PathBuf,
    /// Struts of the network (for the per-strut sizes of the reports).
    struts: usize,
    /// The files written.
    files: Vec<FileReport>,
}

impl PlotFiles<'_> {
    /// Writes `plots/name` and records it.
    fn write(&mut self, name: String, bytes: &[u8]) -> Result<(), BuildError> {
        let path = self.plots.join(&name);
        crate::fsutil::atomic_write_bytes(&path, bytes).map_err(BuildError::io(&path))?;
        self.files.push(FileReport::of(
            self.dir,
            &format!("plots/{name}"),
            self.struts,
        ));
        Ok(())
    }

    /// Writes `stem.svg` and `stem.png`: the directional Young's modulus of `curves`
    /// (normalized stiffness; `e`: the base material's E, GPa).
    fn write_modulus(
        &mut self,
        stem: &str,
        title: &str,
        curves: &[Curve],
        e: f64,
    ) -> Result<(), BuildError> {
        self.write(
            format!("{stem}.svg"),
            directional_modulus_svg(title, curves, e).as_bytes(),
        )?;
        self.write(
            format!("{stem}.png"),
            &directional_modulus_png(title, curves, e),
        )
    }
}

/// Per control point: target, design, graded cell and built window, E(n).
fn write_point_plots(out: &mut PlotFiles, prepared: &Prepared, e: f64) -> Result<(), BuildError> {
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
        out.write_modulus(&format!("{}-stiffness", stems[n]), &title, &curves, e)?;
    }
    Ok(())
}

/// The struts, with the control points and their cores when graded.
fn write_lattice_plot(
    out: &mut PlotFiles,
    spec: &Spec,
    prepared: &Prepared,
) -> Result<(), BuildError> {
    let overlay = lattice_overlay(prepared);
    let title = if prepared.overlay.is_some() {
        format!(
            "{}: {} struts, points and cores (dashed)",
            shortened(&spec.name, 24),
            out.struts
        )
    } else {
        format!(
            "{}: {} struts, cell size {:.2} mm",
            shortened(&spec.name, 24),
            out.struts,
            prepared.cell_size
        )
    };
    let view = LatticeView::default();
    out.write(
        "lattice.svg".into(),
        lattice_svg_with(&prepared.network, &title, &view, &overlay).as_bytes(),
    )?;
    out.write(
        "lattice.png".into(),
        &lattice_png_with(&prepared.network, &title, &view, &overlay),
    )
}

/// The stiffness samples between neighbouring control points, one curve per segment.
fn write_segment_plot(
    out: &mut PlotFiles,
    spec: &Spec,
    overlay: &GradedOverlay,
    e: f64,
) -> Result<(), BuildError> {
    let mut curves: Vec<SegmentCurve> = Vec::new();
    for s in &overlay.segments {
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
    out.write(
        "segments.svg".into(),
        segments_svg(&title, &curves, e).as_bytes(),
    )?;
    out.write("segments.png".into(), &segments_png(&title, &curves, e))
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
