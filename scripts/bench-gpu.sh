#!/usr/bin/env bash
# The real-GPU comparison of issue 4, for a machine with a GPU: the engine's native GPU
# path (wgpu on Vulkan) against PyTorch on the same GPU (CUDA), both in images/s and
# milliseconds per training step, model A's architecture, batch 32 and 128, full model
# and frozen base. Measures, asserts nothing.
#
#   bash scripts/bench-gpu.sh [gpu_throughput binary] [examples, default 2048]
#
# Without a binary it builds one (`cargo bench --bench gpu_throughput --no-run`). With
# one (built elsewhere, e.g. on a machine without cargo), it needs only the Vulkan
# loader and the GPU's Vulkan driver. PyTorch comes from `python3` if it imports torch
# with CUDA, else the CUDA part is reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
n="${2:-2048}"
if [ -z "$bin" ]; then
  bin=$(cargo bench --bench gpu_throughput --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*gpu_throughput[^"]*\)".*/\1/p' | tail -n 1)
fi
echo "== this engine, native wgpu ($bin $n)"
"$bin" "$n"
echo
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "== PyTorch, CUDA (python3 benches/pytorch_baseline.py --device cuda)"
  python3 benches/pytorch_baseline.py --device cuda
else
  echo "== PyTorch, CUDA: SKIP (python3 has no torch with a CUDA device here)"
fi
