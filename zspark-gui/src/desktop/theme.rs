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
pub const TERMINAL_HEIGHT: f32 = 240.0;
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

/// The icons the views use, all drawn from egui's bundled fonts (a missing glyph
/// would show as a box; the test below checks every one).
pub mod icon {
    pub const ATTACH: &str = "📎";
    pub const IMAGE: &str = "🖼";
    pub const FILE: &str = "📄";
    pub const SKILL: &str = "✨";
    pub const REMOVE: &str = "×";
    pub const DOCUMENT: &str = "📝";
    pub const TABLE: &str = "📊";
    pub const SLIDES: &str = "📽";
    pub const PDF: &str = "📕";
    pub const ARCHIVE: &str = "🗄";
    pub const OTHER_FILE: &str = "📦";
    pub const WARNING: &str = "⚠";
    pub const REFRESH: &str = "⟳";
    pub const SETTINGS: &str = "⚙";
    pub const SUCCEEDED: &str = "✔";
    pub const FAILED: &str = "✖";
    pub const STEP_DONE: &str = "☑";
    pub const STEP_ACTIVE: &str = "◑";
    pub const STEP_PENDING: &str = "☐";
    pub const LIVE: &str = "•";
    pub const FOLDED: &str = "⏵";
    pub const UNFOLDED: &str = "⏷";

    #[cfg(test)]
    pub const ALL: [&str; 22] = [
        ATTACH,
        IMAGE,
        FILE,
        SKILL,
        REMOVE,
        DOCUMENT,
        TABLE,
        SLIDES,
        PDF,
        ARCHIVE,
        OTHER_FILE,
        WARNING,
        REFRESH,
        SETTINGS,
        SUCCEEDED,
        FAILED,
        STEP_DONE,
        STEP_ACTIVE,
        STEP_PENDING,
        LIVE,
        FOLDED,
        UNFOLDED,
    ];
}

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

/// The faintly filled, thinly outlined frame of cards and chips.
fn outlined(visuals: &egui::Visuals) -> Frame {
    Frame::new()
        .fill(visuals.faint_bg_color)
        .stroke(Stroke::new(
            1.0,
            visuals.widgets.noninteractive.bg_stroke.color,
        ))
}

/// A card: the frame of every conversation item but plain text.
pub fn card<R>(ui: &mut egui::Ui, content: impl FnOnce(&mut egui::Ui) -> R) -> R {
    outlined(ui.visuals())
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
    ui.label(section_text(text));
}

/// A section heading with a quiet action at its end (a refresh); true when clicked.
/// `action_name` names the action for screen readers and tests.
pub fn section_heading_with_action(
    ui: &mut egui::Ui,
    text: &str,
    action: &str,
    action_name: &str,
) -> bool {
    ui.add_space(2.0 * SPACE);
    ui.horizontal(|ui| {
        ui.label(section_text(text));
        subtle_button(ui, action)
            .on_hover_text(action_name)
            .accessible_name(action_name)
            .clicked()
    })
    .inner
}

fn section_text(text: &str) -> RichText {
    RichText::new(text.to_uppercase()).small().strong().weak()
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

/// A removable tag (an attachment, the picked skill); true when its ✕ was clicked.
/// `remove` names the ✕ for screen readers and tests.
pub fn chip(ui: &mut egui::Ui, text: &str, remove: &str) -> bool {
    outlined(ui.visuals())
        .corner_radius(CornerRadius::same(12))
        .inner_margin(Margin::symmetric(8, 2))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(text).small());
                ui.add(egui::Button::new(RichText::new(icon::REMOVE).small()).frame(false))
                    .on_hover_text(remove)
                    .accessible_name(remove)
                    .clicked()
            })
            .inner
        })
        .inner
}

/// The highlighted place where dragged files will land.
pub fn drop_target(ui: &mut egui::Ui, text: &str) {
    Frame::new()
        .fill(ACCENT.gamma_multiply(0.12))
        .stroke(Stroke::new(1.5, ACCENT))
        .corner_radius(CornerRadius::same(8))
        .inner_margin(Margin::same(16))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.vertical_centered(|ui| ui.label(RichText::new(text).color(ACCENT).strong()));
        });
}

/// An image scaled to fit `max_width`, never enlarged.
pub fn thumbnail(ui: &mut egui::Ui, texture: &egui::TextureHandle, max_width: f32) {
    let size = texture.size_vec2();
    let scale = (max_width / size.x).min(1.0);
    ui.add(
        egui::Image::new(texture)
            .fit_to_exact_size(size * scale)
            .corner_radius(CornerRadius::same(6)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_has_a_glyph_in_the_bundled_fonts() {
        let ctx = egui::Context::default();
        install(&ctx, ThemeChoice::Light);
        let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
        output.textures_delta.clear();
        let missing: Vec<&str> = icon::ALL
            .into_iter()
            .filter(|glyph| {
                !ctx.fonts_mut(|fonts| {
                    fonts.has_glyphs(&FontId::new(BODY, FontFamily::Proportional), glyph)
                })
            })
            .collect();
        assert!(missing.is_empty(), "no glyph for {missing:?}");
    }
}
