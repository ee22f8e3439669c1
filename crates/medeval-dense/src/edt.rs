//! Exact Euclidean distance transforms with anisotropic spacing, in linear time.
//!
//! The transform is separable (Felzenszwalb & Huttenlocher 2012, "Distance transforms of sampled
//! functions"): the squared distance to the nearest feature is built one axis at a time, each
//! pass taking the minimum over one axis of the previous pass plus the squared offset along
//! it. The passes are ordered for memory and for the question callers ask, which is "how far
//! is each of these surface points from the other surface", not "how far is every voxel":
//!
//! 1. along z, the feature distance is an integer number of slices, found by one forward and
//!    one backward sweep over whole slices and stored as `u8` (`u16` for boxes of more than
//!    254 slices): one or two bytes per voxel, the only full-size buffer;
//! 2. along y, only at the query points, per slice and in parallel over slices: the minimum
//!    over the column is found by scanning outwards from the query and stopping as soon as the
//!    y offset alone costs more than the best candidate so far (every other term is
//!    non-negative, and rounding is monotone, so nothing further out can win). Surface points
//!    are close to the other surface, so a scan touches a handful of voxels, not the column;
//! 3. along x, only at the positions those scans read, by the same outward scan along the row,
//!    remembered for the rest of the slice in a per-thread `f64` buffer the size of one slice.
//!    On the benchmark volumes about one x value in eight is ever needed.
//!
//! A scan that runs longer than 32 steps hands its whole line to the lower envelope
//! of parabolas (once per line), so a slice never costs more than a constant times its size,
//! whatever the input. Distances are exact: every squared distance is `Σ (spacing·Δ)²` for
//! integer offsets, evaluated in `f64`, and the minimum is taken over the same candidates as a
//! full transform. [`DistanceField::map_slices`] completes every voxel of a slice for callers
//! that need them all (boundary IoU).

use rayon::prelude::*;

/// Largest number of slices the `u16` z pass supports.
pub const MAX_SLICES: usize = (u16::MAX - 1) as usize;

/// A number of slices as stored by the z pass: `u8` for boxes of at most [`u8::MAX`] - 1
/// slices (halving the only full-size buffer), `u16` beyond. The largest value means "no
/// feature in this column".
trait SliceCount: Copy + Ord + Send + Sync + 'static {
    const ZERO: Self;
    const FAR: Self;
    /// One slice further; stays below [`Self::FAR`] for boxes the type is chosen for.
    fn next(self) -> Self;
    fn index(self) -> usize;
}

impl SliceCount for u8 {
    const ZERO: Self = 0;
    const FAR: Self = u8::MAX;
    #[inline]
    fn next(self) -> Self {
        self.saturating_add(1)
    }
    #[inline]
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl SliceCount for u16 {
    const ZERO: Self = 0;
    const FAR: Self = u16::MAX;
    #[inline]
    fn next(self) -> Self {
        self.saturating_add(1)
    }
    #[inline]
    fn index(self) -> usize {
        usize::from(self)
    }
}

/// The z pass's result, in the narrowest type that holds the box's slice distances.
#[derive(Debug)]
enum AlongZ {
    Narrow(Vec<u8>),
    Wide(Vec<u16>),
}

/// Integer distance along z (in slices) from every voxel to the nearest feature in its (x, y)
/// column: one forward and one backward sweep over whole slices.
fn sweep_along_z<D: SliceCount>(shape: [usize; 3], features: &[u32]) -> Vec<D> {
    let plane = shape[0] * shape[1];
    let mut along_z = vec![D::FAR; plane * shape[2]];
    for &f in features {
        along_z[f as usize] = D::ZERO;
    }
    for z in 1..shape[2] {
        let (before, after) = along_z.split_at_mut(z * plane);
        let previous = &before[(z - 1) * plane..];
        for (d, &p) in after[..plane].iter_mut().zip(previous) {
            *d = (*d).min(p.next());
        }
    }
    for z in (0..shape[2].saturating_sub(1)).rev() {
        let (before, after) = along_z.split_at_mut((z + 1) * plane);
        let next = &after[..plane];
        for (d, &n) in before[z * plane..].iter_mut().zip(next) {
            *d = (*d).min(n.next());
        }
    }
    along_z
}

/// Longest outward scan (in voxels each way) before a row or column is finished with the lower
/// envelope instead. 32 steps of 0.8 mm reach 25 mm, beyond most surface distances; a line
/// costs at most this many steps per position asked for plus one envelope.
const MAX_SCAN_STEPS: usize = 32;

/// Squared distances from every voxel of a box to the nearest of a set of feature voxels.
#[derive(Debug)]
pub struct DistanceField {
    shape: [usize; 3],
    spacing: [f64; 3],
    /// Integer distance along z (in slices) to the nearest feature in the same (x, y) column.
    along_z: AlongZ,
    /// `heights[d]`: the squared distance `(sz d)²` of `d` slices, for every `d` below the
    /// number of slices; the last entry is infinite and stands for "no feature".
    heights: Vec<f64>,
    has_features: bool,
}

impl DistanceField {
    /// Builds the field for `features`, given as x-fastest linear indices into `shape`.
    ///
    /// `shape[2]` must not exceed [`MAX_SLICES`]; callers check this once per volume.
    pub fn new(shape: [usize; 3], spacing: [f64; 3], features: &[u32]) -> Self {
        debug_assert!(shape[2] <= MAX_SLICES);
        let along_z = if shape[2] < usize::from(u8::MAX) {
            AlongZ::Narrow(sweep_along_z(shape, features))
        } else {
            AlongZ::Wide(sweep_along_z(shape, features))
        };
        let sz2 = spacing[2] * spacing[2];
        let heights = (0..shape[2])
            .map(|d| {
                let d = d as f64;
                sz2 * d * d
            })
            .chain([f64::INFINITY])
            .collect();
        DistanceField {
            shape,
            spacing,
            along_z,
            heights,
            has_features: !features.is_empty(),
        }
    }

    /// Distances in mm from each query point (sorted x-fastest linear indices) to the nearest
    /// feature; `f64::INFINITY` for every query when there is no feature.
    pub fn distances(&self, queries: &[u32]) -> Vec<f64> {
        if !self.has_features {
            return vec![f64::INFINITY; queries.len()];
        }
        match &self.along_z {
            AlongZ::Narrow(along_z) => self.distances_in(along_z, queries),
            AlongZ::Wide(along_z) => self.distances_in(along_z, queries),
        }
    }

    fn distances_in<D: SliceCount>(&self, along_z: &[D], queries: &[u32]) -> Vec<f64> {
        let plane = self.shape[0] * self.shape[1];
        let by_slice = split_by_slice(queries, plane, self.shape[2]);
        let parts: Vec<Vec<f64>> = by_slice
            .par_iter()
            .map_init(SliceWorkspace::default, |ws, &(z, part)| {
                let mut slice = self.slice(along_z, z, ws);
                part.iter()
                    .map(|&q| slice.squared_at_index(q as usize - z * plane).sqrt())
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
        match &self.along_z {
            AlongZ::Narrow(along_z) => self.map_slices_in(along_z, wanted, visit),
            AlongZ::Wide(along_z) => self.map_slices_in(along_z, wanted, visit),
        }
    }

    fn map_slices_in<D: SliceCount, R: Send>(
        &self,
        along_z: &[D],
        wanted: impl Fn(usize) -> bool + Sync,
        visit: impl Fn(usize, &SliceDistances<'_>) -> R + Sync,
    ) -> Vec<R> {
        (0..self.shape[2])
            .into_par_iter()
            .filter(|&z| wanted(z))
            .map_init(SliceWorkspace::default, |ws, z| {
                let mut slice = self.slice(along_z, z, ws);
                slice.complete();
                visit(
                    z,
                    &SliceDistances {
                        nx: self.shape[0],
                        values: &slice.ws.rows,
                    },
                )
            })
            .collect()
    }

    /// Prepares slice `z`: the x and y passes then run on demand.
    fn slice<'s, D: SliceCount>(
        &'s self,
        along_z: &'s [D],
        z: usize,
        ws: &'s mut SliceWorkspace,
    ) -> Slice<'s, D> {
        let [nx, ny, _] = self.shape;
        let plane = nx * ny;
        ws.rows.resize(plane, 0.0);
        ws.row_done.clear();
        ws.row_done.resize(ny, false);
        // A new stamp marks every position of the previous slice as unknown without clearing.
        ws.known.resize(plane, 0);
        ws.stamp = ws.stamp.wrapping_add(1);
        if ws.stamp == 0 {
            ws.known.fill(0);
            ws.stamp = 1;
        }
        ws.column_done.clear();
        ws.column_done.resize(nx, false);
        ws.line.resize(nx.max(ny), 0.0);
        ws.out.resize(nx.max(ny), 0.0);
        let [sx, sy, _] = self.spacing;
        Slice {
            along_z: &along_z[z * plane..(z + 1) * plane],
            heights: &self.heights,
            nx,
            ny,
            wx2: sx * sx,
            wy2: sy * sy,
            ws,
        }
    }
}

/// Squared distances of one slice, as produced by [`DistanceField::map_slices`].
pub struct SliceDistances<'a> {
    nx: usize,
    values: &'a [f64],
}

impl SliceDistances<'_> {
    /// Squared distance (mm²) at in-slice index `x + nx * y`.
    pub fn squared(&self, in_slice: usize) -> f64 {
        self.values[in_slice]
    }

    /// Squared distance (mm²) at column `x`, row `y`.
    pub fn squared_at(&self, x: usize, y: usize) -> f64 {
        self.values[x + self.nx * y]
    }
}

/// Per-thread buffers, reused from slice to slice.
#[derive(Default)]
struct SliceWorkspace {
    /// Row-major values of the slice: after the x pass of a row, that row's squared distance
    /// within the slice's (x, z) plane; after the y pass of a column, that column's final
    /// squared distances.
    rows: Vec<f64>,
    /// Whether each row has had its x pass.
    row_done: Vec<bool>,
    /// `known[i] == stamp` when `rows[i]` holds position i's x-pass value, found by a scan
    /// (rows not done are computed one position at a time where scans need them).
    known: Vec<u32>,
    /// Identifies the slice being computed, so that `known` needs no clearing between slices.
    stamp: u32,
    /// Whether each column has had its y pass (only after every row's x pass).
    column_done: Vec<bool>,
    line: Vec<f64>,
    out: Vec<f64>,
    envelope: Envelope,
}

/// One slice of a [`DistanceField`] being completed on demand.
struct Slice<'s, D> {
    along_z: &'s [D],
    heights: &'s [f64],
    nx: usize,
    ny: usize,
    wx2: f64,
    wy2: f64,
    ws: &'s mut SliceWorkspace,
}

impl<D: SliceCount> Slice<'_, D> {
    /// Squared distance at in-slice index `x + nx * y`.
    fn squared_at_index(&mut self, in_slice: usize) -> f64 {
        let (x, y) = (in_slice % self.nx, in_slice / self.nx);
        if self.ws.column_done[x] {
            return self.ws.rows[in_slice];
        }
        match self.scan_column(x, y) {
            Some(value) => value,
            None => {
                self.finish_column(x);
                self.ws.rows[in_slice]
            }
        }
    }

    /// The x-pass value at (x, y): the minimum over the row of `along_z` distance² plus
    /// `wx2 (x - x')²`. Found by an outward scan from x, exact for the same reason as the
    /// column scan, and remembered for the rest of the slice; a scan longer than
    /// [`MAX_SCAN_STEPS`] runs the lower envelope of the whole row instead.
    #[inline]
    fn row_value(&mut self, x: usize, y: usize) -> f64 {
        let at = x + self.nx * y;
        if self.ws.row_done[y] || self.ws.known[at] == self.ws.stamp {
            return self.ws.rows[at];
        }
        match self.scan_row(x, y) {
            Some(value) => {
                self.ws.rows[at] = value;
                self.ws.known[at] = self.ws.stamp;
                value
            }
            None => {
                self.x_pass(y);
                self.ws.rows[at]
            }
        }
    }

    /// Minimum over row `y` of `wz2 along_z[x']² + wx2 (x - x')²`, scanning outwards from `x`;
    /// `None` when the scan would need more than [`MAX_SCAN_STEPS`] steps.
    fn scan_row(&self, x: usize, y: usize) -> Option<f64> {
        let row = &self.along_z[y * self.nx..(y + 1) * self.nx];
        let heights = self.heights;
        let last = heights.len() - 1;
        let height = |d: D| heights[d.index().min(last)];
        let mut best = height(row[x]);
        for step in 1..=MAX_SCAN_STEPS {
            let d = step as f64;
            let reach = self.wx2 * d * d;
            if reach >= best {
                return Some(best);
            }
            let left = step <= x;
            let right = x + step < self.nx;
            if !left && !right {
                return Some(best);
            }
            if left {
                best = smaller(reach + height(row[x - step]), best);
            }
            if right {
                best = smaller(reach + height(row[x + step]), best);
            }
        }
        None
    }

    /// Minimum over the column of `rows[x, y'] + wy2 (y - y')²`, scanning outwards from `y`;
    /// `None` when the scan would need more than [`MAX_SCAN_STEPS`] steps.
    fn scan_column(&mut self, x: usize, y: usize) -> Option<f64> {
        let mut best = self.row_value(x, y);
        for step in 1..=MAX_SCAN_STEPS {
            let d = step as f64;
            // The same expression as the lower envelope's, so values agree to the bit.
            let reach = self.wy2 * d * d;
            if reach >= best {
                return Some(best);
            }
            let below = step <= y;
            let above = y + step < self.ny;
            if !below && !above {
                return Some(best);
            }
            if below {
                best = smaller(reach + self.row_value(x, y - step), best);
            }
            if above {
                best = smaller(reach + self.row_value(x, y + step), best);
            }
        }
        None
    }

    /// Runs the x pass of row `y`.
    fn x_pass(&mut self, y: usize) {
        let nx = self.nx;
        let ws = &mut *self.ws;
        ws.row_done[y] = true;
        let source = &self.along_z[y * nx..(y + 1) * nx];
        let row = &mut ws.rows[y * nx..(y + 1) * nx];
        if source.iter().all(|&d| d == D::FAR) {
            row.fill(f64::INFINITY);
            return;
        }
        let last = self.heights.len() - 1;
        for (f, &d) in ws.line[..nx].iter_mut().zip(source) {
            *f = self.heights[d.index().min(last)];
        }
        lower_envelope(&ws.line[..nx], self.wx2, row, &mut ws.envelope);
    }

    /// Runs the y pass of column `x` (after the x pass of every row), in place.
    fn finish_column(&mut self, x: usize) {
        for y in 0..self.ny {
            if !self.ws.row_done[y] {
                self.x_pass(y);
            }
        }
        let (nx, ny) = (self.nx, self.ny);
        let ws = &mut *self.ws;
        ws.column_done[x] = true;
        for (y, f) in ws.line[..ny].iter_mut().enumerate() {
            *f = ws.rows[x + nx * y];
        }
        lower_envelope(
            &ws.line[..ny],
            self.wy2,
            &mut ws.out[..ny],
            &mut ws.envelope,
        );
        for (y, &g) in ws.out[..ny].iter().enumerate() {
            ws.rows[x + nx * y] = g;
        }
    }

    /// Completes every voxel of the slice.
    fn complete(&mut self) {
        for x in 0..self.nx {
            if !self.ws.column_done[x] {
                self.finish_column(x);
            }
        }
    }
}

#[derive(Default)]
struct Envelope {
    /// Sample index of each parabola of the envelope.
    vertices: Vec<usize>,
    /// `f[v] + w2 v²` of each parabola, cached for the intersection formula.
    heights: Vec<f64>,
    /// Left boundary of each parabola's interval (one more entry than parabolas).
    bounds: Vec<f64>,
    /// `1 / (2 w2 d)` for sample distances `d` (entry 0 unused), for the `w2` in `table_w2`:
    /// turns the division in the intersection formula into a multiplication.
    reciprocals: Vec<f64>,
    table_w2: f64,
}

impl Envelope {
    fn prepare(&mut self, n: usize, w2: f64) {
        self.vertices.resize(n, 0);
        self.heights.resize(n, 0.0);
        self.bounds.resize(n + 1, 0.0);
        if self.table_w2 != w2 || self.reciprocals.len() < n {
            let inverse = 1.0 / (2.0 * w2);
            self.reciprocals = (0..n.max(1))
                .map(|d| if d == 0 { 0.0 } else { inverse / d as f64 })
                .collect();
            self.table_w2 = w2;
        }
    }
}

/// One-dimensional squared distance transform of `f` with sample spacing² `w2`:
/// `out[q] = min_p f[p] + w2 (q - p)²`, skipping infinite samples.
fn lower_envelope(f: &[f64], w2: f64, out: &mut [f64], env: &mut Envelope) {
    let n = f.len();
    let Some(first) = f.iter().position(|&v| v != f64::INFINITY) else {
        out.fill(f64::INFINITY);
        return;
    };
    env.prepare(n, w2);
    let (vertices, heights, bounds, reciprocals) = (
        &mut env.vertices[..n],
        &mut env.heights[..n],
        &mut env.bounds[..n + 1],
        &env.reciprocals[..n],
    );
    let mut k = 0usize;
    vertices[0] = first;
    heights[0] = f[first] + w2 * (first * first) as f64;
    bounds[0] = f64::NEG_INFINITY;
    for (q, &fq) in f.iter().enumerate().skip(first + 1) {
        if fq == f64::INFINITY {
            continue;
        }
        let hq = fq + w2 * (q * q) as f64;
        // Intersection of parabola q with the top of the stack; bounds[0] is -inf, so the
        // loop stops at k = 0 at the latest.
        let mut s = (hq - heights[k]) * reciprocals[q - vertices[k]];
        while s <= bounds[k] {
            k -= 1;
            s = (hq - heights[k]) * reciprocals[q - vertices[k]];
        }
        k += 1;
        vertices[k] = q;
        heights[k] = hq;
        bounds[k] = s;
    }
    // Parabola j serves the samples q <= bounds[j + 1] not served by an earlier one; the
    // boundaries increase, so the samples split into consecutive runs.
    let mut q = 0;
    for j in 0..=k {
        let end = if j == k {
            n
        } else {
            let bound = bounds[j + 1];
            if bound < q as f64 {
                continue; // parabola j serves no sample
            }
            // The samples up to and including `bound` (non-negative here, so the cast
            // rounds down; it saturates for huge bounds).
            (bound as usize).saturating_add(1).min(n)
        };
        let (v, fv) = (vertices[j], f[vertices[j]]);
        for (o, sample) in out[q..end].iter_mut().zip(q..) {
            let d = sample as f64 - v as f64;
            *o = w2 * d * d + fv;
        }
        q = end;
    }
}

/// The smaller of two candidates that are never NaN (sums of non-negative finite values and
/// infinity): one `minsd`, where `f64::min` also has to handle NaN.
#[inline]
fn smaller(candidate: f64, best: f64) -> f64 {
    if candidate < best { candidate } else { best }
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

    /// Pseudo-random sorted distinct indices below `n` (SplitMix64, so the test is fixed).
    fn scatter(count: usize, n: u32, seed: u64) -> Vec<u32> {
        let mut state = seed;
        let mut out: Vec<u32> = (0..count)
            .map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                ((z ^ (z >> 31)) % u64::from(n)) as u32
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn assert_matches_brute_force(shape: [usize; 3], spacing: [f64; 3], features: &[u32]) {
        let n = shape.iter().product::<usize>() as u32;
        let queries: Vec<u32> = (0..n).collect();
        let field = DistanceField::new(shape, spacing, features);
        let got = field.distances(&queries);
        for (&q, &d) in queries.iter().zip(&got) {
            let want = brute(shape, spacing, features, q);
            assert!((d - want).abs() < 1e-9, "query {q}: {d} vs {want}");
        }
        let slices = field.map_slices(
            |_| true,
            |z, slice| {
                let plane = shape[0] * shape[1];
                (0..plane)
                    .map(|i| (z * plane + i, slice.squared(i).sqrt()))
                    .collect::<Vec<_>>()
            },
        );
        for (q, d) in slices.concat() {
            let want = brute(shape, spacing, features, q as u32);
            assert!(
                (d - want).abs() < 1e-9,
                "full slice, voxel {q}: {d} vs {want}"
            );
        }
    }

    #[test]
    fn scans_that_run_long_fall_back_to_the_envelope() {
        // One feature at one end of 100-voxel columns: most queries are more than
        // MAX_SCAN_STEPS rows away from it, so whole columns go through the lower envelope,
        // while queries near the feature are answered by short scans first.
        assert_matches_brute_force([3, 100, 2], [0.7, 0.5, 3.0], &[1]);
        assert_matches_brute_force([40, 90, 5], [0.8, 0.8, 2.5], &scatter(3, 40 * 90 * 5, 1));
    }

    #[test]
    fn matches_brute_force_on_random_sparse_and_dense_features() {
        let shape = [23, 19, 11];
        let n = (23 * 19 * 11) as u32;
        for (count, seed) in [(1, 2), (5, 3), (40, 4), (400, 5), (3000, 6)] {
            assert_matches_brute_force(shape, [0.8, 0.8, 2.5], &scatter(count, n, seed));
            assert_matches_brute_force(shape, [1.7, 0.3, 1.0], &scatter(count, n, seed));
        }
    }

    #[test]
    fn boxes_of_more_than_254_slices_store_wide_slice_counts() {
        let shape = [3, 2, 300];
        assert!(matches!(
            DistanceField::new(shape, [1.0; 3], &[0]).along_z,
            AlongZ::Wide(_)
        ));
        assert_matches_brute_force(shape, [0.8, 0.8, 2.5], &scatter(4, 3 * 2 * 300, 9));
        assert_matches_brute_force(shape, [0.8, 0.8, 2.5], &[5]);
        // Either side of the switch: 254 slices (narrow, distances up to 253) and 255 (wide).
        for slices in [254, 255] {
            assert_matches_brute_force([2, 1, slices], [1.0, 1.0, 2.5], &[0]);
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
