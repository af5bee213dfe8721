//! Checks the reference formulas in `common::theory` against hand-computed and
//! published values and against independent computations, and checks the
//! sample-size-based tolerance helpers in `common` on synthetic data.
//!
//! The synthetic data come from a seeded `SplitMix64` generator, so every run
//! draws the same numbers and a test that passes cannot flake.

use crate::common::theory;
use crate::common::{
    CONFIDENCE_99_9, Z_99_9, assert_within, batch_means, binomial_half_width,
    empirical_cdf_batch_means, empirical_quantile, quantile_standard_error, student_t_critical,
};

/// Relative tolerance for formula checks, which differ only by floating-point
/// rounding.
const ROUNDING: f64 = 1e-12;

#[track_caller]
fn assert_close(name: &str, actual: f64, expected: f64, relative_tolerance: f64) {
    let allowed = relative_tolerance * expected.abs().max(f64::MIN_POSITIVE);
    assert!(
        (actual - expected).abs() <= allowed,
        "{name}: got {actual}, expected {expected} within relative {relative_tolerance}"
    );
}

/// `SplitMix64` generator, small enough to keep the synthetic data independent of
/// the crate's random number generators.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a uniform value in [0, 1) with 53 random bits.
    fn next_uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// Draws an exponential value with `rate` by inverting the CDF.
    fn next_exponential(&mut self, rate: f64) -> f64 {
        -(-self.next_uniform()).ln_1p() / rate
    }
}

fn exponential_samples(seed: u64, rate: f64, count: usize) -> Vec<f64> {
    let mut generator = SplitMix64::new(seed);
    (0..count)
        .map(|_| generator.next_exponential(rate))
        .collect()
}

/// Simulates the sojourn times of `customers` FCFS M/M/1 customers with the
/// Lindley recursion `W_{n+1} = max(0, W_n + S_n - A_{n+1})`, after discarding
/// `warm_up` customers that start from an empty system.
fn lindley_mm1_sojourns(
    seed: u64,
    lambda: f64,
    mu: f64,
    warm_up: usize,
    customers: usize,
) -> Vec<f64> {
    let mut generator = SplitMix64::new(seed);
    let mut wait = 0.0;
    let mut sojourns = Vec::with_capacity(customers);
    for index in 0..warm_up + customers {
        let service = generator.next_exponential(mu);
        if index >= warm_up {
            sojourns.push(wait + service);
        }
        let interarrival = generator.next_exponential(lambda);
        wait = f64::max(0.0, wait + service - interarrival);
    }
    sojourns
}

/// Erlang C from its direct sum, `(a^c/c!) (c/(c - a))` over
/// `sum_{k<c} a^k/k! + (a^c/c!) (c/(c - a))`, independent of the Erlang B recursion.
fn erlang_c_direct_sum(servers: u32, offered_load: f64) -> f64 {
    let mut term = 1.0;
    let mut sum_below = 0.0;
    for k in 0..servers {
        sum_below += term;
        term *= offered_load / f64::from(k + 1);
    }
    let server_count = f64::from(servers);
    let waiting_term = term * server_count / (server_count - offered_load);
    waiting_term / (sum_below + waiting_term)
}

/// Erlang B from its direct sum `(a^c/c!) / sum_{k<=c} a^k/k!`.
fn erlang_b_direct_sum(servers: u32, offered_load: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=servers {
        term *= offered_load / f64::from(k);
        sum += term;
    }
    term / sum
}

/// Standard normal probability `P(|Z| <= z)` by composite Simpson's rule on the density.
fn normal_two_sided_coverage(z: f64) -> f64 {
    let intervals = 20_000;
    let step = z / f64::from(intervals);
    let density = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mut sum = density(0.0) + density(z);
    for i in 1..intervals {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * density(f64::from(i) * step);
    }
    2.0 * sum * step / 3.0
}

const SERVER_LOAD_CASES: [(u32, f64); 6] = [
    (1, 0.5),
    (2, 1.5),
    (4, 3.2),
    (10, 6.0),
    (20, 19.5),
    (50, 45.0),
];

#[test]
fn splitmix64_matches_reference_outputs() {
    // First outputs of the reference SplitMix64 from seed 0.
    let mut generator = SplitMix64::new(0);
    for expected in [
        0xE220_A839_7B1D_CDAF,
        0x6E78_9E6A_A1B9_65F4,
        0x06C4_5D18_8009_454F,
    ] {
        let output = generator.next_u64();
        assert!(
            output == expected,
            "output {output:#018x}, expected {expected:#018x}"
        );
    }
}

// M/M/1

#[test]
fn mm1_hand_computed_means() {
    assert_close("W", theory::mm1_mean_sojourn(0.8, 1.0), 5.0, ROUNDING);
    assert_close("Wq", theory::mm1_mean_wait(0.8, 1.0), 4.0, ROUNDING);
}

#[test]
fn mm1_sojourn_median_is_ln2_scaled() {
    let median = theory::mm1_sojourn_quantile(0.8, 1.0, 0.5);
    assert_close(
        "median sojourn",
        median,
        5.0 * std::f64::consts::LN_2,
        ROUNDING,
    );
}

#[test]
fn mm1_sojourn_quantile_inverts_cdf() {
    let (lambda, mu) = (3.0, 4.0);
    for p in [1e-6, 0.1, 0.5, 0.9, 0.99, 0.999] {
        let quantile = theory::mm1_sojourn_quantile(lambda, mu, p);
        let cdf = 1.0 - (-(mu - lambda) * quantile).exp();
        assert_close(&format!("F(q_{p})"), cdf, p, 1e-9);
    }
}

#[test]
fn mm1_sojourn_density_at_quantile() {
    let (lambda, mu, p) = (3.0, 4.0, 0.9);
    let quantile = theory::mm1_sojourn_quantile(lambda, mu, p);
    let density = theory::mm1_sojourn_density(lambda, mu, quantile);
    assert_close("f(q_0.9)", density, (mu - lambda) * (1.0 - p), 1e-9);
}

#[test]
fn mm1_wait_quantile_zero_within_atom() {
    // With rho = 0.5, half of the arrivals find the server idle and wait 0.
    for p in [0.1, 0.3, 0.5] {
        let quantile = theory::mm1_wait_quantile(0.5, 1.0, p);
        assert!(
            quantile == 0.0,
            "Wq quantile at p = {p} is {quantile}, expected 0"
        );
    }
}

#[test]
fn mm1_wait_quantile_inverts_tail() {
    let (lambda, mu) = (0.5, 1.0);
    for p in [0.6, 0.9, 0.99, 0.999] {
        let quantile = theory::mm1_wait_quantile(lambda, mu, p);
        let tail = (lambda / mu) * (-(mu - lambda) * quantile).exp();
        assert_close(&format!("P(Wq > q_{p})"), tail, 1.0 - p, 1e-9);
    }
}

#[test]
fn mm1_wait_density_scales_sojourn_density() {
    let (lambda, mu, t) = (0.5, 1.0, 2.0);
    let wait_density = theory::mm1_wait_density(lambda, mu, t);
    let sojourn_density = theory::mm1_sojourn_density(lambda, mu, t);
    assert_close(
        "f_Wq(t) / f_W(t)",
        wait_density / sojourn_density,
        lambda / mu,
        ROUNDING,
    );
}

#[test]
#[should_panic(expected = "queue is unstable")]
fn mm1_rejects_unstable_load() {
    theory::mm1_mean_sojourn(1.0, 1.0);
}

// M/M/c

#[test]
fn erlang_c_four_servers_known_value() {
    // Four servers at offered load 3.2 Erlangs (rho = 0.8). The Erlang B steps by hand
    // are 0.7619, 0.5494, 0.3695 and 0.2281, so C = 0.2281 / (1 - 0.8 * 0.7719) = 0.5964.
    assert_within(
        "C(4, 3.2)",
        theory::erlang_c(4, 3.2),
        0.5964,
        5e-5,
        "four-digit hand computation",
    );
}

#[test]
fn erlang_c_matches_direct_sum() {
    for (servers, load) in SERVER_LOAD_CASES {
        let expected = erlang_c_direct_sum(servers, load);
        assert_close(
            &format!("C({servers}, {load})"),
            theory::erlang_c(servers, load),
            expected,
            1e-10,
        );
    }
}

#[test]
fn erlang_b_matches_direct_sum() {
    // The loss system is stable at any load, so include loads above the server count.
    let overloaded = [(3, 5.0), (10, 30.0)];
    for (servers, load) in SERVER_LOAD_CASES.into_iter().chain(overloaded) {
        let expected = erlang_b_direct_sum(servers, load);
        assert_close(
            &format!("B({servers}, {load})"),
            theory::erlang_b(servers, load),
            expected,
            1e-10,
        );
    }
}

#[test]
fn erlang_c_single_server_equals_utilization() {
    for load in [0.1, 0.5, 0.99] {
        assert_close(
            &format!("C(1, {load})"),
            theory::erlang_c(1, load),
            load,
            ROUNDING,
        );
    }
}

#[test]
fn mmc_single_server_matches_mm1() {
    let (lambda, mu) = (0.7, 1.0);
    assert_close(
        "Wq",
        theory::mmc_mean_wait(lambda, mu, 1),
        theory::mm1_mean_wait(lambda, mu),
        ROUNDING,
    );
    assert_close(
        "W",
        theory::mmc_mean_sojourn(lambda, mu, 1),
        theory::mm1_mean_sojourn(lambda, mu),
        ROUNDING,
    );
    assert_close(
        "Wq quantile",
        theory::mmc_wait_quantile(lambda, mu, 1, 0.95),
        theory::mm1_wait_quantile(lambda, mu, 0.95),
        1e-10,
    );
}

#[test]
fn mmc_four_servers_hand_computed_wait() {
    // Wq = C / (c mu - lambda) = C(4, 3.2) / 0.8.
    let expected = erlang_c_direct_sum(4, 3.2) / 0.8;
    assert_close("Wq", theory::mmc_mean_wait(3.2, 1.0, 4), expected, 1e-10);
    assert_close(
        "W",
        theory::mmc_mean_sojourn(3.2, 1.0, 4),
        expected + 1.0,
        1e-10,
    );
}

#[test]
fn mmc_wait_quantile_inverts_tail() {
    let (lambda, mu, servers) = (3.2, 1.0, 4);
    let waiting_probability = erlang_c_direct_sum(servers, lambda / mu);
    for p in [0.5, 0.9, 0.99] {
        let quantile = theory::mmc_wait_quantile(lambda, mu, servers, p);
        let tail = waiting_probability * (-(4.0 * mu - lambda) * quantile).exp();
        assert_close(&format!("P(Wq > q_{p})"), tail, 1.0 - p, 1e-9);
    }
}

#[test]
fn mmc_wait_quantile_zero_within_atom() {
    // C(4, 3.2) is about 0.596, so about 40% of arrivals do not wait.
    let quantile = theory::mmc_wait_quantile(3.2, 1.0, 4, 0.4);
    assert!(
        quantile == 0.0,
        "Wq quantile at p = 0.4 is {quantile}, expected 0"
    );
}

#[test]
#[should_panic(expected = "queue is unstable")]
fn mmc_rejects_unstable_load() {
    theory::mmc_mean_wait(4.0, 1.0, 4);
}

// M/G/1 and M/D/1

#[test]
fn md1_wait_is_half_of_mm1() {
    let mu = 2.0;
    for rho in [0.1, 0.5, 0.8, 0.95] {
        let lambda = rho * mu;
        let half_mm1 = 0.5 * theory::mm1_mean_wait(lambda, mu);
        assert_close(
            &format!("M/D/1 Wq at rho {rho}"),
            theory::md1_mean_wait(lambda, 1.0 / mu),
            half_mm1,
            1e-10,
        );
    }
}

#[test]
fn md1_sojourn_adds_service_time() {
    // rho = 0.5 and D = 1, so Wq = rho D / (2 (1 - rho)) = 0.5.
    assert_close("W", theory::md1_mean_sojourn(0.5, 1.0), 1.5, ROUNDING);
}

#[test]
fn mg1_exponential_service_matches_mm1() {
    // Exponential service with rate mu has E[S^2] = 2 / mu^2.
    let (lambda, mu) = (1.5, 2.0);
    let second_moment = 2.0 / (mu * mu);
    assert_close(
        "Wq",
        theory::mg1_mean_wait(lambda, 1.0 / mu, second_moment),
        theory::mm1_mean_wait(lambda, mu),
        1e-10,
    );
    assert_close(
        "W",
        theory::mg1_mean_sojourn(lambda, 1.0 / mu, second_moment),
        theory::mm1_mean_sojourn(lambda, mu),
        1e-10,
    );
}

#[test]
#[should_panic(expected = "variance is never negative")]
fn mg1_rejects_impossible_second_moment() {
    theory::mg1_mean_wait(0.5, 1.0, 0.5);
}

// M/M/1/K and M/M/c/K

#[test]
fn mm1k_uniform_at_unit_load() {
    // At rho = 1 the K + 1 = 5 states are equally likely.
    let (lambda, mu, capacity) = (1.0, 1.0, 4);
    assert_close(
        "P_K",
        theory::mm1k_blocking_probability(lambda, mu, capacity),
        0.2,
        ROUNDING,
    );
    assert_close(
        "L",
        theory::mm1k_mean_in_system(lambda, mu, capacity),
        2.0,
        ROUNDING,
    );
    assert_close(
        "lambda_eff",
        theory::mm1k_effective_arrival_rate(lambda, mu, capacity),
        0.8,
        ROUNDING,
    );
    assert_close(
        "W",
        theory::mm1k_mean_sojourn(lambda, mu, capacity),
        2.5,
        ROUNDING,
    );
}

#[test]
fn mm1k_matches_closed_form() {
    let capacity = 5;
    let k = f64::from(capacity);
    for rho in [0.5_f64, 2.0] {
        let blocking = rho.powf(k) * (1.0 - rho) / (1.0 - rho.powf(k + 1.0));
        let mean_in_system =
            rho / (1.0 - rho) - (k + 1.0) * rho.powf(k + 1.0) / (1.0 - rho.powf(k + 1.0));
        assert_close(
            &format!("P_K at rho {rho}"),
            theory::mm1k_blocking_probability(rho, 1.0, capacity),
            blocking,
            1e-10,
        );
        assert_close(
            &format!("L at rho {rho}"),
            theory::mm1k_mean_in_system(rho, 1.0, capacity),
            mean_in_system,
            1e-10,
        );
    }
}

#[test]
fn mm1k_blocking_continuous_near_unit_load() {
    let capacity = 10;
    let at_unit_load = 1.0 / 11.0;
    for rho in [1.0 - 1e-9, 1.0 + 1e-9] {
        let blocking = theory::mm1k_blocking_probability(rho, 1.0, capacity);
        assert_close(&format!("P_K at rho {rho}"), blocking, at_unit_load, 1e-8);
    }
}

#[test]
fn mm1k_large_capacity_limits() {
    // Above unit load the admitted rate lambda (1 - p_K) tends to mu as K grows, so
    // p_K tends to 1 - 1/rho. Below unit load it tends to 0.
    let overloaded = theory::mm1k_blocking_probability(2.0, 1.0, 5_000);
    assert_close("P_K at rho 2", overloaded, 0.5, ROUNDING);

    let underloaded = theory::mm1k_blocking_probability(0.5, 1.0, 5_000);
    assert!(
        underloaded >= 0.0,
        "P_K at rho 0.5 is {underloaded}, expected non-negative"
    );
    assert!(
        underloaded < 1e-300,
        "P_K at rho 0.5 is {underloaded}, expected about 0.5^5000"
    );
}

#[test]
fn mmck_single_server_matches_mm1k() {
    let capacity = 7;
    for rho in [0.3, 1.0, 1.7] {
        assert_close(
            &format!("P_K at rho {rho}"),
            theory::mmck_blocking_probability(rho, 1.0, 1, capacity),
            theory::mm1k_blocking_probability(rho, 1.0, capacity),
            1e-10,
        );
    }
}

#[test]
fn mmck_hand_computed_blocking() {
    // c = 2, K = 3, a = 1: weights 1, 1, 1/2, 1/4 sum to 11/4, so p_3 = 1/11.
    assert_close(
        "p_3",
        theory::mmck_blocking_probability(1.0, 1.0, 2, 3),
        1.0 / 11.0,
        ROUNDING,
    );
    // L = (1 * 1 + 2 * 1/2 + 3 * 1/4) / (11/4) = 1.
    assert_close(
        "L",
        theory::mmck_mean_in_system(1.0, 1.0, 2, 3),
        1.0,
        ROUNDING,
    );
    // W = L / (lambda (1 - p_3)) = 1 / (10/11).
    assert_close(
        "W",
        theory::mmck_mean_sojourn(1.0, 1.0, 2, 3),
        1.1,
        ROUNDING,
    );
}

#[test]
fn mmck_probabilities_sum_to_one() {
    let probabilities = theory::mmck_state_probabilities(30.0, 1.0, 20, 400);
    let total: f64 = probabilities.iter().sum();
    assert!(
        probabilities.len() == 401,
        "expected 401 states, got {}",
        probabilities.len()
    );
    assert_close("sum of p_n", total, 1.0, 1e-12);
}

#[test]
fn mmck_without_queue_matches_erlang_b() {
    // With K = c there is no queue, so the system is the Erlang loss system.
    for (servers, load) in SERVER_LOAD_CASES.into_iter().chain([(2_000, 1_900.0)]) {
        assert_close(
            &format!("p_c with c = {servers}, a = {load}"),
            theory::mmck_blocking_probability(load, 1.0, servers, servers),
            theory::erlang_b(servers, load),
            1e-9,
        );
    }
}

#[test]
fn mmck_large_capacity_matches_mmc() {
    // At rho = 0.8 the probability of reaching 2000 customers is negligible.
    let (lambda, mu, servers) = (3.2, 1.0, 4);
    assert_close(
        "W",
        theory::mmck_mean_sojourn(lambda, mu, servers, 2_000),
        theory::mmc_mean_sojourn(lambda, mu, servers),
        1e-9,
    );
}

// Networks

#[test]
fn tandem_sums_station_sojourns() {
    // 1/(2 - 1) + 1/(3 - 1) + 1/(5 - 1) = 1.75.
    assert_close(
        "W",
        theory::tandem_mm1_mean_sojourn(1.0, &[2.0, 3.0, 5.0]),
        1.75,
        ROUNDING,
    );
}

#[test]
#[should_panic(expected = "queue is unstable")]
fn tandem_rejects_unstable_station() {
    theory::tandem_mm1_mean_sojourn(1.0, &[2.0, 1.0]);
}

// Critical values

#[test]
fn z_constant_gives_99_9_coverage() {
    assert_close(
        "P(|Z| <= z)",
        normal_two_sided_coverage(Z_99_9),
        CONFIDENCE_99_9,
        1e-12,
    );
}

#[test]
fn student_t_one_degree_matches_cauchy() {
    // T with 1 degree of freedom is Cauchy, so t = tan(pi confidence / 2).
    let expected = (std::f64::consts::FRAC_PI_2 * CONFIDENCE_99_9).tan();
    assert_close(
        "t_1",
        student_t_critical(CONFIDENCE_99_9, 1),
        expected,
        1e-9,
    );
}

#[test]
fn student_t_two_degrees_matches_closed_form() {
    // With 2 degrees of freedom P(|T| <= t) = t / sqrt(2 + t^2).
    let squared = CONFIDENCE_99_9 * CONFIDENCE_99_9;
    let expected = (2.0 * squared / (1.0 - squared)).sqrt();
    assert_close(
        "t_2",
        student_t_critical(CONFIDENCE_99_9, 2),
        expected,
        1e-9,
    );
}

#[test]
fn student_t_published_table_values() {
    // Two-sided 0.001 critical values (the 0.9995 quantiles) as printed to three
    // decimals in standard t tables.
    for (degrees_of_freedom, printed) in [
        (10, 4.587),
        (19, 3.883),
        (20, 3.850),
        (29, 3.659),
        (30, 3.646),
    ] {
        let critical = student_t_critical(CONFIDENCE_99_9, degrees_of_freedom);
        assert_within(
            &format!("t_{degrees_of_freedom}"),
            critical,
            printed,
            5e-4,
            "three-decimal table",
        );
    }
}

#[test]
fn student_t_many_degrees_approaches_z() {
    // t - z is about z (z^2 + 1) / (4 nu), which is 1e-5 at nu = 1e6.
    let critical = student_t_critical(CONFIDENCE_99_9, 1_000_000);
    assert_within("t_1e6", critical, Z_99_9, 1e-4, "asymptotic expansion");
}

// Estimators

#[test]
fn batch_means_hand_computed_example() {
    // Three batches of two samples average 1, 3 and 5. The trailing 100 is unused.
    let estimate = batch_means(&[1.0, 1.0, 3.0, 3.0, 5.0, 5.0, 100.0], 3);
    assert_close("mean", estimate.mean, 3.0, ROUNDING);
    // The batch averages have standard deviation 2, so the error is 2 / sqrt(3).
    assert_close(
        "standard error",
        estimate.standard_error,
        2.0 / 3.0_f64.sqrt(),
        ROUNDING,
    );
    assert!(
        estimate.batches == 3,
        "batches is {}, expected 3",
        estimate.batches
    );
    assert!(
        estimate.batch_size == 2,
        "batch size is {}, expected 2",
        estimate.batch_size
    );
    assert!(
        estimate.sample_info() == "3 batches of 2 samples",
        "sample info is {:?}",
        estimate.sample_info()
    );
}

#[test]
fn batch_means_half_width_scales_error() {
    let estimate = batch_means(&[1.0, 1.0, 3.0, 3.0, 5.0, 5.0], 3);
    assert_close(
        "half-width",
        estimate.half_width(2.0),
        4.0 / 3.0_f64.sqrt(),
        ROUNDING,
    );
    let t_half_width = student_t_critical(0.95, 2) * estimate.standard_error;
    assert_close(
        "t half-width",
        estimate.student_t_half_width(0.95),
        t_half_width,
        ROUNDING,
    );
}

#[test]
#[should_panic(expected = "at least 2 batches")]
fn batch_means_rejects_single_batch() {
    batch_means(&[1.0, 2.0], 1);
}

#[test]
#[should_panic(expected = "too few")]
fn batch_means_rejects_short_sample() {
    batch_means(&[1.0, 2.0], 3);
}

#[test]
fn batch_means_covers_exponential_mean() {
    let samples = exponential_samples(1, 2.0, 300_000);
    let estimate = batch_means(&samples, 30);
    assert_within(
        "mean of Exp(2)",
        estimate.mean,
        0.5,
        estimate.student_t_half_width(CONFIDENCE_99_9),
        &estimate.sample_info(),
    );
}

#[test]
fn batch_means_error_matches_iid_error() {
    // For i.i.d. samples the batch-means error estimates sigma / sqrt(n). Its ratio
    // to that value is sqrt(chi^2_29 / 29), with standard deviation about
    // 1 / sqrt(2 * 29), so z times that bounds the ratio at about 99.9%.
    let batches = 30;
    let samples = exponential_samples(2, 2.0, 300_000);
    let estimate = batch_means(&samples, batches);
    let iid_error = 0.5 / (samples.len() as f64).sqrt();
    let ratio_half_width = Z_99_9 / (2.0 * (batches - 1) as f64).sqrt();
    assert_within(
        "batch error / iid error",
        estimate.standard_error / iid_error,
        1.0,
        ratio_half_width,
        &estimate.sample_info(),
    );
}

#[test]
fn binomial_half_width_hand_value() {
    assert_close(
        "half-width",
        binomial_half_width(0.5, 100, 2.0),
        0.1,
        ROUNDING,
    );
}

#[test]
fn binomial_interval_covers_bernoulli_rate() {
    let trials = 200_000;
    let mut generator = SplitMix64::new(3);
    let successes = (0..trials)
        .filter(|_| generator.next_uniform() < 0.05)
        .count();
    let fraction = successes as f64 / trials as f64;
    assert_within(
        "Bernoulli(0.05) fraction",
        fraction,
        0.05,
        binomial_half_width(fraction, trials, Z_99_9),
        &format!("{trials} independent trials"),
    );
}

#[test]
#[expect(
    clippy::float_cmp,
    reason = "a nearest-rank quantile is one of the samples, bit for bit"
)]
fn empirical_quantile_nearest_rank_example() {
    let samples = [35.0, 20.0, 50.0, 15.0, 40.0];
    for (p, expected) in [
        (0.05, 15.0),
        (0.3, 20.0),
        (0.4, 20.0),
        (0.5, 35.0),
        (1.0, 50.0),
    ] {
        let quantile = empirical_quantile(&samples, p);
        assert!(
            quantile == expected,
            "quantile at p = {p} is {quantile}, expected {expected}"
        );
    }
}

#[test]
#[expect(
    clippy::float_cmp,
    reason = "a nearest-rank quantile is one of the samples, bit for bit"
)]
fn empirical_quantile_exact_decimal_rank() {
    // In f64, 0.07 * 100 is 7.000000000000001, but the nearest rank is 7.
    let samples: Vec<f64> = (1..=100).map(f64::from).collect();
    for (p, expected) in [(0.07, 7.0), (0.14, 14.0), (0.55, 55.0), (0.5, 50.0)] {
        let quantile = empirical_quantile(&samples, p);
        assert!(
            quantile == expected,
            "quantile at p = {p} is {quantile}, expected {expected}"
        );
    }
}

#[test]
fn quantile_standard_error_hand_value() {
    // sqrt(0.25 / 100) / 0.5 = 0.1.
    assert_close(
        "standard error",
        quantile_standard_error(0.5, 100, 0.5),
        0.1,
        ROUNDING,
    );
}

#[test]
fn empirical_quantile_covers_exponential_quantile() {
    let (rate, p, count) = (1.0, 0.99_f64, 200_000);
    let samples = exponential_samples(4, rate, count);
    let expected = -(-p).ln_1p() / rate;
    let density = rate * (1.0 - p);
    let half_width = Z_99_9 * quantile_standard_error(p, count, density);
    assert_within(
        "0.99-quantile of Exp(1)",
        empirical_quantile(&samples, p),
        expected,
        half_width,
        &format!("{count} i.i.d. samples"),
    );
}

#[test]
fn empirical_cdf_covers_exponential_quantile() {
    let (rate, p) = (1.0, 0.9_f64);
    let samples = exponential_samples(5, rate, 300_000);
    let quantile = -(-p).ln_1p() / rate;
    let fraction = empirical_cdf_batch_means(&samples, quantile, 30);
    assert_within(
        "F_hat(q_0.9) of Exp(1)",
        fraction.mean,
        p,
        fraction.student_t_half_width(CONFIDENCE_99_9),
        &fraction.sample_info(),
    );
}

// Estimators on autocorrelated queue output

#[test]
fn lindley_mm1_mean_sojourn_within_interval() {
    let (lambda, mu) = (0.5, 1.0);
    let sojourns = lindley_mm1_sojourns(6, lambda, mu, 10_000, 1_000_000);
    let estimate = batch_means(&sojourns, 25);
    assert_within(
        "M/M/1 mean sojourn",
        estimate.mean,
        theory::mm1_mean_sojourn(lambda, mu),
        estimate.student_t_half_width(CONFIDENCE_99_9),
        &estimate.sample_info(),
    );
}

#[test]
fn lindley_mm1_sojourn_quantile_within_interval() {
    let (lambda, mu, p) = (0.5, 1.0, 0.95);
    let sojourns = lindley_mm1_sojourns(7, lambda, mu, 10_000, 1_000_000);
    let quantile = theory::mm1_sojourn_quantile(lambda, mu, p);
    let fraction = empirical_cdf_batch_means(&sojourns, quantile, 25);
    assert_within(
        "M/M/1 F_hat(q_0.95)",
        fraction.mean,
        p,
        fraction.student_t_half_width(CONFIDENCE_99_9),
        &fraction.sample_info(),
    );
}

#[test]
fn lindley_batch_error_exceeds_iid_error() {
    // Successive sojourn times are positively correlated, which is why the tests
    // use batch means instead of s / sqrt(n). With this seed the ratio of the two
    // errors is about 3.6, so the bound 1.5 leaves a wide margin.
    let sojourns = lindley_mm1_sojourns(8, 0.5, 1.0, 10_000, 1_000_000);
    let estimate = batch_means(&sojourns, 25);
    let mean = estimate.mean;
    let variance =
        sojourns.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (sojourns.len() - 1) as f64;
    let iid_error = (variance / sojourns.len() as f64).sqrt();
    assert!(
        estimate.standard_error > 1.5 * iid_error,
        "batch-means error {} is not clearly above the i.i.d. error {iid_error}",
        estimate.standard_error
    );
}

// Assertion helper

#[test]
fn assert_within_accepts_inside() {
    assert_within("x", 1.05, 1.0, 0.1, "test values");
}

#[test]
#[should_panic(expected = "x: observed 1.2 differs from expected 1 by")]
fn assert_within_rejects_outside() {
    assert_within("x", 1.2, 1.0, 0.1, "test values");
}

#[test]
#[should_panic(expected = "(30 batches of 1000 samples)")]
fn assert_within_names_sample_size() {
    assert_within("x", 2.0, 1.0, 0.1, "30 batches of 1000 samples");
}

#[test]
#[should_panic(expected = "more than the allowed half-width")]
fn assert_within_rejects_nan() {
    assert_within("x", f64::NAN, 1.0, 0.1, "test values");
}

#[test]
#[should_panic(expected = "half-width must be finite")]
fn assert_within_rejects_negative_half_width() {
    assert_within("x", 1.0, 1.0, -0.1, "test values");
}
