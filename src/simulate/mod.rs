//! The built implant verified whole: a linear Timoshenko-beam model of every written strut
//! between two rigid plates, its reactions, apparent modulus and strut stresses, against a
//! continuum estimate from the targets; and the same model as a CalculiX/Abaqus deck.
//!
//! # Pipeline
//! [`read_output`] reads a build folder (`implant.beams.3mf`: nodes and struts with per-end
//! radii; `report.json`: domain, base material, targets) → [`load_frame`] finds the load
//! axis, its end faces and the cross-section → [`build_model`] ties the end-face nodes to
//! the plates and prescribes the motion → [`crate::fem::solve_frame`] solves (faer sparse
//! Cholesky) → reactions, [`stress`] and [`predict`] → [`Simulation`].
//!
//! # Units and signs
//! mm, N, N·mm, MPa for stresses, GPa for moduli. The reaction is the force (moment) the top
//! plate applies along its prescribed motion: positive for a part that resists it. The
//! apparent stiffness is the reaction over the plate's displacement `εL` (N/mm) or rotation
//! (N·mm/rad); the apparent modulus is `k L / A` (axial), `k L / I` (bending) or `k L / J`
//! (torsion: a shear modulus), with the domain's cross-section ([`LoadFrame`]).
//!
//! # Scaling to a load
//! The model is linear: with a target force (moment) the solution at the prescribed strain
//! is scaled so that the reaction equals it; the strain, rotation, reactions and stresses
//! reported are the scaled ones.

mod error;
pub mod inp;
pub mod model;
pub mod predict;
pub mod read;
pub mod stress;

use std::time::Instant;

use nalgebra::Vector3;
use serde::Serialize;

pub use error::SimulateError;
pub use inp::{CALCULIX_DIAMETER_FACTOR, InpDialect, write_inp};
pub use model::{AxisChoice, LoadCase, LoadFrame, Model, build_model, load_frame};
pub use predict::{Prediction, ProfilePoint};
pub use read::{SimInput, Target, input_from_report, read_output};
pub use stress::{StressSummary, TI64_AS_BUILT_FATIGUE_MPA};

use crate::fem::{FemOptions, FrameSolution, Threads, solve_frame};

/// Options of a simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulateOptions {
    /// The load case (default axial).
    pub load: LoadCase,
    /// The load axis (default: the cylinder's axis, or z for a box).
    pub axis: Option<AxisChoice>,
    /// The prescribed strain `ε` (default 0.001): axial compression `εL`, or the plate
    /// rotation of [`model`]'s docs.
    pub strain: f64,
    /// Scale the solution to this reaction: N (axial) or N·mm (bending, torsion).
    pub target_load: Option<f64>,
    /// Fatigue strength compared against, MPa (default 200, Ti-6Al-4V as built, 10⁷ cycles).
    pub fatigue_strength_mpa: f64,
    /// Fraction of the fatigue strength that counts as highly stressed (default 0.5).
    pub fatigue_fraction: f64,
    /// Beam theory and shear correction (default Timoshenko, κ = 0.9).
    pub fem: FemOptions,
    /// Threads of the factorization (default the rayon pool).
    pub threads: Threads,
}

impl Default for SimulateOptions {
    fn default() -> Self {
        Self {
            load: LoadCase::Axial,
            axis: None,
            strain: 0.001,
            target_load: None,
            fatigue_strength_mpa: TI64_AS_BUILT_FATIGUE_MPA,
            fatigue_fraction: 0.5,
            fem: FemOptions::default(),
            threads: Threads::Pool,
        }
    }
}

/// Seconds spent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct SimulateTimings {
    /// Building the model (plates, prescribed motion).
    pub model: f64,
    /// Assembly, factorization and solve.
    pub solve: f64,
    /// Reactions, stresses and estimates.
    pub post: f64,
}

/// The result of a simulation (see the [module docs](self) for units and signs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// The load case.
    pub load_case: LoadCase,
    /// Load axis, end faces and cross-section.
    pub frame: LoadFrame,
    /// Network nodes.
    pub nodes: usize,
    /// Struts (one beam element each).
    pub struts: usize,
    /// Nodes tied to the bottom plate.
    pub bottom_plate_nodes: usize,
    /// Nodes tied to the top plate.
    pub top_plate_nodes: usize,
    /// Free DOFs of the solve.
    pub free_dofs: usize,
    /// Stored entries of the Cholesky factor.
    pub factor_entries: usize,
    /// Applied strain (after scaling to a target load).
    pub strain: f64,
    /// Plate displacement along the axis, mm (axial; 0 otherwise).
    pub plate_displacement_mm: f64,
    /// Plate rotation, rad (bending, torsion; 0 for axial).
    pub plate_rotation_rad: f64,
    /// Axial: the total reaction force, N (compression positive).
    pub reaction_force_n: Option<f64>,
    /// Bending / torsion: the total reaction moment about the plate's axis of rotation, N·mm.
    pub reaction_moment_nmm: Option<f64>,
    /// The total force on the top plate's nodes, N (global axes, the sign of `K u`).
    pub force_vector_n: [f64; 3],
    /// The total moment on the top plate's nodes about the top face's centre, N·mm.
    pub moment_vector_nmm: [f64; 3],
    /// Apparent stiffness: N/mm (axial) or N·mm/rad.
    pub apparent_stiffness: f64,
    /// Its unit.
    pub apparent_stiffness_unit: &'static str,
    /// Apparent modulus of the part, GPa.
    pub apparent_modulus_gpa: f64,
    /// Which modulus: `E along the axis` or `G about the axis`.
    pub modulus_kind: &'static str,
    /// The continuum estimate from the targets (`null` without targets).
    pub predicted: Option<Prediction>,
    /// Apparent over predicted modulus.
    pub apparent_over_predicted: Option<f64>,
    /// Apparent modulus of slabs along the axis (axial only), GPa.
    pub apparent_profile: Vec<ProfilePoint>,
    /// Strut stresses.
    pub stress: StressSummary,
    /// Largest axial + bending stress per strut, MPa (strut order; not in the JSON).
    #[serde(skip)]
    pub strut_stress_mpa: Vec<f64>,
    /// Timings, s.
    pub timings_s: SimulateTimings,
}

/// Validates the options.
///
/// # Errors
/// [`SimulateError::InvalidOption`] naming the option.
pub fn validate_options(o: &SimulateOptions) -> Result<(), SimulateError> {
    let bad = |field, value: f64, reason| {
        Err(SimulateError::InvalidOption {
            field,
            value: value.to_string(),
            reason,
        })
    };
    if !(o.strain.is_finite() && o.strain > 0.0 && o.strain < 0.1) {
        return bad(
            "strain",
            o.strain,
            "a strain in (0, 0.1): the model is linear",
        );
    }
    if let Some(f) = o.target_load
        && !(f.is_finite() && f > 0.0)
    {
        return bad("load", f, "a finite force (N) or moment (N·mm) > 0");
    }
    if !(o.fatigue_strength_mpa.is_finite() && o.fatigue_strength_mpa > 0.0) {
        return bad(
            "fatigue_strength_mpa",
            o.fatigue_strength_mpa,
            "a strength in MPa > 0",
        );
    }
    if !(o.fatigue_fraction.is_finite() && o.fatigue_fraction > 0.0) {
        return bad("fatigue_fraction", o.fatigue_fraction, "a fraction > 0");
    }
    Ok(())
}

/// Simulates a build's output folder.
///
/// # Errors
/// See [`read_output`] and [`simulate`].
pub fn simulate_folder(
    folder: &std::path::Path,
    options: &SimulateOptions,
) -> Result<(SimInput, Simulation), SimulateError> {
    let input = read_output(folder)?;
    let sim = simulate(&input, options)?;
    Ok((input, sim))
}

/// The load frame and beam model of an input.
///
/// # Errors
/// [`SimulateError::NoEndFaces`], [`SimulateError::EmptyFace`], bad options.
pub fn prepare(
    input: &SimInput,
    options: &SimulateOptions,
) -> Result<(LoadFrame, Model), SimulateError> {
    validate_options(options)?;
    let frame = load_frame(&input.domain, options.axis)?;
    let model = build_model(&input.network, &frame, options.load, options.strain)?;
    Ok((frame, model))
}

/// Simulates the network of `input` (see the [module docs](self)).
///
/// # Errors
/// Those of [`prepare`]; [`SimulateError::Fem`] for a floating piece or a mechanism.
pub fn simulate(input: &SimInput, options: &SimulateOptions) -> Result<Simulation, SimulateError> {
    let t0 = Instant::now();
    let (frame, model) = prepare(input, options)?;
    let t1 = Instant::now();
    let solution = solve_frame(
        input.network.nodes(),
        &model.beams,
        &model.prescribed,
        &input.material,
        &options.fem,
        options.threads,
    )?;
    let t2 = Instant::now();
    let mut sim = post_process(input, options, &frame, &model, &solution);
    sim.timings_s = SimulateTimings {
        model: (t1 - t0).as_secs_f64(),
        solve: (t2 - t1).as_secs_f64(),
        post: t2.elapsed().as_secs_f64(),
    };
    Ok(sim)
}

/// The total force and moment (about `centre`) on the top plate's nodes.
fn plate_totals(
    input: &SimInput,
    model: &Model,
    solution: &FrameSolution,
) -> (Vector3<f64>, Vector3<f64>) {
    let nodes = input.network.nodes();
    let mut on_top = vec![false; nodes.len()];
    for &i in &model.top {
        on_top[i as usize] = true;
    }
    let (mut force, mut moment) = (Vector3::zeros(), Vector3::zeros());
    for (b, f) in model.beams.iter().zip(&solution.end_forces) {
        for (k, node) in [b.a, b.b].into_iter().enumerate() {
            if on_top[node as usize] {
                let fk = Vector3::new(f[6 * k], f[6 * k + 1], f[6 * k + 2]);
                let mk = Vector3::new(f[6 * k + 3], f[6 * k + 4], f[6 * k + 5]);
                let arm: Vector3<f64> = nodes[node as usize] - model.centre;
                force += fk;
                moment += arm.cross(&fk) + mk;
            }
        }
    }
    (force, moment)
}

fn post_process(
    input: &SimInput,
    options: &SimulateOptions,
    frame: &LoadFrame,
    model: &Model,
    solution: &FrameSolution,
) -> Simulation {
    let (force, moment) = plate_totals(input, model, solution);
    let case = options.load;
    let l = frame.length_mm;
    let relative = model.motion.rotation - model.bottom_motion.rotation;
    let rotation = relative.norm();
    let (reaction, motion, section) = match case {
        LoadCase::Axial => (-force.dot(&frame.n()), options.strain * l, frame.area_mm2),
        LoadCase::Bending | LoadCase::Torsion => {
            let axis = relative / rotation;
            let section = if case == LoadCase::Bending {
                frame.bending_inertia_mm4
            } else {
                frame.torsion_constant_mm4
            };
            (moment.dot(&axis), rotation, section)
        }
    };
    let stiffness = reaction / motion;
    let modulus = stiffness * l / section / 1000.0;
    let scale = options.target_load.map_or(1.0, |f| f / reaction);
    let stresses: Vec<(f64, u8)> = stress::strut_stresses(&input.network, &solution.end_forces)
        .into_iter()
        .map(|(s, e)| (s * scale.abs(), e))
        .collect();
    let stress = stress::summarize(
        &input.network,
        &stresses,
        options.fatigue_strength_mpa,
        options.fatigue_fraction,
    );
    let predicted = predict::predict(&input.targets, frame, case);
    let apparent_profile = if case == LoadCase::Axial {
        let used = model::used_nodes(&input.network);
        predict::apparent_profile(
            input.network.nodes(),
            &solution.displacements,
            &used,
            frame,
            reaction,
        )
    } else {
        Vec::new()
    };
    let axial = case == LoadCase::Axial;
    Simulation {
        load_case: case,
        frame: frame.clone(),
        nodes: input.network.nodes().len(),
        struts: input.network.struts().len(),
        bottom_plate_nodes: model.bottom.len(),
        top_plate_nodes: model.top.len(),
        free_dofs: solution.free_dofs,
        factor_entries: solution.factor_entries,
        strain: options.strain * scale,
        plate_displacement_mm: if axial {
            options.strain * l * scale
        } else {
            0.0
        },
        plate_rotation_rad: if axial { 0.0 } else { rotation * scale },
        reaction_force_n: axial.then_some(reaction * scale),
        reaction_moment_nmm: (!axial).then_some(reaction * scale),
        force_vector_n: (force * scale).into(),
        moment_vector_nmm: (moment * scale).into(),
        apparent_stiffness: stiffness,
        apparent_stiffness_unit: if axial { "N/mm" } else { "N·mm/rad" },
        apparent_modulus_gpa: modulus,
        modulus_kind: predict::modulus_kind(case),
        apparent_over_predicted: predicted.as_ref().map(|p| modulus / p.modulus_gpa),
        predicted,
        apparent_profile,
        strut_stress_mpa: stresses.iter().map(|s| s.0).collect(),
        stress,
        timings_s: SimulateTimings::default(),
    }
}

#[cfg(test)]
mod tests;
