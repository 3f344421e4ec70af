//! Tests of the explicit hub-and-strut mesher ([`super::hub`]) and of `MeshMethod::Auto`:
//! the same battery as the implicit mesher, checked by the full [`check`] and against the
//! Monte-Carlo volume of the exact union of round cones.

use nalgebra::{Point3, Unit, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::tests::{
    graded_chain, monte_carlo_volume, net, one_strut, random_unit, round_cone_volume,
};
use super::*;
use crate::design_space::{AxisAngle, Design, LatticeChoice, RangePolicy, Topology};
use crate::network::{Domain, tile};

/// Relative volume tolerance of the explicit mesh vs the exact union of round cones (plus 4σ
/// of the Monte-Carlo estimate) on lattices and chains. The hubs fill the concave space
/// between struts up to the set-back sphere, so the mesh is mostly a little larger than the
/// exact solid (measured −1 % … +7 %).
const EXPLICIT_VOLUME_TOL: f64 = 0.08;
/// The same for isolated stars of 2–4 struts, where one hub is a large part of the solid
/// (measured up to +14 %).
const STAR_VOLUME_TOL: f64 = 0.15;
/// Volume tolerance where a hub is large (set-back sphere over 3 × the ring radius: struts at
/// small angles, the hub webbing the space between them out to that sphere) or conditioning
/// absorbed a strut: measured up to +64 % on isolated random stars of short struts (length
/// 6–12 radii, hub ratio 4.8), where the hub is most of the solid, and −66 % on a 4-strut star
/// whose 3° pair made every leaf strut shorter than its set-backs (absorbed). On whole graded
/// lattices these change the volume by a few per cent (see the module docs of `condition`).
const LARGE_HUB_VOLUME_TOL: f64 = 0.8;

fn explicit() -> MeshSettings {
    MeshSettings {
        method: MeshMethod::Explicit,
        ..Default::default()
    }
}

/// Meshes with `Auto`; the result must pass the full check with one shell per component and
/// (if explicit) match the Monte-Carlo volume. Returns (used explicit?, relative volume error).
fn assert_auto(n: &StrutNetwork, label: &str, mc_samples: usize, tol: f64) -> (bool, f64) {
    let (mesh, stats) = mesh_network_with_stats(n, &MeshSettings::default())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let report = check(&mesh);
    assert!(report.ok(), "{label} ({:?}): {report:?}", stats.method);
    assert!(report.euler_characteristic <= 2 * report.shells as i64);
    if let Some(f) = &stats.fallback {
        eprintln!("{label}: fell back to implicit: {f}");
    }
    let explicit = stats.method == MeshMethod::Explicit;
    let (mc, sigma) = monte_carlo_volume(n, mc_samples, 11);
    let v = mesh.volume();
    let rel = (v - mc) / mc;
    let large_hubs = stats.hubs.is_some_and(|h| h.large_hubs > 0);
    let absorbed = stats.conditioning.is_some_and(|c| c.struts_absorbed > 0);
    let tol = match (explicit, large_hubs || absorbed) {
        (true, false) => tol,
        (true, true) => LARGE_HUB_VOLUME_TOL,
        (false, _) => 0.02,
    };
    eprintln!(
        "{label}: {:?}, {} triangles ({:.1}/strut), volume error vs Monte-Carlo {rel:+.4} \
         (σ {:.4}), largest hub {:.2}",
        stats.method,
        mesh.triangles().len(),
        mesh.triangles().len() as f64 / n.struts().len() as f64,
        sigma / mc,
        stats.hubs.map_or(0.0, |h| h.largest_hub_ratio)
    );
    assert!(
        (v - mc).abs() <= tol * mc + 4.0 * sigma,
        "{label}: mesh volume {v} vs Monte-Carlo {mc} ± {sigma}"
    );
    (explicit, rel)
}

#[test]
fn segments_follow_the_chord_tolerance() {
    assert_eq!(hub::segments(0.05), 10);
    assert_eq!(hub::segments(0.02), 16);
    for tol in [0.01, 0.02, 0.05, 0.1, 0.2] {
        let n = hub::segments(tol) as f64;
        assert!(1.0 - (PI / n).cos() <= tol + 1e-12 || n == 6.0);
        assert!(n == 6.0 || 1.0 - (PI / (n - 1.0)).cos() > tol);
    }
}

use std::f64::consts::PI;

#[test]
fn single_strut_capsule_and_frustum() {
    let (l, r) = (5.0, 0.5);
    let n = net(
        vec![Point3::new(0.1, 0.2, 0.3), Point3::new(0.1 + l, 0.2, 0.3)],
        vec![(0, 1, r, r)],
    );
    let mesh = mesh_network(&n, &explicit()).unwrap();
    let report = check(&mesh);
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.euler_characteristic, 2);
    let exact = round_cone_volume(l, r, r);
    let rel = (mesh.volume() - exact) / exact;
    eprintln!(
        "explicit capsule: {} triangles, volume error {rel:+.5}",
        mesh.triangles().len()
    );
    assert!(rel.abs() < EXPLICIT_VOLUME_TOL, "{rel}");

    let (a, b) = (Point3::origin(), Point3::new(3.0, 2.0, 1.5));
    let n = net(vec![a, b], vec![(0, 1, 0.6, 0.3)]);
    let mesh = mesh_network(&n, &explicit()).unwrap();
    let report = check(&mesh);
    assert!(report.ok(), "{report:?}");
    let exact = round_cone_volume((b - a).norm(), 0.6, 0.3);
    let rel = (mesh.volume() - exact) / exact;
    eprintln!("explicit frustum: volume error {rel:+.5}");
    assert!(rel.abs() < EXPLICIT_VOLUME_TOL, "{rel}");
}

/// A star of `k` struts at one node; `near_parallel` makes the second strut 3° from the first.
fn star(k: u32, near_parallel: bool, rng: &mut ChaCha8Rng) -> StrutNetwork {
    let centre = Point3::new(0.37, -0.21, 0.55);
    let mut nodes = vec![centre];
    let mut struts = Vec::new();
    let mut dirs: Vec<Vector3<f64>> = Vec::new();
    for s in 0..k {
        let d = if s == 1 && near_parallel {
            let axis = Unit::new_normalize(dirs[0].cross(&Vector3::new(0.3, 1.0, 0.2)));
            UnitQuaternion::from_axis_angle(&axis, 3f64.to_radians()) * dirs[0]
        } else {
            random_unit(rng)
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
    net(nodes, struts)
}

#[test]
fn node_with_2_to_12_struts() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut explicit_count = 0;
    let mut fused_count = 0;
    for k in 2..=12u32 {
        // With a nearly parallel pair: no hub can separate the two struts, so conditioning
        // fuses them (the shorter one's end joins the longer one) and the star is meshed
        // explicitly where the fusion moves no node by more than two ring radii, else
        // implicitly; always valid, within the volume tolerance of the original struts.
        let n = star(k, true, &mut rng);
        let (used, _) = assert_auto(&n, &format!("star {k} (3° pair)"), 200_000, STAR_VOLUME_TOL);
        if used {
            let (_, stats) = mesh_network_with_stats(&n, &explicit()).unwrap();
            assert!(stats.conditioning.unwrap().pieces_fused >= 1, "star {k}");
            fused_count += 1;
        }
        // Random directions only.
        let n = star(k, false, &mut rng);
        let (used, _) = assert_auto(&n, &format!("star {k}"), 200_000, STAR_VOLUME_TOL);
        explicit_count += used as usize;
    }
    // Random directions often put two struts within a few degrees: those stars fall back.
    eprintln!(
        "random stars meshed explicitly: {explicit_count}/11, 3° pairs fused: {fused_count}/11"
    );
    assert!(explicit_count >= 3, "{explicit_count}/11");
    assert!(fused_count >= 6, "{fused_count}/11");
}

#[test]
fn graded_chain_is_explicit() {
    let n = graded_chain();
    let (used, _) = assert_auto(&n, "graded chain", 400_000, EXPLICIT_VOLUME_TOL);
    assert!(used);
}

#[test]
fn jittered_cubic_lattice_is_explicit() {
    let n = super::tests::cubic_lattice(3, 2.0, 5);
    let (used, _) = assert_auto(&n, "cubic lattice", 400_000, EXPLICIT_VOLUME_TOL);
    assert!(used);
}

fn design(lattice: u8, rho: f64) -> Design {
    let c = LatticeChoice {
        lattice,
        tessellation: 1,
    };
    Design {
        topology: Topology::try_new(&[c, c, c]).unwrap(),
        relative_density: rho,
        u: [1.0; 3],
        r1: AxisAngle {
            axis: [0.0, 0.0, 1.0],
            angle_deg: 0.0,
        },
        v: [1.0; 3],
        r2: AxisAngle {
            axis: [0.0, 0.0, 1.0],
            angle_deg: 0.0,
        },
    }
}

/// Every elementary lattice, tiled 2.5 cells across a box (trimmed at the far faces), at low
/// and high relative density.
#[test]
fn tiled_elementary_lattices_low_and_high_density() {
    let domain = Domain::new_box([0.0; 3], [5.0; 3]).unwrap();
    let mut explicit_count = 0;
    let mut total = 0;
    for lattice in 0..crate::design_space::LATTICE_COUNT as u8 {
        for rho in [0.01, 0.1] {
            let cell = design(lattice, rho)
                .cell(RangePolicy::Strict)
                .unwrap()
                .scaled(2.0);
            let n = tile(&cell, &domain, [0.0; 3]).unwrap().network;
            let label = format!(
                "{} at ρ = {rho} ({} struts)",
                crate::design_space::LATTICE_NAMES[lattice as usize],
                n.struts().len()
            );
            let (used, _) = assert_auto(&n, &label, 300_000, EXPLICIT_VOLUME_TOL);
            explicit_count += used as usize;
            total += 1;
        }
    }
    eprintln!("elementary lattices meshed explicitly: {explicit_count}/{total}");
}

#[test]
fn trimmed_cylinder() {
    let cell = design(2, 0.05)
        .cell(RangePolicy::Strict)
        .unwrap()
        .scaled(1.5);
    let domain = Domain::new_cylinder([0.0; 3], [0.0, 0.0, 1.0], 2.6, 4.0).unwrap();
    let n = tile(&cell, &domain, [0.1, 0.2, 0.0]).unwrap().network;
    let (used, _) = assert_auto(&n, "trimmed cylinder", 300_000, EXPLICIT_VOLUME_TOL);
    eprintln!("trimmed cylinder explicit: {used}");
}

#[test]
fn explicit_meshing_is_deterministic() {
    let n = super::tests::cubic_lattice(3, 2.0, 9);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| mesh_network(&n, &explicit()).unwrap())
    };
    let (a, b, c) = (run(1), run(2), run(2));
    let bits = |m: &TriMesh| -> Vec<u64> {
        m.vertices()
            .iter()
            .flat_map(|p| p.iter().map(|c| c.to_bits()).collect::<Vec<_>>())
            .collect()
    };
    assert_eq!(a.triangles(), b.triangles());
    assert_eq!(b.triangles(), c.triangles());
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(bits(&b), bits(&c));
}

#[test]
fn bad_chord_tolerance_is_an_error() {
    let n = one_strut();
    for chord_tolerance in [0.0, -1.0, f64::NAN, 0.7] {
        let s = MeshSettings {
            chord_tolerance,
            ..Default::default()
        };
        assert!(matches!(
            mesh_network(&n, &s),
            Err(MeshError::BadChordTolerance { .. })
        ));
    }
}

mod prop {
    use super::*;
    use crate::mesh::tests::prop::arb_network_with;
    use proptest::prelude::*;

    fn arb_network() -> impl Strategy<Value = StrutNetwork> {
        arb_network_with(8, 10, 0.08..0.3)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// `Auto` always gives a valid mesh (explicit where possible, implicit otherwise).
        #[test]
        fn auto_always_gives_a_valid_mesh(n in arb_network()) {
            let settings = MeshSettings { resolution: 0.5, ..Default::default() };
            let (mesh, stats) = mesh_network_with_stats(&n, &settings).unwrap();
            let r = check(&mesh);
            prop_assert!(r.ok(), "{:?}: {:?}", stats, r);
            prop_assert!(r.euler_characteristic <= 2 * r.shells as i64);
        }
    }
}

/// A node whose two struts meet at 30° needs a hub set back to several ring radii; a strut
/// passing on the node's other side, clear of the hub's actual hull but inside its bounding
/// ball, is judged by the tighter support-plane bound and meshes explicitly, with no
/// self-intersection (the full check's exhaustive triangle test is the truth).
#[test]
fn a_strut_inside_a_long_hubs_ball_but_clear_of_the_hub_meshes_explicitly() {
    let half = 15f64.to_radians();
    let (c, s) = (half.cos(), half.sin());
    let r = 0.15;
    let nodes = vec![
        Point3::origin(),
        Point3::new(3.0 * c, 3.0 * s, 0.0),
        Point3::new(3.0 * c, -3.0 * s, 0.0),
        // The passing strut: parallel to z, behind the node (−x side), 0.55 mm from it.
        Point3::new(-0.55, 0.0, -2.0),
        Point3::new(-0.55, 0.0, 2.0),
    ];
    let network = net(nodes, vec![(0, 1, r, r), (0, 2, r, r), (3, 4, r, r)]);
    let n = hub::segments(MeshSettings::default().chord_tolerance);
    let layout = hub::Layout::new(&network, n);
    let (_, rho, _) = layout.setbacks(hub::RHO_MAX_FACTOR);
    let ring = layout.ring_radius(2);
    assert!(
        0.55 < rho[0] + ring,
        "the ball test would clash: ρ {} + ring {ring}",
        rho[0]
    );
    let (mesh, _) = hub::mesh_explicit(&network, n)
        .unwrap_or_else(|e| panic!("the explicit mesher refused the network: {e}"));
    let report = check(&mesh);
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.shells, 2);
}

/// Random stars with a strut passing near the node: whenever the explicit mesher accepts
/// (the support-plane bound says the hub and the strut are apart), the full check finds no
/// self-intersection; and some are accepted that the bounding-ball test alone would refuse.
#[test]
fn hub_support_planes_never_accept_touching_pieces() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let n = hub::segments(MeshSettings::default().chord_tolerance);
    let (mut accepted, mut inside_ball) = (0, 0);
    for case in 0..150 {
        let k = rng.random_range(2..=5);
        let mut nodes = vec![Point3::origin()];
        let mut struts = Vec::new();
        let base = random_unit(&mut rng);
        for j in 0..k {
            // Struts within ~50° of one direction: long hubs.
            let d = (base + random_unit(&mut rng) * 0.6).normalize();
            nodes.push(Point3::from(d * rng.random_range(2.0..3.0)));
            struts.push((0, j + 1, 0.15, 0.15));
        }
        let side = random_unit(&mut rng);
        let along = side.cross(&random_unit(&mut rng)).normalize();
        let offset = side * rng.random_range(0.3..1.2);
        let first = nodes.len() as u32;
        nodes.push(Point3::from(offset - along * 2.5));
        nodes.push(Point3::from(offset + along * 2.5));
        struts.push((first, first + 1, 0.15, 0.15));
        let network = net(nodes, struts);
        let layout = hub::Layout::new(&network, n);
        let (setback, rho, _) = layout.setbacks(hub::RHO_MAX_FACTOR);
        let passing = network.struts().len() - 1;
        let Ok((mesh, _)) = hub::mesh_explicit(&network, n) else {
            continue;
        };
        accepted += 1;
        let report = check(&mesh);
        assert!(report.ok(), "case {case}: {report:?}");
        let ring = layout.ring_radius(passing);
        // The passing prism's axis between its rings.
        let s = network.struts()[passing];
        let (a, b) = (network.nodes()[s.a.index()], network.nodes()[s.b.index()]);
        let u = (b - a).normalize();
        let (a, b) = (a + u * setback[passing][0], b - u * setback[passing][1]);
        let dist =
            crate::geom::distance::point_segment_distance(Vector3::zeros(), a.coords, b.coords);
        inside_ball += usize::from(dist <= rho[0] + ring);
    }
    eprintln!("accepted {accepted}/150, of which {inside_ball} inside the hub's ball");
    assert!(accepted >= 30, "{accepted}");
    assert!(inside_ball >= 5, "{inside_ball}");
}
