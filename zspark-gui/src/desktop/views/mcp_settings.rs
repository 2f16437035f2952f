//! Settings → MCP servers: each server of `config.toml` with whether it is on, how it
//! is reached, where it stands in the session shown (starting, ready with its tools,
//! failed with the reason) and what is wrong with a broken entry; a form to add or edit
//! a stdio or streamable HTTP server; remove and on/off per server, and sign-in and
//! sign-out for HTTP servers that take OAuth. Changes are written
//! to `config.toml` (comments kept) and apply to sessions opened afterwards.

use std::collections::{BTreeMap, BTreeSet};

use codex_protocol::McpStartupStatus;
use zspark_core::{McpCommand, McpServerEntry, McpServerSpec, McpSignIn};

use super::super::commands::{Commands, SettingsCommand};
use super::super::model::Model;
use super::super::theme;

/// Which kind of server the form edits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ServerKind {
    #[default]
    Stdio,
    Http,
}

/// The server form's fields.
#[derive(Debug, Clone, Default)]
pub struct McpForm {
    /// The server being edited (its name before any rename); `None` for a new one.
    pub editing: Option<String>,
    pub name: String,
    pub kind: ServerKind,
    /// The program and its arguments, as on a command line.
    pub command_line: String,
    /// `KEY=value` per line.
    pub env: String,
    pub url: String,
    pub bearer_token_env_var: String,
    pub error: Option<String>,
}

/// The tab's own state: the form, and the servers whose tool list is unfolded.
#[derive(Debug, Clone, Default)]
pub struct McpSettingsState {
    pub form: McpForm,
    pub unfolded: BTreeSet<String>,
}

impl McpForm {
    fn load(&mut self, entry: &McpServerEntry) {
        *self = Self {
            editing: Some(entry.name.clone()),
            name: entry.name.clone(),
            ..Self::default()
        };
        match &entry.spec {
            Some(McpServerSpec::Stdio { command, args, env }) => {
                self.kind = ServerKind::Stdio;
                self.command_line = std::iter::once(command.as_str())
                    .chain(args.iter().map(String::as_str))
                    .map(|word| {
                        shlex::try_quote(word)
                            .map_or_else(|_| word.to_string(), |quoted| quoted.into_owned())
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                self.env = env
                    .iter()
                    .map(|(key, value)| format!("{key}={value}\n"))
                    .collect();
            }
            Some(McpServerSpec::StreamableHttp {
                url,
                bearer_token_env_var,
            }) => {
                self.kind = ServerKind::Http;
                self.url = url.clone();
                self.bearer_token_env_var = bearer_token_env_var.clone().unwrap_or_default();
            }
            None => {}
        }
    }

    /// The server the form describes, or what to fix first.
    fn spec(&self) -> Result<McpServerSpec, String> {
        match self.kind {
            ServerKind::Stdio => {
                let words = shlex::split(&self.command_line)
                    .ok_or("the command line has an unclosed quote; close it or remove it")?;
                let Some((command, args)) = words.split_first() else {
                    return Err("enter the program to start, e.g. npx -y @modelcontextprotocol/server-filesystem ~/notes".to_string());
                };
                let mut env = BTreeMap::new();
                for line in self.env.lines().filter(|line| !line.trim().is_empty()) {
                    let Some((key, value)) = line.split_once('=') else {
                        return Err(format!("environment line `{line}`: write it as KEY=value"));
                    };
                    env.insert(key.trim().to_string(), value.trim().to_string());
                }
                Ok(McpServerSpec::Stdio {
                    command: command.clone(),
                    args: args.to_vec(),
                    env,
                })
            }
            ServerKind::Http => Ok(McpServerSpec::StreamableHttp {
                url: self.url.trim().to_string(),
                bearer_token_env_var: Some(self.bearer_token_env_var.trim().to_string())
                    .filter(|variable| !variable.is_empty()),
            }),
        }
    }
}

/// The MCP servers tab.
pub fn tab(ui: &mut egui::Ui, model: &Model, state: &mut McpSettingsState, out: &mut Commands) {
    ui.label(theme::muted(
        "Servers from config.toml (the Codex CLI reads the same). Changes apply to sessions opened from now on.",
    ));
    let Some(servers) = &model.mcp_servers else {
        ui.spinner();
        return;
    };
    if servers.is_empty() {
        theme::empty_state(ui, "No MCP servers yet. Add one below.");
    }
    let live = model
        .session()
        .map(|session| &session.transcript.mcp_servers);
    egui::ScrollArea::vertical()
        .max_height(260.0)
        .show(ui, |ui| {
            for entry in servers {
                let signing_in = model
                    .mcp_sign_in
                    .as_ref()
                    .filter(|(server, _)| *server == entry.name)
                    .map(|(_, page)| page.as_str());
                server_row(
                    ui,
                    entry,
                    live.and_then(|live| live.get(&entry.name)),
                    signing_in,
                    state,
                    out,
                );
            }
        });
    if ui.button("+ Add MCP server").clicked() {
        state.form = McpForm::default();
    }
    ui.separator();
    server_form(ui, &mut state.form, out);
}

fn server_row(
    ui: &mut egui::Ui,
    entry: &McpServerEntry,
    live: Option<&zspark_core::conversation::McpServerLive>,
    signing_in: Option<&str>,
    state: &mut McpSettingsState,
    out: &mut Commands,
) {
    let McpSettingsState { form, unfolded } = state;
    ui.horizontal(|ui| {
        let mut enabled = entry.enabled;
        if ui
            .checkbox(&mut enabled, "on")
            .on_hover_text("New sessions start the servers that are on")
            .changed()
        {
            out.push(SettingsCommand::Mcp(McpCommand::SetEnabled {
                name: entry.name.clone(),
                enabled,
            }));
        }
        let editing = form.editing.as_deref() == Some(entry.name.as_str());
        if ui.selectable_label(editing, &entry.name).clicked() {
            form.load(entry);
        }
        let summary = entry.summary();
        ui.label(theme::muted(shortened(&summary, SUMMARY_CHARS)))
            .on_hover_text(summary);
        match (entry.enabled, live.map(|live| &live.status)) {
            _ if entry.problem.is_some() => {}
            (false, _) => {
                ui.label(theme::muted("off"));
            }
            (true, None) => {
                ui.label(theme::muted("not running in this session"));
            }
            (true, Some(McpStartupStatus::Starting)) => {
                ui.spinner();
                ui.label("starting");
            }
            (true, Some(McpStartupStatus::Ready)) => {
                let tools = live.map_or(0, |live| live.tools.len());
                let label = format!("ready · {tools} tool{}", if tools == 1 { "" } else { "s" });
                let tools_shown = unfolded.contains(&entry.name);
                if ui
                    .selectable_label(tools_shown, label)
                    .on_hover_text("Show the tools")
                    .clicked()
                {
                    toggle(unfolded, &entry.name);
                }
            }
            (true, Some(McpStartupStatus::Failed { .. })) => {
                ui.colored_label(theme::DANGER, "failed");
            }
        }
        sign_in_controls(ui, entry, signing_in, out);
        if theme::danger_button(ui, "Remove").clicked() {
            out.push(SettingsCommand::Mcp(McpCommand::Remove {
                name: entry.name.clone(),
            }));
            if editing {
                *form = McpForm::default();
            }
        }
    });
    if let Some(problem) = &entry.problem {
        ui.colored_label(theme::DANGER, problem);
    }
    if let Some(McpStartupStatus::Failed { error }) = live.map(|live| &live.status) {
        ui.colored_label(theme::DANGER, error);
    }
    if let Some(live) = live.filter(|_| unfolded.contains(&entry.name)) {
        ui.indent(("mcp-tools", &entry.name), |ui| {
            ui.label(theme::muted(live.tools.join(", ")));
        });
    }
}

/// An HTTP server's OAuth sign-in: a button to sign in or out, or, while the browser
/// is out, the link to the sign-in page.
fn sign_in_controls(
    ui: &mut egui::Ui,
    entry: &McpServerEntry,
    signing_in: Option<&str>,
    out: &mut Commands,
) {
    if let Some(page) = signing_in {
        ui.spinner();
        ui.hyperlink_to("open the sign-in page", page)
            .on_hover_text("Waiting for the sign-in in the browser");
        return;
    }
    let name = entry.name.clone();
    match entry.sign_in {
        McpSignIn::NotApplicable => {}
        McpSignIn::SignedOut => {
            if ui
                .button("Sign in")
                .on_hover_text("Sign in with OAuth in the browser, for servers that ask for it")
                .clicked()
            {
                out.push(SettingsCommand::Mcp(McpCommand::SignIn { name }));
            }
        }
        McpSignIn::SignedIn => {
            ui.label(theme::muted("signed in"));
            if ui
                .button("Sign out")
                .on_hover_text("Forget the saved sign-in (the Codex CLI uses the same one)")
                .clicked()
            {
                out.push(SettingsCommand::Mcp(McpCommand::SignOut { name }));
            }
        }
    }
}

/// The most characters of a server's command line or URL shown in its row.
const SUMMARY_CHARS: usize = 44;

/// `text`, its middle left out when it is longer than `most` characters.
fn shortened(text: &str, most: usize) -> String {
    let count = text.chars().count();
    if count <= most {
        return text.to_string();
    }
    let head = most / 3;
    let tail = most - head - 1;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

fn toggle(set: &mut BTreeSet<String>, name: &str) {
    if !set.remove(name) {
        set.insert(name.to_string());
    }
}

fn server_form(ui: &mut egui::Ui, form: &mut McpForm, out: &mut Commands) {
    egui::Grid::new("mcp-form")
        .num_columns(2)
        .spacing([theme::SPACE * 3.0, theme::SPACE * 2.0])
        .show(ui, |ui| {
            let field = |ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str, rows| {
                let label = ui.label(label);
                let edit = if rows > 1 {
                    egui::TextEdit::multiline(text).desired_rows(rows)
                } else {
                    egui::TextEdit::singleline(text)
                };
                ui.add(edit.hint_text(hint.to_owned()).desired_width(360.0))
                    .labelled_by(label.id);
                ui.end_row();
            };
            field(ui, "Name", &mut form.name, "files", 1);
            ui.label("Kind");
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.kind, ServerKind::Stdio, "Program (stdio)");
                ui.radio_value(&mut form.kind, ServerKind::Http, "URL (streamable HTTP)");
            });
            ui.end_row();
            match form.kind {
                ServerKind::Stdio => {
                    let example = "npx -y @modelcontextprotocol/server-filesystem ~/notes";
                    field(ui, "Command", &mut form.command_line, example, 1);
                    let hint = "KEY=value (one per line)";
                    field(ui, "Environment", &mut form.env, hint, 2);
                }
                ServerKind::Http => {
                    let example = "https://mcp.example.com/mcp";
                    field(ui, "URL", &mut form.url, example, 1);
                    let hint = "the environment variable holding the token (optional)";
                    field(
                        ui,
                        "Bearer token variable",
                        &mut form.bearer_token_env_var,
                        hint,
                        1,
                    );
                }
            }
        });
    if let Some(error) = &form.error {
        ui.colored_label(theme::DANGER, error);
    }
    let save = if form.editing.is_some() {
        "Save server"
    } else {
        "Add server"
    };
    if theme::primary_button(ui, save).clicked() {
        match form.spec() {
            Ok(spec) => {
                form.error = None;
                out.push(SettingsCommand::Mcp(McpCommand::Save {
                    previous: form.editing.clone(),
                    name: form.name.trim().to_string(),
                    spec,
                }));
                form.editing = Some(form.name.trim().to_string());
            }
            Err(problem) => form.error = Some(problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_command_lines_lose_their_middle() {
        assert_eq!(shortened("npx -y server", 44), "npx -y server");
        let long = "python3 /work/main/codex-rs/core/tests/fixtures/changing_tools_server.py";
        let short = shortened(long, 20);
        assert_eq!(short.chars().count(), 20);
        assert!(
            short.starts_with("python") && short.ends_with("server.py"),
            "{short}"
        );
    }
}
