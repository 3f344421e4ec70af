//! Graded implants at real size: the whole meshing stage (conditioning, explicit mesher,
//! local implicit patches, topology check) and the full check on graded cylinders of
//! ~1k, ~10k and ~100k struts, reported as struts/s (criterion "elements").
//!
//! The networks are graded (`grading::grade`) between three FE-verified printable designs
//! (`fixtures/graded_designs.json`, 0.25 mm struts, cells 2.4–3.9 mm) at points on the axis
//! of Ø × length cylinders scaled so the strut counts span two decades. Also printed per size:
//! struts, triangles per strut, STL bytes per strut, what conditioning and the local fallback
//! did, and the process's peak resident memory (`VmHWM`) after meshing (largest first, so the
//! figure after the ~100k cylinder is its peak).

mod common;

use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use trussforge::design_space::Design;
use trussforge::grading::{ControlPoint, GradingOptions, grade};
use trussforge::mesh::{MeshSettings, check, mesh_network_with_stats};
use trussforge::network::{Domain, StrutNetwork};

#[derive(serde::Deserialize)]
struct Fixture {
    points: Vec<FixturePoint>,
}

#[derive(serde::Deserialize)]
struct FixturePoint {
    id: String,
    design: Design,
    cell_size: f64,
}

/// The graded network of a cylinder of `radius` × `height` mm, the three designs at a sixth,
/// half and five sixths of its length.
fn graded_cylinder(radius: f64, height: f64) -> StrutNetwork {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/graded_designs.json"
    ))
    .expect("fixture");
    let fixture: Fixture = serde_json::from_str(&text).expect("fixture parses");
    let points: Vec<ControlPoint> = fixture
        .points
        .into_iter()
        .zip([1.0 / 6.0, 0.5, 5.0 / 6.0])
        .map(|(p, at)| ControlPoint {
            id: p.id,
            position: [0.0, 0.0, at * height],
            design: p.design,
            cell_size: Some(p.cell_size),
        })
        .collect();
    let domain = Domain::Cylinder {
        base: [0.0, 0.0, 0.0],
        axis: [0.0, 0.0, 1.0],
        radius,
        height,
    };
    let options = GradingOptions {
        min_strut_diameter: 0.25,
        ..Default::default()
    };
    let h = points
        .iter()
        .filter_map(|p| p.cell_size)
        .fold(f64::INFINITY, f64::min);
    grade(&points, h, &domain, &options)
        .expect("the cylinder grades")
        .network
}

fn bench_graded(c: &mut Criterion) {
    let settings = MeshSettings::default();
    let mut group = c.benchmark_group("graded_mesh");
    group.sample_size(10);
    for (label, radius, height) in [
        ("100k", 25.0, 150.0),
        ("10k", 12.0, 70.0),
        ("1k", 6.0, 24.0),
    ] {
        let t = Instant::now();
        let net = graded_cylinder(radius, height);
        let grading_s = t.elapsed().as_secs_f64();
        let n = net.struts().len();
        let t = Instant::now();
        let (mesh, stats) = mesh_network_with_stats(&net, &settings).expect("meshes");
        let mesh_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let report = check(&mesh);
        let check_s = t.elapsed().as_secs_f64();
        assert!(report.ok(), "{label}: {report:?}");
        eprintln!(
            "graded {label} (Ø{} × {height} mm): {n} struts graded in {grading_s:.1} s; \
             {:?} mesh, {} triangles ({:.1}/strut, STL {:.0} B/strut), {} shell(s), meshed in \
             {mesh_s:.2} s ({:.0} struts/s), full check {check_s:.2} s ({:.0} struts/s); \
             conditioning {:?}; local patches {:?}; peak RSS so far {:.0} MiB",
            2.0 * radius,
            stats.method,
            mesh.triangles().len(),
            mesh.triangles().len() as f64 / n as f64,
            (84 + 50 * mesh.triangles().len()) as f64 / n as f64,
            report.shells,
            n as f64 / mesh_s,
            n as f64 / check_s,
            stats.conditioning,
            stats.local,
            common::peak_rss_mib()
        );
        drop(mesh);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("mesh", label), &net, |b, net| {
            b.iter(|| mesh_network_with_stats(net, &settings).expect("meshes"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_graded);
criterion_main!(benches);
