#!/usr/bin/env bash
# `npm run bench` on another Node major (default 24): every process of the run — the servers, the
# references, the emulator and the load generator — on that Node, built from this tree as it is.
#   bash scripts/bench-on-node.sh [major]      (BENCH_* variables as for npm run bench)
# How the other Node and the tree for it are made: scripts/lib/node-tree.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-24}"

. scripts/lib/node-tree.sh
node_tree "$major"

cd "$tree"
"$node_bin" node_modules/typescript/bin/tsc -p tsconfig.build.json
"$node_bin" --import tsx bench/run.ts
