//! Probability distributions of durations, as written in a scenario.
//!
//! The engine turns a [`Distribution`] into a sampler; this module contains the document
//! form, its parameter checks and the closed-form mean and quantiles used in messages
//! and previews.

use schemars::JsonSchema;
use serde::Serialize;

use super::diagnostic::number;
use super::units::Duration;

/// The standard normal quantile at 0.99, used to fit a lognormal to a mean and a p99.
pub const Z_99: f64 = 2.326_347_874_040_841;

/// A distribution of durations. Written as `{ exponential: { mean: 2ms } }`, or as a bare
/// duration such as `5ms` for a constant.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
#[schemars(transform = allow_bare_duration)]
pub enum Distribution {
    /// Always the same duration.
    Constant(Duration),
    /// Exponential with the given mean (memoryless service or inter-arrival times).
    Exponential {
        /// Mean duration.
        mean: Duration,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// Smallest duration.
        min: Duration,
        /// Largest duration.
        max: Duration,
    },
    /// Normal with the given mean and standard deviation, truncated at zero by drawing
    /// again when a draw is negative.
    Normal {
        /// Mean before truncation.
        mean: Duration,
        /// Standard deviation before truncation.
        stddev: Duration,
    },
    /// Lognormal, given either by its mean and 99th percentile or by `mu` and `sigma`.
    Lognormal(Lognormal),
    /// Erlang: the sum of `k` exponential phases with the given total mean.
    Erlang {
        /// Number of phases, at least 1.
        k: u32,
        /// Mean of the sum.
        mean: Duration,
    },
    /// Pareto (type I) with minimum `scale` and tail index `shape`.
    Pareto {
        /// The smallest possible duration.
        scale: Duration,
        /// Tail index alpha; the mean is finite only above 1, the variance only above 2.
        shape: f64,
    },
    /// Weibull with the given scale and shape.
    Weibull {
        /// Scale parameter lambda.
        scale: Duration,
        /// Shape parameter k; 1 is the exponential.
        shape: f64,
    },
    /// A list of observed durations, drawn with the given weights (equal by default).
    Empirical {
        /// The durations to draw from.
        values: Vec<Duration>,
        /// One non-negative weight per value; omitted means equal weights.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<Vec<f64>>,
    },
}

/// The two ways to give a lognormal distribution.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum Lognormal {
    /// Fitted to a mean and a 99th percentile, the way latencies are usually quoted.
    MeanP99 {
        /// Mean duration.
        mean: Duration,
        /// 99th percentile; must exceed the mean and be at most about 15 times it.
        p99: Duration,
    },
    /// The mean and standard deviation of the natural logarithm of the duration in seconds.
    MuSigma {
        /// Mean of ln(duration in seconds).
        mu: f64,
        /// Standard deviation of ln(duration in seconds), positive.
        sigma: f64,
    },
}

/// Extends the derived schema with the short form: a bare duration is a constant.
fn allow_bare_duration(schema: &mut schemars::Schema) {
    let full = schema.clone();
    let description = full.get("description").cloned();
    let mut bare = <Duration as JsonSchema>::json_schema(&mut schemars::SchemaGenerator::default());
    bare.insert(
        "description".to_owned(),
        "A constant duration, the short form of { constant: ... }.".into(),
    );
    let mut combined = serde_json::Map::new();
    if let Some(description) = description {
        combined.insert("description".to_owned(), description);
    }
    combined.insert(
        "anyOf".to_owned(),
        serde_json::Value::Array(vec![bare.to_value(), full.to_value()]),
    );
    *schema = schemars::Schema::from(combined);
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution::Constant(Duration::ZERO)
    }
}

impl Distribution {
    /// Whether this is the constant zero, the default network latency.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        *self == Distribution::Constant(Duration::ZERO)
    }

    /// The name used as the key in a scenario file.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            Distribution::Constant(_) => "constant",
            Distribution::Exponential { .. } => "exponential",
            Distribution::Uniform { .. } => "uniform",
            Distribution::Normal { .. } => "normal",
            Distribution::Lognormal(_) => "lognormal",
            Distribution::Erlang { .. } => "erlang",
            Distribution::Pareto { .. } => "pareto",
            Distribution::Weibull { .. } => "weibull",
            Distribution::Empirical { .. } => "empirical",
        }
    }

    /// Checks the parameters and returns, for each problem, the parameter's name and
    /// what is wrong with it.
    #[must_use]
    pub fn check(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        match self {
            Distribution::Constant(_)
            | Distribution::Exponential { .. }
            | Distribution::Normal { .. } => {}
            Distribution::Uniform { min, max } => {
                if max < min {
                    problems.push(("max", format!("{max} is below min {min}")));
                }
            }
            Distribution::Lognormal(Lognormal::MeanP99 { mean, p99 }) => {
                if let Err(problem) = lognormal_sigma_from_p99(*mean, *p99) {
                    problems.push(("p99", problem));
                }
            }
            Distribution::Lognormal(Lognormal::MuSigma { mu, sigma }) => {
                if !mu.is_finite() {
                    problems.push(("mu", format!("{} is not a finite number", number(*mu))));
                }
                if !sigma.is_finite() || *sigma <= 0.0 {
                    problems.push((
                        "sigma",
                        format!("{} must be a positive finite number", number(*sigma)),
                    ));
                }
            }
            Distribution::Erlang { k, .. } => {
                if *k == 0 {
                    problems.push(("k", "0 phases: k must be at least 1".to_owned()));
                }
            }
            Distribution::Pareto { shape, .. } | Distribution::Weibull { shape, .. } => {
                if !shape.is_finite() || *shape <= 0.0 {
                    problems.push((
                        "shape",
                        format!("{} must be a positive finite number", number(*shape)),
                    ));
                }
            }
            Distribution::Empirical { values, weights } => {
                if values.is_empty() {
                    problems.push((
                        "values",
                        "the list is empty: give at least one duration".to_owned(),
                    ));
                }
                if let Some(weights) = weights {
                    if weights.len() != values.len() {
                        problems.push((
                            "weights",
                            format!(
                                "{} weights for {} values: give one weight per value",
                                weights.len(),
                                values.len()
                            ),
                        ));
                    }
                    if let Some(bad) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
                        problems.push((
                            "weights",
                            format!("{} is not a non-negative finite number", number(*bad)),
                        ));
                    } else if !weights.is_empty() && weights.iter().all(|w| *w == 0.0) {
                        problems.push(("weights", "all weights are zero".to_owned()));
                    }
                }
            }
        }
        problems
    }

    /// The mean in seconds, or infinity where it does not exist (Pareto with shape ≤ 1).
    /// Assumes that [`Distribution::check`] found no problem.
    #[must_use]
    pub fn mean_secs(&self) -> f64 {
        match self {
            Distribution::Constant(d) => d.as_secs_f64(),
            Distribution::Exponential { mean }
            | Distribution::Erlang { mean, .. }
            | Distribution::Lognormal(Lognormal::MeanP99 { mean, .. }) => mean.as_secs_f64(),
            Distribution::Uniform { min, max } => {
                f64::midpoint(min.as_secs_f64(), max.as_secs_f64())
            }
            Distribution::Normal { mean, stddev } => {
                truncated_normal_mean(mean.as_secs_f64(), stddev.as_secs_f64())
            }
            Distribution::Lognormal(Lognormal::MuSigma { mu, sigma }) => {
                (mu + sigma * sigma / 2.0).exp()
            }
            Distribution::Pareto { scale, shape } => {
                if *shape <= 1.0 {
                    f64::INFINITY
                } else {
                    shape * scale.as_secs_f64() / (shape - 1.0)
                }
            }
            Distribution::Weibull { scale, shape } => {
                scale.as_secs_f64() * gamma(1.0 + 1.0 / shape)
            }
            Distribution::Empirical { values, weights } => {
                let total: f64 = weights
                    .as_ref()
                    .map_or(values.len() as f64, |w| w.iter().sum());
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v.as_secs_f64() * weights.as_ref().map_or(1.0, |w| w[i]))
                    .sum::<f64>()
                    / total
            }
        }
    }
}

/// Fits the sigma of a lognormal to its mean and 99th percentile.
///
/// With mean m = exp(mu + sigma²/2) and p99 q = exp(mu + z sigma), sigma solves
/// sigma²/2 − z sigma + ln(q/m) = 0. The smaller root is taken; a real root exists only
/// when ln(q/m) ≤ z²/2, that is q ≤ about 14.97 m.
pub fn lognormal_sigma_from_p99(mean: Duration, p99: Duration) -> Result<f64, String> {
    if mean == Duration::ZERO {
        return Err("mean is 0: a lognormal needs a positive mean".to_owned());
    }
    if p99 <= mean {
        return Err(format!(
            "{p99} is not above the mean {mean}: a lognormal's p99 must exceed its mean"
        ));
    }
    let log_ratio = (p99.as_secs_f64() / mean.as_secs_f64()).ln();
    let discriminant = Z_99 * Z_99 - 2.0 * log_ratio;
    if discriminant < 0.0 {
        let max_ratio = (Z_99 * Z_99 / 2.0).exp();
        return Err(format!(
            "{p99} is more than {max_ratio:.2} times the mean {mean}: no lognormal has such a tail; use pareto or empirical"
        ));
    }
    Ok(Z_99 - discriminant.sqrt())
}

/// The mu of a lognormal with the given mean in seconds and sigma.
#[must_use]
pub fn lognormal_mu(mean_secs: f64, sigma: f64) -> f64 {
    mean_secs.ln() - sigma * sigma / 2.0
}

fn truncated_normal_mean(mean: f64, stddev: f64) -> f64 {
    if stddev == 0.0 {
        return mean.max(0.0);
    }
    let alpha = -mean / stddev;
    let pdf = (-alpha * alpha / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let tail = 0.5 * erfc(alpha / std::f64::consts::SQRT_2);
    mean + stddev * pdf / tail
}

/// The complementary error function, from Numerical Recipes' `erfcc` (fractional error
/// below 1.2e-7), enough for previews and messages.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The gamma function by the Lanczos approximation (g = 7, 9 terms), accurate to about
/// 15 digits for positive arguments.
#[must_use]
pub fn gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
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
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x));
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + 7.5;
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_fit_reproduces_p99() {
        let mean = Duration::from_millis(120);
        let p99 = Duration::from_millis(600);
        let sigma = lognormal_sigma_from_p99(mean, p99).expect("feasible fit");
        let mu = lognormal_mu(mean.as_secs_f64(), sigma);
        assert!(((mu + sigma * sigma / 2.0).exp() - 0.120).abs() < 1e-12);
        assert!(((mu + Z_99 * sigma).exp() - 0.600).abs() < 1e-12);
    }

    #[test]
    fn lognormal_fit_rejects_impossible_tails() {
        let mean = Duration::from_millis(10);
        assert!(lognormal_sigma_from_p99(mean, Duration::from_millis(5)).is_err());
        assert!(lognormal_sigma_from_p99(mean, Duration::from_millis(10)).is_err());
        assert!(lognormal_sigma_from_p99(mean, Duration::from_millis(200)).is_err());
        assert!(lognormal_sigma_from_p99(mean, Duration::from_millis(140)).is_ok());
    }

    #[test]
    fn gamma_matches_factorials() {
        for (n, factorial) in [(1.0, 1.0), (2.0, 1.0), (5.0, 24.0), (7.0, 720.0)] {
            assert!((gamma(n) - factorial).abs() < 1e-9 * factorial);
        }
        assert!((gamma(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn truncated_normal_mean_exceeds_mean() {
        let plain = truncated_normal_mean(1.0, 0.01);
        assert!((plain - 1.0).abs() < 1e-9);
        let truncated = truncated_normal_mean(0.0, 1.0);
        assert!((truncated - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-6);
    }
}
