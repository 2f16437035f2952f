//! Who is in a shared session: the engine keeps the session's live document open
//! (`crate::sharing` `document`) while the front-end shows the session, announces the
//! user there (their name and what they do: reading, viewing, running a turn), and
//! reports everyone else as [`EngineEvent::Presence`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::{EngineEvent, Outbox};
use crate::shared::SharedClient;
use crate::sharing::{DocumentEvent, DocumentHandle, SharedSessionAddress};

/// Someone in a shared session, as their presence says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Who they are (their name on the server).
    pub user: String,
    /// What they do: `reading`, `viewing`, `running a turn`, `typing`.
    pub doing: String,
}

/// The documents open for presence, by workspace and session id.
#[derive(Default)]
pub(super) struct Documents(Mutex<HashMap<(String, String), DocumentHandle>>);

impl Documents {
    /// Announces `presence` in the session at `address` (opening its document), or
    /// leaves it when `None`.
    pub(super) fn present(
        &self,
        client: &Arc<SharedClient>,
        address: SharedSessionAddress,
        presence: Option<Presence>,
        outbox: &Outbox,
    ) {
        let key = (address.workspace_id.clone(), address.session_id.clone());
        let mut documents = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(presence) = presence else {
            documents.remove(&key);
            return;
        };
        let document = documents.entry(key).or_insert_with(|| {
            let outbox = outbox.clone();
            let reported = address.clone();
            client.open_document(
                &address.workspace_id,
                &address.session_id,
                Vec::new(),
                move |event| {
                    if let DocumentEvent::Peers(peers) = event {
                        let people = peers
                            .into_iter()
                            .filter_map(|peer| serde_json::from_value::<Presence>(peer.state).ok())
                            .collect();
                        outbox.send_now(EngineEvent::Presence {
                            address: reported.clone(),
                            people,
                        });
                    }
                },
            )
        });
        if let Ok(state) = serde_json::to_value(&presence) {
            document.set_presence(state);
        }
    }

    /// Leaves every document (the connection changed).
    pub(super) fn stop_all(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
