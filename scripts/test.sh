#!/usr/bin/env bash
# The full test suite, as CI runs it. Installs the pinned tools it needs first (scripts/install-tools.sh:
# Helm v3.17.3 and v4.1.4, kubernetes-validate, checkov, pre-commit, hadolint, shellcheck), then checks formatting and
# lints, then runs every test. Nothing is skipped: a missing tool fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tools.sh
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# CI=true makes insta refuse to write snapshots: a changed emitted file fails until reviewed and committed.
CI=true cargo test --locked --all-targets
# Coverage-guided fuzzing, bounded: every target for ONECHART_FUZZ_SECONDS (60 s) on the stable toolchain; a panic,
# a hang (one input over 10 s) or runaway memory fails the run. (tests/hostile.rs also runs a bounded random fuzz of
# the same entry points in every `cargo test`.)
scripts/fuzz.sh "${ONECHART_FUZZ_SECONDS:-60}"
