//! Test modules and fixture helpers.
mod clients;
mod completion;
mod proxy;
mod request;
mod stream;

use std::collections::HashSet;

use codex_test_support::sse::parse_frames;
use serde_json::Value;
use zspark_bridge::StreamTranslator;

/// Runs a fixture file through a translator and returns every event, the end of the
/// upstream stream included.
pub fn translate_fixture(name: &str, custom_tools: &[&str]) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    translate_frames(&text, custom_tools)
}

pub fn translate_frames(text: &str, custom_tools: &[&str]) -> Vec<Value> {
    let tools: HashSet<String> = custom_tools.iter().map(|name| name.to_string()).collect();
    let mut translator = StreamTranslator::new("test-model", tools);
    let mut events = Vec::new();
    for frame in parse_frames(text) {
        events.extend(translator.push_data(&frame.data));
    }
    events.extend(translator.finish());
    assert_well_formed(&events);
    events
}

/// Every stream: sequence numbers 0, 1, 2…; `created` first; exactly one terminal event,
/// last; each item added once and done once; done items match the final output.
pub fn assert_well_formed(events: &[Value]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event["sequence_number"], index,
            "sequence numbers rise by one: {event}"
        );
    }
    assert_eq!(events[0]["type"], "response.created");
    let terminal: Vec<&Value> = events
        .iter()
        .filter(|e| {
            matches!(
                e["type"].as_str(),
                Some("response.completed" | "response.incomplete" | "response.failed")
            )
        })
        .collect();
    assert_eq!(terminal.len(), 1, "one terminal event");
    assert_eq!(
        events.last().unwrap(),
        terminal[0],
        "the terminal event comes last"
    );
    let added: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.added")
        .map(|e| &e["item"]["id"])
        .collect();
    let done: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.done")
        .map(|e| &e["item"])
        .collect();
    let unique: HashSet<String> = added.iter().map(|id| id.to_string()).collect();
    assert_eq!(unique.len(), added.len(), "no item added twice");
    let done_ids: Vec<&Value> = done.iter().map(|item| &item["id"]).collect();
    for id in &done_ids {
        assert!(added.contains(id), "done item {id} was added first");
    }
    if terminal[0]["type"] != "response.failed" {
        let output = terminal[0]["response"]["output"].as_array().unwrap();
        let mut by_index: Vec<(u64, &Value)> = events
            .iter()
            .filter(|e| e["type"] == "response.output_item.done")
            .map(|e| (e["output_index"].as_u64().unwrap(), &e["item"]))
            .collect();
        by_index.sort_by_key(|(index, _)| *index);
        let expected: Vec<&Value> = by_index.into_iter().map(|(_, item)| item).collect();
        assert_eq!(
            output.iter().collect::<Vec<_>>(),
            expected,
            "the response lists the finished items in output order"
        );
    }
}

pub fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|event| event["type"] == kind)
        .collect()
}

pub fn terminal(events: &[Value]) -> &Value {
    events.last().unwrap()
}

pub fn output_items(events: &[Value]) -> Vec<Value> {
    terminal(events)["response"]["output"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
