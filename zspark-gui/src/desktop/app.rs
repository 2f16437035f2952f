//! The application shell: sidebar, conversation area and details panel.

use super::theme;

#[derive(Default)]
pub struct DesktopApp {}

impl eframe::App for DesktopApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::Panel::left("sidebar")
            .default_size(theme::SIDEBAR_WIDTH)
            .show(ui, |ui| {
                theme::section_heading(ui, "Local");
                theme::empty_state(ui, "No sessions yet.");
                theme::section_heading(ui, "Shared workspaces");
                theme::empty_state(ui, "Not connected to a server.");
            });
        egui::Panel::right("details")
            .default_size(theme::DETAILS_WIDTH)
            .show(ui, |ui| {
                theme::section_heading(ui, "Session");
                theme::empty_state(ui, "No session selected.");
            });
        egui::CentralPanel::default().show(ui, |ui| {
            ui.centered_and_justified(|ui| {
                theme::empty_state(ui, "Pick a folder and start a session.");
            });
        });
    }
}
