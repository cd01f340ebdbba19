#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz / libFuzzer) of the values path, manifest mode, --set parsing and the
# OpenNebula configuration readers.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 600 s; targets: values manifests set oneconf)
#        scripts/fuzz.sh --total SECONDS [TARGET...]         (the targets share SECONDS of fuzzing)
# Not run by CI (its instrumented release build takes about 7 minutes on 2 cores): scripts/test.sh runs the bounded
# random fuzz of the same entry points in the test binary instead (tests/it/hostile.rs). Run this before a release.
# Needs cargo-fuzz: `scripts/install-tools.sh cargo-fuzz` puts the pinned one in .tools/bin (done here first). It runs on the stable toolchain:
# RUSTC_BOOTSTRAP=1 lets stable rustc take the -Z flags cargo-fuzz passes; no nightly is needed. The sanitizer is
# off by default (FUZZ_SANITIZER=address to turn AddressSanitizer on): onechart forbids unsafe code, so what is
# left to find is panics, hangs and runaway memory, which libFuzzer reports without it, and the build is faster.
# A single input running longer than 10 s is a failure (-timeout): a hang is a bug, like a panic.
# Seeds come from the lint fixtures and the shipped profiles; crashers land in fuzz/artifacts/<target>/ and
# belong, once fixed, in tests/fuzz_regressions/ (replayed by tests/it/hostile.rs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-tools.sh" cargo-fuzz
cd "$root/fuzz"
export PATH="$root/.tools/bin:$PATH"
san=${FUZZ_SANITIZER:-none}
total=
if [ "${1:-}" = --total ]; then
  total=${2:?--total needs a number of seconds}
  shift 2
fi
secs=600
if [ -z "$total" ]; then
  secs=${1:-600}
  shift || true
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(values manifests set oneconf)
if [ -n "$total" ]; then
  secs=$((total / ${#targets[@]}))
  [ "$secs" -ge 1 ] || secs=1
fi
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
  RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer "$san" "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -timeout=10
done
