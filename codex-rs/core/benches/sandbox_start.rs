//! What the sandbox costs a command: the time to start and finish `true` (and a
//! small shell script) directly and inside the sandbox, alternating, on one machine;
//! for bubblewrap when it is installed and for the Landlock fallback (with and without
//! namespaces) when the kernel has Landlock. The sandboxed time includes preparing the
//! command (placeholders for the protected folders, the host's socket list) and
//! removing the placeholders afterwards.
//!
//! `cargo bench -p codex-core --bench sandbox_start [-- --runs 200]`
//!
//! Prints the median and the 10th–90th percentile of each, and the difference.
#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    reason = "a benchmark prints its numbers"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use codex_core::config::Env;
use codex_core::sandbox::{Enforcer, LandlockHelper};
use codex_protocol::SandboxPolicy;

fn runs() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == "--runs")
        .and_then(|at| args.get(at + 1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(200)
}

fn time_ms(argv: &[String], cwd: &Path) -> f64 {
    let started = Instant::now();
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(cwd)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the command starts");
    assert!(status.success(), "{argv:?} failed");
    started.elapsed().as_secs_f64() * 1000.0
}

/// Median, 10th and 90th percentile.
fn summary(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    (at(0.5), at(0.1), at(0.9))
}

/// The enforcers this machine has: bubblewrap (as detected) and Landlock.
fn enforcers(env: &Env) -> Vec<Enforcer> {
    let mut found = Vec::new();
    match Enforcer::detect(env) {
        bubblewrap @ Enforcer::Bubblewrap(_) => found.push(bubblewrap),
        _ => println!("bubblewrap: not installed, not measured"),
    }
    #[cfg(target_os = "linux")]
    if codex_core::sandbox::landlock::supported() {
        let program = PathBuf::from(env!("CARGO_BIN_EXE_codex-landlock-helper"));
        if codex_core::sandbox::landlock::namespaces_work(&program) {
            found.push(Enforcer::Landlock(LandlockHelper {
                program: program.clone(),
                namespaces: true,
            }));
        }
        found.push(Enforcer::Landlock(LandlockHelper {
            program,
            namespaces: false,
        }));
    } else {
        println!("Landlock: not supported by this kernel, not measured");
    }
    found
}

fn main() {
    let mut env = Env::new();
    env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
    let runs = runs();
    for enforcer in enforcers(&env) {
        measure(&enforcer, &env, runs);
    }
}

fn measure(enforcer: &Enforcer, env: &Env, runs: usize) {
    let workspace = tempfile::tempdir().expect("a workspace");
    let cwd = workspace.path();
    let policy = SandboxPolicy::WorkspaceWrite {
        writable_roots: Vec::new(),
        network_access: false,
        exclude_tmpdir_env_var: false,
        exclude_slash_tmp: false,
    };
    let commands = [
        ("true", vec!["true".to_string()]),
        (
            "bash -c 'echo hi > out.txt && wc -c out.txt'",
            vec![
                "bash".into(),
                "-c".into(),
                "echo hi > out.txt && wc -c out.txt".into(),
            ],
        ),
    ];
    println!("{runs} runs each, alternating; {enforcer:?}");
    for (label, argv) in commands {
        let (mut direct, mut inside) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            direct.push(time_ms(&argv, cwd));
            let started = Instant::now();
            let sandboxed = enforcer
                .wrap(&policy, cwd, env, argv.clone(), false)
                .expect("the command can be prepared");
            let run = time_ms(&sandboxed.argv, cwd);
            drop(sandboxed);
            let whole = started.elapsed().as_secs_f64() * 1000.0;
            assert!(whole >= run);
            inside.push(whole);
        }
        let mut preparing = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let sandboxed = enforcer
                .wrap(&policy, cwd, env, argv.clone(), false)
                .expect("the command can be prepared");
            drop(sandboxed);
            preparing.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let (preparing_median, _, _) = summary(preparing);
        println!("{label}: preparing and releasing alone {preparing_median:.3} ms");
        let (direct_median, direct_low, direct_high) = summary(direct);
        let (inside_median, inside_low, inside_high) = summary(inside);
        println!(
            "{label}: direct {direct_median:.2} ms ({direct_low:.2}–{direct_high:.2}), sandboxed {inside_median:.2} ms ({inside_low:.2}–{inside_high:.2}), overhead {:.2} ms",
            inside_median - direct_median
        );
    }
}
