//! Responses API over Chat Completions: pure translation of requests and of streamed
//! or JSON responses between the two wire formats, used in-process by `codex-core` and
//! served as a proxy by `zspark bridge`.
