//! The integration tests, one binary (one link, one incremental rebuild): one module per area.
//!
//! Run one area with `cargo test --test it <module>::` (for example `cargo test --test it scripts::`).
//! Snapshots live beside the tests in `tests/it/snapshots/`. The slow tier that runs real OpenNebula is a binary
//! of its own (`tests/real/`), so this one stays fast.

#[path = "../common/mod.rs"]
mod common;

mod chart_files;
mod checkov;
mod cli;
mod exposure;
mod helm;
mod hostile;
mod image;
mod inventory;
mod lint;
mod lint_whole;
mod manifests_input;
mod meta;
mod parity;
mod precision;
mod precommit;
mod properties;
mod rules;
mod scripts;
mod secrets;
mod set_parity;
