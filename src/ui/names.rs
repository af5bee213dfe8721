//! Node names as the window shows them: a name can be far longer than any label has
//! room for, so labels show its beginning and the full name on hover.

use std::borrow::Cow;

/// Longest name shown whole in a label or a heading, in characters.
pub const MAX_SHOWN_CHARS: usize = 40;

/// Returns `name`, or its first characters followed by "…" when it is longer than
/// [`MAX_SHOWN_CHARS`].
#[must_use]
pub fn shown_name(name: &str) -> Cow<'_, str> {
    if name.chars().count() <= MAX_SHOWN_CHARS {
        return Cow::Borrowed(name);
    }
    let mut short: String = name.chars().take(MAX_SHOWN_CHARS - 1).collect();
    short.push('…');
    Cow::Owned(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_stay_whole() {
        assert_eq!(shown_name("payments"), "payments");
        let exact = "a".repeat(MAX_SHOWN_CHARS);
        assert_eq!(shown_name(&exact), exact);
    }

    #[test]
    fn long_names_are_cut() {
        let long = "ü".repeat(144);
        let shown = shown_name(&long);
        assert_eq!(shown.chars().count(), MAX_SHOWN_CHARS);
        assert!(shown.ends_with('…'));
        assert!(long.starts_with(shown.trim_end_matches('…')));
    }
}
