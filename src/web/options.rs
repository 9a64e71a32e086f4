//! Option objects from JS (`compile`, `fit`, `predictAsync`, `imageToInput`, ...) as
//! typed Rust values. Each field is read with serde-wasm-bindgen into its Rust type, so
//! a wrong type is an error (`epochs: '5'`, `learningRate: '0.5'`, `optimizer: 123`)
//! rather than a silent default, and so is an unknown key (a typo such as
//! `learningrate`). Ranges are checked here too. Every error is `BAD_OPTION` with
//! `{option, expected, found}`.
//!
//! The same parsers serve the synchronous and the async calls (`predict(x, 0)` and
//! `predictAsync(x, {batchSize: 0})` are the same error).

use js_sys::{Array, Object};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use super::convert::{describe, get, tensor_from_js, whole_number};
use crate::device::Choice;
use crate::error::{Error, Result};
use crate::loss::{self, Loss};
use crate::tensor::Tensor;
use crate::train::fit::FitOptions;
use crate::OptimizerConfig;

/// An options object: `undefined`/`null` (no options) or a plain object whose keys are
/// all among `known`.
pub(crate) struct Options {
    obj: JsValue,
    call: &'static str,
}

impl Options {
    pub(crate) fn new(v: &JsValue, call: &'static str, known: &[&str]) -> Result<Options> {
        if v.is_undefined() || v.is_null() {
            return Ok(Options { obj: JsValue::UNDEFINED, call });
        }
        if !v.is_object() || Array::is_array(v) || v.is_function() {
            return Err(Error::bad_option(format!("{call}: options"), "an options object {...}", describe(v)));
        }
        for key in Object::keys(v.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(Error::bad_option(
                    format!("{call}: {key}"),
                    format!("one of the known options ({})", known.join(", ")),
                    "an unknown option",
                ));
            }
        }
        Ok(Options { obj: v.clone(), call })
    }

    fn raw(&self, key: &str) -> Option<JsValue> {
        let v = get(&self.obj, key);
        (!v.is_undefined() && !v.is_null()).then_some(v)
    }

    fn bad(&self, key: &str, expected: impl Into<String>, v: &JsValue) -> Error {
        Error::bad_option(format!("{}: {key}", self.call), expected, describe(v))
    }

    /// `key` as a `T` (absent: `None`), refusing a value of another type.
    fn typed<T: DeserializeOwned>(&self, key: &str, expected: &str) -> Result<Option<T>> {
        let Some(v) = self.raw(key) else {
            return Ok(None);
        };
        serde_wasm_bindgen::from_value::<T>(v.clone()).map(Some).map_err(|_| self.bad(key, expected, &v))
    }

    pub(crate) fn whole(&self, key: &str, min: u64, max: u64) -> Result<Option<u64>> {
        let Some(v) = self.raw(key) else {
            return Ok(None);
        };
        match whole_number(&v, key, min) {
            Ok(n) if n <= max => Ok(Some(n)),
            _ if max == u64::MAX || max >= 1 << 53 => Err(self.bad(key, format!("a whole number from {min}"), &v)),
            _ => Err(self.bad(key, format!("a whole number from {min} to {max}"), &v)),
        }
    }

    pub(crate) fn number(&self, key: &str, ok: impl Fn(f64) -> bool, expected: &str) -> Result<Option<f64>> {
        let Some(v) = self.raw(key) else {
            return Ok(None);
        };
        match self.typed::<f64>(key, expected)? {
            Some(x) if ok(x) => Ok(Some(x)),
            _ => Err(self.bad(key, expected, &v)),
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>> {
        self.typed::<bool>(key, "true or false")
    }

    pub(crate) fn string(&self, key: &str, expected: &str) -> Result<Option<String>> {
        self.typed::<String>(key, expected)
    }

    /// `key` as an array of at most `max` strings, its length checked before anything
    /// is copied out of it.
    pub(crate) fn strings(&self, key: &str, max: usize, expected: &str) -> Result<Option<Vec<String>>> {
        let Some(v) = self.raw(key) else {
            return Ok(None);
        };
        if !Array::is_array(&v) || v.unchecked_ref::<Array>().length() as usize > max {
            return Err(self.bad(key, expected, &v));
        }
        let items = v.unchecked_ref::<Array>().iter().map(|x| x.as_string()).collect::<Option<Vec<String>>>();
        items.map(Some).ok_or_else(|| self.bad(key, expected, &v))
    }

    pub(crate) fn value(&self, key: &str) -> Option<JsValue> {
        self.raw(key)
    }

    /// `key` as a backend choice.
    pub(crate) fn backend(&self) -> Result<Option<Choice>> {
        match self.string("backend", "'webgpu', 'cpu' or 'auto'")? {
            None => Ok(None),
            Some(name) => Choice::parse(&name).map(Some).map_err(|e| e.context(self.call)),
        }
    }
}

/// `compile({optimizer: 'sgd'|'adam', learningRate, momentum, nesterov, loss, metrics})`.
pub(crate) fn compile_options(v: &JsValue) -> Result<(Loss, OptimizerConfig)> {
    let o = Options::new(v, "compile", &["optimizer", "learningRate", "momentum", "nesterov", "loss", "metrics"])?;
    let optimizer = o.string("optimizer", "'sgd' or 'adam'")?.unwrap_or_else(|| "sgd".into()).to_lowercase();
    let lr = o.number("learningRate", |x| x.is_finite() && x > 0.0, "a positive number")?;
    let momentum = o.number("momentum", |x| (0.0..1.0).contains(&x), "a number in [0, 1)")?;
    let nesterov = o.bool("nesterov")?;
    let config = match optimizer.as_str() {
        "sgd" => OptimizerConfig::Sgd {
            learning_rate: lr.unwrap_or(0.01) as f32,
            momentum: momentum.unwrap_or(0.0) as f32,
            nesterov: nesterov.unwrap_or(false),
        },
        "adam" => {
            if let Some(key) =
                [("momentum", momentum.is_some()), ("nesterov", nesterov.is_some())].iter().find(|k| k.1).map(|k| k.0)
            {
                return Err(Error::bad_option(
                    format!("compile: {key}"),
                    "absent for 'adam' (an SGD setting)",
                    describe(&o.value(key).unwrap_or_default()),
                ));
            }
            match OptimizerConfig::adam() {
                OptimizerConfig::Adam { beta_1, beta_2, epsilon, learning_rate } => OptimizerConfig::Adam {
                    learning_rate: lr.map_or(learning_rate, |x| x as f32),
                    beta_1,
                    beta_2,
                    epsilon,
                },
                other => other,
            }
        }
        other => return Err(Error::unsupported(format!("compile: optimizer '{other}'"), "'sgd', 'adam'")),
    };
    // `learningRate: 1e-50` is positive but 0 in float32.
    if config.learning_rate() <= 0.0 || !config.learning_rate().is_finite() {
        return Err(Error::bad_option(
            "compile: learningRate",
            "a positive number that float32 can hold",
            describe(&o.value("learningRate").unwrap_or_default()),
        ));
    }
    let name = o
        .string("loss", "a loss name such as 'binaryCrossentropy'")?
        .ok_or_else(|| Error::bad_option("compile: loss", "a loss name such as 'binaryCrossentropy'", "undefined"))?;
    let loss =
        Loss::from_name(&name).map_err(|_| Error::unsupported(format!("compile: loss '{name}'"), loss::SUPPORTED))?;
    if let Some(m) = o.value("metrics") {
        let names: Vec<String> = serde_wasm_bindgen::from_value(m.clone()).map_err(|_| {
            Error::bad_option("compile: metrics", "an array of metric names, e.g. ['accuracy']", describe(&m))
        })?;
        if let Some(bad) = names.iter().find(|n| !matches!(n.as_str(), "accuracy" | "acc")) {
            return Err(Error::unsupported(format!("compile: metric '{bad}'"), "'accuracy' (always reported)"));
        }
    }
    Ok((loss, config))
}

/// `fit`'s options as typed values.
pub(crate) struct FitArgs {
    pub epochs: usize,
    pub batch_size: usize,
    pub shuffle: bool,
    pub seed: u64,
    pub validation: Option<(Tensor, Tensor)>,
    pub checkpoint_every: usize,
    pub backend: Option<Choice>,
}

impl FitArgs {
    /// The engine's options of this fit, then what stays the boundary's: the backend
    /// asked for and the GPU's checkpoint interval.
    pub fn split(self) -> (FitOptions, Option<Choice>, usize) {
        let fo = FitOptions {
            epochs: self.epochs,
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            seed: self.seed,
            validation: self.validation,
            ..FitOptions::default()
        };
        (fo, self.backend, self.checkpoint_every)
    }
}

/// `fit(x, y, {epochs, batchSize, shuffle, seed, validationData, backend, checkpointEvery})`.
/// Seeds are whole numbers up to 2^53 (what a JS number holds exactly), each its own run.
pub(crate) fn fit_options(v: &JsValue) -> Result<FitArgs> {
    let o = Options::new(
        v,
        "fit",
        &["epochs", "batchSize", "shuffle", "seed", "validationData", "backend", "checkpointEvery", "verbose"],
    )?;
    let max32 = u32::MAX as u64;
    let validation = match o.value("validationData") {
        None => None,
        Some(v) => {
            let pair = v
                .dyn_ref::<Array>()
                .filter(|a| a.length() == 2)
                .ok_or_else(|| Error::bad_option("fit: validationData", "[xValid, yValid]", describe(&v)))?;
            Some((
                tensor_from_js(&pair.get(0), "fit: validationData[0]")?,
                tensor_from_js(&pair.get(1), "fit: validationData[1]")?,
            ))
        }
    };
    // `verbose` is accepted for TF.js compatibility and means nothing here.
    o.whole("verbose", 0, 2)?;
    Ok(FitArgs {
        epochs: o.whole("epochs", 0, max32)?.unwrap_or(1) as usize,
        batch_size: o.whole("batchSize", 1, max32)?.unwrap_or(32) as usize,
        shuffle: o.bool("shuffle")?.unwrap_or(true),
        seed: o.whole("seed", 0, 1 << 53)?.unwrap_or(0),
        validation,
        checkpoint_every: o.whole("checkpointEvery", 0, max32)?.unwrap_or(0) as usize,
        backend: o.backend()?,
    })
}

/// The batch size of `predict` / `evaluate` (a number, or `{batchSize}`) and of
/// `predictAsync` / `evaluateAsync` (`{batchSize, backend}`): a whole number from 1,
/// 256 when absent. The same rule for the synchronous and the async calls.
pub(crate) fn inference_options(
    v: &JsValue,
    call: &'static str,
    with_backend: bool,
) -> Result<(usize, Option<Choice>)> {
    if v.as_f64().is_some() || v.as_string().is_some() {
        let n = whole_number(v, &format!("{call}: batchSize"), 1)?;
        return Ok((n.min(u32::MAX as u64) as usize, None));
    }
    let known: &[&str] = if with_backend { &["batchSize", "backend"] } else { &["batchSize"] };
    let o = Options::new(v, call, known)?;
    let batch = o.whole("batchSize", 1, u64::MAX)?.map_or(256, |n| n.min(u32::MAX as u64) as usize);
    Ok((batch, if with_backend { o.backend()? } else { None }))
}
