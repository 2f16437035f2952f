//! The rooms of shared sessions, from the window's side. Every frame the window says
//! where the user is (the teammate's session being read; each open session that is
//! linked: running a turn, viewed, or just open), which rooms it watches without
//! being announced (the shared sessions the sidebar lists, to show who is in each),
//! and keeps each linked session's composer draft in step with its room. A turn in a
//! linked session takes the room's lease and streams its events there; when a
//! teammate drives, a message is queued until they finish, and a session that lacks a
//! teammate's turn is read again from the server before it sends (continued in the
//! same folder, the copy open here replaced by the new one), so the model sees the
//! whole conversation. Should reading it again fail, the message returns to the
//! composer.

use std::collections::BTreeMap;

use codex_protocol::{EventMsg, InputItem};
use zspark_core::sharing::SharedSessionAddress;
use zspark_core::{
    EngineCommand, Presence, RoomChange, SessionKey, SessionRoom, SessionShareCommand, Transcript,
    WorkspaceCommand,
};

use super::super::app::DesktopApp;
use super::super::model::{CatchUp, RoomKey, RoomView, SharedPage, room_key};
use super::super::views::shared::LISTED_SESSIONS;

/// What the user does in a room, from least to most telling (when two open views
/// share a session, the more telling one is announced).
const DOING: [&str; 4] = ["open", "reading", "viewing", "running a turn"];

impl DesktopApp {
    /// Announces the user where the window holds shared sessions, leaves the rooms it
    /// no longer does, and sends each linked session's draft when it changed. Called
    /// every frame; sends only changes.
    pub(in super::super) fn keep_rooms(&mut self) {
        let Some(user) = self.model.shared.me().map(str::to_string) else {
            return;
        };
        let wanted = self.wanted_rooms();
        let shared = &mut self.model.shared;
        if wanted != shared.present_in {
            let mut commands = Vec::new();
            for (key, (address, _)) in &shared.present_in {
                if !wanted.contains_key(key) {
                    // A watched room stays open, without the user.
                    if !shared.watched.contains(address) {
                        shared.rooms.remove(key);
                    }
                    commands.push(WorkspaceCommand::Present {
                        address: address.clone(),
                        presence: None,
                    });
                }
            }
            for (key, (address, doing)) in &wanted {
                if shared.present_in.get(key).map(|(_, before)| before) != Some(doing) {
                    commands.push(WorkspaceCommand::Present {
                        address: address.clone(),
                        presence: Some(Presence {
                            user: user.clone(),
                            doing: doing.clone(),
                        }),
                    });
                }
            }
            shared.present_in = wanted;
            for command in commands {
                self.send(EngineCommand::Workspace(command));
            }
        }
        let watched = self.listed_sessions();
        if watched != self.model.shared.watched {
            let shared = &mut self.model.shared;
            shared.watched = watched.clone();
            let present_in = &shared.present_in;
            shared.rooms.retain(|key, _| {
                present_in.contains_key(key)
                    || watched.iter().any(|address| room_key(address) == *key)
            });
            self.send(EngineCommand::Workspace(WorkspaceCommand::Watch(watched)));
        }
        self.send_changed_drafts();
    }

    /// The shared sessions the sidebar lists.
    fn listed_sessions(&self) -> Vec<SharedSessionAddress> {
        let shared = &self.model.shared;
        let Some(status) = &shared.status else {
            return Vec::new();
        };
        shared
            .views
            .iter()
            .flat_map(|(workspace_id, view)| {
                view.sessions
                    .iter()
                    .take(LISTED_SESSIONS)
                    .map(|session| SharedSessionAddress {
                        server: status.server.clone(),
                        workspace_id: workspace_id.clone(),
                        session_id: session.id.clone(),
                    })
            })
            .collect()
    }

    /// Where the user is, by room.
    fn wanted_rooms(&self) -> BTreeMap<RoomKey, (SharedSessionAddress, String)> {
        let shared = &self.model.shared;
        let mut wanted = BTreeMap::new();
        if let Some(SharedPage::Session(address)) = &shared.page {
            wanted.insert(room_key(address), (address.clone(), "reading".to_string()));
        }
        for session in self.model.sessions.values() {
            let Some(report) = shared.sync_of_open(session) else {
                continue;
            };
            let doing = if session.is_running() {
                "running a turn"
            } else if shared.page.is_none() && self.model.shown == Some(session.number) {
                "viewing"
            } else {
                "open"
            };
            let rank = |doing: &str| DOING.iter().position(|known| *known == doing);
            wanted
                .entry(room_key(&report.address))
                .and_modify(|(_, before): &mut (SharedSessionAddress, String)| {
                    if rank(doing) > rank(before) {
                        *before = doing.to_string();
                    }
                })
                .or_insert_with(|| (report.address.clone(), doing.to_string()));
        }
        wanted
    }

    /// Sends the draft of each linked session whose draft changed here, once its room
    /// has reported (so the engine has it open, and answers every edit).
    fn send_changed_drafts(&mut self) {
        let mut changed = Vec::new();
        for session in self.model.sessions.values() {
            let Some(report) = self.model.shared.sync_of_open(session) else {
                continue;
            };
            if self.model.shared.room_at(&report.address).is_none() {
                continue;
            }
            let text = self
                .panels
                .composer
                .draft(session.number)
                .map_or("", |draft| draft.text.as_str());
            let tie = self.model.shared.ties.get(&session.number);
            if tie.map_or(!text.is_empty(), |tie| tie.synced_draft != text) {
                changed.push((session.number, report.address.clone(), text.to_string()));
            }
        }
        for (session, address, text) in changed {
            let tie = self.model.shared.ties.entry(session).or_default();
            tie.synced_draft = text.clone();
            tie.unanswered_drafts += 1;
            self.room_change(address, RoomChange::Draft(text));
        }
    }

    /// A room changed: its draft reaches the linked sessions' composers, a teammate
    /// who drives marks them as lacking a turn, a lease this window left behind is
    /// given back, and a queued message goes once nobody else drives.
    pub(in super::super) fn room_changed(
        &mut self,
        address: SharedSessionAddress,
        room: SessionRoom,
    ) {
        let key = room_key(&address);
        if !self.model.shared.present_in.contains_key(&key)
            && !self.model.shared.watched.contains(&address)
        {
            return;
        }
        let me = self.model.shared.me().map(str::to_string);
        let linked: Vec<(SessionKey, bool)> = self
            .model
            .sessions
            .values()
            .filter(|session| {
                self.model
                    .shared
                    .sync_of_open(session)
                    .is_some_and(|report| report.address == address)
            })
            .map(|session| (session.number, session.is_running()))
            .collect();
        let teammate_drives = room.driver.is_some() && room.driver != me;
        let mut ready = Vec::new();
        let mut handing_back = false;
        for (session, _) in &linked {
            let tie = self.model.shared.ties.entry(*session).or_default();
            if room.driver != me {
                tie.handing_back = false;
            }
            handing_back |= tie.handing_back;
            if room.draft_echo {
                tie.unanswered_drafts = tie.unanswered_drafts.saturating_sub(1);
            }
            if tie.unanswered_drafts == 0 && room.draft != tie.synced_draft {
                tie.synced_draft = room.draft.clone();
                self.panels.composer.draft_mut(*session).text = room.draft.clone();
            }
            if teammate_drives {
                tie.behind = true;
            } else if room.driver.is_none()
                && let Some(items) = tie.queued.take()
            {
                ready.push((*session, items));
            }
        }
        // A lease of this user with no turn running or being sent here was left by a
        // window that stopped mid-turn (or by a turn that never started).
        let running_here = linked.iter().any(|(_, running)| *running);
        if room.driver.is_some() && room.driver == me && !running_here && !handing_back {
            self.room_change(address.clone(), RoomChange::Release);
        }
        // A turn that grew is folded on from where it was, not from its start.
        let live = match self.model.shared.rooms.remove(&key) {
            Some(RoomView {
                room: before,
                mut live,
            }) if room.turn.starts_with(&before.turn) => {
                for event in &room.turn[before.turn.len()..] {
                    live.apply(event);
                }
                live
            }
            _ => Transcript::from_events(&room.turn),
        };
        self.model.shared.rooms.insert(key, RoomView { room, live });
        for (session, items) in ready {
            self.drive(session, items);
        }
    }

    /// Runs a turn of `session` with `items`, unless its room says to wait: a teammate
    /// drives (the message is queued), or one drove since the session was read (it is
    /// read again first).
    pub(in super::super) fn drive(&mut self, session: SessionKey, items: Vec<InputItem>) {
        let Some(address) = self.linked_address(session) else {
            self.start_turn(session, items);
            return;
        };
        if self.model.shared.teammate_driving(&address).is_some() {
            self.model.shared.ties.entry(session).or_default().queued = Some(items);
            return;
        }
        if self
            .model
            .shared
            .ties
            .get(&session)
            .is_some_and(|tie| tie.behind)
        {
            self.catch_up(session, address, items);
            return;
        }
        self.start_turn(session, items);
    }

    /// Reads the session again from the server (continuing it in the same folder; the
    /// copy open here closes once the new one is ready), then sends `items` in it once
    /// it is open.
    fn catch_up(
        &mut self,
        session: SessionKey,
        address: SharedSessionAddress,
        items: Vec<InputItem>,
    ) {
        let Some(view) = self.model.sessions.get(&session) else {
            return;
        };
        let folder = view.cwd.clone();
        self.model.shared.catching_up.push(CatchUp {
            address: address.clone(),
            replaces: session,
            rollout_path: None,
            items,
        });
        self.send(EngineCommand::ShareSession(
            SessionShareCommand::ContinueHere { address, folder },
        ));
    }

    /// The message to send in the session opening from `rollout_path`, when it was
    /// read again to catch up.
    pub(in super::super) fn caught_up(
        &mut self,
        rollout_path: &std::path::Path,
    ) -> Option<Vec<InputItem>> {
        let catching_up = &mut self.model.shared.catching_up;
        let index = catching_up
            .iter()
            .position(|catch_up| catch_up.rollout_path.as_deref() == Some(rollout_path))?;
        Some(catching_up.remove(index).items)
    }

    /// The session continued to `rollout_path` is ready; when it was read again to
    /// catch up, the copy it replaces closes (before the new one opens).
    pub(in super::super) fn continued_to(
        &mut self,
        address: &SharedSessionAddress,
        rollout_path: &std::path::Path,
    ) {
        let Some(catch_up) = self
            .model
            .shared
            .catching_up
            .iter_mut()
            .find(|catch_up| catch_up.address == *address && catch_up.rollout_path.is_none())
        else {
            return;
        };
        catch_up.rollout_path = Some(rollout_path.to_path_buf());
        let session = catch_up.replaces;
        self.send(EngineCommand::CloseSession { session });
    }

    /// Continuing failed (the engine reported a problem) while sessions were being
    /// read again: each one's message goes back into its composer, nothing is sent.
    pub(in super::super) fn catch_up_failed(&mut self) {
        let waiting: Vec<CatchUp> = self
            .model
            .shared
            .catching_up
            .extract_if(.., |catch_up| catch_up.rollout_path.is_none())
            .collect();
        for catch_up in waiting {
            self.panels.composer.draft_mut(catch_up.replaces).text =
                InputItem::text_of(&catch_up.items);
        }
    }

    /// Takes the room's lease for a turn of `session` starting now, when it is linked.
    pub(in super::super) fn take_lease(&mut self, session: SessionKey) {
        if let Some(address) = self.linked_address(session) {
            self.room_change(address, RoomChange::TakeLease);
        }
    }

    /// Streams one event of a linked session's turn to its room (the engine gives the
    /// lease back once the ended turn is on the server).
    pub(in super::super) fn stream_turn_event(
        &mut self,
        session: SessionKey,
        msg: &EventMsg,
        turn_ended: bool,
    ) {
        let Some(address) = self.linked_address(session) else {
            return;
        };
        let running = self
            .model
            .sessions
            .get(&session)
            .is_some_and(|view| view.is_running());
        let streamed = !matches!(
            msg,
            EventMsg::TokenCount { .. }
                | EventMsg::SkillsList { .. }
                | EventMsg::SessionConfigured(_)
        );
        if streamed && (running || turn_ended) {
            self.room_change(
                address.clone(),
                RoomChange::TurnEvent(Box::new(msg.clone())),
            );
        }
        if turn_ended {
            let tie = self.model.shared.ties.entry(session).or_default();
            tie.behind = false;
            tie.handing_back = true;
        }
    }

    /// Asks the teammate who drives the shown session to hand over; the message stays
    /// queued.
    pub(in super::super) fn ask_to_drive(&mut self) {
        if let Some(session) = self.model.shown
            && let Some(address) = self.linked_address(session)
        {
            self.room_change(address, RoomChange::AskToDrive);
        }
    }

    /// Takes the shown session's queued message back into its draft.
    pub(in super::super) fn cancel_queued(&mut self) {
        let Some(session) = self.model.shown else {
            return;
        };
        let Some(items) = self
            .model
            .shared
            .ties
            .get_mut(&session)
            .and_then(|tie| tie.queued.take())
        else {
            return;
        };
        self.panels.composer.draft_mut(session).text = InputItem::text_of(&items);
    }

    fn linked_address(&self, session: SessionKey) -> Option<SharedSessionAddress> {
        let view = self.model.sessions.get(&session)?;
        Some(self.model.shared.sync_of_open(view)?.address.clone())
    }

    fn room_change(&mut self, address: SharedSessionAddress, change: RoomChange) {
        self.send(EngineCommand::Workspace(WorkspaceCommand::Room {
            address,
            change,
        }));
    }
}
