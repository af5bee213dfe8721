//! A small Markdown renderer for scenario descriptions: headings, paragraphs, bullet
//! lists (nested by indentation), fenced code blocks, and inline `code` and **bold**.
//! Anything else shows as plain text.

use egui::text::LayoutJob;
use egui::{FontId, TextFormat, TextStyle, Ui};

/// A block of a Markdown text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A heading of level 1 to 6.
    Heading(usize, String),
    /// A paragraph, its lines joined with spaces.
    Paragraph(String),
    /// A list item at a nesting depth counted from 0.
    Bullet(usize, String),
    /// The lines of a fenced code block.
    Code(String),
}

/// A run of inline text with one style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inline {
    /// Plain text.
    Plain,
    /// Text between backticks.
    Code,
    /// Text between double asterisks.
    Bold,
}

/// Splits `text` into blocks.
#[must_use]
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with("```") {
            let mut code = Vec::new();
            for line in lines.by_ref() {
                if line.trim_start().starts_with("```") {
                    break;
                }
                code.push(line);
            }
            blocks.push(Block::Code(code.join("\n")));
            continue;
        }
        if let Some((level, heading)) = heading(trimmed) {
            blocks.push(Block::Heading(level, heading.to_owned()));
            continue;
        }
        let indent = line.len() - trimmed.len();
        let mut content = match bullet(trimmed) {
            Some(item) => item.to_owned(),
            None => trimmed.to_owned(),
        };
        let is_bullet = bullet(trimmed).is_some();
        // Continuation lines join the block until a blank line or a new block starts.
        while let Some(next) = lines.peek() {
            let next_trimmed = next.trim_start();
            if next_trimmed.is_empty()
                || bullet(next_trimmed).is_some()
                || heading(next_trimmed).is_some()
                || next_trimmed.starts_with("```")
            {
                break;
            }
            content.push(' ');
            content.push_str(next_trimmed.trim_end());
            lines.next();
        }
        let content = content.trim_end().to_owned();
        if is_bullet {
            blocks.push(Block::Bullet(indent / 2, content));
        } else {
            blocks.push(Block::Paragraph(content));
        }
    }
    blocks
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&level) {
        line[level..]
            .strip_prefix(' ')
            .map(|rest| (level, rest.trim()))
    } else {
        None
    }
}

fn bullet(line: &str) -> Option<&str> {
    line.strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))
}

/// Splits a block's text into styled runs. An unclosed marker stays as written.
#[must_use]
pub fn inline(text: &str) -> Vec<(Inline, String)> {
    let mut runs: Vec<(Inline, String)> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let marker = if rest.starts_with('`') {
            Some(("`", Inline::Code))
        } else if rest.starts_with("**") {
            Some(("**", Inline::Bold))
        } else {
            None
        };
        if let Some((marker, style)) = marker
            && let Some(end) = rest[marker.len()..].find(marker)
            && end > 0
        {
            if !plain.is_empty() {
                runs.push((Inline::Plain, std::mem::take(&mut plain)));
            }
            let inner = &rest[marker.len()..marker.len() + end];
            runs.push((style, inner.to_owned()));
            rest = &rest[2 * marker.len() + end..];
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            plain.push(c);
        }
        rest = chars.as_str();
    }
    if !plain.is_empty() {
        runs.push((Inline::Plain, plain));
    }
    runs
}

/// Draws `text` as Markdown.
pub fn markdown_ui(ui: &mut Ui, text: &str) {
    for block in parse(text) {
        match block {
            Block::Heading(level, heading) => {
                let size = match level {
                    1 => 1.4,
                    2 => 1.2,
                    _ => 1.05,
                };
                let body = TextStyle::Body.resolve(ui.style()).size;
                ui.label(egui::RichText::new(heading).strong().size(body * size));
            }
            Block::Paragraph(paragraph) => {
                ui.add(egui::Label::new(layout(ui, &paragraph)).wrap());
            }
            Block::Bullet(depth, item) => {
                ui.horizontal_top(|ui| {
                    ui.add_space(12.0 * depth as f32);
                    ui.label("•");
                    ui.add(egui::Label::new(layout(ui, &item)).wrap());
                });
            }
            Block::Code(code) => {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.label(egui::RichText::new(code).monospace());
                });
            }
        }
        ui.add_space(4.0);
    }
}

fn layout(ui: &Ui, text: &str) -> LayoutJob {
    let style = ui.style();
    let body = TextStyle::Body.resolve(style);
    let mono = FontId::monospace(body.size * 0.95);
    let visuals = &style.visuals;
    let mut job = LayoutJob::default();
    for (kind, run) in inline(text) {
        let format = match kind {
            Inline::Plain => TextFormat::simple(body.clone(), visuals.text_color()),
            Inline::Code => TextFormat {
                font_id: mono.clone(),
                color: visuals.text_color(),
                background: visuals.code_bg_color,
                ..TextFormat::default()
            },
            Inline::Bold => TextFormat::simple(body.clone(), visuals.strong_text_color()),
        };
        job.append(&run, 0.0, format);
    }
    job.wrap.max_width = ui.available_width();
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_paragraphs_and_bullets() {
        let text = "First line\ncontinues here.\n\nWhat to look at:\n- one\n  wrapped\n- two\n  - nested\n";
        assert_eq!(
            parse(text),
            vec![
                Block::Paragraph("First line continues here.".to_owned()),
                Block::Paragraph("What to look at:".to_owned()),
                Block::Bullet(0, "one wrapped".to_owned()),
                Block::Bullet(0, "two".to_owned()),
                Block::Bullet(1, "nested".to_owned()),
            ]
        );
    }

    #[test]
    fn parse_headings_and_code() {
        let text = "# Title\n```\na: 1\n  b: 2\n```\ntext";
        assert_eq!(
            parse(text),
            vec![
                Block::Heading(1, "Title".to_owned()),
                Block::Code("a: 1\n  b: 2".to_owned()),
                Block::Paragraph("text".to_owned()),
            ]
        );
    }

    #[test]
    fn inline_code_and_bold() {
        assert_eq!(
            inline("see `gateway.checkout` p99, **not** p50"),
            vec![
                (Inline::Plain, "see ".to_owned()),
                (Inline::Code, "gateway.checkout".to_owned()),
                (Inline::Plain, " p99, ".to_owned()),
                (Inline::Bold, "not".to_owned()),
                (Inline::Plain, " p50".to_owned()),
            ]
        );
    }

    #[test]
    fn inline_unclosed_marker_stays() {
        assert_eq!(
            inline("a ` b – ü"),
            vec![(Inline::Plain, "a ` b – ü".to_owned())]
        );
    }
}
