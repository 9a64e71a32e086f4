//! Finite-difference gradient checks for every layer, activation and loss, with
//! respect to inputs and parameters, including `same` padding, strides and odd sizes.
//!
//! Each check uses the scalar `L = sum(y * r)` for a fixed random `r`, so `dL/dy = r`
//! and the analytic gradients come from one backward pass. Central differences in
//! f32 with step 1e-2 (where functions are smooth) are compared with a tolerance
//! relative to the gradient's overall scale.

use transfer_playground::layers::{Activation, Grad, Layer, LayerSpec, Mode, Padding};
use transfer_playground::loss::Loss;
use transfer_playground::rng::Rng;
use transfer_playground::tensor::{from_vec, Tensor};

fn random(shape: &[usize], rng: &mut Rng, scale: f32) -> Tensor {
    let n = shape.iter().product();
    from_vec(shape, (0..n).map(|_| rng.uniform(-scale, scale)).collect()).unwrap()
}

/// Dot product in f64.
fn dot(a: &Tensor, b: &Tensor) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| *x as f64 * *y as f64).sum()
}

fn forward(layer: &mut Layer, x: &Tensor, mode: Mode) -> Tensor {
    if let Layer::Dropout(d) = layer {
        d.reseed(99); // the same mask on every evaluation
    }
    layer.forward(x.clone(), mode, mode == Mode::Infer).unwrap()
}

fn assert_close(what: &str, analytic: &[f32], numeric: &[f64]) {
    assert_close_kinks(what, analytic, &numeric.iter().map(|&c| (c, c, c)).collect::<Vec<_>>());
}

/// `numeric` holds (central, forward, backward) differences. At a kink (relu at 0,
/// a max-pool tie, selu at 0) within the step of the evaluation point, the central
/// difference averages two slopes and the analytic gradient equals one of the
/// one-sided ones; such points are allowed, but only as a small minority.
fn assert_close_kinks(what: &str, analytic: &[f32], numeric: &[(f64, f64, f64)]) {
    let scale = analytic.iter().map(|v| v.abs() as f64).fold(0.0, f64::max).max(1e-3);
    let mut one_sided = 0;
    for (i, (a, (c, f, b))) in analytic.iter().zip(numeric).enumerate() {
        let a = *a as f64;
        if (a - c).abs() <= 2e-2 * scale + 1e-3 {
            continue;
        }
        let kink = (a - f).abs() <= 5e-2 * scale + 1e-3 || (a - b).abs() <= 5e-2 * scale + 1e-3;
        assert!(kink, "{what}[{i}]: analytic {a} vs numeric {c} (one-sided {f}, {b}; scale {scale})");
        one_sided += 1;
    }
    assert!(
        one_sided * 10 <= analytic.len().max(10),
        "{what}: {one_sided} of {} points matched only one-sidedly",
        analytic.len()
    );
}

/// Central, forward and backward differences of `f` around `x0` along one coordinate.
fn differences(f0: f64, fp: f64, fm: f64, h: f64) -> (f64, f64, f64) {
    ((fp - fm) / (2.0 * h), (fp - f0) / h, (f0 - fm) / h)
}

/// Checks d(sum(y*r))/dx and d/dparams for one layer.
fn check_layer(spec: LayerSpec, input: &[usize], batch: usize, mode: Mode, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut layer = Layer::build(&spec, input, &mut rng).unwrap();
    // Non-trivial BN parameters, so that gamma/beta gradients are exercised.
    for p in layer.params_mut() {
        if p.name == "gamma" || p.name == "beta" || p.name == "moving_mean" || p.name == "bias" {
            p.value.iter_mut().for_each(|v| *v = rng.uniform(-0.5, 0.5) + if p.name == "gamma" { 1.0 } else { 0.0 });
        }
        if p.name == "moving_variance" {
            p.value.iter_mut().for_each(|v| *v = rng.uniform(0.5, 1.5));
        }
    }
    let mut shape = vec![batch];
    shape.extend_from_slice(input);
    let x = random(&shape, &mut rng, 1.0);
    let y = forward(&mut layer, &x, if mode == Mode::Infer { Mode::Train } else { mode });
    let r = random(y.shape(), &mut rng, 1.0);
    // Analytic gradients. For `Mode::Infer` checks (BN with moving stats), the
    // forward above ran with frozen=true so BN used its moving statistics.
    let frozen = mode == Mode::Infer;
    if let Layer::Dropout(d) = &mut layer {
        d.reseed(99);
    }
    let _ = layer.forward(x.clone(), Mode::Train, frozen).unwrap();
    let dx = layer.backward(Grad::Output(r.clone()), true, true).unwrap().unwrap();
    let grads: Vec<Option<Tensor>> = layer.params().iter().map(|p| p.grad.clone()).collect();
    let h = 1e-2f32;
    let eval = |layer: &mut Layer, x: &Tensor| -> f64 {
        if let Layer::Dropout(d) = layer {
            d.reseed(99);
        }
        let y = layer.forward(x.clone(), Mode::Train, frozen).unwrap();
        dot(&y, &r)
    };
    // Input gradient.
    let f0 = eval(&mut layer, &x);
    let mut numeric = Vec::new();
    for i in 0..x.len() {
        let mut xp = x.clone();
        xp.as_slice_mut().unwrap()[i] += h;
        let mut xm = x.clone();
        xm.as_slice_mut().unwrap()[i] -= h;
        numeric.push(differences(f0, eval(&mut layer, &xp), eval(&mut layer, &xm), h as f64));
    }
    assert_close_kinks(&format!("{spec:?} dx"), dx.as_slice().unwrap(), &numeric);
    // Parameter gradients.
    for (pi, g) in grads.iter().enumerate() {
        let Some(g) = g else {
            assert!(!layer.params()[pi].trainable, "{spec:?}: no gradient for trainable param {pi}");
            continue;
        };
        let mut numeric = Vec::new();
        for i in 0..g.len() {
            let orig = layer.params()[pi].value.as_slice().unwrap()[i];
            layer.params_mut()[pi].value.as_slice_mut().unwrap()[i] = orig + h;
            let lp = eval(&mut layer, &x);
            layer.params_mut()[pi].value.as_slice_mut().unwrap()[i] = orig - h;
            let lm = eval(&mut layer, &x);
            layer.params_mut()[pi].value.as_slice_mut().unwrap()[i] = orig;
            numeric.push(differences(f0, lp, lm, h as f64));
        }
        assert_close_kinks(&format!("{spec:?} d{}", layer.params()[pi].name), g.as_slice().unwrap(), &numeric);
    }
}

fn conv(
    filters: usize,
    k: (usize, usize),
    s: (usize, usize),
    padding: Padding,
    activation: Activation,
    use_bias: bool,
) -> LayerSpec {
    LayerSpec::Conv2D { filters, kernel_size: k, strides: s, padding, activation, use_bias }
}

#[test]
fn conv2d_same_padding_stride_1() {
    check_layer(conv(3, (3, 3), (1, 1), Padding::Same, Activation::Linear, true), &[5, 6, 2], 2, Mode::Train, 1);
}

#[test]
fn conv2d_same_padding_stride_2_odd_sizes_rectangular_kernel() {
    check_layer(conv(2, (3, 2), (2, 2), Padding::Same, Activation::Tanh, true), &[7, 5, 3], 2, Mode::Train, 2);
}

#[test]
fn conv2d_valid_padding_mixed_strides_no_bias() {
    check_layer(conv(4, (2, 3), (2, 1), Padding::Valid, Activation::Sigmoid, false), &[6, 5, 1], 3, Mode::Train, 3);
}

#[test]
fn conv2d_even_input_same_padding_stride_2() {
    // 6 with stride 2 and k=3: the single padding pixel goes to the end (TensorFlow).
    check_layer(conv(2, (3, 3), (2, 2), Padding::Same, Activation::Elu, true), &[6, 6, 2], 2, Mode::Train, 4);
}

/// A convolution runs im2col + GEMM a few images at a time (chunks of about 128 Ki
/// floats of columns). Too big for finite differences, so: a batch whose images span
/// several chunks (one image per chunk; two per chunk with a short last one) gives the
/// same output, input gradient and summed kernel and bias gradients as each image alone.
#[test]
fn conv2d_in_chunks_equals_image_by_image() {
    for (input, batch, spec) in [
        ([48, 48, 8], 3, conv(5, (3, 3), (1, 1), Padding::Same, Activation::Relu, true)),
        ([40, 40, 4], 5, conv(3, (3, 3), (2, 2), Padding::Valid, Activation::Tanh, true)),
    ] {
        let mut rng = Rng::new(11);
        let mut layer = Layer::build(&spec, &input, &mut rng).unwrap();
        let x = random(&[batch, input[0], input[1], input[2]], &mut rng, 1.0);
        let y = forward(&mut layer, &x, Mode::Train);
        let r = random(y.shape(), &mut rng, 1.0);
        let dx = layer.backward(Grad::Output(r.clone()), true, true).unwrap().unwrap();
        let grads: Vec<Tensor> = layer.params().iter().map(|p| p.grad.clone().unwrap()).collect();
        let mut summed: Vec<Vec<f64>> = grads.iter().map(|g| vec![0.0; g.len()]).collect();
        for n in 0..batch {
            let one = |t: &Tensor| t.slice(ndarray::s![n..n + 1, .., .., ..]).to_owned().into_dyn();
            let yn = forward(&mut layer, &one(&x), Mode::Train);
            let dxn = layer.backward(Grad::Output(one(&r)), true, true).unwrap().unwrap();
            for (what, got, want) in [("output", &one(&y), &yn), ("input gradient", &one(&dx), &dxn)] {
                for (a, b) in got.iter().zip(want.iter()) {
                    assert!(
                        (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                        "{spec:?} image {n}: {what} {a} in the batch, {b} alone"
                    );
                }
            }
            for (s, p) in summed.iter_mut().zip(layer.params()) {
                s.iter_mut().zip(p.grad.as_ref().unwrap().iter()).for_each(|(s, g)| *s += *g as f64);
            }
        }
        for (g, s) in grads.iter().zip(&summed) {
            let scale = s.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (a, b) in g.iter().zip(s) {
                assert!(
                    (*a as f64 - b).abs() <= 1e-4 * scale,
                    "{spec:?}: parameter gradient {a} for the batch, {b} summed over its images"
                );
            }
        }
    }
}

#[test]
fn max_pooling_valid_odd_and_same_padding() {
    let mp = |k: usize, s: usize, p| LayerSpec::MaxPooling2D { pool_size: (k, k), strides: (s, s), padding: p };
    check_layer(mp(2, 2, Padding::Valid), &[5, 5, 2], 2, Mode::Train, 5);
    check_layer(mp(3, 2, Padding::Same), &[6, 7, 3], 2, Mode::Train, 6);
    check_layer(mp(2, 1, Padding::Valid), &[4, 3, 1], 1, Mode::Train, 7);
    // Channels past 4: on wasm a vector of four and a scalar tail.
    check_layer(mp(2, 2, Padding::Valid), &[4, 5, 6], 2, Mode::Train, 8);
    check_layer(mp(3, 2, Padding::Same), &[5, 4, 9], 1, Mode::Train, 9);
}

#[test]
fn average_pooling_valid_and_same_padding() {
    let ap = |k: usize, s: usize, p| LayerSpec::AveragePooling2D { pool_size: (k, k), strides: (s, s), padding: p };
    check_layer(ap(2, 2, Padding::Valid), &[5, 5, 2], 2, Mode::Train, 8);
    check_layer(ap(3, 2, Padding::Same), &[6, 7, 3], 2, Mode::Train, 9);
}

#[test]
fn global_average_pooling_and_flatten() {
    check_layer(LayerSpec::GlobalAveragePooling2D, &[3, 5, 4], 2, Mode::Train, 10);
    check_layer(LayerSpec::Flatten, &[3, 2, 4], 2, Mode::Train, 11);
}

#[test]
fn dense_with_every_activation() {
    for (i, a) in [
        Activation::Linear,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Softmax,
        Activation::Tanh,
        Activation::Elu,
        Activation::Selu,
    ]
    .into_iter()
    .enumerate()
    {
        check_layer(LayerSpec::Dense { units: 4, activation: a, use_bias: true }, &[5], 3, Mode::Train, 20 + i as u64);
    }
    check_layer(
        LayerSpec::Dense { units: 3, activation: Activation::Linear, use_bias: false },
        &[2, 4],
        2,
        Mode::Train,
        30,
    );
}

#[test]
fn activation_layers() {
    for (i, a) in [
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Softmax,
        Activation::Tanh,
        Activation::Elu,
        Activation::Selu,
        Activation::Linear,
    ]
    .into_iter()
    .enumerate()
    {
        check_layer(LayerSpec::Activation { activation: a }, &[2, 3, 5], 2, Mode::Train, 40 + i as u64);
    }
    check_layer(LayerSpec::LeakyReLU { negative_slope: 0.3 }, &[7], 3, Mode::Train, 50);
}

#[test]
fn batch_normalization_training_and_inference_modes() {
    check_layer(LayerSpec::batch_norm(), &[3, 3, 2], 4, Mode::Train, 60);
    check_layer(LayerSpec::batch_norm(), &[5], 6, Mode::Train, 61);
    check_layer(
        LayerSpec::BatchNormalization { momentum: 0.9, epsilon: 1e-3, center: false, scale: true },
        &[4],
        5,
        Mode::Train,
        62,
    );
    // Frozen BN (moving statistics): the mode a frozen base runs in.
    check_layer(LayerSpec::batch_norm(), &[2, 3, 3], 3, Mode::Infer, 63);
}

#[test]
fn dropout_with_a_fixed_mask() {
    check_layer(LayerSpec::Dropout { rate: 0.4, seed: Some(1) }, &[4, 3], 3, Mode::Train, 70);
}

/// Loss gradients against finite differences of the loss value, for probabilities
/// (clipped path) and logits (fused path).
#[test]
fn losses() {
    let mut rng = Rng::new(80);
    let (batch, last) = (4usize, 3usize);
    let z: Vec<f32> = (0..batch * last).map(|_| rng.uniform(-2.0, 2.0)).collect();
    let softmax = |z: &[f32]| -> Vec<f32> {
        z.chunks(last)
            .flat_map(|r| {
                let m = r.iter().copied().fold(f32::MIN, f32::max);
                let e: Vec<f32> = r.iter().map(|v| (v - m).exp()).collect();
                let s: f32 = e.iter().sum();
                e.into_iter().map(move |v| v / s)
            })
            .collect()
    };
    let sigmoid = |z: &[f32]| -> Vec<f32> { z.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect() };
    let sparse: Vec<f32> = (0..batch).map(|i| (i % last) as f32).collect();
    let onehot: Vec<f32> = (0..batch * last).map(|i| if i % last == (i / last) % last { 1.0 } else { 0.0 }).collect();
    let binary: Vec<f32> = (0..batch * last).map(|i| (i % 2) as f32).collect();
    type Probabilities<'a> = &'a dyn Fn(&[f32]) -> Vec<f32>;
    let cases: Vec<(Loss, Vec<f32>, Probabilities)> = vec![
        (Loss::SparseCategoricalCrossentropy, sparse, &softmax),
        (Loss::CategoricalCrossentropy, onehot, &softmax),
        (Loss::BinaryCrossentropy, binary.clone(), &sigmoid),
        (Loss::MeanSquaredError, binary, &sigmoid),
    ];
    let h = 1e-2f32;
    for (loss, y, act) in cases {
        for fused in [false, true] {
            if fused && loss == Loss::MeanSquaredError {
                continue;
            }
            // Value as a function of the variable being differentiated.
            let value = |v: &[f32]| -> f64 {
                if fused {
                    loss.loss_and_grad(&act(v), Some(v), &y, last, batch).0 / batch as f64
                } else {
                    loss.loss_and_grad(v, None, &y, last, batch).0 / batch as f64
                }
            };
            let at: Vec<f32> = if fused { z.clone() } else { act(&z) };
            let (_, g) = if fused {
                loss.loss_and_grad(&act(&z), Some(&z), &y, last, batch)
            } else {
                loss.loss_and_grad(&at, None, &y, last, batch)
            };
            let numeric: Vec<f64> = (0..at.len())
                .map(|i| {
                    let step = if fused { h } else { 1e-3 };
                    let mut p = at.clone();
                    p[i] += step;
                    let mut m = at.clone();
                    m[i] -= step;
                    (value(&p) - value(&m)) / (2.0 * step as f64)
                })
                .collect();
            assert_close(&format!("{loss:?} fused={fused}"), &g, &numeric);
        }
    }
}

#[test]
fn saturated_outputs_give_finite_loss_and_gradient() {
    // sigmoid(40) == 1.0 in f32: without logits, log(1 - p) would be -inf.
    let z = [40.0f32, -40.0, 100.0];
    let p = [1.0f32, 0.0, 1.0];
    let (l, g) = Loss::BinaryCrossentropy.loss_and_grad(&p, Some(&z), &[0.0, 1.0, 1.0], 1, 3);
    assert!(l.is_finite() && g.iter().all(|v| v.is_finite()));
    // max(z,0) - z*y + log1p(exp(-|z|)): 40 + 40 + ~0
    assert!((l - 80.0).abs() < 1e-3, "{l}");
    let (l, g) = Loss::SparseCategoricalCrossentropy.loss_and_grad(&[1.0, 0.0], Some(&[500.0, -500.0]), &[1.0], 2, 1);
    assert!((l - 1000.0).abs() < 1e-2 && g.iter().all(|v| v.is_finite()), "{l}");
    let (l, _) = Loss::BinaryCrossentropy.loss_and_grad(&p, None, &[0.0, 1.0, 1.0], 1, 3);
    assert!(l.is_finite());
}

/// A chain of layers with a fused softmax + cross-entropy loss, back-propagated
/// end to end: what `fit` does, checked numerically on the first conv kernel.
#[test]
fn whole_network_chain() {
    let mut rng = Rng::new(90);
    let specs = [
        conv(3, (3, 3), (1, 1), Padding::Same, Activation::Relu, true),
        LayerSpec::batch_norm(),
        LayerSpec::MaxPooling2D { pool_size: (2, 2), strides: (2, 2), padding: Padding::Valid },
        conv(2, (2, 2), (1, 1), Padding::Valid, Activation::Selu, true),
        LayerSpec::Flatten,
        LayerSpec::Dense { units: 3, activation: Activation::Softmax, use_bias: true },
    ];
    let mut shape = vec![5usize, 5, 2];
    let mut layers = Vec::new();
    for s in &specs {
        layers.push(Layer::build(s, &shape, &mut rng).unwrap());
        shape = s.output_shape(&shape).unwrap();
    }
    let x = random(&[3, 5, 5, 2], &mut rng, 1.0);
    let y = vec![0.0f32, 2.0, 1.0];
    let loss = Loss::SparseCategoricalCrossentropy;
    let run = |layers: &mut Vec<Layer>| -> (f64, Vec<f32>, Tensor) {
        let mut h = x.clone();
        for l in layers.iter_mut() {
            h = l.forward(h, Mode::Train, false).unwrap();
        }
        let z = layers.last().unwrap().logits().unwrap().clone();
        let (l, g) = loss.loss_and_grad(h.as_slice().unwrap(), Some(z.as_slice().unwrap()), &y, 3, 3);
        (l / 3.0, g, h)
    };
    let (_, g, h) = run(&mut layers);
    let mut grad = Grad::PreActivation(from_vec(h.shape(), g).unwrap());
    for i in (0..layers.len()).rev() {
        match layers[i].backward(grad, i > 0, true).unwrap() {
            Some(dx) => grad = Grad::Output(dx),
            None => break,
        }
    }
    let analytic = layers[0].params()[0].grad.clone().unwrap();
    let h = 1e-2f32;
    let f0 = run(&mut layers).0;
    let mut numeric = Vec::new();
    for i in 0..analytic.len() {
        let orig = layers[0].params()[0].value.as_slice().unwrap()[i];
        layers[0].params_mut()[0].value.as_slice_mut().unwrap()[i] = orig + h;
        let lp = run(&mut layers).0;
        layers[0].params_mut()[0].value.as_slice_mut().unwrap()[i] = orig - h;
        let lm = run(&mut layers).0;
        layers[0].params_mut()[0].value.as_slice_mut().unwrap()[i] = orig;
        numeric.push(differences(f0, lp, lm, h as f64));
    }
    assert_close_kinks("chain dK0", analytic.as_slice().unwrap(), &numeric);
}
