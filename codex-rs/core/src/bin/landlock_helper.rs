//! The Landlock sandbox helper as its own program, so codex-core's tests can run the
//! fallback without the zspark binary: `codex-landlock-helper __landlock-sandbox
//! [--write DIR]... [--no-network] -- COMMAND...`.

use std::process::ExitCode;

#[allow(clippy::print_stderr, reason = "a command-line tool")]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    #[cfg(target_os = "linux")]
    if let Some(code) = codex_core::sandbox::landlock::run_as_helper(&args) {
        return code;
    }
    eprintln!(
        "usage: codex-landlock-helper __landlock-sandbox [--write DIR]... [--no-network] -- COMMAND... (Linux only)"
    );
    ExitCode::from(2)
}
