#!/usr/bin/env bash
# Browser benchmark: builds the wasm, serves the repo and runs www/bench.html in headless
# Chromium, printing a Markdown table. Usage: bash scripts/bench-browser.sh [query]
# e.g. bash scripts/bench-browser.sh 'n=512&en=4096&batches=32,128' (default: n=256&en=2048)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash scripts/build-web.sh >/dev/null
port="${BENCH_PORT:-8139}"
cargo build -q --release -p xtask
target/release/xtask serve --port "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
node tests/bench/browser-bench.mjs "http://127.0.0.1:$port" "${1:-n=256&en=2048}"
