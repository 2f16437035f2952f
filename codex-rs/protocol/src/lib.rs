//! The surface between zspark's agent runtime and everything that drives it: the queue
//! pair (`Submission { id, op }` in, `Event { id, msg }` out), the Responses API items the
//! runtime exchanges with models, and configuration types. Serde types only, no I/O.

pub mod agents;
pub mod config_types;
pub mod items;
pub mod plan;
pub mod protocol;
pub mod skills;

pub use agents::{AgentMailEvent, AgentStatus, CollabAgentRef, CollabToolCallEvent};
pub use config_types::{
    ApprovalPolicy, ReasoningEffort, ReasoningSummary, SandboxMode, SandboxPolicy, Verbosity,
    WireApi,
};
pub use items::{AgentMessagePart, ContentItem, ResponseItem, Role, ToolOutput};
pub use plan::{PlanItem, PlanUpdate, StepStatus};
pub use protocol::*;
pub use skills::{PluginInfo, SkillError, SkillInfo, SkillScope};
