#!/usr/bin/env bash
# Sets up, builds the wasm and serves the site (index.html, www/, and TF.js for the
# benchmark page; nothing else of the repository) at http://127.0.0.1:PORT.
# Usage: bash scripts/serve.sh [port] [serve options]   (default port 8080)
# e.g. bash scripts/serve.sh 8080 --isolate   (COOP/COEP; `cargo xtask serve --help` lists all)
set -euo pipefail
cd "$(dirname "$0")/.."

port="${1:-8080}"
bash scripts/setup.sh
bash scripts/build-web.sh
exec cargo xtask serve --port "$port" "${@:2}"
