#!/usr/bin/env bash
# Sets up, builds the wasm and serves the repository root at http://127.0.0.1:PORT.
# Usage: bash scripts/serve.sh [port]   (default 8080)
set -euo pipefail
cd "$(dirname "$0")/.."

port="${1:-8080}"
bash scripts/setup.sh
bash scripts/build-web.sh
exec cargo xtask serve --port "$port"
