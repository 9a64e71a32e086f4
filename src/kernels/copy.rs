//! Short copies that stay inline on wasm.

/// `dst.copy_from_slice(src)` for runs of a few floats. A copy whose length is known
/// only at run time compiles to a `memory.copy` call on wasm, which costs more than
/// copying a dozen floats; these loops stay inline as 4-float and 1-float moves (the
/// opaque values keep LLVM from turning them back into a `memcpy`).
#[inline(always)]
pub fn copy_short(dst: &mut [f32], src: &[f32]) {
    assert_eq!(dst.len(), src.len(), "copy_short: lengths differ");
    let mut d4 = dst.chunks_exact_mut(4);
    let mut s4 = src.chunks_exact(4);
    for (d, s) in (&mut d4).zip(&mut s4) {
        let v: [f32; 4] = std::hint::black_box(s.try_into().unwrap());
        d.copy_from_slice(&v);
    }
    for (d, s) in d4.into_remainder().iter_mut().zip(s4.remainder()) {
        *d = std::hint::black_box(*s);
    }
}
