//! Engine errors as thrown JS errors (Contract 1 in the session plan, `www/API.md`
//! "Errors"): a JS `Error` whose `name` is `'EngineError'`, with `code` (stable,
//! SCREAMING_SNAKE) and `params` (a plain object of strings and numbers) beside the
//! English `message`, so the page translates by code and never parses text.
//!
//! Every export returns `Result<_, Error>`; wasm-bindgen converts the `Error` with the
//! `From` impl below and throws it.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use crate::error::{Error, Param};

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        engine_error(&e, &[])
    }
}

/// The thrown value for `e`, with `extra` params added (e.g. a divergence's epoch and
/// batch, which only the fit run knows).
pub(crate) fn engine_error(e: &Error, extra: &[(&str, Param)]) -> JsValue {
    let js = js_sys::Error::new(&e.to_string());
    js.set_name("EngineError");
    let params = Object::new();
    for (k, v) in e.params().iter().map(|(k, v)| (*k, v)).chain(extra.iter().map(|(k, v)| (*k, v))) {
        let v = match v {
            Param::Str(s) => JsValue::from_str(s),
            Param::Num(n) => JsValue::from_f64(*n),
        };
        let _ = Reflect::set(&params, &k.into(), &v);
    }
    // Setting properties on a fresh Error object cannot fail.
    let _ = Reflect::set(&js, &"code".into(), &e.code().into());
    let _ = Reflect::set(&js, &"params".into(), &params);
    js.into()
}
