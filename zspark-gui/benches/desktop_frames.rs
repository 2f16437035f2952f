//! What one frame of the desktop costs the CPU: egui laying out the whole 1280x800
//! window and tessellating it into triangles (the GPU's drawing is not counted), timed
//! frame by frame, next to a bare egui window (one label) measured the same way.
//!
//! Scenes: a short session; a 10,000-item session resting at its end; the same session
//! scrolled by a wheel step every frame (new items laid out all the time); a long
//! markdown answer streaming from the scripted model server at about 4,000 characters a
//! second, with frames drawn back to back while it arrives; the review pane showing
//! a 5,000-line diff, at rest and scrolled every frame; and the terminal panel while
//! `yes` prints into it as fast as it can.
//!
//! `cargo bench -p zspark-gui --bench desktop_frames [-- --frames 300]`
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark prints its numbers and stops on a broken set-up"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use codex_test_support::{Reply, ScriptedModelServer};
use egui::{Event, MouseWheelSource, MouseWheelUnit, Pos2, RawInput, Rect, TouchPhase, vec2};
use support::{Desk, QUIET_CONFIG, config_for, long_rollout, onboarded, rich_rollout};
use zspark_gui::desktop::DesktopApp;

const SCREEN: [f32; 2] = [1280.0, 800.0];

fn frames_per_scene() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == "--frames")
        .and_then(|at| args.get(at + 1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(300)
}

/// Runs frames of one egui context, as eframe would (without accessibility, which the
/// test harness turns on), and times each.
struct FrameClock {
    ctx: egui::Context,
    time: f64,
}

impl FrameClock {
    fn new(ctx: egui::Context) -> Self {
        ctx.disable_accesskit();
        Self { ctx, time: 100.0 }
    }

    fn frame(&mut self, events: Vec<Event>, draw: impl FnMut(&mut egui::Ui)) -> Duration {
        self.time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SCREEN.into())),
            time: Some(self.time),
            predicted_dt: 1.0 / 60.0,
            events,
            ..RawInput::default()
        };
        let started = Instant::now();
        let mut output = self.ctx.run_ui(input, draw);
        let primitives = self
            .ctx
            .tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        let elapsed = started.elapsed();
        black_box(primitives);
        output.textures_delta.clear();
        elapsed
    }
}

/// Median, 90th and 99th percentile and the worst, in milliseconds.
fn report(scene: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |fraction: f64| {
        let index = ((samples.len() - 1) as f64 * fraction).round() as usize;
        samples[index].as_secs_f64() * 1000.0
    };
    println!(
        "{scene:<46} {:>5} frames  median {:>6.3} ms  p90 {:>6.3} ms  p99 {:>6.3} ms  max {:>6.3} ms",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

fn app(desk: &mut Desk) -> &mut DesktopApp {
    desk.harness.state_mut().app.as_mut().unwrap()
}

/// Frames of `desk`'s app with no input, after a few to settle.
fn idle_frames(desk: &mut Desk, frames: usize) -> Vec<Duration> {
    let mut clock = FrameClock::new(desk.harness.ctx.clone());
    let app = app(desk);
    for _ in 0..10 {
        clock.frame(Vec::new(), |ui| app.show(ui));
    }
    (0..frames)
        .map(|_| clock.frame(Vec::new(), |ui| app.show(ui)))
        .collect()
}

fn bare_window(frames: usize) -> Vec<Duration> {
    let mut clock = FrameClock::new(egui::Context::default());
    let mut draw = |ui: &mut egui::Ui| {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label("A bare egui window");
        });
    };
    for _ in 0..10 {
        clock.frame(Vec::new(), &mut draw);
    }
    (0..frames)
        .map(|_| clock.frame(Vec::new(), &mut draw))
        .collect()
}

/// A desk showing the stored session whose first message is `title`.
fn desk_with_session(
    write: impl FnOnce(&Desk),
    title: &str,
    last_label: &str,
    config: String,
) -> Desk {
    let mut desk = Desk::open(Some(config), onboarded);
    write(&desk);
    desk.click("⟳");
    desk.wait_for(title);
    desk.click(title);
    desk.wait_for(last_label);
    desk
}

fn scrolling_frames(desk: &mut Desk, frames: usize) -> Vec<Duration> {
    let mut clock = FrameClock::new(desk.harness.ctx.clone());
    let app = app(desk);
    let over_conversation = Pos2::new(640.0, 400.0);
    clock.frame(vec![Event::PointerMoved(over_conversation)], |ui| {
        app.show(ui)
    });
    (0..frames)
        .map(|_| {
            let wheel = Event::MouseWheel {
                unit: MouseWheelUnit::Point,
                delta: vec2(0.0, 240.0),
                phase: TouchPhase::Move,
                source: MouseWheelSource::Wheel,
                modifiers: egui::Modifiers::NONE,
            };
            clock.frame(vec![wheel], |ui| app.show(ui))
        })
        .collect()
}

/// A long markdown answer: paragraphs, lists, a table and code.
fn long_answer() -> String {
    (0..40)
        .map(|n| {
            format!(
                "### Step {n}\n\nThe build now **passes** on `linux-{n}`; next we look at the cache.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| {n} | {} |\n\n```rust\nfn step_{n}() -> u32 {{ {n} }}\n```\n\n",
                n * 2
            )
        })
        .collect()
}

fn streaming_frames() -> (Vec<Duration>, usize) {
    let answer = long_answer();
    let server = ScriptedModelServer::start([Reply::new()
        .message(answer.clone())
        .delta_chars(4)
        .event_delay(Duration::from_millis(1))
        .into()])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    desk.start_session_in_workspace();
    desk.send("explain the build");
    let mut clock = FrameClock::new(desk.harness.ctx.clone());
    let app = app(&mut desk);
    let mut samples = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while app
        .shown_session()
        .is_some_and(|session| session.is_running())
    {
        samples.push(clock.frame(Vec::new(), |ui| app.show(ui)));
        assert!(Instant::now() < deadline, "the stream did not end");
    }
    (samples, answer.len())
}

/// Commits a 2,500-line Rust file in `desk`'s folder and rewrites every line, so the
/// folder's uncommitted diff holds 5,000 changed lines.
fn big_uncommitted_diff(desk: &Desk) {
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .arg("-C")
            .arg(&desk.workspace)
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    let lines = |value: &str| -> String {
        (0..2_500)
            .map(|n| format!("pub fn step_{n}() -> u32 {{ {value} }}\n"))
            .collect()
    };
    git(&["init", "-q"]);
    std::fs::write(desk.workspace.join("big.rs"), lines("1")).unwrap();
    git(&["add", "big.rs"]);
    git(&[
        "-c",
        "user.name=b",
        "-c",
        "user.email=b@example.com",
        "commit",
        "-q",
        "-m",
        "big",
    ]);
    std::fs::write(desk.workspace.join("big.rs"), lines("2")).unwrap();
}

/// Frames drawn back to back while the shown session's terminal runs `yes`, and the
/// bytes its screen took in them.
fn terminal_frames(desk: &mut Desk, frames: usize) -> Vec<Duration> {
    desk.open_terminal();
    desk.run_in_terminal("yes 'zspark terminal benchmark: one line of output after another'");
    desk.wait_until("yes is printing", |desk| {
        desk.terminal_text().matches("one line of output").count() > 5
    });
    // The shell (and `yes`) end with the desk's terminal.
    idle_frames(desk, frames)
}

fn main() {
    let frames = frames_per_scene();
    println!("CPU time per frame (layout + tessellation), 1280x800");
    report("bare egui window (one label)", bare_window(frames));

    let mut short = desk_with_session(
        |desk| rich_rollout(&desk.codex_home, &desk.workspace),
        "Add a CSV export and run the tests",
        "CSV export added",
        QUIET_CONFIG.to_string(),
    );
    report("zspark, a short session", idle_frames(&mut short, frames));
    drop(short);

    let mut long = desk_with_session(
        |desk| long_rollout(&desk.codex_home, &desk.workspace, 5_000),
        "question 0",
        "answer 4999",
        QUIET_CONFIG.to_string(),
    );
    report(
        "zspark, 10,000-item session, at rest",
        idle_frames(&mut long, frames),
    );
    report(
        "zspark, 10,000-item session, scrolling",
        scrolling_frames(&mut long, frames),
    );
    drop(long);

    let (streaming, characters) = streaming_frames();
    report(
        &format!("zspark, streaming a {characters}-char answer"),
        streaming,
    );

    let mut review = desk_with_session(
        |desk| {
            rich_rollout(&desk.codex_home, &desk.workspace);
            big_uncommitted_diff(desk);
        },
        "Add a CSV export and run the tests",
        "CSV export added",
        QUIET_CONFIG.to_string(),
    );
    review.click("Review changes");
    review.wait_for("⏷ big.rs");
    let shown = review
        .app()
        .shown_session()
        .and_then(|session| session.review.uncommitted())
        .map_or(0, |read| {
            read.changes
                .iter()
                .flat_map(|change| &change.diff.hunks)
                .map(|hunk| hunk.lines.len())
                .sum::<usize>()
        });
    assert!(shown >= 5_000, "the diff holds {shown} lines");
    report(
        &format!("zspark, review pane, {shown}-line diff, at rest"),
        idle_frames(&mut review, frames),
    );
    report(
        &format!("zspark, review pane, {shown}-line diff, scrolling"),
        scrolling_frames(&mut review, frames),
    );
    drop(review);

    let mut terminal = desk_with_session(
        |desk| rich_rollout(&desk.codex_home, &desk.workspace),
        "Add a CSV export and run the tests",
        "CSV export added",
        QUIET_CONFIG.to_string(),
    );
    report(
        "zspark, terminal printing continuously (yes)",
        terminal_frames(&mut terminal, frames),
    );
}
