use std::f64::consts::PI;

use nalgebra::{Point3, Unit, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::sdf::RoundCone;
use super::*;
use crate::network::{NodeId, Strut, StrutNetwork};

/// The implicit mesher's settings (the tests in this file are about it).
pub(super) fn implicit() -> MeshSettings {
    MeshSettings {
        method: MeshMethod::Implicit,
        ..Default::default()
    }
}

/// Relative volume tolerance of the mesh vs the exact solid at the default resolution.
const VOLUME_REL_TOL: f64 = 0.02;

pub(super) fn net(nodes: Vec<Point3<f64>>, struts: Vec<(u32, u32, f64, f64)>) -> StrutNetwork {
    StrutNetwork::try_new(
        nodes,
        struts
            .into_iter()
            .map(|(a, b, radius_a, radius_b)| Strut {
                a: NodeId(a),
                b: NodeId(b),
                radius_a,
                radius_b,
            })
            .collect(),
    )
    .unwrap()
}

fn cones(n: &StrutNetwork) -> Vec<RoundCone> {
    n.struts()
        .iter()
        .map(|s| {
            RoundCone::new(
                n.nodes()[s.a.index()],
                n.nodes()[s.b.index()],
                s.radius_a,
                s.radius_b,
            )
        })
        .collect()
}

fn union_distance(c: &[RoundCone], p: &Point3<f64>) -> f64 {
    c.iter()
        .map(|c| c.distance(p))
        .fold(f64::INFINITY, f64::min)
}

/// Monte-Carlo volume of the exact union (independent of the grid): (estimate, std error).
pub(super) fn monte_carlo_volume(n: &StrutNetwork, samples: usize, seed: u64) -> (f64, f64) {
    let c = cones(n);
    let (mut lo, mut hi) = c[0].aabb();
    for k in &c {
        let (a, b) = k.aabb();
        lo = lo.inf(&a);
        hi = hi.sup(&b);
    }
    let box_volume = (hi - lo).product();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut hits = 0usize;
    for _ in 0..samples {
        let p = Point3::new(
            rng.random_range(lo.x..hi.x),
            rng.random_range(lo.y..hi.y),
            rng.random_range(lo.z..hi.z),
        );
        if union_distance(&c, &p) < 0.0 {
            hits += 1;
        }
    }
    let f = hits as f64 / samples as f64;
    (
        f * box_volume,
        (f * (1.0 - f) / samples as f64).sqrt() * box_volume,
    )
}

/// Full check plus accuracy: every vertex within `0.02·h` (the 1 % edge clamp bounds it by
/// `0.01·√3·h`) of the exact surface, and the volume
/// within `VOLUME_REL_TOL` + 4σ of the Monte-Carlo estimate. Returns the relative volume error.
fn assert_good_mesh(n: &StrutNetwork, label: &str) -> f64 {
    let settings = implicit();
    let mesh = mesh_network(n, &settings).unwrap_or_else(|e| panic!("{label}: {e}"));
    let report = check(&mesh);
    assert!(report.ok(), "{label}: {report:?}");
    assert_eq!(report.shells, 1, "{label}: connected network → one shell");
    let h = settings.spacing(n);
    let c = cones(n);
    let worst = mesh
        .vertices()
        .iter()
        .map(|v| union_distance(&c, v).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= 0.02 * h,
        "{label}: vertex off the surface by {worst} (h = {h})"
    );
    let (mc, sigma) = monte_carlo_volume(n, 200_000, 11);
    let v = mesh.volume();
    let rel = (v - mc) / mc;
    assert!(
        (v - mc).abs() <= VOLUME_REL_TOL * mc + 4.0 * sigma,
        "{label}: mesh volume {v} vs Monte-Carlo {mc} ± {sigma}"
    );
    rel
}

pub(super) fn round_cone_volume(l: f64, ra: f64, rb: f64) -> f64 {
    // Tangent circles at axial offsets r·sinα; frustum between them plus two spherical caps.
    let sin = (ra - rb) / l;
    let cos = (1.0 - sin * sin).sqrt();
    let (pa, pb) = (ra * cos, rb * cos);
    let hf = l * cos * cos;
    let frustum = PI * hf / 3.0 * (pa * pa + pa * pb + pb * pb);
    let cap = |r: f64, h: f64| PI * h * h * (3.0 * r - h) / 3.0;
    frustum + cap(ra, ra * (1.0 + sin)) + cap(rb, rb * (1.0 - sin))
}

#[test]
fn single_capsule_volume_matches_analytic() {
    let (l, r) = (5.0, 0.5);
    let n = net(
        vec![Point3::new(0.1, 0.2, 0.3), Point3::new(0.1 + l, 0.2, 0.3)],
        vec![(0, 1, r, r)],
    );
    let mesh = mesh_network(&n, &implicit()).unwrap();
    let exact = PI * r * r * l + 4.0 / 3.0 * PI * r.powi(3);
    assert!((round_cone_volume(l, r, r) - exact).abs() < 1e-12);
    let rel = (mesh.volume() - exact) / exact;
    eprintln!("capsule: volume error vs analytic {rel:+.5}");
    assert!(rel.abs() < VOLUME_REL_TOL, "capsule volume error {rel}");
    let report = check(&mesh);
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.euler_characteristic, 2);
    assert_eq!(report.shells, 1);
}

#[test]
fn single_oblique_frustum_volume_matches_analytic() {
    let a = Point3::new(0.0, 0.0, 0.0);
    let b = Point3::new(3.0, 2.0, 1.5);
    let (ra, rb) = (0.6, 0.3);
    let n = net(vec![a, b], vec![(0, 1, ra, rb)]);
    let mesh = mesh_network(&n, &implicit()).unwrap();
    let exact = round_cone_volume((b - a).norm(), ra, rb);
    let rel = (mesh.volume() - exact) / exact;
    eprintln!("frustum: volume error vs analytic {rel:+.5}");
    assert!(rel.abs() < VOLUME_REL_TOL, "frustum volume error {rel}");
    assert_eq!(check(&mesh).euler_characteristic, 2);
    assert_good_mesh(&n, "frustum");
}

pub(super) fn random_unit(rng: &mut ChaCha8Rng) -> Vector3<f64> {
    loop {
        let v = Vector3::new(
            rng.random_range(-1.0..1.0),
            rng.random_range(-1.0..1.0),
            rng.random_range(-1.0..1.0),
        );
        if let Some(u) = v.try_normalize(1e-3).filter(|_| v.norm() <= 1.0) {
            return u;
        }
    }
}

#[test]
fn node_with_2_to_12_struts_including_nearly_parallel_pairs() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    for k in 2..=12u32 {
        let centre = Point3::new(0.37, -0.21, 0.55);
        let mut nodes = vec![centre];
        let mut struts = Vec::new();
        let mut dirs: Vec<Vector3<f64>> = Vec::new();
        for s in 0..k {
            let d = if s == 1 {
                // Nearly parallel to the first strut: 3° apart.
                let axis = Unit::new_normalize(dirs[0].cross(&Vector3::new(0.3, 1.0, 0.2)));
                UnitQuaternion::from_axis_angle(&axis, 3f64.to_radians()) * dirs[0]
            } else {
                random_unit(&mut rng)
            };
            dirs.push(d);
            let len = rng.random_range(1.5..3.0);
            nodes.push(centre + d * len);
            struts.push((
                0,
                s + 1,
                rng.random_range(0.2..0.3),
                rng.random_range(0.15..0.3),
            ));
        }
        let n = net(nodes, struts);
        let rel = assert_good_mesh(&n, &format!("node with {k} struts"));
        eprintln!("node with {k} struts: volume error vs Monte-Carlo {rel:+.4}");
    }
}

#[test]
fn graded_radius_chain() {
    let n = graded_chain();
    let rel = assert_good_mesh(&n, "graded chain");
    eprintln!("graded chain: volume error vs Monte-Carlo {rel:+.4}");
}

/// A cubic grid of 4×4×4 nodes (3×3×3 cells, 144 struts) with random radii and jitter.
/// One 1 mm strut along x, radius 0.2 mm: the network of the settings-error tests.
pub(super) fn one_strut() -> StrutNetwork {
    net(
        vec![Point3::origin(), Point3::new(1.0, 0.0, 0.0)],
        vec![(0, 1, 0.2, 0.2)],
    )
}

/// Seven nodes zig-zagging along x with radii growing strut by strut (0.15…0.45 mm): the
/// graded-radius test network of the mesher, the hub mesher and the simplifier.
pub(super) fn graded_chain() -> StrutNetwork {
    let nodes: Vec<Point3<f64>> = (0..7)
        .map(|i| {
            Point3::new(
                1.2 * i as f64,
                if i % 2 == 0 { 0.0 } else { 0.8 },
                0.1 * i as f64,
            )
        })
        .collect();
    let struts = (0..6)
        .map(|i| (i, i + 1, 0.15 + 0.05 * i as f64, 0.2 + 0.05 * i as f64))
        .collect();
    net(nodes, struts)
}

pub(crate) fn cubic_lattice(cells: usize, pitch: f64, seed: u64) -> StrutNetwork {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let m = cells + 1;
    let id = |i: usize, j: usize, k: usize| (i + m * (j + m * k)) as u32;
    let mut nodes = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                nodes.push(Point3::new(
                    pitch * i as f64 + rng.random_range(-0.1..0.1) * pitch,
                    pitch * j as f64 + rng.random_range(-0.1..0.1) * pitch,
                    pitch * k as f64 + rng.random_range(-0.1..0.1) * pitch,
                ));
            }
        }
    }
    let mut struts = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                let mut r = || rng.random_range(0.08..0.15) * pitch;
                if i + 1 < m {
                    struts.push((id(i, j, k), id(i + 1, j, k), r(), r()));
                }
                if j + 1 < m {
                    struts.push((id(i, j, k), id(i, j + 1, k), r(), r()));
                }
                if k + 1 < m {
                    struts.push((id(i, j, k), id(i, j, k + 1), r(), r()));
                }
            }
        }
    }
    net(nodes, struts)
}

#[test]
fn random_cubic_lattice() {
    let n = cubic_lattice(3, 2.0, 5);
    assert_eq!(n.struts().len(), 144);
    let rel = assert_good_mesh(&n, "cubic lattice");
    eprintln!("cubic lattice: volume error vs Monte-Carlo {rel:+.4}");
}

#[test]
fn the_implicit_estimate_is_a_slight_underestimate_and_the_limit_stops_before_contouring() {
    for (seed, resolution) in [(5, 0.35), (6, 0.6)] {
        let n = cubic_lattice(3, 2.0, seed);
        let settings = MeshSettings {
            resolution,
            ..implicit()
        };
        let estimated = estimate_implicit_triangles(&n, &settings);
        let actual = mesh_network(&n, &settings).unwrap().triangles().len() as u64;
        let ratio = estimated as f64 / actual as f64;
        eprintln!("resolution {resolution}: estimated {estimated}, actual {actual} ({ratio:.2})");
        assert!((0.5..=1.0).contains(&ratio), "{ratio}");
        let limited = MeshSettings {
            max_triangles: estimated - 1,
            ..settings
        };
        match mesh_network_with_stats(&n, &limited) {
            Err(MeshError::TooManyTriangles {
                estimated: e, max, ..
            }) => {
                assert_eq!((e, max), (estimated, estimated - 1));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn meshing_is_deterministic_across_thread_counts() {
    let n = cubic_lattice(2, 2.0, 9);
    let settings = implicit();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| mesh_network(&n, &settings).unwrap())
    };
    let (a, b, c) = (run(1), run(2), run(2));
    assert_eq!(a, b);
    assert_eq!(b, c);
    let bits = |m: &TriMesh| -> Vec<u64> {
        m.vertices()
            .iter()
            .flat_map(|p| p.iter().map(|c| c.to_bits()).collect::<Vec<_>>())
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn bad_settings_and_empty_network_are_errors() {
    let n = one_strut();
    for resolution in [0.0, -1.0, f64::NAN, 2.0] {
        let s = MeshSettings {
            resolution,
            ..implicit()
        };
        assert!(matches!(
            mesh_network(&n, &s),
            Err(MeshError::BadResolution { .. })
        ));
    }
    let s = MeshSettings {
        max_cells: 10,
        ..implicit()
    };
    assert!(matches!(
        mesh_network(&n, &s),
        Err(MeshError::TooManyCells { .. })
    ));
    assert!(matches!(
        mesh_network(&StrutNetwork::default(), &MeshSettings::default()),
        Err(MeshError::EmptyNetwork)
    ));
}

// ---- checker ----

pub(crate) fn cube(origin: Vector3<f64>, size: f64) -> TriMesh {
    let v: Vec<Point3<f64>> = (0..8)
        .map(|c| {
            Point3::from(
                origin
                    + size * Vector3::new((c & 1) as f64, (c >> 1 & 1) as f64, (c >> 2 & 1) as f64),
            )
        })
        .collect();
    let t = vec![
        [0, 2, 1],
        [1, 2, 3], // z = 0 (normal −z)
        [4, 5, 6],
        [5, 7, 6], // z = 1
        [0, 1, 4],
        [1, 5, 4], // y = 0
        [2, 6, 3],
        [3, 6, 7], // y = 1
        [0, 4, 2],
        [2, 4, 6], // x = 0
        [1, 3, 5],
        [3, 7, 5], // x = 1
    ];
    TriMesh::try_new(v, t).unwrap()
}

fn concat(a: &TriMesh, b: &TriMesh) -> TriMesh {
    let mut v = a.vertices().to_vec();
    let off = v.len() as u32;
    v.extend_from_slice(b.vertices());
    let mut t = a.triangles().to_vec();
    t.extend(b.triangles().iter().map(|x| x.map(|i| i + off)));
    TriMesh::try_new(v, t).unwrap()
}

#[test]
fn cube_passes() {
    let c = cube(Vector3::zeros(), 2.0);
    let r = check(&c);
    assert!(r.ok(), "{r:?}");
    assert_eq!(r.euler_characteristic, 2);
    assert_eq!(r.shells, 1);
    assert!((r.signed_volume - 8.0).abs() < 1e-12);
    assert!((r.area - 24.0).abs() < 1e-12);
    assert_eq!(
        c.bounding_box(),
        Some((Point3::origin(), Point3::new(2.0, 2.0, 2.0)))
    );
    assert!(r.into_result().is_ok());
}

#[test]
fn cube_with_deleted_triangle_is_open() {
    let (v, mut t) = cube(Vector3::zeros(), 1.0).into_parts();
    t.remove(3);
    let r = check(&TriMesh::try_new(v, t).unwrap());
    assert!(!r.closed && !r.ok());
    assert_eq!(r.open_edges, 3);
    assert!(matches!(
        r.into_result(),
        Err(SurfaceError::OpenEdge { .. })
    ));
}

#[test]
fn flipped_triangle_fails_orientation() {
    let (v, mut t) = cube(Vector3::zeros(), 1.0).into_parts();
    t[5].swap(1, 2);
    let r = check(&TriMesh::try_new(v, t).unwrap());
    assert!(r.closed && !r.oriented);
    assert_eq!(r.misoriented_edges, 3);
    assert!(matches!(
        r.into_result(),
        Err(SurfaceError::InconsistentOrientation { .. })
    ));
}

#[test]
fn inside_out_cube_fails() {
    let (v, t) = cube(Vector3::zeros(), 1.0).into_parts();
    let t = t.into_iter().map(|[a, b, c]| [a, c, b]).collect();
    let r = check(&TriMesh::try_new(v, t).unwrap());
    assert!(matches!(
        r.into_result(),
        Err(SurfaceError::InsideOut { .. })
    ));
}

#[test]
fn overlapping_cubes_self_intersect_and_separate_cubes_do_not() {
    let a = cube(Vector3::zeros(), 1.0);
    let b = cube(Vector3::new(0.5, 0.4, 0.3), 1.0);
    let r = check(&concat(&a, &b));
    assert!(r.closed && r.manifold);
    assert!(r.self_intersections > 0, "{r:?}");
    assert!(matches!(
        r.into_result(),
        Err(SurfaceError::SelfIntersection { .. })
    ));
    let far = cube(Vector3::new(3.0, 0.0, 0.0), 1.0);
    let r = check(&concat(&a, &far));
    assert!(r.ok(), "{r:?}");
    assert_eq!(r.shells, 2);
    assert_eq!(r.euler_characteristic, 4);
}

#[test]
fn cubes_touching_at_a_vertex_are_non_manifold() {
    let a = cube(Vector3::zeros(), 1.0);
    let b = cube(Vector3::new(1.0, 1.0, 1.0), 1.0);
    let (v, t) = concat(&a, &b).into_parts();
    let welded = weld_and_clean(&v, &t);
    let r = check(&welded);
    assert_eq!(r.non_manifold_vertices, 1);
    assert!(matches!(
        r.into_result(),
        Err(SurfaceError::NonManifoldVertex { fans: 2, .. })
    ));
}

#[test]
fn degenerate_triangle_is_reported() {
    let v = vec![
        Point3::origin(),
        Point3::new(1.0, 0.0, 0.0),
        Point3::new(2.0, 0.0, 0.0),
    ];
    let r = check(&TriMesh::try_new(v, vec![[0, 1, 2]]).unwrap());
    assert_eq!(r.degenerate_triangles, 1);
    assert_eq!(r.first_degenerate, Some(0));
}

#[test]
fn try_new_rejects_bad_input() {
    assert!(matches!(
        TriMesh::try_new(vec![Point3::origin()], vec![[0, 0, 1]]),
        Err(SurfaceError::BadIndex { index: 1, .. })
    ));
    assert!(matches!(
        TriMesh::try_new(vec![Point3::new(f64::NAN, 0.0, 0.0)], vec![]),
        Err(SurfaceError::NonFiniteVertex { vertex: 0 })
    ));
}

pub(super) mod prop {
    use super::*;
    use proptest::prelude::*;

    /// Random small networks (3–5 nodes in a 3 mm cube, 1–5 struts of radii 0.12–0.4 mm,
    /// none shorter than 0.05 mm).
    pub(in crate::mesh) fn arb_network() -> impl Strategy<Value = StrutNetwork> {
        arb_network_with(6, 6, 0.12..0.4)
    }

    /// Random networks of 3 to `max_nodes − 1` nodes in a 3 mm cube and 1 to `max_struts − 1`
    /// struts with end radii in `radii` (mm); struts shorter than 0.05 mm and repeated node
    /// pairs are left out.
    pub(in crate::mesh) fn arb_network_with(
        max_nodes: usize,
        max_struts: usize,
        radii: std::ops::Range<f64>,
    ) -> impl Strategy<Value = StrutNetwork> {
        let point =
            (0.0f64..3.0, 0.0f64..3.0, 0.0f64..3.0).prop_map(|(x, y, z)| Point3::new(x, y, z));
        (
            proptest::collection::vec(point, 3..max_nodes),
            proptest::collection::vec(
                (0..max_nodes, 0..max_nodes, radii.clone(), radii),
                1..max_struts,
            ),
        )
            .prop_filter_map("need struts of length > 0.05", |(nodes, raw)| {
                let n = nodes.len();
                let mut struts: Vec<Strut> = raw
                    .into_iter()
                    .map(|(a, b, radius_a, radius_b)| Strut {
                        a: NodeId::new(a % n),
                        b: NodeId::new(b % n),
                        radius_a,
                        radius_b,
                    })
                    .filter(|s| (nodes[s.a.index()] - nodes[s.b.index()]).norm() > 0.05)
                    .collect();
                struts.dedup_by_key(|s| (s.a.min(s.b), s.a.max(s.b)));
                if struts.is_empty() {
                    return None;
                }
                StrutNetwork::try_new(nodes, struts).ok()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Any network meshes into a closed, manifold, outward, self-intersection-free mesh
        /// whose Euler characteristic is even per shell sum (2 per sphere-like shell).
        #[test]
        fn random_networks_mesh_watertight(n in arb_network()) {
            let settings = MeshSettings { resolution: 0.5, ..implicit() };
            let mesh = mesh_network(&n, &settings).unwrap();
            let r = check(&mesh);
            prop_assert!(r.ok(), "{:?}", r);
            prop_assert!(r.euler_characteristic % 2 == 0);
            prop_assert!(r.euler_characteristic <= 2 * r.shells as i64);
        }
    }
}

/// Two cubes side by side plus a small inverted cube inside the first (a void).
fn cubes_with_void_and_floating_piece() -> TriMesh {
    let parts = [
        cube(Vector3::zeros(), 4.0),
        cube(Vector3::new(10.0, 0.0, 0.0), 1.0),
        cube(Vector3::new(1.0, 1.0, 1.0), 1.0),
    ];
    let mut vertices = Vec::new();
    let mut triangles = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        let base = vertices.len() as u32;
        vertices.extend_from_slice(part.vertices());
        triangles.extend(part.triangles().iter().map(|t| {
            let t = t.map(|i| i + base);
            // The inner cube is turned inside out: it bounds a void of the big one.
            if k == 2 { [t[0], t[2], t[1]] } else { t }
        }));
    }
    TriMesh::from_parts_unchecked(vertices, triangles)
}

#[test]
fn check_counts_voids_and_floating_pieces() {
    let mesh = cubes_with_void_and_floating_piece();
    let r = check_topology(&mesh);
    assert_eq!((r.shells, r.voids, r.floating_pieces), (3, 1, 1));
    assert!((r.signed_volume - (64.0 + 1.0 - 1.0)).abs() < 1e-9);
    let (kept, dropped) = super::drop_floating_pieces(&mesh);
    assert_eq!(dropped, 1);
    let r = check_topology(&kept);
    assert_eq!((r.shells, r.voids, r.floating_pieces), (2, 1, 0));
    assert!((r.signed_volume - 63.0).abs() < 1e-9);
    assert_eq!(kept.vertices().len(), 16);
    // Filling the void leaves the solid cube: one shell, its full volume.
    let (filled, voids, volume) = super::fill_voids(&kept);
    assert_eq!(voids, 1);
    assert!((volume - 1.0).abs() < 1e-9, "{volume}");
    let r = check(&filled);
    assert!(r.ok(), "{r:?}");
    assert_eq!((r.shells, r.voids, r.floating_pieces), (1, 0, 0));
    assert!((r.signed_volume - 64.0).abs() < 1e-9);
    assert_eq!(filled.vertices().len(), 8);
}
