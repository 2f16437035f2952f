//! zspark's Codex-compatible agent runtime: configuration from `CODEX_HOME`, the model
//! client (Responses API, and Chat Completions through `zspark-bridge`), the turn loop,
//! tools, and rollout files. Driven only through the `codex-protocol` queue pair.
