#!/usr/bin/env bash
# The full test suite, as CI runs it. Installs the pinned tools it needs first (scripts/install-tools.sh:
# Helm v3.17.3 and v4.1.4, kubernetes-validate, checkov, pre-commit, hadolint, shellcheck), then checks formatting and
# lints, then runs every test. Nothing is skipped: a missing tool fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tools.sh
cargo fmt --all -- --check
# The rule files are modules build.rs registers (src/lint/rules/mod.rs includes its list), which cargo fmt does not
# reach from the crate root.
rustfmt --edition 2024 --check src/lint/rules/*.rs
cargo clippy --all-targets --locked -- -D warnings
# CI=true makes insta refuse to write snapshots: a changed emitted file fails until reviewed and committed.
CI=true cargo test --locked --all-targets
