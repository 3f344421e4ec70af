//! Output sizes: estimated before meshing, measured before writing, checked against
//! `outputs.max_file_mb`.
//!
//! The explicit mesher writes `2n` triangles per strut prism and about `3n` more per strut in
//! the hubs (`n` sides per ring, [`crate::mesh::hub::segments`]); measured 48–50 triangles
//! per strut at `n = 10` on uniform and graded lattices. A binary STL takes 50 bytes per
//! triangle plus 84; the mesh 3MF (`implant.3mf`), zipped, about 14 bytes per triangle
//! (measured 13.4); the beam-lattice 3MF (`implant.beams.3mf`) at most 100 bytes per beam
//! (measured 19 zipped); the STEP file about 22 kB per strut (one solid per strut and node,
//! measured 21.6–21.9 kB). Sizes are in bytes; the limit is in MB (10⁶ bytes).

use crate::spec::RawOutputs;

/// The mesh 3MF: one object, one build item, no required extension (what slicers open).
pub(crate) const MESH_3MF: &str = "implant.3mf";
/// The beam-lattice 3MF: the struts as 3MF Beam Lattice beams and balls, no triangles (for
/// beam-aware tools such as Netfabb and nTop; slicers cannot read it).
pub(crate) const BEAMS_3MF: &str = "implant.beams.3mf";

/// The STEP file.
pub(crate) const STEP: &str = "implant.step";

/// Whether the STEP file of a network of `struts` struts is written: as the spec says, or
/// (not given) when its estimate is within `outputs.max_file_mb`.
pub(crate) fn writes_step(outputs: &RawOutputs, struts: usize) -> bool {
    outputs
        .step
        .unwrap_or_else(|| step_megabytes(struts) <= outputs.max_file_mb)
}

/// The estimated STEP file of `struts` struts, MB.
pub(crate) fn step_megabytes(struts: usize) -> f64 {
    STEP_PER_STRUT.saturating_mul(struts as u64) as f64 / 1e6
}

/// Bytes of a binary STL per triangle, and its header plus count.
const STL_PER_TRIANGLE: u64 = 50;
const STL_HEADER: u64 = 84;
/// Zipped 3MF bytes per triangle (mesh file) and per beam (beam-lattice file): upper estimates
/// of the measured figures.
const THREEMF_PER_TRIANGLE: u64 = 16;
const THREEMF_PER_BEAM: u64 = 100;
/// STEP bytes per strut.
const STEP_PER_STRUT: u64 = 23_000;

/// The files a build would write and their sizes, bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sizes {
    /// (file name, bytes) for each mesh file the spec asks for.
    pub files: Vec<(&'static str, u64)>,
}

/// Estimated triangles of an explicit mesh of `struts` struts with `n`-sided rings.
pub(crate) fn estimate_triangles(struts: usize, n: usize) -> u64 {
    (struts as u64).saturating_mul(5 * n as u64)
}

/// The sizes of the files `outputs` asks for, for a mesh of `triangles` triangles of a
/// network of `struts` struts.
pub(crate) fn sizes(outputs: &RawOutputs, triangles: u64, struts: usize) -> Sizes {
    let struts = struts as u64;
    let mut files = Vec::new();
    if outputs.stl {
        files.push((
            "implant.stl",
            STL_PER_TRIANGLE
                .saturating_mul(triangles)
                .saturating_add(STL_HEADER),
        ));
    }
    if outputs.threemf {
        files.push((MESH_3MF, THREEMF_PER_TRIANGLE.saturating_mul(triangles)));
    }
    if outputs.beam_lattice {
        files.push((BEAMS_3MF, THREEMF_PER_BEAM.saturating_mul(struts)));
    }
    if outputs.step != Some(false) {
        files.push((STEP, STEP_PER_STRUT.saturating_mul(struts)));
    }
    Sizes { files }
}

/// The most triangles a mesh may have with every triangle file `outputs` asks for within
/// `outputs.max_file_mb` (no limit when it asks for none).
pub(crate) fn max_triangles(outputs: &RawOutputs) -> u64 {
    let limit = (outputs.max_file_mb * 1e6) as u64;
    let mut max = u64::MAX;
    if outputs.stl {
        max = max.min(limit.saturating_sub(STL_HEADER) / STL_PER_TRIANGLE);
    }
    if outputs.threemf {
        max = max.min(limit / THREEMF_PER_TRIANGLE);
    }
    max
}

/// The first file above `outputs.max_file_mb`, as (name, MB).
pub(crate) fn first_too_large(outputs: &RawOutputs, sizes: &Sizes) -> Option<(&'static str, f64)> {
    sizes
        .files
        .iter()
        .map(|&(name, bytes)| (name, bytes as f64 / 1e6))
        // A STEP file the spec did not ask for is left out when too large, never refused.
        .filter(|&(name, _)| name != STEP || outputs.step.is_some())
        .find(|&(_, mb)| mb > outputs.max_file_mb)
}

/// What would shrink a file that is too large. Every remedy works as stated: with the
/// beam-lattice-only outputs the build meshes nothing, so no mesh size applies.
pub(crate) fn how_to_shrink(file: &str) -> &'static str {
    match file {
        "implant.step" => {
            "turn STEP off (outputs: {step: false}) or use a larger cell_size (fewer struts)"
        }
        BEAMS_3MF => {
            "turn the beam lattice off (outputs: {beam_lattice: false}) or use a larger \
             cell_size (fewer struts)"
        }
        _ => {
            "raise mesh.chord_tolerance (fewer sides per strut: 0.1 gives 7), use a larger \
             cell_size (fewer struts), or, for beam-aware tools only (Netfabb, nTop; slicers \
             such as PrusaSlicer, Cura or Bambu Studio cannot read it), write just the beam \
             lattice implant.beams.3mf, which is not meshed at all (outputs: {stl: false, \
             threemf: false, beam_lattice: true, step: false})"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_outputs_asked_for() {
        let mut outputs = RawOutputs::default();
        let s = sizes(&outputs, 1000, 20);
        assert_eq!(
            s.files,
            vec![
                ("implant.stl", 84 + 50_000),
                ("implant.3mf", 16_000),
                ("implant.beams.3mf", 2_000),
                ("implant.step", 460_000),
            ]
        );
        outputs.stl = false;
        outputs.step = Some(false);
        outputs.beam_lattice = false;
        assert_eq!(
            sizes(&outputs, 1000, 20).files,
            vec![("implant.3mf", 16_000)]
        );
    }

    #[test]
    fn a_file_over_the_limit_is_named_with_its_size() {
        let mut outputs = RawOutputs {
            max_file_mb: 1.0,
            ..RawOutputs::default()
        };
        // 100 struts at n = 10: 5000 triangles, STL 0.25 MB, STEP 2.3 MB. A STEP file the
        // spec did not ask for is left out, not refused.
        let s = sizes(&outputs, estimate_triangles(100, 10), 100);
        assert_eq!(first_too_large(&outputs, &s), None);
        assert!(!writes_step(&outputs, 100));
        assert!(writes_step(&outputs, 40));
        outputs.step = Some(true);
        assert!(writes_step(&outputs, 100));
        let (name, mb) = first_too_large(&outputs, &s).unwrap();
        assert_eq!(name, "implant.step");
        assert!((mb - 2.3).abs() < 1e-9);
        assert!(how_to_shrink(name).contains("step: false"));
    }

    #[test]
    fn the_beam_lattice_remedy_names_the_file_and_outputs_that_skip_the_mesh() {
        let advice = how_to_shrink("implant.stl");
        assert_eq!(how_to_shrink("implant.3mf"), advice);
        for word in ["implant.beams.3mf", "Netfabb", "nTop", "beam-aware"] {
            assert!(advice.contains(word), "{advice}");
        }
        // The outputs it suggests parse as a spec's outputs and ask for the beams file only,
        // with no limit on a mesh (none is made).
        let start = advice.find("{stl").unwrap();
        let end = start + advice[start..].find('}').unwrap() + 1;
        let outputs: RawOutputs = serde_yaml::from_str(&advice[start..end]).unwrap();
        let s = sizes(&outputs, 1_000_000_000, 20);
        assert_eq!(s.files, vec![("implant.beams.3mf", 2_000)]);
        assert_eq!(max_triangles(&outputs), u64::MAX);
        assert!(how_to_shrink("implant.beams.3mf").contains("beam_lattice: false"));
    }
}
