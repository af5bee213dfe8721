//! Compilation of faults: names resolved to nodes, distributions turned into samplers,
//! and the label each fault has in the fault timeline.

use crate::scenario::diagnostic::number;
use crate::scenario::{self, Fault, FaultKind, PartitionDirection};

use super::model::{CompileError, FaultEffect, FaultModel, FaultTiming, NodeRef};
use super::random::Sampler;

/// Compiles one fault of a scenario; `resolve` finds a node by name.
///
/// # Errors
/// Fails on a name that `resolve` does not find, or a distribution that cannot be
/// sampled, which validation reports first.
pub fn compile_fault(
    fault: &Fault,
    resolve: &dyn Fn(&str) -> Option<NodeRef>,
) -> Result<FaultModel, CompileError> {
    let start_ns = fault.at.as_nanos();
    let timing = match (fault.duration, fault.mtbf, fault.mttr) {
        (Some(duration), _, _) => FaultTiming::Window {
            start_ns,
            end_ns: start_ns.saturating_add(duration.as_nanos()),
        },
        (None, Some(mtbf), Some(mttr)) => FaultTiming::Random {
            start_ns,
            mtbf_ns: mtbf.as_nanos(),
            mttr_ns: mttr.as_nanos(),
        },
        _ => {
            return Err(CompileError(
                "a fault without \"for\" or without both \"mtbf\" and \"mttr\"".to_owned(),
            ));
        }
    };
    compile_fault_kind(&fault.kind, timing, resolve)
}

/// Compiles what a fault does, active with `timing`.
///
/// # Errors
/// As [`compile_fault`].
pub fn compile_fault_kind(
    kind: &FaultKind,
    timing: FaultTiming,
    resolve: &dyn Fn(&str) -> Option<NodeRef>,
) -> Result<FaultModel, CompileError> {
    let node = |name: &str| {
        resolve(name).ok_or_else(|| CompileError(format!("node \"{name}\" not found")))
    };
    let service = |name: &str| match node(name)? {
        NodeRef::Service(index) => Ok(index),
        _ => Err(CompileError(format!("service \"{name}\" not found"))),
    };
    let queue = |name: &str| match node(name)? {
        NodeRef::Queue(index) => Ok(index),
        _ => Err(CompileError(format!("queue \"{name}\" not found"))),
    };
    let name = kind.name();
    let (effect, label, targets) = match kind {
        FaultKind::Outage(outage) => {
            let index = service(&outage.service)?;
            let effect = FaultEffect::Outage {
                service: index,
                mode: outage.mode,
            };
            let label = format!("{name} {}", outage.service);
            (effect, label, vec![NodeRef::Service(index)])
        }
        FaultKind::Errors(errors) => {
            let index = service(&errors.service)?;
            let (effect, label) = match (errors.first, errors.probability) {
                (Some(count), _) => (
                    FaultEffect::FirstErrors {
                        service: index,
                        count,
                    },
                    format!("{name} {} first {count}", errors.service),
                ),
                (None, probability) => {
                    let probability = probability.unwrap_or(0.0);
                    (
                        FaultEffect::Errors {
                            service: index,
                            probability,
                        },
                        format!("{name} {} {}%", errors.service, percent(probability)),
                    )
                }
            };
            (effect, label, vec![NodeRef::Service(index)])
        }
        FaultKind::Slow(slow) => match (&slow.service, &slow.link) {
            (Some(target), _) => {
                let index = service(target)?;
                let effect = FaultEffect::SlowService {
                    service: index,
                    multiplier: slow.latency_multiplier,
                };
                let label = format!("{name} {target} ×{}", number(slow.latency_multiplier));
                (effect, label, vec![NodeRef::Service(index)])
            }
            (None, Some(link)) => {
                let (a, b) = (node(&link.from)?, node(&link.to)?);
                let effect = FaultEffect::SlowLink {
                    a,
                    b,
                    multiplier: slow.latency_multiplier,
                };
                let label = format!(
                    "{name} {}–{} ×{}",
                    link.from,
                    link.to,
                    number(slow.latency_multiplier)
                );
                (effect, label, vec![a, b])
            }
            (None, None) => {
                return Err(CompileError(
                    "a slow fault without a service or link".to_owned(),
                ));
            }
        },
        FaultKind::Crash(crash) => {
            let index = service(&crash.service)?;
            let effect = FaultEffect::Crash {
                service: index,
                replica: crash.replica,
                mode: crash.mode,
            };
            let label = match crash.replica {
                Some(replica) => format!("{name} {}#{replica}", crash.service),
                None => format!("{name} {}", crash.service),
            };
            (effect, label, vec![NodeRef::Service(index)])
        }
        FaultKind::Latency(latency) => {
            let add = Sampler::new(&latency.add)
                .map_err(|e| CompileError(format!("latency fault: {e}")))?;
            let shown = match &latency.add {
                scenario::Distribution::Constant(duration) => duration.to_string(),
                other => format!("{} mean {}s", other.kind_name(), other.mean_secs()),
            };
            match (&latency.service, &latency.link) {
                (Some(target), _) => {
                    let index = service(target)?;
                    let effect = FaultEffect::ServiceLatency {
                        service: index,
                        add,
                    };
                    let label = format!("{name} {target} +{shown}");
                    (effect, label, vec![NodeRef::Service(index)])
                }
                (None, Some(link)) => {
                    let (a, b) = (node(&link.from)?, node(&link.to)?);
                    let effect = FaultEffect::LinkLatency { a, b, add };
                    let label = format!("{name} {}–{} +{shown}", link.from, link.to);
                    (effect, label, vec![a, b])
                }
                (None, None) => {
                    return Err(CompileError(
                        "a latency fault without a service or link".to_owned(),
                    ));
                }
            }
        }
        FaultKind::Partition(partition) => {
            let [from, to] = &partition.between;
            let (a, b) = (node(from)?, node(to)?);
            let one_way = partition.direction == PartitionDirection::OneWay;
            let effect = FaultEffect::Partition { a, b, one_way };
            let label = if one_way {
                format!("{name} {from}→{to}")
            } else {
                format!("{name} {from}–{to}")
            };
            (effect, label, vec![a, b])
        }
        FaultKind::Loss(loss) => {
            let (a, b) = (node(&loss.link.from)?, node(&loss.link.to)?);
            let effect = FaultEffect::Loss {
                a,
                b,
                probability: loss.probability,
            };
            let label = format!(
                "{name} {}–{} {}%",
                loss.link.from,
                loss.link.to,
                percent(loss.probability)
            );
            (effect, label, vec![a, b])
        }
        FaultKind::BrokerOutage(outage) => {
            let index = queue(&outage.queue)?;
            let effect = FaultEffect::BrokerOutage {
                queue: index,
                mode: outage.mode,
            };
            let label = format!("{name} {}", outage.queue);
            (effect, label, vec![NodeRef::Queue(index)])
        }
        FaultKind::SlowConsumer(slow) => {
            let index = queue(&slow.queue)?;
            let effect = FaultEffect::SlowConsumer {
                queue: index,
                multiplier: slow.latency_multiplier,
            };
            let label = format!("{name} {} ×{}", slow.queue, number(slow.latency_multiplier));
            (effect, label, vec![NodeRef::Queue(index)])
        }
    };
    Ok(FaultModel {
        timing,
        effect,
        label,
        targets,
    })
}

/// Writes a probability as a percentage for a label, to at most six decimals, so that
/// 0.1 reads "10" rather than "10.000000000000002".
fn percent(probability: f64) -> String {
    number((probability * 100.0 * 1e6).round() / 1e6)
}
