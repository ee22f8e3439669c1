//! Boundary IoU (Cheng et al., CVPR 2021) on voxel grids.
//!
//! The boundary band of a mask `M` at width `w` mm is the set of voxels of `M` whose centre is
//! closer than `w` to a surface voxel of `M` (voxel convention): `B_w(M) = {x ∈ M : d(x, ∂M) < w}`.
//! Boundary IoU is `|B_w(R) ∩ B_w(P)| / |B_w(R) ∪ B_w(P)|`. With 1 mm isotropic voxels this is
//! MetricsReloaded's `boundary_iou` with `boundary_dist = w` (which measures in voxels).

use crate::edt::DistanceField;
use crate::surface::{self, CropBox};
use crate::volume::LabelValue;

use super::distance::SurfaceInput;

/// Boundary IoU of one label whose reference and prediction are both non-empty.
pub fn boundary_iou<T: LabelValue>(input: &SurfaceInput<'_, T>, width: f64) -> f64 {
    let crop = input.crop;
    let grid = crop.shape();
    let reference_band = band(input, input.reference, crop, grid, width);
    let prediction_band = band(input, input.prediction, crop, grid, width);
    let mut intersection = 0u64;
    let mut union = 0u64;
    for (a, b) in reference_band.iter().zip(&prediction_band) {
        intersection += u64::from((a & b).count_ones());
        union += u64::from((a | b).count_ones());
    }
    intersection as f64 / union as f64
}

/// Bit set over the crop (x fastest, 64 voxels per word) of the band voxels of one mask.
fn band<T: LabelValue>(
    input: &SurfaceInput<'_, T>,
    labels: &[T],
    crop: CropBox,
    grid: [usize; 3],
    width: f64,
) -> Vec<u64> {
    let [nx, ny, _] = input.shape;
    let [cx, cy, cz] = grid;
    let plane = cx * cy;
    let words_per_slice = plane.div_ceil(64);
    let surface =
        surface::surface_voxels(labels, input.shape, input.spatial_dims, crop, input.label);
    let field = DistanceField::new(grid, input.spacing, &surface);
    let slices = field.map_slices(
        |_| true,
        |rz, distances| {
            let mut bits = vec![0u64; words_per_slice];
            let z = crop.start[2] + rz;
            for ry in 0..cy {
                let y = crop.start[1] + ry;
                let row = &labels[nx * (y + ny * z) + crop.start[0]..][..cx];
                for (rx, &v) in row.iter().enumerate() {
                    if v == input.label && distances.squared_at(rx, ry).sqrt() < width {
                        let i = rx + cx * ry;
                        bits[i / 64] |= 1 << (i % 64);
                    }
                }
            }
            bits
        },
    );
    debug_assert_eq!(slices.len(), cz);
    slices.concat()
}
