//! The indexed triangle mesh.

use nalgebra::{Point3, Vector3};

use super::SurfaceError;

/// An indexed triangle mesh in mm. Triangles are counter-clockwise seen from outside
/// (outward normals). Invariants (checked by [`TriMesh::try_new`]): finite coordinates and
/// triangle indices in range. Watertightness is *not* an invariant: use
/// [`check`](super::check).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TriMesh {
    vertices: Vec<Point3<f64>>,
    triangles: Vec<[u32; 3]>,
}

impl TriMesh {
    /// Builds a mesh from vertex positions (mm) and vertex-index triples.
    ///
    /// # Errors
    /// [`SurfaceError::NonFiniteVertex`] or [`SurfaceError::BadIndex`] for the first offender.
    ///
    /// # Example
    /// ```
    /// use nalgebra::Point3;
    /// use trussforge::mesh::TriMesh;
    /// let m = TriMesh::try_new(
    ///     vec![Point3::origin(), Point3::new(1.0, 0.0, 0.0), Point3::new(0.0, 1.0, 0.0)],
    ///     vec![[0, 1, 2]],
    /// )?;
    /// assert!((m.area() - 0.5).abs() < 1e-12);
    /// # Ok::<(), trussforge::mesh::SurfaceError>(())
    /// ```
    pub fn try_new(
        vertices: Vec<Point3<f64>>,
        triangles: Vec<[u32; 3]>,
    ) -> Result<Self, SurfaceError> {
        if let Some(vertex) = vertices
            .iter()
            .position(|p| !p.iter().all(|c| c.is_finite()))
        {
            return Err(SurfaceError::NonFiniteVertex { vertex });
        }
        for (triangle, t) in triangles.iter().enumerate() {
            if let Some(&index) = t.iter().find(|&&i| i as usize >= vertices.len()) {
                return Err(SurfaceError::BadIndex {
                    triangle,
                    index,
                    vertices: vertices.len(),
                });
            }
        }
        Ok(Self {
            vertices,
            triangles,
        })
    }

    /// For producers that guarantee the invariants by construction.
    pub(crate) fn from_parts_unchecked(
        vertices: Vec<Point3<f64>>,
        triangles: Vec<[u32; 3]>,
    ) -> Self {
        debug_assert!(
            triangles
                .iter()
                .all(|t| t.iter().all(|&i| (i as usize) < vertices.len()))
        );
        Self {
            vertices,
            triangles,
        }
    }

    /// Vertex positions, mm.
    pub fn vertices(&self) -> &[Point3<f64>] {
        &self.vertices
    }

    /// Triangles as vertex-index triples, counter-clockwise seen from outside.
    pub fn triangles(&self) -> &[[u32; 3]] {
        &self.triangles
    }

    /// Takes the mesh apart into `(vertices, triangles)`.
    pub fn into_parts(self) -> (Vec<Point3<f64>>, Vec<[u32; 3]>) {
        (self.vertices, self.triangles)
    }

    /// The three corner positions of triangle `t`, mm.
    ///
    /// # Panics
    /// If `t` is out of range.
    #[track_caller]
    pub fn triangle_points(&self, t: usize) -> [Point3<f64>; 3] {
        self.triangles[t].map(|i| self.vertices[i as usize])
    }

    /// Signed enclosed volume, mm³ (divergence theorem; positive for a closed,
    /// outward-oriented mesh). Computed about the bounding-box centre for accuracy.
    pub fn volume(&self) -> f64 {
        let c = self
            .bounding_box()
            .map(|(lo, hi)| nalgebra::center(&lo, &hi))
            .unwrap_or_else(Point3::origin);
        self.triangles
            .iter()
            .map(|t| {
                let [a, b, d] = t.map(|i| self.vertices[i as usize] - c);
                a.dot(&b.cross(&d))
            })
            .sum::<f64>()
            / 6.0
    }

    /// Total surface area, mm².
    pub fn area(&self) -> f64 {
        self.triangles
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|i| self.vertices[i as usize]);
                0.5 * (b - a).cross(&(c - a)).norm()
            })
            .sum()
    }

    /// Axis-aligned bounding box `(min, max)` of the vertices, mm; `None` without vertices.
    pub fn bounding_box(&self) -> Option<(Point3<f64>, Point3<f64>)> {
        let first = *self.vertices.first()?;
        Some(
            self.vertices
                .iter()
                .fold((first, first), |(lo, hi), p| (lo.inf(p), hi.sup(p))),
        )
    }

    /// Unit outward normal of triangle `t` (zero vector for a degenerate triangle).
    ///
    /// # Panics
    /// If `t` is out of range.
    #[track_caller]
    pub fn normal(&self, t: usize) -> Vector3<f64> {
        let [a, b, c] = self.triangle_points(t);
        (b - a)
            .cross(&(c - a))
            .try_normalize(0.0)
            .unwrap_or_else(Vector3::zeros)
    }
}
