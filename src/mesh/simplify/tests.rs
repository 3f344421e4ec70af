use nalgebra::{Point3, Unit, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::mesh::tests::{graded_chain, net, one_strut, random_unit};
use crate::mesh::{MeshSettings, check, mesh_network, mesh_unchecked};

/// Relative volume tolerance of the decimated vs the dense mesh (the brief's 1 %; the
/// collapses are volume-neutral, so the actual difference is rounding).
const VOLUME_REL_TOL: f64 = 0.01;

fn dense(n: &StrutNetwork, resolution: f64) -> TriMesh {
    let s = MeshSettings {
        resolution,
        simplify: false,
        method: crate::mesh::MeshMethod::Implicit,
        ..Default::default()
    };
    mesh_network(n, &s).unwrap()
}

fn rmin(n: &StrutNetwork) -> f64 {
    n.struts()
        .iter()
        .map(|s| s.radius_a.min(s.radius_b))
        .fold(f64::INFINITY, f64::min)
}

/// Decimates the dense mesh of `n` and checks everything: full [`check`], same Euler
/// characteristic and shells, volume within 1 % of the dense mesh, every vertex within the
/// tolerance of the exact surface, and at least `min_factor` fewer triangles. Returns the
/// reduction factor.
fn assert_good_simplification(
    n: &StrutNetwork,
    resolution: f64,
    min_factor: f64,
    label: &str,
) -> f64 {
    let d = dense(n, resolution);
    let settings = SimplifySettings::default();
    let s = simplify(&d, n, &settings);
    let rd = check(&d);
    let rs = check(&s);
    assert!(rs.ok(), "{label}: {rs:?}");
    assert_eq!(rs.euler_characteristic, rd.euler_characteristic, "{label}");
    assert_eq!(rs.shells, rd.shells, "{label}");
    let rel = (s.volume() - d.volume()) / d.volume();
    assert!(rel.abs() < VOLUME_REL_TOL, "{label}: volume change {rel}");
    let tol = settings.tolerance * rmin(n);
    let grid = ConeGrid::new(n, 1.0, rmin(n));
    let worst = s
        .vertices()
        .iter()
        .map(|v| grid.distance(v).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= tol,
        "{label}: vertex {worst} mm off the surface (tol {tol})"
    );
    let factor = d.triangles().len() as f64 / s.triangles().len() as f64;
    eprintln!(
        "{label}: {} → {} triangles ({factor:.1}×), volume change {rel:+.2e}, worst vertex {:.3} tol",
        d.triangles().len(),
        s.triangles().len(),
        worst / tol
    );
    assert!(
        factor >= min_factor,
        "{label}: only {factor:.1}× fewer triangles"
    );
    factor
}

#[test]
fn single_strut() {
    let n = net(
        vec![Point3::new(0.1, 0.2, 0.3), Point3::new(4.1, 0.7, -0.2)],
        vec![(0, 1, 0.5, 0.5)],
    );
    assert_good_simplification(&n, 0.35, 5.0, "single strut");
    let n = net(
        vec![Point3::new(0.0, 0.0, 0.0), Point3::new(3.0, 2.0, 1.5)],
        vec![(0, 1, 0.6, 0.3)],
    );
    assert_good_simplification(&n, 0.35, 5.0, "single frustum");
}

#[test]
fn node_with_8_struts_including_nearly_parallel() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let centre = Point3::new(0.37, -0.21, 0.55);
    let mut nodes = vec![centre];
    let mut struts = Vec::new();
    let mut dirs: Vec<Vector3<f64>> = Vec::new();
    for s in 0..8u32 {
        let d = if s == 1 || s == 2 {
            // Nearly parallel to the first strut: 3° and 8° apart.
            let axis = Unit::new_normalize(dirs[0].cross(&Vector3::new(0.3, 1.0, 0.2)));
            let deg = if s == 1 { 3.0f64 } else { 8.0 };
            UnitQuaternion::from_axis_angle(&axis, deg.to_radians()) * dirs[0]
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
    assert_good_simplification(&n, 0.35, 5.0, "node with 8 struts");
}

/// `cells`³ body-centred cubic cells of edge `pitch` mm: each centre joined to its 8 corners.
fn bcc_lattice(cells: usize, pitch: f64, radius: f64) -> StrutNetwork {
    let m = cells + 1;
    let corner = |i: usize, j: usize, k: usize| (i + m * (j + m * k)) as u32;
    let mut nodes = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                nodes.push(Point3::new(i as f64, j as f64, k as f64) * pitch);
            }
        }
    }
    let mut struts = Vec::new();
    for k in 0..cells {
        for j in 0..cells {
            for i in 0..cells {
                let c = nodes.len() as u32;
                nodes.push(Point3::new(i as f64 + 0.5, j as f64 + 0.5, k as f64 + 0.5) * pitch);
                for dz in 0..2 {
                    for dy in 0..2 {
                        for dx in 0..2 {
                            struts.push((c, corner(i + dx, j + dy, k + dz), radius, radius));
                        }
                    }
                }
            }
        }
    }
    net(nodes, struts)
}

#[test]
fn tiled_bcc_lattice() {
    let n = bcc_lattice(3, 2.0, 0.2);
    assert_eq!(n.struts().len(), 216);
    assert_good_simplification(&n, 0.5, 5.0, "3×3×3 BCC lattice");
}

#[test]
fn graded_radius_chain() {
    let n = graded_chain();
    assert_good_simplification(&n, 0.35, 5.0, "graded chain");
}

#[test]
fn decimating_mesh_network_is_deterministic() {
    let n = crate::mesh::tests::cubic_lattice(2, 2.0, 9);
    let settings = MeshSettings {
        simplify: true,
        method: crate::mesh::MeshMethod::Implicit,
        ..MeshSettings::default()
    };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| mesh_network(&n, &settings).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a, b);
    let d = dense(&n, settings.resolution);
    assert!(a.triangles().len() * 5 < d.triangles().len());
    assert!(check(&a).ok());
    let unchecked = mesh_unchecked(&n, &settings).unwrap();
    assert_eq!(unchecked, a);
}

#[test]
fn broken_input_is_returned_unchanged() {
    let (v, mut t) = crate::mesh::tests::cube(Vector3::zeros(), 1.0).into_parts();
    t.remove(0);
    let m = TriMesh::try_new(v, t).unwrap();
    let n = one_strut();
    assert_eq!(simplify(&m, &n, &SimplifySettings::default()), m);
}

/// Figures for the docs (run with `--ignored --nocapture` in release).
#[test]
#[ignore]
fn measure_lattice() {
    let n = crate::mesh::tests::cubic_lattice(7, 2.0, 1);
    let ns = n.struts().len();
    for resolution in [0.7, 0.5, 0.35] {
        let t0 = std::time::Instant::now();
        let d = dense(&n, resolution);
        let t_mesh = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        let s = simplify(&d, &n, &SimplifySettings::default());
        let t_simp = t1.elapsed().as_secs_f64();
        let t2 = std::time::Instant::now();
        let r = check(&s);
        let t_check = t2.elapsed().as_secs_f64();
        eprintln!(
            "res {resolution}: {ns} struts; dense {:.0} tri/strut, mesh {t_mesh:.2}s; \
             simplified {:.0} tri/strut ({:.1}×), simplify {t_simp:.2}s; \
             {:.0} struts/s overall; volume change {:+.2e}; check {t_check:.2}s ok={}",
            d.triangles().len() as f64 / ns as f64,
            s.triangles().len() as f64 / ns as f64,
            d.triangles().len() as f64 / s.triangles().len() as f64,
            ns as f64 / (t_mesh + t_simp),
            (s.volume() - d.volume()) / d.volume(),
            r.ok()
        );
    }
}

mod prop {
    use super::*;
    use crate::mesh::tests::prop::arb_network;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Any network's decimated mesh passes the full check, keeps the topology and the
        /// volume, and its vertices stay within the tolerance.
        #[test]
        fn random_networks_simplify_safely(n in arb_network()) {
            let d = dense(&n, 0.5);
            let settings = SimplifySettings::default();
            let s = simplify(&d, &n, &settings);
            let (rd, rs) = (check(&d), check(&s));
            prop_assert!(rs.ok(), "{:?}", rs);
            prop_assert_eq!(rs.euler_characteristic, rd.euler_characteristic);
            prop_assert_eq!(rs.shells, rd.shells);
            prop_assert!(((s.volume() - d.volume()) / d.volume()).abs() < VOLUME_REL_TOL);
            let tol = settings.tolerance * rmin(&n);
            let grid = ConeGrid::new(&n, 1.0, rmin(&n));
            for v in s.vertices() {
                prop_assert!(grid.distance(v).abs() <= tol);
            }
            prop_assert!(s.triangles().len() <= d.triangles().len());
        }
    }
}
