#!/usr/bin/env bash
# Benchmarks (never asserted in tests): onechart lint and generate next to helm lint/template of the same chart,
# and `helm template` of every profile's chart next to the `helm create` demo chart, in one hyperfine run.
# Usage: benches/bench.sh            (needs hyperfine: apt-get install hyperfine; tools from scripts/install-tools.sh)
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
for cmd in "$bin lint $one" "$bin generate --profile ha-raft -f profiles/examples/ha-raft.values.yaml -o $work/gen --force"; do
  /usr/bin/time -f "peak RSS %M KiB: ${cmd#"$PWD"/}" $cmd >/dev/null 2>"$work/time" || true
  tail -1 "$work/time"
done
bash -c "/usr/bin/time -f 'peak RSS %M KiB: lint 1000 files' $bin lint $work/many/*.values.yaml >/dev/null" 2>&1 | tail -1
