//! Commands about settings: the window, provider profiles, MCP servers, memory, the
//! theme, the first run.

use zspark_core::{EngineCommand, McpCommand, MemoryCommand};

use super::super::app::DesktopApp;
use super::super::commands::SettingsCommand;
use super::super::theme;

impl DesktopApp {
    pub(in super::super) fn apply_settings(
        &mut self,
        ctx: &egui::Context,
        command: SettingsCommand,
    ) {
        match command {
            SettingsCommand::Open => {
                self.model.settings_open = true;
                self.send(EngineCommand::LoadProviders);
                self.send(EngineCommand::Mcp(McpCommand::Load));
                self.send(EngineCommand::Memory(MemoryCommand::Load));
            }
            SettingsCommand::OpenAt(tab) => {
                self.panels.settings.tab = tab;
                self.model.settings_open = true;
                self.send(EngineCommand::LoadProviders);
                self.send(EngineCommand::Mcp(McpCommand::Load));
                self.send(EngineCommand::Memory(MemoryCommand::Load));
            }
            SettingsCommand::Close => self.model.settings_open = false,
            SettingsCommand::SaveProvider {
                profile,
                api_key,
                make_default,
            } => {
                self.panels.settings.provider_form.error = None;
                self.send(EngineCommand::SaveProvider {
                    profile,
                    api_key,
                    make_default,
                });
            }
            SettingsCommand::RemoveProvider { id } => {
                if self.model.prefs.last_profile.as_deref() == Some(id.as_str()) {
                    self.model.prefs.last_profile = None;
                }
                self.send(EngineCommand::RemoveProvider { id });
            }
            SettingsCommand::PickProfile(id) => self.model.prefs.last_profile = Some(id),
            SettingsCommand::Mcp(command) => self.send(EngineCommand::Mcp(command)),
            SettingsCommand::Memory(command) => self.send(EngineCommand::Memory(command)),
            SettingsCommand::SetTheme(choice) => {
                self.model.prefs.theme = choice;
                theme::install(ctx, choice);
            }
            SettingsCommand::SetPrice { key, price } => {
                let prices = &mut self.model.prefs.model_prices;
                match price {
                    Some(price) => prices.insert(key, price),
                    None => prices.remove(&key),
                };
            }
            SettingsCommand::FinishOnboarding => self.model.prefs.onboarded = true,
        }
    }
}
