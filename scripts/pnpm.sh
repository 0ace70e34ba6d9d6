#!/bin/sh
# pnpm without a global install: the version pinned in package.json's packageManager, fetched
# from the npm registry by npx (cached after the first run).
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
exec npx --yes "pnpm@$version" "$@"
