//! Who else is in a shared session, shown in its header: a round badge with each
//! person's initials (their name and what they do on hover), and a line saying who is
//! running a turn, since only one person drives the agent at a time.

use egui::{Color32, RichText, Sense, Stroke, vec2};
use zspark_core::Presence;

use super::super::theme;

/// The badges' diameter.
const BADGE: f32 = 22.0;

/// The badges of `people`, and who runs a turn; nothing when nobody else is here.
pub fn row(ui: &mut egui::Ui, people: &[Presence]) {
    if people.is_empty() {
        return;
    }
    for person in people {
        badge(ui, person);
    }
    if let Some(driver) = people
        .iter()
        .find(|person| person.doing == "running a turn")
    {
        ui.label(RichText::new(format!("{} is running a turn", driver.user)).color(theme::ACCENT));
    }
}

fn badge(ui: &mut egui::Ui, person: &Presence) {
    let (rect, response) = ui.allocate_exact_size(vec2(BADGE, BADGE), Sense::hover());
    let painter = ui.painter();
    let fill = color_of(&person.user);
    painter.circle(
        rect.center(),
        BADGE / 2.0,
        fill,
        Stroke::new(1.5, ui.visuals().panel_fill),
    );
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        initials(&person.user),
        egui::FontId::proportional(10.0),
        Color32::WHITE,
    );
    let label = format!("{}: {}", person.user, person.doing);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
    response.on_hover_text(label);
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
    let sum = name.bytes().fold(0usize, |sum, byte| {
        sum.wrapping_mul(31).wrapping_add(usize::from(byte))
    });
    PALETTE[sum % PALETTE.len()]
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
    }
}
