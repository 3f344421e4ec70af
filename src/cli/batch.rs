use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::bail;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use trussforge::pipeline::batch::{
    BatchOptions, BatchProgress, Rebuild, Shard, SpecOutcome, Status, plan, run as run_batch,
    summary_path,
};

/// Arguments of `trussforge batch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Spec files, or folders whose `*.yaml`/`*.yml` files (not in sub-folders) are specs.
    #[arg(required = true)]
    specs: Vec<PathBuf>,
    /// Output root: each spec is built into `<out>/<spec name>/`; the summary goes here too.
    #[arg(long, default_value = "output")]
    out: PathBuf,
    /// Specs built at the same time (each build also uses all cores through rayon).
    #[arg(long, default_value = "1")]
    jobs: NonZeroUsize,
    /// Rebuild every spec, also those whose output is up to date.
    #[arg(long)]
    force: bool,
    /// Build only shard K of M (0-based, e.g. `3/8`): contiguous blocks of the spec list.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let plan = plan(&args.specs, args.shard)?;
    let options = BatchOptions {
        out_root: args.out,
        jobs: args.jobs,
        rebuild: if args.force {
            Rebuild::All
        } else {
            Rebuild::Changed
        },
    };
    let progress = Progress::new(plan.specs.len());
    let summary = run_batch(&plan, &options, &progress)?;
    progress.clear();
    print!("{}", summary.table());
    let path = summary_path(&options.out_root, plan.shard);
    println!("summary: {}", path.display());
    if summary.failed > 0 {
        bail!(
            "{} of {} specs failed (see {})",
            summary.failed,
            summary.specs.len(),
            path.display()
        );
    }
    Ok(())
}

/// One spinner per running build and an overall bar on a terminal (indicatif hides them when
/// stderr is not a terminal), plus one log line per finished spec on stderr in both cases.
struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
    running: Mutex<HashMap<usize, ProgressBar>>,
    done: AtomicUsize,
    total: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        let multi = MultiProgress::new();
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} specs {elapsed}")
                .expect("valid template"),
        );
        overall.tick();
        Self {
            multi,
            overall,
            running: Mutex::new(HashMap::new()),
            done: AtomicUsize::new(0),
            total,
        }
    }

    fn clear(&self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

impl BatchProgress for Progress {
    fn started(&self, index: usize, name: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
        );
        bar.set_message(name.to_string());
        if !self.multi.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        self.running
            .lock()
            .expect("not poisoned")
            .insert(index, bar);
    }

    fn stage(&self, index: usize, name: &str, stage: &str) {
        if let Some(bar) = self.running.lock().expect("not poisoned").get(&index) {
            bar.set_message(format!("{name}: {stage}"));
        }
    }

    fn finished(&self, index: usize, outcome: &SpecOutcome) {
        if let Some(bar) = self.running.lock().expect("not poisoned").remove(&index) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.overall.inc(1);
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let line = match outcome.status {
            Status::Failed => format!(
                "[{done}/{}] failed  {}",
                self.total,
                outcome.error_line().unwrap_or_default()
            ),
            status => format!(
                "[{done}/{}] {:<7} {} ({:.1} s)",
                self.total,
                status.as_str(),
                outcome.name.as_deref().unwrap_or("-"),
                outcome.seconds
            ),
        };
        // Printed above the bars on a terminal; plain lines in a pipe or a log file.
        self.multi.suspend(|| eprintln!("{line}"));
    }
}
