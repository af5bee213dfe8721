//! Reading the `circuit_breaker` of a client or a call.

use super::super::breaker::{
    CircuitBreaker, MAX_SLIDING_WINDOW_CALLS, MAX_SLIDING_WINDOW_SECONDS, SlidingWindowSize,
    SlidingWindowType,
};
use super::{Node, Reader, Value};

const NANOS_PER_SEC: u64 = 1_000_000_000;

impl Reader<'_> {
    pub(super) fn circuit_breaker(&mut self, node: &Node, path: &str) -> Option<CircuitBreaker> {
        let mut fields = self.fields(node, path)?;
        let mut breaker = CircuitBreaker::default();
        let mut window_type = Some(SlidingWindowType::default());
        if let Some((n, p)) = fields.take("sliding_window_type") {
            window_type = self.choice(
                n,
                &p,
                &SlidingWindowType::NAMES,
                &[SlidingWindowType::CountBased, SlidingWindowType::TimeBased],
            );
            breaker.sliding_window_type = window_type.unwrap_or_default();
        }
        if let Some((n, p)) = fields.take("sliding_window_size") {
            breaker.sliding_window_size = self.sliding_window_size(n, &p, window_type);
        }
        if let Some((n, p)) = fields.take("minimum_number_of_calls") {
            breaker.minimum_number_of_calls = self.count_up_to(n, &p, 1, MAX_SLIDING_WINDOW_CALLS);
        }
        if let Some((n, p)) = fields.take("failure_rate_threshold") {
            breaker.failure_rate_threshold = self.percent(n, &p);
        }
        if let Some((n, p)) = fields.take("slow_call_rate_threshold") {
            breaker.slow_call_rate_threshold = self.percent(n, &p);
        }
        if let Some((n, p)) = fields.take("slow_call_duration_threshold") {
            breaker.slow_call_duration_threshold = self.positive_duration(n, &p);
        }
        if let Some((n, p)) = fields.take("wait_duration_in_open_state") {
            breaker.wait_duration_in_open_state = self.positive_duration(n, &p);
        }
        if let Some((n, p)) = fields.take("permitted_number_of_calls_in_half_open_state") {
            breaker.permitted_number_of_calls_in_half_open_state =
                self.count_up_to(n, &p, 1, MAX_SLIDING_WINDOW_CALLS);
        }
        self.finish(&fields);
        Some(breaker)
    }

    /// Reads a window size: a count of calls for a count-based window, whole seconds for
    /// a time-based one. When the type could not be read, the value's form decides.
    fn sliding_window_size(
        &mut self,
        node: &Node,
        path: &str,
        window_type: Option<SlidingWindowType>,
    ) -> Option<SlidingWindowSize> {
        let is_text = matches!(node.value, Value::String(_));
        let time_based = match window_type {
            Some(kind) => kind == SlidingWindowType::TimeBased,
            None => is_text,
        };
        if !time_based {
            if is_text {
                self.record(node, path);
                self.error(
                    node,
                    path,
                    format!(
                        "invalid value {}: a count-based window's size is a number of calls, such as 100; for a window of time, set \"sliding_window_type: time-based\"",
                        self.shown(node)
                    ),
                );
                return None;
            }
            return self
                .count_up_to(node, path, 1, MAX_SLIDING_WINDOW_CALLS)
                .map(SlidingWindowSize::Calls);
        }
        if matches!(node.value, Value::Int(i) if i > 0) {
            self.record(node, path);
            self.error(
                node,
                path,
                format!(
                    "invalid value {0}: a time-based window's size is a duration in whole seconds, such as {0}s",
                    self.shown(node)
                ),
            );
            return None;
        }
        let duration = self.duration(node, path)?;
        let nanos = duration.as_nanos();
        if nanos == 0
            || nanos % NANOS_PER_SEC != 0
            || nanos / NANOS_PER_SEC > MAX_SLIDING_WINDOW_SECONDS
        {
            self.error(
                node,
                path,
                format!(
                    "invalid window size {duration}: a time-based window is a whole number of seconds from 1s to {MAX_SLIDING_WINDOW_SECONDS}s, because it counts calls in buckets of one second"
                ),
            );
            return self.kept(SlidingWindowSize::Time(duration), false);
        }
        Some(SlidingWindowSize::Time(duration))
    }

    /// Reads a rate threshold in percent, greater than 0 and at most 100, as
    /// resilience4j's `CircuitBreakerConfig` requires.
    fn percent(&mut self, node: &Node, path: &str) -> Option<f64> {
        let value = self.number(node, path)?;
        if value > 0.0 && value <= 100.0 {
            return Some(value);
        }
        let shown = self.shown(node);
        self.error(
            node,
            path,
            format!("invalid percentage {shown}: must be greater than 0 and at most 100"),
        );
        self.kept(value, false)
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{CircuitBreaker, SlidingWindowSize, SlidingWindowType, load_str};

    fn breaker_of(yaml: &str) -> CircuitBreaker {
        let text = format!(
            "version: 1\nclients:\n  c:\n    target: s.op\n    arrivals: {{ constant: 1/s }}\n    circuit_breaker: {yaml}\nservices:\n  s:\n    operations:\n      op: {{ service_time: 1ms }}\n"
        );
        let loaded = load_str(&text, None).expect("valid scenario");
        loaded.scenario.clients["c"]
            .circuit_breaker
            .clone()
            .expect("breaker read")
    }

    #[test]
    fn reads_every_key() {
        let breaker = breaker_of(
            "{ sliding_window_type: time-based, sliding_window_size: 10s, minimum_number_of_calls: 5, failure_rate_threshold: 25.5, slow_call_rate_threshold: 80, slow_call_duration_threshold: 200ms, wait_duration_in_open_state: 5s, permitted_number_of_calls_in_half_open_state: 3 }",
        );
        assert_eq!(breaker.sliding_window_type, SlidingWindowType::TimeBased);
        assert_eq!(
            breaker.sliding_window_size,
            Some(SlidingWindowSize::Time(
                crate::scenario::Duration::from_secs(10)
            ))
        );
        assert_eq!(breaker.window_size(), 10);
        assert_eq!(breaker.minimum_number_of_calls, Some(5));
        assert_eq!(breaker.failure_rate_threshold, Some(25.5));
        assert_eq!(breaker.slow_call_rate_threshold, Some(80.0));
        assert_eq!(
            breaker.slow_call_duration_threshold,
            Some(crate::scenario::Duration::from_millis(200))
        );
        assert_eq!(
            breaker.wait_duration_in_open_state,
            Some(crate::scenario::Duration::from_secs(5))
        );
        assert_eq!(
            breaker.permitted_number_of_calls_in_half_open_state,
            Some(3)
        );
    }

    #[test]
    fn empty_mapping_takes_defaults() {
        let breaker = breaker_of("{}");
        assert_eq!(breaker, CircuitBreaker::default());
        assert_eq!(breaker.window_size(), 100);
    }
}
