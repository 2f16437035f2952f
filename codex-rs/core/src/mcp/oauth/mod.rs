//! OAuth for streamable HTTP MCP servers: the sign-in ([`login`]: discovery, dynamic
//! client registration, the browser with PKCE and a loopback redirect), the tokens kept
//! where Codex keeps them ([`store`]), whether a server takes sign-ins at all
//! ([`offers_oauth`]), and the connection's view of them
//! (`credentials`), through which `rmcp` refreshes an expiring token, sending the
//! RFC 8707 `resource`, before a request rather than after it fails.

mod callback;
pub(crate) mod credentials;
pub mod login;
mod probe;
pub mod store;

pub use callback::CallbackError;
pub use login::{
    BROWSER_TIMEOUT, LoggedIn, LoginError, LoginSettings, PendingLogin, logout, open_in_browser,
    start_login,
};
pub use probe::{PROBE_TIMEOUT, offers_oauth};
pub use store::{CredentialsStoreMode, SavedIn, SavedTokens, TokenStore, TokenStoreError};
