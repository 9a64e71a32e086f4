//! Keras model configs (the JSON inside `model.save` files, Keras 3 `config.json`,
//! and TF.js `model.json`'s `modelTopology`) to and from engine layers, by
//! `class_name` — never by guessing from a layer's name.
//!
//! Reading accepts the spellings of Keras 2, Keras 3 and TF.js (`alpha` or
//! `negative_slope`, `batch_input_shape` or `batch_shape`, ints or pairs for sizes)
//! and rejects what the engine would compute differently (e.g. `channels_first`,
//! dilation, a BN axis other than the last), naming the layer and the setting.

use serde_json::{json, Map, Value};

use super::{LayerRef, Sequential};
use crate::error::{Error, Result};
use crate::layers::{activation, Activation, LayerSpec, Padding};
use crate::limits;

/// Layer classes the engine can import.
pub const SUPPORTED_CLASSES: &str =
    "InputLayer, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, Dropout, Activation, LeakyReLU, BatchNormalization";

/// A layer read from a config: its spec, Keras name and `trainable` flag.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedLayer {
    pub spec: LayerSpec,
    pub name: String,
    pub trainable: bool,
}

fn pair(v: Value) -> Value {
    json!([v.clone(), v])
}

/// The settings Conv2D and Dense share: activation, bias, Keras' default initializers,
/// and no regularizers or constraints.
fn kernel_layer_config(c: &mut Map<String, Value>, activation: Activation, use_bias: bool) {
    c.insert("activation".into(), json!(activation.name()));
    c.insert("use_bias".into(), json!(use_bias));
    c.insert("kernel_initializer".into(), json!({"class_name": "GlorotUniform", "config": {"seed": null}}));
    c.insert("bias_initializer".into(), json!({"class_name": "Zeros", "config": {}}));
    for key in
        ["kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"]
    {
        c.insert(key.into(), Value::Null);
    }
}

/// The Keras config of one layer (`{"class_name": .., "config": {..}}`).
pub fn layer_config(spec: &LayerSpec, name: &str, trainable: bool) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), json!(name));
    c.insert("trainable".into(), json!(trainable));
    c.insert("dtype".into(), json!("float32"));
    let zeros = json!({"class_name": "Zeros", "config": {}});
    let ones = json!({"class_name": "Ones", "config": {}});
    match spec {
        LayerSpec::Conv2D { filters, kernel_size, strides, padding, activation, use_bias } => {
            c.insert("filters".into(), json!(filters));
            c.insert("kernel_size".into(), json!([kernel_size.0, kernel_size.1]));
            c.insert("strides".into(), json!([strides.0, strides.1]));
            c.insert("padding".into(), json!(padding.name()));
            c.insert("data_format".into(), json!("channels_last"));
            c.insert("dilation_rate".into(), pair(json!(1)));
            c.insert("groups".into(), json!(1));
            kernel_layer_config(&mut c, *activation, *use_bias);
        }
        LayerSpec::MaxPooling2D { pool_size, strides, padding }
        | LayerSpec::AveragePooling2D { pool_size, strides, padding } => {
            c.insert("pool_size".into(), json!([pool_size.0, pool_size.1]));
            c.insert("strides".into(), json!([strides.0, strides.1]));
            c.insert("padding".into(), json!(padding.name()));
            c.insert("data_format".into(), json!("channels_last"));
        }
        LayerSpec::GlobalAveragePooling2D => {
            c.insert("data_format".into(), json!("channels_last"));
            c.insert("keepdims".into(), json!(false));
        }
        LayerSpec::Flatten => {
            c.insert("data_format".into(), json!("channels_last"));
        }
        LayerSpec::Dense { units, activation, use_bias } => {
            c.insert("units".into(), json!(units));
            kernel_layer_config(&mut c, *activation, *use_bias);
        }
        LayerSpec::Dropout { rate, seed } => {
            c.insert("rate".into(), json!(rate));
            c.insert("noise_shape".into(), Value::Null);
            // Keras keeps a Dropout seed in a 32-bit SeedGenerator state and refuses a
            // larger one at load ("out-of-range integer"); the engine draws 64-bit seeds
            // for layers created without one, so those are written as `null` (Keras then
            // seeds the layer itself, as for `Dropout(rate)`).
            c.insert("seed".into(), json!(seed.filter(|&s| s <= i32::MAX as u64)));
        }
        LayerSpec::Activation { activation } => {
            c.insert("activation".into(), json!(activation.name()));
        }
        LayerSpec::LeakyReLU { negative_slope } => {
            c.insert("alpha".into(), json!(negative_slope));
        }
        LayerSpec::BatchNormalization { momentum, epsilon, center, scale } => {
            c.insert("axis".into(), json!(-1));
            c.insert("momentum".into(), json!(momentum));
            c.insert("epsilon".into(), json!(epsilon));
            c.insert("center".into(), json!(center));
            c.insert("scale".into(), json!(scale));
            c.insert("beta_initializer".into(), zeros.clone());
            c.insert("gamma_initializer".into(), ones.clone());
            c.insert("moving_mean_initializer".into(), zeros);
            c.insert("moving_variance_initializer".into(), ones);
            c.insert("beta_regularizer".into(), Value::Null);
            c.insert("gamma_regularizer".into(), Value::Null);
            c.insert("beta_constraint".into(), Value::Null);
            c.insert("gamma_constraint".into(), Value::Null);
        }
    }
    json!({"class_name": spec.class_name(), "config": Value::Object(c)})
}

/// The Sequential model config, with the input shape on the first layer
/// (`batch_input_shape`, which Keras 2, Keras 3's legacy loader and TF.js all read).
pub fn model_config(model: &Sequential) -> Value {
    let mut layers = vec![json!({
        "class_name": "InputLayer",
        "config": {"batch_input_shape": input_shape_json(model.input_shape()), "dtype": "float32", "sparse": false, "name": format!("{}_input", model.name)}
    })];
    for l in model.layers() {
        let node = l.borrow();
        layers.push(layer_config(&node.layer.spec(), &node.name, node.trainable));
    }
    if let Some(first) = layers.get_mut(1) {
        first["config"]["batch_input_shape"] = input_shape_json(model.input_shape());
    }
    json!({"class_name": "Sequential", "config": {"name": model.name, "layers": layers}})
}

fn input_shape_json(shape: &[usize]) -> Value {
    let mut v = vec![Value::Null];
    v.extend(shape.iter().map(|d| json!(d)));
    Value::Array(v)
}

struct Cfg<'a> {
    class: &'a str,
    name: &'a str,
    c: &'a Map<String, Value>,
}

impl Cfg<'_> {
    fn err(&self, what: String) -> Error {
        Error::Config(format!("layer '{}' ({}): {what}", self.name, self.class))
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.c.get(key).filter(|v| !v.is_null())
    }

    fn usize(&self, key: &str) -> Result<usize> {
        let v = self.get(key).and_then(Value::as_u64).ok_or_else(|| self.err(format!("missing or invalid '{key}'")))?;
        self.size(key, v)
    }

    /// A size setting as a `usize` within `limits::MAX_DIM` (a `u64` from the file
    /// would be truncated by `as usize` on wasm32: `1e12` filters became 3,567,587,328).
    fn size(&self, key: &str, v: u64) -> Result<usize> {
        limits::check(|| format!("layer '{}' ({}): {key}", self.name, self.class), v, limits::MAX_DIM)?;
        Ok(v as usize)
    }

    /// `what` (e.g. "activation 'gelu'") is not supported; `supported` lists what is.
    fn unsupported(&self, what: String, supported: &str) -> Error {
        Error::unsupported(format!("layer '{}' ({}): {what}", self.name, self.class), supported)
    }

    fn f32_or(&self, keys: &[&str], default: f32) -> Result<f32> {
        for k in keys {
            if let Some(v) = self.get(k) {
                return v.as_f64().map(|x| x as f32).ok_or_else(|| self.err(format!("'{k}' must be a number")));
            }
        }
        Ok(default)
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| self.err(format!("'{key}' must be true or false"))),
        }
    }

    /// An int or a pair of ints (Keras accepts both for sizes and strides).
    fn size2(&self, key: &str) -> Result<Option<(usize, usize)>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        let as_u = |v: &Value| v.as_u64();
        let (x, y) = match v {
            Value::Array(a) if a.len() == 2 => match (as_u(&a[0]), as_u(&a[1])) {
                (Some(x), Some(y)) => (x, y),
                _ => return Err(self.err(format!("'{key}' must be integers, got {v}"))),
            },
            Value::Array(a) if a.len() == 1 => {
                as_u(&a[0]).map(|x| (x, x)).ok_or_else(|| self.err(format!("'{key}' must be integers")))?
            }
            _ => {
                as_u(v).map(|x| (x, x)).ok_or_else(|| self.err(format!("'{key}' must be an int or a pair, got {v}")))?
            }
        };
        Ok(Some((self.size(key, x)?, self.size(key, y)?)))
    }

    fn activation(&self) -> Result<Activation> {
        match self.get("activation") {
            None => Ok(Activation::Linear),
            Some(Value::String(s)) => Activation::from_name(s)
                .map_err(|_| self.unsupported(format!("activation '{s}'"), activation::SUPPORTED)),
            // Keras 3 may serialise activations as {"module": .., "class_name": .., "config": ..}
            Some(Value::Object(o)) => match o
                .get("config")
                .and_then(|c| c.get("name"))
                .or_else(|| o.get("class_name"))
                .and_then(Value::as_str)
            {
                Some(s) => Activation::from_name(s)
                    .map_err(|_| self.unsupported(format!("activation '{s}'"), activation::SUPPORTED)),
                None => Err(self
                    .unsupported(format!("activation {}", truncate(&Value::Object(o.clone()))), activation::SUPPORTED)),
            },
            Some(v) => Err(self.unsupported(format!("activation {}", truncate(v)), activation::SUPPORTED)),
        }
    }

    fn padding(&self) -> Result<Padding> {
        match self.get("padding").and_then(Value::as_str) {
            None => Ok(Padding::Valid),
            Some(p) => Padding::from_name(p).map_err(|_| self.unsupported(format!("padding '{p}'"), "valid, same")),
        }
    }

    fn channels_last(&self) -> Result<()> {
        match self.get("data_format").and_then(Value::as_str) {
            None | Some("channels_last") => Ok(()),
            Some(f) => Err(self.unsupported(format!("data_format '{f}'"), "channels_last")),
        }
    }
}

/// Reads one layer config. Returns `Ok(None)` for an `InputLayer`.
pub fn parse_layer(v: &Value) -> Result<Option<ImportedLayer>> {
    let class = v
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Config(format!("a layer config has no class_name: {}", truncate(v))))?;
    let empty = Map::new();
    let c = v.get("config").and_then(Value::as_object).unwrap_or(&empty);
    let name = c.get("name").and_then(Value::as_str).unwrap_or(class);
    let cfg = Cfg { class, name, c };
    let trainable = cfg.bool_or("trainable", true)?;
    let spec = match class {
        "InputLayer" => return Ok(None),
        "Conv2D" => {
            cfg.channels_last()?;
            if let Some(d) = cfg.size2("dilation_rate")? {
                if d != (1, 1) {
                    return Err(cfg.unsupported(format!("dilation_rate {d:?}"), "1"));
                }
            }
            if cfg.get("groups").and_then(Value::as_u64).unwrap_or(1) != 1 {
                return Err(cfg.unsupported(
                    format!("groups {}", cfg.get("groups").map_or(String::new(), |g| g.to_string())),
                    "1 (no grouped convolutions)",
                ));
            }
            LayerSpec::Conv2D {
                filters: cfg.usize("filters")?,
                kernel_size: cfg.size2("kernel_size")?.ok_or_else(|| cfg.err("missing 'kernel_size'".into()))?,
                strides: cfg.size2("strides")?.unwrap_or((1, 1)),
                padding: cfg.padding()?,
                activation: cfg.activation()?,
                use_bias: cfg.bool_or("use_bias", true)?,
            }
        }
        "MaxPooling2D" | "MaxPool2D" | "AveragePooling2D" | "AvgPool2D" => {
            cfg.channels_last()?;
            let pool_size = cfg.size2("pool_size")?.unwrap_or((2, 2));
            let strides = cfg.size2("strides")?.unwrap_or(pool_size);
            let padding = cfg.padding()?;
            if class.starts_with("Max") {
                LayerSpec::MaxPooling2D { pool_size, strides, padding }
            } else {
                LayerSpec::AveragePooling2D { pool_size, strides, padding }
            }
        }
        "GlobalAveragePooling2D" | "GlobalAvgPool2D" => {
            cfg.channels_last()?;
            if cfg.bool_or("keepdims", false)? {
                return Err(cfg.unsupported("keepdims=True".into(), "keepdims=False"));
            }
            LayerSpec::GlobalAveragePooling2D
        }
        "Flatten" => {
            cfg.channels_last()?;
            LayerSpec::Flatten
        }
        "Dense" => LayerSpec::Dense {
            units: cfg.usize("units")?,
            activation: cfg.activation()?,
            use_bias: cfg.bool_or("use_bias", true)?,
        },
        "Dropout" => {
            if cfg.get("noise_shape").is_some() {
                return Err(cfg.unsupported("noise_shape".into(), "Dropout without noise_shape"));
            }
            LayerSpec::Dropout { rate: cfg.f32_or(&["rate"], 0.5)?, seed: cfg.get("seed").and_then(Value::as_u64) }
        }
        "Activation" => LayerSpec::Activation { activation: cfg.activation()? },
        "ReLU"
            if cfg.get("max_value").is_none()
                && cfg.f32_or(&["negative_slope"], 0.0)? == 0.0
                && cfg.f32_or(&["threshold"], 0.0)? == 0.0 =>
        {
            LayerSpec::Activation { activation: Activation::Relu }
        }
        "LeakyReLU" => LayerSpec::LeakyReLU { negative_slope: cfg.f32_or(&["negative_slope", "alpha"], 0.3)? },
        "BatchNormalization" => {
            let axis = match cfg.get("axis") {
                None => -1,
                Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64().unwrap_or(0),
                Some(v) => v.as_i64().unwrap_or(0),
            };
            // Only the channels axis of NHWC (or of a flat [batch, features] input).
            if axis != -1 && axis != 3 && axis != 1 {
                return Err(cfg.unsupported(format!("axis {axis}"), "the last axis, -1"));
            }
            LayerSpec::BatchNormalization {
                momentum: cfg.f32_or(&["momentum"], 0.99)?,
                epsilon: cfg.f32_or(&["epsilon"], 1e-3)?,
                center: cfg.bool_or("center", true)?,
                scale: cfg.bool_or("scale", true)?,
            }
        }
        other => return Err(Error::unsupported(format!("layer '{name}' has class {other}"), SUPPORTED_CLASSES)),
    };
    spec.validate().map_err(|e| match e {
        Error::Config(m) => cfg.err(m),
        other => other.context(format!("layer '{name}' ({class})")),
    })?;
    Ok(Some(ImportedLayer { spec, name: name.to_string(), trainable }))
}

fn truncate(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        format!(
            "{}...",
            &s[..s.char_indices().take_while(|(i, _)| *i < 120).last().map_or(0, |(i, c)| i + c.len_utf8())]
        )
    } else {
        s
    }
}

/// The per-example input shape from a layer config (`batch_input_shape`, `batch_shape`).
fn input_shape_of(v: &Value) -> Option<Vec<usize>> {
    let c = v.get("config")?;
    let s = c.get("batch_input_shape").or_else(|| c.get("batch_shape"))?.as_array()?;
    s.iter().skip(1).map(|d| d.as_u64().map(|x| usize::try_from(x).unwrap_or(usize::MAX))).collect()
}

/// Reads a model config (`Sequential`, or a `Functional`/`Model` that is a simple
/// chain) into layer specs and the input shape.
pub fn parse_model(v: &Value) -> Result<(Vec<usize>, String, Vec<ImportedLayer>)> {
    let class = v.get("class_name").and_then(Value::as_str).unwrap_or("");
    let config = v.get("config").ok_or_else(|| Error::Config("the model config has no 'config'".into()))?;
    let name = config.get("name").and_then(Value::as_str).unwrap_or("model").to_string();
    let layers = match config {
        Value::Object(o) => o
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::Config("the model config has no 'layers' list".into()))?,
        // Very old Keras: the Sequential config is the list itself.
        Value::Array(a) => a,
        _ => return Err(Error::Config("the model config is not an object".into())),
    };
    match class {
        "Sequential" => {}
        "Functional" | "Model" => check_chain(layers)?,
        other => {
            return Err(Error::unsupported(
                format!("model class '{other}'"),
                "Sequential, or a Functional model that is a simple chain",
            ))
        }
    }
    let mut input_shape = None;
    let mut out = Vec::new();
    for l in layers {
        if input_shape.is_none() {
            input_shape = input_shape_of(l);
        }
        if let Some(il) = parse_layer(l)? {
            out.push(il);
        }
    }
    let input_shape = input_shape.ok_or_else(|| {
        Error::Config("the model config does not declare an input shape (no InputLayer or batch_input_shape)".into())
    })?;
    if input_shape.is_empty() {
        return Err(Error::Config(
            "the model's input shape is empty or has unknown (None) sizes; the engine needs fixed sizes".into(),
        ));
    }
    Ok((input_shape, name, out))
}

/// A functional model is accepted when each layer takes exactly the previous layer's output.
fn check_chain(layers: &[Value]) -> Result<()> {
    fn inbound_names(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::Array(h)) = o.get("keras_history") {
                    if let Some(n) = h.first().and_then(Value::as_str) {
                        out.push(n.to_string());
                    }
                    return;
                }
                o.values().for_each(|x| inbound_names(x, out));
            }
            Value::Array(a) => {
                // Keras 2: [["name", node, tensor, {kwargs}]]
                if let Some(Value::String(n)) = a.first() {
                    if a.len() >= 3 && a[1].is_number() {
                        out.push(n.clone());
                        return;
                    }
                }
                a.iter().for_each(|x| inbound_names(x, out));
            }
            _ => {}
        }
    }
    // Several inputs would otherwise be reported at the second InputLayer as "takes no
    // inputs", which does not tell a learner what is wrong.
    let inputs: Vec<&str> = layers
        .iter()
        .filter(|l| l.get("class_name").and_then(Value::as_str) == Some("InputLayer"))
        .map(|l| {
            l.get("config").and_then(|c| c.get("name")).or_else(|| l.get("name")).and_then(Value::as_str).unwrap_or("?")
        })
        .collect();
    if inputs.len() > 1 {
        return Err(Error::unsupported(
            format!(
                "functional model with {} inputs ({})",
                inputs.len(),
                inputs.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
            ),
            "only models with one input that is a simple chain of layers can be imported",
        ));
    }
    let mut prev: Option<String> = None;
    for l in layers {
        let name = l
            .get("config")
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .or_else(|| l.get("name").and_then(Value::as_str))
            .unwrap_or("?")
            .to_string();
        let mut inbound = Vec::new();
        if let Some(nodes) = l.get("inbound_nodes") {
            inbound_names(nodes, &mut inbound);
        }
        match &prev {
            None if inbound.is_empty() => {}
            Some(p) if inbound.len() == 1 && &inbound[0] == p => {}
            _ => {
                return Err(Error::unsupported(
                    format!("functional model: layer '{name}' takes inputs {inbound:?}, not just the previous layer"),
                    "only simple chains can be imported",
                ))
            }
        }
        prev = Some(name);
    }
    Ok(())
}

/// Builds a model from a config; weights are freshly initialised (use `set_weights`).
/// Every layer's size and the total parameter count are checked against
/// `crate::limits` before the first layer is built.
pub fn model_from_config(v: &Value, seed: u64) -> Result<Sequential> {
    let (input_shape, name, layers) = parse_model(v)?;
    let named: Vec<(&str, &LayerSpec)> = layers.iter().map(|l| (l.name.as_str(), &l.spec)).collect();
    limits::check_specs(&input_shape, &named)?;
    let mut model = Sequential::with_seed(&input_shape, seed);
    model.name = name;
    let mut rng = crate::rng::Rng::new(seed);
    for (i, il) in layers.iter().enumerate() {
        let input = model.output_shape();
        let layer = LayerRef::build(&il.spec, Some(il.name.clone()), &input, &mut rng)
            .map_err(|e| e.context(format!("layer {i} '{}' ({})", il.name, il.spec.class_name())))?;
        layer.set_trainable(il.trainable);
        model.add_layer(layer)?;
    }
    Ok(model)
}
