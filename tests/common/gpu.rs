//! What the native GPU tests share: the adapter (or a visible SKIP) and the per-element
//! comparison with the CPU reference.

use std::rc::Rc;

use transfer_playground::gpu::GpuContext;

#[path = "skip.rs"]
mod skip;

/// The default adapter (lavapipe on a machine without a GPU), or `None` after a
/// visible skip (printed and logged, see `skip.rs`) that names what was not checked.
pub fn gpu(what: &str) -> Option<Rc<GpuContext>> {
    match pollster::block_on(GpuContext::new()) {
        Ok(c) => {
            eprintln!("GPU adapter: {} ({:?})", c.adapter_info.name, c.adapter_info.backend);
            Some(Rc::new(c))
        }
        Err(e) => {
            skip::skip(&format!("no GPU adapter ({e}): {what} NOT checked"));
            None
        }
    }
}

/// `|gpu - cpu| <= tol * max(|cpu|, 1)` for every element; NaN counts as the worst error.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let mut worst = (0.0f32, 0usize);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let e = ((g - w).abs() / w.abs().max(1.0)).max(if g.is_nan() { f32::INFINITY } else { 0.0 });
        if e > worst.0 {
            worst = (e, i);
        }
    }
    assert!(
        worst.0 <= tol,
        "{what}: element {} is {} on the GPU, {} on the CPU (relative error {:e} > {tol:e})",
        worst.1,
        got[worst.1],
        want[worst.1],
        worst.0
    );
}
