//! The faults a node's context menu starts by hand while a run exists: crash, slow
//! down, fail and partition, each for a chosen duration.

use egui::Ui;

use crate::scenario::{
    CrashFault, Duration, ErrorFault, FaultKind, OutageMode, PartitionDirection, PartitionFault,
    SlowFault,
};
use crate::ui::topology::{Node, NodeKind};

/// Default length of a fault started from the menu, in seconds.
pub const DEFAULT_FAULT_SECONDS: f64 = 30.0;

/// Multiplier of "Slow down".
const SLOW_DOWN_MULTIPLIER: f64 = 5.0;

/// Error probability of "Fail".
const FAIL_PROBABILITY: f64 = 0.5;

/// Adds the fault items for `node` to a context menu and returns the fault the user
/// chose, with its duration. `others` are the names of the other nodes, for "Partition
/// from…"; `seconds` is the duration field, kept between frames.
pub fn fault_menu_ui(
    ui: &mut Ui,
    node: &Node,
    others: &[String],
    seconds: &mut f64,
) -> Option<(FaultKind, Duration)> {
    ui.separator();
    ui.horizontal(|ui| {
        ui.label("Fault for");
        ui.add(
            egui::DragValue::new(seconds)
                .range(0.001..=1e6)
                .speed(1.0)
                .suffix(" s"),
        );
    });
    let duration = Duration::from_nanos((seconds.max(0.001) * 1e9) as u64);
    let mut chosen = None;
    if let NodeKind::Service { replicas, .. } = node.kind {
        let crash = |replica| {
            FaultKind::Crash(CrashFault {
                service: node.name.clone(),
                replica,
                mode: OutageMode::FailFast,
            })
        };
        if replicas > 1 {
            ui.menu_button("Crash", |ui| {
                if ui.button("One replica (#0)").clicked() {
                    chosen = Some(crash(Some(0)));
                    ui.close();
                }
                if ui.button("All replicas").clicked() {
                    chosen = Some(crash(None));
                    ui.close();
                }
            });
        } else if ui.button("Crash").clicked() {
            chosen = Some(crash(None));
            ui.close();
        }
        if ui.button("Slow down (×5)").clicked() {
            chosen = Some(FaultKind::Slow(SlowFault {
                service: Some(node.name.clone()),
                link: None,
                latency_multiplier: SLOW_DOWN_MULTIPLIER,
            }));
            ui.close();
        }
        if ui.button("Fail (50 % errors)").clicked() {
            chosen = Some(FaultKind::Errors(ErrorFault {
                service: node.name.clone(),
                probability: Some(FAIL_PROBABILITY),
                first: None,
            }));
            ui.close();
        }
    }
    ui.menu_button("Partition from…", |ui| {
        for other in others {
            if ui.button(other).clicked() {
                chosen = Some(FaultKind::Partition(PartitionFault {
                    between: [node.name.clone(), other.clone()],
                    direction: PartitionDirection::Both,
                }));
                ui.close();
            }
        }
    });
    chosen.map(|kind| (kind, duration))
}
