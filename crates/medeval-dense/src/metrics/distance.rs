//! Surface distances of one label and the statistics computed from them.
//!
//! Voxel-convention statistics weight every surface voxel equally and use NumPy's default
//! ("linear") percentile, as MONAI, MetricsReloaded and medpy do. Surfel-convention statistics
//! weight every surface element by its area and take the percentile as DeepMind's
//! `compute_robust_hausdorff` does: the smallest distance whose cumulative area share (surfels
//! sorted by distance, then area) reaches the percentile.

use crate::edt::DistanceField;
use crate::surface::{self, Convention, CropBox, SurfacePoints};
use crate::volume::LabelValue;

/// Distances from each surface point of one mask to the other mask's surface, both ways.
#[derive(Debug, Clone)]
pub struct SurfaceDistances {
    /// Reference surface point to the nearest prediction surface point, in mm.
    pub reference_to_prediction: Vec<f64>,
    /// Prediction surface point to the nearest reference surface point, in mm.
    pub prediction_to_reference: Vec<f64>,
    /// Area (mm²; length in mm in 2D) of each reference surface point, or `None` for unit weights.
    pub reference_weights: Option<Vec<f64>>,
    /// Area of each prediction surface point, or `None` for unit weights.
    pub prediction_weights: Option<Vec<f64>>,
}

/// Where and how to look for the surfaces of one label.
pub struct SurfaceInput<'a, T> {
    /// Reference labels (whole volume, x fastest).
    pub reference: &'a [T],
    /// Prediction labels.
    pub prediction: &'a [T],
    /// Volume shape.
    pub shape: [usize; 3],
    /// 2 or 3.
    pub spatial_dims: usize,
    /// Voxel spacing in mm.
    pub spacing: [f64; 3],
    /// Bounding box of the label in either mask.
    pub crop: CropBox,
    /// The label.
    pub label: T,
}

/// Extracts both surfaces under `convention` and measures the distances between them, both
/// directions in parallel (two distance fields of 2 bytes per voxel of the crop).
pub fn surface_distances<T: LabelValue>(
    input: &SurfaceInput<'_, T>,
    convention: Convention,
) -> SurfaceDistances {
    let SurfaceInput {
        reference,
        prediction,
        shape,
        spatial_dims,
        spacing,
        crop,
        label,
    } = *input;
    let (grid, ref_points, pred_points) = match convention {
        Convention::Voxel => (
            crop.shape(),
            SurfacePoints {
                indices: surface::surface_voxels(reference, shape, spatial_dims, crop, label),
                weights: None,
            },
            SurfacePoints {
                indices: surface::surface_voxels(prediction, shape, spatial_dims, crop, label),
                weights: None,
            },
        ),
        Convention::Surfel => {
            let table: Vec<f64> = if spatial_dims == 3 {
                surface::surface_area_table(spacing).to_vec()
            } else {
                surface::contour_length_table([spacing[0], spacing[1]]).to_vec()
            };
            (
                surface::cube_grid_shape(crop, spatial_dims),
                surface::border_cubes(reference, shape, spatial_dims, crop, label, &table),
                surface::border_cubes(prediction, shape, spatial_dims, crop, label, &table),
            )
        }
    };
    // Both directions at once: each is parallel over slices already, but the z pass is not,
    // and two independent jobs keep both cores busy through it.
    let (prediction_to_reference, reference_to_prediction) = rayon::join(
        || DistanceField::new(grid, spacing, &ref_points.indices).distances(&pred_points.indices),
        || DistanceField::new(grid, spacing, &pred_points.indices).distances(&ref_points.indices),
    );
    SurfaceDistances {
        reference_to_prediction,
        prediction_to_reference,
        reference_weights: ref_points.weights,
        prediction_weights: pred_points.weights,
    }
}

/// One direction's distances with their weights.
struct Directed<'a> {
    distances: &'a [f64],
    weights: Option<&'a [f64]>,
}

impl Directed<'_> {
    fn total_weight(&self) -> f64 {
        match self.weights {
            Some(w) => w.iter().sum(),
            None => self.distances.len() as f64,
        }
    }

    fn weighted_sum(&self) -> f64 {
        match self.weights {
            Some(w) => self.distances.iter().zip(w).map(|(d, w)| d * w).sum(),
            None => self.distances.iter().sum(),
        }
    }

    fn weight_within(&self, tolerance: f64) -> f64 {
        match self.weights {
            Some(w) => self
                .distances
                .iter()
                .zip(w)
                .filter(|(d, _)| **d <= tolerance)
                .map(|(_, w)| w)
                .sum(),
            None => self.distances.iter().filter(|d| **d <= tolerance).count() as f64,
        }
    }

    fn max(&self) -> f64 {
        self.distances
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

impl SurfaceDistances {
    fn directions(&self) -> [Directed<'_>; 2] {
        [
            Directed {
                distances: &self.reference_to_prediction,
                weights: self.reference_weights.as_deref(),
            },
            Directed {
                distances: &self.prediction_to_reference,
                weights: self.prediction_weights.as_deref(),
            },
        ]
    }

    /// Hausdorff distance: the largest distance in either direction.
    pub fn hausdorff(&self) -> f64 {
        self.directions()
            .iter()
            .map(Directed::max)
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The larger of the two directed `percentile`-th percentiles (MONAI, MetricsReloaded,
    /// DeepMind's robust Hausdorff).
    pub fn hausdorff_percentile(&self, percentile: f64) -> f64 {
        self.directions()
            .iter()
            .map(|d| {
                percentile_of(
                    d.distances.to_vec(),
                    d.weights.map(<[f64]>::to_vec),
                    percentile,
                )
            })
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The `percentile`-th percentile of both directions' distances pooled (medpy's `hd95`).
    pub fn pooled_percentile(&self, percentile: f64) -> f64 {
        let distances = [
            self.reference_to_prediction.as_slice(),
            &self.prediction_to_reference,
        ]
        .concat();
        let weights = match (&self.reference_weights, &self.prediction_weights) {
            (Some(a), Some(b)) => Some([a.as_slice(), b].concat()),
            _ => None,
        };
        percentile_of(distances, weights, percentile)
    }

    /// Average symmetric surface distance: the mean over all surface points of both masks.
    pub fn assd(&self) -> f64 {
        let [a, b] = self.directions();
        (a.weighted_sum() + b.weighted_sum()) / (a.total_weight() + b.total_weight())
    }

    /// Mean of the two directed mean surface distances (MetricsReloaded's MASD, medpy's `assd`).
    pub fn masd(&self) -> f64 {
        let [a, b] = self.directions();
        0.5 * (a.weighted_sum() / a.total_weight() + b.weighted_sum() / b.total_weight())
    }

    /// Normalised surface distance (surface Dice) at `tolerance` mm: the share of both surfaces
    /// within the tolerance of the other.
    pub fn nsd(&self, tolerance: f64) -> f64 {
        let [a, b] = self.directions();
        (a.weight_within(tolerance) + b.weight_within(tolerance))
            / (a.total_weight() + b.total_weight())
    }
}

fn percentile_of(distances: Vec<f64>, weights: Option<Vec<f64>>, percentile: f64) -> f64 {
    match weights {
        Some(w) => weighted_percentile(distances, w, percentile),
        None => linear_percentile(distances, percentile),
    }
}

/// NumPy's default percentile: linear interpolation between the order statistics around
/// rank `(n - 1) · p / 100`, using NumPy's two-sided interpolation formula.
pub fn linear_percentile(mut values: Vec<f64>, percentile: f64) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let rank = (percentile / 100.0) * (n - 1) as f64;
    let low = (rank.floor() as usize).min(n - 1);
    let fraction = rank - low as f64;
    let (_, &mut below, above) = values.select_nth_unstable_by(low, f64::total_cmp);
    if fraction == 0.0 || above.is_empty() {
        return below;
    }
    let next = above.iter().copied().fold(f64::INFINITY, f64::min);
    let diff = next - below;
    if fraction >= 0.5 {
        next - diff * (1.0 - fraction)
    } else {
        below + diff * fraction
    }
}

/// Area-weighted percentile: surfels sorted by (distance, area); the distance of the first
/// whose cumulative area share reaches `percentile / 100`.
pub fn weighted_percentile(distances: Vec<f64>, weights: Vec<f64>, percentile: f64) -> f64 {
    let mut pairs: Vec<(f64, f64)> = distances.into_iter().zip(weights).collect();
    if pairs.is_empty() {
        return f64::NAN;
    }
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let target = percentile / 100.0;
    let mut cumulative = 0.0;
    for &(d, w) in &pairs {
        cumulative += w;
        if cumulative / total >= target {
            return d;
        }
    }
    pairs[pairs.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_percentile_matches_numpy_definition() {
        // numpy.percentile([1, 2, 3, 4, 10], 95) = 4 + 0.8 * 6 = 8.8
        assert!((linear_percentile(vec![10.0, 2.0, 4.0, 1.0, 3.0], 95.0) - 8.8).abs() < 1e-12);
        assert_eq!(linear_percentile(vec![5.0], 95.0), 5.0);
        assert_eq!(linear_percentile(vec![1.0, 2.0, 3.0], 100.0), 3.0);
        assert_eq!(linear_percentile(vec![1.0, 2.0, 3.0], 50.0), 2.0);
    }

    #[test]
    fn weighted_percentile_takes_first_distance_reaching_the_share() {
        // Areas 1, 1, 2 at distances 0, 1, 2: shares 0.25, 0.5, 1.0.
        let d = vec![2.0, 0.0, 1.0];
        let w = vec![2.0, 1.0, 1.0];
        assert_eq!(weighted_percentile(d.clone(), w.clone(), 50.0), 1.0);
        assert_eq!(weighted_percentile(d.clone(), w.clone(), 51.0), 2.0);
        assert_eq!(weighted_percentile(d, w, 25.0), 0.0);
    }

    #[test]
    fn symmetric_statistics_by_hand() {
        let s = SurfaceDistances {
            reference_to_prediction: vec![0.0, 1.0, 2.0],
            prediction_to_reference: vec![0.0, 3.0],
            reference_weights: None,
            prediction_weights: None,
        };
        assert_eq!(s.hausdorff(), 3.0);
        assert!((s.assd() - 6.0 / 5.0).abs() < 1e-12);
        assert!((s.masd() - 0.5 * (1.0 + 1.5)).abs() < 1e-12);
        assert!((s.nsd(1.0) - 3.0 / 5.0).abs() < 1e-12);
        // Directed 50th percentiles: 1.0 and 1.5; pooled [0,0,1,2,3] -> 1.0.
        assert!((s.hausdorff_percentile(50.0) - 1.5).abs() < 1e-12);
        assert!((s.pooled_percentile(50.0) - 1.0).abs() < 1e-12);
    }
}
