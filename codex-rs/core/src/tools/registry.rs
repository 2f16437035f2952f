//! The tools of one session: a [`ToolHandler`] per tool, found by name (and
//! namespace), and the specs offered to the model in registration order. Built from
//! the configuration when a session starts ([`ToolRegistry::built_in`]); tools can
//! join or leave later (an MCP server that becomes ready adds a namespace), and the
//! next request offers what is registered then. The dispatcher never changes when a
//! kind of tool is added.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use codex_protocol::{ResponseItem, ToolOutput};
use futures::future::BoxFuture;

use super::spec::{NamespaceTool, ToolSpec};
use super::{ToolInvocation, ToolPayload, TurnCancelled};
use crate::session::{Session, TurnContext};

/// What a tool call runs to.
pub type ToolFuture = BoxFuture<'static, Result<ToolOutput, TurnCancelled>>;

/// One tool: what the model is offered, and how a call runs. The invocation is
/// owned, so a call's work may outlive the call (a command left running).
pub trait ToolHandler: Send + Sync {
    fn spec(&self) -> ToolSpec;
    fn handle(&self, invocation: ToolInvocation) -> ToolFuture;
}

/// A tool's address: its name, within a namespace or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ToolName {
    pub namespace: Option<String>,
    pub name: String,
}

impl ToolName {
    pub fn plain(name: &str) -> Self {
        Self {
            namespace: None,
            name: name.to_string(),
        }
    }

    /// The name as one word, as models without namespaces see it: `ns__name`.
    pub fn flat(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{namespace}__{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A tool could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("a tool named `{0}` is registered already")]
    Duplicate(String),
    #[error("namespace `{namespace}` can hold only function tools, and `{tool}` is not one")]
    NotAFunction { namespace: String, tool: String },
}

struct Entry {
    handler: Arc<dyn ToolHandler>,
    /// Offered to the model (aliases are only answered).
    offered: bool,
}

#[derive(Default)]
struct Tools {
    entries: HashMap<ToolName, Entry>,
    /// Offered tools and namespaces in the order they were registered.
    order: Vec<Offered>,
    namespace_descriptions: HashMap<String, String>,
}

#[derive(Clone, PartialEq)]
enum Offered {
    Tool(ToolName),
    Namespace(String),
}

#[derive(Default)]
pub struct ToolRegistry {
    tools: RwLock<Tools>,
}

impl ToolRegistry {
    fn read(&self) -> RwLockReadGuard<'_, Tools> {
        self.tools.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Tools> {
        self.tools.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Offers `handler`'s tool.
    pub fn register(&self, handler: Arc<dyn ToolHandler>) -> Result<(), RegistryError> {
        let name = ToolName::plain(handler.spec().name());
        let mut tools = self.write();
        if tools.entries.contains_key(&name) {
            return Err(RegistryError::Duplicate(name.flat()));
        }
        tools.order.push(Offered::Tool(name.clone()));
        tools.entries.insert(
            name,
            Entry {
                handler,
                offered: true,
            },
        );
        Ok(())
    }

    /// Answers calls to `name` with `handler` without offering it (a tool some
    /// models call by another name).
    pub fn register_alias(
        &self,
        name: &str,
        handler: Arc<dyn ToolHandler>,
    ) -> Result<(), RegistryError> {
        let name = ToolName::plain(name);
        let mut tools = self.write();
        if tools.entries.contains_key(&name) {
            return Err(RegistryError::Duplicate(name.flat()));
        }
        tools.entries.insert(
            name,
            Entry {
                handler,
                offered: false,
            },
        );
        Ok(())
    }

    /// Offers `handlers` as namespace `namespace`, replacing what it held before.
    pub fn set_namespace(
        &self,
        namespace: &str,
        description: &str,
        handlers: Vec<Arc<dyn ToolHandler>>,
    ) -> Result<(), RegistryError> {
        let mut named = Vec::new();
        for handler in handlers {
            let spec = handler.spec();
            if !matches!(spec, ToolSpec::Function(_)) {
                return Err(RegistryError::NotAFunction {
                    namespace: namespace.to_string(),
                    tool: spec.name().to_string(),
                });
            }
            let name = ToolName {
                namespace: Some(namespace.to_string()),
                name: spec.name().to_string(),
            };
            if named.iter().any(|(existing, _)| *existing == name) {
                return Err(RegistryError::Duplicate(name.flat()));
            }
            named.push((name, handler));
        }
        let mut tools = self.write();
        tools
            .entries
            .retain(|name, _| name.namespace.as_deref() != Some(namespace));
        for (name, handler) in named {
            tools.entries.insert(
                name,
                Entry {
                    handler,
                    offered: true,
                },
            );
        }
        let offered = Offered::Namespace(namespace.to_string());
        if !tools.order.contains(&offered) {
            tools.order.push(offered);
        }
        tools
            .namespace_descriptions
            .insert(namespace.to_string(), description.to_string());
        Ok(())
    }

    /// Stops offering namespace `namespace`.
    pub fn remove_namespace(&self, namespace: &str) {
        let mut tools = self.write();
        tools
            .entries
            .retain(|name, _| name.namespace.as_deref() != Some(namespace));
        tools
            .order
            .retain(|offered| *offered != Offered::Namespace(namespace.to_string()));
        tools.namespace_descriptions.remove(namespace);
    }

    /// The `tools` of the next request.
    pub fn specs(&self) -> Vec<ToolSpec> {
        let tools = self.read();
        tools
            .order
            .iter()
            .filter_map(|offered| match offered {
                Offered::Tool(name) => tools.entries.get(name).map(|entry| entry.handler.spec()),
                Offered::Namespace(namespace) => {
                    let mut members: Vec<(&ToolName, &Entry)> = tools
                        .entries
                        .iter()
                        .filter(|(name, _)| name.namespace.as_deref() == Some(namespace))
                        .collect();
                    members.sort_by(|a, b| a.0.cmp(b.0));
                    Some(ToolSpec::Namespace(NamespaceTool {
                        name: namespace.clone(),
                        description: tools
                            .namespace_descriptions
                            .get(namespace)
                            .cloned()
                            .unwrap_or_default(),
                        tools: members
                            .into_iter()
                            .map(|(_, entry)| entry.handler.spec())
                            .collect(),
                    }))
                }
            })
            .collect()
    }

    /// The names of the offered tools, flat (`ns__name` inside a namespace).
    pub fn offered_names(&self) -> Vec<String> {
        let tools = self.read();
        let mut names = Vec::new();
        for offered in &tools.order {
            match offered {
                Offered::Tool(name) => names.push(name.flat()),
                Offered::Namespace(namespace) => {
                    let mut members: Vec<String> = tools
                        .entries
                        .iter()
                        .filter(|(name, entry)| {
                            entry.offered && name.namespace.as_deref() == Some(namespace)
                        })
                        .map(|(name, _)| name.flat())
                        .collect();
                    members.sort();
                    names.extend(members);
                }
            }
        }
        names
    }

    /// The handler for a call named `name` (in `namespace`). A flat `ns__name` from a
    /// model that does not send namespaces is accepted too.
    pub fn lookup(&self, namespace: Option<&str>, name: &str) -> Option<Arc<dyn ToolHandler>> {
        let tools = self.read();
        let direct = ToolName {
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        };
        if let Some(entry) = tools.entries.get(&direct) {
            return Some(entry.handler.clone());
        }
        if namespace.is_some() {
            return None;
        }
        name.match_indices("__").find_map(|(at, _)| {
            let flat = ToolName {
                namespace: Some(name[..at].to_string()),
                name: name[at + 2..].to_string(),
            };
            tools.entries.get(&flat).map(|entry| entry.handler.clone())
        })
    }

    /// Runs the tool call `call` and returns its output item; a call to a tool that is
    /// not offered gets an output naming the tools that are.
    pub async fn dispatch(
        &self,
        session: &Arc<Session>,
        turn: &Arc<TurnContext>,
        call: &ResponseItem,
    ) -> Result<ResponseItem, TurnCancelled> {
        let (namespace, name, call_id, payload) = match call {
            ResponseItem::FunctionCall {
                namespace,
                name,
                arguments,
                call_id,
                ..
            } => (
                namespace.as_deref(),
                name,
                call_id,
                ToolPayload::Function {
                    arguments: arguments.clone(),
                },
            ),
            ResponseItem::CustomToolCall {
                name,
                input,
                call_id,
                ..
            } => (
                None,
                name,
                call_id,
                ToolPayload::Custom {
                    input: input.clone(),
                },
            ),
            _ => return Ok(ResponseItem::Other),
        };
        let output = match self.lookup(namespace, name) {
            Some(handler) => {
                handler
                    .handle(ToolInvocation {
                        session: session.clone(),
                        turn: turn.clone(),
                        call_id: call_id.clone(),
                        payload: payload.clone(),
                    })
                    .await?
            }
            None => ToolOutput::Text(self.unknown_tool(namespace, name)),
        };
        Ok(match payload {
            ToolPayload::Function { .. } => ResponseItem::FunctionCallOutput {
                call_id: call_id.clone(),
                output,
            },
            ToolPayload::Custom { .. } => ResponseItem::CustomToolCallOutput {
                call_id: call_id.clone(),
                output,
            },
        })
    }

    fn unknown_tool(&self, namespace: Option<&str>, name: &str) -> String {
        let called = ToolName {
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        };
        format!(
            "unsupported call: there is no tool named `{}`. Available tools: {}.",
            called.flat(),
            self.offered_names().join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tools::spec::{FreeformTool, FunctionTool};

    struct Named(ToolSpec);

    impl ToolHandler for Named {
        fn spec(&self) -> ToolSpec {
            self.0.clone()
        }

        fn handle(&self, _invocation: ToolInvocation) -> ToolFuture {
            let name = self.0.name().to_string();
            Box::pin(async move { Ok(ToolOutput::Text(format!("ran {name}"))) })
        }
    }

    fn function(name: &str) -> Arc<dyn ToolHandler> {
        Arc::new(Named(ToolSpec::Function(FunctionTool::new(
            name,
            "",
            json!({}),
            &[],
        ))))
    }

    #[test]
    fn tools_are_offered_in_order_found_by_name_and_namespaces_replace() {
        let registry = ToolRegistry::default();
        registry.register(function("exec_command")).unwrap();
        registry
            .set_namespace("mcp__docs", "Docs server", vec![function("search")])
            .unwrap();
        registry
            .register(Arc::new(Named(ToolSpec::Custom(FreeformTool::lark(
                "apply_patch",
                "",
                "start: x",
            )))))
            .unwrap();
        registry.register_alias("shell", function("shell")).unwrap();
        assert_eq!(
            registry.offered_names(),
            ["exec_command", "mcp__docs__search", "apply_patch"]
        );
        let specs = registry.specs();
        assert_eq!(specs.len(), 3);
        assert!(
            matches!(&specs[1], ToolSpec::Namespace(ns) if ns.tools.len() == 1 && ns.description == "Docs server")
        );
        assert!(registry.lookup(None, "shell").is_some(), "an alias answers");
        assert!(registry.lookup(Some("mcp__docs"), "search").is_some());
        assert!(
            registry.lookup(None, "mcp__docs__search").is_some(),
            "the flat form too"
        );
        assert!(registry.lookup(Some("mcp__docs"), "exec_command").is_none());
        assert_eq!(
            registry.register(function("exec_command")),
            Err(RegistryError::Duplicate("exec_command".into()))
        );

        registry
            .set_namespace(
                "mcp__docs",
                "Docs server",
                vec![function("fetch"), function("list")],
            )
            .unwrap();
        assert_eq!(
            registry.offered_names(),
            [
                "exec_command",
                "mcp__docs__fetch",
                "mcp__docs__list",
                "apply_patch"
            ]
        );
        registry.remove_namespace("mcp__docs");
        assert_eq!(registry.offered_names(), ["exec_command", "apply_patch"]);
        assert!(registry.lookup(None, "mcp__docs__fetch").is_none());
        let custom = Arc::new(Named(ToolSpec::Custom(FreeformTool::lark("x", "", ""))));
        assert!(matches!(
            registry.set_namespace("mcp__bad", "", vec![custom]),
            Err(RegistryError::NotAFunction { .. })
        ));
        assert_eq!(
            registry.unknown_tool(None, "browse"),
            "unsupported call: there is no tool named `browse`. Available tools: exec_command, apply_patch."
        );
    }
}
