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
    /// The row (`y + ny * z`) in which this label was last seen, and its last x there: the
    /// bounding box is updated once per row instead of once per voxel.
    row: usize,
    last_x: usize,
}

impl Default for Accumulator {
    fn default() -> Self {
        Accumulator {
            reference: 0,
            prediction: 0,
            both: 0,
            min: [usize::MAX; 3],
            max: [0; 3],
            row: usize::MAX,
            last_x: 0,
        }
    }
}

impl Accumulator {
    /// Records that the label occurs at `x` of the current row.
    #[inline]
    fn touch(&mut self, x: usize, row: usize, touched: &mut Vec<usize>, slot: usize) {
        if self.row != row {
            self.row = row;
            self.min[0] = self.min[0].min(x);
            touched.push(slot);
        }
        self.last_x = x;
    }

    /// Closes the current row `(y, z)` for a label touched in it.
    fn end_row(&mut self, y: usize, z: usize) {
        self.max[0] = self.max[0].max(self.last_x);
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

/// Voxels per block when skipping background: long enough for the all-zero test to run in
/// vector registers, short enough to skip most of a row that only grazes a structure.
const BLOCK: usize = 64;

/// Whether both blocks hold only background (written without early exit so that it
/// vectorises).
#[inline]
fn all_background<T: LabelValue>(a: &[T], b: &[T], zero: T) -> bool {
    a.iter()
        .zip(b)
        .fold(true, |all, (&r, &p)| all & (r == zero) & (p == zero))
}

/// Whether both blocks hold `label` everywhere (written without early exit so that it
/// vectorises).
#[inline]
fn all_equal<T: LabelValue>(a: &[T], b: &[T], label: T) -> bool {
    a.iter()
        .zip(b)
        .fold(true, |all, (&r, &p)| all & (r == label) & (p == label))
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
    let Some(zero) = T::from_label(0) else {
        unreachable!("0 is a label of every type")
    };
    let plane = nx * ny;
    let merged = (0..nz)
        .into_par_iter()
        .fold(
            || (vec![Accumulator::default(); slots], Vec::new()),
            |(mut acc, mut touched), z| {
                let r_slice = &reference[z * plane..(z + 1) * plane];
                let p_slice = &prediction[z * plane..(z + 1) * plane];
                for y in 0..ny {
                    let row = y + ny * z;
                    let r_row = &r_slice[y * nx..(y + 1) * nx];
                    let p_row = &p_slice[y * nx..(y + 1) * nx];
                    for (block, (r_block, p_block)) in
                        r_row.chunks(BLOCK).zip(p_row.chunks(BLOCK)).enumerate()
                    {
                        if all_background(r_block, p_block, zero) {
                            continue;
                        }
                        let offset = block * BLOCK;
                        // Inside a structure both maps often hold one label throughout.
                        let first = r_block[0];
                        if first != zero && all_equal(r_block, p_block, first) {
                            let s = slot(first);
                            let n = r_block.len() as u64;
                            let a = &mut acc[s];
                            a.reference += n;
                            a.prediction += n;
                            a.both += n;
                            a.touch(offset, row, &mut touched, s);
                            a.touch(offset + r_block.len() - 1, row, &mut touched, s);
                            continue;
                        }
                        for (i, (&r, &p)) in r_block.iter().zip(p_block).enumerate() {
                            let x = offset + i;
                            if r == p {
                                if r != zero {
                                    let s = slot(r);
                                    let a = &mut acc[s];
                                    a.reference += 1;
                                    a.prediction += 1;
                                    a.both += 1;
                                    a.touch(x, row, &mut touched, s);
                                }
                                continue;
                            }
                            if r != zero {
                                let s = slot(r);
                                acc[s].reference += 1;
                                acc[s].touch(x, row, &mut touched, s);
                            }
                            if p != zero {
                                let s = slot(p);
                                acc[s].prediction += 1;
                                acc[s].touch(x, row, &mut touched, s);
                            }
                        }
                    }
                    for s in touched.drain(..) {
                        acc[s].end_row(y, z);
                    }
                }
                (acc, touched)
            },
        )
        .map(|(acc, _)| acc)
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
    fn agrees_with_a_voxel_by_voxel_count_across_blocks_and_rows() {
        // Rows longer than one block, labels scattered by a fixed linear congruential walk.
        let shape = [150, 7, 5];
        let n = 150 * 7 * 5;
        let mut state = 12345u32;
        let mut next = || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let v = (state >> 16) % 23;
            if v < 4 { v as u8 } else { 0 }
        };
        // Label 3 only inside x 70..90, y 2..5, z 4, so its box is not the whole volume.
        let confine = |i: usize, v: u8| {
            let (x, y, z) = (i % 150, (i / 150) % 7, i / (150 * 7));
            let inside = (70..90).contains(&x) && (2..5).contains(&y) && z == 4;
            if v == 3 && !inside { 0 } else { v }
        };
        // Label 2 also fills a solid slab in both maps, so whole blocks hold one label.
        let solid = |i: usize, v: u8| {
            let (x, y, z) = (i % 150, (i / 150) % 7, i / (150 * 7));
            let inside = (3..140).contains(&x) && (1..6).contains(&y) && (1..4).contains(&z);
            if inside { 2 } else { v }
        };
        let reference: Vec<u8> = (0..n).map(|i| solid(i, confine(i, next()))).collect();
        let prediction: Vec<u8> = (0..n).map(|i| solid(i, confine(i, next()))).collect();
        let counts = label_counts(&reference, &prediction, shape);
        for label in 1..4u8 {
            let mut want = LabelCounts::default();
            let (mut lo, mut hi) = ([usize::MAX; 3], [0; 3]);
            for i in 0..n {
                let (r, p) = (reference[i] == label, prediction[i] == label);
                want.reference += u64::from(r);
                want.prediction += u64::from(p);
                want.both += u64::from(r && p);
                if r || p {
                    let at = [i % 150, (i / 150) % 7, i / (150 * 7)];
                    for a in 0..3 {
                        lo[a] = lo[a].min(at[a]);
                        hi[a] = hi[a].max(at[a] + 1);
                    }
                }
            }
            want.extent = Some(CropBox { start: lo, end: hi });
            assert_eq!(counts[&u32::from(label)], want, "label {label}");
        }
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
