#!/usr/bin/env bash
# Runs the whole test suite on another Node major (default 24), leaving this tree as it is:
#   bash scripts/test-on-node.sh [major] [-- npm test arguments, e.g. -- crypto]
# How the other Node and the tree for it are made: scripts/lib/node-tree.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-24}"
[ "$#" -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

. scripts/lib/node-tree.sh
node_tree "$major"

cd "$tree"
# TAP, as Node 20 prints when not on a terminal (Node 22+ would print its spec reporter).
"$node_bin" scripts/run-tests.mjs --test-reporter=tap "$@"
