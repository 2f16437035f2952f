//! Approval requests: the runtime emits a request event and waits for the user's
//! decision, which arrives as an `ExecApproval` / `PatchApproval` op. Also what the user
//! allowed for the rest of the session, and remembered command prefixes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use codex_protocol::{EventMsg, ReviewDecision};
use tokio::sync::oneshot;

use crate::events::EventSender;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Default)]
pub struct Approvals {
    pending: Mutex<HashMap<String, oneshot::Sender<ReviewDecision>>>,
    /// Exact commands allowed for the session.
    session_commands: Mutex<HashSet<Vec<String>>>,
    /// Files the user allowed patches to touch for the session.
    session_paths: Mutex<HashSet<PathBuf>>,
    /// Command prefixes allowed from now on (`acceptWithExecpolicyAmendment`).
    prefixes: Mutex<Vec<Vec<String>>>,
}

impl Approvals {
    pub fn with_prefixes(prefixes: Vec<Vec<String>>) -> Self {
        Self {
            prefixes: Mutex::new(prefixes),
            ..Self::default()
        }
    }

    /// Emits `request` (an approval request event for `call_id`) and waits for the
    /// decision. If the session goes away first, the answer is `Cancel`.
    pub async fn ask(
        &self,
        events: &EventSender,
        submission_id: &str,
        call_id: &str,
        request: EventMsg,
    ) -> ReviewDecision {
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(call_id.to_string(), tx);
        events.send(submission_id, request).await;
        let decision = rx.await.unwrap_or(ReviewDecision::Cancel);
        lock(&self.pending).remove(call_id);
        decision
    }

    /// Delivers a decision. Returns false when no request with this id is waiting.
    pub fn resolve(&self, call_id: &str, decision: ReviewDecision) -> bool {
        match lock(&self.pending).remove(call_id) {
            Some(waiting) => waiting.send(decision).is_ok(),
            None => false,
        }
    }

    /// Drops every waiting request (their askers get `Cancel`).
    pub fn cancel_all(&self) {
        lock(&self.pending).clear();
    }

    pub fn allow_command_for_session(&self, command: &[String]) {
        lock(&self.session_commands).insert(command.to_vec());
    }

    pub fn allow_prefix(&self, prefix: Vec<String>) {
        let mut prefixes = lock(&self.prefixes);
        if !prefixes.contains(&prefix) {
            prefixes.push(prefix);
        }
    }

    /// Whether the user already allowed `command` (exactly, or by a prefix).
    pub fn command_allowed(&self, command: &[String]) -> bool {
        lock(&self.session_commands).contains(command)
            || lock(&self.prefixes)
                .iter()
                .any(|prefix| !prefix.is_empty() && command.starts_with(prefix))
    }

    pub fn allow_paths_for_session<'a>(&self, paths: impl IntoIterator<Item = &'a Path>) {
        lock(&self.session_paths).extend(paths.into_iter().map(Path::to_path_buf));
    }

    pub fn paths_allowed<'a>(&self, mut paths: impl Iterator<Item = &'a Path>) -> bool {
        let allowed = lock(&self.session_paths);
        paths.all(|path| allowed.contains(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn session_grants_and_prefixes() {
        let approvals = Approvals::with_prefixes(vec![words("git status")]);
        assert!(approvals.command_allowed(&words("git status --short")));
        assert!(!approvals.command_allowed(&words("git push")));
        approvals.allow_command_for_session(&words("cargo test"));
        assert!(approvals.command_allowed(&words("cargo test")));
        assert!(!approvals.command_allowed(&words("cargo test --release")));
        approvals.allow_paths_for_session([Path::new("/w/a.rs")]);
        assert!(approvals.paths_allowed([Path::new("/w/a.rs")].into_iter()));
        assert!(!approvals.paths_allowed([Path::new("/w/a.rs"), Path::new("/w/b.rs")].into_iter()));
    }

    #[tokio::test]
    async fn a_decision_reaches_the_waiting_request_and_stale_ones_are_refused() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let events = EventSender::new(tx, codex_protocol::ThreadId::from("thread"));
        let approvals = std::sync::Arc::new(Approvals::default());
        let asker = {
            let approvals = approvals.clone();
            tokio::spawn(async move {
                approvals
                    .ask(
                        &events,
                        "sub",
                        "call_1",
                        EventMsg::Warning {
                            message: "ask".into(),
                        },
                    )
                    .await
            })
        };
        assert!(
            rx.recv().await.is_some(),
            "the request event is emitted first"
        );
        assert!(approvals.resolve("call_1", ReviewDecision::AcceptForSession));
        assert_eq!(asker.await.unwrap(), ReviewDecision::AcceptForSession);
        assert!(!approvals.resolve("call_1", ReviewDecision::Accept), "gone");
    }
}
