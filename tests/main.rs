//! Integration tests: one binary (see Cargo.toml `autotests = false`).

mod batch;
mod build;
mod cli;
mod common;
mod fuzz;
mod graded;
mod interrupt;
mod layering;
mod predict;
mod simulate;
