//! `zspark app-server generate-json-schema`: one JSON Schema file per message family
//! (the client's requests, the server's notifications and requests, and each answer),
//! derived from the protocol types, so what the schema says is what the code serves.

use std::path::{Path, PathBuf};

use schemars::{JsonSchema, schema_for};

use crate::protocol::notifications::{
    ApprovalAnswer, ElicitationAnswer, ServerNotification, ServerRequest,
};
use crate::protocol::requests::{
    ClientRequest, ConfigReadResult, InitializeResult, McpServerStatusListResult, ModelListResult,
    SkillsListResult, ThreadListResult, ThreadLoadedListResult, ThreadOpened, ThreadReadResult,
    TurnStartResult, TurnSteerResult,
};

/// Every schema: its file name and its JSON.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    fn one<T: JsonSchema>(name: &'static str) -> (&'static str, serde_json::Value) {
        (name, schema_for!(T).to_value())
    }
    vec![
        one::<ClientRequest>("ClientRequest.json"),
        one::<ServerNotification>("ServerNotification.json"),
        one::<ServerRequest>("ServerRequest.json"),
        one::<ApprovalAnswer>("ApprovalResponse.json"),
        one::<ElicitationAnswer>("McpServerElicitationResponse.json"),
        one::<InitializeResult>("InitializeResponse.json"),
        one::<ThreadOpened>("ThreadStartResponse.json"),
        one::<ThreadListResult>("ThreadListResponse.json"),
        one::<ThreadLoadedListResult>("ThreadLoadedListResponse.json"),
        one::<ThreadReadResult>("ThreadReadResponse.json"),
        one::<TurnStartResult>("TurnStartResponse.json"),
        one::<TurnSteerResult>("TurnSteerResponse.json"),
        one::<ModelListResult>("ModelListResponse.json"),
        one::<SkillsListResult>("SkillsListResponse.json"),
        one::<McpServerStatusListResult>("McpServerStatusListResponse.json"),
        one::<ConfigReadResult>("ConfigReadResponse.json"),
    ]
}

/// Writes every schema into `dir`; returns the files written.
pub fn write_schemas(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, schema) in schemas() {
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(&schema).map_err(std::io::Error::other)?;
        std::fs::write(&path, text + "\n")?;
        written.push(path);
    }
    Ok(written)
}
