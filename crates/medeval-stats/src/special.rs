//! Special functions: normal, Student t, beta and binomial distributions.
//!
//! Intervals and tests need a handful of distribution functions and their inverses. They are
//! written here on top of `libm`'s error function and log-gamma rather than taken from a large
//! statistics crate, so that the build stays small and every routine can be read in one sitting.
//! Each is checked against SciPy in `tests/special.rs` (reference values in `tests/data/`).
//!
//! Only `libm` (a pure-Rust port of musl) supplies elementary functions here, never the
//! platform's C library: the bootstrap's binomial sampler starts from these values, and using one
//! implementation everywhere keeps its draws identical on every platform.
//!
//! Conventions follow `f64` methods in `std`: arguments outside a function's domain give NaN.
//! The statistics built on these functions validate their inputs first, so NaN never reaches a
//! result.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Whether `x` is a number greater than 0 (false for NaN).
fn positive(x: f64) -> bool {
    x > 0.0
}

/// Relative precision the iterative inverses aim for.
const TOLERANCE: f64 = 4.0 * f64::EPSILON;

/// Standard normal cumulative distribution function Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * FRAC_1_SQRT_2)
}

/// Standard normal survival function 1 - Φ(x), accurate in the upper tail.
pub fn normal_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x * FRAC_1_SQRT_2)
}

/// Standard normal density φ(x).
pub fn normal_pdf(x: f64) -> f64 {
    libm::exp(-0.5 * x * x) / (2.0 * PI).sqrt()
}

/// Standard normal quantile Φ⁻¹(p) for p in [0, 1] (±∞ at the ends).
///
/// A rational starting value (Abramowitz & Stegun 26.2.23, error below 4.5e-4) is refined by
/// Halley steps on Φ(x) - p until the step is below machine precision; Φ comes from `erfc`, which
/// keeps relative accuracy far into the lower tail. For p > 1/2 the symmetry Φ⁻¹(p) = -Φ⁻¹(1-p)
/// is used; 1 - p is exact in floating point there.
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p > 0.5 {
        return -lower_normal_quantile(1.0 - p);
    }
    lower_normal_quantile(p)
}

/// Φ⁻¹(p) for p in [0, 1/2].
fn lower_normal_quantile(p: f64) -> f64 {
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    let t = (-2.0 * libm::log(p)).sqrt();
    let mut x = -(t
        - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
            / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t));
    for _ in 0..8 {
        let density = normal_pdf(x);
        if density == 0.0 {
            break;
        }
        let u = (normal_cdf(x) - p) / density;
        let step = u / (1.0 + 0.5 * x * u);
        x -= step;
        if step.abs() <= TOLERANCE * x.abs() {
            break;
        }
    }
    x
}

/// Survival function of the chi-square distribution with one degree of freedom, P(X > x).
pub fn chi_square_1_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    libm::erfc((0.5 * x).sqrt())
}

/// Below this, log-gamma values are combined directly; from it on, Stirling's series is used to
/// cancel the large terms analytically.
const STIRLING_FROM: f64 = 8.0;

/// Stirling's correction δ(x) = ln Γ(x) - [(x - 1/2) ln x - x + ln √(2π)] for x ≥ 8, from the
/// asymptotic series Σ B₂ₖ / (2k(2k-1) x^{2k-1}) (error below 1e-16 there).
fn stirling_correction(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
        -3617.0 / 122_400.0,
    ];
    let inverse_square = 1.0 / (x * x);
    let series = COEFFICIENTS
        .iter()
        .rev()
        .fold(0.0, |sum, &coefficient| sum * inverse_square + coefficient);
    series / x
}

/// ln Γ(x) - ln Γ(x + y) for x ≥ 8, y > 0, without cancelling two large numbers.
fn ln_gamma_ratio(x: f64, y: f64) -> f64 {
    // (x - 1/2) ln x - (x + y - 1/2) ln(x + y) + y = -(x - 1/2) ln(1 + y/x) - y ln(x + y) + y.
    -(x - 0.5) * libm::log1p(y / x) - y * libm::log(x + y) + y + stirling_correction(x)
        - stirling_correction(x + y)
}

/// Natural logarithm of the beta function B(a, b) for a, b > 0.
///
/// Accurate to a few units in the last place of the result even when a or b is large (where
/// summing three log-gamma values would cancel millions against millions).
pub fn ln_beta(a: f64, b: f64) -> f64 {
    if !(positive(a) && positive(b)) {
        return f64::NAN;
    }
    let (small, large) = if a < b { (a, b) } else { (b, a) };
    if large < STIRLING_FROM {
        libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
    } else if small < STIRLING_FROM {
        libm::lgamma(small) + ln_gamma_ratio(large, small)
    } else {
        let total = a + b;
        0.5 * libm::log(2.0 * PI)
            - 0.5 * libm::log(total)
            - (a - 0.5) * libm::log1p(b / a)
            - (b - 0.5) * libm::log1p(a / b)
            + stirling_correction(a)
            + stirling_correction(b)
            - stirling_correction(total)
    }
}

/// t - ln(1 + t) for t > -1, accurate also for small |t|.
fn t_minus_ln_1p(t: f64) -> f64 {
    if t.abs() > 0.5 {
        return t - libm::log1p(t);
    }
    // ln(1 + t) = 2 atanh(w) with w = t / (2 + t), and t - 2w = w t, so
    // t - ln(1 + t) = w t - 2 (w³/3 + w⁵/5 + ...); |w| ≤ 1/3 here.
    let w = t / (2.0 + t);
    let w2 = w * w;
    let mut power = w * w2;
    let mut series = 0.0;
    for k in 1..40 {
        let term = power / f64::from(2 * k + 1);
        series += term;
        if term.abs() <= f64::EPSILON * series.abs() {
            break;
        }
        power *= w2;
    }
    w * t - 2.0 * series
}

/// x^a (1-x)^b / B(a, b).
///
/// For a, b ≥ 8 the log-gamma values of B(a, b) are replaced by Stirling's series, so that
/// x^a (1-x)^b / B(a, b) = √(ab/(a+b)/(2π)) · exp(a ln(x/x₀) + b ln(y/y₀) - Δ) with x₀ = a/(a+b),
/// y = 1 - x, y₀ = 1 - x₀ and Δ the Stirling corrections. Near the mean (|x/x₀ - 1| and
/// |y/y₀ - 1| at most 1/2) the two logarithms' first-order terms cancel exactly, so they are
/// taken out analytically with g(t) = t - ln(1+t): a ln(x/x₀) + b ln(y/y₀) = -a g(x/x₀ - 1) -
/// b g(y/y₀ - 1) (DiDonato & Morris 1992 use the same device). Farther out there is no such
/// cancellation and the logarithms are taken directly, which keeps 1 - x exact.
fn beta_front(x: f64, a: f64, b: f64) -> f64 {
    if a < STIRLING_FROM || b < STIRLING_FROM {
        return libm::exp(a * libm::log(x) + b * libm::log1p(-x) - ln_beta(a, b));
    }
    let total = a + b;
    let (x0, y0) = (a / total, b / total);
    let shift = x - x0;
    let (relative_x, relative_y) = (shift / x0, -shift / y0);
    let logarithms = if relative_x.abs() <= 0.5 && relative_y.abs() <= 0.5 {
        -a * t_minus_ln_1p(relative_x) - b * t_minus_ln_1p(relative_y)
    } else {
        a * (libm::log(x) - libm::log(x0)) + b * (libm::log1p(-x) - libm::log(y0))
    };
    let exponent =
        logarithms - (stirling_correction(a) + stirling_correction(b) - stirling_correction(total));
    (a * b / total / (2.0 * PI)).sqrt() * libm::exp(exponent)
}

/// Regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1].
///
/// Evaluated with the continued fraction of DLMF 8.17.22 (modified Lentz method) on whichever
/// side of the mean converges fast, using I_x(a, b) = 1 - I_{1-x}(b, a) for the other side.
pub fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    if !(positive(a) && positive(b) && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if x == 0.0 {
        return 0.0;
    }
    if x == 1.0 {
        return 1.0;
    }
    // Closed forms where a shape is 1 (the Clopper-Pearson bounds next to 0 and n successes):
    // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b.
    if b == 1.0 {
        return libm::pow(x, a);
    }
    if a == 1.0 {
        return -libm::expm1(b * libm::log1p(-x));
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        beta_front(x, a, b) * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - beta_front(1.0 - x, b, a) * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of I_x(a, b) without its front factor, by the modified Lentz method.
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const MAX_TERMS: u32 = 100_000;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };

    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut fraction = d;
    for m in 1..=MAX_TERMS {
        let m = f64::from(m);
        let two_m = 2.0 * m;
        // Even term d_{2m}.
        let even = m * (b - m) * x / ((a + two_m - 1.0) * (a + two_m));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        fraction *= d * c;
        // Odd term d_{2m+1}.
        let odd = -(a + m) * (a + b + m) * x / ((a + two_m) * (a + two_m + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let delta = d * c;
        fraction *= delta;
        if (delta - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    fraction
}

/// Density of the beta distribution at x in (0, 1).
fn beta_pdf(x: f64, a: f64, b: f64) -> f64 {
    beta_front(x, a, b) / (x * (1.0 - x))
}

/// Inverse of the regularized incomplete beta function: the x in [0, 1] with I_x(a, b) = p.
/// This is the quantile function of the Beta(a, b) distribution.
///
/// Newton steps on I_x(a, b) - p, kept inside a shrinking bracket and replaced by bisection
/// whenever they would leave it, so the iteration always converges (I_x is increasing in x).
pub fn inverse_regularized_beta(p: f64, a: f64, b: f64) -> f64 {
    if !(positive(a) && positive(b) && (0.0..=1.0).contains(&p)) {
        return f64::NAN;
    }
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return 1.0;
    }
    let (mut low, mut high) = (0.0_f64, 1.0_f64);
    let mut x = (a / (a + b)).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON);
    for _ in 0..1_000 {
        let error = regularized_beta(x, a, b) - p;
        if error == 0.0 {
            return x;
        }
        if error < 0.0 {
            low = x;
        } else {
            high = x;
        }
        let density = beta_pdf(x, a, b);
        let newton = if density > 0.0 && density.is_finite() {
            x - error / density
        } else {
            f64::NAN
        };
        let next = if newton > low && newton < high {
            newton
        } else {
            0.5 * (low + high)
        };
        if (next - x).abs() <= TOLERANCE * x.abs() || high - low <= TOLERANCE * x.abs() {
            return next;
        }
        x = next;
    }
    x
}

/// Cumulative distribution function of Student's t distribution with `df` > 0 degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if !positive(df) || t.is_nan() {
        return f64::NAN;
    }
    let tail = 0.5 * regularized_beta(df / (df + t * t), 0.5 * df, 0.5);
    if t > 0.0 { 1.0 - tail } else { tail }
}

/// Quantile function of Student's t distribution with `df` > 0 degrees of freedom.
///
/// Uses P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2); when that argument is close to 1 the complement
/// 1 - x = I⁻¹(1 - 2p; 1/2, df/2) is inverted directly so that no precision is lost.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if !(positive(df) && (0.0..=1.0).contains(&p)) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    let tail = if p < 0.5 { p } else { 1.0 - p };
    let two_tail = 2.0 * tail;
    let x = inverse_regularized_beta(two_tail, 0.5 * df, 0.5);
    let magnitude = if x > 0.5 {
        let y = inverse_regularized_beta(1.0 - two_tail, 0.5, 0.5 * df);
        (df * y / (1.0 - y)).sqrt()
    } else {
        (df * (1.0 - x) / x).sqrt()
    };
    if p < 0.5 { -magnitude } else { magnitude }
}

/// Binomial cumulative distribution function P(X ≤ k) for X ~ Binomial(n, p).
pub fn binomial_cdf(k: u64, n: u64, p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if k >= n {
        return 1.0;
    }
    // P(X ≤ k) = I_{1-p}(n - k, k + 1).
    regularized_beta(1.0 - p, (n - k) as f64, (k + 1) as f64)
}

/// Binomial probability mass function P(X = k) for X ~ Binomial(n, p).
///
/// Computed as x^a (1-x)^b / B(a, b) / ((n+1) p (1-p)) with a = k + 1, b = n - k + 1, which keeps
/// full relative accuracy for large n (no log-gamma differences of large numbers).
pub fn binomial_pmf(k: u64, n: u64, p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if k > n {
        return 0.0;
    }
    if p == 0.0 || p == 1.0 {
        let certain = if p == 0.0 { 0 } else { n };
        return if k == certain { 1.0 } else { 0.0 };
    }
    let (a, b) = ((k + 1) as f64, (n - k + 1) as f64);
    beta_front(p, a, b) / ((n + 1) as f64 * p * (1.0 - p))
}

/// Binomial cumulative distribution function for p = 1/2, summed exactly: Σ_{i ≤ k} C(n, i) / 2ⁿ.
///
/// Exact for n ≤ 60 (every binomial coefficient fits a `u64` and the sum is rounded once);
/// larger `n` falls back to [`binomial_cdf`].
pub fn binomial_half_cdf(k: u64, n: u64) -> f64 {
    if k >= n {
        return 1.0;
    }
    if n > 60 {
        return binomial_cdf(k, n, 0.5);
    }
    let mut coefficient: u64 = 1;
    let mut sum: u64 = 1;
    for i in 1..=k {
        // C(n, i) = C(n, i-1) (n - i + 1) / i, exact in integers.
        coefficient = coefficient * (n - i + 1) / i;
        sum += coefficient;
    }
    sum as f64 / 2.0_f64.powi(n as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_inverts_the_cdf_at_textbook_points() {
        // Φ⁻¹(0.975) = 1.959963984540054 (to 16 digits in every table).
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert_eq!(normal_quantile(0.5), 0.0);
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(1.5).is_nan());
    }

    #[test]
    fn incomplete_beta_matches_closed_forms() {
        // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b. x^40 at 1e-6 is 1e-240: its logarithm
        // alone carries a relative error of about 40 · 14 · ε, hence 1e-13.
        for &x in &[1e-6_f64, 0.1, 0.5, 0.9, 0.999] {
            for &a in &[0.5, 1.0, 3.0, 40.0] {
                let expected = x.powf(a);
                let got = regularized_beta(x, a, 1.0);
                assert!(
                    (got - expected).abs() <= 1e-13 * expected,
                    "x={x} a={a}: {got} vs {expected}"
                );
                let expected = -(a * (-x).ln_1p()).exp_m1();
                let got = regularized_beta(x, 1.0, a);
                assert!(
                    (got - expected).abs() <= 1e-14 * expected,
                    "x={x} b={a}: {got} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn inverse_beta_round_trips() {
        for &(a, b) in &[
            (1.0, 1.0),
            (0.5, 0.5),
            (2.0, 30.0),
            (1.0, 100_000.0),
            (5_000.0, 95_001.0),
        ] {
            for &p in &[1e-10, 0.025, 0.5, 0.975] {
                let x = inverse_regularized_beta(p, a, b);
                let back = regularized_beta(x, a, b);
                assert!(
                    (back - p).abs() <= 1e-12 * p.max(1e-3),
                    "a={a} b={b} p={p} x={x} back={back}"
                );
            }
        }
    }

    #[test]
    fn exact_binomial_half_cdf_matches_hand_sums() {
        // n = 6: C(6,0) + C(6,1) = 7, over 64.
        assert_eq!(binomial_half_cdf(1, 6), 7.0 / 64.0);
        assert_eq!(binomial_half_cdf(0, 0), 1.0);
        assert_eq!(binomial_half_cdf(0, 1), 0.5);
        assert!((binomial_half_cdf(3, 10) - binomial_cdf(3, 10, 0.5)).abs() < 1e-15);
    }
}
