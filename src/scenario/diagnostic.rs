//! Problems found in a scenario, with where they are and what is allowed instead.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use super::tree::Position;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The scenario cannot run.
    Error,
    /// The scenario runs, but probably not as intended.
    Warning,
}

/// One problem in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file, when the scenario came from one.
    pub file: Option<PathBuf>,
    /// Line and column, when known.
    pub position: Option<Position>,
    /// The field path, such as `services.payments.operations.charge.steps[1]`; empty for
    /// the whole document.
    pub path: String,
    /// What is wrong: the value found and what is allowed.
    pub message: String,
}

impl Diagnostic {
    /// Whether this is an error rather than a warning.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// Writes `FILE:LINE:COLUMN: error: PATH: MESSAGE`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
            if let Some(position) = self.position.filter(|p| p.is_known()) {
                write!(f, "{position}:")?;
            }
            f.write_str(" ")?;
        }
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: ")?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// The positions of the fields of a document read from a file, by field path, and the
/// fields that could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMap {
    positions: BTreeMap<String, Position>,
    unreadable: BTreeSet<String>,
}

impl SourceMap {
    /// Records where the field at `path` starts.
    pub fn insert(&mut self, path: &str, position: Position) {
        self.positions.entry(path.to_owned()).or_insert(position);
    }

    /// Records that the field at `path` had an error when it was read, so that its value
    /// in the document is a default or is missing.
    pub fn mark_unreadable(&mut self, path: &str) {
        self.unreadable.insert(path.to_owned());
    }

    /// Checks whether the field at `path`, or a field that encloses it, could not be
    /// read. Checks of a read document skip such fields, because their values are
    /// stand-ins and the error has been reported once already.
    #[must_use]
    pub fn is_unreadable(&self, path: &str) -> bool {
        let mut current = path;
        loop {
            if self.unreadable.contains(current) {
                return true;
            }
            let Some(cut) = current.rfind(['.', '[']) else {
                return self.unreadable.contains("");
            };
            current = &current[..cut];
        }
    }

    /// Checks whether any field could not be read.
    #[must_use]
    pub fn has_unreadable(&self) -> bool {
        !self.unreadable.is_empty()
    }

    /// The position of the field at `path`, or of its nearest enclosing field.
    #[must_use]
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut current = path;
        loop {
            if let Some(position) = self.positions.get(current) {
                return Some(*position);
            }
            let cut = current.rfind(['.', '['])?;
            current = &current[..cut];
        }
    }
}

/// A list of diagnostics being collected, with the file and positions to stamp them with.
#[derive(Debug, Default)]
pub struct Diagnostics {
    file: Option<PathBuf>,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty list for problems in `file`.
    #[must_use]
    pub fn new(file: Option<PathBuf>) -> Self {
        Self {
            file,
            items: Vec::new(),
        }
    }

    /// Adds an error at a known position.
    pub fn error_at(&mut self, position: Position, path: &str, message: impl Into<String>) {
        self.push(Severity::Error, Some(position), path, message.into());
    }

    /// Adds a problem, looking up its position in `sources`.
    pub fn add(
        &mut self,
        severity: Severity,
        sources: &SourceMap,
        path: &str,
        message: impl Into<String>,
    ) {
        self.push(severity, sources.find(path), path, message.into());
    }

    fn push(
        &mut self,
        severity: Severity,
        position: Option<Position>,
        path: &str,
        message: String,
    ) {
        self.items.push(Diagnostic {
            severity,
            file: self.file.clone(),
            position: position.filter(|p| p.is_known()),
            path: path.to_owned(),
            message,
        });
    }

    /// Whether any error (not counting warnings) was added.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// The diagnostics in file order: by position, then by the order they were found.
    #[must_use]
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by_key(|d| {
            d.position
                .map_or((u64::MAX, u64::MAX), |p| (p.line, p.column))
        });
        self.items
    }
}

/// Writes a number for a message, compactly and faithfully: the shortest decimal form
/// that reads back as the same `f64`, with an exponent for magnitudes of 1e16 and more
/// or below 1e-4, as in `0.25`, `3`, `1e300`, `1.8446744073709552e19` or `1e-7`; and
/// `.nan`, `.inf` or `-.inf` as YAML writes them. A plain `{}` would write `1e300` with
/// 301 digits.
///
/// Every message that shows a number it does not have the text of goes through this;
/// the reader prefers the text as written, see `Reader::shown`.
#[must_use]
pub fn number(x: f64) -> String {
    if x.is_nan() {
        return ".nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    // `Debug` is the shortest round-trip form, with an exponent outside 1e-4..1e16, but
    // it writes whole numbers with ".0".
    let text = format!("{x:?}");
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

/// Writes a floating-point number read from a file as [`number`] does, but keeps the
/// decimal point of a whole number, as in `4.0`, so that a message about a value that
/// must be written as an integer does not show it as one.
#[must_use]
pub fn float_literal(x: f64) -> String {
    let text = number(x);
    if x.is_finite() && !text.contains(['.', 'e']) {
        format!("{text}.0")
    } else {
        text
    }
}

/// The closest of `candidates` to `word` by edit distance, if it is close enough to be a
/// likely typo: at most a third of the word's length, and at least one edit allowed.
#[must_use]
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let length = word.chars().count();
    if length > MAX_SUGGESTED_LENGTH {
        return None;
    }
    let limit = (length / 3).max(1);
    candidates
        .into_iter()
        // A length difference alone is a lower bound of the distance, and skipping such
        // candidates keeps long lists cheap.
        .filter(|candidate| candidate.chars().count().abs_diff(length) <= limit)
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Ends a sentence about the unknown `word` with `; did you mean "x"?` when one of
/// `candidates` is a likely typo of it, else with a full stop, so that a list can follow.
#[must_use]
pub fn did_you_mean_ending<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match did_you_mean(word, candidates) {
        Some(suggestion) => format!("; did you mean \"{suggestion}\"?"),
        None => ".".to_owned(),
    }
}

/// Levenshtein distance between two strings, in characters.
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Longest word for which [`did_you_mean`] looks for a suggestion, in characters. Typos
/// are made in names of everyday length, and the edit distance of two long strings is
/// costly.
pub const MAX_SUGGESTED_LENGTH: usize = 64;

/// Names listed in a message at most; the rest are counted.
pub const MAX_LISTED_NAMES: usize = 10;

/// Formats names from a scenario as `a, b and c`, each quoted, listing at most
/// [`MAX_LISTED_NAMES`] and counting the rest, as in `a, b and 3 more`.
#[must_use]
pub fn quoted_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.len() <= MAX_LISTED_NAMES {
        return quoted_list_and(names);
    }
    let listed: Vec<String> = names[..MAX_LISTED_NAMES]
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect();
    format!(
        "{} and {} more",
        listed.join(", "),
        names.len() - MAX_LISTED_NAMES
    )
}

/// Formats a count with the noun that agrees with it: `1 error`, `2 errors`, `0 errors`.
#[must_use]
pub fn counted(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

/// Formats a list of names as `a, b or c`, each quoted.
#[must_use]
pub fn quoted_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    quoted_list_joined(names, "or")
}

/// Formats a list of names as `a, b and c`, each quoted.
#[must_use]
pub fn quoted_list_and<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    quoted_list_joined(names, "and")
}

fn quoted_list_joined<'a>(names: impl IntoIterator<Item = &'a str>, conjunction: &str) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("\"{n}\"")).collect();
    match names.len() {
        0 => "none".to_owned(),
        1 => names[0].clone(),
        n => format!(
            "{} {conjunction} {}",
            names[..n - 1].join(", "),
            names[n - 1]
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_agrees_with_the_count() {
        assert_eq!(counted(0, "error", "errors"), "0 errors");
        assert_eq!(counted(1, "error", "errors"), "1 error");
        assert_eq!(counted(2, "replica", "replicas"), "2 replicas");
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("workers", "worker"), 1);
        assert_eq!(edit_distance("replicas", "replcias"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn did_you_mean_picks_close_name() {
        let keys = ["replicas", "workers", "operations"];
        assert_eq!(did_you_mean("worker", keys), Some("workers"));
        assert_eq!(did_you_mean("colour", keys), None);
    }

    #[test]
    fn numbers_are_compact_and_round_trip() {
        let cases = [
            (0.25, "0.25"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (1e300, "1e300"),
            (-1e300, "-1e300"),
            (18_446_744_073_709_551_616.0, "1.8446744073709552e19"),
            (1e-7, "1e-7"),
            (0.0001, "0.0001"),
            (1e15, "1000000000000000"),
            (1e16, "1e16"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::NAN, ".nan"),
            (f64::INFINITY, ".inf"),
            (f64::NEG_INFINITY, "-.inf"),
        ];
        for (value, text) in cases {
            assert_eq!(number(value), text, "{value:?}");
            if value.is_finite() {
                assert_eq!(text.parse::<f64>(), Ok(value), "{text} reads back");
            }
        }
        assert_eq!(float_literal(4.0), "4.0");
        assert_eq!(float_literal(1e300), "1e300");
        assert_eq!(float_literal(0.5), "0.5");
        assert_eq!(float_literal(f64::INFINITY), ".inf");
    }

    #[test]
    fn source_map_falls_back_to_parent() {
        let mut sources = SourceMap::default();
        sources.insert("services.a", Position { line: 3, column: 3 });
        assert_eq!(
            sources.find("services.a.steps[2].call"),
            Some(Position { line: 3, column: 3 })
        );
        assert_eq!(sources.find("clients.x"), None);
    }
}
