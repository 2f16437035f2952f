//! The tool definitions sent to the model (Responses `tools` entries). Names and
//! parameters match Codex's; descriptions are zspark's own.

use serde_json::{Value, json};

/// Lark grammar for the freeform `apply_patch` tool.
const APPLY_PATCH_GRAMMAR: &str = r#"start: begin hunk+ end
begin: "*** Begin Patch" LF
end: "*** End Patch" LF?
hunk: add | delete | update
add: "*** Add File: " path LF added*
delete: "*** Delete File: " path LF
update: "*** Update File: " path LF move? section*
move: "*** Move to: " path LF
section: header? line+ eof?
header: ("@@" | "@@ " /(.+)/) LF
line: (" " | "-" | "+") /(.*)/ LF
added: "+" /(.*)/ LF
eof: "*** End of File" LF
path: /(.+)/
%import common.LF
"#;

const APPLY_PATCH_DESCRIPTION: &str = "Edit files with a patch. Wrap the patch in '*** Begin Patch' and '*** End Patch'. \
Each file gets a header: '*** Add File: <path>' followed by its lines each prefixed with '+'; \
'*** Delete File: <path>'; or '*** Update File: <path>' (optionally followed by '*** Move to: <new path>') \
followed by sections. A section may start with '@@' or '@@ <a line to find first>' and lists lines prefixed \
with ' ' (unchanged context), '-' (remove) or '+' (add); give about three lines of context around each change. \
End a section with '*** End of File' when it changes the end of the file. Paths are relative to the working \
directory. The whole patch applies or nothing changes.";

/// The tool list for a session.
pub fn tool_specs(unified_exec: bool, apply_patch_freeform: bool) -> Vec<Value> {
    let mut tools = Vec::new();
    if unified_exec {
        tools.push(exec_command_spec());
        tools.push(write_stdin_spec());
    } else {
        tools.push(shell_spec());
    }
    tools.push(if apply_patch_freeform {
        json!({
            "type": "custom",
            "name": "apply_patch",
            "description": APPLY_PATCH_DESCRIPTION,
            "format": {"type": "grammar", "syntax": "lark", "definition": APPLY_PATCH_GRAMMAR},
        })
    } else {
        function(
            "apply_patch",
            APPLY_PATCH_DESCRIPTION,
            json!({"input": {"type": "string", "description": "The whole patch text."}}),
            &["input"],
        )
    });
    tools.push(update_plan_spec());
    tools.push(function(
        "view_image",
        "Look at an image file on disk (PNG, JPEG, GIF or WebP). The image is added to the conversation.",
        json!({"path": {"type": "string", "description": "Path of the image, relative to the working directory or absolute."}}),
        &["path"],
    ));
    tools
}

fn function(name: &str, description: &str, properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "function",
        "name": name,
        "description": description,
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        },
    })
}

fn escalation_properties() -> Value {
    json!({
        "sandbox_permissions": {
            "type": "string",
            "enum": ["use_default", "require_escalated"],
            "description": "Use require_escalated only when the command cannot work inside the sandbox (for example it needs the network or to write outside the workspace); the user is asked to approve it."
        },
        "justification": {
            "type": "string",
            "description": "When asking for escalation: one sentence telling the user why."
        }
    })
}

fn exec_command_spec() -> Value {
    let mut properties = json!({
        "cmd": {"type": "string", "description": "The shell command to run."},
        "workdir": {"type": "string", "description": "Directory to run in; defaults to the session's working directory."},
        "shell": {"type": "string", "description": "Shell binary to use; defaults to the user's shell."},
        "login": {"type": "boolean", "description": "Run as a login shell (default true)."},
        "tty": {"type": "boolean", "description": "Run in a terminal so the process can be used interactively with write_stdin (default false)."},
        "yield_time_ms": {"type": "number", "description": "How long to wait for output before returning (default 10000, 250 to 30000). A command still running then keeps running and can be continued with write_stdin."},
        "max_output_tokens": {"type": "number", "description": "Most output tokens to return; the middle of longer output is left out."},
        "prefix_rule": {"type": "array", "items": {"type": "string"}, "description": "When asking for escalation: the command prefix the user could allow from now on, e.g. [\"cargo\", \"test\"]."}
    });
    merge(&mut properties, escalation_properties());
    function(
        "exec_command",
        "Run a shell command and return its output, or a session ID when it is still running after the yield time.",
        properties,
        &["cmd"],
    )
}

fn write_stdin_spec() -> Value {
    function(
        "write_stdin",
        "Send characters to a command started by exec_command that is still running, and return the output since the last call. Send empty chars to just wait for more output.",
        json!({
            "session_id": {"type": "number", "description": "The session ID exec_command returned."},
            "chars": {"type": "string", "description": "Characters to write (may be empty)."},
            "yield_time_ms": {"type": "number", "description": "How long to wait for output (default 250 when chars is empty, else 10000)."},
            "max_output_tokens": {"type": "number", "description": "Most output tokens to return."}
        }),
        &["session_id"],
    )
}

fn shell_spec() -> Value {
    let mut properties = json!({
        "command": {"type": "array", "items": {"type": "string"}, "description": "The program and its arguments, e.g. [\"bash\", \"-lc\", \"ls -la\"]."},
        "workdir": {"type": "string", "description": "Directory to run in."},
        "timeout_ms": {"type": "number", "description": "Kill the command after this many milliseconds (default 10000)."}
    });
    merge(&mut properties, escalation_properties());
    function(
        "shell",
        "Run a command to completion and return its output and exit code.",
        properties,
        &["command"],
    )
}

fn update_plan_spec() -> Value {
    function(
        "update_plan",
        "Keep the user informed with a short plan of steps. Send the whole plan each time; at most one step is in_progress.",
        json!({
            "explanation": {"type": "string"},
            "plan": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "step": {"type": "string"},
                        "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]}
                    },
                    "required": ["step", "status"],
                    "additionalProperties": false
                }
            }
        }),
        &["plan"],
    )
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(extra)) = (target, extra) {
        target.extend(extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_sets_follow_the_features() {
        let names = |tools: Vec<Value>| -> Vec<String> {
            tools
                .iter()
                .map(|tool| tool["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names(tool_specs(true, true)),
            [
                "exec_command",
                "write_stdin",
                "apply_patch",
                "update_plan",
                "view_image"
            ]
        );
        assert_eq!(
            names(tool_specs(false, false)),
            ["shell", "apply_patch", "update_plan", "view_image"]
        );
        let freeform = &tool_specs(true, true)[2];
        assert_eq!(freeform["type"], "custom");
        assert_eq!(freeform["format"]["syntax"], "lark");
        let exec = &tool_specs(true, true)[0];
        assert_eq!(exec["parameters"]["required"], json!(["cmd"]));
        assert!(exec["parameters"]["properties"]["sandbox_permissions"].is_object());
    }
}
