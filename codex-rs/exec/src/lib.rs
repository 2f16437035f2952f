//! `zspark exec`: runs one agent task headless through the runtime's queue pair and
//! prints what happens. Exit status 0 when the turn completes, 1 when it fails or
//! cannot start, 130 when it is interrupted. Also `zspark mcp` ([`mcp`]), the MCP
//! servers of `config.toml`.

mod cli;
pub mod mcp;
mod render;
pub mod sdk_json;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use codex_core::config::Env;
use codex_core::rollout::{find_session_file, list_sessions, load_rollout};
use codex_core::{
    Codex, ConfigOverrides, SessionSource, ThreadStart, find_codex_home, load_config,
};
use codex_protocol::{EventMsg, InputItem, Op, ReviewDecision, TurnOverrides, display_command};

pub use cli::{ApprovalArg, ExecArgs, ExecCommand, OutputMode, ResumeArgs, SandboxArg, SharedArgs};

use render::HumanOutput;
use sdk_json::{SdkEvent, SdkStream, write_events};

/// What `run` needs from the process it runs in.
pub struct Process<Out: Write, Err: Write> {
    pub env: Env,
    pub cwd: PathBuf,
    pub stdout: Out,
    pub stderr: Err,
    /// Whether approval questions can be asked on the terminal.
    pub interactive: bool,
    /// Text read when the prompt is `-` or missing.
    pub stdin_prompt: Option<String>,
}

impl Process<std::io::Stdout, std::io::Stderr> {
    /// The real process: its environment, directory, streams and terminal.
    pub fn current() -> std::io::Result<Self> {
        Ok(Self {
            env: std::env::vars().collect(),
            cwd: std::env::current_dir()?,
            stdout: std::io::stdout(),
            stderr: std::io::stderr(),
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            stdin_prompt: None,
        })
    }
}

/// Runs `zspark exec` with `args`.
pub async fn run<Out: Write, Err: Write>(
    args: ExecArgs,
    mut process: Process<Out, Err>,
) -> ExitCode {
    let (shared, resume, prompt) = match args.command {
        Some(ExecCommand::Resume(resume)) => {
            let resume = resume.normalised();
            let shared = args.shared.merged_with(resume.shared.clone());
            (shared, Some(resume.clone()), resume.prompt)
        }
        None => (args.shared, None, args.prompt),
    };
    match run_inner(shared, resume, prompt, &mut process).await {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(process.stderr, "zspark exec: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run_inner<Out: Write, Err: Write>(
    shared: SharedArgs,
    resume: Option<ResumeArgs>,
    prompt: Option<String>,
    process: &mut Process<Out, Err>,
) -> Result<ExitCode, String> {
    let codex_home = find_codex_home(&process.env).map_err(|e| e.to_string())?;
    let mut cwd = match &shared.cwd {
        Some(dir) => process.cwd.join(dir),
        None => process.cwd.clone(),
    };
    if !cwd.is_dir() {
        return Err(format!("{} is not a directory", cwd.display()));
    }
    let start = match &resume {
        None => ThreadStart::new(),
        Some(resume) => {
            let path = session_to_resume(&codex_home, resume)?;
            if shared.cwd.is_none()
                && let Some(session_cwd) = load_rollout(&path).ok().and_then(|loaded| loaded.cwd)
                && session_cwd.is_dir()
            {
                cwd = session_cwd;
            }
            ThreadStart::resume(path)
        }
    };
    // A file that is not there fails now, before anything is sent.
    for image in &shared.image {
        let path = cwd.join(image);
        if !path.is_file() {
            return Err(format!(
                "cannot attach {}: no such file (paths given with -i/--image are relative to {})",
                path.display(),
                cwd.display()
            ));
        }
    }
    let mut output_schema = match &shared.output_schema {
        Some(path) => Some(read_output_schema(&process.cwd.join(path))?),
        None => None,
    };
    let prompt = read_prompt(prompt, process)?;
    let overrides = ConfigOverrides {
        model: shared.model.clone(),
        model_provider: shared.provider.clone(),
        sandbox_mode: shared.sandbox.map(Into::into),
        approval_policy: shared.approval.map(Into::into),
        profile: shared.profile.clone(),
        config_overrides: shared.config.clone(),
        additional_writable_roots: shared
            .add_dir
            .iter()
            .map(|dir| process.cwd.join(dir))
            .collect(),
        thread_source: shared.thread_source.clone().filter(|_| resume.is_none()),
    };
    let loaded = load_config(
        &codex_home,
        &cwd,
        &overrides,
        process.env.clone(),
        SessionSource::Exec,
    )
    .map_err(|error| error.to_string())?;

    let mut codex = Codex::new();
    let thread = codex
        .start_thread(loaded, start)
        .await
        .map_err(|e| e.to_string())?;
    // Images first, then the words, as Codex sends them.
    let mut items: Vec<InputItem> = shared
        .image
        .iter()
        .map(|path| InputItem::LocalImage {
            path: cwd.join(path),
        })
        .collect();
    items.push(InputItem::Text { text: prompt });
    let mode = shared.output_mode();
    let mut output = HumanOutput::new(&mut process.stdout, &mut process.stderr);
    let mut sdk = SdkStream::default();
    // SDK lines made before `thread.started` (warnings while the thread starts) follow it.
    let mut before_thread_started: Option<Vec<SdkEvent>> = Some(Vec::new());
    let mut exit = ExitCode::FAILURE;
    let mut interrupted = false;
    loop {
        let event = tokio::select! {
            event = codex.next_event() => event,
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                let _ = codex.submit(&thread, Op::Interrupt).await;
                continue;
            }
        };
        let Some(event) = event else {
            break;
        };
        // A sub-agent's events come through too: printed with --json (each names its
        // thread), its approvals asked, but only the root's turn ends the run.
        let from_root = event.thread_id == thread;
        let asker = if from_root { "" } else { "(a sub-agent) " };
        match mode {
            OutputMode::RuntimeEvents => {
                if let Ok(line) = serde_json::to_string(&event) {
                    let _ = writeln!(output.out, "{line}");
                }
            }
            OutputMode::SdkJson if from_root => {
                let events = sdk.events(&event.msg);
                let started = matches!(event.msg, EventMsg::SessionConfigured(_));
                match before_thread_started.as_mut() {
                    Some(waiting) if !started => waiting.extend(events),
                    Some(_) => {
                        let waiting = before_thread_started.take().unwrap_or_default();
                        write_events(&mut output.out, &events);
                        write_events(&mut output.out, &waiting);
                    }
                    None => write_events(&mut output.out, &events),
                }
            }
            OutputMode::SdkJson => {}
            OutputMode::Human => {
                if let EventMsg::SessionConfigured(configured) = &event.msg {
                    if from_root {
                        output.header(configured);
                    }
                } else if from_root {
                    output.event(&event.msg);
                }
            }
        }
        let source = event.thread_id.clone();
        match event.msg {
            _ if !from_root && !asks_approval(&event.msg) => {}
            EventMsg::SessionConfigured(_) => {
                codex
                    .submit(
                        &thread,
                        Op::UserTurn {
                            items: std::mem::take(&mut items),
                            overrides: TurnOverrides {
                                output_schema: output_schema.take(),
                                ..TurnOverrides::default()
                            },
                        },
                    )
                    .await
                    .map_err(|e| e.to_string())?;
            }
            EventMsg::Error {
                will_retry: None,
                message,
            } if !items.is_empty() => {
                // Before the first turn: the session could not start.
                return Err(message);
            }
            EventMsg::ExecApprovalRequest(request) => {
                let question = format!("{asker}Run `{}`?", display_command(&request.command));
                let decision = decide(
                    process.interactive,
                    &question,
                    request.reason.as_deref(),
                    &mut output,
                )
                .await;
                let op = Op::ExecApproval {
                    call_id: request.call_id,
                    decision,
                };
                codex.submit(&source, op).await.map_err(|e| e.to_string())?;
            }
            EventMsg::ApplyPatchApprovalRequest(request) => {
                let files: Vec<String> = request
                    .changes
                    .keys()
                    .map(|path| path.display().to_string())
                    .collect();
                let question = format!("{asker}Apply changes to {}?", files.join(", "));
                let decision = decide(
                    process.interactive,
                    &question,
                    request.reason.as_deref(),
                    &mut output,
                )
                .await;
                let op = Op::PatchApproval {
                    call_id: request.call_id,
                    decision,
                };
                codex.submit(&source, op).await.map_err(|e| e.to_string())?;
            }
            EventMsg::McpToolApprovalRequest(request) => {
                let question = format!(
                    "{asker}Allow the {} MCP server to run its tool `{}` with {}?",
                    request.server, request.tool, request.arguments
                );
                let decision = decide(process.interactive, &question, None, &mut output).await;
                let op = Op::ExecApproval {
                    call_id: request.call_id,
                    decision,
                };
                codex.submit(&source, op).await.map_err(|e| e.to_string())?;
            }
            EventMsg::TurnComplete { .. }
            | EventMsg::TurnFailed { .. }
            | EventMsg::TurnAborted { .. } => {
                if let (
                    Some(path),
                    EventMsg::TurnComplete {
                        last_agent_message, ..
                    },
                ) = (&shared.output_last_message, &event.msg)
                {
                    let answer = last_agent_message.as_deref().unwrap_or_default();
                    if let Err(error) = std::fs::write(process.cwd.join(path), answer) {
                        output.line(&format!(
                            "could not write the final answer to {}: {error}",
                            path.display()
                        ));
                    }
                }
                exit = match event.msg {
                    EventMsg::TurnComplete { .. } => ExitCode::SUCCESS,
                    EventMsg::TurnAborted { .. } => ExitCode::from(130),
                    _ => ExitCode::FAILURE,
                };
                codex
                    .submit(&thread, Op::Shutdown)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            EventMsg::ShutdownComplete => break,
            _ => {}
        }
    }
    let _ = output.out.flush();
    Ok(exit)
}

/// Whether `msg` waits for the user's answer.
fn asks_approval(msg: &EventMsg) -> bool {
    matches!(
        msg,
        EventMsg::ExecApprovalRequest(_)
            | EventMsg::ApplyPatchApprovalRequest(_)
            | EventMsg::McpToolApprovalRequest(_)
    )
}

fn session_to_resume(codex_home: &Path, resume: &ResumeArgs) -> Result<PathBuf, String> {
    if resume.last {
        return list_sessions(codex_home)
            .into_iter()
            .next()
            .map(|session| session.path)
            .ok_or_else(|| {
                format!(
                    "there are no sessions in {} to resume",
                    codex_home.join("sessions").display()
                )
            });
    }
    let id = resume.session_id.as_deref().unwrap_or_default();
    // A rollout file named by its path (a shared session's local copy, say).
    if id.ends_with(".jsonl") && Path::new(id).is_file() {
        return Ok(PathBuf::from(id));
    }
    find_session_file(codex_home, id).ok_or_else(|| {
        format!(
            "no session with id `{id}` (or more than one starts with it); use --last or a longer id"
        )
    })
}

/// The JSON Schema in `path`, which must be a JSON object.
fn read_output_schema(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        format!(
            "could not read the output schema {}: {error}",
            path.display()
        )
    })?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(schema) if schema.is_object() => Ok(schema),
        Ok(_) => Err(format!(
            "the output schema {} is not a JSON object; give a JSON Schema such as {{\"type\": \"object\", ...}}",
            path.display()
        )),
        Err(error) => Err(format!(
            "the output schema {} is not valid JSON: {error}",
            path.display()
        )),
    }
}

fn read_prompt<Out: Write, Err: Write>(
    prompt: Option<String>,
    process: &mut Process<Out, Err>,
) -> Result<String, String> {
    let text = match prompt.filter(|prompt| prompt != "-") {
        Some(prompt) => prompt,
        None => match process.stdin_prompt.take() {
            Some(text) => text,
            None => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|error| format!("could not read the prompt from stdin: {error}"))?;
                text
            }
        },
    };
    if text.trim().is_empty() {
        return Err("no prompt given: pass it as an argument or on stdin".to_string());
    }
    Ok(text)
}

/// Asks on the terminal, or declines when nobody can be asked.
async fn decide<Out: Write, Err: Write>(
    interactive: bool,
    question: &str,
    reason: Option<&str>,
    output: &mut HumanOutput<Out, Err>,
) -> ReviewDecision {
    if let Some(reason) = reason {
        output.line(&format!("reason: {reason}"));
    }
    if !interactive {
        output.line(&format!(
            "{question} Declined: approval is needed but there is no terminal to ask on. Run interactively, or choose --approval never to run without asking."
        ));
        return ReviewDecision::Decline;
    }
    output.line(&format!(
        "{question} [y]es / [a]lways this session / [n]o / [c]ancel the turn"
    ));
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await;
    match answer.ok().and_then(Result::ok).as_deref().map(str::trim) {
        Some("y" | "Y" | "yes") => ReviewDecision::Accept,
        Some("a" | "A" | "always") => ReviewDecision::AcceptForSession,
        Some("c" | "C" | "cancel") => ReviewDecision::Cancel,
        _ => ReviewDecision::Decline,
    }
}
