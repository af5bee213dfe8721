//! Copied nodes, ready to be pasted into the same or another document.
//!
//! The nodes also have a text form, a scenario file with only the copied nodes, their
//! links and their positions. The app puts it on the system clipboard, so that nodes
//! copied in one window paste into another, and into a text editor as YAML.

use crate::scenario::write::{WriteError, to_yaml};
use crate::scenario::{Link, Scenario, load_str_for_editing};

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

/// The first line of the text form, a comment that names what the text is.
pub const TEXT_HEADER: &str = "# Nodes copied from Topolab\n";

impl Clipboard {
    /// Returns whether nothing was copied.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Writes the nodes as a scenario file that contains only them, their links and
    /// their positions, after the line [`TEXT_HEADER`].
    ///
    /// # Errors
    /// Fails if a value cannot be written as YAML, as [`to_yaml`] does.
    pub fn to_text(&self) -> Result<String, WriteError> {
        let mut scenario = Scenario::default();
        for node in &self.nodes {
            let name = node.name.clone();
            match &node.value {
                NodeValue::Client(client) => {
                    scenario.clients.insert(name.clone(), client.clone());
                }
                NodeValue::Service(service) => {
                    scenario.services.insert(name.clone(), service.clone());
                }
                NodeValue::Queue(queue) => {
                    scenario.queues.insert(name.clone(), queue.clone());
                }
            }
            if let Some(position) = node.position {
                scenario.layout.insert(name, position);
            }
        }
        scenario.links.clone_from(&self.links);
        Ok(format!("{TEXT_HEADER}{}", to_yaml(&scenario)?))
    }

    /// Reads nodes from text: the text form of [`Clipboard::to_text`], or any scenario
    /// file with at least one client, service or queue. Returns `None` for text that
    /// is not such a file.
    ///
    /// References to nodes that the text does not contain are kept, as a copy keeps
    /// them, and so are values with validation errors, which the document then lists.
    #[must_use]
    pub fn from_text(text: &str) -> Option<Clipboard> {
        let (scenario, _) = load_str_for_editing(text, None).ok()?;
        let position = |name: &str| scenario.layout.get(name).copied();
        let clients = scenario
            .clients
            .iter()
            .map(|(name, client)| (name, NodeValue::Client(client.clone())));
        let services = scenario
            .services
            .iter()
            .map(|(name, service)| (name, NodeValue::Service(service.clone())));
        let queues = scenario
            .queues
            .iter()
            .map(|(name, queue)| (name, NodeValue::Queue(queue.clone())));
        let nodes: Vec<CopiedNode> = clients
            .chain(services)
            .chain(queues)
            .map(|(name, value)| CopiedNode {
                name: name.clone(),
                value,
                position: position(name),
            })
            .collect();
        if nodes.is_empty() {
            return None;
        }
        let is_copied = |name: &str| nodes.iter().any(|node| node.name == name);
        let links = scenario
            .links
            .iter()
            .filter(|link| is_copied(&link.from) && is_copied(&link.to))
            .cloned()
            .collect();
        Some(Clipboard { nodes, links })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    fn checkout() -> EditorDocument {
        let text = include_str!("../../scenarios/checkout-async.yaml");
        EditorDocument::new(
            load_str(text, None)
                .expect("the bundled file is valid")
                .scenario,
        )
    }

    #[test]
    fn text_form_reads_back() {
        let document = checkout();
        let ids: Vec<NodeId> = document.node_ids().collect();
        let clipboard = document.copy(&ids).expect("every node copies");
        let text = clipboard.to_text().expect("the nodes write");
        assert!(text.starts_with(TEXT_HEADER), "{text}");
        assert_eq!(Clipboard::from_text(&text), Some(clipboard));
    }

    #[test]
    fn text_form_keeps_outside_references() {
        let document = checkout();
        let shoppers = document.id_of("shoppers").expect("shoppers");
        let clipboard = document.copy(&[shoppers]).expect("shoppers copies");
        let text = clipboard.to_text().expect("the node writes");
        let read = Clipboard::from_text(&text).expect("the text is a fragment");
        let Some(NodeValue::Client(client)) = read.nodes.first().map(|node| node.value.clone())
        else {
            panic!("a client: {read:?}");
        };
        assert_eq!(client.target, "gateway.checkout");
    }

    #[test]
    fn other_text_is_no_fragment() {
        for text in [
            "",
            "hello",
            "foo: bar",
            "version: 1\n",
            "[1, 2]",
            "clients: 3",
        ] {
            assert_eq!(Clipboard::from_text(text), None, "{text:?}");
        }
    }
}
