//! Design-space tests: periodic closure, volume identity, idempotent superposition, the
//! topology count, malformed designs, and properties of random designs.

use std::collections::HashMap;

use nalgebra::{Point3, Vector3};
use proptest::prelude::*;

use super::*;
use crate::geom::distance::segment_distance;

fn choice(lattice: u8, tessellation: u8) -> LatticeChoice {
    LatticeChoice {
        lattice,
        tessellation,
    }
}

fn example_design() -> Design {
    serde_yaml::from_str(include_str!("../../fixtures/design_example.yaml")).unwrap()
}

fn design_with(
    topology: [LatticeChoice; 3],
    rho: f64,
    u: [f64; 3],
    v: [f64; 3],
    r1: AxisAngle,
    r2: AxisAngle,
) -> Design {
    Design {
        topology: Topology::try_new(&topology).unwrap(),
        relative_density: rho,
        u,
        r1,
        v,
        r2,
    }
}

/// Tiles a cell 3×3×3, merges strut ends by position and returns, for each node of the
/// central cell, the number of struts meeting at its position.
fn tiled_valences(cell: &PeriodicCell) -> Vec<usize> {
    let key = |p: Point3<f64>| p.coords.map(|c| (c * 1e7).round() as i64);
    let mut count: HashMap<Vector3<i64>, usize> = HashMap::new();
    for i in -1..=1 {
        for j in -1..=1 {
            for k in -1..=1 {
                let shift = cell.shift([i, j, k]);
                for s in cell.struts() {
                    let start = cell.nodes()[s.a.0 as usize] + shift;
                    let end = start + cell.strut_vector(s);
                    *count.entry(key(start)).or_default() += 1;
                    *count.entry(key(end)).or_default() += 1;
                }
            }
        }
    }
    cell.nodes()
        .iter()
        .map(|p| count.get(&key(*p)).copied().unwrap_or(0))
        .collect()
}

#[test]
fn topology_count_is_236_under_every_rule() {
    for rule in [
        Equivalence::StrutSet,
        Equivalence::Translation,
        Equivalence::CubeSymmetry,
    ] {
        let catalog = TopologyCatalog::enumerate(rule);
        assert_eq!(catalog.ordered_choices, 2744);
        assert_eq!(catalog.multisets, 560);
        assert_eq!(catalog.classes.len(), 236, "{rule:?}");
        let members: usize = catalog.classes.iter().map(|c| c.members.len()).sum();
        assert_eq!(members, 560);
    }
}

#[test]
fn order_of_the_three_choices_does_not_matter() {
    let a = Topology::try_new(&[choice(1, 2), choice(5, 1), choice(6, 2)])
        .unwrap()
        .build();
    let b = Topology::try_new(&[choice(6, 2), choice(1, 2), choice(5, 1)])
        .unwrap()
        .build();
    assert_eq!(a, b);
}

#[test]
fn superposing_a_lattice_with_itself_changes_nothing() {
    let all: Vec<LatticeChoice> = LatticeChoice::all().collect();
    for &c in &all {
        for &d in &all {
            let ccd = Topology::try_new(&[c, c, d]).unwrap().build();
            let cdd = Topology::try_new(&[c, d, d]).unwrap().build();
            assert_eq!(ccd.exact(), cdd.exact(), "{c:?} ∪ {d:?}");
        }
    }
}

#[test]
fn elementary_lattices_have_their_known_periodic_graphs() {
    // (nodes, struts) of the periodic graph of each lattice at 1x.
    let sc = Topology::try_new(&[choice(0, 1); 3]).unwrap().build();
    assert_eq!((sc.nodes().len(), sc.struts().len()), (1, 3));
    let bcc = Topology::try_new(&[choice(2, 1); 3]).unwrap().build();
    assert_eq!((bcc.nodes().len(), bcc.struts().len()), (2, 8));
    // octet: 1 corner + 3 face centres, 24 struts of the FCC net + 12 octahedron edges, where
    // the octahedron edges are face-centre to face-centre struts (length √2/2 … all FCC).
    let octet = Topology::try_new(&[choice(1, 1); 3]).unwrap().build();
    assert_eq!(octet.nodes().len(), 4);
    assert!(
        octet
            .struts()
            .iter()
            .all(|s| s.0 != s.1 || s.2 != [0, 0, 0])
    );
    // 2x simple cubic contains the 1x edges: the union is the 2x lattice.
    let sc2 = Topology::try_new(&[choice(0, 2); 3]).unwrap().build();
    let mixed = Topology::try_new(&[choice(0, 1), choice(0, 2), choice(0, 2)])
        .unwrap()
        .build();
    assert_eq!(sc2, mixed);
    assert_eq!((sc2.nodes().len(), sc2.struts().len()), (8, 24));
}

#[test]
fn crossing_struts_get_a_shared_node() {
    // BCC's body diagonals cross the octet's ... simpler: 1x BCC and 2x BCC are collinear, so
    // their union is 2x BCC; 1x simple cubic + BCC-with-face-squares splits nothing.
    let bcc = Topology::try_new(&[choice(2, 1), choice(2, 2), choice(2, 2)])
        .unwrap()
        .build();
    let bcc2 = Topology::try_new(&[choice(2, 2); 3]).unwrap().build();
    assert_eq!(bcc, bcc2);
    // Octet 1x with honeycomb 2x must split crossings: every strut is then free of interior
    // contacts with any other (checked in `no_two_struts_touch_except_at_nodes`).
    let g = Topology::try_new(&[choice(1, 1), choice(6, 2), choice(4, 1)])
        .unwrap()
        .build();
    assert!(g.nodes().len() > 4);
}

#[test]
fn periodic_cells_close_up_under_tiling() {
    for c in LatticeChoice::all() {
        for d in [choice(1, 1), choice(5, 2), choice(6, 1)] {
            let design = design_with(
                [c, d, c],
                0.05,
                [0.7, 1.3, 1.9],
                [1.6, 0.55, 1.1],
                AxisAngle {
                    axis: [0.2, -0.5, 0.84],
                    angle_deg: 33.0,
                },
                AxisAngle {
                    axis: [-0.7, 0.1, 0.7],
                    angle_deg: 71.0,
                },
            );
            let cell = design.cell(RangePolicy::Strict).unwrap();
            assert_eq!(tiled_valences(&cell), cell.node_valences(), "{c:?} + {d:?}");
        }
    }
}

#[test]
fn volume_identity_holds() {
    let design = example_design();
    let cell = design.cell(RangePolicy::Strict).unwrap();
    let f = design.affine().unwrap();
    let lhs = design.relative_density * f.determinant();
    let d = cell.struts()[0].diameter;
    let rhs: f64 = cell
        .strut_lengths()
        .iter()
        .map(|l| std::f64::consts::FRAC_PI_4 * d * d * l)
        .sum();
    assert!((lhs - rhs).abs() < 1e-12 * lhs, "{lhs} vs {rhs}");
    assert!((cell.relative_density() - 0.037).abs() < 1e-12);
}

#[test]
fn malformed_designs_get_their_own_error() {
    let base = example_design();
    type Check = fn(&DesignError) -> bool;
    let mut cases: Vec<(&str, Design, Check)> = Vec::new();
    let mut d = base.clone();
    d.u[1] = 2.5;
    cases.push((
        "stretch",
        d,
        |e| matches!(e, DesignError::OutOfRange { field, .. } if field == "U[1]"),
    ));
    let mut d = base.clone();
    d.relative_density = 0.2;
    cases.push((
        "density",
        d,
        |e| matches!(e, DesignError::OutOfRange { field, .. } if field == "relative_density"),
    ));
    let mut d = base.clone();
    d.v[2] = f64::NAN;
    cases.push((
        "nan",
        d,
        |e| matches!(e, DesignError::NotFinite { field, .. } if field == "V[2]"),
    ));
    let mut d = base.clone();
    d.r2.axis = [0.0; 3];
    cases.push((
        "zero axis",
        d,
        |e| matches!(e, DesignError::ZeroAxis { field, .. } if field == "R2"),
    ));
    for (name, design, check) in cases {
        let err = design.validate(RangePolicy::Strict).unwrap_err();
        assert!(check(&err), "{name}: {err}");
    }
    let bad_topology: [(&str, Check); 3] = [
        (
            "topology: [{lattice: 7, tessellation: 1}, {lattice: 0, tessellation: 1}, {lattice: 0, tessellation: 1}]",
            |e| matches!(e, DesignError::LatticeIndex { slot: 0, value: 7 }),
        ),
        (
            "topology: [{lattice: 1, tessellation: 1}, {lattice: 0, tessellation: 3}, {lattice: 0, tessellation: 1}]",
            |e| matches!(e, DesignError::Tessellation { slot: 1, value: 3 }),
        ),
        ("topology: [{lattice: 1, tessellation: 1}]", |e| {
            matches!(e, DesignError::TopologyCount { found: 1 })
        }),
    ];
    for (yaml, check) in bad_topology {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            topology: Topology,
        }
        let err = serde_yaml::from_str::<T>(yaml).unwrap_err().to_string();
        let expected = match yaml {
            _ if yaml.contains("7,") => DesignError::LatticeIndex { slot: 0, value: 7 },
            _ if yaml.contains("3}") => DesignError::Tessellation { slot: 1, value: 3 },
            _ => DesignError::TopologyCount { found: 1 },
        };
        assert!(check(&expected));
        assert!(err.contains(&expected.to_string()), "{err}");
    }
    let unknown = include_str!("../../fixtures/design_example.yaml")
        .replace("relative_density", "relative_densty");
    let err = serde_yaml::from_str::<Design>(&unknown)
        .unwrap_err()
        .to_string();
    assert!(err.contains("relative_densty"), "{err}");
}

#[test]
fn out_of_range_is_allowed_with_a_warning_when_asked() {
    let mut d = example_design();
    d.u[0] = 3.0;
    assert!(d.validate(RangePolicy::Strict).is_err());
    let warnings = d.validate(RangePolicy::AllowOutOfRange).unwrap();
    assert_eq!(warnings.len(), 1);
    d.u[0] = -1.0;
    assert!(
        d.validate(RangePolicy::AllowOutOfRange).is_err(),
        "negative stretches are never physical"
    );
}

#[test]
fn design_and_truss_files_round_trip() {
    let design = example_design();
    let yaml = serde_yaml::to_string(&design).unwrap();
    assert_eq!(serde_yaml::from_str::<Design>(&yaml).unwrap(), design);
    let cell = design.cell(RangePolicy::Strict).unwrap();
    let file = TrussFile::from_cell(&cell, Material::default());
    let json = serde_json::to_string(&file).unwrap();
    let back: TrussFile = serde_json::from_str(&json).unwrap();
    assert_eq!(back.to_cell().unwrap(), cell);
}

fn axis_angle() -> impl Strategy<Value = AxisAngle> {
    ([-1.0..1.0f64, -1.0..1.0f64, -1.0..1.0f64], -180.0..180.0f64)
        .prop_filter("non-zero axis", |(a, _)| {
            a.iter().map(|v| v * v).sum::<f64>() > 1e-3
        })
        .prop_map(|(axis, angle_deg)| AxisAngle { axis, angle_deg })
}

fn random_design() -> impl Strategy<Value = Design> {
    let pick = (0u8..7, 1u8..=2).prop_map(|(l, t)| choice(l, t));
    let stretch = || [0.5..2.0f64, 0.5..2.0f64, 0.5..2.0f64];
    (
        [pick.clone(), pick.clone(), pick],
        0.002..0.1f64,
        stretch(),
        stretch(),
        axis_angle(),
        axis_angle(),
    )
        .prop_map(|(t, rho, u, v, r1, r2)| design_with(t, rho, u, v, r1, r2))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_designs_give_sound_cells(design in random_design()) {
        let cell = design.cell(RangePolicy::Strict).unwrap();
        prop_assert!(design.affine().unwrap().determinant() > 0.0);
        let scale = cell.lattice_vectors().norm();
        let lengths = cell.strut_lengths();
        prop_assert!(lengths.iter().all(|&l| l > 1e-9 * scale));
        // Segments of the cell and of its 26 neighbours.
        let mut segments = Vec::new();
        for n in 0..27 {
            let shift = cell.shift([n / 9 - 1, (n / 3) % 3 - 1, n % 3 - 1]);
            for s in cell.struts() {
                let a = cell.nodes()[s.a.0 as usize].coords + shift;
                segments.push((n == 13, a, a + cell.strut_vector(s)));
            }
        }
        let tol = 1e-9 * scale;
        for (k, &(central, p0, p1)) in segments.iter().enumerate() {
            if !central {
                continue;
            }
            for (m, &(_, q0, q1)) in segments.iter().enumerate() {
                if m == k {
                    continue;
                }
                let same = ((p0 - q0).norm() < tol && (p1 - q1).norm() < tol)
                    || ((p0 - q1).norm() < tol && (p1 - q0).norm() < tol);
                prop_assert!(!same, "two struts coincide");
                let shared = [(p0, p1, q0, q1), (p0, p1, q1, q0), (p1, p0, q0, q1), (p1, p0, q1, q0)]
                    .into_iter()
                    .find(|(s, _, t, _)| (s - t).norm() < tol);
                if let Some((node, a, _, b)) = shared {
                    // Adjacent struts meet only at their shared node: never overlapping.
                    let (u, v) = ((a - node).normalize(), (b - node).normalize());
                    prop_assert!(u.cross(&v).norm() > 1e-9 || u.dot(&v) < 0.0, "adjacent struts overlap: {:?} {:?} | {:?} {:?}", p0.as_slice(), p1.as_slice(), q0.as_slice(), q1.as_slice());
                    continue;
                }
                prop_assert!(segment_distance(p0, p1, q0, q1) > tol, "non-adjacent struts intersect");
            }
        }
    }
}
