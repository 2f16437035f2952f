//! The shared-session calls of the server API, on a [`SharedClient`]: sessions of a
//! workspace (create, read, list every page, fork), their items (read every page,
//! append with the item count expected), and the caller's role.

use reqwest::StatusCode;
use serde_json::Value;
use zspark_api::{
    AppendItems, Appended, CreateSession, ForkSession, Item, ItemPage, Page, Role, Session,
};

use crate::shared::{SharedClient, SharedError, SharedWorkspace, refusal_of};

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    Appended(Appended),
    /// Someone appended first: the session no longer ends where the append expected.
    Stale,
}

impl SharedClient {
    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
        expected: StatusCode,
    ) -> Result<T, SharedError> {
        let response = self
            .send(|http, url| http.post(url).json(body), path)
            .await?;
        if response.status() != expected {
            return Err(refusal_of(response).await);
        }
        response
            .json()
            .await
            .map_err(|error| SharedError::NotZspark {
                server: self.url().to_string(),
                path: path.to_string(),
                reason: error.to_string(),
            })
    }

    /// The user's role in workspace `workspace_id`.
    pub async fn role_in(&self, workspace_id: &str) -> Result<Role, SharedError> {
        let workspace: SharedWorkspace =
            self.get(&format!("/v1/workspaces/{workspace_id}")).await?;
        Ok(workspace.role)
    }

    pub async fn create_session(
        &self,
        workspace_id: &str,
        session: &CreateSession,
    ) -> Result<Session, SharedError> {
        self.post_json(
            &format!("/v1/workspaces/{workspace_id}/sessions"),
            session,
            StatusCode::CREATED,
        )
        .await
    }

    pub async fn session(
        &self,
        workspace_id: &str,
        session_id: &str,
    ) -> Result<Session, SharedError> {
        self.get(&format!(
            "/v1/workspaces/{workspace_id}/sessions/{session_id}"
        ))
        .await
    }

    /// Every session of the workspace, most recently active first.
    pub async fn sessions(&self, workspace_id: &str) -> Result<Vec<Session>, SharedError> {
        let mut sessions = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/workspaces/{workspace_id}/sessions?limit=200");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page: Page<Session> = self.get(&path).await?;
            sessions.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(sessions),
            }
        }
    }

    /// Every item of a session, in order, and the item count the reading ended at.
    pub async fn items(
        &self,
        workspace_id: &str,
        session_id: &str,
    ) -> Result<(Vec<Item>, i64), SharedError> {
        let mut items: Vec<Item> = Vec::new();
        loop {
            let after = items.last().map_or(-1, |item| item.seq);
            let page: ItemPage = self
                .get(&format!(
                    "/v1/workspaces/{workspace_id}/sessions/{session_id}/items?after={after}&limit={}",
                    zspark_api::rules::ITEMS_LIMIT_MAX
                ))
                .await?;
            let done = page.items.is_empty();
            items.extend(page.items);
            if done
                || items
                    .last()
                    .is_some_and(|item| item.seq + 1 >= page.next_seq)
            {
                return Ok((items, page.next_seq));
            }
        }
    }

    /// Up to `limit` items of a session with a sequence number above `after`.
    pub async fn items_after(
        &self,
        workspace_id: &str,
        session_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Item>, SharedError> {
        let limit = limit.clamp(1, zspark_api::rules::ITEMS_LIMIT_MAX as usize);
        let page: ItemPage = self
            .get(&format!(
                "/v1/workspaces/{workspace_id}/sessions/{session_id}/items?after={after}&limit={limit}"
            ))
            .await?;
        Ok(page.items)
    }

    /// Appends `items` where the session has `expected_seq` items.
    pub async fn append(
        &self,
        workspace_id: &str,
        session_id: &str,
        expected_seq: i64,
        items: Vec<Value>,
    ) -> Result<AppendOutcome, SharedError> {
        let path = format!("/v1/workspaces/{workspace_id}/sessions/{session_id}/items");
        let body = AppendItems {
            expected_seq,
            items,
        };
        let response = self
            .send(|http, url| http.post(url).json(&body), &path)
            .await?;
        match response.status() {
            StatusCode::OK => response
                .json()
                .await
                .map(AppendOutcome::Appended)
                .map_err(|error| SharedError::NotZspark {
                    server: self.url().to_string(),
                    path,
                    reason: error.to_string(),
                }),
            StatusCode::CONFLICT => Ok(AppendOutcome::Stale),
            _ => Err(refusal_of(response).await),
        }
    }

    /// A new session holding the first `up_to_seq` items of this one.
    pub async fn fork(
        &self,
        workspace_id: &str,
        session_id: &str,
        up_to_seq: i64,
        title: String,
    ) -> Result<Session, SharedError> {
        let body = ForkSession {
            up_to_seq: Some(up_to_seq),
            title: Some(title),
        };
        self.post_json(
            &format!("/v1/workspaces/{workspace_id}/sessions/{session_id}/fork"),
            &body,
            StatusCode::CREATED,
        )
        .await
    }

    /// Who the server says the user is, in words for people.
    pub async fn my_name(&self) -> Result<String, SharedError> {
        let me: zspark_api::Me = self.get("/v1/me").await?;
        Ok(me.display_name.unwrap_or(me.principal))
    }
}
