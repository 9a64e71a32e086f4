//! Shared by the Keras tests: the fixture dumps written by
//! `tests/fixtures/keras/make_fixtures.py` store arrays as `{"shape": [..], "values": [..]}`.

use serde_json::Value;
use transfer_playground::tensor::{from_vec, Tensor};

/// A `{"shape", "values"}` object from a fixture dump as a tensor.
pub fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let values: Vec<f32> = v["values"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
    from_vec(&shape, values).unwrap()
}
