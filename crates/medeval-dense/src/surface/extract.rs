//! Extraction of surface points from a label map, restricted to a crop box.

use rayon::prelude::*;

use super::{CropBox, SurfacePoints};
use crate::volume::LabelValue;

/// Voxels of `label` inside `crop` that touch a voxel of another label across a face (or the
/// image border). Returned as sorted linear indices into the crop's own voxel grid.
pub fn surface_voxels<T: LabelValue>(
    labels: &[T],
    shape: [usize; 3],
    spatial_dims: usize,
    crop: CropBox,
    label: T,
) -> Vec<u32> {
    let [nx, ny, nz] = shape;
    let [cx, cy, _] = crop.shape();
    let (x0, x1) = (crop.start[0], crop.end[0]);
    let row_at = |y: usize, z: usize| &labels[nx * (y + ny * z)..nx * (y + ny * z + 1)];
    let per_slice: Vec<Vec<u32>> = (crop.start[2]..crop.end[2])
        .into_par_iter()
        .map_init(Vec::new, |flags: &mut Vec<bool>, z| {
            let mut out = Vec::new();
            for y in crop.start[1]..crop.end[1] {
                let row = row_at(y, z);
                if !row[x0..x1].iter().fold(false, |any, &v| any | (v == label)) {
                    continue;
                }
                // The four face neighbours across y and z, or None when one lies outside
                // the image (then every voxel of the row is on the surface).
                let neighbours = if y == 0 || y + 1 == ny {
                    None
                } else if spatial_dims == 2 {
                    Some([
                        row_at(y - 1, z),
                        row_at(y + 1, z),
                        row_at(y - 1, z),
                        row_at(y + 1, z),
                    ])
                } else if z == 0 || z + 1 == nz {
                    None
                } else {
                    Some([
                        row_at(y - 1, z),
                        row_at(y + 1, z),
                        row_at(y, z - 1),
                        row_at(y, z + 1),
                    ])
                };
                surface_in_row(row, neighbours, x0..x1, label, flags);
                let base = cx * ((y - crop.start[1]) + cy * (z - crop.start[2]));
                for (rx, _) in flags.iter().enumerate().filter(|(_, f)| **f) {
                    out.push((base + rx) as u32);
                }
            }
            out
        })
        .collect();
    per_slice.concat()
}

/// Sets `flags[x - range.start]` for the surface voxels of `label` in `row[range]`: label
/// voxels whose left or right neighbour (or the image border) or one of the four
/// `neighbours` rows at the same x is not the label. Written without short-circuits so that
/// the loop vectorises; surface voxels are a few percent of a row.
fn surface_in_row<T: LabelValue>(
    row: &[T],
    neighbours: Option<[&[T]; 4]>,
    range: std::ops::Range<usize>,
    label: T,
    flags: &mut Vec<bool>,
) {
    let nx = row.len();
    flags.clear();
    flags.extend(row[range.clone()].iter().map(|&v| v == label));
    let Some([a, b, c, d]) = neighbours else {
        return;
    };
    // Interior x (1..nx-1) within the range: compare with all six neighbours.
    let lo = range.start.max(1);
    let hi = range.end.min(nx - 1);
    if lo < hi {
        let inner = &mut flags[lo - range.start..hi - range.start];
        let left = &row[lo - 1..hi - 1];
        let right = &row[lo + 1..hi + 1];
        let (a, b, c, d) = (&a[lo..hi], &b[lo..hi], &c[lo..hi], &d[lo..hi]);
        for i in 0..inner.len() {
            let interior = (left[i] == label)
                & (right[i] == label)
                & (a[i] == label)
                & (b[i] == label)
                & (c[i] == label)
                & (d[i] == label);
            inner[i] &= !interior;
        }
    }
}

/// Shape of the cube grid of a crop: one cube between every 2x2x2 (2x2 in 2D) block of voxel
/// centres, including the blocks that straddle the crop border.
pub fn cube_grid_shape(crop: CropBox, spatial_dims: usize) -> [usize; 3] {
    let [cx, cy, cz] = crop.shape();
    [cx + 1, cy + 1, if spatial_dims == 3 { cz + 1 } else { 1 }]
}

/// Marching-cubes surface elements of `label` inside `crop`: cubes whose corners are neither
/// all inside nor all outside, indexed into [`cube_grid_shape`], weighted by `areas[code]`
/// (a table for the volume's spacing; 16 entries in 2D).
pub fn border_cubes<T: LabelValue>(
    labels: &[T],
    shape: [usize; 3],
    spatial_dims: usize,
    crop: CropBox,
    label: T,
    areas: &[f64],
) -> SurfacePoints {
    let [nx, ny, _] = shape;
    let [cx, cy, cz] = crop.shape();
    let grid = cube_grid_shape(crop, spatial_dims);
    // The voxel row at crop-relative (y, z), or None outside the crop.
    let row = |ry: isize, rz: isize| -> Option<&[T]> {
        if ry < 0 || rz < 0 || ry as usize >= cy || rz as usize >= cz {
            return None;
        }
        let (y, z) = (crop.start[1] + ry as usize, crop.start[2] + rz as usize);
        let base = nx * (y + ny * z) + crop.start[0];
        Some(&labels[base..base + cx])
    };
    let (shift, full) = if spatial_dims == 3 { (4, 255) } else { (2, 15) };
    let per_layer: Vec<(Vec<u32>, Vec<f64>)> = (0..grid[2])
        .into_par_iter()
        .map_init(Vec::new, |nibbles: &mut Vec<u8>, k| {
            let mut indices = Vec::new();
            let mut weights = Vec::new();
            let (z0, z1) = if spatial_dims == 3 {
                (k as isize - 1, k as isize)
            } else {
                (0, 0)
            };
            for j in 0..grid[1] {
                // Corner rows of this row of cubes, in corner-bit order (see `marching`):
                // (y-1, z-1), (y-1, z), (y, z-1), (y, z); in 2D (y-1) and (y).
                let corner_rows = [
                    row(j as isize - 1, z0),
                    row(j as isize - 1, z1),
                    row(j as isize, z0),
                    row(j as isize, z1),
                ];
                let rows: &[Option<&[T]>] = if spatial_dims == 3 {
                    &corner_rows
                } else {
                    &[corner_rows[0], corner_rows[2]]
                };
                // nibbles[x]: the corner bits of voxel column x (the cube's a = 1 corners).
                nibbles.clear();
                nibbles.resize(cx, 0);
                for r in rows {
                    if let Some(r) = r {
                        for (n, &v) in nibbles.iter_mut().zip(*r) {
                            *n = (*n << 1) | u8::from(v == label);
                        }
                    } else {
                        for n in nibbles.iter_mut() {
                            *n <<= 1;
                        }
                    }
                }
                if nibbles.iter().fold(0, |any, &n| any | n) == 0 {
                    continue; // no corner inside: no surface element in this row of cubes
                }
                let mut previous = 0usize;
                let base = grid[0] * (j + grid[1] * k);
                for i in 0..grid[0] {
                    let current = nibbles.get(i).map_or(0, |&n| usize::from(n));
                    let code = (previous << shift) | current;
                    previous = current;
                    if code != 0 && code != full {
                        indices.push((base + i) as u32);
                        weights.push(areas[code]);
                    }
                }
            }
            (indices, weights)
        })
        .collect();
    let mut points = SurfacePoints::default();
    let mut weights = Vec::new();
    for (i, w) in per_layer {
        points.indices.extend(i);
        weights.extend(w);
    }
    points.weights = Some(weights);
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_crop(shape: [usize; 3]) -> CropBox {
        CropBox {
            start: [0; 3],
            end: shape,
        }
    }

    #[test]
    fn a_solid_3x3x3_cube_has_26_surface_voxels() {
        let shape = [5, 5, 5];
        let mut labels = vec![0u8; 125];
        for z in 1..4 {
            for y in 1..4 {
                for x in 1..4 {
                    labels[x + 5 * (y + 5 * z)] = 1;
                }
            }
        }
        let surface = surface_voxels(&labels, shape, 3, full_crop(shape), 1);
        assert_eq!(surface.len(), 26);
        assert!(!surface.contains(&(2 + 5 * (2 + 5 * 2))));
    }

    /// Surface voxels by the definition, one voxel at a time.
    fn surface_by_definition(
        labels: &[u8],
        shape: [usize; 3],
        spatial_dims: usize,
        crop: CropBox,
    ) -> Vec<u32> {
        let [nx, ny, nz] = shape;
        let [cx, cy, _] = crop.shape();
        let inside = |x: isize, y: isize, z: isize| {
            x >= 0
                && y >= 0
                && z >= 0
                && (x as usize) < nx
                && (y as usize) < ny
                && (z as usize) < nz
                && labels[x as usize + nx * (y as usize + ny * z as usize)] == 1
        };
        let mut out = Vec::new();
        for z in crop.start[2]..crop.end[2] {
            for y in crop.start[1]..crop.end[1] {
                for x in crop.start[0]..crop.end[0] {
                    let (xi, yi, zi) = (x as isize, y as isize, z as isize);
                    if !inside(xi, yi, zi) {
                        continue;
                    }
                    let mut faces = vec![(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)];
                    if spatial_dims == 3 {
                        faces.extend([(0, 0, 1), (0, 0, -1)]);
                    }
                    if faces
                        .iter()
                        .any(|&(dx, dy, dz)| !inside(xi + dx, yi + dy, zi + dz))
                    {
                        let (rx, ry, rz) =
                            (x - crop.start[0], y - crop.start[1], z - crop.start[2]);
                        out.push((rx + cx * (ry + cy * rz)) as u32);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn matches_the_definition_on_random_masks_and_crops() {
        let mut state = 7u32;
        for (shape, spatial_dims) in [([9, 8, 7], 3), ([11, 6, 1], 2), ([1, 5, 4], 3)] {
            let n: usize = shape.iter().product();
            let labels: Vec<u8> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    u8::from((state >> 16) % 3 != 0)
                })
                .collect();
            let crops = [
                full_crop(shape),
                CropBox {
                    start: [0, 1, 0],
                    end: [shape[0], shape[1] - 1, shape[2]],
                },
                CropBox {
                    start: [shape[0] / 2, 0, shape[2] / 2],
                    end: [shape[0], shape[1] / 2 + 1, shape[2]],
                },
            ];
            for crop in crops {
                assert_eq!(
                    surface_voxels(&labels, shape, spatial_dims, crop, 1),
                    surface_by_definition(&labels, shape, spatial_dims, crop),
                    "shape {shape:?}, crop {crop:?}"
                );
            }
        }
    }

    #[test]
    fn voxels_on_the_image_border_are_surface() {
        let shape = [3, 3, 3];
        let labels = vec![1u8; 27];
        assert_eq!(
            surface_voxels(&labels, shape, 3, full_crop(shape), 1).len(),
            26
        );
    }

    #[test]
    fn single_voxel_in_2d_has_four_boundary_squares_of_its_corners() {
        let shape = [3, 3, 1];
        let mut labels = vec![0u8; 9];
        labels[4] = 1;
        let crop = CropBox {
            start: [1, 1, 0],
            end: [2, 2, 1],
        };
        let table = super::super::contour_length_table([1.0, 1.0]);
        let points = border_cubes(&labels, shape, 2, crop, 1, &table);
        assert_eq!(points.indices, vec![0, 1, 2, 3]);
        let total: f64 = points.weights.expect("surfels carry areas").iter().sum();
        assert!((total - 4.0 * 0.5 * 2f64.sqrt()).abs() < 1e-12);
    }
}
