//! The pictures of a build, written into `plots/` of the output folder: for every control
//! point the directional Young's modulus of the target, the chosen design (FE) and the graded
//! cell (FE) in the 1-2, 1-3 and 2-3 planes, and an orthographic view of the strut network
//! coloured by diameter; each as SVG and PNG.

use std::path::Path;

use super::{BuildError, FileReport, Prepared};
use crate::plot::{
    Curve, LatticeView, directional_modulus_png, directional_modulus_svg, lattice_png, lattice_svg,
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
    let io = |path: &Path, e: std::io::Error| BuildError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(&plots).map_err(|e| io(&plots, e))?;
    let struts = prepared.network.struts().len();
    let mut files = Vec::new();
    let mut write = |name: String, bytes: &[u8]| -> Result<(), BuildError> {
        let path = plots.join(&name);
        crate::fsutil::atomic_write_bytes(&path, bytes).map_err(|e| io(&path, e))?;
        files.push(FileReport::of(dir, &format!("plots/{name}"), struts));
        Ok(())
    };
    let e = spec.material.youngs_modulus;
    for (id, target, design, graded) in &prepared.point_stiffness {
        let curves = [
            Curve {
                label: "target",
                stiffness: target,
            },
            Curve {
                label: "design (FE)",
                stiffness: design,
            },
            Curve {
                label: "graded cell (FE)",
                stiffness: graded,
            },
        ];
        let title = format!("{id}: directional Young's modulus");
        let stem = file_stem(id);
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
    let title = format!(
        "{}: {} struts, cell size {:.2} mm",
        spec.name, struts, prepared.cell_size
    );
    let view = LatticeView::default();
    write(
        "lattice.svg".into(),
        lattice_svg(&prepared.network, &title, &view).as_bytes(),
    )?;
    write(
        "lattice.png".into(),
        &lattice_png(&prepared.network, &title, &view),
    )?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn ids_become_safe_file_stems() {
        assert_eq!(file_stem("distal-medial_2"), "distal-medial_2");
        assert_eq!(file_stem("../a b/é"), "___a_b__");
    }
}
