//! Reading of `faults`: the window or the random failure process, and each kind of fault.

use super::super::diagnostic::{quoted_list, quoted_list_and};
use super::super::document::{
    BrokerOutageFault, CrashFault, ErrorFault, Fault, FaultKind, LatencyFault, LinkRef, LossFault,
    OutageFault, OutageMode, PartitionDirection, PartitionFault, SlowConsumerFault, SlowFault,
};
use super::super::tree::{Node, Value};
use super::super::units::Duration;
use super::{Fields, Reader, index};

/// Smallest `mtbf` or `mttr` of a random fault.
pub const MIN_RANDOM_FAULT_TIME: Duration = Duration::from_millis(1);

impl Reader<'_> {
    pub(super) fn fault(&mut self, node: &Node, path: &str) -> Option<Fault> {
        let mut fields = self.fields(node, path)?;
        let random = fields.has("mtbf") || fields.has("mttr");
        // `at` is required only for a window. A fault with neither `for` nor `mtbf` gets
        // one error about its timing, below, and not a second one about `at`.
        let at = if random || !fields.has("for") {
            fields
                .take("at")
                .map_or(Some(Duration::ZERO), |(n, p)| self.duration(n, &p))
        } else {
            self.required(&mut fields, node, "at")
                .and_then(|(n, p)| self.duration(n, &p))
        };
        let duration = fields
            .take("for")
            .map(|(n, p)| self.positive_duration(n, &p));
        let mtbf = fields
            .take("mtbf")
            .map(|(n, p)| self.random_fault_time(n, &p, "mtbf"));
        let mttr = fields
            .take("mttr")
            .map(|(n, p)| self.random_fault_time(n, &p, "mttr"));
        let timing_valid = self.fault_timing(
            node,
            path,
            duration.is_some(),
            mtbf.is_some(),
            mttr.is_some(),
        );
        let kind = self.fault_kind(&mut fields, node, path);
        self.finish(&fields);
        if !timing_valid {
            return None;
        }
        Some(Fault {
            at: at?,
            duration: duration.map_or(Some(None), |d| d.map(Some))?,
            mtbf: mtbf.map_or(Some(None), |d| d.map(Some))?,
            mttr: mttr.map_or(Some(None), |d| d.map(Some))?,
            kind: kind?,
        })
    }

    /// Reads the mean time between failures or to repair of a random fault, at least
    /// [`MIN_RANDOM_FAULT_TIME`]: every occurrence is two events and one entry of the
    /// fault timeline, so shorter means make a run's memory and time grow without bound.
    fn random_fault_time(&mut self, node: &Node, path: &str, key: &str) -> Option<Duration> {
        let (time, valid) = self.checked_positive_duration(node, path)?;
        if valid && time < MIN_RANDOM_FAULT_TIME {
            self.error(
                node,
                path,
                format!(
                    "invalid {key} {time}: must be at least {MIN_RANDOM_FAULT_TIME}, because every failure and repair is recorded in the fault timeline"
                ),
            );
            return self.kept(time, false);
        }
        self.kept(time, valid)
    }

    /// Checks that a fault has either `for` or both `mtbf` and `mttr`, and returns
    /// whether it does.
    fn fault_timing(
        &mut self,
        node: &Node,
        path: &str,
        has_for: bool,
        has_mtbf: bool,
        has_mttr: bool,
    ) -> bool {
        let message = match (has_for, has_mtbf, has_mttr) {
            (true, false, false) | (false, true, true) => return true,
            (false, false, false) => {
                "a fault needs \"for\", the length of its window, or \"mtbf\" and \"mttr\" for random failures; it has none of them"
            }
            (true, _, _) => {
                "a fault has either \"for\" or \"mtbf\" and \"mttr\", not both; remove \"for\" for random failures, or \"mtbf\" and \"mttr\" for one window"
            }
            (false, true, false) => {
                "a random fault needs \"mttr\", the mean time to repair, next to \"mtbf\""
            }
            (false, false, true) => {
                "a random fault needs \"mtbf\", the mean time between failures, next to \"mttr\""
            }
        };
        self.error(node, path, message);
        false
    }

    fn fault_kind(
        &mut self,
        fields: &mut Fields<'_>,
        node: &Node,
        path: &str,
    ) -> Option<FaultKind> {
        let kinds = FaultKind::NAMES;
        let present: Vec<&'static str> = kinds.iter().copied().filter(|k| fields.has(k)).collect();
        match present.as_slice() {
            ["outage"] => fields.take("outage").and_then(|(n, p)| self.outage(n, &p)),
            ["slow"] => fields.take("slow").and_then(|(n, p)| self.slow(n, &p)),
            ["errors"] => fields.take("errors").and_then(|(n, p)| self.errors(n, &p)),
            ["crash"] => fields.take("crash").and_then(|(n, p)| self.crash(n, &p)),
            ["latency"] => fields
                .take("latency")
                .and_then(|(n, p)| self.latency_fault(n, &p)),
            ["partition"] => fields
                .take("partition")
                .and_then(|(n, p)| self.partition(n, &p)),
            ["loss"] => fields.take("loss").and_then(|(n, p)| self.loss(n, &p)),
            ["broker_outage"] => fields
                .take("broker_outage")
                .and_then(|(n, p)| self.broker_outage(n, &p)),
            ["slow_consumer"] => fields
                .take("slow_consumer")
                .and_then(|(n, p)| self.slow_consumer(n, &p)),
            [] => {
                for key in kinds {
                    fields.take(key);
                }
                self.error(
                    node,
                    path,
                    format!("a fault needs one of the keys {}", quoted_list(kinds)),
                );
                None
            }
            several => {
                self.error(
                    node,
                    path,
                    format!(
                        "a fault has exactly one of {}; this one has {}",
                        quoted_list(kinds),
                        quoted_list_and(several.iter().copied())
                    ),
                );
                for key in several {
                    fields.take(key);
                }
                None
            }
        }
    }

    fn outage(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let service = self
            .required(&mut fields, node, "service")
            .and_then(|(n, p)| self.string(n, &p));
        let mode = self.outage_mode(&mut fields);
        self.finish(&fields);
        Some(FaultKind::Outage(OutageFault {
            service: service?,
            mode: mode.unwrap_or_default(),
        }))
    }

    fn outage_mode(&mut self, fields: &mut Fields<'_>) -> Option<OutageMode> {
        fields.take("mode").and_then(|(n, p)| {
            self.choice(
                n,
                &p,
                &OutageMode::NAMES,
                &[OutageMode::FailFast, OutageMode::Timeout],
            )
        })
    }

    fn slow(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let service = fields.take("service").and_then(|(n, p)| self.string(n, &p));
        let link = fields
            .take("link")
            .and_then(|(n, p)| self.link_reference(n, &p));
        let multiplier = self
            .required(&mut fields, node, "latency_multiplier")
            .and_then(|(n, p)| self.multiplier(n, &p));
        if service.is_some() == link.is_some() && (fields.has("service") == fields.has("link")) {
            self.error(
                node,
                path,
                "a slow fault names exactly one of \"service\" or \"link\"",
            );
        }
        self.finish(&fields);
        Some(FaultKind::Slow(SlowFault {
            service,
            link,
            latency_multiplier: multiplier?,
        }))
    }

    fn link_reference(&mut self, node: &Node, path: &str) -> Option<LinkRef> {
        let mut link_fields = self.fields(node, path)?;
        let from = self
            .required(&mut link_fields, node, "from")
            .and_then(|(n, p)| self.string(n, &p));
        let to = self
            .required(&mut link_fields, node, "to")
            .and_then(|(n, p)| self.string(n, &p));
        self.finish(&link_fields);
        Some(LinkRef {
            from: from?,
            to: to?,
        })
    }

    fn multiplier(&mut self, node: &Node, path: &str) -> Option<f64> {
        let m = self.number(node, path)?;
        if m > 0.0 {
            Some(m)
        } else {
            let shown = self.shown(node);
            self.error(
                node,
                path,
                format!("invalid latency_multiplier {shown}: must be greater than 0"),
            );
            self.kept(m, false)
        }
    }

    fn errors(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let service = self
            .required(&mut fields, node, "service")
            .and_then(|(n, p)| self.string(n, &p));
        let has_probability = fields.has("probability");
        let has_first = fields.has("first");
        let probability = fields
            .take("probability")
            .map(|(n, p)| self.probability(n, &p));
        let first = fields
            .take("first")
            .map(|(n, p)| self.count(n, &p, 1, u64::MAX));
        let valid = match (has_probability, has_first) {
            (true, false) | (false, true) => true,
            (false, false) => {
                self.error(
                    node,
                    path,
                    "an errors fault needs \"probability\", the chance that each request fails, or \"first\", the number of requests that fail",
                );
                false
            }
            (true, true) => {
                self.error(
                    node,
                    path,
                    "an errors fault has either \"probability\" or \"first\", not both",
                );
                false
            }
        };
        self.finish(&fields);
        if !valid {
            return None;
        }
        Some(FaultKind::Errors(ErrorFault {
            service: service?,
            probability: probability.map_or(Some(None), |p| p.map(Some))?,
            first: first.map_or(Some(None), |f| f.map(Some))?,
        }))
    }

    fn crash(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let service = self
            .required(&mut fields, node, "service")
            .and_then(|(n, p)| self.string(n, &p));
        let replica = fields
            .take("replica")
            .map(|(n, p)| self.count_up_to(n, &p, 0, u32::MAX));
        let mode = self.outage_mode(&mut fields);
        self.finish(&fields);
        Some(FaultKind::Crash(CrashFault {
            service: service?,
            replica: replica.map_or(Some(None), |r| r.map(Some))?,
            mode: mode.unwrap_or_default(),
        }))
    }

    fn latency_fault(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let service = fields.take("service").and_then(|(n, p)| self.string(n, &p));
        let link = fields
            .take("link")
            .and_then(|(n, p)| self.link_reference(n, &p));
        let add = self
            .required(&mut fields, node, "add")
            .and_then(|(n, p)| self.distribution(n, &p));
        if fields.has("service") == fields.has("link") {
            self.error(
                node,
                path,
                "a latency fault names exactly one of \"service\" or \"link\"",
            );
        }
        self.finish(&fields);
        Some(FaultKind::Latency(LatencyFault {
            service,
            link,
            add: add?,
        }))
    }

    fn partition(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let between = self
            .required(&mut fields, node, "between")
            .and_then(|(n, p)| self.node_pair(n, &p));
        let direction = fields.take("direction").and_then(|(n, p)| {
            self.choice(
                n,
                &p,
                &PartitionDirection::NAMES,
                &[PartitionDirection::Both, PartitionDirection::OneWay],
            )
        });
        self.finish(&fields);
        Some(FaultKind::Partition(PartitionFault {
            between: between?,
            direction: direction.unwrap_or_default(),
        }))
    }

    /// Reads a list of two node names.
    fn node_pair(&mut self, node: &Node, path: &str) -> Option<[String; 2]> {
        self.record(node, path);
        if let Value::Seq(items) = &node.value
            && items.len() == 2
        {
            let a = self.string(&items[0], &index(path, 0));
            let b = self.string(&items[1], &index(path, 1));
            return Some([a?, b?]);
        }
        let found = match &node.value {
            Value::Seq(items) if items.len() == 1 => "a list of 1 item".to_owned(),
            Value::Seq(items) => format!("a list of {} items", items.len()),
            _ => self.shown(node),
        };
        self.error(
            node,
            path,
            format!("expected a list of two node names, such as [orders, payments], found {found}"),
        );
        None
    }

    fn loss(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let link = self
            .required(&mut fields, node, "link")
            .and_then(|(n, p)| self.link_reference(n, &p));
        let probability = self
            .required(&mut fields, node, "probability")
            .and_then(|(n, p)| self.probability(n, &p));
        self.finish(&fields);
        Some(FaultKind::Loss(LossFault {
            link: link?,
            probability: probability?,
        }))
    }

    fn broker_outage(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let queue = self
            .required(&mut fields, node, "queue")
            .and_then(|(n, p)| self.string(n, &p));
        let mode = self.outage_mode(&mut fields);
        self.finish(&fields);
        Some(FaultKind::BrokerOutage(BrokerOutageFault {
            queue: queue?,
            mode: mode.unwrap_or_default(),
        }))
    }

    fn slow_consumer(&mut self, node: &Node, path: &str) -> Option<FaultKind> {
        let mut fields = self.fields(node, path)?;
        let queue = self
            .required(&mut fields, node, "queue")
            .and_then(|(n, p)| self.string(n, &p));
        let multiplier = self
            .required(&mut fields, node, "latency_multiplier")
            .and_then(|(n, p)| self.multiplier(n, &p));
        self.finish(&fields);
        Some(FaultKind::SlowConsumer(SlowConsumerFault {
            queue: queue?,
            latency_multiplier: multiplier?,
        }))
    }
}
