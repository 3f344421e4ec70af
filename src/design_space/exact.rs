//! Exact rational geometry for building topologies.
//!
//! Elementary-lattice coordinates are multiples of 1/12 of the cell edge; a 2× tessellation
//! halves them and shifts by 1/4, so every input coordinate is an integer in units of
//! [`GRID`]`⁻¹` of the cell edge. Crossing points of struts are rational. Working exactly keeps
//! merging and splitting free of tolerances (the public reference code's rounded 1/6 values
//! make its splitting run away on some combinations).

use std::cmp::Ordering;

/// Grid units per cell edge: input coordinates are integers in `0..=GRID`.
pub const GRID: i64 = 24;

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A point with rational coordinates `num / den` (grid units), kept in lowest terms with
/// `den > 0`, so equal points have equal representations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RatPoint {
    num: [i64; 3],
    den: i64,
}

impl RatPoint {
    /// An integer grid point.
    pub fn from_int(p: [i64; 3]) -> Self {
        Self { num: p, den: 1 }
    }

    /// `num / den`, reduced.
    ///
    /// # Panics
    /// If `den == 0`.
    #[track_caller]
    pub fn new(num: [i64; 3], den: i64) -> Self {
        assert!(den != 0, "zero denominator");
        let g = gcd(gcd(gcd(num[0], num[1]), num[2]), den);
        let s = if den < 0 { -g } else { g };
        Self {
            num: num.map(|v| v / s),
            den: den / s,
        }
    }

    /// The coordinates as floating point, in cell edges (grid units / [`GRID`]).
    pub fn to_cell_units(self) -> [f64; 3] {
        self.num.map(|v| v as f64 / (self.den * GRID) as f64)
    }

    /// Numerators (grid units × den).
    pub fn num(&self) -> [i64; 3] {
        self.num
    }

    /// Common denominator (> 0).
    pub fn den(&self) -> i64 {
        self.den
    }

    /// The point shifted by `cells` whole cell edges along each axis.
    pub fn translated(self, cells: [i64; 3]) -> Self {
        Self {
            num: std::array::from_fn(|i| self.num[i] + cells[i] * GRID * self.den),
            den: self.den,
        }
    }

    /// The whole-cell index `floor(coordinate / GRID)` on each axis.
    pub fn cell_index(self) -> [i64; 3] {
        self.num.map(|v| v.div_euclid(GRID * self.den))
    }

    /// The image of the point in the half-open cell `[0, GRID)³`, and the cell it came from.
    pub fn wrapped(self) -> (Self, [i64; 3]) {
        let cell = self.cell_index();
        (self.translated(cell.map(|c| -c)), cell)
    }

    /// `self + t (other − self)` for a rational `t = tn / td`.
    pub fn lerp(self, other: Self, tn: i64, td: i64) -> Self {
        // self = a/da, other = b/db: (a db td + tn (b da − a db)) / (da db td)
        let (a, da, b, db) = (self.num, self.den, other.num, other.den);
        let num: [i128; 3] = std::array::from_fn(|i| {
            a[i] as i128 * db as i128 * td as i128
                + tn as i128 * (b[i] as i128 * da as i128 - a[i] as i128 * db as i128)
        });
        let den = da as i128 * db as i128 * td as i128;
        let g = num.iter().fold(den, |g, &v| gcd128(g, v));
        let g = if den < 0 { -g } else { g };
        Self {
            num: num.map(|v| i64::try_from(v / g).expect("coordinate fits in i64")),
            den: i64::try_from(den / g).expect("denominator fits in i64"),
        }
    }

    /// Applies `x ↦ perm/sign(x − c) + c` about the cell centre `c = GRID/2` (a cube symmetry).
    pub fn cube_symmetry(self, perm: [usize; 3], sign: [i64; 3]) -> Self {
        let c = GRID / 2 * self.den;
        let centred = self.num.map(|v| v - c);
        Self::new(
            std::array::from_fn(|i| sign[i] * centred[perm[i]] + c),
            self.den,
        )
    }
}

fn gcd128(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ord for RatPoint {
    /// Lexicographic by coordinate value (x, then y, then z); translation-invariant.
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..3 {
            let l = self.num[i] as i128 * other.den as i128;
            let r = other.num[i] as i128 * self.den as i128;
            match l.cmp(&r) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for RatPoint {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A rational parameter `n / d` in lowest terms with `d > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Param {
    /// Numerator.
    pub n: i64,
    /// Denominator (> 0).
    pub d: i64,
}

impl Param {
    fn new(n: i64, d: i64) -> Self {
        let g = gcd(n, d);
        let s = if d < 0 { -g } else { g };
        Self { n: n / s, d: d / s }
    }

    fn strictly_inside_unit(self) -> bool {
        self.n > 0 && self.n < self.d
    }
}

impl Ord for Param {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.n as i128 * other.d as i128).cmp(&(other.n as i128 * self.d as i128))
    }
}

impl PartialOrd for Param {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn sub(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    std::array::from_fn(|i| a[i] - b[i])
}

fn cross(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [i64; 3], b: [i64; 3]) -> i64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The parameters `t ∈ (0, 1)` (exclusive) at which segment `p→q` must be split because of
/// segment `r→w` (integer grid endpoints): a proper crossing, an endpoint of `r→w` lying on
/// `p→q`, or the ends of a collinear overlap.
pub fn split_params(p: [i64; 3], q: [i64; 3], r: [i64; 3], w: [i64; 3]) -> Vec<Param> {
    let d1 = sub(q, p);
    let d2 = sub(w, r);
    let e = sub(r, p);
    let c = cross(d1, d2);
    let mut out = Vec::new();
    if c == [0, 0, 0] {
        // Parallel: split only if collinear, at the other segment's endpoints.
        if cross(e, d1) != [0, 0, 0] {
            return out;
        }
        let dd = dot(d1, d1);
        for end in [r, w] {
            let t = Param::new(dot(sub(end, p), d1), dd);
            if t.strictly_inside_unit() {
                out.push(t);
            }
        }
        return out;
    }
    if dot(e, c) != 0 {
        return out; // skew lines
    }
    let cc = dot(c, c);
    let t = Param::new(dot(cross(e, d2), c), cc);
    let v = Param::new(dot(cross(e, d1), c), cc);
    let v_on_segment = v.n >= 0 && v.n <= v.d;
    if v_on_segment && t.strictly_inside_unit() {
        out.push(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_diagonals_split_at_centre() {
        let t = split_params([0, 0, 0], [2, 2, 0], [0, 2, 0], [2, 0, 0]);
        assert_eq!(t, vec![Param { n: 1, d: 2 }]);
    }

    #[test]
    fn skew_and_touching_at_ends_do_not_split() {
        assert!(split_params([0, 0, 0], [2, 0, 0], [0, 1, 1], [2, 1, -1]).is_empty());
        assert!(split_params([0, 0, 0], [2, 0, 0], [2, 0, 0], [2, 3, 0]).is_empty());
        // Lines cross but outside the other segment.
        assert!(split_params([0, 0, 0], [4, 0, 0], [1, 1, 0], [1, 3, 0]).is_empty());
    }

    #[test]
    fn t_junction_and_collinear_overlap() {
        assert_eq!(
            split_params([0, 0, 0], [4, 0, 0], [1, 0, 0], [1, 3, 0]),
            vec![Param { n: 1, d: 4 }]
        );
        let mut t = split_params([0, 0, 0], [6, 0, 0], [2, 0, 0], [8, 0, 0]);
        t.sort();
        assert_eq!(t, vec![Param { n: 1, d: 3 }]);
        let mut t = split_params([0, 0, 0], [6, 0, 0], [2, 0, 0], [3, 0, 0]);
        t.sort();
        assert_eq!(t, vec![Param { n: 1, d: 3 }, Param { n: 1, d: 2 }]);
    }

    #[test]
    fn rational_points_reduce_and_wrap() {
        let a = RatPoint::new([2, 4, -6], -2);
        assert_eq!(a, RatPoint::new([-1, -2, 3], 1));
        let (w, cell) = RatPoint::new([-1, 25, 48], 1).wrapped();
        assert_eq!(w, RatPoint::from_int([23, 1, 0]));
        assert_eq!(cell, [-1, 1, 2]);
        let m = RatPoint::from_int([0, 0, 0]).lerp(RatPoint::from_int([3, 3, 3]), 1, 3);
        assert_eq!(m, RatPoint::from_int([1, 1, 1]));
    }
}
