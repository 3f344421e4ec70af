//! Exact rational points and segment splitting in scaffold index space.
//!
//! Coordinates are in grid units: [`GRID`] units per scaffold cell edge, the same grid as
//! `design_space` (elementary-lattice coordinates are multiples of 1/24 of the cell edge).
//! Points are rationals `num / den` in lowest terms with `den > 0`, stored in `i128`, so equal
//! points have equal representations and can key maps; crossings are computed on the parent
//! lines of the pieces (small denominators) to keep the numbers small.

use std::cmp::Ordering;

/// Grid units per cell edge (as in `design_space`).
pub(crate) const GRID: i128 = 24;

pub(crate) fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A rational point in grid units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct XPoint {
    num: [i128; 3],
    den: i128,
}

impl XPoint {
    pub fn new(num: [i128; 3], den: i128) -> Self {
        assert!(den != 0, "zero denominator");
        let g = gcd(gcd(gcd(num[0], num[1]), num[2]), den);
        let s = if den < 0 { -g } else { g };
        Self {
            num: num.map(|v| v / s),
            den: den / s,
        }
    }

    #[cfg(test)]
    pub fn from_int(p: [i128; 3]) -> Self {
        Self { num: p, den: 1 }
    }

    /// Shifted by whole cells.
    pub fn translated(self, cells: [i64; 3]) -> Self {
        Self {
            num: std::array::from_fn(|i| self.num[i] + cells[i] as i128 * GRID * self.den),
            den: self.den,
        }
    }

    /// `floor(coordinate / GRID)` per axis.
    pub fn cell_index(self) -> [i64; 3] {
        self.num
            .map(|v| i64::try_from(v.div_euclid(GRID * self.den)).expect("cell index fits"))
    }

    /// The image in the half-open cell `[0, GRID)³` and the cell it came from.
    pub fn wrapped(self) -> (Self, [i64; 3]) {
        let c = self.cell_index();
        (self.translated(c.map(|v| -v)), c)
    }

    /// Coordinates relative to cell `cell`, in cell edges (exact up to one rounding).
    pub fn local_units(self, cell: [i64; 3]) -> [f64; 3] {
        std::array::from_fn(|i| {
            let n = self.num[i] - cell[i] as i128 * GRID * self.den;
            n as f64 / (GRID * self.den) as f64
        })
    }

    /// Whether coordinate `axis` equals `GRID · k` (lies on the cell-boundary plane `k`).
    pub fn on_plane(self, axis: usize) -> Option<i64> {
        let m = GRID * self.den;
        (self.num[axis].rem_euclid(m) == 0).then(|| (self.num[axis] / m) as i64)
    }

    /// `self + t (other − self)`.
    pub fn lerp(self, other: Self, t: Param) -> Self {
        let (a, da, b, db) = (self.num, self.den, other.num, other.den);
        let num: [i128; 3] =
            std::array::from_fn(|i| a[i] * db * t.d + t.n * (b[i] * da - a[i] * db));
        Self::new(num, da * db * t.d)
    }

    /// Applies the signed permutation `x ↦ Qᵀ (x − c) + c` about the cell centre `c`
    /// (`q[r][c]` ∈ {−1, 0, 1}).
    pub fn rotated_t(self, q: &[[i8; 3]; 3]) -> Self {
        let c = GRID / 2 * self.den;
        let g = self.num.map(|v| v - c);
        let num: [i128; 3] =
            std::array::from_fn(|r| (0..3).map(|k| q[k][r] as i128 * g[k]).sum::<i128>() + c);
        Self::new(num, self.den)
    }

    pub fn to_f64(self) -> [f64; 3] {
        self.num.map(|v| v as f64 / self.den as f64)
    }
}

impl Ord for XPoint {
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

impl PartialOrd for XPoint {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A rational `n / d` in lowest terms, `d > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Param {
    pub n: i128,
    pub d: i128,
}

impl Param {
    pub const ZERO: Param = Param { n: 0, d: 1 };
    pub const ONE: Param = Param { n: 1, d: 1 };

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
pub(crate) struct Line {
    pub p: XPoint,
    pub q: XPoint,
    pub ta: Param,
    pub tb: Param,
}

impl Line {
    pub fn whole(p: XPoint, q: XPoint) -> Self {
        Self {
            p,
            q,
            ta: Param::ZERO,
            tb: Param::ONE,
        }
    }

    pub fn start(&self) -> XPoint {
        self.p.lerp(self.q, self.ta)
    }

    pub fn end(&self) -> XPoint {
        self.p.lerp(self.q, self.tb)
    }

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
    pub fn clip_to_box(&self, lo: [i128; 3], hi: [i128; 3]) -> Option<Line> {
        let (a, da, b, db) = (self.p.num, self.p.den, self.q.num, self.q.den);
        let (mut t0, mut t1) = (self.ta, self.tb);
        for i in 0..3 {
            // coordinate(t) = (a da' + t (b da − a db)) / (da db), with a/da, b/db.
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
fn common<const N: usize>(pts: [XPoint; N]) -> [[i128; 3]; N] {
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

/// Whether the three points are collinear.
pub(crate) fn collinear(a: XPoint, b: XPoint, c: XPoint) -> bool {
    let [a, b, c] = common([a, b, c]);
    cross(sub(b, a), sub(c, a)) == [0, 0, 0]
}

/// Parent parameters `t` strictly inside piece `k` at which it must be split because of piece
/// `m`: a proper crossing, an end of `m` lying on `k`, or the ends of a collinear overlap.
pub(crate) fn split_params(k: &Line, m: &Line) -> Vec<Param> {
    let [pk, qk, pm, qm] = common([k.p, k.q, m.p, m.q]);
    let d1 = sub(qk, pk);
    let d2 = sub(qm, pm);
    let e = sub(pm, pk);
    let c = cross(d1, d2);
    let inside = |t: Param| t > k.ta && t < k.tb;
    let mut out = Vec::new();
    if c == [0, 0, 0] {
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
        return out;
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
pub(crate) fn point_param(k: &Line, x: XPoint) -> Option<Param> {
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

    fn pt(a: [i128; 3]) -> XPoint {
        XPoint::from_int(a)
    }

    #[test]
    fn crossing_t_junction_and_overlap() {
        let k = Line::whole(pt([0, 0, 0]), pt([4, 4, 0]));
        let m = Line::whole(pt([0, 4, 0]), pt([4, 0, 0]));
        assert_eq!(split_params(&k, &m), vec![Param::new(1, 2)]);
        // Restricting m to a piece that misses the crossing removes it.
        let m2 = m.sub(Param::new(3, 4), Param::ONE);
        assert!(split_params(&k, &m2).is_empty());
        // Collinear overlap splits at the other piece's ends.
        let a = Line::whole(pt([0, 0, 0]), pt([6, 0, 0]));
        let b = Line::whole(pt([2, 0, 0]), pt([8, 0, 0]));
        assert_eq!(split_params(&a, &b), vec![Param::new(1, 3)]);
        // Skew lines do not split.
        let s = Line::whole(pt([0, 1, 1]), pt([2, 1, -1]));
        assert!(split_params(&a, &s).is_empty());
        assert_eq!(point_param(&a, pt([3, 0, 0])), Some(Param::new(1, 2)));
        assert_eq!(point_param(&a, pt([6, 0, 0])), None);
    }

    #[test]
    fn clipping_is_exact() {
        let l = Line::whole(pt([-12, 6, 6]), pt([36, 6, 6]));
        let c = l.clip_to_box([0; 3], [24; 3]).unwrap();
        assert_eq!(c.start(), pt([0, 6, 6]));
        assert_eq!(c.end(), pt([24, 6, 6]));
        assert!(
            Line::whole(pt([30, 0, 0]), pt([40, 0, 0]))
                .clip_to_box([0; 3], [24; 3])
                .is_none()
        );
        // Touching at a point only: no piece.
        assert!(
            Line::whole(pt([24, 0, 0]), pt([30, 5, 0]))
                .clip_to_box([0; 3], [24; 3])
                .is_none()
        );
        let r = XPoint::new([1, 2, 3], 2).lerp(XPoint::new([3, 2, 1], 2), Param::new(1, 2));
        assert_eq!(r, XPoint::new([1, 1, 1], 1));
        assert_eq!(XPoint::new([-1, 25, 48], 1).wrapped().1, [-1, 1, 2]);
    }
}
