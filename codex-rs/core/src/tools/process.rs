//! Running one command as a real process, with pipes or a pseudo-terminal.
//!
//! A pump task collects the output (bounded, head and tail kept), forwards it as
//! `ExecCommandOutputDelta` events, and publishes the exit once the process has ended
//! and its output is drained. The process runs in its own process group so a kill
//! reaches everything it started.

use std::io;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use codex_protocol::{EventMsg, OutputStream};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, oneshot, watch};

use super::capture::{HeadTailBuffer, Utf8Chunker};
use crate::config::Env;
use crate::events::EventSender;
use crate::sandbox::{Protection, SandboxedCommand};

/// Output kept per process for the model and for the end event (head and tail each).
const CAPTURE_LIMIT: usize = 512 * 1024;
/// After the process exits, how long to wait for its output pipes to close (a
/// background child may hold them open). Generous, so a loaded machine does not lose
/// the last output of a command that simply exited.
const DRAIN_GRACE: Duration = Duration::from_millis(1000);

/// What to run.
#[derive(Debug)]
pub struct SpawnRequest {
    /// The command line (wrapped by the sandbox) and what must live until it ends.
    pub command: SandboxedCommand,
    pub cwd: PathBuf,
    pub env: Env,
    pub tty: bool,
}

/// Where output deltas go.
#[derive(Clone)]
pub struct DeltaTarget {
    pub events: EventSender,
    pub submission_id: String,
    pub call_id: String,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    /// `None` when it was ended by a signal.
    pub code: Option<i32>,
    /// Set when it was killed on purpose (timeout, interrupt).
    pub killed: bool,
}

struct Captured {
    /// Output not yet returned to the model.
    unread: HeadTailBuffer,
    /// Everything, for the end event.
    transcript: HeadTailBuffer,
}

enum Stdin {
    /// The process runs in a terminal; bytes go to its writer thread.
    Pty(std::sync::mpsc::Sender<Vec<u8>>),
    /// Commands without a terminal get no stdin, like Codex's.
    Closed,
}

/// Input could not reach a process; the message is what the model is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StdinError {
    #[error("the process's terminal is closed")]
    TerminalClosed,
    #[error("stdin is closed for this process; run the command with tty=true to interact with it")]
    NoStdin,
}

/// A running (or finished) process.
pub struct ProcessHandle {
    pub started: Instant,
    captured: Arc<Mutex<Captured>>,
    exit: watch::Receiver<Option<ExitInfo>>,
    kill: Mutex<Option<oneshot::Sender<()>>>,
    stdin: tokio::sync::Mutex<Stdin>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

type Chunk = (OutputStream, Vec<u8>);

impl ProcessHandle {
    /// Starts the process. Output deltas go to `deltas` when given.
    pub fn spawn(mut request: SpawnRequest, deltas: Option<DeltaTarget>) -> io::Result<Self> {
        let protection = std::mem::take(&mut request.command.protection);
        let (chunk_tx, chunk_rx) = mpsc::channel::<Chunk>(64);
        let (kill_tx, kill_rx) = oneshot::channel();
        let (exited_tx, exited_rx) = oneshot::channel();
        let stdin = if request.tty {
            spawn_pty(&request, chunk_tx, kill_rx, exited_tx)?
        } else {
            spawn_piped(&request, chunk_tx, kill_rx, exited_tx)?
        };
        let captured = Arc::new(Mutex::new(Captured {
            unread: HeadTailBuffer::new(CAPTURE_LIMIT),
            transcript: HeadTailBuffer::new(CAPTURE_LIMIT),
        }));
        let (exit_tx, exit_rx) = watch::channel(None);
        tokio::spawn(pump(
            chunk_rx,
            exited_rx,
            captured.clone(),
            exit_tx,
            deltas,
            protection,
        ));
        Ok(Self {
            started: Instant::now(),
            captured,
            exit: exit_rx,
            kill: Mutex::new(Some(kill_tx)),
            stdin: tokio::sync::Mutex::new(stdin),
        })
    }

    /// Waits until the process has exited or `deadline` passes, then returns the output
    /// produced since the last call and the exit, if it happened.
    pub async fn collect_until(
        &self,
        deadline: tokio::time::Instant,
    ) -> (String, Option<ExitInfo>) {
        let mut exit = self.exit.clone();
        let exited = tokio::time::timeout_at(deadline, exit.wait_for(Option::is_some)).await;
        let info = match exited {
            Ok(Ok(info)) => *info,
            _ => *self.exit.borrow(),
        };
        (lock(&self.captured).unread.take_text(), info)
    }

    /// Waits for the exit, however long it takes.
    pub async fn wait(&self) -> ExitInfo {
        let mut exit = self.exit.clone();
        match exit.wait_for(Option::is_some).await {
            Ok(info) => info.unwrap_or(ExitInfo {
                code: None,
                killed: true,
            }),
            Err(_) => ExitInfo {
                code: None,
                killed: true,
            },
        }
    }

    /// Everything the process printed (bounded), for the end event.
    pub fn transcript(&self) -> String {
        lock(&self.captured).transcript.text()
    }

    /// Writes to the process's stdin (a PTY's input when it runs in one).
    pub async fn write_stdin(&self, bytes: &[u8]) -> Result<(), StdinError> {
        let mut stdin = self.stdin.lock().await;
        match &mut *stdin {
            Stdin::Pty(writer) => writer
                .send(bytes.to_vec())
                .map_err(|_| StdinError::TerminalClosed),
            Stdin::Closed => Err(StdinError::NoStdin),
        }
    }

    /// Kills the process and everything in its process group.
    pub fn kill(&self) {
        if let Some(kill) = lock(&self.kill).take() {
            let _ = kill.send(());
        }
    }
}

impl Drop for ProcessHandle {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Collects chunks until the process has exited and its output is drained (or the
/// grace period after exit passes), then publishes the exit. The sandbox's
/// `protection` is released once the process has exited.
async fn pump(
    mut chunks: mpsc::Receiver<Chunk>,
    exited: oneshot::Receiver<ExitInfo>,
    captured: Arc<Mutex<Captured>>,
    exit_tx: watch::Sender<Option<ExitInfo>>,
    deltas: Option<DeltaTarget>,
    protection: Protection,
) {
    let mut stdout_text = Utf8Chunker::default();
    let mut stderr_text = Utf8Chunker::default();
    let mut handle_chunk = async |(stream, bytes): Chunk| {
        {
            let mut captured = lock(&captured);
            captured.unread.push(&bytes);
            captured.transcript.push(&bytes);
        }
        if let Some(target) = &deltas {
            let chunker = match stream {
                OutputStream::Stdout => &mut stdout_text,
                OutputStream::Stderr => &mut stderr_text,
            };
            let chunk = chunker.push(&bytes);
            if !chunk.is_empty() {
                target
                    .events
                    .send(
                        &target.submission_id,
                        EventMsg::ExecCommandOutputDelta {
                            call_id: target.call_id.clone(),
                            stream,
                            chunk,
                        },
                    )
                    .await;
            }
        }
    };

    tokio::pin!(exited);
    let info = loop {
        tokio::select! {
            chunk = chunks.recv() => match chunk {
                Some(chunk) => handle_chunk(chunk).await,
                None => break (&mut exited).await.unwrap_or(ExitInfo { code: None, killed: true }),
            },
            info = &mut exited => {
                let info = info.unwrap_or(ExitInfo { code: None, killed: true });
                let grace = tokio::time::sleep(DRAIN_GRACE);
                tokio::pin!(grace);
                loop {
                    tokio::select! {
                        chunk = chunks.recv() => match chunk {
                            Some(chunk) => handle_chunk(chunk).await,
                            None => break,
                        },
                        _ = &mut grace => break,
                    }
                }
                break info;
            }
        }
    };
    drop(protection);
    let _ = exit_tx.send(Some(info));
}

fn spawn_piped(
    request: &SpawnRequest,
    chunks: mpsc::Sender<Chunk>,
    kill: oneshot::Receiver<()>,
    exited: oneshot::Sender<ExitInfo>,
) -> io::Result<Stdin> {
    let (program, args) = request
        .command
        .argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command"))?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .current_dir(&request.cwd)
        .env_clear()
        .envs(&request.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn()?;
    if let Some(stdout) = child.stdout.take() {
        tokio::spawn(read_into(stdout, OutputStream::Stdout, chunks.clone()));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(read_into(stderr, OutputStream::Stderr, chunks));
    }
    let pid = child.id();
    tokio::spawn(async move {
        let info = tokio::select! {
            status = child.wait() => ExitInfo { code: status.ok().and_then(|s| s.code()), killed: false },
            _ = kill => {
                kill_group(pid);
                let _ = child.start_kill();
                let status = child.wait().await;
                ExitInfo { code: status.ok().and_then(|s| s.code()), killed: true }
            }
        };
        let _ = exited.send(info);
    });
    Ok(Stdin::Closed)
}

async fn read_into(
    mut reader: impl AsyncRead + Unpin,
    stream: OutputStream,
    chunks: mpsc::Sender<Chunk>,
) {
    let mut buffer = vec![0u8; 8192];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => {
                if chunks
                    .send((stream, buffer[..read].to_vec()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

fn spawn_pty(
    request: &SpawnRequest,
    chunks: mpsc::Sender<Chunk>,
    kill: oneshot::Receiver<()>,
    exited: oneshot::Sender<ExitInfo>,
) -> io::Result<Stdin> {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};

    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(pty_error)?;
    let mut command =
        CommandBuilder::from_argv(request.command.argv.iter().map(Into::into).collect());
    command.cwd(&request.cwd);
    command.env_clear();
    for (name, value) in &request.env {
        command.env(name, value);
    }
    let mut child = pair.slave.spawn_command(command).map_err(pty_error)?;
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().map_err(pty_error)?;
    let mut writer = pair.master.take_writer().map_err(pty_error)?;
    let master = pair.master;
    let pid = child.process_id();
    let mut killer = child.clone_killer();

    std::thread::Builder::new()
        .name("pty-reader".into())
        .spawn(move || {
            let mut buffer = vec![0u8; 8192];
            loop {
                match std::io::Read::read(&mut reader, &mut buffer) {
                    Ok(0) | Err(_) => return,
                    Ok(read) => {
                        if chunks
                            .blocking_send((OutputStream::Stdout, buffer[..read].to_vec()))
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
        })?;
    let (input_tx, input_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::Builder::new()
        .name("pty-writer".into())
        .spawn(move || {
            for bytes in input_rx {
                if std::io::Write::write_all(&mut writer, &bytes)
                    .and_then(|()| std::io::Write::flush(&mut writer))
                    .is_err()
                {
                    return;
                }
            }
        })?;
    let wait = tokio::task::spawn_blocking(move || {
        let status = child.wait();
        // The terminal stays open until the process is gone.
        drop(master);
        status
    });
    tokio::spawn(async move {
        tokio::pin!(wait);
        let info = tokio::select! {
            status = &mut wait => ExitInfo { code: pty_exit_code(status), killed: false },
            _ = kill => {
                kill_group(pid);
                let _ = killer.kill();
                ExitInfo { code: pty_exit_code(wait.await), killed: true }
            }
        };
        let _ = exited.send(info);
    });
    Ok(Stdin::Pty(input_tx))
}

fn pty_error(error: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("could not open a terminal: {error}"))
}

fn pty_exit_code(
    status: Result<io::Result<portable_pty::ExitStatus>, tokio::task::JoinError>,
) -> Option<i32> {
    let status = status.ok()?.ok()?;
    if status.signal().is_some() {
        return None;
    }
    i32::try_from(status.exit_code()).ok()
}

/// Kills the whole process group led by `pid`.
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid
        .and_then(|pid| i32::try_from(pid).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = pid;
}
