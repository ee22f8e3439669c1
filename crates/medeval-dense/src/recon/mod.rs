//! Reconstruction metrics (PSNR, SSIM, NMSE) under named conventions, computed in `f64` and
//! agreeing with scikit-image to 1e-6 (pinned by recorded fixtures).
//!
//! A convention says over what the numbers are taken and what the data range is, because the
//! same names give different values in different papers and challenges:
//!
//! * [`Convention::Fastmri`] (fastMRI's `evaluate.py`), per volume: NMSE = ‖gt−pred‖²/‖gt‖²,
//!   PSNR over the whole volume with data range gt.max(), SSIM the mean over slices of the
//!   2-D SSIM with that same data range.
//! * [`Convention::Cmrxrecon`] (CMRxRecon's evaluation), per 2-D image (slice, and frame of a
//!   cine): reference and prediction each divided by their own maximum, then PSNR, SSIM and
//!   NMSE with data range 1, averaged over the images of the file.
//!
//! Map: [`layout`] decides which axes form the planes, [`ssim`] is the 2-D kernel, [`folder`]
//! evaluates two folders in parallel and summarises them as fastMRI reports (mean ± 2·stddev),
//! [`report`] words the results. Definitions, edge cases and the JSON contract:
//! `docs/reconstruction-metrics.md`.
//!
//! Edge cases are decided, not left to floating point: an image with a NaN or infinity is an
//! error naming the file and the sample; a data range that is not positive (fastMRI: the
//! reference's maximum; CMRxRecon: a plane's maximum, which it divides by) is an error naming the
//! file and plane, since scikit-image would return inf or NaN; planes smaller than the 7x7 window
//! are an error (scikit-image raises); identical images have an infinite PSNR, which is `None`
//! (JSON `null`) and stated as such.

pub mod folder;
pub mod layout;
pub mod report;
pub mod ssim;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;

use crate::io::{ReadError, read_intensity_image};
use crate::volume::{IntensityImage, Samples};
use layout::{Layout, LayoutError};
use ssim::{NeumaierSum, WINDOW, mean_ssim};

/// Which published convention the metrics follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// fastMRI: per volume, data range = the reference volume's maximum.
    Fastmri,
    /// CMRxRecon: per 2-D image, each image divided by its own maximum, data range 1.
    Cmrxrecon,
}

impl Convention {
    /// The name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Convention::Fastmri => "fastmri",
            Convention::Cmrxrecon => "cmrxrecon",
        }
    }
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Convention {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "fastmri" | "fastmri-volume" => Ok(Convention::Fastmri),
            "cmrxrecon" | "cmrx-slice-selfnorm" => Ok(Convention::Cmrxrecon),
            _ => Err(format!(
                "unknown convention '{s}' (known: fastmri, cmrxrecon)"
            )),
        }
    }
}

/// What to compute: the convention, and the slice axis when not the format's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconOptions {
    /// The convention.
    pub convention: Convention,
    /// The slice axis of 3-D images, in the file's own axis numbering; `None` for the default.
    pub slice_axis: Option<usize>,
}

/// Why a pair could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum ReconError {
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The axes cannot be laid out as asked.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The two images do not have the same planes.
    #[error(transparent)]
    ShapeMismatch(Box<ShapeMismatch>),
    /// A plane is smaller than the SSIM window.
    #[error(
        "{path}: planes of {width}x{height} are smaller than the {WINDOW}x{WINDOW} SSIM window (scikit-image refuses them too); check the slice axis (--slice-axis)"
    )]
    TooSmall {
        /// The file.
        path: PathBuf,
        /// Plane width.
        width: usize,
        /// Plane height.
        height: usize,
    },
    /// An axis has no samples, so there is no plane to score.
    #[error("{path}: shape {shape:?} has an axis of length 0; there is no image to score")]
    Empty {
        /// The file.
        path: PathBuf,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// A sample is NaN or infinite.
    #[error(
        "{path}: sample {index:?} (shape {shape:?}) is {value}; images must hold finite numbers"
    )]
    NotFinite {
        /// The file.
        path: PathBuf,
        /// The sample's index in the file's axis order.
        index: Vec<usize>,
        /// The file's shape.
        shape: Vec<usize>,
        /// The value.
        value: f64,
    },
    /// The data range is not positive.
    #[error("{path}: {message}")]
    DataRange {
        /// The file.
        path: PathBuf,
        /// What is zero or negative, under which convention.
        message: String,
    },
}

/// Two images that do not hold the same planes: both files, shapes and planes as compared.
#[derive(Debug, thiserror::Error)]
#[error(
    "{reference} has shape {reference_shape:?} ({reference_order} axes) but {prediction} has shape {prediction_shape:?} ({prediction_order} axes): compared as {reference_planes} against {prediction_planes}; reference and prediction must hold the same planes"
)]
pub struct ShapeMismatch {
    /// The reference file.
    pub reference: PathBuf,
    /// The prediction file.
    pub prediction: PathBuf,
    /// The reference's shape in its own axis order.
    pub reference_shape: Vec<usize>,
    /// The prediction's shape in its own axis order.
    pub prediction_shape: Vec<usize>,
    /// `voxel` or `numpy`.
    pub reference_order: &'static str,
    /// `voxel` or `numpy`.
    pub prediction_order: &'static str,
    /// The reference's planes, worded.
    pub reference_planes: String,
    /// The prediction's planes, worded.
    pub prediction_planes: String,
}

/// The metrics of one pair, with what they were computed over.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconResult {
    /// The convention followed.
    pub convention: Convention,
    /// PSNR in dB; `None` when the images are identical (infinite PSNR). Under CMRxRecon, the
    /// mean of the planes' PSNR, so one identical plane makes it `None`.
    pub psnr: Option<f64>,
    /// Mean SSIM.
    pub ssim: f64,
    /// Normalised mean squared error.
    pub nmse: f64,
    /// Mean squared error (under CMRxRecon: the mean over planes of the normalised images').
    pub mse: f64,
    /// The data range used: the reference's maximum (fastMRI) or 1 (CMRxRecon).
    pub data_range: f64,
    /// Axes and plane count.
    pub layout: Layout,
    /// The reference's shape in its own axis order.
    pub shape: Vec<usize>,
    /// How the reference numbers its axes (`voxel` or `numpy`).
    pub axis_order: &'static str,
    /// Number of 2-D planes scored (slices x frames).
    pub planes: usize,
    /// Planes with an infinite PSNR (identical planes; CMRxRecon only).
    pub identical_planes: usize,
}

/// Reads both files (in parallel) and scores them.
pub fn evaluate_pair(
    reference: &Path,
    prediction: &Path,
    options: &ReconOptions,
) -> Result<ReconResult, ReconError> {
    let (r, p) = rayon::join(
        || read_intensity_image(reference),
        || read_intensity_image(prediction),
    );
    let (r, p) = (r?, p?);
    evaluate_images(
        Named {
            path: reference,
            image: &r,
        },
        Named {
            path: prediction,
            image: &p,
        },
        options,
    )
}

/// An image and the file it came from (for messages).
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    /// The file.
    pub path: &'a Path,
    /// Its samples.
    pub image: &'a IntensityImage,
}

/// Scores two images already in memory.
pub fn evaluate_images(
    reference: Named<'_>,
    prediction: Named<'_>,
    options: &ReconOptions,
) -> Result<ReconResult, ReconError> {
    let layout = Layout::of(reference.path, reference.image, options.slice_axis)?;
    let prediction_layout = Layout::of(prediction.path, prediction.image, options.slice_axis)?;
    let geometry = layout.geometry(reference.image);
    if geometry != prediction_layout.geometry(prediction.image)
        || reference.image.values.len() != prediction.image.values.len()
    {
        return Err(shape_mismatch(
            reference,
            prediction,
            &layout,
            &prediction_layout,
        ));
    }
    if reference.image.values.is_empty() {
        return Err(ReconError::Empty {
            path: reference.path.to_path_buf(),
            shape: reference.image.shape.clone(),
        });
    }
    let (width, height, _, _) = geometry;
    if width < WINDOW || height < WINDOW {
        return Err(ReconError::TooSmall {
            path: reference.path.to_path_buf(),
            width,
            height,
        });
    }
    let (reference_max, prediction_max) =
        rayon::join(|| finite_max(reference), || finite_max(prediction));
    let (reference_max, _) = (reference_max?, prediction_max?);
    let planes = layout.planes(reference.image);
    let pair = PlanePair {
        reference,
        prediction,
        layout: &layout,
        prediction_layout: &prediction_layout,
        width,
        height,
    };
    let scored = match options.convention {
        Convention::Fastmri => fastmri(&pair, planes, reference_max)?,
        Convention::Cmrxrecon => cmrxrecon(&pair, planes)?,
    };
    Ok(ReconResult {
        convention: options.convention,
        psnr: scored.psnr,
        ssim: scored.ssim,
        nmse: scored.nmse,
        mse: scored.mse,
        data_range: scored.data_range,
        shape: reference.image.shape.clone(),
        axis_order: reference.image.axis_order.as_str(),
        layout,
        planes,
        identical_planes: scored.identical_planes,
    })
}

struct Scored {
    psnr: Option<f64>,
    ssim: f64,
    nmse: f64,
    mse: f64,
    data_range: f64,
    identical_planes: usize,
}

/// Both images with their layouts, plane by plane.
struct PlanePair<'a> {
    reference: Named<'a>,
    prediction: Named<'a>,
    layout: &'a Layout,
    prediction_layout: &'a Layout,
    width: usize,
    height: usize,
}

impl PlanePair<'_> {
    /// Calls `f` with plane `index` of both images, and two more buffers, all from `scratch`
    /// (one per worker thread, so planes cost no allocation).
    fn with_planes<T>(
        &self,
        index: usize,
        scratch: &mut Scratch,
        f: impl FnOnce(&[f64], &[f64], &mut Vec<f64>, &mut Vec<f64>) -> T,
    ) -> T {
        let Scratch {
            reference,
            prediction,
            first,
            second,
        } = scratch;
        let r = self.layout.plane(self.reference.image, index, reference);
        let p = self
            .prediction_layout
            .plane(self.prediction.image, index, prediction);
        f(r, p, first, second)
    }

    fn ssim(&self, r: &[f64], p: &[f64], data_range: f64) -> f64 {
        // The size was checked against the window before any plane is scored.
        mean_ssim(r, p, self.width, self.height, data_range).unwrap_or(f64::NAN)
    }
}

/// Buffers one worker reuses from plane to plane.
#[derive(Default)]
struct Scratch {
    reference: Vec<f64>,
    prediction: Vec<f64>,
    first: Vec<f64>,
    second: Vec<f64>,
}

/// fastMRI: whole-volume PSNR and NMSE, SSIM averaged over planes, data range gt.max().
fn fastmri(pair: &PlanePair<'_>, planes: usize, data_range: f64) -> Result<Scored, ReconError> {
    let values = &pair.reference.image.values;
    if data_range <= 0.0 {
        return Err(ReconError::DataRange {
            path: pair.reference.path.to_path_buf(),
            message: format!(
                "the reference's maximum is {data_range}; the fastmri convention uses it as the data range, which must be positive (an all-zero or non-positive reference has no PSNR or SSIM)"
            ),
        });
    }
    let per_plane: Vec<(f64, f64, f64)> = (0..planes)
        .into_par_iter()
        .map_init(Scratch::default, |scratch, index| {
            pair.with_planes(index, scratch, |r, p, _, _| {
                let (error, energy) = squared_sums(r, p);
                (error, energy, pair.ssim(r, p, data_range))
            })
        })
        .collect();
    let (mut error, mut energy, mut ssim) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    for &(e, g, s) in &per_plane {
        error.add(e);
        energy.add(g);
        ssim.add(s);
    }
    let mse = error.value() / values.len() as f64;
    Ok(Scored {
        psnr: psnr(data_range, mse),
        ssim: ssim.value() / planes as f64,
        nmse: error.value() / energy.value(),
        mse,
        data_range,
        identical_planes: 0,
    })
}

/// CMRxRecon: every plane divided by its own maximum, metrics with data range 1, averaged.
fn cmrxrecon(pair: &PlanePair<'_>, planes: usize) -> Result<Scored, ReconError> {
    struct Plane {
        psnr: Option<f64>,
        ssim: f64,
        nmse: f64,
        mse: f64,
    }
    let per_plane: Vec<Result<Plane, ReconError>> = (0..planes)
        .into_par_iter()
        .map_init(Scratch::default, |scratch, index| {
            pair.with_planes(index, scratch, |r, p, r_norm, p_norm| {
                normalise(r, r_norm, pair.reference, pair.layout, index)?;
                normalise(p, p_norm, pair.prediction, pair.prediction_layout, index)?;
                let (error, energy) = squared_sums(r_norm, p_norm);
                let mse = error / r_norm.len() as f64;
                Ok(Plane {
                    psnr: psnr(1.0, mse),
                    ssim: pair.ssim(r_norm, p_norm, 1.0),
                    nmse: error / energy,
                    mse,
                })
            })
        })
        .collect();
    let mut sums = [NeumaierSum::default(); 4];
    let mut identical = 0;
    for plane in per_plane {
        let plane = plane?;
        match plane.psnr {
            Some(v) => sums[0].add(v),
            None => identical += 1,
        }
        sums[1].add(plane.ssim);
        sums[2].add(plane.nmse);
        sums[3].add(plane.mse);
    }
    let n = planes as f64;
    Ok(Scored {
        psnr: (identical == 0).then(|| sums[0].value() / n),
        ssim: sums[1].value() / n,
        nmse: sums[2].value() / n,
        mse: sums[3].value() / n,
        data_range: 1.0,
        identical_planes: identical,
    })
}

/// Writes `plane` divided by its maximum into `out`, or an error when that maximum is not
/// positive.
fn normalise(
    plane: &[f64],
    out: &mut Vec<f64>,
    image: Named<'_>,
    layout: &Layout,
    index: usize,
) -> Result<(), ReconError> {
    let max = max_of(plane);
    if max <= 0.0 {
        let (slice, frame) = layout.slice_and_frame(image.image, index);
        let place = match (layout.slice_axis, layout.frame_axis) {
            (None, _) => "the image".to_string(),
            (Some(_), None) => format!("slice {slice}"),
            (Some(_), Some(_)) => format!("slice {slice}, frame {frame}"),
        };
        return Err(ReconError::DataRange {
            path: image.path.to_path_buf(),
            message: format!(
                "{place} has maximum {max}; the cmrxrecon convention divides every plane by its own maximum, which must be positive (an all-zero plane cannot be normalised)"
            ),
        });
    }
    out.clear();
    out.extend(plane.iter().map(|v| v / max));
    Ok(())
}

/// The largest value of a plane of finite values, in eight independent lanes (a single running
/// maximum is a chain of dependent comparisons, several times slower).
fn max_of(values: &[f64]) -> f64 {
    const LANES: usize = 8;
    let mut max = [f64::NEG_INFINITY; LANES];
    let lanes = values.chunks_exact(LANES);
    let tail = lanes.remainder();
    for group in lanes {
        for k in 0..LANES {
            max[k] = if group[k] > max[k] { group[k] } else { max[k] };
        }
    }
    tail.iter()
        .chain(&max)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Σ(r−p)² and Σr² of one plane, in four interleaved partial sums (a plane has at most a few
/// hundred thousand non-negative terms, so the relative error stays far below 1e-10; planes
/// are then added with compensation).
fn squared_sums(r: &[f64], p: &[f64]) -> (f64, f64) {
    let (mut error, mut energy) = ([0.0f64; 4], [0.0f64; 4]);
    let (r4, p4) = (r.chunks_exact(4), p.chunks_exact(4));
    let (r_tail, p_tail) = (r4.remainder(), p4.remainder());
    for (a, b) in r4.zip(p4) {
        for k in 0..4 {
            let d = a[k] - b[k];
            error[k] += d * d;
            energy[k] += a[k] * a[k];
        }
    }
    for (&a, &b) in r_tail.iter().zip(p_tail) {
        error[0] += (a - b) * (a - b);
        energy[0] += a * a;
    }
    (error.iter().sum(), energy.iter().sum())
}

/// 10·log10(range²/mse); `None` (infinite) when the MSE is 0.
fn psnr(data_range: f64, mse: f64) -> Option<f64> {
    (mse > 0.0).then(|| 10.0 * (data_range * data_range / mse).log10())
}

/// The maximum of an image, in one parallel pass that also checks every sample is finite.
fn finite_max(named: Named<'_>) -> Result<f64, ReconError> {
    /// Eight independent lanes keep the loop free of a chain of dependent comparisons, and
    /// v · 0 (0 for a finite v, NaN for NaN and ±inf) summed per lane flags any non-finite
    /// sample without a branch.
    fn scan<T: Copy + Into<f64> + Sync>(values: &[T]) -> (f64, bool) {
        values
            .par_chunks(1 << 16)
            .map(|chunk| {
                const LANES: usize = 8;
                let (mut max, mut flag) = ([f64::NEG_INFINITY; LANES], [0.0f64; LANES]);
                let lanes = chunk.chunks_exact(LANES);
                let tail = lanes.remainder();
                for group in lanes {
                    for k in 0..LANES {
                        let v: f64 = group[k].into();
                        max[k] = if v > max[k] { v } else { max[k] };
                        flag[k] += v * 0.0;
                    }
                }
                for &v in tail {
                    let v: f64 = v.into();
                    max[0] = if v > max[0] { v } else { max[0] };
                    flag[0] += v * 0.0;
                }
                let max = max.into_iter().fold(f64::NEG_INFINITY, f64::max);
                (max, flag.iter().sum::<f64>() == 0.0)
            })
            .reduce(
                || (f64::NEG_INFINITY, true),
                |a, b| (a.0.max(b.0), a.1 && b.1),
            )
    }
    let (max, finite) = match &named.image.values {
        Samples::F32(values) => scan(values),
        Samples::F64(values) => scan(values),
    };
    if finite {
        Ok(max)
    } else {
        Err(not_finite(named))
    }
}

/// The error naming the first sample (in memory order) that is NaN or infinite.
fn not_finite(named: Named<'_>) -> ReconError {
    let image = named.image;
    let position = (0..image.values.len())
        .find(|&i| image.values.get(i).is_some_and(|v| !v.is_finite()))
        .unwrap_or_default();
    // Unravel the memory position into the file's axis order using the strides.
    let mut order: Vec<usize> = (0..image.shape.len()).collect();
    order.sort_by_key(|&a| std::cmp::Reverse(image.strides[a]));
    let mut rest = position;
    let mut index = vec![0; image.shape.len()];
    for axis in order {
        index[axis] = rest / image.strides[axis];
        rest %= image.strides[axis];
    }
    ReconError::NotFinite {
        path: named.path.to_path_buf(),
        index,
        shape: image.shape.clone(),
        value: image.values.get(position).unwrap_or(f64::NAN),
    }
}

fn shape_mismatch(
    reference: Named<'_>,
    prediction: Named<'_>,
    reference_layout: &Layout,
    prediction_layout: &Layout,
) -> ReconError {
    let words = |layout: &Layout, image: &IntensityImage| {
        let (w, h, slices, frames) = layout.geometry(image);
        format!("{slices} slice(s) x {frames} frame(s) of {w}x{h}")
    };
    ReconError::ShapeMismatch(Box::new(ShapeMismatch {
        reference: reference.path.to_path_buf(),
        prediction: prediction.path.to_path_buf(),
        reference_shape: reference.image.shape.clone(),
        prediction_shape: prediction.image.shape.clone(),
        reference_order: reference.image.axis_order.as_str(),
        prediction_order: prediction.image.axis_order.as_str(),
        reference_planes: words(reference_layout, reference.image),
        prediction_planes: words(prediction_layout, prediction.image),
    }))
}
