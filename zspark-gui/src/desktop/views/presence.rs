//! Who else is in a shared session, shown in its header: a round badge with each
//! person's initials (their name and what they do on hover), and a line saying who is
//! running a turn, since only one person drives the agent at a time; and smaller
//! badges beside the session in the sidebar.

use egui::{Color32, RichText, Sense, Stroke, vec2};
use zspark_core::Presence;

use super::super::theme;

/// The badges' diameter, in the header and in the sidebar.
const BADGE: f32 = 22.0;
const SMALL_BADGE: f32 = 14.0;

/// The badges of `people`, and who runs a turn; nothing when nobody else is here.
pub fn row(ui: &mut egui::Ui, people: &[Presence]) {
    if people.is_empty() {
        return;
    }
    for person in people {
        let label = format!("{}: {}", person.user, person.doing);
        badge(ui, person, BADGE, &label);
    }
    if let Some(driver) = people
        .iter()
        .find(|person| person.doing == "running a turn")
    {
        ui.label(RichText::new(format!("{} is running a turn", driver.user)).color(theme::ACCENT));
    }
}

/// Small badges of `people` for a session's row in the sidebar (at most three, then
/// how many more).
pub fn sidebar_badges(ui: &mut egui::Ui, session_title: &str, people: &[Presence]) {
    const SHOWN: usize = 3;
    for person in people.iter().take(SHOWN) {
        let label = format!("{} is in {session_title}", person.user);
        badge(ui, person, SMALL_BADGE, &label);
    }
    if people.len() > SHOWN {
        ui.label(theme::muted(format!("+{}", people.len() - SHOWN)).small());
    }
}

fn badge(ui: &mut egui::Ui, person: &Presence, size: f32, label: &str) {
    let (rect, response) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
    let painter = ui.painter();
    let fill = color_of(&person.user);
    painter.circle(
        rect.center(),
        size / 2.0,
        fill,
        Stroke::new(1.5, ui.visuals().panel_fill),
    );
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        initials(&person.user),
        egui::FontId::proportional(size * 0.45),
        Color32::WHITE,
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, label));
    response.on_hover_text(format!("{}: {}", person.user, person.doing));
}

/// One or two letters for `name`: the first of its first two words (an e-mail's
/// local part split at dots), upper case.
fn initials(name: &str) -> String {
    let local = name.split('@').next().unwrap_or(name);
    let letters: String = local
        .split(['.', ' ', '_', '-'])
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect();
    letters.to_uppercase()
}

/// A steady colour per name, so a person keeps theirs across sessions.
fn color_of(name: &str) -> Color32 {
    const PALETTE: [Color32; 6] = [
        Color32::from_rgb(0x6D, 0x5B, 0xF6),
        Color32::from_rgb(0x1F, 0x9D, 0x8B),
        Color32::from_rgb(0xD9, 0x6C, 0x2B),
        Color32::from_rgb(0x2F, 0x7E, 0xD8),
        Color32::from_rgb(0xC2, 0x41, 0x7F),
        Color32::from_rgb(0x5E, 0x8C, 0x31),
    ];
    // FNV-1a: short names that differ in one letter still land apart.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_come_from_the_first_two_words_of_the_name() {
        assert_eq!(initials("alice"), "A");
        assert_eq!(initials("bob.smith@example.com"), "BS");
        assert_eq!(initials("Carol Ann Jones"), "CA");
        assert_eq!(color_of("alice"), color_of("alice"));
        let colours = [color_of("alice"), color_of("bob"), color_of("carol")];
        assert!(
            colours[0] != colours[1] && colours[1] != colours[2] && colours[0] != colours[2],
            "the usual three teammates are told apart"
        );
    }
}
