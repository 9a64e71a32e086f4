#!/usr/bin/env bash
# Everything CI checks, in order: setup, native tests, the wasm build, wasm tests in
# headless Chromium, then browser end-to-end tests. A failing phase does not hide the
# later ones: every phase runs (except after a failed setup), a summary is printed, and
# the exit code is non-zero if any phase failed.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()
summary=()

header() { printf '\n==== %s ====\n' "$*"; }

# phase NAME COMMAND...: runs one command, records PASS/FAIL and its duration.
phase() {
  local name="$1"; shift
  header "$name"
  local start=$SECONDS
  if "$@"; then
    summary+=("PASS  $name ($((SECONDS - start))s)")
  else
    summary+=("FAIL  $name ($((SECONDS - start))s)")
    failed+=("$name")
  fi
}

skip() {
  header "$1"
  echo "SKIP: $2"
  summary+=("SKIP  $1: $2")
}

finish() {
  header "summary"
  printf '%s\n' "${summary[@]}"
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
  fi
  echo "all phases passed"
}

phase "setup" bash scripts/setup.sh
if [ "${#failed[@]}" -gt 0 ]; then finish; fi

phase "native tests (cargo test --workspace --release)" cargo test --workspace --release

# On lavapipe (a CPU adapter) the GPU backend picks its GEMM without workgroup memory;
# hardware GPUs get the tiled one. Run the whole-fit GPU tests again with that one.
phase "GPU fit tests with the tiled GEMM of hardware GPUs (TP_GPU_TILED_GEMM=1)" \
  env TP_GPU_TILED_GEMM=1 cargo test --release -p transfer-playground --test gpu_parity --test gpu_fit_session

phase "wasm build (scripts/build-web.sh)" bash scripts/build-web.sh

# Headless Chromium for wasm-bindgen-test-runner; flags live in webdriver.json.
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
if grep -Eq '^[[:space:]]*wasm-bindgen-test[[:space:]]*=' Cargo.toml; then
  phase "wasm tests (wasm-bindgen-test in headless Chromium)" \
    env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown -p transfer-playground
else
  skip "wasm tests" "no wasm-bindgen-test dev-dependency in Cargo.toml"
fi

phase "Keras files, gradients, hand-worked values and unit tests inside wasm32 (scripts/wasm32-tests.sh)" bash scripts/wasm32-tests.sh

# Exported files loaded by real Keras 3, tf-keras and TF.js (installs them if missing;
# reports SKIP loudly where they cannot be installed).
phase "interop with real Keras and TF.js (scripts/interop-check.sh)" bash scripts/interop-check.sh

# End-to-end tests drive the page through playwright-core and the system Chromium.
# They get a running server: E2E_BASE_URL (and CHROMIUM_PATH for executablePath).
if [ -d tests/e2e ]; then
  export CHROMIUM_PATH=/usr/bin/chromium
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  e2e_port="${E2E_PORT:-8137}"
  export E2E_BASE_URL="http://127.0.0.1:$e2e_port"
  cargo build --release -p xtask
  mkdir -p test-artifacts
  "${CARGO_TARGET_DIR:-target}/release/xtask" serve --port "$e2e_port" >test-artifacts/server.log 2>&1 &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$e2e_port") 2>/dev/null && break
    sleep 0.1
  done
  phase "browser end-to-end tests (node --test tests/e2e/)" node --test tests/e2e/
  kill "$server_pid" 2>/dev/null || true
else
  skip "browser end-to-end tests" "tests/e2e/ does not exist yet"
fi

finish
