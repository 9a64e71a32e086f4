//! Data sets across the boundary: `loadImageSet` reads a TPDS file (`crate::data`)
//! into tensors. The float images are 4 times the file's pixel bytes, so the header's
//! sizes are checked against `maxInputBytes` before the file is copied in.

use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;

use super::convert::{bytes_from_js, set, tensor_to_js};
use super::panic::enter;
use crate::data::ImageSet;
use crate::error::{Error, Result};
use crate::limits::{self, MAX_INPUT_BYTES};

/// Reads a TPDS image set: `{x: {data, shape: [n,h,w,c]}, y: {data, shape: [n]},
/// pixels: Uint8Array, count, height, width, channels, numClasses}` (x scaled to [0, 1]).
#[wasm_bindgen(js_name = loadImageSet)]
pub fn load_image_set(bytes: &JsValue) -> Result<Object> {
    enter()?;
    let what = "loadImageSet";
    // The f32 images are 4 bytes per pixel byte: the file may hold a quarter of the limit.
    let bytes = bytes_from_js(bytes, what, MAX_INPUT_BYTES / 4)?;
    let set_ = ImageSet::from_bytes(&bytes).map_err(|e| Error::Data(format!("{what}: {e}")))?;
    drop(bytes);
    limits::check(
        || format!("{what}: bytes of the float images"),
        limits::f32_bytes(&[set_.len(), set_.height, set_.width, set_.channels]),
        MAX_INPUT_BYTES,
    )?;
    let (x, y) = crate::lecture::to_tensors(&set_);
    let o = Object::new();
    set(&o, "x", tensor_to_js(&x));
    set(&o, "y", tensor_to_js(&y));
    set(&o, "pixels", Uint8Array::from(set_.pixels.as_slice()));
    set(&o, "count", set_.len() as f64);
    set(&o, "height", set_.height as f64);
    set(&o, "width", set_.width as f64);
    set(&o, "channels", set_.channels as f64);
    set(&o, "numClasses", set_.num_classes as f64);
    Ok(o)
}
