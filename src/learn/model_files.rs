//! Model files and the public inference API ([`Models`]).

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use nalgebra::{Matrix3, Vector3};
use rand::SeedableRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::config::{ForwardConfig, InverseConfig};
use super::data::{DesignFeatures, design_batch};
use super::forward::ForwardModel;
use super::gumbel::{gumbel_noise, uniform};
use super::inverse::InverseModel;
use super::normalize::{NormalizerTensors, Normalizers};
use super::rotation::VoigtOps;
use super::{DeviceChoice, LearnError, ModelFileProblem};
use crate::design_space::{
    AxisAngle, DENSITY_RANGE, Design, LatticeChoice, STRETCH_RANGE, Topology,
};

/// F's weights.
pub const FORWARD_WEIGHTS: &str = "forward.bpk";
/// F's [`ForwardConfig`].
pub const FORWARD_CONFIG: &str = "forward.json";
/// G's weights.
pub const INVERSE_WEIGHTS: &str = "inverse.bpk";
/// G's [`InverseConfig`].
pub const INVERSE_CONFIG: &str = "inverse.json";
/// The [`Normalizers`].
pub const NORMALIZERS: &str = "normalizers.json";

/// Rows per inference batch.
const CHUNK: usize = 4096;

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), LearnError> {
    let text = serde_json::to_string_pretty(value).expect("serializable");
    use std::io::Write;
    crate::fsutil::atomic_write_with(path, |w| w.write_all(text.as_bytes())).map_err(|source| {
        LearnError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, LearnError> {
    let err = |problem: ModelFileProblem| LearnError::ModelFile {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.into()))?;
    serde_json::from_str(&text).map_err(|e| err(e.into()))
}

pub(crate) fn save_module<M: Module>(module: M, path: &Path) -> Result<(), LearnError> {
    let tmp = path.with_extension("bpk.tmp");
    module
        .save_file(&tmp)
        .map_err(|source| LearnError::SaveRecord {
            path: path.to_path_buf(),
            source,
        })?;
    std::fs::rename(&tmp, path).map_err(|source| LearnError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn load_module<M: Module>(module: M, path: &Path) -> Result<M, LearnError> {
    module
        .try_load_file(path)
        .map_err(|e| LearnError::ModelFile {
            path: path.to_path_buf(),
            problem: e.into(),
        })
}

/// Trained networks ready for inference: F (always) and G (when `inverse.bpk` exists), their
/// configurations and normalizers, on one device.
#[derive(Debug)]
pub struct Models {
    pub(super) device: Device,
    pub(super) forward: ForwardModel,
    inverse: Option<(InverseModel, InverseConfig)>,
    forward_config: ForwardConfig,
    pub(super) normalizers: Normalizers,
    tensors: NormalizerTensors,
    ops: VoigtOps,
    dir: PathBuf,
}

impl Models {
    /// Loads the models in `dir` (`models/` by default) onto `device`.
    ///
    /// # Errors
    /// [`LearnError::ModelFile`] when `forward.bpk`, `forward.json` or `normalizers.json` is
    /// missing or unreadable (or `inverse.bpk` exists without a readable `inverse.json`);
    /// [`LearnError::BackendNotBuilt`] for a device not compiled in.
    pub fn load(dir: &Path, device: DeviceChoice) -> Result<Self, LearnError> {
        let device = device.device()?;
        let forward_config: ForwardConfig = read_json(&dir.join(FORWARD_CONFIG))?;
        let normalizers: Normalizers = read_json(&dir.join(NORMALIZERS))?;
        let forward = load_module(
            ForwardModel::new(&forward_config, &device),
            &dir.join(FORWARD_WEIGHTS),
        )?;
        let inverse = if dir.join(INVERSE_WEIGHTS).exists() {
            let config: InverseConfig = read_json(&dir.join(INVERSE_CONFIG))?;
            let g = load_module(
                InverseModel::new(&config, &device),
                &dir.join(INVERSE_WEIGHTS),
            )?;
            Some((g, config))
        } else {
            None
        };
        Ok(Self::from_parts(
            device,
            forward,
            inverse,
            forward_config,
            normalizers,
            dir,
        ))
    }

    /// The folder the models were loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn from_parts(
        device: Device,
        forward: ForwardModel,
        inverse: Option<(InverseModel, InverseConfig)>,
        forward_config: ForwardConfig,
        normalizers: Normalizers,
        dir: &Path,
    ) -> Models {
        Models {
            tensors: normalizers.tensors(&device),
            ops: VoigtOps::new(&device),
            device,
            forward,
            inverse,
            forward_config,
            normalizers,
            dir: dir.to_path_buf(),
        }
    }

    /// The forward network sizes.
    pub fn forward_config(&self) -> &ForwardConfig {
        &self.forward_config
    }

    /// The inverse network sizes, when G is loaded.
    pub fn inverse_config(&self) -> Option<&InverseConfig> {
        self.inverse.as_ref().map(|(_, c)| c)
    }

    /// The fitted normalizers.
    pub fn normalizers(&self) -> &Normalizers {
        &self.normalizers
    }

    /// Surrogate stiffness C (21 constants, normalized by E) of each design.
    ///
    /// # Errors
    /// [`LearnError::Design`] when a design's rotation axis is zero or not finite.
    pub fn predict(&self, designs: &[Design]) -> Result<Vec<[f64; 21]>, LearnError> {
        let features: Vec<DesignFeatures> = designs
            .iter()
            .map(DesignFeatures::of)
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(designs.len());
        for chunk in features.chunks(CHUNK) {
            let refs: Vec<&DesignFeatures> = chunk.iter().collect();
            let batch = design_batch(&refs, &self.normalizers, &self.device);
            let c = self
                .forward
                .chain(&self.tensors, &self.ops, batch)
                .c_physical;
            out.extend(to_rows::<21>(c));
        }
        Ok(out)
    }

    /// Designs proposed by G for each target (21 constants, normalized by E):
    /// `samples_per_target` draws of the topology, seeded by `seed`, each followed by G2's
    /// geometry for the drawn topology. Every design is in the design-space ranges with unit
    /// rotation axes.
    ///
    /// The topology groups are drawn by the Gumbel-max trick from `softmax(logits / τ)`,
    /// τ = `temperature`: τ = 1 samples G1's own distribution, τ > 1 flattens it (more distinct
    /// topologies per target), τ → 0 sharpens it, and `temperature <= 0` gives every draw the
    /// most likely topology. (The straight-through sample's forward value is
    /// `argmax(logits + g)` whatever τ is, so the noise is scaled by τ here: `argmax(logits +
    /// τ·g)` = `argmax(logits/τ + g)`.)
    ///
    /// All targets go through G in batches of 4096 rows; for many targets pass them in one
    /// call.
    ///
    /// # Errors
    /// [`LearnError::ModelFile`] when no inverse model was loaded;
    /// [`LearnError::BadTarget`] for a non-finite target.
    pub fn propose(
        &self,
        targets: &[[f64; 21]],
        samples_per_target: usize,
        temperature: f64,
        seed: u64,
    ) -> Result<Vec<Vec<Design>>, LearnError> {
        let (g, _) = self.inverse.as_ref().ok_or_else(|| LearnError::ModelFile {
            path: self.dir.join(INVERSE_WEIGHTS),
            problem: ModelFileProblem::NoInverseModel,
        })?;
        if let Some(index) = targets
            .iter()
            .position(|t| t.iter().any(|v| !v.is_finite()))
        {
            return Err(LearnError::BadTarget { index });
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let rows: Vec<[f64; 21]> = targets
            .iter()
            .flat_map(|t| std::iter::repeat_n(*t, samples_per_target))
            .collect();
        let mut designs = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(CHUNK) {
            let idx: Vec<usize> = (0..chunk.len()).collect();
            let c = super::data::gather(chunk, &idx, Some(&self.normalizers.c), &self.device);
            let noise = (temperature > 0.0).then(|| {
                gumbel_noise(uniform(chunk.len(), 27, &mut rng, &self.device))
                    .mul_scalar(temperature)
            });
            let p = g.propose(c, noise, temperature.max(1e-3));
            designs.extend(proposal_designs(p.topology, p.rho_u, p.v, p.r1, p.r2));
        }
        if samples_per_target == 0 {
            return Ok(vec![Vec::new(); targets.len()]);
        }
        Ok(designs
            .chunks(samples_per_target)
            .map(|c| c.to_vec())
            .collect())
    }
}

impl Models {
    /// G2's design for `target` (21 constants, normalized by E) with each of the given
    /// topologies imposed instead of G1's choice: a sweep over topologies that G1 would rarely
    /// sample (e.g. the simple ones that stay printable at small cell sizes).
    ///
    /// # Errors
    /// As [`Self::propose`].
    pub fn propose_for_topologies(
        &self,
        target: &[f64; 21],
        topologies: &[Topology],
    ) -> Result<Vec<Design>, LearnError> {
        let (g, _) = self.inverse.as_ref().ok_or_else(|| LearnError::ModelFile {
            path: self.dir.join(INVERSE_WEIGHTS),
            problem: ModelFileProblem::NoInverseModel,
        })?;
        if target.iter().any(|v| !v.is_finite()) {
            return Err(LearnError::BadTarget { index: 0 });
        }
        let mut designs = Vec::with_capacity(topologies.len());
        for chunk in topologies.chunks(CHUNK) {
            let n = chunk.len();
            let rows: Vec<[f64; 21]> = vec![*target; n];
            let idx: Vec<usize> = (0..n).collect();
            let c = super::data::gather(&rows, &idx, Some(&self.normalizers.c), &self.device);
            let onehots: Vec<f32> = chunk.iter().flat_map(topology_one_hot).collect();
            let topology = Tensor::<2>::from_data(
                burn::tensor::TensorData::new(onehots, [n, 27]),
                &self.device,
            );
            let p = g.geometry(topology.clone(), topology, c);
            designs.extend(proposal_designs(p.topology, p.rho_u, p.v, p.r1, p.r2));
        }
        Ok(designs)
    }
}

/// The 27-wide one-hot layout (3×7 lattices, 3×2 tessellations) of a topology.
fn topology_one_hot(t: &Topology) -> [f32; 27] {
    let mut v = [0f32; 27];
    for (s, c) in t.choices().iter().enumerate() {
        v[s * 7 + c.lattice as usize] = 1.0;
        v[21 + s * 2 + (c.tessellation as usize - 1)] = 1.0;
    }
    v
}

pub(crate) fn to_rows<const N: usize>(t: Tensor<2>) -> Vec<[f64; N]> {
    let [b, n] = t.dims();
    assert_eq!(n, N, "tensor width");
    let v: Vec<f32> = t.into_data().try_into_vec().expect("f32 tensor");
    (0..b)
        .map(|i| std::array::from_fn(|k| v[i * N + k] as f64))
        .collect()
}

/// A proper rotation from a nearly orthonormal f32 matrix: Gram–Schmidt of its first two
/// columns in f64.
fn orthonormalize(m: &[f64]) -> Matrix3<f64> {
    let col = |c: usize| Vector3::new(m[c], m[3 + c], m[6 + c]);
    let b1 = col(0).normalize();
    let a2 = col(1);
    let b2 = (a2 - b1 * b1.dot(&a2)).normalize();
    let b3 = b1.cross(&b2);
    Matrix3::from_columns(&[b1, b2, b3])
}

/// Converts proposal tensors to designs (clamped into range against f32 rounding).
pub(crate) fn proposal_designs(
    topology: Tensor<2>,
    rho_u: Tensor<2>,
    v: Tensor<2>,
    r1: Tensor<3>,
    r2: Tensor<3>,
) -> Vec<Design> {
    let [b, _, _] = r1.dims();
    let topo = to_rows::<27>(topology);
    let rho_u = to_rows::<4>(rho_u);
    let v = to_rows::<3>(v);
    let r1 = to_rows::<9>(r1.reshape([b, 9]));
    let r2 = to_rows::<9>(r2.reshape([b, 9]));
    let argmax = |s: &[f64]| {
        (0..s.len())
            .max_by(|&a, &c| s[a].total_cmp(&s[c]))
            .unwrap_or(0)
    };
    let clamp = |x: f64, (lo, hi): (f64, f64)| x.clamp(lo, hi);
    (0..b)
        .map(|i| {
            let t = &topo[i];
            let choices: Vec<LatticeChoice> = (0..3)
                .map(|s| LatticeChoice {
                    lattice: argmax(&t[s * 7..s * 7 + 7]) as u8,
                    tessellation: argmax(&t[21 + s * 2..23 + s * 2]) as u8 + 1,
                })
                .collect();
            Design {
                topology: Topology::try_new(&choices).expect("indices in range by construction"),
                relative_density: clamp(rho_u[i][0], DENSITY_RANGE),
                u: std::array::from_fn(|k| clamp(rho_u[i][1 + k], STRETCH_RANGE)),
                r1: AxisAngle::from_matrix(&orthonormalize(&r1[i])).normalized(),
                v: std::array::from_fn(|k| clamp(v[i][k], STRETCH_RANGE)),
                r2: AxisAngle::from_matrix(&orthonormalize(&r2[i])).normalized(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::config::MlpConfig;
    use crate::learn::normalize::MinMax;
    use rand::Rng;

    fn unit_normalizers() -> Normalizers {
        let mm = |n: usize, lo: f64, hi: f64| MinMax::from_bounds(vec![lo; n], vec![hi; n]);
        Normalizers {
            rho_u: MinMax::from_bounds(vec![0.002, 0.5, 0.5, 0.5], vec![0.1, 2.0, 2.0, 2.0]),
            v: mm(3, 0.5, 2.0),
            c_ort: mm(9, -0.01, 0.05),
            c_rot: mm(21, -0.01, 0.05),
            c_hat: mm(21, -0.01, 0.05),
            c: mm(21, -0.01, 0.05),
        }
    }

    fn random_designs(n: usize, seed: u64) -> Vec<Design> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| crate::dataset::sample_design(&mut rng))
            .collect()
    }

    #[test]
    fn save_load_round_trip_gives_identical_outputs() {
        let dir = std::env::temp_dir().join(format!("trussforge-learn-rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let device = Device::flex();
        let small = MlpConfig {
            width: 16,
            depth: 2,
            ..MlpConfig::default()
        };
        let fc = ForwardConfig {
            f1: small,
            f2: small,
            ..ForwardConfig::default()
        };
        let ic = InverseConfig {
            g1: small,
            g2: small,
            ..InverseConfig::default()
        };
        device.seed(7);
        let f = ForwardModel::new(&fc, &device);
        let g = InverseModel::new(&ic, &device);
        let norms = unit_normalizers();
        save_module(f.clone(), &dir.join(FORWARD_WEIGHTS)).unwrap();
        save_module(g.clone(), &dir.join(INVERSE_WEIGHTS)).unwrap();
        write_json(&dir.join(FORWARD_CONFIG), &fc).unwrap();
        write_json(&dir.join(INVERSE_CONFIG), &ic).unwrap();
        write_json(&dir.join(NORMALIZERS), &norms).unwrap();
        let original = Models::from_parts(device, f, Some((g, ic)), fc, norms, &dir);
        let loaded = Models::load(&dir, DeviceChoice::Cpu).unwrap();
        let designs = random_designs(20, 1);
        assert_eq!(
            original.predict(&designs).unwrap(),
            loaded.predict(&designs).unwrap()
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let targets: Vec<[f64; 21]> = (0..3)
            .map(|_| std::array::from_fn(|_| rng.random_range(0.0..0.01)))
            .collect();
        let a = original.propose(&targets, 4, 0.7, 11).unwrap();
        let b = loaded.propose(&targets, 4, 0.7, 11).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
        for d in a.iter().flatten() {
            assert_eq!(a[0].len(), 4);
            d.validate(crate::design_space::RangePolicy::Strict)
                .unwrap();
            for r in [d.r1, d.r2] {
                let n: f64 = r.axis.iter().map(|v| v * v).sum();
                assert!((n - 1.0).abs() < 1e-9, "axis not unit: {:?}", r.axis);
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn models_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Models>();
    }

    #[test]
    fn missing_device_backend_is_a_clear_error() {
        #[cfg(not(feature = "cuda"))]
        {
            let e = Models::load(Path::new("models"), DeviceChoice::Cuda).unwrap_err();
            assert!(e.to_string().contains("--features cuda"), "{e}");
        }
        #[cfg(not(feature = "wgpu"))]
        {
            let e = Models::load(Path::new("models"), DeviceChoice::Wgpu).unwrap_err();
            assert!(
                matches!(
                    e,
                    LearnError::BackendNotBuilt {
                        feature: "wgpu",
                        ..
                    }
                ),
                "{e}"
            );
            assert!(e.to_string().contains("--features wgpu"), "{e}");
        }
    }

    #[test]
    fn temperature_controls_topology_diversity() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let models = Models::load(&dir, DeviceChoice::Cpu).unwrap();
        let targets = models.predict(&random_designs(6, 8)).unwrap();
        let distinct = |tau: f64| -> usize {
            let p = models.propose(&targets, 300, tau, 4).unwrap();
            p.iter()
                .map(|d| {
                    d.iter()
                        .map(|d| d.topology)
                        .collect::<std::collections::HashSet<_>>()
                        .len()
                })
                .sum()
        };
        let (cold, argmax, warm, hot) =
            (distinct(0.05), distinct(0.0), distinct(1.0), distinct(4.0));
        assert_eq!(
            argmax,
            targets.len(),
            "τ <= 0 gives one topology per target"
        );
        assert!(cold <= warm && warm < hot, "{cold} {warm} {hot}");
    }

    #[test]
    fn shipped_models_load_and_predict() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let models = Models::load(&dir, DeviceChoice::Cpu).unwrap();
        let designs = random_designs(8, 3);
        let c = models.predict(&designs).unwrap();
        for (d, c) in designs.iter().zip(&c) {
            assert!(c.iter().all(|v| v.is_finite()));
            // Diagonal constants positive and below the solid's stiffness.
            for k in [0, 6, 11, 15, 18, 20] {
                assert!(c[k] > -1e-3 && c[k] < 0.2, "{d:?}: C[{k}] = {}", c[k]);
            }
        }
    }
}
