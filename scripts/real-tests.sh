#!/usr/bin/env bash
# The real-OpenNebula tier (tests/real/): builds OpenNebula from its release source for each release (cached by
# source checksum: scripts/opennebula-build.sh), then runs every scenario of the tier on each, with the timings of
# every step printed.
#
#   scripts/real-tests.sh                 the releases in ONECHART_REAL_RELEASES, default 7.4.0
#   scripts/real-tests.sh 6.10.5 7.0.2    the same scenarios on other releases
#   scripts/real-tests.sh 7.4.0 -- dev_sqlite   only the scenarios whose name matches (cargo test filter)
#
# Needs root (network and mount namespaces, veth pairs) and Debian's packages (the build script installs them);
# it fails, never skips, when either is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "real-tests: the real-OpenNebula tier must run as root" >&2; exit 2; }
releases=()
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do releases+=("$1"); shift; done
[ "${1:-}" != -- ] || shift
if [ "${#releases[@]}" -eq 0 ]; then read -ra releases <<< "${ONECHART_REAL_RELEASES:-7.4.0}"; fi
start=$SECONDS
scripts/opennebula-build.sh "${releases[@]}" > /dev/null
echo "real-tests: OpenNebula ${releases[*]} built (or cached) in $((SECONDS - start)) s"
ONECHART_REAL_RELEASES="${releases[*]}" cargo test --locked --test real -- --nocapture "$@"
