#!/usr/bin/env bash
# Builds OpenNebula from its release source into the packaged layout (/usr/lib/one, /usr/share/one, /etc/one,
# /var/lib/one/remotes, /usr/bin), the stand-in for the chart's image in the real-OpenNebula test tier.
#
#   scripts/opennebula-build.sh 7.4.0 [7.2.0 ...]   prints, per release, the root of its packaged layout
#
# Source, first found: $ONECHART_ONE_SOURCE (a directory of one-release-TAG.tar.gz), ../shared/opennebula/
# (next to the checkout, or to the main checkout of a git worktree), else the tag's archive from OpenNebula's GitHub (what a user with internet access gets).
# The build is cached by the SHA-256 of the source archive and of this script, under
# ${ONECHART_CACHE:-$XDG_CACHE_HOME/onechart}/opennebula/: a second run costs nothing. Nothing of OpenNebula's
# source, nor anything built from it, is ever written into the project.
#
# Debian packages only (rubygems.org is not needed): the build tools, and the run-time stand-ins for
# opennebula-rubygems (Debian's ruby-* gems), MariaDB, sshd and HAProxy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ONECHART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/onechart}/opennebula
# Bump RECIPE when the build flags, packages or post-install steps change: it is part of the cache key.
RECIPE=r1

BUILD_PKGS=(scons g++ make pkg-config libxmlrpc-c++8-dev libsqlite3-dev libmariadb-dev libmariadb-dev-compat
  libxml2-dev libssl-dev zlib1g-dev libcurl4-openssl-dev ruby ruby-dev bison flex sqlite3)
RUN_PKGS=(ruby ruby-nokogiri ruby-xmlrpc ruby-sequel ruby-mysql2 ruby-sqlite3 ruby-treetop ruby-parse-cron
  ruby-ffi-rzmq libzmq5 ruby-sinatra ruby-webrick ruby-ipaddress ruby-json ruby-rack ruby-highline
  mariadb-server mariadb-client sqlite3 openssh-server openssh-client haproxy iproute2 procps curl
  util-linux xmlstarlet ruby-augeas genisoimage xorriso)

log() { echo "opennebula-build: $*" >&2; }

apt_install() {
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  # Keep apt from starting the daemons it installs (mariadb, ssh, haproxy): the tests start their own.
  local rc_made=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; rc_made=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
  [ -z "$rc_made" ] || rm -f /usr/sbin/policy-rc.d
}

source_archive() { # tag -> path of the source tarball
  local tag=$1 f
  if [ -n "${ONECHART_ONE_SOURCE:-}" ]; then
    f="$ONECHART_ONE_SOURCE/one-release-$tag.tar.gz"
    [ -f "$f" ] || { log "$f not found (ONECHART_ONE_SOURCE)"; exit 2; }
    echo "$f"; return
  fi
  # ../shared beside the checkout; for a git worktree, beside the main checkout.
  local common
  common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  for f in "$root/../shared/opennebula/one-release-$tag.tar.gz" \
           ${common:+"$common/../../shared/opennebula/one-release-$tag.tar.gz"}; do
    if [ -f "$f" ]; then echo "$f"; return; fi
  done
  mkdir -p "$cache/downloads"
  f="$cache/downloads/one-release-$tag.tar.gz"
  if [ ! -f "$f" ]; then
    log "downloading release-$tag from OpenNebula's GitHub"
    curl -fsSL --proto '=https' -o "$f.part" "https://github.com/OpenNebula/one/archive/refs/tags/release-$tag.tar.gz" \
      || { log "cannot download release-$tag: put one-release-$tag.tar.gz in \$ONECHART_ONE_SOURCE"; exit 2; }
    mv "$f.part" "$f"
  fi
  echo "$f"
}

build() { # tag
  local tag=$1 src sum dest work top
  src=$(source_archive "$tag") || exit 2
  sum=$(sha256sum "$src" | cut -c1-16)
  dest="$cache/$tag-$sum-$RECIPE"
  # The run-time stand-ins are checked on every call (a cached build does not install a package added since).
  apt_install "${RUN_PKGS[@]}"
  if [ -f "$dest/.complete" ]; then echo "$dest/root"; return; fi
  # One build per release at a time (parallel test binaries, or two checkouts sharing the cache).
  mkdir -p "$cache"
  exec 9>"$cache/.lock-$tag"
  flock 9
  if [ -f "$dest/.complete" ]; then exec 9>&-; echo "$dest/root"; return; fi
  apt_install "${BUILD_PKGS[@]}"
  rm -rf "$dest"; mkdir -p "$dest"
  work="$dest/src"; mkdir -p "$work"
  tar xzf "$src" -C "$work"
  top=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
  log "building release-$tag in $top (about 9 minutes on 2 cores)"
  local t0=$SECONDS
  ( cd "$top" && scons -j"$(nproc)" sqlite=yes mysql=yes grpc=no svncterm=no fireedge=no systemd=no \
      > "$dest/build.log" 2>&1 ) || { tail -30 "$dest/build.log" >&2; log "build of release-$tag failed"; exit 1; }
  # The packaged layout, owned by oneadmin (9869:9869) as OpenNebula's packages make it.
  ( cd "$top" && DESTDIR="$dest/root" ./install.sh -u 9869 -g 9869 > "$dest/install.log" 2>&1 ) || true
  [ -x "$dest/root/usr/bin/oned" ] || { tail -30 "$dest/install.log" >&2; log "install of release-$tag failed"; exit 1; }
  post_install "$dest/root" "$tag"
  rm -rf "$work"
  echo "release-$tag built in $((SECONDS - t0)) s from $src (sha256 $sum)" > "$dest/.complete"
  log "$(cat "$dest/.complete")"
  exec 9>&-
  echo "$dest/root"
}

# What OpenNebula's packages add around install.sh, with Debian's gems standing in for opennebula-rubygems.
post_install() { # root tag
  local r=$1
  # load_opennebula_paths.rb calls Gem.use_paths(<gems dir>), which hides Debian's rubygems-integration gems
  # (ffi, rexml...): give the gems dir Debian's specifications (real-opennebula.md).
  local gems="$r/usr/share/one/gems"
  mkdir -p "$gems/specifications" "$gems/gems"
  local d
  for d in /usr/share/rubygems-integration/all /usr/lib/x86_64-linux-gnu/rubygems-integration/*/ /var/lib/gems/*/; do
    [ -d "$d/specifications" ] || continue
    cp -n "$d"/specifications/*.gemspec "$gems/specifications/" 2>/dev/null || true
  done
  # The CLI's `require 'load_opennebula_paths'` needs it on Ruby's load path (the packages put it in site_ruby).
  if [ -f "$r/usr/lib/one/ruby/load_opennebula_paths.rb" ]; then
    mkdir -p "$r/usr/lib/ruby/vendor_ruby"
    ln -sf /usr/lib/one/ruby/load_opennebula_paths.rb "$r/usr/lib/ruby/vendor_ruby/load_opennebula_paths.rb"
  fi
  # systemd-tmpfiles' directories (share/pkgs/tmpfiles/opennebula-common.conf)
  install -d -o 9869 -g 9869 -m 0755 "$r/var/lock/one" "$r/var/log/one"
  install -d -o 9869 -g 9869 -m 0750 "$r/run/one"
}

[ "$#" -gt 0 ] || { echo "usage: $0 RELEASE... (for example 7.4.0)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { log "must run as root (Debian packages, files owned by 9869)"; exit 2; }
for tag in "$@"; do build "$tag"; done
