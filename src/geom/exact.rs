//! Exact rational geometry in grid units.
//!
//! Elementary-lattice coordinates are multiples of 1/12 of the cell edge; a 2× tessellation
//! halves them and shifts by 1/4, so every input coordinate is an integer in units of
//! [`GRID`]`⁻¹` of the cell edge. Crossing points of struts are rational. Working exactly keeps
//! merging and splitting free of tolerances (rounded 1/6 values make splitting run away on
//! some combinations).
//!
//! Points are rationals `num / den` in lowest terms with `den > 0`, stored in `i128`, so equal
//! points have equal representations and can key maps. A segment is split on the parent line
//! of its pieces ([`Line`]: small denominators) to keep the numbers small. Every predicate
//! here is exact: no tolerance anywhere.

use std::cmp::Ordering;

/// Grid units per cell edge: elementary-lattice coordinates are integers in `0..=GRID`.
pub const GRID: i64 = 24;

/// [`GRID`] in the width of the exact arithmetic.
const GRID_WIDE: i128 = GRID as i128;

/// The greatest common divisor of `|a|` and `|b|` (`gcd(0, 0) = 0`).
pub fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A point with rational coordinates `num / den` in grid units, kept in lowest terms with
/// `den > 0`, so equal points have equal representations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RatPoint {
    num: [i128; 3],
    den: i128,
}

impl RatPoint {
    /// An integer grid point.
    pub fn from_int(p: [i64; 3]) -> Self {
        Self {
            num: p.map(i128::from),
            den: 1,
        }
    }

    /// `num / den`, reduced.
    ///
    /// # Panics
    /// If `den == 0`.
    #[track_caller]
    pub fn new(num: [i128; 3], den: i128) -> Self {
        assert!(den != 0, "zero denominator");
        let g = gcd(gcd(gcd(num[0], num[1]), num[2]), den);
        let s = if den < 0 { -g } else { g };
        Self {
            num: num.map(|v| v / s),
            den: den / s,
        }
    }

    /// Numerators (grid units × den).
    pub fn num(&self) -> [i128; 3] {
        self.num
    }

    /// Common denominator (> 0).
    pub fn den(&self) -> i128 {
        self.den
    }

    /// The coordinates as floating point, in grid units.
    pub fn to_f64(self) -> [f64; 3] {
        self.num.map(|v| v as f64 / self.den as f64)
    }

    /// The coordinates as floating point, in cell edges (grid units / [`GRID`]).
    pub fn to_cell_units(self) -> [f64; 3] {
        self.num.map(|v| v as f64 / (self.den * GRID_WIDE) as f64)
    }

    /// Coordinates relative to cell `cell`, in cell edges (exact up to one rounding).
    pub fn local_units(self, cell: [i64; 3]) -> [f64; 3] {
        std::array::from_fn(|i| {
            let n = self.num[i] - i128::from(cell[i]) * GRID_WIDE * self.den;
            n as f64 / (GRID_WIDE * self.den) as f64
        })
    }

    /// The point shifted by `cells` whole cell edges along each axis.
    pub fn translated(self, cells: [i64; 3]) -> Self {
        Self {
            num: std::array::from_fn(|i| self.num[i] + i128::from(cells[i]) * GRID_WIDE * self.den),
            den: self.den,
        }
    }

    /// The whole-cell index `floor(coordinate / GRID)` on each axis.
    ///
    /// # Panics
    /// If an index does not fit in `i64` (a point ~10¹⁷ cells away).
    pub fn cell_index(self) -> [i64; 3] {
        self.num.map(|v| {
            i64::try_from(v.div_euclid(GRID_WIDE * self.den)).expect("cell index fits in i64")
        })
    }

    /// The image of the point in the half-open cell `[0, GRID)³`, and the cell it came from.
    pub fn wrapped(self) -> (Self, [i64; 3]) {
        let cell = self.cell_index();
        (self.translated(cell.map(|c| -c)), cell)
    }

    /// The plane index `k` if coordinate `axis` equals `GRID · k` (the point lies on a
    /// cell-boundary plane).
    pub fn on_plane(self, axis: usize) -> Option<i64> {
        let m = GRID_WIDE * self.den;
        (self.num[axis].rem_euclid(m) == 0).then(|| (self.num[axis] / m) as i64)
    }

    /// `self + t (other − self)`.
    pub fn lerp(self, other: Self, t: Param) -> Self {
        let (a, da, b, db) = (self.num, self.den, other.num, other.den);
        let num: [i128; 3] =
            std::array::from_fn(|i| a[i] * db * t.d + t.n * (b[i] * da - a[i] * db));
        Self::new(num, da * db * t.d)
    }

    /// `self − origin` as a point (the translate that moves `origin` to zero).
    pub fn minus(self, origin: Self) -> Self {
        let (a, da, b, db) = (self.num, self.den, origin.num, origin.den);
        Self::new(std::array::from_fn(|i| a[i] * db - b[i] * da), da * db)
    }

    /// Applies the signed permutation `x ↦ Qᵀ (x − c) + c` about the cell centre
    /// `c = GRID/2` (`q[r][c]` ∈ {−1, 0, 1}: a symmetry of the cube).
    pub fn rotated_t(self, q: &[[i8; 3]; 3]) -> Self {
        let c = GRID_WIDE / 2 * self.den;
        let g = self.num.map(|v| v - c);
        let num: [i128; 3] =
            std::array::from_fn(|r| (0..3).map(|k| i128::from(q[k][r]) * g[k]).sum::<i128>() + c);
        Self::new(num, self.den)
    }
}

impl Ord for RatPoint {
    /// Lexicographic by coordinate value (x, then y, then z); translation-invariant.
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..3 {
            match (self.num[i] * other.den).cmp(&(other.num[i] * self.den)) {
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

/// A rational `n / d` in lowest terms with `d > 0`: a parameter along a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Param {
    /// Numerator.
    pub n: i128,
    /// Denominator (> 0).
    pub d: i128,
}

impl Param {
    /// Zero.
    pub const ZERO: Param = Param { n: 0, d: 1 };
    /// One.
    pub const ONE: Param = Param { n: 1, d: 1 };

    /// `n / d`, reduced.
    ///
    /// # Panics
    /// If `d == 0`.
    #[track_caller]
    pub fn new(n: i128, d: i128) -> Self {
        assert!(d != 0, "zero denominator");
        let g = gcd(n, d).max(1);
        let s = if d < 0 { -g } else { g };
        Self { n: n / s, d: d / s }
    }
}

impl Ord for Param {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.n * other.d).cmp(&(other.n * self.d))
    }
}

impl PartialOrd for Param {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A piece `[ta, tb]` (with `ta < tb`) of the parent segment `p → q`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Start of the parent segment.
    pub p: RatPoint,
    /// End of the parent segment.
    pub q: RatPoint,
    /// Parameter of the piece's start on the parent.
    pub ta: Param,
    /// Parameter of the piece's end on the parent.
    pub tb: Param,
}

impl Line {
    /// The whole segment `p → q`.
    pub fn whole(p: RatPoint, q: RatPoint) -> Self {
        Self {
            p,
            q,
            ta: Param::ZERO,
            tb: Param::ONE,
        }
    }

    /// The piece's start point.
    pub fn start(&self) -> RatPoint {
        self.p.lerp(self.q, self.ta)
    }

    /// The piece's end point.
    pub fn end(&self) -> RatPoint {
        self.p.lerp(self.q, self.tb)
    }

    /// Shifted by whole cells.
    pub fn translated(self, cells: [i64; 3]) -> Self {
        Self {
            p: self.p.translated(cells),
            q: self.q.translated(cells),
            ..self
        }
    }

    /// The sub-piece `[t0, t1]` of the parent.
    pub fn sub(self, t0: Param, t1: Param) -> Self {
        Self {
            ta: t0,
            tb: t1,
            ..self
        }
    }

    /// The part of this piece inside the closed box `[lo, hi]` (grid units, integers), if it
    /// has positive length.
    pub fn clip_to_box(&self, lo: [i64; 3], hi: [i64; 3]) -> Option<Line> {
        let (a, da, b, db) = (self.p.num, self.p.den, self.q.num, self.q.den);
        let (lo, hi) = (lo.map(i128::from), hi.map(i128::from));
        let (mut t0, mut t1) = (self.ta, self.tb);
        for i in 0..3 {
            // coordinate(t) = (a db + t (b da − a db)) / (da db), with a/da, b/db.
            let base = a[i] * db; // over da·db
            let slope = b[i] * da - a[i] * db;
            let scale = da * db;
            if slope == 0 {
                if base < lo[i] * scale || base > hi[i] * scale {
                    return None;
                }
                continue;
            }
            let ta = Param::new(lo[i] * scale - base, slope);
            let tb = Param::new(hi[i] * scale - base, slope);
            let (enter, exit) = if ta < tb { (ta, tb) } else { (tb, ta) };
            t0 = t0.max(enter);
            t1 = t1.min(exit);
            if t0 >= t1 {
                return None;
            }
        }
        Some(self.sub(t0, t1))
    }
}

/// Integer forms of several rational points over their common denominator.
fn common<const N: usize>(pts: [RatPoint; N]) -> [[i128; 3]; N] {
    let mut den: i128 = 1;
    for p in &pts {
        den = den / gcd(den, p.den) * p.den;
    }
    pts.map(|p| p.num.map(|v| v * (den / p.den)))
}

fn sub(a: [i128; 3], b: [i128; 3]) -> [i128; 3] {
    std::array::from_fn(|i| a[i] - b[i])
}

fn cross(a: [i128; 3], b: [i128; 3]) -> [i128; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [i128; 3], b: [i128; 3]) -> i128 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Whether the three points are collinear (coincident points count as collinear).
pub fn collinear(a: RatPoint, b: RatPoint, c: RatPoint) -> bool {
    let [a, b, c] = common([a, b, c]);
    cross(sub(b, a), sub(c, a)) == [0, 0, 0]
}

/// Parent parameters `t` strictly inside piece `k` at which it must be split because of piece
/// `m`: a proper crossing, an end of `m` lying on `k`, or the ends of a collinear overlap.
/// Touching at an end of `k` and skew lines give none.
pub fn split_params(k: &Line, m: &Line) -> Vec<Param> {
    let [pk, qk, pm, qm] = common([k.p, k.q, m.p, m.q]);
    let d1 = sub(qk, pk);
    let d2 = sub(qm, pm);
    let e = sub(pm, pk);
    let c = cross(d1, d2);
    let inside = |t: Param| t > k.ta && t < k.tb;
    let mut out = Vec::new();
    if c == [0, 0, 0] {
        // Parallel: split only if collinear, at the other piece's ends.
        if cross(e, d1) != [0, 0, 0] {
            return out;
        }
        let dd = dot(d1, d1);
        let ed = dot(e, d1);
        let d2d1 = dot(d2, d1);
        for s in [m.ta, m.tb] {
            // point pm + s d2 → t = (e·d1 + s d2·d1) / d1·d1
            let t = Param::new(s.d * ed + s.n * d2d1, s.d * dd);
            if inside(t) {
                out.push(t);
            }
        }
        return out;
    }
    if dot(e, c) != 0 {
        return out; // skew lines
    }
    let j = (0..3).max_by_key(|&j| c[j].abs()).expect("three axes");
    let t = Param::new(cross(e, d2)[j], c[j]);
    let v = Param::new(cross(e, d1)[j], c[j]);
    if v >= m.ta && v <= m.tb && inside(t) {
        out.push(t);
    }
    out
}

/// The parent parameter of point `x` if it lies strictly inside piece `k`.
pub fn point_param(k: &Line, x: RatPoint) -> Option<Param> {
    let [pk, qk, x] = common([k.p, k.q, x]);
    let d = sub(qk, pk);
    let e = sub(x, pk);
    if cross(e, d) != [0, 0, 0] {
        return None;
    }
    let t = Param::new(dot(e, d), dot(d, d));
    (t > k.ta && t < k.tb).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(a: [i64; 3]) -> RatPoint {
        RatPoint::from_int(a)
    }

    fn whole(p: [i64; 3], q: [i64; 3]) -> Line {
        Line::whole(pt(p), pt(q))
    }

    #[test]
    fn gcd_of_signed_and_zero_arguments() {
        assert_eq!(gcd(12, 18), 6);
        assert_eq!(gcd(-12, 18), 6);
        assert_eq!(gcd(12, -18), 6);
        assert_eq!(gcd(0, 7), 7);
        assert_eq!(gcd(7, 0), 7);
        assert_eq!(gcd(0, 0), 0);
        assert_eq!(gcd(17, 5), 1);
    }

    #[test]
    fn points_reduce_order_and_wrap() {
        let a = RatPoint::new([2, 4, -6], -2);
        assert_eq!(a, RatPoint::new([-1, -2, 3], 1));
        assert_eq!((a.num(), a.den()), ([-1, -2, 3], 1));
        assert_eq!(RatPoint::new([2, 4, 6], 4), RatPoint::new([1, 2, 3], 2));
        let (w, cell) = RatPoint::new([-1, 25, 48], 1).wrapped();
        assert_eq!(w, pt([23, 1, 0]));
        assert_eq!(cell, [-1, 1, 2]);
        // Order is by value, not by representation.
        assert!(RatPoint::new([1, 0, 0], 3) < RatPoint::new([1, 0, 0], 2));
        assert!(pt([0, 5, 0]) < pt([1, 0, 0]));
        assert_eq!(pt([3, 6, 9]).minus(pt([1, 2, 3])), pt([2, 4, 6]));
    }

    #[test]
    fn float_views_and_planes() {
        let p = RatPoint::new([12, 24, 36], 1);
        assert_eq!(p.to_f64(), [12.0, 24.0, 36.0]);
        assert_eq!(p.to_cell_units(), [0.5, 1.0, 1.5]);
        assert_eq!(p.local_units([0, 1, 1]), [0.5, 0.0, 0.5]);
        assert_eq!(p.on_plane(0), None);
        assert_eq!(p.on_plane(1), Some(1));
        assert_eq!(RatPoint::new([-48, 1, 1], 2).on_plane(0), Some(-1));
    }

    #[test]
    fn lerp_and_cube_symmetry() {
        let m = pt([0, 0, 0]).lerp(pt([3, 3, 3]), Param::new(1, 3));
        assert_eq!(m, pt([1, 1, 1]));
        let r = RatPoint::new([1, 2, 3], 2).lerp(RatPoint::new([3, 2, 1], 2), Param::new(1, 2));
        assert_eq!(r, pt([1, 1, 1]));
        // The identity and a quarter turn about z through the cell centre (12, 12, 12).
        let id = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
        assert_eq!(pt([1, 2, 3]).rotated_t(&id), pt([1, 2, 3]));
        let quarter = [[0, -1, 0], [1, 0, 0], [0, 0, 1]];
        // Qᵀ (x − c) + c with x − c = (12, 0, 0): Qᵀ e_x = (0, −1, 0).
        assert_eq!(pt([24, 12, 12]).rotated_t(&quarter), pt([12, 0, 12]));
        // Four quarter turns are the identity.
        let mut p = RatPoint::new([5, 7, 9], 2);
        for _ in 0..4 {
            p = p.rotated_t(&quarter);
        }
        assert_eq!(p, RatPoint::new([5, 7, 9], 2));
    }

    #[test]
    fn params_reduce_and_order() {
        assert_eq!(Param::new(2, -4), Param { n: -1, d: 2 });
        assert_eq!(Param::new(0, -5), Param::ZERO);
        assert!(Param::new(1, 3) < Param::new(1, 2));
        assert!(Param::new(-1, 2) < Param::ZERO);
    }

    #[test]
    fn crossing_t_junction_and_overlap() {
        let k = whole([0, 0, 0], [4, 4, 0]);
        let m = whole([0, 4, 0], [4, 0, 0]);
        assert_eq!(split_params(&k, &m), vec![Param::new(1, 2)]);
        // Restricting m to a piece that misses the crossing removes it.
        let m2 = m.sub(Param::new(3, 4), Param::ONE);
        assert!(split_params(&k, &m2).is_empty());
        // An end of the other segment inside this one: a T junction.
        assert_eq!(
            split_params(&whole([0, 0, 0], [4, 0, 0]), &whole([1, 0, 0], [1, 3, 0])),
            vec![Param::new(1, 4)]
        );
        // Collinear overlap splits at the other piece's ends (in its order).
        let a = whole([0, 0, 0], [6, 0, 0]);
        assert_eq!(
            split_params(&a, &whole([2, 0, 0], [8, 0, 0])),
            vec![Param::new(1, 3)]
        );
        assert_eq!(
            split_params(&a, &whole([3, 0, 0], [2, 0, 0])),
            vec![Param::new(1, 2), Param::new(1, 3)]
        );
        assert_eq!(point_param(&a, pt([3, 0, 0])), Some(Param::new(1, 2)));
        assert_eq!(point_param(&a, pt([6, 0, 0])), None);
        assert_eq!(point_param(&a, pt([3, 1, 0])), None);
    }

    #[test]
    fn skew_parallel_and_end_touching_do_not_split() {
        let a = whole([0, 0, 0], [2, 0, 0]);
        assert!(split_params(&a, &whole([0, 1, 1], [2, 1, -1])).is_empty());
        assert!(split_params(&a, &whole([2, 0, 0], [2, 3, 0])).is_empty());
        assert!(split_params(&a, &whole([0, 1, 0], [2, 1, 0])).is_empty());
        // Lines cross but outside the other segment.
        let b = whole([0, 0, 0], [4, 0, 0]);
        assert!(split_params(&b, &whole([1, 1, 0], [1, 3, 0])).is_empty());
    }

    #[test]
    fn collinearity_is_exact() {
        assert!(collinear(
            pt([0, 0, 0]),
            pt([1, 1, 1]),
            RatPoint::new([1, 1, 1], 3)
        ));
        assert!(!collinear(
            pt([0, 0, 0]),
            pt([1, 1, 1]),
            RatPoint::new([1, 1, 2], 3)
        ));
        assert!(collinear(pt([1, 2, 3]), pt([1, 2, 3]), pt([4, 5, 6])));
    }

    #[test]
    fn clipping_is_exact() {
        let l = whole([-12, 6, 6], [36, 6, 6]);
        let c = l.clip_to_box([0; 3], [24; 3]).expect("crosses the box");
        assert_eq!(c.start(), pt([0, 6, 6]));
        assert_eq!(c.end(), pt([24, 6, 6]));
        assert_eq!(c.translated([1, 0, 0]).start(), pt([24, 6, 6]));
        assert!(
            whole([30, 0, 0], [40, 0, 0])
                .clip_to_box([0; 3], [24; 3])
                .is_none()
        );
        // Touching at a point only: no piece.
        assert!(
            whole([24, 0, 0], [30, 5, 0])
                .clip_to_box([0; 3], [24; 3])
                .is_none()
        );
        // Parallel to a face outside the box.
        assert!(
            whole([0, 30, 0], [10, 30, 0])
                .clip_to_box([0; 3], [24; 3])
                .is_none()
        );
    }
}
