//! Mean structural similarity of two 2-D images, as scikit-image's `structural_similarity`
//! computes it with its defaults: a 7x7 uniform window, K1 = 0.01, K2 = 0.03, sample
//! (co)variances (N/(N-1) with N = 49), and the mean of the SSIM map over the positions whose
//! window lies wholly inside the image.
//!
//! scikit-image filters the whole image (scipy's `uniform_filter`, mirrored borders) and then
//! crops `(7-1)/2 = 3` pixels from every side before averaging: the positions it keeps are
//! exactly those whose window never reaches the mirrored border, so the border rule never
//! affects the result and only fully-inside windows are computed here.
//!
//! Window sums come from running sums (one row enters and one leaves the band per output row,
//! one column enters and one leaves the window along the row), so the cost per pixel does not depend on the window. The sums are
//! taken over data centred on the image's mean: variances are differences of two sums, and
//! centring keeps those sums small, so the result agrees with a direct computation to about
//! 1e-12 rather than losing digits on images with a large offset (CT numbers, raw k-space
//! magnitudes).

/// Window side in pixels (scikit-image's default `win_size`).
pub const WINDOW: usize = 7;
/// The luminance stabiliser's constant: C1 = (K1 · data range)².
pub const K1: f64 = 0.01;
/// The contrast stabiliser's constant: C2 = (K2 · data range)².
pub const K2: f64 = 0.03;

/// Mean SSIM of two `width` x `height` images stored row by row (x fastest), or `None` when
/// either side is shorter than the window (scikit-image raises for those).
///
/// With `data_range` 0 the stabilisers vanish and flat windows give 0/0: callers refuse a zero
/// range before calling (see `docs/reconstruction-metrics.md`).
pub fn mean_ssim(
    x: &[f64],
    y: &[f64],
    width: usize,
    height: usize,
    data_range: f64,
) -> Option<f64> {
    if width < WINDOW || height < WINDOW || x.len() != width * height || y.len() != x.len() {
        return None;
    }
    let stats = WindowStats::new(x, y, data_range);
    let row = |r: usize| (&x[r * width..][..width], &y[r * width..][..width]);
    let mut sums = ColumnSums::new(width);
    for r in 0..WINDOW {
        let (xr, yr) = row(r);
        sums.add_row(&stats, xr, yr);
    }
    let mut windows = WindowSums::new(width);
    let mut total = NeumaierSum::default();
    let out_rows = height - WINDOW + 1;
    for top in 0..out_rows {
        if top > 0 {
            let (leaving, entering) = (row(top - 1), row(top + WINDOW - 1));
            sums.replace_row(&stats, leaving, entering);
        }
        total.add(sums.row_ssim_sum(&stats, &mut windows));
    }
    let windows = (out_rows * (width - WINDOW + 1)) as f64;
    Some(total.value() / windows)
}

/// The constants of one image pair: centring offsets and SSIM's stabilisers.
struct WindowStats {
    centre_x: f64,
    centre_y: f64,
    c1: f64,
    c2: f64,
}

impl WindowStats {
    fn new(x: &[f64], y: &[f64], data_range: f64) -> Self {
        WindowStats {
            centre_x: mean(x),
            centre_y: mean(y),
            c1: (K1 * data_range).powi(2),
            c2: (K2 * data_range).powi(2),
        }
    }
}

/// Column sums over the current band of `WINDOW` rows, of the centred x, y, x², y² and xy.
struct ColumnSums {
    sx: Vec<f64>,
    sy: Vec<f64>,
    sxx: Vec<f64>,
    syy: Vec<f64>,
    sxy: Vec<f64>,
}

impl ColumnSums {
    fn new(width: usize) -> Self {
        ColumnSums {
            sx: vec![0.0; width],
            sy: vec![0.0; width],
            sxx: vec![0.0; width],
            syy: vec![0.0; width],
            sxy: vec![0.0; width],
        }
    }

    /// Adds one row of both images (filling the first band).
    fn add_row(&mut self, stats: &WindowStats, x: &[f64], y: &[f64]) {
        for j in 0..x.len() {
            let (a, b) = (x[j] - stats.centre_x, y[j] - stats.centre_y);
            self.sx[j] += a;
            self.sy[j] += b;
            self.sxx[j] += a * a;
            self.syy[j] += b * b;
            self.sxy[j] += a * b;
        }
    }

    /// Moves the band down one row: `leaving` leaves it and `entering` enters it.
    fn replace_row(
        &mut self,
        stats: &WindowStats,
        leaving: (&[f64], &[f64]),
        entering: (&[f64], &[f64]),
    ) {
        let width = self.sx.len();
        let (xo, yo) = (&leaving.0[..width], &leaving.1[..width]);
        let (xi, yi) = (&entering.0[..width], &entering.1[..width]);
        let (sx, sy) = (&mut self.sx[..width], &mut self.sy[..width]);
        let (sxx, syy, sxy) = (
            &mut self.sxx[..width],
            &mut self.syy[..width],
            &mut self.sxy[..width],
        );
        for j in 0..width {
            let (ao, bo) = (xo[j] - stats.centre_x, yo[j] - stats.centre_y);
            let (ai, bi) = (xi[j] - stats.centre_x, yi[j] - stats.centre_y);
            sx[j] += ai - ao;
            sy[j] += bi - bo;
            sxx[j] += ai * ai - ao * ao;
            syy[j] += bi * bi - bo * bo;
            sxy[j] += ai * bi - ao * bo;
        }
    }

    /// The sum of SSIM over every window whose top row is the band's first. The five window
    /// sums slide along the row (one column enters, one leaves) into `windows`; SSIM is then
    /// evaluated over those arrays in a loop without dependencies between positions, which
    /// the compiler turns into vector instructions.
    fn row_ssim_sum(&self, stats: &WindowStats, windows: &mut WindowSums) -> f64 {
        let width = self.sx.len();
        windows.slide(&self.sx[..width], &self.sy, &self.sxx, &self.syy, &self.sxy);
        windows.ssim_sum(stats)
    }
}

/// The five sums of every window along one row.
struct WindowSums {
    x: Vec<f64>,
    y: Vec<f64>,
    xx: Vec<f64>,
    yy: Vec<f64>,
    xy: Vec<f64>,
}

impl WindowSums {
    fn new(width: usize) -> Self {
        let n = width + 1 - WINDOW;
        WindowSums {
            x: vec![0.0; n],
            y: vec![0.0; n],
            xx: vec![0.0; n],
            yy: vec![0.0; n],
            xy: vec![0.0; n],
        }
    }

    fn slide(&mut self, cx: &[f64], cy: &[f64], cxx: &[f64], cyy: &[f64], cxy: &[f64]) {
        let (mut wx, mut wy, mut wxx, mut wyy, mut wxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for k in 0..WINDOW {
            wx += cx[k];
            wy += cy[k];
            wxx += cxx[k];
            wyy += cyy[k];
            wxy += cxy[k];
        }
        let n = self.x.len();
        for left in 0..n {
            if left > 0 {
                let (o, i) = (left - 1, left + WINDOW - 1);
                wx += cx[i] - cx[o];
                wy += cy[i] - cy[o];
                wxx += cxx[i] - cxx[o];
                wyy += cyy[i] - cyy[o];
                wxy += cxy[i] - cxy[o];
            }
            self.x[left] = wx;
            self.y[left] = wy;
            self.xx[left] = wxx;
            self.yy[left] = wyy;
            self.xy[left] = wxy;
        }
    }

    fn ssim_sum(&self, stats: &WindowStats) -> f64 {
        let n = (WINDOW * WINDOW) as f64;
        let inv_n = 1.0 / n;
        let cov_norm = n / (n - 1.0);
        let ssim = |wx: f64, wy: f64, wxx: f64, wyy: f64, wxy: f64| {
            let mx = wx * inv_n;
            let my = wy * inv_n;
            let vx = cov_norm * (wxx * inv_n - mx * mx);
            let vy = cov_norm * (wyy * inv_n - my * my);
            let vxy = cov_norm * (wxy * inv_n - mx * my);
            let ux = mx + stats.centre_x;
            let uy = my + stats.centre_y;
            let numerator = (2.0 * ux * uy + stats.c1) * (2.0 * vxy + stats.c2);
            let denominator = (ux * ux + uy * uy + stats.c1) * (vx + vy + stats.c2);
            numerator / denominator
        };
        const LANES: usize = 4;
        let n = self.x.len();
        let body = n - n % LANES;
        let mut partial = [0.0f64; LANES];
        for start in (0..body).step_by(LANES) {
            let (x, y) = (&self.x[start..start + LANES], &self.y[start..start + LANES]);
            let (xx, yy) = (
                &self.xx[start..start + LANES],
                &self.yy[start..start + LANES],
            );
            let xy = &self.xy[start..start + LANES];
            for k in 0..LANES {
                partial[k] += ssim(x[k], y[k], xx[k], yy[k], xy[k]);
            }
        }
        let mut sum: f64 = partial.iter().sum();
        for k in body..n {
            sum += ssim(self.x[k], self.y[k], self.xx[k], self.yy[k], self.xy[k]);
        }
        sum
    }
}

/// The mean of `values` (only a centring offset: its rounding does not reach the result).
fn mean(values: &[f64]) -> f64 {
    let mut partial = [0.0f64; 4];
    let chunks = values.chunks_exact(4);
    let tail: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for k in 0..4 {
            partial[k] += c[k];
        }
    }
    (partial.iter().sum::<f64>() + tail) / values.len().max(1) as f64
}

/// Neumaier's compensated summation: sums of many terms lose no more than a few ulps, so a
/// mean over a volume does not depend on how many terms it has.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Adds one term.
    pub(crate) fn add(&mut self, value: f64) {
        let t = self.sum + value;
        if self.sum.abs() >= value.abs() {
            self.compensation += (self.sum - t) + value;
        } else {
            self.compensation += (value - t) + self.sum;
        }
        self.sum = t;
    }

    /// The sum so far.
    pub(crate) fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SSIM straight from its definition: every window summed afresh. The data are shifted by
    /// `offset` (exactly, for the values used) and the means shifted back, so that the variances
    /// of data with a large offset are computed without cancellation.
    fn direct(x: &[f64], y: &[f64], w: usize, h: usize, range: f64, offset: f64) -> f64 {
        let n = (WINDOW * WINDOW) as f64;
        let (c1, c2) = ((K1 * range).powi(2), (K2 * range).powi(2));
        let mut total = 0.0;
        for top in 0..=h - WINDOW {
            for left in 0..=w - WINDOW {
                let mut s = [0.0; 5];
                for r in top..top + WINDOW {
                    for c in left..left + WINDOW {
                        let (a, b) = (x[r * w + c] - offset, y[r * w + c] - offset);
                        s[0] += a;
                        s[1] += b;
                        s[2] += a * a;
                        s[3] += b * b;
                        s[4] += a * b;
                    }
                }
                let (mx, my) = (s[0] / n, s[1] / n);
                let k = n / (n - 1.0);
                let vx = k * (s[2] / n - mx * mx);
                let vy = k * (s[3] / n - my * my);
                let vxy = k * (s[4] / n - mx * my);
                let (ux, uy) = (mx + offset, my + offset);
                total += (2.0 * ux * uy + c1) * (2.0 * vxy + c2)
                    / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
            }
        }
        total / ((h - WINDOW + 1) * (w - WINDOW + 1)) as f64
    }

    fn pattern(w: usize, h: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..w * h)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }

    #[test]
    fn identical_images_have_ssim_one() {
        let x = pattern(9, 13, 1);
        let s = mean_ssim(&x, &x, 9, 13, 1.0).expect("large enough");
        assert!((s - 1.0).abs() < 1e-12, "{s}");
    }

    #[test]
    fn running_sums_agree_with_the_definition() {
        let (w, h) = (23, 17);
        let x = pattern(w, h, 2);
        let y: Vec<f64> = pattern(w, h, 3)
            .iter()
            .zip(&x)
            .map(|(n, a)| a + 0.3 * n)
            .collect();
        let fast = mean_ssim(&x, &y, w, h, 1.0).expect("large enough");
        assert!((fast - direct(&x, &y, w, h, 1.0, 0.0)).abs() < 1e-12);
    }

    #[test]
    fn a_large_offset_costs_no_accuracy() {
        let (w, h) = (40, 30);
        let x: Vec<f64> = pattern(w, h, 4).iter().map(|v| 1e6 + v).collect();
        let y: Vec<f64> = pattern(w, h, 5)
            .iter()
            .zip(&x)
            .map(|(n, a)| a + 0.5 * n)
            .collect();
        let fast = mean_ssim(&x, &y, w, h, 1.0).expect("large enough");
        let reference = direct(&x, &y, w, h, 1.0, 1e6);
        assert!((fast - reference).abs() < 1e-12, "{fast} vs {reference}");
    }

    #[test]
    fn images_smaller_than_the_window_have_no_ssim() {
        let x = vec![0.5; 6 * 9];
        assert_eq!(mean_ssim(&x, &x, 6, 9, 1.0), None);
        let x = vec![0.5; 7 * 7];
        assert_eq!(mean_ssim(&x, &x, 7, 7, 1.0), Some(1.0));
    }

    #[test]
    fn constant_images_follow_the_luminance_term() {
        // Flat windows: variances 0, so SSIM = (2ab + C1) / (a² + b² + C1).
        let (a, b) = (0.2, 0.6);
        let x = vec![a; 64];
        let y = vec![b; 64];
        let c1 = (K1 * 1.0f64).powi(2);
        let expected = (2.0 * a * b + c1) / (a * a + b * b + c1);
        let s = mean_ssim(&x, &y, 8, 8, 1.0).expect("large enough");
        assert!((s - expected).abs() < 1e-12, "{s} vs {expected}");
    }
}
