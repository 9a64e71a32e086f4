//! `FitRunner`: a stepwise `fit` on either backend that survives losing the GPU.
//!
//! On the GPU it drives a [`GpuFitSession`]; if a step fails because the GPU failed
//! (device lost: a driver reset, a background tab, `device.destroy()`), it builds a
//! CPU [`FitSession`] positioned at the session's last checkpoint (the last state read
//! back into the `Sequential`) and goes on there, reporting once what happened. Data
//! errors and divergence are not GPU failures and are returned as they are.

use std::cell::RefCell;
use std::rc::Rc;

use super::context::{is_gpu_failure, GpuContext};
use super::fit::GpuFitSession;
use crate::error::{Error, Result};
use crate::model::Sequential;
use crate::tensor::Tensor;
use crate::train::fit::{Event, FitOptions, FitSession, History};

// One per fit, so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Session {
    Cpu(FitSession),
    Gpu(GpuFitSession),
}

/// One step's result: the event, and the reason when this step moved the fit from the
/// GPU to the CPU.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerStep {
    pub event: Event,
    pub fell_back: Option<String>,
}

pub struct FitRunner {
    session: Session,
    // Kept to rebuild the fit on the CPU.
    x: Tensor,
    y: Tensor,
    opts: FitOptions,
    fallback: Option<String>,
}

impl FitRunner {
    pub fn cpu(model: &Sequential, x: &Tensor, y: &Tensor, opts: FitOptions) -> Result<FitRunner> {
        let session = Session::Cpu(FitSession::new(model, x, y, opts.clone())?);
        Ok(FitRunner { session, x: x.clone(), y: y.clone(), opts, fallback: None })
    }

    /// A GPU fit with a checkpoint at every epoch end and every `checkpoint_every`
    /// batches (0: epoch ends only).
    pub fn gpu(
        ctx: Rc<GpuContext>,
        model: &Sequential,
        x: &Tensor,
        y: &Tensor,
        opts: FitOptions,
        checkpoint_every: usize,
    ) -> Result<FitRunner> {
        let session = Session::Gpu(GpuFitSession::new(ctx, model, x, y, opts.clone(), checkpoint_every)?);
        Ok(FitRunner { session, x: x.clone(), y: y.clone(), opts, fallback: None })
    }

    pub fn on_gpu(&self) -> bool {
        matches!(self.session, Session::Gpu(_))
    }

    /// Why the fit left the GPU, if it did.
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    pub fn batches_per_epoch(&self) -> usize {
        match &self.session {
            Session::Cpu(s) => s.batches_per_epoch(),
            Session::Gpu(s) => s.batches_per_epoch(),
        }
    }

    pub fn is_done(&self) -> bool {
        match &self.session {
            Session::Cpu(s) => s.is_done(),
            Session::Gpu(s) => s.is_done(),
        }
    }

    pub fn history(&self) -> &History {
        match &self.session {
            Session::Cpu(s) => s.history(),
            Session::Gpu(s) => s.history(),
        }
    }

    /// The next step on the current backend; on a GPU failure, the switch to the CPU
    /// and that backend's next step.
    pub async fn step(&mut self, model: &RefCell<Sequential>) -> Result<RunnerStep> {
        let gpu = match &mut self.session {
            Session::Cpu(s) => {
                let mut m = model.try_borrow_mut().map_err(|_| Error::busy("another call is using it"))?;
                return Ok(RunnerStep { event: s.step(&mut m)?, fell_back: None });
            }
            Session::Gpu(g) => g,
        };
        let e = match gpu.step(model).await {
            Ok(event) => return Ok(RunnerStep { event, fell_back: None }),
            Err(e) if is_gpu_failure(&e, gpu.context()) => e,
            Err(e) => return Err(e),
        };
        let (epoch, batch) = gpu.position();
        let at = gpu.checkpoint();
        let reason = if gpu.context().is_lost() {
            "the GPU device was lost".to_string()
        } else {
            format!("the GPU failed ({e})")
        };
        let msg = format!(
            "{reason} during epoch {} (batch {}); training goes on on the CPU from epoch {}, batch {} (the last state read back from the GPU).",
            epoch + 1,
            batch,
            at.epoch + 1,
            at.batch
        );
        let history = gpu.history().clone();
        let cpu = FitSession::resume_at(
            &*model.try_borrow().map_err(|_| Error::busy("another call is using it"))?,
            &self.x,
            &self.y,
            self.opts.clone(),
            at,
            history,
        )?;
        self.session = Session::Cpu(cpu);
        self.fallback = Some(msg.clone());
        let Session::Cpu(s) = &mut self.session else { unreachable!() };
        let mut m = model.try_borrow_mut().map_err(|_| Error::busy("another call is using it"))?;
        Ok(RunnerStep { event: s.step(&mut m)?, fell_back: Some(msg) })
    }

    /// Makes the `Sequential` hold the fit's current state (a GPU read-back; nothing to
    /// do on the CPU). Call it after stopping, before using the model elsewhere.
    pub async fn sync(&mut self, model: &RefCell<Sequential>) -> Result<()> {
        if let Session::Gpu(g) = &mut self.session {
            if g.context().is_lost() {
                return Ok(()); // the model keeps the last checkpoint; the next step falls back
            }
            if g.is_done() {
                return Ok(()); // the last epoch end read the final state back
            }
            g.save_checkpoint(model).await?;
        }
        Ok(())
    }
}
