//! Training: F1, then F2 (MSE on normalized stiffness), then G1 + G2 jointly through the frozen
//! F (MSE between the normalized target and the stiffness F predicts for G's proposal).
//!
//! Every stage shuffles with a seed fixed by `(seed, stage, epoch)`, writes a checkpoint (model,
//! Adam state, log) after every epoch under `<out>/checkpoints/<stage>/`, keeps the weights of
//! the best validation epoch, stops early after `patience` epochs without improvement, and with
//! `resume` continues an interrupted run from its last checkpoint (a finished stage is skipped).

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::config::{ForwardConfig, InverseConfig, TrainConfig};
use super::data::{Table, design_batch, r_squared};
use super::forward::{F1_INPUT, ForwardModel, Mlp, topology_histogram};
use super::gumbel::{gumbel_noise, uniform};
use super::inverse::InverseModel;
use super::model_files::{
    FORWARD_CONFIG, FORWARD_WEIGHTS, INVERSE_CONFIG, INVERSE_WEIGHTS, Models, NORMALIZERS,
    load_module, read_json, save_module, to_rows, write_json,
};
use super::normalize::Normalizers;
use super::rotation::VoigtOps;
use super::{DeviceChoice, LearnError};

/// What training reports while it runs.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    /// A stage starts (or resumes) at `first_epoch` of `epochs`, `batches` per epoch.
    Stage {
        /// `f1`, `f2` or `inverse`.
        name: &'a str,
        /// 0-based epoch it starts at.
        first_epoch: usize,
        /// Maximum epochs.
        epochs: usize,
        /// Mini-batches per epoch.
        batches: usize,
    },
    /// `done` batches of the current epoch are finished.
    Batch {
        /// Batches done in this epoch.
        done: usize,
    },
    /// An epoch finished.
    Epoch(&'a EpochLog),
    /// A free-form note (resume, early stop, evaluation).
    Note(&'a str),
}

/// One epoch of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// Stage name.
    pub stage: String,
    /// 0-based epoch.
    pub epoch: usize,
    /// Mean training loss (MSE on normalized values).
    pub train_loss: f64,
    /// Validation loss (same measure).
    pub validation_loss: f64,
    /// Learning rate used.
    pub lr: f64,
    /// Wall time of the epoch (s).
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_second: f64,
}

/// Checkpoint state of a stage (`state.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StageState {
    epochs_done: usize,
    best_validation: Option<f64>,
    best_epoch: usize,
    finished: bool,
    early_stopped: bool,
    log: Vec<EpochLog>,
}

/// Summary of a finished stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    /// Stage name.
    pub stage: String,
    /// Epochs run (over all resumed runs).
    pub epochs: usize,
    /// Best validation loss.
    pub best_validation: f64,
    /// Epoch of the best validation loss (its weights are kept).
    pub best_epoch: usize,
    /// Training wall time over all epochs (s).
    pub seconds: f64,
    /// Mean training throughput (samples/s).
    pub samples_per_second: f64,
    /// Whether the stage stopped early.
    pub early_stopped: bool,
}

/// Held-out test figures of the forward model (`forward_report.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForwardReport {
    /// Rows in the train / validation / test splits.
    pub rows: [usize; 3],
    /// The stages.
    pub stages: Vec<StageReport>,
    /// R² per component of C (21) predicted by the whole chain vs FE, on the test split.
    pub r2_c: Vec<f64>,
    /// R² of F1's 9 orthotropic constants vs FE, test split.
    pub r2_c_ort: Vec<f64>,
    /// R² of F2's Ĉ vs FE when fed F1's prediction, test split.
    pub r2_c_hat: Vec<f64>,
    /// Median relative Frobenius error ‖ΔC‖/‖C‖ of the chain on the test split (Voigt form).
    pub median_relative_error: f64,
}

/// Held-out test figures of the inverse model (`inverse_report.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InverseReport {
    /// Rows in the train / validation / test splits.
    pub rows: [usize; 3],
    /// The stage.
    pub stage: StageReport,
    /// R² per component: F's stiffness of G's most likely proposal vs the target (test split).
    pub r2_surrogate: Vec<f64>,
    /// R² per component: F's stiffness of the best of `best_of` Gumbel samples vs the target.
    pub r2_surrogate_best_of: Vec<f64>,
    /// Samples per target for `r2_surrogate_best_of` (temperature 1).
    pub best_of: usize,
    /// R² per component: FE stiffness of the most likely proposal vs the target, on the first
    /// `fe_rows` test targets.
    pub r2_fe: Vec<f64>,
    /// R² per component: FE stiffness of the best-of-`best_of` proposal vs the target.
    pub r2_fe_best_of: Vec<f64>,
    /// R² per component: F's stiffness of the most likely proposal after polishing through F
    /// ([`super::polish`], default settings) vs the target, on the first `polish_rows` test
    /// targets.
    pub r2_surrogate_polished: Vec<f64>,
    /// R² per component: FE stiffness of the polished proposal vs the target, on the first
    /// `fe_rows` test targets.
    pub r2_fe_polished: Vec<f64>,
    /// Test targets whose proposal was polished.
    pub polish_rows: usize,
    /// Test targets verified by FE.
    pub fe_rows: usize,
    /// FE failures among them (not counted).
    pub fe_failures: usize,
}

/// Test targets whose proposals the inverse evaluation polishes through F (a subset: polishing
/// costs 300 forward/backward passes per design).
const POLISH_ROWS: usize = 2000;

fn io(path: &Path) -> impl Fn(std::io::Error) -> LearnError + '_ {
    move |source| LearnError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn stage_seed(seed: u64, stage: &str, epoch: usize) -> u64 {
    let mut h = seed ^ 0x5851_F42D_4C95_7F2D;
    for b in stage.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01B3);
    }
    h ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// One stage's data-independent settings.
struct StageSpec<'a> {
    name: &'a str,
    out: &'a Path,
    config: &'a TrainConfig,
    resume: bool,
    train_rows: usize,
}

/// Autodiff loss of a mini-batch: `(model, rows, epoch, rng)`.
type BatchLoss<'a, M> = &'a dyn Fn(&M, &[usize], usize, &mut rand_chacha::ChaCha8Rng) -> Tensor<1>;

/// A table and its train, validation and test row indices.
type Splits = (Table, Vec<usize>, Vec<usize>, Vec<usize>);

/// The files of a stage's checkpoint and its epoch log.
struct StagePaths {
    state: PathBuf,
    model: PathBuf,
    optim: PathBuf,
    best: PathBuf,
    log: PathBuf,
}

impl StagePaths {
    /// Creates the stage's checkpoint folder `out/checkpoints/<name>` and names its files.
    fn create(out: &Path, name: &str) -> Result<StagePaths, LearnError> {
        let dir = out.join("checkpoints").join(name);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(StagePaths {
            state: dir.join("state.json"),
            model: dir.join("model.bpk"),
            optim: dir.join("optimizer.bpk"),
            best: dir.join("best.bpk"),
            log: out.join(format!("{name}_log.csv")),
        })
    }
}

/// Where a stage starts: trained before and finished (its best model), or at an epoch.
enum StageStart<M> {
    Finished(M, StageReport),
    At(M, StageState),
}

/// The stage's checkpoint when resuming (`model` and `optim` restored from it), else a fresh
/// state.
fn stage_start<M: Module + Clone + std::fmt::Debug>(
    spec: &StageSpec<'_>,
    paths: &StagePaths,
    model: M,
    optim: &mut ModuleOptimizer,
    progress: &dyn Fn(Progress<'_>),
) -> Result<StageStart<M>, LearnError> {
    if !(spec.resume && paths.state.exists()) {
        return Ok(StageStart::At(model, StageState::default()));
    }
    let cfg = spec.config;
    let mut state: StageState = read_json(&paths.state)?;
    // A stage that ran out of epochs continues when asked for more; an early stop is final.
    if state.finished && !state.early_stopped && state.epochs_done < cfg.epochs {
        state.finished = false;
    }
    if state.finished {
        progress(Progress::Note(&format!(
            "{}: finished earlier; loading its best epoch",
            spec.name
        )));
        let best = load_module(model, &paths.best)?;
        return Ok(StageStart::Finished(best, report(spec.name, &state)));
    }
    if state.epochs_done == 0 {
        return Ok(StageStart::At(model, state));
    }
    let model = load_module(model, &paths.model)?;
    match AdamConfig::new().init().load(&paths.optim) {
        Ok(o) => *optim = o,
        Err(e) => progress(Progress::Note(&format!(
            "{}: optimizer state not restored ({e}); continuing with a fresh one",
            spec.name
        ))),
    }
    progress(Progress::Note(&format!(
        "{}: resuming after epoch {}",
        spec.name, state.epochs_done
    )));
    Ok(StageStart::At(model, state))
}

/// One epoch of mini-batch steps over the shuffled training rows; returns the model and the
/// summed loss (mean batch loss × batch rows).
fn train_epoch<M: Module + Clone + std::fmt::Debug>(
    spec: &StageSpec<'_>,
    mut model: M,
    optim: &mut ModuleOptimizer,
    loss: BatchLoss<'_, M>,
    epoch: usize,
    progress: &dyn Fn(Progress<'_>),
) -> (M, f64) {
    let cfg = spec.config;
    let lr = cfg.learning_rate(epoch);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(stage_seed(cfg.seed, spec.name, epoch));
    let mut order: Vec<usize> = (0..spec.train_rows).collect();
    order.shuffle(&mut rng);
    let mut total = 0.0;
    for (b, rows) in order.chunks(cfg.batch.max(1)).enumerate() {
        let l = loss(&model, rows, epoch, &mut rng);
        total += l.clone().into_scalar::<f32>() as f64 * rows.len() as f64;
        let grads = GradientsParams::from_grads(l.backward(), &model);
        model = optim.step(lr, model, grads);
        if b % 16 == 15 {
            progress(Progress::Batch { done: b + 1 });
        }
    }
    (model, total)
}

/// Records an epoch's log entry in `state`, keeps the best model and decides whether the
/// stage is finished (last epoch or early stop).
fn record_epoch<M: Module + Clone>(
    spec: &StageSpec<'_>,
    paths: &StagePaths,
    state: &mut StageState,
    entry: EpochLog,
    model: &M,
    progress: &dyn Fn(Progress<'_>),
) -> Result<(), LearnError> {
    let cfg = spec.config;
    let (epoch, validation_loss) = (entry.epoch, entry.validation_loss);
    progress(Progress::Epoch(&entry));
    state.log.push(entry);
    state.epochs_done = epoch + 1;
    let improved = state
        .best_validation
        .is_none_or(|b| validation_loss < b && validation_loss.is_finite());
    if improved {
        state.best_validation = Some(validation_loss);
        state.best_epoch = epoch;
        save_module(model.clone(), &paths.best)?;
    }
    if epoch + 1 - state.best_epoch > cfg.patience && !improved {
        progress(Progress::Note(&format!(
            "{}: early stop, no better validation loss for {} epochs",
            spec.name, cfg.patience
        )));
        state.finished = true;
        state.early_stopped = true;
    }
    if epoch + 1 == cfg.epochs {
        state.finished = true;
    }
    Ok(())
}

/// Writes the checkpoint after an epoch: model, optimizer state, epoch log and stage state.
fn save_checkpoint<M: Module + Clone + std::fmt::Debug>(
    paths: &StagePaths,
    state: &StageState,
    model: &M,
    optim: &ModuleOptimizer,
) -> Result<(), LearnError> {
    save_module(model.clone(), &paths.model)?;
    optim
        .save(&paths.optim)
        .map_err(|source| LearnError::SaveRecord {
            path: paths.optim.clone(),
            source,
        })?;
    write_log(&paths.log, &state.log)?;
    write_json(&paths.state, state)
}

/// Runs a stage: `loss(model, batch_rows, epoch, rng)` gives the autodiff training loss of a
/// mini-batch; `validate(model)` the validation loss (called on `model.valid()`).
fn run_stage<M: Module + Clone + std::fmt::Debug>(
    spec: StageSpec<'_>,
    model: M,
    loss: BatchLoss<'_, M>,
    validate: &dyn Fn(&M) -> f64,
    progress: &dyn Fn(Progress<'_>),
) -> Result<(M, StageReport), LearnError> {
    let cfg = spec.config;
    let paths = StagePaths::create(spec.out, spec.name)?;
    let mut optim = AdamConfig::new().init();
    let (mut model, mut state) = match stage_start(&spec, &paths, model, &mut optim, progress)? {
        StageStart::Finished(best, report) => return Ok((best, report)),
        StageStart::At(model, state) => (model, state),
    };
    progress(Progress::Stage {
        name: spec.name,
        first_epoch: state.epochs_done,
        epochs: cfg.epochs,
        batches: spec.train_rows.div_ceil(cfg.batch.max(1)),
    });
    for epoch in state.epochs_done..cfg.epochs {
        let start = Instant::now();
        let (trained, total) = train_epoch(&spec, model, &mut optim, loss, epoch, progress);
        model = trained;
        let validation_loss = validate(&model.valid());
        let seconds = start.elapsed().as_secs_f64();
        let entry = EpochLog {
            stage: spec.name.to_string(),
            epoch,
            train_loss: total / spec.train_rows.max(1) as f64,
            validation_loss,
            lr: cfg.learning_rate(epoch),
            seconds,
            samples_per_second: spec.train_rows as f64 / seconds,
        };
        record_epoch(&spec, &paths, &mut state, entry, &model, progress)?;
        save_checkpoint(&paths, &state, &model, &optim)?;
        if state.finished {
            break;
        }
    }
    state.finished = true;
    write_json(&paths.state, &state)?;
    let best = load_module(model, &paths.best)?;
    Ok((best, report(spec.name, &state)))
}

fn report(name: &str, state: &StageState) -> StageReport {
    let seconds: f64 = state.log.iter().map(|e| e.seconds).sum();
    let samples: f64 = state
        .log
        .iter()
        .map(|e| e.samples_per_second * e.seconds)
        .sum();
    StageReport {
        stage: name.to_string(),
        epochs: state.epochs_done,
        best_validation: state.best_validation.unwrap_or(f64::NAN),
        best_epoch: state.best_epoch,
        seconds,
        samples_per_second: samples / seconds.max(1e-9),
        early_stopped: state.early_stopped,
    }
}

fn write_log(path: &Path, log: &[EpochLog]) -> Result<(), LearnError> {
    let mut s = String::from("epoch,train_loss,validation_loss,lr,seconds,samples_per_second\n");
    for e in log {
        s.push_str(&format!(
            "{},{},{},{},{:.3},{:.1}\n",
            e.epoch, e.train_loss, e.validation_loss, e.lr, e.seconds, e.samples_per_second
        ));
    }
    std::fs::write(path, s).map_err(io(path))
}

/// Flat f32 matrix of `rows × width` for fast batch gathering.
struct Matrix {
    width: usize,
    data: Vec<f32>,
}

impl Matrix {
    fn new(width: usize, rows: impl Iterator<Item = Vec<f32>>) -> Matrix {
        let data: Vec<f32> = rows.flatten().collect();
        Matrix { width, data }
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.width..(i + 1) * self.width]
    }

    fn batch(&self, idx: &[usize], device: &Device) -> Tensor<2> {
        let mut v = Vec::with_capacity(idx.len() * self.width);
        for &i in idx {
            v.extend_from_slice(&self.data[i * self.width..(i + 1) * self.width]);
        }
        Tensor::from_data(TensorData::new(v, [idx.len(), self.width]), device)
    }
}

fn mse(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    (a - b).square().mean()
}

/// Validation MSE of an MLP over all rows of `x`/`y`, in chunks.
fn mlp_loss(m: &Mlp, x: &Matrix, y: &Matrix, rows: &[usize], device: &Device) -> f64 {
    let mut total = 0.0;
    for c in rows.chunks(8192) {
        let l = mse(m.forward(x.batch(c, device)), y.batch(c, device));
        total += l.into_scalar::<f32>() as f64 * c.len() as f64;
    }
    total / rows.len().max(1) as f64
}

fn load_splits(data: &[PathBuf], cfg: &TrainConfig) -> Result<Splits, LearnError> {
    let table = Table::read(data)?;
    let (tr, va, te) = table.split(cfg.validation_percent, cfg.test_percent);
    for (split, rows) in [("training", &tr), ("validation", &va), ("test", &te)] {
        if rows.is_empty() {
            return Err(LearnError::EmptySplit {
                split,
                rows: table.len(),
            });
        }
    }
    Ok((table, tr, va, te))
}

/// The normalizers of a forward training run: read back when resuming a run that wrote them,
/// else fitted on the training rows `tr` and written to `out`.
fn forward_normalizers(
    table: &Table,
    tr: &[usize],
    out: &Path,
    resume: bool,
) -> Result<Normalizers, LearnError> {
    let norm_path = out.join(NORMALIZERS);
    if resume && norm_path.exists() {
        return read_json(&norm_path);
    }
    let n = table.fit_normalizers(tr);
    write_json(&norm_path, &n)?;
    Ok(n)
}

/// F1's inputs `[ρ, U, topology histogram]` (normalized), one row per table row; the histogram
/// is [`topology_histogram`] of the rows' one-hot topologies.
fn f1_inputs(table: &Table, norms: &Normalizers, device: &Device) -> Matrix {
    let onehot: Vec<f32> = table.design.iter().flat_map(|f| f.one_hot()).collect();
    let onehot = Tensor::from_data(TensorData::new(onehot, [table.len(), 27]), device);
    let histograms: Vec<f32> = topology_histogram(onehot)
        .into_data()
        .try_into_vec::<f32>()
        .expect("f32 histogram");
    Matrix::new(
        F1_INPUT,
        table
            .design
            .iter()
            .zip(histograms.chunks_exact(F1_INPUT - 4))
            .map(|(f, h)| {
                let mut v: Vec<f32> = (0..4)
                    .map(|k| norms.rho_u.apply_one(k, f.rho_u[k]) as f32)
                    .collect();
                v.extend_from_slice(h);
                v
            }),
    )
}

/// F1's targets: the 9 orthotropic constants (normalized).
fn f1_targets(table: &Table, norms: &Normalizers) -> Matrix {
    Matrix::new(
        9,
        table.c_ort.iter().map(|c| {
            (0..9)
                .map(|k| norms.c_ort.apply_one(k, c[k]) as f32)
                .collect()
        }),
    )
}

/// F2's inputs `[rotated Cort, V]` (normalized), with F1's inputs `x1` and `R_I` appended when
/// F2 sees the design, then the stretched moment ([`super::geometry`]) when it sees the
/// geometry — the order of [`super::forward::ForwardModel::chain`].
fn f2_inputs(table: &Table, norms: &Normalizers, config: &ForwardConfig, x1: &Matrix) -> Matrix {
    Matrix::new(
        config.f2_inputs(),
        table
            .c_rot
            .iter()
            .zip(&table.design)
            .enumerate()
            .map(|(i, (c, f))| {
                let mut v: Vec<f32> = (0..21)
                    .map(|k| norms.c_rot.apply_one(k, c[k]) as f32)
                    .collect();
                v.extend((0..3).map(|k| norms.v.apply_one(k, f.v[k]) as f32));
                if config.f2_sees_design {
                    v.extend_from_slice(x1.row(i));
                    v.extend(f.r1.iter().map(|&r| r as f32));
                }
                if config.f2_sees_geometry {
                    let a = nalgebra::Matrix3::from_fn(|r, c| {
                        f.v[r] * f.r1[3 * r + c] * f.rho_u[1 + c]
                    });
                    let m = super::geometry::stretched_moment(
                        &super::geometry::histogram(&f.topology),
                        &a,
                    );
                    v.extend(m.iter().map(|&x| x as f32));
                }
                v
            }),
    )
}

/// F2's targets: Ĉ, the 21 constants of the `V·R_I·U·X` cell (normalized).
fn f2_targets(table: &Table, norms: &Normalizers) -> Matrix {
    Matrix::new(
        21,
        table.c_hat.iter().map(|c| {
            (0..21)
                .map(|k| norms.c_hat.apply_one(k, c[k]) as f32)
                .collect()
        }),
    )
}

/// The shared settings of the F1 and F2 stages.
struct MlpStage<'a> {
    out: &'a Path,
    train: &'a TrainConfig,
    resume: bool,
    tr: &'a [usize],
    va: &'a [usize],
    ad: &'a Device,
    plain: &'a Device,
}

impl MlpStage<'_> {
    /// Trains `mlp` on inputs `x` and targets `y` as the stage `name` (MSE loss).
    fn fit(
        &self,
        name: &str,
        mlp: Mlp,
        (x, y): (&Matrix, &Matrix),
        progress: &dyn Fn(Progress<'_>),
    ) -> Result<(Mlp, StageReport), LearnError> {
        run_stage(
            StageSpec {
                name,
                out: self.out,
                config: self.train,
                resume: self.resume,
                train_rows: self.tr.len(),
            },
            mlp,
            &|m: &Mlp, rows: &[usize], _, _| {
                let idx: Vec<usize> = rows.iter().map(|&r| self.tr[r]).collect();
                mse(m.forward(x.batch(&idx, self.ad)), y.batch(&idx, self.ad))
            },
            &|m: &Mlp| mlp_loss(m, x, y, self.va, self.plain),
            progress,
        )
    }
}

/// The forward chain's predictions for the rows `te`, unnormalized: C, Cort and Ĉ.
type ForwardPredictions = (Vec<[f64; 21]>, Vec<[f64; 9]>, Vec<[f64; 21]>);

/// Runs the whole chain (F1's prediction feeds F2) over the rows `te` of `table`.
fn predict_chain(
    model: &ForwardModel,
    table: &Table,
    te: &[usize],
    norms: &Normalizers,
    device: &Device,
) -> ForwardPredictions {
    let tensors = norms.tensors(device);
    let ops = VoigtOps::new(device);
    let (mut c, mut ort, mut hat) = (Vec::new(), Vec::new(), Vec::new());
    for chunk in te.chunks(4096) {
        let feats: Vec<_> = chunk.iter().map(|&i| &table.design[i]).collect();
        let o = model.chain(&tensors, &ops, design_batch(&feats, norms, device));
        c.extend(to_rows::<21>(o.c_physical));
        ort.extend(to_rows::<9>(tensors.c_ort.invert(o.c_ort)));
        hat.extend(to_rows::<21>(tensors.c_hat.invert(o.c_hat)));
    }
    (c, ort, hat)
}

/// The forward report: test-split figures of the whole chain.
fn forward_report(
    model: &ForwardModel,
    (table, tr, va, te): &Splits,
    norms: &Normalizers,
    stages: Vec<StageReport>,
    device: &Device,
) -> ForwardReport {
    let (c, ort, hat) = predict_chain(model, table, te, norms, device);
    let pick = |src: &[[f64; 21]]| te.iter().map(|&i| src[i]).collect::<Vec<_>>();
    let true_ort: Vec<[f64; 9]> = te.iter().map(|&i| table.c_ort[i]).collect();
    let true_c = pick(&table.c);
    ForwardReport {
        rows: [tr.len(), va.len(), te.len()],
        stages,
        r2_c: r_squared(&c, &true_c).to_vec(),
        r2_c_ort: r_squared(&ort, &true_ort).to_vec(),
        r2_c_hat: r_squared(&hat, &pick(&table.c_hat)).to_vec(),
        median_relative_error: super::evaluate::summarize(&c, &true_c)
            .1
            .median_relative_error,
    }
}

/// Trains F1 then F2 on the dataset files `data` and writes `forward.bpk`, `forward.json`,
/// `normalizers.json` and `forward_report.json` into `out`.
///
/// # Errors
/// Unreadable data ([`LearnError::Io`], [`LearnError::Csv`], [`LearnError::MissingColumn`]),
/// an empty split, an unwritable `out`, or a device not built in.
pub fn train_forward(
    data: &[PathBuf],
    out: &Path,
    config: &ForwardConfig,
    train: &TrainConfig,
    device: DeviceChoice,
    resume: bool,
    progress: &dyn Fn(Progress<'_>),
) -> Result<ForwardReport, LearnError> {
    let plain = device.device()?;
    let ad = plain.clone().autodiff();
    std::fs::create_dir_all(out).map_err(io(out))?;
    let splits = load_splits(data, train)?;
    let (table, tr, va, te) = &splits;
    progress(Progress::Note(&format!(
        "{} rows: {} train, {} validation, {} test",
        table.len(),
        tr.len(),
        va.len(),
        te.len()
    )));
    let norms = forward_normalizers(table, tr, out, resume)?;
    write_json(&out.join(FORWARD_CONFIG), config)?;
    ad.seed(train.seed);
    let fresh = ForwardModel::new(config, &ad);
    let x1 = f1_inputs(table, &norms, &plain);
    let y1 = f1_targets(table, &norms);
    let x2 = f2_inputs(table, &norms, config, &x1);
    let y2 = f2_targets(table, &norms);
    let stage = MlpStage {
        out,
        train,
        resume,
        tr,
        va,
        ad: &ad,
        plain: &plain,
    };
    let (f1, f1_report) = stage.fit("f1", fresh.f1, (&x1, &y1), progress)?;
    let (f2, f2_report) = stage.fit("f2", fresh.f2, (&x2, &y2), progress)?;
    let model = ForwardModel::from_parts(config, f1, f2);
    save_module(model.clone(), &out.join(FORWARD_WEIGHTS))?;
    progress(Progress::Note(
        "evaluating the forward model on the test split",
    ));
    let report = forward_report(
        &model.valid(),
        &splits,
        &norms,
        vec![f1_report, f2_report],
        &plain,
    );
    write_json(&out.join("forward_report.json"), &report)?;
    Ok(report)
}

/// The forward model a [`train_forward`] run wrote to `out`, with its configuration and
/// normalizers, on the device `ad`.
fn load_forward(
    out: &Path,
    ad: &Device,
) -> Result<(ForwardModel, ForwardConfig, Normalizers), LearnError> {
    let norms: Normalizers = read_json(&out.join(NORMALIZERS))?;
    let fcfg: ForwardConfig = read_json(&out.join(FORWARD_CONFIG))?;
    let forward = load_module(ForwardModel::new(&fcfg, ad), &out.join(FORWARD_WEIGHTS))?;
    Ok((forward, fcfg, norms))
}

/// G's training targets: the 21 constants of C (normalized), one row per table row.
fn inverse_targets(table: &Table, norms: &Normalizers) -> Matrix {
    Matrix::new(
        21,
        table
            .c
            .iter()
            .map(|c| (0..21).map(|k| norms.c.apply_one(k, c[k]) as f32).collect()),
    )
}

/// Trains G (the stage `inverse`) through the frozen forward model: the loss is the MSE
/// between the target and F's prediction for G's Gumbel-softmax proposal.
#[allow(clippy::too_many_arguments)]
fn fit_inverse(
    spec: StageSpec<'_>,
    fresh: InverseModel,
    config: &InverseConfig,
    targets: &Matrix,
    (tr, va): (&[usize], &[usize]),
    (frozen, forward_plain): (&ForwardModel, &ForwardModel),
    norms: &Normalizers,
    (ad, plain): (&Device, &Device),
    progress: &dyn Fn(Progress<'_>),
) -> Result<(InverseModel, StageReport), LearnError> {
    let (t_ad, t_plain) = (norms.tensors(ad), norms.tensors(plain));
    let (ops_ad, ops_plain) = (VoigtOps::new(ad), VoigtOps::new(plain));
    let epochs = spec.config.epochs.max(1);
    let tau = |epoch: usize| {
        let t = epoch as f64 / (epochs.max(2) - 1) as f64;
        config.tau_start * (config.tau_end / config.tau_start).powf(t)
    };
    run_stage(
        spec,
        fresh,
        &|g: &InverseModel, rows: &[usize], epoch, rng| {
            let idx: Vec<usize> = rows.iter().map(|&r| tr[r]).collect();
            let target = targets.batch(&idx, ad);
            let noise = gumbel_noise(uniform(idx.len(), 27, rng, ad));
            let p = g.propose(target.clone(), Some(noise), tau(epoch));
            let pred = frozen.chain(&t_ad, &ops_ad, p.design_batch(&t_ad));
            mse(pred.c, target)
        },
        &|g: &InverseModel| {
            let mut total = 0.0;
            for chunk in va.chunks(8192) {
                let target = targets.batch(chunk, plain);
                let p = g.propose(target.clone(), None, 1.0);
                let pred = forward_plain.chain(&t_plain, &ops_plain, p.design_batch(&t_plain));
                total += mse(pred.c, target).into_scalar::<f32>() as f64 * chunk.len() as f64;
            }
            total / va.len() as f64
        },
        progress,
    )
}

/// Of `samples` designs per target (one list per target), the one whose predicted stiffness
/// is nearest its target (squared distance in span units, `norms.c`), with that prediction.
fn best_of_samples(
    models: &Models,
    targets: &[[f64; 21]],
    sampled: &[Vec<crate::design_space::Design>],
    norms: &Normalizers,
) -> Result<(Vec<crate::design_space::Design>, Vec<[f64; 21]>), LearnError> {
    let mut best_designs = Vec::with_capacity(targets.len());
    let mut best_c = Vec::with_capacity(targets.len());
    for (t, cands) in targets.iter().zip(sampled) {
        let preds = models.predict(cands)?;
        let score = |p: &[f64; 21]| -> f64 {
            (0..21)
                .map(|k| {
                    let s = norms.c.span(k);
                    ((p[k] - t[k]) / s).powi(2)
                })
                .sum()
        };
        let (k, p) = preds
            .iter()
            .enumerate()
            .min_by(|a, b| score(a.1).total_cmp(&score(b.1)))
            .expect("at least one sample");
        best_designs.push(cands[k].clone());
        best_c.push(*p);
    }
    Ok((best_designs, best_c))
}

/// FE stiffness of the mode, best-of and polished proposals of the first test targets, for
/// the targets whose three designs all homogenize.
#[derive(Default)]
struct FeCheck {
    targets: Vec<[f64; 21]>,
    mode: Vec<[f64; 21]>,
    best: Vec<[f64; 21]>,
    polished: Vec<[f64; 21]>,
}

impl FeCheck {
    /// Homogenizes `designs = (mode, best, polished)` of the first `n` `targets` in parallel.
    fn run(
        n: usize,
        targets: &[[f64; 21]],
        (mode, best, polished): (
            &[crate::design_space::Design],
            &[crate::design_space::Design],
            &[crate::design_space::Design],
        ),
    ) -> FeCheck {
        use rayon::prelude::*;
        type Triple = ([f64; 21], [f64; 21], [f64; 21]);
        let fe = super::evaluate::fe_constants;
        let triples: Vec<Option<Triple>> = (0..n)
            .into_par_iter()
            .map(|i| Some((fe(&mode[i])?, fe(&best[i])?, fe(&polished[i])?)))
            .collect();
        let mut check = FeCheck::default();
        for (i, p) in triples.iter().enumerate() {
            if let Some((a, b, c)) = p {
                check.targets.push(targets[i]);
                check.mode.push(*a);
                check.best.push(*b);
                check.polished.push(*c);
            }
        }
        check
    }
}

/// The inverse report of a trained stage (`rows` per split, `stage`): proposals for the test
/// targets and their figures: the mode (temperature 0), the best of 16
/// samples, the mode polished through F (the first [`POLISH_ROWS`]), FE-checked on the first
/// `fe_rows`.
fn inverse_report(
    models: &Models,
    targets: &[[f64; 21]],
    norms: &Normalizers,
    (seed, fe_rows): (u64, usize),
    rows: [usize; 3],
    stage: StageReport,
    progress: &dyn Fn(Progress<'_>),
) -> Result<InverseReport, LearnError> {
    let mode: Vec<_> = models
        .propose(targets, 1, 0.0, seed)?
        .into_iter()
        .map(|mut v| v.remove(0))
        .collect();
    let mode_c = models.predict(&mode)?;
    let best_of = 16;
    let sampled = models.propose(targets, best_of, 1.0, seed)?;
    let (best_designs, best_c) = best_of_samples(models, targets, &sampled, norms)?;
    let n_polish = POLISH_ROWS.min(targets.len());
    progress(Progress::Note(&format!(
        "polishing the proposals of {n_polish} test targets through F"
    )));
    let polished = models.polish_each(
        &targets[..n_polish],
        &mode[..n_polish],
        &super::PolishOptions::default(),
    )?;
    let polished_c = models.predict(&polished)?;
    let n_fe = fe_rows.min(n_polish);
    progress(Progress::Note(&format!(
        "FE check of {n_fe} test targets (3 designs each)"
    )));
    let fe = FeCheck::run(n_fe, targets, (&mode, &best_designs, &polished));
    Ok(InverseReport {
        rows,
        stage,
        r2_surrogate: r_squared(&mode_c, targets).to_vec(),
        r2_surrogate_best_of: r_squared(&best_c, targets).to_vec(),
        best_of,
        r2_fe: r_squared(&fe.mode, &fe.targets).to_vec(),
        r2_fe_best_of: r_squared(&fe.best, &fe.targets).to_vec(),
        r2_surrogate_polished: r_squared(&polished_c, &targets[..n_polish]).to_vec(),
        r2_fe_polished: r_squared(&fe.polished, &fe.targets).to_vec(),
        polish_rows: n_polish,
        fe_rows: n_fe,
        fe_failures: n_fe - fe.targets.len(),
    })
}

/// Trains G1 + G2 through the frozen forward model in `out` (which [`train_forward`] wrote) and
/// writes `inverse.bpk`, `inverse.json` and `inverse_report.json` (with an FE check of
/// `fe_rows` test targets).
///
/// # Errors
/// As [`train_forward`], and [`LearnError::ModelFile`] when the forward model is missing.
#[allow(clippy::too_many_arguments)]
pub fn train_inverse(
    data: &[PathBuf],
    out: &Path,
    config: &InverseConfig,
    train: &TrainConfig,
    device: DeviceChoice,
    resume: bool,
    fe_rows: usize,
    progress: &dyn Fn(Progress<'_>),
) -> Result<InverseReport, LearnError> {
    let plain = device.device()?;
    let ad = plain.clone().autodiff();
    let (table, tr, va, te) = load_splits(data, train)?;
    let (forward, fcfg, norms) = load_forward(out, &ad)?;
    let frozen = forward.clone().no_grad();
    let forward_plain = forward.valid();
    write_json(&out.join(INVERSE_CONFIG), config)?;
    ad.seed(train.seed.wrapping_add(1));
    let fresh = InverseModel::new(config, &ad);
    let spec = StageSpec {
        name: "inverse",
        out,
        config: train,
        resume,
        train_rows: tr.len(),
    };
    let (g, stage) = fit_inverse(
        spec,
        fresh,
        config,
        &inverse_targets(&table, &norms),
        (&tr, &va),
        (&frozen, &forward_plain),
        &norms,
        (&ad, &plain),
        progress,
    )?;
    save_module(g.clone(), &out.join(INVERSE_WEIGHTS))?;
    progress(Progress::Note(
        "evaluating the inverse model on the test split",
    ));
    let models = Models::from_parts(
        plain.clone(),
        forward_plain.clone(),
        Some((g.valid(), *config)),
        fcfg,
        norms.clone(),
        out,
    );
    let targets: Vec<[f64; 21]> = te.iter().map(|&i| table.c[i]).collect();
    let report = inverse_report(
        &models,
        &targets,
        &norms,
        (train.seed, fe_rows),
        [tr.len(), va.len(), te.len()],
        stage,
        progress,
    )?;
    write_json(&out.join("inverse_report.json"), &report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{DatasetConfig, Shard, generate};
    use crate::learn::config::MlpConfig;

    /// A 300-row dataset `tiny.csv` in `dir`.
    fn tiny_dataset(dir: &Path) -> PathBuf {
        let csv = dir.join("tiny.csv");
        generate(
            &DatasetConfig {
                samples: 300,
                seed: 4,
                shard: Shard::WHOLE,
                fem: crate::fem::FemOptions::default(),
                material: crate::design_space::Material::default(),
            },
            &csv,
            &|_| {},
        )
        .unwrap();
        csv
    }

    /// F2 is trained on the rows' stretched moment computed in f64 and run on the chain's,
    /// computed in tensor ops from the normalized batch: the two must agree.
    #[test]
    fn f2_geometry_inputs_in_training_equal_the_chains() {
        let dir = std::env::temp_dir().join(format!("trussforge-learn-geo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = tiny_dataset(&dir);
        let table = Table::read(std::slice::from_ref(&csv)).unwrap();
        let all: Vec<usize> = (0..table.len()).collect();
        let norms = table.fit_normalizers(&all);
        let device = DeviceChoice::Cpu.device().unwrap();
        let config = ForwardConfig {
            f2_sees_geometry: true,
            ..ForwardConfig::default()
        };
        let x1 = f1_inputs(&table, &norms, &device);
        let x2 = f2_inputs(&table, &norms, &config, &x1);
        let feats: Vec<&crate::learn::data::DesignFeatures> = table.design.iter().collect();
        let batch = design_batch(&feats, &norms, &device);
        let hist = topology_histogram(batch.topology.clone());
        let chain: Vec<f32> = super::super::forward::stretched_geometry(
            &norms.tensors(&device),
            &VoigtOps::new(&device),
            &batch,
            hist,
        )
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
        let offset = config.f2_inputs() - super::super::geometry::GEOMETRY_FEATURES;
        for i in 0..table.len() {
            for k in 0..super::super::geometry::GEOMETRY_FEATURES {
                let (t, c) = (x2.row(i)[offset + k], chain[i * 21 + k]);
                assert!((t - c).abs() < 1e-4, "row {i} k {k}: {t} vs {c}");
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn tiny_training_lowers_validation_loss_and_resumes() {
        let dir =
            std::env::temp_dir().join(format!("trussforge-learn-train-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = tiny_dataset(&dir);
        let small = MlpConfig {
            width: 32,
            depth: 2,
            ..MlpConfig::default()
        };
        let fc = ForwardConfig {
            f1: small,
            f2: small,
            ..ForwardConfig::default()
        };
        let out = dir.join("models");
        let mut tc = TrainConfig {
            epochs: 3,
            batch: 16,
            seed: 1,
            lr: 3e-3,
            validation_percent: 20,
            test_percent: 20,
            ..TrainConfig::default()
        };
        let quiet = |_: Progress<'_>| {};
        train_forward(
            std::slice::from_ref(&csv),
            &out,
            &fc,
            &tc,
            DeviceChoice::Cpu,
            false,
            &quiet,
        )
        .unwrap();
        // Resume: three more epochs continue the same run.
        tc.epochs = 6;
        let report = train_forward(
            std::slice::from_ref(&csv),
            &out,
            &fc,
            &tc,
            DeviceChoice::Cpu,
            true,
            &quiet,
        )
        .unwrap();
        let state: StageState = read_json(&out.join("checkpoints/f1/state.json")).unwrap();
        assert_eq!(state.log.len(), 6, "resumed run appends to the log");
        assert_eq!(
            state.log.iter().map(|e| e.epoch).collect::<Vec<_>>(),
            (0..6).collect::<Vec<_>>()
        );
        for stage in ["f1", "f2"] {
            let s: StageState =
                read_json(&out.join(format!("checkpoints/{stage}/state.json"))).unwrap();
            let first = s.log[0].validation_loss;
            let best = s.best_validation.unwrap();
            assert!(
                best < first,
                "{stage}: validation loss {first} → best {best}"
            );
        }
        assert_eq!(report.r2_c.len(), 21);
        // Inverse: two epochs, proposals valid.
        let ic = InverseConfig {
            g1: small,
            g2: small,
            ..InverseConfig::default()
        };
        tc.epochs = 2;
        let inv =
            train_inverse(&[csv], &out, &ic, &tc, DeviceChoice::Cpu, false, 3, &quiet).unwrap();
        assert_eq!(inv.r2_surrogate.len(), 21);
        let models = Models::load(&out, DeviceChoice::Cpu).unwrap();
        let p = models.propose(&[[0.001; 21]], 3, 1.0, 0).unwrap();
        assert_eq!(p[0].len(), 3);
        for d in &p[0] {
            d.validate(crate::design_space::RangePolicy::Strict)
                .unwrap();
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
