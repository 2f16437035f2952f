//! Shared workspaces in the window: the server form in Settings (address, and Entra ID
//! / OpenID sign-in settings or a development user name), and the sidebar section
//! (sign in or out, the device code while one is pending, the workspaces with the
//! user's role and their latest sessions, kept current by each one's live feed, a
//! new workspace).

use egui::RichText;
use zspark_api::Role;
use zspark_core::SharedWorkspace;
use zspark_core::sharing::SharedSessionAddress;

use super::super::commands::{Commands, SettingsCommand, SharedCommand};
use super::super::model::{Model, SharedPage};
use super::super::prefs::{SharedIdentityPrefs, SharedServerPrefs};
use super::super::theme;
use super::settings::SettingsTab;
use super::workspace::WorkspaceTab;

/// The shared-workspace views' own state: the server form, a new workspace's name,
/// the workspace page's tab and the invitation being written.
pub struct SharedState {
    pub form: SharedForm,
    pub new_workspace: String,
    pub tab: WorkspaceTab,
    pub invitee: String,
    pub invite_role: Role,
}

impl Default for SharedState {
    fn default() -> Self {
        Self {
            form: SharedForm::default(),
            new_workspace: String::new(),
            tab: WorkspaceTab::default(),
            invitee: String::new(),
            invite_role: Role::Editor,
        }
    }
}

/// The server form's fields.
#[derive(Default)]
pub struct SharedForm {
    /// Filled from the remembered server the first time the form shows.
    pub loaded: bool,
    pub url: String,
    /// A development server (user name) rather than a sign-in.
    pub development: bool,
    pub authority: String,
    pub client_id: String,
    pub api_scope: String,
    pub user: String,
}

impl SharedForm {
    fn load(&mut self, remembered: Option<&SharedServerPrefs>) {
        self.loaded = true;
        let Some(server) = remembered else { return };
        self.url.clone_from(&server.url);
        match &server.identity {
            SharedIdentityPrefs::SignIn {
                authority,
                client_id,
                api_scope,
            } => {
                self.development = false;
                self.authority.clone_from(authority);
                self.client_id.clone_from(client_id);
                self.api_scope.clone_from(api_scope);
            }
            SharedIdentityPrefs::Development { user } => {
                self.development = true;
                self.user.clone_from(user);
            }
        }
    }

    fn server(&self) -> SharedServerPrefs {
        let trimmed = |text: &str| text.trim().to_string();
        SharedServerPrefs {
            url: trimmed(&self.url),
            identity: if self.development {
                SharedIdentityPrefs::Development {
                    user: trimmed(&self.user),
                }
            } else {
                SharedIdentityPrefs::SignIn {
                    authority: trimmed(&self.authority),
                    client_id: trimmed(&self.client_id),
                    api_scope: trimmed(&self.api_scope),
                }
            },
        }
    }
}

/// Settings → Shared workspaces.
pub fn settings_tab(ui: &mut egui::Ui, model: &Model, state: &mut SharedState, out: &mut Commands) {
    if !state.form.loaded {
        state.form.load(model.prefs.shared_server.as_ref());
    }
    ui.label(theme::muted(
        "A zspark server (zspark serve) holds workspaces you share with your team. Local sessions stay on this computer.",
    ));
    let form = &mut state.form;
    egui::Grid::new("shared-server-form")
        .num_columns(2)
        .spacing([theme::SPACE * 3.0, theme::SPACE * 2.0])
        .show(ui, |ui| {
            field(
                ui,
                "Server URL",
                &mut form.url,
                "https://zspark.example.com",
            );
            ui.label("Identity");
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.development, false, "Sign in (Entra ID / OpenID)");
                ui.radio_value(&mut form.development, true, "Development server");
            });
            ui.end_row();
            if form.development {
                field(ui, "User name", &mut form.user, "alice");
            } else {
                field(
                    ui,
                    "Authority",
                    &mut form.authority,
                    "https://login.microsoftonline.com/<tenant-id>",
                );
                field(
                    ui,
                    "Client ID",
                    &mut form.client_id,
                    "the desktop app's client id",
                );
                field(
                    ui,
                    "API scope",
                    &mut form.api_scope,
                    "api://<api-client-id>/access_as_user",
                );
            }
        });
    ui.horizontal(|ui| {
        if theme::primary_button(ui, "Connect").clicked() {
            out.push(SharedCommand::Connect(form.server()));
        }
        if model.prefs.shared_server.is_some() && ui.button("Disconnect").clicked() {
            out.push(SharedCommand::Disconnect);
        }
    });
    if let Some(problem) = model
        .shared
        .status
        .as_ref()
        .and_then(|status| status.problem.as_ref())
    {
        ui.colored_label(theme::DANGER, problem);
    }
}

fn field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(380.0),
    )
    .labelled_by(label.id);
    ui.end_row();
}

/// The sidebar's "Shared workspaces" section.
pub fn sidebar_section(
    ui: &mut egui::Ui,
    model: &Model,
    state: &mut SharedState,
    out: &mut Commands,
) {
    theme::section_heading(ui, "Shared workspaces");
    let Some(remembered) = &model.prefs.shared_server else {
        theme::empty_state(ui, "Not connected to a server.");
        if theme::subtle_button(ui, "Set up a server").clicked() {
            out.push(SettingsCommand::OpenAt(SettingsTab::SharedWorkspaces));
        }
        return;
    };
    let signs_in = matches!(remembered.identity, SharedIdentityPrefs::SignIn { .. });
    let Some(status) = &model.shared.status else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(theme::muted("Connecting…"));
        });
        return;
    };
    if let Some(problem) = &status.problem {
        ui.colored_label(theme::WARNING, RichText::new(problem).small());
        if !model.shared.busy && theme::subtle_button(ui, "Try again").clicked() {
            out.push(SharedCommand::Refresh);
        }
    }
    if let Some((code, address)) = &model.shared.sign_in_code {
        ui.label(RichText::new(format!("Open {address} and enter")).small());
        ui.label(RichText::new(code).monospace().strong());
    }
    match &status.signed_in_as {
        None if signs_in => {
            if model.shared.busy {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(theme::muted("Waiting for the sign-in…"));
                });
            } else {
                ui.horizontal_wrapped(|ui| {
                    if theme::primary_button(ui, "Sign in").clicked() {
                        out.push(SharedCommand::SignIn { device_code: false });
                    }
                    if theme::subtle_button(ui, "Sign in with a code").clicked() {
                        out.push(SharedCommand::SignIn { device_code: true });
                    }
                });
            }
        }
        // A development identity the server did not take: the problem above says why.
        None => {}
        Some(name) => {
            ui.horizontal_wrapped(|ui| {
                ui.label(theme::muted(format!("Signed in as {name}")));
                if signs_in && theme::subtle_button(ui, "Sign out").clicked() {
                    out.push(SharedCommand::SignOut);
                }
                if theme::subtle_button(ui, theme::icon::REFRESH)
                    .accessible_name("Refresh shared workspaces")
                    .clicked()
                {
                    out.push(SharedCommand::Refresh);
                }
            });
            if status.workspaces.is_empty() {
                theme::empty_state(ui, "No shared workspaces yet; create one below.");
            }
            for workspace in &status.workspaces {
                workspace_entry(ui, model, &status.server, workspace, out);
            }
            ui.horizontal(|ui| {
                let field = ui
                    .add(
                        // A stable id: the lists above grow as the feeds report, and an
                        // id from the layout would lose the focus while one types.
                        egui::TextEdit::singleline(&mut state.new_workspace)
                            .id_salt("new-workspace-name")
                            .hint_text("New workspace name")
                            .desired_width(150.0),
                    )
                    .accessible_name("New workspace name");
                let entered =
                    field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
                if (ui.button("Create").clicked() || entered)
                    && !state.new_workspace.trim().is_empty()
                {
                    out.push(SharedCommand::CreateWorkspace(
                        state.new_workspace.trim().to_string(),
                    ));
                }
            });
        }
    }
}

/// Sessions listed under a workspace in the sidebar; its page has them all.
pub const LISTED_SESSIONS: usize = 5;

/// A workspace in the sidebar: its name (opens its page) and, once read, its most
/// recently active sessions.
fn workspace_entry(
    ui: &mut egui::Ui,
    model: &Model,
    server: &str,
    workspace: &SharedWorkspace,
    out: &mut Commands,
) {
    let page_open = model.shared.page == Some(SharedPage::Workspace(workspace.id.clone()));
    ui.horizontal(|ui| {
        if ui
            .selectable_label(page_open, &workspace.name)
            .on_hover_text("Open the workspace: sessions, members, activity, files")
            .clicked()
        {
            out.push(SharedCommand::OpenWorkspace(workspace.id.clone()));
        }
        ui.label(theme::muted(workspace.role.as_str()));
    });
    let Some(view) = model.shared.workspace(&workspace.id) else {
        return;
    };
    ui.indent(("workspace-sessions", &workspace.id), |ui| {
        if view.sessions.is_empty() {
            ui.label(theme::muted("No shared sessions yet."));
        }
        for session in view.sessions.iter().take(LISTED_SESSIONS) {
            let address = SharedSessionAddress {
                server: server.to_string(),
                workspace_id: workspace.id.clone(),
                session_id: session.id.clone(),
            };
            let reading = model.shared.page == Some(SharedPage::Session(address.clone()));
            let title: String = session.title.chars().take(40).collect();
            if ui
                .selectable_label(reading, &title)
                .on_hover_text(format!(
                    "by {} · last activity {}",
                    view.name_of(&session.author),
                    super::workspace::short_time(&session.updated_at)
                ))
                .clicked()
            {
                out.push(SharedCommand::ReadSession(address.clone()));
            }
            // Who is in it, then whose it is; wrapped, so it never widens the sidebar.
            ui.horizontal_wrapped(|ui| {
                super::presence::sidebar_badges(ui, &title, model.shared.people_in(&address));
                ui.label(
                    RichText::new(format!(
                        "{} · {}",
                        view.name_of(&session.author),
                        super::workspace::short_time(&session.updated_at)
                    ))
                    .small()
                    .weak(),
                );
            });
        }
        if view.sessions.len() > LISTED_SESSIONS
            && theme::subtle_button(ui, &format!("All {} sessions…", view.sessions.len())).clicked()
        {
            out.push(SharedCommand::OpenWorkspace(workspace.id.clone()));
        }
    });
}
