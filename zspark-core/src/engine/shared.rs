//! The engine's shared-workspace commands: connecting to a server, signing in and
//! out, listing and creating workspaces. Each runs as a task of its own (a browser
//! sign-in can take minutes) and answers with [`EngineEvent::Shared`].

use std::sync::Arc;

use tokio::sync::Mutex;

use super::{EngineEvent, EngineSetup, Outbox};
use crate::shared::{SharedClient, SharedServer, SharedStatus};

/// What a front-end asks of the shared-workspace connection.
#[derive(Debug, Clone, PartialEq)]
pub enum SharedCommand {
    /// Use this server (replacing any other) and report its status.
    Connect(SharedServer),
    /// Sign in through the browser, or with a device code (answered first by
    /// [`EngineEvent::SignInCode`]).
    SignIn {
        device_code: bool,
    },
    SignOut,
    /// Report the status again (the workspace list may have changed).
    Refresh,
    CreateWorkspace {
        name: String,
    },
    /// Forget the server.
    Disconnect,
}

/// The current connection, shared with the tasks that use it.
#[derive(Clone, Default)]
pub(super) struct Connection(Arc<Mutex<Option<Arc<SharedClient>>>>);

/// Carries out `command` in a task of its own.
pub(super) fn spawn(
    command: SharedCommand,
    connection: &Connection,
    setup: &EngineSetup,
    outbox: &Outbox,
) {
    let connection = connection.clone();
    let setup = setup.clone();
    let outbox = outbox.clone();
    tokio::spawn(async move {
        let status = carry_out(command, &connection, &setup, &outbox).await;
        outbox.send(EngineEvent::Shared(status)).await;
    });
}

async fn carry_out(
    command: SharedCommand,
    connection: &Connection,
    setup: &EngineSetup,
    outbox: &Outbox,
) -> SharedStatus {
    let client = match command {
        SharedCommand::Connect(server) => {
            let url = server.url.clone();
            let token_dir = setup.codex_home.join("zspark");
            match SharedClient::connect(server, &token_dir, setup.secrets).await {
                Ok(client) => {
                    let client = Arc::new(client);
                    *connection.0.lock().await = Some(client.clone());
                    client
                }
                Err(problem) => {
                    *connection.0.lock().await = None;
                    return SharedStatus {
                        server: url,
                        problem: Some(problem.to_string()),
                        ..SharedStatus::default()
                    };
                }
            }
        }
        SharedCommand::Disconnect => {
            *connection.0.lock().await = None;
            return SharedStatus::default();
        }
        other => {
            let Some(client) = connection.0.lock().await.clone() else {
                return SharedStatus {
                    problem: Some(
                        "No server is set up: add one in Settings > Shared workspaces.".to_string(),
                    ),
                    ..SharedStatus::default()
                };
            };
            let done = match other {
                SharedCommand::SignIn { device_code: false } => {
                    client.sign_in_with_browser(setup.browser.as_ref()).await
                }
                SharedCommand::SignIn { device_code: true } => {
                    client
                        .sign_in_with_device_code(|prompt| {
                            outbox.send_now(EngineEvent::SignInCode {
                                code: prompt.user_code.clone(),
                                address: prompt
                                    .verification_uri_complete
                                    .clone()
                                    .unwrap_or_else(|| prompt.verification_uri.clone()),
                            });
                        })
                        .await
                }
                SharedCommand::SignOut => client.sign_out().await,
                SharedCommand::CreateWorkspace { name } => client.create_workspace(&name).await,
                // Refresh only reports; Connect and Disconnect were handled above.
                SharedCommand::Refresh | SharedCommand::Connect(_) | SharedCommand::Disconnect => {
                    Ok(())
                }
            };
            if let Err(problem) = done {
                let mut status = client.status().await;
                status.problem = Some(problem.to_string());
                return status;
            }
            client
        }
    };
    client.status().await
}
