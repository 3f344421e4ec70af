use std::collections::BTreeMap;
use std::io::Read;

use nalgebra::Point3;

use super::*;
use crate::mesh::{MeshSettings, mesh_network};
use crate::network::{NodeId, Strut};

/// Parsed content of a 3D/3dmodel.model: per object id its vertices, triangles, beams
/// (v1, v2, r1, r2 with defaults resolved) and balls; plus the beamlattice attributes.
#[derive(Default, Debug)]
struct Parsed {
    vertices: BTreeMap<u32, Vec<[f64; 3]>>,
    triangles: BTreeMap<u32, Vec<[u32; 3]>>,
    beams: Vec<(u32, u32, f64, f64)>,
    balls: Vec<(u32, f64)>,
    lattice_attrs: BTreeMap<String, String>,
    build_items: Vec<u32>,
}

fn read_model(path: &Path) -> (String, Vec<String>) {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let names = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    let mut s = String::new();
    zip.by_name("3D/3dmodel.model")
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    (s, names)
}

fn parse(xml: &str) -> Parsed {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut p = Parsed::default();
    let mut object = 0u32;
    let mut default_radius = 0.0;
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attrs: BTreeMap<String, String> = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (a.key.local_name().as_ref().to_string(), a.value.to_string())
                    })
                    .collect();
                let num = |k: &str| attrs[k].parse::<f64>().unwrap();
                let idx = |k: &str| attrs[k].parse::<u32>().unwrap();
                match e.local_name().as_ref() {
                    "object" => object = idx("id"),
                    "vertex" => {
                        p.vertices
                            .entry(object)
                            .or_default()
                            .push([num("x"), num("y"), num("z")])
                    }
                    "triangle" => p.triangles.entry(object).or_default().push([
                        idx("v1"),
                        idx("v2"),
                        idx("v3"),
                    ]),
                    "beamlattice" => {
                        default_radius = num("radius");
                        p.lattice_attrs = attrs.clone();
                    }
                    "beam" => {
                        let r1 = attrs
                            .get("r1")
                            .map_or(default_radius, |r| r.parse().unwrap());
                        let r2 = attrs.get("r2").map_or(r1, |r| r.parse().unwrap());
                        p.beams.push((idx("v1"), idx("v2"), r1, r2));
                    }
                    "ball" => p.balls.push((idx("vindex"), num("r"))),
                    "item" => p.build_items.push(idx("objectid")),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    p
}

fn lattice() -> StrutNetwork {
    let nodes = vec![
        Point3::new(0.0, 0.0, 0.0),
        Point3::new(2.0, 0.0, 0.0),
        Point3::new(2.0, 2.0, 0.0),
        Point3::new(0.5, 1.0, 1.5),
        Point3::new(9.0, 9.0, 9.0), // isolated: not written
    ];
    let s = |a, b, radius_a, radius_b| Strut {
        a: NodeId(a),
        b: NodeId(b),
        radius_a,
        radius_b,
    };
    StrutNetwork::try_new(
        nodes,
        vec![
            s(0, 1, 0.2, 0.2),
            s(1, 2, 0.2, 0.31234567),
            s(2, 3, 0.31234567, 0.15),
            s(3, 0, 0.15, 0.2),
            s(0, 2, 0.2, 0.2),
        ],
    )
    .unwrap()
}

#[test]
fn number_formatting() {
    assert_eq!(fixed(0.25, 4), "0.25");
    assert_eq!(fixed(2.0, 4), "2");
    assert_eq!(fixed(-0.00001, 4), "0");
    assert_eq!(fixed(0.31234567, 4), "0.3123");
    assert_eq!(fixed(-1.5, 4), "-1.5");
}

#[test]
fn mesh_round_trip() {
    let net = lattice();
    let mesh = mesh_network(&net, &MeshSettings::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mesh.3mf");
    let stats = write_3mf(
        &path,
        &ThreeMfContent {
            mesh: Some(&mesh),
            lattice: None,
        },
        &ThreeMfOptions::default(),
    )
    .unwrap();
    let (xml, names) = read_model(&path);
    assert_eq!(
        names,
        ["[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model"]
    );
    assert_eq!(xml.len() as u64, stats.model_bytes);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), stats.file_bytes);
    let p = parse(&xml);
    assert_eq!(p.build_items, [1]);
    assert_eq!(&p.triangles[&1], mesh.triangles());
    // The mesh file declares no extension: a slicer opens it as one closed part.
    assert!(!xml.contains("requiredextensions"), "{}", &xml[..300]);
    crate::export::test_readers::check_with_slicer(&path, mesh.triangles().len());
    let v = &p.vertices[&1];
    assert_eq!(v.len(), mesh.vertices().len());
    for (a, b) in v.iter().zip(mesh.vertices()) {
        for k in 0..3 {
            assert_eq!(a[k] as f32, b[k] as f32);
        }
    }
    // Deterministic bytes.
    let path2 = dir.path().join("mesh2.3mf");
    write_3mf(
        &path2,
        &ThreeMfContent {
            mesh: Some(&mesh),
            lattice: None,
        },
        &ThreeMfOptions::default(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&path2).unwrap()
    );
}

#[test]
fn beam_lattice_round_trip() {
    let net = lattice();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lattice.3mf");
    let options = ThreeMfOptions::default();
    let stats = write_3mf(
        &path,
        &ThreeMfContent {
            mesh: None,
            lattice: Some(&net),
        },
        &options,
    )
    .unwrap();
    let (xml, _) = read_model(&path);
    let p = parse(&xml);
    assert_eq!(stats.beams, 5);
    assert!(xml.contains(&format!("xmlns:b=\"{BEAM_LATTICE_NS}\"")));
    assert!(xml.contains("requiredextensions=\"b\""));
    assert_eq!(p.lattice_attrs["ballmode"], "all");
    assert_eq!(p.lattice_attrs["clippingmode"], "none");
    assert_eq!(p.lattice_attrs["radius"], "0.2");
    // Only the 4 used nodes, in order, rounded to 4 decimals.
    assert_eq!(p.vertices[&1].len(), 4);
    for (a, b) in p.vertices[&1].iter().zip(net.nodes()) {
        for k in 0..3 {
            assert!((a[k] - b[k]).abs() <= 0.5e-4);
        }
    }
    assert_eq!(p.triangles.get(&1).map_or(0, Vec::len), 0);
    let tol = 0.5e-4 + 1e-12;
    for (beam, s) in p.beams.iter().zip(net.struts()) {
        assert_eq!((beam.0, beam.1), (s.a.0, s.b.0));
        assert!((beam.2 - s.radius_a).abs() <= tol && (beam.3 - s.radius_b).abs() <= tol);
    }
    // Balls: every node gets node_radii(); the default ballradius covers the most common.
    let ball_r = p.lattice_attrs["ballradius"].parse::<f64>().unwrap();
    let mut radii = [ball_r; 4];
    for &(v, r) in &p.balls {
        radii[v as usize] = r;
    }
    for (r, want) in radii.iter().zip(net.node_radii()) {
        assert!((r - want).abs() <= tol, "{r} vs {want}");
    }
    let per_beam = stats.beam_bytes as f64 / stats.beams as f64;
    assert!(per_beam <= 60.0, "{per_beam} bytes per beam");
}

#[test]
fn lattice_with_representation_mesh() {
    let net = lattice();
    let mesh = mesh_network(&net, &MeshSettings::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("both.3mf");
    write_3mf(
        &path,
        &ThreeMfContent {
            mesh: Some(&mesh),
            lattice: Some(&net),
        },
        &ThreeMfOptions::default(),
    )
    .unwrap();
    let (xml, _) = read_model(&path);
    let p = parse(&xml);
    assert_eq!(p.build_items, [2]);
    assert_eq!(p.lattice_attrs["representationmesh"], "1");
    assert_eq!(&p.triangles[&1], mesh.triangles());
    assert_eq!(p.beams.len(), 5);
}

#[test]
fn nothing_or_bad_lattice_is_an_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.3mf");
    assert!(matches!(
        write_3mf(
            &path,
            &ThreeMfContent::default(),
            &ThreeMfOptions::default()
        ),
        Err(ExportError::NothingToWrite)
    ));
    let tiny = StrutNetwork::try_new(
        vec![Point3::origin(), Point3::new(1.0, 0.0, 0.0)],
        vec![Strut {
            a: NodeId(0),
            b: NodeId(1),
            radius_a: 1e-6,
            radius_b: 0.1,
        }],
    )
    .unwrap();
    assert!(matches!(
        write_3mf(
            &path,
            &ThreeMfContent {
                mesh: None,
                lattice: Some(&tiny)
            },
            &ThreeMfOptions::default()
        ),
        Err(ExportError::RadiusTooSmall { strut: 0, .. })
    ));
    assert!(!path.exists());
}

#[test]
fn nodes_that_coincide_at_the_files_precision_become_one_vertex() {
    // Node 2 lies 2·10⁻⁵ mm from node 1: at 4 decimals they are one point, the strut between
    // them has no length. They are written as one vertex and that beam is left out (the balls
    // cover it); the other beams keep their ends, the merged vertex the larger ball.
    let nodes = vec![
        Point3::new(0.0, 0.0, 0.0),
        Point3::new(2.0, 0.0, 0.0),
        Point3::new(2.00002, 0.0, 0.0),
        Point3::new(2.0, 2.0, 0.0),
    ];
    let s = |a, b, r| Strut {
        a: NodeId(a),
        b: NodeId(b),
        radius_a: r,
        radius_b: r,
    };
    let net =
        StrutNetwork::try_new(nodes, vec![s(0, 1, 0.2), s(1, 2, 0.3), s(2, 3, 0.25)]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("beams.3mf");
    let stats = write_3mf(
        &path,
        &ThreeMfContent {
            mesh: None,
            lattice: Some(&net),
        },
        &ThreeMfOptions::default(),
    )
    .unwrap();
    assert_eq!(stats.beams, 2);
    let (xml, _) = read_model(&path);
    let p = parse(&xml);
    assert_eq!(p.vertices[&1].len(), 3);
    let ends: Vec<(u32, u32)> = p.beams.iter().map(|b| (b.0, b.1)).collect();
    assert_eq!(ends, vec![(0, 1), (1, 2)]);
}

/// Bytes per beam on a 1000-strut graded lattice with random radii (every beam has r1 ≠ r2).
#[test]
fn bytes_per_beam_on_a_large_lattice() {
    let net = crate::mesh::test_lattice(7, 2.0, 3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.3mf");
    let stats = write_3mf(
        &path,
        &ThreeMfContent {
            mesh: None,
            lattice: Some(&net),
        },
        &ThreeMfOptions::default(),
    )
    .unwrap();
    let n = stats.beams as f64;
    eprintln!(
        "3MF beam lattice: {} beams, {:.1} bytes/beam element, {:.1} model bytes/beam, {:.1} zip bytes/beam",
        stats.beams,
        stats.beam_bytes as f64 / n,
        stats.model_bytes as f64 / n,
        stats.file_bytes as f64 / n
    );
    assert!(stats.beam_bytes as f64 / n <= 60.0);
    if super::super::step::tests::python_has("lib3mf") {
        run_check(&path, &["--beams", &stats.beams.to_string()]);
    }
}

fn run_check(path: &Path, args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_3mf.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(path)
        .args(args)
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "check_3mf.py failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `tests/python/check_3mf.py` (lib3mf strict mode) on a mesh file, a lattice file and
/// a lattice with representation mesh when `import lib3mf` works; otherwise prints a notice.
#[test]
fn files_pass_lib3mf_strict_mode() {
    if !super::super::step::tests::python_has("lib3mf") {
        eprintln!("SKIPPED: python3 cannot import lib3mf (pip install lib3mf)");
        return;
    }
    let net = lattice();
    let mesh = mesh_network(&net, &MeshSettings::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ntri = mesh.triangles().len().to_string();
    let cases: [(&str, ThreeMfContent<'_>, Vec<&str>); 3] = [
        (
            "mesh.3mf",
            ThreeMfContent {
                mesh: Some(&mesh),
                lattice: None,
            },
            vec!["--triangles", &ntri, "--beams", "0"],
        ),
        (
            "lattice.3mf",
            ThreeMfContent {
                mesh: None,
                lattice: Some(&net),
            },
            // lib3mf counts a ball per node in ballmode "all" (4 nodes are used).
            vec![
                "--triangles",
                "0",
                "--beams",
                "5",
                "--balls",
                "4",
                "--beam0",
                "0.2,0.2",
            ],
        ),
        (
            "both.3mf",
            ThreeMfContent {
                mesh: Some(&mesh),
                lattice: Some(&net),
            },
            vec!["--triangles", &ntri, "--beams", "5"],
        ),
    ];
    for (name, content, args) in cases {
        let path = dir.path().join(name);
        write_3mf(&path, &content, &ThreeMfOptions::default()).unwrap();
        run_check(&path, &args);
    }
}
