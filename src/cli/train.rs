use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;
use trussforge::learn::train::{
    ForwardReport, InverseReport, Progress, train_forward, train_inverse,
};
use trussforge::learn::{
    Activation, DeviceChoice, ForwardConfig, InverseConfig, MlpConfig, TrainConfig,
};

/// Which networks to train.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Which {
    /// F1 then F2 (the surrogate design → stiffness).
    Forward,
    /// G1 + G2 through the frozen forward model in `--out` (train `forward` first).
    Inverse,
    /// The shape table (`shapes.bin`): the rows' designs indexed by the rotation invariants of
    /// their stiffness, for refinement starts the networks miss.
    Shapes,
}

/// Arguments of `trussforge train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `forward` (F1, F2) or `inverse` (G1, G2; needs the forward model in --out).
    which: Which,
    /// Dataset CSV files made by `trussforge dataset` (concatenated; split by row index).
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Model directory: weights, configs, normalizers, logs, reports and checkpoints.
    #[arg(long, default_value = "models")]
    out: PathBuf,
    /// Maximum epochs per stage (early stopping may end sooner).
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = TrainConfig::default().batch)]
    batch: usize,
    /// Seed of initialization, shuffling and Gumbel noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Initial Adam learning rate (cosine-decayed).
    #[arg(long, default_value_t = TrainConfig::default().lr)]
    lr: f64,
    /// Epochs without a better validation loss before a stage stops.
    #[arg(long, default_value_t = TrainConfig::default().patience)]
    patience: usize,
    /// Hidden units per layer of every network.
    #[arg(long, default_value_t = MlpConfig::default().width)]
    width: usize,
    /// Hidden layers of every network.
    #[arg(long, default_value_t = MlpConfig::default().depth)]
    depth: usize,
    /// Forward only: hidden units per layer of F2 (default: `--width`). F2 maps the rotated
    /// stiffness and V to Ĉ and is the capacity-limited network (its training and validation
    /// losses stay level), so it may be wider than F1.
    #[arg(long)]
    f2_width: Option<usize>,
    /// Forward only: hidden layers of F2 (default: `--depth`).
    #[arg(long)]
    f2_depth: Option<usize>,
    /// Forward only: F2 also gets ρ, U, the topology and R_I (default: as in the paper, only the
    /// rotated stiffness and V).
    #[arg(long)]
    f2_sees_design: bool,
    /// Forward only: F2 also gets the stretched geometry, the length-weighted fourth moment of
    /// the strut directions of the `V·R_I·U·X` cell (21 inputs).
    #[arg(long)]
    f2_sees_geometry: bool,
    /// Continue an interrupted run from the checkpoints in `--out/checkpoints`.
    #[arg(long)]
    resume: bool,
    /// Where to run (GPU backends need the `wgpu` / `cuda` cargo features).
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    device: DeviceChoice,
    /// Inverse only: test targets whose proposals are checked by FE homogenization.
    #[arg(long, default_value_t = 300)]
    fe_rows: usize,
}

fn bar_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} batches {per_sec} {msg}")
        .expect("valid template")
}

/// Shows one progress report on the bar; `epochs` holds the stage's (first epoch, epochs).
fn show_progress(
    bar: &Mutex<indicatif::ProgressBar>,
    epochs: &Mutex<(usize, usize)>,
    p: Progress<'_>,
) {
    let b = bar.lock().expect("bar lock");
    match p {
        Progress::Stage {
            name,
            first_epoch,
            epochs: n,
            batches,
        } => {
            *epochs.lock().expect("lock") = (first_epoch, n);
            b.set_style(bar_style());
            b.set_length(batches as u64);
            b.set_position(0);
            b.set_prefix(format!("{name} epoch {}/{n}", first_epoch + 1));
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
        }
        Progress::Batch { done } => b.set_position(done as u64),
        Progress::Epoch(e) => {
            b.suspend(|| {
                println!(
                    "{} epoch {:>3}: train {:.3e}  validation {:.3e}  lr {:.2e}  {:.1} s  {:.0} samples/s",
                    e.stage,
                    e.epoch + 1,
                    e.train_loss,
                    e.validation_loss,
                    e.lr,
                    e.seconds,
                    e.samples_per_second
                )
            });
            let n = epochs.lock().expect("lock").1;
            b.set_position(0);
            b.set_prefix(format!("{} epoch {}/{n}", e.stage, e.epoch + 2));
        }
        Progress::Note(s) => b.suspend(|| println!("{s}")),
    }
}

/// Prints `name`, the smallest of the R² values and all of them.
fn print_r2(name: &str, r2: &[f64]) {
    let min = r2.iter().copied().fold(f64::INFINITY, f64::min);
    let s: Vec<String> = r2.iter().map(|v| format!("{v:.3}")).collect();
    println!("{name}: min {min:.3} [{}]", s.join(" "));
}

/// The forward model's training summary.
fn print_forward(r: &ForwardReport) {
    for s in &r.stages {
        println!(
            "{}: {} epochs, best validation {:.3e} at epoch {}, {:.0} s, {:.0} samples/s",
            s.stage,
            s.epochs,
            s.best_validation,
            s.best_epoch + 1,
            s.seconds,
            s.samples_per_second
        );
    }
    print_r2("test R² of C (21)", &r.r2_c);
    print_r2("test R² of Cort (9)", &r.r2_c_ort);
    print_r2("test R² of Ĉ (21)", &r.r2_c_hat);
    println!(
        "median relative error ‖ΔC‖/‖C‖: {:.2} %",
        100.0 * r.median_relative_error
    );
}

/// The inverse model's training summary.
fn print_inverse(r: &InverseReport) {
    let s = &r.stage;
    println!(
        "inverse: {} epochs, best validation {:.3e} at epoch {}, {:.0} s, {:.0} samples/s",
        s.epochs,
        s.best_validation,
        s.best_epoch + 1,
        s.seconds,
        s.samples_per_second
    );
    print_r2("test R², F(G(C)) vs C", &r.r2_surrogate);
    print_r2(
        &format!("test R², best of {} by F", r.best_of),
        &r.r2_surrogate_best_of,
    );
    print_r2(
        &format!("FE R² ({} targets), most likely", r.fe_rows),
        &r.r2_fe,
    );
    print_r2("FE R², best of by F", &r.r2_fe_best_of);
    print_r2(
        &format!("test R² ({} targets), polished through F", r.polish_rows),
        &r.r2_surrogate_polished,
    );
    print_r2("FE R², polished", &r.r2_fe_polished);
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let train = TrainConfig {
        epochs: args.epochs,
        batch: args.batch,
        seed: args.seed,
        lr: args.lr,
        patience: args.patience,
        ..TrainConfig::default()
    };
    let mlp = MlpConfig {
        width: args.width,
        depth: args.depth,
        activation: Activation::Silu,
    };
    let bar = Mutex::new(indicatif::ProgressBar::hidden());
    let epochs = Mutex::new((0usize, 0usize));
    let progress = |p: Progress<'_>| {
        show_progress(&bar, &epochs, p);
    };
    match args.which {
        Which::Shapes => train_shapes(&args)?,
        Which::Forward => {
            let config = ForwardConfig {
                f1: mlp,
                f2: MlpConfig {
                    width: args.f2_width.unwrap_or(mlp.width),
                    depth: args.f2_depth.unwrap_or(mlp.depth),
                    ..mlp
                },
                f2_sees_design: args.f2_sees_design,
                f2_sees_geometry: args.f2_sees_geometry,
            };
            let r = train_forward(
                &args.data,
                &args.out,
                &config,
                &train,
                args.device,
                args.resume,
                &progress,
            )
            .with_context(|| format!("training the forward model into {}", args.out.display()))?;
            bar.lock().expect("bar lock").finish_and_clear();
            print_forward(&r);
        }
        Which::Inverse => {
            let config = InverseConfig {
                g1: mlp,
                g2: mlp,
                ..InverseConfig::default()
            };
            let r = train_inverse(
                &args.data,
                &args.out,
                &config,
                &train,
                args.device,
                args.resume,
                args.fe_rows,
                &progress,
            )
            .with_context(|| format!("training the inverse model into {}", args.out.display()))?;
            bar.lock().expect("bar lock").finish_and_clear();
            print_inverse(&r);
        }
    }
    println!("models in {}", args.out.display());
    Ok(())
}

/// Builds the shape table from `--data` into `--out`.
fn train_shapes(args: &Args) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    let table = trussforge::inverse::ShapeTable::from_csv(&args.data)?;
    anyhow::ensure!(!table.is_empty(), "the datasets hold no rows");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let path = args.out.join(trussforge::inverse::SHAPE_TABLE);
    table
        .write(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "shape table: {} rows written to {} in {:.1} s",
        table.len(),
        path.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
