//! What the boundary remembers about each model, beside the model itself: its backend
//! choice (`toBackend`), its latest GPU fit run (to read the newest weights back), and
//! which fit run is its newest (so an older, interleaved run is refused).
//!
//! Kept by model identity (the `Rc`'s address, checked against a weak reference so a
//! reused address is not mistaken) rather than in `JsModel`, because several JS handles
//! can point at one model.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crate::device::Choice;
use crate::gpu::FitRunner;
use crate::Sequential;

pub(crate) type SharedModel = Rc<RefCell<Sequential>>;

pub(crate) struct ModelState {
    model: Weak<RefCell<Sequential>>,
    /// The backend `fit`, `predictAsync` and `evaluateAsync` use when not told.
    pub backend: Choice,
    /// The latest fit run that started on the GPU.
    pub gpu_run: Weak<RefCell<FitRunner>>,
    /// The number of the newest fit run started on this model (0: none yet).
    pub newest_fit: u64,
    /// The names of its classes, as the Keras file it was loaded from gave them.
    pub class_names: Option<Vec<String>>,
}

thread_local! {
    static MODELS: RefCell<Vec<ModelState>> = const { RefCell::new(Vec::new()) };
    static FIT_COUNTER: RefCell<u64> = const { RefCell::new(0) };
}

/// Runs `f` on `model`'s state (created on first use; states of dropped models go).
pub(crate) fn with_state<T>(model: &SharedModel, f: impl FnOnce(&mut ModelState) -> T) -> T {
    MODELS.with(|all| {
        let mut all = all.borrow_mut();
        all.retain(|m| m.model.strong_count() > 0);
        let i = match all.iter().position(|m| std::ptr::eq(m.model.as_ptr(), Rc::as_ptr(model))) {
            Some(i) => i,
            None => {
                all.push(ModelState {
                    model: Rc::downgrade(model),
                    backend: Choice::Cpu,
                    gpu_run: Weak::new(),
                    newest_fit: 0,
                    class_names: None,
                });
                all.len() - 1
            }
        };
        f(&mut all[i])
    })
}

/// A new fit run on `model`: its number, now the model's newest.
pub(crate) fn start_fit(model: &SharedModel) -> u64 {
    let n = FIT_COUNTER.with(|c| {
        let mut c = c.borrow_mut();
        *c += 1;
        *c
    });
    with_state(model, |s| s.newest_fit = n);
    n
}
