#!/usr/bin/env bash
# Browser benchmark: builds the wasm, serves the repo cross-origin isolated (so the
# data-parallel path uses SharedArrayBuffer; BENCH_ISOLATE=0 for transferred buffers)
# and runs www/bench.html in headless Chromium, printing a Markdown table; then, in the
# same run, PyTorch on the CPU (benches/pytorch_baseline.sh, one and all threads) just
# before and just after the browser, and the ratios of full training against both.
# Prints the CPU (lscpu) and the load average with every part.
# Usage: bash scripts/bench-browser.sh [query]
# e.g. bash scripts/bench-browser.sh 'n=512&en=4096&batches=32,128' (default: n=256&en=2048)
# BENCH_TORCH=0 skips PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash scripts/build-web.sh >/dev/null
port="${BENCH_PORT:-8139}"
isolate=(--isolate)
[ "${BENCH_ISOLATE:-1}" = 0 ] && isolate=()
cargo build -q --release -p xtask
target/release/xtask serve --port "$port" "${isolate[@]}" >/dev/null 2>&1 &
server=$!
out="$(mktemp -d)"
trap 'kill $server 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
torch() {
  if [ "${BENCH_TORCH:-1}" = 0 ]; then return 0; fi
  echo "load before PyTorch ($1): $(cut -d' ' -f1-3 /proc/loadavg)"
  if ! bash benches/pytorch_baseline.sh >"$out/torch-$1.txt" 2>"$out/torch-$1.err"; then
    echo "SKIP PyTorch ($1): $(tail -1 "$out/torch-$1.err")"
    return 0
  fi
  cat "$out/torch-$1.txt"
}
torch before
echo "load before the browser: $(cut -d' ' -f1-3 /proc/loadavg)"
BENCH_JSON="$out/browser.json" node tests/bench/browser-bench.mjs "http://127.0.0.1:$port" "${1:-n=256&en=2048}"
echo "load after the browser: $(cut -d' ' -f1-3 /proc/loadavg)"
torch after
[ -s "$out/torch-before.txt" ] && [ -s "$out/torch-after.txt" ] && node tests/bench/ratios.mjs "$out/browser.json" "$out/torch-before.txt" "$out/torch-after.txt"
exit 0
