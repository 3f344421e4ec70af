//! One build of the suite: a child `trussforge build`, its peak resident memory from
//! `wait4`'s resource usage, and the figures of its `report.json`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use super::generate::GeneratedSpec;

/// How one spec's build ended and what it measured.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Spec name.
    pub name: String,
    /// The domain, in words.
    pub domain: String,
    /// Base material.
    pub material: String,
    /// `built`, `failed`, `timed out` or `crashed`.
    pub status: String,
    /// The last line of the error (failed builds).
    pub error: Option<String>,
    /// Wall time, s.
    pub wall_s: f64,
    /// Peak resident memory of the build, MiB.
    pub peak_rss_mib: f64,
    /// Struts of the network.
    pub struts: Option<u64>,
    /// Nodes of the network.
    pub nodes: Option<u64>,
    /// `implant.stl` bytes per strut.
    pub stl_bytes_per_strut: Option<f64>,
    /// Shells of the written mesh.
    pub shells: Option<u64>,
    /// Mesher used (`explicit` / `implicit`).
    pub mesher: Option<String>,
    /// Nodes meshed in local implicit patches / all nodes.
    pub patched_share: Option<f64>,
    /// Per point: where its target came from, the design's and the built error (relative
    /// Frobenius), its tolerance.
    pub points: Vec<PointOutcome>,
}

/// One control point's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PointOutcome {
    /// `design ρ=…` or `bone k`.
    pub target: String,
    /// The chosen design's FE error against the target.
    pub design_error: Option<f64>,
    /// The built error (window of the network, else the cut-out cell) against the target.
    pub built_error: Option<f64>,
    /// The tolerance.
    pub tolerance: Option<f64>,
    /// Cell size, mm.
    pub cell_size_mm: Option<f64>,
    /// Whether the point kept a core.
    pub core: Option<bool>,
}

/// Builds `spec` into `out` with the executable `exe` (killed after `timeout_s`), and reads
/// what it wrote.
pub fn build_and_measure(
    exe: &Path,
    spec_path: &Path,
    out: &Path,
    spec: &GeneratedSpec,
    timeout_s: f64,
) -> anyhow::Result<Outcome> {
    let log = out.with_extension("log");
    let log_file =
        std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let start = Instant::now();
    let child = Command::new(exe)
        .arg("build")
        .arg(spec_path)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let (status, peak_rss_mib) = wait_with_usage(child.id(), start, timeout_s)?;
    let wall_s = start.elapsed().as_secs_f64();
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let mut outcome = Outcome {
        name: spec.name.clone(),
        domain: spec.domain.clone(),
        material: spec.material.into(),
        status: status.to_string(),
        error: None,
        wall_s,
        peak_rss_mib,
        struts: None,
        nodes: None,
        stl_bytes_per_strut: None,
        shells: None,
        mesher: None,
        patched_share: None,
        points: spec
            .targets
            .iter()
            .map(|t| PointOutcome {
                target: t.clone(),
                design_error: None,
                built_error: None,
                tolerance: None,
                cell_size_mm: None,
                core: None,
            })
            .collect(),
    };
    if status != Status::Built {
        outcome.error = stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("error"))
            .map(str::to_owned);
        return Ok(outcome);
    }
    let report = std::fs::read_to_string(out.join("report.json"))
        .with_context(|| format!("reading {}/report.json", out.display()))?;
    let report: Value = serde_json::from_str(&report).context("parsing report.json")?;
    read_report(&report, &mut outcome);
    Ok(outcome)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Built,
    Failed,
    TimedOut,
    Crashed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Built => "built",
            Self::Failed => "failed",
            Self::TimedOut => "timed out",
            Self::Crashed => "crashed",
        })
    }
}

/// Waits for the child `pid` (polling, so it can be killed after `timeout_s`), reaping it
/// with `wait4` for its own peak resident memory (MiB).
fn wait_with_usage(pid: u32, start: Instant, timeout_s: f64) -> anyhow::Result<(Status, f64)> {
    let pid = libc::pid_t::try_from(pid).context("child pid")?;
    let mut timed_out = false;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: `rusage` is plain old data, zero is a valid value; `wait4` writes it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointers to locals; `pid` is our own child, not yet reaped.
        let r = unsafe { libc::wait4(pid, &raw mut status, libc::WNOHANG, &raw mut usage) };
        if r == pid {
            // ru_maxrss is in KiB on Linux.
            let rss = usage.ru_maxrss as f64 / 1024.0;
            let s = if timed_out {
                Status::TimedOut
            } else if libc::WIFEXITED(status) {
                if libc::WEXITSTATUS(status) == 0 {
                    Status::Built
                } else {
                    Status::Failed
                }
            } else {
                Status::Crashed
            };
            return Ok((s, rss));
        }
        if r < 0 {
            return Err(std::io::Error::last_os_error()).context("waiting for the build");
        }
        if !timed_out && start.elapsed().as_secs_f64() > timeout_s {
            // SAFETY: signalling our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            timed_out = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_report(report: &Value, outcome: &mut Outcome) {
    let u = |v: &Value| v.as_u64();
    outcome.struts = u(&report["struts"]);
    outcome.nodes = u(&report["nodes"]);
    outcome.shells = u(&report["mesh"]["check"]["shells"]);
    outcome.mesher = report["mesh"]["mesher"]["method"]
        .as_str()
        .map(str::to_owned);
    let patched = u(&report["mesh"]["mesher"]["local"]["nodes"]).unwrap_or(0);
    outcome.patched_share = outcome.nodes.map(|n| patched as f64 / n.max(1) as f64);
    outcome.stl_bytes_per_strut = report["files"].as_array().and_then(|files| {
        files
            .iter()
            .find(|f| f["name"] == "implant.stl")
            .and_then(|f| f["bytes_per_strut"].as_f64())
    });
    let Some(points) = report["graded"]["control_points"].as_array() else {
        return;
    };
    for (p, o) in points.iter().zip(&mut outcome.points) {
        o.design_error = p["design_vs_target"]["rel_frobenius"].as_f64();
        o.built_error = p["window"]["vs_target"]["rel_frobenius"]
            .as_f64()
            .or_else(|| p["graded_vs_target"]["rel_frobenius"].as_f64());
        o.tolerance = p["tolerance"].as_f64();
        o.cell_size_mm = p["cell_size_mm"].as_f64();
        o.core = Some(!p["core"]["half_cells"].is_null());
    }
}

impl Outcome {
    /// The table's header.
    pub fn header() -> String {
        format!(
            "{:<9} {:<32} {:<10} {:>7} {:>7} {:>8} {:>7} {:>6} {:>7}  points (design → built error)",
            "spec", "domain", "status", "wall s", "RSS MB", "struts", "B/strut", "shells", "patch%"
        )
    }

    /// One row of the table (and the error line of a failed build).
    pub fn row(&self) -> String {
        let opt = |v: Option<f64>, digits: usize| v.map_or("-".into(), |x| format!("{x:.digits$}"));
        let points: Vec<String> = self
            .points
            .iter()
            .map(|p| {
                let mark = match (p.built_error, p.tolerance) {
                    (Some(b), Some(t)) if b <= t => "",
                    (Some(_), Some(_)) => "!",
                    _ => "",
                };
                format!("{}→{}{mark}", opt(p.design_error, 3), opt(p.built_error, 3))
            })
            .collect();
        let mut row = format!(
            "{:<9} {:<32} {:<10} {:>7.1} {:>7.0} {:>8} {:>7} {:>6} {:>7}  {}",
            self.name,
            format!("{}, {}", self.domain, short_material(&self.material)),
            self.status,
            self.wall_s,
            self.peak_rss_mib,
            self.struts.map_or("-".into(), |s| s.to_string()),
            opt(self.stl_bytes_per_strut, 0),
            self.shells.map_or("-".into(), |s| s.to_string()),
            opt(self.patched_share.map(|s| 100.0 * s), 2),
            points.join(" ")
        );
        if let Some(e) = &self.error {
            row.push_str(&format!("\n          {e}"));
        }
        row
    }
}

fn short_material(m: &str) -> &str {
    if m.starts_with("Ti-6") {
        "Ti64"
    } else {
        "β-Ti"
    }
}

/// The suite's summary: builds, budgets, points within tolerance.
pub fn summary(outcomes: &[Outcome]) -> String {
    let built: Vec<&Outcome> = outcomes.iter().filter(|o| o.status == "built").collect();
    let one_shell = built.iter().filter(|o| o.shells == Some(1)).count();
    let in_budget = built
        .iter()
        .filter(|o| {
            let struts = o.struts.unwrap_or(0);
            let (t, m) = if struts <= 50_000 {
                (60.0, 2048.0)
            } else {
                (300.0, 6144.0)
            };
            o.wall_s <= t && o.peak_rss_mib <= m
        })
        .count();
    let points: Vec<&PointOutcome> = outcomes.iter().flat_map(|o| &o.points).collect();
    let within = points
        .iter()
        .filter(|p| matches!((p.built_error, p.tolerance), (Some(b), Some(t)) if b <= t))
        .count();
    let exact: Vec<&&PointOutcome> = points
        .iter()
        .filter(|p| p.target.starts_with("design"))
        .collect();
    let exact_within = exact
        .iter()
        .filter(|p| matches!((p.built_error, p.tolerance), (Some(b), Some(t)) if b <= t))
        .count();
    let patched = built
        .iter()
        .filter_map(|o| o.patched_share)
        .fold(0.0, f64::max);
    let bytes = built
        .iter()
        .filter_map(|o| o.stl_bytes_per_strut)
        .fold(0.0, f64::max);
    let implicit = built
        .iter()
        .filter(|o| o.mesher.as_deref() == Some("implicit"))
        .count();
    let mut walls: Vec<f64> = built.iter().map(|o| o.wall_s).collect();
    walls.sort_by(f64::total_cmp);
    let median = walls.get(walls.len() / 2).copied().unwrap_or(f64::NAN);
    format!(
        "summary: {} specs, {} built ({} one shell, {} within the time/memory budgets, {} \
         whole-network implicit), {} failed or timed out\n\
         control points within tolerance: {within}/{} (targets with an exact answer: \
         {exact_within}/{})\n\
         largest patched share {:.2} %, largest STL {:.0} B/strut, median wall {:.1} s",
        outcomes.len(),
        built.len(),
        one_shell,
        in_budget,
        implicit,
        outcomes.len() - built.len(),
        points.len(),
        exact.len(),
        100.0 * patched,
        bytes,
        median
    )
}
