#!/usr/bin/env bash
# Everything CI checks, in order: setup, formatting and lints, native tests, the wasm
# build, wasm tests in headless Chromium, then browser end-to-end tests. A failing phase
# does not hide the later ones: every phase runs (except after a failed setup), a summary
# is printed, and the exit code is non-zero if any phase failed.
#
# Skips are visible: Rust tests that check nothing (no GPU adapter) append a line to the
# skip log (tests/common/skip.rs; TP_SKIP_LOG), the e2e runner reports `# skipped N`;
# the summary counts them, names their reasons, and says when a phase skipped everything.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()
summary=()
skip_reasons=()

header() { printf '\n==== %s ====\n' "$*"; }

# The skip log of the Rust tests (see tests/common/skip.rs), cleared before they run.
export TP_SKIP_LOG="${TP_SKIP_LOG:-$PWD/target/test-skips.log}"
phase_out="$(mktemp)"
trap 'rm -f "$phase_out"' EXIT

# Sums the numbers in the last phase's output lines matching a pattern: cargo's
# `test result: ok. N passed`, node's TAP summary `# tests N` / `# skipped N`.
count() { { grep -Eo "$1" "$phase_out" || true; } | { grep -Eo '[0-9]+' || true; } | awk '{s += $1} END {print s + 0}'; }

# phase NAME COMMAND...: runs one command, records PASS/FAIL, its duration and its skips.
phase() {
  local name="$1"; shift
  header "$name"
  local start=$SECONDS
  local logged_before=0
  [ -f "$TP_SKIP_LOG" ] && logged_before=$(wc -l <"$TP_SKIP_LOG")
  local status=0
  "$@" 2>&1 | tee "$phase_out" || status=$?
  local took="$((SECONDS - start))s"
  # Rust tests: skips logged during this phase, against the tests that passed.
  local ran skipped=0
  ran=$(count 'test result: [a-zA-Z]+\. [0-9]+ passed')
  if [ -f "$TP_SKIP_LOG" ]; then
    skipped=$(($(wc -l <"$TP_SKIP_LOG") - logged_before))
    while IFS= read -r line; do skip_reasons+=("$name: $line"); done < <(tail -n +"$((logged_before + 1))" "$TP_SKIP_LOG")
  fi
  # Node's test runner (TAP): its own counts and `# SKIP reason` lines.
  if grep -Eq '^# tests [0-9]+' "$phase_out"; then
    ran=$(count '^# tests [0-9]+')
    skipped=$((skipped + $(count '^# skipped [0-9]+')))
    while IFS= read -r line; do skip_reasons+=("$name: $line"); done < <({ grep -E '^ *ok [0-9]+ - .* # SKIP' "$phase_out" || true; } | sed -E 's/^ *ok [0-9]+ - //')
  fi
  local note=""
  if [ "$skipped" -gt 0 ] && [ "$skipped" -ge "$ran" ]; then
    note=", ALL $skipped tests SKIPPED: nothing was checked"
  elif [ "$skipped" -gt 0 ]; then
    note=", $skipped of $ran tests SKIPPED"
  fi
  if [ "$status" -eq 0 ]; then
    summary+=("PASS  $name ($took$note)")
  else
    summary+=("FAIL  $name ($took$note)")
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
  if [ "${#skip_reasons[@]}" -gt 0 ]; then
    echo "SKIPPED tests (${#skip_reasons[@]}):"
    printf '  %s\n' "${skip_reasons[@]}"
  fi
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
  fi
  echo "all phases passed"
}

phase "setup" bash scripts/setup.sh
if [ "${#failed[@]}" -gt 0 ]; then finish; fi

# Formatting and lints (rustfmt.toml; clippy natively and for the page's wasm32 target).
phase "formatting (cargo fmt --all -- --check)" cargo fmt --all -- --check
phase "lints, native (cargo clippy --workspace --all-targets -- -D warnings)" \
  cargo clippy --workspace --all-targets -- -D warnings
phase "lints, wasm32 (cargo clippy --target wasm32-unknown-unknown --lib --tests -- -D warnings)" \
  cargo clippy --target wasm32-unknown-unknown --lib --tests -- -D warnings

mkdir -p "$(dirname "$TP_SKIP_LOG")"
: >"$TP_SKIP_LOG"
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
  trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$phase_out"' EXIT
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
