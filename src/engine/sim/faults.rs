//! Scheduled faults: which are active, and their effect on services and links.

use crate::engine::model::{FaultEffect, NodeRef};
use crate::scenario::OutageMode;

use super::Simulation;

impl Simulation {
    pub(super) fn set_fault(&mut self, fault: u32, active: bool) {
        self.active_faults[fault as usize] = active;
        let effect = self.model.faults[fault as usize].effect;
        match effect {
            FaultEffect::Outage { service, .. }
            | FaultEffect::SlowService { service, .. }
            | FaultEffect::Errors { service, .. } => self.refresh_service_faults(service),
            FaultEffect::SlowLink { a, b, .. } => self.refresh_link_faults(a, b),
        }
    }

    fn active_effects(&self) -> impl Iterator<Item = FaultEffect> + '_ {
        self.model
            .faults
            .iter()
            .zip(&self.active_faults)
            .filter(|(_, active)| **active)
            .map(|(f, _)| f.effect)
    }

    fn refresh_service_faults(&mut self, service: u32) {
        let mut outage = None;
        let mut slow = 1.0;
        let mut error_override: Option<f64> = None;
        for effect in self.active_effects() {
            match effect {
                // A timeout-mode outage hides a fail-fast one active at the same time.
                FaultEffect::Outage { service: s, mode }
                    if s == service && outage != Some(OutageMode::Timeout) =>
                {
                    outage = Some(mode);
                }
                FaultEffect::SlowService {
                    service: s,
                    multiplier,
                } if s == service => slow *= multiplier,
                FaultEffect::Errors {
                    service: s,
                    probability,
                } if s == service => {
                    error_override =
                        Some(error_override.map_or(probability, |p: f64| p.max(probability)));
                }
                _ => {}
            }
        }
        let state = &mut self.services[service as usize];
        state.outage = outage;
        state.slow = slow;
        state.error_override = error_override;
    }

    fn refresh_link_faults(&mut self, a: NodeRef, b: NodeRef) {
        let matches = |x: NodeRef, y: NodeRef, p: NodeRef, q: NodeRef| {
            (x == p && y == q) || (x == q && y == p)
        };
        let mut factors = vec![1.0; self.edges.len()];
        for effect in self.active_effects() {
            if let FaultEffect::SlowLink {
                a: p,
                b: q,
                multiplier,
            } = effect
            {
                for (i, edge) in self.model.edges.iter().enumerate() {
                    if matches(edge.from, edge.to, p, q) {
                        factors[i] *= multiplier;
                    }
                }
            }
        }
        for (i, edge) in self.model.edges.iter().enumerate() {
            if matches(edge.from, edge.to, a, b) {
                self.edges[i].slow = factors[i];
            }
        }
    }
}
