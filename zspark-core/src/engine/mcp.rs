//! The engine's MCP server settings commands: list the servers of `config.toml`, save,
//! remove, switch one on or off, sign in to an HTTP server (through the browser) and
//! out. Each runs off the run loop; a change that fails answers with
//! [`EngineEvent::Problem`], and every command ends with the list as it now is
//! ([`EngineEvent::McpServers`]). A sign-in first reports its page
//! ([`EngineEvent::McpSignInPage`]), so the desktop can show the link while it waits.

use codex_core::mcp::oauth::{BROWSER_TIMEOUT, start_login};
use zspark_auth::signin::OpenBrowser;

use super::{EngineEvent, EngineSetup, Outbox};
use crate::mcp_servers::{McpServerSpec, McpServerStore};

/// Work on the MCP servers of `config.toml`.
#[derive(Debug, Clone, PartialEq)]
pub enum McpCommand {
    Load,
    /// Save server `name`; `previous` is its name before a rename in the form.
    Save {
        previous: Option<String>,
        name: String,
        spec: McpServerSpec,
    },
    Remove {
        name: String,
    },
    SetEnabled {
        name: String,
        enabled: bool,
    },
    /// Sign in to the HTTP server `name` with OAuth, through the browser.
    SignIn {
        name: String,
    },
    /// Forget the sign-in of the HTTP server `name`.
    SignOut {
        name: String,
    },
}

/// Carries out `command` off the run loop and reports the result.
pub(super) fn spawn(command: McpCommand, setup: &EngineSetup, outbox: &Outbox) {
    let store = McpServerStore::new(setup.codex_home.clone());
    let outbox = outbox.clone();
    if let McpCommand::SignIn { name } = command {
        let browser = setup.browser.clone();
        tokio::spawn(async move {
            if let Err(message) = sign_in(&store, &name, browser.as_ref(), &outbox).await {
                outbox.send(EngineEvent::Problem(message)).await;
            }
            outbox.send(EngineEvent::McpServers(store.list())).await;
        });
        return;
    }
    outbox.change_then_report("MCP settings", move || {
        let changed = match &command {
            McpCommand::Load => Ok(()),
            McpCommand::Save {
                previous,
                name,
                spec,
            } => store.save(previous.as_deref(), name, spec),
            McpCommand::Remove { name } => store.remove(name),
            McpCommand::SetEnabled { name, enabled } => store.set_enabled(name, *enabled),
            McpCommand::SignOut { name } => store.sign_out(name),
            McpCommand::SignIn { .. } => Ok(()),
        };
        (changed, EngineEvent::McpServers(store.list()))
    });
}

/// Signs in to server `name`: shows the page (the browser, and the link in the
/// desktop), waits for the answer and keeps the tokens.
async fn sign_in(
    store: &McpServerStore,
    name: &str,
    browser: &dyn OpenBrowser,
    outbox: &Outbox,
) -> Result<(), String> {
    let (settings, tokens) = store.login_settings(name)?;
    let pending = start_login(&settings)
        .await
        .map_err(|error| error.to_string())?;
    let page = pending.authorization_url().to_string();
    outbox
        .send(EngineEvent::McpSignInPage {
            server: name.to_string(),
            url: page.clone(),
        })
        .await;
    if browser.open(&page).is_err() {
        outbox
            .send(EngineEvent::Problem(format!(
                "No browser could be opened: open the sign-in page linked next to `{name}` in Settings > MCP servers"
            )))
            .await;
    }
    pending
        .finish(&tokens, BROWSER_TIMEOUT, None)
        .await
        .map(|_| ())
        .map_err(|error| error.to_string())
}
