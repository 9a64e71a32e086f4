//! Hand-worked values for convolution, pooling and batch normalisation, the maths in
//! the comments, so a reader can check the engine with pencil and paper.

use transfer_playground::layers::{Activation, Layer, LayerSpec, Mode, Padding};
use transfer_playground::rng::Rng;
use transfer_playground::tensor::{from_vec, Tensor};

/// The 3x3 image  1 2 3 / 4 5 6 / 7 8 9  as [1, 3, 3, 1].
fn image3() -> Tensor {
    from_vec(&[1, 3, 3, 1], (1..=9).map(|v| v as f32).collect()).unwrap()
}

fn conv_1to1(padding: Padding, stride: usize) -> Layer {
    let spec = LayerSpec::Conv2D {
        filters: 1,
        kernel_size: (2, 2),
        strides: (stride, stride),
        padding,
        activation: Activation::Linear,
        use_bias: true,
    };
    let mut l = Layer::build(&spec, &[3, 3, 1], &mut Rng::new(0)).unwrap();
    // Kernel (HWIO [2, 2, 1, 1])  1 2 / 3 4, bias 0.5.
    l.params_mut()[0].value = from_vec(&[2, 2, 1, 1], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    l.params_mut()[1].value = from_vec(&[1], vec![0.5]).unwrap();
    l
}

#[test]
fn conv_valid_stride_1() {
    // y[i][j] = x[i][j]*1 + x[i][j+1]*2 + x[i+1][j]*3 + x[i+1][j+1]*4 + 0.5
    // y00 = 1 + 4 + 12 + 20 + .5 = 37.5   y01 = 2 + 6 + 15 + 24 + .5 = 47.5
    // y10 = 4 + 10 + 21 + 32 + .5 = 67.5  y11 = 5 + 12 + 24 + 36 + .5 = 77.5
    let y = conv_1to1(Padding::Valid, 1).forward(image3(), Mode::Infer, false).unwrap();
    assert_eq!(y.shape(), &[1, 2, 2, 1]);
    assert_eq!(y.as_slice().unwrap(), &[37.5, 47.5, 67.5, 77.5]);
}

#[test]
fn conv_same_stride_2_pads_bottom_right() {
    // out = ceil(3/2) = 2; padding needed = (2-1)*2 + 2 - 3 = 1, all of it at the
    // bottom/right (TensorFlow). Windows start at rows/cols 0 and 2:
    // y00 = 37.5 (as valid); y01 = 3*1 + 6*3 + .5 = 21.5; y10 = 7*1 + 8*2 + .5 = 23.5; y11 = 9*1 + .5 = 9.5
    let y = conv_1to1(Padding::Same, 2).forward(image3(), Mode::Infer, false).unwrap();
    assert_eq!(y.as_slice().unwrap(), &[37.5, 21.5, 23.5, 9.5]);
}

#[test]
fn pooling_valid_and_same() {
    let pool = |spec: LayerSpec| {
        Layer::build(&spec, &[3, 3, 1], &mut Rng::new(0)).unwrap().forward(image3(), Mode::Infer, false).unwrap()
    };
    // Max 2x2 stride 1 valid: max of each 2x2 window = its bottom-right value: 5 6 / 8 9.
    let y = pool(LayerSpec::MaxPooling2D { pool_size: (2, 2), strides: (1, 1), padding: Padding::Valid });
    assert_eq!(y.as_slice().unwrap(), &[5.0, 6.0, 8.0, 9.0]);
    // Average 2x2 stride 2 same: padding is ignored in the count:
    // y00 = (1+2+4+5)/4 = 3; y01 = (3+6)/2 = 4.5; y10 = (7+8)/2 = 7.5; y11 = 9/1 = 9.
    let y = pool(LayerSpec::AveragePooling2D { pool_size: (2, 2), strides: (2, 2), padding: Padding::Same });
    assert_eq!(y.as_slice().unwrap(), &[3.0, 4.5, 7.5, 9.0]);
    // Max 2x2 stride 2 same: 5, max(3,6)=6, max(7,8)=8, 9.
    let y = pool(LayerSpec::MaxPooling2D { pool_size: (2, 2), strides: (2, 2), padding: Padding::Same });
    assert_eq!(y.as_slice().unwrap(), &[5.0, 6.0, 8.0, 9.0]);
    // Global average: (1+...+9)/9 = 5.
    let y = pool(LayerSpec::GlobalAveragePooling2D);
    assert_eq!(y.as_slice().unwrap(), &[5.0]);
}

#[test]
fn batch_norm_training_then_inference() {
    let mut l = Layer::build(&LayerSpec::batch_norm(), &[1], &mut Rng::new(0)).unwrap();
    l.params_mut()[0].value.fill(2.0); // gamma
    l.params_mut()[1].value.fill(1.0); // beta
    let x = from_vec(&[2, 1], vec![1.0, 3.0]).unwrap();
    // Training: mean 2, biased variance 1, so x_hat = ±1/sqrt(1 + 1e-3) = ±0.9995003;
    // y = 2 x_hat + 1 = [-0.9990006, 2.9990006].
    let y = l.forward(x.clone(), Mode::Train, false).unwrap();
    let want = [1.0 - 2.0 / 1.001f32.sqrt(), 1.0 + 2.0 / 1.001f32.sqrt()];
    for (a, b) in y.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    // Moving stats: mean 0*0.99 + 2*0.01 = 0.02; variance 1*0.99 + 1*0.01 = 1.
    let mm = l.params()[2].value[[0]];
    let mv = l.params()[3].value[[0]];
    assert!((mm - 0.02).abs() < 1e-7 && (mv - 1.0).abs() < 1e-7, "{mm} {mv}");
    // Inference uses them: y = 2 (x - 0.02) / sqrt(1.001) + 1; for x = 1: 2.959014.
    let y = l.forward(from_vec(&[1, 1], vec![1.0]).unwrap(), Mode::Infer, false).unwrap();
    let want = 2.0 * 0.98 / 1.001f32.sqrt() + 1.0;
    assert!((y[[0, 0]] - want).abs() < 1e-6);
    // A frozen layer in training runs in inference mode: same output, stats unchanged.
    let y = l.forward(from_vec(&[1, 1], vec![1.0]).unwrap(), Mode::Train, true).unwrap();
    assert!((y[[0, 0]] - want).abs() < 1e-6);
    assert_eq!(l.params()[2].value[[0]], mm);
}

#[test]
fn dense_and_softmax_by_hand() {
    // x = [1, 2], W = [[1, 0], [0, 1]], b = [0, ln 3]: z = [1, 2 + ln 3];
    // softmax = [e, 3e^2] / (e + 3e^2) = [1, 3e] / (1 + 3e).
    let spec = LayerSpec::Dense { units: 2, activation: Activation::Softmax, use_bias: true };
    let mut l = Layer::build(&spec, &[2], &mut Rng::new(0)).unwrap();
    l.params_mut()[0].value = from_vec(&[2, 2], vec![1.0, 0.0, 0.0, 1.0]).unwrap();
    l.params_mut()[1].value = from_vec(&[2], vec![0.0, 3f32.ln()]).unwrap();
    let y = l.forward(from_vec(&[1, 2], vec![1.0, 2.0]).unwrap(), Mode::Infer, false).unwrap();
    let e = std::f32::consts::E;
    assert!((y[[0, 0]] - 1.0 / (1.0 + 3.0 * e)).abs() < 1e-6);
    assert!((y[[0, 1]] - 3.0 * e / (1.0 + 3.0 * e)).abs() < 1e-6);
}
