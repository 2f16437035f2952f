//! What zspark-core's test binaries share: `zspark serve` running in the test's process.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test binary takes part of it; a failed unwrap is a failed test"
)]

/// `zspark serve` in this process on a loopback port, with `args` (development
/// identities unless they configure a sign-in).
pub struct Server {
    pub base: String,
    _runtime: tokio::runtime::Runtime,
    _data: tempfile::TempDir,
}

#[derive(clap::Parser)]
struct ServeCli {
    #[command(flatten)]
    serve: zspark_server::ServeArgs,
}

pub fn start_server(args: &[&str]) -> Server {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().display().to_string();
    let mut all = vec!["serve", "--data-dir", &data_dir];
    if !args.contains(&"--authority") {
        all.push("--dev");
    }
    all.extend(args);
    let cli: ServeCli = clap::Parser::try_parse_from(all).unwrap();
    let config = zspark_server::ServerConfig::from_args(&cli.serve).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = runtime.block_on(async {
        let state = zspark_server::open(config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(zspark_server::serve_on(
            listener,
            state,
            std::future::pending(),
        ));
        base
    });
    Server {
        base,
        _runtime: runtime,
        _data: data,
    }
}
