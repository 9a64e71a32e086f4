//! Values across the boundary: tensors in and out (`{data: Float32Array, shape:
//! number[]}`), bytes and text from JS, small plain objects. Every size is checked
//! against `crate::limits` *before* anything is copied into wasm memory, and copies
//! are fallible allocations, so an oversized input is an error, not a trap.
//!
//! Byte and text inputs are taken as JS values (not `&[u8]` / `&str`) on purpose:
//! wasm-bindgen would copy those into wasm memory before any Rust code could look at
//! their length.

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Error, Result};
use crate::limits::{self, MAX_DIM, MAX_INPUT_BYTES};
use crate::tensor::{contiguous, from_vec, Tensor};

pub(crate) fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// `obj[key]`, `undefined` when absent (or when `obj` is not an object).
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) fn shape_array(shape: &[usize]) -> Array {
    shape.iter().map(|&d| JsValue::from_f64(d as f64)).collect()
}

/// A short, language-neutral rendering of a JS value for `found` in error params:
/// `"5"` (a string), `123`, `true`, `null`, `undefined`, `[array]`, `{object}`.
pub(crate) fn describe(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        let mut s = s;
        if s.chars().count() > 40 {
            s = s.chars().take(40).collect::<String>() + "...";
        }
        return format!("{s:?}");
    }
    if let Some(n) = v.as_f64() {
        return format!("{n}");
    }
    if let Some(b) = v.as_bool() {
        return b.to_string();
    }
    if v.is_null() {
        return "null".into();
    }
    if v.is_undefined() {
        return "undefined".into();
    }
    if v.is_bigint() {
        return "a BigInt".into();
    }
    if Array::is_array(v) {
        return "[array]".into();
    }
    if v.is_function() {
        return "a function".into();
    }
    if let Some(name) = v.dyn_ref::<Object>().map(|o| o.constructor().name()).and_then(|n| n.as_string()) {
        if name != "Object" {
            return format!("a {name}");
        }
    }
    "{object}".into()
}

/// `{data: Float32Array, shape: number[]}` -> tensor, with errors naming `what`.
pub(crate) fn tensor_from_js(v: &JsValue, what: &str) -> Result<Tensor> {
    let expected = "an object {data: Float32Array, shape: number[]}";
    if !v.is_object() {
        return Err(Error::bad_option(what, expected, describe(v)));
    }
    let data = get(v, "data");
    let data = data
        .dyn_ref::<Float32Array>()
        .ok_or_else(|| Error::bad_option(format!("{what}.data"), "a Float32Array", describe(&data)))?;
    let shape_v = get(v, "shape");
    if !Array::is_array(&shape_v) {
        return Err(Error::bad_option(
            format!("{what}.shape"),
            "an array of sizes, e.g. [n, 28, 28, 1]",
            describe(&shape_v),
        ));
    }
    let mut shape = Vec::new();
    for d in Array::from(&shape_v).iter() {
        let size = whole_number(&d, &format!("{what}.shape"), 0)?;
        limits::check(|| format!("{what}: a dimension of the shape"), size, MAX_DIM)?;
        shape.push(size as usize);
    }
    let len = data.length() as usize;
    limits::check(|| format!("{what}: bytes of the tensor"), len as u64 * 4, MAX_INPUT_BYTES)?;
    let needed = limits::product(&shape).unwrap_or(u64::MAX);
    if needed != len as u64 {
        return Err(Error::Shape(format!("{what}: a tensor of shape {shape:?} needs {needed} values, got {len}")));
    }
    let mut values = limits::try_filled(len, 0.0f32, what)?;
    data.copy_to(&mut values);
    from_vec(&shape, values).map_err(|e| e.context(what))
}

pub(crate) fn tensor_to_js(t: &Tensor) -> Object {
    let o = Object::new();
    set(&o, "data", Float32Array::from(contiguous(t).as_ref()));
    set(&o, "shape", shape_array(t.shape()));
    o
}

/// The bytes of a `Uint8Array` (or `Uint8ClampedArray`, or `ArrayBuffer`), at most
/// `limit` of them, copied with a fallible allocation.
pub(crate) fn bytes_from_js(v: &JsValue, what: &str, limit: usize) -> Result<Vec<u8>> {
    let array = if let Some(a) = v.dyn_ref::<Uint8Array>() {
        a.clone()
    } else if let Some(a) = v.dyn_ref::<Uint8ClampedArray>() {
        Uint8Array::new_with_byte_offset_and_length(&a.buffer(), a.byte_offset(), a.length())
    } else if let Some(b) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        Uint8Array::new(b)
    } else {
        return Err(Error::bad_option(what, "a Uint8Array", describe(v)));
    };
    let len = array.length() as usize;
    limits::check(|| format!("{what}: bytes"), len as u64, limit)?;
    let mut out = limits::try_filled(len, 0u8, what)?;
    array.copy_to(&mut out);
    Ok(out)
}

/// A JS string of at most `limit` UTF-16 code units.
pub(crate) fn string_from_js(v: &JsValue, what: &str, limit: usize) -> Result<String> {
    let s = v.dyn_ref::<js_sys::JsString>().ok_or_else(|| Error::bad_option(what, "a string", describe(v)))?;
    limits::check(|| format!("{what}: characters"), s.length() as u64, limit)?;
    Ok(String::from(s))
}

/// A whole number `>= min` (and at most 2^53, what a JS number holds exactly), read
/// with serde-wasm-bindgen so that a string such as `'5'` is refused, not converted.
pub(crate) fn whole_number(v: &JsValue, what: &str, min: u64) -> Result<u64> {
    let expected = || format!("a whole number from {min}");
    match serde_wasm_bindgen::from_value::<u64>(v.clone()) {
        Ok(n) if n >= min => Ok(n),
        _ => Err(Error::bad_option(what, expected(), describe(v))),
    }
}

/// Serialises a Rust value (history, logs) as a plain JS object.
pub(crate) fn to_plain<T: serde::Serialize>(v: &T) -> Result<JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| Error::Config(format!("internal: could not convert a result for JS ({e})")))
}
