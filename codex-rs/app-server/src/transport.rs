//! Where connections come from: stdio (one connection, the default), or a WebSocket
//! listener on a loopback address, where every connection must show the listener's
//! capability token (`Authorization: Bearer <token>`) and each gets its own runtime.
//! Each text frame, like each stdio line, is one JSON-RPC message.

use std::net::SocketAddr;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use crate::connection::{ServerContext, serve};

/// Lines waiting to be read or written, per connection.
const LINE_QUEUE: usize = 256;

/// Serves one connection on stdin and stdout until stdin ends.
pub async fn run_stdio(context: ServerContext) {
    let (line_tx, line_rx) = mpsc::channel::<String>(LINE_QUEUE);
    let (out_tx, mut out_rx) = mpsc::channel::<String>(LINE_QUEUE);
    tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line_tx.send(line).await.is_err() {
                break;
            }
        }
    });
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(line) = out_rx.recv().await {
            let written = async {
                stdout.write_all(line.as_bytes()).await?;
                stdout.write_all(b"\n").await?;
                stdout.flush().await
            };
            if written.await.is_err() {
                break;
            }
        }
    });
    serve(context, line_rx, out_tx).await;
    let _ = writer.await;
}

/// Why the WebSocket listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("{0} is not a loopback address; the app-server listens on 127.0.0.1 or ::1 only")]
    NotLoopback(SocketAddr),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A bound WebSocket listener and the token its clients must show.
pub struct WebSocketListener {
    listener: TcpListener,
    token: String,
}

impl WebSocketListener {
    pub async fn bind(addr: SocketAddr, token: String) -> Result<Self, ListenError> {
        if !addr.ip().is_loopback() {
            return Err(ListenError::NotLoopback(addr));
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ListenError::Bind { addr, source })?;
        Ok(Self { listener, token })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections for ever, each served on its own task.
    #[allow(
        clippy::result_large_err,
        reason = "the token check has the signature of tungstenite's handshake callback"
    )]
    pub async fn run(self, context: ServerContext) {
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                continue;
            };
            let token = self.token.clone();
            let context = context.clone();
            tokio::spawn(async move {
                let check = |request: &Request,
                             response: Response|
                 -> Result<Response, ErrorResponse> {
                    let shown = request
                        .headers()
                        .get("authorization")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.strip_prefix("Bearer "));
                    if shown == Some(token.as_str()) {
                        Ok(response)
                    } else {
                        let mut refused = ErrorResponse::new(Some(
                            "missing or wrong capability token: send `Authorization: Bearer <token>` with the token the app-server printed"
                                .to_string(),
                        ));
                        *refused.status_mut() = StatusCode::UNAUTHORIZED;
                        Err(refused)
                    }
                };
                let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, check).await else {
                    return;
                };
                serve_socket(socket, context).await;
            });
        }
    }
}

async fn serve_socket(
    socket: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    context: ServerContext,
) {
    let (mut sink, mut stream) = socket.split();
    let (line_tx, line_rx) = mpsc::channel::<String>(LINE_QUEUE);
    let (out_tx, mut out_rx) = mpsc::channel::<String>(LINE_QUEUE);
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let text = match message {
                Message::Text(text) => text.to_string(),
                Message::Close(_) => break,
                _ => continue,
            };
            if line_tx.send(text).await.is_err() {
                break;
            }
        }
    });
    let writer = tokio::spawn(async move {
        while let Some(line) = out_rx.recv().await {
            if sink.send(Message::Text(line.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    serve(context, line_rx, out_tx).await;
    let _ = writer.await;
}
