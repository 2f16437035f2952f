//! How tools are named on the Chat wire, and back. Chat Completions has no freeform
//! tools and no namespaces: a freeform tool becomes a function whose text travels in
//! its `input` argument, and each function of a namespace (an MCP server's tools)
//! becomes one function named `<namespace>__<tool>`. A name longer than
//! [`MAX_CHAT_TOOL_NAME`] (the limit many Chat servers enforce) is cut and ends in `_`
//! and 12 hexadecimal digits of a SHA-1 over the namespace and the tool, so it stays
//! unique. Calls that come back under such a name are given their namespace and tool
//! name again, so histories and rollouts look as they do with a Responses model.

use std::collections::{HashMap, HashSet};

use sha1::{Digest, Sha1};

/// The longest function name sent to a Chat server.
pub const MAX_CHAT_TOOL_NAME: usize = 64;

/// The tools of one request whose Chat names differ from their Responses shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolNames {
    /// Freeform tools, by name.
    pub custom: HashSet<String>,
    /// Chat function name -> (namespace, tool name) for the tools of a namespace.
    pub namespaced: HashMap<String, (String, String)>,
}

impl ToolNames {
    pub fn is_custom(&self, name: &str) -> bool {
        self.custom.contains(name)
    }

    /// The namespace and tool name a Chat function name stands for, if it is one.
    pub fn namespaced(&self, chat_name: &str) -> Option<(&str, &str)> {
        self.namespaced
            .get(chat_name)
            .map(|(namespace, tool)| (namespace.as_str(), tool.as_str()))
    }
}

impl From<HashSet<String>> for ToolNames {
    fn from(custom: HashSet<String>) -> Self {
        Self {
            custom,
            namespaced: HashMap::new(),
        }
    }
}

/// The Chat name of `tool` in `namespace`.
pub fn flat_name(namespace: &str, tool: &str) -> String {
    let joined = format!("{namespace}__{tool}");
    if joined.len() <= MAX_CHAT_TOOL_NAME {
        return joined;
    }
    let digest = Sha1::digest(format!("{namespace}\0{tool}").as_bytes());
    let hash: String = digest
        .iter()
        .take(6)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let mut keep = MAX_CHAT_TOOL_NAME - 1 - hash.len();
    while !joined.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_{hash}", &joined[..keep])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_join_and_long_ones_are_cut_with_a_hash() {
        assert_eq!(flat_name("mcp__docs", "search"), "mcp__docs__search");
        let long = flat_name(
            "mcp__a_server_with_a_rather_long_name",
            "and_a_tool_with_a_long_name_too",
        );
        assert_eq!(long.len(), MAX_CHAT_TOOL_NAME);
        assert!(long.starts_with("mcp__a_server_with_a_rather_long_name__and_a_tool_"));
        let other = flat_name(
            "mcp__a_server_with_a_rather_long_name",
            "and_a_tool_with_a_long_name_two",
        );
        assert_ne!(long, other, "names alike up to the cut stay apart");
        assert!(long.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    }
}
