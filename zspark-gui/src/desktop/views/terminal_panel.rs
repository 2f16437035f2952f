//! The terminal panel under the conversation (Ctrl/Cmd+J): the shown session's
//! terminal drawn cell by cell in its colours, with the cursor; sized to the panel
//! (the shell is told when it changes); the wheel scrolls back. A click gives it the
//! keyboard: text, Enter, arrows, Tab, Esc and Ctrl+letter go to the shell (Ctrl+C
//! too), and a paste is sent as typed (bracketed when the program asked for it).

use std::collections::HashMap;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, Event, EventFilter, FontId, Sense};
use zspark_core::SessionKey;

use super::super::terminal::{Terminal, key_bytes};
use super::super::theme;

/// Every session's terminal, and whether the panel shows.
#[derive(Default)]
pub struct TerminalPanel {
    pub shown: bool,
    pub terminals: HashMap<SessionKey, Terminal>,
    /// Why the last terminal could not start.
    pub problem: Option<String>,
    /// Wheel movement not yet a whole line.
    wheel_left: f32,
}

/// The size of the terminal's text.
const FONT_SIZE: f32 = 13.0;

pub fn show(ui: &mut egui::Ui, panel: &mut TerminalPanel, session: SessionKey) {
    let Some(terminal) = panel.terminals.get_mut(&session) else {
        match &panel.problem {
            Some(problem) => {
                ui.colored_label(theme::DANGER, problem);
            }
            None => theme::empty_state(ui, "Starting the terminal…"),
        }
        return;
    };
    if terminal.pump() {
        ui.ctx().request_repaint();
    }
    if let Some(ended) = &terminal.ended {
        ui.label(theme::muted(format!(
            "{ended} Press Ctrl/Cmd+J twice for a new one."
        )));
    }
    let font = FontId::monospace(FONT_SIZE);
    let (cell_width, row_height) =
        ui.fonts_mut(|fonts| (fonts.glyph_width(&font, 'M'), fonts.row_height(&font)));
    let size = ui.available_size();
    let cols = (size.x / cell_width).floor().clamp(1.0, 1000.0) as u16;
    let rows = (size.y / row_height).floor().clamp(1.0, 1000.0) as u16;
    terminal.resize(rows, cols);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Terminal"));
    if response.clicked() {
        response.request_focus();
    }
    if response.has_focus() {
        ui.memory_mut(|memory| {
            memory.set_focus_lock_filter(
                response.id,
                EventFilter {
                    tab: true,
                    horizontal_arrows: true,
                    vertical_arrows: true,
                    escape: true,
                },
            );
        });
        type_into(ui, terminal);
    }
    if response.hovered() {
        // The wheel's smoothed movement comes in parts; whole lines are scrolled.
        panel.wheel_left += ui.input(|input| input.smooth_scroll_delta.y) / row_height;
        let lines = panel.wheel_left.trunc();
        if lines != 0.0 {
            terminal.scroll(lines as isize);
            panel.wheel_left -= lines;
        }
    }
    let visuals = ui.visuals();
    let (default_fg, default_bg) = (visuals.text_color(), visuals.extreme_bg_color);
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, default_bg);
    let screen = terminal.screen();
    for row in 0..rows {
        let job = row_job(screen, row, cols, &font, default_fg, default_bg);
        let galley = ui.fonts_mut(|fonts| fonts.layout_job(job));
        let top = rect.top() + f32::from(row) * row_height;
        painter.galley(egui::pos2(rect.left(), top), galley, default_fg);
    }
    if !screen.hide_cursor() && screen.scrollback() == 0 {
        let (row, col) = screen.cursor_position();
        let cursor = egui::Rect::from_min_size(
            egui::pos2(
                rect.left() + f32::from(col) * cell_width,
                rect.top() + f32::from(row) * row_height,
            ),
            egui::vec2(cell_width, row_height),
        );
        if response.has_focus() {
            painter.rect_filled(cursor, 0.0, default_fg.gamma_multiply(0.6));
        } else {
            painter.rect_stroke(
                cursor,
                0.0,
                egui::Stroke::new(1.0, default_fg),
                egui::StrokeKind::Inside,
            );
        }
    }
}

/// What the user typed this frame, as the shell reads it.
fn type_into(ui: &egui::Ui, terminal: &mut Terminal) {
    let events = ui.input(|input| input.events.clone());
    let application_cursor = terminal.screen().application_cursor();
    let bracketed = terminal.screen().bracketed_paste();
    for event in events {
        let bytes = match event {
            Event::Text(text) => text.into_bytes(),
            Event::Paste(text) if bracketed => format!("\x1b[200~{text}\x1b[201~").into_bytes(),
            Event::Paste(text) => text.into_bytes(),
            // Ctrl+C and Ctrl+X arrive as copy and cut; a terminal sends them on.
            Event::Copy => vec![0x03],
            Event::Cut => vec![0x18],
            Event::Key {
                key,
                pressed: true,
                modifiers,
                ..
            } => match key_bytes(key, modifiers, application_cursor) {
                Some(bytes) => bytes,
                None => continue,
            },
            _ => continue,
        };
        terminal.send(&bytes);
    }
}

/// Row `row` of the screen, one run of text per stretch of cells drawn alike.
fn row_job(
    screen: &vt100::Screen,
    row: u16,
    cols: u16,
    font: &FontId,
    default_fg: Color32,
    default_bg: Color32,
) -> LayoutJob {
    let mut job = LayoutJob::default();
    let mut run = String::new();
    let mut run_format: Option<TextFormat> = None;
    for col in 0..cols {
        let Some(cell) = screen.cell(row, col) else {
            break;
        };
        if cell.is_wide_continuation() {
            continue;
        }
        let (mut fg, mut bg) = (
            colour(cell.fgcolor(), default_fg),
            colour(cell.bgcolor(), default_bg),
        );
        if cell.inverse() {
            std::mem::swap(&mut fg, &mut bg);
        }
        if cell.dim() {
            fg = fg.gamma_multiply(0.6);
        }
        let format = TextFormat {
            font_id: font.clone(),
            color: fg,
            background: if bg == default_bg {
                Color32::TRANSPARENT
            } else {
                bg
            },
            italics: cell.italic(),
            underline: if cell.underline() {
                egui::Stroke::new(1.0, fg)
            } else {
                egui::Stroke::NONE
            },
            ..TextFormat::default()
        };
        if run_format.as_ref() != Some(&format) {
            if let Some(done) = run_format.take() {
                job.append(&std::mem::take(&mut run), 0.0, done);
            }
            run_format = Some(format);
        }
        if cell.has_contents() {
            run.push_str(cell.contents());
        } else {
            run.push(' ');
        }
    }
    if let Some(done) = run_format {
        job.append(&run, 0.0, done);
    }
    job
}

/// A terminal colour: the 16 standard ones, the 6x6x6 cube, the grey ramp, or RGB.
fn colour(colour: vt100::Color, default: Color32) -> Color32 {
    const STANDARD: [(u8, u8, u8); 16] = [
        (0x00, 0x00, 0x00),
        (0xcd, 0x31, 0x31),
        (0x0d, 0xbc, 0x79),
        (0xe5, 0xe5, 0x10),
        (0x24, 0x72, 0xc8),
        (0xbc, 0x3f, 0xbc),
        (0x11, 0xa8, 0xcd),
        (0xe5, 0xe5, 0xe5),
        (0x66, 0x66, 0x66),
        (0xf1, 0x4c, 0x4c),
        (0x23, 0xd1, 0x8b),
        (0xf5, 0xf5, 0x43),
        (0x3b, 0x8e, 0xea),
        (0xd6, 0x70, 0xd6),
        (0x29, 0xb8, 0xdb),
        (0xff, 0xff, 0xff),
    ];
    match colour {
        vt100::Color::Default => default,
        vt100::Color::Rgb(red, green, blue) => Color32::from_rgb(red, green, blue),
        vt100::Color::Idx(index) if index < 16 => {
            let (red, green, blue) = STANDARD[usize::from(index)];
            Color32::from_rgb(red, green, blue)
        }
        vt100::Color::Idx(index) if index < 232 => {
            let cube = index - 16;
            let level = |value: u8| if value == 0 { 0 } else { 55 + value * 40 };
            Color32::from_rgb(level(cube / 36), level((cube / 6) % 6), level(cube % 6))
        }
        vt100::Color::Idx(index) => {
            let grey = 8 + (index - 232) * 10;
            Color32::from_rgb(grey, grey, grey)
        }
    }
}
