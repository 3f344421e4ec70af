//! Safe clean-up: exact vertex welding and removal of triangles with repeated vertices.
//!
//! The mesher never produces degenerate triangles (its vertices keep ≥ 1 % of a grid edge
//! from each other), so this is for imported meshes (STL stores each triangle's corners
//! separately) and as a safety net.

use nalgebra::Point3;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::TriMesh;

/// Welds vertices with bitwise-identical coordinates (−0 and +0 are equal), drops triangles
/// that then repeat a vertex, and drops unreferenced vertices. Vertex order: first use.
/// Deterministic; sorting, no hashing.
///
/// Dropping a triangle with a repeated vertex keeps a closed mesh closed: such a triangle
/// has zero area and its two non-trivial edges coincide, so the mesh's other triangles
/// still pair up along them.
pub fn weld_and_clean(vertices: &[Point3<f64>], triangles: &[[u32; 3]]) -> TriMesh {
    let key = |p: &Point3<f64>| p.coords.map(|c| if c == 0.0 { 0u64 } else { c.to_bits() });
    let mut order: Vec<u32> = (0..vertices.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (ka, kb) = (key(&vertices[a as usize]), key(&vertices[b as usize]));
        (ka.x, ka.y, ka.z, a).cmp(&(kb.x, kb.y, kb.z, b))
    });
    // Representative (smallest index) of each class.
    let mut rep = vec![0u32; vertices.len()];
    let mut i = 0;
    while i < order.len() {
        let k = key(&vertices[order[i] as usize]);
        let mut j = i;
        while j < order.len() && key(&vertices[order[j] as usize]) == k {
            rep[order[j] as usize] = order[i];
            j += 1;
        }
        i = j;
    }
    let mut new_index = vec![u32::MAX; vertices.len()];
    let mut out_vertices = Vec::new();
    let mut out_triangles = Vec::with_capacity(triangles.len());
    for t in triangles {
        let r = t.map(|v| rep[v as usize]);
        if r[0] == r[1] || r[1] == r[2] || r[0] == r[2] {
            continue;
        }
        out_triangles.push(r.map(|v| {
            let n = &mut new_index[v as usize];
            if *n == u32::MAX {
                *n = out_vertices.len() as u32;
                out_vertices.push(vertices[v as usize]);
            }
            *n
        }));
    }
    TriMesh::from_parts_unchecked(out_vertices, out_triangles)
}

/// Welds the corners of separate triangles (e.g. an STL's) closer than `weld` (mm) with a
/// point tree, in input order (deterministic),
/// dropping triangles that collapse; returns `(vertices, triangles)`.
pub fn weld_within(tris: &[[Point3<f64>; 3]], weld: f64) -> (Vec<Point3<f64>>, Vec<[u32; 3]>) {
    let mut vertices: Vec<Point3<f64>> = Vec::new();
    let mut vtree: RTree<GeomWithData<[f64; 3], u32>> = RTree::new();
    let mut triangles = Vec::with_capacity(tris.len());
    for t in tris {
        let mut ids = [0u32; 3];
        for (j, v) in t.iter().enumerate() {
            let key = [v.x, v.y, v.z];
            let found = vtree
                .nearest_neighbor(key)
                .filter(|n| (vertices[n.data as usize] - v).norm() <= weld);
            ids[j] = match found {
                Some(n) => n.data,
                None => {
                    let id = vertices.len() as u32;
                    vertices.push(*v);
                    vtree.insert(GeomWithData::new(key, id));
                    id
                }
            };
        }
        if ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2] {
            triangles.push(ids);
        }
    }
    (vertices, triangles)
}
