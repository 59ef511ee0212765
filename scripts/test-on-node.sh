#!/usr/bin/env bash
# Runs the whole test suite on another Node major (default 24), leaving this tree as it is:
#   bash scripts/test-on-node.sh [major] [-- npm test arguments, e.g. -- crypto]
# Node comes from the npm registry (the node-<platform>-<arch> package: the binary and its headers),
# so nothing but the registry `npm ci` uses is needed. better-sqlite3 is native: a copy of the tree,
# sharing node_modules by hard links, gets its own better-sqlite3 built for that Node's ABI, so the
# install in this tree stays usable by this machine's Node, and by processes running from it.
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-24}"
[ "$#" -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

platform="$(node -p 'process.platform + "-" + process.arch')"
(cd "$work" && npm pack --silent "node-${platform}@${major}" >/dev/null && tar -xzf node-*.tgz && mv package node)
node_bin="$work/node/bin/node"
echo "Node $("$node_bin" --version) from the npm registry (node-${platform})"

tree="$work/tree"
mkdir "$tree"
tar --exclude=./node_modules --exclude=./.git --exclude=./data -cf - . | tar -xf - -C "$tree"
cp -al node_modules "$tree/node_modules"
rm -rf "$tree/node_modules/better-sqlite3"
cp -a node_modules/better-sqlite3 "$tree/node_modules/better-sqlite3"
# The public test vectors live beside the repository, in ../shared.
[ -d ../shared ] && ln -s "$(cd ../shared && pwd)" "$work/shared"

# node-gyp as npm ships it; the headers of the downloaded Node decide the ABI.
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
started=$SECONDS
(cd "$tree/node_modules/better-sqlite3" &&
  "$node_bin" "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" rebuild --release --nodedir="$work/node" \
    >"$work/better-sqlite3-build.log" 2>&1) || {
  cat "$work/better-sqlite3-build.log"
  echo "could not build better-sqlite3 for Node ${major}" >&2
  exit 1
}
echo "better-sqlite3 built for Node ${major} in $((SECONDS - started)) s"

cd "$tree"
# TAP, as Node 20 prints when not on a terminal (Node 22+ would print its spec reporter).
"$node_bin" scripts/run-tests.mjs --test-reporter=tap "$@"
