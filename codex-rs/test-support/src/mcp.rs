//! The reference MCP server from npm (`@modelcontextprotocol/server-everything`) for
//! the MCP tests. Tests that need it skip with a reason when it is not installed,
//! unless `ZSPARK_REQUIRE_CLIENTS=1` (CI installs it).
#![allow(clippy::print_stderr, reason = "a test fixture: a skip says why")]

use std::path::PathBuf;

/// The `mcp-server-everything` program named by `ZSPARK_TEST_MCP_EVERYTHING`, or
/// `None` (with the reason printed) when it is not there.
pub fn everything_server() -> Option<PathBuf> {
    let program = std::env::var_os("ZSPARK_TEST_MCP_EVERYTHING").map(PathBuf::from);
    if program.as_ref().is_some_and(|path| path.is_file()) {
        return program;
    }
    assert!(
        std::env::var("ZSPARK_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "ZSPARK_REQUIRE_CLIENTS=1 but ZSPARK_TEST_MCP_EVERYTHING is not the mcp-server-everything program"
    );
    eprintln!(
        "skipping: set ZSPARK_TEST_MCP_EVERYTHING to node_modules/.bin/mcp-server-everything after `npm install @modelcontextprotocol/server-everything`"
    );
    None
}
