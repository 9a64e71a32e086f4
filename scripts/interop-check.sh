#!/usr/bin/env bash
# Interop with the real tools: models exported by our engine must load, and predict what
# ours predicts, in real Keras 3 (.keras and .h5), tf-keras 2 (.h5) and @tensorflow/tfjs
# (TF.js layers format). Steps:
#   1. cargo test --release --test keras_export   (writes target/keras-roundtrip/<model>/)
#   2. tests/fixtures/keras/roundtrip.py           (Keras 3 + tf-keras, in .venv-keras)
#   3. node tests/interop/tfjs_roundtrip.mjs       (tfjs, CPU backend in plain Node)
# A tool that cannot be installed is reported LOUDLY as SKIP and the other steps go on;
# any mismatch or load failure makes the script exit non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT="${KERAS_ROUNDTRIP_DIR:-${CARGO_TARGET_DIR:-target}/keras-roundtrip}"
export KERAS_ROUNDTRIP_DIR="$OUT"
VENV="${KERAS_VENV:-.venv-keras}"
failed=()
skipped=()

loud_skip() {
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
  printf '!!! SKIP: %s\n' "$1"
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n'
  skipped+=("$1")
}

echo "==== 1/3 export (cargo test --release --test keras_export) -> $OUT ===="
rm -rf "$OUT"
if ! cargo test --release --test keras_export; then
  echo "FAIL: the Rust export test failed; nothing to hand to the real tools"
  exit 1
fi

echo "==== 2/3 real Keras round trip (tests/fixtures/keras/roundtrip.py) ===="
keras_ready=1
if ! "$VENV/bin/python" -c 'import keras' >/dev/null 2>&1; then
  keras_ready=0
  echo "no working $VENV with keras: creating it (python3 -m venv $VENV; pip install tensorflow-cpu)"
  if ! python3 -m venv "$VENV"; then
    loud_skip "real Keras round-trip (python3 -m venv failed)"
  elif ! "$VENV/bin/pip" install --quiet tensorflow-cpu tf-keras; then
    loud_skip "real Keras round-trip (pip install tensorflow-cpu tf-keras failed)"
  else
    keras_ready=1
  fi
fi
if [ "$keras_ready" = 1 ]; then
  "$VENV/bin/python" tests/fixtures/keras/roundtrip.py "$OUT" 2> >(grep -vE 'oneDNN|cuda|absl::InitializeLog|retracing' >&2) \
    || failed+=("real Keras round trip")
fi

echo "==== 3/3 TF.js round trip (node tests/interop/tfjs_roundtrip.mjs) ===="
if ! command -v node >/dev/null; then
  loud_skip "TF.js round-trip (node is not installed)"
elif ! node -e 'require.resolve("@tensorflow/tfjs")' >/dev/null 2>&1; then
  loud_skip "TF.js round-trip (@tensorflow/tfjs is not installed: run npm ci)"
else
  node tests/interop/tfjs_roundtrip.mjs "$OUT" || failed+=("TF.js round trip")
fi

echo "==== interop summary ===="
for s in "${skipped[@]}"; do echo "SKIP: $s"; done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "interop checks passed${skipped:+ (with skips above)}"
