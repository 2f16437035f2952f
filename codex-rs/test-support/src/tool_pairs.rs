//! Checks that every tool call in a model request has exactly one output and every
//! output answers an earlier call. The real APIs reject requests that break this (a 400
//! "No tool output found for function call ..."), so the scripted server does too.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

/// One broken call/output pairing found in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolPairProblem {
    /// A tool call that no output answers.
    CallWithoutOutput { call_id: String },
    /// A tool output whose `call_id` matches no earlier call.
    OrphanOutput { call_id: String },
    /// A call answered more than once.
    DuplicateOutput { call_id: String },
    /// A call or output with an empty or missing `call_id`.
    MissingCallId { item_index: usize },
}

impl fmt::Display for ToolPairProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CallWithoutOutput { call_id } => {
                write!(f, "No tool output found for tool call {call_id}.")
            }
            Self::OrphanOutput { call_id } => {
                write!(
                    f,
                    "No tool call found for tool output with call_id {call_id}."
                )
            }
            Self::DuplicateOutput { call_id } => {
                write!(f, "Tool call {call_id} has more than one output.")
            }
            Self::MissingCallId { item_index } => {
                write!(
                    f,
                    "Item {item_index} is a tool call or output without a call_id."
                )
            }
        }
    }
}

/// Problems in the `input` array of a Responses request body (empty when it is sound).
pub fn check_responses_request(body: &Value) -> Vec<ToolPairProblem> {
    let Some(input) = body.get("input").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut ledger = Ledger::default();
    for (item_index, item) in input.iter().enumerate() {
        let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
        let call_id = item.get("call_id").and_then(Value::as_str).unwrap_or("");
        match kind {
            "function_call" | "custom_tool_call" | "local_shell_call" => {
                ledger.call(item_index, call_id);
            }
            "function_call_output" | "custom_tool_call_output" | "local_shell_call_output" => {
                ledger.output(item_index, call_id);
            }
            _ => {}
        }
    }
    ledger.finish()
}

/// Problems in the `messages` array of a Chat Completions request body. Chat is stricter
/// than Responses: the answers to an assistant message's `tool_calls` must follow it
/// directly, before any other message.
pub fn check_chat_request(body: &Value) -> Vec<ToolPairProblem> {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let mut waiting: Vec<String> = Vec::new();
    for (item_index, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if role == "tool" {
            let call_id = message
                .get("tool_call_id")
                .and_then(Value::as_str)
                .unwrap_or("");
            if call_id.is_empty() {
                problems.push(ToolPairProblem::MissingCallId { item_index });
            } else if let Some(position) = waiting.iter().position(|id| id == call_id) {
                waiting.remove(position);
            } else {
                problems.push(ToolPairProblem::OrphanOutput {
                    call_id: call_id.to_string(),
                });
            }
            continue;
        }
        problems.extend(
            waiting
                .drain(..)
                .map(|call_id| ToolPairProblem::CallWithoutOutput { call_id }),
        );
        let calls = message.get("tool_calls").and_then(Value::as_array);
        for call in calls.into_iter().flatten() {
            match call.get("id").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => waiting.push(id.to_string()),
                _ => problems.push(ToolPairProblem::MissingCallId { item_index }),
            }
        }
    }
    problems.extend(
        waiting
            .into_iter()
            .map(|call_id| ToolPairProblem::CallWithoutOutput { call_id }),
    );
    problems
}

/// Tracks calls and outputs by `call_id` in order.
#[derive(Default)]
struct Ledger {
    /// call_id -> number of outputs seen so far, in order of first call.
    calls: Vec<(String, usize)>,
    index_of: HashMap<String, usize>,
    problems: Vec<ToolPairProblem>,
}

impl Ledger {
    fn call(&mut self, item_index: usize, call_id: &str) {
        if call_id.is_empty() {
            self.problems
                .push(ToolPairProblem::MissingCallId { item_index });
            return;
        }
        self.index_of.entry(call_id.to_string()).or_insert_with(|| {
            self.calls.push((call_id.to_string(), 0));
            self.calls.len() - 1
        });
    }

    fn output(&mut self, item_index: usize, call_id: &str) {
        if call_id.is_empty() {
            self.problems
                .push(ToolPairProblem::MissingCallId { item_index });
            return;
        }
        match self.index_of.get(call_id) {
            Some(&position) => {
                let answered = &mut self.calls[position].1;
                *answered += 1;
                if *answered == 2 {
                    self.problems.push(ToolPairProblem::DuplicateOutput {
                        call_id: call_id.to_string(),
                    });
                }
            }
            None => self.problems.push(ToolPairProblem::OrphanOutput {
                call_id: call_id.to_string(),
            }),
        }
    }

    fn finish(mut self) -> Vec<ToolPairProblem> {
        for (call_id, answered) in self.calls {
            if answered == 0 {
                self.problems
                    .push(ToolPairProblem::CallWithoutOutput { call_id });
            }
        }
        self.problems
    }
}
