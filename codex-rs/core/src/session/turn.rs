//! One turn: record the user's input, then sample the model until it answers without
//! calling tools. Tool calls run in parallel while the answer streams; their outputs go
//! back in the next request. Retries follow the provider's retry budgets with
//! exponential backoff.

use std::sync::Arc;
use std::time::Duration;

use codex_protocol::{AbortReason, EventMsg, InputItem, ResponseItem, RetryInfo, Role};
use futures::stream::{FuturesOrdered, StreamExt};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{Session, TurnContext, UserInput, user_message_from_input};
use crate::client::{ModelError, ResponseEvent, RetryClass};
use crate::context::compact::compacted_history;
use crate::rollout::reasoning_text;
use crate::tools::TurnCancelled;

/// Output given to tool calls left unanswered when a turn stops.
pub const ABORTED_OUTPUT: &str = "aborted: the user stopped the turn before this finished";

/// How a turn ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnOutcome {
    Completed { last_agent_message: Option<String> },
    Aborted(AbortReason),
    Failed(String),
}

/// Runs a turn until it ends or `cancel` fires, and reports the end.
pub async fn run_turn(
    session: &Arc<Session>,
    turn: TurnContext,
    input: TurnInput,
    cancel: CancellationToken,
    cancel_reason: impl Fn() -> AbortReason,
) -> TurnOutcome {
    let turn = Arc::new(turn);
    // The start is written whole before an interrupt can stop the turn, so a turn
    // stopped at once (a client that goes away) still holds the user's message.
    let work = begin_turn(session, &turn, input).await;
    let outcome = tokio::select! {
        outcome = turn_work(session, &turn, work) => outcome,
        _ = cancel.cancelled() => TurnOutcome::Aborted(cancel_reason()),
    };
    finish(session, &turn, &outcome).await;
    outcome
}

/// Records the end of the turn, makes sure the rollout holds everything of it, then
/// announces the end.
async fn finish(session: &Arc<Session>, turn: &Arc<TurnContext>, outcome: &TurnOutcome) {
    let id = &turn.submission_id;
    record_end(session, turn, outcome).await;
    if let Err(error) = session.rollout.flush().await {
        let message = error.to_string();
        session.events.send(id, EventMsg::Warning { message }).await;
    }
    let end = match outcome {
        TurnOutcome::Completed { last_agent_message } => EventMsg::TurnComplete {
            turn_id: turn.turn_id.clone(),
            last_agent_message: last_agent_message.clone(),
        },
        TurnOutcome::Aborted(reason) => EventMsg::TurnAborted {
            turn_id: turn.turn_id.clone(),
            reason: *reason,
        },
        TurnOutcome::Failed(message) => EventMsg::TurnFailed {
            turn_id: turn.turn_id.clone(),
            message: message.clone(),
        },
    };
    session.events.send(id, end).await;
}

async fn record_end(session: &Arc<Session>, turn: &Arc<TurnContext>, outcome: &TurnOutcome) {
    match outcome {
        TurnOutcome::Completed { last_agent_message } => {
            session
                .record_event(
                    "task_complete",
                    json!({"turn_id": turn.turn_id, "last_agent_message": last_agent_message}),
                )
                .await;
        }
        TurnOutcome::Aborted(reason) => {
            session.record_partial_answer().await;
            session.approvals.cancel_all();
            session.close_open_calls(ABORTED_OUTPUT).await;
            session
                .record_event(
                    "turn_aborted",
                    json!({"turn_id": turn.turn_id, "reason": reason}),
                )
                .await;
        }
        TurnOutcome::Failed(message) => {
            session.record_partial_answer().await;
            session
                .close_open_calls("the turn failed before this finished")
                .await;
            session
                .record_event("error", json!({"message": message}))
                .await;
        }
    }
}

/// What a turn does.
pub enum TurnInput {
    /// Answer the user.
    User(Vec<InputItem>),
    /// Compact the conversation (the `Compact` op).
    Compact,
    /// Work on a task another agent of the tree sent (it is in the mailbox).
    AgentMail,
}

/// What a turn goes on to do once it has begun.
enum TurnWork {
    Compact,
    Sample,
}

/// Begins a turn: records its start and context and, for the user's turn, their
/// message, and announces them.
async fn begin_turn(session: &Arc<Session>, turn: &Arc<TurnContext>, input: TurnInput) -> TurnWork {
    let id = &turn.submission_id;
    let started = EventMsg::TurnStarted {
        turn_id: turn.turn_id.clone(),
        model_context_window: session.config.model_context_window,
    };
    if matches!(input, TurnInput::Compact) {
        record_start(session, turn).await;
        session.events.send(id, started).await;
        return TurnWork::Compact;
    }
    let (context, context_warnings) = session.take_initial_context(turn);
    for warning in context_warnings {
        session
            .events
            .send(id, EventMsg::Warning { message: warning })
            .await;
    }
    record_start(session, turn).await;
    session.events.send(id, started).await;
    session.record_items(&context).await;
    if let TurnInput::User(items) = input {
        add_user_message(session, turn, &items).await;
    }
    TurnWork::Sample
}

/// The part of a turn an interrupt may stop.
async fn turn_work(session: &Arc<Session>, turn: &Arc<TurnContext>, work: TurnWork) -> TurnOutcome {
    match work {
        TurnWork::Compact => match compact(session, turn, false).await {
            Ok(()) => TurnOutcome::Completed {
                last_agent_message: None,
            },
            Err(outcome) => outcome,
        },
        TurnWork::Sample => sample_until_done(session, turn).await,
    }
}

/// Puts the user's `items` into the conversation: recorded, remembered in the prompt
/// history and announced.
async fn add_user_message(session: &Arc<Session>, turn: &Arc<TurnContext>, items: &[InputItem]) {
    let id = &turn.submission_id;
    let UserInput {
        message,
        text,
        images,
        files,
        skills,
        warnings,
    } = user_message_from_input(items, &turn.cwd).await;
    for warning in warnings {
        session
            .events
            .send(id, EventMsg::Warning { message: warning })
            .await;
    }
    session
        .record_event("user_message", json!({"message": text, "images": images}))
        .await;
    session.remember_prompt(&text).await;
    session
        .events
        .send(
            id,
            EventMsg::UserMessage {
                message: text,
                images,
                files,
                skills,
            },
        )
        .await;
    session.record_user_message(&turn.turn_id, message).await;
}

/// Samples the model, running the tools it calls, until it answers; what reached the
/// thread's mailbox, and input steered into the turn, go into the conversation before
/// each request.
async fn sample_until_done(session: &Arc<Session>, turn: &Arc<TurnContext>) -> TurnOutcome {
    let mut last_agent_message = None;
    loop {
        crate::agents::deliver(session, &turn.submission_id).await;
        for items in session.take_steered() {
            add_user_message(session, turn, &items).await;
        }
        if session.needs_compaction()
            && let Err(outcome) = compact(session, turn, true).await
        {
            return outcome;
        }
        match with_retries(session, turn, || sample(session, turn)).await {
            Ok(Sampled {
                follow_up,
                agent_message,
            }) => {
                if agent_message.is_some() {
                    last_agent_message = agent_message;
                }
                if !follow_up && !session.has_steered() {
                    return TurnOutcome::Completed { last_agent_message };
                }
            }
            Err(outcome) => return outcome,
        }
    }
}

/// Records the start of a turn as Codex does: its context, then `task_started`, and
/// waits until they are written.
async fn record_start(session: &Arc<Session>, turn: &Arc<TurnContext>) {
    session.record_turn_context(turn).await;
    session
        .record_event(
            "task_started",
            json!({"turn_id": turn.turn_id, "model_context_window": session.config.model_context_window}),
        )
        .await;
    // Written before the turn is announced: whoever reacts to the turn (the desktop
    // sharing the session, a front-end reading the thread) finds the file, with its
    // `session_meta` line, on disk.
    if let Err(error) = session.rollout.flush().await {
        let message = error.to_string();
        session
            .events
            .send(&turn.submission_id, EventMsg::Warning { message })
            .await;
    }
}

/// Runs `attempt` until it succeeds, retrying within the provider's budgets (request
/// and stream errors counted apart) with backoff, and reporting each retry.
async fn with_retries<T, F>(
    session: &Arc<Session>,
    turn: &Arc<TurnContext>,
    mut attempt: impl FnMut() -> F,
) -> Result<T, TurnOutcome>
where
    F: std::future::Future<Output = Result<T, SampleError>>,
{
    let provider = session.client.provider();
    let mut request_retries = 0;
    let mut stream_retries = 0;
    loop {
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(SampleError::Cancelled) => {
                return Err(TurnOutcome::Aborted(AbortReason::Cancelled));
            }
            Err(SampleError::Model(error)) => error,
        };
        let (count, budget) = match error.retry_class() {
            RetryClass::Never => return Err(TurnOutcome::Failed(error.to_string())),
            RetryClass::Request => {
                request_retries += 1;
                (request_retries, provider.request_max_retries())
            }
            RetryClass::Stream => {
                stream_retries += 1;
                (stream_retries, provider.stream_max_retries())
            }
        };
        if count > budget {
            return Err(TurnOutcome::Failed(format!(
                "{error} (gave up after {budget} retries)"
            )));
        }
        let delay = error.retry_after().unwrap_or_else(|| backoff(count));
        session
            .events
            .send(
                &turn.submission_id,
                EventMsg::Error {
                    message: error.to_string(),
                    will_retry: Some(RetryInfo {
                        attempt: count,
                        max_attempts: budget,
                        delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    }),
                },
            )
            .await;
        tokio::time::sleep(delay).await;
    }
}

/// Asks the model for a summary and replaces the history with initial context, the
/// user's messages and the summary.
async fn compact(
    session: &Arc<Session>,
    turn: &Arc<TurnContext>,
    automatic: bool,
) -> Result<(), TurnOutcome> {
    let summary = with_retries(session, turn, || summarize(session, turn)).await?;
    let (initial, _) = session.initial_context(turn);
    let replacement = compacted_history(&initial, &session.turn_messages(), &summary);
    session
        .replace_history(&summary, replacement, automatic)
        .await;
    session
        .events
        .send(
            &turn.submission_id,
            EventMsg::ContextCompacted { summary, automatic },
        )
        .await;
    Ok(())
}

/// One summary request; the summary is the text of the model's answer.
async fn summarize(session: &Arc<Session>, turn: &Arc<TurnContext>) -> Result<String, SampleError> {
    let prompt = session.compaction_prompt();
    let mut stream = session
        .client
        .stream(&prompt, &turn.model_settings)
        .await
        .map_err(SampleError::Model)?;
    let mut summary = String::new();
    while let Some(event) = stream.next().await {
        match event.map_err(SampleError::Model)? {
            ResponseEvent::OutputItemDone(
                item @ ResponseItem::Message {
                    role: Role::Assistant,
                    ..
                },
            ) => {
                summary.push_str(&item.message_text().unwrap_or_default());
            }
            ResponseEvent::Completed { usage, .. } => {
                if let Some(usage) = usage {
                    let info = session.add_usage(&usage);
                    session
                        .record_event("token_count", json!({"info": info}))
                        .await;
                    session
                        .events
                        .send(&turn.submission_id, EventMsg::TokenCount { info })
                        .await;
                }
                break;
            }
            _ => {}
        }
    }
    if summary.trim().is_empty() {
        return Err(SampleError::Model(ModelError::Stream {
            message: "the model answered the compaction request without a summary".to_string(),
        }));
    }
    Ok(summary)
}

/// 200 ms doubled per attempt, capped at a minute, with up to 10% jitter.
fn backoff(attempt: u32) -> Duration {
    let base_ms = 200u64
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(16))
        .min(60_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| u64::from(elapsed.subsec_nanos()))
        .unwrap_or(0);
    Duration::from_millis(base_ms + nanos % (base_ms / 10 + 1))
}

struct Sampled {
    /// Tools were called, so the model must be asked again with their outputs.
    follow_up: bool,
    agent_message: Option<String>,
}

enum SampleError {
    Model(ModelError),
    Cancelled,
}

/// One model request: stream the answer, run its tool calls (in parallel, while the
/// answer still streams), record everything.
async fn sample(session: &Arc<Session>, turn: &Arc<TurnContext>) -> Result<Sampled, SampleError> {
    // A retried request replaces what the failed one had streamed.
    session.take_partial();
    let prompt = session.prompt().await;
    let mut stream = session
        .client
        .stream(&prompt, &turn.model_settings)
        .await
        .map_err(SampleError::Model)?;
    let mut running = FuturesOrdered::new();
    let mut outputs = Vec::new();
    let mut follow_up = false;
    let mut agent_message = None;
    let mut stream_error = None;
    let mut streaming = true;
    let mut reasoning_started = None;
    while streaming {
        tokio::select! {
            Some(result) = running.next(), if !running.is_empty() => match result {
                Ok(output) => outputs.push(output),
                Err(TurnCancelled) => return Err(SampleError::Cancelled),
            },
            event = stream.next() => match event {
                None => streaming = false,
                Some(Err(error)) => {
                    stream_error = Some(error);
                    streaming = false;
                }
                Some(Ok(event)) => match handle_event(session, turn, event, &mut reasoning_started).await {
                    Handled::Continue => {}
                    Handled::AgentMessage(text) => agent_message = Some(text),
                    Handled::ToolCall(item) => {
                        follow_up = true;
                        running.push_back(async move { session.tools.dispatch(session, turn, &item).await });
                    }
                    Handled::Completed => streaming = false,
                },
            },
        }
    }
    // Finish every call that started, even when the stream broke, so the history a
    // retry sends has an output for each call.
    while let Some(result) = running.next().await {
        match result {
            Ok(output) => outputs.push(output),
            Err(TurnCancelled) => return Err(SampleError::Cancelled),
        }
    }
    session.record_items(&outputs).await;
    if let Some(error) = stream_error {
        return Err(SampleError::Model(error));
    }
    Ok(Sampled {
        follow_up,
        agent_message,
    })
}

/// What one stream event means for the sampling loop.
enum Handled {
    Continue,
    AgentMessage(String),
    ToolCall(ResponseItem),
    Completed,
}

/// Emits and records one stream event. `reasoning_started` is when the reasoning now
/// streaming began.
async fn handle_event(
    session: &Arc<Session>,
    turn: &Arc<TurnContext>,
    event: ResponseEvent,
    reasoning_started: &mut Option<std::time::Instant>,
) -> Handled {
    let id = &turn.submission_id;
    match event {
        ResponseEvent::OutputTextDelta(delta) => {
            session.stream_partial(&delta);
            session
                .events
                .send(id, EventMsg::AgentMessageDelta { delta })
                .await;
            Handled::Continue
        }
        ResponseEvent::ReasoningSummaryDelta(delta)
        | ResponseEvent::ReasoningContentDelta(delta) => {
            reasoning_started.get_or_insert_with(std::time::Instant::now);
            session
                .events
                .send(id, EventMsg::AgentReasoningDelta { delta })
                .await;
            Handled::Continue
        }
        ResponseEvent::OutputItemDone(item) => {
            session.record_items(std::slice::from_ref(&item)).await;
            match &item {
                ResponseItem::Message {
                    role: Role::Assistant,
                    ..
                } => {
                    let text = item.message_text().unwrap_or_default();
                    session.take_partial();
                    session
                        .record_event("agent_message", json!({"message": text}))
                        .await;
                    session
                        .events
                        .send(
                            id,
                            EventMsg::AgentMessage {
                                message: text.clone(),
                            },
                        )
                        .await;
                    Handled::AgentMessage(text)
                }
                ResponseItem::Reasoning { .. } => {
                    // Summaries from OpenAI; raw reasoning text from chat providers.
                    let text = reasoning_text(&item);
                    let duration_ms = reasoning_started.take().map(|started| {
                        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
                    });
                    if !text.is_empty() {
                        session
                            .record_event(
                                "agent_reasoning",
                                json!({"text": text, "duration_ms": duration_ms}),
                            )
                            .await;
                        session
                            .events
                            .send(id, EventMsg::AgentReasoning { text, duration_ms })
                            .await;
                    }
                    Handled::Continue
                }
                ResponseItem::FunctionCall { .. } | ResponseItem::CustomToolCall { .. } => {
                    Handled::ToolCall(item)
                }
                _ => Handled::Continue,
            }
        }
        ResponseEvent::Completed { usage, .. } => {
            if let Some(usage) = usage {
                let info = session.add_usage(&usage);
                session
                    .record_event("token_count", json!({"info": info}))
                    .await;
                session.events.send(id, EventMsg::TokenCount { info }).await;
            }
            Handled::Completed
        }
        ResponseEvent::Created | ResponseEvent::ReasoningSummaryPartAdded => Handled::Continue,
    }
}
