//! The test server fixture and the macro that runs a test on both backends.

mod access;
mod artifacts;
mod bad_input;
mod connections;
mod entra;
mod http;
mod hub;
mod live;
mod objects;
mod resources;
mod sign_in;
mod sync;

use std::time::Duration;

use clap::Parser;
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, Executor};
use tokio::sync::oneshot;
use zspark_server::{Backend, ServeArgs, ServerConfig};

/// Waits until `condition` holds, checking every few milliseconds; panics naming
/// `what` after ten seconds. For effects a server has after it answered (files it
/// removes when a request ends), which no response reports.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs each test body once on SQLite and once on PostgreSQL.
macro_rules! on_both_backends {
    ($(async fn $name:ident($server:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test]
                #[allow(unused_mut)]
                async fn sqlite() {
                    let mut $server = crate::suite::TestServer::start(zspark_server::Backend::Sqlite, &[]).await.unwrap();
                    $body
                }

                #[tokio::test]
                #[allow(unused_mut)]
                async fn postgres() {
                    let Some(mut $server) = crate::suite::TestServer::start(zspark_server::Backend::Postgres, &[]).await else {
                        return;
                    };
                    $body
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

/// A PostgreSQL database made for one test, dropped with it.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut connection) = sqlx::AnyConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = connection.execute(AssertSqlSafe(sql)).await;
                }
            });
        })
        .join();
    }
}

pub struct TestServer {
    pub base: String,
    pub data_dir: tempfile::TempDir,
    /// The `zspark serve` arguments it was started with.
    args: Vec<String>,
    /// The object store's settings, as the environment would give them.
    object_store_settings: Vec<(String, String)>,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _database: Option<PgDatabase>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("ZSPARK_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty());
    if url.is_none() {
        assert!(
            std::env::var("ZSPARK_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "ZSPARK_REQUIRE_SERVICES=1 but ZSPARK_TEST_POSTGRES_URL is not set"
        );
        eprintln!(
            "skipping the PostgreSQL run: set ZSPARK_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
    }
    url
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let prefix = &base[..base.rfind('/').unwrap_or(base.len())];
    match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    }
}

impl TestServer {
    /// Starts a server on a fresh database, in development mode unless `extra_args`
    /// configure Entra ID; `None` when PostgreSQL was asked for and is not available.
    pub async fn start(backend: Backend, extra_args: &[&str]) -> Option<Self> {
        let data_dir = tempfile::tempdir().unwrap();
        let mut args = vec![
            "serve".to_string(),
            "--data-dir".into(),
            data_dir.path().display().to_string(),
        ];
        if !extra_args.contains(&"--authority") {
            args.push("--dev".into());
        }
        let mut database = None;
        if backend == Backend::Postgres {
            sqlx::any::install_default_drivers();
            let admin_url = postgres_admin_url()?;
            let name = format!("zspark_test_{}", uuid::Uuid::new_v4().simple());
            let mut connection = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
            connection
                .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            args.push("--database-url".into());
            args.push(with_database(&admin_url, &name));
            database = Some(PgDatabase { admin_url, name });
        }
        if !extra_args.contains(&"--rate-limit-max") {
            // Tests make many requests as one user; the limit has its own test.
            args.extend(["--rate-limit-max".to_string(), "1000000".to_string()]);
        }
        args.extend(extra_args.iter().map(|arg| arg.to_string()));
        Some(Self::serve(args, Vec::new(), data_dir, database).await)
    }

    /// A server (on SQLite) keeping artifacts in the object store at `url` with
    /// `settings` (`AWS_*` names and values).
    pub async fn start_with_object_store(url: &str, settings: Vec<(String, String)>) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let path = data_dir.path().display().to_string();
        let args = [
            "serve",
            "--dev",
            "--data-dir",
            &path,
            "--artifact-store",
            url,
        ];
        let args = args.iter().map(|arg| arg.to_string()).collect();
        Self::serve(args, settings, data_dir, None).await
    }

    /// A second instance of this server: the same database, data directory and
    /// settings (Redis and the object store among them), its own address.
    pub async fn another_instance(&self) -> Self {
        let settings = self.object_store_settings.clone();
        Self::serve(
            self.args.clone(),
            settings,
            tempfile::tempdir().unwrap(),
            None,
        )
        .await
    }

    async fn serve(
        args: Vec<String>,
        object_store_settings: Vec<(String, String)>,
        data_dir: tempfile::TempDir,
        database: Option<PgDatabase>,
    ) -> Self {
        let mut config =
            ServerConfig::from_args(&Cli::try_parse_from(&args).unwrap().serve).unwrap();
        config
            .artifact_store_settings
            .clone_from(&object_store_settings);
        let state = zspark_server::open(config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(zspark_server::serve_on(listener, state, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            data_dir,
            args,
            object_store_settings,
            client: zspark_bridge::http::client_builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            stop: Some(stop),
            task: Some(task),
            _database: database,
        }
    }

    /// Shuts the server down as SIGTERM would and waits until it has (its data
    /// directory stays until it is dropped, for the instances sharing it).
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// The address as a WebSocket URL.
    pub fn ws_base(&self) -> String {
        self.base.replacen("http://", "ws://", 1)
    }

    /// Requests as `user` (`None`: no identity header).
    pub fn user(&self, user: Option<&str>) -> Api<'_> {
        Api {
            server: self,
            user: user.map(str::to_string),
        }
    }

    pub fn as_user(&self, user: &str) -> Api<'_> {
        self.user(Some(user))
    }

    pub fn anonymous(&self) -> Api<'_> {
        self.user(None)
    }

    pub fn raw(&self) -> &reqwest::Client {
        &self.client
    }
}

/// Requests made as one caller; each returns the status and the JSON body (or Null).
pub struct Api<'a> {
    pub server: &'a TestServer,
    user: Option<String>,
}

impl Api<'_> {
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .server
            .client
            .request(method, format!("{}{path}", self.server.base));
        if let Some(user) = &self.user {
            request = request.header("x-domain-user", user);
        }
        request
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.request(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.request(reqwest::Method::PATCH, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// Creates a workspace and returns its id.
    pub async fn workspace(&self, name: &str) -> String {
        let (status, body) = self
            .post("/v1/workspaces", serde_json::json!({"name": name}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Creates a session and returns its id.
    pub async fn session(&self, workspace: &str, title: &str) -> String {
        let (status, body) = self
            .post(
                &format!("/v1/workspaces/{workspace}/sessions"),
                serde_json::json!({"title": title}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Invites `principal` with `role`.
    pub async fn invite(&self, workspace: &str, principal: &str, role: &str) {
        let (status, body) = self
            .post(
                &format!("/v1/workspaces/{workspace}/members"),
                serde_json::json!({"principal": principal, "role": role}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// Uploads `bytes` as `name` and returns the artifact id.
    pub async fn upload(&self, workspace: &str, name: &str, bytes: &[u8]) -> String {
        let (status, body) = self
            .send(
                self.request(
                    reqwest::Method::POST,
                    &format!("/v1/workspaces/{workspace}/artifacts"),
                )
                .query(&[("name", name)])
                .header("content-type", "text/plain")
                .body(bytes.to_vec()),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }
}
