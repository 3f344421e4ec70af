//! Closed forms and symmetry of the whole-part beam model.

use std::f64::consts::PI;

use nalgebra::Point3;

use super::*;
use crate::design_space::Material;
use crate::fem::FemError;
use crate::mechanics::Stiffness;
use crate::network::{DomainShape, NodeId, Strut, StrutNetwork};

const E_MPA: f64 = 114_000.0;
const NU: f64 = 0.3;

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= 1e-12 + rel * want.abs()
}

fn input(network: StrutNetwork, domain: DomainShape, targets: Vec<Target>) -> SimInput {
    SimInput {
        network,
        domain,
        material: Material::TI6AL4V,
        targets,
    }
}

/// One strut along z from the origin, in a 2 × 2 × `l` box centred on it.
fn single_strut(l: f64, r: f64) -> SimInput {
    let net = StrutNetwork::try_new(
        vec![Point3::origin(), Point3::new(0.0, 0.0, l)],
        vec![Strut {
            a: NodeId::new(0),
            b: NodeId::new(1),
            radius_a: r,
            radius_b: r,
        }],
    )
    .unwrap();
    let domain = DomainShape::Box {
        min: [-1.0, -1.0, 0.0],
        max: [1.0, 1.0, l],
    };
    input(net, domain, Vec::new())
}

/// A simple cubic block of `n`³ cells of edge `h` (struts of radius `r`), corner at the
/// origin.
pub(super) fn cubic_block(n: usize, h: f64, r: f64) -> SimInput {
    let m = n + 1;
    let id = |i: usize, j: usize, k: usize| NodeId::new(i + m * (j + m * k));
    let mut nodes = Vec::new();
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                nodes.push(Point3::new(i as f64 * h, j as f64 * h, k as f64 * h));
            }
        }
    }
    let mut struts = Vec::new();
    let strut = |a, b| Strut {
        a,
        b,
        radius_a: r,
        radius_b: r,
    };
    for k in 0..m {
        for j in 0..m {
            for i in 0..m {
                if i + 1 < m {
                    struts.push(strut(id(i, j, k), id(i + 1, j, k)));
                }
                if j + 1 < m {
                    struts.push(strut(id(i, j, k), id(i, j + 1, k)));
                }
                if k + 1 < m {
                    struts.push(strut(id(i, j, k), id(i, j, k + 1)));
                }
            }
        }
    }
    let w = n as f64 * h;
    let domain = DomainShape::Box {
        min: [0.0; 3],
        max: [w; 3],
    };
    input(
        StrutNetwork::try_new(nodes, struts).unwrap(),
        domain,
        Vec::new(),
    )
}

fn options(load: LoadCase) -> SimulateOptions {
    SimulateOptions {
        load,
        ..SimulateOptions::default()
    }
}

#[test]
fn single_strut_axial_force_is_ea_epsilon() {
    let (l, r) = (6.0, 0.3);
    let sim = simulate(&single_strut(l, r), &options(LoadCase::Axial)).unwrap();
    let ea = E_MPA * PI * r * r;
    let f = sim.reaction_force_n.unwrap();
    assert!(close(f, ea * 0.001, 1e-10), "{f} vs {}", ea * 0.001);
    // stress = E ε, apparent modulus = F/(A_box ε)
    assert!(close(sim.stress.max_mpa, E_MPA * 0.001, 1e-10));
    assert!(close(
        sim.apparent_modulus_gpa,
        ea * 0.001 / (4.0 * 0.001) / 1000.0,
        1e-10
    ));
}

#[test]
fn single_strut_bending_and_torsion_match_closed_forms() {
    let (l, r): (f64, f64) = (5.0, 0.4);
    let i = PI * r.powi(4) / 4.0;
    let g = E_MPA / (2.0 * (1.0 + NU));
    let input = single_strut(l, r);
    // bending: the ends turn by ∓θ/2 with θ = ε L / y_max (y_max = 1 mm), no displacement
    // (on the axis): pure bending, M = E I θ / L whatever the shear flexibility
    let theta = 0.001 * l / 1.0;
    let sim = simulate(&input, &options(LoadCase::Bending)).unwrap();
    let m = sim.reaction_moment_nmm.unwrap();
    let want = E_MPA * i / l * theta;
    assert!(close(m, want, 1e-9), "{m} vs {want}");
    assert!(close(sim.plate_rotation_rad, theta, 1e-12));
    assert!(
        sim.force_vector_n.iter().all(|f| f.abs() < 1e-9 * want),
        "no shear force"
    );
    assert!(close(sim.stress.max_mpa, want * r / i, 1e-9));
    let eb = SimulateOptions {
        fem: FemOptions {
            beam: crate::fem::BeamTheory::EulerBernoulli,
            ..FemOptions::default()
        },
        ..options(LoadCase::Bending)
    };
    let m_eb = simulate(&input, &eb).unwrap().reaction_moment_nmm.unwrap();
    assert!(close(m_eb, want, 1e-9));
    // torsion: θ = ε L / r_max (r_max = 1 mm), M = G J θ / L
    let sim = simulate(&input, &options(LoadCase::Torsion)).unwrap();
    let m = sim.reaction_moment_nmm.unwrap();
    let want = g * 2.0 * i / l * (0.001 * l);
    assert!(close(m, want, 1e-9), "{m} vs {want}");
}

#[test]
fn cubic_block_axial_is_columns_in_parallel_and_symmetric() {
    let (n, h, r) = (3, 2.0, 0.2);
    let input = cubic_block(n, h, r);
    for (axis, e) in [(AxisChoice::X, 0), (AxisChoice::Y, 1), (AxisChoice::Z, 2)] {
        let sim = simulate(
            &input,
            &SimulateOptions {
                axis: Some(axis),
                ..options(LoadCase::Axial)
            },
        )
        .unwrap();
        // (n+1)² columns of n struts in series; the cross struts carry nothing
        let columns = ((n + 1) * (n + 1)) as f64;
        let want = columns * E_MPA * PI * r * r * 0.001;
        let f = sim.reaction_force_n.unwrap();
        assert!(close(f, want, 1e-9), "axis {axis:?}: {f} vs {want}");
        for c in 0..3 {
            if c != e {
                assert!(
                    sim.force_vector_n[c].abs() < 1e-9 * want,
                    "{:?}",
                    sim.force_vector_n
                );
            }
            // symmetric about the top centre: no moment
            assert!(
                sim.moment_vector_nmm[c].abs() < 1e-9 * want * h,
                "{:?}",
                sim.moment_vector_nmm
            );
        }
        let w = n as f64 * h;
        assert!(close(
            sim.apparent_modulus_gpa,
            want / (w * w * 0.001) / 1000.0,
            1e-9
        ));
        // every slab has the same modulus
        for p in &sim.apparent_profile {
            assert!(
                close(p.modulus_gpa, sim.apparent_modulus_gpa, 1e-6),
                "{p:?}"
            );
        }
    }
}

#[test]
fn torsion_and_bending_of_a_block_are_pure() {
    let input = cubic_block(2, 2.0, 0.25);
    let sim = simulate(&input, &options(LoadCase::Torsion)).unwrap();
    let m = sim.reaction_moment_nmm.unwrap();
    assert!(m > 0.0);
    // torsion about z: no net force and no bending moment
    for c in 0..3 {
        assert!(
            sim.force_vector_n[c].abs() < 1e-9 * m,
            "{:?}",
            sim.force_vector_n
        );
    }
    assert!(sim.moment_vector_nmm[0].abs() < 1e-9 * m && sim.moment_vector_nmm[1].abs() < 1e-9 * m);
    let sim = simulate(&input, &options(LoadCase::Bending)).unwrap();
    let m = sim.reaction_moment_nmm.unwrap();
    assert!(m > 0.0);
    // bending about x: no net axial force, no moment about y or z
    assert!(sim.force_vector_n[2].abs() < 1e-9 * m);
    assert!(sim.moment_vector_nmm[1].abs() < 1e-9 * m && sim.moment_vector_nmm[2].abs() < 1e-9 * m);
}

#[test]
fn a_target_load_scales_the_solution() {
    let input = cubic_block(2, 2.0, 0.2);
    let base = simulate(&input, &options(LoadCase::Axial)).unwrap();
    let scaled = simulate(
        &input,
        &SimulateOptions {
            target_load: Some(500.0),
            ..options(LoadCase::Axial)
        },
    )
    .unwrap();
    let s = 500.0 / base.reaction_force_n.unwrap();
    assert!(close(scaled.reaction_force_n.unwrap(), 500.0, 1e-12));
    assert!(close(scaled.strain, 0.001 * s, 1e-12));
    assert!(close(scaled.stress.max_mpa, base.stress.max_mpa * s, 1e-12));
    assert!(close(
        scaled.apparent_modulus_gpa,
        base.apparent_modulus_gpa,
        1e-12
    ));
}

#[test]
fn a_floating_piece_is_named() {
    let base = cubic_block(2, 2.0, 0.2);
    let mut nodes = base.network.nodes().to_vec();
    let mut struts = base.network.struts().to_vec();
    let a = NodeId::new(nodes.len());
    nodes.push(Point3::new(1.0, 1.0, 1.5));
    nodes.push(Point3::new(1.0, 1.0, 2.5));
    struts.push(Strut {
        a,
        b: NodeId::new(a.index() + 1),
        radius_a: 0.2,
        radius_b: 0.2,
    });
    let input = input(
        StrutNetwork::try_new(nodes, struts).unwrap(),
        base.domain.clone(),
        Vec::new(),
    );
    let err = simulate(&input, &options(LoadCase::Axial)).unwrap_err();
    match err {
        SimulateError::Fem(FemError::FloatingPiece { node, nodes }) => {
            assert_eq!((node, nodes), (a.index(), 2));
        }
        other => panic!("expected a floating piece, got {other}"),
    }
}

#[test]
fn faces_that_do_not_exist_are_errors() {
    let strut = single_strut(4.0, 0.2);
    // a cylinder has no flat faces across its axis
    let cyl = DomainShape::Cylinder {
        base: [0.0; 3],
        axis: [0.0, 0.0, 1.0],
        radius: 1.0,
        height: 4.0,
    };
    let on_cyl = input(strut.network.clone(), cyl, Vec::new());
    let opts = SimulateOptions {
        axis: Some(AxisChoice::X),
        ..options(LoadCase::Axial)
    };
    assert!(matches!(
        simulate(&on_cyl, &opts),
        Err(SimulateError::NoEndFaces {
            domain: "cylinder",
            ..
        })
    ));
    // along its own axis it works
    assert!(simulate(&on_cyl, &options(LoadCase::Axial)).is_ok());
    let env = DomainShape::Envelope {
        min: [-1.0; 3],
        max: [1.0, 1.0, 4.0],
    };
    let on_env = input(strut.network.clone(), env, Vec::new());
    assert!(matches!(
        simulate(&on_env, &options(LoadCase::Axial)),
        Err(SimulateError::NoEndFaces {
            domain: "envelope",
            ..
        })
    ));
    // a box taller than the network: the top face holds no node
    let tall = DomainShape::Box {
        min: [-1.0, -1.0, 0.0],
        max: [1.0, 1.0, 5.0],
    };
    let short = input(strut.network.clone(), tall, Vec::new());
    assert!(matches!(
        simulate(&short, &options(LoadCase::Axial)),
        Err(SimulateError::EmptyFace { face: "top", .. })
    ));
}

fn isotropic(e: f64, nu: f64) -> Stiffness {
    let l = e * nu / ((1.0 + nu) * (1.0 - 2.0 * nu));
    let mu = e / (2.0 * (1.0 + nu));
    let mut c = nalgebra::Matrix6::zeros();
    for i in 0..3 {
        for j in 0..3 {
            c[(i, j)] = l;
        }
        c[(i, i)] += 2.0 * mu;
        c[(i + 3, i + 3)] = mu;
    }
    Stiffness::try_from_voigt(c).unwrap()
}

#[test]
fn the_target_estimate_is_the_series_average() {
    let frame = load_frame(
        &DomainShape::Box {
            min: [0.0; 3],
            max: [1.0, 1.0, 10.0],
        },
        None,
    )
    .unwrap();
    let t = |z: f64, e: f64| Target {
        id: format!("p{z}"),
        position_mm: [0.5, 0.5, z],
        stiffness_gpa: isotropic(e, 0.3),
    };
    // one target: its own moduli
    let one = predict::predict(&[t(5.0, 2.0)], &frame, LoadCase::Axial).unwrap();
    assert!(close(one.modulus_gpa, 2.0, 1e-12));
    let g = predict::predict(&[t(5.0, 2.0)], &frame, LoadCase::Torsion).unwrap();
    assert!(close(g.modulus_gpa, 2.0 / 2.6, 1e-12));
    // two targets at the ends, E linear from 1 to 3: L / ∫ dz / E = 2 / ln 3
    let two = predict::predict(&[t(10.0, 3.0), t(0.0, 1.0)], &frame, LoadCase::Axial).unwrap();
    assert!(
        close(two.modulus_gpa, 2.0 / 3f64.ln(), 1e-5),
        "{}",
        two.modulus_gpa
    );
    // an orthotropic target along z is 1/S33
    let mut c = *isotropic(1.0, 0.25).voigt();
    c[(2, 2)] *= 3.0;
    let c = Stiffness::try_from_voigt(c).unwrap();
    let e = predict::target_modulus(&c, &frame, LoadCase::Axial);
    assert!(close(e, 1.0 / c.compliance()[(2, 2)], 1e-12));
    let g = predict::target_modulus(&c, &frame, LoadCase::Torsion);
    let s = c.compliance();
    assert!(close(g, 2.0 / (s[(3, 3)] + s[(4, 4)]), 1e-12));
}

#[test]
fn the_calculix_deck_lists_the_model() {
    let input = cubic_block(1, 2.0, 0.2);
    let (_, model) = prepare(&input, &options(LoadCase::Axial)).unwrap();
    let text = inp::deck(
        &input.network,
        &model,
        LoadCase::Axial,
        &input.material,
        InpDialect::Calculix,
    );
    let elements = text
        .lines()
        .skip_while(|l| !l.starts_with("*ELEMENT"))
        .take_while(|l| !l.starts_with("*MATERIAL"))
        .filter(|l| !l.starts_with('*'))
        .count();
    assert_eq!(elements, input.network.struts().len());
    // one radius; orientation lines: y for the x struts, x for the y and z struts
    assert_eq!(
        text.matches("*BEAM SECTION").count(),
        2,
        "one section per radius and orientation line"
    );
    assert!(text.contains("TYPE=B32,"));
    let d = format!("{:.9e}", 0.4 * CALCULIX_DIAMETER_FACTOR);
    assert!(
        text.contains(&format!("{d}, {d}\n")),
        "area-matched diameter"
    );
    assert!(text.contains("*NODE PRINT, NSET=LOADED, TOTALS=ONLY\nRF\n"));
    // 8 plate nodes × 3 prescribed translations
    let boundary = text
        .lines()
        .skip_while(|l| *l != "*BOUNDARY")
        .skip(1)
        .take_while(|l| !l.starts_with('*'))
        .count();
    assert_eq!(boundary, 8 * 3);
    let abaqus = inp::deck(
        &input.network,
        &model,
        LoadCase::Axial,
        &input.material,
        InpDialect::Abaqus,
    );
    assert!(abaqus.contains("TYPE=B31") && abaqus.matches("*RIGID BODY").count() == 2);
}
