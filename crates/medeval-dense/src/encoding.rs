//! Mask encodings: noticing a pair whose label values cannot mean the same thing (a 0/1 mask
//! scored against a 0/255 mask, a probability map scored as labels), and turning label maps into
//! binary masks when the user asks for it.
//!
//! [`check_encoding`] compares the non-zero values of the two maps and returns an
//! [`EncodingWarning`]; [`binarize`] applies a [`Binarize`] rule. The command decides what to do
//! with a warning (`medeval seg` prints it and exits with status 1 unless labels were named).

use std::collections::BTreeSet;
use std::fmt;

use rayon::prelude::*;

use crate::volume::{LabelVolume, Labels};

/// More distinct non-zero values than this, most of them absent from the other map, look like
/// an intensity or probability map rather than a label map.
pub const MANY_VALUES: usize = 32;

/// How label maps become binary masks (label 1) before evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binarize {
    /// Every non-zero voxel of either map becomes 1 (`--binarize`): for masks stored as 0/1,
    /// 0/255 or any other single foreground value.
    NonZero,
    /// Reference: every non-zero voxel becomes 1; prediction: every voxel whose stored value is
    /// at least the threshold becomes 1, the others 0 (`--threshold T`): for probability maps
    /// stored as integers (e.g. 0–255).
    PredictionAtLeast(f64),
}

impl Binarize {
    /// The smallest stored value that becomes foreground in the reference and in the
    /// prediction.
    fn minimum_foreground(self) -> (u32, u32) {
        match self {
            Binarize::NonZero => (1, 1),
            // Stored values are whole numbers: v >= t exactly when v >= ceil(t); t <= 1 keeps
            // every non-zero voxel (a zero voxel is background whatever the threshold).
            Binarize::PredictionAtLeast(t) => {
                let ceiling = t.ceil();
                let minimum = if ceiling <= 1.0 {
                    1
                } else if ceiling >= f64::from(u32::MAX) {
                    u32::MAX
                } else {
                    ceiling as u32
                };
                (1, minimum)
            }
        }
    }
}

impl fmt::Display for Binarize {
    /// What the rule does, as stated in the output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Binarize::NonZero => f.write_str("binarized: non-zero voxels of both maps = label 1"),
            Binarize::PredictionAtLeast(t) => write!(
                f,
                "binarized: reference non-zero = label 1, prediction values >= {t} = label 1"
            ),
        }
    }
}

/// Applies `rule` to both maps: the results hold only 0 and 1.
pub fn binarize(
    reference: &LabelVolume,
    prediction: &LabelVolume,
    rule: Binarize,
) -> (LabelVolume, LabelVolume) {
    let (r_min, p_min) = rule.minimum_foreground();
    (threshold(reference, r_min), threshold(prediction, p_min))
}

fn threshold(volume: &LabelVolume, minimum: u32) -> LabelVolume {
    fn map<T: Copy + Into<u32> + Sync>(values: &[T], minimum: u32) -> Vec<u8> {
        values
            .par_iter()
            .with_min_len(1 << 16)
            .map(|&v| u8::from(v.into() >= minimum && v.into() != 0))
            .collect()
    }
    let labels = match &volume.labels {
        Labels::U8(v) => map(v, minimum),
        Labels::U16(v) => map(v, minimum),
        Labels::U32(v) => map(v, minimum),
    };
    LabelVolume {
        grid: volume.grid.clone(),
        labels: Labels::U8(labels),
    }
}

/// The distinct non-zero values of a map, in increasing order.
pub fn present_labels(volume: &LabelVolume) -> Vec<u32> {
    fn bitmap<T: Copy + Into<usize> + Sync>(values: &[T], size: usize) -> Vec<u32> {
        let seen = values
            .par_chunks(1 << 16)
            .fold(
                || vec![false; size],
                |mut seen, chunk| {
                    for &v in chunk {
                        seen[v.into()] = true;
                    }
                    seen
                },
            )
            .reduce(
                || vec![false; size],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x |= y);
                    a
                },
            );
        (1..size).filter(|&i| seen[i]).map(|i| i as u32).collect()
    }
    match &volume.labels {
        Labels::U8(v) => bitmap(v, 1 << 8),
        Labels::U16(v) => bitmap(v, 1 << 16),
        Labels::U32(v) => {
            let set: BTreeSet<u32> = v.iter().copied().filter(|&x| x != 0).collect();
            set.into_iter().collect()
        }
    }
}

/// A pair of label sets that cannot be meant as the same labels.
#[derive(Debug, Clone, PartialEq)]
pub enum EncodingWarning {
    /// Each map has exactly one foreground value and they differ (reference {0, a},
    /// prediction {0, b}): a 0/1 mask against a 0/255 mask scores Dice 0 for both labels.
    DisjointForeground {
        /// The reference's foreground value.
        reference: u32,
        /// The prediction's foreground value.
        prediction: u32,
    },
    /// One map has more than [`MANY_VALUES`] non-zero values absent from the other: an
    /// intensity or probability map scored as labels, one row per value.
    ManyValues {
        /// `"reference"` or `"prediction"`.
        map: &'static str,
        /// Its distinct non-zero values.
        distinct: usize,
        /// How many of them the other map does not hold.
        absent_from_other: usize,
        /// The other map's distinct non-zero values.
        other_distinct: usize,
    },
}

impl fmt::Display for EncodingWarning {
    /// What was seen and what to do about it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodingWarning::DisjointForeground {
                reference,
                prediction,
            } => write!(
                f,
                "the reference's only foreground value is {reference} and the prediction's is \
                 {prediction}, so they are scored as two different labels (Dice 0 each); if both \
                 are binary masks stored differently (e.g. 0/1 and 0/255), pass --binarize to \
                 score every non-zero voxel as label 1"
            ),
            EncodingWarning::ManyValues {
                map,
                distinct,
                absent_from_other,
                other_distinct,
            } => write!(
                f,
                "the {map} holds {distinct} distinct non-zero values, {absent_from_other} of them \
                 absent from the other map (which holds {other_distinct}): it looks like a \
                 probability or intensity map, scored as one label per value; pass \
                 --threshold T to score {map} values >= T as label 1 against the non-zero \
                 voxels of the other map (e.g. --threshold 128 for probabilities stored as \
                 0-255), or --labels to name the labels to score"
            ),
        }
    }
}

/// Compares the non-zero values of a reference and a prediction (each sorted, as
/// [`present_labels`] returns them).
pub fn check_encoding(reference: &[u32], prediction: &[u32]) -> Option<EncodingWarning> {
    if let ([a], [b]) = (reference, prediction) {
        if a != b {
            return Some(EncodingWarning::DisjointForeground {
                reference: *a,
                prediction: *b,
            });
        }
    }
    let many = |map: &'static str, these: &[u32], other: &[u32]| {
        let absent = these
            .iter()
            .filter(|v| other.binary_search(v).is_err())
            .count();
        (absent > MANY_VALUES).then_some(EncodingWarning::ManyValues {
            map,
            distinct: these.len(),
            absent_from_other: absent,
            other_distinct: other.len(),
        })
    };
    many("prediction", prediction, reference).or_else(|| many("reference", reference, prediction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjoint_single_foregrounds_are_flagged() {
        assert_eq!(
            check_encoding(&[1], &[255]),
            Some(EncodingWarning::DisjointForeground {
                reference: 1,
                prediction: 255
            })
        );
        assert_eq!(check_encoding(&[1], &[1]), None);
        // Multi-label maps that happen to disagree, and empty maps, are not flagged.
        assert_eq!(check_encoding(&[1, 2], &[3]), None);
        assert_eq!(check_encoding(&[], &[255]), None);
        assert_eq!(check_encoding(&[1], &[]), None);
    }

    #[test]
    fn more_than_32_values_absent_from_the_other_map_are_flagged() {
        let probabilities: Vec<u32> = (1..=255).collect();
        assert_eq!(
            check_encoding(&[1], &probabilities),
            Some(EncodingWarning::ManyValues {
                map: "prediction",
                distinct: 255,
                absent_from_other: 254,
                other_distinct: 1
            })
        );
        // 33 values absent is too many, 32 is not; values the other map holds do not count.
        let with_33: Vec<u32> = (1..=34).collect();
        assert!(check_encoding(&[1], &with_33).is_some());
        let with_32: Vec<u32> = (1..=33).collect();
        assert_eq!(check_encoding(&[1], &with_32), None);
        let classes: Vec<u32> = (1..=104).collect();
        assert_eq!(check_encoding(&classes, &classes[..100]), None);
    }

    #[test]
    fn binarizing_keeps_non_zero_or_thresholded_voxels() {
        let volume = |values: Vec<u32>| {
            LabelVolume::from_u32([values.len(), 1, 1], [1.0; 3], values).expect("sizes match")
        };
        let values = |v: &LabelVolume| {
            (0..v.labels.len())
                .map(|i| v.labels.get(i))
                .collect::<Vec<_>>()
        };
        let (r, p) = binarize(
            &volume(vec![0, 1, 1, 0]),
            &volume(vec![0, 255, 0, 255]),
            Binarize::NonZero,
        );
        assert_eq!(
            (values(&r), values(&p)),
            (vec![0, 1, 1, 0], vec![0, 1, 0, 1])
        );
        let (r, p) = binarize(
            &volume(vec![0, 7, 7, 0, 0]),
            &volume(vec![0, 127, 128, 200, 1]),
            Binarize::PredictionAtLeast(127.5),
        );
        assert_eq!(
            (values(&r), values(&p)),
            (vec![0, 1, 1, 0, 0], vec![0, 0, 1, 1, 0])
        );
        let (_, p) = binarize(
            &volume(vec![0, 1, 0]),
            &volume(vec![0, 3, 1000]),
            Binarize::PredictionAtLeast(0.5),
        );
        assert_eq!(values(&p), vec![0, 1, 1]);
    }

    #[test]
    fn present_labels_lists_non_zero_values_of_every_width() {
        let volume = |values: Vec<u32>| {
            LabelVolume::from_u32([values.len(), 1, 1], [1.0; 3], values).expect("sizes match")
        };
        assert_eq!(present_labels(&volume(vec![0, 255, 1, 255])), vec![1, 255]);
        assert_eq!(present_labels(&volume(vec![0, 300, 2])), vec![2, 300]);
        assert_eq!(present_labels(&volume(vec![70000, 0, 5])), vec![5, 70000]);
        assert_eq!(present_labels(&volume(vec![0, 0])), Vec::<u32>::new());
    }
}
