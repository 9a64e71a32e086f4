//! The training budget of one run of the lecture: batch size and the epochs of stage 3
//! and stage 4 (from scratch trains for both: `ep3 + ep4` epochs at stage 3's learning
//! rate). Two budgets:
//!
//! - **lecture**: the lecture's fixed epochs, batch 32, 4 + 16 epochs, whatever the
//!   number of images (so 10 images give the new head 4 SGD steps in stage 3);
//! - **adapted** ("enough steps"): the page's small-set rule, `adaptedFor(n)` in
//!   `www/own/adapt.js`, mirrored here exactly: the largest power-of-two batch up to 32
//!   that still gives at least 4 batches an epoch, and enough epochs for about 50 SGD
//!   steps in stage 3 and 100 in stage 4, never fewer than the lecture's 4 and 16, at most
//!   200 (the settings table's range).
//!
//! `cargo xtask sweep --print-budgets` prints the adapted rule for 1..=1000 images as
//! JSON; `tests/fixtures/adapted-budgets.json` is that output, committed, and both this
//! module's test and `tests/e2e/lesson-units.test.mjs` (the JS rule) check against it.

use serde::Serialize;

/// SGD steps the adapted rule aims for in stage 3 and in stage 4 (adapt.js `TARGET_STEPS`).
const TARGET_STAGE3: usize = 50;
const TARGET_STAGE4: usize = 100;
/// The lecture's budget, and the settings table's largest epoch count.
const LECTURE: Budget = Budget { batch_size: 32, ep3: 4, ep4: 16 };
const MAX_EPOCHS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budget {
    #[serde(rename = "bs")]
    pub batch_size: usize,
    pub ep3: usize,
    pub ep4: usize,
}

/// Which budget a sweep uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Lecture,
    Adapted,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind, String> {
        match s {
            "lecture" => Ok(Kind::Lecture),
            "adapted" => Ok(Kind::Adapted),
            other => Err(format!("--budget: {other:?} is not 'lecture' or 'adapted'")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Lecture => "lecture",
            Kind::Adapted => "adapted",
        }
    }

    /// The budget for `n` training images.
    pub fn for_size(self, n: usize) -> Budget {
        match self {
            Kind::Lecture => LECTURE,
            Kind::Adapted => adapted_for(n),
        }
    }
}

/// Batches per epoch: `fit` runs a last, smaller batch for the remainder (adapt.js `stepsPerEpoch`).
fn steps_per_epoch(n: usize, bs: usize) -> usize {
    if n > 0 && bs > 0 {
        n.div_ceil(bs)
    } else {
        0
    }
}

/// adapt.js `adaptedFor(n)`, exactly: 23 images -> batch 4, 6 batches an epoch, 9 + 17
/// epochs (54 + 102 steps); 200 or more -> batch 32.
pub fn adapted_for(n: usize) -> Budget {
    let mut bs = 32;
    // `n / bs < 4` in JS (a float division) is `n < 4 bs` for whole numbers.
    while bs > 1 && n < 4 * bs {
        bs /= 2;
    }
    let per = steps_per_epoch(n, bs).max(1);
    let epochs = |target: usize, lecture: usize| MAX_EPOCHS.min(lecture.max(target.div_ceil(per)));
    Budget { batch_size: bs, ep3: epochs(TARGET_STAGE3, LECTURE.ep3), ep4: epochs(TARGET_STAGE4, LECTURE.ep4) }
}

/// The adapted rule for 1..=`max` images, as `--print-budgets` prints it.
pub fn table(max: usize) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = (1..=max)
        .map(|n| {
            let b = adapted_for(n);
            serde_json::json!({"n": n, "bs": b.batch_size, "ep3": b.ep3, "ep4": b.ep4})
        })
        .collect();
    serde_json::json!({"rule": "adaptedFor (www/own/adapt.js)", "budgets": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_by_hand() {
        // 23 images: 23 < 4*8 -> 4; 23 >= 16: batch 4, 6 batches; ceil(50/6) = 9, ceil(100/6) = 17.
        assert_eq!(adapted_for(23), Budget { batch_size: 4, ep3: 9, ep4: 17 });
        // 10 images: batch 2, 5 batches; 10 and 20 epochs.
        assert_eq!(adapted_for(10), Budget { batch_size: 2, ep3: 10, ep4: 20 });
        // 200 images: batch 32, 7 batches; ceil(50/7) = 8 epochs in stage 3, the lecture's 16 in 4.
        assert_eq!(adapted_for(200), Budget { batch_size: 32, ep3: 8, ep4: 16 });
        // 1,000 images: the lecture's budget.
        assert_eq!(adapted_for(1000), LECTURE);
        // 1 image: batch 1, 1 step an epoch: 50 and 100 epochs.
        assert_eq!(adapted_for(1), Budget { batch_size: 1, ep3: 50, ep4: 100 });
        assert_eq!(Kind::Lecture.for_size(10), LECTURE);
    }

    /// The committed table is this rule's output, and `tests/e2e/lesson-units.test.mjs`
    /// checks the JS rule against the same table: the two rules agree for 1..=1000.
    #[test]
    fn the_committed_table_is_this_rule() {
        let path = crate::repo_root().join("tests/fixtures/adapted-budgets.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let committed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(committed, table(1000), "regenerate with: cargo xtask sweep --print-budgets > {}", path.display());
    }
}
