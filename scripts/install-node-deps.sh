#!/usr/bin/env bash
# `npm ci` without compiling better-sqlite3 twice on one machine. No prebuilt binary can be downloaded here, so its
# install script (prebuild-install, else node-gyp) compiles SQLite from source: minutes of both cores. After the first
# compile the binary is packed as the very tarball prebuild-install would have downloaded, into a cache outside the
# checkout keyed by (better-sqlite3 version, node ABI, platform, arch); every later `npm ci` of any clone on this
# machine finds it there (npm_config_better_sqlite3_local_prebuilds) and unpacks it instead of compiling.
# prebuild-install loads the unpacked binary before it accepts it; a cached file that does not load falls back to the
# compile (the install script is `prebuild-install || node-gyp rebuild`), and the check below replaces the bad one.
# MULTIVERSE_PREBUILD_CACHE moves the cache (default ~/.cache/multiverse/prebuilds).
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MULTIVERSE_PREBUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/multiverse/prebuilds}"
version=$(node -p 'require("./package-lock.json").packages["node_modules/better-sqlite3"].version')
# The name prebuild-install asks for (glibc Linux has no libc part in it).
tarball="better-sqlite3-v${version}-node-v$(node -p process.versions.modules)-$(node -p process.platform)-$(node -p process.arch).tar.gz"
mkdir -p "$cache"

if [ -f "$cache/$tarball" ]; then
  echo "install-node-deps: better-sqlite3 ${version} from the local prebuild $cache/$tarball (no compile)" >&2
else
  echo "install-node-deps: better-sqlite3 ${version} is compiled from source once on this machine (several minutes), then kept in $cache" >&2
fi
npm_config_better_sqlite3_local_prebuilds="$cache" npm ci --no-audit --no-fund --loglevel=error

loads() { node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()' 2>/dev/null; }
if ! loads; then
  echo "install-node-deps: better-sqlite3 does not load after npm ci; compiling it" >&2
  rm -f "$cache/$tarball"
  npm rebuild better-sqlite3 --loglevel=error >/dev/null
  loads
fi
if [ ! -f "$cache/$tarball" ]; then
  # The same layout as a downloaded prebuild: build/Release/better_sqlite3.node, relative to the package.
  tmp="$cache/.$tarball.$$"
  tar -czf "$tmp" -C node_modules/better-sqlite3 build/Release/better_sqlite3.node
  mv -f "$tmp" "$cache/$tarball"
  echo "install-node-deps: kept the compiled binary as $cache/$tarball" >&2
fi
