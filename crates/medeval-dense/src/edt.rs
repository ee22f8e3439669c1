//! Exact Euclidean distance transforms with anisotropic spacing, in linear time.
//!
//! The transform is separable (Felzenszwalb & Huttenlocher 2012, "Distance transforms of sampled
//! functions"): the squared distance to the nearest feature is built one axis at a time, each
//! pass taking the lower envelope of parabolas along that axis. The passes are ordered for
//! memory, not just speed:
//!
//! 1. along z, the feature distance is an integer number of slices, found by one forward and
//!    one backward sweep over whole slices and stored as `u16` (2 bytes per voxel, the only
//!    full-size buffer);
//! 2. along x and then y, slice by slice and in parallel over slices, in per-thread `f64`
//!    buffers the size of one slice.
//!
//! Callers never see a full float distance map: they ask for the distances at the points they
//! need (surface points of the other mask) and get them slice by slice. Distances are exact:
//! every squared distance is `Σ (spacing·Δ)²` for integer offsets, evaluated in `f64`.

use rayon::prelude::*;

/// Marks "no feature along this column" in the z pass.
const FAR: u16 = u16::MAX;

/// Largest number of slices the `u16` z pass supports.
pub const MAX_SLICES: usize = (u16::MAX - 1) as usize;

/// Squared distances from every voxel of a box to the nearest of a set of feature voxels.
#[derive(Debug)]
pub struct DistanceField {
    shape: [usize; 3],
    spacing: [f64; 3],
    /// Integer distance along z (in slices) to the nearest feature in the same (x, y) column.
    along_z: Vec<u16>,
    has_features: bool,
}

impl DistanceField {
    /// Builds the field for `features`, given as x-fastest linear indices into `shape`.
    ///
    /// `shape[2]` must not exceed [`MAX_SLICES`]; callers check this once per volume.
    pub fn new(shape: [usize; 3], spacing: [f64; 3], features: &[u32]) -> Self {
        debug_assert!(shape[2] <= MAX_SLICES);
        let plane = shape[0] * shape[1];
        let mut along_z = vec![FAR; plane * shape[2]];
        for &f in features {
            along_z[f as usize] = 0;
        }
        for z in 1..shape[2] {
            let (before, after) = along_z.split_at_mut(z * plane);
            let previous = &before[(z - 1) * plane..];
            for (d, &p) in after[..plane].iter_mut().zip(previous) {
                *d = (*d).min(p.saturating_add(1));
            }
        }
        for z in (0..shape[2].saturating_sub(1)).rev() {
            let (before, after) = along_z.split_at_mut((z + 1) * plane);
            let next = &after[..plane];
            for (d, &n) in before[z * plane..].iter_mut().zip(next) {
                *d = (*d).min(n.saturating_add(1));
            }
        }
        DistanceField {
            shape,
            spacing,
            along_z,
            has_features: !features.is_empty(),
        }
    }

    /// Distances in mm from each query point (sorted x-fastest linear indices) to the nearest
    /// feature; `f64::INFINITY` for every query when there is no feature.
    pub fn distances(&self, queries: &[u32]) -> Vec<f64> {
        if !self.has_features {
            return vec![f64::INFINITY; queries.len()];
        }
        let plane = self.shape[0] * self.shape[1];
        let by_slice = split_by_slice(queries, plane, self.shape[2]);
        let parts: Vec<Vec<f64>> = by_slice
            .par_iter()
            .map_init(SliceWorkspace::default, |ws, &(z, part)| {
                if part.is_empty() {
                    return Vec::new();
                }
                let slice = self.slice(z, ws);
                part.iter()
                    .map(|&q| slice.squared(q as usize - z * plane).sqrt())
                    .collect()
            })
            .collect();
        parts.concat()
    }

    /// Calls `visit(z, slice)` for every slice that `wanted(z)` selects, in parallel, and
    /// returns the results in slice order. `slice` gives the squared distance of every voxel of
    /// that slice.
    pub fn map_slices<R: Send>(
        &self,
        wanted: impl Fn(usize) -> bool + Sync,
        visit: impl Fn(usize, &SliceDistances<'_>) -> R + Sync,
    ) -> Vec<R> {
        (0..self.shape[2])
            .into_par_iter()
            .filter(|&z| wanted(z))
            .map_init(SliceWorkspace::default, |ws, z| {
                let slice = self.slice(z, ws);
                visit(z, &slice)
            })
            .collect()
    }

    /// Completes the x and y passes for slice `z`.
    fn slice<'w>(&self, z: usize, ws: &'w mut SliceWorkspace) -> SliceDistances<'w> {
        let [nx, ny, _] = self.shape;
        let [sx, sy, sz] = self.spacing;
        let plane = nx * ny;
        let column_z = &self.along_z[z * plane..(z + 1) * plane];
        ws.transposed.clear();
        ws.transposed.resize(plane, f64::INFINITY);
        ws.line.resize(nx.max(ny), 0.0);
        ws.out.resize(nx.max(ny), 0.0);
        let sz2 = sz * sz;
        let mut any = false;
        for y in 0..ny {
            let row = &column_z[y * nx..(y + 1) * nx];
            if row.iter().all(|&d| d == FAR) {
                continue; // already infinite in `transposed`
            }
            any = true;
            for (f, &d) in ws.line[..nx].iter_mut().zip(row) {
                *f = if d == FAR {
                    f64::INFINITY
                } else {
                    let d = f64::from(d);
                    sz2 * d * d
                };
            }
            lower_envelope(&ws.line[..nx], sx * sx, &mut ws.out[..nx], &mut ws.envelope);
            for (x, &g) in ws.out[..nx].iter().enumerate() {
                ws.transposed[x * ny + y] = g;
            }
        }
        if any {
            for x in 0..nx {
                let column = &mut ws.transposed[x * ny..(x + 1) * ny];
                ws.line[..ny].copy_from_slice(column);
                lower_envelope(&ws.line[..ny], sy * sy, column, &mut ws.envelope);
            }
        }
        SliceDistances {
            nx,
            ny,
            transposed: &ws.transposed,
        }
    }
}

/// Squared distances of one slice, as produced by [`DistanceField::map_slices`].
pub struct SliceDistances<'a> {
    nx: usize,
    ny: usize,
    transposed: &'a [f64],
}

impl SliceDistances<'_> {
    /// Squared distance (mm²) at in-slice index `x + nx * y`.
    pub fn squared(&self, in_slice: usize) -> f64 {
        let (x, y) = (in_slice % self.nx, in_slice / self.nx);
        self.transposed[x * self.ny + y]
    }

    /// Squared distance (mm²) at column `x`, row `y`.
    pub fn squared_at(&self, x: usize, y: usize) -> f64 {
        self.transposed[x * self.ny + y]
    }
}

#[derive(Default)]
struct SliceWorkspace {
    transposed: Vec<f64>,
    line: Vec<f64>,
    out: Vec<f64>,
    envelope: Envelope,
}

#[derive(Default)]
struct Envelope {
    /// Sample index of each parabola of the envelope.
    vertices: Vec<usize>,
    /// `f[v] + w2 v²` of each parabola, cached for the intersection formula.
    heights: Vec<f64>,
    /// Left boundary of each parabola's interval (one more entry than parabolas).
    bounds: Vec<f64>,
}

/// One-dimensional squared distance transform of `f` with sample spacing² `w2`:
/// `out[q] = min_p f[p] + w2 (q - p)²`, skipping infinite samples.
fn lower_envelope(f: &[f64], w2: f64, out: &mut [f64], env: &mut Envelope) {
    let n = f.len();
    let Some(first) = f.iter().position(|&v| v != f64::INFINITY) else {
        out.fill(f64::INFINITY);
        return;
    };
    env.vertices.resize(n, 0);
    env.heights.resize(n, 0.0);
    env.bounds.resize(n + 1, 0.0);
    let (vertices, heights, bounds) = (
        &mut env.vertices[..n],
        &mut env.heights[..n],
        &mut env.bounds[..n + 1],
    );
    let inverse = 1.0 / (2.0 * w2);
    let mut k = 0usize;
    vertices[0] = first;
    heights[0] = f[first] + w2 * (first * first) as f64;
    bounds[0] = f64::NEG_INFINITY;
    for (q, &fq) in f.iter().enumerate().skip(first + 1) {
        if fq == f64::INFINITY {
            continue;
        }
        let hq = fq + w2 * (q * q) as f64;
        // bounds[0] is -inf, so the loop stops at k = 0 at the latest.
        let mut s = (hq - heights[k]) * inverse / (q - vertices[k]) as f64;
        while s <= bounds[k] {
            k -= 1;
            s = (hq - heights[k]) * inverse / (q - vertices[k]) as f64;
        }
        k += 1;
        vertices[k] = q;
        heights[k] = hq;
        bounds[k] = s;
    }
    let mut j = 0;
    for (q, o) in out.iter_mut().enumerate() {
        let qf = q as f64;
        while j < k && bounds[j + 1] < qf {
            j += 1;
        }
        let d = qf - vertices[j] as f64;
        *o = w2 * d * d + f[vertices[j]];
    }
}

/// Splits sorted linear indices into per-slice runs: `(z, indices in slice z)`.
fn split_by_slice(sorted: &[u32], plane: usize, slices: usize) -> Vec<(usize, &[u32])> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let z = sorted[start] as usize / plane;
        debug_assert!(z < slices);
        let end = start + sorted[start..].partition_point(|&i| (i as usize) / plane == z);
        out.push((z, &sorted[start..end]));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: minimum over all features of the anisotropic Euclidean distance.
    fn brute(shape: [usize; 3], spacing: [f64; 3], features: &[u32], q: u32) -> f64 {
        let coords = |i: u32| {
            let i = i as usize;
            [
                i % shape[0],
                (i / shape[0]) % shape[1],
                i / (shape[0] * shape[1]),
            ]
        };
        let a = coords(q);
        features
            .iter()
            .map(|&f| {
                let b = coords(f);
                (0..3)
                    .map(|k| (spacing[k] * (a[k] as f64 - b[k] as f64)).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn matches_brute_force_on_scattered_features() {
        let shape = [7, 5, 6];
        let spacing = [0.8, 1.3, 2.5];
        let n = shape.iter().product::<usize>() as u32;
        // A deterministic scatter of features (linear congruential walk).
        let mut features: Vec<u32> = (0..9u32).map(|k| (k * 37 + 11) % n).collect();
        features.sort_unstable();
        features.dedup();
        let queries: Vec<u32> = (0..n).collect();
        let field = DistanceField::new(shape, spacing, &features);
        let got = field.distances(&queries);
        for (&q, &d) in queries.iter().zip(&got) {
            let want = brute(shape, spacing, &features, q);
            assert!((d - want).abs() < 1e-12, "query {q}: {d} vs {want}");
        }
    }

    #[test]
    fn no_features_means_infinite_distance() {
        let field = DistanceField::new([3, 3, 3], [1.0; 3], &[]);
        assert_eq!(field.distances(&[0, 13]), vec![f64::INFINITY; 2]);
    }

    #[test]
    fn single_slice_images_work() {
        let field = DistanceField::new([4, 3, 1], [0.5, 2.0, 1.0], &[0]);
        let d = field.distances(&[3, 11]);
        assert!((d[0] - 1.5).abs() < 1e-12);
        assert!((d[1] - (1.5f64.powi(2) + 4.0f64.powi(2)).sqrt()).abs() < 1e-12);
    }
}
