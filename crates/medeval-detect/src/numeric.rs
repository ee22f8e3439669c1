//! numpy's arithmetic where pycocotools and the LUNA16 script rely on it: `linspace`, the
//! pairwise summation behind `np.mean`, `np.searchsorted(side='left')` and `np.interp`.
//! Reproducing their exact order of operations is what makes the results equal to the last bit
//! rather than to 1e-15.

/// `np.linspace(start, stop, num)` with the endpoint: `i * step + start`, the last value set to
/// `stop` exactly, as numpy computes it (so 0.75 is found by `==` among COCO's thresholds).
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut values: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    values[num - 1] = stop;
    values
}

/// numpy's pairwise summation of a contiguous array (blocks of 128 with eight accumulators),
/// the sum `np.mean` divides; a plain loop differs in the last bits.
pub fn pairwise_sum(values: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = values.len();
    if n < 8 {
        let mut sum = -0.0;
        for v in values {
            sum += v;
        }
        sum
    } else if n <= BLOCK {
        let mut r = [0.0_f64; 8];
        r.copy_from_slice(&values[..8]);
        let whole = n - n % 8;
        let mut i = 8;
        while i < whole {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += values[i + j];
            }
            i += 8;
        }
        let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &values[whole..] {
            sum += v;
        }
        sum
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&values[..half]) + pairwise_sum(&values[half..])
    }
}

/// `np.sum` of a slice: numpy starts its reduction from 0.0 and adds the pairwise sum.
pub fn numpy_sum(values: &[f64]) -> f64 {
    0.0 + pairwise_sum(values)
}

/// `np.mean` of a non-empty slice: the pairwise sum divided by the count.
pub fn numpy_mean(values: &[f64]) -> f64 {
    (0.0 + pairwise_sum(values)) / values.len() as f64
}

/// `np.searchsorted(sorted, value, side='left')`: the first index whose element is not less
/// than `value` (the length when there is none).
pub fn searchsorted_left(sorted: &[f64], value: f64) -> usize {
    sorted.partition_point(|x| *x < value)
}

/// `np.interp(x, xp, fp)` for non-decreasing `xp`: constant outside, linear inside, and at a
/// repeated `xp` value the last point holding it (numpy's search), with numpy's formula and its
/// fallbacks when the slope is not finite.
pub fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    debug_assert_eq!(xp.len(), fp.len());
    let n = xp.len();
    if n == 0 {
        return f64::NAN;
    }
    if x.is_nan() {
        return x;
    }
    if x < xp[0] {
        return fp[0];
    }
    if x > xp[n - 1] {
        return fp[n - 1];
    }
    if n == 1 || x == xp[n - 1] {
        return fp[n - 1];
    }
    // The last j with xp[j] <= x; here x < xp[n-1], so j <= n-2.
    let j = xp.partition_point(|v| *v <= x) - 1;
    if xp[j] == x {
        return fp[j];
    }
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    let mut value = slope * (x - xp[j]) + fp[j];
    if value.is_nan() {
        value = slope * (x - xp[j + 1]) + fp[j + 1];
        if value.is_nan() && fp[j] == fp[j + 1] {
            value = fp[j];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interp_follows_numpy_at_ends_repeats_and_inside() {
        let xp = [0.0, 1.0, 1.0, 3.0];
        let fp = [0.0, 0.5, 0.8, 1.0];
        assert_eq!(interp(-1.0, &xp, &fp), 0.0);
        assert_eq!(interp(5.0, &xp, &fp), 1.0);
        // numpy returns the last point of a vertical step: np.interp(1, [0,1,1,3], ...) == 0.8
        assert_eq!(interp(1.0, &xp, &fp), 0.8);
        assert_eq!(interp(2.0, &xp, &fp), 0.9);
        assert_eq!(interp(0.5, &xp, &fp), 0.25);
    }

    #[test]
    fn searchsorted_left_finds_the_first_not_less() {
        let a = [0.1, 0.2, 0.2, 0.5];
        assert_eq!(searchsorted_left(&a, 0.2), 1);
        assert_eq!(searchsorted_left(&a, 0.0), 0);
        assert_eq!(searchsorted_left(&a, 0.6), 4);
    }

    #[test]
    fn pairwise_sum_equals_exact_sums_of_small_integers() {
        let values: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(pairwise_sum(&values), 500_500.0);
        assert_eq!(pairwise_sum(&values[..5]), 15.0);
    }
}
