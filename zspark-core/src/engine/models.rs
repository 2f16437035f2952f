//! The models a session can switch to: what its provider lists at `GET <base>/models`,
//! each with the reasoning efforts it accepts, asked off the run loop. A provider
//! that lists none or cannot be reached says why, and the session keeps its model.

use std::sync::Arc;

use codex_core::client::ModelClient;
use codex_core::config::Config;
use codex_core::model_info::reasoning_efforts;
use codex_protocol::ReasoningEffort;

use super::{EngineEvent, Outbox, SessionKey};

/// A model a session can use, with the efforts it takes (none for a model that takes
/// no reasoning settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    pub name: String,
    pub efforts: Vec<ReasoningEffort>,
}

impl ModelChoice {
    /// `name` with the efforts its family is known to take.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_string(),
            efforts: reasoning_efforts(name).to_vec(),
        }
    }
}

/// What asking a session's provider for its models needs: the session's
/// configuration as it opened.
#[derive(Clone)]
pub(super) struct ProviderAccess(Arc<Config>);

impl ProviderAccess {
    pub(super) fn of(config: &Config) -> Self {
        Self(Arc::new(config.clone()))
    }

    /// Asks the provider for its models and reports them as session `session`'s.
    pub(super) fn spawn_list(self, session: SessionKey, outbox: &Outbox) {
        let outbox = outbox.clone();
        tokio::spawn(async move {
            let listed = self.list().await;
            outbox.send(EngineEvent::Models { session, listed }).await;
        });
    }

    async fn list(self) -> Result<Vec<ModelChoice>, String> {
        let name = &self.0.model_provider.name;
        let client = ModelClient::for_config(&self.0, "model-list".to_string())
            .map_err(|error| error.to_string())?;
        let names = client
            .list_models()
            .await
            .map_err(|error| format!("{name} did not list its models: {error}"))?;
        if names.is_empty() {
            return Err(format!("{name} lists no models."));
        }
        Ok(names.iter().map(|name| ModelChoice::named(name)).collect())
    }
}
