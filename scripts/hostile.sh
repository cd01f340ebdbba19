#!/usr/bin/env bash
# Hostile-input driver (issue 19): runs onechart on inputs meant to crash it, hang it, make it exit with the wrong
# code, leak what it should not read, or lose, delete or mix files; prints one Markdown table row per case.
# Usage: scripts/hostile.sh [ONECHART_BINARY] [TRIALS]   (default: target/release/onechart, 40 trials for the
# concurrency and kill cases). Needs bash, coreutils, timeout, mkfifo, sha256sum, strace. Run it against two builds to
# compare. Each run is bounded: 20 s per command, 2 GiB of address space, so a regression cannot take the machine
# down. Needs strace for the kill-at-each-rename case.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/target/release/onechart}")
trials=${2:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
ex_prod="$root/profiles/examples/prod-mysql.values.yaml"
limit=20

# run CMD...: runs a command bounded in time and memory; sets rc and secs ($work/out, $work/err hold its output).
run() {
  local start end
  start=$(date +%s%N)
  ( ulimit -v 2097152; exec timeout -s KILL "$limit" "$@" ) > "$work/out" 2> "$work/err"
  rc=$?
  end=$(date +%s%N)
  secs=$(awk "BEGIN { printf \"%.2f\", ($end - $start) / 1e9 }")
}

crashed() {
  if [ "$rc" -ge 128 ] && [ "$rc" != 137 ]; then return 0; fi
  grep -q -E 'panicked|internal error|memory allocation' "$work/err"
}
hang_limit=10
hung() { [ "$rc" = 137 ] || awk "BEGIN { exit !($secs > $hang_limit) }"; }

# row CASE WANT GOT VERDICT
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }

# verdict EXPECTED_RC [EXTRA_FAILURE_TEXT]: the verdict of the last run.
verdict() {
  if hung; then echo "hang (${secs} s)"
  elif crashed; then echo "crash (exit $rc)"
  elif [ -n "${2:-}" ]; then echo "$2"
  elif [ "$rc" != "$1" ]; then echo "wrong exit ($rc)"
  else echo ok
  fi
}

echo "| case | expected | got | verdict |"
echo "|---|---|---|---|"

# --- values: bounds and linear work ---------------------------------------------------------------------------
awk 'BEGIN { for (i = 0; i < 99000; i++) print "oned: {}" }' > dup.yaml
run "$bin" lint dup.yaml
row "99k duplicate keys (\`lint\`)" "exit 0 or 1, < 10 s" "exit $rc, ${secs} s" "$(verdict "$rc")"

awk 'BEGIN { for (i = 0; i < 99000; i++) printf "unknown%d: 1\n", i }' > unknown.yaml
run "$bin" lint unknown.yaml
row "99k unknown keys (\`lint\`)" "exit 1, < 10 s" "exit $rc, ${secs} s" "$(verdict 1)"

awk 'BEGIN { for (i = 0; i < 99000; i++) printf "unknown%d: 1  # onechart:ignore ONE100 testing\n", i }' > unknown-ign.yaml
run "$bin" lint unknown-ign.yaml
row "99k suppressed unknown keys (\`lint\`)" "exit 1 (ONE100 cannot be waived), < 10 s" "exit $rc, ${secs} s" "$(verdict 1)"

mkfifo fifo.yaml
hang_limit=12   # the pipe timeout is 10 s by design (ONECHART_PIPE_TIMEOUT)
run "$bin" lint fifo.yaml
row "FIFO without a writer (\`lint\`)" "exit 2 after the 10 s pipe timeout" "exit $rc, ${secs} s" "$(verdict 2)"
hang_limit=10

run "$bin" lint /dev/zero
row "\`/dev/zero\` (\`lint\`)" "exit 2" "exit $rc, ${secs} s" "$(verdict 2)"

run bash -c '"$0" lint <(head -c 20000000 /dev/zero | tr "\0" "#")' "$bin"
row "20 MB process substitution (\`lint <(...)\`)" "exit 2 (size limit)" "exit $rc, ${secs} s" "$(verdict 2)"

run bash -c '"$0" lint --manifests <(head -c 20000000 /dev/zero | tr "\0" "#")' "$bin"
row "20 MB process substitution (\`lint --manifests <(...)\`)" "exit 2 (size limit)" "exit $rc, ${secs} s" "$(verdict 2)"

args=()
for i in $(seq 1 2000); do args+=(--set "k${i}[65536]=x"); done
run "$bin" generate --profile dev-sqlite -o set-chart "${args[@]}"
row "2000 \`--set kN[65536]=x\`" "exit 2 (bounded)" "exit $rc, ${secs} s" "$(verdict 2)"

one=$(awk 'BEGIN { s = "a[65536]=1"; for (i = 0; i < 6000; i++) s = s ",a[" i "]=1"; print s }')
run "$bin" generate --profile dev-sqlite -o set-chart2 --set "$one"
row "6000 assignments into one 65k list (one \`--set\`)" "exit 1 or 2, < 10 s" "exit $rc, ${secs} s" "$(verdict "$rc")"

# --- values: findings that must not disappear ------------------------------------------------------------------
printf '"0": x\nauth:\n  oneadminPassword: changeme\n' > numeric.yaml
run "$bin" lint numeric.yaml
f=""; grep -q ONE011 "$work/out" || f="ONE011 hidden (exit $rc)"
row "numeric top-level key + default password (\`lint\`)" "exit 1, ONE011 reported" "exit $rc" "$(verdict 1 "$f")"

printf '"0": x  # onechart:ignore ONE100 testing\nauth:\n  oneadminPassword: changeme\n' > numeric-ign.yaml
run "$bin" lint numeric-ign.yaml
f=""; grep -q ONE011 "$work/out" || f="ONE011 hidden (exit $rc)"
row "suppressed numeric key + default password (\`lint\`)" "exit 1, ONE011 reported" "exit $rc" "$(verdict 1 "$f")"

printf 'unknownKey: 1  # onechart:ignore ONE100 testing\n' > sup.yaml
run "$bin" generate --profile dev-sqlite -f sup.yaml -o sup-chart
row "suppressed unknown key (\`generate\`)" "exit 1, nothing written" "exit $rc" "$(verdict 1)"

run "$bin" generate --profile dev-sqlite -o secret-chart --set auth.oneadminPassword=Canary-S3cret-4711
f=""; grep -rqs Canary-S3cret-4711 secret-chart && f="password written into the chart (exit $rc)"
row "\`--set auth.oneadminPassword=...\` (\`generate\`)" "exit 2, not in the chart" "exit $rc" "$(verdict 2 "$f")"

run "$bin" generate --profile prod-mysql -f "$ex_prod" -o secret-chart2 --set database.mysql.password=Canary-S3cret-4712
f=""; grep -rqs Canary-S3cret-4712 secret-chart2 && f="password written into the chart (exit $rc)"
row "\`--set database.mysql.password=...\` (\`generate\`)" "exit 2, not in the chart" "exit $rc" "$(verdict 2 "$f")"

printf 'oned:\n  <<: 1\n' > merge.yaml
run "$bin" lint merge.yaml
row "\`<<: 1\` (Helm refuses it)" "exit 2" "exit $rc" "$(verdict 2)"

printf '%%YAML 9.9\n---\noned: {}\n' > yaml99.yaml
run "$bin" lint yaml99.yaml
row "\`%YAML 9.9\` (Helm refuses it)" "exit 2" "exit $rc" "$(verdict 2)"

printf 'oned:\n  hostname: "\\e]0;pwned\\a\\e[2J"\nunknown\x1b[31mred: 1\n' > ctrl.yaml
run "$bin" lint --color never ctrl.yaml
f=""; grep -q -P '[\x00-\x08\x0b-\x1f\x7f]' "$work/out" "$work/err" && f="control characters reach the terminal"
row "control characters in keys and values (\`lint\`)" "escaped in human output" "exit $rc" "$(verdict 1 "$f")"

{ printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  a: |\n'; awk 'BEGIN { for (i = 0; i < 300000; i++) print "    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }'; } > big-manifest.yaml
run "$bin" lint --manifests big-manifest.yaml
f=""; grep -q "values file" "$work/err" && f="message says \"values files\" (exit $rc)"
row "9.9 MB manifest stream" "exit 0, 1 or 2 (limit message about manifests)" "exit $rc, ${secs} s" "$(verdict "$rc" "$f")"

cat > wrongtype.yaml <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: one}
spec:
  selector: {matchLabels: {app: one}}
  serviceName: one
  template:
    metadata: {labels: {app: one}}
    spec:
      containers:
        - name: oned
          image: opennebula:7.4.0
          ports: [{containerPort: "2633"}]
          securityContext: {privileged: true}
EOF
run "$bin" lint --manifests wrongtype.yaml
f=""; grep -q -i "not checked" "$work/out" "$work/err" || f="skipped without notice (exit $rc)"
row "workload with one wrongly typed field" "says it is not checked" "exit $rc" "$(verdict "$rc" "$f")"

# --- the chart directory ---------------------------------------------------------------------------------------
"$bin" -q generate --profile dev-sqlite -o base >/dev/null 2>&1

mkdir -p victim && echo "keep me" > victim/credentials
cp -a base sym1 && ln -s ../victim sym1/extras && echo "extras/credentials" >> sym1/.onechart-manifest
run "$bin" generate --profile dev-sqlite -o sym1
f=""; [ -f victim/credentials ] || f="deleted ../victim/credentials through the symlink (exit $rc)"
row "\`ln -s ../victim chart/extras\` + manifest entry (\`generate\`)" "exit 2, victim kept" "exit $rc" "$(verdict 2 "$f")"

cp -a base sym2 && ln -s /proc/self sym2/p && echo "p/environ" >> sym2/.onechart-manifest
export ONECHART_CANARY=Canary-Env-0815
run "$bin" generate --profile dev-sqlite -o sym2 --check
f=""; grep -q Canary-Env-0815 "$work/out" "$work/err" && f="printed the process environment (exit $rc)"
row "\`ln -s /proc/self chart/p\` + \`p/environ\` (\`generate --check\`)" "exit 2, nothing printed" "exit $rc" "$(verdict 2 "$f")"
unset ONECHART_CANARY

rm -rf victim && mkdir victim && echo "keep me" > victim/credentials
cp -a base sym3 && rm -rf sym3/templates && ln -s ../victim sym3/templates
run "$bin" generate --profile dev-sqlite -o sym3
f=""; [ "$(ls victim)" = credentials ] || f="wrote through the symlink into ../victim (exit $rc)"
row "\`templates\` is a symlink out of the chart (\`generate\`)" "exit 2, nothing written outside" "exit $rc" "$(verdict 2 "$f")"

# Reference trees of two different charts.
"$bin" -q generate --profile dev-sqlite -o ref-a >/dev/null 2>&1
"$bin" -q generate --profile prod-mysql -f "$ex_prod" -o ref-b >/dev/null 2>&1
# The checksums of a chart's files; Chart.yaml without its version and content hash, which follow the chart that
# was there before and the files kept beside it (so two runs of the same chart agree whatever came first).
sums() {
  (cd "$1" && find . \( -name '.onechart-new*' -o -name '.onechart-old*' \) -prune -o -type f ! -name '.onechart-journal*' -print \
    | LC_ALL=C sort | while IFS= read -r f; do
        if [ "$f" = ./Chart.yaml ]; then
          printf '%s  %s\n' "$(grep -v -e '^version: ' -e 'onechart.io/content-hash' "$f" | sha256sum | cut -d' ' -f1)" "$f"
        else
          sha256sum "$f"
        fi
      done)
}
a_sums=$(sums ref-a); b_sums=$(sums ref-b)

"$bin" -q generate --profile dev-sqlite -o ref-a2 --set oned.hostname=one.example >/dev/null 2>&1
a2_sums=$(sums ref-a2)
mixed=0; failed=0
for i in $(seq 1 "$trials"); do
  rm -rf conc && cp -a ref-a conc
  "$bin" -q generate --profile dev-sqlite -o conc --set oned.hostname=one.example >/dev/null 2>"c1.err" & p1=$!
  "$bin" -q generate --profile prod-mysql -f "$ex_prod" -o conc >/dev/null 2>"c2.err" & p2=$!
  wait $p1; r1=$?; wait $p2; r2=$?
  [ "$r1" = 0 ] && [ "$r2" = 0 ] || failed=$((failed + 1))
  s=$(sums conc)
  [ "$s" = "$b_sums" ] || [ "$s" = "$a2_sums" ] || mixed=$((mixed + 1))
done
row "$trials x two concurrent \`generate\` into one directory" "0 mixed (the second waits)" "$mixed mixed, $failed with an exit other than 0" "$([ "$mixed" = 0 ] && echo ok || echo "data mixed in $mixed")"

# Kill points spread evenly over the length of an uninterrupted run (measured here: mostly fsyncs), so every
# phase (staging, renames, cleanup) is hit.
rm -rf killdir && mkdir killdir && cp -a ref-a killdir/chart
t0=$(date +%s%N); "$bin" -q generate --profile prod-mysql -f "$ex_prod" -o killdir/chart >/dev/null 2>&1; t1=$(date +%s%N)
run_ms=$(( (t1 - t0) / 1000000 ))
delay() { awk "BEGIN { printf \"%.3f\", $run_ms * $1 / $trials / 1000 }"; }
# A chart to kill a run in: the old chart plus a file of the user's.
killdir() { rm -rf killdir && mkdir killdir && cp -a ref-a killdir/chart && echo mine > killdir/chart/user-file; }
# After a kill: the chart is whole (old or new), or mid-commit only while the journal says so and Chart.yaml is out
# (Helm refuses the directory); the next run writes the whole new chart, keeps the user's file, leaves no scratch.
after_kill() {
  local s
  s=$(sums killdir/chart | grep -v user-file)
  if [ "$s" != "$a_sums" ] && [ "$s" != "$b_sums" ]; then
    if ! { [ -e killdir/chart/.onechart-journal ] && [ ! -e killdir/chart/Chart.yaml ]; }; then broken=$((broken + 1)); fi
  fi
  "$bin" -q generate --profile prod-mysql -f "$ex_prod" -o killdir/chart >/dev/null 2>&1
  [ "$(sums killdir/chart | grep -v user-file)" = "$b_sums" ] && [ "$(cat killdir/chart/user-file)" = mine ] \
    || broken_after=$((broken_after + 1))
  [ "$(find killdir -name '*onechart-new*' -o -name '*onechart-old*' -o -name '.onechart-journal*' | wc -l)" = 0 ] \
    || leftovers=$((leftovers + 1))
}
kill_row() {
  row "$1" "whole old or new (or pending journal, no Chart.yaml); next run whole, no leftovers" \
    "$broken mixed after the kill, $broken_after not whole after the next run, $leftovers with staging left" \
    "$([ $((broken + broken_after + leftovers)) = 0 ] && echo ok || echo "data loss")"
}

broken=0; broken_after=0; leftovers=0
for i in $(seq 1 "$trials"); do
  killdir
  "$bin" -q generate --profile prod-mysql -f "$ex_prod" -o killdir/chart >/dev/null 2>&1 & p=$!
  sleep "$(delay "$i")"
  kill -KILL $p 2>/dev/null; wait $p 2>/dev/null
  after_kill
done
kill_row "$trials x SIGKILL during \`generate\` over a chart (kills spread over ${run_ms} ms)"

# SIGKILL at the Nth rename exactly (strace fault injection: no test hook needed, so the same for any build),
# for N over every rename of an uninterrupted run: the commit window, which timing hits only by chance.
renames=rename,renameat,renameat2
killdir
strace -f -qq -o "$work/renames" -e trace="$renames" "$bin" -q generate --profile prod-mysql -f "$ex_prod" -o killdir/chart >/dev/null 2>&1
total=$(grep -c rename "$work/renames")
broken=0; broken_after=0; leftovers=0
for n in $(seq 1 "$total"); do
  killdir
  strace -f -qq -o /dev/null -e trace="$renames" -e inject="$renames":signal=SIGKILL:when="$n" \
    "$bin" -q generate --profile prod-mysql -f "$ex_prod" -o killdir/chart >/dev/null 2>&1
  after_kill
done
kill_row "SIGKILL at each of the $total renames of \`generate\` over a chart"

left=0
for i in $(seq 1 "$trials"); do
  rm -rf newdir && mkdir newdir
  "$bin" -q generate --profile dev-sqlite -o newdir/chart >/dev/null 2>&1 & p=$!
  sleep "$(delay "$i")"
  kill -KILL $p 2>/dev/null; wait $p 2>/dev/null
  "$bin" -q generate --profile dev-sqlite -o newdir/chart >/dev/null 2>&1
  n=$(find newdir -name '*onechart-new*' -o -name '*onechart-old*' -o -name '.onechart-journal*' | wc -l)
  [ "$n" = 0 ] && [ "$(sums newdir/chart)" = "$a_sums" ] || left=$((left + 1))
done
row "$trials x SIGKILL during \`generate\` into a new directory" "next run whole, no staging left (parent included)" "$left with staging left or not whole" "$([ "$left" = 0 ] && echo ok || echo "leftovers")"
