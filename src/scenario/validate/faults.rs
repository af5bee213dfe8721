//! Checks of `faults`: the nodes, replicas, queues and links they name.

use super::super::document::{FaultKind, LinkRef};
use super::Checker;

impl Checker<'_> {
    pub(super) fn faults(&mut self) {
        for (i, fault) in self.scenario.faults.iter().enumerate() {
            let path = format!("faults[{i}]");
            match &fault.kind {
                FaultKind::Outage(outage) => {
                    self.service_reference(&format!("{path}.outage.service"), &outage.service);
                }
                FaultKind::Errors(errors) => {
                    self.service_reference(&format!("{path}.errors.service"), &errors.service);
                }
                FaultKind::Slow(slow) => {
                    if let Some(service) = &slow.service {
                        self.service_reference(&format!("{path}.slow.service"), service);
                    }
                    if let Some(link) = &slow.link {
                        let link_path = format!("{path}.slow.link");
                        if self.fault_link(&link_path, link)
                            && self.latency_between(&link.from, &link.to).is_zero()
                        {
                            self.warning(
                                &link_path,
                                format!(
                                    "the link between \"{}\" and \"{}\" has no latency, so multiplying it changes nothing; give it a latency in links or defaults.network_latency",
                                    link.from, link.to
                                ),
                            );
                        }
                    }
                }
                FaultKind::Crash(crash) => {
                    let service_path = format!("{path}.crash.service");
                    self.service_reference(&service_path, &crash.service);
                    if let (Some(replica), Some(service)) =
                        (crash.replica, self.scenario.services.get(&crash.service))
                        && replica >= service.replicas
                    {
                        self.error(
                            &format!("{path}.crash.replica"),
                            format!(
                                "replica {replica} not found: \"{}\" has {}, numbered from 0 to {}",
                                crash.service,
                                crate::scenario::diagnostic::counted(
                                    service.replicas as usize,
                                    "replica",
                                    "replicas"
                                ),
                                service.replicas.saturating_sub(1)
                            ),
                        );
                    }
                }
                FaultKind::Latency(latency) => {
                    if let Some(service) = &latency.service {
                        self.service_reference(&format!("{path}.latency.service"), service);
                    }
                    if let Some(link) = &latency.link {
                        self.fault_link(&format!("{path}.latency.link"), link);
                    }
                }
                FaultKind::Partition(partition) => {
                    let [a, b] = &partition.between;
                    let between = format!("{path}.partition.between");
                    let found_a = self.node_reference(&format!("{between}[0]"), a);
                    let found_b = self.node_reference(&format!("{between}[1]"), b);
                    if found_a && found_b && a == b {
                        self.error(
                            &between,
                            format!("a partition is between two different nodes; both are \"{a}\""),
                        );
                    }
                }
                FaultKind::Loss(loss) => {
                    self.fault_link(&format!("{path}.loss.link"), &loss.link);
                }
                FaultKind::BrokerOutage(outage) => {
                    self.queue_reference(&format!("{path}.broker_outage.queue"), &outage.queue);
                }
                FaultKind::SlowConsumer(slow) => {
                    let queue_path = format!("{path}.slow_consumer.queue");
                    self.queue_reference(&queue_path, &slow.queue);
                    if let Some(queue) = self.scenario.queues.get(&slow.queue)
                        && queue.consumer.is_none()
                    {
                        self.warning(
                            &queue_path,
                            format!(
                                "queue \"{}\" has no consumer, so slowing its consumer changes nothing",
                                slow.queue
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Checks both ends of a link named by a fault, and returns whether both exist.
    fn fault_link(&mut self, path: &str, link: &LinkRef) -> bool {
        let from = self.node_reference(&format!("{path}.from"), &link.from);
        let to = self.node_reference(&format!("{path}.to"), &link.to);
        from && to
    }
}
