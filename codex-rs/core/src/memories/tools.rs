//! The dedicated memory tools, in namespace `memories` with Codex's names, arguments
//! and outputs: `add_ad_hoc_note` writes a note the user asked for, `list`, `read` and
//! `search` look through the memory folder. A refused call tells the model why.

use std::sync::Arc;

use codex_protocol::ToolOutput;
use serde::Deserialize;
use serde_json::{Value, json};

use super::browse::{self, ListArguments, ReadArguments, SearchArguments};
use super::folder::{MemoryError, MemoryFolder};
use crate::tools::spec::{FunctionTool, ToolSpec};
use crate::tools::{ToolFuture, ToolHandler, ToolInvocation};

/// The namespace the tools are offered in.
pub const NAMESPACE: &str = "memories";
pub const NAMESPACE_DESCRIPTION: &str = "Your memory of earlier sessions with this user: look through it, and write down what the user explicitly asks you to remember, forget or correct.";

/// The handlers, for the memory folder `folder`.
pub fn handlers(folder: &MemoryFolder) -> Vec<Arc<dyn ToolHandler>> {
    let tool = |kind| -> Arc<dyn ToolHandler> {
        Arc::new(MemoryTool {
            kind,
            folder: folder.clone(),
        })
    };
    vec![
        tool(Kind::AddNote),
        tool(Kind::List),
        tool(Kind::Read),
        tool(Kind::Search),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    AddNote,
    List,
    Read,
    Search,
}

struct MemoryTool {
    kind: Kind,
    folder: MemoryFolder,
}

#[derive(Debug, Deserialize)]
struct NoteArguments {
    filename: String,
    note: String,
}

impl MemoryTool {
    fn run(&self, arguments: Value) -> Result<Value, MemoryError> {
        fn parse<T: serde::de::DeserializeOwned>(arguments: Value) -> Result<T, MemoryError> {
            serde_json::from_value(arguments)
                .map_err(|error| MemoryError::Invalid(error.to_string()))
        }
        match self.kind {
            Kind::AddNote => {
                let note: NoteArguments = parse(arguments)?;
                self.folder.add_note(&note.filename, &note.note)?;
                Ok(json!({}))
            }
            Kind::List => browse::list(&self.folder, &parse::<ListArguments>(arguments)?),
            Kind::Read => browse::read(&self.folder, &parse::<ReadArguments>(arguments)?),
            Kind::Search => browse::search(&self.folder, &parse::<SearchArguments>(arguments)?),
        }
    }
}

fn match_mode_schema() -> Value {
    json!({
        "description": "How the queries must occur: any of them on a line (default), all on one line, or all within line_count lines.",
        "oneOf": [
            {"type": "object", "properties": {"type": {"type": "string", "enum": ["any"]}}, "required": ["type"], "additionalProperties": false},
            {"type": "object", "properties": {"type": {"type": "string", "enum": ["all_on_same_line"]}}, "required": ["type"], "additionalProperties": false},
            {"type": "object", "properties": {"type": {"type": "string", "enum": ["all_within_lines"]}, "line_count": {"type": "integer", "minimum": 1}}, "required": ["type", "line_count"], "additionalProperties": false}
        ]
    })
}

impl ToolHandler for MemoryTool {
    fn spec(&self) -> ToolSpec {
        let path =
            json!({"type": "string", "description": "A path relative to the memory folder."});
        let (name, description, properties, required): (&str, &str, Value, &[&str]) = match self
            .kind
        {
            Kind::AddNote => (
                "add_ad_hoc_note",
                "Write down something the user explicitly asked you to remember, forget or correct, in their words.",
                json!({
                    "filename": {"type": "string", "description": "YYYY-MM-DDTHH-MM-SS-<slug>.md: the time now and a few lowercase words joined by dashes."},
                    "note": {"type": "string", "description": "What the user asked, as Markdown."}
                }),
                &["filename", "note"],
            ),
            Kind::List => (
                "list",
                "List a folder of your memory (the top when path is omitted).",
                json!({
                    "path": path,
                    "cursor": {"type": "string", "description": "next_cursor of the previous page."},
                    "max_results": {"type": "integer", "minimum": 1}
                }),
                &[],
            ),
            Kind::Read => (
                "read",
                "Read a file of your memory, from a line on.",
                json!({
                    "path": path,
                    "line_offset": {"type": "integer", "minimum": 1, "description": "The first line to read, from 1."},
                    "max_lines": {"type": "integer", "minimum": 1}
                }),
                &["path"],
            ),
            Kind::Search => (
                "search",
                "Search the files of your memory for words.",
                json!({
                    "queries": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "path": path,
                    "match_mode": match_mode_schema(),
                    "case_sensitive": {"type": "boolean"},
                    "normalized": {"type": "boolean", "description": "Ignore punctuation and runs of spaces."},
                    "context_lines": {"type": "integer", "minimum": 0},
                    "max_results": {"type": "integer", "minimum": 1},
                    "cursor": {"type": "string"}
                }),
                &["queries"],
            ),
        };
        ToolSpec::Function(FunctionTool::new(name, description, properties, required))
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        let tool = MemoryTool {
            kind: self.kind,
            folder: self.folder.clone(),
        };
        Box::pin(async move {
            let answer = match invocation.arguments::<Value>() {
                Ok(arguments) => tokio::task::spawn_blocking(move || tool.run(arguments))
                    .await
                    .map_err(|error| MemoryError::Invalid(error.to_string()))
                    .and_then(|result| result),
                Err(error) => Err(MemoryError::Invalid(error.to_string())),
            };
            Ok(ToolOutput::Text(match answer {
                Ok(value) => value.to_string(),
                Err(error) => error.to_string(),
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_written_and_a_bad_name_refused_in_codex_s_words() {
        let home = tempfile::tempdir().unwrap();
        let folder = MemoryFolder::new(home.path().join("memories_v2"));
        let add = MemoryTool {
            kind: Kind::AddNote,
            folder: folder.clone(),
        };
        let done = add
            .run(json!({"filename": "2026-12-02T10-00-00-tabs.md", "note": "Use tabs."}))
            .unwrap();
        assert_eq!(done.to_string(), "{}");
        assert_eq!(
            std::fs::read_to_string(folder.notes_dir().join("2026-12-02T10-00-00-tabs.md"))
                .unwrap(),
            "Use tabs."
        );
        let refused = add
            .run(json!({"filename": "bad name.md", "note": "x"}))
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "filename 'bad name.md' must use YYYY-MM-DDTHH-MM-SS-<slug>.md"
        );
        let names: Vec<String> = handlers(&folder)
            .iter()
            .map(|handler| handler.spec().name().to_string())
            .collect();
        assert_eq!(names, ["add_ad_hoc_note", "list", "read", "search"]);
    }
}
