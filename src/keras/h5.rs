//! The one module that touches the HDF5 crate (`hdf5-pure`): the legacy `.h5` model
//! layout and the `model.weights.h5` inside a `.keras` archive. See the parent module for
//! both layouts.
//!
//! `hdf5-pure` was chosen after trying it on the real fixtures: it is pure Rust (builds for
//! wasm32-unknown-unknown), reads in-memory bytes (`File::from_bytes`), decodes h5py's
//! variable-length string attributes (`model_config`, `layer_names`, `weight_names`),
//! returns errors rather than panicking on malformed files (its changelog records years
//! of fuzz-driven hardening), and exposes a dataset's shape and element size before
//! reading, which lets us refuse impossible sizes before any allocation.

use std::collections::HashMap;

use hdf5_pure::{AttrValue, Dataset, Datatype, DatatypeByteOrder, File, FileBuilder, Group};

use super::{
    config_layers, is_nested_model, ConfigLayer, KerasFileError, KerasFormat, KerasModelFile, LayerWeights, NamedArray,
    MAX_EXPANSION,
};

/// Whether `bytes` carry the HDF5 signature where a superblock may start: offset 0, or
/// after a user block of 512, 1024, 2048, ... bytes.
pub(super) fn has_signature(bytes: &[u8]) -> bool {
    let mut at = 0usize;
    loop {
        match bytes.get(at..at + 8) {
            Some(s) if s == super::HDF5_SIGNATURE => return true,
            Some(_) => {}
            None => return false,
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
}

/// Reads a whole model saved as `model.save("x.h5")`.
pub(super) fn read_legacy_model(bytes: &[u8]) -> Result<KerasModelFile, KerasFileError> {
    let file = open(bytes)?;
    let mut budget = Budget::default();
    let root = file.root();
    let attrs = root.attrs().map_err(corrupt("the root group's attributes"))?;

    let config_text = match attrs.get("model_config") {
        Some(value) => attr_string(value)
            .ok_or_else(|| KerasFileError::BadConfig("the model_config attribute is not text".into()))?,
        None => return Err(classify_without_config(&root, &attrs)),
    };
    let model_config: serde_json::Value = serde_json::from_str(&config_text)
        .map_err(|e| KerasFileError::BadConfig(format!("model_config is not JSON: {e}")))?;
    let config = config_layers(&model_config)?;

    let weights_group = root
        .group("model_weights")
        .map_err(|e| KerasFileError::BadWeights(format!("the file has no model_weights group ({e})")))?;
    let weights_attrs = weights_group.attrs().map_err(corrupt("the model_weights group's attributes"))?;
    let keras_version = attrs.get("keras_version").or_else(|| weights_attrs.get("keras_version")).and_then(attr_string);
    let layer_names = string_list(&weights_attrs, "layer_names")
        .ok_or_else(|| KerasFileError::BadWeights("model_weights has no layer_names attribute".into()))?;

    let class_of: HashMap<&str, &ConfigLayer> = config.iter().map(|l| (l.name.as_str(), l)).collect();
    let mut layers = Vec::with_capacity(layer_names.len().min(config.len()));
    for layer_name in &layer_names {
        let class_name = class_of.get(layer_name.as_str()).map(|l| l.class_name.as_str());
        if class_name == Some("InputLayer") {
            continue;
        }
        let group = weights_group.group(layer_name).map_err(|e| {
            KerasFileError::BadWeights(format!(
                "layer_names lists '{layer_name}' but model_weights has no such group ({e})"
            ))
        })?;
        let group_attrs = group.attrs().map_err(corrupt(&format!("layer '{layer_name}' attributes")))?;
        let weight_names = string_list(&group_attrs, "weight_names")
            .ok_or_else(|| KerasFileError::BadWeights(format!("layer '{layer_name}' has no weight_names attribute")))?;
        let mut weights = Vec::with_capacity(weight_names.len().min(64));
        for weight_name in &weight_names {
            let name = format!("{layer_name}/{}", variable_of(weight_name));
            let dataset = group.dataset(weight_name).map_err(|e| {
                KerasFileError::BadWeights(format!(
                    "layer '{layer_name}' lists weight '{weight_name}' but there is no \
                     dataset model_weights/{layer_name}/{weight_name} ({e})"
                ))
            })?;
            weights.push(read_array(&dataset, name, bytes.len(), &mut budget)?);
        }
        layers.push(LayerWeights { layer_name: layer_name.clone(), weights });
    }
    Ok(KerasModelFile { format: KerasFormat::LegacyH5, keras_version, class_names: None, model_config, layers })
}

/// Reads `model.weights.h5` from a `.keras` archive, matching its numbered entries to the
/// config's layers. `input_len` is the whole upload's length (bounds the reads).
pub(super) fn read_v3_weights(
    weights_h5: &[u8],
    config: &[ConfigLayer],
    input_len: usize,
) -> Result<Vec<LayerWeights>, KerasFileError> {
    let file = open(weights_h5)?;
    let mut budget = Budget::default();
    let root = file.root();
    let layers_group = match root.group("layers") {
        Ok(g) => Some(g),
        Err(_) if config.iter().all(|l| l.class_name == "InputLayer") => None,
        Err(e) => return Err(KerasFileError::BadWeights(format!("model.weights.h5 has no 'layers' group ({e})"))),
    };
    let Some(layers_group) = layers_group else {
        return Ok(Vec::new());
    };
    let keys = layers_group.groups().map_err(corrupt("the 'layers' group"))?;

    // Keras >= 3.x records each layer's name on its `vars` group: trust it where present.
    let mut key_of_name: HashMap<String, String> = HashMap::new();
    for key in &keys {
        let Ok(vars) = layers_group.group(&format!("{key}/vars")) else {
            continue;
        };
        if let Some(name) = vars.attrs().ok().and_then(|a| a.get("name").and_then(attr_string)) {
            key_of_name.insert(name, key.clone());
        }
    }

    // Otherwise the key is the class's snake_case name, numbered in model order exactly as
    // Keras' saving_lib does it: conv2d, conv2d_1, conv2d_2, ...
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut layers = Vec::with_capacity(config.len());
    for layer in config {
        let base = snake_case(&layer.class_name);
        let seen = used.entry(base.clone()).or_insert(0);
        let class_key = if *seen == 0 { base } else { format!("{base}_{seen}") };
        *seen += 1;
        if layer.class_name == "InputLayer" {
            continue;
        }
        let key = key_of_name.get(&layer.name).cloned().unwrap_or(class_key);
        let group = layers_group.group(&key).map_err(|e| {
            KerasFileError::BadWeights(format!(
                "layer '{}' ({}) has no entry layers/{key} in model.weights.h5 ({e})",
                layer.name, layer.class_name
            ))
        })?;
        if is_nested_model(&layer.class_name)
            || group.groups().map(|g| g.iter().any(|n| n == "layers")).unwrap_or(false)
        {
            return Err(KerasFileError::Unsupported(format!(
                "layer '{}' is itself a model ({}); only flat models can be read",
                layer.name, layer.class_name
            )));
        }
        let vars = group
            .group("vars")
            .map_err(|e| KerasFileError::BadWeights(format!("layers/{key} has no 'vars' group ({e})")))?;
        let mut indices: Vec<(usize, String)> = vars
            .datasets()
            .map_err(corrupt(&format!("layers/{key}/vars")))?
            .into_iter()
            .map(|n| match n.parse::<usize>() {
                Ok(i) => Ok((i, n)),
                Err(_) => Err(KerasFileError::BadWeights(format!(
                    "layers/{key}/vars holds '{n}', expected numbered variables 0, 1, ..."
                ))),
            })
            .collect::<Result<_, _>>()?;
        indices.sort();
        if indices.iter().enumerate().any(|(want, (i, _))| *i != want) {
            return Err(KerasFileError::BadWeights(format!("layers/{key}/vars is not numbered 0..{}", indices.len())));
        }
        let names = variable_names(layer, indices.len());
        let mut weights = Vec::with_capacity(indices.len());
        for ((_, entry), var) in indices.iter().zip(names) {
            let dataset = vars
                .dataset(entry)
                .map_err(|e| KerasFileError::BadWeights(format!("layers/{key}/vars/{entry}: {e}")))?;
            weights.push(read_array(&dataset, format!("{}/{var}", layer.name), input_len, &mut budget)?);
        }
        layers.push(LayerWeights { layer_name: layer.name.clone(), weights });
    }
    Ok(layers)
}

/// Writes a legacy `model.save("x.h5")` file: the layout of the module docs, with weight
/// names spelled as tf-keras spells them (`model_weights/conv2d/conv2d/kernel:0`, listed
/// in `weight_names` as `conv2d/kernel:0`), which Keras 3's legacy loader and tf-keras
/// both read (they go by position in `weight_names`, not by the name).
pub(super) fn write_legacy_model(
    model_config: &str,
    keras_version: &str,
    layers: &[LayerWeights],
) -> Result<Vec<u8>, KerasFileError> {
    let mut file = FileBuilder::new();
    file.set_attr("model_config", AttrValue::VarLenString(model_config.to_string()));
    file.set_attr("keras_version", AttrValue::VarLenString(keras_version.to_string()));
    file.set_attr("backend", AttrValue::VarLenString("tensorflow".into()));
    let mut weights = file.create_group("model_weights");
    let names: Vec<String> = layers.iter().map(|l| l.layer_name.clone()).collect();
    weights.set_attr("layer_names", string_array(names));
    weights.set_attr("keras_version", AttrValue::VarLenString(keras_version.to_string()));
    weights.set_attr("backend", AttrValue::VarLenString("tensorflow".into()));
    for layer in layers {
        let mut group = weights.create_group(&layer.layer_name);
        let mut inner = group.create_group(&layer.layer_name);
        let mut weight_names = Vec::with_capacity(layer.weights.len());
        for w in &layer.weights {
            let var = format!("{}:0", variable_of(&w.name));
            inner.create_dataset(&var).with_f32_data(&w.data).with_shape(&shape_u64(&w.shape));
            weight_names.push(format!("{}/{var}", layer.layer_name));
        }
        if !layer.weights.is_empty() {
            group.add_group(inner.finish());
        }
        group.set_attr("weight_names", string_array(weight_names));
        weights.add_group(group.finish());
    }
    file.add_group(weights.finish());
    file.finish().map_err(|e| KerasFileError::CorruptHdf5(format!("writing the .h5 file: {e}")))
}

/// Writes the `model.weights.h5` of a `.keras` archive: `layers/<key>/vars/<i>` for each
/// `(key, layer)` (keys as Keras derives them, see the module docs), each `vars` group
/// carrying the layer's name as Keras 3.15 does, and the model's own empty `vars`.
pub(super) fn write_v3_weights(model_name: &str, layers: &[(String, LayerWeights)]) -> Result<Vec<u8>, KerasFileError> {
    let mut file = FileBuilder::new();
    let mut group_of_layers = file.create_group("layers");
    for (key, layer) in layers {
        let mut group = group_of_layers.create_group(key);
        let mut vars = group.create_group("vars");
        vars.set_attr("name", AttrValue::VarLenString(layer.layer_name.clone()));
        for (i, w) in layer.weights.iter().enumerate() {
            vars.create_dataset(&i.to_string()).with_f32_data(&w.data).with_shape(&shape_u64(&w.shape));
        }
        group.add_group(vars.finish());
        group_of_layers.add_group(group.finish());
    }
    file.add_group(group_of_layers.finish());
    let mut own = file.create_group("vars");
    own.set_attr("name", AttrValue::VarLenString(model_name.to_string()));
    file.add_group(own.finish());
    file.finish().map_err(|e| KerasFileError::CorruptHdf5(format!("writing model.weights.h5: {e}")))
}

/// A list of strings as an attribute; an empty list the way h5py stores `np.asarray([])`
/// (an empty float64 array), which is what Keras writes for a weightless layer.
fn string_array(items: Vec<String>) -> AttrValue {
    if items.is_empty() {
        AttrValue::F64Array(Vec::new())
    } else {
        AttrValue::VarLenStringArray(items)
    }
}

fn shape_u64(shape: &[usize]) -> Vec<u64> {
    shape.iter().map(|&d| d as u64).collect()
}

/// Opens the bytes, refusing a file shorter than its superblock says: the common case of
/// an interrupted upload or download gets a plain message before any deeper error.
fn open(bytes: &[u8]) -> Result<File, KerasFileError> {
    let file = File::from_bytes(bytes.to_vec()).map_err(|e| KerasFileError::CorruptHdf5(e.to_string()))?;
    let sb = file.superblock();
    let end = sb.base_address.get().saturating_add(sb.eof_address);
    if end > bytes.len() as u64 {
        return Err(KerasFileError::CorruptHdf5(format!(
            "the file is {} bytes but its superblock says it ends at byte {end}: \
             it was cut short (an interrupted upload or download?)",
            bytes.len()
        )));
    }
    Ok(file)
}

fn corrupt(what: &str) -> impl Fn(hdf5_pure::Error) -> KerasFileError + '_ {
    move |e| KerasFileError::CorruptHdf5(format!("{what}: {e}"))
}

/// An HDF5 file without `model_config`: weights only (Keras 2's `save_weights` writes
/// `layer_names` on the root; Keras 3's `.weights.h5` has a root `layers` group), or not
/// Keras at all.
fn classify_without_config(root: &Group, attrs: &HashMap<String, AttrValue>) -> KerasFileError {
    let groups = root.groups().unwrap_or_default();
    if attrs.contains_key("layer_names")
        || attrs.contains_key("layer_names0")
        || groups.iter().any(|g| g == "layers" || g == "model_weights")
    {
        KerasFileError::WeightsOnly
    } else {
        KerasFileError::NotKeras
    }
}

/// Values read so far from one file: no array, and not all of them together, may exceed
/// `limits::MAX_PARAMS` (every one of them becomes a model parameter).
#[derive(Default)]
struct Budget {
    values: u64,
}

/// Reads one weight array as f32, refusing sizes the input cannot hold and sizes over
/// the engine's parameter limit, before anything is read.
fn read_array(ds: &Dataset, name: String, input_len: usize, budget: &mut Budget) -> Result<NamedArray, KerasFileError> {
    let at = |e: hdf5_pure::Error| KerasFileError::CorruptHdf5(format!("weight '{name}': {e}"));
    let dims = ds.shape().map_err(at)?;
    let element_size = ds.element_size().map_err(at)?;
    let too_large = |declared_bytes: u64| KerasFileError::TooLarge {
        what: format!("weight '{name}' of shape {dims:?}"),
        declared_bytes,
        input_bytes: input_len,
    };
    let count = dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d)).ok_or(too_large(u64::MAX))?;
    let declared = count.checked_mul(element_size).ok_or(too_large(u64::MAX))?;
    // Uncompressed data is inside the file; filtered (deflated) data may expand, boundedly.
    let expansion = if ds.filters().is_empty() { 1 } else { MAX_EXPANSION };
    if declared > (input_len as u64).saturating_mul(expansion as u64) {
        return Err(too_large(declared));
    }
    let max = crate::limits::MAX_PARAMS as u64;
    budget.values = budget.values.saturating_add(count);
    if budget.values > max {
        return Err(KerasFileError::Limit {
            what: if count > max {
                format!("values of weight '{name}' of shape {dims:?}")
            } else {
                format!("values of the weights up to '{name}'")
            },
            value: if count > max { count } else { budget.values },
            limit: max,
        });
    }
    let shape =
        dims.iter().map(|&d| usize::try_from(d).map_err(|_| too_large(declared))).collect::<Result<Vec<_>, _>>()?;

    let datatype = ds.datatype().map_err(at)?;
    let data = match &datatype {
        Datatype::FloatingPoint { size: 4 | 8, .. } => ds.read_f32().map_err(at)?,
        Datatype::FloatingPoint { size: 2, byte_order, layout }
            if layout.exponent_size == 5 && layout.mantissa_size == 10 =>
        {
            let raw = ds.read_raw().map_err(at)?;
            let big = matches!(byte_order, DatatypeByteOrder::BigEndian);
            raw.chunks_exact(2)
                .map(|b| {
                    f16_to_f32(if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
                })
                .collect()
        }
        other => return Err(KerasFileError::UnsupportedDtype { name, dtype: format!("{other:?}") }),
    };
    if data.len() as u64 != count {
        return Err(KerasFileError::BadWeights(format!(
            "weight '{name}' of shape {shape:?} holds {} values, expected {count}",
            data.len()
        )));
    }
    Ok(NamedArray { name, shape, data })
}

/// IEEE 754 binary16 to binary32 (exact: every f16 is an f32).
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x3ff);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value = m * 2^-24; normalise into f32's wider exponent.
            let shift = m.leading_zeros() - 21; // bring the top set bit to bit 10
            let m = (m << shift) & 0x3ff;
            sign | ((127 - 15 + 1 - shift) << 23) | (m << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// `"model_A/conv2d/kernel"` (Keras 3) or `"conv2d/kernel:0"` (Keras 2) → `"kernel"`.
fn variable_of(weight_name: &str) -> &str {
    let last = weight_name.rsplit('/').next().unwrap_or(weight_name);
    match last.rsplit_once(':') {
        Some((var, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => var,
        _ => last,
    }
}

/// The variable names of a `.keras` layer, which the file does not store: known classes
/// get Keras' names, others their indices.
fn variable_names(layer: &ConfigLayer, count: usize) -> Vec<String> {
    let flag = |key: &str| layer.config.get(key).and_then(|v| v.as_bool()).unwrap_or(true);
    let known: Vec<&str> = match layer.class_name.as_str() {
        "Dense" | "Conv1D" | "Conv2D" | "Conv3D" | "Conv1DTranspose" | "Conv2DTranspose" | "Conv3DTranspose" => {
            vec!["kernel", "bias"]
        }
        "DepthwiseConv2D" => vec!["depthwise_kernel", "bias"],
        "Embedding" => vec!["embeddings"],
        "BatchNormalization" => {
            let mut v = Vec::new();
            if flag("scale") {
                v.push("gamma");
            }
            if flag("center") {
                v.push("beta");
            }
            v.extend(["moving_mean", "moving_variance"]);
            v
        }
        "LayerNormalization" => {
            let mut v = Vec::new();
            if flag("scale") {
                v.push("gamma");
            }
            if flag("center") {
                v.push("beta");
            }
            v
        }
        _ => Vec::new(),
    };
    // A bias-less kernel layer has one variable; anything else must match exactly.
    let fits = known.len() == count || (count == 1 && known.get(1) == Some(&"bias"));
    if fits {
        known.iter().take(count).map(|s| s.to_string()).collect()
    } else {
        (0..count).map(|i| i.to_string()).collect()
    }
}

/// Keras' `naming.to_snake_case` for class names: `Conv2D` → `conv2d`,
/// `BatchNormalization` → `batch_normalization`, `LeakyReLU` → `leaky_re_lu`.
pub(super) fn snake_case(class_name: &str) -> String {
    // 1. Drop non-word characters.
    let s: Vec<char> = class_name.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    // 2. `(.)([A-Z][a-z]+)` → `\1_\2`, left to right, non-overlapping.
    let mut a = Vec::with_capacity(s.len() * 2);
    let mut i = 0;
    while i < s.len() {
        let lower_run = s[i + 1..].iter().skip(1).take_while(|c| c.is_ascii_lowercase()).count();
        if i + 2 < s.len() && s[i + 1].is_ascii_uppercase() && lower_run > 0 {
            a.push(s[i]);
            a.push('_');
            a.extend_from_slice(&s[i + 1..i + 2 + lower_run]);
            i += 2 + lower_run;
        } else {
            a.push(s[i]);
            i += 1;
        }
    }
    // 3. `([a-z])([A-Z])` → `\1_\2`, then lower-case everything.
    let mut out = String::with_capacity(a.len() + 4);
    let mut i = 0;
    while i < a.len() {
        if i + 1 < a.len() && a[i].is_ascii_lowercase() && a[i + 1].is_ascii_uppercase() {
            out.push(a[i]);
            out.push('_');
            out.push(a[i + 1]);
            i += 2;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.to_lowercase()
}

/// The text of a string attribute, whatever string encoding h5py chose.
fn attr_string(value: &AttrValue) -> Option<String> {
    match value {
        AttrValue::String(s)
        | AttrValue::AsciiString(s)
        | AttrValue::VarLenString(s)
        | AttrValue::VarLenAsciiString(s) => Some(s.clone()),
        AttrValue::StringSized { value, .. } | AttrValue::AsciiStringSized { value, .. } => Some(value.clone()),
        _ => attr_strings(value).and_then(|v| if v.len() == 1 { v.into_iter().next() } else { None }),
    }
}

/// The items of a string-list attribute. An empty list is stored by h5py as an empty
/// float64 array (Keras' `weight_names` of a weightless layer).
fn attr_strings(value: &AttrValue) -> Option<Vec<String>> {
    match value {
        AttrValue::StringArray(v)
        | AttrValue::AsciiStringArray(v)
        | AttrValue::VarLenStringArray(v)
        | AttrValue::VarLenAsciiStringArray(v)
        | AttrValue::VarLenAsciiCharArray(v) => Some(v.clone()),
        AttrValue::StringArraySized { values, .. } | AttrValue::AsciiStringArraySized { values, .. } => {
            Some(values.clone())
        }
        AttrValue::F64Array(v) if v.is_empty() => Some(Vec::new()),
        AttrValue::F32Array(v) if v.is_empty() => Some(Vec::new()),
        _ => None,
    }
}

/// A string-list attribute `key`, or its chunks `key0`, `key1`, ... (Keras splits lists
/// longer than HDF5's 64 KiB attribute limit).
fn string_list(attrs: &HashMap<String, AttrValue>, key: &str) -> Option<Vec<String>> {
    if let Some(v) = attrs.get(key) {
        return attr_strings(v).or_else(|| attr_string(v).map(|s| vec![s]));
    }
    let mut all = Vec::new();
    let mut chunk = 0usize;
    while let Some(v) = attrs.get(&format!("{key}{chunk}")) {
        all.extend(attr_strings(v)?);
        chunk += 1;
    }
    (chunk > 0).then_some(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_matches_keras() {
        // Values as Keras 3.15's naming.to_snake_case gives them.
        assert_eq!(snake_case("Conv2D"), "conv2d");
        assert_eq!(snake_case("BatchNormalization"), "batch_normalization");
        assert_eq!(snake_case("LeakyReLU"), "leaky_re_lu");
        assert_eq!(snake_case("MaxPooling2D"), "max_pooling2d");
        assert_eq!(snake_case("GlobalAveragePooling2D"), "global_average_pooling2d");
        assert_eq!(snake_case("InputLayer"), "input_layer");
        assert_eq!(snake_case("Dense"), "dense");
    }

    #[test]
    fn f16_conversion_is_exact() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14));
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
    }

    #[test]
    fn variable_names_from_both_writers() {
        assert_eq!(variable_of("conv2d/kernel:0"), "kernel");
        assert_eq!(variable_of("model_A/conv2d/bias"), "bias");
        assert_eq!(variable_of("moving_mean"), "moving_mean");
    }
}
