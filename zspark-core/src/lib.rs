//! What the desktop and other embedders drive: an engine handle over the runtime's queue
//! pair, the local session catalogue, settings and secrets, artifacts, and the client for
//! shared workspaces.
