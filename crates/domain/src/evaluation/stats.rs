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

/// The standard normal distribution function Φ(x), through the error
/// function: erf(z) is the regularised lower incomplete gamma P(½, z²).
fn normal_cdf(x: f64) -> f64 {
    let z2 = x * x / 2.0;
    // Series for P(a, z): e^{−z} z^a / Γ(a+1) · Σ z^n / ((a+1)…(a+n)).
    let erf = if z2 < 30.0 {
        let a = 0.5;
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut n = 1.0;
        while term > sum * 1e-17 {
            term *= z2 / (a + n);
            sum += term;
            n += 1.0;
        }
        sum * (-z2 + a * z2.ln() - ln_gamma(a)).exp()
    } else {
        1.0
    };
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Solves `f(x) = target` for an increasing `f` on `[lo, hi]` by bisection.
fn bisect(f: impl Fn(f64) -> f64, target: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi.abs().max(1.0) {
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
    Some(bisect(normal_cdf, p, 0.0, 40.0))
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
    Some(bisect(|t| 1.0 - t_upper_tail(t, df), p, 0.0, hi))
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
