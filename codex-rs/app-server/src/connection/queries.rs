//! The connection's questions about the setup rather than its threads: the models
//! (`model/list`), skills (`skills/list`), MCP servers (`mcpServerStatus/list`) and
//! the configuration (`config/read`).

use std::path::PathBuf;

use codex_core::ConfigOverrides;
use codex_core::context::{SkillRoots, discover_skills};
use serde_json::{Value, json};

use super::Connection;
use crate::events::ThreadView;
use crate::paging::page;
use crate::protocol::requests::{
    ConfigReadParams, McpServerStatus, McpServerStatusListParams, McpServerStatusListResult, Model,
    ModelListParams, ModelListResult, SkillError, SkillMetadata, SkillsForFolder, SkillsListParams,
    SkillsListResult, ThreadSettings,
};
use crate::wire::{RequestId, RpcError};

impl Connection {
    pub(super) async fn model_list(
        &self,
        id: &RequestId,
        params: ModelListParams,
    ) -> Result<(), RpcError> {
        let settings = ThreadSettings {
            model_provider: params.model_provider.clone(),
            ..ThreadSettings::default()
        };
        let loaded = self.load(&settings, None, None)?;
        let config = &loaded.config;
        // The configured model first (the default), then what the provider lists;
        // a provider that lists none (or cannot be reached) leaves the configured one.
        let mut names = vec![config.model.clone()];
        let listed = codex_core::client::ModelClient::for_config(config, "model-list".to_string());
        if let Ok(client) = listed
            && let Ok(models) = client.list_models().await
        {
            for model in models {
                if !names.contains(&model) {
                    names.push(model);
                }
            }
        }
        let models: Vec<Model> = names
            .into_iter()
            .enumerate()
            .map(|(index, name)| Model {
                id: name.clone(),
                model: name.clone(),
                display_name: name.clone(),
                description: format!("{name} from {}", config.model_provider.name),
                hidden: false,
                is_default: index == 0,
                supported_reasoning_efforts: efforts_of(&name),
                default_reasoning_effort: None,
                input_modalities: vec!["text".to_string(), "image".to_string()],
                supports_personality: false,
            })
            .collect();
        let limit = params.limit.unwrap_or(models.len());
        let page = page(models, params.cursor.as_deref(), limit);
        let result = ModelListResult {
            data: page.data,
            next_cursor: page.next_cursor,
        };
        self.respond(id, &result).await;
        Ok(())
    }

    pub(super) async fn skills_list(
        &self,
        id: &RequestId,
        params: SkillsListParams,
    ) -> Result<(), RpcError> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let cwds = if params.cwds.is_empty() {
            vec![self.context.cwd.clone()]
        } else {
            params.cwds
        };
        let codex_home = self.context.codex_home.clone();
        let data = tokio::task::spawn_blocking(move || {
            cwds.into_iter()
                .map(|cwd| {
                    let catalog =
                        discover_skills(&SkillRoots::standard(&codex_home, home.as_deref(), &cwd));
                    SkillsForFolder {
                        skills: catalog
                            .skills
                            .iter()
                            .map(|skill| SkillMetadata {
                                name: skill.name.clone(),
                                description: skill.description.clone(),
                                path: skill.path.clone(),
                                scope: match skill.scope {
                                    codex_protocol::SkillScope::Repo => "repo",
                                    codex_protocol::SkillScope::System => "system",
                                    _ => "user",
                                }
                                .to_string(),
                                enabled: true,
                                plugin_id: None,
                            })
                            .collect(),
                        errors: catalog
                            .errors
                            .iter()
                            .map(|error| SkillError {
                                path: error.path.clone(),
                                message: error.message.clone(),
                            })
                            .collect(),
                        cwd,
                    }
                })
                .collect()
        })
        .await
        .map_err(|error| RpcError::internal(error.to_string()))?;
        self.respond(id, &SkillsListResult { data }).await;
        Ok(())
    }

    pub(super) async fn mcp_server_status(
        &self,
        id: &RequestId,
        params: McpServerStatusListParams,
    ) -> Result<(), RpcError> {
        let live = match &params.thread_id {
            Some(thread) => Some(&self.loaded_view(thread)?.mcp_servers),
            None => self
                .threads
                .values()
                .map(|loaded| &loaded.view.mcp_servers)
                .find(|servers| !servers.is_empty()),
        };
        let cwd = params
            .thread_id
            .as_ref()
            .and_then(|thread| self.threads.get(thread))
            .and_then(|loaded| loaded.opened.as_ref())
            .map_or_else(|| self.context.cwd.clone(), |opened| opened.cwd.clone());
        let settings = codex_core::config::load_mcp_settings(
            &self.context.codex_home,
            &cwd,
            &ConfigOverrides::default(),
        )
        .map_err(|error| RpcError {
            code: crate::wire::INVALID_REQUEST,
            message: format!("failed to load configuration: {error}"),
            data: Some(json!({"reason": "configLoad"})),
        })?;
        let mut data = Vec::new();
        for (name, entry) in &settings.servers {
            if params
                .server_name
                .as_ref()
                .is_some_and(|wanted| wanted != name)
            {
                continue;
            }
            let listing = codex_core::mcp::listing::ServerListing::new(name, entry)
                .ok()
                .map(|listing| listing.with_sign_in_from(&settings.oauth.tokens));
            let state = live.and_then(|servers| servers.get(name));
            let runtime_status = match (entry.enabled, state) {
                (Some(false), _) => "disabled",
                (_, Some(state)) => state.runtime_status,
                (_, None) => "notStarted",
            };
            let auth_status = match listing.as_ref().map(|listing| listing.auth_status()) {
                Some(codex_core::mcp::listing::AuthStatus::BearerToken) => "bearerToken",
                Some(codex_core::mcp::listing::AuthStatus::Unknown) => "unknown",
                Some(codex_core::mcp::listing::AuthStatus::NotLoggedIn) => "notLoggedIn",
                Some(codex_core::mcp::listing::AuthStatus::OAuth) => "oAuth",
                Some(codex_core::mcp::listing::AuthStatus::Unsupported) | None => "unsupported",
            };
            data.push(McpServerStatus {
                name: name.clone(),
                runtime_status: runtime_status.to_string(),
                plugin_id: None,
                http_origin: listing
                    .as_ref()
                    .and_then(|listing| listing.url())
                    .map(http_origin),
                server_info: None,
                server_capabilities: None,
                tool_list_meta: None,
                tools: state
                    .map(|state| {
                        state
                            .tools
                            .iter()
                            .map(|tool| (tool.clone(), json!({"name": tool})))
                            .collect()
                    })
                    .unwrap_or_default(),
                tools_error: state.and_then(|state| state.error.clone()),
                resources: Vec::new(),
                resource_templates: Vec::new(),
                auth_status: auth_status.to_string(),
            });
        }
        let limit = params.limit.unwrap_or(data.len());
        let page = page(data, params.cursor.as_deref(), limit);
        let result = McpServerStatusListResult {
            data: page.data,
            next_cursor: page.next_cursor,
        };
        self.respond(id, &result).await;
        Ok(())
    }

    pub(super) async fn config_read(
        &self,
        id: &RequestId,
        params: ConfigReadParams,
    ) -> Result<(), RpcError> {
        let cwd = params.cwd.map_or_else(
            || self.context.cwd.clone(),
            |cwd| self.context.cwd.join(cwd),
        );
        let home = self.context.codex_home.clone();
        let result = tokio::task::spawn_blocking(move || {
            crate::config_view::read_config(&home, &cwd, params.include_layers)
        })
        .await
        .map_err(|error| RpcError::internal(error.to_string()))?
        .map_err(|error| RpcError {
            code: crate::wire::INVALID_REQUEST,
            message: format!("failed to load configuration: {error}"),
            data: Some(json!({"reason": "configLoad"})),
        })?;
        self.respond(id, &result).await;
        Ok(())
    }

    fn loaded_view(&self, thread_id: &str) -> Result<&ThreadView, RpcError> {
        self.threads
            .get(thread_id)
            .map(|loaded| &loaded.view)
            .ok_or_else(|| RpcError::invalid_request(format!("thread {thread_id} is not loaded")))
    }
}

/// The scheme, host and port of `url`.
fn http_origin(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |at| after_scheme + at);
    url[..end].to_string()
}

/// The reasoning efforts `model` takes, as `model/list` lists them.
fn efforts_of(model: &str) -> Vec<Value> {
    codex_core::model_info::reasoning_efforts(model)
        .iter()
        .map(|effort| json!({"reasoningEffort": effort.as_str(), "description": effort.as_str()}))
        .collect()
}
