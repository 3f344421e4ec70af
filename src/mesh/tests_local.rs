//! Tests of the explicit mesher's local fallback ([`super::local`]): networks the explicit
//! mesher refuses at one spot are meshed explicitly everywhere else, the spot implicitly, and
//! the result passes the full [`check`] (closed, manifold, oriented, no self-intersections),
//! is one shell, and matches the Monte-Carlo volume of the exact union of round cones.

use nalgebra::{Point3, Vector3};

use super::hub::{self, ExplicitFailure};
use super::tests::{cubic_lattice, monte_carlo_volume};
use super::*;
use crate::network::{NodeId, Strut};

/// Volume tolerance vs the exact union: the explicit hubs' overfill (see `tests_hub`).
const VOLUME_TOL: f64 = 0.08;

/// `base` with extra struts `(from node, to point, radius)` (new nodes appended).
fn with_extra(base: &StrutNetwork, extra: &[(usize, Point3<f64>, f64)]) -> StrutNetwork {
    let mut nodes = base.nodes().to_vec();
    let mut struts = base.struts().to_vec();
    for &(v, p, r) in extra {
        struts.push(Strut {
            a: NodeId::new(v),
            b: NodeId::new(nodes.len()),
            radius_a: r,
            radius_b: r,
        });
        nodes.push(p);
    }
    StrutNetwork::try_new(nodes, struts).unwrap()
}

/// Runs the local fallback on `net` (which the explicit mesher must refuse) and checks the
/// result; returns its statistics.
fn patched(net: &StrutNetwork, label: &str) -> LocalStats {
    let settings = MeshSettings::default();
    let n = hub::segments(settings.chord_tolerance);
    let blames = match hub::mesh_explicit_open(net, n, &[]) {
        Err(b) => b,
        Ok(_) => panic!("{label}: the explicit mesher accepted the network"),
    };
    let (mesh, _, stats) = local::mesh_local(net, n, settings.resolution, &settings, blames)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let report = check(&mesh);
    assert!(report.ok(), "{label}: {report:?}");
    assert_eq!(report.shells, 1, "{label}");
    let (mc, sigma) = monte_carlo_volume(net, 400_000, 3);
    let v = mesh.volume();
    eprintln!(
        "{label}: {stats:?}, {} triangles, volume {v:.4} vs Monte-Carlo {mc:.4} ({:+.4})",
        mesh.triangles().len(),
        (v - mc) / mc
    );
    assert!(
        (v - mc).abs() <= VOLUME_TOL * mc + 4.0 * sigma,
        "{label}: volume {v} vs {mc} ± {sigma}"
    );
    stats
}

#[test]
fn a_nearly_parallel_strut_is_patched_locally() {
    let base = cubic_lattice(4, 2.0, 7);
    // Node 62 is interior (i = j = k = 2); a thin strut 2° off its +x strut, half as long.
    let v = 62;
    let w = 63;
    let (p, q) = (base.nodes()[v], base.nodes()[w]);
    let d = (q - p).normalize();
    let side = d.cross(&Vector3::z()).normalize();
    let x = p + (d * 2f64.to_radians().cos() + side * 2f64.to_radians().sin()) * 0.9;
    let net = with_extra(&base, &[(v, x, 0.12)]);
    let stats = patched(&net, "2° strut");
    assert!(stats.nodes <= 6, "{stats:?}");
    assert!(stats.cuts >= 5, "{stats:?}");
    assert!(
        stats.reasons.sharp_angle + stats.reasons.interference >= 1,
        "{stats:?}"
    );
}

/// A patch whose struts alone would exceed the triangle budget is refused before it is
/// contoured (with `PatchFailure::OverBudget`), and one within it is meshed.
#[test]
fn a_patch_over_the_triangle_budget_is_refused_before_contouring() {
    let base = cubic_lattice(4, 2.0, 7);
    let (p, q) = (base.nodes()[62], base.nodes()[63]);
    let d = (q - p).normalize();
    let side = d.cross(&Vector3::z()).normalize();
    let x = p + (d * 2f64.to_radians().cos() + side * 2f64.to_radians().sin()) * 0.9;
    let net = with_extra(&base, &[(62, x, 0.12)]);
    let settings = MeshSettings::default();
    let n = hub::segments(settings.chord_tolerance);
    let blames = || hub::mesh_explicit_open(&net, n, &[]).err().unwrap();
    let meshed = local::mesh_local(&net, n, settings.resolution, &settings, blames());
    let (_, _, stats) = meshed.expect("meshed without a budget");
    // One triangle is below what any patch needs; ten times what this one made is not.
    let tight = MeshSettings {
        max_triangles: 1,
        ..settings
    };
    let refused = local::mesh_local(&net, n, settings.resolution, &tight, blames());
    assert!(
        matches!(
            refused,
            Err(ExplicitFailure::Patch {
                why: hub::PatchFailure::OverBudget,
                ..
            })
        ),
        "{:?}",
        refused.map(|r| r.2)
    );
    let roomy = MeshSettings {
        max_triangles: 10 * stats.triangles as u64,
        ..settings
    };
    assert!(local::mesh_local(&net, n, settings.resolution, &roomy, blames()).is_ok());
}

#[test]
fn two_crossing_struts_are_patched_locally() {
    let base = cubic_lattice(4, 2.0, 9);
    // A diagonal brace through the middle of a cell face passes within its radius of nothing;
    // one through the centre of an edge strut crosses it.
    let nodes = base.nodes();
    let (a, b) = (nodes[31], nodes[32]); // an x strut of the layer k = 1
    let mid = a + (b - a) * 0.5;
    let from = 6; // a node of the layer k = 0
    let to = mid + (mid - nodes[from]) * 0.8;
    let net = with_extra(&base, &[(from, to, 0.15)]);
    let blames = hub::mesh_explicit_open(&net, 10, &[])
        .err()
        .unwrap_or_default();
    assert!(
        blames
            .iter()
            .any(|b| matches!(b.failure, ExplicitFailure::Interference { .. })),
        "the brace must be refused for interference"
    );
    let stats = patched(&net, "crossing brace");
    assert!(stats.nodes <= 12, "{stats:?}");
    assert!(stats.cuts >= 4, "{stats:?}");
}

#[test]
fn auto_meshes_a_refused_spot_locally_and_reports_it() {
    let base = cubic_lattice(4, 2.0, 7);
    let (p, q) = (base.nodes()[62], base.nodes()[63]);
    let d = (q - p).normalize();
    let x = p + (d * 0.05f64.cos() + d.cross(&Vector3::z()).normalize() * 0.05f64.sin()) * 0.9;
    let net = with_extra(&base, &[(62, x, 0.12)]);
    let (mesh, stats) = mesh_network_with_stats(&net, &MeshSettings::default()).unwrap();
    assert!(check(&mesh).ok());
    // Conditioning may fuse the pair (then no patch is needed); either way the mesher is the
    // explicit one and no whole-network fallback happened.
    assert_eq!(stats.method, MeshMethod::Explicit, "{:?}", stats.fallback);
    assert!(stats.fallback.is_none());
    let all = mesh_network(&net, &MeshSettings::default()).unwrap();
    assert_eq!(all.triangles(), mesh.triangles(), "deterministic");
}
