//! Typed fields of the inspector: durations and rates with units, optional values and
//! sections, choices and the validation message of each field.
//!
//! A field drawn by [`field_ui`] or [`labelled_ui`] is named after its label for screen
//! readers and tests: the label's id is kept in egui's memory while the row is drawn,
//! and the first field of the row takes it. The field of an optional value is left
//! unnamed, so that its checkbox keeps the name.
//!
//! A duration or rate field keeps the text being typed in egui's memory while it has
//! the focus. It writes the value only when the text parses, so half-typed text such
//! as `25` on the way to `250ms` never reaches the document.

use egui::{Id, Response, RichText, Ui};

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

/// Width of a duration or rate field: room for `250ms`, `1.5s` or `800/s` and a few more
/// characters, narrow enough for two on a line of the Scenario panel.
const DURATION_WIDTH: f32 = 80.0;

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
    let response = named(
        ui.add(
            egui::TextEdit::singleline(&mut draft.text)
                .id(id)
                .desired_width(DURATION_WIDTH)
                .hint_text(hint),
        ),
        ui,
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
    label: impl Into<egui::WidgetText>,
    value: &mut Option<T>,
    default: impl FnOnce() -> T,
    edit: impl FnOnce(&mut Ui, &mut T) -> bool,
) -> bool {
    let mut on = value.is_some();
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        let checkbox = ui.checkbox(&mut on, label);
        if checkbox.changed() {
            *value = if on { Some(default()) } else { None };
            changed = true;
        }
        if let Some(inner) = value {
            changed |= edit(ui, inner);
        }
    });
    changed
}

/// Shows [`optional_ui`] with the messages at `path` under it, and the label in the
/// error colour while the value has an error.
pub fn optional_field_ui<T: Clone>(
    ui: &mut Ui,
    messages: Messages<'_>,
    path: &str,
    label: &str,
    value: &mut Option<T>,
    default: impl FnOnce() -> T,
    edit: impl FnOnce(&mut Ui, &mut T) -> bool,
) -> bool {
    let changed = optional_ui(ui, marked(ui, messages, path, label), value, default, edit);
    messages_ui(ui, messages, path);
    changed
}

/// Shows a checkbox that turns an optional value on, as [`optional_ui`] does, for a
/// value that `inherited` gives when it is off, as a queue's preset gives its broker
/// settings. While it is off, the inherited value is shown with `source`; turning it on
/// starts from the inherited value, so that the user overrides it. Returns whether
/// anything changed.
pub fn inherited_ui<T: Clone + PartialEq + std::fmt::Display>(
    ui: &mut Ui,
    label: impl Into<egui::WidgetText>,
    value: &mut Option<T>,
    inherited: Option<(T, &str)>,
    default: impl FnOnce() -> T,
    edit: impl FnOnce(&mut Ui, &mut T) -> bool,
) -> bool {
    let mut on = value.is_some();
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        let checkbox = ui.checkbox(&mut on, label);
        if checkbox.changed() {
            *value = if on {
                Some(inherited.as_ref().map_or_else(default, |(v, _)| v.clone()))
            } else {
                None
            };
            changed = true;
        }
        match (value.as_mut(), inherited) {
            (Some(inner), inherited) => {
                changed |= edit(ui, inner);
                if let Some((from, source)) = inherited
                    && from != *inner
                {
                    ui.weak(format!("preset: {from}"))
                        .on_hover_text(format!("Overrides {from}, the value of {source}"));
                }
            }
            (None, Some((from, source))) => {
                ui.label(RichText::new(format!("{from} from {source}")).italics())
                    .on_hover_text("Check to override");
            }
            (None, None) => {}
        }
    });
    changed
}

/// Shows the field of a value that the file may leave out to take `default`. The field
/// shows the default while the value is out; a change writes the value, and a value
/// equal to the default is left out again, so that a saved file carries no default.
/// Returns whether the value changed.
pub fn defaulted_ui<T: Copy + PartialEq + std::fmt::Display>(
    ui: &mut Ui,
    value: &mut Option<T>,
    default: T,
    edit: impl FnOnce(&mut Ui, &mut T) -> bool,
) -> bool {
    let mut shown = value.unwrap_or(default);
    let mut changed = false;
    if edit(ui, &mut shown) {
        let new = (shown != default).then_some(shown);
        changed = new != *value;
        *value = new;
    }
    if value.is_some() {
        if ui
            .small_button("↺")
            .on_hover_text(format!("Back to the default, {default}"))
            .clicked()
        {
            *value = None;
            changed = true;
        }
    } else {
        ui.label(RichText::new("default").weak().small());
    }
    changed
}

/// Shows one field: `label`, then what `add` draws, named after the label, and the
/// messages at `path` and below it under them. The label shows the field's key on
/// hover, and turns to the error colour while the field has an error. Returns what
/// `add` returns: whether the value changed.
pub fn field_ui(
    ui: &mut Ui,
    messages: Messages<'_>,
    path: &str,
    label: &str,
    add: impl FnOnce(&mut Ui) -> bool,
) -> bool {
    let text = marked(ui, messages, path, label);
    let changed = ui
        .horizontal_wrapped(|ui| labelled_ui(ui, text, key_of(path), add))
        .inner;
    messages_ui(ui, messages, path);
    changed
}

/// Shows `label`, with `hover` on it, then what `add` draws, named after the label, in
/// the current layout: inside a row, so that the row wraps between its widgets.
/// Returns what `add` returns.
pub fn labelled_ui<R>(
    ui: &mut Ui,
    label: impl Into<RichText>,
    hover: &str,
    add: impl FnOnce(&mut Ui) -> R,
) -> R {
    let mut label = ui.label(label.into());
    if !hover.is_empty() {
        label = label.on_hover_text(hover);
    }
    with_label(ui, label.id, add)
}

/// Shows an optional section, such as a call's circuit breaker: a checkbox that turns
/// it on with `default`, and while it is on, a collapsible body that `body` draws
/// under the messages at `path` itself. The checkbox turns to the error colour while
/// the section has an error, so that a collapsed section shows it too. Returns whether
/// anything changed.
#[expect(
    clippy::too_many_arguments,
    reason = "a section has a place, a label, a value, its default and its body"
)]
pub fn optional_section_ui<T>(
    ui: &mut Ui,
    id: Id,
    messages: Messages<'_>,
    path: &str,
    label: &str,
    value: &mut Option<T>,
    default: impl FnOnce() -> T,
    body: impl FnOnce(&mut Ui, &mut T) -> bool,
) -> bool {
    let mut on = value.is_some();
    let text = marked(ui, messages, path, label);
    let mut changed = false;
    if value.is_none() {
        ui.horizontal(|ui| {
            // Keeps the checkbox where it is in the header of an open section.
            ui.add_space(ui.spacing().icon_width + ui.spacing().item_spacing.x);
            if ui.checkbox(&mut on, text.clone()).changed() {
                *value = Some(default());
                changed = true;
            }
        });
        return changed;
    }
    let mut unchecked = false;
    let header = egui::collapsing_header::CollapsingState::load_with_default_open(
        ui.ctx(),
        id.with("section"),
        true,
    )
    .show_header(ui, |ui| {
        unchecked = ui
            .checkbox(&mut on, text)
            .on_hover_text(format!("{}; uncheck to remove it", key_of(path)))
            .changed();
    });
    if unchecked {
        *value = None;
        return true;
    }
    header.body(|ui| {
        own_messages_ui(ui, messages, path);
        if let Some(inner) = value {
            changed |= body(ui, inner);
        }
    });
    changed
}

/// Draws `add` in a scope whose widget ids derive from `id` alone, so that what a panel
/// shows above the inspector, such as the breaker plots that appear when a run starts,
/// does not change them: a drag, a focus or an accessibility action in progress is
/// not lost when such a section appears.
pub fn stable_scope_ui<R>(ui: &mut Ui, id: Id, add: impl FnOnce(&mut Ui) -> R) -> R {
    ui.scope_builder(egui::UiBuilder::new().scope_id(id), add)
        .inner
}

/// Returns `label` in the error colour when an error is at `path` or below it.
pub fn marked(ui: &Ui, messages: Messages<'_>, path: &str, label: &str) -> RichText {
    if messages.under(path).any(Diagnostic::is_error) {
        RichText::new(label).color(ui.visuals().error_fg_color)
    } else {
        RichText::new(label)
    }
}

/// Returns the last key of a field path, as `failure_rate_threshold` of
/// `clients.web.circuit_breaker.failure_rate_threshold`.
fn key_of(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The place in egui's memory of the label that names the next field.
fn label_key() -> Id {
    Id::unique("inspector-field-label")
}

/// Runs `add` with `label` as the name of the first field it draws.
fn with_label<R>(ui: &mut Ui, label: Id, add: impl FnOnce(&mut Ui) -> R) -> R {
    ui.data_mut(|data| data.insert_temp(label_key(), label));
    let inner = add(ui);
    ui.data_mut(|data| data.remove::<Id>(label_key()));
    inner
}

/// Names `response` after the label of the row being drawn, if no field has taken it.
fn named(response: Response, ui: &Ui) -> Response {
    let label = ui.data_mut(|data| {
        let label = data.get_temp::<Id>(label_key());
        data.remove::<Id>(label_key());
        label
    });
    match label {
        Some(label) => response.labelled_by(label),
        None => response,
    }
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
    let response = egui::ComboBox::from_id_salt(id)
        .selected_text(selected)
        .height(400.0)
        .show_ui(ui, |ui| {
            for (choice, label) in choices {
                changed |= ui.selectable_value(value, *choice, *label).changed();
            }
        })
        .response;
    named(response, ui);
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
    let response = egui::ComboBox::from_id_salt(id)
        .selected_text(shown.to_owned())
        .width(180.0)
        .show_ui(ui, |ui| {
            for name in names {
                if ui.selectable_label(value == name, name).clicked() && value != name {
                    value.clone_from(name);
                    changed = true;
                }
            }
        })
        .response;
    named(response, ui);
    changed
}

/// Largest whole number up to which every integer is exactly an `f64`: 2^53. A drag
/// field goes through `f64`, so a field whose range goes past it takes typed text.
const MAX_EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// Shows a field for a whole number from `min` to `max` and returns whether it changed.
pub fn count_ui<T: WholeNumber>(ui: &mut Ui, value: &mut T, min: T, max: T) -> bool {
    amount_ui(ui, value, min, max, "")
}

/// A whole number type that [`count_ui`] and [`amount_ui`] edit.
pub trait WholeNumber:
    egui::emath::Numeric + std::fmt::Display + std::str::FromStr + Send + Sync
{
}

impl<T: egui::emath::Numeric + std::fmt::Display + std::str::FromStr + Send + Sync> WholeNumber
    for T
{
}

/// Shows a field for a whole number from `min` to `max` followed by `unit`, as
/// `20 calls` or `10 s`, and returns whether it changed. A typed value applies on Enter
/// or when the field loses the focus, so that typing `250` changes the document once.
/// A range past 2^53 gets a text field, because a drag field rounds such values.
pub fn amount_ui<T: WholeNumber>(ui: &mut Ui, value: &mut T, min: T, max: T, unit: &str) -> bool {
    if max.to_f64() > MAX_EXACT_F64 {
        let field = whole_number_field(ui, value, min, max);
        named(field.response, ui).on_hover_text(format!(
            "A whole number from {min} to {max}; press Enter to apply"
        ));
        if let Some(error) = &field.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let changed = field.changed;
        if !unit.is_empty() {
            ui.label(unit);
        }
        return changed;
    }
    // A value outside the range, as in a file opened with errors, stays as it is until
    // the user changes it, rather than being clamped and so changed silently.
    let mut drag = egui::DragValue::new(value)
        .range(min..=max)
        .clamp_existing_to_range(false)
        .speed(0.2)
        .update_while_editing(false);
    if !unit.is_empty() {
        drag = drag.suffix(format!(" {unit}"));
    }
    // A value typed past the range is brought into it, so the range is on hover.
    named(ui.add(drag), ui)
        .on_hover_text(format!("A whole number from {min} to {max}"))
        .changed()
}

/// Smallest width of a whole number field: room for about 8 digits.
const WHOLE_NUMBER_WIDTH: f32 = 64.0;

/// Shows a text field that edits a whole number from `min` to `max` exactly, over the
/// whole range of `u64`. The typed text applies on Enter or when the field loses the
/// focus, and Escape drops it. Text that is not a whole number in the range stays in the
/// field with its error, and the value stays, until the text is corrected or the value
/// changes elsewhere, as by an undo. The caller shows the error.
pub fn whole_number_field<T: WholeNumber>(
    ui: &mut Ui,
    value: &mut T,
    min: T,
    max: T,
) -> WholeNumberField {
    let id = ui.next_auto_id().with("whole-number");
    let shown = value.to_string();
    let mut draft: Draft = ui
        .data(|data| data.get_temp::<Draft>(id))
        .filter(|draft| draft.base == shown)
        .unwrap_or_else(|| Draft {
            text: shown.clone(),
            error: None,
            base: shown.clone(),
        });
    // The field grows with its text, so that a long number shows whole.
    let mut edit = egui::TextEdit::singleline(&mut draft.text)
        .id(id)
        .desired_width(WHOLE_NUMBER_WIDTH)
        .clip_text(false);
    if draft.error.is_some() {
        edit = edit.text_color(ui.visuals().error_fg_color);
    }
    let response = ui.add(edit);
    let mut changed = false;
    if response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Escape)) {
        // Escape drops the typed text.
        draft = Draft {
            text: shown.clone(),
            error: None,
            base: shown.clone(),
        };
    } else if response.lost_focus() {
        match parse_whole_number(&draft.text, min, max) {
            Ok(parsed) => {
                changed = parsed != *value;
                *value = parsed;
                draft = Draft {
                    text: value.to_string(),
                    error: None,
                    base: value.to_string(),
                };
            }
            Err(error) => draft.error = Some(error),
        }
    }
    let error = draft
        .error
        .as_ref()
        .map(|error| format!("{error}; the value stays {shown}"));
    if response.has_focus() || draft.error.is_some() {
        ui.data_mut(|data| data.insert_temp(id, draft));
    } else {
        ui.data_mut(|data| data.remove::<Draft>(id));
    }
    WholeNumberField {
        response,
        changed,
        error,
    }
}

/// The response and outcome of a [`whole_number_field`].
pub struct WholeNumberField {
    /// The text field's response, whose `changed` is about the text.
    pub response: Response,
    /// Whether the value changed.
    pub changed: bool,
    /// The message for text that is not a valid value.
    pub error: Option<String>,
}

/// Parses `text` as a whole number from `min` to `max`, with an error message that
/// gives the range.
pub fn parse_whole_number<T: WholeNumber>(text: &str, min: T, max: T) -> Result<T, String> {
    let text = text.trim();
    let invalid = || format!("{text:?} is not a whole number from {min} to {max}");
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid());
    }
    let parsed: T = text.parse().map_err(|_| invalid())?;
    if parsed < min || parsed > max {
        return Err(invalid());
    }
    Ok(parsed)
}

/// Shows a drag field for a probability from 0 to 1 and returns whether it changed.
pub fn probability_ui(ui: &mut Ui, value: &mut f64) -> bool {
    let drag = egui::DragValue::new(value)
        .range(0.0..=1.0)
        .clamp_existing_to_range(false)
        .speed(0.001)
        .max_decimals(4);
    named(ui.add(drag), ui).changed()
}

/// Shows a drag field for a percentage from 0 to 100 and returns whether it changed.
pub fn percent_ui(ui: &mut Ui, value: &mut f64) -> bool {
    let drag = egui::DragValue::new(value)
        .range(0.0..=100.0)
        .clamp_existing_to_range(false)
        .speed(0.1)
        .max_decimals(2)
        .suffix(" %");
    named(ui.add(drag), ui).changed()
}

/// Shows a drag field for a real number from `min` up and returns whether it changed.
pub fn real_ui(ui: &mut Ui, value: &mut f64, min: f64) -> bool {
    let drag = egui::DragValue::new(value)
        .range(min..=f64::MAX)
        .clamp_existing_to_range(false)
        .speed(0.01)
        .max_decimals(4);
    named(ui.add(drag), ui).changed()
}

#[cfg(test)]
mod tests {
    use super::{is_under, parse_whole_number};

    #[test]
    fn whole_numbers_parse_exactly() {
        assert_eq!(
            parse_whole_number("9007199254740993", 0, u64::MAX),
            Ok(9_007_199_254_740_993)
        );
        assert_eq!(
            parse_whole_number(" 18446744073709551615 ", 0, u64::MAX),
            Ok(u64::MAX)
        );
        assert_eq!(parse_whole_number("0", 0, u64::MAX), Ok(0));
        for text in ["", "-1", "+5", "1.5", "1e3", "18446744073709551616", "12a"] {
            let error = parse_whole_number(text, 0, u64::MAX).expect_err(text);
            assert!(
                error.ends_with("is not a whole number from 0 to 18446744073709551615"),
                "{text}: {error}"
            );
        }
        assert!(
            parse_whole_number("0", 1, u64::MAX).is_err(),
            "below the range"
        );
    }

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
