//! Random streams and samplers of durations.
//!
//! Every entity draws from a stream of its own, seeded from the run's seed and the
//! entity's name, so that editing one service leaves the draws of every other entity
//! unchanged.

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution as _, Exp1, Gamma, LogNormal, Normal, StandardNormal, Weibull};
use rand_pcg::Pcg64Mcg;

use crate::scenario::Distribution;
use crate::scenario::distribution::{Lognormal, lognormal_mu, lognormal_sigma_from_p99};

/// The generator of every stream: PCG with 128-bit state, fast and with a stable,
/// documented output sequence across platforms and versions of `rand_pcg`.
pub type Stream = Pcg64Mcg;

/// The longest duration a sampler returns, in nanoseconds: 10⁶ seconds, about 11.6
/// days. Heavy-tailed draws beyond it are clamped so that time arithmetic cannot
/// overflow.
pub const MAX_SAMPLE_NS: u64 = 1_000_000_000_000_000;

/// Derives the stream of the entity `name` from the run's `seed`.
#[must_use]
pub fn stream(seed: u64, name: &str) -> Stream {
    // FNV-1a over the name, then SplitMix64 finalizers to spread the bits: stable,
    // documented functions, so a seed and a name give the same stream on any machine.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let low = splitmix(seed ^ hash);
    let high = splitmix(low ^ seed.rotate_left(32));
    Stream::seed_from_u64(low ^ high.rotate_left(17))
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A distribution ready to draw from, in nanoseconds.
#[derive(Clone, Debug)]
pub enum Sampler {
    /// Always the same value.
    Constant(u64),
    /// Exponential with the given mean in nanoseconds.
    Exponential(f64),
    /// Uniform between two values in nanoseconds.
    Uniform(f64, f64),
    /// Normal in nanoseconds, drawn again while negative.
    Normal(Normal<f64>),
    /// Lognormal of the duration in seconds.
    Lognormal(LogNormal<f64>),
    /// Gamma with integer shape, in seconds.
    Erlang(Gamma<f64>),
    /// Pareto with scale in nanoseconds and shape alpha.
    Pareto { scale: f64, inverse_shape: f64 },
    /// Weibull of the duration in seconds.
    Weibull(Weibull<f64>),
    /// Values with cumulative weights, for a binary search.
    Empirical {
        values: Vec<u64>,
        cumulative: Vec<f64>,
    },
}

impl Sampler {
    /// Builds the sampler of a distribution whose parameters passed validation.
    ///
    /// Returns a message if a parameter is still out of range, which validation is meant
    /// to have reported first.
    pub fn new(distribution: &Distribution) -> Result<Self, String> {
        let secs = |d: crate::scenario::Duration| d.as_secs_f64();
        Ok(match distribution {
            Distribution::Constant(d) => Sampler::Constant(d.as_nanos()),
            Distribution::Exponential { mean } => Sampler::Exponential(mean.as_nanos() as f64),
            Distribution::Uniform { min, max } => {
                Sampler::Uniform(min.as_nanos() as f64, max.as_nanos() as f64)
            }
            Distribution::Normal { mean, stddev } => {
                if *stddev == crate::scenario::Duration::ZERO {
                    Sampler::Constant(mean.as_nanos())
                } else {
                    Sampler::Normal(
                        Normal::new(mean.as_nanos() as f64, stddev.as_nanos() as f64)
                            .map_err(|e| e.to_string())?,
                    )
                }
            }
            Distribution::Lognormal(Lognormal::MeanP99 { mean, p99 }) => {
                let sigma = lognormal_sigma_from_p99(*mean, *p99)?;
                let mu = lognormal_mu(secs(*mean), sigma);
                Sampler::Lognormal(LogNormal::new(mu, sigma).map_err(|e| e.to_string())?)
            }
            Distribution::Lognormal(Lognormal::MuSigma { mu, sigma }) => {
                Sampler::Lognormal(LogNormal::new(*mu, *sigma).map_err(|e| e.to_string())?)
            }
            Distribution::Erlang { k, mean } => {
                let shape = f64::from(*k);
                Sampler::Erlang(Gamma::new(shape, secs(*mean) / shape).map_err(|e| e.to_string())?)
            }
            Distribution::Pareto { scale, shape } => Sampler::Pareto {
                scale: scale.as_nanos() as f64,
                inverse_shape: 1.0 / shape,
            },
            Distribution::Weibull { scale, shape } => {
                Sampler::Weibull(Weibull::new(secs(*scale), *shape).map_err(|e| e.to_string())?)
            }
            Distribution::Empirical { values, weights } => {
                let mut cumulative = Vec::with_capacity(values.len());
                let mut total = 0.0;
                for i in 0..values.len() {
                    total += weights.as_ref().map_or(1.0, |w| w[i]);
                    cumulative.push(total);
                }
                if values.is_empty() || total <= 0.0 {
                    return Err(
                        "an empirical distribution needs a value with positive weight".to_owned(),
                    );
                }
                Sampler::Empirical {
                    values: values.iter().map(|d| d.as_nanos()).collect(),
                    cumulative,
                }
            }
        })
    }

    /// Whether every draw is zero, so that a hop with this latency needs no event.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        matches!(self, Sampler::Constant(0))
    }

    /// Draws one duration in nanoseconds.
    #[inline]
    pub fn sample(&self, stream: &mut Stream) -> u64 {
        let nanos = match self {
            Sampler::Constant(v) => return *v,
            Sampler::Exponential(mean) => {
                let unit: f64 = Exp1.sample(stream);
                unit * mean
            }
            Sampler::Uniform(low, high) => low + (high - low) * stream.random::<f64>(),
            Sampler::Normal(normal) => {
                // Truncation at zero by rejection, bounded so that a mean far below zero
                // cannot loop for long; the last resort is zero.
                let mut value = 0.0;
                for _ in 0..64 {
                    value = normal.sample(stream);
                    if value >= 0.0 {
                        break;
                    }
                }
                value.max(0.0)
            }
            Sampler::Lognormal(lognormal) => lognormal.sample(stream) * 1e9,
            Sampler::Erlang(gamma) => gamma.sample(stream) * 1e9,
            Sampler::Pareto {
                scale,
                inverse_shape,
            } => {
                // Inverse transform: x = scale · U^(−1/alpha), with U in (0, 1].
                let u = 1.0 - stream.random::<f64>();
                scale * u.powf(-inverse_shape)
            }
            Sampler::Weibull(weibull) => weibull.sample(stream) * 1e9,
            Sampler::Empirical { values, cumulative } => {
                let total = cumulative[cumulative.len() - 1];
                let target = stream.random::<f64>() * total;
                let index = cumulative
                    .partition_point(|c| *c <= target)
                    .min(values.len() - 1);
                return values[index];
            }
        };
        to_nanos(nanos)
    }
}

/// Rounds a non-negative draw to whole nanoseconds, clamped to [`MAX_SAMPLE_NS`].
#[inline]
fn to_nanos(value: f64) -> u64 {
    if value.is_nan() || value <= 0.0 {
        0
    } else if value >= MAX_SAMPLE_NS as f64 {
        MAX_SAMPLE_NS
    } else {
        round_below_2_pow_63(value)
    }
}

/// Rounds like [`round_non_negative`] a number from 0 to below 2^63, for which a
/// conversion through `i64` gives the same result in fewer instructions than one to
/// `u64`: x86-64 converts to signed integers only.
#[inline]
#[must_use]
pub fn round_below_2_pow_63(value: f64) -> u64 {
    debug_assert!((0.0..2f64.powi(63)).contains(&value));
    (value + 0.5) as i64 as u64
}

/// Rounds a finite non-negative number to the nearest integer, halves up.
///
/// This matches `f64::round` except for numbers one ulp below a half, such as
/// 0.49999999999999994, which round up here. `f64::round` is a call into the math
/// library, while adding one half and truncating compiles to two instructions, and
/// rounding happens on every draw.
#[inline]
#[must_use]
pub fn round_non_negative(value: f64) -> u64 {
    (value + 0.5) as u64
}

/// Draws a standard normal value, for tests of the streams.
pub fn standard_normal(stream: &mut Stream) -> f64 {
    StandardNormal.sample(stream)
}

/// A draw from the exponential distribution with mean 1.
#[inline]
pub fn exponential(stream: &mut Stream) -> f64 {
    Exp1.sample(stream)
}

/// Returns true with probability `p`.
#[inline]
pub fn chance(stream: &mut Stream, p: f64) -> bool {
    p > 0.0 && stream.random::<f64>() < p
}

/// A uniform draw in [0, 1).
#[inline]
pub fn unit(stream: &mut Stream) -> f64 {
    stream.random::<f64>()
}

/// A uniform index below `n`, which must be positive.
#[inline]
pub fn index_below(stream: &mut Stream, n: usize) -> usize {
    stream.random_range(0..n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Duration;

    fn mean_of(sampler: &Sampler, n: usize) -> f64 {
        let mut s = stream(7, "test");
        (0..n).map(|_| sampler.sample(&mut s) as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn streams_differ_by_name_and_seed() {
        let payments = unit(&mut stream(1, "payments"));
        let orders = unit(&mut stream(1, "orders"));
        let other_seed = unit(&mut stream(2, "payments"));
        let again = unit(&mut stream(1, "payments"));
        assert_ne!(payments, orders);
        assert_ne!(payments, other_seed);
        assert_eq!(payments, again);
    }

    #[test]
    fn sampler_means_match_parameters() {
        let n = 200_000;
        let cases = [
            (
                Distribution::Exponential {
                    mean: Duration::from_millis(10),
                },
                10e6,
            ),
            (
                Distribution::Uniform {
                    min: Duration::from_millis(20),
                    max: Duration::from_millis(80),
                },
                50e6,
            ),
            (
                Distribution::Erlang {
                    k: 3,
                    mean: Duration::from_millis(15),
                },
                15e6,
            ),
            (
                Distribution::Lognormal(Lognormal::MeanP99 {
                    mean: Duration::from_millis(120),
                    p99: Duration::from_millis(600),
                }),
                120e6,
            ),
        ];
        for (distribution, expected) in cases {
            let sampler = Sampler::new(&distribution).expect("valid distribution");
            let mean = mean_of(&sampler, n);
            // Coefficients of variation are at most about 1.1 here, so 4 standard errors
            // of the mean are below 1.1% of it at this sample size.
            assert!(
                (mean - expected).abs() < 0.011 * expected,
                "{distribution:?}: mean {mean}, expected {expected}"
            );
        }
    }

    #[test]
    fn empirical_respects_weights() {
        let distribution = Distribution::Empirical {
            values: vec![Duration::from_millis(1), Duration::from_millis(3)],
            weights: Some(vec![3.0, 1.0]),
        };
        let sampler = Sampler::new(&distribution).expect("valid distribution");
        let mean = mean_of(&sampler, 100_000);
        assert!((mean - 1.5e6).abs() < 0.02e6, "mean {mean}");
    }

    #[test]
    fn pareto_is_at_least_scale() {
        let sampler = Sampler::new(&Distribution::Pareto {
            scale: Duration::from_millis(5),
            shape: 1.5,
        })
        .expect("valid");
        let mut s = stream(3, "pareto");
        assert!((0..10_000).all(|_| sampler.sample(&mut s) >= 5_000_000));
    }
}
