//! References from a scripted reply to what the request sent, so a script can do what
//! a model does with a tool's answer: `{{output:<call_id>.<field>}}` in a function
//! call's arguments becomes the string `<field>` of the JSON output the request carries
//! for call `<call_id>` (say, the `agent_id` a `spawn_agent` call returned, which no
//! script can know in advance). A reference that does not resolve is left as written,
//! so the client under test sees it and fails visibly.

use serde_json::Value;

use crate::script::{OutputItem, Reply};

const OPEN: &str = "{{output:";
const CLOSE: &str = "}}";

/// `reply` with every reference in its function call arguments resolved against the
/// request `input` (Responses items or Chat messages).
pub fn resolve(mut reply: Reply, input: &[Value]) -> Reply {
    for item in &mut reply.items {
        if let OutputItem::FunctionCall { arguments, .. } = item
            && arguments.contains(OPEN)
        {
            *arguments = substitute(arguments, input);
        }
    }
    reply
}

fn substitute(text: &str, input: &[Value]) -> String {
    let mut result = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        result.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find(CLOSE) else {
            break;
        };
        let reference = &after[..end];
        match lookup(reference, input) {
            Some(value) => result.push_str(&value),
            None => result.push_str(&rest[start..start + OPEN.len() + end + CLOSE.len()]),
        }
        rest = &after[end + CLOSE.len()..];
    }
    result.push_str(rest);
    result
}

/// The field `field` of the output of `call_id` (written `<call_id>.<field>`).
fn lookup(reference: &str, input: &[Value]) -> Option<String> {
    let (call_id, field) = reference.split_once('.')?;
    let output = input.iter().find_map(|item| output_of(item, call_id))?;
    let parsed: Value = serde_json::from_str(&output).ok()?;
    parsed.get(field)?.as_str().map(str::to_string)
}

/// The output text `item` carries for `call_id`: a Responses `function_call_output` or
/// a Chat `tool` message.
fn output_of(item: &Value, call_id: &str) -> Option<String> {
    let responses = item.get("type").and_then(Value::as_str) == Some("function_call_output")
        && item.get("call_id").and_then(Value::as_str) == Some(call_id);
    let chat = item.get("role").and_then(Value::as_str) == Some("tool")
        && item.get("tool_call_id").and_then(Value::as_str) == Some(call_id);
    if !responses && !chat {
        return None;
    }
    let output = item.get("output").or_else(|| item.get("content"))?;
    match output {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn arguments(reply: &Reply) -> &str {
        match &reply.items[0] {
            OutputItem::FunctionCall { arguments, .. } => arguments,
            other => panic!("not a call: {other:?}"),
        }
    }

    #[test]
    fn a_reference_takes_the_field_of_an_earlier_output() {
        let reply = Reply::new().function_call(
            "w1",
            "wait_agent",
            r#"{"targets":["{{output:s1.agent_id}}"]}"#,
        );
        let input = [
            json!({"type": "function_call_output", "call_id": "s0", "output": "{\"agent_id\":\"other\"}"}),
            json!({"type": "function_call_output", "call_id": "s1", "output": "{\"agent_id\":\"a-1\",\"nickname\":\"Hooke\"}"}),
        ];
        assert_eq!(arguments(&resolve(reply, &input)), r#"{"targets":["a-1"]}"#);
    }

    #[test]
    fn chat_tool_messages_resolve_and_unknown_references_stay() {
        let reply = Reply::new().function_call(
            "w1",
            "wait_agent",
            r#"["{{output:s1.agent_id}}","{{output:s9.agent_id}}"]"#,
        );
        let input = [
            json!({"role": "tool", "tool_call_id": "s1", "content": [{"type": "text", "text": "{\"agent_id\":\"a-2\"}"}]}),
        ];
        assert_eq!(
            arguments(&resolve(reply, &input)),
            r#"["a-2","{{output:s9.agent_id}}"]"#
        );
    }
}
