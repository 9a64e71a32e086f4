//! Reading real Keras files: every fixture in `tests/fixtures/keras/` (written by Keras
//! 3.15 and tf-keras 2.21, see `make_fixtures.py` there) must read back exactly the weights
//! Keras dumped beside it; broken files must give a clear error; and no mutation of the
//! real files may panic or hang. No TensorFlow is needed to run these.
//!
//! Run: `cargo test --release --test keras_files`

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use transfer_playground::keras::{read_model_file, KerasFormat, KerasModelFile};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(name: &str) -> KerasModelFile {
    read_model_file(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(bytes: &[u8]) -> String {
    match read_model_file(bytes) {
        Ok(_) => panic!("expected an error, the reader accepted {} bytes", bytes.len()),
        Err(e) => e.to_string(),
    }
}

/// The JSON dumps `make_fixtures.py` wrote, one per model.
fn dumps() -> Vec<Value> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().unwrap() != "versions.json")
        // `<model>.layer_outputs.json` are the layer-output dumps (tests/layer_outputs.rs).
        .filter(|p| !p.to_string_lossy().ends_with(".layer_outputs.json"))
        .map(|p| {
            let v = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (p.display().to_string(), v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

/// FNV-1a 64 of the little-endian f32 bytes, as `make_fixtures.py` computes it.
fn fnv1a64(values: &[f32]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in values.iter().flat_map(|v| v.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

/// Config class names in order, `InputLayer` left out (the reader leaves it out too).
fn config_classes(file: &KerasModelFile) -> Vec<String> {
    file.model_config["config"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["class_name"].as_str().unwrap().to_string())
        .filter(|c| c != "InputLayer")
        .collect()
}

#[test]
fn every_fixture_reads_back_exactly_what_keras_dumped() {
    let mut files_checked = 0;
    let mut arrays_checked = 0;
    for dump in dumps() {
        let model = dump["model"].as_str().unwrap();
        // The reader leaves InputLayer out (a Functional model's `layers` lists it).
        let layers: Vec<&Value> =
            dump["layers"].as_array().unwrap().iter().filter(|l| l["class_name"] != "InputLayer").collect();
        for (file_name, meta) in dump["files"].as_object().unwrap() {
            let file = read(file_name);
            let want_format = match meta["format"].as_str().unwrap() {
                "LegacyH5" => KerasFormat::LegacyH5,
                _ => KerasFormat::KerasV3,
            };
            assert_eq!(file.format, want_format, "{file_name}");
            assert_eq!(file.keras_version.as_deref(), meta["keras_version"].as_str(), "{file_name}");
            let class = file.model_config["class_name"].as_str().unwrap();
            let want_class = if dump["class_name"] == "Functional" { "Functional" } else { "Sequential" };
            assert_eq!(class, want_class, "{file_name}");

            let want_classes: Vec<&str> = layers.iter().map(|l| l["class_name"].as_str().unwrap()).collect();
            assert_eq!(config_classes(&file), want_classes, "{file_name}: config layer classes");
            let got_names: Vec<&str> = file.layers.iter().map(|l| l.layer_name.as_str()).collect();
            let want_names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
            assert_eq!(got_names, want_names, "{file_name}: layer names");

            for (got, want) in file.layers.iter().zip(&layers) {
                let want_weights = want["weights"].as_array().unwrap();
                assert_eq!(got.weights.len(), want_weights.len(), "{file_name} {}", got.layer_name);
                for (g, w) in got.weights.iter().zip(want_weights) {
                    let at = format!("{file_name} {}", g.name);
                    assert_eq!(g.name, w["name"].as_str().unwrap(), "{at}");
                    assert_eq!(g.shape, usizes(&w["shape"]), "{at}");
                    assert_eq!(g.data.len(), g.shape.iter().product::<usize>(), "{at}");
                    if let Some(values) = w.get("values") {
                        let want = f32s(values);
                        let same = g.data.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(same && g.data.len() == want.len(), "{at}: values differ");
                    } else {
                        assert_eq!(g.data.len() as u64, w["count"].as_u64().unwrap(), "{at}");
                        let head = f32s(&w["head"]);
                        assert_eq!(&g.data[..head.len()], &head[..], "{at}: first values");
                        assert_eq!(fnv1a64(&g.data), w["fnv1a64"].as_str().unwrap(), "{at}: hash");
                    }
                    arrays_checked += 1;
                }
            }
            files_checked += 1;
        }
        // The inputs/outputs are for the engine's tests; check they are well-formed here.
        let n_in: usize = usizes(&dump["inputs"]["shape"]).iter().product();
        assert_eq!(dump["inputs"]["values"].as_array().unwrap().len(), n_in, "{model}");
        let n_out: usize = usizes(&dump["outputs"]["shape"]).iter().product();
        assert_eq!(dump["outputs"]["values"].as_array().unwrap().len(), n_out, "{model}");
    }
    assert!(files_checked >= 16, "only {files_checked} fixture files were checked");
    println!("{files_checked} files, {arrays_checked} weight arrays matched exactly");
}

#[test]
fn model_a_is_the_lecture_model_in_all_three_files() {
    for (name, version) in
        [("my_model_A.h5", "3.15.1"), ("my_model_A.keras", "3.15.1"), ("my_model_A.tf_keras.h5", "2.21.0")]
    {
        let file = read(name);
        assert_eq!(file.keras_version.as_deref(), Some(version), "{name}");
        assert_eq!(
            config_classes(&file),
            ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"],
            "{name}"
        );
        let shapes: Vec<(String, Vec<usize>)> =
            file.layers.iter().flat_map(|l| l.weights.iter().map(|w| (w.name.clone(), w.shape.clone()))).collect();
        let want: Vec<(String, Vec<usize>)> = [
            ("conv2d/kernel", vec![3, 3, 1, 16]), // HWIO
            ("conv2d/bias", vec![16]),
            ("conv2d_1/kernel", vec![3, 3, 16, 32]),
            ("conv2d_1/bias", vec![32]),
            ("dense/kernel", vec![7 * 7 * 32, 64]), // [in, out], in = NHWC-flattened
            ("dense/bias", vec![64]),
            ("dense_1/kernel", vec![64, 8]),
            ("dense_1/bias", vec![8]),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s))
        .collect();
        assert_eq!(shapes, want, "{name}");
    }
    // The three writers agree on every value.
    let a = read("my_model_A.h5");
    assert_eq!(a.layers, read("my_model_A.keras").layers);
    assert_eq!(a.layers, read("my_model_A.tf_keras.h5").layers);
}

#[test]
fn float64_and_float16_weights_become_f32() {
    let file = read("dtypes.h5");
    let f16_kernel = &file.layers[1].weights[0];
    assert_eq!(f16_kernel.name, "d_f16/kernel");
    assert_eq!(f16_kernel.shape, [4, 2]);
    assert_eq!(file.layers, read("dtypes.keras").layers);
}

#[test]
fn text_and_json_are_not_model_files() {
    let e = err(b"<!DOCTYPE html><html>");
    assert!(e.starts_with("not an HDF5 file or .keras archive (first bytes 3c 21 44 4f"), "{e}");
    assert!(e.contains("\"<!DOCTYP\""), "{e}");
    let e = err(&fixture("conv_odd.json"));
    assert!(e.starts_with("not an HDF5 file or .keras archive"), "{e}");
}

#[test]
fn empty_file_says_empty() {
    let e = err(&[]);
    assert!(e.contains("empty") && e.contains("not an HDF5 file or .keras archive"), "{e}");
}

#[test]
fn truncated_files_say_truncated_or_corrupt() {
    for name in ["conv_odd.h5", "conv_odd.tf_keras.h5", "my_model_A.h5", "conv_odd.keras", "rgb_bn.tf_keras.keras"] {
        let bytes = fixture(name);
        let n = bytes.len();
        for cut in [8, 16, 48, 100, 512, 1000, 2048, 4096, n / 3, n / 2, n - 1000, n - 100, n - 1] {
            let e = err(&bytes[..cut]);
            assert!(e.starts_with("truncated/corrupt"), "{name} cut at {cut} of {n}: {e}");
        }
        // Cut inside the signature: not recognised at all.
        let e = err(&bytes[..3]);
        assert!(e.starts_with("not an HDF5 file or .keras archive"), "{name}: {e}");
    }
}

#[test]
fn weights_only_files_say_save_the_whole_model() {
    for name in ["weights_only.weights.h5", "weights_only.tf_keras.h5"] {
        let e = err(&fixture(name));
        assert!(e.contains("weights-only file (save_weights)"), "{name}: {e}");
        assert!(e.contains("model.save"), "{name}: {e}");
    }
}

#[test]
fn archive_without_config_says_so() {
    let e = err(&fixture("no_config.keras"));
    assert_eq!(e, ".keras archive has no config.json: it is a zip, but not one written by Keras' model.save");
}

#[test]
fn archive_without_weights_says_so() {
    let bytes = rezip(&fixture("conv_odd.keras"), |name, data| (name != "model.weights.h5").then(|| data.to_vec()));
    let e = err(&bytes);
    assert!(e.starts_with(".keras archive has no model.weights.h5"), "{e}");
}

#[test]
fn archive_with_lying_sizes_is_refused_without_allocating() {
    // A stored entry of 2 GB inside a 1 KB "archive": the local header says so.
    let bytes = rezip(&fixture("conv_odd.keras"), |_, d| Some(d.to_vec()));
    let e = read_model_file(&bytes);
    assert!(e.is_ok());
    let mut huge = bytes.clone();
    // Every central-directory record's uncompressed size (offset 24) set to 0x7fff_ffff.
    let mut i = 0;
    while let Some(p) = find(&huge[i..], b"PK\x01\x02") {
        let at = i + p + 24;
        huge[at..at + 4].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        i = at;
    }
    let e = err(&huge);
    assert!(e.starts_with("truncated/corrupt"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Robustness: mutate the real fixture bytes, thousands of times, with a fixed seed.
// ---------------------------------------------------------------------------------------

/// xorshift64*: a tiny deterministic PRNG, so a failing case is reproducible by its index.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that break size and offset fields when written over them.
const NASTY: [u64; 9] = [
    0,
    1,
    0xff,
    0x7fff_ffff,
    0xffff_ffff,
    0x0000_0017_4876_e800, // 100 GB
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
    u64::MAX - 7,
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    let n = b.len();
    match rng.below(8) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(n);
                b[i] ^= 1 << rng.below(8);
            }
        }
        1 => b.truncate(rng.below(n)),
        2 | 3 => {
            // A header field: the first 4 KiB hold the superblock and the root's object
            // headers; the zip's directory is at the end.
            let region = if rng.below(3) == 0 { n.saturating_sub(512)..n } else { 0..n.min(4096) };
            let at = region.start + rng.below(region.len().max(1));
            let width = [1, 2, 4, 8][rng.below(4)];
            let v = NASTY[rng.below(NASTY.len())] ^ if rng.below(2) == 0 { 0 } else { rng.next() & 0xff };
            for (k, byte) in v.to_le_bytes().iter().take(width).enumerate() {
                if at + k < n {
                    b[at + k] = *byte;
                }
            }
        }
        6 | 7 => {
            // A field of an HDF5 structure: just after one of the signatures that open
            // object headers, B-trees, heaps, symbol nodes and global heap collections.
            const SIGNATURES: [&[u8]; 8] = [b"OHDR", b"TREE", b"HEAP", b"SNOD", b"GCOL", b"FRHP", b"BTHD", b"\x89HDF"];
            let sig = SIGNATURES[rng.below(SIGNATURES.len())];
            let hits: Vec<usize> =
                b.windows(sig.len()).enumerate().filter(|(_, w)| *w == sig).map(|(i, _)| i).collect();
            if hits.is_empty() {
                b[rng.below(n)] ^= 0x80;
                return b;
            }
            let at = hits[rng.below(hits.len())] + sig.len() + rng.below(48);
            let width = [1, 2, 4, 8][rng.below(4)];
            let v = match rng.below(3) {
                0 => NASTY[rng.below(NASTY.len())],
                // The address of a structure (this one included): links that form cycles.
                1 => hits[rng.below(hits.len())] as u64,
                _ => rng.next(),
            };
            let width = if rng.below(3) == 1 { 8 } else { width };
            for (k, byte) in v.to_le_bytes().iter().take(width).enumerate() {
                if at + k < n {
                    b[at + k] = *byte;
                }
            }
        }
        4 => {
            let at = rng.below(n);
            let len = 1 + rng.below(64);
            for byte in &mut b[at..(at + len).min(n)] {
                *byte = rng.next() as u8;
            }
        }
        _ => {
            // Duplicate or delete a span: shifts every offset after it.
            let at = rng.below(n);
            let len = 1 + rng.below(256);
            if rng.below(2) == 0 {
                let span: Vec<u8> = b[at..(at + len).min(n)].to_vec();
                b.splice(at..at, span);
            } else {
                b.drain(at..(at + len).min(n));
            }
        }
    }
    b
}

/// Rebuilds a `.keras` zip with `keep` deciding (and possibly changing) each entry, so a
/// mutated `model.weights.h5` or `config.json` passes the zip's CRC and reaches the parser.
fn rezip(bytes: &[u8], mut keep: impl FnMut(&str, &[u8]) -> Option<Vec<u8>>) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..src.len() {
        let mut entry = src.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if let Some(new) = keep(&name, &data) {
            out.start_file(name, opts).unwrap();
            out.write_all(&new).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn crasher_dir() -> PathBuf {
    fixture_dir().join("crashers")
}

/// Runs the reader on `bytes`; a panic is saved under `target/keras-crashers/` (to be
/// moved into `tests/fixtures/keras/crashers/` as a regression) and reported.
fn survives(bytes: &[u8], label: &str, slowest: &mut (Duration, String)) -> Result<Result<(), String>, String> {
    let start = Instant::now();
    let outcome = std::panic::catch_unwind(|| read_model_file(bytes).map(|_| ()).map_err(|e| e.to_string()));
    let took = start.elapsed();
    if took > slowest.0 {
        *slowest = (took, label.to_string());
    }
    match outcome {
        Ok(read) => Ok(read),
        Err(_) => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/keras-crashers");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(label.replace(['/', ' '], "_"));
            std::fs::write(&path, bytes).unwrap();
            Err(format!("{label}: panicked; input saved to {}", path.display()))
        }
    }
}

#[test]
fn mutated_real_files_never_panic_or_hang() {
    let started = Instant::now();
    let plain: Vec<(&str, Vec<u8>)> = [
        "conv_odd.h5",
        "conv_odd.tf_keras.h5",
        "rgb_bn.h5",
        "functional_chain.h5",
        "dtypes.h5",
        "mlp_acts.h5",
        "weights_only.tf_keras.h5",
        "conv_odd.keras",
        "rgb_bn.tf_keras.keras",
        "my_model_A.h5",
    ]
    .into_iter()
    .map(|n| (n, fixture(n)))
    .collect();
    // Archives whose inner file is mutated and then zipped again with a correct CRC.
    let archives: Vec<(&str, Vec<u8>)> =
        ["conv_odd.keras", "rgb_bn.tf_keras.keras", "dtypes.keras"].into_iter().map(|n| (n, fixture(n))).collect();

    // KERAS_FUZZ_CASES / KERAS_FUZZ_SEED widen a search by hand; the defaults are the test.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let cases = env("KERAS_FUZZ_CASES").unwrap_or(30_000) as usize;
    let mut rng = Rng(env("KERAS_FUZZ_SEED").unwrap_or(0x9e37_79b9_7f4a_7c15) | 1);
    let mut slowest = (Duration::ZERO, String::new());
    let mut failures = Vec::new();
    let (mut ok, mut errs) = (0usize, 0usize);
    for case in 0..cases {
        let (label, bytes) = if case % 3 == 2 {
            let (name, base) = &archives[rng.below(archives.len())];
            let target = if rng.below(4) == 0 { "config.json" } else { "model.weights.h5" };
            let bytes =
                rezip(base, |entry, data| Some(if entry == target { mutate(&mut rng, data) } else { data.to_vec() }));
            (format!("case{case}-{name}-{target}"), bytes)
        } else {
            // The big file (last) gets fewer cases: it costs the most per case.
            let pick = if rng.below(20) == 0 { plain.len() - 1 } else { rng.below(plain.len() - 1) };
            let (name, base) = &plain[pick];
            (format!("case{case}-{name}"), mutate(&mut rng, base))
        };
        match survives(&bytes, &label, &mut slowest) {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => {
                assert!(!e.is_empty(), "{label}: empty error message");
                errs += 1
            }
            Err(f) => failures.push(f),
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{cases} mutated inputs: {ok} read, {errs} refused, {} panicked; slowest {:?} ({}); \
         total {elapsed:?}",
        failures.len(),
        slowest.0,
        slowest.1
    );
    assert!(failures.is_empty(), "{} panics:\n{}", failures.len(), failures.join("\n"));
    assert!(slowest.0 < Duration::from_secs(5), "a case took {:?}: {}", slowest.0, slowest.1);
}

#[test]
fn saved_crashers_do_not_panic() {
    let Ok(entries) = std::fs::read_dir(crasher_dir()) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let label = path.file_name().unwrap().to_string_lossy().to_string();
        let mut slowest = (Duration::ZERO, String::new());
        if let Err(f) = survives(&bytes, &label, &mut slowest) {
            panic!("{f}");
        }
    }
}

#[test]
fn dataset_claiming_100_gb_is_refused_without_allocating() {
    // my_model_A's dense kernel is [1568, 64]; its dataspace stores both as u64. Claim
    // [390_625_000, 64] f32 = 100 GB instead, in both formats (the .keras one rezipped).
    let patch = |h5: &[u8]| {
        let mut dims = 1568u64.to_le_bytes().to_vec();
        dims.extend(64u64.to_le_bytes());
        let at = find(h5, &dims).expect("the dense kernel's dataspace");
        let mut out = h5.to_vec();
        out[at..at + 8].copy_from_slice(&390_625_000u64.to_le_bytes());
        out
    };
    let legacy = patch(&fixture("my_model_A.h5"));
    let archive = rezip(&fixture("my_model_A.keras"), |name, data| {
        Some(if name == "model.weights.h5" { patch(data) } else { data.to_vec() })
    });
    for bytes in [legacy, archive] {
        let e = err(&bytes);
        assert!(
            e.starts_with(
                "truncated/corrupt file: weight 'dense/kernel' of shape [390625000, 64] \
                           declares 100000000000 bytes"
            ),
            "{e}"
        );
    }
}
