//! How much a test accuracy measured on `n` images can be trusted, and whether two
//! accuracies differ by more than that.
//!
//! A test accuracy is `k` correct out of `n` images: a binomial proportion. Its standard
//! error is `sqrt(p (1 - p) / n)`: about 0.0044 at p = 0.96 and n = 2,000, so a 95 %
//! interval of about ±0.9 points ("about ±1 point at 2,000 test images"). The interval
//! reported is Wilson's score interval, which stays inside [0, 1] and does not shrink to
//! nothing at p = 1 (100 % on 50 images is not a certainty):
//!
//! ```text
//! centre = (p + z²/2n) / (1 + z²/n)
//! half   = z / (1 + z²/n) · sqrt(p(1 - p)/n + z²/4n²)        z = 1.96 for 95 %
//! ```
//!
//! Two accuracies `a` and `b` are "within the uncertainty" when
//! `|a − b| ≤ z · sqrt(se_a² + se_b²)`, the usual test for two independent proportions.
//! Two models scored on the *same* test images make correlated errors, which this
//! ignores; it then overstates the uncertainty of the difference, so it errs towards
//! "within the uncertainty" (it does not claim a difference the data do not show).
//!
//! In Python: `statsmodels.stats.proportion.proportion_confint(k, n, method="wilson")`.

use crate::error::{Error, Result};

/// The two-sided 95 % normal quantile, Φ⁻¹(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// An accuracy with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccuracyEstimate {
    pub correct: usize,
    pub n: usize,
    /// `correct / n`.
    pub accuracy: f64,
    /// The binomial standard error `sqrt(p (1 - p) / n)`.
    pub standard_error: f64,
    /// Wilson's 95 % interval.
    pub low: f64,
    pub high: f64,
}

/// `correct` out of `n` with its standard error and Wilson 95 % interval. Errors when
/// `n` is 0 or `correct > n`.
pub fn accuracy_estimate(correct: usize, n: usize) -> Result<AccuracyEstimate> {
    if n == 0 || correct > n {
        return Err(Error::Data(format!(
            "accuracy_estimate: {correct} correct out of {n} is not an accuracy (need 0 <= correct <= n, n > 0)"
        )));
    }
    let (k, n_f) = (correct as f64, n as f64);
    let p = k / n_f;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt();
    Ok(AccuracyEstimate {
        correct,
        n,
        accuracy: p,
        standard_error: (p * (1.0 - p) / n_f).sqrt(),
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// The difference of two accuracies against their combined uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// `a − b`.
    pub difference: f64,
    /// `sqrt(se_a² + se_b²)`.
    pub standard_error: f64,
    /// `Z95 · standard_error`: the largest difference chance alone explains at 95 %.
    pub margin: f64,
    /// `|difference| ≤ margin`: the page says "within the uncertainty".
    pub within_uncertainty: bool,
}

/// Whether `a` and `b` differ by more than their combined 95 % uncertainty (see the
/// module docs).
pub fn compare_accuracies(a: &AccuracyEstimate, b: &AccuracyEstimate) -> Difference {
    let difference = a.accuracy - b.accuracy;
    let standard_error = (a.standard_error.powi(2) + b.standard_error.powi(2)).sqrt();
    let margin = Z95 * standard_error;
    Difference { difference, standard_error, margin, within_uncertainty: difference.abs() <= margin }
}
