//! Automatic placement of nodes in columns that follow the edges from left to right.
//!
//! NOTE: the app's canvas places nodes with its own layered layout (`ui::topology`,
//! with crossing reduction), and its Arrange uses that one. This simpler layout serves
//! [`super::Command::AutoLayout`] without the GUI, so the two can place nodes
//! differently.

use std::collections::BTreeMap;

use super::document::{EditorDocument, NodeId};
use super::graph::edges;

/// Horizontal distance between columns, in canvas units.
pub const COLUMN_SPACING: f64 = 220.0;

/// Vertical distance between nodes of one column, in canvas units.
pub const ROW_SPACING: f64 = 120.0;

/// Computes a position for every node of `document`, in document order.
///
/// Each node goes one column right of the rightmost node with an edge to it, so clients
/// end up on the left and the services and queues they reach to their right. A cycle
/// of edges is broken at its first node in document order. Within a column, nodes are
/// sorted by the mean row of the nodes with edges to them, which keeps most edges short
/// and uncrossed, and otherwise keep document order. The result depends only on the
/// document.
#[must_use]
pub fn auto_layout(document: &EditorDocument) -> Vec<(NodeId, [f64; 2])> {
    let nodes: Vec<NodeId> = document.node_ids().collect();
    let index_of: BTreeMap<NodeId, usize> =
        nodes.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut predecessors = vec![Vec::new(); nodes.len()];
    for edge in edges(document) {
        if let (Some(&from), Some(&to)) = (index_of.get(&edge.from), index_of.get(&edge.to))
            && from != to
            && !predecessors[to].contains(&from)
        {
            predecessors[to].push(from);
        }
    }

    let mut column: Vec<Option<usize>> = vec![None; nodes.len()];
    for _ in 0..nodes.len() {
        let ready = (0..nodes.len())
            .filter(|&i| column[i].is_none())
            .find(|&i| predecessors[i].iter().all(|&p| column[p].is_some()));
        // With every remaining node waiting for another, they form cycles: place the
        // first one as if its unplaced predecessors did not exist.
        let Some(next) = ready.or_else(|| (0..nodes.len()).find(|&i| column[i].is_none())) else {
            break;
        };
        let placed_column = predecessors[next]
            .iter()
            .filter_map(|&p| column[p])
            .max()
            .map_or(0, |c| c + 1);
        column[next] = Some(placed_column);
    }

    let columns = column.iter().flatten().max().map_or(0, |&c| c + 1);
    let mut row = vec![0.0_f64; nodes.len()];
    let mut positions = vec![[0.0, 0.0]; nodes.len()];
    for c in 0..columns {
        let mut members: Vec<usize> = (0..nodes.len()).filter(|&i| column[i] == Some(c)).collect();
        let barycenter = |i: usize| {
            let rows: Vec<f64> = predecessors[i]
                .iter()
                .filter(|&&p| column[p].is_some_and(|pc| pc < c))
                .map(|&p| row[p])
                .collect();
            if rows.is_empty() {
                f64::INFINITY
            } else {
                rows.iter().sum::<f64>() / rows.len() as f64
            }
        };
        // A stable sort keeps document order among equal keys.
        members.sort_by(|&a, &b| barycenter(a).total_cmp(&barycenter(b)));
        for (r, &i) in members.iter().enumerate() {
            row[i] = r as f64;
            positions[i] = [c as f64 * COLUMN_SPACING, r as f64 * ROW_SPACING];
        }
    }
    nodes.into_iter().zip(positions).collect()
}
