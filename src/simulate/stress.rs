//! Strut stresses: the largest axial + bending normal stress of each strut, a histogram
//! against the fatigue strength, and the share of struts above a fraction of it.
//!
//! At each end of a strut (unit axis `t`, end radius `r`, the element's end force `F` and
//! moment `M` in global axes) the axial force is `N = F·t` and the bending moment
//! `M_b = |M − (M·t) t|`; the largest normal stress in that section is
//! `σ = |N|/(πr²) + 4 M_b/(πr³)` (MPa for N and mm). Torsional shear is not included. The
//! strut's stress is the larger of its two ends (for a linear taper the bending moment is
//! linear along the strut and the section smallest at one end, so the extreme lies at an
//! end to within the taper's second-order terms).

use nalgebra::Vector3;
use serde::Serialize;

use crate::network::StrutNetwork;

/// Ti-6Al-4V as built by laser powder-bed fusion, fatigue strength at 10⁷ cycles, MPa
/// (as-built surfaces, R = 0.1; the literature spans roughly 150–250 MPa).
pub const TI64_AS_BUILT_FATIGUE_MPA: f64 = 200.0;

/// Upper edges of the histogram bins as fractions of the fatigue strength; a last bin holds
/// everything above 1.
pub const HISTOGRAM_EDGES: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// One histogram bin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramBin {
    /// Lower edge, fraction of the fatigue strength.
    pub from_fraction: f64,
    /// Upper edge (`null`: unbounded).
    pub to_fraction: Option<f64>,
    /// Struts in the bin.
    pub struts: usize,
}

/// The stress figures of a load case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressSummary {
    /// The largest axial + bending stress, MPa.
    pub max_mpa: f64,
    /// The strut where it occurs.
    pub max_strut: usize,
    /// Its position: the strut end where it occurs, mm.
    pub max_location_mm: [f64; 3],
    /// Mean over the struts of their largest stress, MPa.
    pub mean_mpa: f64,
    /// The fatigue strength compared against, MPa.
    pub fatigue_strength_mpa: f64,
    /// The fraction of it that counts as highly stressed.
    pub fatigue_fraction: f64,
    /// Share of struts above `fatigue_fraction × fatigue_strength_mpa` (0..1).
    pub share_above_fraction: f64,
    /// Share of struts above the fatigue strength (0..1).
    pub share_above_strength: f64,
    /// Struts per bin of stress / fatigue strength.
    pub histogram: Vec<HistogramBin>,
}

/// The largest normal stress of each strut (MPa) and the end (0 = `a`, 1 = `b`) where it
/// occurs, from the element end forces `(F_a, M_a, F_b, M_b)` (N, N·mm) in strut order.
pub fn strut_stresses(network: &StrutNetwork, end_forces: &[[f64; 12]]) -> Vec<(f64, u8)> {
    let nodes = network.nodes();
    network
        .struts()
        .iter()
        .zip(end_forces)
        .map(|(s, f)| {
            let t = (nodes[s.b.index()] - nodes[s.a.index()]).normalize();
            let end = |k: usize, r: f64| {
                let force = Vector3::new(f[6 * k], f[6 * k + 1], f[6 * k + 2]);
                let moment = Vector3::new(f[6 * k + 3], f[6 * k + 4], f[6 * k + 5]);
                section_stress(&force, &moment, &t, r)
            };
            let (sa, sb) = (end(0, s.radius_a), end(1, s.radius_b));
            if sb > sa { (sb, 1) } else { (sa, 0) }
        })
        .collect()
}

/// `|N|/(πr²) + 4 M_b/(πr³)` for a section of radius `r` with axis `t`.
pub fn section_stress(
    force: &Vector3<f64>,
    moment: &Vector3<f64>,
    t: &Vector3<f64>,
    r: f64,
) -> f64 {
    let axial = force.dot(t).abs();
    let bending = (moment - t * moment.dot(t)).norm();
    let pi = std::f64::consts::PI;
    axial / (pi * r * r) + 4.0 * bending / (pi * r * r * r)
}

/// The summary of per-strut stresses (MPa).
///
/// # Panics
/// If `stresses` is empty (a model always has struts).
pub fn summarize(
    network: &StrutNetwork,
    stresses: &[(f64, u8)],
    fatigue_strength_mpa: f64,
    fatigue_fraction: f64,
) -> StressSummary {
    assert!(!stresses.is_empty(), "no struts");
    let (max_strut, &(max_mpa, end)) = stresses
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
        .expect("non-empty");
    let s = network.struts()[max_strut];
    let p = network.nodes()[if end == 0 { s.a } else { s.b }.index()];
    let count = stresses.len() as f64;
    let above = |limit: f64| stresses.iter().filter(|x| x.0 > limit).count() as f64 / count;
    let mut histogram: Vec<HistogramBin> = HISTOGRAM_EDGES
        .iter()
        .enumerate()
        .map(|(i, &to)| HistogramBin {
            from_fraction: if i == 0 { 0.0 } else { HISTOGRAM_EDGES[i - 1] },
            to_fraction: Some(to),
            struts: 0,
        })
        .collect();
    histogram.push(HistogramBin {
        from_fraction: 1.0,
        to_fraction: None,
        struts: 0,
    });
    for &(sigma, _) in stresses {
        let f = sigma / fatigue_strength_mpa;
        let bin = HISTOGRAM_EDGES
            .iter()
            .position(|&e| f <= e)
            .unwrap_or(HISTOGRAM_EDGES.len());
        histogram[bin].struts += 1;
    }
    StressSummary {
        max_mpa,
        max_strut,
        max_location_mm: [p.x, p.y, p.z],
        mean_mpa: stresses.iter().map(|x| x.0).sum::<f64>() / count,
        fatigue_strength_mpa,
        fatigue_fraction,
        share_above_fraction: above(fatigue_fraction * fatigue_strength_mpa),
        share_above_strength: above(fatigue_strength_mpa),
        histogram,
    }
}
