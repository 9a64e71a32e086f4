//! `predict`, `evaluate` and `layer_outputs` on the GPU, with the CPU as the fallback.
//!
//! The `Sequential` is the source of truth between calls (a GPU fit reads its state back
//! into it), so each call uploads the model, runs in inference mode and reads only the
//! result back. If the GPU fails (device lost: a driver reset, a background tab,
//! `device.destroy()`), the same call runs on the CPU and the result says why, so a
//! page that asked for the GPU still gets its number. Errors in the data are errors on
//! either backend, with the same messages.

use std::cell::RefCell;
use std::rc::Rc;

use super::context::{is_gpu_failure, GpuContext};
use super::model::GpuModel;
use crate::error::{Error, Result};
use crate::model::layer_outputs::LayerOutput;
use crate::model::sequential::Evaluation;
use crate::model::Sequential;
use crate::tensor::Tensor;

/// A result and where it was computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed<T> {
    pub value: T,
    /// Whether the GPU computed `value`.
    pub on_gpu: bool,
    /// Why the CPU computed it although a GPU context was given.
    pub fallback: Option<String>,
}

/// `model.predict(x)` on `ctx`'s GPU, or on the CPU when `ctx` is `None` or the GPU fails.
pub async fn predict(
    ctx: Option<Rc<GpuContext>>,
    model: &RefCell<Sequential>,
    x: &Tensor,
    batch_size: usize,
) -> Result<Computed<Tensor>> {
    on_gpu_or_cpu(
        ctx,
        model,
        batch_size,
        async |g: &mut GpuModel, bs| g.predict(x, bs).await,
        |m| m.predict(x, batch_size),
    )
    .await
}

/// `model.evaluate(x, y)` on `ctx`'s GPU, or on the CPU when `ctx` is `None` or the GPU fails.
pub async fn evaluate(
    ctx: Option<Rc<GpuContext>>,
    model: &RefCell<Sequential>,
    x: &Tensor,
    y: &Tensor,
    batch_size: usize,
) -> Result<Computed<Evaluation>> {
    on_gpu_or_cpu(
        ctx,
        model,
        batch_size,
        async |g: &mut GpuModel, bs| g.evaluate(x, y, bs).await,
        |m| m.evaluate(x, y, batch_size),
    )
    .await
}

/// `model.layer_outputs(x, layers)` (what each chosen layer sees, inference mode) on
/// `ctx`'s GPU, or on the CPU when `ctx` is `None` or the GPU fails. The selection is
/// checked first with the CPU's rule (`Sequential::layer_selection`), so both give the
/// same errors; the caller checks the result's size against the limits.
pub async fn layer_outputs(
    ctx: Option<Rc<GpuContext>>,
    model: &RefCell<Sequential>,
    x: &Tensor,
    layers: Option<&[usize]>,
    batch_size: usize,
) -> Result<Computed<Vec<LayerOutput>>> {
    // Names and classes of the chosen layers, read once (not across an await).
    let (chosen, labels) = {
        let m = borrow(model)?;
        let chosen = m.layer_selection(layers)?;
        let labels: Vec<(String, &'static str)> = chosen
            .iter()
            .map(|&i| {
                let node = m.layers()[i].borrow();
                (node.name.clone(), node.layer.spec().class_name())
            })
            .collect();
        (chosen, labels)
    };
    let chosen_ref = &chosen;
    on_gpu_or_cpu(
        ctx,
        model,
        batch_size,
        async |g: &mut GpuModel, bs| {
            let outputs = g.layer_outputs(x, chosen_ref, bs).await?;
            Ok(chosen_ref
                .iter()
                .zip(&labels)
                .zip(outputs)
                .map(|((&index, (name, class_name)), output)| LayerOutput {
                    index,
                    name: name.clone(),
                    class_name,
                    output,
                })
                .collect())
        },
        |m| m.layer_outputs(x, Some(chosen_ref), batch_size),
    )
    .await
}

fn borrow(model: &RefCell<Sequential>) -> Result<std::cell::Ref<'_, Sequential>> {
    model.try_borrow().map_err(|_| Error::busy("another call is using it"))
}

async fn on_gpu_or_cpu<T>(
    ctx: Option<Rc<GpuContext>>,
    model: &RefCell<Sequential>,
    batch_size: usize,
    gpu: impl AsyncFnOnce(&mut GpuModel, usize) -> Result<T>,
    cpu: impl FnOnce(&Sequential) -> Result<T>,
) -> Result<Computed<T>> {
    let mut fallback = None;
    if let Some(ctx) = ctx {
        let attempt = async {
            // The model is borrowed for the upload only, never across an await.
            let (mut g, bs) = {
                let m = borrow(model)?;
                // On the GPU the batch only groups the work: take the largest that fits.
                let bs = GpuModel::largest_batch(&m, batch_size);
                (GpuModel::new(ctx.clone(), &m, bs)?, bs)
            };
            gpu(&mut g, bs).await
        }
        .await;
        match attempt {
            Ok(value) => return Ok(Computed { value, on_gpu: true, fallback: None }),
            Err(e) if is_gpu_failure(&e, &ctx) => {
                let reason =
                    if ctx.is_lost() { "the GPU device was lost".to_string() } else { format!("the GPU failed ({e})") };
                fallback = Some(format!("{reason}; computed on the CPU instead."));
            }
            Err(e) => return Err(e),
        }
    }
    let value = cpu(&*borrow(model)?)?;
    Ok(Computed { value, on_gpu: false, fallback })
}
