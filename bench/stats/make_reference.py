#!/usr/bin/env python3
"""Reference values for medeval-stats, computed with SciPy and statsmodels.

Run by hand:  python3 bench/stats/make_reference.py

The script creates bench/stats/.venv (numpy, scipy, statsmodels) on first use, re-runs itself
inside it, and writes JSON files under crates/medeval-stats/tests/data/. The Rust tests compare
the crate's results with these files; nothing in them comes from the crate itself.

Two kinds of reference are written:

* values from the reference libraries (scipy.stats, scipy.special, statsmodels) for the special
  functions, intervals, McNemar, multiple-testing corrections, cluster-robust standard errors and
  power;
* for the bootstrap, an independent Python implementation of the documented resampling scheme
  (SplitMix64 + xoshiro256** streams, Lemire draws, binomial inversion started from SciPy's
  binomial pmf/cdf), so that replicate values can be compared exactly, plus numpy's ordinary
  index-resampling bootstrap, to check that the two agree in distribution.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
OUT = ROOT / "crates" / "medeval-stats" / "tests" / "data"
PACKAGES = ["numpy", "scipy", "statsmodels", "mpmath"]


def ensure_venv() -> None:
    """Re-executes this script inside bench/stats/.venv, creating it if needed."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        print(f"creating {VENV}", file=sys.stderr)
        venv.create(VENV, with_pip=True)
        subprocess.check_call([str(python), "-m", "pip", "install", "--quiet", *PACKAGES])
    os.execv(str(python), [str(python), *sys.argv])


ensure_venv()

import mpmath as mp  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import statsmodels  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from scipy import optimize, special, stats  # noqa: E402
from statsmodels.stats.contingency_tables import mcnemar  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402
from statsmodels.stats.power import NormalIndPower, normal_power_het, normal_sample_size_one_tail  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1


def write(name: str, payload: dict) -> None:
    payload = {
        "generated_by": "bench/stats/make_reference.py",
        "versions": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
            "mpmath": mp.__version__,
        },
        **payload,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


# ---------------------------------------------------------------------------------------------
# Special functions
# ---------------------------------------------------------------------------------------------


def special_functions() -> None:
    """Each row holds the arguments, the exact value (mpmath, 50 digits, rounded to a double) and
    SciPy's value. SciPy is itself off by up to ~1e-10 in places (ln B(1, 1e5), I_x(1e5, 1),
    chi-square tails), so the tests hold the crate to the mpmath value and only check that SciPy
    agrees loosely."""
    mp.mp.dps = 50
    sqrt2 = mp.sqrt(2)

    def exact_normal_cdf(x):
        return mp.erfc(-mp.mpf(x) / sqrt2) / 2

    def integrated_beta_cdf(x, a, b):
        """I_x(a, b) by tanh-sinh integration of the density, split around its peak. A shape below
        1 makes the density infinite at that end; it is removed by substituting u = t^a (or
        working with 1 - x when b < 1), after which the integrand is smooth."""
        if b < 1 <= a:
            return 1 - integrated_beta_cdf(1 - x, b, a)
        log_norm = mp.log(mp.beta(a, b))
        mean = a / (a + b)
        sd = mp.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        marks = sorted({mean + k * sd for k in (-64, -32, -16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16, 32, 64)})
        if a < 1:
            # t^(a-1) dt = du / a with u = t^a.
            def in_u(u):
                return mp.exp((b - 1) * mp.log1p(-(u ** (1 / a))) - log_norm) / a
            inside = [m ** a for m in marks if 0 < m < x]
            return mp.quad(in_u, [mp.mpf(0)] + inside + [x ** a])

        def density(t):
            left = (a - 1) * mp.log(t) if a != 1 else 0
            right = (b - 1) * mp.log1p(-t) if b != 1 else 0
            return mp.exp(left + right - log_norm)

        if x < mean:
            return mp.quad(density, [mp.mpf(0)] + [m for m in marks if 0 < m < x] + [x])
        return 1 - mp.quad(density, [x] + [m for m in marks if x < m < 1] + [mp.mpf(1)])

    def exact_beta_cdf(x, a, b):
        """I_x(a, b) to ~40 digits: mpmath's betainc, which stalls for large a and b; there the
        density is integrated numerically instead."""
        x, a, b = mp.mpf(x), mp.mpf(a), mp.mpf(b)
        if x <= 0 or x >= 1:
            return mp.mpf(0) if x <= 0 else mp.mpf(1)
        if max(a, b) <= 200:
            return mp.betainc(a, b, 0, x, regularized=True)
        return integrated_beta_cdf(x, a, b)

    # The integral must agree with betainc where both are usable.
    for a_check, b_check, x_check in [(150, 190, 0.4), (120, 150.5, 0.47), (199, 3.5, 0.97), (0.5, 180, 1e-4)]:
        a_check, b_check, x_check = mp.mpf(a_check), mp.mpf(b_check), mp.mpf(x_check)
        direct = mp.betainc(a_check, b_check, 0, x_check, regularized=True)
        integral = integrated_beta_cdf(x_check, a_check, b_check)
        assert abs(integral - direct) <= mp.mpf(10) ** -30 * abs(direct), (a_check, b_check, integral, direct)

    def exact_t_cdf(t, df):
        t, df = mp.mpf(t), mp.mpf(df)
        tail = exact_beta_cdf(df / (df + t * t), df / 2, mp.mpf(1) / 2) / 2
        return 1 - tail if t > 0 else tail

    def solve(function, density, target, start):
        """Newton's method from SciPy's (already close) value, in 50-digit arithmetic."""
        value = mp.mpf(start)
        for _ in range(30):
            step = (function(value) - target) / density(value)
            value -= step
            if abs(step) <= mp.mpf(10) ** -28 * abs(value):
                return value
        raise RuntimeError(f"no convergence from {start}: last step {step}")

    def normal_pdf(x):
        return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)

    def beta_pdf(x, a, b):
        a, b = mp.mpf(a), mp.mpf(b)
        return x ** (a - 1) * (1 - x) ** (b - 1) / mp.beta(a, b)

    def t_pdf(t, df):
        df = mp.mpf(df)
        return (mp.gamma((df + 1) / 2) / (mp.sqrt(df * mp.pi) * mp.gamma(df / 2))
                * (1 + t * t / df) ** (-(df + 1) / 2))

    probabilities = [1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 1e-3, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3,
                     0.45, 0.5, 0.55, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999, 1 - 1e-5, 1 - 1e-10]
    normal_quantile = []
    for p in probabilities:
        approx = float(stats.norm.ppf(p))
        exact = 0.0 if p == 0.5 else float(solve(exact_normal_cdf, normal_pdf, mp.mpf(p), approx))
        normal_quantile.append([p, exact, approx])
    normal_cdf = [[x, float(exact_normal_cdf(x)), float(stats.norm.cdf(x))] for x in
                  [-37.5, -20.0, -10.0, -5.0, -3.0, -1.959963984540054, -1.0, -0.1, 0.0, 0.1, 0.5,
                   1.0, 1.644853626951472, 2.0, 3.0, 5.0, 8.0]]
    shapes = [(0.5, 0.5), (1.0, 1.0), (1.0, 3.0), (2.0, 5.0), (5.0, 2.0), (0.5, 30.0), (10.0, 10.0),
              (15.0, 40.0), (100.0, 5.0), (1.0, 100000.0), (100000.0, 1.0), (5000.0, 95001.0),
              (72001.0, 28000.0), (0.5, 50000.0), (50000.0, 0.5)]
    beta_cdf = []
    beta_quantile = []
    for a, b in shapes:
        for q in [1e-12, 1e-6, 0.005, 0.025, 0.1, 0.5, 0.9, 0.975, 0.995]:
            approx = float(stats.beta.ppf(q, a, b))
            exact = float(solve(lambda v: exact_beta_cdf(v, a, b), lambda v: beta_pdf(v, a, b),
                                mp.mpf(q), approx))
            beta_quantile.append([q, a, b, exact, approx])
            for point in [exact, min(1.0, exact * 1.01)]:
                beta_cdf.append([point, a, b, float(exact_beta_cdf(point, a, b)),
                                 float(special.betainc(a, b, point))])
    ln_beta = [[a, b, float(mp.log(mp.beta(mp.mpf(a), mp.mpf(b)))), float(special.betaln(a, b))]
               for a, b in shapes + [(3.0, 1e6), (2e6, 3e6)]]
    t_quantile = []
    for df in [1, 2, 3, 4, 5, 10, 29, 30, 100, 1000, 100000]:
        for q in [0.0005, 0.005, 0.025, 0.05, 0.16, 0.5, 0.84, 0.975, 0.995]:
            approx = float(stats.t.ppf(q, df))
            exact = 0.0 if q == 0.5 else float(solve(lambda v: exact_t_cdf(v, df), lambda v: t_pdf(v, df),
                                                      mp.mpf(q), approx))
            t_quantile.append([q, df, exact, approx])
    t_cdf = [[t, df, float(exact_t_cdf(t, df)), float(stats.t.cdf(t, df))] for df in [1, 3, 30, 1000]
             for t in [-10.0, -2.0, -0.5, 0.0, 0.7, 2.5, 40.0]]
    binomial = []
    for n, p in [(0, 0.5), (1, 0.5), (6, 0.5), (24, 0.5), (25, 0.5), (60, 0.5), (200, 0.5),
                 (10, 0.3), (100, 0.72), (100000, 0.72), (100000, 0.001), (50, 0.999)]:
        ks = sorted({0, n // 4, n // 2, (3 * n) // 4, max(n - 1, 0), n, int(n * p)})
        pp = mp.mpf(p)
        for k in ks:
            exact_pmf = mp.binomial(n, k) * pp ** k * (1 - pp) ** (n - k)
            exact_cdf = mp.mpf(1) if k >= n else exact_beta_cdf(1 - pp, n - k, k + 1)
            binomial.append([k, n, p, float(exact_cdf), float(exact_pmf),
                             float(stats.binom.cdf(k, n, p)), float(stats.binom.pmf(k, n, p))])
    chi_square = [[x, float(mp.erfc(mp.sqrt(mp.mpf(x) / 2))), float(stats.chi2.sf(x, 1))] for x in
                  [0.0, 1e-6, 0.01, 0.5, 1.0, 2.0, 3.841458820694124, 10.0, 16.817796610169493,
                   50.0, 200.0]]
    write("special.json", {
        "columns": "arguments..., exact (mpmath), scipy",
        "normal_quantile": normal_quantile,
        "normal_cdf": normal_cdf,
        "beta_cdf": beta_cdf,
        "beta_quantile": beta_quantile,
        "ln_beta": ln_beta,
        "t_quantile": t_quantile,
        "t_cdf": t_cdf,
        "binomial": binomial,
        "chi_square_1_sf": chi_square,
    })


# ---------------------------------------------------------------------------------------------
# Intervals for a proportion
# ---------------------------------------------------------------------------------------------


def proportions() -> None:
    # Newcombe (1998), Table I examples first, then edge cases and large n.
    counts = [(81, 263), (15, 148), (0, 20), (1, 29), (0, 1), (1, 1), (0, 10), (10, 10), (5, 10),
              (1, 2), (29, 30), (1, 100000), (50000, 100000), (99999, 100000), (72000, 100000),
              (3, 7), (250, 300)]
    cases = []
    for k, n in counts:
        for alpha in [0.05, 0.01, 0.1, 0.3173]:
            wilson = proportion_confint(k, n, alpha=alpha, method="wilson")
            beta = proportion_confint(k, n, alpha=alpha, method="beta")
            normal = proportion_confint(k, n, alpha=alpha, method="normal")
            p = k / n
            cases.append({
                "successes": k, "trials": n, "confidence": 1 - alpha,
                "wilson": [float(v) for v in wilson],
                "clopper_pearson": [float(v) for v in beta],
                "wald": [float(v) for v in normal],
                "wald_standard_error": math.sqrt(p * (1 - p) / n),
            })
    write("proportion.json", {"cases": cases})


# ---------------------------------------------------------------------------------------------
# McNemar and multiple testing
# ---------------------------------------------------------------------------------------------


def mcnemar_tests() -> None:
    cases = []
    pairs = [(b, c) for b in range(0, 31, 3) for c in range(0, 31, 4)]
    pairs += [(0, 0), (1, 0), (0, 1), (12, 12), (12, 13), (13, 12), (150, 86), (86, 150),
              (400, 350), (1000, 1100), (30, 30), (2, 40)]
    for b, c in pairs:
        table = [[50, b], [c, 40]]
        exact = mcnemar(table, exact=True)
        entry = {"b": b, "c": c, "exact_p": float(exact.pvalue),
                 "binomtest_p": float(stats.binomtest(min(b, c), b + c, 0.5).pvalue) if b + c else 1.0}
        if b + c > 0:
            chi = mcnemar(table, exact=False, correction=True)
            entry["chi_square_statistic"] = float(chi.statistic)
            entry["chi_square_p"] = float(chi.pvalue)
        cases.append(entry)
    write("mcnemar.json", {"cases": cases})


def multiple_testing() -> None:
    rng = np.random.default_rng(6)
    vectors = [
        [0.01],
        [0.04, 0.03],
        [0.03, 0.5, 0.01, 0.02],
        [0.001, 0.001, 0.2, 0.2, 0.2, 0.049],
        [0.0, 1.0, 0.5, 0.0],
        [0.9, 0.95, 0.99],
        list(rng.uniform(0, 0.1, 12)),
        list(rng.uniform(0, 1, 25)),
        list(np.round(rng.uniform(0, 0.2, 30), 2)),
    ]
    cases = []
    for p in vectors:
        cases.append({
            "p": [float(v) for v in p],
            "holm": [float(v) for v in multipletests(p, method="holm")[1]],
            "fdr_bh": [float(v) for v in multipletests(p, method="fdr_bh")[1]],
        })
    write("multipletests.json", {"cases": cases})


# ---------------------------------------------------------------------------------------------
# Cluster-robust standard errors
# ---------------------------------------------------------------------------------------------


def clustered_data(rng, clusters: int, sizes: tuple[int, int], spread: float, values=(0, 1)):
    ys, groups = [], []
    for g in range(clusters):
        size = int(rng.integers(sizes[0], sizes[1] + 1))
        centre = rng.normal(0.4, spread)
        for _ in range(size):
            if values == (0, 1):
                ys.append(int(rng.uniform() < 1 / (1 + math.exp(-centre * 3))))
            else:
                ys.append(int(rng.choice([-1, 0, 1], p=[0.15, 0.65, 0.2])))
            groups.append(g)
    order = rng.permutation(len(ys))
    return [ys[i] for i in order], [groups[i] for i in order]


def cluster_robust() -> None:
    rng = np.random.default_rng(2024)
    datasets = [
        ("twelve clusters of 2-8 items", *clustered_data(rng, 12, (2, 8), 1.0)),
        ("one hundred clusters of 1-9 items", *clustered_data(rng, 100, (1, 9), 0.8)),
        ("two clusters", *clustered_data(rng, 2, (5, 9), 1.0)),
        ("singletons", *clustered_data(rng, 80, (1, 1), 0.0)),
        ("paired differences in 30 clusters", *clustered_data(rng, 30, (2, 6), 0.5, (-1, 0, 1))),
    ]
    cases = []
    for name, ys, groups in datasets:
        y = np.asarray(ys, dtype=float)
        g = np.asarray(groups)
        fit = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": g}, use_t=True)
        n = len(y)
        srs_variance = y.var(ddof=1) / n
        deff = float(fit.bse[0] ** 2 / srs_variance) if srs_variance > 0 else None
        cases.append({
            "name": name,
            "values": ys,
            "clusters": groups,
            "mean": float(fit.params[0]),
            "standard_error": float(fit.bse[0]),
            "ci95": [float(v) for v in fit.conf_int(alpha=0.05)[0]],
            "ci90": [float(v) for v in fit.conf_int(alpha=0.10)[0]],
            "df": float(fit.df_resid_inference),
            "design_effect": deff,
        })
    write("cluster.json", {"cases": cases})


# ---------------------------------------------------------------------------------------------
# Power
# ---------------------------------------------------------------------------------------------


def power_references() -> None:
    cases = []
    for psi, delta, alpha, power, n in [(0.2, 0.05, 0.05, 0.8, 500), (0.1, 0.03, 0.05, 0.9, 1000),
                                        (0.35, 0.02, 0.01, 0.8, 3000), (0.05, 0.04, 0.05, 0.8, 200)]:
        sd_alt = math.sqrt(psi - delta ** 2)
        sd_null = math.sqrt(psi)
        # Normal approximation to the paired difference: NormalIndPower with ratio=0 (one sample),
        # solved with a tight brentq (solve_power's own tolerance is about 1e-6).
        def normal_power_at(m, d):
            return NormalIndPower().power(effect_size=d / math.sqrt(psi - d * d), nobs1=m, alpha=alpha, ratio=0)

        normal_n = optimize.brentq(lambda m: normal_power_at(m, delta) - power, 1e-6, 1e9,
                                   xtol=1e-12, rtol=1e-14)
        normal_power = normal_power_at(n, delta)
        normal_mde = optimize.brentq(lambda d: normal_power_at(n, d) - power, 1e-9, psi * (1 - 1e-12),
                                     xtol=1e-14, rtol=1e-14)
        # The same through solve_power, as statsmodels users would call it (looser tolerance).
        es_at_n = NormalIndPower().solve_power(effect_size=None, nobs1=n, alpha=alpha, power=power, ratio=0)
        assert abs(es_at_n * sd_null / math.sqrt(1 + es_at_n ** 2) - normal_mde) < 1e-5
        # McNemar after Connor: different standard deviations under null and alternative.
        connor_power = normal_power_het(delta, n, alpha, std_null=sd_null, std_alternative=sd_alt)
        connor_n = optimize.brentq(
            lambda m: normal_power_het(delta, m, alpha, std_null=sd_null, std_alternative=sd_alt) - power,
            1e-6, 1e9, xtol=1e-12, rtol=1e-14)
        connor_closed_form = normal_sample_size_one_tail(delta, power, alpha / 2, std_null=sd_null,
                                                         std_alternative=sd_alt)
        connor_mde = optimize.brentq(
            lambda d: normal_power_het(d, n, alpha, std_null=sd_null,
                                       std_alternative=math.sqrt(psi - d * d)) - power,
            1e-9, psi * (1 - 1e-12), xtol=1e-14, rtol=1e-14)
        cases.append({
            "discordance": {"source": "observed", "rate": psi},
            "effect": delta, "alpha": alpha, "power": power, "items": n,
            "normal": {"independent_items": float(normal_n), "power_at_items": float(normal_power),
                       "minimum_detectable_effect": float(normal_mde)},
            "mcnemar_connor": {"independent_items": float(connor_n), "power_at_items": float(connor_power),
                               "closed_form_items": float(connor_closed_form),
                               "minimum_detectable_effect": float(connor_mde)},
        })
    # Independent errors around an assumed baseline accuracy p: ψ(δ) = p(1-q) + q(1-p), q = p + δ.
    for p, delta, alpha, power, n in [(0.7, 0.04, 0.05, 0.8, 1500), (0.5, 0.1, 0.05, 0.8, 300)]:
        def sds(d, p=p):
            q = p + d
            psi = p * (1 - q) + q * (1 - p)
            return math.sqrt(psi), math.sqrt(psi - d * d)
        sd_null, sd_alt = sds(delta)
        normal_power = normal_power_het(delta, n, alpha, std_null=sd_alt, std_alternative=sd_alt)
        connor_power = normal_power_het(delta, n, alpha, std_null=sd_null, std_alternative=sd_alt)
        normal_n = optimize.brentq(
            lambda m: normal_power_het(delta, m, alpha, std_null=sd_alt, std_alternative=sd_alt) - power,
            1e-6, 1e9, xtol=1e-12, rtol=1e-14)
        connor_n = optimize.brentq(
            lambda m: normal_power_het(delta, m, alpha, std_null=sd_null, std_alternative=sd_alt) - power,
            1e-6, 1e9, xtol=1e-12, rtol=1e-14)
        normal_mde = optimize.brentq(
            lambda d: normal_power_het(d, n, alpha, std_null=sds(d)[1], std_alternative=sds(d)[1]) - power,
            1e-9, (1 - p) * (1 - 1e-12), xtol=1e-14, rtol=1e-14)
        connor_mde = optimize.brentq(
            lambda d: normal_power_het(d, n, alpha, std_null=sds(d)[0], std_alternative=sds(d)[1]) - power,
            1e-9, (1 - p) * (1 - 1e-12), xtol=1e-14, rtol=1e-14)
        cases.append({
            "discordance": {"source": "independent_errors", "baseline_accuracy": p},
            "effect": delta, "alpha": alpha, "power": power, "items": n,
            "normal": {"independent_items": float(normal_n), "power_at_items": float(normal_power),
                       "minimum_detectable_effect": float(normal_mde)},
            "mcnemar_connor": {"independent_items": float(connor_n), "power_at_items": float(connor_power),
                               "minimum_detectable_effect": float(connor_mde)},
        })
    write("power.json", {"cases": cases})


# ---------------------------------------------------------------------------------------------
# Bootstrap: an independent implementation of the documented scheme
# ---------------------------------------------------------------------------------------------


class SplitMix64:
    def __init__(self, seed: int):
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK64


class Xoshiro256StarStar:
    def __init__(self, seed: int):
        seeder = SplitMix64(seed)
        self.s = [seeder.next() for _ in range(4)]

    def next(self) -> int:
        s = self.s
        result = (rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def positions(self, count: int):
        threshold = ((1 << 32) - count) % count
        remaining = count
        while remaining > 0:
            output = self.next()
            for half in (output & MASK32, output >> 32):
                product = half * count
                if remaining > 0 and (product & MASK32) >= threshold:
                    yield product >> 32
                    remaining -= 1

    def unit(self) -> float:
        return (self.next() >> 11) * (1.0 / (1 << 53))


def replicate_stream(seed: int, replicate: int) -> Xoshiro256StarStar:
    return Xoshiro256StarStar(seed ^ SplitMix64(replicate).next())


def binomial_inversion(n: int, p: float, u: float) -> int:
    """Smallest x with u < F(x), walking from the mode; start values from SciPy."""
    if p <= 0.0 or n == 0:
        return 0
    if p >= 1.0:
        return n
    mode = min(int(math.floor((n + 1) * p)), n)
    pmf = float(stats.binom.pmf(mode, n, p))
    cdf = float(stats.binom.cdf(mode, n, p))
    odds = p / (1.0 - p)
    x = mode
    if u < cdf:
        while x > 0 and u < cdf - pmf:
            cdf -= pmf
            pmf *= x / ((n - x + 1) * odds)
            x -= 1
    else:
        while x < n and cdf <= u:
            pmf *= (n - x) * odds / (x + 1)
            cdf += pmf
            x += 1
    return x


def item_replicates(values: list[int], seed: int, replicates: int) -> list[float]:
    negative = sum(1 for v in values if v < 0)
    zero = sum(1 for v in values if v == 0)
    positive = len(values) - negative - zero
    n = len(values)
    share = negative / (negative + zero) if negative + zero else 0.0
    out = []
    for r in range(replicates):
        rng = replicate_stream(seed, r)
        plus = binomial_inversion(n, positive / n, rng.unit())
        minus = binomial_inversion(n - plus, share, rng.unit())
        out.append((plus - minus) / n)
    return out


def cluster_units(values: list[int], clusters: list[int]) -> list[tuple[int, int]]:
    sums: dict[int, list[int]] = {}
    for v, g in zip(values, clusters):
        entry = sums.setdefault(g, [0, 0])
        entry[0] += v
        entry[1] += 1
    return sorted((s, size) for s, size in sums.values())


def cluster_replicates(values: list[int], clusters: list[int], seed: int, replicates: int) -> list[float]:
    units = cluster_units(values, clusters)
    out = []
    for r in range(replicates):
        total, size = 0, 0
        for p in replicate_stream(seed, r).positions(len(units)):
            total += units[p][0]
            size += units[p][1]
        out.append(total / size)
    return out


def type7(sorted_values: list[float], q: float) -> float:
    position = (len(sorted_values) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(sorted_values) - 1)
    fraction = position - below
    return sorted_values[below] + fraction * (sorted_values[above] - sorted_values[below])


def percentile_ci(replicates: list[float], confidence: float) -> list[float]:
    ordered = sorted(replicates)
    tail = 0.5 * (1.0 - confidence)
    ci = [type7(ordered, tail), type7(ordered, 1.0 - tail)]
    # numpy's definition, as a cross-check of the interpolation rule.
    reference = np.percentile(ordered, [100 * tail, 100 * (1 - tail)])
    assert abs(ci[0] - reference[0]) < 1e-12 and abs(ci[1] - reference[1]) < 1e-12
    return ci


def bootstrap_p(replicates: list[float]) -> float:
    at_most = sum(1 for d in replicates if d <= 0.0)
    at_least = sum(1 for d in replicates if d >= 0.0)
    return min(1.0, 2.0 * (1.0 + min(at_most, at_least)) / (len(replicates) + 1.0))


def competition_ranks(counts: list[int]) -> list[int]:
    return [1 + sum(1 for other in counts if other > own) for own in counts]


def inverted_cdf(sorted_ranks: list[int], q: float) -> int:
    position = math.ceil(math.floor(len(sorted_ranks) * q * 1e9 + 0.5) / 1e9)
    position = min(max(position, 1), len(sorted_ranks))
    return sorted_ranks[position - 1]


def rank_reference(runs: list[list[int]], clusters: list[int] | None, seed: int, replicates: int,
                   confidence: float) -> dict:
    n = len(runs[0])
    if clusters is None:
        rows = [tuple(run[i] for run in runs) for i in range(n)]
    else:
        grouped: dict[int, list[int]] = {}
        for i, g in enumerate(clusters):
            row = grouped.setdefault(g, [0] * len(runs))
            for r, run in enumerate(runs):
                row[r] += run[i]
        rows = [tuple(row) for row in grouped.values()]
    rows.sort()
    observed = competition_ranks([sum(run) for run in runs])
    per_run: list[list[int]] = [[] for _ in runs]
    for rep in range(replicates):
        weights = [0] * len(rows)
        for p in replicate_stream(seed, rep).positions(len(rows)):
            weights[p] += 1
        counts = [sum(row[r] * w for row, w in zip(rows, weights)) for r in range(len(runs))]
        for r, rank in enumerate(competition_ranks(counts)):
            per_run[r].append(rank)
    tail = 0.5 * (1.0 - confidence)
    entries = []
    for r, ranks in enumerate(per_run):
        ranks.sort()
        entries.append({
            "accuracy": sum(runs[r]) / n,
            "rank": observed[r],
            "rank_ci": [inverted_cdf(ranks, tail), inverted_cdf(ranks, 1.0 - tail)],
            "p_best": sum(1 for x in ranks if x == 1) / len(ranks),
            "mean_rank": sum(ranks) / len(ranks),
        })
    return {"entries": entries}


def numpy_index_bootstrap(values: np.ndarray, replicates: int, seed: int) -> list[float]:
    """The bootstrap a numpy user writes: resample item indices, take the mean."""
    rng = np.random.default_rng(seed)
    means = np.empty(replicates)
    for start in range(0, replicates, 500):
        stop = min(start + 500, replicates)
        idx = rng.integers(0, len(values), size=(stop - start, len(values)))
        means[start:stop] = values[idx].mean(axis=1)
    return [float(v) for v in np.percentile(means, [2.5, 97.5])]


def bootstrap_references() -> None:
    rng = np.random.default_rng(77)
    first_outputs = {"seed_from_u64_0": [], "replicate_stream_12345_3": []}
    generator = Xoshiro256StarStar(0)
    first_outputs["seed_from_u64_0"] = [generator.next() for _ in range(4)]
    generator = replicate_stream(12345, 3)
    first_outputs["replicate_stream_12345_3"] = [generator.next() for _ in range(4)]
    positions = list(replicate_stream(5, 1).positions(13))

    accuracy_values = [int(v) for v in rng.uniform(size=50) < 0.74]
    paired_values = [int(v) for v in rng.choice([-1, 0, 1], size=60, p=[0.12, 0.68, 0.2])]
    cluster_values, cluster_ids = clustered_data(rng, 14, (1, 6), 1.0)
    paired_cluster_values, paired_cluster_ids = clustered_data(rng, 16, (1, 5), 0.5, (-1, 0, 1))
    replicates = 300

    def summary(reps: list[float]) -> dict:
        return {
            "replicates": reps,
            "ci95": percentile_ci(reps, 0.95),
            "ci90": percentile_ci(reps, 0.90),
            "standard_deviation": float(np.std(reps, ddof=1)),
            "bootstrap_p": bootstrap_p(reps),
        }

    cases = {
        "items_accuracy": {"values": accuracy_values, "seed": 12345, "replicate_count": replicates,
                           **summary(item_replicates(accuracy_values, 12345, replicates))},
        "items_paired": {"values": paired_values, "seed": 99, "replicate_count": replicates,
                         **summary(item_replicates(paired_values, 99, replicates))},
        "clusters_accuracy": {"values": cluster_values, "clusters": cluster_ids, "seed": 7,
                              "replicate_count": replicates,
                              **summary(cluster_replicates(cluster_values, cluster_ids, 7, replicates))},
        "clusters_paired": {"values": paired_cluster_values, "clusters": paired_cluster_ids, "seed": 8,
                            "replicate_count": replicates,
                            **summary(cluster_replicates(paired_cluster_values, paired_cluster_ids, 8,
                                                         replicates))},
    }

    runs = [[int(v) for v in rng.uniform(size=40) < p] for p in (0.55, 0.6, 0.62, 0.8)]
    rank_clusters = [i // 3 for i in range(40)]
    ranks = {
        "runs": runs,
        "clusters": rank_clusters,
        "seed": 31,
        "replicate_count": 400,
        "items": rank_reference(runs, None, 31, 400, 0.95),
        "clustered": rank_reference(runs, rank_clusters, 31, 400, 0.95),
    }

    # The bootstrap a numpy user writes, on a larger run, for a check in distribution.
    big = (rng.uniform(size=2000) < 0.7).astype(float)
    numpy_check = {
        "values": [int(v) for v in big],
        "numpy_ci95": numpy_index_bootstrap(big, 20000, 5),
        "replicate_count": 20000,
    }
    write("bootstrap.json", {
        "xoshiro": first_outputs,
        "positions_seed_5_replicate_1_count_13": positions,
        "cases": cases,
        "ranks": ranks,
        "numpy_index_bootstrap": numpy_check,
    })


# ---------------------------------------------------------------------------------------------
# Repeated sampling
# ---------------------------------------------------------------------------------------------


def repeated_sampling() -> None:
    rng = np.random.default_rng(11)
    k = 5
    items = []
    for i in range(40):
        difficulty = rng.uniform(0.05, 0.95)
        samples = []
        for _ in range(k):
            if rng.uniform() < difficulty:
                samples.append(["correct", "A"])
            else:
                samples.append(["wrong", str(rng.choice(["B", "C", "D"]))])
        items.append({"samples": samples, "cluster": f"img{i // 4}"})

    def vote(samples, tie_rule):
        """Plurality vote: correct samples form one group, wrong ones group by answer."""
        groups: dict[str, int] = {}
        for outcome, answer in samples:
            key = "correct" if outcome == "correct" else f"answer:{answer}"
            groups[key] = groups.get(key, 0) + 1
        largest = max(groups.values())
        tied = [key for key, size in groups.items() if size == largest]
        if "correct" not in tied:
            credit = 0.0
        elif len(tied) == 1:
            credit = 1.0
        else:
            credit = 0.0 if tie_rule == "wrong" else 1.0 / len(tied)
        return credit, len(tied) > 1

    item_means = np.array([sum(o == "correct" for o, _ in it["samples"]) / k for it in items])
    within = np.mean([np.var([o == "correct" for o, _ in it["samples"]], ddof=1) for it in items])
    sample_values = np.array([float(o == "correct") for it in items for o, _ in it["samples"]])
    by_item = np.repeat(np.arange(len(items)), k)
    by_image = np.array([int(it["cluster"][3:]) for it in items for _ in range(k)])

    def clustered_mean(values, groups):
        fit = sm.OLS(values, np.ones_like(values)).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                                         use_t=True)
        return {"mean": float(fit.params[0]), "standard_error": float(fit.bse[0]),
                "ci95": [float(v) for v in fit.conf_int(alpha=0.05)[0]]}

    result = {"items": items, "k": k, "mean_accuracy": float(item_means.mean()),
              "within_item_variance": float(within),
              "inconsistent_items": int(sum(0 < m < 1 for m in item_means))}
    result["ties"] = int(sum(vote(it["samples"], "wrong")[1] for it in items))
    for rule in ("wrong", "split_credit"):
        votes = np.array([vote(it["samples"], rule)[0] for it in items])
        result[f"majority_{rule}"] = {
            "by_item": clustered_mean(votes, np.arange(len(items))),
            "by_image": clustered_mean(votes, np.array([int(it["cluster"][3:]) for it in items])),
        }
    result["mean_by_item"] = clustered_mean(sample_values, by_item)
    result["mean_by_image"] = clustered_mean(sample_values, by_image)
    write("repeated.json", result)


if __name__ == "__main__":
    special_functions()
    proportions()
    mcnemar_tests()
    multiple_testing()
    cluster_robust()
    power_references()
    bootstrap_references()
    repeated_sampling()
