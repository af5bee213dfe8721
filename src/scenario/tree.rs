//! A YAML document as a tree of located nodes.
//!
//! The scenario reader works on this tree rather than deserializing the typed document
//! directly, so that one pass can report every problem it finds, each with its line and
//! column, instead of stopping at the first one as a derived `Deserialize` would.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// A position in the source file, 1-based. Line 0 means unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line number, counted from 1.
    pub line: u64,
    /// Column number in characters, counted from 1.
    pub column: u64,
}

impl Position {
    fn from_location(location: Location) -> Self {
        Self {
            line: location.line(),
            column: location.column(),
        }
    }

    /// Whether the position points into the file.
    #[must_use]
    pub fn is_known(self) -> bool {
        self.line > 0
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One node of the tree with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the node starts in the file.
    pub position: Position,
    /// The node's content.
    pub value: Value,
    /// Where the node's own text is in the source, as a byte range, when the parser
    /// reports it. For an alias this is the text of the anchored node it refers to.
    /// Messages use it to quote a scalar as the user wrote it, such as `1e300`.
    pub source: Option<std::ops::Range<usize>>,
}

/// The content of a node. Scalars keep the type YAML resolved for them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in 64 bits, signed or not.
    Int(i128),
    /// A floating-point number, including `.nan` and `.inf`.
    Float(f64),
    /// Any other scalar.
    String(String),
    /// A sequence, in file order.
    Seq(Vec<Node>),
    /// A mapping, in file order, with each key's own position.
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// Where the key starts in the file.
    pub position: Position,
    /// The key's text; non-string keys are written as YAML would print them.
    pub name: String,
}

impl Value {
    /// A short description of the kind of value, for error messages.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The value as it would appear in a message: scalars literally, collections by kind.
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(x) => super::diagnostic::number(*x),
            Value::String(s) => format!("{s:?}"),
            Value::Seq(_) => "a list".to_owned(),
            Value::Map(_) => "a mapping".to_owned(),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        let span = spanned.defined.span();
        let source = span
            .byte_offset()
            .zip(span.byte_len())
            .and_then(|(start, len)| {
                let start = usize::try_from(start).ok()?;
                Some(start..start.checked_add(usize::try_from(len).ok()?)?)
            });
        Ok(Node {
            position: Position::from_location(spanned.referenced),
            value: spanned.value,
            source,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(v)))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let name = match key.value {
                Value::String(s) => s,
                Value::Null => "null".to_owned(),
                other => other.display(),
            };
            let value = map.next_value::<Node>()?;
            entries.push((
                Key {
                    position: key.position,
                    name,
                },
                value,
            ));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_nodes_keep_positions() {
        let text = "a: 1\nb:\n  c: [x, 2.5]\n  d: ~\n";
        let node: Node = serde_saphyr::from_str(text).expect("valid YAML");
        let Value::Map(entries) = &node.value else {
            panic!("expected a mapping, got {node:?}");
        };
        assert_eq!(entries[0].0.name, "a");
        assert_eq!(entries[0].1.value, Value::Int(1));
        assert_eq!(entries[0].1.position, Position { line: 1, column: 4 });
        assert_eq!(entries[1].0.position, Position { line: 2, column: 1 });
        let Value::Map(inner) = &entries[1].1.value else {
            panic!("expected a mapping");
        };
        let Value::Seq(items) = &inner[0].1.value else {
            panic!("expected a list");
        };
        assert_eq!(items[1].value, Value::Float(2.5));
        assert_eq!(
            items[1].position,
            Position {
                line: 3,
                column: 10
            }
        );
        assert_eq!(inner[1].1.value, Value::Null);
    }
}
