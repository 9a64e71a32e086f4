//! Images across the boundary, through the one resizing policy (`crate::image`):
//! `imageToInput` for the page's uploads and webcam frames (RGBA pixels in, the model's
//! input and a preview out) and `resizeImages` for tensors already in the engine.
//! Sizes are whole numbers checked before anything is allocated.

use js_sys::{Float32Array, Object, Uint8ClampedArray};
use wasm_bindgen::prelude::*;

use super::convert::{bytes_from_js, set, shape_array, tensor_from_js, tensor_to_js, whole_number};
use super::options::Options;
use super::panic::enter;
use crate::error::{Error, Result};
use crate::image::{image_to_input as to_input, resize_images as resize, Target};
use crate::limits::{self, MAX_DIM, MAX_IMAGE_PIXELS};

/// A size argument: a whole number from 1 (so -1 is an error, not 4294967295).
fn size(v: &JsValue, what: &str) -> Result<usize> {
    let n = whole_number(v, what, 1)?;
    limits::check(|| what.to_string(), n, MAX_DIM)?;
    Ok(n as usize)
}

/// `imageToInput(rgba, width, height, {height, width, channels, invert})` -> `{data:
/// Float32Array, shape: [h, w, c], preview: Uint8ClampedArray}`: an RGBA image (a
/// canvas' `ImageData.data`) as the model's input (centre crop, area averaging, BT.601
/// luma, alpha on white, optional inversion) and, as RGBA, what the model sees.
#[wasm_bindgen(js_name = imageToInput)]
pub fn image_to_input(rgba: &JsValue, width: &JsValue, height: &JsValue, target: &JsValue) -> Result<Object> {
    enter()?;
    let what = "imageToInput";
    let (w, h) =
        (whole_number(width, &format!("{what}: width"), 1)?, whole_number(height, &format!("{what}: height"), 1)?);
    // The pixel limit first, before the pixels are copied in.
    limits::check(|| format!("{what}: pixels of the image"), w.saturating_mul(h), MAX_IMAGE_PIXELS)?;
    let o = Options::new(target, what, &["height", "width", "channels", "invert"])?;
    let need = |key: &str| {
        o.whole(key, 1, MAX_DIM as u64)?
            .ok_or_else(|| Error::bad_option(format!("{what}: {key}"), "a whole number from 1", "undefined"))
    };
    let t = Target {
        height: need("height")? as usize,
        width: need("width")? as usize,
        channels: o.whole("channels", 1, 3)?.unwrap_or(1) as usize,
        invert: o.bool("invert")?.unwrap_or(false),
    };
    let pixels = bytes_from_js(rgba, &format!("{what}: rgba"), MAX_IMAGE_PIXELS * 4)?;
    let m = to_input(&pixels, w as usize, h as usize, t)?;
    let out = Object::new();
    set(&out, "data", Float32Array::from(m.data.as_slice()));
    set(&out, "shape", shape_array(&m.shape));
    set(&out, "preview", Uint8ClampedArray::from(m.preview.as_slice()));
    Ok(out)
}

/// Resizes images `{data, shape: [n, h, w, c]}` to `[n, height, width, channels]`
/// through the same policy as `imageToInput` (without alpha or inversion).
#[wasm_bindgen(js_name = resizeImages)]
pub fn resize_images(x: &JsValue, height: &JsValue, width: &JsValue, channels: &JsValue) -> Result<Object> {
    enter()?;
    let (h, w) = (size(height, "resizeImages: height")?, size(width, "resizeImages: width")?);
    let c = size(channels, "resizeImages: channels")?;
    limits::check(
        || "resizeImages: pixels of the target image".to_string(),
        (h as u64) * (w as u64),
        MAX_IMAGE_PIXELS,
    )?;
    let x = tensor_from_js(x, "resizeImages: x")?;
    Ok(tensor_to_js(&resize(&x, h, w, c)?))
}
