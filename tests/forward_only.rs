//! The forward-only path (`model::infer`: `predict`, `evaluate`, validation, the frozen
//! features) against the layer-by-layer forward pass in inference mode over the whole
//! batch at once, the path it replaced: outputs, loss and accuracy bit for bit, on every
//! layer kind and on enough images to take several chunks (so a
//! chunk boundary, a fused convolution + pooling, or a layer keeping state from one
//! chunk into the next would show).

use transfer_playground::layers::{Layer, Mode};
use transfer_playground::metrics;
use transfer_playground::rng::Rng;
use transfer_playground::tensor::{contiguous, from_vec, row_range, Tensor};
use transfer_playground::{Activation, LayerSpec, Loss, OptimizerConfig, Padding, Sequential};

fn images(n: usize, h: usize, w: usize, c: usize, seed: u64) -> Tensor {
    let mut r = Rng::new(seed);
    from_vec(&[n, h, w, c], (0..n * h * w * c).map(|_| r.uniform(-1.0, 1.0)).collect()).unwrap()
}

/// The whole batch through every layer at once, inference mode: the reference.
fn reference(m: &Sequential, x: &Tensor) -> (Tensor, Option<Tensor>) {
    let mut h = x.clone();
    for l in m.layers() {
        h = l.borrow_mut().layer.forward(h, Mode::Infer, true).unwrap();
    }
    let logits = m.layers().last().unwrap().borrow().layer.logits().cloned();
    (h, logits)
}

fn conv(filters: usize, k: usize, stride: usize, padding: Padding, activation: Activation) -> LayerSpec {
    LayerSpec::Conv2D { filters, kernel_size: (k, k), strides: (stride, stride), padding, activation, use_bias: true }
}

/// Every layer kind, odd sizes, `same` pooling that clips its windows, and a
/// BatchNormalization with moving statistics that are not the initial ones.
fn zoo() -> Sequential {
    let specs = [
        conv(5, 3, 1, Padding::Same, Activation::Relu),
        LayerSpec::MaxPooling2D { pool_size: (2, 2), strides: (2, 2), padding: Padding::Same },
        LayerSpec::batch_norm(),
        conv(6, 3, 2, Padding::Valid, Activation::Tanh),
        LayerSpec::LeakyReLU { negative_slope: 0.2 },
        conv(7, 1, 1, Padding::Same, Activation::Elu),
        LayerSpec::AveragePooling2D { pool_size: (2, 2), strides: (1, 1), padding: Padding::Same },
        LayerSpec::Dropout { rate: 0.5, seed: Some(3) },
        conv(4, 2, 1, Padding::Valid, Activation::Linear),
        LayerSpec::Activation { activation: Activation::Selu },
        LayerSpec::GlobalAveragePooling2D,
        LayerSpec::dense(9, Activation::Sigmoid),
        LayerSpec::dense(4, Activation::Softmax),
    ];
    let m = Sequential::from_specs(&[15, 13, 3], &specs, 21).unwrap();
    let mut r = Rng::new(8);
    let weights: Vec<Tensor> = m
        .get_weights()
        .into_iter()
        .map(|w| {
            let s = w.shape().to_vec();
            // Positive values for BN's moving variance (and everything else: any values do).
            from_vec(&s, (0..w.len()).map(|_| r.uniform(0.1, 1.0)).collect()).unwrap()
        })
        .collect();
    m.set_weights(&weights).unwrap();
    m
}

/// Model A's convolution + relu + max-pooling pairs, with a binary head.
fn model_a_like() -> Sequential {
    let specs = [
        LayerSpec::conv2d(16, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::conv2d(32, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::Flatten,
        LayerSpec::dense(64, Activation::Relu),
        LayerSpec::dense(1, Activation::Sigmoid),
    ];
    Sequential::from_specs(&[28, 28, 1], &specs, 4).unwrap()
}

fn check_predict(m: &Sequential, x: &Tensor) {
    let (want, _) = reference(m, x);
    let got = m.predict(x, 32).unwrap();
    assert_eq!(got.shape(), want.shape());
    assert!(got == want, "predict differs from the layer-by-layer forward pass (n = {})", x.shape()[0]);
}

/// `evaluate(x, y, 32)` against the layer-by-layer evaluation it replaced: each batch of
/// 32 through every layer at once, its loss summed, the batches' sums added: bit for bit.
fn check_evaluate(m: &mut Sequential, x: &Tensor, y: &Tensor, loss: Loss) {
    m.compile(loss, OptimizerConfig::sgd(0.1)).unwrap();
    let n = x.shape()[0];
    let fused = loss.fuses_with(m.layers().last().unwrap().borrow().layer.final_activation());
    let (mut want_sum, mut correct, mut counted) = (0.0f64, 0, 0);
    for start in (0..n).step_by(32) {
        let end = (start + 32).min(n);
        let (p, logits) = reference(m, &row_range(x, start..end));
        let last = *p.shape().last().unwrap();
        let yb = row_range(y, start..end);
        let (ps, ys) = (contiguous(&p), contiguous(&yb));
        let z = logits.as_ref().filter(|_| fused).map(contiguous);
        want_sum += loss.loss_and_grad(&ps, z.as_deref(), &ys, last, end - start).0;
        correct += metrics::correct(loss, &ps, &ys, last);
        counted += metrics::count(loss, ps.len(), last);
    }
    let e = m.evaluate(x, y, 32).unwrap();
    assert_eq!(e.loss, want_sum / n as f64, "{loss:?}: loss");
    assert_eq!(e.accuracy, correct as f64 / counted as f64, "{loss:?}: accuracy");
}

#[test]
fn predict_equals_the_layer_by_layer_forward_pass_bit_for_bit() {
    let zoo = zoo();
    for n in [0, 1, 7, 300] {
        check_predict(&zoo, &images(n, 15, 13, 3, n as u64));
    }
    let a = model_a_like();
    for n in [1, 33, 200] {
        check_predict(&a, &images(n, 28, 28, 1, n as u64 + 100));
    }
}

#[test]
fn evaluate_equals_the_layer_by_layer_loss_and_accuracy() {
    let mut r = Rng::new(2);
    let mut zoo = zoo();
    let x = images(300, 15, 13, 3, 5);
    let y = from_vec(&[300], (0..300).map(|_| r.below(4) as f32).collect()).unwrap();
    check_evaluate(&mut zoo, &x, &y, Loss::SparseCategoricalCrossentropy);
    let mut a = model_a_like();
    let x = images(200, 28, 28, 1, 6);
    let y = from_vec(&[200], (0..200).map(|_| r.below(2) as f32).collect()).unwrap();
    check_evaluate(&mut a, &x, &y, Loss::BinaryCrossentropy);
    check_evaluate(&mut a, &x, &y, Loss::MeanSquaredError);
}

#[test]
fn evaluate_predict_gives_evaluate_and_predict_from_one_pass_bit_for_bit() {
    let mut r = Rng::new(3);
    for (mut m, x, classes, loss) in [
        (zoo(), images(300, 15, 13, 3, 9), 4, Loss::SparseCategoricalCrossentropy),
        (model_a_like(), images(600, 28, 28, 1, 10), 2, Loss::BinaryCrossentropy),
    ] {
        m.compile(loss, OptimizerConfig::sgd(0.1)).unwrap();
        let n = x.shape()[0];
        let y = from_vec(&[n], (0..n).map(|_| r.below(classes) as f32).collect()).unwrap();
        let (sums, outputs) = m.evaluate_predict(&x, &y).unwrap();
        assert!(outputs == m.predict(&x, 256).unwrap(), "{loss:?}: outputs");
        let e = m.evaluate(&x, &y, 256).unwrap();
        assert_eq!(sums.loss_sum / n as f64, e.loss, "{loss:?}: loss");
        assert_eq!(sums.correct as f64 / sums.counted as f64, e.accuracy, "{loss:?}: accuracy");
        // No images: zero sums and no outputs; a wrong shape is refused.
        let (none, empty) = m.evaluate_predict(&row_range(&x, 0..0), &row_range(&y, 0..0)).unwrap();
        assert_eq!((none.counted, empty.shape()[0]), (0, 0));
        assert!(m.evaluate_predict(&images(2, 5, 5, 1, 1), &row_range(&y, 0..2)).is_err());
    }
}

#[test]
fn inference_keeps_nothing_for_backward() {
    // After predict, a backward pass has nothing to work from: no activations were kept.
    let a = model_a_like();
    a.predict(&images(40, 28, 28, 1, 1), 32).unwrap();
    for l in a.layers() {
        let mut node = l.borrow_mut();
        let dy = transfer_playground::tensor::zeros(&[1, 1]);
        let kept = match &mut node.layer {
            Layer::Conv2D(_) | Layer::Dense(_) | Layer::Pool2D(_) => {
                node.layer.backward(transfer_playground::layers::Grad::Output(dy), true, true).is_ok()
            }
            _ => false,
        };
        assert!(!kept, "layer '{}' kept activations after inference", node.name);
    }
}
