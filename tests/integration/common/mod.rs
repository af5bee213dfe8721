//! Helpers shared by the integration tests: reference formulas from queueing
//! theory in [`theory`], and confidence-interval half-widths derived from the
//! sample size, so that no accuracy test uses a guessed tolerance.
//!
//! Use it from a test file with `mod common;`.

// Each test binary compiles its own copy of this module and uses only part of it.
#![allow(dead_code)]

pub mod theory;

/// Two-sided 99.9% standard normal critical value, the 0.9995 quantile of N(0, 1).
///
/// A check `|observed - expected| <= Z_99_9 * standard_error` fails a correct
/// engine with probability 0.001 when the estimate is normal and its standard
/// error is known. The tests are seeded and deterministic, so a check that
/// passes once keeps passing until the code or the seed changes.
/// For batch means with few batches, use [`Estimate::student_t_half_width`],
/// because z understates the interval there.
pub const Z_99_9: f64 = 3.290_526_731_491_926;

/// Confidence level that matches [`Z_99_9`], for [`student_t_critical`].
pub const CONFIDENCE_99_9: f64 = 0.999;

/// Estimate of a steady-state mean with its standard error from batch means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean of the samples used, which equals the mean of the batch averages.
    pub mean: f64,
    /// Sample standard deviation of the batch averages divided by `sqrt(batches)`.
    pub standard_error: f64,
    /// Number of batches.
    pub batches: usize,
    /// Number of consecutive samples in each batch.
    pub batch_size: usize,
}

impl Estimate {
    /// Returns the half-width `z * standard_error` of a two-sided interval.
    pub fn half_width(&self, z: f64) -> f64 {
        z * self.standard_error
    }

    /// Returns the half-width of the two-sided Student t interval at `confidence`
    /// with `batches` - 1 degrees of freedom.
    ///
    /// With long batches the standardized batch-means error approximately follows
    /// Student's t, not the normal distribution. With 30 batches, [`Z_99_9`] would
    /// fail a correct engine about 2.6 times in a thousand instead of once, while
    /// `t_{0.9995, 29} = 3.66` keeps the rate at `1 - confidence`.
    pub fn student_t_half_width(&self, confidence: f64) -> f64 {
        student_t_critical(confidence, self.batches - 1) * self.standard_error
    }

    /// Describes the sample size for failure messages, for example
    /// "30 batches of 10000 samples".
    pub fn sample_info(&self) -> String {
        format!("{} batches of {} samples", self.batches, self.batch_size)
    }
}

fn average(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Estimates the mean of `samples` and its standard error by the method of
/// batch means.
///
/// Successive sojourn times in a queue are positively correlated, so the i.i.d.
/// standard error `s/sqrt(n)` is too small. Averages of long consecutive batches
/// are nearly independent and normal, and their spread gives an honest standard
/// error. A common choice is 20 to 30 batches of many thousands of samples each.
/// Each batch must be much longer than the correlation time of the output, which
/// grows sharply as utilization approaches 1.
///
/// The batch size is `samples.len() / batches`, and the last
/// `samples.len() % batches` samples are not used. Panics if `batches` < 2 or
/// there are fewer samples than batches.
///
/// NOTE: nothing checks that the batches are long enough. Too short batches give
/// a standard error that is too small.
pub fn batch_means(samples: &[f64], batches: usize) -> Estimate {
    assert!(
        batches >= 2,
        "batch means needs at least 2 batches, got {batches}"
    );
    let batch_size = samples.len() / batches;
    assert!(
        batch_size >= 1,
        "{} samples are too few for {batches} batches",
        samples.len()
    );

    let batch_averages: Vec<f64> = samples
        .chunks_exact(batch_size)
        .take(batches)
        .map(average)
        .collect();
    let mean = average(&batch_averages);
    let sum_of_squares: f64 = batch_averages
        .iter()
        .map(|batch_average| (batch_average - mean).powi(2))
        .sum();
    let variance = sum_of_squares / (batches - 1) as f64;

    Estimate {
        mean,
        standard_error: (variance / batches as f64).sqrt(),
        batches,
        batch_size,
    }
}

/// Returns the two-sided Student t critical value t with `P(|T| <= t) = confidence`
/// for T with `degrees_of_freedom` degrees of freedom.
///
/// It inverts the t distribution function by bisection on numerical integration.
/// The tests check it to 1e-9 relative against the closed forms for 1 and 2
/// degrees of freedom, and to the three printed decimals of t tables for 10 to 30.
pub fn student_t_critical(confidence: f64, degrees_of_freedom: usize) -> f64 {
    assert!(
        confidence > 0.0 && confidence < 1.0,
        "confidence must be in (0, 1), got {confidence}"
    );
    assert!(
        degrees_of_freedom >= 1,
        "Student t needs at least 1 degree of freedom"
    );
    let nu = degrees_of_freedom as f64;

    // Substituting x = sqrt(nu) tan(theta) in the t density gives
    // P(|T| <= sqrt(nu) tan(theta)) = 2 r / sqrt(pi) * integral of cos^(nu - 1) over
    // [0, theta], where r = Gamma((nu + 1)/2) / Gamma(nu/2). The integrand is smooth
    // on a finite interval, so Simpson's rule is accurate even for heavy tails.
    let normalizer = 2.0 * gamma_half_ratio(degrees_of_freedom) / std::f64::consts::PI.sqrt();
    let coverage = |theta: f64| normalizer * simpson(|s| s.cos().powf(nu - 1.0), theta, 2000);

    let mut low = 0.0;
    let mut high = std::f64::consts::FRAC_PI_2;
    // 64 halvings shrink the bracket below the spacing of f64 values near pi/2.
    for _ in 0..64 {
        let middle = 0.5 * (low + high);
        if coverage(middle) < confidence {
            low = middle;
        } else {
            high = middle;
        }
    }
    nu.sqrt() * (0.5 * (low + high)).tan()
}

/// Returns `r(nu) = Gamma((nu + 1)/2) / Gamma(nu/2)` for integer `nu` >= 1, from
/// `r(1) = 1/sqrt(pi)`, `r(2) = sqrt(pi)/2` and `r(nu + 2) = r(nu) (nu + 1)/nu`.
fn gamma_half_ratio(nu: usize) -> f64 {
    let sqrt_pi = std::f64::consts::PI.sqrt();
    let (mut ratio, mut current) = if nu % 2 == 1 {
        (1.0 / sqrt_pi, 1)
    } else {
        (sqrt_pi / 2.0, 2)
    };
    while current < nu {
        ratio *= (current as f64 + 1.0) / current as f64;
        current += 2;
    }
    ratio
}

/// Integrates `function` over [0, `upper`] by composite Simpson's rule with
/// `intervals` subintervals, which must be even.
fn simpson(function: impl Fn(f64) -> f64, upper: f64, intervals: usize) -> f64 {
    let step = upper / intervals as f64;
    let mut sum = function(0.0) + function(upper);
    for i in 1..intervals {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * function(i as f64 * step);
    }
    sum * step / 3.0
}

/// Returns the Wald half-width `z sqrt(p_hat (1 - p_hat) / n)` for a probability
/// estimated as a fraction of `n` independent trials, such as a blocking probability.
///
/// The Wald interval is inappropriate when `n p < 10` or `n (1 - p) < 10`, because
/// the binomial is then too skewed for the normal approximation, and at `p_hat` = 0
/// or 1 it has zero width. Blocking outcomes of successive arrivals in a queue are
/// correlated, so for simulated blocking use [`batch_means`] on 0/1 indicators
/// instead of treating the arrivals as independent trials.
pub fn binomial_half_width(p_hat: f64, n: usize, z: f64) -> f64 {
    assert!(
        (0.0..=1.0).contains(&p_hat),
        "p_hat must be in [0, 1], got {p_hat}"
    );
    assert!(n >= 1, "binomial half-width needs at least one trial");
    z * (p_hat * (1.0 - p_hat) / n as f64).sqrt()
}

/// Returns the nearest-rank p-quantile of `samples`, the smallest sample with at
/// least a fraction `p` of the samples at or below it.
///
/// It sorts a copy of the samples. A product `p n` within a relative 1e-12 of an
/// integer counts as that integer, so p = 0.07 gives rank 7 of 100 although
/// `0.07 * 100` evaluates to 7.000000000000001. Panics if `samples` is empty or
/// contains NaN, or if p is not in (0, 1].
pub fn empirical_quantile(samples: &[f64], p: f64) -> f64 {
    assert!(!samples.is_empty(), "quantile of an empty sample");
    assert!(
        p > 0.0 && p <= 1.0,
        "quantile probability must be in (0, 1], got {p}"
    );
    assert!(
        !samples.iter().any(|sample| sample.is_nan()),
        "samples contain NaN"
    );

    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let exact_rank = p * sorted.len() as f64;
    let rank = (exact_rank * (1.0 - 1e-12)).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Returns the asymptotic standard error `sqrt(p (1 - p) / n) / f(q_p)` of the
/// empirical p-quantile of `n` i.i.d. samples, where `density` is `f(q_p)`, the
/// density at the true quantile.
///
/// For the FCFS M/M/1 sojourn time, `f(q) = (mu - lambda) e^{-(mu - lambda) q}`
/// ([`theory::mm1_sojourn_density`]). Samples from one queue are autocorrelated,
/// so this understates the error for them. Test a simulated quantile with
/// [`empirical_cdf_batch_means`] instead.
pub fn quantile_standard_error(p: f64, n: usize, density: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "quantile probability must be in (0, 1), got {p}"
    );
    assert!(n >= 1, "quantile standard error needs at least one sample");
    assert!(
        density.is_finite() && density > 0.0,
        "density at the quantile must be positive and finite, got {density}"
    );
    (p * (1.0 - p) / n as f64).sqrt() / density
}

/// Estimates `F(x)`, the fraction of `samples` at or below `x`, with a batch-means
/// standard error.
///
/// This is the robust way to test a quantile of autocorrelated output. With `x`
/// set to `q_theory`, the theoretical p-quantile, check `|F_hat(q_theory) - p|`
/// against the half-width. It needs neither the density at the quantile nor
/// independent samples. As a rule of thumb, each batch should contain at least 10
/// samples on each side of `x`, or the batch fractions are too coarse for the
/// normal approximation.
pub fn empirical_cdf_batch_means(samples: &[f64], x: f64, batches: usize) -> Estimate {
    let indicators: Vec<f64> = samples
        .iter()
        .map(|&sample| if sample <= x { 1.0 } else { 0.0 })
        .collect();
    batch_means(&indicators, batches)
}

/// Panics unless `observed` is within `half_width` of `expected`.
///
/// The message names the quantity, both values, the difference, the allowed
/// half-width and `sample_info`, which should describe the sample size, for
/// example from [`Estimate::sample_info`]. A NaN in `observed` or `expected` fails.
#[track_caller]
pub fn assert_within(name: &str, observed: f64, expected: f64, half_width: f64, sample_info: &str) {
    assert!(
        half_width.is_finite() && half_width >= 0.0,
        "{name}: half-width must be finite and non-negative, got {half_width} ({sample_info})"
    );
    let difference = (observed - expected).abs();
    assert!(
        difference <= half_width,
        "{name}: observed {observed} differs from expected {expected} by {difference}, \
         more than the allowed half-width {half_width} ({sample_info})"
    );
}
