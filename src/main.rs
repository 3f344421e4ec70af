//! The `trussforge` command line: parses arguments, calls the library, prints, exits.
//!
//! Errors print one line, the error and its causes joined by `: `, and exit with code 2.
// No function of the command line may exceed `clippy.toml`'s line limit.
#![deny(clippy::too_many_lines)]

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}
