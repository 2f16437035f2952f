//! The names MCP tools get for the model, exactly as Codex gives them, so rollouts and
//! histories written by either read the same: each server is a namespace
//! `mcp__<server>`, each tool a function inside it, both with every character outside
//! `[A-Za-z0-9_]` replaced by `_`. A namespace and a tool name together (joined by
//! `__`) may be at most [`MAX_QUALIFIED_LEN`] characters: a longer tool name is cut and
//! ends in `_` and 12 hexadecimal digits of a SHA-1 over the raw names, which also
//! tells apart two tools whose names sanitise alike. `tools/call` always uses the raw
//! name.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};

/// The longest `<namespace>__<tool>`.
pub const MAX_QUALIFIED_LEN: usize = 128;
/// `_` and 12 hexadecimal digits.
const SUFFIX_LEN: usize = 13;

/// `name` with every character outside `[A-Za-z0-9_]` replaced by `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The namespace of a server's tools: `mcp__<sanitised server name>`.
pub fn namespace(server: &str) -> String {
    format!("mcp__{}", sanitize(server))
}

/// The first 12 hexadecimal digits of the SHA-1 of the raw identity of a tool
/// (server, connector and tool; the connector is empty for plain MCP servers).
fn identity_hash(server: &str, tool: &str) -> String {
    let identity = format!("{server}\0{server}\0\0{tool}\0{tool}");
    let digest = Sha1::digest(identity.as_bytes());
    digest
        .iter()
        .take(6)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The model-facing names of a server's tools, keyed by raw tool name.
pub fn tool_names<'a>(
    server: &str,
    raw_tools: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, String> {
    let namespace_len = namespace(server).len();
    let room = MAX_QUALIFIED_LEN.saturating_sub(namespace_len + 2);
    let raw_tools: Vec<&str> = raw_tools.into_iter().collect();
    let mut sanitised_count: BTreeMap<String, usize> = BTreeMap::new();
    for raw in &raw_tools {
        *sanitised_count.entry(sanitize(raw)).or_default() += 1;
    }
    raw_tools
        .into_iter()
        .map(|raw| {
            let sanitised = sanitize(raw);
            let clashes = sanitised_count.get(&sanitised).copied().unwrap_or(0) > 1;
            let name = if sanitised.len() <= room && !clashes {
                sanitised
            } else {
                let keep = room.saturating_sub(SUFFIX_LEN).min(sanitised.len());
                format!("{}_{}", &sanitised[..keep], identity_hash(server, raw))
            };
            (raw.to_string(), name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised() {
        assert_eq!(namespace("my-server.v2"), "mcp__my_server_v2");
        assert_eq!(namespace("demo-echo"), "mcp__demo_echo");
        let names = tool_names("weather", ["get.weather-now"]);
        assert_eq!(names["get.weather-now"], "get_weather_now");
    }

    #[test]
    fn a_long_name_is_cut_to_128_with_the_codex_hash() {
        let server = format!("srv-{}", "a".repeat(66));
        assert_eq!(namespace(&server).len(), 75);
        let tool = "x".repeat(70);
        let name = &tool_names(&server, [tool.as_str()])[&tool];
        assert_eq!(name, &format!("{}_ec61eefcd2ee", "x".repeat(38)));
        assert_eq!(namespace(&server).len() + 2 + name.len(), MAX_QUALIFIED_LEN);
    }

    #[test]
    fn the_limit_is_on_the_sum() {
        let tool = "y".repeat(70);
        assert_eq!(tool_names("s", [tool.as_str()])[&tool], tool);
    }

    #[test]
    fn tools_that_sanitise_alike_are_told_apart() {
        let names = tool_names("s", ["a.b", "a-b", "c"]);
        assert_ne!(names["a.b"], names["a-b"]);
        assert!(names["a.b"].starts_with("a_b_") && names["a.b"].len() == 3 + SUFFIX_LEN);
        assert_eq!(names["c"], "c");
    }
}
