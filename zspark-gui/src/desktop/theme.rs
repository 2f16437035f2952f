//! The design system: spacing and text sizes every view uses, so the app looks like one
//! product rather than default widgets.

/// Base spacing unit; all gaps are multiples of it.
pub const SPACE: f32 = 4.0;
/// Width of the left sidebar.
pub const SIDEBAR_WIDTH: f32 = 260.0;
/// Width of the right details panel.
pub const DETAILS_WIDTH: f32 = 280.0;

/// Applies the spacing scale to `ctx`.
pub fn install(ctx: &egui::Context) {
    ctx.global_style_mut(|style| {
        style.spacing.item_spacing = egui::vec2(2.0 * SPACE, 2.0 * SPACE);
        style.spacing.button_padding = egui::vec2(3.0 * SPACE, 1.5 * SPACE);
    });
}

/// A small upper-case section heading ("LOCAL", "SHARED").
pub fn section_heading(ui: &mut egui::Ui, text: &str) {
    ui.add_space(2.0 * SPACE);
    ui.label(
        egui::RichText::new(text.to_uppercase())
            .small()
            .strong()
            .weak(),
    );
}

/// A muted sentence telling the user what to do next in an empty place.
pub fn empty_state(ui: &mut egui::Ui, text: &str) {
    ui.label(egui::RichText::new(text).weak());
}
