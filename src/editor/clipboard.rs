//! Copied nodes, ready to be pasted into the same or another document.

use crate::scenario::Link;

use super::command::EditError;
use super::document::{EditorDocument, NodeId, NodeValue};

/// Nodes copied from a document, with the links between them.
///
/// References inside the values still use the original names; pasting renames the
/// references between copied nodes to the names of the copies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Clipboard {
    /// The nodes, in document order.
    pub nodes: Vec<CopiedNode>,
    /// The links whose two ends are both copied.
    pub links: Vec<Link>,
}

/// One copied node.
#[derive(Clone, Debug, PartialEq)]
pub struct CopiedNode {
    /// Its name in the document it was copied from.
    pub name: String,
    /// Its contents.
    pub value: NodeValue,
    /// Its position on the canvas, if it had one.
    pub position: Option<[f64; 2]>,
}

impl Clipboard {
    /// Returns whether nothing was copied.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl EditorDocument {
    /// Copies the nodes `ids`, in document order whatever the order of `ids`.
    pub fn copy(&self, ids: &[NodeId]) -> Result<Clipboard, EditError> {
        for &id in ids {
            if !self.contains(id) {
                return Err(EditError::UnknownNode(id));
            }
        }
        let mut clipboard = Clipboard::default();
        for id in self.node_ids().filter(|id| ids.contains(id)) {
            let (Some(name), Some(value)) = (self.name(id), self.value(id)) else {
                continue;
            };
            clipboard.nodes.push(CopiedNode {
                name: name.to_owned(),
                value,
                position: self.position(id),
            });
        }
        let is_copied = |name: &str| clipboard.nodes.iter().any(|node| node.name == name);
        clipboard.links = self
            .scenario()
            .links
            .iter()
            .filter(|link| is_copied(&link.from) && is_copied(&link.to))
            .cloned()
            .collect();
        Ok(clipboard)
    }
}
