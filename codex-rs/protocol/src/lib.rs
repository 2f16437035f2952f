//! The surface between zspark's agent runtime and everything that drives it: the queue
//! pair (`Submission { id, op }` in, `Event { id, msg }` out), the Responses API items the
//! runtime exchanges with models, and configuration types. Serde types only, no I/O.
