//! One pass over both label maps: voxel counts, overlap and bounding boxes for every label.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::surface::CropBox;
use crate::volume::LabelValue;

/// Counts and extents of one label in the reference and the prediction.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LabelCounts {
    /// Voxels with this label in the reference.
    pub reference: u64,
    /// Voxels with this label in the prediction.
    pub prediction: u64,
    /// Voxels with this label in both.
    pub both: u64,
    /// Bounding box of the label in the reference or the prediction (`None` when absent).
    pub extent: Option<CropBox>,
}

#[derive(Clone, Copy)]
struct Accumulator {
    reference: u64,
    prediction: u64,
    both: u64,
    min: [usize; 3],
    max: [usize; 3],
}

impl Default for Accumulator {
    fn default() -> Self {
        Accumulator {
            reference: 0,
            prediction: 0,
            both: 0,
            min: [usize::MAX; 3],
            max: [0; 3],
        }
    }
}

impl Accumulator {
    #[inline]
    fn touch(&mut self, x: usize, y: usize, z: usize) {
        self.min[0] = self.min[0].min(x);
        self.max[0] = self.max[0].max(x);
        self.min[1] = self.min[1].min(y);
        self.max[1] = self.max[1].max(y);
        self.min[2] = self.min[2].min(z);
        self.max[2] = self.max[2].max(z);
    }

    fn merge(&mut self, other: &Accumulator) {
        self.reference += other.reference;
        self.prediction += other.prediction;
        self.both += other.both;
        for a in 0..3 {
            self.min[a] = self.min[a].min(other.min[a]);
            self.max[a] = self.max[a].max(other.max[a]);
        }
    }
}

/// Counts every non-zero label of `reference` and `prediction` (same shape, x fastest).
pub fn label_counts<T: LabelValue>(
    reference: &[T],
    prediction: &[T],
    shape: [usize; 3],
) -> BTreeMap<u32, LabelCounts> {
    let [nx, ny, nz] = shape;
    // Dense slots for narrow types; for u32 labels, slots index the sorted distinct labels.
    let distinct: Option<Vec<u32>> = (std::mem::size_of::<T>() > 2).then(|| {
        let mut all: Vec<u32> = reference
            .iter()
            .chain(prediction)
            .map(|&v| v.into())
            .filter(|&v| v != 0)
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    });
    let slots = match &distinct {
        Some(d) => d.len() + 1,
        None => 1usize << (8 * std::mem::size_of::<T>()),
    };
    let slot = |v: T| -> usize {
        let v: u32 = v.into();
        match &distinct {
            Some(d) => d.binary_search(&v).map_or(0, |i| i + 1),
            None => v as usize,
        }
    };
    let plane = nx * ny;
    let merged = (0..nz)
        .into_par_iter()
        .fold(
            || vec![Accumulator::default(); slots],
            |mut acc, z| {
                let r_slice = &reference[z * plane..(z + 1) * plane];
                let p_slice = &prediction[z * plane..(z + 1) * plane];
                for y in 0..ny {
                    let r_row = &r_slice[y * nx..(y + 1) * nx];
                    let p_row = &p_slice[y * nx..(y + 1) * nx];
                    for (x, (&r, &p)) in r_row.iter().zip(p_row).enumerate() {
                        let r32: u32 = r.into();
                        let p32: u32 = p.into();
                        if r32 == 0 && p32 == 0 {
                            continue;
                        }
                        if r == p {
                            let a = &mut acc[slot(r)];
                            a.reference += 1;
                            a.prediction += 1;
                            a.both += 1;
                            a.touch(x, y, z);
                        } else {
                            if r32 != 0 {
                                let a = &mut acc[slot(r)];
                                a.reference += 1;
                                a.touch(x, y, z);
                            }
                            if p32 != 0 {
                                let a = &mut acc[slot(p)];
                                a.prediction += 1;
                                a.touch(x, y, z);
                            }
                        }
                    }
                }
                acc
            },
        )
        .reduce(
            || vec![Accumulator::default(); slots],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    x.merge(y);
                }
                a
            },
        );
    let mut out = BTreeMap::new();
    for (index, acc) in merged.iter().enumerate().skip(1) {
        if acc.reference == 0 && acc.prediction == 0 {
            continue;
        }
        let label = match &distinct {
            Some(d) => d[index - 1],
            None => index as u32,
        };
        out.insert(
            label,
            LabelCounts {
                reference: acc.reference,
                prediction: acc.prediction,
                both: acc.both,
                extent: Some(CropBox {
                    start: acc.min,
                    end: acc.max.map(|m| m + 1),
                }),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_boxes_per_label() {
        // 3x2x1: reference [1 1 0 / 2 0 0], prediction [1 0 0 / 2 2 1]
        let reference = [1u8, 1, 0, 2, 0, 0];
        let prediction = [1u8, 0, 0, 2, 2, 1];
        let counts = label_counts(&reference, &prediction, [3, 2, 1]);
        let one = counts[&1];
        assert_eq!((one.reference, one.prediction, one.both), (2, 2, 1));
        assert_eq!(
            one.extent,
            Some(CropBox {
                start: [0, 0, 0],
                end: [3, 2, 1]
            })
        );
        let two = counts[&2];
        assert_eq!((two.reference, two.prediction, two.both), (1, 2, 1));
        assert_eq!(
            two.extent,
            Some(CropBox {
                start: [0, 1, 0],
                end: [2, 2, 1]
            })
        );
    }

    #[test]
    fn wide_labels_use_sparse_slots() {
        let reference = [70_000u32, 0, 5];
        let prediction = [70_000u32, 70_000, 0];
        let counts = label_counts(&reference, &prediction, [3, 1, 1]);
        assert_eq!(counts[&70_000].prediction, 2);
        assert_eq!(counts[&5].reference, 1);
        assert_eq!(counts.len(), 2);
    }
}
