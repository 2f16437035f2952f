//! The design system: colours, the type scale, spacing and the few widget wrappers
//! every view uses (cards, buttons, badges, headings, empty states), so the app looks
//! like one product rather than default widgets. Views never style raw widgets.

use egui::{Color32, CornerRadius, FontFamily, FontId, Frame, Margin, RichText, Stroke, TextStyle};

use super::prefs::ThemeChoice;

/// Base spacing unit; all gaps are multiples of it.
pub const SPACE: f32 = 4.0;
/// Width of the left sidebar.
pub const SIDEBAR_WIDTH: f32 = 260.0;
/// Width of the right details panel.
pub const DETAILS_WIDTH: f32 = 280.0;
/// The conversation's readable width.
pub const CONTENT_WIDTH: f32 = 760.0;

/// The one accent colour.
pub const ACCENT: Color32 = Color32::from_rgb(0x6D, 0x5B, 0xF6);
pub const SUCCESS: Color32 = Color32::from_rgb(0x2E, 0xA0, 0x5B);
pub const DANGER: Color32 = Color32::from_rgb(0xD9, 0x48, 0x48);
pub const WARNING: Color32 = Color32::from_rgb(0xC8, 0x8A, 0x12);

/// The type scale: small, body (and buttons), heading, title.
const SMALL: f32 = 12.0;
const BODY: f32 = 14.0;
const HEADING: f32 = 18.0;
const TITLE: f32 = 22.0;

/// Applies the theme choice, the type scale and spacing to `ctx`.
pub fn install(ctx: &egui::Context, theme: ThemeChoice) {
    ctx.set_theme(match theme {
        ThemeChoice::System => egui::ThemePreference::System,
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
    });
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(2.0 * SPACE, 2.0 * SPACE);
        style.spacing.button_padding = egui::vec2(3.0 * SPACE, 1.5 * SPACE);
        style.spacing.interact_size.y = 7.0 * SPACE;
        style.text_styles = [
            (
                TextStyle::Small,
                FontId::new(SMALL, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(BODY, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(BODY, FontFamily::Proportional),
            ),
            (
                TextStyle::Heading,
                FontId::new(HEADING, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(SMALL + 1.0, FontFamily::Monospace),
            ),
        ]
        .into();
        style.visuals.selection.bg_fill = ACCENT;
        style.visuals.hyperlink_color = ACCENT;
        style.visuals.widgets.hovered.corner_radius = CornerRadius::same(6);
        style.visuals.widgets.inactive.corner_radius = CornerRadius::same(6);
        style.visuals.widgets.active.corner_radius = CornerRadius::same(6);
    });
}

/// A card: the frame of every conversation item but plain text.
pub fn card<R>(ui: &mut egui::Ui, content: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let visuals = ui.visuals();
    Frame::new()
        .fill(visuals.faint_bg_color)
        .stroke(Stroke::new(
            1.0,
            visuals.widgets.noninteractive.bg_stroke.color,
        ))
        .corner_radius(CornerRadius::same(8))
        .inner_margin(Margin::same(12))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            content(ui)
        })
        .inner
}

/// A card with a coloured edge, for things that need the user (approvals, errors).
pub fn attention_card<R>(
    ui: &mut egui::Ui,
    colour: Color32,
    content: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    Frame::new()
        .fill(colour.gamma_multiply(0.08))
        .stroke(Stroke::new(1.5, colour))
        .corner_radius(CornerRadius::same(8))
        .inner_margin(Margin::same(12))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            content(ui)
        })
        .inner
}

/// The user's message bubble.
pub fn bubble<R>(ui: &mut egui::Ui, content: impl FnOnce(&mut egui::Ui) -> R) -> R {
    Frame::new()
        .fill(ACCENT.gamma_multiply(0.18))
        .corner_radius(CornerRadius::same(12))
        .inner_margin(Margin::symmetric(12, 8))
        .show(ui, content)
        .inner
}

/// The main action of a place (Send, Approve, Save).
pub fn primary_button(ui: &mut egui::Ui, text: &str) -> egui::Response {
    ui.add(
        egui::Button::new(RichText::new(text).color(Color32::WHITE).strong())
            .fill(ACCENT)
            .corner_radius(CornerRadius::same(6)),
    )
}

/// An action that destroys or refuses (Deny, Remove).
pub fn danger_button(ui: &mut egui::Ui, text: &str) -> egui::Response {
    ui.add(
        egui::Button::new(RichText::new(text).color(DANGER)).corner_radius(CornerRadius::same(6)),
    )
}

/// A quiet action (Copy, Edit, Fork, show all).
pub fn subtle_button(ui: &mut egui::Ui, text: &str) -> egui::Response {
    ui.add(egui::Button::new(RichText::new(text).small()).frame(false))
}

/// A small upper-case section heading ("LOCAL", "SHARED WORKSPACES").
pub fn section_heading(ui: &mut egui::Ui, text: &str) {
    ui.add_space(2.0 * SPACE);
    ui.label(RichText::new(text.to_uppercase()).small().strong().weak());
}

/// A screen title.
pub fn title(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).size(TITLE).strong());
}

/// A muted sentence telling the user what to do next in an empty place.
pub fn empty_state(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).weak());
}

/// Secondary text (paths, durations, counts).
pub fn muted(text: impl Into<String>) -> RichText {
    RichText::new(text.into()).small().weak()
}

/// A label–value row of the details panel.
pub fn fact(ui: &mut egui::Ui, label: &str, value: impl Into<String>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(muted(label));
        ui.label(RichText::new(value.into()).small());
    });
}

/// The colour of one line of a unified diff.
pub fn diff_line_colour(line: &str, visuals: &egui::Visuals) -> Color32 {
    if line.starts_with("+++") || line.starts_with("---") || line.starts_with("@@") {
        visuals.weak_text_color()
    } else if line.starts_with('+') {
        SUCCESS
    } else if line.starts_with('-') {
        DANGER
    } else {
        visuals.text_color()
    }
}

/// A filled bar for "how much of the context is left".
pub fn meter(ui: &mut egui::Ui, fraction: f32, label: &str) {
    let colour = if fraction < 0.15 {
        DANGER
    } else if fraction < 0.35 {
        WARNING
    } else {
        ACCENT
    };
    ui.add(
        egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
            .fill(colour)
            .text(RichText::new(label).small()),
    );
}
