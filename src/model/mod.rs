//! Models: layer handles shared as in Keras, the `Sequential` container, its summary,
//! and the project's model file format.

pub mod infer;
pub mod io;
pub mod keras_json;
pub mod layer_outputs;
pub mod sequential;
pub mod summary;
pub mod weight_movement;

use std::cell::{Ref, RefCell, RefMut};
use std::collections::HashMap;
use std::rc::Rc;

use crate::layers::{Layer, LayerSpec};
use crate::rng::Rng;

pub use sequential::Sequential;

/// A built layer with its Keras attributes. Lives behind a [`LayerRef`].
#[derive(Debug)]
pub struct LayerNode {
    pub name: String,
    /// Keras' `layer.trainable`. Read by `compile`, which snapshots it.
    pub trainable: bool,
    pub layer: Layer,
    /// Per-example input and output shapes the layer was built for.
    pub input_shape: Vec<usize>,
    pub output_shape: Vec<usize>,
    id: u64,
}

/// A shared handle to a layer, like a Python reference to a Keras layer object: a
/// model built from another model's layers holds the same objects, so training one
/// changes the other. `clone_model` is how to get independent copies.
#[derive(Debug, Clone)]
pub struct LayerRef(Rc<RefCell<LayerNode>>);

thread_local! {
    static NAMES: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
    static NEXT_ID: RefCell<u64> = const { RefCell::new(1) };
    static GLOBAL_RNG: RefCell<Rng> = RefCell::new(Rng::new(0));
}

/// Keras' `keras.utils.set_random_seed`: makes weight initialisation (of models
/// created afterwards without an explicit seed) reproducible.
pub fn set_random_seed(seed: u64) {
    GLOBAL_RNG.with(|r| *r.borrow_mut() = Rng::new(seed));
}

pub(crate) fn global_rng_fork() -> Rng {
    GLOBAL_RNG.with(|r| r.borrow_mut().fork())
}

/// A unique Keras-style name: `conv2d`, `conv2d_1`, ... (per thread, like a Keras session).
pub fn unique_name(stem: &str) -> String {
    NAMES.with(|n| {
        let mut n = n.borrow_mut();
        let count = n.entry(stem.to_string()).or_insert(0);
        let name = if *count == 0 { stem.to_string() } else { format!("{stem}_{count}") };
        *count += 1;
        name
    })
}

impl LayerRef {
    pub fn new(name: String, layer: Layer, input_shape: Vec<usize>, output_shape: Vec<usize>) -> LayerRef {
        let id = NEXT_ID.with(|n| {
            let mut n = n.borrow_mut();
            *n += 1;
            *n
        });
        LayerRef(Rc::new(RefCell::new(LayerNode { name, trainable: true, layer, input_shape, output_shape, id })))
    }

    /// Builds a layer from a spec for a per-example input shape.
    pub fn build(
        spec: &LayerSpec,
        name: Option<String>,
        input_shape: &[usize],
        rng: &mut Rng,
    ) -> crate::Result<LayerRef> {
        let output_shape = spec.output_shape(input_shape)?;
        let layer = Layer::build(spec, input_shape, rng)?;
        let name = name.unwrap_or_else(|| unique_name(spec.name_stem()));
        Ok(LayerRef::new(name, layer, input_shape.to_vec(), output_shape))
    }

    pub fn borrow(&self) -> Ref<'_, LayerNode> {
        self.0.borrow()
    }

    pub fn borrow_mut(&self) -> RefMut<'_, LayerNode> {
        self.0.borrow_mut()
    }

    pub fn name(&self) -> String {
        self.0.borrow().name.clone()
    }

    pub fn trainable(&self) -> bool {
        self.0.borrow().trainable
    }

    /// Keras' `layer.trainable = value`; takes effect at the next `compile`.
    pub fn set_trainable(&self, value: bool) {
        self.0.borrow_mut().trainable = value;
    }

    /// Identity of the layer object (equal for shared handles, different after a clone).
    pub fn id(&self) -> u64 {
        self.0.borrow().id
    }

    pub fn ptr_eq(&self, other: &LayerRef) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub fn spec(&self) -> LayerSpec {
        self.0.borrow().layer.spec()
    }

    pub fn param_count(&self) -> usize {
        self.0.borrow().layer.params().iter().map(|p| p.value.len()).sum()
    }
}
