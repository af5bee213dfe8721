//! Reading a scenario file into a [`Scenario`], collecting every problem on the way.
//!
//! The file is parsed into a located tree first ([`super::tree`]); this module then walks
//! the tree, converting what it can and recording a [`Diagnostic`] for what it cannot, so
//! that one run reports all the problems of a file. A value that cannot be read is
//! replaced by its default, which keeps later checks from reporting consequences of the
//! same mistake.

use std::path::Path;

use indexmap::IndexMap;

use super::diagnostic::{
    Diagnostic, Diagnostics, SourceMap, did_you_mean, did_you_mean_ending, float_literal,
    quoted_list, quoted_list_and, quoted_names,
};
use super::distribution::{Distribution, Lognormal};
use super::document::RetryBudget;
use super::document::{
    Arrivals, Backoff, CallStep, Client, Consumer, Defaults, FORMAT_VERSION, Jitter, Link,
    LoadBalancing, Operation, Overflow, ParallelStep, Preset, PublishStep, Queue, RateChange,
    RetryPolicy, RunSettings, Scenario, Service, Step, WorkStep, Workload,
};
use super::retries::{ERROR_KIND_NAMES, error_kind_name};
use super::tree::{Key, Node, Position, Value};
use super::units::{DURATION_UNITS_HELP, Duration, RATE_UNITS_HELP, Rate};
use crate::metrics::recorder::ErrorKind;

mod breaker;
mod protections;

mod faults;

/// Shortest period of an autoscaler's evaluation or a queue's poll.
pub const MIN_PERIOD: Duration = Duration::from_millis(1);

/// Largest scenario file accepted, in bytes. Hand-written and editor-saved scenarios are
/// a few kilobytes; a file past this is almost certainly not a scenario.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Alias references allowed in one file. Each alias may expand to a large subtree, so
/// this and the node budget below keep "billion laughs" files from exhausting memory.
const MAX_ALIASES: usize = 1_000;

/// Parser events allowed in one file, aliases expanded.
const MAX_EVENTS: usize = 500_000;

/// Scalars, lists and mappings allowed in one file, aliases expanded. The largest
/// bundled scenario, checkout-async.yaml, has 293.
const MAX_NODES: usize = 250_000;

/// Nesting depth of lists and mappings allowed. A scenario nests about eight deep; the
/// limit also bounds the recursion of the reader.
const MAX_DEPTH: usize = 64;

/// Replicas of one service at most. This and the limits below are far above what a
/// scenario models, and keep a valid file from making a run exhaust memory or overflow
/// the engine's counters.
pub const MAX_REPLICAS: u32 = 10_000;

/// Workers of one replica, or consumers of one queue per replica, at most.
pub const MAX_WORKERS: u32 = 100_000;

/// Users of one closed client at most.
pub const MAX_USERS: u32 = 1_000_000;

/// Attempts of one call, publish or request at most, the first one included. Without a
/// backoff, every retry of an attempt that times out at once happens at the same instant.
pub const MAX_ATTEMPTS: u32 = 100;

/// Retries allowed at once by a retry budget's `min_retry_concurrency`, at most.
pub const MAX_RETRY_CONCURRENCY: u32 = 1_000_000;

pub use super::units::{MAX_DURATION, MAX_RATE_PER_SEC, MIN_RATE_PER_SEC};

/// A scenario read from text, with the positions of its fields.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The document.
    pub scenario: Scenario,
    /// Where each field was in the file.
    pub sources: SourceMap,
    /// Warnings found while reading and validating.
    pub warnings: Vec<Diagnostic>,
}

/// Checks that `path` names a regular file, or a link to one, before it is read: a
/// named pipe, a socket or a device would block the reader or never end, and a directory
/// cannot be read. The desktop app checks this before it opens a file; the command line
/// reads what it is given, as other command-line tools do.
///
/// # Errors
/// Fails with one diagnostic naming the kind of file found.
pub fn check_regular_file(path: &Path) -> Result<(), Vec<Diagnostic>> {
    let kind = match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => return Ok(()),
        Ok(metadata) => file_kind(metadata.file_type()),
        // Reading reports the error itself, such as a missing file.
        Err(_) => return Ok(()),
    };
    let mut diagnostics = Diagnostics::new(Some(path.to_path_buf()));
    diagnostics.error_at(
        Position::default(),
        "",
        format!("cannot read the file: it is {kind}, not a regular file; give a scenario file"),
    );
    Err(diagnostics.into_sorted())
}

/// Names a kind of file other than a regular one, with its article.
fn file_kind(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a named pipe";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Reads and validates the scenario file at `path`.
///
/// On failure, returns every error and warning found, each naming the file.
pub fn load_file(path: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let bytes = read_limited(path)?;
    load_bytes(&bytes, Some(path.to_path_buf()))
}

/// Reads the bytes of the file at `path`, or fails with the diagnostic of a file that
/// cannot be read or is larger than [`MAX_FILE_BYTES`].
fn read_limited(path: &Path) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let file = Some(path.to_path_buf());
    // Read at most one byte past the limit, so that a device such as /dev/zero or a
    // huge file is rejected without being read whole.
    let read = std::fs::File::open(path).and_then(|file| {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_FILE_BYTES as u64 + 1),
            &mut bytes,
        )?;
        Ok(bytes)
    });
    match read {
        Ok(bytes) if bytes.len() > MAX_FILE_BYTES => {
            let size = std::fs::metadata(path)
                .ok()
                .filter(std::fs::Metadata::is_file)
                .map_or_else(
                    || format!("more than {MAX_FILE_BYTES}"),
                    |m| m.len().to_string(),
                );
            let mut diagnostics = Diagnostics::new(file);
            diagnostics.error_at(
                Position::default(),
                "",
                format!(
                    "the file is {size} bytes, larger than the limit of {MAX_FILE_BYTES} bytes ({} MiB) for a scenario",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            );
            Err(diagnostics.into_sorted())
        }
        Ok(bytes) => Ok(bytes),
        Err(error) => {
            let mut diagnostics = Diagnostics::new(file);
            diagnostics.error_at(
                Position::default(),
                "",
                format!("cannot read the file: {error}"),
            );
            Err(diagnostics.into_sorted())
        }
    }
}

/// Reads and validates a scenario from bytes; `file` names it in diagnostics.
pub fn load_bytes(
    bytes: &[u8],
    file: Option<std::path::PathBuf>,
) -> Result<Loaded, Vec<Diagnostic>> {
    let text = decode_utf8(bytes, file.clone())?;
    let mut diagnostics = Diagnostics::new(file);
    let mut sources = SourceMap::default();
    let scenario = parse_text(text, &mut diagnostics, &mut sources);
    if let Some(scenario) = &scenario {
        super::validate::validate(scenario, &sources, &mut diagnostics);
    }
    match scenario {
        Some(scenario) if !diagnostics.has_errors() => Ok(Loaded {
            scenario,
            sources,
            warnings: diagnostics.into_sorted(),
        }),
        _ => Err(diagnostics.into_sorted()),
    }
}

/// Returns `bytes` as text, or fails with the diagnostic of bytes larger than
/// [`MAX_FILE_BYTES`] or not in UTF-8.
fn decode_utf8(bytes: &[u8], file: Option<std::path::PathBuf>) -> Result<&str, Vec<Diagnostic>> {
    let mut diagnostics = Diagnostics::new(file);
    if bytes.len() > MAX_FILE_BYTES {
        diagnostics.error_at(
            Position::default(),
            "",
            format!(
                "the file is {} bytes, larger than the limit of {} bytes ({} MiB) for a scenario",
                bytes.len(),
                MAX_FILE_BYTES,
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        );
        return Err(diagnostics.into_sorted());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => {
            let (position, byte) = utf8_error_position(bytes, error.valid_up_to());
            diagnostics.error_at(
                position,
                "",
                format!("invalid UTF-8: byte 0x{byte:02x} at offset {} is not part of a UTF-8 character; save the file as UTF-8", error.valid_up_to()),
            );
            Err(diagnostics.into_sorted())
        }
    }
}

/// Reads a scenario to go on editing it, such as a recovered one: like [`load_str`], but
/// a document that could be read is returned with its diagnostics even if it has
/// errors, as a document being edited often has.
///
/// The diagnostics are exactly those of [`load_str`]. A value that is read but out of
/// range, such as a lognormal whose p99 is below its mean or `replicas: 0`, stays in the
/// document as written, so that writing the document gives the same error again. A
/// field that cannot be read at all, such as an unknown key, a duration without a unit
/// or a number too large for its type, has its default, and the diagnostic names it.
///
/// # Errors
/// Fails with the diagnostics when the text is not a scenario at all, such as invalid
/// YAML or invalid UTF-8.
pub fn load_str_for_editing(
    text: &str,
    file: Option<std::path::PathBuf>,
) -> Result<(Scenario, Vec<Diagnostic>), Vec<Diagnostic>> {
    if text.len() > MAX_FILE_BYTES {
        return load_str(text, file).map(|loaded| (loaded.scenario, loaded.warnings));
    }
    let mut diagnostics = Diagnostics::new(file);
    let Some(root) = parse_tree(text, &mut diagnostics) else {
        return Err(diagnostics.into_sorted());
    };
    // The messages come from the reading that replaces invalid values by stand-ins, as
    // `topolab validate` reads the file, and the document from the one that keeps them.
    let mut sources = SourceMap::default();
    let stand_in = read_tree(&root, text, &mut diagnostics, &mut sources, false);
    super::validate::validate(&stand_in, &sources, &mut diagnostics);
    let scenario = read_tree(
        &root,
        text,
        &mut Diagnostics::new(None),
        &mut SourceMap::default(),
        true,
    );
    Ok((scenario, diagnostics.into_sorted()))
}

/// Reads the scenario file at `path` to go on editing it, as [`load_str_for_editing`]
/// does, with the checks of size and encoding of [`load_file`].
///
/// # Errors
/// Fails with the diagnostics when the file cannot be read or is not a scenario at all.
pub fn load_file_for_editing(path: &Path) -> Result<(Scenario, Vec<Diagnostic>), Vec<Diagnostic>> {
    let file = Some(path.to_path_buf());
    let bytes = read_limited(path)?;
    let text = decode_utf8(&bytes, file.clone())?;
    load_str_for_editing(text, file)
}

/// Reads and validates a scenario from text, as [`load_bytes`] does.
pub fn load_str(text: &str, file: Option<std::path::PathBuf>) -> Result<Loaded, Vec<Diagnostic>> {
    load_bytes(text.as_bytes(), file)
}

/// Finds the line and column of the first invalid byte, counting columns in characters
/// as the parser does, and returns them with the byte itself.
fn utf8_error_position(bytes: &[u8], valid_up_to: usize) -> (Position, u8) {
    let valid = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line = valid.matches('\n').count() as u64 + 1;
    let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
    let column = valid[line_start..].chars().count() as u64 + 1;
    (Position { line, column }, bytes[valid_up_to])
}

/// The limits of the YAML parser for a scenario file.
fn parser_budget() -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_aliases = MAX_ALIASES;
    budget.max_events = MAX_EVENTS;
    budget.max_nodes = MAX_NODES;
    budget.max_depth = MAX_DEPTH;
    budget
}

/// Whether the YAML text has an alias (`*name`) before it reaches the parser's limits.
/// Scans the text again, without expanding aliases, so it is only called for a file
/// that was already rejected as too large.
fn has_aliases(text: &str) -> bool {
    use serde_saphyr::budget::{EnforcingPolicy, check_yaml_budget};
    // A file that cannot be scanned keeps the message that mentions aliases.
    check_yaml_budget(text, parser_budget(), EnforcingPolicy::AllContent)
        .map_or(true, |report| report.aliases > 0)
}

/// The options of the YAML parser for a scenario file.
fn parser_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: Some(parser_budget()),
        // Duplicate keys reach the tree, and `remove_duplicate_keys` reports each one
        // with its path, so that the rest of the file is still checked.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        // `.nan`, `.inf` and numbers beyond the range of f64 reach the tree, so that the
        // reader names the field and states what is allowed there.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        // Only `true` and `false` are booleans, as in YAML 1.2, so that a service named
        // `y`, `no` or `off` keeps its name instead of becoming a boolean.
        strict_booleans: true,
    }
}

fn parse_text(
    text: &str,
    diagnostics: &mut Diagnostics,
    sources: &mut SourceMap,
) -> Option<Scenario> {
    let root = parse_tree(text, diagnostics)?;
    Some(read_tree(&root, text, diagnostics, sources, false))
}

/// Parses `text` into a tree without duplicate keys, reporting each duplicate, or
/// reports why the text is not YAML.
fn parse_tree(text: &str, diagnostics: &mut Diagnostics) -> Option<Node> {
    let mut root: Node = match serde_saphyr::from_str_with_options(text, parser_options()) {
        Ok(root) => root,
        Err(error) => {
            let position = error.location().map_or(Position::default(), |l| Position {
                line: l.line(),
                column: l.column(),
            });
            diagnostics.error_at(position, "", yaml_error_message(&error, text));
            return None;
        }
    };
    remove_duplicate_keys(&mut root, "", diagnostics);
    Some(root)
}

/// Reads the scenario of a parsed tree; `keep_invalid` is described at [`Reader`].
fn read_tree(
    root: &Node,
    text: &str,
    diagnostics: &mut Diagnostics,
    sources: &mut SourceMap,
    keep_invalid: bool,
) -> Scenario {
    let mut reader = Reader {
        diagnostics,
        sources,
        text,
        keep_invalid,
    };
    reader.scenario(root)
}

/// Reports every key that appears twice in one mapping and removes the later entries,
/// so that the reader sees each key once, with its first value.
fn remove_duplicate_keys(node: &mut Node, path: &str, diagnostics: &mut Diagnostics) {
    match &mut node.value {
        Value::Map(entries) => {
            let mut first: std::collections::HashMap<String, Position> =
                std::collections::HashMap::new();
            entries.retain(|(key, _)| {
                let Some(position) = first.get(&key.name) else {
                    first.insert(key.name.clone(), key.position);
                    return true;
                };
                diagnostics.error_at(
                    key.position,
                    &join(path, &key.name),
                    format!(
                        "duplicate key \"{}\": it is already set at line {}, column {}; keys of a mapping must be unique, so remove or rename one of them",
                        key.name, position.line, position.column
                    ),
                );
                false
            });
            for (key, value) in entries {
                remove_duplicate_keys(value, &join(path, &key.name), diagnostics);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                remove_duplicate_keys(item, &index(path, i), diagnostics);
            }
        }
        _ => {}
    }
}

/// Rewrites the parser's error as a diagnostic message, without the location that the
/// diagnostic shows anyway and without advice about the parser's own API.
fn yaml_error_message(error: &serde_saphyr::Error, text: &str) -> String {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    let mut error = error;
    while let Error::WithSnippet { error: inner, .. } | Error::AliasError { error: inner, .. } =
        error
    {
        error = inner;
    }
    let expansion = "Aliases that refer to lists of other aliases multiply in size; expand them by hand, or use fewer";
    match error {
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Aliases { aliases } => format!(
                "the file uses more than {MAX_ALIASES} aliases ({aliases} so far), the limit for a scenario. {expansion}"
            ),
            BudgetBreach::Events { .. } if !has_aliases(text) => format!(
                "the file has more than the {MAX_EVENTS} parser events allowed for a scenario; reduce the number of services, operations, steps or list entries"
            ),
            BudgetBreach::Nodes { .. } if !has_aliases(text) => format!(
                "the file has more than the {MAX_NODES} nodes (scalars, lists and mappings) allowed for a scenario; reduce the number of services, operations, steps or list entries"
            ),
            BudgetBreach::Events { .. } | BudgetBreach::Nodes { .. } | BudgetBreach::RecordedAnchorEvents { .. } => format!(
                "the file expands to more than the {MAX_NODES} nodes or {MAX_EVENTS} parser events allowed for a scenario once its aliases are replaced. {expansion}"
            ),
            BudgetBreach::AliasAnchorRatio { aliases, anchors } => format!(
                "the file uses {aliases} aliases of only {anchors} anchors, a pattern of alias bombs rather than of scenarios. {expansion}"
            ),
            BudgetBreach::Depth { .. } => format!(
                "lists and mappings are nested more than {MAX_DEPTH} levels deep, beyond any scenario; check the brackets and the indentation"
            ),
            _ => "the file is too large or too complex for a scenario; check it for aliases that expand to large parts of the file".to_owned(),
        },
        Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. } => format!(
            "the file expands its aliases more than a scenario may. {expansion}"
        ),
        Error::MultipleDocuments { .. } => {
            "the file contains more than one YAML document; a scenario file holds exactly one, so remove the \"---\" separator and what follows it".to_owned()
        }
        Error::UnknownAnchor { .. } => "invalid YAML: the alias refers to no anchor; define the anchor, as in \"&name\", before its alias \"*name\"".to_owned(),
        Error::RecursiveReferencesRequireWeakTypes { .. } => {
            "invalid YAML: the alias refers to a node that contains it, so its value would be infinite".to_owned()
        }
        Error::DuplicateMappingKey { key, .. } => match key {
            Some(key) => format!("duplicate key \"{key}\": keys of a mapping must be unique"),
            None => "duplicate key: keys of a mapping must be unique".to_owned(),
        },
        other => {
            let message = serde_saphyr::MessageFormatter::format_message(&serde_saphyr::UserMessageFormatter, other);
            let message = message.trim_end_matches('.');
            if message.contains("recursion limit") {
                return format!(
                    "invalid YAML: lists and mappings are nested too deeply ({message}); check the brackets and the indentation"
                );
            }
            if message.contains("flow mapping") || message.contains("flow sequence") {
                return format!(
                    "invalid YAML: {message}; check that every \"{{\" and \"[\" before this point is closed"
                );
            }
            let mut message = format!("invalid YAML: {message}");
            if message.contains("tab") {
                message.push_str("; indent with spaces");
            }
            message
        }
    }
}

/// Formats a value for a message when its text in the file is not known. Unlike
/// [`Value::display`], floating-point numbers keep their decimal point, as in `3.0`, so
/// that a message never shows a float as if it were an integer; large and small ones
/// take an exponent, as in `1e300`. See [`Reader::shown`], which prefers the text.
fn shown_value(value: &Value) -> String {
    match value {
        Value::Float(x) => float_literal(*x),
        other => other.display(),
    }
}

/// Longest number quoted in a message as written, in bytes; a longer one is shown in
/// its shortest form, as in `1e300`, so that a message stays readable.
const MAX_QUOTED_NUMBER: usize = 40;

/// The text of a number as written in `text`, if `node` came from it and the text reads
/// back as the same value: for an alias, the text is that of the anchored node.
fn number_as_written<'t>(text: &'t str, node: &Node) -> Option<&'t str> {
    if !matches!(node.value, Value::Int(_) | Value::Float(_)) {
        return None;
    }
    let written = text.get(node.source.clone()?)?.trim();
    if written.is_empty() || written.len() > MAX_QUOTED_NUMBER {
        return None;
    }
    // Check that the span is the scalar alone, and not, say, a tag or a quoted string.
    let reread: Value = serde_saphyr::from_str_with_options(written, parser_options()).ok()?;
    let same = match (&reread, &node.value) {
        (Value::Float(a), Value::Float(b)) => {
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
        }
        (a, b) => a == b,
    };
    same.then_some(written)
}

fn is_finite_number(value: &Value) -> bool {
    match value {
        Value::Int(_) => true,
        Value::Float(x) => x.is_finite(),
        _ => false,
    }
}

struct Reader<'a> {
    diagnostics: &'a mut Diagnostics,
    sources: &'a mut SourceMap,
    /// The text being read, to quote numbers in messages as they are written.
    text: &'a str,
    /// Whether a value that is read but out of range stays in the document, as the
    /// editor needs it, rather than being replaced by its stand-in. The diagnostics of
    /// such a reading are not used, because a kept value can lead to further messages.
    keep_invalid: bool,
}

/// A mapping being read: the keys taken are remembered so that the rest can be
/// reported as unknown, with the keys that were expected.
struct Fields<'n> {
    path: String,
    entries: &'n [(Key, Node)],
    taken: Vec<bool>,
    expected: Vec<&'static str>,
}

impl<'n> Fields<'n> {
    fn take(&mut self, key: &'static str) -> Option<(&'n Node, String)> {
        self.expected.push(key);
        let index = self.entries.iter().position(|(k, _)| k.name == key)?;
        self.taken[index] = true;
        Some((&self.entries[index].1, join(&self.path, key)))
    }

    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.name == key)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

impl Reader<'_> {
    /// Formats the value of `node` for a message: a number as written in the file, as in
    /// `1e300` or `18446744073709551616`, else as [`shown_value`] does.
    fn shown(&self, node: &Node) -> String {
        number_as_written(self.text, node).map_or_else(|| shown_value(&node.value), str::to_owned)
    }

    fn error(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        self.error_at(node.position, path, message);
    }

    /// Reports an error and marks the field unreadable, so that the validator does not
    /// report consequences of the stand-in value.
    fn error_at(&mut self, position: Position, path: &str, message: impl Into<String>) {
        self.sources.mark_unreadable(path);
        self.diagnostics.error_at(position, path, message);
    }

    fn record(&mut self, node: &Node, path: &str) {
        self.sources.insert(path, node.position);
    }

    /// Returns a value that was read, unless it is invalid and this reading replaces
    /// invalid values by stand-ins; the caller has reported why it is invalid.
    fn kept<T>(&self, value: T, valid: bool) -> Option<T> {
        (valid || self.keep_invalid).then_some(value)
    }

    /// Starts reading a mapping; `null` reads as an empty mapping.
    fn fields<'n>(&mut self, node: &'n Node, path: &str) -> Option<Fields<'n>> {
        self.record(node, path);
        match &node.value {
            Value::Map(entries) => Some(Fields {
                path: path.to_owned(),
                entries,
                taken: vec![false; entries.len()],
                expected: Vec::new(),
            }),
            Value::Null => Some(Fields {
                path: path.to_owned(),
                entries: &[],
                taken: Vec::new(),
                expected: Vec::new(),
            }),
            _ => {
                self.error(
                    node,
                    path,
                    format!(
                        "expected a mapping of keys to values, found {}",
                        self.shown(node)
                    ),
                );
                None
            }
        }
    }

    /// Reports every key of `fields` that was not taken.
    fn finish(&mut self, fields: &Fields<'_>) {
        for (i, (key, _)) in fields.entries.iter().enumerate() {
            if fields.taken[i] {
                continue;
            }
            let path = join(&fields.path, &key.name);
            let mut message = format!("unknown key \"{}\"", key.name);
            message.push_str(&did_you_mean_ending(
                &key.name,
                fields.expected.iter().copied(),
            ));
            message.push_str(&format!(
                " Allowed keys here: {}",
                fields.expected.join(", ")
            ));
            self.error_at(key.position, &path, message);
        }
    }

    fn required<'n>(
        &mut self,
        fields: &mut Fields<'n>,
        parent: &Node,
        key: &'static str,
    ) -> Option<(&'n Node, String)> {
        let found = fields.take(key);
        if found.is_none() {
            let path = join(&fields.path, key);
            self.error(parent, &path, format!("missing required key \"{key}\""));
        }
        found
    }

    /// Reads a mapping of names to entries, such as `services`, in file order.
    fn named<T>(
        &mut self,
        node: &Node,
        path: &str,
        mut read: impl FnMut(&mut Self, &Node, &str) -> T,
    ) -> IndexMap<String, T> {
        let mut out = IndexMap::new();
        self.record(node, path);
        match &node.value {
            Value::Null => {}
            Value::Map(entries) => {
                for (key, value) in entries {
                    let entry_path = join(path, &key.name);
                    self.sources.insert(&entry_path, key.position);
                    let item = read(self, value, &entry_path);
                    out.insert(key.name.clone(), item);
                }
            }
            _ => self.error(
                node,
                path,
                format!(
                    "expected a mapping from names to entries, found {}",
                    self.shown(node)
                ),
            ),
        }
        out
    }

    /// Reads a list, reporting the errors of every item. The list in the document stops
    /// before the first item that cannot be read, so that each index in the document is
    /// the item's index in the file, as the validator's messages show it.
    ///
    /// NOTE: references in the items after an unreadable one are not validated until
    /// that item is fixed.
    fn list<T>(
        &mut self,
        node: &Node,
        path: &str,
        read: impl FnMut(&mut Self, &Node, &str) -> Option<T>,
    ) -> Vec<T> {
        self.items(node, path, read).0
    }

    /// Reads a list of which every item must be readable, such as the values of an
    /// empirical distribution, returning `None` if any item cannot be read.
    fn complete_list<T>(
        &mut self,
        node: &Node,
        path: &str,
        read: impl FnMut(&mut Self, &Node, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let (items, complete) = self.items(node, path, read);
        complete.then_some(items)
    }

    /// Reads the items of a list, returning those before the first one that cannot be
    /// read and whether every item was read.
    fn items<T>(
        &mut self,
        node: &Node,
        path: &str,
        mut read: impl FnMut(&mut Self, &Node, &str) -> Option<T>,
    ) -> (Vec<T>, bool) {
        self.record(node, path);
        match &node.value {
            Value::Null => (Vec::new(), true),
            Value::Seq(items) => {
                let mut out = Vec::new();
                let mut complete = true;
                for (i, item) in items.iter().enumerate() {
                    let item_path = index(path, i);
                    self.record(item, &item_path);
                    match read(self, item, &item_path) {
                        Some(value) if complete => out.push(value),
                        Some(_) => {}
                        None => complete = false,
                    }
                }
                (out, complete)
            }
            _ => {
                self.error(
                    node,
                    path,
                    format!("expected a list, found {}", self.shown(node)),
                );
                (Vec::new(), false)
            }
        }
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        self.record(node, path);
        if let Value::String(s) = &node.value {
            return Some(s.clone());
        }
        self.error(
            node,
            path,
            format!("expected a string, found {}", self.shown(node)),
        );
        None
    }

    fn duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        self.record(node, path);
        if node.value == Value::Int(0) {
            return Some(Duration::ZERO);
        }
        // Reads the text of a number again, but no other number is a valid duration.
        let shown = self.shown(node);
        let message = match &node.value {
            Value::String(text) => match Duration::parse(text) {
                Ok(duration) => return Some(duration),
                Err(problem) => format!("invalid duration \"{text}\": {problem}"),
            },
            Value::Int(i) if *i < 0 => format!("invalid duration {shown}: must not be negative"),
            Value::Float(x) if x.is_finite() && *x < 0.0 => {
                format!("invalid duration {shown}: must not be negative")
            }
            Value::Int(_) | Value::Float(_) if is_finite_number(&node.value) => format!(
                "invalid duration {shown}: a duration needs a unit, such as {shown}ms or {shown}s; expected {DURATION_UNITS_HELP}"
            ),
            _ => format!("invalid duration {shown}: expected {DURATION_UNITS_HELP}"),
        };
        self.error(node, path, message);
        None
    }

    fn positive_duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        let (duration, valid) = self.checked_positive_duration(node, path)?;
        self.kept(duration, valid)
    }

    /// Reads a duration and reports it if it is zero; returns it with whether it is
    /// greater than zero.
    fn checked_positive_duration(&mut self, node: &Node, path: &str) -> Option<(Duration, bool)> {
        let duration = self.duration(node, path)?;
        if duration == Duration::ZERO {
            self.error(node, path, "invalid duration 0: must be greater than zero");
            return Some((duration, false));
        }
        Some((duration, true))
    }

    /// Reads the period of something that runs an event every period, such as an
    /// autoscaler's evaluation or a queue's poll, at least [`MIN_PERIOD`]: a shorter one
    /// makes the run's events, and so its time, grow without bound.
    fn period(&mut self, node: &Node, path: &str, key: &str) -> Option<Duration> {
        let (period, valid) = self.checked_positive_duration(node, path)?;
        if valid && period < MIN_PERIOD {
            self.error(
                node,
                path,
                format!(
                    "invalid {key} {period}: must be at least {MIN_PERIOD}, because an event runs every period"
                ),
            );
            return self.kept(period, false);
        }
        self.kept(period, valid)
    }

    fn rate(&mut self, node: &Node, path: &str) -> Option<Rate> {
        self.record(node, path);
        let shown = self.shown(node);
        let parsed = match &node.value {
            Value::String(text) => {
                Rate::parse(text).map_err(|problem| format!("invalid rate \"{text}\": {problem}"))
            }
            Value::Int(i) if *i < 0 => Err(format!("invalid rate {shown}: must not be negative")),
            Value::Float(x) if x.is_finite() && *x < 0.0 => {
                Err(format!("invalid rate {shown}: must not be negative"))
            }
            Value::Int(_) | Value::Float(_) if is_finite_number(&node.value) => Err(format!(
                "invalid rate {shown}: a rate needs a unit, such as {shown}/s; expected {RATE_UNITS_HELP}"
            )),
            _ => Err(format!("invalid rate {shown}: expected {RATE_UNITS_HELP}")),
        };
        // `Rate::parse` checks the range of rates other than zero.
        match parsed {
            Ok(rate) if rate.as_per_sec() > 0.0 => Some(rate),
            Ok(rate) => {
                self.error(
                    node,
                    path,
                    format!("invalid rate {shown}: must be greater than zero"),
                );
                self.kept(rate, false)
            }
            Err(message) => {
                self.error(node, path, message);
                None
            }
        }
    }

    /// Reads a whole number between `min` and `max`; `u64::MAX` as `max` means no limit
    /// other than the range of the type.
    fn count(&mut self, node: &Node, path: &str, min: u64, max: u64) -> Option<u64> {
        self.count_of_type(node, path, min, max, u64::MAX)
    }

    /// Reads a whole number between `min` and `max` as [`Self::count`] does. A whole
    /// number outside that range but from 0 to `type_max`, the largest value of the
    /// field's type, is invalid but kept as [`Self::kept`] describes.
    fn count_of_type(
        &mut self,
        node: &Node,
        path: &str,
        min: u64,
        max: u64,
        type_max: u64,
    ) -> Option<u64> {
        self.record(node, path);
        let range = if max == u64::MAX && min > 0 {
            format!("a whole number of at least {min}")
        } else {
            format!("a whole number from {min} to {max}")
        };
        if let Value::Int(i) = node.value
            && i >= i128::from(min)
            && i <= i128::from(max)
        {
            return Some(i as u64);
        }
        // Only now, because quoting the number as written reads its text again.
        let shown = self.shown(node);
        let message = match &node.value {
            Value::Int(i) if *i > i128::from(max) => format!(
                "invalid value {shown}: too large; expected a whole number from {min} to {max}"
            ),
            // `max as f64` rounds u64::MAX up to 2^64, so compare in u64, where the cast
            // saturates, and treat 2^64 and above as too large on their own.
            Value::Float(x) if *x >= 18_446_744_073_709_551_616.0 || *x as u64 > max => format!(
                "invalid value {shown}: too large; expected a whole number from {min} to {max}"
            ),
            Value::Float(x) if x.is_finite() && x.fract() == 0.0 && *x >= min as f64 => {
                format!(
                    "invalid value {shown}: expected {range}, written without a decimal point or exponent"
                )
            }
            _ => format!("invalid value {shown}: expected {range}"),
        };
        self.error(node, path, message);
        match node.value {
            Value::Int(i) if i >= 0 && i <= i128::from(type_max) => self.kept(i as u64, false),
            _ => None,
        }
    }

    fn count_u32(&mut self, node: &Node, path: &str, min: u32) -> Option<u32> {
        self.count_up_to(node, path, min, u32::MAX)
    }

    fn count_up_to(&mut self, node: &Node, path: &str, min: u32, max: u32) -> Option<u32> {
        self.count_of_type(
            node,
            path,
            u64::from(min),
            u64::from(max),
            u64::from(u32::MAX),
        )
        .map(|v| v as u32)
    }

    fn number(&mut self, node: &Node, path: &str) -> Option<f64> {
        self.record(node, path);
        let value = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(x) => *x,
            _ => {
                self.error(
                    node,
                    path,
                    format!("expected a number, found {}", self.shown(node)),
                );
                return None;
            }
        };
        if value.is_finite() {
            return Some(value);
        }
        let mut message = format!(
            "invalid number {}: expected a finite number",
            self.shown(node)
        );
        if value.is_infinite() {
            message.push_str(" (numbers beyond about ±1.8e308 read as infinite)");
        }
        self.error(node, path, message);
        None
    }

    fn probability(&mut self, node: &Node, path: &str) -> Option<f64> {
        let value = self.number(node, path)?;
        if (0.0..=1.0).contains(&value) {
            Some(value)
        } else {
            let shown = self.shown(node);
            self.error(
                node,
                path,
                format!("invalid probability {shown}: must be from 0 to 1"),
            );
            self.kept(value, false)
        }
    }

    fn choice<T: Copy>(
        &mut self,
        node: &Node,
        path: &str,
        names: &[&'static str],
        values: &[T],
    ) -> Option<T> {
        let text = self.string(node, path)?;
        if let Some(i) = names.iter().position(|n| *n == text) {
            return Some(values[i]);
        }
        let mut message = format!("invalid value \"{text}\"");
        message.push_str(&did_you_mean_ending(&text, names.iter().copied()));
        message.push_str(&format!(
            " Allowed values: {}",
            quoted_list(names.iter().copied())
        ));
        self.error(node, path, message);
        None
    }

    fn scenario(&mut self, root: &Node) -> Scenario {
        let mut scenario = Scenario::default();
        if !matches!(root.value, Value::Map(_) | Value::Null) {
            self.error(
                root,
                "",
                format!(
                    "a scenario file is a mapping of keys to values that starts with \"version: {FORMAT_VERSION}\"; found {}",
                    self.shown(root)
                ),
            );
            return scenario;
        }
        let Some(mut fields) = self.fields(root, "") else {
            return scenario;
        };
        if let Value::Null = root.value {
            self.error(
                root,
                "",
                "the file is empty: a scenario needs at least \"version: 1\"",
            );
        }
        match fields.take("version") {
            Some((node, path)) if !matches!(node.value, Value::Int(_)) => {
                let shown = self.shown(node);
                self.error(
                    node,
                    &path,
                    format!("invalid version {shown}: expected the number {FORMAT_VERSION}, as in \"version: {FORMAT_VERSION}\""),
                );
            }
            Some((node, path)) => {
                if let Some(version) = self.count(node, &path, 0, u64::from(u32::MAX))
                    && version != u64::from(FORMAT_VERSION)
                {
                    self.error(
                        node,
                        &path,
                        format!("unsupported version {version}: this build reads version {FORMAT_VERSION}"),
                    );
                }
            }
            None if root.value != Value::Null => {
                self.error(root, "version", format!("missing required key \"version\": add \"version: {FORMAT_VERSION}\" at the top"));
            }
            None => {}
        }
        if let Some((node, path)) = fields.take("name") {
            scenario.name = self.string(node, &path);
        }
        if let Some((node, path)) = fields.take("description") {
            scenario.description = self.string(node, &path);
        }
        if let Some((node, path)) = fields.take("defaults") {
            scenario.defaults = self.defaults(node, &path);
        }
        if let Some((node, path)) = fields.take("run") {
            scenario.run = self.run_settings(node, &path);
        }
        if let Some((node, path)) = fields.take("clients") {
            scenario.clients = self.named(node, &path, Self::client);
        }
        if let Some((node, path)) = fields.take("services") {
            scenario.services = self.named(node, &path, Self::service);
        }
        if let Some((node, path)) = fields.take("queues") {
            scenario.queues = self.named(node, &path, Self::queue);
        }
        if let Some((node, path)) = fields.take("links") {
            scenario.links = self.list(node, &path, Self::link);
        }
        if let Some((node, path)) = fields.take("faults") {
            scenario.faults = self.list(node, &path, Self::fault);
        }
        if let Some((node, path)) = fields.take("layout") {
            scenario.layout = self
                .named(node, &path, Self::position)
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect();
        }
        self.finish(&fields);
        scenario
    }

    fn defaults(&mut self, node: &Node, path: &str) -> Defaults {
        let mut defaults = Defaults::default();
        let Some(mut fields) = self.fields(node, path) else {
            return defaults;
        };
        if let Some((node, path)) = fields.take("network_latency") {
            defaults.network_latency = self.distribution(node, &path).unwrap_or_default();
        }
        if let Some((node, path)) = fields.take("loss") {
            defaults.loss = self.probability(node, &path).unwrap_or(0.0);
        }
        self.finish(&fields);
        defaults
    }

    fn run_settings(&mut self, node: &Node, path: &str) -> RunSettings {
        let mut run = RunSettings::default();
        let Some(mut fields) = self.fields(node, path) else {
            return run;
        };
        if let Some((node, path)) = fields.take("duration") {
            run.duration = self.positive_duration(node, &path);
        }
        if let Some((node, path)) = fields.take("warmup") {
            run.warmup = self.duration(node, &path);
        }
        if let Some((node, path)) = fields.take("seed") {
            run.seed = self.count(node, &path, 0, u64::MAX);
        }
        if let Some((node, path)) = fields.take("window") {
            run.window = self.positive_duration(node, &path);
        }
        self.finish(&fields);
        run
    }

    fn client(&mut self, node: &Node, path: &str) -> Client {
        let mut client = Client {
            target: String::new(),
            workload: Workload::Closed {
                users: 0,
                think_time: Distribution::default(),
            },
            timeout: None,
            retry: None,
            bulkhead: None,
            circuit_breaker: None,
            retry_budget: None,
            deadline: None,
        };
        let Some(mut fields) = self.fields(node, path) else {
            return client;
        };
        match fields.take("target") {
            Some((node, path)) => client.target = self.string(node, &path).unwrap_or_default(),
            None => self.error(
                node,
                &join(path, "target"),
                "missing required key \"target\": the operation that the client calls, as \"service.operation\"",
            ),
        }
        let open = fields.has("arrivals") || fields.has("profile");
        let closed = fields.has("users") || fields.has("think_time");
        if open && closed {
            let found: Vec<&str> = ["arrivals", "profile", "users", "think_time"]
                .into_iter()
                .filter(|key| fields.has(key))
                .collect();
            self.error(
                node,
                path,
                format!(
                    "a client is either open (\"arrivals\", \"profile\") or closed (\"users\", \"think_time\"), not both; found {}",
                    quoted_list_and(found)
                ),
            );
        }
        if open || !closed {
            let arrivals = if let Some((node, path)) = fields.take("arrivals") {
                self.arrivals(node, &path)
            } else if closed {
                // Reported above as a client that is both open and closed.
                None
            } else {
                self.error(
                    node,
                    &join(path, "arrivals"),
                    "missing required key \"arrivals\": give an open workload such as \"arrivals: { poisson: 100/s }\" or a closed one with \"users\"",
                );
                None
            };
            let profile = match fields.take("profile") {
                Some((node, path)) => self.list(node, &path, Self::rate_change),
                None => Vec::new(),
            };
            client.workload = Workload::Open {
                arrivals: arrivals.unwrap_or(Arrivals::Poisson(Rate::per_sec(1.0))),
                profile,
            };
        }
        if closed && !open {
            let users = if let Some((node, path)) = fields.take("users") {
                self.count_up_to(node, &path, 1, MAX_USERS)
            } else {
                self.error(
                    node,
                    &join(path, "users"),
                    "missing required key \"users\" of a closed workload",
                );
                None
            };
            let think_time = match fields.take("think_time") {
                Some((node, path)) => self.distribution(node, &path).unwrap_or_default(),
                None => Distribution::default(),
            };
            client.workload = Workload::Closed {
                users: users.unwrap_or(1),
                think_time,
            };
        }
        if open && closed {
            // Take the other keys too, so that they are not also reported as unknown.
            fields.take("users");
            fields.take("think_time");
        }
        if let Some((node, path)) = fields.take("timeout") {
            client.timeout = self.positive_duration(node, &path);
        }
        if let Some((node, path)) = fields.take("retry") {
            client.retry = self.retry(node, &path);
        }
        if let Some((node, path)) = fields.take("bulkhead") {
            client.bulkhead = self.bulkhead(node, &path);
        }
        if let Some((node, path)) = fields.take("circuit_breaker") {
            client.circuit_breaker = self.circuit_breaker(node, &path);
        }
        if let Some((node, path)) = fields.take("retry_budget") {
            client.retry_budget = self.retry_budget(node, &path);
        }
        if let Some((node, path)) = fields.take("deadline") {
            client.deadline = self.positive_duration(node, &path);
        }
        self.finish(&fields);
        client
    }

    fn arrivals(&mut self, node: &Node, path: &str) -> Option<Arrivals> {
        let (kind, value, kind_path) =
            self.single_key(node, path, &["poisson", "constant"], "arrival process")?;
        let rate = self.rate(value, &kind_path)?;
        Some(if kind == "poisson" {
            Arrivals::Poisson(rate)
        } else {
            Arrivals::Constant(rate)
        })
    }

    /// Reads a mapping with exactly one key out of `kinds`, as in `{ poisson: 100/s }`;
    /// `what` names the kind of value, such as "distribution".
    fn single_key<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        kinds: &[&'static str],
        what: &str,
    ) -> Option<(&'static str, &'n Node, String)> {
        self.record(node, path);
        let example = format!("{{ {}: ... }}", kinds[0]);
        let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let Value::Map(entries) = &node.value else {
            self.error(
                node,
                path,
                format!(
                    "expected {article} {what} written as {example}, with one of {}; found {}",
                    quoted_list(kinds.iter().copied()),
                    self.shown(node)
                ),
            );
            return None;
        };
        if entries.len() != 1 {
            let found = match entries.len() {
                0 => "none".to_owned(),
                n => format!(
                    "{n} keys: {}",
                    quoted_names(entries.iter().map(|(key, _)| key.name.as_str()))
                ),
            };
            self.error(
                node,
                path,
                format!(
                    "expected {article} {what} with exactly one key, one of {}; found {found}",
                    quoted_list(kinds.iter().copied())
                ),
            );
            return None;
        }
        let (key, value) = &entries[0];
        let key_path = join(path, &key.name);
        let Some(kind) = kinds.iter().find(|k| **k == key.name) else {
            let mut message = format!("unknown {what} \"{}\"", key.name);
            message.push_str(&did_you_mean_ending(&key.name, kinds.iter().copied()));
            message.push_str(&format!(" Allowed: {}", quoted_list(kinds.iter().copied())));
            self.error_at(key.position, &key_path, message);
            return None;
        };
        self.record(value, &key_path);
        Some((kind, value, key_path))
    }

    fn rate_change(&mut self, node: &Node, path: &str) -> Option<RateChange> {
        let mut fields = self.fields(node, path)?;
        let at = self
            .required(&mut fields, node, "at")
            .and_then(|(n, p)| self.duration(n, &p));
        let rate = self
            .required(&mut fields, node, "rate")
            .and_then(|(n, p)| self.rate(n, &p));
        let ramp = fields.take("ramp").and_then(|(n, p)| self.duration(n, &p));
        self.finish(&fields);
        Some(RateChange {
            at: at?,
            rate: rate?,
            ramp,
        })
    }

    fn retry(&mut self, node: &Node, path: &str) -> Option<RetryPolicy> {
        let mut fields = self.fields(node, path)?;
        let attempts = self
            .required(&mut fields, node, "attempts")
            .and_then(|(n, p)| self.count_up_to(n, &p, 1, MAX_ATTEMPTS));
        let backoff = fields
            .take("backoff")
            .and_then(|(n, p)| self.backoff(n, &p));
        let jitter = fields.take("jitter").and_then(|(n, p)| {
            self.choice(
                n,
                &p,
                &Jitter::NAMES,
                &[Jitter::None, Jitter::Full, Jitter::Equal],
            )
        });
        let retry_on = fields.take("retry_on").map(|(n, p)| self.retry_on(n, &p));
        self.finish(&fields);
        Some(RetryPolicy {
            attempts: attempts.unwrap_or(1),
            backoff: backoff.unwrap_or_default(),
            jitter: jitter.unwrap_or_default(),
            retry_on,
        })
    }

    /// Reads the error kinds of `retry_on`, each listed once.
    fn retry_on(&mut self, node: &Node, path: &str) -> Vec<ErrorKind> {
        let kinds = self.list(node, path, |reader, item, item_path| {
            reader
                .choice(item, item_path, &ERROR_KIND_NAMES, &ErrorKind::ALL)
                .map(|kind| (kind, item.position))
        });
        let mut unique: Vec<ErrorKind> = Vec::new();
        for (i, (kind, position)) in kinds.into_iter().enumerate() {
            if unique.contains(&kind) {
                self.error_at(
                    position,
                    &index(path, i),
                    format!(
                        "\"{}\" is listed twice; list each error kind once",
                        error_kind_name(kind)
                    ),
                );
                if self.keep_invalid {
                    unique.push(kind);
                }
            } else {
                unique.push(kind);
            }
        }
        unique
    }

    fn retry_budget(&mut self, node: &Node, path: &str) -> Option<RetryBudget> {
        let mut fields = self.fields(node, path)?;
        let mut budget = RetryBudget::default();
        if let Some((n, p)) = fields.take("budget_percent") {
            match self.number(n, &p) {
                Some(percent) if (0.0..=100.0).contains(&percent) => {
                    budget.budget_percent = percent;
                }
                Some(percent) => {
                    self.error(
                        n,
                        &p,
                        format!(
                            "invalid budget_percent {}: must be from 0 to 100",
                            self.shown(n)
                        ),
                    );
                    if let Some(percent) = self.kept(percent, false) {
                        budget.budget_percent = percent;
                    }
                }
                None => {}
            }
        }
        if let Some((n, p)) = fields.take("min_retry_concurrency")
            && let Some(min) = self.count_up_to(n, &p, 0, MAX_RETRY_CONCURRENCY)
        {
            budget.min_retry_concurrency = min;
        }
        self.finish(&fields);
        Some(budget)
    }

    fn backoff(&mut self, node: &Node, path: &str) -> Option<Backoff> {
        let (kind, value, kind_path) =
            self.single_key(node, path, &["constant", "exponential"], "backoff")?;
        if kind == "constant" {
            return self.duration(value, &kind_path).map(Backoff::Constant);
        }
        let mut fields = self.fields(value, &kind_path)?;
        let base = self
            .required(&mut fields, value, "base")
            .and_then(|(n, p)| self.duration(n, &p));
        let cap = self
            .required(&mut fields, value, "cap")
            .and_then(|(n, p)| self.duration(n, &p));
        let multiplier = match fields.take("multiplier") {
            Some((n, p)) => self.number(n, &p).and_then(|m| {
                if m >= 1.0 {
                    Some(m)
                } else {
                    let shown = self.shown(n);
                    self.error(
                        n,
                        &p,
                        format!("invalid multiplier {shown}: must be at least 1"),
                    );
                    self.kept(m, false)
                }
            }),
            None => Some(2.0),
        };
        self.finish(&fields);
        let (base, cap) = (base?, cap?);
        if cap < base {
            self.error(
                value,
                &join(&kind_path, "cap"),
                format!("invalid cap {cap}: must be at least the base {base}"),
            );
        }
        Some(Backoff::Exponential {
            base,
            cap: self.kept(cap, cap >= base).unwrap_or(base),
            multiplier: multiplier?,
        })
    }

    fn service(&mut self, node: &Node, path: &str) -> Service {
        let mut service = Service::default();
        let Some(mut fields) = self.fields(node, path) else {
            return service;
        };
        if let Some((n, p)) = fields.take("replicas") {
            service.replicas = self.count_up_to(n, &p, 1, MAX_REPLICAS).unwrap_or(1);
        }
        if let Some((n, p)) = fields.take("workers") {
            service.workers = self.count_up_to(n, &p, 1, MAX_WORKERS).unwrap_or(1);
        }
        if let Some((n, p)) = fields.take("queue_capacity") {
            service.queue_capacity = self.count_u32(n, &p, 0);
        }
        if let Some((n, p)) = fields.take("load_balancing") {
            service.load_balancing = self
                .choice(
                    n,
                    &p,
                    &LoadBalancing::NAMES,
                    &[
                        LoadBalancing::RoundRobin,
                        LoadBalancing::Random,
                        LoadBalancing::LeastOutstanding,
                    ],
                )
                .unwrap_or_default();
        }
        if let Some((n, p)) = fields.take("rate_limit") {
            service.rate_limit = self.rate_limit(n, &p);
        }
        if let Some((n, p)) = fields.take("load_shedding") {
            service.load_shedding = self.load_shedding(n, &p);
        }
        if let Some((n, p)) = fields.take("autoscaling") {
            service.autoscaling = self.autoscaling(n, &p);
        }
        if let Some((n, p)) = self.required(&mut fields, node, "operations") {
            service.operations = self.named(n, &p, Self::operation);
        }
        self.finish(&fields);
        service
    }

    fn operation(&mut self, node: &Node, path: &str) -> Operation {
        let mut operation = Operation::default();
        let Some(mut fields) = self.fields(node, path) else {
            return operation;
        };
        if let Some((n, p)) = self.required(&mut fields, node, "service_time") {
            operation.service_time = self.distribution(n, &p).unwrap_or_default();
        }
        if let Some((n, p)) = fields.take("error_probability") {
            operation.error_probability = self.probability(n, &p).unwrap_or(0.0);
        }
        if let Some((n, p)) = fields.take("steps") {
            operation.steps = self.list(n, &p, Self::step);
        }
        self.finish(&fields);
        operation
    }

    fn step(&mut self, node: &Node, path: &str) -> Option<Step> {
        let mut fields = self.fields(node, path)?;
        let kinds = ["call", "publish", "parallel", "work"];
        let present: Vec<&str> = kinds.iter().copied().filter(|k| fields.has(k)).collect();
        match present.as_slice() {
            ["call"] => {
                let call = self.call_fields(&mut fields, node);
                self.finish(&fields);
                Some(Step::Call(call))
            }
            ["publish"] => {
                let (queue_node, queue_path) = fields.take("publish")?;
                let publish = self.string(queue_node, &queue_path);
                let timeout = fields
                    .take("timeout")
                    .and_then(|(n, p)| self.positive_duration(n, &p));
                let retry = fields.take("retry").and_then(|(n, p)| self.retry(n, &p));
                self.finish(&fields);
                Some(Step::Publish(PublishStep {
                    publish: publish.unwrap_or_default(),
                    timeout,
                    retry,
                }))
            }
            ["parallel"] => {
                let (list_node, list_path) = fields.take("parallel")?;
                let calls = self.list(list_node, &list_path, |reader, item, item_path| {
                    let mut item_fields = reader.fields(item, item_path)?;
                    let call = reader.call_fields(&mut item_fields, item);
                    reader.finish(&item_fields);
                    Some(call)
                });
                if calls.is_empty() && matches!(list_node.value, Value::Seq(_) | Value::Null) {
                    self.error(
                        list_node,
                        &list_path,
                        "a parallel step needs at least one call",
                    );
                }
                self.finish(&fields);
                Some(Step::Parallel(ParallelStep { parallel: calls }))
            }
            ["work"] => {
                let (work_node, work_path) = fields.take("work")?;
                let work = self.distribution(work_node, &work_path);
                self.finish(&fields);
                work.map(|work| Step::Work(WorkStep { work }))
            }
            [] => {
                let mut message = format!("a step needs one of the keys {}", quoted_list(kinds));
                if let Some((key, _)) = fields.entries.first() {
                    if let Some(suggestion) = did_you_mean(&key.name, kinds) {
                        message.push_str(&format!(
                            "; found \"{}\", did you mean \"{suggestion}\"?",
                            key.name
                        ));
                    } else {
                        message.push_str(&format!("; found \"{}\"", key.name));
                    }
                }
                self.error(node, path, message);
                None
            }
            several => {
                self.error(
                    node,
                    path,
                    format!(
                        "a step has exactly one of {}; this one has {}",
                        quoted_list(kinds),
                        quoted_list_and(several.iter().copied())
                    ),
                );
                None
            }
        }
    }

    fn call_fields(&mut self, fields: &mut Fields<'_>, node: &Node) -> CallStep {
        let call = self
            .required(fields, node, "call")
            .and_then(|(n, p)| self.string(n, &p));
        let timeout = fields
            .take("timeout")
            .and_then(|(n, p)| self.positive_duration(n, &p));
        let retry = fields.take("retry").and_then(|(n, p)| self.retry(n, &p));
        let bulkhead = fields
            .take("bulkhead")
            .and_then(|(n, p)| self.bulkhead(n, &p));
        let circuit_breaker = fields
            .take("circuit_breaker")
            .and_then(|(n, p)| self.circuit_breaker(n, &p));
        let retry_budget = fields
            .take("retry_budget")
            .and_then(|(n, p)| self.retry_budget(n, &p));
        let deadline = fields
            .take("deadline")
            .and_then(|(n, p)| self.positive_duration(n, &p));
        CallStep {
            call: call.unwrap_or_default(),
            timeout,
            retry,
            bulkhead,
            circuit_breaker,
            retry_budget,
            deadline,
        }
    }

    fn queue(&mut self, node: &Node, path: &str) -> Queue {
        let mut queue = Queue {
            max_deliveries: 3,
            ..Queue::default()
        };
        let Some(mut fields) = self.fields(node, path) else {
            return queue;
        };
        if let Some((n, p)) = fields.take("capacity") {
            queue.capacity = self.count(n, &p, 1, u64::MAX);
        }
        if let Some((n, p)) = fields.take("overflow") {
            queue.overflow = self
                .choice(n, &p, &Overflow::NAMES, &Overflow::ALL)
                .unwrap_or_default();
        }
        if let Some((n, p)) = fields.take("consumer") {
            queue.consumer = self.consumer(n, &p);
        }
        if let Some((n, p)) = fields.take("max_deliveries") {
            queue.max_deliveries = self.count_u32(n, &p, 1).unwrap_or(3);
        }
        if let Some((n, p)) = fields.take("dead_letter") {
            queue.dead_letter = self.string(n, &p);
        }
        self.broker_fields(&mut fields, &mut queue);
        self.finish(&fields);
        queue
    }

    /// Reads the broker settings of a queue, described in [`super::brokers`].
    fn broker_fields(&mut self, fields: &mut Fields<'_>, queue: &mut Queue) {
        use super::brokers::{MAX_BATCH_SIZE, MAX_PARTITIONS, MAX_PREFETCH};
        if let Some((n, p)) = fields.take("preset") {
            queue.preset = self.choice(n, &p, &Preset::NAMES, &Preset::ALL);
        }
        if let Some((n, p)) = fields.take("prefetch") {
            queue.prefetch = self.count_up_to(n, &p, 1, MAX_PREFETCH);
        }
        if let Some((n, p)) = fields.take("requeue") {
            queue.requeue = self.boolean(n, &p);
        }
        if let Some((n, p)) = fields.take("message_ttl") {
            queue.message_ttl = self.positive_duration(n, &p);
        }
        if let Some((n, p)) = fields.take("visibility_timeout") {
            queue.visibility_timeout = self.positive_duration(n, &p);
        }
        if let Some((n, p)) = fields.take("partitions") {
            queue.partitions = self.count_up_to(n, &p, 1, MAX_PARTITIONS);
        }
        if let Some((n, p)) = fields.take("keys") {
            queue.keys = self.count_u32(n, &p, 1);
        }
        if let Some((n, p)) = fields.take("retention") {
            queue.retention = self.positive_duration(n, &p);
        }
        if let Some((n, p)) = fields.take("session_timeout") {
            queue.session_timeout = self.positive_duration(n, &p);
        }
        if let Some((n, p)) = fields.take("poll_interval") {
            queue.poll_interval = self.period(n, &p, "poll_interval");
        }
        if let Some((n, p)) = fields.take("batch_size") {
            queue.batch_size = self.count_up_to(n, &p, 1, MAX_BATCH_SIZE);
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        self.record(node, path);
        if let Value::Bool(value) = node.value {
            return Some(value);
        }
        let message = format!("invalid value {}: expected true or false", self.shown(node));
        self.error(node, path, message);
        None
    }

    fn consumer(&mut self, node: &Node, path: &str) -> Option<Consumer> {
        let mut fields = self.fields(node, path)?;
        let operation = self
            .required(&mut fields, node, "operation")
            .and_then(|(n, p)| self.string(n, &p));
        let concurrency = fields
            .take("concurrency")
            .and_then(|(n, p)| self.count_up_to(n, &p, 1, MAX_WORKERS));
        self.finish(&fields);
        Some(Consumer {
            operation: operation.unwrap_or_default(),
            concurrency: concurrency.unwrap_or(1),
        })
    }

    fn link(&mut self, node: &Node, path: &str) -> Option<Link> {
        let mut fields = self.fields(node, path)?;
        let from = self
            .required(&mut fields, node, "from")
            .and_then(|(n, p)| self.string(n, &p));
        let to = self
            .required(&mut fields, node, "to")
            .and_then(|(n, p)| self.string(n, &p));
        let latency = fields
            .take("latency")
            .and_then(|(n, p)| self.distribution(n, &p));
        let loss = fields
            .take("loss")
            .and_then(|(n, p)| self.probability(n, &p));
        self.finish(&fields);
        Some(Link {
            from: from.unwrap_or_default(),
            to: to.unwrap_or_default(),
            latency,
            loss,
        })
    }

    fn position(&mut self, node: &Node, path: &str) -> Option<[f64; 2]> {
        self.record(node, path);
        if let Value::Seq(items) = &node.value
            && items.len() == 2
        {
            let x = self.number(&items[0], &index(path, 0));
            let y = self.number(&items[1], &index(path, 1));
            return Some([x?, y?]);
        }
        let found = match &node.value {
            Value::Seq(items) if items.len() == 1 => "a list of 1 item".to_owned(),
            Value::Seq(items) => format!("a list of {} items", items.len()),
            _ => self.shown(node),
        };
        self.error(
            node,
            path,
            format!("expected a position [x, y] of two numbers, found {found}"),
        );
        None
    }

    fn distribution(&mut self, node: &Node, path: &str) -> Option<Distribution> {
        self.record(node, path);
        if matches!(
            node.value,
            Value::String(_) | Value::Int(_) | Value::Float(_)
        ) {
            return self.duration(node, path).map(Distribution::Constant);
        }
        let kinds = [
            "constant",
            "exponential",
            "uniform",
            "normal",
            "lognormal",
            "erlang",
            "pareto",
            "weibull",
            "empirical",
        ];
        let (kind, value, kind_path) = self.single_key(node, path, &kinds, "distribution")?;
        if kind == "constant" {
            return self.duration(value, &kind_path).map(Distribution::Constant);
        }
        let mut fields = self.fields(value, &kind_path)?;
        let distribution = self.distribution_parameters(kind, value, &mut fields);
        self.finish(&fields);
        let distribution = distribution?;
        let mut valid = true;
        for (parameter, problem) in distribution.check() {
            valid = false;
            let parameter_path = join(&kind_path, parameter);
            let position = self.sources.find(&parameter_path).unwrap_or(value.position);
            self.error_at(
                position,
                &parameter_path,
                format!("invalid {kind} parameter {parameter}: {problem}"),
            );
        }
        self.kept(distribution, valid)
    }

    /// Reads the parameters of a distribution of the given kind other than `constant`.
    /// Kept apart from [`Self::distribution`] so that an unreadable parameter still lets
    /// the caller report the unknown keys of the mapping.
    fn distribution_parameters(
        &mut self,
        kind: &str,
        value: &Node,
        fields: &mut Fields<'_>,
    ) -> Option<Distribution> {
        match kind {
            "exponential" => {
                let mean = self
                    .required(fields, value, "mean")
                    .and_then(|(n, p)| self.positive_duration(n, &p));
                mean.map(|mean| Distribution::Exponential { mean })
            }
            "uniform" => {
                let min = self
                    .required(fields, value, "min")
                    .and_then(|(n, p)| self.duration(n, &p));
                let max = self
                    .required(fields, value, "max")
                    .and_then(|(n, p)| self.duration(n, &p));
                Some(Distribution::Uniform {
                    min: min?,
                    max: max?,
                })
            }
            "normal" => {
                let mean = self
                    .required(fields, value, "mean")
                    .and_then(|(n, p)| self.duration(n, &p));
                let stddev = self
                    .required(fields, value, "stddev")
                    .and_then(|(n, p)| self.duration(n, &p));
                Some(Distribution::Normal {
                    mean: mean?,
                    stddev: stddev?,
                })
            }
            "lognormal" => {
                let mean_form = fields.has("mean") || fields.has("p99");
                let mu_form = fields.has("mu") || fields.has("sigma");
                if mean_form && mu_form {
                    self.mixed_lognormal(fields, value);
                    return None;
                }
                if mu_form {
                    let mu = self
                        .required(fields, value, "mu")
                        .and_then(|(n, p)| self.number(n, &p));
                    let sigma = self
                        .required(fields, value, "sigma")
                        .and_then(|(n, p)| self.number(n, &p));
                    Some(Distribution::Lognormal(Lognormal::MuSigma {
                        mu: mu?,
                        sigma: sigma?,
                    }))
                } else {
                    let mean = self
                        .required(fields, value, "mean")
                        .and_then(|(n, p)| self.positive_duration(n, &p));
                    let p99 = self
                        .required(fields, value, "p99")
                        .and_then(|(n, p)| self.duration(n, &p));
                    Some(Distribution::Lognormal(Lognormal::MeanP99 {
                        mean: mean?,
                        p99: p99?,
                    }))
                }
            }
            "erlang" => {
                let k = self
                    .required(fields, value, "k")
                    .and_then(|(n, p)| self.count_u32(n, &p, 1));
                let mean = self
                    .required(fields, value, "mean")
                    .and_then(|(n, p)| self.positive_duration(n, &p));
                Some(Distribution::Erlang { k: k?, mean: mean? })
            }
            "pareto" | "weibull" => {
                let scale = self
                    .required(fields, value, "scale")
                    .and_then(|(n, p)| self.positive_duration(n, &p));
                let shape = self
                    .required(fields, value, "shape")
                    .and_then(|(n, p)| self.number(n, &p));
                let (scale, shape) = (scale?, shape?);
                Some(if kind == "pareto" {
                    Distribution::Pareto { scale, shape }
                } else {
                    Distribution::Weibull { scale, shape }
                })
            }
            _ => {
                // A value or weight that cannot be read makes the whole distribution
                // unreadable, so that the check of the counts does not report it again.
                let values = self
                    .required(fields, value, "values")
                    .and_then(|(n, p)| self.complete_list(n, &p, Self::duration));
                let weights = match fields.take("weights") {
                    Some((n, p)) => self.complete_list(n, &p, Self::number).map(Some),
                    None => Some(None),
                };
                Some(Distribution::Empirical {
                    values: values?,
                    weights: weights?,
                })
            }
        }
    }
}

impl Reader<'_> {
    /// Reports a lognormal that mixes keys of its two forms, `mean` and `p99` or `mu`
    /// and `sigma`, with one error that names the keys found and what each form still
    /// lacks. Takes all four keys, so that none is reported again as missing or unknown.
    fn mixed_lognormal(&mut self, fields: &mut Fields<'_>, value: &Node) {
        const FORMS: [[&str; 2]; 2] = [["mean", "p99"], ["mu", "sigma"]];
        let found: Vec<&str> = fields
            .entries
            .iter()
            .map(|(key, _)| key.name.as_str())
            .filter(|name| FORMS.iter().flatten().any(|key| key == name))
            .collect();
        let fixes: Vec<String> = FORMS
            .iter()
            .enumerate()
            .map(|(i, form)| {
                let missing = form.iter().copied().filter(|key| !found.contains(key));
                let extra = FORMS[1 - i]
                    .iter()
                    .copied()
                    .filter(|key| found.contains(key));
                let missing = quoted_list_and(missing);
                let extra = quoted_list_and(extra);
                if missing == "none" {
                    format!("remove {extra}")
                } else {
                    format!("add {missing} and remove {extra}")
                }
            })
            .collect();
        let message = format!(
            "a lognormal is given by \"mean\" and \"p99\", or by \"mu\" and \"sigma\", not a mix of the two; found {}, so either {}, or {}",
            quoted_list_and(found.iter().copied()),
            fixes[0],
            fixes[1]
        );
        let path = fields.path.clone();
        self.error(value, &path, message);
        for key in FORMS.iter().flatten() {
            fields.take(key);
        }
    }
}

#[cfg(test)]
mod editing_tests;
