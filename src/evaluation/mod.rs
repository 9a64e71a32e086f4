//! Reading a trained classifier's results the way the lecture discusses them: which
//! classes it confuses and on which images ([`confusion`]), and how much a test accuracy
//! measured on `n` images can be trusted ([`uncertainty`]). Pure functions of predictions
//! and labels: they run wherever the predictions were computed (CPU or GPU).

pub mod confusion;
pub mod uncertainty;

pub use confusion::{confusion_matrix, Confusion, Misclassified};
pub use uncertainty::{accuracy_estimate, compare_accuracies, AccuracyEstimate, Difference, Z95};
