//! Following a workspace's live activity feed (`GET /v1/workspaces/{id}/live`, a
//! WebSocket): each entry the server records, by any of its instances, arrives as it
//! happens. Reconnecting with the last entry's id misses nothing; the server closes
//! the socket with code 4403 when the user stops being a member.

use futures::StreamExt;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use zspark_api::Activity;

use crate::shared::{SharedClient, SharedError};

/// The close code for "you are no longer a member".
const CLOSE_NOT_A_MEMBER: u16 = 4403;

/// One message of the feed.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum FeedMessage {
    Ready,
    Activity { entry: Activity },
}

/// How a feed ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEnd {
    /// The user is no longer a member of the workspace (or it was deleted).
    NotAMember,
    /// The connection dropped or the server closed it; following again with the last
    /// entry's id goes on where it stopped.
    Dropped(String),
}

/// A WebSocket to the server.
pub(super) type ServerSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl SharedClient {
    /// Opens the WebSocket at `path` with the user's credentials; `Ok(Err(status))`
    /// when the server refuses the upgrade with that status.
    pub(super) async fn open_websocket(
        &self,
        path: &str,
    ) -> Result<Result<ServerSocket, u16>, SharedError> {
        let address = format!("{}{path}", self.url());
        let address = match address.split_once("://") {
            Some(("https", rest)) => format!("wss://{rest}"),
            Some((_, rest)) => format!("ws://{rest}"),
            None => address,
        };
        let unreachable = |reason: String| SharedError::Unreachable {
            server: self.url().to_string(),
            reason,
        };
        let mut request = address
            .into_client_request()
            .map_err(|error| unreachable(error.to_string()))?;
        let (name, value) = self.credential().await?;
        request.headers_mut().insert(
            name,
            HeaderValue::from_str(&value).map_err(|error| unreachable(error.to_string()))?,
        );
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(Ok(socket)),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Ok(Err(response.status().as_u16()))
            }
            Err(error) => Err(unreachable(error.to_string())),
        }
    }

    /// Follows workspace `workspace_id`'s feed from just after entry `after` (from now
    /// on when `None`), calling `on_entry` for each entry, oldest first, until the feed
    /// ends.
    pub async fn follow_activity(
        &self,
        workspace_id: &str,
        after: Option<&str>,
        mut on_entry: impl FnMut(Activity),
    ) -> Result<FeedEnd, SharedError> {
        let mut path = format!("/v1/workspaces/{workspace_id}/live");
        if let Some(after) = after {
            path.push_str(&format!("?after={after}"));
        }
        let mut socket = match self.open_websocket(&path).await? {
            Ok(socket) => socket,
            Err(404) => return Ok(FeedEnd::NotAMember),
            Err(status) => {
                return Err(SharedError::Unreachable {
                    server: self.url().to_string(),
                    reason: format!("the server answered {status}"),
                });
            }
        };
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Text(text)) => match serde_json::from_str::<FeedMessage>(&text) {
                    Ok(FeedMessage::Activity { entry }) => on_entry(entry),
                    Ok(FeedMessage::Ready) | Err(_) => {}
                },
                Ok(Message::Close(frame)) => {
                    return Ok(match frame {
                        Some(frame) if frame.code == CloseCode::from(CLOSE_NOT_A_MEMBER) => {
                            FeedEnd::NotAMember
                        }
                        Some(frame) => FeedEnd::Dropped(frame.reason.to_string()),
                        None => FeedEnd::Dropped("the server closed the feed".to_string()),
                    });
                }
                Ok(_) => {}
                Err(error) => return Ok(FeedEnd::Dropped(error.to_string())),
            }
        }
        Ok(FeedEnd::Dropped("the connection ended".to_string()))
    }
}
