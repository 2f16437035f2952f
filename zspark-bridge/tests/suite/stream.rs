//! Chat stream -> Responses events, with provider fixtures and the failures other
//! bridges are known for.

use serde_json::json;

use super::{of_type, output_items, terminal, translate_fixture, translate_frames};

#[test]
fn deepseek_reasoning_becomes_a_reasoning_item_before_the_message() {
    let events = translate_fixture("deepseek_reasoning.sse", &[]);
    let items = output_items(&events);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["type"], "reasoning");
    assert_eq!(items[0]["content"][0]["text"], "The user wants a greeting.");
    assert_eq!(items[1]["type"], "message");
    assert_eq!(items[1]["content"][0]["text"], "Hello!");
    let deltas: String = of_type(&events, "response.reasoning_text.delta")
        .iter()
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "The user wants a greeting.");
    let usage = &terminal(&events)["response"]["usage"];
    assert_eq!(usage["input_tokens"], 20);
    assert_eq!(usage["output_tokens"], 12);
    assert_eq!(
        usage["input_tokens_details"]["cached_tokens"], 16,
        "DeepSeek's cache-hit count"
    );
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 8);
}

#[test]
fn kimi_tool_ids_are_kept_and_usage_inside_the_choice_is_read() {
    let events = translate_fixture("kimi_tool_ids.sse", &[]);
    let items = output_items(&events);
    assert_eq!(
        items,
        vec![json!({
            "type": "function_call", "id": items[0]["id"], "call_id": "functions.exec_command:0",
            "name": "exec_command", "arguments": "{\"cmd\":\"ls\"}", "status": "completed",
        })]
    );
    assert!(
        of_type(&events, "response.output_item.added")
            .iter()
            .all(|e| e["item"]["type"] != "message"),
        "no empty message item"
    );
    let usage = &terminal(&events)["response"]["usage"];
    assert_eq!(
        (
            usage["input_tokens"].as_u64(),
            usage["input_tokens_details"]["cached_tokens"].as_u64()
        ),
        (Some(50), Some(32))
    );
}

#[test]
fn ids_only_on_the_first_fragment_give_whole_parallel_calls() {
    let events = translate_fixture("vllm_parallel_ids_first_chunk.sse", &[]);
    let calls: Vec<(String, String)> = output_items(&events)
        .iter()
        .map(|item| {
            (
                item["call_id"].as_str().unwrap().to_string(),
                item["arguments"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            (
                "chatcmpl-tool-aaa".to_string(),
                "{\"path\": \"a.txt\"}".to_string()
            ),
            (
                "chatcmpl-tool-bbb".to_string(),
                "{\"path\": \"b.txt\"}".to_string()
            ),
        ],
        "two calls, neither split nor collapsed onto index 0"
    );
    assert_eq!(terminal(&events)["response"]["usage"]["total_tokens"], 130);
    let argument_deltas: Vec<&str> = of_type(&events, "response.function_call_arguments.delta")
        .iter()
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(
        argument_deltas,
        ["{\"path\": \"a", ".txt\"}", "{\"path\": \"b.txt\"}"]
    );
}

#[test]
fn ollama_calls_in_one_chunk_with_reasoning_field_and_no_usage() {
    let events = translate_fixture("ollama_tools_in_one_chunk.sse", &[]);
    let items = output_items(&events);
    let kinds: Vec<&str> = items
        .iter()
        .map(|item| item["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reasoning", "function_call", "function_call"]);
    assert_eq!(items[0]["content"][0]["text"], "Need two files.");
    assert_eq!(items[2]["call_id"], "call_x2");
    assert_eq!(terminal(&events)["type"], "response.completed");
    assert!(
        terminal(&events)["response"]["usage"].is_null(),
        "missing usage stays missing, not zeros"
    );
}

#[test]
fn azure_chunks_with_empty_choices_are_skipped_and_usage_kept() {
    let events = translate_fixture("azure_empty_choices.sse", &[]);
    let items = output_items(&events);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["content"][0]["text"], "Azure says hi");
    assert_eq!(terminal(&events)["response"]["usage"]["input_tokens"], 11);
}

#[test]
fn repeated_ids_and_an_empty_argument_delta_make_one_call() {
    let events = translate_fixture("repeated_ids_and_empty_argument_delta.sse", &[]);
    let items = output_items(&events);
    assert_eq!(items.len(), 1, "one call, not one per chunk");
    assert_eq!(items[0]["arguments"], "{\"cmd\": \"pwd\"}");
    assert!(
        of_type(&events, "response.function_call_arguments.delta")
            .iter()
            .all(|e| e["delta"] != ""),
        "no empty delta events"
    );
}

#[test]
fn a_truncated_stream_fails_instead_of_completing() {
    let events = translate_fixture("truncated_no_finish.sse", &[]);
    let end = terminal(&events);
    assert_eq!(end["type"], "response.failed");
    assert_eq!(end["response"]["error"]["code"], "truncated_stream");
    assert!(of_type(&events, "response.completed").is_empty());
    assert_eq!(
        end["response"]["output"][0]["content"][0]["text"], "Partial ans",
        "what arrived is kept"
    );
}

#[test]
fn length_finish_is_incomplete_with_its_usage() {
    let events = translate_fixture("finish_length.sse", &[]);
    let end = terminal(&events);
    assert_eq!(end["type"], "response.incomplete");
    assert_eq!(
        end["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
    assert_eq!(
        end["response"]["usage"]["output_tokens"], 4096,
        "usage is not lost on incomplete"
    );
}

#[test]
fn freeform_tool_calls_come_back_as_custom_tool_calls() {
    let events = translate_fixture("llamacpp_custom_tool.sse", &["apply_patch"]);
    let items = output_items(&events);
    assert_eq!(items[0]["type"], "custom_tool_call");
    assert_eq!(items[0]["name"], "apply_patch");
    assert_eq!(items[0]["call_id"], "zQx1");
    assert_eq!(
        items[0]["input"],
        "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch"
    );
    assert_eq!(
        of_type(&events, "response.custom_tool_call_input.done").len(),
        1
    );
    assert!(of_type(&events, "response.function_call_arguments.delta").is_empty());
}

#[test]
fn an_error_object_mid_stream_fails_with_its_message() {
    let events = translate_fixture("error_mid_stream.sse", &[]);
    let end = terminal(&events);
    assert_eq!(end["type"], "response.failed");
    assert_eq!(end["response"]["error"]["code"], "500");
    assert!(
        end["response"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CUDA out of memory")
    );
}

#[test]
fn invalid_json_chunks_and_nameless_calls_fail() {
    let garbage = translate_frames("data: {\"choices\": [\n\n", &[]);
    assert_eq!(
        terminal(&garbage)["response"]["error"]["code"],
        "invalid_chunk"
    );
    let nameless = translate_frames(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n",
        &[],
    );
    assert_eq!(
        terminal(&nameless)["response"]["error"]["code"],
        "invalid_tool_call"
    );
}

#[test]
fn a_done_marker_without_a_finish_reason_fails() {
    let events = translate_frames(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Half an ans\"}}]}\n\ndata: [DONE]\n\n",
        &[],
    );
    let end = terminal(&events);
    assert_eq!(end["type"], "response.failed");
    assert_eq!(end["response"]["error"]["code"], "truncated_stream");
    assert!(of_type(&events, "response.completed").is_empty());
    assert_eq!(
        end["response"]["output"][0]["content"][0]["text"], "Half an ans",
        "what arrived is kept"
    );
}

#[test]
fn an_ended_upstream_with_a_finish_reason_but_no_done_marker_completes() {
    let events = translate_frames(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\n",
        &[],
    );
    assert_eq!(terminal(&events)["type"], "response.completed");
}

#[test]
fn missing_call_ids_are_generated_never_empty() {
    let events = translate_frames(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n",
        &[],
    );
    let call_id = output_items(&events)[0]["call_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        call_id.starts_with("call_") && call_id.len() > 5,
        "{call_id}"
    );
}
