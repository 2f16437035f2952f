//! Responses request -> Chat request, one test per mapping rule.

use serde_json::{Value, json};
use zspark_bridge::{BridgeError, Profile, to_chat_request};

fn translate(body: Value, profile: &str) -> Value {
    to_chat_request(&body, &Profile::named(profile).unwrap())
        .unwrap()
        .0
}

fn error(body: Value) -> String {
    match to_chat_request(&body, &Profile::default()) {
        Err(BridgeError::InvalidRequest { message }) => message,
        other => panic!("expected an invalid-request error, got {other:?}"),
    }
}

fn call(id: &str, name: &str) -> Value {
    json!({"type": "function_call", "call_id": id, "name": name, "arguments": "{}"})
}

fn output(id: &str, text: &str) -> Value {
    json!({"type": "function_call_output", "call_id": id, "output": text})
}

#[test]
fn a_message_between_agents_becomes_a_user_message_with_its_header_and_payload() {
    let chat = translate(
        json!({"model": "m", "input": [
            {"type": "agent_message", "id": "amsg_1", "author": "/root", "recipient": "/root/worker_a",
             "content": [
                {"type": "input_text", "text": "Message Type: NEW_TASK\nTask name: /root/worker_a\nSender: /root\nPayload:\n"},
                {"type": "encrypted_content", "encrypted_content": "count the files"}
             ]},
        ]}),
        "generic",
    );
    assert_eq!(
        chat["messages"],
        json!([{"role": "user", "content": "Message Type: NEW_TASK\nTask name: /root/worker_a\nSender: /root\nPayload:\ncount the files"}])
    );
}

#[test]
fn instructions_and_developer_messages_become_system_messages_in_order() {
    let chat = translate(
        json!({"model": "m", "instructions": "be brief", "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        ]}),
        "generic",
    );
    assert_eq!(
        chat["messages"],
        json!([
            {"role": "system", "content": "be brief"},
            {"role": "system", "content": "rules"},
            {"role": "user", "content": "hi"},
        ])
    );
}

#[test]
fn parallel_calls_merge_into_one_assistant_message_followed_by_tool_messages() {
    let chat = translate(
        json!({"model": "m", "input": [
            {"type": "message", "role": "user", "content": "go"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Reading both."}]},
            call("a", "read"), call("b", "read"),
            output("a", "A"), output("b", "B"),
        ]}),
        "generic",
    );
    let messages = chat["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"], "Reading both.");
    let ids: Vec<&str> = messages[1]["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(
        messages[2],
        json!({"role": "tool", "tool_call_id": "a", "content": "A"})
    );
    assert_eq!(
        messages[3],
        json!({"role": "tool", "tool_call_id": "b", "content": "B"})
    );
}

#[test]
fn reasoning_is_replayed_on_its_assistant_message_in_the_profile_field() {
    let input = json!([
        {"type": "message", "role": "user", "content": "q"},
        {"type": "reasoning", "id": "rs", "summary": [], "content": [{"type": "reasoning_text", "text": "thinking it over"}], "encrypted_content": "SECRET"},
        call("c", "f"), output("c", "done"),
    ]);
    let deepseek = translate(
        json!({"model": "deepseek-reasoner", "input": input}),
        "deepseek",
    );
    assert_eq!(
        deepseek["messages"][1]["reasoning_content"],
        "thinking it over"
    );
    let ollama = translate(json!({"model": "qwen3", "input": input}), "ollama");
    assert_eq!(ollama["messages"][1]["reasoning"], "thinking it over");
    assert!(ollama["messages"][1].get("reasoning_content").is_none());
    let openai = translate(json!({"model": "gpt-4o", "input": input}), "openai");
    assert!(openai["messages"][1].get("reasoning_content").is_none());
    assert!(
        !openai.to_string().contains("SECRET"),
        "encrypted reasoning is never forwarded"
    );
}

#[test]
fn custom_tools_become_single_string_functions_and_their_calls_carry_input() {
    let chat = translate(
        json!({"model": "m", "tools": [
            {"type": "custom", "name": "apply_patch", "description": "patch files", "format": {"type": "grammar"}},
            {"type": "function", "name": "exec_command", "parameters": {"properties": {"cmd": {"type": "string"}}}},
            {"type": "web_search"},
        ], "tool_choice": "auto", "parallel_tool_calls": true, "input": [
            {"type": "message", "role": "user", "content": "go"},
            {"type": "custom_tool_call", "call_id": "p", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch"},
            {"type": "custom_tool_call_output", "call_id": "p", "output": "ok"},
        ]}),
        "generic",
    );
    let tools = chat["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 2, "hosted web_search is dropped");
    assert_eq!(
        tools[0]["function"]["parameters"]["required"],
        json!(["input"])
    );
    assert_eq!(
        tools[1]["function"]["parameters"]["type"], "object",
        "parameters.type is forced to object"
    );
    assert_eq!(chat["tool_choice"], "auto");
    assert_eq!(chat["parallel_tool_calls"], true);
    let arguments: Value = serde_json::from_str(
        chat["messages"][1]["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        arguments,
        json!({"input": "*** Begin Patch\n*** End Patch"})
    );
}

#[test]
fn images_in_messages_and_tool_outputs() {
    let chat = translate(
        json!({"model": "m", "input": [
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "what is this?"},
                {"type": "input_image", "image_url": "data:image/png;base64,AA==", "detail": "high"},
            ]},
            call("v", "view_image"),
            {"type": "function_call_output", "call_id": "v", "output": [
                {"type": "input_text", "text": "attached"},
                {"type": "input_image", "image_url": "data:image/png;base64,BB=="},
            ]},
        ]}),
        "generic",
    );
    let messages = chat["messages"].as_array().unwrap();
    assert_eq!(
        messages[0]["content"][1],
        json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,AA==", "detail": "high"}})
    );
    assert_eq!(
        messages[2],
        json!({"role": "tool", "tool_call_id": "v", "content": "attached"})
    );
    assert_eq!(
        messages[3]["role"], "user",
        "tool images follow in a user message"
    );
    assert_eq!(
        messages[3]["content"][1]["image_url"]["url"],
        "data:image/png;base64,BB=="
    );
}

#[test]
fn parameters_map_per_profile() {
    let body = json!({"model": "m", "input": "hi", "stream": true, "max_output_tokens": 500,
        "reasoning": {"effort": "high"}, "temperature": 0.2, "store": false, "prompt_cache_key": "x",
        "text": {"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": true}}});
    let generic = translate(body.clone(), "generic");
    assert_eq!(generic["max_tokens"], 500);
    assert!(generic.get("reasoning_effort").is_none());
    assert_eq!(generic["stream_options"], json!({"include_usage": true}));
    assert_eq!(generic["temperature"], 0.2);
    assert!(generic.get("store").is_none() && generic.get("prompt_cache_key").is_none());
    assert_eq!(generic["response_format"]["json_schema"]["name"], "answer");
    assert_eq!(
        generic["messages"],
        json!([{"role": "user", "content": "hi"}])
    );
    let openai = translate(body, "openai");
    assert_eq!(openai["max_completion_tokens"], 500);
    assert_eq!(openai["reasoning_effort"], "high");
}

#[test]
fn broken_call_pairing_and_bad_shapes_are_errors() {
    assert!(
        error(json!({"model": "m", "input": [output("ghost", "x")]}))
            .contains("answers no earlier tool call")
    );
    assert!(error(json!({"model": "m", "input": [call("lonely", "f")]})).contains("has no output"));
    assert!(error(json!({"model": "m", "input": [{"type": "function_call_output", "call_id": "", "output": "x"}]})).contains("without a call_id"));
    assert!(error(json!({"input": "hi"})).contains("`model` is required"));
    assert!(error(json!({"model": "m"})).contains("no input"));
    assert!(error(json!({"model": "m", "input": [{"type": "message", "role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]})).contains("file_data"));
    assert!(error(json!("not an object")).contains("JSON object"));
}

#[test]
fn namespace_tools_are_flattened_and_their_calls_come_back_with_the_namespace() {
    let long_server = format!("mcp__{}", "s".repeat(40));
    let body = json!({"model": "m", "tools": [
        {"type": "namespace", "name": "mcp__docs", "description": "Docs server", "tools": [
            {"type": "function", "name": "search", "description": "find pages", "strict": false,
             "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}},
        ]},
        {"type": "namespace", "name": long_server, "description": "", "tools": [
            {"type": "function", "name": "a_tool_with_a_long_name", "parameters": {}},
        ]},
    ], "input": [
        {"type": "message", "role": "user", "content": "find it"},
        {"type": "function_call", "call_id": "c1", "name": "search", "namespace": "mcp__docs", "arguments": "{\"q\":\"a\"}"},
        output("c1", "page 1"),
    ]});
    let (chat, facts) = to_chat_request(&body, &Profile::default()).unwrap();
    let names: Vec<&str> = chat["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "mcp__docs__search");
    assert_eq!(
        names[1].len(),
        zspark_bridge::MAX_CHAT_TOOL_NAME,
        "{}",
        names[1]
    );
    assert_eq!(chat["tools"][0]["function"]["description"], "find pages");
    assert_eq!(
        chat["messages"][1]["tool_calls"][0]["function"]["name"], "mcp__docs__search",
        "a past call is sent under its flat name"
    );

    let mut translator = zspark_bridge::StreamTranslator::new("m", facts.tools.clone());
    let mut events = translator.push_data(
        &json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c2", "type": "function",
            "function": {"name": names[1], "arguments": "{}"}}]}, "finish_reason": null}]})
        .to_string(),
    );
    events.extend(translator.push_data(
        &json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}).to_string(),
    ));
    events.extend(translator.finish());
    let item = events
        .iter()
        .find(|event| event["type"] == "response.output_item.done")
        .map(|event| event["item"].clone())
        .unwrap();
    assert_eq!(
        (item["name"].as_str(), item["namespace"].as_str()),
        (Some("a_tool_with_a_long_name"), Some(long_server.as_str())),
        "the shortened name is mapped back: {item}"
    );

    let bad = error(json!({"model": "m", "tools": [
        {"type": "namespace", "name": "mcp__x", "tools": [{"type": "custom", "name": "c"}]},
    ]}));
    assert!(bad.contains("may hold only named function tools"), "{bad}");
}
