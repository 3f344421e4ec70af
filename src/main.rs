//! The `trussforge` command line: parses arguments, calls the library, prints, exits.
//!
//! Errors print one line, the error and its causes joined by `: `, and exit with code 2.
//! SIGINT (Ctrl-C) and SIGTERM remove what the interrupted command had not finished (staging
//! folders, temporary files: [`trussforge::cleanup`]) and exit with 130 and 143.
// No function of the command line may exceed `clippy.toml`'s line limit.
#![deny(clippy::too_many_lines)]

mod cli;

use anyhow::Context;
use clap::Parser;

fn main() {
    if let Err(e) = handle_interruptions() {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

/// Starts the thread that, on SIGINT or SIGTERM, removes the unfinished outputs this process
/// owns and exits with 128 + the signal number. The signal handler itself only wakes that
/// thread (signal-hook's self-pipe), so the cleanup runs in an ordinary thread.
fn handle_interruptions() -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("installing the SIGINT/SIGTERM handler")?;
    std::thread::Builder::new()
        .name("interrupt".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let removed = trussforge::cleanup::remove_owned();
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                eprintln!(
                    "\ninterrupted ({name}): removed {} unfinished output(s); finished outputs \
                     are kept",
                    removed.len()
                );
                std::process::exit(128 + signal);
            }
        })
        .context("starting the interruption thread")?;
    Ok(())
}
