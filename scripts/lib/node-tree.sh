# Sourced by test-on-node.sh and bench-on-node.sh: another Node major and a copy of this tree for it.
#   node_tree <major>   sets node_bin (that Node) and tree (the copy), both under $work, removed on exit
# Node comes from the npm registry (the node-<platform>-<arch> package: the binary and its headers),
# so nothing but the registry `npm ci` uses is needed. better-sqlite3 is native: the copy, sharing
# node_modules by hard links, gets its own better-sqlite3 built for that Node's ABI, so the install
# in this tree stays usable by this machine's Node, and by processes running from it.
node_tree() {
  local major="$1"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT

  local platform
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
  local npm_dir started
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
}
