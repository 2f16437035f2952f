//! What the model is told before the conversation: zspark's base instructions (sent
//! fresh with every request) and the environment context (recorded once per session).

use std::path::Path;

use codex_protocol::{ApprovalPolicy, ResponseItem, SandboxPolicy};

/// zspark's own base instructions.
pub const BASE_INSTRUCTIONS: &str = "\
You are zspark, a coding agent working in the user's own workspace on their machine. \
You can run shell commands, read and edit files, and keep a short plan. Be direct, accurate \
and careful; the user sees everything you run and every change you make.

How to work:
- Understand before changing: read the relevant files and run the project's own commands \
(build, tests, linters) to learn how it works.
- Make focused changes with the apply_patch tool. Keep the existing style of the code; do not \
reformat or rename things you were not asked to touch.
- Run commands with exec_command. Prefer fast, targeted commands (rg, ls, sed -n) to read code. \
A command still running after its yield time keeps running; poll or talk to it with write_stdin.
- For work of more than a couple of steps, keep a plan with update_plan and update it as you go.
- Check your work: build and run the relevant tests when the project has them, and say plainly \
what you could not check.
- Commands run inside a sandbox chosen by the user. When a command fails because the sandbox \
blocks it (no network, a read-only location) and it truly needs more, run it again with \
sandbox_permissions set to require_escalated and a one-sentence justification; the user decides. \
Never try to get around the sandbox another way.
- Never reveal secrets you come across, and never send the user's data anywhere they did not ask for.

When you answer:
- Be concise. Lead with the result, then what you changed and how you verified it.
- Refer to files by path (and line where it helps). Use Markdown; put code, commands and paths \
in backticks.
- If the request is unclear or risky, ask a short question instead of guessing.";

/// The `<environment_context>` user message: where the agent is and what it may do.
pub fn environment_context(
    cwd: &Path,
    shell: &str,
    approval_policy: ApprovalPolicy,
    sandbox_policy: &SandboxPolicy,
    date: &str,
    timezone: &str,
) -> ResponseItem {
    let shell_name = Path::new(shell)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(shell);
    let network = if sandbox_policy.has_network_access() {
        "enabled"
    } else {
        "restricted"
    };
    let mut text = format!(
        "<environment_context>\n  <cwd>{}</cwd>\n  <shell>{shell_name}</shell>\n  <current_date>{date}</current_date>\n  <timezone>{timezone}</timezone>\n  <approval_policy>{}</approval_policy>\n  <sandbox_mode>{}</sandbox_mode>\n  <network_access>{network}</network_access>\n",
        cwd.display(),
        approval_policy.as_str(),
        sandbox_policy.mode().as_str(),
    );
    if let SandboxPolicy::WorkspaceWrite { writable_roots, .. } = sandbox_policy
        && !writable_roots.is_empty()
    {
        text.push_str("  <writable_roots>\n");
        for root in writable_roots {
            text.push_str(&format!("    <root>{}</root>\n", root.display()));
        }
        text.push_str("  </writable_roots>\n");
    }
    text.push_str("</environment_context>");
    ResponseItem::user_text(text)
}
