//! Skills: discovery in every scope (plugins' too), precedence, malformed files, the
//! summary message, explicit use, and the list over the queue pair.

use std::path::{Path, PathBuf};

use codex_core::context::{SkillRoots, discover_skills};
use codex_protocol::{EventMsg, InputItem, Op, SkillScope, TurnOverrides};
use codex_test_support::Turn;

use super::Harness;

fn skill(dir: &Path, name: &str, description: &str) -> PathBuf {
    let path = dir.join(name).join("SKILL.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!(
            "---\nname: {name}\ndescription: {description}\n---\n\n# {name}\nDo the {name} thing.\n"
        ),
    )
    .unwrap();
    path
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

struct Tree {
    _dir: tempfile::TempDir,
    codex_home: PathBuf,
    home: PathBuf,
    repo: PathBuf,
    cwd: PathBuf,
    admin: PathBuf,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let repo = root.join("repo");
    let cwd = repo.join("app");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(&cwd).unwrap();
    Tree {
        codex_home: root.join("home/.codex"),
        home: root.join("home"),
        admin: root.join("etc/codex/skills"),
        repo,
        cwd,
        _dir: dir,
    }
}

fn roots(tree: &Tree) -> SkillRoots {
    let mut roots = SkillRoots::standard(&tree.codex_home, Some(&tree.home), &tree.cwd);
    for (path, scope) in &mut roots.roots {
        if *scope == SkillScope::Admin {
            *path = tree.admin.clone();
        }
    }
    roots
}

#[test]
fn installed_plugins_bring_their_skills_below_the_users_own() {
    let tree = tree();
    let plugin = tree.codex_home.join("plugins/cache/market/office/1.0.0");
    write(
        &plugin.join(".codex-plugin/plugin.json"),
        r#"{"name": "office", "version": "1.0.0", "description": "Office documents"}"#,
    );
    skill(&plugin.join("skills"), "docx", "write Word documents");
    skill(&plugin.join("skills"), "notes", "the plugin's notes");
    skill(
        &tree.home.join(".agents/skills"),
        "notes",
        "the user's notes",
    );
    write(
        &tree
            .codex_home
            .join("plugins/bad/.codex-plugin/plugin.json"),
        r#"{"version": "1"}"#,
    );

    let catalog = discover_skills(&roots(&tree));
    let found: Vec<(&str, SkillScope, &str)> = catalog
        .skills
        .iter()
        .map(|s| (s.name.as_str(), s.scope, s.description.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("notes", SkillScope::User, "the user's notes"),
            ("docx", SkillScope::Plugin, "write Word documents"),
        ]
    );
    let plugins: Vec<(&str, Option<&str>)> = catalog
        .plugins
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_deref()))
        .collect();
    assert_eq!(plugins, [("office", Some("1.0.0"))]);
    let errors: Vec<String> = catalog
        .errors
        .iter()
        .map(|error| format!("{}: {}", error.path.display(), error.message))
        .collect();
    assert!(
        errors
            .iter()
            .any(|error| error.contains("plugins/bad") && error.contains("name")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|error| error.contains("office") && error.contains("takes precedence")),
        "{errors:?}"
    );
}

#[test]
fn every_scope_is_searched_and_the_nearest_name_wins() {
    let tree = tree();
    let near = skill(
        &tree.cwd.join(".codex/skills"),
        "deploy",
        "the app's own deploy",
    );
    skill(&tree.repo.join(".agents/skills"), "lint", "repo lint rules");
    skill(
        &tree.codex_home.join("skills"),
        "deploy",
        "the user's generic deploy",
    );
    skill(
        &tree.codex_home.join("skills/office"),
        "slides",
        "make presentations",
    );
    skill(&tree.home.join(".agents/skills"), "notes", "take notes");
    skill(
        &tree.codex_home.join("skills/.system"),
        "skill-creator",
        "create skills",
    );
    skill(&tree.admin, "policy", "company policy");
    skill(
        &tree.repo.parent().unwrap().join(".codex/skills"),
        "outside",
        "above the repository root",
    );

    let catalog = discover_skills(&roots(&tree));
    let found: Vec<(String, SkillScope)> = catalog
        .skills
        .iter()
        .map(|s| (s.name.clone(), s.scope))
        .collect();
    assert_eq!(
        found,
        [
            ("deploy".to_string(), SkillScope::Repo),
            ("lint".to_string(), SkillScope::Repo),
            ("slides".to_string(), SkillScope::User),
            ("notes".to_string(), SkillScope::User),
            ("skill-creator".to_string(), SkillScope::System),
            ("policy".to_string(), SkillScope::Admin),
        ]
    );
    assert_eq!(catalog.skills[0].path, near);
    assert_eq!(catalog.skills[0].description, "the app's own deploy");
    assert_eq!(catalog.errors.len(), 1);
    assert!(
        catalog.errors[0]
            .message
            .contains("skill `deploy` is also defined in"),
        "{:?}",
        catalog.errors
    );
}

#[test]
fn malformed_files_are_reported_and_the_rest_still_load() {
    let tree = tree();
    let skills = tree.codex_home.join("skills");
    skill(&skills, "good", "works");
    write(&skills.join("plain/SKILL.md"), "# no front matter\n");
    write(
        &skills.join("unclosed/SKILL.md"),
        "---\nname: x\ndescription: y\n",
    );
    write(&skills.join("yaml/SKILL.md"), "---\nname: [unclosed\n---\n");
    write(
        &skills.join("nameless/SKILL.md"),
        "---\ndescription: no name\n---\n",
    );
    write(
        &skills.join("long/SKILL.md"),
        &format!("---\nname: long\ndescription: {}\n---\n", "d".repeat(1100)),
    );
    std::fs::create_dir_all(skills.join("binary")).unwrap();
    std::fs::write(skills.join("binary/SKILL.md"), [0xff, 0xfe, 0x00]).unwrap();
    write(
        &skills.join("folded/SKILL.md"),
        "---\nname: folded\ndescription: >\n  spans\n  two lines\nmetadata:\n  short-description: short   one\n---\n",
    );
    write(
        &skills.join(".hidden/SKILL.md"),
        "---\nname: hidden\ndescription: skipped\n---\n",
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(skills.join("good"), skills.join("linked")).unwrap();

    let catalog = discover_skills(&roots(&tree));
    let names: Vec<&str> = catalog.skills.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["folded", "good"],
        "hidden and symlinked skills are skipped"
    );
    let folded = &catalog.skills[0];
    assert_eq!(folded.description, "spans two lines");
    assert_eq!(folded.short_description.as_deref(), Some("short one"));
    let message = |dir: &str| -> String {
        catalog
            .errors
            .iter()
            .find(|error| error.path.ends_with(format!("{dir}/SKILL.md")))
            .map(|error| error.message.clone())
            .unwrap_or_else(|| panic!("no error for {dir}: {:?}", catalog.errors))
    };
    assert!(message("plain").contains("must start with a `---` line"));
    assert!(message("unclosed").contains("not closed"));
    assert!(message("yaml").contains("not valid YAML"));
    assert!(message("nameless").contains("no `name`"));
    assert!(message("long").contains("`description` is 1100 characters; at most 1024"));
    assert!(message("binary").contains("not UTF-8"));
}

#[tokio::test]
async fn the_session_lists_skills_tells_the_model_and_injects_a_chosen_one() {
    // Skills are discovered when the session starts, so they are created first.
    let server = codex_test_support::ScriptedModelServer::start(vec![
        Turn::text("first"),
        Turn::text("second"),
    ])
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let reviewed = skill(
        &work.path().join(".codex/skills"),
        "review",
        "review a change carefully",
    );
    write(
        &work.path().join(".codex/skills/broken/SKILL.md"),
        "no front matter",
    );
    std::fs::write(
        home.path().join("config.toml"),
        super::config_toml(&server.base_url(), ""),
    )
    .unwrap();
    let loaded = super::load(home.path(), work.path(), super::test_env(home.path()));
    let mut harness =
        Harness::begin(server, home, work, loaded, codex_core::ThreadStart::new()).await;

    harness.submit(Op::ListSkills).await;
    let listed = harness
        .until(|e| matches!(e, EventMsg::SkillsList { .. }))
        .await;
    let Some(EventMsg::SkillsList { skills, errors, .. }) = listed.last() else {
        unreachable!()
    };
    assert_eq!(skills.len(), 1);
    assert_eq!(
        (skills[0].name.as_str(), skills[0].scope),
        ("review", SkillScope::Repo)
    );
    assert_eq!(errors.len(), 1);

    harness.turn("hello").await;
    let first = harness.server.model_requests()[0].input_items();
    let summary = first
        .iter()
        .filter_map(|i| i["content"][0]["text"].as_str())
        .find(|t| t.starts_with("<skills_instructions>"))
        .unwrap()
        .to_string();
    assert!(
        summary.contains(&format!(
            "- review: review a change carefully (file: {})",
            reviewed.display()
        )),
        "{summary}"
    );

    harness
        .submit(Op::UserTurn {
            items: vec![
                InputItem::Text {
                    text: "please review".into(),
                },
                InputItem::Skill {
                    name: "review".into(),
                    path: reviewed.clone(),
                },
            ],
            overrides: TurnOverrides::default(),
        })
        .await;
    harness.until_turn_end().await;
    let second = harness.server.model_requests()[1].input_items();
    let message = second.last().unwrap();
    assert_eq!(message["content"][0]["text"], "please review");
    let injected = message["content"][1]["text"].as_str().unwrap();
    assert!(
        injected.starts_with(&format!(
            "<skill>\n<name>review</name>\n<path>{}</path>\n---\nname: review",
            reviewed.display()
        )),
        "{injected}"
    );
    assert!(
        injected.ends_with("Do the review thing.\n\n</skill>"),
        "{injected}"
    );
}

#[test]
fn agent_metadata_adds_names_and_keeps_explicit_only_skills_out_of_the_summary() {
    let tree = tree();
    let skills = tree.codex_home.join("skills");
    skill(&skills, "reviewer", "reviews changes");
    write(
        &skills.join("reviewer/agents/openai.yaml"),
        "interface:\n  display_name: \"Code Reviewer\"\n  short_description: \"Find bugs\"\n  default_prompt: \"Use $reviewer on my change\"\npolicy:\n  allow_implicit_invocation: false\n",
    );
    skill(&skills, "plain", "no metadata");
    skill(&skills, "odd", "bad metadata");
    write(
        &skills.join("odd/agents/openai.yaml"),
        "interface: [unclosed\n",
    );
    let catalog = discover_skills(&roots(&tree));
    let reviewer = catalog
        .skills
        .iter()
        .find(|s| s.name == "reviewer")
        .unwrap();
    assert_eq!(reviewer.display_name.as_deref(), Some("Code Reviewer"));
    assert_eq!(reviewer.short_description.as_deref(), Some("Find bugs"));
    assert_eq!(
        reviewer.default_prompt.as_deref(),
        Some("Use $reviewer on my change")
    );
    assert!(!reviewer.implicit);
    assert!(
        catalog.skills.iter().any(|s| s.name == "odd" && s.implicit),
        "a broken openai.yaml does not lose the skill"
    );
    assert!(
        catalog
            .errors
            .iter()
            .any(|e| e.message.contains("openai.yaml is not valid YAML"))
    );
    let message = codex_core::context::skills_message(&catalog.skills)
        .unwrap()
        .message_text()
        .unwrap();
    assert!(message.contains("- plain: no metadata") && message.contains("- odd: bad metadata"));
    assert!(
        !message.contains("reviewer"),
        "explicit-only skills stay out of the model's list"
    );
}
