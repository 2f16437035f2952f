//! A session's terminal: the user's shell on a pseudo-terminal in the session's folder,
//! its output parsed by a VT100/xterm state machine (`vt100`: colours, cursor
//! movement, the alternate screen, scroll-back). A reader thread moves the output
//! through a bounded channel, so a program that floods it is held back by the
//! pseudo-terminal instead of the window, and each frame parses it for at most
//! [`PARSE_BUDGET`]. Keys typed into the panel become the bytes a terminal sends.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// How long a frame parses output; the rest waits for the next frame.
pub const PARSE_BUDGET: Duration = Duration::from_millis(1);
/// Output parsed between two looks at the clock.
const PARSE_STEP: usize = 4 * 1024;
/// Lines kept above the screen.
const SCROLLBACK_LINES: usize = 10_000;
/// Chunks of output waiting between the reader thread and the window.
const CHUNKS_IN_FLIGHT: usize = 64;

/// Why a terminal could not be started.
#[derive(Debug, thiserror::Error)]
#[error("the terminal could not start {shell}: {reason}")]
pub struct TerminalError {
    shell: String,
    reason: String,
}

pub struct Terminal {
    parser: vt100::Parser,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    output: Receiver<Vec<u8>>,
    /// A chunk received and not yet parsed to its end, and how far it has been.
    pending: Vec<u8>,
    parsed: usize,
    /// How the shell ended, once it has.
    pub ended: Option<String>,
}

impl Terminal {
    /// Starts the user's shell in `cwd` on a terminal of `rows` x `cols`; `wake` is
    /// called when output arrives.
    pub fn start(
        cwd: &Path,
        rows: u16,
        cols: u16,
        wake: impl Fn() + Send + 'static,
    ) -> Result<Self, TerminalError> {
        let shell = user_shell();
        let failed = |reason: String| TerminalError {
            shell: shell.clone(),
            reason,
        };
        let size = pty_size(rows, cols);
        let pair = native_pty_system()
            .openpty(size)
            .map_err(|error| failed(error.to_string()))?;
        let mut command = CommandBuilder::new(&shell);
        command.cwd(cwd);
        command.env("TERM", "xterm-256color");
        command.env("COLORTERM", "truecolor");
        let child = pair
            .slave
            .spawn_command(command)
            .map_err(|error| failed(error.to_string()))?;
        drop(pair.slave);
        let reader = pair
            .master
            .try_clone_reader()
            .map_err(|error| failed(error.to_string()))?;
        let writer = pair
            .master
            .take_writer()
            .map_err(|error| failed(error.to_string()))?;
        let (sender, output) = sync_channel(CHUNKS_IN_FLIGHT);
        std::thread::Builder::new()
            .name("zspark-terminal".to_string())
            .spawn(move || read_output(reader, &sender, &wake))
            .map_err(|error| failed(error.to_string()))?;
        Ok(Self {
            parser: vt100::Parser::new(non_zero(rows), non_zero(cols), SCROLLBACK_LINES),
            master: pair.master,
            writer,
            child,
            output,
            pending: Vec::new(),
            parsed: 0,
            ended: None,
        })
    }

    /// Parses the output that arrived, for up to [`PARSE_BUDGET`]; whether more waits.
    pub fn pump(&mut self) -> bool {
        let started = Instant::now();
        loop {
            if self.parsed == self.pending.len() {
                match self.output.try_recv() {
                    Ok(chunk) => {
                        self.pending = chunk;
                        self.parsed = 0;
                    }
                    Err(TryRecvError::Empty) => return false,
                    Err(TryRecvError::Disconnected) => {
                        if self.ended.is_none() {
                            self.ended = Some(self.exit_status());
                        }
                        return false;
                    }
                }
            }
            let end = (self.parsed + PARSE_STEP).min(self.pending.len());
            self.parser.process(&self.pending[self.parsed..end]);
            self.parsed = end;
            if started.elapsed() >= PARSE_BUDGET {
                return true;
            }
        }
    }

    pub fn screen(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    /// Gives the terminal a new size (the shell is told, and redraws).
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let (now_rows, now_cols) = self.parser.screen().size();
        if (now_rows.get(), now_cols.get()) == (rows.max(1), cols.max(1)) {
            return;
        }
        self.parser.set_size(non_zero(rows), non_zero(cols));
        let _ = self.master.resize(pty_size(rows, cols));
    }

    /// Looks `lines` further back into the scroll-back (negative: forward).
    pub fn scroll(&mut self, lines: isize) {
        let screen = self.parser.screen_mut();
        let now = screen.scrollback();
        screen.set_scrollback(now.saturating_add_signed(lines));
    }

    /// Sends what the user typed (or pasted) to the shell.
    pub fn send(&mut self, bytes: &[u8]) {
        self.parser.screen_mut().set_scrollback(0);
        if self
            .writer
            .write_all(bytes)
            .and_then(|()| self.writer.flush())
            .is_err()
            && self.ended.is_none()
        {
            self.ended = Some(self.exit_status());
        }
    }

    fn exit_status(&mut self) -> String {
        match self.child.try_wait() {
            Ok(Some(status)) if status.success() => "The shell exited.".to_string(),
            Ok(Some(status)) => format!("The shell exited with code {}.", status.exit_code()),
            _ => "The terminal's output ended.".to_string(),
        }
    }
}

impl Drop for Terminal {
    /// Closing the panel's terminal ends its shell.
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn read_output(mut reader: Box<dyn Read + Send>, sender: &SyncSender<Vec<u8>>, wake: &dyn Fn()) {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                // Blocks while the window has not taken the chunks before it.
                if sender.send(buffer[..read].to_vec()).is_err() {
                    break;
                }
                wake();
            }
        }
    }
    wake();
}

/// `$SHELL` (or `%COMSPEC%` on Windows), else the system's plain shell.
fn user_shell() -> String {
    let (variable, fallback) = if cfg!(windows) {
        ("COMSPEC", "cmd.exe")
    } else {
        ("SHELL", "/bin/sh")
    };
    std::env::var(variable)
        .ok()
        .filter(|shell| !shell.trim().is_empty())
        .unwrap_or_else(|| fallback.to_string())
}

fn non_zero(value: u16) -> NonZeroU16 {
    NonZeroU16::new(value).unwrap_or(NonZeroU16::MIN)
}

fn pty_size(rows: u16, cols: u16) -> PtySize {
    PtySize {
        rows: rows.max(1),
        cols: cols.max(1),
        pixel_width: 0,
        pixel_height: 0,
    }
}

/// The bytes a terminal sends for `key` with `modifiers`, if any (text arrives
/// separately, as text events).
pub fn key_bytes(
    key: egui::Key,
    modifiers: egui::Modifiers,
    application_cursor: bool,
) -> Option<Vec<u8>> {
    use egui::Key;
    if modifiers.ctrl && !modifiers.alt {
        let letter = key.symbol_or_name();
        if letter.len() == 1 {
            let byte = letter.as_bytes()[0].to_ascii_uppercase();
            if byte.is_ascii_uppercase() {
                return Some(vec![byte - b'@']);
            }
        }
    }
    let arrow = |code: u8| {
        if application_cursor {
            vec![0x1b, b'O', code]
        } else {
            vec![0x1b, b'[', code]
        }
    };
    Some(match key {
        Key::Enter => b"\r".to_vec(),
        Key::Backspace => vec![0x7f],
        Key::Tab if modifiers.shift => b"\x1b[Z".to_vec(),
        Key::Tab => b"\t".to_vec(),
        Key::Escape => vec![0x1b],
        Key::ArrowUp => arrow(b'A'),
        Key::ArrowDown => arrow(b'B'),
        Key::ArrowRight => arrow(b'C'),
        Key::ArrowLeft => arrow(b'D'),
        Key::Home => b"\x1b[H".to_vec(),
        Key::End => b"\x1b[F".to_vec(),
        Key::PageUp => b"\x1b[5~".to_vec(),
        Key::PageDown => b"\x1b[6~".to_vec(),
        Key::Delete => b"\x1b[3~".to_vec(),
        Key::Insert => b"\x1b[2~".to_vec(),
        _ => return None,
    })
}
