//! Steady-state results of queueing theory that the accuracy tests compare
//! simulated output against.
//!
//! Times are in seconds and rates are per second, although every formula is valid
//! in any unit as long as times and rates use the same one. `lambda` is the
//! Poisson arrival rate and `mu` the exponential service rate of one server.
//! Service is first-come, first-served (FCFS). All results describe steady
//! state, so a simulation must discard its warm-up period before comparing.
//!
//! Each function panics when its arguments lie outside the model's domain, for
//! example a load at which a queue with unlimited capacity is unstable.

/// Panics unless `rate` is positive and finite.
fn check_rate(name: &str, rate: f64) {
    assert!(
        rate.is_finite() && rate > 0.0,
        "{name} must be positive and finite, got {rate}"
    );
}

/// Panics unless `probability` is strictly between 0 and 1.
fn check_open_probability(probability: f64) {
    assert!(
        probability > 0.0 && probability < 1.0,
        "probability must be in (0, 1), got {probability}"
    );
}

/// Panics unless arrival rate `lambda` is below `capacity_rate`, the total
/// service rate, which an unlimited queue needs to reach steady state.
fn check_stable(lambda: f64, capacity_rate: f64) {
    check_rate("arrival rate", lambda);
    check_rate("service rate", capacity_rate);
    assert!(
        lambda < capacity_rate,
        "queue is unstable: arrival rate {lambda} must be below the total service rate \
         {capacity_rate}"
    );
}

// M/M/1

/// Returns the M/M/1 mean sojourn time `W = 1/(mu - lambda)`, from the stationary
/// distribution `p_n = (1 - rho) rho^n` and Little's law.
pub fn mm1_mean_sojourn(lambda: f64, mu: f64) -> f64 {
    check_stable(lambda, mu);
    1.0 / (mu - lambda)
}

/// Returns the M/M/1 mean wait in queue `Wq = rho/(mu - lambda)`, which is the
/// mean sojourn time minus the mean service time `1/mu`.
pub fn mm1_mean_wait(lambda: f64, mu: f64) -> f64 {
    check_stable(lambda, mu);
    (lambda / mu) / (mu - lambda)
}

/// Returns the p-quantile `q_p = -ln(1 - p)/(mu - lambda)` of the FCFS M/M/1
/// sojourn time, because that sojourn time is exponential with rate `mu - lambda`.
pub fn mm1_sojourn_quantile(lambda: f64, mu: f64, p: f64) -> f64 {
    check_stable(lambda, mu);
    check_open_probability(p);
    // ln_1p keeps -ln(1 - p) accurate for small p.
    -(-p).ln_1p() / (mu - lambda)
}

/// Returns the density `(mu - lambda) e^{-(mu - lambda) t}` of the FCFS M/M/1
/// sojourn time at `t` seconds.
pub fn mm1_sojourn_density(lambda: f64, mu: f64, t: f64) -> f64 {
    check_stable(lambda, mu);
    if t < 0.0 {
        return 0.0;
    }
    let decay_rate = mu - lambda;
    decay_rate * (-decay_rate * t).exp()
}

/// Returns the p-quantile of the FCFS M/M/1 wait in queue, which inverts
/// `P(Wq > t) = rho e^{-(mu - lambda) t}`.
///
/// The wait is 0 with probability `1 - rho`, so any `p <= 1 - rho` returns 0.
pub fn mm1_wait_quantile(lambda: f64, mu: f64, p: f64) -> f64 {
    check_stable(lambda, mu);
    check_open_probability(p);
    let rho = lambda / mu;
    if p <= 1.0 - rho {
        return 0.0;
    }
    (rho / (1.0 - p)).ln() / (mu - lambda)
}

/// Returns the density `rho (mu - lambda) e^{-(mu - lambda) t}` of the FCFS M/M/1
/// wait in queue at `t` > 0 seconds, excluding the atom of mass `1 - rho` at 0.
pub fn mm1_wait_density(lambda: f64, mu: f64, t: f64) -> f64 {
    check_stable(lambda, mu);
    if t <= 0.0 {
        return 0.0;
    }
    let decay_rate = mu - lambda;
    (lambda / mu) * decay_rate * (-decay_rate * t).exp()
}

// M/M/c

/// Returns the Erlang B blocking probability `B(c, a)` of an M/M/c/c loss system,
/// where `offered_load` is `a = lambda/mu` in Erlangs.
///
/// It uses the recursion `B(0) = 1`, `B(k) = a B(k-1) / (k + a B(k-1))`, which
/// avoids the overflow of `a^c` and `c!` in the direct sum and keeps every step in [0, 1].
pub fn erlang_b(servers: u32, offered_load: f64) -> f64 {
    check_rate("offered load", offered_load);
    let mut blocking = 1.0;
    for k in 1..=servers {
        let scaled = offered_load * blocking;
        blocking = scaled / (f64::from(k) + scaled);
    }
    blocking
}

/// Returns the Erlang C probability `C(c, a)` that an M/M/c arrival waits, computed
/// from Erlang B as `C = c B / (c - a (1 - B))`, with `offered_load` `a = lambda/mu < c`.
pub fn erlang_c(servers: u32, offered_load: f64) -> f64 {
    assert!(servers >= 1, "an M/M/c queue needs at least one server");
    let server_count = f64::from(servers);
    check_rate("offered load", offered_load);
    assert!(
        offered_load < server_count,
        "queue is unstable: offered load {offered_load} Erlangs must be below the number \
         of servers {servers}"
    );
    let blocking = erlang_b(servers, offered_load);
    server_count * blocking / (server_count - offered_load * (1.0 - blocking))
}

/// Returns the M/M/c mean wait in queue `Wq = C(c, a)/(c mu - lambda)`, the Erlang C
/// waiting probability times the mean wait of those who wait.
pub fn mmc_mean_wait(lambda: f64, mu: f64, servers: u32) -> f64 {
    check_rate("service rate", mu);
    let total_rate = f64::from(servers) * mu;
    erlang_c(servers, lambda / mu) / (total_rate - lambda)
}

/// Returns the M/M/c mean sojourn time `W = Wq + 1/mu`.
pub fn mmc_mean_sojourn(lambda: f64, mu: f64, servers: u32) -> f64 {
    mmc_mean_wait(lambda, mu, servers) + 1.0 / mu
}

/// Returns the p-quantile of the FCFS M/M/c wait in queue, which inverts
/// `P(Wq > t) = C(c, a) e^{-(c mu - lambda) t}`.
///
/// The wait is 0 with probability `1 - C(c, a)`, so any smaller p returns 0.
pub fn mmc_wait_quantile(lambda: f64, mu: f64, servers: u32, p: f64) -> f64 {
    check_rate("service rate", mu);
    check_open_probability(p);
    let waiting_probability = erlang_c(servers, lambda / mu);
    if p <= 1.0 - waiting_probability {
        return 0.0;
    }
    let total_rate = f64::from(servers) * mu;
    (waiting_probability / (1.0 - p)).ln() / (total_rate - lambda)
}

// M/G/1 and M/D/1

/// Returns the M/G/1 mean wait in queue from the Pollaczek–Khinchine formula
/// `Wq = lambda E[S^2] / (2 (1 - rho))`, with `rho = lambda E[S]`.
///
/// `mean_service` is `E[S]` in seconds and `service_second_moment` is `E[S^2]` in
/// seconds squared, which is `Var[S] + E[S]^2`.
pub fn mg1_mean_wait(lambda: f64, mean_service: f64, service_second_moment: f64) -> f64 {
    check_rate("mean service time", mean_service);
    check_stable(lambda, 1.0 / mean_service);
    assert!(
        service_second_moment >= mean_service * mean_service,
        "service second moment {service_second_moment} must be at least the squared mean \
         {mean_service}^2, because the variance is never negative"
    );
    let rho = lambda * mean_service;
    lambda * service_second_moment / (2.0 * (1.0 - rho))
}

/// Returns the M/G/1 mean sojourn time `W = Wq + E[S]`, with `Wq` from the
/// Pollaczek–Khinchine formula.
pub fn mg1_mean_sojourn(lambda: f64, mean_service: f64, service_second_moment: f64) -> f64 {
    mg1_mean_wait(lambda, mean_service, service_second_moment) + mean_service
}

/// Returns the M/D/1 mean wait in queue, the Pollaczek–Khinchine formula with
/// `E[S^2] = D^2`, so `Wq = rho D / (2 (1 - rho))` for a constant `service_time` D.
pub fn md1_mean_wait(lambda: f64, service_time: f64) -> f64 {
    mg1_mean_wait(lambda, service_time, service_time * service_time)
}

/// Returns the M/D/1 mean sojourn time `W = Wq + D`.
pub fn md1_mean_sojourn(lambda: f64, service_time: f64) -> f64 {
    md1_mean_wait(lambda, service_time) + service_time
}

// M/M/1/K and M/M/c/K. The capacity K counts every customer in the system,
// including those in service, and arrivals that find K customers are lost.

/// Returns the M/M/1/K blocking probability `p_K = rho^K (1 - rho)/(1 - rho^{K+1})`,
/// or `1/(K + 1)` at rho = 1, from the truncated geometric stationary distribution.
///
/// Because arrivals are Poisson, `p_K` is both the fraction of time the system is
/// full and the fraction of arrivals that are lost.
pub fn mm1k_blocking_probability(lambda: f64, mu: f64, capacity: u32) -> f64 {
    check_rate("arrival rate", lambda);
    check_rate("service rate", mu);
    assert!(capacity >= 1, "capacity must be at least 1");
    // With x = ln(rho), the formula equals expm1(x) / (expm1(x) - expm1(-K x)).
    // For large K it tends to the right limit (0, or 1 - 1/rho when rho > 1) where
    // the textbook form gives inf/inf. Unlike 1 - rho^{K+1}, it also keeps full
    // precision when rho is close to 1.
    let log_rho = (lambda / mu).ln();
    if log_rho == 0.0 {
        return 1.0 / (f64::from(capacity) + 1.0);
    }
    let numerator = log_rho.exp_m1();
    numerator / (numerator - (-f64::from(capacity) * log_rho).exp_m1())
}

/// Returns the M/M/1/K mean number in system `L = sum n p_n` over the stationary
/// distribution, which is `K/2` at rho = 1.
pub fn mm1k_mean_in_system(lambda: f64, mu: f64, capacity: u32) -> f64 {
    mmck_mean_in_system(lambda, mu, 1, capacity)
}

/// Returns the M/M/1/K rate of admitted arrivals `lambda (1 - p_K)`.
pub fn mm1k_effective_arrival_rate(lambda: f64, mu: f64, capacity: u32) -> f64 {
    lambda * (1.0 - mm1k_blocking_probability(lambda, mu, capacity))
}

/// Returns the M/M/1/K mean sojourn time of admitted customers, `L / (lambda (1 - p_K))`
/// by Little's law.
pub fn mm1k_mean_sojourn(lambda: f64, mu: f64, capacity: u32) -> f64 {
    mm1k_mean_in_system(lambda, mu, capacity) / mm1k_effective_arrival_rate(lambda, mu, capacity)
}

/// Returns the M/M/c/K stationary distribution `p_0 ..= p_K` of the number in system,
/// from the birth–death balance `p_n = p_{n-1} lambda / (min(n, c) mu)`.
///
/// The weights are accumulated as logarithms and normalized by their maximum, so
/// that `a^n/n!` cannot overflow for large K or heavy load.
pub fn mmck_state_probabilities(lambda: f64, mu: f64, servers: u32, capacity: u32) -> Vec<f64> {
    check_rate("arrival rate", lambda);
    check_rate("service rate", mu);
    assert!(servers >= 1, "an M/M/c/K queue needs at least one server");
    assert!(
        capacity >= servers,
        "capacity {capacity} must be at least the number of servers {servers}"
    );

    let log_load = (lambda / mu).ln();
    let mut log_weights = Vec::with_capacity(capacity as usize + 1);
    let mut log_weight = 0.0;
    log_weights.push(log_weight);
    for n in 1..=capacity {
        log_weight += log_load - f64::from(n.min(servers)).ln();
        log_weights.push(log_weight);
    }

    let max_log_weight = log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = log_weights
        .iter()
        .map(|log_weight| (log_weight - max_log_weight).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|weight| weight / total).collect()
}

/// Returns the M/M/c/K blocking probability `p_K`, which, because arrivals are
/// Poisson, is also the fraction of arrivals that are lost.
pub fn mmck_blocking_probability(lambda: f64, mu: f64, servers: u32, capacity: u32) -> f64 {
    let probabilities = mmck_state_probabilities(lambda, mu, servers, capacity);
    probabilities[probabilities.len() - 1]
}

/// Returns the M/M/c/K mean number in system `L = sum n p_n`.
pub fn mmck_mean_in_system(lambda: f64, mu: f64, servers: u32, capacity: u32) -> f64 {
    mmck_state_probabilities(lambda, mu, servers, capacity)
        .iter()
        .enumerate()
        .map(|(n, probability)| n as f64 * probability)
        .sum()
}

/// Returns the M/M/c/K mean sojourn time of admitted customers, `L / (lambda (1 - p_K))`
/// by Little's law.
pub fn mmck_mean_sojourn(lambda: f64, mu: f64, servers: u32, capacity: u32) -> f64 {
    let admitted_rate = lambda * (1.0 - mmck_blocking_probability(lambda, mu, servers, capacity));
    mmck_mean_in_system(lambda, mu, servers, capacity) / admitted_rate
}

// Networks

/// Returns the end-to-end mean sojourn time `sum 1/(mu_i - lambda)` of an open
/// tandem of M/M/1 stations, because by Jackson's theorem each station behaves
/// as an independent M/M/1 queue with arrival rate lambda.
pub fn tandem_mm1_mean_sojourn(lambda: f64, service_rates: &[f64]) -> f64 {
    assert!(
        !service_rates.is_empty(),
        "a tandem needs at least one station"
    );
    service_rates
        .iter()
        .map(|&mu| mm1_mean_sojourn(lambda, mu))
        .sum()
}
