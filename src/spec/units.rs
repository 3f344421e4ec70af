//! Units a spec may use, converted to the engine's (mm, GPa) on reading.

/// Length units: name and size in millimetres.
pub const LENGTH_UNITS: [(&str, f64); 4] = [("mm", 1.0), ("cm", 10.0), ("m", 1000.0), ("um", 1e-3)];

/// Stiffness units: name and size in GPa.
pub const STIFFNESS_UNITS: [(&str, f64); 3] = [("GPa", 1.0), ("MPa", 1e-3), ("Pa", 1e-9)];

/// The factor to millimetres of a length unit.
pub fn length_factor(name: &str) -> Option<f64> {
    LENGTH_UNITS
        .iter()
        .find(|(n, _)| *n == name || (name == "µm" && *n == "um"))
        .map(|u| u.1)
}

/// The factor to GPa of a stiffness unit.
pub fn stiffness_factor(name: &str) -> Option<f64> {
    STIFFNESS_UNITS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|u| u.1)
}

/// The accepted names, for messages.
pub fn names(units: &[(&str, f64)]) -> String {
    units.iter().map(|u| u.0).collect::<Vec<_>>().join(", ")
}
