//! Evaluating one reference/prediction file pair: read both (in parallel), check that they
//! describe the same voxels, optionally resample, then compute the metrics.

use std::path::{Path, PathBuf};

use crate::encoding::{binarize, present_labels};
use crate::io::{ReadError, read_label_volume};
use crate::metrics::{EvalError, EvalOptions, LabelResult, evaluate};
use crate::volume::{Grid, GridMismatch, LabelVolume, Labels};

/// How strictly the two grids must agree.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GeometryPolicy {
    /// Skip the direction/origin comparison (shape and spacing must still agree).
    pub ignore_orientation: bool,
    /// Resample the prediction onto the reference grid (nearest neighbour, in world space)
    /// instead of rejecting a mismatch.
    pub resample: bool,
    /// Use this spacing for both files instead of their headers' (for PNG/TIFF, which carry
    /// none).
    pub spacing: Option<[f64; 3]>,
}

/// Why a pair could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The grids differ.
    #[error(
        "{reference} and {prediction} are on different grids: {mismatch} (use --resample to resample the prediction onto the reference grid{hint})"
    )]
    Geometry {
        /// Reference file.
        reference: PathBuf,
        /// Prediction file.
        prediction: PathBuf,
        /// How they differ.
        mismatch: Box<GridMismatch>,
        /// Extra advice for orientation-only differences.
        hint: &'static str,
    },
    /// A 2D image paired with a 3D volume, or similar.
    #[error("{reference} is {ref_dims}D but {prediction} is {pred_dims}D")]
    Dimensionality {
        /// Reference file.
        reference: PathBuf,
        /// Prediction file.
        prediction: PathBuf,
        /// Reference dimensionality.
        ref_dims: usize,
        /// Prediction dimensionality.
        pred_dims: usize,
    },
    /// Resampling was impossible.
    #[error("{path}: cannot resample: its voxel-to-world transform is singular")]
    Singular {
        /// The file with the degenerate transform.
        path: PathBuf,
    },
    /// The metrics could not be computed.
    #[error("{reference} vs {prediction}: {source}")]
    Eval {
        /// Reference file.
        reference: PathBuf,
        /// Prediction file.
        prediction: PathBuf,
        /// The cause.
        source: EvalError,
    },
}

/// Reads both files and returns them on a common grid according to `policy`.
pub fn load_pair(
    reference: &Path,
    prediction: &Path,
    policy: &GeometryPolicy,
) -> Result<(LabelVolume, LabelVolume), PairError> {
    let (r, p) = rayon::join(
        || read_label_volume(reference),
        || read_label_volume(prediction),
    );
    let (mut r, mut p) = (r?, p?);
    if let Some(spacing) = policy.spacing {
        r.grid.spacing = spacing;
        p.grid.spacing = spacing;
    }
    if r.grid.spatial_dims != p.grid.spatial_dims && !policy.resample {
        return Err(PairError::Dimensionality {
            reference: reference.to_path_buf(),
            prediction: prediction.to_path_buf(),
            ref_dims: r.grid.spatial_dims,
            pred_dims: p.grid.spatial_dims,
        });
    }
    match r.grid.mismatch(&p.grid, !policy.ignore_orientation) {
        None => Ok((r, p)),
        Some(_) if policy.resample => {
            let resampled = resample_nearest(&p, &r.grid).ok_or_else(|| PairError::Singular {
                path: prediction.to_path_buf(),
            })?;
            Ok((r, resampled))
        }
        Some(mismatch) => {
            let hint = if matches!(
                mismatch,
                GridMismatch::Direction(..) | GridMismatch::Origin(..)
            ) {
                ", or --ignore-orientation if only the header's placement differs"
            } else {
                ""
            };
            Err(PairError::Geometry {
                reference: reference.to_path_buf(),
                prediction: prediction.to_path_buf(),
                mismatch: Box::new(mismatch),
                hint,
            })
        }
    }
}

/// Reads, checks and evaluates one pair (binarizing first when `options.binarize` says so).
pub fn evaluate_pair(
    reference: &Path,
    prediction: &Path,
    options: &EvalOptions,
    policy: &GeometryPolicy,
) -> Result<Vec<LabelResult>, PairError> {
    evaluate_pair_checked(reference, prediction, options, policy).map(|e| e.results)
}

/// The metrics of one pair and the non-zero values each file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PairEvaluation {
    /// Per-label metrics.
    pub results: Vec<LabelResult>,
    /// The distinct non-zero values of the reference and of the prediction as read, for
    /// [`crate::encoding::check_encoding`]; `None` when the pair was binarized (the user has
    /// already said how to read the values).
    pub present: Option<(Vec<u32>, Vec<u32>)>,
}

/// [`evaluate_pair`], also returning the values each file holds.
pub fn evaluate_pair_checked(
    reference: &Path,
    prediction: &Path,
    options: &EvalOptions,
    policy: &GeometryPolicy,
) -> Result<PairEvaluation, PairError> {
    let (r, p) = load_pair(reference, prediction, policy)?;
    let (r, p, present) = match options.binarize {
        Some(rule) => {
            let (r, p) = binarize(&r, &p, rule);
            (r, p, None)
        }
        // With an explicit label list the results do not show every value: one more pass.
        None if options.labels.is_some() => {
            let present = rayon::join(|| present_labels(&r), || present_labels(&p));
            (r, p, Some(present))
        }
        None => (r, p, None),
    };
    let results = evaluate(&r, &p, options).map_err(|source| PairError::Eval {
        reference: reference.to_path_buf(),
        prediction: prediction.to_path_buf(),
        source,
    })?;
    // Without a label list every non-zero value of either file has a row with its counts, so
    // the values present come from the results at no extra cost.
    let present = present.or_else(|| {
        (options.binarize.is_none()).then(|| {
            let holding = |count: fn(&LabelResult) -> u64| {
                results
                    .iter()
                    .filter(|r| count(r) > 0)
                    .map(|r| r.label)
                    .collect::<Vec<u32>>()
            };
            (
                holding(|r| r.reference_voxels),
                holding(|r| r.prediction_voxels),
            )
        })
    });
    Ok(PairEvaluation { results, present })
}

/// Nearest-neighbour resampling of `volume` onto `target`: each target voxel takes the label of
/// the source voxel whose centre is nearest to its world position (0 outside the source).
/// Returns `None` when the source's voxel-to-world transform cannot be inverted.
pub fn resample_nearest(volume: &LabelVolume, target: &Grid) -> Option<LabelVolume> {
    let source = &volume.grid;
    // index_src = A_src^-1 (A_tgt index_tgt + o_tgt - o_src) is affine in index_tgt: evaluate the
    // images of the origin and the three unit steps once.
    let base = source.world_to_index(target.index_to_world([0.0; 3]))?;
    let steps: [[f64; 3]; 3] = std::array::from_fn(|axis| {
        let mut unit = [0.0; 3];
        unit[axis] = 1.0;
        let p = source
            .world_to_index(target.index_to_world(unit))
            .unwrap_or(base);
        std::array::from_fn(|k| p[k] - base[k])
    });
    let [sx, sy, sz] = source.shape;
    let [tx, ty, tz] = target.shape;
    let mut values = Vec::with_capacity(target.len());
    for z in 0..tz {
        for y in 0..ty {
            for x in 0..tx {
                let idx: [f64; 3] = std::array::from_fn(|k| {
                    base[k]
                        + steps[0][k] * x as f64
                        + steps[1][k] * y as f64
                        + steps[2][k] * z as f64
                });
                let [i, j, k] = idx.map(|v| v.round());
                let inside = i >= 0.0
                    && j >= 0.0
                    && k >= 0.0
                    && (i as usize) < sx
                    && (j as usize) < sy
                    && (k as usize) < sz;
                values.push(if inside {
                    volume
                        .labels
                        .get(i as usize + sx * (j as usize + sy * k as usize))
                } else {
                    0
                });
            }
        }
    }
    LabelVolume::new(target.clone(), Labels::from_u32(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_onto_a_shifted_grid_moves_labels() {
        let mut source =
            LabelVolume::from_u32([4, 1, 1], [1.0; 3], vec![0, 1, 2, 3]).expect("sizes match");
        source.grid.origin = [10.0, 0.0, 0.0];
        let mut target = Grid::new([3, 1, 1], [1.0; 3]);
        target.origin = [11.0, 0.0, 0.0];
        let resampled = resample_nearest(&source, &target).expect("invertible");
        assert_eq!(
            (0..3).map(|i| resampled.labels.get(i)).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn resampling_to_half_spacing_repeats_voxels() {
        let source =
            LabelVolume::from_u32([2, 1, 1], [2.0, 1.0, 1.0], vec![5, 7]).expect("sizes match");
        let mut target = Grid::new([4, 1, 1], [1.0, 1.0, 1.0]);
        target.origin = [-0.4, 0.0, 0.0];
        let resampled = resample_nearest(&source, &target).expect("invertible");
        assert_eq!(
            (0..4).map(|i| resampled.labels.get(i)).collect::<Vec<_>>(),
            vec![5, 5, 7, 7]
        );
    }
}
