//! The settings of a call site, a client or a call step: timeout, deadline, retry
//! policy with its error kinds, retry budget, circuit breaker and bulkhead.

use egui::{Id, Ui};

use crate::metrics::recorder::ErrorKind;
use crate::scenario::breaker::{
    DEFAULT_FAILURE_RATE_THRESHOLD, DEFAULT_MINIMUM_NUMBER_OF_CALLS,
    DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE, DEFAULT_SLIDING_WINDOW_SIZE,
    DEFAULT_SLOW_CALL_DURATION_THRESHOLD, DEFAULT_SLOW_CALL_RATE_THRESHOLD,
    DEFAULT_WAIT_DURATION_IN_OPEN_STATE, MAX_SLIDING_WINDOW_CALLS, MAX_SLIDING_WINDOW_SECONDS,
};
use crate::scenario::retries::error_kind_name;
use crate::scenario::{
    Backoff, Bulkhead, CallStep, CircuitBreaker, Client, Duration, Jitter, RetryBudget,
    RetryPolicy, SlidingWindowSize, SlidingWindowType,
};

use super::fields::{
    Messages, amount_ui, choice_ui, count_ui, defaulted_ui, duration_ui, field_ui, labelled_ui,
    optional_field_ui, optional_section_ui, percent_ui, real_ui,
};
use super::{MAX_ATTEMPTS, MAX_WORKERS};

/// Largest `min_retry_concurrency` of a retry budget, as the reader allows.
const MAX_RETRY_CONCURRENCY: u32 = 1_000_000;

/// The settings that every synchronous call site has, borrowed from a client or a call.
pub struct CallSite<'a> {
    /// Time to wait for each attempt.
    pub timeout: &'a mut Option<Duration>,
    /// Overall time for the call and its retries.
    pub deadline: &'a mut Option<Duration>,
    /// What to do after a failed attempt.
    pub retry: &'a mut Option<RetryPolicy>,
    /// Limit on concurrent retries.
    pub retry_budget: &'a mut Option<RetryBudget>,
    /// Breaker on each attempt.
    pub circuit_breaker: &'a mut Option<CircuitBreaker>,
    /// Limit on concurrent attempts.
    pub bulkhead: &'a mut Option<Bulkhead>,
}

impl<'a> CallSite<'a> {
    /// Borrows the call-site settings of a client.
    pub fn of_client(client: &'a mut Client) -> Self {
        Self {
            timeout: &mut client.timeout,
            deadline: &mut client.deadline,
            retry: &mut client.retry,
            retry_budget: &mut client.retry_budget,
            circuit_breaker: &mut client.circuit_breaker,
            bulkhead: &mut client.bulkhead,
        }
    }

    /// Borrows the call-site settings of a call step or a call of a parallel step.
    pub fn of_call(call: &'a mut CallStep) -> Self {
        Self {
            timeout: &mut call.timeout,
            deadline: &mut call.deadline,
            retry: &mut call.retry,
            retry_budget: &mut call.retry_budget,
            circuit_breaker: &mut call.circuit_breaker,
            bulkhead: &mut call.bulkhead,
        }
    }
}

/// Edits every setting of a call site at `path`. Returns whether any changed.
pub fn call_site_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    site: CallSite<'_>,
    messages: Messages<'_>,
) -> bool {
    let CallSite {
        timeout,
        deadline,
        retry,
        retry_budget,
        circuit_breaker,
        bulkhead,
    } = site;
    let mut changed = timeout_ui(ui, id, path, timeout, messages);
    changed |= optional_field_ui(
        ui,
        messages,
        &format!("{path}.deadline"),
        "Deadline",
        deadline,
        || Duration::from_secs(2),
        |ui, deadline| duration_ui(ui, id.with("deadline"), deadline),
    );
    changed |= retry_section_ui(ui, id, path, retry, messages);
    changed |= optional_section_ui(
        ui,
        id.with("retry_budget"),
        messages,
        &format!("{path}.retry_budget"),
        "Retry budget",
        retry_budget,
        RetryBudget::default,
        |ui, budget| retry_budget_ui(ui, &format!("{path}.retry_budget"), budget, messages),
    );
    changed |= optional_section_ui(
        ui,
        id.with("circuit_breaker"),
        messages,
        &format!("{path}.circuit_breaker"),
        "Circuit breaker",
        circuit_breaker,
        CircuitBreaker::default,
        |ui, breaker| {
            circuit_breaker_ui(
                ui,
                id.with("breaker"),
                &format!("{path}.circuit_breaker"),
                breaker,
                messages,
            )
        },
    );
    changed |= optional_section_ui(
        ui,
        id.with("bulkhead"),
        messages,
        &format!("{path}.bulkhead"),
        "Bulkhead",
        bulkhead,
        || Bulkhead {
            max_concurrent_calls: 10,
            max_wait_duration: Duration::ZERO,
        },
        |ui, bulkhead| {
            bulkhead_ui(
                ui,
                id.with("bulkhead"),
                &format!("{path}.bulkhead"),
                bulkhead,
                messages,
            )
        },
    );
    changed
}

/// Edits the timeout and the retry policy of a call or a publish.
pub fn attempts_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    timeout: &mut Option<Duration>,
    retry: &mut Option<RetryPolicy>,
    messages: Messages<'_>,
) -> bool {
    let changed = timeout_ui(ui, id, path, timeout, messages);
    changed | retry_section_ui(ui, id, path, retry, messages)
}

fn timeout_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    timeout: &mut Option<Duration>,
    messages: Messages<'_>,
) -> bool {
    optional_field_ui(
        ui,
        messages,
        &format!("{path}.timeout"),
        "Timeout",
        timeout,
        || Duration::from_millis(500),
        |ui, timeout| duration_ui(ui, id.with("timeout"), timeout),
    )
}

fn retry_section_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    retry: &mut Option<RetryPolicy>,
    messages: Messages<'_>,
) -> bool {
    let retry_path = format!("{path}.retry");
    optional_section_ui(
        ui,
        id.with("retry"),
        messages,
        &retry_path,
        "Retry",
        retry,
        || RetryPolicy {
            attempts: 3,
            backoff: Backoff::Exponential {
                base: Duration::from_millis(50),
                cap: Duration::from_secs(1),
                multiplier: 2.0,
            },
            jitter: Jitter::Full,
            retry_on: None,
        },
        |ui, policy| retry_ui(ui, id.with("retry"), &retry_path, policy, messages),
    )
}

fn retry_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    policy: &mut RetryPolicy,
    messages: Messages<'_>,
) -> bool {
    let mut changed = field_ui(
        ui,
        messages,
        &format!("{path}.attempts"),
        "Attempts",
        |ui| count_ui(ui, &mut policy.attempts, 1, MAX_ATTEMPTS),
    );
    changed |= field_ui(ui, messages, &format!("{path}.jitter"), "Jitter", |ui| {
        choice_ui(
            ui,
            id.with("jitter"),
            &mut policy.jitter,
            &[
                (Jitter::None, "none"),
                (Jitter::Full, "full"),
                (Jitter::Equal, "equal"),
            ],
        )
    });
    let backoff_path = format!("{path}.backoff");
    changed |= field_ui(ui, messages, &backoff_path, "Backoff", |ui| {
        let mut exponential = matches!(policy.backoff, Backoff::Exponential { .. });
        let mut changed = false;
        if choice_ui(
            ui,
            id.with("backoff"),
            &mut exponential,
            &[(false, "constant"), (true, "exponential")],
        ) {
            policy.backoff = if exponential {
                Backoff::Exponential {
                    base: Duration::from_millis(50),
                    cap: Duration::from_secs(1),
                    multiplier: 2.0,
                }
            } else {
                Backoff::Constant(Duration::from_millis(100))
            };
            changed = true;
        }
        match &mut policy.backoff {
            Backoff::Constant(wait) => {
                changed |= labelled_ui(ui, "wait", "", |ui| duration_ui(ui, id.with("wait"), wait));
            }
            Backoff::Exponential {
                base,
                cap,
                multiplier,
            } => {
                changed |= labelled_ui(ui, "base", "", |ui| duration_ui(ui, id.with("base"), base));
                changed |= labelled_ui(ui, "cap", "", |ui| duration_ui(ui, id.with("cap"), cap));
                changed |= labelled_ui(ui, "multiplier", "", |ui| real_ui(ui, multiplier, 1.0));
            }
        }
        changed
    });
    changed |= retry_on_ui(
        ui,
        id.with("retry_on"),
        path,
        &mut policy.retry_on,
        messages,
    );
    changed
}

/// Edits the error kinds that a retry policy retries: every kind, or those checked.
fn retry_on_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    retry_on: &mut Option<Vec<ErrorKind>>,
    messages: Messages<'_>,
) -> bool {
    let path = format!("{path}.retry_on");
    let mut changed = field_ui(ui, messages, &path, "Retry on", |ui| {
        let mut listed = retry_on.is_some();
        if choice_ui(
            ui,
            id,
            &mut listed,
            &[(false, "every error kind"), (true, "the kinds checked")],
        ) {
            // Listing every kind first keeps what the policy retries until one is unchecked.
            *retry_on = listed.then(|| ErrorKind::ALL.to_vec());
            return true;
        }
        false
    });
    if let Some(kinds) = retry_on {
        ui.indent(id.with("kinds"), |ui| {
            ui.horizontal_wrapped(|ui| {
                for kind in ErrorKind::ALL {
                    let mut on = kinds.contains(&kind);
                    if ui.checkbox(&mut on, error_kind_name(kind)).changed() {
                        // Kept in report order, so that the file lists them the same way
                        // whatever order they were checked in.
                        let checked: Vec<ErrorKind> = ErrorKind::ALL
                            .into_iter()
                            .filter(|k| if *k == kind { on } else { kinds.contains(k) })
                            .collect();
                        *kinds = checked;
                        changed = true;
                    }
                }
            });
            if kinds.is_empty() {
                ui.weak("No kind is checked, so nothing is retried.");
            }
        });
    }
    changed
}

fn retry_budget_ui(
    ui: &mut Ui,
    path: &str,
    budget: &mut RetryBudget,
    messages: Messages<'_>,
) -> bool {
    let mut changed = field_ui(
        ui,
        messages,
        &format!("{path}.budget_percent"),
        "Budget",
        |ui| {
            let changed = percent_ui(ui, &mut budget.budget_percent);
            ui.weak("of active requests");
            changed
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &format!("{path}.min_retry_concurrency"),
        "Min retry concurrency",
        |ui| {
            count_ui(
                ui,
                &mut budget.min_retry_concurrency,
                0,
                MAX_RETRY_CONCURRENCY,
            )
        },
    );
    changed
}

fn circuit_breaker_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    breaker: &mut CircuitBreaker,
    messages: Messages<'_>,
) -> bool {
    let field = |key: &str| format!("{path}.{key}");
    let mut changed = field_ui(
        ui,
        messages,
        &field("sliding_window_type"),
        "Window",
        |ui| {
            let before = breaker.sliding_window_type;
            if !choice_ui(
                ui,
                id.with("window_type"),
                &mut breaker.sliding_window_type,
                &[
                    (SlidingWindowType::CountBased, "count-based"),
                    (SlidingWindowType::TimeBased, "time-based"),
                ],
            ) || breaker.sliding_window_type == before
            {
                return false;
            }
            // The size keeps its number: 20 calls become 20 s, and back.
            breaker.sliding_window_size = breaker.sliding_window_size.map(|_| {
                let size = breaker.window_size();
                match breaker.sliding_window_type {
                    SlidingWindowType::CountBased => {
                        SlidingWindowSize::Calls(u32::try_from(size).unwrap_or(u32::MAX))
                    }
                    SlidingWindowType::TimeBased => SlidingWindowSize::Time(Duration::from_secs(
                        size.min(MAX_SLIDING_WINDOW_SECONDS),
                    )),
                }
            });
            true
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &field("sliding_window_size"),
        "Window size",
        |ui| window_size_ui(ui, breaker),
    );
    changed |= field_ui(
        ui,
        messages,
        &field("minimum_number_of_calls"),
        "Minimum calls",
        |ui| {
            defaulted_ui(
                ui,
                &mut breaker.minimum_number_of_calls,
                DEFAULT_MINIMUM_NUMBER_OF_CALLS,
                |ui, calls| amount_ui(ui, calls, 1, MAX_SLIDING_WINDOW_CALLS, "calls"),
            )
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &field("failure_rate_threshold"),
        "Failure threshold",
        |ui| {
            defaulted_ui(
                ui,
                &mut breaker.failure_rate_threshold,
                DEFAULT_FAILURE_RATE_THRESHOLD,
                percent_ui,
            )
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &field("slow_call_rate_threshold"),
        "Slow-call threshold",
        |ui| {
            defaulted_ui(
                ui,
                &mut breaker.slow_call_rate_threshold,
                DEFAULT_SLOW_CALL_RATE_THRESHOLD,
                percent_ui,
            )
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &field("slow_call_duration_threshold"),
        "Slow after",
        |ui| {
            defaulted_ui(
                ui,
                &mut breaker.slow_call_duration_threshold,
                DEFAULT_SLOW_CALL_DURATION_THRESHOLD,
                |ui, duration| duration_ui(ui, id.with("slow_call_duration"), duration),
            )
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &field("wait_duration_in_open_state"),
        "Open for",
        |ui| {
            defaulted_ui(
                ui,
                &mut breaker.wait_duration_in_open_state,
                DEFAULT_WAIT_DURATION_IN_OPEN_STATE,
                |ui, duration| duration_ui(ui, id.with("wait_open"), duration),
            )
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &field("permitted_number_of_calls_in_half_open_state"),
        "Half-open calls",
        |ui| {
            defaulted_ui(
                ui,
                &mut breaker.permitted_number_of_calls_in_half_open_state,
                DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE,
                |ui, calls| amount_ui(ui, calls, 1, MAX_SLIDING_WINDOW_CALLS, "calls"),
            )
        },
    );
    changed
}

/// Edits the size of a breaker's window in calls or in whole seconds, after its type.
fn window_size_ui(ui: &mut Ui, breaker: &mut CircuitBreaker) -> bool {
    let time_based = breaker.sliding_window_type == SlidingWindowType::TimeBased;
    let default = u64::from(DEFAULT_SLIDING_WINDOW_SIZE);
    let mut size = breaker.sliding_window_size.map(|_| breaker.window_size());
    let changed = defaulted_ui(ui, &mut size, default, |ui, size| {
        if time_based {
            amount_ui(ui, size, 1, MAX_SLIDING_WINDOW_SECONDS, "s")
        } else {
            amount_ui(ui, size, 1, u64::from(MAX_SLIDING_WINDOW_CALLS), "calls")
        }
    });
    if changed {
        breaker.sliding_window_size = size.map(|size| {
            if time_based {
                SlidingWindowSize::Time(Duration::from_secs(size))
            } else {
                SlidingWindowSize::Calls(u32::try_from(size).unwrap_or(u32::MAX))
            }
        });
    }
    changed
}

fn bulkhead_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    bulkhead: &mut Bulkhead,
    messages: Messages<'_>,
) -> bool {
    let mut changed = field_ui(
        ui,
        messages,
        &format!("{path}.max_concurrent_calls"),
        "Max concurrent calls",
        |ui| count_ui(ui, &mut bulkhead.max_concurrent_calls, 1, MAX_WORKERS),
    );
    changed |= field_ui(
        ui,
        messages,
        &format!("{path}.max_wait_duration"),
        "Max wait",
        |ui| duration_ui(ui, id.with("max_wait"), &mut bulkhead.max_wait_duration),
    );
    changed
}
