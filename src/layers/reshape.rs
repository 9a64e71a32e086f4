//! `Flatten`: `[batch, d1, .., dk]` -> `[batch, d1 * .. * dk]` in row-major (NHWC)
//! order, which is Keras' `channels_last` flatten order.

use crate::error::{Error, Result};
use crate::tensor::{standard, Tensor};
use ndarray::IxDyn;

#[derive(Debug, Clone, Default)]
pub struct Flatten {
    in_shape: Option<Vec<usize>>,
}

impl Flatten {
    pub fn forward(&mut self, x: Tensor) -> Result<Tensor> {
        if x.ndim() < 1 {
            return Err(Error::Shape("Flatten needs a batch axis".into()));
        }
        let n = x.shape()[0];
        let rest: usize = x.shape()[1..].iter().product();
        self.in_shape = Some(x.shape().to_vec());
        // A reshape of standard layout data is free (no copy).
        Ok(standard(x).into_shape_with_order(IxDyn(&[n, rest])).expect("same size").into_dyn())
    }

    pub fn backward(&mut self, dy: Tensor) -> Result<Tensor> {
        let s =
            self.in_shape.clone().ok_or_else(|| Error::Config("Flatten: backward without a forward pass".into()))?;
        standard(dy).into_shape_with_order(IxDyn(&s)).map_err(|e| Error::Shape(e.to_string()))
    }
}
