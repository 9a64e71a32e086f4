//! Datasets: the compact binary image format shared by the native tools and the page.
//!
//! Why a format of our own: the page must fetch a few thousand 28×28 images quickly and
//! the wasm side must read them without a JSON or image decoder. "TPDS v1" is the
//! smallest thing that carries the shape with the bytes, so a file can never be read
//! with the wrong height, width or class count.
//!
//! # Layout (all integers little-endian `u32`)
//! ```text
//! offset  size           field
//!      0     4           magic  b"TPDS"
//!      4     4           version (= 1)
//!      8     4           n            number of images
//!     12     4           height
//!     16     4           width
//!     20     4           channels
//!     24     4           num_classes  1..=256 (labels are u8)
//!     28     n*h*w*c     pixels, u8, NHWC, row-major (image i starts at i*h*w*c)
//!      …     n           labels, u8, each < num_classes
//! ```
//! Pixels stay `u8` on disk and in memory (4× smaller than `f32`); [`ImageSet::to_f32`]
//! scales to `[0, 1]` (x / 255) at the moment a model needs floats.
//!
//! Reading never panics: every length is checked (with overflow guards, since `usize`
//! is 32 bits on wasm32) and every failure is a [`DataError`] that says what was wrong.

use std::fmt;

/// The four bytes every TPDS file starts with.
pub const MAGIC: [u8; 4] = *b"TPDS";
/// The only format version this code reads and writes.
pub const VERSION: u32 = 1;
/// Bytes before the pixels: magic + six `u32` fields.
pub const HEADER_LEN: usize = 4 + 6 * 4;

/// A set of same-shaped `u8` images with one class label each.
///
/// # Shapes
/// `pixels`: `[n, height, width, channels]` flattened row-major (NHWC);
/// `labels`: `[n]`, each `< num_classes`.
///
/// The fields are public so callers can build sets by hand; [`ImageSet::new`] and
/// [`ImageSet::validate`] check that they agree with each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSet {
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub num_classes: usize,
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

/// Everything that can be wrong with a TPDS buffer or with an operation on a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The first four bytes are not `b"TPDS"`.
    BadMagic { found: Vec<u8> },
    /// The version field is not one this code understands.
    UnsupportedVersion { found: u32 },
    /// The buffer ends before the header says it should.
    Truncated { expected: usize, found: usize },
    /// The buffer is longer than the header says (likely a different file or a bad write).
    TrailingBytes { expected: usize, found: usize },
    /// The header's sizes multiply to more bytes than this platform can address.
    TooLarge { n: usize, height: usize, width: usize, channels: usize },
    /// A dimension or class count is impossible (zero, or more than 256 classes).
    InvalidShape { reason: String },
    /// `pixels.len()` does not equal `n * height * width * channels`.
    PixelCountMismatch { expected: usize, found: usize },
    /// Image `index` has a label that is not below `num_classes`.
    LabelOutOfRange { index: usize, label: u8, num_classes: usize },
    /// An image index asked for does not exist.
    IndexOutOfRange { index: usize, len: usize },
    /// A relabelling map for [`ImageSet::filter_classes`] is unusable.
    InvalidClassMap { reason: String },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::BadMagic { found } => write!(
                f,
                "not a TPDS dataset: expected the file to start with \"TPDS\", found {:?}",
                String::from_utf8_lossy(found)
            ),
            DataError::UnsupportedVersion { found } => {
                write!(f, "unsupported TPDS version {found}: this build reads version {VERSION} only")
            }
            DataError::Truncated { expected, found } => {
                write!(f, "truncated TPDS dataset: expected {expected} bytes, found {found}")
            }
            DataError::TrailingBytes { expected, found } => {
                write!(f, "TPDS dataset has extra bytes: header implies {expected} bytes, found {found}")
            }
            DataError::TooLarge { n, height, width, channels } => write!(
                f,
                "TPDS header too large: {n} images of {height}x{width}x{channels} \
                 do not fit in memory on this platform"
            ),
            DataError::InvalidShape { reason } => write!(f, "invalid dataset shape: {reason}"),
            DataError::PixelCountMismatch { expected, found } => {
                write!(f, "pixel buffer has {found} bytes but n*height*width*channels = {expected}")
            }
            DataError::LabelOutOfRange { index, label, num_classes } => write!(
                f,
                "label of image {index} is {label}, but the dataset has only {num_classes} \
                 classes (labels 0..{num_classes})"
            ),
            DataError::IndexOutOfRange { index, len } => {
                write!(f, "image index {index} is out of range for a dataset of {len} images")
            }
            DataError::InvalidClassMap { reason } => write!(f, "invalid class map: {reason}"),
        }
    }
}

impl std::error::Error for DataError {}

/// Reads the little-endian `u32` at `at`; the caller has checked the length.
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// Bytes per image, or `None` if `height*width*channels` overflows `usize`.
fn checked_image_len(height: usize, width: usize, channels: usize) -> Option<usize> {
    height.checked_mul(width)?.checked_mul(channels)
}

impl ImageSet {
    /// Builds a set and checks that the fields agree (see [`ImageSet::validate`]).
    pub fn new(
        height: usize,
        width: usize,
        channels: usize,
        num_classes: usize,
        pixels: Vec<u8>,
        labels: Vec<u8>,
    ) -> Result<ImageSet, DataError> {
        let set = ImageSet { height, width, channels, num_classes, pixels, labels };
        set.validate()?;
        Ok(set)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set holds no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes (= values) per image: `height * width * channels` (saturating, so a
    /// nonsensical hand-built set cannot overflow here; `validate` reports it).
    pub fn image_len(&self) -> usize {
        checked_image_len(self.height, self.width, self.channels).unwrap_or(usize::MAX)
    }

    /// Checks every invariant the format promises: non-zero dimensions, 1..=256
    /// classes, a pixel buffer of exactly `n*h*w*c` bytes, and every label in range.
    pub fn validate(&self) -> Result<(), DataError> {
        if self.height == 0 || self.width == 0 || self.channels == 0 {
            return Err(DataError::InvalidShape {
                reason: format!(
                    "height, width and channels must be at least 1, got {}x{}x{}",
                    self.height, self.width, self.channels
                ),
            });
        }
        if self.num_classes == 0 || self.num_classes > 256 {
            return Err(DataError::InvalidShape {
                reason: format!("num_classes must be between 1 and 256 (labels are u8), got {}", self.num_classes),
            });
        }
        let too_large =
            || DataError::TooLarge { n: self.len(), height: self.height, width: self.width, channels: self.channels };
        let expected = checked_image_len(self.height, self.width, self.channels)
            .and_then(|per| per.checked_mul(self.len()))
            .ok_or_else(too_large)?;
        if self.pixels.len() != expected {
            return Err(DataError::PixelCountMismatch { expected, found: self.pixels.len() });
        }
        check_labels(&self.labels, self.num_classes)
    }

    /// Serialises to TPDS v1. Fails (instead of writing an unreadable file) when the
    /// fields disagree or a size does not fit the format's `u32` fields.
    pub fn to_bytes(&self) -> Result<Vec<u8>, DataError> {
        self.validate()?;
        let fields = [self.len(), self.height, self.width, self.channels, self.num_classes];
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        for value in fields {
            let value = u32::try_from(value).map_err(|_| DataError::InvalidShape {
                reason: format!("{value} does not fit in the format's u32 header field"),
            })?;
            header.extend_from_slice(&value.to_le_bytes());
        }
        let mut out = Vec::with_capacity(HEADER_LEN + self.pixels.len() + self.labels.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.pixels);
        out.extend_from_slice(&self.labels);
        Ok(out)
    }

    /// Parses TPDS v1 bytes. Never panics; see [`DataError`] for what it reports.
    pub fn from_bytes(bytes: &[u8]) -> Result<ImageSet, DataError> {
        if bytes.len() < 4 || bytes[..4] != MAGIC {
            // Report whatever is there (up to 4 bytes) so "HTML instead of data" is obvious.
            let found = bytes[..bytes.len().min(4)].to_vec();
            if found.len() == 4 || !MAGIC.starts_with(&found) {
                return Err(DataError::BadMagic { found });
            }
        }
        if bytes.len() < HEADER_LEN {
            return Err(DataError::Truncated { expected: HEADER_LEN, found: bytes.len() });
        }
        let version = read_u32(bytes, 4);
        if version != VERSION {
            return Err(DataError::UnsupportedVersion { found: version });
        }
        // u32 -> usize cannot fail on 32- or 64-bit targets, the only ones we build for.
        let field = |at: usize| read_u32(bytes, at) as usize;
        let (n, height, width, channels, num_classes) = (field(8), field(12), field(16), field(20), field(24));
        let too_large = || DataError::TooLarge { n, height, width, channels };
        let pixel_bytes =
            checked_image_len(height, width, channels).and_then(|per| per.checked_mul(n)).ok_or_else(too_large)?;
        let expected =
            pixel_bytes.checked_add(n).and_then(|body| body.checked_add(HEADER_LEN)).ok_or_else(too_large)?;
        if bytes.len() < expected {
            return Err(DataError::Truncated { expected, found: bytes.len() });
        }
        if bytes.len() > expected {
            return Err(DataError::TrailingBytes { expected, found: bytes.len() });
        }
        let pixels_end = HEADER_LEN + pixel_bytes;
        ImageSet::new(
            height,
            width,
            channels,
            num_classes,
            bytes[HEADER_LEN..pixels_end].to_vec(),
            bytes[pixels_end..].to_vec(),
        )
    }

    /// The pixels of image `i` (`[height, width, channels]` flattened).
    ///
    /// # Panics
    /// When `i >= len()`, like slice indexing; use [`ImageSet::get_image`] for a checked read.
    pub fn image(&self, i: usize) -> &[u8] {
        match self.get_image(i) {
            Some(image) => image,
            None => panic!("image index {i} out of range for a dataset of {} images", self.len()),
        }
    }

    /// The pixels of image `i`, or `None` when it does not exist.
    pub fn get_image(&self, i: usize) -> Option<&[u8]> {
        let per = self.image_len();
        let start = i.checked_mul(per)?;
        self.pixels.get(start..start.checked_add(per)?)
    }

    /// A new set holding the images at `indices`, in that order (repeats allowed).
    pub fn subset(&self, indices: &[usize]) -> Result<ImageSet, DataError> {
        let mut pixels = Vec::with_capacity(indices.len().saturating_mul(self.image_len()));
        let mut labels = Vec::with_capacity(indices.len());
        for &index in indices {
            let image = self.get_image(index).ok_or(DataError::IndexOutOfRange { index, len: self.len() })?;
            let label = *self.labels.get(index).ok_or(DataError::IndexOutOfRange { index, len: self.len() })?;
            pixels.extend_from_slice(image);
            labels.push(label);
        }
        ImageSet::new(self.height, self.width, self.channels, self.num_classes, pixels, labels)
    }

    /// Keeps only the images whose label appears as an `old` class in `map` and
    /// relabels them to `new`, preserving order. `num_classes` becomes `max(new) + 1`.
    ///
    /// Transfer learning's task B is `filter_classes(&[(6, 1), (5, 0)])`: shirts become
    /// the positive class 1, sandals the negative class 0, every other class is dropped.
    pub fn filter_classes(&self, map: &[(u8, u8)]) -> Result<ImageSet, DataError> {
        if map.is_empty() {
            return Err(DataError::InvalidClassMap { reason: "no classes to keep: the map is empty".to_string() });
        }
        let mut lookup: [Option<u8>; 256] = [None; 256];
        for &(old, new) in map {
            if usize::from(old) >= self.num_classes {
                return Err(DataError::InvalidClassMap {
                    reason: format!("class {old} does not exist in a dataset of {} classes", self.num_classes),
                });
            }
            if lookup[usize::from(old)].is_some() {
                return Err(DataError::InvalidClassMap { reason: format!("class {old} is mapped more than once") });
            }
            lookup[usize::from(old)] = Some(new);
        }
        let keep: Vec<usize> = (0..self.len()).filter(|&i| lookup[usize::from(self.labels[i])].is_some()).collect();
        let mut kept = self.subset(&keep)?;
        for label in &mut kept.labels {
            // Every kept label has a mapping by construction of `keep`.
            *label = lookup[usize::from(*label)].unwrap_or(*label);
        }
        let max_new = map.iter().map(|&(_, new)| new).max().unwrap_or(0);
        kept.num_classes = usize::from(max_new) + 1;
        Ok(kept)
    }

    /// All pixels as `f32` in `[0, 1]` (x / 255), same NHWC order.
    pub fn to_f32(&self) -> Vec<f32> {
        self.pixels.iter().map(|&p| f32::from(p) / 255.0).collect()
    }

    /// How many images carry each label, indexed by class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes];
        for &label in &self.labels {
            if let Some(slot) = counts.get_mut(usize::from(label)) {
                *slot += 1;
            }
        }
        counts
    }
}

fn check_labels(labels: &[u8], num_classes: usize) -> Result<(), DataError> {
    match labels.iter().position(|&l| usize::from(l) >= num_classes) {
        Some(index) => Err(DataError::LabelOutOfRange { index, label: labels[index], num_classes }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three 2x2x1 images, 3 classes; pixel values encode (image, position).
    fn sample() -> ImageSet {
        let pixels = (0..12u8).map(|v| v * 20).collect();
        ImageSet::new(2, 2, 1, 3, pixels, vec![0, 2, 1]).unwrap()
    }

    #[test]
    fn round_trip_preserves_everything() {
        let set = sample();
        let bytes = set.to_bytes().unwrap();
        assert_eq!(bytes.len(), HEADER_LEN + 12 + 3);
        assert_eq!(&bytes[..4], b"TPDS");
        assert_eq!(ImageSet::from_bytes(&bytes).unwrap(), set);
    }

    #[test]
    fn empty_set_round_trips() {
        let set = ImageSet::new(28, 28, 1, 10, vec![], vec![]).unwrap();
        assert!(set.is_empty());
        assert_eq!(ImageSet::from_bytes(&set.to_bytes().unwrap()).unwrap(), set);
    }

    #[test]
    fn header_fields_are_little_endian() {
        let bytes = sample().to_bytes().unwrap();
        assert_eq!(&bytes[4..8], &[1, 0, 0, 0]); // version
        assert_eq!(&bytes[8..12], &[3, 0, 0, 0]); // n
        assert_eq!(&bytes[24..28], &[3, 0, 0, 0]); // num_classes
    }

    #[test]
    fn bad_magic_is_named() {
        let mut bytes = sample().to_bytes().unwrap();
        bytes[0] = b'<';
        let err = ImageSet::from_bytes(&bytes).unwrap_err();
        assert!(matches!(err, DataError::BadMagic { .. }));
        assert!(err.to_string().contains("not a TPDS dataset"));
        assert!(matches!(ImageSet::from_bytes(b"<h"), Err(DataError::BadMagic { .. })));
    }

    #[test]
    fn unsupported_version_is_named() {
        let mut bytes = sample().to_bytes().unwrap();
        bytes[4] = 2;
        let err = ImageSet::from_bytes(&bytes).unwrap_err();
        assert_eq!(err, DataError::UnsupportedVersion { found: 2 });
        assert!(err.to_string().contains("version 2"));
    }

    #[test]
    fn truncation_reports_expected_and_found() {
        let bytes = sample().to_bytes().unwrap();
        let err = ImageSet::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err();
        assert_eq!(err, DataError::Truncated { expected: 43, found: 42 });
        assert_eq!(err.to_string(), "truncated TPDS dataset: expected 43 bytes, found 42");
        let err = ImageSet::from_bytes(&bytes[..10]).unwrap_err();
        assert_eq!(err, DataError::Truncated { expected: HEADER_LEN, found: 10 });
        assert!(matches!(ImageSet::from_bytes(b""), Err(DataError::Truncated { .. })));
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = sample().to_bytes().unwrap();
        bytes.push(0);
        assert_eq!(ImageSet::from_bytes(&bytes).unwrap_err(), DataError::TrailingBytes { expected: 43, found: 44 });
    }

    #[test]
    fn label_out_of_range_names_the_image() {
        let mut bytes = sample().to_bytes().unwrap();
        let last = bytes.len() - 1;
        bytes[last] = 7;
        let err = ImageSet::from_bytes(&bytes).unwrap_err();
        assert_eq!(err, DataError::LabelOutOfRange { index: 2, label: 7, num_classes: 3 });
        assert!(err.to_string().contains("image 2"));
    }

    #[test]
    fn huge_header_does_not_overflow_or_allocate() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"TPDS");
        for v in [1u32, u32::MAX, u32::MAX, u32::MAX, u32::MAX, 10] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        assert!(matches!(ImageSet::from_bytes(&bytes), Err(DataError::TooLarge { .. })));
        // Large but representable on 64-bit: must be a truncation, not an allocation.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"TPDS");
        for v in [1u32, 1_000_000, 28, 28, 1, 10] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        assert!(matches!(ImageSet::from_bytes(&bytes), Err(DataError::Truncated { .. })));
    }

    #[test]
    fn impossible_shapes_are_rejected() {
        let err = ImageSet::new(0, 2, 1, 3, vec![], vec![]).unwrap_err();
        assert!(matches!(err, DataError::InvalidShape { .. }));
        let err = ImageSet::new(1, 1, 1, 0, vec![], vec![]).unwrap_err();
        assert!(matches!(err, DataError::InvalidShape { .. }));
        let err = ImageSet::new(1, 1, 1, 257, vec![], vec![]).unwrap_err();
        assert!(matches!(err, DataError::InvalidShape { .. }));
        let err = ImageSet::new(2, 2, 1, 3, vec![0; 5], vec![0]).unwrap_err();
        assert_eq!(err, DataError::PixelCountMismatch { expected: 4, found: 5 });
    }

    #[test]
    fn to_bytes_refuses_inconsistent_fields() {
        let mut set = sample();
        set.labels.push(0);
        assert!(matches!(set.to_bytes(), Err(DataError::PixelCountMismatch { .. })));
    }

    /// Every prefix and every single-byte mutation of a valid buffer must give Ok or
    /// Err, never a panic; mutations in the body must never be "too large".
    #[test]
    fn truncations_and_mutations_never_panic() {
        let bytes = sample().to_bytes().unwrap();
        for len in 0..bytes.len() {
            assert!(ImageSet::from_bytes(&bytes[..len]).is_err(), "prefix of {len} bytes");
        }
        let mut state = 0x2545_F491_4F6C_DD1Du64; // xorshift: cheap, deterministic noise
        for position in 0..bytes.len() {
            for _ in 0..32 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mut mutated = bytes.clone();
                mutated[position] = state as u8;
                let _ = ImageSet::from_bytes(&mutated);
            }
        }
        for fill in [0x00u8, 0x7F, 0xFF] {
            let _ = ImageSet::from_bytes(&[fill; 64]);
            let mut header = b"TPDS".to_vec();
            header.extend(std::iter::repeat_n(fill, 24));
            let _ = ImageSet::from_bytes(&header);
        }
    }

    #[test]
    fn image_and_get_image_index_nhwc() {
        let set = sample();
        assert_eq!(set.image(1), &[80, 100, 120, 140]);
        assert_eq!(set.get_image(3), None);
        assert_eq!(set.get_image(usize::MAX), None);
    }

    #[test]
    fn subset_keeps_order_and_checks_indices() {
        let set = sample();
        let sub = set.subset(&[2, 0, 2]).unwrap();
        assert_eq!(sub.labels, vec![1, 0, 1]);
        assert_eq!(sub.image(0), set.image(2));
        assert_eq!(sub.image(1), set.image(0));
        assert_eq!(set.subset(&[3]).unwrap_err(), DataError::IndexOutOfRange { index: 3, len: 3 });
    }

    #[test]
    fn filter_classes_relabels_and_drops() {
        let set = sample(); // labels [0, 2, 1]
        let b = set.filter_classes(&[(2, 1), (0, 0)]).unwrap();
        assert_eq!(b.labels, vec![0, 1]);
        assert_eq!(b.num_classes, 2);
        assert_eq!(b.image(1), set.image(1));
        assert_eq!(b.class_counts(), vec![1, 1]);
    }

    #[test]
    fn filter_classes_rejects_bad_maps() {
        let set = sample();
        assert!(matches!(set.filter_classes(&[]), Err(DataError::InvalidClassMap { .. })));
        assert!(matches!(set.filter_classes(&[(5, 0)]), Err(DataError::InvalidClassMap { .. })));
        assert!(matches!(set.filter_classes(&[(1, 0), (1, 1)]), Err(DataError::InvalidClassMap { .. })));
    }

    #[test]
    fn to_f32_scales_to_unit_interval() {
        let set = ImageSet::new(1, 3, 1, 1, vec![0, 51, 255], vec![0]).unwrap();
        assert_eq!(set.to_f32(), vec![0.0, 0.2, 1.0]);
    }

    #[test]
    fn errors_are_std_errors() {
        let err: Box<dyn std::error::Error> = Box::new(DataError::UnsupportedVersion { found: 9 });
        assert!(!err.to_string().is_empty());
    }
}
