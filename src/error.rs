//! Errors are values: every public entry point returns one of these, with a message a
//! learner can act on (which layer, what was expected, what was found).

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A tensor or weight had the wrong shape.
    Shape(String),
    /// A layer, loss or optimizer setting is not valid or not supported.
    Config(String),
    /// Training or evaluation data is unusable (empty, labels out of range, ...).
    Data(String),
    /// An operation needs `compile` first.
    NotCompiled(String),
    /// The loss or a gradient became NaN or infinite; training stopped before applying it.
    Diverged(String),
    /// A model file could not be read or written.
    Format(String),
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
