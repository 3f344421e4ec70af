//! Homogenization time per cell (one `Homogenizer`, symbolic factorization cached), for cells
//! from 1 to 108 nodes. Criterion reports the time of one iteration = one cell.

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::{Matrix3, Point3, Vector3};
use std::hint::black_box;
use trussforge::design_space::{CellNodeId, Material, PeriodicCell, PeriodicStrut};
use trussforge::fem::{FemOptions, Homogenizer};

/// All struts of length `length` between nodes and their images (offsets −1..=1), once each.
fn neighbour_cell(
    lattice: Matrix3<f64>,
    nodes: Vec<Point3<f64>>,
    length: f64,
    rho: f64,
) -> PeriodicCell {
    let mut struts = Vec::new();
    for i in 0..nodes.len() {
        for j in i..nodes.len() {
            for ox in -1..=1 {
                for oy in -1..=1 {
                    for oz in -1..=1 {
                        let offset = [ox, oy, oz];
                        if i == j && offset <= [0, 0, 0] {
                            continue;
                        }
                        let v = nodes[j] + lattice * Vector3::new(ox as f64, oy as f64, oz as f64)
                            - nodes[i];
                        if (v.norm() - length).abs() < 1e-9 {
                            struts.push(PeriodicStrut {
                                a: CellNodeId(i as u32),
                                b: CellNodeId(j as u32),
                                offset,
                                diameter: 1.0,
                            });
                        }
                    }
                }
            }
        }
    }
    let cell = PeriodicCell::try_new(lattice, nodes, struts).expect("cell");
    let d = cell.diameter_for_density(rho);
    cell.with_uniform_diameter(d)
}

/// `m³` copies of a cubic cell with the given node basis (unit edge).
fn tiled(basis: &[[f64; 3]], m: usize, length: f64, rho: f64) -> PeriodicCell {
    let mut nodes = Vec::new();
    for i in 0..m {
        for j in 0..m {
            for k in 0..m {
                for b in basis {
                    nodes.push(Point3::new(
                        i as f64 + b[0],
                        j as f64 + b[1],
                        k as f64 + b[2],
                    ));
                }
            }
        }
    }
    neighbour_cell(Matrix3::identity() * m as f64, nodes, length, rho)
}

fn bench(c: &mut Criterion) {
    let octet = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
    ];
    let bcc = [[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]];
    let cells = [
        ("sc_1node", tiled(&[[0.0; 3]], 1, 1.0, 0.01)),
        ("octet_4nodes", tiled(&octet, 1, 0.5f64.sqrt(), 0.01)),
        ("octet_2x2x2_32nodes", tiled(&octet, 2, 0.5f64.sqrt(), 0.01)),
        ("bcc_3x3x3_54nodes", tiled(&bcc, 3, 3f64.sqrt() / 2.0, 0.01)),
        (
            "octet_3x3x3_108nodes",
            tiled(&octet, 3, 0.5f64.sqrt(), 0.01),
        ),
    ];
    let material = Material::TI6AL4V;
    let mut group = c.benchmark_group("homogenize_per_cell");
    for (name, cell) in &cells {
        let mut h = Homogenizer::new(FemOptions::default());
        h.homogenize(cell, &material).expect("homogenizes");
        group.bench_function(*name, |b| {
            b.iter(|| {
                black_box(
                    h.homogenize(black_box(cell), &material)
                        .expect("homogenizes"),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
