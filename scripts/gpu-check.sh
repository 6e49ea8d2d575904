#!/usr/bin/env bash
# One prepared check for a machine with an NVIDIA GPU and no internet (at most 8 minutes):
#   scripts/gpu-check.sh OUTDIR
# writes into OUTDIR: env.json (what was found or brought), nvidia-smi.txt, vulkaninfo.txt, adapter.json
# (the WebGPU adapter and its limits), golden.json (parity with the authors' PyTorch tensors on webgpu) and
# bench.json (Conv4 32/84 px and ResNet-12 84 px training steps, evaluation episodes/s, memory), plus log.txt.
# It needs scripts/gpu-check/bundle/, made beforehand by scripts/gpu-check/prepare.sh where internet exists:
# Node 20, Dawn, the Vulkan loader and the golden data come from there when the machine lacks them.
set -uo pipefail
OUT=${1:?usage: scripts/gpu-check.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
B=$HERE/gpu-check/bundle
SECONDS_PER=${GPU_CHECK_SECONDS:-10}
# Rehearsal knobs: GPU_CHECK_FORCE_BUNDLE=1 uses the bundled Node and Vulkan loader even where the machine
# has its own; GPU_CHECK_ARGS passes flags to the check (e.g. --skip-steps 'ResNet-12' on a CPU adapter).
FORCE=${GPU_CHECK_FORCE_BUNDLE:-0}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
log() { echo "gpu-check: $*" | tee -a "$OUT/log.txt" >&2; }
unxz_to() {
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$1" >"$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}
[ -f "$B/check.mjs" ] || {
  log "no bundle at $B: run scripts/gpu-check/prepare.sh first"
  exit 2
}
NODE_SRC=system VULKAN_SRC=system ICD_SRC=system

# 1. Node >= 20, else the bundled binary.
NODE=$(command -v node || true)
if [ "$FORCE" = 1 ] || [ -z "$NODE" ] || [ "$("$NODE" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
  unxz_to "$B/node.xz" "$WORK/node" && chmod +x "$WORK/node"
  NODE=$WORK/node NODE_SRC="bundle $(cat "$B/node.version")"
fi
log "node $("$NODE" --version) ($NODE_SRC)"

# 2. The Vulkan loader, else Debian's libvulkan1 unpacked here.
if [ "$FORCE" = 1 ] || ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  mkdir -p "$WORK/vk"
  DEB=$(ls "$B"/libvulkan1_*.deb | head -1)
  if command -v dpkg-deb >/dev/null 2>&1; then
    dpkg-deb -x "$DEB" "$WORK/vk"
  else
    (cd "$WORK/vk" && ar x "$DEB" && tar -xf data.tar.*)
  fi
  export LD_LIBRARY_PATH="$WORK/vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  VULKAN_SRC="bundle $(basename "$DEB")"
fi
log "vulkan loader: $VULKAN_SRC"

# 3. NVIDIA's Vulkan ICD: the driver ships it; a container may have the driver library without the json.
if ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
  if ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia\.so\.0'; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}\n' \
      >"$WORK/nvidia_icd.json"
    export VK_ICD_FILENAMES="$WORK/nvidia_icd.json"
    ICD_SRC="written for libGLX_nvidia.so.0"
  else
    ICD_SRC="none found (no nvidia_icd.json, no libGLX_nvidia.so.0: driver without graphics capability?)"
  fi
fi
log "nvidia vulkan icd: $ICD_SRC"

(nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1) || log "nvidia-smi failed or absent"
if command -v vulkaninfo >/dev/null 2>&1; then
  timeout 60 vulkaninfo --summary >"$OUT/vulkaninfo.txt" 2>&1 || log "vulkaninfo --summary failed"
else
  log "vulkaninfo absent: adapter.json (Dawn's view of the adapter) stands in for it"
fi

# 4. Dawn beside the bundle's entry, then the check itself.
mkdir -p "$WORK/app/node_modules/webgpu/dist/linux-x64"
cp "$B/check.mjs" "$WORK/app/"
cp "$B/webgpu/package.json" "$B/webgpu/index.js" "$WORK/app/node_modules/webgpu/"
unxz_to "$B/webgpu/dist/linux-x64/dawn.node.xz" "$WORK/app/node_modules/webgpu/dist/linux-x64/dawn.node"
printf '{"node":"%s","nodeSource":"%s","vulkanLoader":"%s","nvidiaIcd":"%s","date":"%s"}\n' \
  "$("$NODE" --version)" "$NODE_SRC" "$VULKAN_SRC" "$ICD_SRC" "$(date -u +%FT%TZ)" >"$OUT/env.json"
GOLDEN=${RCN_GOLDEN_DIR:-$B/golden}
eval "EXTRA=(${GPU_CHECK_ARGS:-})" # shell words, so a quoted label may hold a space
timeout "${GPU_CHECK_TIMEOUT:-420}" "$NODE" "$WORK/app/check.mjs" "$OUT" "$GOLDEN" --seconds "$SECONDS_PER" \
  "${EXTRA[@]}" 2>&1 | grep --line-buffered -v 'artificially reduced' | tee -a "$OUT/log.txt"
RC=${PIPESTATUS[0]}
log "check exited with $RC; results in $OUT"
exit "$RC"
