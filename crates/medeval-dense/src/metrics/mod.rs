//! Per-label segmentation metrics between a reference and a prediction label map.
//!
//! [`evaluate`] makes one counting pass over both volumes for the overlap metrics and
//! bounding boxes, then, per label, extracts the two surfaces inside the bounding box of the
//! label and measures surface distances with exact distance transforms. Definitions, the two
//! surface conventions and the empty-mask table are in `docs/segmentation-metrics.md`; the
//! table is implemented in one place, [`empty_mask_value`].

mod boundary_iou;
pub mod distance;
mod overlap;

use std::fmt;

use serde_json::{Map, Value};

pub use distance::{SurfaceDistances, linear_percentile, weighted_percentile};
pub use overlap::{LabelCounts, label_counts};

use crate::edt::MAX_SLICES;
use crate::surface::Convention;
use crate::volume::{Grid, LabelValue, LabelVolume, Labels};

/// One segmentation metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// Sørensen–Dice coefficient `2|R∩P| / (|R|+|P|)`.
    Dice,
    /// Jaccard index `|R∩P| / |R∪P|`.
    Iou,
    /// `|R∩P| / |P|` (positive predictive value).
    Precision,
    /// `|R∩P| / |R|` (sensitivity).
    Recall,
    /// `V(P) - V(R)` in mm³ (mm² for 2D images).
    VolumeDifference,
    /// `(V(P) - V(R)) / V(R)`.
    RelativeVolumeDifference,
    /// Hausdorff distance (maximum surface distance, both directions), mm.
    Hausdorff,
    /// Percentile Hausdorff distance, mm: the larger of the two directed percentiles, or the
    /// percentile of both directions pooled.
    HausdorffPercentile {
        /// Percentile in (0, 100].
        percentile: f64,
        /// Pool both directions before taking the percentile (medpy) instead of taking the
        /// larger directed percentile (MONAI, MetricsReloaded, DeepMind).
        pooled: bool,
    },
    /// Average symmetric surface distance over all surface points of both masks, mm.
    Assd,
    /// Mean of the two directed average surface distances, mm.
    Masd,
    /// Normalised surface distance (surface Dice) at a tolerance in mm.
    Nsd {
        /// Tolerance in mm.
        tolerance: f64,
    },
    /// Boundary IoU with a band width in mm.
    BoundaryIou {
        /// Band width in mm.
        width: f64,
    },
}

impl Metric {
    /// Whether the metric needs the surface distances.
    fn needs_surface_distances(self) -> bool {
        matches!(
            self,
            Metric::Hausdorff
                | Metric::HausdorffPercentile { .. }
                | Metric::Assd
                | Metric::Masd
                | Metric::Nsd { .. }
        )
    }
}

/// A requested metric and the name the user asked for it by (the output key).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    /// The name exactly as requested, e.g. `nsd@1.0`.
    pub name: String,
    /// What it computes.
    pub metric: Metric,
}

/// A metric name that could not be understood.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("metric '{name}': {reason}; known metrics: {KNOWN_METRICS}")]
pub struct MetricParseError {
    /// The offending name.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

/// The metric names accepted by [`parse_metrics`], for help texts and errors.
pub const KNOWN_METRICS: &str = "dice, iou, precision, recall, vol_diff, rel_vol_diff, hd, hd95, hd95_pooled, \
hd@P, hd_pooled@P, assd, masd, nsd@TOL_MM, biou@WIDTH_MM";

/// The default metric list of `medeval seg`.
pub const DEFAULT_METRICS: &str = "dice,iou,hd,hd95,assd,nsd@1.0";

/// Parses a comma-separated metric list such as `dice,hd95,nsd@1.0`.
pub fn parse_metrics(list: &str) -> Result<Vec<MetricSpec>, MetricParseError> {
    let mut specs = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let error = |reason: &str| MetricParseError {
            name: name.to_string(),
            reason: reason.to_string(),
        };
        let number = |text: &str, what: &str| -> Result<f64, MetricParseError> {
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| error(&format!("'{text}' is not a {what}")))
        };
        let lower = name.to_ascii_lowercase();
        let metric = match lower.as_str() {
            "dice" | "dsc" => Metric::Dice,
            "iou" | "jaccard" => Metric::Iou,
            "precision" | "ppv" => Metric::Precision,
            "recall" | "sensitivity" => Metric::Recall,
            "vol_diff" => Metric::VolumeDifference,
            "rel_vol_diff" | "rvd" => Metric::RelativeVolumeDifference,
            "hd" | "hausdorff" => Metric::Hausdorff,
            "hd95" => Metric::HausdorffPercentile {
                percentile: 95.0,
                pooled: false,
            },
            "hd95_pooled" => Metric::HausdorffPercentile {
                percentile: 95.0,
                pooled: true,
            },
            "assd" | "asd" => Metric::Assd,
            "masd" => Metric::Masd,
            "nsd" | "biou" => {
                return Err(error("needs a distance in mm, e.g. nsd@1.0 or biou@1.0"));
            }
            other => {
                let (head, value) = other
                    .split_once('@')
                    .ok_or_else(|| error("unknown metric"))?;
                match head {
                    "hd" | "hd_pooled" => {
                        let percentile = number(value, "percentile")?;
                        if !(percentile > 0.0 && percentile <= 100.0) {
                            return Err(error("the percentile must be in (0, 100]"));
                        }
                        Metric::HausdorffPercentile {
                            percentile,
                            pooled: head == "hd_pooled",
                        }
                    }
                    "nsd" => {
                        let tolerance = number(value, "tolerance in mm")?;
                        if tolerance < 0.0 {
                            return Err(error("the tolerance must not be negative"));
                        }
                        Metric::Nsd { tolerance }
                    }
                    "biou" => {
                        let width = number(value, "band width in mm")?;
                        if width <= 0.0 {
                            return Err(error("the band width must be positive"));
                        }
                        Metric::BoundaryIou { width }
                    }
                    _ => return Err(error("unknown metric")),
                }
            }
        };
        specs.push(MetricSpec {
            name: name.to_string(),
            metric,
        });
    }
    if specs.is_empty() {
        return Err(MetricParseError {
            name: list.to_string(),
            reason: "no metric requested".into(),
        });
    }
    Ok(specs)
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Metrics, in output order.
    pub metrics: Vec<MetricSpec>,
    /// Labels to report; `None` for every non-zero label present in either volume.
    pub labels: Option<Vec<u32>>,
    /// Surface convention for the distance metrics.
    pub convention: Convention,
    /// Turn both maps into binary masks (label 1) before evaluating; applied by
    /// [`crate::pair::evaluate_pair`] after reading (not by [`evaluate`]).
    pub binarize: Option<crate::encoding::Binarize>,
}

/// The metrics of one label.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelResult {
    /// The label value.
    pub label: u32,
    /// Voxels of the label in the reference.
    pub reference_voxels: u64,
    /// Voxels of the label in the prediction.
    pub prediction_voxels: u64,
    /// One value per requested metric, in request order; `None` where the metric is undefined
    /// (see [`empty_mask_value`]).
    pub values: Vec<Option<f64>>,
}

impl LabelResult {
    /// One JSON object: `label`, `convention`, voxel counts and one key per metric (null when
    /// undefined).
    pub fn to_json(&self, metrics: &[MetricSpec], convention: Convention) -> Value {
        let mut object = Map::new();
        object.insert("label".into(), Value::from(self.label));
        for (spec, value) in metrics.iter().zip(&self.values) {
            object.insert(spec.name.clone(), value.map_or(Value::Null, Value::from));
        }
        object.insert("convention".into(), Value::from(convention.name()));
        object.insert(
            "reference_voxels".into(),
            Value::from(self.reference_voxels),
        );
        object.insert(
            "prediction_voxels".into(),
            Value::from(self.prediction_voxels),
        );
        Value::Object(object)
    }
}

/// Why a pair of volumes cannot be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The two volumes do not have the same number of voxels along each axis.
    #[error("reference shape {reference:?} differs from prediction shape {prediction:?}")]
    ShapeMismatch {
        /// Reference shape.
        reference: [usize; 3],
        /// Prediction shape.
        prediction: [usize; 3],
    },
    /// More slices than the distance transform supports.
    #[error("{slices} slices along z; at most {MAX_SLICES} are supported")]
    TooManySlices {
        /// Number of slices.
        slices: usize,
    },
}

/// Computes `options.metrics` for each label. The grids must have the same shape; spacing and
/// dimensionality are taken from the reference (callers check geometry first).
pub fn evaluate(
    reference: &LabelVolume,
    prediction: &LabelVolume,
    options: &EvalOptions,
) -> Result<Vec<LabelResult>, EvalError> {
    let grid = &reference.grid;
    if grid.shape != prediction.grid.shape {
        return Err(EvalError::ShapeMismatch {
            reference: grid.shape,
            prediction: prediction.grid.shape,
        });
    }
    if grid.shape[2] > MAX_SLICES {
        return Err(EvalError::TooManySlices {
            slices: grid.shape[2],
        });
    }
    Ok(match (&reference.labels, &prediction.labels) {
        (Labels::U8(r), Labels::U8(p)) => evaluate_typed(r, p, grid, options),
        (Labels::U16(r), Labels::U16(p)) => evaluate_typed(r, p, grid, options),
        (Labels::U32(r), Labels::U32(p)) => evaluate_typed(r, p, grid, options),
        (r, p) => {
            // Different widths: widen the narrower copy so both can be walked as one type.
            let width = r.bytes_per_voxel().max(p.bytes_per_voxel());
            let r = r.clone().widened_to(width);
            let p = p.clone().widened_to(width);
            match (&r, &p) {
                (Labels::U16(r), Labels::U16(p)) => evaluate_typed(r, p, grid, options),
                (Labels::U32(r), Labels::U32(p)) => evaluate_typed(r, p, grid, options),
                _ => unreachable!("widened_to yields equal widths"),
            }
        }
    })
}

fn evaluate_typed<T: LabelValue>(
    reference: &[T],
    prediction: &[T],
    grid: &Grid,
    options: &EvalOptions,
) -> Vec<LabelResult> {
    let counts = label_counts(reference, prediction, grid.shape);
    let labels: Vec<u32> = match &options.labels {
        Some(list) => list.clone(),
        None => counts.keys().copied().collect(),
    };
    labels
        .into_iter()
        .map(|label| {
            let c = counts.get(&label).copied().unwrap_or_default();
            let values = label_values(reference, prediction, grid, options, label, &c);
            LabelResult {
                label,
                reference_voxels: c.reference,
                prediction_voxels: c.prediction,
                values,
            }
        })
        .collect()
}

fn label_values<T: LabelValue>(
    reference: &[T],
    prediction: &[T],
    grid: &Grid,
    options: &EvalOptions,
    label: u32,
    counts: &LabelCounts,
) -> Vec<Option<f64>> {
    let both_present = counts.reference > 0 && counts.prediction > 0;
    let surface_input = match (both_present, counts.extent, T::from_label(label)) {
        (true, Some(crop), Some(value)) => Some(distance::SurfaceInput {
            reference,
            prediction,
            shape: grid.shape,
            spatial_dims: grid.spatial_dims,
            spacing: grid.spacing,
            crop,
            label: value,
        }),
        _ => None,
    };
    let wants_distances = options
        .metrics
        .iter()
        .any(|m| m.metric.needs_surface_distances());
    let distances = match (&surface_input, wants_distances) {
        (Some(input), true) => Some(distance::surface_distances(input, options.convention)),
        _ => None,
    };
    let voxel_volume = grid.voxel_volume();
    options
        .metrics
        .iter()
        .map(|spec| {
            if let Some(value) = empty_mask_value(spec.metric, counts, voxel_volume) {
                return value;
            }
            let (r, p, both) = (
                counts.reference as f64,
                counts.prediction as f64,
                counts.both as f64,
            );
            Some(match spec.metric {
                Metric::Dice => 2.0 * both / (r + p),
                Metric::Iou => both / (r + p - both),
                Metric::Precision => both / p,
                Metric::Recall => both / r,
                Metric::VolumeDifference => (p - r) * voxel_volume,
                Metric::RelativeVolumeDifference => (p - r) / r,
                Metric::BoundaryIou { width } => boundary_iou::boundary_iou(
                    surface_input.as_ref().expect("both masks present"),
                    width,
                ),
                distance_metric => {
                    let d = distances
                        .as_ref()
                        .expect("both masks present and distances requested");
                    match distance_metric {
                        Metric::Hausdorff => d.hausdorff(),
                        Metric::HausdorffPercentile {
                            percentile,
                            pooled: false,
                        } => d.hausdorff_percentile(percentile),
                        Metric::HausdorffPercentile {
                            percentile,
                            pooled: true,
                        } => d.pooled_percentile(percentile),
                        Metric::Assd => d.assd(),
                        Metric::Masd => d.masd(),
                        Metric::Nsd { tolerance } => d.nsd(tolerance),
                        _ => unreachable!("overlap metrics are handled above"),
                    }
                }
            })
        })
        .collect()
}

/// The value of `metric` when the reference or the prediction (or both) has no voxel of the
/// label: `Some(Some(v))` for a value fixed by convention, `Some(None)` for undefined (JSON
/// `null`), and `None` when both masks are present and the metric is computed normally.
///
/// | metric                 | both empty | reference empty | prediction empty |
/// |------------------------|------------|-----------------|------------------|
/// | dice, iou, nsd, biou   | 1          | 0               | 0                |
/// | precision              | undefined  | 0               | undefined        |
/// | recall                 | undefined  | undefined       | 0                |
/// | vol_diff               | 0          | V(P)            | −V(R)            |
/// | rel_vol_diff           | undefined  | undefined       | −1               |
/// | hd, hd95, assd, masd   | 0          | undefined       | undefined        |
pub fn empty_mask_value(
    metric: Metric,
    counts: &LabelCounts,
    voxel_volume: f64,
) -> Option<Option<f64>> {
    let reference_empty = counts.reference == 0;
    let prediction_empty = counts.prediction == 0;
    if !reference_empty && !prediction_empty {
        return None;
    }
    let both_empty = reference_empty && prediction_empty;
    Some(match metric {
        Metric::Dice | Metric::Iou | Metric::Nsd { .. } | Metric::BoundaryIou { .. } => {
            Some(if both_empty { 1.0 } else { 0.0 })
        }
        Metric::Precision => (!prediction_empty).then_some(0.0),
        Metric::Recall => (!reference_empty).then_some(0.0),
        Metric::VolumeDifference => {
            Some((counts.prediction as f64 - counts.reference as f64) * voxel_volume)
        }
        Metric::RelativeVolumeDifference => (!reference_empty).then_some(-1.0),
        Metric::Hausdorff | Metric::HausdorffPercentile { .. } | Metric::Assd | Metric::Masd => {
            both_empty.then_some(0.0)
        }
    })
}

impl fmt::Display for MetricSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_percentiles_and_tolerances() {
        let specs = parse_metrics("dice, hd95,hd@99,hd_pooled@90,nsd@1.5,biou@2").expect("valid");
        assert_eq!(specs[0].metric, Metric::Dice);
        assert_eq!(
            specs[1].metric,
            Metric::HausdorffPercentile {
                percentile: 95.0,
                pooled: false
            }
        );
        assert_eq!(
            specs[2].metric,
            Metric::HausdorffPercentile {
                percentile: 99.0,
                pooled: false
            }
        );
        assert_eq!(
            specs[3].metric,
            Metric::HausdorffPercentile {
                percentile: 90.0,
                pooled: true
            }
        );
        assert_eq!(specs[4].metric, Metric::Nsd { tolerance: 1.5 });
        assert_eq!(specs[4].name, "nsd@1.5");
        assert_eq!(specs[5].metric, Metric::BoundaryIou { width: 2.0 });
    }

    #[test]
    fn rejects_unknown_and_incomplete_metrics() {
        assert!(parse_metrics("dice,volume").is_err());
        assert!(parse_metrics("nsd").is_err());
        assert!(parse_metrics("hd@0").is_err());
        assert!(parse_metrics("biou@-1").is_err());
        assert!(parse_metrics(" , ").is_err());
    }
}
