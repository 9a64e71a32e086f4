//! A panic poisons the instance (Contract 1), checked in headless Chromium. One test in
//! its own binary, because after it every call in this instance throws `PANICKED`.
//!
//! `__panicForTest()` is called from JS inside a `try`: the panic aborts, which reaches
//! JS as a `WebAssembly.RuntimeError`; the Rust test then goes on, on the poisoned
//! instance, as a page's worker would before replacing it.
#![cfg(target_arch = "wasm32")]

use js_sys::Function;
use transfer_playground::web::{limits, load_layers_model, panic_for_test, panic_message, version};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/wasm.rs"]
mod wasm;
use wasm::{bytes, get, MODEL_JSON, WEIGHTS};

#[wasm_bindgen_test]
fn a_panic_poisons_the_instance_and_every_later_call_says_so() {
    let model = load_layers_model(&MODEL_JSON.into(), &bytes(WEIGHTS)).map_err(JsValue::from).unwrap();
    assert!(panic_message().is_null(), "no panic yet: null");
    let call = Closure::<dyn Fn()>::new(|| {
        let _ = panic_for_test();
    });
    let catcher = Function::new_with_args(
        "f",
        "try { f(); return 'returned'; } catch (e) { return e.constructor.name + ': ' + e.message; }",
    );
    let caught = catcher.call1(&JsValue::NULL, call.as_ref()).unwrap().as_string().unwrap();
    assert!(caught.starts_with("RuntimeError"), "the panic reaches JS as a trap: {caught}");
    let message = panic_message().as_string().expect("the panic hook recorded the message");
    assert!(message.contains("__panicForTest: a deliberate panic"), "{message}");
    // Every later call throws PANICKED with that message, the model's too.
    let checks: [(&str, Result<(), transfer_playground::Error>); 4] = [
        ("summary", model.summary().map(drop)),
        ("loadLayersModel", load_layers_model(&MODEL_JSON.into(), &bytes(WEIGHTS)).map(drop)),
        ("version", version().map(drop)),
        ("limits", limits().map(drop)),
    ];
    for (what, r) in checks {
        let e = JsValue::from(r.expect_err(what));
        assert_eq!(get(&e, "name").as_string().unwrap(), "EngineError", "{what}");
        assert_eq!(get(&e, "code").as_string().unwrap(), "PANICKED", "{what}");
        assert_eq!(get(&get(&e, "params"), "message").as_string().unwrap(), message, "{what}");
    }
}
