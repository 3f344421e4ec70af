//! Integration tests: one binary (see Cargo.toml `autotests = false`).

mod build;
mod cli;
mod common;
mod graded;
