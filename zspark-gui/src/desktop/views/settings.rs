//! Settings, in tabs: provider profiles (name, base URL, key shown masked, model, wire
//! API, extra headers) saved to `config.toml` and the keychain through the engine; the
//! MCP servers (`mcp_settings`); the shared-workspace server; the theme. The same provider form leads the first-run
//! screen.

use std::collections::BTreeMap;

use codex_protocol::WireApi;
use zspark_core::ProviderProfile;
use zspark_core::providers::default_env_key;

use super::super::commands::{Commands, SettingsCommand};
use super::super::model::Model;
use super::super::prefs::ThemeChoice;
use super::super::theme;
use super::mcp_settings::McpSettingsState;
use super::shared::SharedState;

/// Ready-made starting points: (label, id, base URL, wire API, model).
const PRESETS: [(&str, &str, &str, WireApi, &str); 5] = [
    (
        "OpenAI",
        "openai-key",
        "https://api.openai.com/v1",
        WireApi::Responses,
        "gpt-5",
    ),
    (
        "DeepSeek",
        "deepseek",
        "https://api.deepseek.com/v1",
        WireApi::Chat,
        "deepseek-chat",
    ),
    (
        "Kimi",
        "kimi",
        "https://api.moonshot.cn/v1",
        WireApi::Chat,
        "kimi-k2-0905-preview",
    ),
    (
        "Ollama",
        "ollama-local",
        "http://localhost:11434/v1",
        WireApi::Chat,
        "qwen3-coder",
    ),
    (
        "vLLM / SGLang",
        "local-vllm",
        "http://localhost:8000/v1",
        WireApi::Chat,
        "served-model",
    ),
];

/// The provider form's fields.
#[derive(Default)]
pub struct ProviderForm {
    /// The profile being edited; `None` for a new one.
    pub editing: Option<String>,
    pub id: String,
    pub name: String,
    pub base_url: String,
    pub wire_api: WireApi,
    pub model: String,
    pub api_key: String,
    /// `Name: value` per line.
    pub headers: String,
    pub make_default: bool,
    env_key: Option<String>,
    pub error: Option<String>,
}

impl ProviderForm {
    fn load(&mut self, profile: &ProviderProfile, is_default: bool) {
        *self = Self {
            editing: Some(profile.id.clone()),
            id: profile.id.clone(),
            name: profile.name.clone(),
            base_url: profile.base_url.clone(),
            wire_api: profile.wire_api,
            model: profile.model.clone(),
            api_key: String::new(),
            headers: profile
                .headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}\n"))
                .collect(),
            make_default: is_default,
            env_key: Some(profile.env_key.clone()),
            error: None,
        };
    }

    /// After a save: the key field empties (the stored key shows masked).
    pub fn saved(&mut self, id: &str) {
        self.editing = Some(id.to_string());
        self.api_key.clear();
        self.error = None;
    }

    fn profile(&self) -> Result<ProviderProfile, String> {
        let mut headers = BTreeMap::new();
        for line in self.headers.lines().filter(|line| !line.trim().is_empty()) {
            let Some((name, value)) = line.split_once(':') else {
                return Err(format!("header line `{line}`: write it as `Name: value`"));
            };
            headers.insert(name.trim().to_string(), value.trim().to_string());
        }
        let id = self.id.trim().to_string();
        Ok(ProviderProfile {
            env_key: self.env_key.clone().unwrap_or_else(|| default_env_key(&id)),
            id,
            name: self.name.trim().to_string(),
            base_url: self.base_url.trim().to_string(),
            wire_api: self.wire_api,
            model: self.model.trim().to_string(),
            headers,
        })
    }
}

/// The settings window's own state.
#[derive(Default)]
pub struct SettingsState {
    pub tab: SettingsTab,
    pub provider_form: ProviderForm,
    pub mcp: McpSettingsState,
    pub memory: super::memory_settings::MemorySettingsState,
}

/// The tabs of the settings window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SettingsTab {
    #[default]
    Providers,
    McpServers,
    Memory,
    SharedWorkspaces,
    Appearance,
}

/// The settings window.
pub fn window(
    ctx: &egui::Context,
    model: &Model,
    state: &mut SettingsState,
    shared: &mut SharedState,
    out: &mut Commands,
) {
    let response = egui::Modal::new(egui::Id::unique("settings")).show(ctx, |ui| {
        ui.set_width(640.0);
        ui.horizontal(|ui| {
            theme::title(ui, "Settings");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Close").clicked() {
                    out.push(SettingsCommand::Close);
                }
            });
        });
        let shown_before = state.tab;
        ui.horizontal(|ui| {
            let tab = &mut state.tab;
            ui.selectable_value(tab, SettingsTab::Providers, "Providers");
            ui.selectable_value(tab, SettingsTab::McpServers, "MCP servers");
            ui.selectable_value(tab, SettingsTab::Memory, "Memory");
            ui.selectable_value(tab, SettingsTab::SharedWorkspaces, "Shared workspaces");
            ui.selectable_value(tab, SettingsTab::Appearance, "Appearance");
        });
        ui.separator();
        if state.tab == SettingsTab::Memory && shown_before != SettingsTab::Memory {
            // Sessions (and the Codex CLI) change the folder: read it afresh.
            out.push(SettingsCommand::Memory(zspark_core::MemoryCommand::Load));
        }
        match state.tab {
            SettingsTab::Providers => {
                profile_list(ui, model, &mut state.provider_form);
                ui.separator();
                provider_form(ui, model, &mut state.provider_form, out);
            }
            SettingsTab::McpServers => {
                super::mcp_settings::tab(ui, model, &mut state.mcp, out);
            }
            SettingsTab::Memory => {
                super::memory_settings::tab(ui, model, &mut state.memory, out);
            }
            SettingsTab::SharedWorkspaces => super::shared::settings_tab(ui, model, shared, out),
            SettingsTab::Appearance => {
                let mut choice = model.prefs.theme;
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut choice, ThemeChoice::System, "System");
                    ui.selectable_value(&mut choice, ThemeChoice::Light, "Light");
                    ui.selectable_value(&mut choice, ThemeChoice::Dark, "Dark");
                });
                if choice != model.prefs.theme {
                    out.push(SettingsCommand::SetTheme(choice));
                }
            }
        }
    });
    if response.should_close() {
        out.push(SettingsCommand::Close);
    }
}

fn profile_list(ui: &mut egui::Ui, model: &Model, form: &mut ProviderForm) {
    let Some(list) = &model.providers else {
        ui.spinner();
        return;
    };
    if list.profiles.is_empty() {
        theme::empty_state(
            ui,
            "No provider profiles in config.toml yet. Add one below.",
        );
    }
    for profile in &list.profiles {
        let is_default = list.default_profile.as_deref() == Some(profile.id.as_str());
        ui.horizontal(|ui| {
            let editing = form.editing.as_deref() == Some(profile.id.as_str());
            if ui.selectable_label(editing, &profile.name).clicked() {
                form.load(profile, is_default);
            }
            ui.label(theme::muted(format!(
                "{} · {}",
                profile.model, profile.base_url
            )));
            let key = list
                .masked_keys
                .get(&profile.id)
                .cloned()
                .unwrap_or_else(|| "no key".to_string());
            ui.label(theme::muted(key));
            if is_default {
                ui.colored_label(theme::ACCENT, "default");
            }
        });
    }
    if ui.button("+ Add provider").clicked() {
        *form = ProviderForm::default();
    }
}

/// The provider form; also used by the first-run screen.
pub fn provider_form(
    ui: &mut egui::Ui,
    model: &Model,
    form: &mut ProviderForm,
    out: &mut Commands,
) {
    let stored_key = form
        .editing
        .as_ref()
        .and_then(|id| model.providers.as_ref()?.masked_keys.get(id).cloned());
    if form.editing.is_none() {
        ui.horizontal_wrapped(|ui| {
            ui.label(theme::muted("Start from:"));
            for (label, id, base_url, wire_api, model) in PRESETS {
                if ui.small_button(label).clicked() {
                    form.id = id.to_string();
                    form.name = label.to_string();
                    form.base_url = base_url.to_string();
                    form.wire_api = wire_api;
                    form.model = model.to_string();
                }
            }
        });
    }
    egui::Grid::new("provider-form")
        .num_columns(2)
        .spacing([theme::SPACE * 3.0, theme::SPACE * 2.0])
        .show(ui, |ui| {
            let field =
                |ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str, locked: bool| {
                    let label = ui.label(label);
                    ui.add_enabled(
                        !locked,
                        egui::TextEdit::singleline(text)
                            .hint_text(hint.to_owned())
                            .desired_width(360.0),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                };
            let locked = form.editing.is_some();
            field(ui, "Id", &mut form.id, "deepseek", locked);
            field(ui, "Name", &mut form.name, "DeepSeek", false);
            field(
                ui,
                "Base URL",
                &mut form.base_url,
                "https://api.deepseek.com/v1",
                false,
            );
            field(ui, "Model", &mut form.model, "deepseek-chat", false);
            let label = ui.label("API key");
            let hint = match &stored_key {
                Some(masked) => format!("stored: {masked} (leave empty to keep)"),
                None => "paste the key; it goes to the OS keychain".to_string(),
            };
            ui.add(
                egui::TextEdit::singleline(&mut form.api_key)
                    .password(true)
                    .hint_text(hint)
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            ui.label("Wire API");
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.wire_api, WireApi::Responses, "Responses");
                ui.radio_value(&mut form.wire_api, WireApi::Chat, "Chat Completions");
            });
            ui.end_row();
            let label = ui.label("Extra headers");
            ui.add(
                egui::TextEdit::multiline(&mut form.headers)
                    .hint_text("X-Name: value (one per line)")
                    .desired_rows(2)
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
    ui.checkbox(
        &mut form.make_default,
        "Use by default (also for the Codex CLI)",
    );
    if let Some(error) = &form.error {
        ui.colored_label(theme::DANGER, error);
    }
    ui.horizontal(|ui| {
        if theme::primary_button(ui, "Save provider").clicked() {
            match form.profile() {
                Ok(profile) => out.push(SettingsCommand::SaveProvider {
                    profile,
                    api_key: Some(form.api_key.clone()).filter(|key| !key.trim().is_empty()),
                    make_default: form.make_default,
                }),
                Err(problem) => form.error = Some(problem),
            }
        }
        if let Some(id) = form.editing.clone()
            && theme::danger_button(ui, "Remove").clicked()
        {
            out.push(SettingsCommand::RemoveProvider { id });
            *form = ProviderForm::default();
        }
    });
}
