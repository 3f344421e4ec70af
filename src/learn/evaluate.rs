//! How the networks are judged on labelled data they did not see: F's 21 constants for every
//! row's design, and G's single proposal for every row's stiffness, homogenized by FE; each
//! with per-component R² against the data's own FE constants, and the whole-tensor error
//! (relative Frobenius) per row beside Eq. 8's NMSE.
//!
//! Stiffness is normalized by E_b throughout (the dataset's convention).

use rayon::prelude::*;
use serde::Serialize;

use super::data::{LabelledDesigns, r_squared};
use super::{LearnError, Models};
use crate::design_space::{Design, Material, RangePolicy};
use crate::mechanics::{Voigt, frobenius_residuals, nmse};

/// The whole-tensor figures of a set of predictions against their truths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorSummary {
    /// Rows the figures are over.
    pub rows: usize,
    /// Smallest per-component R².
    pub min_r2: f64,
    /// Median relative Frobenius error ‖ΔC‖/‖C‖ (4th-order tensor norm).
    pub median_relative_error: f64,
    /// 90th percentile of the relative Frobenius error.
    pub p90_relative_error: f64,
    /// Median NMSE (Eq. 8 of Bastek et al.), reported beside, never used to pass.
    pub median_nmse: f64,
}

/// F's predictions for every row of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForwardEvaluation {
    /// F's 21 constants per row (normalized by E_b).
    pub predicted: Vec<[f64; 21]>,
    /// Per-component R² of `predicted` against the data's constants.
    pub r2: [f64; 21],
    /// Relative Frobenius error of each row's prediction.
    pub relative_error: Vec<f64>,
    /// Whole-tensor figures.
    pub summary: ErrorSummary,
}

/// G's proposal for every row's stiffness, with its FE stiffness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InverseEvaluation {
    /// G's design per row (one Gumbel draw).
    pub designs: Vec<Design>,
    /// The design's FE stiffness (normalized by E_b); `None` where it does not homogenize.
    pub fe: Vec<Option<[f64; 21]>>,
    /// Per-component R² of the FE stiffness against the row's target, over the rows whose
    /// design homogenizes.
    pub r2: [f64; 21],
    /// Relative Frobenius error of each row's FE stiffness against its target.
    pub relative_error: Vec<Option<f64>>,
    /// Whole-tensor figures over the rows whose design homogenizes.
    pub summary: ErrorSummary,
    /// Rows whose design does not homogenize (counted, not hidden).
    pub fe_failures: usize,
}

/// The relative Frobenius error of `predicted` against `truth` (4th-order tensor norm).
pub fn relative_error(truth: &[f64; 21], predicted: &[f64; 21]) -> f64 {
    frobenius_residuals(truth, predicted)
        .iter()
        .map(|r| r * r)
        .sum::<f64>()
        .sqrt()
}

fn voigt(c: &[f64; 21]) -> Voigt {
    let mut m = Voigt::zeros();
    for (k, (i, j)) in super::rotation::upper21().into_iter().enumerate() {
        m[(i, j)] = c[k];
        m[(j, i)] = c[k];
    }
    m
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The figures of `predicted` against `truth`, row by row.
pub fn summarize(predicted: &[[f64; 21]], truth: &[[f64; 21]]) -> ([f64; 21], ErrorSummary) {
    let r2 = r_squared(predicted, truth);
    let mut rel: Vec<f64> = truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| relative_error(t, p))
        .collect();
    let mut nm: Vec<f64> = truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| nmse(&voigt(t), &voigt(p)))
        .collect();
    rel.sort_by(f64::total_cmp);
    nm.sort_by(f64::total_cmp);
    let summary = ErrorSummary {
        rows: truth.len(),
        min_r2: r2.iter().copied().fold(f64::INFINITY, f64::min),
        median_relative_error: quantile(&rel, 0.5),
        p90_relative_error: quantile(&rel, 0.9),
        median_nmse: quantile(&nm, 0.5),
    };
    (r2, summary)
}

/// F's 21 constants for every row's design, with R² against the row's own constants.
///
/// # Errors
/// [`LearnError::Design`] when a design's rotation axis is zero or not finite.
pub fn evaluate_forward(
    models: &Models,
    data: &LabelledDesigns,
) -> Result<ForwardEvaluation, LearnError> {
    let predicted = models.predict(&data.designs)?;
    let (r2, summary) = summarize(&predicted, &data.c);
    let relative_error = data
        .c
        .iter()
        .zip(&predicted)
        .map(|(t, p)| relative_error(t, p))
        .collect();
    Ok(ForwardEvaluation {
        predicted,
        r2,
        relative_error,
        summary,
    })
}

/// The FE stiffness (normalized by E_b, default [`crate::fem::FemOptions`], ν = 0.3 as in the
/// datasets) of a design; `None` when it has no valid cell or does not homogenize.
pub fn fe_constants(d: &Design) -> Option<[f64; 21]> {
    let cell = d.cell(RangePolicy::Strict).ok()?;
    crate::fem::homogenize(
        &cell,
        &Material::default(),
        &crate::fem::FemOptions::default(),
    )
    .ok()
    .map(|h| h.stiffness.to_constants())
}

/// G's single proposal for every row's stiffness — one Gumbel draw at `temperature`, seeded
/// by `seed`; no polishing, no shape table, no refinement — homogenized by FE in parallel, with
/// R² against the row's constants. `done` is called once per homogenized row (for progress).
///
/// # Errors
/// [`LearnError::ModelFile`] when no inverse model is loaded, [`LearnError::BadTarget`] for a
/// non-finite constant.
pub fn evaluate_inverse(
    models: &Models,
    data: &LabelledDesigns,
    temperature: f64,
    seed: u64,
    done: &(dyn Fn() + Sync),
) -> Result<InverseEvaluation, LearnError> {
    let designs: Vec<Design> = models
        .propose(&data.c, 1, temperature, seed)?
        .into_iter()
        .map(|mut v| v.remove(0))
        .collect();
    let fe: Vec<Option<[f64; 21]>> = designs
        .par_iter()
        .map(|d| {
            let c = fe_constants(d);
            done();
            c
        })
        .collect();
    let (pred, truth): (Vec<[f64; 21]>, Vec<[f64; 21]>) = fe
        .iter()
        .zip(&data.c)
        .filter_map(|(f, t)| f.map(|f| (f, *t)))
        .unzip();
    let (r2, summary) = summarize(&pred, &truth);
    let relative_error = fe
        .iter()
        .zip(&data.c)
        .map(|(f, t)| f.map(|f| relative_error(t, &f)))
        .collect();
    Ok(InverseEvaluation {
        fe_failures: fe.iter().filter(|f| f.is_none()).count(),
        designs,
        fe,
        r2,
        relative_error,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_tensor_error_weighs_shear_terms_as_the_tensor_does() {
        let mut t = [0.0; 21];
        t[0] = 1.0;
        let mut p = t;
        p[15] = 0.1; // C44: a shear diagonal, weight 4 in the 4th-order norm.
        assert!((relative_error(&t, &p) - 0.2).abs() < 1e-12);
        assert_eq!(relative_error(&t, &t), 0.0);
    }

    #[test]
    fn summary_of_exact_predictions_is_perfect() {
        let rows: Vec<[f64; 21]> = (0..10)
            .map(|i| std::array::from_fn(|k| 1.0 + (i * 21 + k) as f64 * 0.01))
            .collect();
        let (r2, s) = summarize(&rows, &rows);
        assert!(r2.iter().all(|&r| r == 1.0));
        assert_eq!(s.median_relative_error, 0.0);
        assert_eq!(s.median_nmse, 0.0);
        assert_eq!(s.rows, 10);
    }
}
