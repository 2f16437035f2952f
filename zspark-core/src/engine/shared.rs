//! The engine's shared-workspace commands: connecting to a server, signing in and
//! out, listing and creating workspaces. Each runs as a task of its own (a browser
//! sign-in can take minutes) and answers with [`EngineEvent::Shared`]. The connection
//! is shared with the workspace pages ([`super::workspace`]) and the shared sessions'
//! senders ([`super::uploads`]), which a new connection stops.

use std::sync::Arc;

use tokio::sync::Mutex;

use super::room::Rooms;
use super::uploads::{self, Senders, SessionShareCommand};
use super::workspace::{self, Followed, WorkspaceCommand};
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
#[derive(Clone)]
pub(super) struct Connection {
    client: Arc<Mutex<Option<Arc<SharedClient>>>>,
    followed: Arc<Followed>,
    senders: Arc<Senders>,
    rooms: Arc<Rooms>,
}

impl Default for Connection {
    fn default() -> Self {
        let rooms = Arc::new(Rooms::default());
        Self {
            client: Arc::default(),
            followed: Arc::default(),
            senders: Arc::new(Senders::new(rooms.clone())),
            rooms,
        }
    }
}

impl Connection {
    /// Replaces the client; what used the old one stops.
    async fn set(&self, client: Option<Arc<SharedClient>>) {
        self.followed.stop_all();
        self.senders.stop_all();
        self.rooms.stop_all();
        *self.client.lock().await = client;
    }
}

const NO_SERVER: &str = "No server is set up: add one in Settings > Shared workspaces.";

/// Carries out a workspace page's `command`, or says there is no server.
pub(super) fn spawn_workspace(
    command: WorkspaceCommand,
    connection: &Connection,
    setup: &EngineSetup,
    outbox: &Outbox,
) {
    // Room changes go in the order they come (a turn's events after the lease taken
    // for it), so they are made here; a room not open takes none.
    if let WorkspaceCommand::Room { address, change } = command {
        connection.rooms.change(&address, change);
        return;
    }
    let connection = connection.clone();
    let outbox = outbox.clone();
    let previews = setup.codex_home.join(workspace::PREVIEW_CACHE);
    tokio::spawn(async move {
        match connection.client.lock().await.clone() {
            Some(client) => {
                let watched = (&connection.followed, &*connection.rooms);
                workspace::spawn(command, client, watched, &previews, &outbox);
            }
            // Presence is announced once connected; nothing to say without a server.
            None if matches!(
                command,
                WorkspaceCommand::Present { .. } | WorkspaceCommand::Watch(_)
            ) => {}
            None => {
                outbox
                    .send(EngineEvent::Problem(NO_SERVER.to_string()))
                    .await
            }
        }
    });
}

/// Carries out a shared session's `command`, or says there is no server.
pub(super) fn spawn_share(
    command: SessionShareCommand,
    connection: &Connection,
    setup: &EngineSetup,
    outbox: &Outbox,
) {
    let (connection, setup, outbox) = (connection.clone(), setup.clone(), outbox.clone());
    tokio::spawn(async move {
        match connection.client.lock().await.clone() {
            Some(client) => uploads::spawn(command, client, &connection.senders, &setup, &outbox),
            // A change while not connected is sent once connected.
            None if matches!(command, SessionShareCommand::Changed { .. }) => {}
            None => {
                outbox
                    .send(EngineEvent::Problem(NO_SERVER.to_string()))
                    .await
            }
        }
    });
}

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
                    connection.set(Some(client.clone())).await;
                    connection.senders.resume_waiting(&client, setup, outbox);
                    client
                }
                Err(problem) => {
                    connection.set(None).await;
                    return SharedStatus {
                        server: url,
                        problem: Some(problem.to_string()),
                        ..SharedStatus::default()
                    };
                }
            }
        }
        SharedCommand::Disconnect => {
            connection.set(None).await;
            return SharedStatus::default();
        }
        other => {
            let Some(client) = connection.client.lock().await.clone() else {
                return SharedStatus {
                    problem: Some(NO_SERVER.to_string()),
                    ..SharedStatus::default()
                };
            };
            let signs_in = matches!(other, SharedCommand::SignIn { .. });
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
            if signs_in {
                // What waited for a sign-in (one that expired mid-upload) goes now.
                connection.senders.resume_waiting(&client, setup, outbox);
            }
            client
        }
    };
    client.status().await
}
