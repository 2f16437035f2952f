//! One request to the user's configured model (any provider, Chat ones through the
//! bridge): instructions and one input text in, the answer's text out, and the JSON
//! object in it.

use codex_protocol::{ReasoningEffort, ReasoningSummary, ResponseItem, Role};

use crate::client::{ModelClient, ModelError, ModelSettings, Prompt, ResponseEvent};
use crate::memories::MemoryError;

/// Asks `model` to follow `instructions` on `input`; the text of its answer.
pub async fn ask(
    client: &ModelClient,
    model: &str,
    effort: ReasoningEffort,
    instructions: &str,
    input: String,
) -> Result<String, MemoryError> {
    let prompt = Prompt {
        base_instructions: instructions.to_string(),
        input: vec![ResponseItem::user_text(input)],
        tools: Vec::new(),
    };
    let settings = ModelSettings {
        model: model.to_string(),
        effort: Some(effort),
        summary: ReasoningSummary::None,
        verbosity: None,
        output_schema: None,
    };
    let failed = |error: ModelError| MemoryError::Model(error.to_string());
    let mut stream = client.stream(&prompt, &settings).await.map_err(failed)?;
    let mut answer = String::new();
    while let Some(event) = stream.next().await {
        match event.map_err(failed)? {
            ResponseEvent::OutputItemDone(
                item @ ResponseItem::Message {
                    role: Role::Assistant,
                    ..
                },
            ) => answer.push_str(&item.message_text().unwrap_or_default()),
            ResponseEvent::Completed { .. } => break,
            _ => {}
        }
    }
    Ok(answer)
}

/// The JSON object in an answer (models sometimes wrap it in prose or a code block).
pub fn json_object<T: serde::de::DeserializeOwned>(answer: &str) -> Result<T, MemoryError> {
    let not_json = || {
        MemoryError::Model(format!(
            "the answer was not the JSON object asked for: {}",
            answer.chars().take(200).collect::<String>()
        ))
    };
    let start = answer.find('{').ok_or_else(not_json)?;
    let end = answer.rfind('}').ok_or_else(not_json)?;
    if end < start {
        return Err(not_json());
    }
    serde_json::from_str(&answer[start..=end])
        .map_err(|error| MemoryError::Model(format!("the answer's JSON does not fit ({error})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Out {
        a: String,
    }

    #[test]
    fn the_object_is_found_inside_prose_or_a_code_block() {
        let wrapped = "Here it is:\n```json\n{\"a\": \"x {y}\"}\n```";
        assert_eq!(
            json_object::<Out>(wrapped).unwrap(),
            Out { a: "x {y}".into() }
        );
        assert!(json_object::<Out>("no json here").is_err());
        assert!(json_object::<Out>("{\"b\": 1}").is_err());
    }
}
