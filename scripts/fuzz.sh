#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz / libFuzzer) of the values path, manifest mode, --set parsing and the
# OpenNebula configuration readers.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 600 s; targets: values manifests set oneconf)
# Needs: cargo install cargo-fuzz. The stable toolchain runs it with RUSTC_BOOTSTRAP=1 (sanitizer flags).
# Seeds come from the lint fixtures and the shipped profiles; crashers land in fuzz/artifacts/<target>/ and
# belong, once fixed, in tests/fuzz_regressions/ (replayed by tests/it/hostile.rs).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(values manifests set oneconf)
mkdir -p corpus/values corpus/manifests corpus/set corpus/oneconf
cp ../tests/fixtures/lint/*/*.yaml ../profiles/examples/*.yaml corpus/values/ 2>/dev/null || true
for f in ../tests/fixtures/lint/*/*.yaml; do cp "$f" "corpus/values/$(basename "$(dirname "$f")")-$(basename "$f")"; done
for f in ../tests/fixtures/manifests/*/*.yaml; do cp "$f" "corpus/manifests/$(basename "$(dirname "$f")")-$(basename "$f")"; done
cp ../tests/fuzz_regressions/oneconf/* corpus/oneconf/
printf 'oned.replicas=3\ndatabase.backend=mysql\n' > corpus/set/seed1
printf 'datastores[0].name=a,datastores[0].type=image,datastores[0].tmMad=ceph\n' > corpus/set/seed2
printf 'ingress.annotations.a\\.b=c,x={1,2}\n' > corpus/set/seed3
for t in "${targets[@]}"; do
  echo "fuzzing $t for ${secs}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536
done
