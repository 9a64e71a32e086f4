//! Reading Keras model files: the bytes a learner drops on the page (`my_model_A.h5` from
//! `model.save(...)`, or a Keras 3 `.keras` archive) become the model's config JSON and its
//! weight arrays, in Keras' own order. Pure Rust, so it runs unchanged in WebAssembly.
//!
//! [`read_model_file`] hands over exactly what the file says, checked and converted to
//! `f32`; [`load_keras_model`] (in `import.rs`) builds an engine model from it, through
//! the config mapping in `model::keras_json` and the weight adapter in `weights.rs`.
//! `export.rs` writes both formats back ([`to_keras_archive`], [`to_legacy_h5`]).
//!
//! # The two formats
//! * **Legacy HDF5** (`model.save("x.h5")`, Keras 2 / tf-keras and Keras 3 alike): root
//!   attributes `model_config` (JSON text), `keras_version`, `backend`; group
//!   `model_weights` with attribute `layer_names` (every layer in model order, weightless
//!   ones included, and for a Functional model its `InputLayer`s too); each
//!   `model_weights/<layer>` has attribute `weight_names` giving the order, and the arrays
//!   live at `model_weights/<layer>/<weight_name>`. The weight names differ by writer:
//!   tf-keras 2.x writes `conv2d/kernel:0`, Keras 3 writes `model_A/conv2d/kernel`
//!   (prefixed with the model's name). Very long lists may be split by Keras into
//!   `layer_names0`, `layer_names1`, ...; both spellings are read. Read in `h5.rs`.
//! * **Keras 3 archive** (`model.save("x.keras")`, tf-keras 2.21 writes the same layout):
//!   a zip (entries stored, not deflated, by every writer seen) of `config.json` (the
//!   model config, with `module`/`registered_name`/`build_config` extras),
//!   `metadata.json` (`keras_version`, `date_saved`) and `model.weights.h5`, where
//!   weights are *unnamed* and numbered: `layers/<key>/vars/<i>`. The `<key>` is the
//!   snake_case class name made unique in model order (`conv2d`, `conv2d_1`,
//!   `leaky_re_lu`, ...), not the layer's name; Keras 3.15 also records the layer's name
//!   in the attribute `name` of each `vars` group, tf-keras does not. Read in `archive.rs`
//!   and `h5.rs`.
//!
//! # Weight order, as observed in real files (Keras 3.15.1 and tf-keras 2.21.0)
//! The order is Keras' `layer.get_weights()` order, the same in both formats:
//! * `Conv2D`: `kernel` HWIO `[kh, kw, c_in, c_out]`, then `bias` `[c_out]` (absent with
//!   `use_bias=False`).
//! * `Dense`: `kernel` `[in, out]`, then `bias` `[out]`. After `Flatten`, `in` counts
//!   NHWC-flattened features (Keras is channels-last).
//! * `BatchNormalization`: `gamma`, `beta`, `moving_mean`, `moving_variance`, each
//!   `[channels]` (`gamma` absent with `scale=False`, `beta` with `center=False`).
//! * Pooling, `Flatten`, `Dropout`, `Activation`, `LeakyReLU`, `GlobalAveragePooling2D`:
//!   no weights (an empty list).
//!
//! Names are `"<layer name>/<variable>"` (`"conv2d/kernel"`). A `.keras` file stores no
//! variable names, so they are given from the class (`kernel`, `bias`, BatchNorm's four);
//! a class this module does not know gets its index (`"my_layer/0"`).
//!
//! # `layers`
//! One [`LayerWeights`] per layer of the model in model order, weightless layers included
//! (empty `weights`), `InputLayer`s left out (they never hold weights, and writers
//! disagree on listing them).
//!
//! # Hostile input
//! Every input gives `Ok` or `Err`, never a panic or a hang: the formats are sniffed
//! first, every array's declared size is checked against the input's length before a
//! read allocates for it ([`MAX_EXPANSION`]) and against the engine's limits (no array,
//! and not all of them together, over `limits::MAX_PARAMS` values; no zip entry over
//! `limits::MAX_ARCHIVE_ENTRY_BYTES`), zip entries are read through a bounded reader, and `tests/keras_files.rs` mutates the real fixtures thousands of times.
//! HDF5 parsing is done by the `hdf5-pure` crate (pure Rust, wasm32-clean, returns
//! errors for malformed files and is fuzzed upstream); the zip by `zip` with only
//! inflate (through `flate2`'s pure-Rust `miniz_oxide` backend).

mod archive;
pub mod export;
mod h5;
mod import;
pub mod weights;

pub use export::{to_keras_archive, to_keras_archive_with, to_legacy_h5, ArchiveMetadata, MAX_CLASS_NAME_BYTES};
pub use import::{load_keras_model, load_keras_model_and_class_names};

use std::fmt;

/// A decoded array may be at most this many times the input's length: an uncompressed
/// array can never be larger than the file that holds it, and float weights deflate
/// by far less than this. A header claiming more is corrupt (or a decompression bomb).
pub const MAX_EXPANSION: usize = 64;

/// Which container the bytes were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KerasFormat {
    /// `model.save("x.h5")`: one HDF5 file.
    LegacyH5,
    /// `model.save("x.keras")`: a zip holding `config.json` and `model.weights.h5`.
    KerasV3,
}

/// Everything a Keras model file says that the playground needs.
#[derive(Debug, Clone, PartialEq)]
pub struct KerasModelFile {
    pub format: KerasFormat,
    /// The Keras version that wrote the file (`"3.15.1"`, `"2.21.0"`), when recorded.
    pub keras_version: Option<String>,
    /// The class names a `.keras` archive's `metadata.json` holds (`"class_names"`, as
    /// [`to_keras_archive_with`] writes them), when it holds a list of strings.
    pub class_names: Option<Vec<String>>,
    /// The `{"class_name": "Sequential" | "Functional" | "Model", "config": {...}}` object.
    pub model_config: serde_json::Value,
    /// One entry per non-input layer, in model order (see the module docs).
    pub layers: Vec<LayerWeights>,
}

/// The weights of one layer, in Keras' `get_weights()` order.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    pub layer_name: String,
    pub weights: Vec<NamedArray>,
}

/// One weight array, row-major (C order) in the shape Keras stores.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedArray {
    /// `"<layer name>/<variable>"`, e.g. `"conv2d/kernel"`.
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Why a file could not be read, worded for a learner who just uploaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KerasFileError {
    /// Neither the HDF5 signature nor a zip header.
    NotAModelFile { first_bytes: Vec<u8>, len: usize },
    /// The HDF5 structure could not be parsed.
    CorruptHdf5(String),
    /// The zip structure could not be parsed.
    CorruptArchive(String),
    /// A `.keras` archive without `config.json`.
    ArchiveWithoutConfig,
    /// A `.keras` archive without `model.weights.h5`.
    ArchiveWithoutWeights,
    /// An HDF5 file of weights only (`model.save_weights`).
    WeightsOnly,
    /// An HDF5 file that is no Keras file at all.
    NotKeras,
    /// The config JSON is missing, not JSON, or not shaped like a Keras model config.
    BadConfig(String),
    /// Weights that the file's own index names are missing or malformed.
    BadWeights(String),
    /// A weight stored as something other than a float.
    UnsupportedDtype { name: String, dtype: String },
    /// A size declared in the file that cannot be true for an input this long.
    TooLarge { what: String, declared_bytes: u64, input_bytes: usize },
    /// A valid file using something this reader does not handle yet.
    Unsupported(String),
    /// A size the file declares that is over one of the engine's limits
    /// (`crate::limits`: parameters, archive entry size).
    Limit { what: String, value: u64, limit: u64 },
    /// Memory for an array the file holds could not be had.
    OutOfMemory { what: String, bytes: u64 },
}

impl fmt::Display for KerasFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use KerasFileError::*;
        match self {
            NotAModelFile { len: 0, .. } => {
                write!(f, "the file is empty (0 bytes): not an HDF5 file or .keras archive")
            }
            NotAModelFile { first_bytes, len } => {
                write!(f, "not an HDF5 file or .keras archive (first bytes")?;
                for b in first_bytes {
                    write!(f, " {b:02x}")?;
                }
                let text: String = first_bytes
                    .iter()
                    .map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' })
                    .collect();
                write!(
                    f,
                    " \"{text}\", {len} bytes); a Keras model file starts with \
                     \\x89HDF (.h5) or PK (.keras)"
                )
            }
            CorruptHdf5(d) => write!(f, "truncated/corrupt HDF5: {d}"),
            CorruptArchive(d) => write!(f, "truncated/corrupt .keras archive (zip): {d}"),
            ArchiveWithoutConfig => write!(
                f,
                ".keras archive has no config.json: it is a zip, but not one written by \
                 Keras' model.save"
            ),
            ArchiveWithoutWeights => write!(
                f,
                ".keras archive has no model.weights.h5: it is a zip, but not one written by \
                 Keras' model.save"
            ),
            WeightsOnly => write!(
                f,
                "h5 file has no model_config attribute: this looks like a weights-only file \
                 (save_weights); save the whole model with model.save"
            ),
            NotKeras => write!(
                f,
                "h5 file has no model_config attribute and no Keras weights: it is HDF5, but \
                 not a Keras model file"
            ),
            BadConfig(d) => write!(f, "bad model config: {d}"),
            BadWeights(d) => write!(f, "bad weights: {d}"),
            UnsupportedDtype { name, dtype } => {
                write!(f, "weight '{name}' is stored as {dtype}; only float16/32/64 weights can be read")
            }
            TooLarge { what, declared_bytes, input_bytes } => write!(
                f,
                "truncated/corrupt file: {what} declares {declared_bytes} bytes, which cannot \
                 fit in a {input_bytes}-byte file"
            ),
            Unsupported(d) => write!(f, "not supported yet: {d}"),
            Limit { what, value, limit } => {
                write!(f, "{}", crate::Error::limit(what.clone(), *value as f64, *limit as f64))
            }
            OutOfMemory { what, bytes } => {
                write!(f, "{}", crate::Error::OutOfMemory { what: what.clone(), bytes: *bytes as f64 })
            }
        }
    }
}

impl std::error::Error for KerasFileError {}

impl From<KerasFileError> for crate::Error {
    fn from(e: KerasFileError) -> crate::Error {
        match e {
            KerasFileError::Limit { what, value, limit } => crate::Error::limit(what, value as f64, limit as f64),
            KerasFileError::OutOfMemory { what, bytes } => crate::Error::OutOfMemory { what, bytes: bytes as f64 },
            KerasFileError::Unsupported(d) => {
                crate::Error::unsupported(d, "flat Sequential models and simple chains of layers")
            }
            KerasFileError::UnsupportedDtype { name, dtype } => {
                crate::Error::unsupported(format!("weight '{name}' stored as {dtype}"), "float16, float32, float64")
            }
            other => crate::Error::Format(other.to_string()),
        }
    }
}

/// The 8-byte HDF5 format signature.
const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Reads a Keras model file from its bytes, sniffing the format from its first bytes.
///
/// ```no_run
/// let bytes = std::fs::read("my_model_A.h5").unwrap();
/// let file = transfer_playground::keras::read_model_file(&bytes)?;
/// assert_eq!(file.model_config["class_name"], "Sequential");
/// # Ok::<(), transfer_playground::keras::KerasFileError>(())
/// ```
pub fn read_model_file(bytes: &[u8]) -> Result<KerasModelFile, KerasFileError> {
    if h5::has_signature(bytes) {
        h5::read_legacy_model(bytes)
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        archive::read_keras_archive(bytes)
    } else {
        Err(KerasFileError::NotAModelFile { first_bytes: bytes.iter().take(8).copied().collect(), len: bytes.len() })
    }
}

/// One entry of the config's `layers` list.
#[derive(Debug, Clone)]
struct ConfigLayer {
    name: String,
    class_name: String,
    /// The layer's own `config` object (`use_bias`, `center`, ...), or `null`.
    config: serde_json::Value,
}

/// Every layer of the config's `layers` list, in order. Sequential configs keep the name
/// in `config.name`; Functional ones also at the top.
fn config_layers(model_config: &serde_json::Value) -> Result<Vec<ConfigLayer>, KerasFileError> {
    let class = model_config
        .get("class_name")
        .and_then(|c| c.as_str())
        .ok_or_else(|| KerasFileError::BadConfig("the model config has no \"class_name\"".into()))?;
    let layers =
        model_config.get("config").and_then(|c| c.get("layers")).and_then(|l| l.as_array()).ok_or_else(|| {
            KerasFileError::BadConfig(format!(
                "the {class} config has no \"layers\" list (only Sequential and Functional \
                 models can be read)"
            ))
        })?;
    layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let class_name = layer.get("class_name").and_then(|c| c.as_str());
            let config = layer.get("config").cloned().unwrap_or(serde_json::Value::Null);
            let name = config.get("name").or_else(|| layer.get("name")).and_then(|n| n.as_str());
            match (name, class_name) {
                (Some(n), Some(c)) => {
                    Ok(ConfigLayer { name: n.to_string(), class_name: c.to_string(), config: config.clone() })
                }
                _ => Err(KerasFileError::BadConfig(format!("layer {i} of the config has no name or class_name"))),
            }
        })
        .collect()
}

/// Whether a config class is a model nested as a layer (its weights live one level down).
fn is_nested_model(class_name: &str) -> bool {
    matches!(class_name, "Sequential" | "Functional" | "Model")
}
