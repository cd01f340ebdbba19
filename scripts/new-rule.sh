#!/usr/bin/env bash
# Scaffolds a lint rule: its file in src/lint/rules/ (build.rs registers it: no other file to edit) and its
# fixtures, tests/fixtures/lint/<ID>/{bad,ok}.yaml (values) and, with --manifests, tests/fixtures/manifests/<ID>/.
# The tests fail until the TODOs are written (the failing fixture's `# expect:` line, the docs, the check).
# Usage: scripts/new-rule.sh ONE055 kebab-case-name Warning|Error|ErrorInProduction|OnlyInProduction [--manifests]
# See CONTRIBUTING.md, Adding a rule.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
id=$1 name=$2 level=$3 manifests=${4:-}
[[ $id =~ ^ONE[0-9]{3}$ ]] || { echo "error: the ID is ONE and three digits: $id" >&2; exit 2; }
[[ $name =~ ^[a-z][a-z0-9-]*$ ]] || { echo "error: the name is kebab-case and names the bad pattern: $name" >&2; exit 2; }
case $level in Warning|Error|ErrorInProduction|OnlyInProduction) ;; *) echo "error: unknown level $level" >&2; exit 2;; esac
if grep -rqs "id: \"$id\"" src/lint/rules/ || grep -rqs "name: \"$name\"" src/lint/rules/; then
  echo "error: $id or $name is taken (IDs and names are never reused: onechart rules)" >&2
  exit 2
fi
module=${name//-/_}
file=src/lint/rules/$module.rs
[ -e "$file" ] && { echo "error: $file exists" >&2; exit 2; }
if [ "$manifests" = "--manifests" ]; then
  manifest_doc='/// Checked: TODO (what the check looks for in rendered manifests).'
  manifest_decl='        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "TODO: how to fix it in a chart onechart did not write.",'
  manifest_fn='
/// TODO: the check of rendered manifests; `d` is the stream analysed once (objects, files, mounts, components).
fn check_manifests(d: &ManifestCtx<'"'"'_>) -> Vec<ManifestHit> {
    let _ = d;
    Vec::new()
}'
  manifest_use='use crate::lint::ManifestHit;
use crate::manifest::ManifestCtx;
'
else
  manifest_doc='/// No manifest check: TODO (why rendered manifests cannot show it).'
  manifest_decl=''
  manifest_fn=''
  manifest_use=''
fi
cat > "$file" <<RUST
//! $id \`$name\`: TODO one-line summary.

use crate::declare_rule;
${manifest_use}use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// TODO: what values (and manifests) it flags.
///
/// ## Why is this bad?
/// TODO: what goes wrong, citing OpenNebula's source (\`OpenNebula/one@release-X.Y.Z:path:line\`).
///
/// ## In rendered manifests
$manifest_doc
///
/// ## Example
/// \`\`\`yaml
/// TODO: values that trigger it
/// \`\`\`
///
/// Use instead:
/// \`\`\`yaml
/// TODO: the fix
/// \`\`\`
    pub static $id = {
        id: "$id",
        name: "$name",
        level: $level,
        summary: "TODO one-line summary",
        fix: "TODO: one sentence saying what to change.",
        check: check,
$manifest_decl
    }
}

/// TODO: the check of merged values (\`ctx.values\` is the typed model once the values pass the schema).
fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let _ = v;
    Vec::new()
}
$manifest_fn
RUST
rustfmt --edition 2024 "$file"
mkdir -p "tests/fixtures/lint/$id"
printf '# expect: %s %s bad.yaml:LINE:COLUMN\n# TODO: values that trigger %s at that line and column\n' "$id" "$(echo "$level" | sed 's/ErrorInProduction/warning/;s/OnlyInProduction/error/;s/Error/error/;s/Warning/warning/')" "$id" > "tests/fixtures/lint/$id/bad.yaml"
printf '# %s stays silent here, and so does every other rule.\n# TODO: the same values, fixed\n' "$id" > "tests/fixtures/lint/$id/ok.yaml"
if [ "$manifests" = "--manifests" ]; then
  mkdir -p "tests/fixtures/manifests/$id"
  printf '# expect: %s error bad.yaml:LINE:COLUMN\n# TODO: a rendered OpenNebula deployment that shows the problem\n' "$id" > "tests/fixtures/manifests/$id/bad.yaml"
  printf '# TODO: the same deployment, fixed (%s silent)\n' "$id" > "tests/fixtures/manifests/$id/ok.yaml"
fi
echo "created $file and tests/fixtures/lint/$id/${manifests:+ and tests/fixtures/manifests/$id/}"
echo "next: write the TODOs, then \`onechart rules --format markdown > docs/rules.md\` and \`cargo test --test it rules::\`"
