//! The resource tools Codex offers when a session has MCP servers:
//! `list_mcp_resources` and `list_mcp_resource_templates` (one server's page, or every
//! ready server's whole list when no server is named) and `read_mcp_resource` (one URI
//! of one server). Each result is JSON with every entry tagged with its server; the
//! calls show as MCP tool calls, of server `codex` when none was named. Reading needs
//! no approval: resources are data the server offers to be read.

use std::sync::Arc;
use std::time::Instant;

use codex_protocol::ToolOutput;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::McpConnection;
use super::record::{self, CallRecord};
use super::startup;
use super::tools::MAX_RESULT_TOKENS;
use crate::session::Session;
use crate::tools::spec::{FunctionTool, ToolSpec};
use crate::tools::truncate::truncate_middle;
use crate::tools::{RegistryError, ToolFuture, ToolHandler, ToolInvocation, ToolRegistry};

/// The server named in the call events when the model named none.
const ALL_SERVERS: &str = "codex";

/// Adds the three resource tools to `registry`.
pub fn register(registry: &ToolRegistry) {
    for tool in [Resources::List, Resources::Templates, Resources::Read] {
        let added: Result<(), RegistryError> = registry.register(Arc::new(tool));
        debug_assert!(added.is_ok(), "the resource tools are registered once");
    }
}

/// One of the resource tools.
#[derive(Debug, Clone, Copy)]
enum Resources {
    List,
    Templates,
    Read,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    server: Option<String>,
    cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    server: String,
    uri: String,
}

impl Resources {
    fn name(self) -> &'static str {
        match self {
            Self::List => "list_mcp_resources",
            Self::Templates => "list_mcp_resource_templates",
            Self::Read => "read_mcp_resource",
        }
    }
}

impl ToolHandler for Resources {
    fn spec(&self) -> ToolSpec {
        let listing = |what: &str| {
            json!({
                "server": {"type": "string", "description": format!("Only this MCP server's {what}. Omit to list every server's.")},
                "cursor": {"type": "string", "description": "The nextCursor of an earlier call of this tool for the same server, for the next page."},
            })
        };
        ToolSpec::Function(match self {
            Self::List => FunctionTool::new(
                self.name(),
                "Lists the resources the MCP servers offer (files, records, documents), with the server, URI, name and type of each. Read one with read_mcp_resource.",
                listing("resources"),
                &[],
            ),
            Self::Templates => FunctionTool::new(
                self.name(),
                "Lists the resource templates the MCP servers offer: URI patterns with parameters, to fill in and read with read_mcp_resource.",
                listing("resource templates"),
                &[],
            ),
            Self::Read => FunctionTool::new(
                self.name(),
                "Reads one resource of an MCP server by its URI (from list_mcp_resources, or a filled-in template).",
                json!({
                    "server": {"type": "string", "description": "The MCP server that offers the resource."},
                    "uri": {"type": "string", "description": "The resource's URI."},
                }),
                &["server", "uri"],
            ),
        })
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        let tool = *self;
        Box::pin(async move {
            let request = match tool {
                Self::List | Self::Templates => invocation
                    .arguments::<ListArgs>()
                    .map(|args| Request::List(tool, args)),
                Self::Read => invocation.arguments::<ReadArgs>().map(Request::Read),
            };
            let request = match request {
                Ok(request) => request,
                Err(error) => return Ok(ToolOutput::Text(error.to_string())),
            };
            let server = request.server().unwrap_or(ALL_SERVERS).to_string();
            let arguments = request.arguments();
            record::begin(&invocation, &server, tool.name(), &arguments).await;
            let started_at_ms = chrono::Utc::now().timestamp_millis();
            let started = Instant::now();
            let answer = request.run(&invocation.session).await;
            let text = match &answer {
                Ok(answer) => truncate_middle(&answer.to_string(), MAX_RESULT_TOKENS),
                Err(message) => message.clone(),
            };
            let record = CallRecord {
                call_id: &invocation.call_id,
                server: &server,
                tool: tool.name(),
                arguments,
                read_only: Some(true),
                started_at_ms,
                duration: started.elapsed(),
                outcome: answer.map(|_| json!({"content": [{"type": "text", "text": text}]})),
            };
            record::end(&invocation, record, text.clone()).await;
            Ok(ToolOutput::Text(text))
        })
    }
}

/// A checked call of one of the tools.
enum Request {
    List(Resources, ListArgs),
    Read(ReadArgs),
}

/// The most pages read from one server when every server's list is wanted.
const MAX_PAGES: usize = 50;

impl Request {
    fn server(&self) -> Option<&str> {
        match self {
            Self::List(_, args) => args.server.as_deref(),
            Self::Read(args) => Some(&args.server),
        }
    }

    fn arguments(&self) -> Value {
        match self {
            Self::List(_, args) => json!({"server": args.server, "cursor": args.cursor}),
            Self::Read(args) => json!({"server": args.server, "uri": args.uri}),
        }
    }

    async fn run(&self, session: &Arc<Session>) -> Result<Value, String> {
        match self {
            Self::Read(args) => {
                let (connection, _) = startup::connection_for_call(session, &args.server).await?;
                let read = connection
                    .read_resource(&args.uri)
                    .await
                    .map_err(|error| error.to_string())?;
                Ok(json!({"server": args.server, "uri": args.uri, "contents": read.contents}))
            }
            Self::List(tool, args) => {
                let key = match tool {
                    Resources::Templates => "resourceTemplates",
                    Resources::List | Resources::Read => "resources",
                };
                if let Some(server) = &args.server {
                    let (connection, _) = startup::connection_for_call(session, server).await?;
                    let (entries, next_cursor) =
                        page(*tool, &connection, args.cursor.clone()).await?;
                    let mut answer = json!({"server": server, key: entries});
                    if let Some(cursor) = next_cursor {
                        answer["nextCursor"] = json!(cursor);
                    }
                    return Ok(answer);
                }
                if args.cursor.is_some() {
                    return Err(
                        "`cursor` needs `server`: a cursor continues one server's list".to_string(),
                    );
                }
                let mut entries = Vec::new();
                let mut errors = Vec::new();
                for connection in session.mcp_servers().ready() {
                    if !connection.offers_resources() {
                        continue;
                    }
                    match whole_list(*tool, &connection).await {
                        Ok(found) => entries.extend(found),
                        Err(error) => {
                            errors.push(json!({"server": connection.server(), "error": error}));
                        }
                    }
                }
                let mut answer = json!({key: entries});
                if !errors.is_empty() {
                    answer["errors"] = Value::Array(errors);
                }
                Ok(answer)
            }
        }
    }
}

/// Every page of one server's list, up to [`MAX_PAGES`].
async fn whole_list(tool: Resources, connection: &McpConnection) -> Result<Vec<Value>, String> {
    let mut entries = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let (found, next) = page(tool, connection, cursor).await?;
        entries.extend(found);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(entries)
}

/// One page of one server's resources or templates, each tagged with the server.
async fn page(
    tool: Resources,
    connection: &McpConnection,
    cursor: Option<String>,
) -> Result<(Vec<Value>, Option<String>), String> {
    let (entries, next) = match tool {
        Resources::Templates => {
            let page = connection
                .list_resource_templates(cursor)
                .await
                .map_err(|error| error.to_string())?;
            (to_values(&page.resource_templates), page.next_cursor)
        }
        Resources::List | Resources::Read => {
            let page = connection
                .list_resources(cursor)
                .await
                .map_err(|error| error.to_string())?;
            (to_values(&page.resources), page.next_cursor)
        }
    };
    let tagged = entries
        .into_iter()
        .map(|mut entry| {
            if let Value::Object(fields) = &mut entry {
                fields.insert("server".to_string(), json!(connection.server()));
            }
            entry
        })
        .collect();
    Ok((tagged, next))
}

fn to_values<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .filter_map(|item| serde_json::to_value(item).ok())
        .collect()
}
