//! Typed fields of the inspector: durations and rates with units, optional values,
//! choices and the validation message of each field.
//!
//! A duration or rate field keeps the text being typed in egui's memory while it has
//! the focus. It writes the value only when the text parses, so half-typed text such
//! as `25` on the way to `250ms` never reaches the document.

use egui::{Id, Ui};

use crate::scenario::{Diagnostic, Duration, Rate};

/// Validation messages of the document, looked up by field path.
#[derive(Clone, Copy, Debug)]
pub struct Messages<'a> {
    diagnostics: &'a [Diagnostic],
}

impl<'a> Messages<'a> {
    /// Wraps the diagnostics of the whole document.
    #[must_use]
    pub fn new(diagnostics: &'a [Diagnostic]) -> Self {
        Self { diagnostics }
    }

    /// Returns the messages whose path is `path` exactly.
    pub fn at<'b>(&'b self, path: &'b str) -> impl Iterator<Item = &'a Diagnostic> + 'b {
        self.diagnostics.iter().filter(move |d| d.path == path)
    }

    /// Returns the messages at `path` or below it.
    pub fn under<'b>(&'b self, path: &'b str) -> impl Iterator<Item = &'a Diagnostic> + 'b {
        self.diagnostics
            .iter()
            .filter(move |d| is_under(&d.path, path))
    }

    /// Returns whether any message is at `path` or below it.
    #[must_use]
    pub fn any_under(&self, path: &str) -> bool {
        self.diagnostics.iter().any(|d| is_under(&d.path, path))
    }
}

/// Returns whether `path` is `prefix` or a field below it.
#[must_use]
pub fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// Shows the messages at `path` and below it under a field, errors in the error
/// colour and warnings in the warning colour.
pub fn messages_ui(ui: &mut Ui, messages: Messages<'_>, path: &str) {
    show_messages(ui, messages.under(path));
}

/// Shows the messages at `path` exactly, for a group whose fields show their own.
pub fn own_messages_ui(ui: &mut Ui, messages: Messages<'_>, path: &str) {
    show_messages(ui, messages.at(path));
}

fn show_messages<'a>(ui: &mut Ui, diagnostics: impl Iterator<Item = &'a Diagnostic>) {
    for diagnostic in diagnostics {
        let color = if diagnostic.is_error() {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().warn_fg_color
        };
        ui.colored_label(color, &diagnostic.message);
    }
}

/// The text typed into a unit field that does not parse yet, and why.
#[derive(Clone, Debug, Default)]
struct Draft {
    text: String,
    error: Option<String>,
    /// The value the document had when the typing started, as text.
    base: String,
}

/// Shows a text field for a value written with units. While the field has the focus,
/// its text lives in egui's memory, and the value changes only when the text parses.
/// Text that does not parse stays in the field with its error after the field loses
/// the focus, until it is corrected or the document's value changes, as by an undo.
fn unit_field<T: Copy + PartialEq + std::fmt::Display>(
    ui: &mut Ui,
    id: Id,
    value: &mut T,
    parse: impl Fn(&str) -> Result<T, String>,
    hint: &str,
) -> bool {
    let shown = value.to_string();
    let mut draft: Draft = ui
        .data(|data| data.get_temp::<Draft>(id))
        .filter(|draft| draft.base == shown || draft.error.is_none())
        .unwrap_or_else(|| Draft {
            text: shown.clone(),
            error: None,
            base: shown.clone(),
        });
    let response = ui.add(
        egui::TextEdit::singleline(&mut draft.text)
            .id(id)
            .desired_width(110.0)
            .hint_text(hint),
    );
    let mut changed = false;
    if response.changed() {
        match parse(&draft.text) {
            Ok(parsed) => {
                draft.error = None;
                changed = parsed != *value;
                *value = parsed;
                draft.base = value.to_string();
            }
            Err(error) => draft.error = Some(error),
        }
    }
    if response.has_focus() || draft.error.is_some() {
        if let Some(error) = &draft.error {
            let kept = format!("{error}; the value stays {shown} until the text is valid");
            ui.colored_label(ui.visuals().error_fg_color, kept);
        }
        ui.data_mut(|data| data.insert_temp(id, draft));
    } else {
        // Out of focus, the field shows the value as the document has it.
        ui.data_mut(|data| data.remove::<Draft>(id));
    }
    changed
}

/// Shows a text field for a name and returns the new name once the user confirms it
/// with Enter or by leaving the field, if it differs from `current`.
pub fn name_field_ui(ui: &mut Ui, id: Id, current: &str) -> Option<String> {
    let mut text: String = ui
        .data(|data| data.get_temp(id))
        .unwrap_or_else(|| current.to_owned());
    let response = ui.add(
        egui::TextEdit::singleline(&mut text)
            .id(id)
            .desired_width(180.0),
    );
    let confirmed = response.lost_focus();
    if response.has_focus() {
        ui.data_mut(|data| data.insert_temp(id, text.clone()));
    } else {
        ui.data_mut(|data| data.remove::<String>(id));
    }
    let name = text.trim();
    (confirmed && name != current).then(|| name.to_owned())
}

/// Shows a duration field such as `250ms` and returns whether the value changed.
pub fn duration_ui(ui: &mut Ui, id: Id, value: &mut Duration) -> bool {
    unit_field(ui, id, value, Duration::parse, "250ms")
}

/// Shows a rate field such as `800/s` and returns whether the value changed.
pub fn rate_ui(ui: &mut Ui, id: Id, value: &mut Rate) -> bool {
    unit_field(ui, id, value, Rate::parse, "100/s")
}

/// Shows a checkbox that turns an optional value on, with `default` as its first value,
/// and the value's own field while it is on. Returns whether anything changed.
pub fn optional_ui<T: Clone>(
    ui: &mut Ui,
    label: &str,
    value: &mut Option<T>,
    default: impl FnOnce() -> T,
    edit: impl FnOnce(&mut Ui, &mut T) -> bool,
) -> bool {
    let mut on = value.is_some();
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        if ui.checkbox(&mut on, label).changed() {
            *value = if on { Some(default()) } else { None };
            changed = true;
        }
        if let Some(inner) = value {
            changed |= edit(ui, inner);
        }
    });
    changed
}

/// Shows a combo box of fixed choices and returns whether the choice changed.
pub fn choice_ui<T: Copy + PartialEq>(
    ui: &mut Ui,
    id: Id,
    value: &mut T,
    choices: &[(T, &str)],
) -> bool {
    let selected = choices
        .iter()
        .find(|(choice, _)| choice == value)
        .map_or("", |(_, label)| *label);
    let mut changed = false;
    egui::ComboBox::from_id_salt(id)
        .selected_text(selected)
        .height(400.0)
        .show_ui(ui, |ui| {
            for (choice, label) in choices {
                changed |= ui.selectable_value(value, *choice, *label).changed();
            }
        });
    changed
}

/// Shows a combo box of names, such as the operations a client may target. A value not
/// in the list is shown as it is, so that a broken reference stays visible.
pub fn name_choice_ui(ui: &mut Ui, id: Id, value: &mut String, names: &[String]) -> bool {
    let mut changed = false;
    let shown = if value.is_empty() {
        "(none)"
    } else {
        value.as_str()
    };
    egui::ComboBox::from_id_salt(id)
        .selected_text(shown.to_owned())
        .width(180.0)
        .show_ui(ui, |ui| {
            for name in names {
                if ui.selectable_label(value == name, name).clicked() && value != name {
                    value.clone_from(name);
                    changed = true;
                }
            }
        });
    changed
}

/// Shows a drag field for a whole number from `min` to `max` and returns whether it
/// changed.
pub fn count_ui<T: egui::emath::Numeric + std::fmt::Display>(
    ui: &mut Ui,
    value: &mut T,
    min: T,
    max: T,
) -> bool {
    // A value typed past the range is brought into it, so the range is on hover.
    ui.add(egui::DragValue::new(value).range(min..=max).speed(0.2))
        .on_hover_text(format!("A whole number from {min} to {max}"))
        .changed()
}

/// Shows a drag field for a probability from 0 to 1 and returns whether it changed.
pub fn probability_ui(ui: &mut Ui, value: &mut f64) -> bool {
    ui.add(
        egui::DragValue::new(value)
            .range(0.0..=1.0)
            .speed(0.001)
            .max_decimals(4),
    )
    .changed()
}

/// Shows a drag field for a real number from `min` up and returns whether it changed.
pub fn real_ui(ui: &mut Ui, value: &mut f64, min: f64) -> bool {
    ui.add(
        egui::DragValue::new(value)
            .range(min..=f64::MAX)
            .speed(0.01)
            .max_decimals(4),
    )
    .changed()
}

#[cfg(test)]
mod tests {
    use super::is_under;

    #[test]
    fn paths_below_a_prefix() {
        assert!(is_under("services.api", "services.api"));
        assert!(is_under("services.api.workers", "services.api"));
        assert!(is_under(
            "services.api.operations.get.steps[1]",
            "services.api.operations.get.steps"
        ));
        assert!(!is_under("services.api2.workers", "services.api"));
        assert!(!is_under("services", "services.api"));
    }
}
