//! The reference MCP servers from npm (`@modelcontextprotocol/server-everything` and
//! `@modelcontextprotocol/server-filesystem`) for the MCP tests. Tests that need one
//! skip with a reason when it is not installed, unless `ZSPARK_REQUIRE_CLIENTS=1` (CI
//! installs them).
#![allow(clippy::print_stderr, reason = "a test fixture: a skip says why")]

use std::path::PathBuf;

/// The `mcp-server-everything` program named by `ZSPARK_TEST_MCP_EVERYTHING`, or
/// `None` (with the reason printed) when it is not there.
pub fn everything_server() -> Option<PathBuf> {
    npm_server("ZSPARK_TEST_MCP_EVERYTHING", "server-everything")
}

/// The `mcp-server-filesystem` program named by `ZSPARK_TEST_MCP_FILESYSTEM`, or
/// `None` (with the reason printed) when it is not there.
pub fn filesystem_server() -> Option<PathBuf> {
    npm_server("ZSPARK_TEST_MCP_FILESYSTEM", "server-filesystem")
}

fn npm_server(variable: &str, package: &str) -> Option<PathBuf> {
    let program = std::env::var_os(variable).map(PathBuf::from);
    if program.as_ref().is_some_and(|path| path.is_file()) {
        return program;
    }
    assert!(
        std::env::var("ZSPARK_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "ZSPARK_REQUIRE_CLIENTS=1 but {variable} is not the mcp-{package} program"
    );
    eprintln!(
        "skipping: set {variable} to node_modules/.bin/mcp-{package} after `npm install @modelcontextprotocol/{package}`"
    );
    None
}
