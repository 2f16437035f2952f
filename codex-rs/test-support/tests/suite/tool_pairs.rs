//! The server refuses requests whose tool calls and outputs do not pair up, as the real
//! APIs do, and the checks themselves.

use codex_test_support::tool_pairs::{check_chat_request, check_responses_request};
use codex_test_support::{ScriptedModelServer, ToolPairProblem, Turn};
use serde_json::json;

use super::post;

fn call(id: &str) -> serde_json::Value {
    json!({"type": "function_call", "call_id": id, "name": "shell", "arguments": "{}"})
}

fn output(id: &str) -> serde_json::Value {
    json!({"type": "function_call_output", "call_id": id, "output": "ok"})
}

#[tokio::test]
async fn orphan_output_and_unanswered_call_get_400_without_using_a_turn() {
    let server = ScriptedModelServer::start([Turn::text("fine")]).unwrap();
    let url = format!("{}/responses", server.base_url());

    let (status, text) = post(&url, &json!({"input": [output("call_x")]})).await;
    assert_eq!(status, 400);
    assert!(
        text.contains("No tool call found for tool output with call_id call_x"),
        "{text}"
    );

    let (status, text) = post(&url, &json!({"input": [call("call_y")]})).await;
    assert_eq!(status, 400);
    assert!(
        text.contains("No tool output found for tool call call_y"),
        "{text}"
    );

    assert_eq!(server.remaining_turns(), 1);
    let (status, _) = post(&url, &json!({"input": [call("call_z"), output("call_z")]})).await;
    assert_eq!(status, 200);
    let problems: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.tool_pair_problems())
        .collect();
    assert_eq!(problems[2], vec![]);
}

#[tokio::test]
async fn enforcement_can_be_turned_off_and_problems_are_still_visible() {
    let server = ScriptedModelServer::options()
        .turns([Turn::text("fine")])
        .enforce_tool_pairs(false)
        .start()
        .unwrap();
    let (status, _) = post(
        &format!("{}/responses", server.base_url()),
        &json!({"input": [call("c")]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        server.requests()[0].tool_pair_problems(),
        vec![ToolPairProblem::CallWithoutOutput {
            call_id: "c".into()
        }]
    );
}

#[test]
fn responses_check_finds_duplicates_and_missing_ids_in_order() {
    let body = json!({"input": [
        call("a"), output("a"), output("a"),
        {"type": "custom_tool_call", "call_id": "", "name": "apply_patch", "input": ""},
        {"type": "custom_tool_call", "call_id": "b", "name": "apply_patch", "input": ""},
        {"type": "custom_tool_call_output", "call_id": "b", "output": "done"},
        {"type": "message", "role": "user", "content": []},
    ]});
    assert_eq!(
        check_responses_request(&body),
        vec![
            ToolPairProblem::DuplicateOutput {
                call_id: "a".into()
            },
            ToolPairProblem::MissingCallId { item_index: 3 },
        ]
    );
}

#[test]
fn chat_check_requires_answers_right_after_the_assistant_message() {
    let sound = json!({"messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "1"}, {"id": "2"}]},
        {"role": "tool", "tool_call_id": "2", "content": "b"},
        {"role": "tool", "tool_call_id": "1", "content": "a"},
        {"role": "assistant", "content": "done"},
    ]});
    assert_eq!(check_chat_request(&sound), vec![]);

    let interrupted = json!({"messages": [
        {"role": "assistant", "content": null, "tool_calls": [{"id": "1"}]},
        {"role": "user", "content": "never mind"},
        {"role": "tool", "tool_call_id": "1", "content": "late"},
    ]});
    assert_eq!(
        check_chat_request(&interrupted),
        vec![
            ToolPairProblem::CallWithoutOutput {
                call_id: "1".into()
            },
            ToolPairProblem::OrphanOutput {
                call_id: "1".into()
            },
        ]
    );
}
