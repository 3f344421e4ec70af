//! The whole-part check after a build (`verify: {load_cases: [...]}` in the spec): each load
//! case is simulated on the built network ([`crate::simulate`], the same model as
//! `trussforge simulate`, on the network before its 3MF rounding), the results go into
//! `report.json` (`verify`), and with `outputs.plots` two pictures per case into `plots/`:
//! - `verify-<case>-stress.svg|png`: the struts coloured by their largest axial + bending
//!   stress (MPa);
//! - `verify-<case>-modulus.svg|png`: the apparent modulus of slabs along the load axis
//!   (axial only) beside the modulus the targets give there, GPa.
//!
//! A spec without `verify` runs none of this, and its files are unchanged.

use std::path::Path;

use super::{BuildError, BuildReport, FileReport};
use crate::network::StrutNetwork;
use crate::plot::{
    LatticeOverlay, LatticeView, ProfileCurve, lattice_values_png, lattice_values_svg, profile_png,
    profile_svg,
};
use crate::simulate::{
    LoadCase, SimulateOptions, Simulation, input_from_report, predict::interpolate, simulate,
};
use crate::spec::Spec;

/// Simulates each of the spec's load cases on `network`; returns the results and the plot
/// files written into `dir/plots/` (none without `outputs.plots`).
///
/// # Errors
/// [`BuildError::Verify`] when a simulation fails, [`BuildError::Io`] when a picture cannot
/// be written.
pub(super) fn verify(
    spec: &Spec,
    network: &StrutNetwork,
    report: &BuildReport,
    dir: &Path,
) -> Result<(Vec<Simulation>, Vec<FileReport>), BuildError> {
    let text = serde_json::to_string(report).expect("report serializes");
    let report_path = dir.join("report.json");
    let input = input_from_report(network.clone(), &text, &report_path).map_err(|source| {
        BuildError::Verify {
            case: spec.verify.first().map_or("axial", |c| c.name()),
            source,
        }
    })?;
    let mut results = Vec::with_capacity(spec.verify.len());
    let mut files = Vec::new();
    for &case in &spec.verify {
        let options = SimulateOptions {
            load: case,
            ..SimulateOptions::default()
        };
        let sim = simulate(&input, &options).map_err(|source| BuildError::Verify {
            case: case.name(),
            source,
        })?;
        if spec.outputs.plots {
            files.extend(write_plots(spec, network, &sim, dir)?);
        }
        results.push(sim);
    }
    Ok((results, files))
}

/// The stress picture and (axial) the modulus profile of one simulation.
fn write_plots(
    spec: &Spec,
    network: &StrutNetwork,
    sim: &Simulation,
    dir: &Path,
) -> Result<Vec<FileReport>, BuildError> {
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).map_err(BuildError::io(&plots))?;
    let struts = network.struts().len();
    let case = sim.load_case.name();
    let mut files = Vec::new();
    let mut write = |name: String, bytes: &[u8]| -> Result<(), BuildError> {
        let path = plots.join(&name);
        crate::fsutil::atomic_write_bytes(&path, bytes).map_err(BuildError::io(&path))?;
        files.push(FileReport::of(dir, &format!("plots/{name}"), struts));
        Ok(())
    };
    let title = format!(
        "{}: {case}, largest stress {:.0} MPa",
        spec.name, sim.stress.max_mpa
    );
    let view = LatticeView::default();
    let overlay = LatticeOverlay::default();
    let label = ["stress", "[MPa]"];
    let values = &sim.strut_stress_mpa;
    write(
        format!("verify-{case}-stress.svg"),
        lattice_values_svg(network, values, label, &title, &view, &overlay).as_bytes(),
    )?;
    write(
        format!("verify-{case}-stress.png"),
        &lattice_values_png(network, values, label, &title, &view, &overlay),
    )?;
    if sim.load_case == LoadCase::Axial {
        let curves = profile_curves(sim);
        let title = format!(
            "{}: apparent {:.2} GPa vs target {} along the axis",
            spec.name,
            sim.apparent_modulus_gpa,
            sim.predicted
                .as_ref()
                .map_or("(none)".to_string(), |p| format!(
                    "{:.2} GPa",
                    p.modulus_gpa
                ))
        );
        let x_label = "position along the load axis [mm]";
        write(
            format!("verify-{case}-modulus.svg"),
            profile_svg(&title, x_label, &curves).as_bytes(),
        )?;
        write(
            format!("verify-{case}-modulus.png"),
            &profile_png(&title, x_label, &curves),
        )?;
    }
    Ok(files)
}

/// The apparent slab moduli and, with targets, the interpolated target modulus at the same
/// positions and at the targets themselves.
fn profile_curves(sim: &Simulation) -> Vec<ProfileCurve> {
    let apparent: Vec<(f64, f64)> = sim
        .apparent_profile
        .iter()
        .map(|p| (p.position_mm, p.modulus_gpa))
        .collect();
    let mut curves = vec![ProfileCurve {
        label: "apparent (beam FE, slabs)".into(),
        points: apparent.clone(),
    }];
    if let Some(p) = &sim.predicted {
        let mut points: Vec<(f64, f64)> = apparent
            .iter()
            .map(|&(s, _)| (s, interpolate(&p.targets, s)))
            .chain(p.targets.iter().map(|t| (t.position_mm, t.modulus_gpa)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        curves.push(ProfileCurve {
            label: "target (interpolated)".into(),
            points,
        });
    }
    curves
}
