//! A panic is a bug, and after one the instance is poisoned (Contract 1): the panic
//! hook records the message, `panicMessage()` returns it, and every later exported call
//! throws `PANICKED` instead of running on whatever state the panic left half-changed
//! (a `RefCell` still borrowed, a model half-updated, the shadow stack not unwound).
//! The panic itself reaches JS as a `WebAssembly.RuntimeError` (`unreachable`): the
//! worker then replaces the instance.
//!
//! Every export starts with [`enter`], which installs the hook once and refuses calls
//! after a panic. (An allocation failure aborts without a panic, so it cannot be
//! recorded here: that is why input sizes are checked first, `crate::limits`.)

use std::cell::RefCell;
use std::sync::Once;

use wasm_bindgen::prelude::*;

use crate::error::{Error, Result};

thread_local! {
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

#[wasm_bindgen]
extern "C" {
    // A warning, not an error: the worker reports the panic itself (it replaces the
    // instance and shows why), and the page's tests count console errors as failures.
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(s: &str);
}

/// Installs the panic hook (once) and fails with `PANICKED` if the engine panicked before.
pub(crate) fn enter() -> Result<()> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.to_string();
            PANIC.with(|p| {
                if let Ok(mut p) = p.try_borrow_mut() {
                    p.get_or_insert(message.clone());
                }
            });
            console_warn(&format!("transfer-playground engine panicked (this instance is now unusable): {message}"));
            previous(info);
        }));
    });
    match PANIC.with(|p| p.try_borrow().ok().and_then(|p| p.clone())) {
        Some(message) => Err(Error::Panicked(message)),
        None => Ok(()),
    }
}

/// The message of the panic that poisoned this instance, or `null`.
#[wasm_bindgen(js_name = panicMessage)]
pub fn panic_message() -> JsValue {
    PANIC.with(|p| p.try_borrow().ok().and_then(|p| p.clone())).map_or(JsValue::NULL, JsValue::from)
}

/// Test hook: panics inside Rust, as a bug would (the call traps with a
/// `RuntimeError`; afterwards `panicMessage()` says why and every call throws `PANICKED`).
#[wasm_bindgen(js_name = __panicForTest)]
pub fn panic_for_test() -> Result<()> {
    enter()?;
    panic!("__panicForTest: a deliberate panic to test recovery");
}
