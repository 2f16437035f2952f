//! Typed tool definitions, serialised as the Responses API `tools` entries: function
//! tools (a JSON-schema argument object), freeform (`custom`) tools whose input is one
//! string in a grammar, and namespaces grouping function tools (how MCP servers'
//! tools are offered).

use serde::Serialize;
use serde_json::Value;

/// One entry of a request's `tools`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolSpec {
    Function(FunctionTool),
    Custom(FreeformTool),
    Namespace(NamespaceTool),
}

impl ToolSpec {
    /// The name the model calls (for a namespace, the namespace's own name).
    pub fn name(&self) -> &str {
        match self {
            Self::Function(tool) => &tool.name,
            Self::Custom(tool) => &tool.name,
            Self::Namespace(namespace) => &namespace.name,
        }
    }
}

/// A tool called with JSON arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionTool {
    pub name: String,
    pub description: String,
    pub strict: bool,
    /// A JSON schema of `"type": "object"`.
    pub parameters: Value,
}

/// A tool whose input is one string, constrained by a grammar (`apply_patch`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FreeformTool {
    pub name: String,
    pub description: String,
    pub format: FreeformFormat,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FreeformFormat {
    /// `grammar`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `lark` or `regex`.
    pub syntax: String,
    pub definition: String,
}

/// Function tools grouped under one name; calls come back with `namespace` set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamespaceTool {
    pub name: String,
    pub description: String,
    /// Function tools only (the registry puts nothing else here).
    pub tools: Vec<ToolSpec>,
}

impl FunctionTool {
    /// A non-strict function tool taking an object with `properties`, of which
    /// `required` must be present, and nothing else.
    pub fn new(name: &str, description: &str, properties: Value, required: &[&str]) -> Self {
        Self {
            name: name.to_string(),
            description: description.to_string(),
            strict: false,
            parameters: serde_json::json!({
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            }),
        }
    }
}

impl FreeformTool {
    /// A freeform tool whose input follows a Lark grammar.
    pub fn lark(name: &str, description: &str, grammar: &str) -> Self {
        Self {
            name: name.to_string(),
            description: description.to_string(),
            format: FreeformFormat {
                kind: "grammar".to_string(),
                syntax: "lark".to_string(),
                definition: grammar.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn specs_serialise_in_the_responses_shape() {
        let function = ToolSpec::Function(FunctionTool::new(
            "view_image",
            "Look at an image.",
            json!({"path": {"type": "string"}}),
            &["path"],
        ));
        assert_eq!(
            serde_json::to_value(&function).unwrap(),
            json!({
                "type": "function", "name": "view_image", "description": "Look at an image.",
                "strict": false,
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                               "required": ["path"], "additionalProperties": false},
            })
        );
        let freeform = ToolSpec::Custom(FreeformTool::lark("apply_patch", "Edit.", "start: x"));
        assert_eq!(
            serde_json::to_value(&freeform).unwrap(),
            json!({"type": "custom", "name": "apply_patch", "description": "Edit.",
                   "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}})
        );
        let namespace = ToolSpec::Namespace(NamespaceTool {
            name: "mcp__mock".into(),
            description: "A mock server.".into(),
            tools: vec![ToolSpec::Function(FunctionTool::new(
                "echo",
                "Echo.",
                json!({}),
                &[],
            ))],
        });
        let value = serde_json::to_value(&namespace).unwrap();
        assert_eq!(value["type"], "namespace");
        assert_eq!(value["tools"][0]["type"], "function");
        assert_eq!(value["tools"][0]["name"], "echo");
        assert_eq!(namespace.name(), "mcp__mock");
    }
}
