//! Tests of the grading pipeline against independent truths (tiling, FE of the designs,
//! geometry checks).

use nalgebra::Point3;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};

use super::*;
use crate::design_space::{AxisAngle, LatticeChoice, RangePolicy, Topology};
use crate::geom::distance::segment_closest;
use crate::mechanics::Stiffness;
use crate::network::{ComponentPolicy, DanglingPolicy, components, tile};

fn design(lattices: [(u8, u8); 3], rho: f64, u: [f64; 3], r2: AxisAngle) -> Design {
    let c = lattices.map(|(lattice, tessellation)| LatticeChoice {
        lattice,
        tessellation,
    });
    Design {
        topology: Topology::try_new(&c).unwrap(),
        relative_density: rho,
        u,
        r1: AxisAngle::IDENTITY,
        v: [1.0; 3],
        r2,
    }
}

fn rot(axis: [f64; 3], angle_deg: f64) -> AxisAngle {
    AxisAngle { axis, angle_deg }
}

fn cp(id: &str, position: [f64; 3], design: Design) -> ControlPoint {
    ControlPoint {
        id: id.into(),
        position,
        design,
        cell_size: None,
    }
}

/// Node positions and strut sets match up to ordering within `tol` mm (radii too).
fn assert_same_network(a: &StrutNetwork, b: &StrutNetwork, tol: f64, what: &str) {
    assert_eq!(a.nodes().len(), b.nodes().len(), "{what}: node count");
    assert_eq!(a.struts().len(), b.struts().len(), "{what}: strut count");
    let tree = RTree::bulk_load(
        b.nodes()
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new([p.x, p.y, p.z], i))
            .collect(),
    );
    let mut map = vec![usize::MAX; a.nodes().len()];
    let mut used = vec![false; b.nodes().len()];
    for (i, p) in a.nodes().iter().enumerate() {
        let (g, d2) = tree
            .nearest_neighbor_iter_with_distance_2([p.x, p.y, p.z])
            .next()
            .unwrap();
        assert!(
            d2.sqrt() <= tol,
            "{what}: node {i} at {p} is {} mm from the nearest",
            d2.sqrt()
        );
        assert!(!used[g.data], "{what}: two nodes map to {}", g.data);
        used[g.data] = true;
        map[i] = g.data;
    }
    let key = |a: usize, b: usize| (a.min(b), a.max(b));
    let mut sb: Vec<((usize, usize), f64, f64)> = b
        .struts()
        .iter()
        .map(|s| {
            let (x, y) = (s.a.index(), s.b.index());
            let (ra, rb) = if x < y {
                (s.radius_a, s.radius_b)
            } else {
                (s.radius_b, s.radius_a)
            };
            (key(x, y), ra, rb)
        })
        .collect();
    sb.sort_by_key(|s| s.0);
    let mut sa: Vec<((usize, usize), f64, f64)> = a
        .struts()
        .iter()
        .map(|s| {
            let (x, y) = (map[s.a.index()], map[s.b.index()]);
            let (ra, rb) = if x < y {
                (s.radius_a, s.radius_b)
            } else {
                (s.radius_b, s.radius_a)
            };
            (key(x, y), ra, rb)
        })
        .collect();
    sa.sort_by_key(|s| s.0);
    for (x, y) in sa.iter().zip(&sb) {
        assert_eq!(x.0, y.0, "{what}: strut sets differ");
        assert!(
            (x.1 - y.1).abs() <= tol && (x.2 - y.2).abs() <= tol,
            "{what}: radii {x:?} vs {y:?}"
        );
    }
}

#[test]
fn one_control_point_is_the_tiled_periodic_cell() {
    let h = 2.5;
    let domain = Domain::new_box([0.0, 0.0, 0.0], [9.0, 8.0, 11.0]).unwrap();
    let cases = [
        (
            "octet+BCC, rotated",
            design(
                [(1, 1), (2, 1), (0, 1)],
                0.05,
                [1.0, 1.2, 0.9],
                rot([1.0, 2.0, 3.0], 25.0),
            ),
        ),
        (
            "honeycomb+diamond+BCCz (non-cubic)",
            design(
                [(6, 1), (5, 1), (3, 2)],
                0.03,
                [1.1, 0.8, 1.3],
                rot([0.0, 1.0, 1.0], -40.0),
            ),
        ),
        (
            "2x simple cubic on 1x",
            design(
                [(0, 2), (0, 1), (4, 1)],
                0.08,
                [1.0; 3],
                AxisAngle::IDENTITY,
            ),
        ),
    ];
    let options = GradingOptions {
        min_strut_diameter: 0.0,
        ..Default::default()
    };
    for (name, d) in cases {
        let p0 = [4.1, 3.7, 5.3];
        let points = vec![cp("only", p0, d.clone())];
        let graded = grade(&points, h, &domain, &options).unwrap();
        let cell = d.cell(RangePolicy::Strict).unwrap().scaled(h);
        let tiled = tile(&cell, &domain, p0).unwrap();
        assert_same_network(&graded.network, &tiled.network, 1e-9, name);
        assert!(graded.stats.scaffold.converged);
        assert!(
            graded.stats.scaffold.edge_max_residual < 1e-12,
            "{:?}",
            graded.stats.scaffold
        );
        println!(
            "{name}: {} nodes, {} struts, {} clipping nodes merged, identical to tiling",
            graded.network.nodes().len(),
            graded.network.struts().len(),
            graded.stats.merged_nodes
        );
    }
}

/// Three points on a line `spacing` cells apart with different topologies, densities and
/// stretches.
fn line_points(h: f64, spacing: f64) -> Vec<ControlPoint> {
    let d = spacing * h;
    vec![
        cp(
            "bcc",
            [0.0, 0.0, 0.0],
            design(
                [(2, 1), (2, 1), (2, 1)],
                0.05,
                [1.0; 3],
                AxisAngle::IDENTITY,
            ),
        ),
        cp(
            "octet",
            [d, 0.0, 0.0],
            design(
                [(1, 1), (1, 1), (1, 1)],
                0.04,
                [1.2, 1.0, 1.0],
                AxisAngle::IDENTITY,
            ),
        ),
        cp(
            "sc+bcc",
            [2.0 * d, 0.0, 0.0],
            design(
                [(0, 1), (2, 1), (0, 1)],
                0.07,
                [1.0, 0.85, 1.1],
                AxisAngle::IDENTITY,
            ),
        ),
    ]
}

#[test]
fn control_cells_converge_to_their_designs_as_points_separate() {
    let h = 3.0;
    let mut rows = Vec::new();
    for spacing in [3.0, 6.0, 12.0] {
        let points = line_points(h, spacing);
        let len = 2.0 * spacing * h;
        let domain = Domain::new_box(
            [-1.5 * h, -1.5 * h, -1.5 * h],
            [len + 1.5 * h, 1.5 * h, 1.5 * h],
        )
        .unwrap();
        // Without cores: the blend alone approaches the designs as the points separate.
        let options = GradingOptions {
            core_cells: None,
            ..Default::default()
        };
        let graded = grade(&points, h, &domain, &options).unwrap();
        let v = verify(
            &graded,
            &points,
            None,
            &VerifyOptions {
                samples_per_segment: 0,
                ..Default::default()
            },
        )
        .unwrap();
        let lattice = v.points.iter().map(|c| c.lattice_error).fold(0.0, f64::max);
        let nmse = v
            .points
            .iter()
            .map(|c| c.vs_design.nmse)
            .fold(0.0, f64::max);
        let frob = v
            .points
            .iter()
            .map(|c| c.vs_design.rel_frobenius)
            .fold(0.0, f64::max);
        println!(
            "spacing {spacing:>4} cells: max lattice error {lattice:.3e}, max NMSE {nmse:.3e}, \
             max rel. Frobenius {frob:.3e}"
        );
        for c in &v.points {
            println!(
                "    {:>7}: lattice {:.3e}  NMSE {:.3e}  Frob {:.3e}  rho {:.4}",
                c.id,
                c.lattice_error,
                c.vs_design.nmse,
                c.vs_design.rel_frobenius,
                c.relative_density
            );
        }
        rows.push((spacing, lattice, nmse, frob));
    }
    // The error shrinks as the points move apart relative to the cell size …
    for w in rows.windows(2) {
        assert!(
            w[1].1 < 0.9 * w[0].1,
            "lattice error does not shrink: {rows:?}"
        );
        assert!(w[1].2 < 0.5 * w[0].2, "NMSE does not shrink: {rows:?}");
        assert!(
            w[1].3 < 0.7 * w[0].3,
            "stiffness error does not shrink: {rows:?}"
        );
    }
    assert!(rows[0].1 > 2.5 * rows[2].1, "lattice error: {rows:?}");
    // … and is small for well-separated points.
    let last = rows.last().unwrap();
    assert!(last.1 < 0.02, "lattice error {}", last.1);
    assert!(last.2 < 2e-3, "NMSE {}", last.2);
    assert!(last.3 < 0.05, "rel. Frobenius {}", last.3);
}

/// Struts meet only at shared nodes: no two struts cross, touch or overlap elsewhere, and no
/// two nodes coincide. Returns the number of strut pairs checked.
fn assert_clean_geometry(net: &StrutNetwork, tol: f64) -> usize {
    let nodes = net.nodes();
    let tree = RTree::bulk_load(
        nodes
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new([p.x, p.y, p.z], i))
            .collect(),
    );
    for (i, p) in nodes.iter().enumerate() {
        let mut it = tree.nearest_neighbor_iter_with_distance_2([p.x, p.y, p.z]);
        let _self = it.next();
        if let Some((g, d2)) = it.next() {
            assert!(
                d2.sqrt() > tol,
                "nodes {i} and {} coincide ({} mm)",
                g.data,
                d2.sqrt()
            );
        }
    }
    let boxes: Vec<GeomWithData<Rectangle<[f64; 3]>, usize>> = net
        .struts()
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let (a, b) = (nodes[s.a.index()], nodes[s.b.index()]);
            GeomWithData::new(Rectangle::from_corners([a.x, a.y, a.z], [b.x, b.y, b.z]), k)
        })
        .collect();
    let st = RTree::bulk_load(boxes.clone());
    let mut pairs = 0;
    for g in &boxes {
        let k = g.data;
        let s = net.struts()[k];
        let env = g.geom().envelope();
        let grown = AABB::from_corners(env.lower().map(|v| v - tol), env.upper().map(|v| v + tol));
        for h in st.locate_in_envelope_intersecting(grown) {
            let m = h.data;
            if m <= k {
                continue;
            }
            pairs += 1;
            let t = net.struts()[m];
            let shared = [s.a, s.b].iter().any(|x| *x == t.a || *x == t.b);
            let (p1, q1) = (nodes[s.a.index()], nodes[s.b.index()]);
            let (p2, q2) = (nodes[t.a.index()], nodes[t.b.index()]);
            let (d, u, v) = segment_closest(p1.coords, q1.coords, p2.coords, q2.coords);
            if shared {
                // Struts sharing a node must not fold onto each other.
                let (o1, o2) = if s.a == t.a || s.a == t.b {
                    (q1, p1)
                } else {
                    (p1, q1)
                };
                let other2 = if t.a == s.a || t.a == s.b { q2 } else { p2 };
                let c = (o1 - o2).normalize().dot(&(other2 - o2).normalize());
                assert!(
                    c < 1.0 - 1e-9,
                    "struts {k} and {m} overlap at a shared node"
                );
            } else {
                assert!(
                    d > tol,
                    "struts {k} and {m} meet without a shared node ({d} mm apart at s = {u}, t = {v})"
                );
            }
        }
    }
    pairs
}

fn three_topologies() -> Vec<ControlPoint> {
    vec![
        cp(
            "sc",
            [2.0, 3.0, 4.0],
            design(
                [(0, 1), (0, 1), (0, 1)],
                0.06,
                [1.0; 3],
                AxisAngle::IDENTITY,
            ),
        ),
        cp(
            "bcc",
            [14.0, 7.0, 9.0],
            design(
                [(2, 1), (2, 1), (2, 1)],
                0.05,
                [1.1, 1.0, 0.9],
                AxisAngle::IDENTITY,
            ),
        ),
        cp(
            "octet",
            [6.0, 15.0, 18.0],
            design(
                [(1, 1), (1, 1), (1, 1)],
                0.04,
                [1.0; 3],
                rot([0.0, 0.0, 1.0], 90.0),
            ),
        ),
    ]
}

#[test]
fn cells_share_faces_and_the_network_is_connected() {
    let points = three_topologies();
    let domain = Domain::new_box([0.0; 3], [16.0, 17.0, 20.0]).unwrap();
    // Every cell carries every topology (no fading), nothing is removed: a gap between cells
    // would leave free strut ends inside the domain.
    let options = GradingOptions {
        min_strut_diameter: 0.0,
        min_weight: 0.0,
        dangling: DanglingPolicy::Keep,
        components: ComponentPolicy::KeepAll,
        core_cells: None,
        ..Default::default()
    };
    let graded = grade(&points, 3.0, &domain, &options).unwrap();
    let net = &graded.network;
    assert!(graded.cells.iter().all(|c| c.points == vec![0, 1, 2]));
    let mut valence = vec![0usize; net.nodes().len()];
    for s in net.struts() {
        valence[s.a.index()] += 1;
        valence[s.b.index()] += 1;
    }
    let free_inside = (0..net.nodes().len())
        .filter(|&v| valence[v] == 1 && !domain.is_on_boundary(&net.nodes()[v], 1e-9))
        .count();
    assert_eq!(
        free_inside, 0,
        "free strut ends inside the domain (gaps between cells)"
    );
    // Connected, up to fragments the domain boundary cut off (each touches the boundary).
    let labels = components(net);
    let mut count = vec![0usize; labels.iter().max().unwrap() + 1];
    for s in net.struts() {
        count[labels[s.a.index()]] += 1;
    }
    let largest = (0..count.len()).max_by_key(|&c| count[c]).unwrap();
    for c in (0..count.len()).filter(|&c| c != largest && count[c] > 0) {
        let touches = (0..net.nodes().len())
            .any(|v| labels[v] == c && domain.is_on_boundary(&net.nodes()[v], 1e-9));
        assert!(
            touches,
            "component {c} ({} struts) is cut off inside the domain",
            count[c]
        );
    }
    println!(
        "largest component {} of {} struts; {} boundary fragments",
        count[largest],
        net.struts().len(),
        count.iter().filter(|&&n| n > 0).count() - 1
    );
    let pairs = assert_clean_geometry(net, 1e-7);
    println!(
        "{} cells, {} nodes, {} struts, {} face splits, {} strut pairs checked: no gaps, \
         overlaps or unsplit crossings; connected",
        graded.stats.cells,
        net.nodes().len(),
        net.struts().len(),
        graded.stats.face_splits,
        pairs
    );
    // Every node on a shared face of two scaffold cells is the end of struts on both sides.
    let mut checked = 0;
    for (v, p) in net.nodes().iter().enumerate() {
        let Some((c, u)) = graded.scaffold.locate([p.x, p.y, p.z]) else {
            continue;
        };
        for (d, &ud) in u.iter().enumerate() {
            let on_face = !(1e-9..=1.0 - 1e-9).contains(&ud);
            if !on_face || domain.is_on_boundary(p, 1e-9) {
                continue;
            }
            // Struts leaving v to both sides of the face plane (or lying in it).
            let normal = {
                let m = graded.scaffold.mean_edges(c);
                m.try_inverse().unwrap().row(d).transpose()
            };
            let (mut plus, mut minus, mut flat) = (0, 0, 0);
            for s in net
                .struts()
                .iter()
                .filter(|s| s.a.index() == v || s.b.index() == v)
            {
                let o = if s.a.index() == v { s.b } else { s.a }.index();
                let side = (net.nodes()[o] - p).dot(&normal);
                let len = (net.nodes()[o] - p).norm() * normal.norm();
                if side > 1e-6 * len {
                    plus += 1;
                } else if side < -1e-6 * len {
                    minus += 1;
                } else {
                    flat += 1;
                }
            }
            assert!(
                flat > 0 || (plus > 0 && minus > 0) || valence[v] == 0,
                "node {v} on a face of cell {c:?} has struts on one side only ({plus}/{minus})"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} face nodes checked");
}

#[test]
fn blended_cells_split_crossings_and_blend_density() {
    // Two topologies with crossing struts (SC edges vs. octet face diagonals, BCC diagonals).
    let points = vec![
        cp(
            "sc",
            [0.0, 0.0, 0.0],
            design(
                [(0, 1), (0, 1), (0, 1)],
                0.06,
                [1.0; 3],
                AxisAngle::IDENTITY,
            ),
        ),
        cp(
            "octet",
            [9.0, 0.0, 0.0],
            design(
                [(1, 1), (2, 1), (1, 1)],
                0.04,
                [1.0; 3],
                AxisAngle::IDENTITY,
            ),
        ),
    ];
    let domain = Domain::new_box([-3.0, -3.0, -3.0], [12.0, 3.0, 3.0]).unwrap();
    let graded = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    assert!(
        graded.cells.iter().any(|c| c.points.len() == 2),
        "no blended cell"
    );
    assert_clean_geometry(&graded.network, 1e-7);
    assert_eq!(graded.stats.components_removed, 0);
    println!("{:?}", graded.stats);
    // Radii differ at the two ends of struts where the weights vary.
    let graded_ends = graded
        .network
        .struts()
        .iter()
        .filter(|s| (s.radius_a - s.radius_b).abs() > 1e-6)
        .count();
    assert!(graded_ends > 10);
    // Density blends: the slender-beam volume fraction of the middle cell is between the two.
    let mid = graded.scaffold.locate([4.5, 0.0, 0.0]).unwrap().0;
    let rho_mid = graded_cell(&graded, mid).unwrap().relative_density();
    println!("relative density halfway: {rho_mid:.4} (ends 0.06 and 0.04)");
    assert!(rho_mid > 0.035 && rho_mid < 0.065, "{rho_mid}");
}

#[test]
fn graded_cell_at_a_control_point_matches_the_design_stiffness() {
    let h = 3.0;
    let points = line_points(h, 12.0);
    let len = 24.0 * h;
    let domain = Domain::new_box([-1.5 * h; 3], [len + 1.5 * h, 1.5 * h, 1.5 * h]).unwrap();
    let graded = grade(&points, h, &domain, &GradingOptions::default()).unwrap();
    let targets: Vec<Stiffness> = points
        .iter()
        .map(|p| {
            crate::fem::homogenize(
                &p.design.cell(RangePolicy::Strict).unwrap(),
                &crate::design_space::Material::TI6AL4V,
                &crate::fem::FemOptions::default(),
            )
            .unwrap()
            .stiffness
            .scaled(1.02)
        })
        .collect();
    let v = verify(&graded, &points, Some(&targets), &VerifyOptions::default()).unwrap();
    for c in &v.points {
        println!(
            "{:>7}: NMSE vs design {:.3e}, rel. Frobenius {:.3e}; vs target (design × 1.02) NMSE {:.3e}",
            c.id,
            c.vs_design.nmse,
            c.vs_design.rel_frobenius,
            c.vs_target.unwrap().nmse
        );
        assert!(
            c.vs_design.nmse < 2e-3,
            "{}: NMSE {}",
            c.id,
            c.vs_design.nmse
        );
        let t = c.vs_target.unwrap().nmse;
        assert!(t > 1e-4 && t < 1e-2, "{}: target NMSE {t}", c.id);
    }
    // Along the segments the stiffness changes gradually.
    println!("max step change along segments: {:.3}", v.max_step_change);
    for s in &v.segments {
        println!(
            "  {}→{} t={:.2}: C11 {:.4e} C22 {:.4e} C44 {:.4e} step {:.3}",
            s.from,
            s.to,
            s.t,
            s.stiffness.voigt()[(0, 0)],
            s.stiffness.voigt()[(1, 1)],
            s.stiffness.voigt()[(3, 3)],
            s.step_change
        );
    }
    assert!(!v.segments.is_empty());
    assert!(v.max_step_change < 0.8, "{}", v.max_step_change);
}

#[test]
fn opposite_orientations_without_alignment_are_degenerate() {
    let sc = |r2| design([(0, 1), (2, 1), (0, 1)], 0.05, [1.0, 1.3, 1.0], r2);
    let points = vec![
        cp("left", [0.0, 0.0, 0.0], sc(AxisAngle::IDENTITY)),
        cp("right", [12.0, 0.0, 0.0], sc(rot([0.0, 0.0, 1.0], 180.0))),
    ];
    let domain = Domain::new_box([-2.0; 3], [14.0, 2.0, 2.0]).unwrap();
    let off = GradingOptions {
        alignment: Alignment::Off,
        ..Default::default()
    };
    let err = grade(&points, 3.0, &domain, &off).unwrap_err();
    let msg = err.to_string();
    println!("{msg}");
    match &err {
        GradingError::DegenerateInterpolation {
            position, points, ..
        } => {
            assert_eq!(points, &vec!["left".to_string(), "right".to_string()]);
            assert!((position[0] - 6.0).abs() < 3.0, "{position:?}");
        }
        e => panic!("unexpected error {e}"),
    }
    assert!(msg.contains("left") && msg.contains("right") && msg.contains("mm"));
    // With alignment the 180° turn is recognized as a relabelling of the same lattice.
    let graded = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    assert!((graded.aligned[0].lattice - graded.aligned[1].lattice).norm() < 1e-12);
}

#[test]
fn bad_inputs_name_the_culprit() {
    let d = design(
        [(0, 1), (0, 1), (0, 1)],
        0.05,
        [1.0; 3],
        AxisAngle::IDENTITY,
    );
    let domain = Domain::new_box([0.0; 3], [5.0; 3]).unwrap();
    let o = GradingOptions::default();
    assert_eq!(
        grade(&[], 1.0, &domain, &o).unwrap_err(),
        GradingError::NoControlPoints
    );
    let p = |id: &str, x: f64| cp(id, [x, 1.0, 1.0], d.clone());
    assert!(matches!(
        grade(&[p("a", 1.0), p("a", 2.0)], 1.0, &domain, &o),
        Err(GradingError::DuplicateId { id }) if id == "a"
    ));
    assert!(matches!(
        grade(&[p("a", 1.0), p("b", 1.0)], 1.0, &domain, &o),
        Err(GradingError::CoincidentPoints { .. })
    ));
    assert!(matches!(
        grade(&[p("a", 1.0)], -1.0, &domain, &o),
        Err(GradingError::InvalidCellSize { .. })
    ));
    let mut bad = d.clone();
    bad.relative_density = 0.5;
    let e = grade(&[cp("dense", [1.0; 3], bad)], 1.0, &domain, &o).unwrap_err();
    assert!(e.to_string().contains("dense"), "{e}");
}

#[test]
fn grading_is_deterministic() {
    let points = three_topologies();
    let domain = Domain::new_cylinder([8.0, 9.0, 0.0], [0.0, 0.0, 1.0], 8.0, 20.0).unwrap();
    let a = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    let b = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    assert_eq!(a.network, b.network);
    assert_eq!(a.stats, b.stats);
    assert_eq!(a.cells, b.cells);
}

#[test]
fn four_points_in_a_20x20x30_mm_block_join_without_gaps_or_crossings() {
    let points = vec![
        cp(
            "a",
            [4.0, 4.0, 4.0],
            design(
                [(2, 1), (2, 1), (2, 1)],
                0.05,
                [1.0; 3],
                AxisAngle::IDENTITY,
            ),
        ),
        cp(
            "b",
            [16.0, 5.0, 12.0],
            design(
                [(1, 1), (0, 1), (1, 1)],
                0.04,
                [1.1, 1.0, 0.9],
                AxisAngle::IDENTITY,
            ),
        ),
        cp(
            "c",
            [6.0, 15.0, 20.0],
            design(
                [(0, 1), (0, 1), (0, 1)],
                0.07,
                [1.0; 3],
                rot([1.0, 0.0, 0.0], 10.0),
            ),
        ),
        cp(
            "d",
            [14.0, 14.0, 27.0],
            design(
                [(6, 1), (3, 1), (6, 1)],
                0.05,
                [1.0; 3],
                AxisAngle::IDENTITY,
            ),
        ),
    ];
    let domain = Domain::new_box([0.0; 3], [20.0, 20.0, 30.0]).unwrap();
    let graded = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    // Cells with different carried sets meet here: their face pieces were split against each
    // other, and the result has no gaps, overlaps or unsplit crossings.
    assert!(graded.stats.face_splits > 0);
    assert!(graded.stats.distinct_cell_contents > 1);
    assert_clean_geometry(&graded.network, 1e-7);
}

#[test]
fn a_sixteen_fold_size_change_over_two_mm_keeps_every_cell_valid() {
    // Cells of edge 12 mm and 0.75 mm (turned 40°) at points 2 mm apart: the size-only
    // volume ratio stays near 1 (no false degeneracy) and the scaffold has no inverted cell
    // (checked inside `grade`).
    let mut big = design(
        [(0, 1), (0, 1), (0, 1)],
        0.05,
        [2.0; 3],
        AxisAngle::IDENTITY,
    );
    big.v = [2.0; 3];
    let mut small = design(
        [(0, 1), (0, 1), (0, 1)],
        0.05,
        [0.5; 3],
        rot([1.0, 1.0, 0.0], 40.0),
    );
    small.v = [0.5; 3];
    let points = vec![
        cp("big", [0.0; 3], big),
        cp("small", [2.0, 0.0, 0.0], small),
    ];
    let domain = Domain::new_box([-6.0; 3], [8.0, 6.0, 6.0]).unwrap();
    let g = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    println!("{:?}", g.stats.scaffold);
    assert!(g.stats.scaffold.converged);
    assert_clean_geometry(&g.network, 1e-7);
}

#[test]
fn stiffness_varies_smoothly_between_two_densities() {
    // One topology, density 0.03 → 0.09 over 10 cells: C11 along the segment rises
    // monotonically from one design's value to the other's, in steps without jumps; it is flat
    // (exactly the designs') inside the cores at both ends.
    let sc = |rho| design([(0, 1), (2, 1), (0, 1)], rho, [1.0; 3], AxisAngle::IDENTITY);
    let points = vec![
        cp("soft", [0.0; 3], sc(0.03)),
        cp("stiff", [30.0, 0.0, 0.0], sc(0.09)),
    ];
    let domain = Domain::new_box([-4.5; 3], [34.5, 4.5, 4.5]).unwrap();
    let graded = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    let v = verify(
        &graded,
        &points,
        None,
        &VerifyOptions {
            samples_per_segment: 9,
            ..Default::default()
        },
    )
    .unwrap();
    let c11: Vec<f64> = v
        .segments
        .iter()
        .map(|s| s.stiffness.voigt()[(0, 0)])
        .collect();
    println!(
        "C11 along the segment: {c11:.4?}; max step {:.3}",
        v.max_step_change
    );
    assert_eq!(c11.len(), 9);
    for w in c11.windows(2) {
        assert!(w[1] >= w[0], "not monotone: {c11:?}");
    }
    assert!(
        c11[8] > c11[0] && c11[4] > c11[0] && c11[4] < c11[8],
        "{c11:?}"
    );
    let (lo, hi) = (
        v.points[0].design_stiffness.voigt()[(0, 0)],
        v.points[1].design_stiffness.voigt()[(0, 0)],
    );
    assert!((c11[0] / lo - 1.0).abs() < 0.05 && (c11[8] / hi - 1.0).abs() < 0.05);
    // Nine samples share a threefold change: no step may carry more than half of it.
    assert!(
        v.max_step_change < 0.5 * (hi - lo) / lo,
        "{}",
        v.max_step_change
    );
}

#[test]
fn options_round_trip_through_json() {
    let o = GradingOptions {
        weight: WeightKind::Gaussian { width_mm: 7.5 },
        alignment: Alignment::Off,
        ..Default::default()
    };
    let json = serde_json::to_string(&o).unwrap();
    let back: GradingOptions = serde_json::from_str(&json).unwrap();
    assert_eq!(back, o);
    let partial: GradingOptions = serde_json::from_str(r#"{"neighbours": 6}"#).unwrap();
    assert_eq!(partial.neighbours, 6);
    assert_eq!(partial.min_strut_diameter, 0.1);
    assert!(serde_json::from_str::<GradingOptions>(r#"{"neighbors": 6}"#).is_err());
}

#[test]
fn struts_crossing_cell_faces_are_joined_straight_again() {
    // No elementary lattice has struts leaving the unit cube, so build a cell that does: a
    // simple cubic net with its node at the cube centre (every strut crosses a face). With one
    // control point, the pieces clipped at the faces must be re-joined into the straight struts
    // of the tiled periodic cell.
    use super::align::AlignedGraph;
    use crate::design_space::{CellNodeId, PeriodicCell, PeriodicStrut};
    use crate::geom::exact::RatPoint;
    use nalgebra::Matrix3;
    use std::sync::Arc;
    let c = RatPoint::new([12, 12, 12], 1);
    let ends = [[36, 12, 12], [12, 36, 12], [12, 12, 36]].map(|e| (c, RatPoint::new(e, 1)));
    let h = 2.0;
    let lattice = Matrix3::new(1.0, 0.2, 0.0, 0.0, 0.9, 0.1, 0.1, 0.0, 1.1) * h;
    let mut cell = AlignedCell {
        rotation: Matrix3::identity(),
        lattice,
        relative_density: 0.05,
        diameter: 0.0,
        graph: Arc::new(AlignedGraph::from_struts(ends.into_iter())),
    };
    cell.diameter = cell.diameter_in(&lattice);
    let p0 = [3.3, 2.9, 4.1];
    let options = GradingOptions::default();
    let field = DesignField::new(
        vec!["only".into()],
        vec![p0],
        vec![lattice],
        options.weight,
        options.neighbours,
        options.min_volume_ratio,
    )
    .unwrap();
    let domain = Domain::new_box([0.0; 3], [8.0, 7.0, 9.0]).unwrap();
    let scaffold = scaffold::build_scaffold(
        &field,
        p0,
        h,
        domain.bounding_box(),
        &scaffold::ScaffoldOptions {
            max_iterations: 10,
            tolerance: 1e-6,
            max_corners: 100_000,
        },
        &Default::default(),
    )
    .unwrap();
    let mut stats = GradingStats::default();
    let aligned = vec![cell.clone()];
    let net = blend::blend(&field, &aligned, &scaffold, &domain, &options, &mut stats)
        .unwrap()
        .network;
    let s = |i: usize| {
        let mut offset = [0; 3];
        offset[i] = 1;
        PeriodicStrut {
            a: CellNodeId(0),
            b: CellNodeId(0),
            offset,
            diameter: cell.diameter,
        }
    };
    let periodic =
        PeriodicCell::try_new(lattice, vec![Point3::origin()], vec![s(0), s(1), s(2)]).unwrap();
    let tiled = tile(&periodic, &domain, p0).unwrap();
    assert!(stats.merged_nodes > 100, "{stats:?}");
    assert_same_network(&net, &tiled.network, 1e-9, "centred simple cubic");
    println!(
        "{} clipping nodes merged; {} struts identical to tiling",
        stats.merged_nodes,
        net.struts().len()
    );
}

/// Three different designs at their own cell sizes, five of the larger cells apart.
fn cored_points() -> Vec<ControlPoint> {
    let mut a = cp(
        "a",
        [0.0; 3],
        design(
            [(0, 1), (2, 1), (2, 1)],
            0.05,
            [1.0, 1.0, 1.3],
            AxisAngle::IDENTITY,
        ),
    );
    a.cell_size = Some(2.0);
    let mut b = cp(
        "b",
        [14.0, 0.0, 0.0],
        design(
            [(2, 1), (2, 1), (3, 1)],
            0.04,
            [1.0, 1.1, 1.2],
            rot([1.0, 0.0, 0.0], 10.0),
        ),
    );
    b.cell_size = Some(2.5);
    let mut c = cp(
        "c",
        [7.0, 13.0, 0.0],
        design(
            [(0, 1), (0, 1), (4, 1)],
            0.06,
            [1.0; 3],
            AxisAngle::IDENTITY,
        ),
    );
    c.cell_size = Some(1.6);
    vec![a, b, c]
}

#[test]
fn cores_reproduce_every_design_exactly_at_its_own_cell_size() {
    let points = cored_points();
    let domain = Domain::new_box([-6.0, -6.0, -8.0], [21.0, 19.0, 8.0]).unwrap();
    let graded = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    assert!(graded.notes.is_empty(), "{:?}", graded.notes);
    let v = verify(
        &graded,
        &points,
        None,
        &VerifyOptions {
            samples_per_segment: 0,
            ..Default::default()
        },
    )
    .unwrap();
    for (i, check) in v.points.iter().enumerate() {
        // The independent truth: each design's own periodic cell, homogenized on its own.
        let core = &graded.cores[i];
        assert_eq!(core.half_cells, Some(1), "{core:?}");
        assert!(
            check.lattice_error < 1e-12,
            "{}: {}",
            check.id,
            check.lattice_error
        );
        // The cell edges are the point's own size (h·F), not a global one.
        let expected = points[i].design.affine().unwrap() * points[i].cell_size.unwrap();
        let mean = graded.scaffold.mean_edges(check.cell);
        assert!(
            (mean.determinant() - expected.determinant()).abs() < 1e-9 * expected.determinant(),
            "{}",
            check.id
        );
        assert!(
            check.vs_design.rel_frobenius < 1e-9,
            "{}: {:?}",
            check.id,
            check.vs_design
        );
        // The 3 × 3 × 3 window of the written network is the design too.
        let w = check.window.as_ref().expect("a window");
        assert_eq!(w.cells_per_side, 3, "{}: {:?}", check.id, check.window_note);
        assert!(
            w.vs_design.rel_frobenius < 1e-9,
            "{}: {:?}",
            check.id,
            w.vs_design
        );
        assert!(check.window_note.is_none());
    }
    // No piece of a point's own region is dropped.
    for t in graded.transitions.iter().filter(|t| t.to.is_none()) {
        assert_eq!(t.dropped, 0, "{t:?}");
        assert!(t.kept > 0 && t.thinnest_kept_mm >= 0.1, "{t:?}");
    }
    assert!(graded.transitions.iter().any(|t| t.to.is_some()));
}

#[test]
fn one_cell_cores_reproduce_every_design_exactly() {
    // Cores of a single cell (core_cells: 0), the points closer together than 3 × 3 × 3 cores
    // would allow: the cell at each point, cut out as a periodic cell and as the 1 × 1 × 1
    // window of the written network, is still the design, strut for strut.
    let mut points = cored_points();
    points[1].position = [9.0, 0.0, 0.0];
    points[2].position = [4.5, 8.0, 0.0];
    let domain = Domain::new_box([-6.0, -6.0, -8.0], [21.0, 19.0, 8.0]).unwrap();
    let options = GradingOptions {
        core_cells: Some(0),
        ..GradingOptions::default()
    };
    let graded = grade(&points, 3.0, &domain, &options).unwrap();
    let v = verify(
        &graded,
        &points,
        None,
        &VerifyOptions {
            samples_per_segment: 0,
            ..Default::default()
        },
    )
    .unwrap();
    for (i, check) in v.points.iter().enumerate() {
        assert_eq!(graded.cores[i].half_cells, Some(0), "{:?}", graded.notes);
        assert!(
            check.vs_design.rel_frobenius < 1e-9,
            "{}: {:?}",
            check.id,
            check.vs_design
        );
        let w = check.window.as_ref().expect("a window");
        assert_eq!(w.cells_per_side, 1);
        assert!(
            w.vs_design.rel_frobenius < 1e-9,
            "{}: {:?}",
            check.id,
            w.vs_design
        );
    }
}

#[test]
fn the_window_sees_a_strut_missing_from_the_built_network() {
    let points = cored_points();
    let domain = Domain::new_box([-6.0, -6.0, -8.0], [21.0, 19.0, 8.0]).unwrap();
    let mut graded = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    let design = points[0].design.cell(RangePolicy::Strict).unwrap();
    let fem = crate::fem::Homogenizer::new(Default::default());
    let mut fem = fem;
    let material = crate::design_space::Material::TI6AL4V;
    let truth = fem.homogenize(&design, &material).unwrap().stiffness;
    let intact = graded_window(&graded, 0, 1).unwrap();
    let c = fem.homogenize(&intact, &material).unwrap().stiffness;
    assert!(crate::mechanics::relative_frobenius(truth.voigt(), c.voigt()) < 1e-9);
    // Remove the strut of the network nearest the control point: the window softens.
    let net = &graded.network;
    let centre = Point3::from(points[0].position);
    let nearest = (0..net.struts().len())
        .min_by(|&x, &y| {
            let mid = |k: usize| {
                let s = &net.struts()[k];
                nalgebra::center(&net.nodes()[s.a.index()], &net.nodes()[s.b.index()])
            };
            (mid(x) - centre)
                .norm()
                .total_cmp(&(mid(y) - centre).norm())
        })
        .unwrap();
    let mut struts = net.struts().to_vec();
    struts.remove(nearest);
    graded.network = StrutNetwork::try_new(net.nodes().to_vec(), struts).unwrap();
    let damaged = graded_window(&graded, 0, 1).unwrap();
    let d = fem.homogenize(&damaged, &material).unwrap().stiffness;
    let change = crate::mechanics::relative_frobenius(truth.voigt(), d.voigt());
    assert!(change > 1e-3, "{change}");
}

#[test]
fn points_too_close_for_cores_lose_them_with_the_distance_needed() {
    let mut points = cored_points();
    points[1].position = [3.0, 0.0, 0.0];
    let domain = Domain::new_box([-6.0, -6.0, -8.0], [21.0, 19.0, 8.0]).unwrap();
    let graded = grade(&points, 3.0, &domain, &GradingOptions::default()).unwrap();
    assert_eq!(graded.cores[0].half_cells, None);
    assert_eq!(graded.cores[1].half_cells, None);
    assert!(graded.cores[2].half_cells.is_some());
    assert_eq!(graded.notes.len(), 1, "{:?}", graded.notes);
    let GradingNote::PointsTooClose {
        a,
        b,
        distance,
        needed,
        ..
    } = &graded.notes[0]
    else {
        panic!("{:?}", graded.notes)
    };
    assert_eq!((a.as_str(), b.as_str()), ("a", "b"));
    assert!(
        (distance - 3.0).abs() < 1e-9 && *needed > *distance,
        "{distance} {needed}"
    );
    let note = graded.notes[0].to_string();
    assert!(
        note.contains("\"a\"") && note.contains("\"b\"") && note.contains("3.000 mm apart"),
        "{note}"
    );
    assert!(note.contains("need at least"), "{note}");
}

#[test]
fn an_astronomical_domain_is_refused_at_once() {
    let points = vec![cp(
        "a",
        [5.0; 3],
        design(
            [(0, 1), (0, 1), (0, 1)],
            0.05,
            [1.0; 3],
            AxisAngle::IDENTITY,
        ),
    )];
    for extent in [1e9, 1e300] {
        let domain = Domain::new_box([0.0; 3], [extent; 3]).unwrap();
        let e = grade(&points, 2.0, &domain, &GradingOptions::default()).unwrap_err();
        assert!(matches!(e, GradingError::ScaffoldTooLarge { .. }), "{e}");
    }
}
