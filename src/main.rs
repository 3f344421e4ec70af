//! The `trussforge` command line: parses arguments, calls the library, prints, exits.
//!
//! Errors print one line of cause (with context) and exit with code 2.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        eprintln!("error: {}", cli::error_message(&e));
        std::process::exit(2);
    }
}
