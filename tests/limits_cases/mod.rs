//! Hostile but well-formed inputs for the limit tests (issue 10's traps), shared by the
//! native tests (`tests/limits.rs`) and the same checks compiled to wasm32
//! (`tests/wasm_limits.rs`, where `usize` is 32 bits). Each builder makes one class of
//! trap from a shipped, valid file by changing one declared size.
#![allow(dead_code)]

use std::io::{Cursor, Read, Write};

use serde_json::Value;

pub const MODEL_JSON: &str = include_str!("../../www/assets/model-a/model.json");
pub const WEIGHTS: &[u8] = include_bytes!("../../www/assets/model-a/weights.bin");
pub const MODEL_A_KERAS: &[u8] = include_bytes!("../fixtures/keras/my_model_A.keras");
pub const TRAIN_B: &[u8] = include_bytes!("../../www/assets/task-b/train.tpds");

/// Model A's `model.json` with `edit` applied to the parsed document.
pub fn model_json(edit: impl FnOnce(&mut Value)) -> String {
    let mut doc: Value = serde_json::from_str(MODEL_JSON).unwrap();
    edit(&mut doc);
    doc.to_string()
}

/// Model A's `model.json` with `edit` applied to its layer configs.
pub fn model_json_layers(edit: impl FnOnce(&mut Vec<Value>)) -> String {
    model_json(|d| edit(d["modelTopology"]["model_config"]["config"]["layers"].as_array_mut().unwrap()))
}

/// Manifests whose sizes add up past 2^32 bytes while the total *wraps* to the real
/// weights' length in 32-bit arithmetic (`name`, `model.json`): on wasm32 an unchecked
/// sum passed the size check and the reader sliced gigabytes out of a 413 KB buffer.
pub fn wrapping_manifests() -> Vec<(&'static str, String)> {
    vec![
        // 65536 * 65536 values: the count itself wraps to 0 in 32 bits.
        (
            "a [65536, 65536] kernel",
            model_json(|d| d["weightsManifest"][0]["weights"][0]["shape"] = serde_json::json!([65536, 65536])),
        ),
        // 2^30 + 144 values = 2^32 + 576 bytes, which wraps to the kernel's real 576.
        (
            "a kernel of 2^30 + 144 values",
            model_json(|d| d["weightsManifest"][0]["weights"][0]["shape"] = serde_json::json!([1073741824u64 + 144])),
        ),
        // Two extra entries of 2^29 values (2^31 bytes each): the total wraps to the
        // real length, and the first slice reaches 2 GiB past the buffer.
        (
            "two extra 2^29-value weights",
            model_json(|d| {
                let w = d["weightsManifest"][0]["weights"].as_array_mut().unwrap();
                w.insert(0, serde_json::json!({"name": "x/a", "shape": [536870912u64], "dtype": "float32"}));
                w.insert(0, serde_json::json!({"name": "x/b", "shape": [536870912u64], "dtype": "float32"}));
            }),
        ),
    ]
}

/// Model A's layer configs made huge (`what`, `model.json`): each used to allocate
/// gigabytes (or wrap a size and trap) while building layers, before any check.
pub fn huge_layer_configs() -> Vec<(&'static str, String)> {
    vec![
        ("Dense(units=1e9)", model_json_layers(|ls| ls[5]["config"]["units"] = serde_json::json!(1_000_000_000u64))),
        // Under every per-setting limit, 470 million parameters: 1.9 GB.
        ("Dense(units=3e5)", model_json_layers(|ls| ls[5]["config"]["units"] = serde_json::json!(300_000u64))),
        (
            "Conv2D(filters=1e12)",
            model_json_layers(|ls| ls[0]["config"]["filters"] = serde_json::json!(1_000_000_000_000u64)),
        ),
        // 2^32 + 16 filters: `as usize` on wasm32 made that a 16-filter layer.
        (
            "Conv2D(filters=2^32+16)",
            model_json_layers(|ls| ls[0]["config"]["filters"] = serde_json::json!(4_294_967_312u64)),
        ),
        (
            "an input of 1e6 x 1e6 pixels",
            model_json_layers(|ls| {
                ls[0]["config"]["batch_input_shape"] = serde_json::json!([null, 1_000_000, 1_000_000, 1])
            }),
        ),
    ]
}

/// Every entry of a zip, in order.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (e.name().unwrap().to_string(), data)
        })
        .collect()
}

/// A zip of `entries`, each stored or deflated.
pub fn zip_of(entries: &[(String, Vec<u8>, bool)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, deflate) in entries {
        let method = if *deflate { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default().compression_method(method)).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Model A's `.keras` archive with its `config.json` edited.
pub fn keras_with_config(mut edit: impl FnMut(&mut Value)) -> Vec<u8> {
    let entries = unzip(MODEL_A_KERAS)
        .into_iter()
        .map(|(name, data)| {
            if name == "config.json" {
                let mut v: Value = serde_json::from_slice(&data).unwrap();
                edit(&mut v);
                (name, v.to_string().into_bytes(), false)
            } else {
                (name, data, false)
            }
        })
        .collect::<Vec<_>>();
    zip_of(&entries)
}

/// Model A's `.keras` archive whose `model.weights.h5` entry (deflated) *declares*
/// `declared` uncompressed bytes, padded with a stored entry so the archive is at least
/// `declared / 64` bytes long: under the reader's 64x expansion cap, so only the entry
/// limit stands between the header and a `declared`-byte allocation.
pub fn keras_declaring(declared: u32) -> Vec<u8> {
    let name = "model.weights.h5";
    let mut entries: Vec<(String, Vec<u8>, bool)> = unzip(MODEL_A_KERAS)
        .into_iter()
        .map(|(n, d)| {
            let deflate = n == name;
            (n, d, deflate)
        })
        .collect();
    entries.push(("assets/padding.bin".into(), vec![7u8; declared as usize / 64 + 1024], false));
    let mut z = zip_of(&entries);
    // The sizes of `name`: in its local header (uncompressed size at +22 of the header,
    // the name at +30) and in the central directory (+24, name at +46).
    let mut patched = 0;
    for at in 0..z.len() - name.len() {
        if &z[at..at + name.len()] != name.as_bytes() {
            continue;
        }
        if at >= 30 && z[at - 30..at - 26] == *b"PK\x03\x04" {
            z[at - 30 + 22..at - 30 + 26].copy_from_slice(&declared.to_le_bytes());
            patched += 1;
        } else if at >= 46 && z[at - 46..at - 42] == *b"PK\x01\x02" {
            z[at - 46 + 24..at - 46 + 28].copy_from_slice(&declared.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "both headers of {name}");
    z
}

/// A TPDS header (no pixels) claiming `n` images of `h x w x c`.
pub fn tpds_header(n: u32, h: u32, w: u32, c: u32) -> Vec<u8> {
    let mut b = b"TPDS".to_vec();
    for v in [1, n, h, w, c, 2] {
        b.extend_from_slice(&u32::to_le_bytes(v));
    }
    b
}
