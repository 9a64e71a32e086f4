//! Errors are values: every public entry point returns one of these, with a message a
//! learner can act on (which layer, what was expected, what was found).
//!
//! # Kinds, codes and parameters
//! Each variant is a *kind* with a stable SCREAMING_SNAKE [`Error::code`] and a few
//! named [`Error::params`], so the page can translate an error without reading its
//! English text (`www/API.md`, "Errors", lists every code). The message
//! ([`Display`](fmt::Display)) stays English and says everything.
//!
//! The older kinds carry free text (`Error::Shape("...")`): their only parameter is
//! `detail`, the text itself. The newer ones carry the values a translation needs
//! (`Limit { what, value, limit }`). Either way, code never matches on message text:
//! match on the variant.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A tensor or weight had the wrong shape. Code `SHAPE`.
    Shape(String),
    /// A layer, loss or optimizer setting is not valid. Code `CONFIG`.
    Config(String),
    /// Training or evaluation data is unusable (empty, labels out of range, ...). Code `DATA`.
    Data(String),
    /// An operation needs `compile` first. Code `NOT_COMPILED`.
    NotCompiled(String),
    /// The loss or a gradient became NaN or infinite; training stopped before applying it.
    /// Code `DIVERGED` (the wasm boundary adds the epoch and batch it happened in).
    Diverged(String),
    /// A model or data file could not be read or written. Code `FORMAT`.
    Format(String),
    /// A valid setting, layer or file feature the engine does not implement. Code `UNSUPPORTED`.
    Unsupported { what: String, supported: String },
    /// A size from the input is over one of the documented limits (`crate::limits`), or
    /// does not fit in this platform's address space at all. Code `LIMIT`.
    Limit { what: String, value: f64, limit: f64 },
    /// Memory for an input-sized buffer could not be had even though it is within the
    /// limits (the page's memory is nearly used up). Code `OUT_OF_MEMORY`.
    OutOfMemory { what: String, bytes: f64 },
    /// An option passed from JS has the wrong type or is out of range. Code `BAD_OPTION`.
    BadOption { option: String, expected: String, found: String },
    /// The GPU failed during a call or its device was lost. Code `GPU_LOST`.
    GpuLost(String),
    /// There is no GPU to run on (no WebGPU, no adapter, `initGpu()` not called). Code
    /// `GPU_UNAVAILABLE`.
    GpuUnavailable(String),
    /// The model (or a fit run) is being used by a call that has not finished, e.g. a GPU
    /// step that is still awaited. Code `BUSY`; the text says what is running.
    Busy(String),
    /// A handle was used after it was freed. Code `FREED`; the text names the handle.
    Freed(String),
    /// Two fits were interleaved on one model: a run was stepped after a newer run on the
    /// same model started. Code `FIT_INTERLEAVED`.
    FitInterleaved(String),
    /// The engine panicked earlier (a bug); this instance refuses every call. Code
    /// `PANICKED`; the text is the panic message.
    Panicked(String),
}

/// A value of [`Error::params`]: what a translated message fills in.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Str(String),
    Num(f64),
}

impl Error {
    /// "The model is busy": the one place this is said. `what` says what holds it,
    /// e.g. "a fit step is running".
    pub fn busy(what: impl Into<String>) -> Error {
        Error::Busy(what.into())
    }

    /// A size over a limit.
    pub fn limit(what: impl Into<String>, value: f64, limit: f64) -> Error {
        Error::Limit { what: what.into(), value, limit }
    }

    /// A JS option of the wrong type or range.
    pub fn bad_option(option: impl Into<String>, expected: impl Into<String>, found: impl Into<String>) -> Error {
        Error::BadOption { option: option.into(), expected: expected.into(), found: found.into() }
    }

    /// Something the engine does not implement, and what it does.
    pub fn unsupported(what: impl Into<String>, supported: impl Into<String>) -> Error {
        Error::Unsupported { what: what.into(), supported: supported.into() }
    }

    /// The stable code the page translates (see the module docs).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Shape(_) => "SHAPE",
            Error::Config(_) => "CONFIG",
            Error::Data(_) => "DATA",
            Error::NotCompiled(_) => "NOT_COMPILED",
            Error::Diverged(_) => "DIVERGED",
            Error::Format(_) => "FORMAT",
            Error::Unsupported { .. } => "UNSUPPORTED",
            Error::Limit { .. } => "LIMIT",
            Error::OutOfMemory { .. } => "OUT_OF_MEMORY",
            Error::BadOption { .. } => "BAD_OPTION",
            Error::GpuLost(_) => "GPU_LOST",
            Error::GpuUnavailable(_) => "GPU_UNAVAILABLE",
            Error::Busy(_) => "BUSY",
            Error::Freed(_) => "FREED",
            Error::FitInterleaved(_) => "FIT_INTERLEAVED",
            Error::Panicked(_) => "PANICKED",
        }
    }

    /// The named values a translated message needs (documented per code in `www/API.md`).
    pub fn params(&self) -> Vec<(&'static str, Param)> {
        let s = |v: &str| Param::Str(v.to_string());
        match self {
            Error::Shape(d)
            | Error::Config(d)
            | Error::Data(d)
            | Error::NotCompiled(d)
            | Error::Diverged(d)
            | Error::Format(d) => {
                vec![("detail", s(d))]
            }
            Error::Unsupported { what, supported } => {
                vec![("what", s(what)), ("supported", s(supported))]
            }
            Error::Limit { what, value, limit } => {
                vec![("what", s(what)), ("value", Param::Num(*value)), ("limit", Param::Num(*limit))]
            }
            Error::OutOfMemory { what, bytes } => {
                vec![("what", s(what)), ("bytes", Param::Num(*bytes))]
            }
            Error::BadOption { option, expected, found } => {
                vec![("option", s(option)), ("expected", s(expected)), ("found", s(found))]
            }
            Error::GpuLost(m) => vec![("message", s(m))],
            Error::GpuUnavailable(r) => vec![("reason", s(r))],
            Error::Busy(w) | Error::Freed(w) => vec![("what", s(w))],
            Error::FitInterleaved(d) => vec![("detail", s(d))],
            Error::Panicked(m) => vec![("message", s(m))],
        }
    }

    /// The same error with `prefix` in front of what it says (e.g. the layer it is
    /// about), keeping its kind: `Shape(m)` becomes `Shape("prefix: m")`, a limit's
    /// `what` becomes `"prefix: what"`.
    pub fn context(self, prefix: impl fmt::Display) -> Error {
        let p = |m: String| format!("{prefix}: {m}");
        match self {
            Error::Shape(m) => Error::Shape(p(m)),
            Error::Config(m) => Error::Config(p(m)),
            Error::Data(m) => Error::Data(p(m)),
            Error::NotCompiled(m) => Error::NotCompiled(p(m)),
            Error::Diverged(m) => Error::Diverged(p(m)),
            Error::Format(m) => Error::Format(p(m)),
            Error::Unsupported { what, supported } => Error::Unsupported { what: p(what), supported },
            Error::Limit { what, value, limit } => Error::Limit { what: p(what), value, limit },
            Error::OutOfMemory { what, bytes } => Error::OutOfMemory { what: p(what), bytes },
            Error::BadOption { option, expected, found } => Error::BadOption { option: p(option), expected, found },
            Error::GpuLost(m) => Error::GpuLost(p(m)),
            Error::GpuUnavailable(m) => Error::GpuUnavailable(p(m)),
            Error::FitInterleaved(m) => Error::FitInterleaved(p(m)),
            // What holds a model, a freed handle and a panic are not about the caller's context.
            e @ (Error::Busy(_) | Error::Freed(_) | Error::Panicked(_)) => e,
        }
    }
}

/// `12345678` as `12,345,678` (sizes in messages are easier to read grouped).
pub fn fmt_count(v: f64) -> String {
    if !(v.is_finite() && v.fract() == 0.0 && v.abs() < 1e21) {
        return format!("{v:e}");
    }
    let digits = format!("{}", v.abs() as u128);
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0.0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape(m) => write!(f, "shape error: {m}"),
            Error::Config(m) => write!(f, "configuration error: {m}"),
            Error::Data(m) => write!(f, "data error: {m}"),
            Error::NotCompiled(m) => write!(f, "model not compiled: {m}"),
            Error::Diverged(m) => write!(f, "training diverged: {m}"),
            Error::Format(m) => write!(f, "model file error: {m}"),
            Error::Unsupported { what, supported } => {
                write!(f, "not supported: {what} (supported: {supported})")
            }
            Error::Limit { what, value, limit } => {
                write!(
                    f,
                    "limit exceeded: {what} is {}, more than the limit of {}",
                    fmt_count(*value),
                    fmt_count(*limit)
                )
            }
            Error::OutOfMemory { what, bytes } => {
                write!(f, "out of memory: {what} needs {} bytes that could not be allocated; free some models or use less data", fmt_count(*bytes))
            }
            Error::BadOption { option, expected, found } => {
                write!(f, "bad option: {option} must be {expected}, found {found}")
            }
            Error::GpuLost(m) => write!(f, "GPU failure: {m}"),
            Error::GpuUnavailable(r) => write!(f, "no GPU: {r}"),
            Error::Busy(w) => write!(f, "the model is busy ({w})"),
            Error::Freed(w) => write!(f, "{w} was freed (free() was called on it); it cannot be used any more"),
            Error::FitInterleaved(d) => write!(f, "interleaved fits: {d}"),
            Error::Panicked(m) => write!(f, "the engine crashed earlier and must be restarted (panic: {m})"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Formats a shape the way Keras prints it: `(None, 28, 28, 1)` when `batch` is true.
pub fn fmt_shape(dims: &[usize], batch: bool) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(dims.len() + 1);
    if batch {
        parts.push("None".into());
    }
    parts.extend(dims.iter().map(|d| d.to_string()));
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_params_and_messages() {
        let e = Error::limit("parameters of layer 0 'dense' (Dense)", 470_400_000.0, 33_554_432.0);
        assert_eq!(e.code(), "LIMIT");
        assert_eq!(e.params()[1], ("value", Param::Num(470_400_000.0)));
        assert_eq!(
            e.to_string(),
            "limit exceeded: parameters of layer 0 'dense' (Dense) is 470,400,000, more than the limit of 33,554,432"
        );
        let e = Error::Shape("x".into()).context("layer 2");
        assert_eq!((e.code(), e.to_string()), ("SHAPE", "shape error: layer 2: x".to_string()));
        assert_eq!(e.params(), vec![("detail", Param::Str("layer 2: x".into()))]);
        assert_eq!(Error::busy("a fit step is running").to_string(), "the model is busy (a fit step is running)");
        let e = Error::bad_option("fit: epochs", "a whole number", "the string \"5\"");
        assert_eq!(e.to_string(), "bad option: fit: epochs must be a whole number, found the string \"5\"");
        assert_eq!(fmt_count(-1234.0), "-1,234");
        assert_eq!(fmt_count(4294967296.0), "4,294,967,296");
        assert_eq!(fmt_count(1e30), "1e30");
    }
}
