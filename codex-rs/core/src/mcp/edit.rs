//! Adding, changing, turning on and off and removing `[mcp_servers.<name>]` tables in
//! `config.toml`, as `zspark mcp add` and `remove` and the desktop's server list do,
//! and switching `[features]` (the desktop's Memory panel).
//! The file is edited with `toml_edit`, so everything else in it (comments, order,
//! other settings) stays as the user wrote it, and written through a temporary file, so
//! a failed write never leaves half a config behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, value};

use super::config::McpServerFile;

/// A server to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewServer {
    /// A program zspark starts: `command`, `args` and `[mcp_servers.<name>.env]`.
    Stdio {
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
    },
    /// A streamable HTTP endpoint: `url` and `bearer_token_env_var`.
    StreamableHttp {
        url: String,
        bearer_token_env_var: Option<String>,
    },
}

impl NewServer {
    /// The entry as the config file will hold it, for checking before it is written.
    pub fn as_entry(&self) -> McpServerFile {
        match self {
            Self::Stdio { command, args, env } => McpServerFile {
                command: Some(command.clone()),
                args: Some(args.clone()),
                env: Some(env.clone()),
                ..McpServerFile::default()
            },
            Self::StreamableHttp {
                url,
                bearer_token_env_var,
            } => McpServerFile {
                url: Some(url.clone()),
                bearer_token_env_var: bearer_token_env_var.clone(),
                ..McpServerFile::default()
            },
        }
    }
}

/// Why `config.toml` could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("invalid server name '{0}' (use letters, numbers, '-', '_', ':', '@', '/', '.')")]
    InvalidName(String),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid TOML, so it was left alone: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: toml_edit::TomlError,
    },
    #[error(
        "`mcp_servers` in {} is not a table of [mcp_servers.<name>] sections; fix it by hand, then try again",
        path.display()
    )]
    NotATable { path: PathBuf },
    #[error(
        "`features` in {} is not a table of switches; fix it by hand, then try again",
        path.display()
    )]
    FeaturesNotATable { path: PathBuf },
    #[error(
        "`{key}` in {} is written in a form zspark does not edit (a value or an inline table); change it by hand",
        path.display()
    )]
    NotEditable { path: PathBuf, key: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Whether `name` may name a server: letters, digits and `-_:@/.`, as Codex allows.
pub fn check_server_name(name: &str) -> Result<(), EditError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_:@/.".contains(c);
    if name.is_empty() || !name.chars().all(allowed) {
        return Err(EditError::InvalidName(name.to_string()));
    }
    Ok(())
}

/// `config.toml`, read for editing.
pub struct ConfigDocument {
    path: PathBuf,
    document: DocumentMut,
}

impl ConfigDocument {
    /// Reads the file at `path`; a file that does not exist yet is an empty config.
    pub fn open(path: &Path) -> Result<Self, EditError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(EditError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let document = text.parse().map_err(|source| EditError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            document,
        })
    }

    /// Adds the server `name`, replacing a server of that name (its leading comments
    /// stay).
    pub fn add_server(&mut self, name: &str, server: &NewServer) -> Result<(), EditError> {
        check_server_name(name)?;
        let path = self.path.clone();
        let servers = self
            .servers_table(true)?
            .ok_or(EditError::NotATable { path })?;
        let mut table = Table::new();
        write_transport(&mut table, server);
        if let Some(Item::Table(old)) = servers.get(name) {
            *table.decor_mut() = old.decor().clone();
        }
        servers.insert(name, Item::Table(table));
        Ok(())
    }

    /// Points the server `name` at `server`, keeping its other settings (time-outs,
    /// tool filters, approvals) when it stays a server of the same kind; adds it when
    /// there is none. Settings of the other kind would be errors, so a server that
    /// changes kind starts afresh.
    pub fn update_server(&mut self, name: &str, server: &NewServer) -> Result<(), EditError> {
        check_server_name(name)?;
        let path = self.path.clone();
        let servers = self
            .servers_table(true)?
            .ok_or(EditError::NotATable { path })?;
        let same_kind_key = match server {
            NewServer::Stdio { .. } => "command",
            NewServer::StreamableHttp { .. } => "url",
        };
        match servers.get_mut(name) {
            Some(Item::Table(table)) if table.contains_key(same_kind_key) => {
                write_transport(table, server);
                Ok(())
            }
            _ => self.add_server(name, server),
        }
    }

    /// Turns the server `name` on or off (`enabled = false`; on removes the key, the
    /// default); false when there is no such server.
    pub fn set_enabled(&mut self, name: &str, enabled: bool) -> Result<bool, EditError> {
        let Some(servers) = self.servers_table(false)? else {
            return Ok(false);
        };
        let Some(Item::Table(table)) = servers.get_mut(name) else {
            return Ok(false);
        };
        set_or_remove(table, "enabled", (!enabled).then(|| value(false)));
        Ok(true)
    }

    /// Sets `[mcp_servers.<server>.tools.<tool>] approval_mode = "approve"`: the user's
    /// "always" for one tool. False when this file does not define the server.
    pub fn approve_tool(&mut self, server: &str, raw_tool: &str) -> Result<bool, EditError> {
        let path = self.path.clone();
        let Some(servers) = self.servers_table(false)? else {
            return Ok(false);
        };
        let Some(Item::Table(table)) = servers.get_mut(server) else {
            return Ok(false);
        };
        let key = format!("mcp_servers.{server}.tools.{raw_tool}");
        let tool = implicit_table(table, "tools")
            .and_then(|tools| implicit_table(tools, raw_tool))
            .ok_or(EditError::NotEditable { path, key })?;
        tool["approval_mode"] = value("approve");
        Ok(true)
    }

    /// As [`ConfigDocument::approve_tool`] for a server declared by `plugin`:
    /// `[plugins."<plugin>".mcp_servers.<server>.tools.<tool>]`.
    pub fn approve_plugin_tool(
        &mut self,
        plugin: &str,
        server: &str,
        raw_tool: &str,
    ) -> Result<bool, EditError> {
        let mut table = self.document.as_table_mut();
        for key in ["plugins", plugin, "mcp_servers", server, "tools", raw_tool] {
            table = implicit_table(table, key).ok_or_else(|| EditError::NotEditable {
                path: self.path.clone(),
                key: format!("plugins.\"{plugin}\".mcp_servers.{server}.tools.{raw_tool}"),
            })?;
        }
        table["approval_mode"] = value("approve");
        Ok(true)
    }

    /// Sets the OAuth client an HTTP server's sign-in uses (`[mcp_servers.<name>.oauth]`
    /// `client_id`, `client_secret`) and the RFC 8707 resource to ask for
    /// (`oauth_resource`); `None` leaves a setting as it is. False when there is no
    /// server `name`.
    pub fn set_oauth_client(
        &mut self,
        name: &str,
        client_id: Option<&str>,
        client_secret: Option<&str>,
        resource: Option<&str>,
    ) -> Result<bool, EditError> {
        let path = self.path.clone();
        let Some(servers) = self.servers_table(false)? else {
            return Ok(false);
        };
        let Some(Item::Table(table)) = servers.get_mut(name) else {
            return Ok(false);
        };
        if let Some(resource) = resource {
            table["oauth_resource"] = value(resource);
        }
        if client_id.is_none() && client_secret.is_none() {
            return Ok(true);
        }
        let key = format!("mcp_servers.{name}.oauth");
        let oauth = implicit_table(table, "oauth").ok_or(EditError::NotEditable { path, key })?;
        oauth.set_implicit(false);
        if let Some(client_id) = client_id {
            oauth["client_id"] = value(client_id);
        }
        if let Some(secret) = client_secret {
            oauth["client_secret"] = value(secret);
        }
        Ok(true)
    }

    /// Removes the server `name`; false when there was none.
    pub fn remove_server(&mut self, name: &str) -> Result<bool, EditError> {
        let Some(servers) = self.servers_table(false)? else {
            return Ok(false);
        };
        let Some(removed) = servers.remove(name) else {
            return Ok(false);
        };
        if servers.is_empty() {
            self.document.remove("mcp_servers");
        }
        if let Item::Table(table) = &removed {
            self.keep_comments_of(table);
        }
        Ok(true)
    }

    /// Comments written above a removed table may be about more than it (a file's
    /// header): they move to the table that followed it, or to the end of the file.
    fn keep_comments_of(&mut self, removed: &Table) {
        let prefix = removed
            .decor()
            .prefix()
            .and_then(|prefix| prefix.as_str())
            .unwrap_or_default()
            .to_string();
        if !prefix.contains('#') {
            return;
        }
        let mut positions = Vec::new();
        table_positions(self.document.as_table(), &mut Vec::new(), &mut positions);
        let removed_at = removed.position().unwrap_or(isize::MAX);
        let next = positions
            .into_iter()
            .filter(|(position, _)| *position > removed_at)
            .min_by_key(|(position, _)| *position);
        let target = next.and_then(|(_, path)| {
            path.iter()
                .try_fold(self.document.as_table_mut(), |table, key| {
                    table.get_mut(key)?.as_table_mut()
                })
        });
        match target {
            Some(table) => {
                let existing = table
                    .decor()
                    .prefix()
                    .and_then(|prefix| prefix.as_str())
                    .unwrap_or_default()
                    .to_string();
                table.decor_mut().set_prefix(format!("{prefix}{existing}"));
            }
            None => {
                let trailing = self
                    .document
                    .trailing()
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                self.document.set_trailing(format!("{trailing}{prefix}"));
            }
        }
    }

    /// The `[mcp_servers]` table (created, implicit, when `create` is set); `None` when
    /// it is missing and not created. Anything else standing there is an error, never
    /// overwritten.
    fn servers_table(&mut self, create: bool) -> Result<Option<&mut Table>, EditError> {
        if self.document.get("mcp_servers").is_none() {
            if !create {
                return Ok(None);
            }
            let mut table = Table::new();
            table.set_implicit(true);
            self.document.insert("mcp_servers", Item::Table(table));
        }
        match self.document.get_mut("mcp_servers") {
            Some(Item::Table(table)) => Ok(Some(table)),
            _ => Err(EditError::NotATable {
                path: self.path.clone(),
            }),
        }
    }

    /// Sets `[features] <feature> = <enabled>`.
    pub fn set_feature(&mut self, feature: &str, enabled: bool) -> Result<(), EditError> {
        if self.document.get("features").is_none() {
            self.document.insert("features", Item::Table(Table::new()));
        }
        match self.document.get_mut("features") {
            Some(Item::Table(table)) => {
                table.insert(feature, value(enabled));
                Ok(())
            }
            Some(Item::Value(toml_edit::Value::InlineTable(table))) => {
                table.insert(feature, toml_edit::Value::from(enabled));
                Ok(())
            }
            _ => Err(EditError::FeaturesNotATable {
                path: self.path.clone(),
            }),
        }
    }

    /// Writes the file (and its folder, when missing) through a temporary file.
    pub fn save(&self) -> Result<(), EditError> {
        let failed = |source| EditError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let temporary = self.path.with_extension("toml.zspark-tmp");
        std::fs::write(&temporary, self.document.to_string())
            .and_then(|()| std::fs::rename(&temporary, &self.path))
            .map_err(failed)
    }
}

/// Writes the keys `server` sets into `table` (removing those it leaves empty).
fn write_transport(table: &mut Table, server: &NewServer) {
    match server {
        NewServer::Stdio { command, args, env } => {
            table["command"] = value(command.as_str());
            let args = (!args.is_empty()).then(|| {
                value(
                    args.iter()
                        .map(String::as_str)
                        .collect::<toml_edit::Array>(),
                )
            });
            set_or_remove(table, "args", args);
            let env = (!env.is_empty()).then(|| {
                let mut env_table = Table::new();
                for (key, env_value) in env {
                    env_table[key.as_str()] = value(env_value.as_str());
                }
                Item::Table(env_table)
            });
            set_or_remove(table, "env", env);
        }
        NewServer::StreamableHttp {
            url,
            bearer_token_env_var,
        } => {
            table["url"] = value(url.as_str());
            let bearer = bearer_token_env_var.as_deref().map(value);
            set_or_remove(table, "bearer_token_env_var", bearer);
        }
    }
}

/// The position in the file of every table written with a header, with its key path.
fn table_positions(table: &Table, path: &mut Vec<String>, out: &mut Vec<(isize, Vec<String>)>) {
    for (key, item) in table.iter() {
        if let Item::Table(child) = item {
            path.push(key.to_string());
            if let Some(position) = child.position().filter(|_| !child.is_implicit()) {
                out.push((position, path.clone()));
            }
            table_positions(child, path, out);
            path.pop();
        }
    }
}

/// The table `key` of `parent`, created (implicit, so only its own keys get a header)
/// when missing; `None` when something else (a value, an inline table) stands there.
fn implicit_table<'a>(parent: &'a mut Table, key: &str) -> Option<&'a mut Table> {
    parent
        .entry(key)
        .or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(true);
            Item::Table(table)
        })
        .as_table_mut()
}

/// Sets `key` to `item`, or removes it when there is none.
fn set_or_remove(table: &mut Table, key: &str, item: Option<Item>) {
    match item {
        Some(item) => {
            table.insert(key, item);
        }
        None => {
            table.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITTEN_BY_HAND: &str = "# my settings\nmodel = \"gpt-5\" # the usual\n\n# the servers I use\n[mcp_servers.docs]\ncommand = \"docs-server\" # keep\n\n[profiles.work]\nmodel = \"o3\"\n";

    fn edited(text: &str, edit: impl FnOnce(&mut ConfigDocument)) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let mut document = ConfigDocument::open(&path).unwrap();
        edit(&mut document);
        document.save().unwrap();
        std::fs::read_to_string(&path).unwrap()
    }

    #[test]
    fn adding_keeps_comments_and_other_settings() {
        let text = edited(WRITTEN_BY_HAND, |document| {
            document
                .add_server(
                    "files",
                    &NewServer::Stdio {
                        command: "npx".into(),
                        args: vec!["-y".into(), "server-filesystem".into()],
                        env: BTreeMap::from([("ROOT".into(), "/srv".into())]),
                    },
                )
                .unwrap();
        });
        assert_eq!(
            text,
            "# my settings\nmodel = \"gpt-5\" # the usual\n\n# the servers I use\n[mcp_servers.docs]\ncommand = \"docs-server\" # keep\n\n[mcp_servers.files]\ncommand = \"npx\"\nargs = [\"-y\", \"server-filesystem\"]\n\n[mcp_servers.files.env]\nROOT = \"/srv\"\n\n[profiles.work]\nmodel = \"o3\"\n",
            "the new server joins the others; the rest is untouched"
        );
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(
            parsed["mcp_servers"]["files"]["env"]["ROOT"].as_str(),
            Some("/srv")
        );
    }

    #[test]
    fn an_oauth_client_is_written_under_the_server() {
        use crate::mcp::config::McpTransport;
        let text = edited(WRITTEN_BY_HAND, |document| {
            document
                .add_server(
                    "tracker",
                    &NewServer::StreamableHttp {
                        url: "https://tracker.example/mcp".into(),
                        bearer_token_env_var: None,
                    },
                )
                .unwrap();
            assert!(
                document
                    .set_oauth_client(
                        "tracker",
                        Some("client-7"),
                        None,
                        Some("https://tracker.example")
                    )
                    .unwrap()
            );
            assert!(
                !document
                    .set_oauth_client("nobody", Some("x"), None, None)
                    .unwrap()
            );
        });
        assert!(text.starts_with("# my settings\n"), "{text}");
        let entry = toml::from_str::<toml::Table>(&text).unwrap()["mcp_servers"]["tracker"].clone();
        let server = entry
            .try_into::<McpServerFile>()
            .unwrap()
            .resolve("tracker")
            .unwrap();
        let McpTransport::StreamableHttp(remote) = server.transport else {
            panic!("an HTTP server: {text}");
        };
        assert_eq!(remote.oauth.client_id.as_deref(), Some("client-7"));
        assert!(
            text.contains("oauth_resource = \"https://tracker.example\""),
            "{text}"
        );
    }

    #[test]
    fn replacing_a_server_keeps_its_comment_and_removing_it_keeps_the_rest() {
        let text = edited(WRITTEN_BY_HAND, |document| {
            document
                .add_server(
                    "docs",
                    &NewServer::StreamableHttp {
                        url: "https://docs.example/mcp".into(),
                        bearer_token_env_var: Some("DOCS_TOKEN".into()),
                    },
                )
                .unwrap();
        });
        assert!(text.contains("# the servers I use\n[mcp_servers.docs]\nurl = \"https://docs.example/mcp\"\nbearer_token_env_var = \"DOCS_TOKEN\"\n"), "{text}");
        assert!(!text.contains("docs-server"), "{text}");
        let text = edited(&text, |document| {
            assert!(document.remove_server("docs").unwrap());
            assert!(!document.remove_server("docs").unwrap());
        });
        assert!(!text.contains("mcp_servers"), "{text}");
        assert!(
            text.contains("# the servers I use\n\n[profiles.work]"),
            "its comment stays: {text}"
        );
        assert!(
            text.contains("model = \"gpt-5\" # the usual") && text.contains("[profiles.work]"),
            "{text}"
        );
    }

    #[test]
    fn bad_names_and_files_are_refused_without_writing() {
        assert!(check_server_name("a/b@c:d.e_f-g").is_ok());
        for bad in ["", "bad name", "tab\there", "ünicode", "a]b"] {
            assert!(
                matches!(check_server_name(bad), Err(EditError::InvalidName(_))),
                "{bad:?}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "model = [unclosed").unwrap();
        let error = ConfigDocument::open(&path).err().unwrap();
        assert!(
            error
                .to_string()
                .contains("is not valid TOML, so it was left alone"),
            "{error}"
        );
        std::fs::write(&path, "mcp_servers = \"oops\"\n").unwrap();
        let mut document = ConfigDocument::open(&path).unwrap();
        let stdio = NewServer::Stdio {
            command: "x".into(),
            args: vec![],
            env: BTreeMap::new(),
        };
        let error = document.add_server("x", &stdio).unwrap_err();
        assert!(error.to_string().contains("fix it by hand"), "{error}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "mcp_servers = \"oops\"\n"
        );
    }

    #[test]
    fn updating_keeps_the_other_settings_and_enabling_toggles_one_key() {
        let start = "[mcp_servers.docs]\ncommand = \"old\" # the old one\nargs = [\"a\"]\ntool_timeout_sec = 9\nenabled_tools = [\"read\"]\n";
        let text = edited(start, |document| {
            let stdio = NewServer::Stdio {
                command: "new".into(),
                args: vec![],
                env: BTreeMap::from([("K".into(), "V".into())]),
            };
            document.update_server("docs", &stdio).unwrap();
            assert!(document.set_enabled("docs", false).unwrap());
            assert!(!document.set_enabled("missing", false).unwrap());
        });
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let docs = &parsed["mcp_servers"]["docs"];
        assert_eq!(docs["command"].as_str(), Some("new"));
        assert!(docs.get("args").is_none(), "{text}");
        assert_eq!(docs["env"]["K"].as_str(), Some("V"));
        assert_eq!(docs["tool_timeout_sec"].as_integer(), Some(9), "{text}");
        assert_eq!(docs["enabled"].as_bool(), Some(false));
        let text = edited(&text, |document| {
            assert!(document.set_enabled("docs", true).unwrap());
            let http = NewServer::StreamableHttp {
                url: "https://d.example/mcp".into(),
                bearer_token_env_var: None,
            };
            document.update_server("docs", &http).unwrap();
        });
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let docs = parsed["mcp_servers"]["docs"].as_table().unwrap();
        assert_eq!(
            docs.keys().collect::<Vec<_>>(),
            ["url"],
            "a new kind starts afresh: {text}"
        );
    }

    #[test]
    fn always_approving_a_tool_writes_its_approval_mode() {
        let start = "[mcp_servers.docs]\ncommand = \"docs\"\n\n[mcp_servers.inline]\ncommand = \"x\"\ntools = { read = { approval_mode = \"prompt\" } }\n";
        let text = edited(start, |document| {
            assert!(document.approve_tool("docs", "write-page").unwrap());
            assert!(
                !document.approve_tool("elsewhere", "read").unwrap(),
                "not defined here"
            );
            let error = document.approve_tool("inline", "read").unwrap_err();
            assert!(error.to_string().contains("change it by hand"), "{error}");
            assert!(
                document
                    .approve_plugin_tool("echo@market", "demo-echo", "say")
                    .unwrap()
            );
        });
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(
            parsed["mcp_servers"]["docs"]["tools"]["write-page"]["approval_mode"].as_str(),
            Some("approve"),
            "{text}"
        );
        assert_eq!(
            parsed["mcp_servers"]["inline"]["tools"]["read"]["approval_mode"].as_str(),
            Some("prompt"),
            "an inline table is left as it was"
        );
        assert_eq!(
            parsed["plugins"]["echo@market"]["mcp_servers"]["demo-echo"]["tools"]["say"]["approval_mode"].as_str(),
            Some("approve"),
            "{text}"
        );
        assert!(!parsed.contains_key("elsewhere"));
    }

    #[test]
    fn a_missing_file_and_folder_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new-home").join("config.toml");
        let mut document = ConfigDocument::open(&path).unwrap();
        document
            .add_server(
                "web",
                &NewServer::StreamableHttp {
                    url: "http://127.0.0.1:3000/mcp".into(),
                    bearer_token_env_var: None,
                },
            )
            .unwrap();
        document.save().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[mcp_servers.web]\nurl = \"http://127.0.0.1:3000/mcp\"\n"
        );
    }
}
