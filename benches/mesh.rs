//! Meshing throughput: a jittered cubic lattice of ~1.3k struts at several resolutions, on 1
//! and on all threads. Reports struts/s (criterion "elements") and prints triangles/strut.
//! Also the beam-lattice 3MF writer (struts as beams, no meshing) on ~11k struts.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::Point3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trussforge::export::{ThreeMfContent, ThreeMfOptions, write_3mf};
use trussforge::mesh::{MeshSettings, check, mesh_unchecked};
use trussforge::network::{Strut, StrutNetwork};

/// `cells`³ cubic cells of edge `pitch` mm, radii 0.08–0.15 × pitch, 10 % node jitter.
fn lattice(cells: usize, pitch: f64) -> StrutNetwork {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let m = cells + 1;
    let id = |i: usize, j: usize, k: usize| (i + m * (j + m * k)) as u32;
    let mut nodes = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                let mut jit = || rng.random_range(-0.1..0.1) * pitch;
                nodes.push(Point3::new(
                    pitch * i as f64 + jit(),
                    pitch * j as f64 + jit(),
                    pitch * k as f64 + jit(),
                ));
            }
        }
    }
    let mut struts = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                let here = id(i, j, k);
                for (ok, other) in [
                    (i + 1 < m, id(i + 1, j, k)),
                    (j + 1 < m, id(i, j + 1, k)),
                    (k + 1 < m, id(i, j, k + 1)),
                ] {
                    if ok {
                        struts.push(Strut {
                            a: here,
                            b: other,
                            radius_a: rng.random_range(0.08..0.15) * pitch,
                            radius_b: rng.random_range(0.08..0.15) * pitch,
                        });
                    }
                }
            }
        }
    }
    StrutNetwork::try_new(nodes, struts).expect("valid lattice")
}

fn bench(c: &mut Criterion) {
    let net = lattice(7, 2.0);
    let n = net.struts().len();
    let mut group = c.benchmark_group("mesh");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    for resolution in [0.35, 0.5, 0.7] {
        let settings = MeshSettings {
            resolution,
            ..Default::default()
        };
        let mesh = mesh_unchecked(&net, &settings).expect("meshes");
        let report = check(&mesh);
        eprintln!(
            "resolution {resolution}: {n} struts, {} triangles ({:.0}/strut), check ok = {}",
            mesh.triangles().len(),
            mesh.triangles().len() as f64 / n as f64,
            report.ok()
        );
        for threads in [1, rayon::current_num_threads()] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            group.bench_with_input(
                BenchmarkId::new(format!("res{resolution}"), format!("{threads}threads")),
                &settings,
                |b, s| b.iter(|| pool.install(|| mesh_unchecked(&net, s).expect("meshes"))),
            );
        }
    }
    group.finish();
}

/// The beam-lattice path: writing a 3MF with the struts as beams (no meshing).
fn bench_beam_lattice(c: &mut Criterion) {
    let net = lattice(15, 2.0);
    let n = net.struts().len();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("lattice.3mf");
    let mut group = c.benchmark_group("beam_lattice_3mf");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(format!("{n}struts"), |b| {
        b.iter(|| {
            write_3mf(
                &path,
                &ThreeMfContent {
                    mesh: None,
                    lattice: Some(&net),
                },
                &ThreeMfOptions::default(),
            )
            .expect("writes")
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_beam_lattice);
criterion_main!(benches);
