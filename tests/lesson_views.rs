//! The numbers behind issue 12's views, hand-worked and on the lecture's real models:
//! weight movement per layer (`model::weight_movement`), the confusion matrix with its
//! misclassified examples (`evaluation::confusion`), and a test accuracy's uncertainty
//! (`evaluation::uncertainty`). Layer outputs are checked against Keras in
//! `tests/layer_outputs.rs`.
//!
//! Run: `cargo test --release --test lesson_views`.

use std::path::PathBuf;

use transfer_playground::data::ImageSet;
use transfer_playground::evaluation::{accuracy_estimate, compare_accuracies, confusion_matrix, Z95};
use transfer_playground::lecture::{clone_with_weights, set_base_trainable, to_tensors, transfer};
use transfer_playground::model::io::from_tfjs;
use transfer_playground::model::weight_movement::{weight_movement, WeightSnapshot};
use transfer_playground::tensor::from_vec;
use transfer_playground::{Activation, Error, FitOptions, LayerSpec, Loss, OptimizerConfig, Sequential, Tensor};

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    from_vec(shape, v.to_vec()).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

// ---------------------------------------------------------------- weight movement

/// Dense(2) -> Dropout -> Dense(1) on 2 inputs, weights set by hand.
fn tiny() -> Sequential {
    let specs = [
        LayerSpec::dense(2, Activation::Linear),
        LayerSpec::Dropout { rate: 0.5, seed: None },
        LayerSpec::dense(1, Activation::Linear),
    ];
    Sequential::from_specs(&[2], &specs, 1).unwrap()
}

#[test]
fn weight_movement_hand_worked() {
    let m = tiny();
    // Before: dense kernel [[3, 0], [0, 0]], bias [0, 4]      -> ||W|| = sqrt(9 + 16) = 5
    //         dense_1 kernel [[0], [0]], bias [0]             -> ||W|| = 0
    m.set_weights(&[t(&[2, 2], &[3., 0., 0., 0.]), t(&[2], &[0., 4.]), t(&[2, 1], &[0., 0.]), t(&[1], &[0.])]).unwrap();
    let before = WeightSnapshot::of(&m);
    // After:  dense kernel [[3, 1], [0, 0]], bias [2, 4]      -> delta (0,1,0,0 | 2,0): ||dW|| = sqrt(5)
    //         dense_1 kernel [[0.6], [0]], bias [0.8]         -> ||dW|| = sqrt(0.36 + 0.64) = 1
    m.set_weights(&[t(&[2, 2], &[3., 1., 0., 0.]), t(&[2], &[2., 4.]), t(&[2, 1], &[0.6, 0.]), t(&[1], &[0.8])])
        .unwrap();
    let moved = m.weight_movement_since(&before).unwrap();
    assert_eq!(moved.len(), 3);
    // dense: sqrt(5) / 5 = 0.4472135955
    let d = &moved[0];
    assert_eq!((d.index, d.class_name, d.weights), (0, "Dense", 6));
    assert!(close(d.before_norm, 5.0, 1e-12) && close(d.delta_norm, 5f64.sqrt(), 1e-7), "{d:?}");
    assert!(close(d.relative.unwrap(), 0.447_213_595_5, 1e-7), "{d:?}");
    // Dropout has no weights: nothing to move, no ratio.
    assert_eq!(
        (moved[1].class_name, moved[1].weights, moved[1].relative, moved[1].delta_norm),
        ("Dropout", 0, None, 0.0)
    );
    // dense_1 was all zeros: no ratio, but delta_norm says it moved by 1 (f32 0.6 and 0.8).
    let z = &moved[2];
    assert_eq!((z.before_norm, z.relative), (0.0, None));
    assert!(close(z.delta_norm, 1.0, 1e-7), "{z:?}");
    // Nothing changed since the second set_weights: every ratio is exactly 0.
    let again = m.weight_movement_since(&WeightSnapshot::of(&m)).unwrap();
    assert_eq!((again[0].relative, again[2].relative), (Some(0.0), Some(0.0)));
    // Zero weights that stay zero: no ratio, and no movement.
    m.set_weights(&[t(&[2, 2], &[3., 1., 0., 0.]), t(&[2], &[2., 4.]), t(&[2, 1], &[0., 0.]), t(&[1], &[0.])]).unwrap();
    let still = m.weight_movement_since(&WeightSnapshot::of(&m)).unwrap();
    assert_eq!((still[2].relative, still[2].delta_norm, still[2].before_norm), (None, 0.0, 0.0));
}

#[test]
fn weight_movement_needs_the_same_architecture() {
    let a = tiny();
    let b = Sequential::from_specs(&[2], &[LayerSpec::dense(3, Activation::Linear)], 1).unwrap();
    let err = weight_movement(&WeightSnapshot::of(&a), &WeightSnapshot::of(&b)).unwrap_err();
    assert!(matches!(&err, Error::Shape(m) if m.contains("3 and 1 layers")), "{err}");
    let c = Sequential::from_specs(
        &[2],
        &[
            LayerSpec::dense(3, Activation::Linear),
            LayerSpec::Dropout { rate: 0.5, seed: None },
            LayerSpec::dense(1, Activation::Linear),
        ],
        1,
    )
    .unwrap();
    let err = weight_movement(&WeightSnapshot::of(&a), &WeightSnapshot::of(&c)).unwrap_err();
    assert!(matches!(&err, Error::Shape(m) if m.contains("layer 0")), "{err}");
}

// ---------------------------------------------------------------- confusion matrix

#[test]
fn binary_confusion_hand_worked() {
    // p (sigmoid) and labels; predicted = p > 0.5 (0.5 itself is class 0, as Keras):
    //   i  p       y  predicted  wrong?  confidence in the wrong answer
    //   0  0.875   1  1
    //   1  0.25    0  0
    //   2  0.625   0  1          yes     0.625
    //   3  0.375   1  0          yes     1 - 0.375 = 0.625
    //   4  0.5     1  0          yes     1 - 0.5   = 0.5
    //   5  0.9375  0  1          yes     0.9375
    // rows = true class: true 0 -> [1 (i=1), 2 (i=2,5)], true 1 -> [2 (i=3,4), 1 (i=0)]
    let p = t(&[6, 1], &[0.875, 0.25, 0.625, 0.375, 0.5, 0.9375]);
    let y = t(&[6], &[1., 0., 0., 1., 1., 0.]);
    let c = confusion_matrix(&p, &y).unwrap();
    assert_eq!(c.classes, 2);
    assert_eq!(c.rows(), vec![vec![1, 2], vec![2, 1]]);
    assert_eq!((c.examples, c.correct, c.count(0, 1)), (6, 2, 2));
    assert!(close(c.accuracy(), 2.0 / 6.0, 1e-15));
    // Most confidently wrong first; 2 and 3 tie at 0.625 and keep index order.
    let order: Vec<(usize, usize, usize, f32)> =
        c.misclassified.iter().map(|m| (m.index, m.label, m.predicted, m.confidence)).collect();
    assert_eq!(order, vec![(5, 0, 1, 0.9375), (2, 0, 1, 0.625), (3, 1, 0, 0.625), (4, 1, 0, 0.5)]);
    assert_eq!(c.misclassified[0].probabilities, vec![0.0625, 0.9375]);
    // The same from [n] probabilities and [n, 1] labels.
    let flat =
        confusion_matrix(&t(&[6], &[0.875, 0.25, 0.625, 0.375, 0.5, 0.9375]), &t(&[6, 1], &[1., 0., 0., 1., 1., 0.]))
            .unwrap();
    assert_eq!(flat, c);
}

#[test]
fn softmax_confusion_hand_worked() {
    //   i  probabilities        y  argmax (first on a tie)  confidence
    //   0  [0.7, 0.2, 0.1]      0  0
    //   1  [0.1, 0.3, 0.6]      1  2                        0.6
    //   2  [0.4, 0.4, 0.2]      1  0 (tie 0/1: first)       0.4
    //   3  [0.2, 0.5, 0.3]      1  1
    //   4  [0.05, 0.15, 0.8]    2  2
    //   5  [0.1, 0.85, 0.05]    0  1                        0.85
    // rows: true 0 -> [1, 1, 0], true 1 -> [1, 1, 1], true 2 -> [0, 0, 1]; trace 3 of 6.
    let p = t(&[6, 3], &[0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.4, 0.4, 0.2, 0.2, 0.5, 0.3, 0.05, 0.15, 0.8, 0.1, 0.85, 0.05]);
    let y = t(&[6], &[0., 1., 1., 1., 2., 0.]);
    let c = confusion_matrix(&p, &y).unwrap();
    assert_eq!(c.rows(), vec![vec![1, 1, 0], vec![1, 1, 1], vec![0, 0, 1]]);
    assert_eq!((c.correct, c.examples), (3, 6));
    let order: Vec<(usize, usize, f32)> =
        c.misclassified.iter().map(|m| (m.index, m.predicted, m.confidence)).collect();
    assert_eq!(order, vec![(5, 1, 0.85), (1, 2, 0.6), (2, 0, 0.4)]);
    assert_eq!(c.misclassified[1].probabilities, vec![0.1, 0.3, 0.6]);
}

#[test]
fn confusion_refuses_what_is_not_a_classification() {
    let p = t(&[2, 1], &[0.2, 0.7]);
    let data = |r: Result<_, Error>, what: &str| match r {
        Err(Error::Data(m)) => assert!(m.contains(what), "{m}"),
        other => panic!("expected a data error about {what}, got {other:?}"),
    };
    data(confusion_matrix(&p, &t(&[2], &[0., 2.])), "label 2 of example 1");
    data(confusion_matrix(&p, &t(&[2], &[0.5, 1.])), "label 0.5");
    data(confusion_matrix(&p, &t(&[2], &[-1., 1.])), "label -1");
    data(confusion_matrix(&t(&[2, 1], &[0.2, 1.5]), &t(&[2], &[0., 1.])), "example 1 has probability 1.5");
    data(confusion_matrix(&t(&[2, 1], &[f32::NAN, 0.5]), &t(&[2], &[0., 1.])), "example 0");
    data(confusion_matrix(&t(&[0, 1], &[]), &t(&[0], &[])), "no examples");
    assert!(matches!(confusion_matrix(&p, &t(&[3], &[0., 1., 1.])), Err(Error::Shape(_))));
    assert!(matches!(confusion_matrix(&t(&[1, 2, 2], &[0.; 4]), &t(&[1], &[0.])), Err(Error::Shape(_))));
}

// ---------------------------------------------------------------- uncertainty

#[test]
fn accuracy_uncertainty_hand_worked() {
    // 1,920 of 2,000 = 0.96: se = sqrt(0.96 * 0.04 / 2000) = sqrt(1.92e-5) = 0.0043818,
    // so ±1.96 se = ±0.0086: "about ±1 point". Wilson (z² = 3.8414588, z²/n = 0.0019207):
    // centre = (0.96 + 0.00096036) / 1.0019207 = 0.9591182,
    // half = 1.9599640 / 1.0019207 * sqrt(1.92e-5 + 3.8414588 / 1.6e7) = 0.0086251
    // -> [0.9504931, 0.9677433].
    let e = accuracy_estimate(1920, 2000).unwrap();
    assert_eq!(e.accuracy, 0.96);
    assert!(close(e.standard_error, 0.004_381_780, 1e-9), "{e:?}");
    assert!(close(Z95 * e.standard_error, 0.0086, 1e-4));
    assert!(close(e.low, 0.950_493_1, 1e-7) && close(e.high, 0.967_743_3, 1e-7), "{e:?}");
    // 7 of 10, the textbook example: Wilson [0.3968, 0.8922].
    let e = accuracy_estimate(7, 10).unwrap();
    assert!(close(e.low, 0.396_778, 1e-6) && close(e.high, 0.892_209, 1e-6), "{e:?}");
    // 50 of 50: se = 0, yet the interval is not a point: low = n / (n + z²) = 50 / 53.8414588.
    let e = accuracy_estimate(50, 50).unwrap();
    assert_eq!((e.standard_error, e.high), (0.0, 1.0));
    assert!(close(e.low, 50.0 / (50.0 + Z95 * Z95), 1e-12) && close(e.low, 0.928_652, 1e-6), "{e:?}");
    // 0 of 10: [0, z² / (n + z²)] = [0, 0.2775328].
    let e = accuracy_estimate(0, 10).unwrap();
    assert_eq!(e.low, 0.0);
    assert!(close(e.high, 0.277_532_8, 1e-7), "{e:?}");
    assert!(matches!(accuracy_estimate(3, 2), Err(Error::Data(_))));
    assert!(matches!(accuracy_estimate(0, 0), Err(Error::Data(_))));
}

#[test]
fn two_accuracies_within_or_beyond_their_uncertainty() {
    // The figures on 2,000 test images: transfer 0.9590 (1,918), scratch 0.9725 (1,945).
    // se = sqrt(0.959*0.041/2000 + 0.9725*0.0275/2000) = sqrt(1.96595e-5 + 1.33722e-5) = 0.0057473;
    // margin = 1.96 * 0.0057473 = 0.011264 < |−0.0135|: a real difference.
    let (transfer, scratch) = (accuracy_estimate(1918, 2000).unwrap(), accuracy_estimate(1945, 2000).unwrap());
    let d = compare_accuracies(&transfer, &scratch);
    assert!(close(d.difference, -0.0135, 1e-12));
    assert!(close(d.standard_error, 0.005_747_29, 1e-8) && close(d.margin, 0.011_264_5, 1e-7), "{d:?}");
    assert!(!d.within_uncertainty);
    // Stage 3 vs stage 4 of the README's seed: 0.9545 (1,909) vs 0.9590 (1,918): 0.0045 < 0.0126.
    let d = compare_accuracies(&accuracy_estimate(1909, 2000).unwrap(), &transfer);
    assert!(close(d.margin, 0.012_607_06, 1e-7), "{d:?}");
    assert!(d.within_uncertainty);
    // Symmetric, and two perfect scores are within (0 <= 0).
    assert!(!compare_accuracies(&scratch, &transfer).within_uncertainty);
    let p = accuracy_estimate(10, 10).unwrap();
    assert!(compare_accuracies(&p, &p).within_uncertainty);
}

// ---------------------------------------------------------------- on the lecture's models

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model_a() -> Sequential {
    let dir = root().join("www/assets/model-a");
    from_tfjs(
        &std::fs::read_to_string(dir.join("model.json")).unwrap(),
        &std::fs::read(dir.join("weights.bin")).unwrap(),
        0,
    )
    .unwrap()
}

fn set(path: &str) -> (Tensor, Tensor) {
    to_tensors(&ImageSet::from_bytes(&std::fs::read(root().join(path)).unwrap()).unwrap())
}

#[test]
fn model_a_confusion_matches_evaluate_on_its_own_task() {
    // 8 classes, softmax: the trace over n is evaluate's accuracy (0.9490 recorded).
    let (x, y) = set("www/assets/model-a/test-sample.tpds");
    let mut a = model_a();
    a.compile(Loss::SparseCategoricalCrossentropy, OptimizerConfig::sgd(0.01)).unwrap();
    let e = a.evaluate(&x, &y, 256).unwrap();
    let c = a.confusion_matrix(&x, &y, 256).unwrap();
    assert_eq!(c.classes, 8);
    assert_eq!(c.counts.iter().sum::<usize>(), 1000);
    assert_eq!(c.accuracy(), e.accuracy);
    assert_eq!(c.misclassified.len(), 1000 - c.correct);
    assert!(c.misclassified.windows(2).all(|w| w[0].confidence >= w[1].confidence));
}

#[test]
fn stage_3_and_4_views_on_task_b() {
    let (x, y) = set("www/assets/task-b/train.tpds");
    let (tx, ty) = set("www/assets/task-b/test.tpds");
    transfer_playground::set_random_seed(1);
    let a = model_a();
    let mut b = transfer(&clone_with_weights(&a).unwrap()).unwrap();
    let start = WeightSnapshot::of(&b);
    set_base_trainable(&b, false);
    b.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    b.fit_quiet(&x, &y, FitOptions { epochs: 4, seed: 1, ..FitOptions::default() }).unwrap();
    // Stage 3: a frozen layer moves by exactly nothing, the new head does.
    let m3 = b.weight_movement_since(&start).unwrap();
    let head = m3.len() - 1;
    for m in &m3[..head] {
        assert!(m.relative == Some(0.0) || (m.weights == 0 && m.relative.is_none()), "{m:?}");
    }
    assert!(m3[head].relative.unwrap() > 0.01, "{:?}", m3[head]);
    // The confusion matrix over the 2,000 test images agrees with evaluate.
    let e = b.evaluate(&tx, &ty, 256).unwrap();
    let c = b.confusion_matrix(&tx, &ty, 256).unwrap();
    assert_eq!(c.counts.iter().sum::<usize>(), 2000);
    assert_eq!(c.rows().iter().map(|r| r.iter().sum::<usize>()).collect::<Vec<_>>(), vec![1000, 1000]);
    assert_eq!(c.correct as f64 / 2000.0, e.accuracy);
    assert_eq!(c.accuracy(), e.accuracy);
    assert!(e.accuracy > 0.85, "{e:?}");
    // Stage 4, one epoch at lr 1e-4: every layer with weights moves, the base very little.
    let after3 = WeightSnapshot::of(&b);
    set_base_trainable(&b, true);
    b.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-4)).unwrap();
    b.fit_quiet(&x, &y, FitOptions { epochs: 1, seed: 2, ..FitOptions::default() }).unwrap();
    let m4 = b.weight_movement_since(&after3).unwrap();
    for m in &m4 {
        match m.weights {
            0 => assert_eq!(m.relative, None),
            _ => assert!(m.relative.unwrap() > 0.0 && m.relative.unwrap() < 1e-2, "{m:?}"),
        }
    }
    // Model A's layers were cloned: A's own weights did not move at all.
    let a_moved = weight_movement(&WeightSnapshot::of(&model_a()), &WeightSnapshot::of(&a)).unwrap();
    assert!(a_moved.iter().all(|m| m.delta_norm == 0.0));
}
