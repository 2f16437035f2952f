//! What the model is told besides the conversation: AGENTS.md instructions, memory,
//! skills, the environment, and compaction of a long history.

mod agents_md;
pub mod compact;
pub mod plugins;
pub mod skills;

use codex_protocol::{ResponseItem, SkillInfo};

pub use agents_md::{DocsSettings, ProjectDocs, instructions_message, load_project_docs};
pub use skills::{
    SkillCatalog, SkillFileError, SkillReadError, SkillRoots, discover_skills, explicit_skill_text,
    skills_message,
};

use crate::config::Config;

/// The messages a session starts with, before the first user message: the
/// developer instructions from config, the memory summary, the skills list, the
/// AGENTS.md instructions. The
/// environment context follows them (built per turn settings by the session).
pub fn initial_context(config: &Config, skills: &[SkillInfo]) -> (Vec<ResponseItem>, Vec<String>) {
    let mut items = Vec::new();
    if let Some(developer) = config
        .developer_instructions
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        items.push(ResponseItem::developer_text(developer));
    }
    let (memory, memory_warning) = crate::memories::summary_message(&config.memories);
    items.extend(memory);
    items.extend(skills_message(skills));
    let docs = load_project_docs(&DocsSettings {
        codex_home: &config.codex_home,
        cwd: &config.cwd,
        max_bytes: config.project_doc_max_bytes,
        fallback_names: &config.project_doc_fallback_filenames,
        user_instructions: config.user_instructions.as_deref(),
    });
    if let Some(text) = &docs.text {
        items.push(instructions_message(&config.cwd, text));
    }
    let mut warnings = docs.warnings;
    warnings.extend(memory_warning);
    (items, warnings)
}
