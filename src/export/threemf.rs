//! 3MF: the core triangle mesh, or the struts as a Beam Lattice.
//!
//! `trussforge build` writes two files: `implant.3mf`, the mesh only (one object, one build
//! item, no required extension: what slicers such as PrusaSlicer, Cura, Bambu Studio and
//! OrcaSlicer open), and, with `outputs.beam_lattice`, `implant.beams.3mf`, the lattice only
//! (for beam-aware tools such as Netfabb and nTop; a reader without the extension must refuse
//! it, as the extension is required).
//!
//! # Package
//! A zip (deflate level 3, every entry stamped 1980-01-01 00:00, mode 0644, fixed order, so the same
//! input gives the same bytes) holding `[Content_Types].xml`, `_rels/.rels` and
//! `3D/3dmodel.model`, in `unit="millimeter"`.
//!
//! # Model
//! - Mesh only: object 1 (`type="model"`) with the triangle mesh; build item 1. Vertex
//!   coordinates are written as the shortest decimal that round-trips an `f32` (as in STL).
//! - Lattice only: object 1 whose `<mesh>` holds the strut nodes as `<vertex>` elements (only
//!   nodes used by a strut, in index order), an empty `<triangles>` (the extension allows a
//!   lattice-only mesh) and a `<b:beamlattice>` (namespace [`BEAM_LATTICE_NS`]) with
//!   `minlength`, default `radius`, `cap="sphere"`, `clippingmode="none"`, and, in
//!   [`BallMode::All`], `ballmode="all"` with a default `ballradius` and one `<b2:ball>`
//!   (namespace [`BALLS_NS`], as lib3mf writes them) per node whose radius differs from it.
//!   Each strut is one `<b:beam v1 v2 r1 r2>`; `r2` is omitted when equal to `r1`, both when
//!   equal to the default radius. Coordinates and radii are rounded to
//!   [`ThreeMfOptions::decimals`] places. The extension is marked required (the Beam Lattice
//!   spec, v1.2 ch. 2: "if a beamlattice is added to a mesh object, the mesh MAY consist of no
//!   triangles", which relaxes the core rule and is why the extension must be required).
//! - Both: object 1 is the mesh, object 2 the lattice with `representationmesh="1"` (the mesh
//!   is a preview; consumers manufacture the lattice); build item 2. Slicers cannot open this
//!   (their only build item needs the extension), so the build does not write it.
//!
//! The 3MF beam-lattice solid is a linearly graded frustum with spherical caps per beam plus a
//! ball per node (radius = largest end radius there, which the sphere caps already cover);
//! the triangle mesh from [`mesh_network`](crate::mesh::mesh_network) approximates it (see
//! the mesh module docs for the difference).
//!
//! Validated with lib3mf 2.5 in strict mode (`tests/python/check_3mf.py`): mesh-only,
//! lattice-only and lattice-with-representation files load without errors or warnings.
//! Size: ≈ 51 bytes per `<b:beam>` element (both radii differing), ≈ 82 bytes of model XML
//! per beam including nodes and balls, ≈ 19 bytes per beam zipped (1 344-beam lattice).
//!
//! No `precision` attribute is written: the beam lattice schema (v1.2 XSD) has none. (lib3mf
//! 2.5 strict mode happens to accept `precision="0.001"`, but a schema-validating reader
//! would not.) Coordinates and radii are instead rounded to [`ThreeMfOptions::decimals`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::mesh::{TriMesh, check_topology};
use crate::network::StrutNetwork;

use super::{ExportError, atomic::write_atomic};

/// 3MF core namespace.
pub const CORE_NS: &str = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02";
/// 3MF Beam Lattice extension namespace.
pub const BEAM_LATTICE_NS: &str =
    "http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02";
/// Namespace of `<balls>` in the Beam Lattice extension, as lib3mf reads and writes it.
pub const BALLS_NS: &str = "http://schemas.microsoft.com/3dmanufacturing/beamlattice/balls/2020/07";

/// Deflate level: on an 8.8 M-triangle model, level 3 takes 11 s for 105 MB where the
/// default 6 takes 17 s for 98 MB (and level 1 9 s for 168 MB).
const DEFLATE_LEVEL: i64 = 3;

/// Whether the beam lattice declares node balls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BallMode {
    /// `ballmode="none"`: no balls. The sphere caps already give every node a ball of its
    /// largest end radius, so the solid is the same.
    None,
    /// `ballmode="all"` with a ball per node of radius [`StrutNetwork::node_radii`].
    #[default]
    All,
}

/// 3MF writing options. Build with `..Default::default()`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThreeMfOptions {
    /// Decimal places (mm) for beam-lattice node coordinates and radii. Default 4 (0.1 µm).
    pub decimals: usize,
    /// Ball mode of the lattice. Default [`BallMode::All`].
    pub ball_mode: BallMode,
}

impl Default for ThreeMfOptions {
    fn default() -> Self {
        Self {
            decimals: 4,
            ball_mode: BallMode::All,
        }
    }
}

/// What goes into the 3MF file (at least one of the two). A mesh alone is the file slicers
/// open; a lattice alone is the beam-lattice file for beam-aware tools.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreeMfContent<'a> {
    /// The triangle mesh: the printable object, or the lattice's representation mesh when a
    /// lattice is given too. It is checked with [`check_topology`] before writing.
    pub mesh: Option<&'a TriMesh>,
    /// The strut network, written as a beam lattice.
    pub lattice: Option<&'a StrutNetwork>,
}

/// Sizes of a written 3MF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ThreeMfStats {
    /// Uncompressed size of `3D/3dmodel.model`, bytes.
    pub model_bytes: u64,
    /// Bytes of all `<b:beam …/>` lines (uncompressed), 0 without lattice.
    pub beam_bytes: u64,
    /// Number of beams written.
    pub beams: u64,
    /// Number of `<b2:ball>` elements written.
    pub balls: u64,
    /// Size of the zip file, bytes.
    pub file_bytes: u64,
}

/// Formats `x` with `decimals` places, trailing zeros trimmed ("0.25", "1", "-0.0005").
fn fixed(x: f64, decimals: usize) -> String {
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// The most frequent string (ties: smallest value).
fn mode<'s>(values: impl Iterator<Item = &'s String>) -> Option<String> {
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut best: Option<(&String, usize)> = None;
    for (v, c) in counts {
        let better = match best {
            None => true,
            Some((bv, bc)) => {
                c > bc
                    || (c == bc
                        && v.parse::<f64>().unwrap_or(f64::MAX)
                            < bv.parse::<f64>().unwrap_or(f64::MAX))
            }
        };
        if better {
            best = Some((v, c));
        }
    }
    best.map(|(v, _)| v.clone())
}

/// Counts bytes written through it.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>
"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>
"#;

/// The lattice prepared as text.
struct LatticeText {
    vertices: Vec<[String; 3]>,
    /// (v1, v2, r1, r2) as strings.
    beams: Vec<(u32, u32, String, String)>,
    radius: String,
    minlength: String,
    ballradius: String,
    balls: Vec<(u32, String)>,
}

/// Numbers the nodes that struts use, in node order: `(remap, used)`, where
/// `remap[node]` is the new index (`u32::MAX` for an unused node) and `used` lists the
/// old indices of the used nodes.
fn remap_used_nodes(net: &StrutNetwork) -> (Vec<u32>, Vec<usize>) {
    let mut remap = vec![u32::MAX; net.nodes().len()];
    let mut used = Vec::new();
    for s in net.struts() {
        for n in [s.a, s.b] {
            if remap[n.index()] == u32::MAX {
                remap[n.index()] = 0;
            }
        }
    }
    for (i, r) in remap.iter_mut().enumerate() {
        if *r == 0 {
            *r = used.len() as u32;
            used.push(i);
        }
    }
    (remap, used)
}

fn prepare_lattice(
    net: &StrutNetwork,
    options: &ThreeMfOptions,
) -> Result<LatticeText, ExportError> {
    let d = options.decimals;
    if net.struts().is_empty() {
        return Err(ExportError::EmptyNetwork);
    }
    let (remap, used) = remap_used_nodes(net);
    // Nodes that coincide at the file's precision become one vertex (the beam between them,
    // shorter than 10^-decimals mm, is covered by the balls and is dropped).
    let all_radii = net.node_radii();
    let mut vertex_of: std::collections::HashMap<[String; 3], u32> =
        std::collections::HashMap::new();
    let mut vertices: Vec<[String; 3]> = Vec::new();
    let mut vertex_radius: Vec<f64> = Vec::new();
    let canon: Vec<u32> = used
        .iter()
        .map(|&i| {
            let p = net.nodes()[i];
            let key = [fixed(p.x, d), fixed(p.y, d), fixed(p.z, d)];
            let v = *vertex_of.entry(key.clone()).or_insert_with(|| {
                vertices.push(key);
                vertex_radius.push(0.0);
                (vertices.len() - 1) as u32
            });
            vertex_radius[v as usize] = vertex_radius[v as usize].max(all_radii[i]);
            v
        })
        .collect();
    let rounded: Vec<[f64; 3]> = vertices
        .iter()
        .map(|v| v.clone().map(|c| c.parse::<f64>().unwrap_or(0.0)))
        .collect();
    let mut min_len = f64::INFINITY;
    let mut beams = Vec::with_capacity(net.struts().len());
    for (k, s) in net.struts().iter().enumerate() {
        let (a, b) = (
            canon[remap[s.a.index()] as usize],
            canon[remap[s.b.index()] as usize],
        );
        if a == b {
            continue;
        }
        let (pa, pb) = (rounded[a as usize], rounded[b as usize]);
        let len =
            ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2) + (pa[2] - pb[2]).powi(2)).sqrt();
        min_len = min_len.min(len);
        let (r1, r2) = (fixed(s.radius_a, d), fixed(s.radius_b, d));
        for (r, radius) in [(&r1, s.radius_a), (&r2, s.radius_b)] {
            if r.parse::<f64>().unwrap_or(0.0) <= 0.0 {
                return Err(ExportError::RadiusTooSmall {
                    strut: k,
                    radius,
                    decimals: d,
                });
            }
        }
        beams.push((a, b, r1, r2));
    }
    if beams.is_empty() {
        return Err(ExportError::EmptyNetwork);
    }
    let radius = mode(beams.iter().flat_map(|b| [&b.2, &b.3])).unwrap_or_else(|| "1".into());
    let minlength = format!("{}", (1e-4f64).min(0.5 * min_len));
    let node_r: Vec<String> = vertex_radius.iter().map(|&r| fixed(r, d)).collect();
    let ballradius = mode(node_r.iter()).unwrap_or_else(|| radius.clone());
    let balls = match options.ball_mode {
        BallMode::None => Vec::new(),
        BallMode::All => node_r
            .iter()
            .enumerate()
            .filter(|(_, r)| **r != ballradius)
            .map(|(i, r)| (i as u32, r.clone()))
            .collect(),
    };
    Ok(LatticeText {
        vertices,
        beams,
        radius,
        minlength,
        ballradius,
        balls,
    })
}

fn write_mesh_object(w: &mut impl Write, id: u32, mesh: &TriMesh) -> std::io::Result<()> {
    writeln!(w, "<object id=\"{id}\" type=\"model\"><mesh><vertices>")?;
    for p in mesh.vertices() {
        writeln!(
            w,
            "<vertex x=\"{}\" y=\"{}\" z=\"{}\"/>",
            p.x as f32, p.y as f32, p.z as f32
        )?;
    }
    writeln!(w, "</vertices><triangles>")?;
    for t in mesh.triangles() {
        writeln!(
            w,
            "<triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>",
            t[0], t[1], t[2]
        )?;
    }
    writeln!(w, "</triangles></mesh></object>")
}

fn write_lattice_object(
    w: &mut Counting<impl Write>,
    id: u32,
    lattice: &LatticeText,
    options: &ThreeMfOptions,
    representation: Option<u32>,
    stats: &mut ThreeMfStats,
) -> std::io::Result<()> {
    writeln!(w, "<object id=\"{id}\" type=\"model\"><mesh><vertices>")?;
    for [x, y, z] in &lattice.vertices {
        writeln!(w, "<vertex x=\"{x}\" y=\"{y}\" z=\"{z}\"/>")?;
    }
    write!(
        w,
        "</vertices><triangles></triangles>\n<b:beamlattice minlength=\"{}\" radius=\"{}\" cap=\"sphere\" clippingmode=\"none\"",
        lattice.minlength, lattice.radius
    )?;
    if options.ball_mode == BallMode::All {
        write!(w, " ballmode=\"all\" ballradius=\"{}\"", lattice.ballradius)?;
    }
    if let Some(r) = representation {
        write!(w, " representationmesh=\"{r}\"")?;
    }
    writeln!(w, "><b:beams>")?;
    let mut line = String::with_capacity(64);
    for (a, b, r1, r2) in &lattice.beams {
        line.clear();
        let _ = write!(line, "<b:beam v1=\"{a}\" v2=\"{b}\"");
        if !(r1 == &lattice.radius && r2 == &lattice.radius) {
            let _ = write!(line, " r1=\"{r1}\"");
            if r2 != r1 {
                let _ = write!(line, " r2=\"{r2}\"");
            }
        }
        line.push_str("/>\n");
        w.write_all(line.as_bytes())?;
        stats.beam_bytes += line.len() as u64;
        stats.beams += 1;
    }
    write!(w, "</b:beams>")?;
    if !lattice.balls.is_empty() {
        writeln!(w, "<b2:balls>")?;
        for (v, r) in &lattice.balls {
            writeln!(w, "<b2:ball vindex=\"{v}\" r=\"{r}\"/>")?;
            stats.balls += 1;
        }
        write!(w, "</b2:balls>")?;
    }
    writeln!(w, "</b:beamlattice></mesh></object>")
}

/// Writes a 3MF file (see the [module docs](self) for its layout) atomically and returns its
/// sizes.
///
/// # Errors
/// [`ExportError::NothingToWrite`] if `content` is empty; [`ExportError::InvalidMesh`] if the
/// mesh fails [`check_topology`]; [`ExportError::EmptyNetwork`] or
/// [`ExportError::RadiusTooSmall`] for a lattice that cannot be written at
/// `options.decimals`; [`ExportError::Io`] / [`ExportError::Zip`] on write errors.
pub fn write_3mf(
    path: impl AsRef<Path>,
    content: &ThreeMfContent<'_>,
    options: &ThreeMfOptions,
) -> Result<ThreeMfStats, ExportError> {
    let path = path.as_ref();
    if content.mesh.is_none() && content.lattice.is_none() {
        return Err(ExportError::NothingToWrite);
    }
    if let Some(m) = content.mesh {
        check_topology(m)
            .into_result()
            .map_err(crate::mesh::MeshError::from)?;
    }
    let lattice = content
        .lattice
        .map(|n| prepare_lattice(n, options))
        .transpose()?;
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let zerr = |source| ExportError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut stats = ThreeMfStats::default();
    write_atomic(path, |w| {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(DEFLATE_LEVEL))
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        zip.start_file("[Content_Types].xml", opts).map_err(zerr)?;
        zip.write_all(CONTENT_TYPES.as_bytes()).map_err(io)?;
        zip.start_file("_rels/.rels", opts).map_err(zerr)?;
        zip.write_all(RELS.as_bytes()).map_err(io)?;
        // A model part that may pass 4 GiB uncompressed needs ZIP64.
        let model_opts = opts.large_file(estimated_model_bytes(content) > ZIP64_FROM);
        zip.start_file("3D/3dmodel.model", model_opts)
            .map_err(zerr)?;
        {
            let mut cw = Counting {
                inner: std::io::BufWriter::with_capacity(1 << 16, &mut zip),
                bytes: 0,
            };
            write_model(&mut cw, content, lattice.as_ref(), options, &mut stats).map_err(io)?;
            cw.flush().map_err(io)?;
            stats.model_bytes = cw.bytes;
        }
        let bytes = zip.finish().map_err(zerr)?.into_inner();
        stats.file_bytes = bytes.len() as u64;
        w.write_all(&bytes).map_err(io)
    })?;
    Ok(stats)
}

/// Estimated model sizes above this (bytes) are written with ZIP64 (with margin below 4 GiB).
const ZIP64_FROM: u64 = 3 << 30;

/// An upper estimate of the uncompressed `3D/3dmodel.model` size, bytes: at most ~80 bytes per
/// vertex, triangle, beam and ball line.
fn estimated_model_bytes(content: &ThreeMfContent<'_>) -> u64 {
    let mesh = content
        .mesh
        .map_or(0, |m| m.vertices().len() + m.triangles().len());
    let lattice = content
        .lattice
        .map_or(0, |n| n.nodes().len() + 2 * n.struts().len());
    80 * (mesh + lattice) as u64 + 4096
}

fn write_model(
    w: &mut Counting<impl Write>,
    content: &ThreeMfContent<'_>,
    lattice: Option<&LatticeText>,
    options: &ThreeMfOptions,
    stats: &mut ThreeMfStats,
) -> std::io::Result<()> {
    write!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model xmlns=\"{CORE_NS}\" unit=\"millimeter\" xml:lang=\"en-US\""
    )?;
    if let Some(l) = lattice {
        write!(w, " xmlns:b=\"{BEAM_LATTICE_NS}\"")?;
        if !l.balls.is_empty() {
            write!(w, " xmlns:b2=\"{BALLS_NS}\"")?;
        }
        write!(w, " requiredextensions=\"b\"")?;
    }
    writeln!(
        w,
        "><metadata name=\"Application\">trussforge</metadata>\n<resources>"
    )?;
    let build_id = match (content.mesh, lattice) {
        (Some(m), None) => {
            write_mesh_object(w, 1, m)?;
            1
        }
        (None, Some(l)) => {
            write_lattice_object(w, 1, l, options, None, stats)?;
            1
        }
        (Some(m), Some(l)) => {
            write_mesh_object(w, 1, m)?;
            write_lattice_object(w, 2, l, options, Some(1), stats)?;
            2
        }
        (None, None) => unreachable!("checked by write_3mf"),
    };
    writeln!(
        w,
        "</resources>\n<build><item objectid=\"{build_id}\"/></build>\n</model>"
    )
}

#[cfg(test)]
mod tests;
