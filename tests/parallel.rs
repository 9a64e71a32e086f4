//! Data-parallel training (`train::parallel`) with real threads standing in for the
//! page's Web Workers: each worker builds its replica from the spec's bytes (as a
//! worker does from a message) and talks to the coordinator over channels only. What
//! is checked: a 2- and 3-worker fit equals the one-worker fit within float rounding
//! (history and weights, with and without a frozen-feature cache, SGD with momentum
//! and Adam); the result does not depend on timing (workers delayed at random give
//! the same bits); after the fit every replica's weights and optimizer state equal the
//! coordinator's bit for bit, both when each worker sums the shards itself (the shared
//! board) and when it applies the coordinator's sum (transferred buffers); a worker
//! that fails mid-fit leaves the coordinator to go on alone with the same result; and
//! fits that cannot be split (trainable BatchNormalization, active Dropout) say why.
//! Native only: wasm32-unknown-unknown has no threads (the page's workers are tested in
//! tests/wasm_parallel.rs and tests/e2e/parallel.test.mjs).
#![cfg(not(target_arch = "wasm32"))]

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

use transfer_playground::rng::Rng;
use transfer_playground::tensor::{from_vec, row_range, Tensor};
use transfer_playground::train::parallel::{
    features, sharding_blocker, ParallelFit, ParallelNext, Replica, ReplicaSpec, Shard,
};
use transfer_playground::train::step::StepSums;
use transfer_playground::{
    Activation, Event, FitOptions, History, LayerSpec, Loss, OptimizerConfig, Padding, Sequential,
};

enum Cmd {
    Features(Tensor),
    Validation(Tensor, Tensor),
    /// A shard's rows (features, labels) within a batch of this size.
    Step(Tensor, Tensor, usize),
    /// Each worker sums these shards (worker order) itself: the shared board; its own
    /// (at the index given) from the gradients it kept.
    ApplyShards(Vec<Vec<f32>>, usize),
    /// The coordinator's sum: transferred buffers.
    ApplySum(Vec<f32>),
    Validate,
    State,
    Fail,
}

enum Reply {
    Features(Tensor),
    Grads(Vec<f32>, StepSums),
    Sums(StepSums),
    State(Vec<Tensor>, Vec<Vec<f32>>),
    Done,
    Failed(String),
}

struct Worker {
    tx: Sender<Cmd>,
    rx: Receiver<Reply>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    fn spawn(spec: Vec<u8>, jitter: Option<u64>) -> Worker {
        let (tx, crx) = channel::<Cmd>();
        let (ctx, rx) = channel::<Reply>();
        let handle = std::thread::spawn(move || {
            let mut r = Replica::new(&ReplicaSpec::from_bytes(&spec).unwrap()).unwrap();
            let mut rng = Rng::new(jitter.unwrap_or(0));
            for cmd in crx {
                if jitter.is_some() {
                    std::thread::sleep(std::time::Duration::from_micros(rng.below(3000) as u64));
                }
                let reply = match cmd {
                    Cmd::Features(x) => Reply::Features(r.features(&x).unwrap()),
                    Cmd::Validation(x, y) => {
                        let f = r.features(&x).unwrap();
                        r.set_validation(f, y);
                        Reply::Done
                    }
                    Cmd::Step(x, y, batch) => match r.gradients(x, &y, batch) {
                        Ok(g) => Reply::Grads(g.to_flat(), g.sums),
                        Err(e) => Reply::Failed(e.to_string()),
                    },
                    Cmd::ApplyShards(shards, own) => {
                        let views: Vec<Shard> = shards
                            .iter()
                            .enumerate()
                            .map(|(i, f)| if i == own { Shard::Own } else { Shard::Flat(f) })
                            .collect();
                        r.apply_shards(&views).unwrap();
                        Reply::Done
                    }
                    Cmd::ApplySum(sum) => {
                        r.apply_flat(&sum).unwrap();
                        Reply::Done
                    }
                    Cmd::Validate => Reply::Sums(r.validation_sums().unwrap()),
                    Cmd::State => Reply::State(r.model().get_weights(), r.model().optimizer_state()),
                    Cmd::Fail => return, // the thread ends: its channel closes, as a dead worker's would
                };
                if ctx.send(reply).is_err() {
                    return;
                }
            }
        });
        Worker { tx, rx, handle: Some(handle) }
    }

    fn ask(&self, cmd: Cmd) -> Option<Reply> {
        self.tx.send(cmd).ok()?;
        self.rx.recv().ok()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let (tx, _) = channel();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Update {
    EachSums,
    CoordinatorSums,
}

struct Outcome {
    history: History,
    /// Every live replica's weights and optimizer state after the fit.
    replicas: Vec<(Vec<Tensor>, Vec<Vec<f32>>)>,
    workers_at_end: usize,
}

/// The coordinator: what `www/worker-pool.js` does, with channels for messages.
#[allow(clippy::too_many_arguments)] // the test's knobs, named at every call
fn parallel_fit(
    model: &mut Sequential,
    x: &Tensor,
    y: &Tensor,
    opts: FitOptions,
    workers: usize,
    update: Update,
    jitter: bool,
    fail_at: Option<usize>,
) -> Outcome {
    let mut pf = ParallelFit::new(model, x.clone(), y.clone(), opts, workers).unwrap();
    let spec = pf.replica_spec(model).unwrap().to_bytes();
    let mut pool: Vec<Worker> =
        (1..pf.workers()).map(|i| Worker::spawn(spec.clone(), jitter.then_some(i as u64 * 7919))).collect();
    // The frozen base's features: each worker its slice, joined in worker order.
    let slices = pf.train_slices();
    for (w, r) in pool.iter().zip(&slices[1..]) {
        w.tx.send(Cmd::Features(row_range(x, r.clone()))).unwrap();
    }
    let mut joined = vec![features(model, pf.from(), &row_range(x, slices[0].clone())).unwrap()];
    for w in pool.iter().take(slices.len() - 1) {
        let Some(Reply::Features(f)) = w.rx.recv().ok() else { panic!("features") };
        joined.push(f);
    }
    // Only the coordinator holds the training data: each step brings a shard's rows.
    pf.set_train_features(&joined).unwrap();
    let vslices = pf.validation_slices();
    let (vx, vy) = pf.validation_input().map(|(a, b)| (a.clone(), b.clone())).unwrap();
    for (i, w) in pool.iter().enumerate() {
        let r = vslices.get(i + 1).cloned().unwrap_or(0..0);
        assert!(matches!(w.ask(Cmd::Validation(row_range(&vx, r.clone()), row_range(&vy, r))), Some(Reply::Done)));
    }
    pf.prepare_local_validation(model).unwrap();
    let mut steps = 0;
    loop {
        match pf.next_step() {
            ParallelNext::Done => break,
            ParallelNext::Batch { rows, shards, .. } => {
                if fail_at == Some(steps) {
                    pool[0].tx.send(Cmd::Fail).unwrap();
                }
                for (i, w) in pool.iter().enumerate().take(shards.len() - 1) {
                    let (sx, sy) = pf.shard_input(i + 1).unwrap();
                    let _ = w.tx.send(Cmd::Step(sx, sy, rows.len()));
                }
                let own = pf.local_gradients(model).unwrap().to_flat();
                let mut others = Vec::new();
                let mut lost = false;
                for w in pool.iter().take(shards.len() - 1) {
                    match w.rx.recv() {
                        Ok(Reply::Grads(f, s)) => others.push((f, s)),
                        Ok(Reply::Failed(e)) => panic!("a worker's step failed: {e}"),
                        _ => lost = true,
                    }
                }
                if lost {
                    // A worker is gone: nothing of this batch was applied anywhere.
                    pool.clear();
                    pf.go_on_alone(model).unwrap();
                    steps += 1;
                    continue;
                }
                for (f, s) in &others {
                    pf.add_shard(f, *s).unwrap();
                }
                let (ev, sum) = pf.finish_batch(model).unwrap();
                assert!(matches!(ev, Event::Batch(_)));
                let sum = sum.to_flat();
                let mut all = vec![own];
                all.extend(others.into_iter().map(|(f, _)| f));
                for (i, w) in pool.iter().enumerate() {
                    let cmd = match update {
                        Update::EachSums => Cmd::ApplyShards(all.clone(), i + 1),
                        Update::CoordinatorSums => Cmd::ApplySum(sum.clone()),
                    };
                    assert!(matches!(w.ask(cmd), Some(Reply::Done)));
                }
                steps += 1;
            }
            ParallelNext::EpochEnd { .. } => {
                for w in &pool {
                    w.tx.send(Cmd::Validate).unwrap();
                }
                let mut sums = vec![pf.local_validation(model).unwrap()];
                for w in &pool {
                    let Ok(Reply::Sums(s)) = w.rx.recv() else { panic!("validation") };
                    sums.push(s);
                }
                pf.finish_epoch(&sums[..pf.validation_slices().len()]);
            }
        }
    }
    let replicas = pool
        .iter()
        .map(|w| match w.ask(Cmd::State) {
            Some(Reply::State(weights, opt)) => (weights, opt),
            _ => panic!("replica state"),
        })
        .collect();
    Outcome { workers_at_end: pf.workers(), history: pf.into_history(), replicas }
}

fn data(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut r = Rng::new(seed);
    let mut x = Vec::with_capacity(n * 12 * 12);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let c = r.below(3);
        y.push(c as f32);
        for i in 0..12 {
            for _ in 0..12 {
                x.push(if i / 4 == c { 0.8 } else { 0.1 } + r.uniform(-0.2, 0.2));
            }
        }
    }
    (from_vec(&[n, 12, 12, 1], x).unwrap(), from_vec(&[n], y).unwrap())
}

/// A small CNN of model A's kinds of layers; `frozen_base`: all but the last layer frozen.
fn model(opt: OptimizerConfig, frozen_base: bool) -> Sequential {
    let specs = [
        LayerSpec::conv2d(4, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::conv2d(6, 3, Padding::Valid, Activation::Relu),
        LayerSpec::Flatten,
        LayerSpec::dense(10, Activation::Relu),
        LayerSpec::dense(3, Activation::Softmax),
    ];
    let mut m = Sequential::from_specs(&[12, 12, 1], &specs, 5).unwrap();
    if frozen_base {
        m.layers()[..5].iter().for_each(|l| l.set_trainable(false));
    }
    m.compile(Loss::SparseCategoricalCrossentropy, opt).unwrap();
    m
}

fn options(epochs: usize, batch_size: usize) -> FitOptions {
    let (vx, vy) = data(70, 9);
    FitOptions { epochs, batch_size, shuffle: true, seed: 3, validation: Some((vx, vy)), ..FitOptions::default() }
}

/// `|a - b| <= tol * max(|b|, scale)`, scale the largest |b| of the series.
fn close(what: &str, a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    for (i, (p, q)) in a.iter().zip(b).enumerate() {
        assert!((p - q).abs() <= tol * q.abs().max(scale), "{what}[{i}]: {p} vs {q}");
    }
}

fn close64(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (p, q)) in a.iter().zip(b).enumerate() {
        assert!((p - q).abs() <= tol * q.abs().max(1e-9), "{what}[{i}]: {p} vs {q}");
    }
}

fn flat(ws: &[Tensor]) -> Vec<f32> {
    ws.iter().flat_map(|w| w.iter().copied()).collect()
}

#[test]
fn sharded_fits_equal_the_one_worker_fit_within_rounding() {
    let (x, y) = data(90, 1);
    let sgd = OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: false };
    for (opt, frozen) in [(sgd, false), (sgd, true), (OptimizerConfig::adam(), false)] {
        let mut one = model(opt, frozen);
        let want = one.fit_quiet(&x, &y, options(3, 32)).unwrap();
        for workers in [2, 3] {
            let mut m = model(opt, frozen);
            let out = parallel_fit(&mut m, &x, &y, options(3, 32), workers, Update::EachSums, false, None);
            let what = format!("{opt:?}, frozen {frozen}, {workers} workers");
            assert_eq!(out.workers_at_end, workers, "{what}");
            close64(&format!("{what}: loss"), &out.history.loss, &want.loss, 1e-5);
            close64(&format!("{what}: val_loss"), &out.history.val_loss, &want.val_loss, 1e-5);
            assert_eq!(out.history.accuracy, want.accuracy, "{what}: accuracy");
            assert_eq!(out.history.val_accuracy, want.val_accuracy, "{what}: val_accuracy");
            close(&format!("{what}: weights"), &flat(&m.get_weights()), &flat(&one.get_weights()), 1e-4);
            assert_eq!(m.optimizer_steps(), one.optimizer_steps(), "{what}");
        }
    }
}

#[test]
fn replicas_end_bit_identical_to_the_coordinator_whoever_sums() {
    let (x, y) = data(90, 2);
    for update in [Update::EachSums, Update::CoordinatorSums] {
        for opt in
            [OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: true }, OptimizerConfig::adam()]
        {
            let mut m = model(opt, false);
            // Batch 40 of 90 images: the last batch (10 rows) is cut in two, not three, so
            // one replica sits it out and still applies its update.
            let out = parallel_fit(&mut m, &x, &y, options(2, 40), 3, update, false, None);
            assert_eq!(out.replicas.len(), 2);
            for (i, (weights, state)) in out.replicas.iter().enumerate() {
                assert_eq!(weights, &m.get_weights(), "replica {} weights", i + 1);
                assert_eq!(state, &m.optimizer_state(), "replica {} optimizer state", i + 1);
            }
        }
    }
}

#[test]
fn the_result_does_not_depend_on_timing() {
    let (x, y) = data(90, 3);
    let opt = OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: false };
    let mut calm = model(opt, false);
    let a = parallel_fit(&mut calm, &x, &y, options(2, 16), 3, Update::EachSums, false, None);
    let mut jittery = model(opt, false);
    let b = parallel_fit(&mut jittery, &x, &y, options(2, 16), 3, Update::EachSums, true, None);
    assert_eq!(calm.get_weights(), jittery.get_weights());
    assert_eq!(a.history.loss, b.history.loss);
    assert_eq!(a.history.val_loss, b.history.val_loss);
}

#[test]
fn a_worker_that_fails_leaves_the_coordinator_to_go_on_alone() {
    let (x, y) = data(90, 4);
    let opt = OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: false };
    let mut one = model(opt, true);
    let want = one.fit_quiet(&x, &y, options(3, 32)).unwrap();
    let mut m = model(opt, true);
    // The worker dies at the 4th step (epoch 2's first batch): that batch is done again.
    let out = parallel_fit(&mut m, &x, &y, options(3, 32), 2, Update::EachSums, false, Some(3));
    assert_eq!(out.workers_at_end, 1);
    assert_eq!(out.history.loss.len(), 3);
    close64("loss", &out.history.loss, &want.loss, 1e-5);
    close64("val_loss", &out.history.val_loss, &want.val_loss, 1e-5);
    assert_eq!(out.history.val_accuracy, want.val_accuracy);
    close("weights", &flat(&m.get_weights()), &flat(&one.get_weights()), 1e-4);
}

#[test]
fn the_replica_spec_round_trips_and_builds_the_same_model() {
    for opt in [OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: true }, OptimizerConfig::adam()] {
        let (x, y) = data(20, 5);
        let mut m = model(opt, false);
        m.fit_quiet(&x, &y, FitOptions { epochs: 1, batch_size: 8, ..FitOptions::default() }).unwrap();
        m.layers()[0].set_trainable(false); // not compiled yet: the spec keeps the compiled flags
        let spec = ReplicaSpec::of(&m, 0, 32, &[3]).unwrap();
        let back = ReplicaSpec::from_bytes(&spec.to_bytes()).unwrap();
        assert_eq!(back, spec);
        assert_eq!(back.label_shape, [3]);
        assert_eq!(back.trainable, vec![true; 6]);
        let r = back.build().unwrap();
        assert_eq!(r.get_weights(), m.get_weights());
        assert_eq!(r.optimizer_state(), m.optimizer_state());
        assert_eq!(r.optimizer_steps(), m.optimizer_steps());
        assert_eq!(r.optimizer_config(), m.optimizer_config());
        let bytes = spec.to_bytes();
        assert!(ReplicaSpec::from_bytes(&bytes[..bytes.len() - 1]).is_err(), "a truncated spec");
        assert!(ReplicaSpec::from_bytes(&bytes[..3]).is_err());
    }
}

#[test]
fn fits_that_cannot_be_split_say_why() {
    let opt = OptimizerConfig::sgd(0.1);
    let with = |extra: LayerSpec, trainable: bool| {
        let mut m = Sequential::from_specs(
            &[12, 12, 1],
            &[
                LayerSpec::conv2d(4, 3, Padding::Same, Activation::Relu),
                extra,
                LayerSpec::Flatten,
                LayerSpec::dense(3, Activation::Softmax),
            ],
            1,
        )
        .unwrap();
        m.layers()[1].set_trainable(trainable);
        m.compile(Loss::SparseCategoricalCrossentropy, opt).unwrap();
        m
    };
    let bn = with(LayerSpec::batch_norm(), true);
    assert!(sharding_blocker(&bn).unwrap().unwrap().contains("BatchNormalization"));
    let (x, y) = data(20, 1);
    let e = ParallelFit::new(&bn, x, y, FitOptions::default(), 2).err().unwrap();
    assert!(e.to_string().contains("one worker"), "{e}");
    // A frozen BatchNormalization runs in inference mode: per-example, splittable.
    assert_eq!(sharding_blocker(&with(LayerSpec::batch_norm(), false)).unwrap(), None);
    let dropout = with(LayerSpec::Dropout { rate: 0.5, seed: Some(1) }, true);
    assert!(sharding_blocker(&dropout).unwrap().unwrap().contains("Dropout"));
    assert_eq!(sharding_blocker(&with(LayerSpec::Dropout { rate: 0.0, seed: None }, true)).unwrap(), None);
}

#[test]
fn a_shard_of_the_wrong_shape_or_size_is_refused_with_a_message() {
    let (x, y) = data(20, 3);
    let mut m = model(OptimizerConfig::sgd(0.1), false);
    let mut pf =
        ParallelFit::new(&m, x.clone(), y.clone(), FitOptions { batch_size: 8, ..FitOptions::default() }, 2).unwrap();
    let mut r = Replica::new(&ReplicaSpec::from_bytes(&pf.replica_spec(&m).unwrap().to_bytes()).unwrap()).unwrap();
    assert_eq!(r.input_shape(), [12, 12, 1]);
    assert_eq!(r.label_shape(), [] as [usize; 0]);
    // Before a batch there is no shard to gather; then shard 1 is rows 4..8 of the batch.
    assert!(pf.shard_input(1).is_ok());
    assert!(pf.shard_input(2).unwrap_err().to_string().contains("shard 2"));
    let (sx, sy) = pf.shard_input(1).unwrap();
    assert_eq!((sx.shape(), sy.shape()), (&[4, 12, 12, 1][..], &[4][..]));
    let wrong_x = from_vec(&[4, 10, 10, 1], vec![0.0; 400]).unwrap();
    let e = r.gradients(wrong_x, &sy, 8).unwrap_err().to_string();
    assert!(e.contains("expected input of shape"), "{e}");
    let wrong_y = from_vec(&[3], vec![0.0; 3]).unwrap();
    let e = r.gradients(sx.clone(), &wrong_y, 8).unwrap_err().to_string();
    assert!(e.contains("labels of shape [4]"), "{e}");
    let e = r.gradients(sx.clone(), &sy, 2).unwrap_err().to_string();
    assert!(e.contains("a shard of 4 rows in a batch of 2"), "{e}");
    // Summing needs its own gradients first, and shard 0 first.
    assert!(r.sum_shard(1, Shard::Own).is_err());
    let g = r.gradients(sx, &sy, 8).unwrap().to_flat();
    assert_eq!(g.len(), pf.flat_len());
    assert!(r.sum_shard(1, Shard::Own).is_err(), "shard 0 starts the sum");
    let own = pf.local_gradients(&mut m).unwrap().to_flat();
    r.apply_shards(&[Shard::Flat(&own), Shard::Own]).unwrap();
    assert!(r.apply_sum().is_err(), "a sum is applied once");
    assert!(r.sum_shard(1, Shard::Flat(&g)).is_err(), "a new sum starts at shard 0");
    assert!(r.apply_shards(&[Shard::Flat(&own), Shard::Own]).is_err(), "its own gradients were used up");
    assert!(r.apply_shards(&[Shard::Flat(&own[1..]), Shard::Flat(&g)]).is_err(), "a short gradient");
}
