//! Turning user input into a conversation item, and keeping the history valid when a
//! turn stops half-way.

use std::collections::HashSet;
use std::path::Path;

use codex_protocol::{ContentItem, InputItem, ResponseItem, Role, ToolOutput};

use crate::context::explicit_skill_text;
use crate::tools::image_data_url;

/// The user message for `input`, the plain text shown for it, the image URLs it
/// carries, and warnings about input that could not be used (an unreadable image).
pub async fn user_message_from_input(
    input: &[InputItem],
    cwd: &Path,
) -> (ResponseItem, String, Vec<String>, Vec<String>) {
    let mut content = Vec::new();
    let mut text = String::new();
    let mut images = Vec::new();
    let mut warnings = Vec::new();
    for item in input {
        match item {
            InputItem::Text { text: part } => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(part);
                content.push(ContentItem::InputText { text: part.clone() });
            }
            InputItem::Image { image_url } => {
                images.push(image_url.clone());
                content.push(ContentItem::InputImage {
                    image_url: image_url.clone(),
                    detail: None,
                });
            }
            InputItem::LocalImage { path } => {
                let path = cwd.join(path);
                match image_data_url(&path).await {
                    Ok(url) => {
                        images.push(url.clone());
                        content.push(ContentItem::InputImage {
                            image_url: url,
                            detail: None,
                        });
                    }
                    Err(message) => warnings.push(format!("the image was not attached: {message}")),
                }
            }
            InputItem::Skill { name, path } => match explicit_skill_text(name, path) {
                Ok(text) => content.push(ContentItem::InputText { text }),
                Err(message) => warnings.push(message),
            },
            InputItem::FileReference { path } => {
                content.push(ContentItem::InputText {
                    text: format!(
                        "<attached_file path=\"{}\">The user attached this file; read it with your tools if it is relevant.</attached_file>",
                        cwd.join(path).display()
                    ),
                });
            }
        }
    }
    let message = ResponseItem::Message {
        id: None,
        role: Role::User,
        content,
    };
    (message, text, images, warnings)
}

/// Outputs for every tool call in `history` that has none, saying why.
pub fn close_open_calls(history: &[ResponseItem], reason: &str) -> Vec<ResponseItem> {
    let answered: HashSet<&str> = history
        .iter()
        .filter_map(ResponseItem::output_call_id)
        .collect();
    history
        .iter()
        .filter_map(|item| match item {
            ResponseItem::FunctionCall { call_id, .. } if !answered.contains(call_id.as_str()) => {
                Some(ResponseItem::FunctionCallOutput {
                    call_id: call_id.clone(),
                    output: ToolOutput::Text(reason.to_string()),
                })
            }
            ResponseItem::CustomToolCall { call_id, .. }
                if !answered.contains(call_id.as_str()) =>
            {
                Some(ResponseItem::CustomToolCallOutput {
                    call_id: call_id.clone(),
                    output: ToolOutput::Text(reason.to_string()),
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unanswered_calls_get_outputs() {
        let history = vec![
            ResponseItem::FunctionCall {
                id: None,
                name: "shell".into(),
                arguments: "{}".into(),
                call_id: "a".into(),
            },
            ResponseItem::FunctionCallOutput {
                call_id: "a".into(),
                output: "done".into(),
            },
            ResponseItem::CustomToolCall {
                id: None,
                status: None,
                call_id: "b".into(),
                name: "apply_patch".into(),
                input: String::new(),
            },
        ];
        assert_eq!(
            close_open_calls(&history, "aborted"),
            vec![ResponseItem::CustomToolCallOutput {
                call_id: "b".into(),
                output: "aborted".into()
            }]
        );
    }

    #[tokio::test]
    async fn input_items_become_one_user_message() {
        let dir = tempfile::tempdir().unwrap();
        let (message, text, images, warnings) = user_message_from_input(
            &[
                InputItem::Text {
                    text: "look".into(),
                },
                InputItem::Image {
                    image_url: "data:image/png;base64,AA==".into(),
                },
                InputItem::LocalImage {
                    path: "missing.png".into(),
                },
                InputItem::FileReference {
                    path: "notes.txt".into(),
                },
            ],
            dir.path(),
        )
        .await;
        assert_eq!(text, "look");
        assert_eq!(images, ["data:image/png;base64,AA=="]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let ResponseItem::Message { content, .. } = message else {
            panic!()
        };
        assert_eq!(content.len(), 3);
        assert!(content[2].text().unwrap().contains("notes.txt"));
    }
}
