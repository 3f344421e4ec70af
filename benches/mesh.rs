//! Meshing throughput on jittered cubic lattices, reported as struts/s (criterion
//! "elements"):
//! - `mesh_explicit`: the explicit hub-and-strut mesher (what `MeshMethod::Auto` uses when it
//!   can) at ~1k, ~10k and ~100k struts, on 1 thread (per core) and on all threads;
//! - `mesh_implicit`: the implicit mesher (resolution 1.0 and 0.35) at ~1k struts;
//! - `mesh_outputs`: the full check, the STL and the 3MF writer on the explicit ~10k mesh.
//!
//! It also prints triangles/strut, the mesh's bytes/strut, STL/3MF bytes/strut and the
//! process's peak resident memory (`VmHWM`) right after meshing the ~100k lattice.
//! Also the beam-lattice 3MF writer (struts as beams, no meshing) on ~11k struts.

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::Point3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trussforge::export::{ThreeMfContent, ThreeMfOptions, write_3mf, write_stl};
use trussforge::mesh::{
    MeshMethod, MeshSettings, TriMesh, check, mesh_network_with_stats, mesh_unchecked,
};
use trussforge::network::{NodeId, Strut, StrutNetwork};

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
                            a: NodeId(here),
                            b: NodeId(other),
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

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool")
}

fn mesh_bytes(m: &TriMesh) -> usize {
    m.vertices().len() * 24 + m.triangles().len() * 12
}

fn bench_explicit(c: &mut Criterion) {
    let explicit = MeshSettings {
        method: MeshMethod::Explicit,
        ..Default::default()
    };
    // Largest first, so VmHWM reflects the ~100k mesh.
    let mut group = c.benchmark_group("mesh_explicit");
    group.sample_size(10);
    for cells in [32, 15, 7] {
        let net = lattice(cells, 2.0);
        let n = net.struts().len();
        let (mesh, stats) = mesh_network_with_stats(&net, &explicit).expect("meshes");
        eprintln!(
            "explicit {n} struts: {} triangles ({:.1}/strut, n = {}), mesh {:.0} B/strut, \
             peak RSS so far {:.0} MiB",
            mesh.triangles().len(),
            mesh.triangles().len() as f64 / n as f64,
            stats.segments,
            mesh_bytes(&mesh) as f64 / n as f64,
            common::peak_rss_mib()
        );
        drop(mesh);
        group.throughput(Throughput::Elements(n as u64));
        let threads = [1, rayon::current_num_threads()];
        for t in threads {
            let p = pool(t);
            group.bench_with_input(
                BenchmarkId::new(format!("{n}struts"), format!("{t}threads")),
                &explicit,
                |b, s| b.iter(|| p.install(|| mesh_unchecked(&net, s).expect("meshes"))),
            );
        }
    }
    group.finish();
}

fn bench_implicit(c: &mut Criterion) {
    let net = lattice(7, 2.0);
    let n = net.struts().len();
    let mut group = c.benchmark_group("mesh_implicit");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    for resolution in [1.0, 0.35] {
        let settings = MeshSettings {
            resolution,
            method: MeshMethod::Implicit,
            ..Default::default()
        };
        let mesh = mesh_unchecked(&net, &settings).expect("meshes");
        eprintln!(
            "implicit resolution {resolution}: {n} struts, {} triangles ({:.0}/strut)",
            mesh.triangles().len(),
            mesh.triangles().len() as f64 / n as f64,
        );
        let p = pool(1);
        group.bench_with_input(
            BenchmarkId::new(format!("res{resolution}"), "1threads"),
            &settings,
            |b, s| b.iter(|| p.install(|| mesh_unchecked(&net, s).expect("meshes"))),
        );
    }
    group.finish();
}

/// Check and writers on the explicit ~10k-strut mesh.
fn bench_outputs(c: &mut Criterion) {
    let net = lattice(15, 2.0);
    let n = net.struts().len();
    let settings = MeshSettings {
        method: MeshMethod::Explicit,
        ..Default::default()
    };
    let mesh = mesh_unchecked(&net, &settings).expect("meshes");
    let dir = tempfile::tempdir().expect("temp dir");
    let (stl, tmf) = (dir.path().join("m.stl"), dir.path().join("m.3mf"));
    write_stl(&stl, &mesh).expect("stl");
    let content = ThreeMfContent {
        mesh: Some(&mesh),
        lattice: None,
    };
    write_3mf(&tmf, &content, &ThreeMfOptions::default()).expect("3mf");
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len()) as f64;
    eprintln!(
        "explicit {n} struts: STL {:.0} B/strut, 3MF {:.0} B/strut, check ok = {}",
        size(&stl) / n as f64,
        size(&tmf) / n as f64,
        check(&mesh).ok()
    );
    let mut group = c.benchmark_group("mesh_outputs");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(format!("check_{n}struts"), |b| b.iter(|| check(&mesh)));
    group.bench_function(format!("stl_{n}struts"), |b| {
        b.iter(|| write_stl(&stl, &mesh).expect("stl"))
    });
    group.bench_function(format!("3mf_{n}struts"), |b| {
        b.iter(|| write_3mf(&tmf, &content, &ThreeMfOptions::default()).expect("3mf"))
    });
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

criterion_group!(
    benches,
    bench_explicit,
    bench_implicit,
    bench_outputs,
    bench_beam_lattice
);
criterion_main!(benches);
