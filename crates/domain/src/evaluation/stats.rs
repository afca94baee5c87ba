//! The statistics behind the outcome reports: the Student t quantile (for
//! 95% confidence intervals), the normal quantile, and a mean with its
//! confidence interval. Implemented here, without a statistics crate:
//! the t distribution function is the regularised incomplete beta function
//! (Lentz's continued fraction, as in Numerical Recipes §6.4), inverted by
//! bisection; very large degrees of freedom use the Cornish–Fisher expansion
//! around the normal quantile.

use core::f64::consts::PI;

/// Natural log of the gamma function (Lanczos, g = 7, 9 terms), for x > 0.
fn ln_gamma(x: f64) -> f64 {
    const COEF: [f64; 8] = [
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = 0.999_999_999_999_809_9;
    for (i, c) in COEF.iter().enumerate() {
        a += c / (x + (i as f64) + 1.0);
    }
    let t = x + 7.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction for the incomplete beta function (modified Lentz).
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-15;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The regularised incomplete beta function I_x(a, b), for a, b > 0.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

/// P(T > t) for Student's t with `df` degrees of freedom, t ≥ 0.
fn t_upper_tail(t: f64, df: f64) -> f64 {
    0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// P(0 < T ≤ t) = ½ · I_{t²/(df+t²)}(½, df/2), for t ≥ 0: the same
/// probability as ½ − P(T > t) without the cancellation near t = 0.
fn t_central(t: f64, df: f64) -> f64 {
    let t2 = t * t;
    0.5 * incomplete_beta(0.5, df / 2.0, t2 / (df + t2))
}

/// ½ · erf(x / √2) = Φ(x) − ½ for x ≥ 0, through the regularised lower
/// incomplete gamma P(½, x²/2). Returned as the distance from ½ so that
/// quantiles near the median keep their relative precision.
fn normal_central(x: f64) -> f64 {
    let z2 = x * x / 2.0;
    if z2 >= 30.0 {
        return 0.5;
    }
    // Series for P(a, z): e^{−z} z^a / Γ(a+1) · Σ z^n / ((a+1)…(a+n)).
    let a = 0.5;
    let mut term = 1.0 / a;
    let mut sum = term;
    let mut n = 1.0;
    while term > sum * 1e-17 {
        term *= z2 / (a + n);
        sum += term;
        n += 1.0;
    }
    0.5 * sum * (-z2 + a * z2.ln() - ln_gamma(a)).exp()
}

/// Solves `f(x) = target` for an increasing `f` on `[lo, hi]` (0 ≤ lo) by
/// bisection, to a *relative* tolerance: an absolute one loses every
/// significant digit when the root is tiny (quantiles just above ½).
fn bisect(f: impl Fn(f64) -> f64, target: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..2_000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 4.0 * f64::EPSILON * hi.abs() {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The quantile of the standard normal distribution: the `z` with Φ(z) = p.
/// Returns `None` unless 0 < p < 1.
///
/// ```
/// use grantledger_domain::evaluation::normal_quantile;
///
/// let z = normal_quantile(0.975).unwrap();
/// assert!((z - 1.959_964).abs() < 1e-6);
/// assert_eq!(normal_quantile(1.0), None);
/// ```
#[must_use]
pub fn normal_quantile(p: f64) -> Option<f64> {
    if p.is_nan() || p <= 0.0 || p >= 1.0 {
        return None;
    }
    if p < 0.5 {
        return normal_quantile(1.0 - p).map(|z| -z);
    }
    // p − ½ is exact for p ≥ ½ (Sterbenz), so a p just above ½ keeps its
    // precision.
    Some(bisect(normal_central, p - 0.5, 0.0, 40.0))
}

/// The quantile of Student's t distribution with `df` degrees of freedom:
/// the `t` with P(T ≤ t) = p. Returns `None` unless 0 < p < 1 and df > 0.
///
/// ```
/// use grantledger_domain::evaluation::t_quantile;
///
/// // The two-sided 95% critical values every statistics table prints.
/// let t = |df: f64| (t_quantile(0.975, df).unwrap() * 1000.0).round() / 1000.0;
/// assert_eq!(t(1.0), 12.706);
/// assert_eq!(t(5.0), 2.571);
/// assert_eq!(t(30.0), 2.042);
/// assert_eq!(t(1e9), 1.960);
/// ```
#[must_use]
pub fn t_quantile(p: f64, df: f64) -> Option<f64> {
    if p.is_nan() || p <= 0.0 || p >= 1.0 || df.is_nan() || df <= 0.0 {
        return None;
    }
    if p < 0.5 {
        return t_quantile(1.0 - p, df).map(|t| -t);
    }
    if p == 0.5 {
        return Some(0.0);
    }
    if df > 1_000.0 {
        // Cornish–Fisher expansion (Abramowitz & Stegun 26.7.5); the first
        // omitted term is O(df⁻⁴), below 1e-12 here.
        let z = normal_quantile(p)?;
        let z3 = z * z * z;
        let z5 = z3 * z * z;
        let z7 = z5 * z * z;
        let g1 = (z3 + z) / 4.0;
        let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
        let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
        return Some(z + g1 / df + g2 / (df * df) + g3 / (df * df * df));
    }
    let tail = 1.0 - p;
    let mut hi = 2.0;
    while t_upper_tail(hi, df) > tail {
        hi *= 2.0;
        if hi > 1e12 {
            return None;
        }
    }
    // Near the median solve P(0 < T ≤ t) = p − ½ (precise for small t); in
    // the tail solve P(T > t) = 1 − p. Both right-hand sides are exact.
    if p <= 0.75 {
        Some(bisect(|t| t_central(t, df), p - 0.5, 0.0, hi))
    } else {
        Some(bisect(|t| -t_upper_tail(t, df), -tail, 0.0, hi))
    }
}

/// A mean with its 95% confidence interval from the t distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanEstimate {
    /// How many values.
    pub n: u64,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator); `None` for one value.
    pub sd: Option<f64>,
    /// Lower end of the 95% confidence interval; `None` for one value.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% confidence interval; `None` for one value.
    pub ci_high: Option<f64>,
}

/// Running sums from which a mean, a standard deviation and a confidence
/// interval follow, without keeping the values. Values here are small
/// integers (UCLA scores and changes), so the sums are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moments {
    /// How many values.
    pub n: u64,
    /// Σx.
    pub sum: i64,
    /// Σx².
    pub sum_sq: i64,
}

impl Moments {
    /// Adds a value.
    pub fn add(&mut self, x: i64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    /// Adds another set's sums (for totals over groups).
    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    /// The mean, or `None` with no values.
    #[must_use]
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / self.n as f64)
    }

    /// The mean with a 95% confidence interval `mean ± t(0.975, n−1)·s/√n`.
    /// No values: `None`. One value: the mean without an interval. All
    /// values equal: an interval of zero width.
    ///
    /// ```
    /// use grantledger_domain::evaluation::Moments;
    ///
    /// // Changes of −2, −1, 0 and −1: mean −1, s = √(2/3), t(0.975, 3) = 3.182.
    /// let mut m = Moments::default();
    /// for x in [-2, -1, 0, -1] { m.add(x); }
    /// let e = m.estimate().unwrap();
    /// assert_eq!(e.mean, -1.0);
    /// assert!((e.ci_low.unwrap() - (-2.299)).abs() < 1e-3);
    /// assert!((e.ci_high.unwrap() - 0.299).abs() < 1e-3);
    /// ```
    #[must_use]
    pub fn estimate(&self) -> Option<MeanEstimate> {
        let mean = self.mean()?;
        if self.n < 2 {
            return Some(MeanEstimate {
                n: self.n,
                mean,
                sd: None,
                ci_low: None,
                ci_high: None,
            });
        }
        let n = self.n as f64;
        // Σ(x − x̄)² = Σx² − (Σx)²/n, exact in integers: n·Σx² − (Σx)² over n.
        let numerator = i128::from(self.n) * i128::from(self.sum_sq)
            - i128::from(self.sum) * i128::from(self.sum);
        let variance = (numerator.max(0) as f64) / (n * (n - 1.0));
        let sd = variance.sqrt();
        let half = t_quantile(0.975, n - 1.0).map(|t| t * sd / n.sqrt());
        Some(MeanEstimate {
            n: self.n,
            mean,
            sd: Some(sd),
            ci_low: half.map(|h| mean - h),
            ci_high: half.map(|h| mean + h),
        })
    }
}

/// The 97.5% point of the standard normal distribution, for 95% intervals.
const Z_95: f64 = 1.959_963_984_540_054;

/// A 95% confidence interval, in the units of the figure it goes with.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

impl Interval {
    /// The interval with both ends multiplied by `factor` (a proportion to
    /// a percentage).
    #[must_use]
    pub fn scaled(self, factor: f64) -> Interval {
        Interval {
            low: self.low * factor,
            high: self.high * factor,
        }
    }

    /// The interval with both ends passed through `f` (rounding).
    #[must_use]
    pub fn map(self, f: impl Fn(f64) -> f64) -> Interval {
        Interval {
            low: f(self.low),
            high: f(self.high),
        }
    }
}

/// The Wilson score 95% interval for a proportion `successes / n` (Wilson
/// 1927; Newcombe 1998, "Two-sided confidence intervals for the single
/// proportion", method 3). Unlike the Wald interval it stays inside 0–1
/// and keeps its coverage for small `n` and proportions near 0 or 1.
/// `None` when `n` is 0 or `successes > n`.
///
/// ```
/// use grantledger_domain::evaluation::wilson_interval;
///
/// // Newcombe's (1998) first worked example: 81 of 263.
/// let ci = wilson_interval(81, 263).unwrap();
/// assert_eq!(((ci.low * 1e4).round(), (ci.high * 1e4).round()), (2553.0, 3662.0));
/// ```
#[must_use]
pub fn wilson_interval(successes: u64, n: u64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / nf;
    let centre = p + z2 / (2.0 * nf);
    let half = Z_95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Some(Interval {
        low: ((centre - half) / denominator).max(0.0),
        high: ((centre + half) / denominator).min(1.0),
    })
}

/// Paired yes/no answers of the same people at baseline and follow-up (for
/// the direct question: often/always lonely or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairedTable {
    /// Yes at both stages.
    pub both: u64,
    /// Yes at baseline only (no longer).
    pub baseline_only: u64,
    /// Yes at follow-up only (newly).
    pub follow_up_only: u64,
    /// Yes at neither stage.
    pub neither: u64,
}

impl PairedTable {
    /// The number of pairs.
    #[must_use]
    pub fn n(&self) -> u64 {
        self.both + self.baseline_only + self.follow_up_only + self.neither
    }

    /// The share saying yes at baseline, or `None` without pairs.
    #[must_use]
    pub fn baseline_share(&self) -> Option<f64> {
        let n = self.n();
        (n > 0).then(|| (self.both + self.baseline_only) as f64 / n as f64)
    }

    /// The share saying yes at follow-up, or `None` without pairs.
    #[must_use]
    pub fn follow_up_share(&self) -> Option<f64> {
        let n = self.n();
        (n > 0).then(|| (self.both + self.follow_up_only) as f64 / n as f64)
    }

    /// The change in the share, follow-up − baseline (negative: fewer say
    /// yes), as a proportion.
    #[must_use]
    pub fn change(&self) -> Option<f64> {
        Some(self.follow_up_share()? - self.baseline_share()?)
    }

    /// The 95% interval for [`PairedTable::change`] by Newcombe's hybrid
    /// score method for paired data (Newcombe 1998, "Improved confidence
    /// intervals for the difference between binomial proportions based on
    /// paired data", method 10): the Wilson intervals of the two shares,
    /// combined with the correlation φ of the paired answers (φ taken as 0
    /// when the association is positive but within n/2 of none, as the
    /// paper prescribes). It stays within −1 to 1 and, unlike the Wald
    /// interval, does not collapse when the discordant cells are small.
    ///
    /// ```
    /// use grantledger_domain::evaluation::PairedTable;
    ///
    /// // Newcombe (1998), example (a): 36 yes–yes, 12 yes–no, 2 no–yes, 0
    /// // no–no. The paper's difference is first − second = 0.2 with
    /// // interval 0.0569 to 0.3404; ours is second − first.
    /// let table = PairedTable { both: 36, baseline_only: 12, follow_up_only: 2, neither: 0 };
    /// let ci = table.newcombe_interval().unwrap();
    /// let r4 = |x: f64| (x * 1e4).round() / 1e4;
    /// assert_eq!((r4(ci.low), r4(ci.high)), (-0.3404, -0.0569));
    /// ```
    #[must_use]
    pub fn newcombe_interval(&self) -> Option<Interval> {
        let n = self.n();
        // Newcombe's first proportion is the follow-up share here, so the
        // interval is for follow-up − baseline directly.
        let (e, f, g, h) = (
            self.both,
            self.follow_up_only,
            self.baseline_only,
            self.neither,
        );
        let p1 = self.follow_up_share()?;
        let p2 = self.baseline_share()?;
        let w1 = wilson_interval(e + f, n)?;
        let w2 = wilson_interval(e + g, n)?;
        let margins = [
            (e + f) as f64,
            (g + h) as f64,
            (e + g) as f64,
            (f + h) as f64,
        ];
        let product: f64 = margins.iter().product();
        let association = e as f64 * h as f64 - f as f64 * g as f64;
        let half_n = n as f64 / 2.0;
        let phi = if product == 0.0 {
            0.0
        } else if association > half_n {
            (association - half_n) / product.sqrt()
        } else if association >= 0.0 {
            0.0
        } else {
            association / product.sqrt()
        };
        let d = p1 - p2;
        let (a, b) = (p1 - w1.low, w2.high - p2);
        let delta = (a * a - 2.0 * phi * a * b + b * b).max(0.0).sqrt();
        let (a, b) = (w1.high - p1, p2 - w2.low);
        let epsilon = (a * a - 2.0 * phi * a * b + b * b).max(0.0).sqrt();
        Some(Interval {
            low: (d - delta).max(-1.0),
            high: (d + epsilon).min(1.0),
        })
    }

    /// McNemar's exact test of no change (two-sided): under no change each
    /// discordant pair is equally likely to go either way, so the smaller
    /// discordant count is Binomial(b + c, ½);
    /// p = min(1, 2 · P(X ≤ min(b, c))). `None` without pairs; 1 when no
    /// pair changed.
    ///
    /// ```
    /// use grantledger_domain::evaluation::PairedTable;
    ///
    /// // 1 changed one way, 7 the other: p = 2 · (1 + 8) / 2⁸ = 0.0703.
    /// let table = PairedTable { both: 1, baseline_only: 1, follow_up_only: 7, neither: 12 };
    /// assert!((table.mcnemar_exact_p().unwrap() - 0.070_312_5).abs() < 1e-12);
    /// ```
    #[must_use]
    pub fn mcnemar_exact_p(&self) -> Option<f64> {
        if self.n() == 0 {
            return None;
        }
        let m = self.baseline_only + self.follow_up_only;
        let k = self.baseline_only.min(self.follow_up_only);
        if m == 0 {
            return Some(1.0);
        }
        // Sum C(m, j)/2^m for j = k down to 0, relative to the j = k term
        // (so no term underflows before it matters), then scale.
        let (mf, kf) = (m as f64, k as f64);
        let ln_top = ln_gamma(mf + 1.0)
            - ln_gamma(kf + 1.0)
            - ln_gamma(mf - kf + 1.0)
            - mf * core::f64::consts::LN_2;
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut j = kf;
        while j >= 1.0 && term > 1e-18 * sum {
            term *= j / (mf - j + 1.0);
            sum += term;
            j -= 1.0;
        }
        Some((2.0 * sum * ln_top.exp()).min(1.0))
    }
}
