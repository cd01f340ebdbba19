#!/usr/bin/env bash
# Benchmarks (never asserted in tests): onechart lint and generate next to helm lint/template of the same chart,
# and `helm template` of every profile's chart next to the `helm create` demo chart, in one hyperfine run; then
# the lint engine: `lint --manifests` of one rendered chart next to checkov and `helm template` of it, a platform
# stream of 500 charts (100 MB) and its linearity (50 to 500 charts, time and peak memory), and values lint next
# to the process's own start-up (`onechart --version`), also in instructions (valgrind, repeatable).
# Usage: benches/bench.sh            (needs hyperfine and valgrind: apt-get install hyperfine valgrind; tools
#                                     from scripts/install-tools.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh >/dev/null
cargo build --release --quiet
bin=$PWD/target/release/onechart
helm3=$PWD/.tools/bin/helm3
helm4=$PWD/.tools/bin/helm4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT; echo "work dir: $work" >&2

"$bin" generate --profile ha-raft -f profiles/examples/ha-raft.values.yaml -o "$work/ha" >/dev/null
for p in dev-sqlite prod-mysql ha-raft; do
  "$bin" generate --profile $p -f profiles/examples/$p.values.yaml -o "$work/$p" >/dev/null
done
(cd "$work" && "$helm3" create demo >/dev/null)
mkdir -p "$work/many"
for i in $(seq 1 1000); do
  sed "s/opennebula.example.com/fe$i.example.com/" profiles/examples/ha-raft.values.yaml \
    | sed "1i profile: ha-raft" > "$work/many/site$i.values.yaml"
done
one="$work/many/site1.values.yaml"

hyperfine -N --warmup 3 --runs 20 --export-json "$work/hf.json" \
  "$bin lint $one" \
  "$bin generate --profile ha-raft -f profiles/examples/ha-raft.values.yaml -o $work/gen --force" \
  "$helm3 lint $work/ha" \
  "$helm4 lint $work/ha" \
  "$helm3 template one $work/ha" >/dev/null
# hyperfine -N does not expand globs: the 1000-file run goes through a shell instead.
hyperfine --warmup 1 --runs 10 --export-json "$work/hf1000.json" "$bin lint $work/many/*.values.yaml" >/dev/null

# helm template: each profile's chart and the demo chart, both Helm versions, in one run (ratios within a run).
templates=()
for helm in "$helm3" "$helm4"; do
  for chart in demo dev-sqlite prod-mysql ha-raft; do templates+=("$helm template one $work/$chart"); done
done
hyperfine -N --warmup 3 --runs 30 --export-json "$work/hft.json" "${templates[@]}" >/dev/null

python3 - "$work/hft.json" <<'PY'
import json, sys
rows = {r["command"]: r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
print("| helm template | Helm 3.17.3 | ratio to demo | Helm 4.1.4 | ratio to demo |")
print("|---|---|---|---|---|")
def med(helm, chart):
    return next(v for k, v in rows.items() if f"/{helm} " in k and k.endswith(f"/{chart}"))
for chart in ["demo", "dev-sqlite", "prod-mysql", "ha-raft"]:
    cells = []
    for helm in ["helm3", "helm4"]:
        t, demo = med(helm, chart), med(helm, "demo")
        cells += [f"{t:.1f} ms", f"{t / demo:.2f}x"]
    name = "`helm create` demo" if chart == "demo" else chart
    print(f"| {name} | " + " | ".join(cells) + " |")
PY

python3 - "$work/hf.json" "$work/hf1000.json" <<'PY'
import json, sys
rows = {}
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        rows[r["command"]] = r["median"] * 1000
def find(word):
    return next(v for k, v in rows.items() if word(k))
lint1 = find(lambda k: " lint " in k and "site1.values.yaml" in k and "*" not in k and "helm" not in k)
lint1000 = find(lambda k: "*.values.yaml" in k)
gen = find(lambda k: " generate " in k)
h3lint = find(lambda k: "helm3 lint" in k)
h4lint = find(lambda k: "helm4 lint" in k)
h3tmpl = find(lambda k: "helm3 template" in k)
print("| command | median | ratio |")
print("|---|---|---|")
print(f"| onechart lint (1 values file) | {lint1:.1f} ms | helm3 lint / this = {h3lint/lint1:.1f}x |")
print(f"| onechart lint (1000 values files, one run) | {lint1000:.1f} ms | {lint1000/1000:.3f} ms per file |")
print(f"| onechart generate (ha-raft) | {gen:.1f} ms | helm3 template / this = {h3tmpl/gen:.1f}x |")
print(f"| helm lint (Helm 3.17.3) | {h3lint:.1f} ms | |")
print(f"| helm lint (Helm 4.1.4) | {h4lint:.1f} ms | |")
print(f"| helm template (Helm 3.17.3) | {h3tmpl:.1f} ms | |")
PY
# The lint engine. One rendered chart, next to checkov and helm template of it (one run, ratios within it).
checkov=$PWD/.tools/venv/bin/checkov
"$helm3" template one "$work/ha" > "$work/one.yaml"
hyperfine -N -i --warmup 1 --runs 5 --export-json "$work/hfm.json" \
  "$bin lint --manifests $work/one.yaml" \
  "$helm3 template one $work/ha" \
  "$checkov -f $work/one.yaml --framework kubernetes --skip-download --compact --quiet" >/dev/null
# A platform repository's stream: 500 charts (the three profiles, 500 releases) rendered into one file, ~100 MB,
# and its first 50, 100 and 200 charts.
for i in $(seq 1 500); do
  case $((i % 3)) in 0) c=dev-sqlite ;; 1) c=prod-mysql ;; 2) c=ha-raft ;; esac
  "$helm3" template "r$i" "$work/$c"
done > "$work/stream.yaml"
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
data = open(f"{w}/stream.yaml").read()
marker = "---\n# Source: opennebula/templates/serviceaccount.yaml"
charts = data.split(marker)
for n in (50, 100, 200, 500):
    open(f"{w}/s{n}.yaml", "w").write(charts[0] + "".join(marker + c for c in charts[1 : n + 1]))
PY
hyperfine -N --warmup 1 --runs 3 --export-json "$work/hfs.json" \
  "$bin lint -q --manifests $work/s50.yaml" "$bin lint -q --manifests $work/s100.yaml" \
  "$bin lint -q --manifests $work/s200.yaml" "$bin lint -q --manifests $work/s500.yaml" >/dev/null || true
# Values lint next to the process's own start-up.
hyperfine -N --warmup 20 --runs 300 --export-json "$work/hfv.json" "$bin --version" "$bin lint $one" >/dev/null
python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
def rows(f):
    return {r["command"]: r for r in json.load(open(f"{w}/{f}"))["results"]}
m = rows("hfm.json")
def med(d, word):
    return next(r for k, r in d.items() if word in k)
lint, tmpl, ck = med(m, " lint "), med(m, " template "), med(m, "checkov")
print("| one rendered ha-raft chart (%d KB) | median | user + system CPU | ratio |" % (os.path.getsize(f"{w}/one.yaml") // 1024))
print("|---|---|---|---|")
for name, r in [("onechart lint --manifests", lint), ("helm template (3.17.3)", tmpl), ("checkov 3.3.30", ck)]:
    print(f"| {name} | {r['median']*1000:.1f} ms | {(r['user']+r['system'])*1000:.1f} ms | {r['median']/lint['median']:.1f}x |")
s = rows("hfs.json")
print()
print("| platform stream | size | median | per chart |")
print("|---|---|---|---|")
for n in (50, 100, 200, 500):
    r = med(s, f"/s{n}.yaml")
    size = os.path.getsize(f"{w}/s{n}.yaml") / 1e6
    print(f"| {n} charts | {size:.0f} MB | {r['median']:.2f} s | {r['median']/n*1000:.1f} ms |")
v = rows("hfv.json")
ver, lv = med(v, "--version"), med(v, " lint ")
cpu = lambda r: (r["user"] + r["system"]) * 1000
print()
print("| values lint | CPU (user + system) | ratio to start-up |")
print("|---|---|---|")
print(f"| onechart --version | {cpu(ver):.2f} ms | 1.00x |")
print(f"| onechart lint (1 values file) | {cpu(lv):.2f} ms | {cpu(lv)/cpu(ver):.2f}x |")
PY
for n in 50 100 200 500; do
  /usr/bin/time -f "peak RSS %M KiB: lint --manifests of $n charts" "$bin" lint -q --manifests "$work/s$n.yaml" >/dev/null 2>"$work/time" || true
  tail -1 "$work/time"
done
for cmd in "$bin --version" "$bin lint $one" "$bin lint --manifests $work/one.yaml"; do
  n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null $cmd 2>&1 >/dev/null | sed -n 's/.*refs: *//p')
  echo "instructions $n: ${cmd#"$PWD"/}"
done
for cmd in "$bin lint $one" "$bin generate --profile ha-raft -f profiles/examples/ha-raft.values.yaml -o $work/gen --force"; do
  /usr/bin/time -f "peak RSS %M KiB: ${cmd#"$PWD"/}" $cmd >/dev/null 2>"$work/time" || true
  tail -1 "$work/time"
done
bash -c "/usr/bin/time -f 'peak RSS %M KiB: lint 1000 files' $bin lint $work/many/*.values.yaml >/dev/null" 2>&1 | tail -1
