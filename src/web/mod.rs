//! The wasm boundary: a small JS API named after TF.js Layers (`loadLayersModel`,
//! `model.layers`, `layer.trainable`, `compile`, `fit`, `evaluate`, `predict`,
//! `cloneModel`, `sequential`) over the native engine. `www/API.md` documents it.
//!
//! # Shape of the boundary
//! - Long-lived things are opaque handles: `Model` (an `Rc<RefCell<Sequential>>`, so
//!   several JS objects can point at one model), `Layer` (a shared `LayerRef`) and
//!   `FitRun` (a resumable `fit`).
//! - Tensors go in as plain objects `{data: Float32Array, shape: number[]}` and come
//!   out the same way; small results (summaries, logs) are plain objects.
//! - Every failure is an `EngineError` with a `code` and `params` (`errors.rs`); every
//!   size from JS is checked before it is copied in (`convert.rs`, `crate::limits`);
//!   options are typed (`options.rs`); after a panic every call throws `PANICKED`
//!   (`panic.rs`). Nothing here unwraps JS input.
//!
//! # Files, one concept each
//! | file | what |
//! |---|---|
//! | `convert.rs` | tensors, bytes and text in and out, with their size checks |
//! | `options.rs` | option objects as typed values (`compile`, `fit`, inference) |
//! | `errors.rs` | `Error` as a thrown JS `EngineError` |
//! | `panic.rs` | the panic hook, poisoning, `panicMessage`, `__panicForTest` |
//! | `layer.rs` | `Layer` handles and the registry of live ones |
//! | `model.rs` | `Model` handles: structure, weights, `add`/`pop`/`compile`, `sequential`, `cloneModel` |
//! | `models.rs` | what the boundary remembers per model (backend, GPU run, newest fit) |
//! | `io.rs` | model files: TF.js and Keras, in and out |
//! | `train.rs` | `fit`, `evaluate`, `predict` on the CPU |
//! | `fit.rs` | `FitRun`: stepping, interleaving, divergence |
//! | `parallel.rs` | `ParallelFit` and `Replica`: data-parallel training across workers |
//! | `gpu.rs` | WebGPU: `initGpu`, `backends`, `backendFor`, `toBackend`, async inference |
//! | `data.rs` | `loadImageSet` |
//! | `image.rs` | `imageToInput`, `resizeImages` |
//! | `lesson.rs` | the lesson's views: `layerOutputs`, weight snapshots and movement, `confusionMatrix`, `accuracyEstimate`, `compareAccuracies` |

mod convert;
mod data;
mod errors;
mod fit;
mod gpu;
mod image;
mod io;
mod layer;
mod lesson;
mod model;
mod models;
mod options;
mod panic;
mod parallel;
mod train;

use js_sys::Object;
use wasm_bindgen::prelude::*;

pub use data::load_image_set;
pub use fit::FitRun;
pub use gpu::{backend_for, backends, init_gpu, simulate_device_loss};
pub use image::{image_to_input, resize_images};
pub use io::{load_keras_model, load_layers_model};
pub use layer::JsLayer;
pub use lesson::{accuracy_estimate, compare_accuracies, confusion_matrix, weight_movement, JsWeightSnapshot};
pub use model::{clone_model, sequential, JsModel};
pub use panic::{panic_for_test, panic_message};
pub use parallel::{ParallelFit, Replica};

use crate::error::Result;

/// The engine's version, for the page's footer.
#[wasm_bindgen]
pub fn version() -> Result<String> {
    panic::enter()?;
    Ok(env!("CARGO_PKG_VERSION").to_string())
}

/// `keras.utils.set_random_seed`: models created afterwards (e.g. by `cloneModel`)
/// get reproducible fresh weights. The seed is a whole number up to 2^53 (what a JS
/// number holds exactly); each seed is its own stream.
#[wasm_bindgen(js_name = setRandomSeed)]
pub fn set_random_seed(seed: &JsValue) -> Result<()> {
    panic::enter()?;
    let seed = convert::whole_number(seed, "setRandomSeed: seed", 0)?;
    if seed > 1 << 53 {
        return Err(crate::Error::bad_option("setRandomSeed: seed", "a whole number from 0 to 2^53", seed.to_string()));
    }
    crate::set_random_seed(seed);
    Ok(())
}

/// The engine's hard limits (`www/API.md`, "Limits"): `{maxParams, maxBatchBytes,
/// maxInputBytes, maxImagePixels, maxArchiveEntryBytes, maxDim}`.
#[wasm_bindgen]
pub fn limits() -> Result<Object> {
    panic::enter()?;
    let o = Object::new();
    for (name, value) in crate::limits::ALL {
        convert::set(&o, name, value as f64);
    }
    Ok(o)
}
