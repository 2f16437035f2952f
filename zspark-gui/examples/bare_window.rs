//! The baseline for the desktop's idle benchmark: an eframe window with the same
//! renderer, features and size as zspark's, showing one label. See
//! `zspark-gui/benches/desktop_idle.py`.

fn main() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("bare eframe")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    eframe::run_ui_native("bare eframe", options, |ui, _frame| {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label("A bare eframe window.");
        });
    })
}
