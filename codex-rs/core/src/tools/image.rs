//! `view_image`: attach a local image to the conversation so the model can see it.

use std::path::{Path, PathBuf};

use base64::Engine;
use codex_protocol::{ContentItem, EventMsg, ToolOutput};
use serde::Deserialize;
use serde_json::json;

use super::ToolInvocation;
use super::registry::{ToolFuture, ToolHandler};
use super::spec::{FunctionTool, ToolSpec};

/// Images larger than this are refused rather than sent.
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct ViewImageArgs {
    path: String,
}

/// `view_image`.
pub struct ViewImage;

impl ToolHandler for ViewImage {
    fn spec(&self) -> ToolSpec {
        ToolSpec::Function(FunctionTool::new(
            "view_image",
            "Look at an image file on disk (PNG, JPEG, GIF or WebP). The image is added to the conversation.",
            json!({"path": {"type": "string", "description": "Path of the image, relative to the working directory or absolute."}}),
            &["path"],
        ))
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(async move {
            Ok(match invocation.arguments() {
                Ok(args) => view_image(&invocation, args).await,
                Err(error) => ToolOutput::Text(error.to_string()),
            })
        })
    }
}

async fn view_image(invocation: &ToolInvocation, args: ViewImageArgs) -> ToolOutput {
    let path = invocation.turn.cwd.join(&args.path);
    match image_data_url(&path).await {
        Ok(url) => {
            invocation
                .session
                .emit_recorded(
                    &invocation.turn.submission_id,
                    EventMsg::ViewImage {
                        call_id: invocation.call_id.clone(),
                        path: path.clone(),
                    },
                )
                .await;
            ToolOutput::Content(vec![
                ContentItem::InputText {
                    text: format!("attached image {}", path.display()),
                },
                ContentItem::InputImage {
                    image_url: url,
                    detail: None,
                },
            ])
        }
        Err(message) => ToolOutput::Text(format!("view_image failed: {message}")),
    }
}

/// Why a file cannot be sent to the model as an image.
#[derive(Debug, thiserror::Error)]
pub enum ImageFileError {
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a file", .0.display())]
    NotAFile(PathBuf),
    #[error("{} is {} MB; images up to {} MB can be attached", path.display(), bytes / (1024 * 1024), MAX_IMAGE_BYTES / (1024 * 1024))]
    TooLarge { path: PathBuf, bytes: u64 },
    #[error("{} is not a PNG, JPEG, GIF or WebP image", .0.display())]
    NotAnImage(PathBuf),
}

/// The file at `path` as a `data:` URL, checking that it is a supported image of
/// reasonable size.
pub async fn image_data_url(path: &Path) -> Result<String, ImageFileError> {
    let unreadable = |source| ImageFileError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let metadata = tokio::fs::metadata(path).await.map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(ImageFileError::NotAFile(path.to_path_buf()));
    }
    if metadata.len() > MAX_IMAGE_BYTES {
        return Err(ImageFileError::TooLarge {
            path: path.to_path_buf(),
            bytes: metadata.len(),
        });
    }
    let bytes = tokio::fs::read(path).await.map_err(unreadable)?;
    let mime = image_mime(&bytes).ok_or_else(|| ImageFileError::NotAnImage(path.to_path_buf()))?;
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    ))
}

/// The media type of an image, from its first bytes.
pub fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}
