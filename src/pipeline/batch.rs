//! Batch builds: many specs (one per patient), each into its own output folder, resumable and
//! shardable over machines.
//!
//! A batch runs in three steps:
//! 1. [`plan`] collects the spec files from the inputs ([`collect_specs`]), checks that no two
//!    specs of the **whole** list share a `name` (they would write the same folder), and keeps
//!    the shard's part of the list ([`shard_range`]).
//! 2. [`run`] builds the shard's specs with [`BatchOptions::jobs`] workers. A spec that fails
//!    to load or build is recorded with its error and the batch goes on. A spec whose output
//!    folder already holds a `report.json` with the spec's digest ([`is_up_to_date`]) is
//!    skipped, unless [`Rebuild::All`] (`--force`).
//! 3. [`run`] writes the summary ([`summary_path`], atomically) and returns it; the caller
//!    prints [`BatchSummary::table`] and fails when [`BatchSummary::failed`] is not zero.
//!
//! # Layout of the output root
//! ```text
//! <out-root>/<spec name>/           one folder per spec, as `trussforge build` writes it
//! <out-root>/batch-summary.json     the summary of an unsharded batch
//! <out-root>/batch-summary-K-of-M.json  the summary of shard K of M (shards share a root)
//! ```
//!
//! # Summary file
//! ```json
//! {
//!   "shard": {"index": 0, "count": 1},
//!   "total_specs": 3,       // specs in the whole list (all shards)
//!   "jobs": 2,
//!   "force": false,
//!   "seconds": 4.2,         // wall time of this batch
//!   "built": 2, "skipped": 0, "failed": 1,
//!   "specs": [              // this shard's specs, in list order
//!     {"path": "specs/a.yaml", "name": "a", "out": "output/a", "status": "built",
//!      "error": null, "seconds": 1.9, "triangles": 51234, "struts": 812},
//!     {"path": "specs/b.yaml", "name": "b", "out": "output/b", "status": "failed",
//!      "error": "strut diameter … is below …", "seconds": 0.1, "triangles": null, "struts": null}
//!   ]
//! }
//! ```
//! `status` is `built`, `skipped` (up to date; `triangles` and `struts` are read from the
//! existing report) or `failed`. `name` is `null` only when the spec file is not valid YAML;
//! `out` is `null` when the spec did not load. `seconds` is the time spent on the spec in
//! this batch (loading, the up-to-date check and the build).
//!
//! # Resume: guarantees and non-guarantees
//! The spec digest ([`crate::spec::digest`]) covers the spec text only. Any edit of the spec,
//! even of a comment, rebuilds it; a changed envelope STL that the spec refers to, or a new
//! trussforge version, does not: use [`Rebuild::All`] then. Because [`build`] swaps its output
//! folder in only when every file is complete, a batch killed mid-build never leaves a folder
//! that looks finished.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::build;
pub use crate::dataset::Shard;
use crate::error_text::one_line;
use crate::spec::{RawSpec, Spec};

/// The summary file name of an unsharded batch (see [`summary_path`]).
pub const SUMMARY_FILE: &str = "batch-summary.json";

/// Why a batch could not start or its summary could not be written. (A spec that fails is not
/// an error of the batch: it is recorded as [`Status::Failed`] in the summary.)
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BatchError {
    /// An input path does not exist. Fix: check the path (relative paths are relative to the
    /// working directory).
    #[error("spec path {} does not exist", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// A folder or path could not be read, or the summary could not be written.
    #[error("{}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The inputs hold no spec. Fix: pass spec files or folders holding `*.yaml`/`*.yml`
    /// (sub-folders are not searched).
    #[error("no spec files (*.yaml, *.yml) in {inputs}")]
    NoSpecs {
        /// The inputs, comma-separated.
        inputs: String,
    },
    /// Two specs share a `name`, so they would write the same output folder. Fix: rename one.
    #[error(
        "specs {} and {} have the same name {name:?} (it names the output folder); rename one",
        first.display(), second.display()
    )]
    DuplicateName {
        /// The shared name.
        name: String,
        /// The first spec with it.
        first: PathBuf,
        /// The second spec with it.
        second: PathBuf,
    },
    /// A spec's name is the name of the batch summary file in the output root. Fix: rename it.
    #[error(
        "spec {} is named {name:?}, which is reserved for the batch summary; rename it",
        path.display()
    )]
    ReservedName {
        /// The name.
        name: String,
        /// The spec.
        path: PathBuf,
    },
}

impl BatchError {
    /// A `map_err` adapter: [`BatchError::Io`] on `path`.
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
        move |source| BatchError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Collects spec files from `inputs`, in order: a file is taken as it is (any extension), a
/// folder contributes the `*.yaml` and `*.yml` entries directly inside it that are not
/// folders (not in sub-folders, not hidden `.*` files), sorted by path. A FIFO or device among
/// them is kept and fails in [`run`] with its own error, without being opened. A file named twice (also through another path to
/// it) is kept at its first place only.
///
/// # Errors
/// [`BatchError::NotFound`] naming a path that does not exist, [`BatchError::Io`] when a
/// folder cannot be read, [`BatchError::NoSpecs`] when nothing is found at all.
pub fn collect_specs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, BatchError> {
    let mut found = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BatchError::NotFound {
                path: input.clone(),
            },
            _ => BatchError::io(input)(e),
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(input).map_err(BatchError::io(input))? {
                let path = entry.map_err(BatchError::io(input))?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let yaml = matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                );
                // Anything but a folder is kept: a FIFO or device named `*.yaml` is then
                // refused by `Spec::load` with its own error (and never opened).
                if yaml && !name.starts_with('.') && !path.is_dir() {
                    files.push(path);
                }
            }
            files.sort();
            found.extend(files);
        } else {
            found.push(input.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut specs = Vec::new();
    for path in found {
        let key = std::fs::canonicalize(&path).map_err(BatchError::io(&path))?;
        if seen.insert(key) {
            specs.push(path);
        }
    }
    if specs.is_empty() {
        let inputs = inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(BatchError::NoSpecs { inputs });
    }
    Ok(specs)
}

/// The indices of a list of `len` specs that `shard` builds: contiguous blocks,
/// `[K·len/M, (K+1)·len/M)` for shard K of M (0-based, as `trussforge dataset --shard`), so
/// the shards partition the list and their sizes differ by at most one. Every machine must be
/// given the same inputs (the same files) to agree on the list.
pub fn shard_range(len: usize, shard: Shard) -> std::ops::Range<usize> {
    let rows = shard.rows(len as u64);
    rows.start as usize..rows.end as usize
}

/// One spec of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSpec {
    /// The spec file.
    pub path: PathBuf,
    /// Its `name`, when the file is readable YAML with a `name` (checked for duplicates).
    pub name: Option<String>,
}

/// The specs one batch process builds.
#[derive(Debug, Clone)]
pub struct Plan {
    /// This shard's specs, in list order.
    pub specs: Vec<PlannedSpec>,
    /// Specs in the whole list (all shards).
    pub total: usize,
    /// The shard.
    pub shard: Shard,
}

/// Collects the specs of `inputs` ([`collect_specs`]), checks that their names are distinct
/// over the whole list and keeps `shard`'s part ([`shard_range`]).
///
/// Only the `name` of each spec is read here (cheaply, without validating or loading an
/// envelope); a spec that cannot even be read is left to fail in [`run`].
///
/// # Errors
/// Those of [`collect_specs`]; [`BatchError::DuplicateName`] naming both files;
/// [`BatchError::ReservedName`].
pub fn plan(inputs: &[PathBuf], shard: Shard) -> Result<Plan, BatchError> {
    let paths = collect_specs(inputs)?;
    let mut specs = Vec::with_capacity(paths.len());
    let mut by_name: HashMap<String, PathBuf> = HashMap::new();
    for path in paths {
        let name = read_name(&path);
        if let Some(name) = &name {
            if name.starts_with("batch-summary") && name.ends_with(".json") {
                return Err(BatchError::ReservedName {
                    name: name.clone(),
                    path,
                });
            }
            if let Some(first) = by_name.get(name) {
                return Err(BatchError::DuplicateName {
                    name: name.clone(),
                    first: first.clone(),
                    second: path,
                });
            }
            by_name.insert(name.clone(), path.clone());
        }
        specs.push(PlannedSpec { path, name });
    }
    let total = specs.len();
    let range = shard_range(total, shard);
    Ok(Plan {
        specs: specs.drain(range).collect(),
        total,
        shard,
    })
}

/// The `name:` of a spec file, if it is a regular file that parses as a spec (a FIFO is not
/// opened: it would block).
fn read_name(path: &Path) -> Option<String> {
    let text = crate::fsutil::read_regular_to_string(path).ok()?;
    serde_yaml::from_str::<RawSpec>(&text).ok().map(|r| r.name)
}

/// Which specs to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rebuild {
    /// Skip specs whose output is up to date ([`is_up_to_date`]); build the rest (default).
    #[default]
    Changed,
    /// Build every spec (`--force`).
    All,
}

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The output root: spec `name` is built into `<out_root>/<name>/`. Default `output`.
    pub out_root: PathBuf,
    /// Specs built at the same time (each build is itself parallel on the rayon pool).
    /// Default 1.
    pub jobs: NonZeroUsize,
    /// Which specs to build. Default [`Rebuild::Changed`].
    pub rebuild: Rebuild,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            out_root: PathBuf::from("output"),
            jobs: NonZeroUsize::MIN,
            rebuild: Rebuild::Changed,
        }
    }
}

/// What happened to one spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Built in this batch.
    Built,
    /// Up to date; not built again.
    Skipped,
    /// Failed to load or build; see [`SpecOutcome::error`].
    Failed,
}

impl Status {
    /// `built`, `skipped` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Built => "built",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

/// One spec's line of the summary (see the module docs for the file format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecOutcome {
    /// The spec file.
    pub path: PathBuf,
    /// The spec's name, when known.
    pub name: Option<String>,
    /// Its output folder, when the spec loaded.
    pub out: Option<PathBuf>,
    /// Built, skipped or failed.
    pub status: Status,
    /// Why it failed.
    pub error: Option<String>,
    /// Time spent on the spec in this batch, s.
    pub seconds: f64,
    /// Triangles of the mesh (built or skipped).
    pub triangles: Option<usize>,
    /// Struts of the network (built or skipped).
    pub struts: Option<usize>,
}

impl SpecOutcome {
    /// The error as one line naming the spec file: the message itself when it names the file
    /// already (spec errors do), else `<path>: <message>`. `None` unless failed.
    pub fn error_line(&self) -> Option<String> {
        let error = self.error.as_deref()?;
        let path = self.path.display().to_string();
        Some(if error.starts_with(&path) {
            error.to_string()
        } else {
            format!("{path}: {error}")
        })
    }
}

/// The result of [`run`], also written to [`summary_path`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    /// The shard this process built.
    pub shard: Shard,
    /// Specs in the whole list (all shards).
    pub total_specs: usize,
    /// Workers.
    pub jobs: usize,
    /// Whether up-to-date specs were rebuilt.
    pub force: bool,
    /// Wall time of the batch, s.
    pub seconds: f64,
    /// Specs built.
    pub built: usize,
    /// Specs skipped as up to date.
    pub skipped: usize,
    /// Specs that failed.
    pub failed: usize,
    /// This shard's specs, in list order.
    pub specs: Vec<SpecOutcome>,
}

impl BatchSummary {
    /// The summary as an aligned text table, one row per spec in list order, followed by the
    /// error of each failed spec and a totals line.
    pub fn table(&self) -> String {
        let dash = || "-".to_string();
        let rows: Vec<[String; 6]> = self
            .specs
            .iter()
            .map(|s| {
                [
                    s.status.as_str().to_string(),
                    s.name.clone().unwrap_or_else(dash),
                    format!("{:.1}", s.seconds),
                    s.triangles.map(|n| n.to_string()).unwrap_or_else(dash),
                    s.struts.map(|n| n.to_string()).unwrap_or_else(dash),
                    s.path.display().to_string(),
                ]
            })
            .collect();
        let header = ["status", "name", "seconds", "triangles", "struts", "spec"];
        let mut width = header.map(str::len);
        for row in &rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        // Text columns left-aligned, numbers right-aligned; the last column is not padded.
        let line = |cells: [&str; 6]| {
            let mut s = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let w = width[i];
                match i {
                    0 | 1 => s.push_str(&format!("{cell:<w$}  ")),
                    2..=4 => s.push_str(&format!("{cell:>w$}  ")),
                    _ => s.push_str(cell),
                }
            }
            s.push('\n');
            s
        };
        let mut out = line(header);
        for row in &rows {
            out.push_str(&line(row.each_ref().map(String::as_str)));
        }
        for line in self.specs.iter().filter_map(SpecOutcome::error_line) {
            out.push_str(&format!("failed {line}\n"));
        }
        let shard = if self.shard.count > 1 {
            format!(
                " (shard {}/{} of {} specs)",
                self.shard.index, self.shard.count, self.total_specs
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{} built, {} skipped, {} failed in {:.1} s{shard}\n",
            self.built, self.skipped, self.failed, self.seconds
        ));
        out
    }
}

/// The summary file of `shard` in `out_root`: [`SUMMARY_FILE`] for an unsharded batch,
/// `batch-summary-K-of-M.json` for shard K of M, so shards writing to one shared root do not
/// overwrite each other's summary.
pub fn summary_path(out_root: &Path, shard: Shard) -> PathBuf {
    if shard.count <= 1 {
        out_root.join(SUMMARY_FILE)
    } else {
        out_root.join(format!(
            "batch-summary-{}-of-{}.json",
            shard.index, shard.count
        ))
    }
}

/// What [`run`] tells about its progress. Methods are called from the worker threads, so
/// implementations must be `Sync`; all have empty defaults, and `()` ignores everything.
pub trait BatchProgress: Sync {
    /// Spec `index` (in [`Plan::specs`]) starts building (it loaded and is not up to date).
    fn started(&self, index: usize, name: &str) {
        let _ = (index, name);
    }
    /// Spec `index` enters a build stage (`cell`, `tile`, `mesh`, …).
    fn stage(&self, index: usize, name: &str, stage: &str) {
        let _ = (index, name, stage);
    }
    /// Spec `index` is done (built, skipped or failed).
    fn finished(&self, index: usize, outcome: &SpecOutcome) {
        let _ = (index, outcome);
    }
}

impl BatchProgress for () {}

/// The parts of a finished build's `report.json` that resume needs.
#[derive(Deserialize)]
struct FinishedReport {
    spec_digest: String,
    struts: Option<usize>,
    mesh: Option<FinishedMesh>,
}

#[derive(Deserialize)]
struct FinishedMesh {
    triangles: Option<usize>,
}

fn finished_report(out_dir: &Path, digest: &str) -> Option<FinishedReport> {
    let bytes = std::fs::read(out_dir.join("report.json")).ok()?;
    let report: FinishedReport = serde_json::from_slice(&bytes).ok()?;
    (report.spec_digest == digest).then_some(report)
}

/// Whether `out_dir` holds a finished build of a spec with `digest` ([`Spec::digest`]): its
/// `report.json` exists, parses and records that digest. A missing, unreadable or older
/// report means "not up to date".
pub fn is_up_to_date(out_dir: &Path, digest: &str) -> bool {
    finished_report(out_dir, digest).is_some()
}

/// Builds `plan`'s specs and writes the summary ([`summary_path`]).
///
/// `options.jobs` workers take the next spec from a shared counter; each spec is loaded,
/// checked for being up to date, and built into `<out_root>/<name>/` by [`build`]. A spec that
/// fails (including a panic inside its build) is recorded with its message; the others go on.
/// The summary lists the specs in plan order whatever the number of jobs.
///
/// # Errors
/// [`BatchError::Io`] when the output root cannot be created or the summary cannot be
/// written. Failed specs are not errors: see [`BatchSummary::failed`].
pub fn run(
    plan: &Plan,
    options: &BatchOptions,
    progress: &dyn BatchProgress,
) -> Result<BatchSummary, BatchError> {
    let start = Instant::now();
    std::fs::create_dir_all(&options.out_root).map_err(BatchError::io(&options.out_root))?;
    let next = AtomicUsize::new(0);
    let workers = options.jobs.get().min(plan.specs.len()).max(1);
    let mut slots: Vec<Option<SpecOutcome>> = vec![None; plan.specs.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(planned) = plan.specs.get(i) else {
                            break;
                        };
                        let outcome = run_one(i, planned, options, progress);
                        progress.finished(i, &outcome);
                        done.push((i, outcome));
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            // run_one catches build panics; a panic here is a bug of the batch itself.
            for (i, outcome) in handle.join().expect("batch worker panicked") {
                slots[i] = Some(outcome);
            }
        }
    });
    let specs: Vec<SpecOutcome> = slots
        .into_iter()
        .map(|s| s.expect("every spec has an outcome"))
        .collect();
    let count = |status| specs.iter().filter(|s| s.status == status).count();
    let summary = BatchSummary {
        shard: plan.shard,
        total_specs: plan.total,
        jobs: workers,
        force: options.rebuild == Rebuild::All,
        seconds: start.elapsed().as_secs_f64(),
        built: count(Status::Built),
        skipped: count(Status::Skipped),
        failed: count(Status::Failed),
        specs,
    };
    let path = summary_path(&options.out_root, plan.shard);
    let json = serde_json::to_vec_pretty(&summary).expect("summary serializes");
    crate::fsutil::atomic_write_bytes(&path, &json).map_err(BatchError::io(&path))?;
    Ok(summary)
}

/// Loads, checks and builds one spec; never fails, never panics.
fn run_one(
    index: usize,
    planned: &PlannedSpec,
    options: &BatchOptions,
    progress: &dyn BatchProgress,
) -> SpecOutcome {
    let start = Instant::now();
    let mut outcome = SpecOutcome {
        path: planned.path.clone(),
        name: planned.name.clone(),
        out: None,
        status: Status::Failed,
        error: None,
        seconds: 0.0,
        triangles: None,
        struts: None,
    };
    let finish = |mut o: SpecOutcome| {
        o.seconds = start.elapsed().as_secs_f64();
        o
    };
    let spec = match Spec::load(&planned.path) {
        Ok(spec) => spec,
        Err(e) => {
            outcome.error = Some(one_line(&e));
            return finish(outcome);
        }
    };
    let out = options.out_root.join(&spec.name);
    outcome.name = Some(spec.name.clone());
    outcome.out = Some(out.clone());
    if options.rebuild == Rebuild::Changed
        && let Some(report) = finished_report(&out, &spec.digest)
    {
        outcome.status = Status::Skipped;
        outcome.struts = report.struts;
        outcome.triangles = report.mesh.and_then(|m| m.triangles);
        return finish(outcome);
    }
    progress.started(index, &spec.name);
    let result = catch_unwind(AssertUnwindSafe(|| {
        build(&spec, &out, &|stage| {
            progress.stage(index, &spec.name, stage)
        })
    }));
    match result {
        Ok(Ok(report)) => {
            outcome.status = Status::Built;
            outcome.triangles = report.mesh.as_ref().map(|m| m.triangles);
            outcome.struts = Some(report.struts);
        }
        Ok(Err(e)) => outcome.error = Some(one_line(&e)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            outcome.error = Some(format!("the build panicked: {message}"));
        }
    }
    finish(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tf-batch-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn fixture_text() -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/specs/small_block.yaml"),
        )
        .unwrap()
    }

    #[test]
    fn shards_partition_the_list_exactly() {
        for len in 0..40 {
            for count in 1..9u64 {
                let mut covered = Vec::new();
                let mut sizes = Vec::new();
                for index in 0..count {
                    let r = shard_range(len, Shard { index, count });
                    sizes.push(r.len());
                    covered.extend(r);
                }
                assert_eq!(covered, (0..len).collect::<Vec<_>>(), "{len} in {count}");
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1, "balanced: {sizes:?}");
            }
        }
        assert_eq!(shard_range(5, Shard { index: 0, count: 2 }), 0..2);
        assert_eq!(shard_range(5, Shard { index: 1, count: 2 }), 2..5);
    }

    #[test]
    fn plans_of_two_shards_partition_a_folder() {
        let dir = temp("plan-shards");
        let text = fixture_text();
        for i in 0..5 {
            std::fs::write(
                dir.join(format!("p{i}.yaml")),
                text.replace("name: small-block", &format!("name: p{i}")),
            )
            .unwrap();
        }
        let whole = plan(std::slice::from_ref(&dir), Shard::WHOLE).unwrap();
        let a = plan(std::slice::from_ref(&dir), Shard { index: 0, count: 2 }).unwrap();
        let b = plan(std::slice::from_ref(&dir), Shard { index: 1, count: 2 }).unwrap();
        assert_eq!((a.total, b.total), (5, 5));
        let joined: Vec<_> = a.specs.iter().chain(&b.specs).cloned().collect();
        assert_eq!(joined, whole.specs);
        let names: Vec<_> = whole
            .specs
            .iter()
            .map(|s| s.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn collect_sorts_folders_dedups_and_names_missing_paths() {
        let dir = temp("collect");
        for f in ["b.yaml", "a.yml", "c.txt", ".hidden.yaml"] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        std::fs::create_dir(dir.join("sub.yaml")).unwrap();
        let explicit = dir.join("b.yaml");
        let found = collect_specs(&[explicit.clone(), dir.clone(), dir.join("./a.yml")]).unwrap();
        assert_eq!(found, [explicit, dir.join("a.yml")]);
        let missing = dir.join("nope.yaml");
        let err = collect_specs(&[dir.clone(), missing.clone()]).unwrap_err();
        assert!(matches!(&err, BatchError::NotFound { path } if *path == missing));
        assert!(err.to_string().contains("nope.yaml"), "{err}");
        let empty = dir.join("sub.yaml");
        assert!(matches!(
            collect_specs(&[empty]),
            Err(BatchError::NoSpecs { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn duplicate_names_are_an_error_naming_both_files() {
        let dir = temp("dup");
        let text = fixture_text();
        std::fs::write(dir.join("one.yaml"), &text).unwrap();
        std::fs::write(dir.join("two.yaml"), &text).unwrap();
        let err = plan(std::slice::from_ref(&dir), Shard::WHOLE).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("one.yaml") && msg.contains("two.yaml"),
            "{msg}"
        );
        assert!(msg.contains("small-block"), "{msg}");
        // Also when the two land in different shards: every shard refuses.
        assert!(plan(std::slice::from_ref(&dir), Shard { index: 1, count: 2 }).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn up_to_date_needs_a_report_with_the_same_digest() {
        let dir = temp("uptodate");
        assert!(!is_up_to_date(&dir, "abc"));
        std::fs::write(dir.join("report.json"), "{not json").unwrap();
        assert!(!is_up_to_date(&dir, "abc"));
        std::fs::write(dir.join("report.json"), r#"{"spec_digest": "abc"}"#).unwrap();
        assert!(is_up_to_date(&dir, "abc"));
        assert!(!is_up_to_date(&dir, "abd"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn error_lines_name_the_file_once() {
        let mut o = SpecOutcome {
            path: PathBuf::from("specs/a.yaml"),
            name: None,
            out: None,
            status: Status::Failed,
            error: Some("strut too thin".into()),
            seconds: 0.0,
            triangles: None,
            struts: None,
        };
        assert_eq!(o.error_line().unwrap(), "specs/a.yaml: strut too thin");
        o.error = Some("specs/a.yaml line 2: name = \"\"".into());
        assert_eq!(o.error_line().unwrap(), "specs/a.yaml line 2: name = \"\"");
        o.error = None;
        assert_eq!(o.error_line(), None);
    }

    #[test]
    fn table_columns_are_aligned() {
        let spec = |name: &str, status, triangles| SpecOutcome {
            path: PathBuf::from(format!("specs/{name}.yaml")),
            name: Some(name.into()),
            out: None,
            status,
            error: (status == Status::Failed).then(|| format!("specs/{name}.yaml line 3: boom")),
            seconds: 1.25,
            triangles,
            struts: triangles.map(|t| t / 10),
        };
        let summary = BatchSummary {
            shard: Shard::WHOLE,
            total_specs: 2,
            jobs: 1,
            force: false,
            seconds: 2.5,
            built: 1,
            skipped: 0,
            failed: 1,
            specs: vec![
                spec("a-long-name", Status::Built, Some(123456)),
                spec("b", Status::Failed, None),
            ],
        };
        let table = summary.table();
        let lines: Vec<&str> = table.lines().collect();
        // The spec column starts at the same place in the header and every row.
        let at = lines[0].find("spec").unwrap();
        assert_eq!(lines[1].find("specs/").unwrap(), at);
        assert_eq!(lines[2].find("specs/").unwrap(), at);
        // Numbers are right-aligned under their header.
        let end = lines[0].find("triangles").unwrap() + "triangles".len();
        assert_eq!(&lines[1][end - 6..end], "123456");
        assert_eq!(&lines[2][end - 1..end], "-");
        // An error that names its file is not prefixed with it again.
        assert!(
            table.contains("\nfailed specs/b.yaml line 3: boom\n"),
            "{table}"
        );
        assert!(table.ends_with("1 built, 0 skipped, 1 failed in 2.5 s\n"));
    }
}
