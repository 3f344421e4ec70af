//! The dataset CSV format.
//!
//! Columns, in order (the schema of the paper's public training set, then extras):
//! `relative_density,U1,U2,U3,lattice_type1..3,lattice_rep1..3,R1_theta,R1_rot_ax1,R1_rot_ax2,
//! R2_theta,R2_rot_ax1,R2_rot_ax2,V1,V2,V3,C11..C66` (21, the stiffness of the full design,
//! normalized by E), then `Cort11,Cort12,Cort13,Cort22,Cort23,Cort33,Cort44,Cort55,Cort66` (the
//! orthotropic stiffness of the cell `U·X` before `R_I, V, R_II`: what network F1 learns),
//! `Chat11..Chat66` (21, the cell `V·R_I·U·X` before `R_II`: what F2 learns) and `row` (the
//! row's index in the generating sequence, for merging shards).
//!
//! A rotation is the angle θ (radians) about the unit axis `(n1, n2, +√(1−n1²−n2²))`; the
//! columns hold θ, n1, n2. Numbers are written in Rust's shortest round-trip form, so a row
//! reads back bit-identical.

use crate::design_space::{AxisAngle, Design, LatticeChoice, Topology};

/// Voigt index pairs (1-based) of the 21 constants, upper triangle row by row.
pub fn voigt21_names(prefix: &str) -> Vec<String> {
    let mut v = Vec::with_capacity(21);
    for i in 1..=6 {
        for j in i..=6 {
            v.push(format!("{prefix}{i}{j}"));
        }
    }
    v
}

/// The 9 orthotropic constants' positions in the 21-vector and their names.
pub const ORTHOTROPIC: [(usize, &str); 9] = [
    (0, "Cort11"),
    (1, "Cort12"),
    (2, "Cort13"),
    (6, "Cort22"),
    (7, "Cort23"),
    (11, "Cort33"),
    (15, "Cort44"),
    (18, "Cort55"),
    (20, "Cort66"),
];

/// The header line (without newline).
pub fn header() -> String {
    let mut cols: Vec<String> = ["relative_density", "U1", "U2", "U3"]
        .map(String::from)
        .to_vec();
    cols.extend((1..=3).map(|i| format!("lattice_type{i}")));
    cols.extend((1..=3).map(|i| format!("lattice_rep{i}")));
    for r in ["R1", "R2"] {
        cols.extend([
            format!("{r}_theta"),
            format!("{r}_rot_ax1"),
            format!("{r}_rot_ax2"),
        ]);
    }
    cols.extend(["V1", "V2", "V3"].map(String::from));
    cols.extend(voigt21_names("C"));
    cols.extend(ORTHOTROPIC.map(|(_, n)| n.to_string()));
    cols.extend(voigt21_names("Chat"));
    cols.push("row".into());
    cols.join(",")
}

/// One dataset row: the design and its three homogenized stiffnesses (normalized by E).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Index in the generating sequence.
    pub row: u64,
    /// The design.
    pub design: Design,
    /// 21 constants of the full design.
    pub c: [f64; 21],
    /// 21 constants of the `U·X` cell (orthotropic; 9 are written).
    pub c_ort: [f64; 21],
    /// 21 constants of the `V·R_I·U·X` cell.
    pub c_hat: [f64; 21],
}

fn rotation_columns(r: &AxisAngle) -> [f64; 3] {
    let n = r.normalized();
    [n.angle_deg.to_radians(), n.axis[0], n.axis[1]]
}

impl Row {
    /// The CSV line (without newline).
    pub fn to_line(&self) -> String {
        let d = &self.design;
        let t = d.topology.choices();
        let mut v: Vec<String> = vec![d.relative_density.to_string()];
        v.extend(d.u.iter().map(f64::to_string));
        v.extend(t.iter().map(|c| c.lattice.to_string()));
        v.extend(t.iter().map(|c| c.tessellation.to_string()));
        v.extend(rotation_columns(&d.r1).iter().map(f64::to_string));
        v.extend(rotation_columns(&d.r2).iter().map(f64::to_string));
        v.extend(d.v.iter().map(f64::to_string));
        v.extend(self.c.iter().map(f64::to_string));
        v.extend(ORTHOTROPIC.iter().map(|&(k, _)| self.c_ort[k].to_string()));
        v.extend(self.c_hat.iter().map(f64::to_string));
        v.push(self.row.to_string());
        v.join(",")
    }
}

/// Why the design columns of a row do not make a design.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DesignFieldsError {
    /// The row is shorter than the 19 design columns.
    #[error("a row needs at least 19 design columns, got {found}")]
    TooFewColumns {
        /// Columns in the row.
        found: usize,
    },
    /// The lattice or tessellation columns name no valid topology.
    #[error(transparent)]
    Topology(#[from] crate::design_space::DesignError),
}

/// The design columns of a row parsed back into a design (angles from radians).
///
/// # Errors
/// [`DesignFieldsError`] when columns are missing or the topology columns are invalid.
pub fn design_from_fields(fields: &[f64]) -> Result<Design, DesignFieldsError> {
    if fields.len() < 19 {
        return Err(DesignFieldsError::TooFewColumns {
            found: fields.len(),
        });
    }
    let axis = |n1: f64, n2: f64| [n1, n2, (1.0 - n1 * n1 - n2 * n2).max(0.0).sqrt()];
    let choices: Vec<LatticeChoice> = (0..3)
        .map(|i| LatticeChoice {
            lattice: fields[4 + i] as u8,
            tessellation: fields[7 + i] as u8,
        })
        .collect();
    Ok(Design {
        topology: Topology::try_new(&choices)?,
        relative_density: fields[0],
        u: [fields[1], fields[2], fields[3]],
        r1: AxisAngle {
            axis: axis(fields[11], fields[12]),
            angle_deg: fields[10].to_degrees(),
        },
        r2: AxisAngle {
            axis: axis(fields[14], fields[15]),
            angle_deg: fields[13].to_degrees(),
        },
        v: [fields[16], fields[17], fields[18]],
    })
}
