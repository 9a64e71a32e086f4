// Which build of the engine's WebAssembly this browser runs: with relaxed SIMD (fused
// multiply-add in the GEMM and the direct convolution: about 10% less time for the same
// work, measured in src/kernels/gemm_packed.rs) where the browser has it, else the
// simd128 build every browser with WebAssembly SIMD runs. Both come from the same code
// (scripts/build-web.sh builds both; the JS glue is the same). Results differ between
// the two only by rounding (one rounding per multiply-add instead of two).

// A module whose one function uses f32x4.relaxed_madd: it validates only where relaxed
// SIMD is there.
const PROBE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x3d, 0x01, 0x3b, 0x00,
  0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x0c, ...new Array(16).fill(0),
  0xfd, 0x85, 0x02, 0x0b]);

/** Whether this browser runs relaxed SIMD. */
export function hasRelaxedSimd() {
  try {
    return WebAssembly.validate(PROBE);
  } catch {
    return false;
  }
}

/**
 * The engine's module, compiled: the relaxed-SIMD build where the browser has it and the
 * site has it (an older build of the site may not), else the simd128 build. `pkg` is
 * the URL of the wasm-bindgen folder (ending in '/').
 */
export async function compileEngine(pkg) {
  if (hasRelaxedSimd()) {
    const r = await fetch(new URL('transfer_playground_relaxed_bg.wasm', pkg));
    if (r.ok) return { module: await WebAssembly.compile(await r.arrayBuffer()), build: 'relaxed-simd' };
  }
  const r = await fetch(new URL('transfer_playground_bg.wasm', pkg));
  if (!r.ok) throw new Error(`${r.status} for ${r.url}`);
  return { module: await WebAssembly.compile(await r.arrayBuffer()), build: 'simd128' };
}
