//! The domains the graded-spec suite draws: cylinders, boxes and closed envelope STLs
//! (ellipsoids, tapered shafts), each with a long axis along which control points are placed.

use rand::Rng;

/// A domain as a user would write it, with the frame the control points are placed in.
#[derive(Debug, Clone)]
pub enum Shape {
    /// `domain.cylinder`, axis through `base` along the unit `axis`, mm.
    Cylinder {
        base: [f64; 3],
        axis: [f64; 3],
        radius: f64,
        height: f64,
    },
    /// `domain.box`, the long side along `long` (0, 1 or 2), mm.
    Box { size: [f64; 3], long: usize },
    /// `domain.envelope`: an ellipsoid centred at `(0, 0, c)` with semi-axes `a, b, c`, mm.
    Ellipsoid { a: f64, b: f64, c: f64 },
    /// `domain.envelope`: a frustum along z from radius `r0` at 0 to `r1` at `length`, mm.
    TaperedShaft { r0: f64, r1: f64, length: f64 },
}

impl Shape {
    /// A random domain of the suite's ranges.
    pub fn draw(rng: &mut impl Rng) -> Self {
        match rng.random_range(0..100) {
            0..45 => {
                let axis = match rng.random_range(0..4) {
                    0 => [1.0, 0.0, 0.0],
                    1 => normalized([0.25, -0.15, 1.0]),
                    _ => [0.0, 0.0, 1.0],
                };
                Self::Cylinder {
                    base: [0.0, 0.0, 0.0],
                    axis,
                    radius: round(rng.random_range(6.0..=15.0), 0.5),
                    height: round(rng.random_range(30.0..=90.0), 1.0),
                }
            }
            45..75 => Self::Box {
                size: [
                    round(rng.random_range(15.0..=40.0), 1.0),
                    round(rng.random_range(15.0..=40.0), 1.0),
                    round(rng.random_range(30.0..=90.0), 1.0),
                ],
                long: 2,
            },
            75..88 => Self::Ellipsoid {
                a: round(rng.random_range(8.0..=15.0), 0.5),
                b: round(rng.random_range(8.0..=15.0), 0.5),
                c: round(rng.random_range(18.0..=45.0), 0.5),
            },
            _ => {
                let r0 = round(rng.random_range(8.0..=15.0), 0.5);
                Self::TaperedShaft {
                    r0,
                    r1: round(r0 * rng.random_range(0.55..=0.9), 0.5),
                    length: round(rng.random_range(40.0..=90.0), 1.0),
                }
            }
        }
    }

    /// Length along the long axis, mm.
    pub fn length(&self) -> f64 {
        match *self {
            Self::Cylinder { height, .. } => height,
            Self::Box { size, long } => size[long],
            Self::Ellipsoid { c, .. } => 2.0 * c,
            Self::TaperedShaft { length, .. } => length,
        }
    }

    /// The axial range control points may use (distance from the start of the long axis), mm.
    pub fn usable(&self) -> (f64, f64) {
        let l = self.length();
        match self {
            Self::Ellipsoid { .. } => (0.2 * l, 0.8 * l),
            _ => (4.0, l - 4.0),
        }
    }

    /// Radius of the largest disc about the axis at axial position `t` (mm) inside the shape.
    pub fn lateral(&self, t: f64) -> f64 {
        match *self {
            Self::Cylinder { radius, .. } => radius,
            Self::Box { size, long } => (0..3)
                .filter(|&k| k != long)
                .map(|k| size[k] / 2.0)
                .fold(f64::INFINITY, f64::min),
            Self::Ellipsoid { a, b, c } => a.min(b) * (1.0 - ((t - c) / c).powi(2)).max(0.0).sqrt(),
            Self::TaperedShaft { r0, r1, length } => r0 + (r1 - r0) * t / length,
        }
    }

    /// The point at axial position `t` with lateral offset `(x, y)` in the axis' frame, mm.
    pub fn place(&self, t: f64, x: f64, y: f64) -> [f64; 3] {
        match *self {
            Self::Cylinder { base, axis, .. } => {
                let (e1, e2) = frame(axis);
                std::array::from_fn(|k| base[k] + t * axis[k] + x * e1[k] + y * e2[k])
            }
            Self::Box { size, long } => {
                let lateral: Vec<usize> = (0..3).filter(|&k| k != long).collect();
                let mut p = [0.0; 3];
                p[long] = t;
                p[lateral[0]] = size[lateral[0]] / 2.0 + x;
                p[lateral[1]] = size[lateral[1]] / 2.0 + y;
                p
            }
            Self::Ellipsoid { .. } | Self::TaperedShaft { .. } => [x, y, t],
        }
    }

    /// The smallest extent of the bounding box, mm (the default `max_cell_size` is a third).
    pub fn smallest_extent(&self) -> f64 {
        match *self {
            Self::Cylinder {
                axis,
                radius,
                height,
                ..
            } => {
                // Bounding box of a cylinder: per axis, |a_k|·h + 2r·sqrt(1 − a_k²).
                (0..3)
                    .map(|k| {
                        axis[k].abs() * height
                            + 2.0 * radius * (1.0 - axis[k].powi(2)).max(0.0).sqrt()
                    })
                    .fold(f64::INFINITY, f64::min)
            }
            Self::Box { size, .. } => size.iter().copied().fold(f64::INFINITY, f64::min),
            Self::Ellipsoid { a, b, c } => 2.0 * a.min(b).min(c),
            Self::TaperedShaft { r0, r1, length } => (2.0 * r0.max(r1)).min(length),
        }
    }

    /// The spec's `domain:` block (two lines), and the envelope STL it names, if any.
    pub fn yaml(&self, stl_name: &str) -> (String, Option<Vec<u8>>) {
        match *self {
            Self::Cylinder {
                base,
                axis,
                radius,
                height,
            } => (
                format!(
                    "domain:\n  cylinder: {{base: {}, axis: {}, radius: {radius}, height: {height}}}\n",
                    list(&base),
                    list(&axis)
                ),
                None,
            ),
            Self::Box { size, .. } => (
                format!("domain:\n  box: {{min: [0, 0, 0], max: {}}}\n", list(&size)),
                None,
            ),
            Self::Ellipsoid { .. } | Self::TaperedShaft { .. } => (
                format!("domain:\n  envelope: {{stl: {stl_name}}}\n"),
                Some(binary_stl(&self.triangles())),
            ),
        }
    }

    /// A one-line description for the bench table.
    pub fn describe(&self) -> String {
        match *self {
            Self::Cylinder {
                radius,
                height,
                axis,
                ..
            } => {
                let tilt = if axis == [0.0, 0.0, 1.0] {
                    ""
                } else {
                    " (tilted axis)"
                };
                format!("cylinder Ø{:.0} × {height:.0}{tilt}", 2.0 * radius)
            }
            Self::Box { size, .. } => {
                format!("box {:.0} × {:.0} × {:.0}", size[0], size[1], size[2])
            }
            Self::Ellipsoid { a, b, c } => {
                format!(
                    "ellipsoid STL {:.0} × {:.0} × {:.0}",
                    2.0 * a,
                    2.0 * b,
                    2.0 * c
                )
            }
            Self::TaperedShaft { r0, r1, length } => {
                format!(
                    "tapered shaft STL Ø{:.0}–{:.0} × {length:.0}",
                    2.0 * r0,
                    2.0 * r1
                )
            }
        }
    }

    /// The closed, outward-oriented triangulation of an envelope shape, mm.
    fn triangles(&self) -> Vec<[[f64; 3]; 3]> {
        let (points, faces, centre) = match *self {
            Self::Ellipsoid { a, b, c } => {
                let (p, f) = uv_sphere(48, 24);
                let p = p
                    .into_iter()
                    .map(|q| [a * q[0], b * q[1], c + c * q[2]])
                    .collect();
                (p, f, [0.0, 0.0, c])
            }
            Self::TaperedShaft { r0, r1, length } => {
                let (p, f) = frustum(64, r0, r1, length);
                (p, f, [0.0, 0.0, length / 2.0])
            }
            _ => return Vec::new(),
        };
        faces
            .into_iter()
            .map(|[i, j, k]| outward([points[i], points[j], points[k]], centre))
            .collect()
    }
}

/// The triangle oriented so that its normal points away from `centre` (convex shapes only).
fn outward(t: [[f64; 3]; 3], centre: [f64; 3]) -> [[f64; 3]; 3] {
    let n = normal(&t);
    let c: [f64; 3] = std::array::from_fn(|k| (t[0][k] + t[1][k] + t[2][k]) / 3.0 - centre[k]);
    if (0..3).map(|k| n[k] * c[k]).sum::<f64>() < 0.0 {
        [t[0], t[2], t[1]]
    } else {
        t
    }
}

fn normal(t: &[[f64; 3]; 3]) -> [f64; 3] {
    let u: [f64; 3] = std::array::from_fn(|k| t[1][k] - t[0][k]);
    let v: [f64; 3] = std::array::from_fn(|k| t[2][k] - t[0][k]);
    normalized([
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ])
}

type Mesh = (Vec<[f64; 3]>, Vec<[usize; 3]>);

/// The unit sphere: `slices` around, `stacks` from pole to pole, one vertex per pole.
fn uv_sphere(slices: usize, stacks: usize) -> Mesh {
    let mut points = vec![[0.0, 0.0, -1.0]];
    for s in 1..stacks {
        let phi = std::f64::consts::PI * s as f64 / stacks as f64;
        for k in 0..slices {
            let theta = std::f64::consts::TAU * k as f64 / slices as f64;
            points.push([phi.sin() * theta.cos(), phi.sin() * theta.sin(), -phi.cos()]);
        }
    }
    points.push([0.0, 0.0, 1.0]);
    let ring = |s: usize, k: usize| 1 + (s - 1) * slices + k % slices;
    let top = points.len() - 1;
    let mut faces = Vec::new();
    for k in 0..slices {
        faces.push([0, ring(1, k), ring(1, k + 1)]);
        faces.push([top, ring(stacks - 1, k + 1), ring(stacks - 1, k)]);
        for s in 1..stacks - 1 {
            faces.push([ring(s, k), ring(s + 1, k), ring(s + 1, k + 1)]);
            faces.push([ring(s, k), ring(s + 1, k + 1), ring(s, k + 1)]);
        }
    }
    (points, faces)
}

/// A closed frustum along z, `segments` around, caps fanned about their centres.
fn frustum(segments: usize, r0: f64, r1: f64, length: f64) -> Mesh {
    let mut points = vec![[0.0, 0.0, 0.0], [0.0, 0.0, length]];
    for (r, z) in [(r0, 0.0), (r1, length)] {
        for k in 0..segments {
            let theta = std::f64::consts::TAU * k as f64 / segments as f64;
            points.push([r * theta.cos(), r * theta.sin(), z]);
        }
    }
    let bottom = |k: usize| 2 + k % segments;
    let top = |k: usize| 2 + segments + k % segments;
    let mut faces = Vec::new();
    for k in 0..segments {
        faces.push([0, bottom(k + 1), bottom(k)]);
        faces.push([1, top(k), top(k + 1)]);
        faces.push([bottom(k), bottom(k + 1), top(k + 1)]);
        faces.push([bottom(k), top(k + 1), top(k)]);
    }
    (points, faces)
}

/// A binary STL (80-byte header, count, 50 bytes a triangle).
fn binary_stl(triangles: &[[[f64; 3]; 3]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(84 + 50 * triangles.len());
    let mut header =
        *b"trussforge bench graded envelope                                                ";
    header[79] = b' ';
    out.extend_from_slice(&header);
    out.extend_from_slice(
        &u32::try_from(triangles.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    for t in triangles {
        let n = normal(t);
        for v in std::iter::once(&n).chain(t.iter()) {
            for x in v {
                out.extend_from_slice(&(*x as f32).to_le_bytes());
            }
        }
        out.extend_from_slice(&[0, 0]);
    }
    out
}

fn frame(axis: [f64; 3]) -> ([f64; 3], [f64; 3]) {
    let helper = if axis[0].abs() < 0.9 {
        [1.0, 0.0, 0.0]
    } else {
        [0.0, 1.0, 0.0]
    };
    let cross = |a: [f64; 3], b: [f64; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let e1 = normalized(cross(axis, helper));
    (e1, cross(axis, e1))
}

fn normalized(v: [f64; 3]) -> [f64; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    v.map(|x| x / n)
}

/// `x` rounded to a multiple of `step`.
pub fn round(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

/// `[a, b, c]` with short decimals.
pub fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| short(*x)).collect();
    format!("[{}]", items.join(", "))
}

/// A number with at most 4 decimals, trailing zeros dropped.
pub fn short(x: f64) -> String {
    let s = format!("{:.4}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}
