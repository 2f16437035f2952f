//! Turning user input into a conversation item (and a recorded one back into what the
//! user sent), and keeping the history valid when a turn stops half-way.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use codex_protocol::{ContentItem, InputItem, ResponseItem, Role, ToolOutput};

use crate::context::explicit_skill_text;
use crate::tools::image_data_url;

/// What the model is told about a file attached by reference.
const ATTACHED_FILE_NOTE: &str =
    "The user attached this file; read it with your tools if it is relevant.";

/// A turn's input as one user message, with what front-ends show of it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    pub message: ResponseItem,
    /// The typed text alone.
    pub text: String,
    /// The images, as URLs (`data:` URLs for local files).
    pub images: Vec<String>,
    /// Files attached by reference, as the model was given them.
    pub files: Vec<PathBuf>,
    /// Skills the user picked.
    pub skills: Vec<String>,
    /// Input that could not be used (an unreadable image or skill).
    pub warnings: Vec<String>,
}

/// The user message for `input`; relative paths are taken from `cwd`.
pub async fn user_message_from_input(input: &[InputItem], cwd: &Path) -> UserInput {
    let mut content = Vec::new();
    let mut text = String::new();
    let mut images = Vec::new();
    let mut files = Vec::new();
    let mut skills = Vec::new();
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
                Ok(text) => {
                    skills.push(name.clone());
                    content.push(ContentItem::InputText { text });
                }
                Err(error) => warnings.push(error.to_string()),
            },
            InputItem::FileReference { path } => {
                let path = cwd.join(path);
                content.push(ContentItem::InputText {
                    text: format!(
                        "<attached_file path=\"{}\">{ATTACHED_FILE_NOTE}</attached_file>",
                        path.display()
                    ),
                });
                files.push(path);
            }
        }
    }
    UserInput {
        message: ResponseItem::Message {
            id: None,
            role: Role::User,
            content,
        },
        text,
        images,
        files,
        skills,
        warnings,
    }
}

/// What a recorded user message held, for showing it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserMessageParts {
    /// The typed text, without the notes for attached files and picked skills.
    pub text: String,
    pub images: usize,
    pub files: Vec<PathBuf>,
    pub skills: Vec<String>,
}

/// Splits a recorded user message's content into what the user typed and attached.
pub fn user_message_parts(content: &[ContentItem]) -> UserMessageParts {
    let mut parts = UserMessageParts::default();
    for item in content {
        match item {
            ContentItem::InputImage { .. } => parts.images += 1,
            ContentItem::InputText { text } | ContentItem::OutputText { text } => {
                if let Some(path) = attached_file_path(text) {
                    parts.files.push(path);
                } else if let Some(name) = picked_skill_name(text) {
                    parts.skills.push(name);
                } else {
                    if !parts.text.is_empty() {
                        parts.text.push('\n');
                    }
                    parts.text.push_str(text);
                }
            }
        }
    }
    parts
}

fn attached_file_path(text: &str) -> Option<PathBuf> {
    let path = text
        .strip_prefix("<attached_file path=\"")?
        .strip_suffix("</attached_file>")?
        .strip_suffix(ATTACHED_FILE_NOTE)?
        .strip_suffix("\">")?;
    Some(PathBuf::from(path))
}

fn picked_skill_name(text: &str) -> Option<String> {
    let rest = text.strip_prefix("<skill>\n<name>")?;
    let (name, _) = rest.split_once("</name>")?;
    Some(name.to_string())
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
                namespace: None,
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
    async fn input_items_become_one_user_message_and_split_back() {
        let dir = tempfile::tempdir().unwrap();
        let skill = dir.path().join("SKILL.md");
        std::fs::write(&skill, "---\nname: deck\ndescription: d\n---\nbody").unwrap();
        let input = user_message_from_input(
            &[
                InputItem::Text {
                    text: "look".into(),
                },
                InputItem::Skill {
                    name: "deck".into(),
                    path: skill,
                },
                InputItem::Image {
                    image_url: "data:image/png;base64,AA==".into(),
                },
                InputItem::LocalImage {
                    path: "missing.png".into(),
                },
                InputItem::FileReference {
                    path: "notes \"v2\".txt".into(),
                },
            ],
            dir.path(),
        )
        .await;
        assert_eq!(input.text, "look");
        assert_eq!(input.images, ["data:image/png;base64,AA=="]);
        assert_eq!(input.files, [dir.path().join("notes \"v2\".txt")]);
        assert_eq!(input.skills, ["deck"]);
        assert_eq!(input.warnings.len(), 1, "{:?}", input.warnings);
        let ResponseItem::Message { content, .. } = &input.message else {
            panic!()
        };
        assert_eq!(content.len(), 4);
        assert!(content[3].text().unwrap().contains("notes \"v2\".txt"));
        assert_eq!(
            user_message_parts(content),
            UserMessageParts {
                text: "look".into(),
                images: 1,
                files: input.files.clone(),
                skills: vec!["deck".into()],
            }
        );
    }
}
