//! The Keras 3 `.keras` archive: a zip of `config.json`, `metadata.json` and
//! `model.weights.h5` (see the parent module). Only the zip lives here; the weights file
//! goes to [`super::h5`].
//!
//! Every entry is read through a reader capped at what the input could honestly hold
//! ([`MAX_EXPANSION`] times its length) and at `limits::MAX_ARCHIVE_ENTRY_BYTES`, so a
//! zip header that lies about sizes ends in an error, not an allocation; the first
//! allocation is fallible too (a 42 MB archive may honestly declare 2 GiB, which wasm32
//! cannot have).

use std::io::{Cursor, Read, Write};

use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{config_layers, h5, KerasFileError, KerasFormat, KerasModelFile, MAX_EXPANSION};
use crate::limits::MAX_ARCHIVE_ENTRY_BYTES;

pub(super) fn read_keras_archive(bytes: &[u8]) -> Result<KerasModelFile, KerasFileError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    let limit = bytes.len().saturating_mul(MAX_EXPANSION);

    let config_bytes = read_entry(&mut zip, "config.json", limit)?.ok_or(KerasFileError::ArchiveWithoutConfig)?;
    let model_config: serde_json::Value = serde_json::from_slice(&config_bytes)
        .map_err(|e| KerasFileError::BadConfig(format!("config.json is not JSON: {e}")))?;
    let config = config_layers(&model_config)?;

    // metadata.json is optional to us: it tells the Keras version and, when this engine
    // wrote it with them, the names of the classes.
    let metadata = read_entry(&mut zip, "metadata.json", limit)
        .ok()
        .flatten()
        .and_then(|m| serde_json::from_slice::<serde_json::Value>(&m).ok());
    let keras_version = metadata.as_ref().and_then(|m| m.get("keras_version")?.as_str().map(str::to_string));
    let class_names =
        metadata.as_ref().and_then(|m| serde_json::from_value::<Vec<String>>(m.get("class_names")?.clone()).ok());

    let weights_h5 = read_entry(&mut zip, "model.weights.h5", limit)?.ok_or(KerasFileError::ArchiveWithoutWeights)?;
    if !h5::has_signature(&weights_h5) {
        return Err(KerasFileError::CorruptArchive("model.weights.h5 inside the archive is not an HDF5 file".into()));
    }
    let layers = h5::read_v3_weights(&weights_h5, &config, bytes.len())?;
    Ok(KerasModelFile { format: KerasFormat::KerasV3, keras_version, class_names, model_config, layers })
}

/// Zips a `.keras` archive as Keras does: `metadata.json`, `config.json`,
/// `model.weights.h5`, in that order, stored (not deflated).
pub(super) fn write_keras_archive(
    metadata_json: &str,
    config_json: &str,
    weights_h5: &[u8],
) -> Result<Vec<u8>, KerasFileError> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, bytes) in [
        ("metadata.json", metadata_json.as_bytes()),
        ("config.json", config_json.as_bytes()),
        ("model.weights.h5", weights_h5),
    ] {
        zip.start_file(name, options).map_err(corrupt)?;
        zip.write_all(bytes).map_err(|e| KerasFileError::CorruptArchive(format!("writing {name}: {e}")))?;
    }
    Ok(zip.finish().map_err(corrupt)?.into_inner())
}

/// The bytes of entry `name`, `None` if the archive has no such entry.
fn read_entry(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: usize,
) -> Result<Option<Vec<u8>>, KerasFileError> {
    let mut entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(corrupt(e)),
    };
    let declared = entry.size();
    if declared > limit as u64 {
        return Err(KerasFileError::TooLarge {
            what: format!("archive entry {name}"),
            declared_bytes: declared,
            input_bytes: limit / MAX_EXPANSION,
        });
    }
    let entry_limit = MAX_ARCHIVE_ENTRY_BYTES.min(limit);
    let over_limit = |value: u64| KerasFileError::Limit {
        what: format!("bytes of archive entry {name}"),
        value,
        limit: MAX_ARCHIVE_ENTRY_BYTES as u64,
    };
    if declared > MAX_ARCHIVE_ENTRY_BYTES as u64 {
        return Err(over_limit(declared));
    }
    // The declared size only sizes the first allocation (fallibly); the cap is what
    // bounds memory.
    let mut out = Vec::new();
    out.try_reserve_exact(declared as usize)
        .map_err(|_| KerasFileError::OutOfMemory { what: format!("archive entry {name}"), bytes: declared })?;
    (&mut entry)
        .take(entry_limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| KerasFileError::CorruptArchive(format!("reading {name}: {e}")))?;
    if out.len() > entry_limit && entry_limit == MAX_ARCHIVE_ENTRY_BYTES {
        return Err(over_limit(out.len() as u64));
    }
    if out.len() > limit {
        return Err(KerasFileError::TooLarge {
            what: format!("archive entry {name} (inflated)"),
            declared_bytes: out.len() as u64,
            input_bytes: limit / MAX_EXPANSION,
        });
    }
    Ok(Some(out))
}

fn corrupt(e: ZipError) -> KerasFileError {
    KerasFileError::CorruptArchive(e.to_string())
}
