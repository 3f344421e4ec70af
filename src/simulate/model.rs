//! The load frame (axis, end faces, cross-section) and the beam model with its plates.
//!
//! # Frame
//! The load axis `n` runs from the bottom end face (coordinate 0) to the top end face
//! (coordinate `L`, the domain's length along `n`). A box has end faces along each
//! coordinate axis; a cylinder only along its own axis; an STL envelope has none. Bending
//! turns the top plate about `b`, the axis after `n` in x → y → z → x order for a box (for a
//! cylinder: the coordinate axis least aligned with `n`, made perpendicular); its fibres
//! lie along `n × b`.
//!
//! # Plates
//! Nodes within [`FACE_TOLERANCE`] of an end face are tied to that face's rigid plate: all
//! six DOFs of every such node follow the plate (bonded platens: no slip across the axis).
//! Each plate moves rigidly about its face's centre `c`:
//! - axial: the bottom is clamped, the top translates by `−ε L n` (compression by the
//!   strain `ε`);
//! - bending: the plates turn by `∓θ/2` about `b` (relative rotation `θ = ε L / y_max`,
//!   `y_max` the outer fibre's distance from the axis, so a continuum bar's outer fibre sees
//!   the strain `ε`). Opposite end rotations of equal size and no relative translation
//!   carry no shear force: the bar is in pure bending, `M = E I θ / L` for a continuum;
//! - torsion: the bottom is clamped, the top turns by `θ n` with `θ = ε L / r_max` (`r_max`:
//!   the cylinder's radius, the box's smaller half-width — a continuum bar's outer shear
//!   strain `γ = ε`), `M = G J θ / L` for a continuum.
//!
//! A node at `x` on a plate gets `u = t + φ × (x − c)` and the rotation `φ`.
//!
//! # Struts
//! One exact Timoshenko element per strut with the geometric-mean radius `√(r_a r_b)`: the
//! frustum's exact axial compliance `L/(E π r_a r_b)`, and its bending and torsion to second
//! order in the taper. The stresses use each end's own radius ([`super::stress`]).

use nalgebra::{Point3, Vector3};
use serde::{Deserialize, Serialize};

use super::SimulateError;
use crate::fem::{FrameBeam, Prescribed};
use crate::network::{DomainShape, StrutNetwork};

/// Distance (mm) from an end face within which a node is tied to its plate. The beam
/// lattice stores coordinates to 1e-4 mm and trimmed struts end exactly on the faces.
pub const FACE_TOLERANCE: f64 = 1e-3;

/// The load case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadCase {
    /// Compression along the axis by a prescribed strain.
    Axial,
    /// A prescribed rotation of the top plate about the bending axis.
    Bending,
    /// A prescribed rotation of the top plate about the load axis.
    Torsion,
}

impl LoadCase {
    /// `axial`, `bending` or `torsion`.
    pub fn name(self) -> &'static str {
        match self {
            LoadCase::Axial => "axial",
            LoadCase::Bending => "bending",
            LoadCase::Torsion => "torsion",
        }
    }
}

/// A coordinate axis as the load axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AxisChoice {
    /// x.
    X,
    /// y.
    Y,
    /// z.
    Z,
}

impl AxisChoice {
    fn index(self) -> usize {
        match self {
            AxisChoice::X => 0,
            AxisChoice::Y => 1,
            AxisChoice::Z => 2,
        }
    }
}

/// The geometry of the load axis and the domain's cross-section (mm).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadFrame {
    /// `box` or `cylinder`.
    pub domain: &'static str,
    /// Centre of the bottom end face, mm.
    pub origin: [f64; 3],
    /// The unit load axis `n` (bottom → top).
    pub axis: [f64; 3],
    /// The unit bending axis `b` (perpendicular to `n`).
    pub bending_axis: [f64; 3],
    /// Length along the axis `L`, mm.
    pub length_mm: f64,
    /// Cross-section area `A`, mm².
    pub area_mm2: f64,
    /// Second moment of the cross-section about `b`, mm⁴.
    pub bending_inertia_mm4: f64,
    /// Torsion constant of the cross-section, mm⁴ (`πR⁴/2`; a rectangle's Saint-Venant
    /// constant `β a b³`).
    pub torsion_constant_mm4: f64,
    /// Outer-fibre distance in bending, mm.
    pub outer_fibre_mm: f64,
    /// Outer radius in torsion, mm.
    pub outer_radius_mm: f64,
}

impl LoadFrame {
    /// The unit axis as a vector.
    pub fn n(&self) -> Vector3<f64> {
        Vector3::from(self.axis)
    }

    /// The coordinate of `p` along the axis from the bottom face, mm.
    pub fn along(&self, p: &Point3<f64>) -> f64 {
        (p - Point3::from(self.origin)).dot(&self.n())
    }

    /// The top face's centre, mm.
    pub fn top_centre(&self) -> Point3<f64> {
        Point3::from(self.origin) + self.n() * self.length_mm
    }
}

/// The load frame of a domain along `axis` (default: the cylinder's axis, or z for a box).
///
/// # Errors
/// [`SimulateError::NoEndFaces`] for an envelope, or a cylinder loaded across its axis.
pub fn load_frame(
    domain: &DomainShape,
    axis: Option<AxisChoice>,
) -> Result<LoadFrame, SimulateError> {
    match domain {
        DomainShape::Box { min, max } => Ok(box_frame(min, max, axis.unwrap_or(AxisChoice::Z))),
        DomainShape::Cylinder {
            base,
            axis: a,
            radius,
            height,
        } => {
            let n = Vector3::from(*a).normalize();
            if let Some(c) = axis {
                let mut e = Vector3::zeros();
                e[c.index()] = 1.0;
                if e.dot(&n).abs() < 1.0 - 1e-9 {
                    return Err(SimulateError::NoEndFaces {
                        domain: "cylinder",
                        axis: e.into(),
                        hint: format!(
                            "a cylinder has flat ends only along its own axis {:?}; leave \
                             --axis out",
                            [n.x, n.y, n.z]
                        ),
                    });
                }
            }
            Ok(cylinder_frame(base, &n, *radius, *height))
        }
        DomainShape::Envelope { .. } => {
            let mut e = [0.0; 3];
            e[axis.unwrap_or(AxisChoice::Z).index()] = 1.0;
            Err(SimulateError::NoEndFaces {
                domain: "envelope",
                axis: e,
                hint: "an STL envelope has no flat end faces to tie plates to; simulate a box \
                       or cylinder part"
                    .into(),
            })
        }
    }
}

fn box_frame(min: &[f64; 3], max: &[f64; 3], axis: AxisChoice) -> LoadFrame {
    let i = axis.index();
    let (j, k) = ((i + 1) % 3, (i + 2) % 3);
    let w: [f64; 3] = std::array::from_fn(|c| max[c] - min[c]);
    let mut origin: [f64; 3] = std::array::from_fn(|c| 0.5 * (min[c] + max[c]));
    origin[i] = min[i];
    let (mut n, mut b) = ([0.0; 3], [0.0; 3]);
    n[i] = 1.0;
    b[j] = 1.0;
    // bending about b = e_j: fibres along n × b = ±e_k, of width w_j and depth w_k
    let (long, short) = (w[j].max(w[k]), w[j].min(w[k]));
    let r = short / long;
    let beta = 1.0 / 3.0 - 0.21 * r * (1.0 - r.powi(4) / 12.0);
    LoadFrame {
        domain: "box",
        origin,
        axis: n,
        bending_axis: b,
        length_mm: w[i],
        area_mm2: w[j] * w[k],
        bending_inertia_mm4: w[j] * w[k].powi(3) / 12.0,
        torsion_constant_mm4: beta * long * short.powi(3),
        outer_fibre_mm: 0.5 * w[k],
        outer_radius_mm: 0.5 * short,
    }
}

fn cylinder_frame(base: &[f64; 3], n: &Vector3<f64>, radius: f64, height: f64) -> LoadFrame {
    let mut helper = Vector3::zeros();
    helper[n.iamin()] = 1.0;
    let b = (helper - n * n.dot(&helper)).normalize();
    let r4 = radius.powi(4);
    LoadFrame {
        domain: "cylinder",
        origin: *base,
        axis: [n.x, n.y, n.z],
        bending_axis: [b.x, b.y, b.z],
        length_mm: height,
        area_mm2: std::f64::consts::PI * radius * radius,
        bending_inertia_mm4: std::f64::consts::FRAC_PI_4 * r4,
        torsion_constant_mm4: std::f64::consts::FRAC_PI_2 * r4,
        outer_fibre_mm: radius,
        outer_radius_mm: radius,
    }
}

/// The rigid motion of the top plate: translation `t` (mm) and rotation `φ` (rad) about the
/// top face's centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlateMotion {
    /// Translation, mm.
    pub translation: Vector3<f64>,
    /// Rotation vector, rad.
    pub rotation: Vector3<f64>,
}

impl PlateMotion {
    /// The motions of the (bottom, top) plates for `case` at strain `strain` (see the
    /// [module docs](self)).
    pub fn of(frame: &LoadFrame, case: LoadCase, strain: f64) -> (Self, Self) {
        let l = frame.length_mm;
        let zero = Vector3::zeros();
        let still = Self {
            translation: zero,
            rotation: zero,
        };
        match case {
            LoadCase::Axial => (
                still,
                Self {
                    translation: -frame.n() * strain * l,
                    rotation: zero,
                },
            ),
            LoadCase::Bending => {
                let half =
                    Vector3::from(frame.bending_axis) * (0.5 * strain * l / frame.outer_fibre_mm);
                (
                    Self {
                        translation: zero,
                        rotation: -half,
                    },
                    Self {
                        translation: zero,
                        rotation: half,
                    },
                )
            }
            LoadCase::Torsion => (
                still,
                Self {
                    translation: zero,
                    rotation: frame.n() * (strain * l / frame.outer_radius_mm),
                },
            ),
        }
    }

    /// The six DOF values of a plate node at `x` about the centre `c`.
    pub fn at(&self, x: &Point3<f64>, c: &Point3<f64>) -> [f64; 6] {
        let u = self.translation + self.rotation.cross(&(x - c));
        let r = self.rotation;
        [u.x, u.y, u.z, r.x, r.y, r.z]
    }
}

/// The beam model of a network: one element per strut (beam `i` is strut `i`), the nodes of
/// each end face, and the prescribed plate motions.
#[derive(Debug, Clone)]
pub struct Model {
    /// The beams (geometric-mean radius, see the [module docs](self)).
    pub beams: Vec<FrameBeam>,
    /// Nodes on the bottom face (clamped).
    pub bottom: Vec<u32>,
    /// Nodes on the top face (moved by `motion`).
    pub top: Vec<u32>,
    /// The bottom plate's motion (about `bottom_centre`).
    pub bottom_motion: PlateMotion,
    /// The top plate's motion (about `centre`).
    pub motion: PlateMotion,
    /// The point the bottom plate turns about (the bottom face's centre), mm.
    pub bottom_centre: Point3<f64>,
    /// The point the top plate turns about (the top face's centre), mm.
    pub centre: Point3<f64>,
    /// Every prescribed node: the bottom ones, then the top ones, moving with their plates.
    pub prescribed: Vec<Prescribed>,
}

/// Builds the model of `network` under `case` at strain `strain`.
///
/// # Errors
/// [`SimulateError::EmptyFace`] if no node lies on an end face.
pub fn build_model(
    network: &StrutNetwork,
    frame: &LoadFrame,
    case: LoadCase,
    strain: f64,
) -> Result<Model, SimulateError> {
    let used = used_nodes(network);
    let (mut bottom, mut top) = (Vec::new(), Vec::new());
    for (i, p) in network.nodes().iter().enumerate() {
        if !used[i] {
            continue;
        }
        let s = frame.along(p);
        if s.abs() <= FACE_TOLERANCE {
            bottom.push(i as u32);
        } else if (s - frame.length_mm).abs() <= FACE_TOLERANCE {
            top.push(i as u32);
        }
    }
    for (face, nodes, coordinate_mm) in [("bottom", &bottom, 0.0), ("top", &top, frame.length_mm)] {
        if nodes.is_empty() {
            return Err(SimulateError::EmptyFace {
                face,
                coordinate_mm,
                axis: frame.axis,
                tolerance_mm: FACE_TOLERANCE,
            });
        }
    }
    let (bottom_motion, motion) = PlateMotion::of(frame, case, strain);
    let c = frame.top_centre();
    let c0 = Point3::from(frame.origin);
    let nodes = network.nodes();
    let prescribed = bottom
        .iter()
        .map(|&node| Prescribed {
            node,
            values: bottom_motion.at(&nodes[node as usize], &c0),
        })
        .chain(top.iter().map(|&node| Prescribed {
            node,
            values: motion.at(&nodes[node as usize], &c),
        }))
        .collect();
    let beams = network
        .struts()
        .iter()
        .map(|s| FrameBeam {
            a: s.a.index() as u32,
            b: s.b.index() as u32,
            radius: (s.radius_a * s.radius_b).sqrt(),
        })
        .collect();
    Ok(Model {
        beams,
        bottom,
        top,
        bottom_motion,
        motion,
        bottom_centre: c0,
        centre: c,
        prescribed,
    })
}

/// Whether each node carries a strut.
pub(crate) fn used_nodes(network: &StrutNetwork) -> Vec<bool> {
    let mut used = vec![false; network.nodes().len()];
    for s in network.struts() {
        used[s.a.index()] = true;
        used[s.b.index()] = true;
    }
    used
}
