//! Sampling designs as the paper did.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::design_space::{
    AxisAngle, DENSITY_RANGE, Design, LATTICE_COUNT, LatticeChoice, STRETCH_RANGE, Topology,
};

/// The random generator of row `row` of a dataset with `seed`: one independent ChaCha8 stream
/// per row, so any shard of rows can be made alone and gives the same rows.
pub fn row_rng(seed: u64, row: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(row);
    rng
}

/// A rotation uniform on SO(3) (Shoemake's uniform unit quaternion), as axis–angle.
pub fn uniform_rotation(rng: &mut impl Rng) -> AxisAngle {
    let (u1, u2, u3): (f64, f64, f64) = (rng.random(), rng.random(), rng.random());
    let tau = std::f64::consts::TAU;
    let q = nalgebra::Quaternion::new(
        u1.sqrt() * (tau * u3).cos(),
        (1.0 - u1).sqrt() * (tau * u2).sin(),
        (1.0 - u1).sqrt() * (tau * u2).cos(),
        u1.sqrt() * (tau * u3).sin(),
    );
    let r = nalgebra::UnitQuaternion::from_quaternion(q)
        .to_rotation_matrix()
        .into_inner();
    AxisAngle::from_matrix(&r).normalized()
}

/// A design drawn as in Bastek et al. (2022): each lattice uniform over 0..=6, each
/// tessellation uniform over {1, 2}, stretches U, V uniform in [0.5, 2], R_I, R_II uniform on
/// SO(3), ρ uniform in [0.002, 0.1].
pub fn sample_design(rng: &mut impl Rng) -> Design {
    let choices: [LatticeChoice; 3] = std::array::from_fn(|_| LatticeChoice {
        lattice: rng.random_range(0..LATTICE_COUNT as u8),
        tessellation: rng.random_range(1..=2),
    });
    let stretch = |rng: &mut dyn rand::RngCore| -> [f64; 3] {
        std::array::from_fn(|_| rng.random_range(STRETCH_RANGE.0..=STRETCH_RANGE.1))
    };
    let u = stretch(rng);
    let r1 = uniform_rotation(rng);
    let v = stretch(rng);
    let r2 = uniform_rotation(rng);
    Design {
        topology: Topology::try_new(&choices).expect("valid by construction"),
        relative_density: rng.random_range(DENSITY_RANGE.0..=DENSITY_RANGE.1),
        u,
        r1,
        v,
        r2,
    }
}

/// As [`sample_design`] with R_I = R_II = identity: the stretches act along the cube axes, so
/// the cell of a mirror-symmetric topology is orthotropic and its stiffness has exact zero
/// couplings (C14 … C36 = 0) — targets on which a whole-tensor objective must not add any.
pub fn sample_orthotropic_design(rng: &mut impl Rng) -> Design {
    Design {
        r1: AxisAngle::IDENTITY,
        r2: AxisAngle::IDENTITY,
        ..sample_design(rng)
    }
}

/// `count` designs of the space that `accept` (e.g. printable within manufacturing limits),
/// every `orthotropic_every`-th one orthotropic ([`sample_orthotropic_design`]; 0: none), drawn
/// from the row streams of `seed` in order: targets with a known exact answer. Gives up after
/// 10,000 rows per design asked for (an `accept` that rejects nearly everything), returning
/// fewer.
pub fn sample_accepted_designs(
    seed: u64,
    count: usize,
    orthotropic_every: usize,
    accept: &dyn Fn(&Design) -> bool,
) -> Vec<Design> {
    let mut out = Vec::with_capacity(count);
    let mut row = 0u64;
    let limit = (count as u64).saturating_add(1).saturating_mul(10_000);
    while out.len() < count && row < limit {
        let mut rng = row_rng(seed, row);
        row += 1;
        let design = if orthotropic_every > 0 && out.len() % orthotropic_every == 0 {
            sample_orthotropic_design(&mut rng)
        } else {
            sample_design(&mut rng)
        };
        if accept(&design) {
            out.push(design);
        }
    }
    out
}
