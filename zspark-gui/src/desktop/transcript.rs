//! The conversation as the desktop shows it: a list of items (messages, reasoning,
//! commands with their output, file changes, plans, approval requests, errors, the
//! files a turn produced) built from the runtime's events as they stream, or from a
//! resumed session's history. Pure data: the views read it, nothing here draws.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use codex_apply_patch::{ChunkLine, Hunk};
use codex_core::rollout::is_user_turn_message;
use codex_core::user_message_parts;
use codex_protocol::{EventMsg, FileChange, PlanUpdate, ResponseItem, ReviewDecision, Role};
use zspark_core::Artifact;

/// One thing in the conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    User {
        text: String,
        images: usize,
        /// Files attached by reference.
        files: Vec<PathBuf>,
        /// Skills picked for the message.
        skills: Vec<String>,
    },
    Agent {
        text: String,
        streaming: bool,
    },
    Reasoning {
        text: String,
        started: Option<Instant>,
        duration: Option<Duration>,
    },
    Command(CommandRun),
    Patch(PatchItem),
    Plan(PlanUpdate),
    Approval(ApprovalItem),
    Error {
        message: String,
    },
    Notice {
        message: String,
    },
    /// The files a turn created or changed.
    Artifacts(Vec<Artifact>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommandRun {
    pub call_id: String,
    pub command_line: String,
    pub cwd: Option<PathBuf>,
    pub output: String,
    pub exit_code: Option<i32>,
    pub duration: Option<Duration>,
    pub running: bool,
    pub killed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchItem {
    pub call_id: String,
    pub files: Vec<FileDiff>,
    pub status: PatchStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PatchStatus {
    Applying,
    Applied,
    Failed(String),
    /// From a resumed session: the patch text as the model wrote it.
    Recorded,
}

/// One file of a change, as a unified diff with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDiff {
    pub path: PathBuf,
    pub added: usize,
    pub removed: usize,
    pub diff: String,
}

impl FileDiff {
    pub fn from_change(path: PathBuf, change: &FileChange) -> Self {
        let diff = match change {
            FileChange::Add { content } => prefix_lines(content, '+'),
            FileChange::Delete { content } => prefix_lines(content, '-'),
            FileChange::Update { unified_diff, .. } => unified_diff.clone(),
        };
        Self::from_diff(path, diff)
    }

    fn from_diff(path: PathBuf, diff: String) -> Self {
        let count = |sign: char, header: &str| {
            diff.lines()
                .filter(|line| line.starts_with(sign) && !line.starts_with(header))
                .count()
        };
        Self {
            added: count('+', "+++"),
            removed: count('-', "---"),
            path,
            diff,
        }
    }
}

fn prefix_lines(content: &str, sign: char) -> String {
    content
        .lines()
        .map(|line| format!("{sign}{line}\n"))
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalItem {
    pub call_id: String,
    pub request: ApprovalRequest,
    pub reason: Option<String>,
    pub answer: Option<ReviewDecision>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApprovalRequest {
    Command { command_line: String, cwd: PathBuf },
    Patch { files: Vec<FileDiff> },
}

/// The conversation of one session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub items: Vec<Item>,
}

impl Transcript {
    /// The conversation stored in a session's history.
    pub fn from_history(history: &[ResponseItem]) -> Self {
        let mut transcript = Self::default();
        let mut calls: BTreeMap<String, usize> = BTreeMap::new();
        for item in history {
            match item {
                ResponseItem::Message {
                    role: Role::User,
                    content,
                    ..
                } if is_user_turn_message(item) => {
                    let parts = user_message_parts(content);
                    transcript.items.push(Item::User {
                        text: parts.text,
                        images: parts.images,
                        files: parts.files,
                        skills: parts.skills,
                    });
                }
                ResponseItem::Message {
                    role: Role::Assistant,
                    ..
                } => transcript.items.push(Item::Agent {
                    text: item.message_text().unwrap_or_default(),
                    streaming: false,
                }),
                ResponseItem::Reasoning { summary, .. } if !summary.is_empty() => {
                    let text = summary
                        .iter()
                        .map(
                            |codex_protocol::items::ReasoningSummary::SummaryText { text }| {
                                text.as_str()
                            },
                        )
                        .collect::<Vec<_>>()
                        .join("\n\n");
                    // Finished, so later reasoning does not continue it.
                    transcript.items.push(Item::Reasoning {
                        text,
                        started: None,
                        duration: Some(Duration::ZERO),
                    });
                }
                ResponseItem::FunctionCall {
                    name,
                    arguments,
                    call_id,
                    ..
                } => {
                    if let Some(recorded) = recorded_call(call_id, name, arguments) {
                        calls.insert(call_id.clone(), transcript.items.len());
                        transcript.items.push(recorded);
                    }
                }
                ResponseItem::CustomToolCall {
                    call_id,
                    name,
                    input,
                    ..
                } if name == "apply_patch" => {
                    calls.insert(call_id.clone(), transcript.items.len());
                    transcript.items.push(recorded_patch(call_id, input));
                }
                ResponseItem::FunctionCallOutput { call_id, output }
                | ResponseItem::CustomToolCallOutput { call_id, output } => {
                    if let Some(Item::Command(run)) = calls
                        .get(call_id)
                        .and_then(|index| transcript.items.get_mut(*index))
                    {
                        (run.output, run.exit_code) = recorded_output(output.text());
                    }
                }
                _ => {}
            }
        }
        transcript
    }

    /// Folds one runtime event into the conversation.
    pub fn apply(&mut self, msg: &EventMsg) {
        match msg {
            EventMsg::UserMessage {
                message,
                images,
                files,
                skills,
            } => self.items.push(Item::User {
                text: message.clone(),
                images: images.len(),
                files: files.clone(),
                skills: skills.clone(),
            }),
            EventMsg::AgentMessageDelta { delta } => match self.items.last_mut() {
                Some(Item::Agent {
                    text,
                    streaming: true,
                }) => text.push_str(delta),
                _ => self.items.push(Item::Agent {
                    text: delta.clone(),
                    streaming: true,
                }),
            },
            EventMsg::AgentMessage { message } => match self.items.last_mut() {
                Some(Item::Agent { text, streaming }) if *streaming => {
                    *text = message.clone();
                    *streaming = false;
                }
                _ => self.items.push(Item::Agent {
                    text: message.clone(),
                    streaming: false,
                }),
            },
            EventMsg::AgentReasoningDelta { delta } => match self.open_reasoning() {
                Some(Item::Reasoning { text, .. }) => text.push_str(delta),
                _ => self.items.push(Item::Reasoning {
                    text: delta.clone(),
                    started: Some(Instant::now()),
                    duration: None,
                }),
            },
            EventMsg::AgentReasoning { text: full } => match self.open_reasoning() {
                Some(Item::Reasoning {
                    text,
                    started,
                    duration,
                }) => {
                    *text = full.clone();
                    *duration = Some(started.map(|at| at.elapsed()).unwrap_or_default());
                }
                _ => self.items.push(Item::Reasoning {
                    text: full.clone(),
                    started: None,
                    duration: Some(Duration::ZERO),
                }),
            },
            EventMsg::ExecCommandBegin(begin) => {
                self.close_reasoning();
                self.items.push(Item::Command(CommandRun {
                    call_id: begin.call_id.clone(),
                    command_line: codex_exec::display_command(&begin.command),
                    cwd: Some(begin.cwd.clone()),
                    output: String::new(),
                    exit_code: None,
                    duration: None,
                    running: true,
                    killed: false,
                }));
            }
            EventMsg::ExecCommandOutputDelta { call_id, chunk, .. } => {
                if let Some(run) = self.command_mut(call_id) {
                    run.output.push_str(chunk);
                }
            }
            EventMsg::ExecCommandEnd(end) => {
                if let Some(run) = self.command_mut(&end.call_id) {
                    run.output = end.output.clone();
                    run.exit_code = end.exit_code;
                    run.duration = Some(Duration::from_millis(end.duration_ms));
                    run.running = false;
                    run.killed = end.killed;
                }
            }
            EventMsg::PatchApplyBegin {
                call_id, changes, ..
            } => {
                self.close_reasoning();
                self.items.push(Item::Patch(PatchItem {
                    call_id: call_id.clone(),
                    files: diffs(changes),
                    status: PatchStatus::Applying,
                }));
            }
            EventMsg::PatchApplyEnd {
                call_id,
                success,
                output,
            } => {
                if let Some(Item::Patch(patch)) =
                    self.items.iter_mut().rev().find(
                        |item| matches!(item, Item::Patch(patch) if patch.call_id == *call_id),
                    )
                {
                    patch.status = if *success {
                        PatchStatus::Applied
                    } else {
                        PatchStatus::Failed(output.clone())
                    };
                }
            }
            EventMsg::PlanUpdate(plan) => {
                // One plan card per turn, updated in place.
                match self
                    .items
                    .iter_mut()
                    .rev()
                    .take_while(|item| !matches!(item, Item::User { .. }))
                    .find_map(|item| match item {
                        Item::Plan(existing) => Some(existing),
                        _ => None,
                    }) {
                    Some(existing) => *existing = plan.clone(),
                    None => self.items.push(Item::Plan(plan.clone())),
                }
            }
            EventMsg::ExecApprovalRequest(request) => {
                self.close_reasoning();
                self.items.push(Item::Approval(ApprovalItem {
                    call_id: request.call_id.clone(),
                    request: ApprovalRequest::Command {
                        command_line: codex_exec::display_command(&request.command),
                        cwd: request.cwd.clone(),
                    },
                    reason: request.reason.clone(),
                    answer: None,
                }));
            }
            EventMsg::ApplyPatchApprovalRequest(request) => {
                self.close_reasoning();
                self.items.push(Item::Approval(ApprovalItem {
                    call_id: request.call_id.clone(),
                    request: ApprovalRequest::Patch {
                        files: diffs(&request.changes),
                    },
                    reason: request.reason.clone(),
                    answer: None,
                }));
            }
            EventMsg::Error {
                message,
                will_retry: Some(retry),
            } => {
                // The partial answer is replaced by the retried one.
                if matches!(
                    self.items.last(),
                    Some(Item::Agent {
                        streaming: true,
                        ..
                    })
                ) {
                    self.items.pop();
                }
                self.items.push(Item::Notice {
                    message: format!(
                        "{message} Retrying ({}/{}) in {:.1} s…",
                        retry.attempt,
                        retry.max_attempts,
                        retry.delay_ms as f64 / 1000.0
                    ),
                });
            }
            EventMsg::Error {
                message,
                will_retry: None,
            }
            | EventMsg::TurnFailed { message, .. } => {
                self.finish_streaming();
                self.items.push(Item::Error {
                    message: message.clone(),
                });
            }
            EventMsg::Warning { message } => self.items.push(Item::Notice {
                message: message.clone(),
            }),
            EventMsg::ContextCompacted { automatic, .. } => self.items.push(Item::Notice {
                message: if *automatic {
                    "The context window was nearly full; the conversation so far was summarised."
                        .to_string()
                } else {
                    "The conversation so far was summarised.".to_string()
                },
            }),
            EventMsg::TurnAborted { .. } => {
                self.finish_streaming();
                self.items.push(Item::Notice {
                    message: "Stopped.".to_string(),
                });
            }
            EventMsg::TurnComplete { .. } => self.finish_streaming(),
            EventMsg::ThreadRolledBack { history, .. } => *self = Self::from_history(history),
            _ => {}
        }
    }

    /// Records the user's answer on the approval card.
    pub fn answer(&mut self, call_id: &str, decision: ReviewDecision) {
        for item in self.items.iter_mut().rev() {
            if let Item::Approval(approval) = item
                && approval.call_id == call_id
            {
                approval.answer = Some(decision);
                return;
            }
        }
    }

    /// The oldest approval still waiting for an answer.
    pub fn pending_approval(&self) -> Option<&ApprovalItem> {
        self.items.iter().find_map(|item| match item {
            Item::Approval(approval) if approval.answer.is_none() => Some(approval),
            _ => None,
        })
    }

    /// How many user messages come before item `index` (the n for "fork before").
    pub fn user_messages_before(&self, index: usize) -> usize {
        self.items[..index.min(self.items.len())]
            .iter()
            .filter(|item| matches!(item, Item::User { .. }))
            .count()
    }

    /// How many user turns start at or after item `index` (the n for a rollback).
    pub fn user_turns_from(&self, index: usize) -> usize {
        self.items
            .iter()
            .skip(index)
            .filter(|item| matches!(item, Item::User { .. }))
            .count()
    }

    fn open_reasoning(&mut self) -> Option<&mut Item> {
        match self.items.last_mut() {
            Some(item @ Item::Reasoning { duration: None, .. }) => Some(item),
            _ => None,
        }
    }

    fn close_reasoning(&mut self) {
        if let Some(Item::Reasoning {
            started, duration, ..
        }) = self.open_reasoning()
        {
            *duration = Some(started.map(|at| at.elapsed()).unwrap_or_default());
        }
    }

    /// Ends streaming and running states when a turn ends however it ends.
    fn finish_streaming(&mut self) {
        self.close_reasoning();
        for item in &mut self.items {
            match item {
                Item::Agent { streaming, .. } => *streaming = false,
                Item::Command(run) if run.running => {
                    run.running = false;
                    run.killed = true;
                }
                Item::Approval(approval) if approval.answer.is_none() => {
                    approval.answer = Some(ReviewDecision::Cancel);
                }
                _ => {}
            }
        }
    }

    fn command_mut(&mut self, call_id: &str) -> Option<&mut CommandRun> {
        self.items.iter_mut().rev().find_map(|item| match item {
            Item::Command(run) if run.call_id == call_id => Some(run),
            _ => None,
        })
    }
}

fn diffs(changes: &BTreeMap<PathBuf, FileChange>) -> Vec<FileDiff> {
    changes
        .iter()
        .map(|(path, change)| FileDiff::from_change(path.clone(), change))
        .collect()
}

/// A recorded tool call as a conversation item: commands and patches; other tools
/// (plans, images, stdin writes) leave no card.
fn recorded_call(call_id: &str, name: &str, arguments: &str) -> Option<Item> {
    let arguments: serde_json::Value = serde_json::from_str(arguments).ok()?;
    let command_line = match name {
        "exec_command" => arguments.get("cmd")?.as_str()?.to_string(),
        "shell" => {
            let words: Vec<String> = arguments
                .get("command")?
                .as_array()?
                .iter()
                .filter_map(|word| word.as_str().map(str::to_string))
                .collect();
            codex_exec::display_command(&words)
        }
        "apply_patch" => {
            return Some(recorded_patch(call_id, arguments.get("input")?.as_str()?));
        }
        _ => return None,
    };
    Some(Item::Command(CommandRun {
        call_id: call_id.to_string(),
        command_line,
        cwd: None,
        output: String::new(),
        exit_code: None,
        duration: None,
        running: false,
        killed: false,
    }))
}

/// A recorded `apply_patch` call as a change card: one diff per file when the patch
/// parses, else the patch text as the model wrote it.
fn recorded_patch(call_id: &str, patch: &str) -> Item {
    let files = match codex_apply_patch::parse_patch(patch) {
        Ok(parsed) => parsed.hunks.iter().map(hunk_diff).collect(),
        Err(_) => vec![FileDiff::from_diff(
            PathBuf::from("patch"),
            patch.to_string(),
        )],
    };
    Item::Patch(PatchItem {
        call_id: call_id.to_string(),
        files,
        status: PatchStatus::Recorded,
    })
}

/// One file of a parsed patch as a unified-style diff.
fn hunk_diff(hunk: &Hunk) -> FileDiff {
    let diff = match hunk {
        Hunk::Add { contents, .. } => prefix_lines(contents, '+'),
        Hunk::Delete { .. } => String::new(),
        Hunk::Update { chunks, .. } => chunks
            .iter()
            .map(|chunk| {
                let mut text = format!("@@ {}\n", chunk.context.as_deref().unwrap_or_default());
                for line in &chunk.lines {
                    let (sign, line) = match line {
                        ChunkLine::Context(line) => (' ', line),
                        ChunkLine::Remove(line) => ('-', line),
                        ChunkLine::Add(line) => ('+', line),
                    };
                    text.push(sign);
                    text.push_str(line);
                    text.push('\n');
                }
                text
            })
            .collect(),
    };
    FileDiff::from_diff(hunk.path().clone(), diff)
}

/// The output and exit code of a recorded command: `shell` answers in JSON
/// (`output`, `metadata.exit_code`), `exec_command` in text.
fn recorded_output(text: String) -> (String, Option<i32>) {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(output) = value.get("output").and_then(serde_json::Value::as_str)
    {
        let code = value
            .pointer("/metadata/exit_code")
            .and_then(serde_json::Value::as_i64)
            .and_then(|code| i32::try_from(code).ok());
        return (output.to_string(), code);
    }
    let code = exit_code_in(&text);
    // `exec_command` answers with a header (wall time, status, token count) before
    // `Output:`; the card shows the status itself.
    let body = match text.split_once("\nOutput:\n") {
        Some((header, body)) if header.lines().count() <= 6 => body.to_string(),
        _ if text.starts_with("Output:\n") => text["Output:\n".len()..].to_string(),
        _ => text,
    };
    (body, code)
}

/// The exit code a recorded tool output reports (`Exit code: N` / `Process exited with
/// code N`), if it says.
fn exit_code_in(output: &str) -> Option<i32> {
    output.lines().take(8).find_map(|line| {
        let line = line.trim();
        let rest = line
            .strip_prefix("Exit code:")
            .or_else(|| line.strip_prefix("Process exited with code"))?;
        rest.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use codex_protocol::{ExecCommandBeginEvent, ExecCommandEndEvent, OutputStream, RetryInfo};

    use super::*;

    fn agent(text: &str, streaming: bool) -> Item {
        Item::Agent {
            text: text.into(),
            streaming,
        }
    }

    #[test]
    fn streaming_text_grows_one_item_and_a_retry_replaces_it() {
        let mut transcript = Transcript::default();
        transcript.apply(&EventMsg::UserMessage {
            message: "hi".into(),
            images: vec![],
            files: vec![],
            skills: vec![],
        });
        transcript.apply(&EventMsg::AgentMessageDelta {
            delta: "Hel".into(),
        });
        transcript.apply(&EventMsg::AgentMessageDelta { delta: "lo".into() });
        assert_eq!(transcript.items[1], agent("Hello", true));
        transcript.apply(&EventMsg::Error {
            message: "stream dropped.".into(),
            will_retry: Some(RetryInfo {
                attempt: 1,
                max_attempts: 5,
                delay_ms: 200,
            }),
        });
        assert!(
            matches!(&transcript.items[1], Item::Notice { message } if message.contains("Retrying (1/5)"))
        );
        transcript.apply(&EventMsg::AgentMessageDelta {
            delta: "Hello!".into(),
        });
        transcript.apply(&EventMsg::AgentMessage {
            message: "Hello!".into(),
        });
        transcript.apply(&EventMsg::TurnComplete {
            turn_id: "t".into(),
            last_agent_message: None,
        });
        assert_eq!(transcript.items.len(), 3);
        assert_eq!(transcript.items[2], agent("Hello!", false));
    }

    #[test]
    fn a_command_collects_its_output_and_exit_and_an_abort_stops_it() {
        let mut transcript = Transcript::default();
        let begin = |id: &str| {
            EventMsg::ExecCommandBegin(ExecCommandBeginEvent {
                call_id: id.into(),
                command: vec!["bash".into(), "-lc".into(), "cargo test".into()],
                cwd: "/w".into(),
                process_id: None,
            })
        };
        transcript.apply(&begin("a"));
        transcript.apply(&EventMsg::ExecCommandOutputDelta {
            call_id: "a".into(),
            stream: OutputStream::Stdout,
            chunk: "ok\n".into(),
        });
        transcript.apply(&EventMsg::ExecCommandEnd(ExecCommandEndEvent {
            call_id: "a".into(),
            command: vec![],
            cwd: "/w".into(),
            exit_code: Some(0),
            duration_ms: 2100,
            output: "ok\n".into(),
            killed: false,
        }));
        let Item::Command(run) = &transcript.items[0] else {
            panic!("a command card");
        };
        assert_eq!(
            (
                run.command_line.as_str(),
                run.output.as_str(),
                run.exit_code,
                run.running
            ),
            ("cargo test", "ok\n", Some(0), false)
        );
        transcript.apply(&begin("b"));
        transcript.apply(&EventMsg::TurnAborted {
            turn_id: "t".into(),
            reason: codex_protocol::AbortReason::Interrupted,
        });
        let Item::Command(run) = &transcript.items[1] else {
            panic!("a command card");
        };
        assert!(!run.running && run.killed);
        assert_eq!(
            transcript.items[2],
            Item::Notice {
                message: "Stopped.".into()
            }
        );
    }

    #[test]
    fn diffs_count_lines_and_history_rebuilds_the_conversation() {
        let diff = FileDiff::from_change(
            "src/lib.rs".into(),
            &FileChange::Update {
                unified_diff:
                    "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,2 +1,2 @@\n-old\n+new\n+more\n ctx\n"
                        .into(),
                move_path: None,
            },
        );
        assert_eq!((diff.added, diff.removed), (2, 1));
        let added = FileDiff::from_change(
            "new.txt".into(),
            &FileChange::Add {
                content: "a\nb\n".into(),
            },
        );
        assert_eq!((added.added, added.diff.as_str()), (2, "+a\n+b\n"));

        let history = vec![
            ResponseItem::developer_text("rules"),
            ResponseItem::user_text("<environment_context>cwd</environment_context>"),
            ResponseItem::user_text("run the tests"),
            ResponseItem::FunctionCall {
                id: None,
                name: "exec_command".into(),
                namespace: None,
                arguments: r#"{"cmd":"cargo test"}"#.into(),
                call_id: "c1".into(),
            },
            ResponseItem::FunctionCallOutput {
                call_id: "c1".into(),
                output: "Wall time: 0.2 seconds\nProcess exited with code 101\nOriginal token count: 1\nOutput:\nfailed".into(),
            },
            ResponseItem::assistant_text("One test fails."),
        ];
        let transcript = Transcript::from_history(&history);
        assert_eq!(transcript.items.len(), 3, "{:#?}", transcript.items);
        assert_eq!(
            transcript.items[0],
            Item::User {
                text: "run the tests".into(),
                images: 0,
                files: vec![],
                skills: vec![],
            }
        );
        let Item::Command(run) = &transcript.items[1] else {
            panic!("a command card");
        };
        assert_eq!(
            (
                run.command_line.as_str(),
                run.exit_code,
                run.output.as_str()
            ),
            ("cargo test", Some(101), "failed")
        );
        assert_eq!(transcript.items[2], agent("One test fails.", false));

        let attached = Transcript::from_history(&[
            ResponseItem::Message {
                id: None,
                role: Role::User,
                content: vec![
                    codex_protocol::ContentItem::InputText {
                        text: "summarise".into(),
                    },
                    codex_protocol::ContentItem::InputText {
                        text: "<attached_file path=\"/w/notes.txt\">The user attached this file; read it with your tools if it is relevant.</attached_file>".into(),
                    },
                ],
            },
            ResponseItem::Reasoning {
                id: String::new(),
                summary: vec![
                    codex_protocol::items::ReasoningSummary::SummaryText {
                        text: "thinking".into(),
                    },
                ],
                content: None,
                encrypted_content: None,
            },
        ]);
        assert_eq!(
            attached.items[0],
            Item::User {
                text: "summarise".into(),
                images: 0,
                files: vec![PathBuf::from("/w/notes.txt")],
                skills: vec![],
            }
        );
        assert!(
            matches!(
                attached.items[1],
                Item::Reasoning {
                    duration: Some(_),
                    ..
                }
            ),
            "recorded reasoning is finished"
        );
        assert_eq!(transcript.user_turns_from(0), 1);
        assert_eq!(transcript.user_messages_before(2), 1);
    }
}
