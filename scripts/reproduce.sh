#!/usr/bin/env bash
# The reproduction runs of the README (issue 5): train, then evaluate on the test split with 600 episodes.
# Budgets are episode counts; wall time depends on the machine (see the README for what it took here).
# Usage: scripts/reproduce.sh [omniglot|tiny|eval-omniglot|eval-tiny]   (env RCN_DATA_DIR, RUNS=runs)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
cli() { node apps/cli/dist/main.js "$@"; }
node scripts/quiet-build.mjs @rcn/cli...

case "${1:-all}" in
  omniglot | all)
    cli train --dataset omniglot --episodes 8000 --val-every 1000 --val-episodes 200 \
      --run-id omniglot-rcn-conv4-5w1s --runs-dir "$RUNS" --backend wasm
    ;;&
  tiny | all)
    for m in rcn protonet relationnet; do
      cli train --method "$m" --dataset tiny-imagenet-32 --episodes 3000 --val-every 500 --val-episodes 100 \
        --run-id "tiny-$m-conv4-5w1s" --runs-dir "$RUNS" --backend wasm --seed 1
    done
    ;;&
  eval-omniglot | all)
    for ws in "5 1" "5 5" "20 1" "20 5"; do
      set -- $ws
      cli eval --checkpoint "$RUNS/omniglot-rcn-conv4-5w1s" --split test --way "$1" --shot "$2" --query 15 \
        --episodes 600 --workers 2 --backend wasm
    done
    ;;&
  eval-tiny | all)
    for m in rcn protonet relationnet; do
      for shot in 1 5; do
        cli eval --checkpoint "$RUNS/tiny-$m-conv4-5w1s" --split test --way 5 --shot "$shot" --query 15 \
          --episodes 600 --workers 2 --backend wasm
      done
    done
    ;;
  *) ;;
esac
