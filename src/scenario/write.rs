//! Writing a [`Scenario`] as YAML text that [`super::read`] reads back unchanged.
//!
//! The document is first serialized into an ordered tree, which keeps the
//! field order of the document types and the insertion order of their maps. The tree is
//! then written by serde-saphyr in block style, except that a short collection of
//! scalars, such as `{ poisson: 150/s }` or a layout position `[620, 80]`, goes on one
//! line in flow style, as hand-written scenarios do. Top-level sections are separated by
//! a blank line, and multi-line descriptions become literal block scalars (`|`).
//!
//! Defaults are left out by the `skip_serializing_if` attributes of the document types,
//! and durations and rates are written with their units by their `Serialize` impls.

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeMap, SerializeSeq};

use super::document::Scenario;

/// Widest flow collection written on one line, in characters, not counting its key or
/// indentation. Hand-written scenarios keep such lines under about 80 columns.
const MAX_FLOW_WIDTH: usize = 64;

/// Largest magnitude of a whole floating-point number written without a decimal point.
/// Up to 2^53 every integer is exactly representable, so `200` reads back as `200.0`.
const MAX_PLAIN_WHOLE_FLOAT: f64 = 9_007_199_254_740_992.0;

/// A failure to write a document as YAML.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The YAML serializer failed.
    #[error("cannot write the scenario as YAML: {0}")]
    Yaml(#[from] serde_saphyr::SerializeError),
    /// A value has no YAML form that the reader accepts.
    #[error("cannot write the scenario as YAML: {0}")]
    Unsupported(String),
}

/// Writes `scenario` as YAML text in the scenario file format.
///
/// Writing the same document twice gives the same text, and reading the text gives a
/// document equal to `scenario`. Floating-point numbers are written in their shortest
/// form that reads back to the same value.
pub fn to_yaml(scenario: &Scenario) -> Result<String, WriteError> {
    let tree = scenario.serialize(TreeSerializer)?;
    let options = serde_saphyr::ser_options! {
        indent_step: 2,
        // Lists under a key are indented, as in the bundled scenarios.
        compact_list_indent: false,
    };
    Ok(serde_saphyr::to_string_with_options(
        &Styled {
            tree: &tree,
            place: Place::Root,
        },
        options,
    )?)
}

/// A serialized value, in document order.
#[derive(Clone, Debug, PartialEq)]
enum Tree {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

impl Tree {
    /// The length of the value written in flow style, or `None` if it must not be
    /// written in flow style because it contains a line break.
    fn flow_width(&self) -> Option<usize> {
        match self {
            Tree::Null => Some(1),
            Tree::Bool(value) => Some(value.to_string().len()),
            Tree::Unsigned(value) => Some(value.to_string().len()),
            Tree::Signed(value) => Some(value.to_string().len()),
            Tree::Float(value) => Some(value.to_string().len()),
            Tree::Text(text) if text.contains(['\n', '\r']) => None,
            // Two characters for quotes the serializer may add.
            Tree::Text(text) => Some(text.chars().count() + 2),
            Tree::Seq(items) => {
                let mut width = 2 + 2 * items.len().saturating_sub(1);
                for item in items {
                    width += item.flow_width()?;
                }
                Some(width)
            }
            Tree::Map(entries) => {
                let mut width = 4 + 2 * entries.len().saturating_sub(1);
                for (key, value) in entries {
                    width += key.chars().count() + 2 + value.flow_width()?;
                }
                Some(width)
            }
        }
    }

    fn is_empty_collection(&self) -> bool {
        match self {
            Tree::Seq(items) => items.is_empty(),
            Tree::Map(entries) => entries.is_empty(),
            _ => false,
        }
    }

    /// Nesting depth of collections: 0 for a scalar, 1 for a collection of scalars.
    fn depth(&self) -> usize {
        match self {
            Tree::Seq(items) => 1 + items.iter().map(Tree::depth).max().unwrap_or(0),
            Tree::Map(entries) => 1 + entries.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Whether a collection reads better on one line: it is empty, or short and either a
    /// list of scalars, as in `[620, 80]`, or a mapping at most two levels deep, as in
    /// `{ lognormal: { mean: 2ms, p99: 10ms } }`. Lists of steps, profile changes, links
    /// and faults stay in block style, one item a line.
    fn is_flow(&self) -> bool {
        let is_short = || self.flow_width().is_some_and(|w| w <= MAX_FLOW_WIDTH);
        match self {
            _ if self.is_empty_collection() => true,
            Tree::Seq(_) => self.depth() == 1 && is_short(),
            Tree::Map(_) => self.depth() <= 2 && is_short(),
            _ => false,
        }
    }
}

/// A tree with the styles chosen for writing.
struct Styled<'a> {
    tree: &'a Tree,
    place: Place,
}

/// Where a value is written, which decides the style of a collection.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// The document's root mapping, whose entries get blank lines between them.
    Root,
    /// The value of a top-level key, such as `services`, written in block style unless
    /// it is empty.
    Section,
    /// Any other value in block style.
    Block,
    /// A value nested in a flow collection.
    Flow,
}

impl Styled<'_> {
    fn child<'t>(&self, tree: &'t Tree) -> Styled<'t> {
        let place = match self.place {
            Place::Root => Place::Section,
            Place::Section | Place::Block => Place::Block,
            Place::Flow => Place::Flow,
        };
        Styled { tree, place }
    }

    fn starts_flow(&self) -> bool {
        match self.place {
            Place::Root | Place::Flow => false,
            Place::Section => self.tree.is_empty_collection(),
            Place::Block => self.tree.is_flow(),
        }
    }
}

impl Serialize for Styled<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.starts_flow() {
            let inner = Styled {
                tree: self.tree,
                place: Place::Flow,
            };
            // Only the outermost flow collection gets the wrapper. serde-saphyr 2.2 writes
            // everything inside a flow collection in flow style anyway, but leaves the hint
            // of a nested wrapper pending, so that the next block mapping after the flow
            // collection would come out in flow style.
            return match self.tree {
                Tree::Seq(_) => serde_saphyr::FlowSeq(inner).serialize(serializer),
                _ => serde_saphyr::FlowMap(inner).serialize(serializer),
            };
        }
        match self.tree {
            Tree::Null => serializer.serialize_unit(),
            Tree::Bool(value) => serializer.serialize_bool(*value),
            Tree::Unsigned(value) => serializer.serialize_u64(*value),
            Tree::Signed(value) => serializer.serialize_i64(*value),
            Tree::Float(value) => serialize_float(*value, serializer),
            Tree::Text(text) => serializer.serialize_str(text),
            Tree::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&self.child(item))?;
                }
                seq.end()
            }
            Tree::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    map.serialize_key(key)?;
                    // A blank line after a text kept with all its final line breaks (`|+`)
                    // would read back as one more line break.
                    let keeps_breaks = matches!(value, Tree::Text(text) if text.ends_with("\n\n"));
                    if self.place == Place::Root && i + 1 < entries.len() && !keeps_breaks {
                        map.serialize_value(&serde_saphyr::SpaceAfter(self.child(value)))?;
                    } else {
                        map.serialize_value(&self.child(value))?;
                    }
                }
                map.end()
            }
        }
    }
}

/// Writes a whole float without its decimal point, as people write positions and
/// multipliers; the reader accepts an integer wherever it expects a float.
fn serialize_float<S: ser::Serializer>(value: f64, serializer: S) -> Result<S::Ok, S::Error> {
    // -0.0 keeps its decimal point, because `-0` would read back as 0.0.
    let is_plain_whole = value.fract() == 0.0
        && value.abs() <= MAX_PLAIN_WHOLE_FLOAT
        && !(value == 0.0 && value.is_sign_negative());
    if is_plain_whole {
        serializer.serialize_i64(value as i64)
    } else {
        serializer.serialize_f64(value)
    }
}

/// A serde serializer that builds a [`Tree`].
struct TreeSerializer;

impl ser::Error for WriteError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        WriteError::Unsupported(message.to_string())
    }
}

impl ser::Serializer for TreeSerializer {
    type Ok = Tree;
    type Error = WriteError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantBuilder<MapBuilder>;

    fn serialize_bool(self, value: bool) -> Result<Tree, WriteError> {
        Ok(Tree::Bool(value))
    }

    fn serialize_i8(self, value: i8) -> Result<Tree, WriteError> {
        Ok(Tree::Signed(value.into()))
    }

    fn serialize_i16(self, value: i16) -> Result<Tree, WriteError> {
        Ok(Tree::Signed(value.into()))
    }

    fn serialize_i32(self, value: i32) -> Result<Tree, WriteError> {
        Ok(Tree::Signed(value.into()))
    }

    fn serialize_i64(self, value: i64) -> Result<Tree, WriteError> {
        Ok(Tree::Signed(value))
    }

    fn serialize_u8(self, value: u8) -> Result<Tree, WriteError> {
        Ok(Tree::Unsigned(value.into()))
    }

    fn serialize_u16(self, value: u16) -> Result<Tree, WriteError> {
        Ok(Tree::Unsigned(value.into()))
    }

    fn serialize_u32(self, value: u32) -> Result<Tree, WriteError> {
        Ok(Tree::Unsigned(value.into()))
    }

    fn serialize_u64(self, value: u64) -> Result<Tree, WriteError> {
        Ok(Tree::Unsigned(value))
    }

    fn serialize_f32(self, value: f32) -> Result<Tree, WriteError> {
        Ok(Tree::Float(value.into()))
    }

    fn serialize_f64(self, value: f64) -> Result<Tree, WriteError> {
        if value.is_finite() {
            Ok(Tree::Float(value))
        } else {
            Err(WriteError::Unsupported(format!(
                "the number {value} is not finite, and a scenario accepts only finite numbers"
            )))
        }
    }

    fn serialize_char(self, value: char) -> Result<Tree, WriteError> {
        Ok(Tree::Text(value.to_string()))
    }

    fn serialize_str(self, value: &str) -> Result<Tree, WriteError> {
        Ok(Tree::Text(value.to_owned()))
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<Tree, WriteError> {
        Err(WriteError::Unsupported(
            "a scenario contains no binary data".to_owned(),
        ))
    }

    fn serialize_none(self) -> Result<Tree, WriteError> {
        Ok(Tree::Null)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Tree, WriteError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Tree, WriteError> {
        Ok(Tree::Null)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Tree, WriteError> {
        Ok(Tree::Null)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Tree, WriteError> {
        Ok(Tree::Text(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Tree, WriteError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Tree, WriteError> {
        Ok(Tree::Map(vec![(
            variant.to_owned(),
            value.serialize(TreeSerializer)?,
        )]))
    }

    fn serialize_seq(self, length: Option<usize>) -> Result<SeqBuilder, WriteError> {
        Ok(SeqBuilder(Vec::with_capacity(length.unwrap_or(0))))
    }

    fn serialize_tuple(self, length: usize) -> Result<SeqBuilder, WriteError> {
        self.serialize_seq(Some(length))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        length: usize,
    ) -> Result<SeqBuilder, WriteError> {
        self.serialize_seq(Some(length))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        length: usize,
    ) -> Result<VariantBuilder<SeqBuilder>, WriteError> {
        Ok(VariantBuilder {
            variant,
            inner: SeqBuilder(Vec::with_capacity(length)),
        })
    }

    fn serialize_map(self, length: Option<usize>) -> Result<MapBuilder, WriteError> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(length.unwrap_or(0)),
            key: None,
        })
    }

    fn serialize_struct(self, _: &'static str, length: usize) -> Result<MapBuilder, WriteError> {
        self.serialize_map(Some(length))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        length: usize,
    ) -> Result<VariantBuilder<MapBuilder>, WriteError> {
        Ok(VariantBuilder {
            variant,
            inner: self.serialize_map(Some(length))?,
        })
    }
}

struct SeqBuilder(Vec<Tree>);

impl SerializeSeq for SeqBuilder {
    type Ok = Tree;
    type Error = WriteError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), WriteError> {
        self.0.push(value.serialize(TreeSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Tree, WriteError> {
        Ok(Tree::Seq(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Tree;
    type Error = WriteError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), WriteError> {
        SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Tree, WriteError> {
        SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Tree;
    type Error = WriteError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), WriteError> {
        SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Tree, WriteError> {
        SerializeSeq::end(self)
    }
}

struct MapBuilder {
    entries: Vec<(String, Tree)>,
    key: Option<String>,
}

impl SerializeMap for MapBuilder {
    type Ok = Tree;
    type Error = WriteError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), WriteError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), WriteError> {
        let key = self.key.take().ok_or_else(|| {
            WriteError::Unsupported("a map value was serialized without its key".to_owned())
        })?;
        self.entries.push((key, value.serialize(TreeSerializer)?));
        Ok(())
    }

    fn end(self) -> Result<Tree, WriteError> {
        Ok(Tree::Map(self.entries))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Tree;
    type Error = WriteError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        self.entries
            .push((key.to_owned(), value.serialize(TreeSerializer)?));
        Ok(())
    }

    fn end(self) -> Result<Tree, WriteError> {
        SerializeMap::end(self)
    }
}

/// An enum variant with fields, written as a mapping from the variant's name to them.
struct VariantBuilder<T> {
    variant: &'static str,
    inner: T,
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = Tree;
    type Error = WriteError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), WriteError> {
        SerializeSeq::serialize_element(&mut self.inner, value)
    }

    fn end(self) -> Result<Tree, WriteError> {
        let value = SerializeSeq::end(self.inner)?;
        Ok(Tree::Map(vec![(self.variant.to_owned(), value)]))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<MapBuilder> {
    type Ok = Tree;
    type Error = WriteError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }

    fn end(self) -> Result<Tree, WriteError> {
        let value = SerializeMap::end(self.inner)?;
        Ok(Tree::Map(vec![(self.variant.to_owned(), value)]))
    }
}

/// Serializes a map key, which in a scenario is always a string.
struct KeySerializer;

impl KeySerializer {
    fn reject() -> WriteError {
        WriteError::Unsupported("every key of a scenario mapping is a string".to_owned())
    }
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = WriteError;
    type SerializeSeq = Impossible<String, WriteError>;
    type SerializeTuple = Impossible<String, WriteError>;
    type SerializeTupleStruct = Impossible<String, WriteError>;
    type SerializeTupleVariant = Impossible<String, WriteError>;
    type SerializeMap = Impossible<String, WriteError>;
    type SerializeStruct = Impossible<String, WriteError>;
    type SerializeStructVariant = Impossible<String, WriteError>;

    fn serialize_str(self, value: &str) -> Result<String, WriteError> {
        Ok(value.to_owned())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, WriteError> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, WriteError> {
        value.serialize(self)
    }

    fn serialize_bool(self, _: bool) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_i8(self, _: i8) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_i16(self, _: i16) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_i32(self, _: i32) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_i64(self, _: i64) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_u8(self, _: u8) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_u16(self, _: u16) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_u32(self, _: u32) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_u64(self, _: u64) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_f32(self, _: f32) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_f64(self, _: f64) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_char(self, value: char) -> Result<String, WriteError> {
        Ok(value.to_string())
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_none(self) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<String, WriteError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, WriteError> {
        Err(Self::reject())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, WriteError> {
        Err(Self::reject())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, WriteError> {
        Err(Self::reject())
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, WriteError> {
        Err(Self::reject())
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, WriteError> {
        Err(Self::reject())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, WriteError> {
        Err(Self::reject())
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, WriteError> {
        Err(Self::reject())
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, WriteError> {
        Err(Self::reject())
    }
}
