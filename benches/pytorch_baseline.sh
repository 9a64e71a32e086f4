#!/usr/bin/env bash
# PyTorch CPU baseline for the throughput table in the README: creates .venv-torch with
# torch from PyPI (if missing) and runs benches/pytorch_baseline.py.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-torch/bin/python ] || ! .venv-torch/bin/python -c 'import torch' 2>/dev/null; then
  python3 -m venv .venv-torch
  .venv-torch/bin/pip install -q torch
fi
exec .venv-torch/bin/python benches/pytorch_baseline.py "$@"
