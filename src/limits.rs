//! Hard limits: every size that comes from input (a shape, a model file's manifest, a
//! layer config, an archive entry, an image, a batch size) is checked here, with
//! checked arithmetic, *before* anything of that size is allocated, and an oversized
//! one becomes [`Error::Limit`] naming what, its value and the limit.
//!
//! # Why
//! In WebAssembly `usize` is 32 bits and memory ends at 4 GiB: a size that wraps
//! (`65536 * 65536 == 0`), or an allocation that cannot be had, traps the whole module
//! (`unreachable`) instead of failing one call. Natively the same inputs would only
//! waste gigabytes. The limits are generous for what the playground does (model A has
//! 105,736 parameters and 104 KB of activations per image) and far from 4 GiB.
//!
//! All sizes are computed in `u64` (or `u128` for products of four settings), so a
//! check never wraps on wasm32; a size is converted to `usize` only once it is known
//! to be under a limit. `www/API.md` ("Limits") lists the same numbers.

use crate::error::{Error, Result};
use crate::layers::LayerSpec;
use crate::model::Sequential;

/// Parameters of a model (and of any one weight array in a file): 32 Mi, 128 MiB of
/// float32, more than 300 times model A.
pub const MAX_PARAMS: usize = 1 << 25;

/// Float32 activations of one batch, summed over the input and every layer's output
/// (what a training step keeps for its backward pass): 256 MiB. `fit` refuses a larger
/// batch; `predict` and `evaluate` run in smaller chunks instead.
pub const MAX_BATCH_BYTES: usize = 256 << 20;

/// One input from JS or one tensor made from it: tensor data (4 bytes per value), the
/// bytes of a model or data file, `model.json` text, a data set's float images, the
/// output of `predict` or `resizeImages`: 512 MiB.
pub const MAX_INPUT_BYTES: usize = 512 << 20;

/// Pixels (width x height) of one image given to `imageToInput` or `resizeImages`, as
/// source or target: 64 Mi (8192 x 8192).
pub const MAX_IMAGE_PIXELS: usize = 1 << 26;

/// Declared or inflated size of one entry of a `.keras` archive: 512 MiB.
pub const MAX_ARCHIVE_ENTRY_BYTES: usize = 512 << 20;

/// Any one dimension: of a shape, or a layer setting (units, filters, kernel size,
/// strides, pool size): 16 Mi. Keeps window arithmetic far from `u32` overflow.
pub const MAX_DIM: usize = 1 << 24;

/// A frozen base's features kept for a whole fit (training and validation examples):
/// 256 MiB. Above it `fit` runs the frozen layers every step instead (same result,
/// slower): not an error.
pub const MAX_FEATURE_CACHE_BYTES: usize = 256 << 20;

/// The limits as `(name, value)`, for the JS `limits()` export and the docs.
pub const ALL: [(&str, usize); 7] = [
    ("maxParams", MAX_PARAMS),
    ("maxBatchBytes", MAX_BATCH_BYTES),
    ("maxInputBytes", MAX_INPUT_BYTES),
    ("maxImagePixels", MAX_IMAGE_PIXELS),
    ("maxArchiveEntryBytes", MAX_ARCHIVE_ENTRY_BYTES),
    ("maxDim", MAX_DIM),
    ("maxFeatureCacheBytes", MAX_FEATURE_CACHE_BYTES),
];

/// `Err(Limit)` when `value` (of `what`) is over `limit`.
pub fn check(what: impl FnOnce() -> String, value: u64, limit: usize) -> Result<()> {
    if value > limit as u64 {
        return Err(Error::limit(what(), value as f64, limit as f64));
    }
    Ok(())
}

/// The product of `dims`, or `None` if it does not fit in a `u64`.
pub fn product(dims: &[usize]) -> Option<u64> {
    dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d as u64))
}

/// Bytes of a float32 tensor of shape `dims`, saturating at `u64::MAX` (always over
/// every limit).
pub fn f32_bytes(dims: &[usize]) -> u64 {
    product(dims).and_then(|n| n.checked_mul(4)).unwrap_or(u64::MAX)
}

/// `what`'s size as a `usize`, or a limit error where this platform cannot address it
/// (a `u64` from a file on wasm32).
pub fn to_usize(value: u64, what: impl FnOnce() -> String) -> Result<usize> {
    usize::try_from(value).map_err(|_| Error::limit(what(), value as f64, usize::MAX as f64))
}

/// A vector of `len` copies of `fill`, or [`Error::OutOfMemory`] if the memory cannot
/// be had (instead of the abort an infallible allocation would be on wasm32).
pub fn try_filled<T: Clone>(len: usize, fill: T, what: &str) -> Result<Vec<T>> {
    let mut v = try_with_capacity(len, what)?;
    v.resize(len, fill);
    Ok(v)
}

/// An empty vector with room for `len` items, or [`Error::OutOfMemory`].
pub fn try_with_capacity<T>(len: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::OutOfMemory {
        what: what.to_string(),
        bytes: len as f64 * std::mem::size_of::<T>() as f64,
    })?;
    Ok(v)
}

/// Every size setting of a layer within [`MAX_DIM`] (called by `LayerSpec::validate`,
/// so before any window arithmetic).
pub fn check_spec_dims(spec: &LayerSpec) -> Result<()> {
    let dims: Vec<(&str, usize)> = match *spec {
        LayerSpec::Conv2D { filters, kernel_size, strides, .. } => {
            vec![
                ("filters", filters),
                ("kernel_size", kernel_size.0),
                ("kernel_size", kernel_size.1),
                ("strides", strides.0),
                ("strides", strides.1),
            ]
        }
        LayerSpec::MaxPooling2D { pool_size, strides, .. } | LayerSpec::AveragePooling2D { pool_size, strides, .. } => {
            vec![("pool_size", pool_size.0), ("pool_size", pool_size.1), ("strides", strides.0), ("strides", strides.1)]
        }
        LayerSpec::Dense { units, .. } => vec![("units", units)],
        _ => vec![],
    };
    for (name, d) in dims {
        check(|| format!("{} {name}", spec.class_name()), d as u64, MAX_DIM)?;
    }
    Ok(())
}

/// Parameters a layer will have for a per-example `input` shape, computed from its
/// settings alone (before it is built); `None` if the count does not fit in a `u64`.
pub fn spec_params(spec: &LayerSpec, input: &[usize]) -> Option<u64> {
    let last = *input.last().unwrap_or(&0) as u128;
    let n: u128 = match *spec {
        LayerSpec::Conv2D { filters, kernel_size, use_bias, .. } => {
            let (kh, kw, f) = (kernel_size.0 as u128, kernel_size.1 as u128, filters as u128);
            kh.checked_mul(kw)?.checked_mul(last)?.checked_mul(f)?.checked_add(if use_bias { f } else { 0 })?
        }
        LayerSpec::Dense { units, use_bias, .. } => {
            let u = units as u128;
            last.checked_mul(u)?.checked_add(if use_bias { u } else { 0 })?
        }
        LayerSpec::BatchNormalization { center, scale, .. } => last * (2 + center as u128 + scale as u128),
        _ => 0,
    };
    u64::try_from(n).ok()
}

/// The checks for one layer on a per-example `input`, before it is built: every input
/// dimension within [`MAX_DIM`], its parameters within [`MAX_PARAMS`], and one example's
/// input and output activations within [`MAX_BATCH_BYTES`] (so that a batch of one can
/// run). Returns the per-example output shape.
pub fn check_layer(spec: &LayerSpec, input: &[usize]) -> Result<Vec<usize>> {
    check_input_shape(input)?;
    check_spec_dims(spec)?;
    let class = spec.class_name();
    let params = spec_params(spec, input).unwrap_or(u64::MAX);
    check(|| format!("parameters of a {class} layer"), params, MAX_PARAMS)?;
    let out = spec.output_shape(input)?;
    for &d in &out {
        check(|| format!("a dimension of a {class} layer's output"), d as u64, MAX_DIM)?;
    }
    check(|| format!("bytes of one example's output of a {class} layer"), f32_bytes(&out), MAX_BATCH_BYTES)?;
    Ok(out)
}

/// A model's per-example input shape: each dimension within [`MAX_DIM`] and one example
/// within [`MAX_BATCH_BYTES`].
pub fn check_input_shape(input: &[usize]) -> Result<()> {
    for &d in input {
        check(|| "a dimension of the input shape".to_string(), d as u64, MAX_DIM)?;
    }
    check(|| "bytes of one input example".to_string(), f32_bytes(input), MAX_BATCH_BYTES)
}

/// A whole model described by specs (a config being loaded, before any layer is
/// built): every layer as [`check_layer`], and the total parameter count within
/// [`MAX_PARAMS`]. `layers` are `(name, spec)`; errors name the layer's index and name.
/// Returns the total parameter count.
pub fn check_specs(input: &[usize], layers: &[(&str, &LayerSpec)]) -> Result<u64> {
    check_input_shape(input)?;
    let mut shape = input.to_vec();
    let mut total = 0u64;
    for (i, (name, spec)) in layers.iter().enumerate() {
        let at = || format!("layer {i} '{name}' ({})", spec.class_name());
        let out = check_layer(spec, &shape).map_err(|e| e.context(at()))?;
        total = total.saturating_add(spec_params(spec, &shape).unwrap_or(u64::MAX));
        check(|| format!("parameters of the model (up to {})", at()), total, MAX_PARAMS)?;
        shape = out;
    }
    Ok(total)
}

/// Bytes of one example's activations in `model`: its input and every layer's output,
/// as float32 (what a batch multiplies).
pub fn example_bytes(model: &Sequential) -> u64 {
    let mut total = f32_bytes(model.input_shape());
    for l in model.layers() {
        total = total.saturating_add(f32_bytes(&l.borrow().output_shape));
    }
    total
}

/// The batch size `predict` / `evaluate` really use for `n` examples asked in batches of
/// `requested`: at most what fits in [`MAX_BATCH_BYTES`], so a large call runs in more,
/// smaller chunks instead of failing. Also refuses a model without layers (it would
/// "predict" its input) and an output larger than [`MAX_INPUT_BYTES`].
pub fn inference_batch(model: &Sequential, n: usize, requested: usize) -> Result<usize> {
    if model.layers().is_empty() {
        return Err(Error::Config("the model has no layers (every layer was popped?); add one first".into()));
    }
    let per = example_bytes(model).max(1);
    check(|| "bytes of one example's activations".to_string(), per, MAX_BATCH_BYTES)?;
    let mut out_shape = vec![n];
    out_shape.extend(model.output_shape());
    check(|| "bytes of the predictions".to_string(), f32_bytes(&out_shape), MAX_INPUT_BYTES)?;
    let fits = (MAX_BATCH_BYTES as u64 / per) as usize;
    Ok(requested.clamp(1, fits.max(1)))
}

/// The result of `layer_outputs` for `n` examples and the `chosen` layers (every
/// layer's output of every example, kept) within [`MAX_INPUT_BYTES`], the bound on
/// any one tensor handed back to JS: checked before anything is computed or allocated.
pub fn check_layer_outputs(model: &Sequential, n: usize, chosen: &[usize]) -> Result<()> {
    let bytes = model.layer_outputs_bytes(n, Some(chosen)).unwrap_or(u64::MAX);
    check(
        || {
            format!(
                "bytes of the outputs of {} layer(s) for {n} examples (ask for fewer examples or layers)",
                chosen.len()
            )
        },
        bytes,
        MAX_INPUT_BYTES,
    )
}

/// `fit`'s batches within [`MAX_BATCH_BYTES`]: `batch_size` examples (or all `n`, if
/// fewer) and the validation batches (`max(batch_size, 32)` of `n_valid`), each as
/// [`example_bytes`]. A larger batch is an error, not a silent change: it changes
/// what training computes.
pub fn check_fit_batch(model: &Sequential, n: usize, n_valid: usize, batch_size: usize) -> Result<()> {
    if model.layers().is_empty() {
        return Err(Error::Config("fit: the model has no layers; add one first".into()));
    }
    let per = example_bytes(model);
    let train = batch_size.min(n) as u64;
    let valid = batch_size.max(32).min(n_valid) as u64;
    let bytes = per.saturating_mul(train.max(valid));
    if bytes > MAX_BATCH_BYTES as u64 {
        let most = (MAX_BATCH_BYTES as u64 / per.max(1)).max(1);
        return Err(Error::limit(
            format!("bytes of one batch's activations (batchSize {batch_size} x {per} bytes per example; at most {most} examples fit)"),
            bytes as f64,
            MAX_BATCH_BYTES as f64,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{Activation, Padding};

    #[test]
    fn layer_params_and_overflow() {
        // Conv2D(16, 3x3) on 1 channel: 3*3*1*16 + 16 = 160 (model A's first layer).
        let conv = LayerSpec::conv2d(16, 3, Padding::Same, Activation::Relu);
        assert_eq!(spec_params(&conv, &[28, 28, 1]), Some(160));
        // Dense(64) after 1568 features: 1568*64 + 64 = 100,416.
        assert_eq!(spec_params(&LayerSpec::dense(64, Activation::Relu), &[1568]), Some(100_416));
        // Filters near u64::MAX overflow the count: None, which every check refuses.
        let huge = LayerSpec::Conv2D {
            filters: usize::MAX,
            kernel_size: (usize::MAX, usize::MAX),
            strides: (1, 1),
            padding: Padding::Same,
            activation: Activation::Linear,
            use_bias: true,
        };
        assert_eq!(spec_params(&huge, &[28, 28, usize::MAX]), None);
        assert_eq!(check_layer(&huge, &[28, 28, 1]).unwrap_err().code(), "LIMIT");
    }

    #[test]
    fn the_model_a_config_passes_and_a_wide_dense_does_not() {
        let specs = crate::lecture::model_a_specs(8);
        let named: Vec<(&str, &LayerSpec)> = specs.iter().map(|s| ("l", s)).collect();
        assert_eq!(check_specs(&[28, 28, 1], &named).unwrap(), 105_736);
        let mut wide = specs.clone();
        wide[5] = LayerSpec::dense(300_000, Activation::Relu);
        let named: Vec<(&str, &LayerSpec)> = wide.iter().map(|s| ("dense", s)).collect();
        match check_specs(&[28, 28, 1], &named).unwrap_err() {
            Error::Limit { what, value, limit } => {
                assert!(what.starts_with("layer 5 'dense' (Dense)"), "{what}");
                assert_eq!((value, limit), (1568.0 * 300_000.0 + 300_000.0, MAX_PARAMS as f64));
            }
            e => panic!("{e}"),
        }
    }

    #[test]
    fn inference_batches_shrink_to_fit() {
        let m = Sequential::from_specs(&[28, 28, 1], &crate::lecture::model_a_specs(8), 1).unwrap();
        // 784 + 12544 + 3136 + 6272 + 1568 + 1568 + 64 + 8 = 25,944 floats per example.
        assert_eq!(example_bytes(&m), 25_944 * 4);
        assert_eq!(inference_batch(&m, 45_000, 256).unwrap(), 256);
        assert_eq!(inference_batch(&m, 45_000, 1_000_000_000).unwrap(), MAX_BATCH_BYTES / (25_944 * 4));
        assert_eq!(inference_batch(&m, 10, 0).unwrap(), 1);
        assert!(check_fit_batch(&m, 45_000, 0, 1_000_000_000).is_err());
        assert!(check_fit_batch(&m, 2_000, 500, 1_000_000_000).is_ok(), "a batch larger than the data is the data");
        let empty = Sequential::new(&[28, 28, 1]);
        assert_eq!(inference_batch(&empty, 1, 1).unwrap_err().code(), "CONFIG");
    }

    #[test]
    fn layer_outputs_are_checked_against_the_input_bound() {
        let m = Sequential::from_specs(&[28, 28, 1], &crate::lecture::model_a_specs(8), 1).unwrap();
        let all: Vec<usize> = (0..m.layers().len()).collect();
        // 25,944 - 784 = 25,160 floats of outputs per example: 5,334 examples fit 512 MiB.
        assert!(check_layer_outputs(&m, 5_334, &all).is_ok());
        match check_layer_outputs(&m, 5_335, &all).unwrap_err() {
            Error::Limit { value, limit, .. } => {
                assert_eq!((value, limit), (5_335.0 * 25_160.0 * 4.0, MAX_INPUT_BYTES as f64))
            }
            e => panic!("{e}"),
        }
        // One small layer of many examples fits; a count too large for u64 is refused.
        assert!(check_layer_outputs(&m, 1_000_000, &[6]).is_ok());
        assert_eq!(check_layer_outputs(&m, usize::MAX, &all).unwrap_err().code(), "LIMIT");
    }

    #[test]
    fn fallible_allocation_reports_instead_of_aborting() {
        let e = try_with_capacity::<f32>(usize::MAX / 2, "a test buffer").unwrap_err();
        assert_eq!(e.code(), "OUT_OF_MEMORY");
        assert_eq!(try_filled(3, 1u8, "x").unwrap(), vec![1, 1, 1]);
    }
}
