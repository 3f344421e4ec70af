//! Tests of the plot module: geometry against closed forms, structure of the SVG (parsed back
//! with quick-xml), PNG decoding, determinism and painter's order.

use super::directional::{Plane, sample_plane};
use super::lattice::{basis, painter_order};
use super::*;
use crate::mechanics::{Stiffness, Voigt};
use crate::network::{NodeId, Strut, StrutNetwork};
use nalgebra::Point3;
use std::collections::BTreeMap;
use tiny_skia::Pixmap;

fn isotropic(e: f64, nu: f64) -> Stiffness {
    let lambda = e * nu / ((1.0 + nu) * (1.0 - 2.0 * nu));
    let mu = e / (2.0 * (1.0 + nu));
    cubic(lambda + 2.0 * mu, lambda, mu)
}

fn cubic(c11: f64, c12: f64, c44: f64) -> Stiffness {
    let mut m = Voigt::zeros();
    for i in 0..3 {
        for j in 0..3 {
            m[(i, j)] = if i == j { c11 } else { c12 };
        }
        m[(i + 3, i + 3)] = c44;
    }
    Stiffness::try_from_voigt(m).unwrap()
}

/// A generic orthotropic-ish stiffness (no cubic symmetry) for pictures.
fn skewed() -> Stiffness {
    let mut m = Voigt::zeros();
    let diag = [0.09, 0.05, 0.035, 0.012, 0.016, 0.02];
    for (i, d) in diag.into_iter().enumerate() {
        m[(i, i)] = d;
    }
    m[(0, 1)] = 0.02;
    m[(1, 0)] = 0.02;
    m[(0, 2)] = 0.015;
    m[(2, 0)] = 0.015;
    m[(1, 2)] = 0.012;
    m[(2, 1)] = 0.012;
    m[(0, 5)] = 0.006;
    m[(5, 0)] = 0.006;
    Stiffness::try_from_voigt(m).unwrap()
}

/// A `n×n×n`-cell cubic + body-centred grid, pitch 1 mm, radius growing along axis 1.
fn grid(n: usize) -> StrutNetwork {
    let m = n + 1;
    let id = |i: usize, j: usize, k: usize| (i + m * (j + m * k)) as u32;
    let mut nodes = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                nodes.push(Point3::new(i as f64, j as f64, k as f64));
            }
        }
    }
    let radius = |x: f64| 0.04 + 0.08 * x / n as f64;
    let mut struts = Vec::new();
    let mut push = |a: u32, b: u32, nodes: &Vec<Point3<f64>>| {
        struts.push(Strut {
            a: NodeId(a),
            b: NodeId(b),
            radius_a: radius(nodes[a as usize].x),
            radius_b: radius(nodes[b as usize].x),
        })
    };
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                if i + 1 < m {
                    push(id(i, j, k), id(i + 1, j, k), &nodes);
                }
                if j + 1 < m {
                    push(id(i, j, k), id(i, j + 1, k), &nodes);
                }
                if k + 1 < m {
                    push(id(i, j, k), id(i, j, k + 1), &nodes);
                }
            }
        }
    }
    // Body centres joined to the eight corners of their cell.
    for k in 0..n {
        for j in 0..n {
            for i in 0..n {
                let c = nodes.len() as u32;
                nodes.push(Point3::new(i as f64 + 0.5, j as f64 + 0.5, k as f64 + 0.5));
                for (di, dj, dk) in [
                    (0, 0, 0),
                    (1, 0, 0),
                    (0, 1, 0),
                    (1, 1, 0),
                    (0, 0, 1),
                    (1, 0, 1),
                    (0, 1, 1),
                    (1, 1, 1),
                ] {
                    push(c, id(i + di, j + dj, k + dk), &nodes);
                }
            }
        }
    }
    StrutNetwork::try_new(nodes, struts).unwrap()
}

/// Every element of an SVG: (name, attributes, enclosing group classes, text content).
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    groups: Vec<String>,
    text: String,
}

fn parse_svg(svg: &str) -> Vec<Element> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out: Vec<Element> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut open_text: Option<usize> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            ev @ (Event::Start(_) | Event::Empty(_)) => {
                let (e, is_start) = match &ev {
                    Event::Start(e) => (e, true),
                    Event::Empty(e) => (e, false),
                    _ => unreachable!(),
                };
                let attrs: BTreeMap<String, String> = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .to_string();
                        (a.key.as_ref().to_string(), v)
                    })
                    .collect();
                let name = e.name().as_ref().to_string();
                let groups: Vec<String> = stack.iter().filter(|c| !c.is_empty()).cloned().collect();
                if is_start {
                    stack.push(if name == "g" {
                        attrs.get("class").cloned().unwrap_or_default()
                    } else {
                        String::new()
                    });
                    if name == "text" {
                        open_text = Some(out.len());
                    }
                }
                out.push(Element {
                    name,
                    attrs,
                    groups,
                    text: String::new(),
                });
            }
            Event::Text(t) => {
                if let Some(k) = open_text {
                    out[k].text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(k) = open_text {
                    let name = r.xml10_content().to_string();
                    let ch = match name.as_str() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("unexpected entity {other}"),
                    };
                    out[k].text.push_str(ch);
                }
            }
            Event::End(_) => {
                stack.pop();
                open_text = None;
            }
            _ => {}
        }
    }
    out
}

/// The points of an SVG path made of `M`/`L` commands (and an optional `Z`).
fn path_points(d: &str) -> Vec<[f64; 2]> {
    d.trim_end_matches('Z')
        .split(['M', 'L'])
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut it = s.split(' ').map(|v| v.parse::<f64>().unwrap());
            [it.next().unwrap(), it.next().unwrap()]
        })
        .collect()
}

fn in_group<'a>(els: &'a [Element], class: &str, name: &str) -> Vec<&'a Element> {
    els.iter()
        .filter(|e| e.name == name && e.groups.iter().any(|g| g == class))
        .collect()
}

fn decode(png: &[u8]) -> Pixmap {
    Pixmap::decode_png(png).expect("a valid PNG")
}

fn pixel(p: &Pixmap, x: u32, y: u32) -> [u8; 4] {
    let c = p.pixel(x, y).unwrap();
    [c.red(), c.green(), c.blue(), c.alpha()]
}

fn non_white(p: &Pixmap) -> usize {
    p.pixels()
        .iter()
        .filter(|c| (c.red(), c.green(), c.blue()) != (255, 255, 255))
        .count()
}

#[test]
fn isotropic_curve_is_a_circle_of_radius_e() {
    let e = 0.037;
    let c = isotropic(e, 0.3);
    for plane in Plane::ALL {
        let s = sample_plane(&c, plane, ANGULAR_SAMPLES);
        assert_eq!(s.len(), 360);
        for (theta, v) in s {
            assert!(
                (v - e).abs() <= 1e-12 * e,
                "{plane:?} θ={theta}: E = {v}, want {e}"
            );
        }
    }
    // The drawn paths too: every point at the same distance from the centroid (±0.08 px, the
    // 0.1 px rounding), in all three panels.
    let svg = directional_modulus_svg(
        "iso",
        &[Curve {
            label: "iso",
            stiffness: &c,
        }],
        3.0,
    );
    let els = parse_svg(&svg);
    for class in ["curves p12", "curves p13", "curves p23"] {
        let paths = in_group(&els, class, "path");
        assert_eq!(paths.len(), 1, "{class}");
        let pts = path_points(&paths[0].attrs["d"]);
        assert_eq!(pts.len(), ANGULAR_SAMPLES);
        let n = pts.len() as f64;
        let cx = pts.iter().map(|p| p[0]).sum::<f64>() / n;
        let cy = pts.iter().map(|p| p[1]).sum::<f64>() / n;
        let r: Vec<f64> = pts.iter().map(|p| (p[0] - cx).hypot(p[1] - cy)).collect();
        let (lo, hi) = r
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(hi - lo < 0.16, "{class}: radii from {lo} to {hi}");
        assert!(lo > 100.0, "the circle fills the panel: r = {lo} px");
    }
}

#[test]
fn cubic_curve_has_fourfold_symmetry_and_closed_form_extremes() {
    // Zener ratio 2C44/(C11−C12) = 2.5: stiffest along ⟨110⟩ in the 1-2 plane.
    let c = cubic(2.0, 1.2, 1.0);
    let s = c.compliance();
    let (s11, s12, s44) = (s[(0, 0)], s[(0, 1)], s[(3, 3)]);
    let e100 = 1.0 / s11;
    let e110 = 1.0 / ((s11 + s12) / 2.0 + s44 / 4.0);
    let tol = |v: f64| 1e-12 + 1e-10 * v.abs();
    for plane in Plane::ALL {
        let e: Vec<f64> = sample_plane(&c, plane, ANGULAR_SAMPLES)
            .into_iter()
            .map(|v| v.1)
            .collect();
        for k in 0..360 {
            let (a, b) = (e[k], e[(k + 90) % 360]);
            assert!(
                (a - b).abs() < tol(a),
                "{plane:?}: E({k}°) = {a}, E({}°) = {b}",
                k + 90
            );
            // Mirror symmetry about axis 1 too.
            let m = e[(360 - k) % 360];
            assert!((a - m).abs() < tol(a), "{plane:?}: mirror at {k}°");
        }
        let lo = e.iter().copied().fold(f64::MAX, f64::min);
        let hi = e.iter().copied().fold(0.0, f64::max);
        assert!((e[0] - e100).abs() < tol(e100), "E[100] {} vs {e100}", e[0]);
        assert!(
            (e[45] - e110).abs() < tol(e110),
            "E[110] {} vs {e110}",
            e[45]
        );
        assert!((lo - e100.min(e110)).abs() < tol(lo), "min {lo}");
        assert!((hi - e100.max(e110)).abs() < tol(hi), "max {hi}");
    }
}

#[test]
fn directional_svg_has_one_curve_per_stiffness_per_panel_and_labels() {
    let (t, d, g) = (isotropic(0.05, 0.3), cubic(0.08, 0.03, 0.02), skewed());
    let curves = [
        Curve {
            label: "target",
            stiffness: &t,
        },
        Curve {
            label: "design (FE)",
            stiffness: &d,
        },
        Curve {
            label: "graded cell <FE> & co",
            stiffness: &g,
        },
    ];
    let svg = directional_modulus_svg("control point 17", &curves, 2.4);
    let els = parse_svg(&svg);
    for class in ["curves p12", "curves p13", "curves p23"] {
        let paths = in_group(&els, class, "path");
        assert_eq!(paths.len(), 3, "{class}");
        // Each curve its own colour or dash.
        let styles: std::collections::BTreeSet<(String, Option<String>)> = paths
            .iter()
            .map(|p| {
                (
                    p.attrs["stroke"].clone(),
                    p.attrs.get("stroke-dasharray").cloned(),
                )
            })
            .collect();
        assert_eq!(styles.len(), 3);
    }
    let legend: Vec<&str> = in_group(&els, "legend", "text")
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(legend, ["target", "design (FE)", "graded cell <FE> & co"]);
    let texts: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "text")
        .map(|e| e.text.as_str())
        .collect();
    for want in [
        "control point 17",
        "1-2 plane",
        "1-3 plane",
        "2-3 plane",
        "E [GPa]",
    ] {
        assert!(texts.contains(&want), "missing {want:?} in {texts:?}");
    }
    let title = els.iter().find(|e| e.name == "title").unwrap();
    assert_eq!(title.name, "title");
    // The largest E drawn is inside the outermost ring and the ring labels are in GPa: the
    // largest modulus here is below 0.08·2.4 GPa, so the outer ring is at most 0.25 GPa.
    let rings: Vec<f64> = in_group(&els, "grid", "circle")
        .iter()
        .map(|c| c["r"].parse().unwrap())
        .collect();
    assert_eq!(rings.len() % 3, 0);
    assert!((2..=5).contains(&(rings.len() / 3)), "{rings:?}");
}

impl std::ops::Index<&str> for Element {
    type Output = String;
    fn index(&self, key: &str) -> &String {
        &self.attrs[key]
    }
}

#[test]
fn directional_png_decodes_with_the_svg_size_and_ink() {
    let (t, g) = (isotropic(0.05, 0.3), skewed());
    let curves = [
        Curve {
            label: "target",
            stiffness: &t,
        },
        Curve {
            label: "graded cell (FE)",
            stiffness: &g,
        },
    ];
    let png = directional_modulus_png("P-1 µ", &curves, 2.4);
    let p = decode(&png);
    let svg = parse_svg(&directional_modulus_svg("P-1 µ", &curves, 2.4));
    let root = svg.iter().find(|e| e.name == "svg").unwrap();
    assert_eq!(p.width().to_string(), root["width"]);
    assert_eq!(p.height().to_string(), root["height"]);
    let ink = non_white(&p);
    assert!(ink > 5000, "{ink} non-white pixels");
    // The isotropic (black, solid) curve crosses the 1-axis of the first panel: some pixel
    // near it is dark.
    assert!(
        ink < (p.width() * p.height()) as usize / 3,
        "mostly background"
    );
}

#[test]
fn outputs_are_deterministic() {
    let (t, g) = (isotropic(0.05, 0.3), skewed());
    let curves = [
        Curve {
            label: "target",
            stiffness: &t,
        },
        Curve {
            label: "graded",
            stiffness: &g,
        },
    ];
    assert_eq!(
        directional_modulus_svg("a", &curves, 1.0),
        directional_modulus_svg("a", &curves, 1.0)
    );
    assert_eq!(
        directional_modulus_png("a", &curves, 1.0),
        directional_modulus_png("a", &curves, 1.0)
    );
    let net = grid(3);
    let view = LatticeView {
        width_px: 400,
        height_px: 300,
        ..Default::default()
    };
    assert_eq!(lattice_svg(&net, "g", &view), lattice_svg(&net, "g", &view));
    assert_eq!(lattice_png(&net, "g", &view), lattice_png(&net, "g", &view));
}

#[test]
fn lattice_svg_has_one_path_per_strut_and_a_colour_bar_in_mm() {
    let net = grid(3);
    let view = LatticeView {
        depth_cue: false,
        ..Default::default()
    };
    let svg = lattice_svg(&net, "grid & <bcc>", &view);
    let els = parse_svg(&svg);
    let struts = in_group(&els, "struts", "path");
    assert_eq!(struts.len(), net.struts().len());
    // Widths are the mean diameters at the picture's scale: their ratio matches.
    let widths: Vec<f64> = struts
        .iter()
        .map(|e| e["stroke-width"].parse().unwrap())
        .collect();
    let diam: Vec<f64> = net
        .struts()
        .iter()
        .map(|s| s.radius_a + s.radius_b)
        .collect();
    let (wmax, wmin) = (
        widths.iter().copied().fold(0.0, f64::max),
        widths.iter().copied().fold(f64::MAX, f64::min),
    );
    let (dmax, dmin) = (
        diam.iter().copied().fold(0.0, f64::max),
        diam.iter().copied().fold(f64::MAX, f64::min),
    );
    assert!(
        (wmax / wmin - dmax / dmin).abs() < 0.1 * dmax / dmin,
        "{wmax}/{wmin} vs {dmax}/{dmin}"
    );
    // Thinnest and thickest struts get the two ends of viridis.
    let colour_of = |w: f64| {
        struts
            .iter()
            .zip(&widths)
            .find(|(_, v)| **v == w)
            .map(|(e, _)| e["stroke"].clone())
            .unwrap()
    };
    assert_eq!(colour_of(wmin), "#440154");
    assert_eq!(colour_of(wmax), "#fde725");
    let bar: Vec<&str> = in_group(&els, "colourbar", "text")
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert!(
        bar.contains(&"[mm]") && bar.contains(&"diameter"),
        "{bar:?}"
    );
    // Tick labels lie within the diameter range 0.08..=0.24 mm.
    let ticks: Vec<f64> = bar.iter().filter_map(|t| t.parse().ok()).collect();
    assert!(ticks.len() >= 2, "{bar:?}");
    assert!(
        ticks
            .iter()
            .all(|&t| (0.08 - 1e-9..=0.24 + 1e-9).contains(&t)),
        "{ticks:?}"
    );
    let title = els.iter().find(|e| e.name == "text").unwrap();
    assert_eq!(title.text, "grid & <bcc>");
    // Every strut inside the picture.
    for e in &struts {
        for p in path_points(&e["d"]) {
            assert!(
                (0.0..=1000.0).contains(&p[0]) && (0.0..=800.0).contains(&p[1]),
                "{p:?}"
            );
        }
    }
}

/// Two crossing struts at different depths (along the view direction +3), given in both
/// orders: the near one is drawn last in the SVG and is the one seen in the PNG.
#[test]
fn painter_draws_near_struts_after_far_ones() {
    let nodes = vec![
        Point3::new(-1.0, 0.0, 5.0),
        Point3::new(1.0, 0.0, 5.0),
        Point3::new(0.0, -1.0, -5.0),
        Point3::new(0.0, 1.0, -5.0),
    ];
    let near = Strut {
        a: NodeId(0),
        b: NodeId(1),
        radius_a: 0.2,
        radius_b: 0.2,
    };
    let far = Strut {
        a: NodeId(2),
        b: NodeId(3),
        radius_a: 0.1,
        radius_b: 0.1,
    };
    let view = LatticeView {
        direction: [0.0, 0.0, 1.0],
        width_px: 400,
        height_px: 400,
        depth_cue: true,
    };
    for struts in [vec![near, far], vec![far, near]] {
        let net = StrutNetwork::try_new(nodes.clone(), struts.clone()).unwrap();
        let order = painter_order(&net, [0.0, 0.0, 1.0]);
        let last = struts[*order.last().unwrap()];
        assert_eq!(last, near);
        let els = parse_svg(&lattice_svg(&net, "cross", &view));
        let drawn: Vec<String> = in_group(&els, "struts", "path")
            .iter()
            .map(|e| e["stroke"].clone())
            .collect();
        // Thicker = near = yellow end of viridis; drawn second.
        assert_eq!(drawn, ["#440154", "#fde725"]);
        // In the PNG the crossing shows the near strut's colour. The crossing is the centre
        // of the plot area: the picture centre shifted by the title band and colour column.
        let svg_near = in_group(&els, "struts", "path")[1];
        let pts = path_points(&svg_near["d"]);
        let (x, y) = ((pts[0][0] + pts[1][0]) / 2.0, (pts[0][1] + pts[1][1]) / 2.0);
        let p = decode(&lattice_png(&net, "cross", &view));
        assert_eq!((p.width(), p.height()), (400, 400));
        assert_eq!(pixel(&p, x as u32, y as u32), [0xfd, 0xe7, 0x25, 255]);
    }
}

#[test]
fn lattice_png_decodes_with_the_view_size_and_ink() {
    let net = grid(2);
    let view = LatticeView {
        width_px: 500,
        height_px: 360,
        ..Default::default()
    };
    let p = decode(&lattice_png(&net, "g", &view));
    assert_eq!((p.width(), p.height()), (500, 360));
    assert!(non_white(&p) > 2000);
    // An empty network still makes a picture.
    let empty = StrutNetwork::default();
    let p = decode(&lattice_png(&empty, "nothing", &view));
    assert_eq!((p.width(), p.height()), (500, 360));
    let svg = parse_svg(&lattice_svg(&empty, "nothing", &view));
    assert!(svg.iter().any(|e| e.text == "(no struts)"));
}

#[test]
fn view_basis_is_right_handed_with_axis_3_up() {
    for d in [
        [1.0, -1.5, 0.9],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, -2.0],
        [1.0, 0.0, 0.0],
    ] {
        let (r, u, t) = basis(d);
        let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        for (a, b) in [(r, u), (u, t), (r, t)] {
            assert!(dot(a, b).abs() < 1e-12);
        }
        for a in [r, u, t] {
            assert!((dot(a, a) - 1.0).abs() < 1e-12);
        }
        // right × up = toward viewer (right-handed screen frame).
        let c = [
            r[1] * u[2] - r[2] * u[1],
            r[2] * u[0] - r[0] * u[2],
            r[0] * u[1] - r[1] * u[0],
        ];
        assert!((dot(c, t) - 1.0).abs() < 1e-12);
        if d[0] != 0.0 || d[1] != 0.0 {
            assert!(u[2] > 0.0, "axis 3 drawn up for {d:?}");
        }
    }
}

/// ~50k struts stay under 100 bytes each in SVG.
#[test]
fn lattice_svg_is_compact_for_large_networks() {
    let net = grid(14); // 3·14·15² + 8·14³ = 31 430 … use 16 for ~50k
    let net = if net.struts().len() < 45_000 {
        grid(16)
    } else {
        net
    };
    let n = net.struts().len();
    assert!(n > 45_000, "{n}");
    let svg = lattice_svg(&net, "big", &LatticeView::default());
    let per_strut = svg.len() as f64 / n as f64;
    assert!(per_strut <= 100.0, "{per_strut:.1} bytes per strut");
}

#[test]
#[should_panic(expected = "must be finite and non-zero")]
fn zero_view_direction_is_a_caller_bug() {
    let view = LatticeView {
        direction: [0.0; 3],
        ..Default::default()
    };
    lattice_svg(&grid(1), "x", &view);
}

#[test]
#[should_panic(expected = "must be finite and > 0")]
fn non_positive_youngs_modulus_is_a_caller_bug() {
    directional_modulus_svg("x", &[], 0.0);
}

#[test]
fn graded_overlay_marks_points_and_cores_and_far_struts_fade() {
    let net = grid(4);
    assert!(net.struts().len() >= 200);
    let overlay = LatticeOverlay {
        boxes: vec![
            OverlayBox {
                centre: [1.5; 3],
                edges: nalgebra::Matrix3::identity() * 3.0,
                dashed: false,
            },
            OverlayBox {
                centre: [1.0; 3],
                edges: nalgebra::Matrix3::identity(),
                dashed: true,
            },
        ],
        points: vec![("p-1".into(), [1.0; 3])],
    };
    let view = LatticeView::default();
    let els = parse_svg(&lattice_svg_with(&net, "g", &view, &overlay));
    // The domain's 12 edges, the core's 12 dashed edges, one marked and labelled point.
    assert_eq!(in_group(&els, "domain", "path").len(), 12);
    let cores = in_group(&els, "cores", "path");
    assert_eq!(cores.len(), 12);
    assert!(
        cores
            .iter()
            .all(|e| e.attrs.contains_key("stroke-dasharray"))
    );
    assert_eq!(in_group(&els, "points", "circle").len(), 1);
    assert!(
        in_group(&els, "points", "text")
            .iter()
            .any(|e| e.text == "p-1")
    );
    // Depth cue: the strut drawn first (furthest back) is lighter than the last (nearest).
    let struts = in_group(&els, "struts", "path");
    let lightness = |e: &Element| {
        let c = &e["stroke"];
        (1..7)
            .step_by(2)
            .map(|k| u32::from_str_radix(&c[k..k + 2], 16).unwrap())
            .sum::<u32>()
    };
    let flat = parse_svg(&lattice_svg_with(
        &net,
        "g",
        &LatticeView {
            depth_cue: false,
            ..view
        },
        &overlay,
    ));
    let flat_struts = in_group(&flat, "struts", "path");
    assert_eq!(flat_struts.len(), struts.len());
    // Every strut is at least as light as without the cue; the backmost much lighter, the
    // frontmost unchanged.
    for (f, u) in struts.iter().zip(&flat_struts) {
        assert!(lightness(f) >= lightness(u));
    }
    let n = struts.len() - 1;
    assert!(lightness(struts[0]) > lightness(flat_struts[0]) + 200);
    assert_eq!(struts[n]["stroke"], flat_struts[n]["stroke"]);
}

#[test]
fn segment_plot_has_a_panel_per_segment_with_three_moduli() {
    let soft = isotropic(0.01, 0.3);
    let stiff = isotropic(0.03, 0.3);
    let curves = vec![
        SegmentCurve {
            label: "a to b".into(),
            samples: vec![(0.0, &soft), (0.5, &stiff), (1.0, &stiff)],
        },
        SegmentCurve {
            label: "b to c".into(),
            samples: vec![(0.0, &stiff), (1.0, &soft)],
        },
    ];
    let els = parse_svg(&segments_svg("s", &curves, 100.0));
    let texts: Vec<&str> = els.iter().map(|e| e.text.as_str()).collect();
    assert!(texts.contains(&"a to b") && texts.contains(&"b to c"));
    // E1, E2, E3 per panel; a sample marker per axis and sample.
    assert_eq!(texts.iter().filter(|t| **t == "E1").count(), 2);
    assert_eq!(in_group(&els, "curves", "circle").len(), 3 * (3 + 2));
    let png = segments_png("s", &curves, 100.0);
    assert_eq!(&png[1..4], b"PNG");
}
