//! The tools offered to the model and the dispatch of its calls: a [`ToolRegistry`]
//! of [`ToolHandler`]s built per session, typed [`ToolSpec`]s, and the one command
//! path every command-like tool shares.
//!
//! Names and argument schemas follow Codex's so prompts and skills written for Codex
//! keep working: `exec_command` + `write_stdin` (or the classic `shell`, with
//! `shell_command` answered too), `apply_patch` (freeform or function form),
//! `update_plan`, `view_image`.

pub(crate) mod approval;
mod capture;
mod command;
mod exec;
mod image;
mod patch;
mod plan;
pub mod process;
mod registry;
mod shell;
pub mod spec;
pub mod truncate;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

pub use command::ProcessRegistry;
pub use image::{ImageFileError, MAX_IMAGE_BYTES, image_data_url, image_mime};
pub use process::StdinError;
pub use registry::{RegistryError, ToolFuture, ToolHandler, ToolName, ToolRegistry};
pub use spec::ToolSpec;

use crate::session::{Session, TurnContext};

/// The user chose `cancel` on an approval: the turn stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnCancelled;

/// What the model sent with a call.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolPayload {
    /// A function call's JSON arguments, as the model wrote them.
    Function { arguments: String },
    /// A freeform tool's input.
    Custom { input: String },
}

/// One tool call with everything its handler can reach, owned so the work can
/// outlive the call.
#[derive(Clone)]
pub struct ToolInvocation {
    pub session: Arc<Session>,
    pub turn: Arc<TurnContext>,
    pub call_id: String,
    pub payload: ToolPayload,
}

impl ToolInvocation {
    /// The call's arguments as `T`; the error text is what the model is told.
    pub fn arguments<T: serde::de::DeserializeOwned>(&self) -> Result<T, ArgumentsError> {
        let text = match &self.payload {
            ToolPayload::Function { arguments } => arguments.as_str(),
            ToolPayload::Custom { input } => input.as_str(),
        };
        let text = if text.trim().is_empty() { "{}" } else { text };
        serde_json::from_str(text).map_err(ArgumentsError)
    }
}

/// A tool call's arguments do not fit the tool; the message is what the model is told.
#[derive(Debug, thiserror::Error)]
#[error("failed to parse function arguments: {0}")]
pub struct ArgumentsError(#[source] serde_json::Error);

impl ToolRegistry {
    /// The built-in tools a session configured with `unified_exec` and
    /// `apply_patch_freeform` offers.
    pub fn built_in(unified_exec: bool, apply_patch_freeform: bool) -> Self {
        let registry = Self::default();
        let register = |result: Result<(), RegistryError>| {
            debug_assert!(result.is_ok(), "built-in tools have distinct names");
        };
        if unified_exec {
            register(registry.register(Arc::new(exec::ExecCommand)));
            register(registry.register(Arc::new(exec::WriteStdin)));
            register(registry.register_alias("shell", Arc::new(shell::Shell)));
        } else {
            register(registry.register(Arc::new(shell::Shell)));
        }
        register(registry.register_alias("shell_command", Arc::new(shell::ShellCommand)));
        register(registry.register(Arc::new(patch::ApplyPatch {
            freeform: apply_patch_freeform,
        })));
        register(registry.register(Arc::new(plan::UpdatePlan)));
        register(registry.register(Arc::new(image::ViewImage)));
        registry
    }
}

/// The directory a command runs in: `workdir` below the turn's directory, which must
/// exist.
fn resolve_workdir(invocation: &ToolInvocation, workdir: Option<&str>) -> Result<PathBuf, String> {
    let cwd = match workdir.filter(|dir| !dir.trim().is_empty()) {
        Some(dir) => invocation.turn.cwd.join(dir),
        None => invocation.turn.cwd.clone(),
    };
    if cwd.is_dir() {
        Ok(cwd)
    } else {
        Err(format!(
            "the working directory {} does not exist; pass an existing workdir",
            cwd.display()
        ))
    }
}

/// The arguments every command tool takes for asking to leave the sandbox.
fn escalation_properties() -> Value {
    json!({
        "sandbox_permissions": {
            "type": "string",
            "enum": ["use_default", "require_escalated"],
            "description": "Use require_escalated only when the command cannot work inside the sandbox (for example it needs the network or to write outside the workspace); the user is asked to approve it."
        },
        "justification": {
            "type": "string",
            "description": "When asking for escalation: one sentence telling the user why."
        }
    })
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(extra)) = (target, extra) {
        target.extend(extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_tools_follow_the_features() {
        assert_eq!(
            ToolRegistry::built_in(true, true).offered_names(),
            [
                "exec_command",
                "write_stdin",
                "apply_patch",
                "update_plan",
                "view_image"
            ]
        );
        assert_eq!(
            ToolRegistry::built_in(false, false).offered_names(),
            ["shell", "apply_patch", "update_plan", "view_image"]
        );
        let specs = ToolRegistry::built_in(true, true).specs();
        let freeform = serde_json::to_value(&specs[2]).unwrap();
        assert_eq!(freeform["type"], "custom");
        assert_eq!(freeform["format"]["syntax"], "lark");
        let exec = serde_json::to_value(&specs[0]).unwrap();
        assert_eq!(exec["parameters"]["required"], json!(["cmd"]));
        assert!(exec["parameters"]["properties"]["sandbox_permissions"].is_object());
        let function_patch =
            serde_json::to_value(&ToolRegistry::built_in(false, false).specs()[1]).unwrap();
        assert_eq!(function_patch["type"], "function");
        let registry = ToolRegistry::built_in(true, true);
        assert!(
            registry.lookup(None, "shell").is_some()
                && registry.lookup(None, "shell_command").is_some()
        );
    }
}
